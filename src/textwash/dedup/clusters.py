"""Stage **clusters**: union-find over the pairs whose numbers agree, the kept
copy of each cluster (``keep``), and every member labelled with why it is
there (exact, near, containment or numbers, through which copy, what it adds
or misses)."""

from __future__ import annotations

from array import array
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import LCSseq

from ..segment import split_sentences
from .containment import Contained
from .keys import numbers_in, token_array
from .parts import Parts
from .prepare import UnitArrays, content_tokens, count_in
from .report import Cluster, Member
from .table import Item, UnitTable
from .unionfind import UnionFind
from .verify import common, jaccard, overlap

__all__ = [
    "GroupIndex",
    "Links",
    "PairList",
    "Ref",
    "Region",
    "cluster_id",
    "iter_clusters",
]


class PairList:
    """Pairs of unit numbers, two typed arrays (8 bytes a pair, not a tuple each).

    >>> p = PairList()
    >>> p.append((3, 1)); p.append((0, 2))
    >>> len(p), list(p), p.array().tolist()
    (2, [(3, 1), (0, 2)], [[3, 1], [0, 2]])
    """

    __slots__ = ("_a", "_b")

    def __init__(self) -> None:
        self._a = array("i")
        self._b = array("i")

    def append(self, pair: tuple[int, int]) -> None:
        """Add the pair ``(a, b)``."""
        self._a.append(pair[0])
        self._b.append(pair[1])

    def __len__(self) -> int:
        return len(self._a)

    def __bool__(self) -> bool:
        return len(self._a) > 0

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return zip(self._a, self._b, strict=True)

    def array(self) -> np.ndarray:
        """The pairs as an ``(n, 2)`` int64 array."""
        out = np.empty((len(self._a), 2), dtype=np.int64)
        out[:, 0] = np.frombuffer(self._a, dtype=np.int32) if self._a else 0
        out[:, 1] = np.frombuffer(self._b, dtype=np.int32) if self._b else 0
        return out


#: How many units' numbers :class:`Links` keeps (the least recently used go first).
NUMBERS_CACHE = 1 << 16


class Links(UnionFind):
    """The union-find of copies, which joins two units only when their numbers fit.

    Every ``union`` of a stage passes through :meth:`union`: two units whose
    numbers differ (the shorter one holds a number the longer one does not:
    ``2023`` against ``2024``, ``第七条`` against ``第十四条``) are not copies but
    a ``numbers`` pair, kept apart unless ``remove_numbers``.  The pairs that
    joined two groups are kept in ``edges``, so a report can say through which
    copy a member was linked.
    """

    def __init__(self, items: Sequence[Item], remove_numbers: bool) -> None:
        super().__init__(len(items))
        self.items = items
        self.remove_numbers = remove_numbers
        self.edges = PairList()
        self.numbers = PairList()
        self._numbers: OrderedDict[int, Counter[str]] = OrderedDict()

    def numbers_of(self, i: int) -> Counter[str]:
        """The numbers of unit ``i`` (:func:`~textwash.dedup.keys.numbers_in`); the last
        :data:`NUMBERS_CACHE` units' are kept."""
        found = self._numbers.get(i)
        if found is None:
            it = self.items[i]
            u = it.unit
            found = self._numbers[i] = Counter(numbers_in(it.clean[u.clean_start : u.clean_end]))
            if len(self._numbers) > NUMBERS_CACHE:
                self._numbers.popitem(last=False)
        else:
            self._numbers.move_to_end(i)
        return found

    def fit(self, a: int, b: int) -> bool:
        """Whether every number of the shorter unit occurs (as often) in the longer one."""
        if self.items[a].key == self.items[b].key:
            return True
        na, nb = self.numbers_of(a), self.numbers_of(b)
        if self.items[a].n_tokens > self.items[b].n_tokens:
            na, nb = nb, na
        return all(nb[k] >= n for k, n in na.items())

    def union(self, a: int, b: int) -> None:
        """Join ``a`` and ``b`` if they are copies; note a ``numbers`` pair if not."""
        if self.find(a) == self.find(b):
            return
        if not self.fit(a, b):
            self.numbers.append((a, b))
            if not self.remove_numbers:
                return
        self.edges.append((a, b))
        super().union(a, b)


def _numbers_of_span(it: Item, start: int, end: int) -> Counter[str]:
    return Counter(numbers_in(it.clean[start:end]))


def split_numbers(links: Links, contained: list[Contained]) -> list[Contained]:
    """Passages whose numbers are not all in the longer paragraph's span become
    ``numbers`` pairs (joined, with ``remove_numbers``); the rest are returned."""
    kept: list[Contained] = []
    for c in contained:
        inner = links.numbers_of(c.inner)
        if not inner:
            kept.append(c)
            continue
        span = _numbers_of_span(links.items[c.outer], c.start, c.end)
        if all(span[k] >= n for k, n in inner.items()):
            kept.append(c)
        else:
            links.numbers.append((c.inner, c.outer))
            if links.remove_numbers:
                links.edges.append((c.inner, c.outer))
                UnionFind.union(links, c.inner, c.outer)
    return kept


@dataclass(frozen=True, slots=True)
class Ref:
    """Where a member's text is: ``[start, end)`` of item ``item``'s cleaned document.

    ``whole``: the whole unit (else a passage inside it).
    """

    item: int
    start: int
    end: int
    whole: bool


def unit_ref(items: Sequence[Item], i: int) -> Ref:
    u = items[i].unit
    return Ref(i, u.clean_start, u.clean_end, True)


def unit_member(it: Item, similarity: float, measure: str, kept: bool = False) -> Member:
    u = it.unit
    return Member(
        doc_id=u.doc_id,
        unit=u.index,
        start=u.start,
        end=u.end,
        line=u.line,
        end_line=u.end_line,
        text=it.doc.text[u.start : u.end],
        similarity=round(similarity, 4),
        measure=measure,
        kept=kept,
        source=u.source,
        section=u.section,
        title=u.title,
        link="kept" if kept else "",
        defects=it.defects,
    )


def contained_member(items: Sequence[Item], c: Contained) -> Member:
    outer = items[c.outer]
    u = outer.unit
    start, end = outer.offsets.to_source(c.start, c.end)
    member = unit_member(outer, c.score, "containment")
    text = outer.doc.text
    line = u.line + text.count("\n", u.start, start)
    end_line = line + text.count("\n", start, max(start, end - 1))
    return replace(
        member,
        start=start,
        end=end,
        line=line,
        end_line=end_line,
        text=text[start:end],
        link="containment",
        outer_start=u.start,
        outer_end=u.end,
        defects=int(count_in(outer.marks, [start], [end])[0]),
    )


#: A passage inside a longer paragraph is cut (or kept in place of the
#: standalone copy) only when it is whole sentences of that paragraph holding
#: at least this many content characters (not function characters): a heading,
#: caption or stock phrase repeated inside a sentence is reported, never cut.
PASSAGE_TOKENS = 15


#: The share of a sentence's folded characters (function characters left out)
#: that an alignment must find in the kept copy for the sentence to be held
#: there: a sentence with one or two wrong characters in 30 is, a sentence with
#: other words is not.
HELD_SIMILARITY = 0.85


#: Sentences shorter than this (folded characters) are held only word for word.
_MIN_ALIGNED = 10


def token_char(token: int) -> str:
    """One character for a token id: Han as itself, a word or number as a private-use one."""
    return chr(token) if token < 0x110000 else chr(0xF0000 + token % 0xFFFE)


def token_chars(ids: np.ndarray) -> str:
    """:func:`token_char` of every id, at once.

    >>> token_chars(token_array("公安 ok").ids) == "公安" + token_char(token_array("ok").ids[0])
    True
    """
    codes = np.where(ids < 0x110000, ids, np.uint32(0xF0000) + ids % np.uint32(0xFFFE))
    return codes.astype("<u4").tobytes().decode("utf-32-le")


class Region:
    """``clean[start:end]`` as sentences of folded characters, for alignments.

    ``chars`` holds one character per content token (function characters,
    punctuation and spaces left out), ``tok_start``/``tok_end`` their spans in
    ``clean``, and ``sentences`` every sentence of every line as
    ``(start, end, first, stop)``: its span in ``clean`` and its range in ``chars``.
    """

    __slots__ = ("chars", "end", "sentences", "start", "text", "tok_end", "tok_start")

    def __init__(self, clean: str, start: int, end: int) -> None:
        # only the region's own text is kept: a region must not hold its whole
        # document (regions are cached, documents are read back from disk)
        self.text, self.start, self.end = clean[start:end], start, end
        content, toks = content_tokens(clean, start, end)
        self.chars = token_chars(toks.ids[content])
        self.tok_start = toks.start[content]
        self.tok_end = toks.end[content]
        spans: list[tuple[int, int]] = []
        pos = start
        for line in clean[start:end].split("\n"):
            spans.extend((pos + a, pos + b) for a, b in split_sentences(line))
            pos += len(line) + 1
        first = np.searchsorted(self.tok_start, [s for s, _ in spans]).tolist()
        stop = np.searchsorted(self.tok_start, [e for _, e in spans]).tolist()
        self.sentences = [(s, e, f, t) for (s, e), f, t in zip(spans, first, stop, strict=True)]

    def text_of(self, start: int, end: int) -> str:
        """``clean[start:end]``, a span inside the region."""
        return self.text[start - self.start : end - self.start]

    def span(self, first: int, stop: int) -> tuple[int, int]:
        """The span in ``clean`` of ``chars[first:stop]`` (``stop > first``)."""
        return int(self.tok_start[first]), int(self.tok_end[stop - 1])

    def hold(
        self, chars: str, numbers: Counter[str], after: int = 0, *, ends: bool = False
    ) -> tuple[int, int] | None:
        """Where this region holds a sentence (its folded ``chars`` and ``numbers``),
        as a span of ``clean``, or ``None``.

        Word for word, or (sentences of :data:`_MIN_ALIGNED` characters or more)
        where an alignment (``rapidfuzz``) finds :data:`HELD_SIMILARITY` of its
        characters in order, and with the same numbers.  Looked for from
        character ``after`` on first (the sentences of a passage are found in
        order, so that a sentence said twice is held twice), then anywhere.
        With ``ends``, an alignment must also hold both ends of the sentence
        (:func:`ends_held`): what is cut is then never more than a copy with
        characters misread or missing.
        """
        if after > 0:
            found = self._hold(chars, numbers, after, ends)
            if found is not None:
                return found
        return self._hold(chars, numbers, 0, ends)

    def _hold(
        self, chars: str, numbers: Counter[str], after: int, ends: bool
    ) -> tuple[int, int] | None:
        text = self.chars[after:]
        if not chars or not text:
            return None
        at = text.find(chars)
        if at >= 0:
            first, stop = at, at + len(chars)
        elif len(chars) < _MIN_ALIGNED:
            return None
        elif len(chars) >= len(text):
            if LCSseq.similarity(chars, text) < HELD_SIMILARITY * len(chars):
                return None
            first, stop = 0, len(text)
        else:
            found = fuzz.partial_ratio_alignment(chars, text, score_cutoff=100 * HELD_SIMILARITY)
            if found is None or found.dest_end <= found.dest_start:
                return None
            first, stop = found.dest_start, found.dest_end
            # the share of the sentence's own characters found there, in order
            if LCSseq.similarity(chars, text[first:stop]) < HELD_SIMILARITY * len(chars):
                return None
        if ends and at < 0 and not ends_held(chars, text, first, stop):
            return None
        start, end = self.span(after + first, after + stop)
        if Counter(numbers_in(self.text_of(start, end))) != numbers:
            return None
        return start, end

    def chars_before(self, end: int) -> int:
        """How many of :attr:`chars` start before ``end`` (a position in ``clean``).

        >>> Region("甲乙，丙丁", 0, 5).chars_before(3)  # 甲乙: the comma is not a char
        2
        """
        return int(np.searchsorted(self.tok_start, end))


def ends_held(chars: str, text: str, first: int, stop: int) -> bool:
    """Whether a sentence's ``chars``, aligned with ``text[first:stop]``, has no more
    characters of its own at either end than ``text`` has in their place there:
    a character misread at an end is damage, a character more is text the
    holder does not have.  The holder's characters just outside the aligned
    span count as being in their place (an alignment leaves a misread first or
    last character out).

    >>> ends_held("甲乙丙丁戊", "甲乙丙丁己", 0, 5), ends_held("甲乙丙丁戊", "甲乙丙丁", 0, 4)
    (True, False)
    >>> ends_held("甲乙丙丁戊", "乙丙丁戊", 0, 4), ends_held("甲乙丁戊", "甲乙丙丁戊", 0, 5)
    (False, True)
    >>> ends_held("巳乙丙丁戊", "已乙丙丁戊", 1, 5)  # the misread first character
    True
    """
    own_lead, own_tail, _, _ = _unaligned_ends(chars, text[first:stop])
    first, stop = max(0, first - own_lead), min(len(text), stop + own_tail)
    own_lead, own_tail, their_lead, their_tail = _unaligned_ends(chars, text[first:stop])
    return own_lead <= their_lead and own_tail <= their_tail


def _unaligned_ends(a: str, b: str) -> tuple[int, int, int, int]:
    """How many characters at the start and at the end of ``a``, then of ``b``, are
    outside their longest common subsequence."""
    ops = LCSseq.editops(a, b)
    own = {op.src_pos for op in ops if op.tag == "delete"}
    theirs = {op.dest_pos for op in ops if op.tag == "insert"}

    def run(positions: set[int], n: int, backwards: bool) -> int:
        k = 0
        while k < n and ((n - 1 - k) if backwards else k) in positions:
            k += 1
        return k

    return (
        run(own, len(a), False),
        run(own, len(a), True),
        run(theirs, len(b), False),
        run(theirs, len(b), True),
    )


#: How many :class:`Region` objects a :class:`Regions` keeps (least recently used go).
REGION_CACHE = 1 << 13


class Regions:
    """:class:`Region` objects of items' units and of passages, the last
    :data:`REGION_CACHE` made kept (a cluster's are looked at together)."""

    def __init__(self, items: Sequence[Item]) -> None:
        self.items = items
        self._made: OrderedDict[tuple[int, int, int], Region] = OrderedDict()

    def of(self, item: int, start: int, end: int) -> Region:
        """The region ``[start, end)`` of item ``item``'s cleaned document."""
        key = (item, start, end)
        region = self._made.get(key)
        if region is None:
            region = self._made[key] = Region(self.items[item].clean, start, end)
            if len(self._made) > REGION_CACHE:
                self._made.popitem(last=False)
        else:
            self._made.move_to_end(key)
        return region

    def unit(self, item: int) -> Region:
        """The region of item ``item``'s unit."""
        u = self.items[item].unit
        return self.of(item, u.clean_start, u.clean_end)


def _differences(regions: Regions, a: Ref, b: Ref) -> tuple[str, str]:
    """The sentences of ``b`` that ``a`` does not hold, and those of ``a`` that ``b``
    does not hold (cleaned text), as a report names them."""
    ra, rb = regions.of(a.item, a.start, a.end), regions.of(b.item, b.start, b.end)

    def unheld(src: Region, dst: Region) -> str:
        out = []
        for s, e, f, t in src.sentences:
            chars = src.chars[f:t]
            if chars and dst.hold(chars, Counter(numbers_in(src.text_of(s, e)))) is None:
                out.append(src.text_of(s, e).strip())
        return "".join(out)

    return unheld(rb, ra), unheld(ra, rb)


def _passage(region: Region, start: int, end: int) -> tuple[int, int] | None:
    """The whole sentences of ``region`` that ``[start, end)`` stands for, as a span,
    when they hold at least :data:`PASSAGE_TOKENS` content characters and cover
    the span; ``None`` for a phrase inside a sentence."""
    inside = [
        (s, e, f, t)
        for s, e, f, t in region.sentences
        if t > f and overlap_len(s, e, start, end) * 2 >= e - s
    ]
    if not inside:
        return None
    size = sum(t - f for _, _, f, t in inside)
    span_size = int(
        np.searchsorted(region.tok_start, end) - np.searchsorted(region.tok_start, start)
    )
    if size < PASSAGE_TOKENS or size < 0.8 * span_size:
        return None
    return inside[0][0], inside[-1][1]


def overlap_len(s: int, e: int, start: int, end: int) -> int:
    return max(0, min(e, end) - max(s, start))


def _numbers_text(a: Counter[str], b: Counter[str]) -> str:
    return " ".join(sorted((a - b).elements()))


class GroupIndex:
    """Which group each unit is in (``-1``: none), an int32 array of every unit.

    >>> g = GroupIndex(4); g[2] = 0
    >>> g.get(2), g.get(1), g.get(1, -7)
    (0, None, -7)
    """

    __slots__ = ("_of",)

    def __init__(self, n: int) -> None:
        self._of = np.full(n, -1, dtype=np.int32)

    def get(self, i: int, default: int | None = None) -> int | None:
        """The group of unit ``i``, or ``default``."""
        g = int(self._of[i])
        return default if g < 0 else g

    def __setitem__(self, i: int, g: int) -> None:
        self._of[i] = g

    def assign(self, members: np.ndarray, bounds: np.ndarray) -> None:
        """Group ``k`` is ``members[bounds[k]:bounds[k + 1]]``."""
        self._of[members] = np.repeat(np.arange(bounds.size - 1), np.diff(bounds))


def _neighbours(edges: PairList) -> Callable[[int], list[int]]:
    """The units each unit was linked with (both ways), from arrays, not a dict of lists."""
    pairs = edges.array()
    if not pairs.size:
        return lambda i: []
    a = np.concatenate([pairs[:, 0], pairs[:, 1]])
    b = np.concatenate([pairs[:, 1], pairs[:, 0]])
    order = np.argsort(a, kind="stable")
    a, b = a[order], b[order]

    def of(i: int) -> list[int]:
        lo, hi = np.searchsorted(a, i), np.searchsorted(a, i, side="right")
        return b[lo:hi].tolist()

    return of


#: A cluster as :func:`iter_clusters` makes it: its place in the report's order
#: (``(-size, document, start)`` of its kept copy), the cluster (no ``id`` yet)
#: and where its members' texts are.
Built = tuple[tuple[int, tuple[int, int]], Cluster, tuple[Ref, ...]]


def cluster_id_width(n: int) -> int:
    """The digits of the ids of ``n`` clusters (4 at least)."""
    return max(4, len(str(n)))


def cluster_id(n: int, width: int) -> str:
    """The id of the ``n``-th cluster (1-based) of the report: ``c0001`` ...

    >>> cluster_id(7, 4), cluster_id(12345, 5)
    ('c0007', 'c12345')
    """
    return f"c{n:0{width}d}"


def iter_clusters(
    items: UnitTable,
    arrays: UnitArrays,
    links: Links,
    contained: list[Contained],
    keep: str,
    threshold: float,
) -> Iterator[Built]:
    """Every cluster as it is made (in the order of its groups' smallest units, then
    the ``numbers`` clusters), not sorted: a caller that sorts them by their
    place and numbers them has the report's clusters (see
    :func:`~textwash.dedup.clusterfile.finish_clusters`); the units' groups and
    links are NumPy arrays, so what is held besides them is one cluster."""
    doc_order = {doc.doc_id: d for d, doc in enumerate(items.documents)}
    members_of, bounds = links.group_arrays(min_size=2)
    n_groups = bounds.size - 1
    group_of = GroupIndex(len(items))
    group_of.assign(members_of, bounds)
    extra: dict[int, list[Contained]] = {}
    lone: list[int] = []  # groups of one contained passage's unit, after the others
    for c in contained:
        gi = group_of.get(c.inner)
        if gi is None:
            gi = n_groups + len(lone)
            lone.append(c.inner)
            group_of[c.inner] = gi
        extra.setdefault(gi, []).append(c)
    neighbours = _neighbours(links.edges)
    numbers_pairs = {frozenset(p) for p in links.numbers}
    regions = Regions(items)

    def group(gi: int) -> list[int]:
        if gi < n_groups:
            return members_of[bounds[gi] : bounds[gi + 1]].tolist()
        return [lone[gi - n_groups]]

    def position(m: Member) -> tuple[int, int]:
        return (doc_order[m.doc_id], m.start)

    def label(i: int, k: int) -> tuple[str, str, float, str, str]:
        """Why unit ``i`` is a copy of unit ``k``: link, measure, similarity, added, missing."""
        a, b = items[i], items[k]
        if a.key == b.key:
            return "exact", "exact", 1.0, "", ""
        link = "numbers" if frozenset((i, k)) in numbers_pairs or not links.fit(i, k) else "near"
        added = missing = ""
        if link == "numbers":
            na, nb = links.numbers_of(i), links.numbers_of(k)
            added, missing = _numbers_text(na, nb), _numbers_text(nb, na)
            if a.shape == b.shape:
                return link, "shape", 1.0, added, missing
        sa, sb = arrays.shingles[i], arrays.shingles[k]
        jac = jaccard(sa, sb)
        if jac >= threshold:
            return link, "jaccard", jac, added, missing
        ov = overlap(sa, sb)
        if link == "near":
            added, missing = _differences(regions, unit_ref(items, k), unit_ref(items, i))
        if ov >= threshold:
            return link, "overlap", ov, added, missing
        short, long = sorted((regions.unit(i).chars, regions.unit(k).chars), key=len)
        share = LCSseq.similarity(short, long) / len(short) if short else 0.0
        return link, "alignment", share, added, missing

    def rank(i: int) -> tuple[int, ...]:
        """The keep policy's order: the copy to keep is the smallest."""
        it = items[i]
        if keep == "first":
            return (it.order, it.unit.start)
        if keep == "longest":
            return (-it.n_tokens, it.order, it.unit.start)
        return (it.defects, -it.n_tokens, 1, it.order, it.unit.start)

    for gi in range(n_groups + len(lone)):
        ordered = sorted(group(gi), key=lambda i: items[i].sort_key)
        members: list[Member] = []
        refs: list[Ref] = []
        spans: list[tuple[Contained, Member]] = []
        for c in sorted(extra.get(gi, []), key=lambda c: (-c.score, c.outer, c.start)):
            m = contained_member(items, c)
            if any(o.doc_id == m.doc_id and o.start < m.end and m.start < o.end for _, o in spans):
                continue  # the same passage found for another copy of this cluster
            spans.append((c, m))
        passages = []
        if keep == "best":
            for c, m in spans:
                whole = _passage(regions.unit(c.outer), c.start, c.end)
                if whole is not None:
                    n = len(token_array(items[c.outer].clean[whole[0] : whole[1]]))
                    passages.append((c, m, whole, n))
        kept_i = min(ordered, key=rank)
        kept_span: tuple[Contained, Member, tuple[int, int]] | None = None
        # a passage of whole sentences inside a longer paragraph, as good as the
        # best standalone copy, is kept in place: the standalone copy goes
        best = rank(kept_i)
        for c, m, whole, n in passages:
            r = (m.defects, -n, 0, doc_order[m.doc_id], m.start)
            if r < best:
                best, kept_span = r, (c, m, whole)
        if kept_span is None:
            members.append(unit_member(items[kept_i], 1.0, "exact", kept=True))
            refs.append(unit_ref(items, kept_i))
        else:
            c, m, (ws, we) = kept_span
            members.append(replace(m, similarity=1.0, measure="exact", kept=True, link="kept"))
            refs.append(Ref(c.outer, ws, we, False))
        # the copies, each labelled against the kept copy or the copy it was linked through
        parent: dict[int, int] = {}
        if kept_span is None:
            parent[kept_i] = kept_i
            queue = [kept_i]
            for i in queue:
                for j in neighbours(i):
                    if j not in parent:
                        parent[j] = i
                        queue.append(j)
        rest: list[tuple[Member, Ref, int | None]] = []
        for i in ordered:
            if kept_span is None and i == kept_i:
                continue
            it = items[i]
            if kept_span is not None:
                c = kept_span[0]
                sa = arrays.cont_set[i]
                share = common(sa, arrays.cont_set[c.outer]) / sa.size if sa.size else 0.0
                m = replace(unit_member(it, share, "containment"), link="containment")
                rest.append((m, unit_ref(items, i), None))
                continue
            link, measure, sim, added, missing = label(i, kept_i)
            via = None
            # linked through another copy: compared with that one (numbers copies are
            # in a copy cluster only with remove_numbers; here one joined through a copy)
            indirect = measure == "alignment" or (link == "numbers" and not links.remove_numbers)
            if indirect and parent.get(i, kept_i) != kept_i:
                via = parent[i]
                link, measure, sim, added, missing = label(i, via)
            if link == "numbers" and not links.remove_numbers:
                link = "near"  # its numbers fit the copy it was joined with
            m = replace(unit_member(it, sim, measure), link=link, added=added, missing=missing)
            rest.append((m, unit_ref(items, i), via))
        for c, m in spans:
            if kept_span is not None and (
                c is kept_span[0]
                or (c.outer == kept_span[0].outer and overlap_len(c.start, c.end, *kept_span[2]))
            ):
                continue  # the kept passage itself
            via = c.inner if kept_span is None and c.inner != kept_i else None
            rest.append((m, Ref(c.outer, c.start, c.end, False), via))
        rest.sort(key=lambda r: position(r[0]))
        index_of = {ref.item: n for n, (_, ref, _) in enumerate(rest, 1) if ref.whole}
        for m, ref, via in rest:
            if via is not None and via in index_of:
                m = replace(m, via=index_of[via])
            members.append(m)
            refs.append(ref)
        links_found = {m.link for m in members[1:]}
        kind = (
            "containment"
            if kept_span is not None or "containment" in links_found
            else "numbers"
            if "numbers" in links_found
            else "near"
            if "near" in links_found
            else "exact"
        )
        cluster = Cluster("", kind, tuple(members))
        yield ((-len(members), position(members[0])), cluster, tuple(refs))
    if links.numbers and not links.remove_numbers:
        yield from numbers_clusters(items, links, group_of, rank, label, position)


def numbers_clusters(
    items: Sequence[Item],
    links: Links,
    group_of: GroupIndex,
    rank: Callable[[int], tuple[int, ...]],
    label: Callable[[int, int], tuple[str, str, float, str, str]],
    position: Callable[[Member], tuple[int, int]],
) -> list[tuple[tuple[int, tuple[int, int]], Cluster, tuple[Ref, ...]]]:
    """Clusters of ``numbers`` copies (kept by default): one member for each group of
    copies the ``numbers`` pairs touch, every member kept.

    A member is compared with the reference copy (``members[0]``) when the two
    make a pair, else with the member it pairs with (``via``).
    """

    def group(i: int) -> int:
        g = group_of.get(i, -1 - i)
        assert g is not None
        return g

    unit_of: dict[int, int] = {}  # group -> the unit that stands for it
    pairs: dict[int, set[int]] = {}
    for a, b in links.numbers:
        for i in (a, b):
            g = group(i)
            if g not in unit_of or items[i].sort_key < items[unit_of[g]].sort_key:
                unit_of[g] = i
        ga, gb = group(a), group(b)
        if ga != gb:
            pairs.setdefault(ga, set()).add(gb)
            pairs.setdefault(gb, set()).add(ga)
    out = []
    seen: set[int] = set()
    for start in sorted(pairs, key=lambda g: items[unit_of[g]].sort_key):
        if start in seen:
            continue
        component = [start]
        seen.add(start)
        for g in component:
            for h in sorted(pairs[g]):
                if h not in seen:
                    seen.add(h)
                    component.append(h)
        ref_g = min(component, key=lambda g: rank(unit_of[g]))
        parent = {ref_g: ref_g}
        queue = [ref_g]
        for g in queue:
            for h in sorted(pairs[g]):
                if h not in parent:
                    parent[h] = g
                    queue.append(h)
        ref_i = unit_of[ref_g]
        members = [unit_member(items[ref_i], 1.0, "exact", kept=True)]
        refs = [unit_ref(items, ref_i)]
        rest = []
        for g in component:
            if g == ref_g:
                continue
            i, other = unit_of[g], unit_of[parent[g]]
            _, measure, sim, added, missing = label(i, other)
            if measure != "shape":
                na, nb = links.numbers_of(i), links.numbers_of(other)
                added, missing = _numbers_text(na, nb), _numbers_text(nb, na)
            m = replace(
                unit_member(items[i], sim, measure, kept=True),
                link="numbers",
                added=added,
                missing=missing,
            )
            rest.append((m, i, other if other != ref_i else None))
        rest.sort(key=lambda r: position(r[0]))
        index_of = {i: n for n, (_, i, _) in enumerate(rest, 1)}
        for m, i, via in rest:
            members.append(m if via is None else replace(m, via=index_of[via]))
            refs.append(unit_ref(items, i))
        cluster = Cluster("", "numbers", tuple(members))
        out.append(((-len(members), position(members[0])), cluster, tuple(refs)))
    return out


def restore_parts(parts: Parts, clusters: list[Cluster]) -> list[Cluster]:
    """:meth:`Parts.restore`, with the containing paragraph's span moved along."""
    out = []
    for before, after in zip(clusters, parts.restore(clusters), strict=True):
        members = []
        for m0, m in zip(before.members, after.members, strict=True):
            if m.outer_start is not None and m.outer_end is not None:
                shift = m.start - m0.start
                m = replace(m, outer_start=m.outer_start + shift, outer_end=m.outer_end + shift)
            members.append(m)
        out.append(replace(after, members=tuple(members)))
    return out
