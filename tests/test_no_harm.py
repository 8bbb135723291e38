"""Do no harm: every sample of the corpus in tests/data/noharm is correct text, and
every preset meant for its category must give it back byte for byte.

The corpus (132 samples in 12 categories: Markdown, blog posts with code, JSON /
YAML / INI, forms, name lists, verse, Japanese, Korean, English, URLs and paths,
clean simplified and clean traditional prose) is described in its README;
``benchmarks/bench_no_harm.py`` prints the same check as a table with diffs.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

import textwash

ROOT = Path(__file__).resolve().parents[1]


def _load_corpus_reader():
    """The corpus reader of benchmarks/bench_no_harm.py: one parser for the format."""
    spec = importlib.util.spec_from_file_location(
        "bench_no_harm", ROOT / "benchmarks" / "bench_no_harm.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


_bench = _load_corpus_reader()


def _samples() -> list[tuple[str, str, str, str]]:
    """``(category, sample id, preset, text)`` for every sample and preset."""
    return [
        (cat.name, sample_id, preset, text)
        for cat in _bench.load_corpus(_bench.CORPUS)
        for sample_id, text in cat.samples.items()
        for preset in cat.presets
    ]


SAMPLES = _samples()


def test_the_corpus_is_there():
    categories = {c for c, _, _, _ in SAMPLES}
    assert len(categories) >= 12 and len({(c, s) for c, s, _, _ in SAMPLES}) >= 120


@pytest.mark.parametrize(
    ("category", "sample", "preset", "text"),
    SAMPLES,
    ids=[f"{c}/{s}/{p}" for c, s, p, _ in SAMPLES],
)
def test_correct_text_comes_out_unchanged(category, sample, preset, text):
    assert textwash.clean(text, preset) == text


@pytest.mark.parametrize(
    ("category", "sample", "preset", "text"),
    [x for x in SAMPLES if x[2] == "zh"],
    ids=[f"{c}/{s}" for c, s, p, _ in SAMPLES if p == "zh"],
)
def test_protected_regions_survive_even_inside_damaged_prose(category, sample, preset, text):
    # the same sample with seed-style damage around it: ASCII commas in the prose
    damaged = "近年来,随着社 会 、经 济的发展,\n" + text + "\n群众工作面临新的挑战.\n"
    out = textwash.clean(damaged)
    for region in textwash.get_preset("zh").protect(text):
        assert region.text.strip("\r\n") in out
