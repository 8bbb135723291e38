"""Verifying candidate copies that OCR and retyping damaged, and copies split in two.

Shingle similarities break down on copies with scattered wrong characters: a
copy with 4 wrong characters per 100 (``己``/``已``, ``末``/``未``, ``在``/``再`` …)
loses about a fifth of its 5-gram shingles, so its Jaccard similarity with the
original falls below 0.8 even when nothing else differs.  An alignment does not:
the longest common subsequence of the two texts still holds 95 of every 100
characters.  This module decides, for candidate pairs that the shingle tests
turned down, whether they are copies all the same:

* :func:`comparison_text`: a unit's cleaned text as the alignment compares it,
  folded like the shingles (traditional → simplified one character at a time,
  case), without spaces, punctuation or function characters (``的了在是…``, which
  rewrites drop), but with every digit kept, plus the numbers it holds (digit
  runs and runs of Chinese numerals);
* :func:`near_copy`: the shorter text's characters are found, in order, in the
  longer one (``LCS ≥ NEAR_SHARE × len(shorter)``), the shorter has
  :data:`MIN_CHARS` characters or more, and no number differs: the numbers of
  the shorter text all occur in the longer.  Two paragraphs that differ only in
  their numbers (a year's statistics and the next year's, ``第七条`` and
  ``第十四条``) are therefore never copies here, whatever their alignment;
* :class:`Verifier`: the hook :func:`~textwash.dedup.find.find_duplicates`
  calls: :meth:`Verifier.near` for a comparable-length candidate pair that the
  overlap test turned down, and :meth:`Verifier.join_split_copies` after
  containment, which joins a copy that a hard wrap after ``。`` split into two
  units: when unit ``x`` is a copy of part of ``w`` and ``x`` followed by its
  neighbour (or its neighbour followed by ``x``) is a copy of the whole of
  ``w``, both halves join ``w``'s cluster.

No candidate is generated here: :meth:`Verifier.near` sees only the pairs that
containment's prefix-filtered 3-gram index proposes (a damaged copy keeps far
more than 60% of its 3-grams), and the split pass looks only at the two
neighbours of units already linked, so the cost stays bounded by what the other
stages find.  Alignments are computed by ``rapidfuzz`` (bit-parallel LCS in
C++, about a microsecond for two paragraphs).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import LCSseq

from .keys import FUNCTION_IDS, token_array
from .unionfind import UnionFind

__all__ = [
    "MAX_RATIO",
    "MIN_CHARS",
    "NEAR_SHARE",
    "Comparison",
    "Verifier",
    "comparison_text",
    "lcs_share",
    "near_copy",
]

#: The share of the shorter text an alignment must find in the longer one.
#: A copy with 5 wrong characters per 100 keeps 95%; two such copies of one
#: original keep 90% of each other; paragraphs on one subject sharing stock
#: phrases keep under 60% (docs/dedup-quality.md).
NEAR_SHARE = 0.85
#: The longer text may be at most this many times as long as the shorter.
MAX_RATIO = 3.0
#: A neighbour joins a split copy when at least this share of its characters
#: extends the alignment with the other copy, and it has this many characters.
JOIN_GAIN = 0.8
MIN_PART_CHARS = 8
#: At most this many consecutive units are joined into one copy.
MAX_PARTS = 4
#: Texts with fewer comparison characters are not judged by alignment: a few
#: shared phrases make up most of them.
MIN_CHARS = 20

_NUMERALS = frozenset("零〇一二三四五六七八九十百千万亿两")
_SENTENCE_END = re.compile(r"[。！？!?][”’」』）)\"']*\s*$")
_FUNCTION = frozenset(int(i) for i in FUNCTION_IDS)
_WIDE_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


@dataclass(frozen=True, slots=True)
class Comparison:
    """A unit's text as the alignment compares it, and the numbers it holds."""

    text: str
    numbers: Counter[str]


def comparison_text(clean: str) -> Comparison:
    """``clean`` (cleaned text) folded for alignment, with its numbers.

    >>> c = comparison_text("2023年全市生產總值1,200億元，同比增長6.5%，第十四條。")
    >>> c.text
    '2023年全市生产总值1200亿元同比增长65第十四条'
    >>> sorted(c.numbers.elements())  # doctest: +ELLIPSIS
    ['1200', '2023', ..., '亿', '十四']
    """
    toks = token_array(clean)
    ids = toks.ids.tolist()
    starts = toks.start.tolist()
    ends = toks.end.tolist()
    out: list[str] = []
    numbers: Counter[str] = Counter()
    run: list[str] = []  # a run of Chinese numerals being read

    def end_run() -> None:
        if run:
            numbers["".join(run)] += 1
            run.clear()

    for tid, s, e in zip(ids, starts, ends, strict=True):
        if clean[s].isdigit():  # a number (one token or several, by version of keys)
            end_run()
            digits = "".join(c for c in clean[s:e].translate(_WIDE_DIGITS) if c.isdigit())
            numbers[digits] += 1
            out.append(digits)
        elif tid < 0x110000:
            char = chr(tid)
            if char in _NUMERALS:
                run.append(char)
            else:
                end_run()
            if tid not in _FUNCTION:
                out.append(char)
        else:  # a Latin word: one private-use character stands for it
            end_run()
            out.append(chr(0xF0000 + (tid & 0xFFFF)))
    end_run()
    return Comparison("".join(out), numbers)


def _numbers_fit(short: Counter[str], long: Counter[str]) -> bool:
    """Every number of the shorter text occurs (as often) in the longer one."""
    return all(long[k] >= n for k, n in short.items())


def lcs_share(a: Comparison, b: Comparison) -> float:
    """The share of the shorter text that an alignment finds, in order, in the longer one."""
    n = min(len(a.text), len(b.text))
    return LCSseq.similarity(a.text, b.text) / n if n else 0.0


def near_copy(a: Comparison, b: Comparison, share: float = NEAR_SHARE) -> bool:
    """Whether the shorter of ``a`` and ``b`` is found, damaged, in the other.

    The shorter needs :data:`MIN_CHARS` characters, the longer at most
    :data:`MAX_RATIO` times as many (by chance, a short text is found almost
    whole in a long one), and every number of the shorter must occur in the
    longer.

    >>> o = "志愿服务队成立于三年前，已有注册志愿者四百余人，其中党员占了大多数。"
    >>> c = "志愿服物队成立于三年前,已有注册志愿者四百余人,其中党员占了太多数。"
    >>> near_copy(comparison_text(o), comparison_text(c))
    True
    >>> near_copy(comparison_text(o), comparison_text(o.replace("三", "五")))
    False
    """
    short, long = (a, b) if len(a.text) <= len(b.text) else (b, a)
    n = len(short.text)
    if n < MIN_CHARS or len(long.text) > MAX_RATIO * n:
        return False
    if not _numbers_fit(short.numbers, long.numbers):
        return False
    need = -int(-share * n // 1)  # ceil
    return bool(LCSseq.similarity(short.text, long.text, score_cutoff=need))


class Verifier:
    """Alignment checks over the units of one :func:`find_duplicates` run.

    ``items[i]`` is unit ``i`` (its document's ``order``, cleaned text ``clean``,
    exact ``key`` and ``unit`` with ``index``, ``clean_start`` and
    ``clean_end``); comparison texts are made on demand and kept.  ``pairs``
    counts the pairs :meth:`near` accepted, ``joined`` the units
    :meth:`join_split_copies` joined, ``checked`` the alignments made.
    """

    def __init__(self, items: Sequence[Any]) -> None:
        self.items = items
        self._texts: dict[int, Comparison] = {}
        self._partial: list[tuple[int, int]] = []
        self.pairs = 0
        self.joined = 0
        self.checked = 0

    def text(self, i: int) -> Comparison:
        """The comparison text of unit ``i``."""
        c = self._texts.get(i)
        if c is None:
            it = self.items[i]
            u = it.unit
            c = self._texts[i] = comparison_text(it.clean[u.clean_start : u.clean_end])
        return c

    def near(self, a: int, b: int) -> bool:
        """Whether units ``a`` and ``b`` are copies despite scattered damage (:func:`near_copy`).

        A pair turned down is remembered: it may be a copy split in two, which
        :meth:`join_split_copies` tries to put together.
        """
        self.checked += 1
        if near_copy(self.text(a), self.text(b)):
            self.pairs += 1
            return True
        self._partial.append((a, b))
        return False

    def _neighbour(self, i: int, step: int) -> int | None:
        """The unit right before (``step=-1``) or after (``+1``) unit ``i`` in its document."""
        j = i + step
        if not 0 <= j < len(self.items):
            return None
        a, b = self.items[i], self.items[j]
        if a.order != b.order or b.unit.index != a.unit.index + step:
            return None
        return j

    def _partners(self, uf: UnionFind, contained: list[Any], per_unit: int) -> dict[int, list[int]]:
        """For each unit linked to others: the units it may be part of a copy of."""
        groups: dict[int, list[int]] = {}
        for i in range(len(self.items)):
            groups.setdefault(uf.find(i), []).append(i)
        partners: dict[int, list[int]] = {}
        for members in groups.values():
            if len(members) < 2:
                continue
            # the longest members with distinct texts stand for the group
            seen: set[bytes] = set()
            longest: list[int] = []
            for i in sorted(members, key=lambda i: -self._length(i)):
                key = self.items[i].key
                if key not in seen:
                    seen.add(key)
                    longest.append(i)
                    if len(longest) == per_unit:
                        break
            for x in members:
                ws = [w for w in longest if self.items[w].key != self.items[x].key]
                if ws:
                    partners[x] = ws
        for c in contained:
            partners.setdefault(c.inner, []).append(c.outer)
        for a, b in self._partial:
            partners.setdefault(a, []).append(b)
            partners.setdefault(b, []).append(a)
        return partners

    def join_split_copies(
        self,
        uf: UnionFind,
        contained: list[Any],
        *,
        partners_per_unit: int = 3,
        note: Callable[[str, int, int], None] | None = None,
    ) -> int:
        """Join the parts of copies that line breaks split into consecutive units.

        A hard wrap right after ``。`` ends a paragraph for line repair as for a
        reader, so a copy wrapped there reaches the comparison as two units, each
        a part of the other copy.  For every unit ``x`` linked to, or turned
        down against, a unit ``w`` (in one group with it, found inside it, or a
        pair :meth:`near` refused), while ``x`` does not cover ``w``: ``x`` takes
        in its neighbours one by one (up to :data:`MAX_PARTS` units) while each
        extends the alignment with ``w`` by :data:`JOIN_GAIN` of its own
        characters; when the parts together are a copy of ``w``
        (:func:`near_copy`), they join ``w``'s group.  Passages found inside a
        unit of their own group are then dropped from ``contained`` (changed in
        place).  Returns how many units joined.
        """
        partners = self._partners(uf, contained, partners_per_unit)
        joined = 0
        todo = sorted(partners.items())
        for k, (x, ws) in enumerate(todo):
            if note is not None and k % 1000 == 0:
                note("split", k + 1, len(todo))
            for w in dict.fromkeys(ws):
                parts = self._extend(x, w)
                if parts is None:
                    continue
                for p in parts:
                    if uf.find(p) != uf.find(w):
                        uf.union(p, w)
                        joined += 1
                break
        if joined:
            contained[:] = [c for c in contained if uf.find(c.inner) != uf.find(c.outer)]
        self.joined += joined
        return joined

    def _extend(self, x: int, w: int) -> list[int] | None:
        """The consecutive units, ``x`` among them, that together are a copy of ``w``."""
        tw = self.text(w).text
        tx = self.text(x).text
        if not tx or (len(tx) >= len(tw) * NEAR_SHARE and self._covers(tx, tw)):
            return None  # x is the whole of w already (or nothing)
        first = last = x
        text = tx
        self.checked += 1
        score = LCSseq.similarity(text, tw)
        grown = False
        while last - first + 1 < MAX_PARTS:
            best: tuple[int, int, str, int] | None = None
            for step, edge in ((-1, first), (1, last)):
                y = self._neighbour(edge, step)
                if y is None:
                    continue
                ty = self.text(y).text
                if len(ty) < MIN_PART_CHARS:
                    continue
                cand = ty + text if step < 0 else text + ty
                self.checked += 1
                gain = LCSseq.similarity(cand, tw) - score
                if gain >= JOIN_GAIN * len(ty) and (best is None or gain > best[3]):
                    best = (step, y, cand, gain)
            if best is None:
                break
            step, y, text, gain = best
            score += gain
            first, last = (y, last) if step < 0 else (first, y)
            grown = True
        if not grown:
            return None
        both = Comparison(
            text,
            sum((self.text(i).numbers for i in range(first, last + 1)), Counter()),
        )
        if not near_copy(both, self.text(w)):
            return None
        return list(range(first, last + 1))

    @staticmethod
    def _covers(a: str, b: str) -> bool:
        need = -int(-NEAR_SHARE * max(len(a), len(b)) // 1)
        return bool(LCSseq.similarity(a, b, score_cutoff=need))

    def _length(self, i: int) -> int:
        u = self.items[i].unit
        return int(u.clean_end - u.clean_start)
