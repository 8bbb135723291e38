"""MinHash LSH banding in NumPy: exactly ``datasketch.MinHashLSH``'s candidate pairs.

``MinHashLSH`` with ``b`` bands of ``r`` rows puts a signature in bucket
``bytes(hashvalues[k*r:(k+1)*r])`` of band ``k``, and two units are candidates
when they share a bucket in at least one band.  This module does the same on
the ``(n, num_perm)`` uint32 signature matrix of
:func:`textwash.dedup.signatures.signatures`, without a Python object per unit:

* :func:`lsh_params` -- the ``(bands, rows)`` datasketch picks for a threshold;
* :func:`band_keys` -- one 64-bit key per unit and band, equal for equal band
  slices;
* :func:`candidate_pairs` -- the pairs ``(j, i)``, ``j < i``, that share a key
  in some band (sort each band's keys, pair up each run of equal keys);
* :func:`cross_pairs` -- the pairs ``(old, new)`` between units already indexed
  and new ones (sort the old keys, ``searchsorted`` the new ones).

Different band slices get the same key with probability about ``2**-64``;
given the signatures, the pair functions confirm every run of equal keys
against the slices themselves, so the pairs are exactly datasketch's.

>>> import numpy as np
>>> sigs = np.array([[1, 2, 3, 4], [1, 2, 9, 9], [5, 6, 3, 4], [7, 7, 7, 7]], dtype=np.uint32)
>>> keys = band_keys(sigs, bands=2, rows=2)
>>> candidate_pairs(keys, sigs, rows=2).tolist()  # 0 and 1 share band 0, 0 and 2 band 1
[[0, 1], [0, 2]]
>>> cross_pairs(keys[2:], keys[:2], sigs[2:], sigs[:2], rows=2).tolist()
[[0, 0]]
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from .keys import splitmix64_finalize

__all__ = ["band_keys", "candidate_pairs", "cross_pairs", "lsh_params"]

_U64 = np.uint64
_MASK64 = (1 << 64) - 1
#: Per value of a band: ``h = (h ^ v) * _MUL; h ^= h >> 29``; then SplitMix64's finalizer.
_MUL = _U64(0x9E3779B97F4A7C15)
_SHIFT = _U64(29)
#: Keys hashed at once in :func:`band_keys` (512 KiB of uint64, stays in cache).
_KEYS_PER_CHUNK = 1 << 16
#: Signature values compared at once when pairs are confirmed against slices.
_VALUES_PER_CHUNK = 1 << 20


@lru_cache(maxsize=64)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """The ``(bands, rows)`` ``MinHashLSH(threshold=threshold, num_perm=num_perm)`` uses.

    datasketch's grid search with its default weights (false positives and
    false negatives alike), cached.  ``bands * rows`` may be less than
    ``num_perm``: the last values of a signature then belong to no band.

    >>> lsh_params(0.7, 128)
    (14, 9)
    >>> lsh_params(0.9, 128)
    (5, 25)
    """
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return int(lsh.b), int(lsh.r)


def _start(rows: int) -> int:
    """The initial hash of a band of ``rows`` values (SplitMix64 of ``rows``)."""
    z = (rows + 0x9E3779B97F4A7C15) & _MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK64
    return z ^ (z >> 31)


def band_keys(
    sigs: NDArray[np.uint32], bands: int, rows: int, *, chunk: int | None = None
) -> NDArray[np.uint64]:
    """A 64-bit key of each unit's every band: an ``(n, bands)`` uint64 array.

    Band ``k`` of row ``u`` is ``sigs[u, k*rows:(k+1)*rows]``, as in datasketch's
    ``hashranges``.  Its key is a fixed arithmetic hash of those values (not of
    their bytes), so it is the same on every platform and may be stored.  Equal
    slices give equal keys; different slices collide with probability about
    ``2**-64``, and :func:`candidate_pairs` and :func:`cross_pairs` confirm
    equality when given the signatures.  ``chunk`` units are hashed at a time
    (default: about ``2**16 // bands``, so scratch stays small); it does not
    change the keys.

    >>> import numpy as np
    >>> sigs = np.array([[1, 2, 3, 4], [1, 2, 4, 3], [0, 0, 3, 4]], dtype=np.uint32)
    >>> keys = band_keys(sigs, 2, 2)
    >>> keys.shape, keys.dtype.name
    ((3, 2), 'uint64')
    >>> [len(set(keys[:, k].tolist())) for k in range(2)]  # distinct keys per band
    [2, 2]
    >>> bool((band_keys(sigs, 2, 2, chunk=1) == keys).all())
    True
    """
    sigs = np.asarray(sigs)
    if sigs.ndim != 2:
        raise ValueError(f"expected an (n, num_perm) array, got shape {sigs.shape}")
    bands, rows = int(bands), int(rows)
    if bands < 0 or rows < 1 or bands * rows > sigs.shape[1]:
        raise ValueError(f"{bands} bands of {rows} rows do not fit {sigs.shape[1]} values")
    if sigs.dtype.kind != "u" or sigs.dtype.itemsize != 4:
        raise TypeError(f"signatures must be uint32, got dtype {sigs.dtype}")
    n = sigs.shape[0]
    out = np.empty((n, bands), dtype=np.uint64)
    if not n or not bands:
        return out
    step = max(1, _KEYS_PER_CHUNK // bands) if chunk is None else int(chunk)
    if step < 1:
        raise ValueError(f"chunk must be positive, got {chunk!r}")
    start = _U64(_start(rows))
    h = np.empty((min(step, n), bands), dtype=np.uint64)
    tmp = np.empty_like(h)
    for u0 in range(0, n, step):
        u1 = min(u0 + step, n)
        # (rows, units, bands): each value of the bands is one contiguous pass
        x = sigs[u0:u1, : bands * rows].reshape(u1 - u0, bands, rows).transpose(2, 0, 1)
        x = np.ascontiguousarray(x)
        hc, tc = h[: u1 - u0], tmp[: u1 - u0]
        hc.fill(start)
        for j in range(rows):
            np.bitwise_xor(hc, x[j], out=hc)
            hc *= _MUL
            np.right_shift(hc, _SHIFT, out=tc)
            hc ^= tc
        splitmix64_finalize(hc, tc)
        out[u0:u1] = hc
    return out


def _check_keys(keys: NDArray[np.uint64], what: str) -> NDArray[np.uint64]:
    keys = np.asarray(keys)
    if keys.ndim != 2 or keys.dtype != np.uint64:
        raise ValueError(f"{what} must be an (n, bands) uint64 array")
    return keys


def _check_sigs(
    sigs: NDArray[np.uint32] | None, keys: NDArray[np.uint64], rows: int | None, what: str
) -> NDArray[np.uint32] | None:
    if sigs is None:
        return None
    sigs = np.asarray(sigs)
    if rows is None:
        raise ValueError("rows is needed to compare signatures")
    if sigs.ndim != 2 or sigs.shape[0] != keys.shape[0] or sigs.shape[1] < keys.shape[1] * rows:
        raise ValueError(f"{what} of shape {sigs.shape} do not match keys of shape {keys.shape}")
    return sigs


def _equal(
    a: NDArray[np.uint32],
    a_rows: NDArray[np.int64],
    b: NDArray[np.uint32],
    b_rows: NDArray[np.int64],
    cols: slice,
) -> NDArray[np.bool_]:
    """Whether ``a[a_rows[t], cols]`` equals ``b[b_rows[t], cols]``, for each ``t``."""
    out = np.empty(a_rows.size, dtype=bool)
    width = max(1, (cols.stop or 0) - (cols.start or 0))
    step = max(1, _VALUES_PER_CHUNK // width)
    for t0 in range(0, a_rows.size, step):
        t1 = t0 + step
        out[t0:t1] = (a[a_rows[t0:t1], cols] == b[b_rows[t0:t1], cols]).all(axis=1)
    return out


def _runs(sorted_keys: NDArray[np.uint64]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """For each position of ``sorted_keys``: the id of its run of equal keys and where it starts."""
    new = np.empty(sorted_keys.size, dtype=bool)
    new[:1] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=new[1:])
    run = np.cumsum(new, dtype=np.int64) - 1
    return run, np.flatnonzero(new)[run]


def _expand(
    first: NDArray[np.int64], counts: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Pairs ``(t, first[t] + q)`` for every ``t`` and ``0 <= q < counts[t]``, as two arrays."""
    total = int(counts.sum())
    ends = np.cumsum(counts)
    owner = np.repeat(np.arange(counts.size, dtype=np.int64), counts)
    partner = np.arange(total, dtype=np.int64) + np.repeat(first - (ends - counts), counts)
    return owner, partner


def _as_pairs(codes: NDArray[np.int64], base: int) -> NDArray[np.int64]:
    out = np.empty((codes.size, 2), dtype=np.int64)
    np.floor_divide(codes, base, out=out[:, 0])
    np.remainder(codes, base, out=out[:, 1])
    return out


class _Union:
    """A sorted set of int64 codes, merged in rounds so memory stays O(result + one round)."""

    def __init__(self, floor: int) -> None:
        self.codes = np.zeros(0, dtype=np.int64)
        self.pending: list[NDArray[np.int64]] = []
        self.size = 0
        self.floor = floor

    def add(self, codes: NDArray[np.int64]) -> None:
        self.pending.append(codes)
        self.size += codes.size
        if self.size > max(self.codes.size, self.floor):
            self.merge()

    def merge(self) -> NDArray[np.int64]:
        if self.pending:
            self.codes = np.unique(np.concatenate([self.codes, *self.pending]))
            self.pending, self.size = [], 0
        return self.codes


def candidate_pairs(
    keys: NDArray[np.uint64],
    sigs: NDArray[np.uint32] | None = None,
    rows: int | None = None,
) -> NDArray[np.int64]:
    """The pairs of units sharing a key in at least one band: an ``(m, 2)`` int64 array.

    Each pair ``(j, i)`` of row indices of ``keys`` (from :func:`band_keys`)
    has ``j < i``; the pairs are unique and sorted.  Given the signatures
    ``sigs`` and the ``rows`` of a band, a pair counts in a band only if its
    two band slices are equal, so the result is exactly the pairs a
    ``MinHashLSH`` with those bands and rows finds (one unit queried against
    the others), hash collisions or not.

    One band at a time: its keys are sorted and every run of equal keys gives
    all its pairs (quadratic in the run, like a datasketch bucket).  Memory
    beyond ``keys`` is O(n + pairs).

    >>> import numpy as np
    >>> keys = np.array([[5, 1], [6, 1], [5, 2], [5, 3]], dtype=np.uint64)
    >>> candidate_pairs(keys).tolist()
    [[0, 1], [0, 2], [0, 3], [2, 3]]
    >>> candidate_pairs(keys[:0]).shape
    (0, 2)
    """
    keys = _check_keys(keys, "keys")
    sigs = _check_sigs(sigs, keys, rows, "signatures")
    n, bands = keys.shape
    found = _Union(n)
    for k in range(bands):
        column = np.ascontiguousarray(keys[:, k])
        order = np.argsort(column)
        run, first = _runs(column[order])
        pos = np.arange(n, dtype=np.int64)
        a, b = _expand(first, pos - first)  # each position with every earlier one of its run
        if sigs is not None and rows is not None:
            cols = slice(k * rows, (k + 1) * rows)
            later = np.flatnonzero(first != pos)
            same = _equal(sigs, order[later], sigs, order[first[later]], cols)
            if not same.all():  # a collision: check the pairs of the mixed runs one by one
                mixed = np.zeros(n, dtype=bool)
                mixed[run[later[~same]]] = True
                check = np.flatnonzero(mixed[run[a]])
                keep = np.ones(a.size, dtype=bool)
                keep[check] = _equal(sigs, order[a[check]], sigs, order[b[check]], cols)
                a, b = a[keep], b[keep]
        j, i = order[a], order[b]
        found.add(np.minimum(i, j) * n + np.maximum(i, j))
    return _as_pairs(found.merge(), max(n, 1))


def cross_pairs(
    new_keys: NDArray[np.uint64],
    old_keys: NDArray[np.uint64],
    new_sigs: NDArray[np.uint32] | None = None,
    old_sigs: NDArray[np.uint32] | None = None,
    rows: int | None = None,
) -> NDArray[np.int64]:
    """The pairs ``(old, new)`` of an old and a new unit sharing a key in some band.

    ``old_keys`` are the :func:`band_keys` of units already indexed (say, by
    earlier runs), ``new_keys`` those of the units to look up; the result is
    an ``(m, 2)`` int64 array of row indices into each, unique and sorted.
    These are the pairs across the two parts that :func:`candidate_pairs`
    finds on both together.  Given both signature arrays and ``rows``, only
    pairs whose band slices are equal count, as in ``MinHashLSH.query``.

    One band at a time: the old keys are sorted and each new key's run of
    equal old keys is found with ``searchsorted``.  Memory beyond the keys is
    O(old + new + pairs).

    >>> import numpy as np
    >>> old = np.array([[5, 1], [6, 1]], dtype=np.uint64)
    >>> new = np.array([[6, 2], [7, 1], [8, 8]], dtype=np.uint64)
    >>> cross_pairs(new, old).tolist()
    [[0, 1], [1, 0], [1, 1]]
    """
    new_keys = _check_keys(new_keys, "new_keys")
    old_keys = _check_keys(old_keys, "old_keys")
    if new_keys.shape[1] != old_keys.shape[1]:
        raise ValueError(f"old keys have {old_keys.shape[1]} bands, new {new_keys.shape[1]}")
    if (new_sigs is None) != (old_sigs is None):
        raise ValueError("give the signatures of both the old and the new units, or neither")
    new_sigs = _check_sigs(new_sigs, new_keys, rows, "new signatures")
    old_sigs = _check_sigs(old_sigs, old_keys, rows, "old signatures")
    n_new, bands = new_keys.shape
    n_old = old_keys.shape[0]
    found = _Union(n_new + n_old)
    for k in range(bands):
        column = np.ascontiguousarray(old_keys[:, k])
        order = np.argsort(column)
        ordered = column[order]
        column = np.ascontiguousarray(new_keys[:, k])
        new_order = np.argsort(column)
        needles = column[new_order]  # sorted needles: searchsorted walks the keys once
        lo = np.searchsorted(ordered, needles, side="left").astype(np.int64)
        hi = np.searchsorted(ordered, needles, side="right").astype(np.int64)
        owner, at = _expand(lo, hi - lo)
        new = new_order[owner]
        if new_sigs is not None and old_sigs is not None and rows is not None:
            cols = slice(k * rows, (k + 1) * rows)
            # a new unit's pairs are sure if it equals the first old unit of its run
            # and every old unit of that run equals the first one
            hit = np.flatnonzero(hi > lo)
            ok = np.zeros(n_new, dtype=bool)
            ok[hit] = _equal(new_sigs, new_order[hit], old_sigs, order[lo[hit]], cols)
            run, first = _runs(ordered)
            pure = np.ones(int(run[-1]) + 1 if n_old else 0, dtype=bool)
            touched = np.zeros_like(pure)
            touched[run[lo[hit]]] = True
            later = np.flatnonzero(touched[run] & (first != np.arange(n_old)))
            same = _equal(old_sigs, order[later], old_sigs, order[first[later]], cols)
            pure[run[later[~same]]] = False
            ok[hit] &= pure[run[lo[hit]]]
            check = np.flatnonzero(~ok[owner])
            keep = np.ones(new.size, dtype=bool)
            keep[check] = _equal(new_sigs, new[check], old_sigs, order[at[check]], cols)
            new, at = new[keep], at[keep]
        found.add(order[at] * n_new + new)
    return _as_pairs(found.merge(), max(n_new, 1))
