"""The command line's side of ``--engine``: the pool ``clean`` uses and the
``find_duplicates`` ``dedup`` calls, for the engine asked for.

Kept apart from :mod:`textwash.cli` so that the subcommands only gain an
option and a call; Ray is imported only when ``--engine ray`` runs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from ..cli.common import UsageError
from ..parallel import Workers
from ..pipeline import Pipeline
from . import EngineUnavailable, require_ray

__all__ = ["check_clean_engine", "clean_pool", "dedup_finder"]


def _engine(args: argparse.Namespace) -> str:
    return str(getattr(args, "engine", "local") or "local")


def _require_ray(args: argparse.Namespace) -> None:
    try:
        require_ray()
    except EngineUnavailable as exc:
        raise UsageError(str(exc)) from None


def check_clean_engine(args: argparse.Namespace) -> None:
    """Refuse (:class:`~textwash.cli.common.UsageError`) what ``clean --engine`` cannot do:
    Ray missing, ``--ray-address`` without ``--engine ray``, ``--explain`` or
    ``--summary`` on Ray (both print per document on this machine)."""
    if _engine(args) != "ray":
        if getattr(args, "ray_address", None):
            raise UsageError("--ray-address needs --engine ray")
        return
    _require_ray(args)
    for flag in ("explain", "summary"):
        if getattr(args, flag, False):
            raise UsageError(f"--{flag} runs on the local engine only (leave out --engine ray)")


def clean_pool(args: argparse.Namespace, pipeline: Pipeline, workers: int) -> Workers:
    """The pool ``textwash clean`` cleans with: this machine's ``workers`` processes,
    or, with ``--engine ray``, the Ray cluster of ``--ray-address`` (or ``$RAY_ADDRESS``,
    or a local Ray on ``--workers`` cores); a cluster that cannot be joined is a
    :class:`~textwash.cli.common.UsageError` when the pool is entered."""
    if _engine(args) != "ray":
        return Workers(pipeline, workers)
    from .ray import RayWorkers

    class Pool(RayWorkers):
        def __enter__(self) -> RayWorkers:
            try:
                return super().__enter__()
            except EngineUnavailable as exc:
                raise UsageError(str(exc)) from None

    return Pool(pipeline, args.ray_address, num_cpus=args.workers)


def dedup_finder(args: argparse.Namespace) -> Callable[..., Any]:
    """The ``find_duplicates`` of the engine asked for (checked as
    :func:`check_clean_engine` does)."""
    from ..dedup import find_duplicates

    if _engine(args) != "ray":
        if getattr(args, "ray_address", None):
            raise UsageError("--ray-address needs --engine ray")
        return find_duplicates
    _require_ray(args)
    from .ray import find_duplicates as on_ray

    def find(*docs: Any, **options: Any) -> Any:
        try:
            return on_ray(*docs, address=args.ray_address, num_cpus=args.workers, **options)
        except EngineUnavailable as exc:  # the cluster cannot be joined
            raise UsageError(str(exc)) from None

    return find


def dedup_remover(args: argparse.Namespace) -> Callable[..., Any]:
    """The ``deduplicate`` of the engine asked for (``-o``): with ``--engine ray``,
    every round's documents are prepared on Ray and cut on the driver."""
    from ..dedup import deduplicate

    if _engine(args) != "ray":
        if getattr(args, "ray_address", None):
            raise UsageError("--ray-address needs --engine ray")
        return deduplicate
    _require_ray(args)

    def remove(*docs: Any, **options: Any) -> Any:
        try:
            return deduplicate(
                *docs, engine="ray", address=args.ray_address, num_cpus=args.workers, **options
            )
        except EngineUnavailable as exc:
            raise UsageError(str(exc)) from None

    return remove
