"""A numeric parameter sent as text without an exponent (a driver's Decimal) is read in Python
(prepared._plain_numeric): the same one-value decimal array, type included, as the general
path's text_in.parse_numeric, and every other spelling left to that path."""

from __future__ import annotations

import importlib
import random

import pyarrow as pa
import pytest

from helios_core.errors import HeliosError
from helios_core.sql import types as T

prepared = importlib.import_module("helios_core.sql.prepared")
F = importlib.import_module("helios_core.sql.functions")


def _general(text: str):
    try:
        return F.cast(F.Vec(pa.array([text], pa.string()), T.TEXT), T.NUMERIC, context="explicit").array
    except HeliosError as e:
        return e.sqlstate


def _texts() -> list[str]:
    rng = random.Random(7)
    fixed = ["9.99", "-0.001", "0", "-0", "+7", ".5", "-.5", "12.", "00012.3400", " 3 ", "\t4\n", "0.000",
             "12345678901234567890123456789012345678", "1234567890123456789012345678901234567.8",
             "99999999999999999999999999999999999999.5", "1e5", "NaN", "-Infinity", "1.2.3", "", " ", "+-1",
             "١٢", "12 3", "0x10", "1_000"]
    for _ in range(400):
        whole = "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 20)))
        frac = "".join(rng.choice("0123456789") for _ in range(rng.randint(0, 20)))
        text = rng.choice(["", "-", "+"]) + whole + (("." + frac) if rng.random() < 0.7 else "")
        fixed.append(text if any(c.isdigit() for c in text) else text + "1")
    return fixed


@pytest.mark.parametrize("text", _texts())
def test_plain_numeric_text_reads_as_the_general_path(text):
    quick = prepared._plain_numeric(text)
    general = _general(text)
    if quick is None:
        return  # the general path reads it (tested with the general path)
    assert isinstance(general, pa.Array)
    assert quick.type == general.type and quick.to_pylist() == general.to_pylist()


def test_bound_numeric_parameters_take_it():
    out = prepared._bind_each([T.NUMERIC, T.NUMERIC, T.numeric(10, 2)], ["12.50", "1e3", "7.5"])
    assert out[0].array.type == pa.decimal128(4, 2) and out[0].array.to_pylist()[0] == prepared.decimal.Decimal("12.50")
    assert out[1].array.to_pylist()[0] == 1000  # an exponent: the general path
    assert out[2].as_py() == prepared.decimal.Decimal("7.50")  # a typed parameter: the general path
