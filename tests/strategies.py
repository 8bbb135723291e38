"""Hypothesis strategies for text that looks like a scraped Chinese dump.

Random strings drawn character by character from a dump's alphabet rarely put
the dangerous characters next to each other: a full-width symbol, a Unicode
space and a Han character (``％\u3000货``, the input of issue 15) came up about
once in 4,000 examples.  These strategies build text from *tokens* instead: Han
runs, full-width symbols and digits, Unicode spaces, ASCII punctuation, line
breaks of every kind, invisible characters, mojibake made on the spot from Han
text, masks, OCR-split digit runs, headings, boilerplate lines, repeated
titles, and the mixed content dumps carry along (code, Markdown tables, JSON,
URLs, kana).  Some tokens are themselves adjacencies known to be risky (symbol
+ space + Han, digits of both widths around ``．`` or ``,``), so those come up
in most examples rather than in one of thousands.

The strategies:

* :data:`token`: one fragment (weighted toward Han, spaces and punctuation);
* :data:`inline`: a run of tokens, which may hold line breaks of any kind;
* :data:`line`: one line of a dump (running text, an OCR-spaced line, a
  heading, boilerplate, code, kana ...), without its line break;
* :data:`block`: a line, or a few lines that belong together (a title printed
  twice, a hard-wrapped sentence, a table, a code block, JSON);
* :data:`dump_text`: the text of a whole (small) dump;
* :data:`short_line`: a line of at most :data:`SHORT_LINE` characters, for
  properties that hold only while the lines a step looks at fit a window's
  context (see ``tests/test_windows.py``);
* :func:`dump_docs`: documents that share some of their paragraphs, for
  duplicate finding.

>>> from hypothesis import find
>>> find(dump_text, lambda t: "\u3000" in t and "％" in t) != ""
True
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate
from pathlib import Path
from typing import TypeVar

import regex
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy

T = TypeVar("T")

BOILERPLATE_FILE = (
    Path(__file__).resolve().parents[1] / "src" / "textwash" / "data" / "boilerplate.txt"
)


def weighted(*choices: tuple[int, SearchStrategy[T]]) -> SearchStrategy[T]:
    """Draw from one of ``choices``, each ``(weight, strategy)``.

    (``st.one_of`` weighs its branches equally and drops repeated ones, so
    repeating a branch does not weigh it.)  Shrinks toward the first choice.
    """
    strategies = [s for _, s in choices]
    bounds = list(accumulate(w for w, _ in choices))
    return st.integers(0, bounds[-1] - 1).flatmap(lambda i: strategies[bisect_right(bounds, i)])


def _chars(alphabet: str) -> SearchStrategy[str]:
    return st.sampled_from(list(alphabet))


def _join(parts: Sequence[str]) -> str:
    return "".join(parts)


# -- characters ---------------------------------------------------------------

#: Common simplified characters, the ones in the confusables table and its
#: contexts, traditional characters, a few rare ones and some from CJK
#: extension A/B and the compatibility block.
HAN_COMMON = (
    "社会实现中华民族伟大复兴第一章总则人民警察群众工作相关文档下载标题公安机关新形势"
    "如何做好服务发展经济建设的是了在和有我们这个为之以于其要对不也就都而及与着或"
    "货比三家多花点心思近年来随着目标任务提高要求问题方面主观已经未来日益措施巩固深入"
)
HAN_CONFUSABLE = "笫床裙己巳末曰旖咒人现行势胜至励急"
HAN_TRADITIONAL = (
    "這個軟體發展經濟觀念辦處統計與為國會裏說們號體齊龜長門現眾勢勝勵來趨於鞏資員連還兩牀"
)
HAN_RARE = "鍥戒汉姘戣療鐨勮壇濂藉舰璞涓绀句細娌诲畨缁煎悎荤悊锟斤拷烫屯㐀㑇𠀀𠮷丽"
HAN = HAN_COMMON * 3 + HAN_CONFUSABLE + HAN_TRADITIONAL + HAN_RARE

#: Full-width symbols, digits and letters (``Width`` narrows the alphanumerics).
FULLWIDTH = "％＃＋．，：；（）１２３ＡＢ０４５６７８９ａｂｘＸＹＺ－／＠＆＊～！？＄＝＜＞［］＿"
#: Full-width punctuation as clean Chinese text uses it.
CJK_PUNCT = "，。、；：？！“”‘’（）《》【】〔〕…—·「」『』〈〉"
ASCII_PUNCT = ",.;:?!()\"'-/*%#+&[]"
#: Spaces a dump holds: ASCII, ideographic, no-break and the typographic ones.
SPACES = [" ", "  ", "\u3000", "\u3000\u3000", "\xa0", "\t", "\u202f", "\u205f"] + [
    chr(c) for c in range(0x2000, 0x200B)
]
LINE_BREAKS = ["\n", "\n", "\n", "\r\n", "\r", "\u2028", "\n\n", "\r\n\r\n", "\u2029", "\x0c"]
INVISIBLES = ["\ufeff", "\u200b", "\u200c", "\u200d", "\u2060", "\xad"]
MASKS = ["***", "**", "*****", "＊＊＊", "×××", "□□", "XX", "**某某"]
KANA = "ひらがなカタカナのはをにでがすますでしたーｶﾀｶﾅﾞﾟ"
DIGITS = "0123456789"
WIDE_DIGITS = "０１２３４５６７８９"

han_char = _chars(HAN)
han_run = st.text(han_char, min_size=1, max_size=12)
space = st.sampled_from(SPACES)
line_break = st.sampled_from(LINE_BREAKS)

# -- tokens ---------------------------------------------------------------------

fullwidth = st.text(_chars(FULLWIDTH), min_size=1, max_size=3)
cjk_punct = st.text(_chars(CJK_PUNCT), min_size=1, max_size=2)
ascii_punct = st.text(_chars(ASCII_PUNCT), min_size=1, max_size=3)
invisible = st.sampled_from(INVISIBLES)
mask = st.sampled_from(MASKS)

_digit = _chars(DIGITS * 2 + WIDE_DIGITS)
digits = st.text(_digit, min_size=1, max_size=5)
#: Numbers with separators and signs of both widths: ``１２．5``, ``3,000``, ``20:30``, ``40 %``.
number = st.tuples(
    digits,
    st.sampled_from(["", ".", "．", ",", "，", ":", "：", "。", " ", "\u3000"]),
    st.one_of(st.just(""), digits),
    st.sampled_from(["", "", "%", "％", "‰", " %", "万", "元", "年"]),
).map(_join)
#: Digit runs split by OCR: ``8 0 0 0``, ``１\u3000２``.
spaced_digits = st.lists(_digit, min_size=2, max_size=6).flatmap(
    lambda ds: st.lists(space, min_size=len(ds) - 1, max_size=len(ds) - 1).map(
        lambda sp: ds[0] + "".join(s + d for s, d in zip(sp, ds[1:], strict=True))
    )
)
HEADINGS = [
    "第一章", "第 2 章", "笫三节", "第十条", "第1页", "一、", "二.", "三．", "十一、",
    "（三）", "(三)", "( 一 )", "(1)", "（２）", "1.", "2、", "12.", "①", "⑵", "【篇一：",
    "〔", "* ", "• ", "- ", "— ",
]  # fmt: skip
heading = st.sampled_from(HEADINGS)

_ADJ_SYMBOL = _chars("％＃＋．，：；（）%#+.,:;()、。")
#: The adjacencies that broke things before: a symbol, blanks, then Han (or the
#: reverse), a number against Han through a space.
adjacency = st.one_of(
    st.tuples(_ADJ_SYMBOL, st.lists(space, min_size=1, max_size=2).map(_join), han_run).map(_join),
    st.tuples(han_run, st.lists(space, min_size=1, max_size=2).map(_join), _ADJ_SYMBOL).map(_join),
    st.tuples(han_run, space, number, space, han_run).map(_join),
    st.tuples(digits, _chars("．.,，"), digits, _chars("．.,，%％"), space, han_run).map(_join),
)


def _misdecode(text: str, codec: str, cut: int) -> str:
    data = text.encode("utf-8")
    if cut:
        data = data[: max(1, len(data) - cut)]  # a character cut in half
    return data.decode(codec, "replace")


#: Han text encoded as UTF-8 and decoded as GBK, GB18030, Latin-1 or cp1252
#: (sometimes with its last bytes cut off), or GBK bytes read as UTF-8 or Big5.
mojibake = st.one_of(
    st.tuples(
        st.text(_chars(HAN + CJK_PUNCT), min_size=1, max_size=10),
        st.sampled_from(["gbk", "gbk", "gb18030", "latin-1", "cp1252", "cp1252"]),
        st.integers(0, 2),
    ).map(lambda a: _misdecode(*a)),
    st.tuples(
        st.text(_chars(HAN_COMMON + "，。"), min_size=1, max_size=8),
        st.sampled_from(["utf-8", "big5", "latin-1"]),
    ).map(lambda a: a[0].encode("gbk").decode(a[1], "replace")),
)

#: A whole line of common Chinese mis-decoded, the way a scraper leaves it:
#: the case the repairs (GbkMojibake, ftfy) act on.
mojibake_line = st.tuples(
    st.text(_chars(HAN_COMMON * 4 + "，。、“”（）：0123"), min_size=4, max_size=24),
    st.sampled_from(["gbk", "gbk", "gb18030", "cp1252", "latin-1"]),
    st.sampled_from([0, 0, 0, 1, 2]),
).map(lambda a: _misdecode(*a))

LATIN = ["Windows 10", "Hello, world!", "APP", "PDF", "e.g.", "OK", "Vol.3", "No.1", "x", "abc"]
URLS = [
    "http://www.example.com/a,b?c=1&d=2",
    "https://wenku.baidu.com/view/abc.html",
    "www.docin.com",
    "user@example.cn",
    "ftp://files.example.org/报告.pdf",
]
latin = st.sampled_from(LATIN)
url = st.sampled_from(URLS)
kana = st.text(_chars(KANA), min_size=1, max_size=8)

#: One fragment of a dump.
token: SearchStrategy[str] = weighted(
    (10, han_run),
    (5, space),
    (3, fullwidth),
    (4, cjk_punct),
    (4, ascii_punct),
    (3, adjacency),
    (2, number),
    (2, spaced_digits),
    (2, line_break),
    (1, invisible),
    (2, mojibake),
    (1, mask),
    (1, heading),
    (1, latin),
    (1, url),
    (1, kana),
)

#: A run of tokens (may hold line breaks of any kind).
inline = st.lists(token, max_size=14).map(_join)

# -- lines ----------------------------------------------------------------------


def _boilerplate_lines() -> list[str]:
    """The literal lines of the shipped boilerplate patterns, plus instances of the others."""
    out = []
    for raw in BOILERPLATE_FILE.read_text(encoding="utf-8").splitlines():
        pat = raw.strip()
        if not pat or pat.startswith("#"):
            continue
        alternation = regex.fullmatch(r"\^\(\?:([^()]*)\)\$", pat)
        if alternation:
            out.extend(alternation[1].split("|"))
        elif not regex.search(r"[\\^$.*+?()\[\]{}|]", pat):
            out.append(pat)
    return [
        *out,
        "第 2 页 共 5 页", "第3页，共10页", "共 5 页，第 2 页", "2/5", "- 3 -", "— 12 —",
        "Page 2 of 5", "page 3", "三一文库()/免费论文/行政管理论文", "首页 > 文档 > 范文",
        "仅部分预览的文档", "VIP专享文档", "下载文档前请自行甄别文档内容的完整性，平台不提供额外的编辑、内容补充、找答案等附加服务。",
        "1. 相关文档", "（√）", "下載文檔前請自行甄別文檔內容的完整性",
    ]  # fmt: skip


BOILERPLATE_LINES = _boilerplate_lines()
boilerplate_line = st.tuples(
    st.sampled_from(BOILERPLATE_LINES), st.sampled_from(["", " ", "\u3000", "\t"])
).map(lambda a: a[1] + a[0] + a[1])

#: Han characters with a space after (nearly) every one: ``社 会 、实 现``.
ocr_spaced_line = st.lists(
    st.tuples(_chars(HAN + CJK_PUNCT + DIGITS), st.sampled_from([" ", " ", "\u3000", "", "  "])),
    min_size=2,
    max_size=20,
).map(lambda pairs: "".join(c + s for c, s in pairs))

sentence = st.tuples(
    st.lists(st.tuples(han_run, _chars("，、,;；")).map(_join), max_size=3).map(_join),
    han_run,
    st.sampled_from(["。", "。", ".", "！", "?", "；", "", "……", "..."]),
).map(_join)

heading_line = st.tuples(heading, st.sampled_from(["", " ", "\u3000"]), han_run).map(_join)

CODE_LINES = [
    "def clean(text):",
    "    return text.strip()  # 去掉空格",
    "    if (x > 0) {",
    '\tprint("你好, 世界")',
    "        y = a[i] + b[j];",
    "}",
    "// 注释: 说明, 见上",
    "for i in range(10):",
    "  - name: 社会",
    "SELECT * FROM 表 WHERE id = 1;",
]
code_line = st.sampled_from(CODE_LINES)
code_block = st.lists(code_line, min_size=1, max_size=4).map("\n".join)

_cell = st.one_of(han_run, digits, number, st.just(""))
markdown_table = st.lists(st.lists(_cell, min_size=2, max_size=3), min_size=1, max_size=3).map(
    lambda rows: "\n".join(
        ["| 名称 | 数量 |", "|---|---|", *("| " + " | ".join(r) + " |" for r in rows)]
    )
)
json_text = st.dictionaries(
    han_run, st.one_of(han_run, st.integers(-5, 10_000), inline), max_size=3
).map(lambda d: json.dumps(d, ensure_ascii=False))

#: One line of a dump, without its line break.
line: SearchStrategy[str] = weighted(
    (8, inline),
    (4, sentence),
    (3, ocr_spaced_line),
    (2, mojibake_line),
    (2, heading_line),
    (2, boilerplate_line),
    (1, code_line),
    (1, kana),
    (1, st.lists(st.one_of(sentence, ocr_spaced_line), max_size=4).map(_join)),
)

# -- blocks and texts -------------------------------------------------------------

title = st.text(han_char, min_size=2, max_size=14)
#: A title printed twice (maybe with a blank line between, maybe echoed at the
#: start of the next paragraph), a scraper's habit.
repeated_title = st.tuples(
    title,
    st.sampled_from(["\n", "\n\n", "\r\n", "\n\u3000\n"]),
    st.integers(1, 3),
    st.one_of(st.just(""), sentence),
).map(lambda a: a[0] + a[1] + a[0] * a[2] + a[3])
#: A sentence hard-wrapped at arbitrary points.
wrapped = st.tuples(
    st.lists(sentence, min_size=1, max_size=4).map(_join),
    st.lists(st.integers(1, 30), min_size=1, max_size=4),
).map(
    lambda a: "\n".join(
        a[0][i:j] for i, j in zip([0, *sorted(a[1])], [*sorted(a[1]), len(a[0]) + 1], strict=True)
    )
)

#: A line, or a few lines that belong together.
block: SearchStrategy[str] = weighted(
    (10, line),
    (2, repeated_title),
    (2, wrapped),
    (1, markdown_table),
    (1, code_block),
    (1, json_text),
)

#: A small dump: blocks separated by line breaks of every kind, or a run of tokens.
dump_text: SearchStrategy[str] = st.one_of(
    st.lists(st.tuples(block, line_break), max_size=8).map(
        lambda pairs: "".join(b + br for b, br in pairs)
    ),
    inline,
)

#: The longest line :data:`short_line` makes.
SHORT_LINE = 24
#: A :data:`line` cut to at most :data:`SHORT_LINE` characters, with no line break.
short_line = line.map(
    lambda s: regex.sub(r"[\r\n\u2028\u2029\x0b\x0c\x1c-\x1e\x85]", "", s)[:SHORT_LINE]
)


@st.composite
def dump_docs(draw: st.DrawFn, max_docs: int = 4) -> list[str]:
    """Documents made of paragraphs, some of them shared between documents."""
    pool = draw(st.lists(block, min_size=1, max_size=5))
    paragraph = st.one_of(st.sampled_from(pool), block)
    separator = st.sampled_from(["\n\n", "\n", "\r\n\r\n", "\n\u3000\u3000"])
    doc = st.lists(st.tuples(paragraph, separator), max_size=6).map(
        lambda pairs: "".join(p + sep for p, sep in pairs)
    )
    docs = st.lists(doc, min_size=1, max_size=max_docs)
    return draw(docs)
