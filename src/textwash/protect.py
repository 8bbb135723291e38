"""Protected regions: the spans of a text that no normalizer may edit.

A scraped dump is not only prose.  Code, Markdown tables, JSON and YAML,
forms with aligned fields, URLs and Japanese or Korean passages are already
right as they are, and the repairs meant for damaged Chinese prose (full-width
punctuation, OCR spaces, joined lines, simplified characters) would break them.
So before any normalizer runs, the pipeline finds these regions once, and no
step's edit may touch them (see :meth:`textwash.Pipeline.run`).

Each kind of region has a name; :class:`Protect` says which kinds a pipeline
protects, and is part of its configuration (``[protect]`` in TOML).

>>> spans = find_protected("见 https://example.com/中文 获取，或使用`print(1)`。")
>>> [(r.kind, r.text) for r in spans]
[('url', 'https://example.com/中文'), ('inline_code', '`print(1)`')]

Block kinds cover whole lines, with the line break before and after them, so
that no step joins a line of prose to a line of code:

>>> text = "示例如下：\\n```python\\nprint('你好,世界')\\n```\\n结束。"
>>> [(r.kind, r.text) for r in find_protected(text)]
[('fenced_code', "\\n```python\\nprint('你好,世界')\\n```\\n")]

How each kind is recognised (precision first: a region is protected only on
positive evidence, and plain Chinese prose is never protected):

``fenced_code``
    From a line opening with ````` `` or ``~~~`` (or a display-math ``$$`` line)
    to the line closing it (or the end of the text).
``code``
    A run of code lines: lines that read as statements of a programming
    language (``def f(x):``, ``x = 1``, ``return``, ``print(...)``, braces,
    ``#include``, SQL keywords...), with the comment, blank and indented lines
    between and right after them.  A lone Chinese comment line with no code
    next to it is prose (it may be a Markdown heading).
``table``
    Markdown table rows (``| a | b |``) and their separator lines.
``data``
    JSON, YAML and INI lines: ``"key": value``, ``key: value`` and
    ``key = value`` with an ASCII key, ``[section]``, braces, with the comments,
    list items and ``键=值`` lines next to them; and a JSON object inside a line
    of prose.
``aligned``
    Form and table lines whose fields are separated by tabs or runs of two or
    more spaces (``主持人：张三    记录人：李四``).
``citation``
    Bibliography entries in the GB/T 7714 style (``题名[J]. 刊名, 2021, 41(5)``),
    whose ASCII ``.`` and ``,`` are the standard's own.
``latin``
    English (or other Latin-script) lines: five or more words, Han under a
    fifth of the letters (``Zhang Wei (张伟), 42, runs a shop``).
``japanese`` / ``korean``
    Lines with two or more kana / Hangul syllables that make a quarter or more
    of the line's kana, Hangul and Han (scattered kana are GBK mojibake), and
    the other lines of their paragraph.
``inline_code``, ``url``, ``email``, ``path``, ``html``, ``version``
    Spans inside a line: ```code```, ``https://…``, ``name@host.org``,
    ``C:\\Users\\…`` or ``/usr/local/bin``, ``<a href=…>``, ``v2.3.1``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import regex

from .edits import Edit

__all__ = [
    "BLOCK_KINDS",
    "INLINE_KINDS",
    "KINDS",
    "MASK",
    "Protect",
    "Region",
    "find_protected",
    "keep_out",
    "mask",
    "shift_regions",
]

#: Kinds that cover whole lines.
BLOCK_KINDS = (
    "fenced_code",
    "code",
    "table",
    "data",
    "aligned",
    "citation",
    "latin",
    "japanese",
    "korean",
)
#: Kinds found inside a line.
INLINE_KINDS = ("inline_code", "url", "email", "path", "html", "version")
#: Every kind, in the order they are looked for.
KINDS = BLOCK_KINDS + INLINE_KINDS

#: What a step sees in place of each protected character: a private-use
#: character that no normalizer treats as Han, punctuation, space or letter.
MASK = "\ue000"


@dataclass(frozen=True, slots=True)
class Region:
    """A protected span ``text[start:end]`` and the kind of content it holds."""

    kind: str
    start: int
    end: int
    text: str = ""


@dataclass(frozen=True)
class Protect:
    """Which kinds of region a pipeline keeps its steps out of.

    >>> Protect()
    Protect(all kinds)
    >>> Protect(kinds=("url", "email"))
    Protect(kinds=('url', 'email'))
    >>> Protect(kinds=())("见 https://a.cn 获取")
    []
    """

    kinds: tuple[str, ...] = KINDS

    def __post_init__(self) -> None:
        kinds = tuple(self.kinds)
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise ValueError(f"unknown protected kind(s) {unknown}; known: {', '.join(KINDS)}")
        object.__setattr__(self, "kinds", kinds)

    def __call__(self, text: str, *, precheck: bool = True) -> list[Region]:
        """The protected regions of ``text`` (see :func:`find_protected`)."""
        return find_protected(text, self.kinds, precheck=precheck) if self.kinds else []

    def __repr__(self) -> str:
        if set(self.kinds) == set(KINDS):
            return "Protect(all kinds)"
        return f"Protect(kinds={self.kinds!r})"

    def to_config(self) -> dict[str, list[str]]:
        """``{"kinds": [...]}`` for a pipeline's TOML ``[protect]`` table."""
        return {"kinds": list(self.kinds)}


# -- line classification ------------------------------------------------------

_HAN = regex.compile(r"\p{Han}")
_KANA = regex.compile(r"[\p{Hiragana}\p{Katakana}--[\u30fb\u30fc\u3099-\u309c]]", regex.V1)
_HANGUL = regex.compile(r"[\p{Hangul}--[\u3130-\u318f]]", regex.V1)

# A bibliography entry (GB/T 7714 writes its own ASCII ". " and ", "): 作者. 题名[J]. 刊名
_CITATION = regex.compile(
    r"\[(?:[JMDCSNPRZAGK]|DB|CP|EB|[JMNC]/OL|EB/OL|DB/OL|CP/OL)\][.．]?(?:[ \t]|$)"
)
_FENCE = regex.compile(r"[ \t]{0,3}(`{3,}|~{3,}|\$\$(?=[ \t]*$))")
_TABLE_ROW = regex.compile(r"^[ \t]*\|.*\|[ \t]*$")
_TABLE_RULE = regex.compile(
    r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)+\|?[ \t]*$"
)

# A line that reads as a statement of a programming language.
_CODE_KEYWORD = regex.compile(
    r"^[ \t]*(?:"
    r"(?:def|class|import|from|return|elif|else|try|except|finally|with|while|for|if|lambda"
    r"|yield|raise|pass|break|continue|async|await|public|private|protected|static|void|int"
    r"|char|float|double|boolean|String|package|const|let|var|function|struct|enum"
    r"|interface|impl|fn|use|mod|func|namespace|using|template|typedef|echo|export|sudo"
    r"|cd|ls|mkdir|pip|npm|git|docker|conda|python|python3|java|javac|gcc|make|apt|apt-get"
    r"|yum|brew|curl|wget|chmod|rm|cp|mv|cat)\b(?!\p{Han})"
    r"|(?i:select|insert|update|delete|create|drop|alter)\s+[\w*`(]"
    r"|#include\b|#define\b|#!/|@\w+(?:\(|$)|\$\s+\w|>>>\s|\.\.\.\s"
    r")"
)
_CODE_SHAPE = regex.compile(
    r"^[ \t]*(?:"
    r"[A-Za-z_$][\w$.]*(?:\[[^\]\n]*\])?[ \t]*(?:[-+*/%&|^]|<<|>>|\*\*|//)?=[ \t]*[^=\s]"  # x = 1
    r"|[A-Za-z_$][\w$.]*[ \t]*\(.*\)[ \t]*[;{:]?[ \t]*(?:(?://|#).*)?$"  # f(x);  print("你好")
    r"|[{}()\[\];]+[ \t]*[;,]?[ \t]*$"  # } or });
    r"|.*[;{][ \t]*(?://.*)?$"  # ends with ; or {
    r"|.*\)[ \t]*:[ \t]*$"  # if (x):
    r"|</?[A-Za-z][\w-]*[^<>]*>[ \t]*$"  # a markup line
    r")"
)
_COMMENT = regex.compile(r"^[ \t]*(?:#|//|/\*|\*|--|<!--|%|;)")
_ASCII_LETTER = regex.compile(r"[A-Za-z]")

# JSON / YAML / INI lines
_DATA_LINE = regex.compile(
    r"^[ \t]*(?:"
    r"\"[^\"\n]*\"[ \t]*:"  # "key": value
    r"|[{}\[\]][ \t]*,?[ \t]*$"  # a brace alone
    r"|\{.*\}[ \t]*,?[ \t]*$"  # a one-line object
    r"|\[[\w. -]+\][ \t]*$"  # [section]
    r"|-[ \t]+[A-Za-z_][A-Za-z0-9_.-]*:(?:[ \t]|$)"  # - key: value
    r"|[A-Za-z_][A-Za-z0-9_.-]*:(?:[ \t]+\S.*)?$"  # key: value / key:
    r"|[A-Za-z_][A-Za-z0-9_.-]*[ \t]*=[ \t]*\S.*$"  # key = value
    r")"
)
# What a line must hold to be anything but prose (Latin, brackets, tabs, kana,
# Hangul, a run of blanks): lines without any are never classified.
_EVIDENCE_CHARS = r"A-Za-z`|{}\[\]\t~\u3040-\u30ff\u1100-\u11ff\uac00-\ud7af\u3000"
_EVIDENCE_RUNS = ("  ", "\u00a0\u00a0")
_LINE_EVIDENCE = regex.compile(f"[{_EVIDENCE_CHARS}]|" + "|".join(_EVIDENCE_RUNS))
# Fields of a form or table separated by a tab or by two or more blanks.
_FIELD_GAP = regex.compile(r"(?<=\S)(?:\t|[ \u3000\u00a0]{2,}|\u3000)(?=\S)")
_SPACE_RUN = regex.compile(r"[ \t\u3000\u00a0]+")


_MARKUP_LINE = regex.compile(
    r"^[ \t]*<[A-Za-z!/][^<>]*>.*<[^<>]+>[ \t]*$|^[ \t]*</?[A-Za-z][^<>]*>[ \t]*$"
)


def _is_code(line: str) -> bool:
    if _MARKUP_LINE.match(line):  # HTML or XML: its text is example content
        return True
    if not _ASCII_LETTER.search(line) and not regex.match(r"^[ \t]*[{}()\[\];]+", line):
        return False
    body = line.strip()
    han = len(_HAN.findall(body))
    if han * 2 > len(body):  # mostly Han: prose, not a statement
        return False
    return bool(_CODE_KEYWORD.match(line) or _CODE_SHAPE.match(line))


def _is_data(line: str) -> bool:
    if not _DATA_LINE.match(line):
        return False
    body = line.strip()
    # a Chinese sentence that merely starts "Note: ..." is prose
    return len(_HAN.findall(body)) * 2 <= len(body) or body.startswith(("{", '"', "["))


def _is_aligned(line: str) -> bool:
    body = line.strip(" \t\u3000\u00a0")
    gaps = list(_FIELD_GAP.finditer(body))
    if not gaps:
        return False
    if any(g.group() == "\u3000" for g in gaps) and not any(g.group() != "\u3000" for g in gaps):
        # single ideographic spaces only: aligned when they split label/value pairs
        fields = _SPACE_RUN.split(body)
        return len(fields) >= 2 and sum("：" in f or ":" in f for f in fields) >= 2
    fields = _SPACE_RUN.split(body)
    # running prose with a stray double space is not a form: fields are short
    return len(fields) >= 2 and max(len(f) for f in fields) <= 40


_ASCII_WORD = regex.compile(r"[A-Za-z]{2,}")


def _is_latin(line: str) -> bool:
    """English (or other Latin-script) prose: five or more words, and Han under a
    fifth of the letters.  Chinese repairs have no business there."""
    words = _ASCII_WORD.findall(line)
    if len(words) < 5:
        return False
    letters = sum(map(len, words))
    return len(_HAN.findall(line)) * 4 < letters


def _written_in(script: regex.Pattern[str], line: str) -> bool:
    """Two or more characters of ``script``, a quarter or more of the line's letters.

    Kana scattered in a Chinese line are GBK mojibake more often than Japanese.
    """
    n = len(script.findall(line))
    return n >= 2 and n * 4 >= n + len(_HAN.findall(line))


def _is_indented(line: str) -> bool:
    return line.startswith(("    ", "\t"))


# Every line break the Whitespace step knows, so both agree on what a line is.
_BREAKS = "\n\r\u2028\u2029\x0b\x0c"
_LINE = regex.compile(f"[^{_BREAKS}]*(?:\r\n|[{_BREAKS}])|[^{_BREAKS}]+")


def _lines(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every line, end excluding its line break."""
    out = []
    for m in _LINE.finditer(text):
        s, e = m.span()
        body_end = e
        if text[e - 1] in _BREAKS:
            body_end -= 2 if text[e - 2 : e] == "\r\n" else 1
        out.append((s, body_end))
    return out


def _block_regions(text: str, kinds: frozenset[str]) -> list[Region]:
    lines = _lines(text)
    n = len(lines)
    label: list[str | None] = [None] * n
    if "fenced_code" in kinds and ("```" in text or "~~~" in text or "$$" in text):
        _label_fences(text, lines, label)
    # only lines with some evidence can be anything but prose
    starts = [s for s, _ in lines]
    candidates = sorted(
        {bisect_right(starts, m.start()) - 1 for m in _LINE_EVIDENCE.finditer(text)}
    )
    strong = [False] * n
    for i in candidates:
        s, e = lines[i]
        if label[i] is not None or s == e:
            continue
        line = text[s:e]
        if "table" in kinds and (_TABLE_ROW.match(line) or _TABLE_RULE.match(line)):
            label[i] = "table"
        elif "citation" in kinds and _CITATION.search(line):
            label[i] = "citation"
        elif "japanese" in kinds and _written_in(_KANA, line):
            label[i] = "japanese"
        elif "korean" in kinds and _written_in(_HANGUL, line):
            label[i] = "korean"
        elif "code" in kinds and _is_code(line):
            label[i] = "code"
            strong[i] = True
        elif "data" in kinds and _is_data(line):
            label[i] = "data"
        elif "aligned" in kinds and _is_aligned(line):
            label[i] = "aligned"
        elif "latin" in kinds and _is_latin(line):
            label[i] = "latin"
    if "code" in kinds:
        _grow_code(text, lines, label, strong)
    if "data" in kinds:
        _grow(lines, label, "data", lambda k: _data_joins(text[lines[k][0] : lines[k][1]]))
    for script in ("japanese", "korean"):
        if script in kinds:  # a line of a Japanese letter may hold no kana: its paragraph counts
            _grow(lines, label, script, lambda k: True)
    out: list[Region] = []
    i = 0
    while i < n:
        kind = label[i]
        if kind is None:
            i += 1
            continue
        j = i
        while j + 1 < n and label[j + 1] == kind:
            j += 1
        # the line breaks around the block belong to it: no step may join across them
        start = lines[i - 1][1] if i > 0 else 0
        end = lines[j + 1][0] if j + 1 < n else len(text)
        if out and start < out[-1].end:  # two blocks share the break between them
            start = out[-1].end
        out.append(Region(kind, start, end, text[start:end]))
        i = j + 1
    return out


def _label_fences(text: str, lines: list[tuple[int, int]], label: list[str | None]) -> None:
    """Label the lines of fenced code blocks, fences included."""
    n = len(lines)
    i = 0
    while i < n:
        s, e = lines[i]
        m = _FENCE.match(text, s, e)
        if not m:
            i += 1
            continue
        fence = m.group(1)
        j = i + 1
        while j < n:
            c = _FENCE.match(text, lines[j][0], lines[j][1])
            if c and c.group(1)[0] == fence[0] and len(c.group(1)) >= len(fence):
                break
            j += 1
        for k in range(i, min(j, n - 1) + 1):
            label[k] = "fenced_code"
        i = j + 1


_DATA_JOINS = regex.compile(
    r"[ \t]*(?:[#;]|//|-[ \t]+\S|[\p{L}_][\p{L}\p{N}_.-]*[ \t]*=|\[[^\]\n]+\][ \t]*$)"
)


def _data_joins(line: str) -> bool:
    """Lines that belong to a JSON/YAML/INI block next to them: comments, list items,
    ``键=值`` with any key, sections, indented lines."""
    return bool(_DATA_JOINS.match(line) or _is_indented(line) or line.startswith("  "))


def _grow(
    lines: list[tuple[int, int]],
    label: list[str | None],
    kind: str,
    joins: Callable[[int], bool],
) -> None:
    """Extend every run of ``kind`` lines over the unlabelled, non-blank lines around it
    for which ``joins`` holds (blank lines stop it)."""
    n = len(lines)
    seeds = [i for i in range(n) if label[i] == kind]
    for i in seeds:
        for step in (1, -1):
            k = i + step
            while 0 <= k < n and label[k] is None and lines[k][0] < lines[k][1] and joins(k):
                label[k] = kind
                k += step


def _grow_code(
    text: str, lines: list[tuple[int, int]], label: list[str | None], strong: list[bool]
) -> None:
    """Extend code lines to the comments, indented and blank lines that belong to them."""
    n = len(lines)

    def joins(k: int) -> bool:
        s, e = lines[k]
        if label[k] is not None and label[k] not in ("data", "aligned"):
            return False
        line = text[s:e]
        return bool(_COMMENT.match(line) or _is_indented(line))

    for i in range(n):
        if not strong[i]:
            continue
        for step in (1, -1):
            k = i + step
            while 0 <= k < n and (label[k] in (None, "data", "aligned", "code")):
                if label[k] == "code":
                    k += step
                    continue
                s, e = lines[k]
                if s == e:  # a blank line joins only between code lines
                    m = k + step
                    while 0 <= m < n and lines[m][0] == lines[m][1]:
                        m += step
                    if 0 <= m < n and (strong[m] or (label[m] is None and joins(m))):
                        if step == 1 and not (
                            strong[m] or _is_indented(text[lines[m][0] : lines[m][1]])
                        ):
                            break
                        for b in range(min(k, m - step), max(k, m - step) + 1):
                            label[b] = "code"
                        k = m
                        continue
                    break
                if joins(k):
                    label[k] = "code"
                    k += step
                    continue
                break


# -- inline regions -------------------------------------------------------------

_CJK_STOP = "，。；：！？、）】》」』“”‘’（【《「『\u3000"
# One pattern per inline kind, and the substring without which it cannot match.
# An inline region never holds a line break of any kind: Whitespace turns \r or
# U+2028 into \n even inside a region, and a region found across one was not
# found again in the output, whose next run then edited it (issue 15).
_INLINE_PATTERNS = {
    "inline_code": (rf"``[^`{_BREAKS}]+``|`[^`{_BREAKS}]+`", ("`",)),
    "url": (
        # a backtick or a control character never belongs to a URL (RFC 3986):
        # `code` right after a URL stays inline code
        rf"(?:(?:https?|ftp|file)://|www\.)[^\s<>\"'`\x00-\x1f\x7f{_CJK_STOP}]+"
        r"(?<![.,;:!?)\]])",
        ("://", "www."),
    ),
    # After Han too ("发送至user@example.cn"; a version before Han too):
    # LineRepair joins a line opening with an address to Han above it, and the
    # address must stay found (issue 15).
    "email": (
        r"(?<![A-Za-z0-9_.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+",
        ("@",),
    ),
    "path": (
        # C:\Program Files\小工具: a blank inside a segment only before a Latin word
        rf"(?<![A-Za-z0-9_/])(?:[A-Za-z]:\\|\\\\)[^\s<>\"'|{_CJK_STOP}]+"
        rf"(?: [A-Za-z0-9][^\s<>\"'|{_CJK_STOP}]*)*(?<![.,;:!?])"
        # ~/项目/爬虫 and ./src: Han segments after a home or relative start
        r"|(?<![A-Za-z0-9_/:.\\])(?:~|\.{1,2})/(?:[\p{Han}\w.@%+~-]+/?)+(?<![.,;:!?])"
        # /usr/local/bin, /home/李四/下载: the first segment in ASCII
        r"|(?<![A-Za-z0-9_/:.\\)）])/[A-Za-z0-9_.@%+~-]+/(?:[\p{Han}\w.@%+~-]+/?)*"
        r"(?<![.,;:!?])",
        ("\\", "/"),
    ),
    "html": (rf"<!--.*?-->|</?[A-Za-z][\w:-]*(?:\s[^<>{_BREAKS}]*)?/?>", ("<",)),
    "data": (rf"(?P<json>\{{(?:[^{{}}{_BREAKS}]|(?&json))*\}})", ("{",)),
    "version": (r"(?<![A-Za-z0-9_.])v?\d+(?:\.\d+){2,}(?![A-Za-z0-9_.])", (".",)),
}
_JSON_KEY = regex.compile(r"\"[^\"\n]*\"\s*:")


@lru_cache(maxsize=256)
def _inline_pattern(kinds: tuple[str, ...]) -> regex.Pattern[str]:
    return regex.compile(
        "|".join(f"(?P<{k}>{_INLINE_PATTERNS[k][0]})" for k in kinds), regex.DOTALL
    )


def _inline_regions(text: str, kinds: frozenset[str]) -> list[Region]:
    present = tuple(
        k
        for k, (_, triggers) in _INLINE_PATTERNS.items()
        if k in kinds and any(t in text for t in triggers)
    )
    if not present:
        return []
    # Matched as Width (a later step) leaves full-width letters and digits: an
    # e-mail address after "１" or with "２" in it was found only once Width had
    # narrowed them, and the next run cleaned around it differently (issue 15).
    # Narrowing keeps every offset.
    scan = text.translate(_NARROW_ALNUM) if _FULL_WIDTH_ALNUM.search(text) else text
    out = []
    for m in _inline_pattern(present).finditer(scan):
        kind = m.lastgroup if m.lastgroup != "json" else "data"
        assert kind is not None
        if kind == "data" and not _JSON_KEY.search(m.group()):
            continue
        out.append(Region(kind, m.start(), m.end(), text[m.start() : m.end()]))
    return out


_FULL_WIDTH_ALNUM = regex.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")
_NARROW_ALNUM = {
    c: c - 0xFEE0
    for lo, hi in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for c in range(lo, hi + 1)
}


@lru_cache(maxsize=64)
def _evidence(kinds: frozenset[str]) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """What a text must hold for :func:`find_protected` to find a region of
    ``kinds``: a character of the pattern, or one of the strings.

    A block other than a fenced one starts from a line with :data:`_LINE_EVIDENCE`,
    a fenced block from its fence (three backticks or tildes, or ``$$``), and an
    inline region needs its kind's trigger (:data:`_INLINE_PATTERNS`), and so the
    trigger's last character.  One character class for the standard library's ``re``,
    which scans it several times as fast as ``regex`` scans an alternation.

    >>> pattern, runs = _evidence(frozenset(["url", "email"]))
    >>> pattern.pattern, runs
    ('[/@\\\\.]', ())
    """
    chars: set[str] = set()
    runs: tuple[str, ...] = ()
    parts = []
    if kinds & set(BLOCK_KINDS) - {"fenced_code"}:
        parts.append(_EVIDENCE_CHARS)
        runs = _EVIDENCE_RUNS
    if "fenced_code" in kinds:
        chars.update("`~$")
    for kind, (_, triggers) in _INLINE_PATTERNS.items():
        if kind in kinds:
            chars.update(t[-1] for t in triggers)
    parts += sorted(re.escape(c) for c in chars)
    return re.compile(f"[{''.join(parts)}]" if parts else "(?!)"), runs


def find_protected(
    text: str, kinds: Iterable[str] = KINDS, *, precheck: bool = True
) -> list[Region]:
    """The protected regions of ``text``: sorted, never overlapping.

    Where an inline region falls inside a block region, the block wins; two
    inline regions that overlap keep the first.

    >>> [(r.kind, r.text) for r in find_protected("主持人：张三    记录人：李四\\n近年来,随着")]
    [('aligned', '主持人：张三    记录人：李四\\n')]
    >>> find_protected("近年来,随着社会的发展。")
    []

    Most prose holds nothing any kind needs to start from (a Latin letter, a
    bracket, a run of blanks, a fence, ``/``, ``@``, ``.``...): one scan says so,
    and the regions are not looked for.  ``precheck=False`` looks all the same
    (the answer is the same).
    """
    ks = frozenset(kinds)
    if precheck:
        chars, runs = _evidence(ks)
        if not chars.search(text) and not any(r in text for r in runs):
            return []
    blocks = _block_regions(text, ks) if ks & set(BLOCK_KINDS) else []
    inline = _inline_regions(text, ks) if ks & (set(INLINE_KINDS) | {"data"}) else []
    if not inline:
        return blocks
    if not blocks:
        return inline
    starts = [b.start for b in blocks]
    out = list(blocks)
    for r in inline:
        j = bisect_right(starts, r.start) - 1
        if j >= 0 and blocks[j].end > r.start:
            continue
        if j + 1 < len(blocks) and blocks[j + 1].start < r.end:
            continue
        out.append(r)
    out.sort(key=lambda r: r.start)
    return out


# -- using regions ----------------------------------------------------------------


def mask(text: str, regions: Sequence[Region]) -> str:
    """``text`` with every protected character except line breaks replaced by :data:`MASK`.

    Line breaks stay, so steps see the same lines; everything else a step sees
    of a region is an opaque run of one private-use character.

    >>> mask("见 https://a.cn 获取", [Region("url", 2, 14)])
    '见 \\ue000\\ue000\\ue000\\ue000\\ue000\\ue000\\ue000\\ue000\\ue000\\ue000\\ue000\\ue000 获取'
    """
    if not regions:
        return text
    parts = []
    pos = 0
    for r in regions:
        if r.start < pos:
            raise ValueError(f"protected regions overlap at {r!r}")
        parts.append(text[pos : r.start])
        parts.append(_NOT_BREAK.sub(MASK, text[r.start : r.end]))
        pos = r.end
    parts.append(text[pos:])
    return "".join(parts)


_NOT_BREAK = regex.compile(f"[^{_BREAKS}]")
_LINE_ENDING = frozenset({"\r\n", "\r", "\u2028", "\u2029", "\x0b", "\x0c"})


def keep_out(text: str, edits: Sequence[Edit], regions: Sequence[Region]) -> list[Edit]:
    """``edits`` without those that would change a protected region of ``text``.

    An edit may touch a region's edges (an insertion at its start or end, a
    deletion next to it) but not its inside.  Turning a line ending into
    ``"\\n"`` is allowed everywhere: it changes no content.

    >>> r = [Region("url", 2, 6)]
    >>> keep_out("ab<url>cd", [Edit(0, 1, "A"), Edit(3, 4, "R"), Edit(6, 7, "")], r)
    [Edit(start=0, end=1, new='A'), Edit(start=6, end=7, new='')]
    """
    if not regions or not edits:
        return list(edits)
    starts = [r.start for r in regions]
    out = []
    for e in edits:
        k = max(0, bisect_right(starts, e.start) - 1)
        hit = MASK in e.new and MASK not in text
        while not hit and k < len(regions) and regions[k].start <= e.end:
            r = regions[k]
            hit = e.start < r.end and r.start < e.end
            k += 1
        if hit and e.new == "\n" and text[e.start : e.end] in _LINE_ENDING:
            hit = False  # a line ending made "\n" changes no content
        if not hit:
            out.append(e)
    return out


def shift_regions(regions: Sequence[Region], edits: Sequence[Edit]) -> list[Region]:
    """Move ``regions`` through ``edits`` that do not change them (see :func:`keep_out`).

    >>> shift_regions([Region("url", 4, 8)], [Edit(0, 2, ""), Edit(9, 9, "x")])
    [Region(kind='url', start=2, end=6, text='')]
    """
    if not edits or not regions:
        return list(regions)
    out = []
    shift = 0
    k = 0
    for r in regions:
        inner = 0
        while k < len(edits) and edits[k].end <= r.start:
            e = edits[k]
            shift += len(e.new) - (e.end - e.start)
            k += 1
        # line-ending edits may sit inside a region: they move its end only
        m = k
        while m < len(edits) and edits[m].start < r.end and edits[m].end <= r.end:
            e = edits[m]
            if e.start >= r.start and e.end > e.start:
                inner += len(e.new) - (e.end - e.start)
            m += 1
        out.append(Region(r.kind, r.start + shift, r.end + shift + inner, r.text))
    return out
