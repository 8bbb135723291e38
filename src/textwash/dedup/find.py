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
   (:class:`_Links`), deterministic ids, a kept copy chosen by ``keep``
   (``"best"``, ``"first"`` or ``"longest"``), every member labelled with why
   it is there.

:func:`deduplicate` then cuts of every copy only what a kept text holds,
whole sentences, in rounds until nothing is left to cut (``docs/dedup.md``).
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Any

import numpy as np
import regex
from datasketch import MinHashLSH
from rapidfuzz import fuzz
from rapidfuzz.distance import LCSseq

from ..edits import ChainMap, OffsetMap
from ..errors import CleaningError
from ..parallel import Failure, Workers, current_pipeline
from ..pipeline import Pipeline, RunResult
from ..segment import UNIT_KINDS, Document, Unit, segment, split_sentences, units
from ..segment.document import line_of, line_starts
from .keys import (
    FUNCTION_IDS,
    NUMBER_ID,
    TokenArray,
    exact_key,
    ngram_hashes,
    number_mask,
    numbers_in,
    token_array,
)
from .parts import PART_CHARS, Parts
from .ragged import Ragged, gather_spans
from .report import Cluster, DuplicateReport, Member
from .signatures import signatures_from_flat, to_lean_minhashes
from .unionfind import UnionFind
from .verify import Verifier

__all__ = [
    "DedupResult",
    "DocumentFailure",
    "Removal",
    "as_documents",
    "deduplicate",
    "find_duplicates",
    "iter_documents",
]

DocLike = str | tuple[str, str] | Document
ProgressHook = Callable[[str, int, int], None]

#: Units with fewer tokens than this only take part in exact matching.
MIN_TOKENS = 10
#: Exact matches need at least this many tokens (shorter lines repeat by chance).
MIN_EXACT_TOKENS = 6
#: Containment is looked for only for units with at least this many tokens.
MIN_CONTAINMENT_TOKENS = 20
#: Containment compares 3-grams of the tokens that are not function characters.
_CONTAINMENT_NGRAM = 3
#: What ``keep`` may be: the copy with the fewest defects found by cleaning (then
#: the longest, then the first), the first in input order, or the longest.
KEEP_POLICIES = ("best", "first", "longest")


def as_documents(docs: Iterable[DocLike]) -> list[Document]:
    """Accept strings, ``(doc_id, text)`` pairs or :class:`Document` objects.

    >>> [d.doc_id for d in as_documents(["甲", ("b", "乙")])]
    ['0', 'b']
    """
    return list(iter_documents(docs))


def iter_documents(docs: Iterable[DocLike]) -> Iterator[Document]:
    """:func:`as_documents`, one document at a time (``docs`` is read lazily).

    >>> docs = iter_documents(x for x in ["甲", ("b", "乙")])
    >>> next(docs).doc_id
    '0'
    """
    seen: set[str] = set()
    for i, d in enumerate(docs):
        if isinstance(d, Document):
            doc = d
        elif isinstance(d, str):
            doc = Document(str(i), d)
        elif isinstance(d, tuple) and len(d) == 2 and isinstance(d[1], str):
            doc = Document(str(d[0]), d[1])
        else:
            raise TypeError(
                f"document {i}: expected a string, a (doc_id, text) pair or a Document, "
                f"got {type(d).__name__}"
            )
        if doc.doc_id in seen:
            raise ValueError(f"document {i}: duplicate doc_id {doc.doc_id!r}")
        seen.add(doc.doc_id)
        yield doc


_EMPTY_U32 = np.zeros(0, dtype=np.uint32)


@dataclass(slots=True)
class _Item:
    """One unit with what the stages need; its arrays live in a :class:`_Arrays`."""

    order: int  # position of its document in the input
    unit: Unit  # its ``text`` is dropped to save memory
    doc: Document
    offsets: ChainMap  # cleaned -> raw offsets of the unit's document
    clean: str  # the cleaned text of the unit's document (shared by its units)
    n_tokens: int
    key: bytes
    shape: bytes  # the key with numbers masked (keys.shape_ids)
    defects: int  # what cleaning repaired or flagged in the unit's raw span
    marks: np.ndarray  # where, in the document (shared by its units)

    @property
    def sort_key(self) -> tuple[int, int]:
        return (self.order, self.unit.start)


class _Arrays:
    """Every unit's arrays, end to end (see :class:`Ragged`).

    ``shingles[i]``: unit ``i``'s sorted, unique near-duplicate shingle hashes;
    ``cont_set[i]``: the sorted, unique hashes of its content-token 3-grams
    (tokens that are not function characters); ``cont_size[i]``: how many
    content tokens it has.
    """

    def __init__(self) -> None:
        self.shingles = Ragged(np.uint32)
        self.cont_set = Ragged(np.uint32)
        self._sizes: list[np.ndarray] = []
        self.cont_size = np.zeros(0, dtype=np.int64)

    def extend(
        self,
        sh: tuple[np.ndarray, np.ndarray],
        cs: tuple[np.ndarray, np.ndarray],
        sizes: np.ndarray,
    ) -> None:
        self.shingles.extend(*sh)
        self.cont_set.extend(*cs)
        self._sizes.append(sizes)

    def freeze(self) -> None:
        self.shingles.freeze()
        self.cont_set.freeze()
        if self._sizes:
            self.cont_size = np.concatenate(self._sizes).astype(np.int64)
        self._sizes = []


@dataclass(frozen=True)
class _Contained:
    """Unit ``inner`` found inside unit ``outer`` at ``[start, end)`` of its cleaned document."""

    inner: int
    outer: int
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class DocumentFailure:
    """A document that could not be cleaned or segmented, and so was not compared.

    Attributes:
        doc_id: the document.
        source: its ``Document.source`` (the file, for the command line).
        error: what failed; its ``position`` is in the document's raw text.
        line: the 1-based line of that position there, or ``None``.
        traceback: the traceback where it failed (in a worker process, maybe).
    """

    doc_id: str
    source: str | None
    error: CleaningError
    line: int | None
    traceback: str

    def exception(self) -> CleaningError:
        """The error to raise: :attr:`error` with the document named in its message."""
        err = self.error
        return CleaningError(
            err.step, f"{err.message} (document {self.doc_id})", position=err.position
        )


def _timer() -> Callable[[], float]:
    t = time.perf_counter()

    def lap() -> float:
        nonlocal t
        now = time.perf_counter()
        d, t = now - t, now
        return d

    return lap


def find_duplicates(
    docs: Iterable[DocLike],
    *,
    unit: str = "paragraph",
    threshold: float = 0.8,
    ngram: int = 5,
    num_perm: int = 128,
    seed: int = 1,
    keep: str = "best",
    containment: bool = True,
    containment_threshold: float = 0.6,
    containment_ratio: float = 2.0,
    drop_function_words: bool = True,
    window: int = 1,
    pipeline: Pipeline | None = None,
    progress: ProgressHook | None = None,
    workers: int = 1,
    load_text: Callable[[Document], str] | None = None,
    part_chars: int = PART_CHARS,
    on_error: Callable[[DocumentFailure], None] | None = None,
    remove_numbers: bool = False,
    _found: _Found | None = None,
) -> DuplicateReport:
    """Find exact, near-duplicate and contained copies of passages across ``docs``.

    ``docs`` are strings, ``(doc_id, text)`` pairs or :class:`Document` objects;
    a single string may hold a whole dump (copies inside one document count).
    ``unit`` is ``"paragraph"``, ``"sentence"`` (windows of ``window``
    sentences) or ``"document"`` (essay bodies).  Two units are near duplicates
    when the Jaccard similarity of their ``ngram``-token shingles is at least
    ``threshold``; a unit is contained in a unit ``containment_ratio`` times
    longer when at least ``containment_threshold`` of its shingles occur there.
    Two units of comparable length are also copies when the shorter one's
    shingles lie at least ``threshold`` inside the other (a sentence added or
    deleted).  ``drop_function_words`` leaves 的了在是… out of the near-duplicate
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

    A document that a pipeline step (or the segmentation after it) fails on
    raises :class:`~textwash.errors.CleaningError` with its ``doc_id`` in the
    message.  With ``on_error``, it is passed there as a
    :class:`DocumentFailure` instead, and left out of the comparison: it has
    no units, so no copy is found in it or removed from it.

    >>> a = "公安机关的群众工作是党的群众工作的重要方面，也是公安工作的光荣传统。"
    >>> report = find_duplicates([a, "前言。\\n\\n" + a.replace("，", ",")])
    >>> [(m.doc_id, m.line, m.measure) for m in report.clusters[0].members]
    [('0', 1, 'exact'), ('1', 3, 'exact')]
    """
    if not 0 < threshold <= 1:
        raise ValueError("threshold must be in (0, 1]")
    if keep not in KEEP_POLICIES:
        raise ValueError(f"keep must be one of {', '.join(map(repr, KEEP_POLICIES))}")
    if ngram < 1:
        raise ValueError("ngram must be at least 1")
    params: dict[str, Any] = {
        "unit": unit,
        "threshold": threshold,
        "ngram": ngram,
        "num_perm": num_perm,
        "seed": seed,
        "keep": keep,
        "containment": containment,
        "containment_threshold": containment_threshold,
        "containment_ratio": containment_ratio,
        "drop_function_words": drop_function_words,
        "window": window,
        "minhash_scheme": "affine32",
        "part_chars": part_chars,
        "remove_numbers": remove_numbers,
        "short_line_tokens": SHORT_LINE_TOKENS,
        "passage_tokens": PASSAGE_TOKENS,
    }
    seconds: dict[str, float] = {}
    lap = _timer()
    note = progress or (lambda stage, done, total: None)

    # 1. segment -----------------------------------------------------------------
    if unit not in UNIT_KINDS:
        raise ValueError(f"unknown unit {unit!r}; choose one of {', '.join(UNIT_KINDS)}")
    total = len(docs) if isinstance(docs, Sized) else 0
    documents: list[Document] = []  # long documents are here as their parts
    whole: list[int] = []  # for each of them, the number of the input document
    lengths: dict[int, int] = {}
    items: list[_Item] = []
    arrays = _Arrays()
    parts = Parts(size=part_chars if unit != "document" else 1 << 62)

    def jobs() -> Iterator[tuple[Document, str, int, int, bool]]:
        for n, doc in enumerate(iter_documents(docs)):
            for part in parts.split(doc):
                documents.append(part)
                whole.append(n)
                yield (part, unit, window, ngram, drop_function_words)

    # The parts of one input document are held until the last is back: if a
    # step fails on one of them, the whole document is left out.
    held: list[tuple[int, _Prepared]] = []
    failed: set[int] = set()  # input documents left out

    def take_held() -> None:
        for order, prepared in held:
            offsets, clean, us, titles, n_tokens, keys, sh, cs, sizes, shapes, defects, marks = (
                prepared
            )
            doc = documents[order]
            if parts:
                parts.count(doc.doc_id, len(us), titles)
            if load_text is not None:  # let the raw text go; fetched again for the report
                lengths[order] = len(doc.text)
                doc = documents[order] = replace(doc, text="")
            items.extend(
                _Item(
                    order,
                    u,
                    doc,
                    offsets,
                    clean,
                    int(n),
                    keys[16 * k : 16 * k + 16],
                    shapes[16 * k : 16 * k + 16],
                    int(d),
                    marks,
                )
                for k, (u, n, d) in enumerate(
                    zip(us, n_tokens.tolist(), defects.tolist(), strict=True)
                )
            )
            arrays.extend(sh, cs, sizes)
            note("segment", whole[order] + 1, total)
        held.clear()

    with Workers(pipeline, workers) as pool:
        for order, prepared in enumerate(pool.map(_prepare_isolated, jobs())):
            n = whole[order]
            if held and whole[held[0][0]] != n:
                take_held()
            if isinstance(prepared, Failure) and n not in failed:
                failure = _failure(documents[order], prepared, parts)
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
    arrays.freeze()
    seconds["segment"] = lap()

    uf = _Links(items, remove_numbers)
    # 2. exact -------------------------------------------------------------------
    by_key: dict[bytes, int] = {}
    by_shape: dict[bytes, int] = {}
    for i, it in enumerate(items):
        if it.n_tokens < MIN_EXACT_TOKENS:
            continue
        first = by_key.setdefault(it.key, i)
        if first != i:
            uf.union(first, i)
        elif it.n_tokens >= MIN_TOKENS and it.shape != it.key:
            # the same words with other numbers: a `numbers` pair, not a copy
            other = by_shape.setdefault(it.shape, i)
            if other != i:
                uf.union(other, i)
    seconds["exact"] = lap()

    # 3. minhash, lsh, verify ------------------------------------------------------
    reps = [i for i, it in enumerate(items) if it.n_tokens >= MIN_TOKENS and by_key[it.key] == i]
    # NumPy signatures, bit-identical to datasketch's affine32 MinHash (tests/test_signatures.py)
    flat, bounds = arrays.shingles.gather(reps)
    sigs = signatures_from_flat(flat, bounds, num_perm=num_perm, seed=seed)
    del flat, bounds
    seconds["minhash"] = lap()
    # LSH at a slightly lower threshold than the exact check: it only proposes pairs
    lsh_threshold = round(max(0.3, threshold - 0.1), 4)
    candidates, bands, rows = _lsh_pairs(sigs, reps, lsh_threshold, num_perm, seed, note)
    params.update(lsh_threshold=lsh_threshold, lsh_bands=bands, lsh_rows=rows)
    del sigs
    seconds["lsh"] = lap()
    verified = 0
    for i, j in sorted(candidates):
        if _jaccard(arrays.shingles[i], arrays.shingles[j]) >= threshold:
            uf.union(i, j)
            verified += 1
    seconds["verify"] = lap()

    # 4. containment -----------------------------------------------------------------
    contained: list[_Contained] = []
    overlaps = 0
    verifier = Verifier(items, threshold, drop_function_words)  # damaged and split copies
    if containment:
        contained, overlaps = _find_containment(
            items,
            arrays,
            uf,
            containment_threshold,
            containment_ratio,
            threshold,
            note=note,
            verifier=verifier,
        )
    seconds["containment"] = lap()
    verifier.join_split_copies(uf, contained, note=note)
    contained = _split_numbers(uf, contained)
    seconds["split"] = lap()

    # 5. clusters ----------------------------------------------------------------------
    built = _build_clusters(items, arrays, uf, contained, keep, threshold)
    clusters = [c for c, _ in built]
    if load_text is not None:
        clusters = _quote(clusters, documents, lengths, parts.loader(load_text))
    if parts:
        clusters = _restore(parts, clusters)
    if _found is not None:
        _found.items = items
        _found.clusters = [(c, refs) for c, (_, refs) in zip(clusters, built, strict=True)]
        _found.parts = parts
        _found.whole = whole
        _found.keep = keep
    seconds["clusters"] = lap()
    stats = {
        "documents": whole[-1] + 1 if whole else 0,
        "units": len(items),
        "lsh_candidates": len(candidates),
        "verified_pairs": verified,
        "contained": len(contained),
        "overlap_pairs": overlaps,
        "aligned_pairs": verifier.pairs,
        "split_copies": verifier.joined,
        "numbers_pairs": len(uf.numbers),
        "clusters": len(clusters),
        "seconds": {k: round(v, 4) for k, v in seconds.items()},
    }
    report = DuplicateReport(clusters, params, stats)
    stats["duplicated_chars"] = report.duplicated_chars
    return report


_FUNCTION_TABLE = np.zeros(0x10000, dtype=bool)
_FUNCTION_TABLE[FUNCTION_IDS] = True


def _content_tokens(clean: str, start: int, end: int) -> tuple[np.ndarray, TokenArray]:
    """The content tokens (not function characters) of ``clean[start:end]``.

    Returns their indices among all tokens and all tokens, with spans in
    ``clean`` (not in the slice).  Tokenization is context-free, so the result
    is the same whether a unit is tokenized alone or with its whole document.
    """
    toks = token_array(clean[start:end])
    if start:
        toks = TokenArray(toks.ids, toks.start + start, toks.end + start)
    ids = toks.ids
    function = (ids < 0x10000) & _FUNCTION_TABLE[np.minimum(ids, 0xFFFF)]
    return np.flatnonzero(~function), toks


_Prepared = tuple[
    ChainMap,
    str,
    list[Unit],
    list[str | None],  # the section titles
    np.ndarray,
    bytes,
    tuple[np.ndarray, np.ndarray],
    tuple[np.ndarray, np.ndarray],
    np.ndarray,
    bytes,  # the shape keys (numbers masked)
    np.ndarray,  # defects per unit
    np.ndarray,  # where cleaning found defects in the raw text (sorted)
]


def _prepare_isolated(job: tuple[Document, str, int, int, bool]) -> _Prepared | Failure:
    """:func:`_prepare`, with a failure sent back as a :class:`~textwash.parallel.Failure`
    (its position in the raw text of the document or part).  The segmentation
    and tokenizing after the pipeline are not steps of it, but a document they
    fail on is left out all the same (as step ``segment``)."""
    try:
        return _prepare(job)
    except CleaningError as err:
        return Failure.caught(err)
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return Failure.caught(CleaningError("segment", message))


def _failure(doc: Document, failure: Failure, parts: Parts) -> DocumentFailure:
    """The failure of ``doc`` (a document, or a part of one) located in the whole document."""
    err = failure.error
    line = None if err.position is None else doc.text.count("\n", 0, err.position) + 1
    doc_id, at, lines = doc.doc_id, err.position, line
    part = parts._parts.get(doc.doc_id)  # a part: where it sits in its whole document
    if part is not None:
        doc_id = part.whole.doc_id
        at = None if at is None else at + part.start
        lines = None if line is None else line + part.lines
    located = CleaningError(err.step, err.message, position=at)
    return DocumentFailure(doc_id, doc.source, located, lines, failure.traceback)


def _prepare(job: tuple[Document, str, int, int, bool]) -> _Prepared:
    """Clean, segment, tokenize and shingle one document (runs in a worker process).

    The cleaned document is tokenized and hashed once, in NumPy, and each unit
    takes its slices.  What travels back is compact: a text-free offset map,
    the cleaned text, the units without their text, the section titles, and
    per-unit token counts, key digests and arrays laid end to end.
    """
    doc, unit, window, ngram, drop_function_words = job
    seg = segment(doc, pipeline=current_pipeline())
    clean = seg.run.text
    us = units(doc, unit, window=window, segmented=seg)
    content, toks = _content_tokens(clean, 0, len(clean))
    ids = toks.ids
    if unit == "paragraph" and len(us) > 1:
        starts = np.searchsorted(toks.start, [u.clean_start for u in us])
        ends = np.searchsorted(toks.start, [u.clean_end for u in us])
        us = _blocks(us, (ends - starts).tolist())
    marks = _defect_marks(seg.run)
    content_ids = ids[content]
    near_ids = content_ids if drop_function_words else ids
    near_hashes = ngram_hashes(near_ids, ngram, whole=False)
    cont_hashes = ngram_hashes(content_ids, _CONTAINMENT_NGRAM, whole=False)
    # each unit's token range [lo, hi) and content-token range [c0, c1)
    lo = np.searchsorted(toks.start, [u.clean_start for u in us])
    hi = np.searchsorted(toks.start, [u.clean_end for u in us])
    c0 = np.searchsorted(content, lo)
    c1 = np.searchsorted(content, hi)
    n0, n1 = (c0, c1) if drop_function_words else (lo, hi)
    shingle_sets: list[np.ndarray] = []
    cont_sets: list[np.ndarray] = []
    keys: list[bytes] = []
    shapes: list[bytes] = []
    # the shape of the whole document (keys.shape_ids), each run of numbers as one
    # token but at a unit's start, and where each token's shape starts
    masked = number_mask(ids)
    masked_before = np.concatenate([[0], np.cumsum(masked)])
    keep = np.ones(ids.size, dtype=bool)
    keep[1:] = ~(masked[1:] & masked[:-1])
    keep[lo[lo < ids.size]] = True
    shaped = np.where(masked, np.uint32(NUMBER_ID), ids)[keep]
    shaped_at = np.concatenate([[0], np.cumsum(keep)])
    for k in range(len(us)):
        sh = _EMPTY_U32
        if hi[k] - lo[k] >= MIN_TOKENS:
            if n1[k] - n0[k] >= ngram:
                sh = np.unique(near_hashes[n0[k] : n1[k] - ngram + 1])
            else:
                sh = ngram_hashes(near_ids[n0[k] : n1[k]], ngram)
        shingle_sets.append(sh)
        cs = _EMPTY_U32
        if c1[k] - c0[k] >= _CONTAINMENT_NGRAM:
            cs = np.unique(cont_hashes[c0[k] : c1[k] - _CONTAINMENT_NGRAM + 1])
        cont_sets.append(cs)
        keys.append(exact_key(ids[lo[k] : hi[k]]))
        if masked_before[hi[k]] == masked_before[lo[k]]:
            shapes.append(keys[-1])  # no number: the shape is the key
        else:
            shapes.append(exact_key(shaped[shaped_at[lo[k]] : shaped_at[hi[k]]]))

    def packed(rows: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        lengths = np.array([r.size for r in rows], dtype=np.int64)
        return (np.concatenate(rows) if rows else _EMPTY_U32), lengths

    return (
        seg.run.offsets.light(),
        clean,
        [replace(u, text="") for u in us],
        [sec.title for sec in seg.sections],
        (hi - lo).astype(np.int32),
        b"".join(keys),
        packed(shingle_sets),
        packed(cont_sets),
        (c1 - c0).astype(np.int32),
        b"".join(shapes),
        _count_in(marks, [u.start for u in us], [u.end for u in us]),
        marks,
    )


def _count_in(marks: np.ndarray, starts: Sequence[int], ends: Sequence[int]) -> np.ndarray:
    """How many of ``marks`` (sorted) lie in each span ``[starts[k], ends[k])``."""
    lo = np.searchsorted(marks, np.asarray(starts, dtype=np.int64), side="left")
    hi = np.searchsorted(marks, np.asarray(ends, dtype=np.int64), side="left")
    return (hi - lo).astype(np.int32)


#: Steps whose edits are not defects of the text (line endings, trailing spaces).
_NOT_DEFECTS = frozenset({"Whitespace"})


def _defect_marks(run: RunResult) -> np.ndarray:
    """Where cleaning repaired or flagged something, as sorted raw offsets.

    One mark per edit of every step but :data:`_NOT_DEFECTS` (an ASCII comma
    made full-width, an OCR space deleted, a hard wrap joined, a traditional
    character converted, a look-alike replaced ...) at the raw position it
    came from, and one per flag (a masked word, mojibake, a stray period).
    The ``best`` keep policy keeps the copy with the fewest.

    >>> from textwash import get_preset
    >>> _defect_marks(get_preset("zh").run("近年来,随着 社 会 发 展。")).tolist()
    [3, 6, 8, 10, 12]
    """
    maps = run.offsets.maps
    found: list[np.ndarray] = []
    k = 0
    for (name, _), edits in zip(run.step_counts, run.step_edits, strict=True):
        if not edits:
            continue
        if name not in _NOT_DEFECTS:
            pos = np.fromiter((e.start for e in edits), dtype=np.int64, count=len(edits))
            for m in reversed(maps[:k]):
                pos = _back(m, pos)
            found.append(pos)
        k += 1
    if run.flags:
        found.append(np.array([f.source_start for f in run.flags], dtype=np.int64))
    if not found:
        return np.zeros(0, dtype=np.int64)
    return np.sort(np.concatenate(found))


def _back(m: OffsetMap, pos: np.ndarray) -> np.ndarray:
    """:meth:`OffsetMap.to_source_pos` (``side="start"``) for an array of positions."""
    ds = np.asarray(m._dst_starts, dtype=np.int64)
    de = np.asarray(m._dst_ends, dtype=np.int64)
    j = np.searchsorted(ds, pos, side="right") - 1
    has = j >= 0
    jj, p = j[has], pos[has]
    out = pos.copy()
    src_start = np.asarray(m._starts, dtype=np.int64)[jj]
    src_end = np.asarray(m._ends, dtype=np.int64)[jj]
    out[has] = np.where(p < de[jj], src_start, src_end + (p - de[jj]))
    return out


#: Lines of fewer tokens than this that come two or more in a row, with no blank
#: line between them (table cells, list items, a heading and its sub-heading),
#: are compared as one block.
SHORT_LINE_TOKENS = 20


def _blocks(us: list[Unit], n: Sequence[int]) -> list[Unit]:
    """Paragraph units with every run of two or more short lines in a row (no blank
    line between them) merged into one unit of kind ``"block"`` (``n[k]``: the
    tokens of ``us[k]``).

    A table extracted one cell per line, or a list of short items, is then
    compared as a whole: two tables that share a cell are not copies, two
    copies of one table still are.

    >>> from textwash.segment import units as split
    >>> table = "表一\\n7天=(8天每日生活津贴)\\n14天=(15天每日生活津贴)\\n\\n"
    >>> us = split(table + "正文" * 20 + "。")
    >>> [(u.kind, u.line, u.end_line) for u in _blocks(us, [2, 10, 11, 40])]
    [('block', 1, 3), ('paragraph', 5, 5)]
    """
    out: list[Unit] = []
    k = 0
    while k < len(us):
        j = k
        while (
            j + 1 < len(us)
            and n[j] < SHORT_LINE_TOKENS
            and n[j + 1] < SHORT_LINE_TOKENS
            and us[j + 1].section == us[k].section
            and us[j + 1].line == us[j].end_line + 1  # the next line, no blank line between
        ):
            j += 1
        u = us[k]
        if j > k:
            last = us[j]
            u = replace(
                u,
                kind="block",
                text="\n".join(x.text for x in us[k : j + 1]),
                end=last.end,
                end_line=last.end_line,
                clean_end=last.clean_end,
            )
        out.append(replace(u, index=len(out)) if u.index != len(out) else u)
        k = j + 1
    return out


#: How many LSH bands are indexed at a time (at least 2, as datasketch requires).
_BANDS_PER_PASS = 2
#: Signatures are wrapped as LeanMinHash objects this many at a time.
_LSH_BATCH = 20_000


def _lsh_pairs(
    sigs: np.ndarray,
    keys: list[int],
    threshold: float,
    num_perm: int,
    seed: int,
    note: ProgressHook,
) -> tuple[set[tuple[int, int]], int, int]:
    """Candidate pairs ``(j, i)``, ``j < i``, sharing a bucket in some LSH band.

    datasketch chooses the bands and rows for ``threshold`` and indexes the
    signatures, but a few bands at a time: each pass is a ``MinHashLSH`` over
    a slice of the signatures (``params=(bands, rows)``), so the index holds
    one pass's buckets instead of all of them, and a pair is a candidate when
    it shares a bucket in any pass, as in one index of all the bands.  Each
    unit is queried before it is inserted, so each pair is found once.
    Returns the pairs, the number of bands and the rows per band.
    """
    probe = MinHashLSH(threshold=threshold, num_perm=num_perm)
    bands, rows = probe.b, probe.r
    del probe
    passes = [_BANDS_PER_PASS] * max(1, bands // _BANDS_PER_PASS)
    passes[-1] += bands - sum(passes)
    pairs: set[tuple[int, int]] = set()
    first = 0
    for n, width in enumerate(passes):
        lsh = MinHashLSH(num_perm=width * rows, params=(width, rows))
        part = sigs[:, first * rows : (first + width) * rows]
        first += width
        for b0 in range(0, len(keys), _LSH_BATCH):
            batch = keys[b0 : b0 + _LSH_BATCH]
            for i, mh in zip(
                batch, to_lean_minhashes(part[b0 : b0 + _LSH_BATCH], seed), strict=True
            ):
                for j in lsh.query(mh):
                    pairs.add((j, i))
                lsh.insert(i, mh, check_duplication=False)
            note("lsh", n * len(keys) + b0 + len(batch), len(passes) * len(keys))
        del lsh
    return pairs, bands, rows


def _common(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.intersect1d(a, b, assume_unique=True).size)


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    if not a.size or not b.size:
        return 0.0
    inter = _common(a, b)
    return inter / (a.size + b.size - inter)


def _overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Overlap coefficient: the share of the smaller set inside the larger one."""
    if not a.size or not b.size:
        return 0.0
    return _common(a, b) / min(a.size, b.size)


#: Query units are taken in chunks holding about this many shingles.
_QUERY_CHUNK = 1_000_000
#: Candidate pairs are expanded from the posting lists about this many at a time
#: (about 40 bytes each while they are counted; a run ends at a unit boundary).
_EXPAND_LIMIT = 8_000_000
#: Shingles looked up beyond the prefix that guarantees one hit (fewer hits are dropped).
_PREFIX_EXTRA = 2
#: Prefix shingles held by more units than this are assumed to hit, not looked up:
#: the expansion of such posting lists grows with the square of the corpus (1 GB: 1,481 s
#: of containment without this bound, against 22 s for 100 MB).
_FREQUENT = 200


def _candidate_pairs(
    sets: Ragged,
    rows: np.ndarray,
    sizes: np.ndarray,
    query: np.ndarray,
    threshold: float,
    extra: int = _PREFIX_EXTRA,
    frequent: int = _FREQUENT,
) -> np.ndarray:
    """Pairs ``(a, b)`` where ``b`` might hold ``threshold`` of ``a``'s shingles.

    Prefix filtering, all in NumPy: order every shingle by how many units hold
    it (rarest first).  If ``b`` holds at least ``threshold`` of ``a``'s ``m``
    shingles, it holds at least ``1 + extra`` of ``a``'s
    ``floor((1 - threshold) * m) + 1 + extra`` rarest ones, so only those need
    looking up, and pairs with fewer hits there are dropped; no pair above the
    threshold is missed.  ``sets[i]`` are unit ``i``'s sorted unique shingle
    hashes, ``rows[i]`` says whether unit ``i`` takes part at all, ``sizes[i]``
    is its length (``b`` must be at least as long as ``a``) and ``query[i]``
    whether ``a = i`` is looked for.  Returns an ``(n, 2)`` array sorted by
    ``a`` then ``b``.

    Memory: the posting lists take 8 bytes per (unit, shingle) entry, and
    16 while they are sorted; the queries go a chunk of units at a time.
    Prefix shingles held by more than ``frequent`` units are not expanded,
    which keeps the expansion from growing with the square of the corpus: for
    a pair the other prefix shingles found, they are looked up in the other
    unit's own set, and count when it holds them.  A pair is then missed only
    when every prefix shingle its two units share is that common.
    """
    taking_part = np.flatnonzero(rows)
    lengths = sets.lengths()
    # the posting lists: (shingle, unit) packed in one uint64, sorted in place
    total = int(lengths[taking_part].sum())
    if not total:
        return np.zeros((0, 2), dtype=np.int64)
    # Units are numbered by size, so that each posting list is sorted by size
    # and a query skips, in every list, the units shorter than itself.
    by_size = taking_part[np.lexsort((taking_part, sizes[taking_part]))]
    rank_of = np.zeros(len(lengths), dtype=np.uint64)
    rank_of[by_size] = np.arange(by_size.size, dtype=np.uint64)
    sorted_sizes = sizes[by_size]
    packed = np.empty(total, dtype=np.uint64)
    pos = 0
    for chunk in _chunks(taking_part, lengths, _QUERY_CHUNK):
        hashes, bounds = sets.gather(chunk)
        end = pos + hashes.size
        packed[pos:end] = hashes
        packed[pos:end] <<= np.uint64(32)
        packed[pos:end] |= np.repeat(rank_of[chunk], np.diff(bounds))
        pos = end
    del rank_of
    packed.sort()
    posting_rank = (packed & np.uint64(0xFFFFFFFF)).astype(np.int32)
    packed >>= np.uint64(32)
    new_group = np.empty(packed.size + 1, dtype=bool)
    new_group[0] = new_group[-1] = True
    np.not_equal(packed[1:], packed[:-1], out=new_group[1:-1])
    # shingle k is held by the units ranked posting_rank[starts[k]:starts[k + 1]]
    starts = np.flatnonzero(new_group).astype(np.int64)
    del new_group
    shingle = packed[starts[:-1]].astype(np.uint32)
    del packed
    df_of = np.diff(starts)

    prefix_len = np.floor((1.0 - threshold) * lengths + 1e-9).astype(np.int64) + 1 + extra
    # a unit whose prefix is all of it needs ceil(threshold * m) hits, at least 1
    need = np.maximum(1 + extra - np.maximum(prefix_len - lengths, 0), 1)
    found: list[np.ndarray] = []
    for chunk in _chunks(np.flatnonzero(rows & query), lengths, _QUERY_CHUNK):
        hashes, bounds = sets.gather(chunk)
        unit = np.repeat(chunk, np.diff(bounds))
        group = _lookup(shingle, hashes)
        df = df_of[group]
        # Shingles no other unit holds come first in every prefix and find
        # nothing: count them per unit, then rank the shared ones by (df, shingle)
        # (a unit's hashes are sorted already, so a stable sort keeps that order).
        shared = df > 1
        single = np.bincount(unit[~shared] - chunk[0], minlength=chunk[-1] - chunk[0] + 1)
        unit, group, df = unit[shared], group[shared], df[shared]
        order = np.argsort(unit << 32 | df, kind="stable")
        unit, group, df = unit[order], group[order], df[order]
        first = np.searchsorted(unit, unit, side="left")
        rank = np.arange(unit.size) - first
        keep = rank < prefix_len[unit] - single[unit - chunk[0]]
        unit, group, df = unit[keep], group[keep], df[keep]
        # A prefix shingle held by more than `frequent` units is not expanded:
        # it is looked up in the set of each candidate the other shingles find.
        common = df > frequent
        span = chunk[-1] - chunk[0] + 1
        assumed = np.bincount(unit[common] - chunk[0], minlength=span)
        common_unit, common_hash = unit[common], shingle[group[common]]
        unit, group, df = unit[~common], group[~common], df[~common]
        # Every posting of every prefix shingle, as (a, b) pairs with their hits,
        # for runs of units expanding to about _EXPAND_LIMIT pairs (all of a
        # unit's hits in one run): memory stays bounded at any corpus size.
        expansion = np.bincount(unit - chunk[0], weights=df, minlength=span)
        for run in _chunks(np.unique(unit) - chunk[0], expansion, _EXPAND_LIMIT):
            i0 = int(np.searchsorted(unit, run[0] + chunk[0], side="left"))
            i1 = int(np.searchsorted(unit, run[-1] + chunk[0], side="right"))
            ua, ga = unit[i0:i1], group[i0:i1]
            # in each list, from the first unit at least as long as a
            shortest = np.searchsorted(sorted_sizes, sizes[ua], side="left")
            lo = _lower_bound(posting_rank, starts[ga], starts[ga + 1], shortest)
            ranks, bounds = gather_spans(posting_rank, lo, starts[ga + 1])
            b = by_size[ranks]
            a = np.repeat(ua, np.diff(bounds))
            ok = a != b
            key, hits = np.unique(a[ok] << 32 | b[ok], return_counts=True)
            a = key >> 32
            sure = hits >= need[a]
            # short of hits but for the common prefix shingles: look those up in b's set
            maybe = ~sure & (hits + assumed[a - chunk[0]] >= need[a])
            if maybe.any():
                b = key[maybe] & 0xFFFFFFFF
                extra_hits = _held(sets, b, a[maybe], common_unit, common_hash)
                sure[maybe] = hits[maybe] + extra_hits >= need[a[maybe]]
            found.append(key[sure])
    key = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
    return np.stack([key >> 32, key & 0xFFFFFFFF], axis=1)


def _lower_bound(
    values: np.ndarray, lo: np.ndarray, hi: np.ndarray, target: np.ndarray
) -> np.ndarray:
    """For each ``i``: the first position in ``values[lo[i]:hi[i]]`` (sorted) not
    below ``target[i]``, or ``hi[i]`` — all the binary searches at once.

    >>> v = np.array([1, 3, 5, 2, 4])
    >>> _lower_bound(v, np.array([0, 0, 3]), np.array([3, 3, 5]), np.array([3, 9, 3])).tolist()
    [1, 3, 4]
    """
    left = np.asarray(lo, dtype=np.int64).copy()
    right = np.asarray(hi, dtype=np.int64).copy()
    while True:
        active = np.flatnonzero(left < right)
        if not active.size:
            return left
        mid = (left[active] + right[active]) // 2
        below = values[mid] < target[active]
        left[active[below]] = mid[below] + 1
        right[active[~below]] = mid[~below]


def _held(
    sets: Ragged, b: np.ndarray, a: np.ndarray, owner: np.ndarray, hashes: np.ndarray
) -> np.ndarray:
    """For each pair ``(a[i], b[i])``: how many of ``a[i]``'s ``hashes`` are in ``sets[b[i]]``.

    ``owner`` (sorted) says whose each of ``hashes`` is.  Each row of ``sets``
    is sorted, so all the lookups go as one vectorised binary search.

    >>> r = Ragged(np.uint32)
    >>> r.extend(np.array([1, 5, 9, 2, 5], dtype=np.uint32), [3, 2])
    >>> r.freeze()
    >>> _held(r, np.array([0, 1]), np.array([7, 7]), np.array([7, 7, 8]),
    ...       np.array([5, 9, 1], dtype=np.uint32)).tolist()
    [2, 1]
    """
    lo = np.searchsorted(owner, a, side="left")
    n = np.searchsorted(owner, a, side="right") - lo
    pair = np.repeat(np.arange(a.size), n)
    starts = np.repeat(lo - np.concatenate([[0], np.cumsum(n)[:-1]]), n)
    wanted = hashes[starts + np.arange(pair.size)]
    end = sets.at[b[pair] + 1]
    left = _lower_bound(sets.data, sets.at[b[pair]], end, wanted)
    inside = left < end
    hit = np.zeros(pair.size, dtype=bool)
    hit[inside] = sets.data[left[inside]] == wanted[inside]
    return np.bincount(pair, weights=hit, minlength=a.size).astype(np.int64)


def _lookup(sorted_keys: np.ndarray, needles: np.ndarray) -> np.ndarray:
    """``np.searchsorted(sorted_keys, needles)``, with the needles sorted first.

    Sorted needles search a large array in order, from where the previous one
    landed, instead of jumping about it: for 10 million needles into 30
    million keys, 1.9 s instead of 13.7 s on this machine.

    >>> _lookup(np.array([10, 20, 30]), np.array([30, 10, 20, 25]))
    array([2, 0, 1, 2])
    """
    order = np.argsort(needles, kind="stable")
    out = np.empty(needles.size, dtype=np.intp)
    out[order] = np.searchsorted(sorted_keys, needles[order])
    return out


def _chunks(units: np.ndarray, lengths: np.ndarray, size: int) -> list[np.ndarray]:
    """``units`` cut into runs whose ``lengths`` add up to about ``size`` each."""
    if not units.size:
        return []
    ends = np.cumsum(lengths[units])
    cuts = np.searchsorted(ends, np.arange(size, int(ends[-1]), size), side="left") + 1
    return [c for c in np.split(units, np.unique(cuts)) if c.size]


def _find_containment(
    items: list[_Item],
    arrays: _Arrays,
    uf: UnionFind,
    threshold: float,
    ratio: float,
    near_threshold: float,
    *,
    note: ProgressHook,
    verifier: Verifier | None = None,
) -> tuple[list[_Contained], int]:
    """Passages inside much longer units, and comparable units one inside the other.

    The second kind (a sentence added or deleted) is joined in ``uf`` directly
    when the near-duplicate shingles of the shorter unit lie ``near_threshold``
    inside the other's, or when ``verifier`` finds the shorter one in the other
    despite scattered wrong characters (OCR, retyping); their number is
    returned with the passages.
    """
    n = _CONTAINMENT_NGRAM
    # One unit stands for each group of exact and near copies found so far: its
    # copies would find the same passages, and copies of the longer unit are
    # already reported as copies of it.
    rep = np.fromiter((uf.find(i) == i for i in range(len(items))), dtype=bool, count=len(items))
    long_enough = np.fromiter(
        (it.n_tokens >= MIN_CONTAINMENT_TOKENS for it in items), dtype=bool, count=len(items)
    )
    sizes = arrays.cont_size
    candidates = _candidate_pairs(arrays.cont_set, rep, sizes, rep & long_enough, threshold)
    found: list[_Contained] = []
    overlaps = 0
    for k, (a, b) in enumerate(candidates.tolist()):
        if k % 1000 == 0:
            note("containment", k + 1, len(candidates))
        if uf.find(a) == uf.find(b):
            continue
        sh_a = arrays.cont_set[a]
        if _common(sh_a, arrays.cont_set[b]) < threshold * sh_a.size:
            continue
        len_a, len_b = sizes[a], sizes[b]
        if len_b < ratio * len_a:
            shared = _overlap(arrays.shingles[a], arrays.shingles[b]) >= near_threshold
            if shared or (verifier is not None and verifier.near(a, b)):
                uf.union(a, b)
                overlaps += 1
            continue
        # where in the outer unit: its content tokens again, from the cleaned text
        outer = items[b]
        content, toks = _content_tokens(outer.clean, outer.unit.clean_start, outer.unit.clean_end)
        hashes_b = ngram_hashes(toks.ids[content], n, whole=False)
        where = np.nonzero(np.isin(hashes_b, sh_a))[0]
        matched = list(zip(where.tolist(), hashes_b[where].tolist(), strict=True))
        t0, t1, found_here = _best_window(matched, int(1.5 * len_a) + n)
        score = found_here / sh_a.size
        if score >= threshold:
            last = content[min(t1 + n - 1, content.size - 1)]
            start, end = int(toks.start[content[t0]]), int(toks.end[last])
            found.append(_Contained(a, b, start, end, round(score, 4)))
        elif verifier is not None and verifier.near(a, b):  # not one stretch: sentences deleted
            uf.union(a, b)
            overlaps += 1
    return found, overlaps


def _best_window(matched: list[tuple[int, int]], width: int) -> tuple[int, int, int]:
    """The stretch of at most ``width`` positions holding the most distinct shingles.

    ``matched`` is ``(position, shingle)`` in order; returns the first and last
    matched position inside the best stretch and how many distinct shingles it
    holds.  This keeps a containing span tight even when common 3-grams of the
    contained unit also occur elsewhere in the longer one.
    """
    best = (matched[0][0], matched[0][0], 1)
    counts: Counter[int] = Counter()
    lo = 0
    for pos, h in matched:
        counts[h] += 1
        while pos - matched[lo][0] > width:
            old = matched[lo][1]
            counts[old] -= 1
            if not counts[old]:
                del counts[old]
            lo += 1
        if len(counts) > best[2]:
            best = (matched[lo][0], pos, len(counts))
    # the shortest stretch that still holds that many distinct shingles
    need = best[2]
    counts.clear()
    lo = 0
    for pos, h in matched:
        counts[h] += 1
        while len(counts) >= need:
            if pos - matched[lo][0] < best[1] - best[0]:
                best = (matched[lo][0], pos, need)
            old = matched[lo][1]
            counts[old] -= 1
            if not counts[old]:
                del counts[old]
            lo += 1
    return best


# -- clusters: links, kept copies, labels --------------------------------------------


class _Links(UnionFind):
    """The union-find of copies, which joins two units only when their numbers fit.

    Every ``union`` of a stage passes through :meth:`union`: two units whose
    numbers differ (the shorter one holds a number the longer one does not:
    ``2023`` against ``2024``, ``第七条`` against ``第十四条``) are not copies but
    a ``numbers`` pair, kept apart unless ``remove_numbers``.  The pairs that
    joined two groups are kept in ``edges``, so a report can say through which
    copy a member was linked.
    """

    def __init__(self, items: list[_Item], remove_numbers: bool) -> None:
        super().__init__(len(items))
        self.items = items
        self.remove_numbers = remove_numbers
        self.edges: list[tuple[int, int]] = []
        self.numbers: list[tuple[int, int]] = []
        self._numbers: dict[int, Counter[str]] = {}

    def numbers_of(self, i: int) -> Counter[str]:
        """The numbers of unit ``i`` (:func:`~textwash.dedup.keys.numbers_in`)."""
        found = self._numbers.get(i)
        if found is None:
            it = self.items[i]
            u = it.unit
            found = self._numbers[i] = Counter(numbers_in(it.clean[u.clean_start : u.clean_end]))
        return found

    def fit(self, a: int, b: int) -> bool:
        """Whether every number of the shorter unit occurs (as often) in the longer one."""
        if self.items[a].key == self.items[b].key:
            return True
        na, nb = self.numbers_of(a), self.numbers_of(b)
        if self.items[a].n_tokens > self.items[b].n_tokens:
            na, nb = nb, na
        return all(nb[k] >= n for k, n in na.items())

    def union(self, a: int, b: int) -> None:
        """Join ``a`` and ``b`` if they are copies; note a ``numbers`` pair if not."""
        if self.find(a) == self.find(b):
            return
        if not self.fit(a, b):
            self.numbers.append((a, b))
            if not self.remove_numbers:
                return
        self.edges.append((a, b))
        super().union(a, b)


def _numbers_of_span(it: _Item, start: int, end: int) -> Counter[str]:
    return Counter(numbers_in(it.clean[start:end]))


def _split_numbers(links: _Links, contained: list[_Contained]) -> list[_Contained]:
    """Passages whose numbers are not all in the longer paragraph's span become
    ``numbers`` pairs (joined, with ``remove_numbers``); the rest are returned."""
    kept: list[_Contained] = []
    for c in contained:
        inner = links.numbers_of(c.inner)
        if not inner:
            kept.append(c)
            continue
        span = _numbers_of_span(links.items[c.outer], c.start, c.end)
        if all(span[k] >= n for k, n in inner.items()):
            kept.append(c)
        else:
            links.numbers.append((c.inner, c.outer))
            if links.remove_numbers:
                links.edges.append((c.inner, c.outer))
                UnionFind.union(links, c.inner, c.outer)
    return kept


@dataclass(frozen=True, slots=True)
class _Ref:
    """Where a member's text is: ``[start, end)`` of item ``item``'s cleaned document.

    ``whole``: the whole unit (else a passage inside it).
    """

    item: int
    start: int
    end: int
    whole: bool


def _unit_ref(items: list[_Item], i: int) -> _Ref:
    u = items[i].unit
    return _Ref(i, u.clean_start, u.clean_end, True)


def _member(it: _Item, similarity: float, measure: str, kept: bool = False) -> Member:
    u = it.unit
    return Member(
        doc_id=u.doc_id,
        unit=u.index,
        start=u.start,
        end=u.end,
        line=u.line,
        end_line=u.end_line,
        text=it.doc.text[u.start : u.end],
        similarity=round(similarity, 4),
        measure=measure,
        kept=kept,
        source=u.source,
        section=u.section,
        title=u.title,
        link="kept" if kept else "",
        defects=it.defects,
    )


def _contained_member(items: list[_Item], c: _Contained) -> Member:
    outer = items[c.outer]
    u = outer.unit
    start, end = outer.offsets.to_source(c.start, c.end)
    member = _member(outer, c.score, "containment")
    text = outer.doc.text
    line = u.line + text.count("\n", u.start, start)
    end_line = line + text.count("\n", start, max(start, end - 1))
    return replace(
        member,
        start=start,
        end=end,
        line=line,
        end_line=end_line,
        text=text[start:end],
        link="containment",
        outer_start=u.start,
        outer_end=u.end,
        defects=int(_count_in(outer.marks, [start], [end])[0]),
    )


#: A passage inside a longer paragraph is cut (or kept in place of the
#: standalone copy) only when it is whole sentences of that paragraph holding
#: at least this many content characters (not function characters): a heading,
#: caption or stock phrase repeated inside a sentence is reported, never cut.
PASSAGE_TOKENS = 15
#: The share of a sentence's folded characters (function characters left out)
#: that an alignment must find in the kept copy for the sentence to be held
#: there: a sentence with one or two wrong characters in 30 is, a sentence with
#: other words is not.
HELD_SIMILARITY = 0.85
#: Sentences shorter than this (folded characters) are held only word for word.
_MIN_ALIGNED = 10


def _char(token: int) -> str:
    """One character for a token id: Han as itself, a word or number as a private-use one."""
    return chr(token) if token < 0x110000 else chr(0xF0000 + token % 0xFFFE)


def _chars(ids: np.ndarray) -> str:
    """:func:`_char` of every id, at once.

    >>> _chars(token_array("公安 ok").ids) == "公安" + _char(token_array("ok").ids[0])
    True
    """
    codes = np.where(ids < 0x110000, ids, np.uint32(0xF0000) + ids % np.uint32(0xFFFE))
    return codes.astype("<u4").tobytes().decode("utf-32-le")


class _Region:
    """``clean[start:end]`` as sentences of folded characters, for alignments.

    ``chars`` holds one character per content token (function characters,
    punctuation and spaces left out), ``tok_start``/``tok_end`` their spans in
    ``clean``, and ``sentences`` every sentence of every line as
    ``(start, end, first, stop)``: its span in ``clean`` and its range in ``chars``.
    """

    __slots__ = ("chars", "clean", "end", "sentences", "start", "tok_end", "tok_start")

    def __init__(self, clean: str, start: int, end: int) -> None:
        self.clean, self.start, self.end = clean, start, end
        content, toks = _content_tokens(clean, start, end)
        self.chars = _chars(toks.ids[content])
        self.tok_start = toks.start[content]
        self.tok_end = toks.end[content]
        spans: list[tuple[int, int]] = []
        pos = start
        for line in clean[start:end].split("\n"):
            spans.extend((pos + a, pos + b) for a, b in split_sentences(line))
            pos += len(line) + 1
        first = np.searchsorted(self.tok_start, [s for s, _ in spans]).tolist()
        stop = np.searchsorted(self.tok_start, [e for _, e in spans]).tolist()
        self.sentences = [(s, e, f, t) for (s, e), f, t in zip(spans, first, stop, strict=True)]

    def span(self, first: int, stop: int) -> tuple[int, int]:
        """The span in ``clean`` of ``chars[first:stop]`` (``stop > first``)."""
        return int(self.tok_start[first]), int(self.tok_end[stop - 1])

    def hold(self, chars: str, numbers: Counter[str]) -> tuple[int, int] | None:
        """Where this region holds a sentence (its folded ``chars`` and ``numbers``),
        as a span of ``clean``, or ``None``.

        Word for word, or (sentences of :data:`_MIN_ALIGNED` characters or more)
        where an alignment (``rapidfuzz``) finds :data:`HELD_SIMILARITY` of its
        characters in order, and with the same numbers.
        """
        if not chars or not self.chars:
            return None
        at = self.chars.find(chars)
        if at >= 0:
            first, stop = at, at + len(chars)
        elif len(chars) < _MIN_ALIGNED:
            return None
        elif len(chars) >= len(self.chars):
            if LCSseq.similarity(chars, self.chars) < HELD_SIMILARITY * len(chars):
                return None
            first, stop = 0, len(self.chars)
        else:
            found = fuzz.partial_ratio_alignment(
                chars, self.chars, score_cutoff=100 * HELD_SIMILARITY
            )
            if found is None or found.dest_end <= found.dest_start:
                return None
            first, stop = found.dest_start, found.dest_end
            # the share of the sentence's own characters found there, in order
            if LCSseq.similarity(chars, self.chars[first:stop]) < HELD_SIMILARITY * len(chars):
                return None
        start, end = self.span(first, stop)
        if Counter(numbers_in(self.clean[start:end])) != numbers:
            return None
        return start, end


class _Regions:
    """:class:`_Region` objects of items' units and of passages, made once each."""

    def __init__(self, items: list[_Item]) -> None:
        self.items = items
        self._made: dict[tuple[int, int, int], _Region] = {}

    def of(self, item: int, start: int, end: int) -> _Region:
        key = (item, start, end)
        region = self._made.get(key)
        if region is None:
            region = self._made[key] = _Region(self.items[item].clean, start, end)
        return region

    def unit(self, item: int) -> _Region:
        u = self.items[item].unit
        return self.of(item, u.clean_start, u.clean_end)


def _differences(regions: _Regions, a: _Ref, b: _Ref) -> tuple[str, str]:
    """The sentences of ``b`` that ``a`` does not hold, and those of ``a`` that ``b``
    does not hold (cleaned text), as a report names them."""
    ra, rb = regions.of(a.item, a.start, a.end), regions.of(b.item, b.start, b.end)

    def unheld(src: _Region, dst: _Region) -> str:
        out = []
        for s, e, f, t in src.sentences:
            chars = src.chars[f:t]
            if chars and dst.hold(chars, Counter(numbers_in(src.clean[s:e]))) is None:
                out.append(src.clean[s:e].strip())
        return "".join(out)

    return unheld(rb, ra), unheld(ra, rb)


def _passage(region: _Region, start: int, end: int) -> tuple[int, int] | None:
    """The whole sentences of ``region`` that ``[start, end)`` stands for, as a span,
    when they hold at least :data:`PASSAGE_TOKENS` content characters and cover
    the span; ``None`` for a phrase inside a sentence."""
    inside = [
        (s, e, f, t)
        for s, e, f, t in region.sentences
        if t > f and _overlap_len(s, e, start, end) * 2 >= e - s
    ]
    if not inside:
        return None
    size = sum(t - f for _, _, f, t in inside)
    span_size = int(
        np.searchsorted(region.tok_start, end) - np.searchsorted(region.tok_start, start)
    )
    if size < PASSAGE_TOKENS or size < 0.8 * span_size:
        return None
    return inside[0][0], inside[-1][1]


def _overlap_len(s: int, e: int, start: int, end: int) -> int:
    return max(0, min(e, end) - max(s, start))


def _numbers_text(a: Counter[str], b: Counter[str]) -> str:
    return " ".join(sorted((a - b).elements()))


def _build_clusters(
    items: list[_Item],
    arrays: _Arrays,
    links: _Links,
    contained: list[_Contained],
    keep: str,
    threshold: float,
) -> list[tuple[Cluster, tuple[_Ref, ...]]]:
    """The clusters, each with where its members' texts are (for :func:`deduplicate`)."""
    doc_order = {it.unit.doc_id: it.order for it in items}
    groups = [g for g in links.groups() if len(g) > 1]
    group_of = {i: gi for gi, g in enumerate(groups) for i in g}
    extra: dict[int, list[_Contained]] = {}
    for c in contained:
        gi = group_of.get(c.inner)
        if gi is None:
            gi = len(groups)
            groups.append([c.inner])
            group_of[c.inner] = gi
        extra.setdefault(gi, []).append(c)
    neighbours: dict[int, list[int]] = {}
    for a, b in links.edges:
        neighbours.setdefault(a, []).append(b)
        neighbours.setdefault(b, []).append(a)
    numbers_pairs = {frozenset(p) for p in links.numbers}
    regions = _Regions(items)

    def position(m: Member) -> tuple[int, int]:
        return (doc_order[m.doc_id], m.start)

    def label(i: int, k: int) -> tuple[str, str, float, str, str]:
        """Why unit ``i`` is a copy of unit ``k``: link, measure, similarity, added, missing."""
        a, b = items[i], items[k]
        if a.key == b.key:
            return "exact", "exact", 1.0, "", ""
        link = "numbers" if frozenset((i, k)) in numbers_pairs or not links.fit(i, k) else "near"
        added = missing = ""
        if link == "numbers":
            na, nb = links.numbers_of(i), links.numbers_of(k)
            added, missing = _numbers_text(na, nb), _numbers_text(nb, na)
            if a.shape == b.shape:
                return link, "shape", 1.0, added, missing
        sa, sb = arrays.shingles[i], arrays.shingles[k]
        jac = _jaccard(sa, sb)
        if jac >= threshold:
            return link, "jaccard", jac, added, missing
        ov = _overlap(sa, sb)
        if link == "near":
            added, missing = _differences(regions, _unit_ref(items, k), _unit_ref(items, i))
        if ov >= threshold:
            return link, "overlap", ov, added, missing
        short, long = sorted((regions.unit(i).chars, regions.unit(k).chars), key=len)
        share = LCSseq.similarity(short, long) / len(short) if short else 0.0
        return link, "alignment", share, added, missing

    def rank(i: int) -> tuple[int, ...]:
        """The keep policy's order: the copy to keep is the smallest."""
        it = items[i]
        if keep == "first":
            return (it.order, it.unit.start)
        if keep == "longest":
            return (-it.n_tokens, it.order, it.unit.start)
        return (it.defects, -it.n_tokens, 1, it.order, it.unit.start)

    built: list[tuple[tuple[int, tuple[int, int]], Cluster, tuple[_Ref, ...]]] = []
    for gi, group in enumerate(groups):
        ordered = sorted(group, key=lambda i: items[i].sort_key)
        members: list[Member] = []
        refs: list[_Ref] = []
        spans: list[tuple[_Contained, Member]] = []
        for c in sorted(extra.get(gi, []), key=lambda c: (-c.score, c.outer, c.start)):
            m = _contained_member(items, c)
            if any(o.doc_id == m.doc_id and o.start < m.end and m.start < o.end for _, o in spans):
                continue  # the same passage found for another copy of this cluster
            spans.append((c, m))
        passages = []
        if keep == "best":
            for c, m in spans:
                whole = _passage(regions.unit(c.outer), c.start, c.end)
                if whole is not None:
                    n = len(token_array(items[c.outer].clean[whole[0] : whole[1]]))
                    passages.append((c, m, whole, n))
        kept_i = min(ordered, key=rank)
        kept_span: tuple[_Contained, Member, tuple[int, int]] | None = None
        # a passage of whole sentences inside a longer paragraph, as good as the
        # best standalone copy, is kept in place: the standalone copy goes
        best = rank(kept_i)
        for c, m, whole, n in passages:
            r = (m.defects, -n, 0, doc_order[m.doc_id], m.start)
            if r < best:
                best, kept_span = r, (c, m, whole)
        if kept_span is None:
            members.append(_member(items[kept_i], 1.0, "exact", kept=True))
            refs.append(_unit_ref(items, kept_i))
        else:
            c, m, (ws, we) = kept_span
            members.append(replace(m, similarity=1.0, measure="exact", kept=True, link="kept"))
            refs.append(_Ref(c.outer, ws, we, False))
        # the copies, each labelled against the kept copy or the copy it was linked through
        parent: dict[int, int] = {}
        if kept_span is None:
            parent[kept_i] = kept_i
            queue = [kept_i]
            for i in queue:
                for j in neighbours.get(i, ()):
                    if j not in parent:
                        parent[j] = i
                        queue.append(j)
        rest: list[tuple[Member, _Ref, int | None]] = []
        for i in ordered:
            if kept_span is None and i == kept_i:
                continue
            it = items[i]
            if kept_span is not None:
                c = kept_span[0]
                sa = arrays.cont_set[i]
                share = _common(sa, arrays.cont_set[c.outer]) / sa.size if sa.size else 0.0
                m = replace(_member(it, share, "containment"), link="containment")
                rest.append((m, _unit_ref(items, i), None))
                continue
            link, measure, sim, added, missing = label(i, kept_i)
            via = None
            # linked through another copy: compared with that one (numbers copies are
            # in a copy cluster only with remove_numbers; here one joined through a copy)
            indirect = measure == "alignment" or (link == "numbers" and not links.remove_numbers)
            if indirect and parent.get(i, kept_i) != kept_i:
                via = parent[i]
                link, measure, sim, added, missing = label(i, via)
            if link == "numbers" and not links.remove_numbers:
                link = "near"  # its numbers fit the copy it was joined with
            m = replace(_member(it, sim, measure), link=link, added=added, missing=missing)
            rest.append((m, _unit_ref(items, i), via))
        for c, m in spans:
            if kept_span is not None and (
                c is kept_span[0]
                or (c.outer == kept_span[0].outer and _overlap_len(c.start, c.end, *kept_span[2]))
            ):
                continue  # the kept passage itself
            via = c.inner if kept_span is None and c.inner != kept_i else None
            rest.append((m, _Ref(c.outer, c.start, c.end, False), via))
        rest.sort(key=lambda r: position(r[0]))
        index_of = {ref.item: n for n, (_, ref, _) in enumerate(rest, 1) if ref.whole}
        for m, ref, via in rest:
            if via is not None and via in index_of:
                m = replace(m, via=index_of[via])
            members.append(m)
            refs.append(ref)
        links_found = {m.link for m in members[1:]}
        kind = (
            "containment"
            if kept_span is not None or "containment" in links_found
            else "numbers"
            if "numbers" in links_found
            else "near"
            if "near" in links_found
            else "exact"
        )
        cluster = Cluster("", kind, tuple(members))
        built.append(((-len(members), position(members[0])), cluster, tuple(refs)))
    if links.numbers and not links.remove_numbers:
        built.extend(_numbers_clusters(items, links, group_of, rank, label, position))
    built.sort(key=lambda b: b[0])
    width = max(4, len(str(len(built))))
    return [(replace(c, id=f"c{n:0{width}d}"), refs) for n, (_, c, refs) in enumerate(built, 1)]


def _numbers_clusters(
    items: list[_Item],
    links: _Links,
    group_of: dict[int, int],
    rank: Callable[[int], tuple[int, ...]],
    label: Callable[[int, int], tuple[str, str, float, str, str]],
    position: Callable[[Member], tuple[int, int]],
) -> list[tuple[tuple[int, tuple[int, int]], Cluster, tuple[_Ref, ...]]]:
    """Clusters of ``numbers`` copies (kept by default): one member for each group of
    copies the ``numbers`` pairs touch, every member kept.

    A member is compared with the reference copy (``members[0]``) when the two
    make a pair, else with the member it pairs with (``via``).
    """

    def group(i: int) -> int:
        return group_of.get(i, -1 - i)

    unit_of: dict[int, int] = {}  # group -> the unit that stands for it
    pairs: dict[int, set[int]] = {}
    for a, b in links.numbers:
        for i in (a, b):
            g = group(i)
            if g not in unit_of or items[i].sort_key < items[unit_of[g]].sort_key:
                unit_of[g] = i
        ga, gb = group(a), group(b)
        if ga != gb:
            pairs.setdefault(ga, set()).add(gb)
            pairs.setdefault(gb, set()).add(ga)
    out = []
    seen: set[int] = set()
    for start in sorted(pairs, key=lambda g: items[unit_of[g]].sort_key):
        if start in seen:
            continue
        component = [start]
        seen.add(start)
        for g in component:
            for h in sorted(pairs[g]):
                if h not in seen:
                    seen.add(h)
                    component.append(h)
        ref_g = min(component, key=lambda g: rank(unit_of[g]))
        parent = {ref_g: ref_g}
        queue = [ref_g]
        for g in queue:
            for h in sorted(pairs[g]):
                if h not in parent:
                    parent[h] = g
                    queue.append(h)
        ref_i = unit_of[ref_g]
        members = [_member(items[ref_i], 1.0, "exact", kept=True)]
        refs = [_unit_ref(items, ref_i)]
        rest = []
        for g in component:
            if g == ref_g:
                continue
            i, other = unit_of[g], unit_of[parent[g]]
            _, measure, sim, added, missing = label(i, other)
            if measure != "shape":
                na, nb = links.numbers_of(i), links.numbers_of(other)
                added, missing = _numbers_text(na, nb), _numbers_text(nb, na)
            m = replace(
                _member(items[i], sim, measure, kept=True),
                link="numbers",
                added=added,
                missing=missing,
            )
            rest.append((m, i, other if other != ref_i else None))
        rest.sort(key=lambda r: position(r[0]))
        index_of = {i: n for n, (_, i, _) in enumerate(rest, 1)}
        for m, i, via in rest:
            members.append(m if via is None else replace(m, via=index_of[via]))
            refs.append(_unit_ref(items, i))
        cluster = Cluster("", "numbers", tuple(members))
        out.append(((-len(members), position(members[0])), cluster, tuple(refs)))
    return out


def _restore(parts: Parts, clusters: list[Cluster]) -> list[Cluster]:
    """:meth:`Parts.restore`, with the containing paragraph's span moved along."""
    out = []
    for before, after in zip(clusters, parts.restore(clusters), strict=True):
        members = []
        for m0, m in zip(before.members, after.members, strict=True):
            if m.outer_start is not None and m.outer_end is not None:
                shift = m.start - m0.start
                m = replace(m, outer_start=m.outer_start + shift, outer_end=m.outer_end + shift)
            members.append(m)
        out.append(replace(after, members=tuple(members)))
    return out


def _quote(
    clusters: list[Cluster],
    documents: list[Document],
    lengths: dict[int, int],
    load_text: Callable[[Document], str],
) -> list[Cluster]:
    """Fill in the members' text and lines from documents fetched again, one at a time."""
    order_of = {d.doc_id: k for k, d in enumerate(documents)}
    wanted = sorted(
        (order_of[m.doc_id], ci, mi)
        for ci, c in enumerate(clusters)
        for mi, m in enumerate(c.members)
    )
    members = [list(c.members) for c in clusters]
    current, text, starts = -1, "", [0]
    for order, ci, mi in wanted:
        if order != current:
            doc = documents[order]
            text = load_text(doc)
            if len(text) != lengths[order]:
                raise ValueError(
                    f"{doc.doc_id}: its text changed while duplicates were looked for "
                    f"({lengths[order]} characters read, {len(text)} now)"
                )
            starts, current = line_starts(text), order
        m = members[ci][mi]
        members[ci][mi] = replace(
            m,
            text=text[m.start : m.end],
            line=line_of(starts, m.start),
            end_line=line_of(starts, max(m.start, m.end - 1)),
        )
    return [replace(c, members=tuple(ms)) for c, ms in zip(clusters, members, strict=True)]


# -- deduplicate -----------------------------------------------------------------------


@dataclass(frozen=True)
class Removal:
    """A passage :func:`deduplicate` cut, and the kept text that holds it.

    ``start``/``end``/``line``/``text``: what was cut, in the document as it was
    given.  ``kept_doc_id``, ``kept_start``/``kept_end`` (``kept_line``): the
    text left in the output that holds the same sentences (the same words once
    script, width, spaces, punctuation and function characters are folded, or
    an alignment finding :data:`HELD_SIMILARITY` of each sentence with the
    same numbers).  ``kind`` is the member's ``link`` in its cluster
    (``exact``, ``near``, ``containment``, or ``numbers`` when numbers copies
    are removed: then, and only then, the kept text has other numbers).
    ``round`` is 1 unless the output of the first round still held copies (a
    sentence left by a partial cut repeating elsewhere), which later rounds cut;
    their ``cluster`` ids are those of that round's report.
    """

    doc_id: str
    start: int
    end: int
    line: int
    text: str
    cluster: str
    kept_doc_id: str
    kept_line: int
    kind: str = "exact"
    kept_start: int = 0
    kept_end: int = 0
    round: int = 1


@dataclass
class DedupResult:
    """Documents with copies removed, the record of every removal, and the report.

    ``report`` is the report of the first round; ``rounds`` says how many
    rounds of finding and cutting it took until the output held no more copies
    to cut (see :func:`deduplicate`).
    """

    documents: list[Document]
    removed: list[Removal]
    report: DuplicateReport
    rounds: int = 1


#: At most this many rounds of finding and cutting (each round's output is the
#: next one's input; usually the second finds nothing).
MAX_ROUNDS = 8


def deduplicate(docs: Iterable[DocLike], **options: Any) -> DedupResult:
    """Cut every copy down to what the kept copy does not hold; record every cut.

    Takes the same options as :func:`find_duplicates`.  Nothing that exists only
    in one place is removed: a copy is cut only where the kept copy holds the
    same text (a whole unit whose every sentence the kept copy holds, or runs of
    whole sentences of it, each at least :data:`PASSAGE_TOKENS` content
    characters long); a sentence the kept copy lacks stays where it was.  A
    removed paragraph takes its line break with it.  ``numbers`` copies (the
    same wording, other numbers) are kept unless ``remove_numbers=True``.
    ``result.removed`` lists every cut with its cluster and the kept text
    that holds it.

    Cutting can leave text that is itself a copy of something else (a sentence
    left over from one paragraph that another one repeats), so the output is
    searched again, and cut again, until a round finds nothing to cut: the
    result deduplicated again is the result.

    >>> a = "公安机关的群众工作是党的群众工作的重要方面，也是公安工作的光荣传统。"
    >>> u = "此外，一些地方还探索建立了积分落户制度，为外来务工人员提供了新的途径。"
    >>> out = deduplicate([a, "前言。\\n\\n" + a + u])  # keeps the copy holding more
    >>> [d.text for d in out.documents] == ["", "前言。\\n\\n" + a + u]
    True
    >>> out = deduplicate([a, "前言。\\n\\n" + a + u], keep="first")
    >>> [d.text for d in out.documents] == [a, "前言。\\n\\n" + u]
    True
    >>> [(r.doc_id, r.line, r.text == a, r.kind, r.kept_doc_id, r.kept_start) for r in out.removed]
    [('1', 3, True, 'containment', '0', 0)]
    """
    documents = as_documents(docs)
    remove_numbers = bool(options.get("remove_numbers", False))
    current = documents
    pieces = [[(0, len(d.text))] for d in documents]  # each text as pieces of the original
    removed: list[Removal] = []
    first: DuplicateReport | None = None
    rounds = 0
    user_on_error = options.get("on_error")
    if user_on_error is not None:
        # every round cleans the documents again: report a failing one once
        reported: set[str] = set()

        def once(failure: DocumentFailure) -> None:
            if failure.doc_id not in reported:
                reported.add(failure.doc_id)
                user_on_error(failure)

        options = {**options, "on_error": once}
    for rounds in range(1, MAX_ROUNDS + 1):
        found = _Found()
        report = find_duplicates(current, _found=found, **options)
        if first is None:
            first = report
        cuts = _resolve(_plan(found, remove_numbers))
        if not cuts:
            break
        current, pieces = _apply(current, pieces, documents, cuts, removed, rounds)
    assert first is not None
    out = [replace(d, text=c.text) for d, c in zip(documents, current, strict=True)]
    return DedupResult(out, removed, first, rounds)


@dataclass
class _Found:
    """What :func:`deduplicate` needs of a :func:`find_duplicates` run besides its report."""

    items: list[_Item] = field(default_factory=list)
    clusters: list[tuple[Cluster, tuple[_Ref, ...]]] = field(default_factory=list)
    parts: Parts | None = None
    whole: list[int] = field(default_factory=list)  # input document of each (part) document
    keep: str = "best"


@dataclass(frozen=True, slots=True)
class _Cut:
    """A span to cut from document ``doc`` (a position in the input list) and the kept
    span that holds its text, in the texts of this round."""

    rank: int
    doc: int
    start: int
    end: int
    whole: bool  # a whole unit: takes its line break along
    cluster: str
    kind: str
    kept_doc: int
    kept_start: int
    kept_end: int


#: A copy's sentences are looked for in the kept copy and in at most this many
#: other copies of its cluster that stay (in part or whole) in the output.
MAX_HOLDERS = 16


def _plan(found: _Found, remove_numbers: bool) -> list[_Cut]:
    """Every cut the clusters call for: what of each copy a kept text holds.

    The copies of a cluster are taken best first (the keep policy's order).
    Each sentence of a copy is looked for in the kept copy, then in the copies
    taken before it that stay in the output, in part or whole (a cluster can
    join copies of different passages through a longer text that holds them
    all); whatever no kept text holds stays.
    """
    items = found.items
    regions = _Regions(items)
    parts = found.parts
    cuts: list[_Cut] = []

    def locate(item: int, start: int, end: int) -> tuple[int, int, int]:
        """The raw span of a cleaned span of ``item``, in its whole input document."""
        it = items[item]
        rs, re_ = it.offsets.to_source(start, end)
        part = parts._parts.get(it.unit.doc_id) if parts is not None else None
        at = part.start if part is not None else 0
        return found.whole[it.order], rs + at, re_ + at

    def order(k: int, m: Member, ref: _Ref) -> tuple[int, int, int]:
        size = items[ref.item].n_tokens if ref.whole else ref.end - ref.start
        return (m.defects, -size, k) if found.keep == "best" else (0, 0, k)

    for rank, (cluster, refs) in enumerate(found.clusters):
        if all(m.kept for m in cluster.members):
            continue
        kept = refs[0]
        holders = [(kept, regions.of(kept.item, kept.start, kept.end))]
        todo = sorted(range(1, len(refs)), key=lambda k: order(k, cluster.members[k], refs[k]))
        for k in todo:
            m, ref = cluster.members[k], refs[k]
            if m.kept:
                continue
            u = items[ref.item].unit
            spans: list[tuple[int, int, bool, int, list[tuple[int, int]]]] = []
            if (
                ref.whole
                and m.via is None
                and (m.link == "exact" or (m.link == "numbers" and remove_numbers))
            ):
                spans.append((u.clean_start, u.clean_end, True, 0, [(kept.start, kept.end)]))
            else:
                region = regions.unit(ref.item)
                spans = _sentence_cuts(holders, region, ref, u.kind == "block")
                whole_cut = any(whole for _, _, whole, _, _ in spans)
                if not whole_cut and len(holders) <= MAX_HOLDERS:
                    holders.append((ref, regions.of(ref.item, ref.start, ref.end)))
            for start, end, whole, h, held in spans:
                doc, cs, ce = locate(ref.item, start, end)
                ks, ke = min(a for a, _ in held), max(b for _, b in held)
                kept_doc, ks, ke = locate(holders[h][0].item, ks, ke)
                cuts.append(_Cut(rank, doc, cs, ce, whole, cluster.id, m.link, kept_doc, ks, ke))
    return cuts


#: :func:`_hold` of a sentence with no words (punctuation only): it goes with its neighbours.
_PUNCTUATION = (-1, -1, -1)

_Held = tuple[int, int, int]  # (holder, start, end) in the holder's cleaned document


def _sentence_cuts(
    holders: list[tuple[_Ref, _Region]], region: _Region, ref: _Ref, block: bool
) -> list[tuple[int, int, bool, int, list[tuple[int, int]]]]:
    """What of ``ref`` (a unit, or a passage of one) the ``holders`` hold, as cuts of
    whole sentences: ``(start, end, whole unit, holder, held spans)`` in cleaned
    coordinates.

    The whole unit when one holder holds every sentence of it; else each run of
    sentences one holder holds with :data:`PASSAGE_TOKENS` content characters
    or more (a table or list, ``block``, only whole).
    """
    sentences = [
        s for s in region.sentences if ref.whole or _overlap_len(s[0], s[1], ref.start, ref.end)
    ]
    held: list[_Held | None] = []
    for sentence in sentences:
        found = None
        for h, (href, holder) in enumerate(holders):
            if href.item == ref.item and _overlap_len(
                sentence[0], sentence[1], holder.start, holder.end
            ):
                continue  # a text does not hold itself
            found = _hold(holder, region, sentence)
            if found is not None:
                found = found if found == _PUNCTUATION else (h, found[1], found[2])
                break
        held.append(found)
    words = [x for x in held if x is not None and x != _PUNCTUATION]
    if not words:
        return []
    every = ref.whole and len(words) == len(held) - held.count(_PUNCTUATION)
    if every and len({x[0] for x in words}) == 1:
        return [(region.start, region.end, True, words[0][0], [(s, e) for _, s, e in words])]
    if block:
        return []
    out = []
    runs = _runs(held)
    for n, run in enumerate(runs):
        if every or sum(sentences[k][3] - sentences[k][2] for k in run) >= PASSAGE_TOKENS:
            spans = [x for k in run if (x := held[k]) is not None and x != _PUNCTUATION]
            start, end = sentences[run[0]][0], sentences[run[-1]][1]
            if every:  # held whole, by several holders: the pieces cover the unit
                start = region.start if n == 0 else start
                end = region.end if n == len(runs) - 1 else sentences[runs[n + 1][0]][0]
            last = every and n == len(runs) - 1
            out.append((start, end, last, spans[0][0], [(s, e) for _, s, e in spans]))
    return out


def _hold(holder: _Region, region: _Region, sentence: tuple[int, int, int, int]) -> _Held | None:
    """Where ``holder`` holds a sentence of ``region`` (``(0, start, end)``),
    :data:`_PUNCTUATION` for a sentence with no words, or ``None``."""
    s, e, f, t = sentence
    chars = region.chars[f:t]
    if not chars:
        return _PUNCTUATION
    span = holder.hold(chars, Counter(numbers_in(region.clean[s:e])))
    return None if span is None else (0, span[0], span[1])


def _runs(held: list[_Held | None]) -> list[list[int]]:
    """Runs of consecutive sentences held by one holder, without punctuation-only
    ones at their ends.

    >>> P = _PUNCTUATION
    >>> _runs([(0, 0, 1), P, None, P, (0, 2, 3), (0, 4, 5), (1, 0, 2), P])
    [[0], [4, 5], [6]]
    """
    out: list[list[int]] = []
    run: list[int] = []
    holder = -1
    for k in range(len(held) + 1):
        x = held[k] if k < len(held) else None
        if x is not None and (x == _PUNCTUATION or holder in (-1, x[0])):
            run.append(k)
            if x != _PUNCTUATION:
                holder = x[0]
            continue
        while run and held[run[0]] == _PUNCTUATION:
            run.pop(0)
        while run and held[run[-1]] == _PUNCTUATION:
            run.pop()
        if run:
            out.append(run)
        run, holder = [], -1
        if x is not None:  # held by another holder: starts the next run
            run, holder = [k], x[0]
    return out


def _resolve(cuts: list[_Cut]) -> list[_Cut]:
    """The cuts that can all be made: none cuts text that holds another's.

    Nearly every kept span is a kept copy that nothing cuts; the few cuts whose
    kept span another cut touches are taken in cluster order, each only if its
    kept span is not cut and it cuts no kept span already relied on.
    """
    by_doc: dict[int, list[tuple[int, int]]] = {}
    for c in cuts:
        by_doc.setdefault(c.doc, []).append((c.start, c.end))
    merged = {d: _merge(spans) for d, spans in by_doc.items()}
    safe: list[_Cut] = []
    doubtful: list[_Cut] = []
    for c in cuts:
        if _touches(merged.get(c.kept_doc, []), c.kept_start, c.kept_end):
            doubtful.append(c)
        else:
            safe.append(c)
    if not doubtful:
        return cuts
    made: dict[int, list[tuple[int, int]]] = {}
    relied: dict[int, list[tuple[int, int]]] = {}
    for c in safe:
        made.setdefault(c.doc, []).append((c.start, c.end))
        relied.setdefault(c.kept_doc, []).append((c.kept_start, c.kept_end))
    for c in sorted(doubtful, key=lambda c: c.rank):
        if any(_overlap_len(s, e, c.kept_start, c.kept_end) for s, e in made.get(c.kept_doc, [])):
            continue
        if any(_overlap_len(s, e, c.start, c.end) for s, e in relied.get(c.doc, [])):
            continue
        safe.append(c)
        made.setdefault(c.doc, []).append((c.start, c.end))
        relied.setdefault(c.kept_doc, []).append((c.kept_start, c.kept_end))
    return safe


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _touches(merged: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether ``[start, end)`` overlaps one of the sorted, disjoint ``merged`` spans."""
    k = bisect_right(merged, (start, 1 << 62)) - 1
    if k >= 0 and merged[k][1] > start:
        return True
    return k + 1 < len(merged) and merged[k + 1][0] < end


def _apply(
    current: list[Document],
    pieces: list[list[tuple[int, int]]],
    originals: list[Document],
    cuts: list[_Cut],
    removed: list[Removal],
    round_no: int,
) -> tuple[list[Document], list[list[tuple[int, int]]]]:
    """Make the cuts; record each in the original texts; the new texts and their pieces."""
    by_doc: dict[int, list[_Cut]] = {}
    for c in cuts:
        by_doc.setdefault(c.doc, []).append(c)
    starts = {d: _piece_starts(pieces[d]) for d in {c.kept_doc for c in cuts} | set(by_doc)}
    new_docs = list(current)
    new_pieces = list(pieces)
    for d, doc_cuts in by_doc.items():
        text = current[d].text
        original = originals[d].text
        kept_text: list[str] = []
        kept_pieces: list[tuple[int, int]] = []
        removed_here = False
        pos = stretch = 0
        for c in sorted(doc_cuts, key=lambda c: (c.start, c.end)):
            start = max(c.start, pos)
            if start > pos or not removed_here:
                stretch = start  # where the text cut without a break starts
            end = _swallow_line_break(text, stretch, c.end) if c.whole else c.end
            if end <= start:
                continue
            removed_here = True
            kept_text.append(text[pos:start])
            kept_pieces.extend(_original(pieces[d], starts[d], pos, start))
            kd = c.kept_doc
            ks, ke = _original_span(pieces[kd], starts[kd], c.kept_start, c.kept_end)
            kept_original = originals[kd].text
            kept_line = kept_original.count("\n", 0, ks) + 1
            for os_, oe in _original(pieces[d], starts[d], start, end):
                removed.append(
                    Removal(
                        originals[d].doc_id,
                        os_,
                        oe,
                        original.count("\n", 0, os_) + 1,
                        original[os_:oe],
                        c.cluster,
                        originals[kd].doc_id,
                        kept_line,
                        c.kind,
                        ks,
                        ke,
                        round_no,
                    )
                )
            pos = end
        kept_text.append(text[pos:])
        kept_pieces.extend(_original(pieces[d], starts[d], pos, len(text)))
        new_docs[d] = replace(current[d], text="".join(kept_text))
        new_pieces[d] = _merge(kept_pieces)
    if round_no > 1:
        removed[:] = _repoint(removed, round_no, originals)
    removed.sort(key=lambda r: (r.round, _doc_rank(originals, r.doc_id), r.start))
    return new_docs, new_pieces


def _repoint(removed: list[Removal], round_no: int, originals: list[Document]) -> list[Removal]:
    """Earlier removals whose kept text this round cut, pointed at what holds it now.

    The kept text this round cut is held by that cut's own kept text, so an
    earlier removal's sentences are held either by what is left of its kept
    span or by the kept span of a cut that took part of it: each sentence goes
    with the one that holds it (its folded characters, found in order), and
    the removal is split where its holder changes.
    """
    texts = {d.doc_id: d.text for d in originals}
    new: dict[str, list[Removal]] = {}
    for r in removed:
        if r.round == round_no:
            new.setdefault(r.doc_id, []).append(r)
    gone: dict[str, list[tuple[int, int]]] = {}
    for r in removed:
        gone.setdefault(r.doc_id, []).append((r.start, r.end))
    out: list[Removal] = []
    for r in removed:
        hits = [
            c
            for c in new.get(r.kept_doc_id, [])
            if c is not r and _overlap_len(c.start, c.end, r.kept_start, r.kept_end)
        ]
        if r.round == round_no or not hits:
            out.append(r)
            continue
        kept = texts[r.kept_doc_id]
        left = _folded(
            "".join(
                kept[s:e] for s, e in _minus(r.kept_start, r.kept_end, gone.get(r.kept_doc_id, []))
            )
        )
        holders = [(c.kept_doc_id, c.kept_start, c.kept_end, c.kept_line) for c in hits]
        pieces: list[tuple[int, int, tuple[str, int, int, int]]] = []
        own = (r.kept_doc_id, r.kept_start, r.kept_end, r.kept_line)
        for s, e in _sentence_tiles(r.text):
            chars = _folded(r.text[s:e])
            holder = own if left else holders[0]
            if not chars:  # punctuation or spaces: with the piece before
                holder = pieces[-1][2] if pieces else holder
            elif not left or LCSseq.similarity(chars, left) < HELD_SIMILARITY * len(chars):
                scored = [
                    (LCSseq.similarity(chars, _folded(c.text)), h)
                    for c, h in zip(hits, holders, strict=True)
                ]
                holder = max(scored, key=lambda x: x[0])[1]
            if pieces and pieces[-1][2] == holder:
                pieces[-1] = (pieces[-1][0], e, holder)
            else:
                pieces.append((s, e, holder))
        source = texts[r.doc_id]
        for s, e, (kd, ks, ke, kl) in pieces:
            start, end = r.start + s, r.start + e
            out.append(
                replace(
                    r,
                    start=start,
                    end=end,
                    line=source.count("\n", 0, start) + 1,
                    text=source[start:end],
                    kept_doc_id=kd,
                    kept_start=ks,
                    kept_end=ke,
                    kept_line=kl,
                )
            )
    return out


def _minus(start: int, end: int, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``[start, end)`` without ``spans``.

    >>> _minus(0, 10, [(2, 4), (6, 12)])
    [(0, 2), (4, 6)]
    """
    out, pos = [], start
    for s, e in sorted(spans):
        if e <= pos or s >= end:
            continue
        if s > pos:
            out.append((pos, s))
        pos = max(pos, e)
    if pos < end:
        out.append((pos, end))
    return out


def _sentence_tiles(text: str) -> list[tuple[int, int]]:
    """``text`` cut at sentence ends into pieces that cover all of it.

    >>> t = "甲。乙！\\n丙"
    >>> [t[s:e] for s, e in _sentence_tiles(t)]
    ['甲。', '乙！\\n', '丙']
    """
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    cuts = [0, *(e for e in ends if 0 < e < len(text)), len(text)]
    return [(a, b) for a, b in pairwise(cuts) if b > a]


_SENTENCE_END = regex.compile(r"[。！？；!?…]+[”’」』）)]*\s*|\n+")


def _folded(text: str) -> str:
    """``text`` as sentences are compared: folded tokens, no function characters."""
    content, toks = _content_tokens(text, 0, len(text))
    return _chars(toks.ids[content])


def _doc_rank(originals: list[Document], doc_id: str) -> int:
    for k, d in enumerate(originals):
        if d.doc_id == doc_id:
            return k
    return len(originals)


def _piece_starts(pieces: list[tuple[int, int]]) -> list[int]:
    """Where each piece starts in the current text."""
    out, at = [], 0
    for s, e in pieces:
        out.append(at)
        at += e - s
    return out


def _original(
    pieces: list[tuple[int, int]], starts: list[int], start: int, end: int
) -> list[tuple[int, int]]:
    """The original spans of ``[start, end)`` of the current text (one per piece it spans)."""
    out = []
    k = max(0, bisect_right(starts, start) - 1)
    while k < len(pieces) and start < end:
        ps, pe = pieces[k]
        at = starts[k]
        if start < at + (pe - ps):
            s = ps + (start - at)
            e = ps + min(end - at, pe - ps)
            if e > s:
                out.append((s, e))
            start = at + (pe - ps)
        k += 1
    return out


def _original_span(
    pieces: list[tuple[int, int]], starts: list[int], start: int, end: int
) -> tuple[int, int]:
    """The original span from the first to the last character of ``[start, end)``."""
    spans = _original(pieces, starts, start, max(end, start + 1))
    if not spans:
        return (0, 0)
    return spans[0][0], spans[-1][1] if end > start else spans[0][0]


def _swallow_line_break(text: str, start: int, end: int) -> int:
    """Extend a cut that covers whole lines over the line break (and blank line) after it."""
    at_line_start = start == 0 or text[start - 1] == "\n"
    if not at_line_start:
        return end
    e = end
    while e < len(text) and text[e] in " \t\u3000\r":
        e += 1
    if e < len(text) and text[e] == "\n":
        e += 1
        if e < len(text) and text[e] == "\n" and (start < 2 or text[start - 2] == "\n"):
            e += 1
        return e
    return end if e < len(text) else e
