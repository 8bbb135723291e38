r"""A griffe extension for the API reference: textwash's docstrings are written for
``help()`` and doctest (reST literals, ``>>>`` examples, ``::`` blocks); this fences the
examples and literal blocks as code so mkdocstrings renders them as code.

>>> fence(">>> 1 + 1\n2\n\nText::\n\n    x = 1\n").split("\n")
['```pycon', '>>> 1 + 1', '2', '```', '', 'Text:', '', '```python', 'x = 1', '```', '']
"""

from __future__ import annotations

import textwrap
from typing import Any

import griffe


def fence(text: str) -> str:
    """``text`` with its doctest examples and ``::`` literal blocks in fenced code blocks."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith(">>>"):
            indent = line[: len(line) - len(line.lstrip())]
            block = []
            while i < len(lines) and lines[i].strip() and lines[i].startswith(indent):
                block.append(lines[i][len(indent) :])
                i += 1
            block = ["" if b.strip() == "<BLANKLINE>" else b for b in block]
            out += [indent + "```pycon", *(indent + b for b in block), indent + "```"]
            continue
        if line.rstrip().endswith("::") and i + 1 < len(lines) and not lines[i + 1].strip():
            base = len(line) - len(line.lstrip())
            j = i + 1
            while j < len(lines) and (
                not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > base
            ):
                j += 1
            body = textwrap.dedent("\n".join(lines[i + 1 : j])).strip("\n")
            if body:
                out += [line.rstrip()[:-1], "", " " * base + "```python"]
                out += [(" " * base + b) if b else "" for b in body.split("\n")]
                out += [" " * base + "```", ""]
                i = j
                continue
        out.append(line)
        i += 1
    return "\n".join(out)


class DoctestFences(griffe.Extension):
    """Fence the examples of every docstring mkdocstrings loads."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = fence(obj.docstring.value)
