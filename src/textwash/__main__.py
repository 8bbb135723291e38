"""``python -m textwash``: the ``textwash`` command (see :mod:`textwash.cli.main`)."""

from __future__ import annotations

import sys

from .cli.main import main

if __name__ == "__main__":
    sys.exit(main())
