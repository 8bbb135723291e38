"""Incremental dedup: runs compare new text with what earlier runs put in a persistent index."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from textwash.cli.main import main
from textwash.dedup import DuplicateReport, find_duplicates
from textwash.dedup.index import DedupIndex, IndexMismatch

ROOT = Path(__file__).resolve().parents[1]
CHARS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说"
    "产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点"
    "从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又"
)


def _paragraph(r: random.Random, n: int = 90) -> str:
    words = []
    for k in range(n):
        words.append(r.choice(CHARS))
        if k % 17 == 16:
            words.append("，")
    return "".join(words) + "。"


def _corpus(seed: int, n: int) -> list[str]:
    r = random.Random(seed)
    return [_paragraph(r) for _ in range(n)]


def _near(text: str, r: random.Random) -> str:
    """One character in 90 changed: Jaccard of 5-gram shingles stays above 0.8."""
    out = list(text)
    for k in range(30, len(out) - 5, 90):
        out[k] = "某" if out[k] != "某" else "甲"
    return "".join(out)


def test_a_second_run_reports_copies_of_the_first_with_their_provenance(tmp_path):
    index = tmp_path / "ix"
    first = _corpus(1, 12)
    day1 = [("day1/a.txt", "\n\n".join(first[:6])), ("day1/b.txt", "\n\n".join(first[6:]))]
    r1 = find_duplicates(day1, index=index, run_id="day-1")
    assert not r1.clusters and r1.stats["index_units_added"] == 12
    r = random.Random(2)
    fresh = _corpus(3, 3)
    # b.txt of day 2: a new paragraph, an exact copy (other punctuation), a near copy
    day2 = [
        ("day2/c.txt", "\n\n".join([fresh[0], first[7].replace("，", ","), fresh[1]])),
        ("day2/d.txt", "\n\n".join([_near(first[2], r), fresh[2]])),
    ]
    r2 = find_duplicates(day2, index=index, run_id="day-2")
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
    # a third run of day 2 again: all five paragraphs are now earlier copies
    r3 = find_duplicates(day2, index=index, run_id="day-3", update_index=False)
    runs = sorted(c.members[0].run for c in r3.clusters)
    assert len(r3.clusters) == 5 and runs.count("day-2") >= 3
    assert len(DedupIndex.open(index)) == 17  # day 3 added nothing


def test_incremental_finds_the_cross_copies_a_single_run_finds(tmp_path):
    r = random.Random(7)
    base = _corpus(11, 40)
    half1 = base[:20]
    half2 = base[20:] + [base[k] for k in (1, 4, 9)] + [_near(base[k], r) for k in (2, 12, 17)]
    docs1 = [(f"h1/{k}.txt", t) for k, t in enumerate(half1)]
    docs2 = [(f"h2/{k}.txt", t) for k, t in enumerate(half2)]
    single = find_duplicates(docs1 + docs2)
    across = set()
    for c in single.clusters:
        ids = {m.doc_id for m in c.members}
        for m in c.members:
            if m.doc_id.startswith("h2/") and any(i.startswith("h1/") for i in ids):
                across.add(m.doc_id)
    assert len(across) == 6
    find_duplicates(docs1, index=tmp_path / "ix", run_id="one")
    inc = find_duplicates(docs2, index=tmp_path / "ix", run_id="two")
    found = {m.doc_id for c in inc.clusters for m in c.members if m.run is None}
    assert found == across


def test_an_index_built_with_other_options_is_refused(tmp_path):
    index = tmp_path / "ix"
    find_duplicates(_corpus(1, 2), index=index, run_id="a")
    with pytest.raises(IndexMismatch) as err:
        find_duplicates(_corpus(1, 2), index=index, ngram=3)
    assert "ngram: stored 5, requested 3" in str(err.value)
    with pytest.raises(IndexMismatch, match="num_perm"):
        find_duplicates(_corpus(1, 2), index=index, num_perm=64)
    # the same options are accepted (a config with other keep/containment is fine)
    find_duplicates(_corpus(1, 2), index=index, keep="first", containment=False)


def _write(folder: Path, texts: list[str]) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k, t in enumerate(texts):
        p = folder / f"{k}.txt"
        p.write_text(t + "\n", encoding="utf-8")
        paths.append(str(p))
    return paths


def test_command_line_index_runs_and_refuses_mismatch(tmp_path, capsys):
    texts = _corpus(5, 4)
    one = _write(tmp_path / "one", texts[:2])
    two = _write(tmp_path / "two", [texts[1], texts[2]])
    index, report = tmp_path / "ix", tmp_path / "r.json"
    common = ["--index", str(index), "--no-progress", "--report", str(report)]
    assert main(["dedup", *one, *common, "--run-id", "first"]) == 0
    assert main(["dedup", *two, *common, "--run-id", "second"]) == 0
    data = json.loads(report.read_text(encoding="utf-8"))
    (cluster,) = data["clusters"]
    assert cluster["members"][0]["run"] == "first"
    assert cluster["members"][0]["doc_id"].endswith("one/1.txt")
    assert cluster["members"][1]["run"] is None
    assert DuplicateReport.from_json(report.read_text(encoding="utf-8")).clusters[0].members[0].run
    capsys.readouterr()
    assert main(["dedup", *two, *common, "--ngram", "4"]) == 2
    err = capsys.readouterr().err
    assert "--index:" in err and "ngram: stored 5, requested 4" in err and "Traceback" not in err
    assert main(["dedup", *two, "--run-id", "x", "--no-progress"]) == 2  # --run-id needs --index


@pytest.mark.parametrize("stage", ["writing", "renamed", "manifest-tmp"])
def test_a_run_killed_while_it_updates_the_index_leaves_it_whole(tmp_path, stage):
    texts = _corpus(9, 6)
    one = _write(tmp_path / "one", texts[:3])
    two = _write(tmp_path / "two", texts[3:])
    index = tmp_path / "ix"
    assert main(["dedup", *one, "--index", str(index), "--no-progress", "--run-id", "a"]) == 0
    before = len(DedupIndex.open(index))
    marker = tmp_path / "marker"
    env = {**os.environ, "TEXTWASH_INDEX_PAUSE": f"{stage}:{marker}"}
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-m", "textwash.cli.main", "dedup", *two, "--index", str(index)]
    # its work folder in tmp_path: a killed run cannot delete it itself
    work = ["--work-dir", str(tmp_path / "work")]
    proc = subprocess.Popen([*cmd, "--no-progress", "--run-id", "b", *work], env=env)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert proc.poll() is None, "the run ended before it reached the update"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    after = DedupIndex.open(index)
    assert len(after) == before and [r["run"] for r in after.runs()] == ["a"]
    # the next run cleans up and adds its units
    assert main(["dedup", *two, "--index", str(index), "--no-progress", "--run-id", "b"]) == 0
    assert len(DedupIndex.open(index)) == before + 3
