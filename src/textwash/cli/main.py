"""``textwash``: the command-line entry point.

Subcommands are registered in :data:`COMMANDS`; each adds its own arguments and
sets the function that runs it: ``textwash clean`` here, ``textwash dedup`` in
:mod:`textwash.cli.dedup`.  Exit codes: 0 success, 1 an input or output file failed
(or a pipeline step failed on a document), 2 usage errors (bad options, bad
pipeline file).

A step that fails on one document does not end the run: the document is
reported in one line, ``FILE:LINE: step NAME failed: MESSAGE``, and handled like
a record that cannot be read (its file is not written, or with ``--on-error
skip`` the document goes verbatim into the rejects file); ``--debug`` adds the
traceback.

>>> main(["--version"])  # doctest: +ELLIPSIS
textwash ...
0
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import json
import logging
import os
import shutil
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..engines import add_engine_options
from ..errors import CleaningError
from ..io import (
    DECODE_ERRORS,
    ON_ERROR,
    FileFilter,
    InputError,
    Reject,
    SourceFile,
    atomic_open,
    atomic_write_bytes,
    detect_format,
    discover,
    read_file,
    render_bytes,
    write_output,
)
from ..io.writers import jsonl_line, remove_stale_temporaries
from ..parallel import Failure, RaisedFailure, Workers, default_workers
from ..windows import clean_long
from .journal import Journal
from .render import COLOR_MODES, render_document, use_color

if TYPE_CHECKING:
    from tqdm import tqdm

    from ..io import Document
    from ..pipeline import Pipeline, RunResult

__all__ = [
    "COMMANDS",
    "Job",
    "Progress",
    "StepFailed",
    "UsageError",
    "add_debug_option",
    "build_parser",
    "load_pipeline_file",
    "main",
    "plan_jobs",
    "progress_enabled",
    "read_source",
]

PROG = "textwash"
DEFAULT_PRESET = "zh"


class UsageError(Exception):
    """A command-line combination that cannot work; reported like an argparse error (exit 2)."""


# -- parser -----------------------------------------------------------------------


def _version() -> str:
    try:
        from textwash import __version__
    except ImportError:
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("textwash")
        except PackageNotFoundError:
            return "unknown"
    return str(__version__)


def _encoding_arg(value: str) -> str:
    """``--encoding`` type: a codec Python knows."""
    try:
        return codecs.lookup(value).name
    except LookupError:
        raise argparse.ArgumentTypeError(f"unknown encoding {value!r}") from None


def _add_clean(sub: Any) -> None:
    from ..presets import PRESET_NAMES

    p = sub.add_parser(
        "clean",
        help="clean text, JSONL or Parquet files",
        description="Clean scraped Chinese documents. Output mirrors the input format; "
        "see docs/cli.md.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="files or folders to clean")
    p.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        help="output file (one input) or folder (several inputs or a folder); "
        "default: standard output",
    )
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--preset", choices=PRESET_NAMES, help=f"built-in pipeline (default: {DEFAULT_PRESET})"
    )
    which.add_argument(
        "--pipeline", type=Path, metavar="FILE.toml", help="pipeline configuration file"
    )
    p.add_argument(
        "--explain",
        action="store_true",
        help="print every edit of every step to standard output "
        "(the cleaned text is then only written with -o)",
    )
    add_input_options(p)
    p.add_argument(
        "--on-error",
        choices=ON_ERROR,
        default="fail",
        help="a JSONL line, Parquet row or file that cannot be read or that a step fails "
        "on: 'fail' leaves that file unwritten; 'skip' writes the rest and copies what was "
        "skipped, byte for byte, into OUTPUT.rejects (exit code 1 either way; default: fail)",
    )
    p.add_argument(
        "--resume",
        action="store_true",
        help="continue an interrupted run into the same -o folder or file: files it "
        "finished (per the run's .textwash-journal.jsonl) are not cleaned again, and a "
        "large file goes on from its last checkpoint",
    )
    p.add_argument(
        "--summary",
        action="store_true",
        help="after the run, print on stderr how many edits each step made and what was flagged",
    )
    add_workers_option(p)
    add_engine_options(p)
    add_debug_option(p)
    p.add_argument("--no-progress", action="store_true", help="do not show a progress bar")
    p.add_argument(
        "--color",
        choices=COLOR_MODES,
        default="auto",
        help="colour the --explain diff (default: auto, on a terminal)",
    )
    p.set_defaults(run=run_clean, command_parser=p)


def _add_dedup(sub: Any) -> None:
    # imported here: ``cli.dedup`` builds on the helpers of this module
    from .dedup import add_dedup

    add_dedup(sub)


def _add_completion(sub: Any) -> None:
    from .completion import SHELLS

    p = sub.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print a completion script for bash or zsh, e.g. "
        "'source <(textwash completion bash)'; see docs/cli.md.",
    )
    p.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    p.set_defaults(run=run_completion, command_parser=p)


def run_completion(args: argparse.Namespace) -> int:
    """``textwash completion SHELL``: print the completion script on standard output."""
    from .completion import script

    _write_stdout(script(args.root_parser, args.shell).encode("utf-8"))
    return 0


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


@contextlib.contextmanager
def console_logging(verbose: int, quiet: bool) -> Iterator[None]:
    """Send the ``textwash`` logger's records to stderr while the command runs.

    Warnings by default; ``verbose`` 1 adds notes (INFO), 2 debugging messages;
    ``quiet`` keeps only errors.  The library itself never prints.
    """
    logger = logging.getLogger("textwash")
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO)[min(verbose, 1)]
    if verbose >= 2 and not quiet:
        level = logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(f"{PROG}: %(levelname)s: %(message)s"))
    before = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(before)


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
COMMANDS: dict[str, Callable[[Any], None]] = {
    "clean": _add_clean,
    "dedup": _add_dedup,
    "completion": _add_completion,
}


def build_parser() -> argparse.ArgumentParser:
    """The ``textwash`` argument parser with every subcommand in :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="Clean scraped Chinese document dumps and find repeated passages."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    add_console_options(parser, root=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, add in COMMANDS.items():
        add(sub)
        if name != "completion":
            add_console_options(sub.choices[name])
    sub.choices["completion"].set_defaults(root_parser=parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``textwash`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        try:
            with console_logging(args.verbose, args.quiet):
                return int(args.run(args))
        except UsageError as exc:
            args.command_parser.error(str(exc))
    except SystemExit as exc:  # argparse: --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 1
    return 0  # pragma: no cover - parser.error always exits


def _silence_stdout() -> None:
    """After the reader of stdout went away, stop Python's exit-time flush from failing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


# -- clean ------------------------------------------------------------------------


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


def run_clean(args: argparse.Namespace) -> int:
    """``textwash clean``: clean every input, write mirrored outputs, report problems."""
    from ..engines.cli import check_clean_engine, clean_pool

    check_clean_engine(args)
    pipeline = _load_pipeline(args)
    if pipeline is None:
        return 2
    try:
        jobs = plan_jobs(args.inputs, args.output, explain=args.explain, select=file_filter(args))
    except InputError as exc:
        _error(str(exc))
        return 1
    if not jobs:
        print(f"{PROG}: no input files found", file=sys.stderr)
        return 0
    args.journal = None
    folder = _output_folder(args, jobs)
    if args.resume and args.output is None:
        _error("--resume needs -o (standard output cannot be taken back)")
        return 2
    if args.output is not None and not args.explain:
        if folder is not None:
            journal = Journal(folder, _run_settings(args, pipeline))
        else:  # one output file: its journal sits beside it
            target = jobs[0].output
            assert target is not None
            journal = Journal(target.parent, _run_settings(args, pipeline), for_file=target.name)
        if args.resume:
            problem = journal.load()
            if problem is not None:
                _error(problem)
                return 2
            swept = _sweep(folder, jobs)
            if swept:
                print(
                    f"{PROG}: removed {swept} temporary file(s) of the interrupted run",
                    file=sys.stderr,
                )
            todo = [j for j in jobs if not (j.output and journal.is_done(j.name, j.path, j.output))]
            print(
                f"{PROG}: resuming: {len(jobs) - len(todo)} of {len(jobs)} file(s) already done",
                file=sys.stderr,
            )
            jobs = todo
        try:
            journal.start()
            args.journal = journal
        except OSError as exc:
            if args.resume or folder is not None:
                _error(f"{journal.path}: cannot write ({exc.strerror or exc})")
                return 1
            # one output file: the write itself will say why it cannot be done
    color = use_color(args.color, sys.stdout)
    failed = 0
    total = sum(_size(job.path) for job in jobs)
    summary = Summary() if args.summary else None
    args.tally = Tally()
    on_ray = getattr(args, "engine", "local") == "ray"
    parallel = (args.workers > 1 or on_ray) and not args.explain and summary is None
    from .streamed import clean_streamed, streams

    streamed = [job for job in jobs if streams(job, args)]
    whole = [job for job in jobs if job not in streamed]
    with (
        Progress(total, enabled=not (args.no_progress or args.explain)) as progress,
        clean_pool(args, pipeline, args.workers if parallel else 1) as pool,
    ):
        if parallel:
            for batch in _batches(whole):
                failed += _clean_batch(batch, pool, args, progress)
        else:
            for job in whole:
                failed += not _clean_job(job, pipeline, args, progress, color, summary)
        for job in streamed:
            failed += not clean_streamed(job, pool, args, progress, summary)
    if summary is not None:
        print(summary.render(), file=sys.stderr)
    if args.tally.replaced:
        print(args.tally.render_replaced(), file=sys.stderr)
    if args.on_error == "skip":
        print(args.tally.render(), file=sys.stderr)
    if args.journal is not None and folder is None and not failed:
        args.journal.path.unlink(missing_ok=True)  # one file, finished: nothing to resume
    return 1 if failed or args.tally.rejected else 0


def _sweep(folder: Path | None, jobs: list[Job]) -> int:
    """Remove the temporary files an interrupted run left (below ``folder``, or of
    the one output file)."""
    if folder is not None:
        return remove_stale_temporaries(folder) if folder.is_dir() else 0
    target = jobs[0].output
    if target is None or not target.parent.is_dir():
        return 0
    return remove_stale_temporaries(target.parent, name=target.name)


def _output_folder(args: argparse.Namespace, jobs: list[Job]) -> Path | None:
    """The folder the outputs are mirrored into, or ``None`` (stdout, or one output file)."""
    if args.output is None:
        return None
    if len(jobs) == 1 and jobs[0].output == Path(args.output):
        return None
    return Path(args.output)


def _run_settings(args: argparse.Namespace, pipeline: Pipeline) -> dict[str, Any]:
    """What decides the output bytes, for the journal's fingerprint."""
    from .. import __version__

    try:
        steps: Any = pipeline.to_config()
    except ValueError:
        steps = repr(pipeline)
    settings = {
        "textwash": __version__,
        "pipeline": steps,
        "text_field": args.text_field,
        "encoding": args.encoding,
        "on_error": args.on_error,
    }
    if getattr(args, "decode_errors", "strict") != "strict":
        settings["decode_errors"] = args.decode_errors
    return settings


def _journal_done(args: argparse.Namespace, job: Job, replaced: int = 0) -> None:
    journal = getattr(args, "journal", None)
    if journal is not None:
        journal.record(job.name, job.path, replaced=replaced)


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


def _load_pipeline(args: argparse.Namespace) -> Pipeline | None:
    from ..presets import get_preset

    if args.pipeline is None:
        return get_preset(args.preset or DEFAULT_PRESET)
    return load_pipeline_file(args.pipeline)


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


def _clean_job(
    job: Job,
    pipeline: Pipeline,
    args: argparse.Namespace,
    progress: Progress,
    color: bool,
    summary: Summary | None = None,
) -> bool:
    """Clean one file; report and return ``False`` if it cannot be read or written,
    or a step failed on one of its documents (without ``--on-error skip``)."""
    size, done = _size(job.path), 0
    try:
        source = read_source(job, args, progress)
        texts: list[str | Failure] = []
        for doc, share in zip(source.documents, _byte_shares(size, source), strict=True):
            try:
                texts.append(_clean_document(job, doc, pipeline, args.explain, color, summary))
            except CleaningError as err:
                texts.append(Failure.caught(err))
            progress.advance(share, documents=1)
            done += share
        source, cleaned = settle_failures(job, source, texts, args, progress)
        _deliver(job, source, cleaned, args.explain)
        _journal_done(args, job, source.replaced)
    except Rejected:
        progress.advance(size - done)
        return True  # reported and counted as a reject
    except NotWritten:
        pass  # reported
    except InputError as exc:
        progress.note(f"{PROG}: error: {exc}")
    except BrokenPipeError:
        raise  # the reader of standard output has gone; main() ends quietly
    except OSError as exc:
        target = job.output or "standard output"
        progress.note(f"{PROG}: error: {target}: cannot write ({exc.strerror or exc})")
    else:
        return True
    progress.advance(size - done)
    return False


_BATCH_BYTES = 8 << 20
_BATCH_FILES = 256


def _batches(jobs: list[Job]) -> Iterator[list[Job]]:
    """Runs of jobs of about ``_BATCH_BYTES`` together, so many small files keep
    every worker busy while memory stays bounded."""
    batch: list[Job] = []
    size = 0
    for job in jobs:
        batch.append(job)
        size += _size(job.path)
        if size >= _BATCH_BYTES or len(batch) >= _BATCH_FILES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _clean_batch(
    batch: list[Job], pool: Workers, args: argparse.Namespace, progress: Progress
) -> int:
    """Clean the documents of several files in the worker pool; return the failures.

    Output is the same as cleaning the files one by one: documents keep their
    order and each file is written when all its documents are back.
    """
    failed = 0
    sources: list[tuple[Job, SourceFile]] = []
    for job in batch:
        try:
            sources.append((job, read_source(job, args, progress)))
        except Rejected:
            progress.advance(_size(job.path))
        except InputError as exc:
            progress.note(f"{PROG}: error: {exc}")
            progress.advance(_size(job.path))
            failed += 1
    texts = (d.text for _, src in sources for d in src.documents)
    cleaned = pool.clean_isolated(texts)
    for job, src in sources:
        size = _size(job.path)
        out = []
        for share in _byte_shares(size, src):
            out.append(next(cleaned))
            progress.advance(share, documents=1)
        try:
            settled, texts_out = settle_failures(job, src, out, args, progress)
            _deliver(job, settled, texts_out, explain=False)
            _journal_done(args, job, src.replaced)
        except Rejected:
            pass  # reported and counted as a reject
        except NotWritten:
            failed += 1
        except BrokenPipeError:
            raise
        except OSError as exc:
            target = job.output or "standard output"
            progress.note(f"{PROG}: error: {target}: cannot write ({exc.strerror or exc})")
            failed += 1
    return failed


def read_source(job: Job, args: argparse.Namespace, progress: Progress) -> SourceFile:
    """Read ``job``'s input with ``--text-field``/``--encoding``; note its encoding on stderr.

    Raises :class:`~textwash.io.InputError` when the file cannot be read.
    """
    on_error = getattr(args, "on_error", "fail")
    source = read_file(
        job.path,
        text_field=args.text_field,
        encoding=args.encoding,
        on_error=on_error,
        decode_errors=getattr(args, "decode_errors", "strict"),
    )
    tally = getattr(args, "tally", None)
    if tally is not None:
        tally.add_replaced(source.replaced)
    if on_error == "skip":
        _write_rejects(job, source, progress)
        if tally is not None:
            tally.add(source)
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
    args: argparse.Namespace,
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
    tally = getattr(args, "tally", None)
    if tally is not None:
        tally.moved(len(failures))
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


def _clean_document(
    job: Job,
    doc: Document,
    pipeline: Pipeline,
    explain: bool,
    color: bool,
    summary: Summary | None = None,
) -> str:
    """The cleaned text of ``doc``; with ``explain``, also print what each step did."""
    if not explain and summary is None:
        return clean_long(pipeline, doc.text)
    result = pipeline.run(doc.text)
    if summary is not None:
        summary.add(result)
    if not explain:
        return result.text
    block = render_document(
        _title(job, doc), doc.text, pipeline.explain(doc.text), result.flags, color=color
    )
    _write_stdout((block + "\n").encode("utf-8"))
    return result.text


def _title(job: Job, doc: Document) -> str:
    """The ``--explain`` header of a document: the file, plus its line or row."""
    if doc.line is None:
        return f"{job.name} row {doc.index}"
    if doc.record is not None:
        return f"{job.name}:{doc.line} (record {doc.index})"
    return job.name


def _deliver(job: Job, source: SourceFile, texts: list[str], explain: bool) -> None:
    """Write the cleaned texts to the job's output, or to standard output."""
    if job.output is not None:
        write_output(job.output, source, texts)
    elif not explain:
        _write_stdout(render_bytes(source, texts))


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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
