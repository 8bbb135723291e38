"""Per-normalizer behaviour on the hard cases named in issue 2."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import textwash
from textwash.normalizers import (
    NORMALIZERS,
    Boilerplate,
    ChineseConvert,
    Confusables,
    GbkMojibake,
    LineRepair,
    OcrSpacing,
    Punctuation,
    RepeatedLines,
    UnicodeRepair,
    Whitespace,
    Width,
)
from textwash.normalizers.confusables import load_rules

# -- UnicodeRepair -----------------------------------------------------------


def test_unicode_repair_keeps_chinese_punctuation_and_quotes():
    text = "他说：“你好！”（一）；‘引’，　全角空格"
    assert UnicodeRepair()(text) == text


def test_unicode_repair_fixes_utf8_read_as_latin1():
    mojibake = "公安机关".encode().decode("latin-1")
    assert UnicodeRepair()(mojibake + "，工作") == "公安机关，工作"


def test_unicode_repair_maps_radicals_from_pdf_extraction():
    assert UnicodeRepair()("⼈⺠警察⻔⼝") == "人民警察门口"


def test_unicode_repair_drops_invisibles_and_controls():
    assert UnicodeRepair()("\ufeff社\u200b会\x07工\u2060作") == "社会工作"


def test_unicode_repair_keeps_zero_width_joiner_in_emoji():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert UnicodeRepair()(family) == family


@pytest.mark.parametrize("marker", ["锟斤拷", "锟斤拷锟斤拷", "烫烫烫烫", "屯屯屯"])
def test_unicode_repair_removes_lost_byte_markers(marker):
    assert UnicodeRepair()(f"工作{marker}总结") == "工作总结"


def test_unicode_repair_keeps_a_single_real_character():
    assert UnicodeRepair()("水很烫，烫烫的") == "水很烫，烫烫的"


def test_unicode_repair_flags_markers():
    flags = UnicodeRepair().flags("工作锟斤拷总结")
    assert [(f.kind, f.start, f.end) for f in flags] == [("lost-bytes", 2, 5)]


# -- Width ---------------------------------------------------------------------


def test_width_narrows_letters_and_digits_only():
    assert Width()("ＡＢＣ１２３，（一）：") == "ABC123，（一）："


def test_width_symbols_option():
    assert Width(symbols=True)("５０％＋") == "50%+"
    # a full-width number expression is narrowed whole, its % included (issue 10) ...
    assert Width()("５０％") == "50%"
    # ... but a % after ASCII digits, or alone, is prose punctuation and stays
    assert Width()("50％") == "50％"
    assert Width()("增长％") == "增长％"


# -- OcrSpacing ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("社 会 、实 现", "社会、实现"),
        ("社 会 、实 现 中华 民 族伟 大 复 兴 提 供 坚 强", "社会、实现中华民族伟大复兴提供坚强"),
        ("8 0 0 0 万", "8000万"),
        ("有 着 8 0 0 0万 党 员 的 执 政 党", "有着8000万党员的执政党"),
        ("耿 志 峰", "耿志峰"),
        (
            "心里装着群众，勇于对人 民负责，坚持替群众着 想",
            "心里装着群众，勇于对人民负责，坚持替群众着想",
        ),
        ("问题 ， 从自己做起", "问题，从自己做起"),
        ("准 确 率 由 不 足 4 0 % 提 高 到 8 5 % 以 上", "准确率由不足40%提高到85%以上"),
        ("\u3000社\u3000会\u3000、\u3000实", "\u3000社会、实"),
    ],
)
def test_ocr_spacing_removes_ocr_gaps(raw, clean):
    assert OcrSpacing()(raw) == clean


@pytest.mark.parametrize(
    "text",
    [
        "Windows 10",
        "1 2 3",
        "Reduce, reuse, recycle.",
        "第一章 总则",
        "第三条 为了规范管理",
        "张三 李四 王五 赵六",
        "床前明月光 疑是地上霜",
        "使用 Windows 10 系统",
    ],
)
def test_ocr_spacing_leaves_legitimate_spaces(text):
    assert OcrSpacing()(text) == text


# -- Punctuation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("近年来,随着", "近年来，随着"),
        ("(三)加强管理", "（三）加强管理"),
        ('他说:"你好"', "他说：“你好”"),
        ("主要包括七个方面:一是", "主要包括七个方面：一是"),
        ("是什么?怎么办!", "是什么？怎么办！"),
        ("如鱼得水;关系搞僵了", "如鱼得水；关系搞僵了"),
        ("实行社区(驻村)民警制", "实行社区（驻村）民警制"),
        ('推到了“第一线",推到了', "推到了“第一线”，推到了"),
        ("保护群众.所谓", "保护群众。所谓"),
        ("工作方法..", "工作方法……"),
        ("“警有为、民受益”,就是", "“警有为、民受益”，就是"),
        ("( 三) 要", "（ 三） 要"),
        ("每天18:00至20:30,其他时段", "每天18:00至20:30，其他时段"),
    ],
)
def test_punctuation_restores_full_width(raw, clean):
    assert Punctuation()(raw) == clean


@pytest.mark.parametrize(
    "text",
    [
        "12:30",
        "3.14",
        "(a)",
        "f(x) = (1, 2)",
        "Hello, world! How are you?",
        "https://example.org/a,b?x=1",
        "访问https://example.org/a,b?x=1获取",
        "见 www.example.com/path",
        "时间为9:00-18:30",
        "版本号1.2.3",
        "浅谈新时期的公安群众工作(2)",
        "共有1,000户",
        "文件名report.pdf",
    ],
)
def test_punctuation_leaves_ascii_contexts(text):
    assert Punctuation()(text) == text


# -- LineRepair ----------------------------------------------------------------


def test_line_repair_joins_a_hard_wrap():
    raw = "加之报纸上、网络上经常性出现的涉警的负面新闻极大破坏了他们心目中人民警\n察的良好形象。"
    assert LineRepair()(raw) == raw.replace("\n", "")


def test_line_repair_joins_an_unclosed_bracket():
    assert (
        LineRepair()("〔浅谈公安机关在新形势下如何做好群\n众工作〕")
        == "〔浅谈公安机关在新形势下如何做好群众工作〕"
    )


def test_line_repair_joins_a_paragraph_of_thousands_of_wrapped_lines():
    # An OCR'd page can be one paragraph hard-wrapped into thousands of lines.
    # Each decision used to rescan the whole line joined so far (quadratic: this
    # input took minutes); the joined line is one line either way.
    line = "，要树立人民警察的良好形象让他们对人民警察存在信任之感情的最重要方面在于坚持群众路线"
    text = "\n".join([line] * 5000) + "。\n\n二、下一节"
    assert LineRepair()(text) == line * 5000 + "。\n\n二、下一节"


def test_line_repair_tracks_brackets_across_joined_lines():
    # the bracket opened on the first line is still open two lines later
    text = "〔浅谈公安机关在新\n形势下如何做好群\n众工作〕\n正文开始"
    assert LineRepair()(text) == "〔浅谈公安机关在新形势下如何做好群众工作〕\n正文开始"


@pytest.mark.parametrize(
    "text",
    [
        "浅谈公安机关在新形势下如何做好群众工作\n公安机关的群众工作是党的群众工作的重要方面。",
        "造成当前群众工作难做的主要原因有以下三点：\n（一）公安机关职能限制。",
        "二、新形势下公安群众工作的难点\n造成当前群众工作难做的主要原因。",
        "一段很长的正文，一段很长的正文，一段很长的正文，一段很长的正文\n第二章 附则",
        "一段很长的正文，一段很长的正文，一段很长的正文，一段很长的正文\n1. 第一项",
        "一段很长的正文，一段很长的正文，一段很长的正文，一段很长的正文\n（三）第三项",
        "一段很长的正文，一段很长的正文，一段很长的正文，一段很长的正文\n一、第一节",
        "第一段的结尾。\n第二段的开头。",
        "段落一\n\n段落二",
    ],
)
def test_line_repair_keeps_paragraphs_headings_and_lists(text):
    assert LineRepair()(text) == text


# -- ChineseConvert ------------------------------------------------------------


def test_chinese_convert_default_t2s():
    assert ChineseConvert()("這個軟體很好用，後來") == "这个软体很好用，后来"


def test_chinese_convert_leaves_simplified_text():
    text = "乾隆年间的事情显著著称，后来又怎么样"
    assert ChineseConvert()(text) == text


def test_chinese_convert_risky_configs_are_gated():
    assert ChineseConvert("tw2s")("显著著称么") == "显著著称么"
    assert ChineseConvert("tw2s")("這個軟體很顯著，看著辦") == "这个软体很显著，看着办"
    assert ChineseConvert("tw2sp")("這個軟體很顯著") == "这个软件很显著"
    assert ChineseConvert("tw2s", only_if_traditional=False)("显著") == "显着"


def test_chinese_convert_s2t_is_idempotent_on_traditional_input():
    once = ChineseConvert("s2t")("观念，了解\n觀念，根據里辦公處的統計")
    assert once == "觀念，瞭解\n觀念，根據里辦公處的統計"
    assert ChineseConvert("s2t")(once) == once


def test_chinese_convert_rejects_unknown_config():
    with pytest.raises(ValueError, match="unknown OpenCC config"):
        ChineseConvert("x2y")


def test_chinese_convert_is_picklable():
    import pickle

    step = ChineseConvert("s2t")
    assert pickle.loads(pickle.dumps(step))("汉字") == "漢字"


# -- Confusables ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("掌握笫一手资料", "掌握第一手资料"),
        ("笫3章", "第3章"),
        ("服务裙众", "服务群众"),
        ("深人辖区", "深入辖区"),
        ("从严治警措旖", "从严治警措施"),
    ],
)
def test_confusables_repairs(raw, clean):
    assert Confusables()(raw) == clean


@pytest.mark.parametrize("text", ["床笫之间", "床笫之欢", "资深人士", "裙子", "群众", "深入人心"])
def test_confusables_precision(text):
    assert Confusables()(text) == text


def test_confusables_user_file(tmp_path):
    f = tmp_path / "mine.tsv"
    f.write_text("# my rules\n政腐\t政府\tdodge\n", encoding="utf-8")
    assert Confusables(extra_file=str(f))("地方政腐") == "地方政府"
    assert Confusables(extra=(("蓝瘦", "难受"),))("蓝瘦") == "难受"


def test_confusables_bad_user_file_names_the_line(tmp_path):
    f = tmp_path / "bad.tsv"
    f.write_text("ok\tfine\nno-tab-here\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad\.tsv:2"):
        load_rules(f)


def test_confusables_flags_masks():
    flags = Confusables().flags("引起*** 多发")
    assert [(f.kind, f.start, f.end) for f in flags] == [("masked", 2, 5)]


def test_shipped_rules_do_not_fire_on_their_replacements():
    for rule in load_rules():
        assert Confusables()(rule.replacement) == rule.replacement, rule


# -- Boilerplate and RepeatedLines ----------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "1. 1、下载文档前请自行甄别文档内容的完整性,平台不提供额外的编辑、内容补充、找答案等附加服务。",
        '2. 2、"仅部分预览"的文档,不可在线预览部分如存在完整性等问题,可反馈申请退款。',
        "3. 3、如文档侵犯您的权益,请联系客服反馈,我们会尽快为您处理(人工客服工作时间:9:00-18:30)。",
        "三一文库()/免费论文/行政管理论文",
        "相关文档",
        "最新文档",
        "合集下载",
        "第 2 页 共 5 页",
        "- 3 -",
        "Page 2 of 5",
    ],
)
def test_boilerplate_removes_site_lines(line):
    assert Boilerplate()(f"正文一。\n{line}\n正文二。") == "正文一。\n正文二。"


@pytest.mark.parametrize(
    "text",
    [
        "我们要做好相关文档的管理工作。",
        "最新文档显示，工作进展顺利。",
        "第2页的内容很重要。",
        "比分是3/5。",
    ],
)
def test_boilerplate_keeps_content_lines(text):
    assert Boilerplate()(text) == text


def test_boilerplate_user_patterns():
    assert Boilerplate(patterns=(r"^本文来自.*网$",))("本文来自某某网\n正文。") == "正文。"


def test_boilerplate_strips_check_mark_badge():
    assert Boilerplate()("(√)浅谈公安机关\n") == "浅谈公安机关\n"


def test_repeated_lines_collapse_titles():
    raw = "浅谈群众工作\n\n浅谈群众工作\n\n浅谈群众工作浅谈群众工作公安工作是……"
    assert RepeatedLines()(raw) == "浅谈群众工作\n\n\n浅谈群众工作公安工作是……"


def test_repeated_lines_keep_long_repeated_paragraphs():
    para = "这是一段很长的正文。" * 20
    text = f"{para}\n{para}"
    assert RepeatedLines()(text) == text


# -- Whitespace ----------------------------------------------------------------


def test_whitespace_normalizes():
    raw = "\n\n标题 \t\r\n\r\n\r\n\r\n正文\u3000\u2028第二行\n\n\n"
    assert Whitespace()(raw) == "标题\n\n正文\n第二行\n"


def test_whitespace_indent_option():
    assert Whitespace()("\u3000\u3000正文") == "\u3000\u3000正文"
    assert Whitespace(strip_indent=True)("\u3000\u3000正文") == "正文"


# -- common protocol -----------------------------------------------------------


@pytest.mark.parametrize(
    "step",
    [
        UnicodeRepair(),
        Width(),
        OcrSpacing(min_han=5),
        Punctuation(quotes=False),
        LineRepair(),
        ChineseConvert("s2t"),
        Confusables(),
        Boilerplate(patterns=("x",)),
        RepeatedLines(),
        Whitespace(),
    ],
)
def test_repr_shows_only_non_default_options(step):
    r = repr(step)
    assert r.startswith(type(step).__name__ + "(")
    assert (
        r
        == f"{type(step).__name__}({', '.join(f'{k}={v!r}' for k, v in step.to_config().items() if k != 'name')})"
    )


# -- clean text stays byte-for-byte the same ------------------------------------------


@pytest.mark.parametrize(
    ("path", "presets"),
    [("clean_zh.txt", ["zh", "minimal"]), ("clean_zh_hant.txt", ["zh-hant", "minimal"])],
)
def test_presets_leave_clean_text_unchanged(path, presets):
    import textwash

    from .conftest import DATA

    text = (DATA / path).read_text(encoding="utf-8")
    for preset in presets:
        assert textwash.clean(text, preset) == text, preset


@pytest.mark.parametrize("name", sorted(NORMALIZERS))
def test_each_normalizer_leaves_clean_text_unchanged(name):
    from .conftest import DATA

    text = (DATA / "clean_zh.txt").read_text(encoding="utf-8")
    assert NORMALIZERS[name]()(text) == text


@pytest.mark.parametrize("text", ["牀笫之間", "資深人士"])
def test_confusables_contexts_cover_traditional_forms(text):
    assert Confusables()(text) == text


def test_missing_rule_file_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match=r"nope\.tsv: cannot read rule file"):
        Confusables(extra_file=str(tmp_path / "nope.tsv"))("文本")


def test_lone_surrogates_become_replacement_characters_and_are_flagged():
    raw = "社会\ud800工作,裙众"
    assert UnicodeRepair()(raw) == "社会\ufffd工作,裙众"
    assert [f.kind for f in UnicodeRepair().flags(raw)] == ["invalid-unicode"]
    assert ChineseConvert("s2t")(raw) == "社會\ud800工作,裙衆"  # OpenCC steps pass them through


def test_every_shipped_boilerplate_pattern_needs_a_hint_character():
    # Boilerplate skips lines without these characters; a new shipped pattern
    # that could match without one would be silently skipped.
    from textwash.normalizers.boilerplate import _SHIPPED_HINT, load_patterns

    samples = {
        "下载文档前请自行甄别文档内容的完整性": True,
        "仅部分预览的文档": True,
        "相关文档": True,
        "第2页共5页": True,
        "共5页，第2页": True,
        "2/5": True,
        "-3-": True,
        "Page2of5": True,
        "三一文库（）/免费论文/行政管理论文": True,
        "猜你喜欢": True,
        "相关推荐": True,
        "展开阅读全文": True,
    }
    pats = load_patterns()
    for key in samples:
        assert any(regex_search(p, key) for p in pats), key
        assert _SHIPPED_HINT.search(key), key


def regex_search(pattern: str, text: str) -> bool:
    import regex

    return bool(regex.search(pattern, text))


# -- GbkMojibake ---------------------------------------------------------------------------

CLEAN_ZH_LINES = [
    line
    for line in (Path(__file__).parent / "data" / "clean_zh.txt").read_text("utf-8").splitlines()
    if line.strip()
]


def test_gbk_mojibake_repairs_utf8_read_as_gb18030():
    repaired = 0
    clauses = [c for line in CLEAN_ZH_LINES for c in re.split("[，。；：、]", line) if len(c) >= 4]
    for line in clauses:
        try:
            mojibake = line.encode("utf-8").decode("gb18030")  # strict: no byte lost
        except UnicodeDecodeError:
            continue
        assert GbkMojibake()(mojibake) == line
        repaired += 1
    assert repaired >= 10, repaired


def test_gbk_mojibake_with_lost_bytes_keeps_what_it_can():
    for line in [line for line in CLEAN_ZH_LINES if len(line) >= 20]:  # headings lose too much
        mojibake = line.encode("utf-8").decode("gbk", "replace")  # bytes dropped as U+FFFD
        fixed = GbkMojibake()(mojibake)
        assert fixed != mojibake, line
        kept = fixed.replace("\ufffd", "")
        it = iter(line)
        assert all(c in it for c in kept)  # what is left is the line, in order
        assert len(kept) >= 0.7 * len(line)  # bytes the decoder dropped take characters along


def test_gbk_mojibake_leaves_clean_text_and_mixed_lines_alone():
    text = "\n".join(CLEAN_ZH_LINES) + "\n床笫之间\n鍥戒汉鐨勫伐浣\n"
    assert GbkMojibake()(text) == text
    mojibake = "社会治安综合治理".encode().decode("gb18030")
    mixed = "近年来，随着社会的发展：" + mojibake
    assert GbkMojibake()(mixed) == mixed  # half a line is not repaired (and not damaged)


def test_gbk_mojibake_leaves_the_seed_unchanged(seed_text):
    assert GbkMojibake()(seed_text) == seed_text


def test_zh_preset_repairs_both_kinds_of_mojibake():
    line = "公安机关群众工作"
    assert textwash.clean(line.encode("utf-8").decode("gb18030")) == line
    assert textwash.clean(line.encode("utf-8").decode("cp1252", "replace")) == line
