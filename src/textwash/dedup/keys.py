"""Normalized tokens, exact keys and shingles of a unit.

Chinese has no spaces, and tokenizers that split on ``\\W`` see whole clauses
as one token, so Han text is tokenized character by character; Latin words and
numbers are single tokens.  Tokens are folded (traditional → simplified, case,
the width and grouping of numbers: ``１２００``, ``1,200`` and ``1 200`` are all
``1200``) before keys and shingles are built, so copies that differ only in
script, case, spaces or punctuation agree.  The *values* of numbers are not
folded: two statistics paragraphs of different years are different texts.
:func:`shape_ids` masks the numbers (and Chinese numerals) for the test that
finds such texts, which the duplicate report calls ``numbers``.

Two views of the same tokens: :func:`tokenize` gives readable strings,
:func:`token_array` gives the NumPy arrays the deduplication stages use (one
32-bit id per token, see :func:`token_id`).  Shingle hashes are computed from
the ids with a vectorised mixing function, so no Python code runs per shingle.
"""

from __future__ import annotations

import hashlib
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import regex

from ..normalizers.chinese import get_converter

__all__ = [
    "CHINESE_NUMERALS",
    "FUNCTION_CHARS",
    "FUNCTION_IDS",
    "NUMBER_ID",
    "TokenArray",
    "exact_key",
    "is_number_id",
    "ngram_hashes",
    "number_mask",
    "number_value",
    "numbers_in",
    "shape_ids",
    "shingles",
    "splitmix64_finalize",
    "token_array",
    "token_id",
    "tokenize",
]

#: A number: digits of any width, grouped by commas or spaces in threes
#: (``1,200``, ``1 200``), or with a decimal part (``6.5``).
_NUMBER = (
    r"(?<!\d)\d{1,3}(?:,\d{3})+(?:[.．]\d+)?(?![\d,])"
    r"|(?<!\d)\d{1,3}(?:[ \u00a0\u2009\u202f]\d{3})+(?![\d.．])"
    r"|\d+(?:[.．]\d+)?"
)
_TOKEN = regex.compile(rf"\p{{Han}}|{_NUMBER}|[^\W\d_\p{{Han}}]+", regex.UNICODE)
_OTHER = regex.compile(rf"({_NUMBER})|[^\W\d_\p{{Han}}]+", regex.UNICODE)
_HAN = regex.compile(r"\p{Han}")

#: Han characters that write numbers (ordinary and financial forms).
CHINESE_NUMERALS = "〇零一二三四五六七八九十百千万亿两壹贰叁肆伍陆柒捌玖拾佰仟"
#: What a Chinese numeral counts when it is a number: articles, items, chapters,
#: sessions, years, days, money ...
_COUNTERS = "条款项章节编篇卷届期年月日号元倍岁%"
#: A Chinese numeral that is a number in context: ``第七条``, ``十四条``,
#: ``百分之五``, ``二〇二三年``; not ``第一线`` or ``一些``, which are words.
_CHINESE_NUMBER = regex.compile(
    rf"(?<=百分之)[{CHINESE_NUMERALS}]+"
    rf"|(?<![\d{CHINESE_NUMERALS}])[{CHINESE_NUMERALS}]+(?=[{_COUNTERS}])"
)
#: A digit number with the 万 or 亿 that multiplies it (``5.2万``, ``1200亿``).
_DIGIT_NUMBER = regex.compile(rf"(?:{_NUMBER})[万亿]?")

#: Token ids of numbers have this bit set (and not the top one, which words have).
NUMBER_ID = 0x40000000

#: Function characters that summaries and "pseudo-original" rewrites drop
#: (的、了、在、是 …); containment matching ignores them on both sides.
FUNCTION_CHARS = frozenset(
    "的了在是着地得之等对于与和及而也就都这那个些为以到从把被让使将其所很最更又还并或则但"
)
#: :data:`FUNCTION_CHARS` as sorted token ids.
FUNCTION_IDS = np.array(sorted(ord(c) for c in FUNCTION_CHARS), dtype=np.uint32)


def _fold_char(char: str) -> str:
    """One Han character through OpenCC ``t2s``, kept when the result is not one Han character."""
    folded = get_converter("t2s").convert(char)
    return folded if len(folded) == 1 and _HAN.match(folded) else char


class _FoldTable(dict[int, int]):
    """``str.translate`` table: a Han character to its simplified form, filled on demand.

    Folding one character at a time (never by phrase) makes a unit's tokens the
    same whether it is tokenized alone or inside its document.
    """

    def __missing__(self, code: int) -> int:
        char = chr(code)
        value = ord(_fold_char(char)) if _HAN.match(char) else code
        self[code] = value
        return value


_FOLD = _FoldTable()
_BMP_FOLD: list[np.ndarray] = []


def _bmp_fold() -> np.ndarray:
    """:data:`_FOLD` for the whole Basic Multilingual Plane as a lookup array.

    Built once per process with one OpenCC call over every BMP Han character,
    one per line (no phrase spans a line break), and entered into ``_FOLD``.
    """
    if not _BMP_FOLD:
        table = np.arange(0x10000, dtype=np.uint32)
        bmp = "".join(chr(c) for c in range(0x10000) if not 0xD800 <= c < 0xE000)
        han = _HAN.findall(bmp)
        folded = get_converter("t2s").convert("\n".join(han)).split("\n")
        if len(folded) != len(han):  # pragma: no cover - OpenCC kept the lines apart so far
            folded = [_fold_char(c) for c in han]
        for char, new in zip(han, folded, strict=True):
            if new != char and len(new) == 1 and _HAN.match(new):
                table[ord(char)] = ord(new)
        for char in han:
            _FOLD[ord(char)] = int(table[ord(char)])
        _BMP_FOLD.append(table)
    return _BMP_FOLD[0]


def _fold(text: str) -> str:
    """Traditional → simplified, one character for one character.

    >>> _fold("後來發佈了乾坤")
    '后来发布了干坤'
    """
    if not _HAN.search(text):
        return text
    _bmp_fold()
    return text.translate(_FOLD)


def number_value(number: str) -> str:
    """A number as its value is written: ASCII digits, no grouping, no leading zeros.

    Width and grouping fold; the value does not.

    >>> [number_value(n) for n in ["１２００", "1,200", "1 200", "007", "6.50", "6．5"]]
    ['1200', '1200', '1200', '7', '6.5', '6.5']
    """
    if not (number.isascii() and number.isdigit()):
        chars = []
        for c in number:
            if c.isdigit():
                chars.append(str(unicodedata.decimal(c)))
            elif c in ".．":
                chars.append(".")
        number = "".join(chars)
    whole, _, fraction = number.partition(".")
    whole = whole.lstrip("0") or "0"
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


def numbers_in(text: str) -> list[str]:
    """The numbers of ``text``, in order: digit numbers by value, and Chinese
    numerals where they count something (``第十四条``, ``三年``, ``百分之五``).

    >>> numbers_in("2023年实现1,200亿元，增长6.5%。第十四条，在第一线")
    ['2023', '1200亿', '6.5', '十四']
    """
    found = []
    for m in _DIGIT_NUMBER.finditer(text):
        number = m.group()
        unit = number[-1] if number[-1] in "万亿" else ""
        found.append((m.start(), number_value(number.rstrip("万亿")) + unit))
    found += [(m.start(), m.group()) for m in _CHINESE_NUMBER.finditer(text)]
    return [n for _, n in sorted(found)]


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """Folded tokens of ``text`` with their ``(start, end)`` character spans.

    Numbers are one token each, written as their value (:func:`number_value`).

    >>> [t for t, _, _ in tokenize("後來,Windows １０ 發布了1,200")]
    ['后', '来', 'windows', '10', '发', '布', '了', '1200']
    """
    out = []
    for m in _TOKEN.finditer(_fold(text)):
        tok = m.group(0)
        if tok[0].isdigit():
            tok = number_value(tok)
        elif not _HAN.match(tok):
            tok = tok.casefold()
        out.append((tok, m.start(), m.end()))
    return out


def token_id(token: str) -> int:
    """The 32-bit id of a folded token: its code point if it is one character.

    Numbers get a CRC-32 of their value with :data:`NUMBER_ID` set, longer
    tokens (Latin words) a CRC-32 with the top bit set: both are above every
    code point, and apart from each other.

    >>> token_id("公"), is_number_id(token_id("10")), token_id("windows") > 0x10FFFF
    (20844, True, True)
    """
    crc = zlib.crc32(token.encode("utf-8", "surrogatepass"))
    if token[:1].isdigit():
        return NUMBER_ID | (crc & 0x3FFFFFFF)
    if len(token) == 1:
        return ord(token)
    return crc | 0x80000000


@lru_cache(maxsize=1 << 16)
def _number_id(number: str) -> int:
    """:func:`token_id` of a number as written (numbers repeat: cached)."""
    return token_id(number_value(number))


def is_number_id(ids: int | np.ndarray) -> Any:
    """Whether token ids are numbers (element-wise for an array).

    >>> is_number_id(token_array("第7条 ok").ids).tolist()
    [False, True, False, False]
    """
    if isinstance(ids, np.ndarray):
        return (ids & np.uint32(0xC0000000)) == np.uint32(NUMBER_ID)
    return (ids & 0xC0000000) == NUMBER_ID


_NUMERAL_TABLE = np.zeros(0x10000, dtype=bool)
_NUMERAL_TABLE[[ord(c) for c in CHINESE_NUMERALS]] = True


def shape_ids(ids: np.ndarray) -> np.ndarray:
    """``ids`` with every number and run of Chinese numerals as one :data:`NUMBER_ID`.

    Two texts with the same shape and different tokens differ only in their
    numbers: ``第七条`` and ``第十四条``, ``2023年`` and ``2024年``.

    >>> a, b = (shape_ids(token_array(t).ids) for t in ("第七条增长6.5%", "第十四条增长5%"))
    >>> a.tolist() == b.tolist(), a.size
    (True, 6)
    """
    ids = np.asarray(ids, dtype=np.uint32)
    masked = number_mask(ids)
    keep = np.ones(ids.size, dtype=bool)
    keep[1:] = ~(masked[1:] & masked[:-1])
    return np.where(masked, np.uint32(NUMBER_ID), ids)[keep]


def number_mask(ids: np.ndarray) -> np.ndarray:
    """Which of ``ids`` are numbers or Chinese numerals (what :func:`shape_ids` masks).

    >>> number_mask(token_array("第七条增长6.5%").ids).tolist()
    [False, True, False, False, False, True]
    """
    return is_number_id(ids) | ((ids < 0x10000) & _NUMERAL_TABLE[np.minimum(ids, 0xFFFF)])


@dataclass(frozen=True, slots=True)
class TokenArray:
    """Token ids of a text with their character spans, as NumPy arrays.

    >>> t = token_array("社会 ok")
    >>> len(t), t.start.tolist(), t.end.tolist()
    (3, [0, 1, 3], [1, 2, 5])
    """

    ids: np.ndarray  # uint32
    start: np.ndarray  # int32
    end: np.ndarray  # int32

    def __len__(self) -> int:
        return int(self.ids.size)


_HAN_TABLE: list[np.ndarray] = []


def _is_han(codes: np.ndarray) -> np.ndarray:
    """Whether each code point is ``\\p{Han}``: a table lookup in the Basic
    Multilingual Plane, the regex for the (rare) code points beyond it.

    >>> _is_han(np.array([ord("中"), ord("a"), 0x20000, ord("。"), 0xD800])).tolist()
    [True, False, True, False, False]
    """
    if not _HAN_TABLE:
        table = np.zeros(0x10000, dtype=bool)
        bmp = "".join(map(chr, range(0xD800))) + "".join(map(chr, range(0xE000, 0x10000)))
        for m in regex.finditer(r"\p{Han}+", bmp):
            lo, hi = m.start(), m.end()
            shift = 0 if lo < 0xD800 else 0x800
            table[lo + shift : hi + shift] = True
        _HAN_TABLE.append(table)
    table = _HAN_TABLE[0]
    out = table[np.minimum(codes, 0xFFFF)]
    astral = codes > 0xFFFF
    if astral.any():
        for c in np.unique(codes[astral]).tolist():
            out[codes == c] = _HAN.match(chr(c)) is not None
    return out


def token_array(text: str) -> TokenArray:
    """:func:`tokenize` as arrays of :func:`token_id` values and spans.

    Han characters are found by a table lookup of every code point at once;
    only numbers and words go through a regular expression, which is what
    makes this fast on Chinese text.

    >>> t = token_array("後來,Windows 10 發布了")
    >>> [token_id(s) for s, _, _ in tokenize("後來,Windows 10 發布了")] == t.ids.tolist()
    True
    >>> t.start.tolist(), t.end.tolist()
    ([0, 1, 3, 11, 14, 15, 16], [1, 2, 10, 13, 15, 16, 17])
    """
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    other_start: list[int] = []
    other_end: list[int] = []
    other_id: list[int] = []
    # numbers and words (never Han, so never overlapping a Han character) by regex;
    # Han characters, one token each, by a table lookup of every code point
    for m in _OTHER.finditer(text):
        tok = m.group(0)
        other_start.append(m.start())
        other_end.append(m.end())
        if m.start(1) >= 0:
            other_id.append(_number_id(tok))
        else:
            other_id.append(token_id(tok.casefold()))
    han_pos = np.flatnonzero(_is_han(codes))
    # fold traditional to simplified: a table lookup in the BMP, _FOLD beyond it
    han_ids = codes[han_pos]
    astral = han_ids > 0xFFFF
    han_ids = _bmp_fold()[np.where(astral, 0, han_ids)]
    if astral.any():
        for k in np.flatnonzero(astral).tolist():
            han_ids[k] = _FOLD[int(codes[han_pos[k]])]
    if not other_start:
        start = han_pos.astype(np.int32)
        return TokenArray(han_ids, start, start + 1)
    starts = np.concatenate([han_pos, np.array(other_start, dtype=np.int64)])
    order = np.argsort(starts, kind="stable")
    ends = np.concatenate([han_pos + 1, np.array(other_end, dtype=np.int64)])
    ids = np.concatenate([han_ids, np.array(other_id, dtype=np.uint32)])
    return TokenArray(ids[order], starts[order].astype(np.int32), ends[order].astype(np.int32))


def exact_key(ids: np.ndarray | Sequence[str]) -> bytes:
    """The exact-duplicate key: a digest of the folded tokens, without spaces or punctuation.

    >>> a = exact_key(token_array("社 会 、经 济,發展 2,023").ids)
    >>> words = list("社会经济发展")
    >>> a == exact_key(words + ["2023"]), a == exact_key(words + ["2024"])
    (True, False)
    """
    if not isinstance(ids, np.ndarray):
        ids = np.array([token_id(t) for t in ids], dtype=np.uint32)
    return hashlib.blake2b(ids.astype("<u4").tobytes(), digest_size=16).digest()


_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


_S30, _S27, _S31 = np.uint64(30), np.uint64(27), np.uint64(31)


def splitmix64_finalize(h: np.ndarray, tmp: np.ndarray | None = None) -> np.ndarray:
    """SplitMix64's finaliser on the ``uint64`` array ``h``, in place (wrapping
    arithmetic); ``tmp`` is scratch of the same shape.  Returns ``h``.

    >>> h = np.array([0, 1], dtype=np.uint64) + _GOLDEN
    >>> [hex(v) for v in splitmix64_finalize(h).tolist()]
    ['0xe220a8397b1dcdaf', '0x910a2dec89025cc1']
    """
    if tmp is None:
        tmp = np.empty_like(h)
    np.right_shift(h, _S30, out=tmp)
    h ^= tmp
    h *= _M1
    np.right_shift(h, _S27, out=tmp)
    h ^= tmp
    h *= _M2
    np.right_shift(h, _S31, out=tmp)
    h ^= tmp
    return h


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 of every ``uint64`` in ``x`` (the golden increment, then the finaliser)."""
    return splitmix64_finalize(x + _GOLDEN)


def ngram_hashes(ids: np.ndarray, n: int, *, whole: bool = True) -> np.ndarray:
    """32-bit hashes of every ``n``-token window of ``ids``, in order.

    A sequence shorter than ``n`` gives one hash of all of it (none with
    ``whole=False``); an empty one gives none.  Order matters: each token is
    mixed into the running hash, so a window's hash does not depend on what
    surrounds it and hashing a whole document once serves all its units.

    >>> ids = token_array("公安机关群众工作").ids
    >>> h = ngram_hashes(ids, 5)
    >>> h.size, h.dtype.name, bool(ngram_hashes(ids[1:], 5)[0] == h[1])
    (4, 'uint32', True)
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    if not ids.size or (ids.size < n and not whole):
        return np.zeros(0, dtype=np.uint32)
    t = _mix(ids.astype(np.uint64))
    width = min(n, t.size)
    count = t.size - width + 1
    h = t[:count].copy()
    for j in range(1, width):
        h = _mix(h ^ t[j : j + count])
    return (h ^ (h >> np.uint64(32))).astype(np.uint32)


def shingles(tokens: Sequence[str] | np.ndarray, n: int) -> set[int]:
    """The set of ``n``-token shingle hashes (one hash of the whole unit if it is shorter).

    ``tokens`` are folded token strings or an array of token ids.

    >>> len(shingles(list("公安机关群众工作"), 5))
    4
    >>> shingles(list("公安机关群众工作"), 5) == shingles(token_array("公安機關群眾工作").ids, 5)
    True
    """
    if not isinstance(tokens, np.ndarray):
        tokens = np.array([token_id(t) for t in tokens], dtype=np.uint32)
    return set(ngram_hashes(tokens, n).tolist())
