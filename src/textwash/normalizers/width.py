"""Full-width Latin letters, digits and numbers to half-width; full-width punctuation stays.

Text typed in a Chinese input method's full-width mode carries ``ＡＢＣ１２３``.
Letters and digits are narrowed wherever they are.  A *number expression* is
narrowed whole, so ``５．２％`` becomes ``5.2%``, never ``5．2％``.  It is a run of
full-width digits with the separators a number has, each only where it can be
part of one:

* ``．`` between digits (a decimal point or a version: ``５．２``, ``１．２．３``);
* ``，`` before a group of exactly three digits, after one to three digits
  (thousands: ``３，０００``, ``１２，３４５，６７８``);
* ``：`` before exactly two digits (a time: ``１２：３０``, ``８：０５：３０``);
* ``－`` between digits (a range or a phone number: ``３－５``, ``０１０－８８８８``);
* a leading ``－`` or ``＋`` sign not glued to a letter or digit (``－５``);
* a trailing ``％``.

>>> Width()("增长５．２％，收入３，０００元，１２：３０开始，气温－５度")
'增长5.2%，收入3,000元，12:30开始，气温-5度'

Everything else full-width stays, above all the punctuation of Chinese prose:
the ``，`` after ``％`` and ``元`` above; ``１，２`` is two numbers in a list,
not ``1,2``; ``３：２`` is a score or a ratio; ``１．概述`` is a list number:

>>> Width()("第１，２条；比分３：２；１．概述；ＡＰＰ（一）：好")
'第1，2条；比分3：2；1．概述；APP（一）：好'

A number written with ASCII digits is not touched (``50％`` is how many
Chinese input methods type it), and ``symbols=True`` also narrows
``＃＄％＆＊＋－／＜＝＞＠`` wherever they are.

The step is one rule, a pattern and the function narrowing a match, given as
its only pass: its edits and its call are both derived from it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import regex

from ..edits import Edit, sub_edits
from .base import Normalizer

__all__ = ["Width", "halfwidth_alnum"]

_FD = "[\uff10-\uff19]"  # a full-width digit
_FW_ALNUM = "\uff10-\uff19\uff21-\uff3a\uff41-\uff5a"
_FW_SYMBOLS = "\uff03-\uff06\uff0a\uff0b\uff0d\uff0f\uff1c-\uff1e\uff20"
# A full-width number expression (see the module docstring).
_NUMBER = (
    rf"(?:(?<![0-9A-Za-z{_FW_ALNUM}])[＋－](?={_FD}))?"
    rf"(?:{_FD}{{1,3}}(?:，{_FD}{{3}})+(?!{_FD})|{_FD}+)"
    rf"(?:．{_FD}+|：{_FD}{{2}}(?!{_FD})|－{_FD}+)*"
    "％?"
)
_FULLWIDTH_ALNUM = regex.compile(f"[{_FW_ALNUM}]+")
# What a match starts with.  The lookahead lets the regex engine skip ahead to
# a full-width character (without it the optional sign makes every position a
# candidate: 20x slower), and a text without one has nothing to narrow.
_START = f"[＋－{_FW_ALNUM}]"
_START_SYMBOLS = f"[{_FW_ALNUM}{_FW_SYMBOLS}]"
_PATTERN = regex.compile(f"(?={_START})(?:{_NUMBER}|[{_FW_ALNUM}]+)")
_PATTERN_SYMBOLS = regex.compile(f"(?={_START_SYMBOLS})(?:{_NUMBER}|[{_FW_ALNUM}{_FW_SYMBOLS}]+)")
# The same as plain character classes for the standard library's ``re``, which
# scans one several times as fast as ``regex``: Width.may_edit.
_STARTS = re.compile(_START)
_STARTS_SYMBOLS = re.compile(_START_SYMBOLS)
# U+FF01-FF5E are the full-width forms of ASCII 0x21-0x7E.
_NARROW = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}


def _narrow(m: regex.Match[str]) -> str:
    return m[0].translate(_NARROW)


def halfwidth_alnum(text: str) -> str:
    """Map full-width ``Ａ-Ｚ ａ-ｚ ０-９`` to ASCII (letters and digits only).

    >>> halfwidth_alnum("ＡＢＣ１２３，好")
    'ABC123，好'
    """
    return _FULLWIDTH_ALNUM.sub(_narrow, text)


@dataclass(frozen=True, repr=False)
class Width(Normalizer):
    """Half-width letters, digits and number expressions; keep Chinese punctuation.

    >>> Width()("ＡＰＰ下载量达到２０２３万，（一）")
    'APP下载量达到2023万，（一）'
    >>> Width()("占比５．２％，增长１２，３４５人")
    '占比5.2%，增长12,345人'

    ``symbols=True`` also narrows ``＃＄％＆＊＋－／＜＝＞＠`` outside numbers,
    which Chinese text usually writes half-width.
    """

    symbols: bool = False

    def _pattern(self) -> regex.Pattern[str]:
        return _PATTERN_SYMBOLS if self.symbols else _PATTERN

    def may_edit(self, text: str) -> bool:
        """Whether ``text`` holds a character a match starts with.

        >>> Width().may_edit("增长5.2%，（一）"), Width().may_edit("增长５．２％")
        (False, True)
        >>> Width().may_edit("＃话题＃"), Width(symbols=True).may_edit("＃话题＃")
        (False, True)
        """
        return (_STARTS_SYMBOLS if self.symbols else _STARTS).search(text) is not None

    def _edits(self, text: str) -> list[Edit]:
        return sub_edits(self._pattern(), text, _narrow)

    def _passes(self) -> list[Callable[[str], list[Edit]]]:
        # Edits and call both come from this one pass (see Normalizer._passes):
        # a pattern.sub call was measured no faster on the seed dump.
        return [self._edits]
