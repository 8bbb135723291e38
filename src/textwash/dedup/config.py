"""`DedupConfig`: every option that changes what :func:`find_duplicates` finds.

One frozen, validated object that the command line builds from its options,
:func:`~textwash.dedup.find_duplicates` and :func:`~textwash.dedup.deduplicate`
take, the report records (``report.params``) and a persistent index compares
with the options it was built with.  The three thresholds are named for what
they decide:

* ``near_threshold``: the Jaccard similarity of two units' shingle sets at
  which they are near duplicates (checked exactly, on the sets themselves);
* ``lsh_threshold``: where the MinHash LSH bands are tuned to propose
  candidates (by default ``near_threshold - 0.1``, at least 0.3, so pairs just
  above ``near_threshold`` are rarely missed); datasketch chooses the bands and
  rows for it;
* ``containment_threshold``: the share of a passage's 3-grams that must occur
  inside a longer unit for the passage to be contained there.

>>> c = DedupConfig(near_threshold=0.7)
>>> c.lsh_threshold, c.bands, c.rows
(0.6, 18, 7)
>>> DedupConfig.from_options(threshold=0.9).near_threshold  # the former name
0.9
>>> DedupConfig(keep="last")
Traceback (most recent call last):
ValueError: keep must be one of 'best', 'first', 'longest', not 'last'
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from ..segment import UNIT_KINDS
from .banding import lsh_params
from .parts import PART_CHARS

__all__ = ["KEEP_POLICIES", "DedupConfig"]

#: What ``keep`` may be: the copy with the fewest defects found by cleaning (then
#: the longest, then the first), the first in input order, or the longest.
KEEP_POLICIES = ("best", "first", "longest")

#: Former option names still accepted by :meth:`DedupConfig.from_options`.
ALIASES = {"threshold": "near_threshold"}


def _fraction(name: str, value: object, low_open: bool = True) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    if not (0 < value <= 1 if low_open else 0 <= value <= 1):
        raise ValueError(f"{name} must be in (0, 1], not {value!r}")


def _whole(name: str, value: object, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a whole number, not {type(value).__name__}")
    if value < least:
        raise ValueError(f"{name} must be at least {least}, not {value!r}")


@dataclass(frozen=True)
class DedupConfig:
    """What :func:`~textwash.dedup.find_duplicates` compares, and how.

    Attributes:
        unit: ``"paragraph"``, ``"sentence"`` (windows of ``window`` sentences)
            or ``"document"`` (essay bodies).
        window: sentences per unit with ``unit="sentence"``.
        near_threshold: Jaccard similarity of shingle sets for a near duplicate.
        lsh_threshold: where the LSH bands are tuned; ``None`` chooses
            ``max(0.3, near_threshold - 0.1)``.
        ngram: tokens per shingle.
        num_perm: MinHash permutations.
        seed: seed of the MinHash permutations.
        keep: which copy of a cluster is kept (:data:`KEEP_POLICIES`).
        containment: look for passages inside much longer units.
        containment_threshold: share of a passage's 3-grams found in the longer unit.
        containment_ratio: how many times longer that unit must be.
        drop_function_words: leave 的了在是… out of the near-duplicate shingles.
        part_chars: documents longer than this are cleaned in parts.
        remove_numbers: also remove copies whose numbers differ (else reported, kept).
    """

    unit: str = "paragraph"
    window: int = 1
    near_threshold: float = 0.8
    lsh_threshold: float | None = None
    ngram: int = 5
    num_perm: int = 128
    seed: int = 1
    keep: str = "best"
    containment: bool = True
    containment_threshold: float = 0.6
    containment_ratio: float = 2.0
    drop_function_words: bool = True
    part_chars: int = PART_CHARS
    remove_numbers: bool = False

    def __post_init__(self) -> None:
        if self.unit not in UNIT_KINDS:
            raise ValueError(f"unknown unit {self.unit!r}; choose one of {', '.join(UNIT_KINDS)}")
        if self.keep not in KEEP_POLICIES:
            raise ValueError(
                f"keep must be one of {', '.join(map(repr, KEEP_POLICIES))}, not {self.keep!r}"
            )
        _whole("window", self.window, 1)
        _whole("ngram", self.ngram, 1)
        _whole("num_perm", self.num_perm, 2)
        _whole("seed", self.seed, 0)
        _whole("part_chars", self.part_chars, 1)
        _fraction("near_threshold", self.near_threshold)
        _fraction("containment_threshold", self.containment_threshold)
        if isinstance(self.containment_ratio, bool) or not isinstance(
            self.containment_ratio, int | float
        ):
            raise TypeError("containment_ratio must be a number")
        if self.containment_ratio < 1:
            raise ValueError(f"containment_ratio must be at least 1, not {self.containment_ratio}")
        if self.lsh_threshold is None:
            object.__setattr__(self, "lsh_threshold", round(max(0.3, self.near_threshold - 0.1), 4))
        else:
            _fraction("lsh_threshold", self.lsh_threshold)

    @classmethod
    def from_options(cls, config: DedupConfig | None = None, **options: Any) -> DedupConfig:
        """``config`` (or the defaults) with ``options`` replaced; former names accepted.

        >>> DedupConfig.from_options(DedupConfig(ngram=3), keep="first").ngram
        3
        >>> DedupConfig.from_options(treshold=0.5)
        Traceback (most recent call last):
        TypeError: unknown dedup option 'treshold'
        """
        names = {f.name for f in dataclasses.fields(cls)}
        changes: dict[str, Any] = {}
        for key, value in options.items():
            name = ALIASES.get(key, key)
            if name not in names:
                raise TypeError(f"unknown dedup option {key!r}")
            if name in changes:
                raise TypeError(f"{key!r} given twice (it is also {name!r})")
            changes[name] = value
        base = config or cls()
        if "near_threshold" in changes and "lsh_threshold" not in changes:
            changes["lsh_threshold"] = None  # derived again from the new near threshold
            if config is not None and config.lsh_threshold != cls._derived(config):
                changes["lsh_threshold"] = config.lsh_threshold  # set by hand: kept
        return dataclasses.replace(base, **changes)

    @staticmethod
    def _derived(config: DedupConfig) -> float:
        return round(max(0.3, config.near_threshold - 0.1), 4)

    @property
    def bands(self) -> int:
        """LSH bands datasketch chooses for :attr:`lsh_threshold` and :attr:`num_perm`."""
        return lsh_params(float(self.lsh_threshold or 0), self.num_perm)[0]

    @property
    def rows(self) -> int:
        """Rows (signature values) per LSH band."""
        return lsh_params(float(self.lsh_threshold or 0), self.num_perm)[1]

    def params(self) -> dict[str, Any]:
        """Every option and the LSH parameters, as the report's ``params`` records them."""
        out = dataclasses.asdict(self)
        out.update(lsh_bands=self.bands, lsh_rows=self.rows, minhash_scheme="affine32")
        return out
