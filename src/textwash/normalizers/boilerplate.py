"""Site boilerplate lines and titles printed twice.

Chinese document-sharing sites wrap every document in their own text: download
notices (``下载文档前请自行甄别文档内容的完整性…``), widgets (``相关文档``,
``最新文档``, ``合集下载``), breadcrumbs (``三一文库()/免费论文/…``) and page
counters.  :class:`Boilerplate` removes such lines and takes user patterns;
:class:`RepeatedLines` collapses a line printed twice in a row (the scraped
title echo).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

import regex

from ..edits import Edit
from ._tables import read_table
from .base import Normalizer
from .chinese import get_converter

__all__ = ["Boilerplate", "RepeatedLines", "line_key", "load_patterns"]

_TO_FULL = (
    (",", "，"),
    ("(", "（"),
    (")", "）"),
    (":", "："),
    (";", "；"),
    ("!", "！"),
    ("?", "？"),
)


def _widen(text: str) -> str:
    # str.replace per character beats str.translate, which looks up every character
    for ascii_, full in _TO_FULL:
        if ascii_ in text:
            text = text.replace(ascii_, full)
    return text


_SPACE = regex.compile(r"[\s\u200b]+")
_LIST_PREFIX = regex.compile(r"^(?:\d{1,3}[.、．)）]|[①-⑳])+")
# span patterns, matched on the raw line: a check-mark badge before a title
_PREFIXES = regex.compile(r"^[ \t]*[(（][√✓✔][)）]")
_LINE = regex.compile(r"[^\n]*\n|[^\n]+")
_NON_ASCII = regex.compile(r"[^\x00-\x7f]")


def line_key(line: str) -> str:
    """The loose form of a line that patterns and repeat detection compare.

    Whitespace removed, ASCII punctuation widened, traditional characters
    simplified and leading list numbers dropped, so a pattern matches the line
    before and after the rest of the pipeline has cleaned it.

    >>> line_key("  1. 1、下載文檔前請自行甄別 (完整性)")
    '下载文档前请自行甄别（完整性）'
    """
    if _NON_ASCII.search(line):
        line = get_converter("t2s").convert(line)
    return _loose(line)


def _loose(line: str) -> str:
    return _LIST_PREFIX.sub("", _widen(_SPACE.sub("", line)))


# _loose for every line of a text at once: spaces other than line breaks
_SPACE_IN_LINE = regex.compile(r"(?:[^\S\n]|\u200b)+")
_LIST_PREFIX_LINES = regex.compile(r"(?m)^(?:\d{1,3}[.、．)）]|[①-⑳])+")


def _lines_with_keys(
    text: str, max_chars: int, fold: bool = True
) -> list[tuple[regex.Match[str], str | None]]:
    """Every line of ``text`` with its :func:`line_key`, or None when it is longer
    than ``max_chars`` (long lines are never boilerplate or titles).

    The keys of all lines are made at once, on the whole text: one OpenCC call,
    one pass of each pattern; OpenCC and these passes leave line breaks alone,
    so the lines still pair up.
    """
    folded = get_converter("t2s").convert(text) if fold and _NON_ASCII.search(text) else text
    loose = _LIST_PREFIX_LINES.sub("", _widen(_SPACE_IN_LINE.sub("", folded)))
    keys = loose.split("\n")
    lines = list(_LINE.finditer(text))
    if len(keys) - (1 if loose.endswith("\n") else 0) != len(lines):  # pragma: no cover
        keys = [_loose(m.group(0).rstrip("\n")) for m in lines]  # safety net
    return [
        (m, keys[i] if 1 < m.end() - m.start() <= max_chars else None) for i, m in enumerate(lines)
    ]


def _parse(text: str, where: str) -> list[str]:
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            regex.compile(line)
        except regex.error as exc:
            raise ValueError(f"{where}:{n}: bad pattern {line!r}: {exc}") from None
        out.append(line)
    return out


def load_patterns(path: str | os.PathLike[str] | None = None) -> list[str]:
    """Patterns from a file (one regex a line, ``#`` comments), or the shipped list.

    >>> "^第\\\\d+页(?:[，,/]?共\\\\d+页)?$" in load_patterns()
    True
    """
    return _parse(*read_table(path, "boilerplate.txt"))


@lru_cache(maxsize=16)
def _compiled(
    builtin: bool, patterns: tuple[str, ...], patterns_file: str | None
) -> regex.Pattern[str]:
    pats = (load_patterns() if builtin else []) + list(patterns)
    if patterns_file:
        pats += load_patterns(patterns_file)
    if not pats:
        return regex.compile(r"(?!)")
    # one alternation: a single search per line however many patterns there are
    return regex.compile("|".join(f"(?:{p})" for p in pats))


# Every shipped pattern needs one of these characters, so a line without any of
# them is skipped without running the alternation (user patterns get no shortcut).
_SHIPPED_HINT = regex.compile(r"[文页/\-—–Pp欢荐载读]")


@dataclass(frozen=True, repr=False)
class Boilerplate(Normalizer):
    """Remove site boilerplate lines (download notices, widgets, breadcrumbs, page counters).

    >>> Boilerplate()("(√)标题\\n正文。\\n相关文档\\n第 2 页 共 5 页\\n")
    '标题\\n正文。\\n'

    Patterns are regexes searched in :func:`line_key` of each line; lines longer
    than ``max_chars`` are content, whatever they contain.
    ``patterns`` and ``patterns_file`` add your own; ``builtin=False`` drops the
    shipped ones (``textwash/data/boilerplate.txt``).
    """

    builtin: bool = True
    patterns: tuple[str, ...] = ()
    patterns_file: str | None = None
    max_chars: int = 200

    def _is_boilerplate(self, key: str) -> bool:
        shipped_only = self.builtin and not self.patterns and not self.patterns_file
        if shipped_only and not _SHIPPED_HINT.search(key):
            return False
        return bool(_compiled(self.builtin, tuple(self.patterns), self.patterns_file).search(key))

    def edits(self, text: str) -> list[Edit]:
        out: list[Edit] = []
        for m, key in _lines_with_keys(text, self.max_chars):
            body = m.group(0).rstrip("\n")
            if key and self._is_boilerplate(key):
                out.append(Edit(m.start(), m.end(), ""))
                continue
            p = _PREFIXES.match(body)
            if p:
                out.append(Edit(m.start() + p.start(), m.start() + p.end(), ""))
        return out


@dataclass(frozen=True, repr=False)
class RepeatedLines(Normalizer):
    """Collapse a line printed twice in a row, the scraped title echo.

    >>> RepeatedLines()("标题\\n\\n标题\\n\\n标题标题正文。\\n")
    '标题\\n\\n\\n标题正文。\\n'

    A line whose :func:`line_key` equals the previous non-blank line's goes when
    it is at most ``max_chars`` long; a title repeated two or more times at the
    start of the next line (``TT正文`` after a line ``T``) is cut to one copy.
    Blank lines are left for :class:`Whitespace` to fold.
    ``fold=False`` compares lines without folding traditional to simplified
    first: right when the text is simplified already (the ``zh`` preset runs
    this step after ``ChineseConvert("t2s")``), and one OpenCC pass cheaper.
    """

    max_chars: int = 100
    fold: bool = True

    @staticmethod
    def _repeated_prefix(title: str, body: str) -> tuple[int, int] | None:
        """Span of the extra copies when ``body`` starts with ``title`` twice or more."""
        if len(title) < 2:
            return None
        stripped = body.lstrip()
        lead = len(body) - len(stripped)
        copies = 0
        while stripped.startswith(title * (copies + 1)):
            copies += 1
        if copies < 2 or len(stripped) == copies * len(title):
            return None
        return lead + len(title), lead + len(title) * copies

    def edits(self, text: str) -> list[Edit]:
        out: list[Edit] = []
        prev_key = ""
        prev_body = ""
        for m, line_key_ in _lines_with_keys(text, self.max_chars + 1, self.fold):
            body = m.group(0).rstrip("\n")
            if not body.strip():
                continue
            key = line_key_ or ""
            if prev_key and len(prev_key) <= self.max_chars:
                if key == prev_key:
                    out.append(Edit(m.start(), m.end(), ""))
                    continue
                cut = self._repeated_prefix(prev_body.strip(), body)
                if cut:
                    rest = body[: cut[0]] + body[cut[1] :]
                    rest_key = line_key(rest) if self.fold else _loose(rest)
                    # A line of nothing but copies of the title ("TT", but also
                    # "TT\r" or "TT\u200b") is left whole: cut to one copy, it
                    # would be an exact repeat that the next run removes.
                    if rest_key != prev_key:
                        out.append(Edit(m.start() + cut[0], m.start() + cut[1], ""))
                        body, key = rest, rest_key
            prev_key, prev_body = key, body
        return out
