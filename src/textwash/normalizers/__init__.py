"""The normalizers: small, configurable, composable text repairs.

Each is a frozen dataclass with its options in the constructor; call it on a
string, or put it in a :class:`textwash.Pipeline`.
"""

from __future__ import annotations

from .base import Flag, FunctionStep, Normalizer, Step
from .boilerplate import Boilerplate, RepeatedLines
from .chinese import ChineseConvert
from .confusables import Confusables
from .lines import LineRepair
from .mojibake import GbkMojibake
from .ocr_spacing import OcrSpacing
from .punctuation import Punctuation
from .unicode import UnicodeRepair
from .whitespace import Whitespace
from .width import Width

__all__ = [
    "NORMALIZERS",
    "Boilerplate",
    "ChineseConvert",
    "Confusables",
    "Flag",
    "FunctionStep",
    "GbkMojibake",
    "LineRepair",
    "Normalizer",
    "OcrSpacing",
    "Punctuation",
    "RepeatedLines",
    "Step",
    "UnicodeRepair",
    "Whitespace",
    "Width",
]

#: Built-in normalizers by the name a pipeline config uses.
NORMALIZERS: dict[str, type[Normalizer]] = {
    cls.__name__: cls
    for cls in (
        UnicodeRepair,
        GbkMojibake,
        Whitespace,
        Width,
        Boilerplate,
        LineRepair,
        Punctuation,
        OcrSpacing,
        Confusables,
        ChineseConvert,
        RepeatedLines,
    )
}
