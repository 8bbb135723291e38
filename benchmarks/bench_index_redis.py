"""The dedup index in Redis against the embedded one: inserts/s, queries/s, memory per unit.

Usage::

    python benchmarks/bench_index_redis.py                    # the whole 100 MB corpus
    python benchmarks/bench_index_redis.py --mb 10            # its first 10 MB of files
    python benchmarks/bench_index_redis.py --limit 50000 --redis redis://127.0.0.1:6379/9

1. The units: ``find_duplicates`` runs over the corpus (``build/bench/corpus-100mb``,
   made by ``make_corpus.py`` when missing; ``--mb`` takes its first files up to
   that size) with an embedded index that keeps a copy of what the pipeline adds
   (:class:`Recorder`): the very ``IndexUnits`` a ``--index`` run writes.
   ``--limit`` keeps the first N.
2. The first ``1 - --query-share`` of them (in corpus order) are **inserted** into
   each backend: ``add`` in chunks of ``earlier.ADD_CHUNK`` units, then ``commit``
   (the embedded index in a fresh folder; Redis in a flushed database of a private
   ``redis-server --save '' --appendonly no``, or of ``--redis URL``).
3. The rest are the **queries**, as a ``--index`` run makes them: ``candidates``
   of their band keys (in chunks of ``find.SIGNATURE_CHUNK``), ``exact`` of their
   keys, ``shingles`` of every candidate row (what verification reads) and
   ``units`` of the rows found.  Both backends must give the same pairs.
4. Redis memory: ``INFO memory``'s ``used_memory_dataset`` after the inserts less
   before (an empty database), per unit; and per kind of key, from ``MEMORY USAGE``
   of a sample of each kind times its count.

Prints a Markdown table; ``--json FILE`` writes the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from textwash.dedup import find_duplicates  # noqa: E402
from textwash.dedup.config import DedupConfig  # noqa: E402
from textwash.dedup.earlier import ADD_CHUNK, index_config  # noqa: E402
from textwash.dedup.find import SIGNATURE_CHUNK  # noqa: E402
from textwash.dedup.index import DedupIndex, IndexConfig, IndexUnits  # noqa: E402
from textwash.dedup.index_redis import RedisIndex  # noqa: E402

OUT = ROOT / "build" / "bench" / "index-redis"


class Recorder(DedupIndex):
    """An embedded index that also keeps every batch of units added to it."""

    batches: list[IndexUnits]

    def add(self, run_id: str, units: IndexUnits, *, inputs: int | None = None) -> None:
        """Add as the embedded index does, and keep ``units``."""
        self.batches.append(units)
        super().add(run_id, units, inputs=inputs)


def corpus_files(mb: float | None) -> list[Path]:
    """The 100 MB corpus's files in order (made if missing), the first ``mb`` MB of them."""
    root = ROOT / "build" / "bench" / "corpus-100mb"
    if not (root / "truth.json").exists():
        make = [sys.executable, str(ROOT / "benchmarks" / "make_corpus.py")]
        subprocess.run([*make, "--mb", "100", "--seed", "0", "--out", str(root)], check=True)
    files = sorted((root / "corpus").rglob("*.txt"))
    if mb is None:
        return files
    out, size = [], 0
    for f in files:
        if size >= mb * 1e6:
            break
        out.append(f)
        size += f.stat().st_size
    return out


def take(units: IndexUnits, lo: int, hi: int) -> IndexUnits:
    """Units ``lo..hi-1`` of a batch."""
    at = units.shingle_offsets
    return IndexUnits(
        keys=units.keys[lo:hi],
        shapes=units.shapes[lo:hi],
        tokens=units.tokens[lo:hi],
        band_keys=units.band_keys[lo:hi],
        shingles=units.shingles[at[lo] : at[hi]],
        shingle_offsets=at[lo : hi + 1] - at[lo],
        doc_id=units.doc_id[lo:hi],
        source=units.source[lo:hi],
        line=units.line[lo:hi],
        end_line=units.end_line[lo:hi],
        start=units.start[lo:hi],
        end=units.end[lo:hi],
        text=units.text[lo:hi],
    )


def pick(units: IndexUnits, rows: np.ndarray) -> IndexUnits:
    """The units at ``rows`` of a batch."""
    at = units.shingle_offsets
    counts = at[rows + 1] - at[rows]
    first = np.cumsum(counts) - counts
    flat = np.repeat(at[rows] - first, counts) + np.arange(int(counts.sum()))
    return IndexUnits(
        keys=units.keys[rows],
        shapes=units.shapes[rows],
        tokens=units.tokens[rows],
        band_keys=units.band_keys[rows],
        shingles=units.shingles[flat],
        shingle_offsets=np.concatenate([[0], np.cumsum(counts)]),
        doc_id=[units.doc_id[k] for k in rows.tolist()],
        source=[units.source[k] for k in rows.tolist()],
        line=units.line[rows],
        end_line=units.end_line[rows],
        start=units.start[rows],
        end=units.end[rows],
        text=[units.text[k] for k in rows.tolist()],
    )


def concat(batches: list[IndexUnits]) -> IndexUnits:
    """One batch of several, end to end."""
    if len(batches) == 1:
        return batches[0]
    shift = np.cumsum([0] + [b.shingles.size for b in batches[:-1]])
    return IndexUnits(
        keys=np.concatenate([b.keys for b in batches]),
        shapes=np.concatenate([b.shapes for b in batches]),
        tokens=np.concatenate([b.tokens for b in batches]),
        band_keys=np.concatenate([b.band_keys for b in batches]),
        shingles=np.concatenate([b.shingles for b in batches]),
        shingle_offsets=np.concatenate(
            [[0]] + [b.shingle_offsets[1:] + s for b, s in zip(batches, shift, strict=True)]
        ),
        doc_id=[d for b in batches for d in b.doc_id],
        source=[s for b in batches for s in b.source],
        line=np.concatenate([b.line for b in batches]),
        end_line=np.concatenate([b.end_line for b in batches]),
        start=np.concatenate([b.start for b in batches]),
        end=np.concatenate([b.end for b in batches]),
        text=[t for b in batches for t in b.text],
    )


def pipeline_units(files: list[Path], workers: int, work: Path) -> tuple[IndexUnits, float]:
    """The units a ``--index`` run over ``files`` adds, and its wall time."""
    folder = work / "pipeline-index"
    shutil.rmtree(folder, ignore_errors=True)
    rec = Recorder.open(folder, index_config(DedupConfig()), write=True)
    rec.batches = []
    docs = [(str(f.relative_to(ROOT)), f.read_text(encoding="utf-8")) for f in files]
    t = time.perf_counter()
    find_duplicates(docs, index=rec, run_id="pipeline", workers=workers)
    seconds = time.perf_counter() - t
    rec.close()
    shutil.rmtree(folder, ignore_errors=True)
    return concat(rec.batches), seconds


@contextlib.contextmanager
def private_redis() -> Iterator[str]:
    """``redis://127.0.0.1:PORT``: a ``redis-server`` of our own, without persistence."""
    server = shutil.which("redis-server")
    if server is None:
        raise SystemExit("redis-server not found (apt-get install -y redis-server) or use --redis")
    folder = tempfile.mkdtemp(prefix="bench-redis-")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [server, "--bind", "127.0.0.1", "--port", str(port), "--save", ""]
    cmd += ["--appendonly", "no", "--dir", folder]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import redis

        client = redis.Redis(port=port)
        for _ in range(500):
            with contextlib.suppress(redis.exceptions.ConnectionError):
                if client.ping():
                    break
            time.sleep(0.02)
        client.close()
        yield f"redis://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def insert(idx: Any, units: IndexUnits) -> float:
    """Seconds to add ``units`` (``ADD_CHUNK`` at a time) and commit them."""
    t = time.perf_counter()
    for lo in range(0, len(units), ADD_CHUNK):
        idx.add("bench", take(units, lo, min(lo + ADD_CHUNK, len(units))))
    idx.commit()
    return time.perf_counter() - t


def query(idx: Any, units: IndexUnits) -> tuple[dict[str, float], dict[str, Any]]:
    """A ``--index`` run's lookups of ``units``: seconds of each, and what they found."""
    sec: dict[str, float] = {}
    t = time.perf_counter()
    news, olds = [], []
    for lo in range(0, len(units), SIGNATURE_CHUNK):
        new, old = idx.candidates(units.band_keys[lo : lo + SIGNATURE_CHUNK])
        news.append(new + lo)
        olds.append(old)
    cand = (np.concatenate(news), np.concatenate(olds))
    sec["candidates"] = time.perf_counter() - t
    t = time.perf_counter()
    exact = idx.exact(units.keys)
    sec["exact"] = time.perf_counter() - t
    t = time.perf_counter()
    rows = np.unique(cand[1])
    flat, _ = idx.shingles(rows)
    sec["shingles"] = time.perf_counter() - t
    t = time.perf_counter()
    found = np.unique(np.concatenate([exact[1], rows]))
    got = idx.units(found[:20_000])
    sec["units"] = time.perf_counter() - t
    sec["total"] = sum(sec.values())
    answers = {
        "candidate_pairs": int(cand[0].size),
        "exact_pairs": int(exact[0].size),
        "candidate_rows": int(rows.size),
        "shingles_read": int(flat.size),
        "units_read": len(got),
        "_pairs": (cand, exact),
    }
    return sec, answers


def memory_by_kind(url: str, name: str, bands: int, sample: int = 2000) -> dict[str, Any]:
    """Bytes per kind of key: the few big hashes (datasketch's bucket and key tables)
    exactly, the many small keys as ``MEMORY USAGE`` of a sample times their count."""
    import redis

    client = redis.Redis.from_url(url)
    big = [name.encode() + b"_bucket_" + struct.pack(">H", b) for b in range(bands)]
    big.append(name.encode() + b"_keys")
    tables = [int(client.memory_usage(k, samples=0) or 0) for k in big]
    out: dict[str, Any] = {
        "LSH bucket tables (NAME_bucket_BB: H -> set key)": {
            "keys": bands,
            "bytes": sum(tables[:-1]),
        },
        "LSH key table (NAME_keys: id -> list key)": {"keys": 1, "bytes": tables[-1]},
    }
    kinds = {
        "units (NAME:u:ID)": f"{name}:u:*",
        "digest sets (NAME:d:DIGEST)": f"{name}:d:*",
        "LSH bucket sets (NAME_bucket_BBH)": f"{name}_bucket_*",
        "LSH key lists (NAME_keysID)": f"{name}_keys*",
    }
    skip = set(big)
    for kind, pattern in kinds.items():
        count, picked = 0, []
        for key in client.scan_iter(match=pattern, count=10_000):
            if key in skip:
                continue
            count += 1
            if len(picked) < sample or count % 50 == 0:
                picked.append(key)
        pipe = client.pipeline(transaction=False)
        for key in picked:
            pipe.memory_usage(key, samples=0)
        used = [u or 0 for u in pipe.execute()]
        mean = float(np.mean(used)) if used else 0.0
        out[kind] = {"keys": count, "bytes": round(mean * count)}
    client.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, help="only the corpus's first files up to MB megabytes")
    ap.add_argument("--limit", type=int, help="only the first N units")
    ap.add_argument("--query-share", type=float, default=0.2, help="units kept for queries")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--redis", metavar="URL", help="a server to use (its database is flushed)")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    files = corpus_files(args.mb)
    mb = sum(f.stat().st_size for f in files) / 1e6
    print(f"corpus: {len(files)} files, {mb:.1f} MB", flush=True)
    units, pipeline_s = pipeline_units(files, args.workers, OUT)
    if args.limit:
        units = take(units, 0, min(args.limit, len(units)))
    split = len(units) - int(len(units) * args.query_share)
    stored, asked = take(units, 0, split), take(units, split, len(units))
    # the same number of units already stored (every one finds at least itself)
    again = pick(stored, np.linspace(0, split - 1, len(asked)).astype(np.int64))
    print(
        f"units: {len(units):,} ({pipeline_s:.1f} s of pipeline); insert {len(stored):,}, "
        f"query {len(asked):,}",
        flush=True,
    )
    config: IndexConfig = index_config(DedupConfig())
    rows: dict[str, dict[str, Any]] = {}

    folder = OUT / "embedded"
    shutil.rmtree(folder, ignore_errors=True)
    with DedupIndex.open(folder, config, write=True) as idx:
        ins = insert(idx, stored)
        disk = idx.stats()
    with DedupIndex.open(folder, config) as idx:
        qs, ans = query(idx, asked)
        qs_again, ans_again = query(idx, again)
    rows["embedded"] = {"insert_s": ins, "query": qs, "answers": ans, "bytes": disk.bytes}
    rows["embedded"].update(query_again=qs_again, answers_again=ans_again)
    print(f"embedded: insert {ins:.1f} s, queries {qs['total']:.1f} s", flush=True)

    with contextlib.ExitStack() as stack:
        base = args.redis or stack.enter_context(private_redis()) + "/0"
        import redis

        client = redis.Redis.from_url(base)
        client.flushdb()
        before = int(client.info("memory")["used_memory_dataset"])
        with RedisIndex.open(base, config, write=True) as idx:
            ins = insert(idx, stored)
        after = int(client.info("memory")["used_memory_dataset"])
        keys = int(client.dbsize())
        with RedisIndex.open(base, config) as idx:
            qs, ans = query(idx, asked)
            qs_again, ans_again = query(idx, again)
        kinds = memory_by_kind(base, "textwash", config.bands)
        info = client.info("memory")
        client.close()
    rows["redis"] = {
        "query_again": qs_again,
        "answers_again": ans_again,
        "insert_s": ins,
        "query": qs,
        "answers": ans,
        "bytes": after - before,
        "keys": keys,
        "by_kind": kinds,
        "used_memory_human": info.get("used_memory_human"),
    }
    print(f"redis: insert {ins:.1f} s, queries {qs['total']:.1f} s", flush=True)

    same = all(
        np.array_equal(x, y)
        for which in ("answers", "answers_again")
        for pe, pr in zip(
            rows["embedded"][which]["_pairs"], rows["redis"][which]["_pairs"], strict=True
        )
        for x, y in zip(pe, pr, strict=True)
    )
    for r in rows.values():
        r["answers"].pop("_pairs")
        r["inserts_per_s"] = round(len(stored) / r["insert_s"], 1)
        r["queries_per_s"] = round(len(asked) / r["query"]["total"], 1)
        r["answers_again"].pop("_pairs")
        r["repeat_queries_per_s"] = round(len(again) / r["query_again"]["total"], 1)
        r["bytes_per_unit"] = round(r["bytes"] / max(len(stored), 1), 1)
    result = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "files": len(files),
        "mb": round(mb, 1),
        "units": len(units),
        "inserted": len(stored),
        "queried": len(asked),
        "pipeline_s": round(pipeline_s, 1),
        "same_answers": same,
        "backends": rows,
    }
    print()
    print(
        "| backend | inserts/s | queries/s: new | queries/s: stored | insert s | query s, new "
        "(candidates / exact / shingles / units) | query s, stored | bytes/unit |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        q = r["query"]
        where = "on disk" if name == "embedded" else "Redis dataset"
        print(
            f"| {name} | {r['inserts_per_s']:,.0f} | {r['queries_per_s']:,.0f} | "
            f"{r['repeat_queries_per_s']:,.0f} | "
            f"{r['insert_s']:.1f} | {q['total']:.1f} ({q['candidates']:.1f} / {q['exact']:.1f}"
            f" / {q['shingles']:.1f} / {q['units']:.1f}) | {r['query_again']['total']:.1f} | "
            f"{r['bytes_per_unit']:,.0f} ({where}) |"
        )
    print()
    print(f"same candidate and exact pairs from both: {same}")
    print(f"new units' lookups found: {rows['redis']['answers']}")
    print(f"stored units' lookups found: {rows['redis']['answers_again']}")
    print("Redis memory by kind of key:")
    for kind, v in rows["redis"]["by_kind"].items():
        per = v["bytes"] / max(len(stored), 1)
        print(f"  {kind}: {v['keys']:,} keys, {v['bytes']:,} B, {per:.0f} B per unit")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, default=float), encoding="utf-8")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
