"""Protected regions: what no normalizer may edit, found once and kept out of every step."""

from __future__ import annotations

import pytest
import regex
from hypothesis import example, given
from hypothesis import strategies as st

import textwash
from textwash import Pipeline
from textwash.config import dumps_toml
from textwash.normalizers import Punctuation
from textwash.protect import (
    KINDS,
    Protect,
    Region,
    find_protected,
    keep_out,
    mask,
    shift_regions,
)

from . import strategies as dump

PRESETS = ("zh", "zh-hant", "minimal")


def kinds_of(text: str) -> list[tuple[str, str]]:
    return [(r.kind, r.text) for r in find_protected(text)]


# -- detection, kind by kind ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "span"),
    [
        ("见 https://example.com/中文 获取", "url", "https://example.com/中文"),
        ("详见www.gov.cn。", "url", "www.gov.cn"),
        ("来信请寄 zhang.san@example.com，谢谢。", "email", "zhang.san@example.com"),
        ("文件在C:\\Users\\张三\\文档里。", "path", "C:\\Users\\张三\\文档"),
        ("安装到 /usr/local/bin 下。", "path", "/usr/local/bin"),
        ("升级到 v2.3.1 以后。", "version", "v2.3.1"),
        ("点击<a href='x'>这里</a>下载", "html", "<a href='x'>"),
        ('使用`print("你好")`可以', "inline_code", '`print("你好")`'),
        ('{"name": "测试", "value": 1.5},请检查.', "data", '{"name": "测试", "value": 1.5}'),
    ],
)
def test_inline_kinds(text, kind, span):
    # the region covers the span (a path glued to the next word takes it along)
    found = [r for r in find_protected(text) if r.kind == kind]
    assert any(r.text.startswith(span) for r in found), kinds_of(text)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("def f(x):\n    return x * 2\n", "code"),
        ("server:\n  host: localhost\n  port: 8080\n", "data"),
        ("| 参数 | 说明 |\n| --- | --- |\n| 是 | 否 |\n", "table"),
        ("主持人：张三    记录人：李四\n", "aligned"),
        ("姓名\t性别\t年龄\n", "aligned"),
        ("日本語の文章です。東京に行きました。\n", "japanese"),
        ("한국어 문장입니다.\n", "korean"),
        ("```\n# 计算两个数的和,返回结果.\n```\n", "fenced_code"),
        ("$$\nL(w, b) = \\frac{1}{n}\n$$\n", "fenced_code"),
        ("[1] 王小明, 李华. 中文文本清洗方法综述[J]. 计算机应用, 2021, 41(5): 1-10.\n", "citation"),
        ("Zhang Wei (张伟), 42, runs a small noodle shop near the station.\n", "latin"),
    ],
)
def test_block_kinds_cover_whole_lines(text, kind):
    regions = find_protected(text)
    assert [r.kind for r in regions] == [kind]
    assert regions[0].start == 0 and regions[0].end == len(text)


@pytest.mark.parametrize(
    "text",
    [
        "近年来,随着社会的发展,群众工作面临新的挑战。",
        "社 会 、实 现 中华 民 族伟 大 复 兴",
        "一、加强领导(一)提高认识;",
        "第一章 总则\n第一条 为了规范管理,制定本办法.",
        # a Markdown heading is not a code comment when no code stands next to it
        "# 工作总结\n\n今年以来,我们做了三件事.",
        # kana scattered through GBK mojibake is not Japanese
        "公安机关群众工作".encode().decode("gb18030"),
        "三一文库()/免费论文/行政管理论文",
    ],
)
def test_prose_and_repairable_damage_are_not_protected(text):
    assert find_protected(text) == []


def test_code_block_takes_its_comments_and_indented_lines():
    text = "示例:\n# 计算两个数的和,返回结果.\ndef add(a, b):\n    # 相加\n    return a + b\n\n说明,结束."
    (region,) = find_protected(text)
    assert region.kind == "code"
    assert region.text.startswith("\n# 计算") and region.text.endswith("return a + b\n")


def test_inline_region_inside_a_block_is_the_block():
    text = "```\nsee https://a.cn\n```\n"
    assert [r.kind for r in find_protected(text)] == ["fenced_code"]


def test_unclosed_fence_protects_to_the_end():
    text = "前言。\n```python\nx = 1,2\n近年来,随着"
    (region,) = find_protected(text)
    assert region.kind == "fenced_code" and region.end == len(text)


# -- the edit layer -----------------------------------------------------------


def test_keep_out_drops_edits_inside_and_allows_line_endings():
    text = "a,b\r\n```\r\nx,y\r\n```\r\nc"
    regions = find_protected(text)
    edits = [textwash.Edit(1, 2, "，"), textwash.Edit(11, 12, "，"), textwash.Edit(8, 10, "\n")]
    kept = keep_out(text, edits, regions)
    assert textwash.Edit(11, 12, "，") not in kept
    assert textwash.Edit(1, 2, "，") in kept and textwash.Edit(8, 10, "\n") in kept


def test_shift_regions_follows_edits_around_them():
    moved = shift_regions(
        [Region("url", 5, 9)], [textwash.Edit(0, 3, ""), textwash.Edit(10, 10, "x")]
    )
    assert (moved[0].start, moved[0].end) == (2, 6)


# -- the rows, through the presets -----------------------------------------

UNCHANGED = [
    "def f(x):\n    return x * 2\n",
    "server:\n  host: localhost\n  port: 8080\n",
    "- 一级\n  - 二级\n    - 三级\n",
    "\tint main() {\n\t\treturn 0;\n\t}\n",
    '使用`print("你好")`可以',
    "```python\n# 计算两个数的和,返回结果.\ndef add(a, b):\n    return a + b\n```\n",
    "主持人：张三    记录人：李四\n",
    "| 是 |\n| 是 |\n",
    "见 https://example.com/中文 获取",
    "日本語の文章です。東京に行きました。\n",
    "한국어 문장입니다. 서울에 갔습니다.\n",
    "邮箱 zhang.san@example.com, 路径 C:\\Users\\张三\\文档 和 /usr/local/bin。",
    '<div class="a">\n  <p>你好,世界</p>\n</div>\n',
    '{\n  "name": "测试",\n  "list": [1, 2, 3]\n}\n',
    "[database]\nhost = 127.0.0.1\nport = 5432\n",
]


@pytest.mark.parametrize("preset", ["zh", "minimal"])
@pytest.mark.parametrize("text", UNCHANGED)
def test_structured_content_comes_out_unchanged(preset, text):
    assert textwash.clean(text, preset) == text


@pytest.mark.parametrize("text", UNCHANGED)
def test_zh_hant_converts_the_prose_but_not_the_protected_regions(text):
    out = textwash.clean(text, "zh-hant")
    for region in find_protected(text):
        assert region.text.strip("\n") in out


def test_prose_around_protected_spans_is_still_repaired():
    out = textwash.clean('{"name": "测试", "value": 1.5},请检查,确认无误.')
    assert out == '{"name": "测试", "value": 1.5}，请检查，确认无误。'
    assert textwash.clean("调用`f(x)`,然后返回.") == "调用`f(x)`，然后返回。"
    out = textwash.clean("近年来,随着社 会 、经 济的发展,详见 https://a.cn/x?a=1,b=2 。")
    assert out.startswith("近年来，随着社会、经济的发展，详见 https://a.cn/x?a=1,b=2")


def test_a_prose_line_is_not_joined_to_the_code_below_it():
    text = "下面是代码的实现方法\ndef add(a, b):\n    return a + b\n"
    assert textwash.clean(text).endswith("\ndef add(a, b):\n    return a + b\n")


# -- configuration and explanations ------------------------------------------------


def test_protect_is_configurable_and_round_trips_through_toml():
    p = Pipeline([Punctuation()], protect=Protect(kinds=("url",)))
    assert p("用`好,的`算") == "用`好，的`算"  # inline code is not protected here
    assert Pipeline([Punctuation()])("用`好,的`算") == "用`好,的`算"
    back = Pipeline.from_config(p.to_toml())
    assert back == p and back.protect.kinds == ("url",)
    assert "[protect]" in dumps_toml(p.to_config())
    assert Pipeline.from_config(Pipeline([Punctuation()]).to_toml()).protect == Protect()
    preset = Pipeline.from_config({"preset": "zh", "protect": {"kinds": []}})
    assert preset.protect.kinds == () and "protect=" in repr(preset)


def test_bad_protect_config_names_the_problem():
    with pytest.raises(textwash.ConfigError, match="unknown protected kind"):
        Pipeline.from_config({"steps": [{"name": "Width"}], "protect": {"kinds": ["cod"]}})
    with pytest.raises(textwash.ConfigError, match="takes one key"):
        Pipeline.from_config({"steps": [{"name": "Width"}], "protect": {"kind": ["code"]}})


def test_explain_lists_the_protected_regions_first():
    entries = textwash.get_preset("zh").explain("好,的\n`a,b`\n")
    assert entries[0].step == "protect:inline_code" and entries[0].old == "`a,b`"
    assert any(e.step == "Punctuation" for e in entries)


def test_run_reports_regions_in_raw_coordinates():
    raw = "好 ,的 https://a.cn"
    result = textwash.get_preset("zh").run(raw)
    (region,) = result.protected
    assert raw[region.start : region.end] == "https://a.cn"
    assert result.text.endswith("https://a.cn")


def test_every_kind_can_be_switched_off():
    for kind in KINDS:
        rest = tuple(k for k in KINDS if k != kind)
        assert kind not in {r.kind for r in Protect(rest)("\n".join(UNCHANGED))}


# -- properties: protected content survives whatever surrounds it ---------------------

_no_fence = dump.dump_text.filter(lambda t: "`" not in t and "~~~" not in t)
_code_line = st.text(
    st.characters(
        blacklist_categories=["Cs"],
        blacklist_characters="\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029`",
    ),
    max_size=40,
)


@given(before=_no_fence, lines=st.lists(_code_line, min_size=1, max_size=5), after=_no_fence)
def test_fenced_code_survives_any_surroundings(before, lines, after):
    block = "```\n" + "\n".join(lines) + "\n```"
    text = before + "\n" + block + "\n" + after
    out = textwash.clean(text)
    assert block in out


@given(before=_no_fence, code=_code_line.filter(lambda c: c.strip() != ""), after=_no_fence)
# found in CI: the URL ran on into the code span, which then lost its control character
@example(before="http://www.example.com/a,b?c=1&d=2", code="000000\t\x1f", after="")
def test_inline_code_survives_any_surroundings(before, code, after):
    span = "`" + code + "`"
    out = textwash.clean(before + span + after)
    assert span in out


_url_tail = st.text(
    st.sampled_from("abcxyz0123456789-_./?=&%#~+:社会中文"), min_size=1, max_size=30
).filter(lambda t: t[-1] not in ".,;:!?)")


@given(before=_no_fence, tail=_url_tail, after=_no_fence)
def test_urls_survive_any_surroundings(before, tail, after):
    url = "https://example.com/" + tail
    out = textwash.clean(before + " " + url + " " + after)
    assert url in out


@given(dump.dump_text)
@example("| 是 |\n```\n```\n| 是 |\n \n浅谈新时期的公安群众工作")  # blocks sharing a break
@example("| 是 |\n```\n```\n\u200b\n浅谈新时期的公安群众工作")
def test_regions_are_sorted_disjoint_and_masking_keeps_offsets(text):
    regions = find_protected(text)
    pos = 0
    for r in regions:
        assert pos <= r.start < r.end <= len(text)
        assert r.text == text[r.start : r.end]
        pos = r.end
    assert len(mask(text, regions)) == len(text)
    # every protected region comes out of the zh preset as it went in (but for
    # its line endings, which become "\n")
    out = textwash.clean(text)
    for r in regions:
        assert _lf(r.text).strip("\n") in out


def _lf(text: str) -> str:
    return regex.sub("\r\n|[\r\u2028\u2029\x0b\x0c]", "\n", text)
