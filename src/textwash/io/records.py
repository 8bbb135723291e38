"""What reading an input file gives: its documents, its rejects, and how to mirror it.

:class:`SourceFile` is one file read (by :func:`textwash.io.read_file`, or a
batch of a large one); :class:`Document` one of its documents, :class:`Reject`
a record (or the whole file) that could not be one, kept byte for byte.  The
format of a file follows its name (:func:`detect_format`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError

__all__ = [
    "FORMATS",
    "Document",
    "Reject",
    "SourceFile",
    "detect_format",
    "read_bytes",
    "whole_file_rejected",
]

#: File-name suffixes of the structured formats; everything else is plain text.
FORMATS: dict[str, str] = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


@dataclass(frozen=True, slots=True)
class Document:
    """One document read from an input file.

    Attributes:
        path: the file it came from.
        index: 0-based document number within the file (JSONL record, Parquet row).
        line: 1-based line in the file where the document starts (``1`` for
            plain text), or ``None`` for Parquet.
        text: the raw text to clean.
        record: the whole JSON object for JSONL (so it can be written back with
            only the text replaced); ``None`` for plain text and Parquet (see
            :meth:`SourceFile.row`).
    """

    path: Path
    index: int
    line: int | None
    text: str
    record: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Reject:
    """A record (or a whole file) that could not be read, kept byte for byte.

    >>> from textwash.io.jsonl import parse_jsonl
    >>> src = parse_jsonl('{"text": 1}\\n', "a.jsonl", skip=True)
    >>> str(src.rejects[0]), src.rejects[0].raw
    ("a.jsonl:1: field 'text' is a number, not a string", b'{"text": 1}')

    Attributes:
        path: the file.
        line: 1-based line of the record, or ``None`` (a whole file, a Parquet row).
        record: 0-based record number (JSONL record or Parquet row), or ``None``.
        raw: the record's bytes as they were in the file (a Parquet row: its
            JSON form; a whole file: all of it).
        cause: what is wrong, as a short phrase.
    """

    path: Path
    line: int | None
    record: int | None
    raw: bytes
    cause: str

    def __str__(self) -> str:
        return str(InputError(self.path, self.cause, line=self.line, record=self.record))


@dataclass
class SourceFile:
    """An input file, read: its documents plus what a writer needs to mirror it.

    Attributes:
        path: the file.
        format: ``"text"``, ``"jsonl"`` or ``"parquet"``.
        encoding: the encoding it was decoded with (``"utf-8"`` for Parquet).
        documents: the documents, in file order.
        text_field: the JSON field or Parquet column holding the text.
        line_count: number of lines in a JSONL file, blank ones included.
        size: size of the file in bytes.
        table: the ``pyarrow.Table`` of a Parquet file, else ``None``.
        rejects: what ``read_file(..., on_error="skip")`` could not read; the
            records read plus the rejects are every record of the file.
        replaced: undecodable byte sequences that ``read_file(...,
            decode_errors="replace")`` turned into U+FFFD.
    """

    path: Path
    format: str
    encoding: str
    documents: list[Document] = field(default_factory=list)
    text_field: str = "text"
    line_count: int = 0
    size: int = 0
    table: Any = None
    rejects: list[Reject] = field(default_factory=list)
    replaced: int = 0

    def row(self, index: int) -> dict[str, Any]:
        """The full row ``index`` of a Parquet file (or the JSON object of a JSONL record).

        >>> from textwash.io.jsonl import parse_jsonl
        >>> parse_jsonl('{"text": "a", "id": 7}', "a.jsonl").row(0)
        {'text': 'a', 'id': 7}
        """
        if self.table is not None:
            rows: list[dict[str, Any]] = self.table.slice(index, 1).to_pylist()
            return rows[0]
        record = self.documents[index].record
        if record is None:
            raise ValueError(f"{self.path} is plain text and has no fields")
        return record


def detect_format(path: str | os.PathLike[str]) -> str:
    """The input format of ``path`` by its suffix: ``"jsonl"``, ``"parquet"`` or ``"text"``.

    >>> detect_format("dump/a.JSONL"), detect_format("b.ndjson"), detect_format("c.txt")
    ('jsonl', 'jsonl', 'text')
    """
    return FORMATS.get(Path(path).suffix.lower(), "text")


def whole_file_rejected(path: Path, fmt: str, data: bytes, exc: InputError) -> SourceFile:
    reject = Reject(path, exc.line, exc.record, data, exc.cause)
    return SourceFile(path, fmt, "unknown", [], size=len(data), rejects=[reject])


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read ({exc.strerror or exc})") from None
