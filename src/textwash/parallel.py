"""Process pools for the CPU-bound stages (cleaning, segmentation).

OpenCC holds the interpreter lock and regex work is pure Python glue, so
threads do not help: work goes to processes, each with its own copy of the
pipeline (sent once, at start-up) and its own OpenCC converters.  Results come
back in input order, so ``workers=N`` gives exactly what ``workers=1`` gives.

>>> from textwash.presets import get_preset
>>> with Workers(get_preset("minimal"), workers=1) as pool:
...     pool.clean(["a  \\n", "b"])
['a\\n', 'b']
"""

from __future__ import annotations

import itertools
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

from .pipeline import Pipeline
from .windows import clean_long

__all__ = ["Workers", "default_workers"]

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


def current_pipeline() -> Any:
    """The pipeline of this worker process (set by :class:`Workers`)."""
    return _pipeline
