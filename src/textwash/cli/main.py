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
import contextlib
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..engines import add_engine_options
from ..engines.cli import check_clean_engine, clean_pool
from ..errors import CleaningError
from ..io import ON_ERROR, InputError, SourceFile, render_bytes, write_output
from ..io.writers import remove_stale_temporaries
from ..parallel import Failure, Workers
from ..presets import PRESET_NAMES, get_preset
from ..windows import clean_long
from .common import (
    PROG,
    Job,
    NotWritten,
    Progress,
    Rejected,
    RunContext,
    StepFailed,
    Summary,
    Tally,
    UsageError,
    _byte_shares,
    _error,
    _size,
    _write_stdout,
    add_console_options,
    add_debug_option,
    add_input_options,
    add_workers_option,
    file_filter,
    load_pipeline_file,
    plan_jobs,
    progress_enabled,
    read_source,
    settle_failures,
)
from .completion import SHELLS, script
from .dedup import add_dedup
from .journal import Journal
from .render import COLOR_MODES, render_document, use_color
from .streamed import clean_streamed, streams

if TYPE_CHECKING:
    from ..io import Document
    from ..pipeline import Pipeline

__all__ = [  # the shared pieces, from .common, are still importable here
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


DEFAULT_PRESET = "zh"


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


def _add_clean(sub: Any) -> None:
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
    p.add_argument(
        "--ray-files",
        choices=("workers", "driver"),
        default="workers",
        help="with --engine ray and -o: where the files are read and written: 'workers' "
        "(each task reads its files and writes their outputs; every node must see the "
        "inputs and -o, as on a shared filesystem) or 'driver' (this process reads and "
        "writes every file, the workers only clean; default: workers)",
    )
    add_debug_option(p)
    p.add_argument("--no-progress", action="store_true", help="do not show a progress bar")
    p.add_argument(
        "--color",
        choices=COLOR_MODES,
        default="auto",
        help="colour the --explain diff (default: auto, on a terminal)",
    )
    p.set_defaults(run=run_clean, command_parser=p)


def _add_completion(sub: Any) -> None:
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
    _write_stdout(script(args.root_parser, args.shell).encode("utf-8"))
    return 0


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


COMMANDS: dict[str, Callable[[Any], None]] = {
    "clean": _add_clean,
    "dedup": add_dedup,
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


def run_clean(args: argparse.Namespace) -> int:
    """``textwash clean``: clean every input, write mirrored outputs, report problems."""
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
    ctx = RunContext(args)
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
            ctx.journal = journal
        except OSError as exc:
            if args.resume or folder is not None:
                _error(f"{journal.path}: cannot write ({exc.strerror or exc})")
                return 1
            # one output file: the write itself will say why it cannot be done
    color = use_color(args.color, sys.stdout)
    failed = 0
    total = sum(_size(job.path) for job in jobs)
    summary = Summary() if args.summary else None
    on_ray = getattr(args, "engine", "local") == "ray"
    parallel = (args.workers > 1 or on_ray) and not args.explain and summary is None
    streamed = [job for job in jobs if streams(job, args)]
    whole = [job for job in jobs if job not in streamed]
    with (
        Progress(total, enabled=not (args.no_progress or args.explain)) as progress,
        clean_pool(args, pipeline, args.workers if parallel else 1) as pool,
    ):
        if parallel and on_ray and _files_on_workers(args, whole):
            failed += _clean_batches_on_workers(list(_batches(whole)), pool, ctx, progress)
        elif parallel:
            for batch in _batches(whole):
                failed += _clean_batch(batch, pool, ctx, progress)
        else:
            for job in whole:
                failed += not _clean_job(job, pipeline, ctx, progress, color, summary)
        for job in streamed:
            failed += not clean_streamed(job, pool, ctx, progress, summary)
    if summary is not None:
        print(summary.render(), file=sys.stderr)
    if ctx.tally.replaced:
        print(ctx.tally.render_replaced(), file=sys.stderr)
    if args.on_error == "skip":
        print(ctx.tally.render(), file=sys.stderr)
    if ctx.journal is not None and folder is None and not failed:
        ctx.journal.path.unlink(missing_ok=True)  # one file, finished: nothing to resume
    return 1 if failed or ctx.tally.rejected else 0


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


def _load_pipeline(args: argparse.Namespace) -> Pipeline | None:
    if args.pipeline is None:
        return get_preset(args.preset or DEFAULT_PRESET)
    return load_pipeline_file(args.pipeline)


def _clean_job(
    job: Job,
    pipeline: Pipeline,
    ctx: RunContext,
    progress: Progress,
    color: bool,
    summary: Summary | None = None,
) -> bool:
    """Clean one file; report and return ``False`` if it cannot be read or written,
    or a step failed on one of its documents (without ``--on-error skip``)."""
    size, done = _size(job.path), 0
    try:
        source = read_source(job, ctx, progress)
        texts: list[str | Failure] = []
        for doc, share in zip(source.documents, _byte_shares(size, source), strict=True):
            try:
                texts.append(_clean_document(job, doc, pipeline, ctx.args.explain, color, summary))
            except CleaningError as err:
                texts.append(Failure.caught(err))
            progress.advance(share, documents=1)
            done += share
        source, cleaned = settle_failures(job, source, texts, ctx, progress)
        _deliver(job, source, cleaned, ctx.args.explain)
        ctx.journal_done(job, source.replaced)
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
    batch: list[Job],
    pool: Workers,
    ctx: RunContext,
    progress: Progress,
    finished: Callable[[Job, int], None] | None = None,
) -> int:
    """Clean the documents of several files in the worker pool; return the failures.

    Output is the same as cleaning the files one by one: documents keep their
    order and each file is written when all its documents are back; then
    ``finished(job, replaced)`` is called (default: the run journal notes it).
    """
    finished = finished or ctx.journal_done
    failed = 0
    sources: list[tuple[Job, SourceFile]] = []
    for job in batch:
        try:
            sources.append((job, read_source(job, ctx, progress)))
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
            settled, texts_out = settle_failures(job, src, out, ctx, progress)
            _deliver(job, settled, texts_out, explain=False)
            finished(job, src.replaced)
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


def _files_on_workers(args: argparse.Namespace, jobs: list[Job]) -> bool:
    """Whether ``clean --engine ray`` reads and writes ``jobs``' files on the workers:
    with ``--ray-files workers`` (the default) when every output is a file."""
    wanted = getattr(args, "ray_files", "workers") == "workers"
    return wanted and all(job.output is not None for job in jobs)


@dataclass
class FilesCleaned:
    """What a worker sends back for a batch of files it read, cleaned and wrote
    (:func:`clean_files_task`): the lines to print on stderr, in order; the
    counts to add to the run's :class:`~textwash.cli.common.Tally`; the files
    written (their place in the batch, and the bytes replaced in each, for the
    journal); the documents cleaned and the files that failed."""

    notes: list[str] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)
    written: list[tuple[int, int]] = field(default_factory=list)
    documents: int = 0
    failed: int = 0


class _Notes(Progress):
    """A :class:`~textwash.cli.common.Progress` for a worker: it keeps the lines
    to print (the driver prints them) and counts the documents."""

    def __init__(self) -> None:  # no bar: nothing is drawn on a worker
        self.documents = 0
        self.notes: list[str] = []

    def __exit__(self, *exc: object) -> None:
        pass

    def advance(self, nbytes: int, documents: int = 0) -> None:
        self.documents += documents

    def note(self, message: str) -> None:
        self.notes.append(message)


def clean_files_task(task: tuple[list[Job], argparse.Namespace]) -> FilesCleaned:
    """Run on a Ray worker: :func:`_clean_batch` of a batch of files, in this process
    and with this worker's pipeline: the files are read, cleaned and written here
    (atomically, by the local engine's writers), and what the driver must print
    and count comes back."""
    from ..parallel import current_pipeline

    jobs, args = task
    ctx = RunContext(args)
    notes = _Notes()
    done = FilesCleaned(tally=ctx.tally)
    place = {id(job): k for k, job in enumerate(jobs)}
    with Workers(current_pipeline(), 1) as here:
        done.failed = _clean_batch(
            jobs, here, ctx, notes, lambda job, n: done.written.append((place[id(job)], n))
        )
    done.notes, done.documents = notes.notes, notes.documents
    return done


def _visible(path: Path) -> bool:
    """Whether ``path`` exists on this machine (the driver's)."""
    return path.exists()


def _plain_args(args: argparse.Namespace) -> argparse.Namespace:
    """``args`` with only the values that can be sent to a worker (the parsed
    options; not the functions and parsers argparse and the subcommands keep)."""
    plain = argparse.Namespace()
    for name, value in vars(args).items():
        if isinstance(value, str | int | float | bool | Path | list | tuple | type(None)):
            setattr(plain, name, value)
    return plain


def _clean_batches_on_workers(
    batches: list[list[Job]], pool: Workers, ctx: RunContext, progress: Progress
) -> int:
    """``clean --engine ray --ray-files workers``: each batch of files is one task
    (:func:`clean_files_task`) that reads, cleans and writes them on a worker;
    the driver prints each batch's lines, counts, journals and advances the bar
    as the batches come back, in order.  Returns the files that failed."""
    failed = 0
    args = _plain_args(ctx.args)
    tasks = [(batch, args) for batch in batches]
    for batch, done in zip(batches, pool.map(clean_files_task, tasks, chunk=1), strict=True):
        for line in done.notes:
            progress.note(line)
        ctx.tally.merge(done.tally)
        for k, replaced in done.written:
            job = batch[k]
            assert job.output is not None
            if not _visible(job.output):  # written on a node whose disk this one lacks
                progress.note(
                    f"{PROG}: error: {job.output}: written by a Ray worker but not found "
                    "here: with --ray-files workers the inputs and -o must be on a "
                    "filesystem every node sees (or use --ray-files driver)"
                )
                failed += 1
                continue
            ctx.journal_done(job, replaced)
        progress.advance(sum(_size(job.path) for job in batch), documents=done.documents)
        failed += done.failed
    return failed


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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
