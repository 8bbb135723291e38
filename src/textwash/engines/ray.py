"""The Ray engine: the per-document work of ``clean`` and ``dedup`` on Ray Data.

Needs the optional extra (``pip install 'textwash[ray]'``); Ray is imported only
when a function here runs, so this module imports without it.

What runs on Ray: every batch map the local engine hands its process pool
(:class:`textwash.parallel.Workers`) — cleaning documents (and the windows of a
very large plain-text file) for ``textwash clean``, and for ``textwash dedup``
stage 1, *prepare*: cleaning, segmentation into units, tokenising, shingling and
the per-unit key digests (:func:`textwash.dedup.prepare.prepare_batch`), with the
units' MinHash signatures reduced to LSH band keys in the same task
(:func:`prepare_and_sign`).  Each is a Ray Data ``map_batches`` over rows
``(seq, item)`` (the item pickled), run in windows of about
:data:`WINDOW_BYTES` so that memory stays bounded, and the results are put back
in input order on the driver.  The LSH candidates are then found by a Ray Data
group-by on (band, band key).  Reading the inputs, writing the outputs (by the
same writers as the local engine) and the other dedup stages (exact keys,
verification, containment, clusters, report, the index) run on the driver, as
locally: the answers are the local engine's (tests/test_engine_ray.py checks
it).  See docs/scale-out.md.

:class:`RayWorkers` is a :class:`~textwash.parallel.Workers` whose ``map`` runs on
Ray, so everything written for the local pool (failure isolation per document,
order, streaming of large files) holds unchanged.
"""

from __future__ import annotations

import logging
import os
import pickle
import socket
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from typing import Any, TypeVar

import numpy as np

from ..dedup.banding import band_keys, candidate_pairs
from ..dedup.config import DedupConfig
from ..dedup.containment import Holding, holds_mask
from ..dedup.earlier import Earlier
from ..dedup.find import (
    SIGNATURE_CHUNK,
    VERIFY_CHUNK,
    Banding,
    RunOptions,
    Verifying,
    _compare,
    _timer,
    jaccard_mask,
    keep_scratch,
    segment_stage,
)
from ..dedup.prepare import (
    DocLike,
    Job,
    Prepared,
    ProgressHook,
    UnitArrays,
    prepare_batch,
)
from ..dedup.ragged import PairKernel
from ..dedup.report import DuplicateReport
from ..dedup.signatures import signatures_from_flat
from ..parallel import Failure, Workers, _init, default_workers
from ..pipeline import Pipeline
from . import EngineUnavailable, require_ray

__all__ = [
    "WINDOW_BYTES",
    "RayWorkers",
    "SignJob",
    "connect",
    "find_duplicates",
    "prepare_and_sign",
]

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
    (the caller then shuts it down with ``ray.shutdown()``).  Raises
    :class:`~textwash.engines.EngineUnavailable` without Ray, or when the
    cluster at ``address`` cannot be joined.
    """
    ray = _import_ray()
    if ray.is_initialized():
        _quiet(ray)
        return False
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address is None:
        ray.init(
            address="local",  # a new local Ray, whatever a stale /tmp/ray file names
            num_cpus=num_cpus or default_workers(),
            include_dashboard=False,
            logging_level=logging.WARNING,
        )
    else:
        unreachable = _unreachable(address)
        if unreachable is not None:  # ray.init would wait for it without end
            raise EngineUnavailable(f"cannot join the Ray cluster at {address}: {unreachable}")
        try:
            ray.init(address=address, logging_level=logging.WARNING)
        except (ConnectionError, TimeoutError, ValueError, RuntimeError) as exc:
            raise EngineUnavailable(f"cannot join the Ray cluster at {address}: {exc}") from exc
    _quiet(ray)
    return True


#: Seconds to wait for the head node of ``--ray-address`` to accept a connection.
CONNECT_TIMEOUT = 5.0


def _unreachable(address: str) -> str | None:
    """Why nothing answers at ``address`` (``HOST:PORT`` or ``ray://HOST:PORT``), or
    ``None`` if it accepts a connection or is another form (``auto``, ``local``).

    >>> _unreachable("auto") is None
    True
    >>> _unreachable("127.0.0.1:1")
    'nothing answers at 127.0.0.1:1 (...)'
    """
    hostport = address.removeprefix("ray://")
    host, colon, port = hostport.rpartition(":")
    if not colon or not host or not port.isdigit() or "/" in hostport:
        return None
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT).close()
    except OSError as exc:
        return f"nothing answers at {hostport} ({exc.strerror or exc})"
    return None


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


#: On a Ray worker: the pipeline of the last task, and its pickled bytes.  A worker
#: process runs many tasks: a pipeline unpickled anew would set up its OpenCC
#: converters again (about 0.1 s) on every task.
_worker_pipeline: tuple[bytes, Pipeline | None] | None = None


def _pipeline_of(raw: bytes) -> Pipeline | None:
    """The pipeline pickled as ``raw``, the one this worker already has if it is that."""
    global _worker_pipeline
    if _worker_pipeline is None or _worker_pipeline[0] != raw:
        _worker_pipeline = (raw, pickle.loads(raw))
    return _worker_pipeline[1]


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
        # results in input order, each as soon as those before it are in: the
        # driver's work on them overlaps the workers' on the rest of the window
        waiting: dict[int, bytes] = {}
        done = 0
        for batch in mapped.iter_batches(batch_format="numpy", batch_size=None):
            for seq, raw in zip(batch["seq"].tolist(), batch["result"], strict=True):
                waiting[seq] = raw
            while done in waiting:
                yield pickle.loads(waiting.pop(done))
                done += 1
        if done != len(window):
            raise RuntimeError(f"Ray returned {done + len(waiting)} of {len(window)} results")


class _Apply:
    """``_apply`` bound to a function and a pipeline (pickled once per dataset; set
    up once per worker process)."""

    def __init__(self, fn: Callable[[Any], Any], pipeline: Pipeline | None) -> None:
        self.fn = fn
        self.pipeline = pickle.dumps(pipeline, protocol=pickle.HIGHEST_PROTOCOL)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return _apply(self.fn, _pipeline_of(self.pipeline), batch)


# -- dedup -------------------------------------------------------------------------

#: What one task of the dedup map takes: a batch of documents to prepare, and the
#: MinHash ``num_perm``, ``seed``, LSH ``bands`` and ``rows`` to sign its units with.
SignJob = tuple[list[Job], int, int, int, int]


def prepare_and_sign(job: SignJob) -> list[tuple[Prepared | Failure, np.ndarray | None]]:
    """:func:`~textwash.dedup.prepare.prepare_batch`, then the LSH band keys of every
    unit of the batch: each document's result with a ``(units, bands)`` uint64 array
    (``None`` for a document that failed).

    The signatures are :func:`~textwash.dedup.signatures.signatures_from_flat` of
    the unit's shingles, the keys :func:`~textwash.dedup.banding.band_keys` of them:
    what the local engine computes on the driver for the units it compares
    (those of :data:`~textwash.dedup.prepare.MIN_TOKENS` tokens or more, the first
    of their exact key), here for every unit, on the workers.
    """
    jobs, num_perm, seed, bands, rows = job
    prepared = prepare_batch(jobs)
    done = [p for p in prepared if not isinstance(p, Failure)]
    keys = np.zeros((0, bands), dtype=np.uint64)
    if done:
        flat = np.concatenate([p[6][0] for p in done])
        lengths = np.concatenate([p[6][1] for p in done])
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        sigs = signatures_from_flat(flat, offsets, num_perm=num_perm, seed=seed)
        keys = band_keys(sigs, bands, rows)
    out: list[tuple[Prepared | Failure, np.ndarray | None]] = []
    at = 0
    for p in prepared:
        if isinstance(p, Failure):
            out.append((p, None))
            continue
        n = len(p[2])
        out.append((p, keys[at : at + n]))
        at += n
    return out


def find_duplicates(
    docs: Iterable[DocLike],
    config: DedupConfig | None = None,
    *,
    address: str | None = None,
    num_cpus: int | None = None,
    banding: str = "ray",
    **options: Any,
) -> DuplicateReport:
    """:func:`textwash.dedup.find_duplicates` with the per-document stages on Ray Data.

    Takes the same arguments and gives the same report (same clusters, members
    and offsets); ``address`` / ``num_cpus`` choose the Ray cluster as
    :func:`connect` does (an initialised Ray is used as it is), and ``workers``
    is ignored (the cluster's cores do the work).  Cleaning, segmentation,
    tokenising, shingling and the MinHash signatures (as LSH band keys) of the
    documents run as ``map_batches`` on Ray (:func:`prepare_and_sign`), in
    batches of the local engine's size; the unit records they give are gathered,
    in input order, on the driver.  With ``banding="ray"`` (the default) the LSH
    candidates are found by a Ray Data group-by on (band, band key), with
    ``"driver"`` on the driver, as locally; verification, containment, clusters
    and the report run on the driver, as locally (and so does
    :func:`~textwash.dedup.deduplicate` with ``engine="ray"``: each round's
    documents are prepared on Ray, the cuts are made on the driver).  Raises
    :class:`~textwash.engines.EngineUnavailable` without Ray, ``ValueError`` for
    another ``banding``.
    """
    from ..dedup.find import find_duplicates as find

    return find(
        docs,
        config,
        engine="ray",
        address=address,
        num_cpus=num_cpus,
        banding=banding,
        **options,
    )


def run_on_ray(
    docs: Iterable[DocLike],
    cfg: DedupConfig,
    run: RunOptions,
    *,
    pipeline: Pipeline | None = None,
    address: str | None = None,
    num_cpus: int | None = None,
    banding: str = "ray",
) -> DuplicateReport:
    """What :func:`textwash.dedup.find_duplicates` runs for ``engine="ray"``: the
    local engine's stages (:func:`~textwash.dedup.find.segment_stage` and the
    comparison) with Ray's batch runner, banding and verification."""
    if banding not in ("ray", "driver"):
        raise ValueError(f"banding must be 'ray' or 'driver', got {banding!r}")
    seconds: dict[str, float] = {}
    lap = _timer()
    scratch = ExitStack()
    try:
        with RayWorkers(pipeline, address, num_cpus=num_cpus) as pool:
            seconds["ray_start"] = lap()  # joining (or starting) Ray: not part of the work

            def run_batches(batches: Iterator[list[Job]]) -> Iterable[list[Any]]:
                signing = ((b, cfg.num_perm, cfg.seed, cfg.bands, cfg.rows) for b in batches)
                return pool.map(prepare_and_sign, signing, chunk=1)

            corpus, earlier, signed = segment_stage(docs, cfg, run, scratch, run_batches)
            seconds["segment"] = lap()
            keys = np.concatenate(signed) if signed else np.zeros((0, cfg.bands), np.uint64)
            return _compare(
                cfg,
                corpus,
                run,
                earlier,
                seconds=seconds,
                lap=lap,
                banding=_ray_banding(keys, pool._ray, banding),
                verifying=_ray_verifying(corpus.arrays, pool._ray),
                holding=_ray_holding(corpus.arrays, pool._ray),
            )
    finally:
        keep_scratch(scratch, run.found)


def _driver_candidates(
    keys: np.ndarray, reps: np.ndarray, note: ProgressHook | None = None
) -> np.ndarray:
    """The LSH candidates of ``reps`` from their band ``keys``, on the driver, one
    band at a time: :func:`textwash.dedup.find._lsh_candidates` without the files."""
    found = [np.zeros((0, 2), dtype=np.int64)]
    for b in range(keys.shape[1]):
        found.append(candidate_pairs(np.ascontiguousarray(keys[:, b : b + 1])))
        if note is not None:
            note("lsh", b + 1, keys.shape[1])
    pairs = np.unique(np.concatenate(found), axis=0)
    return reps[pairs] if pairs.size else pairs


#: Rows (unit, band) a shuffle group of the LSH group-by holds at most, on average
#: (28 bytes a row as shuffled; its pairs are found in one vectorised call).
GROUP_ROWS = 2_000_000

#: The multiplier of the hash that sends a (band, band key) row to its shuffle group.
_SPREAD = np.uint64(0x9E3779B97F4A7C15)


def _group_pairs(group: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Run on a Ray worker: every pair ``(j, i)``, ``j < i``, of units that share a
    (band, band key) among the rows of one shuffle group (a group holds every row
    of each of its keys)."""
    band, key = group["band"], group["key"]
    n = band.size
    # one code per distinct (band, key): sorted by both, a new code where either
    # changes (a lexsort: numpy's unique over rows is six times slower)
    order = np.lexsort((key, band))
    b, k = band[order], key[order]
    new = np.ones(n, dtype=bool)
    new[1:] = (b[1:] != b[:-1]) | (k[1:] != k[:-1])
    code = np.empty(n, dtype=np.uint64)
    code[order] = np.cumsum(new, dtype=np.uint64)
    rows = candidate_pairs(code.reshape(-1, 1))
    a, b = group["unit"][rows[:, 0]], group["unit"][rows[:, 1]]
    return {"j": np.minimum(a, b).astype(np.int64), "i": np.maximum(a, b).astype(np.int64)}


def _ray_candidates(
    ray: Any, keys: np.ndarray, reps: np.ndarray, note: ProgressHook | None = None
) -> np.ndarray:
    """The LSH candidates of ``reps`` (unit numbers) from their band ``keys``, as a
    Ray Data group-by: one row (band, band key, unit) per unit and band is
    shuffled into groups by a hash of (band, band key), so that all the rows of
    a key meet in one group; each group gives the pairs of units sharing a key
    there, and the driver makes them unique and sorted.

    The same pairs, in the same order, as :func:`_driver_candidates`: a pair of
    units is a candidate when they share a key in some band.  The groups are
    coarse (a few per CPU, of at most about :data:`GROUP_ROWS` rows), so each is
    one vectorised call, not one call per key; the shuffle is Ray Data's
    sort-based pull shuffle, whose start-up is a fraction of a second (the hash
    shuffle's actors take seconds to start).
    """
    n, bands = keys.shape
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    import pyarrow as pa  # Ray Data's own dependency

    # a few groups per CPU, and groups of at most GROUP_ROWS rows
    groups = max(2 * _cluster_cpus(ray), -(-n * bands // GROUP_ROWS))
    band = np.tile(np.arange(bands, dtype=np.uint64), n)
    key = np.ascontiguousarray(keys).reshape(-1)
    table = pa.table(
        {
            "group": ((key * _SPREAD) ^ band) % np.uint64(groups),
            "band": band.astype(np.int32),
            "key": key,
            "unit": np.repeat(reps.astype(np.int64), bands),
        }
    )
    step = -(-table.num_rows // groups)
    ctx = ray.data.DataContext.get_current()
    strategy = ctx.shuffle_strategy
    ctx.shuffle_strategy = ray.data.context.ShuffleStrategy.SORT_SHUFFLE_PULL_BASED
    found = [np.zeros((0, 2), dtype=np.int64)]
    try:
        rows = ray.data.from_arrow([table.slice(k, step) for k in range(0, table.num_rows, step)])
        grouped = rows.groupby("group", num_partitions=groups).map_groups(
            _group_pairs, batch_format="numpy"
        )
        for batch in grouped.iter_batches(batch_format="numpy", batch_size=None):
            if len(batch["j"]):
                found.append(np.stack([batch["j"], batch["i"]], axis=1).astype(np.int64))
    finally:
        ctx.shuffle_strategy = strategy
    if note is not None:
        note("lsh", bands, bands)
    return np.unique(np.concatenate(found), axis=0)


#: Chunks of candidate pairs sent to Ray in one dataset execution.
VERIFY_WINDOW = 32


def _check_chunk(batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Ray Data map: each row holds a pickled chunk of candidate pairs,
    ``(kernel, a, b, threshold)``; the kernel's mask comes back packed as bytes."""
    masks = []
    for blob in batch["chunk"]:
        kernel, a, b, threshold = pickle.loads(blob)
        masks.append(np.packbits(kernel(a, b, threshold)).tobytes())
    return {"k": batch["k"], "mask": np.array(masks, dtype=object)}


def _ray_masks(
    ray: Any,
    rows: Any,
    kernel: PairKernel,
    pairs: np.ndarray,
    threshold: float,
) -> np.ndarray:
    """``kernel`` over the candidate ``pairs`` as a Ray Data map (what
    :func:`~textwash.dedup.ragged.pair_masks` does in one process): the driver reads
    each chunk's two sides from ``rows`` (a :class:`~textwash.dedup.ragged.Ragged`
    or spilled one; :data:`~textwash.dedup.find.VERIFY_CHUNK` pairs a chunk) and
    the workers run ``kernel`` on them, :data:`VERIFY_WINDOW` chunks per
    execution; the masks come back in order."""
    out = np.zeros(len(pairs), dtype=bool)
    starts = list(range(0, len(pairs), VERIFY_CHUNK))
    for w0 in range(0, len(starts), VERIFY_WINDOW):
        chunks = []
        for c0 in starts[w0 : w0 + VERIFY_WINDOW]:
            chunk = pairs[c0 : c0 + VERIFY_CHUNK]
            a, b = rows.gather(chunk[:, 0]), rows.gather(chunk[:, 1])
            blob = pickle.dumps((kernel, a, b, threshold), protocol=pickle.HIGHEST_PROTOCOL)
            chunks.append({"k": c0, "chunk": blob})
        done = ray.data.from_items(chunks).map_batches(
            _check_chunk, batch_size=1, batch_format="numpy"
        )
        for batch in done.iter_batches(batch_format="numpy", batch_size=None):
            for c0, mask in zip(batch["k"].tolist(), batch["mask"], strict=True):
                n = min(VERIFY_CHUNK, len(pairs) - c0)
                bits = np.unpackbits(np.frombuffer(mask, dtype=np.uint8), count=n)
                out[c0 : c0 + n] = bits.astype(bool)
    return out


def _ray_verifying(arrays: UnitArrays, ray: Any) -> Verifying:
    """Stage 3's check as a Ray Data map over chunks of candidate pairs: the exact
    Jaccard similarity of their shingle sets (:func:`jaccard_mask`, the local
    engine's) computed on the workers; the same answer as
    :func:`~textwash.dedup.find.local_verifying`."""

    def verifying(pairs: np.ndarray, threshold: float) -> np.ndarray:
        return _ray_masks(ray, arrays.shingles, jaccard_mask, pairs, threshold)

    return verifying


def _ray_holding(arrays: UnitArrays, ray: Any) -> Holding:
    """Stage 4's first check as a Ray Data map over chunks of containment
    candidates: whether the longer unit's 3-gram set holds enough of the
    shorter's (:func:`~textwash.dedup.containment.holds_mask`, the local
    engine's), computed on the workers; the same answer as
    :func:`~textwash.dedup.containment.local_holding`.  The candidates that pass
    (about one in ten) are then located and joined on the driver, in order."""

    def holding(pairs: np.ndarray, threshold: float) -> np.ndarray:
        return _ray_masks(ray, arrays.cont_set, holds_mask, pairs, threshold)

    return holding


def _ray_banding(keys: np.ndarray, ray: Any, banding: str) -> Banding:
    """Stage 3's LSH for :func:`textwash.dedup.find._compare` from the band ``keys``
    the workers computed (one row per unit): the index is queried with them in the
    chunks the local engine uses, and the candidates are found by a Ray Data
    group-by on (band, band key) (``banding="ray"``) or on the driver."""

    def candidates(
        reps: np.ndarray,
        earlier: Earlier | None,
        note: ProgressHook,
        mark: Callable[[str], None],
    ) -> np.ndarray:
        rep_keys = keys[reps]
        if earlier is not None:
            for c0 in range(0, reps.size, SIGNATURE_CHUNK):
                c1 = c0 + SIGNATURE_CHUNK
                earlier.query_bands(reps[c0:c1], np.ascontiguousarray(rep_keys[c0:c1]))
        note("minhash", reps.size, reps.size)
        mark("minhash")  # signed on the workers
        if banding == "ray":
            return _ray_candidates(ray, rep_keys, reps, note)
        return _driver_candidates(rep_keys, reps, note)

    return candidates
