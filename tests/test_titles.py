"""RepeatedLines: a title's echo goes, every other repeated line stays (issue 10).

Scrapers print each title twice, and sometimes a third time glued to the first
sentence of the body.  Those echoes go; Markdown table rows, list items, verse
and lyrics repeat lines on purpose and must come out exactly as they went in.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import regex
from hypothesis import given
from hypothesis import strategies as st

import textwash
from textwash import apply_edits
from textwash.normalizers import RepeatedLines

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sample_dump.txt"
HAN = regex.compile(r"\p{Han}")


def han(s: str) -> int:
    return len(HAN.findall(s))


def both(text: str) -> list[str]:
    """The text after RepeatedLines alone and after the whole zh preset."""
    return [RepeatedLines()(text), RepeatedLines(fold=False)(text), textwash.clean(text)]


# -- repetition that is content stays ---------------------------------------------------

POEMS = [
    # a refrain of three identical lines, after the poem's title
    "读书歌\n\n好好学习\n好好学习\n好好学习\n天天向上\n",
    # a couplet sung twice at the start of a stanza
    "茉莉花\n\n好一朵美丽的茉莉花\n好一朵美丽的茉莉花\n芬芳美丽满枝桠\n又香又白人人夸\n",
    # lyrics whose first line is the song's title, chorus repeated
    "我的祖国\n\n我的祖国\n一条大河波浪宽\n风吹稻花香两岸\n\n一条大河波浪宽\n一条大河波浪宽\n",
    # emphasis: a slogan three times on its own
    "加油\n加油\n加油\n",
    # a slogan three times after a paragraph
    "会议最后，全体人员齐声高呼：\n\n安全第一\n安全第一\n安全第一\n",
    # classical verse, a line repeated in the middle of the block
    "静夜思\n\n床前明月光，\n疑是地上霜。\n举头望明月，\n举头望明月，\n低头思故乡。\n",
]


@pytest.mark.parametrize("text", POEMS)
def test_verse_and_lyrics_keep_their_repeated_lines(text):
    for out in both(text):
        assert out == text


TABLES = [
    "| 选项 |\n|---|\n| 是 |\n| 是 |\n| 否 |\n",
    # the first rows right after a blank line, where a title would stand
    "调查结果如下：\n\n| 是 |\n| 是 |\n| 是 |\n",
    "| 姓名 | 是否到会 |\n| --- | --- |\n| 张三 | 是 |\n| 张三 | 是 |\n",
    # rows without outer pipes
    "是 | 否 | 是\n是 | 否 | 是\n",
]


@pytest.mark.parametrize("text", TABLES)
def test_markdown_tables_keep_identical_rows(text):
    for out in both(text):
        assert out == text


LISTS = [
    "购物清单\n\n- 苹果\n- 苹果\n- 香蕉\n",
    "注意事项\n\n* 关好门窗\n* 关好门窗\n",
    "1. 提高认识\n1. 提高认识\n2. 狠抓落实\n",
    "一、提高认识\n\n一、提高认识\n\n二、狠抓落实\n",
    "（一）加强学习\n（一）加强学习\n",
    "① 签到\n① 签到\n",
]


@pytest.mark.parametrize("text", LISTS)
def test_repeated_list_items_stay(text):
    for out in both(text):
        assert out == text


def test_code_keeps_its_repeated_lines():
    fenced = "示例\n\n```\n标题\n\n标题\n```\n"
    code = "x = 1\n\nprint(x)\nprint(x)\n"
    for text in (fenced, code):
        assert RepeatedLines()(text) == text


def test_repeats_away_from_a_section_start_stay():
    # the first copy follows a line of the same block: not a title
    text = "近年来，我们做了以下工作。\n加强学习\n加强学习\n"
    assert RepeatedLines()(text) == text
    # a sentence printed twice is not a title (it ends like a sentence)
    text = "\n要树立人民警察的良好形象。\n要树立人民警察的良好形象。\n"
    assert RepeatedLines()(text) == text


# -- title echoes go --------------------------------------------------------------------


def test_title_printed_twice_is_collapsed():
    text = "浅谈新时期群众工作方法……\n\n浅谈新时期群众工作方法……\n\n公安机关要做好群众工作。\n"
    assert RepeatedLines()(text) == "浅谈新时期群众工作方法……\n\n\n公安机关要做好群众工作。\n"
    # right below, and followed by the body's long lines
    text = "浅谈公安机关如何走好群众路线\n浅谈公安机关如何走好群众路线\n" + "正文很长。" * 10 + "\n"
    assert RepeatedLines()(text) == "浅谈公安机关如何走好群众路线\n" + "正文很长。" * 10 + "\n"


def test_title_after_boilerplate_is_a_title():
    text = "相关文档\n浅谈公安民警如何做好群众工作\n浅谈公安民警如何做好群众工作\n\n正文。\n"
    assert RepeatedLines()(text) == "相关文档\n浅谈公安民警如何做好群众工作\n\n正文。\n"


def test_titles_printed_twice_in_traditional_and_simplified():
    text = "淺談群眾工作\n\n浅谈群众工作\n\n正文。\n"
    assert RepeatedLines()(text) == "淺談群眾工作\n\n\n正文。\n"
    assert RepeatedLines(fold=False)(text) == text


ESSAYS = [
    (
        "浅谈社区垃圾分类工作的难点与对策\n\n浅谈社区垃圾分类工作的难点与对策\n\n"
        "浅谈社区垃圾分类工作的难点与对策近年来，随着城市人口不断增加，生活垃圾产生量逐年攀升。\n",
        "浅谈社区垃圾分类工作的难点与对策\n\n\n近年来，随着城市人口不断增加，生活垃圾产生量逐年攀升。\n",
    ),
    (  # the echo right below the title, no blank line between
        "做好新时期公安群众工作之我见\n"
        "做好新时期公安群众工作之我见长期以来的公安实践证明，群众工作的好坏直接影响公安工作的效能。\n",
        "做好新时期公安群众工作之我见\n长期以来的公安实践证明，群众工作的好坏直接影响公安工作的效能。\n",
    ),
    (  # printed three times on the paragraph's line: all copies go
        "浅谈派出所警务区民警如何做好群众工作\n\n"
        + "浅谈派出所警务区民警如何做好群众工作" * 3
        + "公安派出所是公安机关最基层单位，警务区民警每天都与群众打交道。\n",
        "浅谈派出所警务区民警如何做好群众工作\n\n"
        "公安派出所是公安机关最基层单位，警务区民警每天都与群众打交道。\n",
    ),
    (  # the body opens with a bracketed heading
        "论新时期公安机关如何做好群众工作\n\n论新时期公安机关如何做好群众工作【摘要】当前，"
        "我国全面进入社会转型、经济转轨时期。\n",
        "论新时期公安机关如何做好群众工作\n\n【摘要】当前，我国全面进入社会转型、经济转轨时期。\n",
    ),
    (  # the body opens with a quotation
        "新时期如何提升基层民警做好群众工作能力\n\n新时期如何提升基层民警做好群众工作能力"
        "“一切为了群众，一切依靠群众”的群众路线，是我们党的根本工作路线。\n",
        "新时期如何提升基层民警做好群众工作能力\n\n"
        "“一切为了群众，一切依靠群众”的群众路线，是我们党的根本工作路线。\n",
    ),
    (  # title printed twice, then a third time before "为…": a purpose clause
        "幸福里小区生活垃圾分类居民公约（试行）\n\n幸福里小区生活垃圾分类居民公约（试行）\n\n"
        "幸福里小区生活垃圾分类居民公约（试行）为规范本小区生活垃圾分类投放行为，制定本公约。\n",
        "幸福里小区生活垃圾分类居民公约（试行）\n\n\n为规范本小区生活垃圾分类投放行为，制定本公约。\n",
    ),
    (  # a numbered heading right after the echo
        "新时代背景下公安群众工作的思考\n\n新时代背景下公安群众工作的思考1. 新时代背景下，"
        "公安队伍的作用更加重要。\n",
        "新时代背景下公安群众工作的思考\n\n1. 新时代背景下，公安队伍的作用更加重要。\n",
    ),
]


@pytest.mark.parametrize(("raw", "clean"), ESSAYS)
def test_title_echo_glued_to_the_first_paragraph_is_cut(raw, clean):
    assert RepeatedLines()(raw) == clean
    assert RepeatedLines(fold=False)(raw) == clean
    assert RepeatedLines()(clean) == clean


def test_title_echo_is_cut_in_the_bundled_sample():
    out = textwash.clean(SAMPLE.read_text(encoding="utf-8"))
    for title, start in [
        ("浅谈社区垃圾分类工作的难点与对策", "近年来，随着城市人口"),
        ("做好新时期社区垃圾分类工作之我见", "垃圾分类看似是小事"),
        ("社区垃圾分类志愿服务的实践与思考", "垃圾分类能否长期坚持下去"),
        ("幸福里小区生活垃圾分类居民公约（试行）", "为规范本小区"),
        ("垃圾分类工作中的群众工作方法", "垃圾分类是一项典型的群众工作"),
    ]:
        assert f"\n{title}\n\n{start}" in out
        assert title + start not in out


KEPT = [
    # the title's words are the sentence's subject
    "做好群众工作\n\n做好群众工作是公安机关的根本任务，必须常抓不懈。\n",
    "公安机关群众工作\n\n公安机关群众工作的好坏，直接影响公安工作的效能。\n",
    "警民关系建设\n\n警民关系建设和队伍建设，是当前工作的两个重点。\n",
    # "为" may continue the phrase: the title was printed only once
    "做好新时期群众工作\n\n做好新时期群众工作为公安工作之本，各级都要重视。\n",
    # a title with a subtitle, not a paragraph
    "浅谈公安机关在新形势下如何做好群众工作\n\n浅谈公安机关在新形势下如何做好群众工作公安机关面临的新形势\n",
    # too short to be sure it is an echo
    "工作总结\n\n工作总结近年来，我们做了很多工作。\n",
    # the heading stands far above the sentence
    "做好新时期公安群众工作\n\n近年来，我局群众工作取得了新进展。\n\n"
    "做好新时期公安群众工作近年来一直是我局的重点，我们做了很多。\n",
    "做好新时期公安群众工作\n\n一、概述\n\n做好新时期公安群众工作近年来，我们做了很多。\n",
    # a verse line that starts with the poem's title
    "春风又绿江南岸\n\n春风又绿江南岸，明月何时照我还。\n春风又绿江南岸。\n明月何时照我还。\n",
    # the title's text followed by more of a longer title
    "浅谈群众工作\n\n浅谈群众工作(2)近年来，随着社会经济的发展，公安机关面临新形势。\n",
]


@pytest.mark.parametrize("text", KEPT)
def test_body_that_starts_with_a_heading_is_left_alone(text):
    for out in both(text):
        assert out == text


# -- the reference dump ---------------------------------------------------------------------


def test_seed_titles_collapsed_and_echoes_cut(seed_text):
    out = textwash.clean(seed_text)
    lines = [line for line in out.split("\n") if line.strip()]
    assert [a for a, b in itertools.pairwise(lines) if a == b] == []
    glued = [(a, b[:20]) for a, b in itertools.pairwise(lines) if b.startswith(a) and han(a) >= 6]
    assert glued == []
    assert "浅谈新时期的公安群众工作(2)\n\n近年来，随着社会经济的飞速发展" in out
    assert "浅谈派出所警务区民警如何做好群众工作\n\n公安派出所是公安机关最基层单位" in out


def test_seed_repeated_lines_remove_only_title_copies(seed_text):
    # Every edit RepeatedLines makes on the seed removes whole copies of the
    # title right above it: 20 titles printed twice, 14 echoes glued to a body.
    zh = textwash.get_preset("zh")
    edits = [e for e in zh.explain(seed_text) if e.step == "RepeatedLines"]
    lines, glued = [], []
    for e in edits:
        assert e.new == ""
        (lines if e.old.endswith("\n") else glued).append(e.old.rstrip("\n"))
    assert len(lines) == 20 and len(glued) == 14
    for old in glued:
        titles = [t for t in lines if old == t * (len(old) // len(t))]
        assert titles, old


# -- properties ---------------------------------------------------------------------------

VERSE_HAN = "春风花月夜山水云天明白日长江河人家好学习向上歌声飞鸟红绿青草小桥流门前树"
verse_line = st.tuples(
    st.text(st.sampled_from(VERSE_HAN), min_size=2, max_size=12),
    st.sampled_from(["", "", "，", "。", "！", "？"]),
).map("".join)


@st.composite
def titled_verse(draw: st.DrawFn) -> str:
    """A title, a blank line, and a verse of 3-8 short lines drawn from a few
    lines (so repeats are frequent, in any order); the title may be one of them."""
    pool = draw(st.lists(verse_line, min_size=1, max_size=4, unique=True))
    title = draw(st.one_of(st.sampled_from(pool), verse_line))
    verse = draw(st.lists(st.sampled_from(pool), min_size=3, max_size=8))
    return title + "\n\n" + "\n".join(verse) + "\n"


@given(titled_verse())
def test_a_verse_after_a_title_keeps_every_line(text):
    assert RepeatedLines()(text) == text
    assert RepeatedLines(fold=False)(text) == text


@given(titled_verse())
def test_zh_keeps_every_verse_line(text):
    verse = text.split("\n\n", 1)[1]
    assert textwash.clean(text).endswith(verse)


# Lines of a dump with titles: titles (printed again, glued), verse, rows,
# list items, running text, blank lines, in any order.
TITLES = ["浅谈新时期的公安群众工作", "做好群众工作", "春晓", "淺談群眾工作"]
# lines around VERSE_CHARS (23 and 25 characters), without punctuation
LONG_VERSE = [
    "听惯了艄公的号子看惯了船上的白帆我家就在岸上住",
    "听惯了艄公的号子看惯了船上的白帆我家就在岸上住呀呀",
]
dump_line = st.one_of(
    st.sampled_from(TITLES),
    st.sampled_from(TITLES).map(lambda t: t + "近年来，随着社会经济的发展，群众工作面临新形势。"),
    st.sampled_from(TITLES).map(lambda t: t * 2 + "为规范工作，制定本办法。"),
    st.sampled_from(TITLES).map(lambda t: t + "是公安机关的根本任务。"),
    st.sampled_from(["好好学习", "天天向上，", "| 是 |", "- 好", "1. 好", "```", "", "", ""]),
    st.sampled_from(["公安机关要做好群众工作。" * 3, "相关文档", "\u200b", " "]),
    st.sampled_from(LONG_VERSE),
)
titled_dump = st.lists(dump_line, max_size=14).map("\n".join)


@given(titled_dump, st.booleans())
def test_repeated_lines_is_idempotent_on_titled_dumps(text, fold):
    step = RepeatedLines(fold=fold)
    edits = step.edits(text)
    once = apply_edits(text, edits)
    assert step(text) == once
    assert all(a.end <= b.start for a, b in itertools.pairwise(edits))
    assert step(once) == once


@given(titled_dump)
def test_rows_items_code_and_sentences_are_never_removed(text):
    # What goes is copies of a title-like line: never a table row, a list
    # item, a code fence or a line ending like a sentence.  ("好好学习" twice on
    # its own at a section start is read as a title printed twice; a site
    # line too, which Boilerplate removes before in the presets.)
    removable = [*TITLES, "相关文档", "好好学习", *LONG_VERSE]
    for e in RepeatedLines().edits(text):
        old = text[e.start : e.end].strip()
        assert any(old == t * (len(old) // len(t)) for t in removable if len(old) >= len(t)), old


@given(titled_dump.filter(lambda t: not any(c in t for c in ("\u200b", "|", "```"))))
def test_zh_is_idempotent_on_titled_dumps(text):
    # Whitespace folds the blank lines an echo leaves; the next run must find
    # nothing more to cut (the echo test counts blank lines right above).
    # Protected blocks (tables, fences) and zero-width spaces are left out
    # here: how other steps treat text next to them is not this file's subject.
    once = textwash.clean(text)
    assert textwash.clean(once) == once
