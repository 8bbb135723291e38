"""Finding the input files: files named, folders walked, ``--include``/``--exclude``.

>>> import tempfile
>>> root = Path(tempfile.mkdtemp())
>>> for name in ("b.txt", "a.txt", "logo.png", ".hidden", "sub/c.jsonl"):
...     (root / name).parent.mkdir(exist_ok=True)
...     _ = (root / name).write_text("x")
>>> [rel.as_posix() for _, rel in discover([root], select=FileFilter(exclude=("*.png",)))]
['a.txt', 'b.txt', 'sub/c.jsonl']
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath

from .errors import InputError

__all__ = ["FileFilter", "discover"]


@dataclass(frozen=True)
class FileFilter:
    """Which of the files found in a folder are inputs (``--include``, ``--exclude``).

    Patterns are shell globs (``*``, ``?``, ``[...]``; ``*`` also crosses
    ``/``).  A pattern without ``/`` is matched against the name, one with
    ``/`` against the path below the folder that was named (``2023/*.txt``).
    A file is taken when it matches some ``include`` pattern (any file, when
    there is none) and no ``exclude`` pattern; a folder matching an
    ``exclude`` pattern is not entered.  Files named directly are always taken.

    >>> f = FileFilter(include=("*.txt", "*.jsonl"), exclude=("drafts", "*.bak.txt"))
    >>> [f.takes_file(Path(p)) for p in ("a/b.txt", "logo.png", "x.bak.txt")]
    [True, False, False]
    >>> f.takes_folder(Path("2023/drafts")), f.takes_folder(Path("2023"))
    (False, True)
    >>> FileFilter(exclude=("2023/*",)).takes_file(Path("2023/a.txt"))
    False
    """

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    @staticmethod
    def _matches(pattern: str, rel: PurePath) -> bool:
        target = rel.as_posix() if "/" in pattern else rel.name
        return fnmatch.fnmatchcase(target, pattern.rstrip("/"))

    def takes_file(self, rel: PurePath) -> bool:
        """Whether the file at ``rel`` below a named folder is an input."""
        if self.include and not any(self._matches(p, rel) for p in self.include):
            return False
        return not any(self._matches(p, rel) for p in self.exclude)

    def takes_folder(self, rel: PurePath) -> bool:
        """Whether the folder at ``rel`` below a named folder is walked."""
        return not any(self._matches(p, rel) for p in self.exclude)


def discover(
    inputs: Iterable[str | os.PathLike[str]],
    exclude: Iterable[str | os.PathLike[str]] = (),
    *,
    select: FileFilter | None = None,
) -> list[tuple[Path, Path]]:
    """Expand ``inputs`` into ``(file, relative_path)`` pairs, in a deterministic order.

    A file stands for itself, with its bare name as the relative path.  A folder
    is walked recursively in name order; the relative path is the file's path
    below that folder, for mirroring into an output folder.  Hidden files and
    folders (names starting with ``"."``) inside a folder are skipped, as are
    the folders in ``exclude`` (e.g. an output folder inside the input) and
    what ``select`` leaves out (see :class:`FileFilter`).
    Symlinked folders are followed, but never into a folder already visited,
    so symlink loops end.  A missing input is an :class:`InputError`.
    """
    skip = {_identity(Path(p)) for p in exclude if Path(p).is_dir()}
    found: list[tuple[Path, Path]] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            found.extend(_walk(path, Path(), seen=set(), skip=skip, select=select))
        elif path.exists() or path.is_symlink():
            found.append((path, Path(path.name)))
        else:
            raise InputError(path, "no such file or directory")
    return found


def _identity(path: Path) -> tuple[int, int]:
    st = path.stat()
    return (st.st_dev, st.st_ino)


def _walk(
    folder: Path,
    rel: Path,
    seen: set[tuple[int, int]],
    skip: set[tuple[int, int]],
    select: FileFilter | None = None,
) -> Iterator[tuple[Path, Path]]:
    """Files below ``folder`` in name order; ``seen`` stops symlink loops."""
    seen.add(_identity(folder))
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        raise InputError(folder, f"cannot list folder ({exc.strerror})") from None
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path, sub = folder / entry.name, rel / entry.name
        if not entry.is_dir(follow_symlinks=True):
            if select is None or select.takes_file(sub):
                yield path, sub
        elif select is not None and not select.takes_folder(sub):
            continue
        elif (ident := _identity(path)) not in seen and ident not in skip:
            yield from _walk(path, sub, seen, skip, select)
