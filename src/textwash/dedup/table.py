"""Every unit of a corpus as columns, and every document's cleaned text on disk.

The stages of :func:`~textwash.dedup.find_duplicates` look at every unit's
token count, key and shingles, but at the text of only the few units that turn
out to be copies.  So what is kept per unit is a row of fixed-width columns
(:class:`UnitTable`: 8 bytes a unit in memory, the other columns in files read
a row or a chosen set of rows at a time), and what is kept per document (its
cleaned text, the map from cleaned to raw offsets, where cleaning found
defects) goes to a file (:class:`DocStore`) and comes back, a few documents at
a time, when a unit of it is looked at.  ``table[i]`` builds unit ``i``'s
:class:`Item` on demand.

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
...     table.close(); store.close()
(1, '甲乙丙丁。', 5, 4, [4])
"""

from __future__ import annotations

import functools
import os
import pickle
from array import array
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..edits import ChainMap
from ..segment import Document, Unit
from .spill import SpilledColumn, write_at

__all__ = ["KINDS", "PLACE", "DocStore", "Item", "UnitTable"]

#: The unit kinds a table codes as small integers (``"block"``: a run of short lines).
KINDS = ("paragraph", "sentence", "document", "block")

#: Units added are turned into NumPy columns this many at a time.
FLUSH_ROWS = 1 << 16

#: Documents whose data are held in memory at once (least recently used go first).
DOC_CACHE = 256
#: Documents whose section titles are held in memory at once.
TITLE_CACHE = 4096


class DocStore:
    """Per document: cleaned text, offset map and defect marks; section titles.

    Appended to files under ``work_dir`` as they come (pickled): the titles to
    a file of their own, as a unit's place needs them without its document's
    text.  Read back by document number, the last :data:`DOC_CACHE` documents
    and :data:`TITLE_CACHE` title lists cached.
    """

    def __init__(self, work_dir: str | os.PathLike[str]) -> None:
        self.folder = Path(work_dir)
        self._path = self.folder / "documents.pickle"
        self._title_path = self.folder / "titles.pickle"
        self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        self._title_fd = os.open(self._title_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        self._at = array("q", [0])
        self._title_at = array("q", [0])
        self.get = functools.lru_cache(maxsize=DOC_CACHE)(self._load)
        self.titles = functools.lru_cache(maxsize=TITLE_CACHE)(self._load_titles)

    def append(
        self,
        clean: str,
        offsets: ChainMap,
        marks: np.ndarray,
        titles: Sequence[str | None] = (),
    ) -> int:
        """Store one document's data; returns its number."""
        blob = pickle.dumps((clean, offsets, marks), protocol=pickle.HIGHEST_PROTOCOL)
        self._at.append(write_at(self._fd, blob, self._at[-1]))
        blob = pickle.dumps(list(titles), protocol=pickle.HIGHEST_PROTOCOL)
        self._title_at.append(write_at(self._title_fd, blob, self._title_at[-1]))
        return len(self._at) - 2

    def _read(self, fd: int, at: array[int], d: int, path: Path) -> Any:
        start, stop = at[d], at[d + 1]
        blob = os.pread(fd, stop - start, start)
        if len(blob) != stop - start:
            raise OSError(f"{path}: short read of document {d}")
        return pickle.loads(blob)

    def _load(self, d: int) -> tuple[str, ChainMap, np.ndarray]:
        data: tuple[str, ChainMap, np.ndarray] = self._read(self._fd, self._at, d, self._path)
        return data

    def _load_titles(self, d: int) -> list[str | None]:
        titles: list[str | None] = self._read(self._title_fd, self._title_at, d, self._title_path)
        return titles

    @property
    def nbytes(self) -> int:
        """Bytes on disk."""
        return self._at[-1] + self._title_at[-1]

    def close(self) -> None:
        """Close and delete the files."""
        if self._fd >= 0:
            os.close(self._fd)
            os.close(self._title_fd)
            self._fd = self._title_fd = -1
            self._path.unlink(missing_ok=True)
            self._title_path.unlink(missing_ok=True)
            self.get.cache_clear()
            self.titles.cache_clear()


class Item:
    """Unit ``i`` of a :class:`UnitTable`, as the stages look at it.

    Its token count and document are read at once; its key, shape, defects and
    place (``unit``) from the table's files when asked for; its document's
    cleaned text (``clean``), offset map (``offsets``) and defect marks
    (``marks``) from the table's :class:`DocStore`.
    """

    __slots__ = ("_place", "_table", "_unit", "i", "n_tokens", "order")

    def __init__(self, table: UnitTable, i: int) -> None:
        self._table = table
        self.i = i
        self.order = int(table.order[i])  # position of its document in the input
        self.n_tokens = int(table.n_tokens[i])
        self._place: Any = None
        self._unit: Unit | None = None

    @property
    def key(self) -> bytes:
        """Its folded-token digest (16 bytes): equal keys, exact copies."""
        return bytes(self._table.key_column[self.i]).ljust(16, b"\0")

    @property
    def shape(self) -> bytes:
        """Its key with the numbers masked."""
        return bytes(self._table.shape_column[self.i]).ljust(16, b"\0")

    @property
    def place(self) -> Any:
        """Its row of the table's place columns (a NumPy record)."""
        if self._place is None:
            self._place = self._table.place_column[self.i]
        return self._place

    @property
    def defects(self) -> int:
        """What cleaning repaired in its raw span."""
        return int(self.place["defects"])

    @property
    def unit(self) -> Unit:
        """The unit (its ``text`` is empty: the text is in :attr:`clean`)."""
        if self._unit is None:
            self._unit = self._table.unit(self.i, self.place)
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
        return (self.order, int(self.place["start"]))


#: The place of a unit in its document, a row per unit in the table's ``units.place`` file.
PLACE = np.dtype(
    [
        ("unit_index", "<i4"),
        ("start", "<i4"),
        ("end", "<i4"),
        ("line", "<i4"),
        ("end_line", "<i4"),
        ("section", "<i4"),
        ("clean_start", "<i4"),
        ("clean_end", "<i4"),
        ("defects", "<i4"),
        ("kind", "u1"),
    ]
)


class UnitTable(Sequence[Item]):
    """The units of a corpus as columns; ``table[i]`` is unit ``i`` as an :class:`Item`.

    ``documents[d]`` is document (or part) ``d`` as the input gave it (its text
    may have been let go); its cleaned data and section titles are document
    ``slot[d]`` of ``store``.  In memory, one element per unit: ``order`` (the document) and
    ``n_tokens`` (8 bytes a unit).  In files beside the store's (see
    :class:`~textwash.dedup.spill.SpilledColumn`): ``key_column`` and
    ``shape_column`` (16-byte digests, ``S16``) and ``place_column`` (the
    unit's place, :data:`PLACE`: ``unit_index``, ``start``, ``end``, ``line``,
    ``end_line``, ``section``, ``clean_start``, ``clean_end``, ``defects``,
    ``kind``), read a row or a chosen set of rows at a time.
    """

    def __init__(self, documents: list[Document], store: DocStore) -> None:
        self.documents = documents
        self.store = store
        self.slot: dict[int, int] = {}
        folder = store.folder
        self.key_column = SpilledColumn("S16", folder / "units.keys")
        self.shape_column = SpilledColumn("S16", folder / "units.shapes")
        self.place_column = SpilledColumn(PLACE, folder / "units.place")
        self._pending: dict[str, list[np.ndarray]] = {"order": [], "n_tokens": []}
        self._rows: list[tuple[int, ...]] = []
        self._keys: list[bytes] = []
        self._shapes: list[bytes] = []
        self.order = np.zeros(0, dtype=np.int32)
        self.n_tokens = np.zeros(0, dtype=np.int32)

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
        self.slot[d] = self.store.append(clean, offsets, marks, titles)
        kind = KINDS.index
        self._rows.extend(
            (
                d,
                n,
                u.index,
                u.start,
                u.end,
                u.line,
                u.end_line,
                u.section,
                u.clean_start,
                u.clean_end,
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
        """Write the rows added so far to the column files (bounded Python lists)."""
        if not self._rows:
            return
        block = np.array(self._rows, dtype=np.int64).reshape(-1, 12)
        self._pending["order"].append(block[:, 0].astype(np.int32))
        self._pending["n_tokens"].append(block[:, 1].astype(np.int32))
        place = np.empty(len(block), dtype=PLACE)
        for k, name in enumerate(PLACE.names or ()):
            place[name] = block[:, 2 + k]
        self.place_column.append(place)
        self.key_column.append(np.frombuffer(b"".join(self._keys), dtype="S16"))
        self.shape_column.append(np.frombuffer(b"".join(self._shapes), dtype="S16"))
        self._rows, self._keys, self._shapes = [], [], []

    def freeze(self) -> None:
        """Join what was added into the columns (call after the last document)."""
        self._flush()
        for c, parts in self._pending.items():
            if parts:
                setattr(self, c, np.concatenate([getattr(self, c), *parts]))
            parts.clear()

    def close(self) -> None:
        """Delete the column files."""
        for column in (self.key_column, self.shape_column, self.place_column):
            column.close()

    def __len__(self) -> int:
        return int(self.order.size)

    @property
    def nbytes(self) -> int:
        """Bytes the columns take in memory (the files' are not counted)."""
        return int(self.order.nbytes + self.n_tokens.nbytes)

    def column(self, name: str) -> np.ndarray:
        """One column of every unit, read whole: ``"order"``, ``"n_tokens"``, ``"keys"``,
        ``"shapes"`` or a field of :data:`PLACE`."""
        if name in ("order", "n_tokens"):
            return np.asarray(getattr(self, name))
        if name in ("keys", "shapes"):
            return (self.key_column if name == "keys" else self.shape_column).read()
        return np.ascontiguousarray(self.place_column.read()[name])

    def unit(self, i: int, place: Any = None) -> Unit:
        """Unit ``i`` (without its text); ``place`` is its :data:`PLACE` row if read already."""
        p = self.place_column[i] if place is None else place
        d = int(self.order[i])
        doc = self.documents[d]
        section = int(p["section"])
        titles = self.store.titles(self.slot[d])
        return Unit(
            doc_id=doc.doc_id,
            index=int(p["unit_index"]),
            kind=KINDS[int(p["kind"])],
            text="",
            start=int(p["start"]),
            end=int(p["end"]),
            line=int(p["line"]),
            end_line=int(p["end_line"]),
            section=section,
            title=titles[section] if section < len(titles) else None,
            source=doc.source,
            clean_start=int(p["clean_start"]),
            clean_end=int(p["clean_end"]),
        )

    def __getitem__(self, i: int) -> Item:  # type: ignore[override]
        if not -len(self) <= i < len(self):
            raise IndexError(f"unit {i} out of range")
        return Item(self, int(i) % len(self))

    def __iter__(self) -> Iterator[Item]:
        for i in range(len(self)):
            yield self[i]
