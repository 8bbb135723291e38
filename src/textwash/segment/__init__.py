"""Segmentation with provenance: collection pages into essays, essays into units."""

from __future__ import annotations

from .collection import (
    UNIT_KINDS,
    Section,
    Segmented,
    find_sections,
    segment,
    segmentation_pipeline,
    split_collection,
    split_sentences,
    units,
)
from .document import Document, Unit

__all__ = [
    "UNIT_KINDS",
    "Document",
    "Section",
    "Segmented",
    "Unit",
    "find_sections",
    "segment",
    "segmentation_pipeline",
    "split_collection",
    "split_sentences",
    "units",
]
