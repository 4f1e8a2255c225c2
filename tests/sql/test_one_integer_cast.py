"""One smallint/integer/bigint value cast to another of those types in Python (cast._one_integer,
what a driver's parameter typed by its value needs): the same value, NULL and 22003 as the
Arrow kernels' path gives, at and past every bound."""

from __future__ import annotations

import importlib

import pyarrow as pa
import pytest

from helios_core.errors import HeliosError
from helios_core.sql import types as T
from helios_core.sql.functions.vec import Vec

C = importlib.import_module("helios_core.sql.functions.cast")  # the package exports a function of that name

TYPES = {"int2": (T.INT2, pa.int16()), "int4": (T.INT4, pa.int32()), "int8": (T.INT8, pa.int64())}
EDGES = [None, 0, 1, -1, 2**15 - 1, -(2**15), 2**15, -(2**15) - 1, 2**31 - 1, -(2**31), 2**31, -(2**31) - 1,
         2**63 - 1, -(2**63)]


def _outcome(fn):
    try:
        out = fn()
    except HeliosError as e:
        return ("error", e.sqlstate, str(e))
    return ("value", out.type.name, out.array.type, out.array.to_pylist(), out.scalar)


@pytest.mark.parametrize("src", sorted(TYPES))
@pytest.mark.parametrize("dst", sorted(TYPES))
def test_one_value_casts_as_the_kernels_do(src, dst):
    src_type, src_arrow = TYPES[src]
    dst_type, _ = TYPES[dst]
    for value in EDGES:
        try:
            arr = pa.array([value], src_arrow)
        except (OverflowError, pa.ArrowInvalid):
            continue  # not a value of the source type
        for scalar in (True, False):
            v = Vec(arr, src_type, scalar)
            general = _outcome(lambda v=v: Vec(C.cast_array_values(v.array, v.type, dst_type), dst_type, v.scalar))
            assert _outcome(lambda v=v: C._one_integer(v, dst_type)) == general, (src, dst, value)
            assert _outcome(lambda v=v: C.cast(v, dst_type)) == general, (src, dst, value)


def test_other_values_take_the_general_path():
    assert C._one_integer(Vec(pa.array([1, 2], pa.int32()), T.INT4), T.INT8) is None  # two values
    assert C._one_integer(Vec(pa.array([1], pa.int32()), T.INT4), T.NUMERIC) is None
    assert C._one_integer(Vec(pa.array([1.0]), T.FLOAT8), T.INT4) is None
