"""Finding repeated passages: exact keys, MinHash-LSH near duplicates, containment."""

from __future__ import annotations

from .find import find_duplicates
from .prepare import DocumentFailure, as_documents, iter_documents
from .removal import DedupResult, Removal, deduplicate
from .report import Cluster, DuplicateReport, Member

__all__ = [
    "Cluster",
    "DedupResult",
    "DocumentFailure",
    "DuplicateReport",
    "Member",
    "Removal",
    "as_documents",
    "deduplicate",
    "find_duplicates",
    "iter_documents",
]
