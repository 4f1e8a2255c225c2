"""The query language (``{age: {$gt: 30}, tags: "x"}``) compiled into a predicate over documents.

This matcher is what decides which documents match: ``sql_filter`` may first narrow the
rows the kernel returns with jsonb operators, but every operator here (the element, array,
$regex, $expr, $mod, $elemMatch, ... ones that SQL cannot express exactly, and BSON's
cross-type comparison) is evaluated in Python on each candidate document. A malformed
filter is error 2 (BadValue) when the filter is compiled, before any row is read.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from bson import Regex

from helios_protocol_mongo import javascript
from helios_protocol_mongo.bson_order import MISSING, RANK_MAXKEY, RANK_MINKEY, sort_key, type_rank
from helios_protocol_mongo.errors import MongoError, bad_value
from helios_protocol_mongo.expressions import bson_type_name, compile_regex, evaluate, is_number, truthy
from helios_protocol_mongo.paths import candidates

Predicate = Callable[[dict[str, Any]], bool]

TYPE_CODES = {1: "double", 2: "string", 3: "object", 4: "array", 5: "binData", 6: "undefined", 7: "objectId",
              8: "bool", 9: "date", 10: "null", 11: "regex", 13: "javascript", 16: "int", 17: "timestamp",
              18: "long", 19: "decimal", -1: "minKey", 127: "maxKey"}


def compile_filter(spec: Any) -> Predicate:
    if spec is None:
        return lambda doc: True
    if not isinstance(spec, dict):
        raise bad_value("filter must be an object")
    parts = [_compile_clause(key, value) for key, value in spec.items()]
    if not parts:
        return lambda doc: True
    if len(parts) == 1:
        return parts[0]
    return lambda doc: all(p(doc) for p in parts)


def _compile_clause(key: str, value: Any) -> Predicate:
    if key.startswith("$"):
        if key in ("$and", "$or", "$nor"):
            if not isinstance(value, list) or not value:
                raise bad_value(f"{key} argument must be a non-empty array")
            subs = [compile_filter(v) for v in value]
            if key == "$and":
                return lambda doc: all(p(doc) for p in subs)
            if key == "$or":
                return lambda doc: any(p(doc) for p in subs)
            return lambda doc: not any(p(doc) for p in subs)
        if key == "$expr":
            return lambda doc: truthy(evaluate(value, doc, {"ROOT": doc, "CURRENT": doc}))
        if key == "$comment":
            return lambda doc: True
        if key == "$where":
            return javascript.compile_where(value)
        if key in ("$text", "$jsonSchema"):
            raise MongoError(2, f"{key} is not supported by HeliosDB")
        raise bad_value(f"unknown top level operator: {key}")
    return _compile_field(key, value)


def _is_operator_doc(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and next(iter(value)).startswith("$")


def _compile_field(path: str, value: Any) -> Predicate:
    if _is_operator_doc(value):
        tests = _compile_operators(path, value)
        return lambda doc: all(t(doc) for t in tests)
    if isinstance(value, Regex | type(compile_regex(""))):
        pattern = _regex_of(value)
        return lambda doc: any(_regex_matches(pattern, v) for v in _expanded(candidates(doc, path)))
    return _equality(path, value)


def _expanded(values: list[Any]) -> list[Any]:
    """Leaf values and, for leaf arrays, their elements (what most operators test)."""
    out: list[Any] = []
    for v in values:
        if isinstance(v, list):
            out.extend(v)
        out.append(v)
    return out


def _equality(path: str, target: Any) -> Predicate:
    if target is None:
        return lambda doc: any(v is None or v is MISSING for v in _expanded(candidates(doc, path)))
    key = sort_key(target)
    return lambda doc: any(v is not MISSING and sort_key(v) == key for v in _expanded(candidates(doc, path)))


def _comparable(a: Any, b: Any) -> bool:
    """Type bracketing: $gt and friends compare only values of the same canonical type."""
    ra, rb = type_rank(a), type_rank(b)
    return ra == rb or rb in (RANK_MINKEY, RANK_MAXKEY)


def _comparison(path: str, target: Any, test: Callable[[tuple, tuple], bool], allow_null: bool) -> Predicate:
    key = sort_key(target)

    def predicate(doc: dict[str, Any]) -> bool:
        for v in _expanded(candidates(doc, path)):
            if v is MISSING:
                if allow_null and target is None:
                    return True
                continue
            if _comparable(v, target) and test(sort_key(v), key):
                return True
        return False
    return predicate


def _compile_operators(path: str, ops: dict[str, Any]) -> list[Predicate]:
    tests: list[Predicate] = []
    options = ops.get("$options")
    for op, arg in ops.items():
        if op == "$eq":
            tests.append(_equality(path, arg) if not isinstance(arg, Regex) else _equality_regex_literal(path, arg))
        elif op == "$ne":
            eq = _equality(path, arg)
            tests.append(lambda doc, eq=eq: not eq(doc))
        elif op in ("$gt", "$gte", "$lt", "$lte"):
            test = {"$gt": lambda a, b: a > b, "$gte": lambda a, b: a >= b,
                    "$lt": lambda a, b: a < b, "$lte": lambda a, b: a <= b}[op]
            tests.append(_comparison(path, arg, test, allow_null=op in ("$gte", "$lte")))
        elif op in ("$in", "$nin"):
            if not isinstance(arg, list):
                raise bad_value(f"{op} needs an array")
            subs = [_regex_test(path, a) if isinstance(a, Regex) else _equality(path, a) for a in arg]
            if op == "$in":
                tests.append(lambda doc, subs=subs: any(p(doc) for p in subs))
            else:
                tests.append(lambda doc, subs=subs: not any(p(doc) for p in subs))
        elif op == "$exists":
            want = truthy(arg)
            tests.append(lambda doc, want=want: any(v is not MISSING for v in candidates(doc, path)) == want)
        elif op == "$type":
            tests.append(_type_test(path, arg))
        elif op == "$size":
            if not is_number(arg) or isinstance(arg, float) and not arg.is_integer() or arg < 0:
                raise bad_value("$size needs a non-negative integer")
            size = int(arg)
            tests.append(lambda doc, size=size: any(isinstance(v, list) and len(v) == size
                                                    for v in candidates(doc, path)))
        elif op == "$all":
            if not isinstance(arg, list):
                raise bad_value("$all needs an array")
            subs = [_compile_field(path, a) if _is_operator_doc(a) else
                    (_regex_test(path, a) if isinstance(a, Regex) else _equality(path, a)) for a in arg]
            tests.append(lambda doc, subs=subs: bool(subs) and all(p(doc) for p in subs))
        elif op == "$elemMatch":
            if not isinstance(arg, dict):
                raise bad_value("$elemMatch needs an Object")
            tests.append(_elem_match(path, arg))
        elif op == "$regex":
            tests.append(_regex_test(path, arg, options))
        elif op == "$options":
            if "$regex" not in ops:
                raise bad_value("$options needs a $regex")
        elif op == "$mod":
            if not isinstance(arg, list) or len(arg) != 2:
                raise bad_value("malformed mod, not enough elements" if isinstance(arg, list) and len(arg) < 2
                                else "malformed mod, too many elements")
            divisor, remainder = arg
            if not is_number(divisor) or not is_number(remainder):
                raise bad_value("malformed mod, divisor and remainder must be numbers")
            if int(divisor) == 0:
                raise bad_value("divisor cannot be 0")
            tests.append(lambda doc, d=int(divisor), r=int(remainder): any(
                _mod_matches(v, d, r) for v in _expanded(candidates(doc, path))))
        elif op == "$not":
            if isinstance(arg, Regex | type(compile_regex(""))):
                inner = [_regex_test(path, arg)]
            elif isinstance(arg, dict) and arg and _is_operator_doc(arg):
                inner = _compile_operators(path, arg)
            else:
                raise bad_value("$not needs a regex or a document")
            tests.append(lambda doc, inner=inner: not all(t(doc) for t in inner))
        elif op == "$comment":
            continue
        else:
            raise bad_value(f"unknown operator: {op}")
    return tests


def _mod_matches(value: Any, divisor: int, remainder: int) -> bool:
    """MongoDB's $mod truncates the value and takes C's remainder (the dividend's sign)."""
    if not is_number(value):
        return False
    number = value.to_decimal() if hasattr(value, "to_decimal") else value
    try:
        whole = int(number)
    except (ValueError, OverflowError):
        return False
    return int(math.fmod(whole, divisor)) == remainder


def _equality_regex_literal(path: str, regex: Regex) -> Predicate:
    key = sort_key(regex)
    return lambda doc: any(sort_key(v) == key for v in _expanded(candidates(doc, path)) if v is not MISSING)


def _regex_of(value: Any, options: Any = None) -> Any:
    if isinstance(value, Regex):
        return compile_regex(value.pattern, options if options is not None else value.flags)
    if isinstance(value, str):
        return compile_regex(value, options or "")
    if hasattr(value, "pattern") and hasattr(value, "search"):
        return value
    raise bad_value("$regex has to be a string")


def _regex_matches(pattern: Any, value: Any) -> bool:
    if isinstance(value, str) and type(value).__name__ != "Code":
        return pattern.search(value) is not None
    if isinstance(value, Regex):
        return value.pattern == pattern.pattern
    return False


def _regex_test(path: str, value: Any, options: Any = None) -> Predicate:
    pattern = _regex_of(value, options)
    return lambda doc: any(_regex_matches(pattern, v) for v in _expanded(candidates(doc, path)))


def _type_test(path: str, arg: Any) -> Predicate:
    wanted = arg if isinstance(arg, list) else [arg]
    names: set[str] = set()
    for w in wanted:
        if isinstance(w, str):
            names.add(w)
        elif is_number(w) and int(w) in TYPE_CODES:
            names.add(TYPE_CODES[int(w)])
        else:
            raise bad_value(f"Invalid numerical type code: {w}" if is_number(w) else "type must be a string or number")

    def has_type(v: Any) -> bool:
        if v is MISSING:
            return False
        name = bson_type_name(v)
        return name in names or ("number" in names and name in ("int", "long", "double", "decimal"))

    def predicate(doc: dict[str, Any]) -> bool:
        values = candidates(doc, path)
        if "array" in names and any(isinstance(v, list) for v in values):
            return True
        return any(has_type(v) for v in _expanded(values) if not isinstance(v, list) or "array" in names)
    return predicate


def _elem_match(path: str, spec: dict[str, Any]) -> Predicate:
    if _is_operator_doc(spec) and not any(k in ("$and", "$or", "$nor", "$expr") for k in spec):
        value_tests = _compile_operators("v", spec)

        def matches(element: Any) -> bool:
            wrapped = {"v": element}
            return all(t(wrapped) for t in value_tests)
    else:
        sub = compile_filter(spec)

        def matches(element: Any) -> bool:
            return isinstance(element, dict) and sub(element)

    return lambda doc: any(isinstance(v, list) and any(matches(e) for e in v) for v in candidates(doc, path))
