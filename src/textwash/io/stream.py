"""Reading a plain-text file piece by piece, for files too large to hold at once.

:func:`open_text` detects the encoding from the first megabyte (the same rules
as :func:`~textwash.io.encoding.detect_encoding`) and then decodes the file a
chunk at a time.  A problem found later in the file (bytes the encoding cannot
decode, NUL bytes of a binary file) is an :class:`InputError` naming the line
and byte, raised when the reader gets there.

>>> import tempfile
>>> path = Path(tempfile.mkdtemp()) / "a.txt"
>>> _ = path.write_bytes("近年来，随着\\n社会的发展".encode("gb18030") * 4)
>>> stream = open_text(path, chunk=7)
>>> stream.encoding, "".join(stream) == "近年来，随着\\n社会的发展" * 4
('gb18030', True)
"""

from __future__ import annotations

import codecs
import os
from collections.abc import Iterator
from pathlib import Path

from .encoding import choose_encoding, codec_errors, replacements
from .errors import InputError

__all__ = ["TextStream", "open_text"]

#: How much of the file the encoding is guessed from.
HEAD = 1 << 20


class TextStream:
    """The decoded text of one file, as an iterator of pieces (see :func:`open_text`).

    Attributes:
        path: the file.
        encoding: the codec it is decoded with.
        size: its size in bytes.
        done: bytes decoded so far (for progress bars).
        errors: ``"strict"`` or ``"replace"`` (undecodable bytes become U+FFFD).
        replaced: undecodable byte sequences replaced so far (with ``"replace"``).
    """

    def __init__(
        self, path: Path, encoding: str, size: int, chunk: int, errors: str = "strict"
    ) -> None:
        self.path = path
        self.encoding = encoding
        self.size = size
        self.done = 0
        self.errors = errors
        self.replaced = 0
        self._chunk = chunk

    def __iter__(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder(self.encoding)(codec_errors(self.errors))
        binary_check = not self.encoding.startswith(("utf-16", "utf-32"))
        lines = 0  # line breaks decoded so far
        try:
            with open(self.path, "rb") as f:
                while True:
                    data = f.read(self._chunk)
                    final = not data
                    if binary_check and b"\x00" in data:
                        at = data.index(b"\x00")
                        raise InputError(
                            self.path,
                            f"looks binary (NUL byte at byte {self.done + at})",
                            line=lines + data.count(b"\n", 0, at) + 1,
                        )
                    pending = len(decoder.getstate()[0])
                    before = replacements()
                    try:
                        text = decoder.decode(data, final=final)
                    except UnicodeDecodeError as exc:
                        raise self._decode_error(exc, self.done - pending, lines) from None
                    self.replaced += replacements() - before
                    self.done += len(data)
                    lines += text.count("\n")
                    if text:
                        yield text
                    if final:
                        return
        except OSError as exc:
            raise InputError(self.path, f"cannot read ({exc.strerror or exc})") from None

    def _decode_error(self, exc: UnicodeDecodeError, offset: int, lines: int) -> InputError:
        """The error for undecodable bytes; ``exc.object`` starts at byte ``offset``."""
        data = exc.object
        head = bytes(data[: exc.start]).decode(self.encoding, errors="replace")
        bad = data[exc.start] if exc.start < len(data) else 0
        return InputError(
            self.path,
            f"cannot decode as {self.encoding} at byte {offset + exc.start} (0x{bad:02x}): "
            f"{exc.reason}",
            line=lines + head.count("\n") + 1,
        )


def open_text(
    path: str | os.PathLike[str],
    encoding: str | None = None,
    *,
    chunk: int = 1 << 20,
    errors: str = "strict",
) -> TextStream:
    """A :class:`TextStream` over ``path``, ``chunk`` bytes read at a time.

    ``encoding`` overrides detection (``"utf-8"`` still drops a BOM);
    ``errors="replace"`` turns undecodable bytes into U+FFFD.  An
    :class:`InputError` is raised here when the file cannot be opened or its
    encoding guessed, and while iterating when a later part cannot be decoded.
    """
    path = Path(path)
    try:
        with open(path, "rb") as f:
            head = f.read(HEAD)
            size = os.fstat(f.fileno()).st_size
    except OSError as exc:
        raise InputError(path, f"cannot read ({exc.strerror or exc})") from None
    name = choose_encoding(head, path, encoding, partial=len(head) < size, errors=errors)
    return TextStream(path, name, size, chunk, errors)
