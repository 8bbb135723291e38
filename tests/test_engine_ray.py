"""``--engine ray`` (issue 13): the same outputs as the local engine, on a real local Ray.

The tests that run Ray use the session's 2-CPU local Ray (tests/ray_cluster.py) and
skip when Ray is not installed; the ones about a missing Ray run everywhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.test_isolation import BAD, CLEAN, GOOD, MARKER, FailingStep
from textwash import Pipeline
from textwash.cli.main import main
from textwash.dedup import DocumentFailure, DuplicateReport, deduplicate, find_duplicates
from textwash.normalizers import Punctuation

ROOT = Path(__file__).resolve().parents[1]
JOURNAL = ".textwash-journal.jsonl"
sys.path.insert(0, str(ROOT / "benchmarks" / "labelled"))

import make_set  # noqa: E402

# make test runs pytest-xdist with --dist loadfile: every test of this file runs on one
# worker, so only one local Ray starts (on a 2-core machine two would fight for it).
# (Not xdist_group + --dist loadgroup: with pytest 9 and xdist 3.8 the group is ignored.)

P1 = "公安机关的群众工作是党的群众工作的重要方面，也是公安工作的光荣传统，必须长期坚持下去。"
P2 = "社区图书馆每天早上八点开门，晚上九点闭馆，周末延长开放时间，方便上班族借阅图书和查阅资料。"
P3 = "学校要定期开展消防演练，让每一名学生都熟悉疏散路线，掌握基本的自救和互救方法，防患于未然。"


def _answer(report: DuplicateReport) -> dict[str, Any]:
    """The report without its timings: clusters, members, offsets, params and counts."""
    data = json.loads(report.to_json())
    data["stats"].pop("seconds", None)
    return data


def _tree(root: Path) -> dict[str, bytes]:
    """The files below ``root`` and their bytes, but the run journal (it holds times)."""
    files = (p for p in sorted(root.rglob("*")) if p.is_file())
    return {str(p.relative_to(root)): p.read_bytes() for p in files if p.name != JOURNAL}


def _run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([*map(str, argv), "--no-progress"])
    out, err = capsys.readouterr()
    return code, out, err


# -- without Ray -----------------------------------------------------------------------

_WITHOUT_RAY = """
import sys
sys.modules["ray"] = None  # as if the extra were not installed
from textwash.cli.main import main
import textwash.engines.ray  # imports all the same: Ray is imported lazily
src = sys.argv[1]
codes = [main(["clean", src, "--engine", "ray"]), main(["dedup", src, "--engine", "ray"])]
codes.append(main(["clean", src]))  # the local engine works as ever
print(codes, file=sys.stderr)
"""


def test_without_ray_engine_ray_says_what_to_install(tmp_path: Path) -> None:
    src = tmp_path / "a.txt"
    src.write_text(GOOD, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_RAY, str(src)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        timeout=60,
    )
    assert done.stderr.splitlines()[-1] == "[2, 2, 0]", done.stderr
    assert done.stderr.count("pip install 'textwash[ray]'") == 2
    assert done.stdout == CLEAN


_BOTH = """
import sys
from textwash.cli.main import main
argv = [sys.argv[1], "--engine", "ray", "--ray-address", "127.0.0.1:1", "--no-progress"]
print([main(["clean", *argv]), main(["dedup", *argv])], file=sys.stderr)
"""


def test_a_cluster_that_does_not_answer_is_a_usage_error(tmp_path: Path) -> None:
    """``--ray-address`` where nothing listens: exit 2 at once, saying so (ray.init
    alone would wait without end).  In a process of its own: this one has a Ray."""
    pytest.importorskip("ray")
    src = tmp_path / "a.txt"
    src.write_text(GOOD, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", _BOTH, str(src)], capture_output=True, text=True, timeout=60
    )
    assert done.stderr.splitlines()[-1] == "[2, 2]", done.stderr
    assert done.stderr.count("cannot join the Ray cluster at 127.0.0.1:1: nothing answers") == 2


def test_ray_address_needs_engine_ray(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "a.txt"
    src.write_text(GOOD, encoding="utf-8")
    for command in ("clean", "dedup"):
        code, _, err = _run(capsys, command, src, "--ray-address", "auto")
        assert code == 2 and "--ray-address needs --engine ray" in err


# -- textwash clean --engine ray ---------------------------------------------------------


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    """Text (UTF-8 and GB18030), JSONL with a blank line and Parquet, in two folders."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text(GOOD * 3 + P1 + "\n", encoding="utf-8")
    (root / "b.txt").write_bytes((GOOD + "第 二 段 ,OCR 空 格 。\n").encode("gb18030") * 8)
    records = [{"id": k, "text": t} for k, t in enumerate([GOOD, P2 + ",", "Ａ１ 全角 ,半角"])]
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    (root / "sub" / "c.jsonl").write_text("\n".join([lines[0], "", *lines[1:]]) + "\n", "utf-8")
    table = pa.table({"id": [1, 2, 3], "text": [GOOD, P3.replace("，", ","), "乙 甲"]})
    pq.write_table(table, root / "sub" / "d.parquet")
    return root


def test_clean_writes_the_bytes_of_the_local_engine(
    ray_cluster: Any, mixed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "clean", mixed, "-o", tmp_path / "local", "--workers", 1)
    assert code == 0, err
    code, _, err = _run(capsys, "clean", mixed, "-o", tmp_path / "ray", "--engine", "ray")
    assert code == 0, err
    local, ray = _tree(tmp_path / "local"), _tree(tmp_path / "ray")
    assert set(local) == {"a.txt", "b.txt", "sub/c.jsonl", "sub/d.parquet"}
    assert ray == local


def test_clean_reads_and_writes_the_files_on_the_workers(
    ray_cluster: Any,
    mixed: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With ``--ray-files workers`` (the default) the driver never reads an input: made
    unable to, it still writes what the local engine writes, and so does
    ``--ray-files driver`` once it can read again; the lines on stderr and the
    journal are the local engine's."""
    import textwash.cli.main as cli_main

    code, _, local_err = _run(capsys, "clean", mixed, "-o", tmp_path / "local", "--workers", 2)
    assert code == 0, local_err

    def no_reading(*_: object) -> None:
        raise AssertionError("the driver read an input")

    with monkeypatch.context() as patched:
        patched.setattr(cli_main, "read_source", no_reading)
        code, _, err = _run(capsys, "clean", mixed, "-o", tmp_path / "workers", "--engine", "ray")
        assert code == 0, err
        with pytest.raises(AssertionError, match="the driver read an input"):
            _run(
                capsys,
                "clean",
                mixed,
                "-o",
                tmp_path / "x",
                "--engine",
                "ray",
                "--ray-files",
                "driver",
            )
    code, _, driver_err = _run(
        capsys,
        "clean",
        mixed,
        "-o",
        tmp_path / "driver",
        "--engine",
        "ray",
        "--ray-files",
        "driver",
    )
    assert code == 0, driver_err
    local = _tree(tmp_path / "local")
    assert set(local) == {"a.txt", "b.txt", "sub/c.jsonl", "sub/d.parquet"}
    assert _tree(tmp_path / "workers") == local and _tree(tmp_path / "driver") == local
    lines = sorted(line for line in err.splitlines() if line.startswith(str(mixed)))
    assert lines == sorted(line for line in local_err.splitlines() if line.startswith(str(mixed)))
    assert len(lines) == 4  # a line per file: its encoding
    journal = (tmp_path / "workers" / JOURNAL).read_text(encoding="utf-8").splitlines()[1:]
    done = sorted(Path(json.loads(x)["input"]).relative_to(mixed).as_posix() for x in journal)
    assert done == ["a.txt", "b.txt", "sub/c.jsonl", "sub/d.parquet"]


def test_clean_on_the_workers_resumes_from_the_drivers_journal(
    ray_cluster: Any, mixed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, _, err = _run(capsys, "clean", mixed, "-o", out, "--engine", "ray")
    assert code == 0, err
    first = _tree(out)
    (out / "b.txt").unlink()  # as if the run had been killed before b.txt was written
    code, _, err = _run(capsys, "clean", mixed, "-o", out, "--engine", "ray", "--resume")
    assert code == 0, err
    assert "resuming: 3 of 4 file(s) already done" in err
    assert _tree(out) == first


def test_clean_on_the_workers_says_when_an_output_is_not_seen_here(
    ray_cluster: Any,
    mixed: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A worker on another node writing to its own disk: the driver does not find the
    output, says so, fails that file (exit 1) and does not journal it."""
    import textwash.cli.main as cli_main

    monkeypatch.setattr(cli_main, "_visible", lambda path: path.name != "b.txt")
    out = tmp_path / "out"
    code, _, err = _run(capsys, "clean", mixed, "-o", out, "--engine", "ray")
    assert code == 1
    assert f"{out / 'b.txt'}: written by a Ray worker but not found here" in err
    assert "--ray-files driver" in err
    journal = (out / JOURNAL).read_text(encoding="utf-8")
    assert "a.txt" in journal and "b.txt" not in journal


def test_clean_to_standard_output(
    ray_cluster: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "a.txt"
    src.write_text(GOOD * 2, encoding="utf-8")
    code, out, err = _run(capsys, "clean", src, "--engine", "ray")
    assert code == 0 and out == CLEAN * 2, err


@pytest.fixture
def pipeline_file(tmp_path: Path) -> Path:
    """Punctuation, then a step that raises on any text holding the marker (run on the
    Ray workers, which import it from tests.test_isolation)."""
    path = tmp_path / "failing.toml"
    path.write_text(
        '[[steps]]\nname = "Punctuation"\n\n[[steps]]\nname = "tests.test_isolation:FailingStep"\n',
        encoding="utf-8",
    )
    return path


def test_clean_a_failing_document_fails_that_file_only(
    ray_cluster: Any, pipeline_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "in"
    root.mkdir()
    (root / "a.txt").write_text(GOOD, encoding="utf-8")
    (root / "b.txt").write_text(BAD, encoding="utf-8")
    (root / "c.txt").write_text(GOOD * 2, encoding="utf-8")
    runs = {}
    for engine in ("local", "ray"):
        code, _, err = _run(
            capsys, "clean", root, "-o", tmp_path / engine, "--pipeline", pipeline_file,
            "--engine", engine,
        )  # fmt: skip
        runs[engine] = (code, [x for x in err.splitlines() if "step " in x])
    assert runs["ray"] == runs["local"]
    code, lines = runs["ray"]
    assert code == 1 and len(lines) == 1
    assert lines[0].startswith(f"textwash: error: {root / 'b.txt'}:3: step FailingStep failed: ")
    assert _tree(tmp_path / "ray") == _tree(tmp_path / "local")
    assert _tree(tmp_path / "ray") == {"a.txt": CLEAN.encode(), "c.txt": (CLEAN * 2).encode()}


def test_clean_jsonl_skip_rejects_the_failing_record_as_locally(
    ray_cluster: Any, pipeline_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "data.jsonl"
    rows = [{"id": 1, "text": GOOD}, {"id": 2, "text": BAD}, {"id": 3, "text": GOOD}]
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    outs = {}
    for engine in ("local", "ray"):
        out = tmp_path / engine / "out.jsonl"
        code, _, err = _run(
            capsys, "clean", src, "-o", out, "--pipeline", pipeline_file,
            "--engine", engine, "--on-error", "skip",
        )  # fmt: skip
        assert code == 1
        assert [x for x in err.splitlines() if "step " in x] == [
            f"textwash: skipped: {src}:2: step FailingStep failed: Boom: found the marker at "
            f"{BAD.find(MARKER)}"
        ]
        outs[engine] = _tree(tmp_path / engine)
    assert outs["ray"] == outs["local"]
    assert (
        outs["ray"]["out.jsonl.rejects"] == json.dumps(rows[1], ensure_ascii=False).encode() + b"\n"
    )


def test_clean_a_large_file_streamed_in_windows(
    ray_cluster: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    import textwash.cli.streamed as streamed
    import textwash.windows as windows

    monkeypatch.setattr(streamed, "STREAM_BYTES", -1)  # every file streams ...
    real = windows.Windowed.__init__

    def small(self: Any, pipeline: Any, **kw: Any) -> None:  # ... in small windows
        real(self, pipeline, window=4096, context=512)

    monkeypatch.setattr(windows.Windowed, "__init__", small)
    src = tmp_path / "big.txt"
    src.write_text((GOOD + "第 二 段 ,OCR 空 格 。\n\n" + P1 + "\n") * 300, encoding="utf-8")
    for engine in ("local", "ray"):
        code, _, err = _run(
            capsys, "clean", src, "-o", tmp_path / f"{engine}.txt", "--engine", engine
        )
        assert code == 0, err
    assert (tmp_path / "ray.txt").read_bytes() == (tmp_path / "local.txt").read_bytes()


def _where(_: object) -> tuple[int, str]:
    """This process and its title (a Ray worker names itself ``ray::TASK``)."""
    return os.getpid(), Path("/proc/self/cmdline").read_bytes().decode(errors="replace").split(
        "\x00"
    )[0]


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="needs Linux's /proc")
def test_the_work_runs_in_ray_worker_processes(ray_cluster: Any) -> None:
    """Not in this process, as a silent fallback would: in Ray's worker processes."""
    from textwash.engines.ray import RayWorkers

    with RayWorkers(None) as pool:
        where = set(pool.map(_where, range(64), chunk=4))
    assert os.getpid() not in {pid for pid, _ in where}
    assert all(title.startswith("ray::") for _, title in where), where


def test_ray_workers_keep_the_order_across_windows(ray_cluster: Any) -> None:
    from textwash.engines.ray import RayWorkers
    from textwash.presets import get_preset

    texts = [f"第{k}段 ,内容 。\n" for k in range(300)]
    with RayWorkers(get_preset("zh"), window_bytes=2_000) as pool:  # several windows
        assert pool.workers == 2  # the session's cluster
        got = list(pool.clean_isolated(texts))
    assert got == [get_preset("zh").run(t).text for t in texts]


# -- textwash dedup --engine ray -----------------------------------------------------------


@pytest.mark.parametrize(("seed", "banding"), [(0, "ray"), (1, "ray"), (0, "driver")])
def test_dedup_labelled_set_same_report_as_local(ray_cluster: Any, seed: int, banding: str) -> None:
    from textwash.engines.ray import find_duplicates as on_ray

    docs = make_set.build(seed).docs
    local = find_duplicates(docs, workers=1)
    ray = on_ray(docs, banding=banding)
    assert local.clusters and local.stats["lsh_candidates"]  # the set has copies to find
    assert _answer(ray) == _answer(local)
    assert ray.stats["seconds"]["ray_start"] >= 0


def _own_ray_process(script: str, cwd: Path) -> Any:
    """Run ``script`` in a new Python process (where no Ray runs yet; this one has the
    session's), with the labelled set's folder as its argument; the JSON it prints
    last.  Skips without Ray."""
    pytest.importorskip("ray.data", reason="Ray is not installed: pip install 'textwash[ray]'")
    done = subprocess.run(
        [sys.executable, "-c", script, str(ROOT / "benchmarks" / "labelled")],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


_TWO_NODES = """
import json, logging, sys
sys.path.insert(0, sys.argv[1])
import make_set
import ray
from ray.cluster_utils import Cluster

from textwash.dedup import find_duplicates
from textwash.engines.ray import RayWorkers

def node_of(_):
    return ray.get_runtime_context().get_node_id()

# two Ray nodes (two raylets and object stores) on this machine, a CPU each
cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
cluster.add_node(num_cpus=1)
cluster.wait_for_nodes()
try:
    report = find_duplicates(make_set.build(0).docs, engine="ray", address=cluster.address)
    with RayWorkers(None, cluster.address) as pool:
        nodes = len(set(pool.map(node_of, range(64), chunk=1)))
finally:
    ray.shutdown()
    cluster.shutdown()
data = json.loads(report.to_json())
data["stats"].pop("seconds")
print(json.dumps({"nodes": nodes, "answer": data}))
"""


def test_a_cluster_of_two_nodes_joined_by_address_gives_the_local_report(tmp_path: Path) -> None:
    """A Ray of two nodes on this machine (``ray.cluster_utils.Cluster``, in its own
    process: this one has the session's Ray), joined by its address as
    ``--ray-address`` joins one: the tasks run on both nodes, the results cross
    object stores, and the report is the local engine's."""
    got = _own_ray_process(_TWO_NODES, tmp_path)
    assert got["nodes"] == 2
    local = find_duplicates(make_set.build(0).docs, workers=1)
    assert local.clusters and got["answer"] == _answer(local)


def test_find_duplicates_engine_ray_from_python(ray_cluster: Any) -> None:
    """``textwash.find_duplicates(..., engine="ray")`` is the Ray engine's answer."""
    docs = make_set.build(2).docs
    local = find_duplicates(docs, near_threshold=0.75)
    ray = find_duplicates(docs, near_threshold=0.75, engine="ray")
    assert local.clusters and _answer(ray) == _answer(local)
    assert "ray_start" in ray.stats["seconds"] and "ray_start" not in local.stats["seconds"]
    assert ray.params == local.params


def test_find_duplicates_engine_must_be_local_or_ray() -> None:
    with pytest.raises(ValueError, match="engine must be 'local' or 'ray'"):
        find_duplicates(["甲"], engine="spark")


def test_banding_group_by_on_ray_gives_the_pairs_of_the_driver(ray_cluster: Any) -> None:
    """Many shared keys (buckets of about 25 units) in 9 bands; unit numbers with gaps."""
    import numpy as np

    from textwash.dedup.banding import candidate_pairs
    from textwash.engines.ray import _driver_candidates, _ray_candidates

    rng = np.random.default_rng(7)
    keys = rng.integers(0, 20, size=(500, 9)).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    reps = np.sort(rng.choice(5_000, size=500, replace=False)).astype(np.int64)
    want = reps[candidate_pairs(keys)]
    assert _driver_candidates(keys, reps).tolist() == want.tolist()
    assert _ray_candidates(ray_cluster, keys, reps).tolist() == want.tolist()
    assert _ray_candidates(ray_cluster, keys[:1], reps[:1]).shape == (0, 2)


def test_verification_on_ray_gives_the_answer_of_the_driver(
    ray_cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pairs of shingle sets at every similarity, in many chunks and several windows."""
    import numpy as np

    import textwash.engines.ray as engine
    from textwash.dedup.find import local_verifying
    from textwash.dedup.prepare import UnitArrays
    from textwash.dedup.verify import jaccard

    rng = np.random.default_rng(11)
    arrays = UnitArrays(tmp_path)
    base = np.sort(rng.choice(1 << 20, size=60, replace=False)).astype(np.uint32)
    rows = []
    for k in range(300):  # the base set with k % 60 of its hashes swapped for others
        swapped = np.concatenate([base[k % 60 :], rng.integers(1 << 21, 1 << 22, k % 60)])
        rows.append(np.unique(swapped.astype(np.uint32)))
    rows.append(np.zeros(0, dtype=np.uint32))  # an empty set is never a copy
    arrays.extend((np.concatenate(rows), [r.size for r in rows]), (rows[0], [rows[0].size]), [0])
    arrays.freeze()
    first = rng.integers(0, 300, 700)  # near neighbours are close, far ones are not
    second = np.where(np.arange(700) % 2, (first + rng.integers(0, 3, 700)) % 300, 299 - first)
    pairs = np.stack([first, second], axis=1)
    pairs[:5, 1] = 300
    monkeypatch.setattr(engine, "VERIFY_CHUNK", 64)  # 11 chunks ...
    monkeypatch.setattr(engine, "VERIFY_WINDOW", 4)  # ... in 3 executions
    got = engine._ray_verifying(arrays, ray_cluster)(pairs, 0.7)
    want = local_verifying(arrays)(pairs, 0.7)
    assert got.tolist() == want.tolist()
    assert want.tolist() == [jaccard(rows[i], rows[j]) >= 0.7 for i, j in pairs.tolist()]
    assert 100 < int(want.sum()) < 600 and not want[:5].any()
    assert engine._ray_verifying(arrays, ray_cluster)(pairs[:0], 0.7).shape == (0,)
    arrays.close()


def test_containment_check_on_ray_gives_the_answer_of_the_driver(
    ray_cluster: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Short 3-gram sets against long ones that hold a share of them, from none to
    all, in many chunks and several windows."""
    import numpy as np

    import textwash.engines.ray as engine
    from textwash.dedup.containment import local_holding
    from textwash.dedup.prepare import UnitArrays

    rng = np.random.default_rng(5)
    arrays = UnitArrays(tmp_path)
    short = [np.unique(rng.integers(0, 1 << 30, 40).astype(np.uint32)) for _ in range(50)]
    long = []
    for k in range(250):  # k % 41 of a short set's hashes, in 200 others
        inner = short[k % 50][: k % 41]
        long.append(np.unique(np.concatenate([inner, rng.integers(1 << 30, 1 << 31, 200)])))
    rows = [r.astype(np.uint32) for r in short + long]
    flat = np.concatenate(rows)
    sizes = [r.size for r in rows]
    arrays.extend((flat, sizes), (flat, sizes), np.array(sizes))
    arrays.freeze()
    outer = rng.integers(50, 300, 900)
    inner = np.where(np.arange(900) % 3, (outer - 50) % 50, rng.integers(0, 50, 900))
    pairs = np.stack([inner, outer], axis=1)
    monkeypatch.setattr(engine, "VERIFY_CHUNK", 100)  # 9 chunks ...
    monkeypatch.setattr(engine, "VERIFY_WINDOW", 4)  # ... in 3 executions
    got = engine._ray_holding(arrays, ray_cluster)(pairs, 0.5)
    want = local_holding(arrays.cont_set)(pairs, 0.5)
    assert got.tolist() == want.tolist()
    held = [np.isin(rows[a], rows[b]).sum() >= 0.5 * rows[a].size for a, b in pairs.tolist()]
    assert want.tolist() == held
    assert 100 < int(want.sum()) < 800
    assert engine._ray_holding(arrays, ray_cluster)(pairs[:0], 0.5).shape == (0,)
    arrays.close()


def test_banding_must_be_ray_or_driver(ray_cluster: Any) -> None:
    from textwash.engines.ray import find_duplicates as on_ray

    with pytest.raises(ValueError, match="banding"):
        on_ray(["甲"], banding="spark")


def test_dedup_step_failures_and_long_documents_as_locally(ray_cluster: Any) -> None:
    """A document a step fails on is left out (on_error) as locally; a document longer
    than part_chars is prepared in parts and located whole."""
    from textwash.engines.ray import find_duplicates as on_ray

    docs = [
        ("a", f"{P1}\n\n{P2}\n"),
        ("b", f"{P1}\n\n{MARKER}在这一行。\n\n{P3}\n"),
        ("c", f"{P3}\n\n{P2}\n"),
        ("long", "\n\n".join([P2, *(f"第{k}段没有重复的内容{k * 7919}。" for k in range(60)), P3])),
    ]
    pipeline = Pipeline([Punctuation(), FailingStep()])
    runs = {}
    for name, fn in (("local", find_duplicates), ("ray", on_ray)):
        failures: list[DocumentFailure] = []
        report = fn(docs, pipeline=pipeline, on_error=failures.append, part_chars=600)
        runs[name] = (_answer(report), [(f.doc_id, f.line, str(f.error)) for f in failures])
    assert runs["ray"] == runs["local"]
    answer, failures = runs["ray"]
    assert failures == [("b", 3, failures[0][2])] and "Boom" in failures[0][2]
    assert {m["doc_id"] for c in answer["clusters"] for m in c["members"]} == {"a", "c", "long"}


@pytest.mark.parametrize("kind", ["folder", "redis"])
def test_dedup_with_an_index_as_locally(
    ray_cluster: Any, tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    """The index (an embedded folder, or a Redis database) is read and updated on the
    driver: the Ray engine's runs find what the local engine's find."""
    from textwash.engines.ray import find_duplicates as on_ray

    if kind == "redis":
        db = request.getfixturevalue("redis_db")  # a real redis-server, or skip
        where = {name: f"{db}?name={name}" for name in ("local", "ray")}
    else:
        where = {name: str(tmp_path / name) for name in ("local", "ray")}
    first = [("d1", f"{P1}\n\n{P2}\n")]
    second = [("d2", f"{P2}\n\n{P3}\n"), ("d3", f"{P3}\n")]
    answers = []
    for name, fn in (("local", find_duplicates), ("ray", on_ray)):
        fn(first, index=where[name], run_id="one")
        answers.append(_answer(fn(second, index=where[name], run_id="two")))
    assert answers[1] == answers[0]
    assert answers[0]["stats"]["earlier_clusters"] == 1


def test_dedup_cli_same_report_as_local(
    ray_cluster: Any, pipeline_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "a.txt").write_text(f"{P1}\n\n{P2}\n", encoding="utf-8")
    (root / "b.txt").write_text(f"{P1}\n\n{MARKER}在这一行。\n\n{P3}\n", encoding="utf-8")
    (root / "c.txt").write_text(f"{P3}\n\n{P2}\n", encoding="utf-8")
    records = [{"text": P1}, {"text": f"{P3}\n{MARKER}"}, {"text": P3}]
    (root / "d.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    got = {}
    for engine in ("local", "ray"):
        report = tmp_path / f"{engine}.json"
        code, _, err = _run(
            capsys, "dedup", root, "--report", report, "--pipeline", pipeline_file,
            "--on-error", "skip", "--engine", engine,
        )  # fmt: skip
        assert code == 1, err  # two documents were not compared
        data = json.loads(report.read_text(encoding="utf-8"))
        data["stats"].pop("seconds")
        got[engine] = (data, [x.partition(": found")[0] for x in err.splitlines() if "step " in x])
    assert got["ray"] == got["local"]
    assert got["ray"][1] == [
        f"textwash: skipped: {root / 'b.txt'}:3: step FailingStep failed: Boom",
        f"textwash: skipped: {root / 'd.jsonl'}:2: step FailingStep failed: Boom",
    ]
    assert got["ray"][0]["clusters"]


def test_deduplicate_engine_ray_cuts_what_the_local_engine_cuts(ray_cluster: Any) -> None:
    """Every round's documents prepared on Ray: the same texts, cuts and report."""
    docs = make_set.build(3).docs
    local = deduplicate(docs)
    ray = deduplicate(docs, engine="ray")
    assert local.removed and local.rounds >= 1
    assert [d.text for d in ray.documents] == [d.text for d in local.documents]
    assert ray.removed == local.removed and ray.rounds == local.rounds
    assert _answer(ray.report) == _answer(local.report)


_ONE_RAY = """
import json, sys
sys.path.insert(0, sys.argv[1])
import make_set
import ray

from textwash.dedup import deduplicate

starts = []
init = ray.init
ray.init = lambda *a, **k: (starts.append(1), init(*a, **k))[1]
out = deduplicate(make_set.build(0).docs, engine="ray", num_cpus=1)
print(json.dumps({"starts": len(starts), "rounds": out.rounds, "up": ray.is_initialized()}))
"""


def test_deduplicate_engine_ray_starts_one_ray_for_all_its_rounds(tmp_path: Path) -> None:
    """In a process without Ray running, ``deduplicate(engine="ray")`` starts one
    local Ray for all its rounds (not one a round) and shuts it down at the end."""
    got = _own_ray_process(_ONE_RAY, tmp_path)
    assert got == {"starts": 1, "rounds": 3, "up": False}


def test_dedup_cli_output_corpus_as_locally(
    ray_cluster: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "a.txt").write_text(f"{P1}\n\n{P2}\n", encoding="utf-8")
    (root / "b.txt").write_text(f"前言。\n\n{P1}\n\n{P3}\n", encoding="utf-8")
    (root / "c.txt").write_text(f"{P3}\n\n{P2}\n", encoding="utf-8")
    for engine in ("local", "ray"):
        code, _, err = _run(capsys, "dedup", root, "-o", tmp_path / engine, "--engine", engine)
        assert code == 0, err
    assert _tree(tmp_path / "ray") == _tree(tmp_path / "local")
    assert (tmp_path / "local" / "removed.jsonl").read_text(encoding="utf-8")  # cuts were made
