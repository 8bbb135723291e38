"""The generated parts of the documentation site, computed from the code.

``docs/tools/mkdocs_hooks.py`` calls these while ``mkdocs build`` runs, so the
site never holds a pasted copy of something the code decides:

* :func:`normalizer_examples` -- the before/after tables of a normalizer's page,
  from the examples in its docstrings (each one run again here, and checked
  against the doctest's expected output);
* :func:`options_table` -- a normalizer's options, from its dataclass fields;
* :func:`cli_reference` -- the command-line reference, from ``build_parser()``;
* :func:`s_curve_svg` and :func:`s_curve_table` -- the LSH S-curve
  ``1 - (1 - s**rows) ** bands`` for the bands and rows the defaults give.

>>> round(candidate_probability(0.8, bands=14, rows=9), 4)
0.867
>>> examples = normalizer_examples("Width")
>>> print(examples[0].before, examples[0].after, sep="\\n")  # the module's docstring first
增长５．２％，收入３，０００元，１２：３０开始，气温－５度
增长5.2%，收入3,000元，12:30开始，气温-5度
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import doctest
import html
import importlib
import inspect
import unicodedata
from dataclasses import dataclass
from typing import Any

# -- normalizer examples ---------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """One call of a normalizer in a doctest: the step, its input and its output."""

    step: str  # repr of the normalizer called, e.g. "ChineseConvert('s2t')"
    before: str
    after: str
    where: str  # the docstring it came from, e.g. "textwash.normalizers.width.Width"

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _doctests(cls: type) -> list[doctest.DocTest]:
    """The doctests of the module that defines ``cls`` (its docstring) and of ``cls``."""
    module = importlib.import_module(cls.__module__)
    finder = doctest.DocTestFinder(recurse=False)
    found = []
    for obj, name in ((module, module.__name__), (cls, f"{module.__name__}.{cls.__name__}")):
        found += finder.find(obj, name, module=module, globs=dict(vars(module)))
    return [t for t in found if t.examples]


def _call_of(node: ast.AST, namespace: dict[str, Any], cls: type) -> tuple[Any, str] | None:
    """``(normalizer, input)`` when ``node`` is ``N(...)(TEXT)`` with ``N(...)`` a ``cls``."""
    if not (isinstance(node, ast.Call) and len(node.args) == 1 and not node.keywords):
        return None
    step = eval(compile(ast.Expression(node.func), "<example>", "eval"), namespace)
    if not isinstance(step, cls):
        return None
    text = eval(compile(ast.Expression(node.args[0]), "<example>", "eval"), namespace)
    return (step, text) if isinstance(text, str) else None


def normalizer_examples(name: str) -> list[Example]:
    """Every call of normalizer ``name`` on a text in its docstrings' examples.

    The examples of the module's docstring and the class's run in order in one
    namespace (as doctest runs them).  A call ``N(...)(TEXT)`` whose expected
    output is a string gives ``Example(step, TEXT, output)``; ``N(...)(x) == x``
    expected ``True`` gives an example the step leaves alone.  Each output is
    computed again here and must equal the doctest's expected one.
    """
    from textwash import normalizers

    cls = getattr(normalizers, name)
    out: list[Example] = []
    for test in _doctests(cls):
        namespace = dict(test.globs)
        for ex in test.examples:
            tree = ast.parse(ex.source)
            stmt = tree.body[0] if len(tree.body) == 1 else None
            if not isinstance(stmt, ast.Expr):
                exec(compile(tree, "<example>", "exec"), namespace)
                continue
            node, same = stmt.value, False
            if (
                isinstance(node, ast.Compare)
                and len(node.ops) == 1
                and isinstance(node.ops[0], ast.Eq)
                and ex.want.strip() == "True"
            ):
                node, same = node.left, True
            call = _call_of(node, namespace, cls)
            if call is None:
                continue
            step, before = call
            after = step(before)
            expected = before if same else ast.literal_eval(ex.want.strip())
            if after != expected:
                raise AssertionError(
                    f"{test.name}: {ex.source.strip()} gives {after!r}, "
                    f"its doctest says {expected!r}"
                )
            example = Example(repr(step), before, after, test.name)
            if all((e.step, e.before) != (example.step, before) for e in out):
                out.append(example)  # the module's and the class's docstrings may share one
    return out


def _show(text: str) -> str:
    """``text`` as HTML for a table cell: line breaks marked ``↵``, invisible characters escaped."""
    parts = []
    for ch in text:
        if ch == "\n":
            parts.append('<span class="tw-mark">↵</span>\n')
        elif ch == "\u3000":
            parts.append('<span class="tw-mark" title="U+3000 ideographic space">□</span>')
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") or ch == "\u00ad":
            parts.append(f'<span class="tw-mark">\\u{ord(ch):04x}</span>')
        else:
            parts.append(html.escape(ch))
    return "".join(parts)


def examples_table(examples: list[Example], default_step: str) -> str:
    """An HTML table of ``examples`` (Markdown passes it through as it is)."""
    if not examples:
        return "*(no examples in the docstrings)*\n"
    with_step = any(e.step != default_step for e in examples)
    head = ("<th>step</th>" if with_step else "") + "<th>before</th><th>after</th>"
    rows = []
    for e in examples:
        step = f"<td><code>{html.escape(e.step)}</code></td>" if with_step else ""
        after = _show(e.after) if e.changed else "<em>unchanged</em>"
        rows.append(
            f"<tr>{step}<td><code>{_show(e.before)}</code></td><td><code>{after}</code></td></tr>"
        )
    return (
        '<div class="tw-examples">\n<table>\n<thead><tr>'
        + head
        + "</tr></thead>\n<tbody>\n"
        + "\n".join(rows)
        + "\n</tbody>\n</table>\n</div>\n"
    )


def normalizer_section(name: str, which: str) -> str:
    """``which`` = ``"changed"`` or ``"unchanged"``: the table of those examples of ``name``
    (for ``"unchanged"``, with a line introducing it; nothing when there are none)."""
    from textwash import normalizers

    default = repr(getattr(normalizers, name)())
    examples = [e for e in normalizer_examples(name) if e.changed == (which == "changed")]
    if not examples:
        return "" if which == "unchanged" else "*(no examples in the docstrings)*\n"
    sources = sorted({e.where for e in examples})
    intro = (
        "Examples from its docstrings that it leaves unchanged:\n\n" if which == "unchanged" else ""
    )
    note = (
        "\n<small>From the examples in the docstrings of "
        + ", ".join(f"<code>{s}</code>" for s in sources)
        + "; <code>make test</code> runs them as doctests.</small>\n"
    )
    return intro + examples_table(examples, default) + note


def options_table(name: str) -> str:
    """A Markdown table of normalizer ``name``'s options: its dataclass fields and defaults."""
    from textwash import normalizers

    cls = getattr(normalizers, name)
    rows = ["| option | type | default |", "|---|---|---|"]
    for f in dataclasses.fields(cls):
        if not f.init or f.name.startswith("_"):
            continue
        if f.default is not dataclasses.MISSING:
            default = repr(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            default = repr(f.default_factory())
        else:
            default = "(required)"
        kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        rows.append(f"| `{f.name}` | `{kind}` | `{default}` |".replace("|`", "| `"))
    if len(rows) == 2:
        return "*No options.*\n"
    return "\n".join(rows) + "\n"


# -- command-line reference --------------------------------------------------------------


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.HelpFormatter(prog, width=88, max_help_position=30)


def _cell(text: str) -> str:
    return html.escape(" ".join(text.split()), quote=False).replace("|", "\\|")


def _parser_section(parser: argparse.ArgumentParser, level: str) -> list[str]:
    parser.formatter_class = _formatter
    out = ["```text", parser.format_usage().strip(), "```", ""]
    if parser.description:
        out += [_cell(parser.description), ""]
    formatter = parser._get_formatter()
    exclusive = {
        id(a): group for group in parser._mutually_exclusive_groups for a in group._group_actions
    }
    for group in parser._action_groups:
        actions = [
            a
            for a in group._group_actions
            if a.help is not argparse.SUPPRESS and not isinstance(a, argparse._SubParsersAction)
        ]
        if not actions:
            continue
        out += [
            f"{level} {group.title}",
            "",
            "| argument | value | default | meaning |",
            "|---|---|---|---|",
        ]
        for a in actions:
            names = ", ".join(a.option_strings) or (a.metavar or a.dest)
            if a.nargs == 0:
                value = ""
            elif a.choices is not None:
                value = " \\| ".join(str(c) for c in a.choices)
            else:
                value = str(a.metavar or a.dest.upper()) if a.option_strings else ""
            if a.nargs in ("+", "*") and not a.option_strings:
                value = "one or more" if a.nargs == "+" else "any number"
            default = a.default
            shown = (
                ""
                if default in (None, False, argparse.SUPPRESS, [])
                or isinstance(a, argparse._VersionAction)
                else repr(default)
                if not isinstance(default, str)
                else default
            )
            meaning = _cell(formatter._expand_help(a)) if a.help else ""
            if id(a) in exclusive:
                others = [
                    ", ".join(o.option_strings)
                    for o in exclusive[id(a)]._group_actions
                    if o is not a
                ]
                meaning += f" (not with {', '.join(f'`{o}`' for o in others)})"
            value = f"`{value}`" if value else ""
            shown = f"`{shown}`" if shown else ""
            out.append(f"| `{names}` | {value} | {shown} | {meaning} |")
        out.append("")
    return out


def cli_reference() -> str:
    """The reference of every ``textwash`` subcommand, from the parser the command runs."""
    from textwash.cli.main import build_parser

    root = build_parser()
    out = ["## `textwash`", "", *_parser_section(root, "###")]
    sub = next(a for a in root._actions if isinstance(a, argparse._SubParsersAction))
    helps = {c.dest: c.help for c in sub._choices_actions}
    for name, parser in sub.choices.items():
        out += [f"## `textwash {name}`", ""]
        if helps.get(name):
            out += [f"*{_cell(helps[name])}*", ""]
        out += _parser_section(parser, "###")
    return "\n".join(out) + "\n"


# -- the LSH S-curve ------------------------------------------------------------------------


def candidate_probability(s: float, bands: int, rows: int) -> float:
    """The chance that two units whose shingle sets have Jaccard similarity ``s`` share
    at least one LSH band key: ``1 - (1 - s**rows) ** bands``."""
    return float(1.0 - (1.0 - s**rows) ** bands)


def default_banding() -> dict[str, Any]:
    """The defaults of :class:`~textwash.dedup.config.DedupConfig`, and the bands and rows
    they give."""
    from textwash.dedup.config import DedupConfig

    c = DedupConfig()
    return {
        "near_threshold": c.near_threshold,
        "lsh_threshold": c.lsh_threshold,
        "num_perm": c.num_perm,
        "bands": c.bands,
        "rows": c.rows,
    }


def s_curve_svg(width: int = 640, height: int = 400) -> str:
    """The S-curve of the default banding as an SVG image, with both thresholds marked."""
    d = default_banding()
    b, r = d["bands"], d["rows"]
    left, right, top, bottom = 64, 24, 36, 56
    pw, ph = width - left - right, height - top - bottom

    def x(s: float) -> float:
        return left + s * pw

    def y(p: float) -> float:
        return top + (1 - p) * ph

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="sans-serif" font-size="13" '
        'role="img" aria-labelledby="title">',
        '<title id="title">Chance that a pair becomes an LSH candidate, '
        f"{b} bands of {r} rows</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>',
    ]
    for i in range(11):
        v = i / 10
        parts.append(
            f'<line x1="{x(v):.1f}" y1="{y(0):.1f}" x2="{x(v):.1f}" y2="{y(1):.1f}" '
            'stroke="#e4e4e4"/>'
        )
        parts.append(
            f'<line x1="{x(0):.1f}" y1="{y(v):.1f}" x2="{x(1):.1f}" y2="{y(v):.1f}" '
            'stroke="#e4e4e4"/>'
        )
        parts.append(
            f'<text x="{x(v):.1f}" y="{y(0) + 18:.1f}" text-anchor="middle">{v:.1f}</text>'
        )
        parts.append(
            f'<text x="{x(0) - 8:.1f}" y="{y(v) + 4:.1f}" text-anchor="end">{v:.1f}</text>'
        )
    parts.append(
        f'<rect x="{x(0):.1f}" y="{y(1):.1f}" width="{pw}" height="{ph}" '
        'fill="none" stroke="#555"/>'
    )
    for value, label, colour in (
        (d["lsh_threshold"], f"LSH threshold {d['lsh_threshold']}", "#b35806"),
        (d["near_threshold"], f"near threshold {d['near_threshold']}", "#1b7837"),
    ):
        p = candidate_probability(value, b, r)
        parts.append(
            f'<line x1="{x(value):.1f}" y1="{y(0):.1f}" x2="{x(value):.1f}" y2="{y(1):.1f}" '
            f'stroke="{colour}" stroke-dasharray="5,4" stroke-width="1.5"/>'
        )
        parts.append(f'<circle cx="{x(value):.1f}" cy="{y(p):.1f}" r="4" fill="{colour}"/>')
        parts.append(
            f'<text x="{x(value) - 6:.1f}" y="{y(p) - 8:.1f}" text-anchor="end" fill="{colour}">'
            f"{label}: {p:.2f}</text>"
        )
    points = " ".join(
        f"{x(i / 400):.2f},{y(candidate_probability(i / 400, b, r)):.2f}" for i in range(401)
    )
    parts.append(f'<polyline points="{points}" fill="none" stroke="#2166ac" stroke-width="2.5"/>')
    parts.append(
        f'<text x="{left + pw / 2:.1f}" y="{height - 14}" text-anchor="middle">'
        "Jaccard similarity s of the two shingle sets</text>"
    )
    parts.append(
        f'<text transform="translate(16 {top + ph / 2:.1f}) rotate(-90)" text-anchor="middle">'
        "chance of being a candidate</text>"
    )
    parts.append(
        f'<text x="{left + pw / 2:.1f}" y="22" text-anchor="middle" font-weight="bold">'
        f"1 − (1 − s^{r})^{b}: {b} bands of {r} rows, num_perm {d['num_perm']}</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def s_curve_table() -> str:
    """The chance of becoming a candidate at a few similarities, for the default banding."""
    d = default_banding()
    b, r = d["bands"], d["rows"]
    sims = [0.3, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]
    head = "| Jaccard similarity | " + " | ".join(f"{s:g}" for s in sims) + " |"
    rule = "|---|" + "---:|" * len(sims)
    row = (
        "| chance of being a candidate | "
        + " | ".join(f"{candidate_probability(s, b, r):.3f}" for s in sims)
        + " |"
    )
    return "\n".join([head, rule, row]) + "\n"


def banding_table() -> str:
    """Bands and rows, and the chance a pair at the near threshold is found, for other settings."""
    from textwash.dedup.config import DedupConfig

    rows = [
        "| `near_threshold` | `num_perm` | `lsh_threshold` | bands × rows "
        "| found at the near threshold | at near + 0.05 |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for near in (0.5, 0.6, 0.7, 0.8, 0.9):
        for num_perm in (128, 256):
            c = DedupConfig(near_threshold=near, num_perm=num_perm)
            p = candidate_probability(near, c.bands, c.rows)
            q = candidate_probability(min(1.0, near + 0.05), c.bands, c.rows)
            mark = "**" if (near, num_perm) == (0.8, 128) else ""
            rows.append(
                f"| {mark}{near:g}{mark} | {num_perm} | {c.lsh_threshold:g} | "
                f"{c.bands} × {c.rows} | {p:.3f} | {q:.3f} |"
            )
    return "\n".join(rows) + "\n"


def signature(obj: Any) -> str:
    """``obj``'s call signature (used for the defaults named in prose)."""
    return str(inspect.signature(obj))
