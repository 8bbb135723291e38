"""The duplicate report: clusters of copies, each located in the original text.

The JSON form is versioned (``schema``/``version`` fields) and documented in
``docs/dedup.md``; :meth:`DuplicateReport.from_json` reads it back.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

__all__ = ["SCHEMA", "SCHEMA_VERSION", "Cluster", "DuplicateReport", "Member"]

SCHEMA = "textwash.duplicates"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Member:
    """One copy in a cluster, and why it is there.

    ``start``/``end`` are character offsets into the document's text as it was
    passed in, ``line``/``end_line`` its 1-based first and last lines there and
    ``text`` that raw passage.

    ``link`` says why the copy is in the cluster: ``"kept"`` for the copy the
    others are compared with (``members[0]``); ``"exact"`` (the same text once
    script, width, spaces and punctuation are folded); ``"near"`` (about the
    same length, a few words or a sentence apart); ``"containment"`` (a
    passage inside a clearly longer paragraph, at least
    ``params["containment_ratio"]`` times its length: ``outer_start``/``outer_end``
    are that paragraph, ``start``/``end`` the passage); ``"numbers"`` (the same
    wording with other numbers: a year's statistics and the next year's,
    ``第七条`` and ``第十四条``).

    ``similarity`` and ``measure`` say how close it is to the kept copy (or, when
    ``via`` is set, to ``members[via]``, the copy it was linked through):
    ``"exact"`` (1.0), ``"jaccard"`` (of the shingle sets), ``"overlap"`` (the
    share of the shorter text's shingles found in the longer one: a sentence
    added or deleted), ``"containment"`` (the share of the passage's 3-grams
    found in the longer paragraph), ``"alignment"`` (the share of the shorter
    text's characters an alignment finds in the other: scattered wrong
    characters) or ``"shape"`` (``numbers`` copies whose words are all the
    same).  ``added`` and ``missing`` name what differs from the kept copy, when
    it is a sentence or two (or, for ``numbers``, the numbers).  ``defects``
    counts what cleaning repaired or flagged in the copy (ASCII punctuation,
    OCR spaces, hard wraps, look-alikes ...): the ``best`` keep policy keeps the
    copy with the fewest.

    ``run`` is set on a copy that an earlier run put in the persistent index
    (``find_duplicates(..., index=PATH)``): it names that run, and ``doc_id``,
    ``source``, ``line`` and ``start``/``end`` say where that run read the copy;
    ``text`` is its cleaned text.

    ``kept`` marks what :func:`~textwash.deduplicate` keeps: ``members[0]``,
    and every member of a ``numbers`` cluster unless numbers copies are
    removed.  What it cuts of the other copies is only the text the kept copy
    holds (see ``docs/dedup.md``).
    """

    doc_id: str
    unit: int
    start: int
    end: int
    line: int
    end_line: int
    text: str
    similarity: float
    measure: str
    kept: bool = False
    source: str | None = None
    section: int = 0
    title: str | None = None
    link: str = ""
    via: int | None = None
    added: str = ""
    missing: str = ""
    outer_start: int | None = None
    outer_end: int | None = None
    defects: int = 0
    run: str | None = None


@dataclass(frozen=True)
class Cluster:
    """Copies of one passage: ``members[0]`` is the kept copy.

    ``kind`` is ``"exact"`` when every copy has the same normalized key,
    ``"near"`` when some are near copies, ``"containment"`` when some copies sit
    inside longer paragraphs, and ``"numbers"`` when the copies have the same
    wording with other numbers (kept by default: nothing of such a cluster is
    removed unless ``remove_numbers``).
    """

    id: str
    kind: str
    members: tuple[Member, ...]

    @property
    def kept(self) -> Member:
        """The copy a deduplicated corpus keeps."""
        return self.members[0]

    @property
    def copies(self) -> tuple[Member, ...]:
        """The copies :func:`~textwash.deduplicate` cuts (what the kept copy holds of them)."""
        return tuple(m for m in self.members[1:] if not m.kept)

    def __len__(self) -> int:
        return len(self.members)


def _cluster_dict(c: Cluster) -> dict[str, Any]:
    return {
        "id": c.id,
        "kind": c.kind,
        "size": len(c.members),
        "members": [asdict(m) for m in c.members],
    }


@dataclass
class DuplicateReport:
    """What :func:`~textwash.find_duplicates` found.

    ``clusters`` are sorted by size (largest first), then by where their kept copy
    sits; ``params`` records the settings and ``stats`` the counts and the
    seconds each stage took.  ``clusters`` is a sequence: a list, or for a
    report of more than ``find.LIST_CLUSTERS`` clusters a
    :class:`~textwash.dedup.clusterfile.ClusterFile` that reads them from a
    temporary file as they are asked for (``list(report.clusters)`` makes a
    list).
    """

    clusters: Sequence[Cluster]
    params: dict[str, Any] = field(default_factory=dict)
    stats: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.clusters)

    def __iter__(self) -> Iterator[Cluster]:
        return iter(self.clusters)

    @property
    def duplicated_chars(self) -> int:
        """Characters in the copies that are not kept: `deduplicate` cuts at most these."""
        return sum(m.end - m.start for c in self.clusters for m in c.copies)

    # -- JSON -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The report as plain data (the JSON schema, version 1)."""
        return {**self._head(), "clusters": [_cluster_dict(c) for c in self.clusters]}

    def _head(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "version": SCHEMA_VERSION,
            "params": self.params,
            "stats": self.stats,
        }

    def to_json(self, path: str | os.PathLike[str] | None = None, *, indent: int | None = 1) -> str:
        """The report as JSON; with ``path``, written there (atomically) instead and
        ``""`` returned.

        Written to a file, the report is streamed a cluster at a time, so a
        report of hundreds of megabytes is never held as one string.
        """
        if path is None:
            return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)
        from ..io.writers import atomic_open

        with atomic_open(Path(path)) as raw:
            out = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
            self.write_json(out, indent=indent)
            out.flush()
            out.detach()
        return ""

    def write_json(self, out: TextIO, *, indent: int | None = 1) -> None:
        """Write the report as JSON to the text stream ``out``, a cluster at a time
        (the same data as :meth:`to_dict`)."""
        head = json.dumps(self._head(), ensure_ascii=False, indent=indent)
        out.write(head[:-1].rstrip() + ("," if indent is None else ",\n") + ' "clusters": [')
        for k, c in enumerate(self.clusters):
            if k:
                out.write(",")
            out.write("\n" if indent is not None else "")
            out.write(json.dumps(_cluster_dict(c), ensure_ascii=False, indent=indent))
        out.write("\n]\n}\n" if indent is not None else "]}")

    @classmethod
    def from_json(cls, data: str | os.PathLike[str] | dict[str, Any]) -> DuplicateReport:
        """Read a report written by :meth:`to_json`: its JSON text, the file it was
        written to (a path, or a ``str`` that does not start with ``{``) or the
        data :meth:`to_dict` gives.

        >>> DuplicateReport.from_json('{"schema": "textwash.duplicates", "version": 1, '
        ...                           '"clusters": []}').clusters
        []
        """
        if isinstance(data, os.PathLike) or (
            isinstance(data, str) and not data.lstrip().startswith("{")
        ):
            with open(data, encoding="utf-8") as f:
                obj = json.load(f)
        else:
            obj = json.loads(data) if isinstance(data, str) else data
        if obj.get("schema") != SCHEMA:
            raise ValueError(f"not a textwash duplicate report (schema {obj.get('schema')!r})")
        if obj.get("version") != SCHEMA_VERSION:
            raise ValueError(f"unsupported report version {obj.get('version')!r}")
        clusters = [
            Cluster(c["id"], c["kind"], tuple(Member(**m) for m in c["members"]))
            for c in obj["clusters"]
        ]
        return cls(clusters, obj.get("params", {}), obj.get("stats", {}))

    # -- people -------------------------------------------------------------------
    def summary(self) -> str:
        """A short plain-text table: documents, units, clusters, duplicated characters, time."""
        s = self.stats
        kinds: dict[str, int] = {}
        for c in self.clusters:
            kinds[c.kind] = kinds.get(c.kind, 0) + 1
        rows = [
            ("documents", s.get("documents", "?")),
            ("units", s.get("units", "?")),
            ("clusters", len(self.clusters)),
            *((f"  {k}", v) for k, v in sorted(kinds.items())),
            ("copies to remove", sum(len(c.copies) for c in self.clusters)),
            ("duplicated characters", self.duplicated_chars),
        ]
        for stage, secs in s.get("seconds", {}).items():
            rows.append((f"time: {stage}", f"{secs:.2f}s"))
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)

    def to_html(self, path: str | os.PathLike[str] | None = None) -> str:
        """A self-contained HTML page of the clusters; also written to ``path`` when given."""
        from .html import render_html

        page = render_html(self)
        if path is not None:
            from ..io.writers import atomic_write_text

            atomic_write_text(Path(path), page)
        return page
