"""Stage **containment**: a unit whose 3-grams (function characters left out)
mostly reappear in a much longer unit is attached to the span there that holds
them; comparable units one inside the other (a sentence added or deleted) are
joined as copies.  Candidates come from prefix filtering over posting lists,
all in NumPy."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from .keys import ngram_hashes
from .prepare import (
    CONTAINMENT_NGRAM,
    MIN_CONTAINMENT_TOKENS,
    ProgressHook,
    UnitArrays,
    content_tokens,
)
from .ragged import Ragged, gather_spans, pair_masks
from .spill import _COALESCE_BYTES, SpilledRagged
from .table import UnitTable
from .unionfind import UnionFind
from .verify import Verifier, overlap

__all__ = [
    "Contained",
    "Holding",
    "candidate_pairs",
    "find_containment",
    "holds_mask",
    "local_holding",
]


@dataclass(frozen=True)
class Contained:
    """Unit ``inner`` found inside unit ``outer`` at ``[start, end)`` of its cleaned document."""

    inner: int
    outer: int
    start: int
    end: int
    score: float


#: The default budget, in bytes, of :func:`candidate_pairs`' arrays.
_MEMORY = 256 << 20


# What one element of each kind of piece costs at the peak, in bytes: the pieces
# are sized from the budget with these.
#: A shingle of a chunk of units read from ``sets`` (the read, its part, its order, its df).
_SCAN_BYTES = 80
#: A posting of one part of the shingle space, while its df is counted or its lists sorted.
_PART_BYTES = 40
#: An ``(a, b)`` hit, while expanded from a posting list and while counted.
_PAIR_BYTES = 64
#: A shingle of a stretch of rows read to look common prefix shingles up in.
_ROW_BYTES = 48
#: A shingle of a stretch of file between rows that a SpilledRagged reads along with
#: them (it reads rows less than ``_COALESCE_BYTES`` apart at once), weighed in those
#: pieces as this fraction of a row's shingle.
_GAP_SHARE = 8

#: Scratch files kept open for writing at most (a process may open 1,024 files at times).
_OPEN_FILES = 256

#: Parts are numbered in a uint16.
_MAX_PARTS = 65_535

#: Bytes of scratch file per posting while scattered (its shingle and its unit's rank).
_POSTING_BYTES = 8
#: A group of parts scattered at once holds about this many times the budget in postings.
_SCATTER_SHARE = 32
#: Dfs are kept as uint16: a shingle held more often counts as held this often
#: (every prefix shingle that common is looked up, never expanded, either way).
_DF_MAX = 65_535

_LOW = np.uint64(0xFFFFFFFF)
_32 = np.uint64(32)


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
    *,
    work_dir: str | os.PathLike[str] | None = None,
    memory: int | None = None,
    expand: int | None = None,
    min_hits: int = 1,
) -> np.ndarray:
    """Pairs ``(a, b)`` where ``b`` might hold ``threshold`` of ``a``'s shingles.

    Prefix filtering, all in NumPy: order every shingle by how many units hold
    it (rarest first).  If ``b`` holds at least ``threshold`` of ``a``'s ``m``
    shingles, it holds at least ``1 + extra`` of ``a``'s
    ``floor((1 - threshold) * m) + 1 + extra`` rarest ones, so only those need
    looking up, and pairs with fewer hits there are dropped; no pair above the
    threshold is missed.  ``sets[i]`` are unit ``i``'s sorted unique shingle
    hashes (uint32; a :class:`Ragged` or a :class:`SpilledRagged`), ``rows[i]``
    says whether unit ``i`` takes part at all, ``sizes[i]`` is its length
    (``b`` must be at least as long as ``a``) and ``query[i]`` whether
    ``a = i`` is looked for.  Returns an ``(n, 2)`` array sorted by ``a`` then
    ``b``.

    Prefix shingles held by more than ``frequent`` units are not expanded,
    which keeps the expansion from growing with the square of the corpus: for
    a pair the other prefix shingles found, they are looked up in the other
    unit's own set, and count when it holds them.  A pair is then missed only
    when every prefix shingle its two units share is that common.

    The posting lists (one entry per unit and shingle: 27 million for 100 MB
    of text) are never all in memory: the shingle space is cut into parts and
    the work goes a part, a chunk of units or a range of query units at a time
    through files in a scratch folder under ``work_dir`` (see
    :class:`_Passes`), each piece sized so that the arrays stay within
    ``memory`` bytes (default 256 MiB), beside about 17 bytes per unit and the
    pairs returned.  The answer is the same whatever the budget.

    Measured on synthetic sets (Zipf-like shingle frequencies, planted
    passages; a :class:`SpilledRagged`; 2 shared cores), against one posting
    array in memory: 27.2 million postings (268,000 units, as for 100 MB of
    text) take 5.2-5.8 s and a peak of +202 MB (RSS) instead of 7.4-7.9 s and
    +542 MB; three such corpora side by side (81.7 million postings) 15.1-15.9
    s and +230 MB instead of 26-27 s and +1,560 MB; one corpus three times as
    large, where every shingle is held three times as often and the hits
    grow eightfold, 19-20 s and +222 MB instead of 47-52 s and +1,566 MB.
    The scratch files peak at about 8 bytes per posting of one group of parts
    (32 times ``memory`` in all, see :meth:`_Passes.groups`) and 2 per posting
    counted, plus 8 per posting that can be expanded.

    ``expand`` bounds the postings expanded per query unit: its prefix
    shingles are expanded rarest first while their document frequencies add
    up to at most ``expand``; the rest are treated like the ``frequent`` ones
    (looked up in the set of each candidate the expanded ones find).  Without
    it the expansion of a unit grows with the frequencies of its prefix
    shingles, which grow with the corpus until ``frequent`` caps them: on the
    generated corpus the hits grow about eightfold for three times the text,
    and 1 GB wrote over 70 GB of hits.  With it the work per unit is bounded
    by construction; a pair is then missed only when every prefix shingle its
    units share lies beyond the budget of the shorter unit.

    ``min_hits``: a pair short of hits is looked up in ``b``'s set (for the
    prefix shingles not expanded) only when the expanded ones found it at least
    this often.  With 1, every pair a single expanded shingle finds may be
    looked up, and those grow with the square of the shingles' frequencies
    (1 GB: tens of gigabytes of lookups); 2 keeps the pairs two rare shingles
    point to.
    """
    budget = _MEMORY if memory is None else max(int(memory), 1)
    asked = (np.asarray(rows) & np.asarray(query)).astype(bool)
    with tempfile.TemporaryDirectory(prefix="containment-", dir=work_dir) as folder:
        passes = _Passes(sets, rows, sizes, asked, budget, folder)
        if not passes.total:
            return np.zeros((0, 2), dtype=np.int64)
        # only the postings a prefix shingle may expand are kept after counting
        limit = frequent if expand is None else min(frequent, expand)
        try:
            for p0, p1 in passes.groups():
                passes.scatter(p0, p1)
                passes.count(p0, p1, limit)
            passes.prefixes(threshold, extra, frequent, expand)
            passes.expand()
            passes.settle(threshold, extra, min_hits)
            passes.look_up()
            key = passes.pairs()
        finally:
            passes.close()
    return np.stack([key >> 32, key & 0xFFFFFFFF], axis=1)


class _Passes:
    """The passes of :func:`candidate_pairs`, over files in ``folder``.

    Shingles are cut into ``parts`` by their hash, mixed again, so that each
    part holds about ``budget / _PART_BYTES`` postings; units that take part
    are read from ``sets`` in chunks of about ``budget / _SCAN_BYTES``
    shingles, in unit order.  Units are ranked by size (then number), and
    posting lists list ranks, so that a query skips, in every list, the units
    shorter than itself.  Query units are cut into ranges, ``r``, whose hits
    (at most the dfs of their prefix shingles) and common prefix shingles add
    up to about ``budget / (2 * _PAIR_BYTES)``; all units into stretches of
    rows, ``k``, of about ``budget / (2 * _ROW_BYTES)`` shingles.

    1. :meth:`scatter` (a read of ``sets`` per group of parts, see
       :meth:`groups`): each chunk's shingles of the group's parts, grouped by
       part, are appended to ``hash-p`` and their units' ranks to ``rank-p``
       (uint32 each); ``counts[c, p]`` says how many chunk ``c`` put there.
    2. :meth:`count`, a part of the group at a time: the df of every posting
       (a shingle's postings all lie in its part, so the count is exact),
       written in the same order to ``df-p`` (uint16); ``hash-p`` and
       ``rank-p`` are cut down to the shingles a prefix may expand.
    3. :meth:`prefixes` (a second read of ``sets``): each chunk's dfs come back
       from the ``df-p`` files (chunk ``c``'s are at ``counts[:c, p].sum()``),
       which gives every query unit its prefix as in memory.  Prefix shingles
       held by more than ``frequent`` units go, as ``unit << 32 | shingle``,
       to ``common-r``, the others to ``query-p``.
    4. :meth:`expand`, a part at a time: the posting lists of the part's
       shingles held by 2 to ``frequent`` units, sorted, are expanded for the
       part's ``query-p`` records (from what is left of ``hash-p`` and
       ``rank-p``), about ``budget / (2 * _PAIR_BYTES)`` pairs at a time, into
       hits ``a << 32 | b`` appended to ``hits-r``.
    5. :meth:`settle`, a range at a time: each pair's hits are counted; pairs
       with enough are found, pairs the common prefix shingles could still
       lift go to ``maybe-r`` with the hits they miss, and a lookup of each of
       those shingles in ``b``'s row to ``lookup-k``.
    6. :meth:`look_up`, a stretch of rows at a time (a third read of ``sets``,
       of the stretches looked up in only): the pairs whose ``b`` holds the
       shingle, to ``held-r``.
    7. :meth:`pairs`, a range at a time: the maybe pairs held often enough
       are found too.

    Each file is written once (``hash-p`` and ``rank-p`` twice: in full, then
    cut down), read once (``hash-p`` and ``df-p`` twice) and deleted when used:
    8 bytes per posting of a group, then 2 per posting and 8 per posting that
    can be expanded, 8 per prefix shingle, 8 per hit,
    16 per maybe pair, 16 per lookup, 8 per shingle held.  In memory, beside
    the budget: the units that take part, ``by_size`` and ``shortest`` (4
    bytes per unit each), a unit's rank (4, until :meth:`scatter` is done),
    which units are asked (1), ``counts`` (8 bytes per chunk and part) and the
    pairs found.
    """

    def __init__(
        self,
        sets: Ragged | SpilledRagged,
        rows: np.ndarray,
        sizes: np.ndarray,
        asked: np.ndarray,
        budget: int,
        folder: str,
    ) -> None:
        self.sets = sets
        self.asked = asked
        self.budget = budget
        self.folder = folder
        self._open: dict[str, int] = {}  # files being written, oldest first
        n = len(sets)
        at = sets.at
        # The units that take part, and the chunks they are read in (counting what
        # a SpilledRagged reads along between rows), a block of units at a time:
        # about 80 bytes per unit of the block, no array of 8 bytes per unit.
        block = max(1 << 10, budget // 128)
        self.taking_part = np.concatenate(
            [np.zeros(0, dtype=np.uint32)]
            + [
                (np.flatnonzero(rows[i : i + block]) + i).astype(np.uint32)
                for i in range(0, n, block)
            ]
        )
        chunks = _Cutter(max(1, budget // _SCAN_BYTES))
        chunk_at, total, end = [], 0, None
        for i in range(0, self.taking_part.size, block):
            unit = self.taking_part[i : i + block].astype(np.int64)
            lo, hi = at[unit], at[unit + 1]
            total += int((hi - lo).sum())
            gap = lo - np.concatenate([[lo[0] if end is None else end], hi[:-1]])
            gap[gap * 4 > _COALESCE_BYTES] = 0  # read separately
            chunk_at.append(chunks.cuts(hi - lo + gap // _GAP_SHARE) + i)
            end = hi[-1]
        self.chunk_at = np.concatenate([*chunk_at, [self.taking_part.size]]).astype(np.int64)
        self.total = total
        # stretches of rows (every unit's) of about budget / (2 * _ROW_BYTES) shingles
        stretches = _Cutter(max(1, budget // (2 * _ROW_BYTES)))
        self.row_first = np.concatenate(
            [np.zeros(0, dtype=np.int64)]
            + [stretches.cuts(np.diff(at[i : i + block + 1])) + i for i in range(0, n, block)]
        )
        # Units ranked by size (then number), so that each posting list is sorted
        # by size and a query skips, in every list, the units shorter than itself.
        key = sizes[self.taking_part]
        if key.size and np.issubdtype(key.dtype, np.integer) and key.min() >= 0:
            key = key.astype(np.min_scalar_type(key.max()))  # uint16: a radix sort
        order = np.argsort(key, kind="stable")  # taking_part is in order already
        self.by_size = self.taking_part[order]
        key = key[order]
        del order
        # the first rank a unit's partner may have: the first unit at least as long
        self.shortest = np.zeros(n, dtype=np.uint32)
        self.shortest[self.by_size] = np.searchsorted(key, key, side="left")
        del key
        self.rank_of = np.zeros(n, dtype=np.uint32)
        self.rank_of[self.by_size] = np.arange(self.by_size.size, dtype=np.uint32)
        self.parts = int(min(-(-total * _PART_BYTES // budget), max(total, 1), _MAX_PARTS))
        self.counts = np.zeros((self.chunk_at.size - 1, self.parts), dtype=np.int64)
        self.range_first = np.zeros(0, dtype=np.int64)
        # the pairs found, by range of query units
        self.found: list[np.ndarray] = []

    # -- files ---------------------------------------------------------------

    def _path(self, kind: str, i: int) -> str:
        # a str, not a Path: pathlib interns every name it parses, for good
        return os.path.join(self.folder, f"{kind}-{i}")

    def _size(self, kind: str, i: int) -> int:
        """Bytes in file ``kind-i``, 0 if there is none."""
        try:
            return os.stat(self._path(kind, i)).st_size
        except FileNotFoundError:
            return 0

    def _append(self, kind: str, i: int, values: np.ndarray) -> None:
        """Append ``values`` to file ``kind-i`` (the files written last are kept open)."""
        if not values.size:
            return
        path = self._path(kind, i)
        fd = self._open.pop(path, None)
        if fd is None:
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0)
            fd = os.open(path, flags, 0o600)
            if len(self._open) >= _OPEN_FILES:
                os.close(self._open.pop(next(iter(self._open))))
        self._open[path] = fd  # now the latest
        view = np.ascontiguousarray(values).reshape(-1).view(np.uint8).data
        while view:
            view = view[os.write(fd, view) :]

    def close(self) -> None:
        """Close the files kept open."""
        while self._open:
            os.close(self._open.popitem()[1])

    def _append_runs(self, kind: str, file_of: np.ndarray, values: np.ndarray) -> None:
        """Append ``values`` to the files ``file_of`` names (sorted: one write per file)."""
        cuts = np.flatnonzero(file_of[1:] != file_of[:-1]) + 1
        for lo, hi in pairwise([0, *cuts.tolist(), file_of.size]):
            if hi > lo:
                self._append(kind, int(file_of[lo]), values[lo:hi])

    def _read(
        self, kind: str, i: int, dtype: type[np.generic], start: int = 0, count: int = -1
    ) -> np.ndarray:
        path = self._path(kind, i)
        if not count or not os.path.exists(path):
            return np.zeros(0, dtype=dtype)
        return np.fromfile(path, dtype=dtype, count=count, offset=start * np.dtype(dtype).itemsize)

    def _drop(self, kind: str, i: int) -> None:
        path = self._path(kind, i)
        fd = self._open.pop(path, None)
        if fd is not None:
            os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)

    # -- pieces --------------------------------------------------------------

    def _chunk(self, c: int) -> np.ndarray:
        return self.taking_part[self.chunk_at[c] : self.chunk_at[c + 1]].astype(np.int64)

    def _part(self, hashes: np.ndarray) -> np.ndarray:
        """The part of each shingle: its hash mixed again (so that hashes with a
        pattern, or small numbers, spread too), scaled to ``[0, parts)``."""
        x = hashes.astype(np.uint32)  # a copy, mixed in place (lowbias32)
        x ^= x >> np.uint32(16)
        x *= np.uint32(0x7FEB352D)
        x ^= x >> np.uint32(15)
        x *= np.uint32(0x846CA68B)
        x ^= x >> np.uint32(16)
        return ((x.astype(np.uint64) * np.uint64(self.parts)) >> _32).astype(np.uint16)

    def _by_part(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The order that groups ``hashes`` by part (stable), and how many fall in each."""
        part = self._part(hashes)
        return np.argsort(part, kind="stable"), np.bincount(part, minlength=self.parts)

    # -- passes --------------------------------------------------------------

    def groups(self) -> list[tuple[int, int]]:
        """Ranges of parts scattered and counted together, each about
        :data:`_SCATTER_SHARE` times the budget in postings (a read of ``sets`` each).

        Only one group's postings are on disk in full at a time: once counted, a
        part keeps its dfs (2 bytes per posting) and the postings that can be
        expanded, so the scratch folder peaks at about a quarter of what it
        would with every posting scattered first.
        """
        per_part = max(self.total / self.parts, 1.0)
        size = max(1, int(_SCATTER_SHARE * self.budget / (_POSTING_BYTES * per_part)))
        return [(p, min(p + size, self.parts)) for p in range(0, self.parts, size)]

    def scatter(self, p0: int, p1: int) -> None:
        """Pass 1: every posting of parts ``p0 .. p1 - 1`` to its part's files."""
        for c in range(self.counts.shape[0]):
            chunk = self._chunk(c)
            hashes, bounds = self.sets.gather(chunk)
            order, counts = self._by_part(hashes)
            self.counts[c] = counts
            edge = np.concatenate([[0], np.cumsum(counts)])
            lo, hi = int(edge[p0]), int(edge[p1])
            order = order[lo:hi]
            rank = np.repeat(self.rank_of[chunk], np.diff(bounds))[order]
            hashes = hashes[order]
            del order
            edge = (edge - lo).tolist()
            for p in (np.flatnonzero(counts[p0:p1]) + p0).tolist():
                self._append("hash", p, hashes[edge[p] : edge[p + 1]])
                self._append("rank", p, rank[edge[p] : edge[p + 1]])
        if p1 == self.parts:
            del self.rank_of

    def count(self, p0: int, p1: int, limit: int) -> None:
        """Pass 2: the df of every posting of parts ``p0 .. p1 - 1``, in the order of
        its part's files (uint16, saturated); then only the postings of shingles
        held by 2 to ``limit`` units are kept, the only ones :meth:`expand` reads."""
        for p in range(p0, p1):
            hashes = self._read("hash", p, np.uint32)
            if not hashes.size:
                continue
            df = _frequencies(hashes)
            self._append("df", p, np.minimum(df, _DF_MAX).astype(np.uint16))
            keep = (df > 1) & (df <= limit)
            del df
            rank = self._read("rank", p, np.uint32)[keep]
            hashes = hashes[keep]
            del keep
            for kind, values in (("hash", hashes), ("rank", rank)):
                self._drop(kind, p)
                self._append(kind, p, values)

    def prefixes(
        self, threshold: float, extra: int, frequent: int, expand: int | None = None
    ) -> None:
        """Pass 3: each query unit's prefix shingles, to ``query-p`` or ``common-r``."""
        at = self.sets.at
        start = np.cumsum(self.counts, axis=0) - self.counts
        ranges = _Cutter(max(1, self.budget // (2 * _PAIR_BYTES)))
        firsts = [np.zeros(0, dtype=np.int64)]
        for c in range(self.counts.shape[0]):
            chunk = self._chunk(c)
            asked = self.asked[chunk]
            if not asked.any():
                continue
            hashes, bounds = self.sets.gather(chunk)
            if not hashes.size:
                continue
            order, counts = self._by_part(hashes)
            df = np.empty(hashes.size, dtype=np.uint32)
            df[order] = np.concatenate(
                [
                    self._read("df", p, np.uint16, int(start[c, p]), int(counts[p]))
                    for p in np.flatnonzero(counts).tolist()
                ]
            )
            del order
            lens = np.diff(bounds)
            mine = np.repeat(asked, lens)
            units = chunk[asked]
            unit = np.repeat(units, lens[asked])
            hashes, df64 = hashes[mine], df[mine].astype(np.int64)
            del mine, df
            base, span = int(units[0]), int(units[-1] - units[0] + 1)
            # Shingles no other unit holds come first in every prefix and find
            # nothing: count them per unit, then rank the shared ones by (df, shingle)
            # (a unit's hashes are sorted already, so a stable sort keeps that order).
            shared = df64 > 1
            single = np.bincount(unit[~shared] - base, minlength=span)
            unit, hashes, df64 = unit[shared], hashes[shared], df64[shared]
            order = np.argsort(unit << 32 | df64, kind="stable")
            unit, hashes, df64 = unit[order], hashes[order], df64[order]
            first = np.searchsorted(unit, unit, side="left")
            rank = np.arange(unit.size) - first
            length = at[base + 1 : base + span + 1] - at[base : base + span]
            prefix_len = _prefix_len(length, threshold, extra)
            keep = rank < prefix_len[unit - base] - single[unit - base]
            unit, hashes, df64 = unit[keep], hashes[keep], df64[keep]
            # A prefix shingle held by more than `frequent` units is not expanded:
            # it is looked up in the set of each candidate the other shingles find.
            common = df64 > frequent
            if expand is not None:  # rarest first, within the unit's expansion budget
                spent = np.cumsum(np.where(common, 0, df64))
                unit_start = np.searchsorted(unit, unit, side="left")
                before = np.where(unit_start > 0, spent[np.maximum(unit_start - 1, 0)], 0)
                common |= spent - before > expand
            weight = np.bincount(unit - base, weights=np.where(common, 1, df64), minlength=span)
            # ranges of query units, by their hits and common shingles
            firsts.append(ranges.cuts(weight.astype(np.int64)) + base)
            self.range_first = np.concatenate(firsts)
            record = unit.astype(np.uint64) << _32 | hashes.astype(np.uint64)
            in_range = np.searchsorted(self.range_first, unit[common], side="right") - 1
            self._append_runs("common", in_range, record[common])
            record = record[~common]
            order, counts = self._by_part(hashes[~common])
            record = record[order]
            edge = np.concatenate([[0], np.cumsum(counts)]).tolist()
            for p in np.flatnonzero(counts).tolist():
                self._append("query", p, record[edge[p] : edge[p + 1]])

    def expand(self) -> None:
        """Pass 4: the query records of each part against its posting lists, to ``hits-r``."""
        run_size = max(1, self.budget // (2 * _PAIR_BYTES))
        for p in range(self.parts):
            query = self._read("query", p, np.uint64)
            if query.size:
                self._expand_part(p, query, run_size)
            for kind in ("hash", "rank", "df", "query"):
                self._drop(kind, p)

    def _expand_part(self, p: int, query: np.ndarray, run_size: int) -> None:
        # the postings count() kept: the only lists a prefix shingle expands
        packed = self._read("hash", p, np.uint32).astype(np.uint64) << _32
        packed |= self._read("rank", p, np.uint32)
        packed.sort()
        posting_rank = (packed & _LOW).astype(np.uint32)
        new_group = np.empty(packed.size + 1, dtype=bool)
        new_group[0] = new_group[-1] = True
        np.not_equal(packed[1:] >> _32, packed[:-1] >> _32, out=new_group[1:-1])
        # shingle k is held by the units ranked posting_rank[starts[k]:starts[k + 1]]
        starts = np.flatnonzero(new_group).astype(np.int64)
        del new_group
        shingle = (packed[starts[:-1]] >> _32).astype(np.uint32)
        del packed
        unit = (query >> _32).astype(np.int64)
        group = _lookup(shingle, (query & _LOW).astype(np.uint32))
        del query, shingle
        runs = _runs(starts[group + 1] - starts[group], run_size).tolist()
        for i0, i1 in pairwise(runs):
            ua, ga = unit[i0:i1], group[i0:i1]
            # in each list, from the first unit at least as long as a
            lo = _lower_bound(posting_rank, starts[ga], starts[ga + 1], self.shortest[ua])
            ranks, bounds = gather_spans(posting_rank, lo, starts[ga + 1])
            b = self.by_size[ranks].astype(np.int64)
            a = np.repeat(ua, np.diff(bounds))
            ok = a != b
            a = a[ok]
            in_range = np.searchsorted(self.range_first, a, side="right") - 1
            self._append_runs("hits", in_range, a << 32 | b[ok])

    def settle(self, threshold: float, extra: int, min_hits: int = 1) -> None:
        """Pass 5: count each pair's hits, a range of query units at a time.

        Pairs with enough hits are found; pairs short of hits but for the
        common prefix shingles go to ``maybe-r`` with how many they miss, and
        a lookup of each of those shingles in ``b``'s row to ``lookup-k``, ``k``
        the stretch of rows that holds ``b``."""
        at = self.sets.at
        piece = max(1, self.budget // (2 * _PAIR_BYTES))
        for r in range(self.range_first.size):
            hits_file = self._read("hits", r, np.int64)
            common = self._read("common", r, np.uint64)
            self._drop("hits", r)
            self._drop("common", r)
            key, hits = np.unique(hits_file, return_counts=True)
            del hits_file
            a = key >> 32
            need = _need(at[a + 1] - at[a], threshold, extra)
            owner = (common >> _32).astype(np.int64)
            common_hash = (common & _LOW).astype(np.uint32)
            del common
            first = np.searchsorted(owner, a, side="left")
            assumed = np.searchsorted(owner, a, side="right") - first
            sure = hits >= need
            self.found.append(key[sure])
            # short of hits but for the common prefix shingles: look those up in b's set
            maybe = np.flatnonzero(~sure & (hits + assumed >= need) & (hits >= min_hits))
            if not maybe.size:
                continue
            key, first, assumed = key[maybe], first[maybe], assumed[maybe]
            self._append("maybe", r, np.stack([key, need[maybe] - hits[maybe]], axis=1))
            del a, need, hits, sure, maybe
            runs = _runs(assumed, piece).tolist()
            for i0, i1 in pairwise(runs):
                n = assumed[i0:i1]
                pair = np.repeat(np.arange(i0, i1), n)
                step = np.repeat(first[i0:i1] - (np.cumsum(n) - n), n)
                wanted = common_hash[step + np.arange(pair.size)]
                b = key[pair] & 0xFFFFFFFF
                record = np.stack(
                    [b.astype(np.uint64) << _32 | wanted, key[pair].astype(np.uint64)], axis=1
                )
                stretch = np.searchsorted(self.row_first, b, side="right") - 1
                order = np.argsort(stretch, kind="stable")
                self._append_runs("lookup", stretch[order], record[order])

    def look_up(self) -> None:
        """Pass 6: the lookups in each stretch of rows, read once; the pairs
        whose ``b`` holds the shingle to ``held-r``, once per shingle held."""
        piece = max(1, self.budget // (2 * _PAIR_BYTES))
        stops = [*self.row_first[1:].tolist(), len(self.sets)]
        for k, (lo, hi) in enumerate(zip(self.row_first.tolist(), stops, strict=True)):
            records = self._size("lookup", k) // 16
            if not records:
                continue
            data, bounds = _span(self.sets, lo, hi)
            for start in range(0, records, piece):
                count = 2 * min(piece, records - start)
                record = self._read("lookup", k, np.uint64, 2 * start, count).reshape(-1, 2)
                row = (record[:, 0] >> _32).astype(np.int64) - lo
                wanted = (record[:, 0] & _LOW).astype(np.uint32)
                end = bounds[row + 1]
                left = _lower_bound(data, bounds[row], end, wanted)
                inside = np.flatnonzero(left < end)
                inside = inside[data[left[inside]] == wanted[inside]]
                key = record[inside, 1].astype(np.int64)
                in_range = np.searchsorted(self.range_first, key >> 32, side="right") - 1
                order = np.argsort(in_range, kind="stable")
                self._append_runs("held", in_range[order], key[order])
            self._drop("lookup", k)

    def pairs(self) -> np.ndarray:
        """Pass 7: the pairs with enough hits, ``a << 32 | b`` in order."""
        piece = max(1, self.budget // (2 * _PAIR_BYTES))
        for r in range(self.range_first.size):
            maybe = self._read("maybe", r, np.int64).reshape(-1, 2)
            if not maybe.size:
                continue
            key, missing = maybe[:, 0], maybe[:, 1]
            held = np.zeros(key.size, dtype=np.int64)
            total = self._size("held", r) // 8
            for start in range(0, total, piece):
                found = np.sort(self._read("held", r, np.int64, start, min(piece, total - start)))
                held += np.searchsorted(found, key, side="right")
                held -= np.searchsorted(found, key, side="left")
            self._drop("maybe", r)
            self._drop("held", r)
            self.found[r] = np.sort(np.concatenate([self.found[r], key[held >= missing]]))
        return np.concatenate(self.found) if self.found else np.zeros(0, dtype=np.int64)


def _span(sets: Ragged | SpilledRagged, first: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``first .. stop - 1`` end to end, with their bounds: one read of the file
    for a :class:`SpilledRagged`."""
    if isinstance(sets, SpilledRagged):
        return sets.span(first, stop)
    return sets.gather(np.arange(first, stop))


def _prefix_len(lengths: np.ndarray, threshold: float, extra: int) -> np.ndarray:
    """How many of its rarest shingles a unit of ``lengths`` shingles looks up."""
    return np.floor((1.0 - threshold) * lengths + 1e-9).astype(np.int64) + 1 + extra


def _need(lengths: np.ndarray, threshold: float, extra: int) -> np.ndarray:
    """How many of its prefix shingles a partner must hold: ``1 + extra``, but a unit
    whose prefix is all of it needs ``ceil(threshold * m)`` hits, at least 1."""
    prefix_len = _prefix_len(lengths, threshold, extra)
    return np.maximum(1 + extra - np.maximum(prefix_len - lengths, 0), 1)


def _frequencies(values: np.ndarray) -> np.ndarray:
    """For each of ``values``: how many times it occurs in ``values`` (uint32).

    >>> _frequencies(np.array([7, 3, 7, 9, 7], dtype=np.uint32)).tolist()
    [3, 1, 3, 1, 3]
    """
    order = np.argsort(values)
    ordered = values[order]
    new = np.empty(values.size, dtype=bool)
    new[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=new[1:])
    del ordered
    first = np.flatnonzero(new)
    del new
    counts = np.diff(np.append(first, values.size)).astype(np.uint32)
    out = np.empty(values.size, dtype=np.uint32)
    out[order] = np.repeat(counts, counts)
    return out


def _runs(weights: np.ndarray, size: int) -> np.ndarray:
    """Bounds ``[0, ..., n]`` that cut ``n`` positions into runs of about ``size``
    weight each (see :class:`_Cutter`).

    >>> _runs(np.array([3, 3, 3, 10, 1, 1]), 5).tolist()
    [0, 2, 4, 5, 6]
    """
    return np.append(_Cutter(size).cuts(weights), weights.size).astype(np.int64)


class _Cutter:
    """Cuts a stream of weighted positions into runs of about ``size`` weight: a
    run starts where the weight before it reaches a multiple of ``size`` it had
    not reached (so a run exceeds ``size`` by less than its last weight).

    >>> c = _Cutter(5)
    >>> c.cuts(np.array([3, 3, 3])).tolist(), c.cuts(np.array([10, 1, 1])).tolist()
    ([0, 2], [1, 2])
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.carry = 0  # the weight so far
        self.last = -1  # the multiple of size the last run started in

    def cuts(self, weights: np.ndarray) -> np.ndarray:
        """Where runs start among ``weights``, the next positions of the stream."""
        if not weights.size:
            return np.zeros(0, dtype=np.int64)
        after = self.carry + np.cumsum(weights)
        before = (after - weights) // self.size
        starts = np.flatnonzero(before > np.concatenate([[self.last], before[:-1]]))
        self.carry, self.last = int(after[-1]), int(before[-1])
        return starts


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
    work_dir: str | os.PathLike[str] | None = None,
    memory: int | None = None,
    holding: Holding | None = None,
) -> tuple[list[Contained], int]:
    """Passages inside much longer units, and comparable units one inside the other.

    The second kind (a sentence added or deleted) is joined in ``uf`` directly
    when the near-duplicate shingles of the shorter unit lie ``near_threshold``
    inside the other's, or when ``verifier`` finds the shorter one in the other
    despite scattered wrong characters (OCR, retyping); their number is
    returned with the passages.  ``work_dir`` and ``memory`` are the scratch
    folder and the budget of :func:`candidate_pairs`; ``holding`` makes the
    first, 3-gram check of the candidates (default :func:`local_holding`; the
    Ray engine passes a map over chunks of them).
    """
    # One unit stands for each group of exact and near copies found so far: its
    # copies would find the same passages, and copies of the longer unit are
    # already reported as copies of it.
    rep = uf.roots() == np.arange(len(items), dtype=np.int32)
    long_enough = items.n_tokens >= MIN_CONTAINMENT_TOKENS
    sizes = arrays.cont_size
    candidates = candidate_pairs(
        arrays.cont_set,
        rep,
        sizes,
        rep & long_enough,
        threshold,
        work_dir=work_dir,
        memory=memory,
        expand=EXPAND,
        min_hits=MIN_HITS,
    )
    # most candidates share too few 3-grams: they are dropped first, all at once
    # (the check needs nothing but the two units' 3-gram sets)
    holds = (holding or local_holding(arrays.cont_set))(candidates, threshold)
    found: list[Contained] = []
    overlaps = 0
    for c0 in range(0, len(candidates), VERIFY_CHUNK):
        note("containment", c0 + 1, len(candidates))
        c1 = c0 + VERIFY_CHUNK
        chunk = candidates[c0:c1][holds[c0:c1]]
        for a, b in chunk.tolist():
            overlaps += _verify(
                items, arrays, uf, a, b, ratio, near_threshold, threshold, verifier, found
            )
    return found, overlaps


#: Postings expanded per query unit at most (see :func:`candidate_pairs`).  This
#: bounds the work per unit, so the search grows linearly with the corpus.  On
#: the generated corpora (100 MB / 1 GB), against 2,000: the same 3-gram-checked
#: candidates at 100 MB (8,235), 99.90% of them at 1 GB (81,469 of 81,553), and
#: 1 GB's candidate search in 64 s instead of 179 s (810 million postings
#: expanded and 270 million lookups down to 108 and 44 million).
EXPAND = 100
#: Hits of expanded shingles a pair needs before its other shingles are looked up.
MIN_HITS = 2

#: Candidate pairs checked at once by :func:`local_holding`.
VERIFY_CHUNK = 20_000


#: Containment's first check: ``holding(pairs, threshold)`` says, for each
#: candidate ``(a, b)`` of an ``(n, 2)`` array, whether ``b``'s 3-gram set holds
#: ``threshold`` of ``a``'s (a boolean array); :func:`local_holding` is the local
#: engine's.
Holding = Callable[[np.ndarray, float], np.ndarray]


def local_holding(sets: Ragged | SpilledRagged) -> Holding:
    """The local engine's 3-gram check: :func:`holds_mask` of the pairs' rows of
    ``sets``, read :data:`VERIFY_CHUNK` pairs at a time, in this process.

    >>> r = Ragged(np.uint32)
    >>> r.extend(np.array([1, 2, 3, 2, 3, 9, 7], dtype=np.uint32), [3, 3, 1])
    >>> r.freeze()
    >>> local_holding(r)(np.array([[0, 1], [2, 1], [0, 0]]), 0.6).tolist()
    [True, False, True]
    """

    def holding(pairs: np.ndarray, threshold: float) -> np.ndarray:
        return pair_masks(sets, holds_mask, pairs, threshold, VERIFY_CHUNK)

    return holding


def holds_mask(
    a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray], threshold: float
) -> np.ndarray:
    """Whether row ``k`` of ``b`` holds ``threshold`` of row ``k`` of ``a`` (ragged rows
    of unique 3-gram hashes, ``(flat, bounds)``), for every ``k``.

    All rows at once: every hash is tagged with its row, the tags of both sides
    sorted together; a hash in both rows is then two equal neighbours.

    >>> a = (np.array([1, 2, 3, 7], dtype=np.uint32), np.array([0, 3, 4]))
    >>> b = (np.array([2, 3, 9, 8], dtype=np.uint32), np.array([0, 3, 4]))
    >>> holds_mask(a, b, 0.6).tolist()
    [True, False]
    """
    (a_rows, a_at), (b_rows, b_at) = a, b
    n = a_at.size - 1
    k = np.arange(n, dtype=np.uint64)
    tagged = np.concatenate(
        [
            np.repeat(k, np.diff(a_at)) << _32 | a_rows.astype(np.uint64),
            np.repeat(k, np.diff(b_at)) << _32 | b_rows.astype(np.uint64),
        ]
    )
    tagged.sort()
    both = tagged[1:][tagged[1:] == tagged[:-1]] >> _32
    shared = np.bincount(both.astype(np.int64), minlength=n)
    return shared >= threshold * np.diff(a_at)


def _verify(
    items: UnitTable,
    arrays: UnitArrays,
    uf: UnionFind,
    a: int,
    b: int,
    ratio: float,
    near_threshold: float,
    threshold: float,
    verifier: Verifier | None,
    found: list[Contained],
) -> int:
    """Check one candidate that shares enough 3-grams: join a comparable copy (1 is
    returned), or note the passage of ``a`` inside ``b``."""
    n = CONTAINMENT_NGRAM
    sizes = arrays.cont_size
    if uf.find(a) == uf.find(b):
        return 0
    sh_a = arrays.cont_set[a]
    len_a, len_b = sizes[a], sizes[b]
    if len_b < ratio * len_a:
        shared = overlap(arrays.shingles[a], arrays.shingles[b]) >= near_threshold
        if shared or (verifier is not None and verifier.near(a, b)):
            uf.union(a, b)
            return 1
        return 0
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
        return 1
    return 0


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
