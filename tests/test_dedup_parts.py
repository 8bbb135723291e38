"""Long documents are compared in parts (textwash.dedup.parts) and reported whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from textwash.dedup import deduplicate, find_duplicates
from textwash.dedup.parts import cut_points

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sample_dump.txt"


def _members(report) -> list[tuple]:
    return sorted(
        (
            c.kind,
            tuple(
                (
                    m.doc_id,
                    m.unit,
                    m.start,
                    m.end,
                    m.line,
                    m.end_line,
                    m.text,
                    m.measure,
                    m.similarity,
                    m.section,
                    m.title,
                    m.kept,
                )
                for m in c.members
            ),
        )
        for c in report.clusters
    )


@pytest.mark.parametrize("size", [20_000, 60_000])
def test_a_report_in_parts_is_the_report_of_the_whole(seed_text, size):
    docs = [("a", seed_text * 3), ("b", seed_text)]
    whole = find_duplicates(docs)
    parted = find_duplicates(docs, part_chars=size)
    assert len(cut_points(seed_text * 3, size)) > 1
    assert _members(parted) == _members(whole)
    assert parted.stats["documents"] == 2


def test_parts_of_the_bundled_sample_locate_copies_in_the_whole_file():
    text = SAMPLE.read_text(encoding="utf-8") * 4
    whole = find_duplicates([("s", text)])
    parted = find_duplicates([("s", text)], part_chars=len(text) // 3)
    assert _members(parted) == _members(whole)
    for cluster in parted.clusters:
        for m in cluster.members:
            assert m.doc_id == "s"
            assert text[m.start : m.end] == m.text
            assert text.count("\n", 0, m.start) + 1 == m.line


def test_parts_with_text_loaded_again_for_the_report():
    text = SAMPLE.read_text(encoding="utf-8") * 4
    fetched = []

    def load(doc):
        fetched.append(doc.doc_id)
        return text

    parted = find_duplicates([("s", text)], part_chars=len(text) // 3, load_text=load)
    assert _members(parted) == _members(find_duplicates([("s", text)]))
    assert set(fetched) == {"s"}  # the callback sees the whole document's id


def test_deduplicate_cuts_the_whole_document():
    text = SAMPLE.read_text(encoding="utf-8") * 3
    whole = deduplicate([("s", text)])
    parted = deduplicate([("s", text)], part_chars=len(text) // 4)
    assert parted.documents[0].text == whole.documents[0].text
    assert len(parted.documents[0].text) < len(text)
    # the removals, located in the whole document, account for every cut
    kept = text
    for r in sorted(parted.removed, key=lambda r: -r.start):
        assert r.doc_id == "s"
        kept = kept[: r.start] + kept[r.end :]
    assert kept == parted.documents[0].text


@given(st.text(st.sampled_from("甲乙。\n "), max_size=400), st.integers(4, 60))
@example(text="。。\n。。。\n\n", size=4)  # a blank line at the very end made an empty part
def test_cut_points_cover_the_text_in_parts_of_bounded_size(text, size):
    ends = cut_points(text, size)
    starts = [0, *ends[:-1]]
    assert ends[-1] == len(text)
    assert all(0 < e - s <= size + 2 for s, e in zip(starts, ends, strict=True)) or text == ""


def test_cut_points_prefer_paragraph_breaks():
    text = ("段" * 30 + "。\n\n") * 10
    ends = cut_points(text, 100)
    assert all(text[e - 2 : e] == "\n\n" for e in ends[:-1])
