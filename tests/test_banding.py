"""MinHash LSH banding in NumPy: exactly datasketch's MinHashLSH candidate pairs."""

from __future__ import annotations

import random
from collections import defaultdict

import numpy as np
import pytest
from datasketch import MinHashLSH
from hypothesis import given
from hypothesis import strategies as st

from textwash.dedup.banding import band_keys, candidate_pairs, cross_pairs, lsh_params
from textwash.dedup.keys import ngram_hashes, token_array
from textwash.dedup.signatures import signatures_from_flat, to_lean_minhashes

NUM_PERM = 128
NGRAM = 5  # DedupConfig.ngram
# common characters, so that unrelated texts share some shingles by chance
CHARS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说"
    "产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点"
    "从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原"
)


def _texts(seed: int = 7, n_base: int = 1500) -> list[str]:
    """Pseudo-Chinese units: originals, near copies (a few characters changed or
    cut), exact copies (so buckets hold several units) and copies of copies."""
    rng = random.Random(seed)
    texts = [
        "".join(rng.choice(CHARS) for _ in range(rng.randrange(40, 240))) for _ in range(n_base)
    ]
    for _ in range(900):  # near copies
        chars = list(rng.choice(texts))
        for _ in range(rng.randrange(1, 5)):
            chars[rng.randrange(len(chars))] = rng.choice(CHARS)
        if rng.random() < 0.3:
            cut = rng.randrange(1, 8)
            chars = chars[cut:] if rng.random() < 0.5 else chars[:-cut]
        texts.append("".join(chars))
    for _ in range(400):  # exact copies, of originals and of copies
        texts.append(rng.choice(texts))
    rng.shuffle(texts)
    return texts


def _signatures(texts: list[str]) -> np.ndarray:
    """Signatures as find.py's _prepare makes them: 5-token shingles of the token ids."""
    sets = [np.unique(ngram_hashes(token_array(t).ids, NGRAM)) for t in texts]
    offsets = np.concatenate([[0], np.cumsum([s.size for s in sets])])
    return signatures_from_flat(np.concatenate(sets), offsets, num_perm=NUM_PERM)


@pytest.fixture(scope="module")
def sigs() -> np.ndarray:
    return _signatures(_texts())


def _datasketch_pairs(lsh: MinHashLSH, sigs: np.ndarray) -> set[tuple[int, int]]:
    lean = to_lean_minhashes(sigs)
    for i, mh in enumerate(lean):
        lsh.insert(i, mh)
    return {(j, i) for i, mh in enumerate(lean) for j in lsh.query(mh) if j < i}


def _as_set(pairs: np.ndarray) -> set[tuple[int, int]]:
    return set(map(tuple, pairs.tolist()))


def _check_result(pairs: np.ndarray) -> None:
    assert pairs.dtype == np.int64 and pairs.ndim == 2 and pairs.shape[1] == 2
    if pairs.size:
        assert (pairs[:, 0] < pairs[:, 1]).all()
        codes = [tuple(p) for p in pairs.tolist()]
        assert codes == sorted(set(codes))  # sorted and unique


def _brute_pairs(sigs: np.ndarray, bands: int, rows: int) -> set[tuple[int, int]]:
    """The pairs whose band slices are equal in some band, by grouping slice bytes."""
    out: set[tuple[int, int]] = set()
    for k in range(bands):
        buckets: dict[bytes, list[int]] = defaultdict(list)
        for u in range(sigs.shape[0]):
            buckets[sigs[u, k * rows : (k + 1) * rows].tobytes()].append(u)
        out.update((a, b) for units in buckets.values() for a in units for b in units if a < b)
    return out


@pytest.mark.parametrize("threshold", [0.5, 0.7, 0.9])
def test_same_pairs_as_datasketch(sigs: np.ndarray, threshold: float) -> None:
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    assert lsh_params(threshold, NUM_PERM) == (lsh.b, lsh.r)
    expected = _datasketch_pairs(lsh, sigs)
    keys = band_keys(sigs, lsh.b, lsh.r)
    pairs = candidate_pairs(keys, sigs, lsh.r)
    _check_result(pairs)
    assert _as_set(pairs) == expected
    assert _as_set(candidate_pairs(keys)) == expected  # no key collision in practice
    # the test can fail: many pairs, many of them not exact copies
    assert len(expected) > 500
    different = sum(1 for j, i in expected if not (sigs[j] == sigs[i]).all())
    assert different > 100


@pytest.mark.parametrize("params", [(16, 8), (20, 6), (64, 2), (3, 40)])
def test_same_pairs_as_datasketch_explicit_params(
    sigs: np.ndarray, params: tuple[int, int]
) -> None:
    bands, rows = params
    expected = _datasketch_pairs(MinHashLSH(num_perm=NUM_PERM, params=params), sigs)
    pairs = candidate_pairs(band_keys(sigs, bands, rows), sigs, rows)
    _check_result(pairs)
    assert _as_set(pairs) == expected
    assert len(expected) > 500


def test_cross_pairs_split_of_one_index(sigs: np.ndarray) -> None:
    bands, rows = lsh_params(0.7, NUM_PERM)
    keys = band_keys(sigs, bands, rows)
    whole = _as_set(candidate_pairs(keys, sigs, rows))
    found = {}
    for split in (0, 1, 1000, 2500, sigs.shape[0]):
        cross = cross_pairs(keys[split:], keys[:split], sigs[split:], sigs[:split], rows)
        assert cross.dtype == np.int64 and cross.shape[1] == 2
        assert cross.tolist() == sorted(cross.tolist())
        got = {(old, split + new) for old, new in cross.tolist()}
        assert got == {(j, i) for j, i in whole if j < split <= i}
        assert _as_set(cross_pairs(keys[split:], keys[:split])) == _as_set(cross)
        found[split] = len(got)
    assert found[0] == found[sigs.shape[0]] == 0
    assert found[1000] > 500 and found[2500] > 100


def test_cross_pairs_as_datasketch_query(sigs: np.ndarray) -> None:
    lsh = MinHashLSH(threshold=0.7, num_perm=NUM_PERM)
    split = 2000
    lean = to_lean_minhashes(sigs)
    for u in range(split):
        lsh.insert(u, lean[u])
    expected = {
        (old, new - split) for new in range(split, len(lean)) for old in lsh.query(lean[new])
    }
    keys = band_keys(sigs, lsh.b, lsh.r)
    cross = cross_pairs(keys[split:], keys[:split], sigs[split:], sigs[:split], lsh.r)
    assert _as_set(cross) == expected
    assert len(expected) > 500


def test_lsh_params_match_datasketch() -> None:
    for num_perm in (16, 64, 128, 256):
        for threshold in (0.3, 0.5, 0.7, 0.8, 0.9, 0.95):
            try:
                lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
            except ValueError:  # fewer than 2 bands: datasketch refuses, and so do we
                with pytest.raises(ValueError):
                    lsh_params(threshold, num_perm)
            else:
                assert lsh_params(threshold, num_perm) == (lsh.b, lsh.r)
    assert lsh_params(0.7, 128) is lsh_params(0.7, 128)  # cached


def test_no_units_and_one_unit() -> None:
    for n in (0, 1):
        sigs = np.full((n, NUM_PERM), 7, dtype=np.uint32)
        keys = band_keys(sigs, 14, 9)
        assert keys.shape == (n, 14) and keys.dtype == np.uint64
        for pairs in (candidate_pairs(keys), candidate_pairs(keys, sigs, 9)):
            assert pairs.shape == (0, 2) and pairs.dtype == np.int64
        assert cross_pairs(keys, keys[:0]).shape == (0, 2)
        assert cross_pairs(keys[:0], keys, sigs[:0], sigs, 9).shape == (0, 2)
    one = band_keys(np.ones((1, 4), dtype=np.uint32), 2, 2)
    assert cross_pairs(one, one).tolist() == [[0, 0]]  # a unit found in the old index


def test_all_identical_signatures_are_one_bucket() -> None:
    n = 300
    sigs = np.tile(np.arange(NUM_PERM, dtype=np.uint32), (n, 1))
    keys = band_keys(sigs, 14, 9)
    pairs = candidate_pairs(keys, sigs, 9)
    _check_result(pairs)
    assert len(pairs) == n * (n - 1) // 2
    cross = cross_pairs(keys[100:], keys[:100], sigs[100:], sigs[:100], 9)
    assert len(cross) == 100 * 200
    lsh = MinHashLSH(num_perm=NUM_PERM, params=(14, 9))
    assert _as_set(pairs) == _datasketch_pairs(lsh, sigs)


def test_deterministic_and_independent_of_chunk(sigs: np.ndarray) -> None:
    keys = band_keys(sigs, 14, 9)
    for chunk in (1, 7, 1000, 10**6):
        assert np.array_equal(band_keys(sigs, 14, 9, chunk=chunk), keys)
    assert np.array_equal(band_keys(sigs.copy(), 14, 9), keys)
    assert np.array_equal(band_keys(np.asfortranarray(sigs), 14, 9), keys)
    pairs = candidate_pairs(keys, sigs, 9)
    assert np.array_equal(candidate_pairs(keys.copy(), sigs, 9), pairs)
    # a row's keys do not depend on the other rows
    assert np.array_equal(band_keys(sigs[::-1], 14, 9), keys[::-1])
    # the keys are an arithmetic hash of the values: fixed across runs and platforms
    small = band_keys(np.array([[1, 2, 3, 4]], dtype=np.uint32), 2, 2)
    assert small.tolist() == band_keys(np.array([[1, 2, 3, 4]], dtype=">u4"), 2, 2).tolist()


def test_keys_equal_exactly_for_equal_slices(sigs: np.ndarray) -> None:
    bands, rows = 14, 9
    keys = band_keys(sigs, bands, rows)
    for k in range(bands):
        slices = np.unique(sigs[:, k * rows : (k + 1) * rows], axis=0).shape[0]
        assert np.unique(keys[:, k]).size == slices


def test_collisions_are_confirmed_against_the_slices() -> None:
    """Keys that collide (forced here) give only the pairs whose slices are equal."""
    rng = np.random.default_rng(3)
    sigs = rng.integers(0, 3, size=(200, 12), dtype=np.uint32)  # 4 bands of 3: many equal slices
    expected = _brute_pairs(sigs, 4, 3)
    coarse = band_keys(sigs, 4, 3) % np.uint64(5)  # five keys a band: many collisions
    assert _as_set(candidate_pairs(coarse, sigs, 3)) == expected
    assert len(_as_set(candidate_pairs(coarse))) > len(expected)  # unconfirmed: more pairs
    zeros = np.zeros((200, 4), dtype=np.uint64)  # every unit collides with every other
    assert _as_set(candidate_pairs(zeros, sigs, 3)) == expected
    cross = cross_pairs(coarse[120:], coarse[:120], sigs[120:], sigs[:120], 3)
    assert {(o, 120 + n) for o, n in cross.tolist()} == {
        (j, i) for j, i in expected if j < 120 <= i
    }
    cross = cross_pairs(zeros[120:], zeros[:120], sigs[120:], sigs[:120], 3)
    assert {(o, 120 + n) for o, n in cross.tolist()} == {
        (j, i) for j, i in expected if j < 120 <= i
    }


@given(
    st.integers(0, 40),
    st.integers(1, 4),
    st.integers(1, 4),
    st.integers(1, 4),
    st.integers(0, 2**32 - 1),
    st.data(),
)
def test_pairs_are_equal_band_slices(
    n: int, bands: int, rows: int, values: int, seed: int, data: st.DataObject
) -> None:
    """On small alphabets (many equal slices) and coarse keys (many collisions)."""
    rng = np.random.default_rng(seed)
    width = bands * rows + data.draw(st.integers(0, 3))  # unused values after the bands
    sigs = rng.integers(0, values, size=(n, width), dtype=np.uint32)
    expected = _brute_pairs(sigs, bands, rows)
    keys = band_keys(sigs, bands, rows)
    pairs = candidate_pairs(keys, sigs, rows)
    _check_result(pairs)
    assert _as_set(pairs) == expected
    assert _as_set(candidate_pairs(keys)) == expected
    coarse = keys % np.uint64(data.draw(st.integers(1, 4)))
    assert _as_set(candidate_pairs(coarse, sigs, rows)) == expected
    split = data.draw(st.integers(0, n))
    for k in (keys, coarse):
        cross = cross_pairs(k[split:], k[:split], sigs[split:], sigs[:split], rows)
        assert cross.tolist() == sorted(cross.tolist())
        got = {(old, split + new) for old, new in cross.tolist()}
        assert got == {(j, i) for j, i in expected if j < split <= i}


def test_bad_arguments() -> None:
    sigs = np.zeros((3, 8), dtype=np.uint32)
    with pytest.raises(ValueError, match="do not fit"):
        band_keys(sigs, 3, 3)
    with pytest.raises(TypeError, match="uint32"):
        band_keys(sigs.astype(np.int64), 2, 4)
    keys = band_keys(sigs, 2, 4)
    with pytest.raises(ValueError, match="rows"):
        candidate_pairs(keys, sigs)
    with pytest.raises(ValueError, match="do not match"):
        candidate_pairs(keys, sigs[:2], 4)
    with pytest.raises(ValueError, match="uint64"):
        candidate_pairs(keys.astype(np.int64))
    with pytest.raises(ValueError, match="both"):
        cross_pairs(keys, keys, sigs, None, 4)
    with pytest.raises(ValueError, match="bands"):
        cross_pairs(keys, keys[:, :1])
