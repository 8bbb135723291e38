"""Ready-made pipelines.

* ``"zh"``: the scraped-Chinese-dump cleaner, converting to simplified;
* ``"zh-hant"``: the same, converting to traditional;
* ``"minimal"``: Unicode repair and whitespace only.

The steps of each are listed in :mod:`textwash.preset_steps`.

>>> get_preset("minimal")
Pipeline([
    UnicodeRepair(),
    Whitespace(),
])
"""

from __future__ import annotations

from .pipeline import Pipeline
from .preset_steps import PRESET_NAMES, preset_steps

__all__ = ["PRESET_NAMES", "get_preset"]


def get_preset(name: str) -> Pipeline:
    """A fresh pipeline for preset ``name`` (``"zh"``, ``"zh-hant"``, ``"minimal"``).

    >>> len(get_preset("zh")), get_preset("zh")[-2]
    (12, RepeatedLines(fold=False))
    """
    return Pipeline(preset_steps(name))
