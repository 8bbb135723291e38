"""Reading input dumps and writing cleaned copies: encodings, formats, atomic writes.

>>> from textwash.io import decode, detect_format
>>> decode("社会工作".encode("gb18030") * 8, "a.txt")[1], detect_format("a.jsonl")
('gb18030', 'jsonl')
"""

from __future__ import annotations

from .encoding import (
    CANDIDATES,
    DECODE_ERRORS,
    decode,
    decode_text,
    detect_encoding,
    normalize_encoding,
)
from .errors import InputError
from .readers import (
    FORMATS,
    ON_ERROR,
    Document,
    FileFilter,
    Reject,
    SourceFile,
    detect_format,
    discover,
    parse_jsonl,
    read_file,
)
from .writers import (
    atomic_open,
    atomic_write_bytes,
    atomic_write_text,
    render_bytes,
    render_jsonl,
    write_output,
)

__all__ = [
    "CANDIDATES",
    "DECODE_ERRORS",
    "FORMATS",
    "ON_ERROR",
    "Document",
    "FileFilter",
    "InputError",
    "Reject",
    "SourceFile",
    "atomic_open",
    "atomic_write_bytes",
    "atomic_write_text",
    "decode",
    "decode_text",
    "detect_encoding",
    "detect_format",
    "discover",
    "normalize_encoding",
    "parse_jsonl",
    "read_file",
    "render_bytes",
    "render_jsonl",
    "write_output",
]
