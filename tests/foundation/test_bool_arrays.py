"""numpy booleans packed into Arrow boolean arrays (helios_core.bool_arrays): the same values and
NULLs as ``pa.array`` gives, at lengths that do and do not fill the last byte."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from helios_core import bool_arrays


@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 64, 1000, 122_001])
def test_same_as_pa_array(n: int) -> None:
    rng = np.random.default_rng(n)
    flags = rng.random(n) < 0.3
    valid = rng.random(n) < 0.9
    got = bool_arrays.from_numpy(flags)
    got.validate(full=True)
    assert got.equals(pa.array(flags, pa.bool_()))
    with_nulls = bool_arrays.from_numpy(flags, valid)
    with_nulls.validate(full=True)
    assert with_nulls.equals(pa.array(flags, pa.bool_(), mask=~valid))
    assert with_nulls.null_count == int((~valid).sum())
    assert pa.record_batch({"x": pa.array(np.arange(n))}).filter(got).num_rows == int(flags.sum())
