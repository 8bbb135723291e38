"""The I/O layer on real files: encodings, JSONL and Parquet mirroring, discovery, atomic writes."""

from __future__ import annotations

import json
import os
import pickle
import sys
from pathlib import Path

import pytest

from textwash.io import (
    InputError,
    atomic_open,
    atomic_write_text,
    decode,
    detect_encoding,
    discover,
    read_file,
    write_output,
)

SIMP = (
    "近年来，随着城市人口不断增加和居民消费水平持续提高，生活垃圾产生量逐年攀升，"
    "“垃圾围城”已经成为许多城市不得不面对的现实难题。\n"
    "推行垃圾分类，既是减轻填埋和焚烧压力的有效途径，也是改善人居环境、提升城市文明程度的重要抓手。\n"
    "社区作为城市治理的最小单元，是垃圾分类工作能否落地见效的关键环节。\n"
)
TRAD = (
    "近年來，隨著城市人口不斷增加和居民消費水平持續提高，生活垃圾產生量逐年攀升，"
    "「垃圾圍城」已經成為許多城市不得不面對的現實難題。\n"
    "推行垃圾分類，既是減輕填埋和焚燒壓力的有效途徑，也是改善人居環境、提升城市文明程度的重要抓手。\n"
    "社區作為城市治理的最小單元，是垃圾分類工作能否落地見效的關鍵環節。\n"
)


def write_bytes(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def write_jsonl(path: Path, lines: list[str]) -> Path:
    return write_bytes(path, "".join(line + "\n" for line in lines).encode("utf-8"))


# -- encodings -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "codec", "reported"),
    [
        (SIMP, "utf-8", "utf-8"),
        (TRAD, "utf-8-sig", "utf-8-sig"),
        (SIMP, "gbk", "gb18030"),
        (SIMP + "𠮷€", "gb18030", "gb18030"),  # four-byte GB18030 sequences
        (TRAD, "big5", "big5"),
        (SIMP, "utf-16", "utf-16"),  # with BOM
        (TRAD, "utf-16-le", "utf-16-le"),
        (SIMP, "utf-16-be", "utf-16-be"),
        ("Chapter 1: Introduction\n" + SIMP, "utf-16-le", "utf-16-le"),  # ASCII leaves NULs
        (TRAD, "utf-32", "utf-32"),
    ],
)
def test_encodings_are_detected_and_decoded(tmp_path, text, codec, reported):
    path = write_bytes(tmp_path / "doc.txt", text.encode(codec))
    source = read_file(path)
    assert source.encoding == reported
    assert source.format == "text"
    assert [d.text for d in source.documents] == [text]
    assert source.size == path.stat().st_size


def test_ascii_is_reported_as_utf8():
    assert detect_encoding(b"plain ascii\n") == "utf-8"
    assert decode(b"", "empty.txt") == ("", "utf-8")


def test_output_is_utf8_whatever_the_input_encoding(tmp_path):
    source = read_file(write_bytes(tmp_path / "in.txt", SIMP.encode("gbk")))
    out = tmp_path / "out.txt"
    write_output(out, source, [source.documents[0].text])
    assert out.read_bytes() == SIMP.encode("utf-8")


def test_binary_file_is_rejected_with_its_name_and_offset(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256))
    path = write_bytes(tmp_path / "logo.png", png)
    with pytest.raises(InputError) as info:
        read_file(path)
    err = info.value
    assert err.path == str(path)
    assert "binary" in err.cause
    assert "byte 8" in err.cause
    assert str(err).startswith(f"{path}:3: ")


def test_undetectable_bytes_name_the_file_and_first_bad_byte(tmp_path):
    path = write_bytes(tmp_path / "latin.txt", b"ok\ncaf\xe9 au lait\n" * 20)
    with pytest.raises(InputError) as info:
        read_file(path)
    assert info.value.line == 2
    assert "byte 6" in info.value.cause
    assert "--encoding" in info.value.cause


def test_explicit_encoding_overrides_detection(tmp_path):
    path = write_bytes(tmp_path / "a.txt", TRAD.encode("big5"))
    source = read_file(path, encoding="cp950")
    assert (source.encoding, source.documents[0].text) == ("cp950", TRAD)


def test_explicit_encoding_failure_names_line_and_byte(tmp_path):
    head = "第一行\n第二行\n".encode()
    path = write_bytes(tmp_path / "mixed.txt", head + "第三行".encode("gbk"))
    with pytest.raises(InputError) as info:
        read_file(path, encoding="utf-8")
    err = info.value
    assert err.line == 3
    assert f"at byte {len(head)} " in err.cause
    assert str(err).startswith(f"{path}:3: cannot decode as utf-8")


def test_explicit_utf8_still_drops_a_bom():
    assert decode("\ufeff社会".encode(), "a.txt", encoding="UTF8") == ("社会", "utf-8-sig")


def test_unknown_explicit_encoding_is_an_input_error():
    with pytest.raises(InputError, match="unknown encoding 'klingon'"):
        decode(b"x", "a.txt", encoding="klingon")


def test_input_error_format_and_pickling():
    err = InputError("a.jsonl", "invalid JSON", line=4, record=2)
    assert str(err) == "a.jsonl:4: invalid JSON"
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.path, copy.line, copy.record, copy.cause) == ("a.jsonl", 4, 2, "invalid JSON")
    assert str(InputError(Path("x.txt"), "gone")) == "x.txt: gone"


# -- JSONL -------------------------------------------------------------------------


def test_jsonl_mirror_keeps_other_fields_order_and_blank_lines(tmp_path):
    records = [
        {"id": 1, "title": "标题", "text": "社 会", "meta": {"tags": ["a", "b"], "score": 0.5}},
        {"text": "经 济", "id": 2, "ok": True, "none": None},
    ]
    src = write_jsonl(
        tmp_path / "dump.jsonl",
        [json.dumps(records[0], ensure_ascii=False), "", "   ", json.dumps(records[1])],
    )
    source = read_file(src)
    assert [(d.index, d.line, d.text) for d in source.documents] == [
        (0, 1, "社 会"),
        (1, 4, "经 济"),
    ]
    assert source.line_count == 4

    out = tmp_path / "out" / "dump.jsonl"
    write_output(out, source, ["社会", "经济"])
    lines = out.read_text(encoding="utf-8").split("\n")
    assert lines[1:3] == ["", ""] and lines[4] == ""  # blank lines kept, file ends with "\n"
    first, second = json.loads(lines[0]), json.loads(lines[3])
    assert first == {**records[0], "text": "社会"}
    assert list(first) == ["id", "title", "text", "meta"]
    assert list(second) == ["text", "id", "ok", "none"]
    assert "社会" in lines[0] and "标题" in lines[0]  # not \u-escaped


def test_jsonl_line_separators_inside_strings_do_not_split_records(tmp_path):
    text = "第一段\u2028第二段\x85第三段"
    source = read_file(write_jsonl(tmp_path / "a.ndjson", [json.dumps({"text": text})]))
    assert [d.text for d in source.documents] == [text]


def test_jsonl_without_final_newline_and_crlf(tmp_path):
    path = write_bytes(tmp_path / "a.jsonl", b'{"text": "a"}\r\n{"text": "b"}')
    source = read_file(path)
    assert [d.text for d in source.documents] == ["a", "b"]


def test_jsonl_in_gbk_is_decoded(tmp_path):
    line = json.dumps({"text": SIMP}, ensure_ascii=False)
    source = read_file(write_bytes(tmp_path / "gbk.jsonl", (line + "\n").encode("gbk")))
    assert source.encoding == "gb18030"
    assert source.documents[0].text == SIMP


@pytest.mark.parametrize(
    ("bad_line", "cause"),
    [
        ('{"text": "未闭合', "invalid JSON"),
        ('["text", "数组"]', "expected a JSON object, got an array"),
        ('{"title": "无正文", "id": 3}', "no 'text' field (fields: 'title', 'id')"),
        ('{"text": 42}', "field 'text' is a number, not a string"),
        ('{"text": null}', "field 'text' is null, not a string"),
    ],
)
def test_bad_jsonl_line_names_file_and_line(tmp_path, bad_line, cause):
    path = write_jsonl(tmp_path / "bad.jsonl", ['{"text": "好"}', "", bad_line, '{"text": "后"}'])
    with pytest.raises(InputError) as info:
        read_file(path)
    err = info.value
    assert (err.line, err.record) == (3, 1)
    assert cause in err.cause
    assert str(err).startswith(f"{path}:3: ")


def test_jsonl_custom_text_field(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", ['{"content": "正文", "text": 1}'])
    source = read_file(path, text_field="content")
    assert source.documents[0].text == "正文"
    out = tmp_path / "b.jsonl"
    write_output(out, source, ["新"])
    assert json.loads(out.read_text(encoding="utf-8")) == {"content": "新", "text": 1}


def test_jsonl_lone_surrogates_survive_as_escapes(tmp_path):
    path = write_jsonl(tmp_path / "a.jsonl", ['{"text": "好", "raw": "\\ud800"}'])
    source = read_file(path)
    out = tmp_path / "b.jsonl"
    write_output(out, source, ["好"])
    assert json.loads(out.read_text(encoding="utf-8")) == {"text": "好", "raw": "\ud800"}


def test_empty_jsonl_round_trips(tmp_path):
    source = read_file(write_bytes(tmp_path / "a.jsonl", b""))
    assert source.documents == []
    write_output(tmp_path / "b.jsonl", source, [])
    assert (tmp_path / "b.jsonl").read_bytes() == b""


# -- Parquet -------------------------------------------------------------------------


@pytest.fixture
def pa():
    return pytest.importorskip("pyarrow")


@pytest.fixture
def pq(pa):
    return pytest.importorskip("pyarrow.parquet")


def make_parquet(path: Path, **columns: object) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table(columns)
    table = table.replace_schema_metadata({"origin": "crawler-7"})
    pq.write_table(table, path)
    return path


def test_parquet_round_trip_keeps_schema_and_other_columns(tmp_path, pa, pq):
    ids = pa.array([7, 8, 9], type=pa.int32())
    tags = pa.array([["a"], [], ["b", "c"]], type=pa.list_(pa.string()))
    path = make_parquet(tmp_path / "d.parquet", id=ids, text=["社 会", "经 济", "好"], tags=tags)
    source = read_file(path)
    assert (source.format, source.encoding) == ("parquet", "utf-8")
    assert [(d.index, d.line, d.text) for d in source.documents] == [
        (0, None, "社 会"),
        (1, None, "经 济"),
        (2, None, "好"),
    ]
    assert source.row(2) == {"id": 9, "text": "好", "tags": ["b", "c"]}

    out = tmp_path / "out" / "d.parquet"
    write_output(out, source, ["社会", "经济", "好"])
    written = pq.read_table(out)
    assert written.schema.equals(source.table.schema, check_metadata=True)
    assert written.column("text").to_pylist() == ["社会", "经济", "好"]
    assert written.column("id").to_pylist() == [7, 8, 9]
    assert written.column("tags").to_pylist() == [["a"], [], ["b", "c"]]


@pytest.mark.parametrize("kind", ["large_string", "dictionary"])
def test_parquet_other_string_types_are_kept(tmp_path, pa, pq, kind):
    body = pa.array(["甲 乙", "丙", "甲 乙"], type=pa.large_string())
    if kind == "dictionary":
        body = pa.array(["甲 乙", "丙", "甲 乙"]).dictionary_encode()
    path = make_parquet(tmp_path / "d.parquet", body=body)
    source = read_file(path, text_field="body")
    write_output(tmp_path / "o.parquet", source, ["甲乙", "丙", "甲乙"])
    written = pq.read_table(tmp_path / "o.parquet")
    assert written.schema.field("body").type == body.type
    assert written.column("body").to_pylist() == ["甲乙", "丙", "甲乙"]


@pytest.mark.parametrize(
    ("columns", "cause"),
    [
        ({"body": ["x"]}, "no 'text' column (columns: 'body')"),
        ({"text": [1, 2]}, "column 'text' has type int64, not string"),
        ({"text": ["a", None, "c"]}, "row 1: 'text' is null"),
    ],
)
def test_bad_parquet_names_the_problem(tmp_path, pq, columns, cause):
    path = make_parquet(tmp_path / "d.parquet", **columns)
    with pytest.raises(InputError) as info:
        read_file(path)
    assert cause in str(info.value)
    assert str(info.value).startswith(f"{path}: ")


def test_corrupt_parquet_is_an_input_error(tmp_path, pq):
    path = write_bytes(tmp_path / "d.parquet", b"PAR1 this is not really parquet")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        read_file(path)


def test_missing_pyarrow_asks_for_the_extra(tmp_path, pq, monkeypatch):
    path = make_parquet(tmp_path / "d.parquet", text=["a"])
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(InputError, match=r"textwash\[parquet\]"):
        read_file(path)


# -- discovery -------------------------------------------------------------------


def test_discover_walks_folders_sorted_and_skips_hidden(tmp_path):
    root = tmp_path / "dump"
    for rel in ["b.txt", "a/z.jsonl", "a/m/n.txt", "c.parquet", ".hidden.txt", ".git/x.txt"]:
        write_bytes(root / rel, b"x")
    single = write_bytes(tmp_path / "single.txt", b"y")
    found = discover([root, single])
    assert [(str(f.relative_to(tmp_path)), str(r)) for f, r in found] == [
        ("dump/a/m/n.txt", "a/m/n.txt"),
        ("dump/a/z.jsonl", "a/z.jsonl"),
        ("dump/b.txt", "b.txt"),
        ("dump/c.parquet", "c.parquet"),
        ("single.txt", "single.txt"),
    ]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_discover_follows_symlinked_folders_but_not_loops(tmp_path):
    root = tmp_path / "dump"
    write_bytes(root / "sub" / "a.txt", b"x")
    write_bytes(tmp_path / "elsewhere" / "b.txt", b"y")
    try:
        (root / "sub" / "loop").symlink_to(root, target_is_directory=True)
        (root / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    except OSError:
        pytest.skip("cannot create symlinks here")
    rels = [str(r) for _, r in discover([root])]
    assert rels == ["linked/b.txt", "sub/a.txt"]


def test_discover_excludes_an_output_folder_inside_the_input(tmp_path):
    write_bytes(tmp_path / "a.txt", b"x")
    write_bytes(tmp_path / "clean" / "a.txt", b"x")
    assert [str(r) for _, r in discover([tmp_path], exclude=[tmp_path / "clean"])] == ["a.txt"]
    # the folder being cleaned in place is not excluded from itself
    assert len(discover([tmp_path], exclude=[tmp_path])) == 2


def test_discover_missing_input_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file or directory"):
        discover([tmp_path / "nope.txt"])


# -- atomic writes -----------------------------------------------------------------


def test_atomic_write_replaces_and_keeps_mode(tmp_path):
    path = tmp_path / "out.txt"
    atomic_write_text(path, "旧")
    os.chmod(path, 0o640)
    atomic_write_text(path, "新\r\n")
    assert path.read_bytes() == "新\r\n".encode()
    if os.name == "posix":
        assert path.stat().st_mode & 0o777 == 0o640
    assert os.listdir(tmp_path) == ["out.txt"]


def test_atomic_write_failure_leaves_old_file_and_no_temp(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("旧内容", encoding="utf-8")
    with pytest.raises(RuntimeError, match="disk on fire"), atomic_open(path) as f:
        f.write("新内容的一半".encode())
        raise RuntimeError("disk on fire")
    assert path.read_text(encoding="utf-8") == "旧内容"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_parquet_write_failure_leaves_old_file(tmp_path, pa, pq, monkeypatch):
    source = read_file(make_parquet(tmp_path / "d.parquet", text=["a"]))
    out = tmp_path / "out.parquet"
    out.write_bytes(b"old")

    def broken(table, where, **kwargs):
        where.write(b"PAR1 half")
        raise OSError("no space left on device")

    monkeypatch.setattr(pq, "write_table", broken)
    with pytest.raises(OSError, match="no space"):
        write_output(out, source, ["b"])
    assert out.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["d.parquet", "out.parquet"]


def test_writer_rejects_a_wrong_number_of_texts(tmp_path):
    source = read_file(write_jsonl(tmp_path / "a.jsonl", ['{"text": "a"}']))
    with pytest.raises(ValueError, match="got 2 cleaned texts for 1 documents"):
        write_output(tmp_path / "b.jsonl", source, ["a", "b"])
    assert not (tmp_path / "b.jsonl").exists()
