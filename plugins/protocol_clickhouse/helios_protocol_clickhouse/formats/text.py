"""TabSeparated and CSV, as ClickHouse writes and reads them.

TabSeparated: a tab between values, ``\\n`` after each row, NULL as ``\\N``, strings with
backslash escapes (``\\t``, ``\\n``, ``\\\\``, ``\\'``...); arrays and tuples in their quoted text
form (``['a','b']``). WITH TOTALS adds an empty line and the totals row; ``extremes = 1``
an empty line and the min and max rows. CSV: strings in double quotes (``"`` doubled),
numbers bare, NULL as ``\\N``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from helios_protocol_clickhouse.formats.values import TextRenderer
from helios_protocol_clickhouse.types import ChType, parse_type

_TSV_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\b": "\\b", "\f": "\\f", "\0": "\\0",
                "'": "\\'"}
_TSV_TABLE = str.maketrans(_TSV_ESCAPES)


def tsv_escape(s: str) -> str:
    return s.translate(_TSV_TABLE)


def rows_of(batches: list[pa.RecordBatch]) -> Iterator[tuple]:
    for batch in batches:
        columns = [c.to_pylist() for c in batch.columns]
        yield from zip(*columns, strict=True)


def _renderers(result: Any, settings: dict[str, str]) -> list[TextRenderer]:
    return [TextRenderer(c.type, settings) for c in result.columns]


def _tsv_value(r: TextRenderer, v: Any, raw: bool) -> str:
    text = r.text(v)
    if text is None:
        return "\\N"
    if raw or r.kind in ("Array", "Tuple", "Map"):
        return text
    return tsv_escape(text)


def _tsv(result: Any, settings: dict[str, str], *, names: bool = False, types: bool = False,
         raw: bool = False) -> tuple[bytes, str]:
    out: list[str] = []
    if result.columns is None:
        return b"", "text/tab-separated-values; charset=UTF-8"
    header = (lambda text: text) if raw else tsv_escape  # the Raw forms write names as they are
    if names:
        out.append("\t".join(header(c.name) for c in result.columns) + "\n")
    if types:
        out.append("\t".join(header(c.type) for c in result.columns) + "\n")
    renderers = _renderers(result, settings)

    def line(row: tuple) -> str:
        return "\t".join(_tsv_value(r, v, raw) for r, v in zip(renderers, row, strict=True)) + "\n"

    out.extend(line(row) for row in rows_of(result.batches))
    if result.totals is not None:
        out.append("\n")
        out.extend(line(row) for row in rows_of([result.totals]))
    extremes = getattr(result, "extremes", None)
    if extremes is not None:
        out.append("\n")
        out.extend(line(row) for row in rows_of([extremes]))
    return "".join(out).encode(), "text/tab-separated-values; charset=UTF-8"


def _csv_value(r: TextRenderer, v: Any) -> str:
    if r.kind == "Tuple" and isinstance(v, dict) and r.fields:  # a tuple: its elements as fields of their own
        return ",".join(_csv_value(f, x) for f, x in zip(r.fields, v.values(), strict=False))
    text = r.text(v)
    if text is None:
        return "\\N"
    if isinstance(v, bool | int | float) or r.kind in ("Decimal", "Decimal32", "Decimal64", "Decimal128"):
        return text
    return '"' + text.replace('"', '""') + '"'


def _csv_fields(name: str, ch_type: ChType) -> list[tuple[str, str]]:
    """A column's CSV header fields: a tuple's elements are fields of their own, named
    ``name.1`` (or ``name.element``) and typed by the element, nested tuples in turn."""
    inner = ch_type.inner
    if inner.name != "Tuple" or not inner.args or ch_type.nullable:
        return [(name, str(ch_type))]
    fields = []
    for i, arg in enumerate(inner.args, 1):
        if isinstance(arg, ChType):
            fields.extend(_csv_fields(f"{name}.{i}", arg))
        else:  # a named element
            fields.extend(_csv_fields(f"{name}.{arg.name}", arg.type))
    return fields


def _csv(result: Any, settings: dict[str, str], *, names: bool = False, types: bool = False) -> tuple[bytes, str]:
    if result.columns is None:
        return b"", "text/csv; charset=UTF-8; header=absent"
    out: list[str] = []
    header = [f for c in result.columns for f in _csv_fields(c.name, parse_type(c.type))]
    if names:
        out.append(",".join('"' + n.replace('"', '""') + '"' for n, _ in header) + "\n")
    if types:
        out.append(",".join('"' + t + '"' for _, t in header) + "\n")
    renderers = _renderers(result, settings)
    for row in rows_of(result.batches):
        out.append(",".join(_csv_value(r, v) for r, v in zip(renderers, row, strict=True)) + "\n")
    for extra in (result.totals, getattr(result, "extremes", None)):  # after an empty line, as in TabSeparated
        if extra is not None:
            out.append("\n")
            out.extend(",".join(_csv_value(r, v) for r, v in zip(renderers, row, strict=True)) + "\n"
                       for row in rows_of([extra]))
    header = "present" if names else "absent"
    return "".join(out).encode(), f"text/csv; charset=UTF-8; header={header}"


def _values(result: Any, settings: dict[str, str]) -> tuple[bytes, str]:
    """Values: each row as a parenthesised tuple of quoted values, rows joined by commas, no newline."""
    if result.columns is None:
        return b"", "text/plain; charset=UTF-8"
    renderers = _renderers(result, settings)
    rows = ["(" + ",".join(r.quoted(v) for r, v in zip(renderers, row, strict=True)) + ")"
            for row in rows_of(result.batches)]
    return ",".join(rows).encode(), "text/plain; charset=UTF-8"


def _tskv(result: Any, settings: dict[str, str]) -> tuple[bytes, str]:
    """TSKV: ``name=value`` pairs separated by tabs, a row per line (TabSeparated's escapes, and ``=``)."""
    if result.columns is None:
        return b"", "text/plain; charset=UTF-8"
    renderers = _renderers(result, settings)
    names = [tsv_escape(c.name).replace("=", "\\=") for c in result.columns]
    out = ["\t".join(f"{n}={_tsv_value(r, v, False)}" for n, r, v in zip(names, renderers, row, strict=True)) + "\n"
           for row in rows_of(result.batches)]
    return "".join(out).encode(), "text/plain; charset=UTF-8"


WRITERS = {
    "Values": _values,
    "TSKV": _tskv,
    "TabSeparated": lambda r, s: _tsv(r, s),
    "TabSeparatedRaw": lambda r, s: _tsv(r, s, raw=True),
    "TabSeparatedRawWithNames": lambda r, s: _tsv(r, s, raw=True, names=True),
    "TabSeparatedRawWithNamesAndTypes": lambda r, s: _tsv(r, s, raw=True, names=True, types=True),
    "TabSeparatedWithNames": lambda r, s: _tsv(r, s, names=True),
    "TabSeparatedWithNamesAndTypes": lambda r, s: _tsv(r, s, names=True, types=True),
    "CSV": lambda r, s: _csv(r, s),
    "CSVWithNames": lambda r, s: _csv(r, s, names=True),
    "CSVWithNamesAndTypes": lambda r, s: _csv(r, s, names=True, types=True),
}


# -- input ---------------------------------------------------------------------------------

_UNESCAPES = {"t": "\t", "n": "\n", "r": "\r", "b": "\b", "f": "\f", "0": "\0", "\\": "\\", "'": "'",
              "\"": "\"", "a": "\a", "v": "\v", "N": None}


def tsv_unescape(field: str) -> str | None:
    if field == "\\N":
        return None
    if "\\" not in field:
        return field
    out = []
    i = 0
    while i < len(field):
        c = field[i]
        if c == "\\" and i + 1 < len(field):
            nxt = field[i + 1]
            out.append(_UNESCAPES.get(nxt, "\\" + nxt) or "")
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _read_tsv(payload: bytes, columns: list[tuple[str, str]], settings: dict[str, str], *,
              skip: int = 0) -> list[list[str | None]]:
    lines = payload.decode().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    rows = [[tsv_unescape(f) for f in line.split("\t")] for line in lines[skip:]]
    return rows


def _read_csv(payload: bytes, columns: list[tuple[str, str]], settings: dict[str, str], *,
              skip: int = 0) -> list[list[str | None]]:
    reader = csv.reader(io.StringIO(payload.decode()), delimiter=settings.get("format_csv_delimiter", ","))
    rows = [[None if f == "\\N" else f for f in row] for row in reader if row]
    return rows[skip:]


READERS = {
    "TabSeparated": lambda p, c, s: _read_tsv(p, c, s),
    "TabSeparatedWithNames": lambda p, c, s: _read_tsv(p, c, s, skip=1),
    "TabSeparatedWithNamesAndTypes": lambda p, c, s: _read_tsv(p, c, s, skip=2),
    "CSV": lambda p, c, s: _read_csv(p, c, s),
    "CSVWithNames": lambda p, c, s: _read_csv(p, c, s, skip=1),
    "CSVWithNamesAndTypes": lambda p, c, s: _read_csv(p, c, s, skip=2),
}
