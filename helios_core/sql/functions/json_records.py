"""json_to_record / jsonb_to_record[set] in FROM with a column definition list
(``AS x(a int, b text)``): each object's keys become the columns of those names and types;
json[b]_populate_record[set](base, json) likewise with the columns of base's composite type
(keys an object lacks take base's values), in FROM and, for one record, in expressions.

A JSON value becomes a column value as PostgreSQL's populate_record does it: a string is the
column type's text input, other scalars their JSON text, json/jsonb columns take the value
itself, array columns take JSON arrays (nested ones as multidimensional arrays, with
PostgreSQL's errors for what is not an array or not rectangular). A composite-typed column takes
a string as the type's text input and a JSON object by attribute name.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.sql import types as T
from helios_core.sql.functions.cast import cast
from helios_core.sql.functions.jsonb import dump_jsonb, loads
from helios_core.sql.functions.registry import scalar
from helios_core.sql.functions.vec import Vec

RECORD_FUNCTIONS = ("json_to_record", "jsonb_to_record", "json_to_recordset", "jsonb_to_recordset")
POPULATE_FUNCTIONS = ("json_populate_record", "jsonb_populate_record", "json_populate_recordset",
                      "jsonb_populate_recordset")


def _scalar_text(v: Any) -> str:
    return v if isinstance(v, str) else dump_jsonb(v)


def _array_literal(v: Any, key: str) -> str:
    """A JSON array as PostgreSQL array input text (22P02 when not an array or not rectangular)."""
    if not isinstance(v, list):
        raise HeliosError("expected JSON array", sqlstate="22P02", hint=f'See the value of key "{key}".')

    def depth(x: Any) -> int:
        return 1 + depth(x[0]) if isinstance(x, list) and x else (1 if isinstance(x, list) else 0)

    def shape(x: Any, path: str, level: int, want: int) -> tuple:
        if level == want:
            if isinstance(x, list):
                raise HeliosError("malformed JSON array", sqlstate="22P02",
                                  detail="Multidimensional arrays must have sub-arrays with matching dimensions.")
            return ()
        if not isinstance(x, list):
            raise HeliosError("expected JSON array", sqlstate="22P02",
                              hint=f'See the array element {path} of key "{key}".')
        subs = [shape(e, f"{path}[{i}]", level + 1, want) for i, e in enumerate(x)]
        if any(s != subs[0] for s in subs):
            raise HeliosError("malformed JSON array", sqlstate="22P02",
                              detail="Multidimensional arrays must have sub-arrays with matching dimensions.")
        return (len(x), *(subs[0] if subs else ()))

    want = depth(v)
    shape(v, "", 0, want)

    def text(x: Any) -> str:
        if isinstance(x, list):
            return "{" + ",".join(text(e) for e in x) + "}"
        if x is None:
            return "NULL"
        s = _scalar_text(x)
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return text(v)


def _column_text(v: Any, key: str, t: T.SqlType) -> str | None:
    if v is None:
        return None
    if t.name in ("json", "jsonb"):
        return json.dumps(v, ensure_ascii=False) if t.name == "json" and isinstance(v, str) else dump_jsonb(v)
    if t.element is not None:
        return _array_literal(v, key)
    if t.composite is not None and isinstance(v, dict):  # a nested object: the type's record text
        return _record_literal(v, t)
    if t.name == "record" or (isinstance(v, dict) and t.name not in ("text", "varchar", "bpchar")):
        raise FeatureNotSupported("json_to_record into composite-typed columns is not supported")
    return _scalar_text(v)


def _record_literal(v: dict, t: T.SqlType) -> str:
    """A JSON object as the record input text of composite type ``t`` (its keys by attribute name)."""
    parts = []
    for name, field in zip(t.composite.names, t.fields, strict=True):
        text = _column_text(v.get(name), name, field)
        parts.append("" if text is None else '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "(" + ",".join(parts) + ")"


def record_columns(name: str, doc_text: str | None, names: list[str], types: list[T.SqlType]) -> list[pa.Array]:
    """The output columns of one call of ``name`` over the document text."""
    return populate_columns(name, None, doc_text, names, types)


def row_type_fields(name: str, t: T.SqlType) -> tuple[list[str], list[T.SqlType]]:
    """The attribute names and types of the composite type json_populate_record's base names."""
    if t.composite is None or not t.fields:
        raise HeliosError(f"first argument of {name} must be a row type", sqlstate="22023")
    return list(t.composite.names), list(t.fields)


def populate_columns(name: str, base: dict | None, doc_text: str | None, names: list[str],
                     types: list[T.SqlType]) -> list[pa.Array]:
    """The output columns of one call of ``name`` over the document text; a key an object lacks
    takes the ``base`` record's value (json_populate_record's first argument), else NULL."""
    objects = _objects(name, doc_text)
    out = []
    for col, t in zip(names, types, strict=True):
        texts = [_column_text(o.get(col), col, t) for o in objects]
        arr = cast(Vec(pa.array(texts, pa.string()), T.TEXT), t, context="explicit").array
        missing = [col not in o for o in objects]
        if base is not None and base.get(col) is not None and any(missing):
            kept = pa.array([base[col]] * len(objects), arr.type)
            arr = pc.if_else(pa.array(missing), kept, arr)
        out.append(arr)
    return out


def _objects(name: str, doc_text: str | None) -> list[dict]:
    """The JSON objects one call turns into rows (22023 for what is not an object / array of them)."""
    objects: list[dict] = []
    if doc_text is not None:
        doc = loads(doc_text)
        if name.endswith("recordset"):
            if not isinstance(doc, list):  # PostgreSQL's json and jsonb code paths word it differently
                what = "a non-array" if name.startswith("jsonb") else \
                    "an object" if isinstance(doc, dict) else "a scalar"
                raise HeliosError(f"cannot call {name} on {what}", sqlstate="22023")
            objects = doc
        else:
            objects = [doc]
        for o in objects:
            if not isinstance(o, dict):
                raise HeliosError(f"argument of {name} must be an array of objects" if name.endswith("recordset")
                                  else f"cannot call populate_composite on a{'n array' if isinstance(o, list) else ' scalar'}",
                                  sqlstate="22023")
    return objects


@scalar("json_populate_record", "jsonb_populate_record", nargs=2)
def _populate_record(args: list[Vec]) -> Vec:
    """json_populate_record(base, json) in an expression: a value of base's composite type per row."""
    base, doc = args
    name = "jsonb_populate_record" if doc.type.name == "jsonb" else "json_populate_record"
    if doc.type.name == "unknown":
        doc = cast(doc, T.JSON)
    names, types = row_type_fields(name, base.type)
    n = max(len(base.array), len(doc.array))
    bases = base.broadcast(n).array.to_pylist() if not base.scalar else [base.value()] * n
    docs = doc.broadcast(n).array.to_pylist() if not doc.scalar else [doc.value()] * n
    rows = [[c[0] for c in populate_columns(name, b, d, names, types)] for b, d in zip(bases, docs, strict=True)]
    columns = [pa.array([r[i].as_py() for r in rows], types[i].arrow_type) for i in range(len(names))]
    struct = pa.StructArray.from_arrays(columns, fields=list(base.type.arrow_type),
                                        mask=pa.array([d is None and b is None for b, d in zip(bases, docs, strict=True)]))
    return Vec(struct, base.type, base.scalar and doc.scalar)
