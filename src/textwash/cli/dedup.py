"""``textwash dedup``: find the passages repeated across input files, and remove them.

Every document of every input becomes a :class:`~textwash.segment.Document`
whose ``doc_id`` says where it came from: the file path for plain text,
``PATH:LINE`` for a JSONL record, ``PATH#ROW`` for a Parquet row.  If any
input cannot be read, every error is reported and nothing is written (exit 1),
because a corpus with a file missing would keep and remove different copies.
:func:`~textwash.dedup.find_duplicates` runs over the whole corpus, streamed:
files are read one at a time as the workers need them, their text is let go
once segmented, and the files that hold copies are read again for the report.
With ``-o``, :func:`~textwash.dedup.deduplicate` needs every text to write it
back, so all inputs are read first.  The results go where the options say:

* ``--report FILE.json``: the JSON duplicate report;
* ``--html FILE.html``: the report as a page to read;
* ``-o FOLDER``: the deduplicated corpus, mirroring the inputs like
  ``textwash clean``, plus ``FOLDER/removed.jsonl`` listing every removed passage
  and the kept text that holds it (nothing found in one place only is removed);
* none of them: the JSON report on standard output.

A summary table (documents, units, clusters by kind, copies, duplicated
characters, seconds per stage) always goes to standard error.  Exit codes are
those of ``textwash clean``: 0 success, 1 an input or output file failed (or a
step failed on a document), 2 usage errors.

A document that a pipeline step (or the segmentation) fails on is reported in
one line, ``FILE:LINE: step NAME failed: MESSAGE``, and left out of the
comparison: no copy is found in it or cut from it.  Like an input that cannot
be read, it means nothing is written, unless ``--on-error skip``: then the
report and outputs are written, and with ``-o`` that document is written back
unchanged (a deduplicator must not lose text; it is not a rejected record).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..dedup import DedupResult, DuplicateReport, Removal
from ..dedup.config import KEEP_POLICIES, DedupConfig
from ..dedup.index import IndexBusy, IndexCorrupt, IndexMismatch
from ..dedup.index_redis import index_target
from ..dedup.prepare import DocumentFailure
from ..engines import add_engine_options
from ..io import (
    ON_ERROR,
    FileFilter,
    InputError,
    SourceFile,
    atomic_write_text,
    discover,
    read_file,
    write_output,
)
from ..io.corpus import check_comparable, locate_doc_id
from ..io.corpus import corpus_documents as io_corpus_documents
from ..segment import UNIT_KINDS, Document
from .common import (
    PROG,
    Job,
    Progress,
    Rejected,
    RunContext,
    StepFailed,
    Tally,
    UsageError,
    _error,
    _size,
    _write_stdout,
    add_debug_option,
    add_input_options,
    add_workers_option,
    file_filter,
    load_pipeline_file,
    plan_jobs,
    progress_enabled,
    read_source,
    replaced_note,
    report_step_failure,
)

if TYPE_CHECKING:
    from tqdm import tqdm

    from ..pipeline import Pipeline

__all__ = [
    "REMOVED_NAME",
    "StageProgress",
    "add_dedup",
    "corpus_documents",
    "plan_dedup_jobs",
    "run_dedup",
]

#: File in the ``-o`` folder that lists every removed passage, one JSON object a line.
REMOVED_NAME = "removed.jsonl"

KEEP_CHOICES = KEEP_POLICIES


# -- parser -----------------------------------------------------------------------


def _fraction(value: str) -> float:
    """Type of ``--threshold`` and ``--containment-threshold``: a number in (0, 1]."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not 0 < number <= 1:  # also rejects nan
        raise argparse.ArgumentTypeError(f"{value} is not between 0 (excluded) and 1")
    return number


def _memory_size(value: str) -> int:
    """Type of ``--memory``: bytes, or a number with K, M or G (powers of 1024).

    >>> _memory_size("512M"), _memory_size("2g"), _memory_size("1048576")
    (536870912, 2147483648, 1048576)
    """
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    text = value.strip().lower().removesuffix("b")
    scale = units.get(text[-1:], 1)
    number = text[:-1] if text[-1:] in units else text
    try:
        size = int(float(number) * scale)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {value!r} (try 512M or 2G)") from None
    if size < 1 << 20:
        raise argparse.ArgumentTypeError(f"{value!r} is too small: give at least 1M")
    return size


def _positive_int(value: str) -> int:
    """Type of ``--ngram`` and ``--window``: a whole number of at least 1."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} is less than 1")
    return number


def add_dedup(sub: Any) -> None:
    """Add ``textwash dedup`` to the subparsers object ``sub``."""
    p = sub.add_parser(
        "dedup",
        help="find passages repeated across text, JSONL or Parquet files",
        description="Find exact, near-duplicate and contained copies of passages across "
        "all inputs; report them, or write the corpus with later copies removed. "
        "See docs/cli.md.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="files or folders to compare")
    p.add_argument(
        "--unit",
        choices=UNIT_KINDS,
        default="paragraph",
        help="what is compared: paragraphs, sentence windows or whole essay bodies "
        "(default: paragraph)",
    )
    p.add_argument(
        "--window",
        type=_positive_int,
        default=1,
        metavar="N",
        help="sentences per unit with --unit sentence (default: 1)",
    )
    p.add_argument(
        "--near-threshold",
        "--threshold",
        dest="near_threshold",
        type=_fraction,
        default=0.8,
        metavar="J",
        help="Jaccard similarity of n-gram shingles for a near duplicate (default: 0.8; "
        "--threshold is the former name)",
    )
    p.add_argument(
        "--lsh-threshold",
        type=_fraction,
        default=None,
        metavar="J",
        help="where the MinHash LSH bands are tuned to propose candidates, which are then "
        "checked against --near-threshold (default: the near threshold minus 0.1, at least 0.3)",
    )
    p.add_argument(
        "--num-perm",
        type=_positive_int,
        default=128,
        metavar="N",
        help="MinHash permutations (default: 128)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=1,
        metavar="N",
        help="seed of the MinHash permutations (default: 1)",
    )
    p.add_argument(
        "--ngram",
        type=_positive_int,
        default=5,
        metavar="N",
        help="tokens per shingle (default: 5)",
    )
    p.add_argument(
        "--keep",
        choices=KEEP_CHOICES,
        default="best",
        help="which copy of a cluster is kept: 'best' has the fewest defects that cleaning "
        "repaired (ASCII punctuation, OCR spaces, hard wraps ...), then the most text; "
        "'first' is the first in input order, 'longest' the longest (default: best)",
    )
    p.add_argument(
        "--remove-numbers",
        action="store_true",
        help="also remove 'numbers' copies: the same wording with other numbers (another "
        "year's statistics, another article); by default they are reported and kept",
    )
    p.add_argument(
        "--no-containment",
        action="store_true",
        help="do not look for passages copied inside longer paragraphs",
    )
    p.add_argument(
        "--containment-threshold",
        type=_fraction,
        default=0.6,
        metavar="C",
        help="share of a passage's shingles that must occur inside a longer paragraph "
        "(default: 0.6)",
    )
    p.add_argument(
        "--pipeline",
        type=Path,
        metavar="FILE.toml",
        help="pipeline that cleans documents before they are segmented "
        "(default: the zh preset without RepeatedLines)",
    )
    add_input_options(p)
    p.add_argument(
        "--on-error",
        choices=ON_ERROR,
        default="fail",
        help="a JSONL line, Parquet row or file that cannot be read, or a document a step "
        "fails on: 'fail' (default) writes nothing; 'skip' leaves it out, reports it and "
        "exits 1 (with -o, what cannot be read is copied into OUTPUT.rejects, a document a "
        "step fails on is written unchanged)",
    )
    p.add_argument(
        "--index",
        type=index_target,
        metavar="FOLDER|URL",
        help="a persistent duplicate index (a folder, or redis://HOST:PORT/DB for one shared "
        "in Redis: pip install 'textwash[redis]'): also report copies of what earlier runs indexed "
        "there (with the file, line and run of the earlier copy), then add this run's units "
        "(made if missing; refused if built with other --ngram, --num-perm, --seed ...)",
    )
    p.add_argument(
        "--run-id",
        metavar="NAME",
        help="the name this run's units get in --index (default: the date and time)",
    )
    p.add_argument(
        "--no-index-update",
        action="store_true",
        help="compare with --index but do not add this run's units to it",
    )
    p.add_argument(
        "--work-dir",
        type=Path,
        metavar="FOLDER",
        help="where the units' text and shingles are kept on disk while the run lasts "
        "(default: a temporary folder, deleted at the end)",
    )
    p.add_argument(
        "--memory",
        type=_memory_size,
        metavar="SIZE",
        help="memory budget of the run's largest working arrays, e.g. 512M or 2G (default: "
        "1G); the containment search spills to --work-dir to stay within a quarter of it",
    )
    p.add_argument("--report", type=Path, metavar="FILE.json", help="write the JSON report")
    p.add_argument("--html", type=Path, metavar="FILE.html", help="write the report as HTML")
    p.add_argument(
        "-o",
        "--output",
        metavar="FOLDER",
        help=f"write the deduplicated corpus into this folder, mirroring the inputs, "
        f"with {REMOVED_NAME} listing every removed passage",
    )
    add_workers_option(p)
    add_engine_options(p)
    add_debug_option(p)
    p.add_argument("--no-progress", action="store_true", help="do not show progress bars")
    p.set_defaults(run=run_dedup, command_parser=p)


# -- run ----------------------------------------------------------------------------


def run_dedup(args: argparse.Namespace) -> int:
    """``textwash dedup``: read every input, find duplicates, write what was asked for."""
    from ..engines.cli import dedup_finder, dedup_remover

    find_duplicates = dedup_finder(args)  # the engine's: local or --engine ray
    deduplicate = dedup_remover(args)
    pipeline: Pipeline | None = None
    if args.pipeline is not None:
        pipeline = load_pipeline_file(args.pipeline)
        if pipeline is None:
            return 2
    if args.html is not None:
        _check_html_available()
    try:
        jobs = plan_dedup_jobs(args.inputs, args.output, select=file_filter(args))
    except InputError as exc:
        _error(str(exc))
        return 1
    _check_targets(jobs, args)
    enabled = not args.no_progress

    if not jobs:
        print(f"{PROG}: no input files found", file=sys.stderr)
    options = _options(args, pipeline)
    failures: list[DocumentFailure] = []
    options["on_error"] = lambda failure: _step_failed(failure, args, failures)
    result: DedupResult | None = None
    if args.output is None:
        # streamed: files are read as the workers need them and read again for the report
        corpus = _StreamedCorpus(jobs, args)
        try:
            with StageProgress(enabled=enabled) as hook:
                report = find_duplicates(
                    corpus, progress=hook, load_text=corpus.load_text, **options
                )
        except (IndexMismatch, IndexCorrupt, IndexBusy) as exc:
            _error(f"--index: {exc}")
            return 2
        except (InputError, ValueError) as exc:  # an input changed between two reads
            _error(str(exc))
            return 1
        if corpus.failed:
            print(
                f"{PROG}: {corpus.failed} input file(s) could not be read; nothing written",
                file=sys.stderr,
            )
            return 1
        if _not_compared(failures, args):
            return 1
        read_seconds = corpus.seconds
        rejected = corpus.rejected
        replaced = corpus.tally
    else:
        # -o writes every file back, deduplicated: the whole corpus is held
        started = time.perf_counter()
        ctx = RunContext(args)
        pairs, failed = _read_all(jobs, ctx, enabled)
        rejected = ctx.tally.rejected
        replaced = ctx.tally
        if failed:
            print(
                f"{PROG}: {failed} input file(s) could not be read; nothing written",
                file=sys.stderr,
            )
            return 1
        read_seconds = time.perf_counter() - started
        docs = [doc for job, source in pairs for doc in corpus_documents(job, source)]
        try:
            with StageProgress(enabled=enabled) as hook:
                result = deduplicate(docs, progress=hook, **options)
                report = result.report
        except (IndexMismatch, IndexCorrupt, IndexBusy) as exc:
            _error(f"--index: {exc}")
            return 2
        if _not_compared(failures, args):
            return 1
    report.stats["seconds"] = {"read": round(read_seconds, 4), **report.stats.get("seconds", {})}

    ok = True
    if result is not None:
        ok &= _write_corpus(pairs, result, Path(args.output))
    if args.report is not None:
        ok &= _write_report(args.report, report)
    if args.html is not None:
        ok &= _write_html(args.html, report)
    if args.output is None and args.report is None and args.html is None:
        _write_stdout((report.to_json() + "\n").encode("utf-8"))
    print(report.summary(), file=sys.stderr)
    if replaced.replaced:
        print(replaced.render_replaced(), file=sys.stderr)
    if rejected:
        print(f"{PROG}: {rejected} record(s) skipped (--on-error skip)", file=sys.stderr)
    return 0 if ok and not rejected and not failures else 1


def _step_failed(
    failure: DocumentFailure, args: argparse.Namespace, failures: list[DocumentFailure]
) -> None:
    """The ``on_error`` of :func:`~textwash.dedup.find_duplicates`: one line on
    stderr naming the file and line (or row), and the failure kept for the end."""
    failures.append(failure)
    name = failure.source or failure.doc_id
    kind, at = locate_doc_id(failure.doc_id, name)
    if kind == "line":
        exc = StepFailed(name, failure.error, line=at)
    elif kind == "row":
        exc = StepFailed(name, failure.error, row=at)
    else:
        exc = StepFailed(name, failure.error, line=failure.line)
    exc.debug = failure.traceback.rstrip()
    skipped = args.on_error == "skip"
    report_step_failure(exc, args, lambda line: print(line, file=sys.stderr), skipped=skipped)


def _not_compared(failures: list[DocumentFailure], args: argparse.Namespace) -> bool:
    """Say how many documents were left out; whether that means nothing is written."""
    if not failures:
        return False
    if args.on_error != "skip":
        print(
            f"{PROG}: {len(failures)} document(s) could not be cleaned; nothing written",
            file=sys.stderr,
        )
        return True
    kept = " (written unchanged with -o)" if args.output is not None else ""
    print(
        f"{PROG}: {len(failures)} document(s) could not be cleaned and were not compared{kept}",
        file=sys.stderr,
    )
    return False


def dedup_config(args: argparse.Namespace) -> DedupConfig:
    """The :class:`~textwash.dedup.config.DedupConfig` the options describe."""
    try:
        return DedupConfig(
            unit=args.unit,
            window=args.window,
            near_threshold=args.near_threshold,
            lsh_threshold=args.lsh_threshold,
            ngram=args.ngram,
            num_perm=args.num_perm,
            seed=args.seed,
            keep=args.keep,
            remove_numbers=args.remove_numbers,
            containment=not args.no_containment,
            containment_threshold=args.containment_threshold,
        )
    except (TypeError, ValueError) as exc:
        raise UsageError(str(exc)) from None


def _options(args: argparse.Namespace, pipeline: Pipeline | None) -> dict[str, Any]:
    """Keyword arguments of :func:`~textwash.dedup.find_duplicates` from the options."""
    options: dict[str, Any] = {
        "config": dedup_config(args),
        "pipeline": pipeline,
        "workers": args.workers,
        "work_dir": args.work_dir,
        "memory": args.memory,
    }
    if args.index is not None:
        options.update(index=args.index, run_id=args.run_id, update_index=not args.no_index_update)
    elif args.run_id is not None or args.no_index_update:
        raise UsageError("--run-id and --no-index-update need --index")
    return options


def _check_html_available() -> None:
    """Fail before the long run if the HTML renderer is missing from this install."""
    from importlib.util import find_spec

    if find_spec("textwash.dedup.html") is None:
        raise UsageError("--html: this textwash has no HTML report renderer (textwash.dedup.html)")


# -- planning ---------------------------------------------------------------------


def plan_dedup_jobs(
    inputs: Sequence[str], output: str | None, *, select: FileFilter | None = None
) -> list[Job]:
    """The input files, each with where its deduplicated copy goes (``None`` without ``-o``).

    With ``output`` the folder layout is mirrored as by ``textwash clean -o
    FOLDER`` (a single input file goes to ``FOLDER/NAME``).  A file named twice
    (directly, or also through a folder) would duplicate itself entirely, so it
    is a :class:`~textwash.cli.main.UsageError`.  ``select`` picks the files
    found in folders (``--include``/``--exclude``).
    """
    if output is None:
        jobs = [Job(path, None) for path, _ in discover(inputs, select=select)]
    else:
        jobs = plan_jobs(inputs, output, folder=True, select=select)
    seen: dict[tuple[int, int], Path] = {}
    for job in jobs:
        try:
            st = job.path.stat()
        except OSError:
            continue  # reported when the file is read
        first = seen.setdefault((st.st_dev, st.st_ino), job.path)
        if first is not job.path:
            if first == job.path:
                raise UsageError(f"{first} is named twice; name each input once")
            raise UsageError(f"{first} and {job.path} are the same file; name each input once")
    return jobs


def _check_targets(jobs: list[Job], args: argparse.Namespace) -> None:
    """No two outputs on one path, and no output over an input; raise :class:`UsageError`."""
    targets: list[tuple[str, Path]] = [
        (f"the output of {job.path}", job.output) for job in jobs if job.output is not None
    ]
    if args.output is not None:
        targets.append(("the list of removed passages", Path(args.output) / REMOVED_NAME))
    if args.report is not None:
        targets.append(("--report", args.report))
    if args.html is not None:
        targets.append(("--html", args.html))
    inputs = {os.path.abspath(job.path): job.path for job in jobs}
    taken: dict[str, str] = {}
    for what, path in targets:
        key = os.path.abspath(path)
        if key in inputs:
            raise UsageError(f"{what} would overwrite the input {inputs[key]}")
        if key in taken:
            raise UsageError(f"{taken[key]} and {what} would both be written to {path}")
        taken[key] = what


# -- reading ----------------------------------------------------------------------


def _read_all(
    jobs: list[Job], ctx: RunContext, enabled: bool
) -> tuple[list[tuple[Job, SourceFile]], int]:
    """Read every input under one progress bar; the sources read and the number that failed."""
    pairs: list[tuple[Job, SourceFile]] = []
    failed = 0
    sizes = [_size(job.path) for job in jobs]
    with Progress(sum(sizes), enabled=enabled, desc="read") as progress:
        for job, size in zip(jobs, sizes, strict=True):
            try:
                source = read_source(job, ctx, progress)
                check_comparable(source)
            except Rejected:  # --on-error skip: reported, copied into its .rejects file
                progress.advance(size)
            except InputError as exc:
                progress.note(f"{PROG}: error: {exc}")
                failed += 1
                progress.advance(size)
            else:
                pairs.append((job, source))
                progress.advance(size, documents=len(source.documents))
    return pairs, failed


class _StreamedCorpus:
    """The documents of every input, read one file at a time as they are consumed.

    A file that cannot be read is reported on stderr and counted in ``failed``
    (the caller then writes nothing); the rest are still read, so every error
    is reported.  :meth:`load_text` reads a document's file again for the report.
    """

    def __init__(self, jobs: list[Job], args: argparse.Namespace) -> None:
        self.jobs = jobs
        self.args = args
        self.failed = 0
        self.rejected = 0
        self.seconds = 0.0
        self.tally = Tally()  # undecodable bytes replaced (--decode-errors replace)
        self._by_name = {job.name: job for job in jobs}
        self._cached: tuple[str, dict[str, str]] | None = None

    def _read(self, job: Job) -> SourceFile:
        source = read_file(
            job.path,
            text_field=self.args.text_field,
            encoding=self.args.encoding,
            on_error=self.args.on_error,
            decode_errors=self.args.decode_errors,
        )
        check_comparable(source)
        return source

    def __iter__(self) -> Iterator[Document]:
        for job in self.jobs:
            started = time.perf_counter()
            try:
                source = self._read(job)
            except InputError as exc:
                _error(str(exc))
                self.failed += 1
                continue
            finally:
                self.seconds += time.perf_counter() - started
            for reject in source.rejects:  # only with --on-error skip
                print(f"{PROG}: skipped: {reject}", file=sys.stderr)
            self.rejected += len(source.rejects)
            if source.encoding == "unknown":
                continue  # rejected whole
            if not getattr(self.args, "quiet", False):
                note = f"{job.name}: {source.encoding}{replaced_note(source.replaced)}"
                print(note, file=sys.stderr)
            self.tally.add_replaced(source.replaced)
            yield from corpus_documents(job, source)

    def load_text(self, doc: Document) -> str:
        """The raw text of ``doc``, read again from its file."""
        name = doc.source or doc.doc_id
        if self._cached is None or self._cached[0] != name:
            job = self._by_name[name]
            try:
                source = self._read(job)
            except InputError as exc:
                raise InputError(job.path, f"changed while it was being read ({exc})") from None
            texts = {d.doc_id: d.text for d in corpus_documents(job, source)}
            self._cached = (name, texts)
        text = self._cached[1].get(doc.doc_id)
        if text is None:
            raise InputError(self._by_name[name].path, f"{doc.doc_id} is gone: the file changed")
        return text


def corpus_documents(job: Job, source: SourceFile) -> list[Document]:
    """The documents of one input file, with ids that name the file and line or row
    (:func:`textwash.io.corpus.corpus_documents`)."""
    return io_corpus_documents(job.name, source)


# -- progress -----------------------------------------------------------------------


#: ``stage of find_duplicates -> (bar label, unit counted)``; other stages are quick.
STAGE_LABELS: dict[str, tuple[str, str]] = {
    "segment": ("clean", "doc"),
    "minhash": ("minhash", "unit"),
    "lsh": ("lsh", "band"),
    "containment": ("containment", "unit"),
    "index": ("index", "unit"),
}


class StageProgress:
    """The ``progress`` hook of :func:`~textwash.dedup.find_duplicates`: a bar per stage.

    Each stage (``segment`` shown as ``clean``, ``lsh``, ``containment``) gets its
    own tqdm bar on stderr, completed and closed when the next stage starts or
    the run ends.  Nothing is drawn unless ``enabled`` and stderr is a terminal.
    """

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = progress_enabled(enabled)
        self.stage: str | None = None
        self.bar: tqdm[Any] | None = None

    def __enter__(self) -> StageProgress:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self._finish(complete=exc_type is None)

    def __call__(self, stage: str, done: int, total: int) -> None:
        """Move the bar of ``stage`` to ``done`` of ``total``."""
        if not self.enabled:
            return
        if stage != self.stage or self.bar is None:
            from tqdm import tqdm

            self._finish(complete=True)
            self.stage = stage
            label, unit = STAGE_LABELS.get(stage, (stage, "it"))
            self.bar = tqdm(
                total=total or None, desc=label, unit=unit, file=sys.stderr, dynamic_ncols=True
            )
        self.bar.update(max(0, done - self.bar.n))

    def _finish(self, *, complete: bool) -> None:
        """Close the current bar; fill it first when its stage ran to the end."""
        if self.bar is None:
            return
        if complete and self.bar.total:
            self.bar.update(max(0, self.bar.total - self.bar.n))
        self.bar.close()
        self.bar = None


# -- writing ------------------------------------------------------------------------


def _cannot_write(path: Path, exc: OSError) -> bool:
    _error(f"{path}: cannot write ({exc.strerror or exc})")
    return False


def _write_corpus(pairs: list[tuple[Job, SourceFile]], result: DedupResult, out: Path) -> bool:
    """Write each deduplicated file and ``out/removed.jsonl``; ``False`` if a write failed."""
    ok = True
    at = 0
    for job, source in pairs:
        n = len(source.documents)
        texts = [d.text for d in result.documents[at : at + n]]
        at += n
        assert job.output is not None
        try:
            write_output(job.output, source, texts)
        except OSError as exc:
            ok = _cannot_write(job.output, exc)
    removed_path = out / REMOVED_NAME
    try:
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(removed_path, _removed_jsonl(result.removed))
    except OSError as exc:
        ok = _cannot_write(removed_path, exc)
    return ok


def _removed_jsonl(removed: list[Removal]) -> str:
    """One JSON object per :class:`~textwash.dedup.Removal`, in corpus order."""
    return "".join(json.dumps(asdict(r), ensure_ascii=False) + "\n" for r in removed)


def _write_report(path: Path, report: DuplicateReport) -> bool:
    """Write the JSON report to ``path`` (atomically); ``False`` if that failed."""
    return _write_with(path, report.to_json)


def _write_html(path: Path, report: DuplicateReport) -> bool:
    """Write the HTML report to ``path`` (atomically); ``False`` if that failed."""
    return _write_with(path, report.to_html)


def _write_with(path: Path, write: Callable[[Path], object]) -> bool:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path)
    except OSError as exc:
        return _cannot_write(path, exc)
    return True
