"""The ``textwash`` command line: ``textwash clean`` and ``textwash dedup``.

The entry point is :func:`textwash.cli.main.main`; see ``docs/cli.md``.
"""

from __future__ import annotations

__all__: list[str] = []
