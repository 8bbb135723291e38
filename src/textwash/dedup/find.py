"""`find_duplicates` and `deduplicate`: exact, near and contained copies of passages.

The stages, each timed in the report's ``stats["seconds"]``:

1. **segment**: clean every document with the segmentation pipeline, split
   collection pages into essays and essays into units (titles are not units),
   keeping each unit's span in the raw text;
2. **exact**: group units whose folded token key is identical (no MinHash);
3. **minhash** and **lsh**: MinHash signatures (computed with NumPy,
   bit-identical to datasketch's ``affine32`` ``MinHash``) of token
   ``ngram``-shingles (one token per Han character, one per Latin word) and a
   ``MinHashLSH`` index; every candidate pair is then **verified** with the
   exact Jaccard similarity of the two shingle sets, so LSH false positives
   never reach the report;
4. **containment**: a unit whose shingles (function words dropped on both
   sides) mostly reappear inside a much longer unit is attached to that unit's
   containing span;
5. **clusters**: union-find over the exact and near pairs, deterministic ids,
   a kept copy chosen by ``keep`` (``"first"`` or ``"longest"``).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence, Sized
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from datasketch import MinHashLSH

from ..edits import ChainMap, OffsetMap
from ..errors import CleaningError
from ..parallel import Failure, Workers, current_pipeline
from ..pipeline import Pipeline, RunResult
from ..segment import UNIT_KINDS, Document, Unit, segment, units
from ..segment.document import line_of, line_starts
from .keys import FUNCTION_IDS, TokenArray, exact_key, ngram_hashes, shape_ids, token_array
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
    keep: str = "first",
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
    if keep not in ("first", "longest"):
        raise ValueError("keep must be 'first' or 'longest'")
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

    uf = UnionFind(len(items))
    # 2. exact -------------------------------------------------------------------
    by_key: dict[bytes, int] = {}
    for i, it in enumerate(items):
        if it.n_tokens < MIN_EXACT_TOKENS:
            continue
        first = by_key.setdefault(it.key, i)
        if first != i:
            uf.union(first, i)
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
    verifier = Verifier(items)  # alignment checks for damaged and split copies (verify.py)
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
    seconds["split"] = lap()

    # 5. clusters ----------------------------------------------------------------------
    clusters = _build_clusters(items, arrays, uf, contained, keep, threshold)
    if load_text is not None:
        clusters = _quote(clusters, documents, lengths, parts.loader(load_text))
    clusters = parts.restore(clusters)
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
        shapes.append(exact_key(shape_ids(ids[lo[k] : hi[k]])))

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


#: Lines of fewer tokens than this that come two or more in a row (table cells,
#: list items, a heading and its sub-heading) are compared as one block.
SHORT_LINE_TOKENS = 20


def _blocks(us: list[Unit], n: Sequence[int]) -> list[Unit]:
    """Paragraph units with every run of two or more short lines of one section
    merged into one unit of kind ``"block"`` (``n[k]``: the tokens of ``us[k]``).

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
    )


def _contained_member(items: list[_Item], c: _Contained) -> Member:
    outer = items[c.outer]
    u = outer.unit
    start, end = outer.offsets.to_source(c.start, c.end)
    member = _member(outer, c.score, "containment")
    text = outer.doc.text
    line = u.line + text.count("\n", u.start, start)
    end_line = line + text.count("\n", start, max(start, end - 1))
    return replace(member, start=start, end=end, line=line, end_line=end_line, text=text[start:end])


def _build_clusters(
    items: list[_Item],
    arrays: _Arrays,
    uf: UnionFind,
    contained: list[_Contained],
    keep: str,
    threshold: float,
) -> list[Cluster]:
    doc_order = {it.unit.doc_id: it.order for it in items}
    groups = [g for g in uf.groups() if len(g) > 1]
    group_of = {i: gi for gi, g in enumerate(groups) for i in g}
    extra: dict[int, list[_Contained]] = {}
    for c in contained:
        gi = group_of.get(c.inner)
        if gi is None:
            gi = len(groups)
            groups.append([c.inner])
            group_of[c.inner] = gi
        extra.setdefault(gi, []).append(c)

    built: list[tuple[tuple[int, tuple[int, int]], Cluster]] = []
    for gi, group in enumerate(groups):
        ordered = sorted(group, key=lambda i: items[i].sort_key)
        if keep == "first":
            kept_i = ordered[0]
        else:
            kept_i = min(ordered, key=lambda i: (-items[i].n_tokens, items[i].sort_key))
        ref = items[kept_i]  # every similarity is measured against the kept copy
        members = [_member(ref, 1.0, "exact", kept=True)]
        all_exact = True
        for i in ordered:
            if i == kept_i:
                continue
            it = items[i]
            if it.key == ref.key:
                members.append(_member(it, 1.0, "exact"))
                continue
            all_exact = False
            jac = _jaccard(arrays.shingles[kept_i], arrays.shingles[i])
            ov = _overlap(arrays.shingles[kept_i], arrays.shingles[i])
            if jac < threshold <= ov:  # one inside the other: a sentence added or deleted
                members.append(_member(it, ov, "containment"))
            else:
                members.append(_member(it, jac, "jaccard"))
        spans: list[Member] = []
        for c in sorted(extra.get(gi, []), key=lambda c: (-c.score, c.outer, c.start)):
            m = _contained_member(items, c)
            if any(o.doc_id == m.doc_id and o.start < m.end and m.start < o.end for o in spans):
                continue  # the same passage found for another copy of this cluster
            spans.append(m)

        def position(m: Member) -> tuple[int, int]:
            return (doc_order[m.doc_id], m.start)

        rest = sorted([*members[1:], *spans], key=position)
        members = [members[0], *rest]
        kind = "containment" if spans else ("exact" if all_exact else "near")
        built.append(((-len(members), position(members[0])), Cluster("", kind, tuple(members))))
    built.sort(key=lambda b: b[0])
    width = max(4, len(str(len(built))))
    return [replace(c, id=f"c{n:0{width}d}") for n, (_, c) in enumerate(built, 1)]


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
    """A passage :func:`deduplicate` cut, with the copy it duplicates."""

    doc_id: str
    start: int
    end: int
    line: int
    text: str
    cluster: str
    kept_doc_id: str
    kept_line: int


@dataclass
class DedupResult:
    """Documents with later copies removed, the record of every removal, and the report."""

    documents: list[Document]
    removed: list[Removal]
    report: DuplicateReport


def deduplicate(docs: Iterable[DocLike], **options: Any) -> DedupResult:
    """Remove every copy but the kept one; record what was removed from where.

    Takes the same options as :func:`find_duplicates`.  A removed paragraph takes
    its line break with it; passages found inside longer paragraphs are cut out
    of them.  ``result.removed`` lists every cut with its cluster and the kept
    copy, so nothing disappears without trace.

    >>> a = "公安机关的群众工作是党的群众工作的重要方面，也是公安工作的光荣传统。"
    >>> out = deduplicate([a, "前言。\\n\\n" + a])
    >>> [d.text for d in out.documents]
    ['公安机关的群众工作是党的群众工作的重要方面，也是公安工作的光荣传统。', '前言。\\n\\n']
    >>> [(r.doc_id, r.line, r.kept_doc_id) for r in out.removed]
    [('1', 3, '0')]
    """
    documents = as_documents(docs)
    report = find_duplicates(documents, **options)
    cuts: dict[str, list[tuple[int, int, Member, Cluster]]] = {}
    for cluster in report.clusters:
        for m in cluster.copies:
            cuts.setdefault(m.doc_id, []).append((m.start, m.end, m, cluster))
    out_docs: list[Document] = []
    removed: list[Removal] = []
    for doc in documents:
        spans = sorted(cuts.get(doc.doc_id, []), key=lambda c: (c[0], c[1]))
        text = doc.text
        pieces: list[str] = []
        pos = 0
        for start, end, m, cluster in spans:
            start = max(start, pos)
            if end <= start:
                continue
            end = _swallow_line_break(text, start, end)
            pieces.append(text[pos:start])
            removed.append(
                Removal(
                    doc.doc_id,
                    start,
                    end,
                    m.line,
                    text[start:end],
                    cluster.id,
                    cluster.kept.doc_id,
                    cluster.kept.line,
                )
            )
            pos = end
        pieces.append(text[pos:])
        out_docs.append(replace(doc, text="".join(pieces)))
    return DedupResult(out_docs, removed, report)


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
