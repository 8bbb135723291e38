"""textwash on Hugging Face ``datasets``: a batched map function, duplicate columns.

Needs ``datasets`` (``pip install 'textwash[hf]'``); ``import textwash`` alone
does not import it.

:func:`clean_batch` makes the function to give ``Dataset.map`` with
``batched=True``; ``num_proc`` runs it in that many processes, each cleaning
its share of the batches (so ``clean_batch`` itself uses no pool).  Missing
values (``None``) stay ``None``.

>>> import datasets
>>> import textwash.hf
>>> ds = datasets.Dataset.from_dict({"text": ["社 会 、实 现", None, "裙众"]})
>>> list(ds.map(textwash.hf.clean_batch("text"), batched=True)["text"])
['社会、实现', None, '群众']

:func:`find_duplicates` compares the rows (each a document, doc_id its row
number) and adds the columns :mod:`textwash.dupcolumns` describes
(``dup_cluster``, ``dup_kept``, ``dup_similarity``, ``dup_clusters``):

>>> a = "公安机关的群众工作是党的群众工作的重要方面，也是公安工作的光荣传统。"
>>> ds = datasets.Dataset.from_dict({"text": [a, "无关。", None, "前言。\\n\\n" + a]})
>>> list(textwash.hf.find_duplicates(ds, "text")["dup_kept"])
[True, None, None, False]
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

try:
    import datasets  # the library: imports are absolute
except ImportError as exc:  # tests/test_frames.py hides the library to see this
    raise ImportError("textwash.hf needs datasets: pip install 'textwash[hf]'") from exc

from .batch import clean_many
from .dedup.find import find_duplicates as _find_duplicates
from .dedup.report import DuplicateReport
from .dupcolumns import row_values
from .pipeline import Pipeline

__all__ = ["CleanBatch", "add_duplicate_columns", "clean_batch", "documents", "find_duplicates"]


class CleanBatch:
    """The function :func:`clean_batch` returns: a batch (a dict of column lists) in,
    ``{output: cleaned texts}`` out.

    It is a plain object of module-level class, so ``datasets`` can pickle it
    to its ``num_proc`` processes and fingerprint it for its cache.

    >>> CleanBatch("t", output="c")({"t": ["近年来,随着", None], "n": [1, 2]})
    {'c': ['近年来，随着', None]}
    """

    def __init__(
        self, column: str = "text", preset: str | Pipeline = "zh", output: str | None = None
    ) -> None:
        self.column = column
        self.preset = preset
        self.output = column if output is None else output

    def __call__(self, batch: Mapping[str, Sequence[Any]]) -> dict[str, list[str | None]]:
        return {self.output: clean_many(batch[self.column], self.preset)}

    def __repr__(self) -> str:
        return f"CleanBatch({self.column!r}, preset={self.preset!r}, output={self.output!r})"


def clean_batch(
    column: str = "text", *, preset: str | Pipeline = "zh", output: str | None = None
) -> CleanBatch:
    """A function for ``ds.map(..., batched=True)`` that cleans ``column``
    (into column ``output`` if given) with ``preset``, as :func:`textwash.clean`.

    >>> import datasets
    >>> ds = datasets.Dataset.from_dict({"raw": ["掌握笫一手资料."]})
    >>> ds.map(clean_batch("raw", output="clean"), batched=True)[0]
    {'raw': '掌握笫一手资料.', 'clean': '掌握第一手资料。'}
    """
    return CleanBatch(column, preset, output)


def documents(
    ds: datasets.Dataset, column: str = "text", batch_size: int = 1000
) -> Iterator[tuple[str, str]]:
    """``(doc_id, text)`` pairs for :func:`textwash.find_duplicates`, read
    ``batch_size`` rows at a time: one per row whose ``column`` is not ``None``,
    doc_id its row number as a ``str``.  Any other value raises a ``TypeError``
    naming the row.

    >>> list(documents(datasets.Dataset.from_dict({"t": [None, "甲"]}), "t"))
    [('1', '甲')]
    """
    k = 0
    for batch in ds.select_columns([column]).iter(batch_size=batch_size):
        for value in batch[column]:
            if isinstance(value, str):
                yield str(k), value
            elif value is not None:
                raise TypeError(
                    f"row {k}: column {column!r} holds a {type(value).__name__}, not a str"
                )
            k += 1


def add_duplicate_columns(
    ds: datasets.Dataset, report: DuplicateReport, *, prefix: str = "dup_"
) -> datasets.Dataset:
    """``ds`` with the duplicate columns of ``report`` (see :mod:`textwash.dupcolumns`).

    ``report`` must have been made with row numbers (as ``str``) as doc_ids, as
    :func:`documents` gives them.  The columns' features are ``string``,
    ``bool``, ``float64`` and ``int64``, with ``None`` where a row is in no
    cluster.
    """
    values = row_values(report, [str(k) for k in range(len(ds))], prefix)
    kinds = ("string", "bool", "float64", "int64")
    for (name, col), kind in zip(values.items(), kinds, strict=True):
        ds = ds.add_column(name, col, feature=datasets.Value(kind))
    return ds


def find_duplicates(
    ds: datasets.Dataset,
    column: str = "text",
    *,
    prefix: str = "dup_",
    workers: int = 1,
    **options: Any,
) -> datasets.Dataset:
    """``ds`` with duplicate columns: :func:`textwash.find_duplicates` over the
    texts of ``column`` (each row a document, its row number the doc_id;
    ``None`` is no document), then :func:`add_duplicate_columns`.

    ``options`` go to :func:`textwash.find_duplicates`; ``workers`` processes
    clean and segment the texts.  For the report itself, run the two steps::

        report = textwash.find_duplicates(textwash.hf.documents(ds, "text"))
        ds = textwash.hf.add_duplicate_columns(ds, report)
    """
    report = _find_duplicates(documents(ds, column), workers=workers, **options)
    return add_duplicate_columns(ds, report, prefix=prefix)
