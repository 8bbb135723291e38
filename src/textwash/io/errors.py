"""The one exception the I/O layer raises for bad input.

Every problem with an input file (unreadable, binary, undecodable, malformed
JSONL, missing Parquet column...) becomes an :class:`InputError` that names the
file and, where it makes sense, the line, so the command line can print one
clear sentence instead of a traceback.

>>> str(InputError("dump.jsonl", "invalid JSON", line=3))
'dump.jsonl:3: invalid JSON'
>>> str(InputError("scan.pdf", "looks binary (NUL byte at byte 10)"))
'scan.pdf: looks binary (NUL byte at byte 10)'
"""

from __future__ import annotations

import os

__all__ = ["InputError"]


class InputError(Exception):
    """An input file cannot be read, decoded or parsed.

    Attributes:
        path: the file, as the user named it (a string).
        line: 1-based line number in the file, or ``None``.
        record: 0-based record number (JSONL record or Parquet row), or ``None``.
        cause: what is wrong, as a short phrase.

    ``str(error)`` is ``"{path}:{line}: {cause}"``, or ``"{path}: {cause}"``
    when there is no line number.

    >>> e = InputError("a.jsonl", "no 'text' field", line=7, record=5)
    >>> (e.path, e.line, e.record, e.cause)
    ('a.jsonl', 7, 5, "no 'text' field")
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        cause: str,
        *,
        line: int | None = None,
        record: int | None = None,
    ) -> None:
        self.path = os.fspath(path)
        self.cause = cause
        self.line = line
        self.record = record
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.cause}"

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments need help to survive pickling (multiprocessing).
        return (_rebuild, (self.path, self.cause, self.line, self.record))


def _rebuild(path: str, cause: str, line: int | None, record: int | None) -> InputError:
    return InputError(path, cause, line=line, record=record)
