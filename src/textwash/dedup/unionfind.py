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
        """The representative of every element, as an int32 array (all paths
        compressed at once)."""
        if not len(self.parent):
            return np.zeros(0, dtype=np.int32)
        root = np.frombuffer(self.parent, dtype=np.int32).copy()  # 4 bytes an element
        while True:
            up = root[root]
            if np.array_equal(up, root):
                return root
            root = up

    def group_arrays(self, min_size: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Every set of at least ``min_size`` elements, end to end: ``members`` (each
        set ascending, the sets ordered by their smallest member) and ``bounds``
        (set ``k`` is ``members[bounds[k]:bounds[k + 1]]``), no Python list per set.

        >>> uf = UnionFind(5)
        >>> uf.union(4, 1); uf.union(0, 3)
        >>> [a.tolist() for a in uf.group_arrays(min_size=2)]
        [[0, 3, 1, 4], [0, 2, 4]]
        """
        root = self.roots()
        if not root.size:
            return np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64)
        order = np.argsort(root, kind="stable")  # by root, members ascending
        cuts = np.flatnonzero(np.diff(root[order])) + 1
        bounds = np.concatenate([[0], cuts, [order.size]])
        sizes = np.diff(bounds)
        chosen = np.flatnonzero(sizes >= min_size)
        chosen = chosen[np.argsort(order[bounds[chosen]], kind="stable")]  # by smallest member
        lens = sizes[chosen]
        out_bounds = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
        starts = np.repeat(bounds[chosen] - out_bounds[:-1], lens)
        members = order[starts + np.arange(out_bounds[-1])]
        return members.astype(np.int64), out_bounds

    def groups(self, min_size: int = 1) -> list[list[int]]:
        """Every set of at least ``min_size`` elements as a sorted list, the sets
        ordered by their smallest member (:meth:`group_arrays` as lists)."""
        members, bounds = self.group_arrays(min_size)
        flat = members.tolist()
        at = bounds.tolist()
        return [flat[at[k] : at[k + 1]] for k in range(len(at) - 1)]
