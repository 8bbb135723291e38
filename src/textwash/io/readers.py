"""Finding input files and reading them into documents.

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

import codecs
import fnmatch
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from .encoding import codec_errors, decode_text, replacements
from .errors import InputError

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

#: File-name suffixes of the structured formats; everything else is plain text.
FORMATS: dict[str, str] = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}

#: JSON's own whitespace: a JSONL line made only of these is blank.
_JSON_WS = " \t\r\n"


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


# -- discovery ------------------------------------------------------------------


@dataclass(frozen=True)
class FileFilter:
    """Which of the files found in a folder are inputs (``--include``, ``--exclude``).

    Patterns are shell globs (``*``, ``?``, ``[...]``; ``*`` also crosses
    ``/``).  A pattern without ``/`` is matched against the name, one with
    ``/`` against the path below the folder that was named (``2023/*.txt``).
    A file is taken when it matches some ``include`` pattern (any file, when
    there is none) and no ``exclude`` pattern; a folder matching an
    ``exclude`` pattern is not entered.  Files named directly are always taken.

    >>> f = FileFilter(include=("*.txt", "*.jsonl"), exclude=("drafts", "*.bak.txt"))
    >>> [f.takes_file(Path(p)) for p in ("a/b.txt", "logo.png", "x.bak.txt")]
    [True, False, False]
    >>> f.takes_folder(Path("2023/drafts")), f.takes_folder(Path("2023"))
    (False, True)
    >>> FileFilter(exclude=("2023/*",)).takes_file(Path("2023/a.txt"))
    False
    """

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @staticmethod
    def _matches(pattern: str, rel: PurePath) -> bool:
        target = rel.as_posix() if "/" in pattern else rel.name
        return fnmatch.fnmatchcase(target, pattern.rstrip("/"))

    def takes_file(self, rel: PurePath) -> bool:
        """Whether the file at ``rel`` below a named folder is an input."""
        if self.include and not any(self._matches(p, rel) for p in self.include):
            return False
        return not any(self._matches(p, rel) for p in self.exclude)

    def takes_folder(self, rel: PurePath) -> bool:
        """Whether the folder at ``rel`` below a named folder is walked."""
        return not any(self._matches(p, rel) for p in self.exclude)


def discover(
    inputs: Iterable[str | os.PathLike[str]],
    exclude: Iterable[str | os.PathLike[str]] = (),
    *,
    select: FileFilter | None = None,
) -> list[tuple[Path, Path]]:
    """Expand ``inputs`` into ``(file, relative_path)`` pairs, in a deterministic order.

    A file stands for itself, with its bare name as the relative path.  A folder
    is walked recursively in name order; the relative path is the file's path
    below that folder, for mirroring into an output folder.  Hidden files and
    folders (names starting with ``"."``) inside a folder are skipped, as are
    the folders in ``exclude`` (e.g. an output folder inside the input) and
    what ``select`` leaves out (see :class:`FileFilter`).
    Symlinked folders are followed, but never into a folder already visited,
    so symlink loops end.  A missing input is an :class:`InputError`.
    """
    skip = {_identity(Path(p)) for p in exclude if Path(p).is_dir()}
    found: list[tuple[Path, Path]] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found.extend(_walk(path, Path(), seen=set(), skip=skip, select=select))
        elif path.exists() or path.is_symlink():
            found.append((path, Path(path.name)))
        else:
            raise InputError(path, "no such file or directory")
    return found


def _identity(path: Path) -> tuple[int, int]:
    st = path.stat()
    return (st.st_dev, st.st_ino)


def _walk(
    folder: Path,
    rel: Path,
    seen: set[tuple[int, int]],
    skip: set[tuple[int, int]],
    select: FileFilter | None = None,
) -> Iterator[tuple[Path, Path]]:
    """Files below ``folder`` in name order; ``seen`` stops symlink loops."""
    seen.add(_identity(folder))
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        raise InputError(folder, f"cannot list folder ({exc.strerror})") from None
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path, sub = folder / entry.name, rel / entry.name
        if not entry.is_dir(follow_symlinks=True):
            if select is None or select.takes_file(sub):
                yield path, sub
        elif select is not None and not select.takes_folder(sub):
            continue
        elif (ident := _identity(path)) not in seen and ident not in skip:
            yield from _walk(path, sub, seen, skip, select)


# -- reading --------------------------------------------------------------------


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
        return _read_parquet(path, text_field, skip=on_error == "skip")
    data = _read_bytes(path)
    if on_error == "skip":
        return _read_skipping(path, fmt, data, text_field, encoding, decode_errors)
    text, enc, replaced = decode_text(data, path, encoding, errors=decode_errors)
    if fmt == "jsonl":
        source = parse_jsonl(text, path, text_field)
    else:
        source = SourceFile(path, "text", enc, [Document(path, 0, 1, text)])
    source.encoding, source.size, source.replaced = enc, len(data), replaced
    return source


def _whole_file_rejected(path: Path, fmt: str, data: bytes, exc: InputError) -> SourceFile:
    reject = Reject(path, exc.line, exc.record, data, exc.cause)
    return SourceFile(path, fmt, "unknown", [], size=len(data), rejects=[reject])


def _read_skipping(
    path: Path,
    fmt: str,
    data: bytes,
    text_field: str,
    encoding: str | None,
    decode_errors: str = "strict",
) -> SourceFile:
    """:func:`read_file` with ``on_error="skip"`` for plain text and JSONL."""
    if fmt == "jsonl" and encoding is None and _mostly_utf8_lines(data):
        # Decode line by line: one corrupt line must not send the whole file to
        # the encoding detector (which would then read every line as GB18030).
        return _parse_jsonl_bytes(path, data, "utf-8", text_field, decode_errors)
    try:
        text, enc, replaced = decode_text(data, path, encoding, errors=decode_errors)
    except InputError as exc:
        return _whole_file_rejected(path, fmt, data, exc)
    if fmt == "text":
        document = Document(path, 0, 1, text)
        return SourceFile(path, "text", enc, [document], size=len(data), replaced=replaced)
    if enc.startswith(("utf-16", "utf-32")):  # lines cannot be cut in the bytes
        source = parse_jsonl(text, path, text_field, skip=True, encoding=enc)
        source.replaced = replaced
    else:
        source = _parse_jsonl_bytes(path, data, enc, text_field, decode_errors)
    source.encoding, source.size = enc, len(data)
    return source


def _mostly_utf8_lines(data: bytes) -> bool:
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


def _parse_jsonl_bytes(
    path: Path, data: bytes, encoding: str, text_field: str, errors: str = "strict"
) -> SourceFile:
    """JSONL from raw bytes, each line decoded on its own; bad lines become rejects."""
    raw_lines = data.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    documents: list[Document] = []
    rejects: list[Reject] = []
    before = replacements()
    for number, raw in enumerate(raw_lines, 1):
        taken = take_jsonl_line(
            raw, number, len(documents) + len(rejects), path, encoding, text_field, True, errors
        )
        if isinstance(taken, Document):
            documents.append(taken)
        elif taken is not None:
            rejects.append(taken)
    return SourceFile(
        path,
        "jsonl",
        encoding,
        documents,
        text_field=text_field,
        line_count=len(raw_lines),
        size=len(data),
        rejects=rejects,
        replaced=replacements() - before,
    )


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(path, f"cannot read ({exc.strerror or exc})") from None


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


def _read_parquet(path: Path, text_field: str, skip: bool = False) -> SourceFile:
    pa, pq = _import_pyarrow(path)
    try:
        table = pq.read_table(path)
    except FileNotFoundError as exc:
        raise InputError(path, f"cannot read ({exc.strerror})") from None
    except (OSError, pa.ArrowException) as exc:
        error = InputError(path, f"not a readable Parquet file ({exc})")
        if not skip:
            raise error from None
        return _whole_file_rejected(path, "parquet", _read_bytes(path), error)
    size = path.stat().st_size
    try:
        column = _text_column(pa, table, path, text_field, allow_nulls=skip)
    except InputError as exc:
        if not skip:
            raise
        return _whole_file_rejected(path, "parquet", _read_bytes(path), exc)
    rows = list(range(table.num_rows))
    table, rejects = drop_null_rows(path, table, text_field)  # only with skip can there be any
    if rejects:
        dropped = {r.record for r in rejects}
        rows = [i for i in rows if i not in dropped]
        column = table.column(text_field)
    texts = column.to_pylist()
    # documents keep their row number in the file
    documents = [Document(path, row, None, t) for row, t in zip(rows, texts, strict=True)]
    return SourceFile(
        path, "parquet", "utf-8", documents, text_field, 0, size, table, rejects=rejects
    )


def drop_null_rows(
    path: Path, table: Any, text_field: str, first: int = 0
) -> tuple[Any, list[Reject]]:
    """``table`` without its rows whose ``text_field`` is null, and those rows as
    rejects (each as a JSON object); ``first`` is the file's row number of the
    table's first row.

    >>> import pyarrow as pa
    >>> kept, rejects = drop_null_rows(Path("a.parquet"), pa.table({"text": ["x", None]}), "text")
    >>> kept.num_rows, str(rejects[0])
    (1, "a.parquet: row 1: 'text' is null")
    """
    column = table.column(text_field)
    if not column.null_count:
        return table, []
    import pyarrow.compute as pc

    nulls = column.is_null()
    rejects = []
    for row, null in enumerate(nulls.to_pylist()):
        if null:
            record = table.slice(row, 1).to_pylist()[0]
            raw = json.dumps(record, ensure_ascii=False, default=str).encode("utf-8")
            at = first + row
            rejects.append(Reject(path, None, at, raw, f"row {at}: {text_field!r} is null"))
    return table.filter(pc.invert(nulls)), rejects


def _import_pyarrow(path: Path) -> tuple[Any, Any]:
    """``(pyarrow, pyarrow.parquet)``, imported only when a Parquet file shows up."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError(
            path, "reading Parquet needs pyarrow: pip install 'textwash[parquet]'"
        ) from None
    return pa, pq


def _is_text_type(pa: Any, kind: Any) -> bool:
    """Whether an Arrow type holds strings (plain, large, view or dictionary-encoded)."""
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    view = getattr(pa.types, "is_string_view", lambda _: False)
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind) or view(kind))


def _text_column(
    pa: Any, table: Any, path: Path, text_field: str, allow_nulls: bool = False
) -> Any:
    """The string column ``text_field`` of ``table``, checked for type and nulls."""
    check_text_field(pa, table.schema, path, text_field)
    column = table.column(text_field)
    if column.null_count and not allow_nulls:
        row = column.is_null().to_pylist().index(True)
        raise InputError(path, f"row {row}: {text_field!r} is null", record=row)
    return column


def check_text_field(pa: Any, schema: Any, path: Path, text_field: str) -> None:
    """Raise the :class:`InputError` saying why ``schema`` has no string column ``text_field``.

    >>> import pyarrow as pa
    >>> check_text_field(pa, pa.schema([("text", pa.int64())]), Path("a.parquet"), "text")
    Traceback (most recent call last):
    ...
    textwash.io.errors.InputError: a.parquet: column 'text' has type int64, not string
    """
    if text_field not in schema.names:
        names = ", ".join(repr(n) for n in schema.names) or "none"
        raise InputError(path, f"no {text_field!r} column (columns: {names})")
    kind = schema.field(text_field).type
    if not _is_text_type(pa, kind):
        raise InputError(path, f"column {text_field!r} has type {kind}, not string")
