"""textwash on pandas DataFrames: clean a text column, add duplicate columns.

Needs pandas (``pip install 'textwash[pandas]'``); ``import textwash`` alone
does not import it.

>>> import pandas as pd
>>> import textwash.pandas
>>> df = pd.DataFrame({"text": ["社 会 、实 现", None, "裙众"]})
>>> out = textwash.pandas.clean(df, "text")
>>> out["text"][[0, 2]].tolist(), out["text"].isna().tolist()
(['社会、实现', '群众'], [False, True, False])

Rows are documents.  :func:`find_duplicates` compares them, each under its
index label as doc_id, and adds the columns :mod:`textwash.dupcolumns`
describes (``dup_cluster``, ``dup_kept``, ``dup_similarity``, ``dup_clusters``):

>>> a = "公安机关的群众工作是党的群众工作的重要方面，也是公安工作的光荣传统。"
>>> df = pd.DataFrame({"text": [a, "无关。", None, "前言。\\n\\n" + a]})
>>> textwash.pandas.find_duplicates(df, "text")[["dup_cluster", "dup_kept"]]
  dup_cluster  dup_kept
0       c0001      True
1        <NA>      <NA>
2        <NA>      <NA>
3       c0001     False
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

try:
    import pandas as pd  # the library, not this module: imports are absolute
except ImportError as exc:  # tests/test_frames.py hides the library to see this
    raise ImportError("textwash.pandas needs pandas: pip install 'textwash[pandas]'") from exc

from .batch import CleanStats, clean_many, is_missing
from .dedup.find import find_duplicates as _find_duplicates
from .dedup.report import DuplicateReport
from .dupcolumns import column_names, row_values
from .pipeline import Pipeline

__all__ = ["add_duplicate_columns", "clean", "documents", "find_duplicates"]


def clean(
    df: pd.DataFrame,
    column: str,
    *,
    preset: str | Pipeline = "zh",
    workers: int | None = 1,
    output: str | None = None,
    stats: CleanStats | None = None,
) -> pd.DataFrame:
    """A copy of ``df`` with ``column`` cleaned (into column ``output`` if given).

    Each cell is cleaned as :func:`textwash.clean` cleans it
    (:func:`~textwash.clean_many` with ``preset`` and ``workers``); missing
    cells (``None``, NaN, ``pd.NA``) stay missing and are counted in
    ``stats``.  An ``object`` or string column keeps its dtype; ``df`` itself is
    not changed.

    >>> df = pd.DataFrame({"raw": ["近年来,随着", float("nan")]})
    >>> from textwash.batch import CleanStats
    >>> stats = CleanStats()
    >>> clean(df, "raw", output="clean", stats=stats)
              raw   clean
    0  近年来,随着  近年来，随着
    1         NaN     NaN
    >>> stats.missing
    1
    """
    source = df[column]
    cleaned = clean_many(source, preset, workers=workers, stats=stats)
    keep = source.dtype == object or isinstance(source.dtype, pd.StringDtype)
    out = df.copy()
    out[column if output is None else output] = pd.Series(
        cleaned, index=df.index, dtype=source.dtype if keep else None
    )
    return out


def documents(df: pd.DataFrame, column: str) -> Iterator[tuple[str, str]]:
    """``(doc_id, text)`` pairs for :func:`textwash.find_duplicates`: one per row
    whose ``column`` holds a text, doc_id its index label as a ``str``.

    Missing cells are left out; any other value raises a ``TypeError`` naming
    the row, and an index with repeated labels a ``ValueError``.

    >>> list(documents(pd.DataFrame({"t": ["甲", None]}, index=[5, 6]), "t"))
    [('5', '甲')]
    """
    if not df.index.is_unique:
        raise ValueError(
            "the index has repeated labels, and rows are told apart by label: "
            "use df.reset_index(drop=True) first"
        )
    for label, value in zip(df.index, df[column], strict=True):
        if isinstance(value, str):
            yield str(label), value
        elif not is_missing(value):
            raise TypeError(
                f"row {label!r}: column {column!r} holds a {type(value).__name__}, not a str"
            )


def add_duplicate_columns(
    df: pd.DataFrame, report: DuplicateReport, *, prefix: str = "dup_"
) -> pd.DataFrame:
    """A copy of ``df`` with the duplicate columns of ``report`` (see :mod:`textwash.dupcolumns`).

    ``report`` must have been made with the rows' index labels (as ``str``) as
    doc_ids, as :func:`documents` gives them.  The columns have nullable
    dtypes: ``string``, ``boolean``, ``Float64``, and ``int64`` for the count.

    >>> import textwash
    >>> df = pd.DataFrame({"t": ["甲乙丙丁戊己庚辛。", "甲乙丙丁戊己庚辛。"]})
    >>> report = textwash.find_duplicates(documents(df, "t"))
    >>> [str(t) for t in add_duplicate_columns(df, report).dtypes.iloc[1:]]
    ['string', 'boolean', 'Float64', 'int64']
    """
    values = row_values(report, [str(label) for label in df.index], prefix)
    cluster, kept, similarity, clusters = column_names(prefix)
    dtypes: dict[str, Any] = {cluster: "string", kept: "boolean", similarity: "Float64"}
    dtypes[clusters] = "int64"
    out = df.copy()
    for name, col in values.items():
        out[name] = pd.Series(col, index=df.index, dtype=dtypes[name])
    return out


def find_duplicates(
    df: pd.DataFrame,
    column: str,
    *,
    prefix: str = "dup_",
    workers: int = 1,
    **options: Any,
) -> pd.DataFrame:
    """A copy of ``df`` with duplicate columns: :func:`textwash.find_duplicates`
    over the texts of ``column`` (each row a document, its index label the
    doc_id; missing cells are no document), then :func:`add_duplicate_columns`.

    ``options`` go to :func:`textwash.find_duplicates` (``unit``,
    ``near_threshold``, ``keep`` ...).  For the report itself, run the two steps::

        report = textwash.find_duplicates(textwash.pandas.documents(df, "text"))
        df = textwash.pandas.add_duplicate_columns(df, report)
    """
    report = _find_duplicates(documents(df, column), workers=workers, **options)
    return add_duplicate_columns(df, report, prefix=prefix)
