"""Aggregation expressions (``{$add: ["$a", 1]}``) evaluated against one document.

Used by ``$expr`` in queries and by the pipeline stages that compute values ($project,
$addFields, $group keys and accumulator arguments, ...). ``$field.path`` reads the current
document (through arrays, as MongoDB does), ``$$ROOT``/``$$CURRENT`` and ``$let``/``$map``/
``$filter``/``$reduce`` variables are supported. An unknown operator is error 168
(InvalidPipelineOperator).
"""

from __future__ import annotations

import datetime
import decimal
import math
import re
from collections.abc import Callable
from typing import Any

from bson import Decimal128, ObjectId, Regex
from bson.int64 import Int64

from helios_protocol_mongo.bson_order import MISSING, compare, date_millis, type_rank, values_equal
from helios_protocol_mongo.errors import MongoError
from helios_protocol_mongo.paths import get_path_array_aware

Vars = dict[str, Any]

TYPE_NAMES = {
    1: "double", 2: "string", 3: "object", 4: "array", 5: "binData", 7: "objectId", 8: "bool", 9: "date",
    10: "null", 11: "regex", 13: "javascript", 16: "int", 17: "timestamp", 18: "long", 19: "decimal",
    -1: "minKey", 127: "maxKey",
}


def bson_type_name(value: Any) -> str:
    """MongoDB's alias of a value's BSON type ("double", "string", "missing", ...)."""
    if value is MISSING:
        return "missing"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Int64):
        return "long"
    if isinstance(value, int):
        return "int" if -(2**31) <= value < 2**31 else "long"
    if isinstance(value, float):
        return "double"
    if isinstance(value, Decimal128):
        return "decimal"
    if isinstance(value, str):
        return "javascript" if type(value).__name__ == "Code" else "string"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, bytes):
        return "binData"
    if isinstance(value, ObjectId):
        return "objectId"
    if isinstance(value, datetime.datetime) or type(value).__name__ == "DatetimeMS":
        return "date"
    if isinstance(value, Regex):
        return "regex"
    name = type(value).__name__
    return {"Timestamp": "timestamp", "MinKey": "minKey", "MaxKey": "maxKey", "DBRef": "object"}.get(name, "object")


def is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal128) and not isinstance(value, bool)


def to_python_number(value: Any) -> int | float | decimal.Decimal:
    return value.to_decimal() if isinstance(value, Decimal128) else value


def from_python_number(value: Any, *inputs: Any) -> Any:
    """Result type follows MongoDB's widening: int < long < double < decimal."""
    if any(isinstance(i, Decimal128) for i in inputs) or isinstance(value, decimal.Decimal):
        return Decimal128(decimal.Decimal(value))
    if any(isinstance(i, float) for i in inputs) or isinstance(value, float):
        return float(value)
    if isinstance(value, int):
        if any(isinstance(i, Int64) for i in inputs) or not -(2**31) <= value < 2**31:
            return Int64(value) if -(2**63) <= value < 2**63 else float(value)
        return value
    return value


def truthy(value: Any) -> bool:
    if value is None or value is MISSING or value is False:
        return False
    if is_number(value):
        return to_python_number(value) != 0
    return True


def evaluate(expr: Any, doc: Any, variables: Vars | None = None) -> Any:
    """The value of ``expr`` for ``doc`` (MISSING when it names an absent field)."""
    variables = variables if variables is not None else {}
    if isinstance(expr, str):
        if expr.startswith("$$"):
            name, _, rest = expr[2:].partition(".")
            if name in ("ROOT", "CURRENT"):
                base = variables.get(name, doc) if name == "CURRENT" else variables.get("ROOT", doc)
            elif name == "REMOVE":
                return MISSING
            elif name == "NOW":
                return datetime.datetime.now(datetime.UTC)
            elif name in variables:
                base = variables[name]
            else:
                raise MongoError(17276, f"Use of undefined variable: {name}")
            return get_path_array_aware(base, rest) if rest else base
        if expr.startswith("$"):
            return get_path_array_aware(variables.get("CURRENT", doc), expr[1:])
        return expr
    if isinstance(expr, list):
        return [_none_if_missing(evaluate(e, doc, variables)) for e in expr]
    if isinstance(expr, dict):
        if len(expr) == 1:
            (op, arg), = expr.items()
            if op.startswith("$"):
                fn = OPERATORS.get(op)
                if fn is None:
                    raise MongoError(168, f"Unrecognized expression '{op}'")
                return fn(arg, doc, variables)
        out = {}
        for key, value in expr.items():
            if key.startswith("$"):
                raise MongoError(168, f"Unrecognized expression '{key}'")
            got = evaluate(value, doc, variables)
            if got is not MISSING:
                out[key] = got
        return out
    return expr


def _none_if_missing(value: Any) -> Any:
    return None if value is MISSING else value


def _args(arg: Any, doc: Any, variables: Vars) -> list[Any]:
    if isinstance(arg, list):
        return [evaluate(a, doc, variables) for a in arg]
    return [evaluate(arg, doc, variables)]


def _one(arg: Any, doc: Any, variables: Vars) -> Any:
    if isinstance(arg, list):
        if len(arg) != 1:
            raise MongoError(16020, f"Expression takes exactly 1 arguments. {len(arg)} were passed in.")
        arg = arg[0]
    return evaluate(arg, doc, variables)


def _nullish(value: Any) -> bool:
    return value is None or value is MISSING


# -- arithmetic ---------------------------------------------------------------------------


def _add(arg: Any, doc: Any, v: Vars) -> Any:
    values = _args(arg, doc, v)
    if any(_nullish(x) for x in values):
        return None
    dates = [x for x in values if isinstance(x, datetime.datetime)]
    total: Any = 0
    for x in values:
        if isinstance(x, datetime.datetime):
            continue
        if not is_number(x):
            raise MongoError(16554, f"$add only supports numeric or date types, not {bson_type_name(x)}")
        total = _num_op(total, to_python_number(x), lambda a, b: a + b)
    if dates:
        return dates[0] + datetime.timedelta(milliseconds=float(total))
    return from_python_number(total, *values)


def _num_op(a: Any, b: Any, op: Callable[[Any, Any], Any]) -> Any:
    if isinstance(a, decimal.Decimal) or isinstance(b, decimal.Decimal):
        return op(decimal.Decimal(a), decimal.Decimal(b))
    return op(a, b)


def _binary_numeric(name: str, op: Callable[[Any, Any], Any]) -> Callable[[Any, Any, Vars], Any]:
    def fn(arg: Any, doc: Any, v: Vars) -> Any:
        values = _args(arg, doc, v)
        if len(values) != 2:
            raise MongoError(16020, f"Expression {name} takes exactly 2 arguments. {len(values)} were passed in.")
        a, b = values
        if _nullish(a) or _nullish(b):
            return None
        if name == "$subtract" and isinstance(a, datetime.datetime):
            if isinstance(b, datetime.datetime):
                return Int64(date_millis(a) - date_millis(b))
            return a - datetime.timedelta(milliseconds=float(to_python_number(b)))
        if not is_number(a) or not is_number(b):
            raise MongoError(16556, f"{name} only supports numeric types, not {bson_type_name(a)} and "
                                    f"{bson_type_name(b)}")
        result = _num_op(to_python_number(a), to_python_number(b), op)
        return from_python_number(result, a, b)
    return fn


def _divide(arg: Any, doc: Any, v: Vars) -> Any:
    a, b = _args(arg, doc, v)
    if _nullish(a) or _nullish(b):
        return None
    if not is_number(a) or not is_number(b):
        raise MongoError(16609, f"$divide only supports numeric types, not {bson_type_name(a)} and {bson_type_name(b)}")
    if to_python_number(b) == 0:
        raise MongoError(2, "can't $divide by zero")
    if isinstance(a, Decimal128) or isinstance(b, Decimal128):
        return Decimal128(to_python_number(a) / decimal.Decimal(to_python_number(b)))
    return float(a) / float(b)


def _mod(arg: Any, doc: Any, v: Vars) -> Any:
    a, b = _args(arg, doc, v)
    if _nullish(a) or _nullish(b):
        return None
    if to_python_number(b) == 0:
        raise MongoError(16610, "can't $mod by zero")
    result = math.fmod(to_python_number(a), to_python_number(b))
    if all(isinstance(x, int) for x in (a, b)):
        result = int(result)
    return from_python_number(result, a, b)


def _multiply(arg: Any, doc: Any, v: Vars) -> Any:
    values = _args(arg, doc, v)
    if any(_nullish(x) for x in values):
        return None
    total: Any = 1
    for x in values:
        if not is_number(x):
            raise MongoError(16555, f"$multiply only supports numeric types, not {bson_type_name(x)}")
        total = _num_op(total, to_python_number(x), lambda a, b: a * b)
    return from_python_number(total, *values)


def _unary_math(fn: Callable[[Any], Any], keep_int: bool = False) -> Callable[[Any, Any, Vars], Any]:
    def op(arg: Any, doc: Any, v: Vars) -> Any:
        x = _one(arg, doc, v)
        if _nullish(x):
            return None
        if not is_number(x):
            raise MongoError(28765, f"only numeric types are supported, not {bson_type_name(x)}")
        result = fn(to_python_number(x))
        if keep_int and isinstance(x, int):
            return from_python_number(int(result), x)
        if isinstance(x, Decimal128):
            return Decimal128(decimal.Decimal(result))
        return float(result) if not keep_int else from_python_number(result, x)
    return op


def _round(arg: Any, doc: Any, v: Vars) -> Any:
    values = _args(arg, doc, v)
    x, places = values[0], (values[1] if len(values) > 1 else 0)
    if _nullish(x):
        return None
    if isinstance(x, int):
        return x if places >= 0 else from_python_number(int(round(x, int(places))), x)
    if isinstance(x, Decimal128):
        return Decimal128(round(x.to_decimal(), int(places)))
    return round(float(x), int(places))


def _trunc(arg: Any, doc: Any, v: Vars) -> Any:
    values = _args(arg, doc, v)
    x, places = values[0], (values[1] if len(values) > 1 else 0)
    if _nullish(x):
        return None
    if isinstance(x, int):
        return x
    factor = 10 ** int(places)
    return math.trunc(float(x) * factor) / factor


# -- comparison and logic -------------------------------------------------------------------


def _comparison(test: Callable[[int], bool]) -> Callable[[Any, Any, Vars], Any]:
    def fn(arg: Any, doc: Any, v: Vars) -> Any:
        a, b = (_none_if_missing(x) for x in _args(arg, doc, v))
        return test(compare(a, b))
    return fn


def _cmp(arg: Any, doc: Any, v: Vars) -> Any:
    a, b = (_none_if_missing(x) for x in _args(arg, doc, v))
    return compare(a, b)


def _and(arg: Any, doc: Any, v: Vars) -> Any:
    return all(truthy(evaluate(a, doc, v)) for a in (arg if isinstance(arg, list) else [arg]))


def _or(arg: Any, doc: Any, v: Vars) -> Any:
    return any(truthy(evaluate(a, doc, v)) for a in (arg if isinstance(arg, list) else [arg]))


def _not(arg: Any, doc: Any, v: Vars) -> Any:
    return not truthy(_one(arg, doc, v))


def _cond(arg: Any, doc: Any, v: Vars) -> Any:
    if isinstance(arg, dict):
        test, then, otherwise = arg.get("if"), arg.get("then"), arg.get("else")
    else:
        test, then, otherwise = arg
    return evaluate(then if truthy(evaluate(test, doc, v)) else otherwise, doc, v)


def _if_null(arg: Any, doc: Any, v: Vars) -> Any:
    for expr in arg[:-1]:
        value = evaluate(expr, doc, v)
        if not _nullish(value):
            return value
    return evaluate(arg[-1], doc, v)


def _switch(arg: Any, doc: Any, v: Vars) -> Any:
    for branch in arg.get("branches", []):
        if truthy(evaluate(branch["case"], doc, v)):
            return evaluate(branch["then"], doc, v)
    if "default" in arg:
        return evaluate(arg["default"], doc, v)
    raise MongoError(40066, "$switch could not find a matching branch for an input, and no default was specified.")


# -- strings ------------------------------------------------------------------------------


def _concat(arg: Any, doc: Any, v: Vars) -> Any:
    values = _args(arg, doc, v)
    if any(_nullish(x) for x in values):
        return None
    for x in values:
        if not isinstance(x, str):
            raise MongoError(16702, f"$concat only supports strings, not {bson_type_name(x)}")
    return "".join(values)


def _string_fn(fn: Callable[[str], Any], null: Any = "") -> Callable[[Any, Any, Vars], Any]:
    def op(arg: Any, doc: Any, v: Vars) -> Any:
        x = _one(arg, doc, v)
        if _nullish(x):
            return null
        return fn(x if isinstance(x, str) else _to_string(x))
    return op


def _substr(arg: Any, doc: Any, v: Vars) -> Any:
    s, start, length = _args(arg, doc, v)
    if _nullish(s):
        return ""
    s = s if isinstance(s, str) else _to_string(s)
    start = int(start)
    length = int(length)
    return s[start:] if length < 0 else s[start:start + length]


def _split(arg: Any, doc: Any, v: Vars) -> Any:
    s, sep = _args(arg, doc, v)
    if _nullish(s):
        return None
    return s.split(sep)


def _trim(strip: str) -> Callable[[Any, Any, Vars], Any]:
    def op(arg: Any, doc: Any, v: Vars) -> Any:
        s = evaluate(arg.get("input"), doc, v)
        chars = evaluate(arg["chars"], doc, v) if "chars" in arg else None
        if _nullish(s):
            return None
        return getattr(s, strip)(chars)
    return op


def _index_of_cp(arg: Any, doc: Any, v: Vars) -> Any:
    values = _args(arg, doc, v)
    s, sub = values[0], values[1]
    if _nullish(s):
        return None
    start = int(values[2]) if len(values) > 2 else 0
    end = int(values[3]) if len(values) > 3 else len(s)
    return s.find(sub, start, end)


def _strcasecmp(arg: Any, doc: Any, v: Vars) -> Any:
    a, b = (str(x or "").lower() for x in _args(arg, doc, v))
    return (a > b) - (a < b)


def _regex_match(arg: Any, doc: Any, v: Vars) -> Any:
    s = evaluate(arg.get("input"), doc, v)
    pattern = evaluate(arg.get("regex"), doc, v)
    options = evaluate(arg.get("options", ""), doc, v) or ""
    if isinstance(pattern, Regex):
        options = options or pattern.flags
        pattern = pattern.pattern
    if not isinstance(s, str):
        return False
    return compile_regex(pattern, options).search(s) is not None


def compile_regex(pattern: str, options: Any = "") -> re.Pattern[str]:
    flags = 0
    if isinstance(options, int):
        return re.compile(pattern, options)
    for option in options or "":
        flags |= {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}.get(option, 0)
    try:
        return re.compile(pattern, flags)
    except re.error as exc:
        raise MongoError(51091, f"Regular expression is invalid: {exc}") from None


def _to_string(value: Any) -> Any:
    if _nullish(value):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if value != int(value) or abs(value) >= 1e16 else str(int(value))
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return str(value)


# -- arrays -------------------------------------------------------------------------------


def _array_arg(value: Any, op: str) -> list[Any]:
    if not isinstance(value, list):
        raise MongoError(28689 if op == "$filter" else 17124,
                         f"The argument to {op} must be an array, but was of type: {bson_type_name(value)}")
    return value


def _size(arg: Any, doc: Any, v: Vars) -> Any:
    value = _one(arg, doc, v)
    if not isinstance(value, list):
        raise MongoError(17124, f"The argument to $size must be an array. Type of argument: {bson_type_name(value)}")
    return len(value)


def _array_elem_at(arg: Any, doc: Any, v: Vars) -> Any:
    array, index = _args(arg, doc, v)
    if _nullish(array) or _nullish(index):
        return None
    array = _array_arg(array, "$arrayElemAt")
    index = int(index)
    if -len(array) <= index < len(array):
        return array[index]
    return MISSING


def _first_last(position: int) -> Callable[[Any, Any, Vars], Any]:
    def op(arg: Any, doc: Any, v: Vars) -> Any:
        array = _one(arg, doc, v)
        if _nullish(array):
            return None
        array = _array_arg(array, "$first" if position == 0 else "$last")
        return array[position] if array else MISSING
    return op


def _in(arg: Any, doc: Any, v: Vars) -> Any:
    value, array = _args(arg, doc, v)
    if not isinstance(array, list):
        raise MongoError(40081, f"$in requires an array as a second argument, found: {bson_type_name(array)}")
    return any(values_equal(value, e) for e in array)


def _scoped(arg: dict[str, Any], v: Vars, name: str, value: Any) -> Vars:
    scoped = dict(v)
    scoped[name] = value
    return scoped


def _filter(arg: Any, doc: Any, v: Vars) -> Any:
    array = evaluate(arg["input"], doc, v)
    if _nullish(array):
        return None
    name = arg.get("as", "this")
    out = [e for e in _array_arg(array, "$filter") if truthy(evaluate(arg["cond"], doc, _scoped(arg, v, name, e)))]
    if "limit" in arg:
        out = out[:int(evaluate(arg["limit"], doc, v))]
    return out


def _map(arg: Any, doc: Any, v: Vars) -> Any:
    array = evaluate(arg["input"], doc, v)
    if _nullish(array):
        return None
    name = arg.get("as", "this")
    return [_none_if_missing(evaluate(arg["in"], doc, _scoped(arg, v, name, e))) for e in _array_arg(array, "$map")]


def _reduce(arg: Any, doc: Any, v: Vars) -> Any:
    array = evaluate(arg["input"], doc, v)
    if _nullish(array):
        return None
    value = evaluate(arg["initialValue"], doc, v)
    for element in _array_arg(array, "$reduce"):
        scoped = dict(v)
        scoped["this"] = element
        scoped["value"] = value
        value = evaluate(arg["in"], doc, scoped)
    return value


def _let(arg: Any, doc: Any, v: Vars) -> Any:
    scoped = dict(v)
    for name, expr in arg.get("vars", {}).items():
        scoped[name] = evaluate(expr, doc, v)
    return evaluate(arg["in"], doc, scoped)


def _concat_arrays(arg: Any, doc: Any, v: Vars) -> Any:
    values = _args(arg, doc, v)
    if any(_nullish(x) for x in values):
        return None
    out: list[Any] = []
    for x in values:
        out.extend(_array_arg(x, "$concatArrays"))
    return out


def _slice(arg: Any, doc: Any, v: Vars) -> Any:
    values = _args(arg, doc, v)
    array = values[0]
    if _nullish(array):
        return None
    if len(values) == 2:
        n = int(values[1])
        return array[:n] if n >= 0 else array[n:]
    position, n = int(values[1]), int(values[2])
    if position < 0:
        position = max(0, len(array) + position)
    return array[position:position + n]


def _range(arg: Any, doc: Any, v: Vars) -> Any:
    values = [int(x) for x in _args(arg, doc, v)]
    return list(range(*values))


def _index_of_array(arg: Any, doc: Any, v: Vars) -> Any:
    values = _args(arg, doc, v)
    array, target = values[0], values[1]
    if _nullish(array):
        return None
    start = int(values[2]) if len(values) > 2 else 0
    end = int(values[3]) if len(values) > 3 else len(array)
    for i in range(start, min(end, len(array))):
        if values_equal(array[i], target):
            return i
    return -1


def _array_accumulator(kind: str) -> Callable[[Any, Any, Vars], Any]:
    def op(arg: Any, doc: Any, v: Vars) -> Any:
        values = _args(arg, doc, v)
        if len(values) == 1 and isinstance(values[0], list):
            values = values[0]
        return accumulate(kind, values)
    return op


def accumulate(kind: str, values: list[Any]) -> Any:
    """$sum/$avg/$min/$max over values (non-numbers are ignored by $sum and $avg; nulls by all)."""
    if kind in ("$sum", "$avg"):
        numbers = [x for x in values if is_number(x)]
        if kind == "$avg":
            if not numbers:
                return None
            total = sum((to_python_number(x) for x in numbers), start=0)
            if any(isinstance(x, Decimal128) for x in numbers):
                return Decimal128(decimal.Decimal(total) / len(numbers))
            return float(total) / len(numbers)
        total: Any = 0
        for x in numbers:
            total = _num_op(total, to_python_number(x), lambda a, b: a + b)
        return from_python_number(total, *numbers)
    present = [x for x in values if not _nullish(x)]
    if not present:
        return None
    best = present[0]
    for x in present[1:]:
        c = compare(x, best)
        if (kind == "$min" and c < 0) or (kind == "$max" and c > 0):
            best = x
    return best


# -- objects, types, dates ----------------------------------------------------------------


def _merge_objects(arg: Any, doc: Any, v: Vars) -> Any:
    out: dict[str, Any] = {}
    for value in _args(arg, doc, v):
        if isinstance(value, dict):
            out.update(value)
    return out


def _object_to_array(arg: Any, doc: Any, v: Vars) -> Any:
    value = _one(arg, doc, v)
    if _nullish(value):
        return None
    return [{"k": k, "v": x} for k, x in value.items()]


def _array_to_object(arg: Any, doc: Any, v: Vars) -> Any:
    value = _one(arg, doc, v)
    if _nullish(value):
        return None
    out = {}
    for item in value:
        if isinstance(item, dict):
            out[item["k"]] = item["v"]
        else:
            out[item[0]] = item[1]
    return out


def _type(arg: Any, doc: Any, v: Vars) -> Any:
    return bson_type_name(_one(arg, doc, v))


def _convert_to(target: str) -> Callable[[Any, Any, Vars], Any]:
    def op(arg: Any, doc: Any, v: Vars) -> Any:
        return convert(_one(arg, doc, v), target)
    return op


def convert(value: Any, target: str) -> Any:
    if _nullish(value):
        return None
    try:
        if target == "string":
            return _to_string(value)
        if target in ("int", "long"):
            number = int(float(value)) if isinstance(value, str) else int(to_python_number(value))
            return number if target == "int" else Int64(number)
        if target == "double":
            return float(to_python_number(value)) if not isinstance(value, str) else float(value)
        if target == "decimal":
            return Decimal128(str(to_python_number(value)) if not isinstance(value, str) else value)
        if target == "bool":
            return truthy(value)
        if target == "objectId":
            return value if isinstance(value, ObjectId) else ObjectId(value)
        if target == "date":
            if isinstance(value, datetime.datetime):
                return value
            if is_number(value):
                return datetime.datetime.fromtimestamp(float(to_python_number(value)) / 1000, datetime.UTC)
            return datetime.datetime.fromisoformat(str(value))
    except (ValueError, TypeError, decimal.InvalidOperation, ArithmeticError):
        pass
    raise MongoError(241, f"Failed to parse {bson_type_name(value)} '{value}' as {target}")


def _convert(arg: Any, doc: Any, v: Vars) -> Any:
    value = evaluate(arg["input"], doc, v)
    target = evaluate(arg["to"], doc, v)
    if isinstance(target, int):
        target = TYPE_NAMES.get(target, "string")
    try:
        return convert(value, target)
    except MongoError:
        if "onError" in arg:
            return evaluate(arg["onError"], doc, v)
        raise


def _date_part(part: Callable[[datetime.datetime], int]) -> Callable[[Any, Any, Vars], Any]:
    def op(arg: Any, doc: Any, v: Vars) -> Any:
        value = evaluate(arg["date"], doc, v) if isinstance(arg, dict) and "date" in arg else _one(arg, doc, v)
        if _nullish(value):
            return None
        if not isinstance(value, datetime.datetime):
            raise MongoError(16006, f"can't convert from BSON type {bson_type_name(value)} to Date")
        return part(value)
    return op


_DATE_FORMATS = {"%Y": "%Y", "%m": "%m", "%d": "%d", "%H": "%H", "%M": "%M", "%S": "%S", "%j": "%j", "%%": "%%"}


def _date_to_string(arg: Any, doc: Any, v: Vars) -> Any:
    value = evaluate(arg["date"], doc, v)
    if _nullish(value):
        return evaluate(arg["onNull"], doc, v) if "onNull" in arg else None
    fmt = arg.get("format", "%Y-%m-%dT%H:%M:%S.%LZ")
    return value.strftime(fmt.replace("%L", f"{value.microsecond // 1000:03d}"))


def _literal(arg: Any, doc: Any, v: Vars) -> Any:
    return arg


def _get_field(arg: Any, doc: Any, v: Vars) -> Any:
    if isinstance(arg, str):
        field, source = arg, v.get("CURRENT", doc)
    else:
        field = evaluate(arg["field"], doc, v)
        source = evaluate(arg.get("input", "$$CURRENT"), doc, v)
    if not isinstance(source, dict):
        return MISSING
    return source.get(field, MISSING)


def _is_array(arg: Any, doc: Any, v: Vars) -> Any:
    return isinstance(_one(arg, doc, v), list)


def _is_number(arg: Any, doc: Any, v: Vars) -> Any:
    return is_number(_one(arg, doc, v))


OPERATORS: dict[str, Callable[[Any, Any, Vars], Any]] = {
    "$add": _add,
    "$subtract": _binary_numeric("$subtract", lambda a, b: a - b),
    "$multiply": _multiply,
    "$divide": _divide,
    "$mod": _mod,
    "$pow": _binary_numeric("$pow", lambda a, b: a ** b),
    "$abs": _unary_math(abs, keep_int=True),
    "$ceil": _unary_math(math.ceil, keep_int=True),
    "$floor": _unary_math(math.floor, keep_int=True),
    "$sqrt": _unary_math(math.sqrt),
    "$exp": _unary_math(math.exp),
    "$ln": _unary_math(math.log),
    "$log10": _unary_math(math.log10),
    "$round": _round,
    "$trunc": _trunc,
    "$eq": _comparison(lambda c: c == 0),
    "$ne": _comparison(lambda c: c != 0),
    "$gt": _comparison(lambda c: c > 0),
    "$gte": _comparison(lambda c: c >= 0),
    "$lt": _comparison(lambda c: c < 0),
    "$lte": _comparison(lambda c: c <= 0),
    "$cmp": _cmp,
    "$and": _and,
    "$or": _or,
    "$not": _not,
    "$cond": _cond,
    "$ifNull": _if_null,
    "$switch": _switch,
    "$concat": _concat,
    "$toUpper": _string_fn(str.upper),
    "$toLower": _string_fn(str.lower),
    "$strLenCP": _string_fn(len, null=0),
    "$strLenBytes": _string_fn(lambda s: len(s.encode()), null=0),
    "$substr": _substr,
    "$substrCP": _substr,
    "$substrBytes": _substr,
    "$split": _split,
    "$trim": _trim("strip"),
    "$ltrim": _trim("lstrip"),
    "$rtrim": _trim("rstrip"),
    "$indexOfCP": _index_of_cp,
    "$strcasecmp": _strcasecmp,
    "$regexMatch": _regex_match,
    "$size": _size,
    "$arrayElemAt": _array_elem_at,
    "$first": _first_last(0),
    "$last": _first_last(-1),
    "$in": _in,
    "$filter": _filter,
    "$map": _map,
    "$reduce": _reduce,
    "$let": _let,
    "$concatArrays": _concat_arrays,
    "$slice": _slice,
    "$range": _range,
    "$reverseArray": lambda arg, doc, v: None if _nullish(x := _one(arg, doc, v)) else list(reversed(x)),
    "$indexOfArray": _index_of_array,
    "$isArray": _is_array,
    "$isNumber": _is_number,
    "$sum": _array_accumulator("$sum"),
    "$avg": _array_accumulator("$avg"),
    "$min": _array_accumulator("$min"),
    "$max": _array_accumulator("$max"),
    "$mergeObjects": _merge_objects,
    "$objectToArray": _object_to_array,
    "$arrayToObject": _array_to_object,
    "$getField": _get_field,
    "$type": _type,
    "$toString": _convert_to("string"),
    "$toInt": _convert_to("int"),
    "$toLong": _convert_to("long"),
    "$toDouble": _convert_to("double"),
    "$toDecimal": _convert_to("decimal"),
    "$toBool": _convert_to("bool"),
    "$toObjectId": _convert_to("objectId"),
    "$toDate": _convert_to("date"),
    "$convert": _convert,
    "$year": _date_part(lambda d: d.year),
    "$month": _date_part(lambda d: d.month),
    "$dayOfMonth": _date_part(lambda d: d.day),
    "$hour": _date_part(lambda d: d.hour),
    "$minute": _date_part(lambda d: d.minute),
    "$second": _date_part(lambda d: d.second),
    "$millisecond": _date_part(lambda d: d.microsecond // 1000),
    "$dayOfWeek": _date_part(lambda d: d.isoweekday() % 7 + 1),
    "$dayOfYear": _date_part(lambda d: d.timetuple().tm_yday),
    "$dateToString": _date_to_string,
    "$literal": _literal,
}

__all__ = ["OPERATORS", "accumulate", "bson_type_name", "compile_regex", "evaluate", "truthy", "type_rank"]
