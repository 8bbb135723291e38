"""The steps of the built-in presets, as plain lists of normalizers.

:mod:`textwash.presets` wraps them in a :class:`~textwash.Pipeline`; a pipeline
config that says ``preset = "zh"`` is built from them too.  Kept apart from
``presets`` so that :mod:`textwash.pipeline` can read such a config without
importing the module that imports it.

>>> [type(s).__name__ for s in preset_steps("minimal")]
['UnicodeRepair', 'Whitespace']
"""

from __future__ import annotations

from collections.abc import Callable

from .normalizers import (
    Boilerplate,
    ChineseConvert,
    Confusables,
    GbkMojibake,
    LineRepair,
    Normalizer,
    OcrSpacing,
    Punctuation,
    RepeatedLines,
    UnicodeRepair,
    Whitespace,
    Width,
)

__all__ = ["PRESET_NAMES", "preset_steps"]


def _zh(convert: str) -> list[Normalizer]:
    return [
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


_PRESETS: dict[str, Callable[[], list[Normalizer]]] = {
    "zh": lambda: _zh("t2s"),
    "zh-hant": lambda: _zh("s2t"),
    "minimal": lambda: [UnicodeRepair(), Whitespace()],
}

#: The preset names: ``"zh"``, ``"zh-hant"``, ``"minimal"``.
PRESET_NAMES = tuple(_PRESETS)


def preset_steps(name: str) -> list[Normalizer]:
    """Fresh steps of preset ``name``; a ``ValueError`` naming the choices if unknown.

    >>> preset_steps("zh-hans")
    Traceback (most recent call last):
    ...
    ValueError: unknown preset 'zh-hans'; choose one of zh, zh-hant, minimal
    """
    try:
        return _PRESETS[name]()
    except KeyError:
        raise ValueError(
            f"unknown preset {name!r}; choose one of {', '.join(PRESET_NAMES)}"
        ) from None
