"""Writing cleaned documents back in the format they came in, atomically.

Every file is written to a temporary file in the destination folder, flushed
and fsynced, then moved over the destination with :func:`os.replace`: a reader
sees the old file or the new one, never half of one, and a failure part-way
leaves the old file untouched.  Output text is always UTF-8.

* plain text: the cleaned text;
* JSONL: the same objects, same key order, with only the text field replaced,
  one per line (``ensure_ascii=False``); blank input lines stay blank lines;
* Parquet: the same table and schema with only the text column replaced.

>>> from textwash.io.readers import parse_jsonl
>>> src = parse_jsonl('{"id": 1, "text": "社 会", "tag": "a"}\\n', "a.jsonl")
>>> print(render_jsonl(src, ["社会"]), end="")
{"id": 1, "text": "社会", "tag": "a"}
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from .readers import Document, SourceFile

__all__ = [
    "PartialFile",
    "atomic_open",
    "atomic_write_bytes",
    "atomic_write_text",
    "jsonl_line",
    "remove_stale_temporaries",
    "render_bytes",
    "render_jsonl",
    "with_text_column",
    "write_output",
]


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open a temporary file that replaces ``path`` when the ``with`` block succeeds.

    If the block raises, the temporary file is removed and ``path`` keeps its
    old content (or stays absent).  A new file gets the usual permissions
    (``0o666`` less the umask); an existing file keeps its mode.

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_open(target) as f:
    ...     _ = f.write("社会".encode())
    >>> target.read_text(encoding="utf-8")
    '社会'
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        _keep_mode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


class PartialFile:
    """An output written over a long run, that a killed run can go on with.

    Bytes go to the hidden ``.NAME.partial`` beside ``path``.  :meth:`checkpoint`
    makes what was written so far durable and returns its size; a later run
    opens the file again with ``resume_at`` that size (what came after the last
    checkpoint is cut off) and goes on.  :meth:`commit` moves the finished file
    over ``path``; :meth:`discard` removes it.  Until then ``path`` keeps its
    old content, whatever happens.

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "out.txt"
    >>> f = PartialFile(target)
    >>> f.write(b"one "); at = f.checkpoint(); f.write(b"lost"); f.close()
    >>> f = PartialFile(target, resume_at=at)
    >>> f.write(b"two"); f.commit()
    >>> target.read_bytes()
    b'one two'
    """

    def __init__(self, path: str | os.PathLike[str], resume_at: int | None = None) -> None:
        self.path = Path(path)
        self.partial = self.partial_path(self.path)
        if resume_at is None:
            self._file: BinaryIO = open(self.partial, "wb")  # noqa: SIM115 - closed by commit
        else:
            self._file = open(self.partial, "r+b")  # noqa: SIM115
            if os.fstat(self._file.fileno()).st_size < resume_at:
                self._file.close()
                raise ValueError(f"{self.partial} is shorter than its last checkpoint")
            self._file.truncate(resume_at)
            self._file.seek(resume_at)

    @staticmethod
    def partial_path(path: str | os.PathLike[str]) -> Path:
        """Where the partial file of ``path`` is kept: ``.NAME.partial`` beside it."""
        path = Path(path)
        return path.with_name(f".{path.name}.partial")

    @property
    def file(self) -> BinaryIO:
        """The open partial file, for writers that want a file object (Parquet)."""
        return self._file

    def write(self, data: bytes) -> None:
        """Append ``data``."""
        self._file.write(data)

    def checkpoint(self) -> int:
        """Flush and sync what was written; return its size."""
        self._file.flush()
        os.fsync(self._file.fileno())
        return self._file.tell()

    def close(self) -> None:
        """Close the file, keeping it for a later run to go on with."""
        self._file.close()

    def commit(self) -> None:
        """Sync the finished file and move it over ``path``."""
        self.checkpoint()
        self._file.close()
        _keep_mode(self.path, self.partial)
        os.replace(self.partial, self.path)
        _fsync_dir(self.path.parent)

    def discard(self) -> None:
        """Close and remove the partial file."""
        self._file.close()
        with contextlib.suppress(OSError):
            os.unlink(self.partial)


_TEMPORARY = re.compile(r"\..+\.[0-9a-f]{8}\.tmp")


def remove_stale_temporaries(folder: str | os.PathLike[str], name: str | None = None) -> int:
    """Delete the temporary files a killed run left below ``folder``; return how many.

    Only names :func:`atomic_open` makes (``.NAME.xxxxxxxx.tmp``) are touched;
    with ``name``, only those of that one file, in ``folder`` itself.

    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> for name in (".a.txt.0123abcd.tmp", "a.txt", ".keep.tmp"):
    ...     _ = (folder / name).write_text("x")
    >>> remove_stale_temporaries(folder), sorted(p.name for p in folder.iterdir())
    (1, ['.keep.tmp', 'a.txt'])
    """
    removed = 0
    for root, dirs, files in os.walk(folder):
        for file in files:
            if _TEMPORARY.fullmatch(file) and (name is None or file[1:-13] == name):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(root, file))
                    removed += 1
        if name is not None:
            dirs.clear()
    return removed


def _keep_mode(path: Path, tmp: Path) -> None:
    """Give ``tmp`` the permission bits of the file it replaces, if there is one."""
    with contextlib.suppress(FileNotFoundError):
        os.chmod(tmp, path.stat().st_mode & 0o7777)


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable where the platform allows syncing a folder."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_open`)."""
    with atomic_open(path) as f:
        f.write(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` atomically as UTF-8, newlines untouched."""
    atomic_write_bytes(path, text.encode("utf-8"))


def render_jsonl(source: SourceFile, texts: Sequence[str]) -> str:
    """The JSONL file ``source`` with each document's text replaced by ``texts``.

    Key order and all other fields are kept; blank input lines come out as
    empty lines, so line *n* of the output holds the record of input line *n*.
    A record whose strings hold lone surrogates (legal in JSON escapes, not in
    UTF-8) is written with ASCII escapes instead.

    >>> from textwash.io.readers import parse_jsonl
    >>> src = parse_jsonl('{"text": "a"}\\n\\n{"text": "b", "n": null}\\n', "a.jsonl")
    >>> render_jsonl(src, ["A", "B"])
    '{"text": "A"}\\n\\n{"text": "B", "n": null}\\n'
    """
    _check_count(source, texts)
    lines = [""] * source.line_count
    for doc, text in zip(source.documents, texts, strict=True):
        lines[(doc.line or 1) - 1] = jsonl_line(doc, source.text_field, text)
    return "".join(line + "\n" for line in lines)


def jsonl_line(doc: Document, text_field: str, text: str) -> str:
    """The JSONL line of ``doc``'s record with ``text_field`` replaced by ``text``.

    >>> from textwash.io.readers import parse_jsonl
    >>> jsonl_line(parse_jsonl('{"text": "a", "n": 1}', "a.jsonl").documents[0], "text", "b")
    '{"text": "b", "n": 1}'
    """
    record = dict(doc.record or {})
    record[text_field] = text
    return _dump_record(record)


def with_text_column(table: Any, text_field: str, texts: Sequence[str]) -> Any:
    """``table`` (a ``pyarrow.Table``) with its column ``text_field`` replaced by ``texts``,
    in the column's own string type.

    >>> import pyarrow as pa
    >>> with_text_column(pa.table({"text": ["a"], "n": [1]}), "text", ["b"]).to_pylist()
    [{'text': 'b', 'n': 1}]
    """
    import pyarrow as pa

    index = table.schema.get_field_index(text_field)
    field = table.schema.field(index)
    column = pa.array(texts, type=pa.string()).cast(field.type)
    return table.set_column(index, field, column)


def _dump_record(record: dict[str, object]) -> str:
    line = json.dumps(record, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(record, ensure_ascii=True)
    return line


def _check_count(source: SourceFile, texts: Sequence[str]) -> None:
    if len(texts) != len(source.documents):
        raise ValueError(
            f"{source.path}: got {len(texts)} cleaned texts for {len(source.documents)} documents"
        )


def render_bytes(source: SourceFile, texts: Sequence[str]) -> bytes:
    """The UTF-8 bytes of a plain-text or JSONL output (Parquet has no text form).

    >>> from textwash.io.readers import Document, SourceFile
    >>> src = SourceFile(Path("a.txt"), "text", "gb18030", [Document(Path("a.txt"), 0, 1, "社 会")])
    >>> render_bytes(src, ["社会"]).decode("utf-8")
    '社会'
    """
    _check_count(source, texts)
    if source.format == "jsonl":
        return render_jsonl(source, texts).encode("utf-8")
    if source.format == "text":
        return "".join(texts).encode("utf-8")
    raise ValueError(f"{source.path}: {source.format} output cannot be rendered as text")


def write_output(path: str | os.PathLike[str], source: SourceFile, texts: Sequence[str]) -> None:
    """Write ``texts`` (one per document of ``source``) to ``path`` in ``source``'s format.

    Missing parent folders are created; the write itself is atomic.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if source.format == "parquet":
        _write_parquet(path, source, texts)
    else:
        atomic_write_bytes(path, render_bytes(source, texts))


def _write_parquet(path: Path, source: SourceFile, texts: Sequence[str]) -> None:
    """Replace the text column of ``source.table`` and write it with the same schema."""
    import pyarrow.parquet as pq

    _check_count(source, texts)
    table = with_text_column(source.table, source.text_field, texts)
    with atomic_open(path) as f:
        pq.write_table(table, f)
