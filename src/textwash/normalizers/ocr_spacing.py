"""Delete the spaces OCR puts between Chinese characters.

OCR of Chinese journals often prints ``社 会 、实 现`` for ``社会、实现`` and
``8 0 0 0 万`` for ``8000万``.  Clean Chinese text has a few legitimate spaces
between Han characters too (``第一章 总则``, a short list of names, a verse), so
the step decides line by line: a space between two Han characters is deleted
when the line is running text (at least ``min_han`` Han characters and some
sentence punctuation) or when its spaces isolate single characters, the mark
of OCR spacing.  Spaces next to
full-width punctuation and inside split digit runs touching Han always go;
spaces between Latin words never change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import regex

from ..edits import Edit, merge_edits
from ._chars import CJK_PUNCT, HAN, HAN_OR_PUNCT, HEADING_UNIT, HSPACE, ZH_NUM
from .base import Normalizer

__all__ = ["OcrSpacing", "is_ocr_spaced"]

_HEADING_BEFORE = rf"(?<!(?:^|{HSPACE})第[{ZH_NUM}\d]{{1,6}}[{HEADING_UNIT}])"
# A gap between two Han characters (or Han and CJK punctuation).
_HAN_GAP = regex.compile(rf"(?<={HAN_OR_PUNCT}){_HEADING_BEFORE}{HSPACE}+(?={HAN_OR_PUNCT})")
# A gap with full-width punctuation on at least one side (and Han/punct on the other).
_PUNCT_GAP = regex.compile(
    rf"(?<={CJK_PUNCT}){HSPACE}+(?={HAN_OR_PUNCT})|(?<={HAN_OR_PUNCT}){HSPACE}+(?={CJK_PUNCT})"
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
_SPACE_SPLIT = regex.compile(rf"{HSPACE}+")
_SINGLE_HAN = regex.compile(rf"^{HAN}$")
_HAN_CHAR = regex.compile(HAN)
_HAN_OR_PUNCT_CHAR = regex.compile(HAN_OR_PUNCT)

_SENTENCE_PUNCT = regex.compile(r"[，。；、：？！,;:?!]")


def is_ocr_spaced(line: str, min_han: int = 10, min_single: int = 1) -> bool:
    """Whether the Han–Han spaces of ``line`` look like OCR debris.

    >>> is_ocr_spaced("社 会 、实 现 中华 民 族")
    True
    >>> is_ocr_spaced("第一章 总则")
    False
    >>> is_ocr_spaced("张三 李四 王五 赵六 钱七 孙八")
    False
    >>> is_ocr_spaced("随着社 会、经 济的发展，群众的需求")
    True
    """
    if not _HAN_GAP.search(line):
        return False
    if len(_HAN_CHAR.findall(line)) >= min_han and _SENTENCE_PUNCT.search(line):
        return True
    singles = sum(1 for tok in _SPACE_SPLIT.split(line) if _SINGLE_HAN.match(tok))
    return singles >= min_single


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

    ``min_han`` and ``min_single`` tune the per-line decision (see
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
            if is_ocr_spaced(body, self.min_han, self.min_single):
                # Two patterns may find one gap ("％\u3000货": a number gap and a
                # Han gap): the line's deletions are the union of their matches.
                found = [*_HAN_GAP.finditer(body), *_NUMBER_GAP.finditer(body)]
                out.extend(merge_edits(Edit(base + g.start(), base + g.end(), "") for g in found))
            else:
                gaps = _PUNCT_GAP.finditer(body)
                out.extend(Edit(base + g.start(), base + g.end(), "") for g in gaps)
        return out

    def _passes(self) -> list[Callable[[str], list[Edit]]]:
        return [self._digit_pass, self._gap_pass] if self.digits else [self._gap_pass]

    def edits(self, text: str) -> list[Edit]:
        if not _HSPACE_RE.search(text):
            return []
        return super().edits(text)

    def _fast(self, text: str) -> str | None:
        if not _HSPACE_RE.search(text):
            return text
        return super()._fast(text)
