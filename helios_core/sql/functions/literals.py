"""Typing of SQL literals as PostgreSQL does it.

An integer literal is int4 if it fits, else int8, else numeric; one with a point or an
exponent is numeric; a quoted string is of type unknown until context resolves it.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

import pyarrow as pa

from helios_core.sql import types as T
from helios_core.sql.functions.vec import Vec


def number_literal(text: str) -> Vec:
    """The Vec of a numeric literal as written in SQL ('42', '3.14', '1e10')."""
    s = text.strip()
    if s.lstrip("+-").isdigit():
        v = int(s)
        if -(2**31) <= v <= 2**31 - 1:
            return Vec.const(v, T.INT4)
        if -(2**63) <= v <= 2**63 - 1:
            return Vec.const(v, T.INT8)
    from helios_core.errors import NumericValueOutOfRange
    from helios_core.sql.functions.text_in import parse_numeric

    try:
        return Vec(parse_numeric(pa.array([s])), T.NUMERIC, True)
    except (NumericValueOutOfRange, decimal.InvalidOperation):
        # beyond decimal256's 76 digits (1e300, 1e-300): HeliosDB types it double precision
        return Vec.const(float(s), T.FLOAT8)


def string_literal(text: str | None) -> Vec:
    """A quoted literal: type unknown, resolved by the operator/function/column it meets."""
    return Vec(pa.array([text], pa.string()), T.UNKNOWN, True)


def literal(value: Any, type: T.SqlType | None = None) -> Vec:
    """A scalar Vec of a Python value (type inferred like PostgreSQL when not given)."""
    if type is not None:
        if value is None:
            return Vec.null(type)
        if type.name == "numeric":
            from helios_core.sql.functions.decimals import py_to_decimal_array

            arr = py_to_decimal_array([decimal.Decimal(str(value))])
            return Vec(arr, type, True)
        return Vec(pa.array([value], type.arrow_type), type, True)
    if value is None:
        return Vec.null(T.UNKNOWN)
    if isinstance(value, bool):
        return Vec.const(value, T.BOOL)
    if isinstance(value, int):
        return number_literal(str(value)) if value >= 0 else _neg_int(value)
    if isinstance(value, float):
        return Vec.const(value, T.FLOAT8)
    if isinstance(value, decimal.Decimal):
        from helios_core.sql.functions.decimals import py_to_decimal_array

        return Vec(py_to_decimal_array([value]), T.NUMERIC, True)
    if isinstance(value, str):
        return Vec.const(value, T.TEXT)
    if isinstance(value, bytes):
        return Vec.const(value, T.BYTEA)
    if isinstance(value, dt.datetime):
        return Vec.const(value, T.TIMESTAMPTZ if value.tzinfo else T.TIMESTAMP)
    if isinstance(value, dt.date):
        return Vec.const(value, T.DATE)
    if isinstance(value, dt.time):
        return Vec.const(value, T.TIME)
    raise TypeError(f"no SQL literal for {type(value).__name__}")


def _neg_int(v: int) -> Vec:
    if v >= -(2**31):
        return Vec.const(v, T.INT4)
    if v >= -(2**63):
        return Vec.const(v, T.INT8)
    from helios_core.sql.functions.decimals import py_to_decimal_array

    return Vec(py_to_decimal_array([decimal.Decimal(v)]), T.NUMERIC, True)
