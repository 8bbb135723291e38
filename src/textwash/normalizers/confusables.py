"""OCR look-alikes and filter-dodging homophones, from a high-precision table.

The shipped table (``textwash/data/confusables.tsv``) holds rules that are
right wherever they fire: ``笫一`` → ``第一`` but ``床笫`` stays; ``裙众`` →
``群众``.  Users add their own rules from a file in the same format.  Masked
words (``***``) cannot be recovered; they are flagged, not changed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

import regex

from ..edits import Edit, fixpoint_edits
from ._tables import read_table
from .base import Flag, Normalizer
from .chinese import get_converter

__all__ = ["ConfusableRule", "Confusables", "load_rules"]

_MASK = regex.compile(r"\*{2,}|＊{2,}|×{2,}|□{2,}")
_HAN = regex.compile(r"\p{Han}")


def _fold(text: str) -> str:
    """``text`` with traditional characters simplified, or ``text`` itself when that
    changes nothing or would move positions."""
    if not _HAN.search(text):
        return text
    folded = str(get_converter("t2s").convert(text))
    return folded if folded != text and len(folded) == len(text) else text


@dataclass(frozen=True, repr=False)
class ConfusableRule:
    """One table row: a regex ``pattern`` and the text that replaces it."""

    pattern: str
    replacement: str
    note: str = ""
    where: str = ""


def _parse(text: str, where: str) -> list[ConfusableRule]:
    rules = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) < 2 or not cols[0]:
            raise ValueError(f"{where}:{n}: expected 'pattern<TAB>replacement[<TAB>note]'")
        try:
            regex.compile(cols[0])
        except regex.error as exc:
            raise ValueError(f"{where}:{n}: bad pattern {cols[0]!r}: {exc}") from None
        rules.append(
            ConfusableRule(cols[0], cols[1], cols[2] if len(cols) > 2 else "", f"{where}:{n}")
        )
    return rules


def load_rules(path: str | os.PathLike[str] | None = None) -> list[ConfusableRule]:
    """Rules from ``path``, or the shipped table when ``path`` is None.

    >>> any(r.pattern == "裙众" for r in load_rules())
    True
    """
    return _parse(*read_table(path, "confusables.tsv"))


@lru_cache(maxsize=16)
def _compiled(
    builtin: bool, extra_file: str | None, extra: tuple[tuple[str, str], ...]
) -> tuple[regex.Pattern[str], tuple[str, ...]]:
    rules = load_rules() if builtin else []
    if extra_file:
        rules += load_rules(extra_file)
    rules += [ConfusableRule(p, r) for p, r in extra]
    if not rules:
        return regex.compile(r"(?!)"), ()
    alternation = "|".join(f"(?P<r{i}>{r.pattern})" for i, r in enumerate(rules))
    return regex.compile(alternation), tuple(r.replacement for r in rules)


@dataclass(frozen=True, repr=False)
class Confusables(Normalizer):
    """Replace confusable characters using the shipped table plus your own rules.

    >>> Confusables()("掌握笫一手资料,服务裙众,床笫之间")
    '掌握第一手资料,服务群众,床笫之间'

    ``extra_file`` adds rules from a TSV file (``pattern<TAB>replacement``);
    ``extra`` adds ``(pattern, replacement)`` pairs; ``builtin=False`` drops the
    shipped table.
    """

    builtin: bool = True
    extra_file: str | None = None
    extra: tuple[tuple[str, str], ...] = ()

    def _pass(self, text: str) -> list[Edit]:
        pattern, replacements = _compiled(
            self.builtin, self.extra_file, tuple(tuple(x) for x in self.extra)
        )
        # The rules are written in simplified characters, so traditional text is
        # matched in its simplified form: before, "己經" passed, ChineseConvert
        # ("t2s", later in zh) made it "己经", and cleaning again gave "已经"
        # (issue 15).  A rule then replaces only the characters it changes; the
        # text's own characters stay ("己經" -> "已經").  A fold that would change
        # the length is not used.
        folded = _fold(text)
        out = []
        for m in pattern.finditer(folded):
            for i, repl in enumerate(replacements):
                if m.group(f"r{i}") is not None:
                    old = text[m.start() : m.end()]
                    if folded is not text and len(repl) == len(old):
                        repl = "".join(
                            o if r == f else r
                            for o, f, r in zip(old, m.group(0), repl, strict=True)
                        )
                    if repl != old:
                        out.append(Edit(m.start(), m.end(), repl))
                    break
        return out

    def edits(self, text: str) -> list[Edit]:
        return fixpoint_edits(text, self._pass, limit=5)

    def flags(self, text: str) -> list[Flag]:
        return [
            Flag("masked", m.start(), m.end(), "masked word, cannot be recovered")
            for m in _MASK.finditer(text)
        ]
