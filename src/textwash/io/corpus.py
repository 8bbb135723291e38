"""The documents of a corpus, named after where they were read.

``textwash dedup`` compares every document of every input as one corpus.  A
document's ``doc_id`` says where it sits: the file's path for plain text,
``PATH:LINE`` for a JSONL record (its line in the file), ``PATH#ROW`` for a
Parquet row (0-based).  :func:`corpus_documents` makes them,
:func:`locate_doc_id` reads such an id back, and :func:`check_comparable`
refuses a text that cannot be compared.

>>> from textwash.io.jsonl import parse_jsonl
>>> source = parse_jsonl('{"text": "甲"}\\n\\n{"text": "乙"}\\n', "d/a.jsonl")
>>> [(d.doc_id, d.text, d.source) for d in corpus_documents("d/a.jsonl", source)]
[('d/a.jsonl:1', '甲', 'd/a.jsonl'), ('d/a.jsonl:3', '乙', 'd/a.jsonl')]
>>> locate_doc_id("d/a.jsonl:3", "d/a.jsonl"), locate_doc_id("r.parquet#7", "r.parquet")
(('line', 3), ('row', 7))
"""

from __future__ import annotations

import re

from ..segment import Document
from .errors import InputError
from .records import SourceFile, detect_format

__all__ = ["check_comparable", "corpus_documents", "doc_id", "locate_doc_id"]

_SURROGATE = re.compile("[\ud800-\udfff]")


def doc_id(name: str, fmt: str, line: int | None, index: int) -> str:
    """The id of a document of file ``name`` in format ``fmt``.

    >>> doc_id("a.txt", "text", 1, 0), doc_id("b.jsonl", "jsonl", 4, 2)
    ('a.txt', 'b.jsonl:4')
    >>> doc_id("c.parquet", "parquet", None, 2)
    'c.parquet#2'
    """
    if fmt == "jsonl":
        return f"{name}:{line}"
    if fmt == "parquet":
        return f"{name}#{index}"
    return name


def corpus_documents(name: str, source: SourceFile) -> list[Document]:
    """The documents of one input file read as ``source``, as corpus documents
    (:class:`textwash.segment.Document`) whose ``source`` is ``name``."""
    return [
        Document(doc_id(name, source.format, doc.line, doc.index), doc.text, source=name)
        for doc in source.documents
    ]


def locate_doc_id(identifier: str, name: str) -> tuple[str, int | None]:
    """Where in file ``name`` the document ``identifier`` is: ``("line", N)`` for
    JSONL, ``("row", N)`` for Parquet, ``("file", None)`` for plain text."""
    fmt = detect_format(name)
    if fmt == "jsonl":
        return "line", int(identifier.rpartition(":")[2])
    if fmt == "parquet":
        return "row", int(identifier.rpartition("#")[2])
    return "file", None


def check_comparable(source: SourceFile) -> None:
    """Refuse a text holding a lone surrogate (a legal ``\\ud800`` escape in JSONL).

    The cleaning and tokenizing steps cannot handle one (it has no UTF-8 form),
    so it is an :class:`~textwash.io.errors.InputError` naming the line rather
    than a crash.
    """
    for doc in source.documents:
        if m := _SURROGATE.search(doc.text):
            raise InputError(
                source.path,
                f"text holds a lone surrogate (\\u{ord(m.group()):04x}) at character "
                f"{m.start()}, which cannot be compared",
                line=doc.line,
                record=doc.index,
            )
