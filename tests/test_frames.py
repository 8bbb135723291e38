"""textwash.pandas and textwash.polars on real DataFrames and LazyFrames."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pytest

import textwash
import textwash.pandas
import textwash.polars
from textwash import DuplicateReport
from textwash.batch import BATCH_TEXTS, CleanStats
from textwash.dupcolumns import COLUMNS, column_names

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = (ROOT / "examples" / "sample_dump.txt").read_text(encoding="utf-8")
#: The sample dump's paragraphs, one a row: many are repeated, some near, some contained.
PARAGRAPHS = [p for p in SAMPLE.split("\n\n") if p.strip()]
RAW = ["社 会 、实 现", None, "近年来,随着", float("nan"), "裙众", "掌握笫一手资料."]


def expected_columns(report: DuplicateReport, doc_ids: list[str]) -> list[tuple[Any, ...]]:
    """Per row, what the columns must hold, worked out from the report's members:
    (clusters it is in, whether it holds a copy to cut, the ids of the clusters where
    its most similar such member is, that similarity)."""
    out = []
    for doc_id in doc_ids:
        mine = [(c.id, m) for c in report.clusters for m in c.members if m.doc_id == doc_id]
        if not mine:
            out.append((0, None, set(), None))
            continue
        cut = [(cid, m) for cid, m in mine if not m.kept]
        pool = cut or mine
        best = max(m.similarity for _, m in pool)
        ids = {cid for cid, m in pool if m.similarity == best}
        out.append((len({cid for cid, _ in mine}), not cut, ids, best))
    return out


def assert_consistent(rows: list[dict[str, Any]], report: DuplicateReport, doc_ids) -> None:
    for row, (n, kept, ids, similarity) in zip(
        rows, expected_columns(report, doc_ids), strict=True
    ):
        assert row["dup_clusters"] == n
        if n == 0:
            assert (row["dup_cluster"], row["dup_kept"], row["dup_similarity"]) == (None,) * 3
        else:
            assert row["dup_kept"] == kept and row["dup_similarity"] == similarity
            assert row["dup_cluster"] in ids
            # the first cluster in the report's order among the equals
            first = next(c.id for c in report.clusters if c.id in ids)
            assert row["dup_cluster"] == first


# -- pandas -------------------------------------------------------------------


def none_for_missing(values) -> list[Any]:
    return [None if textwash.batch.is_missing(v) else v for v in values]


@pytest.mark.parametrize("dtype", [object, "string", "str"])
def test_pandas_clean_is_clean_per_row_and_keeps_missing_cells(dtype) -> None:
    index = list("abcdef")
    df = pd.DataFrame({"n": range(len(RAW)), "text": pd.Series(RAW, dtype=dtype, index=index)})
    before = df.copy()
    stats = CleanStats()
    out = textwash.pandas.clean(df, "text", stats=stats)
    pd.testing.assert_frame_equal(df, before)  # the input is left alone
    assert list(out.index) == index and list(out.columns) == ["n", "text"]
    assert out["text"].dtype == df["text"].dtype
    expected = [None if v is None or v != v else textwash.clean(v) for v in RAW]
    assert none_for_missing(out["text"]) == expected
    assert out["text"].isna().tolist() == [v is None for v in expected]
    assert (stats.texts, stats.missing) == (6, 2)


def test_pandas_clean_into_another_column_with_a_preset() -> None:
    df = pd.DataFrame({"raw": ["掌握笫一手資料.", pd.NA]}, dtype="string")
    out = textwash.pandas.clean(df, "raw", preset="zh-hant", output="clean")
    assert out["raw"].tolist() == df["raw"].tolist()
    assert out["clean"][0] == textwash.clean("掌握笫一手資料.", "zh-hant")
    assert out["clean"].isna().tolist() == [False, True]


def test_pandas_clean_with_two_workers() -> None:
    texts = [f"{k}、{PARAGRAPHS[k % len(PARAGRAPHS)]}" for k in range(2 * BATCH_TEXTS + 3)]
    texts[7] = None  # type: ignore[call-overload]
    df = pd.DataFrame({"text": pd.Series(texts, dtype=object)})
    out = textwash.pandas.clean(df, "text", workers=2)
    assert out["text"].tolist() == [None if t is None else textwash.clean(t) for t in texts]


def test_pandas_clean_refuses_a_number_naming_the_row() -> None:
    df = pd.DataFrame({"text": ["甲", 3]}, dtype=object)
    with pytest.raises(TypeError, match="text 1: expected a str"):
        textwash.pandas.clean(df, "text")


def test_pandas_find_duplicates_matches_the_report() -> None:
    df = pd.DataFrame({"text": PARAGRAPHS})
    out = textwash.pandas.find_duplicates(df, "text")
    report = textwash.find_duplicates(textwash.pandas.documents(df, "text"))
    assert list(out.columns) == ["text", *COLUMNS]
    assert [str(t) for t in out.dtypes.iloc[1:]] == ["string", "boolean", "Float64", "int64"]
    rows = [{k: (None if v is pd.NA else v) for k, v in r.items()} for r in out.to_dict("records")]
    assert_consistent(rows, report, [str(k) for k in df.index])
    # what the sample holds, read off the report by hand
    by = out.set_index(out.index.astype(str))
    assert by.loc["37", "dup_clusters"] == 10 and not by.loc["37", "dup_kept"]
    assert (by.loc["41", "dup_cluster"], by.loc["41", "dup_kept"]) == ("c0012", False)
    assert (by.loc["35", "dup_cluster"], by.loc["35", "dup_kept"]) == ("c0001", True)
    assert by.loc["4", "dup_similarity"] == pytest.approx(0.908, abs=0.001)
    assert by.loc["0", "dup_clusters"] == 0 and by["dup_kept"].isna()["0"]


def test_pandas_rows_go_by_index_label_and_missing_cells_are_no_document() -> None:
    a = PARAGRAPHS[35]
    df = pd.DataFrame({"text": [a, None, "无关。", a]}, index=["x", "y", "z", "w"])
    out = textwash.pandas.find_duplicates(df, "text", prefix="d_")
    assert list(out.columns) == ["text", *column_names("d_")]
    assert out["d_cluster"].tolist() == ["c0001", pd.NA, pd.NA, "c0001"]
    assert out["d_kept"].tolist() == [True, pd.NA, pd.NA, False]
    assert out["d_clusters"].tolist() == [1, 0, 0, 1]


def test_pandas_two_steps_give_the_report_and_the_columns() -> None:
    df = pd.DataFrame({"text": PARAGRAPHS}, index=np.arange(100, 100 + len(PARAGRAPHS)))
    report = textwash.find_duplicates(textwash.pandas.documents(df, "text"), keep="first")
    out = textwash.pandas.add_duplicate_columns(df, report)
    assert {m.doc_id for c in report for m in c.members} <= {str(k) for k in df.index}
    pd.testing.assert_frame_equal(out, textwash.pandas.find_duplicates(df, "text", keep="first"))


def test_pandas_repeated_labels_and_bad_cells_are_refused() -> None:
    with pytest.raises(ValueError, match="reset_index"):
        textwash.pandas.find_duplicates(pd.DataFrame({"t": ["a", "b"]}, index=[0, 0]), "t")
    with pytest.raises(TypeError, match="row 'q': column 't' holds a int, not a str"):
        textwash.pandas.find_duplicates(pd.DataFrame({"t": ["a", 1]}, index=["p", "q"]), "t")


# -- Polars -------------------------------------------------------------------

PL_RAW = [None if isinstance(v, float) else v for v in RAW]


@pytest.mark.parametrize("lazy", [False, True])
def test_polars_clean_is_clean_per_row_and_keeps_nulls(lazy: bool) -> None:
    df = pl.DataFrame({"n": range(len(PL_RAW)), "text": PL_RAW})
    frame = df.lazy() if lazy else df
    stats = CleanStats()
    out = textwash.polars.clean(frame, "text", stats=stats, output="clean")
    assert isinstance(out, pl.LazyFrame if lazy else pl.DataFrame)
    if lazy:
        assert stats.texts == 0  # nothing is cleaned before the frame is collected
        out = out.collect()
    assert out.columns == ["n", "text", "clean"] and out.schema["clean"] == pl.String
    assert out["text"].to_list() == PL_RAW
    assert out["clean"].to_list() == [None if v is None else textwash.clean(v) for v in PL_RAW]
    assert (stats.texts, stats.missing) == (6, 2)


def test_polars_clean_in_place_with_two_workers() -> None:
    texts = [f"{k}、{PARAGRAPHS[k % len(PARAGRAPHS)]}" for k in range(2 * BATCH_TEXTS + 3)]
    df = pl.DataFrame({"text": texts}).with_columns(
        pl.when(pl.int_range(pl.len()) == 5).then(None).otherwise(pl.col("text")).alias("text")
    )
    out = textwash.polars.clean(df, "text", workers=2)
    assert out["text"].to_list() == [
        None if k == 5 else textwash.clean(t) for k, t in enumerate(texts)
    ]


@pytest.mark.parametrize("lazy", [False, True])
def test_polars_find_duplicates_matches_the_report(lazy: bool) -> None:
    df = pl.DataFrame({"text": PARAGRAPHS})
    out = textwash.polars.find_duplicates(df.lazy() if lazy else df, "text")
    assert isinstance(out, pl.LazyFrame if lazy else pl.DataFrame)
    out = out.collect() if isinstance(out, pl.LazyFrame) else out
    report = textwash.find_duplicates(textwash.polars.documents(df, "text"))
    assert out.columns == ["text", *COLUMNS]
    assert out.dtypes[1:] == [pl.String, pl.Boolean, pl.Float64, pl.Int64]
    assert_consistent(out.to_dicts(), report, [str(k) for k in range(df.height)])
    pd_out = textwash.pandas.find_duplicates(pd.DataFrame({"text": PARAGRAPHS}), "text")
    assert out["dup_cluster"].to_list() == none_for_missing(pd_out["dup_cluster"])


def test_polars_null_rows_are_no_document_and_a_number_is_refused() -> None:
    a = PARAGRAPHS[35]
    out = textwash.polars.find_duplicates(pl.DataFrame({"t": [None, a, a]}), "t")
    assert out["dup_kept"].to_list() == [None, True, False]
    with pytest.raises(TypeError, match="row 1: column 't' holds a int, not a str"):
        list(textwash.polars.documents(pl.DataFrame({"t": [None, 1]}, strict=False), "t"))


# -- without the library --------------------------------------------------------


def test_a_missing_library_says_which_extra_to_install() -> None:
    # one process, each library hidden in turn (a None in sys.modules: as if not installed)
    code = """
import importlib, sys
for module, library in [("textwash.pandas", "pandas"), ("textwash.polars", "polars"),
                        ("textwash.hf", "datasets")]:
    sys.modules[library] = None
    try:
        importlib.import_module(module)
    except ImportError as exc:
        print(exc)
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.splitlines() == [
        "textwash.pandas needs pandas: pip install 'textwash[pandas]'",
        "textwash.polars needs Polars: pip install 'textwash[polars]'",
        "textwash.hf needs datasets: pip install 'textwash[hf]'",
    ]
