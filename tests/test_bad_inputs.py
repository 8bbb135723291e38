"""A corpus of broken inputs, generated here (no committed binaries), through ``textwash clean``.

Every case has the one-line error it must produce with ``--on-error fail``
(the default) and what ``--on-error skip`` must do with it: which records are
cleaned and which are copied, byte for byte, into the ``.rejects`` file, so
that records in = records out + rejects.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from textwash.cli.main import main

GOOD = "近年来,随着社会的发展,群众工作面临新的挑战。"
CLEAN = "近年来，随着社会的发展，群众工作面临新的挑战。"


@dataclass(frozen=True)
class Case:
    """One broken input: its file name and bytes, the error, and what skip keeps."""

    name: str
    data: bytes
    error: str  # a part of the one-line error with --on-error fail
    kept: int  # records cleaned with --on-error skip
    rejected: list[bytes]  # the rejects file's records, verbatim (whole file: one item)


def _jsonl(*lines: bytes) -> bytes:
    return b"".join(line + b"\n" for line in lines)


def _record(text: str, **extra: object) -> bytes:
    return json.dumps({"text": text, **extra}, ensure_ascii=False).encode("utf-8")


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"
CASES = [
    Case("binary.txt", PNG, "binary.txt:3: looks binary (NUL byte at byte 8)", 0, [PNG]),
    Case(
        "nul-in-text.txt",
        GOOD.encode() + b"\x00\x00\x01" + GOOD.encode(),
        "nul-in-text.txt:1: looks binary (NUL byte at byte",
        0,
        [GOOD.encode() + b"\x00\x00\x01" + GOOD.encode()],
    ),
    Case(
        "invalid-bytes.txt",
        (GOOD * 10).encode() + b"\xff\xfe" + (GOOD * 10).encode(),
        "invalid-bytes.txt:1: cannot detect the encoding: not UTF-8 (byte 0xff at byte",
        0,
        [(GOOD * 10).encode() + b"\xff\xfe" + (GOOD * 10).encode()],
    ),
    Case(
        "not-json.jsonl",
        _jsonl(_record(GOOD), b"{'text': 'single quotes'}", _record(GOOD)),
        "not-json.jsonl:2: invalid JSON (Expecting property name enclosed in double quotes",
        2,
        [b"{'text': 'single quotes'}"],
    ),
    Case(
        "truncated.jsonl",
        _jsonl(_record(GOOD)) + _record(GOOD)[:16],
        "truncated.jsonl:2: invalid JSON (Unterminated string",
        1,
        [_record(GOOD)[:16]],
    ),
    Case(
        "missing-field.jsonl",
        _jsonl(_record(GOOD), b'{"id": 7, "body": "x"}'),
        "missing-field.jsonl:2: no 'text' field (fields: 'id', 'body')",
        1,
        [b'{"id": 7, "body": "x"}'],
    ),
    Case(
        "not-a-string.jsonl",
        _jsonl(b'{"text": ["a", "b"]}', _record(GOOD), b'{"text": null}'),
        "not-a-string.jsonl:1: field 'text' is an array, not a string",
        1,
        [b'{"text": ["a", "b"]}', b'{"text": null}'],
    ),
    Case(
        "not-an-object.jsonl",
        _jsonl(b"[1, 2, 3]", _record(GOOD)),
        "not-an-object.jsonl:1: expected a JSON object, got an array",
        1,
        [b"[1, 2, 3]"],
    ),
    Case(
        "bad-line-bytes.jsonl",
        _jsonl(*[_record(GOOD)] * 12, b'{"text": "\xff\xfe"}', _record(GOOD)),
        "bad-line-bytes.jsonl:13: cannot detect the encoding",
        13,
        [b'{"text": "\xff\xfe"}'],
    ),
    Case(
        "crlf-bad.jsonl",
        _record(GOOD) + b"\r\n" + b"nope\r\n" + _record(GOOD) + b"\r\n",
        "crlf-bad.jsonl:2: invalid JSON (Expecting value at column 1)",
        2,
        [b"nope\r"],
    ),
]


def _write_parquet(path: Path, columns: dict[str, list[object]]) -> bytes:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    pq.write_table(pa.table(columns), path)
    return path.read_bytes()


@pytest.fixture
def bad_corpus(tmp_path: Path) -> tuple[Path, list[Case]]:
    """Every case as a file under ``tmp_path / "in"``, plus two Parquet cases."""
    root = tmp_path / "in"
    root.mkdir()
    cases = list(CASES)
    for case in cases:
        (root / case.name).write_bytes(case.data)
    schema = _write_parquet(root / "no-text-column.parquet", {"body": [GOOD], "id": [1]})
    cases.append(
        Case(
            "no-text-column.parquet",
            schema,
            "no-text-column.parquet: no 'text' column (columns: 'body', 'id')",
            0,
            [schema],
        )
    )
    typed = _write_parquet(root / "int-text.parquet", {"text": [1, 2]})
    cases.append(
        Case(
            "int-text.parquet",
            typed,
            "int-text.parquet: column 'text' has type int64, not string",
            0,
            [typed],
        )
    )
    _write_parquet(root / "null-row.parquet", {"text": [GOOD, None, GOOD], "n": [1, 2, 3]})
    cases.append(
        Case(
            "null-row.parquet",
            b"",
            "null-row.parquet: row 1: 'text' is null",
            2,
            [json.dumps({"text": None, "n": 2}).encode()],
        )
    )
    return root, cases


@pytest.fixture(params=["whole", "windows"])
def reading(request, monkeypatch) -> str:
    """Run a test twice: files read whole, and read as a stream (plain text in
    windows, JSONL in batches of records)."""
    if request.param == "windows":
        import textwash.cli.streamed as streamed

        monkeypatch.setattr(streamed, "STREAM_BYTES", -1)
    return str(request.param)


def _clean(capsys, *argv: object) -> tuple[int, str]:
    code = main(["clean", *map(str, argv), "--no-progress", "--workers", "1"])
    return code, capsys.readouterr().err


def test_fail_gives_one_clear_line_per_file_and_writes_none_of_them(
    bad_corpus, tmp_path, capsys, reading
):
    root, cases = bad_corpus
    out = tmp_path / "out"
    code, err = _clean(capsys, root, "-o", out)
    assert code == 1
    for case in cases:
        lines = [line for line in err.splitlines() if f"in/{case.name}" in line and "error" in line]
        assert len(lines) == 1, (case.name, err)
        assert case.error in lines[0], (case.name, lines[0])
        assert not (out / case.name).exists()  # a file with an error has no output
    assert "Traceback" not in err


def test_skip_keeps_every_record_and_copies_the_rest_verbatim(
    bad_corpus, tmp_path, capsys, reading
):
    root, cases = bad_corpus
    out = tmp_path / "out"
    code, err = _clean(capsys, root, "-o", out, "--on-error", "skip")
    assert code == 1  # records were rejected
    kept = rejected = 0
    for case in cases:
        rejects = out / (case.name + ".rejects")
        assert rejects.exists(), case.name
        if case.kept == 0:  # the whole file is rejected, as it was
            assert rejects.read_bytes() == case.rejected[0]
            assert not (out / case.name).exists()
        else:
            assert rejects.read_bytes() == b"".join(r + b"\n" for r in case.rejected), case.name
            if case.name.endswith(".jsonl"):
                lines = (out / case.name).read_text(encoding="utf-8").splitlines()
                records = [json.loads(line) for line in lines if line]
                assert [r["text"] for r in records] == [CLEAN] * case.kept, case.name
        kept += case.kept
        rejected += len(case.rejected)
    assert f"{kept + rejected} record(s) in: {kept} cleaned, {rejected} rejected" in err
    assert err.count("textwash: skipped: ") == rejected


def test_skip_leaves_no_stale_rejects_file(tmp_path, capsys):
    src = tmp_path / "a.jsonl"
    src.write_bytes(_jsonl(_record(GOOD), b"nope"))
    out = tmp_path / "out.jsonl"
    assert _clean(capsys, src, "-o", out, "--on-error", "skip")[0] == 1
    assert (tmp_path / "out.jsonl.rejects").read_bytes() == b"nope\n"
    src.write_bytes(_jsonl(_record(GOOD)))
    assert _clean(capsys, src, "-o", out, "--on-error", "skip")[0] == 0
    assert not (tmp_path / "out.jsonl.rejects").exists()


def test_empty_file_is_cleaned_to_an_empty_file(tmp_path, capsys, reading):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "empty.jsonl").write_bytes(b"")
    code, err = _clean(capsys, tmp_path, "-o", tmp_path / "out")
    assert code == 0, err
    assert (tmp_path / "out" / "empty.txt").read_bytes() == b""
    assert (tmp_path / "out" / "empty.jsonl").read_bytes() == b""


def test_a_long_line_without_breaks(tmp_path, capsys, reading):
    big = tmp_path / "one-line.txt"
    big.write_text(GOOD * 40_000, encoding="utf-8")  # 960,000 characters, 2.8 MB, no line break
    code, err = _clean(capsys, big, "-o", tmp_path / "out.txt")
    assert code == 0, err
    assert (tmp_path / "out.txt").read_text(encoding="utf-8") == CLEAN * 40_000


def test_deep_folders_and_a_symlink_loop(tmp_path, capsys):
    root = tmp_path / "in"
    deep = root.joinpath(*[f"d{i}" for i in range(40)])
    deep.mkdir(parents=True)
    (deep / "a.txt").write_text(GOOD, encoding="utf-8")
    (deep / "loop").symlink_to(root, target_is_directory=True)
    code, err = _clean(capsys, root, "-o", tmp_path / "out")
    assert code == 0, err
    out = tmp_path.joinpath("out", *[f"d{i}" for i in range(40)], "a.txt")
    assert out.read_text(encoding="utf-8") == CLEAN


def test_a_file_that_vanishes_mid_run(tmp_path, capsys, monkeypatch):
    import textwash.cli.common as cli  # where the command line reads its inputs

    root = tmp_path / "in"
    root.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (root / name).write_text(GOOD, encoding="utf-8")
    real = cli.read_file

    def read_after_b_vanished(path, **kw):
        if Path(path).name == "b.txt":
            Path(path).unlink()
        return real(path, **kw)

    monkeypatch.setattr(cli, "read_file", read_after_b_vanished)
    code, err = _clean(capsys, root, "-o", tmp_path / "out")
    assert code == 1
    assert "b.txt: cannot read (No such file or directory)" in err
    assert (tmp_path / "out" / "a.txt").exists() and (tmp_path / "out" / "c.txt").exists()
    assert not (tmp_path / "out" / "b.txt").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_file(tmp_path, capsys):
    src = tmp_path / "secret.txt"
    src.write_text(GOOD, encoding="utf-8")
    src.chmod(0)
    code, err = _clean(capsys, src, "-o", tmp_path / "out.txt")
    assert code == 1
    assert "secret.txt: cannot read (Permission denied)" in err


def test_a_file_that_becomes_unreadable_mid_run(tmp_path, capsys, monkeypatch):
    import textwash.cli.common as cli  # where the command line reads its inputs

    root = tmp_path / "in"
    root.mkdir()
    for name in ("a.txt", "b.txt"):
        (root / name).write_text(GOOD, encoding="utf-8")
    real = cli.read_file

    def read_after_a_became_a_folder(path, **kw):
        if Path(path).name == "a.txt":  # replaced by something that cannot be read as a file
            Path(path).unlink()
            Path(path).mkdir()
        return real(path, **kw)

    monkeypatch.setattr(cli, "read_file", read_after_a_became_a_folder)
    for mode in ("fail", "skip"):
        code, err = _clean(capsys, root, "-o", tmp_path / f"out-{mode}", "--on-error", mode)
        assert code == 1
        assert "a.txt: cannot read (Is a directory)" in err
        assert (tmp_path / f"out-{mode}" / "b.txt").read_text(encoding="utf-8") == CLEAN
        (root / "a.txt").rmdir()
        (root / "a.txt").write_text(GOOD, encoding="utf-8")


# -- hostile text: readable input that has broken cleaning steps (issue 15) ---------------
#
# Not broken files but broken *text*, as scraped dumps hold it: symbol runs,
# ideographic spaces everywhere, mojibake, mixed-width numbers, invisible
# characters mid-sentence, masked words.  Every format must clean it with exit
# code 0 and no traceback, and cleaning the output again must change nothing.

#: The one-liner of issue 15 that made OcrSpacing raise "edits overlap".
ISSUE_15 = "％\u3000货比三家多花点心思了。"


def _mojibake(text: str) -> str:
    """UTF-8 Chinese read as GBK, each byte that does not decode shown as ``?``."""
    return text.encode("utf-8").decode("gbk", errors="replace").replace("\ufffd", "?")


HOSTILE = [
    ISSUE_15,
    # full-width symbol runs, alone, between Han characters and at line ends
    "％＃＋．，：％＃＋．，：货比三家＃＃＃＋＋＋．．．，，，：：：多花点心思了。",
    "价格上涨了％％％，＃＃＋＋，．．：：\n％＃＋．，：",
    "：：：\n，，，\n．．．\n",
    # U+3000 between every character, leading, trailing, doubled
    "\u3000".join("近年来随着社会的发展群众工作面临新的挑战") + "\u3000。",
    "\u3000\u3000\u3000第一章\u3000\u3000总\u3000则\u3000\u3000\n"
    "\u3000\u3000第一条\u3000为了规范管理，\u3000制定本办法。\u3000",
    "％\u3000＃\u3000＋\u3000．\u3000，\u3000：\u3000货\u3000比",
    # mojibake runs: UTF-8 read as GBK, with ? where a byte did not decode
    "?；泼鳎合衷" + _mojibake("货比三家多花点心思了。") + "正常的一句话。",
    "标题："
    + _mojibake("社区垃圾分类工作实施方案")
    + "\n"
    + _mojibake("近年来，随着社会的发展")
    + "？？？",
    # mixed-width numbers
    "增长率为１2.５％，较去年提高０.３个百分点，总额达３，０００元，人均１，２3４.５６元。",
    "第１2.５％条：３，０００元／月，（１）２３％，ＡＢＣ１２３ｘｙｚ，１／２，３．１４１５９。",
    # NBSP, zero-width characters and BOMs in the middle
    "近年来\u00a0随着社会\u200b的发展\ufeff群众\u200d工作\u2060面临\u00a0\u00a0新的挑战。\u200b\n\ufeff第二行。",
    "\ufeff\ufeff\u200b\u200b\u00a0\u00a0",
    # masked words
    "领导人***在会上强调，***必须坚持***。\n据***报道，＊＊＊事件引发关注，**和****都被屏蔽了。",
    # all of it at once, OCR-spaced
    "社 会 、实 现 ％\u3000目 标 ， 是 我 们 的 任 务 ，１2.５％ 的 人 认 为 ***。",
    "下载文档前请自行甄别文档内容的完整性。\n\u3000\u3000"
    + _mojibake("相关文档")
    + "\u3000％＃＋．，：\u00a0***\u200b１2.５％",
]


@pytest.fixture
def hostile_corpus(tmp_path: Path) -> tuple[Path, Path]:
    """A folder with the hostile texts as plain text and as JSONL, and the issue's
    one-liner as a file of its own; and the same plain text in GB18030."""
    root = tmp_path / "hostile"
    root.mkdir()
    whole = "\n\n".join(HOSTILE) + "\n"
    (root / "hostile.txt").write_text(whole, encoding="utf-8")
    (root / "hostile.jsonl").write_bytes(
        b"".join(_record(text, n=n) + b"\n" for n, text in enumerate(HOSTILE))
    )
    (root / "issue-15.txt").write_text(ISSUE_15, encoding="utf-8")
    gb = tmp_path / "hostile-gb18030.txt"
    gb.write_bytes(whole.encode("gb18030"))
    return root, gb


def _clean_ok(capsys, src: Path, out: Path, *extra: object) -> str:
    code, err = _clean(capsys, src, "-o", out, *extra)
    assert code == 0, err
    assert "Traceback" not in err and "error" not in err, err
    return err


def test_hostile_text_is_cleaned_and_cleaning_it_again_changes_nothing(
    hostile_corpus, tmp_path, capsys, reading
):
    root, gb = hostile_corpus
    once, twice = tmp_path / "once", tmp_path / "twice"
    _clean_ok(capsys, root, once)
    # GB18030 is named: text that is mostly symbols and mojibake gives the detector too little
    err = _clean_ok(capsys, gb, once / gb.name, "--encoding", "gb18030")
    assert "hostile-gb18030.txt: gb18030" in err
    names = sorted(p.name for p in once.iterdir() if not p.name.startswith("."))
    assert names == ["hostile-gb18030.txt", "hostile.jsonl", "hostile.txt", "issue-15.txt"]
    _clean_ok(capsys, once, twice)
    for name in names:
        first = (once / name).read_bytes()
        assert first, name
        assert (twice / name).read_bytes() == first, name  # idempotent
    # the same text whatever it was stored as
    assert (once / "hostile.txt").read_bytes() == (once / gb.name).read_bytes()
    lines = (once / "hostile.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["n"] for line in lines] == list(range(len(HOSTILE)))
    assert "货比三家多花点心思了。" in (once / "issue-15.txt").read_text(encoding="utf-8")


def test_hostile_text_through_the_workers(hostile_corpus, tmp_path, capsys):
    src = hostile_corpus[0] / "hostile.jsonl"
    code = main(
        ["clean", str(src), "-o", str(tmp_path / "a.jsonl"), "--no-progress", "--workers", "2"]
    )
    err = capsys.readouterr().err
    assert code == 0 and "Traceback" not in err, err
    _clean_ok(capsys, src, tmp_path / "b.jsonl")
    assert (tmp_path / "a.jsonl").read_bytes() == (tmp_path / "b.jsonl").read_bytes()
