"""Finding repeated passages: exact keys, MinHash-LSH near duplicates, containment."""

from __future__ import annotations

from .find import DedupResult, Removal, as_documents, deduplicate, find_duplicates
from .report import Cluster, DuplicateReport, Member

__all__ = [
    "Cluster",
    "DedupResult",
    "DuplicateReport",
    "Member",
    "Removal",
    "as_documents",
    "deduplicate",
    "find_duplicates",
]
