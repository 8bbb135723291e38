"""Union-find (disjoint sets) over integers, for grouping duplicate pairs into clusters."""

from __future__ import annotations

from array import array

import numpy as np

__all__ = ["UnionFind"]


class UnionFind:
    """Disjoint sets of ``0 .. n-1`` with path halving and union by size.

    >>> uf = UnionFind(5)
    >>> uf.union(0, 3); uf.union(3, 4)
    >>> uf.groups()
    [[0, 3, 4], [1], [2]]
    >>> uf.groups(min_size=2)
    [[0, 3, 4]]

    Parents and sizes are kept in typed arrays (4 bytes an element), not lists
    of Python ints: a corpus of tens of millions of units keeps its union-find
    in hundreds of megabytes at most (``n`` below 2**31).
    """

    def __init__(self, n: int) -> None:
        if n >= 1 << 31:
            raise ValueError(f"at most 2**31 - 1 elements, not {n}")
        self.parent = array("i", range(n))
        self.size = array("i", [1]) * n

    def find(self, x: int) -> int:
        """The representative of ``x``'s set."""
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        """Merge the sets of ``a`` and ``b``."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]

    def roots(self) -> np.ndarray:
        """The representative of every element, as an array (all paths compressed at once)."""
        if not len(self.parent):
            return np.zeros(0, dtype=np.int64)
        root = np.frombuffer(self.parent, dtype=np.int32).astype(np.int64)
        while True:
            up = root[root]
            if np.array_equal(up, root):
                return root
            root = up

    def groups(self, min_size: int = 1) -> list[list[int]]:
        """Every set of at least ``min_size`` elements as a sorted list, the sets
        ordered by their smallest member."""
        root = self.roots()
        if not root.size:
            return []
        order = np.argsort(root, kind="stable")  # by root, members ascending
        cuts = np.flatnonzero(np.diff(root[order])) + 1
        bounds = np.concatenate([[0], cuts, [order.size]])
        sizes = np.diff(bounds)
        chosen = np.flatnonzero(sizes >= min_size)
        out = [order[bounds[k] : bounds[k + 1]].tolist() for k in chosen.tolist()]
        return sorted(out, key=lambda g: g[0])
