"""Speed of textwash.clean_many with 1 and with N worker processes.

Usage:  python benchmarks/bench_clean_many.py [--input FILE] [--mb 5] [--repeat 5] [--workers 2]

The input is the one benchmarks/bench_clean.py cleans: the reference seed dump
when ../shared/seeds has it (else examples/sample_dump.txt), repeated as
separate documents until about --mb megabytes of UTF-8.  Every run is a whole
``clean_many(docs, "zh", workers=W)`` call, the start and shutdown of its
process pool included; runs with 1 and with --workers workers alternate, and
the best of --repeat runs of each is reported, with the plain loop
``[textwash.clean(d) for d in docs]`` for reference.  The results of every
run are checked to be the same.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import textwash  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_clean import input_docs  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", type=Path)
    ap.add_argument("--mb", type=float, default=5.0, help="megabytes of text to clean")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)

    src, docs, mb = input_docs(args.input, args.mb)
    copies = len(docs)
    print(
        f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores, "
        f"textwash {textwash.__version__}"
    )

    expected = textwash.clean_many(docs[:1])  # warm up: OpenCC and the regexes
    times: dict[str, list[float]] = {"loop": [], "1": [], str(args.workers): []}
    for _ in range(args.repeat):
        t = time.perf_counter()
        loop = [textwash.clean(d) for d in docs]
        times["loop"].append(time.perf_counter() - t)
        for w in (1, args.workers):
            t = time.perf_counter()
            out = textwash.clean_many(docs, "zh", workers=w)
            times[str(w)].append(time.perf_counter() - t)
            assert out == loop and out[0] == expected[0], "results differ"
    best = {k: min(v) for k, v in times.items()}
    print()
    print("| run | best seconds | MB/s | all runs |")
    print("|---|---:|---:|---|")
    labels = {
        "loop": "`[textwash.clean(d) for d in docs]`",
        "1": "`clean_many(docs, workers=1)`",
        str(args.workers): f"`clean_many(docs, workers={args.workers})`",
    }
    for k, label in labels.items():
        runs = ", ".join(f"{s:.2f}" for s in times[k])
        print(f"| {label} | {best[k]:.2f} | {mb / best[k]:.2f} | {runs} |")
    speedup = best["1"] / best[str(args.workers)]
    print()
    print(f"speed-up, {args.workers} workers over 1: {speedup:.2f}x")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        result = {"input": src.name, "copies": copies, "megabytes": mb, "seconds": times}
        args.json.write_text(json.dumps({**result, "speedup": speedup}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
