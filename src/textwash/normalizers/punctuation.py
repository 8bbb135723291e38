"""Restore full-width punctuation in Chinese context (GB/T 15834).

Scraped dumps often went through an NFKC pass that flattened ``，（）：；？！``
to ASCII.  This step puts them back where the context is Chinese and leaves
numbers (``12:30``, ``3.14``), URLs and English sentences alone:

* ``, ; : ? !`` directly after a Han character or closing Chinese bracket/quote,
  and ``, ;`` between a number and Han (``20:30,其他`` → ``20:30，其他``);
* ``.`` after Han when no letter or digit follows (``保护群众.所谓`` → ``。``),
  and runs of two or more of ``.。…`` after Han (spaces between allowed) become
  ``……``;
* ``( )`` around content with Han, or around a Chinese ordinal (``(三)``);
* straight ``"…"`` and ``'…'`` around content with Han become ``“…”``/``‘…’``,
  and half-straight pairs (``“第一线"``) are completed.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from ..edits import Edit, chain_edits, sub_edits
from ._chars import CJK_CLOSE, HAN, HSPACE, ZH_NUM
from .base import Normalizer

__all__ = ["Punctuation"]

_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
_LEFT = rf"(?:{HAN}|[{CJK_CLOSE}…—])"
_HAS_HAN = regex.compile(HAN)
_ORDINAL = regex.compile(rf"^{HSPACE}*[{ZH_NUM}]{{1,4}}{HSPACE}*$")

_URL = regex.compile(
    r"(?:https?|ftp)://[^\s\p{Han}，。“”]+|www\.[^\s\p{Han}，。“”]+"
    r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.]+"
)
_URL_HINT = regex.compile(r"://|www\.|@")
_PARENS = regex.compile(r"(?P<o>[(（])(?P<c>[^()（）\n]{1,120})(?P<cl>[)）])")
_DQUOTES = regex.compile(r'(?P<o>["“])(?P<c>[^"“”\n]{1,200})(?P<cl>["”])')
_SQUOTES = regex.compile(r"(?P<o>')(?P<c>[^'‘’\n]{1,100})(?P<cl>')")
_ELLIPSIS = regex.compile(rf"(?<={HAN}{HSPACE}*)[.。…](?:{HSPACE}*[.。…])+")
# what _ELLIPSIS needs when there is no "." or "…": two 。, maybe with spaces between
_PERIOD_RUN = regex.compile(rf"。{HSPACE}*。")
_MARKS = regex.compile(
    rf"(?<={_LEFT}{HSPACE}*)[,;:?!]+"
    # a comma or semicolon after a number that goes on in Chinese: "20:30,其他"
    rf"|(?<=[\d%])[,;](?={HSPACE}*{HAN})"
)
_PERIOD = regex.compile(rf"(?<={HAN}{HSPACE}*)\.(?!{HSPACE}*[.。…])(?![A-Za-z0-9_])")


def _outside(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return not any(s < end and start < e for s, e in spans)


@dataclass(frozen=True, repr=False)
class Punctuation(Normalizer):
    """Full-width punctuation in Han context; ASCII elsewhere stays.

    >>> Punctuation()("近年来,随着发展(三)要求:提高?")
    '近年来，随着发展（三）要求：提高？'
    >>> Punctuation()('他说:"你好"')
    '他说：“你好”'
    >>> Punctuation()("12:30, 3.14, (a) and Hello, world!")
    '12:30, 3.14, (a) and Hello, world!'
    >>> Punctuation()("保护群众.所谓")
    '保护群众。所谓'

    Switch rule groups off with ``marks``, ``periods``, ``brackets``, ``quotes``.
    """

    marks: bool = True
    periods: bool = True
    brackets: bool = True
    quotes: bool = True

    def _protected(self, text: str) -> list[tuple[int, int]]:
        if not _URL_HINT.search(text):
            return []
        return [m.span() for m in _URL.finditer(text)]

    def _quotes(self, text: str) -> list[Edit]:
        urls = self._protected(text)
        out: list[Edit] = []
        for pattern, pair in ((_DQUOTES, "“”"), (_SQUOTES, "‘’")):
            for m in pattern.finditer(text):
                if m["o"] + m["cl"] == pair or not _HAS_HAN.search(m["c"]):
                    continue
                if not _outside(urls, m.start(), m.end()):
                    continue
                if m["o"] != pair[0]:
                    out.append(Edit(m.start("o"), m.end("o"), pair[0]))
                if m["cl"] != pair[1]:
                    out.append(Edit(m.start("cl"), m.end("cl"), pair[1]))
        out.sort(key=lambda e: e.start)
        return out

    def _brackets(self, text: str) -> list[Edit]:
        urls = self._protected(text)
        out: list[Edit] = []
        for m in _PARENS.finditer(text):
            if m["o"] == "（" and m["cl"] == "）":
                continue
            c = m["c"]
            if not (_HAS_HAN.search(c) or _ORDINAL.match(c)):
                continue
            if not _outside(urls, m.start(), m.end()):
                continue
            if m["o"] == "(":
                out.append(Edit(m.start("o"), m.end("o"), "（"))
            if m["cl"] == ")":
                out.append(Edit(m.start("cl"), m.end("cl"), "）"))
        return out

    def _marks(self, text: str) -> list[Edit]:
        urls = self._protected(text)
        return [
            e
            for e in sub_edits(_MARKS, text, lambda m: "".join(_FULL[c] for c in m[0]))
            if _outside(urls, e.start, e.end)
        ]

    def _periods(self, text: str) -> list[Edit]:
        urls = self._protected(text)
        edits = sub_edits(_ELLIPSIS, text, "……") + sub_edits(_PERIOD, text, "。")
        edits.sort(key=lambda e: e.start)
        return [e for e in edits if _outside(urls, e.start, e.end)]

    @staticmethod
    def _requote(m: regex.Match[str], pair: str) -> str:
        if m["o"] + m["cl"] == pair or not _HAS_HAN.search(m["c"]):
            return m.group(0)
        return pair[0] + m["c"] + pair[1]

    @staticmethod
    def _rebracket(m: regex.Match[str]) -> str:
        c = m["c"]
        if not (_HAS_HAN.search(c) or _ORDINAL.match(c)):
            return m.group(0)
        return "（" + c + "）"

    def _fast(self, text: str) -> str | None:
        if _URL_HINT.search(text):
            return None  # the edit path knows how to step around URLs
        if self.quotes and ('"' in text or "'" in text):
            text = _DQUOTES.sub(lambda m: self._requote(m, "“”"), text)
            text = _SQUOTES.sub(lambda m: self._requote(m, "‘’"), text)
        if self.brackets and ("(" in text or ")" in text):
            text = _PARENS.sub(self._rebracket, text)
        if self.periods and ("." in text or "…" in text or _PERIOD_RUN.search(text)):
            text = _PERIOD.sub("。", _ELLIPSIS.sub("……", text))
        if self.marks:
            text = _MARKS.sub(lambda m: "".join(_FULL[c] for c in m[0]), text)
        return text

    def edits(self, text: str) -> list[Edit]:
        passes = []
        if self.quotes:
            passes.append(self._quotes)
        if self.brackets:
            passes.append(self._brackets)
        if self.periods:
            passes.append(self._periods)
        if self.marks:
            passes.append(self._marks)
        return chain_edits(text, *passes)
