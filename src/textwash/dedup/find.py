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

import hashlib
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from datasketch import MinHashLSH

from ..edits import ChainMap
from ..parallel import Workers, current_pipeline
from ..pipeline import Pipeline
from ..segment import UNIT_KINDS, Document, Unit, segment, units
from .keys import FUNCTION_CHARS, exact_key, shingle_positions, shingles, tokenize
from .report import Cluster, DuplicateReport, Member
from .signatures import signatures_from_flat, to_lean_minhashes
from .unionfind import UnionFind

__all__ = ["DedupResult", "Removal", "as_documents", "deduplicate", "find_duplicates"]

DocLike = str | tuple[str, str] | Document
ProgressHook = Callable[[str, int, int], None]

#: Units with fewer tokens than this only take part in exact matching.
MIN_TOKENS = 10
#: Exact matches need at least this many tokens (shorter lines repeat by chance).
MIN_EXACT_TOKENS = 6
#: Containment is looked for only for units with at least this many tokens.
MIN_CONTAINMENT_TOKENS = 20


def as_documents(docs: Iterable[DocLike]) -> list[Document]:
    """Accept strings, ``(doc_id, text)`` pairs or :class:`Document` objects.

    >>> [d.doc_id for d in as_documents(["甲", ("b", "乙")])]
    ['0', 'b']
    """
    out: list[Document] = []
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
        out.append(doc)
    return out


_EMPTY_U32 = np.zeros(0, dtype=np.uint32)
_EMPTY_I32 = np.zeros(0, dtype=np.int32)


@dataclass(slots=True)
class _Item:
    """One unit with what the stages need, in compact arrays (no token strings).

    ``shingles`` is the sorted, unique near-duplicate shingle hashes;
    ``tok_start``/``tok_end`` locate the tokens in the unit's cleaned text;
    ``content`` indexes the tokens that are not function characters and
    ``cont_hashes[p]`` hashes the content-token 3-gram starting at ``p``.
    """

    order: int  # position of its document in the input
    unit: Unit  # its ``text`` is dropped to save memory
    doc: Document
    offsets: ChainMap  # cleaned -> raw offsets of the unit's document
    n_tokens: int
    key: bytes
    shingles: np.ndarray = field(default_factory=lambda: _EMPTY_U32)
    tok_start: np.ndarray = field(default_factory=lambda: _EMPTY_I32)
    tok_end: np.ndarray = field(default_factory=lambda: _EMPTY_I32)
    content: np.ndarray = field(default_factory=lambda: _EMPTY_I32)
    cont_hashes: np.ndarray = field(default_factory=lambda: _EMPTY_U32)

    @property
    def sort_key(self) -> tuple[int, int]:
        return (self.order, self.unit.start)


@dataclass(frozen=True)
class _Contained:
    """Unit ``inner`` found inside unit ``outer`` at token positions ``[t0, t1)``."""

    inner: int
    outer: int
    t0: int
    t1: int
    score: float


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
    }
    seconds: dict[str, float] = {}
    lap = _timer()
    note = progress or (lambda stage, done, total: None)

    # 1. segment -----------------------------------------------------------------
    documents = as_documents(docs)
    if unit not in UNIT_KINDS:
        raise ValueError(f"unknown unit {unit!r}; choose one of {', '.join(UNIT_KINDS)}")
    items: list[_Item] = []
    with Workers(pipeline, workers) as pool:
        jobs = [(doc, unit, window, ngram, drop_function_words) for doc in documents]
        for order, (offsets, prepared) in enumerate(pool.map(_prepare, jobs)):
            doc = documents[order]
            items.extend(_Item(order, u, doc, offsets, *rest) for u, *rest in prepared)
            note("segment", order + 1, len(documents))
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
    flat = np.concatenate([items[i].shingles for i in reps]) if reps else _EMPTY_U32
    bounds = np.cumsum([0] + [len(items[i].shingles) for i in reps])
    sigs = to_lean_minhashes(
        signatures_from_flat(flat, bounds, num_perm=num_perm, seed=seed), seed=seed
    )
    seconds["minhash"] = lap()
    # LSH at a slightly lower threshold than the exact check: it only proposes pairs
    lsh_threshold = round(max(0.3, threshold - 0.1), 4)
    lsh = MinHashLSH(threshold=lsh_threshold, num_perm=num_perm)
    params.update(lsh_threshold=lsh_threshold, lsh_bands=lsh.b, lsh_rows=lsh.r)
    for i, sig in zip(reps, sigs, strict=True):
        lsh.insert(i, sig, check_duplication=False)
    candidates: set[tuple[int, int]] = set()
    for n, (i, sig) in enumerate(zip(reps, sigs, strict=True)):
        for j in lsh.query(sig):
            if j != i:
                candidates.add((min(i, j), max(i, j)))
        if n % 1000 == 0:
            note("lsh", n + 1, len(reps))
    seconds["lsh"] = lap()
    verified = 0
    for i, j in sorted(candidates):
        if _jaccard(items[i].shingles, items[j].shingles) >= threshold:
            uf.union(i, j)
            verified += 1
    seconds["verify"] = lap()

    # 4. containment -----------------------------------------------------------------
    contained: list[_Contained] = []
    overlaps = 0
    if containment:
        contained, overlaps = _find_containment(
            items, uf, containment_threshold, containment_ratio, threshold, note=note
        )
    seconds["containment"] = lap()

    # 5. clusters ----------------------------------------------------------------------
    clusters = _build_clusters(items, uf, contained, keep, threshold)
    seconds["clusters"] = lap()
    stats = {
        "documents": len(documents),
        "units": len(items),
        "lsh_candidates": len(candidates),
        "verified_pairs": verified,
        "contained": len(contained),
        "overlap_pairs": overlaps,
        "clusters": len(clusters),
        "seconds": {k: round(v, 4) for k, v in seconds.items()},
    }
    report = DuplicateReport(clusters, params, stats)
    stats["duplicated_chars"] = report.duplicated_chars
    return report


def _prepare(job: tuple[Document, str, int, int, bool]) -> tuple[ChainMap, list[tuple[Any, ...]]]:
    """Clean, segment, tokenize and shingle one document (runs in a worker process).

    What travels back is compact: a text-free offset map and, per unit, the unit
    without its text, its token count, key digest and NumPy arrays.
    """
    doc, unit, window, ngram, drop_function_words = job
    seg = segment(doc, pipeline=current_pipeline())
    out: list[tuple[Any, ...]] = []
    for u in units(doc, unit, window=window, segmented=seg):
        toks = tokenize(u.text)
        tokens = [t for t, _, _ in toks]
        content = [k for k, t in enumerate(tokens) if t not in FUNCTION_CHARS]
        near = [tokens[k] for k in content] if drop_function_words else tokens
        sh = shingles(near, ngram) if len(tokens) >= MIN_TOKENS else set()
        cont = shingle_positions([tokens[k] for k in content], _CONTAINMENT_NGRAM)
        out.append(
            (
                replace(u, text=""),
                len(tokens),
                hashlib.blake2b(exact_key(tokens).encode("utf-8"), digest_size=16).digest(),
                np.array(sorted(sh), dtype=np.uint32),
                np.array([s for _, s, _ in toks], dtype=np.int32),
                np.array([e for _, _, e in toks], dtype=np.int32),
                np.array(content, dtype=np.int32),
                np.array([h for h, _ in cont], dtype=np.uint32),
            )
        )
    return seg.run.offsets.light(), out


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


_CONTAINMENT_NGRAM = 3
_MAX_POSTINGS = 64


def _find_containment(
    items: list[_Item],
    uf: UnionFind,
    threshold: float,
    ratio: float,
    near_threshold: float,
    *,
    note: ProgressHook,
) -> tuple[list[_Contained], int]:
    """Passages inside much longer units, and comparable units one inside the other.

    The second kind (a sentence added or deleted) is joined in ``uf`` directly
    when the near-duplicate shingles of the shorter unit lie ``near_threshold``
    inside the other's; their number is returned with the passages.
    """
    n = _CONTAINMENT_NGRAM
    # One unit stands for each group of exact and near copies found so far: its
    # copies would find the same passages, and copies of the longer unit are
    # already reported as copies of it.
    rep = [uf.find(i) == i for i in range(len(items))]
    postings: dict[int, list[int]] = {}
    uniq = [np.unique(it.cont_hashes) if rep[i] else _EMPTY_U32 for i, it in enumerate(items)]
    for i, hashes in enumerate(uniq):
        for h in hashes.tolist():
            postings.setdefault(h, []).append(i)
    found: list[_Contained] = []
    overlaps = 0
    for a, it_a in enumerate(items):
        if not rep[a] or it_a.n_tokens < MIN_CONTAINMENT_TOKENS or not it_a.cont_hashes.size:
            continue
        sh_a = set(uniq[a].tolist())
        hits: Counter[int] = Counter()
        for h in sh_a:
            plist = postings[h]
            if len(plist) > _MAX_POSTINGS:
                continue
            for b in plist:
                if b != a:
                    hits[b] += 1
        for b, count in sorted(hits.items()):
            if count / len(sh_a) < threshold:
                continue
            if uf.find(a) == uf.find(b):
                continue
            len_a, len_b = items[a].content.size, items[b].content.size
            if len_b < ratio * len_a:
                if len_a <= len_b and (
                    _overlap(items[a].shingles, items[b].shingles) >= near_threshold
                ):
                    uf.union(a, b)
                    overlaps += 1
                continue
            hashes_b = items[b].cont_hashes
            where = np.nonzero(np.isin(hashes_b, uniq[a], assume_unique=False))[0]
            matched = list(zip(where.tolist(), hashes_b[where].tolist(), strict=True))
            t0, t1, found_here = _best_window(matched, int(1.5 * len_a) + n)
            score = found_here / len(sh_a)
            if score >= threshold:
                # back from content-token positions to token positions in the outer unit
                cb = items[b].content
                k0 = int(cb[t0])
                k1 = int(cb[min(t1 + n - 1, cb.size - 1)]) + 1
                found.append(_Contained(a, b, k0, k1, round(score, 4)))
        if a % 500 == 0:
            note("containment", a + 1, len(items))
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
    cs = u.clean_start + int(outer.tok_start[c.t0])
    ce = u.clean_start + int(outer.tok_end[c.t1 - 1])
    start, end = outer.offsets.to_source(cs, ce)
    member = _member(outer, c.score, "containment")
    text = outer.doc.text
    line = u.line + text.count("\n", u.start, start)
    end_line = line + text.count("\n", start, max(start, end - 1))
    return replace(member, start=start, end=end, line=line, end_line=end_line, text=text[start:end])


def _build_clusters(
    items: list[_Item], uf: UnionFind, contained: list[_Contained], keep: str, threshold: float
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
            jac = _jaccard(ref.shingles, it.shingles)
            ov = _overlap(ref.shingles, it.shingles)
            if jac < threshold <= ov:  # one inside the other: a sentence added or deleted
                members.append(_member(it, ov, "containment"))
            else:
                members.append(_member(it, jac, "jaccard"))
        spans: list[Member] = []
        for c in sorted(extra.get(gi, []), key=lambda c: (-c.score, c.outer, c.t0)):
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
