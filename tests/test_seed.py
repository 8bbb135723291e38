"""The zh preset on the reference dump (../shared/seeds; skipped when absent)."""

from __future__ import annotations

import itertools

import regex

import textwash

HAN = regex.compile(r"\p{Han}")
SITE_LINES = (
    "合集下载",
    "相关文档",
    "最新文档",
    "三一文库()/免费论文/行政管理论文",
    "下载文档前请自行甄别文档内容的完整性",
    "仅部分预览",
    "如文档侵犯您的权益",
)


def han(s: str) -> int:
    return len(HAN.findall(s))


def expected_removed_han(raw: str) -> int:
    """Han characters in site lines, in titles printed again right below themselves,
    and in title echoes glued to the paragraph below the title (RepeatedLines cuts
    every glued copy of a title of six or more Han characters, all but one of a
    shorter one).  Counted here independently of the code."""
    removed = 0
    prev = ""
    for line in raw.split("\n"):
        # the echo is compared after Confusables, as RepeatedLines sees it
        body = line.strip().replace("裙众", "群众")
        if not body:
            continue
        if any(s in body for s in SITE_LINES):
            removed += han(body)
            continue
        if body == prev:
            removed += han(body)
            continue
        if prev and body.startswith(prev):
            copies = 1
            while body.startswith(prev * (copies + 1)):
                copies += 1
            removed += han(prev) * (copies if han(prev) >= 6 else copies - 1)
        prev = body
    return removed


def test_no_space_between_han(seed_text):
    out = textwash.clean(seed_text)
    gaps = regex.findall(r"\p{Han}[ \t\u3000]+\p{Han}", out)
    assert gaps == []
    assert regex.search(r"\p{Han}[ \t\u3000]+\p{Han}", seed_text)  # the raw dump has them


def test_no_ascii_punctuation_between_han(seed_text):
    out = textwash.clean(seed_text)
    assert regex.findall(r"\p{Han}[,;:?!()]\p{Han}", out) == []
    assert len(regex.findall(r"\p{Han}[,;:?!()]\p{Han}", seed_text)) > 500


def test_no_title_repeated_on_the_next_line(seed_text):
    out = textwash.clean(seed_text)
    lines = [line for line in out.split("\n") if line.strip()]
    repeats = [a for a, b in itertools.pairwise(lines) if a == b]
    assert repeats == []


def test_no_site_boilerplate_left(seed_text):
    out = textwash.clean(seed_text)
    for line in out.split("\n"):
        for site in SITE_LINES:
            assert site not in line


def test_every_han_character_survives(seed_text):
    out = textwash.clean(seed_text)
    removed = expected_removed_han(seed_text)
    assert removed > 0
    assert han(out) == han(seed_text) - removed


def test_confusables_and_ocr_repairs_on_the_seed(seed_text):
    out = textwash.clean(seed_text)
    assert "裙众" not in out and "笫一" not in out
    assert seed_text.count("裙众") == 29
    assert "掌握第一手资料" in out
    assert "8000万党员" in out
    assert "耿志峰" in out
    assert "人民警察的良好形象" in out  # the hard wrap 人民警\n察 is joined
    assert "〔浅谈公安机关在新形势下如何做好群众工作〕" in out


def test_seed_cleaning_is_idempotent(seed_text):
    for preset in textwash.PRESET_NAMES:
        once = textwash.clean(seed_text, preset)
        assert textwash.clean(once, preset) == once


def test_seed_offsets_point_at_the_raw_lines(seed_text):
    result = textwash.get_preset("zh").run(seed_text)
    exact = 0
    lines = [m for m in regex.finditer(r"[^\n]+", result.text)]
    for m in lines:
        s, e = result.to_source(m.start(), m.end())
        assert han(seed_text[s:e]) >= han(m.group(0))
        exact += han(seed_text[s:e]) == han(m.group(0))
    assert exact >= 0.95 * len(lines)
