"""``textwash clean`` on one large file: read, cleaned and written as a stream.

A plain-text file over :data:`STREAM_BYTES` is read a megabyte at a time and
cleaned in windows (:mod:`textwash.windows`); a JSONL file over it is read a
line at a time and cleaned in batches of records; a Parquet file, a batch of
rows at a time.  Memory does not grow with the file, and the output goes to a
hidden ``.NAME.partial`` file that is renamed into place at the end.  After
every window or batch of text or JSONL the run journal gets a checkpoint:
``--resume`` after a kill goes on from the last one and ends with the bytes an
uninterrupted run writes (a Parquet file is done again).

A step failing on a window of a plain-text file fails the file, reported with
the line it failed on (with ``--on-error skip`` the file goes whole into its
rejects file, as a small one would); a step failing on a JSONL record or a
Parquet row is handled like a record that cannot be read.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import CleaningError
from ..io import InputError, Reject, detect_format
from ..io.jsonl import jsonl_batches, jsonl_encoding
from ..io.records import Document
from ..io.stream import HEAD, open_text
from ..io.writers import PartialFile, jsonl_line, with_text_column
from ..parallel import PlacedWindows, Workers, clean_window_isolated
from ..windows import Resume
from .common import (
    PROG,
    Job,
    Progress,
    RunContext,
    StepFailed,
    Summary,
    _size,
    _write_stdout,
    copy_rejected_file,
    debug_text,
    line_of,
    plural,
    rejects_path,
    report_step_failure,
)

__all__ = ["STREAM_BYTES", "clean_streamed", "streams"]

#: Plain-text and JSONL files larger than this are cleaned as a stream.
STREAM_BYTES = 16 << 20

#: Input bytes of JSONL records cleaned and written together.
JSONL_BATCH_BYTES = 4 << 20

#: One step of a stream: output bytes, rejected bytes, and the state to go on
#: from after them (``None``: nothing after them, the stream is done).
_Step = tuple[bytes, bytes, dict[str, Any] | None]


def streams(job: Job, args: argparse.Namespace) -> bool:
    """Whether ``job`` is cleaned as a stream: a large plain-text or JSONL file.

    Parquet is read a batch of rows at a time too.  Not with ``--explain``
    (which prints every edit anyway), nor for JSONL and Parquet with
    ``--summary`` or without ``-o``, nor for JSONL in UTF-16/32 (whose lines
    cannot be cut in the bytes).
    """
    if args.explain or _size(job.path) <= STREAM_BYTES:
        return False
    fmt = detect_format(job.path)
    if fmt == "text":
        return True
    if args.summary or job.output is None:
        return False
    if fmt == "parquet":
        return True
    if fmt != "jsonl":
        return False
    try:
        with open(job.path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return False  # reported when it is read
    return not (head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in head)


def clean_streamed(
    job: Job,
    pool: Workers,
    ctx: RunContext,
    progress: Progress,
    summary: Summary | None,
) -> bool:
    """Clean one large file as a stream; report and return ``False`` if it fails."""
    args = ctx.args
    assert pool.pipeline is not None
    fmt = detect_format(job.path)
    if fmt == "parquet":
        return _clean_parquet(job, pool, ctx, progress)
    journal = ctx.journal
    skip = getattr(args, "on_error", "fail") == "skip"
    resume = None
    if journal is not None and job.output is not None and args.resume:
        resume = _usable(journal.resume_point(job.name, job.path), job, progress)
    size, done = _size(job.path), 0
    windowed = PlacedWindows(pool.pipeline)
    out = rejects = None
    replaced = [0]  # undecodable byte sequences replaced, counted by the steps
    try:
        if fmt == "jsonl":
            steps = _jsonl_steps(job, pool, ctx, progress, resume, replaced)
        else:
            steps = _text_steps(job, pool, windowed, ctx, progress, resume, replaced)
        if job.output is not None:
            job.output.parent.mkdir(parents=True, exist_ok=True)
            out = PartialFile(job.output, resume["out"] if resume else None)
            if skip and resume and resume.get("rejects"):
                rejects = PartialFile(rejects_path(job), resume["rejects"])
        if resume:
            progress.note(
                f"{job.name}: going on from its last checkpoint "
                f"({resume['out']} bytes of output kept)"
            )
        for data, rejected, state in steps:
            if rejected and rejects is None:
                rejects = PartialFile(rejects_path(job))
            if rejects is not None:
                rejects.write(rejected)
            if out is None:
                _write_stdout(data)
            else:
                out.write(data)
                if journal is not None and state is not None:
                    state["out"] = out.checkpoint()
                    state["rejects"] = rejects.checkpoint() if rejects is not None else 0
                    journal.checkpoint(job.name, job.path, state)
            if state is not None:
                progress.advance(state["in"] - done)
                done = state["in"]
        _commit(out, rejects, job, skip)
    except InputError as exc:
        _discard(out, rejects)
        progress.advance(size - done)
        return _input_failed(exc, job, ctx, progress)
    except CleaningError as err:  # a step failed on a window of a plain-text file
        _discard(out, rejects)
        progress.advance(size - done)
        line = _line_at(job.path, args.encoding, err.position)
        return _input_failed(
            StepFailed(job.path, err, line=line, debug=debug_text(err)), job, ctx, progress
        )
    except BrokenPipeError:
        raise
    except OSError as exc:
        _discard(out, rejects)
        progress.advance(size - done)
        target = job.output or "standard output"
        progress.note(f"{PROG}: error: {target}: cannot write ({exc.strerror or exc})")
        return False
    except BaseException:  # Ctrl-C, a kill: keep the partial files for --resume
        for f in (out, rejects):
            if f is not None:
                f.close()
        raise
    progress.advance(size - done)
    if windowed.disagreements or windowed.conflicts:
        progress.note(
            f"{PROG}: note: {job.name}: at {windowed.disagreements + windowed.conflicts} of "
            f"{windowed.windows - 1} window seam(s) the windows cleaned the text differently; "
            "cleaning the file whole may give other bytes there"
        )
    if summary is not None:
        summary.add_counts(windowed.pipeline, windowed.step_counts)
    if replaced[0]:
        progress.note(
            f"{job.name}: {plural(replaced[0], 'undecodable byte sequence')} replaced by U+FFFD"
        )
        ctx.tally.add_replaced(replaced[0])
    if journal is not None:
        journal.record(job.name, job.path, replaced=replaced[0])
    return True


def _usable(resume: dict[str, Any] | None, job: Job, progress: Progress) -> dict[str, Any] | None:
    """``resume`` if the partial files it counts on are there and long enough."""
    if resume is None or job.output is None:
        return None
    wanted = [(job.output, resume.get("out", 0)), (rejects_path(job), resume.get("rejects", 0))]
    for path, size in wanted:
        partial = PartialFile.partial_path(path)
        if size and (not partial.exists() or partial.stat().st_size < size):
            progress.note(f"{job.name}: {partial} is missing or short; starting the file again")
            return None
    return resume


def _commit(out: PartialFile | None, rejects: PartialFile | None, job: Job, skip: bool) -> None:
    """Move the finished output and rejects into place (a stale rejects file goes)."""
    if out is not None:
        out.commit()
    if rejects is not None:
        rejects.commit()
    elif skip:
        rejects_path(job).unlink(missing_ok=True)


def _input_failed(exc: InputError, job: Job, ctx: RunContext, progress: Progress) -> bool:
    """Report an input that cannot be read; with ``--on-error skip`` it is rejected whole.

    Returns whether the run may count the file as handled.
    """
    args = ctx.args
    skip = getattr(args, "on_error", "fail") == "skip"
    if isinstance(exc, StepFailed):
        report_step_failure(exc, args, progress.note, skipped=skip)
    else:
        progress.note(f"{PROG}: {'skipped' if skip else 'error'}: {exc}")
    if not skip:
        return False
    copy_rejected_file(job)
    ctx.tally.rejected += 1
    return True


def _discard(*files: PartialFile | None) -> None:
    for f in files:
        if f is not None:
            f.discard()


def _line_at(path: Path, encoding: str | None, position: int | None) -> int | None:
    """The 1-based line of character ``position`` of a plain-text file, read again
    as a stream (only when a step failed there); ``None`` if it cannot be told."""
    if position is None:
        return None
    seen = lines = 0
    try:
        for piece in open_text(path, encoding):
            if seen + len(piece) > position:
                return lines + (line_of(piece, position - seen) or 1)
            seen += len(piece)
            lines += piece.count("\n")
    except InputError:
        return None
    return None


# -- plain text, in windows -----------------------------------------------------------


def _text_steps(
    job: Job,
    pool: Workers,
    windowed: PlacedWindows,
    ctx: RunContext,
    progress: Progress,
    resume: dict[str, Any] | None,
    replaced: list[int],
) -> Iterator[_Step]:
    """The cleaned text of a plain-text file, a window at a time; ``replaced[0]``
    counts the undecodable byte sequences replaced (``--decode-errors replace``)."""
    args = ctx.args
    stream = open_text(job.path, args.encoding, errors=getattr(args, "decode_errors", "strict"))
    progress.note(f"{job.name}: {stream.encoding} (cleaned in windows)")
    state = Resume.from_dict(resume["windows"]) if resume else None
    cleaned = windowed.clean(
        stream, lambda jobs: windowed.located(pool.map(clean_window_isolated, jobs, chunk=1)), state
    )
    for text in cleaned:
        after = windowed.state
        checkpoint = {"in": stream.done, "windows": after.to_dict()} if after else None
        replaced[0] = stream.replaced
        yield text.encode("utf-8"), b"", checkpoint
    replaced[0] = stream.replaced
    if getattr(args, "on_error", "fail") == "skip":
        ctx.tally.read += 1


# -- JSONL, in batches of records -------------------------------------------------------


def _jsonl_steps(
    job: Job,
    pool: Workers,
    ctx: RunContext,
    progress: Progress,
    resume: dict[str, Any] | None,
    replaced: list[int],
) -> Iterator[_Step]:
    """The cleaned lines of a JSONL file, a batch of records at a time.

    Line for line what the whole-file reader and writer give: blank lines and
    (with ``--on-error skip``) rejected lines come out as empty lines, rejected
    lines go verbatim to the rejects file.  The encoding is decided on the first
    megabyte.  ``replaced[0]`` counts the undecodable byte sequences replaced
    (``--decode-errors replace``).
    """
    args = ctx.args
    skip = getattr(args, "on_error", "fail") == "skip"
    errors = getattr(args, "decode_errors", "strict")
    path = job.path
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise InputError(path, f"cannot read ({exc.strerror or exc})") from None
    with f:
        head = f.read(HEAD)
        partial = len(head) == HEAD
        encoding = jsonl_encoding(
            head, path, args.encoding, skip=skip, partial=partial, errors=errors
        )
        progress.note(f"{job.name}: {encoding} (cleaned in batches)")
        batches = jsonl_batches(
            f,
            path,
            encoding,
            args.text_field,
            skip=skip,
            errors=errors,
            batch_bytes=JSONL_BATCH_BYTES,
            state=resume,
        )
        for batch in batches:
            replaced[0] += batch.replaced
            docs = [t for t, _ in batch.lines if isinstance(t, Document)]
            for taken, _ in batch.lines:
                if isinstance(taken, Reject):
                    progress.note(f"{PROG}: skipped: {taken}")
                    if skip:
                        ctx.tally.rejected += 1
            if skip:
                ctx.tally.read += len(docs)
            cleaned = pool.clean_isolated(d.text for d in docs)
            out, rejected = [], []
            for taken, body in batch.lines:
                if not isinstance(taken, Document):  # blank, or rejected when read
                    out.append("\n")
                    if taken is not None:
                        rejected.append(taken.raw + b"\n")
                    continue
                text = next(cleaned)
                if isinstance(text, str):
                    out.append(jsonl_line(taken, args.text_field, text) + "\n")
                    continue
                failed = StepFailed(
                    path, text.error, line=taken.line, record=taken.index, debug=text.traceback
                )
                if not skip:
                    raise failed
                report_step_failure(failed, args, progress.note, skipped=True)
                ctx.tally.moved(1)
                out.append("\n")
                rejected.append(body + b"\n")
            yield "".join(out).encode("utf-8"), b"".join(rejected), dict(batch.state)


# -- Parquet, in batches of rows ---------------------------------------------------------


def _clean_parquet(job: Job, pool: Workers, ctx: RunContext, progress: Progress) -> bool:
    """Clean a large Parquet file a batch of rows at a time into a new Parquet file.

    Same schema, same rows (rows whose text is null go to the rejects file with
    ``--on-error skip``), written batch by batch with one row group each; a
    killed run does the file again (a Parquet file cannot be continued).
    """
    from ..io.parquet import ParquetBatches

    assert job.output is not None
    args = ctx.args
    skip = getattr(args, "on_error", "fail") == "skip"
    path, field_name = job.path, args.text_field
    size = _size(path)
    out = rejects = writer = None
    try:
        batches = ParquetBatches(path, field_name, JSONL_BATCH_BYTES)
        rows = max(1, batches.num_rows)
        progress.note(f"{job.name}: parquet (cleaned in batches)")
        job.output.parent.mkdir(parents=True, exist_ok=True)
        out = PartialFile(job.output)
        import pyarrow as pa  # ParquetBatches imported them
        import pyarrow.parquet as pq

        writer = pq.ParquetWriter(out.file, batches.schema)
        for batch in batches:
            table, dropped = batch.table, list(batch.dropped)
            if dropped and not skip:
                raise InputError(path, dropped[0].cause, record=dropped[0].record)
            for reject in dropped:
                progress.note(f"{PROG}: skipped: {reject}")
            ctx.tally.rejected += len(dropped)
            results = list(pool.clean_isolated(table.column(field_name).to_pylist()))
            if skip:
                ctx.tally.read += len(results)
            keep = []
            for k, (row, text) in enumerate(zip(batch.rows, results, strict=True)):
                if isinstance(text, str):
                    keep.append(k)
                    continue
                failed = StepFailed(path, text.error, row=row, debug=text.traceback)
                if not skip:
                    raise failed
                report_step_failure(failed, args, progress.note, skipped=True)
                ctx.tally.moved(1)
                record = table.slice(k, 1).to_pylist()[0]
                raw = json.dumps(record, ensure_ascii=False, default=str).encode("utf-8")
                dropped.append(Reject(path, None, row, raw, failed.cause))
            if dropped and rejects is None:
                rejects = PartialFile(rejects_path(job))
            for reject in sorted(dropped, key=lambda r: r.record or 0):
                assert rejects is not None
                rejects.write(reject.raw + b"\n")
            cleaned = [t for t in results if isinstance(t, str)]
            if len(keep) < len(results):
                table = table.take(pa.array(keep, type=pa.int64()))
            writer.write_table(with_text_column(table, field_name, cleaned))
            progress.advance(size * batch.size // rows)
        writer.close()
        writer = None
        _commit(out, rejects, job, skip)
    except InputError as exc:
        _close_writer(writer)
        _discard(out, rejects)
        return _input_failed(exc, job, ctx, progress)
    except OSError as exc:
        _close_writer(writer)
        _discard(out, rejects)
        progress.note(f"{PROG}: error: {job.output}: cannot write ({exc.strerror or exc})")
        return False
    journal = ctx.journal
    if journal is not None:
        journal.record(job.name, job.path)
    return True


def _close_writer(writer: Any) -> None:
    if writer is not None:
        with contextlib.suppress(Exception):
            writer.close()
