"""The run journal behind ``textwash clean --resume``.

A run that writes into an output folder keeps ``OUT/.textwash-journal.jsonl``:
a first line naming what the run does (a fingerprint of the pipeline and the
options that change output) and then one line per input file whose output is
complete, appended after that output was renamed into place and synced.  An
interrupted run (Ctrl-C, a kill, a crash) therefore leaves a journal that lists
only finished files, and ``--resume`` skips exactly those whose input has not
changed since, so the resumed run ends with the same bytes as an uninterrupted
one.  A torn last line (the kill came mid-append) is ignored.  The file is
hidden, so a later run that reads the output folder does not take it as input.

A large file is written over a long time (in windows, or in batches of JSONL
records), so it also gets *checkpoint* lines: how far its input was read and
how many bytes of its output (kept in a hidden ``.NAME.partial`` file) and
rejects were then synced, with whatever the cleaner needs to go on from
there.  ``--resume`` continues such a file from its last checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

__all__ = ["JOURNAL_NAME", "Journal", "fingerprint"]

JOURNAL_NAME = ".textwash-journal.jsonl"
_VERSION = 1


def fingerprint(settings: dict[str, Any]) -> str:
    """A short digest of everything that decides the output bytes.

    >>> fingerprint({"a": 1, "b": [2]}) == fingerprint({"b": [2], "a": 1})
    True
    """
    blob = json.dumps(settings, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def _stamp(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


class Journal:
    """Which inputs of a run into ``folder`` are done (see the module docs)."""

    def __init__(self, folder: Path, settings: dict[str, Any], for_file: str | None = None) -> None:
        # a run writing one file keeps its journal beside it: .NAME.textwash-journal.jsonl
        self.path = folder / (JOURNAL_NAME if for_file is None else f".{for_file}{JOURNAL_NAME}")
        self.fingerprint = fingerprint(settings)
        self.done: dict[str, list[int]] = {}
        self.partial: dict[str, tuple[list[int], dict[str, Any]]] = {}

    def load(self) -> str | None:
        """Read an earlier run's journal; return why it cannot be resumed, or ``None``."""
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return None  # nothing to resume: every file is done now
        except OSError as exc:
            return f"{self.path}: cannot read ({exc.strerror or exc})"
        entries = []
        for line in lines:
            try:
                entries.append(json.loads(line))
            except json.JSONDecodeError:
                break  # a torn last line: that file was not recorded as done
        if not entries or entries[0].get("journal") != _VERSION:
            return f"{self.path}: not a textwash journal"
        if entries[0].get("fingerprint") != self.fingerprint:
            return (
                f"{self.path}: the earlier run used another pipeline or other options; "
                "run without --resume to start again"
            )
        for entry in entries[1:]:
            if "checkpoint" in entry:
                self.partial[entry["input"]] = (entry["stamp"], entry["checkpoint"])
            else:
                self.done[entry["input"]] = entry["stamp"]
                self.partial.pop(entry["input"], None)
        return None

    def resume_point(self, name: str, path: Path) -> dict[str, Any] | None:
        """The last checkpoint of ``name`` if it was taken on this very input, else ``None``."""
        found = self.partial.get(name)
        if found is None:
            return None
        try:
            return found[1] if _stamp(path) == found[0] else None
        except OSError:
            return None

    def checkpoint(self, name: str, path: Path, state: dict[str, Any]) -> None:
        """Note how far ``name`` got: ``state`` after its output was synced (append, sync)."""
        try:
            stamp = _stamp(path)
        except OSError:
            return
        self.partial[name] = (stamp, state)
        self._append({"input": name, "stamp": stamp, "checkpoint": state})

    def is_done(self, name: str, path: Path, output: Path) -> bool:
        """Whether ``name`` was finished earlier, from this very input, and its output is there."""
        stamp = self.done.get(name)
        if stamp is None or not output.exists():
            return False
        try:
            return _stamp(path) == stamp
        except OSError:
            return False

    def start(self) -> None:
        """Begin the journal of this run (keeping the entries of a resumed one)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        head = {"journal": _VERSION, "fingerprint": self.fingerprint}
        lines = [json.dumps(head)]
        lines += [json.dumps({"input": k, "stamp": v}) for k, v in self.done.items()]
        lines += [
            json.dumps({"input": k, "stamp": stamp, "checkpoint": state})
            for k, (stamp, state) in self.partial.items()
        ]
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def record(self, name: str, path: Path, *, replaced: int = 0) -> None:
        """Note that the output of ``name`` is complete (append, then sync).

        ``replaced`` is how many undecodable byte sequences of the input became
        U+FFFD (``--decode-errors replace``); the entry says so when there were any.
        """
        try:
            stamp = _stamp(path)
        except OSError:
            return  # the input vanished: it will simply be done again
        self.done[name] = stamp
        self.partial.pop(name, None)
        entry: dict[str, Any] = {"input": name, "stamp": stamp}
        if replaced:
            entry["replaced"] = replaced
        self._append(entry)

    def _append(self, entry: dict[str, Any]) -> None:
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
            f.flush()
            os.fsync(f.fileno())
