"""Delete the spaces OCR puts between Chinese characters, and only those.

OCR of Chinese journals often prints ``社 会 、实 现`` for ``社会、实现`` and
``8 0 0 0 万`` for ``8000万``.  But a dump also holds spaces that are meant:
forms align their fields with runs of spaces (``主持人：张三    记录人：李四``),
name lists separate names with single spaces (``参加会议的有 张三 李四 王五
等人。``) or pad two-character names to three cells with U+3000 (``王　芳　李建国``),
headings put a space after their number (``第一章 总则``), verse separates its
lines.  So the step looks at each line, finds the gaps that are meant, and
deletes the other gaps between Han characters only on positive evidence of
OCR spacing.

**Gaps that are meant** (kept):

* *field gaps* -- a run of two or more blanks, or one holding a tab, on a
  form-like line: one with two or more ``label：`` fields
  (``姓名：李明轩          性别：男``), or a row of three or more columns with no
  running-text punctuation (``日期        带班领导        值班人员``);
* *padding* -- one Han character, U+3000 (or two or more blanks), one Han
  character, with no letter, digit or Han right outside them: ``王　芳``,
  ``主　任：``, ``收    据`` (and the gaps on either side of it);
* *name lists* -- two or more items in a row, separated by blanks, each of two
  to four Han characters (or a padded pair), the first one maybe right after a
  label's ``：``, the last one maybe followed by punctuation and the rest of
  the sentence (``韩冰。``, ``李四，名单如上``): the gaps between the items and
  the gaps on either side of them (``有 张三 李四 王五 等人``).

Padding and name lists are trusted only while the line shows no isolated
single characters (below): the chunks of a heavily OCR-spaced line
(``机关 服务 群众 的根``) look like a name list too.

**Evidence of OCR spacing** (a line needs one of them):

* an isolated single character: a lone Han character between blanks with Han
  or CJK punctuation on the other side of a blank (``耿 志 峰``,
  ``社 会 、实 现``); ``2023 年 11 月`` is spacing around numbers, not this;
* running text: at least ``min_han`` Han characters and sentence punctuation
  ``，。；、？！`` outside brackets (``：`` is a form's, and ``（某某大学 计算机学院，
  北京 100000）`` an affiliation), with a gap between two Han characters that is
  not meant (``勇于对人 民负责，坚持替群众着 想``).

On an OCR-spaced line every gap between Han characters or CJK punctuation goes,
and the gaps around numbers too (``不足 4 0 % 提高`` → ``不足40%提高``); elsewhere
only the gaps next to full-width punctuation go (``问题 ， 从`` → ``问题，从``).
Meant gaps are never deleted, nor the gap after a heading number (``第三条 为了``),
nor spaces next to Latin letters (``Windows 10``).  Single digits split by
blanks are joined when they touch Han (``8 0 0 0 万``).

>>> s = OcrSpacing()
>>> s("社 会 、实 现 中华 民 族伟 大 复 兴")
'社会、实现中华民族伟大复兴'
>>> s("主持人：张三    记录人：李四")
'主持人：张三    记录人：李四'
>>> s("参加会议的有 张三 李四 王五 等人。")
'参加会议的有 张三 李四 王五 等人。'
>>> s("一等奖：王　芳　李建国　赵　敏")
'一等奖：王　芳　李建国　赵　敏'
>>> s("心里装着群众，勇于对人 民负责，坚持替群众着 想")
'心里装着群众，勇于对人民负责，坚持替群众着想'
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import regex

from ..edits import Edit
from ._chars import CJK_PUNCT, HAN, HAN_OR_PUNCT, HEADING_UNIT, HSPACE, ZH_NUM
from .base import Normalizer

__all__ = ["OcrSpacing", "is_ocr_spaced"]

_HEADING_BEFORE = rf"(?<!(?:^|{HSPACE})第[{ZH_NUM}\d]{{1,6}}[{HEADING_UNIT}])"
# ... and the blank before such a heading stays too: the gap after "第一章" is
# kept because a blank precedes 第, so deleting that blank ("＠ 第一章 胜")
# made the next run delete the other (issue 15).  Whatever follows the heading:
# a blank after it may go in the same run (before "』", say).
_HEADING_AFTER = rf"(?!第[{ZH_NUM}\d]{{1,6}}[{HEADING_UNIT}])"
# A gap between two Han characters (or Han and CJK punctuation).
_HAN_GAP = regex.compile(
    rf"(?<={HAN_OR_PUNCT}){_HEADING_BEFORE}{HSPACE}+{_HEADING_AFTER}(?={HAN_OR_PUNCT})"
)
# A gap with full-width punctuation on at least one side (and Han/punct on the other).
_PUNCT_GAP = regex.compile(
    rf"(?<={CJK_PUNCT}){HSPACE}+{_HEADING_AFTER}(?={HAN_OR_PUNCT})"
    rf"|(?<={HAN_OR_PUNCT}){HSPACE}+(?={CJK_PUNCT})"
)
# In OCR-spaced lines, also the gaps around numbers: "不足 4 0 % 提高" -> "不足40%提高".
_NUMBER_GAP = regex.compile(
    rf"(?<=\d){HSPACE}+(?=[%％‰])"
    rf"|(?<=[\d%％‰]){HSPACE}+(?={HAN_OR_PUNCT})"
    rf"|(?<={HAN_OR_PUNCT}){HSPACE}+(?=\d)"
)
# Single digits split by spaces: "8 0 0 0".
_DIGIT_RUN = regex.compile(rf"(?<!\d)\d(?:{HSPACE}\d)+(?!\d)")
_HSPACE_CHARS = frozenset(" \t\u00a0\u3000\u202f\u205f" + "".join(map(chr, range(0x2002, 0x200B))))
_HSPACE_RE = regex.compile(HSPACE)
# the same, for the standard library's re, which scans a character class faster
_ANY_HSPACE = re.compile(HSPACE)
_GAP = regex.compile(rf"{HSPACE}+")
_HAN_CHAR = regex.compile(HAN)
_HAN_OR_PUNCT_CHAR = regex.compile(HAN_OR_PUNCT)

#: Running-text punctuation (a form's "：" is not).
_RUNNING = regex.compile(rf"[，。；、？！]|(?<={HAN}{HSPACE}*)[,;?!]")
#: An aside in brackets: its punctuation does not make a line running text
#: ("（某某大学 计算机学院，北京 100000）", an author's affiliation).
_BRACKETED = regex.compile(r"（[^（）\n]*）|\([^()\n]*\)")
#: A form label's colon: after Han or a closing bracket ("收款单位（盖章）："), not in "14:30".
_LABEL = regex.compile(r"(?<=[\p{Han}）)])[：:]")
#: A padded two-character word: "王　芳", "主　任：", "收    据".  Punctuation may
#: touch it (deleting a gap next to punctuation must not unmake it).
_PAD = regex.compile(rf"(?<!\w){HAN}(?P<gap>\u3000+|{HSPACE}{{2,}}){HAN}(?!\w)")
#: One item of a name list (padding removed): 2-4 Han, maybe after a label's "：" or
#: "（", maybe followed by punctuation and the rest of the sentence ("韩冰。", "李四，名单如上").
_NAME_ITEM = regex.compile(rf"(?:\S*[：:（(])?{HAN}{{2,4}}(?:[。，、；！？）)”]\S*)?")


def _is_running(line: str, min_han: int) -> bool:
    """Running text: ``min_han`` Han characters and sentence punctuation outside brackets."""
    if len(_HAN_CHAR.findall(line)) < min_han:
        return False
    return _RUNNING.search(_BRACKETED.sub("", line)) is not None


def _is_wide(gap: str) -> bool:
    return len(gap) >= 2 or "\t" in gap


@dataclass(frozen=True, slots=True)
class _Line:
    """What one line's gaps are: the meant ones (by start offset) and whether it is OCR-spaced."""

    kept: frozenset[int]
    ocr: bool


def _read_line(line: str, min_han: int, min_single: int) -> _Line:
    """Judge the gaps of one line (see the module docstring for the rules)."""
    gaps = list(_GAP.finditer(line))
    # blanks at either end of the line are Whitespace's business
    if gaps and gaps[0].start() == 0:
        gaps.pop(0)
    if gaps and gaps[-1].end() == len(line):
        gaps.pop()
    if not gaps:
        return _Line(frozenset(), False)
    kept: set[int] = set()
    # field gaps
    wide = [g.start() for g in gaps if _is_wide(g[0])]
    if wide and (len(_LABEL.findall(line)) >= 2 or (len(wide) >= 2 and not _RUNNING.search(line))):
        kept.update(wide)
    # padding and name lists
    pads = {m.start("gap") for m in _PAD.finditer(line)}
    starts = [0, *(g.end() for g in gaps)]
    ends = [*(g.start() for g in gaps), len(line)]
    tokens = [line[s:e] for s, e in zip(starts, ends, strict=True)]
    padded = {i + d for i, g in enumerate(gaps) if g.start() in pads for d in (0, 1)}
    # isolated single characters (counting stops at min_single: that is all the rules ask)
    singles = 0
    for i, tok in enumerate(tokens):
        if len(tok) != 1 or i in padded or not _HAN_CHAR.match(tok):
            continue
        if (i > 0 and _HAN_OR_PUNCT_CHAR.match(tokens[i - 1][-1])) or (
            i + 1 < len(tokens) and _HAN_OR_PUNCT_CHAR.match(tokens[i + 1][0])
        ):
            singles += 1
            if singles >= min_single:
                break
    isolated = singles >= min_single
    if not isolated:
        kept.update(pads)
        # items: tokens joined across padding
        items: list[tuple[str, list[int]]] = []  # (text without padding, token indexes)
        for i, tok in enumerate(tokens):
            if i and gaps[i - 1].start() in pads:
                text, idx = items[-1]
                items[-1] = (text + tok, [*idx, i])
            else:
                items.append((tok, [i]))
        named = [bool(_NAME_ITEM.fullmatch(text)) for text, _ in items]
        for k in range(len(items)):
            in_list = named[k] and (
                (k > 0 and named[k - 1]) or (k + 1 < len(items) and named[k + 1])
            )
            if in_list or len(items[k][1]) > 1:  # an item of a list, or a padded word
                first, last = items[k][1][0], items[k][1][-1]
                if first > 0:
                    kept.add(gaps[first - 1].start())
                if last < len(gaps):
                    kept.add(gaps[last].start())
    # evidence of OCR spacing: a gap that is not meant, and isolated characters or running text
    loose = any(g.start() not in kept for g in _HAN_GAP.finditer(line))
    ocr = loose and (isolated or _is_running(line, min_han))
    return _Line(frozenset(kept), ocr)


def is_ocr_spaced(line: str, min_han: int = 10, min_single: int = 1) -> bool:
    """Whether ``line`` has gaps between Han characters that are OCR debris.

    >>> is_ocr_spaced("社 会 、实 现 中华 民 族")
    True
    >>> is_ocr_spaced("第一章 总则")
    False
    >>> is_ocr_spaced("张三 李四 王五 赵六 钱七 孙八")
    False
    >>> is_ocr_spaced("随着社 会、经 济的发展，群众的需求")
    True
    >>> is_ocr_spaced("报销部门：市场部      报销日期：2023 年 11 月 3 日")
    False
    """
    return _read_line(line, min_han, min_single).ocr


def _join_digits(text: str, start: int, end: int, floor: int) -> tuple[int, int, str] | None:
    """The edit joining the digit run ``text[start:end]`` when it touches Han.

    The run's surrounding blanks (not before ``floor``) go too on the sides where
    Han or full-width punctuation follows them.
    """
    pre = start
    while pre > floor and text[pre - 1] in _HSPACE_CHARS:
        pre -= 1
    post = end
    while post < len(text) and text[post] in _HSPACE_CHARS:
        post += 1
    before = text[pre - 1] if pre > 0 else ""
    after = text[post] if post < len(text) else ""
    han_before = bool(before) and bool(_HAN_OR_PUNCT_CHAR.match(before))
    han_after = bool(after) and bool(_HAN_OR_PUNCT_CHAR.match(after))
    if not (han_before or han_after):
        return None
    run = _HSPACE_RE.sub("", text[start:end])
    new = ("" if han_before else text[pre:start]) + run + ("" if han_after else text[end:post])
    return pre, post, new


@dataclass(frozen=True, repr=False)
class OcrSpacing(Normalizer):
    """Remove OCR spaces between Han characters, punctuation and split digits.

    >>> OcrSpacing()("社 会 、实 现 中华 民 族伟 大 复 兴")
    '社会、实现中华民族伟大复兴'
    >>> OcrSpacing()("有 着 8 0 0 0 万 党 员")
    '有着8000万党员'
    >>> OcrSpacing()("第一章 总则")
    '第一章 总则'
    >>> OcrSpacing()("Windows 10 and 1 2 3")
    'Windows 10 and 1 2 3'

    ``min_han`` and ``min_single`` tune the per-line evidence (see
    :func:`is_ocr_spaced`); ``digits`` switches the digit-run repair.
    """

    min_han: int = 10
    min_single: int = 1
    digits: bool = True

    def _digit_pass(self, text: str) -> list[Edit]:
        out = []
        floor = 0
        for m in _DIGIT_RUN.finditer(text):
            if m.start() < floor:
                continue
            joined = _join_digits(text, m.start(), m.end(), floor)
            if joined is None:
                continue
            pre, post, new = joined
            if new != text[pre:post]:
                out.append(Edit(pre, post, new))
            floor = post
        return out

    def _gap_pass(self, text: str) -> list[Edit]:
        out: list[Edit] = []
        pos = 0
        # jump from one line holding a horizontal space to the next
        while (space := _HSPACE_RE.search(text, pos)) is not None:
            base = text.rfind("\n", 0, space.start()) + 1
            end = text.find("\n", space.end())
            pos = end = len(text) if end < 0 else end
            body = text[base:end]
            if not _HAN_GAP.search(body):
                continue  # no gap between Han or CJK punctuation: nothing to judge
            line = _read_line(body, self.min_han, self.min_single)
            if line.ocr:
                # Two patterns may find one gap ("％\u3000货": a number gap and a
                # Han gap); both match the whole run of blanks, so its start names it.
                found = {g.start(): g.end() for g in _HAN_GAP.finditer(body)}
                for g in _NUMBER_GAP.finditer(body):
                    found.setdefault(g.start(), g.end())
                gaps = sorted(found.items())
            else:
                gaps = [g.span() for g in _PUNCT_GAP.finditer(body)]
            out.extend(Edit(base + s, base + e, "") for s, e in gaps if s not in line.kept)
        return out

    def _passes(self) -> list[Callable[[str], list[Edit]]]:
        return [self._digit_pass, self._gap_pass] if self.digits else [self._gap_pass]

    def may_edit(self, text: str) -> bool:
        """Whether ``text`` has a horizontal blank: every gap and every split
        digit run is made of them.

        >>> OcrSpacing().may_edit("社会、实现"), OcrSpacing().may_edit("社 会")
        (False, True)
        """
        return _ANY_HSPACE.search(text) is not None

    def edits(self, text: str) -> list[Edit]:
        if not self.may_edit(text):
            return []
        return super().edits(text)

    def _fast(self, text: str) -> str | None:
        if not self.may_edit(text):
            return text
        return super()._fast(text)
