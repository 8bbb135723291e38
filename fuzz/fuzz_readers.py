"""Fuzz the input side: encoding detection, JSONL parsing, the readers in both modes.

Run with ``make fuzz`` (installs atheris) or::

    .venv/bin/python fuzz/fuzz_readers.py -max_total_time=60

The property: whatever the bytes, reading either succeeds or raises
:class:`textwash.io.InputError` (never another exception), and with
``on_error="skip"`` every non-blank JSONL line is either a document or a reject.
Reading a plain-text file as a stream (in chunks of 1 to 8 bytes, the head
being the whole file) gives the text reading it whole gives, or the same error.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["textwash"]):
    from textwash.io import InputError, read_file
    from textwash.io.encoding import decode
    from textwash.io.stream import open_text

SUFFIXES = (".txt", ".jsonl", ".parquet")
_DIR = Path(tempfile.mkdtemp(prefix="textwash-fuzz-"))


def check(data: bytes) -> None:
    if not data:
        return
    suffix = SUFFIXES[data[0] % len(SUFFIXES)]
    body = data[1:]
    try:
        whole: str | None = decode(body, "fuzz.txt")[0]
    except InputError as exc:
        whole, error = None, exc.cause
    path = _DIR / f"input{suffix}"
    path.write_bytes(body)
    try:
        streamed: str | None = "".join(open_text(path, chunk=1 + data[0] % 8))
    except InputError as exc:
        streamed = None
        assert whole is None and exc.cause == error, (body, exc.cause, error)
    assert streamed == whole, (body, streamed, whole)
    with contextlib.suppress(InputError):
        read_file(path)
    try:
        source = read_file(path, on_error="skip")
    except InputError:
        return
    if suffix == ".jsonl" and source.encoding in ("utf-8", "utf-8-sig"):
        lines = body.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        if lines and lines[0].startswith(b"\xef\xbb\xbf"):
            lines[0] = lines[0][3:]
        records = sum(1 for line in lines if line.strip(b" \t\r\n"))
        assert len(source.documents) + len(source.rejects) == records, (body, source)


def main() -> None:
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
