"""Very long documents are looked at in parts, and reported whole.

Cleaning and segmenting a document takes several times its size in memory, so
:func:`~textwash.dedup.find_duplicates` cuts a document longer than
:data:`PART_CHARS` into parts of about that size, at paragraph breaks where it
can (then line breaks, sentence ends, and as a last resort anywhere), and
treats each part as a document of its own.  Before the report is returned
every copy found in a part is put back into the whole document: its id, its
offsets, lines, unit and section numbers are the whole document's.

A paragraph is never cut when the document has paragraph breaks; what a cut
can change is what the cleaning sees across it (a title printed just before a
cut and again just after it is not recognised as an echo).

>>> parts = Parts(size=10)
>>> doc = Document("d", "第一段。\\n\\n第二段。\\n\\n第三段。")
>>> [(p.doc_id, p.text) for p in parts.split(doc)]
[('d\\x00part0', '第一段。\\n\\n第二段。\\n\\n'), ('d\\x00part1', '第三段。')]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import regex

from ..segment import Document
from .report import Cluster, Member

__all__ = ["PART_CHARS", "Parts", "cut_points"]

#: Documents longer than this many characters are compared in parts of about this size.
PART_CHARS = 1 << 20

_SENTENCE_END = regex.compile(r"[。！？!?]")


def cut_points(text: str, size: int) -> list[int]:
    """Where to cut ``text`` into parts of at most ``size`` characters (the ends).

    Each part ends after the last paragraph break (a blank line) in its second
    half that sits between two body paragraphs (not next to a title, which a
    scraped page may print again right after), else after the last paragraph
    break, else the last line break, else the last sentence end, else at
    ``size`` (a part may end two characters later, to take a blank line whole).

    >>> cut_points("甲乙。\\n\\n丙丁。\\n戊。", 6)
    [5, 11]
    """
    ends: list[int] = []
    start = 0
    while len(text) - start > size:
        lo, hi = start + size // 2, start + size
        cut = _paragraph_break(text, lo, hi)
        if cut < 0:
            cut = text.rfind("\n", lo, hi) + 1
        if cut <= 0:
            found = [m.end() for m in _SENTENCE_END.finditer(text, lo, hi)]
            cut = found[-1] if found else hi
        ends.append(cut)
        start = cut
    if start < len(text) or not ends:
        ends.append(len(text))
    return ends


#: How many paragraph breaks are looked at for one between two body paragraphs.
_TRIES = 200
_BODY_END = "。！？!?…”」）)"


def _paragraph_break(text: str, lo: int, hi: int) -> int:
    """The end of the last blank line in ``text[lo:hi]`` between two body
    paragraphs (not next to a title, which may be printed again after the
    cut), else of the last blank line, else -1."""
    last = -1
    pos = hi + 2
    for _ in range(_TRIES):
        at = text.rfind("\n\n", lo, pos)
        if at < 0:
            break
        last = max(last, at + 2)
        before = text[text.rfind("\n", 0, at) + 1 : at].strip()
        after_end = text.find("\n", at + 2)
        after = text[at + 2 : after_end if after_end >= 0 else len(text)].strip()
        if _is_body(before) and _is_body(after):
            return at + 2
        pos = at + 1
    return last


def _is_body(line: str) -> bool:
    return len(line) >= 40 and line[-1] in _BODY_END


@dataclass(frozen=True, slots=True)
class _Part:
    whole: Document  # the document it was cut from, without its text
    start: int  # offset of the part in the whole text
    lines: int  # line breaks before it
    length: int


class Parts:
    """The parts of every long document of one :func:`find_duplicates` run.

    :meth:`split` cuts a document (or passes it through), :meth:`loader` wraps a
    ``load_text`` callback so it fetches a part, and :meth:`restore` moves every
    member of the report back into its whole document.
    """

    def __init__(self, size: int = PART_CHARS) -> None:
        self.size = size
        self._parts: dict[str, _Part] = {}
        # part id -> (unit offset, section offset, title of a continued section)
        self._shift: dict[str, tuple[int, int, str | None]] = {}
        # whole id -> (next unit, next section, title of the last section)
        self._next: dict[str, tuple[int, int, str | None]] = {}

    def __bool__(self) -> bool:
        return bool(self._parts)

    def split(self, doc: Document) -> Iterator[Document]:
        """``doc`` itself when it is short enough, else its parts, in order."""
        if len(doc.text) <= self.size:
            yield doc
            return
        whole = replace(doc, text="")
        start = lines = 0
        for k, end in enumerate(cut_points(doc.text, self.size)):
            text = doc.text[start:end]
            part_id = f"{doc.doc_id}\x00part{k}"
            self._parts[part_id] = _Part(whole, start, lines, len(text))
            yield Document(part_id, text, title=doc.title, source=doc.source)
            start, lines = end, lines + text.count("\n")

    def count(self, doc_id: str, n_units: int, titles: Sequence[str | None]) -> None:
        """Note the units and section titles of the part ``doc_id`` (in input order).

        Units and sections are numbered on from the part before; a part that
        starts before its first title (a section with no title) continues the
        section the part before ended in.
        """
        part = self._parts.get(doc_id)
        if part is None:
            return
        whole = part.whole.doc_id
        units, sections, last_title = self._next.get(whole, (0, 0, None))
        carried = sections > 0 and bool(titles) and titles[0] is None
        shift = sections - 1 if carried else sections
        self._shift[doc_id] = (units, shift, last_title if carried else None)
        if titles:
            last_title = titles[-1] if not (carried and len(titles) == 1) else last_title
        self._next[whole] = (units + n_units, shift + len(titles), last_title)

    def loader(self, load_text: Callable[[Document], str]) -> Callable[[Document], str]:
        """``load_text`` for parts: the whole document's text, sliced."""

        def load(doc: Document) -> str:
            part = self._parts.get(doc.doc_id)
            if part is None:
                return load_text(doc)
            return load_text(part.whole)[part.start : part.start + part.length]

        return load

    def restore(self, clusters: list[Cluster]) -> list[Cluster]:
        """The clusters with every member located in its whole document."""
        if not self._parts:
            return clusters
        return [replace(c, members=tuple(self._member(m) for m in c.members)) for c in clusters]

    def locate(
        self, doc_id: str, start: int, end: int, line: int, end_line: int
    ) -> tuple[str, int, int, int, int]:
        """A span of part ``doc_id`` as ``(doc_id, start, end, line, end_line)`` of its
        whole document (a document that was not cut is its own whole)."""
        part = self._parts.get(doc_id)
        if part is None:
            return doc_id, start, end, line, end_line
        at, lines = part.start, part.lines
        return part.whole.doc_id, start + at, end + at, line + lines, end_line + lines

    def _member(self, m: Member) -> Member:
        part = self._parts.get(m.doc_id) if m.run is None else None
        if part is None:
            return m
        units, sections, title = self._shift.get(m.doc_id, (0, 0, None))
        return replace(
            m,
            doc_id=part.whole.doc_id,
            unit=m.unit + units,
            section=m.section + sections,
            title=title if m.section == 0 and m.title is None and title else m.title,
            start=m.start + part.start,
            end=m.end + part.start,
            line=m.line + part.lines,
            end_line=m.end_line + part.lines,
        )
