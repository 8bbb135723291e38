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


def test_distractors_share_phrases_but_are_not_copies() -> None:
    """Hard negatives: same subjects and stock phrases, yet far below any duplicate threshold."""
    paras = make_set.read_paragraphs(make_set.ORIGINALS) + make_set.read_paragraphs(
        make_set.DISTRACTORS
    )
    grams = [_grams(p) for p in paras]
    sims = [len(a & b) / len(a | b) for a, b in combinations(grams, 2)]
    assert max(sims) < 0.3
    assert sum(s > 0.05 for s in sims) >= 10  # some pairs do reuse phrases


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
        elif p.role == "original":
            assert p.group == p.pid and not p.edits
        else:
            assert p.role == "copy" and p.group in ls.paragraphs
            assert 1 <= len(p.edits) <= 2
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


@pytest.mark.parametrize("kind", make_set.EDIT_KINDS)
def test_each_edit_changes_the_text(kind: str) -> None:
    origs = make_set.read_paragraphs(make_set.ORIGINALS)
    donors = [s for t in origs[1:] for s in make_set.sentences(t) if 15 <= len(s) <= 60]
    ctx = make_set.EditContext(donors)
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
    pairs, _ = bench.baseline_pairs(ls)
    assert pairs <= ls.truth | pairs and all(a in ls.paragraphs for a, _ in pairs)
    for pair in ls.truth:
        if ls.pair_edits(pair) == {"ascii_punct"}:
            assert pair in pairs
    s = bench.score(ls, pairs)
    assert s.tp + s.fn == len(ls.truth)
    assert 0 < s.recall < 0.5  # OCR spaces, wraps and traditional copies defeat it


def test_score_counts() -> None:
    ls = make_set.build(0)
    perfect = bench.score(ls, set(ls.truth))
    assert (perfect.precision, perfect.recall, perfect.f1) == (1.0, 1.0, 1.0)
    ids = sorted(ls.paragraphs)
    wrong = set(pairwise(ids)) - ls.truth
    s = bench.score(ls, wrong)
    assert s.tp == 0 and s.fp == len(wrong) and s.fn == len(ls.truth)


def test_textwash_recall_beats_the_baseline(sets: dict[int, make_set.LabelledSet]) -> None:
    if bench.get_find_duplicates() is None:
        pytest.skip("textwash.find_duplicates is not importable yet")
    t = time.perf_counter()
    for seed in (0, 1):
        ls = sets[seed]
        tw = bench.score(ls, bench.textwash_pairs(ls)[0])
        for ngram in (1, 3):
            base = bench.score(ls, bench.baseline_pairs(ls, ngram=ngram)[0])
            assert tw.recall > base.recall, (seed, ngram, tw.recall, base.recall)
        assert tw.precision >= 0.9
    assert time.perf_counter() - t < 20
