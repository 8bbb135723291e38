"""The duplicate index shared through Redis (textwash.dedup.index_redis).

Every test talks to a real ``redis-server`` (tests/redis_server.py starts one for
the session, each test gets a database of its own): no mocks.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from tests.test_incremental import _corpus, _near, _write
from tests.test_index import make_units
from textwash.cli.main import main
from textwash.dedup import find_duplicates
from textwash.dedup.config import DedupConfig
from textwash.dedup.earlier import index_config
from textwash.dedup.index import IndexConfig, IndexCorrupt, IndexMismatch
from textwash.dedup.index_redis import IndexUnavailable, RedisIndex, parse_url

ROOT = Path(__file__).resolve().parents[1]
# the configuration of tests/test_index.py's units: 9 bands of 13 rows
CONFIG = IndexConfig(
    ngram=5,
    num_perm=128,
    seed=1,
    hash_scheme="affine32",
    bands=9,
    rows=13,
    unit="paragraph",
    drop_function_words=False,
    tokenizer="1",
)


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH", "")])
    return env


def _clusters(report) -> list[tuple]:
    """A report's clusters as comparable tuples (every field of every member)."""
    return [
        (c.id, c.kind, [dataclasses.astuple(m) for m in c.members])
        for c in sorted(report.clusters, key=lambda c: c.id)
    ]


# ---------------------------------------------------------------------------- incremental runs


def test_a_second_run_reports_copies_of_the_first_with_their_provenance(redis_db):
    first = _corpus(1, 12)
    day1 = [("day1/a.txt", "\n\n".join(first[:6])), ("day1/b.txt", "\n\n".join(first[6:]))]
    r1 = find_duplicates(day1, index=redis_db, run_id="day-1")
    assert not r1.clusters and r1.stats["index_units_added"] == 12
    r = random.Random(2)
    fresh = _corpus(3, 3)
    day2 = [
        ("day2/c.txt", "\n\n".join([fresh[0], first[7].replace("，", ","), fresh[1]])),
        ("day2/d.txt", "\n\n".join([_near(first[2], r), fresh[2]])),
    ]
    r2 = find_duplicates(day2, index=redis_db, run_id="day-2")
    earlier = {c.members[1].doc_id: c for c in r2.clusters}
    assert set(earlier) == {"day2/c.txt", "day2/d.txt"}
    exact, near = earlier["day2/c.txt"], earlier["day2/d.txt"]
    old = exact.members[0]
    assert (old.run, old.doc_id, old.line, old.kept) == ("day-1", "day1/b.txt", 3, True)
    assert old.text == first[7]
    assert exact.members[1].line == 3 and exact.members[1].measure == "exact"
    assert near.members[0].doc_id == "day1/a.txt" and near.members[0].line == 5
    assert near.members[1].measure == "jaccard" and 0.8 <= near.members[1].similarity < 1
    assert r2.stats["index_units_before"] == 12 and r2.stats["index_units_added"] == 5
    # day 2 again, not added: all five paragraphs are now earlier copies
    r3 = find_duplicates(day2, index=redis_db, run_id="day-3", update_index=False)
    runs = sorted(c.members[0].run for c in r3.clusters)
    assert len(r3.clusters) == 5 and runs.count("day-2") >= 3
    reopened = RedisIndex.open(redis_db)
    assert len(reopened) == 17  # day 3 added nothing
    assert [(r["run"], r["units"], r["inputs"]) for r in reopened.runs()] == [
        ("day-1", 12, 2),
        ("day-2", 5, 2),
    ]
    reopened.close()


def test_copies_within_the_new_run_are_still_found_and_cross_copies_match_a_single_run(redis_db):
    r = random.Random(7)
    base = _corpus(11, 40)
    half1 = base[:20]
    half2 = base[20:] + [base[k] for k in (1, 4, 9)] + [_near(base[k], r) for k in (2, 12, 17)]
    half2 += [base[25], _near(base[30], r)]  # copies inside the new run
    docs1 = [(f"h1/{k}.txt", t) for k, t in enumerate(half1)]
    docs2 = [(f"h2/{k}.txt", t) for k, t in enumerate(half2)]
    find_duplicates(docs1, index=redis_db, run_id="one")
    inc = find_duplicates(docs2, index=redis_db, run_id="two")
    found = {m.doc_id for c in inc.clusters for m in c.members if m.run is None}
    across = {f"h2/{k}.txt" for k in range(20, 26)}
    new_vs_new = [c for c in inc.clusters if all(m.run is None for m in c.members)]
    pairs = sorted(tuple(sorted(m.doc_id for m in c.members)) for c in new_vs_new)
    assert pairs == [("h2/10.txt", "h2/27.txt"), ("h2/26.txt", "h2/5.txt")]
    assert found == across | {"h2/5.txt", "h2/26.txt", "h2/10.txt", "h2/27.txt"}


def test_the_redis_index_and_the_embedded_index_give_the_same_report(redis_db, tmp_path):
    r = random.Random(7)
    base = _corpus(11, 40)
    half1 = base[:20]
    half2 = base[20:] + [base[k] for k in (1, 4, 9)] + [_near(base[k], r) for k in (2, 12, 17)]
    docs1 = [(f"h1/{k}.txt", t) for k, t in enumerate(half1)]
    docs2 = [(f"h2/{k}.txt", t) for k, t in enumerate(half2)]
    reports = {}
    for name, index in (("redis", redis_db), ("embedded", tmp_path / "ix")):
        one = find_duplicates(docs1, index=index, run_id="one")
        two = find_duplicates(docs2, index=index, run_id="two")
        three = find_duplicates(docs1 + docs2, index=index, update_index=False)
        reports[name] = [_clusters(one), _clusters(two), _clusters(three)]
        assert two.stats["index_units_added"] == 26
    assert reports["redis"] == reports["embedded"]
    assert len(reports["redis"][1]) == 6 and reports["redis"][2]


def test_an_index_built_with_other_options_is_refused(redis_db):
    find_duplicates(_corpus(1, 2), index=redis_db, run_id="a")
    with pytest.raises(IndexMismatch) as err:
        find_duplicates(_corpus(1, 2), index=redis_db, ngram=3)
    text = str(err.value)
    assert f"the duplicate index at {redis_db}" in text and "ngram: stored 5, requested 3" in text
    with pytest.raises(IndexMismatch, match="num_perm"):
        find_duplicates(_corpus(1, 2), index=redis_db, num_perm=64)
    # other keep/containment options are fine; another ?name= in the same database is another index
    find_duplicates(_corpus(1, 2), index=redis_db, keep="first", containment=False)
    other = find_duplicates(_corpus(1, 2), index=redis_db + "?name=other", ngram=3)
    assert other.stats["index_units_before"] == 0


def test_reopening_sees_what_was_committed_and_only_that(redis_db):
    units = make_units(1, 30)
    writer = RedisIndex.open(redis_db, CONFIG, write=True)
    writer.add("run-1", units)
    reader = RedisIndex.open(redis_db, CONFIG)
    assert len(writer) == len(reader) == 0 and reader.pending()[0]["run"] == "run-1"
    assert reader.exact(units.keys)[0].size == 0  # written, but not committed
    writer.commit()
    assert len(writer) == 30 and len(reader) == 0  # the reader keeps its snapshot
    reader.refresh()
    assert len(reader) == 30 and not reader.pending()
    again = RedisIndex.open(redis_db)  # config=None: the stored one
    assert again.config == CONFIG
    new, old = again.exact(units.keys[[3, 7]])
    assert new.tolist() == [0, 1] and old.tolist() == [3, 7]
    new, old = again.same_shape(units.shapes[[5]])
    assert new.tolist() == [0] and old.tolist() == [5]
    new, old = again.candidates(units.band_keys[[2, 9]])
    assert (new.tolist(), old.tolist()) == ([0, 1], [2, 9])
    flat, bounds = again.shingles([4, 0])
    at = units.shingle_offsets
    assert flat[bounds[0] : bounds[1]].tolist() == units.shingles[at[4] : at[5]].tolist()
    assert flat[bounds[1] : bounds[2]].tolist() == units.shingles[at[0] : at[1]].tolist()
    u = again.units([8])[0]
    assert (u.row, u.doc_id, u.source, u.line, u.end_line, u.run, u.text) == (
        8,
        units.doc_id[8],
        units.source[8],
        int(units.line[8]),
        int(units.end_line[8]),
        "run-1",
        units.text[8],
    )
    assert again.units([3])[0].source is None  # make_units: every 7th from 3 has none
    with pytest.raises(IndexError):
        again.units([30])
    # a batch added and then dropped (close without commit) leaves nothing behind
    writer.add("run-2", make_units(2, 5))
    writer.close()
    again.refresh()
    assert len(again) == 30 and not again.pending()
    assert [r["run"] for r in again.runs()] == ["run-1"]
    for idx in (reader, again):
        idx.close()


def test_the_lsh_tables_are_datasketchs_and_answer_its_own_minhash(redis_db):
    """Units go in as LeanMinHash objects: datasketch's own MinHash of the same shingles
    (built by datasketch, not by textwash) finds them with MinHashLSH.query."""
    from datasketch import MinHash

    cfg = DedupConfig()
    texts = _corpus(4, 6)
    find_duplicates([(f"{k}.txt", t) for k, t in enumerate(texts)], index=redis_db, run_id="a")
    idx = RedisIndex.open(redis_db, index_config(cfg))
    flat, _ = idx.shingles([2])
    m = MinHash(num_perm=cfg.num_perm, seed=cfg.seed, hashfunc=int)
    m.update_batch(flat.tolist())
    assert idx._lsh.query(m) == [b"2"]
    assert idx._lsh.b == cfg.bands and idx._lsh.r == cfg.rows
    idx.close()


# ---------------------------------------------------------------------------- processes

_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from tests.test_index import make_units
    from tests.test_index_redis import CONFIG
    from textwash.dedup.index_redis import RedisIndex

    url, name, go = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    idx = RedisIndex.open(url, CONFIG, write=True)
    while not go.exists():
        time.sleep(0.005)
    for k in range(12):
        idx.add(f"{name}-{k}", make_units(1000 * (name == "b") + k, 25, f"{name}{k}.txt"))
        idx.commit()
        while len(idx.runs()) < 2:  # both first batches committed before either goes on
            time.sleep(0.005)
            idx.refresh()
    idx.close()
    """
)


def test_two_processes_adding_at_once_lose_nothing(redis_db, tmp_path):
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, redis_db, name, str(go)], env=_env(), cwd=ROOT
        )
        for name in ("a", "b")
    ]
    time.sleep(0.3)  # both have opened the index and wait for the signal
    go.touch()
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    idx = RedisIndex.open(redis_db, CONFIG)
    assert len(idx) == 2 * 12 * 25
    runs = [r["run"] for r in idx.runs()]
    assert sorted(runs) == sorted(f"{n}-{k}" for n in "ab" for k in range(12))
    assert {runs[0], runs[1]} == {"a-0", "b-0"}  # they did write at the same time
    rows = list(range(len(idx)))  # ids 0..599, each taken once
    got = {(u.run, u.text) for u in idx.units(rows)}
    for name in "ab":
        for k in range(12):
            units = make_units(1000 * (name == "b") + k, 25, f"{name}{k}.txt")
            assert {(f"{name}-{k}", t) for t in units.text} <= got
            new, old = idx.exact(units.keys)
            assert new.tolist() == list(range(25))
            assert {u.run for u in idx.units(old)} == {f"{name}-{k}"}
            new, _ = idx.candidates(units.band_keys)
            assert set(new.tolist()) == set(range(25))
    idx.close()


_KILLED = textwrap.dedent(
    """
    import sys, time
    from tests.test_index import make_units
    from tests.test_index_redis import CONFIG
    from textwash.dedup.index_redis import RedisIndex

    idx = RedisIndex.open(sys.argv[1], CONFIG, write=True)
    idx.add("dies", make_units(5, 40))
    print("added", flush=True)
    time.sleep(120)
    """
)


def test_a_run_killed_before_its_commit_leaves_nothing_visible_and_is_swept(redis_db):
    import redis

    with RedisIndex.open(redis_db, CONFIG, write=True) as idx:
        idx.add("kept", make_units(4, 20))
        idx.commit()
    client = redis.Redis.from_url(redis_db)
    keys_before = client.dbsize()
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED, redis_db], env=_env(), cwd=ROOT, stdout=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"added"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    idx = RedisIndex.open(redis_db, CONFIG, write=True)
    assert len(idx) == 20 and [r["run"] for r in idx.runs()] == ["kept"]
    dead = idx.pending()
    assert [(d["run"], d["hi"] - d["lo"]) for d in dead] == [("dies", 40)]
    assert idx.exact(make_units(5, 40).keys)[0].size == 0  # its data is there, invisible
    assert client.dbsize() > keys_before
    assert idx.sweep(older_than=3600) == 0  # too young to be called dead
    assert idx.sweep(older_than=0) == 40
    assert not idx.pending() and client.dbsize() == keys_before
    # the next units get new ids: the dead run's are never reused
    idx.add("next", make_units(6, 3))
    idx.commit()
    assert [u.row for u in idx.units(idx.exact(make_units(6, 3).keys)[1])] == [60, 61, 62]
    idx.close()
    client.close()


def test_a_command_line_run_killed_mid_update_leaves_the_index_as_it_was(redis_db, tmp_path):
    texts = _corpus(9, 6)
    one = _write(tmp_path / "one", texts[:3])
    two = _write(tmp_path / "two", texts[3:])
    common = ["--index", redis_db, "--no-progress"]
    assert main(["dedup", *one, *common, "--run-id", "a"]) == 0
    marker = tmp_path / "marker"
    env = {**_env(), "TEXTWASH_INDEX_PAUSE": f"redis-units:{marker}"}
    cmd = [sys.executable, "-m", "textwash.cli.main", "dedup", *two, *common, "--run-id", "b"]
    proc = subprocess.Popen([*cmd, "--work-dir", str(tmp_path / "work")], env=env)
    deadline = time.monotonic() + 60
    while not marker.exists():  # its unit strings are written, its LSH entries not yet
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    idx = RedisIndex.open(redis_db, write=True)
    assert len(idx) == 3 and [r["run"] for r in idx.runs()] == ["a"]
    assert [(p["run"], p["hi"] - p["lo"]) for p in idx.pending()] == [("b", 3)]
    assert idx.sweep(older_than=0) == 3
    idx.close()
    # the run again: it finds nothing of its dead try, and adds its units
    report = tmp_path / "r.json"
    assert main(["dedup", *two, *common, "--run-id", "b", "--report", str(report)]) == 0
    assert not json.loads(report.read_text(encoding="utf-8"))["clusters"]
    idx = RedisIndex.open(redis_db)
    assert len(idx) == 6 and [r["run"] for r in idx.runs()] == ["a", "b"]
    idx.close()


# ---------------------------------------------------------------------------- command line, errors


def test_command_line_index_on_redis(redis_db, tmp_path, capsys):
    texts = _corpus(5, 4)
    one = _write(tmp_path / "one", texts[:2])
    two = _write(tmp_path / "two", [texts[1], texts[2]])
    report = tmp_path / "r.json"
    common = ["--index", redis_db, "--no-progress", "--report", str(report)]
    assert main(["dedup", *one, *common, "--run-id", "first"]) == 0
    assert main(["dedup", *two, *common, "--run-id", "second"]) == 0
    (cluster,) = json.loads(report.read_text(encoding="utf-8"))["clusters"]
    assert cluster["members"][0]["run"] == "first"
    assert cluster["members"][0]["doc_id"].endswith("one/1.txt")
    capsys.readouterr()
    assert main(["dedup", *two, *common, "--ngram", "4"]) == 2
    err = capsys.readouterr().err
    assert "--index:" in err and "ngram: stored 5, requested 4" in err and "Traceback" not in err


def test_an_unreachable_server_is_a_clear_error(tmp_path, capsys):
    import socket

    pytest.importorskip("redis", reason="the redis package is missing: pip install -e '.[test]'")

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"redis://127.0.0.1:{port}/0"
    one = _write(tmp_path / "one", _corpus(5, 1))
    assert main(["dedup", *one, "--index", url, "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert f"--index: {url}: the Redis server does not answer" in err and "Traceback" not in err


def test_a_server_lost_mid_run_is_a_clear_error_and_nothing_is_half_committed():
    from tests.redis_server import redis_server

    with redis_server() as (url, proc):
        idx = RedisIndex.open(url + "/0", CONFIG, write=True)
        idx.add("a", make_units(2, 10))
        idx.commit()
        idx.add("b", make_units(3, 10))
        proc.kill()
        proc.wait()
        with pytest.raises(IndexUnavailable, match="the Redis server failed"):
            idx.commit()
        with pytest.raises(IndexUnavailable, match="the Redis server failed"):
            idx.exact(make_units(2, 10).keys)
        assert len(idx) == 10  # what it saw committed, not the batch it could not commit
        idx.close()  # nothing to clean up with: the batch stays pending for a sweep


def test_without_the_redis_package_the_index_says_what_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "redis", None)  # as if textwash[redis] were not installed
    url = "redis://127.0.0.1:1/0"
    with pytest.raises(IndexUnavailable, match=r"pip install 'textwash\[redis\]'"):
        RedisIndex.open(url, CONFIG)
    one = _write(tmp_path / "one", _corpus(5, 1))
    assert main(["dedup", *one, "--index", url, "--no-progress"]) == 2
    assert "pip install 'textwash[redis]'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="database must be a number"):
        parse_url("redis://h/zero")
    assert find_duplicates(_corpus(5, 2), index=tmp_path / "ix").stats["index_units_added"] == 2


def test_stats_report_units_and_redis_memory(redis_db):
    with RedisIndex.open(redis_db, CONFIG, write=True) as idx:
        idx.add("a", make_units(9, 50))
        idx.commit()
        s = idx.stats()
        assert s.units == 50 and s.segments == 1 and s.bytes > 0
        assert np.isclose(s.bytes_per_unit, s.bytes / 50)


def test_a_live_batch_swept_as_dead_is_not_committed(redis_db):
    writer = RedisIndex.open(redis_db, CONFIG, write=True)
    writer.add("slow", make_units(7, 10))
    other = RedisIndex.open(redis_db, CONFIG, write=True)
    assert other.sweep(older_than=0) == 10  # wrongly taken for a dead run's
    with pytest.raises(IndexCorrupt, match="swept"):
        writer.commit()
    other.refresh()
    assert len(other) == 0 and not other.runs() and not other.pending()
    writer.close()
    other.close()
