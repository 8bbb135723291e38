"""Reading pyarrow string arrays lazily, a slice at a time.

:func:`textwash.clean_many` and :func:`textwash.find_duplicates` take a
``pyarrow.Array`` or ``pyarrow.ChunkedArray`` of strings (``string``,
``large_string`` or ``string_view``) as they take a list of ``str``.  The array
is turned into Python strings :data:`SLICE` values at a time, so a column of
millions of rows is never copied whole into a Python list; a null comes out as
``None`` and what to do with it is the caller's choice.

pyarrow is not imported here: an object can only be a pyarrow array if the
program has imported pyarrow already.

>>> import pyarrow as pa
>>> list(iter_strings(pa.chunked_array([["甲", None], ["乙"]])))
['甲', None, '乙']
>>> is_array(["甲"]), is_array(pa.array(["甲"]))
(False, True)
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

__all__ = ["SLICE", "is_array", "iter_strings"]

#: Values converted to Python objects at a time.
SLICE = 4096


def is_array(obj: object) -> bool:
    """Whether ``obj`` is a ``pyarrow.Array`` or ``pyarrow.ChunkedArray`` (of any type)."""
    pa = sys.modules.get("pyarrow")
    return pa is not None and isinstance(obj, (pa.Array, pa.ChunkedArray))


def iter_strings(array: Any) -> Iterator[str | None]:
    """The values of a pyarrow string array in order, nulls as ``None``.

    A ``ChunkedArray`` is read chunk by chunk, and each chunk :data:`SLICE`
    values at a time.  An array of another type raises a ``TypeError`` that
    names it.

    >>> import pyarrow as pa
    >>> list(iter_strings(pa.array([1, 2])))
    Traceback (most recent call last):
    ...
    TypeError: expected a pyarrow array of strings, got one of type int64
    """
    import pyarrow as pa

    kind = array.type
    if not (
        pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)
    ):
        raise TypeError(f"expected a pyarrow array of strings, got one of type {kind}")
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    for chunk in chunks:
        for at in range(0, len(chunk), SLICE):
            yield from chunk.slice(at, SLICE).to_pylist()
