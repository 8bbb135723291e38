"""Precision and recall of duplicate-paragraph pairs: textwash beside plain datasketch.

Usage:  python benchmarks/bench_dedup_quality.py [--seeds 0 1 2 3 4] [--sweep] [--margins]
                                                 [--errors] [--json OUT]

Runs on the labelled set of ``benchmarks/labelled/make_set.py`` (originals,
edited copies and hard-negative distractors shuffled into dump documents):

* **textwash**: ``textwash.find_duplicates(docs)`` at its defaults; a predicted
  pair is two members of one cluster, each member mapped to the paragraph it
  mostly coincides with (the overlap covers half of both; see
  ``LabelledSet.locate``);
* **datasketch baseline**: no cleaning, paragraphs split on blank lines, tokens
  from ``re.split(r"\\W+", text)`` (on Chinese each token is a whole clause),
  ``MinHash(num_perm=128)`` of the token set (``unigrams``) or of token 3-grams
  (``3-grams``), ``MinHashLSH(threshold=0.8)``; every LSH candidate pair is a
  predicted pair.

With several ``--seeds`` the counts are pooled over the sets before precision
and recall are computed.  ``--sweep`` also runs textwash over ``ngram`` ×
``threshold`` so its defaults can be judged; ``--margins`` prints the Jaccard
of textwash's shingles on the paragraphs as written (the ceiling of the
similarity test, without segmentation); ``--errors`` lists textwash's misses.
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

from make_set import EDIT_KINDS, LabelledSet, build  # noqa: E402

Pair = tuple[str, str]

#: The baseline's settings (the brief's "plain datasketch").
BASELINE_NUM_PERM = 128
BASELINE_THRESHOLD = 0.8
SWEEP_NGRAMS = (3, 4, 5, 6)
SWEEP_THRESHOLDS = (0.5, 0.6, 0.7, 0.8)

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
    return {
        name: p.default
        for name, p in inspect.signature(fn).parameters.items()
        if p.default is not inspect.Parameter.empty
    }


def _pairs_of(groups: Iterable[Iterable[str | None]]) -> set[Pair]:
    """Every unordered pair of distinct ids within each group (``None`` ids dropped)."""
    out: set[Pair] = set()
    for group in groups:
        ids = sorted({g for g in group if g is not None})
        out.update((a, b) for i, a in enumerate(ids) for b in ids[i + 1 :])
    return out


# -- the two detectors ----------------------------------------------------------------


def textwash_pairs(ls: LabelledSet, **options: Any) -> tuple[set[Pair], float]:
    """Pairs predicted by ``find_duplicates(ls.docs, **options)`` and the seconds it took."""
    fn = get_find_duplicates()
    if fn is None:
        raise RuntimeError("textwash.find_duplicates is not available yet")
    t = time.perf_counter()
    report = fn(ls.docs, **options)
    secs = time.perf_counter() - t
    groups = [
        [ls.locate(int(m.doc_id), m.start, m.end) for m in cluster.members]
        for cluster in report.clusters
    ]
    return _pairs_of(groups), secs


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


def baseline_pairs(
    ls: LabelledSet,
    *,
    ngram: int = 1,
    threshold: float = BASELINE_THRESHOLD,
    num_perm: int = BASELINE_NUM_PERM,
) -> tuple[set[Pair], float]:
    """Pairs predicted by plain datasketch MinHash-LSH over raw paragraphs, and the seconds."""
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
    groups = [[ls.locate(d, *spans[(d, k)]) for d, k in pair] for pair in candidates]
    return _pairs_of(groups), secs


# -- scoring ---------------------------------------------------------------------------


@dataclass
class Score:
    """Pair counts, pooled over one or more sets, and the recall by edit kind.

    ``alone[kind]`` counts original↔copy pairs whose copy has only that edit;
    ``any[kind]`` counts every true pair where either paragraph has that edit.
    Each is ``[true pairs, found]``.
    """

    tp: int = 0
    fp: int = 0
    fn: int = 0
    seconds: float = 0.0
    alone: dict[str, list[int]] = field(default_factory=lambda: {k: [0, 0] for k in EDIT_KINDS})
    any: dict[str, list[int]] = field(default_factory=lambda: {k: [0, 0] for k in EDIT_KINDS})
    false_positives: list[str] = field(default_factory=list)  # "seed:a~b"
    misses: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        """Share of predicted pairs that are true (1.0 when nothing was predicted)."""
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        """Share of true pairs that were predicted."""
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, ls: LabelledSet, predicted: set[Pair], seconds: float) -> None:
        """Score ``predicted`` against ``ls.truth`` and add the counts."""
        self.tp += len(predicted & ls.truth)
        self.fp += len(predicted - ls.truth)
        self.fn += len(ls.truth - predicted)
        self.seconds += seconds
        self.false_positives.extend(f"{ls.seed}:{a}~{b}" for a, b in sorted(predicted - ls.truth))
        self.misses.extend(f"{ls.seed}:{a}~{b}" for a, b in sorted(ls.truth - predicted))
        for pair in ls.truth:
            hit = int(pair in predicted)
            kinds = ls.pair_edits(pair)
            for k in kinds:
                self.any[k][0] += 1
                self.any[k][1] += hit
            roles = {ls.paragraphs[p].role for p in pair}
            if roles == {"original", "copy"} and len(kinds) == 1:
                (k,) = kinds
                self.alone[k][0] += 1
                self.alone[k][1] += hit

    def to_dict(self) -> dict[str, Any]:
        """Counts, rates and per-kind recall as plain data."""
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "seconds": round(self.seconds, 4),
            "recall_alone": {k: _rate(v) for k, v in self.alone.items()},
            "recall_any": {k: _rate(v) for k, v in self.any.items()},
            "pairs_alone": {k: v[0] for k, v in self.alone.items()},
            "pairs_any": {k: v[0] for k, v in self.any.items()},
            "false_positives": self.false_positives,
            "misses": self.misses,
        }


def _rate(v: Sequence[int]) -> float | None:
    return round(v[1] / v[0], 4) if v[0] else None


def score(ls: LabelledSet, predicted: set[Pair], seconds: float = 0.0) -> Score:
    """Score one set's predicted pairs."""
    s = Score()
    s.add(ls, predicted, seconds)
    return s


# -- running ---------------------------------------------------------------------------


Method = Callable[[LabelledSet], tuple[set[Pair], float]]


def methods(include_textwash: bool) -> dict[str, Method]:
    """The compared detectors, by the name shown in the table."""
    out: dict[str, Method] = {}
    if include_textwash:
        out["textwash `find_duplicates` (defaults)"] = lambda ls: textwash_pairs(ls)
    out["datasketch, clause unigrams"] = lambda ls: baseline_pairs(ls, ngram=1)
    out["datasketch, clause 3-grams"] = lambda ls: baseline_pairs(ls, ngram=3)
    return out


def warm_up(include_textwash: bool) -> None:
    """Load OpenCC, compile regexes and import datasketch before anything is timed."""
    ls = build(0, n_docs=2)
    if include_textwash:
        textwash_pairs(ls)
    baseline_pairs(ls)


def evaluate(sets: Sequence[LabelledSet], method: Method) -> Score:
    """Run ``method`` on every set and pool the scores."""
    total = Score()
    for ls in sets:
        predicted, secs = method(ls)
        total.add(ls, predicted, secs)
    return total


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}"


def results_table(scores: dict[str, Score]) -> str:
    """The main Markdown table: precision, recall, F1, counts and time per method."""
    rows = [
        "| method | precision % | recall % | F1 % | TP | FP | FN | seconds |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in scores.items():
        rows.append(
            f"| {name} | {_pct(s.precision)} | {_pct(s.recall)} | {_pct(s.f1)} "
            f"| {s.tp} | {s.fp} | {s.fn} | {s.seconds:.2f} |"
        )
    return "\n".join(rows)


def kinds_table(scores: dict[str, Score]) -> str:
    """Recall (%) per edit kind: copies with that edit alone, and every pair involving it."""
    names = list(scores)
    short = [
        n.split(" ")[0] if n.startswith("textwash") else n.replace("datasketch, ", "ds ")
        for n in names
    ]
    head = "| edit kind | pairs (alone) | " + " | ".join(f"{s} alone" for s in short)
    head += " | pairs (any) | " + " | ".join(f"{s} any" for s in short) + " |"
    rows = [head, "|---|" + "---:|" * (2 * len(names) + 2)]
    first = scores[names[0]]
    for k in EDIT_KINDS:
        alone = [_pct(_rate(scores[n].alone[k])) for n in names]
        anyk = [_pct(_rate(scores[n].any[k])) for n in names]
        rows.append(
            f"| `{k}` | {first.alone[k][0]} | "
            + " | ".join(alone)
            + f" | {first.any[k][0]} | "
            + " | ".join(anyk)
            + " |"
        )
    return "\n".join(rows)


def sweep(sets: Sequence[LabelledSet], defaults: dict[str, Any]) -> list[dict[str, Any]]:
    """textwash over ``SWEEP_NGRAMS`` × ``SWEEP_THRESHOLDS`` (other options at defaults)."""
    out = []
    for n in SWEEP_NGRAMS:
        for t in SWEEP_THRESHOLDS:
            s = evaluate(sets, partial(textwash_pairs, ngram=n, threshold=t))
            out.append(
                {
                    "ngram": n,
                    "threshold": t,
                    "default": n == defaults.get("ngram") and t == defaults.get("threshold"),
                    **{
                        k: v
                        for k, v in s.to_dict().items()
                        if k not in ("false_positives", "misses")
                    },
                }
            )
    return out


def sweep_table(rows: list[dict[str, Any]]) -> str:
    """The sweep as Markdown; the default setting is in bold."""
    out = [
        "| ngram | threshold | precision % | recall % | F1 % | FP | FN | seconds |",
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

    For each ``ngram``: the most similar pair that is *not* a duplicate, and the
    share of true pairs at or above each sweep threshold.  This separates the
    similarity measure from segmentation: a true pair below the threshold here
    is lost whatever the cleaning does.
    """
    from textwash.dedup.keys import shingles, tokenize

    rows = []
    for n in SWEEP_NGRAMS:
        true_sims: list[float] = []
        hardest = 0.0
        for ls in sets:
            ids = sorted(ls.paragraphs)
            sh = {i: shingles([t for t, _, _ in tokenize(ls.paragraphs[i].text)], n) for i in ids}
            for k, a in enumerate(ids):
                for b in ids[k + 1 :]:
                    inter = len(sh[a] & sh[b])
                    j = inter / (len(sh[a]) + len(sh[b]) - inter)
                    if (a, b) in ls.truth:
                        true_sims.append(j)
                    else:
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


def main(argv: list[str] | None = None) -> int:
    """Command line: build the sets, run the detectors, print Markdown tables."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0], help="sets to pool")
    ap.add_argument("--docs", type=int, default=8, help="dump documents per set")
    ap.add_argument("--sweep", action="store_true", help="textwash over ngram x threshold")
    ap.add_argument("--margins", action="store_true", help="shingle Jaccard of true/false pairs")
    ap.add_argument("--errors", action="store_true", help="list textwash's FPs and misses")
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
    print(results_table(scores))
    print()
    print("Recall (%) by edit kind. *alone*: original ↔ copy pairs whose copy has only that")
    print("edit; *any*: every true pair in which either paragraph carries that edit.")
    print()
    print(kinds_table(scores))
    print()
    if args.errors and has_textwash:
        tw = next(iter(scores.values()))
        for label, pairs in (("false positives", tw.false_positives), ("misses", tw.misses)):
            print(f"textwash {label} ({len(pairs)}):")
            by_seed = {ls.seed: ls for ls in sets}
            for p in pairs:
                seed, ids = p.split(":")
                a, b = ids.split("~")
                ls = by_seed[int(seed)]
                ea, eb = ls.paragraphs[a].edits, ls.paragraphs[b].edits
                print(f"  seed {seed}: {a} {list(ea)} ~ {b} {list(eb)}")
            print()

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
    return 0


if __name__ == "__main__":
    sys.exit(main())
