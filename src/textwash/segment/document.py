"""`Document` and `Unit`: plain data with provenance back to the raw text."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

__all__ = ["Document", "Unit", "line_of"]


@dataclass(frozen=True)
class Document:
    """A text to clean or deduplicate, with where it came from.

    ``text`` is the raw text; ``start``/``end`` locate it in a larger text it was
    cut from (a collection page), and ``source`` names the file, if any.
    """

    doc_id: str
    text: str
    title: str | None = None
    source: str | None = None
    start: int = 0
    end: int | None = None


@dataclass(frozen=True, slots=True)
class Unit:
    """A paragraph, sentence window or document body, located in the raw text.

    ``text`` is the cleaned text of the unit; ``start``/``end`` index the raw
    text of document ``doc_id`` (as it was passed in), and ``line`` is the
    1-based line of ``start`` there.  ``section`` numbers the essay of a
    collection page the unit belongs to, and ``title`` is that essay's title.
    ``clean_start``/``clean_end`` locate ``text`` in the cleaned document.
    """

    doc_id: str
    index: int
    kind: str
    text: str
    start: int
    end: int
    line: int
    end_line: int
    section: int = 0
    title: str | None = None
    source: str | None = None
    clean_start: int = 0
    clean_end: int = 0


def line_of(line_starts: list[int], pos: int) -> int:
    """1-based line number of ``pos`` given the offsets where lines start.

    >>> line_of([0, 4, 9], 5)
    2
    """
    return bisect_right(line_starts, pos)


def line_starts(text: str) -> list[int]:
    """Offsets where each line of ``text`` starts.

    >>> line_starts("ab\\ncd\\n")
    [0, 3, 6]
    """
    out = [0]
    i = text.find("\n")
    while i != -1:
        out.append(i + 1)
        i = text.find("\n", i + 1)
    return out
