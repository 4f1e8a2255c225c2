"""PostgreSQL's CSV rules for COPY, shared by the kernel's COPY to and from server files and by
protocol plugins that carry COPY over their wire (public: plugins may import it).

PostgreSQL reads an unquoted field equal to the NULL string as NULL and a quoted one as that
text; FORCE_NOT_NULL columns read neither as NULL, FORCE_NULL columns read both. It writes a
field quoted when it must be (or when FORCE_QUOTE names its column).
"""

from __future__ import annotations

import csv
import io

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from helios_core.errors import HeliosError
from helios_core.session import CopySpec


def csv_text_columns(raw: bytes, ncols: int, null: str, parse: pacsv.ParseOptions, read: pacsv.ReadOptions,
                     force_not_null: set[int] = frozenset(), force_null: set[int] = frozenset()) -> list[pa.Array]:
    """CSV fields as strings, NULL where PostgreSQL reads NULL: an unquoted NULL string, except in
    FORCE_NOT_NULL columns; a quoted one too in FORCE_NULL columns. pyarrow does not say whether a
    field was quoted, so the text is read with each rule and the readings are combined."""
    names = list(read.column_names) or [f"c{i}" for i in range(ncols)]

    def reading(nulls: list[str], quoted_can_be_null: bool) -> pa.Table:
        convert = pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, null_values=nulls,
                                       strings_can_be_null=bool(nulls), quoted_strings_can_be_null=quoted_can_be_null)
        return pacsv.read_csv(io.BytesIO(raw), read_options=read, parse_options=parse, convert_options=convert)

    unquoted = reading([null], False)
    if not force_not_null and not force_null:
        return [unquoted.column(i).combine_chunks() for i in range(ncols)]
    values = reading([], False)
    either = reading([null], True) if force_null else None
    out = []
    for i in range(ncols):
        text = values.column(i).combine_chunks()
        plain_null = unquoted.column(i).combine_chunks().is_null()
        is_null = pa.array([False] * len(text)) if i in force_not_null else plain_null
        if either is not None and i in force_null:
            quoted_null = pc.and_(either.column(i).combine_chunks().is_null(), pc.invert(plain_null))
            is_null = pc.or_(is_null, quoted_null)
        out.append(pc.if_else(is_null, pa.scalar(None, pa.string()), text))
    return out


def force_indexes(spec: CopySpec) -> tuple[set[int], set[int]]:
    """The positions of the COPY's FORCE_NOT_NULL and FORCE_NULL columns."""
    return ({spec.columns.index(n) for n in spec.force_not_null},
            {spec.columns.index(n) for n in spec.force_null})


def csv_field(v: str, *, delimiter: str, quote: str, escape: str, null: str, force: bool) -> str:
    """A CSV field as PostgreSQL writes it: quoted when forced, empty, equal to the NULL string or
    holding the delimiter, the quote or a line break; quotes (and escapes) doubled inside."""
    if force or v == "" or v == null or any(ch in v for ch in (delimiter, quote, "\n", "\r")):
        if escape != quote:
            v = v.replace(escape, escape + escape)
        return quote + v.replace(quote, escape + quote) + quote
    return v


def check_header(line: str, spec: CopySpec) -> None:
    """HEADER MATCH: the header line names the COPY's columns in order (PostgreSQL 15's 22P04
    otherwise, with the line as CONTEXT)."""
    if spec.format == "csv":
        quote = spec.quote or '"'
        escape = spec.escape or quote
        fields: list[str | None] = next(csv.reader([line], delimiter=spec.delimiter or ",", quotechar=quote,
                                                   doublequote=escape == quote,
                                                   escapechar=None if escape == quote else escape), [""])
        null = spec.null if spec.null is not None else ""
        raw = line.split(spec.delimiter or ",")
        fields = [None if f == null and (i >= len(raw) or raw[i] == null) else f for i, f in enumerate(fields)]
    else:
        null = spec.null if spec.null is not None else "\\N"
        fields = [None if f == null else f for f in line.split(spec.delimiter or "\t")]
    context = f'COPY {str(spec.table).split(".", 1)[-1]}, line 1: "{line}"'
    if len(fields) != len(spec.columns):
        err = HeliosError(f"wrong number of fields in header line: got {len(fields)}, expected {len(spec.columns)}",
                          sqlstate="22P04")
        err.context = context
        raise err
    for i, (got, want) in enumerate(zip(fields, spec.columns, strict=True), 1):
        if got is None:
            message = f'column name mismatch in header line field {i}: got null value ("{null}"), expected "{want}"'
        elif got != want:
            message = f'column name mismatch in header line field {i}: got "{got}", expected "{want}"'
        else:
            continue
        err = HeliosError(message, sqlstate="22P04")
        err.context = context
        raise err
