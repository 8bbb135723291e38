"""textwash: clean scraped Chinese document dumps and flag repeated passages.

Cleaning: :func:`clean`, :func:`clean_many`, :class:`Pipeline` and the normalizers.  Repeated
passages: :func:`find_duplicates`, :func:`deduplicate`, :func:`split_collection`.

>>> import textwash
>>> textwash.clean("近年来,随着社 会 、经 济的发展,裙众的需求...")
'近年来，随着社会、经济的发展，群众的需求……'
"""

from __future__ import annotations

from functools import lru_cache

from .batch import clean_many
from .dedup import (
    Cluster,
    DedupResult,
    DuplicateReport,
    Member,
    Removal,
    deduplicate,
    find_duplicates,
)
from .edits import Edit, OffsetMap, apply_edits, diff_edits, sub_edits
from .errors import CleaningError
from .normalizers import (
    Boilerplate,
    ChineseConvert,
    Confusables,
    Flag,
    FunctionStep,
    LineRepair,
    Normalizer,
    OcrSpacing,
    Punctuation,
    RepeatedLines,
    UnicodeRepair,
    Whitespace,
    Width,
)
from .pipeline import ConfigError, Pipeline, RunResult, StepEdit, StepFlag
from .presets import PRESET_NAMES, get_preset
from .segment import Document, Unit, split_collection, split_sentences, units

__version__ = "0.1.0"

__all__ = [
    "PRESET_NAMES",
    "Boilerplate",
    "ChineseConvert",
    "CleaningError",
    "Cluster",
    "ConfigError",
    "Confusables",
    "DedupResult",
    "Document",
    "DuplicateReport",
    "Edit",
    "Flag",
    "FunctionStep",
    "LineRepair",
    "Member",
    "Normalizer",
    "OcrSpacing",
    "OffsetMap",
    "Pipeline",
    "Punctuation",
    "Removal",
    "RepeatedLines",
    "RunResult",
    "StepEdit",
    "StepFlag",
    "UnicodeRepair",
    "Unit",
    "Whitespace",
    "Width",
    "__version__",
    "apply_edits",
    "clean",
    "clean_many",
    "deduplicate",
    "diff_edits",
    "find_duplicates",
    "get_preset",
    "split_collection",
    "split_sentences",
    "sub_edits",
    "units",
]


@lru_cache(maxsize=8)
def _cached_preset(name: str) -> Pipeline:
    return get_preset(name)


def clean(text: str, preset: str = "zh") -> str:
    """Clean ``text`` with a preset pipeline (``"zh"``, ``"zh-hant"``, ``"minimal"``).

    >>> clean("浅谈新时期的公安群众工作\\n\\n浅谈新时期的公安群众工作\\n\\n掌握笫一手资料.")
    '浅谈新时期的公安群众工作\\n\\n掌握第一手资料。'
    >>> clean(None)
    Traceback (most recent call last):
    ...
    TypeError: clean() takes a str, got NoneType
    """
    if not isinstance(text, str):
        raise TypeError(f"clean() takes a str, got {type(text).__name__}")
    return _cached_preset(preset)(text)
