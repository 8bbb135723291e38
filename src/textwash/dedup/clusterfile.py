"""A report's clusters on disk: written as they are made, read back in order.

A corpus of gigabytes has millions of copies, and a cluster's members (texts,
places, labels) take a kilobyte or more each in memory.  :class:`ClusterFile`
is a :class:`~collections.abc.Sequence` of :class:`~textwash.dedup.report.Cluster`
that holds only an offset per cluster: the clusters are pickled one after the
other into an unnamed temporary file (deleted by the system when the file is
closed or the process ends, whatever happens to the work folder it was made
in), and ``clusters[k]`` or a loop reads them back.

:func:`finish_clusters` puts the clusters of a run in the report's order,
numbers them, quotes their members' texts from documents read again one at a
time, and moves the members of a long document's parts back into the whole
document, a cluster at a time.

>>> from textwash.dedup.report import Cluster
>>> f = ClusterFile()
>>> f.append(Cluster("c1", "exact", ()))
>>> f.append(Cluster("c2", "near", ()))
>>> len(f), f[1].id, [c.kind for c in f], f[:1] == [f[0]], f == list(f)
(2, 'c2', ['exact', 'near'], True, True)
>>> f.close()
"""

from __future__ import annotations

import os
import pickle
import tempfile
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any, overload

import numpy as np

from ..segment import Document
from ..segment.document import line_of, line_starts
from .clusters import cluster_id, restore_parts
from .parts import Parts
from .report import Cluster
from .spill import write_at

__all__ = ["ClusterFile", "finish_clusters", "report_order"]

#: A loop over a :class:`ClusterFile` reads this many bytes at a time.
READ_BLOCK = 1 << 20


class ClusterFile(Sequence[Cluster]):
    """Clusters pickled one after the other into an unnamed temporary file
    (in ``work_dir``, or the system's temporary folder); 8 bytes a cluster
    in memory.

    It compares equal to any sequence of the same clusters, and pickles as a
    plain list (the file itself stays with this process).
    """

    def __init__(self, work_dir: str | os.PathLike[str] | None = None) -> None:
        self._file = tempfile.TemporaryFile(dir=work_dir, prefix="clusters-")  # noqa: SIM115
        self._fd = self._file.fileno()
        self._at = array("q", [0])

    def append(self, cluster: Cluster) -> None:
        """Add ``cluster`` at the end."""
        blob = pickle.dumps(cluster, protocol=pickle.HIGHEST_PROTOCOL)
        self._at.append(write_at(self._fd, blob, self._at[-1]))

    def extend(self, clusters: Iterable[Cluster]) -> None:
        """Add ``clusters`` at the end, in order."""
        for c in clusters:
            self.append(c)

    def __len__(self) -> int:
        return len(self._at) - 1

    def _load(self, k: int) -> Cluster:
        start, stop = self._at[k], self._at[k + 1]
        blob = os.pread(self._fd, stop - start, start)
        if len(blob) != stop - start:
            raise OSError(f"cluster file: short read of cluster {k}")
        cluster: Cluster = pickle.loads(blob)
        return cluster

    @overload
    def __getitem__(self, k: int) -> Cluster: ...

    @overload
    def __getitem__(self, k: slice) -> list[Cluster]: ...

    def __getitem__(self, k: int | slice) -> Cluster | list[Cluster]:
        if isinstance(k, slice):
            return [self._load(j) for j in range(*k.indices(len(self)))]
        if not -len(self) <= k < len(self):
            raise IndexError(f"cluster {k} out of range")
        return self._load(k % len(self))

    def __iter__(self) -> Iterator[Cluster]:
        k, n = 0, len(self)
        while k < n:  # a block of whole clusters per read
            stop = k + 1
            while stop < n and self._at[stop + 1] - self._at[k] <= READ_BLOCK:
                stop += 1
            base = self._at[k]
            block = os.pread(self._fd, self._at[stop] - base, base)
            for j in range(k, stop):
                yield pickle.loads(block[self._at[j] - base : self._at[j + 1] - base])
            k = stop

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, (str, bytes)):
            return NotImplemented
        return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> tuple[Any, ...]:
        return (list, (list(self),))

    def __repr__(self) -> str:
        return f"<ClusterFile of {len(self)} clusters>"

    @property
    def nbytes(self) -> int:
        """Bytes on disk."""
        return self._at[-1]

    def close(self) -> None:
        """Close the file (the system deletes it)."""
        self._file.close()


def finish_clusters(
    made: ClusterFile,
    places: np.ndarray,
    width: int,
    *,
    documents: Sequence[Document] = (),
    lengths: dict[int, int] | None = None,
    load_text: Callable[[Document], str] | None = None,
    parts: Parts | None = None,
    work_dir: str | os.PathLike[str] | None = None,
) -> ClusterFile:
    """The clusters of ``made`` in the report's order, as a new file.

    ``places`` holds, for each cluster of ``made``, ``(-size, document, start)``
    of its kept copy, or ``(1, 0, 0)`` for one that keeps its place and id (an
    earlier run's copies, after the others); the others are sorted by it (ties
    in the order they were made) and get the ids ``c0001`` ... of ``width``
    digits.  With ``load_text``, every member that is not an earlier run's
    copy gets its raw ``text``, ``line`` and ``end_line`` from its document
    fetched again: each document is fetched once, in input order, and the
    quotes wait in a second temporary file.  With ``parts``, members of a
    long document's parts are located in the whole document.
    """
    places = np.asarray(places, dtype=np.int64).reshape(len(made), 3)
    order = report_order(places)
    quotes = _Quotes(made, documents, lengths or {}, load_text, work_dir) if load_text else None
    out = ClusterFile(work_dir)
    try:
        rank = 0
        for k in order.tolist():
            c = made[k]
            if quotes is not None:
                c = quotes.apply(k, c)
            if parts:
                c = _restore(parts, c)
            if places[k, 0] <= 0:
                rank += 1
                c = replace(c, id=cluster_id(rank, width))
            out.append(c)
    except BaseException:
        out.close()
        raise
    finally:
        if quotes is not None:
            quotes.close()
    return out


def report_order(places: np.ndarray) -> np.ndarray:
    """The clusters' order in the report: by ``places`` rows ``(-size, document,
    start)``, ties in the order they were made.

    >>> report_order(np.array([[-2, 5, 0], [-3, 9, 9], [-2, 1, 7], [-2, 1, 7]])).tolist()
    [1, 2, 3, 0]
    """
    places = np.asarray(places, dtype=np.int64).reshape(-1, 3)
    return np.lexsort((np.arange(len(places)), places[:, 2], places[:, 1], places[:, 0]))


def _restore(parts: Parts, c: Cluster) -> Cluster:
    """One cluster's members moved from parts into their whole documents."""
    return restore_parts(parts, [c])[0]


class _Quotes:
    """The raw text and lines of every member of ``made`` to be quoted, fetched
    document by document in input order and kept in a temporary file."""

    def __init__(
        self,
        made: ClusterFile,
        documents: Sequence[Document],
        lengths: dict[int, int],
        load_text: Callable[[Document], str],
        work_dir: str | os.PathLike[str] | None,
    ) -> None:
        order_of = {d.doc_id: k for k, d in enumerate(documents)}
        doc, start, end, slot = array("q"), array("q"), array("q"), array("q")
        self._first = array("q", [0])  # first member number of each cluster
        for c in made:
            base = self._first[-1]
            for mi, m in enumerate(c.members):
                if m.run is None:  # an earlier run's copy is quoted from the index
                    doc.append(order_of[m.doc_id])
                    start.append(m.start)
                    end.append(m.end)
                    slot.append(base + mi)
            self._first.append(base + len(c.members))
        self._at = np.full(self._first[-1], -1, dtype=np.int64)  # each member's quote
        self._file = tempfile.TemporaryFile(dir=work_dir, prefix="quotes-")  # noqa: SIM115
        fd, written = self._file.fileno(), 0
        d_arr = np.frombuffer(doc, dtype=np.int64) if doc else np.zeros(0, np.int64)
        s_arr = np.frombuffer(start, dtype=np.int64) if start else np.zeros(0, np.int64)
        e_arr = np.frombuffer(end, dtype=np.int64) if end else np.zeros(0, np.int64)
        k_arr = np.frombuffer(slot, dtype=np.int64) if slot else np.zeros(0, np.int64)
        current, text, starts = -1, "", [0]
        for j in np.lexsort((k_arr, d_arr)).tolist():
            d = int(d_arr[j])
            if d != current:
                document = documents[d]
                text = load_text(document)
                if len(text) != lengths[d]:
                    raise ValueError(
                        f"{document.doc_id}: its text changed while duplicates were looked "
                        f"for ({lengths[d]} characters read, {len(text)} now)"
                    )
                starts, current = line_starts(text), d
            s, e = int(s_arr[j]), int(e_arr[j])
            quote = (text[s:e], line_of(starts, s), line_of(starts, max(s, e - 1)))
            self._at[k_arr[j]] = written
            blob = pickle.dumps(quote, protocol=pickle.HIGHEST_PROTOCOL)
            written = write_at(fd, len(blob).to_bytes(4, "little") + blob, written)

    def apply(self, k: int, c: Cluster) -> Cluster:
        """Cluster number ``k`` of the file, its members quoted."""
        members = list(c.members)
        fd = self._file.fileno()
        for mi, m in enumerate(members):
            at = int(self._at[self._first[k] + mi])
            if at < 0:
                continue
            size = int.from_bytes(os.pread(fd, 4, at), "little")
            text, line, end_line = pickle.loads(os.pread(fd, size, at + 4))
            members[mi] = replace(m, text=text, line=line, end_line=end_line)
        return replace(c, members=tuple(members))

    def close(self) -> None:
        self._file.close()
