"""Guessing and applying the character encoding of scraped Chinese files.

Detection order:

1. a byte-order mark: UTF-8 (``"utf-8-sig"``), UTF-32 and UTF-16 (``"utf-32"``,
   ``"utf-16"``; the BOM is consumed when decoding);
2. NUL bytes: UTF-16 LE/BE without a BOM when the bytes decode, in one byte
   order, into printable text; otherwise the file is binary and rejected;
3. strict UTF-8 (plain ASCII is reported as ``"utf-8"``);
4. charset-normalizer, restricted to :data:`CANDIDATES` (GB18030, Big5 and
   UTF-16 without BOM).  GB18030 is a superset of GBK and GB2312, so GBK files
   are reported as ``"gb18030"``.

Names returned are Python codec names that decode the bytes as-is.

>>> detect_encoding("社会".encode("utf-8"))
'utf-8'
>>> detect_encoding(b"\\xef\\xbb\\xbf" + "社会".encode("utf-8"))
'utf-8-sig'
>>> decode("近年来，随着社会的发展".encode("gb18030"), "a.txt", encoding="gbk")
('近年来，随着社会的发展', 'gbk')
"""

from __future__ import annotations

import codecs
import logging
import os
import threading

from .errors import InputError

__all__ = [
    "CANDIDATES",
    "DECODE_ERRORS",
    "choose_encoding",
    "codec_errors",
    "decode",
    "decode_text",
    "detect_encoding",
    "normalize_encoding",
    "replacements",
]

log = logging.getLogger("textwash.io")

#: ``--decode-errors`` values: ``strict`` (an undecodable byte is an error naming
#: it) or ``replace`` (it becomes U+FFFD, counted, and the rest is decoded).
DECODE_ERRORS = ("strict", "replace")

#: The codec error handler behind ``errors="replace"``: Python's ``replace``, counted.
_COUNTING_REPLACE = "textwash-replace"

_replaced = threading.local()


def _count_and_replace(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _replaced.n = getattr(_replaced, "n", 0) + 1
    return "\ufffd", exc.end


codecs.register_error(_COUNTING_REPLACE, _count_and_replace)


def replacements() -> int:
    """How many undecodable byte sequences this thread has replaced with U+FFFD so far.

    Every decode with :func:`codec_errors` ``("replace")`` counts here; the
    difference before and after a decode is what that decode replaced.

    >>> before = replacements()
    >>> b"a\\xffb".decode("utf-8", codec_errors("replace")), replacements() - before
    ('a\\ufffdb', 1)
    """
    return int(getattr(_replaced, "n", 0))


def codec_errors(errors: str) -> str:
    """The codec error handler for a :data:`DECODE_ERRORS` value.

    ``"replace"`` gives Python's ``replace`` behaviour (one U+FFFD per
    undecodable byte sequence), counted by :func:`replacements`.

    >>> codec_errors("strict")
    'strict'
    >>> codec_errors("ignore")
    Traceback (most recent call last):
    ...
    ValueError: decode errors must be one of strict, replace, not 'ignore'
    """
    if errors not in DECODE_ERRORS:
        raise ValueError(f"decode errors must be one of {', '.join(DECODE_ERRORS)}, not {errors!r}")
    return _COUNTING_REPLACE if errors == "replace" else "strict"


#: Encodings charset-normalizer may choose from once a file is not UTF-8.
CANDIDATES: tuple[str, ...] = ("gb18030", "big5", "utf_16_le", "utf_16_be")

#: How many characters of a BOM-less UTF-16 candidate are checked for control characters.
_SAMPLE = 100_000

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def normalize_encoding(name: str) -> str:
    """The canonical Python codec name for ``name``; ``LookupError`` if unknown.

    >>> normalize_encoding("GBK"), normalize_encoding("utf_16_le"), normalize_encoding("UTF8")
    ('gbk', 'utf-16-le', 'utf-8')
    """
    return codecs.lookup(name).name


def detect_encoding(
    data: bytes,
    path: str | os.PathLike[str] = "<bytes>",
    *,
    partial: bool = False,
    errors: str = "strict",
) -> str:
    """Guess the encoding of ``data``; raise :class:`InputError` naming ``path`` if none fits.

    ``partial`` says ``data`` is the start of a longer file, so it may end
    inside a character (see :func:`textwash.io.stream.open_text`).  With
    ``errors="replace"``, data that is UTF-8 but for a few stray bytes (at
    most one undecodable sequence in 8 non-ASCII bytes) is taken as UTF-8
    rather than handed to the detector, which would read it all as GB18030.

    >>> detect_encoding("近年来社会发展".encode() + b"\\xff", errors="replace")
    'utf-8'

    >>> detect_encoding("近年來，隨著城市人口不斷增加，垃圾產生量逐年攀升。".encode("big5"))
    'big5'
    >>> detect_encoding(b"\\x89PNG\\r\\n\\x1a\\n\\x00\\x00\\x00\\rIHDR", "logo.png")
    Traceback (most recent call last):
    ...
    textwash.io.errors.InputError: logo.png:3: looks binary (NUL byte at byte 8)
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    if b"\x00" in data:
        return _utf16_without_bom(data[: len(data) & ~1] if partial else data, path)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=not partial)
    except UnicodeDecodeError as exc:
        if errors == "replace" and _mostly_utf8(data):
            return "utf-8"
        if partial and exc.start < data.rfind(b"\n"):
            data = data[: data.rindex(b"\n") + 1]  # leave out the line the cut may split
        return _guess(data, path, exc)
    return "utf-8"


def _mostly_utf8(data: bytes) -> bool:
    """Whether ``data`` is UTF-8 but for at most one bad sequence in 8 non-ASCII bytes.

    GBK or Big5 text read as UTF-8 has one in less than 2.
    """
    high = len(data.translate(None, bytes(range(128))))
    before = replacements()
    data.decode("utf-8", _COUNTING_REPLACE)
    return (replacements() - before) * 8 <= high


def decode(
    data: bytes,
    path: str | os.PathLike[str],
    encoding: str | None = None,
    *,
    errors: str = "strict",
) -> tuple[str, str]:
    """Decode ``data`` read from ``path``; return ``(text, encoding_name)``.

    ``errors="replace"`` turns undecodable bytes into U+FFFD instead of
    failing (:func:`decode_text` also says how many).

    Without ``encoding`` the encoding is detected (see :func:`detect_encoding`).
    An explicit ``encoding`` overrides detection; with ``"utf-8"`` a BOM is
    still dropped (and ``"utf-8-sig"`` reported).  Any failure is an :class:`InputError` naming the
    file, the line and the byte offset.

    >>> decode("\\ufeff社会\\n".encode("utf-8"), "a.txt")
    ('社会\\n', 'utf-8-sig')
    >>> decode(b"ok\\n\\xff", "f", encoding="utf-8")
    Traceback (most recent call last):
    ...
    textwash.io.errors.InputError: f:2: cannot decode as utf-8 at byte 3 (0xff): invalid start byte
    """
    text, name, _ = decode_text(data, path, encoding, errors=errors)
    return text, name


def decode_text(
    data: bytes,
    path: str | os.PathLike[str],
    encoding: str | None = None,
    *,
    errors: str = "strict",
) -> tuple[str, str, int]:
    """:func:`decode`, plus how many undecodable byte sequences became U+FFFD.

    >>> decode_text("近年来社会".encode() + b"\\xff\\n", "a.txt", errors="replace")
    ('近年来社会\\ufffd\\n', 'utf-8', 1)
    >>> decode_text("社会".encode() + b"\\xff\\n", "f", "utf-8")
    Traceback (most recent call last):
    ...
    textwash.io.errors.InputError: f:1: cannot decode as utf-8 at byte 6 (0xff): invalid start byte
    """
    handler = codec_errors(errors)
    name = choose_encoding(data, path, encoding, errors=errors)
    before = replacements()
    try:
        text = data.decode(name, handler)
    except UnicodeDecodeError as exc:
        raise InputError(
            path,
            f"cannot decode as {name} at byte {exc.start} (0x{data[exc.start]:02x}): {exc.reason}",
            line=_line_at(data, exc.start, name),
        ) from None
    replaced = replacements() - before
    if replaced:
        log.info("%s: %d undecodable byte sequence(s) replaced by U+FFFD", path, replaced)
    return text, name, replaced


def choose_encoding(
    data: bytes,
    path: str | os.PathLike[str],
    encoding: str | None = None,
    *,
    partial: bool = False,
    errors: str = "strict",
) -> str:
    """The codec to decode ``data`` (the file, or with ``partial`` its start) with.

    Detected when ``encoding`` is ``None`` (see :func:`detect_encoding` for
    ``errors``); else ``encoding`` itself, with ``"utf-8"`` turned into
    ``"utf-8-sig"`` when there is a BOM to drop.

    >>> choose_encoding(b"\\xef\\xbb\\xbfok", "a.txt", "UTF8")
    'utf-8-sig'
    """
    if encoding is None:
        name = detect_encoding(data, path, partial=partial, errors=errors)
        log.debug("%s: detected %s", path, name)
        return name
    try:
        name = normalize_encoding(encoding)
    except LookupError:
        raise InputError(path, f"unknown encoding {encoding!r}") from None
    if name == "utf-8" and data.startswith(codecs.BOM_UTF8):
        name = "utf-8-sig"
    return name


def _line_at(data: bytes, offset: int, encoding: str) -> int:
    """1-based line number of byte ``offset`` in ``data`` decoded with ``encoding``."""
    head = data[:offset].decode(encoding, errors="replace")
    return head.count("\n") + 1


def _utf16_without_bom(data: bytes, path: str | os.PathLike[str]) -> str:
    """UTF-16 LE or BE for BOM-less data with NUL bytes, or an :class:`InputError`.

    Both byte orders are tried; the one that decodes with the fewest control
    characters wins (ties go to the order whose NUL bytes sit where ASCII
    characters put them), and it must be at least 99% printable.
    """
    if len(data) % 2 == 0:
        odd_nuls, even_nuls = data[1::2].count(0), data[0::2].count(0)
        scored = []
        for name, misplaced in (
            ("utf-16-le", even_nuls > odd_nuls),
            ("utf-16-be", odd_nuls > even_nuls),
        ):
            controls = _controls(data, name)
            if controls is not None:
                scored.append((controls, misplaced, name))
        if scored:
            controls, _, name = min(scored)
            if controls * 100 <= min(len(data) // 2, _SAMPLE):
                return name
    at = data.index(b"\x00")
    raise InputError(
        path, f"looks binary (NUL byte at byte {at})", line=data.count(b"\n", 0, at) + 1
    )


def _controls(data: bytes, encoding: str) -> int | None:
    """Control characters in the first :data:`_SAMPLE` characters of ``data`` decoded
    strictly with ``encoding``, or ``None`` when it does not decode."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    return sum(1 for c in text[:_SAMPLE] if not c.isprintable() and c not in "\n\r\t\f ")


def _guess(data: bytes, path: str | os.PathLike[str], utf8_error: UnicodeDecodeError) -> str:
    """Ask charset-normalizer for the best of :data:`CANDIDATES`."""
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=list(CANDIDATES)).best()
    if best is None:
        at = utf8_error.start
        raise InputError(
            path,
            f"cannot detect the encoding: not UTF-8 (byte 0x{data[at]:02x} at byte {at}) "
            f"nor any of {', '.join(normalize_encoding(c) for c in CANDIDATES)}; "
            "name the encoding explicitly (--encoding)",
            line=data.count(b"\n", 0, at) + 1,
        )
    return normalize_encoding(best.encoding)
