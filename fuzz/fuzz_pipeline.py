"""Fuzz the cleaning pipeline and find_duplicates with arbitrary text.

Run with ``make fuzz`` (installs atheris) or::

    .venv/bin/python fuzz/fuzz_pipeline.py -max_total_time=60

The properties: no preset raises, each is idempotent and its offset map stays
inside the raw text; cleaning in small windows with the steps that decide
from a bounded neighbourhood gives what cleaning whole gives; find_duplicates
never raises and every span it reports slices the raw input to the text it
claims.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["textwash"]):
    import textwash
    from textwash.windows import Windowed

PRESETS = textwash.PRESET_NAMES
# LineRepair can decide from arbitrarily far back (docs/cli.md#large-files)
LOCAL = {
    name: textwash.Pipeline(
        [s for s in textwash.get_preset(name) if not isinstance(s, textwash.LineRepair)]
    )
    for name in PRESETS
}


def check(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    preset = PRESETS[fdp.ConsumeIntInRange(0, len(PRESETS) - 1)]
    text = fdp.ConsumeUnicodeNoSurrogates(fdp.remaining_bytes())
    once = textwash.clean(text, preset)
    assert textwash.clean(once, preset) == once, (preset, text)
    run = textwash.get_preset(preset).run(text)
    assert run.text == once
    start, end = run.to_source(0, len(once))
    assert 0 <= start <= end <= len(text)
    local = LOCAL[preset]
    pieces = [text[i : i + 37] for i in range(0, len(text), 37)]
    windowed = "".join(Windowed(local, window=64, context=16).clean(pieces))
    assert windowed == local(text), (preset, text)
    docs = text.split("\x1e") if "\x1e" in text else [text, text[::-1]]
    report = textwash.find_duplicates(docs)
    for cluster in report.clusters:
        for m in cluster.members:
            assert m.text == docs[int(m.doc_id)][m.start : m.end]


def main() -> None:
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
