"""Reading an input file into documents, whatever its format.

The format follows the file name:

* ``.jsonl`` / ``.ndjson``: one JSON object per line, the text in a field
  (``"text"`` by default).  Blank lines are not documents, but they are kept
  in :attr:`SourceFile.line_count` so a written copy has the same line numbers.
* ``.parquet``: one document per row, the text in a string column; needs
  ``pyarrow`` (``pip install 'textwash[parquet]'``).
* anything else: plain text, the whole file one document.

Nothing is dropped silently: a line or row that cannot be a document is an
:class:`~textwash.io.errors.InputError` naming the file and line (or row).

>>> src = parse_jsonl('{"id": 1, "text": "社 会"}\\n\\n{"id": 2, "text": "好"}\\n', "a.jsonl")
>>> [(d.index, d.line, d.text) for d in src.documents], src.line_count
([(0, 1, '社 会'), (1, 3, '好')], 3)
"""

from __future__ import annotations

import os
from pathlib import Path

from .discovery import FileFilter, discover
from .encoding import codec_errors, decode_text
from .errors import InputError
from .jsonl import mostly_utf8_lines, parse_jsonl, parse_jsonl_bytes, take_jsonl_line
from .parquet import drop_null_rows, read_parquet
from .records import (
    FORMATS,
    Document,
    Reject,
    SourceFile,
    detect_format,
    read_bytes,
    whole_file_rejected,
)

__all__ = [
    "FORMATS",
    "ON_ERROR",
    "Document",
    "FileFilter",
    "Reject",
    "SourceFile",
    "detect_format",
    "discover",
    "drop_null_rows",
    "parse_jsonl",
    "read_file",
    "take_jsonl_line",
]


#: ``on_error`` values of :func:`read_file`.
ON_ERROR = ("fail", "skip")


def read_file(
    path: str | os.PathLike[str],
    *,
    text_field: str = "text",
    encoding: str | None = None,
    on_error: str = "fail",
    decode_errors: str = "strict",
) -> SourceFile:
    """Read ``path`` in the format its suffix names (see :func:`detect_format`).

    ``encoding`` overrides detection for plain text and JSONL; Parquet strings
    are always UTF-8.  With ``decode_errors="replace"`` bytes that do not
    decode become U+FFFD (counted in ``SourceFile.replaced``) instead of
    being an error; a file with NUL bytes is still binary.  With
    ``on_error="fail"`` every problem is an
    :class:`InputError`.  With ``"skip"``, a JSONL line or Parquet row that
    cannot be a document, or a whole file that cannot be decoded or parsed,
    becomes a :class:`Reject` in ``SourceFile.rejects`` (kept byte for byte)
    and the rest is read; only a file that cannot be read at all still raises.
    """
    if on_error not in ON_ERROR:
        raise ValueError(f"on_error must be one of {', '.join(ON_ERROR)}, not {on_error!r}")
    codec_errors(decode_errors)  # a ValueError if it is not one of DECODE_ERRORS
    path = Path(path)
    fmt = detect_format(path)
    if fmt == "parquet":
        return read_parquet(path, text_field, skip=on_error == "skip")
    data = read_bytes(path)
    if on_error == "skip":
        return _read_skipping(path, fmt, data, text_field, encoding, decode_errors)
    text, enc, replaced = decode_text(data, path, encoding, errors=decode_errors)
    if fmt == "jsonl":
        source = parse_jsonl(text, path, text_field)
    else:
        source = SourceFile(path, "text", enc, [Document(path, 0, 1, text)])
    source.encoding, source.size, source.replaced = enc, len(data), replaced
    return source


def _read_skipping(
    path: Path,
    fmt: str,
    data: bytes,
    text_field: str,
    encoding: str | None,
    decode_errors: str = "strict",
) -> SourceFile:
    """:func:`read_file` with ``on_error="skip"`` for plain text and JSONL."""
    if fmt == "jsonl" and encoding is None and mostly_utf8_lines(data):
        # Decode line by line: one corrupt line must not send the whole file to
        # the encoding detector (which would then read every line as GB18030).
        return parse_jsonl_bytes(path, data, "utf-8", text_field, decode_errors)
    try:
        text, enc, replaced = decode_text(data, path, encoding, errors=decode_errors)
    except InputError as exc:
        return whole_file_rejected(path, fmt, data, exc)
    if fmt == "text":
        document = Document(path, 0, 1, text)
        return SourceFile(path, "text", enc, [document], size=len(data), replaced=replaced)
    if enc.startswith(("utf-16", "utf-32")):  # lines cannot be cut in the bytes
        source = parse_jsonl(text, path, text_field, skip=True, encoding=enc)
        source.replaced = replaced
    else:
        source = parse_jsonl_bytes(path, data, enc, text_field, decode_errors)
    source.encoding, source.size = enc, len(data)
    return source
