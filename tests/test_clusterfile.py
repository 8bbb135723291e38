"""A report's clusters read from a file (textwash.dedup.clusterfile) are the clusters
a report holds in a list: same order, ids, members, quotes and places."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from textwash.dedup import clusterfile, find, find_duplicates
from textwash.dedup.clusterfile import ClusterFile
from textwash.dedup.report import Cluster, DuplicateReport, Member
from textwash.segment import Document

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sample_dump.txt"


def _member(k: int, text: str) -> Member:
    return Member(f"d{k}", k, 0, len(text), 1, 1, text, 1.0, "exact")


def test_a_cluster_file_reads_back_what_was_appended(monkeypatch):
    monkeypatch.setattr(clusterfile, "READ_BLOCK", 300)  # loops read many blocks
    clusters = [
        Cluster(f"c{k}", "near", tuple(_member(j, "甲乙" * (k + j)) for j in range(k % 4 + 1)))
        for k in range(60)
    ]
    f = ClusterFile()
    f.extend(clusters)
    assert len(f) == 60 and list(f) == clusters and f == clusters
    assert f[7] == clusters[7] and f[-1] == clusters[-1] and f[5:9] == clusters[5:9]
    assert f[::-7] == clusters[::-7]
    with pytest.raises(IndexError):
        f[60]
    assert pickle.loads(pickle.dumps(f)) == clusters  # pickled as a plain list
    assert f != clusters[:-1] and f != [*clusters[:-1], clusters[0]]
    f.close()


def _corpus() -> dict[str, str]:
    text = SAMPLE.read_text(encoding="utf-8")
    paragraphs = [p for p in text.split("\n\n") if len(p) > 40]
    docs = {"whole": text, "twice": text + "\n\n" + text}
    for k in range(12):  # documents that share some of the sample's paragraphs
        docs[f"mix{k}"] = "\n\n".join([*paragraphs[k::3], f"第{k}篇的结尾，各不相同的一句话。"])
    return docs


def _report(docs: dict[str, str], **options) -> DuplicateReport:
    """The command line's way: texts let go once segmented, fetched again to quote."""
    return find_duplicates(
        [Document(d, t) for d, t in docs.items()],
        load_text=lambda doc: docs[doc.doc_id],
        **options,
    )


@pytest.mark.parametrize("part_chars", [None, 2_000])
def test_the_report_from_a_file_is_the_report_from_a_list(monkeypatch, part_chars):
    docs = _corpus()
    options = {} if part_chars is None else {"part_chars": part_chars}
    listed = _report(docs, **options)
    assert isinstance(listed.clusters, list) and len(listed.clusters) > 10
    monkeypatch.setattr(find, "LIST_CLUSTERS", 0)
    filed = _report(docs, **options)
    assert isinstance(filed.clusters, ClusterFile)
    assert filed.clusters == listed.clusters  # ids, order, members, quotes, places
    for r in (filed, listed):
        del r.stats["seconds"]
    assert filed.to_json() == listed.to_json()
    assert [c.id for c in filed.clusters] == [f"c{k:04d}" for k in range(1, len(listed) + 1)]
    for c in filed.clusters:  # every quote is the raw text at the member's place
        for m in c.members:
            assert docs[m.doc_id][m.start : m.end] == m.text


def test_clusters_are_in_the_report_order_largest_first_then_by_place():
    report = _report(_corpus())
    order = {d: k for k, d in enumerate(_corpus())}
    keys = [(-len(c), order[c.kept.doc_id], c.kept.start) for c in report.clusters]
    assert keys == sorted(keys) and len(set(len(c) for c in report.clusters)) > 1
