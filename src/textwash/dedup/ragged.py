"""Ragged arrays: one NumPy array per unit, stored end to end.

A corpus has hundreds of thousands of units, and a NumPy array object costs
about 100 bytes before its first element, so per-unit arrays are laid end to
end in one array with an offsets array beside it (the layout of a CSR matrix).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
from numpy.typing import DTypeLike

__all__ = ["PairKernel", "Ragged", "gather_rows", "gather_spans", "pair_masks"]

#: A check of pairs of rows: row ``k`` of ``a`` against row ``k`` of ``b`` (each
#: ``(flat, bounds)``, as :meth:`Ragged.gather` gives them) at a threshold, one
#: boolean per row.
PairKernel = Callable[
    [tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], float], np.ndarray
]


class _Rows(Protocol):
    def gather(self, rows: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...


def pair_masks(
    rows: _Rows, kernel: PairKernel, pairs: np.ndarray, threshold: float, chunk: int
) -> np.ndarray:
    """``kernel`` over the ``(n, 2)`` row ``pairs`` of ``rows`` (a :class:`Ragged` or a
    spilled one), ``chunk`` pairs read and checked at a time: one boolean a pair.

    >>> r = Ragged(np.uint32)
    >>> r.extend(np.array([1, 2, 3, 1, 2, 9], dtype=np.uint32), [3, 3])
    >>> r.freeze()
    >>> same = lambda a, b, t: (np.diff(a[1]) == np.diff(b[1])) & (np.diff(a[1]) >= t)
    >>> pair_masks(r, same, np.array([[0, 1], [1, 1], [0, 0]]), 3, chunk=2).tolist()
    [True, True, True]
    """
    out = np.zeros(len(pairs), dtype=bool)
    for c0 in range(0, len(pairs), chunk):
        part = pairs[c0 : c0 + chunk]
        a, b = rows.gather(part[:, 0]), rows.gather(part[:, 1])
        out[c0 : c0 + len(part)] = kernel(a, b, threshold)
    return out


def gather_rows(
    data: np.ndarray, at: np.ndarray, rows: Sequence[int] | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``data[at[r]:at[r + 1]]`` for each ``r`` in ``rows``, end to end, with their bounds.

    >>> data, at = np.array([5, 6, 7, 8]), np.array([0, 2, 2, 4])
    >>> flat, bounds = gather_rows(data, at, [2, 1, 0])
    >>> flat.tolist(), bounds.tolist()
    ([7, 8, 5, 6], [0, 2, 2, 4])
    """
    rows = np.asarray(rows, dtype=np.int64)
    return gather_spans(data, at[rows], at[rows + 1])


def gather_spans(data: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spans ``data[lo[i]:hi[i]]``, end to end, with their bounds.

    >>> flat, bounds = gather_spans(np.array([5, 6, 7, 8]), np.array([1, 0]), np.array([3, 1]))
    >>> flat.tolist(), bounds.tolist()
    ([6, 7, 5], [0, 2, 3])
    """
    lens = np.asarray(hi, dtype=np.int64) - lo
    bounds = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    first = np.repeat(lo - bounds[:-1], lens)
    return data[first + np.arange(bounds[-1])], bounds


class Ragged:
    """Rows of varying length, appended in batches and read back as views.

    >>> r = Ragged(np.uint32)
    >>> r.extend(np.array([1, 2, 3, 4], dtype=np.uint32), [3, 0, 1])
    >>> r.freeze()
    >>> len(r), r[0].tolist(), r[1].tolist(), r[2].tolist(), r.lengths().tolist()
    (3, [1, 2, 3], [], [4], [3, 0, 1])
    >>> flat, bounds = r.gather([2, 0])
    >>> flat.tolist(), bounds.tolist()
    ([4, 1, 2, 3], [0, 1, 4])
    """

    __slots__ = ("_data", "_dtype", "_lengths", "_parts", "at", "data")

    def __init__(self, dtype: DTypeLike) -> None:
        self._dtype = np.dtype(dtype)
        self._parts: list[np.ndarray] = []
        self._lengths: list[np.ndarray] = []
        self.data: np.ndarray = np.zeros(0, dtype=self._dtype)
        self.at: np.ndarray = np.zeros(1, dtype=np.int64)

    def extend(self, data: np.ndarray, lengths: Sequence[int] | np.ndarray) -> None:
        """Append rows: ``data`` holds them end to end, ``lengths`` says where each ends."""
        lengths = np.asarray(lengths, dtype=np.int64)
        if int(lengths.sum()) != data.size:
            raise ValueError(f"row lengths add up to {int(lengths.sum())}, data has {data.size}")
        self._parts.append(np.asarray(data, dtype=self._dtype))
        self._lengths.append(lengths)

    def freeze(self) -> None:
        """Join the appended batches into one array (call once, after the last ``extend``)."""
        if self._parts:
            self.data = np.concatenate([self.data, *self._parts])
            lengths = np.concatenate(self._lengths)
            start = self.at[-1]
            self.at = np.concatenate([self.at, start + np.cumsum(lengths)])
        self._parts, self._lengths = [], []

    def __len__(self) -> int:
        return self.at.size - 1

    def __getitem__(self, i: int) -> np.ndarray:
        return self.data[self.at[i] : self.at[i + 1]]

    def lengths(self) -> np.ndarray:
        """The length of every row."""
        return np.diff(self.at)

    def gather(self, rows: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The chosen ``rows`` end to end, with their bounds (``len(rows) + 1`` offsets)."""
        return gather_rows(self.data, self.at, rows)
