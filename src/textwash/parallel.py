"""Process pools for the CPU-bound stages (cleaning, segmentation).

OpenCC holds the interpreter lock and regex work is pure Python glue, so
threads do not help: work goes to processes, each with its own copy of the
pipeline (sent once, at start-up) and its own OpenCC converters.  Results come
back in input order, so ``workers=N`` gives exactly what ``workers=1`` gives.

>>> from textwash.presets import get_preset
>>> with Workers(get_preset("minimal"), workers=1) as pool:
...     pool.clean(["a  \\n", "b"])
['a\\n', 'b']

A step that fails on one text must not take the others with it: the
``*_isolated`` functions catch the :class:`~textwash.errors.CleaningError` in
the worker and send back a :class:`Failure` in that text's place, so the pool
and the other results of its batch live on.

>>> from textwash import Pipeline
>>> with Workers(Pipeline([lambda t: t[9]]), workers=1) as pool:
...     [str(r) for r in pool.clean_isolated(["0123456789", "x"])]
['9', 'step <lambda> failed: IndexError: string index out of range']
"""

from __future__ import annotations

import itertools
import os
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from .errors import CleaningError
from .pipeline import Pipeline
from .windows import LONG_TEXT, Resume, Windowed, WindowJob, WindowResult, clean_long, clean_window

__all__ = [
    "Failure",
    "PlacedWindows",
    "RaisedFailure",
    "Workers",
    "clean_window_in_worker",
    "clean_window_isolated",
    "default_workers",
]

T = TypeVar("T")
R = TypeVar("R")

_pipeline: Pipeline | None = None


def default_workers() -> int:
    """All the cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def _init(pipeline: Pipeline | None) -> None:
    global _pipeline
    _pipeline = pipeline


def _run_chunk(fn: Callable[[T], R], batch: list[T]) -> list[R]:
    return [fn(x) for x in batch]


def _clean_one(text: str) -> str:
    assert _pipeline is not None
    return clean_long(_pipeline, text)


@dataclass(frozen=True)
class Failure:
    """What a worker sends back for a text the pipeline failed on, instead of raising.

    ``error`` says which step failed and where (its ``position`` is in the raw
    text); ``traceback`` is the traceback as it was formatted where the step
    raised (pickling an exception loses its traceback), for ``--debug``.
    """

    error: CleaningError
    traceback: str

    def __str__(self) -> str:
        return str(self.error)

    @classmethod
    def caught(cls, error: CleaningError) -> Failure:
        """The failure for ``error``, being handled in an ``except`` block."""
        return cls(error, traceback.format_exc())

    def exception(self) -> RaisedFailure:
        """``error`` as an exception to raise here, keeping the traceback of where it ran."""
        return RaisedFailure(self)


class RaisedFailure(CleaningError):
    """A :class:`Failure` raised again in the process that gets the results.

    ``where`` is the traceback formatted where the step raised (in a worker,
    or in this process), which the exception's own traceback does not show.
    """

    def __init__(self, failure: Failure) -> None:
        err = failure.error
        super().__init__(err.step, err.message, position=err.position)
        self.where = failure.traceback


def _clean_one_isolated(text: str) -> str | Failure:
    assert _pipeline is not None
    try:
        return clean_long(_pipeline, text)
    except CleaningError as err:
        if len(text) > LONG_TEXT:  # it was cleaned in windows: place the failure in the text
            err = _place_in_long(_pipeline, text, err)
        return Failure.caught(err)


def _place_in(pipeline: Pipeline, text: str, err: CleaningError) -> CleaningError:
    """``err``, raised by a step of ``pipeline`` on ``text``, with its position in
    ``text`` (a step's position is in that step's input): the text is run again
    with offsets kept, only after a failure.  Position unknown if that run does
    not fail in the same step."""
    try:
        pipeline.run(text)
    except CleaningError as placed:
        if placed.step == err.step:
            return placed
    return CleaningError(err.step, err.message)


def _place_in_long(pipeline: Pipeline, text: str, err: CleaningError) -> CleaningError:
    """:func:`_place_in` for a text cleaned in windows: cleaned again, window by window."""
    windowed = PlacedWindows(pipeline)

    def mapper(jobs: Iterable[WindowJob]) -> Iterator[WindowResult]:
        return windowed.located(_window_or_failure(pipeline, j) for j in jobs)

    try:
        for _ in windowed.clean([text], mapper):
            pass
    except RaisedFailure as placed:
        if placed.step == err.step:
            return CleaningError(placed.step, placed.message, position=placed.position)
    return CleaningError(err.step, err.message)


def _window_or_failure(pipeline: Pipeline, job: WindowJob) -> WindowResult | Failure:
    try:
        return clean_window(pipeline, job)
    except CleaningError as err:
        return Failure.caught(_place_in(pipeline, job.text, err))


def clean_window_in_worker(job: WindowJob) -> WindowResult:
    """:func:`~textwash.windows.clean_window` with the pipeline of this worker process
    (see :class:`Workers`)."""
    assert _pipeline is not None
    return clean_window(_pipeline, job)


def clean_window_isolated(job: WindowJob) -> WindowResult | Failure:
    """:func:`~textwash.windows.clean_window` with this worker's pipeline; a step
    failure comes back as a :class:`Failure` placed in the window's raw text
    (see :meth:`PlacedWindows.located`)."""
    assert _pipeline is not None
    return _window_or_failure(_pipeline, job)


class PlacedWindows(Windowed):
    """A :class:`~textwash.windows.Windowed` that notes where each of its windows
    starts, so that a step failing on a window can be placed in the whole text.

    Give :meth:`clean` a mapper whose results go through :meth:`located`.

    >>> from textwash import Pipeline
    >>> w = PlacedWindows(Pipeline([]), window=64, context=16)
    >>> len("".join(w.clean(["a" * 200]))), w.bases
    (200, [0, 34, 98])
    """

    def __init__(self, pipeline: Pipeline, **options: Any) -> None:
        super().__init__(pipeline, **options)
        self.bases: list[int] = []

    def clean(self, pieces: Iterable[str], *args: Any, **kwargs: Any) -> Iterator[str]:
        self.bases = []
        return super().clean(pieces, *args, **kwargs)

    def _plan(self, pieces: Iterable[str], resume: Resume | None = None) -> Iterator[Any]:
        for plan in super()._plan(pieces, resume):
            self.bases.append(plan.base)
            yield plan

    def located(self, results: Iterable[WindowResult | Failure]) -> Iterator[WindowResult]:
        """``results`` in order, up to the first :class:`Failure`: that one is raised
        here, as a :class:`RaisedFailure` with its position in the whole text."""
        for k, result in enumerate(results):
            if isinstance(result, Failure):
                err = result.error
                at = None if err.position is None else self.bases[k] + err.position
                placed = CleaningError(err.step, err.message, position=at)
                raise Failure(placed, result.traceback).exception()
            yield result


class Workers:
    """A pool of ``workers`` processes sharing one pipeline (in-process when 1)."""

    def __init__(self, pipeline: Pipeline | None, workers: int = 1) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.pipeline = pipeline
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Workers:
        if self.workers > 1:
            self._pool = ProcessPoolExecutor(
                self.workers, initializer=_init, initargs=(self.pipeline,)
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def map(self, fn: Callable[[T], R], items: Iterable[T], chunk: int = 8) -> Iterator[R]:
        """``fn`` over ``items`` in order; ``fn`` must be a module-level function.

        ``items`` is consumed lazily: at most a few chunks of ``chunk`` items
        per worker are in flight, so a generator that reads files as it goes
        never has the whole input in memory.
        """
        if self._pool is None:
            _init(self.pipeline)
            return (fn(x) for x in items)
        return self._bounded(fn, iter(items), chunk)

    def _bounded(self, fn: Callable[[T], R], items: Iterator[T], chunk: int) -> Iterator[R]:
        assert self._pool is not None
        in_flight: deque[Future[list[R]]] = deque()
        window = 2 * self.workers
        while True:
            while len(in_flight) < window:
                batch = list(itertools.islice(items, chunk))
                if not batch:
                    break
                in_flight.append(self._pool.submit(_run_chunk, fn, batch))
            if not in_flight:
                return
            yield from in_flight.popleft().result()

    def clean(self, texts: Iterable[str]) -> list[str]:
        """Every text through the pipeline, in order."""
        return list(self.clean_iter(list(texts)))

    def clean_iter(self, texts: Sequence[str]) -> Iterator[str]:
        """Every text through the pipeline, yielded in order as results arrive.

        A very long text is cleaned in windows (:func:`textwash.windows.clean_long`).
        """
        return self.map(_clean_one, texts)

    def clean_isolated(self, texts: Iterable[str]) -> Iterator[str | Failure]:
        """:meth:`clean_iter`, but a text a step fails on gives a :class:`Failure` in its
        place and the others are cleaned all the same."""
        return self.map(_clean_one_isolated, texts)


def current_pipeline() -> Any:
    """The pipeline of this worker process (set by :class:`Workers`)."""
    return _pipeline
