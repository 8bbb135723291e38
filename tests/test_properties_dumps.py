"""Property tests on dump-like text (tests/strategies.py), where the failures hide.

The properties of tests/test_properties.py and tests/test_windows.py, drawn
from text built out of the fragments real dumps are made of (Han runs,
full-width symbols, Unicode spaces, mojibake, headings, boilerplate, code ...)
instead of characters drawn one at a time; and the edit layer's composition
and merging on random well-formed edit lists.

Counterexamples found by these tests, their long profile and the atheris
harness fuzz/fuzz_dumps.py are kept as ``@example`` cases (each fix is in the
commit that added its example, or the one before).  The two slow properties
(windows, find_duplicates) run a fifth of the profile's examples, except in
the ``long`` profile (see conftest.py).
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st

import textwash
from textwash import Edit, Pipeline, apply_edits
from textwash.edits import compose_edits, is_canonical, merge_edits
from textwash.normalizers import NORMALIZERS, LineRepair, RepeatedLines
from textwash.windows import Windowed

from .conftest import slow_property
from .strategies import dump_docs, dump_text, short_line

NORMALIZER_CLASSES = sorted(NORMALIZERS.items())


@pytest.mark.parametrize(("name", "cls"), NORMALIZER_CLASSES)
@given(text=dump_text)
@example(text="％\u3000货比三家多花点心思了。")  # issue 15: one gap matched by two patterns
@example(text="㐀㐀\n㐀㐀㐀㐀\r\n")  # RepeatedLines cut "TT\r" to an exact repeat "T\r"
def test_normalizer_on_dumps(name, cls, text):
    n = cls()
    edits = n.edits(text)
    assert is_canonical(edits), f"{name}: edits overlap or are unsorted: {edits}"
    assert all(0 <= e.start <= e.end <= len(text) for e in edits)
    once = apply_edits(text, edits)
    assert n(text) == once, f"{name}: __call__ and edits disagree"
    assert cls()(text) == once and cls().edits(text) == edits, f"{name} is not deterministic"
    assert n(once) == once, f"{name} is not idempotent"


@pytest.mark.parametrize("preset", textwash.PRESET_NAMES)
@given(text=dump_text)
# GbkMojibake judged "{}\u2028涓変竴…" as one line until Whitespace split it
@example(text="{}\u2028涓変竴涓哄ぇ\n")
@example(text="第一章己經\n")  # Confusables missed 己經 until t2s had made it 己经
@example(text="第十条 㐀\n")  # after s2t, OcrSpacing no longer saw 第十條 as a heading
@example(text='{"㐀": "\u2028"}\n')  # inline JSON protected across a U+2028, not after it
@example(text="㐀㐀㐀㐀㐀㐀㐀㐀㐀㐀㐀㐀， 㐀㐀㐀㐀㐀㐀㐀\n\u2000㐀\n")  # U+2000 left unnormalized
@example(text="〔之\n\u200c")  # a joiner alone on a line, joined next to Han by LineRepair
@example(text="\ufffdâ€¨”â")  # ftfy's repair made a line break; the new line reads otherwise
@example(text="点" * 60 + "\n二.")  # Punctuation made the heading "二." into "二。"
@example(text="〔\u2028二.…")  # ... or into "二……"
@example(text="鍦傚仛鐧嗘彁涓夎妭")  # after t2s (鐧 -> 锏) GbkMojibake took a junk repair
@example(text="鈥嬭\ufffd鐜扮幇鐜扮幇")  # GbkMojibake's repair held a zero-width space
# 208 characters, 113 once spaceless
@example(text="下载文档前请自行甄别文档内容的完整性" + " 社" * 95)
@example(text="＠\u2002第一章\u2000胜")  # the blank before a heading went, then the one after
@example(text="％\u2003【\u202f第一章\u2006』")  # ... or the one after went first
@example(text="閫ｃ▽\ufffd瀹夋満鍏筹\ufffd\ufffd绔狅綐")  # Width made ｃ c, then it was repaired
@example(text="(" + "社" * 117 + " 社" * 3 + ")")  # 123 characters in (), 120 once spaceless
@example(text="Â'㐀'")  # Punctuation made "Â‘", which ftfy decodes
@example(text="锛＄幇涓嬧\ufffd鍗佹潯Ｂ")  # mojibake once Width had narrowed the Ｂ
# Whitespace's fold of blank lines reached into a protected block and was dropped
@example(text="（\u2007\u2007（\n\u2007\u2007\u2028\u2028９\t〈")
@example(text="Ａ  計\u2029\u2029\u2029\u2029\u2029")  # ... and into the block above a run
@example(text="观）\n观）\u2008\u2008观）\u2008\u2008娌")  # an echo cut took a field gap
# ... or a label: one "篇一：" left, OcrSpacing no longer kept the field gap
@example(text="篇一：观处！（三）华\n篇一：观处！\u2005\u3000（三）华篇一：观处！（三）华一")
@example(text='"或7１\u3000２@e.n"')  # an e-mail address protected once Width narrowed it
@example(text="０www.docin.comuser@example.cn㐀㐀㐀㐀 ％㐀㐀")  # a URL, then an e-mail address
# an address at a line's start, joined to the Han above: no longer an address
@example(text="十条" + "第十条" * 19 + "〉第十条\nr@e.２")  # (a heading would not be joined)
@example(text="㐀㐀㐀㐀㐀鞏\n㐀㐀㐀㐀㐀鞏㐀，㐀㐀㑇，㐀。\n")  # the echo held the line's only 鞏
@example(text="㐀㐀㐀㐀㐀觀\n㐀㐀㐀㐀㐀觀㐀，㐀㐀㐀㑇於。\n")  # 於 is no traditional evidence
@example(text="鈥斾竴鈥斾竴涓変竴0\u30000")  # mojibake once OcrSpacing had deleted the U+3000
def test_preset_on_dumps(preset, text):
    once = textwash.clean(text, preset)
    assert textwash.clean(once, preset) == once


@pytest.mark.parametrize("preset", textwash.PRESET_NAMES)
@given(text=dump_text)
def test_run_on_dumps_maps_into_the_raw_text(preset, text):
    result = textwash.get_preset(preset).run(text)
    assert result.text == textwash.clean(text, preset)
    assert is_canonical(result.edits)
    assert apply_edits(text, result.edits) == result.text
    n = len(result.text)
    for start in range(0, n + 1, max(1, n // 7)):
        end = min(n, start + 5)
        s, e = result.to_source(start, end)
        assert 0 <= s <= e <= len(text)


# As in tests/test_windows.py, LineRepair aside: the other steps of zh decide a
# line from the line itself and a few lines around it.  Windows give what
# cleaning whole gives when those lines fit in the context: here lines are
# short (SHORT_LINE), never two in a row are blank or removed by the steps
# before RepeatedLines, paragraphs have at most three lines (protection takes
# a Japanese paragraph whole: docs/known-defects.md), and the context holds
# several lines.  (test_windows.py's
# context of 16 with lines of up to 40 characters lets a repeated title
# straddle a seam.)  Where no seam candidate is clean in both windows, Windowed
# counts a conflict and the CLI says the output may differ there: the property
# is the same text, or a reported seam.  The texts end with a line no step
# removes, so that no blank line's fate hangs on every line after it.
LOCAL_ZH = Pipeline([s for s in textwash.get_preset("zh") if not isinstance(s, LineRepair)])
# the steps before RepeatedLines: a line they leave blank is not "the line before"
_BEFORE_REPEATS = Pipeline(
    list(itertools.takewhile(lambda s: not isinstance(s, RepeatedLines), LOCAL_ZH))
)
LAST_LINE = "全文完。\n"  # no line the strategies make is this one


@st.composite
def windowed_texts(draw: st.DrawFn) -> str:
    """Lines drawn from a small pool (so titles repeat), never two gone in a row,
    a blank line after every three."""
    pool = draw(st.lists(short_line, min_size=2, max_size=10))
    gone = [not _BEFORE_REPEATS(line + "\n").strip() for line in pool]
    order = draw(
        st.lists(st.tuples(st.integers(0, len(pool) - 1), st.booleans()), min_size=30, max_size=150)
    )
    out: list[str] = []
    last_gone = False
    run = 0  # lines since the last blank one
    for i, crlf in order:
        if not (gone[i] and last_gone):
            out.append(pool[i] + ("\r\n" if crlf else "\n"))
            last_gone = gone[i]
            run = 0 if gone[i] else run + 1
            if run == 3:  # a paragraph of kana lines is protected whole
                out.append("\n")
                last_gone, run = True, 0
    return "".join(out) + LAST_LINE


@slow_property()
@given(windowed_texts(), st.integers(384, 1200), st.integers(1, 700))
# Before eab345e (RepeatedLines removes only a title's echo), the 50 copies were
# removed and every seam candidate of the first join fell inside them: a
# reported conflict, with one blank line more than cleaning whole.
@example(text="社 社 社 社 社 \n" * 51 + "\n社 社 社 社 社 \n\n" + LAST_LINE, window=384, piece=1)
def test_dump_in_any_pieces_comes_out_as_cleaned_whole(text, window, piece):
    w = Windowed(LOCAL_ZH, window=window, context=96)
    pieces = [text[i : i + piece] for i in range(0, len(text), piece)]
    out = "".join(w.clean(pieces))
    if w.conflicts or w.disagreements:
        event("a seam was reported")
    else:
        assert out == LOCAL_ZH(text)


@slow_property()
@given(dump_docs())
def test_find_duplicates_on_dumps_spans_slice_the_raw_input(docs):
    report = textwash.find_duplicates(docs)
    for cluster in report.clusters:
        assert len(cluster.members) >= 2
        for m in cluster.members:
            raw = docs[int(m.doc_id)]
            assert 0 <= m.start <= m.end <= len(raw)
            assert m.text == raw[m.start : m.end]
            assert m.line == raw.count("\n", 0, m.start) + 1


# -- the edit layer -------------------------------------------------------------

replacement = st.text(st.sampled_from(list("ab社会，\u3000 \n")), max_size=3)


@st.composite
def edit_lists(draw: st.DrawFn, text: str) -> list[Edit]:
    """A random well-formed edit list for ``text``: sorted, non-overlapping,
    insertions (several at one place too), deletions and replacements."""
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=8)))
    edits = []
    for start, end in zip(cuts[::2], cuts[1::2], strict=False):
        edits.append(Edit(start, end, draw(replacement)))
    return edits


@given(st.data(), st.text(st.sampled_from(list("abc社会，\u3000 \n")), max_size=20))
def test_compose_edits_equals_applying_both(data, text):
    first = data.draw(edit_lists(text), label="first")
    mid = apply_edits(text, first)
    second = data.draw(edit_lists(mid), label="second")
    composed = compose_edits(text, first, second)
    assert is_canonical(composed)
    assert apply_edits(text, composed) == apply_edits(mid, second)


@given(
    st.text(st.sampled_from(list("abc社会")), max_size=20),
    st.lists(st.tuples(st.integers(0, 20), st.integers(0, 6)), max_size=8),
)
def test_merge_edits_deletes_the_union(text, spans):
    deletions = [Edit(min(s, len(text)), min(s + n, len(text)), "") for s, n in spans]
    merged = merge_edits(deletions)
    assert is_canonical(merged)
    gone = {i for e in deletions for i in range(e.start, e.end)}
    assert apply_edits(text, merged) == "".join(c for i, c in enumerate(text) if i not in gone)
