"""`find_duplicates` and `deduplicate`: exact, near and contained copies of passages.

The stages, each timed in the report's ``stats["seconds"]``:

1. **segment**: clean every document with the segmentation pipeline, split
   collection pages into essays and essays into units (titles are not units;
   runs of short lines are one block), keeping each unit's span in the raw
   text and counting the defects cleaning found in it;
2. **exact**: group units whose folded token key is identical (no MinHash);
   units that differ only in their numbers are ``numbers`` pairs;
3. **minhash** and **lsh**: MinHash signatures (computed with NumPy,
   bit-identical to datasketch's ``affine32`` ``MinHash``) of token
   ``ngram``-shingles (one token per Han character, one per Latin word) and a
   ``MinHashLSH`` index; every candidate pair is then **verified** with the
   exact Jaccard similarity of the two shingle sets, so LSH false positives
   never reach the report;
4. **containment**: a unit whose shingles (function words dropped on both
   sides) mostly reappear inside a much longer unit is attached to that unit's
   containing span;
5. **clusters**: union-find over the exact and near pairs whose numbers agree
   (:class:`Links`), deterministic ids, a kept copy chosen by ``keep``
   (``"best"``, ``"first"`` or ``"longest"``), every member labelled with why
   it is there.

:func:`deduplicate` then cuts of every copy only what a kept text holds,
whole sentences, in rounds until nothing is left to cut (``docs/dedup.md``).
"""

from __future__ import annotations

import os
import time
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import numpy as np

from ..parallel import Failure, Workers
from ..pipeline import Pipeline
from ..segment import Document
from .banding import band_keys, candidate_pairs
from .clusterfile import ClusterFile, finish_clusters, report_order
from .clusters import (
    PASSAGE_TOKENS,
    Links,
    Ref,
    cluster_id_width,
    iter_clusters,
    split_numbers,
)
from .config import DedupConfig
from .containment import Contained, Holding, find_containment
from .earlier import Earlier, open_index
from .index import DedupIndex
from .index_redis import RedisIndex
from .parts import Parts
from .prepare import (
    MIN_EXACT_TOKENS,
    MIN_TOKENS,
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
from .ragged import pair_masks
from .report import Cluster, DuplicateReport
from .signatures import signatures_from_flat
from .spill import SpilledColumn
from .table import DocStore, Item, UnitTable
from .verify import Verifier, jaccard

__all__ = ["find_duplicates"]


def _timer() -> Callable[[], float]:
    t = time.perf_counter()

    def lap() -> float:
        nonlocal t
        now = time.perf_counter()
        d, t = now - t, now
        return d

    return lap


#: Documents are prepared in batches of at most this many documents ...
BATCH_DOCS = 256
#: ... or about this many characters, whichever comes first.
BATCH_CHARS = 1 << 18


def _batches(jobs: Iterator[Job]) -> Iterator[list[Job]]:
    """``jobs`` in batches of :data:`BATCH_DOCS` documents or :data:`BATCH_CHARS` characters.

    >>> from textwash.segment import Document
    >>> jobs = [(Document(str(i), "甲" * 100_000), "paragraph", 1, 5, True) for i in range(5)]
    >>> [len(b) for b in _batches(iter(jobs))]
    [3, 2]
    """
    batch: list[Job] = []
    chars = 0
    for job in jobs:
        batch.append(job)
        chars += len(job[0].text)
        if len(batch) >= BATCH_DOCS or chars >= BATCH_CHARS:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


def find_duplicates(
    docs: Iterable[DocLike],
    config: DedupConfig | None = None,
    *,
    pipeline: Pipeline | None = None,
    progress: ProgressHook | None = None,
    workers: int = 1,
    load_text: Callable[[Document], str] | None = None,
    on_error: Callable[[DocumentFailure], None] | None = None,
    work_dir: str | os.PathLike[str] | None = None,
    memory: int | None = None,
    index: str | os.PathLike[str] | DedupIndex | RedisIndex | None = None,
    run_id: str | None = None,
    update_index: bool = True,
    engine: str = "local",
    _found: Found | None = None,
    **options: Any,
) -> DuplicateReport:
    """Find exact, near-duplicate and contained copies of passages across ``docs``.

    ``docs`` are strings, ``(doc_id, text)`` pairs or :class:`Document` objects;
    a single string may hold a whole dump (copies inside one document count).
    What is compared, and how, is a :class:`~textwash.dedup.config.DedupConfig`:
    ``config``, with any of its fields given as keyword ``options``
    (``find_duplicates(docs, near_threshold=0.7)``; ``threshold`` is accepted
    for ``near_threshold``).  ``unit`` is ``"paragraph"``, ``"sentence"``
    (windows of ``window`` sentences) or ``"document"`` (essay bodies).  Two
    units are near duplicates when the Jaccard similarity of their
    ``ngram``-token shingles is at least ``near_threshold``; a unit is
    contained in a unit ``containment_ratio`` times longer when at least
    ``containment_threshold`` of its shingles occur there.  Two units of
    comparable length are also copies when the shorter one's shingles lie at
    least ``near_threshold`` inside the other (a sentence added or deleted).
    ``drop_function_words`` leaves 的了在是… out of the near-duplicate
    shingles, as rewrites that delete them would otherwise fall below the
    threshold.

    ``keep`` chooses each cluster's kept copy: ``"best"`` (the fewest defects
    cleaning found, then the most tokens, then the first), ``"first"`` or
    ``"longest"``.  Units whose numbers differ (``2023`` and ``2024``,
    ``第七条`` and ``第十四条``) are never copies: they are reported as clusters
    of kind ``"numbers"``, every member kept, unless ``remove_numbers``.
    ``progress(stage, done, total)`` is called as the stages advance.
    ``workers`` processes clean and segment the documents (the report is the
    same for any number of workers).

    ``docs`` is consumed lazily, a few documents per worker at a time.  With
    ``load_text``, the raw text of each document is let go as soon as it is
    segmented and ``load_text(document)`` fetches it again, one document at a
    time, when the report quotes it: memory then grows with the number of
    units, not with the size of the input (the command line reads the files
    again).  A document longer than ``part_chars`` characters is cleaned and
    segmented in parts cut at paragraph breaks (see :mod:`textwash.dedup.parts`);
    the report locates its copies in the whole document all the same.

    Memory does not grow with the text of the corpus: each document's cleaned
    text and each unit's shingles go to files under ``work_dir`` (a temporary
    folder, deleted at the end, unless given), and what stays in memory per unit
    is a row of fixed-width columns (:mod:`textwash.dedup.table`).  ``memory``
    (bytes) bounds the working arrays of the containment search (a quarter of
    it; default 256 MiB for them), which goes through files in ``work_dir``.

    With ``index`` (a folder, a ``redis://HOST:PORT/DB`` URL of a shared index in
    Redis, or an open :class:`~textwash.dedup.index.DedupIndex` or
    :class:`~textwash.dedup.index_redis.RedisIndex`), the units are also compared with
    every unit earlier runs indexed there, and copies of them are reported as
    clusters whose first member is the earlier copy (its ``run`` says which run
    added it; see :mod:`textwash.dedup.earlier`); then, unless
    ``update_index=False``, this run's units are added as one update named
    ``run_id`` (default: the time).  An index built with other shingling,
    ``num_perm``, seed or hash scheme is refused
    (:class:`~textwash.dedup.index.IndexMismatch`).

    A document that a pipeline step (or the segmentation after it) fails on
    raises :class:`~textwash.errors.CleaningError` with its ``doc_id`` in the
    message.  With ``on_error``, it is passed there as a
    :class:`DocumentFailure` instead, and left out of the comparison: it has
    no units, so no copy is found in it or removed from it.

    ``engine="ray"`` runs the per-document stages and the banding on Ray Data
    (``pip install 'textwash[ray]'``): see :func:`textwash.engines.ray.find_duplicates`,
    which takes the same arguments (and ``address`` / ``num_cpus`` among the
    options) and gives the same report.

    >>> a = "公安机关的群众工作是党的群众工作的重要方面，也是公安工作的光荣传统。"
    >>> report = find_duplicates([a, "前言。\\n\\n" + a.replace("，", ",")])
    >>> [(m.doc_id, m.line, m.measure) for m in report.clusters[0].members]
    [('0', 1, 'exact'), ('1', 3, 'exact')]
    """
    if engine not in ("local", "ray"):
        raise ValueError(f"engine must be 'local' or 'ray', not {engine!r}")
    # the Ray engine's own options: which cluster, where the banding runs
    on_ray = {k: options.pop(k) for k in _RAY_OPTIONS if engine == "ray" and k in options}
    cfg = DedupConfig.from_options(config, **options)
    run = RunOptions(
        index=index,
        update_index=update_index,
        run_id=run_id,
        work_dir=work_dir,
        memory=memory,
        load_text=load_text,
        on_error=on_error,
        note=progress or (lambda stage, done, total: None),
        found=_found,
    )
    if engine == "ray":  # workers: the cluster's cores do the work
        from ..engines.ray import run_on_ray

        return run_on_ray(docs, cfg, run, pipeline=pipeline, **on_ray)
    seconds: dict[str, float] = {}
    lap = _timer()
    scratch = ExitStack()  # the index, the work folder and the files in it
    try:
        with Workers(pipeline, workers) as pool:

            def run_batches(batches: Iterator[list[Job]]) -> Iterator[list[tuple[Any, None]]]:
                for done in pool.map(prepare_batch, batches, chunk=1):
                    yield [(p, None) for p in done]

            corpus, earlier, _ = segment_stage(docs, cfg, run, scratch, run_batches)
        seconds["segment"] = lap()
        return _compare(cfg, corpus, run, earlier, seconds=seconds, lap=lap)
    finally:
        keep_scratch(scratch, _found)


#: Options of ``find_duplicates(..., engine="ray")`` for the Ray engine itself
#: (see :func:`textwash.engines.ray.find_duplicates`).
_RAY_OPTIONS = ("address", "num_cpus", "banding")


@dataclass(frozen=True)
class RunOptions:
    """How one run goes, besides what it compares (its :class:`DedupConfig`): the
    arguments of :func:`find_duplicates` of the same names (``note`` is
    ``progress``, ``found`` what :func:`deduplicate` needs back), as every
    engine's stages take them."""

    index: str | os.PathLike[str] | DedupIndex | RedisIndex | None = None
    update_index: bool = True
    run_id: str | None = None
    work_dir: str | os.PathLike[str] | None = None
    memory: int | None = None
    load_text: Callable[[Document], str] | None = None
    on_error: Callable[[DocumentFailure], None] | None = None
    note: ProgressHook = field(default=lambda stage, done, total: None)
    found: Found | None = None


def report_params(cfg: DedupConfig) -> dict[str, Any]:
    """The report's ``params``: the configuration and the fixed limits of segmentation."""
    return {
        **cfg.params(),
        "short_line_tokens": SHORT_LINE_TOKENS,
        "passage_tokens": PASSAGE_TOKENS,
    }


def keep_scratch(scratch: ExitStack, found: Found | None) -> None:
    """Close the run's work folder, index and files, or hand them to ``found``
    (:func:`deduplicate` reads the units again: they live as long as it)."""
    if found is None:
        scratch.close()
    else:
        found.scratch = scratch


#: What an engine runs the documents' batches with: ``run_batches(batches)`` gives,
#: for each batch of jobs, in order, each document's :data:`Prepared` result (or a
#: :class:`~textwash.parallel.Failure`) with whatever else the engine computed for it.
BatchRunner = Callable[[Iterator[list[Job]]], Iterable[list[tuple[Any, Any]]]]


def segment_stage(
    docs: Iterable[DocLike],
    cfg: DedupConfig,
    run: RunOptions,
    scratch: ExitStack,
    run_batches: BatchRunner,
) -> tuple[_Corpus, Earlier | None, list[Any]]:
    """Stage 1 for any engine: clean, segment and shingle every document (``run_batches``
    does the work, in batches of :func:`_batches`), keeping the units in a
    :class:`UnitTable` and their shingles in :class:`UnitArrays` under the work
    folder (``run.work_dir`` or a temporary one, closed with ``scratch``), and
    open the earlier runs' ``run.index``.  Returns the corpus, the index's
    :class:`Earlier` (or ``None``) and what else the engine computed for each
    document kept, in input order.
    """
    index, update_index, load_text = run.index, run.update_index, run.load_text
    work_dir, on_error, note = run.work_dir, run.on_error, run.note
    unit, window, ngram = cfg.unit, cfg.window, cfg.ngram
    drop_function_words, part_chars = cfg.drop_function_words, cfg.part_chars
    total = len(docs) if isinstance(docs, Sized) else 0
    documents: list[Document] = []  # long documents are here as their parts
    whole: list[int] = []  # for each of them, the number of the input document
    lengths: dict[int, int] = {}
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
        None if earlier_index is None else Earlier(earlier_index, cfg, work, update=update_index)
    )
    items = UnitTable(documents, store)
    scratch.callback(items.close)
    arrays = UnitArrays(work)
    scratch.callback(arrays.close)
    parts = Parts(size=part_chars if unit != "document" else 1 << 62)
    extras: list[Any] = []

    def jobs() -> Iterator[Job]:
        for n, doc in enumerate(iter_documents(docs)):
            for part in parts.split(doc):
                documents.append(part)
                whole.append(n)
                yield (part, unit, window, ngram, drop_function_words)

    # The parts of one input document are held until the last is back: if a
    # step fails on one of them, the whole document is left out.
    held: list[tuple[int, Prepared, Any]] = []
    failed: set[int] = set()  # input documents left out

    def take_held() -> None:
        for order, prepared, extra in held:
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
            if load_text is not None:  # let the raw text go; fetched again for the report
                lengths[order] = len(doc.text)
                documents[order] = replace(doc, text="")
            items.add_document(
                order, clean, offsets, marks, titles, us, n_tokens, keys, shapes, defects
            )
            arrays.extend(sh, cs, sizes)
            extras.append(extra)
            note("segment", whole[order] + 1, total)
        held.clear()

    results = (r for batch in run_batches(_batches(jobs())) for r in batch)
    for order, (prepared, extra) in enumerate(results):
        n = whole[order]
        if held and whole[held[0][0]] != n:
            take_held()
        if isinstance(prepared, Failure) and n not in failed:
            failure = located_failure(documents[order], prepared, parts)
            if on_error is None:
                raise failure.exception() from prepared.exception()
            failed.add(n)
            on_error(failure)
            for o in [order, *(o for o, _, _ in held)]:
                documents[o] = replace(documents[o], text="")
            held.clear()
        if n in failed:
            note("segment", n + 1, total)
            continue
        assert not isinstance(prepared, Failure)
        held.append((order, prepared, extra))
    take_held()
    items.freeze()
    arrays.freeze()
    return _Corpus(items, arrays, work, documents, whole, lengths, parts), earlier, extras


#: The exact stage groups the units' keys in this many buckets (by the first bits of
#: the key), one bucket in memory at a time.
EXACT_BUCKETS = 16
#: Keys are read this many units at a time to bucket them.
EXACT_CHUNK = 1 << 20


def _first_of_key(column: SpilledColumn, rows: np.ndarray) -> np.ndarray:
    """For each of ``rows`` (ascending), the first of ``rows`` whose value in
    ``column`` (16-byte digests) is the same; equal digests fall in the same
    bucket, so a bucket of :data:`EXACT_BUCKETS` is sorted at a time.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     c = SpilledColumn("S16", d + "/k")
    ...     c.append(np.array([b"a", b"b", b"a", b"c", b"b"], dtype="S16"))
    ...     _first_of_key(c, np.array([0, 1, 2, 4])).tolist()
    ...     c.close()
    [0, 1, 0, 1]
    """
    bucket = np.empty(rows.size, dtype=np.uint8)
    for c0 in range(0, rows.size, EXACT_CHUNK):
        chunk = column.take(rows[c0 : c0 + EXACT_CHUNK])
        bucket[c0 : c0 + chunk.size] = (
            np.frombuffer(chunk.tobytes(), dtype=np.uint8).reshape(-1, 16)[:, 0] % EXACT_BUCKETS
        )
    first = np.empty(rows.size, dtype=np.int64)
    for b in range(EXACT_BUCKETS):
        mine = np.flatnonzero(bucket == b)
        if not mine.size:
            continue
        _, first_at, inverse = np.unique(
            column.take(rows[mine]), return_index=True, return_inverse=True
        )
        first[mine] = rows[mine[first_at[inverse.ravel()]]]
    return first


def _exact_pairs(items: UnitTable) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact copies and ``numbers`` pairs as rows (earlier unit, unit) in the order of
    the later unit, the units that are compared by MinHash (the first of each key, of
    :data:`MIN_TOKENS` tokens or more) and which units are the first of their key.

    A unit of :data:`MIN_EXACT_TOKENS` tokens or more is paired with the first
    unit of its key; a unit that is the first of its key, has
    :data:`MIN_TOKENS` tokens or more and numbers (its shape is not its key) is
    paired with the first such unit of its shape: the same words with other
    numbers, a ``numbers`` pair, not a copy.  The keys are read from the
    table's files a bucket at a time (:func:`_first_of_key`).
    """
    n = len(items)  # under 2**31 (the union-find's limit): int32 unit numbers
    eligible = np.flatnonzero(items.n_tokens >= MIN_EXACT_TOKENS).astype(np.int32)
    first_of = _first_of_key(items.key_column, eligible).astype(np.int32)
    dup = first_of != eligible
    events = np.full(n, -1, dtype=np.int32)
    events[eligible[dup]] = first_of[dup]
    is_first = np.ones(n, dtype=bool)
    is_first[eligible[dup]] = False
    del first_of, dup, eligible
    candidates = np.flatnonzero(is_first & (items.n_tokens >= MIN_TOKENS))
    shaped_parts = []
    for c0 in range(0, candidates.size, EXACT_CHUNK):
        rows = candidates[c0 : c0 + EXACT_CHUNK]
        differ = items.shape_column.take(rows) != items.key_column.take(rows)
        shaped_parts.append(rows[differ])
    shaped = np.concatenate([np.zeros(0, dtype=np.int64), *shaped_parts])
    if shaped.size:
        other = _first_of_key(items.shape_column, shaped)
        mine = other != shaped
        events[shaped[mine]] = other[mine]
    later = np.flatnonzero(events >= 0)
    return np.stack([events[later].astype(np.int64), later], axis=1), candidates, is_first


#: A report of at most this many clusters holds them in a list; a larger one reads
#: them from a file (:class:`~textwash.dedup.clusterfile.ClusterFile`).
LIST_CLUSTERS = 10_000

#: Signatures are computed, and turned into band keys, this many units at a time.
SIGNATURE_CHUNK = 50_000


def _band_key_files(
    arrays: UnitArrays,
    reps: np.ndarray,
    cfg: DedupConfig,
    work: Path,
    on_chunk: Callable[[np.ndarray, np.ndarray], None] | None = None,
    note: ProgressHook | None = None,
) -> list[Path]:
    """The LSH band keys of ``reps``, one file per band (8 bytes a unit each).

    Signatures (bit-identical to datasketch's ``affine32`` MinHash,
    tests/test_signatures.py) are made :data:`SIGNATURE_CHUNK` units at a time
    and reduced to band keys at once, so no signature matrix of the corpus is
    ever held.  ``on_chunk(units, keys)`` sees each chunk's band keys.
    """
    files = [work / f"band{b:03d}.u64" for b in range(cfg.bands)]
    outs = [f.open("wb") for f in files]
    try:
        for c0 in range(0, reps.size, SIGNATURE_CHUNK):
            flat, bounds = arrays.shingles.gather(reps[c0 : c0 + SIGNATURE_CHUNK])
            sigs = signatures_from_flat(flat, bounds, num_perm=cfg.num_perm, seed=cfg.seed)
            keys = band_keys(sigs, cfg.bands, cfg.rows)
            if on_chunk is not None:
                on_chunk(reps[c0 : c0 + SIGNATURE_CHUNK], keys)
            for b, out in enumerate(outs):
                np.ascontiguousarray(keys[:, b]).tofile(out)
            if note is not None:
                note("minhash", min(c0 + SIGNATURE_CHUNK, reps.size), reps.size)
    finally:
        for out in outs:
            out.close()
    return files


def _lsh_candidates(
    files: list[Path], reps: np.ndarray, note: ProgressHook | None = None
) -> np.ndarray:
    """Pairs of ``reps`` sharing a key in some band (one band in memory at a time),
    as unit numbers ``(j, i)``, ``j < i``, sorted and unique: exactly the pairs of a
    datasketch ``MinHashLSH`` with the same bands and rows (tests/test_banding.py)."""
    found = [np.zeros((0, 2), dtype=np.int64)]
    for b, f in enumerate(files):
        keys = np.fromfile(f, dtype=np.uint64).reshape(-1, 1)
        found.append(candidate_pairs(keys))
        f.unlink()
        if note is not None:
            note("lsh", b + 1, len(files))
    pairs = np.unique(np.concatenate(found), axis=0)
    return reps[pairs] if pairs.size else pairs


@dataclass
class _Corpus:
    """The prepared units of one run and where they came from."""

    items: UnitTable
    arrays: UnitArrays
    work: Path  # the run's work folder
    documents: list[Document]  # the documents (and parts of long ones), in input order
    whole: list[int]  # the input document of each
    lengths: dict[int, int]  # raw lengths of the documents whose text was let go
    parts: Parts


def _compare(
    cfg: DedupConfig,
    corpus: _Corpus,
    run: RunOptions,
    earlier: Earlier | None,
    *,
    seconds: dict[str, float],
    lap: Callable[[], float],
    banding: Banding | None = None,
    verifying: Verifying | None = None,
    holding: Holding | None = None,
) -> DuplicateReport:
    """Stages 2–5 on the prepared units (and the earlier runs' units, with an index).

    ``banding`` makes the LSH candidates of stage 3 (default: :func:`local_banding`),
    ``verifying`` checks them (default: :func:`local_verifying`) and ``holding``
    makes the 3-gram check of stage 4's candidates (default:
    :func:`~textwash.dedup.containment.local_holding`); the Ray engine passes
    its own."""
    note, load_text, found, memory = run.note, run.load_text, run.found, run.memory
    update_index, run_id = run.update_index, run.run_id
    params = report_params(cfg)
    items, arrays, work, parts = corpus.items, corpus.arrays, corpus.work, corpus.parts
    threshold, keep = cfg.near_threshold, cfg.keep
    uf = Links(items, cfg.remove_numbers)
    # 2. exact -------------------------------------------------------------------
    exact, reps, first = _exact_pairs(items)
    for c0 in range(0, len(exact), EXACT_CHUNK):  # no Python tuple per pair held
        for a, b in exact[c0 : c0 + EXACT_CHUNK].tolist():
            uf.union(a, b)
    del exact
    seconds["exact"] = lap()

    # 3. minhash, lsh, verify ------------------------------------------------------
    banding = banding or local_banding(cfg, arrays, work)

    def mark(stage: str) -> None:
        seconds[stage] = lap()

    pairs = banding(reps, earlier, note, mark)
    seconds["lsh"] = lap()
    passed = (verifying or local_verifying(arrays))(pairs, threshold)
    verified = 0
    for (i, j), ok in zip(pairs.tolist(), passed.tolist(), strict=True):
        if ok:
            uf.union(i, j)
            verified += 1
    n_candidates = len(pairs)
    seconds["verify"] = lap()
    if earlier is not None:
        earlier.compare(items, arrays, first)
        seconds["earlier"] = lap()

    # 4. containment -----------------------------------------------------------------
    contained: list[Contained] = []
    overlaps = 0
    verifier = Verifier(items, threshold, cfg.drop_function_words)  # damaged and split copies
    if cfg.containment:
        contained, overlaps = find_containment(
            items,
            arrays,
            uf,
            cfg.containment_threshold,
            cfg.containment_ratio,
            threshold,
            note=note,
            verifier=verifier,
            work_dir=work,
            memory=memory // 4 if memory else None,
            holding=holding,
        )
    seconds["containment"] = lap()
    verifier.join_split_copies(uf, contained, note=note)
    contained = split_numbers(uf, contained)
    seconds["split"] = lap()

    # 5. clusters ----------------------------------------------------------------------
    # Each cluster goes to a file as it is made; then they are put in order, quoted
    # and numbered a cluster at a time (clusterfile.py): memory holds one cluster.
    made = ClusterFile(work)
    places = array("q")
    refs_of: list[tuple[Ref, ...]] = []  # for deduplicate only
    for place, cluster, refs in iter_clusters(items, arrays, uf, contained, keep, threshold):
        made.append(cluster)
        places.extend((place[0], *place[1]))
        if found is not None:
            refs_of.append(refs)
    n_built = len(made)
    found_earlier = [] if earlier is None else earlier.clusters(items)
    made.extend(found_earlier)
    places.extend((1, 0, 0) * len(found_earlier))
    try:
        clusters: Sequence[Cluster] = finish_clusters(
            made,
            np.frombuffer(places, dtype=np.int64),
            cluster_id_width(n_built),
            documents=corpus.documents,
            lengths=corpus.lengths,
            load_text=None if load_text is None else parts.loader(load_text),
            parts=parts,
            work_dir=work,
        )
    finally:
        made.close()
    if len(clusters) <= LIST_CLUSTERS:
        assert isinstance(clusters, ClusterFile)
        spilled, clusters = clusters, list(clusters)
        spilled.close()
    if found is not None:  # the clusters of this run only, with where their members are
        order = report_order(np.frombuffer(places, dtype=np.int64)[: 3 * n_built])
        found.items = items
        found.clusters = list(
            zip(list(clusters[:n_built]), (refs_of[k] for k in order.tolist()), strict=True)
        )
        found.parts = parts
        found.whole = corpus.whole
        found.keep = keep
    seconds["clusters"] = lap()
    stats: dict[str, Any] = {}
    if earlier is not None:
        stats["earlier_candidates"] = earlier.candidates
        stats["earlier_clusters"] = len(found_earlier)
        stats["index_units_before"] = len(earlier.index)
        if update_index:
            name = run_id or time.strftime("%Y-%m-%dT%H:%M:%S")
            stats["index_units_added"] = earlier.add(name, items, arrays, parts, first, note)
            earlier.index.commit()
            stats["index_run"] = name
        seconds["index"] = lap()
    stats = {
        "documents": corpus.whole[-1] + 1 if corpus.whole else 0,
        "units": len(items),
        "lsh_candidates": n_candidates,
        "verified_pairs": verified,
        "contained": len(contained),
        "overlap_pairs": overlaps,
        "aligned_pairs": verifier.pairs,
        "split_copies": verifier.joined,
        "numbers_pairs": len(uf.numbers),
        "clusters": len(clusters),
        "seconds": {k: round(v, 4) for k, v in seconds.items()},
        **stats,
    }
    report = DuplicateReport(clusters, params, stats)
    stats["duplicated_chars"] = report.duplicated_chars
    return report


#: Stage 3's LSH: ``banding(reps, earlier, note, mark)`` gives the candidate pairs
#: ``(i, j)`` among the units ``reps`` (an ``(n, 2)`` array), queries ``earlier``'s
#: index with their band keys as they are made, and calls ``mark("minhash")`` once
#: the keys are made, before the pairs are found.
Banding = Callable[[np.ndarray, Earlier | None, ProgressHook, Callable[[str], None]], np.ndarray]


#: Stage 3's check: ``verifying(pairs, threshold)`` says, for each candidate pair
#: ``(i, j)`` of an ``(n, 2)`` array, whether the exact Jaccard similarity of the
#: two units' shingle sets is at least ``threshold`` (a boolean array).
Verifying = Callable[[np.ndarray, float], np.ndarray]

#: Candidate pairs are verified this many at a time (their shingles read at once).
VERIFY_CHUNK = 20_000


def jaccard_mask(
    a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray], threshold: float
) -> np.ndarray:
    """Whether row ``k`` of ``a`` and row ``k`` of ``b`` (ragged rows of sorted, unique
    shingle hashes: ``(flat, bounds)``) have a Jaccard similarity of ``threshold``
    or more.

    >>> a = (np.array([1, 2, 3, 7]), np.array([0, 3, 4]))
    >>> b = (np.array([2, 3, 4, 8, 9]), np.array([0, 3, 5]))
    >>> jaccard_mask(a, b, 0.5).tolist()
    [True, False]
    """
    (fa, ba), (fb, bb) = a, b
    out = np.zeros(ba.size - 1, dtype=bool)
    for k in range(out.size):
        out[k] = jaccard(fa[ba[k] : ba[k + 1]], fb[bb[k] : bb[k + 1]]) >= threshold
    return out


def local_verifying(arrays: UnitArrays) -> Verifying:
    """The local engine's check: the pairs' shingles read :data:`VERIFY_CHUNK` pairs
    at a time and compared in this process."""

    def verifying(pairs: np.ndarray, threshold: float) -> np.ndarray:
        return pair_masks(arrays.shingles, jaccard_mask, pairs, threshold, VERIFY_CHUNK)

    return verifying


def local_banding(cfg: DedupConfig, arrays: UnitArrays, work: Path) -> Banding:
    """The local engine's stage 3: signatures and band keys in this process, a
    file per band under ``work``, pairs found one band at a time."""

    def banding(
        reps: np.ndarray,
        earlier: Earlier | None,
        note: ProgressHook,
        mark: Callable[[str], None],
    ) -> np.ndarray:
        with TemporaryDirectory(prefix="bands-", dir=work) as band_dir:
            hook = None if earlier is None else earlier.query_bands
            files = _band_key_files(arrays, reps, cfg, Path(band_dir), hook, note)
            mark("minhash")
            # LSH at a slightly lower threshold than the exact check: it only
            # proposes pairs; the bands and rows are datasketch's choice for it.
            return _lsh_candidates(files, reps, note)

    return banding


@dataclass
class Found:
    """What :func:`deduplicate` needs of a :func:`find_duplicates` run besides its report."""

    items: Sequence[Item] = field(default_factory=list)
    clusters: list[tuple[Cluster, tuple[Ref, ...]]] = field(default_factory=list)
    scratch: ExitStack | None = None  # the work folder the items are read from
    parts: Parts | None = None
    whole: list[int] = field(default_factory=list)  # input document of each (part) document
    keep: str = "best"
