"""textwash on Polars frames: clean a text column, add duplicate columns.

Needs Polars (``pip install 'textwash[polars]'``); ``import textwash`` alone
does not import it.  Each function takes a ``pl.DataFrame`` or a
``pl.LazyFrame`` and gives back the same kind.

>>> import polars as pl
>>> import textwash.polars
>>> df = pl.DataFrame({"text": ["社 会 、实 现", None, "裙众"]})
>>> textwash.polars.clean(df, "text")["text"].to_list()
['社会、实现', None, '群众']

Rows are documents, and a Polars frame has no index: :func:`find_duplicates`
gives each row its number (0, 1, ...) as doc_id and adds the columns
:mod:`textwash.dupcolumns` describes (``dup_cluster``, ``dup_kept``,
``dup_similarity``, ``dup_clusters``):

>>> a = "公安机关的群众工作是党的群众工作的重要方面，也是公安工作的光荣传统。"
>>> df = pl.DataFrame({"text": [a, "无关。", None, "前言。\\n\\n" + a]})
>>> textwash.polars.find_duplicates(df, "text")["dup_kept"].to_list()
[True, None, None, False]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

try:
    import polars as pl  # the library, not this module: imports are absolute
except ImportError as exc:  # tests/test_frames.py hides the library to see this
    raise ImportError("textwash.polars needs Polars: pip install 'textwash[polars]'") from exc

from .batch import CleanStats, clean_many
from .dedup.find import find_duplicates as _find_duplicates
from .dedup.report import DuplicateReport
from .dupcolumns import column_names, row_values
from .pipeline import Pipeline

__all__ = ["add_duplicate_columns", "clean", "documents", "find_duplicates"]

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)


def clean(
    frame: Frame,
    column: str,
    *,
    preset: str | Pipeline = "zh",
    workers: int | None = 1,
    output: str | None = None,
    stats: CleanStats | None = None,
) -> Frame:
    """``frame`` with ``column`` cleaned (into column ``output`` if given), as a ``String`` column.

    Each cell is cleaned as :func:`textwash.clean` cleans it
    (:func:`~textwash.clean_many` with ``preset`` and ``workers``); nulls stay
    null and are counted in ``stats``.  A ``LazyFrame`` stays lazy: the column
    is cleaned, in one :func:`~textwash.clean_many` call, when it is
    collected (and ``stats`` counts each collection).

    >>> lf = pl.LazyFrame({"raw": ["近年来,随着", None]})
    >>> clean(lf, "raw", output="clean").collect().rows()
    [('近年来,随着', '近年来，随着'), (None, None)]
    """

    def cleaned(series: pl.Series) -> pl.Series:
        texts = clean_many(series, preset, workers=workers, stats=stats)
        return pl.Series(series.name, texts, dtype=pl.String)

    name = column if output is None else output
    expr = pl.col(column).map_batches(cleaned, return_dtype=pl.String).alias(name)
    return frame.with_columns(expr)


def documents(frame: pl.DataFrame | pl.LazyFrame, column: str) -> Iterator[tuple[str, str]]:
    """``(doc_id, text)`` pairs for :func:`textwash.find_duplicates`: one per row
    whose ``column`` is not null, doc_id its row number as a ``str``.

    A ``LazyFrame`` is collected (that column only).  A value that is not a
    ``str`` raises a ``TypeError`` naming the row.

    >>> list(documents(pl.DataFrame({"t": [None, "甲"]}), "t"))
    [('1', '甲')]
    """
    values: Iterable[Any]
    if isinstance(frame, pl.LazyFrame):
        values = frame.select(column).collect().to_series()
    else:
        values = frame.get_column(column)
    for k, value in enumerate(values):
        if isinstance(value, str):
            yield str(k), value
        elif value is not None:
            raise TypeError(f"row {k}: column {column!r} holds a {type(value).__name__}, not a str")


def add_duplicate_columns(frame: Frame, report: DuplicateReport, *, prefix: str = "dup_") -> Frame:
    """``frame`` with the duplicate columns of ``report`` (see :mod:`textwash.dupcolumns`).

    ``report`` must have been made with row numbers (as ``str``) as doc_ids, as
    :func:`documents` gives them.  The columns are ``String``, ``Boolean``,
    ``Float64`` and ``Int64``, with nulls where the row is in no cluster.  A
    ``LazyFrame`` is collected to count its rows, and given back lazy.

    >>> import textwash
    >>> df = pl.DataFrame({"t": ["甲乙丙丁戊己庚辛。", "甲乙丙丁戊己庚辛。"]})
    >>> report = textwash.find_duplicates(documents(df, "t"))
    >>> add_duplicate_columns(df, report).dtypes[1:]
    [String, Boolean, Float64, Int64]
    """
    lazy = isinstance(frame, pl.LazyFrame)
    eager: pl.DataFrame = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
    values = row_values(report, [str(k) for k in range(eager.height)], prefix)
    kinds = (pl.String, pl.Boolean, pl.Float64, pl.Int64)
    dtypes = dict(zip(column_names(prefix), kinds, strict=True))
    out = eager.with_columns(
        [pl.Series(name, col, dtype=dtypes[name]) for name, col in values.items()]
    )
    return out.lazy() if lazy else out  # type: ignore[return-value]


def find_duplicates(
    frame: Frame,
    column: str,
    *,
    prefix: str = "dup_",
    workers: int = 1,
    **options: Any,
) -> Frame:
    """``frame`` with duplicate columns: :func:`textwash.find_duplicates` over the
    texts of ``column`` (each row a document, its row number the doc_id; nulls
    are no document), then :func:`add_duplicate_columns`.

    ``options`` go to :func:`textwash.find_duplicates`.  A ``LazyFrame`` is
    collected (every row is compared with every other) and given back lazy.
    For the report itself, run the two steps::

        report = textwash.find_duplicates(textwash.polars.documents(df, "text"))
        df = textwash.polars.add_duplicate_columns(df, report)
    """
    eager = frame.collect() if isinstance(frame, pl.LazyFrame) else frame
    report = _find_duplicates(documents(eager, column), workers=workers, **options)
    out = add_duplicate_columns(eager, report, prefix=prefix)
    return out.lazy() if isinstance(frame, pl.LazyFrame) else out
