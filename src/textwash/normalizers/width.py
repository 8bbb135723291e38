"""Full-width Latin letters and digits to half-width; full-width punctuation stays."""

from __future__ import annotations

from dataclasses import dataclass

import regex

from ..edits import Edit, sub_edits
from .base import Normalizer

__all__ = ["Width", "halfwidth_alnum"]

_FULLWIDTH_ALNUM = regex.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]+")
_FULLWIDTH_ALNUM_SYMBOLS = regex.compile(
    "[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a\uff03-\uff06\uff0a\uff0b\uff0d\uff0f\uff1c-\uff1e\uff20]+"
)


def halfwidth_alnum(text: str) -> str:
    """Map full-width ``Ａ-Ｚ ａ-ｚ ０-９`` to ASCII.

    >>> halfwidth_alnum("ＡＢＣ１２３，好")
    'ABC123，好'
    """
    return _FULLWIDTH_ALNUM.sub(lambda m: _shift(m[0]), text)


def _shift(s: str) -> str:
    return "".join(chr(ord(c) - 0xFEE0) for c in s)


@dataclass(frozen=True, repr=False)
class Width(Normalizer):
    """Half-width letters and digits; keep full-width Chinese punctuation.

    >>> Width()("ＡＰＰ下载量达到２０２３万，（一）")
    'APP下载量达到2023万，（一）'

    ``symbols=True`` also narrows ``＃＄％＆＊＋－／＜＝＞＠``, which Chinese text
    usually writes half-width.
    """

    symbols: bool = False

    def _fast(self, text: str) -> str:
        pattern = _FULLWIDTH_ALNUM_SYMBOLS if self.symbols else _FULLWIDTH_ALNUM
        return pattern.sub(lambda m: _shift(m[0]), text)

    def edits(self, text: str) -> list[Edit]:
        pattern = _FULLWIDTH_ALNUM_SYMBOLS if self.symbols else _FULLWIDTH_ALNUM
        return sub_edits(pattern, text, lambda m: _shift(m[0]))
