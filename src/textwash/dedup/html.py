"""The duplicate report as one self-contained HTML page (:meth:`DuplicateReport.to_html`).

The page has no external resources: its CSS and JavaScript are inline and a
Content-Security-Policy that allows only those blocks (by hash) forbids every
network request, so it opens the same from ``file://``, a mail attachment or a
web server.  ``docs/dedup-report.md`` describes the page.

It stays small and fast however large the report is:

* every cluster is in the page once, as compact JSON in a
  ``<script type="application/json">`` block (never executed, so the CSP does
  not apply to it): each distinct text of a cluster once, the kept copy's
  text whole and every other text as the character diff against it (so a
  copy identical to the kept one costs no text at all), and each copy as a
  short row of numbers (file, lines, offsets, similarity, which text);
* the page shows :data:`PAGE_SIZE` clusters at a time, each with its kept copy
  and the first :data:`PREVIEW_COPIES` copies (buttons show
  :data:`MORE_COPIES` more), and each text up to :data:`TEXT_PREVIEW`
  characters (a button shows it whole).  The script renders a page from the
  JSON when the reader filters, turns the page or expands something; Python
  renders the first page into the HTML too, the same markup, so the page reads
  (and paints at once) without the script.

The markup a cluster gets is written twice, here and in :data:`_JS`; the browser
tests check that both give the same DOM.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter
from collections.abc import Sequence
from difflib import SequenceMatcher
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .report import Cluster, DuplicateReport, Member

__all__ = ["diff_html", "render_html", "similarity_label"]

#: Pairs whose length product exceeds this are shown without a character diff
#: (``SequenceMatcher`` is quadratic on long texts with few distinct characters).
MAX_DIFF_CELLS = 25_000_000

#: Clusters on one page.
PAGE_SIZE = 50
#: Copies (besides the kept one) a cluster shows before "Show N more".
PREVIEW_COPIES = 3
#: Copies each "Show N more" click adds.
MORE_COPIES = 200
#: Characters (UTF-16 code units, as the browser counts) of a text shown before
#: "Show whole text"; the characters of the kept copy marked missing count too.
TEXT_PREVIEW = 1000

_SURROGATES = re.compile("[\ud800-\udfff]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")

_MEASURES = {"exact": "exact", "jaccard": "Jaccard", "containment": "containment"}

#: One difference between a copy and the kept copy: ``kept[a0:a1]`` becomes ``new``
#: (an insertion when ``a0 == a1``, a deletion when ``new`` is empty), offsets in
#: code points.
_Op = tuple[int, int, str]
#: How a text is shown: the list of differences against the kept copy, or the
#: text itself (the kept copy's own text, or a text too long to compare).
_Variant = str | list[_Op]
#: ``(tag, text, kept text)``: tag "" (unchanged), "mark", "ins" or "del".
_Segment = tuple[str, str, str]


def _opcodes(kept: str, text: str) -> list[_Op] | None:
    """The differences turning ``kept`` into ``text``; ``None`` when too long to compare."""
    if len(kept) * len(text) > MAX_DIFF_CELLS:
        return None
    matcher = SequenceMatcher(None, kept, text, autojunk=False)
    return [(a0, a1, text[b0:b1]) for op, a0, a1, b0, b1 in matcher.get_opcodes() if op != "equal"]


def _segments(kept: str, variant: _Variant) -> list[_Segment]:
    """A text as the runs the page shows: unchanged, changed, added and missing."""
    if isinstance(variant, str):
        return [("", variant, "")]
    out: list[_Segment] = []
    pos = 0
    for a0, a1, new in variant:
        if a0 > pos:
            out.append(("", kept[pos:a0], ""))
        if a0 == a1:
            out.append(("ins", new, ""))
        elif not new:
            out.append(("del", kept[a0:a1], ""))
        else:
            out.append(("mark", new, kept[a0:a1]))
        pos = a1
    if pos < len(kept):
        out.append(("", kept[pos:], ""))
    return out


def _segment_html(tag: str, text: str, kept: str) -> str:
    if not tag:
        return escape(text)
    if tag == "mark":
        return f'<mark title="kept copy: {escape(kept)}">{escape(text)}</mark>'
    return f"<{tag}>{escape(text)}</{tag}>"


def diff_html(kept: str, text: str) -> str | None:
    """``text`` escaped, with the characters where it differs from ``kept`` marked.

    Changed characters are wrapped in ``<mark>`` (the kept copy's characters in
    its ``title``), added ones in ``<ins>``; characters of ``kept`` missing here
    are shown struck through in ``<del>``.  ``None`` when the pair is too long to
    compare (see :data:`MAX_DIFF_CELLS`).

    >>> diff_html("甲乙丙丁", "甲乙丙丁")
    '甲乙丙丁'
    >>> diff_html("甲乙丙丁", "甲戊丙丁。")
    '甲<mark title="kept copy: 乙">戊</mark>丙丁<ins>。</ins>'
    >>> diff_html("甲乙丙<b>", "甲丙<b>")
    '甲<del>乙</del>丙&lt;b&gt;'
    """
    ops = _opcodes(kept, text)
    if ops is None:
        return None
    return "".join(_segment_html(*s) for s in _segments(kept, ops))


def similarity_label(member: Member) -> str:
    """How a copy compares with the kept copy, for people.

    >>> from textwash.dedup.report import Member
    >>> m = Member("a", 0, 0, 4, 1, 1, "甲乙丙丁", 0.857, "jaccard")
    >>> similarity_label(m)
    'Jaccard 0.86'
    """
    if member.kept:
        return "kept copy"
    if member.measure == "exact":
        return "exact"
    return f"{_MEASURES.get(member.measure, member.measure)} {member.similarity:.2f}"


def _file(member: Member) -> str:
    return member.source or member.doc_id


def _safe(text: str) -> str:
    """Lone surrogates (legal in JSON escapes) as U+FFFD, so the page encodes as UTF-8."""
    return _SURROGATES.sub("\ufffd", text)


def _len16(text: str) -> int:
    """Length in UTF-16 code units, as JavaScript counts."""
    return len(text) + len(_ASTRAL.findall(text))


def _cut16(text: str, units: int) -> str:
    """The longest prefix of at most ``units`` UTF-16 code units (no half character)."""
    if not _ASTRAL.search(text):
        return text[:units]
    out, used = [], 0
    for ch in text:
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > units:
            break
        out.append(ch)
    return "".join(out)


def _fmt(n: int) -> str:
    return f"{n:,}"


def _plural(n: int, word: str, words: str = "") -> str:
    """``1 cluster``, ``1,234 clusters`` (``words``: the plural when not ``word + "s"``)."""
    return f"{_fmt(n)} {word if n == 1 else words or word + 's'}"


def _attr(value: Any) -> str:
    """A value quoted for an HTML attribute (compact JSON for lists)."""
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return escape(value, quote=True)


# -- the page's data --------------------------------------------------------------------


class _Tables:
    """Strings many copies share, stored once: files, titles and similarity labels."""

    def __init__(self) -> None:
        self.files: dict[str, int] = {}
        self.titles: dict[str, int] = {}
        self.measures: dict[str, int] = {}
        self.sims: dict[tuple[int, str, str], int] = {}

    @staticmethod
    def _index(table: dict[Any, int], key: Any) -> int:
        found = table.get(key)
        if found is None:
            found = table[key] = len(table)
        return found

    def file(self, member: Member) -> int:
        return self._index(self.files, _safe(_file(member)))

    def title(self, title: str) -> int:
        return self._index(self.titles, _safe(title))

    def sim(self, member: Member) -> int:
        measure = self._index(self.measures, _safe(member.measure))
        key = (measure, f"{member.similarity:.2f}", f"{member.similarity:.4f}")
        return self._index(self.sims, key)


class _Row:
    """A cluster as the page shows it, and as its JSON row.

    ``variants[0]`` is the text of ``members[0]`` (the kept copy), the others
    the distinct texts of the other copies: their differences against it, or
    the text itself when too long to compare.  ``rows`` has one list per copy:
    ``[file, line, end_line - line, start, end - start, sim, variant, kept]``,
    and the title when the copy has one.
    """

    def __init__(self, index: int, cluster: Cluster, tables: _Tables) -> None:
        self.index = index
        self.id = _safe(cluster.id)
        self.kind = _safe(cluster.kind)
        self.members = cluster.members
        kept = _safe(cluster.members[0].text)
        self.variants: list[_Variant] = [kept]
        # A kept copy is shown as plain text, any other as its differences.
        seen: dict[tuple[str, bool], int] = {(kept, True): 0, (kept, False): 0}
        self.rows: list[list[int]] = []
        for m in cluster.members:
            text = _safe(m.text)
            v = seen.get((text, m.kept))
            if v is None:
                ops = None if m.kept else _opcodes(kept, text)
                v = seen[text, m.kept] = len(self.variants)
                self.variants.append(text if ops is None else ops)
            row = [
                tables.file(m),
                m.line,
                m.end_line - m.line,
                m.start,
                m.end - m.start,
                tables.sim(m),
                v,
                int(m.kept),
            ]
            if m.title:
                row.append(tables.title(m.title))
            self.rows.append(row)

    def to_json(self) -> list[Any]:
        kept = self.variants[0]
        assert isinstance(kept, str)
        to16 = _utf16_offsets(kept)
        variants: list[Any] = [
            v if isinstance(v, str) else [[to16(a0), to16(a1), new] for a0, a1, new in v]
            for v in self.variants
        ]
        return [self.id, self.kind, variants, self.rows]


def _utf16_offsets(text: str) -> Any:
    """Code-point offsets into ``text`` -> UTF-16 offsets (the browser's string indices)."""
    if not _ASTRAL.search(text):
        return lambda i: i
    prefix = [0]
    for ch in text:
        prefix.append(prefix[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return prefix.__getitem__


def _page_data(rows: list[_Row], tables: _Tables) -> str:
    """The JSON the script reads, safe inside ``<script>`` (every ``<`` escaped)."""
    measures = list(tables.measures)
    data = {
        "config": {
            "page": PAGE_SIZE,
            "preview": PREVIEW_COPIES,
            "more": MORE_COPIES,
            "cut": TEXT_PREVIEW,
        },
        "files": list(tables.files),
        "titles": list(tables.titles),
        "measures": measures,
        "sims": [[m, s2, s4] for m, s2, s4 in tables.sims],
        "clusters": [r.to_json() for r in rows],
    }
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c")


# -- the first page, as the script would render it --------------------------------------


def _render_text(row: _Row, j: int) -> str:
    """A copy's text box, shortened to :data:`TEXT_PREVIEW` characters with a button."""
    kept_text = row.variants[0]
    assert isinstance(kept_text, str)
    segs = _segments(kept_text, row.variants[row.rows[j][6]])
    lengths = [_len16(s[1]) for s in segs]
    body: list[str] = []
    cut = ""
    if sum(lengths) <= TEXT_PREVIEW:
        body = [_segment_html(*s) for s in segs]
    else:
        used = 0
        for k, (seg, n) in enumerate(zip(segs, lengths, strict=True)):
            if used + n <= TEXT_PREVIEW:
                body.append(_segment_html(*seg))
                used += n
                continue
            part = _cut16(seg[1], TEXT_PREVIEW - used)
            if part:
                body.append(_segment_html(seg[0], part, seg[2]))
            rest = segs[k:]
            more_chars = sum(_len16(s[1]) for s in rest if s[0] != "del")
            if seg[0] != "del":
                more_chars -= _len16(part)
            more_diffs = sum(1 for s in rest if s[0]) - (1 if part and seg[0] else 0)
            break
        body.append('<span class="ellipsis" aria-hidden="true">…</span>')
        diffs = f", {_plural(more_diffs, 'more difference')}" if more_diffs else ""
        cut = (
            f'<p class="cut">Shortened: {_plural(more_chars, "more character")}{diffs}. '
            f'<button type="button" class="whole-text" data-c="{row.index}" data-m="{j}">'
            "Show whole text</button></p>"
        )
    return (
        f'<div class="text" lang="zh" tabindex="0" role="region" '
        f'aria-label="text of copy {j + 1}">{"".join(body)}</div>{cut}'
    )


def _render_member(row: _Row, j: int) -> str:
    member = row.members[j]
    r = row.rows[j]
    file = _safe(_file(member))
    s2 = f"{member.similarity:.2f}"
    end_line = member.line + r[2]
    lines = f"line {member.line}" if r[2] == 0 else f"lines {member.line}–{end_line}"
    meta = [
        f'<span class="file">{escape(file)}</span>',
        f'<span class="lines" title="characters {member.start}–{member.start + r[4]}">'
        f"{lines}</span>",
    ]
    if member.title:
        meta.append(f'<span class="title" lang="zh">《{escape(_safe(member.title))}》</span>')
    meta.append(
        f'<span class="sim" title="{_attr(_safe(member.measure))} {member.similarity:.4f}">'
        f"{escape(_safe(similarity_label(member)))}</span>"
    )
    note = ""
    if not member.kept and r[6] and isinstance(row.variants[r[6]], str):
        note = '<p class="note">Too long to compare character by character.</p>'
    role = "kept" if member.kept else "copy"
    return (
        f'<li class="member {role}" data-file="{_attr(file)}" data-sim="{s2}">'
        f'<h3 class="meta" lang="en">{" ".join(meta)}</h3>{note}{_render_text(row, j)}</li>'
    )


def _to_remove(members: Sequence[Member]) -> int:
    """Copies not kept: none in a ``numbers`` cluster whose copies are all kept."""
    return sum(not m.kept for m in members)


def _render_cluster(row: _Row) -> str:
    """A cluster as the first page shows it (no filter): the kept copy and the first copies."""
    members = row.members
    n = len(members)
    files = list(dict.fromkeys(_safe(_file(m)) for m in members))
    sims = [m.similarity for m in members[1:]]
    min_sim = f"{min(sims):.2f}" if sims else "1.00"
    shown = min(n, 1 + PREVIEW_COPIES)
    items = "".join(_render_member(row, j) for j in range(shown))
    more = ""
    if shown < n:
        add = min(n, 1 + PREVIEW_COPIES + MORE_COPIES) - shown
        more = (
            f'<p class="more">{_fmt(shown)} of {_plural(n, "copy", "copies")} '
            f'shown. <button type="button" class="more-copies" data-c="{row.index}">'
            f"Show {_fmt(add)} more</button></p>"
        )
    cid = _attr(row.id)
    return (
        f'<section class="cluster" id="{cid}" data-size="{n}" '
        f'data-kind="{_attr(row.kind)}" data-files="{_attr(files)}" '
        f'data-min-sim="{min_sim}" aria-labelledby="{cid}-h">'
        f'<h2 id="{cid}-h" lang="en"><span class="cid">{escape(row.id)}</span> '
        f'<span class="kind kind-{_attr(row.kind)}">{escape(row.kind)}</span> '
        f'<span class="size">{n} copies, {_to_remove(row.members)} to remove</span></h2>'
        f'<ol class="members">{items}</ol>{more}</section>'
    )


def _render_header(report: DuplicateReport, clusters: Sequence[Cluster]) -> str:
    stats = report.stats
    kinds = Counter(c.kind for c in clusters)
    numbers: list[tuple[str, Any]] = [(k, stats[k]) for k in ("documents", "units") if k in stats]
    numbers += [
        ("clusters", len(clusters)),
        *sorted(kinds.items()),
        ("copies to remove", sum(_to_remove(c.members) for c in clusters)),
        ("duplicated characters", report.duplicated_chars),
    ]
    seconds = stats.get("seconds")
    if isinstance(seconds, dict) and seconds:
        numbers.append(("seconds", f"{sum(seconds.values()):.2f}"))
    stat_html = "".join(
        f"<div><dt>{escape(k)}</dt><dd>{escape(str(v))}</dd></div>" for k, v in numbers
    )
    params = "".join(
        f"<li><span>{escape(str(k))}</span> {escape(json.dumps(v, ensure_ascii=False))}</li>"
        for k, v in report.params.items()
    )
    param_html = f'<ul class="params" aria-label="parameters">{params}</ul>' if params else ""
    return (
        f'<header lang="en"><h1>Duplicate passages</h1>'
        f'<dl class="stats">{stat_html}</dl>{param_html}</header>'
    )


def _render_pager(total: int, where: str) -> str:
    """Page 1 of the page buttons; the script keeps them up to date."""
    pages = max(1, -(-total // PAGE_SIZE))
    last = min(total, PAGE_SIZE)
    hidden = " hidden" if pages <= 1 else ""
    return (
        f'<nav class="pager" aria-label="pages ({where})"{hidden}>'
        '<button type="button" data-go="prev" disabled>‹ Previous</button> '
        f'<span class="range">Clusters {1 if total else 0}–{_fmt(last)} of {_fmt(total)}</span> '
        f'<label>Page <input class="page-no" type="number" min="1" max="{pages}" value="1">'
        f' of <span class="pages">{_fmt(pages)}</span></label> '
        f'<button type="button" data-go="next"{"" if pages > 1 else " disabled"}>Next ›</button>'
        "</nav>"
    )


def _render_filters(clusters: Sequence[Cluster]) -> str:
    counts = Counter(f for c in clusters for f in dict.fromkeys(_file(m) for m in c.members))
    options = "".join(
        f'<option value="{_attr(_safe(f))}">{escape(_safe(f))} ({n})</option>'
        for f, n in sorted(counts.items())
    )
    total = len(clusters)
    return (
        '<div class="controls" lang="en">'
        '<form class="filters" role="search" aria-label="Filter clusters">'
        '<label>File <select id="f-file"><option value="">all files</option>'
        f"{options}</select></label>"
        '<label>Minimum similarity <input id="f-min" type="range" min="0" max="1" '
        'step="0.01" value="0"> <output id="f-min-out" for="f-min">0.00</output></label>'
        '<button type="reset" id="f-reset">Show all</button></form>'
        f'<div class="bar"><p id="shown" role="status" aria-live="polite">'
        f"{_plural(total, 'cluster')}</p>{_render_pager(total, 'top')}</div>"
        '<p class="legend">Compared with the kept copy: <mark>changed</mark> '
        "<ins>added</ins> <del>missing</del></p></div>"
    )


def render_html(report: DuplicateReport) -> str:
    """The report as a self-contained HTML5 page (``lang="zh"``, UTF-8).

    Clusters are listed largest first (ties by id), each copy with its file,
    lines, essay title, similarity and its text diffed against the kept copy,
    :data:`PAGE_SIZE` clusters a page.  Lone surrogates in the texts come out
    as U+FFFD so the page encodes as UTF-8.

    For scripts and tests: every cluster is in the JSON of
    ``<script type="application/json" id="report-data">`` (see :class:`_Row`);
    each cluster on the page is a ``<section class="cluster">`` with
    ``data-size``, ``data-kind``, ``data-files`` (a JSON list) and
    ``data-min-sim`` (the lowest similarity among its copies to remove); each
    copy shown an ``<li class="member kept|copy">`` with ``data-file`` and
    ``data-sim``.  Once the script ran, ``<body>`` has ``data-ready="1"``;
    script errors are collected in its ``data-errors``.

    >>> from textwash.dedup.report import Cluster, DuplicateReport, Member
    >>> kept = Member("a", 0, 0, 4, 1, 1, "甲乙丙丁", 1.0, "exact", kept=True)
    >>> copy = Member("b", 0, 0, 4, 3, 3, "甲乙丙戊", 0.75, "jaccard", source="b.txt")
    >>> page = render_html(DuplicateReport([Cluster("c0001", "near", (kept, copy))]))
    >>> page.count('class="cluster"'), '甲乙丙<mark title="kept copy: 丁">戊</mark>' in page
    (1, True)
    """
    clusters = sorted(report.clusters, key=lambda c: (-len(c.members), c.id))
    tables = _Tables()
    rows = [_Row(i, c, tables) for i, c in enumerate(clusters)]
    body = "".join(_render_cluster(r) for r in rows[:PAGE_SIZE])
    if not rows:
        body = '<p class="empty" lang="en">No duplicated passages were found.</p>'
    title = f"Duplicate passages: {len(rows)} clusters"
    noscript = (
        '<noscript><p class="noscript" lang="en">Without JavaScript this page shows the first '
        f"{_fmt(min(len(rows), PAGE_SIZE))} of {_plural(len(rows), 'cluster')}, with the first "
        f"{PREVIEW_COPIES} copies of each and long texts shortened, and cannot filter. "
        "The JSON report has everything.</p></noscript>"
    )
    page = (
        "<!DOCTYPE html>\n"
        '<html lang="zh"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light dark">'
        '<meta name="generator" content="textwash">'
        f"<title>{escape(title)}</title>"
        f"<script>{_ERRORS_JS}</script><style>{_CSS}</style></head>\n"
        f"<body>{_render_header(report, clusters)}{noscript}{_render_filters(clusters)}"
        f'<main id="clusters">{body}'
        '<p id="none-shown" class="empty" lang="en" hidden>No cluster matches these filters.</p>'
        f"</main>{_render_pager(len(rows), 'bottom')}\n"
        f'<script type="application/json" id="report-data">{_page_data(rows, tables)}</script>\n'
        f"<script>{_JS}</script></body></html>\n"
    )
    # Every text was made safe above; this catches the header's parameters.
    return _safe(page)


# -- the page's inline CSS and JavaScript ---------------------------------------------

_CSS = """
:root{--fg:#1d1d1f;--muted:#5f6368;--bg:#fff;--panel:#f6f7f9;--line:#d8dbe0;
--mark:#ffe27a;--ins:#c9f2cf;--del:#b3261e;--accent:#1a5fb4;
font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei",
"Hiragino Sans GB",system-ui,sans-serif;line-height:1.6;color:var(--fg);background:var(--bg)}
@media (prefers-color-scheme:dark){:root{--fg:#e8eaed;--muted:#a8adb4;--bg:#17181a;
--panel:#222427;--line:#3c4043;--mark:#7a5d00;--ins:#1f5a2a;--del:#f28b82;--accent:#8ab4f8}}
body{max-width:78rem;margin:0 auto;padding:1rem 1.5rem 3rem}
h1{font-size:1.5rem;margin:.5rem 0}
.stats{display:flex;flex-wrap:wrap;gap:.25rem 1.5rem;margin:.5rem 0}
.stats div{display:flex;flex-direction:column}
.stats dt{font-size:.8rem;color:var(--muted)}.stats dd{margin:0;font-size:1.2rem;font-weight:600}
.params{list-style:none;padding:0;margin:.5rem 0;display:flex;flex-wrap:wrap;gap:.2rem 1rem;
font-size:.85rem;color:var(--muted)}
.params span{font-weight:600}
.noscript{border:1px solid var(--line);border-radius:6px;padding:.5rem 1rem;background:var(--panel)}
.controls{position:sticky;top:0;z-index:1;background:var(--bg);border-bottom:1px solid var(--line);
padding:.5rem 0;margin-bottom:1rem}
.filters{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.5rem}
select,input,button{font:inherit}select{max-width:28rem}
#f-min{vertical-align:middle}#f-min-out{display:inline-block;min-width:2.5em}
.bar{display:flex;flex-wrap:wrap;align-items:center;gap:.25rem 2rem}
#shown{margin:.25rem 0;font-weight:600}.legend{margin:.25rem 0;font-size:.85rem;color:var(--muted)}
.pager{display:flex;flex-wrap:wrap;align-items:center;gap:.25rem 1rem;margin:.25rem 0}
.pager .range{font-variant-numeric:tabular-nums}.page-no{width:5em}
main+.pager{margin:1rem 0}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.cluster{border:1px solid var(--line);border-radius:6px;padding:.5rem 1rem;margin:0 0 1.25rem}
.cluster.target{border-color:var(--accent);box-shadow:0 0 0 2px var(--accent)}
.cluster h2{font-size:1.05rem;margin:.25rem 0 .5rem;display:flex;flex-wrap:wrap;gap:.75rem}
.cid{font-family:ui-monospace,monospace}
.kind{padding:0 .5em;border-radius:1em;background:var(--panel);border:1px solid var(--line);
font-weight:400}
.size{font-weight:400;color:var(--muted)}
.members{list-style:none;padding:0;margin:0;display:grid;gap:.75rem;
grid-template-columns:repeat(auto-fill,minmax(min(100%,26rem),1fr))}
.member{border-left:4px solid var(--line);padding-left:.75rem;min-width:0}
.member.kept{border-left-color:var(--accent)}
.meta{font-size:.85rem;font-weight:400;margin:0 0 .25rem;display:flex;flex-wrap:wrap;
gap:.1rem .8rem;color:var(--muted)}
.meta .file{font-weight:600;color:var(--fg);overflow-wrap:anywhere}
.kept .sim{font-weight:600;color:var(--accent)}
.note,.cut,.more{font-size:.85rem;margin:0 0 .25rem;color:var(--muted)}
.cut{margin:.25rem 0 0}.more{margin:.75rem 0 .25rem}
.cut button,.more button{font-size:.85rem;margin-left:.25rem}
.ellipsis{color:var(--muted);padding-left:.25em}
.text{white-space:pre-wrap;overflow-wrap:anywhere;max-height:18em;overflow:auto;
background:var(--panel);padding:.5rem .75rem;border-radius:4px;font-size:1.05rem}
mark{background:var(--mark);color:inherit}
ins{background:var(--ins);text-decoration:underline}
del{color:var(--del);text-decoration:line-through;opacity:.8}
.empty{font-size:1.1rem;color:var(--muted)}
[hidden]{display:none!important}
body:not([data-ready]) :is(main,.pager) :is(button,label){display:none}
@media print{body{max-width:none;padding:0;font-size:10.5pt}
.filters,.pager :is(button,label),.more button,.cut button{display:none}
.controls{position:static;border:0;margin:0}
.text{max-height:none;overflow:visible}
.member{break-inside:avoid}.cluster h2{break-after:avoid}
mark,ins{print-color-adjust:exact;-webkit-print-color-adjust:exact}
mark{outline:1px solid #b08800}}
"""

_ERRORS_JS = """
window.onerror = function (msg, src, line) {
  var el = document.body || document.documentElement;
  var seen = el.dataset.errors ? el.dataset.errors + "\\n" : "";
  el.dataset.errors = seen + msg + " (line " + line + ")";
};
"""

# Renders pages of clusters from the JSON (see _Row for its layout), the same markup
# as _render_cluster; filters, turns pages and expands copies and texts.
_JS = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var cfg = data.config, files = data.files, titles = data.titles;
  var measures = data.measures, sims = data.sims;
  var LABELS = {exact: "exact", jaccard: "Jaccard", containment: "containment"};
  var simValue = sims.map(function (s) { return parseFloat(s[1]); });
  var byId = Object.create(null);
  var clusters = data.clusters.map(function (c, i) {
    var cluster = {i: i, id: c[0], kind: c[1], v: c[2], m: c[3]};
    if (!(cluster.id in byId)) { byId[cluster.id] = cluster; }
    return cluster;
  });
  var fileIndex = Object.create(null);
  files.forEach(function (f, i) { fileIndex[f] = i; });

  var fileSel = document.getElementById("f-file");
  var minIn = document.getElementById("f-min");
  var minOut = document.getElementById("f-min-out");
  var shown = document.getElementById("shown");
  var none = document.getElementById("none-shown");
  var main = document.getElementById("clusters");
  var controls = document.querySelector(".controls");
  var pagers = Array.prototype.slice.call(document.querySelectorAll(".pager"));

  var filter = {file: -1, min: 0, on: false};
  var page = 1;
  var more = Object.create(null);   // cluster -> copies shown in report order, once expanded
  var whole = Object.create(null);  // "cluster:copy" -> text shown whole

  function fmt(n) { return String(n).replace(/\\B(?=(\\d{3})+(?!\\d))/g, ","); }
  function plural(n, one, many) { return fmt(n) + " " + (n === 1 ? one : many || one + "s"); }

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    (kids || []).forEach(function (k) {
      e.appendChild(typeof k === "string" ? document.createTextNode(k) : k);
    });
    return e;
  }

  // -- filters ---------------------------------------------------------------------
  function readFilter() {
    var file = fileSel.value;
    filter.file = file && file in fileIndex ? fileIndex[file] : -1;
    filter.min = parseFloat(minIn.value) || 0;
    filter.on = filter.file >= 0 || filter.min > 0;
  }

  function passes(c, j) {
    var m = c.m[j];
    return simValue[m[5]] >= filter.min - 1e-9 &&
      (filter.file < 0 || m[0] === filter.file || c.m[0][0] === filter.file);
  }

  function matches(c) {
    if (c.m.length < 2) { return filter.file < 0 || c.m[0][0] === filter.file; }
    for (var j = 1; j < c.m.length; j++) { if (passes(c, j)) { return true; } }
    return false;
  }

  // -- one cluster -----------------------------------------------------------------
  function segments(c, variant) {
    var base = c.v[0], v = c.v[variant];
    if (typeof v === "string") { return [["", v, ""]]; }
    var out = [], pos = 0;
    v.forEach(function (op) {
      var a0 = op[0], a1 = op[1], s = op[2];
      if (a0 > pos) { out.push(["", base.slice(pos, a0), ""]); }
      if (a0 === a1) { out.push(["ins", s, ""]); }
      else if (!s) { out.push(["del", base.slice(a0, a1), ""]); }
      else { out.push(["mark", s, base.slice(a0, a1)]); }
      pos = a1;
    });
    if (pos < base.length) { out.push(["", base.slice(pos), ""]); }
    return out;
  }

  function segment(tag, text, kept) {
    if (!tag) { return document.createTextNode(text); }
    return el(tag, tag === "mark" ? {title: "kept copy: " + kept} : null, [text]);
  }

  function cut(text, units) {  // never half of a surrogate pair
    var t = text.slice(0, units), last = t.charCodeAt(t.length - 1);
    return last >= 0xd800 && last <= 0xdbff ? t.slice(0, -1) : t;
  }

  function textEls(c, j) {
    var segs = segments(c, c.m[j][6]), total = 0, k;
    segs.forEach(function (s) { total += s[1].length; });
    var div = el("div", {"class": "text", lang: "zh", tabindex: "0", role: "region",
                         "aria-label": "text of copy " + (j + 1)});
    if (total <= cfg.cut || whole[c.i + ":" + j]) {
      segs.forEach(function (s) { div.appendChild(segment(s[0], s[1], s[2])); });
      return [div];
    }
    var used = 0, part = "", moreChars = 0, moreDiffs = 0;
    for (k = 0; k < segs.length; k++) {
      var s = segs[k];
      if (used + s[1].length <= cfg.cut) {
        div.appendChild(segment(s[0], s[1], s[2]));
        used += s[1].length;
        continue;
      }
      part = cut(s[1], cfg.cut - used);
      if (part) { div.appendChild(segment(s[0], part, s[2])); }
      break;
    }
    for (var r = k; r < segs.length; r++) {
      if (segs[r][0] !== "del") { moreChars += segs[r][1].length; }
      if (segs[r][0]) { moreDiffs++; }
    }
    if (segs[k][0] !== "del") { moreChars -= part.length; }
    if (part && segs[k][0]) { moreDiffs--; }
    div.appendChild(el("span", {"class": "ellipsis", "aria-hidden": "true"}, ["\\u2026"]));
    var note = "Shortened: " + plural(moreChars, "more character") +
      (moreDiffs ? ", " + plural(moreDiffs, "more difference") : "") + ". ";
    return [div, el("p", {"class": "cut"}, [note, el("button",
      {type: "button", "class": "whole-text", "data-c": c.i, "data-m": j}, ["Show whole text"])])];
  }

  function memberEl(c, j) {
    var m = c.m[j], kept = m[7] === 1, sim = sims[m[5]], measure = measures[sim[0]];
    var file = files[m[0]], last = m[1] + m[2];
    var meta = el("h3", {"class": "meta", lang: "en"}, [
      el("span", {"class": "file"}, [file]), " ",
      el("span", {"class": "lines", title: "characters " + m[3] + "\\u2013" + (m[3] + m[4])},
         [m[2] ? "lines " + m[1] + "\\u2013" + last : "line " + m[1]])]);
    if (m.length > 8) {
      meta.appendChild(document.createTextNode(" "));
      meta.appendChild(el("span", {"class": "title", lang: "zh"},
                          ["\\u300a" + titles[m[8]] + "\\u300b"]));
    }
    var label = kept ? "kept copy" : measure === "exact" ? "exact" :
      (LABELS[measure] || measure) + " " + sim[1];
    meta.appendChild(document.createTextNode(" "));
    meta.appendChild(el("span", {"class": "sim", title: measure + " " + sim[2]}, [label]));
    var li = el("li", {"class": "member " + (kept ? "kept" : "copy"), "data-file": file,
                       "data-sim": sim[1]}, [meta]);
    if (!kept && m[6] && typeof c.v[m[6]] === "string") {
      li.appendChild(el("p", {"class": "note"}, ["Too long to compare character by character."]));
    }
    textEls(c, j).forEach(function (e) { li.appendChild(e); });
    return li;
  }

  function limit(c) {  // copies shown in report order
    var n = more[c.i] || 0;
    return filter.on ? n : Math.max(n, cfg.preview);
  }

  function shownMembers(c, lim) {  // the kept copy, the first `lim` copies, the first matches
    var out = [0], picks = 0;
    for (var j = 1; j < c.m.length; j++) {
      var pick = filter.on && picks < cfg.preview && passes(c, j);
      if (pick) { picks++; }
      if (j - 1 < lim || pick) { out.push(j); }
      else if (!filter.on || picks >= cfg.preview) { break; }
    }
    return out;
  }

  function clusterEl(c) {
    var m = c.m, n = m.length, seen = Object.create(null), fileList = [], low = 2, lowSim = "1.00";
    for (var j = 0; j < n; j++) {
      var f = files[m[j][0]];
      if (!(f in seen)) { seen[f] = true; fileList.push(f); }
      if (j > 0 && simValue[m[j][5]] < low) { low = simValue[m[j][5]]; lowSim = sims[m[j][5]][1]; }
    }
    var lim = limit(c), list = shownMembers(c, lim);
    var ol = el("ol", {"class": "members"});
    list.forEach(function (j) { ol.appendChild(memberEl(c, j)); });
    var sec = el("section", {"class": "cluster", id: c.id, "data-size": n, "data-kind": c.kind,
                             "data-files": JSON.stringify(fileList), "data-min-sim": lowSim,
                             "aria-labelledby": c.id + "-h"}, [
      el("h2", {id: c.id + "-h", lang: "en"}, [
        el("span", {"class": "cid"}, [c.id]), " ",
        el("span", {"class": "kind kind-" + c.kind}, [c.kind]), " ",
        el("span", {"class": "size"}, [n + " copies, " +
          c.m.filter(function (r) { return !r[7]; }).length + " to remove"])]),
      ol]);
    if (list.length < n) {
      var add = shownMembers(c, lim + cfg.more).length - list.length;
      sec.appendChild(el("p", {"class": "more"}, [
        fmt(list.length) + " of " + plural(n, "copy", "copies") + " shown. ",
        el("button", {type: "button", "class": "more-copies", "data-c": c.i},
           ["Show " + fmt(add) + " more"])]));
    }
    return sec;
  }

  // -- the page --------------------------------------------------------------------
  function render() {
    readFilter();
    minOut.value = filter.min.toFixed(2);
    var matching = clusters.filter(matches);
    var pages = Math.max(1, Math.ceil(matching.length / cfg.page));
    page = Math.min(Math.max(1, page), pages);
    var first = (page - 1) * cfg.page, slice = matching.slice(first, first + cfg.page);
    if (clusters.length) {
      var frag = document.createDocumentFragment();
      slice.forEach(function (c) { frag.appendChild(clusterEl(c)); });
      while (main.firstChild && main.firstChild !== none) { main.removeChild(main.firstChild); }
      main.insertBefore(frag, none);
    }
    var active = [];
    if (fileSel.value) { active.push("file " + fileSel.value); }
    if (filter.min > 0) { active.push("similarity \\u2265 " + filter.min.toFixed(2)); }
    shown.textContent = active.length ? fmt(matching.length) + " of " +
      plural(clusters.length, "cluster") + " match (" + active.join(", ") + ")" :
      plural(clusters.length, "cluster");
    none.hidden = matching.length > 0 || clusters.length === 0;
    pagers.forEach(function (p) {
      p.hidden = pages <= 1;
      p.querySelector(".range").textContent = "Clusters " + fmt(slice.length ? first + 1 : 0) +
        "\\u2013" + fmt(first + slice.length) + " of " + fmt(matching.length);
      var input = p.querySelector(".page-no");
      input.max = pages;
      input.value = page;
      p.querySelector(".pages").textContent = fmt(pages);
      p.querySelector("[data-go=prev]").disabled = page <= 1;
      p.querySelector("[data-go=next]").disabled = page >= pages;
    });
  }

  function toList() {  // after turning a page: its first cluster under the controls
    var top = main.getBoundingClientRect().top + window.pageYOffset - controls.offsetHeight;
    if (window.pageYOffset > top) { window.scrollTo(0, top); }
  }

  function showCluster(c) {  // the page holding cluster c, with c in view
    readFilter();
    if (!matches(c)) {
      fileSel.value = "";
      minIn.value = "0";
      readFilter();
    }
    var pos = 0;
    for (var i = 0; i < c.i; i++) { if (matches(clusters[i])) { pos++; } }
    page = Math.floor(pos / cfg.page) + 1;
    render();
    var sec = document.getElementById(c.id);
    if (sec) {
      sec.classList.add("target");
      // clear of the sticky controls, here and when the browser scrolls to the fragment
      document.documentElement.style.scrollPaddingTop = controls.offsetHeight + 8 + "px";
      sec.scrollIntoView();
    }
  }

  function fromHash() {
    var hash = location.hash.slice(1);
    if (hash && hash.indexOf("=") < 0) {
      var id = hash;
      try { id = decodeURIComponent(hash); } catch (e) { /* keep it as written */ }
      if (!(id in byId)) { return false; }
      showCluster(byId[id]);
      return true;
    }
    var p = new URLSearchParams(hash);
    if (!p.has("file") && !p.has("min") && !p.has("page")) { return false; }
    var file = p.get("file") || "";
    fileSel.value = file in fileIndex ? file : "";
    var min = parseFloat(p.get("min"));
    minIn.value = String(isNaN(min) ? 0 : Math.min(1, Math.max(0, min)));
    page = parseInt(p.get("page"), 10) || 1;
    render();
    return true;
  }

  function writeHash() {
    var p = new URLSearchParams();
    if (fileSel.value) { p.set("file", fileSel.value); }
    if (parseFloat(minIn.value) > 0) { p.set("min", minIn.value); }
    if (page > 1) { p.set("page", String(page)); }
    var hash = p.toString();
    try {
      history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
    } catch (e) { /* some viewers forbid it; the page still works */ }
  }

  function changed() { page = 1; render(); writeHash(); }
  function turnTo(n) { page = n; render(); writeHash(); toList(); }

  fileSel.addEventListener("change", changed);
  minIn.addEventListener("input", changed);
  fileSel.form.addEventListener("reset", function () { setTimeout(changed, 0); });
  fileSel.form.addEventListener("submit", function (e) { e.preventDefault(); });
  pagers.forEach(function (p) {
    p.addEventListener("click", function (e) {
      var b = e.target.closest("button[data-go]");
      if (b) { turnTo(page + (b.dataset.go === "next" ? 1 : -1)); }
    });
    p.querySelector(".page-no").addEventListener("change", function (e) {
      var n = parseInt(e.target.value, 10);
      if (!isNaN(n)) { turnTo(n); }
    });
  });
  main.addEventListener("click", function (e) {
    var b = e.target.closest("button[data-c]"), c = b && clusters[+b.dataset.c];
    if (!c) { return; }
    if (b.classList.contains("more-copies")) {
      var old = b.closest(".cluster"), before = old.querySelectorAll(".member").length;
      more[c.i] = limit(c) + cfg.more;
      var sec = clusterEl(c);
      if (old.classList.contains("target")) { sec.classList.add("target"); }
      main.replaceChild(sec, old);
      var texts = sec.querySelectorAll(".text");
      texts[Math.min(before, texts.length - 1)].focus();
    } else if (b.classList.contains("whole-text")) {
      var j = +b.dataset.m, li = b.closest(".member");
      whole[c.i + ":" + j] = true;
      var fresh = memberEl(c, j);
      li.parentNode.replaceChild(fresh, li);
      fresh.querySelector(".text").focus({preventScroll: true});
    }
  });
  window.addEventListener("hashchange", fromHash);
  window.addEventListener("beforeprint", function () {  // print every text shown, whole
    var cuts = main.querySelectorAll(".whole-text");
    Array.prototype.forEach.call(cuts, function (b) {
      whole[b.dataset.c + ":" + b.dataset.m] = true;
    });
    if (cuts.length) { render(); }
  });
  if (!fromHash()) { render(); }
  document.body.dataset.ready = "1";
})();
"""


def _csp_hash(source: str) -> str:
    digest = hashlib.sha256(source.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


_CSP = (
    "default-src 'none'; "
    f"style-src {_csp_hash(_CSS)}; "
    f"script-src {_csp_hash(_ERRORS_JS)} {_csp_hash(_JS)}; "
    "base-uri 'none'; form-action 'none'"
)
