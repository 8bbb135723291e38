"""A step that fails on one document must not end the run (issue 15).

The failing step is a real user step, loaded from a ``--pipeline`` file as
``tests.test_isolation:FailingStep``: it raises on any text holding
:data:`MARKER`.  Worker processes are forked, so they import it too.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from pathlib import Path

import pytest

from textwash import CleaningError, Normalizer, Pipeline
from textwash.cli.main import StepFailed, main
from textwash.dedup import DocumentFailure, deduplicate, find_duplicates
from textwash.edits import Edit
from textwash.normalizers import Punctuation
from textwash.parallel import Failure, Workers

MARKER = "爆炸"
GOOD = "近年来,随着社会的发展,群众工作面临新的挑战。\n"
CLEAN = "近年来，随着社会的发展，群众工作面临新的挑战。\n"
#: The marker is on line 3.
BAD = "第一行,没有问题。\n第二行,也没有。\n第三行在这里爆炸了。\n第四行。\n"


class Boom(ValueError):
    """What :class:`FailingStep` raises; ``position`` is where the marker is."""

    def __init__(self, position: int) -> None:
        super().__init__(f"found the marker at {position}")
        self.position = position


@dataclass(frozen=True, repr=False)
class FailingStep(Normalizer):
    """A user step that raises on any text holding ``marker``, and changes nothing else."""

    marker: str = MARKER

    def edits(self, text: str) -> list[Edit]:
        at = text.find(self.marker)
        if at >= 0:
            raise Boom(at)
        return []


PIPELINE = Pipeline([Punctuation(), FailingStep()])


def _boom_line(path: Path | str, where: str) -> str:
    """The report of a failure at ``where`` (``:3``, ``: row 1``) of ``path``, minus the prefix."""
    return f"{path}{where}: step FailingStep failed: Boom: found the marker at "


@pytest.fixture
def pipeline_file(tmp_path: Path) -> Path:
    path = tmp_path / "failing.toml"
    path.write_text(
        '[[steps]]\nname = "Punctuation"\n\n[[steps]]\nname = "tests.test_isolation:FailingStep"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Three good plain-text files and a bad one (in GB18030, to check the bytes kept)."""
    root = tmp_path / "in"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text(GOOD, encoding="utf-8")
    (root / "b.txt").write_bytes(BAD.encode("gb18030") * 8)  # long enough to detect
    (root / "c.txt").write_text(GOOD * 2, encoding="utf-8")
    (root / "sub" / "d.txt").write_text(GOOD, encoding="utf-8")
    return root


def _clean(capsys, *argv: object) -> tuple[int, str]:
    code = main(["clean", *map(str, argv), "--no-progress"])
    return code, capsys.readouterr().err


def _lines_about(err: str, name: str) -> list[str]:
    return [line for line in err.splitlines() if name in line and "step " in line]


# -- textwash clean: a folder -------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_fail_reports_one_line_and_writes_the_other_files(
    folder, pipeline_file, tmp_path, capsys, workers
):
    out = tmp_path / "out"
    code, err = _clean(capsys, folder, "-o", out, "--pipeline", pipeline_file, "--workers", workers)
    assert code == 1
    assert "Traceback" not in err
    lines = _lines_about(err, "b.txt")
    assert len(lines) == 1, err
    assert lines[0].startswith("textwash: error: " + _boom_line(folder / "b.txt", ":3")), lines
    assert not (out / "b.txt").exists() and not (out / "b.txt.rejects").exists()
    assert (out / "a.txt").read_text(encoding="utf-8") == CLEAN
    assert (out / "c.txt").read_text(encoding="utf-8") == CLEAN * 2
    assert (out / "sub" / "d.txt").read_text(encoding="utf-8") == CLEAN


@pytest.mark.parametrize("workers", [1, 2])
def test_skip_copies_the_failing_file_verbatim_into_its_rejects(
    folder, pipeline_file, tmp_path, capsys, workers
):
    out = tmp_path / "out"
    code, err = _clean(
        capsys, folder, "-o", out, "--pipeline", pipeline_file, "--workers", workers,
        "--on-error", "skip",
    )  # fmt: skip
    assert code == 1  # something was rejected
    assert "Traceback" not in err
    lines = _lines_about(err, "b.txt")
    assert len(lines) == 1 and lines[0].startswith("textwash: skipped: "), err
    assert (out / "b.txt.rejects").read_bytes() == (folder / "b.txt").read_bytes()
    assert not (out / "b.txt").exists()
    assert (out / "a.txt").read_text(encoding="utf-8") == CLEAN
    assert (out / "sub" / "d.txt").read_text(encoding="utf-8") == CLEAN
    assert "4 record(s) in: 3 cleaned, 1 rejected" in err


def test_without_the_marker_nothing_fails(folder, pipeline_file, tmp_path, capsys):
    (folder / "b.txt").write_text(GOOD, encoding="utf-8")
    code, err = _clean(capsys, folder, "-o", tmp_path / "out", "--pipeline", pipeline_file)
    assert code == 0, err


def test_debug_prints_the_traceback_after_the_line(folder, pipeline_file, tmp_path, capsys):
    code, err = _clean(
        capsys, folder / "b.txt", "-o", tmp_path / "b.txt", "--pipeline", pipeline_file, "--debug"
    )
    assert code == 1
    lines = err.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("textwash: error: "))
    assert lines[at + 1] == "Traceback (most recent call last):"
    assert "in edits" in err and "raise Boom(at)" in err  # the frame of the step itself
    assert "CleaningError: step FailingStep failed" in err


def test_debug_from_a_worker_process(folder, pipeline_file, tmp_path, capsys):
    code, err = _clean(
        capsys, folder, "-o", tmp_path / "out", "--pipeline", pipeline_file, "--debug",
        "--workers", 2,
    )  # fmt: skip
    assert code == 1
    assert "Traceback (most recent call last):" in err and "raise Boom(at)" in err


@pytest.mark.parametrize("option", ["--explain", "--summary"])
def test_explain_and_summary_report_the_failure_too(
    folder, pipeline_file, tmp_path, capsys, option
):
    out = tmp_path / "out"
    code = main(["clean", str(folder), "-o", str(out), "--pipeline", str(pipeline_file), option])
    captured = capsys.readouterr()
    assert code == 1
    assert len(_lines_about(captured.err, "b.txt")) == 1
    assert "Traceback" not in captured.err
    assert (out / "a.txt").read_text(encoding="utf-8") == CLEAN
    assert not (out / "b.txt").exists()


def test_one_file_to_standard_output(folder, pipeline_file, capsys):
    code = main(["clean", str(folder / "b.txt"), "--pipeline", str(pipeline_file)])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == ""
    assert len(_lines_about(captured.err, "b.txt")) == 1


# -- JSONL and Parquet: one bad record ---------------------------------------------------


def _records() -> bytes:
    lines = [
        json.dumps({"id": 1, "text": GOOD}, ensure_ascii=False),
        "",
        json.dumps({"id": 3, "text": BAD, "note": "坏"}, ensure_ascii=False),
        json.dumps({"id": 4, "text": GOOD}, ensure_ascii=False),
    ]
    return "\n".join(lines).encode("utf-8") + b"\n"


@pytest.fixture(params=["whole", "stream"])
def reading(request, monkeypatch) -> str:
    """Files read whole, or as a stream (JSONL and Parquet in batches, text in small windows)."""
    if request.param == "stream":
        import textwash.cli.streamed as streamed
        import textwash.windows as windows

        monkeypatch.setattr(streamed, "STREAM_BYTES", -1)
        monkeypatch.setattr(streamed, "JSONL_BATCH_BYTES", 100)
        real = windows.Windowed.__init__

        def small(self, pipeline, **kw):
            real(self, pipeline, window=4096, context=512)

        monkeypatch.setattr(windows.Windowed, "__init__", small)
    return str(request.param)


@pytest.mark.parametrize("workers", [1, 2])
def test_jsonl_fail_names_the_record_line(pipeline_file, tmp_path, capsys, reading, workers):
    src = tmp_path / "data.jsonl"
    src.write_bytes(_records())
    out = tmp_path / "out.jsonl"
    code, err = _clean(capsys, src, "-o", out, "--pipeline", pipeline_file, "--workers", workers)
    assert code == 1
    assert "Traceback" not in err
    lines = _lines_about(err, "data.jsonl")
    assert len(lines) == 1 and lines[0].startswith("textwash: error: " + _boom_line(src, ":3"))
    assert not out.exists()


@pytest.mark.parametrize("workers", [1, 2])
def test_jsonl_skip_rejects_the_record_verbatim(pipeline_file, tmp_path, capsys, reading, workers):
    src = tmp_path / "data.jsonl"
    src.write_bytes(_records())
    out = tmp_path / "out.jsonl"
    code, err = _clean(
        capsys, src, "-o", out, "--pipeline", pipeline_file, "--workers", workers,
        "--on-error", "skip",
    )  # fmt: skip
    assert code == 1
    lines = _lines_about(err, "data.jsonl")
    assert len(lines) == 1 and lines[0].startswith("textwash: skipped: " + _boom_line(src, ":3"))
    written = out.read_text(encoding="utf-8").split("\n")
    assert written[1] == written[2] == ""  # a blank line, and the rejected record's line
    assert json.loads(written[0]) == {"id": 1, "text": CLEAN}
    assert json.loads(written[3]) == {"id": 4, "text": CLEAN}
    assert (tmp_path / "out.jsonl.rejects").read_bytes() == _records().split(b"\n")[2] + b"\n"
    assert "3 record(s) in: 2 cleaned, 1 rejected" in err


def test_jsonl_rejects_keep_file_order(pipeline_file, tmp_path, capsys, reading):
    """A record that cannot be read and one a step fails on, in the order of the file."""
    src = tmp_path / "data.jsonl"
    good = json.dumps({"text": GOOD}, ensure_ascii=False).encode()
    bad = json.dumps({"text": BAD}, ensure_ascii=False).encode()
    src.write_bytes(b"\n".join([bad, good, b"not json", good, bad]) + b"\n")
    out = tmp_path / "out.jsonl"
    code, err = _clean(capsys, src, "-o", out, "--pipeline", pipeline_file, "--on-error", "skip")
    assert code == 1
    assert (tmp_path / "out.jsonl.rejects").read_bytes() == b"\n".join(
        [bad, b"not json", bad]
    ) + b"\n"
    assert "5 record(s) in: 2 cleaned, 3 rejected" in err


@pytest.mark.parametrize("mode", ["fail", "skip"])
def test_parquet_names_the_row(pipeline_file, tmp_path, capsys, reading, mode):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    src = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"text": [GOOD, BAD, GOOD], "n": [0, 1, 2]}), src)
    out = tmp_path / "out.parquet"
    code, err = _clean(capsys, src, "-o", out, "--pipeline", pipeline_file, "--on-error", mode)
    assert code == 1
    lines = _lines_about(err, "rows.parquet")
    prefix = "textwash: error: " if mode == "fail" else "textwash: skipped: "
    assert len(lines) == 1 and lines[0].startswith(prefix + _boom_line(src, ": row 1")), lines
    if mode == "fail":
        assert not out.exists()
        return
    assert pq.read_table(out).to_pylist() == [{"text": CLEAN, "n": 0}, {"text": CLEAN, "n": 2}]
    rejected = (tmp_path / "out.parquet.rejects").read_bytes()
    assert json.loads(rejected) == {"text": BAD, "n": 1}


# -- a large plain-text file, cleaned as a stream in windows ----------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_a_large_file_in_windows_names_the_line(
    pipeline_file, tmp_path, capsys, workers, monkeypatch
):
    import textwash.cli.streamed as streamed
    import textwash.windows as windows

    monkeypatch.setattr(streamed, "STREAM_BYTES", -1)
    real = windows.Windowed.__init__
    monkeypatch.setattr(
        windows.Windowed, "__init__", lambda self, p, **kw: real(self, p, window=4096, context=512)
    )
    src = tmp_path / "big.txt"
    src.write_text(GOOD * 900 + BAD + GOOD * 300, encoding="utf-8")  # marker on line 903
    good = tmp_path / "good.txt"
    good.write_text(GOOD * 900, encoding="utf-8")
    out = tmp_path / "out"
    code, err = _clean(
        capsys, src, good, "-o", out, "--pipeline", pipeline_file, "--workers", workers
    )
    assert code == 1
    assert "Traceback" not in err
    lines = _lines_about(err, "big.txt")
    assert len(lines) == 1 and lines[0].startswith("textwash: error: " + _boom_line(src, ":903"))
    assert not (out / "big.txt").exists()
    assert not list(out.glob(".*.partial"))
    assert (out / "good.txt").read_text(encoding="utf-8") == CLEAN * 900

    code, err = _clean(
        capsys, src, good, "-o", out, "--pipeline", pipeline_file, "--workers", workers,
        "--on-error", "skip",
    )  # fmt: skip
    assert code == 1
    assert (out / "big.txt.rejects").read_bytes() == src.read_bytes()
    assert "2 record(s) in: 1 cleaned, 1 rejected" in err


def test_a_long_document_read_whole_is_placed_from_its_windows(monkeypatch):
    """A document over LONG_TEXT is cleaned in windows; the failure is placed in the whole text."""
    import textwash.parallel as parallel
    import textwash.windows as windows

    monkeypatch.setattr(windows, "LONG_TEXT", 5000)
    monkeypatch.setattr(parallel, "LONG_TEXT", 5000)
    real = windows.Windowed.__init__
    monkeypatch.setattr(
        windows.Windowed, "__init__", lambda self, p, **kw: real(self, p, window=4096, context=512)
    )
    text = GOOD * 900 + BAD
    with Workers(PIPELINE, workers=1) as pool:
        results = list(pool.clean_isolated([GOOD, text, GOOD]))
    assert results[0] == results[2] == CLEAN
    failure = results[1]
    assert isinstance(failure, Failure)
    assert failure.error.position == text.index(MARKER)


# -- the pool and the errors --------------------------------------------------------------


def test_the_pool_lives_on_and_keeps_the_order():
    texts = [GOOD, BAD, GOOD + GOOD, BAD, GOOD] * 5
    with Workers(PIPELINE, workers=2) as pool:
        results = list(pool.clean_isolated(texts))
    for text, result in zip(texts, results, strict=True):
        if text == BAD:
            assert isinstance(result, Failure)
            assert result.error.step == "FailingStep"
            assert result.error.position == BAD.index(MARKER)
            assert "raise Boom(at)" in result.traceback
        else:
            assert result == PIPELINE(text)


def test_cleaning_error_is_picklable_and_keeps_step_and_position():
    with pytest.raises(CleaningError) as info:
        PIPELINE(BAD)
    err = info.value
    assert (err.step, err.position) == ("FailingStep", BAD.index(MARKER))
    again = pickle.loads(pickle.dumps(err))
    assert isinstance(again, CleaningError)
    assert (again.step, again.message, again.position) == (err.step, err.message, err.position)
    assert str(again) == str(err)
    failure = pickle.loads(pickle.dumps(Failure(err, "tb")))
    assert failure.error.position == err.position and failure.traceback == "tb"


def test_step_failed_reads_like_an_input_error():
    err = CleaningError("OcrSpacing", "edits overlap", position=1)
    assert str(StepFailed("a.txt", err, line=1)) == "a.txt:1: step OcrSpacing failed: edits overlap"
    assert str(StepFailed("a.txt", err)) == "a.txt: step OcrSpacing failed: edits overlap"
    assert str(StepFailed("r.parquet", err, row=7)) == (
        "r.parquet: row 7: step OcrSpacing failed: edits overlap"
    )


# -- textwash dedup ---------------------------------------------------------------------

P1 = "公安机关的群众工作是党的群众工作的重要方面，也是公安工作的光荣传统，必须长期坚持下去。"
P2 = "社区图书馆每天早上八点开门，晚上九点闭馆，周末延长开放时间，方便上班族借阅图书和查阅资料。"
P3 = "学校要定期开展消防演练，让每一名学生都熟悉疏散路线，掌握基本的自救和互救方法，防患于未然。"
P4 = "今年以来，街道共走访困难家庭一百二十户，帮助解决实际问题四十余件，群众满意度明显提升。"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """P2 is repeated in c.txt; b.txt (which fails, marker on line 3) and the
    second record of d.jsonl (which fails) hold copies of P1 and P3."""
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "a.txt").write_text(f"{P1}\n\n{P2}\n", encoding="utf-8")
    (root / "b.txt").write_text(f"{P1}\n\n{MARKER}在这一行。\n\n{P3}\n", encoding="utf-8")
    (root / "c.txt").write_text(f"{P3}\n\n{P2}\n", encoding="utf-8")
    records = [{"text": P4}, {"text": f"{P3}\n{MARKER}"}, {"text": P4}]
    (root / "d.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return root


def _dedup(capsys, *argv: object) -> tuple[int, str, str]:
    code = main(["dedup", *map(str, argv), "--no-progress"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("workers", [1, 2])
def test_dedup_fail_reports_each_document_and_writes_nothing(
    corpus, pipeline_file, tmp_path, capsys, workers
):
    out = tmp_path / "out"
    code, _, err = _dedup(
        capsys, corpus, "-o", out, "--report", tmp_path / "r.json", "--pipeline", pipeline_file,
        "--workers", workers,
    )  # fmt: skip
    assert code == 1
    assert "Traceback" not in err
    assert [line.partition(": found")[0] for line in err.splitlines() if "step " in line] == [
        f"textwash: error: {corpus / 'b.txt'}:3: step FailingStep failed: Boom",
        f"textwash: error: {corpus / 'd.jsonl'}:2: step FailingStep failed: Boom",
    ]
    assert "2 document(s) could not be cleaned; nothing written" in err
    assert not out.exists() and not (tmp_path / "r.json").exists()


@pytest.mark.parametrize("workers", [1, 2])
def test_dedup_skip_leaves_them_out_and_writes_them_unchanged(
    corpus, pipeline_file, tmp_path, capsys, workers
):
    out = tmp_path / "out"
    code, _, err = _dedup(
        capsys, corpus, "-o", out, "--report", tmp_path / "r.json", "--pipeline", pipeline_file,
        "--workers", workers, "--on-error", "skip",
    )  # fmt: skip
    assert code == 1
    assert "Traceback" not in err
    assert len([line for line in err.splitlines() if "textwash: skipped:" in line]) == 2
    assert "not compared (written unchanged with -o)" in err
    # the documents that failed are written back byte for byte, nothing cut from them
    assert (out / "b.txt").read_bytes() == (corpus / "b.txt").read_bytes()
    records = [
        json.loads(line) for line in (out / "d.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    assert records == [{"text": P4}, {"text": f"{P3}\n{MARKER}"}, {"text": ""}]
    # the others were compared: the second P2 and the second P4 are gone
    assert (out / "a.txt").read_text(encoding="utf-8") == f"{P1}\n\n{P2}\n"
    assert (out / "c.txt").read_text(encoding="utf-8") == f"{P3}\n\n"
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    ids = {m["doc_id"] for c in report["clusters"] for m in c["members"]}
    assert ids == {
        str(corpus / "a.txt"),
        str(corpus / "c.txt"),
        f"{corpus / 'd.jsonl'}:1",
        f"{corpus / 'd.jsonl'}:3",
    }
    assert not (out / "b.txt.rejects").exists()


def test_dedup_streamed_without_output_folder(corpus, pipeline_file, tmp_path, capsys):
    code, out, err = _dedup(capsys, corpus, "--pipeline", pipeline_file, "--on-error", "skip")
    assert code == 1
    assert "2 document(s) could not be cleaned and were not compared\n" in err
    report = json.loads(out)
    ids = {m["doc_id"] for c in report["clusters"] for m in c["members"]}
    assert str(corpus / "b.txt") not in ids and f"{corpus / 'd.jsonl'}:2" not in ids
    code, out, err = _dedup(capsys, corpus, "--pipeline", pipeline_file)
    assert code == 1 and out == ""
    assert "nothing written" in err


def test_dedup_debug(corpus, pipeline_file, capsys):
    code, _, err = _dedup(capsys, corpus / "b.txt", "--pipeline", pipeline_file, "--debug")
    assert code == 1
    assert "Traceback (most recent call last):" in err and "raise Boom(at)" in err


# -- the library: find_duplicates and deduplicate -------------------------------------------


def test_find_duplicates_names_the_document():
    docs = [("a", P1), ("b", f"{P2}\n{MARKER}"), ("c", P1)]
    for workers in (1, 2):
        with pytest.raises(CleaningError) as info:
            find_duplicates(docs, pipeline=PIPELINE, workers=workers)
        assert "(document b)" in str(info.value)
        assert info.value.step == "FailingStep"
        assert info.value.position == len(P2) + 1


def test_find_duplicates_on_error_leaves_the_document_out():
    failures: list[DocumentFailure] = []
    docs = [("a", P1), ("b", f"{P1}\n{MARKER}"), ("c", P1)]
    report = find_duplicates(docs, pipeline=PIPELINE, on_error=failures.append)
    assert [f.doc_id for f in failures] == ["b"]
    assert failures[0].line == 2 and failures[0].error.position == len(P1) + 1
    assert [m.doc_id for m in report.clusters[0].members] == ["a", "c"]
    result = deduplicate(docs, pipeline=PIPELINE, on_error=lambda f: None)
    assert [d.text for d in result.documents] == [P1, f"{P1}\n{MARKER}", ""]


def test_a_failing_part_leaves_the_whole_long_document_out():
    """A long document is compared in parts; one failing part takes its whole document out,
    and the failure is placed in the whole document."""
    paragraphs = [P1, P2, P3, P4] * 3
    long_text = "\n\n".join([*paragraphs, f"结尾的{MARKER}段落。", P4]) + "\n"
    failures: list[DocumentFailure] = []
    docs = [("long", long_text), ("a", P1), ("b", P2)]
    report = find_duplicates(docs, pipeline=PIPELINE, part_chars=200, on_error=failures.append)
    assert [f.doc_id for f in failures] == ["long"]
    assert failures[0].error.position == long_text.index(MARKER)
    assert failures[0].line == long_text.count("\n", 0, long_text.index(MARKER)) + 1
    assert {m.doc_id for c in report.clusters for m in c.members} <= {"a", "b"}
