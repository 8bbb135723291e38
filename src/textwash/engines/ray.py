"""The Ray engine: the per-document work of ``clean`` and ``dedup`` on Ray Data.

Needs the optional extra (``pip install 'textwash[ray]'``); Ray is imported only
when a function here runs, so this module imports without it.

What runs on Ray: every batch map the local engine hands its process pool
(:class:`textwash.parallel.Workers`) — cleaning documents (and the windows of a
very large plain-text file) for ``textwash clean``, and for ``textwash dedup``
stage 1, *prepare*: cleaning, segmentation into units, tokenising, shingling and
the per-unit key digests (:func:`textwash.dedup.prepare.prepare_batch`).  Each
is a Ray Data ``map_batches`` over rows ``(seq, item)`` (the item pickled),
run in windows of about :data:`WINDOW_BYTES` so that memory stays bounded, and
the results are put back in input order on the driver.  Reading the inputs,
writing the outputs (by the same writers as the local engine) and the dedup
stages after *prepare* (exact keys, MinHash signatures, banding, verification,
containment, clusters, report) run on the driver, as locally: the answers are
the same as ``--engine local`` by construction (tests/test_engine_ray.py checks
it).  See docs/scale-out.md.

:class:`RayWorkers` is a :class:`~textwash.parallel.Workers` whose ``map`` runs on
Ray, so everything written for the local pool (failure isolation per document,
order, streaming of large files) holds unchanged.
"""

from __future__ import annotations

import itertools
import logging
import os
import pickle
from collections.abc import Callable, Iterable, Iterator, Sized
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any, TypeVar

import numpy as np

from ..dedup.clusters import PASSAGE_TOKENS
from ..dedup.config import DedupConfig
from ..dedup.earlier import Earlier, open_index
from ..dedup.find import _batches, _compare, _Corpus, _timer
from ..dedup.index import DedupIndex
from ..dedup.index_redis import RedisIndex
from ..dedup.parts import Parts
from ..dedup.prepare import (
    SHORT_LINE_TOKENS,
    DocLike,
    DocumentFailure,
    Job,
    Prepared,
    ProgressHook,
    UnitArrays,
    iter_documents,
    located_failure,
    prepare_batch,
)
from ..dedup.report import DuplicateReport
from ..dedup.table import DocStore, UnitTable
from ..parallel import Failure, Workers, _init, default_workers
from ..pipeline import Pipeline
from ..segment import Document
from . import EngineUnavailable, require_ray

__all__ = ["WINDOW_BYTES", "RayWorkers", "connect", "find_duplicates"]

T = TypeVar("T")
R = TypeVar("R")

#: Pickled input bytes handed to Ray in one dataset execution (a window): large
#: enough that Ray's start-up cost per execution (~0.1 s) is small beside the
#: work, small enough that the driver holds a bounded amount of it.
WINDOW_BYTES = 64 << 20
#: ... and at most this many items per window.
WINDOW_ITEMS = 200_000


def _import_ray() -> Any:
    require_ray()
    try:
        import ray
        import ray.data
    except ImportError as exc:  # installed but broken
        raise EngineUnavailable(f"--engine ray: Ray cannot be imported ({exc})") from exc
    return ray


def connect(address: str | None = None, *, num_cpus: int | None = None) -> bool:
    """Join the Ray cluster at ``address`` (default ``$RAY_ADDRESS``), or start a
    local Ray with ``num_cpus`` cores (default: all the cores this process may use).

    Nothing is done when Ray is already initialised in this process (a test's
    cluster, a notebook's).  Returns whether this call started or joined Ray
    (the caller then shuts it down with ``ray.shutdown()``).
    """
    ray = _import_ray()
    if ray.is_initialized():
        _quiet(ray)
        return False
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address is None:
        ray.init(
            num_cpus=num_cpus or default_workers(),
            include_dashboard=False,
            logging_level=logging.WARNING,
        )
    else:
        ray.init(address=address, logging_level=logging.WARNING)
    _quiet(ray)
    return True


def _quiet(ray: Any) -> None:
    """No progress bars or per-dataset log lines from Ray Data on the user's stderr."""
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False
    if hasattr(ctx, "enable_operator_progress_bars"):
        ctx.enable_operator_progress_bars = False
    for name in ("ray.data", "ray.data._internal.execution.streaming_executor"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # its one warning that progress bars are off: they are off on purpose
    logging.getLogger("ray.data._internal.progress").setLevel(logging.ERROR)


def _cluster_cpus(ray: Any) -> int:
    return max(1, int(ray.cluster_resources().get("CPU", 1)))


def _apply(
    fn: Callable[[Any], Any], pipeline: Pipeline | None, batch: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Run on a Ray worker: ``fn`` over the pickled items of ``batch``, with
    ``pipeline`` as this worker's pipeline (as :class:`Workers` sets it)."""
    _init(pipeline)
    results = np.empty(len(batch["item"]), dtype=object)
    for k, raw in enumerate(batch["item"]):
        results[k] = pickle.dumps(fn(pickle.loads(raw)), protocol=pickle.HIGHEST_PROTOCOL)
    return {"seq": batch["seq"], "result": results}


class RayWorkers(Workers):
    """A :class:`~textwash.parallel.Workers` whose :meth:`map` runs on Ray Data.

    ``address``: the cluster to join (default ``$RAY_ADDRESS``, else a local Ray
    with ``num_cpus`` cores, shut down on exit).  :attr:`workers` is the
    cluster's CPU count once entered.  Results come back in input order, so the
    output is the local engine's.
    """

    def __init__(
        self,
        pipeline: Pipeline | None,
        address: str | None = None,
        *,
        num_cpus: int | None = None,
        window_bytes: int = WINDOW_BYTES,
    ) -> None:
        super().__init__(pipeline, workers=1)
        self.address = address
        self.num_cpus = num_cpus
        self.window_bytes = window_bytes
        self._started = False
        self._ray: Any = None

    def __enter__(self) -> RayWorkers:
        self._ray = _import_ray()
        self._started = connect(self.address, num_cpus=self.num_cpus)
        self.workers = _cluster_cpus(self._ray)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._started and self._ray is not None:
            self._ray.shutdown()
        self._started = False

    def map(self, fn: Callable[[T], R], items: Iterable[T], chunk: int = 8) -> Iterator[R]:
        """``fn`` over ``items`` on Ray, in order; ``fn`` must be a module-level function.

        ``items`` is read a window (:data:`WINDOW_BYTES` pickled) at a time, each
        window one Ray Data ``map_batches`` of ``chunk`` items per batch.
        """
        if self._ray is None:
            raise RuntimeError("RayWorkers.map outside its with block")
        return self._windows(fn, iter(items), max(1, chunk))

    def _windows(self, fn: Callable[[T], R], items: Iterator[T], chunk: int) -> Iterator[R]:
        while True:
            window: list[bytes] = []
            size = 0
            for item in items:
                raw = pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL)
                window.append(raw)
                size += len(raw)
                if size >= self.window_bytes or len(window) >= WINDOW_ITEMS:
                    break
            if not window:
                return
            yield from self._run(fn, window, chunk)

    def _run(self, fn: Callable[[T], R], window: list[bytes], chunk: int) -> Iterator[R]:
        ray = self._ray
        blocks = max(1, min(len(window), 4 * self.workers))
        ds = ray.data.from_items(
            [{"seq": k, "item": raw} for k, raw in enumerate(window)],
            override_num_blocks=blocks,
        )
        mapped = ds.map_batches(
            _Apply(fn, self.pipeline), batch_size=chunk, batch_format="numpy", zero_copy_batch=True
        )
        results: list[bytes | None] = [None] * len(window)
        for batch in mapped.iter_batches(batch_format="numpy", batch_size=None):
            for seq, raw in zip(batch["seq"].tolist(), batch["result"], strict=True):
                results[seq] = raw
        for raw in results:
            assert raw is not None
            yield pickle.loads(raw)


class _Apply:
    """``_apply`` bound to a function and a pipeline (pickled once per dataset)."""

    def __init__(self, fn: Callable[[Any], Any], pipeline: Pipeline | None) -> None:
        self.fn = fn
        self.pipeline = pipeline

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return _apply(self.fn, self.pipeline, batch)


# -- dedup -------------------------------------------------------------------------


def find_duplicates(
    docs: Iterable[DocLike],
    config: DedupConfig | None = None,
    *,
    address: str | None = None,
    num_cpus: int | None = None,
    pipeline: Pipeline | None = None,
    progress: ProgressHook | None = None,
    workers: int | None = None,
    load_text: Callable[[Document], str] | None = None,
    on_error: Callable[[DocumentFailure], None] | None = None,
    work_dir: str | os.PathLike[str] | None = None,
    memory: int | None = None,
    index: str | os.PathLike[str] | DedupIndex | RedisIndex | None = None,
    run_id: str | None = None,
    update_index: bool = True,
    **options: Any,
) -> DuplicateReport:
    """:func:`textwash.dedup.find_duplicates` with stage 1 (*prepare*) on Ray Data.

    Takes the same arguments and gives the same report (same clusters, members
    and offsets); ``address`` / ``num_cpus`` choose the Ray cluster as
    :func:`connect` does (an initialised Ray is used as it is), and ``workers``
    is ignored (the cluster's cores do the work).  Cleaning, segmentation,
    tokenising and shingling of the documents run as ``map_batches`` on Ray, in
    batches of the local engine's size; the units they give are gathered, in
    input order, on the driver, where the other stages run as they do locally.
    Raises :class:`~textwash.engines.EngineUnavailable` without Ray.
    """
    del workers  # the cluster decides
    cfg = DedupConfig.from_options(config, **options)
    unit, window, ngram = cfg.unit, cfg.window, cfg.ngram
    drop_function_words, part_chars = cfg.drop_function_words, cfg.part_chars
    params: dict[str, Any] = {
        **cfg.params(),
        "short_line_tokens": SHORT_LINE_TOKENS,
        "passage_tokens": PASSAGE_TOKENS,
    }
    seconds: dict[str, float] = {}
    note = progress or (lambda stage, done, total: None)
    total = len(docs) if isinstance(docs, Sized) else 0
    # From here to _compare: the segment stage of textwash.dedup.find.find_duplicates,
    # with RayWorkers in place of Workers (keep the two in step).
    documents: list[Document] = []
    whole: list[int] = []
    lengths: dict[int, int] = {}
    lap = _timer()
    with RayWorkers(pipeline, address, num_cpus=num_cpus) as pool, ExitStack() as scratch:
        seconds["ray_start"] = lap()  # joining (or starting) Ray: not part of the work
        earlier_index: DedupIndex | RedisIndex | None = None
        if isinstance(index, (DedupIndex, RedisIndex)):
            earlier_index = index
        elif index is not None:
            earlier_index = open_index(index, cfg, write=update_index)
            scratch.callback(earlier_index.close)
        if work_dir is None:
            work = Path(scratch.enter_context(TemporaryDirectory(prefix="textwash-dedup-")))
        else:
            work = Path(work_dir)
            work.mkdir(parents=True, exist_ok=True)
        store = DocStore(work)
        scratch.callback(store.close)
        earlier = (
            None
            if earlier_index is None
            else Earlier(earlier_index, cfg, work, update=update_index)
        )
        items = UnitTable(documents, store)
        arrays = UnitArrays(work)
        scratch.callback(arrays.close)
        parts = Parts(size=part_chars if unit != "document" else 1 << 62)

        def jobs() -> Iterator[Job]:
            for n, doc in enumerate(iter_documents(docs)):
                for part in parts.split(doc):
                    documents.append(part)
                    whole.append(n)
                    yield (part, unit, window, ngram, drop_function_words)

        held: list[tuple[int, Prepared]] = []
        failed: set[int] = set()

        def take_held() -> None:
            for order, prepared in held:
                (
                    offsets,
                    clean,
                    us,
                    titles,
                    n_tokens,
                    keys,
                    sh,
                    cs,
                    sizes,
                    shapes,
                    defects,
                    marks,
                ) = prepared
                doc = documents[order]
                if parts:
                    parts.count(doc.doc_id, len(us), titles)
                if load_text is not None:
                    lengths[order] = len(doc.text)
                    documents[order] = replace(doc, text="")
                items.add_document(
                    order, clean, offsets, marks, titles, us, n_tokens, keys, shapes, defects
                )
                arrays.extend(sh, cs, sizes)
                note("segment", whole[order] + 1, total)
            held.clear()

        batches = pool.map(prepare_batch, _batches(jobs()), chunk=1)
        prepared_all = itertools.chain.from_iterable(batches)
        for order, prepared in enumerate(prepared_all):
            n = whole[order]
            if held and whole[held[0][0]] != n:
                take_held()
            if isinstance(prepared, Failure) and n not in failed:
                failure = located_failure(documents[order], prepared, parts)
                if on_error is None:
                    raise failure.exception() from prepared.exception()
                failed.add(n)
                on_error(failure)
                for o in [order, *(o for o, _ in held)]:
                    documents[o] = replace(documents[o], text="")
                held.clear()
            if n in failed:
                note("segment", n + 1, total)
                continue
            assert not isinstance(prepared, Failure)
            held.append((order, prepared))
        take_held()
        items.freeze()
        arrays.freeze()
        seconds["segment"] = lap()
        corpus = _Corpus(items, arrays, work, documents, whole, lengths, parts)
        report = _compare(
            cfg,
            corpus,
            params,
            seconds=seconds,
            lap=lap,
            note=note,
            load_text=load_text,
            found=None,
            earlier=earlier,
            run_id=run_id,
            update_index=update_index,
            memory=memory,
        )
    return report
