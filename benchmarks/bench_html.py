"""Size, render time and browser speed of the HTML duplicate report, before and after.

Usage::

    .venv/bin/python benchmarks/bench_html.py                     # 10 MB corpora
    .venv/bin/python benchmarks/bench_html.py --mb 10 --json build/bench/html-10mb.json
    .venv/bin/python benchmarks/bench_html.py --only repeated --no-browser

Three corpora of about ``--mb`` MB, each deduplicated once with
``textwash.find_duplicates`` at its defaults (the report is kept as JSON in
``build/bench/html/`` and reused; ``--fresh`` finds the duplicates again):

``generated``  ``benchmarks/make_corpus.py`` (seed 0): essays with planted copies,
               many clusters of 2–4 copies;
``repeated``   the reference dump (``../shared/seeds``, or ``examples/sample_dump.txt``)
               copied into as many files as fit: a few hundred clusters of a few
               hundred identical copies each — the case of issue 11 (31 MB of HTML);
``damaged``    the same copies, each damaged as scrapes are (in each file, one
               character in 60 replaced by a look-alike, and ASCII punctuation in
               a third of the files): as large clusters, but of distinct texts.

Each report is rendered by the current ``textwash.dedup.html`` ("after") and by the
``html.py`` of ``--baseline`` (a git revision; "before"), and for each page
measured: its size, the seconds ``render_html`` takes (best of ``--repeat``), and,
when Debian's ``chromium`` is installed, in headless chromium driven over the
DevTools protocol (the client of ``tests/test_html_report.py``) at 1280×1400:

* ``load``: from navigation start to the end of the load event (parsing and the
  page's script), as the page's own ``performance`` timing says;
* ``seen``: wall time from the navigation to the first screenshot (so layout and
  paint of what is on screen too);
* ``elements``, ``heap``: elements in the DOM and JavaScript heap (after a garbage
  collection) once loaded;
* ``filter``: setting the minimum similarity to 0.9, until the layout is done;
* ``next``/``more``: turning to page 2, and showing more copies of the first
  cluster (the new page only).

Each page is loaded once untimed first (fonts and caches warm); times are medians of
``--repeat`` loads.  Pages and screenshots go to ``build/bench/html/``.
"""

from __future__ import annotations

import argparse
import base64
import functools
import importlib.util
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from textwash.dedup import find_duplicates  # noqa: E402
from textwash.dedup import html as html_after  # noqa: E402
from textwash.dedup.report import DuplicateReport  # noqa: E402

OUT = ROOT / "build" / "bench" / "html"
SEED = ROOT.parent / "shared" / "seeds" / "000_743cec15d1e63d61.txt"
SAMPLE = ROOT / "examples" / "sample_dump.txt"
#: The last revision of html.py that put every copy's whole text in the markup.
BASELINE = "6540524"
CORPORA = ("generated", "repeated", "damaged")

#: Look-alikes a scrape or OCR leaves (the generator's and the labelled set's kind).
LOOKALIKES = str.maketrans("第群入己未人日土", "笫裙人已末入曰士")
ASCII_PUNCT = str.maketrans("，：；（）！？", ",:;()!?")


# -- the corpora and their reports ---------------------------------------------------------


def generated_docs(mb: float) -> list[tuple[str, str]]:
    from make_corpus import generate

    root = ROOT / "build" / "bench" / f"corpus-{mb:g}mb"  # shared with bench_peers.py
    if not (root / "truth.json").exists():
        print(f"generating {root} …", file=sys.stderr, flush=True)
        generate(root, mb)
    corpus = root / "corpus"
    return [
        (str(p.relative_to(corpus)), p.read_text(encoding="utf-8"))
        for p in sorted(corpus.rglob("*.txt"))
    ]


def repeated_docs(mb: float, *, damaged: bool) -> list[tuple[str, str]]:
    source = SEED if SEED.exists() else SAMPLE
    text = source.read_text(encoding="utf-8")
    copies = max(2, int(mb * 1e6 // len(text.encode("utf-8"))))
    rng = random.Random(11)
    docs = []
    for i in range(copies):
        copy = text
        if damaged:
            chars = list(copy)
            for j in rng.sample(range(len(chars)), len(chars) // 60):
                chars[j] = chars[j].translate(LOOKALIKES)
            copy = "".join(chars)
            if i % 3 == 1:
                copy = copy.translate(ASCII_PUNCT)
        docs.append((f"{i:03d}/{source.name}", copy))
    return docs


def report_for(corpus: str, mb: float, fresh: bool) -> tuple[DuplicateReport, int]:
    """The corpus's duplicate report (cached as JSON) and the corpus size in bytes."""
    docs = (
        generated_docs(mb)
        if corpus == "generated"
        else repeated_docs(mb, damaged=corpus == "damaged")
    )
    size = sum(len(t.encode("utf-8")) for _, t in docs)
    cache = OUT / f"{corpus}-{mb:g}mb.report.json"
    if cache.exists() and not fresh:
        return DuplicateReport.from_json(cache.read_text(encoding="utf-8")), size
    print(
        f"finding the duplicates of {corpus} ({size / 1e6:.1f} MB) …", file=sys.stderr, flush=True
    )
    t = time.perf_counter()
    report = find_duplicates(docs)
    print(f"  {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
    report.to_json(cache, indent=None)
    return report, size


# -- the renderers ---------------------------------------------------------------------


def baseline_module(rev: str) -> ModuleType | None:
    """``textwash/dedup/html.py`` as it was at ``rev`` (it imports nothing of textwash)."""
    try:
        source = subprocess.run(
            ["git", "show", f"{rev}:src/textwash/dedup/html.py"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"no baseline renderer at {rev}: {e}", file=sys.stderr)
        return None
    path = Path(tempfile.mkdtemp()) / "html_before.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("html_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def best_of(repeat: int, fn: Callable[[], str]) -> tuple[float, str]:
    best, result = float("inf"), ""
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


# -- the browser --------------------------------------------------------------------------


def open_browser() -> Any:
    """The DevTools client of tests/test_html_report.py on a fresh profile, or None."""
    try:
        sys.path.insert(0, str(ROOT / "tests"))
        from test_html_report import CHROMIUM, Browser
    except ImportError as e:
        print(f"no browser measurements ({e})", file=sys.stderr)
        return None
    if CHROMIUM is None:
        print("no browser measurements: chromium is not installed", file=sys.stderr)
        return None
    browser = Browser(CHROMIUM, Path(tempfile.mkdtemp(prefix="bench-html-")))
    browser.send("Performance.enable")
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1280, "height": 1400, "deviceScaleFactor": 1, "mobile": False},
    )
    return browser


TIMED = """(async () => {{
  const t = performance.now();
  {action};
  document.body.offsetHeight;  // the layout is part of it
  await new Promise(r => requestAnimationFrame(() => r()));
  return performance.now() - t;
}})()"""

FILTER = (
    "const m = document.getElementById('f-min'); m.value = '0.9';"
    "m.dispatchEvent(new Event('input'))"
)
NEXT = "document.querySelector('.pager [data-go=next]').click()"
MORE = "document.querySelector('#clusters .more-copies').click()"


def in_browser(browser: Any, page: Path, shot: Path, repeat: int) -> dict[str, Any]:
    runs: dict[str, list[float]] = {}

    def note(name: str, value: float) -> None:
        runs.setdefault(name, []).append(value)

    browser.open(page)  # once untimed: fonts and caches warm, as for a reader's second look
    for i in range(repeat):
        t = time.perf_counter()
        browser.open(page)
        png = browser.send("Page.captureScreenshot", {"format": "png"})["data"]
        note("seen", time.perf_counter() - t)
        note("load", browser.js("performance.getEntriesByType('navigation')[0].loadEventEnd") / 1e3)
        if i == 0:
            shot.write_bytes(base64.b64decode(png))
            note("elements", browser.js("document.getElementsByTagName('*').length"))
            browser.send("HeapProfiler.collectGarbage")
            metrics = browser.send("Performance.getMetrics")["metrics"]
            note("heap", next(m["value"] for m in metrics if m["name"] == "JSHeapUsedSize") / 1e6)
        note("filter", browser.js(TIMED.format(action=FILTER)) / 1e3)
        if browser.js("!!document.querySelector('.pager [data-go=next]:not([disabled])')"):
            browser.open(page)
            note("next", browser.js(TIMED.format(action=NEXT)) / 1e3)
        if browser.js("!!document.querySelector('#clusters .more-copies')"):
            note("more", browser.js(TIMED.format(action=MORE)) / 1e3)
        problems = browser.problems()
        if problems:
            print(f"  {page.name}: {problems[:3]}", file=sys.stderr)
    return {k: statistics.median(v) for k, v in runs.items()}


# -- the run ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--mb", type=float, default=10.0, help="size of each corpus (10^6 bytes)")
    ap.add_argument("--only", action="append", help=f"corpora, of {', '.join(CORPORA)}")
    ap.add_argument("--baseline", default=BASELINE, help="git revision of the 'before' html.py")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--fresh", action="store_true", help="find the duplicates again")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args(argv)
    corpora = [c.strip() for v in args.only or CORPORA for c in v.split(",") if c.strip()]
    if bad := set(corpora) - set(CORPORA):
        ap.error(f"unknown corpora {sorted(bad)}")
    OUT.mkdir(parents=True, exist_ok=True)
    renderers: list[tuple[str, Callable[[DuplicateReport], str]]] = []
    before = baseline_module(args.baseline)
    if before is not None:
        renderers.append(("before", before.render_html))
    renderers.append(("after", html_after.render_html))
    browser = None if args.no_browser else open_browser()

    results = []
    try:
        for corpus in corpora:
            report, size = report_for(corpus, args.mb, args.fresh)
            copies = sum(len(c.members) for c in report.clusters)
            json_size = len(report.to_json(indent=None).encode())
            for name, render in renderers:
                secs, page = best_of(args.repeat, functools.partial(render, report))
                path = OUT / f"{corpus}-{args.mb:g}mb-{name}.html"
                path.write_text(page, encoding="utf-8")
                row: dict[str, Any] = {
                    "corpus": corpus,
                    "input_mb": round(size / 1e6, 2),
                    "clusters": len(report.clusters),
                    "copies": copies,
                    "largest": max((len(c.members) for c in report.clusters), default=0),
                    "json_mb": round(json_size / 1e6, 2),
                    "renderer": name,
                    "html_mb": round(len(page.encode()) / 1e6, 2),
                    "render_s": round(secs, 3),
                }
                if browser is not None:
                    shot = OUT / f"{corpus}-{args.mb:g}mb-{name}.png"
                    measured = in_browser(browser, path, shot, args.repeat)
                    row.update({k: round(v, 3) for k, v in measured.items()})
                results.append(row)
                print(json.dumps(row, ensure_ascii=False), file=sys.stderr, flush=True)
    finally:
        if browser is not None:
            browser.close()

    print()
    print_table(results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    return 0


def print_table(rows: list[dict[str, Any]]) -> None:
    cols = [
        ("corpus", "corpus", "{}"),
        ("input_mb", "input MB", "{:.1f}"),
        ("clusters", "clusters", "{:,}"),
        ("copies", "copies", "{:,}"),
        ("largest", "largest", "{:,}"),
        ("json_mb", "JSON MB", "{:.2f}"),
        ("renderer", "html.py", "{}"),
        ("html_mb", "HTML MB", "{:.2f}"),
        ("render_s", "render s", "{:.2f}"),
        ("load", "load s", "{:.2f}"),
        ("seen", "seen s", "{:.2f}"),
        ("elements", "elements", "{:,.0f}"),
        ("heap", "heap MB", "{:.1f}"),
        ("filter", "filter s", "{:.3f}"),
        ("next", "next s", "{:.3f}"),
        ("more", "more s", "{:.3f}"),
    ]
    cols = [c for c in cols if any(c[0] in r for r in rows)]
    cells = [[c[1] for c in cols]]
    for r in rows:
        cells.append([c[2].format(r[c[0]]) if c[0] in r else "–" for c in cols])
    widths = [max(len(row[i]) for row in cells) for i in range(len(cols))]
    for n, row in enumerate(cells):
        print(
            " | ".join(
                v.rjust(w) if n and i else v.ljust(w)
                for i, (v, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            print("-+-".join("-" * w for w in widths))


if __name__ == "__main__":
    sys.exit(main())
