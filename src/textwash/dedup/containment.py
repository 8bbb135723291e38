"""Stage **containment**: a unit whose 3-grams (function characters left out)
mostly reappear in a much longer unit is attached to the span there that holds
them; comparable units one inside the other (a sentence added or deleted) are
joined as copies.  Candidates come from prefix filtering over posting lists,
all in NumPy."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from .keys import ngram_hashes
from .prepare import (
    CONTAINMENT_NGRAM,
    MIN_CONTAINMENT_TOKENS,
    ProgressHook,
    UnitArrays,
    content_tokens,
)
from .ragged import Ragged, gather_spans
from .spill import SpilledRagged
from .table import UnitTable
from .unionfind import UnionFind
from .verify import Verifier, common, overlap

__all__ = ["Contained", "candidate_pairs", "find_containment"]


@dataclass(frozen=True)
class Contained:
    """Unit ``inner`` found inside unit ``outer`` at ``[start, end)`` of its cleaned document."""

    inner: int
    outer: int
    start: int
    end: int
    score: float


#: Query units are taken in chunks holding about this many shingles.
_QUERY_CHUNK = 1_000_000


#: Candidate pairs are expanded from the posting lists about this many at a time
#: (about 40 bytes each while they are counted; a run ends at a unit boundary).
_EXPAND_LIMIT = 8_000_000


#: Shingles looked up beyond the prefix that guarantees one hit (fewer hits are dropped).
_PREFIX_EXTRA = 2


#: Prefix shingles held by more units than this are assumed to hit, not looked up:
#: the expansion of such posting lists grows with the square of the corpus (1 GB: 1,481 s
#: of containment without this bound, against 22 s for 100 MB).
_FREQUENT = 200


def candidate_pairs(
    sets: Ragged | SpilledRagged,
    rows: np.ndarray,
    sizes: np.ndarray,
    query: np.ndarray,
    threshold: float,
    extra: int = _PREFIX_EXTRA,
    frequent: int = _FREQUENT,
) -> np.ndarray:
    """Pairs ``(a, b)`` where ``b`` might hold ``threshold`` of ``a``'s shingles.

    Prefix filtering, all in NumPy: order every shingle by how many units hold
    it (rarest first).  If ``b`` holds at least ``threshold`` of ``a``'s ``m``
    shingles, it holds at least ``1 + extra`` of ``a``'s
    ``floor((1 - threshold) * m) + 1 + extra`` rarest ones, so only those need
    looking up, and pairs with fewer hits there are dropped; no pair above the
    threshold is missed.  ``sets[i]`` are unit ``i``'s sorted unique shingle
    hashes, ``rows[i]`` says whether unit ``i`` takes part at all, ``sizes[i]``
    is its length (``b`` must be at least as long as ``a``) and ``query[i]``
    whether ``a = i`` is looked for.  Returns an ``(n, 2)`` array sorted by
    ``a`` then ``b``.

    Memory: the posting lists take 8 bytes per (unit, shingle) entry, and
    16 while they are sorted; the queries go a chunk of units at a time.
    Prefix shingles held by more than ``frequent`` units are not expanded,
    which keeps the expansion from growing with the square of the corpus: for
    a pair the other prefix shingles found, they are looked up in the other
    unit's own set, and count when it holds them.  A pair is then missed only
    when every prefix shingle its two units share is that common.
    """
    taking_part = np.flatnonzero(rows)
    lengths = sets.lengths()
    # the posting lists: (shingle, unit) packed in one uint64, sorted in place
    total = int(lengths[taking_part].sum())
    if not total:
        return np.zeros((0, 2), dtype=np.int64)
    # Units are numbered by size, so that each posting list is sorted by size
    # and a query skips, in every list, the units shorter than itself.
    by_size = taking_part[np.lexsort((taking_part, sizes[taking_part]))]
    rank_of = np.zeros(len(lengths), dtype=np.uint64)
    rank_of[by_size] = np.arange(by_size.size, dtype=np.uint64)
    sorted_sizes = sizes[by_size]
    packed = np.empty(total, dtype=np.uint64)
    pos = 0
    for chunk in _chunks(taking_part, lengths, _QUERY_CHUNK):
        hashes, bounds = sets.gather(chunk)
        end = pos + hashes.size
        packed[pos:end] = hashes
        packed[pos:end] <<= np.uint64(32)
        packed[pos:end] |= np.repeat(rank_of[chunk], np.diff(bounds))
        pos = end
    del rank_of
    packed.sort()
    posting_rank = (packed & np.uint64(0xFFFFFFFF)).astype(np.int32)
    packed >>= np.uint64(32)
    new_group = np.empty(packed.size + 1, dtype=bool)
    new_group[0] = new_group[-1] = True
    np.not_equal(packed[1:], packed[:-1], out=new_group[1:-1])
    # shingle k is held by the units ranked posting_rank[starts[k]:starts[k + 1]]
    starts = np.flatnonzero(new_group).astype(np.int64)
    del new_group
    shingle = packed[starts[:-1]].astype(np.uint32)
    del packed
    df_of = np.diff(starts)

    prefix_len = np.floor((1.0 - threshold) * lengths + 1e-9).astype(np.int64) + 1 + extra
    # a unit whose prefix is all of it needs ceil(threshold * m) hits, at least 1
    need = np.maximum(1 + extra - np.maximum(prefix_len - lengths, 0), 1)
    found: list[np.ndarray] = []
    for chunk in _chunks(np.flatnonzero(rows & query), lengths, _QUERY_CHUNK):
        hashes, bounds = sets.gather(chunk)
        unit = np.repeat(chunk, np.diff(bounds))
        group = _lookup(shingle, hashes)
        df = df_of[group]
        # Shingles no other unit holds come first in every prefix and find
        # nothing: count them per unit, then rank the shared ones by (df, shingle)
        # (a unit's hashes are sorted already, so a stable sort keeps that order).
        shared = df > 1
        single = np.bincount(unit[~shared] - chunk[0], minlength=chunk[-1] - chunk[0] + 1)
        unit, group, df = unit[shared], group[shared], df[shared]
        order = np.argsort(unit << 32 | df, kind="stable")
        unit, group, df = unit[order], group[order], df[order]
        first = np.searchsorted(unit, unit, side="left")
        rank = np.arange(unit.size) - first
        keep = rank < prefix_len[unit] - single[unit - chunk[0]]
        unit, group, df = unit[keep], group[keep], df[keep]
        # A prefix shingle held by more than `frequent` units is not expanded:
        # it is looked up in the set of each candidate the other shingles find.
        common = df > frequent
        span = chunk[-1] - chunk[0] + 1
        assumed = np.bincount(unit[common] - chunk[0], minlength=span)
        common_unit, common_hash = unit[common], shingle[group[common]]
        unit, group, df = unit[~common], group[~common], df[~common]
        # Every posting of every prefix shingle, as (a, b) pairs with their hits,
        # for runs of units expanding to about _EXPAND_LIMIT pairs (all of a
        # unit's hits in one run): memory stays bounded at any corpus size.
        expansion = np.bincount(unit - chunk[0], weights=df, minlength=span)
        for run in _chunks(np.unique(unit) - chunk[0], expansion, _EXPAND_LIMIT):
            i0 = int(np.searchsorted(unit, run[0] + chunk[0], side="left"))
            i1 = int(np.searchsorted(unit, run[-1] + chunk[0], side="right"))
            ua, ga = unit[i0:i1], group[i0:i1]
            # in each list, from the first unit at least as long as a
            shortest = np.searchsorted(sorted_sizes, sizes[ua], side="left")
            lo = _lower_bound(posting_rank, starts[ga], starts[ga + 1], shortest)
            ranks, bounds = gather_spans(posting_rank, lo, starts[ga + 1])
            b = by_size[ranks]
            a = np.repeat(ua, np.diff(bounds))
            ok = a != b
            key, hits = np.unique(a[ok] << 32 | b[ok], return_counts=True)
            a = key >> 32
            sure = hits >= need[a]
            # short of hits but for the common prefix shingles: look those up in b's set
            maybe = ~sure & (hits + assumed[a - chunk[0]] >= need[a])
            if maybe.any():
                b = key[maybe] & 0xFFFFFFFF
                extra_hits = _held(sets, b, a[maybe], common_unit, common_hash)
                sure[maybe] = hits[maybe] + extra_hits >= need[a[maybe]]
            found.append(key[sure])
    key = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
    return np.stack([key >> 32, key & 0xFFFFFFFF], axis=1)


def _lower_bound(
    values: np.ndarray, lo: np.ndarray, hi: np.ndarray, target: np.ndarray
) -> np.ndarray:
    """For each ``i``: the first position in ``values[lo[i]:hi[i]]`` (sorted) not
    below ``target[i]``, or ``hi[i]`` — all the binary searches at once.

    >>> v = np.array([1, 3, 5, 2, 4])
    >>> _lower_bound(v, np.array([0, 0, 3]), np.array([3, 3, 5]), np.array([3, 9, 3])).tolist()
    [1, 3, 4]
    """
    left = np.asarray(lo, dtype=np.int64).copy()
    right = np.asarray(hi, dtype=np.int64).copy()
    while True:
        active = np.flatnonzero(left < right)
        if not active.size:
            return left
        mid = (left[active] + right[active]) // 2
        below = values[mid] < target[active]
        left[active[below]] = mid[below] + 1
        right[active[~below]] = mid[~below]


def _held(
    sets: Ragged | SpilledRagged,
    b: np.ndarray,
    a: np.ndarray,
    owner: np.ndarray,
    hashes: np.ndarray,
) -> np.ndarray:
    """For each pair ``(a[i], b[i])``: how many of ``a[i]``'s ``hashes`` are in ``sets[b[i]]``.

    ``owner`` (sorted) says whose each of ``hashes`` is.  Each row of ``sets``
    is sorted, so all the lookups go as one vectorised binary search.

    >>> r = Ragged(np.uint32)
    >>> r.extend(np.array([1, 5, 9, 2, 5], dtype=np.uint32), [3, 2])
    >>> r.freeze()
    >>> _held(r, np.array([0, 1]), np.array([7, 7]), np.array([7, 7, 8]),
    ...       np.array([5, 9, 1], dtype=np.uint32)).tolist()
    [2, 1]
    """
    lo = np.searchsorted(owner, a, side="left")
    n = np.searchsorted(owner, a, side="right") - lo
    pair = np.repeat(np.arange(a.size), n)
    starts = np.repeat(lo - np.concatenate([[0], np.cumsum(n)[:-1]]), n)
    wanted = hashes[starts + np.arange(pair.size)]
    # each b's row read once (the rows may be on disk), then searched where it landed
    rows, which = np.unique(b, return_inverse=True)
    data, bounds = sets.gather(rows)
    row = which.ravel()[pair]
    end = bounds[row + 1]
    left = _lower_bound(data, bounds[row], end, wanted)
    inside = left < end
    hit = np.zeros(pair.size, dtype=bool)
    hit[inside] = data[left[inside]] == wanted[inside]
    return np.bincount(pair, weights=hit, minlength=a.size).astype(np.int64)


def _lookup(sorted_keys: np.ndarray, needles: np.ndarray) -> np.ndarray:
    """``np.searchsorted(sorted_keys, needles)``, with the needles sorted first.

    Sorted needles search a large array in order, from where the previous one
    landed, instead of jumping about it: for 10 million needles into 30
    million keys, 1.9 s instead of 13.7 s on this machine.

    >>> _lookup(np.array([10, 20, 30]), np.array([30, 10, 20, 25]))
    array([2, 0, 1, 2])
    """
    order = np.argsort(needles, kind="stable")
    out = np.empty(needles.size, dtype=np.intp)
    out[order] = np.searchsorted(sorted_keys, needles[order])
    return out


def _chunks(units: np.ndarray, lengths: np.ndarray, size: int) -> list[np.ndarray]:
    """``units`` cut into runs whose ``lengths`` add up to about ``size`` each."""
    if not units.size:
        return []
    ends = np.cumsum(lengths[units])
    cuts = np.searchsorted(ends, np.arange(size, int(ends[-1]), size), side="left") + 1
    return [c for c in np.split(units, np.unique(cuts)) if c.size]


def find_containment(
    items: UnitTable,
    arrays: UnitArrays,
    uf: UnionFind,
    threshold: float,
    ratio: float,
    near_threshold: float,
    *,
    note: ProgressHook,
    verifier: Verifier | None = None,
) -> tuple[list[Contained], int]:
    """Passages inside much longer units, and comparable units one inside the other.

    The second kind (a sentence added or deleted) is joined in ``uf`` directly
    when the near-duplicate shingles of the shorter unit lie ``near_threshold``
    inside the other's, or when ``verifier`` finds the shorter one in the other
    despite scattered wrong characters (OCR, retyping); their number is
    returned with the passages.
    """
    n = CONTAINMENT_NGRAM
    # One unit stands for each group of exact and near copies found so far: its
    # copies would find the same passages, and copies of the longer unit are
    # already reported as copies of it.
    rep = uf.roots() == np.arange(len(items))
    long_enough = items.n_tokens >= MIN_CONTAINMENT_TOKENS
    sizes = arrays.cont_size
    candidates = candidate_pairs(arrays.cont_set, rep, sizes, rep & long_enough, threshold)
    found: list[Contained] = []
    overlaps = 0
    for k, (a, b) in enumerate(candidates.tolist()):
        if k % 1000 == 0:
            note("containment", k + 1, len(candidates))
        if uf.find(a) == uf.find(b):
            continue
        sh_a = arrays.cont_set[a]
        if common(sh_a, arrays.cont_set[b]) < threshold * sh_a.size:
            continue
        len_a, len_b = sizes[a], sizes[b]
        if len_b < ratio * len_a:
            shared = overlap(arrays.shingles[a], arrays.shingles[b]) >= near_threshold
            if shared or (verifier is not None and verifier.near(a, b)):
                uf.union(a, b)
                overlaps += 1
            continue
        # where in the outer unit: its content tokens again, from the cleaned text
        outer = items[b]
        content, toks = content_tokens(outer.clean, outer.unit.clean_start, outer.unit.clean_end)
        hashes_b = ngram_hashes(toks.ids[content], n, whole=False)
        where = np.nonzero(np.isin(hashes_b, sh_a))[0]
        matched = list(zip(where.tolist(), hashes_b[where].tolist(), strict=True))
        t0, t1, found_here = _best_window(matched, int(1.5 * len_a) + n)
        score = found_here / sh_a.size
        if score >= threshold:
            last = content[min(t1 + n - 1, content.size - 1)]
            start, end = int(toks.start[content[t0]]), int(toks.end[last])
            found.append(Contained(a, b, start, end, round(score, 4)))
        elif verifier is not None and verifier.near(a, b):  # not one stretch: sentences deleted
            uf.union(a, b)
            overlaps += 1
    return found, overlaps


def _best_window(matched: list[tuple[int, int]], width: int) -> tuple[int, int, int]:
    """The stretch of at most ``width`` positions holding the most distinct shingles.

    ``matched`` is ``(position, shingle)`` in order; returns the first and last
    matched position inside the best stretch and how many distinct shingles it
    holds.  This keeps a containing span tight even when common 3-grams of the
    contained unit also occur elsewhere in the longer one.
    """
    best = (matched[0][0], matched[0][0], 1)
    counts: Counter[int] = Counter()
    lo = 0
    for pos, h in matched:
        counts[h] += 1
        while pos - matched[lo][0] > width:
            old = matched[lo][1]
            counts[old] -= 1
            if not counts[old]:
                del counts[old]
            lo += 1
        if len(counts) > best[2]:
            best = (matched[lo][0], pos, len(counts))
    # the shortest stretch that still holds that many distinct shingles
    need = best[2]
    counts.clear()
    lo = 0
    for pos, h in matched:
        counts[h] += 1
        while len(counts) >= need:
            if pos - matched[lo][0] < best[1] - best[0]:
                best = (matched[lo][0], pos, need)
            old = matched[lo][1]
            counts[old] -= 1
            if not counts[old]:
                del counts[old]
            lo += 1
    return best
