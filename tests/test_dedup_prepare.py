"""The prepare stage: a batch of documents hashed together gives what each gives alone."""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from textwash.dedup.keys import token_array, token_id, tokenize
from textwash.dedup.prepare import prepare, prepare_batch
from textwash.errors import CleaningError
from textwash.parallel import Failure, Workers
from textwash.pipeline import Pipeline
from textwash.segment import Document
from textwash.segment.collection import segmentation_pipeline

from .strategies import dump_text

ROOT = Path(__file__).resolve().parents[1]
SEEDS = Path(os.environ.get("TEXTWASH_SEEDS", ROOT.parent / "shared" / "seeds"))
SAMPLE = ROOT / "examples" / "sample_dump.txt"

PARAGRAPH = (
    "近年来,随着社会经济的快速发展，人民群众对公共安全的要求越来越高。"
    "公安机关的群众工作是党的群众工作的重要方面，也是公安工作的光荣传统。"
)


def _documents() -> list[Document]:
    r = random.Random(5)
    sample = SAMPLE.read_text(encoding="utf-8")
    paragraphs = [p for p in sample.split("\n\n") if p.strip()]
    docs = [Document("sample", sample)]
    for k in range(40):  # short documents, some with numbers, English, spaces, nothing
        pick = r.sample(paragraphs, r.randint(1, 3))
        text = "\n\n".join(pick)
        if k % 5 == 0:
            text += f"\n\n2023年第{k}期，共{k * 7}人参加。Windows 10 版本 1.{k}"
        if k % 7 == 0:
            text = "社 会 、实 现" + text
        docs.append(Document(f"d{k}", text))
    docs += [Document("empty", ""), Document("blank", "\n\n  \n"), Document("one", "甲")]
    docs.append(Document("para", PARAGRAPH * 3))
    return docs


def _same(a: tuple, b: tuple) -> None:
    offsets_a, offsets_b = a[0], b[0]
    n = len(a[1])
    for pos in {0, n // 3, n // 2, n}:
        assert offsets_a.to_source(pos, pos) == offsets_b.to_source(pos, pos)
    for x, y in zip(a[1:], b[1:], strict=True):
        if isinstance(x, tuple):
            for xx, yy in zip(x, y, strict=True):
                assert np.array_equal(xx, yy)
        elif isinstance(x, np.ndarray):
            assert np.array_equal(x, y)
        else:
            assert x == y


@pytest.mark.parametrize(
    ("unit", "window", "ngram", "drop"),
    [
        ("paragraph", 1, 5, True),
        ("paragraph", 1, 3, False),
        ("sentence", 2, 5, True),
        ("document", 1, 5, True),
    ],
)
def test_a_batch_gives_what_each_document_gives_alone(unit, window, ngram, drop):
    jobs = [(d, unit, window, ngram, drop) for d in _documents()]
    with Workers(segmentation_pipeline(), 1) as pool:
        (together,) = pool.map(prepare_batch, [jobs])
        alone = [prepare(job) for job in jobs]
    assert len(together) == len(jobs)
    units = 0
    for t, a in zip(together, alone, strict=True):
        assert not isinstance(t, Failure)
        _same(t, a)
        units += len(t[2])
    assert units > 40  # the comparison covered real units (48 essays with unit="document")


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed dumps not found at {SEEDS}")
def test_the_seed_dumps_batched_as_alone():
    docs = [Document(p.name, p.read_text(encoding="utf-8")) for p in sorted(SEEDS.glob("*.txt"))]
    jobs = [(d, "paragraph", 1, 5, True) for d in docs[:6]]
    with Workers(segmentation_pipeline(), 1) as pool:
        (together,) = pool.map(prepare_batch, [jobs])
        for t, job in zip(together, jobs, strict=True):
            assert not isinstance(t, Failure)
            _same(t, prepare(job))


def _fails_on_boom(text: str) -> str:
    if "BOOM" in text:
        raise RuntimeError("boom")
    return text


def test_a_failing_document_fails_alone_in_its_batch():
    docs = _documents()[:5]
    docs.insert(2, Document("bad", "甲乙丙BOOM丁"))
    pipeline = Pipeline([*segmentation_pipeline(), _fails_on_boom])
    jobs = [(d, "paragraph", 1, 5, True) for d in docs]
    with Workers(pipeline, 1) as pool:
        (out,) = pool.map(prepare_batch, [jobs])
        assert isinstance(out[2], Failure)
        assert isinstance(out[2].error, CleaningError)
        for k in (0, 1, 3, 4, 5):
            _same(out[k], prepare(jobs[k]))  # type: ignore[arg-type]


@settings(max_examples=300, deadline=None)
@given(
    text=st.one_of(
        dump_text,
        st.text(alphabet=st.sampled_from("中文𠀀𪚥後來ab Z1２3,.．\u00a0 ５万\n"), max_size=60),
        st.text(max_size=40),
    )
)
def test_token_array_is_tokenize_as_arrays_on_any_text(text):
    arr = token_array(text)
    ref = tokenize(text)
    assert arr.ids.tolist() == [token_id(t) for t, _, _ in ref]
    assert arr.start.tolist() == [s for _, s, _ in ref]
    assert arr.end.tolist() == [e for _, _, e in ref]
