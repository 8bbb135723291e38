"""Stage 1, **prepare**: documents in, one record per comparable unit out.

Each document is cleaned with the segmentation pipeline (in worker processes),
split into sections and units (titles are not units; runs of short lines are
one block), tokenised once (one token per Han character, one per Latin word or
number) and hashed: per unit, its exact key and number-masked shape digests,
its near-duplicate shingles and its containment 3-grams, its span in the raw
text and the defects cleaning found there.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ..edits import ChainMap, OffsetMap
from ..errors import CleaningError
from ..parallel import Failure, current_pipeline
from ..pipeline import RunResult
from ..segment import Document, Unit, segment, units
from ..segment.collection import Segmented
from .keys import (
    FUNCTION_IDS,
    NUMBER_ID,
    TokenArray,
    exact_key,
    ngram_hashes,
    number_mask,
    token_array,
)
from .parts import Parts
from .ragged import Ragged, gather_spans
from .spill import SpilledRagged

#: A document as :func:`iter_documents` takes it (pyarrow string arrays are taken whole).
DocLike = str | tuple[str, str] | Document | Mapping[str, Any]

__all__ = [
    "DocumentFailure",
    "UnitArrays",
    "as_documents",
    "iter_documents",
    "prepare",
]


ProgressHook = Callable[[str, int, int], None]


#: Units with fewer tokens than this only take part in exact matching.
MIN_TOKENS = 10


#: Exact matches need at least this many tokens (shorter lines repeat by chance).
MIN_EXACT_TOKENS = 6


#: Containment is looked for only for units with at least this many tokens.
MIN_CONTAINMENT_TOKENS = 20


#: Containment compares 3-grams of the tokens that are not function characters.
CONTAINMENT_NGRAM = 3


def as_documents(docs: Iterable[DocLike]) -> list[Document]:
    """Accept strings, ``(doc_id, text)`` pairs or :class:`Document` objects.

    >>> [d.doc_id for d in as_documents(["甲", ("b", "乙")])]
    ['0', 'b']
    """
    return list(iter_documents(docs))


def iter_documents(
    docs: Iterable[DocLike],
    *,
    id_key: str = "id",
    text_key: str = "text",
) -> Iterator[Document]:
    """:func:`as_documents`, one document at a time (``docs`` is read lazily).

    >>> docs = iter_documents(x for x in ["甲", ("b", "乙")])
    >>> next(docs).doc_id
    '0'

    Also accepted: dicts (any mapping) whose ``text_key`` holds the text and
    ``id_key`` the doc_id (the document's position when the key is absent or
    ``None``), and a pyarrow ``string``/``large_string`` array or
    ``ChunkedArray``, read a slice at a time (doc_ids are positions).  Pass
    other key names through this function:
    ``find_duplicates(iter_documents(rows, text_key="body"))``.

    >>> [(d.doc_id, d.text) for d in iter_documents([{"id": 7, "text": "甲"}, {"text": "乙"}])]
    [('7', '甲'), ('1', '乙')]
    >>> import pyarrow as pa
    >>> [d.doc_id for d in iter_documents(pa.chunked_array([["甲"], ["乙", "丙"]]))]
    ['0', '1', '2']

    A record that is not a document raises, naming its position and why: a
    missing text (``None``, a null of a pyarrow array, a dict without
    ``text_key``) a ``ValueError``, anything else a ``TypeError``.

    >>> list(iter_documents(pa.array(["甲", None])))
    Traceback (most recent call last):
    ...
    ValueError: document 1: missing text (a null); drop or fill the nulls first
    >>> list(iter_documents([{"id": "a", "body": "甲"}]))
    Traceback (most recent call last):
    ...
    ValueError: document 0: no 'text' key (keys: 'id', 'body'); give text_key=...
    """
    from ..arrow import is_array, iter_strings

    seen: set[str] = set()
    items: Iterable[object] = iter_strings(docs) if is_array(docs) else docs
    for i, d in enumerate(items):
        if isinstance(d, Document):
            doc = d
        elif isinstance(d, str):
            doc = Document(str(i), d)
        elif isinstance(d, tuple) and len(d) == 2 and isinstance(d[1], str):
            doc = Document(str(d[0]), d[1])
        elif isinstance(d, Mapping):
            doc = _from_mapping(i, d, id_key, text_key)
        elif d is None:
            raise ValueError(f"document {i}: missing text (a null); drop or fill the nulls first")
        else:
            raise TypeError(
                f"document {i}: expected a string, a (doc_id, text) pair, a dict with "
                f"{text_key!r} (and {id_key!r}) keys or a Document, got {type(d).__name__}"
            )
        if doc.doc_id in seen:
            raise ValueError(f"document {i}: duplicate doc_id {doc.doc_id!r}")
        seen.add(doc.doc_id)
        yield doc


def _from_mapping(i: int, d: Mapping[str, Any], id_key: str, text_key: str) -> Document:
    """The document of record ``i``, a mapping (see :func:`iter_documents`)."""
    if text_key not in d:
        keys = ", ".join(repr(k) for k in d)
        raise ValueError(f"document {i}: no {text_key!r} key (keys: {keys}); give text_key=...")
    text = d[text_key]
    if text is None:
        raise ValueError(f"document {i}: missing text ({text_key!r} is None)")
    if not isinstance(text, str):
        raise TypeError(f"document {i}: {text_key!r} is a {type(text).__name__}, not a str")
    doc_id = d.get(id_key)
    return Document(str(i) if doc_id is None else str(doc_id), text)


_EMPTY_U32 = np.zeros(0, dtype=np.uint32)


class UnitArrays:
    """Every unit's arrays, end to end (see :class:`Ragged`), in files under
    ``work_dir`` when it is given (see :class:`~textwash.dedup.spill.SpilledRagged`).

    ``shingles[i]``: unit ``i``'s sorted, unique near-duplicate shingle hashes;
    ``cont_set[i]``: the sorted, unique hashes of its content-token 3-grams
    (tokens that are not function characters); ``cont_size[i]``: how many
    content tokens it has.
    """

    def __init__(self, work_dir: str | os.PathLike[str] | None = None) -> None:
        self.shingles: Ragged | SpilledRagged
        self.cont_set: Ragged | SpilledRagged
        if work_dir is None:
            self.shingles = Ragged(np.uint32)
            self.cont_set = Ragged(np.uint32)
        else:  # on disk: memory holds the offsets only
            self.shingles = SpilledRagged(np.uint32, Path(work_dir) / "shingles.u32")
            self.cont_set = SpilledRagged(np.uint32, Path(work_dir) / "containment.u32")
        self._sizes: list[np.ndarray] = []
        self.cont_size = np.zeros(0, dtype=np.int32)

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
        """Make what was appended readable (call after the last ``extend``)."""
        self.shingles.freeze()
        self.cont_set.freeze()
        if self._sizes:
            self.cont_size = np.concatenate(self._sizes).astype(np.int32)
        self._sizes = []

    def close(self) -> None:
        """Delete the files (if on disk)."""
        for rows in (self.shingles, self.cont_set):
            if isinstance(rows, SpilledRagged):
                rows.close()


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


_FUNCTION_TABLE = np.zeros(0x10000, dtype=bool)


_FUNCTION_TABLE[FUNCTION_IDS] = True


def content_tokens(clean: str, start: int, end: int) -> tuple[np.ndarray, TokenArray]:
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


Prepared = tuple[
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


Job = tuple[Document, str, int, int, bool]
"""What :func:`prepare_batch` takes per document: the document, the unit kind,
the sentence window, the shingle ``ngram`` and ``drop_function_words``."""


def _caught(exc: Exception) -> Failure:
    """A failure of a step (as is) or of the segmentation after it (as step ``segment``)."""
    if isinstance(exc, CleaningError):
        return Failure.caught(exc)
    message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return Failure.caught(CleaningError("segment", message))


def prepare_batch(jobs: Sequence[Job]) -> list[Prepared | Failure]:
    """:func:`prepare` for a batch of documents (runs in a worker process).

    Each document is cleaned and segmented on its own; then the whole batch is
    tokenised and hashed at once, its cleaned texts laid end to end, so many
    small documents cost a few NumPy calls instead of a few per document.  The
    result for each document is what :func:`prepare` gives for it alone
    (tests/test_dedup_prepare.py).  A document a step (or the segmentation
    after it) fails on gives a :class:`~textwash.parallel.Failure` in its place,
    with its position in the raw text of the document or part; the others are
    prepared all the same.
    """
    out: list[Prepared | Failure | None] = [None] * len(jobs)
    done: list[tuple[int, Segmented, list[Unit]]] = []
    for k, (doc, unit, window, _, _) in enumerate(jobs):
        try:
            seg = segment(doc, pipeline=current_pipeline())
            done.append((k, seg, units(doc, unit, window=window, segmented=seg)))
        except Exception as exc:
            out[k] = _caught(exc)
    if done:
        _, unit, _, ngram, drop = jobs[0]
        try:
            hashed: list[Prepared | Failure] = list(
                _hash_together([(seg, us) for _, seg, us in done], unit, ngram, drop)
            )
        except Exception:  # one document at a time: only the one at fault fails
            hashed = []
            for _, seg, us in done:
                try:
                    hashed.append(_hash_together([(seg, us)], unit, ngram, drop)[0])
                except Exception as exc:
                    hashed.append(_caught(exc))
        for (k, _, _), result in zip(done, hashed, strict=True):
            out[k] = result
    return [r for r in out if r is not None]


def prepare(job: Job) -> Prepared:
    """Clean, segment, tokenize and shingle one document; a failure raises.

    The cleaned document is tokenized and hashed once, in NumPy, and each unit
    takes its slices.  What travels back is compact: a text-free offset map,
    the cleaned text, the units without their text, the section titles, and
    per-unit token counts, key digests and arrays laid end to end.
    """
    doc, unit, window, ngram, drop = job
    seg = segment(doc, pipeline=current_pipeline())
    return _hash_together(
        [(seg, units(doc, unit, window=window, segmented=seg))], unit, ngram, drop
    )[0]


def _unique_rows(
    values: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The sorted unique values of each span ``values[lo[i]:hi[i]]``, end to end, and
    how many each has.

    >>> flat, n = _unique_rows(np.array([5, 3, 5, 9, 1], dtype=np.uint32),
    ...                        np.array([0, 2, 4]), np.array([3, 4, 4]))
    >>> flat.tolist(), n.tolist()
    ([3, 5, 5, 9], [2, 2, 0])
    """
    flat, bounds = gather_spans(values, lo, hi)
    row = np.repeat(np.arange(lo.size, dtype=np.uint64), np.diff(bounds))
    key = row << np.uint64(32) | flat.astype(np.uint64)
    key.sort()  # a sort and a comparison: faster here than np.unique's hashing
    if key.size:
        fresh = np.empty(key.size, dtype=bool)
        fresh[0] = True
        np.not_equal(key[1:], key[:-1], out=fresh[1:])
        key = key[fresh]
    counts = np.bincount((key >> np.uint64(32)).astype(np.int64), minlength=lo.size)
    return (key & np.uint64(0xFFFFFFFF)).astype(np.uint32), counts.astype(np.int64)


def _hash_together(
    docs: list[tuple[Segmented, list[Unit]]], unit: str, ngram: int, drop_function_words: bool
) -> list[Prepared]:
    """Tokenise and hash segmented documents at once; one :data:`Prepared` each."""
    cleans = [seg.run.text for seg, _ in docs]
    # the cleaned texts end to end, a line break between two (no token crosses one)
    base = np.zeros(len(cleans), dtype=np.int64)
    if len(cleans) > 1:
        base[1:] = np.cumsum([len(c) + 1 for c in cleans[:-1]])
    content, toks = content_tokens("\n".join(cleans), 0, int(base[-1]) + len(cleans[-1]))
    ids = toks.ids
    tok_start = toks.start.astype(np.int64)
    unit_lists: list[list[Unit]] = []
    for d, (_, us) in enumerate(docs):
        if unit == "paragraph" and len(us) > 1:
            b = int(base[d])
            starts = np.searchsorted(tok_start, [u.clean_start + b for u in us])
            ends = np.searchsorted(tok_start, [u.clean_end + b for u in us])
            us = blocks(us, (ends - starts).tolist())
        unit_lists.append(us)
    first = np.zeros(len(docs) + 1, dtype=np.int64)  # each document's first unit
    first[1:] = np.cumsum([len(us) for us in unit_lists])
    doc_of = np.repeat(np.arange(len(docs)), np.diff(first))
    all_units = [u for us in unit_lists for u in us]
    starts = np.array([u.clean_start for u in all_units], dtype=np.int64) + base[doc_of]
    ends = np.array([u.clean_end for u in all_units], dtype=np.int64) + base[doc_of]
    content_ids = ids[content]
    near_ids = content_ids if drop_function_words else ids
    near_hashes = ngram_hashes(near_ids, ngram, whole=False)
    cont_hashes = ngram_hashes(content_ids, CONTAINMENT_NGRAM, whole=False)
    # each unit's token range [lo, hi) and content-token range [c0, c1)
    lo = np.searchsorted(tok_start, starts)
    hi = np.searchsorted(tok_start, ends)
    c0 = np.searchsorted(content, lo)
    c1 = np.searchsorted(content, hi)
    n0, n1 = (c0, c1) if drop_function_words else (lo, hi)
    # near-duplicate shingles: every ngram of a unit of MIN_TOKENS tokens or more,
    # or one hash of all its near tokens when it has fewer than ngram of them
    compared = (hi - lo) >= MIN_TOKENS
    full = compared & (n1 - n0 >= ngram)
    sh_flat, sh_len = _unique_rows(near_hashes, n0, np.where(full, n1 - ngram + 1, n0))
    short = np.flatnonzero(compared & ~full & (n1 > n0))
    if short.size:
        rows = np.split(sh_flat, np.cumsum(sh_len)[:-1]) if sh_len.size else []
        for k in short.tolist():
            rows[k] = ngram_hashes(near_ids[n0[k] : n1[k]], ngram)
        sh_len = np.array([r.size for r in rows], dtype=np.int64)
        sh_flat = np.concatenate(rows) if rows else _EMPTY_U32
    n = CONTAINMENT_NGRAM
    cs_flat, cs_len = _unique_rows(cont_hashes, c0, np.where(c1 - c0 >= n, c1 - n + 1, c0))
    # the shape of the whole batch (keys.shape_ids), each run of numbers as one
    # token but at a unit's start, and where each token's shape starts
    masked = number_mask(ids)
    masked_before = np.concatenate([[0], np.cumsum(masked)])
    keep = np.ones(ids.size, dtype=bool)
    keep[1:] = ~(masked[1:] & masked[:-1])
    keep[lo[lo < ids.size]] = True
    shaped = np.where(masked, np.uint32(NUMBER_ID), ids)[keep]
    shaped_at = np.concatenate([[0], np.cumsum(keep)])
    keys: list[bytes] = []
    shapes: list[bytes] = []
    for a, b in zip(lo.tolist(), hi.tolist(), strict=True):
        keys.append(exact_key(ids[a:b]))
        if masked_before[b] == masked_before[a]:
            shapes.append(keys[-1])  # no number: the shape is the key
        else:
            shapes.append(exact_key(shaped[shaped_at[a] : shaped_at[b]]))
    sh_at = np.concatenate([[0], np.cumsum(sh_len)])
    cs_at = np.concatenate([[0], np.cumsum(cs_len)])
    out: list[Prepared] = []
    for d, (seg, _) in enumerate(docs):
        us = unit_lists[d]
        u0, u1 = int(first[d]), int(first[d + 1])
        marks = defect_marks(seg.run)
        out.append(
            (
                seg.run.offsets.light(),
                cleans[d],
                [replace(u, text="") for u in us],
                [sec.title for sec in seg.sections],
                (hi[u0:u1] - lo[u0:u1]).astype(np.int32),
                b"".join(keys[u0:u1]),
                (sh_flat[sh_at[u0] : sh_at[u1]], sh_len[u0:u1]),
                (cs_flat[cs_at[u0] : cs_at[u1]], cs_len[u0:u1]),
                (c1[u0:u1] - c0[u0:u1]).astype(np.int32),
                b"".join(shapes[u0:u1]),
                count_in(marks, [u.start for u in us], [u.end for u in us]),
                marks,
            )
        )
    return out


def located_failure(doc: Document, failure: Failure, parts: Parts) -> DocumentFailure:
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


def count_in(marks: np.ndarray, starts: Sequence[int], ends: Sequence[int]) -> np.ndarray:
    """How many of ``marks`` (sorted) lie in each span ``[starts[k], ends[k])``."""
    lo = np.searchsorted(marks, np.asarray(starts, dtype=np.int64), side="left")
    hi = np.searchsorted(marks, np.asarray(ends, dtype=np.int64), side="left")
    return (hi - lo).astype(np.int32)


#: Steps whose edits are not defects of the text (line endings, trailing spaces).
_NOT_DEFECTS = frozenset({"Whitespace"})


def defect_marks(run: RunResult) -> np.ndarray:
    """Where cleaning repaired or flagged something, as sorted raw offsets.

    One mark per edit of every step but :data:`_NOT_DEFECTS` (an ASCII comma
    made full-width, an OCR space deleted, a hard wrap joined, a traditional
    character converted, a look-alike replaced ...) at the raw position it
    came from, and one per flag (a masked word, mojibake, a stray period).
    The ``best`` keep policy keeps the copy with the fewest.

    >>> from textwash import get_preset
    >>> defect_marks(get_preset("zh").run("近年来,随着 社 会 发 展。")).tolist()
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


def blocks(us: list[Unit], n: Sequence[int]) -> list[Unit]:
    """Paragraph units with every run of two or more short lines in a row (no blank
    line between them) merged into one unit of kind ``"block"`` (``n[k]``: the
    tokens of ``us[k]``).

    A table extracted one cell per line, or a list of short items, is then
    compared as a whole: two tables that share a cell are not copies, two
    copies of one table still are.

    >>> from textwash.segment import units as split
    >>> table = "表一\\n7天=(8天每日生活津贴)\\n14天=(15天每日生活津贴)\\n\\n"
    >>> us = split(table + "正文" * 20 + "。")
    >>> [(u.kind, u.line, u.end_line) for u in blocks(us, [2, 10, 11, 40])]
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
