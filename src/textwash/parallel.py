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

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from .pipeline import Pipeline

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


def _clean_one(text: str) -> str:
    assert _pipeline is not None
    return _pipeline(text)


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

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
        """``fn`` over ``items`` in order; ``fn`` must be a module-level function."""
        if self._pool is None or len(items) < 2:
            _init(self.pipeline)
            return (fn(x) for x in items)
        chunk = max(1, len(items) // (self.workers * 8))
        return self._pool.map(fn, items, chunksize=chunk)

    def clean(self, texts: Iterable[str]) -> list[str]:
        """Every text through the pipeline, in order."""
        return list(self.clean_iter(list(texts)))

    def clean_iter(self, texts: Sequence[str]) -> Iterator[str]:
        """Every text through the pipeline, yielded in order as results arrive."""
        return self.map(_clean_one, texts)


def current_pipeline() -> Any:
    """The pipeline of this worker process (set by :class:`Workers`)."""
    return _pipeline
