"""The HTML duplicate report: its markup, escaping and diff, its size at scale, and the page
in a real browser.

The browser tests run Debian's headless ``chromium`` on the page from ``file://``:
some read the DOM it dumps after the page's script ran, the others drive it over
the DevTools protocol on a pipe (:class:`Browser`: clicks, page turns, every
cluster walked).  They skip when ``chromium`` is not installed (``.ci/run``
installs it).
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import html
import json
import os
import random
import re
import shutil
import subprocess
import threading
import time
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from textwash.dedup import html as report_html
from textwash.dedup.html import (
    MORE_COPIES,
    PAGE_SIZE,
    PREVIEW_COPIES,
    TEXT_PREVIEW,
    diff_html,
    render_html,
    similarity_label,
)
from textwash.dedup.report import Cluster, DuplicateReport, Member

# -- a report built by hand ---------------------------------------------------------------

KEPT_TEXT = "近年来，随着社会经济的发展，群众对公共服务的需求日益增长，基层治理面临新的挑战。"
NEAR_TEXT = "近年来，随着社会经济的快速发展，人民对公共服务的需求日益增长，基层治理面临新的挑战。"
EXACT_TEXT = "近年来,随着社会经济的发展,群众对公共服务的需求日益增长,基层治理面临新的挑战."
SHORT = "垃圾分类是一项长期而艰巨的系统工程，需要全社会共同参与。"
CONTAINING = "笔者认为，" + SHORT + "各地应当因地制宜，稳步推进。"
HOSTILE = '脚本测试<script>document.body.dataset.pwned="1"</script>与 "引号" & 符号，见 https://example.com/a?b=1&c=2 。'
HOSTILE_COPY = HOSTILE.replace("脚本测试", "脚本测验")
LONG = "\n".join(f"第{i}行：城市生活垃圾产生量逐年攀升，处理能力亟待提高。" for i in range(1, 61))

C_FILE = "语料/第二批 c.txt"  # non-ASCII and a space: must survive the URL fragment
EVIL_FILE = 'x"><img src=x onerror="document.body.dataset.pwned=1">.txt'


def member(
    doc_id: str,
    text: str,
    sim: float,
    measure: str,
    *,
    line: int = 1,
    kept: bool = False,
    source: str | None = None,
    title: str | None = None,
) -> Member:
    """A copy spanning all of ``text``, starting on ``line``."""
    end_line = line + text.count("\n")
    return Member(
        doc_id, 0, 0, len(text), line, end_line, text, sim, measure, kept, source, 0, title
    )


def sample_report() -> DuplicateReport:
    """Four clusters, given out of order: the page sorts them c0001..c0004."""
    c1 = Cluster(
        "c0001",
        "near",
        (
            member("0", KEPT_TEXT, 1.0, "exact", kept=True, source="a.txt", line=3),
            member("1", NEAR_TEXT, 0.86, "jaccard", source="b.txt", line=7, title="基层治理"),
            member("2", KEPT_TEXT, 1.0, "exact", source=C_FILE, line=12),
        ),
    )
    c2 = Cluster(
        "c0002",
        "exact",
        (
            member("0", EXACT_TEXT, 1.0, "exact", kept=True, source="a.txt", line=20),
            member("1", EXACT_TEXT.replace(",", "，"), 1.0, "exact", source="b.txt", line=30),
        ),
    )
    c3 = Cluster(
        "c0003",
        "containment",
        (
            member("1", SHORT, 1.0, "exact", kept=True, source="b.txt", line=40),
            member("3", CONTAINING, 0.72, "containment", source=EVIL_FILE, line=2),
        ),
    )
    c4 = Cluster(
        "c0004",
        "near",
        (
            member("d", HOSTILE, 1.0, "exact", kept=True, line=5),
            member("e", HOSTILE_COPY, 0.93, "jaccard", line=9),
        ),
    )
    return DuplicateReport(
        [c3, c4, c1, c2],
        params={"unit": "paragraph", "threshold": 0.8, "ngram": 5, "keep": "first"},
        stats={"documents": 6, "units": 42, "seconds": {"segment": 0.5, "lsh": 0.25}},
    )


def long_report() -> DuplicateReport:
    """One cluster whose copy is 60 lines (1,679 characters) long."""
    kept = member("k", LONG.replace("亟待", "有待"), 1.0, "exact", kept=True)
    return DuplicateReport([Cluster("c0001", "near", (kept, member("l", LONG, 0.91, "jaccard")))])


# -- a report of realistic shape, at any size ----------------------------------------------

HAN = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说"
    "产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点"
    "从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原"
)
ASTRAL = "𠀀𠮷𡈽𪚥"  # CJK Extension B and beyond: two UTF-16 code units each


def _text(rng: random.Random, n: int, astral: bool = False) -> str:
    chars = [rng.choice(HAN) for _ in range(n)]
    for i in range(0, n, rng.randint(12, 30)):
        chars[i] = "，" if rng.random() < 0.7 else "。"
    if astral:
        for _ in range(max(1, n // 40)):
            chars[rng.randrange(n)] = rng.choice(ASTRAL)
    return "".join(chars)


def _near(rng: random.Random, text: str, edits: int) -> str:
    chars = list(text)
    for _ in range(edits):
        i = rng.randrange(len(chars))
        what = rng.random()
        if what < 0.5:
            chars[i] = rng.choice(HAN)
        elif what < 0.75:
            chars[i:i] = list(_text(rng, rng.randint(1, 8)))
        else:
            del chars[i : i + rng.randint(1, 5)]
    return "".join(chars)


def synthetic_report(clusters: int = 130, big: int = 460, seed: int = 7) -> DuplicateReport:
    """``clusters`` clusters over 40 files: the largest with ``big`` copies (one of them, far
    down, the only copy in ``rare.txt``), a few with texts of 2,500 characters (differences
    past the cut, astral characters), titles, near, exact and containment copies."""
    rng = random.Random(seed)
    out = []
    for c in range(clusters):
        size = big if c == 0 else rng.choice((2, 2, 2, 3, 3, 4, 5, 6, 9))
        long = c % 17 == 5
        kept_text = _text(rng, 2_500 if long else rng.randint(20, 300), astral=c % 11 == 3)
        members: list[Member] = []
        line = rng.randint(1, 500)
        for k in range(size):
            file = f"doc{rng.randrange(40):03d}.txt"
            if c == 0 and k == 300:
                file = "rare.txt"
            if k == 0:
                text, sim, measure = kept_text, 1.0, "exact"
            else:
                kind = rng.random()
                if kind < 0.35:
                    text, sim, measure = kept_text, 1.0, "exact"
                elif kind < 0.85:
                    text = _near(rng, kept_text, rng.randint(1, 12 if long else 4))
                    sim, measure = round(rng.uniform(0.6, 0.99), 4), "jaccard"
                else:
                    text = _text(rng, 30) + kept_text + _text(rng, 20)
                    sim, measure = round(rng.uniform(0.6, 0.95), 4), "containment"
            start = rng.randint(0, 90_000)
            first = line + k * 7
            members.append(
                Member(
                    str(k % 9),
                    k,
                    start,
                    start + len(text),
                    first,
                    first + text.count("\n") + (k % 3 == 1),
                    text,
                    sim,
                    measure,
                    k == 0,
                    file,
                    0,
                    f"第{c}篇" if k % 4 == 2 else None,
                )
            )
        kinds = {"exact": "exact", "jaccard": "near", "containment": "containment"}
        worst = [m.measure for m in members[1:] if m.measure != "exact"]
        out.append(Cluster(f"c{c:04d}", kinds[worst[0]] if worst else "exact", tuple(members)))
    rng.shuffle(out)
    return DuplicateReport(out, params={"unit": "paragraph"}, stats={"documents": 41})


# -- what the page must say about every copy ------------------------------------------------


def _safe(text: str) -> str:
    return re.sub("[\ud800-\udfff]", "\ufffd", text)


def expected(report: DuplicateReport) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """Every cluster in page order: id, kind and, for each copy, what the page shows."""
    out = []
    for c in sorted(report.clusters, key=lambda c: (-len(c.members), c.id)):
        rows = []
        for m in c.members:
            lines = f"line {m.line}" if m.line == m.end_line else f"lines {m.line}–{m.end_line}"
            rows.append(
                {
                    "file": _safe(m.source or m.doc_id),
                    "lines": lines,
                    "chars": f"characters {m.start}–{m.end}",
                    "title": f"《{_safe(m.title)}》" if m.title else None,
                    "sim": similarity_label(m),
                    "sim_title": f"{m.measure} {m.similarity:.4f}",
                    "data_sim": f"{m.similarity:.2f}",
                    "kept": m.kept,
                    "text": _safe(m.text),
                }
            )
        out.append((_safe(c.id), _safe(c.kind), rows))
    return out


DATA_BLOCK = re.compile(r'<script type="application/json" id="report-data">(.*?)</script>', re.S)


def page_data(page: str) -> dict[str, Any]:
    found = DATA_BLOCK.search(page)
    assert found, "no data block"
    assert "<" not in found.group(1)
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def apply_ops(kept: str, variant: str | list[list[Any]]) -> str:
    """A copy's text from the kept text and its differences (offsets in UTF-16 units)."""
    if isinstance(variant, str):
        return variant
    units = kept.encode("utf-16-le")
    out, pos = [], 0
    for a0, a1, new in variant:
        out += [units[2 * pos : 2 * a0].decode("utf-16-le"), new]
        pos = a1
    out.append(units[2 * pos :].decode("utf-16-le"))
    return "".join(out)


def decoded(page: str) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """What the page's JSON says about every copy, read the way its script reads it."""
    data = page_data(page)
    labels = {"exact": "exact", "jaccard": "Jaccard", "containment": "containment"}
    out = []
    for cid, kind, variants, rows in data["clusters"]:
        members = []
        for f, line, extra, start, length, sim, v, kept, *title in rows:
            measure_i, s2, s4 = data["sims"][sim]
            measure = data["measures"][measure_i]
            label = "kept copy" if kept else "exact" if measure == "exact" else None
            members.append(
                {
                    "file": data["files"][f],
                    "lines": f"lines {line}–{line + extra}" if extra else f"line {line}",
                    "chars": f"characters {start}–{start + length}",
                    "title": f"《{data['titles'][title[0]]}》" if title else None,
                    "sim": label or f"{labels.get(measure, measure)} {s2}",
                    "sim_title": f"{measure} {s4}",
                    "data_sim": s2,
                    "kept": bool(kept),
                    "text": apply_ops(variants[0], variants[v]),
                }
            )
        out.append((cid, kind, members))
    return out


# -- reading the page -------------------------------------------------------------------


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside each element with an id."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text_by_id: dict[str, str] = {}
        self._open: list[str | None] = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in ("meta", "input", "br", "link", "img"):
            ident = dict(attrs).get("id")
            self._open.append(ident)
            if ident:
                self.text_by_id[ident] = ""

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for ident in self._open:
            if ident:
                self.text_by_id[ident] += data

    def find(self, tag: str | None = None, cls: str | None = None) -> list[dict[str, str | None]]:
        return [
            a
            for t, a in self.tags
            if (tag is None or t == tag) and (cls is None or cls in (a.get("class") or "").split())
        ]


class Tree(HTMLParser):
    """Markup as a list of tags (attributes sorted) and merged texts, to compare two DOMs
    however each serializer escapes and orders."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[tuple[str, ...]] = []
        self._text = ""
        self.feed(markup)
        self.close()
        self._flush()

    def _flush(self) -> None:
        if self._text:
            self.items.append(("text", self._text))
            self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._flush()
        self.items.append((tag, *sorted(f"{k}={v or ''}" for k, v in attrs)))

    def handle_endtag(self, tag: str) -> None:
        self._flush()
        self.items.append(("/" + tag,))

    def handle_data(self, data: str) -> None:
        self._text += data


def main_of(page: str) -> str:
    return page[page.index('<main id="clusters">') : page.index("</main>") + len("</main>")]


def member_blocks(page: str) -> dict[tuple[str, str], str]:
    """(cluster id, data-file) -> the member's <li> markup."""
    out = {}
    for cid, body in re.findall(
        r'<section class="cluster" id="([^"]+)"(.*?)</section>', page, re.S
    ):
        for li, f in re.findall(
            r'(<li class="member[^"]*" data-file="([^"]*)".*?</li>)', body, re.S
        ):
            out[(cid, html.unescape(f))] = li
    return out


def text_div(li: str) -> str:
    found = re.search(r'<div class="text"[^>]*>(.*)</div>', li, re.S)
    assert found, li
    return found.group(1)


def shown_text(div: str) -> str:
    """A text box's characters of the copy: no missing (struck) characters, no ellipsis."""
    div = re.sub(r"<del>.*?</del>|<span class=\"ellipsis\"[^>]*>.*?</span>", "", div)
    return html.unescape(re.sub(r"<[^>]+>", "", div))


def u16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# -- the markup -------------------------------------------------------------------------


def test_page_skeleton() -> None:
    page = render_html(sample_report())
    assert page.startswith('<!DOCTYPE html>\n<html lang="zh">')
    assert '<meta charset="utf-8">' in page
    assert page.count("<style>") == 1
    # The error hook and the page's script, and the data (never executed).
    assert page.count("<script>") == 2 and page.count("<script") == 3
    assert page.count('<script type="application/json" id="report-data">') == 1
    assert "<script src" not in page
    assert page.rstrip().endswith("</html>")
    doc = Elements(page)
    assert [t for t, _ in doc.tags].count("main") == 1
    assert doc.text_by_id["shown"] == "4 clusters"
    assert "<noscript>" in page


def test_clusters_sorted_with_data_attributes() -> None:
    doc = Elements(render_html(sample_report()))
    clusters = doc.find("section", "cluster")
    assert [c["id"] for c in clusters] == ["c0001", "c0002", "c0003", "c0004"]
    assert [c["data-size"] for c in clusters] == ["3", "2", "2", "2"]
    assert [json.loads(c["data-files"] or "") for c in clusters] == [
        ["a.txt", "b.txt", C_FILE],
        ["a.txt", "b.txt"],
        ["b.txt", EVIL_FILE],
        ["d", "e"],
    ]
    assert [c["data-min-sim"] for c in clusters] == ["0.86", "1.00", "0.72", "0.93"]
    assert [c["data-kind"] for c in clusters] == ["near", "exact", "containment", "near"]


def test_sort_is_by_size_then_id() -> None:
    m = member("a", "甲乙丙", 1.0, "exact", kept=True)
    two = (m, replace(m, kept=False))
    report = DuplicateReport(
        [
            Cluster("c2", "exact", two),
            Cluster("c3", "exact", (*two, m)),
            Cluster("c1", "exact", two),
        ]
    )
    page = render_html(report)
    ids = re.findall(r'<section class="cluster" id="([^"]+)"', page)
    assert ids == ["c3", "c1", "c2"]
    assert [c[0] for c in page_data(page)["clusters"]] == ids


def test_member_details() -> None:
    page = render_html(sample_report())
    blocks = member_blocks(page)
    kept = blocks[("c0001", "a.txt")]
    assert "line 3<" in kept and "kept copy" in kept and 'class="member kept"' in kept
    near = blocks[("c0001", "b.txt")]
    assert "line 7<" in near and "《基层治理》" in near and "Jaccard 0.86" in near
    assert 'class="member copy"' in near and 'data-sim="0.86"' in near
    assert 'title="jaccard 0.8600"' in near and f'title="characters 0–{len(NEAR_TEXT)}"' in near
    assert ">exact<" in blocks[("c0001", C_FILE)]
    assert "containment 0.72" in blocks[("c0003", EVIL_FILE)]
    # No source: the doc_id names the file.
    assert '<span class="file">d</span>' in blocks[("c0004", "d")]
    long_copy = member_blocks(render_html(long_report()))[("c0001", "l")]
    assert "lines 1–60" in long_copy


def test_similarity_labels() -> None:
    m = member("a", "甲", 0.5, "jaccard")
    assert similarity_label(replace(m, kept=True)) == "kept copy"
    assert similarity_label(replace(m, measure="exact", similarity=1.0)) == "exact"
    assert similarity_label(replace(m, similarity=0.855)) == "Jaccard 0.85"
    assert (
        similarity_label(replace(m, measure="containment", similarity=0.72)) == "containment 0.72"
    )
    # The page says the same, rounded by Python (0.625 -> 0.62, where JavaScript says 0.63).
    report = DuplicateReport(
        [Cluster("c1", "near", (replace(m, kept=True), replace(m, similarity=0.625)))]
    )
    page = render_html(report)
    assert "Jaccard 0.62<" in page and decoded(page)[0][2][1]["sim"] == "Jaccard 0.62"


def test_header_numbers_and_parameters() -> None:
    page = render_html(sample_report())
    doc = Elements(page)
    header = page[page.index("<header") : page.index("</header>")]
    pairs = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", header))
    assert pairs["documents"] == "6" and pairs["units"] == "42"
    assert pairs["clusters"] == "4" and pairs["copies to remove"] == "5"
    assert pairs["near"] == "2" and pairs["exact"] == "1" and pairs["containment"] == "1"
    assert pairs["duplicated characters"] == str(sample_report().duplicated_chars)
    assert pairs["seconds"] == "0.75"
    assert "<span>unit</span> &quot;paragraph&quot;" in header
    assert "<span>threshold</span> 0.8" in header
    # The file filter lists every file once, with its cluster count.
    options = [o["value"] for o in doc.find("option")]
    assert options == ["", "a.txt", "b.txt", "d", "e", EVIL_FILE, C_FILE]


def test_highlight_marks_only_differences() -> None:
    blocks = member_blocks(render_html(sample_report()))
    # The kept copy is plain text.
    kept = text_div(blocks[("c0001", "a.txt")])
    assert kept == KEPT_TEXT
    # Near copy: 快速 added, 群众 -> 人民 changed, the rest unmarked.
    near = text_div(blocks[("c0001", "b.txt")])
    assert "<ins>快速</ins>" in near
    assert '<mark title="kept copy: 群众">人民</mark>' in near
    assert (
        re.sub(r"<[^>]+>", "", near.replace('<mark title="kept copy: 群众">', "<mark>"))
        == NEAR_TEXT
    )
    # An identical copy has no marks at all.
    assert text_div(blocks[("c0001", C_FILE)]) == KEPT_TEXT
    # Half-width punctuation in the kept copy: each comma of the copy is marked changed.
    exact = text_div(blocks[("c0002", "b.txt")])
    assert exact.count('<mark title="kept copy: ,">，</mark>') == EXACT_TEXT.count(",")
    # Containment: the passage around the kept copy is added text.
    contained = text_div(blocks[("c0003", EVIL_FILE)])
    assert contained == f"<ins>笔者认为，</ins>{SHORT}<ins>各地应当因地制宜，稳步推进。</ins>"


def test_missing_characters_are_struck_through() -> None:
    assert diff_html("甲乙丙丁", "甲丁") == "甲<del>乙丙</del>丁"


def test_everything_is_escaped() -> None:
    page = render_html(sample_report())
    assert "<script>document.body" not in page
    assert "&lt;script&gt;document.body.dataset.pwned=&quot;1&quot;&lt;/script&gt;" in page
    assert "<img" not in page
    assert page.count("<script") == 3
    doc = Elements(page)
    assert [t for t, _ in doc.tags].count("script") == 3
    # The hostile file name round-trips through attributes and option labels.
    assert EVIL_FILE in [o["value"] for o in doc.find("option")]
    assert EVIL_FILE in [li["data-file"] for li in doc.find("li", "member")]
    blocks = member_blocks(page)
    # The changed character sits next to escaped markup, never inside a tag.
    copy = text_div(blocks[("c0004", "e")])
    assert copy.startswith('脚本测<mark title="kept copy: 试">验</mark>&lt;script&gt;')
    # In the data block, every < is escaped: no text can end the block or open a comment.
    assert "\\u003cscript>document.body" in DATA_BLOCK.search(page).group(1)  # type: ignore[union-attr]
    assert page_data(page)["files"].count(EVIL_FILE) == 1


def test_no_network_references() -> None:
    page = render_html(sample_report())
    resource_attrs = {"src", "href", "action", "formaction", "srcset", "poster", "data", "ping"}
    assert not [a for _, a in Elements(page).tags if resource_attrs & a.keys()]
    code = "".join(re.findall(r"<(?:script|style)>(.*?)</(?:script|style)>", page, re.S))
    for needle in ("url(", "@import", "fetch(", "XMLHttpRequest", "import(", "http"):
        assert needle not in code, needle
    # The only http(s) text is the URL quoted inside a passage: escaped in the markup
    # (both copies) and once in the data (the copy is stored as its differences).
    assert "http://" not in page
    assert page.count("https://example.com/a?b=1&amp;c=2") == 2
    assert DATA_BLOCK.search(page).group(1).count("https://") == 1  # type: ignore[union-attr]


def test_content_security_policy_allows_only_the_inline_blocks() -> None:
    page = render_html(sample_report())
    csp = next(a["content"] for t, a in Elements(page).tags if a.get("http-equiv"))
    assert csp is not None
    assert "default-src 'none'" in csp

    def sha(block: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(block.encode()).digest()).decode() + "'"

    scripts = re.findall(r"<script>(.*?)</script>", page, re.S)
    styles = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert len(scripts) == 2 and len(styles) == 1
    assert all(sha(s) in csp for s in scripts) and sha(styles[0]) in csp
    # The data block is not a script the policy would have to allow.
    assert csp.count("sha256-") == 3


def test_long_text_shortened_with_a_button() -> None:
    page = render_html(long_report())
    li = member_blocks(page)[("c0001", "l")]
    copy = text_div(li)
    assert u16(shown_text(copy)) == TEXT_PREVIEW and LONG.startswith(shown_text(copy))
    assert '<span class="ellipsis" aria-hidden="true">…</span>' in copy
    more_chars = len(LONG) - TEXT_PREVIEW
    more_marks = sum(1 for line in LONG[TEXT_PREVIEW:].split("\n") if "亟待" in line)
    assert (
        f'<p class="cut">Shortened: {more_chars:,} more characters, '
        f"{more_marks} more differences. "
        '<button type="button" class="whole-text" data-c="0" data-m="1">Show whole text</button>'
        "</p>"
    ) in li
    # The whole text is in the data, diffed: one mark per line.
    assert decoded(page)[0][2][1]["text"] == LONG
    assert len(page_data(page)["clusters"][0][2][1]) == 60
    assert re.search(r"\.text\{[^}]*max-height:[^}]*overflow:auto", page)
    assert '<div class="text" lang="zh" tabindex="0" role="region"' in page


def test_cut_never_splits_a_character() -> None:
    """The cut counts UTF-16 units as the browser does, and never halves an astral character."""
    kept = "甲" * (TEXT_PREVIEW - 1) + "𠀀" + "乙" * 10
    page = render_html(
        DuplicateReport(
            [Cluster("c1", "exact", (member("a", kept, 1.0, "exact", kept=True),))],
        )
    )
    shown = shown_text(text_div(member_blocks(page)[("c1", "a")]))
    assert shown == "甲" * (TEXT_PREVIEW - 1)
    assert "Shortened: 12 more characters." in page  # 𠀀 counts as two


def test_too_long_to_diff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_html, "MAX_DIFF_CELLS", 10)
    page = render_html(sample_report())
    near = member_blocks(page)[("c0001", "b.txt")]
    assert "Too long to compare" in near and text_div(near) == NEAR_TEXT
    # Stored whole, and an identical copy still costs nothing.
    c1 = page_data(page)["clusters"][0]
    assert c1[2] == [KEPT_TEXT, NEAR_TEXT] and [r[6] for r in c1[3]] == [0, 1, 0]
    assert "Too long to compare" not in member_blocks(page)[("c0001", C_FILE)]


def test_a_second_kept_copy_is_plain_and_its_twin_diffed() -> None:
    """Only members[0] is the kept copy by the report's rules; a report that flags another
    one still shows it plain, and a copy with the same text diffed, without a note."""
    a = member("a", KEPT_TEXT, 1.0, "exact", kept=True)
    b = member("b", NEAR_TEXT, 1.0, "exact", kept=True)
    c = member("c", NEAR_TEXT, 0.86, "jaccard")
    page = render_html(DuplicateReport([Cluster("c1", "near", (a, b, c))]))
    blocks = member_blocks(page)
    assert text_div(blocks[("c1", "b")]) == NEAR_TEXT and "kept copy" in blocks[("c1", "b")]
    assert "<ins>快速</ins>" in text_div(blocks[("c1", "c")])
    assert 'class="note"' not in main_of(page)
    assert decoded(page) == expected(DuplicateReport([Cluster("c1", "near", (a, b, c))]))


def test_empty_report_and_lone_surrogates() -> None:
    page = render_html(DuplicateReport([]))
    assert "No duplicated passages were found." in page
    assert ">0 clusters<" in page
    assert page_data(page)["clusters"] == []
    m = member("a", "甲\ud800乙", 1.0, "exact", kept=True)
    page = render_html(DuplicateReport([Cluster("c1", "exact", (m, replace(m, kept=False)))]))
    page.encode("utf-8")
    assert "甲\ufffd乙" in page
    assert decoded(page)[0][2][1]["text"] == "甲\ufffd乙"


def test_to_html_writes_the_page(tmp_path: Path) -> None:
    report = sample_report()
    out = tmp_path / "dups.html"
    assert report.to_html(out) == out.read_text(encoding="utf-8") == render_html(report)


# -- every copy is in the page ----------------------------------------------------------------


@pytest.mark.parametrize(
    "make", [sample_report, long_report, synthetic_report], ids=["sample", "long", "synthetic"]
)
def test_page_data_holds_every_copy(make: Any) -> None:
    """Every cluster and every copy, with its file, lines, offsets, title, similarity and
    whole text, can be read back from the page: nothing is left out, whatever is shown."""
    report = make()
    page = render_html(report)
    assert decoded(page) == expected(report)


_texts = st.text(
    alphabet=st.sampled_from("甲乙丙丁戊，。<>&\"'/!-\n 𠀀𠮷\u2028\ud800a"), min_size=0, max_size=40
)


@given(
    st.lists(
        st.tuples(
            _texts,
            st.lists(
                st.tuples(_texts, st.sampled_from(["x", "y", "z"]), st.booleans()), max_size=5
            ),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_page_data_round_trips(clusters: list[tuple[str, list[tuple[str, str, bool]]]]) -> None:
    """Any texts (markup, astral characters, lone surrogates, U+2028) come back unchanged."""
    report = DuplicateReport(
        [
            Cluster(
                f"c{i}",
                "near",
                (
                    member("k", kept, 1.0, "exact", kept=True),
                    *(
                        member(doc, text, 0.5, "jaccard", title="题" if titled else None)
                        for text, doc, titled in copies
                    ),
                ),
            )
            for i, (kept, copies) in enumerate(clusters)
        ]
    )
    page = render_html(report)
    assert decoded(page) == expected(report)


# -- the page at scale ------------------------------------------------------------------------


def one_cluster(copies: int, text: str, edit: bool = False) -> DuplicateReport:
    rng = random.Random(1)
    members = [member("k", text, 1.0, "exact", kept=True, source="kept.txt")]
    for i in range(copies):
        copy = _near(rng, text, 2) if edit else text
        members.append(member(f"d{i}", copy, 0.9, "jaccard", line=i + 1, source=f"f{i % 50}.txt"))
    return DuplicateReport([Cluster("c1", "near", tuple(members))])


def test_a_copy_costs_its_location_not_its_text() -> None:
    """An identical copy costs about 40 bytes of page (its file, lines and offsets), however
    long its text; a near copy, its location and its differences."""
    text = _text(random.Random(3), 1_500)  # 4.5 KB of UTF-8
    small, large = (len(render_html(one_cluster(n, text)).encode()) for n in (100, 1_100))
    assert (large - small) / 1_000 < 40
    small, large = (
        len(render_html(one_cluster(n, text, edit=True)).encode()) for n in (100, 1_100)
    )
    assert (large - small) / 1_000 < 120


def test_page_shows_a_bounded_part_of_the_report() -> None:
    """The markup holds one page of clusters, the kept copy and the first copies of each,
    each text cut at TEXT_PREVIEW characters; the rest is only in the data."""
    report = synthetic_report(clusters=130)
    page = render_html(report)
    sections = re.findall(r'<section class="cluster".*?</section>', page, re.S)
    assert len(sections) == PAGE_SIZE
    for sec in sections:
        items = re.findall(r'<li class="member.*?</li>', sec, re.S)
        size = int(re.search(r'data-size="(\d+)"', sec).group(1))  # type: ignore[union-attr]
        assert len(items) == min(size, 1 + PREVIEW_COPIES)
        for li in items:
            div = re.sub(r'<span class="ellipsis".*?</span>', "", text_div(li))
            assert u16(html.unescape(re.sub(r"<[^>]+>", "", div))) <= TEXT_PREVIEW
    big = sections[0]
    assert 'data-size="460"' in big
    assert "4 of 460 copies shown. " in big and f">Show {MORE_COPIES} more</button>" in big
    # The markup does not grow with the report (ten times the clusters): only the data does.
    tenfold = render_html(synthetic_report(clusters=1_300, big=50))
    markup, markup_tenfold = (len(DATA_BLOCK.sub("", p).encode()) for p in (page, tenfold))
    assert markup_tenfold < 1.5 * markup
    assert len(page_data(tenfold)["clusters"]) == 1_300
    # The page is much smaller than the JSON report, though it holds every copy.
    assert len(page.encode()) < 0.5 * len(report.to_json().encode())


# -- in a real browser ------------------------------------------------------------------

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless browser test needs Debian's chromium (apt-get install chromium)",
)
# What chromium logs for the page's console: `INFO:CONSOLE:12] "..."` (older: `CONSOLE(12)`).
CONSOLE = re.compile(r"CONSOLE[(:]|Uncaught|Content Security Policy")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def dump_dom(page: Path, tmp_path: Path, fragment: str = "") -> tuple[str, list[str]]:
    """Load ``page`` (plus ``#fragment``) in headless chromium: the DOM and console lines."""
    assert CHROMIUM is not None
    url = page.resolve().as_uri() + (f"#{fragment}" if fragment else "")
    profile = tmp_path / f"profile-{time.monotonic_ns()}"
    cmd = [
        CHROMIUM,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        "--dump-dom",
        url,
    ]
    try:
        run = subprocess.run(
            cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"chromium did not finish in 60 s on {url}; stderr:\n{e.stderr!r}")
    assert run.returncode == 0, f"chromium exited {run.returncode}:\n{run.stderr}"
    console = [line for line in run.stderr.splitlines() if CONSOLE.search(line)]
    return run.stdout, console


class Browser:
    """Headless chromium driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``:
    JSON messages ended by NUL on file descriptors 3 and 4; no port is opened).

    One tab; :meth:`open` loads a page afresh, :meth:`js` evaluates an expression in it
    (DevTools evaluation is not subject to the page's CSP) and :meth:`problems` lists
    what the page's console and the security checks reported since the last load.
    """

    def __init__(self, chromium: str, profile: Path) -> None:
        to_chrome = os.pipe()
        from_chrome = os.pipe()

        def wire() -> None:  # in the child: the pipes become its fds 3 and 4
            read = fcntl.fcntl(to_chrome[0], fcntl.F_DUPFD, 10)
            write = fcntl.fcntl(from_chrome[1], fcntl.F_DUPFD, 10)
            os.dup2(read, 3)
            os.dup2(write, 4)

        self.proc = subprocess.Popen(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-pipe"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            preexec_fn=wire,
        )
        os.close(to_chrome[0])
        os.close(from_chrome[1])
        self._out, self._in = to_chrome[1], from_chrome[0]
        self._id = 0
        self._replies: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self._cv = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Runtime", "Log", "Page"):
            self.send(f"{domain}.enable")
        self._loads = 0

    def _read(self) -> None:
        buffer = b""
        while chunk := os.read(self._in, 1 << 16):
            *messages, buffer = (buffer + chunk).split(b"\0")
            with self._cv:
                for raw in messages:
                    message = json.loads(raw)
                    if "id" in message:
                        self._replies[message["id"]] = message
                    else:
                        self.events.append(message)
                self._cv.notify_all()

    def call(self, method: str, params: dict[str, Any] | None = None, **extra: Any) -> Any:
        with self._cv:
            self._id += 1
            ident = self._id
        message = {"id": ident, "method": method, "params": params or {}, **extra}
        os.write(self._out, json.dumps(message).encode() + b"\0")
        with self._cv:
            if not self._cv.wait_for(lambda: ident in self._replies, timeout=60):
                raise TimeoutError(f"chromium did not answer {method}")
            reply = self._replies.pop(ident)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def send(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """A command to the tab."""
        return self.call(method, params, sessionId=self.session)

    def js(self, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise RuntimeError(json.dumps(result["exceptionDetails"])[:2000])
        return result["result"].get("value")

    def open(self, page: Path, fragment: str = "") -> None:
        """Load ``page`` afresh (a new document even when only the fragment differs)."""
        self._loads += 1
        url = f"{page.resolve().as_uri()}?load={self._loads}" + (f"#{fragment}" if fragment else "")
        with self._cv:
            self.events.clear()
        self.js("document.documentElement.dataset.leaving = '1'")
        self.send("Page.navigate", {"url": url})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.js(
                    "!document.documentElement.dataset.leaving && document.readyState === 'complete'"
                ):
                    return
            except RuntimeError:  # the old document went away mid-question
                pass
            time.sleep(0.02)
        raise TimeoutError(f"{url} did not load in 60 s")

    def problems(self) -> list[str]:
        """Uncaught errors, console errors and warnings, CSP violations since :meth:`open`."""
        out = []
        with self._cv:
            events = list(self.events)
        for e in events:
            p = e.get("params", {})
            if e["method"] == "Runtime.exceptionThrown":
                out.append(p["exceptionDetails"].get("exception", {}).get("description", "error"))
            elif e["method"] == "Runtime.consoleAPICalled" and p["type"] in ("error", "warning"):
                out.append(" ".join(str(a.get("value", a.get("description"))) for a in p["args"]))
            elif e["method"] == "Log.entryAdded" and p["entry"]["level"] in ("error", "warning"):
                out.append(p["entry"]["text"])
        return out

    def close(self) -> None:
        with contextlib.suppress(OSError, RuntimeError, TimeoutError):
            self.call("Browser.close")
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._out)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Any:
    if CHROMIUM is None:
        pytest.skip("headless browser test needs Debian's chromium (apt-get install chromium)")
    b = Browser(CHROMIUM, tmp_path_factory.mktemp("chromium-profile"))
    yield b
    b.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The test reports written as pages (a non-ASCII name with a space, as users have)."""
    folder = tmp_path_factory.mktemp("html")
    out = {}
    for name, make in (
        ("sample", sample_report),
        ("long", long_report),
        ("synthetic", synthetic_report),
        ("empty", lambda: DuplicateReport([])),
    ):
        out[name] = folder / f"重复 {name}.html"
        make().to_html(out[name])
    return out


def ready(browser: Browser) -> None:
    """The page's script ran to the end, and nothing complained."""
    assert browser.problems() == []
    body = browser.js("[document.body.dataset.ready, document.body.dataset.errors]")
    assert body == ["1", None]


def shown_clusters(dom: str) -> tuple[str, list[str]]:
    doc = Elements(dom)
    visible = [c["id"] or "" for c in doc.find("section", "cluster") if "hidden" not in c]
    return doc.text_by_id["shown"], visible


STATE = """(() => ({
  shown: document.getElementById("shown").textContent,
  ids: Array.from(document.querySelectorAll("#clusters .cluster"), s => s.id),
  range: document.querySelector(".pager .range").textContent,
  pager: !document.querySelector(".pager").hidden,
  prev: document.querySelector(".pager [data-go=prev]").disabled,
  next: document.querySelector(".pager [data-go=next]").disabled,
  hash: location.hash,
  none: !document.getElementById("none-shown").hidden,
}))()"""


@needs_chromium
def test_browser_runs_the_page(pages: dict[str, Path], tmp_path: Path) -> None:
    dom, console = dump_dom(pages["sample"], tmp_path)
    assert console == []
    body = Elements(dom).find("body")[0]
    assert body.get("data-ready") == "1"
    assert "data-errors" not in body, body["data-errors"]
    assert "data-pwned" not in body
    assert dom.count('class="cluster"') == 4
    assert shown_clusters(dom) == ("4 clusters", ["c0001", "c0002", "c0003", "c0004"])
    assert not Elements(dom).find("img")
    # The texts reached the DOM intact: Chinese, escaped markup, the diff marks.
    assert "&lt;script&gt;document.body.dataset.pwned" in dom
    assert '<mark title="kept copy: 群众">人民</mark>' in dom


@needs_chromium
@pytest.mark.parametrize("name", ["sample", "long", "synthetic", "empty"])
def test_browser_renders_what_python_rendered(
    browser: Browser, pages: dict[str, Path], name: str
) -> None:
    """The script renders a cluster exactly as Python does: the first page, once the
    script replaced it, is the same DOM (so the page reads the same without the script)."""
    browser.open(pages[name])
    ready(browser)
    dom = browser.js("document.getElementById('clusters').outerHTML")
    python = main_of(pages[name].read_text(encoding="utf-8"))
    assert Tree(dom).items == Tree(python).items


@needs_chromium
@pytest.mark.parametrize(
    ("filters", "count", "visible"),
    [
        ({"file": "b.txt", "min": "0.9"}, "1 of 4 (file b.txt, similarity ≥ 0.90)", ["c0002"]),
        # b.txt holds the kept copy of c0003: the pair counts for the file.
        ({"file": "b.txt"}, "3 of 4 (file b.txt)", ["c0001", "c0002", "c0003"]),
        ({"min": "0.9"}, "3 of 4 (similarity ≥ 0.90)", ["c0001", "c0002", "c0004"]),
        ({"file": C_FILE}, f"1 of 4 (file {C_FILE})", ["c0001"]),
        (
            {"file": EVIL_FILE, "min": "0.5"},
            f"1 of 4 (file {EVIL_FILE}, similarity ≥ 0.50)",
            ["c0003"],
        ),
        ({"min": "0.99", "file": "e"}, "0 of 4 (file e, similarity ≥ 0.99)", []),
        # An unknown file falls back to all files; min is clamped to 0..1.
        ({"file": "nope.txt", "min": "7"}, "2 of 4 (similarity ≥ 1.00)", ["c0001", "c0002"]),
    ],
)
def test_browser_filters_from_url_fragment(
    browser: Browser,
    pages: dict[str, Path],
    filters: dict[str, str],
    count: str,
    visible: list[str],
) -> None:
    browser.open(pages["sample"], urlencode(filters))
    ready(browser)
    state = browser.js(STATE)
    expected_text = count.replace(" (", " clusters match (", 1)  # "1 of 4 clusters match (...)"
    assert (state["shown"], state["ids"]) == (expected_text, visible)
    assert state["none"] == (not visible)
    assert not state["pager"]


@needs_chromium
def test_browser_turns_pages(browser: Browser, pages: dict[str, Path]) -> None:
    report = synthetic_report()
    order = [c[0] for c in expected(report)]
    browser.open(pages["synthetic"])
    ready(browser)
    state = browser.js(STATE)
    assert state["ids"] == order[:50] and state["shown"] == "130 clusters"
    assert (state["range"], state["prev"], state["next"]) == ("Clusters 1–50 of 130", True, False)
    browser.js("document.querySelector('.pager [data-go=next]').click()")
    state = browser.js(STATE)
    assert state["ids"] == order[50:100] and state["hash"] == "#page=2"
    assert (state["range"], state["prev"], state["next"]) == (
        "Clusters 51–100 of 130",
        False,
        False,
    )
    # The page number box, in the bottom pager: both pagers follow.
    browser.js(
        "var i = document.querySelectorAll('.pager .page-no')[1]; i.value = '3';"
        "i.dispatchEvent(new Event('change'))"
    )
    state = browser.js(STATE)
    assert state["ids"] == order[100:] and state["next"] and state["hash"] == "#page=3"
    assert (
        browser.js("Array.from(document.querySelectorAll('.pager .range'), r => r.textContent)")
        == ["Clusters 101–130 of 130"] * 2
    )
    # A filter starts again at page 1; the page is kept in the address.
    browser.js(
        "var s = document.getElementById('f-file'); s.value = 'rare.txt';"
        "s.dispatchEvent(new Event('change'))"
    )
    state = browser.js(STATE)
    assert (
        state["ids"] == [order[0]] and state["shown"] == "1 of 130 clusters match (file rare.txt)"
    )
    assert not state["pager"] and state["hash"] == "#file=rare.txt"
    # Opened at page 3 from the address; a page past the end shows the last.
    for fragment, ids in (("page=3", order[100:]), ("page=99&min=0", order[100:])):
        browser.open(pages["synthetic"], fragment)
        ready(browser)
        assert browser.js(STATE)["ids"] == ids
    assert browser.problems() == []


@needs_chromium
def test_browser_more_copies_and_whole_text(browser: Browser, pages: dict[str, Path]) -> None:
    browser.open(pages["synthetic"])
    big = expected(synthetic_report())[0]
    assert len(big[2]) == 460
    count = "document.querySelectorAll('#clusters .cluster')[0].querySelectorAll('.member').length"
    more = "document.querySelectorAll('#clusters .cluster')[0].querySelector('.more')"
    assert browser.js(count) == 4
    assert browser.js(f"{more}.textContent") == "4 of 460 copies shown. Show 200 more"
    browser.js(f"{more}.querySelector('button').click()")
    assert browser.js(count) == 204
    assert browser.js(f"{more}.textContent") == "204 of 460 copies shown. Show 200 more"
    # Focus moved to the first copy shown by the click.
    assert browser.js("document.activeElement.getAttribute('aria-label')") == "text of copy 5"
    browser.js(f"{more}.querySelector('button').click()")
    assert browser.js(f"{more}.textContent") == "404 of 460 copies shown. Show 56 more"
    browser.js(f"{more}.querySelector('button').click()")
    assert browser.js(count) == 460 and browser.js(f"{more} === null")
    # Expanded clusters stay expanded when the reader comes back to their page.
    browser.js("document.querySelector('.pager [data-go=next]').click()")
    browser.js("document.querySelector('.pager [data-go=prev]').click()")
    assert browser.js(count) == 460

    # A long text: shortened, then whole, with every difference marked.
    clusters = expected(synthetic_report())
    cluster, member_index = next(
        (i, j)
        for i, (_, _, rows) in enumerate(clusters[:50])
        for j, row in enumerate(rows[: 1 + PREVIEW_COPIES])
        if u16(row["text"]) > TEXT_PREVIEW + 200 and row["text"] != rows[0]["text"]
    )
    li = (
        f"document.querySelectorAll('#clusters .cluster')[{cluster}]"
        f".querySelectorAll('.member')[{member_index}]"
    )
    text = f"{li}.querySelector('.text')"
    shortened = browser.js(f"{text}.innerHTML")
    assert u16(shown_text(shortened)) <= TEXT_PREVIEW
    note = browser.js(f"{li}.querySelector('.cut').textContent")
    assert note.startswith("Shortened: ") and note.endswith(". Show whole text")
    browser.js(f"{li}.querySelector('.whole-text').click()")
    whole = browser.js(f"{text}.innerHTML")
    assert shown_text(whole) == clusters[cluster][2][member_index]["text"]

    def marks(div: str) -> int:
        return div.count("<mark") + div.count("<ins>") + div.count("<del>")

    assert (marks(whole) > marks(shortened)) == ("more difference" in note)
    assert browser.js(f"{li}.querySelector('.cut') === null")
    assert browser.js("document.activeElement.className") == "text"
    assert browser.problems() == []


@needs_chromium
def test_browser_filter_shows_the_matching_copies_first(
    browser: Browser, pages: dict[str, Path]
) -> None:
    """The only copy in rare.txt is copy 301 of 460: filtered by that file, the cluster
    shows it next to the kept copy without a click."""
    big = expected(synthetic_report())[0]
    browser.open(pages["synthetic"], "file=rare.txt")
    ready(browser)
    files = browser.js(
        "Array.from(document.querySelectorAll('#clusters .member'), li => li.dataset.file)"
    )
    assert files[0] == big[2][0]["file"] and "rare.txt" in files
    labels = browser.js(
        "Array.from(document.querySelectorAll('#clusters .text'), t => t.getAttribute('aria-label'))"
    )
    assert "text of copy 301" in labels
    # Asking for more keeps it, in its place in the list.
    browser.js("document.querySelector('#clusters .more-copies').click()")
    labels = browser.js(
        "Array.from(document.querySelectorAll('#clusters .text'), t => t.getAttribute('aria-label'))"
    )
    assert labels[:201] == [f"text of copy {i}" for i in range(1, 202)]
    assert labels[201:] == ["text of copy 301"]


@needs_chromium
def test_browser_opens_a_cluster_by_id(browser: Browser, pages: dict[str, Path]) -> None:
    """``page.html#c0042`` shows the page holding cluster c0042, scrolled to it and outlined,
    clearing a filter that hides it."""
    order = [c[0] for c in expected(synthetic_report())]
    target = order[120]
    browser.open(pages["synthetic"], target)
    ready(browser)
    state = browser.js(STATE)
    assert state["ids"] == order[100:] and state["range"] == "Clusters 101–130 of 130"
    assert browser.js(f"document.getElementById('{target}').classList.contains('target')")
    top = browser.js(f"document.getElementById('{target}').getBoundingClientRect().top")
    controls = browser.js("document.querySelector('.controls').offsetHeight")
    assert controls <= top <= controls + 40  # in view, below the sticky controls
    # Going there from a filtered view that hides it: the filter is cleared.
    browser.js(
        "var s = document.getElementById('f-file'); s.value = 'rare.txt';"
        "s.dispatchEvent(new Event('change'))"
    )
    browser.js(f"location.hash = '{target}'; new Promise(r => setTimeout(r, 100))")
    state = browser.js(STATE)
    assert target in state["ids"] and state["shown"] == "130 clusters"
    # An id that is not a cluster is left to the browser.
    browser.open(pages["synthetic"], "nothing-here")
    ready(browser)
    assert browser.js(STATE)["ids"] == order[:50]


@needs_chromium
def test_browser_reaches_every_cluster(browser: Browser, pages: dict[str, Path]) -> None:
    """Page by page, every button clicked: the page shows every copy of every cluster, with
    its file, lines, title, similarity and whole text, as the report says."""
    browser.open(pages["synthetic"])
    ready(browser)
    walked = browser.js(
        """(() => {
  const out = [], next = document.querySelector(".pager [data-go=next]");
  for (;;) {
    let b;
    while ((b = document.querySelector("#clusters .more-copies, #clusters .whole-text"))) b.click();
    for (const sec of document.querySelectorAll("#clusters .cluster")) {
      const rows = Array.from(sec.querySelectorAll(".member"), li => {
        const text = li.querySelector(".text").cloneNode(true), title = li.querySelector(".title");
        text.querySelectorAll("del").forEach(d => d.remove());
        const lines = li.querySelector(".lines"), sim = li.querySelector(".sim");
        return {file: li.querySelector(".file").textContent, lines: lines.textContent,
                chars: lines.title, title: title && title.textContent, sim: sim.textContent,
                sim_title: sim.title, data_sim: li.dataset.sim,
                kept: li.classList.contains("kept"), text: text.textContent};
      });
      out.push([sec.id, sec.dataset.kind, rows]);
    }
    if (next.disabled) return out;
    next.click();
  }
})()"""
    )
    assert [tuple(c) for c in walked] == expected(synthetic_report())
    assert browser.problems() == []


@needs_chromium
def test_browser_prints_whole_texts(browser: Browser, pages: dict[str, Path]) -> None:
    browser.open(pages["long"])
    assert browser.js("document.querySelectorAll('.whole-text').length") == 2
    browser.js("window.dispatchEvent(new Event('beforeprint'))")
    assert browser.js("document.querySelectorAll('.whole-text, .ellipsis').length") == 0
    text = browser.js("document.querySelectorAll('#clusters .text')[1].innerHTML")
    assert shown_text(text) == LONG
    assert browser.problems() == []


@needs_chromium
def test_browser_check_sees_script_errors(tmp_path: Path, browser: Browser) -> None:
    """The checks above are not vacuous: a page whose scripts fail is caught."""
    page = render_html(sample_report())
    # An injected script (blocked by the CSP) and a missing element the page's script needs.
    page = page.replace('<main id="clusters">', '<main id="clusters"><script>alert(1)</script>')
    page = page.replace('id="f-min-out"', 'id="renamed"')
    bad = tmp_path / "bad.html"
    bad.write_text(page, encoding="utf-8")
    dom, console = dump_dom(bad, tmp_path)
    assert any("Content Security Policy" in line for line in console), console
    assert any("Uncaught TypeError" in line for line in console), console
    body = Elements(dom).find("body")[0]
    assert "data-ready" not in body
    assert "TypeError" in (body.get("data-errors") or "")
    browser.open(bad)
    problems = browser.problems()
    assert any("Content Security Policy" in p for p in problems), problems
    assert any("TypeError" in p for p in problems), problems
