"""SpilledRagged reads back exactly what Ragged holds, whatever the order of the rows asked."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from textwash.dedup import spill
from textwash.dedup.ragged import Ragged
from textwash.dedup.spill import SpilledRagged


def _both(tmp_path, batches):
    mem, disk = Ragged(np.uint32), SpilledRagged(np.uint32, tmp_path / "rows.u32")
    for rows in batches:
        data = np.concatenate(rows) if rows else np.zeros(0, dtype=np.uint32)
        lengths = [r.size for r in rows]
        mem.extend(data, lengths)
        disk.extend(data, lengths)
    mem.freeze()
    disk.freeze()
    return mem, disk


rows_st = st.lists(
    st.lists(
        st.lists(st.integers(0, 2**32 - 1), max_size=40).map(
            lambda v: np.array(v, dtype=np.uint32)
        ),
        max_size=30,
    ),
    max_size=5,
)


@settings(max_examples=150, deadline=None)
@given(
    batches=rows_st,
    picks=st.lists(st.integers(0, 10**6), max_size=60),
    gap=st.sampled_from([0, 8, 1 << 16]),
)
def test_spilled_rows_equal_the_rows_in_memory(tmp_path_factory, batches, picks, gap):
    tmp = tmp_path_factory.mktemp("spill")
    old = spill._COALESCE_BYTES
    spill._COALESCE_BYTES = gap  # one read per row, or runs read at once
    try:
        mem, disk = _both(tmp, batches)
        assert len(mem) == len(disk)
        assert np.array_equal(mem.lengths(), disk.lengths())
        for i in range(len(mem)):
            assert np.array_equal(mem[i], disk[i])
        if len(mem):
            rows = [p % len(mem) for p in picks]
            for got, want in zip(disk.gather(rows), mem.gather(rows), strict=True):
                assert np.array_equal(got, want)
            a, b = sorted((picks[0] % len(mem), picks[-1] % len(mem))) if picks else (0, len(mem))
            flat, bounds = disk.span(a, b)
            want, wbounds = mem.gather(list(range(a, b)))
            assert np.array_equal(flat, want) and np.array_equal(bounds, wbounds)
        disk.close()
        assert not (tmp / "rows.u32").exists()
    finally:
        spill._COALESCE_BYTES = old


def test_a_short_file_is_an_error_naming_it(tmp_path):
    disk = SpilledRagged(np.uint32, tmp_path / "rows.u32")
    disk.extend(np.arange(10, dtype=np.uint32), [10])
    disk.freeze()
    (tmp_path / "rows.u32").write_bytes(b"\0" * 8)  # truncated behind its back
    try:
        disk[0]
    except OSError as exc:
        assert "rows.u32" in str(exc)
    else:
        raise AssertionError("a short read went unnoticed")
