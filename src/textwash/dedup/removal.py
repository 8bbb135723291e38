"""Stage **removal**: :func:`deduplicate` cuts of every copy only what a kept
text holds, whole sentences, in rounds until nothing is left to cut
(``docs/dedup.md``)."""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import Any

import regex
from rapidfuzz.distance import LCSseq

from ..segment import Document
from .clusters import (
    HELD_SIMILARITY,
    PASSAGE_TOKENS,
    Ref,
    Region,
    Regions,
    overlap_len,
    token_chars,
)
from .config import DedupConfig
from .find import Found, find_duplicates
from .keys import numbers_in
from .prepare import DocLike, DocumentFailure, as_documents, content_tokens
from .report import DuplicateReport, Member

__all__ = ["DedupResult", "Removal", "deduplicate"]


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
#: The options of :func:`find_duplicates` that are not :class:`DedupConfig` fields.
_RUN_OPTIONS = (
    "pipeline",
    "progress",
    "workers",
    "load_text",
    "on_error",
    "work_dir",
    "memory",
    "index",
    "run_id",
    "update_index",
    "engine",  # engine="ray": each round on Ray (and the Ray engine's own options)
    "address",
    "num_cpus",
    "banding",
)
#: The options only the first round takes: the input is compared with (and added
#: to) a persistent index once, not each round's cut text.
_FIRST_ROUND_ONLY = ("index", "run_id", "update_index")


def deduplicate(
    docs: Iterable[DocLike], config: DedupConfig | None = None, **options: Any
) -> DedupResult:
    """Cut every copy down to what the kept copy does not hold; record every cut.

    Takes the same ``config`` and options as :func:`find_duplicates`.  Nothing that exists only
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
    run_options = {k: options.pop(k) for k in _RUN_OPTIONS if k in options}
    cfg = DedupConfig.from_options(config, **options)
    options = run_options
    remove_numbers = cfg.remove_numbers
    user_on_error = options.get("on_error")
    if user_on_error is not None:
        # every round cleans the documents again: report a failing one once
        reported: set[str] = set()

        def once(failure: DocumentFailure) -> None:
            if failure.doc_id not in reported:
                reported.add(failure.doc_id)
                user_on_error(failure)

        options = {**options, "on_error": once}
    with _one_ray(options):
        return _rounds(documents, cfg, options, remove_numbers)


@contextmanager
def _one_ray(options: dict[str, Any]) -> Iterator[None]:
    """With ``engine="ray"`` and no Ray running in this process, one Ray for every
    round (joined or started here, shut down at the end), not one per round."""
    if options.get("engine") != "ray":
        yield
        return
    from ..engines.ray import connect

    started = connect(options.get("address"), num_cpus=options.get("num_cpus"))
    try:
        yield
    finally:
        if started:
            import ray

            ray.shutdown()


def _rounds(
    documents: list[Document],
    cfg: DedupConfig,
    options: dict[str, Any],
    remove_numbers: bool,
) -> DedupResult:
    """The rounds of :func:`deduplicate`: find, cut, until nothing is cut."""
    current = documents
    pieces = [[(0, len(d.text))] for d in documents]  # each text as pieces of the original
    removed: list[Removal] = []
    first: DuplicateReport | None = None
    rounds = 0
    for rounds in range(1, MAX_ROUNDS + 1):
        found = Found()
        if rounds == 2:
            options = {k: v for k, v in options.items() if k not in _FIRST_ROUND_ONLY}
        try:
            report = find_duplicates(current, cfg, _found=found, **options)
            if first is None:
                first = report
            cuts = _resolve(_plan(found, remove_numbers))
            if cuts:
                current, pieces = _apply(current, pieces, documents, cuts, removed, rounds)
        finally:  # the round's work folder (documents and shingles on disk) goes now
            if found.scratch is not None:
                found.scratch.close()
        if not cuts:
            break
    assert first is not None
    out = [replace(d, text=c.text) for d, c in zip(documents, current, strict=True)]
    return DedupResult(out, removed, first, rounds)


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


def _plan(found: Found, remove_numbers: bool) -> list[_Cut]:
    """Every cut the clusters call for: what of each copy a kept text holds.

    The copies of a cluster are taken best first (the keep policy's order).
    Each sentence of a copy is looked for in the kept copy, then in the copies
    taken before it that stay in the output, in part or whole (a cluster can
    join copies of different passages through a longer text that holds them
    all); whatever no kept text holds stays.
    """
    items = found.items
    regions = Regions(items)
    parts = found.parts
    cuts: list[_Cut] = []

    def locate(item: int, start: int, end: int) -> tuple[int, int, int]:
        """The raw span of a cleaned span of ``item``, in its whole input document."""
        it = items[item]
        rs, re_ = it.offsets.to_source(start, end)
        part = parts._parts.get(it.unit.doc_id) if parts is not None else None
        at = part.start if part is not None else 0
        return found.whole[it.order], rs + at, re_ + at

    def order(k: int, m: Member, ref: Ref) -> tuple[int, int, int]:
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
    holders: list[tuple[Ref, Region]], region: Region, ref: Ref, block: bool
) -> list[tuple[int, int, bool, int, list[tuple[int, int]]]]:
    """What of ``ref`` (a unit, or a passage of one) the ``holders`` hold, as cuts of
    whole sentences: ``(start, end, whole unit, holder, held spans)`` in cleaned
    coordinates.

    The whole unit when one holder holds every sentence of it; else each run of
    sentences one holder holds with :data:`PASSAGE_TOKENS` content characters
    or more (a table or list, ``block``, only whole).
    """
    sentences = [
        s for s in region.sentences if ref.whole or overlap_len(s[0], s[1], ref.start, ref.end)
    ]
    held: list[_Held | None] = []
    after = [0] * len(holders)  # where each holder's next sentence is looked for first
    for sentence in sentences:
        found = None
        for h, (href, holder) in enumerate(holders):
            if href.item == ref.item and overlap_len(
                sentence[0], sentence[1], holder.start, holder.end
            ):
                continue  # a text does not hold itself
            found = _hold(holder, region, sentence, after[h])
            if found is not None:
                if found != _PUNCTUATION:
                    found = (h, found[1], found[2])
                    after[h] = holder.chars_before(found[2])
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


def _hold(
    holder: Region, region: Region, sentence: tuple[int, int, int, int], after: int = 0
) -> _Held | None:
    """Where ``holder`` holds a sentence of ``region`` (``(0, start, end)``; looked
    for from character ``after`` of ``holder`` first), :data:`_PUNCTUATION` for a
    sentence with no words, or ``None``."""
    s, e, f, t = sentence
    chars = region.chars[f:t]
    if not chars:
        return _PUNCTUATION
    span = holder.hold(chars, Counter(numbers_in(region.text_of(s, e))), after, ends=True)
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
        if any(overlap_len(s, e, c.kept_start, c.kept_end) for s, e in made.get(c.kept_doc, [])):
            continue
        if any(overlap_len(s, e, c.start, c.end) for s, e in relied.get(c.doc, [])):
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
            if c is not r and overlap_len(c.start, c.end, r.kept_start, r.kept_end)
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
    content, toks = content_tokens(text, 0, len(text))
    return token_chars(toks.ids[content])


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
