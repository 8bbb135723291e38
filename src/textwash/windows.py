"""Cleaning text too long to hold at once: overlapping windows joined at agreed seams.

A 200 MB scrape with no line break is one document.  Cleaning it in one piece
needs several times its size (every step's output and edit list), so
:class:`Windowed` cleans it a window of about ``window`` characters at a time
and yields the cleaned pieces as it goes; memory stays near a few windows
whatever the length of the text.

Windows overlap.  Each is cleaned with at least ``context`` characters of raw
text on either side that it does not emit, so a step deciding from nearby text
(a title repeated on the next line, a wrap inside a sentence, OCR spaces in a
line) sees the same neighbourhood it would see in the whole text.  Two windows
are joined at a *seam*: a raw position that no edit of any step crosses in
either window (candidates: line starts near the window's end, then sentence
ends, then any position).  The left window emits its output up to the seam and
the right one from it, so nothing is lost or doubled there, and the joined text
equals cleaning the whole at once for steps that look no further than
``context`` characters.  Those that look further, on a single line longer
than a window, decide per window instead: ``OcrSpacing`` and ``GbkMojibake``
judge a line as a whole, and on a line with no break at all a window is the
line they judge.

>>> from textwash.presets import get_preset
>>> zh = get_preset("zh")
>>> text = "近年来,随着社 会 、经 济的发展。\\n" * 400
>>> out = "".join(Windowed(zh, window=1000, context=100).clean([text[:5000], text[5000:]]))
>>> out == zh(text)
True
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import regex

from .edits import Edit, apply_edits
from .pipeline import Pipeline, guarded_edits
from .protect import shift_regions

__all__ = [
    "LONG_TEXT",
    "Resume",
    "WindowJob",
    "WindowResult",
    "Windowed",
    "clean_long",
    "clean_window",
    "map_positions",
]

#: Texts longer than this many characters are cleaned in windows by :func:`clean_long`.
LONG_TEXT = 1 << 22

_SENTENCE_END = regex.compile(r"[。！？!?]")


@dataclass(frozen=True, slots=True)
class WindowJob:
    """One window to clean: its raw text and the raw positions to locate in the output.

    ``positions`` index ``text``; the window's result says where each one lands
    in the cleaned text and whether an edit crosses it.
    """

    text: str
    positions: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class WindowResult:
    """A cleaned window.

    Attributes:
        text: the window cleaned whole, context included.
        positions: for every position of the job, ``(offset, clean)``: where it
            lands in ``text``, and ``False`` when an edit of some step crosses it.
        counts: for every position, the number of edits each step made before it.
    """

    text: str
    positions: tuple[tuple[int, bool], ...]
    counts: tuple[tuple[int, ...], ...]


def map_positions(
    steps: list[list[Edit]], positions: Iterable[int]
) -> tuple[list[tuple[int, bool]], list[tuple[int, ...]]]:
    """Carry raw ``positions`` through every step's ``edits`` to the final text.

    An edit that ends at a position lies before it; one that starts there, and
    an insertion exactly there, after it.  An edit crossing the position makes
    it unclean: the position then lands where that edit's output starts.

    >>> map_positions([[Edit(1, 2, ""), Edit(4, 6, "xyz")]], [0, 3, 5, 6])
    ([(0, True), (2, True), (3, False), (6, True)], [(0,), (1,), (1,), (2,)])
    """
    out = [(p, True) for p in positions]
    counts: list[list[int]] = [[] for _ in out]
    for edits in steps:
        ends = [e.end for e in edits]
        shifts = list(accumulate((len(e.new) - e.end + e.start for e in edits), initial=0))
        for i, (p, ok) in enumerate(out):
            j = bisect_right(ends, p)
            while j and edits[j - 1].start == edits[j - 1].end == p:
                j -= 1  # an insertion at the position belongs after it
            if j < len(edits) and edits[j].start < p:
                out[i] = (edits[j].start + shifts[j], False)
            else:
                out[i] = (p + shifts[j], ok)
            counts[i].append(j)
    return out, [tuple(c) for c in counts]


def clean_window(pipeline: Pipeline, job: WindowJob) -> WindowResult:
    """Clean ``job.text`` with ``pipeline`` and locate ``job.positions`` in the result."""
    text = job.text
    steps: list[list[Edit]] = []
    regions = pipeline.protect(text)
    for step in pipeline.steps:
        edits = guarded_edits(step, text, regions)
        steps.append(edits)
        if edits:
            text = apply_edits(text, edits)
            regions = shift_regions(regions, edits)
    located, counts = map_positions(steps, job.positions)
    return WindowResult(text, tuple(located), tuple(counts))


def clean_long(pipeline: Pipeline, text: str) -> str:
    """``pipeline(text)``, in windows when ``text`` is longer than :data:`LONG_TEXT`.

    Cleaning a text whole takes up to some 30 bytes of memory per byte of a
    long line; in windows, a few windows' worth.  The result is the same (see
    the module docs for the one exception).

    >>> from textwash.presets import get_preset
    >>> clean_long(get_preset("zh"), "社 会 、实 现")
    '社会、实现'
    """
    if len(text) <= LONG_TEXT:
        return pipeline(text)
    return "".join(Windowed(pipeline).clean([text]))


@dataclass(frozen=True, slots=True)
class _Plan:
    """A job plus which of its positions are what: the seam candidates at its
    start and end, and a probe a little before each, to compare windows."""

    job: WindowJob
    ends: int  # positions: the start seams, as many probes, the end seams, as many probes
    base: int  # raw position of the job's text
    target: int  # where its end seam was aimed
    seams: tuple[int, ...]  # its start seam candidates, raw positions

    @property
    def starts(self) -> int:
        """How many start seam candidates (and probes) lead its positions."""
        return len(self.seams)


@dataclass(frozen=True, slots=True)
class Resume:
    """Where a :meth:`Windowed.clean` stopped: enough to go on with the same output.

    After a piece is yielded, :attr:`Windowed.state` says how to continue right
    after it: the next window's raw start (``base``), the raw position its end
    seam aims at (``target``), its start seam candidates and the one chosen
    (``seam``); it is ``None`` after the last piece.  Plain data (see
    :meth:`to_dict`), for a journal.

    >>> state = Resume(base=1000, target=2048, seams=(1990, 1970), seam=1)
    >>> Resume.from_dict(state.to_dict()) == state
    True
    """

    base: int
    target: int
    seams: tuple[int, ...]
    seam: int

    def to_dict(self) -> dict[str, object]:
        """The state as JSON-ready data."""
        return {
            "base": self.base,
            "target": self.target,
            "seams": list(self.seams),
            "seam": self.seam,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Resume:
        """The state :meth:`to_dict` wrote."""
        return cls(data["base"], data["target"], tuple(data["seams"]), data["seam"])


class Windowed:
    """Clean a stream of text pieces in overlapping windows (see the module docs).

    ``window`` characters are emitted per window (give or take a quarter),
    ``context`` characters on each side are cleaned but not emitted, and
    ``candidates`` seams are offered at each join.  After :meth:`clean` has
    run, :attr:`windows` counts the windows, :attr:`conflicts` the joins where
    no candidate was clean in both windows, and :attr:`disagreements` the joins
    where the two windows cleaned the text before the seam differently (both
    are 0 when the steps look no further than ``context``).

    >>> Windowed(Pipeline([]), window=1 << 20)
    Windowed(window=1048576, context=16384, candidates=8)
    """

    def __init__(
        self,
        pipeline: Pipeline,
        *,
        window: int = 1 << 19,
        context: int = 1 << 14,
        candidates: int = 8,
    ) -> None:
        if context < 2 or window < 4 * context or candidates < 1:
            raise ValueError("need context >= 2, window >= 4 * context and candidates >= 1")
        self.pipeline = pipeline
        self.window = window
        self.context = context
        self.candidates = candidates
        self.windows = self.conflicts = self.disagreements = 0
        #: edits per step in the emitted text, summed over the run
        self.step_counts = [0] * len(pipeline)
        #: after each piece :meth:`clean` yields, how to continue right after it
        self.state: Resume | None = None

    def __repr__(self) -> str:
        return (
            f"Windowed(window={self.window}, context={self.context}, candidates={self.candidates})"
        )

    def clean(
        self,
        pieces: Iterable[str],
        mapper: Callable[[Iterable[WindowJob]], Iterable[WindowResult]] | None = None,
        resume: Resume | None = None,
    ) -> Iterator[str]:
        """Yield the cleaned text of the concatenated ``pieces``, window by window.

        ``mapper`` runs the jobs, in order (e.g. ``lambda jobs: pool.map(
        parallel.clean_window_in_worker, jobs, chunk=1)`` for a
        :class:`~textwash.parallel.Workers` pool); default: here, one by one.
        With ``resume`` (an earlier run's :attr:`state`) the output starts where
        that run's output stopped, and goes on exactly as it would have;
        ``pieces`` are still the whole text, from its start.
        """
        self.windows = self.conflicts = self.disagreements = 0
        self.step_counts = [0] * len(self.pipeline)
        self.state = None
        plans: list[_Plan] = []

        def jobs() -> Iterator[WindowJob]:
            for plan in self._plan(pieces, resume):
                plans.append(plan)
                yield plan.job

        if mapper is None:
            results: Iterable[WindowResult] = (clean_window(self.pipeline, j) for j in jobs())
        else:
            results = mapper(jobs())
        previous: tuple[_Plan, WindowResult] | None = None
        begin = 0  # where the previous window's emitted text starts
        begin_counts: tuple[int, ...] = (0,) * len(self.pipeline)
        for result in results:
            plan = plans.pop(0)
            self.windows += 1
            if previous is None and resume is not None:
                begin, _ = result.positions[resume.seam]
                begin_counts = result.counts[resume.seam]
            if previous is not None:
                seam = self._join(previous, (plan, result))
                left_plan, left = previous
                end, _ = left.positions[left_plan.starts * 2 + seam]
                self._count(begin_counts, left.counts[left_plan.starts * 2 + seam])
                self.state = Resume(plan.base, plan.target, plan.seams, seam)
                yield left.text[begin:end]
                begin, _ = result.positions[seam]
                begin_counts = result.counts[seam]
            previous = (plan, result)
        if previous is not None:
            _, last = previous
            self._count(begin_counts, last.counts[-1])  # the last position is the end
            self.state = None  # nothing after this piece to go on with
            yield last.text[begin:]

    def _count(self, begin: tuple[int, ...], end: tuple[int, ...]) -> None:
        """Add the edits each step made between two located positions."""
        for i, (a, b) in enumerate(zip(begin, end, strict=True)):
            self.step_counts[i] += b - a

    def _join(
        self, left_pair: tuple[_Plan, WindowResult], right_pair: tuple[_Plan, WindowResult]
    ) -> int:
        """The seam candidate to join two windows at, counting conflicts and disagreements."""
        (lp, left), (rp, right) = left_pair, right_pair
        n = rp.starts
        off_l = lp.starts * 2  # the end seams of the left window start here
        both = [i for i in range(n) if left.positions[off_l + i][1] and right.positions[i][1]]
        if both:
            seam = both[0]
        else:
            self.conflicts += 1
            seam = next((i for i in range(n) if left.positions[off_l + i][1]), 0)
        # compare what both windows made of the text just before the seam
        pl, okl = left.positions[off_l + n + seam]
        pr, okr = right.positions[n + seam]
        if okl and okr:
            el, er = left.positions[off_l + seam][0], right.positions[seam][0]
            if left.text[pl:el] != right.text[pr:er]:
                self.disagreements += 1
        return seam

    def _plan(self, pieces: Iterable[str], resume: Resume | None = None) -> Iterator[_Plan]:
        """Cut the stream into window jobs; each holds at most a window and its context."""
        window, context = self.window, self.context
        buf = ""
        base = 0  # raw position of buf[0]
        target = window  # where the next seam should be, in raw positions
        starts: list[int] = []  # the previous join's candidates, raw positions
        it = iter(pieces)
        exhausted = False
        if resume is not None:
            base, target, starts = resume.base, resume.target, list(resume.seams)
            skip = base
            for first in it:  # the text before the resumed window
                if len(first) > skip:
                    buf = first[skip:]
                    break
                skip -= len(first)
            else:
                exhausted = True
        while True:
            while not exhausted and base + len(buf) < target + 2 * context:
                piece = next(it, None)
                if piece is None:
                    exhausted = True
                else:
                    buf += piece
            if base + len(buf) < target + 2 * context:  # the rest fits: last window
                yield self._make(buf, base, target, starts, [])
                return
            ends = self._candidates(buf, target - window // 4 - base, target - base)
            ends = [base + c for c in ends]
            stop = max(ends) + context
            yield self._make(buf[: stop - base], base, target, starts, ends)
            # the next window starts with context before the earliest candidate
            cut = min(ends) - context - base
            line = buf.rfind("\n", max(0, cut - context), cut)
            cut = line + 1 if line >= 0 else cut
            buf, base = buf[cut:], base + cut
            starts = ends
            target += window

    def _make(self, text: str, base: int, target: int, starts: list[int], ends: list[int]) -> _Plan:
        half = self.context // 2
        rel_s = [s - base for s in starts]
        rel_e = [e - base for e in ends]
        positions = (*rel_s, *(p - half for p in rel_s), *rel_e, *(p - half for p in rel_e))
        if not ends:
            positions = (*positions, len(text))  # the end, for the edit counts
        plan = WindowJob(text, positions)
        return _Plan(plan, len(ends), base, target, tuple(starts))

    def _candidates(self, buf: str, lo: int, hi: int) -> list[int]:
        """Seam candidates spread over ``buf[lo:hi]``, the one nearest ``hi`` first.

        The range is cut into equal parts and each part offers its last line
        start, else its last sentence end, else its end: spread out, they
        cannot all fall inside one long edit (a boilerplate block, say).
        """
        step = max(1, (hi - lo) // self.candidates)
        found: list[int] = []
        for part in range(self.candidates):
            end = hi - part * step
            start = max(lo, end - step)
            if end <= start:
                break
            nl = buf.rfind("\n", start, end)
            if nl >= 0:
                found.append(nl + 1)
                continue
            ends = [m.end() for m in _SENTENCE_END.finditer(buf, start, end)]
            found.append(ends[-1] if ends else end)
        return list(dict.fromkeys(found))
