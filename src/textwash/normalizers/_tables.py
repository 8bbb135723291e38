"""Reading the rule tables: a shipped file in ``textwash/data`` or a user's own."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path


def read_table(path: str | os.PathLike[str] | None, shipped: str) -> tuple[str, str]:
    """``(text, where)`` of the user's ``path``, or of ``textwash/data/<shipped>`` when None.

    ``where`` names the file for error messages; an unreadable user file raises
    ``ValueError`` saying which file and why.
    """
    if path is None:
        return resources.files("textwash").joinpath(f"data/{shipped}").read_text("utf-8"), shipped
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8"), str(p)
    except OSError as exc:
        raise ValueError(f"{p}: cannot read rule file ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"{p}: rule file is not UTF-8 ({exc.reason})") from None
