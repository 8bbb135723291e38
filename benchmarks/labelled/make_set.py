"""A labelled near-duplicate test set: original paragraphs, damaged copies, hard negatives.

The paragraphs are written for this set (nothing is copied from anywhere):

* ``originals.txt``: paragraphs, one per line; :func:`build` makes 0–3 edited
  copies of each, each with one to three of :data:`EDIT_KINDS`;
* hard negatives (*distractors*, never a copy of anything), by kind
  (:data:`DISTRACTOR_KINDS`): ``distractors.txt`` (``topic``: same subjects and
  openings as the originals), ``stock_phrases.txt`` (``stock_phrase``: political
  study paragraphs sharing ``为人民服务``, ``以人民为中心``,
  ``习近平新时代中国特色社会主义思想`` …), ``numbers.txt`` (``numbers``: templates
  filled with other years, amounts, percentages and article numbers, in digits
  and Chinese numerals — two or three variants that differ only in their
  numbers), ``tables.txt`` (``table_cells``: tables extracted one cell per line,
  variants with other values) and ``headings.txt`` (``heading_in_body``: a
  heading, and a paragraph that repeats it inside one of its sentences);
* ``added.txt``: sentences an ``added_sentence`` copy gets as its own.

:func:`build` shuffles originals, copies and distractors into a few "dump"
documents (paragraphs separated by blank lines) and records:

* where every paragraph sits (document index and character span), so a
  detector's output can be matched to paragraphs by span overlap;
* the ground truth: every unordered pair of paragraphs that are copies of the
  same original (the original with each copy, and the copies with each other);
* the edit kinds of every copy, so recall can be broken down by edit, and the
  kind of every distractor, so false links can be broken down by kind.

Everything is drawn from one seeded :class:`random.Random`: the same seed gives
the same set.

Usage::

    python benchmarks/labelled/make_set.py --seed 0 --out build/labelled

writes ``doc_00.txt`` … (the documents), ``paragraphs.json`` (id, role, kind,
group, family, edits, span and text of every paragraph), ``truth.json`` (the
duplicate pairs) and ``set.json`` (all of it in one file).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ORIGINALS = HERE / "originals.txt"
DISTRACTORS = HERE / "distractors.txt"
STOCK_PHRASES = HERE / "stock_phrases.txt"
NUMBERS = HERE / "numbers.txt"
TABLES = HERE / "tables.txt"
HEADINGS = HERE / "headings.txt"
ADDED = HERE / "added.txt"

#: Every kind of edit a copy can carry, in the order they are applied.
EDIT_KINDS: tuple[str, ...] = (
    "insert_sentence",
    "delete_sentence",
    "added_sentence",
    "drop_function_words",
    "ocr_substitutions",
    "traditional",
    "ascii_punct",
    "ocr_spaces",
    "line_wraps",
    "wrapped_after_period",
)
#: At most one of these per copy.
SENTENCE_EDITS = frozenset({"insert_sentence", "delete_sentence", "added_sentence"})
#: What an ``ocr_substitutions`` copy is usually combined with (OCR and retyping
#: damage comes with the surface defects of the same scan or page).
SURFACE_EDITS: tuple[str, ...] = ("drop_function_words", "traditional", "ascii_punct", "ocr_spaces")
#: How often each kind is drawn for a copy (relative weights).
KIND_WEIGHTS: dict[str, float] = {
    "insert_sentence": 1.0,
    "delete_sentence": 1.0,
    "added_sentence": 2.0,
    "drop_function_words": 1.0,
    "ocr_substitutions": 3.0,
    "traditional": 1.0,
    "ascii_punct": 1.0,
    "ocr_spaces": 1.0,
    "line_wraps": 1.0,
    "wrapped_after_period": 2.0,
}
#: How many surface defects an ``ocr_substitutions`` copy gets besides (0–2).
SURFACE_COUNT_WEIGHTS = {0: 1, 1: 2, 2: 1}

#: Kinds of distractor, with the file each comes from.
DISTRACTOR_KINDS: tuple[str, ...] = (
    "topic",
    "stock_phrase",
    "numbers",
    "table_cells",
    "heading_in_body",
)
#: The distractor kinds of issue 16 (numbers, tables, headings).
ISSUE16_KINDS: tuple[str, ...] = ("numbers", "table_cells", "heading_in_body")

#: Function characters that summarizing / "pseudo-original" rewrites drop.
FUNCTION_WORDS = frozenset("的了在是着地得之和与也")

#: Full-width punctuation and the ASCII it is flattened to.
ASCII_PUNCT = str.maketrans(
    {
        "，": ",",
        "：": ":",
        "（": "(",
        "）": ")",
        "“": '"',
        "”": '"',
        "；": ";",
        "！": "!",
        "？": "?",
    }
)

#: Characters that OCR and retyping put in place of others: look-alikes a scan
#: confuses (己/已/巳, 末/未, 人/入, 日/曰, 土/士, 第/笫 …) and the homophones an
#: input method offers first (在/再, 做/作, 须/需, 象/像 …).  No numeral is a key
#: or a value, so a damaged copy never differs from its original in a number.
OCR_CONFUSIONS: dict[str, str] = {
    # look-alikes
    "己": "已巳",
    "已": "己巳",
    "未": "末",
    "末": "未",
    "人": "入",
    "入": "人",
    "日": "曰",
    "曰": "日",
    "土": "士",
    "士": "土",
    "第": "笫",
    "大": "太犬",
    "太": "大",
    "天": "夭",
    "王": "玉",
    "玉": "王",
    "目": "自",
    "自": "白目",
    "白": "自",
    "力": "刀",
    "刀": "力",
    "今": "令",
    "令": "今",
    "候": "侯",
    "侯": "候",
    "拨": "拔",
    "拔": "拨",
    "析": "折",
    "折": "析",
    "辨": "辩",
    "辩": "辨",
    "住": "往",
    "往": "住",
    "问": "间",
    "间": "问",
    "治": "冶",
    "厂": "广",
    "广": "厂",
    "免": "兔",
    "贝": "见",
    "见": "贝",
    "午": "牛",
    "失": "矢",
    "崇": "祟",
    "苦": "若",
    "若": "苦",
    "几": "儿",
    "儿": "几",
    "干": "于",
    "休": "体",
    "体": "休",
    "理": "埋",
    "设": "没",
    "没": "设",
    "杨": "扬",
    "扬": "杨",
    "场": "扬",
    "持": "特",
    "特": "持",
    "待": "侍",
    "乌": "鸟",
    "鸟": "乌",
    "晴": "睛",
    "项": "顶",
    "顶": "项",
    "活": "话",
    "话": "活",
    "清": "请",
    "请": "清",
    "检": "捡",
    "验": "险",
    "险": "验",
    "织": "识",
    "识": "织",
    "责": "贵",
    "贵": "责",
    # homophones (input methods)
    "在": "再",
    "再": "在",
    "做": "作",
    "作": "做",
    "以": "已",
    "象": "像",
    "像": "象",
    "须": "需",
    "需": "须",
    "建": "健",
    "制": "治",
    "权": "全",
    "全": "权",
    "工": "公",
    "公": "工",
    "事": "是",
    "是": "事",
    "期": "其",
    "其": "期",
    "议": "意",
    "意": "议",
    "记": "纪",
    "纪": "记",
    "极": "及",
    "及": "极",
    "形": "型",
    "型": "形",
    "式": "试",
    "试": "式",
    "题": "提",
    "提": "题",
    "众": "重",
    "群": "裙",
    "度": "渡",
    "里": "理",
    "利": "力",
    "务": "物",
    "物": "务",
    "安": "按",
    "按": "安",
    "报": "保",
    "保": "报",
    "决": "绝",
    "绝": "决",
    "定": "订",
    "订": "定",
    "常": "长",
    "长": "常",
    "位": "为",
    "为": "位",
    "进": "近",
    "近": "进",
    "经": "径",
    "计": "记",
    "社": "设",
    "会": "汇",
    "汇": "会",
    "构": "购",
    "购": "构",
    "处": "出",
    "出": "处",
    "到": "道",
    "道": "到",
    "发": "法",
    "法": "发",
    "展": "战",
    "规": "归",
    "划": "化",
    "化": "划",
    "施": "实",
    "实": "施",
    "生": "升",
    "训": "讯",
    "源": "原",
    "原": "源",
    "费": "废",
    "标": "表",
    "表": "标",
    "查": "察",
    "察": "查",
    "管": "馆",
    "馆": "管",
    "督": "都",
    "导": "倒",
}
#: Wrong characters per 100 characters of an ``ocr_substitutions`` copy.
SUBSTITUTION_RATE = (3.0, 5.0)
#: Chinese numerals (never substituted, see :data:`OCR_CONFUSIONS`).
NUMERALS = frozenset("零〇一二三四五六七八九十百千万亿两")

#: How many copies an original gets (0–3) and how many edit kinds a copy has
#: besides the surface defects of a substituted copy (1–2).
COPY_WEIGHTS = {0: 2, 1: 3, 2: 4, 3: 2}
EDIT_COUNT_WEIGHTS = {1: 3, 2: 2}
#: Length range of an inserted sentence; it comes from a paragraph of 3+ sentences,
#: so no inserted sentence is a whole paragraph (or most of one) of the set.
DONOR_CHARS = (15, 60)
#: A wrap after 。 splits a copy where each part holds this share of it or more.
WRAP_SPLIT_SHARE = 0.35
#: How many variants a ``numbers`` or ``table_cells`` template gets (weights).
VARIANT_WEIGHTS = {2: 2, 3: 1}

_SENTENCE = re.compile(r"[^。！？]*[。！？]+[”’」』）]*|[^。！？]+$")
_HAN = re.compile(r"[\u3400-\u9fff]")
_SLOT = re.compile(r"\{(Y|A|a|n|d|cn)(?::(\d+)-(\d+))?\}")
_NUMBER = re.compile(r"\d+(?:\.\d+)?|[零〇一二三四五六七八九十百千万亿两]+")
_PLURAL = {"original": "originals", "copy": "copies", "distractor": "distractors"}


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of the set and where it sits.

    ``role`` is ``"original"``, ``"copy"`` or ``"distractor"``; ``kind`` is the
    role for originals and copies and one of :data:`DISTRACTOR_KINDS` for a
    distractor.  ``group`` is the id of the original (an original's own id, a
    copy's source), ``None`` for distractors; ``family`` ties together the
    distractors made from one template (the variants of a ``numbers`` or
    ``table_cells`` template, a heading and the paragraph repeating it), which
    are still not copies of each other.  ``edits`` are a copy's edit kinds
    (empty otherwise) and ``added`` the sentence an ``insert_sentence`` or
    ``added_sentence`` edit put in.  ``doc``, ``start`` and ``end`` locate
    ``text`` in :attr:`LabelledSet.docs`.
    """

    pid: str
    role: str
    group: str | None
    edits: tuple[str, ...]
    text: str
    doc: int = -1
    start: int = -1
    end: int = -1
    kind: str = ""
    family: str | None = None
    added: str = ""


@dataclass
class LabelledSet:
    """Documents, their paragraphs and the ground-truth duplicate pairs."""

    seed: int
    docs: list[str]
    paragraphs: dict[str, Paragraph]
    truth: frozenset[tuple[str, str]]
    #: Pairs that are not copies but share a written sentence (an inserted
    #: sentence and the original it came from, a distractor opening with an
    #: original's first sentence): finding that sentence in both is no error.
    related: frozenset[tuple[str, str]] = frozenset()
    _by_doc: dict[int, list[Paragraph]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for p in self.paragraphs.values():
            self._by_doc.setdefault(p.doc, []).append(p)
        for ps in self._by_doc.values():
            ps.sort(key=lambda p: p.start)

    def locate(self, doc: int, start: int, end: int, min_share: float = 0.5) -> str | None:
        """The paragraph that mostly coincides with ``docs[doc][start:end]``.

        The overlap must cover at least ``min_share`` of the span *and* of the
        paragraph, so a sentence found inside a longer paragraph stands for no
        paragraph (``None``), and neither does a span between paragraphs.
        """
        best = self.holder(doc, start, end, 0.0)
        if best is None:
            return None
        p = self.paragraphs[best]
        overlap = min(end, p.end) - max(start, p.start)
        if overlap < min_share * max(1, end - start, p.end - p.start):
            return None
        return best

    def holder(self, doc: int, start: int, end: int, min_share: float = 0.5) -> str | None:
        """The paragraph holding at least ``min_share`` of ``docs[doc][start:end]``.

        Unlike :meth:`locate` the span may be a small part of the paragraph (a
        sentence found inside it, one half of a copy split in two).
        """
        best, best_overlap = None, 0
        for p in self._by_doc.get(doc, []):
            overlap = min(end, p.end) - max(start, p.start)
            if overlap > best_overlap:
                best, best_overlap = p, overlap
        if best is None or best_overlap < min_share * max(1, end - start):
            return None
        return best.pid

    def pair_edits(self, pair: tuple[str, str]) -> set[str]:
        """The edit kinds of either paragraph of ``pair``."""
        a, b = pair
        return set(self.paragraphs[a].edits) | set(self.paragraphs[b].edits)

    def counts(self) -> dict[str, int]:
        """Documents, paragraphs by role, truth pairs and characters."""
        roles: dict[str, int] = {}
        for p in self.paragraphs.values():
            roles[p.role] = roles.get(p.role, 0) + 1
        return {
            "documents": len(self.docs),
            "paragraphs": len(self.paragraphs),
            **{_PLURAL[r]: roles.get(r, 0) for r in _PLURAL},
            "truth_pairs": len(self.truth),
            "characters": sum(len(d) for d in self.docs),
        }

    def edit_counts(self) -> dict[str, int]:
        """How many copies carry each edit kind."""
        out = dict.fromkeys(EDIT_KINDS, 0)
        for p in self.paragraphs.values():
            for k in p.edits:
                out[k] += 1
        return out

    def distractor_counts(self) -> dict[str, int]:
        """How many distractors there are of each kind."""
        out = dict.fromkeys(DISTRACTOR_KINDS, 0)
        for p in self.paragraphs.values():
            if p.role == "distractor":
                out[p.kind] += 1
        return out

    def to_dict(self) -> dict[str, Any]:
        """The set as plain data (what the CLI writes to ``set.json``)."""
        return {
            "seed": self.seed,
            "counts": self.counts(),
            "edit_counts": self.edit_counts(),
            "distractor_counts": self.distractor_counts(),
            "docs": self.docs,
            "paragraphs": [{**asdict(p), "edits": list(p.edits)} for p in self.paragraphs.values()],
            "truth": sorted(list(t) for t in self.truth),
            "related": sorted(list(t) for t in self.related),
        }


# -- reading the paragraphs ------------------------------------------------------------


def read_paragraphs(path: Path) -> list[str]:
    """The non-empty lines of ``path``, stripped."""
    return [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_blocks(path: Path) -> list[list[str]]:
    """The blank-line separated blocks of ``path``, each as its stripped lines."""
    blocks: list[list[str]] = [[]]
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            blocks[-1].append(line.strip())
        elif blocks[-1]:
            blocks.append([])
    return [b for b in blocks if b]


def sentences(text: str) -> list[str]:
    """``text`` cut after ``。！？`` (closing quotes stay with their sentence).

    The pieces join back to ``text``.
    """
    return [m.group(0) for m in _SENTENCE.finditer(text) if m.group(0)]


def chinese_numeral(n: int) -> str:
    """``n`` (1–9999) in Chinese numerals, as a document writes it.

    >>> [chinese_numeral(k) for k in (7, 10, 14, 20, 105, 110, 2024)]
    ['七', '十', '十四', '二十', '一百零五', '一百一十', '二千零二十四']
    """
    if not 0 < n < 10000:
        raise ValueError("n must be in 1..9999")
    digits = "零一二三四五六七八九"
    if 10 <= n < 20:
        return "十" + (digits[n - 10] if n > 10 else "")
    out = ""
    zero = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d:
            if zero and out:
                out += "零"
            out += digits[d] + unit
            zero = False
        else:
            zero = True
    return out


def numbers_of(text: str) -> list[str]:
    """The numbers of ``text``: digit runs (with decimals) and runs of Chinese numerals.

    >>> numbers_of("第十四条 2023年增长6.5%，一些")
    ['十四', '2023', '6.5', '一']
    """
    return _NUMBER.findall(text)


def mask_numbers(text: str) -> str:
    """``text`` with every number (see :func:`numbers_of`) replaced by ``#``."""
    return _NUMBER.sub("#", text)


def fill_template(template: str, rng: random.Random, variants: int) -> list[str]:
    """``variants`` texts from ``template``, each slot with other values in each.

    Slots: ``{Y}`` a year (the variants are consecutive years), ``{A}`` / ``{a}``
    an article number in Chinese numerals / digits, ``{n:lo-hi}`` an integer,
    ``{d:lo-hi}`` a number with one decimal, ``{cn:lo-hi}`` an integer in
    Chinese numerals.  Every slot takes a different value in every variant
    when its range allows, so the variants differ only in their numbers.
    """
    year = rng.randint(2015, 2022)
    values: list[list[str]] = [[] for _ in range(variants)]
    for m in _SLOT.finditer(template):
        kind, lo_s, hi_s = m.group(1), m.group(2), m.group(3)
        if kind == "Y":
            for v in range(variants):
                values[v].append(str(year + v))
            continue
        lo, hi = (int(lo_s), int(hi_s)) if lo_s else (1, 60)
        if kind == "d":
            pool = [f"{x / 10:.1f}" for x in range(lo * 10, hi * 10 + 1)]
        else:
            ints = list(range(lo, hi + 1))
            fmt = chinese_numeral if kind in ("A", "cn") else str
            pool = [fmt(x) for x in ints]
        drawn = rng.sample(pool, variants) if len(pool) >= variants else [pool[0]] * variants
        for v in range(variants):
            values[v].append(drawn[v])
    return [_fill(template, vs) for vs in values]


def _fill(template: str, values: list[str]) -> str:
    it = iter(values)
    return _SLOT.sub(lambda _m: next(it), template)


# -- edits -----------------------------------------------------------------------------


@dataclass
class EditContext:
    """What an edit may draw on besides the text.

    ``donor_sentences``: other originals' sentences (``insert_sentence``);
    ``own_sentences``: sentences found nowhere else in the set
    (``added_sentence``).  ``added`` receives what an edit inserted.
    """

    donor_sentences: Sequence[str] = ()
    own_sentences: Sequence[str] = ()
    added: list[str] = field(default_factory=list)


Edit = Callable[[str, random.Random, EditContext], str]


def _insert(text: str, sentence: str, rng: random.Random) -> str:
    sents = sentences(text)
    at = rng.randint(1, len(sents))
    return "".join([*sents[:at], sentence, *sents[at:]])


def insert_sentence(text: str, rng: random.Random, ctx: EditContext) -> str:
    """Insert a sentence of another original (:data:`DONOR_CHARS` long) at a sentence boundary."""
    donor = rng.choice(list(ctx.donor_sentences))
    ctx.added.append(donor)
    return _insert(text, donor, rng)


def delete_sentence(text: str, rng: random.Random, ctx: EditContext) -> str:
    """Delete one sentence (paragraphs of three sentences or more)."""
    sents = sentences(text)
    del sents[rng.randrange(len(sents))]
    return "".join(sents)


def added_sentence(text: str, rng: random.Random, ctx: EditContext) -> str:
    """Add a sentence of the copy's own (from ``added.txt``) at a sentence boundary.

    The sentence occurs nowhere else in the set: a deduplicator that removes
    this copy as a copy of its original loses it.
    """
    own = rng.choice(list(ctx.own_sentences))
    ctx.added.append(own)
    return _insert(text, own, rng)


def drop_function_words(text: str, rng: random.Random, ctx: EditContext) -> str:
    """Drop 50–100% of the function characters (:data:`FUNCTION_WORDS`), at least one."""
    rate = rng.uniform(0.5, 1.0)
    where = [i for i, c in enumerate(text) if c in FUNCTION_WORDS]
    drop = {i for i in where if rng.random() < rate} or {rng.choice(where)}
    return "".join(c for i, c in enumerate(text) if i not in drop)


def ocr_substitutions(text: str, rng: random.Random, ctx: EditContext) -> str:
    """Replace 3–5 characters per 100 by what OCR or an input method puts there.

    The wrong characters come from :data:`OCR_CONFUSIONS` (look-alikes and
    homophones), at distinct positions, at least one.
    """
    rate = rng.uniform(*SUBSTITUTION_RATE)
    where = [i for i, c in enumerate(text) if c in OCR_CONFUSIONS]
    n = min(len(where), max(1, round(rate * len(text) / 100)))
    chars = list(text)
    for i in sorted(rng.sample(where, n)):
        chars[i] = rng.choice(OCR_CONFUSIONS[chars[i]])
    return "".join(chars)


def traditional(text: str, rng: random.Random, ctx: EditContext) -> str:
    """Convert to traditional characters with OpenCC ``s2t``."""
    from textwash.normalizers.chinese import get_converter

    return str(get_converter("s2t").convert(text))


def ascii_punct(text: str, rng: random.Random, ctx: EditContext) -> str:
    """Flatten full-width ``，：（）“”；！？`` to ASCII (as an NFKC pass upstream would)."""
    return text.translate(ASCII_PUNCT)


def ocr_spaces(text: str, rng: random.Random, ctx: EditContext) -> str:
    """Put a space after every Han character in one to three stretches (``社 会 、实 现``)."""
    marked = [False] * len(text)
    for _ in range(rng.randint(1, 3)):
        length = rng.randint(15, 60)
        start = rng.randrange(max(1, len(text) - length))
        for i in range(start, min(len(text), start + length)):
            marked[i] = True
    out: list[str] = []
    for i, c in enumerate(text):
        out.append(c)
        if marked[i] and _HAN.match(c) and i + 1 < len(text) and not text[i + 1].isspace():
            out.append(" ")
    return "".join(out)


def line_wraps(text: str, rng: random.Random, ctx: EditContext) -> str:
    """Hard-wrap the paragraph every 20–40 characters (one width per paragraph)."""
    width = rng.randint(20, 40)
    return "\n".join(text[i : i + width] for i in range(0, len(text), width))


def _split_points(text: str) -> list[int]:
    """Where a wrap after a sentence end leaves :data:`WRAP_SPLIT_SHARE` of ``text`` each side."""
    points = []
    pos = 0
    for s in sentences(text)[:-1]:
        pos += len(s)
        if text[pos - 1] == "\n" or text[pos] in "\n ":
            continue
        if WRAP_SPLIT_SHARE <= pos / len(text) <= 1 - WRAP_SPLIT_SHARE:
            points.append(pos)
    return points


def wrapped_after_period(text: str, rng: random.Random, ctx: EditContext) -> str:
    """Break the line right after a sentence end near the middle.

    A line that ends in ``。`` is where a paragraph ends, for a reader and for
    line repair alike, so the copy reaches a detector as two paragraphs (each
    at least :data:`WRAP_SPLIT_SHARE` of it).
    """
    at = rng.choice(_split_points(text))
    return text[:at] + "\n" + text[at:]


#: The edit function of each kind.
EDITS: dict[str, Edit] = {
    "insert_sentence": insert_sentence,
    "delete_sentence": delete_sentence,
    "added_sentence": added_sentence,
    "drop_function_words": drop_function_words,
    "ocr_substitutions": ocr_substitutions,
    "traditional": traditional,
    "ascii_punct": ascii_punct,
    "ocr_spaces": ocr_spaces,
    "line_wraps": line_wraps,
    "wrapped_after_period": wrapped_after_period,
}


def applicable(kind: str, text: str) -> bool:
    """Whether edit ``kind`` can change ``text``."""
    if kind == "delete_sentence":
        return len(sentences(text)) >= 3
    if kind == "drop_function_words":
        return any(c in FUNCTION_WORDS for c in text)
    if kind == "ascii_punct":
        return text != text.translate(ASCII_PUNCT)
    if kind in ("ocr_spaces", "traditional"):
        return bool(_HAN.search(text))
    if kind == "ocr_substitutions":
        return sum(c in OCR_CONFUSIONS for c in text) >= 8
    if kind == "line_wraps":
        return len(text) > 40
    if kind == "wrapped_after_period":
        return bool(_split_points(text))
    return True


def apply_edits(
    text: str, kinds: Iterable[str], rng: random.Random, ctx: EditContext
) -> str | None:
    """Apply ``kinds`` to ``text`` in :data:`EDIT_KINDS` order.

    ``None`` when some edit finds nothing to change in what the earlier ones
    left (no function word after a sentence was deleted, say).
    """
    chosen = set(kinds)
    for kind in EDIT_KINDS:
        if kind in chosen:
            if not applicable(kind, text):
                return None
            edited = EDITS[kind](text, rng, ctx)
            if edited == text:
                return None
            text = edited
    return text


def _choose_kinds(rng: random.Random, text: str, first: str | None) -> tuple[str, ...]:
    """One or two applicable edit kinds (``first`` is always among them when given).

    At most one sentence edit; a copy with ``ocr_substitutions`` also gets 0–2
    surface defects (:data:`SURFACE_EDITS`), as a scan or a retyped page has.
    """
    n = rng.choices(list(EDIT_COUNT_WEIGHTS), weights=list(EDIT_COUNT_WEIGHTS.values()))[0]
    pool = [k for k in EDIT_KINDS if applicable(k, text)]
    weights = [KIND_WEIGHTS[k] for k in pool]
    kinds = [first] if first is not None else []
    while len(kinds) < n:
        k = rng.choices(pool, weights=weights)[0]
        if k in kinds or len(SENTENCE_EDITS & {k, *kinds}) > 1:
            continue  # one sentence edit per copy
        kinds.append(k)
    if "ocr_substitutions" in kinds:
        want = rng.choices(
            list(SURFACE_COUNT_WEIGHTS), weights=list(SURFACE_COUNT_WEIGHTS.values())
        )[0]
        surface = [k for k in SURFACE_EDITS if k in pool and k not in kinds]
        have = sum(k in SURFACE_EDITS for k in kinds)
        kinds.extend(rng.sample(surface, max(0, min(want - have, len(surface)))))
    return tuple(k for k in EDIT_KINDS if k in kinds)


# -- the set ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """The paragraphs the set is made of, as read from the files beside this module."""

    originals: Sequence[str]
    distractors: Sequence[str]
    stock_phrases: Sequence[str]
    numbers: Sequence[str]  # templates (see fill_template)
    tables: Sequence[str]  # templates, one cell per line
    headings: Sequence[tuple[str, str]]  # (heading, paragraph repeating it)
    added: Sequence[str]

    @classmethod
    def read(cls) -> Written:
        """Everything from the files beside this module."""
        return cls(
            originals=read_paragraphs(ORIGINALS),
            distractors=read_paragraphs(DISTRACTORS),
            stock_phrases=read_paragraphs(STOCK_PHRASES),
            numbers=read_paragraphs(NUMBERS),
            tables=["\n".join(b) for b in read_blocks(TABLES)],
            headings=[("\n".join(b[:-1]), b[-1]) for b in read_blocks(HEADINGS)],
            added=read_paragraphs(ADDED),
        )


def _distractors(w: Written, rng: random.Random, width: int) -> list[Paragraph]:
    """Every distractor, by kind; the templates filled with values from ``rng``."""
    out: list[Paragraph] = []

    def add(pid: str, kind: str, text: str, family: str | None = None) -> None:
        out.append(Paragraph(pid, "distractor", None, (), text, kind=kind, family=family))

    for n, text in enumerate(w.distractors, 1):
        add(f"d{n:0{width}d}", "topic", text)
    for n, text in enumerate(w.stock_phrases, 1):
        add(f"s{n:0{width}d}", "stock_phrase", text)
    for prefix, kind, templates in (("n", "numbers", w.numbers), ("t", "table_cells", w.tables)):
        for n, template in enumerate(templates, 1):
            fam = f"{prefix}{n:0{width}d}"
            k = rng.choices(list(VARIANT_WEIGHTS), weights=list(VARIANT_WEIGHTS.values()))[0]
            for v, text in enumerate(fill_template(template, rng, k)):
                add(f"{fam}{'abc'[v]}", kind, text, fam)
    for n, (heading, body) in enumerate(w.headings, 1):
        fam = f"h{n:0{width}d}"
        add(f"{fam}a", "heading_in_body", heading, fam)
        add(f"{fam}b", "heading_in_body", body, fam)
    return out


def build(
    seed: int = 0,
    *,
    n_docs: int = 8,
    originals: Sequence[str] | None = None,
    distractors: Sequence[str] | None = None,
) -> LabelledSet:
    """Build the labelled set for ``seed``: the same seed gives the same set.

    ``originals`` and ``distractors`` (the ``topic`` ones) default to the
    paragraphs shipped beside this file; the other distractors and the added
    sentences always come from there.  Every edit kind is given to at least one
    copy.
    """
    rng = random.Random(seed)
    w = Written.read()
    if originals is not None:
        w = replace(w, originals=list(originals))
    if distractors is not None:
        w = replace(w, distractors=list(distractors))
    origs = list(w.originals)
    width = len(str(max(len(origs), len(w.distractors))))
    sents = [sentences(t) for t in origs]
    own = list(w.added)  # each added sentence is used once per set
    rng.shuffle(own)

    items: list[Paragraph] = []
    # the first copies made cycle through the edit kinds, so each one occurs
    must = list(EDIT_KINDS)
    rng.shuffle(must)
    for n, text in enumerate(origs, 1):
        oid = f"o{n:0{width}d}"
        items.append(Paragraph(oid, "original", oid, (), text, kind="original"))
        n_copies = rng.choices(list(COPY_WEIGHTS), weights=list(COPY_WEIGHTS.values()))[0]
        donors = [
            s
            for m, ss in enumerate(sents)
            if m != n - 1 and len(ss) >= 3
            for s in ss
            if DONOR_CHARS[0] <= len(s) <= DONOR_CHARS[1]
        ]
        for c in range(1, n_copies + 1):
            first = next((k for k in must if applicable(k, text)), None)
            if first is not None:
                must.remove(first)
            copy: str | None = None
            while copy is None:  # every edit must change the text it is given
                ctx = EditContext(donors, own[-1:] or list(w.added))
                kinds = _choose_kinds(rng, text, first)
                copy = apply_edits(text, kinds, rng, ctx)
            if "added_sentence" in kinds and own:
                own.pop()
            added = ctx.added[-1] if ctx.added else ""
            pid = f"{oid}c{c}"
            items.append(Paragraph(pid, "copy", oid, kinds, copy, kind="copy", added=added))
    if must:
        raise ValueError(f"no original could take the edit kinds {must}")
    items.extend(_distractors(w, rng, width))

    rng.shuffle(items)
    docs: list[str] = []
    placed: dict[str, Paragraph] = {}
    per_doc = -(-len(items) // n_docs)
    for d in range(n_docs):
        chunk = items[d * per_doc : (d + 1) * per_doc]
        pos = 0
        texts: list[str] = []
        for p in chunk:
            if texts:
                pos += 2  # the blank line between paragraphs
            placed[p.pid] = replace(p, doc=d, start=pos, end=pos + len(p.text))
            texts.append(p.text)
            pos += len(p.text)
        docs.append("\n\n".join(texts))

    groups: dict[str, list[str]] = {}
    for p in placed.values():
        if p.group is not None:
            groups.setdefault(p.group, []).append(p.pid)
    truth = frozenset(
        (min(a, b), max(a, b))
        for members in groups.values()
        for i, a in enumerate(members)
        for b in members[i + 1 :]
    )
    ordered = dict(sorted(placed.items()))
    return LabelledSet(seed, docs, ordered, truth, _related(ordered, truth))


#: Sentences shorter than this are not counted as shared (``特此通知。``).
SHARED_SENTENCE_CHARS = 8


def _related(
    paragraphs: dict[str, Paragraph], truth: frozenset[tuple[str, str]]
) -> frozenset[tuple[str, str]]:
    """Pairs of paragraphs, not copies, whose written text shares a whole sentence.

    A copy counts with the sentences of its original as written (before any
    damage) and the sentence an edit added.
    """
    written: dict[str, str] = {p.pid: p.text for p in paragraphs.values() if p.role != "copy"}
    holders: dict[str, set[str]] = {}
    for p in paragraphs.values():
        text = written[p.group] if p.role == "copy" and p.group else p.text
        for sent in [*sentences(text), p.added]:
            sent = sent.strip()
            if len(sent) >= SHARED_SENTENCE_CHARS:
                holders.setdefault(sent, set()).add(p.pid)
    pairs = {
        (a, b)
        for ids in holders.values()
        for a in ids
        for b in ids
        if a < b and (a, b) not in truth
    }
    return frozenset(pairs)


def _dump(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=1)


def write(ls: LabelledSet, out: Path) -> None:
    """Write the documents, ``paragraphs.json``, ``truth.json`` and ``set.json`` to ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    width = len(str(len(ls.docs) - 1))
    for i, doc in enumerate(ls.docs):
        (out / f"doc_{i:0{max(2, width)}d}.txt").write_text(doc + "\n", encoding="utf-8")
    data = ls.to_dict()
    (out / "paragraphs.json").write_text(_dump(data["paragraphs"]) + "\n", encoding="utf-8")
    (out / "truth.json").write_text(_dump(data["truth"]) + "\n", encoding="utf-8")
    (out / "set.json").write_text(_dump(data) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Command line: build the set for a seed and write it to a folder."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--docs", type=int, default=8, help="number of dump documents")
    ap.add_argument("--out", type=Path, default=Path("build/labelled"))
    args = ap.parse_args(argv)
    ls = build(args.seed, n_docs=args.docs)
    write(ls, args.out)
    counts = ", ".join(f"{k} {v}" for k, v in ls.counts().items())
    edits = ", ".join(f"{k} {v}" for k, v in ls.edit_counts().items())
    dists = ", ".join(f"{k} {v}" for k, v in ls.distractor_counts().items())
    print(
        f"seed {ls.seed}: {counts}\ncopies by edit kind: {edits}\n"
        f"distractors by kind: {dists}\nwritten to {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
