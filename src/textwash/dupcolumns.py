"""Duplicate columns for a table whose rows are documents, read off a report.

:func:`textwash.find_duplicates` compares *units* (paragraphs, by default),
so one row can hold several units in several clusters, or two copies in one
cluster.  A row gets four values, from the :class:`~textwash.Member` objects
whose ``doc_id`` is the row's (members an earlier run put in a persistent
index, whose ``run`` is set, belong to no row):

``dup_cluster``
    the id of the cluster of the row's *chosen* member, or missing when the
    row is in no cluster;
``dup_kept``
    that member's ``kept``: ``False`` when the row holds at least one copy that
    :func:`~textwash.deduplicate` would cut, ``True`` when every copy it holds
    is a kept one, missing when it is in no cluster;
``dup_similarity``
    that member's ``similarity`` (to the cluster's kept copy, 1.0 for the kept
    copy itself), or missing;
``dup_clusters``
    in how many clusters the row has a member (0 for none).

The chosen member is the row's first copy to cut, if it has one, else its first
kept copy; "first" is the highest ``similarity``, then the report's order
(clusters largest first).  So ``dup_kept == False`` picks the rows a
deduplicated table would change, and ``dup_cluster`` groups each with the copy
it repeats.

>>> import textwash
>>> a = "公安机关的群众工作是党的群众工作的重要方面，也是公安工作的光荣传统。"
>>> report = textwash.find_duplicates([("0", a), ("1", "前言。\\n\\n" + a), ("2", "无关。")])
>>> row_values(report, ["0", "1", "2"])
{'dup_cluster': ['c0001', 'c0001', None], 'dup_kept': [True, False, None],
 'dup_similarity': [1.0, 1.0, None], 'dup_clusters': [1, 1, 0]}
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .dedup.report import DuplicateReport, Member

__all__ = ["COLUMNS", "column_names", "row_values"]

#: The columns added, in order (with the default prefix ``"dup_"``).
COLUMNS = ("dup_cluster", "dup_kept", "dup_similarity", "dup_clusters")


def column_names(prefix: str = "dup_") -> tuple[str, str, str, str]:
    """The names of the four columns with ``prefix`` instead of ``"dup_"``.

    >>> column_names("d_")
    ('d_cluster', 'd_kept', 'd_similarity', 'd_clusters')
    """
    cluster, kept, similarity, clusters = (prefix + c.removeprefix("dup_") for c in COLUMNS)
    return cluster, kept, similarity, clusters


def _rank(order: int, m: Member) -> tuple[bool, float, int]:
    """Smaller is chosen first: a copy to cut, then the most similar, then report order."""
    return (m.kept, -m.similarity, order)


def row_values(
    report: DuplicateReport, doc_ids: Sequence[str], prefix: str = "dup_"
) -> dict[str, list[Any]]:
    """The four columns (see the module docs) for rows ``doc_ids``, as lists in row order.

    A doc_id the report does not name gets ``None``, ``None``, ``None``, ``0``;
    a member whose doc_id is no row's is ignored.
    """
    rows = {doc_id: k for k, doc_id in enumerate(doc_ids)}
    if len(rows) != len(doc_ids):
        raise ValueError("the rows' doc_ids are not unique")
    best: dict[int, tuple[tuple[bool, float, int], str, Member]] = {}
    seen: dict[int, set[str]] = {}
    for order, cluster in enumerate(report.clusters):
        for m in cluster.members:
            row = rows.get(m.doc_id)
            if row is None or m.run is not None:
                continue
            seen.setdefault(row, set()).add(cluster.id)
            rank = _rank(order, m)
            if row not in best or rank < best[row][0]:
                best[row] = (rank, cluster.id, m)
    n = len(doc_ids)
    cluster_col: list[str | None] = [None] * n
    kept_col: list[bool | None] = [None] * n
    similarity_col: list[float | None] = [None] * n
    for row, (_, cluster_id, m) in best.items():
        cluster_col[row] = cluster_id
        kept_col[row] = m.kept
        similarity_col[row] = m.similarity
    counts = [len(seen.get(row, ())) for row in range(n)]
    names = column_names(prefix)
    return dict(zip(names, (cluster_col, kept_col, similarity_col, counts), strict=True))
