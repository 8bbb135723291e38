"""Line endings, trailing spaces, runs of blank lines."""

from __future__ import annotations

from dataclasses import dataclass

import regex

from ..edits import Edit, chain_edits, sub_edits
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
_DOC_END = regex.compile(r"\n{2,}\Z")


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

    def _fast(self, text: str) -> str:
        if self.line_endings:
            text = _LINE_BREAKS.sub("\n", text)
        if self.trailing:
            text = _TRAILING.sub("", text)
        if self.strip_indent:
            text = _LEADING.sub("", text)
        if self.max_blank_lines >= 0:
            n = self.max_blank_lines + 1
            text = regex.sub(f"\n{{{n + 1},}}", "\n" * n, text)
            text = _DOC_END.sub("\n", _DOC_START.sub("", text))
        return text

    def edits(self, text: str) -> list[Edit]:
        passes = []
        if self.line_endings:
            passes.append(lambda t: sub_edits(_LINE_BREAKS, t, "\n"))
        if self.trailing:
            passes.append(lambda t: sub_edits(_TRAILING, t, ""))
        if self.strip_indent:
            passes.append(lambda t: sub_edits(_LEADING, t, ""))
        if self.max_blank_lines >= 0:
            n = self.max_blank_lines + 1
            runs = regex.compile(f"\n{{{n + 1},}}")
            passes.append(lambda t: sub_edits(runs, t, "\n" * n))
            passes.append(lambda t: sub_edits(_DOC_START, t, ""))
            passes.append(lambda t: sub_edits(_DOC_END, t, "\n"))
        return chain_edits(text, *passes)
