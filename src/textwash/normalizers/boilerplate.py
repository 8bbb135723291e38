"""Site boilerplate lines and titles printed twice.

Chinese document-sharing sites wrap every document in their own text: download
notices (``下载文档前请自行甄别文档内容的完整性…``), widgets (``相关文档``,
``最新文档``, ``合集下载``), breadcrumbs (``三一文库()/免费论文/…``) and page
counters.  :class:`Boilerplate` removes such lines and takes user patterns.

Scrapers also print every title again: on the next line, and glued to the
start of the first paragraph.  :class:`RepeatedLines` removes those echoes,
and only those: a line repeated in a table, a list, a poem or lyrics is
content, so a repeat goes only when the evidence says it is a title's.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache

import regex

from ..edits import Edit
from ._chars import HAN_OR_PUNCT, HSPACE, ZH_NUM
from ._tables import read_table
from .base import Normalizer
from .chinese import get_converter, traditional_chars

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
    text: str, max_chars: int | None, fold: bool = True
) -> list[tuple[regex.Match[str], str | None]]:
    """Every line of ``text`` with its :func:`line_key`, or None when the key is
    longer than ``max_chars`` (long lines are never boilerplate); ``None``: every key.

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
    if max_chars is None:
        return list(zip(lines, keys, strict=False))
    # The key's length, not the line's: later steps shorten a line (OcrSpacing
    # deletes its spaces), and a line of 220 characters with 30 spaces in it
    # was content on the first run and boilerplate on the next (issue 15).
    return [
        (m, keys[i] if m.end() - m.start() > 1 and len(keys[i]) <= max_chars else None)
        for i, m in enumerate(lines)
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


@lru_cache(maxsize=1)
def _shipped() -> tuple[regex.Pattern[str], ...]:
    """The shipped patterns compiled one by one.

    Searching each in turn finds a match in the same keys as searching their
    alternation (no shipped pattern has a global flag or a backreference,
    which the alternation would carry to, or renumber for, the others), and
    costs a quarter as much on a long line: alone, a pattern lets the regex
    engine skip ahead to where it can match.
    """
    return tuple(regex.compile(p) for p in load_patterns())


# Every shipped pattern needs one of these characters, so a line without any of
# them is skipped without running the alternation (user patterns get no shortcut).
_HINT = r"文页/\-—–Pp欢荐载读"
_SHIPPED_HINT = regex.compile(f"[{_HINT}]")
# The same for Boilerplate.may_edit, for the standard library's re (which scans
# a character class faster); and with what a check-mark badge (_PREFIXES) needs.
_HINT_CHARS = re.compile(f"[{_HINT}]")
_HINT_OR_BADGE = re.compile(f"[{_HINT}√✓✔]")


@dataclass(frozen=True, repr=False)
class Boilerplate(Normalizer):
    """Remove site boilerplate lines (download notices, widgets, breadcrumbs, page counters).

    >>> Boilerplate()("(√)标题\\n正文。\\n相关文档\\n第 2 页 共 5 页\\n")
    '标题\\n正文。\\n'

    Patterns are regexes searched in :func:`line_key` of each line; lines whose
    key is longer than ``max_chars`` are content, whatever they contain.
    ``patterns`` and ``patterns_file`` add your own; ``builtin=False`` drops the
    shipped ones (``textwash/data/boilerplate.txt``).
    """

    builtin: bool = True
    patterns: tuple[str, ...] = ()
    patterns_file: str | None = None
    max_chars: int = 200

    def _shipped_only(self) -> bool:
        return self.builtin and not self.patterns and not self.patterns_file

    def may_edit(self, text: str) -> bool:
        """Whether a line may be a check-mark badge's or boilerplate: with the
        shipped patterns alone, only one whose key has a hint character, and the
        keys are made of the text's characters or, folded, of its simplified form.

        >>> Boilerplate().may_edit("近年来，随着社会的发展。"), Boilerplate().may_edit("相关文档")
        (False, True)
        >>> Boilerplate().may_edit("相關推薦"), Boilerplate(patterns=("^无关$",)).may_edit("正文")
        (True, True)
        """
        if not self._shipped_only():
            return True
        if _HINT_OR_BADGE.search(text):
            return True
        # (the keys OpenCC folds: widening and dropping spaces add no hint character)
        return (
            not text.isascii()
            and _HINT_CHARS.search(get_converter("t2s").convert(text)) is not None
        )

    def _is_boilerplate(self, key: str) -> bool:
        if self._shipped_only():
            return bool(_SHIPPED_HINT.search(key)) and any(p.search(key) for p in _shipped())
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


# -- RepeatedLines: which repeated lines are a scraper's title echo ------------------

_HAS_WORD = regex.compile(r"[\p{L}\p{N}]")
_HAN_CHAR = regex.compile(r"\p{Han}")
# a gap OcrSpacing judges: blanks between Han characters or CJK punctuation
_KEPT_GAP = regex.compile(rf"(?<={HAN_OR_PUNCT}){HSPACE}+(?={HAN_OR_PUNCT})")
# A line ending like a sentence or a clause is not a title; "……" and ".." may
# end a title a site truncated, so a final "." counts only on its own.
_CLAUSE_END = regex.compile(r"(?:[。！？；，、：!?;,:]|(?<!\.)\.)\s*\Z")
# Table rows: a pipe at either end or two pipes ("是 | 否 | 是"), or tab-separated cells.
_TABLE_ROW = regex.compile(r"\A\s*[|｜]|[|｜]\s*\Z|[|｜].*[|｜]|\S\t+\S")
# List items and bullets; "第一章 总则" and a bracketed "【摘要】" or "〔…〕" are
# title shapes, not list items.
_LIST_ITEM = regex.compile(
    rf"\A\s*(?:[{ZH_NUM}]{{1,4}}\s*[、.．]|[(（]\s*[{ZH_NUM}\d]{{1,4}}\s*[)）]"
    r"|\d{1,3}\s*[.．、)）](?!\d)|[①-⑳⑴-⒇⒈-⒛]|[-*+•·●◆■▪–—>])"
)
# Code: indented lines, fences, comments, tags, braces, operators, calls f(...).
_CODE = regex.compile(
    r"\A(?:\t| {4})|\A\s*(?:```|~~~|//|/\*|#include|#!|<[A-Za-z/!])"
    r"|[{}]|==|!=|=>|->|:=|(?<![A-Za-z0-9_])[A-Za-z_][A-Za-z0-9_.]*\("
)
_FENCE = regex.compile(r"(?m)^[ \t]*(?:```|~~~)")
_NOT_SPACE = regex.compile(r"[^\s\u200b]")

#: Lines of a verse or lyrics block are at most this long (key characters).
VERSE_CHARS = 24

# After a title echo glued to a paragraph, what is left must start a sentence.
_OPENS_SENTENCE = "“‘「『【〔"
_NUMBERED = regex.compile(r"\d{1,3}[.．、]\s*[^\d\s]")
# Characters that continue the phrase before them: the title's words are the
# subject or object of the sentence ("做好群众工作是…"), not an echo.
_CONTINUES = frozenset(
    "的之地得是了着过们和与及或并而且等但却也都就还又才则即乃吗呢吧啊呀么所被性化者"
)
# Characters that may start a sentence or continue one ("为规范…" / "…为本"):
# accepted only when the title was printed again already (an echo line or
# "TT" before the paragraph).
_MAY_CONTINUE = frozenset(
    "为在对从以由于向把将让使给有无不没要能会可应已正需须必中上下里内外间时前后"
)
# Running text has clause punctuation ("…" alone does not make a sentence).
_RUNNING = regex.compile(r"[，。；：！？,;:!?]")


def _title_like(body: str, key: str, max_chars: int) -> bool:
    """Whether a line reads as a title: short, a word in it, no clause ending,
    and not a table row, a list item or code.

    >>> [_title_like(s, _loose(s), 100) for s in ["浅谈新时期群众工作方法……", "一、背景",
    ...  "| 是 |", "好好学习。", "print(x)", "第一章 总则"]]
    [True, False, False, False, False, True]
    """
    return (
        2 <= len(key) <= max_chars
        and _HAS_WORD.search(key) is not None
        and not _CLAUSE_END.search(body)
        and not _TABLE_ROW.search(body)
        and not _LIST_ITEM.match(body)
        and not _CODE.search(body)
    )


def _starts_sentence(rest: str, sure: bool) -> bool:
    """Whether ``rest`` (what follows a title echo) starts a sentence of its own.

    ``sure``: the title was already printed again, so a character that may
    either start or continue a sentence is read as a start.

    >>> [_starts_sentence(s, False) for s in ["近年来，", "是党的…", "为规范…", "【摘要】", "(2)"]]
    [True, False, False, True, False]
    >>> _starts_sentence("为规范…", True)
    True
    """
    c = rest[:1]
    if not c:
        return False
    if c in _OPENS_SENTENCE or _NUMBERED.match(rest):
        return True
    if not _HAN_CHAR.match(c) or c in _CONTINUES:
        return False
    return sure or c not in _MAY_CONTINUE


def _short_lines(lens: list[int], n: int) -> bool:
    """Whether ``lens`` are the key lengths of ``n`` or more verse-short lines."""
    return len(lens) >= n and max(lens) <= VERSE_CHARS


_SITE = Boilerplate()


@dataclass(frozen=True, repr=False)
class RepeatedLines(Normalizer):
    """Remove a title printed again: the line echoed below it, and the echo
    glued to the start of the first paragraph.

    >>> RepeatedLines()("浅谈新时期的公安群众工作\\n\\n浅谈新时期的公安群众工作\\n\\n"
    ...                 "浅谈新时期的公安群众工作近年来，随着社会经济的发展，……\\n")
    '浅谈新时期的公安群众工作\\n\\n\\n近年来，随着社会经济的发展，……\\n'

    Only a title's repeat goes.  A line is a *title* when it is title-like
    (at most ``max_chars`` long, a letter or digit in it, no sentence or
    clause punctuation at its end, not a table row, list item or code line,
    not inside a fenced code block) and starts a section (the text's first
    line, or right after a blank line or a site boilerplate line).  Lines
    repeated anywhere else stay: table rows, list items, verse and lyrics.

    >>> RepeatedLines()("| 是 |\\n| 是 |\\n- 好\\n- 好\\n")
    '| 是 |\\n| 是 |\\n- 好\\n- 好\\n'

    A copy of a title goes, right below it or after blank lines, unless it is
    part of a verse: three or more copies in a row, or a section whose first
    lines (three or four of them) are all short (:data:`VERSE_CHARS`); a line
    right below a stanza (two or more short lines) is not a title either.

    >>> verse = "春晓\\n\\n好好学习\\n好好学习\\n天天向上\\n\\n好好学习\\n好好学习\\n好好学习\\n"
    >>> RepeatedLines()(verse) == verse
    True

    A paragraph that starts with the title printed again (``TT正文`` under a
    line ``T``) keeps one copy; and that copy goes too (``T\\n\\nT正文`` →
    ``T\\n\\n正文``) when the title stands just above (at most one blank line
    between), has at least ``min_echo_han`` Han characters, matches exactly
    (by :func:`line_key`), and what follows it starts a sentence: running text
    that does not open with a word continuing the title's phrase (``的``,
    ``是``, ``和``...; ``为``, ``在``... only when the title was printed twice
    already).  A sentence that merely starts with a heading's words stays:

    >>> RepeatedLines()("做好群众工作\\n\\n做好群众工作是公安机关的根本任务。\\n")
    '做好群众工作\\n\\n做好群众工作是公安机关的根本任务。\\n'

    Blank lines are left for :class:`Whitespace` to fold.  ``fold=False``
    compares lines without folding traditional to simplified first: right when
    the text is simplified already (the ``zh`` preset runs this step after
    ``ChineseConvert("t2s")``), and one OpenCC pass cheaper.
    """

    max_chars: int = 100
    fold: bool = True
    min_echo_han: int = 6

    def may_edit(self, text: str) -> bool:
        """Whether ``text`` has two lines: only a line below another can be a copy.

        >>> RepeatedLines().may_edit("浅谈工作\\n"), RepeatedLines().may_edit("浅谈工作\\n浅谈工作")
        (False, True)
        """
        return text.find("\n", 0, len(text) - 1) >= 0

    def edits(self, text: str) -> list[Edit]:
        return _TitleScan(self, text).run()

    def _key(self, line: str) -> str:
        return line_key(line) if self.fold else _loose(line)

    def _copy_ends(self, key: str, body: str) -> tuple[int, list[int]]:
        """Where the copies of ``key`` that ``body`` starts with begin and end.

        The first copy's start, and each copy's end, as offsets in ``body``;
        body characters are compared as :func:`line_key` compares them
        (spaces skipped, ASCII punctuation widened, folded when ``fold``).
        """
        lead = len(body) - len(body.lstrip())
        if body.startswith(key, lead):  # the usual case: the copies as they are
            found = []
            pos = lead
            while body.startswith(key, pos):
                pos += len(key)
                found.append(pos)
            if pos == len(body) or not _SPACE.match(body, pos):
                return lead, found
        folded = body
        if self.fold and _NON_ASCII.search(body):
            folded = get_converter("t2s").convert(body)
            if len(folded) != len(body):  # a phrase conversion moved offsets
                return 0, []
        first = -1
        ends: list[int] = []
        j = 0
        blanks = ""  # skipped since the last character compared
        for i, ch in enumerate(folded):
            if _SPACE.match(ch):
                blanks += ch
                continue
            if j == 0 and ends and (len(blanks) > 1 or "\t" in blanks):
                # Copies apart by a field gap are a form's fields, not an echo;
                # cut, the line lost a field gap, and OcrSpacing read what was
                # left differently on the next run (issue 15).
                break
            blanks = ""
            if _widen(ch) != key[j]:
                break
            if first < 0:
                first = i
            j += 1
            if j == len(key):
                ends.append(i + 1)
                j = 0
        return max(first, 0), ends


def _takes_traditional(line: str, cut: tuple[int, int]) -> bool:
    """Whether cutting ``line[cut[0]:cut[1]]`` takes all of its traditional characters.

    ChineseConvert("s2t"), earlier in zh-hant, leaves a line that holds
    traditional evidence (:func:`~.chinese.traditional_chars`: not 於, which
    simplified text writes too); with it cut away, the next run converted the
    rest of the line (issue 15).
    """
    evidence = traditional_chars()
    removed, rest = line[cut[0] : cut[1]], line[: cut[0]] + line[cut[1] :]
    return any(c in evidence for c in removed) and not any(c in evidence for c in rest)


class _TitleScan:
    """One pass of :class:`RepeatedLines` over a text's lines.

    Decisions look back at the lines kept so far (what a second run would
    see, which keeps the step idempotent) and ahead at most two lines.
    """

    def __init__(self, step: RepeatedLines, text: str) -> None:
        self.step = step
        self.rows = _lines_with_keys(text, None, step.fold)
        self.fences = (
            [m.start() for m in _FENCE.finditer(text)] if "```" in text or "~~~" in text else []
        )

    def _in_fence(self, i: int) -> bool:
        return bisect_left(self.fences, self.rows[i][0].start()) % 2 == 1

    def _blank(self, i: int) -> bool:
        return not self.rows[i][0].group(0).strip()

    def _ahead(self, i: int, n: int) -> list[int]:
        """The next ``n`` lines after ``i`` in its block (stopping at a blank line)."""
        out = []
        for j in range(i + 1, min(i + 1 + n, len(self.rows))):
            if self._blank(j):
                break
            out.append(j)
        return out

    def _verse(self, above: list[int], key: str, ahead: list[int]) -> bool:
        """Whether a line (``key``), with the key lengths ``above`` it in its block
        and the lines ``ahead`` of it, sits in a block of three or more short lines."""
        lens = [*above, len(key)] + [len(self.rows[j][1] or "") for j in ahead]
        return _short_lines(lens, 3)

    def _run(self, i: int, key: str) -> int:
        """Copies of ``key`` in a row ending at line ``i`` (counted up to 3)."""
        n, j = 1, i - 1
        while n < 3 and j >= 0 and self.rows[j][1] == key:
            n, j = n + 1, j - 1
        return n

    def run(self) -> list[Edit]:
        step, rows = self.step, self.rows
        out: list[Edit] = []
        last = -1  # the last line kept (not blank)
        last_key = ""
        last_body: str | None = None  # its text, when a cut changed it
        last_title: bool | None = None  # whether `last` is a title (computed when needed)
        last_after = -1  # the kept line right above `last` (-1: a blank line or the start)
        blank_since = True  # a blank line, or the text's start, since `last`
        blanks_above = 0  # blank lines right above this line
        echoes = 0  # lines removed as copies of `last`
        block: list[int] = []  # key lengths of the kept lines of this block
        before: list[int] = []  # ... of the block before it
        last_before: list[int] = []  # ... of the block before `last`, when `last` starts one
        for i, (m, key_) in enumerate(rows):
            key = key_ or ""
            if not key and not m.group(0).strip():  # a blank line
                blanks_above += 1
                blank_since = True
                if block:
                    before, block = block, []
                continue
            body: str | None = None
            if last_key and (key == last_key or key.startswith(last_key)):
                if last_title is None:
                    if last_body is None:
                        last_body = rows[last][0].group(0).rstrip("\n")
                    last_title = (
                        _title_like(last_body, last_key, step.max_chars)
                        and (last_after < 0 or self._after_boilerplate(last_after))
                        and not _short_lines(last_before, 2)  # a stanza ends above
                        and not self._in_fence(last)
                    )
                # the section's first four lines: the title's (if this line
                # is in its block), this one's, and those ahead of it
                above = [] if blank_since else [len(last_key)]
                ahead = self._ahead(i, 3 - len(above)) if last_title else []
                if last_title and key == last_key:
                    copies = self._run(i, key)
                    for j in ahead:
                        if rows[j][1] != key:
                            break
                        copies += 1
                    if copies < 3 and not self._verse(above, key, ahead):
                        out.append(Edit(m.start(), m.end(), ""))
                        echoes += 1
                        blanks_above = 0
                        continue
                elif last_title and not self._verse(above, key, ahead):
                    text = m.group(0).rstrip("\n")
                    cut = self._glued(last_key, text, blanks_above <= 1, echoes > 0)
                    if cut and step.fold and _takes_traditional(text, cut):
                        cut = None
                    if cut:
                        out.append(Edit(m.start() + cut[0], m.start() + cut[1], ""))
                        body = text[: cut[0]] + text[cut[1] :]
                        key = step._key(body)
            # this line is kept
            if blank_since:
                last_after, last_before = -1, before
            else:
                last_after, last_before = last, []
            last, last_key, last_body, last_title = i, key, body, None
            blank_since, blanks_above, echoes = False, 0, 0
            block.append(len(key))
        return out

    def _after_boilerplate(self, before: int) -> bool:
        key = self.rows[before][1] or ""
        return bool(key) and len(key) <= _SITE.max_chars and _SITE._is_boilerplate(key)

    def _glued(
        self, title: str, body: str, just_above: bool, echoed: bool
    ) -> tuple[int, int] | None:
        """The span to cut from a paragraph ``body`` that starts with ``title``."""
        step = self.step
        if _KEPT_GAP.search(body):
            # OcrSpacing (earlier) kept this gap judging the whole line: a form's
            # field gaps, padding, a name list.  Cut, the line may be judged
            # otherwise on the next run, and lose the gap (issue 15).
            return None
        first, ends = step._copy_ends(title, body)
        if not ends:
            return None
        rest = body[ends[-1] :]
        if not _NOT_SPACE.search(rest):
            return None  # nothing but copies of the title: leave the line whole
        lead = len(rest) - len(rest.lstrip())
        text = rest[lead:]
        if (
            just_above
            and len(_HAN_CHAR.findall(title)) >= step.min_echo_han
            and _starts_sentence(text, echoed or len(ends) > 1)
            and len(text) >= 8
            and _RUNNING.search(text, 0, 200)
        ):
            return first, ends[-1] + lead
        if len(ends) > 1:
            return ends[0], ends[-1]
        return None
