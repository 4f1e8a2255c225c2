"""JSON, JSONCompact, JSONEachRow (and JSONCompactEachRow) as ClickHouse writes them.

JSON/JSONCompact: tab-indented ``meta``, ``data``, optional ``totals``/``extremes``,
``rows``, ``rows_before_limit_at_least`` (when the query has a LIMIT) and ``statistics``
(unless ``output_format_write_statistics = 0``). 64-bit integers are quoted when
``output_format_json_quote_64bit_integers = 1``; ``/`` is escaped as ``\\/``.
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
import time
import uuid
from typing import Any

from helios_protocol_clickhouse.formats.text import rows_of
from helios_protocol_clickhouse.formats.values import TextRenderer

_QUOTED_INTS = ("Int64", "UInt64", "Int128", "UInt128", "Int256", "UInt256")


def _on(settings: dict[str, str], key: str, default: str) -> bool:
    return str(settings.get(key, default)).lower() in ("1", "true")


def json_string(s: str) -> str:
    return json.dumps(s, ensure_ascii=False).replace("/", "\\/")


class _JsonValue:
    def __init__(self, ch_type: str, settings: dict[str, str]) -> None:
        self.text = TextRenderer(ch_type, settings)
        self.quote_ints = _on(settings, "output_format_json_quote_64bit_integers", "0")
        self.named_objects = _on(settings, "output_format_json_named_tuples_as_objects", "1")
        self.settings = settings

    def __call__(self, v: Any, r: TextRenderer | None = None) -> str:
        r = r or self.text
        if v is None:
            return "null"
        if isinstance(v, bool):
            if r.kind != "Bool":
                return "1" if v else "0"
            return "true" if v else "false"
        quoted = self.quote_ints and r.kind in _QUOTED_INTS  # inside arrays and tuples too
        if isinstance(v, int):
            return f'"{v}"' if quoted else str(v)
        if isinstance(v, decimal.Decimal) and quoted:  # a UInt64 the kernel holds as a decimal
            return f'"{r.text(v)}"'
        if isinstance(v, float):
            if math.isnan(v) or math.isinf(v):
                return "null"
            return r.text(v) or "null"
        if isinstance(v, decimal.Decimal):
            return r.text(v) or "null"
        if isinstance(v, list):
            element = r.element or r
            return "[" + ",".join(self(x, element) for x in v) + "]"
        if isinstance(v, tuple):
            return "[" + ",".join(self(x, r.fields[i] if i < len(r.fields) else r) for i, x in enumerate(v)) + "]"
        if isinstance(v, dict) and r.kind == "Tuple":  # a tuple: an array, an object when its elements are named
            names = [a.name if hasattr(a, "type") else None for a in r.type.inner.args]  # named elements
            items = [self(x, r.fields[i] if i < len(r.fields) else r) for i, x in enumerate(v.values())]
            if self.named_objects and names and all(names):
                return "{" + ",".join(f"{json_string(str(n))}:{x}" for n, x in zip(names, items, strict=False)) + "}"
            return "[" + ",".join(items) + "]"
        if isinstance(v, dict):
            return "{" + ",".join(f"{json_string(str(k))}:{self(x, r)}" for k, x in v.items()) + "}"
        if isinstance(v, str | datetime.date | uuid.UUID | bytes):
            return json_string(r.text(v) or "")
        return json_string(str(v))


def _block(result: Any, settings: dict[str, str], *, compact: bool) -> tuple[bytes, str]:
    start = getattr(result, "started", None) or time.perf_counter()
    cols = result.columns or []
    values = [_JsonValue(c.type, settings) for c in cols]
    names = [json_string(c.name) for c in cols]
    out = ["{\n", '\t"meta":\n', "\t[\n"]
    out.append(",\n".join(f'\t\t{{\n\t\t\t"name": {n},\n\t\t\t"type": {json_string(c.type)}\n\t\t}}'
                          for n, c in zip(names, cols, strict=True)))
    out.append("\n\t],\n\n" if cols else "\t],\n\n")

    def row_text(row: tuple, indent: str) -> str:
        if compact:
            return indent + "[" + ", ".join(f(v) for f, v in zip(values, row, strict=True)) + "]"
        inner = ",\n".join(f"{indent}\t{n}: {f(v)}" for n, f, v in zip(names, values, row, strict=True))
        return f"{indent}{{\n{inner}\n{indent}}}"

    rows = [row_text(row, "\t\t") for row in rows_of(result.batches)]
    out.append('\t"data":\n\t[\n')
    out.append(",\n".join(rows) + "\n")
    out.append("\t],\n\n")
    if result.totals is not None:
        totals = next(iter(rows_of([result.totals])))
        if compact:
            out.append('\t"totals": [' + ", ".join(f(v) for f, v in zip(values, totals, strict=True)) + "],\n\n")
        else:
            inner = ",\n".join(f"\t\t{n}: {f(v)}" for n, f, v in zip(names, values, totals, strict=True))
            out.append(f'\t"totals":\n\t{{\n{inner}\n\t}},\n\n')
    extremes = getattr(result, "extremes", None)
    if extremes is not None:
        low, high = list(rows_of([extremes]))
        if compact:
            parts = [f'\t\t"{k}": [' + ", ".join(f(v) for f, v in zip(values, row, strict=True)) + "]"
                     for k, row in (("min", low), ("max", high))]
        else:
            parts = []
            for k, row in (("min", low), ("max", high)):
                inner = ",\n".join(f"\t\t\t{n}: {f(v)}" for n, f, v in zip(names, values, row, strict=True))
                parts.append(f'\t\t"{k}":\n\t\t{{\n{inner}\n\t\t}}')
        out.append('\t"extremes":\n\t{\n' + ",\n".join(parts) + "\n\t},\n\n")
    out.append(f'\t"rows": {result.rows}')
    if result.rows_before_limit is not None:
        out.append(f',\n\n\t"rows_before_limit_at_least": {result.rows_before_limit}')
    if _on(settings, "output_format_write_statistics", "1"):
        elapsed = max(time.perf_counter() - start, 0.000001)
        out.append(f',\n\n\t"statistics":\n\t{{\n\t\t"elapsed": {elapsed:.6f},\n\t\t"rows_read": {result.rows},'
                   f'\n\t\t"bytes_read": 0\n\t}}')
    out.append("\n}\n")
    return "".join(out).encode(), "application/json; charset=UTF-8"


def _each_row(result: Any, settings: dict[str, str], *, compact: bool) -> tuple[bytes, str]:
    cols = result.columns or []
    values = [_JsonValue(c.type, settings) for c in cols]
    names = [json_string(c.name) for c in cols]
    out = []
    for row in rows_of(result.batches):
        if compact:
            out.append("[" + ", ".join(f(v) for f, v in zip(values, row, strict=True)) + "]\n")
        else:
            out.append("{" + ",".join(f"{n}:{f(v)}" for n, f, v in zip(names, values, row, strict=True)) + "}\n")
    return "".join(out).encode(), "application/x-ndjson; charset=UTF-8"


WRITERS = {
    "JSON": lambda r, s: _block(r, s, compact=False),
    "JSONCompact": lambda r, s: _block(r, s, compact=True),
    "JSONEachRow": lambda r, s: _each_row(r, s, compact=False),
    "JSONCompactEachRow": lambda r, s: _each_row(r, s, compact=True),
}


def _read_each_row(payload: bytes, columns: list[tuple[str, str]], settings: dict[str, str]) -> list[list[Any]]:
    names = [c[0] for c in columns]
    rows = []
    for line in payload.decode().splitlines():
        if line.strip():
            obj = json.loads(line)
            rows.append([obj.get(n) for n in names])
    return rows


READERS = {"JSONEachRow": _read_each_row}
