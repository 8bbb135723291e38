"""A real ``redis-server`` for the tests of the Redis index (a pytest plugin, see conftest.py).

``redis_url`` (session-scoped) starts Debian's ``redis-server`` on 127.0.0.1 on a
free port, without persistence (``--save '' --appendonly no``), in a temporary
folder; waits until it answers PING; yields ``redis://127.0.0.1:PORT``; and
shuts it down at the end of the session.  ``make test`` and ``.ci/run`` install
the server when apt-get is there; without it (or without the ``redis`` Python
package) the tests that use it skip, saying why.

``redis_db`` gives each test a database number of its own (``redis_url + "/N"``),
flushed before the test.  No mocks: every command goes to the real server.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

#: Databases handed out by ``redis_db`` (0 is left alone); the server is started with this many.
DATABASES = 64
_numbers = itertools.cycle(range(1, DATABASES))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ping(port: int) -> bool:
    """Whether a server on ``port`` answers PING (plain RESP over a socket)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextlib.contextmanager
def redis_server() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start ``redis-server`` on a free port of 127.0.0.1 in a temporary folder, without
    persistence; yield its URL and process once it answers PING; stop it at the end.
    Skips the test (or session) when the server or the ``redis`` package is missing."""
    server = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    )
    if server is None:
        pytest.skip(
            "redis-server not installed (make test installs Debian's redis-server when "
            "apt-get is available: apt-get install -y redis-server)"
        )
    try:
        import redis  # noqa: F401
    except ImportError:
        pytest.skip("the redis package is missing: pip install -e '.[test]' (or '.[redis]')")
    folder = tempfile.mkdtemp(prefix="textwash-redis-")
    port = _free_port()
    log = open(os.path.join(folder, "redis.log"), "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [
            server,
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            folder,
            "--databases",
            str(DATABASES),
            "--protected-mode",
            "yes",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=folder,
    )
    try:
        deadline = time.monotonic() + 10
        while not _ping(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                log.close()
                tail = Path(folder, "redis.log").read_text(encoding="utf-8", errors="replace")
                pytest.skip(f"redis-server did not start on port {port}: {tail[-2000:]}")
            time.sleep(0.02)
        yield f"redis://127.0.0.1:{port}", proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """``redis://127.0.0.1:PORT`` of a private ``redis-server`` for the session (or skip)."""
    with redis_server() as (url, _):
        yield url


@pytest.fixture
def redis_db(redis_url: str) -> str:
    """``redis://127.0.0.1:PORT/N``: a database of this test's own, flushed before it."""
    import redis

    number = next(_numbers)
    client = redis.Redis.from_url(f"{redis_url}/{number}")
    try:
        client.flushdb()
    finally:
        client.close()
    return f"{redis_url}/{number}"
