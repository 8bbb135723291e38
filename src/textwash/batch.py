"""Cleaning many texts at once: :func:`clean_many`.

``clean_many(texts)`` is ``[textwash.clean(t) for t in texts]`` for any
iterable (a list, a generator, a pandas or Polars column, a pyarrow string
array), with three differences:

* a missing value — ``None``, a float NaN, ``pandas.NA`` — is passed through as
  ``None`` and counted instead of raising, so a column with holes can be cleaned
  and put back in place;
* ``workers=N`` cleans in ``N`` processes (a :class:`~textwash.parallel.Workers`
  pool), with the same result in the same order as ``workers=1``;
* a text a step fails on raises a :class:`~textwash.errors.CleaningError` whose
  message names the text's position in ``texts``.

>>> clean_many(["社 会 、实 现", None, float("nan"), "裙众"])
['社会、实现', None, None, '群众']

What a call saw is counted in a :class:`CleanStats` given as ``stats``:

>>> stats = CleanStats()
>>> _ = clean_many(["近年来,随着", None, "已经干净。"], stats=stats)
>>> stats
CleanStats(texts=3, missing=1, changed=1, chars_in=11, chars_out=11)

The texts go to the worker processes in batches of up to :data:`BATCH_TEXTS`
texts or :data:`BATCH_CHARS` characters, so a column of a million short rows
costs a few thousand round trips, not a million, and texts of a few hundred
kilobytes are still shared out evenly between the workers.  ``texts`` is read
lazily: only a few batches per worker are in flight.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, islice

from . import arrow
from .errors import CleaningError
from .parallel import Failure, Workers, _clean_one_isolated, default_workers
from .pipeline import Pipeline
from .presets import get_preset

__all__ = ["BATCH_CHARS", "BATCH_TEXTS", "CleanStats", "clean_many", "is_missing"]

#: A batch sent to a worker holds at most this many texts ...
BATCH_TEXTS = 512
#: ... and stops growing once it holds this many characters.
BATCH_CHARS = 1 << 16


@dataclass
class CleanStats:
    """Counts of what :func:`clean_many` read and wrote.

    Attributes:
        texts: values read, missing ones included.
        missing: values passed through as ``None`` (``None``, NaN, ``pandas.NA``).
        changed: texts whose cleaned text differs from the raw one.
        chars_in: characters of the texts read (missing values count 0).
        chars_out: characters of the cleaned texts.

    The counts add up: one object given to several calls (the batches of a
    Polars ``LazyFrame``, say) ends up with the totals.
    """

    texts: int = 0
    missing: int = 0
    changed: int = 0
    chars_in: int = 0
    chars_out: int = 0


def is_missing(value: object) -> bool:
    """Whether ``value`` stands for a missing text: ``None``, a NaN, ``pandas.NA`` or ``NaT``.

    >>> import math
    >>> [is_missing(v) for v in (None, math.nan, "", "nan", 0)]
    [True, True, False, False, False]
    """
    if value is None:
        return True
    if isinstance(value, float):  # numpy.float64 is a float
        return math.isnan(value)
    kind = type(value)
    if kind.__module__.startswith("numpy") and kind.__name__.startswith("float"):
        return bool(value != value)  # numpy.float32 and other widths
    return kind.__module__.startswith("pandas") and kind.__name__ in ("NAType", "NaTType")


@lru_cache(maxsize=8)
def _preset(name: str) -> Pipeline:
    return get_preset(name)


def _clean_batch(texts: list[str]) -> tuple[list[str | Failure], int]:
    """Clean a batch with this worker's pipeline: the results and how many changed."""
    out = [_clean_one_isolated(t) for t in texts]
    changed = sum(1 for t, r in zip(texts, out, strict=True) if r != t)
    return out, changed


def clean_many(
    texts: Iterable[object],
    preset: str | Pipeline = "zh",
    *,
    workers: int | None = 1,
    stats: CleanStats | None = None,
) -> list[str | None]:
    """Clean every text of ``texts`` with a preset (or a :class:`Pipeline`), in order.

    Returns a list as long as ``texts``: the cleaned text of every ``str``, and
    ``None`` for every missing value (``None``, a float NaN, ``pandas.NA``;
    see :func:`is_missing`), which is counted in ``stats`` if given.  Each
    cleaned text equals ``textwash.clean(text, preset)`` (a text over
    :data:`~textwash.windows.LONG_TEXT` characters is cleaned in windows, as
    the command line does).  ``texts`` may be any iterable, including a
    pyarrow string array (read a slice at a time).

    ``workers`` processes clean the texts (``None``: one per core); the result
    is the same for any number.  When every text fits in one batch the work
    stays in this process, as starting a pool would cost more than it saves.

    Any other value raises ``TypeError``, and a step failing on a text raises
    :class:`~textwash.errors.CleaningError`; both name the value's position.

    >>> clean_many(["掌握笫一手资料."], preset="minimal")
    ['掌握笫一手资料.']
    >>> clean_many(["甲", b"\\xe4\\xb9\\x99"])
    Traceback (most recent call last):
    ...
    TypeError: text 1: expected a str or a missing value (None, NaN), got bytes
    >>> from textwash import Pipeline
    >>> clean_many(["abcd", "ab"], Pipeline([lambda t: t[3]]))
    Traceback (most recent call last):
    ...
    textwash.errors.CleaningError: step <lambda> failed: text 1: IndexError: string index ...
    """
    pipeline = preset if isinstance(preset, Pipeline) else _preset(preset)
    counts = CleanStats()
    out: list[str | None] = []
    slots: list[int] = []  # where each text sent to the workers goes in ``out``

    def batches() -> Iterator[list[str]]:
        values = arrow.iter_strings(texts) if arrow.is_array(texts) else texts
        batch: list[str] = []
        chars = 0
        for i, value in enumerate(values):
            if isinstance(value, str):
                slots.append(i)
                out.append(None)
                batch.append(value)
                chars += len(value)
                counts.chars_in += len(value)
                if len(batch) >= BATCH_TEXTS or chars >= BATCH_CHARS:
                    yield batch
                    batch, chars = [], 0
            elif is_missing(value):
                counts.missing += 1
                out.append(None)
            else:
                raise TypeError(
                    f"text {i}: expected a str or a missing value (None, NaN), "
                    f"got {type(value).__name__}"
                )
        if batch:
            yield batch

    n_workers = default_workers() if workers is None else workers
    feed = batches()
    head = list(islice(feed, 2))
    if len(head) < 2:  # one batch at most: no pool
        n_workers = min(n_workers, 1)
    done = 0
    with Workers(pipeline, n_workers) as pool:
        for results, changed in pool.map(_clean_batch, chain(head, feed), chunk=1):
            counts.changed += changed
            for result in results:
                at = slots[done]
                if isinstance(result, Failure):
                    err = result.error
                    raise CleaningError(
                        err.step, f"text {at}: {err.message}", position=err.position
                    ) from result.exception()
                counts.chars_out += len(result)
                out[at] = result
                done += 1
    counts.texts = len(out)
    if stats is not None:
        _add(stats, counts)
    return out


def _add(total: CleanStats, more: CleanStats) -> None:
    total.texts += more.texts
    total.missing += more.missing
    total.changed += more.changed
    total.chars_in += more.chars_in
    total.chars_out += more.chars_out
