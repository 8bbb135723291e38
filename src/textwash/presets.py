"""Ready-made pipelines.

* ``"zh"``: the scraped-Chinese-dump cleaner, converting to simplified;
* ``"zh-hant"``: the same, converting to traditional;
* ``"minimal"``: Unicode repair and whitespace only.

>>> get_preset("minimal")
Pipeline([
    UnicodeRepair(),
    Whitespace(),
])
"""

from __future__ import annotations

from collections.abc import Callable

from .normalizers import (
    Boilerplate,
    ChineseConvert,
    Confusables,
    GbkMojibake,
    LineRepair,
    OcrSpacing,
    Punctuation,
    RepeatedLines,
    UnicodeRepair,
    Whitespace,
    Width,
)
from .pipeline import Pipeline

__all__ = ["PRESET_NAMES", "get_preset"]


def _zh(convert: str) -> Pipeline:
    return Pipeline(
        [
            UnicodeRepair(),
            GbkMojibake(),
            Whitespace(),
            Width(),
            Boilerplate(),
            LineRepair(),
            Punctuation(),
            OcrSpacing(),
            Confusables(),
            ChineseConvert(convert),
            # after t2s every line is simplified: no need to fold them again
            RepeatedLines(fold=convert != "t2s"),
            Whitespace(),
        ]
    )


_PRESETS: dict[str, Callable[[], Pipeline]] = {
    "zh": lambda: _zh("t2s"),
    "zh-hant": lambda: _zh("s2t"),
    "minimal": lambda: Pipeline([UnicodeRepair(), Whitespace()]),
}

#: The names :func:`get_preset` accepts.
PRESET_NAMES = tuple(_PRESETS)


def get_preset(name: str) -> Pipeline:
    """A fresh pipeline for preset ``name`` (``"zh"``, ``"zh-hant"``, ``"minimal"``)."""
    try:
        return _PRESETS[name]()
    except KeyError:
        raise ValueError(
            f"unknown preset {name!r}; choose one of {', '.join(PRESET_NAMES)}"
        ) from None
