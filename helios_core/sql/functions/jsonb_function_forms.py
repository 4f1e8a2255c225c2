"""The functions behind PostgreSQL's jsonb operators, callable by name (jsonb_exists, jsonb_contains,
jsonb_delete, jsonb_concat, ...), jsonb_set_lax, and pg_column_size of a jsonb value (the size of
PostgreSQL's binary layout, so equal documents compare equal whatever way they were built)."""

from __future__ import annotations

import pyarrow as pa

from helios_core.errors import HeliosError
from helios_core.sql import types as T
from helios_core.sql.functions.cast import cast
from helios_core.sql.functions.jsonb import _MISSING, _docs, _result, json_operator, jsonb_concat
from helios_core.sql.functions.registry import call_function, define, no_function, scalar
from helios_core.sql.functions.vec import Vec, full
from helios_core.sql.jsonpath.evaluate import stored_size

_OPERATOR_FUNCTIONS = {
    "jsonb_exists": "?", "jsonb_exists_any": "?|", "jsonb_exists_all": "?&", "jsonb_contains": "@>",
    "jsonb_contained": "<@", "jsonb_delete": "-", "jsonb_delete_path": "#-",
    "jsonb_extract_path_op": "#>", "jsonb_object_field": "->", "jsonb_object_field_text": "->>",
    "jsonb_array_element": "->", "jsonb_array_element_text": "->>",
}


def _operator_form(op: str):
    def impl(args: list[Vec]) -> Vec:
        left = args[0] if args[0].type.name != "unknown" else cast(args[0], T.JSONB)
        right = args[1]
        if op in ("@>", "<@") and right.type.name == "unknown":
            right = cast(right, T.JSONB)
        if op in ("?|", "?&") and right.type.element is None:
            right = cast(right, T.array_of(T.TEXT))
        return json_operator(op, left, right)

    return impl


for _name, _op in _OPERATOR_FUNCTIONS.items():
    if _name != "jsonb_delete_path":  # registered with jsonb.py's own spelling of it
        define(_name, _operator_form(_op), nargs=2)


@scalar("jsonb_concat", nargs=2)
def _jsonb_concat(args: list[Vec]) -> Vec:
    left, right = (a if a.type.name == "jsonb" else cast(a, T.JSONB) for a in args)
    return jsonb_concat(left, right)

_TREATMENTS = ("delete_key", "return_target", "use_json_null", "raise_exception")


@scalar("jsonb_set_lax", nargs=(3, 5))
def _jsonb_set_lax(args: list[Vec]) -> Vec:
    """jsonb_set with a rule for an SQL NULL new value (null_value_treatment)."""
    target = args[0] if args[0].type.name == "jsonb" else cast(args[0], T.JSONB)
    path = cast(args[1], T.array_of(T.TEXT))
    new = cast(args[2], T.JSONB)
    create = cast(args[3], T.BOOL) if len(args) > 3 else Vec.const(True, T.BOOL)
    treatment = cast(args[4], T.TEXT) if len(args) > 4 else Vec.const("use_json_null", T.TEXT)
    arrays, all_scalar = full([target, path, new, create, treatment])
    out = []
    for d, p, nw, c, tr in zip(*(a.to_pylist() for a in arrays), strict=True):
        if tr is None or (nw is None and tr not in _TREATMENTS):
            raise HeliosError('null_value_treatment must be "delete_key", "return_target", "use_json_null", or '
                              '"raise_exception"', sqlstate="22023")
        if d is None or p is None:
            out.append(None)
            continue
        if nw is not None or tr == "use_json_null":
            row = [Vec.const(d, T.JSONB), Vec.const(p, T.array_of(T.TEXT)), Vec.const(nw or "null", T.JSONB),
                   Vec.const(c, T.BOOL)]
            out.append(call_function("jsonb_set", row).array[0].as_py())
        elif tr == "raise_exception":
            raise HeliosError("JSON value must not be null", sqlstate="22004",
                              detail='Exception was raised because null_value_treatment is "raise_exception".',
                              hint="To avoid, either change the null_value_treatment argument or ensure that an "
                                   "SQL NULL is not passed.")
        elif tr == "delete_key":
            out.append(json_operator("#-", Vec.const(d, T.JSONB), Vec.const(p, T.array_of(T.TEXT))).array[0].as_py())
        else:
            out.append(d)
    return Vec(pa.array(out, pa.string()), T.JSONB, all_scalar)


@scalar("pg_column_size")
def _pg_column_size(args: list[Vec]) -> Vec:
    """The bytes of a jsonb value in PostgreSQL's binary layout (a 4-byte header and its containers)."""
    v = args[0]
    if v.type.name != "jsonb":
        raise no_function("pg_column_size", args)
    sizes = [None if d is _MISSING else stored_size(d) for d in _docs(v)]
    return _result(sizes, T.INT4, v.scalar)

