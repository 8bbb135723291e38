"""OCR look-alikes and filter-dodging homophones, from a high-precision table.

The shipped table (``textwash/data/confusables.tsv``) holds rules that are
right wherever they fire: ``笫一`` → ``第一`` but ``床笫`` stays; ``裙众`` →
``群众``.  Users add their own rules from a file in the same format.  Masked
words (``***``) cannot be recovered; they are flagged, not changed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache

import regex

from ..edits import Edit, fixpoint_edits
from ._tables import read_table
from .base import Flag, Normalizer
from .chinese import get_converter

__all__ = ["ConfusableRule", "Confusables", "literal_core", "load_rules"]

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


# A lookaround: no group inside, brackets and escapes allowed.
_LOOKAROUND = r"\(\?<?[=!](?:[^()\[\]\\]|\\.|\[(?:[^\]\\]|\\.)*\])*\)"
_LITERAL_CORE = regex.compile(
    rf"(?:{_LOOKAROUND})*(?P<core>[^\\.^$*+?{{}}\[\]()|#\s]+)(?:{_LOOKAROUND})*"
)


def literal_core(pattern: str) -> str | None:
    """The literal every match of ``pattern`` is, when it is one between lookarounds.

    Lookarounds match nothing, so every match of such a pattern is its core; a
    text without the core holds no match.  ``None`` for any other pattern.

    >>> literal_core("(?<![床牀])笫(?=[一二三四五六七八九十\\\\d])"), literal_core("裙众")
    ('笫', '裙众')
    >>> literal_core("曰[益常趋]") is None, literal_core("(?i)ab") is None
    (True, True)
    """
    m = _LITERAL_CORE.fullmatch(pattern)
    return None if m is None else m["core"]


def _rules(
    builtin: bool, extra_file: str | None, extra: tuple[tuple[str, str], ...]
) -> list[ConfusableRule]:
    rules = load_rules() if builtin else []
    if extra_file:
        rules += load_rules(extra_file)
    return rules + [ConfusableRule(p, r) for p, r in extra]


@lru_cache(maxsize=16)
def _trigger(
    builtin: bool, extra_file: str | None, extra: tuple[tuple[str, str], ...]
) -> re.Pattern[str] | None:
    """What every match of one of the rules holds: their literal cores, as one
    pattern; ``None`` when a rule has no literal core (then any text may match)."""
    cores = set()
    for rule in _rules(builtin, extra_file, extra):
        core = literal_core(rule.pattern)
        if core is None:
            return None
        cores.add(core)
    return re.compile("|".join(re.escape(c) for c in sorted(cores)) or "(?!)")


@lru_cache(maxsize=16)
def _compiled(
    builtin: bool, extra_file: str | None, extra: tuple[tuple[str, str], ...]
) -> tuple[regex.Pattern[str], tuple[str, ...]]:
    rules = _rules(builtin, extra_file, extra)
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

    def _extra(self) -> tuple[tuple[str, str], ...]:
        # hashable for the caches, whatever sequences a config gave
        return tuple(tuple(x) for x in self.extra)  # type: ignore[misc]

    def may_edit(self, text: str) -> bool:
        """Whether a rule's literal core (see :func:`literal_core`) is in ``text``
        or in the simplified form the rules are matched in, or a masked word is.

        >>> Confusables().may_edit("掌握第一手资料，服务群众"), Confusables().may_edit("裙众")
        (False, True)
        >>> Confusables().may_edit("己經"), Confusables().may_edit("某某***")
        (True, True)
        """
        if "**" in text or "＊＊" in text or "××" in text or "□□" in text:
            return True  # flags(): _MASK
        trigger = _trigger(self.builtin, self.extra_file, self._extra())
        if trigger is None or trigger.search(text):
            return True
        folded = _fold(text)
        return folded is not text and trigger.search(folded) is not None

    def _pass(self, text: str) -> list[Edit]:
        pattern, replacements = _compiled(self.builtin, self.extra_file, self._extra())
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
