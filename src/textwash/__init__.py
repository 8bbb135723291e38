"""textwash: clean scraped Chinese document dumps and flag repeated passages.

Cleaning: :func:`clean`, :func:`clean_many`, :class:`Pipeline` and the normalizers.  Repeated
passages: :func:`find_duplicates`, :func:`deduplicate`, :func:`split_collection`.

>>> import textwash
>>> textwash.clean("近年来,随着社 会 、经 济的发展,裙众的需求...")
'近年来，随着社会、经济的发展，群众的需求……'
"""

from __future__ import annotations

from functools import lru_cache

from . import dedup as _dedup
from . import edits as _edits
from . import normalizers as _normalizers
from . import pipeline as _pipeline
from . import segment as _segment
from .batch import clean_many
from .dedup import (
    DuplicateReport,
    deduplicate,
    find_duplicates,
)
from .edits import (
    sub_edits,
)
from .errors import CleaningError
from .normalizers import (
    Boilerplate,
    ChineseConvert,
    Confusables,
    LineRepair,
    Normalizer,
    OcrSpacing,
    Punctuation,
    RepeatedLines,
    UnicodeRepair,
    Whitespace,
    Width,
)
from .pipeline import (
    ConfigError,
    Pipeline,
)
from .presets import PRESET_NAMES, get_preset
from .segment import (
    Document,
    split_collection,
)

# Out of __all__ (see below) but importable from here as before, and from their modules.
Cluster, DedupResult, Member, Removal = (
    _dedup.Cluster,
    _dedup.DedupResult,
    _dedup.Member,
    _dedup.Removal,
)
Edit, OffsetMap, apply_edits, diff_edits = (
    _edits.Edit,
    _edits.OffsetMap,
    _edits.apply_edits,
    _edits.diff_edits,
)
Flag, FunctionStep = _normalizers.Flag, _normalizers.FunctionStep
RunResult, StepEdit, StepFlag = _pipeline.RunResult, _pipeline.StepEdit, _pipeline.StepFlag
Unit, split_sentences, units = _segment.Unit, _segment.split_sentences, _segment.units

__version__ = "0.1.0"

# What users need: cleaning, pipelines and the normalizers (with sub_edits to write
# one), finding and removing duplicates, the exceptions.  The edit algebra (Edit,
# OffsetMap, apply_edits, diff_edits) and the result types (RunResult, StepEdit,
# StepFlag, Flag, FunctionStep, Cluster, Member, Removal, DedupResult, Unit) are still
# importable here and from their modules: textwash.edits, textwash.pipeline,
# textwash.normalizers, textwash.dedup, textwash.segment.
__all__ = [
    "PRESET_NAMES",
    "Boilerplate",
    "ChineseConvert",
    "CleaningError",
    "ConfigError",
    "Confusables",
    "Document",
    "DuplicateReport",
    "LineRepair",
    "Normalizer",
    "OcrSpacing",
    "Pipeline",
    "Punctuation",
    "RepeatedLines",
    "UnicodeRepair",
    "Whitespace",
    "Width",
    "__version__",
    "clean",
    "clean_many",
    "deduplicate",
    "find_duplicates",
    "get_preset",
    "split_collection",
    "sub_edits",
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
