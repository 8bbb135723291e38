"""Unicode repair that does not damage Chinese.

ftfy repairs mojibake, strips terminal escapes and control characters and
applies NFC; its width and quote fixes are switched off because they turn
``，（）“”`` into ASCII.  On top of ftfy this step maps radical code points that
PDF extraction leaves behind (``⼈⺠`` → ``人民``), removes invisible characters,
and deletes the marker strings that lost bytes leave in Chinese text
(``锟斤拷``, ``烫烫烫``, ``屯屯屯``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import ftfy
import regex

from ..edits import Edit, fixpoint_edits, line_diff_edits, sub_edits
from .base import Flag, Normalizer

__all__ = ["RADICAL_TABLE", "UnicodeRepair", "fix_radicals", "remove_invisibles"]

#: CJK Radicals Supplement code points that stand for a whole character.
#: (Kangxi Radicals U+2F00–U+2FD5 are handled by NFKC, which covers all of them.)
RADICAL_TABLE: dict[str, str] = {
    "⺁": "厂", "⺇": "几", "⺊": "卜", "⺌": "小", "⺎": "兀", "⺐": "尢", "⺒": "巳",
    "⺓": "幺", "⺛": "旡", "⺜": "日", "⺝": "月", "⺞": "歺", "⺟": "母", "⺠": "民",
    "⺢": "氺", "⺩": "王", "⺪": "疋", "⺬": "示", "⺯": "糸", "⺰": "纟", "⺻": "聿",
    "⺼": "月", "⺽": "臼", "⻄": "西", "⻅": "见", "⻆": "角", "⻇": "角", "⻉": "贝",
    "⻋": "车", "⻑": "長", "⻓": "长", "⻔": "门", "⻘": "青", "⻙": "韦", "⻚": "页",
    "⻛": "风", "⻜": "飞", "⻝": "食", "⻢": "马", "⻣": "骨", "⻤": "鬼", "⻥": "鱼",
    "⻦": "鸟", "⻧": "卤", "⻨": "麦", "⻩": "黄", "⻪": "黾", "⻬": "齐", "⻮": "齿",
    "⻰": "龙", "⻱": "龜", "⻳": "龟",
}  # fmt: skip

_RADICALS = regex.compile("[\u2f00-\u2fd5" + "".join(RADICAL_TABLE) + "]")

# Invisible characters that carry nothing in running text.
_INVISIBLE = regex.compile("[\ufeff\u200b\u2060\u180e\u00ad\ufffe]")
# The same before ftfy, but for the soft hyphen: U+00AD is byte 0xAD read as
# Latin-1/cp1252, part of UTF-8 mojibake that ftfy can only undo with it there
# (中 is E4 B8 AD: "ä¸\xad").
_INVISIBLE_BUT_SHY = regex.compile("[\ufeff\u200b\u2060\u180e\ufffe]")
# Zero-width (non-)joiners are kept between letters that need them (emoji, Indic,
# Persian) and dropped next to Han, where they are scraping debris, and next to
# a blank or a line's edge, where they join nothing.  (Kept there, a later step
# that deletes the blank or joins the line brought them next to Han, and the
# next run dropped them: issue 15, "〔之\n\u200c".)
_JOINERS = regex.compile(
    r"(?<=[\p{Han}\s]|^)[\u200c\u200d]+|[\u200c\u200d]+(?=[\p{Han}\s]|$)", regex.MULTILINE
)

# Lone surrogates (a bad \ud800 escape in JSON) are not characters: U+FFFD stands in.
_SURROGATES = regex.compile(r"[\ud800-\udfff]")

# Marker strings left where bytes were lost: U+FFFD pairs read back as GBK
# (锟斤拷), MSVC fill bytes 0xCC / 0xCD read as GBK (烫 / 屯).
_MARKERS = regex.compile(r"(?:锟斤拷)+|烫{3,}|屯{3,}")

# A line can need ftfy only if it has one of these: Latin-1/cp1252 mojibake
# material, C0/C1 controls, escapes, HTML entities, or ligatures.
# A line can need ftfy only if it has one of these: Latin-1 range characters
# (every UTF-8 mojibake starts with one: the lead byte read as Latin-1/cp1252),
# C0/C1 controls and escapes, HTML entities, or ligatures.  Chinese text with
# “”…— alone does not trigger it.
_FTFY_SUSPECT = regex.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\xff\ufb00-\ufb06]|&#?\w+;")


_BREAK = regex.compile("\r\n|[\n\r\u2028\u2029\x0b\x0c]")


def _pieces(text: str) -> Iterator[tuple[str, str]]:
    """``(line, its line break)`` for every line of ``text`` (the last break: "")."""
    pos = 0
    for m in _BREAK.finditer(text):
        yield text[pos : m.start()], m.group()
        pos = m.end()
    yield text[pos:], ""


_OUTER_BLANKS = regex.compile(r"(?P<lead>\s*)(?P<core>.*?)(?P<trail>\s*)\Z", regex.DOTALL)


# A cheap superset of everything the repairs (and the flags) act on: when a
# text holds none of these characters, no marker run and is in normal form,
# it is left as it is without running them (see UnicodeRepair.may_edit).  The
# standard library's ``re`` scans a plain character class ten times as fast
# as ``regex`` does an alternation.
_ANYTHING = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\xff\ufb00-\ufb06\ud800-\udfff"
    "\ufeff\u200b\u2060\u180e\ufffe\u200c\u200d\u2f00-\u2fd5&锟" + "".join(RADICAL_TABLE) + "]"
)


def fix_radicals(text: str) -> str:
    """Map Kangxi radicals and CJK Radicals Supplement characters to ideographs.

    >>> fix_radicals("⼈⺠警察")
    '人民警察'
    """
    return _RADICALS.sub(
        lambda m: RADICAL_TABLE.get(m[0]) or unicodedata.normalize("NFKC", m[0]), text
    )


def remove_invisibles(text: str) -> str:
    """Drop BOMs, zero-width spaces, soft hyphens and joiners next to Han or blanks.

    >>> remove_invisibles("\\ufeff社\\u200b会")
    '社会'
    """
    return _JOINERS.sub("", _INVISIBLE.sub("", text))


@lru_cache(maxsize=8)
def _ftfy_config(normalization: str | None) -> ftfy.TextFixerConfig:
    return ftfy.TextFixerConfig(
        fix_character_width=False,  # would turn ，（）： into ASCII
        uncurl_quotes=False,  # would turn “” into "
        fix_line_breaks=False,  # the Whitespace step owns line endings
        normalization=cast(Any, normalization),
        explain=False,
    )


@dataclass(frozen=True, repr=False)
class UnicodeRepair(Normalizer):
    """Repair Unicode damage without touching Chinese punctuation.

    >>> UnicodeRepair()("æ–‡æœ¬ï¼Œ⼈⺠\\u200b锟斤拷")
    '文本，人民'
    >>> UnicodeRepair()("他说：“你好”，（一）")
    '他说：“你好”，（一）'
    >>> UnicodeRepair()("中国人民".encode("utf-8").decode("cp1252"))  # UTF-8 read as cp1252
    '中国人民'

    Parameters: ``ftfy`` runs ftfy's repairs (mojibake, controls, terminal escapes,
    HTML entities); ``normalization`` is the Unicode form (``"NFC"`` or ``None``);
    ``radicals``, ``invisibles`` and ``markers`` switch the other repairs.
    """

    ftfy: bool = True
    normalization: str | None = "NFC"
    radicals: bool = True
    invisibles: bool = True
    markers: bool = True

    def _ftfy_line(self, line: str) -> str:
        cfg = _ftfy_config(self.normalization)
        out = ftfy.fix_text(line, cfg)  # sees the soft hyphens (see _INVISIBLE_BUT_SHY)
        # ftfy is not always idempotent on mixed mojibake, and a soft hyphen the
        # next pass removes can leave text ftfy would change again: settle on a
        # fixed point of both.
        shy = self.invisibles
        for _ in range(4):
            again = ftfy.fix_text(out.replace("\u00ad", "") if shy else out, cfg)
            if again == out:
                break
            out = again
        return out

    def _needs_ftfy(self, line: str) -> bool:
        if _FTFY_SUSPECT.search(line):
            return True
        return self.normalization is not None and not unicodedata.is_normalized(
            cast(Any, self.normalization), line
        )

    def _ftfy_pass(self, text: str) -> list[Edit]:
        def fix(line: str, depth: int = 0) -> str:
            out = fix_line(line)
            if depth < 3 and out != line and _BREAK.search(out):
                # The repair made a line break ("â€¨" is U+2028): the next run
                # judges each new line on its own, so this one does too; ftfy
                # read "”â" differently once it stood alone (issue 15).
                return "".join(fix(body, depth + 1) + brk for body, brk in _pieces(out))
            return out

        def fix_line(line: str) -> str:
            if not self._needs_ftfy(line):
                return line
            # ftfy sees the line without its outer blanks, as it will look once the
            # Whitespace step has stripped them: its verdict must not depend on them.
            # Removing a control character can expose more ("\x1f\xa0Ü¯"): again.
            lead, core, trail = "", line, ""
            for _ in range(4):
                m = _OUTER_BLANKS.match(core)
                assert m is not None
                lead, trail = lead + m["lead"], m["trail"] + trail
                fixed = self._ftfy_line(m["core"])
                if fixed == m["core"] or fixed.strip() == fixed:
                    core = fixed
                    break
                core = fixed
            if self.normalization is not None:
                # the blanks need normalizing too (U+2000 -> U+2002): left as they
                # were, a later step that moved one inside a line (LineRepair
                # joining the line below) made the next run normalize it, and
                # OcrSpacing, which knows U+2002, then deleted it (issue 15)
                form = cast(Any, self.normalization)
                lead, trail = unicodedata.normalize(form, lead), unicodedata.normalize(form, trail)
            return lead + core + trail

        return line_diff_edits(text, fix)

    def may_edit(self, text: str) -> bool:
        """Whether ``text`` holds anything a repair acts on (see :data:`_ANYTHING`),
        or is not in the ``normalization`` form.

        >>> repair = UnicodeRepair()
        >>> repair.may_edit("近年来，随着“发展”……"), repair.may_edit("社\\u200b会")
        (False, True)
        >>> decomposed = "e\\u0301"
        >>> repair.may_edit(decomposed), UnicodeRepair(normalization=None).may_edit(decomposed)
        (True, False)
        """
        # A text in normal form has every line in normal form: no line break
        # composes with its neighbours.
        return (
            _ANYTHING.search(text) is not None
            or "烫烫烫" in text
            or "屯屯屯" in text
            or (
                self.normalization is not None
                and not unicodedata.is_normalized(cast(Any, self.normalization), text)
            )
        )

    def _fast(self, text: str) -> str | None:
        # Most Chinese text needs none of this: one search says so.
        if not self.may_edit(text):
            return text
        return super()._fast(text)

    def _passes(self) -> list[Callable[[str], list[Edit]]]:
        passes: list[Callable[[str], list[Edit]]] = [lambda t: sub_edits(_SURROGATES, t, "\ufffd")]
        if self.invisibles:
            passes.append(
                lambda t: sub_edits(_INVISIBLE_BUT_SHY if self.ftfy else _INVISIBLE, t, "")
            )
        if self.ftfy:
            passes.append(self._ftfy_pass)
        if self.invisibles:
            passes.append(lambda t: sub_edits(_INVISIBLE, t, ""))
            passes.append(lambda t: sub_edits(_JOINERS, t, ""))
            if self.ftfy:
                # a joiner removed can expose mojibake ftfy did not read as such
                # ("\u200cÂ " then "Â "): ftfy again, so a second run finds nothing
                passes.append(self._ftfy_pass)
        if self.radicals:
            passes.append(lambda t: sub_edits(_RADICALS, t, lambda m: fix_radicals(m[0])))
        if self.markers:
            # removing one marker can close up another ("锟斤锟斤拷拷"): repeat to a fixed point
            passes.append(lambda t: fixpoint_edits(t, lambda u: sub_edits(_MARKERS, u, "")))
        return passes

    def flags(self, text: str) -> list[Flag]:
        out = [
            Flag("invalid-unicode", m.start(), m.end(), "lone surrogate replaced by U+FFFD")
            for m in _SURROGATES.finditer(text)
        ]
        if self.markers:
            out += [
                Flag("lost-bytes", m.start(), m.end(), f"removed lost-byte marker {m[0][:6]!r}")
                for m in _MARKERS.finditer(text)
            ]
        return sorted(out, key=lambda f: f.start)
