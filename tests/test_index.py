"""The persistent duplicate index (textwash.dedup.index): real files, real processes, no mocks."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from textwash.dedup.index import (
    DedupIndex,
    IndexBusy,
    IndexConfig,
    IndexCorrupt,
    IndexMismatch,
    IndexUnits,
)

ROOT = Path(__file__).resolve().parents[1]
State = tuple[Path, object, object, IndexUnits]
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


def make_units(
    seed: int,
    n: int,
    doc: str = "a.txt",
    *,
    bands: int = 9,
    shingles: int = 150,
    chars: int = 200,
    vary: bool = True,
    docs_per: int = 50,
) -> IndexUnits:
    """``n`` random units: random digests and band keys, ``shingles`` sorted hashes a unit
    (on average when ``vary``), texts of ``chars`` Han characters (3 UTF-8 bytes each)."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(shingles // 2, shingles * 3 // 2 + 1, n) if vary else np.full(n, shingles)
    flat = rng.integers(0, 2**32, int(counts.sum()), dtype=np.uint32)
    owned = np.repeat(np.arange(n, dtype=np.uint64), counts) << np.uint64(32) | flat
    flat = np.sort(owned).astype(np.uint32)  # sorted within each unit
    han = rng.integers(0x4E00, 0x9FA5, n * chars).astype("<u4").tobytes().decode("utf-32-le")
    lines = 1 + 2 * np.arange(n)
    lengths = np.full(n, chars + 1)
    return IndexUnits(
        keys=rng.integers(0, 256, (n, 16), dtype=np.uint8),
        shapes=rng.integers(0, 256, (n, 16), dtype=np.uint8),
        tokens=rng.integers(1, 300, n),
        band_keys=rng.integers(0, 2**64, (n, bands), dtype=np.uint64),
        shingles=flat,
        shingle_offsets=np.concatenate([[0], np.cumsum(counts)]),
        doc_id=[f"{doc}#{i // docs_per}" for i in range(n)],
        source=[None if i % 7 == 3 else f"dump/{doc}" for i in range(n)],
        line=lines,
        end_line=lines + rng.integers(0, 3, n),
        start=np.cumsum(lengths) - lengths,
        end=np.cumsum(lengths) - 1,
        text=[han[i * chars : (i + 1) * chars] for i in range(n)],
    )


def unit_rows(units: IndexUnits) -> list[tuple[object, ...]]:
    """What an indexed unit must give back, per row (without row and run)."""
    return [
        (
            units.doc_id[i],
            units.source[i],
            int(units.line[i]),
            int(units.end_line[i]),
            int(units.start[i]),
            int(units.end[i]),
            int(units.tokens[i]),
            units.text[i],
        )
        for i in range(len(units))
    ]


def shingle_rows(units: IndexUnits) -> list[list[int]]:
    at = units.shingle_offsets
    return [units.shingles[at[i] : at[i + 1]].tolist() for i in range(len(units))]


def pairs(result: tuple[np.ndarray, np.ndarray]) -> list[tuple[int, int]]:
    new, old = result
    assert new.dtype == old.dtype == np.int64
    return list(zip(new.tolist(), old.tolist(), strict=True))


def build(path: Path, batches: list[tuple[str, IndexUnits]]) -> None:
    for run, units in batches:
        with DedupIndex.open(path, CONFIG, write=True) as idx:
            idx.add(run, units)
            idx.commit()


# ---------------------------------------------------------------------------- round trip


def test_round_trip_queries_against_brute_force(tmp_path: Path) -> None:
    a, b, c = make_units(1, 300, "a.txt"), make_units(2, 200, "b.txt"), make_units(3, 50, "c.txt")
    build(tmp_path / "ix", [("run-a", a)])
    with DedupIndex.open(tmp_path / "ix", CONFIG, write=True) as idx:
        idx.add("run-b", b)
        idx.add("run-c", c)  # two batches, one commit: two segments
        idx.commit()
    old = [a, b, c]
    runs = ["run-a"] * 300 + ["run-b"] * 200 + ["run-c"] * 50
    old_rows = [r for u in old for r in unit_rows(u)]
    old_keys = np.concatenate([u.keys for u in old])
    old_shapes = np.concatenate([u.shapes for u in old])
    old_bands = np.concatenate([u.band_keys for u in old])

    # new units: some copy an old key, shape or band keys (planted), one band key is hot
    rng = np.random.default_rng(7)
    new = make_units(9, 120, "new.txt")
    src = rng.integers(0, 550, 120)
    for i in range(0, 120, 3):
        new.keys[i] = old_keys[src[i]]
    for i in range(0, 120, 4):
        new.shapes[i] = old_shapes[src[i]]
    for i in range(0, 120, 2):
        band = rng.integers(0, 9, rng.integers(1, 4))
        new.band_keys[i, band] = old_bands[src[i], band]
    old_bands[::25, 4] = 12345  # a key shared by 22 old rows of every segment...
    new.band_keys[5, 4] = 12345  # ...and one new row
    path = tmp_path / "ix2"  # the same units with the hot key
    units_a = dataclasses.replace(a, band_keys=old_bands[:300])
    units_b = dataclasses.replace(b, band_keys=old_bands[300:500])
    units_c = dataclasses.replace(c, band_keys=old_bands[500:])
    build(path, [("run-a", units_a), ("run-b", units_b), ("run-c", units_c)])

    for where in (tmp_path / "ix", path):
        idx = DedupIndex.open(where, CONFIG, create=False)  # a reader
        assert len(idx) == 550 and idx.stats().segments == 3
        assert [r["run"] for r in idx.runs()] == ["run-a", "run-b", "run-c"]
        expect = [
            (i, j) for i in range(120) for j in range(550) if (new.keys[i] == old_keys[j]).all()
        ]
        assert pairs(idx.exact(new.keys)) == expect and len(expect) >= 40
        assert pairs(idx.exact([bytes(k) for k in new.keys])) == expect  # list of bytes works too
        expect = [
            (i, j) for i in range(120) for j in range(550) if (new.shapes[i] == old_shapes[j]).all()
        ]
        assert pairs(idx.same_shape(new.shapes)) == expect and len(expect) >= 30

    idx = DedupIndex.open(path, CONFIG, create=False)
    shared = (new.band_keys[:, None, :] == old_bands[None, :, :]).any(axis=2)
    expect = list(zip(*(x.tolist() for x in np.nonzero(shared)), strict=True))
    assert pairs(idx.candidates(new.band_keys)) == expect
    assert sum(1 for i, _ in expect if i == 5) >= 22

    rows = [549, 0, 300, 17, 17, 499, 500]
    got = idx.units(rows)
    assert [u.row for u in got] == rows
    assert [u.run for u in got] == [runs[r] for r in rows]
    assert [(*dataclasses.astuple(u)[1:8], u.text) for u in got] == [old_rows[r] for r in rows]
    flat, at = idx.shingles(rows)
    every = [s for u in old for s in shingle_rows(u)]
    assert at.tolist()[0] == 0 and flat.dtype == np.uint32
    assert [flat[at[k] : at[k + 1]].tolist() for k in range(len(rows))] == [every[r] for r in rows]
    assert idx.units([]) == [] and idx.shingles([])[1].tolist() == [0]
    with pytest.raises(IndexError):
        idx.units([550])


def test_empty_index_and_empty_batch(tmp_path: Path) -> None:
    with DedupIndex.open(tmp_path / "ix", CONFIG, write=True) as idx:
        q = make_units(1, 5)
        assert pairs(idx.exact(q.keys)) == [] and pairs(idx.candidates(q.band_keys)) == []
        idx.add("nothing-new", make_units(1, 0))
        idx.commit()
    idx = DedupIndex.open(tmp_path / "ix")  # config=None: take the stored one
    assert idx.config == CONFIG and len(idx) == 0
    assert [(r["run"], r["units"]) for r in idx.runs()] == [("nothing-new", 0)]


def test_add_needs_the_lock_and_checks_bands(tmp_path: Path) -> None:
    reader = DedupIndex.open(tmp_path / "ix", CONFIG)
    with pytest.raises(RuntimeError, match="write lock"):
        reader.add("r", make_units(1, 3))
    with reader.writing(), pytest.raises(ValueError, match="bands"):
        reader.add("r", make_units(1, 3, bands=4))


def test_units_are_checked() -> None:
    good = make_units(1, 4)
    with pytest.raises(ValueError, match="needs 3 rows"):
        dataclasses.replace(good, text=good.text[:3])
    with pytest.raises(ValueError, match="shingle_offsets"):
        dataclasses.replace(good, shingle_offsets=good.shingle_offsets[::-1])
    with pytest.raises(ValueError, match="16 bytes"):
        dataclasses.replace(good, keys=[b"short"] * 4)


# ---------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("field", "value"),
    [("num_perm", 256), ("ngram", 3), ("seed", 42), ("hash_scheme", "xxh64"), ("tokenizer", "2")],
)
def test_mismatched_config_is_refused(tmp_path: Path, field: str, value: object) -> None:
    build(tmp_path / "ix", [("run-a", make_units(1, 10))])
    other = dataclasses.replace(CONFIG, **{field: value})
    for write in (False, True):
        with pytest.raises(IndexMismatch) as err:
            DedupIndex.open(tmp_path / "ix", other, write=write)
        message = str(err.value)
        assert f"{field}: stored {getattr(CONFIG, field)!r}, requested {value!r}" in message
        assert str(tmp_path / "ix") in message and "new index path" in message
        assert isinstance(err.value, ValueError)
    assert len(DedupIndex.open(tmp_path / "ix", CONFIG)) == 10  # untouched


def test_every_differing_field_is_named(tmp_path: Path) -> None:
    build(tmp_path / "ix", [("run-a", make_units(1, 3))])
    other = dataclasses.replace(CONFIG, ngram=3, bands=8, rows=16, drop_function_words=True)
    with pytest.raises(IndexMismatch) as err:
        DedupIndex.open(tmp_path / "ix", other)
    assert [d[0] for d in err.value.diffs] == ["ngram", "bands", "rows", "drop_function_words"]


def test_missing_or_damaged_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(IndexCorrupt, match=r"manifest\.json: no duplicate index here"):
        DedupIndex.open(tmp_path / "none", CONFIG, create=False)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(IndexCorrupt, match="not empty"):
        DedupIndex.open(tmp_path / "other", CONFIG)  # never writes into a foreign folder

    (tmp_path / "file").write_text("x")
    for write in (False, True):
        with pytest.raises(IndexCorrupt, match=r"Not a directory|not a folder"):
            DedupIndex.open(tmp_path / "file", CONFIG, write=write)

    path = tmp_path / "ix"
    build(path, [("run-a", make_units(1, 10))])
    manifest = (path / "manifest.json").read_text()
    for bad in ("{", "[]", '{"format": "x"}', manifest.replace('"version": 1', '"version": 9')):
        (path / "manifest.json").write_text(bad)
        with pytest.raises(IndexCorrupt) as err:
            DedupIndex.open(path, CONFIG)
        assert str(path / "manifest.json") in str(err.value)
    (path / "manifest.json").write_text(manifest)
    keys = next((path / "segments").iterdir()) / "keys.sorted.npy"
    keys.write_bytes(keys.read_bytes()[:60])
    with pytest.raises(IndexCorrupt, match=r"keys\.sorted\.npy"):
        DedupIndex.open(path, CONFIG)
    keys.unlink()
    with pytest.raises(IndexCorrupt, match="missing"):
        DedupIndex.open(path, CONFIG)
    (path / "manifest.json").unlink()  # segments but no manifest: refuse, do not start afresh
    with pytest.raises(IndexCorrupt, match="not empty"):
        DedupIndex.open(path, CONFIG)


# ---------------------------------------------------------------------------- crash safety

CHILD = """
import os, sys
sys.path[:0] = [{src!r}, {root!r}]
from tests.test_index import CONFIG, make_units
from textwash.dedup.index import DedupIndex
units = make_units({seed}, {n}, "new.txt")
print("ready", flush=True)
with DedupIndex.open({path!r}, CONFIG, write=True) as idx:
    idx.add("run-new", units)
    idx.commit()
print("done", flush=True)
"""


def child(
    path: Path, seed: int, n: int, env: dict[str, str] | None = None
) -> subprocess.Popen[str]:
    code = CHILD.format(src=str(ROOT / "src"), root=str(ROOT), path=str(path), seed=seed, n=n)
    return subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def content(path: Path, probe: IndexUnits) -> object:
    """Everything a reader can see, as comparable values."""
    idx = DedupIndex.open(path, CONFIG, create=False)
    rows = np.arange(len(idx))
    flat, at = idx.shingles(rows)
    return (
        len(idx),
        [(r["run"], r["units"], r["inputs"]) for r in idx.runs()],
        idx.units(rows),
        flat.tobytes(),
        at.tobytes(),
        pairs(idx.exact(probe.keys)),
        pairs(idx.same_shape(probe.shapes)),
        pairs(idx.candidates(probe.band_keys)),
    )


def leftovers(path: Path) -> list[str]:
    listed = {s["name"] for s in json.loads((path / "manifest.json").read_text())["segments"]}
    return sorted(
        [p.name for p in path.iterdir() if p.name.startswith("tmp-") or p.name.endswith(".tmp")]
        + [p.name for p in (path / "segments").iterdir() if p.name not in listed]
    )


@pytest.fixture(scope="module")
def states(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], State]:
    """For a batch size ``n``: an index of two runs (``old``), the same plus run-new's ``n``
    units (``new``) built undisturbed, what a reader sees of each, and run-new's units."""
    cache: dict[int, State] = {}

    def get(n: int) -> State:
        if n not in cache:
            base = tmp_path_factory.mktemp(f"crash{n}")
            build(base / "old", [("run-a", make_units(1, 400)), ("run-b", make_units(2, 300))])
            shutil.copytree(base / "old", base / "new")
            probe = make_units(5, n, "new.txt")
            build(base / "new", [("run-new", probe)])
            cache[n] = (
                base / "old",
                content(base / "old", probe),
                content(base / "new", probe),
                probe,
            )
        return cache[n]

    return get


def after_crash(path: Path, old: object, new: object, probe: IndexUnits) -> object:
    """Check the killed index shows old or new exactly; a next writer cleans up and adds."""
    seen = content(path, probe)
    assert seen in (old, new), "a reader saw a partial update"
    with DedupIndex.open(path, CONFIG, write=True) as idx:
        assert leftovers(path) == []
        idx.add("run-after", make_units(6, 20, "after.txt"))
        idx.commit()
    idx = DedupIndex.open(path, CONFIG)
    assert [r["run"] for r in idx.runs()][-1] == "run-after" and leftovers(path) == []
    assert pairs(idx.exact(make_units(6, 20).keys)) == [(i, len(idx) - 20 + i) for i in range(20)]
    return seen


@pytest.mark.parametrize(
    ("stage", "survives"),
    [
        ("writing", False),  # segment half written in PATH/tmp-*
        ("written", False),  # segment complete, not yet renamed
        ("renamed", False),  # in segments/, but the manifest does not list it
        ("manifest-tmp", False),  # manifest.json.tmp written and fsynced, not yet renamed
        ("replaced", True),  # manifest.json replaced: committed
    ],
)
def test_sigkill_at_each_stage(
    tmp_path: Path, states: Callable[[int], State], stage: str, survives: bool
) -> None:
    old_path, old, new, probe = states(3000)
    path = tmp_path / "ix"
    shutil.copytree(old_path, path)
    marker = tmp_path / "marker"
    proc = child(path, 5, 3000, {"TEXTWASH_INDEX_PAUSE": f"{stage}:{marker}"})
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "the writer never reached " + stage
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if stage in ("writing", "written", "renamed", "manifest-tmp"):
        assert leftovers(path), "the kill should have left something behind"
    seen = after_crash(path, old, new, probe)
    assert seen == (new if survives else old)


def test_sigkill_at_random_moments(tmp_path: Path, states: Callable[[int], State]) -> None:
    """Kills at random times over a write of 20,000 units (timed first, undisturbed)."""
    old_path, old, new, probe = states(20_000)
    shutil.copytree(old_path, tmp_path / "timed")
    proc = child(tmp_path / "timed", 5, 20_000)
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    start = time.monotonic()
    assert proc.stdout.readline() == "done\n"
    took = time.monotonic() - start
    proc.wait()
    assert content(tmp_path / "timed", probe) == new
    rng = random.Random(3)
    outcomes = []
    for attempt in range(6):
        path = tmp_path / f"ix{attempt}"
        shutil.copytree(old_path, path)
        proc = child(path, 5, 20_000)
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        delay = rng.uniform(0, 1.3 * took)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        seen = after_crash(path, old, new, probe)
        outcomes.append((round(delay, 3), "new" if seen == new else "old"))
        shutil.rmtree(path)
    print(f"write took {took:.3f} s; killed after (s) -> state seen:", outcomes)


# ---------------------------------------------------------------------------- writers

WRITER = """
import sys, time
sys.path[:0] = [{src!r}, {root!r}]
from tests.test_index import CONFIG, make_units
from textwash.dedup.index import DedupIndex
reader = DedupIndex.open({path!r}, CONFIG)  # opened early: its manifest goes stale
for i in range({times}):
    units = make_units({seed} + i, 30, "w.txt")
    print("opening", flush=True)
    if {use_context}:
        with reader.writing():
            reader.add(f"{name}-{{i}}", units)
    else:
        with DedupIndex.open({path!r}, CONFIG, write=True) as idx:
            idx.add(f"{name}-{{i}}", units)
            idx.commit()
print("done", flush=True)
"""


def writer(
    path: Path, name: str, seed: int, times: int, use_context: bool
) -> subprocess.Popen[str]:
    code = WRITER.format(
        src=str(ROOT / "src"),
        root=str(ROOT),
        path=str(path),
        name=name,
        seed=seed,
        times=times,
        use_context=use_context,
    )
    return subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def test_second_writer_waits_or_fails_fast(tmp_path: Path) -> None:
    path = tmp_path / "ix"
    first = DedupIndex.open(path, CONFIG, write=True)
    with pytest.raises(IndexBusy, match="another process is writing") as err:
        DedupIndex.open(path, CONFIG, write=True, wait=False)
    assert str(path / "lock") in str(err.value)
    second = writer(path, "second", 100, 1, use_context=False)
    assert second.stdout is not None and second.stdout.readline() == "opening\n"
    time.sleep(1.0)
    assert second.poll() is None, "the second writer did not wait for the lock"
    assert len(DedupIndex.open(path, CONFIG)) == 0
    first.add("first", make_units(1, 10))
    first.commit()
    first.close()
    _, errors = second.communicate(timeout=60)
    assert second.returncode == 0, errors
    idx = DedupIndex.open(path, CONFIG)
    assert [r["run"] for r in idx.runs()] == ["first", "second-0"] and len(idx) == 40


def test_two_writers_lose_no_update(tmp_path: Path) -> None:
    path = tmp_path / "ix"
    DedupIndex.open(path, CONFIG).close()
    procs = [
        writer(path, "p", 10, 6, use_context=False),
        writer(path, "q", 20, 6, use_context=True),
    ]
    for proc in procs:
        _, errors = proc.communicate(timeout=120)
        assert proc.returncode == 0, errors
    idx = DedupIndex.open(path, CONFIG)
    runs = [r["run"] for r in idx.runs()]
    assert sorted(runs) == sorted([f"p-{i}" for i in range(6)] + [f"q-{i}" for i in range(6)])
    assert len(idx) == 12 * 30 and idx.stats().segments == 12 and leftovers(path) == []
    for i in range(6):  # every batch findable where the run log says it went
        for name, seed in (("p", 10), ("q", 20)):
            new, old = idx.exact(make_units(seed + i, 30).keys)
            assert new.tolist() == list(range(30))
            assert {u.run for u in idx.units(old)} == {f"{name}-{i}"}


# ---------------------------------------------------------------------------- compaction


def test_compact_keeps_answers_and_open_readers(tmp_path: Path) -> None:
    path = tmp_path / "ix"
    batches = [(f"run-{k}", make_units(k, 100 + 10 * k, f"{k}.txt")) for k in range(4)]
    build(path, batches)
    probe = make_units(1, 110)
    probe.band_keys[:, 2] = make_units(3, 110).band_keys[:, 2]
    before = content(path, probe)
    reader = DedupIndex.open(path, CONFIG)
    with DedupIndex.open(path, CONFIG, write=True) as idx:
        idx.compact()
        assert idx.stats().segments == 1
    assert content(path, probe) == before and leftovers(path) == []
    assert [p.name for p in (path / "segments").iterdir()] == ["000005"]  # names never reused
    assert len(reader.units(np.arange(len(reader)))) == len(reader)  # old mappings still work
    build(path, [("run-9", make_units(9, 5))])
    assert DedupIndex.open(path, CONFIG).stats().segments == 2


# ---------------------------------------------------------------------------- growth


def test_bytes_per_unit(tmp_path: Path) -> None:
    """150 shingles, 9 bands, 600-byte text (200 Han characters): see docs/index-format.md."""
    n = 4000
    build(tmp_path / "ix", [("run-a", make_units(1, n, vary=False, docs_per=40))])
    stats = DedupIndex.open(tmp_path / "ix", CONFIG).stats()
    # keys + shapes: 16 digest + 8 sorted prefix + 4 row; 9 bands x (8 key + 4 row);
    # shingles 150 x 4 + 8 offset; text 600 + 8 offset; meta 32
    per_unit = 2 * (16 + 8 + 4) + 9 * 12 + (150 * 4 + 8) + (600 + 8) + 32
    assert per_unit == 1412
    print(f"{stats.bytes_per_unit:.1f} bytes per unit ({stats.bytes} bytes, {n} units)")
    assert per_unit <= stats.bytes_per_unit < per_unit + 8  # headers, doc table, manifest
