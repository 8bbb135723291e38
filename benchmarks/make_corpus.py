"""Generate a scraped-dump-like Chinese corpus with planted duplicates, at any size.

Usage::

    python benchmarks/make_corpus.py                       # 100 MB into build/bench/corpus-100mb
    python benchmarks/make_corpus.py --mb 1000 --jsonl     # 1 GB, plus corpus.jsonl
    python benchmarks/make_corpus.py --mb 0.5 --out /tmp/tiny --seed 7

writes, under ``OUT``:

* ``corpus/NNN/dump_NNNNNN.txt`` — the dumps, UTF-8, 500 files a folder.  Each
  is a page of a document-sharing site: breadcrumb and navigation lines, then
  several essays, each with its title printed twice (sometimes a third time,
  glued to the first paragraph), paragraphs separated by blank lines, numbered
  headings, page counters and site notices between them;
* ``truth.json`` — the planted duplicates: every group (an original paragraph
  and its copies, with file, 1-based ``line``/``end_line``, character
  ``start``/``end`` in the file, the copy's kind and edits, and the defects of
  each member) and every unordered pair of members of a group;
* ``paragraphs.tsv`` — every body paragraph (file, line, end_line, start,
  end), so a detector's output can be mapped to paragraphs: titles, headings
  and boilerplate lines are not in it;
* ``corpus.jsonl`` with ``--jsonl`` — the same dumps, one JSON object per file
  (``{"id": "000/dump_000000.txt", "text": ...}``).

The text is pseudo-Chinese: clauses drawn from the word lists below (written
for this generator) and from a long tail of two-character pseudo-words built
from the Han characters of the repository's own seed texts
(``examples/sample_dump.txt``, ``benchmarks/labelled/*.txt``), so that
character n-grams have a realistic mix of very common and rare ones.  No text
is copied from anywhere.

Defects that ``textwash clean`` repairs are added as a scraper would leave
them: per file (30% and 25% of files), ASCII punctuation (``,:;()"!?``) and
hard line wraps every 20–40 characters; per paragraph, OCR spaces (a space
after every character of one or two stretches of 15–60 characters, in files
that have them), full-width digits and OCR look-alikes (``笫`` for ``第``,
``裙`` for ``群``); site notices, page counters and navigation lines as whole
lines.

Planted duplicates: a share (``--dup-rate``) of the body paragraphs are copies
of an earlier paragraph (held in a bounded pool, so copies land in the same
file or up to thousands of files later).  A copy is ``exact`` (the original's
words) or ``near``, with one or two edits: ``char_change`` (one character per
100 changed, at least one), ``drop_function_words`` (50–100% of
``的了在是着地得之和与也`` dropped), ``insert_sentence`` (a new 15–60 character
sentence inserted) or ``delete_sentence`` (one sentence of three or more
removed).  An original gets at most three copies.  Copies get their own
defects, independent of the original's.  The ground truth is every pair of
members of a group (the original with each copy and the copies with each
other).  All other body paragraphs are drawn independently from a vocabulary
of some 85,000 words, so an unplanted near duplicate is vanishingly unlikely
(every tool in ``bench_peers.py`` measures 100% precision against the truth).

Everything is drawn from one seed: the same arguments give byte-identical
output.  Text is made in numpy batches, and files go to disk through a writer
thread and a queue of at most 32 files; only that queue, the pool (at most
``--pool`` paragraphs) and the planted groups (``truth.json`` is about 7.5 MB
per 100 MB) are held in memory, so a 1 GB corpus takes little more memory
than a 10 MB one.
"""

from __future__ import annotations

import argparse
import itertools
import json
import queue
import random
import re
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SEED_TEXTS = (
    ROOT / "examples" / "sample_dump.txt",
    ROOT / "benchmarks" / "labelled" / "originals.txt",
    ROOT / "benchmarks" / "labelled" / "distractors.txt",
)

# -- word lists (written for this generator) ---------------------------------------------


def _w(words: str) -> list[str]:
    """A word list written as whitespace-separated words."""
    return words.split()


FUNCTION_WORDS = frozenset("的了在是着地得之和与也")
"""Function characters that rewrites drop (the labelled set's list)."""

_NOUNS = _w("""
社区 居民 群众 街道 乡镇 农村 城市 学校 学生 教师 家长 医院 医生 患者 企业 职工 干部 党员
政府 部门 单位 机关 窗口 网格 楼栋 小区 物业 业主 志愿者 老人 儿童 青年 妇女 残疾人 农户
道路 桥梁 河道 水库 农田 耕地 林地 草场 厂房 仓库 车站 码头 市场 商铺 超市 食堂 宿舍 操场
图书馆 文化站 养老院 卫生室 服务站 活动室 办事大厅 停车场 充电桩 垃圾桶 路灯 电梯 管网 水电
制度 机制 体系 平台 系统 标准 规范 流程 台账 清单 档案 方案 规划 预案 计划 目标 任务 责任
工作 服务 管理 治理 建设 改革 发展 保障 监督 考核 培训 宣传 教育 调解 救助 帮扶 整改 排查
安全 隐患 风险 事故 火灾 疫情 污染 噪音 矛盾 纠纷 投诉 诉求 需求 意见 建议 问题 困难 短板
资金 经费 补贴 项目 设施 设备 场地 人员 队伍 力量 资源 信息 数据 材料 证明 手续 事项 业务
质量 效率 水平 能力 意识 素质 作风 形象 口碑 满意度 获得感 幸福感 安全感 责任心 积极性
政策 法规 条例 办法 通知 文件 会议 活动 讲座 课程 比赛 展览 演出 义诊 走访 座谈 调研 评比
经济 产业 农业 工业 旅游 物流 电商 金融 科技 人才 就业 创业 收入 消费 投资 税收 价格 成本
环境 生态 绿化 卫生 水质 空气 土壤 垃圾 污水 厕所 庭院 村容 街巷 公园 广场 绿地 景观
""")

_VERBS = _w("""
推进 落实 加强 完善 健全 提升 提高 改善 优化 规范 强化 深化 推动 促进 开展 组织 实施 建立
制定 出台 修订 明确 细化 压实 整合 统筹 协调 衔接 配合 参与 支持 引导 鼓励 帮助 指导 督促
检查 排查 整治 清理 拆除 改造 修缮 更新 维护 养护 巡查 监测 核实 登记 采集 录入 上报 反馈
解决 化解 处理 处置 办理 受理 审批 发放 兑现 落地 覆盖 延伸 下沉 辐射 带动 示范 推广 复制
宣传 讲解 培训 学习 研究 讨论 部署 安排 总结 分析 评估 考核 通报 表彰 约谈 问责 纠正 防范
服务 保障 满足 回应 倾听 收集 征求 吸纳 采纳 解答 答复 跟踪 回访 走访 慰问 陪伴 照顾 关爱
投入 筹集 争取 使用 管理 节约 保护 利用 开发 建设 打造 培育 发展 壮大 提振 激活 释放 挖掘
""")

_ADJ = _w("""
重要 关键 基本 主要 突出 明显 显著 稳定 持续 全面 系统 具体 实际 有效 积极 主动 及时 准确
便捷 高效 规范 扎实 务实 精准 细致 耐心 热情 优质 安全 整洁 有序 和谐 文明 健康 绿色 长效
薄弱 滞后 分散 单一 复杂 繁琐 不足 不够 困难 紧张 老旧 狭窄 偏远 零散 突发 反复 普遍 个别
""")

_ADV = _w("""
进一步 不断 切实 认真 全力 逐步 始终 坚持 努力 着力 充分 广泛 普遍 已经 正在 仍然 还要
必须 应当 可以 能够 需要 及时 持续 集中 分别 共同 相互 主动 重点 优先 全面 基本 初步
""")

_CONNECTORS = _w("""
同时 此外 另外 因此 所以 但是 然而 不过 首先 其次 再次 最后 总之 一方面 另一方面 与此同时
近年来 目前 当前 今年以来 下一步 长期以来 在此基础上 为此 对此 据统计 据了解 实践证明
""")

_MEASURES = _w("个 项 次 户 人 名 家 所 处 条 座 台 批 期 场 件 份 万元 余人 余户 公里 平方米")

_FUNC = _w("的 的 的 的 了 了 在 是 是 着 地 得 之 和 与 也 把 被 对 从 向 将 为 等 及 并 而 都 就")

_TITLE_PATTERNS = (
    "浅谈{a}{b}的难点与对策",
    "关于{a}{b}的几点思考",
    "做好新时期{a}{b}之我见",
    "{a}{b}工作经验交流材料",
    "{a}{b}的实践与探索",
    "论{a}在{b}中的作用",
    "{a}{b}调研报告",
    "{a}{b}工作总结",
    "加强{a}{b}的若干建议",
    "新形势下{a}{b}的路径研究",
)

_HEADING_NUMS = "一二三四五六七八九十"

_SITE_NOTICES = (
    "下载文档前请自行甄别文档内容的完整性，平台不提供额外的编辑、内容补充、找答案等附加服务。",
    "“仅部分预览”的文档，不可在线预览部分如存在完整性等问题，可反馈申请退款。",
    "如文档侵犯您的权益，请联系客服反馈，我们会尽快为您处理。",
    "本文档由用户上传，仅供学习交流使用。",
)
_NAV_LINES = (
    "相关文档",
    "合集下载",
    "相关推荐",
    "热门文档",
    "猜你喜欢",
    "展开阅读全文",
    "下载此文档",
)
_SITES = ("惠民文库", "启明文档网", "青禾范文网", "远山资料网", "明德论文网")
_SECTIONS = ("免费论文", "工作总结", "调研报告", "经验材料", "心得体会")
_KINDS = ("社会管理论文", "行政管理论文", "基层治理", "公共服务", "乡村振兴")

ASCII_PUNCT = (
    ("，", ","),
    ("：", ":"),
    ("（", "("),
    ("）", ")"),
    ("“", '"'),
    ("”", '"'),
    ("；", ";"),
    ("！", "!"),
    ("？", "?"),
)
FULLWIDTH_DIGITS = tuple(zip("0123456789", "０１２３４５６７８９", strict=True))
LOOKALIKES = {"第": "笫", "群": "裙"}

#: Kinds of near-copy edit, in the order they are applied.
EDIT_KINDS = ("delete_sentence", "insert_sentence", "drop_function_words", "char_change")
#: Paragraph-level defects a member of a group may carry (``ascii_punct`` and
#: ``line_wraps`` are per file).
DEFECT_KINDS = ("ascii_punct", "line_wraps", "ocr_spaces", "fullwidth_digits", "lookalikes")

FILES_PER_FOLDER = 500
_HAN = re.compile(r"[\u4e00-\u9fff]")
_SENT_END = "。。。。。。。。！？"


def seed_chars() -> list[str]:
    """Distinct Han characters of the repository's seed texts, sorted (for pseudo-words)."""
    chars: set[str] = set()
    for path in SEED_TEXTS:
        if path.exists():
            chars.update(_HAN.findall(path.read_text(encoding="utf-8")))
    if len(chars) < 200:  # the seed texts are missing: fall back on the word lists
        for w in _NOUNS + _VERBS + _ADJ + _ADV:
            chars.update(w)
    return sorted(chars)


# -- the text model --------------------------------------------------------------------


class TextModel:
    """Draws pseudo-Chinese sentences and paragraphs, in bulk.

    The vocabulary is the hand-written lists, numbers with measure words,
    pseudo proper names and quoted terms, plus ``n_pseudo`` two-character
    pseudo-words from ``chars``, with Zipf-like weights: function characters
    and list words are frequent, pseudo-words form a long tail.  Sentences
    (1–4 clauses of 3–8 words, commas or ``；：、`` between clauses, ``。`` or
    ``！？`` at the end) are built in batches of tens of thousands: the words
    and separators of a whole batch are drawn with numpy as one index array,
    and Python only joins each sentence's slice.
    """

    SEPARATORS = ("，", "；", "：", "、", "。", "！", "？")
    TABLE = 1 << 22

    def __init__(self, rng: np.random.Generator, n_pseudo: int = 60_000) -> None:
        self.rng = rng
        chars = seed_chars()
        self.chars = chars
        r = random.Random(int(rng.integers(1 << 62)))
        pairs = rng.integers(0, len(chars), size=(n_pseudo, 2)).tolist()
        pseudo = [chars[a] + chars[b] for a, b in pairs]
        numbers = [f"{r.randint(2, 980)}{r.choice(_MEASURES)}" for _ in range(4000)]
        numbers += [f"{y}年" for y in range(2008, 2026)]
        names = [self.name(r) for _ in range(20_000)]
        terms = pseudo[:5000] + _NOUNS
        quoted = ["“" + "".join(r.choices(terms, k=r.randint(1, 2))) + "”" for _ in range(3000)]
        groups: list[tuple[list[str], float]] = [
            (_FUNC, 40.0),
            (_NOUNS, 6.0),
            (_VERBS, 6.0),
            (_ADJ, 4.0),
            (_ADV, 3.0),
            (_CONNECTORS, 1.5),
            (numbers, 0.05),
            (names, 0.01),
            (quoted, 0.01),
        ]
        vocab: list[str] = []
        weights: list[np.ndarray] = []
        for words, w in groups:
            vocab += words
            weights.append(np.full(len(words), w))
        vocab += pseudo
        # a Zipf-like tail (weight 3 / rank^0.6): about half of all words
        weights.append(3.0 / np.arange(1, n_pseudo + 1) ** 0.6)
        w_all = np.concatenate(weights)
        self.n_words = len(vocab)
        # inverse-CDF lookup table: a uniform 22-bit integer -> a word index
        cdf = np.cumsum(w_all / w_all.sum())
        grid = (np.arange(self.TABLE) + 0.5) / self.TABLE
        self.table = np.minimum(np.searchsorted(cdf, grid, side="right"), self.n_words - 1)
        self.sep0 = len(vocab)
        vocab += self.SEPARATORS
        flat = "".join(vocab)
        self.points = np.frombuffer(flat.encode("utf-32-le"), dtype="<u4")
        self.lengths = np.array([len(w) for w in vocab], dtype=np.int64)
        self.offsets = np.cumsum(self.lengths) - self.lengths
        self._pars: list[str] = []
        self._counts: list[int] = []
        self._pos = 0

    def _refill(self, n_par: int = 1 << 13) -> None:
        """Draw the next batch of ``n_par`` paragraphs of 2–7 sentences."""
        rng = self.rng
        per_par = rng.integers(2, 8, size=n_par)
        n_sent = int(per_par.sum())
        clauses = rng.choice(np.array([1, 2, 2, 3, 3, 3, 4]), size=n_sent)
        n_cl = int(clauses.sum())
        lens = rng.integers(3, 9, size=n_cl)
        # token layout: each clause's words, then one separator
        ends = np.cumsum(lens + 1)
        words = self.table[rng.integers(0, self.TABLE, size=int(ends[-1]))]
        sent_last = np.cumsum(clauses) - 1  # index of each sentence's last clause
        # clause separator: the sentence's (，85%, else ；：、), the last one ends it (。, or ！？)
        sent_sep = np.where(rng.random(n_sent) < 0.85, 0, rng.integers(1, 4, size=n_sent))
        sep = np.repeat(sent_sep, clauses)
        sep[sent_last] = np.where(rng.random(n_sent) < 0.9, 4, rng.integers(5, 7, size=n_sent))
        words[ends - 1] = self.sep0 + sep
        # the whole batch as one array of code points (each word's characters
        # gathered from the flat vocabulary), decoded once, cut at paragraph ends
        lens_w = self.lengths[words]
        char_ends = np.cumsum(lens_w)
        shift = np.repeat(self.offsets[words] - (char_ends - lens_w), lens_w)
        points = self.points[np.arange(int(char_ends[-1])) + shift]
        text = points.tobytes().decode("utf-32-le")
        par_last = sent_last[np.cumsum(per_par) - 1]  # each paragraph's last clause
        bounds = [0, *char_ends[ends[par_last] - 1].tolist()]
        self._pars = [text[a:b] for a, b in itertools.pairwise(bounds)]
        self._counts = per_par.tolist()
        self._pos = 0

    def paragraph(self) -> tuple[str, int]:
        """The next paragraph and its number of sentences."""
        if self._pos >= len(self._pars):
            self._refill()
        i = self._pos
        self._pos += 1
        return self._pars[i], self._counts[i]

    def sentence(self, lo: int = 15, hi: int = 60) -> str:
        """A sentence of ``lo``–``hi`` characters (from the next paragraphs)."""
        while True:
            for s in split_sentences(self.paragraph()[0]):
                if lo <= len(s) <= hi:
                    return s

    def name(self, r: random.Random) -> str:
        """A pseudo proper name: a place, a person or an organisation."""
        c = self.chars
        stem = "".join(r.choice(c) for _ in range(r.randint(2, 3)))
        return stem + r.choice(("县", "镇", "村", "街道", "社区", "同志", "公司", "中心", "小学"))

    def title(self, r: random.Random) -> str:
        """An essay title."""
        a = r.choice(_NOUNS) if r.random() < 0.6 else self.name(r)
        b = r.choice(_NOUNS) + r.choice(("工作", "管理", "服务", "建设", ""))
        return r.choice(_TITLE_PATTERNS).format(a=a, b=b)

    def heading(self, r: random.Random, k: int) -> str:
        """A numbered section heading (``二、加强组织领导``)."""
        num = _HEADING_NUMS[k % 10]
        body = r.choice(_VERBS) + r.choice(_NOUNS) + r.choice(_NOUNS)
        return f"{num}、{body}" if r.random() < 0.7 else f"（{num}）{body}"


# -- edits and defects -----------------------------------------------------------------


def split_sentences(text: str) -> list[str]:
    """Sentences of a clean paragraph (each ends in 。！？)."""
    return [s for s in re.findall(r"[^。！？]*[。！？]|[^。！？]+$", text) if s]


def near_copy(
    sents: list[str], kinds: list[str], r: random.Random, model: TextModel
) -> tuple[list[str], list[str]]:
    """Apply ``kinds`` of edit to a paragraph's sentences; return them and the edits made."""
    out = list(sents)
    done: list[str] = []
    for kind in EDIT_KINDS:
        if kind not in kinds:
            continue
        if kind == "delete_sentence" and len(out) >= 3:
            del out[r.randrange(len(out))]
            done.append(kind)
        elif kind == "insert_sentence":
            s = model.sentence(15, 60)
            out.insert(r.randint(0, len(out)), s)
            done.append(kind)
        elif kind == "drop_function_words":
            text = "".join(out)
            if not any(c in FUNCTION_WORDS for c in text):
                continue
            share = r.uniform(0.5, 1.0)
            dropped = "".join(c for c in text if c not in FUNCTION_WORDS or r.random() >= share)
            if dropped != text:
                out = split_sentences(dropped)
                done.append(kind)
        elif kind == "char_change":
            chars = list("".join(out))
            n = max(1, len(chars) // 100)
            changed: set[int] = set()
            for _ in range(50 * n):  # bounded, in case a paragraph has few Han characters
                if len(changed) >= n:
                    break
                i = r.randrange(len(chars))
                if i in changed or not _HAN.match(chars[i]):
                    continue
                new = r.choice(model.chars)
                if new != chars[i]:
                    chars[i] = new
                    changed.add(i)
            if changed:
                out = split_sentences("".join(chars))
                done.append(kind)
    return out, done


def replace_all(text: str, table: tuple[tuple[str, str], ...]) -> str:
    """Replace every ``old`` of ``table`` by its ``new`` (faster than ``str.translate`` here)."""
    for old, new in table:
        text = text.replace(old, new)
    return text


def ocr_spaces(text: str, r: random.Random) -> str:
    """A space after every character of one or two stretches of 15–60 characters."""
    for _ in range(r.randint(1, 2)):
        if len(text) < 20:
            break
        n = r.randint(15, min(60, len(text)))
        a = r.randint(0, len(text) - n)
        text = text[:a] + " ".join(text[a : a + n]) + " " + text[a + n :]
    return text


def hard_wrap(text: str, width: int) -> str:
    """Break ``text`` into lines of ``width`` characters (no empty line)."""
    if len(text) <= width:
        return text
    return "\n".join(text[i : i + width] for i in range(0, len(text), width))


# -- the corpus writer -----------------------------------------------------------------


@dataclass
class Source:
    """A paragraph that copies can be made from, and where its original sits."""

    text: str
    loc: tuple[str, int, int, int, int]
    defects: list[str]
    group: int | None = None
    copies: int = 0

    def member(self) -> dict[str, Any]:
        """The original as a member of its group."""
        m = _member(*self.loc, "original", "original", [], self.defects)
        m["chars"] = len(self.text)
        return m


@dataclass
class Stats:
    """Counts for the summary and ``truth.json``."""

    files: int = 0
    bytes: int = 0
    chars: int = 0
    paragraphs: int = 0
    blocks: int = 0
    essays: int = 0
    copies: dict[str, int] = field(default_factory=lambda: {"exact": 0, "near": 0})
    edits: dict[str, int] = field(default_factory=lambda: dict.fromkeys(EDIT_KINDS, 0))
    defects: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DEFECT_KINDS, 0))


def _member(
    rel: str,
    line: int,
    end_line: int,
    start: int,
    end: int,
    role: str,
    kind: str,
    edits: list[str],
    defects: list[str],
) -> dict[str, Any]:
    """A member of a duplicate group, as written to ``truth.json``."""
    return {
        "file": rel,
        "line": line,
        "end_line": end_line,
        "start": start,
        "end": end,
        "role": role,
        "kind": kind,
        "edits": edits,
        "defects": defects,
    }


class FileBuilder:
    """Accumulates one dump's text while tracking lines and character offsets."""

    def __init__(self, rel: str) -> None:
        self.rel = rel
        self.parts: list[str] = []
        self.chars = 0
        self.line = 1
        self.blocks = 0
        self.rows: list[str] = []

    def add_block(self, text: str) -> tuple[int, int, int, int]:
        """Append a block and a blank line; return its (line, end_line, start, end)."""
        start, line = self.chars, self.line
        nl = text.count("\n")
        self.parts.append(text)
        self.parts.append("\n\n")
        self.chars += len(text) + 2
        self.line += nl + 2
        self.blocks += 1
        return line, line + nl, start, start + len(text)

    def text(self) -> str:
        """The dump, ending with one newline."""
        return "".join(self.parts)[:-1]


class CorpusWriter:
    """Streams dumps to disk, planting duplicates and recording the truth."""

    def __init__(
        self,
        out: Path,
        *,
        seed: int,
        dup_rate: float,
        exact_share: float,
        pool_size: int,
        jsonl: bool,
    ) -> None:
        self.out = out
        self.corpus = out / "corpus"
        self.r = random.Random(seed)
        self.model = TextModel(np.random.default_rng(seed))
        self.dup_rate = dup_rate
        self.exact_share = exact_share
        self.pool_size = pool_size
        self.pool: list[Source] = []
        self.groups: list[list[dict[str, Any]]] = []
        self.stats = Stats()
        self.jsonl = (out / "corpus.jsonl").open("w", encoding="utf-8") if jsonl else None
        self.paragraphs = (out / "paragraphs.tsv").open("w", encoding="utf-8")
        self.paragraphs.write("file\tline\tend_line\tstart\tend\n")
        self._edit_cycle = 0
        # files on their way to the writer thread (bounded: at most 32 dumps in memory)
        self._queue: queue.Queue[tuple[str, bytes, str, str | None] | None] = queue.Queue(32)

    # - paragraphs

    def _defects(self, text: str, style: dict[str, Any]) -> tuple[str, list[str]]:
        """Apply the file's style and per-paragraph defects to a clean paragraph."""
        r = self.r
        done: list[str] = []
        if r.random() < 0.05 and re.search(r"\d", text):
            text = replace_all(text, FULLWIDTH_DIGITS)
            done.append("fullwidth_digits")
        if r.random() < 0.04 and any(c in text for c in LOOKALIKES):
            for a, b in LOOKALIKES.items():
                text = text.replace(a, b)
            done.append("lookalikes")
        if style["ascii"]:
            text = replace_all(text, ASCII_PUNCT)
            done.append("ascii_punct")
        if r.random() < style["ocr"]:
            text = ocr_spaces(text, r)
            done.append("ocr_spaces")
        if style["wrap"] and len(text) > style["wrap"]:
            text = hard_wrap(text, style["wrap"])
            done.append("line_wraps")
        return text, done

    def _copy(self) -> tuple[str, str, list[str], Source] | None:
        """A planted copy of a pool paragraph: (text, kind, edits, source)."""
        r = self.r
        if not self.pool:
            return None
        k = r.randrange(len(self.pool))
        src = self.pool[k]
        text, kind, edits = src.text, "exact", []
        if r.random() >= self.exact_share:
            n = 1 if r.random() < 0.6 else 2
            # cycle through the kinds first so each occurs even in a tiny corpus
            first = EDIT_KINDS[self._edit_cycle % len(EDIT_KINDS)]
            self._edit_cycle += 1
            kinds = [first, *r.sample([k for k in EDIT_KINDS if k != first], n - 1)]
            sents, done = near_copy(split_sentences(src.text), kinds, r, self.model)
            new = "".join(sents)
            if done and new != src.text:
                text, kind, edits = new, "near", done
        src.copies += 1
        if src.copies >= 3:  # at most three copies of one original
            self.pool[k] = self.pool[-1]
            self.pool.pop()
        return text, kind, edits, src

    def _paragraph(self, fb: FileBuilder, style: dict[str, Any], glued_title: str | None) -> None:
        r = self.r
        copy = self._copy() if r.random() < self.dup_rate else None
        if copy is None:
            clean, n_sents = self.model.paragraph()
            kind, src = "original", None
            edits: list[str] = []
        else:
            clean, kind, edits, src = copy
        text, defects = self._defects(clean, style)
        if glued_title:
            line, end_line, start, end = fb.add_block(glued_title + text)
            # the title glued to the paragraph is not part of it (the title has no newline)
            start += len(glued_title)
        else:
            line, end_line, start, end = fb.add_block(text)
        fb.rows.append(f"{fb.rel}\t{line}\t{end_line}\t{start}\t{end}\n")
        self.stats.paragraphs += 1
        if src is not None:
            member = _member(fb.rel, line, end_line, start, end, "copy", kind, edits, defects)
            member["chars"] = len(clean)
            if src.group is None:
                src.group = len(self.groups)
                self.groups.append([src.member()])
            self.groups[src.group].append(member)
            self.stats.copies[kind] += 1
            for e in edits:
                self.stats.edits[e] += 1
        elif n_sents >= 3 and len(clean) >= 80:
            entry = Source(clean, (fb.rel, line, end_line, start, end), defects)
            if len(self.pool) < self.pool_size:
                self.pool.append(entry)
            else:
                self.pool[int(r.random() * self.pool_size)] = entry

    # - files

    def _file(self, index: int) -> None:
        r = self.r
        rel = f"{index // FILES_PER_FOLDER:03d}/dump_{index:06d}.txt"
        fb = FileBuilder(rel)
        style = {
            "ascii": r.random() < 0.3,
            "wrap": r.randint(20, 40) if r.random() < 0.25 else 0,
            "ocr": r.choice((0.0, 0.0, 0.03, 0.1)),
        }
        # breadcrumb and navigation
        if r.random() < 0.5:
            fb.add_block(f"{r.choice(_SITES)}()/{r.choice(_SECTIONS)}/{r.choice(_KINDS)}")
        titles = [self.model.title(r) for _ in range(r.randint(2, 12))]
        if r.random() < 0.5:
            fb.add_block("(√)" + titles[0])
        if r.random() < 0.4:
            fb.add_block(r.choice(_NAV_LINES))
        pages = r.randint(3, 30)
        for t_i, title in enumerate(titles):
            self.stats.essays += 1
            fb.add_block(title)
            fb.add_block(title)
            glued: str | None = title if r.random() < 0.25 else None
            heading_k = 0
            for p_i in range(r.randint(5, 24)):
                if p_i and r.random() < 0.08:
                    fb.add_block(self.model.heading(r, heading_k))
                    heading_k += 1
                if p_i and r.random() < 0.03:
                    fb.add_block(f"第 {r.randint(1, pages)} 页 共 {pages} 页")
                self._paragraph(fb, style, glued)
                glued = None
            if r.random() < 0.3:
                fb.add_block(r.choice(_NAV_LINES))
            if t_i == len(titles) - 1 or r.random() < 0.2:
                for k, notice in enumerate(r.sample(_SITE_NOTICES, r.randint(1, 3)), 1):
                    fb.add_block(f"{k}、{notice}")
        text = fb.text()
        data = text.encode("utf-8")
        record = None
        if self.jsonl is not None:
            record = json.dumps({"id": rel, "text": text}, ensure_ascii=False) + "\n"
        self._queue.put((rel, data, "".join(fb.rows), record))
        self.stats.files += 1
        self.stats.bytes += len(data)
        self.stats.chars += len(text)
        self.stats.blocks += fb.blocks

    def _writer(self) -> None:
        """Write queued files (in a thread, so disk writes overlap generation)."""
        while True:
            item = self._queue.get()
            if item is None:
                return
            rel, data, rows, record = item
            path = self.corpus / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            self.paragraphs.write(rows)
            if record is not None and self.jsonl is not None:
                self.jsonl.write(record)

    def run(self, target_bytes: int, progress: bool = False) -> None:
        """Write files until ``target_bytes`` of text have been written."""
        t0 = time.perf_counter()
        index = 0
        writer = threading.Thread(target=self._writer, name="corpus-writer", daemon=True)
        writer.start()
        try:
            while self.stats.bytes < target_bytes:
                self._file(index)
                index += 1
                if progress and index % 200 == 0:
                    mb = self.stats.bytes / 1e6
                    rate = mb / (time.perf_counter() - t0)
                    print(
                        f"\r{mb:8.1f} MB  {index} files  {rate:.1f} MB/s", end="", file=sys.stderr
                    )
        finally:
            self._queue.put(None)
            writer.join()
        if progress:
            print(file=sys.stderr)
        self.paragraphs.close()
        if self.jsonl is not None:
            self.jsonl.close()

    # - truth

    def truth(self, params: dict[str, Any]) -> dict[str, Any]:
        """The ground truth: groups of planted duplicates and their pairs."""
        groups: list[dict[str, Any]] = []
        pairs: list[list[str]] = []
        for g, members in enumerate(self.groups):
            for m in members:
                for d in m["defects"]:
                    self.stats.defects[d] += 1
            ids = [f"{m['file']}:{m['line']}" for m in members]
            groups.append({"id": g, "members": members})
            pairs.extend([a, b] for i, a in enumerate(ids) for b in ids[i + 1 :])
        s = self.stats
        return {
            "schema": "textwash.bench.corpus",
            "version": 1,
            "params": params,
            "stats": {
                "files": s.files,
                "bytes": s.bytes,
                "chars": s.chars,
                "blocks": s.blocks,
                "essays": s.essays,
                "paragraphs": s.paragraphs,
                "groups": len(groups),
                "planted_paragraphs": sum(len(g["members"]) for g in groups),
                "pairs": len(pairs),
                "copies": s.copies,
                "edits": s.edits,
                "member_defects": s.defects,
            },
            "groups": groups,
            "pairs": pairs,
        }


def iter_pairs(truth: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """The truth's pairs as sorted ``("file:line", "file:line")`` tuples."""
    for a, b in truth["pairs"]:
        yield (a, b) if a < b else (b, a)


def generate(
    out: Path,
    mb: float,
    *,
    seed: int = 0,
    dup_rate: float = 0.08,
    exact_share: float = 0.4,
    pool_size: int = 20_000,
    jsonl: bool = False,
    progress: bool = False,
) -> dict[str, Any]:
    """Generate a corpus of about ``mb`` megabytes (10^6 bytes) under ``out``; return the truth.

    ``out/corpus`` must not exist yet or be empty (a corpus is never mixed with
    another one).
    """
    corpus = out / "corpus"
    if corpus.exists() and any(corpus.iterdir()):
        raise FileExistsError(f"{corpus} is not empty")
    corpus.mkdir(parents=True, exist_ok=True)
    params = {
        "mb": mb,
        "seed": seed,
        "dup_rate": dup_rate,
        "exact_share": exact_share,
        "pool": pool_size,
        "generator": "benchmarks/make_corpus.py",
    }
    w = CorpusWriter(
        out,
        seed=seed,
        dup_rate=dup_rate,
        exact_share=exact_share,
        pool_size=pool_size,
        jsonl=jsonl,
    )
    w.run(int(mb * 1e6), progress=progress)
    truth = w.truth(params)
    (out / "truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=None, separators=(",", ":")) + "\n",
        encoding="utf-8",
    )
    return truth


def main(argv: list[str] | None = None) -> int:
    """Command line: generate a corpus and print its summary."""
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--mb", type=float, default=100.0, help="size in MB of UTF-8 text (10^6 bytes)")
    ap.add_argument("--out", type=Path, help="output folder (default: build/bench/corpus-<mb>mb)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--dup-rate", type=float, default=0.08, help="share of paragraphs that are copies"
    )
    ap.add_argument("--exact-share", type=float, default=0.4, help="share of copies that are exact")
    ap.add_argument("--pool", type=int, default=20_000, help="paragraphs held as copy sources")
    ap.add_argument("--jsonl", action="store_true", help="also write corpus.jsonl")
    ap.add_argument("--quiet", action="store_true", help="no progress line")
    args = ap.parse_args(argv)
    out = args.out or ROOT / "build" / "bench" / f"corpus-{args.mb:g}mb"
    t = time.perf_counter()
    truth = generate(
        out,
        args.mb,
        seed=args.seed,
        dup_rate=args.dup_rate,
        exact_share=args.exact_share,
        pool_size=args.pool,
        jsonl=args.jsonl,
        progress=not args.quiet,
    )
    secs = time.perf_counter() - t
    s = truth["stats"]
    print(
        f"{out}: {s['files']} files, {s['bytes'] / 1e6:.1f} MB, {s['paragraphs']} paragraphs "
        f"({s['blocks']} blocks), {s['groups']} duplicate groups, {s['pairs']} pairs "
        f"(copies: {s['copies']['exact']} exact, {s['copies']['near']} near) "
        f"in {secs:.1f}s ({s['bytes'] / 1e6 / secs:.1f} MB/s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
