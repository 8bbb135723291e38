"""A persistent duplicate index: the units of earlier dedup runs, on disk, for incremental runs.

An index is a folder (see ``docs/index-format.md``)::

    PATH/manifest.json          the committed state: format, config, segments, run log
    PATH/lock                   flock'ed by the one writer
    PATH/segments/000001/       one folder per committed batch of units ("segment")

A segment is written once and never changed.  Its numeric columns are ``.npy``
files read through memory maps; every lookup column (exact key, shape key, one
per LSH band) is stored sorted with the row it came from, so a query is a
``searchsorted`` of the new keys into each segment: it reads O(new x log old)
pages, not the whole index.  A batch becomes visible when ``manifest.json`` is
replaced (``os.replace``) by one that lists it, so an update killed at any point
leaves the index as it was, or with the whole update.

Plain data in and out: NumPy arrays and lists of strings.  Rows returned by the
queries are *global rows*: positions across all segments in manifest order.

>>> import tempfile
>>> tmp = tempfile.TemporaryDirectory()
>>> config = IndexConfig(ngram=5, num_perm=16, seed=1, hash_scheme="affine32", bands=4,
...                      rows=4, unit="paragraph", drop_function_words=False, tokenizer="1")
>>> with DedupIndex.open(tmp.name + "/ix", config, write=True) as idx:
...     idx.add("run-1", _toy_units(["甲乙丙丁戊己", "庚辛壬癸"], "a.txt", bands=4))
...     idx.commit()
>>> idx = DedupIndex.open(tmp.name + "/ix", config)        # a reader: no lock needed
>>> new = _toy_units(["子丑寅卯", "庚辛壬癸"], "b.txt", bands=4)
>>> [r.tolist() for r in idx.exact(new.keys)]              # (new row, global row) pairs
[[1], [1]]
>>> hit = idx.units([1])[0]
>>> hit.doc_id, hit.line, hit.run, hit.text
('a.txt', 2, 'run-1', '庚辛壬癸')
>>> tmp.cleanup()
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import mmap
import os
import secrets
import shutil
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: readers work, writers are refused
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "FORMAT_VERSION",
    "DedupIndex",
    "IndexBusy",
    "IndexConfig",
    "IndexCorrupt",
    "IndexMismatch",
    "IndexStats",
    "IndexUnits",
    "IndexedUnit",
    "as_digests",
]

#: Version of the on-disk layout this module reads and writes.
FORMAT_VERSION = 1
_FORMAT = "textwash-dedup-index"
_DIGEST = 16
_META = np.dtype(
    [
        ("doc", "<u4"),
        ("line", "<u4"),
        ("end_line", "<u4"),
        ("tokens", "<u4"),
        ("start", "<i8"),
        ("end", "<i8"),
    ]
)
#: Crash-test hook: ``TEXTWASH_INDEX_PAUSE=<stage>:<marker file>`` makes a writer
#: create the marker and hang when it reaches ``stage`` (see :func:`_checkpoint`).
_PAUSE_ENV = "TEXTWASH_INDEX_PAUSE"
#: A query of ``n / _DENSE`` keys or more reads a segment's sorted column whole (see column).
_DENSE = 32768


class IndexMismatch(ValueError):
    """The index at a path was built with other options than the ones asked for.

    >>> str(IndexMismatch("ix", [("ngram", 5, 3)])).splitlines()[1]
    '  ngram: stored 5, requested 3'
    """

    def __init__(self, path: str | Path, diffs: Sequence[tuple[str, object, object]]) -> None:
        self.path, self.diffs = str(path), list(diffs)
        lines = [f"  {name}: stored {old!r}, requested {new!r}" for name, old, new in self.diffs]
        super().__init__(
            f"the duplicate index at {self.path} was built with other options:\n"
            + "\n".join(lines)
            + "\nuse a new index path for these options, or run with the options it was built with"
        )


class IndexCorrupt(ValueError):
    """The folder is not a readable index: manifest missing or damaged, a segment file bad.

    >>> str(IndexCorrupt("ix/manifest.json", "not JSON"))
    'ix/manifest.json: not JSON'
    """

    def __init__(self, path: str | Path, problem: str) -> None:
        self.path, self.problem = str(path), problem
        super().__init__(f"{self.path}: {problem}")


class IndexBusy(RuntimeError):
    """Another process holds the index's write lock (raised when not waiting for it).

    >>> "another process" in str(IndexBusy("ix"))
    True
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        super().__init__(
            f"another process is writing the duplicate index at {self.path} (it holds "
            f"{Path(path) / 'lock'}); wait for it to finish, or open with wait=True"
        )


@dataclass(frozen=True)
class IndexConfig:
    """The options that must match for an index to be reused (they shape keys, shingles, bands).

    >>> c = IndexConfig(ngram=5, num_perm=128, seed=1, hash_scheme="affine32", bands=16,
    ...                 rows=8, unit="paragraph", drop_function_words=False, tokenizer="1")
    >>> c.bands * c.rows <= c.num_perm
    True
    """

    ngram: int
    num_perm: int
    seed: int
    hash_scheme: str
    bands: int
    rows: int
    unit: str
    drop_function_words: bool
    tokenizer: str

    def __post_init__(self) -> None:
        if self.bands < 1 or self.rows < 1 or self.bands * self.rows > self.num_perm:
            raise ValueError(f"bands x rows must be in 1..num_perm, got {self.bands} x {self.rows}")


def checked_config(
    stored: dict[str, Any],
    asked: IndexConfig | None,
    *,
    where: str | Path,
    name: str | Path,
) -> IndexConfig:
    """The config an index was built with (``stored``), checked against ``asked``.

    Without ``asked``, the stored one (:class:`IndexCorrupt` at ``where`` if it
    is not a config); with it, ``asked`` when every field agrees, else
    :class:`IndexMismatch` naming the index ``name`` and each field that differs.
    Both index backends check their config with it.

    >>> c = IndexConfig(5, 126, 1, "affine32", 14, 9, "paragraph", True, "t")
    >>> checked_config(dataclasses.asdict(c), None, where="m", name="ix") == c
    True
    >>> checked_config({**dataclasses.asdict(c), "seed": 2}, c, where="m", name="ix")
    Traceback (most recent call last):
    ...
    textwash.dedup.index.IndexMismatch: the duplicate index at ix was built with other options:
      seed: stored 2, requested 1
    use a new index path for these options, or run with the options it was built with
    >>> checked_config({"seed": 2}, None, where="m", name="ix")
    Traceback (most recent call last):
    ...
    textwash.dedup.index.IndexCorrupt: ...
    """
    names = [f.name for f in dataclasses.fields(IndexConfig)]
    if asked is None:
        try:
            return IndexConfig(**{k: stored[k] for k in names})
        except (KeyError, TypeError, ValueError) as err:
            raise IndexCorrupt(where, f"bad config ({err})") from None
    wanted = dataclasses.asdict(asked)
    diffs = [
        (k, stored.get(k, "<missing>"), wanted[k])
        for k in names
        if stored.get(k, "<missing>") != wanted[k]
    ]
    if diffs:
        raise IndexMismatch(name, diffs)
    return asked


def as_digests(values: Sequence[bytes] | np.ndarray) -> np.ndarray:
    """16-byte digests (a list of ``bytes`` or an array) as an ``(n, 16)`` uint8 array.

    >>> as_digests([bytes(range(16)), b"x" * 16]).shape
    (2, 16)
    """
    if isinstance(values, np.ndarray):
        out = np.ascontiguousarray(values, dtype=np.uint8).reshape(-1, _DIGEST)
    else:
        if any(len(v) != _DIGEST for v in values):
            raise ValueError(f"digests must be {_DIGEST} bytes each")
        out = np.frombuffer(b"".join(values), dtype=np.uint8).reshape(-1, _DIGEST)
    return out


@dataclass(frozen=True, eq=False)
class IndexUnits:
    """A batch of ``n`` units to index, as the dedup pipeline has them.

    ``keys``/``shapes``: ``(n, 16)`` uint8 digests (or lists of 16-byte ``bytes``);
    ``tokens``, ``line``, ``end_line`` (1-based), ``start``, ``end`` (character
    offsets in the raw file): length-``n`` integers; ``band_keys``: ``(n, bands)``
    uint64; ``shingles`` + ``shingle_offsets``: each unit's sorted unique uint32
    shingle hashes end to end, with ``n + 1`` offsets; ``doc_id``, ``source``
    (``None`` when unknown) and ``text``: length-``n`` lists.

    >>> u = _toy_units(["甲乙丙", "丁戊"], "a.txt", bands=2)
    >>> len(u), u.band_keys.shape, u.shingle_offsets.tolist()
    (2, (2, 2), [0, 2, 3])
    """

    keys: np.ndarray
    shapes: np.ndarray
    tokens: np.ndarray
    band_keys: np.ndarray
    shingles: np.ndarray
    shingle_offsets: np.ndarray
    doc_id: Sequence[str]
    source: Sequence[str | None]
    line: np.ndarray
    end_line: np.ndarray
    start: np.ndarray
    end: np.ndarray
    text: Sequence[str]

    def __post_init__(self) -> None:
        n = len(self.text)
        fix = {"keys": as_digests(self.keys), "shapes": as_digests(self.shapes)}
        bands = np.asarray(self.band_keys, dtype=np.uint64)
        fix["band_keys"] = bands if bands.ndim == 2 else bands.reshape(n, -1 if n else 0)
        fix["shingles"] = np.asarray(self.shingles, dtype=np.uint32).ravel()
        fix["shingle_offsets"] = np.asarray(self.shingle_offsets, dtype=np.int64).ravel()
        for name in ("tokens", "line", "end_line", "start", "end"):
            fix[name] = np.asarray(getattr(self, name), dtype=np.int64).ravel()
        for name, value in fix.items():
            object.__setattr__(self, name, value)
        sizes = {
            name: len(getattr(self, name))
            for name in (
                "keys",
                "shapes",
                "band_keys",
                "tokens",
                "doc_id",
                "source",
                "line",
                "end_line",
                "start",
                "end",
            )
        }
        if any(size != n for size in sizes.values()):
            raise ValueError(f"every column needs {n} rows (one per text), got {sizes}")
        at = self.shingle_offsets
        if (
            at.size != n + 1
            or at[0] != 0
            or at[-1] != self.shingles.size
            or (np.diff(at) < 0).any()
        ):
            raise ValueError("shingle_offsets must rise from 0 to len(shingles), n + 1 of them")
        small = np.concatenate([self.line, self.end_line, self.tokens])
        if small.size and (small.min() < 0 or small.max() >= 2**32):
            raise ValueError("line, end_line and tokens must be in 0..2**32-1")

    def __len__(self) -> int:
        return len(self.text)


@dataclass(frozen=True)
class IndexedUnit:
    """One indexed unit with its provenance: where it was read and which run added it.

    >>> IndexedUnit(0, "a.txt", "dump/a.txt", 3, 3, 10, 22, 12, "run-1", "甲乙").line
    3
    """

    row: int
    doc_id: str
    source: str | None
    line: int
    end_line: int
    start: int
    end: int
    tokens: int
    run: str
    text: str


@dataclass(frozen=True)
class IndexStats:
    """Size of an index: units, segments, bytes on disk (all files) and bytes per unit.

    >>> IndexStats(units=2, segments=1, bytes=3000, bytes_per_unit=1500.0).bytes_per_unit
    1500.0
    """

    units: int
    segments: int
    bytes: int
    bytes_per_unit: float


# ---------------------------------------------------------------------------- files


def _checkpoint(stage: str) -> None:
    """Crash-test hook: hang at ``stage`` (after creating a marker file) when asked by env."""
    hook = os.environ.get(_PAUSE_ENV, "")
    name, _, marker = hook.partition(":")
    if name == stage:
        Path(marker).write_text(stage, encoding="utf-8")
        time.sleep(3600)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write(path: Path, data: np.ndarray | bytes) -> None:
    """Write a file (``.npy`` for arrays) and fsync it."""
    with open(path, "wb") as f:
        if isinstance(data, np.ndarray):
            np.save(f, data, allow_pickle=False)
        else:
            f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _load(path: Path) -> tuple[np.ndarray, mmap.mmap | None]:
    """Map an ``.npy`` file read-only for random access (no read-around each page touched)."""
    try:
        mapped = np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError:  # older NumPy cannot map an empty array
        return np.asarray(np.load(path, allow_pickle=False)), None
    pages = getattr(mapped, "_mmap", None)
    if not isinstance(pages, mmap.mmap):
        return np.asarray(mapped), None
    _advise(pages, "RANDOM")
    return np.asarray(mapped), pages


def _advise(pages: mmap.mmap | None, advice: str) -> None:
    """``madvise`` a mapping where the platform can (``advice``: ``"RANDOM"``, ``"NORMAL"``...)."""
    flag = getattr(mmap, f"MADV_{advice}", None)
    if pages is not None and flag is not None:
        pages.madvise(flag)


def _sorted_lookup(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``keys`` sorted along the last axis, with the row each came from (uint32)."""
    order = np.argsort(keys, axis=-1, kind="stable")
    return np.take_along_axis(keys, order, axis=-1), order.astype(np.uint32)


def _write_segment(folder: Path, cols: dict[str, Any]) -> None:
    """Write one segment's files into ``folder`` (fsynced; the folder too)."""
    folder.mkdir()
    for name in ("keys", "shapes"):
        prefix = cols[name].view("<u8")[:, 0]  # digests are uniform: 8 bytes sort them
        sorted_, rows = _sorted_lookup(prefix)
        _write(folder / f"{name}.npy", cols[name])
        _write(folder / f"{name}.sorted.npy", sorted_)
        _write(folder / f"{name}.rows.npy", rows)
    sorted_, rows = _sorted_lookup(np.ascontiguousarray(cols["band_keys"].T))
    _write(folder / "bands.sorted.npy", sorted_)
    _write(folder / "bands.rows.npy", rows)
    _checkpoint("writing")
    for name in ("meta", "shingles", "shingle_offsets", "text", "text_offsets"):
        _write(folder / f"{name}.npy", cols[name])
    _write(folder / "docs.json", json.dumps(cols["docs"], ensure_ascii=False).encode())
    _fsync_dir(folder)


def _columns(units: IndexUnits) -> dict[str, Any]:
    """The segment columns of a batch: numeric arrays, a doc table, the text blob."""
    table: dict[tuple[str, str | None], int] = {}
    doc = np.array(
        [
            table.setdefault(pair, len(table))
            for pair in zip(units.doc_id, units.source, strict=True)
        ],
        dtype=np.uint32,
    )
    meta = np.zeros(len(units), dtype=_META)
    meta["doc"] = doc
    for name in ("line", "end_line", "tokens", "start", "end"):
        meta[name] = getattr(units, name)
    encoded = [t.encode("utf-8") for t in units.text]
    lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    return {
        "keys": units.keys,
        "shapes": units.shapes,
        "band_keys": units.band_keys,
        "shingles": units.shingles,
        "shingle_offsets": units.shingle_offsets,
        "meta": meta,
        "docs": {"doc_id": [d for d, _ in table], "source": [s for _, s in table]},
        "text": np.frombuffer(b"".join(encoded), dtype=np.uint8),
        "text_offsets": np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
    }


def _valid_entry(entry: Any) -> bool:
    """Whether a manifest's segment entry has a name, a unit count and run counts adding up.

    >>> _valid_entry({"name": "000001", "units": 3, "runs": [["a", 1], ["b", 2]]})
    True
    """
    try:
        runs = entry["runs"]
        return (
            isinstance(entry["name"], str)
            and entry["name"].isdigit()
            and isinstance(entry["units"], int)
            and entry["units"] > 0
            and all(isinstance(r, str) and isinstance(c, int) and c > 0 for r, c in runs)
            and sum(c for _, c in runs) == entry["units"]
        )
    except (KeyError, TypeError, ValueError):
        return False


class _Segment:
    """A committed segment, memory-mapped; ``base`` is the global row of its first unit."""

    def __init__(self, folder: Path, entry: dict[str, Any], base: int, bands: int) -> None:
        self.folder, self.name, self.base = folder, str(entry["name"]), base
        self.n = int(entry["units"])
        self.run_names = [str(run) for run, _ in entry["runs"]]
        self.run_ends = np.cumsum([int(count) for _, count in entry["runs"]])
        expect = {
            "keys": (self.n, _DIGEST),
            "shapes": (self.n, _DIGEST),
            "meta": (self.n,),
            "keys.sorted": (self.n,),
            "keys.rows": (self.n,),
            "shapes.sorted": (self.n,),
            "shapes.rows": (self.n,),
            "bands.sorted": (bands, self.n),
            "bands.rows": (bands, self.n),
            "shingle_offsets": (self.n + 1,),
            "shingles": None,
            "text_offsets": (self.n + 1,),
            "text": None,
        }
        self.a: dict[str, np.ndarray] = {}
        self.maps: dict[str, mmap.mmap | None] = {}
        for name, shape in expect.items():
            path = folder / f"{name}.npy"
            try:
                self.a[name], self.maps[name] = _load(path)
            except FileNotFoundError:
                raise  # perhaps compacted away since the manifest was read: the caller retries
            except (OSError, ValueError, EOFError) as err:
                raise IndexCorrupt(path, f"unreadable segment file ({err})") from None
            if shape is not None and self.a[name].shape != shape:
                raise IndexCorrupt(path, f"shape {self.a[name].shape}, manifest says {shape}")
        for data, at in (("shingles", "shingle_offsets"), ("text", "text_offsets")):
            if self.a[at][-1] != self.a[data].size:
                raise IndexCorrupt(folder / f"{data}.npy", f"size differs from {at}[-1]")
        path = folder / "docs.json"  # read now: a reader outlives a compaction's deletions
        try:
            self.docs: dict[str, list[Any]] = json.loads(path.read_bytes().decode("utf-8"))
        except FileNotFoundError:
            raise
        except (OSError, ValueError) as err:
            raise IndexCorrupt(path, f"unreadable document table ({err})") from None

    def column(self, name: str, queries: int) -> np.ndarray:
        """Sorted column ``name``, its mapping advised for how much ``queries`` will touch.

        The binary searches of ``q`` sorted queries touch about ``q * log2(pages / q)`` of
        a column's ``n / 512`` pages.  Below ``n / 32768`` queries that is under a tenth
        of them: fault them in one by one.  From there on, let the kernel read ahead
        around each fault, in large sequential chunks.
        """
        _advise(self.maps.get(name), "NORMAL" if queries * _DENSE >= self.n else "RANDOM")
        return self.a[name]


def _lookup(
    sorted_keys: np.ndarray, rows: np.ndarray, q: np.ndarray, order: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(order[i], rows[j])`` with ``q[i] == sorted_keys[j]``, by binary search.

    ``q`` is sorted (so the searches walk ``sorted_keys`` forwards, touching
    nearby pages in order); ``order`` says where each query came from.

    >>> [p.tolist() for p in _lookup(np.array([3, 5, 5, 9]), np.array([7, 1, 2, 0]),
    ...                              np.array([4, 5, 9]), np.array([1, 0, 2]))]
    [[0, 0, 2], [1, 2, 0]]
    """
    lo = np.searchsorted(sorted_keys, q, "left")  # sorted queries: nearby pages, in order
    hit = lo < sorted_keys.size
    hit[hit] = sorted_keys[lo[hit]] == q[hit]
    order, lo, q = order[hit], lo[hit], q[hit]
    count = np.searchsorted(sorted_keys, q, "right") - lo
    first = np.cumsum(count) - count
    at = np.repeat(lo - first, count) + np.arange(int(count.sum()))
    return np.repeat(order, count), rows[at].astype(np.int64)


def _pairs(
    parts: Sequence[tuple[np.ndarray, np.ndarray]], total: int
) -> tuple[np.ndarray, np.ndarray]:
    """Unique ``(new_row, global_row)`` pairs, sorted, from lists of pair arrays."""
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    code = np.unique(np.concatenate([new * max(total, 1) + old for new, old in parts]))
    return code // max(total, 1), code % max(total, 1)


# ---------------------------------------------------------------------------- the index


class DedupIndex:
    """A persistent duplicate index (open it with :meth:`DedupIndex.open`).

    Readers see the state committed when they opened (they read the manifest
    once); one writer at a time holds ``PATH/lock`` from ``open(..., write=True)``
    until :meth:`close`, or for the body of a ``with idx.writing():`` block.

    >>> idx, units, tmp = _demo()
    >>> len(idx), idx.stats().segments, [r["run"] for r in idx.runs()]
    (6, 2, ['run-1', 'run-2'])
    >>> tmp.cleanup()
    """

    def __init__(self, path: Path, config: IndexConfig | None) -> None:
        self.path = path
        self._asked = config
        self.config: IndexConfig
        self._manifest: dict[str, Any] = {}
        self._segments: list[_Segment] = []
        self._bases = np.zeros(1, dtype=np.int64)
        self._lock: int | None = None
        self._staged: list[tuple[Path | None, str, int, int]] = []

    # -- opening, locking -------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        config: IndexConfig | None = None,
        *,
        create: bool = True,
        write: bool = False,
        wait: bool = True,
    ) -> DedupIndex:
        """Open (or create) the index at ``path``; refuse one built with another ``config``.

        ``config=None`` accepts the stored config (to inspect an index).  With
        ``write=True`` the write lock is taken (waiting for another writer, or
        raising :class:`IndexBusy` at once when ``wait=False``) and leftovers of
        an interrupted update are removed.

        >>> idx, units, tmp = _demo()
        >>> other = dataclasses.replace(idx.config, num_perm=64, ngram=3)
        >>> DedupIndex.open(idx.path, other)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        textwash.dedup.index.IndexMismatch: the duplicate index at ... was built with other options:
          ngram: stored 5, requested 3
          num_perm: stored 16, requested 64
        use a new index path for these options, or run with the options it was built with
        >>> DedupIndex.open(tmp.name + "/nothing", create=False)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        textwash.dedup.index.IndexCorrupt: .../nothing/manifest.json: no duplicate index here ...
        >>> tmp.cleanup()
        """
        idx = cls(Path(path), config)
        if write:
            idx._acquire(wait, create)
        try:
            idx._load(create)
            if write:
                idx._clean()
        except BaseException:
            idx.close()
            raise
        return idx

    def _acquire(self, wait: bool, create: bool) -> None:
        if fcntl is None:  # pragma: no cover
            raise OSError("writing a duplicate index needs fcntl.flock (POSIX)")
        try:
            if create:
                self.path.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        except (FileExistsError, NotADirectoryError):
            raise IndexCorrupt(self.path, "not a folder: an index is a folder") from None
        except FileNotFoundError:
            raise IndexCorrupt(self.path / "manifest.json", "no duplicate index here") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(fd)
            raise IndexBusy(self.path) from None
        self._lock = fd

    def _release(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # closing the descriptor drops the flock
            self._lock = None

    def _read_manifest(self) -> dict[str, Any] | None:
        path = self.path / "manifest.json"
        try:
            m = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as err:
            raise IndexCorrupt(path, f"unreadable manifest ({err})") from None
        if not isinstance(m, dict) or m.get("format") != _FORMAT:
            raise IndexCorrupt(path, "not a textwash duplicate index manifest")
        if m.get("version") != FORMAT_VERSION:
            raise IndexCorrupt(
                path,
                f"index format version {m.get('version')}, this textwash reads "
                f"{FORMAT_VERSION}: use a new index path or the textwash that wrote it",
            )
        if not all(
            isinstance(m.get(k), t)
            for k, t in (("config", dict), ("segments", list), ("runs", list), ("next", int))
        ):
            raise IndexCorrupt(path, "manifest lacks config, segments, runs or next")
        return m

    def _create(self) -> dict[str, Any]:
        if self._asked is None:
            raise ValueError(f"creating the index at {self.path} needs a config")
        held = self._lock is not None
        if not held:
            self._acquire(wait=True, create=True)
        try:
            m = self._read_manifest()  # another process may have created it meanwhile
            if m is None:
                allowed = {"lock", "segments", "manifest.json.tmp"}
                stray = [
                    p.name
                    for p in self.path.iterdir()
                    if p.name not in allowed and not p.name.startswith("tmp-")
                ]
                if stray or any((self.path / "segments").glob("*")):
                    raise IndexCorrupt(
                        self.path / "manifest.json",
                        "missing, but the folder is "
                        f"not empty ({sorted(stray)[:3]}...): not creating here",
                    )
                m = {
                    "format": _FORMAT,
                    "version": FORMAT_VERSION,
                    "config": dataclasses.asdict(self._asked),
                    "segments": [],
                    "runs": [],
                    "next": 1,
                }
                self._write_manifest(m)
            return m
        finally:
            if not held:
                self._release()

    def _load(self, create: bool) -> None:
        """Read the manifest and map its segments (retrying if a compaction removed them)."""
        for attempt in range(5):
            m = self._read_manifest()
            if m is None:
                if not create:
                    raise IndexCorrupt(
                        self.path / "manifest.json",
                        "no duplicate index here (the manifest is missing)",
                    )
                m = self._create()
            self._check(m["config"])
            try:
                self._map(m)
                return
            except FileNotFoundError as err:
                if self._lock is not None or attempt == 4:
                    raise IndexCorrupt(self.path, f"a listed segment is missing ({err})") from None
                time.sleep(0.05)

    def _check(self, stored: dict[str, Any]) -> None:
        self.config = checked_config(
            stored, self._asked, where=self.path / "manifest.json", name=self.path
        )

    def _map(self, m: dict[str, Any]) -> None:
        segments, base = [], 0
        for entry in m["segments"]:
            if not _valid_entry(entry):
                raise IndexCorrupt(self.path / "manifest.json", f"bad segment entry {entry!r}")
            folder = self.path / "segments" / entry["name"]
            segments.append(_Segment(folder, entry, base, self.config.bands))
            base += segments[-1].n
        self._manifest, self._segments = m, segments
        self._bases = np.array([0] + [s.base + s.n for s in segments], dtype=np.int64)

    def _clean(self) -> None:
        """Remove what an interrupted writer left (only ever called with the lock held)."""
        listed = {s.name for s in self._segments}
        leftovers = [*self.path.glob("tmp-*"), self.path / "manifest.json.tmp"]
        if (self.path / "segments").is_dir():
            leftovers += [p for p in (self.path / "segments").iterdir() if p.name not in listed]
        for p in leftovers:
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            elif p.exists():
                p.unlink()

    def close(self) -> None:
        """Drop uncommitted batches and release the write lock (if held).

        >>> idx, units, tmp = _demo()
        >>> idx.close(); idx.close()  # closing twice is fine
        >>> tmp.cleanup()
        """
        for folder, *_ in self._staged:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
        self._staged = []
        self._release()

    def __enter__(self) -> DedupIndex:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextlib.contextmanager
    def writing(self, *, wait: bool = True) -> Iterator[DedupIndex]:
        """Hold the write lock for the block; commit at its end (drop the batches on error).

        The manifest is read again once the lock is held, so batches committed
        by another writer meanwhile are kept (and visible to the queries).

        >>> idx, units, tmp = _demo()
        >>> reader = DedupIndex.open(idx.path)
        >>> idx.close()                               # _demo's writer lets go
        >>> with reader.writing():
        ...     reader.add("run-3", _toy_units(["子丑"], "c.txt", bands=4))
        >>> len(reader), len(DedupIndex.open(idx.path))
        (7, 7)
        >>> tmp.cleanup()
        """
        if self._lock is not None:
            raise RuntimeError(f"already writing the index at {self.path}")
        self._acquire(wait, create=False)
        try:
            self._load(create=False)
            self._clean()
            yield self
            self.commit()
        finally:
            self.close()

    # -- writing ----------------------------------------------------------------

    def _writer(self, what: str) -> None:
        if self._lock is None:
            raise RuntimeError(
                f"{what} needs the write lock: DedupIndex.open(..., write=True) or idx.writing()"
            )

    def add(self, run_id: str, units: IndexUnits, *, inputs: int | None = None) -> None:
        """Stage ``units`` as a new segment of run ``run_id``; :meth:`commit` publishes it.

        ``inputs`` (for the run log) defaults to the number of distinct doc ids.

        >>> idx, units, tmp = _demo()
        >>> idx.add("run-3", units)
        >>> len(idx), len(DedupIndex.open(idx.path))  # staged: not visible yet
        (6, 6)
        >>> idx.commit(); len(idx), len(DedupIndex.open(idx.path))
        (9, 9)
        >>> tmp.cleanup()
        """
        self._writer("add")
        if not run_id or not isinstance(run_id, str):
            raise ValueError("run_id must be a non-empty string")
        if units.band_keys.shape[1] != self.config.bands and len(units):
            raise ValueError(
                f"band_keys has {units.band_keys.shape[1]} bands, the index {self.config.bands}"
            )
        inputs = len(set(units.doc_id)) if inputs is None else inputs
        folder = None
        if len(units):
            folder = self.path / f"tmp-{secrets.token_hex(8)}"
            try:
                _write_segment(folder, _columns(units))
            except BaseException:
                shutil.rmtree(folder, ignore_errors=True)
                raise
        self._staged.append((folder, run_id, len(units), inputs))

    def commit(self) -> None:
        """Publish the staged batches atomically: rename them into ``segments/``, replace
        the manifest.  Killed at any point, the index keeps the old state or all of it.

        >>> idx, units, tmp = _demo()
        >>> idx.commit()  # nothing staged: nothing changes
        >>> sorted(p.name for p in (idx.path / "segments").iterdir())
        ['000001', '000002']
        >>> tmp.cleanup()
        """
        self._writer("commit")
        if not self._staged:
            return
        m = json.loads(json.dumps(self._manifest))
        (self.path / "segments").mkdir(exist_ok=True)
        _checkpoint("written")
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        for folder, run, n, inputs in self._staged:
            if folder is not None:
                name = f"{m['next']:06d}"
                m["next"] += 1
                os.rename(folder, self.path / "segments" / name)
                m["segments"].append({"name": name, "units": n, "runs": [[run, n]]})
            m["runs"].append({"run": run, "time": now, "inputs": inputs, "units": n})
        self._staged = []
        _fsync_dir(self.path / "segments")
        _fsync_dir(self.path)
        _checkpoint("renamed")
        self._write_manifest(m)
        self._map(m)

    def _write_manifest(self, m: dict[str, Any]) -> None:
        tmp = self.path / "manifest.json.tmp"
        _write(tmp, json.dumps(m, ensure_ascii=False, indent=1).encode("utf-8"))
        _checkpoint("manifest-tmp")
        os.replace(tmp, self.path / "manifest.json")
        _fsync_dir(self.path)
        _checkpoint("replaced")

    def compact(self) -> None:
        """Merge all segments into one (atomically, like :meth:`commit`); loads them in memory.

        >>> idx, units, tmp = _demo()
        >>> before = idx.units(range(6))
        >>> idx.compact()
        >>> idx.stats().segments, idx.units(range(6)) == before
        (1, True)
        >>> tmp.cleanup()
        """
        self._writer("compact")
        if self._staged:
            raise RuntimeError("commit the staged batches before compacting")
        if len(self._segments) < 2:
            return
        segs = self._segments
        for pages in (p for s in segs for p in s.maps.values()):
            _advise(pages, "SEQUENTIAL")  # all of it is read
        cat = {
            name: np.concatenate([s.a[name] for s in segs])
            for name in ("keys", "shapes", "shingles", "text", "meta")
        }
        bands = np.zeros((len(self), self.config.bands), dtype=np.uint64)
        for s in segs:
            for b in range(self.config.bands):
                bands[s.base + s.a["bands.rows"][b], b] = s.a["bands.sorted"][b]
        docs: dict[str, list[Any]] = {"doc_id": [], "source": []}
        shift = np.zeros(len(self), dtype=np.uint32)
        for s in segs:
            shift[s.base : s.base + s.n] = len(docs["doc_id"])
            for key in docs:
                docs[key] += s.docs[key]
        cat["meta"]["doc"] += shift
        for name, data in (("shingle_offsets", "shingles"), ("text_offsets", "text")):
            starts = np.cumsum([0] + [s.a[data].size for s in segs[:-1]])
            cat[name] = np.concatenate(
                [[0]] + [s.a[name][1:] + start for s, start in zip(segs, starts, strict=True)]
            ).astype(np.int64)
        runs: list[list[Any]] = []
        for s in segs:
            for run, count in zip(
                s.run_names, np.diff(s.run_ends, prepend=0).tolist(), strict=True
            ):
                if runs and runs[-1][0] == run:
                    runs[-1][1] += count
                else:
                    runs.append([run, count])
        folder = self.path / f"tmp-{secrets.token_hex(8)}"
        _write_segment(folder, {**cat, "band_keys": bands, "docs": docs})
        m = json.loads(json.dumps(self._manifest))
        name = f"{m['next']:06d}"
        m["next"] += 1
        os.rename(folder, self.path / "segments" / name)
        _fsync_dir(self.path / "segments")
        _fsync_dir(self.path)
        m["segments"] = [{"name": name, "units": len(self), "runs": runs}]
        self._write_manifest(m)
        self._map(m)
        self._clean()  # the old segments (readers that mapped them keep their mappings)

    # -- reading ----------------------------------------------------------------

    def __len__(self) -> int:
        return int(self._bases[-1])

    def runs(self) -> list[dict[str, Any]]:
        """The run log: ``run``, ``time`` (UTC), ``inputs`` and ``units`` of every batch added.

        >>> idx, units, tmp = _demo()
        >>> [(r["run"], r["units"], r["inputs"]) for r in idx.runs()]
        [('run-1', 3, 1), ('run-2', 3, 1)]
        >>> tmp.cleanup()
        """
        return [dict(r) for r in self._manifest["runs"]]

    def stats(self) -> IndexStats:
        """Units, segments, bytes of all files under the index folder, bytes per unit.

        >>> idx, units, tmp = _demo()
        >>> s = idx.stats()
        >>> s.units, s.segments, s.bytes > 0
        (6, 2, True)
        >>> tmp.cleanup()
        """
        size = sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())
        n = len(self)
        return IndexStats(n, len(self._segments), size, size / n if n else 0.0)

    def _digest_query(
        self, kind: str, digests: np.ndarray | Sequence[bytes]
    ) -> tuple[np.ndarray, np.ndarray]:
        q = as_digests(digests)
        prefix = q.view("<u8")[:, 0]
        order = np.argsort(prefix, kind="stable")
        parts = []
        for s in self._segments:
            column = s.column(f"{kind}.sorted", q.shape[0])
            new, old = _lookup(column, s.a[f"{kind}.rows"], prefix[order], order)
            same = (s.a[kind][old] == q[new]).all(axis=1)  # the other 8 bytes too
            parts.append((new[same], old[same] + s.base))
        return _pairs(parts, len(self))

    def exact(self, keys: np.ndarray | Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
        """``(new_row, global_row)`` pairs of identical exact-key digests, sorted.

        >>> idx, units, tmp = _demo()
        >>> [r.tolist() for r in idx.exact(units.keys)]  # both runs had the first text
        [[0, 0], [0, 3]]
        >>> tmp.cleanup()
        """
        return self._digest_query("keys", keys)

    def same_shape(self, shapes: np.ndarray | Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
        """``(new_row, global_row)`` pairs of identical shape digests, sorted.

        >>> idx, units, tmp = _demo()
        >>> [r.tolist() for r in idx.same_shape(units.shapes[:1])]
        [[0, 0], [0, 3]]
        >>> tmp.cleanup()
        """
        return self._digest_query("shapes", shapes)

    def candidates(self, band_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Unique ``(new_row, global_row)`` pairs sharing a key in any band, sorted.

        >>> idx, units, tmp = _demo()
        >>> new, old = idx.candidates(units.band_keys)  # 庚辛壬癸子丑 ~ 庚辛壬癸, 子丑寅卯辰, …
        >>> list(zip(new.tolist(), old.tolist()))
        [(0, 0), (0, 3), (1, 1), (1, 2), (1, 4)]
        >>> tmp.cleanup()
        """
        q = np.asarray(band_keys, dtype=np.uint64)
        if q.ndim != 2 or q.shape[1] != self.config.bands:
            raise ValueError(f"band_keys must be (m, {self.config.bands}), got {q.shape}")
        orders = [np.argsort(q[:, b], kind="stable") for b in range(self.config.bands)]
        parts = []
        for s in self._segments:
            column = s.column("bands.sorted", q.shape[0])
            for b, order in enumerate(orders):
                new, old = _lookup(column[b], s.a["bands.rows"][b], q[order, b], order)
                parts.append((new, old + s.base))
        return _pairs(parts, len(self))

    def _split(self, rows: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``rows`` as int64 and the segment holding each."""
        r = np.asarray(rows, dtype=np.int64).ravel()
        if r.size and (r.min() < 0 or r.max() >= len(self)):
            raise IndexError(f"global rows must be in 0..{len(self) - 1}")
        return r, np.searchsorted(self._bases, r, "right") - 1

    def shingles(self, rows: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The shingle hashes of global ``rows`` end to end (uint32), with ``len(rows) + 1`` bounds.

        >>> idx, units, tmp = _demo()
        >>> flat, at = idx.shingles([4, 0])  # 庚辛壬癸子 (4 bigrams), 甲乙丙丁戊己 (5)
        >>> at.tolist(), flat[4:].tolist() == units.shingles[:5].tolist()
        ([0, 4, 9], True)
        >>> tmp.cleanup()
        """
        r, seg = self._split(rows)
        lo, hi = np.zeros(r.size, dtype=np.int64), np.zeros(r.size, dtype=np.int64)
        for k in np.unique(seg):
            pick, at = seg == k, self._segments[k].a["shingle_offsets"]
            local = r[pick] - self._segments[k].base
            lo[pick], hi[pick] = at[local], at[local + 1]
        count = hi - lo
        bounds = np.concatenate([[0], np.cumsum(count)]).astype(np.int64)
        flat = np.zeros(int(bounds[-1]), dtype=np.uint32)
        for k in np.unique(seg):
            pick = np.flatnonzero(seg == k)
            first = np.cumsum(count[pick]) - count[pick]
            src = np.repeat(lo[pick] - first, count[pick]) + np.arange(int(count[pick].sum()))
            dst = np.repeat(bounds[pick] - first, count[pick]) + np.arange(src.size)
            flat[dst] = self._segments[k].a["shingles"][src]
        return flat, bounds

    def units(self, rows: Sequence[int] | np.ndarray) -> list[IndexedUnit]:
        """The units at global ``rows``: provenance, token count, run id and text.

        >>> idx, units, tmp = _demo()
        >>> u = idx.units([4])[0]
        >>> u.row, u.doc_id, u.source, u.line, u.run, u.text
        (4, 'b.txt', 'in/b.txt', 2, 'run-2', '庚辛壬癸子')
        >>> tmp.cleanup()
        """
        r, seg = self._split(rows)
        out: list[IndexedUnit | None] = [None] * r.size
        for k in np.unique(seg):
            s, pick = self._segments[k], np.flatnonzero(seg == k)
            local = r[pick] - s.base
            meta, docs, at = s.a["meta"][local], s.docs, s.a["text_offsets"]
            run = np.searchsorted(s.run_ends, local, "right")
            blob = s.a["text"]
            for i, m, row, lo, hi, ri in zip(
                pick.tolist(),
                meta.tolist(),
                r[pick].tolist(),
                at[local].tolist(),
                at[local + 1].tolist(),
                run.tolist(),
                strict=True,
            ):
                doc, line, end_line, tokens, start, end = m
                out[i] = IndexedUnit(
                    row,
                    docs["doc_id"][doc],
                    docs["source"][doc],
                    line,
                    end_line,
                    start,
                    end,
                    tokens,
                    s.run_names[ri],
                    blob[lo:hi].tobytes().decode("utf-8"),
                )
        return [u for u in out if u is not None]


# ---------------------------------------------------------------------------- examples


def _toy_units(texts: Sequence[str], doc_id: str, *, bands: int) -> IndexUnits:
    """Units of ``texts`` (one per line of ``doc_id``) with toy keys, for the examples.

    Shingles are character bigrams (crc32), band keys a one-row MinHash per band.
    """
    import hashlib

    grams = [
        sorted({zlib.crc32(t[i : i + 2].encode()) for i in range(max(len(t) - 1, 1))})
        for t in texts
    ]
    flat = np.array([g for gs in grams for g in gs], dtype=np.uint32)
    at = np.concatenate([[0], np.cumsum([len(g) for g in grams])]).astype(np.int64)
    mult = np.arange(1, 2 * bands, 2, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    band_keys = np.array(
        [(np.array(g, dtype=np.uint64)[:, None] * mult).min(axis=0) for g in grams]
    ).reshape(len(texts), bands)
    ends = np.cumsum([len(t) + 1 for t in texts])
    return IndexUnits(
        keys=as_digests([hashlib.blake2b(t.encode(), digest_size=16).digest() for t in texts]),
        shapes=as_digests(
            [hashlib.blake2b(str(len(t)).encode(), digest_size=16).digest() for t in texts]
        ),
        tokens=np.array([len(t) for t in texts]),
        band_keys=band_keys,
        shingles=flat,
        shingle_offsets=at,
        doc_id=[doc_id] * len(texts),
        source=[f"in/{doc_id}"] * len(texts),
        line=np.arange(1, len(texts) + 1),
        end_line=np.arange(1, len(texts) + 1),
        start=ends - [len(t) + 1 for t in texts],
        end=ends - 1,
        text=list(texts),
    )


def _demo() -> tuple[DedupIndex, IndexUnits, Any]:
    """A writer on a temporary index of two runs, and a third batch of units to query with."""
    import tempfile

    tmp = tempfile.TemporaryDirectory()
    config = IndexConfig(
        ngram=5,
        num_perm=16,
        seed=1,
        hash_scheme="affine32",
        bands=4,
        rows=4,
        unit="paragraph",
        drop_function_words=False,
        tokenizer="1",
    )
    idx = DedupIndex.open(Path(tmp.name) / "ix", config, write=True)
    idx.add("run-1", _toy_units(["甲乙丙丁戊己", "庚辛壬癸", "子丑寅卯辰"], "a.txt", bands=4))
    idx.commit()
    idx.add("run-2", _toy_units(["甲乙丙丁戊己", "庚辛壬癸子", "天地玄黄"], "b.txt", bands=4))
    idx.commit()
    return idx, _toy_units(["甲乙丙丁戊己", "庚辛壬癸子丑", "天地玄黄宇宙"], "c.txt", bands=4), tmp
