"""The labelled duplicate set (benchmarks/labelled/make_set.py) and the quality benchmark."""

from __future__ import annotations

import json
import random
import re
import sys
import time
from itertools import combinations, pairwise
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks" / "labelled"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_dedup_quality as bench  # noqa: E402
import make_set  # noqa: E402

SEEDS = (0, 1, 2, 3, 4)


@pytest.fixture(scope="module")
def sets() -> dict[int, make_set.LabelledSet]:
    return {s: make_set.build(s) for s in SEEDS}


def _grams(text: str, n: int = 5) -> set[str]:
    t = re.sub(r"\W", "", text)
    return {t[i : i + n] for i in range(len(t) - n + 1)}


# -- the written paragraphs --------------------------------------------------------------


def test_written_paragraphs_fit_the_brief() -> None:
    origs = make_set.read_paragraphs(make_set.ORIGINALS)
    dists = make_set.read_paragraphs(make_set.DISTRACTORS)
    assert 40 <= len(origs) <= 60
    assert 20 <= len(dists) <= 30
    for text in origs + dists:
        assert 80 <= len(text) <= 300, text
        assert not re.search(r"[,:;()\"!?]", text), f"ASCII punctuation in {text[:20]}"
        assert re.search(r"[，。]", text)
    assert len(set(origs + dists)) == len(origs) + len(dists)


def test_distractors_share_phrases_but_are_not_copies(
    sets: dict[int, make_set.LabelledSet],
) -> None:
    """Hard negatives: same subjects and stock phrases, yet far below any duplicate threshold.

    Every written paragraph (originals and distractors of every kind, templates
    filled) stays under 0.3 Jaccard with every other, except the variants of
    one template, which differ only in their numbers.
    """
    for seed in (0, 1):
        written = [p for p in sets[seed].paragraphs.values() if p.role != "copy"]
        grams = {p.pid: _grams(p.text) for p in written}
        sims = []
        for a, b in combinations(written, 2):
            if a.family is not None and a.family == b.family:
                continue
            ga, gb = grams[a.pid], grams[b.pid]
            sims.append(len(ga & gb) / len(ga | gb))
        assert max(sims) < 0.3
        assert sum(s > 0.05 for s in sims) >= 10  # some pairs do reuse phrases


def test_new_written_paragraphs() -> None:
    """Stock phrases, number templates, tables, headings and added sentences fit the brief."""
    stock = make_set.read_paragraphs(make_set.STOCK_PHRASES)
    assert len(stock) >= 12
    for phrase in ("为人民服务", "以人民为中心", "习近平新时代中国特色社会主义思想", "全心全意"):
        assert sum(phrase in t for t in stock) >= 3, phrase
    numbers = make_set.read_paragraphs(make_set.NUMBERS)
    assert len(numbers) >= 10
    assert any("{a}" in t for t in numbers) and any("{A}" in t for t in numbers)
    assert any("{Y}" in t for t in numbers) and any("%" in t for t in numbers)
    assert len(make_set.read_blocks(make_set.TABLES)) >= 4
    for block in make_set.read_blocks(make_set.HEADINGS):
        heading, body = block[0], block[-1]  # a heading's first line is repeated in the body
        assert len(heading) >= 15 and heading in body and not body.startswith(heading)
        assert not heading.endswith("。")
    added = make_set.read_paragraphs(make_set.ADDED)
    written = make_set.read_paragraphs(make_set.ORIGINALS) + make_set.read_paragraphs(
        make_set.DISTRACTORS
    )
    assert len(added) == len(set(added)) >= 30
    for sentence in added:
        assert sentence.endswith("。") and len(make_set.sentences(sentence)) == 1
        assert not any(sentence in t for t in written)
    for text in stock + added + [b for _, b in make_set.Written.read().headings]:
        assert not re.search(r"[,:;()\"!?]", text)


@pytest.mark.parametrize("seed", SEEDS)
def test_number_variants_differ_only_in_numbers(
    sets: dict[int, make_set.LabelledSet], seed: int
) -> None:
    families: dict[str, list[make_set.Paragraph]] = {}
    for p in sets[seed].paragraphs.values():
        if p.kind in ("numbers", "table_cells"):
            families.setdefault(p.family or "", []).append(p)
    assert len(families) >= 14
    for members in families.values():
        assert 2 <= len(members) <= 3
        masked = {make_set.mask_numbers(p.text) for p in members}
        assert len(masked) == 1  # the same words ...
        assert len({p.text for p in members}) == len(members)  # ... other values
        assert "{" not in members[0].text


def test_chinese_numerals() -> None:
    assert [make_set.chinese_numeral(n) for n in (1, 7, 10, 14, 20, 45, 100, 105, 110)] == [
        "一", "七", "十", "十四", "二十", "四十五", "一百", "一百零五", "一百一十"
    ]  # fmt: skip
    with pytest.raises(ValueError):
        make_set.chinese_numeral(0)


# -- the generator -------------------------------------------------------------------


def test_same_seed_same_set(sets: dict[int, make_set.LabelledSet]) -> None:
    again = make_set.build(0)
    assert again.docs == sets[0].docs
    assert again.truth == sets[0].truth
    assert again.paragraphs == sets[0].paragraphs
    assert sets[1].docs != sets[0].docs


@pytest.mark.parametrize("seed", SEEDS)
def test_spans_slice_their_paragraph(sets: dict[int, make_set.LabelledSet], seed: int) -> None:
    ls = sets[seed]
    for p in ls.paragraphs.values():
        assert ls.docs[p.doc][p.start : p.end] == p.text
        assert ls.locate(p.doc, p.start, p.end) == p.pid
        assert "\n\n" not in p.text
    # the documents are exactly the paragraphs joined by blank lines
    for d, doc in enumerate(ls.docs):
        spans = sorted((p.start, p.end) for p in ls.paragraphs.values() if p.doc == d)
        assert bench.split_paragraphs(doc) == spans
    assert len(ls.docs) == 8


@pytest.mark.parametrize("seed", SEEDS)
def test_truth_pairs(sets: dict[int, make_set.LabelledSet], seed: int) -> None:
    ls = sets[seed]
    groups: dict[str, list[str]] = {}
    for p in ls.paragraphs.values():
        if p.role == "distractor":
            assert p.group is None and not p.edits
            assert p.kind in make_set.DISTRACTOR_KINDS
        elif p.role == "original":
            assert p.group == p.pid and not p.edits
        else:
            assert p.role == "copy" and p.group in ls.paragraphs
            assert 1 <= len(p.edits) <= 4
            assert len(p.edits) <= 2 or "ocr_substitutions" in p.edits
            assert len(make_set.SENTENCE_EDITS & set(p.edits)) <= 1
            assert (p.group, p.pid) in ls.truth  # every copy is paired with its original
            assert p.text != ls.paragraphs[p.group].text
        if p.group is not None:
            groups.setdefault(p.group, []).append(p.pid)
    expected = {(min(a, b), max(a, b)) for ids in groups.values() for a, b in combinations(ids, 2)}
    assert ls.truth == expected  # copies pair with each other too, and nothing else pairs
    assert all(1 <= len(ids) <= 4 for ids in groups.values())
    assert any(len(ids) == 1 for ids in groups.values())  # some originals have no copy


@pytest.mark.parametrize("seed", SEEDS)
def test_every_edit_kind_occurs(sets: dict[int, make_set.LabelledSet], seed: int) -> None:
    counts = sets[seed].edit_counts()
    assert set(counts) == set(make_set.EDIT_KINDS)
    assert all(n >= 1 for n in counts.values()), counts
    assert counts["ocr_substitutions"] >= 15
    kinds = sets[seed].distractor_counts()
    assert set(kinds) == set(make_set.DISTRACTOR_KINDS)
    assert all(n >= 8 for n in kinds.values()), kinds


@pytest.mark.parametrize("kind", make_set.EDIT_KINDS)
def test_each_edit_changes_the_text(kind: str) -> None:
    origs = make_set.read_paragraphs(make_set.ORIGINALS)
    donors = [s for t in origs[1:] for s in make_set.sentences(t) if 15 <= len(s) <= 60]
    ctx = make_set.EditContext(donors, make_set.read_paragraphs(make_set.ADDED))
    rng = random.Random(7)
    applied = 0
    for text in origs:
        if not make_set.applicable(kind, text):
            continue
        edited = make_set.EDITS[kind](text, rng, ctx)
        assert edited != text
        applied += 1
    assert applied >= len(origs) // 2


def test_edits_do_what_they_say() -> None:
    rng = random.Random(0)
    ctx = make_set.EditContext(["插入的句子在这里。"])
    text = "社会的发展，离不开“大家”的努力（共同）。第二句在这里。第三句是结尾。"
    assert make_set.ascii_punct(text, rng, ctx) == (
        '社会的发展,离不开"大家"的努力(共同)。第二句在这里。第三句是结尾。'
    )
    assert make_set.traditional(text, rng, ctx).startswith("社會的發展")
    wrapped = make_set.line_wraps(text, rng, ctx)
    assert wrapped.replace("\n", "") == text and "\n" in wrapped and "\n\n" not in wrapped
    assert all(20 <= len(line) <= 40 for line in wrapped.split("\n")[:-1])
    spaced = make_set.ocr_spaces(text, rng, ctx)
    assert spaced.replace(" ", "") == text and re.search(r"\w \w", spaced)
    dropped = make_set.drop_function_words(text, rng, ctx)
    assert len(dropped) < len(text) and set(text) - set(dropped) <= make_set.FUNCTION_WORDS
    assert len(make_set.sentences(make_set.delete_sentence(text, rng, ctx))) == 2
    assert "插入的句子在这里。" in make_set.insert_sentence(text, rng, ctx)
    assert "".join(make_set.sentences(text)) == text
    own = make_set.EditContext(own_sentences=["这是一句自己的话。"])
    assert "这是一句自己的话。" in make_set.added_sentence(text, rng, own)
    assert own.added == ["这是一句自己的话。"]


def test_ocr_substitutions_are_realistic() -> None:
    """3–5 wrong characters per 100, each from the confusion table, never a numeral."""
    origs = make_set.read_paragraphs(make_set.ORIGINALS)
    rng = random.Random(3)
    ctx = make_set.EditContext()
    assert not (set(make_set.OCR_CONFUSIONS) | set("".join(make_set.OCR_CONFUSIONS.values()))) & (
        make_set.NUMERALS
    )
    for text in origs:
        damaged = make_set.ocr_substitutions(text, rng, ctx)
        assert len(damaged) == len(text)
        wrong = [(a, b) for a, b in zip(text, damaged, strict=True) if a != b]
        assert all(b in make_set.OCR_CONFUSIONS[a] for a, b in wrong)
        assert 2.5 <= 100 * len(wrong) / len(text) <= 5.5, (len(wrong), len(text))
        assert make_set.numbers_of(damaged) == make_set.numbers_of(text)


def test_wrapped_after_period_splits_at_a_sentence_end() -> None:
    origs = make_set.read_paragraphs(make_set.ORIGINALS)
    rng = random.Random(5)
    ctx = make_set.EditContext()
    for text in origs:
        if not make_set.applicable("wrapped_after_period", text):
            continue
        wrapped = make_set.wrapped_after_period(text, rng, ctx)
        assert wrapped.replace("\n", "", 1) == text and wrapped.count("\n") == 1
        head, _ = wrapped.split("\n")
        assert re.search(r"[。！？][”’」』）]*$", head)
        share = len(head) / len(text)
        assert make_set.WRAP_SPLIT_SHARE <= share <= 1 - make_set.WRAP_SPLIT_SHARE


def test_cli_writes_the_set(tmp_path: Path) -> None:
    assert make_set.main(["--seed", "3", "--docs", "6", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "set.json").read_text(encoding="utf-8"))
    ls = make_set.build(3, n_docs=6)
    assert data["docs"] == ls.docs
    assert {tuple(t) for t in data["truth"]} == set(ls.truth)
    assert len(list(tmp_path.glob("doc_*.txt"))) == 6
    para = json.loads((tmp_path / "paragraphs.json").read_text(encoding="utf-8"))
    assert len(para) == len(ls.paragraphs)
    assert para[0].keys() >= {"pid", "role", "group", "edits", "doc", "start", "end", "text"}


# -- the benchmark --------------------------------------------------------------------


def test_baseline_finds_punctuation_only_copies(sets: dict[int, make_set.LabelledSet]) -> None:
    """Clause tokens survive ASCII punctuation, so the baseline's MinHashes are identical."""
    ls = sets[0]
    clusters, _ = bench.baseline_clusters(ls)
    pairs = bench.pairs_of(clusters, ls)
    assert all(a in ls.paragraphs for a, _ in pairs)
    for pair in ls.truth:
        if ls.pair_edits(pair) == {"ascii_punct"}:
            assert pair in pairs
    s = bench.score(ls, clusters)
    assert s.found + s.fn == len(ls.truth)
    assert 0 < s.recall < 0.5  # OCR spaces, wraps and traditional copies defeat it


def _whole(ls: make_set.LabelledSet, pid: str) -> tuple[int, int, int]:
    p = ls.paragraphs[pid]
    return (p.doc, p.start, p.end)


def test_score_counts() -> None:
    ls = make_set.build(0)
    perfect = bench.score(ls, [[_whole(ls, a), _whole(ls, b)] for a, b in ls.truth])
    assert (perfect.precision, perfect.recall, perfect.f1) == (1.0, 1.0, 1.0)
    ids = sorted(ls.paragraphs)
    wrong = set(pairwise(ids)) - ls.truth - ls.related
    s = bench.score(ls, [[_whole(ls, a), _whole(ls, b)] for a, b in wrong])
    assert s.tp == 0 and s.fp == len(wrong) and s.fn == len(ls.truth)
    assert sum(s.false_by_kind.values()) >= len(wrong)
    assert s.precision_of("numbers") < 1.0 or not s.false_by_kind["numbers"]


def test_score_halves_and_passages() -> None:
    """A split copy counts when both halves are linked; a sentence inside stands for nothing."""
    ls = make_set.build(0)
    copy = next(p for p in ls.paragraphs.values() if "wrapped_after_period" in p.edits)
    orig = ls.paragraphs[copy.group or ""]
    cut = copy.start + copy.text.index("\n")
    half = [(orig.doc, orig.start, orig.end), (copy.doc, copy.start, cut)]
    other = [(orig.doc, orig.start, orig.end), (copy.doc, cut + 1, copy.end)]
    pair = (min(orig.pid, copy.pid), max(orig.pid, copy.pid))
    assert pair not in bench.links_and_found(ls, [half]).found
    assert pair in bench.links_and_found(ls, [half, other]).found
    # a distractor linked whole to another paragraph: a false copy link
    d = next(p for p in ls.paragraphs.values() if p.kind == "stock_phrase")
    s = bench.score(ls, [[(d.doc, d.start, d.end), (orig.doc, orig.start, orig.end)]])
    assert s.fp == 1 and s.false_by_kind["stock_phrase"] == 1 and s.precision_of("topic") == 1.0
    # a passage of it found in another paragraph: reported, not a copy link
    passage = [(d.doc, d.start, d.start + 12), (orig.doc, orig.start, orig.end)]
    s = bench.score(ls, [passage])
    assert s.fp == 0 and s.passages == 1 and s.passages_by_kind["stock_phrase"] == 1


def test_textwash_recall_beats_the_baseline(sets: dict[int, make_set.LabelledSet]) -> None:
    if bench.get_find_duplicates() is None:
        pytest.skip("textwash.find_duplicates is not importable yet")
    t = time.perf_counter()
    for seed in (0, 1):
        ls = sets[seed]
        tw = bench.score(ls, bench.textwash_clusters(ls)[0])
        for ngram in (1, 3):
            base = bench.score(ls, bench.baseline_clusters(ls, ngram=ngram)[0])
            assert tw.recall > base.recall, (seed, ngram, tw.recall, base.recall)
        assert tw.precision >= 0.9
    assert time.perf_counter() - t < 20
