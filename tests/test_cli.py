"""``textwash clean`` end to end, in-process: outputs, formats, explanations and exit codes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import textwash
from textwash.cli.journal import JOURNAL_NAME as JOURNAL
from textwash.cli.main import main

RAW = "近年来,随着社 会 、经 济的发展,群众的需求日益增长.\n"
CLEAN = "近年来，随着社会、经济的发展，群众的需求日益增长。\n"
TRAD_RAW = "近年來,隨著城市人口不斷增加和居民消費水平持續提高,生活垃圾產生量逐年攀升.\n" * 3

PIPELINE_TOML = """\
[[steps]]
name = "Punctuation"

[[steps]]
name = "OcrSpacing"
"""


def put(path: Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


@pytest.fixture
def pipeline_file(tmp_path) -> Path:
    return put(tmp_path / "cfg" / "pipeline.toml", PIPELINE_TOML)


def run(capsys, *argv: str | Path) -> tuple[int, str, str]:
    code = main(["clean", *map(str, argv), "--no-progress"])
    out, err = capsys.readouterr()
    return code, out, err


# -- outputs ---------------------------------------------------------------------------


def test_one_file_goes_to_stdout_and_reports_its_encoding(tmp_path, capsys):
    raw = "".join(f"第{i}条：" + RAW for i in range(1, 9))
    src = put(tmp_path / "sample.txt", raw, encoding="gbk")
    code, out, err = run(capsys, src)
    assert code == 0
    assert out == "".join(f"第{i}条：" + CLEAN for i in range(1, 9))
    assert err == f"{src}: gb18030\n"


def test_one_file_with_output_file(tmp_path, capsys, pipeline_file):
    src = put(tmp_path / "a.txt", RAW)
    dest = tmp_path / "new" / "a.clean.txt"
    code, out, _ = run(capsys, src, "-o", dest, "--pipeline", pipeline_file)
    assert (code, out) == (0, "")
    assert dest.read_text(encoding="utf-8") == CLEAN


def test_one_file_into_an_existing_folder(tmp_path, capsys):
    src = put(tmp_path / "a.txt", RAW)
    (tmp_path / "out").mkdir()
    assert run(capsys, src, "-o", tmp_path / "out")[0] == 0
    assert (tmp_path / "out" / "a.txt").read_text(encoding="utf-8") == CLEAN


def test_one_file_into_a_new_folder_named_with_a_slash(tmp_path, capsys):
    src = put(tmp_path / "a.txt", RAW)
    assert run(capsys, src, "-o", f"{tmp_path / 'new'}/")[0] == 0
    assert (tmp_path / "new" / "a.txt").read_text(encoding="utf-8") == CLEAN


def test_jsonl_to_stdout_keeps_the_records(tmp_path, capsys, pipeline_file):
    line = json.dumps({"id": "x1", "text": RAW, "lang": "zh"}, ensure_ascii=False)
    src = put(tmp_path / "d.jsonl", line + "\n\n" + line + "\n")
    code, out, _ = run(capsys, src, "--pipeline", pipeline_file)
    assert code == 0
    first, blank, second, end = out.split("\n")
    assert json.loads(first) == json.loads(second) == {"id": "x1", "text": CLEAN, "lang": "zh"}
    assert blank == end == ""


def test_text_field_option(tmp_path, capsys, pipeline_file):
    src = put(tmp_path / "d.jsonl", json.dumps({"body": RAW, "text": "不动"}) + "\n")
    code, out, _ = run(capsys, src, "--text-field", "body", "--pipeline", pipeline_file)
    assert code == 0
    assert json.loads(out) == {"body": CLEAN, "text": "不动"}


def test_folder_is_mirrored_in_every_format(tmp_path, capsys, pipeline_file):
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    dump = tmp_path / "dump"
    put(dump / "a.txt", RAW, encoding="gb18030")
    put(dump / "sub" / "b.jsonl", json.dumps({"text": RAW, "n": 1}) + "\n")
    put(dump / "sub" / "deeper" / "c.txt", TRAD_RAW, encoding="big5")
    put(dump / ".cache" / "skip.txt", "hidden")
    pq.write_table(pa.table({"text": [RAW, RAW], "id": [1, 2]}), dump / "d.parquet")
    out = tmp_path / "out"

    code, _, err = run(capsys, dump, "-o", out, "--pipeline", pipeline_file)
    assert code == 0
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        ".textwash-journal.jsonl",  # what --resume reads
        "a.txt",
        "d.parquet",
        "sub/b.jsonl",
        "sub/deeper/c.txt",
    ]
    assert (out / "a.txt").read_text(encoding="utf-8") == CLEAN
    assert json.loads((out / "sub" / "b.jsonl").read_text(encoding="utf-8")) == {
        "text": CLEAN,
        "n": 1,
    }
    assert pq.read_table(out / "d.parquet").to_pylist() == [
        {"text": CLEAN, "id": 1},
        {"text": CLEAN, "id": 2},
    ]
    assert f"{dump / 'a.txt'}: gb18030" in err
    assert f"{dump / 'sub' / 'deeper' / 'c.txt'}: big5" in err


def test_rerun_does_not_clean_its_own_output(tmp_path, capsys):
    put(tmp_path / "a.txt", RAW)
    assert run(capsys, tmp_path, "-o", tmp_path / "clean")[0] == 0
    code, _, err = run(capsys, tmp_path, "-o", tmp_path / "clean")
    assert code == 0
    assert err == f"{tmp_path / 'a.txt'}: utf-8\n"
    assert not (tmp_path / "clean" / "clean").exists()


def test_several_files_go_into_a_folder(tmp_path, capsys):
    a, b = put(tmp_path / "x" / "a.txt", RAW), put(tmp_path / "y" / "b.txt", RAW)
    assert run(capsys, a, b, "-o", tmp_path / "out")[0] == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.name != JOURNAL) == [
        "a.txt",
        "b.txt",
    ]


# -- errors and exit codes ---------------------------------------------------------------


def test_bad_jsonl_line_exits_1_with_file_and_line(tmp_path, capsys):
    src = put(tmp_path / "bad.jsonl", '{"text": "好"}\n{"text": 好}\n')
    code, out, err = run(capsys, src)
    assert (code, out) == (1, "")
    assert f"textwash: error: {src}:2: invalid JSON" in err
    assert "Traceback" not in err


def test_one_bad_file_does_not_stop_the_others(tmp_path, capsys):
    dump = tmp_path / "dump"
    put(dump / "a.jsonl", '{"title": "无正文"}\n')
    put(dump / "b.txt", RAW)
    put(dump / "c.bin", b"\x00\x01\x02\x03binary\x00")
    out = tmp_path / "out"
    code, _, err = run(capsys, dump, "-o", out)
    assert code == 1
    assert f"textwash: error: {dump / 'a.jsonl'}:1: no 'text' field" in err
    assert f"textwash: error: {dump / 'c.bin'}:1: looks binary" in err
    assert [p.name for p in out.iterdir() if p.name != JOURNAL] == ["b.txt"]  # nothing partial


def test_missing_input_exits_1(tmp_path, capsys):
    code, _, err = run(capsys, tmp_path / "nope.txt")
    assert code == 1
    assert err == f"textwash: error: {tmp_path / 'nope.txt'}: no such file or directory\n"


def test_unwritable_output_exits_1(tmp_path, capsys):
    src = put(tmp_path / "a.txt", RAW)
    blocker = put(tmp_path / "file", "not a folder")
    code, _, err = run(capsys, src, "-o", blocker / "a.txt")
    assert code == 1
    assert "textwash: error:" in err and "cannot write" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["clean"], "the following arguments are required: INPUT"),
        (["clean", "a.txt", "--preset", "nope"], "invalid choice: 'nope'"),
        (["clean", "a.txt", "--encoding", "klingon"], "unknown encoding 'klingon'"),
        (["clean", "a.txt", "--color", "sometimes"], "invalid choice: 'sometimes'"),
        (["clean", "a.txt", "--preset", "zh", "--pipeline", "p.toml"], "not allowed with"),
        ([], "required: COMMAND"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_usage_errors_exit_2(capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_folder_without_output_is_a_usage_error(tmp_path, capsys):
    put(tmp_path / "a.txt", RAW)
    code, out, err = run(capsys, tmp_path)
    assert (code, out) == (2, "")
    assert "need -o FOLDER" in err


def test_parquet_without_output_is_a_usage_error(tmp_path, capsys):
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    pq.write_table(pa.table({"text": ["a"]}), tmp_path / "d.parquet")
    code, _, err = run(capsys, tmp_path / "d.parquet")
    assert code == 2
    assert "use -o" in err


def test_output_clash_is_a_usage_error(tmp_path, capsys):
    a, b = put(tmp_path / "x" / "a.txt", RAW), put(tmp_path / "y" / "a.txt", RAW)
    code, _, err = run(capsys, a, b, "-o", tmp_path / "out")
    assert code == 2
    assert "would both be written to" in err
    assert not (tmp_path / "out").exists()


def test_several_inputs_need_a_folder_not_a_file(tmp_path, capsys):
    a, b = put(tmp_path / "a.txt", RAW), put(tmp_path / "b.txt", RAW)
    assert run(capsys, a, b, "-o", a)[0] == 2


def test_bad_pipeline_file_exits_2_naming_it(tmp_path, capsys):
    src = put(tmp_path / "a.txt", RAW)
    cfg = put(tmp_path / "p.toml", "[[steps]]\nname = 'NoSuchStep'\n")
    code, _, err = run(capsys, src, "--pipeline", cfg)
    assert code == 2
    assert err.startswith(f"textwash: error: {cfg}")
    assert "NoSuchStep" in err


def test_explicit_encoding(tmp_path, capsys, pipeline_file):
    src = put(tmp_path / "a.txt", TRAD_RAW, encoding="big5")
    code, out, err = run(capsys, src, "--encoding", "cp950", "--pipeline", pipeline_file)
    assert code == 0
    assert out == TRAD_RAW.replace(",", "，").replace(".", "。")
    assert err == f"{src}: cp950\n"
    code, _, err = run(capsys, src, "--encoding", "utf-8")
    assert code == 1
    assert f"{src}:1: cannot decode as utf-8 at byte" in err


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"textwash {textwash.__version__}"


def test_help_lists_clean(capsys):
    assert main(["--help"]) == 0
    assert "clean" in capsys.readouterr().out


# -- --explain ---------------------------------------------------------------------------


def test_explain_shows_steps_lines_and_markers(tmp_path, capsys, pipeline_file):
    src = put(tmp_path / "a.txt", "标题\n" + RAW)
    code, out, _ = run(capsys, src, "--explain", "--pipeline", pipeline_file, "--color", "never")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"==> {src} <=="
    assert "  L2  Punctuation  近年来[-,-]{+，+}随着社 会 、经" in lines
    assert any("OcrSpacing" in x and "[- -]" in x for x in lines)
    assert CLEAN not in out  # the explanation replaces the cleaned text on stdout
    assert "\x1b[" not in out


def test_explain_with_colour_and_output_file(tmp_path, capsys, pipeline_file):
    src = put(tmp_path / "a.txt", RAW)
    dest = tmp_path / "a.clean.txt"
    argv = [src, "-o", dest, "--explain", "--pipeline", pipeline_file, "--color", "always"]
    code, out, _ = run(capsys, *argv)
    assert code == 0
    assert "\x1b[31m,\x1b[0m\x1b[32m，\x1b[0m" in out  # red deletion, green insertion
    assert "Punctuation" in out and "[-" not in out
    assert dest.read_text(encoding="utf-8") == CLEAN


def test_explain_jsonl_names_records_and_reports_unchanged_ones(tmp_path, capsys, pipeline_file):
    src = put(tmp_path / "d.jsonl", json.dumps({"text": "好"}) + "\n\n" + json.dumps({"text": RAW}))
    code, out, _ = run(capsys, src, "--explain", "--pipeline", pipeline_file, "--color", "never")
    assert code == 0
    assert f"==> {src}:1 (record 0) <==\n  (no changes)\n==> {src}:3 (record 1) <==" in out


def test_explain_with_the_default_preset_shows_flags(tmp_path, capsys):
    src = put(tmp_path / "a.txt", "标题\n工作锟斤拷总结,社 会\n")
    code, out, _ = run(capsys, src, "--explain", "--color", "never")
    assert code == 0
    assert "UnicodeRepair" in out
    assert "! lost-bytes:" in out
    assert "L2" in out


# -- progress ----------------------------------------------------------------------------


def test_progress_bar_counts_documents_on_a_terminal(tmp_path, capsys, monkeypatch):
    src = put(tmp_path / "d.jsonl", (json.dumps({"text": RAW}) + "\n") * 3)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["clean", str(src), "-o", str(tmp_path / "o.jsonl")]) == 0
    err = capsys.readouterr().err
    assert "docs=3" in err
    assert f"{src}: utf-8" in err


def test_closed_stdout_ends_quietly(tmp_path, capsys, monkeypatch):
    src = put(tmp_path / "a.txt", RAW)

    class GoneReader:
        """Standard output whose reader has exited, as with ``textwash clean ... | head``."""

        def __init__(self):
            self.buffer = self

        def write(self, data):
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            pass

        def fileno(self):
            raise ValueError("no file descriptor")

    monkeypatch.setattr(sys, "stdout", GoneReader())
    code, _, err = run(capsys, src)
    assert code == 1
    assert err == f"{src}: utf-8\n"


def test_summary_counts_edits_per_step(tmp_path, capsys):
    src = tmp_path / "dump.txt"
    src.write_text(
        "标题\n\n标题\n\n近年来,随着社 会 、经 济的发展,裙众需求增长。\n相关文档\n",
        encoding="utf-8",
    )
    assert (
        main(["clean", str(src), "-o", str(tmp_path / "out.txt"), "--summary", "--no-progress"])
        == 0
    )
    err = capsys.readouterr().err
    assert "1 document(s) cleaned" in err
    counts = {
        line.split()[0]: int(line.split()[1])
        for line in err.splitlines()
        if line[:1].isupper() and len(line.split()) == 2
    }
    assert counts["Boilerplate"] == 1
    assert counts["RepeatedLines"] == 1
    assert counts["Confusables"] == 1
    assert counts["Punctuation"] == 2


def test_workers_give_the_same_output_as_one_process(tmp_path):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    base = "近年来,随着社 会 、经 济的发展,裙众的需求日益增长。\n\n第{}段,掌握笫一手资料.\n"
    for i in range(12):
        (src / ("sub" if i % 2 else ".") / f"f{i:02d}.txt").write_text(
            base.format(i), encoding="utf-8"
        )
    lines = [json.dumps({"id": i, "text": base.format(i)}, ensure_ascii=False) for i in range(30)]
    (src / "data.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    outs = {}
    for n in (1, 2):
        out = tmp_path / f"out{n}"
        assert main(["clean", str(src), "-o", str(out), "--workers", str(n), "--no-progress"]) == 0
        outs[n] = {
            p.relative_to(out): p.read_bytes()
            for p in sorted(out.rglob("*"))
            if p.is_file() and p.name != JOURNAL
        }
    assert len(outs[1]) == 13
    assert outs[1] == outs[2]


def test_workers_must_be_positive(capsys):
    assert main(["clean", "x.txt", "--workers", "0"]) == 2
    assert "must be at least 1" in capsys.readouterr().err
