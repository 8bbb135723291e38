"""Split a collection page into essays, and essays into paragraphs and sentences.

Document-sharing sites glue many essays on one subject into one page and print
each title twice, sometimes a third time glued to the first paragraph
(``做好新时期公安群众工作之我见长期以来…``).  Segmentation runs on text cleaned
by a pipeline that keeps those repeated titles (the ``zh`` preset without
:class:`~textwash.normalizers.RepeatedLines`), finds the titles there, and maps
every span back to the raw text with the pipeline's offset map, so each unit
knows where it sits in the original input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import regex

from ..normalizers import RepeatedLines
from ..normalizers.boilerplate import line_key
from ..normalizers.lines import is_heading
from ..pipeline import Pipeline, RunResult
from ..presets import get_preset
from .document import Document, Unit, line_of, line_starts

__all__ = [
    "Section",
    "Segmented",
    "find_sections",
    "segment",
    "segmentation_pipeline",
    "split_collection",
    "split_sentences",
    "units",
]

_PUNCT = regex.compile(r"[\p{P}\p{S}\s]+")
_NOT_TITLE_END = regex.compile(r"[。！？；：，、.!?;:,]\Z")
_LINE = regex.compile(r"[^\n]+")
_CLOSING = ")）〕】》」』"
_SENTENCE = regex.compile(r"[^。！？；!?…\n]*(?:[。！？；!?]+|…+|\Z)[”’」』）)]*")

#: Unit kinds :func:`units` knows.
UNIT_KINDS = ("paragraph", "sentence", "document")


def segmentation_pipeline() -> Pipeline:
    """The ``zh`` preset without ``RepeatedLines``: clean, but keep titles printed twice."""
    return Pipeline([s for s in get_preset("zh") if not isinstance(s, RepeatedLines)])


def title_key(line: str) -> str:
    """What two copies of a title share: no spaces, punctuation or brackets; simplified.

    >>> title_key("〔浅谈新形势下的群众工作〕") == title_key("浅谈新形势下的群众工作")
    True
    """
    return _PUNCT.sub("", line_key(line))


@dataclass
class Section:
    """One essay of a collection page, in cleaned-text coordinates.

    ``title_spans`` are the title's own lines (every copy); ``paragraphs`` are the
    body's lines, the first one starting after a glued title echo.
    """

    title: str | None
    start: int
    end: int
    title_spans: list[tuple[int, int]] = field(default_factory=list)
    paragraphs: list[tuple[int, int]] = field(default_factory=list)


def _is_title_line(text: str, key: str, max_chars: int) -> bool:
    return (
        2 <= len(key) <= max_chars
        and not _NOT_TITLE_END.search(text.rstrip())
        and not is_heading(text.lstrip("〔【[ \t\u3000"))  # 〔title〕 is a title, 一、 is not
    )


def find_sections(clean: str, *, max_title_chars: int = 60) -> list[Section]:
    """Find the essays of a cleaned collection page.

    A title is a short line (no sentence punctuation at its end, not a heading
    like ``一、``) whose next non-blank line is the same title again, possibly in
    brackets (``〔…〕``), or a paragraph that starts with it.  Text before the
    first title is a section with no title; a text with no titles is one section.

    >>> page = "甲文标题\\n\\n甲文标题\\n\\n甲文标题正文一。\\n\\n正文二。\\n\\n"
    >>> page += "乙文标题\\n\\n乙文标题\\n\\n正文三。"
    >>> [(s.title, [page[a:b] for a, b in s.paragraphs]) for s in find_sections(page)]
    [('甲文标题', ['正文一。', '正文二。']), ('乙文标题', ['正文三。'])]
    """
    lines = [(m.start(), m.end(), m.group(0)) for m in _LINE.finditer(clean) if m.group(0).strip()]
    known: dict[int, str] = {}

    def keys(i: int) -> str:
        """The title key of line ``i`` (computed when first asked: most lines end
        a sentence, cannot be titles and are never asked)."""
        key = known.get(i)
        if key is None:
            t = lines[i][2]
            key = known[i] = title_key(t) if len(t) <= 4 * max_title_chars else ""
        return key

    sections: list[Section] = []
    current = Section(None, 0, len(clean))
    i = 0
    while i < len(lines):
        start, end, text = lines[i]
        # a line ending a sentence is no title (_is_title_line): its key is not needed
        maybe = not _NOT_TITLE_END.search(text.rstrip())
        key = keys(i) if maybe else ""
        titled = key and _is_title_line(text, key, max_title_chars)
        nxt = keys(i + 1) if titled and i + 1 < len(lines) else ""
        twice = titled and nxt == key
        echoed = titled and len(key) >= 6 and nxt.startswith(key) and len(nxt) > len(key)
        if not (twice or echoed):
            current.paragraphs.append((start, end))
            i += 1
            continue
        # a new section starts at this title
        if current.paragraphs or current.title_spans:
            current.end = start
            sections.append(current)
        current = Section(text.strip(), start, len(clean), title_spans=[(start, end)])
        i += 1
        while i < len(lines) and keys(i) == key:  # further copies of the title
            current.title_spans.append(lines[i][:2])
            i += 1
        if i < len(lines) and keys(i).startswith(key):  # the title glued to the first paragraph
            cut = _echo_end(lines[i][2], key)
            if cut is not None:
                s, e, _ = lines[i]
                if s + cut < e:
                    current.paragraphs.append((s + cut, e))
                i += 1
    if current.paragraphs or current.title_spans or not sections:
        sections.append(current)
    return sections


def _echo_end(text: str, key: str) -> int | None:
    """Where the body starts in ``text`` after one or more copies of the title ``key``."""
    pos = 0
    copies = 0
    n = len(text)
    while True:
        # walk over one copy of the key, skipping the punctuation and spaces it ignores
        k = 0
        j = pos
        while j < n and k < len(key):
            ch = text[j]
            if _PUNCT.fullmatch(ch):
                j += 1
                continue
            if title_key(ch) != key[k]:
                break
            k += 1
            j += 1
        if k < len(key):
            break
        while j < n and text[j] in _CLOSING:  # the title's own closing bracket: "(2)"
            j += 1
        pos = j
        copies += 1
    if copies == 0:
        return None
    while pos < n and text[pos] in " \t\u3000":
        pos += 1
    return pos


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of ``text`` (ends at ``。！？；!?…``, closing quotes kept).

    >>> s = "他说：“好。”然后走了！还有"
    >>> [s[a:b] for a, b in split_sentences(s)]
    ['他说：“好。”', '然后走了！', '还有']
    """
    out = []
    for m in _SENTENCE.finditer(text):
        if m.group(0).strip():
            out.append(m.span())
    return out


@dataclass
class Segmented:
    """A document cleaned and cut into sections, with the run that maps back to raw text."""

    document: Document
    run: RunResult
    sections: list[Section]

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        """Raw span (in ``document.text``) of the cleaned span ``[start, end)``."""
        return self.run.to_source(start, end)


def segment(doc: Document | str, *, pipeline: Pipeline | None = None) -> Segmented:
    """Clean ``doc`` with the segmentation pipeline and find its sections."""
    if isinstance(doc, str):
        doc = Document("0", doc)
    run = (pipeline or _default_pipeline()).run(doc.text)
    return Segmented(doc, run, find_sections(run.text))


_DEFAULT: list[Pipeline] = []


def _default_pipeline() -> Pipeline:
    if not _DEFAULT:
        _DEFAULT.append(segmentation_pipeline())
    return _DEFAULT[0]


def split_collection(
    text: str, *, pipeline: Pipeline | None = None, source: str | None = None, prefix: str = ""
) -> list[Document]:
    """Split a collection page into documents, each with its title and raw span.

    Each returned :class:`Document` holds the raw text from its title (or the
    page start) to the next title, its cleaned ``title``, and ``start``/``end``
    offsets into ``text``.

    >>> page = "甲文\\n\\n甲文\\n\\n甲文正文一。\\n\\n乙文\\n\\n乙文\\n\\n正文二。\\n"
    >>> for d in split_collection(page):
    ...     print(d.doc_id, d.title, repr(d.text))
    0 甲文 '甲文\\n\\n甲文\\n\\n甲文正文一。\\n\\n'
    1 乙文 '乙文\\n\\n乙文\\n\\n正文二。\\n'
    """
    seg = segment(Document(prefix or "page", text, source=source), pipeline=pipeline)
    bounds = []
    for sec in seg.sections:
        first = (
            sec.title_spans[0]
            if sec.title_spans
            else (sec.paragraphs[0] if sec.paragraphs else None)
        )
        bounds.append(seg.raw_span(*first)[0] if first else 0)
    bounds[0] = 0
    docs = []
    for k, sec in enumerate(seg.sections):
        start = bounds[k]
        end = bounds[k + 1] if k + 1 < len(bounds) else len(text)
        docs.append(
            Document(
                f"{prefix}{k}",
                text[start:end],
                title=sec.title,
                source=source,
                start=start,
                end=end,
            )
        )
    return docs


def units(
    doc: Document | str,
    unit: str = "paragraph",
    *,
    window: int = 1,
    pipeline: Pipeline | None = None,
    segmented: Segmented | None = None,
) -> list[Unit]:
    """The units of ``doc``: body ``paragraph``\\ s, ``sentence`` windows or ``document`` bodies.

    Titles (and their glued echoes) are never units.  Every unit's
    ``start``/``end`` slice ``doc.text`` to the raw passage it came from.
    """
    if unit not in UNIT_KINDS:
        raise ValueError(f"unknown unit {unit!r}; choose one of {', '.join(UNIT_KINDS)}")
    if window < 1:
        raise ValueError("window must be at least 1")
    seg = segmented or segment(doc, pipeline=pipeline)
    document = seg.document
    clean = seg.run.text
    starts = line_starts(document.text)
    out: list[Unit] = []

    def add(cs: int, ce: int, sec_no: int, title: str | None) -> None:
        rs, re_ = seg.raw_span(cs, ce)
        out.append(
            Unit(
                doc_id=document.doc_id,
                index=len(out),
                kind=unit,
                text=clean[cs:ce],
                start=rs,
                end=re_,
                line=line_of(starts, rs),
                end_line=line_of(starts, max(rs, re_ - 1)),
                section=sec_no,
                title=title,
                source=document.source,
                clean_start=cs,
                clean_end=ce,
            )
        )

    for sec_no, sec in enumerate(seg.sections):
        if unit == "document":
            if sec.paragraphs:
                add(sec.paragraphs[0][0], sec.paragraphs[-1][1], sec_no, sec.title)
            continue
        for ps, pe in sec.paragraphs:
            if unit == "paragraph":
                add(ps, pe, sec_no, sec.title)
                continue
            sents = [(ps + a, ps + b) for a, b in split_sentences(clean[ps:pe])]
            if not sents:
                continue
            size = min(window, len(sents))
            for k in range(len(sents) - size + 1):
                add(sents[k][0], sents[k + size - 1][1], sec_no, sec.title)
    return out
