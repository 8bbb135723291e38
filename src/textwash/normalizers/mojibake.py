"""Repair UTF-8 text that was decoded as GBK (``涓浗`` for ``中国``).

A scraper that reads a UTF-8 page with the GBK (or GB18030) codec turns every
Chinese character's three bytes into one and a half GBK characters, mostly
rare ones: ``社会治安综合治理`` becomes ``绀句細娌诲畨缁煎悎娌荤悊``.  ftfy repairs UTF-8 read as
Latin-1 or cp1252 but not this.  The repair is a reverse round trip, line by
line: encode the line as GB18030 and decode the bytes as UTF-8.  It is kept
only when it is clearly better: the bytes must be valid UTF-8 (bytes the
scraper's decoder dropped leave one U+FFFD each, which must stay where they
were), and the result must be made of common characters where the line was
not.  Clean Chinese almost never passes: its GBK bytes are rarely valid UTF-8,
and when a short line happens to be, the result is not more common than the
line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import regex

from ..edits import Edit
from .base import Flag, Normalizer
from .unicode import UnicodeRepair
from .width import Width

__all__ = ["GbkMojibake", "common_share", "repair_gbk_mojibake"]

_HAN = regex.compile(r"\p{Han}")
_UNICODE_REPAIR = UnicodeRepair()
_WIDTH = Width()
_FULL_WIDTH = regex.compile("[\uff01-\uff5e]")
_WIDE_BLANKS = regex.compile("[\u00a0\u3000\u202f\u205f\u2000-\u200a]")
_REPLACEMENTS = regex.compile("\ufffd+")
# Lines as the Whitespace step (which runs later) will cut them, judged without
# their outer blanks, which stay where they are.  A U+2028, a lone \r or an
# outer U+3000 has GB18030 bytes that are not UTF-8: left in the round trip, it
# spoiled the repair of its line until Whitespace had split or stripped it, so
# cleaning twice repaired what cleaning once had left (issue 15).
_LINE = regex.compile(r"[^\n\r\u2028\u2029\x0b\x0c]+")
_BLANKS = " \t\u00a0\u3000\u202f\u205f" + "".join(map(chr, range(0x2000, 0x200B)))


def _cores(text: str) -> Iterator[tuple[int, int, str]]:
    """``(start, end, line)`` for every line of ``text``, outer blanks left out."""
    for m in _LINE.finditer(text):
        line = m.group(0)
        core = line.strip(_BLANKS)
        if core:
            start = m.start() + len(line) - len(line.lstrip(_BLANKS))
            yield start, start + len(core), core


def _double_byte_chars(leads: range, trails: range, codec: str) -> set[str]:
    """Every character ``codec`` decodes from a lead byte in ``leads`` and a trail in ``trails``."""
    chars = set()
    for lead in leads:
        for trail in trails:
            try:
                chars.add(bytes([lead, trail]).decode(codec))
            except UnicodeDecodeError:
                continue
    return chars


@lru_cache(maxsize=1)
def _common_chars() -> frozenset[str]:
    """GB2312 level 1: the 3,755 most common Chinese characters (rows 16–55)."""
    return frozenset(_double_byte_chars(range(0xB0, 0xD8), range(0xA1, 0xFF), "gb2312"))


@lru_cache(maxsize=1)
def _lead_chars() -> re.Pattern[str]:
    """Characters whose GBK lead byte is E4–E9: the lead bytes of UTF-8 for
    U+4000–U+9FFF.  In GBK-read UTF-8 Chinese, about every third character is
    one; in clean text they are rare, so a line without one is passed over."""
    chars = _double_byte_chars(range(0xE4, 0xEA), range(0x40, 0xFF), "gbk")
    # the standard library compiles a large class into a bitmap: 60x faster here
    return re.compile("[" + re.escape("".join(sorted(chars))) + "]")


def common_share(text: str) -> float:
    """The share of ``text``'s Han characters that are among the 3,755 most common.

    >>> common_share("社会治安综合治理"), round(common_share("绀句細娌诲畨缁煎悎娌荤悊"), 2)
    (1.0, 0.33)
    """
    han = _HAN.findall(text)
    if not han:
        return 0.0
    common = _common_chars()
    return sum(c in common for c in han) / len(han)


def repair_gbk_mojibake(line: str, min_han: int = 4, min_share: float = 0.8) -> str | None:
    """The line as it was before UTF-8 was read as GBK, or ``None`` if it was not.

    >>> mojibake = "中国人民警察的良好形象".encode("utf-8").decode("gbk", "replace")
    >>> mojibake
    '涓\\ufffd鍥戒汉姘戣\\ufffd﹀療鐨勮壇濂藉舰璞\\ufffd'
    >>> repair_gbk_mojibake(mojibake)
    '\\ufffd国人民\\ufffd察的良好形\\ufffd'
    >>> repair_gbk_mojibake("中国人民".encode("utf-8").decode("gb18030"))
    '中国人民'
    >>> repair_gbk_mojibake("中国人民") is None
    True
    """
    if not _lead_chars().search(line):
        return None
    parts = line.split("\ufffd")
    try:
        encoded = [p.encode("gb18030") for p in parts]
    except UnicodeEncodeError:
        return None
    if len(parts) == 1:  # nothing was lost: the bytes must be UTF-8 as they are
        try:
            fixed = encoded[0].decode("utf-8")
        except UnicodeDecodeError:
            return None  # (clean Chinese ends here, usually at its first byte)
    else:
        decoded = _decode_between_losses(encoded)
        if decoded is None:
            return None
        fixed = decoded
    if fixed == line:
        return None
    # every lost byte may cost one character, no more
    lost_before = line.count("\ufffd")
    fixed = _REPLACEMENTS.sub("\ufffd", fixed)
    if fixed.count("\ufffd") > lost_before:
        return None
    han = len(_HAN.findall(fixed))
    if han < min_han:
        return None
    # Characters no GBK text holds (U+FD46, an Arabic presentation form) count
    # as rare Han: the bytes of a line that was never UTF-8 decode to such junk.
    # Uncounted, '圂做癆提三节' (4 of 6 common) was refused but, once t2s had
    # changed one character of the mojibake, '圂做﵆提三节' (4 of 5) was taken:
    # cleaning twice repaired what cleaning once had left (issue 15).
    share = common_share(fixed) * han / (han + _foreign(fixed))
    if share < min_share or share < common_share(line) + 0.3:
        return None
    return fixed


def _decode_between_losses(parts: list[bytes]) -> str | None:
    """The UTF-8 text of ``parts``, the bytes between lost ones, with U+FFFD between.

    A lost byte breaks only the character it belonged to: a part may open with
    that character's last bytes and close with its first ones, and must be UTF-8
    in between, or the line was not UTF-8 read as GBK.  (Decoding the whole with
    "replace" let broken bytes next to a loss pass unnoticed: Width turned the
    ｃ of '閫ｃ▽\ufffd瀹夋満…' into c, whose bytes decode to nothing, and the next
    run took a repair the first had refused; issue 15.)
    """
    out = []
    last = len(parts) - 1
    for k, b in enumerate(parts):
        if k > 0:  # the end of a character whose start was lost
            i = 0
            while i < min(3, len(b)) and 0x80 <= b[i] < 0xC0:
                i += 1
            b = b[i:]
        if k < last:  # the start of a character whose end was lost
            for back in range(1, min(3, len(b)) + 1):
                c = b[-back]
                if c < 0x80:
                    break
                if c >= 0xC0:
                    if back < (2 if c < 0xE0 else 3 if c < 0xF0 else 4):
                        b = b[:-back]
                    break
        try:
            out.append(b.decode("utf-8"))
        except UnicodeDecodeError:
            return None
    return "\ufffd".join(out)


def _foreign(text: str) -> int:
    """How many characters of ``text`` GBK cannot encode (U+FFFD, a lost byte, aside)."""
    n = 0
    for c in text:
        if c > "\x7f" and c != "\ufffd" and not _HAN.match(c):
            try:
                c.encode("gbk")
            except UnicodeEncodeError:
                n += 1
    return n


@dataclass(frozen=True, repr=False)
class GbkMojibake(Normalizer):
    """Repair lines of UTF-8 text that were decoded as GBK.

    >>> GbkMojibake()("标题\\n绀句細娌诲畨缁煎悎娌荤悊\\n")
    '标题\\n社会治安综合治理\\n'
    >>> GbkMojibake()("床笫之间，鍥戒汉。")   # clean text, even with rare characters, stays
    '床笫之间，鍥戒汉。'

    ``min_han``: the repaired line needs at least this many Han characters;
    ``min_share``: and at least this share of them among the 3,755 most common
    (a line's share must also rise by 0.3).  Characters whose bytes the
    scraper's decoder dropped stay lost, as U+FFFD.
    """

    min_han: int = 4
    min_share: float = 0.8

    def _repair(self, line: str) -> str | None:
        # A refused line is judged again as later steps of zh may leave it, or
        # the next run repaired what this one refused (issue 15): Width narrows
        # full-width letters and digits ('…鍗佹潯Ｂ'), OcrSpacing deletes blanks
        # such as the U+3000 of '…涓変竴0\u30000', whose GB18030 bytes are not
        # UTF-8 (ASCII blanks are, and need no second look).
        fixed = repair_gbk_mojibake(line, self.min_han, self.min_share)
        if fixed is not None:
            return fixed
        narrow = _WIDTH(line) if _FULL_WIDTH.search(line) else line
        for variant in (narrow, _WIDE_BLANKS.sub("", narrow)):
            if variant != line:
                fixed = repair_gbk_mojibake(variant, self.min_han, self.min_share)
                if fixed is not None:
                    return fixed
        return None

    def edits(self, text: str) -> list[Edit]:
        out = []
        for start, end, line in _cores(text):
            fixed = self._repair(line)
            if fixed is not None:
                # The repair is text UnicodeRepair (before this step) has not
                # seen: a zero-width space in it went on the next run (issue 15).
                out.append(Edit(start, end, _UNICODE_REPAIR(fixed)))
        return out

    def may_edit(self, text: str) -> bool:
        """Whether ``text`` holds a character whose GBK lead byte is a UTF-8 lead
        byte of Han (E4–E9): a line without one is never repaired, nor are the
        variants :meth:`_repair` also tries (narrowing full-width forms and
        deleting blanks adds no such character).

        >>> GbkMojibake().may_edit("社会治安综合治理"), GbkMojibake().may_edit("绀句細娌诲畨")
        (False, True)
        """
        return _lead_chars().search(text) is not None

    def _fast(self, text: str) -> str | None:
        if not self.may_edit(text):
            return text
        return None

    def flags(self, text: str) -> list[Flag]:
        return [
            Flag("mojibake", start, end, "UTF-8 read as GBK, repaired")
            for start, end, line in _cores(text)
            if self._repair(line) is not None
        ]
