"""find_duplicates' inputs: dicts, pyarrow string arrays; DuplicateReport.from_json of a path."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

import textwash
from textwash import DuplicateReport
from textwash.dedup import iter_documents

A = "公安机关的群众工作是党的群众工作的重要方面，也是公安工作的光荣传统。"
B = "做好新时期的公安群众工作，必须坚持群众路线，把群众满意作为工作标准。"
DOCS = [A, "前言。\n\n" + A.replace("，", ","), B, "无关的一段话。\n\n" + B]


def members(report: DuplicateReport) -> list[list[tuple[str, int, int]]]:
    return [[(m.doc_id, m.start, m.end) for m in c.members] for c in report.clusters]


def test_dicts_give_the_report_of_pairs() -> None:
    pairs = [(f"d{k}", t) for k, t in enumerate(DOCS)]
    rows = [{"id": d, "text": t, "other": 1} for d, t in pairs]
    expected = members(textwash.find_duplicates(pairs))
    assert len(expected) == 2
    assert members(textwash.find_duplicates(rows)) == expected


def test_dicts_without_an_id_are_numbered_and_other_keys_go_through_iter_documents() -> None:
    rows = [{"text": t} for t in DOCS]
    assert members(textwash.find_duplicates(rows)) == members(textwash.find_duplicates(DOCS))
    named = [{"key": f"d{k}", "body": t} for k, t in enumerate(DOCS)]
    report = textwash.find_duplicates(iter_documents(named, id_key="key", text_key="body"))
    assert [m.doc_id for m in report.clusters[0].members] == ["d0", "d1"]


@pytest.mark.parametrize(
    ("row", "error", "message"),
    [
        ({"id": "x", "body": A}, ValueError, r"document 2: no 'text' key \(keys: 'id', 'body'\)"),
        ({"id": "x", "text": None}, ValueError, r"document 2: missing text \('text' is None\)"),
        ({"id": "x", "text": 5}, TypeError, r"document 2: 'text' is a int, not a str"),
        ({"id": "d0", "text": A}, ValueError, r"document 2: duplicate doc_id 'd0'"),
        (None, ValueError, r"document 2: missing text"),
        (3.5, TypeError, r"document 2: expected a string, .* got float"),
    ],
)
def test_a_bad_record_names_its_position_and_cause(row, error, message) -> None:
    rows = [{"id": "d0", "text": A}, {"id": "d1", "text": B}, row]
    with pytest.raises(error, match=message):
        textwash.find_duplicates(rows)


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string(), pa.string_view()])
def test_pyarrow_arrays_give_the_report_of_strings(kind: pa.DataType) -> None:
    expected = members(textwash.find_duplicates(DOCS))
    arr = pa.array(DOCS, type=kind)
    chunked = pa.chunked_array([arr.slice(0, 1), arr.slice(1, 3)])
    assert members(textwash.find_duplicates(arr)) == expected
    assert members(textwash.find_duplicates(chunked)) == expected


def test_a_null_in_a_pyarrow_array_is_refused_with_its_position() -> None:
    arr = pa.chunked_array([pa.array([A, B]), pa.array([None, A])])
    with pytest.raises(ValueError, match=r"document 2: missing text \(a null\)"):
        textwash.find_duplicates(arr)
    with pytest.raises(TypeError, match="pyarrow array of strings, got one of type int64"):
        textwash.find_duplicates(pa.array([1, 2]))


def test_a_big_pyarrow_array_is_read_a_slice_at_a_time() -> None:
    from textwash import arrow

    arr = pa.array([f"{k}" for k in range(3 * arrow.SLICE + 5)])
    assert [d.text for d in iter_documents(arr)] == [f"{k}" for k in range(3 * arrow.SLICE + 5)]
    assert [d.doc_id for d in iter_documents(arr)][-1] == str(3 * arrow.SLICE + 4)


def test_from_json_reads_a_path_a_str_path_json_text_and_data(tmp_path: Path) -> None:
    report = textwash.find_duplicates(DOCS)
    path = tmp_path / "dup.json"
    assert report.to_json(path) == ""
    for source in (path, str(path), path.read_text(encoding="utf-8"), report.to_dict()):
        again = DuplicateReport.from_json(source)
        assert again.clusters == report.clusters and again.params == report.params
    text = "\n  " + report.to_json(indent=None)  # JSON text, whitespace first: not a path
    assert DuplicateReport.from_json(text).clusters == report.clusters
    with pytest.raises(FileNotFoundError):
        DuplicateReport.from_json(str(tmp_path / "missing.json"))
