"""Every code example of README.md and the documentation runs (issue 14).

The conventions, also described for writers in docs/docs-examples.md:

* a ```` ```python ```` block with ``>>>`` lines is a doctest: pytest collects the
  pages under docs/ itself (``--doctest-glob=*.md``), and README.md here;
* a ```` ```python ```` block without ``>>>`` runs here: a page's blocks in order,
  in one namespace, in a sandbox folder that holds the files the examples name
  (``dump.txt``, ``corpus/``, ``data.jsonl`` ...), with the example texts
  (``raw``, ``dump``, ``text_a`` ...) defined; it must not raise;
* in a ```` ```sh ```` (``bash``, ``console``) block, every line that runs
  ``textwash`` or ``python -m textwash`` runs here, in-process, in that sandbox, and
  must exit 0; a ``| pager`` is dropped and ``> FILE`` is captured instead of
  written; other lines (``make``, ``pip install``, ``source``, benchmark scripts)
  are not run;
* any other block (``text``, ``json``, ``toml``, ``yaml``, no language) is output or
  data and is not run;
* a block right after a line ``<!-- docs-test: skip REASON -->`` is not run, and
  :data:`SKIP` names blocks in pages this test leaves to others to mark.

The site itself is built by ``make docs`` (``mkdocs build --strict``), which
``make test`` runs before pytest; ``test_site_builds`` here builds it too when
mkdocs is installed, so that a page that breaks the build also fails pytest.
"""

from __future__ import annotations

import contextlib
import doctest
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

from textwash.cli.main import main as textwash_main

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SAMPLE = ROOT / "examples" / "sample_dump.txt"
PAGES = [ROOT / "README.md", *sorted(p for p in DOCS.rglob("*.md") if "tools" not in p.parts)]

FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>[^`\n]*)$")
SKIP_MARK = re.compile(r"^\s*<!-- docs-test: skip (?P<reason>.+?) -->\s*$")
SHELL = {"sh", "bash", "console", "shell"}

#: Blocks not run, in pages this test does not edit: (page, first line of the block) -> why.
SKIP: dict[tuple[str, str], str] = {
    (
        "docs/index-format.md",
        "from textwash.dedup.index import DedupIndex, IndexConfig, IndexUnits",
    ): (
        "the storage API's shape: `units` is an IndexUnits that find_duplicates builds; "
        "tests/test_index.py runs these calls"
    ),
    ("docs/index-redis.md", "from textwash.dedup import find_duplicates"): (
        "needs a Redis server at the address shown; tests/test_index_redis.py runs it on a local one"
    ),
    ("docs/index-redis.md", "idx = RedisIndex.open(url, write=True)"): (
        "needs a Redis server with a dead writer's batches; tests/test_index_redis.py sweeps one"
    ),
    (
        "docs/scale-out.md",
        "from textwash.engines.ray import find_duplicates   # the same arguments as textwash.dedup's",
    ): (
        "joins a running Ray cluster (address='auto'); tests/test_engine_ray.py runs it on a local Ray"
    ),
}


@dataclass
class Block:
    page: str  # relative to ROOT
    line: int  # 1-based line of the opening fence
    lang: str
    body: str
    skip: str | None  # why it is not run

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def doctest(self) -> bool:
        return any(line.lstrip().startswith(">>>") for line in self.body.splitlines())


def blocks(page: Path) -> list[Block]:
    """The fenced code blocks of a Markdown page, nested ones (in list items) too."""
    lines = page.read_text(encoding="utf-8").split("\n")
    rel = page.relative_to(ROOT).as_posix()
    out: list[Block] = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence = len(m["indent"]), m["fence"]
        lang = m["info"].strip().split()[0].lower() if m["info"].strip() else ""
        j = i + 1
        while j < len(lines) and not re.match(rf"^ *{re.escape(fence)}\s*$", lines[j]):
            j += 1
        body = textwrap.dedent(
            "\n".join(
                line[indent:] if line[:indent].isspace() else line for line in lines[i + 1 : j]
            )
        )
        prev = next((lines[k] for k in range(i - 1, -1, -1) if lines[k].strip()), "")
        mark = SKIP_MARK.match(prev)
        first = next((b for b in body.splitlines() if b.strip()), "")
        skip = mark["reason"] if mark else SKIP.get((rel, first.strip()))
        out.append(Block(rel, i + 1, lang, body, skip))
        i = j + 1
    return out


ALL_BLOCKS = [b for page in PAGES for b in blocks(page)]


# -- the sandbox ----------------------------------------------------------------------------

SAMPLE_TEXT = SAMPLE.read_text(encoding="utf-8")
PARAGRAPH = (
    "社区作为城市治理的最小单元，是垃圾分类工作能否落地见效的关键环节，也是居民参与的第一道门槛。"
)
TRADITIONAL = "社區垃圾分類工作經驗交流材料\n\n推行垃圾分類，既是減輕填埋壓力的有效途徑，也是改善人居環境的重要抓手。\n"


def _essays() -> list[str]:
    return [p for p in SAMPLE_TEXT.split("\n\n") if len(p) > 40]


def make_sandbox(folder: Path) -> Path:
    """A folder holding every file and folder the examples name, made from the sample."""
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    paras = _essays()
    (folder / "examples").mkdir(parents=True)
    shutil.copy(SAMPLE, folder / "examples" / "sample_dump.txt")
    # a scraped dump as they come: GB18030 (pipeline.md's example reads it so; the CLI detects it)
    (folder / "dump.txt").write_bytes(SAMPLE_TEXT.encode("gb18030"))
    (folder / "broken.txt").write_bytes(
        SAMPLE_TEXT[:200].encode() + b"\xff" + SAMPLE_TEXT[200:400].encode()
    )
    (folder / "big5-dump.txt").write_bytes(TRADITIONAL.encode("big5"))
    for name, texts in {"corpus": paras[:6], "today": paras[3:8], "scrape": paras[:10]}.items():
        (folder / name / "sub").mkdir(parents=True)
        (folder / name / "a.txt").write_text("\n\n".join([*texts[:3], PARAGRAPH]), encoding="utf-8")
        (folder / name / "sub" / "b.txt").write_bytes(
            "\n\n".join([PARAGRAPH.replace("，", ","), *texts[3:]]).encode("gb18030")
        )
        with open(folder / name / "c.jsonl", "w", encoding="utf-8") as f:
            for t in texts[1:4]:
                f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
    (folder / "scrape" / "cover.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(40))
    (folder / "notes").mkdir()
    (folder / "notes" / "n.txt").write_text(paras[0], encoding="utf-8")
    for name, fields in {"data.jsonl": ("content",), "a.jsonl": ("text", "content")}.items():
        with open(folder / name, "w", encoding="utf-8") as f:
            for i, t in enumerate(paras[:5]):
                f.write(
                    json.dumps({"id": i, **dict.fromkeys(fields, t)}, ensure_ascii=False) + "\n"
                )
    table = pa.table({"text": paras[2:7], "content": paras[2:7]})
    pq.write_table(table, folder / "b.parquet")
    (folder / "pipeline.toml").write_text(
        '[[steps]]\nname = "UnicodeRepair"\n\n[[steps]]\nname = "OcrSpacing"\nmin_han = 15\n\n'
        '[[steps]]\nname = "Punctuation"\n',
        encoding="utf-8",
    )
    (folder / "build").mkdir()
    return folder


def example_names() -> dict[str, object]:
    """The names the Python examples use without defining them."""
    paras = _essays()
    a = "\n\n".join(paras[:4])
    b = "\n\n".join([paras[2].replace("，", ","), "另起一段。" + PARAGRAPH, paras[3]])
    return {
        "raw": SAMPLE_TEXT,
        "dump": SAMPLE_TEXT,
        "dump_text": SAMPLE_TEXT,
        "text": SAMPLE_TEXT,
        "a": a,
        "b": b,
        "text_a": a,
        "text_b": b,
        "docs": [("a.txt", a), ("b.txt", b)],
        "start": 10,  # a span of the cleaned text
        "end": 20,
        "monday_docs": [("mon/a.txt", a)],
        "tuesday_docs": [("tue/b.txt", b)],
    }


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = make_sandbox(tmp_path / "sandbox")
    monkeypatch.chdir(folder)
    return folder


# -- running them ---------------------------------------------------------------------------


def _pages_with(kind: str) -> list[str]:
    def wanted(b: Block) -> bool:
        if kind == "python":
            return b.lang in ("python", "py", "pycon") and not b.doctest
        return b.lang in SHELL

    return sorted({b.page for b in ALL_BLOCKS if wanted(b) and not b.skip})


def shell_commands(block: Block) -> list[list[str]]:
    """The ``textwash`` command lines of a shell block, as argv lists for ``main``.

    >>> b = Block("x.md", 1, "sh", "make demo\\ntextwash clean a.txt | less -R   # note\\n"
    ...           "textwash completion zsh > \\"${fpath[1]}/_textwash\\"\\npython -m textwash --version", None)
    >>> shell_commands(b)
    [['clean', 'a.txt'], ['completion', 'zsh'], ['--version']]
    """
    out = []
    for raw_line in block.body.splitlines():
        line = raw_line.strip()
        if line.startswith("$ "):
            line = line[2:]
        words = shlex.split(line, comments=True)
        if words[:1] == ["textwash"]:
            argv = words[1:]
        elif words[:3] == ["python", "-m", "textwash"]:
            argv = words[3:]
        else:
            continue
        for stop in ("|", ">", "2>", ">>"):
            if stop in argv:
                argv = argv[: argv.index(stop)]
        out.append(argv)
    return out


@pytest.mark.parametrize("page", _pages_with("python"))
def test_python_examples(page: str, sandbox: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's Python blocks without ``>>>``, in order, in one namespace."""
    module = types.ModuleType("docs_example")  # a real module: dataclasses look theirs up
    monkeypatch.setitem(sys.modules, module.__name__, module)
    namespace = module.__dict__
    namespace.update(example_names())
    for block in (b for b in ALL_BLOCKS if b.page == page):
        if block.lang not in ("python", "py", "pycon") or block.doctest or block.skip:
            continue
        code = compile(block.body, block.where, "exec")
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                exec(code, namespace)
            except Exception as exc:
                pytest.fail(f"{block.where}: {type(exc).__name__}: {exc}\n{block.body}")


@pytest.mark.parametrize("page", _pages_with("shell"))
def test_shell_examples(page: str, sandbox: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The ``textwash`` lines of the page's shell blocks, in order; each exits 0."""
    ran = 0
    for block in (b for b in ALL_BLOCKS if b.page == page):
        if block.lang not in SHELL or block.skip:
            continue
        for argv in shell_commands(block):
            if argv and argv[0] in ("clean", "dedup") and "--no-progress" not in argv:
                argv = [*argv, "--no-progress"]
            code = textwash_main(argv)
            captured = capsys.readouterr()
            assert code == 0, (
                f"{block.where}: textwash {shlex.join(argv)} exited {code}:\n{captured.err}"
            )
            ran += 1
    if page in ("README.md", "docs/cli.md", "docs/index.md", "docs/tutorial.md"):
        assert ran, f"{page}: no textwash command ran"


def test_readme_doctests() -> None:
    """README.md's ``>>>`` examples (pytest collects those of docs/ itself)."""
    result = doctest.testfile(
        str(ROOT / "README.md"),
        module_relative=False,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
    )
    assert result.failed == 0


def test_every_block_is_classified() -> None:
    """No block is skipped without a reason, and every SKIP entry still names a block."""
    found = {
        (b.page, next((x.strip() for x in b.body.splitlines() if x.strip()), ""))
        for b in ALL_BLOCKS
    }
    stale = [key for key in SKIP if key not in found]
    assert not stale, f"SKIP entries that name no block any more: {stale}"
    python = [b for b in ALL_BLOCKS if b.lang in ("python", "py", "pycon")]
    assert sum(not b.skip for b in python) >= 0.9 * len(python), "keep skipped Python blocks rare"


def test_site_builds(tmp_path: Path) -> None:
    """``mkdocs build --strict`` succeeds: a broken link, a missing page or a failing
    generated part (a normalizer example that no longer holds) fails it."""
    if os.environ.get("TEXTWASH_DOCS_BUILT"):
        pytest.skip("make test built the site (make docs) before running pytest")
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent))
    if mkdocs is None:
        pytest.skip("mkdocs is not installed (pip install -e '.[docs]')")
    run = subprocess.run(
        [
            mkdocs,
            "build",
            "--strict",
            "-d",
            str(tmp_path / "site"),
        ],  # no --quiet: it hides warnings
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert (tmp_path / "site" / "assets" / "lsh-s-curve.svg").exists()
    assert "textwash dedup" in (tmp_path / "site" / "cli-reference.html").read_text(
        encoding="utf-8"
    )


# -- the generated parts ----------------------------------------------------------------------


def _docsgen() -> types.ModuleType:
    sys.path.insert(0, str(DOCS / "tools"))
    try:
        import docsgen
    finally:
        sys.path.remove(str(DOCS / "tools"))
    return docsgen


def test_cli_reference_names_every_option() -> None:
    """The generated reference lists every subcommand and every option of the parser."""
    import argparse

    from textwash.cli.main import build_parser

    reference = _docsgen().cli_reference()
    root = build_parser()
    sub = next(a for a in root._actions if isinstance(a, argparse._SubParsersAction))
    for name, parser in sub.choices.items():
        assert f"## `textwash {name}`" in reference
        for action in parser._actions:
            for option in action.option_strings:
                assert option in reference, f"textwash {name} {option} missing"


def test_s_curve_is_the_default_banding() -> None:
    """The plotted curve is 1-(1-s^r)^b for the bands and rows DedupConfig() gets."""
    from textwash.dedup.config import DedupConfig

    gen = _docsgen()
    c = DedupConfig()
    svg = gen.s_curve_svg()
    assert f"{c.bands} bands of {c.rows} rows" in svg
    points = re.search(r'<polyline points="([^"]+)"', svg)
    assert points is not None
    xy = [tuple(map(float, p.split(","))) for p in points[1].split()]
    (x0, y0), (x1, y1) = xy[0], xy[-1]  # s = 0 at the bottom left, s = 1 at the top right
    for x, y in xy[::40]:
        s = (x - x0) / (x1 - x0)
        p = (y0 - y) / (y0 - y1)
        assert abs(p - (1 - (1 - s**c.rows) ** c.bands)) < 0.01


def test_normalizer_pages_cover_every_normalizer() -> None:
    """Every built-in normalizer has a page asking for its examples, and has examples."""
    from textwash.normalizers import NORMALIZERS

    gen = _docsgen()
    pages = {p.read_text(encoding="utf-8") for p in (DOCS / "normalizers").glob("*.md")}
    for name in NORMALIZERS:
        assert any(f"<!-- textwash:examples {name} changed -->" in t for t in pages), name
        assert any(e.changed for e in gen.normalizer_examples(name)), name


def test_make_builds_the_site_strictly() -> None:
    """make docs and make test build with --strict and without --quiet (which also hides
    the warnings --strict counts, so a broken link would build)."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    line = next(x for x in makefile.splitlines() if x.startswith("MKDOCS ="))
    assert "--strict" in line and "--quiet" not in line and " -q" not in line
    test_recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "$(MKDOCS)" in test_recipe
