"""hstore: the extension's key/value type, its operators and functions.

Storage: a value is kept as its canonical text (pairs in PostgreSQL's storage order, one per
key, printed as hstore_out prints them), an Arrow string. Two hstores are equal exactly when
their canonical texts are, so equality, hashing, GROUP BY, DISTINCT, UNIQUE and joins work as
on text with no code of their own, and the text output is the stored string itself; operators
and functions parse the text (``hstore_text``) when they look inside. The order of ``<``/ORDER
BY is that of the texts, not PostgreSQL's hstore btree order.

The type name resolves only where CREATE EXTENSION hstore installed it (``hstore_type``); the
operators apply only to operands of that type, the functions are 42883 until it is installed
(``catalog.check_function``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import attrs
import pyarrow as pa

from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.hstore_text import Pairs, canonical, format_pairs, parse, to_json
from helios_core.sql import extension_operators
from helios_core.sql import types as T
from helios_core.sql.functions.cast import cast
from helios_core.sql.functions.registry import no_function, scalar
from helios_core.sql.functions.text_in import jsonb_text
from helios_core.sql.functions.vec import Vec, full

HSTORE = T.HSTORE
TEXT_ARRAY = T.array_of(T.TEXT)
FUNCTIONS = ("hstore", "akeys", "avals", "skeys", "svals", "each", "exist", "exists_any", "exists_all",
             "defined", "delete", "slice", "slice_array", "fetchval", "isexists", "isdefined", "hs_concat",
             "hs_contains", "hs_contained", "tconvert", "hstore_to_json", "hstore_to_jsonb",
             "hstore_to_json_loose", "hstore_to_jsonb_loose", "hstore_to_array", "hstore_to_matrix",
             "populate_record")


def parse_column(arr: pa.Array) -> pa.Array:
    """Text input of a string array: the canonical text of each value."""
    return pa.array([None if s is None else format_pairs(parse(s)) for s in arr.to_pylist()], pa.string())


def _pairs(s: str) -> Pairs:
    return parse(s)


def _text(p: Pairs) -> str:
    return format_pairs(canonical(list(p.items())))


# ---------------------------------------------------------------------------------------- operators

def _contains(a: Pairs, b: Pairs) -> bool:
    return all(k in a and a[k] == v for k, v in b.items())


def _minus(p: Pairs, keys: Any) -> str:
    return format_pairs({k: v for k, v in p.items() if k not in keys})


def _minus_pairs(p: Pairs, q: Pairs) -> str:
    return format_pairs({k: v for k, v in p.items() if not (k in q and q[k] == v)})


def _slice(p: Pairs, keys: list[str | None]) -> str:
    return format_pairs(canonical([(k, p[k]) for k in keys if k is not None and k in p]))


def _rowwise(fn: Callable[..., Any]) -> Callable[[list[pa.Array]], list[Any]]:
    """An operator's impl: ``fn`` per row over the operands' Python values, hstores parsed."""
    def impl(arrays: list[pa.Array]) -> list[Any]:
        return [fn(*row) for row in zip(*(a.to_pylist() for a in arrays), strict=True)]
    return impl


@attrs.frozen
class _Operator:  # the shape of hookspecs.SqlOperator, which extension_operators reads
    symbol: str
    left: str | None
    right: str
    impl: Callable[[list[pa.Array]], Any]
    return_type: str


_OPERATORS = (
    ("->", "text", "text", lambda h, k: _pairs(h).get(k)),
    ("->", "text[]", "text[]", lambda h, ks: [_pairs(h).get(k) for k in ks]),
    ("?", "text", "boolean", lambda h, k: k in _pairs(h)),
    ("?|", "text[]", "boolean", lambda h, ks: any(k in _pairs(h) for k in ks if k is not None)),
    ("?&", "text[]", "boolean", lambda h, ks: all(k in _pairs(h) for k in ks if k is not None)),
    ("@>", "hstore", "boolean", lambda a, b: _contains(_pairs(a), _pairs(b))),
    ("<@", "hstore", "boolean", lambda a, b: _contains(_pairs(b), _pairs(a))),
    ("||", "hstore", "hstore", lambda a, b: _text({**_pairs(a), **_pairs(b)})),
    ("-", "hstore", "hstore", lambda a, b: _minus_pairs(_pairs(a), _pairs(b))),
    ("-", "text", "hstore", lambda h, k: _minus(_pairs(h), {k})),
    ("-", "text[]", "hstore", lambda h, ks: _minus(_pairs(h), set(ks))),
)
for _symbol, _right, _ret, _fn in _OPERATORS:
    extension_operators.register(_Operator(_symbol, "hstore", _right, _rowwise(_fn), _ret))


# ---------------------------------------------------------------------------------------- functions

def _typed(args: list[Vec], *types: T.SqlType) -> tuple[list[list[Any]], bool]:
    """The arguments cast to ``types`` (untyped literals read as them), as Python rows."""
    arrays, scalar_only = full([a if a.type == t else cast(a, t, context="implicit")
                                for a, t in zip(args, types, strict=True)])
    return [list(r) for r in zip(*(a.to_pylist() for a in arrays), strict=True)], scalar_only


def _is_hstore(v: Vec) -> bool:
    return v.type.name == "hstore"


def _strict(fn: Callable[..., Any], ret: T.SqlType, *types: T.SqlType) -> Callable[[list[Vec]], Vec]:
    """A strict function over ``types``: NULL when an argument is NULL, else ``fn`` per row."""
    def impl(args: list[Vec]) -> Vec:
        rows, scalar_only = _typed(args, *types)
        out = [None if any(x is None for x in r) else fn(*r) for r in rows]
        return Vec(pa.array(out, ret.arrow_type), ret, scalar_only)
    return impl


def _hstore_arg(args: list[Vec], i: int, name: str) -> None:
    if not (_is_hstore(args[i]) or args[i].type.name == "unknown"):
        raise no_function(name, args)


def _define(name: str, nargs: int, overloads: Callable[[list[Vec]], Callable[[list[Vec]], Vec]]) -> None:
    @scalar(name, nargs=nargs)
    def impl(args: list[Vec]) -> Vec:
        return overloads(args)(args)


def _by_second(name: str, on_text: Callable, on_array: Callable, ret_text: T.SqlType,
               ret_array: T.SqlType, on_hstore: Callable | None = None) -> None:
    """f(hstore, text) / f(hstore, text[]) / f(hstore, hstore)."""
    def pick(args: list[Vec]) -> Callable[[list[Vec]], Vec]:
        _hstore_arg(args, 0, name)
        second = args[1].type
        if second.element is not None:
            return _strict(lambda h, ks: on_array(_pairs(h), ks), ret_array, HSTORE, TEXT_ARRAY)
        if second.name == "hstore" and on_hstore is not None:
            return _strict(lambda h, o: on_hstore(_pairs(h), _pairs(o)), HSTORE, HSTORE, HSTORE)
        return _strict(lambda h, k: on_text(_pairs(h), k), ret_text, HSTORE, T.TEXT)
    _define(name, 2, pick)


def _on_hstore(name: str, fn: Callable[[Pairs], Any], ret: T.SqlType) -> None:
    def pick(args: list[Vec]) -> Callable[[list[Vec]], Vec]:
        _hstore_arg(args, 0, name)
        return _strict(lambda h: fn(_pairs(h)), ret, HSTORE)
    _define(name, 1, pick)


def _two_hstores(name: str, fn: Callable[[Pairs, Pairs], Any], ret: T.SqlType) -> None:
    def pick(args: list[Vec]) -> Callable[[list[Vec]], Vec]:
        _hstore_arg(args, 0, name)
        return _strict(lambda a, b: fn(_pairs(a), _pairs(b)), ret, HSTORE, HSTORE)
    _define(name, 2, pick)


def _from_arrays(keys: list[str | None], values: list[str | None] | None) -> str:
    if any(k is None for k in keys):
        raise HeliosError("null value not allowed for hstore key", sqlstate="22004")
    if values is not None and len(values) != len(keys):
        raise HeliosError("arrays must have same bounds", sqlstate="2202E")
    return format_pairs(canonical(list(zip(keys, values if values is not None else [None] * len(keys),
                                           strict=True))))


def _from_pairs_array(flat: list[Any]) -> str:
    """hstore(text[]): a flat array of alternating keys and values, or a two-column one."""
    if flat and isinstance(flat[0], list):
        if any(len(r) != 2 for r in flat):
            raise HeliosError("wrong number of array subscripts", sqlstate="2202E")
        flat = [x for r in flat for x in r]
    if len(flat) % 2:
        raise HeliosError("array must have even number of elements", sqlstate="2202E")
    return _from_arrays(flat[0::2], flat[1::2])


def _constructor(args: list[Vec]) -> Callable[[list[Vec]], Vec]:
    """hstore(text, text), hstore(text[], text[]), hstore(text[]); hstore(record) is not built."""
    if len(args) == 2 and (args[0].type.element is not None or args[1].type.element is not None):
        def arrays(a: list[Vec]) -> Vec:
            rows, s = _typed(a, TEXT_ARRAY, TEXT_ARRAY)
            out = [None if k is None else _from_arrays(k, v) for k, v in rows]
            return Vec(pa.array(out, pa.string()), HSTORE, s)
        return arrays
    if len(args) == 2:
        def pair(a: list[Vec]) -> Vec:
            rows, s = _typed(a, T.TEXT, T.TEXT)
            out = [None if k is None else format_pairs({k: v}) for k, v in rows]
            return Vec(pa.array(out, pa.string()), HSTORE, s)
        return pair
    if args[0].type.is_rowtype:
        return _from_record
    if args[0].type.element is None and args[0].type.name != "unknown":
        raise no_function("hstore", args)
    return _strict(_from_pairs_array, HSTORE, T.array_of(T.TEXT))


def _from_record(args: list[Vec]) -> Vec:
    """hstore(record): the fields' names and their values' text (a NULL record: every value NULL,
    as PostgreSQL's hstore_from_record, which is not strict)."""
    rec = args[0]
    arr = rec.array.combine_chunks() if isinstance(rec.array, pa.ChunkedArray) else rec.array
    if not pa.types.is_struct(arr.type):
        raise FeatureNotSupported("hstore(record) of this record is not supported by HeliosDB")
    texts = [cast(Vec(arr.field(i), t, rec.scalar), T.TEXT).array.to_pylist()
             for i, t in enumerate(rec.type.fields)]
    names = rec.type.field_names
    out = [format_pairs(canonical([(names[i], texts[i][r] if valid else None) for i in range(len(names))]))
           for r, valid in enumerate(arr.is_valid().to_pylist())]
    return Vec(pa.array(out, pa.string()), HSTORE, rec.scalar)


@scalar("hstore", nargs=(1, 2))
def _hstore(args: list[Vec]) -> Vec:
    return _constructor(args)(args)


_by_second("exist", lambda p, k: k in p, None, T.BOOL, T.BOOL)
_by_second("isexists", lambda p, k: k in p, None, T.BOOL, T.BOOL)
_by_second("defined", lambda p, k: p.get(k) is not None, None, T.BOOL, T.BOOL)
_by_second("isdefined", lambda p, k: p.get(k) is not None, None, T.BOOL, T.BOOL)
_by_second("fetchval", lambda p, k: p.get(k), None, T.TEXT, T.TEXT)
_by_second("exists_any", None, lambda p, ks: any(k in p for k in ks if k is not None), T.BOOL, T.BOOL)
_by_second("exists_all", None, lambda p, ks: all(k in p for k in ks if k is not None), T.BOOL, T.BOOL)
_by_second("delete", lambda p, k: _minus(p, {k}), lambda p, ks: _minus(p, set(ks)), HSTORE, HSTORE,
           on_hstore=_minus_pairs)
_by_second("slice", None, _slice, HSTORE, HSTORE)
_by_second("slice_array", None, lambda p, ks: [p.get(k) for k in ks], TEXT_ARRAY, TEXT_ARRAY)
_on_hstore("akeys", lambda p: list(p), TEXT_ARRAY)
_on_hstore("avals", lambda p: list(p.values()), TEXT_ARRAY)
_on_hstore("hstore_to_array", lambda p: [x for kv in p.items() for x in kv], TEXT_ARRAY)
_on_hstore("hstore_to_matrix", lambda p: [list(kv) for kv in p.items()], T.array_with_dims(T.TEXT, 2))
_on_hstore("hstore_to_json", lambda p: to_json(p), T.JSON)
_on_hstore("hstore_to_json_loose", lambda p: to_json(p, loose=True), T.JSON)
_on_hstore("hstore_to_jsonb", lambda p: jsonb_text(to_json(p)), T.JSONB)
_on_hstore("hstore_to_jsonb_loose", lambda p: jsonb_text(to_json(p, loose=True)), T.JSONB)
_two_hstores("hs_concat", lambda a, b: _text({**a, **b}), HSTORE)
_two_hstores("hs_contains", _contains, T.BOOL)
_two_hstores("hs_contained", lambda a, b: _contains(b, a), T.BOOL)
_define("tconvert", 2, lambda args: _constructor(args))


def _not_built(name: str, what: str) -> None:
    @scalar(name, nargs=(1, 2))
    def impl(args: list[Vec]) -> Vec:
        raise FeatureNotSupported(f"{what} is not supported by HeliosDB")


_not_built("populate_record", "populate_record(anyelement, hstore)")


# the set-returning functions (operators.tablefunc expands them): name -> output columns
SET_RETURNING: dict[str, list[tuple[str, T.SqlType]]] = {
    "each": [("key", T.TEXT), ("value", T.TEXT)],
    "skeys": [("skeys", T.TEXT)],
    "svals": [("svals", T.TEXT)],
}


def set_rows(name: str, value: str | None) -> list[pa.Array]:
    """The rows each/skeys/svals return for one hstore (none for NULL), column by column."""
    p = _pairs(value) if value is not None else {}
    if name == "each":
        return [pa.array(list(p), pa.string()), pa.array(list(p.values()), pa.string())]
    return [pa.array(list(p) if name == "skeys" else list(p.values()), pa.string())]
