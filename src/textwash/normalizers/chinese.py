"""Traditional/simplified and regional variant conversion with OpenCC.

OpenCC converters cannot be pickled and hold the interpreter lock, so the
normalizer stores only the config name and builds one converter per process
on first use.

OpenCC converts whatever it is given: ``t2s`` turns the simplified ``乾清宫``
into ``干清宫`` and Japanese ``東京は`` into ``东京は``.  So conversion to
simplified is decided clause by clause, from evidence: only a clause that
contains a character that is *only* traditional is converted (see
:class:`ChineseConvert`).  ``tw2s``/``tw2sp``/``hk2s`` also rewrite words that
are already simplified (``显著`` → ``显着``, ``么`` → ``幺``), so by default they
are applied only to texts that are mostly traditional (``only_if_traditional``).
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import regex

from ..edits import Edit, diff_edits_shifted
from ._tables import read_table
from .base import Normalizer

__all__ = [
    "OPENCC_CONFIGS",
    "ChineseConvert",
    "ConvertTable",
    "get_converter",
    "load_convert_table",
    "traditional_chars",
    "traditional_ratio",
]

#: Config names shipped with the OpenCC package.
OPENCC_CONFIGS = (
    "hk2s", "hk2sp", "hk2t", "jp2t", "s2hk", "s2hkp", "s2t", "s2tw", "s2twp",
    "t2hk", "t2jp", "t2s", "t2tw", "tw2s", "tw2sp", "tw2t",
)  # fmt: skip

#: Configs that damage simplified text and so are gated by default.
RISKY_CONFIGS = frozenset({"tw2s", "tw2sp", "hk2s", "hk2sp"})

#: Configs whose output is simplified Chinese: converted clause by clause.
TO_SIMPLIFIED = frozenset({"t2s", "tw2s", "tw2sp", "hk2s", "hk2sp"})

#: Configs made for Japanese, where a line with kana is the input, not a stranger.
JAPANESE_CONFIGS = frozenset({"jp2t", "t2jp"})

_converters: dict[tuple[int, str], Any] = {}
_HAN = regex.compile(r"\p{Han}")
_SURROGATES = re.compile(r"[\ud800-\udfff]+")
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # to test for one: without "+", re scans 3x faster
# Clause tokens: a run of text, or a run of separators (punctuation, brackets,
# quotes, whitespace).
_SEPARATORS = r"\s，,、；;：:。．.！？!?…—「」『』“”‘’\"'《》〈〉（）()【】〔〕［］\[\]"
_CLAUSE = re.compile(f"[^{_SEPARATORS}]+|[{_SEPARATORS}]+")
# Quotations: what a simplified line quotes in traditional script is a mention.
# (Titles in 《》 are not: simplified text writes them in simplified.)
_QUOTED = re.compile(r"“[^“”\n]*”|「[^「」\n]*」|『[^『』\n]*』|‘[^‘’\n]*’|\"[^\"\n]*\"")
# The code points OpenCC has entries for (CJK radicals to CJK extension H).
_OPENCC_RANGE = (0x2E80, 0x323AF)


class _Converter:
    """An ``opencc.OpenCC`` that also takes text with lone surrogates.

    OpenCC encodes its input as UTF-8, which lone surrogates (from a bad
    ``\\ud800`` escape in JSON) cannot be; the text around them is converted
    and they are passed through.

    The last conversion is kept: steps of one pipeline run (and their
    prechecks) fold the same text to simplified one after another while no
    step has changed it.
    """

    def __init__(self, config: str) -> None:
        import opencc

        self._cc = opencc.OpenCC(config)
        self._last: tuple[str, str] = ("", "")

    def convert(self, text: str) -> str:
        """Convert ``text``; lone surrogates pass through unchanged."""
        last = self._last  # one read: another thread may replace it
        if last[0] == text:
            return last[1]
        if not _SURROGATE.search(text):
            out = str(self._cc.convert(text))
        else:
            parts = _SURROGATES.split(text)
            seps = _SURROGATES.findall(text)
            done = [str(self._cc.convert(p)) if p else p for p in parts]
            out = "".join(x for pair in zip(done, [*seps, ""], strict=True) for x in pair)
        self._last = (text, out)
        return out


def get_converter(config: str) -> Any:
    """The process-wide OpenCC converter for ``config`` (created on first use).

    >>> get_converter("t2s").convert("漢字")
    '汉字'
    """
    key = (os.getpid(), config)
    conv = _converters.get(key)
    if conv is None:
        if config not in OPENCC_CONFIGS:
            raise ValueError(f"unknown OpenCC config {config!r}; choose one of {OPENCC_CONFIGS}")
        conv = _Converter(config)
        _converters[key] = conv
    return conv


def traditional_ratio(text: str) -> float:
    """Share of Han characters that ``t2s`` would change: ~0 for simplified text.

    >>> traditional_ratio("這是繁體字")
    0.4
    >>> traditional_ratio("这是简体中文")
    0.0
    """
    han = _HAN.findall(text)
    if not han:
        return 0.0
    sample = "".join(han)
    converted = get_converter("t2s").convert(sample)
    changed = sum(1 for a, b in zip(sample, converted, strict=False) if a != b)
    return changed / len(sample)


# -- the shipped table and the character classes built from it -----------------


@dataclass(frozen=True)
class ConvertTable:
    """``textwash/data/chinese_convert.tsv``: what OpenCC's tables do not know.

    ``simplified``: characters ``t2s`` changes that standard simplified text also
    uses (``乾`` in ``乾隆``); ``keep``: simplified words ``t2s`` damages
    (``乾清宫``); ``particle``: words after which ``著`` is the particle ``着``;
    ``zhu``: characters after which ``著`` is the zhù of ``著作`` and stays.
    """

    simplified: frozenset[str]
    keep: tuple[str, ...]
    particle: tuple[str, ...]
    zhu: frozenset[str]


@lru_cache(maxsize=1)
def load_convert_table() -> ConvertTable:
    """The shipped table.

    >>> t = load_convert_table()
    >>> "乾" in t.simplified, "後" in t.simplified, "随" in t.particle, "作" in t.zhu
    (True, False, True, True)
    """
    text, where = read_table(None, "chinese_convert.tsv")
    rows: dict[str, list[str]] = {"simplified": [], "keep": [], "particle": [], "zhu": []}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) < 2 or cols[0] not in rows or not cols[1]:
            raise ValueError(f"{where}:{n}: expected 'kind<TAB>text[<TAB>note]' with a known kind")
        rows[cols[0]].append(cols[1])
    return ConvertTable(
        frozenset(rows["simplified"]),
        tuple(rows["keep"]),
        tuple(rows["particle"]),
        frozenset(rows["zhu"]),
    )


@lru_cache(maxsize=1)
def traditional_chars() -> frozenset[str]:
    """Characters that are evidence of traditional text.

    Every character the installed OpenCC's ``t2s`` changes on its own, less the
    ones the shipped table lists as also simplified.

    >>> chars = traditional_chars()
    >>> "們" in chars, "後" in chars, "乾" in chars, "著" in chars, "们" in chars
    (True, True, False, False, False)
    """
    lo, hi = _OPENCC_RANGE
    # surrogates cannot be encoded for OpenCC; no OpenCC entry spans a line break
    chars = [chr(c) for c in range(lo, hi + 1) if not 0xD800 <= c <= 0xDFFF]
    converted = get_converter("t2s").convert("\n".join(chars)).split("\n")
    if len(converted) != len(chars):  # pragma: no cover - OpenCC keeps lines
        raise RuntimeError("OpenCC t2s changed the number of lines")
    also = load_convert_table().simplified
    return frozenset(c for c, t in zip(chars, converted, strict=True) if c != t and c not in also)


class _CharSet:
    r"""Find the characters of a set in text, fast.

    ``re`` tests a set of BMP characters with one bitmap lookup, but tests
    astral characters range by range, which is slow for a big set.  So the
    pattern holds the BMP members plus the whole astral range, and an astral
    hit is checked against the set.

    >>> cs = _CharSet("們乾𠀾")
    >>> cs.find("我𠀀們"), cs.find("我𠀀𠀾"), cs.find("我们"), cs.has("乾坤")
    (2, 2, -1, True)
    """

    def __init__(self, chars: Iterable[str]) -> None:
        self.chars = frozenset(chars)
        codes = sorted(ord(c) for c in self.chars if ord(c) < 0x10000)
        spans: list[list[int]] = []
        for c in codes:
            if spans and spans[-1][1] == c - 1:
                spans[-1][1] = c
            else:
                spans.append([c, c])
        body = "".join(f"\\u{a:04x}" if a == b else f"\\u{a:04x}-\\u{b:04x}" for a, b in spans)
        self._exact = all(ord(c) < 0x10000 for c in self.chars)
        if not self._exact:
            body += "\\U00010000-\\U0010ffff"
        self._pattern = re.compile(f"[{body}]" if body else "(?!)")

    def find(self, text: str, pos: int = 0, endpos: int | None = None) -> int:
        """Index of the first member in ``text[pos:endpos]``, or -1."""
        end = len(text) if endpos is None else endpos
        while (m := self._pattern.search(text, pos, end)) is not None:
            if self._exact or m.group() in self.chars:
                return m.start()
            pos = m.end()
        return -1

    def has(self, text: str, pos: int = 0, endpos: int | None = None) -> bool:
        """Whether ``text[pos:endpos]`` holds a member."""
        return self.find(text, pos, endpos) >= 0


@lru_cache(maxsize=1)
def _foreign_chars() -> frozenset[str]:
    """Hiragana, katakana and Hangul (not the ー and ・ that Chinese text uses too).

    >>> [_foreign().has(s) for s in ("東京は", "ｶﾀｶﾅ", "한국", "马克・吐温", "ー")]
    [True, True, True, False, False]
    """
    script = regex.compile(r"[\p{Hiragana}\p{Katakana}\p{Hangul}]")
    blocks = (
        (0x1100, 0x11FF), (0x3000, 0x33FF), (0xA960, 0xA97F), (0xAC00, 0xD7FF),
        (0xFF00, 0xFFEF), (0x1AFF0, 0x1B16F), (0x1F200, 0x1F2FF),
    )  # fmt: skip
    return frozenset(chr(c) for lo, hi in blocks for c in range(lo, hi + 1) if script.match(chr(c)))


@lru_cache(maxsize=1)
def _foreign() -> _CharSet:
    return _CharSet(_foreign_chars())


@lru_cache(maxsize=1)
def _foreign_or_traditional() -> _CharSet:
    # one scan for the two reasons a line is left alone or converted
    return _CharSet(_foreign_chars() | traditional_chars())


@lru_cache(maxsize=1)
def _traditional() -> _CharSet:
    return _CharSet(traditional_chars())


@lru_cache(maxsize=1)
def _trigger() -> _CharSet:
    # what can make a line change on the way to simplified: traditional evidence or 著
    return _CharSet(traditional_chars() | {"著"})


@lru_cache(maxsize=1)
def _also_simplified() -> _CharSet:
    return _CharSet(load_convert_table().simplified)


@lru_cache(maxsize=1)
def _particle_words() -> tuple[frozenset[str], tuple[str, ...], frozenset[str]]:
    # (one-character words, longer words, characters that make 著 zhù)
    table = load_convert_table()
    return (
        frozenset(w for w in table.particle if len(w) == 1),
        tuple(w for w in table.particle if len(w) > 1),
        table.zhu,
    )


@lru_cache(maxsize=len(OPENCC_CONFIGS))
def _keep_pairs(config: str) -> tuple[tuple[str, str], ...]:
    # (what ``config`` turns a kept word into, the word)
    conv = get_converter(config)
    pairs = ((conv.convert(w), w) for w in load_convert_table().keep)
    return tuple((bad, w) for bad, w in pairs if bad != w)


def _particles(text: str) -> str:
    """``著`` as the particle after a verb becomes ``着``; ``著作``, ``显著`` stay.

    >>> _particles("随著时代，看著名著，意味著")
    '随着时代，看著名著，意味着'
    """
    i = text.find("著")
    if i < 0:
        return text
    singles, longer, zhu = _particle_words()
    out = []
    pos = 0
    while i >= 0:
        if text[i + 1 : i + 2] not in zhu and (
            text[i - 1 : i] in singles or any(text.endswith(w, 0, i) for w in longer)
        ):
            out += [text[pos:i], "着"]
            pos = i + 1
        i = text.find("著", i + 1)
    out.append(text[pos:])
    return "".join(out)


def _simplified_marks(text: str) -> int:
    """How many characters of ``text`` OpenCC ``s2t`` changes, less the also-simplified.

    ~0 for traditional text (a stray ``里`` or ``吃``), most of the Han for simplified.

    >>> [_simplified_marks(s) for s in ("乾坤", "學日語的時候", "学日语的时候")]
    [0, 0, 3]
    """
    back = get_converter("s2t").convert(text)
    if len(back) != len(text):
        return len(text)
    table = load_convert_table().simplified
    return sum(1 for a, b in zip(text, back, strict=True) if a != b and a not in table)


def _mentions(line: str) -> list[tuple[int, int]]:
    """Quoted spans with traditional evidence in a line that is simplified around them.

    A simplified sentence that quotes ``“手紙”`` is talking about that word (here a
    Japanese one) and it stays as written.  The line around the quotes must have
    no traditional evidence and at least two characters that read as simplified,
    a tenth of its Han; otherwise (a traditional line, or too little to tell) the
    quotes are converted with the rest.

    >>> _mentions("日语的“手紙”是信件的意思，“勉強”是学习的意思。")
    [(3, 7), (14, 18)]
    >>> _mentions("「我們走吧。」他說。"), _mentions("「我們走吧。」他笑了笑。")
    ([], [])
    """
    quoted = [m.span() for m in _QUOTED.finditer(line)]
    evidence = _traditional()
    marked = [(a, b) for a, b in quoted if evidence.has(line, a, b)]
    if not marked:
        return []
    starts = [a for a, _ in quoted]
    ends = [b for _, b in quoted]
    outside = "".join(line[e:s] for e, s in zip([0, *ends], [*starts, len(line)], strict=True))
    if evidence.has(outside):
        return []
    marks = _simplified_marks(outside)
    return marked if marks >= 2 and marks * 10 >= len(_HAN.findall(outside)) else []


def _lines_with(find: Callable[[str, int], int], text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each line of ``text`` (``\\n`` excluded) where ``find`` finds something.

    ``find(text, pos)`` is the index of the next hit at or after ``pos``, or -1.
    """
    pos = 0
    while (i := find(text, pos)) >= 0:
        start = text.rfind("\n", 0, i) + 1
        end = text.find("\n", i)
        if end < 0:
            end = len(text)
        yield start, end
        pos = end + 1


def _find_han(text: str, pos: int) -> int:
    m = _HAN.search(text, pos)
    return -1 if m is None else m.start()


@dataclass(frozen=True, repr=False)
class ChineseConvert(Normalizer):
    """Convert between Chinese scripts with any OpenCC config (default ``t2s``).

    >>> ChineseConvert()("這個軟體很好用")
    '这个软体很好用'
    >>> ChineseConvert("s2t")("这个软件很好用")
    '這個軟件很好用'
    >>> ChineseConvert("tw2s")("显著")          # gated: the text is not traditional
    '显著'

    **To simplified** (``t2s``, ``tw2s``, ``tw2sp``, ``hk2s``, ``hk2sp``), the text
    is converted only where it shows evidence: a character that ``t2s`` changes
    and that is not also standard simplified (those few, ``乾 於 徵 摺 夥 麽 …``,
    are listed in the shipped table ``textwash/data/chinese_convert.tsv``).  A
    line without evidence is left as it is, so clean simplified text passes
    untouched, ``乾清宫`` and all:

    >>> zh = ChineseConvert()
    >>> zh("乾清宫位于故宫内廷。乾隆、乾坤、著作、后天、里程、发展")
    '乾清宫位于故宫内廷。乾隆、乾坤、著作、后天、里程、发展'

    A line with evidence is cut into clauses at punctuation, brackets, quotes
    and spaces, and its clauses are converted, in runs, except two kinds.  A
    clause whose only candidates are the listed characters stays when
    something in it reads as simplified (OpenCC ``s2t`` would change it): so
    ``於是`` beside ``他們`` becomes ``于是``, but ``乾清宫很美`` (``宫`` is
    simplified) stays.  A quoted word stays when the line around it reads as
    simplified: it is a mention (``“手紙”``, the Japanese word); titles in
    ``《》`` are converted.  Inside a converted clause OpenCC's phrase tables
    decide (``乾隆`` stays, ``乾燥`` becomes ``干燥``), and the table's ``keep``
    words it damages are put back.

    >>> zh("於是，他們走了。")
    '于是，他们走了。'
    >>> zh("乾清宫很美，《紅樓夢》是名著。")
    '乾清宫很美，《红楼梦》是名著。'
    >>> zh("天氣很乾燥。")
    '天气很干燥。'
    >>> zh("学日语时，“手紙”是信件的意思，“勉強”是学习的意思。")
    '学日语时，“手紙”是信件的意思，“勉強”是学习的意思。'

    The output is simplified, so ``著`` used as the particle after the verbs the
    table lists is written ``着``; ``著作``, ``著名``, ``显著``, ``名著`` stay.

    >>> zh("隨著時代的發展，随著名师学习，意味著什么")
    '随着时代的发展，随著名师学习，意味着什么'

    A line with kana or Hangul is Japanese or Korean and is never converted
    (except by ``jp2t`` and ``t2jp``, which are made for it):

    >>> zh("東京は日本の首都です。")
    '東京は日本の首都です。'

    ``only_if_traditional``: apply only to texts where at least
    ``min_traditional`` of the Han characters are traditional.  ``None`` (the
    default) turns this gate on for the risky configs (``tw2s``, ``tw2sp``,
    ``hk2s``, ``hk2sp``) only; ``False`` also drops the clause-by-clause
    evidence and converts every line (but never kana or Hangul lines).

    >>> ChineseConvert("tw2s", only_if_traditional=False)("显著")
    '显着'

    **From simplified** (``s2*``): these configs expect simplified input and
    misread text that is already traditional (``根據里辦公處`` → ``根據裏辦公處``),
    so by default they skip every line that has traditional evidence
    (``skip_traditional_lines``); traditional text passes through.

    >>> ChineseConvert("s2t")("观念\\n根據里辦公處的統計\\n乾清宫")
    '觀念\\n根據里辦公處的統計\\n乾清宮'

    Every config changes a line only when converting the result again changes
    nothing, so the step is idempotent by construction, and calling it equals
    applying its edits because both come from the same per-line results.
    """

    config: str = "t2s"
    only_if_traditional: bool | None = None
    min_traditional: float = 0.05
    skip_traditional_lines: bool = True

    def __post_init__(self) -> None:
        if self.config not in OPENCC_CONFIGS:
            raise ValueError(
                f"unknown OpenCC config {self.config!r}; choose one of {', '.join(OPENCC_CONFIGS)}"
            )

    def _gated(self) -> bool:
        if self.only_if_traditional is None:
            return self.config in RISKY_CONFIGS
        return self.only_if_traditional

    def _by_clause(self) -> bool:
        return self.config in TO_SIMPLIFIED and self.only_if_traditional is not False

    def _line(self, line: str) -> str:
        """The converted form of one line (without its line break)."""
        if self.config in JAPANESE_CONFIGS:
            return str(get_converter(self.config).convert(line))
        if self.config in TO_SIMPLIFIED and not self._by_clause():
            return line if _foreign().has(line) else _particles(self._convert(line))
        if self.config not in TO_SIMPLIFIED and not (
            self.skip_traditional_lines and self.config.startswith("s2")
        ):
            return line if _foreign().has(line) else self._convert(line)
        # left alone for kana/Hangul anywhere; evidence decides the rest
        i = _foreign_or_traditional().find(line)
        if i < 0:
            return _particles(line) if self.config in TO_SIMPLIFIED else self._convert(line)
        if self.config not in TO_SIMPLIFIED or line[i] in _foreign_chars():
            return line  # kana/Hangul, or traditional text an s2* config would misread
        if _foreign().has(line, i + 1):
            return line
        return _particles(self._convert_clauses(line))

    def _convert(self, text: str) -> str:
        out = str(get_converter(self.config).convert(text))
        if self.config in TO_SIMPLIFIED:
            for bad, word in _keep_pairs(self.config):
                if bad in out:
                    out = out.replace(bad, word)
        return out

    def _convert_clauses(self, line: str) -> str:
        # Convert the runs of clauses that are traditional or neutral.  A clause
        # whose only candidates are also-simplified characters stays when
        # something in it reads as simplified; a quoted mention stays when the
        # line around it is simplified.
        also = _also_simplified()
        mentions = _mentions(line)
        if not mentions and not also.has(line):
            return self._convert(line)  # every clause converts: one run
        evidence = _traditional()

        def convert(token: tuple[int, str]) -> bool:
            start, clause = token
            if any(a <= start < b for a, b in mentions):
                return False
            if evidence.has(clause) or not also.has(clause):
                return True
            return _simplified_marks(clause) == 0

        tokens = [(m.start(), m.group()) for m in _CLAUSE.finditer(line)]
        out = []
        for flag, group in itertools.groupby(tokens, key=convert):
            run = "".join(clause for _, clause in group)
            out.append(self._convert(run) if flag else run)
        return "".join(out)

    def may_edit(self, text: str) -> bool:
        """Whether a line of ``text`` can change: to simplified, only one with
        traditional evidence or ``著`` (see :meth:`_changes`); otherwise, one with Han.

        >>> zh = ChineseConvert()
        >>> zh.may_edit("乾清宫位于故宫内廷。"), zh.may_edit("著作"), zh.may_edit("這個")
        (False, True, True)
        >>> ChineseConvert("s2t").may_edit("故宫")
        True
        """
        if self._by_clause():
            return _trigger().has(text)
        return _HAN.search(text) is not None

    def _changes(self, text: str) -> list[tuple[int, int, str]]:
        """``(start, end, new)`` for every line of ``text`` that changes."""
        if not _HAN.search(text):
            return []
        if self._gated() and traditional_ratio(text) < self.min_traditional:
            return []
        # To simplified, a line can change only where it has evidence or 著: one
        # scan of the text finds those lines, and clean simplified text has none.
        find = _trigger().find if self._by_clause() else _find_han
        out = []
        for start, end in _lines_with(find, text):
            line = text[start:end]
            new = self._line(line)
            # keep only results that are final, which makes the step idempotent
            if new != line and self._line(new) == new:
                out.append((start, end, new))
        return out

    def edits(self, text: str) -> list[Edit]:
        out: list[Edit] = []
        for start, end, new in self._changes(text):
            out.extend(diff_edits_shifted(text[start:end], new, start))
        return out

    def _fast(self, text: str) -> str | None:
        changes = self._changes(text)
        if not changes:
            return text
        parts = []
        pos = 0
        for start, end, new in changes:
            parts += [text[pos:start], new]
            pos = end
        parts.append(text[pos:])
        return "".join(parts)
