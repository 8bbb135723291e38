"""Parquet: one document a row, the text in a string column (needs ``pyarrow``).

``pyarrow`` is imported only when a Parquet file shows up
(``pip install 'textwash[parquet]'``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError
from .records import Document, Reject, SourceFile, read_bytes, whole_file_rejected

__all__ = [
    "ParquetBatch",
    "ParquetBatches",
    "check_text_field",
    "drop_null_rows",
    "import_pyarrow",
    "read_parquet",
]


def read_parquet(path: Path, text_field: str, skip: bool = False) -> SourceFile:
    pa, pq = import_pyarrow(path)
    try:
        table = pq.read_table(path)
    except FileNotFoundError as exc:
        raise InputError(path, f"cannot read ({exc.strerror})") from None
    except (OSError, pa.ArrowException) as exc:
        error = InputError(path, f"not a readable Parquet file ({exc})")
        if not skip:
            raise error from None
        return whole_file_rejected(path, "parquet", read_bytes(path), error)
    size = path.stat().st_size
    try:
        column = _text_column(pa, table, path, text_field, allow_nulls=skip)
    except InputError as exc:
        if not skip:
            raise
        return whole_file_rejected(path, "parquet", read_bytes(path), exc)
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


def import_pyarrow(path: Path) -> tuple[Any, Any]:
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


@dataclass(frozen=True)
class ParquetBatch:
    """Consecutive rows of a Parquet file, as :class:`ParquetBatches` reads them.

    ``table`` holds the rows whose text is not null, ``rows`` their row numbers
    in the file; ``dropped`` the rows whose text is null, as rejects;
    ``first`` and ``size`` the file's rows the batch covers.
    """

    table: Any
    rows: list[int]
    dropped: list[Reject]
    first: int
    size: int


class ParquetBatches:
    """The Parquet file ``path`` read a batch of rows at a time (iterate over it for
    :class:`ParquetBatch` es), about ``batch_bytes`` of text a batch.

    Opening checks the file: an :class:`~textwash.io.errors.InputError` says why
    it is not a readable Parquet file or has no string column ``text_field``.
    :attr:`schema` is the file's Arrow schema, :attr:`num_rows` its rows.

    >>> import pyarrow as pa, pyarrow.parquet as pq, tempfile
    >>> path = Path(tempfile.mkdtemp()) / "a.parquet"
    >>> pq.write_table(pa.table({"id": [1, 2, 3], "text": ["x", None, "z"]}), path)
    >>> [(b.rows, [r.record for r in b.dropped]) for b in ParquetBatches(path, "text", 1)]
    [([0], []), ([], [1]), ([2], [])]
    """

    def __init__(self, path: Path, text_field: str, batch_bytes: int = 4 << 20) -> None:
        self.path, self.text_field = path, text_field
        self._pa, pq = import_pyarrow(path)
        try:
            self._file = pq.ParquetFile(path)
        except (OSError, self._pa.ArrowException) as exc:
            raise InputError(path, f"not a readable Parquet file ({exc})") from None
        self.schema = self._file.schema_arrow
        check_text_field(self._pa, self.schema, path, text_field)
        self.num_rows: int = self._file.metadata.num_rows
        # text is about a third of a Parquet file's bytes once decompressed
        size = max(1, 3 * path.stat().st_size)
        self.batch_rows = max(1, batch_bytes * max(1, self.num_rows) // size)

    def __iter__(self) -> Iterator[ParquetBatch]:
        first = 0
        for batch in self._file.iter_batches(batch_size=self.batch_rows):
            table = self._pa.Table.from_batches([batch], schema=self.schema)
            table, dropped = drop_null_rows(self.path, table, self.text_field, first)
            nulls = {r.record for r in dropped}
            rows = [first + i for i in range(batch.num_rows) if first + i not in nulls]
            yield ParquetBatch(table, rows, dropped, first, batch.num_rows)
            first += batch.num_rows
