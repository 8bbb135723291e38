"""Every unit of a corpus as columns, and every document's cleaned text on disk.

The stages of :func:`~textwash.dedup.find_duplicates` look at every unit's
token count, key and shingles, but at the text of only the few units that turn
out to be copies.  So what is kept per unit is a row of fixed-width columns
(:class:`UnitTable`, about 80 bytes a unit), and what is kept per document (its
cleaned text, the map from cleaned to raw offsets, where cleaning found
defects, its section titles) goes to a file (:class:`DocStore`) and comes back,
a few documents at a time, when a unit of it is looked at.  ``table[i]`` builds
unit ``i``'s :class:`~textwash.dedup.prepare.Item` on demand; a stage that
needs one column of every unit reads the column.

>>> import tempfile
>>> from textwash.segment import Document, Unit
>>> from textwash.edits import ChainMap
>>> with tempfile.TemporaryDirectory() as work:
...     store = DocStore(work)
...     docs = [Document("a", "甲乙丙丁。")]
...     table = UnitTable(docs, store)
...     u = Unit("a", 0, "paragraph", "", 0, 5, 1, 1, clean_start=0, clean_end=5)
...     table.add_document(0, "甲乙丙丁。", ChainMap([]), np.zeros(0, np.int64), [None], [u],
...                        np.array([4]), b"k" * 16, b"k" * 16, np.array([0]))
...     table.freeze()
...     it = table[0]
...     len(table), it.clean, it.unit.end, it.n_tokens, table.n_tokens.tolist()
...     store.close()
(1, '甲乙丙丁。', 5, 4, [4])
"""

from __future__ import annotations

import functools
import os
import pickle
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from ..edits import ChainMap
from ..segment import Document, Unit
from .spill import write_at

__all__ = ["KINDS", "DocStore", "Item", "UnitTable"]

#: The unit kinds a table codes as small integers (``"block"``: a run of short lines).
KINDS = ("paragraph", "sentence", "document", "block")

#: Units added are turned into NumPy columns this many at a time.
FLUSH_ROWS = 1 << 16

#: Documents whose data are held in memory at once (least recently used go first).
DOC_CACHE = 256


class DocStore:
    """Per document: cleaned text, offset map and defect marks.

    Appended to one file under ``work_dir`` as they come (pickled); read back
    by document number, the last :data:`DOC_CACHE` documents cached.
    """

    def __init__(self, work_dir: str | os.PathLike[str]) -> None:
        self._path = Path(work_dir) / "documents.pickle"
        self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        self._at: list[int] = [0]
        self.get = functools.lru_cache(maxsize=DOC_CACHE)(self._load)

    def append(self, clean: str, offsets: ChainMap, marks: np.ndarray) -> int:
        """Store one document's data; returns its number."""
        blob = pickle.dumps((clean, offsets, marks), protocol=pickle.HIGHEST_PROTOCOL)
        self._at.append(write_at(self._fd, blob, self._at[-1]))
        return len(self._at) - 2

    def _load(self, d: int) -> tuple[str, ChainMap, np.ndarray]:
        start, stop = self._at[d], self._at[d + 1]
        blob = os.pread(self._fd, stop - start, start)
        if len(blob) != stop - start:
            raise OSError(f"{self._path}: short read of document {d}")
        data: tuple[str, ChainMap, np.ndarray] = pickle.loads(blob)
        return data

    @property
    def nbytes(self) -> int:
        """Bytes on disk."""
        return self._at[-1]

    def close(self) -> None:
        """Close and delete the file."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
            self._path.unlink(missing_ok=True)
            self.get.cache_clear()


class Item:
    """Unit ``i`` of a :class:`UnitTable`, as the stages look at it.

    Its columns are read at once; its document's cleaned text (``clean``),
    offset map (``offsets``) and defect marks (``marks``) only when asked for,
    from the table's :class:`DocStore`.
    """

    __slots__ = ("_table", "_unit", "defects", "i", "key", "n_tokens", "order", "shape")

    def __init__(self, table: UnitTable, i: int) -> None:
        self._table = table
        self.i = i
        self.order = int(table.order[i])  # position of its document in the input
        self.n_tokens = int(table.n_tokens[i])
        self.key = bytes(table.keys[i]).ljust(16, b"\0")
        self.shape = bytes(table.shapes[i]).ljust(16, b"\0")  # the key with numbers masked
        self.defects = int(table.defects[i])  # what cleaning repaired in its raw span
        self._unit: Unit | None = None

    @property
    def unit(self) -> Unit:
        """The unit (its ``text`` is empty: the text is in :attr:`clean`)."""
        if self._unit is None:
            self._unit = self._table.unit(self.i)
        return self._unit

    @property
    def doc(self) -> Document:
        """Its document as the input gave it (the text may have been let go)."""
        return self._table.documents[self.order]

    @property
    def clean(self) -> str:
        """The cleaned text of its whole document."""
        return self._table.store.get(self._table.slot[self.order])[0]

    @property
    def offsets(self) -> ChainMap:
        """Cleaned -> raw offsets of its document."""
        return self._table.store.get(self._table.slot[self.order])[1]

    @property
    def marks(self) -> np.ndarray:
        """Where cleaning found defects in its document (raw offsets, sorted)."""
        return self._table.store.get(self._table.slot[self.order])[2]

    @property
    def sort_key(self) -> tuple[int, int]:
        """Input order: its document, then its start there."""
        return (self.order, int(self._table.start[self.i]))


class UnitTable(Sequence[Item]):
    """The units of a corpus as columns; ``table[i]`` is unit ``i`` as an :class:`Item`.

    ``documents[d]`` is document (or part) ``d`` as the input gave it (its text
    may have been let go); its cleaned data are document ``slot[d]`` of
    ``store``.  Columns (NumPy, one element per unit): ``order`` (the
    document), ``n_tokens``, ``defects``, ``keys``/``shapes`` (16-byte
    digests, ``S16``) and the unit's place: ``unit_index``, ``kind``, ``start``,
    ``end``, ``line``, ``end_line``, ``section``, ``clean_start``,
    ``clean_end``.
    """

    _INT_COLUMNS = (
        "order",
        "unit_index",
        "start",
        "end",
        "line",
        "end_line",
        "section",
        "clean_start",
        "clean_end",
        "n_tokens",
        "defects",
    )

    def __init__(self, documents: list[Document], store: DocStore) -> None:
        self.documents = documents
        self.store = store
        self.slot: dict[int, int] = {}
        self.titles: dict[int, list[str | None]] = {}  # section titles of each document
        self._pending: dict[str, list[np.ndarray]] = {c: [] for c in self._INT_COLUMNS}
        self._pending.update(kind=[], keys=[], shapes=[])
        self._rows: list[tuple[int, ...]] = []
        self._keys: list[bytes] = []
        self._shapes: list[bytes] = []
        empty = np.zeros(0, dtype=np.int32)
        for c in self._INT_COLUMNS:
            setattr(self, c, empty)
        self.kind = np.zeros(0, dtype=np.uint8)
        self.keys = np.zeros(0, dtype="S16")
        self.shapes = np.zeros(0, dtype="S16")

    order: np.ndarray
    unit_index: np.ndarray
    start: np.ndarray
    end: np.ndarray
    line: np.ndarray
    end_line: np.ndarray
    section: np.ndarray
    clean_start: np.ndarray
    clean_end: np.ndarray
    n_tokens: np.ndarray
    defects: np.ndarray

    def add_document(
        self,
        d: int,
        clean: str,
        offsets: ChainMap,
        marks: np.ndarray,
        titles: list[str | None],
        units: list[Unit],
        n_tokens: np.ndarray,
        keys: bytes,
        shapes: bytes,
        defects: np.ndarray,
    ) -> None:
        """Add document ``d`` and its units (in order)."""
        self.slot[d] = self.store.append(clean, offsets, marks)
        self.titles[d] = titles
        kind = KINDS.index
        self._rows.extend(
            (
                d,
                u.index,
                u.start,
                u.end,
                u.line,
                u.end_line,
                u.section,
                u.clean_start,
                u.clean_end,
                n,
                k,
                kind(u.kind),
            )
            for u, n, k in zip(units, n_tokens.tolist(), defects.tolist(), strict=True)
        )
        self._keys.append(keys)
        self._shapes.append(shapes)
        if len(self._rows) >= FLUSH_ROWS:
            self._flush()

    def _flush(self) -> None:
        """Turn the rows added so far into column pieces (bounded Python lists)."""
        if not self._rows:
            return
        block = np.array(self._rows, dtype=np.int64).reshape(-1, 12)
        p = self._pending
        for k, c in enumerate(self._INT_COLUMNS):
            p[c].append(block[:, k].astype(np.int32))
        p["kind"].append(block[:, 11].astype(np.uint8))
        p["keys"].append(np.frombuffer(b"".join(self._keys), dtype="S16"))
        p["shapes"].append(np.frombuffer(b"".join(self._shapes), dtype="S16"))
        self._rows, self._keys, self._shapes = [], [], []

    def freeze(self) -> None:
        """Join what was added into the columns (call after the last document)."""
        self._flush()
        for c, parts in self._pending.items():
            if parts:
                setattr(self, c, np.concatenate([getattr(self, c), *parts]))
            parts.clear()

    def __len__(self) -> int:
        return int(self.order.size)

    @property
    def nbytes(self) -> int:
        """Bytes the columns take in memory."""
        columns = (*self._INT_COLUMNS, "kind", "keys", "shapes")
        return sum(getattr(self, c).nbytes for c in columns)

    def unit(self, i: int) -> Unit:
        """Unit ``i`` (without its text)."""
        d = int(self.order[i])
        doc = self.documents[d]
        section = int(self.section[i])
        titles = self.titles[d]
        return Unit(
            doc_id=doc.doc_id,
            index=int(self.unit_index[i]),
            kind=KINDS[int(self.kind[i])],
            text="",
            start=int(self.start[i]),
            end=int(self.end[i]),
            line=int(self.line[i]),
            end_line=int(self.end_line[i]),
            section=section,
            title=titles[section] if section < len(titles) else None,
            source=doc.source,
            clean_start=int(self.clean_start[i]),
            clean_end=int(self.clean_end[i]),
        )

    def __getitem__(self, i: int) -> Item:  # type: ignore[override]
        if not -len(self) <= i < len(self):
            raise IndexError(f"unit {i} out of range")
        return Item(self, int(i) % len(self))

    def __iter__(self) -> Iterator[Item]:
        for i in range(len(self)):
            yield self[i]
