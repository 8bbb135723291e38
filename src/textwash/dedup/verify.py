"""Stage **verification**: every candidate pair is checked before it is a copy.

LSH candidates are verified with the exact Jaccard similarity of the two units'
shingle sets (:func:`jaccard`), so LSH false positives never reach a report;
containment candidates with :func:`overlap` and :func:`common`.

Below that, copies that OCR and retyping damaged, and copies split in two.

Shingle similarities break down on copies with scattered wrong characters: a
copy with 4 wrong characters per 100 (``己``/``已``, ``末``/``未``, ``在``/``再`` …)
loses about a fifth of its 5-gram shingles, so its Jaccard similarity with the
original falls below 0.8 even when nothing else differs.  An alignment does not:
the longest common subsequence (LCS) of the two texts still holds 95 of every
100 characters.  This module decides, for candidate pairs that the shingle
tests turned down, whether they are copies all the same:

* :func:`comparison_text`: a unit's cleaned text as the alignment compares it:
  folded like the shingles (traditional → simplified one character at a time,
  case), without spaces, punctuation or function characters (``的了在是…``,
  which rewrites drop), but with the digits of every number;
* :func:`near_copy`: the shorter text is found, in order, in the longer one
  (``LCS ≥ NEAR_SHARE × len(shorter)``); the shorter has :data:`MIN_CHARS`
  characters or more and the longer at most :data:`MAX_RATIO` times as many;
  and no number changed (:func:`number_changed`): two paragraphs that differ in
  their numbers (a year's statistics and the next year's, ``第七条`` and
  ``第十四条``) are never copies here, however well they align;
* :class:`Verifier`, which :func:`~textwash.dedup.find.find_duplicates` calls:
  :meth:`Verifier.near` for a candidate pair of containment that its own tests
  turned down (the overlap test for comparable lengths, the one-stretch test
  for a much longer unit), and :meth:`Verifier.join_split_copies` after
  containment, which puts together a copy that line breaks split into
  consecutive units (a hard wrap right after ``。`` ends a paragraph).

No candidate is generated here: :meth:`Verifier.near` sees only the pairs that
containment's prefix-filtered 3-gram index proposes (a copy with 5 wrong
characters per 100 keeps about 85% of its 3-grams, against the 60% asked), and
the split pass looks only at the neighbours of units already linked or turned
down, so the cost stays bounded by what the other stages find.  Alignments are
computed by ``rapidfuzz`` (bit-parallel LCS in C++, about a microsecond for two
paragraphs).

The thresholds come from the labelled set (docs/dedup-quality.md): true pairs
that reach :meth:`Verifier.near` align at 0.67–1.0 (those under 0.85 are parts
of split copies, put together later), different paragraphs sharing stock
phrases or a first sentence at 0.75 at most; the pairs of the labelled set's
``numbers`` distractors align at up to 0.96 and are all turned down by
:func:`number_changed`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from rapidfuzz.distance import LCSseq

from ..normalizers.chinese import get_converter
from .keys import FUNCTION_IDS
from .unionfind import UnionFind

__all__ = [
    "MAX_RATIO",
    "MIN_CHARS",
    "NEAR_SHARE",
    "Verifier",
    "common",
    "comparison_text",
    "jaccard",
    "lcs_share",
    "near_copy",
    "number_changed",
    "overlap",
    "rewritten",
]


def common(a: np.ndarray, b: np.ndarray) -> int:
    """How many values two sorted, unique arrays share.

    >>> common(np.array([1, 3, 5]), np.array([3, 4, 5]))
    2
    """
    return int(np.intersect1d(a, b, assume_unique=True).size)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two sets of shingle hashes (sorted, unique arrays).

    >>> jaccard(np.array([1, 2, 3]), np.array([2, 3, 4]))
    0.5
    """
    if not a.size or not b.size:
        return 0.0
    inter = common(a, b)
    return inter / (a.size + b.size - inter)


def overlap(a: np.ndarray, b: np.ndarray) -> float:
    """Overlap coefficient: the share of the smaller set inside the larger one.

    >>> overlap(np.array([1, 2]), np.array([1, 2, 3, 4]))
    1.0
    """
    if not a.size or not b.size:
        return 0.0
    return common(a, b) / min(a.size, b.size)


#: The share of the shorter text an alignment must find in the longer one.
#: A copy with 5 wrong characters per 100 keeps 95%, two such copies of one
#: original keep 90% of each other.
NEAR_SHARE = 0.85
#: A rewrite, not damage: more characters than this (or this share of the
#: shorter text) in words replaced by others (:func:`rewritten`).
REWRITE_CHARS = 3
REWRITE_SHARE = 0.04
#: The ``threshold`` of find_duplicates at which NEAR_SHARE applies.
DEFAULT_THRESHOLD = 0.8
#: Texts with fewer comparison characters are not judged by alignment: a few
#: shared phrases make up most of them.
MIN_CHARS = 20
#: The longer text may have at most this many times the characters of the
#: shorter (by chance, a short text is found almost whole in a long one).
MAX_RATIO = 3.0
#: A neighbour joins a split copy when it extends the alignment with the other
#: copy by at least this share of its own characters, and has this many.
JOIN_GAIN = 0.8
MIN_PART_CHARS = 8
#: At most this many consecutive units are put together into one copy.
MAX_PARTS = 4

#: How many units' comparison texts a :class:`Verifier` keeps (least recently used go).
TEXT_CACHE = 1 << 16

_NUMERALS = frozenset("零〇一二三四五六七八九十百千万亿两壹贰叁肆伍陆柒捌玖拾佰仟")
_NUMBER_CHARS = _NUMERALS | frozenset("0123456789")
_SENTENCE = re.compile(r"[^。！？!?]+(?:[。！？!?]+[”’」』）)\"']*|$)")


class _Fold(dict[int, int | None]):
    """``str.translate`` table of comparison texts, filled one character at a time.

    Letters and digits stay (folded: traditional → simplified through OpenCC
    ``t2s`` one character at a time, full width → ASCII, lower case); function
    characters go when ``drop`` is set; everything else (spaces, punctuation,
    symbols) goes.
    """

    def __init__(self, drop: bool) -> None:
        super().__init__()
        self.drop = drop

    def __missing__(self, code: int) -> int | None:
        char = chr(code)
        value: int | None = None
        if char.isalnum():
            folded = unicodedata.normalize("NFKC", char).lower() if not char.isascii() else char
            if _HAN.match(char):
                t2s = get_converter("t2s").convert(folded)
                folded = t2s if len(t2s) == 1 and _HAN.match(t2s) else char
            if len(folded) == 1 and not (self.drop and code in _FUNCTION_CODES):
                value = ord(folded.lower())
        self[code] = value
        return value


_FUNCTION_CODES = frozenset(int(c) for c in FUNCTION_IDS)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_TABLES = {True: _Fold(True), False: _Fold(False)}


def comparison_text(clean: str, drop_function_words: bool = True) -> str:
    """``clean`` (a cleaned unit) as the alignment compares it.

    Letters and digits only: Han characters folded to simplified one at a
    time (as the shingles are), function characters
    (:data:`~textwash.dedup.keys.FUNCTION_CHARS`) left out unless
    ``drop_function_words`` is false, full-width letters and digits narrowed,
    Latin letters in lower case; spaces, punctuation and symbols dropped (so
    ``1,200`` is ``1200``).

    >>> comparison_text("2023年全市生產總值1,200億元，同比增長6.5%，第十四條。")
    '2023年全市生产总值1200亿元同比增长65第十四条'
    >>> comparison_text("社 会 的 發展 ＡＢ", drop_function_words=False)
    '社会的发展ab'
    """
    return clean.translate(_TABLES[drop_function_words])


def lcs_share(a: str, b: str) -> float:
    """The share of the shorter text that an alignment finds, in order, in the longer one.

    >>> lcs_share(comparison_text("公安机关群众工作"), comparison_text("公安機關的群眾工作方法"))
    1.0
    >>> lcs_share("公安机关群众工作", "公安机关工作方法")
    0.75
    """
    n = min(len(a), len(b))
    return LCSseq.similarity(a, b) / n if n else 0.0


def _stretches(a: str, b: str) -> list[tuple[str, str]]:
    """Where ``a`` and ``b`` differ once aligned: ``(left out of a, left out of b)``
    for every stretch between two aligned characters.

    >>> _stretches("公安机关群众工作", "公安機关的群众方法")
    [('机', '機'), ('', '的'), ('工作', '方法')]
    """
    out: list[tuple[str, str]] = []
    gone: list[str] = []
    came: list[str] = []
    for op in LCSseq.opcodes(a, b):
        if op.tag == "equal":
            if gone or came:
                out.append(("".join(gone), "".join(came)))
                gone, came = [], []
            continue
        gone.append(a[op.src_start : op.src_end])
        came.append(b[op.dest_start : op.dest_end])
    if gone or came:
        out.append(("".join(gone), "".join(came)))
    return out


def number_changed(a: str, b: str) -> bool:
    """Whether aligning ``a`` with ``b`` puts a number of one where the other has another.

    The texts are aligned (longest common subsequence); in every stretch
    between aligned characters, a digit or Chinese numeral left out of ``a``
    facing one left out of ``b`` is a changed value (``2023``/``2024``,
    ``第七条``/``第十四条``).  A number only one side has (a sentence added or
    deleted) is no change.

    >>> number_changed("第七条责令改正", "第十四条责令改正"), number_changed("增长", "2023年增长")
    (True, False)
    """
    return _number_changed(_stretches(a, b))


def _number_changed(stretches: list[tuple[str, str]]) -> bool:
    return any(
        any(c in _NUMBER_CHARS for c in gone) and any(c in _NUMBER_CHARS for c in came)
        for gone, came in stretches
    )


def rewritten(short: str, long: str) -> int:
    """How many characters of ``short`` sit in words that ``long`` has others in place of.

    OCR and retyping change characters one at a time; a rewrite replaces
    words (``不仅`` → ``我们``, ``维护`` → ``新形势下社会``).  Counted: the
    characters of every stretch where ``short`` loses two or more facing at
    least one of ``long``'s.

    >>> rewritten("也是维护社会稳定的保证", "是新形势下社会稳定的保证"), rewritten("维护", "维扩")
    (2, 0)
    """
    return _rewritten(_stretches(short, long))


def _rewritten(stretches: list[tuple[str, str]]) -> int:
    return sum(len(gone) for gone, came in stretches if len(gone) >= 2 and came)


def near_copy(a: str, b: str, share: float = NEAR_SHARE, *, inside: bool = True) -> bool:
    """Whether the shorter of ``a`` and ``b`` (comparison texts) is found, damaged, in the other.

    With ``inside=False`` the alignment must find ``share`` of the longer text
    too (no sentence added or function words dropped on one side only).

    >>> o = "志愿服务队成立于三年前，已有注册志愿者四百余人，其中党员占了大多数。"
    >>> c = "志愿服物队成立于三年前,已有注册志愿者四百余人,其中党员占了太多数。"
    >>> near_copy(comparison_text(o), comparison_text(c))
    True
    >>> near_copy(comparison_text(o), comparison_text(o.replace("三", "五")))
    False
    """
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    n = len(short)
    if n < MIN_CHARS or len(long) > MAX_RATIO * n:
        return False
    need = -int(-share * (n if inside else len(long)) // 1)  # ceil
    if not LCSseq.similarity(short, long, score_cutoff=need):
        return False
    stretches = _stretches(short, long)
    if _rewritten(stretches) > max(REWRITE_CHARS, REWRITE_SHARE * n):
        return False
    return not _number_changed(stretches)


class Verifier:
    """Alignment checks over the units of one :func:`find_duplicates` run.

    ``items[i]`` is unit ``i`` with its document's ``order``, cleaned text
    ``clean``, exact ``key`` and ``unit`` (``index``, ``clean_start``,
    ``clean_end``); comparison texts are made on demand and kept.  An
    alignment must find :data:`NEAR_SHARE` of the shorter text at the default
    ``threshold`` (0.8) and as much more as ``threshold`` is raised above it
    (0.9: 0.95), so a caller asking for closer copies gets them here too.
    With ``drop_function_words=False`` function characters count, and the
    alignment must find that share of both texts (:func:`near_copy` with
    ``inside=False``): a copy with words dropped or a sentence added is then
    left to the shingle tests.  ``pairs``
    counts the pairs :meth:`near` accepted, ``joined`` the units
    :meth:`join_split_copies` joined, ``checked`` the alignments made.
    """

    def __init__(
        self,
        items: Sequence[Any],
        threshold: float = DEFAULT_THRESHOLD,
        drop_function_words: bool = True,
    ) -> None:
        self.items = items
        self.drop_function_words = drop_function_words
        #: the share an alignment needs: NEAR_SHARE at the default threshold,
        #: stricter by as much as a caller raises the threshold above it
        self.share = min(1.0, NEAR_SHARE + max(0.0, threshold - DEFAULT_THRESHOLD))
        self._texts: OrderedDict[int, str] = OrderedDict()
        self._partial: list[tuple[int, int]] = []
        self.pairs = 0
        self.joined = 0
        self.checked = 0

    def text(self, i: int) -> str:
        """The comparison text of unit ``i`` (the last :data:`TEXT_CACHE` units' are kept)."""
        t = self._texts.get(i)
        if t is None:
            it = self.items[i]
            u = it.unit
            t = self._texts[i] = comparison_text(
                it.clean[u.clean_start : u.clean_end], self.drop_function_words
            )
            if len(self._texts) > TEXT_CACHE:
                self._texts.popitem(last=False)
        else:
            self._texts.move_to_end(i)
        return t

    def near(self, a: int, b: int) -> bool:
        """Whether units ``a`` and ``b`` are copies despite scattered damage (:func:`near_copy`).

        A pair turned down is remembered: it may be part of a copy split in
        two, which :meth:`join_split_copies` tries to put together.
        """
        self.checked += 1
        if self._near(self.text(a), self.text(b)):
            self.pairs += 1
            return True
        self._partial.append((a, b))
        return False

    def join_split_copies(
        self,
        uf: UnionFind,
        contained: list[Any],
        *,
        partners_per_unit: int = 3,
        note: Callable[[str, int, int], None] | None = None,
    ) -> int:
        """Put together copies split into consecutive units; retry refused pairs.

        A hard wrap right after ``。`` ends a paragraph for line repair as for a
        reader, so a copy wrapped there reaches the comparison as two units,
        each a part of the other copy.  For every unit ``x`` linked to a unit
        ``w`` (one group, or found inside it: ``contained`` items with
        ``inner`` and ``outer``) or turned down against it by :meth:`near`,
        while ``x`` does not cover ``w``: ``x`` takes in its neighbours one at a
        time (up to :data:`MAX_PARTS` units), each only if it extends the
        alignment with ``w`` by :data:`JOIN_GAIN` of its own characters (or
        all its sentences but one do: a sentence added to the copy); when
        the parts together are a copy of ``w`` (:func:`near_copy`), they all
        join ``w``'s group in ``uf``.

        Before that, every pair :meth:`near` turned down is tried again with
        the other copies of each side (up to ``partners_per_unit`` each, the
        longest first): containment compares one copy for each group, which
        may be the one with the sentence of its own.

        Passages found inside a unit of their own group are then dropped from
        ``contained`` (changed in place).  Returns how many units joined a
        group.
        """
        groups = uf.group_arrays(min_size=2)
        stand_for = self._stand_for(uf, partners_per_unit, groups)
        retried = 0
        for a, b in self._partial:
            if uf.find(a) == uf.find(b):
                continue
            others = [self.text(y) for y in stand_for.get(uf.find(b), [b])]
            for x in stand_for.get(uf.find(a), [a]):
                self.checked += len(others)
                if any(self._near(self.text(x), t) for t in others):
                    uf.union(a, b)
                    retried += 1
                    break
        if retried:
            self.pairs += retried
            groups = uf.group_arrays(min_size=2)
            stand_for = self._stand_for(uf, partners_per_unit, groups)
        joined = 0
        partners = self._partners(uf, stand_for, contained, groups)
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
        if joined or retried:
            contained[:] = [c for c in contained if uf.find(c.inner) != uf.find(c.outer)]
        self.joined += joined
        return joined

    def _stand_for(
        self, uf: UnionFind, per_group: int, groups: tuple[np.ndarray, np.ndarray]
    ) -> dict[int, list[int]]:
        """For every group of two or more (``groups``: :meth:`UnionFind.group_arrays`),
        by its root: its longest members with distinct texts."""
        out: dict[int, list[int]] = {}
        grouped, bounds = groups
        for k in range(bounds.size - 1):
            members = grouped[bounds[k] : bounds[k + 1]].tolist()
            seen: set[bytes] = set()
            longest: list[int] = []
            for i in sorted(members, key=lambda i: -self._length(i)):
                key = self.items[i].key
                if key not in seen:
                    seen.add(key)
                    longest.append(i)
                    if len(longest) == per_group:
                        break
            out[uf.find(members[0])] = longest
        return out

    def _partners(
        self,
        uf: UnionFind,
        stand_for: dict[int, list[int]],
        contained: list[Any],
        groups: tuple[np.ndarray, np.ndarray],
    ) -> dict[int, list[int]]:
        """For every unit linked or turned down: the units it may be part of a copy of."""
        partners: dict[int, list[int]] = {}
        grouped, bounds = groups
        for k in range(bounds.size - 1):
            members = grouped[bounds[k] : bounds[k + 1]].tolist()
            longest = stand_for[uf.find(members[0])]
            lengths = {w: self._length(w) for w in longest}
            for x in members:
                # a part of a copy is clearly shorter than the copy (a linked unit
                # about as long as w is a copy of it already)
                n = self._length(x)
                ws = [w for w in longest if n < NEAR_SHARE * lengths[w]]
                if ws:
                    partners[x] = ws
        for c in contained:
            partners.setdefault(c.inner, []).append(c.outer)
        for a, b in self._partial:
            if uf.find(a) != uf.find(b):
                partners.setdefault(a, []).append(b)
                partners.setdefault(b, []).append(a)
        return partners

    def _neighbour(self, i: int, step: int) -> int | None:
        """The unit right before (``step=-1``) or after (``+1``) unit ``i`` in its document."""
        j = i + step
        if not 0 <= j < len(self.items):
            return None
        a, b = self.items[i], self.items[j]
        if a.order != b.order or b.unit.index != a.unit.index + step:
            return None
        return j

    def _extend(self, x: int, w: int) -> list[int] | None:
        """The consecutive units, ``x`` among them, that together are a copy of ``w``."""
        tw, text = self.text(w), self.text(x)
        if not text:
            return None
        self.checked += 1
        score = LCSseq.similarity(text, tw)
        if score >= NEAR_SHARE * max(len(text), len(tw)):
            return None  # x is the whole of w already
        first = last = x
        while last - first + 1 < MAX_PARTS:
            best: tuple[int, int, str, int] | None = None
            for step, edge in ((-1, first), (1, last)):
                y = self._neighbour(edge, step)
                if y is None:
                    continue
                ty = self.text(y)
                if len(ty) < MIN_PART_CHARS:
                    continue
                grown = ty + text if step < 0 else text + ty
                self.checked += 1
                gain = LCSseq.similarity(grown, tw) - score
                if gain < JOIN_GAIN * len(ty) and not self._held_but_one(y, tw, gain):
                    continue
                if best is None or gain > best[3]:
                    best = (step, y, grown, gain)
            if best is None:
                break
            step, y, text, gain = best
            score += gain
            first, last = (y, last) if step < 0 else (first, y)
        if first == last or not self._near(text, tw):
            return None
        return list(range(first, last + 1))

    def _held_but_one(self, y: int, tw: str, gain: int) -> bool:
        """Whether all sentences of unit ``y`` but one are found in ``tw``, and in order.

        The part of a split copy may carry a sentence the other copy lacks (one
        was added or inserted there): its other sentences must each be found,
        :data:`JOIN_GAIN` of their characters, in ``tw``, add up to
        :data:`MIN_PART_CHARS` or more, and extend the alignment (``gain``) by
        as much.
        """
        sents = self._sentences(y)
        if len(sents) < 2:
            return False
        held = [s for s in sents if LCSseq.similarity(s, tw) >= JOIN_GAIN * len(s)]
        n_held = sum(len(s) for s in held)
        return (
            len(held) >= len(sents) - 1 and n_held >= MIN_PART_CHARS and gain >= JOIN_GAIN * n_held
        )

    def _sentences(self, i: int) -> list[str]:
        """The comparison texts of the sentences of unit ``i``."""
        it = self.items[i]
        u = it.unit
        pieces = _SENTENCE.findall(it.clean[u.clean_start : u.clean_end])
        pieces = [comparison_text(p, self.drop_function_words) for p in pieces]
        return [t for t in pieces if t]

    def _near(self, a: str, b: str) -> bool:
        return near_copy(a, b, self.share, inside=self.drop_function_words)

    def _length(self, i: int) -> int:
        u = self.items[i].unit
        return int(u.clean_end - u.clean_start)
