"""Stages **banding** and **verification** of near duplicates: candidate pairs
from MinHash LSH bands, each verified with the exact Jaccard similarity of the
two shingle sets, so LSH false positives never reach a report."""

from __future__ import annotations

import numpy as np
from datasketch import MinHashLSH

from .prepare import ProgressHook
from .signatures import to_lean_minhashes

#: How many LSH bands are indexed at a time (at least 2, as datasketch requires).
_BANDS_PER_PASS = 2

__all__ = ["jaccard", "lsh_pairs", "overlap"]


#: Signatures are wrapped as LeanMinHash objects this many at a time.
_LSH_BATCH = 20_000


def lsh_pairs(
    sigs: np.ndarray,
    keys: list[int],
    threshold: float,
    num_perm: int,
    seed: int,
    note: ProgressHook,
) -> tuple[set[tuple[int, int]], int, int]:
    """Candidate pairs ``(j, i)``, ``j < i``, sharing a bucket in some LSH band.

    datasketch chooses the bands and rows for ``threshold`` and indexes the
    signatures, but a few bands at a time: each pass is a ``MinHashLSH`` over
    a slice of the signatures (``params=(bands, rows)``), so the index holds
    one pass's buckets instead of all of them, and a pair is a candidate when
    it shares a bucket in any pass, as in one index of all the bands.  Each
    unit is queried before it is inserted, so each pair is found once.
    Returns the pairs, the number of bands and the rows per band.
    """
    probe = MinHashLSH(threshold=threshold, num_perm=num_perm)
    bands, rows = probe.b, probe.r
    del probe
    passes = [_BANDS_PER_PASS] * max(1, bands // _BANDS_PER_PASS)
    passes[-1] += bands - sum(passes)
    pairs: set[tuple[int, int]] = set()
    first = 0
    for n, width in enumerate(passes):
        lsh = MinHashLSH(num_perm=width * rows, params=(width, rows))
        part = sigs[:, first * rows : (first + width) * rows]
        first += width
        for b0 in range(0, len(keys), _LSH_BATCH):
            batch = keys[b0 : b0 + _LSH_BATCH]
            for i, mh in zip(
                batch, to_lean_minhashes(part[b0 : b0 + _LSH_BATCH], seed), strict=True
            ):
                for j in lsh.query(mh):
                    pairs.add((j, i))
                lsh.insert(i, mh, check_duplication=False)
            note("lsh", n * len(keys) + b0 + len(batch), len(passes) * len(keys))
        del lsh
    return pairs, bands, rows


def common(a: np.ndarray, b: np.ndarray) -> int:
    return int(np.intersect1d(a, b, assume_unique=True).size)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    if not a.size or not b.size:
        return 0.0
    inter = common(a, b)
    return inter / (a.size + b.size - inter)


def overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Overlap coefficient: the share of the smaller set inside the larger one."""
    if not a.size or not b.size:
        return 0.0
    return common(a, b) / min(a.size, b.size)
