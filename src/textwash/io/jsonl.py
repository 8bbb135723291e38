"""JSON Lines: one JSON object a line, the text in a field.

Lines are split on ``"\\n"`` only; a blank line is not a document but keeps
its place (:attr:`~textwash.io.records.SourceFile.line_count`), and any other
line must be an object whose text field is a string, or an
:class:`~textwash.io.errors.InputError` names the line.  A file is read whole
(:func:`parse_jsonl`, :func:`parse_jsonl_bytes`), a line at a time from its
bytes (:func:`take_jsonl_line`), or a batch of lines at a time from an open
file (:func:`jsonl_batches`, for files too large to hold).

>>> src = parse_jsonl('{"id": 1, "text": "社 会"}\\n\\n{"id": 2, "text": "好"}\\n', "a.jsonl")
>>> [(d.index, d.line, d.text) for d in src.documents], src.line_count
([(0, 1, '社 会'), (1, 3, '好')], 3)
"""

from __future__ import annotations

import codecs
import io
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from .encoding import choose_encoding, codec_errors, replacements
from .errors import InputError
from .records import Document, Reject, SourceFile

__all__ = [
    "JsonlBatch",
    "jsonl_batches",
    "jsonl_encoding",
    "mostly_utf8_lines",
    "parse_jsonl",
    "parse_jsonl_bytes",
    "take_jsonl_line",
]

#: JSON's own whitespace: a JSONL line made only of these is blank.
_JSON_WS = " \t\r\n"


def mostly_utf8_lines(data: bytes) -> bool:
    """Whether at least 90% of the non-blank lines of ``data`` are valid UTF-8."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
        return False
    good = bad = 0
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad += 1
        else:
            good += 1
    return good > 0 and bad * 10 <= good + bad


def take_jsonl_line(
    raw: bytes,
    number: int,
    index: int,
    path: Path,
    encoding: str,
    text_field: str,
    skip: bool,
    errors: str = "strict",
) -> Document | Reject | None:
    """One line of a JSONL file, from its bytes: a document, a reject (with
    ``skip``), or ``None`` for a blank line; without ``skip`` a bad line raises
    the :class:`InputError` naming it.  ``number`` is the 1-based line number,
    ``index`` the record number.  A BOM is dropped from line 1.  With
    ``errors="replace"`` undecodable bytes become U+FFFD (counted by
    :func:`~textwash.io.encoding.replacements`).

    >>> take_jsonl_line(b'{"text": "a"}', 1, 0, Path("a.jsonl"), "utf-8", "text", False).text
    'a'
    """
    body = raw[3:] if number == 1 and raw.startswith(codecs.BOM_UTF8) else raw
    try:
        line = body.decode("utf-8" if encoding == "utf-8-sig" else encoding, codec_errors(errors))
    except UnicodeDecodeError as exc:
        if not skip:
            bad = body[exc.start] if exc.start < len(body) else 0
            raise InputError(
                path,
                f"cannot decode as {encoding} at byte {exc.start} of the line "
                f"(0x{bad:02x}): {exc.reason}",
                line=number,
                record=index,
            ) from None
        cause = f"cannot decode as {encoding} at byte {exc.start} of the line: {exc.reason}"
        return Reject(path, number, index, raw, cause)
    if not line.strip(_JSON_WS):
        return None
    documents: list[Document] = []
    rejects: list[Reject] = []
    _take_line(line, number, path, text_field, documents, rejects, skip=skip, raw=raw, index=index)
    return documents[0] if documents else rejects[0]


def parse_jsonl_bytes(
    path: Path, data: bytes, encoding: str, text_field: str, errors: str = "strict"
) -> SourceFile:
    """JSONL from raw bytes, each line decoded on its own; bad lines become rejects
    (:func:`jsonl_batches` over the bytes, as one batch)."""
    documents: list[Document] = []
    rejects: list[Reject] = []
    lines = replaced = 0
    read = jsonl_batches(
        io.BytesIO(data),
        path,
        encoding,
        text_field,
        skip=True,
        errors=errors,
        batch_bytes=max(1, len(data)),
    )
    for batch in read:
        for taken, _ in batch.lines:
            if isinstance(taken, Document):
                documents.append(taken)
            elif taken is not None:
                rejects.append(taken)
        lines, replaced = batch.state["line"], replaced + batch.replaced
    return SourceFile(
        path,
        "jsonl",
        encoding,
        documents,
        text_field=text_field,
        line_count=lines,
        size=len(data),
        rejects=rejects,
        replaced=replaced,
    )


def parse_jsonl(
    text: str,
    path: str | os.PathLike[str],
    text_field: str = "text",
    *,
    skip: bool = False,
    encoding: str = "utf-8",
) -> SourceFile:
    """Parse decoded JSONL ``text`` from ``path`` into a :class:`SourceFile`.

    Lines are split on ``"\\n"`` only (a JSON string may hold U+2028 and
    friends).  A line of JSON whitespace is blank and skipped; any other line
    must be an object whose ``text_field`` is a string, or an
    :class:`InputError` names the line (with ``skip``, the line becomes a
    :class:`Reject`, re-encoded with ``encoding``):

    >>> parse_jsonl('{"text": "a"}\\n[1, 2]\\n', "a.jsonl")
    Traceback (most recent call last):
    ...
    textwash.io.errors.InputError: a.jsonl:2: expected a JSON object, got an array
    """
    path = Path(path)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the final newline ends the last line; it does not start a new one
    documents: list[Document] = []
    rejects: list[Reject] = []
    for number, line in enumerate(lines, 1):
        if line.strip(_JSON_WS):
            _take_line(
                line, number, path, text_field, documents, rejects, skip=skip, encoding=encoding
            )
    return SourceFile(
        path,
        "jsonl",
        "utf-8",
        documents,
        text_field=text_field,
        line_count=len(lines),
        rejects=rejects,
    )


def _take_line(
    line: str,
    number: int,
    path: Path,
    text_field: str,
    documents: list[Document],
    rejects: list[Reject],
    *,
    skip: bool = True,
    raw: bytes | None = None,
    encoding: str = "utf-8",
    index: int | None = None,
) -> None:
    """Add the non-blank JSONL ``line`` to ``documents``; if it cannot be one,
    raise the :class:`InputError`, or with ``skip`` add it to ``rejects`` as
    ``raw`` (the line's bytes; ``None``: the line re-encoded with ``encoding``).
    ``index`` is the record's number (default: the records taken so far).
    """
    if index is None:
        index = len(documents) + len(rejects)
    try:
        record = _parse_record(line, path, number, index, text_field)
    except InputError as exc:
        if not skip:
            raise
        data = line.encode(encoding, "surrogatepass") if raw is None else raw
        rejects.append(Reject(path, number, index, data, exc.cause))
        return
    documents.append(Document(path, index, number, record[text_field], record))


def _parse_record(
    line: str, path: Path, number: int, index: int, text_field: str
) -> dict[str, Any]:
    def fail(cause: str) -> InputError:
        return InputError(path, cause, line=number, record=index)

    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        # some messages end in "at" already ("Unterminated string starting at")
        at = "" if exc.msg.endswith(" at") else " at"
        raise fail(f"invalid JSON ({exc.msg}{at} column {exc.colno})") from None
    if not isinstance(record, dict):
        raise fail(f"expected a JSON object, got {_json_type(record)}")
    if text_field not in record:
        raise fail(f"no {text_field!r} field (fields: {_field_list(record)})")
    value = record[text_field]
    if not isinstance(value, str):
        raise fail(f"field {text_field!r} is {_json_type(value)}, not a string")
    return record


def _json_type(value: object) -> str:
    """The JSON name of a decoded value's type, with an article."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _field_list(record: dict[str, Any], limit: int = 8) -> str:
    names = [repr(k) for k in record]
    if not names:
        return "none"
    more = f", … {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def jsonl_encoding(
    head: bytes,
    path: Path,
    forced: str | None,
    *,
    skip: bool,
    partial: bool,
    errors: str = "strict",
) -> str:
    """The encoding of a JSONL file from its first bytes ``head``: ``forced`` if
    given; UTF-8 when bad lines are skipped (``skip``) and most lines are UTF-8
    (a stray line of another encoding is then rejected, not the file); else as
    :func:`~textwash.io.encoding.choose_encoding` decides (``partial``: ``head``
    is not the whole file).

    >>> jsonl_encoding(b'{"text": "a"}', Path("a.jsonl"), None, skip=True, partial=False)
    'utf-8'
    """
    if skip and forced is None and mostly_utf8_lines(head):
        return "utf-8"
    return choose_encoding(head, path, forced, partial=partial, errors=errors)


@dataclass(frozen=True)
class JsonlBatch:
    """Consecutive lines of a JSONL file, as :func:`jsonl_batches` read them.

    ``lines`` holds, for each line, what it is (a :class:`Document`, a
    :class:`Reject` when the line is not a usable record and bad lines are
    skipped, ``None`` when blank) and its bytes without the newline; ``state``
    is where the next batch starts (``{"in": byte offset, "line": lines read,
    "record": records read}``, to go on from after a restart), ``replaced``
    how many undecodable byte sequences were replaced by U+FFFD.
    """

    lines: list[tuple[Document | Reject | None, bytes]]
    state: dict[str, int]
    replaced: int


def jsonl_batches(
    f: BinaryIO,
    path: Path,
    encoding: str,
    text_field: str,
    *,
    skip: bool,
    errors: str = "strict",
    batch_bytes: int = 4 << 20,
    state: dict[str, int] | None = None,
) -> Iterator[JsonlBatch]:
    r"""The lines of the open JSONL file ``f``, about ``batch_bytes`` at a time,
    from ``state`` (a batch's :attr:`JsonlBatch.state`; default: the start).

    Each line is :func:`take_jsonl_line` of its bytes: a line that is not a
    record raises :class:`~textwash.io.errors.InputError`, or with ``skip`` is
    a :class:`Reject` in its place.

    >>> import io
    >>> data = io.BytesIO(b'{"text": "a"}\n\n{"text": "b"}\n')
    >>> read = jsonl_batches(data, Path("a.jsonl"), "utf-8", "text", skip=False, batch_bytes=15)
    >>> batches = list(read)
    >>> [[(type(t).__name__, body) for t, body in b.lines] for b in batches]
    [[('Document', b'{"text": "a"}'), ('NoneType', b'')], [('Document', b'{"text": "b"}')]]
    >>> batches[-1].state
    {'in': 29, 'line': 3, 'record': 2}
    """
    offset = number = index = 0
    if state:
        offset, number, index = state["in"], state["line"], state["record"]
    f.seek(offset)
    while True:
        lines: list[tuple[Document | Reject | None, bytes]] = []
        size = 0
        before = replacements()
        for raw in f:
            size += len(raw)
            number += 1
            body = raw[:-1] if raw.endswith(b"\n") else raw
            taken = take_jsonl_line(body, number, index, path, encoding, text_field, skip, errors)
            if taken is not None:
                index += 1
            lines.append((taken, body))
            if size >= batch_bytes:
                break
        if not lines:
            return
        offset += size
        where = {"in": offset, "line": number, "record": index}
        yield JsonlBatch(lines, where, replacements() - before)
