"""Traditional/simplified and regional variant conversion with OpenCC.

OpenCC converters cannot be pickled and hold the interpreter lock, so the
normalizer stores only the config name and builds one converter per process
on first use.  ``tw2s``/``tw2sp``/``hk2s`` rewrite words that are already
simplified (``显著`` → ``显着``, ``么`` → ``幺``), so by default they are applied
only to texts that are mostly traditional (see ``only_if_traditional``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import regex

from ..edits import Edit, line_diff_edits
from .base import Normalizer

__all__ = ["OPENCC_CONFIGS", "ChineseConvert", "get_converter", "traditional_ratio"]

#: Config names shipped with the OpenCC package.
OPENCC_CONFIGS = (
    "hk2s", "hk2sp", "hk2t", "jp2t", "s2hk", "s2hkp", "s2t", "s2tw", "s2twp",
    "t2hk", "t2jp", "t2s", "t2tw", "tw2s", "tw2sp", "tw2t",
)  # fmt: skip

#: Configs that damage simplified text and so are gated by default.
RISKY_CONFIGS = frozenset({"tw2s", "tw2sp", "hk2s", "hk2sp"})

_converters: dict[tuple[int, str], Any] = {}
_HAN = regex.compile(r"\p{Han}")
_SURROGATES = regex.compile(r"[\ud800-\udfff]+")


class _Converter:
    """An ``opencc.OpenCC`` that also takes text with lone surrogates.

    OpenCC encodes its input as UTF-8, which lone surrogates (from a bad
    ``\\ud800`` escape in JSON) cannot be; the text around them is converted
    and they are passed through.
    """

    def __init__(self, config: str) -> None:
        import opencc

        self._cc = opencc.OpenCC(config)

    def convert(self, text: str) -> str:
        """Convert ``text``; lone surrogates pass through unchanged."""
        if not _SURROGATES.search(text):
            return str(self._cc.convert(text))
        parts = _SURROGATES.split(text)
        seps = _SURROGATES.findall(text)
        out = [str(self._cc.convert(p)) if p else p for p in parts]
        return "".join(x for pair in zip(out, [*seps, ""], strict=True) for x in pair)


def get_converter(config: str) -> Any:
    """The process-wide OpenCC converter for ``config`` (created on first use).

    >>> get_converter("t2s").convert("漢字")
    '汉字'
    """
    key = (os.getpid(), config)
    conv = _converters.get(key)
    if conv is None:
        if config not in OPENCC_CONFIGS:
            raise ValueError(f"unknown OpenCC config {config!r}; choose one of {OPENCC_CONFIGS}")
        conv = _Converter(config)
        _converters[key] = conv
    return conv


def traditional_ratio(text: str) -> float:
    """Share of Han characters that ``t2s`` would change: ~0 for simplified text.

    >>> traditional_ratio("這是繁體字")
    0.4
    >>> traditional_ratio("这是简体中文")
    0.0
    """
    han = _HAN.findall(text)
    if not han:
        return 0.0
    sample = "".join(han)
    converted = get_converter("t2s").convert(sample)
    changed = sum(1 for a, b in zip(sample, converted, strict=False) if a != b)
    return changed / len(sample)


@dataclass(frozen=True, repr=False)
class ChineseConvert(Normalizer):
    """Convert between Chinese scripts with any OpenCC config (default ``t2s``).

    >>> ChineseConvert()("這個軟體很好用")
    '这个软体很好用'
    >>> ChineseConvert("s2t")("这个软件很好用")
    '這個軟件很好用'
    >>> ChineseConvert("tw2s")("显著")          # gated: the text is not traditional
    '显著'

    ``only_if_traditional``: apply only when at least ``min_traditional`` of the
    Han characters are traditional.  ``None`` (the default) turns the gate on for
    the risky configs (``tw2s``, ``tw2sp``, ``hk2s``, ``hk2sp``) only.

    Configs from simplified (``s2*``) expect simplified input and misread text
    that is already traditional (``觀念`` → ``觀唸``, ``里辦公處`` → ``裏辦公處``),
    so by default they skip every line that already contains traditional
    characters (``skip_traditional_lines``).  Running the step twice then
    changes nothing more, and traditional text passes through untouched.

    >>> ChineseConvert("s2t")("观念\\n根據里辦公處的統計")
    '觀念\\n根據里辦公處的統計'
    """

    config: str = "t2s"
    only_if_traditional: bool | None = None
    min_traditional: float = 0.05
    skip_traditional_lines: bool = True

    def __post_init__(self) -> None:
        if self.config not in OPENCC_CONFIGS:
            raise ValueError(
                f"unknown OpenCC config {self.config!r}; choose one of {', '.join(OPENCC_CONFIGS)}"
            )

    def _gated(self) -> bool:
        if self.only_if_traditional is None:
            return self.config in RISKY_CONFIGS
        return self.only_if_traditional

    def edits(self, text: str) -> list[Edit]:
        if not _HAN.search(text):
            return []
        if self._gated() and traditional_ratio(text) < self.min_traditional:
            return []
        conv = get_converter(self.config)
        if self.skip_traditional_lines and self.config.startswith("s2"):
            t2s = get_converter("t2s")

            def convert(line: str) -> str:
                return line if t2s.convert(line) != line else conv.convert(line)

            return line_diff_edits(text, convert)
        return line_diff_edits(text, conv.convert)

    def _fast(self, text: str) -> str | None:
        # One OpenCC call for the whole text: no dictionary phrase spans a line
        # break, so it equals converting line by line (the property tests check it).
        if self.skip_traditional_lines and self.config.startswith("s2"):
            return None
        if not _HAN.search(text):
            return text
        if self._gated() and traditional_ratio(text) < self.min_traditional:
            return text
        return str(get_converter(self.config).convert(text))
