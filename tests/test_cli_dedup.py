"""``textwash dedup`` end to end, in-process: doc ids, reports, outputs, errors, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from textwash.cli import dedup as cli_dedup
from textwash.cli.main import main
from textwash.dedup import DuplicateReport, Removal

P1 = "公安机关的群众工作是党的群众工作的重要方面，也是公安工作的光荣传统，必须长期坚持下去。"
P2 = "社区图书馆每天早上八点开门，晚上九点闭馆，周末延长开放时间，方便上班族借阅图书和查阅资料。"
P3 = "学校要定期开展消防演练，让每一名学生都熟悉疏散路线，掌握基本的自救和互救方法，防患于未然。"
P4 = "今年以来，街道共走访困难家庭一百二十户，帮助解决实际问题四十余件，群众满意度明显提升。"
P5 = "下一步，我们将继续完善垃圾分类设施，加强宣传引导，努力让绿色生活方式成为居民的自觉行动。"
S1 = "公安机关的群众工作是党的群众工作的重要方面。"
S2 = "社区图书馆每天早上八点开门，晚上九点闭馆。"
S3 = "学校要定期开展消防演练，让每一名学生都熟悉疏散路线。"


def put(path: Path, content: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    return path


def jsonl(*records: dict[str, object] | None) -> str:
    """JSON lines; ``None`` makes a blank line."""
    return "".join("\n" if r is None else json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def run(capsys, *argv: str | Path) -> tuple[int, str, str]:
    code = main(["dedup", *map(str, argv), "--no-progress"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def corpus(tmp_path) -> Path:
    """Read in the order a.txt, c.jsonl, sub/b.txt.

    P1 twice in a.txt and in c.jsonl line 1; P2 in a.txt and sub/b.txt; P3 in
    c.jsonl line 3 and sub/b.txt; P4 in c.jsonl line 1 and sub/b.txt; P5 once.
    """
    root = tmp_path / "corpus"
    put(root / "a.txt", f"{P1}\n\n{P2}\n\n{P1}\n")
    put(root / "sub" / "b.txt", f"{P4}\n\n{P5}\n\n{P2}\n\n{P3}\n")
    put(root / "c.jsonl", jsonl({"id": 1, "text": P4 + "\n\n" + P1}, None, {"id": 2, "text": P3}))
    return root


def doc_ids(report: DuplicateReport) -> list[list[str]]:
    return [[m.doc_id for m in c.members] for c in report.clusters]


# -- finding -----------------------------------------------------------------------------


def test_text_files_report_goes_to_stdout(tmp_path, capsys):
    a = put(tmp_path / "a.txt", f"{P1}\n\n{P2}\n\n{P1}\n")
    b = put(tmp_path / "b.txt", f"{P3}\n\n{P2}\n")
    code, out, err = run(capsys, a, b)
    assert code == 0
    report = DuplicateReport.from_json(out)
    assert sorted(doc_ids(report)) == [[str(a), str(a)], [str(a), str(b)]]
    within = next(c for c in report.clusters if c.kept.text == P1)
    assert [(m.line, m.kept) for m in within.members] == [(1, True), (5, False)]
    assert all(m.source in (str(a), str(b)) for c in report.clusters for m in c.members)
    assert f"{a}: utf-8" in err and f"{b}: utf-8" in err


def test_jsonl_doc_ids_carry_the_line(tmp_path, capsys):
    src = put(
        tmp_path / "d.jsonl",
        jsonl({"text": P1}, None, {"text": P2}, {"text": f"{P3}\n\n{P1}"}, None, {"text": P2}),
    )
    code, out, _ = run(capsys, src)
    assert code == 0
    report = DuplicateReport.from_json(out)
    assert sorted(doc_ids(report)) == [[f"{src}:1", f"{src}:4"], [f"{src}:3", f"{src}:6"]]
    second = next(c for c in report.clusters if c.kept.text == P1).copies[0]
    assert second.line == 3  # the line inside the record's text


def test_parquet_doc_ids_carry_the_row(tmp_path, capsys):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    src = tmp_path / "d.parquet"
    pq.write_table(pa.table({"text": [P1, P2, P1], "id": [7, 8, 9]}), src)
    code, out, _ = run(capsys, src)
    assert code == 0
    assert doc_ids(DuplicateReport.from_json(out)) == [[f"{src}#0", f"{src}#2"]]


def test_report_file_is_valid_and_summary_goes_to_stderr(corpus, tmp_path, capsys):
    dest = tmp_path / "reports" / "dup.json"
    code, out, err = run(capsys, corpus, "--report", dest)
    assert (code, out) == (0, "")
    report = DuplicateReport.from_json(dest.read_text(encoding="utf-8"))
    assert sorted(doc_ids(report)) == [
        [f"{corpus}/a.txt", f"{corpus}/a.txt", f"{corpus}/c.jsonl:1"],
        [f"{corpus}/a.txt", f"{corpus}/sub/b.txt"],
        [f"{corpus}/c.jsonl:1", f"{corpus}/sub/b.txt"],
        [f"{corpus}/c.jsonl:3", f"{corpus}/sub/b.txt"],
    ]
    assert report.params["unit"] == "paragraph"
    assert report.stats["documents"] == 4
    assert "read" in report.stats["seconds"]
    rows = [line.rsplit(None, 1) for line in err.splitlines() if not line.endswith(": utf-8")]
    summary = {key.strip(): value for key, value in rows}
    assert summary["documents"] == "4"
    assert summary["clusters"] == "4"
    assert summary["exact"] == "4"
    assert summary["copies to remove"] == "5"
    assert summary["duplicated characters"] == str(report.duplicated_chars)
    assert {"time: read", "time: segment", "time: lsh", "time: containment"} <= set(summary)


# -- removing ------------------------------------------------------------------------------


def test_output_removes_later_copies_and_lists_them(corpus, tmp_path, capsys):
    out_dir = tmp_path / "deduped"
    code, out, _ = run(capsys, corpus, "-o", out_dir, "--report", tmp_path / "dup.json")
    assert (code, out) == (0, "")
    report = DuplicateReport.from_json((tmp_path / "dup.json").read_text(encoding="utf-8"))
    assert sorted(p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*")) == [
        "a.txt",
        "c.jsonl",
        "removed.jsonl",
        "sub",
        "sub/b.txt",
    ]
    assert (out_dir / "a.txt").read_text(encoding="utf-8") == f"{P1}\n\n{P2}\n\n"
    assert (out_dir / "sub" / "b.txt").read_text(encoding="utf-8") == f"{P5}\n\n"
    records = [json.loads(line) for line in (out_dir / "c.jsonl").read_text().splitlines() if line]
    assert records == [{"id": 1, "text": P4 + "\n\n"}, {"id": 2, "text": P3}]
    assert (out_dir / "c.jsonl").read_text().splitlines()[1] == ""  # blank line kept in place

    lines = (out_dir / "removed.jsonl").read_text(encoding="utf-8").splitlines()
    removed = [Removal(**json.loads(line)) for line in lines]
    assert len(removed) == sum(len(c.copies) for c in report.clusters) == 5
    originals = {
        f"{corpus}/a.txt": (corpus / "a.txt").read_text(encoding="utf-8"),
        f"{corpus}/sub/b.txt": (corpus / "sub" / "b.txt").read_text(encoding="utf-8"),
        f"{corpus}/c.jsonl:1": P4 + "\n\n" + P1,
        f"{corpus}/c.jsonl:3": P3,
    }
    for r in removed:
        assert r.text == originals[r.doc_id][r.start : r.end]
        assert r.text.strip() in (P1, P2, P3, P4)
    first = next(r for r in removed if r.doc_id == f"{corpus}/a.txt")
    assert (first.line, first.kept_doc_id, first.kept_line) == (5, f"{corpus}/a.txt", 1)


def test_one_file_output_goes_into_the_folder(tmp_path, capsys):
    src = put(tmp_path / "a.txt", f"{P1}\n\n{P1}\n")
    code, _, _ = run(capsys, src, "-o", tmp_path / "out")
    assert code == 0
    assert (tmp_path / "out" / "a.txt").read_text(encoding="utf-8") == f"{P1}\n\n"
    assert len((tmp_path / "out" / "removed.jsonl").read_text().splitlines()) == 1


def test_unit_sentence_finds_sentences_inside_different_paragraphs(tmp_path, capsys):
    a = put(tmp_path / "a.txt", S1 + S2 + "\n")
    b = put(tmp_path / "b.txt", S3 + S1 + "\n")
    code, out, _ = run(capsys, a, b)
    assert (code, DuplicateReport.from_json(out).clusters) == (0, [])
    code, out, _ = run(capsys, a, b, "--unit", "sentence")
    report = DuplicateReport.from_json(out)
    assert code == 0
    assert report.params["unit"] == "sentence"
    assert [[(m.doc_id, m.text) for m in c.members] for c in report.clusters] == [
        [(str(a), S1), (str(b), S1)]
    ]


def test_options_reach_find_duplicates(tmp_path, capsys):
    src = put(tmp_path / "a.txt", f"{P1}\n\n{P2}\n\n{P1}\n")
    code, out, _ = run(
        capsys,
        src,
        "--threshold",
        "0.9",
        "--ngram",
        "3",
        "--keep",
        "longest",
        "--no-containment",
        "--containment-threshold",
        "0.7",
        "--unit",
        "sentence",
        "--window",
        "2",
    )
    assert code == 0
    params = DuplicateReport.from_json(out).params
    assert {k: params[k] for k in ("near_threshold", "ngram", "keep", "containment", "window")} == {
        "near_threshold": 0.9,
        "ngram": 3,
        "keep": "longest",
        "containment": False,
        "window": 2,
    }
    assert params["containment_threshold"] == 0.7


def test_pipeline_file_is_used_and_checked(tmp_path, capsys):
    src = put(tmp_path / "a.txt", f"{P1}\n\n{P1.replace('，', ',')}\n")
    good = put(tmp_path / "p.toml", '[[steps]]\nname = "Punctuation"\n')
    code, out, _ = run(capsys, src, "--pipeline", good)
    assert code == 0
    assert len(DuplicateReport.from_json(out).clusters) == 1
    bad = put(tmp_path / "bad.toml", '[[steps]]\nname = "NoSuchStep"\n')
    code, out, err = run(capsys, src, "--pipeline", bad)
    assert (code, out) == (2, "")
    assert "bad.toml" in err


def test_html_report(corpus, tmp_path, capsys):
    pytest.importorskip("textwash.dedup.html")
    dest = tmp_path / "dup.html"
    code, out, _ = run(capsys, corpus, "--html", dest)
    assert (code, out) == (0, "")
    assert "<html" in dest.read_text(encoding="utf-8").lower()


# -- errors --------------------------------------------------------------------------------


def test_bad_jsonl_line_is_exit_1_naming_file_and_line(corpus, tmp_path, capsys):
    bad = put(tmp_path / "bad.jsonl", jsonl({"text": P1}, None, {"text": 3}))
    dest = tmp_path / "dup.json"
    code, out, err = run(capsys, corpus, bad, "--report", dest, "-o", tmp_path / "out")
    assert (code, out) == (1, "")
    assert f"textwash: error: {bad}:3: field 'text' is a number, not a string" in err
    assert not dest.exists() and not (tmp_path / "out").exists()  # nothing written


def test_lone_surrogate_is_an_input_error_not_a_crash(tmp_path, capsys):
    src = put(tmp_path / "s.jsonl", '{"text": "好"}\n{"text": "' + P1 + '\\ud800"}\n')
    code, out, err = run(capsys, src)
    assert (code, out) == (1, "")
    assert f"{src}:2: text holds a lone surrogate (\\ud800) at character {len(P1)}" in err


def test_missing_input_is_exit_1(tmp_path, capsys):
    code, _, err = run(capsys, tmp_path / "nope.txt")
    assert code == 1
    assert "nope.txt: no such file or directory" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--threshold", "1.5"], "--threshold"),
        (["--threshold", "x"], "not a number"),
        (["--ngram", "0"], "--ngram"),
        (["--window", "-1"], "--window"),
        (["--unit", "line"], "--unit"),
        (["--keep", "last"], "--keep"),
        (["{a}"], "is named twice"),
        (["--report", "{a}"], "would overwrite the input"),
        (["--report", "{out}/removed.jsonl", "-o", "{out}"], "would both be written"),
    ],
)
def test_usage_errors_are_exit_2(tmp_path, capsys, extra, message):
    a = put(tmp_path / "a.txt", P1)
    argv = [a.as_posix(), *(x.format(a=a, out=tmp_path / "out") for x in extra)]
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert message in err
    assert not (tmp_path / "out").exists()


def test_clean_still_works(tmp_path, capsys):
    src = put(tmp_path / "a.txt", "社 会,经 济.\n")
    code = main(["clean", str(src), "--no-progress"])
    out, _ = capsys.readouterr()
    assert (code, out) == (0, "社会，经济。\n")


# -- progress --------------------------------------------------------------------------------


def test_stage_progress_draws_one_bar_per_stage(monkeypatch, capsys):
    monkeypatch.setattr(cli_dedup, "progress_enabled", lambda enabled: enabled)
    with cli_dedup.StageProgress(enabled=True) as hook:
        hook("segment", 1, 2)
        hook("segment", 2, 2)
        hook("lsh", 1, 3)  # lsh reports sparsely; its bar is filled when it ends
        hook("containment", 1, 4)
    err = capsys.readouterr().err
    assert "clean" in err and "lsh" in err and "containment" in err
    assert "3/3" in err and "4/4" in err
    assert hook.bar is None


def test_stage_progress_is_silent_when_disabled(capsys):
    with cli_dedup.StageProgress(enabled=False) as hook:
        hook("segment", 1, 2)
    assert capsys.readouterr().err == ""


# -- streaming ----------------------------------------------------------------------------


def test_streamed_report_equals_the_in_memory_one(corpus, tmp_path, capsys):
    dest = tmp_path / "dup.json"
    code, _, _ = run(capsys, corpus, "--report", dest)
    assert code == 0
    streamed = DuplicateReport.from_json(dest.read_text(encoding="utf-8"))
    docs = []
    for path in [corpus / "a.txt", corpus / "c.jsonl", corpus / "sub" / "b.txt"]:
        if path.suffix == ".jsonl":
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if line.strip():
                    docs.append((f"{path}:{n}", json.loads(line)["text"]))
        else:
            docs.append((str(path), path.read_text(encoding="utf-8")))
    from textwash import find_duplicates

    whole = find_duplicates(docs)
    assert [
        [(m.doc_id, m.start, m.end, m.line, m.text) for m in c.members] for c in whole.clusters
    ] == [
        [(m.doc_id, m.start, m.end, m.line, m.text) for m in c.members] for c in streamed.clusters
    ]


def test_a_bad_file_in_the_middle_of_a_stream_writes_nothing(corpus, tmp_path, capsys):
    put(corpus / "b0.jsonl", jsonl({"text": P1}, {"txt": P2}))
    dest = tmp_path / "dup.json"
    code, out, err = run(capsys, corpus, "--report", dest)
    assert (code, out) == (1, "")
    assert "b0.jsonl:2: no 'text' field" in err
    assert "1 input file(s) could not be read; nothing written" in err
    assert not dest.exists()


def test_a_file_changed_before_the_report_is_an_error(corpus, tmp_path, capsys, monkeypatch):
    original = cli_dedup._StreamedCorpus.load_text

    def load_after_an_edit(self, doc):
        put(corpus / "a.txt", P5 + "\n")  # the file changes after it was segmented
        return original(self, doc)

    monkeypatch.setattr(cli_dedup._StreamedCorpus, "load_text", load_after_an_edit)
    code, out, err = run(capsys, corpus, "--report", tmp_path / "dup.json")
    assert (code, out) == (1, "")
    assert "a.txt: its text changed while duplicates were looked for" in err
    assert not (tmp_path / "dup.json").exists()


def test_on_error_skip_leaves_bad_records_out_and_exits_1(corpus, tmp_path, capsys):
    bad = put(corpus / "bad.jsonl", jsonl({"text": P1}, None, {"text": 3}) + "not json\n")
    dest = tmp_path / "dup.json"
    code, _, err = run(capsys, corpus, "--report", dest, "--on-error", "skip")
    assert code == 1
    assert f"skipped: {bad}:3: field 'text' is a number, not a string" in err
    assert f"skipped: {bad}:4: invalid JSON" in err
    report = DuplicateReport.from_json(dest.read_text(encoding="utf-8"))
    assert any(f"{bad}:1" in ids for ids in doc_ids(report))  # its good record still counts

    out = tmp_path / "out"
    code, _, err = run(capsys, corpus, "-o", out, "--on-error", "skip")
    assert code == 1
    assert (out / "bad.jsonl.rejects").read_bytes() == b'{"text": 3}\nnot json\n'
    assert (out / "a.txt").exists()
