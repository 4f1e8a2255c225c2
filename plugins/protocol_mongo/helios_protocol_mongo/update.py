"""Update documents: operators ($set, $inc, $push, ...), positional paths and replacements.

``compile_update`` checks an update once (unknown modifier 9, conflicting paths 40, a
replacement with operators) and returns a function that turns a matched document into its
new version. ``$`` resolves against the query that matched the document, ``$[]`` to every
element and ``$[id]`` to the elements the matching ``arrayFilters`` entry accepts.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Callable
from typing import Any

from bson import Int64, ObjectId, Timestamp

from helios_protocol_mongo.bson_order import MISSING, compare, sort_key, values_equal
from helios_protocol_mongo.errors import MongoError
from helios_protocol_mongo.expressions import bson_type_name, from_python_number, is_number, to_python_number
from helios_protocol_mongo.paths import PathConflict, get_path, set_path, unset_path
from helios_protocol_mongo.query import compile_filter

MODIFIERS = ("$set", "$unset", "$inc", "$mul", "$rename", "$min", "$max", "$currentDate", "$setOnInsert",
             "$push", "$addToSet", "$pop", "$pull", "$pullAll")

Updater = Callable[[dict[str, Any], bool], dict[str, Any]]


def is_operator_update(spec: Any) -> bool:
    return isinstance(spec, dict) and bool(spec) and all(k.startswith("$") for k in spec)


def check_replacement(spec: dict[str, Any]) -> None:
    for key in spec:
        if key.startswith("$"):
            raise MongoError(52, f"The dollar ($) prefixed field '{key}' in '{key}' is not allowed in the context "
                                 "of an update's replacement document. Consider using an aggregation pipeline "
                                 "with $replaceWith.")


def clone_document(value: Any) -> Any:
    """A copy of a document that an update may change in place: its documents and arrays are new,
    its other values shared (BSON scalars are not changed in place), much cheaper than deepcopy."""
    kind = type(value)
    if kind is dict:
        return {k: v if type(v) in _IMMUTABLE else clone_document(v) for k, v in value.items()}
    if kind is list:
        return [v if type(v) in _IMMUTABLE else clone_document(v) for v in value]
    return copy.deepcopy(value)


_IMMUTABLE = {str, int, float, bool, type(None), Int64, ObjectId, datetime.datetime}


def compile_update(spec: dict[str, Any], query: dict[str, Any] | None,
                   array_filters: list[dict[str, Any]] | None) -> Updater:
    """A function (doc, inserting) -> new doc for an operator update."""
    seen: list[str] = []
    for op, fields in spec.items():
        if op not in MODIFIERS:
            raise MongoError(9, f"Unknown modifier: {op}. Expected a valid update modifier or pipeline-style "
                                "update specified as an array")
        if not isinstance(fields, dict):
            raise MongoError(9, f"Modifiers operate on fields but we found type {bson_type_name(fields)} instead. "
                                f"For example: {{$mod: {{<field>: ...}}}} not {{{op}: {fields!r}}}")
        for path in fields:
            targets = [path, fields[path]] if op == "$rename" else [path]
            for target in targets:
                if not isinstance(target, str):
                    raise MongoError(2, "The 'to' field for $rename must be a string")
                for other in seen:
                    if _conflict(target, other):
                        raise MongoError(40, f"Updating the path '{target}' would create a conflict at "
                                             f"'{_common(target, other)}'")
                seen.append(target)
    filters = _array_filters(array_filters)
    query_matcher_source = query or {}

    def apply(doc: dict[str, Any], inserting: bool) -> dict[str, Any]:
        new = clone_document(doc)
        for op, fields in spec.items():
            if op == "$setOnInsert" and not inserting:
                continue
            for path, arg in fields.items():
                for concrete in _expand(new, path, query_matcher_source, filters, doc):
                    _apply_one(new, op, concrete, arg, doc)
        return new
    return apply


def _conflict(a: str, b: str) -> bool:
    a_parts = [p for p in a.split(".")]
    b_parts = [p for p in b.split(".")]
    n = min(len(a_parts), len(b_parts))
    return a_parts[:n] == b_parts[:n]


def _common(a: str, b: str) -> str:
    out = []
    for x, y in zip(a.split("."), b.split("."), strict=False):
        if x != y:
            break
        out.append(x)
    return ".".join(out)


def _array_filters(array_filters: list[dict[str, Any]] | None) -> dict[str, Callable[[Any], bool]]:
    out: dict[str, Callable[[Any], bool]] = {}
    for spec in array_filters or []:
        ident = next(iter(spec)).split(".")[0]
        rewritten = {("v" + k[len(ident):]): v for k, v in spec.items()}
        matcher = compile_filter(rewritten)
        out[ident] = lambda element, m=matcher: m({"v": element})
    return out


def _expand(doc: dict[str, Any], path: str, query: dict[str, Any], filters: dict[str, Callable[[Any], bool]],
            original: dict[str, Any]) -> list[str]:
    parts = path.split(".")
    if not any(p == "$" or (p.startswith("$[") and p.endswith("]")) for p in parts):
        return [path]
    results = [""]
    for i, part in enumerate(parts):
        nxt: list[str] = []
        for prefix in results:
            if part == "$" or part.startswith("$["):
                array = get_path(doc, prefix) if prefix else MISSING
                if not isinstance(array, list):
                    if part == "$":
                        raise MongoError(2, "The positional operator did not find the match needed from the query.")
                    raise MongoError(2, f"The path '{prefix}' must exist in the document in order to apply "
                                        "array updates.")
                if part == "$":
                    index = _positional_index(original, prefix, query)
                    if index is None:
                        raise MongoError(2, "The positional operator did not find the match needed from the query.")
                    nxt.append(f"{prefix}.{index}")
                elif part == "$[]":
                    nxt.extend(f"{prefix}.{j}" for j in range(len(array)))
                else:
                    ident = part[2:-1]
                    if ident not in filters:
                        raise MongoError(2, f"No array filter found for identifier '{ident}' in path '{path}'")
                    nxt.extend(f"{prefix}.{j}" for j, e in enumerate(array) if filters[ident](e))
            else:
                nxt.append(f"{prefix}.{part}" if prefix else part)
        results = nxt
    return results


def _positional_index(doc: dict[str, Any], array_path: str, query: dict[str, Any]) -> int | None:
    array = get_path(doc, array_path)
    if not isinstance(array, list):
        return None
    conditions = {k: v for k, v in query.items() if k == array_path or k.startswith(array_path + ".")}
    if not conditions:
        return None
    for index, element in enumerate(array):
        probe: dict[str, Any] = {}
        set_path(probe, array_path, [element])
        if all(compile_filter({k: v})(probe) for k, v in conditions.items()):
            return index
    return None


def _numeric_check(op: str, path: str, current: Any, arg: Any, doc: dict[str, Any]) -> None:
    if not is_number(arg):
        raise MongoError(14, f"Cannot {op[1:]} with non-numeric argument: {{{path}: {arg!r}}}")
    if current is not MISSING and not is_number(current):
        raise MongoError(14, f"Cannot apply {op} to a value of non-numeric type. {{_id: {doc.get('_id')!r}}} "
                             f"has the field '{path.split('.')[-1]}' of non-numeric type {bson_type_name(current)}")


def _apply_one(doc: dict[str, Any], op: str, path: str, arg: Any, original: dict[str, Any]) -> None:
    current = get_path(doc, path)
    try:
        if op in ("$set", "$setOnInsert"):
            set_path(doc, path, copy.deepcopy(arg))
        elif op == "$unset":
            unset_path(doc, path)
        elif op in ("$inc", "$mul"):
            _numeric_check(op, path, current, arg, original)
            if current is MISSING:
                value = arg if op == "$inc" else from_python_number(0 * to_python_number(arg), arg)
            else:
                a, b = to_python_number(current), to_python_number(arg)
                result = a + b if op == "$inc" else a * b
                value = from_python_number(result, current, arg)
            set_path(doc, path, value)
        elif op in ("$min", "$max"):
            if current is MISSING or (compare(arg, current) < 0 if op == "$min" else compare(arg, current) > 0):
                set_path(doc, path, copy.deepcopy(arg))
        elif op == "$rename":
            if current is not MISSING:
                unset_path(doc, path)
                set_path(doc, arg, current)
        elif op == "$currentDate":
            now = datetime.datetime.now(datetime.UTC)
            if isinstance(arg, dict) and arg.get("$type") == "timestamp":
                set_path(doc, path, Timestamp(int(now.timestamp()), 1))
            else:
                set_path(doc, path, now.replace(microsecond=now.microsecond // 1000 * 1000))
        elif op == "$push":
            _push(doc, path, current, arg)
        elif op == "$addToSet":
            array = _array_for(path, current, op)
            items = arg["$each"] if isinstance(arg, dict) and "$each" in arg else [arg]
            for item in items:
                if not any(values_equal(item, e) for e in array):
                    array.append(copy.deepcopy(item))
            set_path(doc, path, array)
        elif op == "$pop":
            if current is MISSING:
                return
            array = _array_for(path, current, op)
            if array:
                array.pop(0 if to_python_number(arg) < 0 else -1)
            set_path(doc, path, array)
        elif op in ("$pull", "$pullAll"):
            if current is MISSING:
                return
            array = _array_for(path, current, op)
            if op == "$pullAll":
                keep = [e for e in array if not any(values_equal(e, x) for x in arg)]
            elif isinstance(arg, dict) and arg:
                if next(iter(arg)).startswith("$"):
                    matcher = compile_filter({"v": arg})
                    keep = [e for e in array if not matcher({"v": e})]
                else:
                    matcher = compile_filter(arg)
                    keep = [e for e in array if not (isinstance(e, dict) and matcher(e))]
            else:
                keep = [e for e in array if not values_equal(e, arg)]
            set_path(doc, path, keep)
    except PathConflict as exc:
        raise MongoError(28, str(exc)) from None


def _array_for(path: str, current: Any, op: str) -> list[Any]:
    if current is MISSING:
        return []
    if not isinstance(current, list):
        code = 2 if op in ("$pull", "$pullAll") else 14
        raise MongoError(code, f"The field '{path}' must be an array but is of type {bson_type_name(current)} in "
                               "document")
    return list(current)


def _push(doc: dict[str, Any], path: str, current: Any, arg: Any) -> None:
    array = _array_for(path, current, "$push")
    if isinstance(arg, dict) and "$each" in arg:
        items = copy.deepcopy(arg["$each"])
        position = arg.get("$position")
        if position is None:
            array.extend(items)
        else:
            position = int(position)
            if position < 0:
                position = max(0, len(array) + position)
            array[position:position] = items
        if "$sort" in arg:
            order = arg["$sort"]
            if isinstance(order, dict):
                for field, direction in reversed(list(order.items())):
                    array.sort(key=lambda e, f=field: sort_key(get_path(e, f) if isinstance(e, dict) else MISSING),
                               reverse=direction < 0)
            else:
                array.sort(key=sort_key, reverse=order < 0)
        if "$slice" in arg:
            n = int(arg["$slice"])
            array = array[:n] if n >= 0 else array[n:]
    else:
        array.append(copy.deepcopy(arg))
    set_path(doc, path, array)
