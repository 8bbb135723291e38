"""Edits: the unit every normalizer reports, and the offset map built from them.

A normalizer does not just return new text: it returns a list of :class:`Edit`
objects, each replacing ``text[start:end]`` of its *input* with ``new``.  Edits
are sorted and never overlap.  Because every step speaks in this one currency,
the pipeline can

* show a user exactly what each step changed (:meth:`Pipeline.explain`),
* compose the steps into one edit list from raw input to cleaned output, and
* map any span of the cleaned text back to the raw span it came from
  (:class:`OffsetMap`), which duplicate reports rely on.

>>> text = "近年来,随着"
>>> edits = [Edit(3, 4, "，")]
>>> apply_edits(text, edits)
'近年来，随着'
"""

from __future__ import annotations

import difflib
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import regex

__all__ = [
    "ChainMap",
    "Edit",
    "EditConflict",
    "OffsetMap",
    "apply_edits",
    "chain_edits",
    "compose_edits",
    "diff_edits",
    "fixpoint_edits",
    "is_canonical",
    "line_diff_edits",
    "merge_edits",
    "sub_edits",
]


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``text[start:end]`` with ``new``.

    ``start == end`` is an insertion, ``new == ""`` a deletion.

    >>> Edit(0, 2, "x").apply("abc")
    'xc'
    """

    start: int
    end: int
    new: str

    def apply(self, text: str) -> str:
        """Apply this single edit to ``text``."""
        return text[: self.start] + self.new + text[self.end :]


class EditConflict(ValueError):
    """Two edits overlap in a way no merge can settle (or an edit's span is reversed).

    ``position`` is where the second edit starts, in the text the edits index.

    >>> str(EditConflict(Edit(0, 2, "x"), Edit(1, 3, "y")))
    "overlapping edits Edit(start=0, end=2, new='x') and Edit(start=1, end=3, new='y')"
    """

    def __init__(self, before: Edit | None, edit: Edit) -> None:
        self.before = before
        self.edit = edit
        self.position = edit.start
        if before is None:
            msg = f"edit with a reversed span {edit!r}"
        else:
            msg = f"overlapping edits {before!r} and {edit!r}"
        super().__init__(msg)

    def __reduce__(self) -> tuple[object, ...]:
        return (EditConflict, (self.before, self.edit))


def is_canonical(edits: Sequence[Edit]) -> bool:
    """Whether ``edits`` are sorted, non-overlapping and well formed (what every step returns).

    >>> is_canonical([Edit(0, 1, ""), Edit(1, 2, "")])
    True
    >>> is_canonical([Edit(1, 2, ""), Edit(1, 2, "")])
    False
    """
    pos = 0
    for e in edits:
        if e.start < pos or e.end < e.start:
            return False
        pos = e.end
    return True


def merge_edits(edits: Iterable[Edit]) -> list[Edit]:
    """Sort ``edits`` and merge those that overlap, where the merge is unambiguous.

    A step that collects edits from several patterns may find one span twice,
    or two overlapping spans to delete; both mean one thing, so duplicates go
    and overlapping deletions become the deletion of their union.  Any other
    overlap (two replacements of one character, a replacement inside a
    deletion) has no single meaning and raises :class:`EditConflict`.

    >>> merge_edits([Edit(1, 2, ""), Edit(1, 2, "")])
    [Edit(start=1, end=2, new='')]
    >>> merge_edits([Edit(4, 6, ""), Edit(1, 3, ""), Edit(2, 5, "")])
    [Edit(start=1, end=6, new='')]
    >>> merge_edits([Edit(0, 2, "x"), Edit(1, 3, "y")])
    Traceback (most recent call last):
    ...
    textwash.edits.EditConflict: overlapping edits Edit(start=0, end=2, new='x') and ...
    """
    ordered = sorted(edits, key=lambda e: (e.start, e.end))
    out: list[Edit] = []
    for e in ordered:
        if e.end < e.start:
            raise EditConflict(None, e)
        if out:
            last = out[-1]
            if e == last and e.start < e.end:
                continue  # the same change found twice
            if e.start < last.end:
                if last.new or e.new:
                    raise EditConflict(last, e)
                out[-1] = Edit(last.start, max(last.end, e.end), "")
                continue
        out.append(e)
    return out


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """Apply sorted, non-overlapping ``edits`` to ``text``.

    >>> apply_edits("社 会 、实 现", [Edit(1, 2, ""), Edit(3, 4, ""), Edit(6, 7, "")])
    '社会、实现'
    """
    if not edits:
        return text
    parts: list[str] = []
    pos = 0
    last: Edit | None = None
    for e in edits:
        if e.start < pos or e.end < e.start:
            raise EditConflict(last if e.start < pos else None, e)
        parts.append(text[pos : e.start])
        parts.append(e.new)
        pos = e.end
        last = e
    parts.append(text[pos:])
    return "".join(parts)


def sub_edits(
    pattern: regex.Pattern[str],
    text: str,
    repl: str | Callable[[regex.Match[str]], str],
) -> list[Edit]:
    """Edits for ``pattern.sub(repl, text)``, skipping matches that change nothing.

    >>> sub_edits(regex.compile(r" +"), "a  b c", "")
    [Edit(start=1, end=3, new=''), Edit(start=4, end=5, new='')]
    """
    out: list[Edit] = []
    for m in pattern.finditer(text):
        new = repl(m) if callable(repl) else m.expand(repl)
        if new != m.group(0):
            out.append(Edit(m.start(), m.end(), new))
    return out


def compose_edits(text: str, first: Sequence[Edit], second: Sequence[Edit]) -> list[Edit]:
    """Compose two edit lists into one that maps ``text`` straight to the final text.

    ``first`` applies to ``text``; ``second`` applies to the result of ``first``.
    Overlapping edits merge; edits that only touch stay apart, so offsets stay
    as fine-grained as the steps reported them.  Outside the returned edits the
    text is copied unchanged.

    >>> t = "a,b"
    >>> e1 = [Edit(1, 2, "，")]          # a，b
    >>> e2 = [Edit(0, 2, "A，")]         # A，b
    >>> compose_edits(t, e1, e2)
    [Edit(start=0, end=2, new='A，')]
    """
    if not first or not second:
        return [e for e in (first or second) if text[e.start : e.end] != e.new]
    mid = apply_edits(text, first)
    # Intervals in middle-text coordinates: first's outputs (kind 0), second's inputs (kind 1).
    spans: list[tuple[int, int, int, int]] = []
    shift = 0
    for i, e in enumerate(first):
        ms = e.start + shift
        spans.append((ms, ms + len(e.new), 0, i))
        shift += len(e.new) - (e.end - e.start)
    spans.extend((e.start, e.end, 1, i) for i, e in enumerate(second))
    spans.sort()
    out: list[Edit] = []
    delta_before = 0  # (mid - src) length change of first's edits before the cluster
    k = 0
    while k < len(spans):
        cs, ce = spans[k][0], spans[k][1]
        a_delta = 0
        b_idx: list[int] = []
        first_span = True
        while k < len(spans) and (first_span or spans[k][0] < ce):
            first_span = False
            _, span_end, kind, i = spans[k]
            ce = max(ce, span_end)
            if kind == 0:
                a = first[i]
                a_delta += len(a.new) - (a.end - a.start)
            else:
                b_idx.append(i)
            k += 1
        piece: list[str] = []
        pos = cs
        for i in b_idx:
            b = second[i]
            piece.append(mid[pos : b.start])
            piece.append(b.new)
            pos = b.end
        piece.append(mid[pos:ce])
        src_start = cs - delta_before
        src_end = ce - delta_before - a_delta
        delta_before += a_delta
        new_text = "".join(piece)
        if text[src_start:src_end] != new_text:
            out.append(Edit(src_start, src_end, new_text))
    return out


def chain_edits(text: str, *passes: Callable[[str], list[Edit]]) -> list[Edit]:
    """Run several edit-producing passes in order and return their composition.

    Normalizers with more than one rule use this, so that each rule sees the
    output of the rule before it while the step still reports edits against
    its own input.

    >>> spaces = lambda t: sub_edits(regex.compile(" "), t, "")
    >>> upper = lambda t: sub_edits(regex.compile("[a-z]"), t, lambda m: m[0].upper())
    >>> chain_edits("a b", spaces, upper)
    [Edit(start=0, end=1, new='A'), Edit(start=1, end=2, new=''), Edit(start=2, end=3, new='B')]
    """
    total: list[Edit] = []
    current = text
    for p in passes:
        edits = p(current)
        if not is_canonical(edits):
            edits = merge_edits(edits)
        if edits:
            total = compose_edits(text, total, edits)
            current = apply_edits(current, edits)
        elif len(passes) > 1 and all(q is p for q in passes):
            break  # a repeated pass that found nothing will find nothing again
    return total


def fixpoint_edits(text: str, pass_: Callable[[str], list[Edit]], limit: int = 20) -> list[Edit]:
    """Repeat ``pass_`` until it makes no edit (at most ``limit`` times); compose the result.

    >>> pair = regex.compile("ab")
    >>> fixpoint_edits("aabb", lambda t: sub_edits(pair, t, ""))
    [Edit(start=0, end=4, new='')]
    """
    return chain_edits(text, *([pass_] * limit))


def diff_edits(old: str, new: str) -> list[Edit]:
    """Smallest-effort edits that turn ``old`` into ``new`` (for black-box steps).

    Used to give offsets to steps whose library does not report them (ftfy,
    OpenCC, a user's plain function).  Equal-length changes are compared
    character by character; other changes go through :mod:`difflib`.

    >>> diff_edits("後来的事", "后来的事")
    [Edit(start=0, end=1, new='后')]
    """
    if old == new:
        return []
    if len(old) == len(new):
        out: list[Edit] = []
        i = 0
        n = len(old)
        while i < n:
            if old[i] != new[i]:
                j = i + 1
                while j < n and old[j] != new[j]:
                    j += 1
                out.append(Edit(i, j, new[i:j]))
                i = j
            else:
                i += 1
        return out
    # common prefix/suffix first: most black-box changes are local
    p = 0
    m = min(len(old), len(new))
    while p < m and old[p] == new[p]:
        p += 1
    s = 0
    while s < m - p and old[len(old) - 1 - s] == new[len(new) - 1 - s]:
        s += 1
    return _diff_middle(old[p : len(old) - s], new[p : len(new) - s], p)


_CHAR_DIFF_LIMIT = 2000


def _diff_middle(o: str, n: str, base: int) -> list[Edit]:
    if len(o) <= _CHAR_DIFF_LIMIT and len(n) <= _CHAR_DIFF_LIMIT:
        sm = difflib.SequenceMatcher(None, o, n, autojunk=False)
        return [
            Edit(base + i1, base + i2, n[j1:j2])
            for tag, i1, i2, j1, j2 in sm.get_opcodes()
            if tag != "equal"
        ]
    # Long changes: align lines first, then characters inside each changed block.
    o_lines = o.splitlines(keepends=True)
    n_lines = n.splitlines(keepends=True)
    if len(o_lines) < 2 and len(n_lines) < 2:
        return [Edit(base, base + len(o), n)]
    o_pos = [0]
    for line in o_lines:
        o_pos.append(o_pos[-1] + len(line))
    n_pos = [0]
    for line in n_lines:
        n_pos.append(n_pos[-1] + len(line))
    out: list[Edit] = []
    sm = difflib.SequenceMatcher(None, o_lines, n_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            continue
        block_o = o[o_pos[i1] : o_pos[i2]]
        block_n = n[n_pos[j1] : n_pos[j2]]
        if i2 - i1 == j2 - j1:  # as many lines on both sides: diff them pairwise
            for k in range(i2 - i1):
                out.extend(
                    diff_edits_shifted(o_lines[i1 + k], n_lines[j1 + k], base + o_pos[i1 + k])
                )
        elif len(block_o) <= _CHAR_DIFF_LIMIT and len(block_n) <= _CHAR_DIFF_LIMIT:
            out.extend(diff_edits_shifted(block_o, block_n, base + o_pos[i1]))
        else:
            out.append(Edit(base + o_pos[i1], base + o_pos[i2], block_n))
    return out


def diff_edits_shifted(old: str, new: str, base: int) -> list[Edit]:
    """:func:`diff_edits` with every offset moved by ``base``."""
    return [Edit(base + e.start, base + e.end, e.new) for e in diff_edits(old, new)]


# Every line break the Whitespace step recognises, so that a per-line function
# sees the same lines before and after line endings are normalized.
_LINE = regex.compile(
    "[^\n\r\u2028\u2029\x0b\x0c]*(?:\r\n|[\n\r\u2028\u2029\x0b\x0c])|.+", regex.DOTALL
)


def line_diff_edits(text: str, fn: Callable[[str], str]) -> list[Edit]:
    """Apply ``fn`` to each line of ``text`` (newline excluded) and diff the changed lines.

    >>> line_diff_edits("ab\\ncd", str.upper)
    [Edit(start=0, end=2, new='AB'), Edit(start=3, end=5, new='CD')]
    """
    out: list[Edit] = []
    for m in _LINE.finditer(text):
        line = m.group(0)
        body = line.rstrip("\n\r\u2028\u2029\x0b\x0c")
        if not body:
            continue
        new = fn(body)
        if new != body:
            out.extend(diff_edits_shifted(body, new, m.start()))
    return out


class OffsetMap:
    """Map spans of a cleaned text back to spans of the raw text it came from.

    Built from the composed edits of a whole pipeline run.  Positions outside
    any edit map exactly; a position inside replaced text maps to the edge of the
    raw span that was replaced (start to its start, end to its end), so a
    returned span always covers the raw text that produced the cleaned span.

    >>> raw = "社 会 、实 现"
    >>> m = OffsetMap(raw, [Edit(1, 2, ""), Edit(3, 4, ""), Edit(6, 7, "")])
    >>> m.to_source(3, 5)              # "实现" in the cleaned text "社会、实现"
    (5, 8)
    >>> raw[5:8]
    '实 现'
    """

    def __init__(self, source: str, edits: Iterable[Edit]) -> None:
        self.source = source
        self.edits = list(edits)
        self._starts: Sequence[int] = [e.start for e in self.edits]
        self._ends: Sequence[int] = [e.end for e in self.edits]
        dst_starts: list[int] = []
        dst_ends: list[int] = []
        shift = 0
        for e in self.edits:
            ds = e.start + shift
            dst_starts.append(ds)
            dst_ends.append(ds + len(e.new))
            shift += len(e.new) - (e.end - e.start)
        self._dst_starts: Sequence[int] = dst_starts
        self._dst_ends: Sequence[int] = dst_ends
        self._final_shift = shift

    def light(self) -> OffsetMap:
        """The same mapping without the texts: cheap to keep or send to another process.

        >>> m = OffsetMap("a , b", [Edit(1, 4, "，")]).light()
        >>> m.to_source(1, 2), m.source, m.edits
        ((1, 4), '', [])
        """
        out = OffsetMap.__new__(OffsetMap)
        out.source, out.edits = "", []
        # 8 bytes an offset instead of a Python int each: a light map is kept per document
        out._starts, out._ends = array("q", self._starts), array("q", self._ends)
        out._dst_starts, out._dst_ends = array("q", self._dst_starts), array("q", self._dst_ends)
        out._final_shift = self._final_shift
        return out

    def to_source_pos(self, pos: int, *, side: str = "start") -> int:
        """Map one cleaned-text position back to the raw text.

        ``side="start"`` treats ``pos`` as the start of a span, ``side="end"`` as
        its end; they differ only where ``pos`` touches replaced or deleted text,
        and both give the tightest raw span that still covers the cleaned one.
        """
        if side == "start":
            j = bisect_right(self._dst_starts, pos) - 1
            if j < 0:
                return pos
            if pos < self._dst_ends[j]:
                return self._starts[j]
            return self._ends[j] + (pos - self._dst_ends[j])
        j = bisect_left(self._dst_ends, pos)
        if j == len(self._starts):
            return pos - self._final_shift
        if self._dst_starts[j] < pos:
            return self._ends[j]
        return self._starts[j] - (self._dst_starts[j] - pos)

    def to_source(self, start: int, end: int) -> tuple[int, int]:
        """Map the cleaned span ``[start, end)`` to the raw span that produced it."""
        s = self.to_source_pos(start, side="start")
        e = self.to_source_pos(end, side="end") if end > start else s
        return s, max(s, e)

    def __len__(self) -> int:
        return len(self._starts)

    def __repr__(self) -> str:
        return f"OffsetMap(edits={len(self._starts)})"


class ChainMap:
    """Offsets back through several steps, one :class:`OffsetMap` per step.

    Mapping a span back step by step gives the span the composed edits would
    give, without composing them: a pipeline run keeps one map per step and
    pays for composition only if someone asks for the composed edits.

    >>> raw = "社 会 , 经济"
    >>> step1 = [Edit(1, 2, ""), Edit(3, 4, "")]           # "社会, 经济"
    >>> step2 = [Edit(2, 3, "，")]                          # "社会， 经济"
    >>> ChainMap([OffsetMap(raw, step1), OffsetMap("", step2)]).to_source(0, 3)
    (0, 5)
    """

    def __init__(self, maps: Sequence[OffsetMap]) -> None:
        self.maps = list(maps)

    def to_source(self, start: int, end: int) -> tuple[int, int]:
        """Map the span ``[start, end)`` of the last step's output back to the first input."""
        for m in reversed(self.maps):
            start, end = m.to_source(start, end)
        return start, end

    def light(self) -> ChainMap:
        """The same mapping without the texts (see :meth:`OffsetMap.light`)."""
        return ChainMap([m.light() for m in self.maps if len(m)])

    def __len__(self) -> int:
        return sum(len(m) for m in self.maps)

    def __repr__(self) -> str:
        return f"ChainMap(steps={len(self.maps)}, edits={len(self)})"
