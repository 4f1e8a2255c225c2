"""pooled_arrays: large temporaries from Arrow's pool give numpy's values, stay writable and
alive as long as an Arrow array made from them; small ones are numpy's own."""

from __future__ import annotations

import gc

import numpy as np
import pyarrow as pa

from helios_core import pooled_arrays


def test_large_arrays_come_from_arrows_pool_with_numpys_values():
    pool = pa.default_memory_pool()
    n = pooled_arrays.POOLED_MIN_BYTES // 8 + 12_345
    before = pool.bytes_allocated()
    rows = pooled_arrays.arange(1_000, n)
    assert pool.bytes_allocated() - before >= n * 8
    assert isinstance(rows.base, pa.Buffer) or isinstance(getattr(rows.base, "obj", None), pa.Buffer)
    assert np.array_equal(rows, np.arange(1_000, 1_000 + n))
    pieces = [np.arange(5), np.arange(n, dtype=np.int64), np.array([-1], np.int64)]
    assert np.array_equal(pooled_arrays.concatenate(pieces, np.int64), np.concatenate(pieces))
    ids = np.arange(n, dtype=np.int32)
    wide = pooled_arrays.converted(ids, np.intp)
    assert wide.dtype == np.intp and np.array_equal(wide, ids)
    assert pooled_arrays.converted(wide, np.intp) is wide
    copied = pooled_arrays.converted(wide, np.intp, copy=True)
    copied[0] = 7
    assert wide[0] == 0 and copied[0] == 7
    arrow = pa.array(rows)  # zero-copy: the pool's buffer lives as long as the Arrow array
    del rows, wide, copied
    gc.collect()
    assert arrow[5].as_py() == 1_005 and arrow[-1].as_py() == 1_000 + n - 1


def test_small_arrays_stay_numpys():
    small = pooled_arrays.arange(3, 10)
    assert small.base is None and small.tolist() == list(range(3, 13))
    assert pooled_arrays.empty(4, np.float64).base is None
