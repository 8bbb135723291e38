"""Normalized tokens, exact keys and shingles of a unit.

Chinese has no spaces, and tokenizers that split on ``\\W`` see whole clauses
as one token, so Han text is tokenized character by character; Latin words and
digit runs are single tokens.  Tokens are folded (traditional → simplified,
case, every digit run → ``0``) before keys and shingles are built, so copies
that differ only in script, case, numbers, spaces or punctuation agree.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import regex

from ..normalizers.chinese import get_converter

__all__ = [
    "FUNCTION_CHARS",
    "exact_key",
    "shingle_positions",
    "shingles",
    "tokenize",
]

_TOKEN = regex.compile(r"\p{Han}|\d+|[^\W\d_\p{Han}]+", regex.UNICODE)
_HAN = regex.compile(r"\p{Han}")

#: Function characters that summaries and "pseudo-original" rewrites drop
#: (的、了、在、是 …); containment matching ignores them on both sides.
FUNCTION_CHARS = frozenset(
    "的了在是着地得之等对于与和及而也就都这那个些为以到从把被让使将其所很最更又还并或则但"
)


def tokenize(text: str) -> list[tuple[str, int, int]]:
    """Folded tokens of ``text`` with their ``(start, end)`` character spans.

    >>> [t for t, _, _ in tokenize("後來,Windows 10 發布了")]
    ['后', '来', 'windows', '0', '发', '布', '了']
    """
    folded = get_converter("t2s").convert(text) if _HAN.search(text) else text
    if len(folded) != len(text):  # a phrase conversion changed length: fold per character
        conv = get_converter("t2s")
        folded = "".join(conv.convert(c) if len(conv.convert(c)) == 1 else c for c in text)
    out = []
    for m in _TOKEN.finditer(folded):
        tok = m.group(0)
        if tok[0].isdigit():
            tok = "0"
        elif not _HAN.match(tok):
            tok = tok.casefold()
        out.append((tok, m.start(), m.end()))
    return out


def exact_key(tokens: Sequence[str]) -> str:
    """The exact-duplicate key: folded tokens, with spaces and punctuation gone.

    >>> exact_key(["社", "会", "windows", "0"]) == exact_key(["社", "会", "windows", "0"])
    True
    """
    return " ".join(tokens)


def _hash(gram: Sequence[str]) -> int:
    return zlib.crc32("\x1f".join(gram).encode("utf-8"))


def shingles(tokens: Sequence[str], n: int) -> set[int]:
    """32-bit hashes of the ``n``-token shingles (the whole unit if it is shorter).

    >>> len(shingles(list("公安机关群众工作"), 5))
    4
    """
    if not tokens:
        return set()
    if len(tokens) <= n:
        return {_hash(tokens)}
    return {_hash(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def shingle_positions(tokens: Sequence[str], n: int) -> list[tuple[int, int]]:
    """``(hash, position)`` of every ``n``-token shingle, in order."""
    return [(_hash(tokens[i : i + n]), i) for i in range(max(0, len(tokens) - n + 1))]
