"""Line endings, trailing spaces, runs of blank lines."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial

import regex

from ..edits import Edit, sub_edits
from ._chars import CJK_PUNCT_CHARS
from .base import Normalizer

__all__ = ["Whitespace"]

# U+0085 is left to UnicodeRepair: in scraped text it is far more often a cp1252
# byte inside mojibake than a NEL line break.
_LINE_BREAKS = regex.compile("\r\n|[\r\u2028\u2029\x0b\x0c]")
_TRAILING = regex.compile(r"[ \t\u00a0\u3000\u2000-\u200a\u202f\u205f]+(?=\n|\Z)")
# Indentation before Chinese prose (a Han character or CJK punctuation) carries no
# structure once every paragraph is a line; before code, a list marker, YAML or any
# other text it does, and stays.
_LEADING = regex.compile(
    rf"(?m)^[ \t\u00a0\u3000\u2000-\u200a\u202f\u205f]+(?=[\p{{Han}}{CJK_PUNCT_CHARS}])"
)
_DOC_START = regex.compile(r"\A\n+")
# The blank-line rules keep a run's first line break and delete the extra ones
# after it, instead of replacing the run: a protected block owns the breaks
# around it, and an edit over a whole run reached into one; the pipeline
# dropped it with every change composed into it (the trailing blanks and line
# endings next to the block), and the next run cleaned the lines differently
# (issue 15).  For the same reason a run keeps its last break too, if it can.
_DOC_END = regex.compile(r"(?<=(?:^|[^\n])\n)\n+\Z")
# What Whitespace.may_edit looks for (``re`` scans a character class faster):
# a line ending other than \n, and a blank, which trailing and leading blanks need.
_BREAK_CHARS = re.compile("[\r\u2028\u2029\x0b\x0c]")
_BREAK_OR_BLANK = re.compile("[\r\u2028\u2029\x0b\x0c \t\u00a0\u3000\u2000-\u200a\u202f\u205f]")
_BLANK = re.compile("[ \t\u00a0\u3000\u2000-\u200a\u202f\u205f]")


@dataclass(frozen=True, repr=False)
class Whitespace(Normalizer):
    """Normalize line endings and blank space.

    >>> Whitespace()("标题  \\r\\n\\r\\n\\r\\n\\r\\n正文\\u3000\\n")
    '标题\\n\\n正文\\n'

    ``max_blank_lines`` caps runs of blank lines; ``strip_indent`` removes the
    indentation of lines of Chinese prose, the ``　　`` first-line indent
    included (off by default: it is a style; the ``zh`` presets switch it on,
    writing every paragraph as one unindented line).  Indentation before
    anything else — code, list markers, YAML keys, Latin text — carries
    structure and is always kept:

    >>> Whitespace(strip_indent=True)("\\u3000\\u3000正文\\n    return x\\n  - 列表项")
    '正文\\n    return x\\n  - 列表项'

    The text keeps at most one final newline and no leading blank lines.
    """

    line_endings: bool = True
    trailing: bool = True
    max_blank_lines: int = 1
    strip_indent: bool = False

    def may_edit(self, text: str) -> bool:
        """Whether ``text`` has what an enabled rule needs: a line ending other
        than ``\\n``, a blank (trailing or leading ones are made of them), two
        line breaks in a row or a line break first.

        >>> Whitespace().may_edit("标题\\n正文。"), Whitespace().may_edit("标题\\n\\n\\n正文")
        (False, True)
        >>> Whitespace().may_edit("正文\\u3000"), Whitespace(trailing=False).may_edit("正文\\u3000")
        (True, False)
        """
        blanks = self.trailing or self.strip_indent
        if self.line_endings:
            found = (_BREAK_OR_BLANK if blanks else _BREAK_CHARS).search(text)
        else:
            found = _BLANK.search(text) if blanks else None
        if found is not None:
            return True
        # every blank-line rule needs "\n\n" (a run of blank lines, or blank
        # lines at the end) or a line break at the start
        return self.max_blank_lines >= 0 and ("\n\n" in text or text.startswith("\n"))

    def _passes(self) -> list[Callable[[str], list[Edit]]]:
        # Each rule once: base.Normalizer derives edits() and the fast call from these.
        rules: list[tuple[regex.Pattern[str], str]] = []
        if self.line_endings:
            rules.append((_LINE_BREAKS, "\n"))
        if self.trailing:
            rules.append((_TRAILING, ""))
        if self.strip_indent:
            rules.append((_LEADING, ""))
        if self.max_blank_lines >= 0:
            n = self.max_blank_lines + 1
            rules.append((_blank_runs(n), ""))
            rules.append((_DOC_START, ""))
            rules.append((_DOC_END, ""))
        return [partial(_sub, pattern, repl) for pattern, repl in rules]


def _sub(pattern: regex.Pattern[str], repl: str, text: str) -> list[Edit]:
    return sub_edits(pattern, text, repl)


@lru_cache(maxsize=8)
def _blank_runs(n: int) -> regex.Pattern[str]:
    """The line breaks of a run beyond ``n``: all but its first and its last ``n - 1``."""
    return regex.compile(f"(?<=(?:^|[^\n])\n)\n+(?=\n{{{n - 1}}}(?!\n))")
