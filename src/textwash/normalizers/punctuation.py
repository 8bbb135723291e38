"""Restore full-width punctuation in Chinese context (GB/T 15834).

Scraped dumps often went through an NFKC pass that flattened ``，（）：；？！``
to ASCII, and OCR reads ``。`` as ``.``.  This step puts them back where the
context is Chinese, and leaves numbers (``12:30``, ``3.14``), URLs and English
sentences alone.  Its rules, each declared once as a pattern and a decision:

* ``, ; : ? !`` directly after a Han character or closing Chinese bracket/quote
  become full-width, and ``, ;`` between a number and Han (``20:30,其他`` →
  ``20:30，其他``);
* ``( )`` around content with Han, or around a Chinese ordinal (``(三)``);
* straight ``"…"`` and ``'…'`` around content with Han become ``“…”``/``‘…’``,
  and half-straight pairs (``“第一线"``) are completed;
* periods after Han, below.

A ``.`` after Han (no letter or digit right after it) is a full stop ``。``
where the text shows a sentence ends there:

* at the end of the line, or right before a closing quote or bracket
  (``言行一致.`` → ``言行一致。``);
* right before the next sentence (``保护群众.所谓`` → ``保护群众。所谓``), or
  before it with blanks on both sides, the way OCR prints it
  (``发 生 . 尤其`` → ``发 生 。 尤其``);
* but not inside a phrase: when the character before it binds to what follows
  (``的 这 每 各 但 而 且``: ``民间的.传统``) or the character after it cannot open
  a sentence (``等 们 吗 呢 吧 啊 么``), the ``.`` is a stray mark, and it is
  left as it is and reported as a ``stray-period`` flag.  A ``.`` followed by
  a blank but not preceded by one is the Latin style of reference lists
  (``李华. 中文文本清洗``) and is left too.

>>> p = Punctuation()
>>> p("保护群众.所谓基层民警")
'保护群众。所谓基层民警'
>>> p("这是民间的.传统节日")
'这是民间的.传统节日'

Runs of periods after Han:

* ``。。`` (a doubled full stop, also ``.。`` and ``。 。``) is one ``。``;
* three or more of ``.。…`` (``...``, ``。。。``, ``。。。。。。``), or any run with
  ``…``, is an ellipsis ``……``;
* ``..`` is an ellipsis at the end of a line or before a closing quote or
  bracket (``工作方法..`` → ``工作方法……``), where nothing else is possible.
  Between two Han characters it is a doubled period typo: ``包括..等内容`` is
  neither ``包括……等内容`` nor ``包括。等内容`` with any confidence, so it is
  left and flagged.

>>> p("总量保持不变。。下一步，包括...等内容。。。")
'总量保持不变。下一步，包括……等内容……'
>>> p("包括..等内容")
'包括..等内容'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import regex

from ..edits import Edit
from ._chars import CJK_CLOSE, CJK_OPEN, HAN, HSPACE, ZH_NUM
from .base import Flag, Normalizer

__all__ = ["Punctuation"]

_FULL = str.maketrans({",": "，", ";": "；", ":": "：", "?": "？", "!": "！"})
_LEFT = rf"(?:{HAN}|[{CJK_CLOSE}…—])"
_HAS_HAN = regex.compile(HAN)
_ORDINAL = regex.compile(rf"^{HSPACE}*[{ZH_NUM}]{{1,4}}{HSPACE}*$")
_BLANKS = frozenset(" \t\u00a0\u3000\u202f\u205f" + "".join(map(chr, range(0x2002, 0x200B))))

_URL = regex.compile(
    r"(?:https?|ftp)://[^\s\p{Han}，。“”]+|www\.[^\s\p{Han}，。“”]+"
    r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\.[A-Za-z0-9.]+"
)


def _capped(closers: str, cap: int) -> str:
    """Content up to a closer: 1 to ``cap`` characters, blanks not counted.

    OcrSpacing (later in zh) deletes blanks: a cap on the raw length let a
    bracket over the cap by its blanks be converted on the next run (issue 15).
    """
    blank = "".join(sorted(_BLANKS))
    return rf"(?=[^{closers}\n])[{blank}]*(?:[^{closers}\n{blank}][{blank}]*){{0,{cap}}}"


_PARENS = regex.compile(rf"(?P<o>[(（])(?P<c>{_capped('()（）', 120)})(?P<cl>[)）])")
_DQUOTES = regex.compile(rf'(?P<o>["“])(?P<c>{_capped(chr(34) + "“”", 200)})(?P<cl>["”])')
_SQUOTES = regex.compile(rf"(?P<o>')(?P<c>{_capped(chr(39) + '‘’', 100)})(?P<cl>')")
_MARKS = regex.compile(
    rf"(?<={_LEFT}{HSPACE}*)[,;:?!]+"
    # a comma or semicolon after a number that goes on in Chinese: "20:30,其他"
    rf"|(?<=[\d%])[,;](?={HSPACE}*{HAN})"
    # ... or after a private-use character, glued to Chinese: a protected span the
    # pipeline masked ('{{"a": 1}},请检查'), or a PDF glyph mapped to the PUA
    rf"|(?<=\p{{Co}})[,;](?={HAN})"
)
# A lone "." after Han, or a run of two or more of . 。 … (blanks between allowed).
_PERIODS = regex.compile(rf"(?<={HAN}{HSPACE}*)(?:[.。…](?:{HSPACE}*[.。…])+|\.)")
# What _PERIODS changes when there is no ".": a run of two or more of 。 and …
# (blanks between allowed) other than "……" itself, which it leaves as it is.
# (For the standard library's re, which finds the marks faster than regex.)
_PERIOD_RUN = re.compile(rf"。{HSPACE}*[。…]|…{HSPACE}*。|…{HSPACE}+…|………")

#: A "." right after one of these, with Han next, is inside a phrase ("民间的.传统").
PHRASE_OPEN = "的这每各但而且"
#: ... and so is a "." right before one of these: they cannot open a sentence.
PHRASE_BOUND = "等们吗呢吧啊么"
_CLOSERS = CJK_CLOSE + ")\"'"
# a Chinese list number before a ".", from the line's start (LineRepair's heading)
_LIST_NUMBER = regex.compile(rf"[ \t\u3000]*[{ZH_NUM}]{{1,4}}[ \t\u3000]*")
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")

#: A rule's decision for one match: ``(group, replacement)`` pairs, in text order.
Changes = Sequence[tuple[int | str, str]]
_NONE: Changes = ()


@dataclass(frozen=True)
class _Rule:
    """One rule: where it may apply (``pattern``) and what a match becomes.

    Both the edits and the fast call are derived from ``changes`` here, so
    they cannot disagree.  ``hint`` is a cheap test that the text can hold a
    match at all (speed only).  Matches overlapping a URL or an e-mail address
    are skipped.
    """

    pattern: regex.Pattern[str]
    changes: Callable[[regex.Match[str]], Changes]
    hint: Callable[[str], bool]

    def edits(self, text: str) -> list[Edit]:
        if not self.hint(text):
            return []
        urls = _urls(text)
        out: list[Edit] = []
        for m in self.pattern.finditer(text):
            if urls and _overlaps(urls, m.start(), m.end()):
                continue
            for g, new in self.changes(m):
                if new != m[g]:
                    out.append(Edit(m.start(g), m.end(g), new))
        return out

    def apply(self, text: str) -> str:
        if not self.hint(text):
            return text
        urls = _urls(text)

        def replace(m: regex.Match[str]) -> str:
            if urls and _overlaps(urls, m.start(), m.end()):
                return m[0]
            changes = self.changes(m)
            if not changes:
                return m[0]
            if changes[0][0] == 0:
                return changes[0][1]
            out = m[0]
            base = m.start()
            for g, new in reversed(changes):
                out = out[: m.start(g) - base] + new + out[m.end(g) - base :]
            return out

        return self.pattern.sub(replace, text)


def _urls(text: str) -> list[tuple[int, int]]:
    # str containment: a regex search for these is several times slower, and every rule asks
    if "://" not in text and "www." not in text and "@" not in text:
        return []
    return [m.span() for m in _URL.finditer(text)]


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(s < end and start < e for s, e in spans)


# -- the decisions ---------------------------------------------------------------


def _requote(pair: str) -> Callable[[regex.Match[str]], Changes]:
    def changes(m: regex.Match[str]) -> Changes:
        if m["o"] + m["cl"] == pair or not _HAS_HAN.search(m["c"]):
            return _NONE
        if _after_latin1(m, "o") or _after_latin1(m, "cl"):
            return _NONE
        return (("o", pair[0]), ("cl", pair[1]))

    return changes


def _after_latin1(m: regex.Match[str], group: str) -> bool:
    """Whether ``group`` follows a U+0080–U+00FF character.

    Such a character in Chinese text is mostly cp1252 mojibake, and a curly
    quote after it ("Â‘", cp1252 bytes C2 91) is UTF-8 that UnicodeRepair
    decodes on the next run: "Â'㐀'" became "Â‘㐀’", then "‘㐀’" (issue 15).
    """
    i = m.start(group)
    return i > 0 and "\x80" <= m.string[i - 1] <= "\xff"


def _rebracket(m: regex.Match[str]) -> Changes:
    if m["o"] == "（" and m["cl"] == "）":
        return _NONE
    c = m["c"]
    if not (_HAS_HAN.search(c) or _ORDINAL.match(c)):
        return _NONE
    return (("o", "（"), ("cl", "）"))


def _widen_marks(m: regex.Match[str]) -> Changes:
    return ((0, m[0].translate(_FULL)),)


def _next_visible(text: str, i: int) -> tuple[int, str]:
    """The first character at or after ``i`` that is not a blank ('' at the end)."""
    while i < len(text) and text[i] in _BLANKS:
        i += 1
    return i, text[i] if i < len(text) else ""


def _ends_here(text: str, end: int) -> bool:
    """Whether the line ends at ``end`` (blanks aside) or a closing mark follows."""
    _, nxt = _next_visible(text, end)
    return nxt in ("", "\n") or (end < len(text) and text[end] in _CLOSERS)


def _judge_periods(m: regex.Match[str]) -> tuple[str | None, str | None]:
    """Decide one :data:`_PERIODS` match: ``(replacement or None, flag message or None)``."""
    text, start, end = m.string, m.start(), m.end()
    if m[0][0] == "." and _LIST_NUMBER.fullmatch(text, text.rfind("\n", 0, start) + 1, start):
        # "二." opening a line numbers a list item, as LineRepair reads it; made
        # "二。" (or "二……" with the "…" after it), the line stopped being one
        # and the next run joined it to the line above (issue 15)
        return None, None
    marks = "".join(c for c in m[0] if c not in _BLANKS)
    if len(marks) >= 3 or "…" in marks:
        return "……", None
    if len(marks) == 2:
        if "。" in marks:
            return "。", None
        if _ends_here(text, end):
            return "……", None
        if _HAS_HAN.match(_next_visible(text, end)[1]):
            return None, "two periods inside a phrase, neither an ellipsis nor a full stop"
        return None, None
    # a single "."
    if end < len(text) and text[end] in _WORD:
        return None, None  # 中文.txt, a file name or a number
    if _ends_here(text, end):
        return "。", None
    after, nxt = _next_visible(text, end)  # nxt is not "": _ends_here saw to that
    if not (_HAS_HAN.match(nxt) or nxt in CJK_OPEN):
        return None, None
    if after > end and text[start - 1] not in _BLANKS:
        return None, None  # "李华. 中文": the Latin style of reference lists
    before, _ = _prev_visible(text, start)
    if before in PHRASE_OPEN or nxt in PHRASE_BOUND:
        return None, "a lone '.' inside a phrase, not a sentence end"
    return "。", None


def _prev_visible(text: str, i: int) -> tuple[str, int]:
    while i > 0 and text[i - 1] in _BLANKS:
        i -= 1
    return (text[i - 1] if i > 0 else ""), i


def _period_changes(m: regex.Match[str]) -> Changes:
    new = _judge_periods(m)[0]
    return _NONE if new is None else ((0, new),)


def _has_periods(text: str) -> bool:
    """Whether the period rule may change or flag something in ``text``.

    >>> [_has_periods(t) for t in ("要求……", "要求………", "要求……。", "要求。。", "3.14")]
    [False, True, True, True, True]
    """
    return "." in text or bool(_PERIOD_RUN.search(text))


_QUOTE_RULES = (
    _Rule(_DQUOTES, _requote("“”"), lambda t: '"' in t),
    _Rule(_SQUOTES, _requote("‘’"), lambda t: "'" in t),
)
_BRACKET_RULE = _Rule(_PARENS, _rebracket, lambda t: "(" in t or ")" in t)
_PERIOD_RULE = _Rule(_PERIODS, _period_changes, _has_periods)
_MARK_RULE = _Rule(
    _MARKS, _widen_marks, lambda t: "," in t or ";" in t or ":" in t or "?" in t or "!" in t
)


@dataclass(frozen=True, repr=False)
class Punctuation(Normalizer):
    """Full-width punctuation in Han context; ASCII elsewhere stays.

    >>> Punctuation()("近年来,随着发展(三)要求:提高?")
    '近年来，随着发展（三）要求：提高？'
    >>> Punctuation()('他说:"你好"')
    '他说：“你好”'
    >>> Punctuation()("12:30, 3.14, (a) and Hello, world!")
    '12:30, 3.14, (a) and Hello, world!'

    Switch rule groups off with ``marks``, ``periods``, ``brackets``, ``quotes``.
    """

    marks: bool = True
    periods: bool = True
    brackets: bool = True
    quotes: bool = True

    def _rules(self) -> list[_Rule]:
        rules: list[_Rule] = []
        if self.quotes:
            rules.extend(_QUOTE_RULES)
        if self.brackets:
            rules.append(_BRACKET_RULE)
        if self.periods:
            rules.append(_PERIOD_RULE)
        if self.marks:
            rules.append(_MARK_RULE)
        return rules

    def may_edit(self, text: str) -> bool:
        """Whether an enabled rule's hint finds what it needs in ``text`` (an ASCII
        mark, bracket or quote, a period, an ellipsis, two full stops).

        The rules run one after another, each on the text the one before left;
        while none has anything to do, each sees ``text`` itself.

        >>> Punctuation().may_edit("近年来，随着发展（三）要求：提高？")
        False
        >>> Punctuation().may_edit("近年来,随着"), Punctuation(marks=False).may_edit("近年来,随着")
        (True, False)
        """
        return any(rule.hint(text) for rule in self._rules())

    def _passes(self) -> list[Callable[[str], list[Edit]]]:
        return [rule.edits for rule in self._rules()]

    def _fast(self, text: str) -> str:
        # The same rules applied with pattern.sub: on the seed dump 1.4x as fast
        # as applying each pass's edits in turn (Normalizer._fast).
        for rule in self._rules():
            text = rule.apply(text)
        return text

    def flags(self, text: str) -> list[Flag]:
        """The stray periods left alone (``stray-period``)."""
        if not (self.periods and _has_periods(text)):
            return []
        urls = _urls(text)
        out = []
        for m in _PERIODS.finditer(text):
            message = _judge_periods(m)[1]
            if message and not (urls and _overlaps(urls, m.start(), m.end())):
                out.append(Flag("stray-period", m.start(), m.end(), message))
        return out
