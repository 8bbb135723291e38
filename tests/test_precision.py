"""Issue 10, "cleaning must do no harm": OcrSpacing, Width and Punctuation decide from evidence.

Forms, name lists, numbers and stray periods from real-looking dumps: what is
meant stays, what is damage is still repaired.  Each case runs through the
normalizer alone (the rule itself) and through the ``zh`` preset (end to end).
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import textwash
from textwash import Pipeline, apply_edits
from textwash.normalizers import OcrSpacing, Punctuation, Width
from textwash.normalizers.ocr_spacing import is_ocr_spaced

MINE = Pipeline([Width(), Punctuation(), OcrSpacing()])


def blanks(text: str) -> int:
    return sum(text.count(c) for c in " \t\u3000")


def unchanged(text: str) -> None:
    for step in (OcrSpacing(), Punctuation(), Width()):
        assert step(text) == text, step
        assert step.edits(text) == []
    assert MINE(text) == text
    assert textwash.clean(text) == text


# -- forms: field gaps ----------------------------------------------------------

FORMS = [
    "主持人：张三    记录人：李四",
    "主持人：张三\t记录人：李四",
    "主持人：张三\u3000\u3000记录人：李四",
    "时间：2023年9月15日 14:30    地点：教学楼A302",
    "姓名：李明轩          性别：男",
    "准考证号：202305120815    考场：第08考场    座位号：15",
    "考试科目：高等数学      考试时间：2023年12月24日 9:00—11:00",
    "报销部门：市场部              报销日期：2023 年 11 月 3 日",
    "报销人：  赵  敏              附单据：  3  张",
    "姓    名：__________    性    别：______    民    族：______",
    "部门负责人：________    财务审核：________    领款人：________",
    "收款单位（盖章）：                收款人：王芳",
    "申请人签字：__________        日期：______年____月____日",
    # rows of a table: three or more columns, no running-text punctuation
    "日    期        带班领导        值班人员",
    "11月1日         刘建国          张  伟    李  娜",
    "称  谓    姓  名    工作单位            联系电话",
    "摘    要                      金    额",
    "序号\t姓名\t部门\t领取物品\t数量\t签名",
    # a padded title
    "收    据",
]


@pytest.mark.parametrize("line", FORMS)
def test_form_lines_keep_their_field_gaps(line):
    unchanged(line)


def test_a_whole_form_is_unchanged():
    form = (
        "会议记录\n\n"
        "时间：2023年9月15日 14:30    地点：教学楼A302\n"
        "主持人：张三    记录人：李四\n"
        "出席人员：王五、赵六、孙七、周八\n\n"
        "部门负责人：________    财务审核：________    领款人：________\n"
    )
    for step in (OcrSpacing(), Punctuation(), Width()):
        assert step(form) == form


def test_ocr_spaced_values_inside_a_form_are_repaired_and_its_fields_kept():
    assert OcrSpacing()("主持人：张 三    记录人：李 四") == "主持人：张三    记录人：李四"


def test_a_wide_gap_in_running_text_is_not_a_field_gap():
    raw = "我们要做好群众  工作，这是公安工作的根本。"
    assert OcrSpacing()(raw) == "我们要做好群众工作，这是公安工作的根本。"


def test_one_label_and_a_wide_gap_is_not_a_form_in_running_text():
    raw = "会议要求：全体人员务必准时  参加，不得缺席。"
    assert OcrSpacing()(raw) == "会议要求：全体人员务必准时参加，不得缺席。"


# -- name lists -------------------------------------------------------------------

NAME_LISTS = [
    "参加会议的有 张三 李四 王五 等人。",
    "参加会议的有 张三 李四 等人。",
    "出席会议的有 欧阳娜娜 司马光 诸葛亮 王伟 李娜 张敏 刘洋 陈静 等同志。",
    "第一组：王浩然 李思琪 张子轩 刘雨桐 陈一鸣 杨欣怡",
    "第三组：马骏 朱琳 胡杨 郭峰 林静 何磊",
    "周一：王磊 孙丽 何静",
    "本期校报的照片由以下同学提供，在此表示感谢：刘洋 陈晨 马丽 王超 宋佳 韩冰。",
    "张三 李四 王五 赵六",
    "张晓明 李　华 王建国",
    "指导教师：周国强 教授　吴晓梅 副教授",
    # two-character names padded to three cells with U+3000
    "一等奖（3人）：王　芳　李建国　赵　敏",
    "二等奖（5人）：陈晓东　刘　洋　周　婷　吴志强　孙　悦",
    "马　骏　王秀兰　方　正　石建新　叶　青　冯志伟",
    "成　员：李　娜　王晓光　陈　静　刘　伟",
    "副主任：陈　红　周文斌",
    "主　任：刘志强",
    "委　员（按姓氏笔画排序）：",
    # an author's affiliation: its comma is inside brackets, so it is no running text
    "（某某大学 计算机学院，北京 100000）",
]


@pytest.mark.parametrize("line", NAME_LISTS)
def test_name_lists_keep_their_spaces(line):
    unchanged(line)


# -- OCR spacing is still repaired ---------------------------------------------

OCR_LINES = [
    # lines of the reference dump
    ("社 会 、实 现 中华 民 族伟 大 复 兴 提 供 坚 强", "社会、实现中华民族伟大复兴提供坚强"),
    ("耿 志 峰", "耿志峰"),
    ("( 哈 尔滨 市公 安 局 道 里 分 局 , 哈 尔滨 1 5 0 0 0 0 )", None),
    ("有 着 8 0 0 0万 党 员 的 执 政 党", "有着8000万党员的执政党"),
    (
        "心里装着群众，勇于对人 民负责，坚持替群众着 想",
        "心里装着群众，勇于对人民负责，坚持替群众着想",
    ),
    # chunks that look like a name list, on a line full of isolated characters
    (
        "更 是公 安 机关 服务 群众 的根 本保 证 。 关键 词 ：新形 势",
        "更是公安机关服务群众的根本保证。关键词：新形势",
    ),
    ("\u3000社\u3000会\u3000、\u3000实", "\u3000社会、实"),
]


@pytest.mark.parametrize(("raw", "clean"), OCR_LINES)
def test_ocr_spaced_lines_are_still_repaired(raw, clean):
    assert is_ocr_spaced(raw)
    out = OcrSpacing()(raw)
    if clean is not None:
        assert out == clean
    assert blanks(textwash.clean(raw)) < blanks(raw)


def test_spacing_around_numbers_is_not_ocr_evidence():
    assert not is_ocr_spaced("考试地点：第二教学楼 201 室，请提前到达")
    unchanged("报到时间为 2023 年 9 月 1 日")


# -- Width: number expressions -----------------------------------------------------

NUMBERS = [
    ("５．２％", "5.2%"),
    ("１２：３０", "12:30"),
    ("３，０００元", "3,000元"),
    ("－５", "-5"),
    (
        "２０２３年ＧＤＰ增长５．２％，总量达到１２６，０５８亿元。",
        "2023年GDP增长5.2%，总量达到126,058亿元。",
    ),
    ("会议于１４：３０开始，１６：００结束。", "会议于14:30开始，16:00结束。"),
    ("最低气温－５℃，最高＋３℃。", "最低气温-5℃，最高+3℃。"),
    ("咨询电话：０１０－８８８８６６６６。", "咨询电话：010-88886666。"),
    ("版本号为１．２．３，发布于１２：３０：４５。", "版本号为1.2.3，发布于12:30:45。"),
    ("出生率为８．５‰，同比下降０．３％。", "出生率为8.5‰，同比下降0.3%。"),
    ("工期３－５年", "工期3-5年"),
    # full-width punctuation that is not part of a number stays
    ("第１，２条", "第1，2条"),
    ("比分为３：２。", "比分为3：2。"),
    ("１．概述", "1．概述"),
    ("共１２３４，５６７人", "共1234，567人"),
    ("ＡＢ－５型", "AB－5型"),
]


@pytest.mark.parametrize(("raw", "clean"), NUMBERS)
def test_width_converts_number_expressions_whole(raw, clean):
    assert Width()(raw) == clean
    assert apply_edits(raw, Width().edits(raw)) == clean
    assert textwash.clean(raw) == clean


def test_width_leaves_ascii_numbers_and_prose_punctuation():
    unchanged("增长50％，其中：农村增长5.2%，城市增长3,000人。")


# -- Punctuation: periods -----------------------------------------------------------

PERIODS = [
    ("总量保持不变。。", "总量保持不变。"),
    ("总量保持不变。。下一步要继续努力。", "总量保持不变。下一步要继续努力。"),
    ("总量保持不变。 。", "总量保持不变。"),
    ("总量保持不变.。", "总量保持不变。"),
    ("随着经济的发展。。。人民生活水平不断提高", "随着经济的发展……人民生活水平不断提高"),
    ("随着经济的发展。。。。。。人民生活水平", "随着经济的发展……人民生活水平"),
    ("他想了想...还是没有说", "他想了想……还是没有说"),
    ("包括...等内容", "包括……等内容"),
    ("浅谈新时期群众工作方法..", "浅谈新时期群众工作方法……"),
    ("“我再想想..”他说", "“我再想想……”他说"),
    # the seed's sentence ends
    ("保护群众.所谓基层民警做好群众工作", "保护群众。所谓基层民警做好群众工作"),
    ("这就是研究群众.二是保护群众。", "这就是研究群众。二是保护群众。"),
    ("维权抗争引发较多了社会冲突.改革开放以来", "维权抗争引发较多了社会冲突。改革开放以来"),
    ("言 行一致 .", "言 行一致 。"),
    ("发 生 . 尤其 是 近来", "发 生 。 尤其 是 近来"),
    ("他说：“我们要好好工作.”", "他说：“我们要好好工作。”"),
]


@pytest.mark.parametrize(("raw", "clean"), PERIODS)
def test_periods(raw, clean):
    p = Punctuation()
    assert p(raw) == clean
    assert apply_edits(raw, p.edits(raw)) == clean
    assert p.flags(raw) == []


STRAY = [
    "这些都是民间的.传统",
    "包括..等内容",
    "这是我们每.一个人的责任",
    "组织学生.们参加活动",
]


@pytest.mark.parametrize("text", STRAY)
def test_stray_periods_are_left_and_flagged(text):
    unchanged(text)
    flags = Punctuation().flags(text)
    assert [f.kind for f in flags] == ["stray-period"]
    assert "." in text[flags[0].start : flags[0].end]


@pytest.mark.parametrize(
    "text",
    [
        "[2] 张伟. 网页正文抽取技术研究[D]",  # the Latin style of reference lists
        "请打开文件说明.txt查看",
        "共计100万元. 2023年",
        "版本号1.2.3",
    ],
)
def test_periods_that_are_not_chinese_full_stops(text):
    assert Punctuation()(text) == text
    assert Punctuation().flags(text) == []


# -- properties ----------------------------------------------------------------------

# Common simplified characters that no other step of the zh preset rewrites on
# their own (no OpenCC special cases, nothing in the confusables table).
SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭萧田董袁潘蒋蔡杜叶程苏魏吕丁沈姚卢姜崔钟谭陆汪范金廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵钱严武戴孔汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华玉兰萍红建国志海燕鹏辉宇晨欣怡浩然思琪子轩雨桐一鸣俊诗涵博梓萱天可馨骏琳峰"
WORDS = "单位部门职务电话地址日期时间地点编号金额数量备注审核经办记录出席负责领导签名年龄民族籍贯学历专业邮箱姓名性别"

han_name = st.builds(
    lambda s, g: s + g,
    st.sampled_from(SURNAMES),
    st.text(st.sampled_from(GIVEN), min_size=1, max_size=2),
)
label = st.text(st.sampled_from(WORDS + SURNAMES), min_size=1, max_size=5)
value = st.one_of(
    han_name,
    st.text(st.sampled_from(WORDS + GIVEN), min_size=1, max_size=8),
    st.text(st.sampled_from("0123456789"), min_size=1, max_size=12),
    st.from_regex(r"20[0-9]{2}年[1-9]月[1-9]日", fullmatch=True),
    st.text(st.sampled_from("_"), min_size=4, max_size=12),
    st.just(""),
)
field = st.builds(lambda a, b: f"{a}：{b}", label, value)
wide_gap = st.one_of(
    st.integers(2, 16).map(lambda n: " " * n),
    st.integers(1, 3).map(lambda n: "\t" * n),
    st.integers(2, 4).map(lambda n: "\u3000" * n),
)


@given(st.lists(st.tuples(field, wide_gap), min_size=2, max_size=5))
@example([("主持人：张三", "    "), ("记录人：李四", "")])
@example([("性别：男", "  "), ("民族：汉", "")])
def test_a_form_line_of_label_value_pairs_is_unchanged(pairs):
    line = "".join(f + gap for f, gap in pairs[:-1]) + pairs[-1][0]
    assert MINE(line) == line
    assert textwash.clean(line) == line


PREFIXES = ["参加会议的有", "本次获奖的同学是", "出席开幕式的领导有", "获奖名单：", "值日生："]
SUFFIXES = ["等人。", "等同志。", "。", "", "，名单如上。"]


@given(
    st.lists(han_name, min_size=2, max_size=10),
    st.sampled_from(PREFIXES),
    st.sampled_from(SUFFIXES),
)
@example(["张三", "李四", "王五"], "参加会议的有", "等人。")
@example(["张三", "李四"], "获奖名单：", "。")
def test_a_list_of_names_inside_a_sentence_is_unchanged(names, prefix, suffix):
    head = prefix if prefix.endswith("：") else prefix + " "
    tail = suffix if suffix[:1] in ("", "。", "，") else " " + suffix
    sentence = head + " ".join(names) + tail
    assert MINE(sentence) == sentence
    assert textwash.clean(sentence) == sentence


# Text built to hit the new rules: gaps of every width, labels, dots, number separators.
ALPHABET = list(SURNAMES[:12] + GIVEN[:8] + "的等们一是") + list(
    "：:。.…，,、  \u3000\t０１２３４．，：％－＋5%\n"
)
tricky = st.text(st.sampled_from(ALPHABET), max_size=60)


@pytest.mark.parametrize("step", [OcrSpacing(), Punctuation(), Width()], ids=repr)
@given(text=tricky)
@example(text="民间的.传统")
@example(text="王　芳　李建国　赵　敏")
@example(text="张 三    李 四：")
# found by fuzzing: a second run must not unmake padding glued to punctuation or Han
@example(text="。 一\u3000一")
@example(text="一\u3000一 一,一一一张三 李四 ")
def test_edits_and_call_agree_and_are_idempotent(step, text):
    once = step(text)
    assert apply_edits(text, step.edits(text)) == once
    assert step(once) == once


@given(text=tricky)
def test_zh_is_idempotent_on_the_new_rules_inputs(text):
    once = textwash.clean(text)
    assert textwash.clean(once) == once
