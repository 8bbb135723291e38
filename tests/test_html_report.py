"""The HTML duplicate report: its markup, escaping and diff, and the page in a real browser.

The browser tests run Debian's headless ``chromium`` on the page from ``file://``
and read the DOM it dumps after the page's script ran; they skip when
``chromium`` is not installed (``.ci/run`` installs it).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import shutil
import subprocess
import time
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import pytest

from textwash.dedup import html as report_html
from textwash.dedup.html import diff_html, render_html, similarity_label
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
    """One cluster whose copy is 60 lines long."""
    kept = member("k", LONG.replace("亟待", "有待"), 1.0, "exact", kept=True)
    return DuplicateReport([Cluster("c0001", "near", (kept, member("l", LONG, 0.91, "jaccard")))])


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


# -- the markup -------------------------------------------------------------------------


def test_page_skeleton() -> None:
    page = render_html(sample_report())
    assert page.startswith('<!DOCTYPE html>\n<html lang="zh">')
    assert '<meta charset="utf-8">' in page
    assert page.count("<style>") == 1
    assert page.count("<script") == 2 and "<script src" not in page
    assert page.rstrip().endswith("</html>")
    doc = Elements(page)
    assert [t for t, _ in doc.tags].count("main") == 1
    assert doc.text_by_id["shown"] == "4 of 4 clusters shown"


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
    ids = re.findall(r'<section class="cluster" id="([^"]+)"', render_html(report))
    assert ids == ["c3", "c1", "c2"]


def test_member_details() -> None:
    page = render_html(sample_report())
    blocks = member_blocks(page)
    kept = blocks[("c0001", "a.txt")]
    assert "line 3<" in kept and "kept copy" in kept and 'class="member kept"' in kept
    near = blocks[("c0001", "b.txt")]
    assert "line 7<" in near and "《基层治理》" in near and "Jaccard 0.86" in near
    assert 'class="member copy"' in near and 'data-sim="0.86"' in near
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
    assert page.count("<script") == 2
    doc = Elements(page)
    assert [t for t, _ in doc.tags].count("script") == 2
    # The hostile file name round-trips through attributes and option labels.
    assert EVIL_FILE in [o["value"] for o in doc.find("option")]
    assert EVIL_FILE in [li["data-file"] for li in doc.find("li", "member")]
    blocks = member_blocks(page)
    # The changed character sits next to escaped markup, never inside a tag.
    copy = text_div(blocks[("c0004", "e")])
    assert copy.startswith('脚本测<mark title="kept copy: 试">验</mark>&lt;script&gt;')


def test_no_network_references() -> None:
    page = render_html(sample_report())
    resource_attrs = {"src", "href", "action", "formaction", "srcset", "poster", "data", "ping"}
    assert not [a for _, a in Elements(page).tags if resource_attrs & a.keys()]
    code = "".join(re.findall(r"<(?:script|style)>(.*?)</(?:script|style)>", page, re.S))
    for needle in ("url(", "@import", "fetch(", "XMLHttpRequest", "import(", "http"):
        assert needle not in code, needle
    # The only http(s) text is the URL quoted inside a passage, escaped.
    assert page.count("https://") == 2 * HOSTILE.count("https://")
    assert "http://" not in page
    assert "https://example.com/a?b=1&amp;c=2" in page


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


def test_long_text_shown_whole_in_a_scroll_box() -> None:
    page = render_html(long_report())
    copy = text_div(member_blocks(page)[("c0001", "l")])
    assert re.sub(r"<[^>]+>", "", copy) == LONG
    assert copy.count("<mark") == 60
    assert re.search(r"\.text\{[^}]*max-height:[^}]*overflow:auto", page)
    assert '<div class="text" lang="zh" tabindex="0" role="region"' in page


def test_too_long_to_diff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_html, "MAX_DIFF_CELLS", 10)
    page = render_html(sample_report())
    near = member_blocks(page)[("c0001", "b.txt")]
    assert "Too long to compare" in near and text_div(near) == NEAR_TEXT


def test_empty_report_and_lone_surrogates() -> None:
    page = render_html(DuplicateReport([]))
    assert "No duplicated passages were found." in page
    assert "0 of 0 clusters shown" in page
    m = member("a", "甲\ud800乙", 1.0, "exact", kept=True)
    page = render_html(DuplicateReport([Cluster("c1", "exact", (m, replace(m, kept=False)))]))
    page.encode("utf-8")
    assert "甲\ufffd乙" in page


def test_to_html_writes_the_page(tmp_path: Path) -> None:
    report = sample_report()
    out = tmp_path / "dups.html"
    assert report.to_html(out) == out.read_text(encoding="utf-8") == render_html(report)


# -- in a real browser ------------------------------------------------------------------

CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless browser test needs Debian's chromium (apt-get install chromium)",
)
# What chromium logs for the page's console: `INFO:CONSOLE:12] "..."` (older: `CONSOLE(12)`).
CONSOLE = re.compile(r"CONSOLE[(:]|Uncaught|Content Security Policy")


def dump_dom(page: Path, tmp_path: Path, fragment: str = "") -> tuple[str, list[str]]:
    """Load ``page`` (plus ``#fragment``) in headless chromium: the DOM and console lines."""
    assert CHROMIUM is not None
    url = page.resolve().as_uri() + (f"#{fragment}" if fragment else "")
    profile = tmp_path / f"profile-{time.monotonic_ns()}"
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
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


@pytest.fixture(scope="module")
def page_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("html") / "重复 report.html"
    sample_report().to_html(out)
    return out


def shown_clusters(dom: str) -> tuple[str, list[str]]:
    doc = Elements(dom)
    visible = [c["id"] or "" for c in doc.find("section", "cluster") if "hidden" not in c]
    return doc.text_by_id["shown"], visible


@needs_chromium
def test_browser_runs_the_page(page_file: Path, tmp_path: Path) -> None:
    dom, console = dump_dom(page_file, tmp_path)
    assert console == []
    body = Elements(dom).find("body")[0]
    assert body.get("data-ready") == "1"
    assert "data-errors" not in body, body["data-errors"]
    assert "data-pwned" not in body
    assert dom.count('class="cluster"') == 4
    assert shown_clusters(dom) == ("4 of 4 clusters shown", ["c0001", "c0002", "c0003", "c0004"])
    assert not Elements(dom).find("img")
    # The texts reached the DOM intact: Chinese, escaped markup, the diff marks.
    assert "&lt;script&gt;document.body.dataset.pwned" in dom
    assert '<mark title="kept copy: 群众">人民</mark>' in dom


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
    page_file: Path, tmp_path: Path, filters: dict[str, str], count: str, visible: list[str]
) -> None:
    dom, console = dump_dom(page_file, tmp_path, urlencode(filters))
    assert console == []
    body = Elements(dom).find("body")[0]
    assert body.get("data-ready") == "1" and "data-errors" not in body
    expected_text = count.replace(" (", " clusters shown (", 1)  # "1 of 4 clusters shown (...)"
    assert shown_clusters(dom) == (expected_text, visible)
    none_shown = next(a for _, a in Elements(dom).tags if a.get("id") == "none-shown")
    assert ("hidden" in none_shown) == bool(visible)


@needs_chromium
def test_browser_check_sees_script_errors(tmp_path: Path) -> None:
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
