"""Set-returning functions in FROM: generate_series, unnest (WITH ORDINALITY), scalar calls.

Arguments are evaluated once per execution (per outer row when used LATERALly), so they
may refer to columns of earlier FROM items.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa

from helios_core.errors import HeliosError
from helios_core.sql import functions
from helios_core.sql import types as T
from helios_core.sql.catalog_views import functions as catalog_functions
from helios_core.sql.catalog_views import partition_info
from helios_core.sql.expr import Compiled, Field
from helios_core.sql.extensions import catalog as extensions_catalog
from helios_core.sql.extensions import hstore
from helios_core.sql.functions import numeric_special, runtime, strings
from helios_core.sql.functions.json_records import (
    POPULATE_FUNCTIONS,
    RECORD_FUNCTIONS,
    populate_columns,
    record_columns,
    row_type_fields,
)
from helios_core.sql.functions.json_text import loads_keeping_text
from helios_core.sql.functions.jsonpath_funcs import path_query_rows
from helios_core.sql.functions.text_out import session_tz_info
from helios_core.sql.functions.vec import Vec
from helios_core.sql.operators.base import Operator, batch_of


class FunctionScan(Operator):
    def __init__(self, fields: list[Field], name: str, args: list[Compiled], produce: Any) -> None:
        super().__init__(fields)
        self.name = name
        self.args = args
        self.produce = produce

    @classmethod
    def make(cls, builder: Any, name: str, args: list[Compiled], qual: str, col_aliases: list[str],
             ordinality: bool = False, col_types: list[T.SqlType | None] | None = None) -> FunctionScan:
        if name == "generate_series":
            if len(args) not in (2, 3):
                raise HeliosError("function generate_series needs 2 or 3 arguments", sqlstate="42883")
            types = [a.type for a in args[:2]]
            t = builder.result_type(types, "generate_series")
            if all(x.name == "unknown" for x in types) and len(args) == 3 and args[2].type.name == "interval":
                t = T.TIMESTAMPTZ  # only the timestamp forms take an interval step; timestamptz is preferred
            if t.name == "unknown" or t.name in ("text", "varchar"):
                t = T.INT4
            if t.name in ("timestamp", "timestamptz", "date"):
                if t.name == "date":  # no date form: both timestamp forms need a cast, the preferred type wins
                    t = T.TIMESTAMPTZ
                args = [builder.coerce(a, t) for a in args[:2]] + [builder.coerce(a, T.INTERVAL) for a in args[2:]]
            else:
                args = [builder.coerce(a, t) for a in args]
            out_types = [t]
            produce = _series
        elif name == "unnest":
            out_types = []
            for a in args:
                if a.type.name == "unknown":
                    raise HeliosError("function unnest(unknown) is not unique", sqlstate="42725")
                if a.type.is_multirange:  # unnest(anymultirange): its ranges, in order
                    out_types.append(T.range_of_multirange(a.type))
                    continue
                if not a.type.is_array:
                    raise HeliosError(f"function unnest({a.type.sql_name()}) does not exist", sqlstate="42883")
                out_types.append(a.type.element)
            produce = _unnest
        elif name == "_pg_expandarray":  # information_schema's: each element with its 1-based position
            a = args[0]
            element = a.type.element if a.type.is_array else _VECTOR_ELEMENTS.get(a.type.name)
            if element is None or len(args) != 1:
                sig = ", ".join(x.type.sql_name() for x in args)
                raise HeliosError(f"function _pg_expandarray({sig}) does not exist", sqlstate="42883")
            out_types = [element, T.INT4]
            if not col_aliases:
                col_aliases = ["x", "n"]
            produce = _expandarray
        elif name in RECORD_FUNCTIONS:
            if not col_types or any(t is None for t in col_types):
                raise HeliosError('a column definition list is required for functions returning "record"',
                                  sqlstate="42601")
            if len(args) != 1:
                raise HeliosError(f"function {name} takes one argument", sqlstate="42883")
            args = [builder.coerce(args[0], T.JSONB if name.startswith("jsonb") else T.JSON)]
            out_types = list(col_types)
            produce = _record_producer(name, list(col_aliases), out_types)
        elif name in POPULATE_FUNCTIONS:
            if len(args) != 2:
                raise HeliosError(f"function {name} takes two arguments", sqlstate="42883")
            names, out_types = row_type_fields(name, args[0].type)
            args = [args[0], builder.coerce(args[1], T.JSONB if name.startswith("jsonb") else T.JSON)]
            produce = _populate_producer(name, names, out_types)
            if not col_aliases:
                col_aliases = names
        elif name in ("jsonb_path_query", "jsonb_path_query_tz"):
            out_types = [T.JSONB]
            produce = _path_query_producer(name.endswith("_tz"))
        elif name in JSON_SRFS:
            cols_spec = JSON_SRFS[name]
            out_types = [t for _, t in cols_spec]
            args = [builder.coerce(a, T.JSONB if name.startswith("jsonb") else T.JSON)
                    if a.type.name == "unknown" else a for a in args]
            produce = _json_producer(name)
            if not col_aliases and len(out_types) > 1:
                col_aliases = [n for n, _ in cols_spec]
            elif not col_aliases and qual == name:
                col_aliases = [cols_spec[0][0]] if cols_spec[0][0] != name else []
        elif name in hstore.SET_RETURNING and len(args) == 1 and args[0].type.name in ("hstore", "unknown"):
            # the hstore extension's each/skeys/svals (other arguments: a routine of that name)
            extensions_catalog.check_function(builder.ctx, name, [a.type for a in args])
            args = [builder.coerce(args[0], T.HSTORE)]
            cols_spec = hstore.SET_RETURNING[name]
            out_types = [t for _, t in cols_spec]
            produce = _hstore_producer(name)
            if not col_aliases and len(out_types) > 1:
                col_aliases = [n for n, _ in cols_spec]
        elif name in ("pg_partition_tree", "pg_partition_ancestors"):
            args = [a if a.type.name in ("unknown", "text", "varchar") else builder.coerce(a, T.REGCLASS)
                    for a in args]  # a name is resolved like 'name'::regclass
            cols = partition_info.TREE_COLUMNS if name == "pg_partition_tree" else [("relid", T.REGCLASS)]
            out_types = [t for _, t in cols]
            if not col_aliases:
                col_aliases = [n for n, _ in cols]
            produce = _partition_producer(name)
        elif name == "generate_subscripts" and len(args) in (2, 3) and args[0].type.is_array:
            args = [args[0], builder.coerce(args[1], T.INT4), *(builder.coerce(a, T.BOOL) for a in args[2:])]
            out_types = [T.INT4]
            produce = _subscripts
        elif name in ("regexp_split_to_table", "string_to_table"):
            args = [builder.coerce(a, T.TEXT) for a in args]
            out_types = [T.TEXT]
            produce = _split_producer(name)
        else:
            probe = builder.call(name, args)
            out_types = [probe.type]
            args = [probe]
            produce = _scalar
        default_names = [name] if len(out_types) == 1 else [name] * len(out_types)
        if len(out_types) == 1 and qual != name and not col_aliases:
            default_names = [qual]
        names = list(col_aliases[: len(out_types)]) + default_names[len(col_aliases):]
        fields = [Field(n, t, qual) for n, t in zip(names, out_types, strict=False)]
        if ordinality:
            oname = col_aliases[len(out_types)] if len(col_aliases) > len(out_types) else "ordinality"
            fields.append(Field(oname, T.INT8, qual))
        op = cls(fields, name, args, produce)
        op.ordinality = ordinality  # type: ignore[attr-defined]
        return op

    def run(self, ctx: Any) -> Iterator[pa.RecordBatch]:
        one = batch_of([], 1)
        vals = [a.evaluate(one, ctx) for a in self.args]
        produced = self.produce(vals, self.fields)
        # a list of columns is the whole result; an iterator yields it in chunks (constant memory)
        chunks = [produced] if isinstance(produced, list) else produced
        done = 0
        for cols in chunks:
            if getattr(self, "ordinality", False):
                n = len(cols[0]) if cols else 0
                cols.append(pa.array(np.arange(done + 1, done + n + 1, dtype=np.int64)))
            if cols and len(cols[0]):
                done += len(cols[0])
                yield batch_of(cols)
            check = getattr(ctx, "check_cancel", None)
            if check is not None:
                check()  # statement_timeout, cancel and max_memory between chunks

    def label(self) -> str:
        return f"Function Scan on {self.name}"


def _subscripts(vals: list[Vec], _fields: list[Field]) -> list[pa.Array]:
    """generate_subscripts(array, dim [, reverse]): the subscripts of that dimension (none for a NULL
    array or a dimension it does not have), in reverse order when asked."""
    lo = functions.call_function("array_lower", vals[:2]).value()
    hi = functions.call_function("array_upper", vals[:2]).value()
    if lo is None or hi is None:
        return [pa.array([], pa.int32())]
    subs = np.arange(lo, hi + 1, dtype=np.int32)
    if len(vals) > 2 and vals[2].value():
        subs = subs[::-1]
    return [pa.array(subs, pa.int32())]


SERIES_CHUNK = 65_536  # rows per batch of generate_series: memory stays flat whatever the count


def _series(vals: list[Vec], fields: list[Field]) -> Iterator[list[pa.Array]]:
    """generate_series, a chunk at a time (a LIMIT above stops it after the first chunks)."""
    start, stop = vals[0].value(), vals[1].value()
    step = vals[2].value() if len(vals) > 2 else 1
    t = fields[0].type
    if start is None or stop is None or step is None:
        return
    if t.name in ("int2", "int4", "int8"):
        if step == 0:
            raise HeliosError("step size cannot equal zero", sqlstate="22023")
        end = stop + (1 if step > 0 else -1)
        span = step * SERIES_CHUNK
        dtype = {"int2": np.int16, "int4": np.int32, "int8": np.int64}[t.name]  # the values fit: typed args
        lo = start
        while (lo < end) if step > 0 else (lo > end):
            hi = min(lo + span, end) if step > 0 else max(lo + span, end)
            yield [pa.array(np.arange(lo, hi, step, dtype=dtype))]
            lo += span
        return
    if t.name == "numeric":
        s, e = (numeric_special.to_python(v.array.slice(0, 1))[0] for v in vals[:2])
        st = numeric_special.to_python(vals[2].array.slice(0, 1))[0] if len(vals) > 2 else decimal.Decimal(1)
        for what, x in (("start value", s), ("stop value", e), ("step size", st)):
            if x.is_nan():
                raise HeliosError(f"{what} cannot be NaN", sqlstate="22023")
            if x.is_infinite():
                raise HeliosError(f"{what} cannot be infinity", sqlstate="22023")
        if st == 0:
            raise HeliosError("step size cannot equal zero", sqlstate="22023")
        scale = max(max(-(x.as_tuple().exponent) for x in (s, st)), 0)
        yield from _chunked(_walk(s, e, st, lambda v, k: v + k), lambda out: pa.array(out, pa.decimal128(38, scale)))
        return
    if t.name in ("float4", "float8"):
        if step == 0:
            raise HeliosError("step size cannot equal zero", sqlstate="22023")
        yield from _chunked(_walk(start, stop, step, lambda v, k: v + k), lambda out: pa.array(out, t.arrow_type))
        return
    if t.name in ("timestamp", "timestamptz"):
        iv = vals[2].array[0].as_py() if len(vals) > 2 else None
        if iv is None:
            raise HeliosError("generate_series(timestamp) needs an interval step", sqlstate="42883")
        months, days, nanos = iv.months, iv.days, iv.nanoseconds
        if months == 0 and days == 0 and nanos == 0:
            raise HeliosError("step size cannot equal zero", sqlstate="22023")
        forward = (months, days, nanos) > (0, 0, 0)
        if t.name == "timestamptz" and (months or days):
            add = _local_stepper(months, days, nanos)
        else:
            def add(v: dt.datetime, _k: Any) -> dt.datetime:
                return _add_interval(v, months, days, nanos)
        values = _walk(start, stop, 1 if forward else -1, add)
        yield from _chunked(values, lambda out: pa.array(out, t.arrow_type))
        return
    raise HeliosError(f"function generate_series({t.sql_name()}) does not exist", sqlstate="42883")


def _walk(start: Any, stop: Any, step: Any, advance: Any) -> Iterator[Any]:
    """start, advance(start, step), ... while not past stop (the direction is step's sign)."""
    v = start
    forward = step > 0
    while (v <= stop) if forward else (v >= stop):
        yield v
        v = advance(v, step)


def _chunked(values: Iterator[Any], to_array: Any) -> Iterator[list[pa.Array]]:
    out: list[Any] = []
    for v in values:
        out.append(v)
        if len(out) >= SERIES_CHUNK:
            yield [to_array(out)]
            out = []
    if out:
        yield [to_array(out)]


def _add_interval(v: dt.datetime, months: int, days: int, nanos: int) -> dt.datetime:
    if months:
        m = v.month - 1 + months
        y = v.year + m // 12
        m = m % 12 + 1
        import calendar

        d = min(v.day, calendar.monthrange(y, m)[1])
        v = v.replace(year=y, month=m, day=d)
    return v + dt.timedelta(days=days, microseconds=nanos // 1000)


def _local_stepper(months: int, days: int, nanos: int) -> Any:
    """timestamptz + interval with months or days: those move the session time zone's wall clock
    (a day across a daylight-saving change is 23 or 25 hours), as timestamptz + interval does; a
    wall time the clocks passed twice is read with the offset after the change, one they skipped
    with the offset before it (cast.ts_to_tstz's rule)."""
    zone = session_tz_info(runtime.timezone())
    rest = dt.timedelta(microseconds=nanos // 1000)

    def step(v: dt.datetime, _k: Any) -> dt.datetime:
        local = _add_interval(v.astimezone(zone).replace(tzinfo=None), months, days, 0)
        first, second = local.replace(tzinfo=zone, fold=0), local.replace(tzinfo=zone, fold=1)
        chosen = second if first.utcoffset() > second.utcoffset() else first
        return chosen.astimezone(dt.UTC) + rest

    return step


_VECTOR_ELEMENTS = {"int2vector": T.INT2, "oidvector": T.OID}


def _expandarray(vals: list[Vec], fields: list[Field]) -> list[pa.Array]:
    value = vals[0].array[0].as_py() if vals[0].array[0].is_valid else []
    return [pa.array(value, fields[0].type.arrow_type), pa.array(range(1, len(value) + 1), pa.int32())]


def _unnest(vals: list[Vec], fields: list[Field]) -> list[pa.Array]:
    from helios_core.sql.functions.array_dims import leaf_type, leaves

    lists = []
    for v in vals:
        arr = v.array
        if v.type.is_multirange:
            lists.append(arr.slice(0, 1).flatten())
        elif not arr[0].is_valid:
            lists.append(pa.array([], type=leaf_type(arr.type)))
        else:  # an N-dimensional array unnests all its elements in storage order
            lists.append(leaves(arr.slice(0, 1))[1])
    n = max((len(x) for x in lists), default=0)
    out = []
    for x in lists:
        if len(x) < n:
            x = pa.concat_arrays([x, pa.nulls(n - len(x), x.type)])
        out.append(x)
    return out


JSON_SRFS: dict[str, list[tuple[str, T.SqlType]]] = {
    "jsonb_array_elements": [("value", T.JSONB)],
    "json_array_elements": [("value", T.JSON)],
    "jsonb_array_elements_text": [("value", T.TEXT)],
    "json_array_elements_text": [("value", T.TEXT)],
    "jsonb_each": [("key", T.TEXT), ("value", T.JSONB)],
    "json_each": [("key", T.TEXT), ("value", T.JSON)],
    "jsonb_each_text": [("key", T.TEXT), ("value", T.TEXT)],
    "json_each_text": [("key", T.TEXT), ("value", T.TEXT)],
    "jsonb_object_keys": [("jsonb_object_keys", T.TEXT)],
    "json_object_keys": [("json_object_keys", T.TEXT)],
}


def _json_text(v: Any) -> str:
    """JSON text of a parsed value, numbers kept as written (Decimal), PostgreSQL's spacing."""
    import json

    raw = getattr(v, "raw", None)  # a piece of a json text, as written (functions.json_text)
    if raw is not None:
        return raw
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, dict):
        return "{" + ", ".join(json.dumps(k, ensure_ascii=False) + ": " + _json_text(x) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_json_text(x) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False)


def _json_producer(name: str) -> Any:
    import json

    as_text = name.endswith(("_text", "object_keys"))

    def produce(vals: list[Vec], fields: list[Field]) -> list[pa.Array]:
        from helios_core.sql.functions import cast

        doc = vals[0].value()
        rows: list[tuple] = []
        if doc is not None:
            if isinstance(doc, str):  # json keeps the text of its pieces, jsonb renders them anew
                value = loads_keeping_text(doc) if vals[0].type.name == "json" else \
                    json.loads(doc, parse_float=decimal.Decimal)
            else:
                value = doc
            if "array_elements" in name:
                if not isinstance(value, list):
                    raise HeliosError(f"cannot extract elements from {'an object' if isinstance(value, dict) else 'a scalar'}",
                                      sqlstate="22023")
                rows = [(x,) for x in value]
            else:
                if not isinstance(value, dict):
                    raise HeliosError(f"cannot call {name} on a{'n array' if isinstance(value, list) else ' scalar'}",
                                      sqlstate="22023")
                rows = [(k,) for k in value] if name.endswith("object_keys") else list(value.items())
        out = []
        for ci, f in enumerate(fields[: len(rows[0]) if rows else len(fields)]):
            col = [r[ci] for r in rows]
            is_key = name.endswith(("each", "each_text")) and ci == 0
            if is_key or name.endswith("object_keys"):
                out.append(pa.array(col, pa.string()))
            elif as_text:
                out.append(pa.array([None if x is None else (x if isinstance(x, str) else _json_text(x))
                                     for x in col], pa.string()))
            else:
                text = pa.array([_json_text(x) for x in col], pa.string())
                out.append(cast(Vec(text, T.TEXT, False), f.type).array if f.type.name == "jsonb" else text)
        if not rows:
            out = [pa.array([], type=f.type.arrow_type) for f in fields]
        return out

    return produce


def _hstore_producer(name: str) -> Any:
    def produce(vals: list[Vec], fields: list[Field]) -> list[pa.Array]:
        return hstore.set_rows(name, vals[0].value())

    return produce


def _record_producer(name: str, names: list[str], types: list[T.SqlType]) -> Any:
    def produce(vals: list[Vec], fields: list[Field]) -> list[pa.Array]:
        return record_columns(name, vals[0].value(), names, types)

    return produce


def _populate_producer(name: str, names: list[str], types: list[T.SqlType]) -> Any:
    def produce(vals: list[Vec], fields: list[Field]) -> list[pa.Array]:
        return populate_columns(name, vals[0].value(), vals[1].value(), names, types)

    return produce


def _path_query_producer(use_tz: bool) -> Any:
    def produce(vals: list[Vec], fields: list[Field]) -> list[pa.Array]:
        return [pa.array(path_query_rows(vals, use_tz), pa.string())]

    return produce


def _split_producer(name: str) -> Any:
    def produce(vals: list[Vec], fields: list[Field]) -> list[pa.Array]:
        s = vals[0].value()
        sep = vals[1].value() if len(vals) > 1 else None
        if s is None:
            return [pa.array([], pa.string())]
        if name == "string_to_table":  # an empty string has no pieces at all, as string_to_array's {}
            parts = [] if s == "" else list(s) if sep is None else ([s] if sep == "" else s.split(sep))
            if len(vals) > 2 and vals[2].value() is not None:
                parts = [None if p == vals[2].value() else p for p in parts]
        else:
            flags = (vals[2].value() if len(vals) > 2 else "") or ""
            parts = strings.regexp_split(s, sep, flags, name) if sep is not None else [s]
        return [pa.array(parts, pa.string())]

    return produce


def _partition_producer(name: str) -> Any:
    fn = partition_info.partition_tree if name == "pg_partition_tree" else partition_info.partition_ancestors

    def produce(vals: list[Vec], fields: list[Field]) -> list[pa.Array]:
        return fn(catalog_functions.ACTIVE_SESSION.get(), vals[0].value())

    return produce


def _scalar(vals: list[Vec], fields: list[Field]) -> list[pa.Array]:
    return [vals[0].array.slice(0, 1)]
