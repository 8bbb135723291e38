"""What the subcommands share: options, input jobs, reading, errors, progress.

The subcommands (:mod:`textwash.cli.main` for ``clean``, :mod:`textwash.cli.dedup`,
:mod:`textwash.cli.streamed` for large files) build on this module, and this
module on none of them.  A run's own state (the totals of ``--on-error skip``
and ``--decode-errors replace``, the ``--resume`` journal) lives in a
:class:`RunContext` passed along, not on the parsed options.
"""

from __future__ import annotations

import argparse
import codecs
import json
import os
import shutil
import sys
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import CleaningError
from ..io import (
    DECODE_ERRORS,
    FileFilter,
    InputError,
    Reject,
    SourceFile,
    atomic_open,
    atomic_write_bytes,
    detect_format,
    discover,
    read_file,
)
from ..io.writers import jsonl_line
from ..parallel import Failure, RaisedFailure, default_workers
from .journal import Journal

if TYPE_CHECKING:
    from tqdm import tqdm

    from ..io import Document
    from ..pipeline import Pipeline, RunResult

__all__ = [
    "PROG",
    "Job",
    "NotWritten",
    "Progress",
    "Rejected",
    "RunContext",
    "StepFailed",
    "Summary",
    "Tally",
    "UsageError",
    "add_console_options",
    "add_debug_option",
    "add_input_options",
    "add_workers_option",
    "copy_rejected_file",
    "debug_text",
    "document_failed",
    "file_filter",
    "line_of",
    "load_pipeline_file",
    "plan_jobs",
    "plural",
    "progress_enabled",
    "read_source",
    "rejects_path",
    "replaced_note",
    "report_step_failure",
    "settle_failures",
]

PROG = "textwash"


class UsageError(Exception):
    """A command-line combination that cannot work; reported like an argparse error (exit 2)."""


def _encoding_arg(value: str) -> str:
    """``--encoding`` type: a codec Python knows."""
    try:
        return codecs.lookup(value).name
    except LookupError:
        raise argparse.ArgumentTypeError(f"unknown encoding {value!r}") from None


def add_console_options(p: argparse.ArgumentParser, *, root: bool = False) -> None:
    """``-v/--verbose`` and ``-q/--quiet``: how much the library's log says on stderr.

    Given before or after the subcommand (``root``: the top-level parser, whose
    values a subcommand keeps unless it is given there too).
    """
    default: Any = 0 if root else argparse.SUPPRESS
    p.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=default,
        help="show what the library logs: -v its notes (e.g. bytes replaced), -vv also "
        "its debugging messages (e.g. the encoding detected)",
    )
    p.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=False if root else argparse.SUPPRESS,
        help="no line per input file (its encoding) and only errors from the library's log; "
        "errors and the run's totals are still printed",
    )


def add_input_options(p: argparse.ArgumentParser) -> None:
    """``--text-field``, ``--encoding``, ``--decode-errors``, ``--include`` and
    ``--exclude``, shared by the subcommands that read inputs."""
    p.add_argument(
        "--text-field",
        default="text",
        metavar="NAME",
        help="JSON field / Parquet column holding the text (default: text)",
    )
    p.add_argument(
        "--encoding",
        type=_encoding_arg,
        metavar="ENC",
        help="input encoding of text and JSONL files (default: detect)",
    )
    p.add_argument(
        "--decode-errors",
        choices=DECODE_ERRORS,
        default="strict",
        help="bytes the encoding cannot decode: 'strict' makes the file (or JSONL line) an "
        "error; 'replace' turns them into U+FFFD, counts them per file and reads the rest "
        "(default: strict)",
    )
    p.add_argument(
        "--include",
        action="append",
        default=[],
        metavar="GLOB",
        help="in folders, only take files matching GLOB (a name like '*.txt', or a path "
        "below the folder like '2023/*.jsonl'); may be repeated",
    )
    p.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="in folders, leave out files and folders matching GLOB (e.g. '*.png', "
        "'drafts'); may be repeated; files named directly are always read",
    )


def file_filter(args: argparse.Namespace) -> FileFilter | None:
    """The :class:`~textwash.io.FileFilter` of ``--include``/``--exclude`` (``None``: none)."""
    include = tuple(getattr(args, "include", None) or ())
    exclude = tuple(getattr(args, "exclude", None) or ())
    return FileFilter(include, exclude) if include or exclude else None


def replaced_note(replaced: int) -> str:
    """What to add to a file's encoding line when bytes were replaced.

    >>> replaced_note(0), replaced_note(1)
    ('', ', 1 undecodable byte sequence replaced by U+FFFD')
    >>> replaced_note(3)
    ', 3 undecodable byte sequences replaced by U+FFFD'
    """
    if not replaced:
        return ""
    return f", {plural(replaced, 'undecodable byte sequence')} replaced by U+FFFD"


def plural(n: int, noun: str) -> str:
    """``n`` and ``noun``, with an ``s`` unless ``n`` is 1.

    >>> plural(1, "file"), plural(2, "file")
    ('1 file', '2 files')
    """
    return f"{n} {noun}{'' if n == 1 else 's'}"


def add_workers_option(p: argparse.ArgumentParser) -> None:
    """``--workers N``: processes for the CPU-bound work (default: all cores)."""
    p.add_argument(
        "--workers",
        type=_positive_int,
        default=default_workers(),
        metavar="N",
        help="worker processes (default: all cores, here %(default)s); "
        "the output is the same for any N",
    )


def add_debug_option(p: argparse.ArgumentParser) -> None:
    """``--debug``: print the traceback of a step that fails on a document."""
    p.add_argument(
        "--debug",
        action="store_true",
        help="when a pipeline step fails on a document, print its traceback after the "
        "one-line report",
    )


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


#: ``name -> function adding that subcommand to the subparsers object``.


@dataclass(frozen=True)
class Job:
    """One input file of ``textwash clean`` and where its output goes.

    ``output`` is ``None`` for standard output (or for nothing, with ``--explain``).
    """

    path: Path
    output: Path | None

    @property
    def name(self) -> str:
        """The file as the user named it (or as found below a named folder)."""
        return str(self.path)


class Tally:
    """Records read, written and rejected over a run (``--on-error skip``), and the
    undecodable bytes replaced (``--decode-errors replace``)."""

    def __init__(self) -> None:
        self.read = 0
        self.rejected = 0
        self.replaced = 0
        self.replaced_files = 0

    def add(self, source: SourceFile) -> None:
        """Count one file's records and rejects."""
        self.read += len(source.documents)
        self.rejected += len(source.rejects)

    def add_replaced(self, replaced: int) -> None:
        """Count one file's undecodable byte sequences replaced by U+FFFD."""
        if replaced:
            self.replaced += replaced
            self.replaced_files += 1

    def render_replaced(self) -> str:
        """One line for stderr: how many byte sequences were replaced, in how many files.

        >>> t = Tally(); t.add_replaced(2); t.add_replaced(0); t.add_replaced(1)
        >>> t.render_replaced()
        'textwash: 3 undecodable byte sequences replaced by U+FFFD in 2 files'
        """
        return (
            f"{PROG}: {plural(self.replaced, 'undecodable byte sequence')} replaced by U+FFFD "
            f"in {plural(self.replaced_files, 'file')}"
        )

    def merge(self, other: Tally) -> None:
        """Add the counts of ``other`` (a worker's) to these.

        >>> t, w = Tally(), Tally(); w.read, w.rejected = 3, 1; w.add_replaced(2)
        >>> t.merge(w); t.merge(w); (t.read, t.rejected, t.replaced, t.replaced_files)
        (6, 2, 4, 2)
        """
        self.read += other.read
        self.rejected += other.rejected
        self.replaced += other.replaced
        self.replaced_files += other.replaced_files

    def moved(self, n: int) -> None:
        """Count ``n`` records that were read but then failed to clean as rejects."""
        self.read -= n
        self.rejected += n

    def render(self) -> str:
        """One line for stderr: records in = records out + rejects."""
        total = self.read + self.rejected
        return f"{PROG}: {total} record(s) in: {self.read} cleaned, {self.rejected} rejected" + (
            " (copied into the .rejects files)" if self.rejected else ""
        )


def rejects_path(job: Job) -> Path:
    """Where the records of ``job`` that could not be read go: ``OUTPUT.rejects``,
    or ``NAME.rejects`` in the current folder when the output is standard output.

    >>> rejects_path(Job(Path("in/a.jsonl"), Path("out/a.jsonl"))).as_posix()
    'out/a.jsonl.rejects'
    >>> rejects_path(Job(Path("in/a.jsonl"), None)).as_posix()
    'a.jsonl.rejects'
    """
    if job.output is not None:
        return job.output.with_name(job.output.name + ".rejects")
    return Path(job.path.name + ".rejects")


def _write_rejects(
    job: Job, source: SourceFile, progress: Progress, new: Sequence[Reject] | None = None
) -> None:
    """Report the rejects of ``source`` (only those in ``new``, when given) and
    copy them all, verbatim, into the rejects file.

    A JSONL line or Parquet row is written as one line; a whole file, as it was.
    A rejects file left from an earlier run is removed when there are none now.
    """
    target = rejects_path(job)
    if not source.rejects:
        if target.exists():
            target.unlink()
        return
    for reject in source.rejects if new is None else new:
        progress.note(f"{PROG}: skipped: {reject}")
    if source.encoding == "unknown":  # the whole file, as it was
        data = source.rejects[0].raw
    else:  # lines (without their line break) and Parquet rows (as JSON), one a line
        data = b"".join(r.raw + b"\n" for r in source.rejects)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(target, data)


class Summary:
    """Edit counts per step and flag counts per kind, summed over a whole run.

    Files cleaned in windows add their edit counts only (:meth:`add_counts`).
    """

    def __init__(self) -> None:
        self.documents = 0
        self.steps: dict[str, int] = {}
        self.flags: dict[str, int] = {}

    def add(self, result: RunResult) -> None:
        """Count one document's :class:`~textwash.RunResult`."""
        self.documents += 1
        for name, n in result.step_counts:
            self.steps[name] = self.steps.get(name, 0) + n
        for f in result.flags:
            self.flags[f.kind] = self.flags.get(f.kind, 0) + 1

    def add_counts(self, pipeline: Pipeline, counts: Sequence[int]) -> None:
        """Count one document cleaned in windows: edits per step, no flags."""
        self.documents += 1
        from ..pipeline import _step_name

        for step, n in zip(pipeline, counts, strict=True):
            name = _step_name(step)
            self.steps[name] = self.steps.get(name, 0) + n

    def render(self) -> str:
        """A small table for stderr."""
        width = max([len(k) for k in self.steps] + [4])
        lines = [f"{self.documents} document(s) cleaned", f"{'step':<{width}}  edits"]
        lines += [f"{k:<{width}}  {v:>5}" for k, v in self.steps.items()]
        lines += [f"flagged {k}: {v}" for k, v in sorted(self.flags.items())]
        return "\n".join(lines)


def load_pipeline_file(path: Path) -> Pipeline | None:
    """The pipeline configured in ``path``, or ``None`` after reporting why it is invalid."""
    from ..pipeline import ConfigError, Pipeline

    try:
        return Pipeline.from_config(path)
    except ConfigError as exc:
        _error(str(exc))
    except ValueError as exc:
        _error(f"{path}: {exc}")
    return None


def plan_jobs(
    inputs: Sequence[str],
    output: str | None,
    *,
    explain: bool = False,
    folder: bool = False,
    select: FileFilter | None = None,
) -> list[Job]:
    """Pair every input file with its output path, or raise :class:`UsageError`.

    One input file: ``output`` is a file, or a folder to write into when it
    exists or ends with a slash; without it the result goes to standard output
    (not for Parquet).  Several inputs or a folder: ``output`` must be a folder,
    and each file keeps its path relative to the folder it was found in.  With
    ``explain`` and no ``output`` nothing is written.  With ``folder``,
    ``output`` is a folder even for one input file.  ``select`` picks the
    files found in folders (``--include``/``--exclude``).
    """
    single = not folder and len(inputs) == 1 and not Path(inputs[0]).is_dir()
    if output is None and not (single or explain):
        raise UsageError("several inputs or a folder need -o FOLDER")
    out_dir = Path(output) if output is not None and not single else None
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"-o {out_dir}: several inputs or a folder need -o to be a folder")
    files = discover(inputs, exclude=[out_dir] if out_dir is not None else [], select=select)
    if output is None:
        if files and not explain and detect_format(files[0][0]) == "parquet":
            raise UsageError(f"{files[0][0]}: Parquet cannot go to standard output; use -o FILE")
        return [Job(path, None) for path, _ in files]
    if single:
        path, rel = files[0]
        into = Path(output).is_dir() or output.endswith(("/", os.sep))
        return [Job(path, Path(output) / rel if into else Path(output))]
    return _mirror(files, Path(output))


def _mirror(files: list[tuple[Path, Path]], out_dir: Path) -> list[Job]:
    """Jobs writing each file to ``out_dir / relative_path``; two files may not collide."""
    taken: dict[Path, Path] = {}
    jobs = []
    for path, rel in files:
        target = out_dir / rel
        if target in taken:
            raise UsageError(f"{taken[target]} and {path} would both be written to {target}")
        taken[target] = path
        jobs.append(Job(path, target))
    return jobs


def read_source(job: Job, ctx: RunContext, progress: Progress) -> SourceFile:
    """Read ``job``'s input with ``--text-field``/``--encoding``; note its encoding on stderr.

    Rejects and replaced bytes are counted in ``ctx.tally``.  Raises
    :class:`~textwash.io.InputError` when the file cannot be read.
    """
    args = ctx.args
    on_error = getattr(args, "on_error", "fail")
    source = read_file(
        job.path,
        text_field=args.text_field,
        encoding=args.encoding,
        on_error=on_error,
        decode_errors=getattr(args, "decode_errors", "strict"),
    )
    ctx.tally.add_replaced(source.replaced)
    if on_error == "skip":
        _write_rejects(job, source, progress)
        ctx.tally.add(source)
        if not source.documents and source.encoding == "unknown":
            # the whole file was rejected: there is nothing to write for it
            raise Rejected(job.path)
    if not getattr(args, "quiet", False):
        progress.note(f"{job.name}: {source.encoding}{replaced_note(source.replaced)}")
    return source


class Rejected(InputError):
    """A file that ``--on-error skip`` rejected whole (already reported)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, "rejected whole")


class NotWritten(Exception):
    """A file that is not written because a step failed on it (already reported)."""


class StepFailed(InputError):
    """A document a pipeline step failed on, named like an input that cannot be read.

    ``str()`` is ``FILE:LINE: step NAME failed: MESSAGE``: the line of the
    failure in a plain-text file (when the step's position is known), the
    record's line in JSONL; a Parquet row reads ``FILE: row N: step ...``.
    ``error`` is the :class:`~textwash.errors.CleaningError` and ``debug`` the
    traceback of where the step raised, for ``--debug``.

    >>> str(StepFailed("a.jsonl", CleaningError("OcrSpacing", "boom", position=3), line=7))
    'a.jsonl:7: step OcrSpacing failed: boom'
    >>> str(StepFailed("r.parquet", CleaningError("Strip", "boom"), row=4))
    'r.parquet: row 4: step Strip failed: boom'
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        error: CleaningError,
        *,
        line: int | None = None,
        record: int | None = None,
        row: int | None = None,
        debug: str = "",
    ) -> None:
        cause = f"step {error.step} failed: {error.message}"
        if row is not None:
            cause, record = f"row {row}: {cause}", row
        super().__init__(path, cause, line=line, record=record)
        self.error = error
        self.debug = debug


def debug_text(err: BaseException) -> str:
    """The traceback to show with ``--debug``: where the step raised, if that is known."""
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, RaisedFailure):
            return seen.where.rstrip()
        seen = seen.__cause__
    return "".join(traceback.format_exception(type(err), err, err.__traceback__)).rstrip()


def line_of(text: str, position: int | None) -> int | None:
    """The 1-based line of ``text`` that character ``position`` is on (``None``: unknown).

    >>> line_of("a\\nb\\nc", 4), line_of("abc", None)
    (3, None)
    """
    return None if position is None else text.count("\n", 0, position) + 1


def document_failed(job: Job, source: SourceFile, doc: Document, failure: Failure) -> StepFailed:
    """The :class:`StepFailed` for ``failure`` on ``doc`` of ``source``."""
    err = failure.error
    if source.format == "parquet":
        return StepFailed(job.path, err, row=doc.index, debug=failure.traceback)
    if source.format == "jsonl":
        return StepFailed(job.path, err, line=doc.line, record=doc.index, debug=failure.traceback)
    return StepFailed(job.path, err, line=line_of(doc.text, err.position), debug=failure.traceback)


def report_step_failure(
    exc: StepFailed, args: argparse.Namespace, note: Callable[[str], None], *, skipped: bool
) -> None:
    """Pass ``note`` the one line for ``exc`` (``textwash: skipped: ...`` or
    ``textwash: error: ...``) and, with ``--debug``, the traceback."""
    note(f"{PROG}: {'skipped' if skipped else 'error'}: {exc}")
    if getattr(args, "debug", False) and exc.debug:
        note(exc.debug)


def settle_failures(
    job: Job,
    source: SourceFile,
    texts: Sequence[str | Failure],
    ctx: RunContext,
    progress: Progress,
) -> tuple[SourceFile, list[str]]:
    """What to write for ``source`` once its documents are cleaned into ``texts``.

    A document a step failed on (a :class:`~textwash.parallel.Failure` in
    ``texts``) is handled as a record that cannot be read.  Without
    ``--on-error skip`` the first is reported and :class:`NotWritten` raised:
    the file gets no output.  With it, every one is reported and copied,
    byte for byte, into the rejects file (with the records rejected on
    reading, in file order) and left out of the output (a JSONL line stays
    empty); a plain-text file, one document, is then rejected whole and
    :class:`Rejected` raised.  Returns the source and texts to write.
    """
    failures = [(k, t) for k, t in enumerate(texts) if isinstance(t, Failure)]
    if not failures:
        return source, [t for t in texts if isinstance(t, str)]
    args = ctx.args
    skip = getattr(args, "on_error", "fail") == "skip"
    if not skip:
        k, failure = failures[0]
        report_step_failure(
            document_failed(job, source, source.documents[k], failure),
            args,
            progress.note,
            skipped=False,
        )
        raise NotWritten(job.path)
    ctx.tally.moved(len(failures))
    if source.format == "text":
        k, failure = failures[0]
        exc = document_failed(job, source, source.documents[k], failure)
        report_step_failure(exc, args, progress.note, skipped=True)
        copy_rejected_file(job)
        raise Rejected(job.path)
    new = []
    for k, failure in failures:
        doc = source.documents[k]
        exc = document_failed(job, source, doc, failure)
        new.append(Reject(job.path, exc.line, exc.record, _raw_record(source, k), exc.cause))
        report_step_failure(exc, args, progress.note, skipped=True)
    failed = {k for k, _ in failures}
    keep = [k for k in range(len(texts)) if k not in failed]
    settled = replace(
        source,
        documents=[source.documents[k] for k in keep],
        table=None if source.table is None else _take_rows(source.table, keep),
        rejects=sorted([*source.rejects, *new], key=_record_order),
    )
    _write_rejects(job, settled, progress, new=[])
    return settled, [t for t in texts if isinstance(t, str)]


def _take_rows(table: Any, rows: list[int]) -> Any:
    """The ``rows`` of a ``pyarrow.Table``, in order (maybe none)."""
    import pyarrow as pa

    return table.take(pa.array(rows, type=pa.int64()))


def _record_order(reject: Reject) -> int:
    return -1 if reject.record is None else reject.record


def _raw_record(source: SourceFile, k: int) -> bytes:
    """Document ``k`` of a JSONL or Parquet ``source`` as the rejects file holds it: the
    line's bytes as they are in the file, a Parquet row as a JSON object."""
    doc = source.documents[k]
    if source.format == "parquet":
        row = source.row(k)
        return json.dumps(row, ensure_ascii=False, default=str).encode("utf-8")
    line = (doc.line or 1) - 1
    try:
        data = source.path.read_bytes()
        if source.encoding.startswith(("utf-16", "utf-32")):  # lines cannot be cut in the bytes
            text = data.decode(source.encoding).split("\n")[line]
            return text.encode(source.encoding, "surrogatepass")
        return data.split(b"\n")[line]
    except (OSError, UnicodeError, IndexError):  # gone or changed since: the record as read
        return jsonl_line(doc, source.text_field, doc.text).encode("utf-8", "surrogatepass")


def copy_rejected_file(job: Job) -> None:
    """Copy a whole input file, as it is, into its rejects file (atomically)."""
    target = rejects_path(job)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(target) as out, open(job.path, "rb") as f:
        shutil.copyfileobj(f, out, 1 << 20)


def _write_stdout(data: bytes) -> None:
    """Write UTF-8 ``data`` to standard output whatever its configured encoding."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(data.decode("utf-8"))
    else:
        buffer.write(data)
    sys.stdout.flush()


def _error(message: str) -> None:
    print(f"{PROG}: error: {message}", file=sys.stderr)


# -- progress ---------------------------------------------------------------------


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _byte_shares(size: int, source: SourceFile) -> list[int]:
    """Split the file's ``size`` over its documents in proportion to their length.

    The shares add up to ``size`` exactly, so the bar ends at 100%.
    """
    lengths = [len(d.text) for d in source.documents]
    total = sum(lengths) or 1
    shares, done, seen = [], 0, 0
    for n in lengths:
        seen += n
        position = size * seen // total
        shares.append(position - done)
        done = position
    if shares:
        shares[-1] += size - done
    return shares


def progress_enabled(enabled: bool) -> bool:
    """Whether to draw progress bars: asked for (``enabled``) and stderr is a terminal."""
    return enabled and sys.stderr.isatty()


class Progress:
    """A tqdm bar on stderr counting bytes, with the number of documents as postfix.

    It only shows when ``enabled`` and stderr is a terminal; :meth:`note` prints
    a message above it either way.  ``desc`` labels the bar.
    """

    def __init__(self, total: int, *, enabled: bool, desc: str | None = None) -> None:
        from tqdm import tqdm

        self.documents = 0
        self.bar: tqdm[Any] = tqdm(
            total=total,
            desc=desc,
            unit="B",
            unit_scale=True,
            unit_divisor=1024,
            file=sys.stderr,
            disable=not progress_enabled(enabled),
            dynamic_ncols=True,
        )

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.close()

    def advance(self, nbytes: int, documents: int = 0) -> None:
        """Count ``nbytes`` more bytes and ``documents`` more documents as done."""
        if documents:
            self.documents += documents
            self.bar.set_postfix(docs=self.documents, refresh=False)
        self.bar.update(nbytes)

    def note(self, message: str) -> None:
        """Print ``message`` on stderr without breaking the bar."""
        self.bar.write(message, file=sys.stderr)


@dataclass
class RunContext:
    """One run of a subcommand: its options and the state it keeps while it runs.

    Attributes:
        args: the parsed command line (only read).
        tally: records read and rejected, bytes replaced (see :class:`Tally`).
        journal: the ``--resume`` journal of ``textwash clean`` writing into a
            folder or file, else ``None``.
    """

    args: argparse.Namespace
    tally: Tally = field(default_factory=lambda: Tally())
    journal: Journal | None = None

    def journal_done(self, job: Job, replaced: int = 0) -> None:
        """Note in the journal (if any) that ``job``'s output is complete."""
        if self.journal is not None:
            self.journal.record(job.name, job.path, replaced=replaced)
