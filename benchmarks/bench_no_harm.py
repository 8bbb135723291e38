"""Do no harm: how many already-correct samples each preset leaves byte for byte unchanged.

Usage:  python benchmarks/bench_no_harm.py [--verbose] [--json PATH] [--category NAME ...]
                                          [--preset NAME ...] [--all-presets] [--src DIR]
                                          [--strict]

Reads the corpus in tests/data/noharm/ (one file per category, samples
separated by header lines ``===== sample-id``; see tests/data/noharm/README.md),
cleans every sample with every preset meant for its category (``# presets:``
in the file's preamble; ``--all-presets`` runs every preset on every category)
and prints, as Markdown:

* a table of samples unchanged / total per category and preset;
* for every changed sample, the first differing block of lines (before -> after)
  and the steps that edited it (from ``Pipeline.explain``); ``--verbose`` prints
  the whole line diff instead.

``--json PATH`` also writes every result.  ``--src DIR`` imports textwash from
another source folder, e.g. to measure a committed revision:

    git archive HEAD src | tar -x -C /tmp/head
    python benchmarks/bench_no_harm.py --src /tmp/head/src

``--strict`` exits with status 1 when any sample was changed.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "noharm"
HEADER = re.compile(r"^===== ([a-z0-9][a-z0-9_.-]*)$")
DEFAULT_PRESETS = ("zh", "minimal")
PRESET_ORDER = ("zh", "zh-hant", "minimal")
SHOWN = 70  # characters of a line shown around the first difference


@dataclass
class Category:
    name: str
    presets: list[str]
    samples: dict[str, str]


@dataclass
class SampleResult:
    sample: str
    changed: bool
    error: str | None = None
    line: int | None = None  # 1-based line of the first difference in the sample
    before: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    diff: list[str] = field(default_factory=list)


def load_category(path: Path) -> Category:
    """Parse one corpus file: preamble (``# presets: ...``), then ``===== id`` samples."""
    presets = list(DEFAULT_PRESETS)
    samples: dict[str, str] = {}
    name: str | None = None
    lines: list[str] = []
    for line in [*path.read_text(encoding="utf-8").split("\n"), "===== end-of-file"]:
        m = HEADER.match(line)
        if m:
            if name is not None:
                while lines and lines[-1] == "":
                    lines.pop()
                while lines and lines[0] == "":
                    lines.pop(0)
                if name in samples:
                    raise ValueError(f"{path.name}: sample id {name!r} appears twice")
                samples[name] = "\n".join(lines) + "\n"
            name, lines = m.group(1), []
        elif name is None:
            if line.startswith("# presets:"):
                presets = line.split(":", 1)[1].split()
        else:
            lines.append(line)
    return Category(path.stem, presets, samples)


def load_corpus(folder: Path) -> list[Category]:
    return [load_category(p) for p in sorted(folder.glob("*.txt"))]


def visible(s: str) -> str:
    """A line with the blanks that are hard to see written as escapes."""
    if s == "":
        return "(blank line)"
    return s.replace("\t", "\\t").replace("\u3000", "\\u3000").replace("\u00a0", "\\xa0")


def clip(s: str, at: int) -> str:
    """``s`` cut to about SHOWN characters around position ``at``."""
    if len(s) <= SHOWN:
        return s
    start = max(0, min(at - SHOWN // 3, len(s) - SHOWN))
    end = start + SHOWN
    return ("…" if start else "") + s[start:end] + ("…" if end < len(s) else "")


def first_difference(a: list[str], b: list[str]) -> tuple[int, list[str], list[str]]:
    """The first non-equal block of two line lists: 1-based line in ``a``, old and new lines."""
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            return i1 + 1, a[i1:i2], b[j1:j2]
    return 0, [], []


def shorten(old: list[str], new: list[str], most: int = 3) -> tuple[list[str], list[str]]:
    """Up to ``most`` lines of each side, clipped around the first differing character."""
    old, new = old[:most], new[:most]
    at = 0
    if old and new:
        x, y = old[0], new[0]
        while at < min(len(x), len(y)) and x[at] == y[at]:
            at += 1
    return [visible(clip(s, at)) for s in old], [visible(clip(s, at)) for s in new]


def steps_that_edit(pipeline, text: str) -> list[str]:
    """Names of the pipeline steps that made at least one real edit, in order."""
    try:
        edits = pipeline.explain(text)
    except Exception as err:  # explain is diagnostics only: never fail the benchmark
        return [f"(explain failed: {type(err).__name__})"]
    names: list[str] = []
    for e in edits:
        if e.old != e.new and not e.step.startswith("protect:") and e.step not in names:
            names.append(e.step)
    return names


def run_sample(textwash, preset: str, sample: str, text: str) -> SampleResult:
    try:
        out = textwash.clean(text, preset)
    except Exception as err:
        return SampleResult(sample, True, error=f"{type(err).__name__}: {err}")
    if out == text:
        return SampleResult(sample, False)
    a, b = text.split("\n"), out.split("\n")
    line, old, new = first_difference(a, b)
    before, after = shorten(old, new)
    diff = [
        d if d.startswith("@@") else d[0] + visible(d[1:])
        for d in list(difflib.unified_diff(a, b, n=0, lineterm=""))[2:]  # no ---/+++ header
    ]
    steps = steps_that_edit(textwash.get_preset(preset), text)
    return SampleResult(sample, True, None, line, before, after, steps, diff)


def fence(lines: list[str]) -> list[str]:
    return ["````diff", *lines, "````"]


def report(results: dict[str, dict[str, list[SampleResult]]], verbose: bool) -> str:
    presets = [p for p in PRESET_ORDER if any(p in r for r in results.values())]
    presets += sorted({p for r in results.values() for p in r} - set(presets))
    out = ["## Do no harm: samples unchanged / total", ""]
    out.append("| category | " + " | ".join(presets) + " |")
    out.append("|---|" + "---|" * len(presets))
    totals = {p: [0, 0] for p in presets}
    for cat, per_preset in results.items():
        cells = []
        for p in presets:
            rs = per_preset.get(p)
            if rs is None:
                cells.append("—")
                continue
            same = sum(not r.changed for r in rs)
            totals[p][0] += same
            totals[p][1] += len(rs)
            cells.append(f"{same}/{len(rs)}")
        out.append(f"| {cat} | " + " | ".join(cells) + " |")
    cells = [f"**{s}/{n}**" if n else "—" for s, n in totals.values()]
    out.append("| **all** | " + " | ".join(cells) + " |")

    # which steps changed how many samples, per preset
    out += ["", "## Steps that edited correct samples (samples per step)", ""]
    for p in presets:
        counts: dict[str, int] = {}
        for per_preset in results.values():
            for r in per_preset.get(p, []):
                for s in r.steps if r.changed else []:
                    counts[s] = counts.get(s, 0) + 1
        listed = ", ".join(f"{s} {n}" for s, n in sorted(counts.items(), key=lambda kv: -kv[1]))
        out.append(f"- {p}: {listed or 'none'}")

    out += ["", "## Changed samples", ""]
    for cat, per_preset in results.items():
        for p, rs in per_preset.items():
            changed = [r for r in rs if r.changed]
            if not changed:
                continue
            out.append(f"### {cat} / {p}: {len(changed)} of {len(rs)} changed")
            out.append("")
            body: list[str] = []
            for r in changed:
                if r.error:
                    body.append(f"@@ {r.sample}: {r.error}")
                    continue
                body.append(f"@@ {r.sample} line {r.line} [{', '.join(r.steps)}]")
                if verbose:
                    body += r.diff
                else:
                    body += [f"-{s}" for s in r.before] or ["-(nothing: lines added)"]
                    body += [f"+{s}" for s in r.after] or ["+(nothing: lines deleted)"]
            out += [*fence(body), ""]
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=CORPUS, help="folder of category files")
    ap.add_argument("--category", action="append", help="only this category (repeatable)")
    ap.add_argument("--preset", action="append", help="only this preset (repeatable)")
    ap.add_argument("--all-presets", action="store_true", help="every preset on every category")
    ap.add_argument("--verbose", action="store_true", help="whole line diffs")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--src", type=Path, default=ROOT / "src", help="import textwash from here")
    ap.add_argument("--strict", action="store_true", help="exit 1 if any sample changed")
    args = ap.parse_args(argv)

    sys.path.insert(0, str(args.src.resolve()))
    import textwash

    categories = load_corpus(args.corpus)
    if args.category:
        unknown = set(args.category) - {c.name for c in categories}
        if unknown:
            ap.error(f"no such category: {', '.join(sorted(unknown))}")
        categories = [c for c in categories if c.name in args.category]

    results: dict[str, dict[str, list[SampleResult]]] = {}
    for cat in categories:
        presets = list(textwash.PRESET_NAMES) if args.all_presets else cat.presets
        if args.preset:
            presets = [p for p in presets if p in args.preset]
        results[cat.name] = {
            p: [run_sample(textwash, p, sid, text) for sid, text in cat.samples.items()]
            for p in presets
        }

    print(f"textwash {textwash.__version__} from {Path(textwash.__file__).parent}")
    print(f"corpus: {args.corpus}, {sum(len(c.samples) for c in categories)} samples\n")
    print(report(results, args.verbose))

    if args.json:
        data = {
            "textwash": textwash.__version__,
            "categories": {
                cat: {
                    p: {
                        "total": len(rs),
                        "unchanged": sum(not r.changed for r in rs),
                        "samples": [asdict(r) for r in rs],
                    }
                    for p, rs in per_preset.items()
                }
                for cat, per_preset in results.items()
            },
        }
        args.json.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    damaged = any(r.changed for pp in results.values() for rs in pp.values() for r in rs)
    return 1 if args.strict and damaged else 0


if __name__ == "__main__":
    sys.exit(main())
