"""Reading plain text piece by piece (textwash.io.stream) and cleaning large files in windows."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

import textwash.cli.main as cli
import textwash.cli.streamed as streamed
import textwash.io.stream as stream_module
from textwash import get_preset
from textwash.io import InputError, decode
from textwash.io.stream import open_text

TEXT = "近年来，随着社会的发展，群众工作面临新的挑战。\n浅谈公安机关如何做好群众工作\n" * 50
RAW = (
    "近年来,随着社 会 、经 济的发展,裙众工作面临新的挑战。\n\n浅谈公安机关如何做好群众工作\n" * 400
)


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "gb18030", "big5", "utf-16", "utf-16-le", "utf-16-be"]
)
@pytest.mark.parametrize("chunk", [1, 3, 1000])
def test_pieces_decode_to_what_the_whole_file_decodes_to(tmp_path, encoding, chunk, monkeypatch):
    monkeypatch.setattr(stream_module, "HEAD", 4096)  # detect from the start only
    text = (
        TEXT if encoding != "big5" else "近年來，隨著城市人口不斷增加，垃圾產生量逐年攀升。\n" * 80
    )
    path = tmp_path / "a.txt"
    path.write_bytes(text.encode(encoding))
    stream = open_text(path, chunk=chunk)
    assert "".join(stream) == decode(path.read_bytes(), path)[0] == text
    assert stream.encoding == decode(path.read_bytes(), path)[1]
    assert stream.done == stream.size == path.stat().st_size


def test_bytes_that_do_not_decode_past_the_head_name_their_line_and_byte(tmp_path, monkeypatch):
    monkeypatch.setattr(stream_module, "HEAD", 1024)
    good = TEXT.encode("utf-8")
    path = tmp_path / "late.txt"
    path.write_bytes(good + b"abc\xff" + good)
    with pytest.raises(InputError) as caught:
        "".join(open_text(path, chunk=500))
    line = TEXT.count("\n") + 1
    at = len(good) + 3
    assert str(caught.value) == (
        f"{path}:{line}: cannot decode as utf-8 at byte {at} (0xff): invalid start byte"
    )


def test_a_nul_byte_past_the_head_means_binary(tmp_path, monkeypatch):
    monkeypatch.setattr(stream_module, "HEAD", 1024)
    good = TEXT.encode("utf-8")
    path = tmp_path / "late.bin"
    path.write_bytes(good + b"\x00\x01")
    with pytest.raises(
        InputError, match=rf"late.bin:101: looks binary \(NUL byte at byte {len(good)}\)"
    ):
        "".join(open_text(path, chunk=4096))


def test_a_head_cut_inside_a_character_is_still_utf8(tmp_path, monkeypatch):
    monkeypatch.setattr(stream_module, "HEAD", 1000)  # 1000 is not a multiple of 3
    path = tmp_path / "a.txt"
    path.write_bytes(("社会" * 1000).encode("utf-8"))
    assert open_text(path).encoding == "utf-8"


def test_the_encoding_option_overrides_detection(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(codecs.BOM_UTF8 + "社会".encode())
    assert open_text(path, "utf-8").encoding == "utf-8-sig"
    assert "".join(open_text(path, "utf-8")) == "社会"
    with pytest.raises(InputError, match="unknown encoding 'nope'"):
        open_text(path, "nope")


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match=r"gone\.txt: cannot read"):
        open_text(tmp_path / "gone.txt")


# -- the command line: files over STREAM_BYTES are cleaned in windows -----------------


@pytest.fixture
def small_windows(monkeypatch):
    """Every plain-text file is cleaned in windows, and the windows are small."""
    import textwash.windows as windows

    monkeypatch.setattr(streamed, "STREAM_BYTES", -1)
    real = windows.Windowed.__init__

    def small(self, pipeline, **kw):
        real(self, pipeline, window=4096, context=512)

    monkeypatch.setattr(windows.Windowed, "__init__", small)


def _clean(capsys, *argv: object) -> tuple[int, str, str]:
    code = cli.main(["clean", *map(str, argv), "--no-progress"])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("workers", [1, 2])
def test_a_large_file_is_cleaned_in_windows_to_the_same_bytes(
    tmp_path, capsys, small_windows, workers
):
    src = tmp_path / "big.txt"
    src.write_bytes(RAW.encode("gb18030"))
    code, _, err = _clean(capsys, src, "-o", tmp_path / "out.txt", "--workers", workers)
    assert code == 0, err
    assert "big.txt: gb18030 (cleaned in windows)" in err
    assert (tmp_path / "out.txt").read_text(encoding="utf-8") == get_preset("zh")(RAW)


def test_a_large_file_to_standard_output(tmp_path, capsys, small_windows):
    src = tmp_path / "big.txt"
    src.write_text(RAW, encoding="utf-8")
    code, out, err = _clean(capsys, src, "--workers", 1)
    assert code == 0, err
    assert out == get_preset("zh")(RAW)


def test_summary_counts_the_same_edits_in_windows(tmp_path, capsys, monkeypatch):
    src = tmp_path / "big.txt"
    src.write_text(RAW, encoding="utf-8")
    _, _, whole = _clean(capsys, src, "-o", tmp_path / "a.txt", "--summary")
    monkeypatch.setattr(streamed, "STREAM_BYTES", -1)
    _, _, windowed = _clean(capsys, src, "-o", tmp_path / "b.txt", "--summary")

    def edits(err: str) -> list[str]:
        return [line for line in err.splitlines() if line[:1].isupper() and line[-1].isdigit()]

    assert edits(whole) == edits(windowed) != []


def test_a_late_decoding_error_leaves_no_output_or_rejects_the_whole_file(
    tmp_path, capsys, small_windows, monkeypatch
):
    monkeypatch.setattr(stream_module, "HEAD", 1024)
    data = RAW.encode("utf-8") + b"\xff" + RAW.encode("utf-8")
    src = tmp_path / "big.txt"
    src.write_bytes(data)
    out = tmp_path / "out.txt"
    out.write_text("an older output", encoding="utf-8")
    code, _, err = _clean(capsys, src, "-o", out)
    assert code == 1
    line = RAW.count("\n") + 1
    assert f"big.txt:{line}: cannot decode as utf-8 at byte {len(RAW.encode())} (0xff)" in err
    assert out.read_text(encoding="utf-8") == "an older output"  # left as it was
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []

    code, _, err = _clean(capsys, src, "-o", out, "--on-error", "skip")
    assert code == 1
    assert (tmp_path / "out.txt.rejects").read_bytes() == data
    assert "1 record(s) in: 0 cleaned, 1 rejected" in err
    src.write_text(RAW, encoding="utf-8")
    assert _clean(capsys, src, "-o", out, "--on-error", "skip")[0] == 0
    assert not (tmp_path / "out.txt.rejects").exists()
    assert out.read_text(encoding="utf-8") == get_preset("zh")(RAW)


def test_windows_resume_like_any_file(tmp_path, capsys, small_windows):
    root = tmp_path / "in"
    root.mkdir()
    for name in "abc":
        (root / f"{name}.txt").write_text(RAW, encoding="utf-8")
    code, _, err = _clean(capsys, root, "-o", tmp_path / "out", "--workers", 1)
    assert code == 0, err
    (tmp_path / "out" / "b.txt").unlink()  # as if the run had stopped before b
    code, _, err = _clean(capsys, root, "-o", tmp_path / "out", "--workers", 1, "--resume")
    assert code == 0, err
    assert "resuming: 2 of 3 file(s) already done" in err
    assert (tmp_path / "out" / "b.txt").read_text(encoding="utf-8") == get_preset("zh")(RAW)


def test_bundled_sample_is_small_enough_to_be_read_whole():
    sample = Path(__file__).resolve().parents[1] / "examples" / "sample_dump.txt"
    assert sample.stat().st_size < streamed.STREAM_BYTES


@pytest.mark.parametrize("workers", [1, 2])
def test_a_large_jsonl_file_is_cleaned_in_batches_to_the_same_bytes(
    tmp_path, capsys, monkeypatch, workers
):
    import json

    lines = []
    for k in range(300):
        record = {"id": k, "text": RAW[k * 7 : k * 7 + 3000], "n": None}
        lines.append(json.dumps(record, ensure_ascii=False))
        if k % 7 == 0:
            lines.append("")  # blank lines stay, as empty lines
    data = ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")
    src = tmp_path / "big.jsonl"
    src.write_bytes(data)
    code, _, err = _clean(capsys, src, "-o", tmp_path / "whole.jsonl")
    assert code == 0, err
    monkeypatch.setattr(streamed, "STREAM_BYTES", -1)
    monkeypatch.setattr(streamed, "JSONL_BATCH_BYTES", 20_000)
    code, _, err = _clean(capsys, src, "-o", tmp_path / "batched.jsonl", "--workers", workers)
    assert code == 0, err
    assert "big.jsonl: utf-8-sig (cleaned in batches)" in err
    assert (tmp_path / "batched.jsonl").read_bytes() == (tmp_path / "whole.jsonl").read_bytes()


@pytest.mark.parametrize("workers", [1, 2])
def test_a_large_parquet_file_is_cleaned_in_batches_to_the_same_table(
    tmp_path, capsys, monkeypatch, workers
):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    texts: list[str | None] = [RAW[k % 50 : 3000 + k] for k in range(400)]
    texts[37] = texts[301] = None
    table = pa.table(
        {"id": list(range(400)), "text": pa.array(texts).dictionary_encode(), "tag": ["x"] * 400}
    )
    src = tmp_path / "big.parquet"
    pq.write_table(table, src, row_group_size=64)
    args = ("--on-error", "skip", "--workers", workers)
    code, _, err = _clean(capsys, src, "-o", tmp_path / "whole.parquet", *args)
    assert code == 1, err  # two rows rejected
    monkeypatch.setattr(streamed, "STREAM_BYTES", -1)
    monkeypatch.setattr(streamed, "JSONL_BATCH_BYTES", 50_000)
    code, _, err = _clean(capsys, src, "-o", tmp_path / "batched.parquet", *args)
    assert code == 1, err
    assert "big.parquet: parquet (cleaned in batches)" in err
    assert "400 record(s) in: 398 cleaned, 2 rejected" in err
    whole, batched = (pq.read_table(tmp_path / n) for n in ("whole.parquet", "batched.parquet"))
    assert batched.schema == whole.schema
    assert batched.to_pylist() == whole.to_pylist()
    assert pq.ParquetFile(tmp_path / "batched.parquet").num_row_groups > 1
    rejects = (tmp_path / "batched.parquet.rejects").read_bytes()
    assert rejects == (tmp_path / "whole.parquet.rejects").read_bytes()
    assert rejects.count(b"\n") == 2
