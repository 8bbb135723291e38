"""Normalized tokens, exact keys and shingles of a unit.

Chinese has no spaces, and tokenizers that split on ``\\W`` see whole clauses
as one token, so Han text is tokenized character by character; Latin words and
digit runs are single tokens.  Tokens are folded (traditional → simplified,
case, every digit run → ``0``) before keys and shingles are built, so copies
that differ only in script, case, numbers, spaces or punctuation agree.

Two views of the same tokens: :func:`tokenize` gives readable strings,
:func:`token_array` gives the NumPy arrays the deduplication stages use (one
32-bit id per token, see :func:`token_id`).  Shingle hashes are computed from
the ids with a vectorised mixing function, so no Python code runs per shingle.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import regex

from ..normalizers.chinese import get_converter

__all__ = [
    "FUNCTION_CHARS",
    "FUNCTION_IDS",
    "TokenArray",
    "exact_key",
    "ngram_hashes",
    "shingles",
    "token_array",
    "token_id",
    "tokenize",
]

_TOKEN = regex.compile(r"\p{Han}|\d+|[^\W\d_\p{Han}]+", regex.UNICODE)
_RUN = regex.compile(r"(\p{Han}+)|\d+|[^\W\d_\p{Han}]+", regex.UNICODE)
_HAN = regex.compile(r"\p{Han}")

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


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """Folded tokens of ``text`` with their ``(start, end)`` character spans.

    >>> [t for t, _, _ in tokenize("後來,Windows 10 發布了")]
    ['后', '来', 'windows', '0', '发', '布', '了']
    """
    out = []
    for m in _TOKEN.finditer(_fold(text)):
        tok = m.group(0)
        if tok[0].isdigit():
            tok = "0"
        elif not _HAN.match(tok):
            tok = tok.casefold()
        out.append((tok, m.start(), m.end()))
    return out


def token_id(token: str) -> int:
    """The 32-bit id of a folded token: its code point if it is one character.

    Longer tokens (Latin words) get a CRC-32 with the top bit set, above every
    code point.

    >>> token_id("公"), token_id("0"), token_id("windows") > 0x10FFFF
    (20844, 48, True)
    """
    if len(token) == 1:
        return ord(token)
    return zlib.crc32(token.encode("utf-8", "surrogatepass")) | 0x80000000


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


def token_array(text: str) -> TokenArray:
    """:func:`tokenize` as arrays of :func:`token_id` values and spans.

    Han runs are handled a whole run at a time, which is what makes this fast.

    >>> t = token_array("後來,Windows 10 發布了")
    >>> [token_id(s) for s, _, _ in tokenize("後來,Windows 10 發布了")] == t.ids.tolist()
    True
    >>> t.start.tolist(), t.end.tolist()
    ([0, 1, 3, 11, 14, 15, 16], [1, 2, 10, 13, 15, 16, 17])
    """
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    han = np.zeros(codes.size + 1, dtype=np.int8)
    other_start: list[int] = []
    other_end: list[int] = []
    other_id: list[int] = []
    for m in _RUN.finditer(text):
        if m.start(1) >= 0:
            han[m.start()] += 1
            han[m.end()] -= 1
            continue
        tok = m.group(0)
        other_start.append(m.start())
        other_end.append(m.end())
        other_id.append(48 if tok[0].isdigit() else token_id(tok.casefold()))
    han_pos = np.flatnonzero(np.cumsum(han[:-1]))
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

    >>> a = exact_key(token_array("社 会 、经 济,發展 2023").ids)
    >>> a == exact_key(list("社会经济发展") + ["0"])
    True
    """
    if not isinstance(ids, np.ndarray):
        ids = np.array([token_id(t) for t in ids], dtype=np.uint32)
    return hashlib.blake2b(ids.astype("<u4").tobytes(), digest_size=16).digest()


_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, element-wise on ``uint64`` (wrapping arithmetic)."""
    x = x + _GOLDEN
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


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
