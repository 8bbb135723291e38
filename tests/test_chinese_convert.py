"""ChineseConvert does no harm: simplified, Japanese and Korean text pass through,
traditional text converts as OpenCC converts it, and 著 the particle becomes 着."""

from __future__ import annotations

import pickle

import opencc
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import textwash
from textwash import apply_edits
from textwash.normalizers.chinese import (
    OPENCC_CONFIGS,
    TO_SIMPLIFIED,
    ChineseConvert,
    load_convert_table,
    traditional_chars,
)

from .conftest import DATA

T2S = opencc.OpenCC("t2s")
S2T = opencc.OpenCC("s2t")


def _paragraphs(name: str) -> list[str]:
    text = (DATA / name).read_text(encoding="utf-8")
    return [p.strip("\n") for p in text.split("\n\n") if p.strip()]


CLEAN_ZH = _paragraphs("clean_zh.txt")
CLEAN_HANT = _paragraphs("clean_zh_hant.txt")

# Simplified sentences that use the characters t2s changes or that look
# traditional (乾 著 徵 於 后 里 …) in words where they are right.
SIMPLIFIED_WITH_AMBIGUOUS = [
    "乾清宫位于故宫内廷，是明清两代皇帝的寝宫。",
    "乾隆年间，这部著作得以刊行。",
    "天地乾坤，自有其理。",
    "乾县的乾陵是唐高宗和武则天的合葬墓。",
    "他是一位著名的学者，著有多部专著，成就卓著。",
    "这种做法的效果十分显著，劣迹昭著的人受到了惩处。",
    "《乡土中国》是一部社会学名著。",
    "当地的土著居民以捕鱼著称。",
    "后天就是发展大会，里程碑式的成果将在会上发布。",
    "哪吒闹海的故事家喻户晓。",
    "宫商角徵羽是古代的五声音阶。",
    "蒜薹炒肉是一道家常菜。",
    "于是，我们又回到了起点。",
    "皇后住在坤宁宫，乾清门外有侍卫。",
    "这本著作的著者是谁，书里没有著录。",
]
AMBIGUOUS_WORDS = [
    "乾隆", "乾坤", "乾清宫", "乾清门", "乾县", "乾陵", "乾安", "著作", "著名", "显著",
    "名著", "土著", "著称", "卓著", "昭著", "专著", "著者", "哪吒", "蒜薹", "宫商角徵羽",
    "于是", "后天", "皇后", "里程", "发展", "随着", "看着",
]  # fmt: skip

zh = ChineseConvert()


def check_contract(step: ChineseConvert, text: str) -> str:
    """The normalizer contract, on one input: returns the output."""
    out = step(text)
    assert apply_edits(text, step.edits(text)) == out
    assert step(out) == out
    return out


# -- simplified text is left alone ---------------------------------------------


@pytest.mark.parametrize("text", SIMPLIFIED_WITH_AMBIGUOUS)
def test_simplified_sentences_come_out_byte_identical(text):
    assert check_contract(zh, text) == text


def test_opencc_alone_damages_what_we_keep():
    # why the step exists: t2s is not a no-op on clean simplified text
    assert T2S.convert("乾清宫位于故宫内廷。") == "干清宫位于故宫内廷。"
    assert T2S.convert("乾县") == "干县"
    assert T2S.convert("随著") == "随著"


def test_clean_simplified_fixture_unchanged():
    text = (DATA / "clean_zh.txt").read_text(encoding="utf-8")
    assert check_contract(zh, text) == text
    assert textwash.clean(text, "zh") == text


def test_no_simplified_character_is_evidence():
    # what t2s makes of an evidence character is not evidence again (so converted
    # text is not converted twice), but for one rare chain: 薴 -> 苧 -> 苎
    chars = sorted(traditional_chars())
    out = T2S.convert("\n".join(chars)).split("\n")
    assert {b for b in out if b in traditional_chars()} == {"苧"}
    assert {"乾", "於", "徵", "摺", "夥", "麽", "菸"} <= load_convert_table().simplified
    assert {"們", "後", "隨", "說", "這"} <= traditional_chars()
    assert not {"们", "后", "随", "说", "这", "著", "乾"} & traditional_chars()


# -- traditional text is converted ---------------------------------------------


def test_traditional_fixture_converts_as_opencc_does():
    text = (DATA / "clean_zh_hant.txt").read_text(encoding="utf-8")
    assert check_contract(zh, text) == T2S.convert(text)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("這個軟體很好用，後來", "这个软体很好用，后来"),
        ("隨著經濟的發展，人們的生活水平不斷提高。", "随着经济的发展，人们的生活水平不断提高。"),
        ("於是，他們決定在週末一起去爬山。", "于是，他们决定在周末一起去爬山。"),
        ("天氣很乾燥，大家都帶著水壺。", "天气很干燥，大家都带着水壶。"),
        ("他很乾脆，說走就走。", "他很干脆，说走就走。"),
        ("「乾杯！」他說。", "「干杯！」他说。"),
        ("乾隆皇帝在位六十年，曾六次南巡。", "乾隆皇帝在位六十年，曾六次南巡。"),
        ("故宮的乾清宮是皇帝的寢宮。", "故宫的乾清宫是皇帝的寝宫。"),
        ("特徵很明顯，意味著問題已經解決。", "特征很明显，意味着问题已经解决。"),
        ("這本書的作者很著名，他的著作很多。", "这本书的作者很著名，他的著作很多。"),
        ("窗外下著雨，屋裡亮著燈。", "窗外下着雨，屋里亮着灯。"),
        ("我們要本著實事求是的精神。", "我们要本着实事求是的精神。"),
    ],
)
def test_traditional_sentences(raw, clean):
    assert check_contract(zh, raw) == clean


def test_mixed_document_converts_only_the_traditional_paragraph():
    for i, hant in enumerate(CLEAN_HANT):
        paras = list(CLEAN_ZH)
        paras.insert(3 + i, hant)
        text = "\n\n".join(paras) + "\n"
        expected = "\n\n".join([*CLEAN_ZH[: 3 + i], T2S.convert(hant), *CLEAN_ZH[3 + i :]]) + "\n"
        assert check_contract(zh, text) == expected


def test_a_traditional_title_in_a_simplified_line_converts_alone():
    assert check_contract(zh, "我读过《紅樓夢》，乾清宫很美。") == "我读过《红楼梦》，乾清宫很美。"
    # a clause OpenCC converts whole: the kept word is put back
    assert check_contract(zh, "乾清宫後面是坤宁宫") == "乾清宫后面是坤宁宫"
    assert check_contract(zh, "乾县的發展") == "乾县的发展"


def test_a_quoted_word_in_a_simplified_line_is_a_mention():
    text = (
        "学日语的时候，比如日语的“手紙”是信件的意思，“勉強”是学习的意思，“大丈夫”是没关系的意思。"
    )
    assert check_contract(zh, text) == text
    assert check_contract(zh, "台湾人把软件叫做「軟體」。") == "台湾人把软件叫做「軟體」。"
    # titles are not mentions: simplified text writes them in simplified
    assert check_contract(zh, "我读过《紅樓夢》这本书。") == "我读过《红楼梦》这本书。"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("「我們走吧。」他說。", "「我们走吧。」他说。"),
        ("「我們走吧。」他笑了笑。", "「我们走吧。」他笑了笑。"),  # nothing simplified around
        ("「你好嗎？」", "「你好吗？」"),
        ("他說：「手紙」是信。", "他说：「手纸」是信。"),  # a traditional line converts whole
    ],
)
def test_quotes_in_traditional_lines_convert(raw, clean):
    assert check_contract(zh, raw) == clean


def test_a_line_without_evidence_is_not_converted():
    # the price of doing no harm: a traditional line with nothing only traditional in it
    assert zh("在於此，不在於彼。") == "在於此，不在於彼。"
    assert zh("在於此，不在於彼，這是關鍵。") == "在于此，不在于彼，这是关键。"


# -- 著 as the particle ------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("隨著", "随着"),
        ("随著", "随着"),
        ("看著", "看着"),
        ("接著", "接着"),
        ("為著", "为着"),
        ("沿著河边走", "沿着河边走"),
        ("这意味著失败", "这意味着失败"),
        ("他正忙著写报告", "他正忙着写报告"),
    ],
)
def test_zhe_particle_becomes_zhe(raw, clean):
    assert check_contract(zh, raw) == clean


@pytest.mark.parametrize(
    "text",
    [
        "著作", "著名", "显著", "名著", "土著", "著称", "卓著", "昭著", "专著", "编著",
        "随著名导演学戏", "迎接著名学者", "看著作", "对著作权的保护", "这本著作", "日本著名作家",
        "他著有三本书", "这本著于1990年的书",
    ],
)  # fmt: skip
def test_zhu_is_never_touched(text):
    assert check_contract(zh, text) == text


def test_particle_repair_is_for_simplified_output_only():
    assert ChineseConvert("s2t")("随着") == S2T.convert("随着")
    assert ChineseConvert("t2tw")("隨著") == "隨著"
    assert ChineseConvert("tw2s")("隨著時代") == "随着时代"


# -- Japanese and Korean are left alone ---------------------------------------------


JAPANESE_KOREAN = [
    "東京は日本の首都です。",
    "日本語を勉強しています。",
    "開発環境を整えました。",
    "カタカナだけの行",
    "ｶﾀｶﾅ 東京",
    "한국어 공부를 합니다. 漢字 學校",
    "他说：「ありがとう」，後來走了。",
]


@pytest.mark.parametrize("text", JAPANESE_KOREAN)
@pytest.mark.parametrize("config", ["t2s", "s2t", "hk2s", "tw2sp", "s2twp", "t2tw"])
def test_kana_and_hangul_lines_are_never_converted(text, config):
    step = ChineseConvert(config, only_if_traditional=False)
    assert check_contract(step, text) == text
    assert check_contract(ChineseConvert(config), text) == text


def test_japanese_lines_in_a_chinese_document():
    text = "這是繁體。\n東京は日本の首都です。\n隨著發展"
    assert check_contract(zh, text) == "这是繁体。\n東京は日本の首都です。\n随着发展"


def test_japanese_configs_still_convert_japanese():
    assert ChineseConvert("jp2t")("開発") == "開發"


def test_kanji_without_kana_reads_as_chinese():
    # no kana, no way to tell: 日本語 is also traditional Chinese
    assert zh("日本語") == "日本语"


# -- from simplified --------------------------------------------------------------


def test_s2t_converts_simplified_and_leaves_traditional():
    s2t = ChineseConvert("s2t")
    text = "\n".join(CLEAN_ZH)
    assert check_contract(s2t, text) == "\n".join(S2T.convert(p) for p in CLEAN_ZH)
    hant = "\n".join(CLEAN_HANT)
    assert check_contract(s2t, hant) == hant
    # 乾 is not evidence of traditional: the line is converted
    assert check_contract(s2t, "乾清宫位于故宫内廷。") == "乾清宮位於故宮內廷。"
    assert check_contract(s2t, "观念\n觀念，根據里辦公處的統計") == "觀念\n觀念，根據里辦公處的統計"


def test_s2t_without_the_line_check_converts_every_line():
    assert ChineseConvert("s2t")("根據里辦公處") == "根據里辦公處"
    assert ChineseConvert("s2t", skip_traditional_lines=False)("根據里辦公處") == "根據裏辦公處"


def test_only_if_traditional_false_is_plain_opencc():
    assert ChineseConvert("t2s", only_if_traditional=False)("乾燥的乾清宫") == "干燥的乾清宫"
    assert ChineseConvert("tw2s", only_if_traditional=False)("显著") == "显着"


def test_still_picklable_and_configurable():
    step = pickle.loads(pickle.dumps(ChineseConvert("hk2s")))
    assert step == ChineseConvert("hk2s")
    assert repr(ChineseConvert()) == "ChineseConvert()"


# -- the shipped table ----------------------------------------------------------------


def test_table_rows_do_what_they_claim():
    table = load_convert_table()
    for ch in table.simplified:
        assert T2S.convert(ch) != ch, ch  # t2s changes it: otherwise the row is useless
    for word in table.keep:
        assert T2S.convert(word) != word, word  # t2s damages it: otherwise no need
        assert not traditional_chars() & set(word), word  # a simplified word
    for verb in table.particle:
        assert check_contract(zh, verb + "著") == verb + "着"
        for follower in table.zhu:
            # 著 stays (a traditional follower like 書 is converted itself)
            assert zh(verb + "著" + follower)[len(verb)] == "著"


# -- properties ---------------------------------------------------------------------


simplified_fragments = st.sampled_from(
    [s for p in CLEAN_ZH for s in p.replace("。", "。\n").split("\n") if s]
    + AMBIGUOUS_WORDS
    + SIMPLIFIED_WITH_AMBIGUOUS
    + ["，", "。", "、", " ", "\n", "《", "》", "“", "”"]
)


@given(st.lists(simplified_fragments, max_size=12).map("".join))
@example("看著作")
@example("随" + "著名")
def test_simplified_text_with_ambiguous_words_comes_out_unchanged(text):
    assert zh(text) == text
    assert zh.edits(text) == []


@given(
    st.lists(
        st.sampled_from(SIMPLIFIED_WITH_AMBIGUOUS + CLEAN_ZH), min_size=1, max_size=6, unique=True
    )
)
def test_zh_preset_keeps_simplified_paragraphs_with_ambiguous_words(paragraphs):
    text = "\n\n".join(paragraphs) + "\n"
    assert textwash.clean(text, "zh") == text


# Text that stresses the decisions: traditional, simplified and also-simplified
# characters, the particle and its verbs, kana, Hangul, separators.
STRESS = [
    *"們這說後隨來乾於徵摺夥麽菸著着随看接意味作名称显乾隆清宫县干发展里后皇",
    *"东京語日本のはカ한국，。、；！？「」《》 \n\r\u3000",
    *["乾清宫", "隨著", "著作", "在於", "\ud800", "𠀾", "豈"],
]


@pytest.mark.parametrize("config", OPENCC_CONFIGS)
@given(text=st.lists(st.sampled_from(STRESS), max_size=30).map("".join))
def test_every_config_is_idempotent_and_matches_its_edits(config, text):
    for step in (ChineseConvert(config), ChineseConvert(config, only_if_traditional=False)):
        check_contract(step, text)
        assert ChineseConvert(config)(text) == ChineseConvert(config)(text)


@given(text=st.lists(st.sampled_from(STRESS), max_size=30).map("".join))
def test_to_simplified_never_touches_a_kana_or_hangul_line(text):
    for config in sorted(TO_SIMPLIFIED):
        out = ChineseConvert(config)(text)
        for a, b in zip(text.split("\n"), out.split("\n"), strict=True):
            if any(c in a for c in "のはカ한국"):
                assert a == b
