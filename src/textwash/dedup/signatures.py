"""Vectorised MinHash signatures, bit-identical to datasketch's ``"affine32"`` scheme.

datasketch 2.0 computes one signature at a time: for a unit with shingle
hashes ``h`` (32-bit ints, here ``zlib.crc32`` values fed through an identity
``hashfunc``) it pre-mixes every hash with the 32-bit MurmurHash3 finalizer
``fmix32``, applies ``num_perm`` affine permutations ``a_k * x + b_k mod 2**32``
(``a_k`` odd, so each is a bijection) and keeps the minimum per permutation;
an empty unit keeps the all-``0xFFFFFFFF`` initial value.  The parameters
``a_k, b_k`` come from ``numpy.random.RandomState(seed)``.

This module does the same arithmetic for a whole batch of units at once: the
hashes of all units are concatenated, the ``num_perm x shingles`` matrix of
permuted values is built in fixed-size pieces (uint32 wraparound *is* the
modulo), and ``np.minimum.reduceat`` takes the per-unit minima.  The result is
an ``(n_units, num_perm)`` uint32 array whose rows equal
``MinHash(num_perm=num_perm, seed=seed, hashfunc=identity).hashvalues`` after
``update_batch`` with the unit's hashes; :func:`to_lean_minhashes` wraps the
rows as :class:`datasketch.LeanMinHash` objects for ``MinHashLSH``.

>>> sigs = signatures([{1, 2, 3}, set(), {7}], num_perm=4, seed=1)
>>> sigs.shape, sigs.dtype.name
((3, 4), 'uint32')
>>> [int(v) for v in sigs[1]] == [0xFFFFFFFF] * 4  # an empty unit
True
>>> from datasketch import MinHash
>>> m = MinHash(num_perm=4, seed=1, hashfunc=int)
>>> m.update_batch([1, 2, 3])
>>> bool((m.hashvalues == sigs[0]).all())
True
"""

from __future__ import annotations

import array
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "EMPTY_HASH",
    "SCHEME",
    "permutations",
    "signatures",
    "signatures_from_flat",
    "to_lean_minhashes",
]

#: The datasketch permutation scheme these signatures reproduce.
SCHEME = "affine32"
#: Hash value of every permutation for a unit without shingles (datasketch's
#: initial ``hashvalues``; also its ``is_empty()`` sentinel).
EMPTY_HASH = np.uint32(0xFFFFFFFF)

#: Permuted values computed at once: 2**21 uint32 = 8 MiB of scratch (plus a
#: few 64 KiB vectors), which stays in cache and keeps per-piece overhead small.
_PIECE_ELEMENTS = 1 << 21

_U32 = np.uint32
_FMIX_M1 = _U32(0x85EBCA6B)
_FMIX_M2 = _U32(0xC2B2AE35)
_S16 = _U32(16)
_S13 = _U32(13)

# array.array("I") is the fastest way from Python ints to packed uint32 (with
# range checking); "I" is 4 bytes on every mainstream platform, "L" elsewhere.
_ARRAY_CODE = "I" if array.array("I").itemsize == 4 else "L"

# LeanMinHash keeps exactly these three slots (datasketch 2.0); if a later version
# adds state, to_lean_minhashes falls back to the public constructor.
_FAST_LEAN = set(getattr(LeanMinHash, "__slots__", ())) == {"hashvalues", "scheme", "seed"}


@lru_cache(maxsize=32)
def _permutations(num_perm: int, seed: int) -> tuple[NDArray[np.uint32], NDArray[np.uint32]]:
    gen = np.random.RandomState(seed)
    # Same draws, in the same order, as datasketch.MinHash._init_permutations for
    # "affine32": odd multipliers a in [1, 2**32), offsets b in [0, 2**32).
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * _U32(2) + _U32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    a.flags.writeable = False
    b.flags.writeable = False
    return a, b


def permutations(
    num_perm: int = 128, seed: int = 1
) -> tuple[NDArray[np.uint32], NDArray[np.uint32]]:
    """The ``(a, b)`` affine permutation parameters datasketch draws for ``"affine32"``.

    Cached per ``(num_perm, seed)``; the arrays are read-only and equal
    ``MinHash(num_perm=num_perm, seed=seed).permutations`` row for row.

    >>> a, b = permutations(8, seed=1)
    >>> a.dtype.name, a.shape, bool((a % 2 == 1).all())
    ('uint32', (8,), True)
    >>> permutations(8, seed=1)[0] is a
    True
    """
    num_perm = _check_num_perm(num_perm)
    return _permutations(num_perm, int(seed))


def _check_num_perm(num_perm: int) -> int:
    n = int(num_perm)
    if n != num_perm or n < 1:
        raise ValueError(f"num_perm must be a positive integer, got {num_perm!r}")
    return n


def _fmix32_inplace(h: NDArray[np.uint32], tmp: NDArray[np.uint32]) -> None:
    """MurmurHash3's 32-bit finalizer on ``h`` in place (``tmp``: scratch of the same size)."""
    np.right_shift(h, _S16, out=tmp)
    h ^= tmp
    h *= _FMIX_M1
    np.right_shift(h, _S13, out=tmp)
    h ^= tmp
    h *= _FMIX_M2
    np.right_shift(h, _S16, out=tmp)
    h ^= tmp


def signatures(
    shingle_sets: Iterable[Iterable[int]], *, num_perm: int = 128, seed: int = 1
) -> NDArray[np.uint32]:
    """MinHash signatures of many units at once, bit-identical to datasketch ``"affine32"``.

    ``shingle_sets`` holds one iterable of 32-bit shingle hashes (ints in
    ``[0, 2**32)``, e.g. the ``set[int]`` from :func:`textwash.dedup.keys.shingles`)
    per unit; sets need not be sorted and duplicates are harmless.  Row ``i`` of
    the ``(n_units, num_perm)`` uint32 result equals the ``hashvalues`` of
    ``MinHash(num_perm=num_perm, seed=seed, hashfunc=lambda x: x)`` after
    ``update_batch(shingle_sets[i])`` (scheme ``"affine32"``, the datasketch 2.0
    default); a unit without shingles gets ``0xFFFFFFFF`` everywhere.

    Raises :class:`ValueError` for a hash outside ``[0, 2**32)`` and
    :class:`TypeError` for one that is not an integer.

    >>> sigs = signatures([{17, 4}, [4, 17, 17]], num_perm=16, seed=3)
    >>> bool((sigs[0] == sigs[1]).all())
    True
    >>> signatures([], num_perm=16).shape
    (0, 16)
    >>> signatures([[-1]])
    Traceback (most recent call last):
    ...
    ValueError: shingle hashes must be integers in [0, 2**32) (unit 0)
    """
    num_perm = _check_num_perm(num_perm)
    if isinstance(shingle_sets, np.ndarray) and shingle_sets.ndim == 2:
        # a rectangular array: one unit per row
        n_units, width = shingle_sets.shape
        flat = _as_uint32(shingle_sets.reshape(-1), "shingle hashes")
        offsets = np.arange(n_units + 1, dtype=np.int64) * width
        return signatures_from_flat(flat, offsets, num_perm=num_perm, seed=seed)
    buf = array.array(_ARRAY_CODE)
    ends = [0]
    for i, unit in enumerate(shingle_sets):
        try:
            if isinstance(unit, np.ndarray):
                buf.frombytes(_as_uint32(unit.reshape(-1), "shingle hashes").tobytes())
            else:
                # fromlist is the fast path (~30 ns a hash, vs ~38 for extend(set))
                buf.fromlist(unit if type(unit) is list else list(unit))
        except (OverflowError, ValueError) as err:
            raise ValueError(f"shingle hashes must be integers in [0, 2**32) (unit {i})") from err
        except TypeError as err:
            raise TypeError(f"shingle hashes must be integers (unit {i}): {err}") from err
        ends.append(len(buf))
    flat = np.frombuffer(buf, dtype=np.uint32) if len(buf) else np.empty(0, dtype=np.uint32)
    return signatures_from_flat(flat, np.array(ends, dtype=np.int64), num_perm=num_perm, seed=seed)


def _as_uint32(values: ArrayLike, what: str) -> NDArray[np.uint32]:
    arr = np.asarray(values)
    if arr.dtype == np.uint32:
        return arr
    if arr.size == 0:
        return arr.astype(np.uint32)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{what} must be an integer array, got dtype {arr.dtype}")
    if int(arr.min()) < 0 or int(arr.max()) > 0xFFFFFFFF:
        raise ValueError(f"{what} must be integers in [0, 2**32)")
    return arr.astype(np.uint32)


def signatures_from_flat(
    hashes: ArrayLike, offsets: ArrayLike, *, num_perm: int = 128, seed: int = 1
) -> NDArray[np.uint32]:
    """:func:`signatures` for units given as one flat hash array plus offsets (CSR layout).

    Unit ``i`` has the shingle hashes ``hashes[offsets[i]:offsets[i + 1]]``;
    ``offsets`` starts at 0, never decreases and ends at ``len(hashes)``.  This
    is the entry point for shingles hashed with NumPy: no Python int is
    touched, and it runs about twice as fast as :func:`signatures` on sets.
    Memory beyond the input and the result is bounded whatever the batch or
    unit size: 8 MiB of scratch (``num_perm * 4`` bytes per hash in a piece
    of ``2**21 // num_perm`` hashes).

    >>> import numpy as np
    >>> flat = np.array([1, 2, 3, 7], dtype=np.uint32)
    >>> a = signatures_from_flat(flat, [0, 3, 3, 4], num_perm=4)
    >>> bool((a == signatures([{1, 2, 3}, set(), {7}], num_perm=4)).all())
    True
    """
    num_perm = _check_num_perm(num_perm)
    h = _as_uint32(hashes, "hashes").reshape(-1)
    off = np.asarray(offsets)
    if off.ndim != 1 or off.size == 0 or off.dtype.kind not in "iu":
        raise ValueError("offsets must be a non-empty 1-d integer array")
    off = off.astype(np.int64, copy=False)
    if off[0] != 0 or off[-1] != h.size or (off.size > 1 and bool((np.diff(off) < 0).any())):
        raise ValueError("offsets must start at 0, never decrease and end at len(hashes)")
    n_units = off.size - 1
    a, b = _permutations(num_perm, int(seed))
    lengths = np.diff(off)
    nonempty = np.flatnonzero(lengths)
    if nonempty.size == n_units:
        out = np.full((n_units, num_perm), EMPTY_HASH, dtype=np.uint32)
        _minhash_into(out, h, off[:-1], a, b)
        return out
    # empty units contribute no hashes: compute the others, leave these at the sentinel
    dense = np.full((nonempty.size, num_perm), EMPTY_HASH, dtype=np.uint32)
    if nonempty.size:
        _minhash_into(dense, h, off[nonempty], a, b)
    out = np.full((n_units, num_perm), EMPTY_HASH, dtype=np.uint32)
    out[nonempty] = dense
    return out


def _minhash_into(
    out: NDArray[np.uint32],
    h: NDArray[np.uint32],
    starts: NDArray[np.int64],
    a: NDArray[np.uint32],
    b: NDArray[np.uint32],
) -> None:
    """Lower ``out[u]`` to the minimum permuted value of ``h[starts[u]:starts[u + 1]]``.

    ``starts`` is strictly increasing with ``starts[0] == 0`` (no empty unit).  The
    hashes are processed in pieces of at most ``_PIECE_ELEMENTS // num_perm``
    values whatever the unit boundaries: a unit spanning two pieces is finished
    by the ``np.minimum`` with its partial result from the previous piece.
    """
    num_perm = a.size
    total = h.size
    rows = max(1, _PIECE_ELEMENTS // num_perm)
    piece = np.empty(min(rows, total), dtype=np.uint32)
    tmp = np.empty_like(piece)
    scratch = np.empty(num_perm * piece.size, dtype=np.uint32)
    a_col = a[:, None]
    b_col = b[:, None]
    for p0 in range(0, total, rows):
        p1 = min(p0 + rows, total)
        n = p1 - p0
        x = piece[:n]
        x[...] = h[p0:p1]
        _fmix32_inplace(x, tmp[:n])
        # units overlapping [p0, p1): u0 starts at or before p0, u1 is the first after
        u0 = int(np.searchsorted(starts, p0, side="right")) - 1
        u1 = int(np.searchsorted(starts, p1, side="left"))
        seg = starts[u0:u1] - p0
        seg[0] = 0
        phv = scratch[: num_perm * n].reshape(num_perm, n)
        np.multiply(a_col, x, out=phv)  # uint32 arithmetic wraps: this is mod 2**32
        np.add(phv, b_col, out=phv)
        mins = np.minimum.reduceat(phv, seg, axis=1)  # (num_perm, u1 - u0)
        block = out[u0:u1]
        np.minimum(block, mins.T, out=block)


def to_lean_minhashes(sigs: ArrayLike, seed: int = 1) -> list[LeanMinHash]:
    """Wrap each row of a :func:`signatures` array as a :class:`datasketch.LeanMinHash`.

    The objects carry ``scheme="affine32"`` and ``seed``, so ``MinHashLSH``
    ``insert``/``query`` accept them, index them in the same buckets as
    datasketch's own ``MinHash`` objects, and refuse to mix them with
    ``"legacy"`` sketches; ``jaccard`` works against datasketch ``MinHash``
    objects built with the same seed.  The rows share one read-only copy of
    ``sigs``.  ``seed`` must be the seed the signatures were computed with.

    >>> from datasketch import MinHash, MinHashLSH
    >>> lean = to_lean_minhashes(signatures([{1, 2, 3}, {1, 2, 3}], num_perm=16), seed=1)
    >>> lean[0].scheme, len(lean[0]), lean[0] == lean[1]
    ('affine32', 16, True)
    >>> lsh = MinHashLSH(threshold=0.5, num_perm=16)
    >>> lsh.insert("a", lean[0])
    >>> lsh.query(lean[1])
    ['a']
    """
    arr = np.asarray(sigs)
    if arr.ndim != 2 or arr.shape[1] < 1:
        raise ValueError(f"expected an (n_units, num_perm) array, got shape {arr.shape}")
    if arr.dtype != np.uint32:
        arr = _as_uint32(arr, "signatures")
    # one private, read-only, native-endian C-contiguous copy; rows are views of it
    arr = np.array(arr, dtype=np.uint32, order="C", copy=True)
    arr.flags.writeable = False
    seed = int(seed)
    if not _FAST_LEAN:
        return [LeanMinHash(seed=seed, hashvalues=row, scheme=SCHEME) for row in arr]
    out: list[LeanMinHash] = []
    append = out.append
    new = object.__new__
    for row in arr:
        # what LeanMinHash(seed=seed, hashvalues=row, scheme="affine32") stores, without
        # re-validating and copying every row (8x faster; the array was checked above)
        lmh = new(LeanMinHash)
        lmh.seed = seed
        lmh.scheme = SCHEME
        lmh.hashvalues = row
        append(lmh)
    return out
