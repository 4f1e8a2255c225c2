"""Documents <-> the ``doc jsonb`` column: plain JSON where JSON can say it, Extended JSON v2 otherwise.

Strings, booleans, null, int32, finite doubles, embedded documents and arrays are stored as
the JSON a SQL user expects (``{"name": "ada", "age": 36}``). Every other BSON type is
stored in canonical Extended JSON (``{"$oid": ...}``, ``{"$numberLong": "7"}``,
``{"$date": {"$numberLong": ...}}``, ``{"$numberDecimal": ...}``, ...), so reading a row back
gives the exact BSON type. A double that is integral keeps its ``.0`` (jsonb keeps the
scale), so it does not come back as an int32.

jsonb orders object keys by length, not as written, so the order a document's fields were
written in (what MongoDB keeps and drivers show) is stored beside it as a *field order*: a JSON
list of the keys as written, an entry ``[key, order]`` for a field whose value needs one of its
own, and ``[0, order or 0, ...]`` for an array whose elements do. Reading applies it to the
keys the document still has (a SQL UPDATE may have added or removed some: those not listed
follow in jsonb's order), so the stored ``doc`` stays ordinary jsonb for SQL.

``encode_row`` writes the jsonb text exactly as the kernel's jsonb input would normalise it
(keys by length then bytes, ``", "`` and ``": "`` separators, numbers in positional notation),
so a batch of documents goes into the table without being parsed again. orjson writes it (the
standard library's encoder took about a fifth of an insert's server time): its indented form
has ``": "`` already, and as a JSON string never holds a raw line break, taking out each line
break with its indent (``", "`` after a comma) leaves exactly jsonb's text.
"""

from __future__ import annotations

import decimal
import json
import math
import re
from typing import Any

import bson
import orjson
from bson import json_util
from bson.int64 import Int64
from bson.json_util import CANONICAL_JSON_OPTIONS

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def to_json_value(value: Any) -> Any:
    """A BSON value -> a JSON-serialisable value (see module doc)."""
    if value is None or isinstance(value, bool) or type(value) is str:  # Code is a str subclass
        return value
    if isinstance(value, dict):
        return {k: to_json_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_json_value(v) for v in value]
    if isinstance(value, Int64):
        return {"$numberLong": str(int(value))}
    if isinstance(value, int):
        if INT32_MIN <= value <= INT32_MAX:
            return value
        return {"$numberLong": str(value)}
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return json_util.default(value, json_options=CANONICAL_JSON_OPTIONS)
    return json_util.default(value, json_options=CANONICAL_JSON_OPTIONS)


def dumps(value: Any) -> str:
    """JSON text of a document or value for a jsonb parameter."""
    return json.dumps(to_json_value(value), ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def key_text(value: Any) -> str:
    """``dumps`` of an ``_id`` for a jsonb parameter; a string of printable ASCII without quotes or
    backslashes is its own JSON text once quoted (no encoder call: every find and update by key has one)."""
    if type(value) is str and _SAFE.fullmatch(value):
        return '"' + value + '"'
    return dumps(value)


def _object_hook(obj: dict[str, Any]) -> Any:
    if obj and next(iter(obj)).startswith("$"):
        return json_util.object_hook(obj, json_options=CANONICAL_JSON_OPTIONS)
    return obj


_AS_IS = {str, float, bool, type(None)}  # JSON values that are their own BSON value


def from_json_value(value: Any) -> Any:
    """A JSON value read from jsonb (already parsed) -> BSON value."""
    kind = type(value)
    if kind is dict:
        for item in value.values():
            if type(item) not in _AS_IS:
                converted = {k: v if type(v) in _AS_IS else from_json_value(v) for k, v in value.items()}
                return _object_hook(converted)
        return _object_hook(value)  # every value is its own BSON value (a flat document): no copy
    if kind is list:
        return [v if type(v) in _AS_IS else from_json_value(v) for v in value]
    if kind is int and not INT32_MIN <= value <= INT32_MAX:
        return Int64(value)  # a big integer written through SQL
    return value


def parse_json(text: str | bytes) -> Any:
    """JSON text -> Python values: orjson, or the standard library for what orjson refuses (integers
    beyond 64 bits and lone surrogates, which jsonb written through SQL may hold)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def loads(text: str | bytes) -> Any:
    """jsonb text -> BSON value (Extended JSON objects become their BSON types)."""
    return from_json_value(parse_json(text))


def load_document(text: str | bytes, id_text: str | bytes | None = None,
                  order_text: str | None = None) -> dict[str, Any]:
    """jsonb text of a stored document -> the document in its field order (``order_text``), ``_id``
    first (the ``_id`` column's value when the document itself has none, as a row inserted
    through SQL may not)."""
    raw = parse_json(text)
    if order_text:
        raw = _reorder(raw, parse_json(order_text))
    doc = from_json_value(raw)
    if not isinstance(doc, dict):
        doc = {"value": doc}
    if "_id" in doc:
        if next(iter(doc)) == "_id":
            return doc
        return {"_id": doc.pop("_id"), **doc}
    if id_text is not None:
        return {"_id": loads(id_text), **doc}
    return doc


def bson_size(doc: dict[str, Any]) -> int:
    return len(bson.encode(doc))


# -- writing rows in jsonb's own text form, with the field order beside them ---------------------------

_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(", ", ": "))
_encode = _ENCODER.encode
_TWO_POW_53 = 2.0**53


class _NeedsPositional(Exception):
    """A double jsonb writes in positional notation (1e-05 -> 0.00001): the slower dumper is needed."""


def _jsonb_key_order(key: str) -> tuple[int, bytes]:
    raw = key.encode()
    return (len(raw), raw)


def _sorted_keys(keys: list[str]) -> list[str]:
    return sorted(keys, key=_jsonb_key_order)


_KEY_PLANS: dict[tuple[str, ...], tuple[tuple[str, ...], bool]] = {}  # documents of a collection share keys


def _key_plan(keys: tuple[str, ...]) -> tuple[tuple[str, ...], bool]:
    """(the keys in jsonb's order, whether that is the written order), remembered per key tuple."""
    plan = _KEY_PLANS.get(keys)
    if plan is None:
        if len(_KEY_PLANS) > 50_000:
            _KEY_PLANS.clear()
        ordered = tuple(sorted(keys, key=_jsonb_key_order))
        plan = _KEY_PLANS[keys] = (ordered, ordered == keys)
    return plan


def _canonical(value: Any) -> tuple[Any, Any]:
    """(the JSON value with object keys in jsonb's order, the field order or None when jsonb's order
    is already the written one)."""
    kind = type(value)
    if kind is str or value is None or kind is bool:
        return value, None
    if kind is dict:
        keys = tuple(value)
        ordered, same = _key_plan(keys)
        out: dict[str, Any] = {}  # built in jsonb's order at once: one dict per document, not two
        orders: dict[str, Any] = {}
        for key in ordered:
            item = value[key]
            if type(item) is str:
                out[key] = item
                continue
            converted, order = _canonical(item)
            out[key] = converted
            if order is not None:
                orders[key] = order
        if orders:
            return out, [[key, orders[key]] if key in orders else key for key in keys]
        return out, (None if same else list(keys))
    if kind is list or kind is tuple:
        items = []
        element_orders: list[Any] = [0]
        nested = False
        for element in value:
            converted, order = _canonical(element)
            items.append(converted)
            element_orders.append(order or 0)
            nested = nested or order is not None
        return items, (element_orders if nested else None)
    if kind is int:
        if INT32_MIN <= value <= INT32_MAX:
            return value, None
        return {"$numberLong": str(value)}, None
    if kind is float:
        if not math.isfinite(value):
            return _sorted_extended(value), None
        text = repr(value)
        if "e" in text:
            if abs(value) >= _TWO_POW_53:  # positional text would read back as an integer
                return {"$numberDouble": text}, None
            raise _NeedsPositional
        return value, None
    if isinstance(value, dict):  # SON and other mappings
        return _canonical(dict(value))
    return _sorted_extended(value), None


def _sorted_extended(value: Any) -> Any:
    """A BSON value's canonical Extended JSON with its keys in jsonb's order."""
    return _sort_json(to_json_value(value))


def _sort_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sort_json(value[k]) for k in _sorted_keys(list(value))}
    if isinstance(value, list):
        return [_sort_json(v) for v in value]
    return value


def _dump_positional(value: Any) -> str:
    """jsonb text of a value whose keys are already in jsonb's order, doubles in positional notation."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_encode(k)}: {_dump_positional(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_dump_positional(v) for v in value) + "]"
    if isinstance(value, float):
        return format(decimal.Decimal(repr(value)), "f")
    return _encode(value)


def _positional(value: Any) -> Any:
    """_canonical's JSON value for a document holding doubles jsonb writes positionally."""
    if isinstance(value, dict):
        return {k: _positional(value[k]) for k in _sorted_keys(list(value))}
    if isinstance(value, list | tuple):
        return [_positional(v) for v in value]
    if isinstance(value, float) and math.isfinite(value):
        return {"$numberDouble": repr(value)} if abs(value) >= _TWO_POW_53 else value
    if isinstance(value, bool) or value is None or type(value) is str:
        return value
    if type(value) is int and INT32_MIN <= value <= INT32_MAX:
        return value
    return _sorted_extended(value)


_COMMA_BREAK = re.compile(rb",\n *")
_BREAK = re.compile(rb"\n *")


def _encode_fast(value: Any) -> str:
    """``_encode``'s text (keys kept in the order given) through orjson; see the module doc."""
    try:
        text = orjson.dumps(value, option=orjson.OPT_INDENT_2)
    except orjson.JSONEncodeError:  # what orjson does not take (a str subclass, ...): the standard encoder
        return _encode(value)
    return _BREAK.sub(b"", _COMMA_BREAK.sub(b", ", text)).decode()


def _plain_scalar(value: Any) -> bool:
    """A value orjson writes exactly as jsonb does: a string, boolean, null, int32 or a double whose
    shortest text has no exponent (Int64 and other BSON types are int/str subclasses or objects)."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return INT32_MIN <= value <= INT32_MAX
    return kind is float and math.isfinite(value) and "e" not in repr(value)


def _flat_row(doc: dict[str, Any]) -> tuple[str, str, str | None] | None:
    """encode_row of a document whose values are all plain scalars (no embedded documents or arrays),
    or None. orjson's two-space indented text of a flat object has each member on a line of its own
    after ``{\n  ``, so jsonb's text is that with ``,\n  `` turned into ``, `` (no walk of the values)."""
    for value in doc.values():
        if type(value) is not str and not _plain_scalar(value):
            return None
    keys = tuple(doc)
    if not keys:
        return "null", "{}", None
    ordered, same = _key_plan(keys)
    body = orjson.dumps(doc if same else {k: doc[k] for k in ordered}, option=orjson.OPT_INDENT_2)
    text = "{" + body[4:-2].replace(b",\n  ", b", ").decode() + "}"
    id_value = doc.get("_id")
    id_text = '"' + id_value + '"' if type(id_value) is str and _SAFE.fullmatch(id_value) else _encode(id_value)
    return id_text, text, (None if same else _encode(list(keys)))


_SAFE = re.compile(r"[ !#-\[\]-~]*")  # printable ASCII without '"' and '\\': JSON text is the string quoted


def encode_row(doc: dict[str, Any]) -> tuple[str, str, str | None]:
    """(``_id``'s jsonb text, the document's jsonb text, its field order as JSON text or None)."""
    flat = _flat_row(doc) if type(doc) is dict else None
    if flat is not None:
        return flat
    try:
        value, order = _canonical(doc)
        return _encode(value.get("_id")), _encode_fast(value), (_encode(order) if order is not None else None)
    except _NeedsPositional:
        value = _positional(doc)
        _unused, order = _order_only(doc)
        return _dump_positional(value.get("_id")), _dump_positional(value), (
            _encode(order) if order is not None else None)


def _order_only(value: Any) -> tuple[None, Any]:
    """The field order of a document without converting its values."""
    if isinstance(value, dict):
        keys = list(value)
        entries: list[Any] = []
        nested = False
        for key in keys:
            order = _order_only(value[key])[1]
            entries.append(key if order is None else [key, order])
            nested = nested or order is not None
        return None, (entries if nested or _sorted_keys(keys) != keys else None)
    if isinstance(value, list | tuple):
        orders = [0] + [(_order_only(v)[1] or 0) for v in value]
        return None, (orders if any(orders[1:]) else None)
    return None, None


def _reorder(value: Any, order: Any) -> Any:
    """``value`` (parsed jsonb) with its keys in the stored field order; keys the order does not name
    (added through SQL) follow in jsonb's order, named keys no longer there are skipped."""
    if not isinstance(order, list) or not order:
        return value
    if isinstance(value, list):
        if order[0] != 0:
            return value
        return [_reorder(v, o) if o else v for v, o in zip(value, order[1:], strict=False)] + value[len(order) - 1:]
    if not isinstance(value, dict) or order[0] == 0:
        return value
    out: dict[str, Any] = {}
    for entry in order:
        if isinstance(entry, str):
            if entry in value:
                out[entry] = value[entry]
        elif isinstance(entry, list) and len(entry) == 2 and entry[0] in value:
            out[entry[0]] = _reorder(value[entry[0]], entry[1])
    if len(out) != len(value):
        for key, item in value.items():
            out.setdefault(key, item)
    return out
