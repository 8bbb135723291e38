"""Memory and time of `textwash clean` on one huge plain-text file.

Usage:  python benchmarks/bench_huge.py [--mb 200] [--workers 2] [--whole] [--json FILE]

Writes a file of about --mb megabytes with no line break at all (the seed
dump, or the bundled sample, with its line breaks removed, repeated), then
cleans it with the command line, polling the memory (PSS) of the process tree,
and checks the output against cleaning the text in one piece in this process
for a 1 MB prefix's worth of windows (the whole comparison would need the
memory this benchmark is about).  --whole also runs the command with windows
switched off, for comparison.  Files go to build/bench/huge/.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_peers import measure  # noqa: E402

SEED = ROOT.parent / "shared" / "seeds" / "000_743cec15d1e63d61.txt"
SAMPLE = ROOT / "examples" / "sample_dump.txt"
OUT = ROOT / "build" / "bench" / "huge"

# runs the command line with streams and windows switched off: read whole, cleaned whole
WHOLE = (
    "import sys, textwash.cli.main as m, textwash.cli.streamed as s, textwash.windows as w; "
    "s.STREAM_BYTES = w.LONG_TEXT = 1 << 62; sys.exit(m.main(sys.argv[1:]))"
)


def make_file(path: Path, mb: int, kind: str) -> str:
    """Write ``mb`` MB of dump text, no line breaks (or wrapped at 70, or as JSONL
    records of the dump); return the unit repeated."""
    source = SEED if SEED.exists() else SAMPLE
    raw = source.read_text(encoding="utf-8")
    flat = raw.replace("\n", "")
    if kind == "wrapped":
        unit = "\n".join(flat[i : i + 70] for i in range(0, len(flat), 70)) + "\n"
    elif kind == "jsonl":
        unit = json.dumps({"id": 1, "text": raw}, ensure_ascii=False) + "\n"
    elif kind == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        repeat = max(1, mb * 1_000_000 // len(raw.encode("utf-8")))
        if not path.exists():
            table = pa.table({"id": list(range(repeat)), "text": [raw] * repeat})
            tmp = path.with_suffix(".part")
            pq.write_table(table, tmp, compression="none", use_dictionary=False)
            os.replace(tmp, path)
        return raw
    else:
        unit = flat
    data = unit.encode("utf-8")
    repeat = max(1, mb * 1_000_000 // len(data))
    if not path.exists() or path.stat().st_size != len(data) * repeat:
        tmp = path.with_suffix(".part")
        with tmp.open("wb") as f:
            for _ in range(repeat):
                f.write(data)
        os.replace(tmp, path)
    return unit


def _same_file(a: Path, b: Path) -> bool:
    if not (a.exists() and b.exists()) or a.stat().st_size != b.stat().st_size:
        return False
    with a.open("rb") as fa, b.open("rb") as fb:
        while True:
            x, y = fa.read(1 << 20), fb.read(1 << 20)
            if x != y:
                return False
            if not x:
                return True


def run(cmd: list[str], name: str) -> dict[str, object]:
    log = OUT / f"{name}.log"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    r = measure(cmd, cwd=ROOT, log=log, timeout=3600, env=env)
    if r.returncode != 0:
        print(r.stderr_tail, file=sys.stderr)
    return {
        "run": name,
        "returncode": r.returncode,
        "wall_s": round(r.wall, 1),
        "peak_pss_mb": round(r.peak_pss_mb),
        "max_rss_mb": round(r.max_rss_mb) if r.max_rss_mb else None,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--wrapped", action="store_true", help="wrap lines at 70 characters")
    ap.add_argument("--jsonl", action="store_true", help="JSONL records of the dump instead")
    ap.add_argument("--parquet", action="store_true", help="Parquet rows of the dump instead")
    ap.add_argument("--whole", action="store_true", help="also run with windows switched off")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    kind = (
        "parquet"
        if args.parquet
        else "jsonl"
        if args.jsonl
        else "wrapped"
        if args.wrapped
        else "one-line"
    )
    suffix = {"parquet": "parquet", "jsonl": "jsonl"}.get(kind, "txt")
    src = OUT / f"{kind}-{args.mb}mb.{suffix}"
    t = time.perf_counter()
    unit = make_file(src, args.mb, kind)
    size = src.stat().st_size
    breaks = src.read_bytes().count(b"\n")
    print(
        f"{src.name}: {size / 1e6:.1f} MB, {breaks} line breaks "
        f"(written in {time.perf_counter() - t:.1f} s)"
    )
    exe = [sys.executable, "-m", "textwash.cli.main"]
    rows = []
    runs = [("windows", exe)]
    if args.whole:
        runs.append(("whole", [sys.executable, "-c", WHOLE]))
    for name, prefix in runs:
        out = OUT / f"{kind}-{args.mb}mb.{name}.out"
        cmd = [
            *prefix,
            "clean",
            str(src),
            "-o",
            str(out),
            "--workers",
            str(args.workers),
            "--no-progress",
        ]
        row = run(cmd, f"{kind}-{args.mb}mb-{name}")
        row["mb_per_s"] = round(size / 1e6 / row["wall_s"], 2)  # type: ignore[operator]
        row["output_mb"] = round(out.stat().st_size / 1e6, 1) if out.exists() else None
        rows.append(row)
        print(json.dumps(row))
    # The windowed output, checked against the whole-text cleaning of its start:
    # the first copies of the unit are far from any seam but the first.
    import textwash

    zh = textwash.get_preset("zh")
    if kind == "parquet":
        return _check_parquet(args, rows, src, size, zh(unit))
    if kind == "jsonl":
        record = json.loads(unit)
        head = json.dumps({**record, "text": zh(record["text"])}, ensure_ascii=False) + "\n"
        head *= 3
    else:
        head = zh(unit * 3)
    with (OUT / f"{kind}-{args.mb}mb.windows.out").open("rb") as f:
        got = f.read(len(head) * 2).decode("utf-8", errors="ignore")[: len(head) // 2]
    same = head.startswith(got)
    print(f"output starts like the whole-text cleaning: {same}")
    identical = None
    if args.whole:
        identical = _same_file(*(OUT / f"{kind}-{args.mb}mb.{n}.out" for n in ("windows", "whole")))
        print(f"windowed output byte for byte equal to the whole-file output: {identical}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "file": src.name,
                    "bytes": size,
                    "runs": rows,
                    "prefix_equal": same,
                    "identical_to_whole": identical,
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
    ok = all(r["returncode"] == 0 for r in rows) and same and identical is not False
    return 0 if ok else 1


def _check_parquet(
    args: argparse.Namespace, rows: list[dict[str, object]], src: Path, size: int, clean: str
) -> int:
    """Parquet outputs: every text is the unit cleaned; streamed and whole hold the same rows."""
    import pyarrow.parquet as pq

    texts = pq.read_table(OUT / f"{src.stem}.windows.out").column("text").to_pylist()
    same = all(t == clean for t in texts)
    print(f"every row cleaned like the unit cleaned whole: {same}")
    identical = None
    if args.whole:
        whole = pq.read_table(OUT / f"{src.stem}.whole.out").to_pylist()
        identical = pq.read_table(OUT / f"{src.stem}.windows.out").to_pylist() == whole
        print(f"streamed rows equal to the whole-file rows: {identical}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        result = {"file": src.name, "bytes": size, "runs": rows, "rows_clean": same,
                  "identical_to_whole": identical}  # fmt: skip
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    ok = all(r["returncode"] == 0 for r in rows) and same and identical is not False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
