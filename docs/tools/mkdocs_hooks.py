"""mkdocs hooks (``hooks:`` in mkdocs.yml): fill in the generated parts of the site.

A page asks for a generated part with an HTML comment on a line of its own::

    <!-- textwash:examples Width changed -->     before/after table from the doctests
    <!-- textwash:examples Width unchanged -->   the examples the step leaves alone
    <!-- textwash:options Width -->              its options, from the dataclass
    <!-- textwash:cli -->                        the command-line reference, from the parser
    <!-- textwash:s-curve-table -->              the LSH S-curve at a few similarities
    <!-- textwash:banding-table -->              bands and rows for other thresholds

and ``assets/lsh-s-curve.svg`` is drawn by :func:`docsgen.s_curve_svg` for every
build.  Everything comes from the installed textwash, so ``mkdocs build`` alone
regenerates it; an unknown marker fails the build.
"""

from __future__ import annotations

import logging
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import docsgen

log = logging.getLogger("mkdocs.hooks.textwash")

MARKER = re.compile(r"^<!-- textwash:([a-z-]+)((?: [\w-]+)*) -->$", re.MULTILINE)

GENERATORS = {
    "examples": lambda name, which: docsgen.normalizer_section(name, which),
    "options": lambda name: docsgen.options_table(name),
    "cli": lambda: docsgen.cli_reference(),
    "s-curve-table": lambda: docsgen.s_curve_table(),
    "banding-table": lambda: docsgen.banding_table(),
}

SVG_PATH = "assets/lsh-s-curve.svg"

BLANKLINE = re.compile(r"(?<=\n)[ \t]*<BLANKLINE>[ \t]*(?=\n)")

# Sphinx roles in docstrings (:func:`clean`, :class:`~textwash.edits.Edit`) as mkdocstrings
# renders them: the role's name, then the target as code.
_ROLES = r":(?:func|class|meth|mod|data|attr|exc|obj|const):"
SHORT_ROLE = re.compile(_ROLES + r"<code>~(?:[\w.]+\.)?")
ROLE = re.compile(_ROLES + r"<code>")


def _replace(match: re.Match[str], page: str) -> str:
    name, args = match.group(1), match.group(2).split()
    if name not in GENERATORS:
        raise ValueError(f"{page}: unknown generated part <!-- textwash:{name} -->")
    return str(GENERATORS[name](*args))


def _tolerant_raw_html() -> None:
    """Let mkdocs scan a page for anchors when its code spans hold ``<![`` (the regex
    lookbehind ``(?<![床牀])`` in normalizers.md): Python's ``html.parser`` takes it for a
    marked section and raises.  The scan only collects ``id``s of raw HTML, so it is fed
    the lines with that sequence broken; the page itself is rendered unchanged."""
    from mkdocs.structure import pages

    original = pages._RawHTMLPreprocessor.run
    if getattr(original, "tolerant", False):
        return

    def run(self: Any, lines: list[str]) -> list[str]:
        original(self, [line.replace("<![", "< ![") for line in lines])
        return lines

    run.tolerant = True  # type: ignore[attr-defined]
    pages._RawHTMLPreprocessor.run = run  # type: ignore[method-assign]


def on_startup(command: str, dirty: bool) -> None:
    _tolerant_raw_html()


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    files.append(File.generated(config, SVG_PATH, content=docsgen.s_curve_svg()))
    return files


# Links the site cannot follow as written, in pages this hook may not edit: (page, link as
# written, link to use, why).  Each is logged when used; delete an entry once its page is
# fixed (an entry whose link is gone is logged too, and does nothing).
LINK_FIXES: list[tuple[str, str, str, str]] = []

# A Markdown link to a file of the repository outside docs/: [text](../src/textwash/x.py)
REPO_LINK = re.compile(r"\[([^\]]+)\]\((\.\./[^)\s#]+)\)")


def _repo_links(markdown: str, page: Any, config: Any) -> str:
    """Links from a page to files of the repository outside docs/ (source files, the
    benchmarks' READMEs) become their path in code: the site has no copy of them."""
    docs = Path(config["docs_dir"]).resolve()
    here = (docs / page.file.src_uri).parent

    def plain(m: re.Match[str]) -> str:
        text, target = m.group(1), m.group(2)
        path = (here / target).resolve()
        root = docs.parent
        if not path.exists() or docs in path.parents or root not in path.parents:
            return m.group(0)  # mkdocs reports it, or it is a page
        rel = path.relative_to(root).as_posix()
        return f"`{rel}`" if text.strip("`") == rel else f"{text} (`{rel}`)"

    return REPO_LINK.sub(plain, markdown)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    for src, wrong, right, why in LINK_FIXES:
        if page.file.src_uri == src:
            if wrong in markdown:
                log.info("%s: link %s read as %s (%s)", src, wrong[:-1], right[:-1], why)
                markdown = markdown.replace(wrong, right)
            else:
                log.info("%s: the link fix-up for %s is no longer needed", src, wrong[:-1])
    markdown = _repo_links(markdown, page, config)
    # doctest writes an empty line of expected output as <BLANKLINE>; a reader sees it empty
    markdown = BLANKLINE.sub("", markdown)
    return MARKER.sub(lambda m: _replace(m, page.file.src_uri), markdown)


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    if "<code>" not in html or ":" not in html:
        return html
    # a role whose target is shortened with ~ shows only its last name, as Sphinx shows it
    return ROLE.sub("<code>", SHORT_ROLE.sub("<code>", html))
