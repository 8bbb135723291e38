"""Join hard-wrapped lines back into paragraphs.

Scrapes of PDFs and paginated pages break sentences at arbitrary points
(``人民警\\n察的良好形象``).  A line break is removed when the text before it
cannot end a paragraph and the text after it cannot start one:

* the line so far ends in a Han character, a digit, or non-final punctuation
  (``，、`` or an opening bracket), not in ``。！？；：…”）》`` and the like;
* the next line is not blank and is not a heading or list item
  (``第二章``, ``一、``, ``（三）``, ``1.``, ``①``), and the two lines are not
  parallel records that both open with a field label (``第一组：…`` /
  ``第二组：…``, ``一等奖（3人）：…`` / ``二等奖（5人）：…``);
* and the line so far is either inside an unclosed bracket (``〔浅谈…群\\n众工作〕``)
  or looks like running text: at least ``min_chars`` characters including
  sentence punctuation, or at least ``long_chars`` characters.  Short lines
  without punctuation are titles and keep their line break.

Decisions are made on the line *as joined so far*, so a second pass makes
no further joins.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from ..edits import Edit
from ._chars import HAN, HEADING_UNIT, ZH_NUM
from .base import Normalizer
from .unicode import _MARKERS

__all__ = ["LineRepair", "is_heading"]

_S = r"[ \t\u3000]*"
_HEADING = regex.compile(
    rf"""^{_S}(?:
        [第笫]{_S}[{ZH_NUM}\d]{{1,6}}{_S}[{HEADING_UNIT}]
      | [{ZH_NUM}]{{1,4}}{_S}[、.．]
      | [(（]{_S}[{ZH_NUM}\d]{{1,4}}{_S}[)）]
      | \d{{1,3}}{_S}[.．、](?!\d)
      | [①-⑳⑴-⒇⒈-⒛]
      | [【〔\[]
      | [*•·●◆■\-–—]          # bullets, with or without the space OcrSpacing may take
    )""",
    regex.VERBOSE,
)
_ENDS_OPEN = regex.compile(rf"(?:{HAN}|\d|[，、,（(“‘《〈【〔「『])\Z")
_FINAL = regex.compile(r"[。！？；.!?;]")
# ASCII forms count too, so the decision is the same before and after Punctuation.
_SENTENCE_PUNCT = regex.compile(r"[，。、；：,;:！？!?.]")
# Brackets only: straight quotes cannot be told open from closed.
_OPENERS = "（(〔【《「『〈"
_CLOSERS = "）)〕】》」』〉"
_NONSPACE = regex.compile(r"\S")
# A field label opening a line: "第二组：", "三等奖（6人）：", "主持人："
_LABEL = regex.compile(rf"{_S}[^\s：:，。、；！？,;!?]{{2,12}}[：:]")
_BRACKET = regex.compile(f"[{regex.escape(_OPENERS + _CLOSERS)}]")


def _makes_marker(left: str, right: str) -> bool:
    """Whether joining ``left`` and ``right`` would make a lost-byte marker (see
    :class:`~textwash.normalizers.unicode.UnicodeRepair`) across the seam.

    >>> _makes_marker("……。屯", "屯屯，……"), _makes_marker("……。屯", "……")
    (True, False)
    """
    tail, head = left[-8:], right[:8]
    return any(m.start() < len(tail) < m.end() for m in _MARKERS.finditer(tail + head))


def is_heading(line: str) -> bool:
    """Whether ``line`` starts like a heading or list item.

    >>> [is_heading(s) for s in ["第二章 总则", "一、背景", "（三）做法", "1. 目标", "人民警察"]]
    [True, True, True, True, False]
    """
    return bool(_HEADING.match(line))


def _depth(line: str, depth: int = 0) -> int:
    """Brackets left open after ``line``, starting with ``depth`` open."""
    if not _BRACKET.search(line):
        return depth
    for ch in line:
        if ch in _OPENERS:
            depth += 1
        elif ch in _CLOSERS and depth > 0:
            depth -= 1
    return depth


class _Joined:
    """A line as joined so far, and the few facts :class:`LineRepair` asks of it.

    Recomputing them on the joined string at every line made a long wrapped
    paragraph quadratic.  The facts are now brought up to date only when a
    decision needs them, each line read once: linear, and lines that end a
    sentence (most of them) cost nothing.
    """

    __slots__ = ("_done", "_head", "chars", "depth", "final", "lines", "punct")

    #: How much of the joined line's start decides :func:`is_heading`.
    HEAD = 256

    def __init__(self, line: str) -> None:
        self.lines = [line]
        self._done = 0  # lines already counted into the facts
        self._head = ""
        self.chars = self.depth = 0
        self.final = self.punct = False

    @property
    def last(self) -> str:
        """The joined line's end: its last line without trailing space."""
        return self.lines[-1].rstrip()

    @property
    def head(self) -> str:
        """The first :attr:`HEAD` characters of the joined line."""
        if len(self._head) < self.HEAD:
            self._head = "".join(self.lines[: self.HEAD])[: self.HEAD]
        return self._head

    def update(self) -> None:
        """Count the lines joined since the last update into the facts."""
        for line in self.lines[self._done :]:
            self.chars += len(_NONSPACE.findall(line))
            self.final = self.final or bool(_FINAL.search(line))
            self.punct = self.punct or bool(_SENTENCE_PUNCT.search(line))
            self.depth = _depth(line, self.depth)
        self._done = len(self.lines)


@dataclass(frozen=True, repr=False)
class LineRepair(Normalizer):
    """Join lines that a hard wrap split inside a paragraph.

    >>> LineRepair()("要树立人民警察的良好形象,让他们对人民警\\n察存在信任。\\n\\n二、下一节")
    '要树立人民警察的良好形象,让他们对人民警察存在信任。\\n\\n二、下一节'
    >>> LineRepair()("浅谈公安机关如何做好群众工作\\n公安机关的群众工作是重要方面。")
    '浅谈公安机关如何做好群众工作\\n公安机关的群众工作是重要方面。'
    >>> LineRepair()("〔浅谈公安机关在新形势下如何做好群\\n众工作〕")
    '〔浅谈公安机关在新形势下如何做好群众工作〕'
    """

    min_chars: int = 20
    long_chars: int = 60

    def _joinable(self, current: _Joined, nxt: str) -> bool:
        if not nxt.strip() or is_heading(nxt):
            return False
        if _LABEL.match(nxt) and _LABEL.match(current.head):
            return False  # parallel records ("第一组：…" / "第二组：…"), not a wrapped line
        if not _ENDS_OPEN.match(current.last[-1:]):
            return False
        if _makes_marker(current.last, nxt):
            return False  # "…屯" + "屯屯…": a lost-byte marker the next run would remove
        current.update()
        if current.depth > 0:
            return True
        if is_heading(current.head.rstrip()) and not current.final:
            return False
        if current.chars >= self.long_chars:
            return True
        return current.chars >= self.min_chars and current.punct

    def may_edit(self, text: str) -> bool:
        """Whether ``text`` has a line break to remove.

        >>> LineRepair().may_edit("一行。"), LineRepair().may_edit("人民警\\n察")
        (False, True)
        """
        return "\n" in text

    def edits(self, text: str) -> list[Edit]:
        if "\n" not in text:
            return []
        out: list[Edit] = []
        lines = text.split("\n")
        current = _Joined(lines[0])
        pos = len(lines[0]) + 1  # where the line after the next line break starts
        for line in lines[1:]:
            if self._joinable(current, line):
                out.append(Edit(pos - 1, pos, ""))
                current.lines.append(line)
            else:
                current = _Joined(line)
            pos += len(line) + 1
        return out
