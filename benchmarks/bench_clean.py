"""Throughput of the cleaning presets, whole and step by step.

Usage:  python benchmarks/bench_clean.py [--input FILE] [--mb 5] [--repeat 3]

Without --input it uses the reference seed dump when ../shared/seeds has it,
else the bundled examples/sample_dump.txt.  The text is repeated (as separate
documents of the original size) until about --mb megabytes of UTF-8, then each
preset is timed --repeat times and the best run is reported, with a per-step
breakdown for the zh preset and the cost of keeping offsets (Pipeline.run).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import textwash  # noqa: E402

SEED = ROOT.parent / "shared" / "seeds" / "000_743cec15d1e63d61.txt"
SAMPLE = ROOT / "examples" / "sample_dump.txt"


def best_of(repeat: int, fn) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def input_docs(path: Path | None, mb: float) -> tuple[Path, list[str], float]:
    """The benchmark input: ``path`` (default the seed dump, or the bundled sample
    without it) repeated as separate documents until about ``mb`` megabytes of
    UTF-8; returns the file, the documents and their megabytes (printed too)."""
    src = path or (SEED if SEED.exists() else SAMPLE)
    doc = src.read_text(encoding="utf-8")
    doc_bytes = len(doc.encode("utf-8"))
    copies = max(1, round(mb * 1_000_000 / doc_bytes))
    total = doc_bytes * copies / 1e6
    print(f"input: {src.name} x {copies} documents = {total:.1f} MB, {len(doc) * copies:,} chars")
    return src, [doc] * copies, total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", type=Path)
    ap.add_argument("--mb", type=float, default=5.0, help="megabytes of text to clean")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)

    src, docs, mb = input_docs(args.input, args.mb)
    doc, copies = docs[0], len(docs)
    print(
        f"python {platform.python_version()}, {platform.machine()}, textwash {textwash.__version__}"
    )
    print()

    results: dict[str, object] = {"input": src.name, "copies": copies, "megabytes": mb}
    print("| preset | seconds | MB/s | docs/s |")
    print("|---|---:|---:|---:|")
    for preset in textwash.PRESET_NAMES:
        p = textwash.get_preset(preset)
        p(doc)  # warm up: OpenCC and regex compilation
        secs = best_of(args.repeat, lambda p=p: [p(d) for d in docs])
        results[preset] = {"seconds": secs, "mb_per_s": mb / secs}
        print(f"| {preset} | {secs:.2f} | {mb / secs:.2f} | {copies / secs:,.0f} |")

    p = textwash.get_preset("zh")
    secs = best_of(args.repeat, lambda: [p.run(d) for d in docs])
    results["zh_run_with_offsets"] = {"seconds": secs, "mb_per_s": mb / secs}
    print(f"| zh, `Pipeline.run` (offsets) | {secs:.2f} | {mb / secs:.2f} | {copies / secs:,.0f} |")

    print()
    print("zh preset, step by step (each step timed on its own input):")
    print()
    print("| step | seconds | share |")
    print("|---|---:|---:|")
    inputs = []
    text = doc
    for step in p.steps:
        inputs.append(text)
        text = step(text)
    steps = []
    for step, inp in zip(p.steps, inputs, strict=True):
        secs = best_of(args.repeat, lambda s=step, i=inp: [s(i) for _ in range(copies)])
        steps.append((repr(step), secs))
    total = sum(s for _, s in steps)
    for name, secs in steps:
        print(f"| `{name}` | {secs:.2f} | {secs / total:.0%} |")
    results["steps"] = dict(steps)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
