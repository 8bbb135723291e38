"""Rendering ``--explain`` output: every edit of every step, as a word diff.

One block per document: a header, then one line per edit giving the 1-based
line of the raw input it touches, the step name, and the change in context.
With colour, deletions are red and insertions green; without, they are
marked ``[-old-]`` and ``{+new+}``.  Invisible characters are shown as
escapes (``\\n``, ``\\u3000``) so whitespace edits can be seen.

>>> from textwash.pipeline import StepEdit
>>> raw = "标题\\n随着社会,经济的发展"
>>> edits = [StepEdit("Punctuation", 0, 7, 8, ",", "，", 7, 8)]
>>> print(render_document("a.txt", raw, edits, color=False))
==> a.txt <==
  L2  Punctuation  随着社会[-,-]{+，+}经济的发展
"""

from __future__ import annotations

import os
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, TextIO

from ..edits import Edit, apply_edits
from ..segment.document import line_starts

if TYPE_CHECKING:
    from ..pipeline import StepEdit, StepFlag

__all__ = [
    "COLOR_MODES",
    "escape",
    "line_starts",
    "render_document",
    "render_edit",
    "shorten",
    "use_color",
]

#: Values of ``--color``.
COLOR_MODES: tuple[str, ...] = ("auto", "always", "never")

_RESET = "\x1b[0m"
_STYLES = {
    "header": "\x1b[1m",
    "line": "\x1b[2m",
    "step": "\x1b[36m",
    "delete": "\x1b[31m",
    "insert": "\x1b[32m",
    "delete-space": "\x1b[41m",  # whitespace-only changes get a background to be visible
    "insert-space": "\x1b[42m",
    "flag": "\x1b[33m",
}
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def use_color(mode: str, stream: TextIO) -> bool:
    """Whether to colour output to ``stream`` for ``--color mode``.

    ``"auto"`` colours a terminal unless ``NO_COLOR`` is set or ``TERM=dumb``.

    >>> import io
    >>> use_color("always", io.StringIO()), use_color("auto", io.StringIO())
    (True, False)
    """
    if mode not in COLOR_MODES:
        raise ValueError(f"colour mode must be one of {', '.join(COLOR_MODES)}, not {mode!r}")
    if mode != "auto":
        return mode == "always"
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _paint(text: str, style: str, color: bool) -> str:
    return f"{_STYLES[style]}{text}{_RESET}" if color and text else text


def escape(text: str) -> str:
    """``text`` with line breaks, tabs and other invisible characters written as escapes.

    >>> escape("a\\n b\\u3000c\\u200b")
    'a\\\\n b\\\\u3000c\\\\u200b'
    """
    out: list[str] = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch.isprintable() or ch == " ":
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
    return "".join(out)


def shorten(text: str, limit: int = 60) -> str:
    """Cut the middle out of ``text`` if it is longer than ``limit`` characters.

    >>> shorten("一二三四五六七八九十", limit=6)
    '一二三…(+5)…九十'
    """
    if len(text) <= limit:
        return text
    head, tail = limit // 2, limit // 3
    return f"{text[:head]}…(+{len(text) - head - tail})…{text[len(text) - tail :]}"


def _diff(old: str, new: str, color: bool) -> str:
    """The change itself: coloured, or with ``[-...-]``/``{+...+}`` markers."""
    old_s, new_s = escape(shorten(old)), escape(shorten(new))
    if not color:
        return (f"[-{old_s}-]" if old else "") + (f"{{+{new_s}+}}" if new else "")
    parts = []
    for text, style in ((old_s, "delete"), (new_s, "insert")):
        if text:
            parts.append(_paint(text, f"{style}-space" if text.isspace() else style, True))
    return "".join(parts)


def _prefix(line: int, step: str, color: bool, widths: tuple[int, int]) -> str:
    """``"  L12  StepName  "``, padded to ``widths`` (line digits, step name)."""
    label = _paint(f"L{line}".ljust(widths[0] + 1), "line", color)
    return f"  {label}  {_paint(step.ljust(widths[1]), 'step', color)}  "


def render_edit(
    step_input: str,
    edit: StepEdit,
    line: int,
    *,
    color: bool,
    widths: tuple[int, int] = (0, 0),
    context: int = 8,
) -> str:
    """One explanation line for ``edit`` made to ``step_input``, on raw-input ``line``.

    ``context`` characters of ``step_input`` are shown on each side, within the
    same line; ``widths`` pads the line number and step name into columns.

    >>> from textwash.pipeline import StepEdit
    >>> render_edit("社 会", StepEdit("OcrSpacing", 2, 1, 2, " ", "", 1, 2), 1, color=False)
    '  L1  OcrSpacing  社[- -]会'
    """
    before = step_input[max(0, edit.start - context) : edit.start].rpartition("\n")[2]
    after = step_input[edit.end : edit.end + context].partition("\n")[0]
    body = escape(before) + _diff(edit.old, edit.new, color) + escape(after)
    return _prefix(line, edit.step, color, widths) + body


def _with_inputs(text: str, edits: Sequence[StepEdit]) -> Iterator[tuple[StepEdit, str]]:
    """Pair each edit with the text its step was given, rebuilt from the raw ``text``."""
    current, index = text, None
    pending: list[Edit] = []
    for e in edits:
        if e.index != index:
            current, index, pending = apply_edits(current, pending), e.index, []
        pending.append(Edit(e.start, e.end, e.new))
        yield e, current


def render_document(
    title: str,
    text: str,
    edits: Sequence[StepEdit],
    flags: Sequence[StepFlag] = (),
    *,
    color: bool = False,
) -> str:
    """The ``--explain`` block of one document: header, edits, then flags.

    ``text`` is the raw document; ``edits`` come from :meth:`Pipeline.explain`
    and ``flags`` from :meth:`Pipeline.run`.

    Protected regions (the ``protect:KIND`` entries ``explain`` puts first) are
    listed as kept, with their text:

    >>> from textwash.pipeline import StepEdit
    >>> kept = StepEdit("protect:inline_code", -1, 2, 5, "`x`", "`x`", 2, 5)
    >>> print(render_document("a.txt", "好 `x`", [kept]))
    ==> a.txt <==
      L1  protect:inline_code  = kept「`x`」
      (no changes)
    """
    lines = [_paint(f"==> {title} <==", "header", color)]
    starts = line_starts(text)
    # a protected block starts with the line break before it: count from its first line
    edit_lines = [
        bisect_right(starts, e.source_start + (len(e.old) - len(e.old.lstrip("\r\n"))))
        if e.index < 0
        else bisect_right(starts, e.source_start)
        for e in edits
    ]
    flag_lines = [bisect_right(starts, f.source_start) for f in flags]
    widths = (
        len(str(max([*edit_lines, *flag_lines], default=0))),
        max((len(x.step) for x in [*edits, *flags]), default=0),  # type: ignore[attr-defined]
    )
    changed = False
    for (edit, step_input), line in zip(_with_inputs(text, edits), edit_lines, strict=True):
        if edit.index < 0:  # a protected region: nothing changed there
            snippet = escape(shorten(text[edit.source_start : edit.source_end].strip("\n")))
            kept = _paint("= kept", "flag", color)
            lines.append(f"{_prefix(line, edit.step, color, widths)}{kept}「{snippet}」")
            continue
        changed = True
        lines.append(render_edit(step_input, edit, line, color=color, widths=widths))
    for flag, line in zip(flags, flag_lines, strict=True):
        snippet = escape(shorten(text[flag.source_start : flag.source_end]))
        note = _paint(f"! {flag.kind}: {flag.message}", "flag", color)
        lines.append(f"{_prefix(line, flag.step, color, widths)}{note}「{snippet}」")
    if not changed and not flags:
        lines.append("  (no changes)")
    return "\n".join(lines)
