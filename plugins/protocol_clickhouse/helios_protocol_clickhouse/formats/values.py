"""Values as ClickHouse writes them in text formats.

``text_of(value, ch_type)`` is the plain text form (TabSeparated before escaping, CSV before
quoting); ``quoted_of`` the form inside arrays and tuples and in Values (strings in single
quotes). Floats use the shortest form that reads back exactly, in decimal notation for
exponents from -6 to 20 and as ``1e308`` beyond (ClickHouse's rule); ``nan``, ``inf``.
"""

from __future__ import annotations

import datetime
import decimal
import math
import uuid
from typing import Any

import numpy as np

from helios_protocol_clickhouse.types import ChType, parse_type


def format_float(x: float, single: bool = False) -> str:
    """ClickHouse's text of a Float64 (``single``: Float32, shortest float32 digits)."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    text = str(np.float32(x)) if single else repr(x)
    sign, digits, exponent = decimal.Decimal(text).as_tuple()
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    exponent += len(digits) - len(ds)
    point = len(ds) + exponent  # digits before the decimal point
    minus = "-" if sign else ""
    if -6 <= point - 1 < 21:
        if exponent >= 0:
            return minus + ds + "0" * exponent
        if point > 0:
            return minus + ds[:point] + "." + ds[point:]
        return minus + "0." + "0" * (-point) + ds
    mantissa = ds[0] + ("." + ds[1:] if len(ds) > 1 else "")
    return f"{minus}{mantissa}e{point - 1}"


def format_decimal(value: decimal.Decimal, scale: int, trailing_zeros: bool) -> str:
    text = f"{value:.{scale}f}" if scale > 0 else f"{value:.0f}"
    if not trailing_zeros and "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", "-0."):
        text = "0"
    return text


def format_datetime(value: datetime.datetime, precision: int = 0) -> str:
    base = value.strftime("%Y-%m-%d %H:%M:%S")
    if precision > 0:
        base += "." + f"{value.microsecond:06d}"[:precision].ljust(precision, "0")
    return base


_QUOTED_ESCAPES = {"\\": "\\\\", "'": "\\'", "\b": "\\b", "\f": "\\f", "\r": "\\r", "\n": "\\n",
                   "\t": "\\t", "\0": "\\0"}


def quote_string(s: str) -> str:
    """'...' with ClickHouse's escapes (backslash, quote, control characters)."""
    return "'" + "".join(_QUOTED_ESCAPES.get(c, c) for c in s) + "'"


class TextRenderer:
    """Renders values of one ClickHouse type; built once per column."""

    def __init__(self, ch_type: str | ChType, settings: dict[str, str] | None = None) -> None:
        self.type = parse_type(ch_type) if isinstance(ch_type, str) else ch_type
        self.settings = settings or {}
        self.trailing_zeros = self.settings.get("output_format_decimal_trailing_zeros", "0") in ("1", "true")
        inner = self.type.inner
        self.kind = inner.name
        self.scale = 0
        self.precision = 0
        if self.kind == "Decimal" and len(inner.args) > 1:
            self.scale = int(inner.args[1])
        elif self.kind.startswith("Decimal") and inner.args:
            self.scale = int(inner.args[-1])
        if self.kind == "DateTime64" and inner.args:
            self.precision = int(inner.args[0])
        # FixedString(N): values shorter than N bytes are padded with zero bytes, as ClickHouse keeps them
        self.fixed_size = int(inner.args[0]) if self.kind == "FixedString" and inner.args else 0
        self.element: TextRenderer | None = None
        self.fields: list[TextRenderer] = []
        if self.kind == "Array" and inner.args:
            self.element = TextRenderer(inner.args[0], self.settings)
        elif self.kind == "Tuple":
            self.fields = [TextRenderer(getattr(a, "type", a), self.settings) for a in inner.args]

    def text(self, v: Any) -> str | None:
        """The plain text form, None for NULL."""
        if v is None:
            return None
        kind = self.kind
        if isinstance(v, bool):
            return ("true" if v else "false") if kind == "Bool" else ("1" if v else "0")
        if isinstance(v, float):
            return format_float(v, single=kind == "Float32")
        if isinstance(v, int):
            return str(v)
        if isinstance(v, str):
            if self.fixed_size:
                missing = self.fixed_size - len(v.encode())
                return v + "\0" * missing if missing > 0 else v
            return v
        if isinstance(v, decimal.Decimal):
            return format_decimal(v, self.scale, self.trailing_zeros)
        if isinstance(v, datetime.datetime):
            return format_datetime(v, self.precision)
        if isinstance(v, datetime.date):
            return v.isoformat()
        if isinstance(v, list | tuple) and kind in ("Array", "Tuple") or isinstance(v, list):
            return self._composite(v)
        if isinstance(v, tuple):
            return self._composite(v)
        if isinstance(v, dict) and kind != "Map":  # a tuple (record) read as {f1: .., f2: ..}
            return self._composite(tuple(v.values()))
        if isinstance(v, dict):
            return "{" + ",".join(f"{quote_string(str(k))}:{self._quoted_any(x)}" for k, x in v.items()) + "}"
        if isinstance(v, bytes):
            return v.decode("utf-8", "replace")
        if isinstance(v, uuid.UUID):
            return str(v)
        if isinstance(v, datetime.timedelta):
            return str(int(v.total_seconds()))
        return str(v)

    def _quoted_any(self, v: Any) -> str:
        return TextRenderer("String", self.settings).quoted(v) if isinstance(v, str) else (self.text(v) or "NULL")

    def _composite(self, v: list | tuple) -> str:
        if isinstance(v, tuple) or self.kind == "Tuple":
            parts = []
            for i, x in enumerate(v):
                r = self.fields[i] if i < len(self.fields) else _renderer_for_value(x, self.settings)
                parts.append(r.quoted(x))
            return "(" + ",".join(parts) + ")"
        r = self.element or (_renderer_for_value(next((x for x in v if x is not None), None), self.settings))
        return "[" + ",".join(r.quoted(x) for x in v) + "]"

    def quoted(self, v: Any) -> str:
        """The form inside arrays/tuples: strings, dates and UUIDs quoted, NULL as NULL."""
        if v is None:
            return "NULL"
        t = self.text(v)
        scalar_text = isinstance(v, str | datetime.date | uuid.UUID | bytes) or (
            self.kind in ("String", "FixedString", "UUID", "Enum8", "Enum16"))
        if scalar_text and not isinstance(v, list | tuple | dict):
            return quote_string(t or "")
        return t or ""


def _renderer_for_value(v: Any, settings: dict[str, str]) -> TextRenderer:
    if isinstance(v, str):
        return TextRenderer("String", settings)
    if isinstance(v, float):
        return TextRenderer("Float64", settings)
    return TextRenderer("Int64", settings)
