"""Vectorised MinHash signatures: bit-identical to datasketch "affine32", LSH-compatible."""

from __future__ import annotations

import pickle
import random
import zlib

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash, MinHashLSH
from hypothesis import given
from hypothesis import strategies as st

import textwash.dedup.signatures as sigmod
from textwash.dedup.keys import shingles
from textwash.dedup.signatures import (
    EMPTY_HASH,
    permutations,
    signatures,
    signatures_from_flat,
    to_lean_minhashes,
)

U32_MAX = 0xFFFFFFFF


def _identity(x: int) -> int:
    return x


def random_units(n: int, seed: int) -> list[set[int]]:
    """``n`` shingle sets: empty, single, small, paragraph-sized and a few large ones."""
    rng = random.Random(seed)
    sizes = [0, 1, 2, 3, 7, 30, 120, 200, 250, 600]
    units: list[set[int]] = []
    for i in range(n):
        k = 5000 + rng.randrange(15000) if i % 500 == 499 else rng.choice(sizes)
        units.append({rng.getrandbits(32) for _ in range(k)})
    # the extremes of the input range, and the all-zero / all-max edge cases
    units += [{0}, {U32_MAX}, {0, U32_MAX}, {0, 1, 2, 3}, set()]
    return units


def datasketch_values(units: list[set[int]], num_perm: int, seed: int) -> np.ndarray:
    sketches = MinHash.bulk(units, num_perm=num_perm, seed=seed, hashfunc=_identity)
    return np.stack([m.hashvalues for m in sketches])


@pytest.mark.parametrize(("num_perm", "seed"), [(128, 1), (64, 1), (128, 7), (64, 2024)])
def test_bit_identical_to_datasketch(num_perm, seed):
    units = random_units(3000, seed=num_perm * 1000 + seed)
    assert any(len(u) > 5000 for u in units) and any(not u for u in units)
    ours = signatures(units, num_perm=num_perm, seed=seed)
    ref = datasketch_values(units, num_perm, seed)
    assert ours.dtype == ref.dtype == np.uint32
    assert ours.shape == (len(units), num_perm)
    assert ours.flags.c_contiguous
    bad = np.flatnonzero((ours != ref).any(axis=1))
    assert bad.size == 0, f"units differing from datasketch: {bad[:10]}"


def test_single_update_path_and_empty_sentinel():
    # update() one value at a time and a fresh MinHash per unit, not just bulk()
    units = [set(), {5}, {5, 6}, {U32_MAX, 0, 123456789}]
    ours = signatures(units, num_perm=32, seed=3)
    for unit, row in zip(units, ours, strict=True):
        m = MinHash(num_perm=32, seed=3, hashfunc=_identity)
        for h in sorted(unit):
            m.update(h)
        assert np.array_equal(m.hashvalues, row)
    assert (ours[0] == EMPTY_HASH).all()
    assert to_lean_minhashes(ours[:1], seed=3)[0].is_empty()


def test_textwash_shingles_of_chinese_text():
    text = "公安机关的群众工作是党的群众工作的重要方面，也是公安工作的光荣传统，必须长期坚持下去。"
    units = [shingles(list(text[i:]), 5) for i in range(0, len(text), 3)]
    assert np.array_equal(signatures(units), datasketch_values(units, 128, 1))


def test_permutations_match_datasketch_and_are_cached():
    for num_perm, seed in [(128, 1), (64, 1), (128, 7), (1, 0)]:
        a, b = permutations(num_perm, seed)
        ref = MinHash(num_perm=num_perm, seed=seed).permutations
        assert ref.dtype == a.dtype == b.dtype == np.uint32
        assert np.array_equal(a, ref[0]) and np.array_equal(b, ref[1])
        assert permutations(num_perm, seed)[0] is a
        assert not a.flags.writeable and not b.flags.writeable
        assert (a & 1).all()


def test_units_spanning_computation_pieces(monkeypatch):
    # tiny pieces: every unit is split across several of them, pieces start mid-unit
    units = [*random_units(300, seed=5)[:300], set(range(1000)), {9}, set()]
    ref = datasketch_values(units, 16, 1)
    for piece in (16, 16 * 7, 16 * 97, 1):
        monkeypatch.setattr(sigmod, "_PIECE_ELEMENTS", piece)
        assert np.array_equal(signatures(units, num_perm=16), ref), piece


def test_input_forms_agree():
    units = random_units(60, seed=11)[:60]
    ref = signatures(units, num_perm=32)
    as_lists = [sorted(u) for u in units]
    with_dupes = [list(u) + list(u)[:3] for u in units]
    as_arrays = [np.array(sorted(u), dtype=np.int64) for u in units]
    as_gens = (iter(u) for u in units)
    for form in (as_lists, with_dupes, as_arrays, as_gens, tuple(units)):
        assert np.array_equal(signatures(form, num_perm=32), ref)
    flat = np.array([h for u in as_lists for h in u], dtype=np.uint32)
    offsets = np.cumsum([0] + [len(u) for u in units])
    assert np.array_equal(signatures_from_flat(flat, offsets, num_perm=32), ref)
    rect = np.array([[1, 2, 3], [4, 4, 4], [U32_MAX, 0, 7]], dtype=np.uint64)
    assert np.array_equal(
        signatures(rect, num_perm=32), signatures([{1, 2, 3}, {4}, {U32_MAX, 0, 7}], num_perm=32)
    )
    assert signatures([], num_perm=8).shape == (0, 8)
    assert signatures(np.zeros((2, 0), dtype=np.uint32), num_perm=8).tolist() == [[U32_MAX] * 8] * 2


def test_deterministic_and_independent_of_batching():
    units = random_units(400, seed=3)[:400]
    whole = signatures(units, num_perm=64, seed=9)
    assert np.array_equal(whole, signatures(units, num_perm=64, seed=9))
    # a unit's signature does not depend on what else is in the batch, or where
    halves = np.vstack([signatures(units[200:], num_perm=64, seed=9),
                        signatures(units[:200], num_perm=64, seed=9)])  # fmt: skip
    assert np.array_equal(halves, np.vstack([whole[200:], whole[:200]]))
    alone = np.vstack([signatures([u], num_perm=64, seed=9) for u in units[:50]])
    assert np.array_equal(alone, whole[:50])
    # cache-independent: same values after the permutation cache is dropped
    sigmod._permutations.cache_clear()
    assert np.array_equal(whole, signatures(units, num_perm=64, seed=9))
    # the seed matters; num_perm too (datasketch draws all a's, then all b's, so a
    # 64-permutation signature is not a prefix of the 128-permutation one)
    assert not np.array_equal(whole, signatures(units, num_perm=64, seed=10))
    assert not np.array_equal(signatures(units, num_perm=128, seed=9)[:, :64], whole)


@given(
    st.lists(st.lists(st.integers(0, U32_MAX), max_size=40), max_size=12),
    st.sampled_from([(1, 0), (16, 1), (64, 42)]),
)
def test_property_matches_datasketch(units, params):
    num_perm, seed = params
    ours = signatures(units, num_perm=num_perm, seed=seed)
    base = MinHash(num_perm=num_perm, seed=seed, hashfunc=_identity)
    for unit, row in zip(units, ours, strict=True):
        m = base.copy()
        m.update_batch(unit)
        assert np.array_equal(m.hashvalues, row)


def test_rejects_bad_input():
    with pytest.raises(ValueError, match=r"\[0, 2\*\*32\)"):
        signatures([{1}, {-1}])
    with pytest.raises(ValueError, match=r"unit 1"):
        signatures([{1}, {1 << 32}])
    with pytest.raises(ValueError):
        signatures([np.array([-3, 4])])
    with pytest.raises(TypeError):
        signatures([[1.5]])
    with pytest.raises(TypeError):
        signatures([np.array([1.0, 2.0])])
    for bad in (0, -4, 2.5):
        with pytest.raises(ValueError, match="num_perm"):
            signatures([{1}], num_perm=bad)
    flat = np.arange(5, dtype=np.uint32)
    for offsets in ([1, 5], [0, 4], [0, 3, 2, 5], [], [[0, 5]]):
        with pytest.raises(ValueError, match="offsets"):
            signatures_from_flat(flat, offsets)
    for bad_shape in (np.zeros(4, np.uint32), np.zeros((3, 0), np.uint32)):
        with pytest.raises(ValueError, match="n_units, num_perm"):
            to_lean_minhashes(bad_shape)
    with pytest.raises(ValueError):
        to_lean_minhashes(np.array([[-1, 2]]))


def test_lean_minhashes_equal_datasketch_objects():
    units = random_units(200, seed=8)[:200]
    sigs = signatures(units, num_perm=64, seed=4)
    lean = to_lean_minhashes(sigs, seed=4)
    ref = MinHash.bulk(units, num_perm=64, seed=4, hashfunc=_identity)
    for ours, m in zip(lean, ref, strict=True):
        assert type(ours) is LeanMinHash
        assert ours == LeanMinHash(m)
        assert ours == LeanMinHash(seed=4, hashvalues=m.hashvalues, scheme="affine32")
        assert ours.scheme == "affine32" and ours.seed == 4 and len(ours) == 64
        assert ours.hashvalues.dtype == np.uint32
        assert ours.jaccard(m) == 1.0 and m.jaccard(ours) == 1.0
        assert hash(ours) == hash(LeanMinHash(m))
    # private read-only copy: the caller's array stays writable and independent
    sigs[0, 0] ^= 1
    assert lean[0] == LeanMinHash(ref[0])
    assert not lean[0].hashvalues.flags.writeable
    # serialization round trips
    buf = bytearray(lean[1].bytesize())
    lean[1].serialize(buf)
    assert LeanMinHash.deserialize(buf) == lean[1]
    assert pickle.loads(pickle.dumps(lean[2])) == lean[2]
    # the public constructor path (used if datasketch's LeanMinHash changes) agrees
    sigmod_fast = sigmod._FAST_LEAN
    try:
        sigmod._FAST_LEAN = False
        assert to_lean_minhashes(signatures(units, num_perm=64, seed=4), seed=4) == lean
    finally:
        sigmod._FAST_LEAN = sigmod_fast


def _near_duplicate_corpus(n_base: int, seed: int) -> list[set[int]]:
    """Chinese-like passages, each with a few edited copies, as textwash 5-gram shingle sets."""
    rng = random.Random(seed)
    chars = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产"
    units = []
    for _ in range(n_base):
        text = [rng.choice(chars) for _ in range(rng.randint(30, 120))]
        units.append(text)
        for _ in range(rng.randint(0, 3)):
            copy = list(text)
            for _ in range(rng.randint(0, 6)):  # substitutions and deletions
                k = rng.randrange(len(copy))
                if rng.random() < 0.5:
                    copy[k] = rng.choice(chars)
                else:
                    del copy[k]
            units.append(copy)
    rng.shuffle(units)
    return [shingles(u, 5) for u in units]


@pytest.mark.parametrize(("threshold", "num_perm"), [(0.5, 128), (0.7, 128), (0.8, 64)])
def test_lsh_candidates_identical(threshold, num_perm):
    units = _near_duplicate_corpus(300, seed=int(threshold * 10) + num_perm)
    ref = MinHash.bulk(units, num_perm=num_perm, seed=1, hashfunc=_identity)
    lean = to_lean_minhashes(signatures(units, num_perm=num_perm, seed=1), seed=1)
    lsh_ref = MinHashLSH(threshold=threshold, num_perm=num_perm)
    lsh_ours = MinHashLSH(threshold=threshold, num_perm=num_perm)
    for i, (m, ours) in enumerate(zip(ref, lean, strict=True)):
        lsh_ref.insert(i, m, check_duplication=False)
        lsh_ours.insert(i, ours, check_duplication=False)
    found = 0
    for m, ours in zip(ref, lean, strict=True):
        expected = sorted(lsh_ref.query(m))
        assert sorted(lsh_ours.query(ours)) == expected
        assert sorted(lsh_ref.query(ours)) == expected  # our sketch against datasketch's index
        assert sorted(lsh_ours.query(m)) == expected
        found += len(expected) > 1
    assert found > 50  # the corpus does have near duplicates to find


def test_lsh_refuses_mixing_with_legacy_sketches():
    lean = to_lean_minhashes(signatures([{zlib.crc32(b"x")}], num_perm=32), seed=1)
    lsh = MinHashLSH(threshold=0.5, num_perm=32)
    lsh.insert("ours", lean[0])
    legacy = MinHash(num_perm=32, seed=1, hashfunc=_identity, scheme="legacy")
    legacy.update(zlib.crc32(b"x"))
    with pytest.raises(ValueError, match="scheme"):
        lsh.query(legacy)
