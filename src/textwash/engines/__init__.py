"""Where the CPU-bound work runs: this machine's process pool, or a Ray cluster.

``local`` (the default) is :class:`textwash.parallel.Workers`; ``ray`` is
:mod:`textwash.engines.ray`, which needs the optional extra
(``pip install 'textwash[ray]'``).  Nothing here imports Ray: it is imported
only when the Ray engine is used, so without the extra everything else works.

>>> ENGINES
('local', 'ray')
>>> import argparse
>>> p = argparse.ArgumentParser()
>>> add_engine_options(p)
>>> p.parse_args(["--engine", "ray"]).engine, p.parse_args([]).ray_address
('ray', None)
"""

from __future__ import annotations

import argparse
from importlib.util import find_spec

__all__ = [
    "ENGINES",
    "RAY_MISSING",
    "EngineUnavailable",
    "add_engine_options",
    "ray_available",
    "require_ray",
]

#: The engines ``--engine`` accepts.
ENGINES = ("local", "ray")

#: What to tell a user who asks for the Ray engine without Ray installed.
RAY_MISSING = "--engine ray needs Ray, which is not installed: pip install 'textwash[ray]'"


class EngineUnavailable(RuntimeError):
    """The engine asked for cannot run here (its optional extra is not installed)."""


def ray_available() -> bool:
    """Whether Ray Data can be imported (without importing it)."""
    try:
        return find_spec("ray") is not None and find_spec("ray.data") is not None
    except (ImportError, ValueError):
        return False


def require_ray() -> None:
    """Raise :class:`EngineUnavailable` (saying what to install) if Ray is missing."""
    if not ray_available():
        raise EngineUnavailable(RAY_MISSING)


def add_engine_options(p: argparse.ArgumentParser) -> None:
    """``--engine local|ray`` and ``--ray-address``, shared by ``clean`` and ``dedup``."""
    p.add_argument(
        "--engine",
        choices=ENGINES,
        default="local",
        help="where the work runs: 'local' (this machine's worker processes) or 'ray' "
        "(Ray Data; pip install 'textwash[ray]'); the output is the same (default: local)",
    )
    p.add_argument(
        "--ray-address",
        metavar="ADDR",
        help="with --engine ray: the Ray cluster to join (e.g. ray://HEAD:10001 or auto; "
        "default: $RAY_ADDRESS, else a local Ray on this machine's cores)",
    )
