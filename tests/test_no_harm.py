"""Do no harm: every sample of the corpus in tests/data/noharm is correct text, and
every preset meant for its category must give it back byte for byte.

The corpus (132 samples in 12 categories: Markdown, blog posts with code, JSON /
YAML / INI, forms, name lists, verse, Japanese, Korean, English, URLs and paths,
clean simplified and clean traditional prose) is described in its README;
``benchmarks/bench_no_harm.py`` prints the same check as a table with diffs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import textwash

NOHARM = Path(__file__).resolve().parent / "data" / "noharm"
_HEADER = re.compile(r"^===== ([a-z0-9][a-z0-9_.-]*)$")


def _samples() -> list[tuple[str, str, str, str]]:
    """``(category, sample id, preset, text)`` for every sample and preset."""
    out = []
    for path in sorted(NOHARM.glob("*.txt")):
        presets = ["zh", "minimal"]
        current: str | None = None
        lines: list[str] = []
        samples: list[tuple[str, str]] = []
        for line in [*path.read_text(encoding="utf-8").split("\n"), "===== end-of-file"]:
            m = _HEADER.match(line)
            if m:
                if current is not None:
                    samples.append((current, "\n".join(lines).strip("\n") + "\n"))
                current, lines = m.group(1), []
            elif current is None:
                if line.startswith("# presets:"):
                    presets = line.split(":", 1)[1].split()
            else:
                lines.append(line)
        for sample_id, text in samples:
            out.extend((path.stem, sample_id, preset, text) for preset in presets)
    return out


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
