"""``textwash clean --resume``: a run killed with SIGKILL, resumed, gives the same bytes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from textwash.cli.journal import JOURNAL_NAME
from textwash.cli.main import main

DATA = Path(__file__).parent / "data" / "clean_zh.txt"
FILES = 160


def _dirty(k: int) -> str:
    """A dump-like file: clean paragraphs damaged the way scrapers damage them."""
    paragraphs = [p for p in DATA.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    body = "\n\n".join(paragraphs[(k + i) % len(paragraphs)] for i in range(12))
    return (f"第{k}篇\n\n" + body.replace("，", ",").replace("：", ":")) * 6


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "in"
    for k in range(FILES):
        sub = root / f"part{k % 4}"
        sub.mkdir(parents=True, exist_ok=True)
        if k % 10 == 0:
            records = [
                json.dumps({"id": i, "text": _dirty(k + i)}, ensure_ascii=False) for i in range(3)
            ]
            (sub / f"f{k:03d}.jsonl").write_text("\n".join(records) + "\n", encoding="utf-8")
        else:
            (sub / f"f{k:03d}.txt").write_text(_dirty(k), encoding="utf-8")
    return root


def _outputs(folder: Path) -> dict[str, bytes]:
    """Every visible output file (not the journal, not temporaries) and its bytes."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def _command(src: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "textwash.cli.main", "clean", str(src), "-o", str(out),
            "--workers", "1", "--no-progress", *extra]  # fmt: skip


def test_a_killed_run_resumes_to_the_same_bytes(corpus, tmp_path):
    whole = tmp_path / "whole"
    subprocess.run(_command(corpus, whole), check=True, capture_output=True)
    expected = _outputs(whole)
    assert len(expected) == FILES

    out = tmp_path / "out"
    proc = subprocess.Popen(_command(corpus, out), stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while len(_outputs(out) if out.exists() else {}) < FILES // 4:
        assert proc.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = _outputs(out)
    assert FILES // 4 <= len(done_before) < FILES  # killed mid-way
    for name, data in done_before.items():  # what is there is complete, never half-written
        assert data == expected[name]

    resumed = subprocess.run(_command(corpus, out, "--resume"), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    skipped = int(resumed.stderr.split("resuming: ")[1].split(" of ")[0])
    assert len(done_before) - 1 <= skipped <= len(done_before)  # the last may not be journaled
    assert _outputs(out) == expected  # byte for byte
    assert not [p for p in out.rglob(".*.tmp")]


def test_resume_redoes_changed_inputs_and_refuses_other_options(corpus, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["clean", str(corpus), "-o", str(out), "--no-progress", "--workers", "1"]) == 0
    changed = corpus / "part1" / "f001.txt"
    changed.write_text("近年来,随着发展", encoding="utf-8")
    capsys.readouterr()
    assert main(["clean", str(corpus), "-o", str(out), "--no-progress", "--resume"]) == 0
    assert f"resuming: {FILES - 1} of {FILES} file(s) already done" in capsys.readouterr().err
    assert (out / "part1" / "f001.txt").read_text(encoding="utf-8") == "近年来，随着发展"

    code = main(
        ["clean", str(corpus), "-o", str(out), "--no-progress", "--resume", "--preset", "minimal"]
    )
    assert code == 2
    assert "the earlier run used another pipeline or other options" in capsys.readouterr().err


def test_resume_needs_an_output(tmp_path, capsys):
    src = tmp_path / "a.txt"
    src.write_text("好", encoding="utf-8")
    assert main(["clean", str(src), "--resume"]) == 2
    assert "--resume needs -o" in capsys.readouterr().err


def test_a_torn_journal_line_is_not_taken_as_done(corpus, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["clean", str(corpus), "-o", str(out), "--no-progress", "--workers", "1"]) == 0
    journal = out / JOURNAL_NAME
    lines = journal.read_text(encoding="utf-8").splitlines()
    journal.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:20], encoding="utf-8")
    capsys.readouterr()
    assert main(["clean", str(corpus), "-o", str(out), "--no-progress", "--resume"]) == 0
    assert f"resuming: {FILES - 1} of {FILES}" in capsys.readouterr().err


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs POSIX processes")
def test_main_module_runs(tmp_path):
    src = tmp_path / "a.txt"
    src.write_text("近年来,随着", encoding="utf-8")
    done = subprocess.run(_command(src, tmp_path / "o.txt"), capture_output=True)
    assert done.returncode == 0
    assert (tmp_path / "o.txt").read_text(encoding="utf-8") == "近年来，随着"


# A large file is cleaned as a stream with a checkpoint per window or batch.
# Here "large" starts at 0 bytes and windows and batches are small, so the
# 2 MB file below gets dozens of checkpoints.
_SMALL_STREAMS = (
    "import sys, textwash.cli.main as m, textwash.cli.streamed as s, textwash.windows as w; "
    "s.STREAM_BYTES = 0; s.JSONL_BATCH_BYTES = 1 << 15; "
    "w.Windowed.__init__.__kwdefaults__.update(window=1 << 14, context=1 << 11); "
    "sys.exit(m.main(sys.argv[1:]))"
)


def _stream_command(src: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-c", _SMALL_STREAMS, "clean", str(src), "-o", str(out),
            "--workers", "1", "--no-progress", *extra]  # fmt: skip


def _checkpoints(journal: Path) -> int:
    try:
        return journal.read_text(encoding="utf-8").count('"checkpoint"')
    except FileNotFoundError:
        return 0


@pytest.mark.parametrize("name", ["big.txt", "big.jsonl"])
def test_a_large_file_killed_mid_way_goes_on_from_its_last_checkpoint(tmp_path, name):
    src = tmp_path / name
    if name.endswith(".jsonl"):
        records = [json.dumps({"id": k, "text": _dirty(k)}, ensure_ascii=False) for k in range(60)]
        src.write_text("\n".join(records) + "\n\n", encoding="utf-8")
    else:
        src.write_text("".join(_dirty(k) for k in range(60)), encoding="utf-8")
    whole = tmp_path / f"whole-{name}"
    subprocess.run(_stream_command(src, whole), check=True, capture_output=True)
    assert not (tmp_path / f".whole-{name}.textwash-journal.jsonl").exists()  # finished: gone

    out = tmp_path / f"out-{name}"
    journal = tmp_path / f".out-{name}.textwash-journal.jsonl"
    proc = subprocess.Popen(_stream_command(src, out), stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while _checkpoints(journal) < 5:
        assert proc.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not out.exists()  # only the hidden partial file: no half-written output
    assert (tmp_path / f".out-{name}.partial").exists()

    resumed = subprocess.run(_stream_command(src, out, "--resume"), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert "going on from its last checkpoint" in resumed.stderr
    assert out.read_bytes() == whole.read_bytes()  # byte for byte
    assert not (tmp_path / f".out-{name}.partial").exists()
