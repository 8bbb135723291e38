"""textwash.hf on real Hugging Face datasets: a batched map in two processes, duplicate columns."""

from __future__ import annotations

import os
import pickle

import datasets
import pandas as pd
import pytest

import textwash
import textwash.hf
import textwash.pandas
from tests.test_frames import PARAGRAPHS, assert_consistent
from textwash import Pipeline
from textwash.dupcolumns import COLUMNS


def tag_pid(text: str) -> str:
    """A step that says which process cleaned the text."""
    return f"{text}|{os.getpid()}"


@pytest.fixture(autouse=True)
def quiet_datasets():
    datasets.disable_progress_bars()
    yield
    datasets.enable_progress_bars()


def rows(n: int) -> list[str | None]:
    """``n`` dump-like texts, every seventh missing."""
    return [None if k % 7 == 3 else f"{k}、{PARAGRAPHS[k % len(PARAGRAPHS)]}" for k in range(n)]


def test_map_in_two_processes_is_clean_per_row_in_order() -> None:
    texts = rows(240)
    ds = datasets.Dataset.from_dict({"id": list(range(len(texts))), "text": texts})
    out = ds.map(textwash.hf.clean_batch("text"), batched=True, batch_size=50, num_proc=2)
    assert out.column_names == ["id", "text"] and len(out) == len(texts)
    assert list(out["id"]) == list(range(len(texts)))
    assert list(out["text"]) == [None if t is None else textwash.clean(t) for t in texts]
    tagged = ds.map(
        textwash.hf.clean_batch("text", preset=Pipeline([tag_pid])),
        batched=True,
        batch_size=50,
        num_proc=2,
    )
    pids = {t.rsplit("|", 1)[1] for t in tagged["text"] if t is not None}
    assert len(pids) == 2 and str(os.getpid()) not in pids


def test_map_into_another_column_with_a_preset() -> None:
    ds = datasets.Dataset.from_dict({"raw": ["掌握笫一手資料.", None, "社 会 、实 现"]})
    out = ds.map(textwash.hf.clean_batch("raw", preset="zh-hant", output="clean"), batched=True)
    assert list(out["raw"]) == list(ds["raw"])
    assert list(out["clean"]) == [
        textwash.clean("掌握笫一手資料.", "zh-hant"),
        None,
        textwash.clean("社 会 、实 现", "zh-hant"),
    ]


def test_the_map_function_pickles_and_names_itself() -> None:
    fn = textwash.hf.clean_batch("t", preset="minimal")
    again = pickle.loads(pickle.dumps(fn))
    assert repr(again) == "CleanBatch('t', preset='minimal', output='t')"
    assert again({"t": ["a  ", None]}) == {"t": ["a", None]}


def test_find_duplicates_adds_columns_that_match_the_report() -> None:
    ds = datasets.Dataset.from_dict({"text": PARAGRAPHS})
    out = textwash.hf.find_duplicates(ds, "text")
    report = textwash.find_duplicates(textwash.hf.documents(ds, "text"))
    assert out.column_names == ["text", *COLUMNS]
    assert [out.features[c].dtype for c in COLUMNS] == ["string", "bool", "float64", "int64"]
    assert_consistent(list(out), report, [str(k) for k in range(len(ds))])
    assert list(out["dup_cluster"]) == [
        None if v is pd.NA else v
        for v in textwash.pandas.find_duplicates(ds.to_pandas(), "text")["dup_cluster"]
    ]


def test_find_duplicates_on_a_selection_counts_its_own_rows() -> None:
    a = PARAGRAPHS[35]
    ds = datasets.Dataset.from_dict({"text": ["x", a, None, "无关。", a]}).select([4, 3, 2, 1])
    out = textwash.hf.find_duplicates(ds, "text", prefix="d_")
    assert list(out["text"]) == [a, "无关。", None, a]
    assert list(out["d_kept"]) == [True, None, None, False]
    assert list(out["d_clusters"]) == [1, 0, 0, 1]


def test_a_value_that_is_not_a_str_is_refused_naming_the_row() -> None:
    ds = datasets.Dataset.from_dict({"t": [{"a": 1}, {"a": 2}]})
    with pytest.raises(TypeError, match="row 0: column 't' holds a dict, not a str"):
        textwash.hf.find_duplicates(ds, "t")
