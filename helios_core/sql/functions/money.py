"""PostgreSQL's money: a signed 64-bit count of cents, shown as lc_monetary C shows it.

Values are int64 cents ('$1,234.56' is 123456). Text I/O follows PostgreSQL with
lc_monetary = C: output '$1,234.56' / '-$1,234.56'; input takes an optional sign or
parentheses for negatives, an optional '$', ',' between digit groups and rounds a third
fractional digit half up. Arithmetic as PostgreSQL does it: money +/- money, money * and /
integers (division truncates toward zero) and floats (the product or quotient is rounded to
the nearest cent, ties to even), money / money is double precision; every overflow is 22003
"money out of range".
"""

from __future__ import annotations

import decimal
import math
import re
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import DivisionByZero, InvalidTextRepresentation, NumericValueOutOfRange
from helios_core.sql import types as T
from helios_core.sql.functions.vec import Vec, length_of

_MIN, _MAX = -(2**63), 2**63 - 1
_INPUT = re.compile(r"^\s*(?P<open>\()?\s*(?P<sign>[-+])?\s*\$?\s*(?P<int>[0-9][0-9,]*)?(?:\.(?P<frac>[0-9]*))?"
                    r"\s*(?P<close>\))?\s*(?P<tsign>-)?\s*$")


def _out_of_range() -> NumericValueOutOfRange:
    return NumericValueOutOfRange("money out of range")


def _checked(v: int) -> int:
    if not _MIN <= v <= _MAX:
        raise _out_of_range()
    return v


def parse_one(text: str) -> int:
    """One money input string as cents."""
    m = _INPUT.match(text)
    if m is None or (m["int"] is None and not m["frac"]) or bool(m["open"]) != bool(m["close"]):
        raise InvalidTextRepresentation(f'invalid input syntax for type money: "{text}"')
    digits = (m["int"] or "0").replace(",", "")
    frac = m["frac"] or ""
    cents = int(digits) * 100 + int((frac + "00")[:2])
    if len(frac) > 2 and frac[2] >= "5":
        cents += 1
    if m["open"] or m["sign"] == "-" or m["tsign"]:
        cents = -cents
    if not _MIN <= cents <= _MAX:
        raise NumericValueOutOfRange(f'value "{text}" is out of range for type money')
    return cents


def parse(arr: pa.Array) -> pa.Array:
    return pa.array([None if s is None else parse_one(s) for s in arr.to_pylist()], pa.int64())


def text_one(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{frac:02d}"


def text(arr: pa.Array) -> pa.Array:
    return pa.array([None if c is None else text_one(c) for c in arr.to_pylist()], pa.string())


def from_numeric(vals: list[Any]) -> pa.Array:
    """numeric (or integer) values as money: cents rounded half away from zero, 22003 past int64."""
    out = []
    for d in vals:
        if d is None:
            out.append(None)
            continue
        d = decimal.Decimal(d)
        if not d.is_finite():
            raise _out_of_range()
        c = int((d * 100).quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_UP,
                                  context=decimal.Context(prec=200)))
        out.append(_checked(c))
    return pa.array(out, pa.int64())


def to_numeric(arr: pa.Array) -> pa.Array:
    """money as numeric with two fractional digits."""
    return pa.array([None if c is None else decimal.Decimal(c).scaleb(-2) for c in arr.to_pylist()],
                    pa.decimal128(21, 2))


def _rint(x: float) -> int:
    if math.isnan(x) or math.isinf(x) or not _MIN <= x <= _MAX:
        raise _out_of_range()
    return _checked(round(x))  # Python's round() ties to even, as C's rint()


def arithmetic(op: str, l: Vec, r: Vec) -> Vec | None:
    """l op r where a side is money, or None when PostgreSQL has no such operator."""
    a, b = l.type.name, r.type.name
    n = length_of([l, r])
    scalar = l.scalar and r.scalar
    xs = l.broadcast(n).array.to_pylist()
    ys = r.broadcast(n).array.to_pylist()
    ints = ("int2", "int4", "int8")
    floats = ("float4", "float8")
    rows = list(zip(xs, ys, strict=True))

    def each(f: Any, sql: T.SqlType = T.MONEY) -> Vec:
        return Vec(pa.array([None if x is None or y is None else f(x, y) for x, y in rows], sql.arrow_type), sql,
                   scalar)

    if a == b == "money":
        if op == "+":
            return each(lambda x, y: _checked(x + y))
        if op == "-":
            return each(lambda x, y: _checked(x - y))
        if op == "/":
            return each(lambda x, y: _float_div(x, y), T.FLOAT8)
        return None
    if a == "money" and b in ints:
        if op == "*":
            return each(lambda x, y: _checked(x * y))
        if op == "/":
            return each(_int_div)
    if a in ints and b == "money" and op == "*":
        return each(lambda x, y: _checked(x * y))
    if a == "money" and b in floats:
        if op == "*":
            return each(lambda x, y: _rint(x * y))
        if op == "/":
            return each(lambda x, y: _rint(_float_div(x, y)))
    if a in floats and b == "money" and op == "*":
        return each(lambda x, y: _rint(x * y))
    return None


def _float_div(x: float, y: float) -> float:
    if y == 0:
        raise DivisionByZero("division by zero")
    return x / y


def _int_div(x: int, y: int) -> int:
    if y == 0:
        raise DivisionByZero("division by zero")
    q = abs(x) // abs(y)
    return q if (x < 0) == (y < 0) else -q


def larger_smaller(args: list[Vec], larger: bool) -> Vec:
    n = length_of(args)
    a, b = (v.broadcast(n).array for v in args)
    pick = pc.greater(a, b) if larger else pc.less(a, b)
    return Vec(pc.if_else(pick, a, b), T.MONEY, all(v.scalar for v in args))


# ----------------------------------------------------------------------------- cash_words
_SMALL = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
          "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_GROUPS = [(10**15, "quadrillion"), (10**12, "trillion"), (10**9, "billion"), (10**6, "million"),
           (10**3, "thousand")]


def _below_thousand(v: int) -> str:
    words = []
    hundreds, rest = divmod(v, 100)
    if hundreds:
        words.append(f"{_SMALL[hundreds]} hundred")
    if rest >= 20:
        words.append(_TENS[rest // 10] + (f" {_SMALL[rest % 10]}" if rest % 10 else ""))
    elif rest or not hundreds:
        words.append(_SMALL[rest])
    return " ".join(words)


def words_one(cents: int) -> str:
    """The amount in English words, as PostgreSQL's cash_words spells it."""
    prefix = "minus " if cents < 0 else ""
    value = abs(cents)
    dollars, rest = divmod(value, 100)
    parts = []
    for size, name in _GROUPS:
        group, dollars = divmod(dollars, size)
        if group:
            parts.append(f"{_below_thousand(group)} {name}")
    if dollars or not parts:
        parts.append(_below_thousand(dollars))
    whole = value // 100
    out = (prefix + " ".join(parts) + (" dollar and " if whole == 1 else " dollars and ") +
           _below_thousand(rest) + (" cent" if rest == 1 else " cents"))
    return out[0].upper() + out[1:]


def cash_words(v: Vec) -> Vec:
    return Vec(pa.array([None if c is None else words_one(c) for c in v.array.to_pylist()], pa.string()),
               T.TEXT, v.scalar)
