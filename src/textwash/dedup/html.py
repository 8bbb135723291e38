"""The duplicate report as one self-contained HTML page (:meth:`DuplicateReport.to_html`).

The page has no external resources: its CSS and JavaScript are inline and a
Content-Security-Policy that allows only those two blocks (by hash) forbids
every network request, so it opens the same from ``file://``, a mail
attachment or a web server.  Each copy's text is shown whole, with the
characters where it differs from the cluster's kept copy marked (``<mark>``
changed, ``<ins>`` added, ``<del>`` missing).  The script only filters: by
file and by minimum similarity, preset from the URL fragment
(``#file=a.txt&min=0.9``).  ``docs/dedup-report.md`` describes the page.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter
from difflib import SequenceMatcher
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .report import Cluster, DuplicateReport, Member

__all__ = ["diff_html", "render_html", "similarity_label"]

#: Pairs whose length product exceeds this are shown without a character diff
#: (``SequenceMatcher`` is quadratic on long texts with few distinct characters).
MAX_DIFF_CELLS = 25_000_000

_SURROGATES = re.compile("[\ud800-\udfff]")

_MEASURES = {"exact": "exact", "jaccard": "Jaccard", "containment": "containment"}


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
    if len(kept) * len(text) > MAX_DIFF_CELLS:
        return None
    out: list[str] = []
    matcher = SequenceMatcher(None, kept, text, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        new = escape(text[b0:b1])
        if op == "equal":
            out.append(new)
        elif op == "insert":
            out.append(f"<ins>{new}</ins>")
        elif op == "delete":
            out.append(f"<del>{escape(kept[a0:a1])}</del>")
        else:
            out.append(f'<mark title="kept copy: {escape(kept[a0:a1])}">{new}</mark>')
    return "".join(out)


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


def _sim(member: Member) -> str:
    """The similarity as the page shows and filters it (two decimals)."""
    return f"{member.similarity:.2f}"


def _attr(value: Any) -> str:
    """A value quoted for an HTML attribute (JSON for lists)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return escape(text, quote=True)


def _lines(member: Member) -> str:
    if member.line == member.end_line:
        return f"line {member.line}"
    return f"lines {member.line}–{member.end_line}"


def _render_member(member: Member, kept: Member, index: int) -> str:
    meta = [
        f'<span class="file">{escape(_file(member))}</span>',
        f'<span class="lines" title="characters {member.start}–{member.end}">'
        f"{_lines(member)}</span>",
    ]
    if member.title:
        meta.append(f'<span class="title" lang="zh">《{escape(member.title)}》</span>')
    meta.append(
        f'<span class="sim" title="{_attr(member.measure)} {member.similarity:.4f}">'
        f"{escape(similarity_label(member))}</span>"
    )
    note = ""
    if member.kept:
        body = escape(member.text)
    else:
        diffed = diff_html(kept.text, member.text)
        if diffed is None:
            body = escape(member.text)
            note = '<p class="note">Too long to compare character by character.</p>'
        else:
            body = diffed
    role = "kept" if member.kept else "copy"
    return (
        f'<li class="member {role}" data-file="{_attr(_file(member))}" '
        f'data-sim="{_sim(member)}">'
        f'<h3 class="meta" lang="en">{" ".join(meta)}</h3>{note}'
        f'<div class="text" lang="zh" tabindex="0" role="region" '
        f'aria-label="text of copy {index}">{body}</div></li>'
    )


def _render_cluster(cluster: Cluster) -> str:
    kept = cluster.members[0]
    files = list(dict.fromkeys(_file(m) for m in cluster.members))
    sims = [m.similarity for m in cluster.members[1:]]
    min_sim = f"{min(sims):.2f}" if sims else "1.00"
    n = len(cluster.members)
    members = "".join(_render_member(m, kept, i) for i, m in enumerate(cluster.members, 1))
    return (
        f'<section class="cluster" id="{_attr(cluster.id)}" data-size="{n}" '
        f'data-kind="{_attr(cluster.kind)}" data-files="{_attr(files)}" '
        f'data-min-sim="{min_sim}" aria-labelledby="{_attr(cluster.id)}-h">'
        f'<h2 id="{_attr(cluster.id)}-h" lang="en"><span class="cid">{escape(cluster.id)}</span> '
        f'<span class="kind kind-{_attr(cluster.kind)}">{escape(cluster.kind)}</span> '
        f'<span class="size">{n} copies, {n - 1} to remove</span></h2>'
        f'<ol class="members">{members}</ol></section>'
    )


def _render_header(report: DuplicateReport, clusters: list[Cluster]) -> str:
    stats = report.stats
    kinds = Counter(c.kind for c in clusters)
    numbers: list[tuple[str, Any]] = [(k, stats[k]) for k in ("documents", "units") if k in stats]
    numbers += [
        ("clusters", len(clusters)),
        *sorted(kinds.items()),
        ("copies to remove", sum(len(c.members) - 1 for c in clusters)),
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


def _render_filters(clusters: list[Cluster]) -> str:
    counts = Counter(f for c in clusters for f in dict.fromkeys(_file(m) for m in c.members))
    options = "".join(
        f'<option value="{_attr(f)}">{escape(f)} ({n})</option>' for f, n in sorted(counts.items())
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
        f'<p id="shown" role="status" aria-live="polite">{total} of {total} clusters shown</p>'
        '<p class="legend">Compared with the kept copy: <mark>changed</mark> '
        "<ins>added</ins> <del>missing</del></p></div>"
    )


def render_html(report: DuplicateReport) -> str:
    """The report as a self-contained HTML5 page (``lang="zh"``, UTF-8).

    Clusters are listed largest first (ties by id), each copy with its file,
    lines, essay title, similarity and its text diffed against the kept copy.
    Lone surrogates in the texts come out as U+FFFD so the page encodes as UTF-8.

    For scripts and tests: each cluster is a ``<section class="cluster">`` with
    ``data-size``, ``data-kind``, ``data-files`` (a JSON list) and
    ``data-min-sim`` (the lowest similarity among its copies to remove); each
    copy an ``<li class="member kept|copy">`` with ``data-file`` and
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
    body = "".join(_render_cluster(c) for c in clusters)
    if not clusters:
        body = '<p class="empty" lang="en">No duplicated passages were found.</p>'
    title = f"Duplicate passages: {len(clusters)} clusters"
    page = (
        "<!DOCTYPE html>\n"
        '<html lang="zh"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light dark">'
        '<meta name="generator" content="textwash">'
        f"<title>{escape(title)}</title>"
        f"<script>{_ERRORS_JS}</script><style>{_CSS}</style></head>\n"
        f"<body>{_render_header(report, clusters)}{_render_filters(clusters)}"
        f'<main id="clusters">{body}'
        '<p id="none-shown" class="empty" lang="en" hidden>No cluster matches these filters.</p>'
        f"</main><script>{_JS}</script></body></html>\n"
    )
    # Lone surrogates (legal in JSON escapes) cannot be written as UTF-8.
    return _SURROGATES.sub("\ufffd", page)


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
.controls{position:sticky;top:0;z-index:1;background:var(--bg);border-bottom:1px solid var(--line);
padding:.5rem 0;margin-bottom:1rem}
.filters{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.5rem}
select,input,button{font:inherit}select{max-width:28rem}
#f-min{vertical-align:middle}#f-min-out{display:inline-block;min-width:2.5em}
#shown{margin:.25rem 0;font-weight:600}.legend{margin:.25rem 0;font-size:.85rem;color:var(--muted)}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.cluster{border:1px solid var(--line);border-radius:6px;padding:.5rem 1rem;margin:0 0 1.25rem}
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
.note{font-size:.85rem;margin:0 0 .25rem;color:var(--muted)}
.text{white-space:pre-wrap;overflow-wrap:anywhere;max-height:18em;overflow:auto;
background:var(--panel);padding:.5rem .75rem;border-radius:4px;font-size:1.05rem}
mark{background:var(--mark);color:inherit}
ins{background:var(--ins);text-decoration:underline}
del{color:var(--del);text-decoration:line-through;opacity:.8}
.empty{font-size:1.1rem;color:var(--muted)}
[hidden]{display:none!important}
@media print{body{max-width:none;padding:0;font-size:10.5pt}
.filters{display:none}.controls{position:static;border:0;margin:0}
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

_JS = """
(function () {
  "use strict";
  var fileSel = document.getElementById("f-file");
  var minIn = document.getElementById("f-min");
  var minOut = document.getElementById("f-min-out");
  var shown = document.getElementById("shown");
  var none = document.getElementById("none-shown");
  var clusters = Array.prototype.map.call(document.querySelectorAll(".cluster"), function (el) {
    var members = el.querySelectorAll(".member");
    var copies = [];
    for (var i = 1; i < members.length; i++) {
      copies.push({file: members[i].dataset.file, sim: parseFloat(members[i].dataset.sim)});
    }
    return {el: el, kept: members[0].dataset.file, copies: copies};
  });

  function matches(c, file, min) {
    if (!c.copies.length) { return !file || c.kept === file; }
    return c.copies.some(function (m) {
      return m.sim >= min - 1e-9 && (!file || m.file === file || c.kept === file);
    });
  }

  function apply() {
    var file = fileSel.value, min = parseFloat(minIn.value) || 0, n = 0;
    minOut.value = min.toFixed(2);
    clusters.forEach(function (c) {
      var ok = matches(c, file, min);
      c.el.hidden = !ok;
      if (ok) { n++; }
    });
    var active = [];
    if (file) { active.push("file " + file); }
    if (min > 0) { active.push("similarity \u2265 " + min.toFixed(2)); }
    shown.textContent = n + " of " + clusters.length + " clusters shown" +
      (active.length ? " (" + active.join(", ") + ")" : "");
    none.hidden = n > 0 || clusters.length === 0;
  }

  function readHash() {
    var p = new URLSearchParams(location.hash.slice(1));
    if (!p.has("file") && !p.has("min")) { return false; }
    var file = p.get("file") || "";
    var known = Array.prototype.some.call(fileSel.options, function (o) {
      return o.value === file;
    });
    fileSel.value = known ? file : "";
    var min = parseFloat(p.get("min"));
    minIn.value = String(isNaN(min) ? 0 : Math.min(1, Math.max(0, min)));
    return true;
  }

  function writeHash() {
    var p = new URLSearchParams();
    if (fileSel.value) { p.set("file", fileSel.value); }
    if (parseFloat(minIn.value) > 0) { p.set("min", minIn.value); }
    var hash = p.toString();
    try {
      history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
    } catch (e) { /* some viewers forbid it; the filter still works */ }
  }

  function changed() { apply(); writeHash(); }
  fileSel.addEventListener("change", changed);
  minIn.addEventListener("input", changed);
  fileSel.form.addEventListener("reset", function () { setTimeout(changed, 0); });
  fileSel.form.addEventListener("submit", function (e) { e.preventDefault(); });
  window.addEventListener("hashchange", function () { if (readHash()) { apply(); } });
  readHash();
  apply();
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
