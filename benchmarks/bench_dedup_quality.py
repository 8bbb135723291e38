"""Precision and recall of duplicate-paragraph links: textwash beside plain datasketch.

Usage:  python benchmarks/bench_dedup_quality.py [--seeds 0 1 2 3 4] [--sweep] [--margins]
                                                 [--errors] [--json OUT] [--floors]

Runs on the labelled set of ``benchmarks/labelled/make_set.py`` (originals,
damaged copies and hard-negative distractors shuffled into dump documents):

* **textwash**: ``textwash.find_duplicates(docs)`` at its defaults; every
  cluster is a list of member spans (whole units, or passages found inside
  longer units).  Clusters and members labelled as something other than a copy
  (:data:`NOT_COPIES`, e.g. ``numbers``: same wording, other values) make no link;
* **datasketch baseline**: no cleaning, paragraphs split on blank lines, tokens
  from ``re.split(r"\\W+", text)`` (on Chinese each token is a whole clause),
  ``MinHash(num_perm=128)`` of the token set (``unigrams``) or of token 3-grams
  (``3-grams``), ``MinHashLSH(threshold=0.8)``; every LSH candidate pair is a
  cluster of two.

Scoring (:class:`Links`, :class:`Score`).  A member span *touches* the paragraph
that holds at least half of it; a cluster links every two paragraphs it
touches, and each pair is covered by the spans of the clusters touching both:

* a **copy link** covers :data:`PASSAGE` (half) of both paragraphs or more: the
  report says they are copies.  **Precision** is the share of copy links (and
  of any links between true pairs) that are true pairs;
* a **passage report** covers less of one paragraph: a passage of it was found
  in the other (a heading repeated inside a sentence, a sentence two texts
  share).  It claims no copy and is not a false link; it is counted apart,
  and apart again when the two paragraphs share a sentence as written
  (``LabelledSet.related``: an inserted sentence and its original, a
  distractor opening with an original's first sentence).  What matters for a
  passage is whether ``deduplicate`` cuts it: the characters it cuts from each
  kind of paragraph are counted too (textwash only);
* a true pair is **found** when the clusters touching it cover :data:`COVER` of
  each paragraph, or as much of it as the other's length allows (a copy with a
  sentence deleted holds only part of its original).  A copy split in two by a
  wrap after ``。`` is found only when both halves are linked.  **Recall** is the
  share of true pairs found.

Recall is broken down by edit kind (*any*: every true pair in which either
paragraph carries the edit; *alone*: original ↔ copy pairs whose copy has only
that edit), precision by the kind of paragraph a false link touches
(:data:`PARAGRAPH_KINDS`): for each kind ``K``, ``TP / (TP + false links
touching K)``, the precision on the copies and the ``K`` distractors alone.
With several ``--seeds`` the counts are pooled over the sets before rates are
computed.

``--sweep`` also runs textwash over ``ngram`` × ``threshold``; ``--margins``
prints the Jaccard of textwash's shingles on the paragraphs as written;
``--errors`` lists textwash's misses and false links; ``--floors`` exits 1 when
textwash misses a floor of :data:`FLOORS`.
"""

from __future__ import annotations

import argparse
import inspect
import json
import platform
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks" / "labelled"))

from make_set import DISTRACTOR_KINDS, EDIT_KINDS, ISSUE16_KINDS, LabelledSet, build  # noqa: E402

Pair = tuple[str, str]
Span = tuple[int, int, int]  # (doc, start, end)
Clusters = list[list[Span]]

#: The baseline's settings (the brief's "plain datasketch").
BASELINE_NUM_PERM = 128
BASELINE_THRESHOLD = 0.8
SWEEP_NGRAMS = (3, 4, 5, 6)
SWEEP_THRESHOLDS = (0.5, 0.6, 0.7, 0.8)
#: A true pair is found when the clusters linking it cover this share of each paragraph.
COVER = 0.7
#: A link in which one paragraph is covered less than this is a passage inside it.
PASSAGE = 0.5
#: Cluster kinds and member measures that report a likeness, not a copy.
NOT_COPIES = frozenset({"numbers"})
#: The kinds of paragraph precision is broken down by: ``copies`` (a false link
#: between originals and copies of different groups) and each distractor kind.
PARAGRAPH_KINDS: tuple[str, ...] = ("copies", *DISTRACTOR_KINDS)
#: What textwash must reach, pooled over the seeds: precision overall and on each
#: issue-16 distractor kind, recall overall and for each edit kind (``any``).
FLOORS = {"precision": 0.995, "recall": 0.97, "recall_per_kind": 0.95, "precision_issue16": 0.995}

_BLANK_LINES = re.compile(r"\n[ \t\u3000]*\n\s*")


def get_find_duplicates() -> Callable[..., Any] | None:
    """``textwash.find_duplicates``, or ``None`` while it does not exist yet."""
    try:
        import textwash
    except ImportError:  # pragma: no cover - the package is installed editable
        return None
    fn = getattr(textwash, "find_duplicates", None)
    if fn is None:
        try:
            from textwash import dedup
        except ImportError:
            return None
        fn = getattr(dedup, "find_duplicates", None)
    return fn if callable(fn) else None


def textwash_defaults() -> dict[str, Any]:
    """The defaults of ``find_duplicates``'s keyword parameters (empty if it is missing)."""
    fn = get_find_duplicates()
    if fn is None:
        return {}
    try:
        from textwash.dedup.config import DedupConfig
    except ImportError:  # before DedupConfig: the keyword defaults of the signature
        return {
            name: p.default
            for name, p in inspect.signature(fn).parameters.items()
            if p.default is not inspect.Parameter.empty
        }
    config = DedupConfig()
    return {**config.params(), "threshold": config.near_threshold}


# -- the two detectors ----------------------------------------------------------------


def textwash_clusters(ls: LabelledSet, **options: Any) -> tuple[Clusters, float]:
    """The copy clusters of ``find_duplicates(ls.docs, **options)`` and the seconds it took.

    Clusters whose kind, and members whose measure, is in :data:`NOT_COPIES`
    are left out.
    """
    fn = get_find_duplicates()
    if fn is None:
        raise RuntimeError("textwash.find_duplicates is not available yet")
    t = time.perf_counter()
    report = fn(ls.docs, **options)
    secs = time.perf_counter() - t
    out: Clusters = []
    for cluster in report.clusters:
        if cluster.kind in NOT_COPIES:
            continue
        spans = [
            (int(m.doc_id), m.start, m.end)
            for m in cluster.members
            if getattr(m, "measure", None) not in NOT_COPIES
            and getattr(m, "link", None) not in NOT_COPIES
        ]
        if len(spans) > 1:
            out.append(spans)
    return out, secs


def textwash_cuts(ls: LabelledSet) -> dict[str, int]:
    """Characters ``textwash.deduplicate(ls.docs)`` cuts from the paragraphs of each kind.

    For distractors this should be nothing but sentences they share with
    another paragraph as written (``LabelledSet.related``).
    """
    import textwash

    out = dict.fromkeys(PARAGRAPH_KINDS, 0)
    for r in textwash.deduplicate(ls.docs).removed:
        doc = int(r.doc_id)
        for p in ls.paragraphs.values():
            if p.doc == doc and p.start < r.end and r.start < p.end:
                kind = "copies" if p.role != "distractor" else p.kind
                out[kind] += min(r.end, p.end) - max(r.start, p.start)
    return out


def split_paragraphs(doc: str) -> list[tuple[int, int]]:
    """Spans of the blank-line separated paragraphs of ``doc`` (no other cleaning)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _BLANK_LINES.finditer(doc):
        if doc[pos : m.start()].strip():
            spans.append((pos, m.start()))
        pos = m.end()
    if doc[pos:].strip():
        spans.append((pos, len(doc)))
    return spans


def baseline_features(text: str, ngram: int = 1) -> set[str]:
    """Word tokens from ``re.split(r"\\W+")`` (clauses, on Chinese), as a set of ``ngram``-grams."""
    tokens = [t for t in re.split(r"\W+", text) if t]
    if ngram <= 1 or len(tokens) <= ngram:
        return {" ".join(tokens)} if ngram > 1 and tokens else set(tokens)
    return {" ".join(tokens[i : i + ngram]) for i in range(len(tokens) - ngram + 1)}


def baseline_clusters(
    ls: LabelledSet,
    *,
    ngram: int = 1,
    threshold: float = BASELINE_THRESHOLD,
    num_perm: int = BASELINE_NUM_PERM,
) -> tuple[Clusters, float]:
    """Plain datasketch MinHash-LSH over raw paragraphs: each candidate pair a cluster."""
    from datasketch import MinHash, MinHashLSH

    t = time.perf_counter()
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    sigs: dict[tuple[int, int], Any] = {}
    spans: dict[tuple[int, int], tuple[int, int]] = {}
    for d, doc in enumerate(ls.docs):
        for k, (start, end) in enumerate(split_paragraphs(doc)):
            feats = baseline_features(doc[start:end], ngram)
            if not feats:
                continue
            m = MinHash(num_perm=num_perm)
            m.update_batch([f.encode("utf-8") for f in sorted(feats)])
            lsh.insert((d, k), m)
            sigs[(d, k)] = m
            spans[(d, k)] = (start, end)
    candidates = {
        (min(key, other), max(key, other))
        for key, m in sigs.items()
        for other in lsh.query(m)
        if other != key
    }
    secs = time.perf_counter() - t
    clusters = [[(d, *spans[(d, k)]) for d, k in pair] for pair in sorted(candidates)]
    return clusters, secs


# -- scoring ---------------------------------------------------------------------------


def _covered(spans: Iterable[tuple[int, int]]) -> int:
    """Characters covered by the union of ``spans``."""
    total, reach = 0, -1
    for s, e in sorted(spans):
        if e <= reach:
            continue
        total += e - max(s, reach)
        reach = e
    return total


@dataclass
class Links:
    """What a detector's clusters say about the pairs of paragraphs (see the module doc).

    ``links``: copy links, pairs whose paragraphs are both covered :data:`PASSAGE`
    or more (and every true pair linked at all); ``found``: true pairs covered
    enough to count as found; ``passages``: a passage of one paragraph found in
    another, unrelated one; ``shared``: the same between paragraphs that share a
    written sentence.
    """

    links: set[Pair] = field(default_factory=set)
    found: set[Pair] = field(default_factory=set)
    passages: set[Pair] = field(default_factory=set)
    shared: set[Pair] = field(default_factory=set)


def links_and_found(ls: LabelledSet, clusters: Clusters) -> Links:
    """Score ``clusters`` pair by pair (see :class:`Links`)."""
    # for each pair (a, b) touched by one cluster: the spans, clipped to each,
    # of all the clusters touching both
    cover: dict[Pair, tuple[list[tuple[int, int]], list[tuple[int, int]]]] = {}
    for cluster in clusters:
        inside: dict[str, list[tuple[int, int]]] = {}
        for doc, start, end in cluster:
            pid = ls.holder(doc, start, end)
            if pid is None:
                continue
            p = ls.paragraphs[pid]
            inside.setdefault(pid, []).append((max(start, p.start), min(end, p.end)))
        ids = sorted(inside)
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                ca, cb = cover.setdefault((a, b), ([], []))
                ca.extend(inside[a])
                cb.extend(inside[b])
    out = Links()
    for pair, (spans_a, spans_b) in cover.items():
        pa, pb = ls.paragraphs[pair[0]], ls.paragraphs[pair[1]]
        len_a, len_b = max(1, pa.end - pa.start), max(1, pb.end - pb.start)
        share_a, share_b = _covered(spans_a) / len_a, _covered(spans_b) / len_b
        if pair in ls.truth:
            out.links.add(pair)
            # each must be covered as far as the other can hold it (a copy with a
            # sentence deleted holds only part of its original)
            if share_a >= COVER * min(1.0, len_b / len_a) and share_b >= COVER * min(
                1.0, len_a / len_b
            ):
                out.found.add(pair)
        elif min(share_a, share_b) >= PASSAGE:
            out.links.add(pair)
        elif pair in ls.related:
            out.shared.add(pair)
        else:
            out.passages.add(pair)
    return out


def link_kinds(ls: LabelledSet, pair: Pair) -> set[str]:
    """The :data:`PARAGRAPH_KINDS` a link touches."""
    kinds = {ls.paragraphs[p].kind for p in pair}
    out = kinds & set(DISTRACTOR_KINDS)
    if kinds <= {"original", "copy"}:
        out.add("copies")
    return out


def _new_counts(keys: Iterable[str]) -> dict[str, list[int]]:
    return {k: [0, 0] for k in keys}


@dataclass
class Score:
    """Link and pair counts, pooled over one or more sets, by edit and paragraph kind.

    ``tp``/``fp``: true and false links; ``shared``: links of a sentence two
    related paragraphs share (neither); ``found``/``truth``: true pairs found
    and all true pairs.  ``alone[kind]`` counts original ↔ copy pairs whose copy
    has only that edit, ``any[kind]`` every true pair where either paragraph
    has it; each is ``[true pairs, found]``.  ``false_by_kind[kind]`` counts the
    false links touching a paragraph of that kind, ``paragraphs_by_kind[kind]``
    the paragraphs of that kind.
    """

    tp: int = 0
    fp: int = 0
    shared: int = 0
    passages: int = 0
    found: int = 0
    truth: int = 0
    seconds: float = 0.0
    alone: dict[str, list[int]] = field(default_factory=lambda: _new_counts(EDIT_KINDS))
    any: dict[str, list[int]] = field(default_factory=lambda: _new_counts(EDIT_KINDS))
    false_by_kind: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PARAGRAPH_KINDS, 0))
    passages_by_kind: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(PARAGRAPH_KINDS, 0)
    )
    cut_by_kind: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PARAGRAPH_KINDS, 0))
    paragraphs_by_kind: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(PARAGRAPH_KINDS, 0)
    )
    false_positives: list[str] = field(default_factory=list)  # "seed:a~b"
    misses: list[str] = field(default_factory=list)

    @property
    def fn(self) -> int:
        """True pairs not found."""
        return self.truth - self.found

    @property
    def precision(self) -> float:
        """Share of links that are true pairs (1.0 when nothing was linked)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """Share of true pairs found."""
        return self.found / self.truth if self.truth else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def precision_of(self, kind: str) -> float:
        """``TP / (TP + false links touching kind)``: the precision on the copies and that kind."""
        wrong = self.false_by_kind[kind]
        return self.tp / (self.tp + wrong) if self.tp + wrong else 1.0

    def add(self, ls: LabelledSet, clusters: Clusters, seconds: float) -> None:
        """Score ``clusters`` against ``ls.truth`` and add the counts."""
        scored = links_and_found(ls, clusters)
        links, found = scored.links, scored.found
        self.shared += len(scored.shared)
        self.passages += len(scored.passages)
        for pair in scored.passages:
            for k in link_kinds(ls, pair):
                self.passages_by_kind[k] += 1
        self.tp += len(links & ls.truth)
        self.fp += len(links - ls.truth)
        self.found += len(found)
        self.truth += len(ls.truth)
        self.seconds += seconds
        for p in ls.paragraphs.values():
            kind = "copies" if p.role != "distractor" else p.kind
            self.paragraphs_by_kind[kind] += 1
        for a, b in sorted(links - ls.truth):
            self.false_positives.append(f"{ls.seed}:{a}~{b}")
            for k in link_kinds(ls, (a, b)):
                self.false_by_kind[k] += 1
        self.misses.extend(f"{ls.seed}:{a}~{b}" for a, b in sorted(ls.truth - found))
        for pair in ls.truth:
            hit = int(pair in found)
            kinds = ls.pair_edits(pair)
            for k in kinds:
                self.any[k][0] += 1
                self.any[k][1] += hit
            roles = {ls.paragraphs[p].role for p in pair}
            if roles == {"original", "copy"} and len(kinds) == 1:
                (k,) = kinds
                self.alone[k][0] += 1
                self.alone[k][1] += hit

    def floors(self) -> list[str]:
        """The :data:`FLOORS` this score misses (empty when it reaches them all)."""
        missed = []
        if self.precision < FLOORS["precision"]:
            missed.append(f"precision {_pct(self.precision)}")
        if self.recall < FLOORS["recall"]:
            missed.append(f"recall {_pct(self.recall)}")
        for k, (n, hit) in self.any.items():
            if n and hit / n < FLOORS["recall_per_kind"]:
                missed.append(f"recall {k} {_pct(hit / n)}")
        for k in ISSUE16_KINDS:
            if self.precision_of(k) < FLOORS["precision_issue16"]:
                missed.append(f"precision {k} {_pct(self.precision_of(k))}")
        return missed

    def to_dict(self) -> dict[str, Any]:
        """Counts, rates and per-kind rates as plain data."""
        return {
            "tp": self.tp,
            "fp": self.fp,
            "shared_sentence_links": self.shared,
            "passages_reported": self.passages,
            "passages_by_kind": dict(self.passages_by_kind),
            "chars_cut_by_kind": dict(self.cut_by_kind),
            "found": self.found,
            "fn": self.fn,
            "truth": self.truth,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "seconds": round(self.seconds, 4),
            "recall_alone": {k: _rate(v) for k, v in self.alone.items()},
            "recall_any": {k: _rate(v) for k, v in self.any.items()},
            "pairs_alone": {k: v[0] for k, v in self.alone.items()},
            "pairs_any": {k: v[0] for k, v in self.any.items()},
            "false_links_by_kind": dict(self.false_by_kind),
            "precision_by_kind": {k: round(self.precision_of(k), 4) for k in PARAGRAPH_KINDS},
            "paragraphs_by_kind": dict(self.paragraphs_by_kind),
            "floors_missed": self.floors(),
            "false_positives": self.false_positives,
            "misses": self.misses,
        }


def _rate(v: Sequence[int]) -> float | None:
    return round(v[1] / v[0], 4) if v[0] else None


def score(ls: LabelledSet, clusters: Clusters, seconds: float = 0.0) -> Score:
    """Score one set's clusters."""
    s = Score()
    s.add(ls, clusters, seconds)
    return s


def pairs_of(clusters: Clusters, ls: LabelledSet) -> set[Pair]:
    """The links of ``clusters`` (pairs of paragraphs touched by one cluster)."""
    return links_and_found(ls, clusters).links


# -- running ---------------------------------------------------------------------------


Method = Callable[[LabelledSet], tuple[Clusters, float]]
TEXTWASH = "textwash `find_duplicates` (defaults)"


def methods(include_textwash: bool) -> dict[str, Method]:
    """The compared detectors, by the name shown in the table."""
    out: dict[str, Method] = {}
    if include_textwash:
        out[TEXTWASH] = lambda ls: textwash_clusters(ls)
    out["datasketch, clause unigrams"] = lambda ls: baseline_clusters(ls, ngram=1)
    out["datasketch, clause 3-grams"] = lambda ls: baseline_clusters(ls, ngram=3)
    return out


def warm_up(include_textwash: bool) -> None:
    """Load OpenCC, compile regexes and import datasketch before anything is timed."""
    ls = build(0, n_docs=2)
    if include_textwash:
        textwash_clusters(ls)
    baseline_clusters(ls)


def evaluate(sets: Sequence[LabelledSet], method: Method) -> Score:
    """Run ``method`` on every set and pool the scores."""
    total = Score()
    for ls in sets:
        clusters, secs = method(ls)
        total.add(ls, clusters, secs)
    return total


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}"


def _short(name: str) -> str:
    return (
        name.split(" ")[0] if name.startswith("textwash") else name.replace("datasketch, ", "ds ")
    )


def results_table(scores: dict[str, Score]) -> str:
    """The main Markdown table: precision, recall, F1, counts and time per method."""
    rows = [
        "| method | precision % | recall % | F1 % | true links | false links "
        "| passages reported | shared-sentence passages | pairs missed | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in scores.items():
        rows.append(
            f"| {name} | {_pct(s.precision)} | {_pct(s.recall)} | {_pct(s.f1)} "
            f"| {s.tp} | {s.fp} | {s.passages} | {s.shared} | {s.fn} | {s.seconds:.2f} |"
        )
    return "\n".join(rows)


def kinds_table(scores: dict[str, Score]) -> str:
    """Recall (%) per edit kind: every pair involving it, and copies with that edit alone."""
    names = list(scores)
    short = [_short(n) for n in names]
    head = "| edit kind | pairs (any) | " + " | ".join(f"{s} any" for s in short)
    head += " | pairs (alone) | " + " | ".join(f"{s} alone" for s in short) + " |"
    rows = [head, "|---|" + "---:|" * (2 * len(names) + 2)]
    first = scores[names[0]]
    for k in EDIT_KINDS:
        anyk = [_pct(_rate(scores[n].any[k])) for n in names]
        alone = [_pct(_rate(scores[n].alone[k])) for n in names]
        rows.append(
            f"| `{k}` | {first.any[k][0]} | "
            + " | ".join(anyk)
            + f" | {first.alone[k][0]} | "
            + " | ".join(alone)
            + " |"
        )
    return "\n".join(rows)


def precision_table(scores: dict[str, Score]) -> str:
    """Precision (%) per kind of paragraph a false link touches, with the false links,
    the passages reported and (textwash) the characters ``deduplicate`` cut."""
    names = list(scores)
    short = [_short(n) for n in names]
    head = "| paragraphs | count | " + " | ".join(
        f"{s} precision | {s} false links | {s} passages" for s in short
    )
    rows = [
        head + " | textwash chars cut |",
        "|---|---:|" + "---:|---:|---:|" * len(names) + "---:|",
    ]
    first = scores[names[0]]
    for k in PARAGRAPH_KINDS:
        cells = " | ".join(
            f"{_pct(scores[n].precision_of(k))} | {scores[n].false_by_kind[k]} "
            f"| {scores[n].passages_by_kind[k]}"
            for n in names
        )
        label = "originals and copies" if k == "copies" else f"`{k}`"
        cut = scores[TEXTWASH].cut_by_kind[k] if TEXTWASH in scores else 0
        rows.append(f"| {label} | {first.paragraphs_by_kind[k]} | {cells} | {cut} |")
    return "\n".join(rows)


def sweep(sets: Sequence[LabelledSet], defaults: dict[str, Any]) -> list[dict[str, Any]]:
    """textwash over ``SWEEP_NGRAMS`` × ``SWEEP_THRESHOLDS`` (other options at defaults)."""
    out = []
    for n in SWEEP_NGRAMS:
        for t in SWEEP_THRESHOLDS:
            s = evaluate(sets, partial(textwash_clusters, ngram=n, threshold=t))
            out.append(
                {
                    "ngram": n,
                    "threshold": t,
                    "default": n == defaults.get("ngram") and t == defaults.get("threshold"),
                    **{
                        k: v
                        for k, v in s.to_dict().items()
                        if k in ("tp", "fp", "fn", "precision", "recall", "f1", "seconds")
                    },
                }
            )
    return out


def sweep_table(rows: list[dict[str, Any]]) -> str:
    """The sweep as Markdown; the default setting is in bold."""
    out = [
        "| ngram | threshold | precision % | recall % | F1 % | false links | missed | seconds |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        b = "**" if r["default"] else ""
        out.append(
            f"| {b}{r['ngram']}{b} | {b}{r['threshold']}{b} | {_pct(r['precision'])} "
            f"| {_pct(r['recall'])} | {_pct(r['f1'])} | {r['fp']} | {r['fn']} "
            f"| {r['seconds']:.2f} |"
        )
    return "\n".join(out)


def margins(sets: Sequence[LabelledSet]) -> list[dict[str, Any]]:
    """Jaccard of textwash's shingles on the paragraphs as written (no segmentation).

    For each ``ngram``: the most similar pair that is *not* a duplicate (the
    variants of one ``numbers`` or ``table_cells`` template left out: they are
    the same tokens once numbers fold), and the share of true pairs at or above
    each sweep threshold.  A true pair below the threshold here is lost to the
    Jaccard test whatever the cleaning does.
    """
    from textwash.dedup.keys import shingles, tokenize

    rows = []
    for n in SWEEP_NGRAMS:
        true_sims: list[float] = []
        hardest = 0.0
        for ls in sets:
            ids = sorted(ls.paragraphs)
            sh = {i: shingles([t for t, _, _ in tokenize(ls.paragraphs[i].text)], n) for i in ids}
            fam = {i: ls.paragraphs[i].family for i in ids}
            for k, a in enumerate(ids):
                for b in ids[k + 1 :]:
                    inter = len(sh[a] & sh[b])
                    j = inter / (len(sh[a]) + len(sh[b]) - inter)
                    if (a, b) in ls.truth:
                        true_sims.append(j)
                    elif fam[a] is None or fam[a] != fam[b]:
                        hardest = max(hardest, j)
        true_sims.sort()
        rows.append(
            {
                "ngram": n,
                "hardest_negative": round(hardest, 4),
                "true_pairs": len(true_sims),
                "true_median": round(true_sims[len(true_sims) // 2], 4),
                "true_at_or_above": {
                    str(t): round(sum(j >= t for j in true_sims) / len(true_sims), 4)
                    for t in SWEEP_THRESHOLDS
                },
            }
        )
    return rows


def margins_table(rows: list[dict[str, Any]]) -> str:
    """The margins as Markdown."""
    head = "| ngram | hardest non-duplicate | true-pair median | "
    head += " | ".join(f"true ≥ {t} %" for t in SWEEP_THRESHOLDS) + " |"
    out = [head, "|---:|---:|---:|" + "---:|" * len(SWEEP_THRESHOLDS)]
    for r in rows:
        shares = " | ".join(_pct(v) for v in r["true_at_or_above"].values())
        out.append(
            f"| {r['ngram']} | {r['hardest_negative']:.3f} | {r['true_median']:.3f} | {shares} |"
        )
    return "\n".join(out)


def _describe(ls: LabelledSet) -> str:
    return ", ".join(f"{k} {v}" for k, v in ls.counts().items())


def _errors(score_: Score, sets: Sequence[LabelledSet]) -> str:
    by_seed = {ls.seed: ls for ls in sets}
    lines = []
    for label, pairs in (("false links", score_.false_positives), ("misses", score_.misses)):
        lines.append(f"textwash {label} ({len(pairs)}):")
        for p in pairs:
            seed, ids = p.split(":")
            a, b = ids.split("~")
            ls = by_seed[int(seed)]
            pa, pb = ls.paragraphs[a], ls.paragraphs[b]
            ka = list(pa.edits) or pa.kind
            kb = list(pb.edits) or pb.kind
            lines.append(f"  seed {seed}: {a} {ka} ~ {b} {kb}")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: build the sets, run the detectors, print Markdown tables."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0], help="sets to pool")
    ap.add_argument("--docs", type=int, default=8, help="dump documents per set")
    ap.add_argument("--sweep", action="store_true", help="textwash over ngram x threshold")
    ap.add_argument("--margins", action="store_true", help="shingle Jaccard of true/false pairs")
    ap.add_argument("--errors", action="store_true", help="list textwash's FPs and misses")
    ap.add_argument("--floors", action="store_true", help="exit 1 when textwash misses a floor")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)

    has_textwash = get_find_duplicates() is not None
    defaults = textwash_defaults()
    sets = [build(s, n_docs=args.docs) for s in args.seeds]
    import textwash

    print(f"labelled sets, seeds {args.seeds}:")
    for ls in sets:
        print(f"  seed {ls.seed}: {_describe(ls)}")
    print(f"python {platform.python_version()}, textwash {textwash.__version__}")
    if has_textwash:
        shown = {
            k: defaults[k] for k in ("unit", "ngram", "threshold", "num_perm") if k in defaults
        }
        print(f"textwash defaults: {shown}")
    else:
        print("textwash.find_duplicates is not available yet: baseline only")
    print()

    warm_up(has_textwash)
    scores = {name: evaluate(sets, m) for name, m in methods(has_textwash).items()}
    if has_textwash:
        for ls in sets:
            for k, n in textwash_cuts(ls).items():
                scores[TEXTWASH].cut_by_kind[k] += n
    print(results_table(scores))
    print()
    print("Recall (%) by edit kind. *any*: every true pair in which either paragraph carries")
    print("that edit; *alone*: original ↔ copy pairs whose copy has only that edit.")
    print()
    print(kinds_table(scores))
    print()
    print("Precision (%) by kind of paragraph: TP / (TP + false links touching that kind).")
    print()
    print(precision_table(scores))
    print()
    missed: list[str] = []
    if has_textwash:
        missed = scores[TEXTWASH].floors()
        print("floors:", "all reached" if not missed else "missed: " + "; ".join(missed))
        print()
    if args.errors and has_textwash:
        print(_errors(scores[TEXTWASH], sets))

    results: dict[str, Any] = {
        "seeds": args.seeds,
        "docs": args.docs,
        "sets": [ls.counts() for ls in sets],
        "textwash_defaults": {k: v for k, v in defaults.items() if k != "pipeline"},
        "methods": {name: s.to_dict() for name, s in scores.items()},
    }
    if args.sweep and has_textwash:
        rows = sweep(sets, defaults)
        print(f"textwash sweep (other options at defaults), seeds {args.seeds}:")
        print()
        print(sweep_table(rows))
        results["sweep"] = rows
    if args.margins and has_textwash:
        rows = margins(sets)
        print()
        print("Jaccard of textwash shingles on the paragraphs as written (no segmentation):")
        print()
        print(margins_table(rows))
        results["margins"] = rows
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(results, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8"
        )
    return 1 if args.floors and missed else 0


if __name__ == "__main__":
    sys.exit(main())
