"""textwash.clean_many: order, missing values, workers, errors, pyarrow input."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import textwash
from textwash import CleaningError, Pipeline
from textwash.batch import BATCH_TEXTS, CleanStats, clean_many, is_missing
from textwash.parallel import Workers

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = (ROOT / "examples" / "sample_dump.txt").read_text(encoding="utf-8")
PARAGRAPHS = [p for p in SAMPLE.split("\n\n") if p.strip()]


def texts(n: int) -> list[str]:
    """``n`` different dump-like texts: paragraphs of the sample, numbered."""
    return [f"{k}、{PARAGRAPHS[k % len(PARAGRAPHS)]}" for k in range(n)]


def tag_pid(text: str) -> str:
    """A step that says which process cleaned the text."""
    return f"{text}|{os.getpid()}"


def fail_on_bad(text: str) -> str:
    if "坏" in text:
        raise ValueError("a bad text")
    return text


@pytest.mark.parametrize("preset", textwash.PRESET_NAMES)
def test_each_text_as_clean_gives_it(preset: str) -> None:
    raw = [*PARAGRAPHS, SAMPLE, "", "近年来,随着社 会 、经 济的发展"]
    assert clean_many(raw, preset) == [textwash.clean(t, preset) for t in raw]


def test_two_workers_give_what_one_gives_in_order() -> None:
    raw = texts(3 * BATCH_TEXTS + 7)  # four batches: the pool is used
    stats = CleanStats()
    out = clean_many(raw, workers=2, stats=stats)
    assert out == [textwash.clean(t) for t in raw]
    assert out == clean_many(raw, workers=1)
    assert stats.texts == len(raw) and stats.missing == 0


def test_a_generator_is_read_lazily_and_fully() -> None:
    raw = texts(2 * BATCH_TEXTS + 1)
    pulled = []

    def gen():
        for t in raw:
            pulled.append(t)
            yield t

    assert clean_many(gen(), "minimal", workers=2) == [textwash.clean(t, "minimal") for t in raw]
    assert pulled == raw


def test_missing_values_pass_through_as_none_and_are_counted() -> None:
    values = [
        "社 会 、实 现",
        None,
        float("nan"),
        np.nan,
        np.float32("nan"),
        pd.NA,
        pd.NaT,
        "",
        "nan",
        "裙众",
    ]
    stats = CleanStats()
    out = clean_many(values, stats=stats)
    assert out == ["社会、实现", None, None, None, None, None, None, "", "nan", "群众"]
    assert stats == CleanStats(texts=10, missing=6, changed=2, chars_in=13, chars_out=10)


def test_stats_add_up_over_calls() -> None:
    stats = CleanStats()
    clean_many(["a ", None], "minimal", stats=stats)
    clean_many([None, "b"], "minimal", stats=stats)
    assert stats == CleanStats(texts=4, missing=2, changed=1, chars_in=3, chars_out=2)


def test_is_missing() -> None:
    assert [is_missing(v) for v in (None, math.nan, np.float64("nan"), pd.NA, pd.NaT)] == [True] * 5
    assert [is_missing(v) for v in ("", "nan", 0, 0.0, np.float32(1.5), b"")] == [False] * 6


@pytest.mark.parametrize("workers", [1, 2])
def test_a_value_of_another_type_names_its_position(workers: int) -> None:
    raw: list[object] = [*texts(BATCH_TEXTS + 3), 7]
    with pytest.raises(TypeError, match=rf"^text {BATCH_TEXTS + 3}: expected a str .* got int$"):
        clean_many(raw, workers=workers)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_step_names_the_text(workers: int) -> None:
    raw = texts(2 * BATCH_TEXTS)
    raw[BATCH_TEXTS + 5] = "一段坏的文字"
    with pytest.raises(CleaningError) as info:
        clean_many(raw, Pipeline([fail_on_bad]), workers=workers)
    assert info.value.step.endswith("fail_on_bad")
    assert f"text {BATCH_TEXTS + 5}: ValueError: a bad text" in str(info.value)


def test_one_batch_stays_in_this_process_many_go_to_the_workers() -> None:
    here = str(os.getpid())
    small = clean_many(["甲", "乙"], Pipeline([tag_pid]), workers=2)
    assert [t.rsplit("|", 1)[1] for t in small] == [here, here]
    big = clean_many(texts(2 * BATCH_TEXTS), Pipeline([tag_pid]), workers=2)
    pids = {t.rsplit("|", 1)[1] for t in big}
    assert here not in pids and 1 <= len(pids) <= 2


def test_a_pipeline_or_a_preset_name() -> None:
    p = Pipeline([str.upper])
    assert clean_many(["abc", None], p) == ["ABC", None]
    with pytest.raises(ValueError, match="unknown preset 'nope'"):
        clean_many(["a"], "nope")
    with pytest.raises(ValueError, match="workers must be at least 1"):
        clean_many(texts(2 * BATCH_TEXTS), workers=0)


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string(), pa.string_view()])
def test_pyarrow_arrays(kind: pa.DataType) -> None:
    raw = ["社 会 、实 现", None, "裙众"]
    arr = pa.array(raw, type=kind)
    chunked = pa.chunked_array([arr, pa.array(["掌握笫一手资料."], type=kind)])
    stats = CleanStats()
    assert clean_many(arr) == ["社会、实现", None, "群众"]
    assert clean_many(chunked, stats=stats) == ["社会、实现", None, "群众", "掌握第一手资料。"]
    assert (stats.texts, stats.missing) == (4, 1)


def test_a_pyarrow_array_of_numbers_is_refused() -> None:
    with pytest.raises(TypeError, match="pyarrow array of strings, got one of type int64"):
        clean_many(pa.array([1, 2]))


def test_workers_clean_is_clean_many_without_missing_values() -> None:
    raw = texts(40)
    with Workers(textwash.get_preset("zh"), workers=2) as pool:
        assert pool.clean(raw) == clean_many(raw)


def test_import_textwash_imports_no_frame_library() -> None:
    code = (
        "import sys, textwash, textwash.batch\n"
        "print(sorted(m for m in ('pandas', 'polars', 'datasets', 'pyarrow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
