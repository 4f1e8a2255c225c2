"""COPY: bulk load and unload.

``COPY t [(cols)] FROM STDIN`` returns a Result whose ``copy`` (CopySpec) tells the protocol
which columns and Arrow schema to decode the client's data into; the protocol then calls
``session.copy_in(spec, batches)`` and the batches go straight into storage (defaults for
absent columns, constraints checked per batch). ``COPY t|(query) TO STDOUT`` returns the
rows as batches with the CopySpec for the encoder. Server-side files (``FROM '/path'`` /
``TO '/path'``) are read and written here in text or CSV format, for superusers and the
pg_read_server_files / pg_write_server_files roles only, and never inside the data
directory or the Python installation (helios_core.sql.server_files).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlglot import exp

from helios_core.copy_csv import check_header, csv_field, csv_text_columns, force_indexes
from helios_core.errors import FeatureNotSupported, HeliosError, UndefinedColumn, UndefinedTable
from helios_core.frontends.postgres import dialect
from helios_core.session import CopySpec, Result
from helios_core.sql import (
    constraints,
    foreign_tables,
    generated_columns,
    object_privileges,
    partitions,
    server_files,
)
from helios_core.sql import types as sql_types
from helios_core.sql.expr import Scope, compile_scalar
from helios_core.sql.functions import numeric_special as NS
from helios_core.sql.functions.vec import Vec
from helios_core.sql.planner.scalar import contains_aggregate
from helios_core.sql.row_security import policies as rls_policies
from helios_core.sql.triggers import firing
from helios_core.storage import spill

# COPY FROM appends its rows in runs of this many, or of BULK_BYTES of decoded data if that comes
# first (a memtable chunk this large is left unmerged): a scan filters a chunk's rows in slices
# of at most the chunk, and long slices are what lets its two worker threads pay off.
BULK_ROWS = 1 << 19
BULK_BYTES = 64 << 20
# Where the transaction spills, a run is at most this share of its spill threshold: the spill
# threads write one run's file while the next runs are decoded. A run as large as the threshold
# made every run wait for its own file (a large COPY in process: 940k against 660k rows/s).
SPILL_SHARE = 2


def _bool_opt(v: Any) -> bool:
    return str(v).lower() in ("true", "on", "1", "yes", "")


_OPTIONS = ("format", "freeze", "delimiter", "null", "header", "quote", "escape", "force_quote",
            "force_not_null", "force_null", "encoding")
# option -> (its words in PostgreSQL's messages, the direction it belongs to)
_FORCE = {"force_quote": ("force quote", "out"), "force_not_null": ("force not null", "in"),
          "force_null": ("force null", "in")}


def _spec_options(opts: dict) -> dict:
    for key in opts:
        if key not in _OPTIONS:
            raise HeliosError(f'option "{key}" not recognized', sqlstate="42601")
    fmt = str(opts.get("format", "text")).lower()
    if fmt not in ("text", "csv", "binary"):
        raise HeliosError(f'COPY format "{fmt}" not recognized', sqlstate="22023")
    delimiter = opts.get("delimiter")
    if delimiter is None:
        delimiter = "," if fmt == "csv" else "\t"
    null = opts.get("null")
    if null is None:
        null = "" if fmt == "csv" else "\\N"
    quote = opts.get("quote", '"')
    escape = opts.get("escape")
    if fmt == "csv" and escape is None:
        escape = quote
    if fmt == "binary" and ("delimiter" in opts or "null" in opts):
        raise HeliosError("cannot specify DELIMITER in BINARY mode", sqlstate="42601")
    if len(delimiter) != 1:
        raise HeliosError("COPY delimiter must be a single one-byte character", sqlstate="0A000")
    header = _header_choice(opts["header"]) if "header" in opts else False
    return {"format": fmt, "delimiter": delimiter, "null": null, "header": bool(header),
            "header_match": header == "match", "quote": quote, "escape": escape}


def _header_choice(value: Any) -> bool | str:
    """HEADER's value: a boolean, or "match" (PostgreSQL 15: COPY FROM checks the names)."""
    text = str(value).lower()
    if text in ("true", "on", "1", ""):
        return True
    if text in ("false", "off", "0"):
        return False
    if text == "match":
        return "match"
    raise HeliosError('header requires a Boolean value or "match"', sqlstate="22023")


def _force_options(opts: dict, fmt: str, direction: str, columns: list[str]) -> dict:
    """FORCE_QUOTE / FORCE_NOT_NULL / FORCE_NULL checked as PostgreSQL checks them: CSV only, in
    their own direction, naming columns of the COPY (``*``: all of them, for FORCE_QUOTE)."""
    out: dict[str, list[str]] = {}
    for key, (words, own) in _FORCE.items():
        listed = opts.get(key)
        if listed is None:
            continue
        if fmt != "csv":
            raise FeatureNotSupported(f"COPY {words} available only in CSV mode")
        if direction != own:
            raise FeatureNotSupported(f"COPY {words} only available using COPY {'TO' if own == 'out' else 'FROM'}")
        if listed == ["*"]:
            if key != "force_quote":
                raise HeliosError(f'argument to option "{key}" must be a list of column names', sqlstate="22023")
            out[key] = list(columns)
            continue
        for name in listed:
            if name not in columns:
                raise HeliosError(f'{key.upper()} column "{name}" not referenced by COPY', sqlstate="42P10")
        out[key] = list(listed)
    return out


def _check_force_columns(opts: dict, known: Any, table: str) -> None:
    """A FORCE_* column that is not a column of the table at all: 42703, as for the column list."""
    for key in _FORCE:
        for name in opts.get(key) or []:
            if name != "*" and name not in known:
                raise UndefinedColumn(f'column "{name}" of relation "{table}" does not exist')


def start(session: Any, u: Any) -> Result:
    """Run a COPY statement up to the data transfer."""
    from helios_core.sql.dml import column_types
    from helios_core.sql.session_impl import result_column

    a = u.args
    if a.get("program"):
        server_files.check_role(session, writing=a["direction"] == "out", program=True)
    if a.get("target"):
        server_files.check_role(session, writing=a["direction"] == "out")  # 42501 before anything else
    o = _spec_options(a["options"])
    if a.get("where") is not None and a["direction"] == "out":
        raise HeliosError("WHERE clause not allowed with COPY TO", sqlstate="42601")
    if o["header_match"] and a["direction"] == "out":
        raise FeatureNotSupported('cannot use "match" with HEADER in COPY TO')
    txn = session.tx.current()
    if a["query"] is not None:
        if a["direction"] == "in":
            raise HeliosError("COPY (query) FROM is not supported", sqlstate="42601")
        stmts = dialect.parse(a["query"])
        ctx = session.context(txn)
        plan = session.plan_query(stmts[0].ast, ctx)
        batches = list(plan.execute(ctx))
        cols = [result_column(n, t) for n, t in plan.columns]
        names = [n for n, _ in plan.columns]
        forced = _force_options(a["options"], o["format"], "out", names)
        spec = CopySpec(table="", columns=names, direction="out",
                        arrow_schema=plan.schema, column_types=cols, **o, **forced)
        return _out(session, spec, batches, a.get("target"))
    parts = a.get("table_parts") or a["table"].split(".")
    schema, name = (parts[-2], parts[-1]) if len(parts) >= 2 else (None, parts[0])
    if schema is None:
        for s in session.search_path():
            if txn.get_table(s, name) is not None:
                schema = s
                break
    tdef = txn.get_table(schema, name) if schema else None
    if tdef is None:
        if schema and txn.catalog_get("view", f"{schema}.{name}") is not None and a["direction"] == "out":
            raise HeliosError(f'cannot copy from view "{name}"', sqlstate="42809",
                              hint="Try the COPY (SELECT ...) TO variant.")
        raise UndefinedTable(f'relation "{name}" does not exist')
    if tdef.options.get("matview") is not None:  # only REFRESH fills it; reading it needs a query
        if a["direction"] == "in":
            raise HeliosError(f'cannot copy to materialized view "{name}"', sqlstate="42809")
        raise HeliosError(f'cannot copy from materialized view "{name}"', sqlstate="42809",
                          hint="Try the COPY (SELECT ...) TO variant.")
    if foreign_tables.definition(tdef) is not None:  # PostgreSQL's refusal, then its want of a handler
        if a["direction"] == "out":
            raise HeliosError(f'cannot copy from foreign table "{name}"', sqlstate="42809",
                              hint="Try the COPY (SELECT ...) TO variant.")
        foreign_tables.check_scan(txn, tdef)
    ctypes = dict(column_types(tdef))
    names = generated_columns.copy_columns(tdef, a["columns"])
    for n in names:
        if n not in ctypes:
            raise UndefinedColumn(f'column "{n}" of relation "{name}" does not exist')
    if a["direction"] == "in" and rls_policies.applies(session, tdef):
        raise FeatureNotSupported("COPY FROM not supported with row-level security",
                                  hint="Use INSERT statements instead.")
    if a["direction"] == "in":
        firing.refuse_unfired(tdef, "COPY FROM")
        object_privileges.check_write(session, tdef.schema, tdef.name, "a", columns=list(names))
    else:
        object_privileges.check_relation_read(session, "table", tdef.schema, tdef.name, list(names))
    fields = [pa.field(n, ctypes[n].arrow_type) for n in names]
    _check_force_columns(a["options"], ctypes, name)
    forced = _force_options(a["options"], o["format"], a["direction"], list(names))
    spec = CopySpec(table=f"{tdef.schema}.{tdef.name}", columns=list(names), direction=a["direction"],
                    arrow_schema=pa.schema(fields), column_types=[result_column(n, ctypes[n]) for n in names],
                    **o, **forced)
    if a.get("where") is not None:
        spec.where = _where_condition(a["where"])
    if a["direction"] == "in":
        if a.get("target"):
            return _copy_from_file(session, spec, a["target"])
        return Result(command_tag="COPY", copy=spec)
    if rls_policies.applies(session, tdef):  # the rows the policies let this role see, as a query would
        query = exp.select(*[exp.column(n, quoted=True) for n in names]).from_(
            exp.table_(tdef.name, db=tdef.schema, quoted=True))
        ctx = session.context(txn)
        batches = [b for b in session.plan_query(query, ctx).execute(ctx) if b.num_rows]
        batches = [pa.RecordBatch.from_arrays(list(b.columns), names=list(names)) for b in batches]
    else:
        batches = [b.select(names) if b.num_columns != len(names) or b.schema.names != names else b
                   for b in txn.scan(tdef.schema, tdef.name, columns=names) if b.num_rows]
        batches = _decode_numeric_specials(batches, [ctypes[n] for n in names])
    return _out(session, spec, batches, a.get("target"))


def _decode_numeric_specials(batches: list[pa.RecordBatch], types: list[Any]) -> list[pa.RecordBatch]:
    """Stored rows of unconstrained numeric columns: reserved values back to NaN/Infinity."""
    idx = [i for i, t in enumerate(types) if t.stores_numeric_specials]
    if not idx:
        return batches
    out = []
    for b in batches:
        cols = list(b.columns)
        for i in idx:
            cols[i] = NS.decode_from_storage(cols[i])
        out.append(pa.RecordBatch.from_arrays(cols, names=b.schema.names))
    return out


def _out(session: Any, spec: CopySpec, batches: list[pa.RecordBatch], target: str | None) -> Result:
    rows = sum(b.num_rows for b in batches)
    if target:
        _write_file(session, spec, batches, target)
        return Result(command_tag=f"COPY {rows}")
    return Result(command_tag=f"COPY {rows}", columns=spec.column_types, batches=batches, copy=spec)


def copy_in(session: Any, spec: CopySpec, batches: Iterator[Any]) -> Result:
    """Insert the decoded batches (Arrow, columns as ``spec.arrow_schema``) into the table."""
    from helios_core.sql.dml import _arrow_schema, assign, column_types, default_array

    txn = session.tx.current()
    schema, name = spec.table.split(".", 1)
    tdef = txn.get_table(schema, name)
    if tdef is None:
        raise UndefinedTable(f'relation "{name}" does not exist')
    ctypes = column_types(tdef)
    index = {n: i for i, (n, _) in enumerate(ctypes)}
    ctx = session.context(txn)
    check = bool(tdef.options.get("checks") or tdef.options.get("unique") or tdef.options.get("foreign_keys")
                 or tdef.options.get("expression_unique") or any(not c.nullable for c in tdef.columns))
    table_schema = _arrow_schema(tdef)
    where = _compiled_where(spec.where, tdef, ctypes, ctx) if spec.where is not None else None
    total = 0  # rows read (line numbers in errors count them all)
    skipped = 0  # rows a WHERE condition left out
    first_line = 2 if spec.header else 1  # the line number of the first data row, as PostgreSQL counts
    for batch in _bulk(batches, session, _run_bytes(txn.store)):
        n = batch.num_rows
        full: list[Any] = [None] * len(ctypes)
        rb = None
        try:
            for j, cname in enumerate(spec.columns):
                ci = index[cname]
                arr = batch.column(j)
                t = ctypes[ci][1]
                # a type stored as a string still reads its input function (jsonb, json, hstore, point...)
                if arr.type != t.arrow_type or (t.typmod != -1 and t.name in ("bpchar", "varchar")) \
                        or (_held_as_text(t) and cname not in spec.canonical_text):
                    src = __import__("helios_core.sql.types", fromlist=["TEXT"]).TEXT if pa.types.is_string(
                        arr.type) else None
                    try:
                        arr = assign(Vec(arr, src) if src is not None else Vec.of(arr), t, n, cname)
                    except HeliosError as e:
                        _locate_bad_value(e, arr, src, t, cname)
                        raise
                full[ci] = arr
            for ci in range(len(ctypes)):
                if full[ci] is None:
                    full[ci] = default_array(session, txn, tdef, ci, n, ctx)
            rb = generated_columns.compute(session, ctx, tdef, pa.RecordBatch.from_arrays(full, schema=table_schema))
            if spec.where is not None:
                rb = _rows_where(where, rb, ctx)
                skipped += n - rb.num_rows
            if partitions.spec(tdef) is not None or partitions.parent_of(tdef) is not None:
                partitions.insert_rows(session, txn, ctx, tdef, rb)  # routed to / checked against partitions
            else:
                if check:
                    constraints.check_new_rows(session, txn, ctx, tdef, rb)
                txn.insert(tdef.schema, tdef.name, rb)
        except HeliosError as e:
            copy_context(e, spec, txn, tdef, rb, first_line + total)
            raise
        total += n
    return Result(command_tag=f"COPY {total - skipped}")


def _run_bytes(store: Any) -> int:
    """The most decoded bytes appended as one run (see SPILL_SHARE)."""
    if spill.enabled(store):
        return max(1, min(BULK_BYTES, store.spill_after_bytes // SPILL_SHARE))
    return min(BULK_BYTES, store.spill_after_bytes)


def _where_condition(text: str) -> str:
    """COPY FROM's WHERE condition, checked for what PostgreSQL refuses in it."""
    tree = dialect.parse(f"select {text}")[0].ast.expressions[0]
    if tree.find(exp.Select, exp.Subquery, exp.Exists) is not None:
        raise FeatureNotSupported("cannot use subquery in COPY FROM WHERE condition")
    if contains_aggregate(tree):
        raise HeliosError("aggregate functions are not allowed in COPY FROM WHERE conditions", sqlstate="42803")
    if tree.find(exp.Window) is not None:
        raise HeliosError("window functions are not allowed in COPY FROM WHERE conditions", sqlstate="42P20")
    return text


def _compiled_where(text: str, tdef: Any, ctypes: list, ctx: Any) -> Any:
    """COPY FROM's WHERE condition compiled once over the table's row layout."""
    tree = dialect.parse(f"select {text}")[0].ast.expressions[0]
    return compile_scalar(tree, Scope.of_table(tdef.name, ctypes), ctx)


def _rows_where(where: Any, rb: pa.RecordBatch, ctx: Any) -> pa.RecordBatch:
    """The rows of a COPY FROM batch its WHERE condition is true for (NULL and false are skipped)."""
    v = where.evaluate(rb, ctx)
    arr = v.broadcast(rb.num_rows).array if v.scalar else v.array
    if not pa.types.is_boolean(arr.type):
        raise HeliosError("argument of WHERE must be type boolean", sqlstate="42804")
    return rb.filter(pc.fill_null(arr, False))


def _held_as_text(t: Any) -> bool:
    """A type the engine keeps as its canonical text (uuid, jsonb, inet, macaddr, bit, ...): a
    field arrives as the text it was written with and goes through the type's input function."""
    return t.element is None and pa.types.is_string(t.arrow_type) and not t.is_string_family \
        and t.labels is None and t.name != "record"


def _bulk(batches: Iterator[Any], session: Any, max_bytes: int) -> Iterator[pa.RecordBatch]:
    """The decoded batches joined into runs of at least BULK_ROWS rows or ``max_bytes`` bytes (no
    more than a transaction keeps in memory before it spills): each run is converted, checked and
    appended (one memtable chunk, one WAL blob) at once, so a large COPY leaves few large chunks
    that need no merging before the checkpoint writes them out."""
    pending: list[pa.RecordBatch] = []
    rows = size = 0
    for batch in batches:
        session.check_cancel()
        if isinstance(batch, pa.Table):
            batch = batch.combine_chunks().to_batches()[0] if batch.num_rows else None
        if batch is None or batch.num_rows == 0:
            continue
        pending.append(batch)
        rows += batch.num_rows
        size += batch.nbytes
        if rows >= BULK_ROWS or size >= max_bytes:
            yield _joined(pending)
            pending, rows, size = [], 0, 0
    if pending:
        yield _joined(pending)


def _joined(batches: list[pa.RecordBatch]) -> pa.RecordBatch:
    if len(batches) == 1:
        return batches[0]
    return pa.Table.from_batches(batches).combine_chunks().to_batches()[0]


def _locate_bad_value(error: HeliosError, arr: pa.Array, src: Any, t: Any, column: str) -> None:
    """Which row of a column failed to convert (error path only: one value at a time)."""
    from helios_core.sql.dml import assign

    for i in range(len(arr)):
        one = arr.slice(i, 1)
        try:
            assign(Vec(one, src) if src is not None else Vec.of(one), t, 1, column)
        except HeliosError:
            error.row_index = i  # type: ignore[attr-defined]
            error.copy_column = (column, one[0].as_py())  # type: ignore[attr-defined]
            return


def copy_context(error: HeliosError, spec: CopySpec, txn: Any, tdef: Any, rows: pa.RecordBatch | None,
                 line_of_first_row: int) -> None:
    """PostgreSQL's ``COPY t, line N[, column c: "v"][: "line"]`` CONTEXT for an error in COPY FROM.

    Foreign keys are checked at the end of the statement in PostgreSQL, so they get no line.
    """
    if getattr(error, "context", None) or error.sqlstate == "23503":
        return
    i = getattr(error, "row_index", None)
    if i is None and error.sqlstate == "23505" and rows is not None:
        i = _row_of_key_clash(txn, tdef, rows)
    if i is None:
        return
    where = f"COPY {tdef.name}, line {line_of_first_row + i}"
    column = getattr(error, "copy_column", None)
    if column is not None:
        error.context = f'{where}, column {column[0]}: "{column[1]}"'
    elif error.sqlstate in ("23502", "23514") and rows is not None:
        error.context = f'{where}: "{_line_text(spec, tdef, rows, i)}"'
    else:
        error.context = where


def _row_of_key_clash(txn: Any, tdef: Any, rows: pa.RecordBatch) -> int | None:
    """The first row whose primary key repeats an earlier row's or a stored one (error path only)."""
    pk = list(tdef.primary_key or ())
    if not pk:
        return None
    keys = list(zip(*(rows.column(c).to_pylist() for c in pk), strict=True))
    seen: set[tuple] = set()
    for i, k in enumerate(keys):
        if k in seen:
            return i
        seen.add(k)
        try:
            hit = txn.lookup(tdef.schema, tdef.name, tuple(k), columns=pk)
        except Exception:  # noqa: BLE001 - a best-effort pointer for the error message
            return None
        if hit is not None and hit.num_rows:
            return i
    return None


def _line_text(spec: CopySpec, tdef: Any, rows: pa.RecordBatch, i: int) -> str:
    """Row i as a COPY line (the copied columns, the COPY's delimiter and NULL marker)."""
    from helios_core.sql.dml import column_types
    from helios_core.sql.functions.text_out import to_text

    types = dict(column_types(tdef))
    csv = spec.format == "csv"
    null = spec.null if spec.null is not None else ("" if csv else "\\N")
    delimiter = spec.delimiter or ("," if csv else "\t")
    parts = []
    for c in spec.columns:
        v = to_text(rows.column(c).slice(i, 1), types[c])[0].as_py()
        parts.append(null if v is None else v)
    return delimiter.join(parts)


# ------------------------------------------------------------------------------------ server files
def _unescape_text(s: str) -> str:
    out = []
    i = 0
    simple = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}
    while i < len(s):
        ch = s[i]
        if ch != "\\" or i + 1 >= len(s):
            out.append(ch)
            i += 1
            continue
        nxt = s[i + 1]
        if nxt in simple:
            out.append(simple[nxt])
            i += 2
        elif nxt in "01234567":
            j = i + 1
            while j < len(s) and j < i + 4 and s[j] in "01234567":
                j += 1
            out.append(chr(int(s[i + 1:j], 8)))
            i = j
        elif nxt == "x" and i + 2 < len(s):
            j = i + 2
            while j < len(s) and j < i + 4 and s[j] in "0123456789abcdefABCDEF":
                j += 1
            out.append(chr(int(s[i + 2:j], 16)) if j > i + 2 else "x")
            i = j
        else:
            out.append(nxt)
            i += 2
    return "".join(out)


def parse_text_rows(data: str, spec: CopySpec) -> list[list[str | None]]:
    """PostgreSQL text format: one row per line, delimiter-separated, NULL marker, backslash escapes."""
    rows = []
    lines = data.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last row starts no row of its own
    if spec.header and lines:
        lines = lines[1:]
    for line in lines:
        line = line.removesuffix("\r")
        if line == "\\.":
            break
        if line == "" and len(spec.columns) != 1:
            continue
        fields = line.split(spec.delimiter or "\t")
        rows.append([None if f == spec.null else _unescape_text(f) for f in fields])
    return rows


def _copy_from_file(session: Any, spec: CopySpec, path: str) -> Result:
    from helios_core.sql import types

    with server_files.open_for_copy(session, path, writing=False) as f:
        raw = f.read()
    ncols = len(spec.columns)
    if spec.format == "csv":
        names = [f"c{i}" for i in range(ncols)]
        not_null, null = force_indexes(spec)
        if spec.header_match:
            line = raw.split(b"\n", 1)[0].decode("utf-8", "replace").removesuffix("\r")
            check_header(line, spec)
        columns = csv_text_columns(
            raw, ncols, spec.null or "",
            pacsv.ParseOptions(delimiter=spec.delimiter or ",", quote_char=spec.quote or '"'),
            pacsv.ReadOptions(column_names=names, skip_rows=1 if spec.header else 0), not_null, null)
    elif spec.format == "text":
        rows = parse_text_rows(raw.decode("utf-8"), spec)
        for r in rows:
            if len(r) > ncols:
                raise HeliosError("extra data after last expected column", sqlstate="22P04")
            if len(r) < ncols:
                raise HeliosError(f'missing data for column "{spec.columns[len(r)]}"', sqlstate="22P04")
        columns = [pa.array([r[i] for r in rows], pa.string()) for i in range(ncols)]
    else:
        raise FeatureNotSupported("COPY FROM a file in binary format is not supported")
    from helios_core.sql.dml import assign

    n = len(columns[0]) if columns else 0
    arrays = [assign(Vec(c, types.TEXT), t_of(spec, i), n, spec.columns[i]) for i, c in enumerate(columns)]
    batch = pa.RecordBatch.from_arrays(arrays, schema=spec.arrow_schema)
    return copy_in(session, spec, iter([batch]))


def t_of(spec: CopySpec, i: int) -> Any:
    from helios_core.sql import types

    c = spec.column_types[i]
    t = types.type_by_oid(c.type_oid)
    return types.type_from_name(c.type_name) if c.typmod != -1 else t


def _write_file(session: Any, spec: CopySpec, batches: list[pa.RecordBatch], path: str) -> None:
    from helios_core.sql import functions as F

    csv = spec.format == "csv"
    delimiter = spec.delimiter or ("," if csv else "\t")
    quote = spec.quote or '"'
    null = spec.null if spec.null is not None else ("" if csv else "\\N")
    forced = [name in spec.force_quote for name in spec.columns]

    def field(v: str, force: bool) -> str:
        if not csv:
            return _escape_text(v)
        return csv_field(v, delimiter=delimiter, quote=quote, escape=spec.escape or quote, null=null, force=force)

    lines = []
    if spec.header:
        lines.append(delimiter.join(field(c, False) for c in spec.columns))
    for b in batches:
        texts = []
        for i in range(b.num_columns):
            t = t_of(spec, i)
            texts.append(F.cast(Vec(b.column(i), t), sql_types.TEXT, context="explicit").array.to_pylist())
        for row in zip(*texts, strict=True):
            lines.append(delimiter.join(null if v is None else field(v, forced[i]) for i, v in enumerate(row)))
    with server_files.open_for_copy(session, path, writing=True) as f:
        f.write(("\n".join(lines) + ("\n" if lines else "")).encode("utf-8"))


def _escape_text(v: str) -> str:
    return v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
