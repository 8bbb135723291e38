"""Ragged arrays kept on disk: memory that does not grow with the corpus.

:class:`SpilledRagged` has the reading API of :class:`~textwash.dedup.ragged.Ragged`
(``len``, ``[i]``, ``lengths()``, ``gather(rows)``, ``at``) but its rows live in
a file under a work folder: ``extend`` appends them there as they come, and
reads copy only the rows asked for into memory (``os.pread``, no memory map, so
what a scan has read is not held by the process afterwards; the operating
system's page cache keeps recently read parts fast).  Only the offsets stay in
memory: 8 bytes per row.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as d:
...     r = SpilledRagged(np.uint32, d + "/rows.u32")
...     r.extend(np.array([1, 2, 3, 4], dtype=np.uint32), [3, 0, 1])
...     r.freeze()
...     flat, bounds = r.gather([2, 0])
...     len(r), r[0].tolist(), r[1].tolist(), flat.tolist(), bounds.tolist()
...     r.close()
(3, [1, 2, 3], [], [4, 1, 2, 3], [0, 1, 4])
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from .ragged import gather_spans

__all__ = ["SpilledColumn", "SpilledRagged", "write_at"]

#: Rows whose stretch of the file is at most this many bytes are read in one call
#: (and the rows not asked for in between thrown away) rather than one call each.
_COALESCE_BYTES = 1 << 16
#: ... but one read covers at most this many bytes of the file: rows spread over a
#: whole file (one in sixteen, say) are read a block at a time, not all at once.
_READ_BYTES = 1 << 22


def _run_cuts(lo: np.ndarray, hi: np.ndarray, itemsize: int) -> np.ndarray:
    """Where to cut rows sorted by ``lo`` (their spans ``[lo, hi)`` in elements)
    into runs read in one call each: at gaps over :data:`_COALESCE_BYTES`, and
    wherever a run would reach past :data:`_READ_BYTES` from its start.

    >>> _run_cuts(np.array([0, 10, 100_000, 100_010]), np.array([5, 20, 100_005, 100_020]), 4)
    array([2])
    >>> _run_cuts(np.arange(0, 4_000_000, 1_000), np.arange(1, 4_000_001, 1_000), 4).size
    3
    """
    reach = np.maximum.accumulate(hi)
    gap = (lo[1:] - reach[:-1]) * itemsize
    cuts = np.flatnonzero(gap > _COALESCE_BYTES) + 1
    if not lo.size:
        return cuts
    bounds = np.concatenate([[0], cuts, [lo.size]])
    spans = (reach[bounds[1:] - 1] - lo[bounds[:-1]]) * itemsize
    wide = np.flatnonzero(spans > _READ_BYTES)
    if wide.size:  # split those runs where a row starts a block of _READ_BYTES on
        per = max(1, _READ_BYTES // itemsize)
        extra = []
        for k in wide.tolist():
            start, stop = int(bounds[k]), int(bounds[k + 1])
            while True:
                end = int(np.searchsorted(lo[start:stop], lo[start] + per, side="left")) + start
                end = max(end, start + 1)
                if end >= stop:
                    break
                extra.append(end)
                start = end
        cuts = np.union1d(cuts, np.asarray(extra, dtype=np.int64)).astype(np.int64)
    return cuts


def write_at(fd: int, data: bytes, offset: int) -> int:
    """Write all of ``data`` to ``fd`` at ``offset`` (``os.pwrite`` may write less
    than asked); returns the offset after it.

    >>> import tempfile
    >>> with tempfile.TemporaryFile() as f:
    ...     write_at(f.fileno(), b"abc", 2), os.pread(f.fileno(), 5, 0)
    (5, b'\\x00\\x00abc')
    """
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, offset)
        view, offset = view[n:], offset + n
    return offset


def _pread_exact(fd: int, want: int, offset: int, path: Path) -> bytearray:
    """``want`` bytes of ``fd`` at ``offset`` (``os.preadv`` may read less than asked)."""
    buf = bytearray(want)
    view = memoryview(buf)
    got = 0
    while got < want:
        n = os.preadv(fd, [view[got:]], offset + got)
        if n <= 0:
            raise OSError(f"{path}: short read at byte {offset + got}")
        got += n
    return buf


class _SpillFile:
    """A file of the work folder that is deleted when closed (or collected)."""

    __slots__ = ("_fd", "_path")

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self._path = Path(path)
        self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)

    def close(self) -> None:
        """Close and delete the file."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
            self._path.unlink(missing_ok=True)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):  # at interpreter shutdown the work folder goes anyway
            self.close()


class SpilledColumn(_SpillFile):
    """Fixed-width values (one NumPy dtype, maybe a record) appended to a file and
    read back by row: a column of every unit that costs no memory per row.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     c = SpilledColumn("S2", d + "/keys.s2")
    ...     c.append(np.array([b"ab", b"cd", b"ef"], dtype="S2"))
    ...     len(c), bytes(c[1]), c.take([2, 0, 2]).tolist(), c.read().tolist()
    ...     c.close()
    (3, b'cd', [b'ef', b'ab', b'ef'], [b'ab', b'cd', b'ef'])
    """

    __slots__ = ("_n", "dtype")

    def __init__(self, dtype: DTypeLike, path: str | os.PathLike[str]) -> None:
        super().__init__(path)
        self.dtype = np.dtype(dtype)
        self._n = 0

    def append(self, values: np.ndarray) -> None:
        """Append ``values`` (converted to the column's dtype)."""
        raw = np.ascontiguousarray(values, dtype=self.dtype).tobytes()
        write_at(self._fd, raw, self._n * self.dtype.itemsize)
        self._n += len(values)

    def __len__(self) -> int:
        return self._n

    def read(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Rows ``[start, stop)`` (all of them by default) in one read."""
        stop = self._n if stop is None else min(stop, self._n)
        if stop <= start:
            return np.zeros(0, dtype=self.dtype)
        size = self.dtype.itemsize
        buf = _pread_exact(self._fd, (stop - start) * size, start * size, self._path)
        return np.frombuffer(buf, dtype=self.dtype)

    def __getitem__(self, i: int) -> Any:
        if not 0 <= i < self._n:
            raise IndexError(f"row {i} out of range")
        return self.read(i, i + 1)[0]

    def take(self, rows: Sequence[int] | np.ndarray) -> np.ndarray:
        """The values of ``rows`` (in that order); neighbouring rows are read in one call."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.empty(rows.size, dtype=self.dtype)
        if not rows.size:
            return out
        order = np.argsort(rows, kind="stable")
        srt = rows[order]
        if srt[0] < 0 or srt[-1] >= self._n:
            raise IndexError("row out of range")
        cut = _run_cuts(srt, srt + 1, self.dtype.itemsize)
        for run in np.split(np.arange(srt.size), cut):
            first = int(srt[run[0]])
            block = self.read(first, int(srt[run[-1]]) + 1)
            out[order[run]] = block[srt[run] - first]
        return out


class SpilledRagged(_SpillFile):
    """Rows of varying length, appended to a file and read back on demand."""

    __slots__ = ("_dtype", "_lengths", "_written", "at")

    def __init__(self, dtype: DTypeLike, path: str | os.PathLike[str]) -> None:
        super().__init__(path)
        self._dtype = np.dtype(dtype)
        self._lengths: list[np.ndarray] = []
        self._written = 0  # elements
        self.at: np.ndarray = np.zeros(1, dtype=np.int64)

    def extend(self, data: np.ndarray, lengths: Sequence[int] | np.ndarray) -> None:
        """Append rows: ``data`` holds them end to end, ``lengths`` says where each ends."""
        lengths = np.asarray(lengths, dtype=np.int64)
        if int(lengths.sum()) != data.size:
            raise ValueError(f"row lengths add up to {int(lengths.sum())}, data has {data.size}")
        raw = np.ascontiguousarray(data, dtype=self._dtype).tobytes()
        write_at(self._fd, raw, self._written * self._dtype.itemsize)
        self._written += data.size
        self._lengths.append(lengths.astype(np.int32))  # a row is under 2**31 elements

    def freeze(self) -> None:
        """Make the appended rows readable (call after the last ``extend``)."""
        if self._lengths:
            n = sum(x.size for x in self._lengths)
            at = np.empty(self.at.size + n, dtype=np.int64)
            at[: self.at.size] = self.at
            k = self.at.size
            for part in self._lengths:  # no copy of all the lengths at once
                np.cumsum(part, out=at[k : k + part.size])
                at[k : k + part.size] += at[k - 1]
                k += part.size
            self.at = at
        self._lengths = []

    def __len__(self) -> int:
        return self.at.size - 1

    @property
    def nbytes(self) -> int:
        """Bytes of rows on disk."""
        return self._written * self._dtype.itemsize

    def _read(self, start: int, stop: int) -> np.ndarray:
        """Elements ``[start, stop)`` of the file."""
        size = self._dtype.itemsize
        buf = _pread_exact(self._fd, (stop - start) * size, start * size, self._path)
        return np.frombuffer(buf, dtype=self._dtype)

    def __getitem__(self, i: int) -> np.ndarray:
        return self._read(int(self.at[i]), int(self.at[i + 1]))

    def lengths(self) -> np.ndarray:
        """The length of every row."""
        return np.diff(self.at)

    def span(self, first: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows ``first .. stop - 1`` end to end in one read, with their bounds."""
        lo, hi = int(self.at[first]), int(self.at[stop])
        return self._read(lo, hi), self.at[first : stop + 1] - lo

    def gather(self, rows: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The chosen ``rows`` end to end, with their bounds (``len(rows) + 1`` offsets).

        Rows are read in file order, neighbouring ones in one call, whatever
        order they are asked in.
        """
        rows = np.asarray(rows, dtype=np.int64)
        lo, hi = self.at[rows], self.at[rows + 1]
        lens = hi - lo
        bounds = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
        out = np.empty(int(bounds[-1]), dtype=self._dtype)
        if not rows.size:
            return out, bounds
        order = np.argsort(lo, kind="stable")
        # runs of rows (in file order) close enough to read at once
        slo, shi = lo[order], hi[order]
        cut = _run_cuts(slo, shi, self._dtype.itemsize)
        for run in np.split(np.arange(order.size), cut):
            start, stop = int(slo[run[0]]), int(shi[run].max())
            block = self._read(start, stop)
            values, got = gather_spans(block, slo[run] - start, shi[run] - start)
            # where each value goes in ``out``: its row's place there, plus its offset
            r = order[run]
            out[np.repeat(bounds[r] - got[:-1], np.diff(got)) + np.arange(got[-1])] = values
        return out, bounds
