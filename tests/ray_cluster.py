"""A local Ray for the Ray engine tests (tests/test_engine_ray.py): 2 CPUs, no
dashboard, started once per session on first use and shut down at the end.

Skips the tests that use it when Ray is not installed (``pip install
'textwash[ray]'``): the core library and its tests work without it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[Any]:
    """The ``ray`` module, initialised with a 2-CPU local cluster."""
    ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'textwash[ray]'")
    pytest.importorskip("ray.data", reason="Ray Data is not installed: pip install 'ray[data]'")
    if ray.is_initialized():  # someone else's: use it, leave it
        yield ray
        return
    ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
    try:
        yield ray
    finally:
        ray.shutdown()
