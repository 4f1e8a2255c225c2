"""One decimal coerced to numeric(p,s) in Python (decimals._one_to_typmod, a parameter assigned
to a numeric column): the same rounding (halves away from zero), stored type and 22003 as the
kernels' path gives for the same value among others."""

from __future__ import annotations

import decimal
import random

import pyarrow as pa
import pytest

from helios_core.errors import HeliosError
from helios_core.sql.functions import decimals as D

TYPMODS = [(10, 2), (5, 0), (38, 10), (4, 4), (12, 6), (1, 0), (3, 1)]


def _values(rng: random.Random, source_scale: int) -> list:
    out = [None, decimal.Decimal(0), decimal.Decimal("0.5"), decimal.Decimal("-0.5"), decimal.Decimal("2.5"),
           decimal.Decimal("-2.5"), decimal.Decimal("99999.995"), decimal.Decimal("-0.005")]
    for _ in range(150):
        out.append(decimal.Decimal(rng.randint(-(10**12), 10**12)).scaleb(-rng.randint(0, source_scale)))
    return out


def _outcome(fn):
    try:
        r = fn()
    except HeliosError as e:
        return ("error", e.sqlstate, str(e), getattr(e, "detail", None))
    return ("value", r.type, r.to_pylist())


@pytest.mark.parametrize(("precision", "scale"), TYPMODS)
def test_one_value_takes_the_typmod_as_the_kernels_do(precision, scale):
    rng = random.Random(precision * 100 + scale)
    source = pa.decimal128(20, 6)
    values = _values(rng, 6)
    arr = pa.array(values, source)
    for i in range(len(values)):
        one = arr.slice(i, 1)
        padded = pa.concat_arrays([one, pa.array([0], source)])  # two values: the kernels' path
        quick = _outcome(lambda one=one: D.apply_typmod(one, precision, scale))
        general = _outcome(lambda padded=padded: D.apply_typmod(padded, precision, scale).slice(0, 1))
        assert quick == general, values[i]


def test_one_value_past_the_precision_is_22003():
    with pytest.raises(HeliosError) as e:
        D._one_to_typmod(pa.array([decimal.Decimal("999.995")], pa.decimal128(6, 3)), 5, 2)
    assert e.value.sqlstate == "22003"
