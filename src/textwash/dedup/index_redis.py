"""A duplicate index shared through Redis: ``textwash dedup --index redis://HOST:PORT/DB``.

The same interface as the embedded :class:`~textwash.dedup.index.DedupIndex`
(``open``, ``writing``, ``add``, ``commit``, ``runs``, ``stats``, ``exact``,
``same_shape``, ``candidates``, ``shingles``, ``units``, ``len``), kept in one
Redis database so that several processes, on several machines, add to it and
query it at once (see ``docs/index-redis.md``).

* The **LSH tables** are datasketch's own: a ``MinHashLSH(params=(bands, rows),
  storage_config={"type": "redis", "basename": NAME, ...})`` with the bands and
  rows of :class:`~textwash.dedup.config.DedupConfig`.  Units are inserted as
  ``LeanMinHash`` objects rebuilt from their shingles (textwash's signatures
  are datasketch's, bit for bit) in an ``insertion_session``.  The LSH is given
  a ``hashfunc`` (datasketch's option to compress bucket keys) that turns a
  band's values into textwash's 64-bit band key
  (:func:`~textwash.dedup.banding.band_keys`), so a bucket is found from the
  band keys the pipeline already has, with the storage's buffered selects.
* **Units** are one string each (:func:`pack_unit`: provenance, digests,
  shingles, text); **exact and shape keys** one integer set per digest; the
  **config**, the **unit counter** and the **run log** a few keys beside them.

Ids of units come from ``INCRBY`` (so two writers never take the same) and a
batch becomes visible only when :meth:`RedisIndex.commit` writes its commit
marker, in one ``MULTI``/``EXEC`` with the run log: a run that dies before
leaves invisible data behind (listed as pending; :meth:`RedisIndex.sweep`
removes it), never half a run.

The ``redis`` package is imported only when an index is opened
(``pip install 'textwash[redis]'``).

>>> is_redis_url("redis://127.0.0.1:6379/2"), is_redis_url("build/ix")
(True, False)
>>> t = parse_url("redis://cache.local/3?name=corpus-a")
>>> t.host, t.port, t.db, t.name
('cache.local', 6379, 3, 'corpus-a')
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import json
import os
import socket
import struct
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, cast
from urllib.parse import parse_qs, unquote, urlsplit

import numpy as np

from .banding import band_keys
from .index import (
    IndexConfig,
    IndexCorrupt,
    IndexedUnit,
    IndexStats,
    IndexUnits,
    _checkpoint,
    as_digests,
    checked_config,
)
from .signatures import signatures_from_flat, to_lean_minhashes

__all__ = [
    "FORMAT_VERSION",
    "IndexUnavailable",
    "RedisIndex",
    "RedisTarget",
    "index_target",
    "is_redis_url",
    "pack_unit",
    "parse_url",
    "unpack_unit",
]

#: Version of the Redis layout this module reads and writes (stored in ``NAME:config``).
FORMAT_VERSION = 1
_FORMAT = "textwash-dedup-index-redis"
_SCHEMES = ("redis://", "rediss://")
#: Commands sent per pipeline round trip.
_PIPE = 10_000
#: ``insertion_session`` buffer: commands per MULTI/EXEC of each datasketch table.
_SESSION = 10_000
#: A unit's fixed header: line, end_line, tokens, shingles, doc bytes, source bytes
#: (``_NONE`` for no source), start, end; then the 16-byte exact and shape digests.
_HEAD = struct.Struct("<6I2q")
_NONE = 0xFFFFFFFF
_DIGEST = 16
#: :meth:`RedisIndex.sweep`'s claim of a dead batch: moved from pending to sweeping, or not
#: at all if it is no longer pending (committed, or claimed by another sweeper).
_CLAIM = """
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then
  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
  return 1
end
return 0
"""


class IndexUnavailable(IndexCorrupt):
    """The Redis index cannot be used: the ``redis`` package is missing or the server
    does not answer.  (An :class:`~textwash.dedup.index.IndexCorrupt`, so callers that
    report a bad index report this too.)

    >>> str(IndexUnavailable("redis://h:1/0", "connection refused"))
    'redis://h:1/0: connection refused'
    """


@dataclass(frozen=True)
class RedisTarget:
    """Where a Redis index lives: server, database and the basename of its keys.

    >>> RedisTarget("h", 6380, 1, "ix").storage()["redis"]
    {'host': 'h', 'port': 6380, 'db': 1}
    """

    host: str
    port: int
    db: int
    name: str = "textwash"
    username: str | None = None
    password: str | None = None
    ssl: bool = False

    def url(self) -> str:
        """The URL without credentials (for messages).

        >>> RedisTarget("h", 6380, 1, "ix", password="secret").url()
        'redis://h:6380/1?name=ix'
        """
        scheme = "rediss" if self.ssl else "redis"
        tail = "" if self.name == "textwash" else f"?name={self.name}"
        return f"{scheme}://{self.host}:{self.port}/{self.db}{tail}"

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments of ``redis.Redis`` for this server and database."""
        out: dict[str, Any] = {"host": self.host, "port": self.port, "db": self.db}
        if self.username is not None:
            out["username"] = self.username
        if self.password is not None:
            out["password"] = self.password
        if self.ssl:
            out["ssl"] = True
        return out

    def storage(self) -> dict[str, Any]:
        """datasketch's ``storage_config`` for the LSH tables of this index."""
        return {
            "type": "redis",
            "basename": self.name.encode("utf-8"),
            "redis": self.client_options(),
            # no MULTI around each buffer flush: a batch is published by its commit marker
            "redis_buffer": {"transaction": False},
        }


def is_redis_url(value: object) -> bool:
    """Whether ``value`` names a Redis index (``redis://`` or ``rediss://``), not a folder.

    >>> is_redis_url("rediss://h/0"), is_redis_url(Path("redis")), is_redis_url(None)
    (True, False, False)
    """
    return isinstance(value, str) and value.lower().startswith(_SCHEMES)


def index_target(value: str) -> str | Path:
    """A command-line ``--index`` value: a Redis URL as given, anything else a folder.

    >>> index_target("redis://h:1/2"), index_target("build/ix")
    ('redis://h:1/2', PosixPath('build/ix'))
    """
    return value if is_redis_url(value) else Path(value)


def parse_url(url: str) -> RedisTarget:
    """``redis://[[USER]:PASSWORD@]HOST[:PORT]/DB[?name=BASENAME]`` as a :class:`RedisTarget`.

    ``DB`` defaults to 0, ``PORT`` to 6379; ``name`` (default ``textwash``) is
    the basename of every key of the index, so one database can hold several.

    >>> parse_url("redis://:pw@10.0.0.5:7000/4").password
    'pw'
    >>> parse_url("redis://h/x")
    Traceback (most recent call last):
    ValueError: redis://h/x: the database must be a number (redis://HOST:PORT/DB)
    """
    if not is_redis_url(url):
        raise ValueError(f"{url}: not a redis:// URL")
    parts = urlsplit(url)
    path = parts.path.strip("/")
    if path and not path.isdigit():
        raise ValueError(f"{url}: the database must be a number (redis://HOST:PORT/DB)")
    query = parse_qs(parts.query)
    unknown = set(query) - {"name"}
    if unknown:
        raise ValueError(f"{url}: unknown option(s) {sorted(unknown)} (only ?name=BASENAME)")
    name = query.get("name", ["textwash"])[-1]
    if not name or any(c in name for c in " :\r\n"):
        raise ValueError(f"{url}: name must be a non-empty word without ':' or spaces")
    try:
        port = parts.port or 6379
    except ValueError:
        raise ValueError(f"{url}: bad port") from None
    return RedisTarget(
        host=parts.hostname or "localhost",
        port=port,
        db=int(path or 0),
        name=name,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        ssl=parts.scheme.lower() == "rediss",
    )


# ---------------------------------------------------------------------------- records


def pack_unit(units: IndexUnits, i: int) -> bytes:
    """Unit ``i`` of ``units`` as the one string Redis keeps for it (little-endian).

    Header (:data:`_HEAD`: line, end_line, tokens, shingle count, doc and source
    lengths, start, end), exact and shape digests, doc id, source, shingles
    (uint32 each), text: all UTF-8 where text.

    >>> from textwash.dedup.index import _toy_units
    >>> u = _toy_units(["甲乙丙丁"], "a.txt", bands=2)
    >>> rec = unpack_unit(pack_unit(u, 0))
    >>> rec["doc_id"], rec["source"], rec["line"], rec["text"], rec["shingles"].size
    ('a.txt', 'in/a.txt', 1, '甲乙丙丁', 3)
    """
    doc = units.doc_id[i].encode("utf-8")
    src = units.source[i]
    src_b = b"" if src is None else src.encode("utf-8")
    lo, hi = int(units.shingle_offsets[i]), int(units.shingle_offsets[i + 1])
    head = _HEAD.pack(
        int(units.line[i]),
        int(units.end_line[i]),
        int(units.tokens[i]),
        hi - lo,
        len(doc),
        _NONE if src is None else len(src_b),
        int(units.start[i]),
        int(units.end[i]),
    )
    return b"".join(
        (
            head,
            units.keys[i].tobytes(),
            units.shapes[i].tobytes(),
            doc,
            src_b,
            units.shingles[lo:hi].astype("<u4").tobytes(),
            units.text[i].encode("utf-8"),
        )
    )


def _shingles_of(record: bytes) -> np.ndarray:
    """The shingle hashes of a packed unit (without decoding the rest)."""
    _, _, _, count, doc, src, _, _ = _HEAD.unpack_from(record)
    at = _HEAD.size + 2 * _DIGEST + doc + (0 if src == _NONE else src)
    return np.frombuffer(record, dtype="<u4", count=count, offset=at).astype(np.uint32)


def unpack_unit(record: bytes) -> dict[str, Any]:
    """A packed unit (:func:`pack_unit`) as a dict of its fields."""
    line, end_line, tokens, count, doc, src, start, end = _HEAD.unpack_from(record)
    at = _HEAD.size
    key, shape = record[at : at + _DIGEST], record[at + _DIGEST : at + 2 * _DIGEST]
    at += 2 * _DIGEST
    doc_id = record[at : at + doc].decode("utf-8")
    at += doc
    source = None
    if src != _NONE:
        source = record[at : at + src].decode("utf-8")
        at += src
    shingles = np.frombuffer(record, dtype="<u4", count=count, offset=at).astype(np.uint32)
    at += 4 * count
    return {
        "line": line,
        "end_line": end_line,
        "tokens": tokens,
        "start": start,
        "end": end,
        "key": key,
        "shape": shape,
        "doc_id": doc_id,
        "source": source,
        "shingles": shingles,
        "text": record[at:].decode("utf-8"),
    }


def _band_key_bytes(values: bytes, rows: int) -> bytes:
    """textwash's band key (8 bytes, big-endian) of one band's values as datasketch hands
    them to ``hashfunc``: ``bytes(hashvalues[start:end].byteswap().data)``, uint32 or uint64.

    >>> sig = np.array([[5, 6, 7, 8]], dtype=np.uint32)
    >>> want = int(band_keys(sig, 2, 2)[0, 1]).to_bytes(8, "big")
    >>> _band_key_bytes(sig[0, 2:4].byteswap().tobytes(), 2) == want
    True
    >>> _band_key_bytes(sig[0, 2:4].astype(np.uint64).byteswap().tobytes(), 2) == want
    True
    """
    width = len(values) // rows
    native = np.frombuffer(values, dtype=np.dtype(f"u{width}")).byteswap()
    key = band_keys(native.astype(np.uint32).reshape(1, rows), 1, rows)[0, 0]
    return int(key).to_bytes(8, "big")


def _bound_buffers(lsh: Any) -> None:
    """Make the Redis pipelines of ``lsh``'s tables flush every :data:`_SESSION` commands.

    datasketch 2.0's ``insertion_session(buffer_size=...)`` does not reach them
    (``Storage.buffer_size`` comes before ``RedisStorage.buffer_size`` in the
    method order, and each flush makes a new pipeline of 50,000): 15 tables of
    50,000 buffered commands held about 230 MB at 100 MB of text.
    """
    for table in [lsh.keys, *lsh.hashtables]:
        buffer = getattr(table, "_buffer", None)
        if buffer is not None and hasattr(buffer, "buffer_size"):
            buffer.buffer_size = _SESSION


def _pairs(new: list[int], old: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Unique ``(new, old)`` pairs, sorted, as two int64 arrays.

    >>> [a.tolist() for a in _pairs([1, 0, 1], [5, 9, 5])]
    [[0, 1], [9, 5]]
    """
    if not new:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    both = np.unique(np.array([new, old], dtype=np.int64).T, axis=0)
    return both[:, 0].copy(), both[:, 1].copy()


def _import_redis(url: str) -> Any:
    try:
        import redis
    except ImportError:
        raise IndexUnavailable(
            url,
            "the Redis index needs the redis package: pip install 'textwash[redis]'",
        ) from None
    return redis


_F = TypeVar("_F", bound=Callable[..., Any])


def _is_redis_error(err: BaseException) -> bool:
    """Whether ``err`` is one of redis-py's (``redis.exceptions``), without importing it.

    >>> _is_redis_error(ValueError("x"))
    False
    """
    return type(err).__module__.split(".")[0] == "redis"


def _server_errors(method: _F) -> _F:
    """Report redis-py's errors (a lost connection, a server out of memory...) as
    :class:`IndexUnavailable` with the index's URL, as the command line reports them."""

    @functools.wraps(method)
    def wrapper(self: RedisIndex, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as err:
            if not _is_redis_error(err):
                raise
            raise IndexUnavailable(
                self.path, f"the Redis server failed ({type(err).__name__}: {err})"
            ) from err

    return cast(_F, wrapper)


@dataclass
class _Batch:
    """One ``add``: its batch number, run, inputs and the unit ids ``lo..hi-1`` it took."""

    batch: int
    run: str
    inputs: int
    lo: int
    hi: int


# ---------------------------------------------------------------------------- the index


class RedisIndex:
    """A duplicate index in Redis (open it with :meth:`RedisIndex.open`).

    Global rows are unit ids: allocated by ``INCRBY``, never reused, visible
    once their batch is committed.  A reader sees the batches committed when
    it opened (or last called :meth:`refresh` / :meth:`commit`).  Writers need
    no lock: any number of processes may add and commit at once.
    """

    def __init__(self, target: RedisTarget, config: IndexConfig | None) -> None:
        self.target = target
        self.path = target.url()  # where, for messages (as DedupIndex.path)
        self._asked = config
        self.config: IndexConfig
        self._write = False
        self._staged: list[_Batch] = []
        self._los = np.zeros(0, dtype=np.int64)  # committed batches, sorted by first id
        self._his = np.zeros(0, dtype=np.int64)
        self._runs_at: list[str] = []  # run of each committed batch (same order)
        self._log: list[dict[str, Any]] = []
        self._count = 0
        self._hcache: dict[bytes, bytes] = {}
        self._r: Any = None
        self._lsh: Any = None
        self._prefix = target.name.encode("utf-8") + b":"

    # -- opening ----------------------------------------------------------------

    @classmethod
    def open(
        cls,
        url: str,
        config: IndexConfig | None = None,
        *,
        create: bool = True,
        write: bool = False,
        wait: bool = True,
    ) -> RedisIndex:
        """Open (or create) the index at ``url``; refuse one built with another ``config``.

        ``config=None`` accepts the stored config.  ``write=True`` allows
        :meth:`add` (there is no lock to take: ``wait`` is accepted for the
        embedded index's signature and ignored).
        """
        redis = _import_redis(url)
        idx = cls(parse_url(url), config)
        idx._r = redis.Redis(**idx._client_options())
        try:
            idx._r.ping()
        except redis.exceptions.RedisError as err:
            idx._r.close()
            raise IndexUnavailable(idx.path, f"the Redis server does not answer ({err})") from None
        try:
            idx._load(create)
        except BaseException:
            idx._r.close()
            raise
        idx._write = write
        return idx

    def _client_options(self) -> dict[str, Any]:
        """``redis.Redis`` options of every client of the index (its own, datasketch's):
        a lost connection is retried 4 times within about 0.75 s, then reported."""
        from redis.backoff import ExponentialBackoff
        from redis.retry import Retry

        retry = Retry(ExponentialBackoff(cap=0.5, base=0.05), 4)
        return {**self.target.client_options(), "retry": retry}

    def _key(self, *parts: bytes | str) -> bytes:
        raw = [p.encode("utf-8") if isinstance(p, str) else p for p in parts]
        return self._prefix + b":".join(raw)

    @_server_errors
    def _load(self, create: bool) -> None:
        key = self._key("config")
        raw = self._r.get(key)
        if raw is None:
            if not create:
                raise IndexCorrupt(self.path, "no duplicate index here (no config key)")
            if self._asked is None:
                raise ValueError(f"creating the index at {self.path} needs a config")
            doc = {
                "format": _FORMAT,
                "version": FORMAT_VERSION,
                "config": dataclasses.asdict(self._asked),
            }
            self._r.set(key, json.dumps(doc, sort_keys=True), nx=True)  # first writer wins
            raw = self._r.get(key)
        try:
            stored = json.loads(raw)
        except ValueError as err:
            raise IndexCorrupt(self.path, f"unreadable config ({err})") from None
        if not isinstance(stored, dict) or stored.get("format") != _FORMAT:
            raise IndexCorrupt(self.path, f"{key.decode()} is not a textwash Redis index config")
        if stored.get("version") != FORMAT_VERSION:
            raise IndexCorrupt(
                self.path,
                f"index format version {stored.get('version')}, this textwash reads "
                f"{FORMAT_VERSION}: use another database or ?name=, or the textwash that wrote it",
            )
        self._check(stored.get("config") or {})
        from datasketch import MinHashLSH

        self._lsh = MinHashLSH(
            num_perm=self.config.num_perm,
            params=(self.config.bands, self.config.rows),
            storage_config={**self.target.storage(), "redis": self._client_options()},
            prepickle=False,
            hashfunc=self._hash_band,
        )
        self.refresh()

    def _check(self, stored: dict[str, Any]) -> None:
        self.config = checked_config(stored, self._asked, where=self.path, name=self.path)

    def _hash_band(self, values: bytes) -> bytes:
        """datasketch's ``hashfunc``: a band's values -> textwash's band key (8 bytes)."""
        hit = self._hcache.get(values)
        return hit if hit is not None else _band_key_bytes(values, self.config.rows)

    @_server_errors
    def refresh(self) -> None:
        """Read the committed batches again (to see what other writers committed since)."""
        order = [int(b) for b in self._r.lrange(self._key("log"), 0, -1)]
        entries = self._r.hmget(self._key("committed"), order) if order else []
        log, spans = [], []
        for batch, raw in zip(order, entries, strict=True):
            if raw is None:
                raise IndexCorrupt(self.path, f"batch {batch} is in the log but not committed")
            e = json.loads(raw)
            log.append({k: e[k] for k in ("run", "time", "inputs", "units")})
            if e["units"]:
                spans.append((int(e["lo"]), int(e["hi"]), str(e["run"])))
        spans.sort()
        self._log = log
        self._los = np.array([s[0] for s in spans], dtype=np.int64)
        self._his = np.array([s[1] for s in spans], dtype=np.int64)
        self._runs_at = [s[2] for s in spans]
        self._count = int((self._his - self._los).sum())

    def close(self) -> None:
        """Remove uncommitted batches and drop the connection (closing twice is fine)."""
        if self._r is None:
            return
        try:
            if self._staged:
                self._discard(self._staged)
        except Exception as err:  # the server is gone: its batches stay pending (see sweep)
            if not _is_redis_error(err):
                raise
        finally:
            self._staged = []
            self._r.close()
            self._r = None

    def __enter__(self) -> RedisIndex:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @contextlib.contextmanager
    def writing(self, *, wait: bool = True) -> Iterator[RedisIndex]:
        """Allow :meth:`add` for the block and commit at its end (discard the batches on error)."""
        if self._write:
            raise RuntimeError(f"already writing the index at {self.path}")
        self._write = True
        self.refresh()
        try:
            yield self
            self.commit()
        except BaseException:
            batches, self._staged = self._staged, []
            if batches:
                self._discard(batches)
            raise
        finally:
            self._write = False

    # -- writing ----------------------------------------------------------------

    @_server_errors
    def add(self, run_id: str, units: IndexUnits, *, inputs: int | None = None) -> None:
        """Write ``units`` as a new batch of run ``run_id``; :meth:`commit` makes it visible.

        Unit ids are taken with one ``INCRBY``; the batch is listed as pending
        (``NAME:pending``) until it is committed.  Units whose band keys are those
        of their MinHash (all the pipeline's, but the few too short for one) go
        through datasketch's ``insertion_session`` as ``LeanMinHash`` objects;
        the others into the same tables under the band keys given.
        """
        if not self._write:
            raise RuntimeError(
                "add needs a writer: RedisIndex.open(..., write=True) or idx.writing()"
            )
        if not run_id or not isinstance(run_id, str):
            raise ValueError("run_id must be a non-empty string")
        if len(units) and units.band_keys.shape[1] != self.config.bands:
            raise ValueError(
                f"band_keys has {units.band_keys.shape[1]} bands, the index {self.config.bands}"
            )
        n = len(units)
        inputs = len(set(units.doc_id)) if inputs is None else inputs
        batch = int(self._r.incr(self._key("batches")))
        hi = int(self._r.incrby(self._key("next"), n)) if n else 0
        staged = _Batch(batch, run_id, int(inputs), hi - n, hi)
        pending = {
            "run": run_id,
            "lo": staged.lo,
            "hi": staged.hi,
            "since": time.time(),
            "host": socket.gethostname(),
            "pid": os.getpid(),
        }
        self._r.hset(self._key("pending"), str(batch), json.dumps(pending))
        self._staged.append(staged)
        if n:
            self._write_units(staged.lo, units)
            _checkpoint("redis-units")  # crash tests: killed between the two writes
            self._insert_lsh(staged.lo, units)

    def _write_units(self, lo: int, units: IndexUnits) -> None:
        """The unit strings and the digest sets (exact key: id; shape: ``-(id + 1)``)."""
        pipe = self._r.pipeline(transaction=False)
        for i in range(len(units)):
            uid = lo + i
            pipe.set(self._key("u", str(uid)), pack_unit(units, i))
            pipe.sadd(self._key("d", units.keys[i].tobytes()), uid)
            pipe.sadd(self._key("d", units.shapes[i].tobytes()), -uid - 1)
            if len(pipe) >= _PIPE:
                pipe.execute()
        pipe.execute()

    def _insert_lsh(self, lo: int, units: IndexUnits) -> None:
        """Units into datasketch's tables, :data:`_PIPE` at a time (signatures of a chunk)."""
        cfg, lsh, r = self.config, self._lsh, self.config.rows
        at = units.shingle_offsets
        with lsh.insertion_session(buffer_size=_SESSION) as session:
            _bound_buffers(lsh)
            for start in range(0, len(units), _PIPE):
                stop = min(start + _PIPE, len(units))
                sigs = signatures_from_flat(
                    units.shingles[at[start] : at[stop]],
                    at[start : stop + 1] - at[start],
                    num_perm=cfg.num_perm,
                    seed=cfg.seed,
                )
                given = units.band_keys[start:stop]
                own = (band_keys(sigs, cfg.bands, cfg.rows) == given).all(axis=1)
                swapped = sigs.byteswap()  # what datasketch's _H hands to hashfunc, per band
                given_b = given.astype(">u8").view(np.uint8).reshape(stop - start, cfg.bands, 8)
                lean = to_lean_minhashes(sigs, seed=cfg.seed)
                self._hcache = {}
                for k in range(stop - start):
                    key = str(lo + start + k).encode()
                    hs = [given_b[k, b].tobytes() for b in range(cfg.bands)]
                    if own[k]:
                        for b in range(cfg.bands):
                            self._hcache[swapped[k, b * r : (b + 1) * r].tobytes()] = hs[b]
                        session.insert(key, lean[k], check_duplication=False)
                    else:  # band keys not of this MinHash: into the same tables, as given
                        lsh.keys.insert(key, *hs, buffer=True)
                        for h, table in zip(hs, lsh.hashtables, strict=True):
                            table.insert(h, key, buffer=True)
        self._hcache = {}

    @_server_errors
    def commit(self) -> None:
        """Make the staged batches visible: their commit markers and run log entries in one
        ``MULTI``/``EXEC`` (all of them or none), then :meth:`refresh`."""
        if not self._write:
            raise RuntimeError(
                "commit needs a writer: RedisIndex.open(..., write=True) or idx.writing()"
            )
        if self._staged:
            self._publish()
            self._staged = []
        self.refresh()

    def _publish(self) -> None:
        """The commit markers of the staged batches, if all are still pending (not taken by
        :meth:`sweep` for a dead run's): ``WATCH`` of ``NAME:pending``, then ``MULTI``."""
        redis = _import_redis(self.path)
        pending = self._key("pending")
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        names = [str(s.batch) for s in self._staged]
        with self._r.pipeline(transaction=True) as pipe:
            while True:
                try:
                    pipe.watch(pending)
                    if any(v is None for v in pipe.hmget(pending, names)):
                        raise IndexCorrupt(
                            self.path,
                            "a batch of this run was swept as a dead run's before its commit "
                            "(sweep with a longer older_than): nothing committed; run it again",
                        )
                    pipe.multi()
                    for s in self._staged:
                        entry = {
                            "run": s.run,
                            "time": now,
                            "inputs": s.inputs,
                            "units": s.hi - s.lo,
                            "lo": s.lo,
                            "hi": s.hi,
                        }
                        pipe.hset(self._key("committed"), str(s.batch), json.dumps(entry))
                        pipe.rpush(self._key("log"), s.batch)
                        pipe.hdel(pending, str(s.batch))
                    pipe.execute()
                    return
                except redis.exceptions.WatchError:  # another writer's pending entry came or went
                    continue

    def _discard(self, batches: Sequence[_Batch]) -> int:
        """Delete the units of uncommitted ``batches`` (strings, digest sets, LSH entries)."""
        lsh, removed = self._lsh, 0
        for s in batches:
            for start in range(s.lo, s.hi, _PIPE):
                ids = range(start, min(start + _PIPE, s.hi))
                keys = [str(i).encode() for i in ids]
                records = self._r.mget([self._key("u", str(i)) for i in ids])
                bands = lsh.keys.getmany(*keys)
                pipe = self._r.pipeline(transaction=False)
                for uid, rec in zip(ids, records, strict=True):
                    if rec is not None:
                        u = unpack_unit(rec)
                        pipe.srem(self._key("d", u["key"]), uid)
                        pipe.srem(self._key("d", u["shape"]), -uid - 1)
                        pipe.delete(self._key("u", str(uid)))
                        removed += 1
                pipe.execute()
                for key, hs in zip(keys, bands, strict=True):
                    for h, table in zip(hs, lsh.hashtables, strict=False):
                        table.remove_val(h, key, buffer=True)
                lsh.keys.remove(*keys, buffer=True)
                lsh.keys.empty_buffer()
                for table in lsh.hashtables:
                    table.empty_buffer()
            self._r.hdel(self._key("pending"), str(s.batch))
            self._r.hdel(self._key("sweeping"), str(s.batch))
        return removed

    @_server_errors
    def pending(self) -> list[dict[str, Any]]:
        """Batches added but not committed (by runs in progress, or runs that died): ``batch``,
        ``run``, ``lo``/``hi`` (their unit ids), ``since`` (Unix time), ``host``, ``pid``."""
        raw = self._r.hgetall(self._key("pending"))
        out = [{"batch": int(k), **json.loads(v)} for k, v in raw.items()]
        return sorted(out, key=lambda e: e["batch"])

    @_server_errors
    def sweep(self, older_than: float = 24 * 3600.0) -> int:
        """Delete the data of pending batches older than ``older_than`` seconds (runs that
        died mid-update; a live run's batch is younger); returns how many units.

        Never touches committed units: a batch is taken from ``NAME:pending`` to
        ``NAME:sweeping`` atomically (a script) before its data is deleted, and a
        commit of a batch no longer pending is refused.  Batches a sweeper that died
        left in ``NAME:sweeping`` are swept again.  Pick ``older_than`` longer than
        any run.
        """
        now = time.time()
        claim = self._r.register_script(_CLAIM)
        sweeping = self._key("sweeping")
        dead = []
        for e in self.pending():
            if now - float(e["since"]) >= older_than:
                entry = json.dumps({**e, "since": now})
                if claim(keys=[self._key("pending"), sweeping], args=[str(e["batch"]), entry]):
                    dead.append(_Batch(e["batch"], e["run"], 0, int(e["lo"]), int(e["hi"])))
        for k, v in self._r.hgetall(sweeping).items():
            e = json.loads(v)
            if now - float(e["since"]) >= older_than and int(k) not in {b.batch for b in dead}:
                dead.append(_Batch(int(k), e["run"], 0, int(e["lo"]), int(e["hi"])))
        return self._discard(dead)

    # -- reading ----------------------------------------------------------------

    def __len__(self) -> int:
        return self._count

    def runs(self) -> list[dict[str, Any]]:
        """The run log: ``run``, ``time`` (UTC), ``inputs``, ``units`` of each committed batch."""
        return [dict(r) for r in self._log]

    @_server_errors
    def stats(self) -> IndexStats:
        """Units, committed batches (as ``segments``), the Redis server's dataset bytes
        (``INFO memory``'s ``used_memory_dataset``: the whole server, all databases)
        and those per unit."""
        info = self._r.info("memory")
        size = int(info.get("used_memory_dataset", info.get("used_memory", 0)))
        n = len(self)
        return IndexStats(n, len(self._log), size, size / n if n else 0.0)

    def _visible(self, ids: np.ndarray) -> np.ndarray:
        """Which unit ids belong to a committed batch of this snapshot."""
        if not self._los.size:
            return np.zeros(ids.shape, dtype=bool)
        at = np.searchsorted(self._los, ids, "right") - 1
        return (at >= 0) & (ids < self._his[np.maximum(at, 0)])

    def _digest_query(
        self, digests: np.ndarray | Sequence[bytes], shape: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        q = as_digests(digests)
        if not q.shape[0] or not self._count:
            return _pairs([], [])
        rows: dict[bytes, list[int]] = {}
        for k, d in enumerate(q):
            rows.setdefault(d.tobytes(), []).append(k)
        unique = list(rows)
        new: list[int] = []
        old: list[int] = []
        for c0 in range(0, len(unique), _PIPE):
            chunk = unique[c0 : c0 + _PIPE]
            pipe = self._r.pipeline(transaction=False)
            for d in chunk:
                pipe.smembers(self._key("d", d))
            for d, members in zip(chunk, pipe.execute(), strict=True):
                ids = [int(m) for m in members]
                ids = [-m - 1 for m in ids if m < 0] if shape else [m for m in ids if m >= 0]
                if not ids:
                    continue
                arr = np.array(ids, dtype=np.int64)
                for g in arr[self._visible(arr)].tolist():
                    for k in rows[d]:
                        new.append(k)
                        old.append(g)
        return _pairs(new, old)

    @_server_errors
    def exact(self, keys: np.ndarray | Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
        """``(new_row, global_row)`` pairs of identical exact-key digests, sorted."""
        return self._digest_query(keys, shape=False)

    @_server_errors
    def same_shape(self, shapes: np.ndarray | Sequence[bytes]) -> tuple[np.ndarray, np.ndarray]:
        """``(new_row, global_row)`` pairs of identical shape digests, sorted."""
        return self._digest_query(shapes, shape=True)

    @_server_errors
    def candidates(self, band_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Unique ``(new_row, global_row)`` pairs sharing a key in any band, sorted.

        Each band's buckets are read from datasketch's table with its buffered
        selects (``add_to_select_buffer`` / ``collect_select_buffer``: one
        pipeline per band and chunk).  ``MinHashLSH.add_to_query_buffer`` is
        not used: ``collect_query_buffer`` intersects the buffered queries.
        """
        q = np.asarray(band_keys, dtype=np.uint64)
        if q.ndim != 2 or q.shape[1] != self.config.bands:
            raise ValueError(f"band_keys must be (m, {self.config.bands}), got {q.shape}")
        if not q.shape[0] or not self._count:
            return _pairs([], [])
        new: list[int] = []
        old: list[int] = []
        for b, table in enumerate(self._lsh.hashtables):
            keys, inverse = np.unique(q[:, b], return_inverse=True)
            inverse = inverse.ravel()
            by_key = np.argsort(inverse, kind="stable")
            bounds = np.searchsorted(inverse[by_key], np.arange(keys.size + 1))
            for c0 in range(0, keys.size, _PIPE):
                chunk = [int(k).to_bytes(8, "big") for k in keys[c0 : c0 + _PIPE].tolist()]
                table.add_to_select_buffer(chunk)
                for k, members in enumerate(table.collect_select_buffer(), start=c0):
                    if not members:
                        continue
                    arr = np.array([int(m) for m in members], dtype=np.int64)
                    arr = arr[self._visible(arr)]
                    for u in by_key[bounds[k] : bounds[k + 1]].tolist():
                        new.extend([u] * arr.size)
                        old.extend(arr.tolist())
        return _pairs(new, old)

    def _records(self, rows: Sequence[int] | np.ndarray) -> tuple[np.ndarray, list[bytes]]:
        r = np.asarray(rows, dtype=np.int64).ravel()
        if r.size and not self._visible(r).all():
            bad = r[~self._visible(r)][:3].tolist()
            raise IndexError(f"rows {bad} are not committed units of this index")
        out: list[bytes] = []
        for c0 in range(0, r.size, _PIPE):
            ids = r[c0 : c0 + _PIPE].tolist()
            got = self._r.mget([self._key("u", str(i)) for i in ids])
            missing = [i for i, g in zip(ids, got, strict=True) if g is None]
            if missing:
                raise IndexCorrupt(self.path, f"committed units {missing[:3]} have no data")
            out.extend(got)
        return r, out

    @_server_errors
    def shingles(self, rows: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The shingle hashes of ``rows`` end to end (uint32), with ``len(rows) + 1`` bounds."""
        _, records = self._records(rows)
        parts = [_shingles_of(rec) for rec in records]
        bounds = np.concatenate([[0], np.cumsum([p.size for p in parts])]).astype(np.int64)
        flat = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint32)
        return flat.astype(np.uint32), bounds

    @_server_errors
    def units(self, rows: Sequence[int] | np.ndarray) -> list[IndexedUnit]:
        """The units at ``rows``: provenance, token count, run id and text."""
        r, records = self._records(rows)
        at = np.searchsorted(self._los, r, "right") - 1
        out = []
        for row, batch, rec in zip(r.tolist(), at.tolist(), records, strict=True):
            u = unpack_unit(rec)
            out.append(
                IndexedUnit(
                    row,
                    u["doc_id"],
                    u["source"],
                    u["line"],
                    u["end_line"],
                    u["start"],
                    u["end"],
                    u["tokens"],
                    self._runs_at[batch],
                    u["text"],
                )
            )
        return out
