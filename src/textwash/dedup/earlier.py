"""Stage **earlier**: copies of what earlier runs indexed, and adding this run's units.

With ``find_duplicates(..., index=PATH)`` (``textwash dedup --index PATH``) a
run compares its units with each other as always, and also with every unit a
:class:`~textwash.dedup.index.DedupIndex` at ``PATH`` holds from earlier runs:

* **exact**: a unit (of :data:`~textwash.dedup.prepare.MIN_EXACT_TOKENS`
  tokens or more) whose folded key an indexed unit has;
* **near**: a unit whose LSH band keys meet an indexed unit's in some band,
  verified like every near pair, with the exact Jaccard similarity of the two
  shingle sets (``near_threshold``).

Each indexed unit found is reported as a cluster whose ``members[0]`` is that
earlier copy (``run`` names the run that added it; ``doc_id``, ``source``,
``line`` and ``start``/``end`` where that run read it; ``text`` its cleaned
text) followed by this run's copies of it.  Containment (a passage inside a
longer earlier paragraph) is not looked for across runs, and ``deduplicate``
does not cut a copy of an earlier run's text: those clusters are reported only.

Then the run adds its own units (the first of each key, with their shingles
and band keys) as one committed update, so the next run compares with them.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from .clusters import unit_member
from .config import DedupConfig
from .index import DedupIndex, IndexConfig, IndexedUnit, IndexUnits
from .index_redis import RedisIndex, is_redis_url
from .parts import Parts
from .prepare import MIN_EXACT_TOKENS, UnitArrays
from .report import Cluster, Member
from .table import UnitTable
from .verify import jaccard

__all__ = ["TOKENIZER", "Earlier", "index_config", "open_index"]

#: The version of tokenising and hashing (``keys.py``) the index records: units
#: indexed by another version could not be compared with this one's.
TOKENIZER = "textwash-keys-1"
#: Units added to the index per segment.
ADD_CHUNK = 100_000


def index_config(cfg: DedupConfig) -> IndexConfig:
    """What an index built with ``cfg`` records and requires of later runs.

    >>> index_config(DedupConfig()).bands == DedupConfig().bands
    True
    """
    return IndexConfig(
        ngram=cfg.ngram,
        num_perm=cfg.num_perm,
        seed=cfg.seed,
        hash_scheme="affine32",
        bands=cfg.bands,
        rows=cfg.rows,
        unit=cfg.unit,
        drop_function_words=cfg.drop_function_words,
        tokenizer=TOKENIZER,
    )


def open_index(
    path: str | os.PathLike[str], cfg: DedupConfig, *, write: bool = True
) -> DedupIndex | RedisIndex:
    """The index at ``path`` (made if missing), refused if built with other options:
    a folder, or a Redis index for a ``redis://HOST:PORT/DB`` URL (:mod:`.index_redis`)."""
    if is_redis_url(path):
        return RedisIndex.open(str(path), index_config(cfg), create=True, write=write)
    return DedupIndex.open(Path(path), index_config(cfg), create=True, write=write)


def _fill_keys(keys: np.ndarray, bands: int) -> np.ndarray:
    """Band keys for units without a signature (too short for MinHash): derived from
    their exact key, so they meet only units with the very same key."""
    words = np.frombuffer(np.ascontiguousarray(keys).tobytes(), dtype="<u8").reshape(-1, 2)
    base = words[:, 0] ^ (words[:, 1] * np.uint64(0x9E3779B97F4A7C15))
    salt = np.arange(1, bands + 1, dtype=np.uint64) * np.uint64(0xBF58476D1CE4E5B9)
    return base[:, None] ^ salt[None, :]


class Earlier:
    """The copies one run finds of indexed units, and what it adds to the index."""

    def __init__(
        self,
        index: DedupIndex | RedisIndex,
        cfg: DedupConfig,
        work: Path,
        *,
        update: bool = True,
    ) -> None:
        self.index = index
        self.cfg = cfg
        self.work = work
        self.update = update  # the run's units will be added: keep their band keys
        self._near: list[tuple[np.ndarray, np.ndarray]] = []  # (unit, global row) candidates
        self._band_files: list[tuple[np.ndarray, Path]] = []  # (units, their band keys)
        # unit -> [(global row, measure, similarity)]
        self.found: dict[int, list[tuple[int, str, float]]] = defaultdict(list)
        self.candidates = 0

    def query_bands(self, units: np.ndarray, keys: np.ndarray) -> None:
        """Note the indexed units that share a band key with ``units`` (and keep the
        keys for :meth:`add`, when the run's units are to be added)."""
        if len(self.index):
            new, old = self.index.candidates(keys)
            self._near.append((units[new], old))
        if not self.update:
            return
        path = self.work / f"earlier-bands-{len(self._band_files):05d}.npy"
        np.save(path, keys)
        self._band_files.append((units, path))

    def compare(self, items: UnitTable, arrays: UnitArrays, first: np.ndarray) -> None:
        """Exact matches of the units in ``first`` (the first unit of each key) and
        verified near matches of the LSH candidates noted."""
        if not len(self.index):
            return
        eligible = np.flatnonzero(first & (items.n_tokens >= MIN_EXACT_TOKENS))
        keys = np.frombuffer(items.key_column.take(eligible).tobytes(), dtype=np.uint8).reshape(
            -1, 16
        )
        new, old = self.index.exact(keys)
        exact = set()
        for u, g in zip(eligible[new].tolist(), old.tolist(), strict=True):
            self.found[u].append((g, "exact", 1.0))
            exact.add((u, g))
        for units, rows in self._near:
            self.candidates += units.size
            todo = [(u, g) for u, g in zip(units.tolist(), rows.tolist(), strict=True)]
            todo = [(u, g) for u, g in todo if (u, g) not in exact]
            if not todo:
                continue
            flat, bounds = self.index.shingles([g for _, g in todo])
            for k, (u, g) in enumerate(todo):
                sim = jaccard(arrays.shingles[u], flat[bounds[k] : bounds[k + 1]])
                if sim >= self.cfg.near_threshold:
                    self.found[u].append((g, "jaccard", round(sim, 4)))
        self._near.clear()

    def clusters(self, items: UnitTable) -> list[Cluster]:
        """One cluster per indexed unit found: the earlier copy first, then this run's
        (located in their documents or parts, as every cluster before
        :func:`~textwash.dedup.clusters.restore_parts`)."""
        by_row: dict[int, list[tuple[int, str, float]]] = defaultdict(list)
        for u, hits in self.found.items():
            g, measure, sim = min(hits, key=lambda h: (h[0], -h[2]))  # the earliest copy
            by_row[g].append((u, measure, sim))
        rows = sorted(by_row)
        indexed = dict(zip(rows, self.index.units(rows), strict=True)) if rows else {}
        out: list[Cluster] = []
        for g in rows:
            old = indexed[g]
            members = [_indexed_member(old)]
            kinds = set()
            for u, measure, sim in sorted(by_row[g], key=lambda h: items[h[0]].sort_key):
                link = "exact" if measure == "exact" else "near"
                members.append(replace(unit_member(items[u], sim, measure), link=link))
                kinds.add(link)
            kind = "near" if "near" in kinds else "exact"
            out.append(Cluster(f"earlier-{old.run}-{g}", kind, tuple(members)))
        return out

    def add(
        self,
        run_id: str,
        items: UnitTable,
        arrays: UnitArrays,
        parts: Parts,
        first: np.ndarray,
        note: Callable[[str, int, int], None] | None = None,
    ) -> int:
        """Add this run's units (the first of each key, of ``MIN_EXACT_TOKENS`` tokens or
        more) to the index as one update; returns how many."""
        rows = np.flatnonzero(first & (items.n_tokens >= MIN_EXACT_TOKENS))
        bands = self.cfg.bands
        # the band keys kept while signatures were made: which file holds each unit's
        stashed = (
            np.concatenate([u for u, _ in self._band_files])
            if self._band_files
            else np.zeros(0, dtype=np.int64)
        )
        file_no = np.repeat(np.arange(len(self._band_files)), [u.size for u, _ in self._band_files])
        file_at = np.concatenate([[0], np.cumsum([u.size for u, _ in self._band_files])])
        loaded: dict[int, np.ndarray] = {}  # one file at a time, in order
        for c0 in range(0, rows.size, ADD_CHUNK):
            chunk = rows[c0 : c0 + ADD_CHUNK]
            digests = np.frombuffer(items.key_column.take(chunk).tobytes(), dtype=np.uint8).reshape(
                -1, 16
            )
            shapes = np.frombuffer(
                items.shape_column.take(chunk).tobytes(), dtype=np.uint8
            ).reshape(-1, 16)
            band_keys = _fill_keys(digests, bands)
            pos = np.minimum(np.searchsorted(stashed, chunk), max(stashed.size - 1, 0))
            has = stashed[pos] == chunk if stashed.size else np.zeros(chunk.size, dtype=bool)
            for f in np.unique(file_no[pos[has]]).tolist():
                if f not in loaded:
                    loaded.clear()
                    loaded[f] = np.load(self._band_files[f][1])
                mine = np.flatnonzero(has & (file_no[pos] == f))
                band_keys[mine] = loaded[f][pos[mine] - file_at[f]]
            flat, bounds = arrays.shingles.gather(chunk)
            doc_ids, sources, texts = [], [], []
            line = np.zeros(chunk.size, dtype=np.int64)
            end_line, start, end = line.copy(), line.copy(), line.copy()
            for k, u in enumerate(chunk.tolist()):
                it = items[u]
                unit = it.unit
                d, start[k], end[k], line[k], end_line[k] = parts.locate(
                    unit.doc_id, unit.start, unit.end, unit.line, unit.end_line
                )
                doc_ids.append(d)
                sources.append(unit.source)
                texts.append(it.clean[unit.clean_start : unit.clean_end])
            self.index.add(
                run_id,
                IndexUnits(
                    keys=digests,
                    shapes=shapes,
                    tokens=items.n_tokens[chunk],
                    band_keys=band_keys,
                    shingles=flat,
                    shingle_offsets=bounds,
                    doc_id=doc_ids,
                    source=sources,
                    line=line,
                    end_line=end_line,
                    start=start,
                    end=end,
                    text=texts,
                ),
            )
            if note is not None:
                note("index", c0 + chunk.size, rows.size)
        for _, path in self._band_files:
            path.unlink()
        self._band_files.clear()
        return int(rows.size)


def _indexed_member(old: IndexedUnit) -> Member:
    return Member(
        doc_id=old.doc_id,
        unit=-1,
        start=old.start,
        end=old.end,
        line=old.line,
        end_line=old.end_line,
        text=old.text,
        similarity=1.0,
        measure="exact",
        kept=True,
        source=old.source,
        link="kept",
        run=old.run,
    )
