"""`textwash dedup` at corpus scale: time per stage, peak memory, quality, incremental runs.

Usage::

    python benchmarks/bench_scale.py --mb 100 300 1000 [--workers 2] [--json FILE]
    python benchmarks/bench_scale.py --mb 1000 --incremental 10    # + 10 MB into its index
    python benchmarks/bench_scale.py --mb 100 1000 --engine ray local   # both engines

For each size, generates the corpus (``make_corpus.py``, seed 0) under
``build/bench/corpus-<N>mb`` unless it is there, then runs::

    textwash dedup CORPUS --workers W --no-progress --report R.json [--index IX]

polling the memory (PSS) of the whole process tree every 0.2 s (``bench_peers.measure``;
also ``/usr/bin/time``'s maximum resident set of the largest process), and
reports the wall time, the peak, the seconds of every stage from the report's
``stats``, the time per MB and the precision and recall of the planted pairs
(``bench_peers.Truth``: every pair of members of a planted group).

``--engine ray local`` runs each size on each engine in turn (``--engine ray``:
a local Ray with ``--workers`` CPUs, started and stopped by the command; the
PSS then covers Ray's processes too, its object store included) and says
whether each report is the first engine's but for the timings.

``--incremental M`` measures what issue 12 asks of the persistent index: the
corpus of the largest size is run with ``--index`` (building the index), then
a separate corpus of ``M`` MB (seed 1) is run against it, and the same ``M`` MB
against an empty index: adding ``M`` MB to the big index should cost about
what it costs alone, not what the big corpus cost.  The index's size on disk
and bytes per unit are reported.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_peers import Truth, measure, textwash_clusters  # noqa: E402

OUT = ROOT / "build" / "bench" / "scale"
TEXTWASH = ROOT / ".venv" / "bin" / "textwash"


def corpus(mb: float, seed: int = 0) -> Path:
    """The generated corpus of ``mb`` MB (made on the first use)."""
    name = f"corpus-{mb:g}mb" + (f"-seed{seed}" if seed else "")
    root = ROOT / "build" / "bench" / name
    if not (root / "truth.json").exists():
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "benchmarks" / "make_corpus.py"),
                "--mb",
                f"{mb:g}",
                "--seed",
                str(seed),
                "--out",
                str(root),
            ],
            check=True,
        )
    return root


def run(root: Path, workers: int, tag: str, extra: list[str]) -> dict[str, Any]:
    """One ``textwash dedup`` run over ``root``'s corpus; its figures."""
    OUT.mkdir(parents=True, exist_ok=True)
    report = OUT / f"{tag}.json"
    cmd = [
        str(TEXTWASH),
        "dedup",
        str(root / "corpus"),
        "--workers",
        str(workers),
        "--no-progress",
        "--report",
        str(report),
        *extra,
    ]
    r = measure(cmd, cwd=ROOT, log=OUT / f"{tag}.log", timeout=4 * 3600, env=dict(os.environ))
    if r.returncode != 0:
        raise SystemExit(f"{tag}: exit {r.returncode}\n{r.stderr_tail}")
    data = json.loads(report.read_text(encoding="utf-8"))
    stats = data["stats"]
    mb = sum(p.stat().st_size for p in (root / "corpus").rglob("*.txt")) / 1e6
    row: dict[str, Any] = {
        "tag": tag,
        "mb": round(mb, 1),
        "units": stats["units"],
        "wall_s": round(r.wall, 1),
        "s_per_mb": round(r.wall / mb, 3),
        "peak_pss_mb": round(r.peak_pss_mb, 1),
        "max_rss_mb": r.max_rss_mb and round(r.max_rss_mb, 1),
        "seconds": stats["seconds"],
        "clusters": stats["clusters"],
    }
    for k in ("index_units_before", "index_units_added", "earlier_clusters"):
        if k in stats:
            row[k] = stats[k]
    if (root / "truth.json").exists():
        clusters = textwash_clusters(_this_run(report), root / "corpus")
        score = Truth.load(root).score(clusters)
        row["precision"] = score["precision"] and round(score["precision"], 4)
        row["recall"] = score["recall"] and round(score["recall"], 4)
    return row


def _answer(report: Path) -> dict[str, Any]:
    """The report at ``report`` without its timings."""
    data = json.loads(report.read_text(encoding="utf-8"))
    data["stats"].pop("seconds", None)
    return data


def _this_run(report: Path) -> Path:
    """``report`` without the members an earlier run indexed (they are in other corpora)."""
    data = json.loads(report.read_text(encoding="utf-8"))
    for c in data["clusters"]:
        c["members"] = [m for m in c["members"] if m.get("run") is None]
    data["clusters"] = [c for c in data["clusters"] if len(c["members"]) > 1]
    out = report.with_suffix(".this-run.json")
    out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return out


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as a Markdown table, one column per stage."""
    stages: list[str] = []
    for r in rows:
        stages += [s for s in r["seconds"] if s not in stages]
    same = any("same_report" in r for r in rows)
    head = ["run", "MB", "units", "wall s", "s/MB", "peak PSS MB", *stages, "P", "R"]
    head += ["same report"] if same else []
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = [r["tag"], r["mb"], f"{r['units']:,}", r["wall_s"], r["s_per_mb"], r["peak_pss_mb"]]
        cells += [r["seconds"].get(s, "") for s in stages]
        p, rec = r.get("precision"), r.get("recall")
        cells += [f"{100 * p:.2f}%" if p else "", f"{100 * rec:.2f}%" if rec else ""]
        if same:
            flag = r.get("same_report")
            cells.append("" if flag is None else "yes" if flag else "NO")
        out.append("| " + " | ".join(str(c) for c in cells) + " |")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=float, nargs="+", default=[100.0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--incremental", type=float, metavar="M", help="also add M MB to the index")
    ap.add_argument("--json", type=Path)
    ap.add_argument(
        "--engine", nargs="+", choices=["local", "ray"], default=["local"], help="engines to run"
    )
    args = ap.parse_args()
    rows = []
    for mb in args.mb:
        root = corpus(mb)
        first: Path | None = None
        for engine in args.engine:
            extra: list[str] = []
            if args.incremental and mb == max(args.mb):
                index = OUT / f"index-{mb:g}mb"
                shutil.rmtree(index, ignore_errors=True)
                extra = ["--index", str(index), "--run-id", "base"]
            tag = f"{mb:g}mb" + ("+index" if extra else "")
            if args.engine != ["local"]:
                tag += f" {engine}"
            rows.append(run(root, args.workers, tag, [*extra, "--engine", engine]))
            report = OUT / f"{tag}.json"
            if first is None:
                first = report
            else:
                rows[-1]["same_report"] = _answer(report) == _answer(first)
            print(table(rows[-1:]), flush=True)
    if args.incremental:
        small = corpus(args.incremental, seed=1)
        big = OUT / f"index-{max(args.mb):g}mb"
        alone = OUT / "index-alone"
        shutil.rmtree(alone, ignore_errors=True)
        rows.append(
            run(
                small,
                args.workers,
                f"{args.incremental:g}mb alone+index",
                ["--index", str(alone), "--run-id", "alone"],
            )
        )
        t = time.perf_counter()
        rows.append(
            run(
                small,
                args.workers,
                f"{args.incremental:g}mb into {max(args.mb):g}mb index",
                ["--index", str(big), "--run-id", "more"],
            )
        )
        size = sum(p.stat().st_size for p in big.rglob("*") if p.is_file())
        units = rows[-1]["index_units_before"] + rows[-1]["index_units_added"]
        rows[-1]["index_bytes"] = size
        rows[-1]["index_bytes_per_unit"] = round(size / max(units, 1), 1)
        print(
            f"index: {size / 1e6:.1f} MB for {units:,} units, "
            f"{size / max(units, 1):.0f} bytes a unit ({time.perf_counter() - t:.1f} s)"
        )
    print()
    print(table(rows))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
