"""candidate_pairs at scale: the same pairs as the in-memory version whatever the
memory budget, with the posting lists on disk and the arrays within the budget.

The reference below is ``candidate_pairs`` as it was before it went through
files (commit eb71ef3): one posting array of every (shingle, unit) entry in
memory.  The external-memory version must return the very same array for any
budget, from a :class:`Ragged` or a :class:`SpilledRagged`.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from textwash.dedup import containment
from textwash.dedup.containment import candidate_pairs
from textwash.dedup.ragged import Ragged, gather_spans
from textwash.dedup.spill import SpilledRagged

# -- the reference: the in-memory implementation as committed in eb71ef3 --------

_PREFIX_EXTRA = 2
_FREQUENT = 200


_QUERY_CHUNK = 1_000_000


_EXPAND_LIMIT = 8_000_000


def reference_pairs(
    sets: Ragged | SpilledRagged,
    rows: np.ndarray,
    sizes: np.ndarray,
    query: np.ndarray,
    threshold: float,
    extra: int = _PREFIX_EXTRA,
    frequent: int = _FREQUENT,
) -> np.ndarray:
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
    order = np.argsort(needles, kind="stable")
    out = np.empty(needles.size, dtype=np.intp)
    out[order] = np.searchsorted(sorted_keys, needles[order])
    return out


def _chunks(units: np.ndarray, lengths: np.ndarray, size: int) -> list[np.ndarray]:
    if not units.size:
        return []
    ends = np.cumsum(lengths[units])
    cuts = np.searchsorted(ends, np.arange(size, int(ends[-1]), size), side="left") + 1
    return [c for c in np.split(units, np.unique(cuts)) if c.size]


# -- inputs ----------------------------------------------------------------------


def corpus(seed: int) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """Random unit sets: a few shingles most units hold, a long tail, long and
    short and empty units, exact copies and planted passages of other units; the
    sizes tie often and differ from the set lengths."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(60, 260))
    vocab = int(rng.choice([300, 3_000, 100_000]))
    spread = bool(seed % 2)  # hashes over all of uint32, or small numbers only
    sets = []
    for _ in range(n):
        m = int(rng.choice([0, 2, 5, 30, 80, 400], p=[0.05, 0.1, 0.15, 0.35, 0.3, 0.05]))
        head = rng.integers(0, 12, size=m // 4)  # held by most units: above `frequent`
        tail = np.floor(vocab * rng.random(m) ** 3).astype(np.int64)  # skewed
        sets.append(np.unique(np.concatenate([head, tail])))
    for k in range(0, n, 3):  # passages: most of another unit, a few shingles more
        src = sets[int(rng.integers(n))]
        part = src[rng.random(src.size) < rng.uniform(0.5, 1.0)]
        sets[k] = np.unique(np.concatenate([part, rng.integers(0, vocab, 3)]))
    for k in range(1, n, 17):  # exact copies
        sets[k] = sets[int(rng.integers(n))].copy()
    if spread:
        sets = [np.unique((s * 2654435761 + 40503) % 2**32) for s in sets]
    sets = [s.astype(np.uint32) for s in sets]
    sizes = np.array([s.size for s in sets]) + rng.integers(0, 3, n)
    rows = rng.random(n) < 0.9
    query = rng.random(n) < 0.8
    return sets, sizes, rows, query


def ragged(sets: list[np.ndarray]) -> Ragged:
    r = Ragged(np.uint32)
    r.extend(np.concatenate(sets), [s.size for s in sets])
    r.freeze()
    return r


def spilled(sets: list[np.ndarray], path: Path) -> SpilledRagged:
    r = SpilledRagged(np.uint32, path)
    half = len(sets) // 2
    for batch in (sets[:half], sets[half:]):
        r.extend(np.concatenate([np.zeros(0, np.uint32), *batch]), [s.size for s in batch])
    r.freeze()
    return r


# -- tests -----------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("kind", ["ragged", "spilled"])
def test_the_same_pairs_as_in_memory_whatever_the_budget(seed, kind, tmp_path):
    sets, sizes, rows, query = corpus(seed)
    r = ragged(sets)
    s = r if kind == "ragged" else spilled(sets, tmp_path / "rows.u32")
    threshold = [0.6, 0.3, 0.8, 0.95][seed % 4]
    frequent = [200, 3, 20][seed % 3]
    want = reference_pairs(r, rows, sizes, rows & query, threshold, frequent=frequent)
    assert want.size, "no pairs: the comparison would prove little"
    for memory in (None, 1_000, 20_000):
        got = candidate_pairs(
            s,
            rows,
            sizes,
            rows & query,
            threshold,
            frequent=frequent,
            work_dir=tmp_path,
            memory=memory,
        )
        assert got.dtype == want.dtype and got.shape == want.shape, memory
        assert np.array_equal(got, want), memory
    assert sorted(p.name for p in tmp_path.iterdir()) == (["rows.u32"] if kind == "spilled" else [])


def test_a_one_byte_budget_gives_the_same_pairs(tmp_path):
    """1 byte: a chunk of units is one unit, a part a shingle or two.  On the first 60
    units of corpus(1) (83 pairs, common shingles at ``frequent=3``): the cost grows
    with the number of pieces, and the whole corpus took 23 s for the same paths."""
    sets, sizes, rows, query = (x[:60] for x in corpus(1))
    s = spilled(sets, tmp_path / "rows.u32")
    want = reference_pairs(ragged(sets), rows, sizes, rows & query, 0.3, frequent=3)
    assert want.size, "no pairs: the comparison would prove little"
    got = candidate_pairs(
        s, rows, sizes, rows & query, 0.3, frequent=3, work_dir=tmp_path, memory=1
    )
    assert got.dtype == want.dtype and got.shape == want.shape
    assert np.array_equal(got, want)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rows.u32"]


def test_a_tiny_budget_cuts_the_work_into_many_pieces(monkeypatch, tmp_path):
    """Every piece of the work is cut small, and the pairs stay the same."""
    sets, sizes, rows, query = corpus(3)
    s = spilled(sets, tmp_path / "rows.u32")
    written: dict[str, set[int]] = {}
    folders: set[Path] = set()
    append = containment._Passes._append

    def spy(self, kind, i, values):
        written.setdefault(kind, set()).add(i)
        folders.add(Path(self.folder))
        append(self, kind, i, values)

    monkeypatch.setattr(containment._Passes, "_append", spy)
    got = candidate_pairs(
        s, rows, sizes, rows & query, 0.3, frequent=10, work_dir=tmp_path, memory=3_000
    )
    want = reference_pairs(ragged(sets), rows, sizes, rows & query, 0.3, frequent=10)
    assert np.array_equal(got, want)
    # parts of the shingle space, ranges of query units, stretches of rows
    assert len(written["hash"]) > 50 and len(written["query"]) > 20
    assert len(written["hits"]) > 50 and len(written["common"]) > 50
    assert len(written["lookup"]) > 50 and len(written["held"]) > 50
    # the scratch folder was under work_dir, and is gone
    assert [f.parent for f in folders] == [tmp_path] and not any(f.exists() for f in folders)


def test_parts_scattered_in_groups_give_the_same_pairs_on_less_disk(monkeypatch, tmp_path):
    """Groups of parts scattered one after the other (a read of the sets each):
    the same pairs, and a scratch folder that never holds every posting at once."""
    sets, sizes, rows, query = corpus(5)
    s = spilled(sets, tmp_path / "rows.u32")
    want = reference_pairs(ragged(sets), rows, sizes, rows & query, 0.6, frequent=20)
    append = containment._Passes._append
    scatter = containment._Passes.scatter

    def run(share: float) -> tuple[int, int]:
        peak, groups = [0], [0]

        def spy(self, kind, i, values):
            append(self, kind, i, values)
            used = sum(f.stat().st_size for f in Path(self.folder).iterdir())
            peak[0] = max(peak[0], used)

        def count_groups(self, p0, p1):
            groups[0] += 1
            scatter(self, p0, p1)

        monkeypatch.setattr(containment, "_SCATTER_SHARE", share)
        monkeypatch.setattr(containment._Passes, "_append", spy)
        monkeypatch.setattr(containment._Passes, "scatter", count_groups)
        got = candidate_pairs(
            s, rows, sizes, rows & query, 0.6, frequent=20, work_dir=tmp_path, memory=20_000
        )
        assert np.array_equal(got, want), share
        return groups[0], peak[0]

    one, whole = run(1e9)
    many, grouped = run(0.05)
    postings = int(sum(sets[i].size for i in np.flatnonzero(rows)))
    assert one == 1 and many > 5
    assert whole >= 8 * postings  # every posting's shingle and rank at once
    assert grouped < whole - 2 * postings, (grouped, whole, postings)


def test_no_unit_takes_part():
    sets, sizes, _, _ = corpus(0)
    none = np.zeros(len(sets), dtype=bool)
    assert candidate_pairs(ragged(sets), none, sizes, none, 0.6).shape == (0, 2)
    empty = [np.zeros(0, np.uint32)] * 5
    assert candidate_pairs(ragged(empty), ~none[:5], np.zeros(5), ~none[:5], 0.6).shape == (0, 2)


def test_memory_stays_within_the_budget(tmp_path):
    """30,000 units of 40 shingles: 1.2 million postings, 10 MB sorted in memory
    before; within a budget of 1 MB now, beside a few bytes per unit."""
    rng = np.random.default_rng(5)
    n, m = 30_000, 40
    flat = np.floor(2_000_000 * rng.random(n * m) ** 2).astype(np.uint32)
    unit = np.repeat(np.arange(n, dtype=np.uint64), m)
    key = np.unique(unit << np.uint64(32) | flat)
    lengths = np.bincount((key >> np.uint64(32)).astype(np.int64), minlength=n)
    sets = SpilledRagged(np.uint32, tmp_path / "rows.u32")
    sets.extend((key & np.uint64(0xFFFFFFFF)).astype(np.uint32), lengths)
    sets.freeze()
    del flat, unit, key
    everyone = np.ones(n, dtype=bool)
    budget = 1 << 20
    tracemalloc.start()
    try:
        got = candidate_pairs(
            sets, everyone, lengths, everyone, 0.6, work_dir=tmp_path, memory=budget
        )
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        want = reference_pairs(sets, everyone, lengths, everyone, 0.6)
        before = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert np.array_equal(got, want)
    assert before > 10 * budget  # the posting array of every entry
    assert peak < 1.5 * budget + 100 * n, peak


@pytest.mark.parametrize("seed", range(6))
def test_an_expansion_budget_keeps_a_subset_and_the_pairs_rare_shingles_find(seed, tmp_path):
    sets, sizes, rows, query = corpus(seed)
    r = ragged(sets)
    full = candidate_pairs(r, rows, sizes, query, 0.6, work_dir=tmp_path)
    as_set = {tuple(p) for p in full.tolist()}
    # a budget no unit reaches changes nothing
    assert np.array_equal(candidate_pairs(r, rows, sizes, query, 0.6, expand=10**9), full)
    for budget in (1, 50, 500):
        cut = candidate_pairs(r, rows, sizes, query, 0.6, work_dir=tmp_path, expand=budget)
        got = {tuple(p) for p in cut.tolist()}
        assert got <= as_set  # never a pair the full search would not give
    # exact copies share their rarest shingles: found with a budget of `frequent`
    # postings, which always expands a unit's rarest shingle held twice or more
    for k in range(1, len(sets), 17):
        twins = [j for j in range(len(sets)) if j != k and np.array_equal(sets[j], sets[k])]
        a = k
        for b in twins:
            if rows[a] and rows[b] and query[a] and sets[a].size >= 5 and sizes[b] >= sizes[a]:
                cut = candidate_pairs(r, rows, sizes, query, 0.6, expand=200)
                if (a, b) in as_set:
                    assert (a, b) in {tuple(p) for p in cut.tolist()}
