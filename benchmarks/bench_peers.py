"""textwash beside the tools users would pick instead, on one generated corpus.

Usage::

    .venv/bin/python benchmarks/bench_peers.py --mb 5                 # generate, install, run all
    .venv/bin/python benchmarks/bench_peers.py --mb 100 --json build/bench/peers-100mb.json
    .venv/bin/python benchmarks/bench_peers.py --mb 5 --only textwash-dedup,rensa --skip-install

Runs, in one process each and on the same corpus (``benchmarks/make_corpus.py``,
generated into ``build/bench/corpus-<mb>mb`` unless it is there already):

==================  ===================================================================
``textwash-clean``  ``textwash clean CORPUS -o OUT --no-progress`` (speed only)
``textwash-dedup``  ``textwash dedup CORPUS --no-progress --report R.json`` (with
                    ``--workers N`` only if ``textwash dedup --help`` offers it)
``datasketch``      plain datasketch: ``MinHash.bulk`` + ``MinHashLSH``, threshold 0.8,
                    128 permutations, over the character 5-grams of each raw paragraph
``rensa``           rensa's batch API: ``RMinHash.from_token_sets`` →
                    ``RMinHashLSH.insert_many`` / ``query_all`` (16 bands × 8 rows),
                    candidates kept at an estimated Jaccard ≥ 0.8; character 5-grams
``datatrove``       datatrove's four-stage MinHash pipeline (signatures, buckets,
                    clusters, filter) on ``LocalPipelineExecutor``, default
                    ``MinhashConfig`` (word 5-grams, 14 buckets × 8 hashes), Chinese
                    words from its ``cmn_Hani`` tokenizer (spaCy + jieba)
``text-dedup``      ``python -m text_dedup.minhash`` on a JSONL of the paragraphs,
                    threshold 0.8, other options at their defaults (tokens are the
                    ``\\W``-separated runs — on Chinese, whole clauses — in 5-grams)
``data-juicer``     data-juicer's ``document_minhash_deduplicator`` with
                    ``tokenization="character"`` (its advice for Chinese), window 5,
                    threshold 0.8, its default 256 permutations
==================  ===================================================================

The peers are installed from PyPI into their own virtual environments,
``build/peers/<name>``, from ``benchmarks/peers/<name>.txt`` (``--skip-install``
uses what is there).  Each is driven by this same file, re-run with the peer's
interpreter as ``bench_peers.py worker NAME CORPUS OUT`` (the worker side imports
nothing outside the standard library and the peer).

Paragraphs.  textwash finds its own units in the raw files.  Every other tool
gets the raw blocks of text between blank lines (no cleaning: hard wraps, OCR
spaces and ASCII punctuation are left as they are) — one document per block,
titles and boilerplate lines included.

Measured per tool: wall time of the whole command (interpreter start, reading,
writing, everything), MB/s and paragraphs/s over the corpus (its size in bytes
and its body paragraphs), peak memory (the largest sum of PSS over the tool's
process tree, polled every 0.2 s from ``/proc``; PSS splits shared pages
between forked workers so they are not counted twice) and, from
``/usr/bin/time -v``, the largest RSS of any single process.

Quality.  Every tool's output is reduced to clusters of units (file and
character span) and each unit is mapped to the body paragraph it mostly
coincides with (the overlap covers half of both; titles, headings and
boilerplate map to nothing and drop out).  Paragraphs linked through any
cluster form one predicted group; every pair inside a group is a predicted
pair.  Precision and recall are those of the predicted pairs against the
planted pairs of ``truth.json``; recall is also given by kind of copy.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gzip
import itertools
import json
import os
import pickle
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PEERS_DIR = ROOT / "build" / "peers"
REQUIREMENTS = ROOT / "benchmarks" / "peers"
BENCH_DIR = ROOT / "build" / "bench"
TEXTWASH_BIN = ROOT / ".venv" / "bin" / "textwash"
TEXTWASH_PY = ROOT / ".venv" / "bin" / "python"

THRESHOLD = 0.8
NGRAM = 5
NUM_PERM = 128
RENSA_BANDS = 16
MIN_SHARE = 0.5

# =========================================================================================
# Worker side: runs inside a peer's virtual environment (standard library + the peer only)
# =========================================================================================

_BLANK_LINES = re.compile(r"\n[ \t\u3000]*\n\s*")

Unit = tuple[str, int, int]  # (file relative to the corpus, start, end) in characters


def iter_corpus(corpus: Path) -> Iterator[tuple[str, Path]]:
    """Files below ``corpus`` in name order, recursively, hidden ones skipped (as textwash)."""
    for dirpath, dirnames, filenames in os.walk(corpus):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                path = Path(dirpath) / name
                yield path.relative_to(corpus).as_posix(), path


def split_blocks(text: str) -> list[tuple[int, int]]:
    """Spans of the blank-line separated blocks of ``text`` (no other cleaning)."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in _BLANK_LINES.finditer(text):
        if text[pos : m.start()].strip():
            spans.append((pos, m.start()))
        pos = m.end()
    if text[pos:].strip():
        spans.append((pos, len(text.rstrip("\n"))))
    return spans


def load_units(corpus: Path) -> tuple[list[Unit], list[str]]:
    """Every block of every file: its location and its raw text."""
    units: list[Unit] = []
    texts: list[str] = []
    for rel, path in iter_corpus(corpus):
        text = path.read_text(encoding="utf-8")
        for start, end in split_blocks(text):
            units.append((rel, start, end))
            texts.append(text[start:end])
    return units, texts


def char_shingles(text: str, n: int = NGRAM) -> set[str]:
    """The set of character ``n``-grams of ``text`` (the whole text if shorter)."""
    if len(text) <= n:
        return {text} if text else set()
    return {text[i : i + n] for i in range(len(text) - n + 1)}


class UnionFind:
    """Union-find over hashable keys (path halving)."""

    def __init__(self) -> None:
        self.parent: dict[Any, Any] = {}

    def find(self, x: Any) -> Any:
        """The root of ``x`` (``x`` itself if unseen)."""
        parent = self.parent
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: Any, b: Any) -> None:
        """Join the sets of ``a`` and ``b``."""
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def groups(self) -> list[list[Any]]:
        """Every set of two or more keys."""
        out: dict[Any, list[Any]] = {}
        for x in list(self.parent):
            out.setdefault(self.find(x), []).append(x)
        return [sorted(g) for g in out.values() if len(g) > 1]


def clusters_from_pairs(
    pairs: Iterator[tuple[int, int]] | Sequence[tuple[int, int]],
) -> list[list[int]]:
    """Connected components of the pairs."""
    uf = UnionFind()
    for a, b in pairs:
        uf.union(a, b)
    return uf.groups()


def write_result(
    out: Path, units: Sequence[Unit], clusters: list[list[int]], meta: dict[str, Any]
) -> None:
    """Write ``result.json``: the clusters as lists of units, and what the worker counted."""
    payload = {
        "clusters": [[list(units[i]) for i in c] for c in clusters],
        "meta": {"units": len(units), **meta},
    }
    (out / "result.json").write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")


def _chunks(n: int, size: int) -> Iterator[range]:
    for a in range(0, n, size):
        yield range(a, min(n, a + size))


def worker_datasketch(corpus: Path, out: Path, workers: int) -> None:
    """Plain datasketch: MinHash.bulk of raw character 5-grams, MinHashLSH at 0.8."""
    from datasketch import MinHash, MinHashLSH

    units, texts = load_units(corpus)
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    mhs: list[Any] = []
    with lsh.insertion_session() as session:
        for chunk in _chunks(len(texts), 20_000):
            sets = [[s.encode("utf-8") for s in char_shingles(texts[i])] for i in chunk]
            for i, m in zip(chunk, MinHash.bulk(sets, num_perm=NUM_PERM), strict=True):
                session.insert(i, m, check_duplication=False)
                mhs.append(m)
    pairs = [(k, o) for k, m in enumerate(mhs) for o in lsh.query(m) if o > k]
    write_result(out, units, clusters_from_pairs(pairs), {"candidate_pairs": len(pairs)})


def worker_rensa(corpus: Path, out: Path, workers: int) -> None:
    """rensa's batch API over raw character 5-grams; candidates verified on the sketches."""
    from rensa import RMinHash, RMinHashLSH

    units, texts = load_units(corpus)
    mhs: list[Any] = []
    for chunk in _chunks(len(texts), 50_000):
        mhs.extend(
            RMinHash.from_token_sets(
                [char_shingles(texts[i]) for i in chunk], num_perm=NUM_PERM, seed=1
            )
        )
    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=RENSA_BANDS)
    lsh.insert_many(mhs)
    candidates = lsh.query_all(mhs)
    pairs = []
    n_cand = 0
    for k, cands in enumerate(candidates):
        for o in cands:
            if o > k:
                n_cand += 1
                if mhs[k].jaccard(mhs[o]) >= THRESHOLD:
                    pairs.append((k, o))
    write_result(
        out, units, clusters_from_pairs(pairs), {"candidate_pairs": n_cand, "pairs": len(pairs)}
    )


def _write_jsonl(path: Path, texts: Sequence[str], ids: Sequence[int]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for i in ids:
            f.write(json.dumps({"id": str(i), "text": texts[i]}, ensure_ascii=False) + "\n")


def worker_datatrove(corpus: Path, out: Path, workers: int) -> None:
    """datatrove's MinHash pipeline (4 stages, local executor), Chinese word tokenizer."""
    from datatrove.executor.local import LocalPipelineExecutor
    from datatrove.pipeline.dedup.minhash import (
        MinhashConfig,
        MinhashDedupBuckets,
        MinhashDedupCluster,
        MinhashDedupFilter,
        MinhashDedupSignature,
    )
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers.jsonl import JsonlWriter
    from datatrove.utils.typeshelper import Languages

    units, texts = load_units(corpus)
    work = out / "work"
    inp = work / "input"
    inp.mkdir(parents=True)
    tasks = max(1, workers)
    n = len(texts)
    for t in range(tasks):
        _write_jsonl(inp / f"{t:05d}.jsonl", texts, range(t * n // tasks, (t + 1) * n // tasks))
    config = MinhashConfig()
    lang = Languages.mandarin_chinese__hani

    def reader() -> Any:
        return JsonlReader(str(inp), glob_pattern="*.jsonl")

    logs = work / "logs"
    s1 = LocalPipelineExecutor(
        pipeline=[
            reader(),
            MinhashDedupSignature(output_folder=str(work / "sigs"), config=config, language=lang),
        ],
        tasks=tasks,
        workers=workers,
        logging_dir=str(logs / "1"),
    )
    s2 = LocalPipelineExecutor(
        pipeline=[
            MinhashDedupBuckets(
                input_folder=str(work / "sigs"), output_folder=str(work / "buckets"), config=config
            )
        ],
        tasks=config.num_buckets,
        workers=workers,
        logging_dir=str(logs / "2"),
        depends=s1,
    )
    s3 = LocalPipelineExecutor(
        pipeline=[
            MinhashDedupCluster(
                input_folder=str(work / "buckets"),
                output_folder=str(work / "remove"),
                config=config,
                save_cluster_id=True,
            )
        ],
        tasks=1,
        logging_dir=str(logs / "3"),
        depends=s2,
    )
    s4 = LocalPipelineExecutor(
        pipeline=[
            reader(),
            MinhashDedupFilter(
                input_folder=str(work / "remove"),
                exclusion_writer=JsonlWriter(str(work / "removed")),
                load_cluster_ids=True,
            ),
            JsonlWriter(str(work / "kept")),
        ],
        tasks=tasks,
        workers=workers,
        logging_dir=str(logs / "4"),
        depends=s3,
    )
    s4.run()
    by_cluster: dict[int, list[int]] = {}
    for folder in ("kept", "removed"):
        for path in sorted((work / folder).glob("*")):
            opener = gzip.open if path.suffix == ".gz" else open
            with opener(path, "rt", encoding="utf-8") as f:
                for line in f:
                    doc = json.loads(line)
                    cid = doc.get("metadata", {}).get("minhash_cluster_id", -1)
                    if cid is not None and cid >= 0:
                        by_cluster.setdefault(cid, []).append(int(doc["id"]))
    clusters = [sorted(c) for c in by_cluster.values() if len(c) > 1]
    write_result(out, units, clusters, {"config": str(config)})


def worker_text_dedup(corpus: Path, out: Path, workers: int) -> None:
    """``python -m text_dedup.minhash`` on a JSONL of the blocks; clusters from its uf.pkl."""
    units, texts = load_units(corpus)
    work = out / "work"
    work.mkdir(parents=True)
    data = work / "paragraphs.jsonl"
    with data.open("w", encoding="utf-8") as f:
        for t in texts:
            f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
    cmd = [
        sys.executable,
        "-m",
        "text_dedup.minhash",
        "--path",
        "json",
        "--data_files",
        str(data),
        "--split",
        "train",
        "--cache_dir",
        str(work / "cache"),
        "--output",
        str(work / "output"),
        "--column",
        "text",
        "--threshold",
        str(THRESHOLD),
        "--num_proc",
        str(max(1, workers)),
        "--debug",
    ]
    subprocess.run(cmd, check=True, cwd=work)
    with (work / "output" / "uf.pkl").open("rb") as f:
        uf = pickle.load(f)  # the tool's own UnionFind; the file was just written by it
    groups: dict[int, list[int]] = {}
    for k in list(uf.parent):
        groups.setdefault(uf.find(k), []).append(int(k))
    clusters = [sorted(g) for g in groups.values() if len(g) > 1]
    write_result(out, units, clusters, {"command": " ".join(cmd[1:])})


def worker_data_juicer(corpus: Path, out: Path, workers: int) -> None:
    """data-juicer's document_minhash_deduplicator, character 5-grams, clusters from process()."""
    import datasets
    from data_juicer.ops.deduplicator.document_minhash_deduplicator import (
        DocumentMinhashDeduplicator,
    )

    units, texts = load_units(corpus)
    datasets.disable_progress_bars()
    op = DocumentMinhashDeduplicator(
        tokenization="character",
        window_size=NGRAM,
        jaccard_threshold=THRESHOLD,
        num_proc=max(1, workers),
    )
    ds = datasets.Dataset.from_dict({"text": texts, "uid": list(range(len(texts)))})
    ds = ds.map(op.compute_hash, num_proc=op.runtime_np())
    # process() is what op.run() calls; show_num asks it to return every cluster
    kept, dup = op.process(ds, show_num=len(ds))
    clusters = [sorted(int(s["uid"]) for s in samples) for samples in dup.values()]
    write_result(
        out,
        units,
        [c for c in clusters if len(c) > 1],
        {"kept": len(kept), "bands": op.num_bands, "rows": op.num_rows_per_band},
    )


WORKERS: dict[str, Callable[[Path, Path, int], None]] = {
    "datasketch": worker_datasketch,
    "rensa": worker_rensa,
    "datatrove": worker_datatrove,
    "text-dedup": worker_text_dedup,
    "data-juicer": worker_data_juicer,
}


def worker_main(argv: Sequence[str]) -> int:
    """``bench_peers.py worker NAME CORPUS OUT [--workers N]``."""
    ap = argparse.ArgumentParser(prog="bench_peers.py worker")
    ap.add_argument("name", choices=sorted(WORKERS))
    ap.add_argument("corpus", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    WORKERS[a.name](a.corpus, a.out, a.workers)
    return 0


# =========================================================================================
# Driver side
# =========================================================================================


@dataclass(frozen=True)
class Tool:
    """One row of the table."""

    name: str
    env: str | None  # peer venv name; None for textwash's own .venv
    dist: str  # distribution whose version is reported
    compares: str
    dedup: bool = True


TOOLS: tuple[Tool, ...] = (
    Tool("textwash-clean", None, "textwash", "cleaning only (zh preset)", dedup=False),
    Tool("textwash-dedup", None, "textwash", "cleaned units; exact + MinHash-LSH + containment"),
    Tool("datasketch", None, "datasketch", "raw blocks, char 5-grams, 128 perm, LSH 0.8"),
    Tool("rensa", "rensa", "rensa", "raw blocks, char 5-grams, 128 perm, 16×8 bands, est. J ≥ 0.8"),
    Tool("datatrove", "datatrove", "datatrove", "raw blocks, jieba word 5-grams, 14×8 buckets"),
    Tool(
        "text-dedup", "text-dedup", "text-dedup", "raw blocks, \\W-token (clause) 5-grams, 250 perm"
    ),
    Tool("data-juicer", "data-juicer", "py-data-juicer", "raw blocks, char 5-grams, 256 perm"),
)
TOOL_NAMES = tuple(t.name for t in TOOLS)


# -- environments --------------------------------------------------------------------------


def env_python(name: str) -> Path:
    """The interpreter of peer ``name``'s virtual environment."""
    return PEERS_DIR / name / "bin" / "python"


def ensure_env(name: str, skip_install: bool, log: Path) -> Path:
    """Create ``build/peers/<name>`` and install ``benchmarks/peers/<name>.txt`` into it.

    A stamp file holding the requirements makes a second run skip the install;
    ``skip_install`` never installs and fails if the environment is missing.
    """
    py = env_python(name)
    req = REQUIREMENTS / f"{name}.txt"
    stamp = PEERS_DIR / name / ".bench-requirements"
    wanted = req.read_text(encoding="utf-8")
    if skip_install:
        if not py.exists():
            raise RuntimeError(f"{PEERS_DIR / name} does not exist (run without --skip-install)")
        return py
    if py.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return py
    PEERS_DIR.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as f:
        base = getattr(sys, "_base_executable", sys.executable)
        steps = [
            [base, "-m", "venv", str(PEERS_DIR / name)],
            [str(py), "-m", "pip", "install", "-q", "--upgrade", "pip"],
            [str(py), "-m", "pip", "install", "-q", "-r", str(req)],
        ]
        for cmd in steps:
            f.write("$ " + " ".join(cmd) + "\n")
            f.flush()
            r = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, check=False)
            if r.returncode:
                raise RuntimeError(f"{' '.join(cmd[-3:])} failed (exit {r.returncode}); see {log}")
    stamp.write_text(wanted, encoding="utf-8")
    return py


def dist_version(python: Path, dist: str) -> str:
    """``importlib.metadata.version(dist)`` in another interpreter."""
    r = subprocess.run(
        [str(python), "-c", f"import importlib.metadata as m; print(m.version({dist!r}))"],
        capture_output=True,
        text=True,
        check=False,
    )
    return r.stdout.strip() or "?"


def textwash_revision() -> str:
    """The commit of the textwash checkout, ``+dirty`` if ``src/`` has uncommitted changes.

    Read-only git calls (``--no-optional-locks`` keeps ``status`` from touching
    the index).
    """
    git = ["git", "--no-optional-locks", "-C", str(ROOT)]
    head = subprocess.run(
        [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "--", "src"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return (head or "?") + ("+dirty" if dirty else "")


def textwash_dedup_help() -> str:
    """``textwash dedup --help``."""
    r = subprocess.run([str(TEXTWASH_BIN), "dedup", "--help"], capture_output=True, text=True)
    return r.stdout


# -- measuring -----------------------------------------------------------------------------


def _children() -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat.rsplit(b")", 1)[1].split()
        out.setdefault(int(fields[1]), []).append(int(d))
    return out


def _tree(pid: int) -> list[int]:
    kids = _children()
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo.extend(kids.get(p, ()))
    return seen


def _pss_kb(pid: int) -> int:
    """Proportional set size of ``pid`` in kB (RSS where smaps_rollup cannot be read)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
    except OSError:
        return 0


@dataclass
class Run:
    """What one measured command did."""

    cmd: list[str]
    wall: float = 0.0
    returncode: int | None = None
    peak_pss_mb: float = 0.0
    max_rss_mb: float | None = None
    timed_out: bool = False
    stderr_tail: str = ""


def measure(cmd: list[str], *, cwd: Path, log: Path, timeout: float, env: dict[str, str]) -> Run:
    """Run ``cmd`` in its own session, polling the memory of its process tree."""
    run = Run(cmd)
    time_file = log.with_suffix(".time")
    full = cmd
    if Path("/usr/bin/time").exists():
        full = ["/usr/bin/time", "-v", "-o", str(time_file), *cmd]
    with log.open("w", encoding="utf-8") as out:
        out.write("$ " + " ".join(cmd) + "\n")
        out.flush()
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            full, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        peak = 0
        while proc.poll() is None:
            peak = max(peak, sum(_pss_kb(p) for p in _tree(proc.pid)))
            if time.perf_counter() - t0 > timeout:
                run.timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                break
            time.sleep(0.2)
        run.wall = time.perf_counter() - t0
        run.returncode = proc.returncode
    run.peak_pss_mb = peak / 1024
    if time_file.exists():
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", time_file.read_text())
        if m:
            run.max_rss_mb = int(m.group(1)) / 1024
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
    run.stderr_tail = "\n".join(lines[-15:])
    return run


# -- the truth and the scoring --------------------------------------------------------------


@dataclass
class Truth:
    """Body paragraphs of a generated corpus and the planted duplicate pairs."""

    corpus: Path
    files: dict[str, tuple[list[int], list[int]]]  # file -> (starts, ends) of its paragraphs
    first_id: dict[str, int]  # file -> id of its first paragraph
    by_key: dict[str, int]  # "file:line" -> paragraph id
    pairs: list[tuple[int, int]]
    pair_tags: list[frozenset[str]]
    stats: dict[str, Any]

    @classmethod
    def load(cls, root: Path) -> Truth:
        """Read ``paragraphs.tsv`` and ``truth.json`` from a generated corpus folder."""
        files: dict[str, tuple[list[int], list[int]]] = {}
        first_id: dict[str, int] = {}
        by_key: dict[str, int] = {}
        with (root / "paragraphs.tsv").open(encoding="utf-8") as f:
            next(f)
            for pid, line in enumerate(f):
                rel, ln, _end_line, start, end = line.rstrip("\n").split("\t")
                if rel not in files:
                    files[rel] = ([], [])
                    first_id[rel] = pid
                files[rel][0].append(int(start))
                files[rel][1].append(int(end))
                by_key[f"{rel}:{ln}"] = pid
        truth = json.loads((root / "truth.json").read_text(encoding="utf-8"))
        members: dict[int, dict[str, Any]] = {}
        for g in truth["groups"]:
            for m in g["members"]:
                members[by_key[f"{m['file']}:{m['line']}"]] = m
        pairs, tags = [], []
        for a, b in truth["pairs"]:
            pa, pb = by_key[a], by_key[b]
            pairs.append((min(pa, pb), max(pa, pb)))
            tags.append(pair_tags(members[pa], members[pb]))
        return cls(root / "corpus", files, first_id, by_key, pairs, tags, truth["stats"])

    def locate(self, rel: str, start: int, end: int) -> int | None:
        """The paragraph that mostly coincides with ``[start, end)`` of file ``rel``."""
        spans = self.files.get(rel)
        if spans is None:
            return None
        starts, ends = spans
        i = bisect_right(starts, start) - 1
        best, best_overlap = None, 0
        for j in (i - 1, i, i + 1):
            if 0 <= j < len(starts):
                overlap = min(end, ends[j]) - max(start, starts[j])
                if overlap > best_overlap:
                    best, best_overlap = j, overlap
        if best is None:
            return None
        if best_overlap < MIN_SHARE * max(1, end - start, ends[best] - starts[best]):
            return None
        return self.first_id[rel] + best

    def score(self, clusters: Sequence[Sequence[Unit]]) -> dict[str, Any]:
        """Precision and recall of the pairs implied by ``clusters`` (see the module doc)."""
        uf = UnionFind()
        members = unmapped = 0
        for c in clusters:
            ids = []
            for rel, start, end in c:
                members += 1
                pid = self.locate(rel, start, end)
                if pid is None:
                    unmapped += 1
                else:
                    ids.append(pid)
            for a, b in itertools.pairwise(ids):
                uf.union(a, b)
            if ids:
                uf.find(ids[0])
        sizes: dict[int, int] = {}
        for x in list(uf.parent):
            r = uf.find(x)
            sizes[r] = sizes.get(r, 0) + 1
        predicted = sum(s * (s - 1) // 2 for s in sizes.values())
        parent = uf.parent
        found = [a in parent and b in parent and uf.find(a) == uf.find(b) for a, b in self.pairs]
        tp = sum(found)
        fp = predicted - tp
        fn = len(self.pairs) - tp
        by_tag: dict[str, list[int]] = {}
        for hit, tags in zip(found, self.pair_tags, strict=True):
            for t in tags:
                count = by_tag.setdefault(t, [0, 0])
                count[0] += 1
                count[1] += int(hit)
        precision = tp / predicted if predicted else None
        recall = tp / len(self.pairs) if self.pairs else None
        f1 = (
            2 * precision * recall / (precision + recall)
            if precision is not None and recall is not None and precision + recall
            else None
        )
        return {
            "clusters": len(clusters),
            "members": members,
            "unmapped_members": unmapped,
            "predicted_pairs": predicted,
            "tp": tp,
            "fp": fp,
            "fn": fn,
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "recall_by_kind": {
                k: {"pairs": v[0], "recall": v[1] / v[0]} for k, v in sorted(by_tag.items())
            },
        }


def pair_tags(a: dict[str, Any], b: dict[str, Any]) -> frozenset[str]:
    """Categories of a planted pair for recall by kind.

    ``exact`` / ``near`` (any edit in either member), ``edit:K`` for each edit,
    ``clean`` (neither member has a defect) or ``defect:D`` for each defect, and
    ``identical`` for exact copies without defects (the same characters).
    """
    edits = set(a["edits"]) | set(b["edits"])
    defects = set(a["defects"]) | set(b["defects"])
    tags = {"near" if edits else "exact", "all"}
    tags.update(f"edit:{e}" for e in edits)
    tags.update(f"defect:{d}" for d in defects)
    if not defects:
        tags.add("clean")
        if not edits:
            tags.add("identical")
    return frozenset(tags)


def textwash_clusters(report: Path, corpus: Path) -> list[list[Unit]]:
    """The clusters of a ``textwash dedup`` JSON report as units of files below ``corpus``."""
    data = json.loads(report.read_text(encoding="utf-8"))
    out = []
    for c in data["clusters"]:
        units = []
        for m in c["members"]:
            rel = Path(m["doc_id"]).resolve().relative_to(corpus.resolve()).as_posix()
            units.append((rel, int(m["start"]), int(m["end"])))
        out.append(units)
    return out


def worker_clusters(result: Path) -> tuple[list[list[Unit]], dict[str, Any]]:
    """The clusters and meta data a worker wrote."""
    data = json.loads(result.read_text(encoding="utf-8"))
    return [[(u[0], u[1], u[2]) for u in c] for c in data["clusters"]], data.get("meta", {})


# -- running the tools ---------------------------------------------------------------------


def run_tool(
    tool: Tool,
    *,
    root: Path,
    truth: Truth,
    work: Path,
    args: argparse.Namespace,
    log_dir: Path,
) -> dict[str, Any]:
    """Install (for a peer), run and score one tool; return its row for the JSON."""
    corpus = root / "corpus"
    row: dict[str, Any] = {"tool": tool.name, "compares": tool.compares}
    out = work / tool.name
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    env = dict(os.environ)
    env.update(
        HF_HOME=str(work / "hf-home"),
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        TOKENIZERS_PARALLELISM="false",
        PYTHONUNBUFFERED="1",
    )
    try:
        if tool.env is None:
            python = TEXTWASH_PY
        else:
            python = ensure_env(tool.env, args.skip_install, log_dir / f"install-{tool.env}.log")
        row["version"] = dist_version(python, tool.dist)
        if tool.env is None and tool.name.startswith("textwash"):
            row["version"] += f" @ {textwash_revision()}"
        if tool.name == "textwash-clean":
            cmd = [
                str(TEXTWASH_BIN),
                "clean",
                str(corpus),
                "-o",
                str(out / "cleaned"),
                "--no-progress",
            ]
        elif tool.name == "textwash-dedup":
            cmd = [str(TEXTWASH_BIN), "dedup", str(corpus), "--no-progress"]
            cmd += ["--report", str(out / "report.json")]
            if "--workers" in textwash_dedup_help():
                cmd += ["--workers", str(args.workers)]
        else:
            cmd = [str(python), str(Path(__file__).resolve()), "worker", tool.name]
            cmd += [str(corpus), str(out), "--workers", str(args.workers)]
        print(f"  {tool.name}: {' '.join(cmd[:3])} …", file=sys.stderr, flush=True)
        run = measure(cmd, cwd=out, log=log_dir / f"{tool.name}.log", timeout=args.timeout, env=env)
    except Exception as e:  # an install or start failure is a row, not a crash
        row["error"] = f"{type(e).__name__}: {e}"
        return row
    row.update(
        command=" ".join(cmd),
        wall_s=round(run.wall, 2),
        returncode=run.returncode,
        timed_out=run.timed_out,
        peak_pss_mb=round(run.peak_pss_mb, 1),
        max_rss_mb=None if run.max_rss_mb is None else round(run.max_rss_mb, 1),
        mb_s=round(truth.stats["bytes"] / 1e6 / run.wall, 3),
        paragraphs_s=round(truth.stats["paragraphs"] / run.wall, 1),
    )
    if run.timed_out or run.returncode:
        row["error"] = "timed out" if run.timed_out else f"exit {run.returncode}"
        row["log_tail"] = run.stderr_tail
        return row
    if tool.dedup:
        if tool.env is None and tool.name == "textwash-dedup":
            clusters = textwash_clusters(out / "report.json", corpus)
            report = json.loads((out / "report.json").read_text(encoding="utf-8"))
            row["tool_stats"] = report.get("stats", {})
        else:
            clusters, meta = worker_clusters(out / "result.json")
            row["tool_stats"] = meta
        row.update(truth.score(clusters))
    if not args.keep_outputs:
        shutil.rmtree(out, ignore_errors=True)
    return row


# -- reporting -----------------------------------------------------------------------------


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}"


def _mb(x: float | None) -> str:
    return "–" if x is None else f"{x:,.0f}"


def _ratio(x: float | None, ref: float | None) -> str:
    if x is None or not ref:
        return "–"
    return f"{x / ref:.2f}×"


def results_table(rows: Sequence[dict[str, Any]]) -> str:
    """The main Markdown table, with speed and memory as multiples of textwash dedup's."""
    ref = next((r for r in rows if r["tool"] == "textwash-dedup" and "error" not in r), None)
    ref_speed = ref["mb_s"] if ref else None
    ref_mem = ref["peak_pss_mb"] if ref else None
    out = [
        "| tool | version | compares | wall s | MB/s | paragraphs/s | peak MB (PSS, tree) | "
        "max RSS MB (1 process) | precision % | recall % | speed ÷ textwash dedup | "
        "memory ÷ textwash dedup |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if "wall_s" not in r:
            out.append(
                f"| {r['tool']} | {r.get('version', '–')} | {r['compares']} | "
                f"not run: {r.get('error', '?')} | | | | | | | | |"
            )
            continue
        err = f" ({r['error']})" if "error" in r else ""
        out.append(
            f"| {r['tool']} | {r.get('version', '–')} | {r['compares']} | "
            f"{r['wall_s']:.1f}{err} | {r['mb_s']:.2f} | {r['paragraphs_s']:,.0f} | "
            f"{r['peak_pss_mb']:,.0f} | {_mb(r.get('max_rss_mb'))} | "
            f"{_pct(r.get('precision'))} | {_pct(r.get('recall'))} | "
            f"{_ratio(r['mb_s'], ref_speed)} | {_ratio(r['peak_pss_mb'], ref_mem)} |"
        )
    return "\n".join(out)


KIND_ORDER = (
    "all",
    "identical",
    "exact",
    "near",
    "edit:char_change",
    "edit:drop_function_words",
    "edit:insert_sentence",
    "edit:delete_sentence",
    "clean",
    "defect:ascii_punct",
    "defect:line_wraps",
    "defect:ocr_spaces",
    "defect:fullwidth_digits",
    "defect:lookalikes",
)


def kinds_table(rows: Sequence[dict[str, Any]]) -> str:
    """Recall (%) by kind of planted pair, one column per dedup tool."""
    scored = [r for r in rows if "recall_by_kind" in r]
    if not scored:
        return ""
    first = scored[0]["recall_by_kind"]
    head = "| planted pairs | n | " + " | ".join(r["tool"] for r in scored) + " |"
    out = [head, "|---|---:|" + "---:|" * len(scored)]
    for k in KIND_ORDER:
        if k not in first:
            continue
        cells = [_pct(r["recall_by_kind"].get(k, {}).get("recall")) for r in scored]
        out.append(f"| {k} | {first[k]['pairs']} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def machine() -> dict[str, Any]:
    """Where the run happened."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024**2:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "textwash_commit": textwash_revision(),
    }


# -- main ----------------------------------------------------------------------------------


def ensure_corpus(args: argparse.Namespace) -> Path:
    """The corpus folder: ``--corpus``, or ``build/bench/corpus-<mb>mb`` (generated if missing)."""
    if args.corpus:
        root = Path(args.corpus).resolve()  # the tools run from other folders
    else:
        name = f"corpus-{args.mb:g}mb" + ("" if args.seed == 0 else f"-s{args.seed}")
        root = BENCH_DIR / name
    if (root / "truth.json").exists():
        return root
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_corpus import generate

    print(f"generating {root} ({args.mb:g} MB, seed {args.seed}) …", file=sys.stderr, flush=True)
    generate(root, args.mb, seed=args.seed)
    return root


def parse_only(values: Sequence[str] | None) -> list[str]:
    """``--only a,b --only c`` → ``[a, b, c]``, checked against the tool names."""
    if not values:
        return list(TOOL_NAMES)
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    bad = [n for n in names if n not in TOOL_NAMES]
    if bad:
        raise SystemExit(f"unknown tool(s) {bad}; choose from {', '.join(TOOL_NAMES)}")
    return [n for n in TOOL_NAMES if n in names]


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: corpus, tools, table."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["worker"]:
        return worker_main(argv[1:])
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--mb", type=float, default=5.0, help="corpus size in MB (default 5)")
    ap.add_argument("--seed", type=int, default=0, help="corpus seed (default 0)")
    ap.add_argument("--corpus", type=Path, help="an already generated corpus folder")
    ap.add_argument("--only", action="append", help=f"tools to run: {', '.join(TOOL_NAMES)}")
    ap.add_argument("--skip-install", action="store_true", help="use the peer venvs as they are")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes for peers")
    ap.add_argument("--timeout", type=float, default=3600.0, help="seconds per tool (default 3600)")
    ap.add_argument("--json", type=Path, help="also write the results here")
    ap.add_argument("--keep-outputs", action="store_true", help="keep each tool's output folder")
    args = ap.parse_args(argv)

    names = parse_only(args.only)
    root = ensure_corpus(args)
    truth = Truth.load(root)
    s = truth.stats
    tag = root.name
    work = Path(tempfile.mkdtemp(prefix=f"run-{tag}-", dir=BENCH_DIR))
    log_dir = BENCH_DIR / f"logs-{tag}"
    log_dir.mkdir(parents=True, exist_ok=True)
    info = machine()
    print(
        f"corpus {root}: {s['files']} files, {s['bytes'] / 1e6:.1f} MB, {s['paragraphs']} "
        f"paragraphs ({s['blocks']} blocks), {s['pairs']} planted pairs in {s['groups']} groups",
        file=sys.stderr,
    )
    rows = []
    for tool in TOOLS:
        if tool.name in names:
            rows.append(
                run_tool(tool, root=root, truth=truth, work=work, args=args, log_dir=log_dir)
            )
            r = rows[-1]
            summary = r.get("error") or (
                f"{r['wall_s']:.1f}s, {r['peak_pss_mb']:.0f} MB"
                + (
                    f", P {_pct(r.get('precision'))} R {_pct(r.get('recall'))}"
                    if tool.dedup
                    else ""
                )
            )
            print(f"  {tool.name}: {summary}", file=sys.stderr, flush=True)
    shutil.rmtree(work, ignore_errors=True)

    print(
        f"\n{info['date']}, {info['cpu']}, {info['cores']} cores, {info['memory']}, "
        f"Python {info['python']}, textwash {info['textwash_commit']}"
    )
    print(
        f"corpus: {s['bytes'] / 1e6:.1f} MB in {s['files']} files, {s['paragraphs']:,} "
        f"paragraphs, {s['pairs']:,} planted pairs\n"
    )
    print(results_table(rows))
    print(f"\nlogs: {log_dir}")
    kt = kinds_table(rows)
    if kt:
        print("\nRecall (%) by kind of planted pair:\n")
        print(kt)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "machine": info,
            "corpus": {"path": str(root), **{k: v for k, v in s.items()}},
            "settings": {
                "threshold": THRESHOLD,
                "ngram": NGRAM,
                "num_perm": NUM_PERM,
                "rensa_bands": RENSA_BANDS,
                "workers": args.workers,
                "min_share": MIN_SHARE,
            },
            "results": rows,
        }
        args.json.write_text(
            json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
