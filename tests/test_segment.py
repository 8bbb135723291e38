"""Segmentation: collection pages into essays, units with raw-text provenance."""

from __future__ import annotations

import regex

from textwash.segment import Document, split_collection, split_sentences, units

HAN = regex.compile(r"\p{Han}")

PAGE = (
    "(√)合集标题\n合集下载\n\n"
    "甲文的标题\n\n甲文的标题\n\n甲文的标题甲文的标题近年来,随着社 会 、经 济的发展,工作有了新变化。\n\n"
    "第二段写得很长很长，并且被一个硬换行从中间切成\n两行了，还要继续写下去。\n\n"
    "乙文标题(2)\n\n乙文标题(2)\n\n乙文标题(2)正文从这里开始。\n"
    "〔丙文的标题〕\n丙文的标题\n丙文正文。\n"
)


def test_split_collection_finds_every_essay_and_title():
    docs = split_collection(PAGE)
    assert [d.title for d in docs] == [None, "甲文的标题", "乙文标题(2)", "〔丙文的标题〕"]
    assert "".join(d.text for d in docs) == PAGE
    for d in docs:
        assert PAGE[d.start : d.end] == d.text


def test_units_exclude_titles_and_echoes_and_map_back_to_raw():
    us = units(PAGE)
    texts = [u.text for u in us]
    assert texts == [
        "合集标题",
        "近年来，随着社会、经济的发展，工作有了新变化。",
        "第二段写得很长很长，并且被一个硬换行从中间切成两行了，还要继续写下去。",
        "正文从这里开始。",
        "丙文正文。",
    ]
    for u in us:
        raw = PAGE[u.start : u.end]
        assert HAN.findall(raw) == HAN.findall(u.text)  # same characters, raw form
        assert PAGE.count("\n", 0, u.start) + 1 == u.line
    wrapped = us[2]
    assert (
        PAGE[wrapped.start : wrapped.end]
        == "第二段写得很长很长，并且被一个硬换行从中间切成\n两行了，还要继续写下去。"
    )
    assert (wrapped.line, wrapped.end_line) == (10, 11)


def test_sentence_windows_and_document_units():
    doc = Document("d", "标题\n\n标题\n\n第一句。第二句！第三句？\n\n第四句。")
    sents = units(doc, "sentence")
    assert [u.text for u in sents] == ["第一句。", "第二句！", "第三句？", "第四句。"]
    pairs = units(doc, "sentence", window=2)
    assert [u.text for u in pairs] == ["第一句。第二句！", "第二句！第三句？", "第四句。"]
    body = units(doc, "document")
    assert (
        len(body) == 1 and body[0].text.startswith("第一句") and body[0].text.endswith("第四句。")
    )
    assert all(u.doc_id == "d" for u in sents + pairs + body)


def test_split_sentences_keeps_closing_quotes():
    s = "他说：“好。”然后走了！还有"
    assert [s[a:b] for a, b in split_sentences(s)] == ["他说：“好。”", "然后走了！", "还有"]


def test_text_without_titles_is_one_section():
    us = units("第一段。\n\n第二段。")
    assert [u.text for u in us] == ["第一段。", "第二段。"]
    assert {u.section for u in us} == {0}


def test_seed_has_21_essays_and_exact_provenance(seed_text):
    docs = split_collection(seed_text)
    titled = [d for d in docs if d.title]
    assert len(titled) == 21
    assert sum(1 for d in titled if "浅谈公安机关在新形势下如何做好群众工作" in d.title) == 3
    assert sum(1 for d in titled if d.title == "浅谈在新时期下基层公安机关如何做好群众工作") == 2
    us = units(seed_text)
    assert len(us) > 250
    for u in us:
        raw = seed_text[u.start : u.end]
        assert len(HAN.findall(raw)) == len(HAN.findall(u.text)), (u.line, raw[:30])
        assert seed_text.count("\n", 0, u.start) + 1 == u.line
    echo = next(u for u in us if u.text.startswith("长期以来") and u.line == 77)
    assert "之我见" not in echo.text  # the title glued to the paragraph is split off
