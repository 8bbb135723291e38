"""The edit algebra: composition, diffing and the offset map."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from textwash.edits import (
    Edit,
    OffsetMap,
    apply_edits,
    chain_edits,
    compose_edits,
    diff_edits,
    line_diff_edits,
)

small_text = st.text(alphabet="ab社会 ，\n", max_size=30)


@st.composite
def text_and_edits(draw, text_strategy=small_text):
    text = draw(text_strategy)
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=8)))
    edits = []
    for a, b in zip(cuts[::2], cuts[1::2], strict=False):
        new = draw(st.text(alphabet="xy，", max_size=3))
        if edits and a < edits[-1].end:
            continue
        edits.append(Edit(a, b, new))
    return text, edits


@given(text_and_edits(), st.data())
def test_compose_equals_applying_in_turn(te, data):
    text, first = te
    mid = apply_edits(text, first)
    _, second = data.draw(text_and_edits(st.just(mid)))
    composed = compose_edits(text, first, second)
    assert apply_edits(text, composed) == apply_edits(mid, second)
    for a, b in itertools.pairwise(composed):
        assert a.end <= b.start
    for e in composed:
        assert text[e.start : e.end] != e.new


@given(small_text, small_text)
def test_diff_edits_rebuilds_the_new_text(old, new):
    assert apply_edits(old, diff_edits(old, new)) == new


def test_diff_edits_handles_long_texts_by_lines():
    old = "\n".join(f"第{i}行，社 会" for i in range(800))
    new = old.replace("社 会", "社会")
    edits = diff_edits(old, new)
    assert apply_edits(old, edits) == new
    assert all(e.end - e.start == 1 and e.new == "" for e in edits)
    assert len(edits) == 800


def test_line_diff_edits_keeps_newlines():
    assert apply_edits("a\nb\n", line_diff_edits("a\nb\n", str.upper)) == "A\nB\n"


@given(text_and_edits())
def test_offset_map_is_exact_outside_edits(te):
    text, edits = te
    out = apply_edits(text, edits)
    m = OffsetMap(text, edits)
    # every output character that no edit produced maps to the same raw character
    produced = set()
    shift = 0
    for e in edits:
        ds = e.start + shift
        produced.update(range(ds, ds + len(e.new)))
        shift += len(e.new) - (e.end - e.start)
    for p, ch in enumerate(out):
        if p not in produced:
            s, t = m.to_source(p, p + 1)
            assert text[s:t] == ch
    # every span maps inside the raw text, in order
    for a in range(len(out) + 1):
        s, t = m.to_source(a, len(out))
        assert 0 <= s <= t <= len(text)


def test_offset_map_spans_cover_replacements():
    raw = "近年来,随着 社 会"
    edits = [Edit(3, 4, "，"), Edit(6, 7, ""), Edit(8, 9, "")]
    m = OffsetMap(raw, edits)
    clean = apply_edits(raw, edits)
    assert clean == "近年来，随着社会"
    assert m.to_source(3, 4) == (3, 4)  # the comma maps to the ASCII comma it replaced
    start, end = m.to_source(clean.index("社会"), len(clean))
    assert raw[start:end] == "社 会"


def test_chain_edits_reports_against_the_original():
    def drop_spaces(t):
        return [Edit(i, i + 1, "") for i, c in enumerate(t) if c == " "]

    def widen(t):
        return [Edit(i, i + 1, "，") for i, c in enumerate(t) if c == ","]

    edits = chain_edits("a , b", drop_spaces, widen)
    assert apply_edits("a , b", edits) == "a，b"
    assert edits == [Edit(1, 2, ""), Edit(2, 3, "，"), Edit(3, 4, "")]
