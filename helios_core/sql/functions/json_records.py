"""json_to_record / jsonb_to_record[set] in FROM with a column definition list
(``AS x(a int, b text)``): each object's keys become the columns of those names and types.

A JSON value becomes a column value as PostgreSQL's populate_record does it: a string is the
column type's text input, other scalars their JSON text, json/jsonb columns take the value
itself, array columns take JSON arrays (nested ones as multidimensional arrays, with
PostgreSQL's errors for what is not an array or not rectangular). A composite-typed column takes
a string as the type's text input; a JSON object for it is refused (0A000: not built).
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.sql import types as T
from helios_core.sql.functions.cast import cast
from helios_core.sql.functions.jsonb import dump_jsonb, loads
from helios_core.sql.functions.vec import Vec

RECORD_FUNCTIONS = ("json_to_record", "jsonb_to_record", "json_to_recordset", "jsonb_to_recordset")


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
    if t.name == "record" or (isinstance(v, dict) and t.name not in ("text", "varchar", "bpchar")):
        raise FeatureNotSupported("json_to_record into composite-typed columns is not supported")
    return _scalar_text(v)


def record_columns(name: str, doc_text: str | None, names: list[str], types: list[T.SqlType]) -> list[pa.Array]:
    """The output columns of one call of ``name`` over the document text."""
    objects: list[dict] = []
    if doc_text is not None:
        doc = loads(doc_text)
        if name.endswith("recordset"):
            if not isinstance(doc, list):
                raise HeliosError(f"cannot call {name} on a non-array", sqlstate="22023")
            objects = doc
        else:
            objects = [doc]
        for o in objects:
            if not isinstance(o, dict):
                raise HeliosError(f"cannot call {name} on a{'n array' if isinstance(o, list) else ' scalar'}"
                                  if not name.endswith("recordset") else "argument of json_populate_recordset "
                                  "must be an array of objects", sqlstate="22023")
    out = []
    for col, t in zip(names, types, strict=True):
        texts = [_column_text(o.get(col), col, t) for o in objects]
        out.append(cast(Vec(pa.array(texts, pa.string()), T.TEXT), t, context="explicit").array)
    return out
