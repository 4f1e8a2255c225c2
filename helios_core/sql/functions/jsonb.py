"""json / jsonb: operators (-> ->> #> #>> @> <@ ? ?| ?& - #- ||), functions, and the element
expansion helpers the planner uses for jsonb_array_elements / jsonb_each / jsonb_object_keys.

Values are stored as text: json verbatim, jsonb normalized like PostgreSQL prints it (keys
sorted by length then bytes, last duplicate key wins, ", " and ": " separators, numbers in
numeric form). Everything here is per-row Python over parsed documents: Arrow has no JSON
kernels. Parsed documents are cached per distinct text within a call.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import math
import re
from json.encoder import encode_basestring
from typing import Any

import pyarrow as pa

from helios_core.errors import (
    HeliosError,
    InvalidParameterValue,
    InvalidTextRepresentation,
    UndefinedFunction,
)
from helios_core.sql import far_dates
from helios_core.sql import types as T
from helios_core.sql.functions.cast import cast
from helios_core.sql.functions.json_text import loads_keeping_text
from helios_core.sql.functions.registry import define, no_function, scalar
from helios_core.sql.functions.vec import Vec, full

_MISSING = object()


# ------------------------------------------------------------------------------- text <-> python

def loads(text: str) -> Any:
    try:
        value = json.loads(text, parse_float=decimal.Decimal, parse_int=int, parse_constant=_bad_const)
    except (ValueError, TypeError):
        raise InvalidTextRepresentation("invalid input syntax for type json",
                                        detail=f"Token in {text!r} is invalid.") from None
    if "\\u0000" in text:
        refuse_nul(value)
    return value


def refuse_nul(value: Any) -> None:
    """PostgreSQL text cannot hold NUL, so a JSON \\u0000 cannot become text (22P05)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise HeliosError("unsupported Unicode escape sequence", sqlstate="22P05",
                              detail="\\u0000 cannot be converted to text.")
    elif isinstance(value, dict):
        for k, v in value.items():
            refuse_nul(k)
            refuse_nul(v)
    elif isinstance(value, list):
        for v in value:
            refuse_nul(v)


def _bad_const(name: str) -> Any:
    raise ValueError(name)


def _num_text(x: decimal.Decimal | float) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        from helios_core.sql.functions.text_out import _float_layout

        if math.isnan(x) or math.isinf(x):
            return json.dumps(_float_layout(repr(x).lower().replace("infinity", "inf"), 15))
        x = decimal.Decimal(repr(x))
    return format(x, "f")


def _str_text(s: str) -> str:
    # json.dumps(s, ensure_ascii=False) ends in this C function; called directly it costs a fifth
    return encode_basestring(s)


def _key_order(k: str) -> tuple[int, bytes]:
    b = k.encode()
    return (len(b), b)


def dump_jsonb(v: Any) -> str:
    """PostgreSQL's jsonb text output of a parsed document."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, str):
        return _str_text(v)
    if isinstance(v, (int, float, decimal.Decimal)):
        return _num_text(v)
    if isinstance(v, dict):
        if not v:
            return "{}"
        return "{" + ", ".join(f"{_str_text(k)}: {dump_jsonb(v[k])}" for k in sorted(v, key=_key_order)) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(dump_jsonb(x) for x in v) + "]"
    raise TypeError(type(v))


def pretty(v: Any, indent: int = 0) -> str:
    pad = "    " * (indent + 1)
    end = "    " * indent
    if isinstance(v, dict):
        if not v:
            return "{}"
        items = [f"{pad}{_str_text(k)}: {pretty(v[k], indent + 1)}" for k in sorted(v, key=_key_order)]
        return "{\n" + ",\n".join(items) + "\n" + end + "}"
    if isinstance(v, list):
        if not v:
            return "[]"
        return "[\n" + ",\n".join(pad + pretty(x, indent + 1) for x in v) + "\n" + end + "]"
    return dump_jsonb(v)


def text_of(value: Any) -> str:
    """The json text of a value: the piece of json input it was read from (json_text), else
    jsonb's rendering."""
    raw = getattr(value, "raw", None)
    return raw if raw is not None else dump_jsonb(value)


def _docs(v: Vec, keep_text: bool = False) -> list[Any]:
    """Parsed documents of a json/jsonb Vec (None for SQL NULL); parsed once per distinct text.
    ``keep_text``: values remember the json text they were read from (json_text), for the
    json type's operators that hand pieces of the input back."""
    cache: dict[str, Any] = {}
    out = []
    for x in v.array.to_pylist():
        if x is None:
            out.append(_MISSING)
            continue
        d = cache.get(x, _MISSING)
        if d is _MISSING:
            d = loads_keeping_text(x) if keep_text else loads(x)
            if keep_text and "\\u0000" in x:
                refuse_nul(d)  # as loads does: PostgreSQL text cannot hold NUL
            cache[x] = d
        out.append(d)
    return out


def _json_arg(v: Vec, fname: str, args: list[Vec]) -> Vec:
    if v.type.name in ("json", "jsonb"):
        return v
    if v.type.name == "unknown":  # an untyped literal takes the type the function's name says
        return cast(v, T.JSON if fname.startswith("json_") else T.JSONB)
    raise no_function(fname, args)


def _result(vals: list[Any], t: T.SqlType, scalar_: bool) -> Vec:
    """Documents back to a json/jsonb/text Vec (_MISSING -> SQL NULL)."""
    if t.name in ("json", "jsonb"):
        arr = pa.array([None if x is _MISSING else text_of(x) for x in vals], pa.string())
    elif t.name == "text":
        arr = pa.array([None if x is _MISSING or x is None else (str(x) if isinstance(x, str) else text_of(x))
                        for x in vals], pa.string())
    else:
        arr = pa.array([None if x is _MISSING else x for x in vals], t.arrow_type)
    return Vec(arr, t, scalar_)


# ------------------------------------------------------------------------------------ operators

def _get(doc: Any, key: Any) -> Any:
    if isinstance(key, str):
        if isinstance(doc, dict):
            return doc.get(key, _MISSING)
        if isinstance(doc, list):
            try:
                idx = int(key)
            except ValueError:
                return _MISSING
            return _get(doc, idx)
        return _MISSING
    if isinstance(doc, list) and isinstance(key, int):
        if key < 0:
            key += len(doc)
        return doc[key] if 0 <= key < len(doc) else _MISSING
    if isinstance(key, int) and not isinstance(doc, dict) and key == 0:
        return doc  # PostgreSQL stores a scalar document as a one-element array
    return _MISSING


def _path(doc: Any, path: list) -> Any:
    cur = doc
    for p in path:
        if p is None:
            return _MISSING
        cur = _get(cur, p)
        if cur is _MISSING:
            return _MISSING
    return cur


def contains(a: Any, b: Any, top: bool = True) -> bool:
    """PostgreSQL's jsonb @> containment."""
    if isinstance(a, dict) and isinstance(b, dict):
        return all(k in a and contains(a[k], bv, False) for k, bv in b.items())
    if isinstance(a, list) and isinstance(b, list):
        return all(any(contains(x, y, False) for x in a) for y in b)
    if isinstance(a, list) and top and not isinstance(b, (dict, list)):
        return any(not isinstance(x, (dict, list)) and _scalar_eq(x, b) for x in a)
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return False
    return _scalar_eq(a, b)


def _scalar_eq(x: Any, y: Any) -> bool:
    if isinstance(x, bool) or isinstance(y, bool):
        return x is y
    return x == y


def _exists(doc: Any, key: str) -> bool:
    if isinstance(doc, dict):
        return key in doc
    if isinstance(doc, list):
        return any(isinstance(x, str) and x == key for x in doc)
    return isinstance(doc, str) and doc == key


def json_operator(op: str, l: Vec, r: Vec) -> Vec:
    from helios_core.sql.functions.operators import no_operator

    if op in ("<@",):
        return json_operator("@>", r, l)
    if l.type.name not in ("json", "jsonb"):
        if l.type.name == "unknown":
            l = cast(l, T.JSONB)
        else:
            raise no_operator(op, l.type, r.type)
    out_t = l.type.base
    (la, ra), all_scalar = full([l, r])
    docs = _docs(Vec(la, l.type), keep_text=l.type.name == "json" and op in ("->", "->>", "#>", "#>>"))
    if op in ("->", "->>"):
        if r.type.name in ("int2", "int4", "int8") or r.type.is_string_family:
            keys = ra.to_pylist()
        else:
            raise no_operator(op, l.type, r.type)
        vals = [_MISSING if d is _MISSING or k is None else _get(d, k) for d, k in zip(docs, keys, strict=True)]
        if op == "->>":
            return _result(vals, T.TEXT, all_scalar)
        return _result(vals, out_t, all_scalar)
    if op in ("#>", "#>>"):
        rt = cast(Vec(ra, r.type), T.array_of(T.TEXT)) if r.type.element is None else Vec(ra, r.type)
        paths = rt.array.to_pylist()
        vals = [_MISSING if d is _MISSING or p is None else _path(d, [_path_key(x) for x in p])
                for d, p in zip(docs, paths, strict=True)]
        return _result(vals, T.TEXT if op == "#>>" else out_t, all_scalar)
    if op == "@>":
        if l.type.name != "jsonb":
            raise no_operator(op, l.type, r.type)
        rd = _docs(cast(Vec(ra, r.type), T.JSONB))
        vals = [_MISSING if a is _MISSING or b is _MISSING else contains(a, b) for a, b in zip(docs, rd, strict=True)]
        return _result(vals, T.BOOL, all_scalar)
    if op == "?":
        keys = cast(Vec(ra, r.type), T.TEXT).array.to_pylist()
        vals = [_MISSING if d is _MISSING or k is None else _exists(d, k) for d, k in zip(docs, keys, strict=True)]
        return _result(vals, T.BOOL, all_scalar)
    if op in ("?|", "?&"):
        keys = cast(Vec(ra, r.type), T.array_of(T.TEXT)).array.to_pylist()
        f = any if op == "?|" else all
        vals = [_MISSING if d is _MISSING or ks is None else f(_exists(d, k) for k in ks if k is not None)
                for d, ks in zip(docs, keys, strict=True)]
        return _result(vals, T.BOOL, all_scalar)
    if op == "-":
        if r.type.element is not None:
            keys = r.broadcast(len(la)).array.to_pylist()
            vals = [_MISSING if d is _MISSING or ks is None else _delete_keys(d, ks)
                    for d, ks in zip(docs, keys, strict=True)]
        else:
            keys = ra.to_pylist()
            vals = [_MISSING if d is _MISSING or k is None else _delete(d, k) for d, k in zip(docs, keys, strict=True)]
        return _result(vals, T.JSONB, all_scalar)
    if op == "#-":
        paths = cast(Vec(ra, r.type), T.array_of(T.TEXT)).array.to_pylist()
        vals = [_MISSING if d is _MISSING or p is None else _delete_path(d, p) for d, p in zip(docs, paths, strict=True)]
        return _result(vals, T.JSONB, all_scalar)
    raise no_operator(op, l.type, r.type)


def _path_key(x: str | None) -> Any:
    return x


def _delete(doc: Any, key: Any) -> Any:
    if isinstance(key, int):
        if not isinstance(doc, list):
            raise HeliosError("cannot delete from object using integer index" if isinstance(doc, dict) else
                              "cannot delete from scalar", sqlstate="22023")
        idx = key + len(doc) if key < 0 else key
        return [x for i, x in enumerate(doc) if i != idx]
    if isinstance(doc, dict):
        return {k: v for k, v in doc.items() if k != key}
    if isinstance(doc, list):
        return [x for x in doc if not (isinstance(x, str) and x == key)]
    raise HeliosError("cannot delete from scalar", sqlstate="22023")


def _delete_keys(doc: Any, keys: list) -> Any:
    for k in keys:
        if k is not None:
            doc = _delete(doc, k)
    return doc


def _path_index(head: Any, level: int) -> int:
    """An array position of a path (jsonb_set, #-): PostgreSQL's 22P02 when it is not an integer."""
    if head is None:
        raise HeliosError(f"path element at position {level} is null", sqlstate="22004")
    if not re.fullmatch(r"\s*[+-]?[0-9]+\s*", head):
        raise HeliosError(f'path element at position {level} is not an integer: "{head}"', sqlstate="22P02")
    return int(head)


def _delete_path(doc: Any, path: list, level: int = 1) -> Any:
    if not path:
        return doc
    head, rest = path[0], path[1:]
    if head is None and isinstance(doc, (dict, list)):
        raise HeliosError(f"path element at position {level} is null", sqlstate="22004")
    if isinstance(doc, dict):
        if head not in doc:
            return doc
        if not rest:
            return {k: v for k, v in doc.items() if k != head}
        return {**doc, head: _delete_path(doc[head], rest, level + 1)}
    if isinstance(doc, list):
        idx = _path_index(head, level)
        idx = idx + len(doc) if idx < 0 else idx
        if not 0 <= idx < len(doc):
            return doc
        if not rest:
            return doc[:idx] + doc[idx + 1:]
        return doc[:idx] + [_delete_path(doc[idx], rest, level + 1)] + doc[idx + 1:]
    return doc


def jsonb_concat(l: Vec, r: Vec) -> Vec:
    (la, ra), all_scalar = full([l, r])
    a, b = _docs(Vec(la, T.JSONB)), _docs(Vec(ra, T.JSONB))
    out = []
    for x, y in zip(a, b, strict=True):
        if x is _MISSING or y is _MISSING:
            out.append(_MISSING)
        elif isinstance(x, dict) and isinstance(y, dict):
            out.append({**x, **y})
        else:
            xl = x if isinstance(x, list) else [x]
            yl = y if isinstance(y, list) else [y]
            out.append(xl + yl)
    return _result(out, T.JSONB, all_scalar)


# ---------------------------------------------------------------------------- SQL -> JSON

def sql_to_json_values(v: Vec) -> list[Any]:
    """Python JSON values of a Vec (to_jsonb semantics); SQL NULL -> None (JSON null)."""
    t = v.type
    arr = v.array
    if t.name in ("json", "jsonb"):
        return [None if x is None else loads(x) for x in arr.to_pylist()]
    if t.element is not None:
        from helios_core.sql.functions.arrays import list_array

        la = list_array(arr)
        inner = sql_to_json_values(Vec(la.values, t.element))
        offs = la.offsets.to_pylist()
        valid = la.is_valid().to_pylist()
        return [inner[offs[i]:offs[i + 1]] if valid[i] else None for i in range(len(la))]
    if t.is_rowtype and t.fields and pa.types.is_struct(arr.type):
        # ROW(...): an object of its fields f1, f2, ... (each converted as to_jsonb converts it)
        cols = [sql_to_json_values(Vec(arr.field(i), ft)) for i, ft in enumerate(t.fields)]
        names = [arr.type.field(i).name for i in range(len(t.fields))]
        valid = arr.is_valid().to_pylist()
        return [dict(zip(names, vals, strict=True)) if ok else None
                for ok, vals in zip(valid, zip(*cols, strict=True) if cols else [()] * len(arr), strict=True)]
    if t.name == "bool":
        return arr.to_pylist()
    if t.name in ("int2", "int4", "int8"):
        return arr.to_pylist()
    if t.name == "numeric":
        return [None if x is None else (x if isinstance(x, decimal.Decimal) else decimal.Decimal(x))
                for x in arr.to_pylist()]
    if t.name in ("float4", "float8"):
        txt = cast(v, T.TEXT).array.to_pylist()
        out = []
        for s in txt:
            if s is None:
                out.append(None)
            elif s in ("NaN", "Infinity", "-Infinity"):
                out.append(s)
            else:
                out.append(decimal.Decimal(s))
        return out
    if t.name in ("timestamp", "timestamptz") and _has_far(arr):
        return _far_timestamps(v)
    if t.name == "timestamp":
        return [None if x is None else x.isoformat() for x in _py_ts(arr)]
    if t.name == "timestamptz":
        from helios_core.sql.functions.cast import tstz_to_ts

        local = tstz_to_ts(arr)
        txt = cast(v, T.TEXT).array.to_pylist()
        out = []
        for x, s in zip(_py_ts(local), txt, strict=True):
            if x is None:
                out.append(None)
                continue
            off = s[len(s.rstrip("0123456789:")) - 1:] if s else ""
            off = off if ":" in off else off + ":00"
            out.append(x.isoformat() + off)
        return out
    txt = cast(v, T.TEXT).array.to_pylist()
    return txt


def _has_far(arr: pa.Array) -> bool:
    micros = arr.cast(pa.int64()).to_pylist()
    return any(m is not None and far_dates.is_far_timestamp(m) for m in micros)


def _far_timestamps(v: Vec) -> list[Any]:
    """Timestamps outside Python's calendar (±infinity, BC, past 9999) as to_json writes them: the
    text output ('infinity', '-infinity') or ISO 8601 with a 'T'."""
    out = []
    for s in cast(v, T.TEXT).array.to_pylist():
        if s is None or s.endswith(("infinity", " BC")):
            out.append(s)
        else:
            out.append(s.replace(" ", "T", 1))
    return out


def _py_ts(arr: pa.Array) -> list[dt.datetime | None]:
    return arr.cast(pa.timestamp("us")).to_pylist()


def _as_jsonb_vec(v: Vec) -> Vec:
    vals = sql_to_json_values(v)
    valid = v.array.is_valid().to_pylist()
    return _result([x if ok else _MISSING for x, ok in zip(vals, valid, strict=True)], T.JSONB, v.scalar)


@scalar("to_jsonb")
def _to_jsonb(args: list[Vec]) -> Vec:
    return _as_jsonb_vec(_known(args[0]))


@scalar("to_json")
def _to_json(args: list[Vec]) -> Vec:
    """json, not jsonb: PostgreSQL writes it compactly ({"f1":1,"f2":"a"}, [1,2]); a json value is
    itself, its text as written (json_agg and json_build_* embed it so)."""
    v = _known(args[0])
    if v.type.name == "json":
        return v
    return _as_json_vec(v)


@scalar("array_to_json", nargs=(1, 2))
def _array_to_json(args: list[Vec]) -> Vec:
    """json of an array, compact; pretty (second argument true) puts each top-level element on a line."""
    v = _known(args[0])
    if v.type.element is None:
        raise no_function("array_to_json", args)
    if len(args) == 2 and args[1].scalar and args[1].array[0].as_py():
        vals = sql_to_json_values(v)
        valid = v.array.is_valid().to_pylist()
        arr = pa.array(["[" + ",\n ".join(_compact_json(x) for x in d) + "]" if ok else None
                        for d, ok in zip(vals, valid, strict=True)], pa.string())
        return Vec(arr, T.JSON, v.scalar)
    return _as_json_vec(v)


@scalar("row_to_json", nargs=(1, 2))
def _row_to_json(args: list[Vec]) -> Vec:
    v = args[0]
    if not v.type.is_rowtype:
        raise UndefinedFunction(f"function row_to_json({v.type.name}) does not exist",
                                hint="No function matches the given name and argument types. "
                                     "You might need to add explicit type casts.")
    if len(args) == 2 and args[1].scalar and args[1].array[0].as_py():
        vals = sql_to_json_values(v)
        valid = v.array.is_valid().to_pylist()
        arr = pa.array([(",\n ".join(f"{_str_text(k)}:{_compact_json(x)}" for k, x in d.items()).join("{}")
                         if isinstance(d, dict) else _compact_json(d)) if ok else None
                        for d, ok in zip(vals, valid, strict=True)], pa.string())
        return Vec(arr, T.JSON, v.scalar)
    return _as_json_vec(v)


def _known(v: Vec) -> Vec:
    if v.type.name == "unknown":
        from helios_core.errors import DatatypeMismatch

        raise DatatypeMismatch("could not determine polymorphic type because input has type unknown")
    return v


def _as_json_vec(v: Vec) -> Vec:
    vals = sql_to_json_values(v)
    valid = v.array.is_valid().to_pylist()
    arr = pa.array([_compact_json(x) if ok else None for x, ok in zip(vals, valid, strict=True)], pa.string())
    return Vec(arr, T.JSON, v.scalar)


def _compact_json(v: Any) -> str:
    if isinstance(v, dict):
        return "{" + ",".join(f"{_str_text(k)}:{_compact_json(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ",".join(_compact_json(x) for x in v) + "]"
    return dump_jsonb(v)


def _build_object(args: list[Vec], fname: str, out_t: T.SqlType) -> Vec:
    if len(args) % 2:
        raise InvalidParameterValue("argument list must have even number of elements",
                                    hint=f"The arguments of {fname}() must consist of alternating keys and values.")
    n = max([len(a.array) for a in args if not a.scalar] or [1])
    all_scalar = all(a.scalar for a in args)
    cols = []
    for a in args:
        b = a.broadcast(n)
        if b.type.name == "unknown":
            b = cast(b, T.TEXT)
        cols.append(sql_to_json_values(b))
    keys_txt = [cast(args[i].broadcast(n) if args[i].type.name != "unknown" else cast(args[i], T.TEXT).broadcast(n),
                     T.TEXT).array.to_pylist() for i in range(0, len(args), 2)]
    out = []
    for row in range(n):
        obj: dict[str, Any] = {}
        for j in range(0, len(args), 2):
            k = keys_txt[j // 2][row]
            if k is None:
                raise HeliosError("argument 1: key must not be null", sqlstate="22004")
            obj[k] = cols[j + 1][row]
        out.append(obj)
    if out_t.name == "json":  # each value as to_json writes it (arrays and records compact), spaced pairs
        values = [_value_texts(args[j + 1], n) for j in range(0, len(args), 2)]
        arr = pa.array(["{" + ", ".join(f"{_str_text(keys_txt[j][row])} : {values[j][row]}"
                                        for j in range(len(values))) + "}" for row in range(n)], pa.string())
        return Vec(arr, T.JSON, all_scalar)
    return _result(out, T.JSONB, all_scalar)


def _value_texts(v: Vec, n: int) -> list[str]:
    """Each row of ``v`` as json_build_object/json_build_array embed it: to_json's text, null for NULL."""
    b = v.broadcast(n)
    if b.type.name == "unknown":
        b = cast(b, T.TEXT)
    texts = cast(b, T.TEXT) if b.type.name == "jsonb" else _to_json([b])  # jsonb: its own text, as PostgreSQL
    return ["null" if t is None else t for t in texts.array.to_pylist()]


def _json_text(v: Any) -> str:
    """json (not jsonb) output of built values: insertion order, PostgreSQL's spacing."""
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_str_text(k)} : {_json_text(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_json_text(x) for x in v) + "]"
    return dump_jsonb(v)


@scalar("jsonb_build_object", nargs=(0, None))
def _jsonb_build_object(args: list[Vec]) -> Vec:
    return _build_object(args, "jsonb_build_object", T.JSONB)


@scalar("json_build_object", nargs=(0, None))
def _json_build_object(args: list[Vec]) -> Vec:
    return _build_object(args, "json_build_object", T.JSON)


def _build_array(args: list[Vec], out_t: T.SqlType) -> Vec:
    n = max([len(a.array) for a in args if not a.scalar] or [1])
    all_scalar = all(a.scalar for a in args)
    cols = [sql_to_json_values(cast(a, T.TEXT).broadcast(n) if a.type.name == "unknown" else a.broadcast(n))
            for a in args]
    out = [[c[i] for c in cols] for i in range(n)]
    if out_t.name == "json":
        values = [_value_texts(a, n) for a in args]
        return Vec(pa.array(["[" + ", ".join(vals[row] for vals in values) + "]" for row in range(n)], pa.string()),
                   T.JSON, all_scalar)
    return _result(out, T.JSONB, all_scalar)


@scalar("jsonb_build_array", nargs=(0, None))
def _jsonb_build_array(args: list[Vec]) -> Vec:
    return _build_array(args, T.JSONB)


@scalar("json_build_array", nargs=(0, None))
def _json_build_array(args: list[Vec]) -> Vec:
    return _build_array(args, T.JSON)


def _typeof(d: Any) -> str:
    if d is None:
        return "null"
    if isinstance(d, bool):
        return "boolean"
    if isinstance(d, (int, float, decimal.Decimal)):
        return "number"
    if isinstance(d, str):
        return "string"
    if isinstance(d, list):
        return "array"
    return "object"


@scalar("jsonb_typeof", "json_typeof")
def _jsonb_typeof(args: list[Vec]) -> Vec:
    v = _json_arg(args[0], "jsonb_typeof", args)
    return _result([_MISSING if d is _MISSING else _typeof(d) for d in _docs(v)], T.TEXT, v.scalar)


@scalar("jsonb_array_length", "json_array_length")
def _jsonb_array_length(args: list[Vec]) -> Vec:
    v = _json_arg(args[0], "jsonb_array_length", args)
    out = []
    for d in _docs(v):
        if d is _MISSING:
            out.append(_MISSING)
        elif not isinstance(d, list):
            raise InvalidParameterValue("cannot get array length of a " + ("scalar" if not isinstance(d, dict)
                                                                            else "non-array"))
        else:
            out.append(len(d))
    return _result(out, T.INT4, v.scalar)


@scalar("jsonb_pretty")
def _jsonb_pretty(args: list[Vec]) -> Vec:
    v = _json_arg(args[0], "jsonb_pretty", args)
    return _result([_MISSING if d is _MISSING else pretty(d) for d in _docs(v)], T.TEXT, v.scalar)


def _strip_nulls(d: Any) -> Any:
    if isinstance(d, dict):
        return {k: _strip_nulls(x) for k, x in d.items() if x is not None}
    if isinstance(d, list):
        return [_strip_nulls(x) for x in d]
    return d


def _strip_nulls_of(name: str):
    def impl(args: list[Vec]) -> Vec:
        return _jsonb_strip_nulls(name, args)

    return impl


def _jsonb_strip_nulls(name: str, args: list[Vec]) -> Vec:
    v = _json_arg(args[0], name, args)
    if v.type.name == "json":  # json's rewritten text has no spaces; its numbers and strings stay as written
        docs = _docs(v, keep_text=True)
        return Vec(pa.array([None if d is _MISSING else _compact_text(_strip_nulls(d)) for d in docs], pa.string()),
                   T.JSON, v.scalar)
    return _result([_MISSING if d is _MISSING else _strip_nulls(d) for d in _docs(v)], v.type.base, v.scalar)


for _n in ("jsonb_strip_nulls", "json_strip_nulls"):
    define(_n, _strip_nulls_of(_n))


def _compact_text(x: Any) -> str:
    if isinstance(x, dict):
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{_compact_text(v)}" for k, v in x.items()) + "}"
    if isinstance(x, list):
        return "[" + ",".join(_compact_text(v) for v in x) + "]"
    if isinstance(x, str):  # strings are written anew (escapes resolved), numbers as they were
        return json.dumps(str(x), ensure_ascii=False)
    return text_of(x)


def _make_extract_path(name: str):
    def impl(args: list[Vec]) -> Vec:
        v = _json_arg(args[0], name, args)
        keys = [cast(a, T.TEXT) for a in args[1:]]
        arrays, all_scalar = full([v, *keys])
        docs = _docs(Vec(arrays[0], v.type), keep_text=v.type.name == "json")
        kcols = [a.to_pylist() for a in arrays[1:]]
        vals = [(_MISSING if d is _MISSING else _path(d, [c[i] for c in kcols])) for i, d in enumerate(docs)]
        return _result(vals, T.TEXT if name.endswith("_text") else v.type.base, all_scalar)

    return impl


for _n in ("jsonb_extract_path", "json_extract_path", "jsonb_extract_path_text", "json_extract_path_text"):
    define(_n, _make_extract_path(_n), nargs=(1, None))


def _set_path(doc: Any, path: list, new: Any, create: bool, insert: bool = False, after: bool = False,
              level: int = 1) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if head is None and isinstance(doc, (dict, list)):
        raise HeliosError(f"path element at position {level} is null", sqlstate="22004")
    if isinstance(doc, dict):
        if head in doc:
            if not rest and insert:
                raise HeliosError("cannot replace existing key", sqlstate="22023",
                                  hint="Try using the function jsonb_set to replace key value.")
            return {**doc, head: _set_path(doc[head], rest, new, create, insert, after, level + 1)}
        if not rest and create:
            return {**doc, head: new}
        return doc
    if isinstance(doc, list):
        idx = _path_index(head, level)
        n = len(doc)
        pos = idx + n if idx < 0 else idx
        if not rest:
            if insert:
                pos = max(pos, 0)
                ins = min(pos + (1 if after else 0), n) if pos <= n else n
                return doc[:ins] + [new] + doc[ins:]
            if 0 <= pos < n:
                return doc[:pos] + [new] + doc[pos + 1:]
            if create:
                return [new] + doc if pos < 0 else doc + [new]
            return doc
        if 0 <= pos < n:
            return doc[:pos] + [_set_path(doc[pos], rest, new, create, insert, after, level + 1)] + doc[pos + 1:]
        return doc
    raise HeliosError("cannot set path in scalar", sqlstate="22023")


@scalar("jsonb_set", nargs=(3, 4))
def _jsonb_set(args: list[Vec]) -> Vec:
    target = _json_arg(args[0], "jsonb_set", args)
    path = cast(args[1], T.array_of(T.TEXT))
    new = cast(args[2], T.JSONB)
    create = cast(args[3], T.BOOL) if len(args) == 4 else Vec.const(True, T.BOOL)
    arrays, all_scalar = full([target, path, new, create])
    docs = _docs(Vec(arrays[0], T.JSONB))
    news = _docs(Vec(arrays[2], T.JSONB))
    out = []
    for d, p, nw, c in zip(docs, arrays[1].to_pylist(), news, arrays[3].to_pylist(), strict=True):
        if d is _MISSING or p is None or nw is _MISSING or c is None:
            out.append(_MISSING)
        else:
            out.append(_set_path(d, p, nw, c))
    return _result(out, T.JSONB, all_scalar)


@scalar("jsonb_insert", nargs=(3, 4))
def _jsonb_insert(args: list[Vec]) -> Vec:
    target = _json_arg(args[0], "jsonb_insert", args)
    path = cast(args[1], T.array_of(T.TEXT))
    new = cast(args[2], T.JSONB)
    after = cast(args[3], T.BOOL) if len(args) == 4 else Vec.const(False, T.BOOL)
    arrays, all_scalar = full([target, path, new, after])
    docs = _docs(Vec(arrays[0], T.JSONB))
    news = _docs(Vec(arrays[2], T.JSONB))
    out = []
    for d, p, nw, a in zip(docs, arrays[1].to_pylist(), news, arrays[3].to_pylist(), strict=True):
        out.append(_MISSING if d is _MISSING or p is None or nw is _MISSING else
                   _set_path(d, p, nw, True, insert=True, after=bool(a)))
    return _result(out, T.JSONB, all_scalar)


def _object_pairs(args: list[Vec]) -> tuple[list, bool]:
    """json(b)_object's (key, value) pairs per row (_MISSING for a NULL argument), and scalarness."""
    if len(args) == 1:
        a = cast(args[0], T.array_of(T.TEXT))
        out: list = []
        for lst in a.array.to_pylist():
            if lst is None:
                out.append(_MISSING)
                continue
            if lst and isinstance(lst[0], list):  # a two-dimensional array: one pair per row
                if any(isinstance(x, list) for row in lst for x in row):
                    raise HeliosError("wrong number of array subscripts", sqlstate="2202E")
                if any(len(row) != 2 for row in lst):
                    raise HeliosError("array must have two columns", sqlstate="2202E")
                lst = [x for row in lst for x in row]
            if len(lst) % 2:
                raise HeliosError("array must have even number of elements", sqlstate="2202E")
            out.append(_object_of(lst[0::2], lst[1::2]))
        return out, a.scalar
    k, v = (cast(x, T.array_of(T.TEXT)) for x in args)
    (ka, va), s = full([k, v])
    out = []
    for x, y in zip(ka.to_pylist(), va.to_pylist(), strict=True):
        if x is None or y is None:
            out.append(_MISSING)
            continue
        if any(isinstance(e, list) for e in (*x, *y)):
            raise HeliosError("wrong number of array subscripts", sqlstate="2202E")
        if len(x) != len(y):
            raise HeliosError("mismatched array dimensions", sqlstate="2202E")
        out.append(_object_of(x, y))
    return out, s


@scalar("jsonb_object", nargs=(1, 2))
def _jsonb_object(args: list[Vec]) -> Vec:
    pairs, scalar_ = _object_pairs(args)
    return _result([p if p is _MISSING else dict(p) for p in pairs], T.JSONB, scalar_)


@scalar("json_object", nargs=(1, 2))
def _json_object(args: list[Vec]) -> Vec:
    """json, not jsonb: every pair in the given order, PostgreSQL's '{"a" : "1", "b" : null}' text."""
    pairs, scalar_ = _object_pairs(args)

    def text(p: list) -> str:
        return "{" + ", ".join(json.dumps(k, ensure_ascii=False) + " : " +
                               ("null" if v is None else json.dumps(v, ensure_ascii=False)) for k, v in p) + "}"

    return Vec(pa.array([None if p is _MISSING else text(p) for p in pairs], pa.string()), T.JSON, scalar_)


def _object_of(keys: list, values: list) -> list[tuple]:
    if any(k is None for k in keys):
        raise HeliosError("null value not allowed for object key", sqlstate="22004")
    return list(zip(keys, values, strict=True))


# ------------------------------------------------------------- expansion helpers (for the planner)

def expand_array_elements(v: Vec, as_text: bool = False) -> tuple[pa.Array, Vec]:
    """jsonb_array_elements[_text]: (parent row index int64, element Vec) for each element."""
    v = v if v.type.name in ("json", "jsonb") else cast(v, T.JSONB)
    parents, elems = [], []
    for i, d in enumerate(_docs(v)):
        if d is _MISSING:
            continue
        if not isinstance(d, list):
            raise InvalidParameterValue("cannot extract elements from " + ("an object" if isinstance(d, dict)
                                                                           else "a scalar"))
        for e in d:
            parents.append(i)
            elems.append(e)
    out_t = T.TEXT if as_text else v.type.base
    return pa.array(parents, pa.int64()), _result(elems, out_t, False)


def expand_each(v: Vec, as_text: bool = False) -> tuple[pa.Array, Vec, Vec]:
    """jsonb_each[_text]: (parent row index, key text Vec, value Vec)."""
    v = v if v.type.name in ("json", "jsonb") else cast(v, T.JSONB)
    parents, keys, vals = [], [], []
    for i, d in enumerate(_docs(v)):
        if d is _MISSING:
            continue
        if not isinstance(d, dict):
            raise InvalidParameterValue("cannot call jsonb_each on a non-object")
        for k in sorted(d, key=_key_order) if v.type.name == "jsonb" else d:
            parents.append(i)
            keys.append(k)
            vals.append(d[k])
    return (pa.array(parents, pa.int64()), Vec(pa.array(keys, pa.string()), T.TEXT),
            _result(vals, T.TEXT if as_text else v.type.base, False))


def expand_object_keys(v: Vec) -> tuple[pa.Array, Vec]:
    """jsonb_object_keys: (parent row index, key text Vec)."""
    p, k, _ = expand_each(v)
    return p, k


def jsonb_to_scalar_text(arr: pa.Array, dst: T.SqlType) -> pa.Array:
    """jsonb -> bool/number casts: the scalar's text (22023 if the jsonb is not that scalar kind)."""
    out = []
    want = "boolean" if dst.name == "bool" else "number"
    for x in arr.to_pylist():
        if x is None:
            out.append(None)
            continue
        d = loads(x)
        if d is None:
            out.append(None)
            continue
        if _typeof(d) != want:
            raise HeliosError(f"cannot cast jsonb {_typeof(d)} to type {dst}", sqlstate="22023")
        out.append(dump_jsonb(d))
    return pa.array(out, pa.string())


@scalar("jsonb_delete_path", "j_s_o_n_b_delete_at_path", nargs=2)  # the second: sqlglot's JSONBDeleteAtPath
def _jsonb_delete_path(args: list[Vec]) -> Vec:
    """jsonb #- text[] as a function."""
    return json_operator("#-", args[0], args[1])

