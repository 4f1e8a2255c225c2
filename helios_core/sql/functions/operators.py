"""binary_op / unary_op: PostgreSQL operator resolution and dispatch over Vecs.

Resolution follows PostgreSQL: an untyped literal (type unknown) takes the type of the other
operand; numeric operands are promoted (int2 < int4 < int8 < numeric < float4 < float8, a
float4 mixed with anything else computes in float8); string types compare as text;
date < timestamp < timestamptz. No matching operator is 42883.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import DatatypeMismatch, HeliosError, UndefinedFunction
from helios_core.sql import extension_operators
from helios_core.sql import types as T
from helios_core.sql.functions import bitstring_ops, macaddr_ops, money, network_ops
from helios_core.sql.functions import numeric_wide as NW
from helios_core.sql.functions.cast import cast
from helios_core.sql.functions.ranges import SET_OPERATORS, range_operator
from helios_core.sql.functions.registry import call_function
from helios_core.sql.functions.resolve import NUMERIC_RANK, common_type
from helios_core.sql.functions.vec import Vec, align, converted_constant
from helios_core.sql.geometric import dispatch as geometric

COMPARISONS = ("=", "<>", "!=", "<", "<=", ">", ">=")
ARITHMETIC = ("+", "-", "*", "/", "%", "^")
_INTS = ("int2", "int4", "int8")


class AmbiguousOperator(HeliosError):
    sqlstate = "42725"


def no_operator(op: str, a: T.SqlType | None, b: T.SqlType) -> HeliosError:
    left = f"{a} " if a is not None else ""
    return UndefinedFunction(f"operator does not exist: {left}{op} {b}",
                             hint="No operator matches the given name and argument types. You might need to "
                                  "add explicit type casts.")


def _resolve_unknown(l: Vec, r: Vec) -> tuple[Vec, Vec]:
    """Give an unknown-typed operand the other operand's type (PostgreSQL's first rule)."""
    lu, ru = l.type.name == "unknown", r.type.name == "unknown"
    if lu and not ru:
        l = cast(l, r.type.base if r.type.name not in ("bpchar", "varchar") else T.TEXT, context="implicit")
    elif ru and not lu:
        r = cast(r, l.type.base if l.type.name not in ("bpchar", "varchar") else T.TEXT, context="implicit")
    return l, r


_TEXT_ARRAY = T.array_of(T.TEXT)


def operand_types(op: str, left: T.SqlType, right: T.SqlType) -> tuple[T.SqlType, T.SqlType]:
    """The types PostgreSQL gives untyped (unknown) operands of ``op``; known types are kept.

    A planner that coerces literals before calling binary_op should use this rather than
    "unknown takes the other side's type", which is wrong for e.g. jsonb #>> '{a,b}' (text[]),
    jsonb ->> 'k' (text), timestamp + '1 day' (interval), interval * '2' (float8).
    Both unknown, or an ambiguous case (date + unknown), is left unknown for binary_op to
    resolve or reject like PostgreSQL.
    """
    op = op.lower().strip()
    lu, ru = left.name == "unknown", right.name == "unknown"
    if lu == ru:
        return left, right
    known = right if lu else left
    if geometric.involves_type(known):
        return geometric.operand_types(op, left, right) or (left, right)
    if network_ops.is_network(known):
        t = network_ops.operand_type(op, known)
        return (t, right) if lu else (left, t)
    if bitstring_ops.is_bits(known):
        t = bitstring_ops.operand_type(op, known) if ru else known.base
        return (t, right) if lu else (left, t)
    if op in ("@?", "@@") and known.name == "jsonb":
        return (left, T.JSONPATH) if ru else (T.JSONB, right)
    if op in ("@?", "@@") and known.name == "jsonpath":
        return (T.JSONB, right) if lu else (left, T.JSONPATH)
    if op in extension_operators.OPERATORS:
        plugin_op = extension_operators.find(op, left, right)
        if plugin_op is not None:
            return T.type_from_name(plugin_op.left), T.type_from_name(plugin_op.right)

    def for_unknown() -> T.SqlType | None:
        if known.is_composite and op in COMPARISONS:  # record_eq & co.: the literal is an anonymous record
            return T.RECORD
        if known.name in ("json", "jsonb") and not lu:
            if op in ("->", "->>", "?", "-"):
                return T.TEXT
            if op in ("#>", "#>>", "#-", "?|", "?&"):
                return _TEXT_ARRAY
        if known.name in ("json", "jsonb") and op in ("@>", "<@", "||"):
            return T.JSONB
        if op in _PATTERN_KIND:
            return T.TEXT
        if op in ("+", "-") and known.name in ("timestamp", "timestamptz", "time"):
            return T.INTERVAL if (ru or op == "+") else known.base
        if op in ("+", "-") and known.name == "date":
            return None  # ambiguous in PostgreSQL (date +/- integer or interval)
        if op in ("*", "/") and known.name == "interval":
            return T.FLOAT8
        if op in ("<<", ">>") and ru:
            return T.INT4
        if op == "||":
            return known if known.element is not None else T.TEXT
        if known.name in ("bpchar", "varchar"):
            return T.TEXT
        return known.base if known.element is None else known

    t = for_unknown()
    if t is None:
        return left, right
    return (t, right) if lu else (left, t)


_OID_ALIASES = ("oid", *sorted(T.OID_ALIAS_NAMES))
# comparison_type of two numeric-family types, by the type objects (kept with the entry)
_NUMERIC_PAIRS: dict[tuple[int, int], tuple[T.SqlType, T.SqlType, T.SqlType]] = {}


def comparison_type(a: T.SqlType, b: T.SqlType, op: str) -> T.SqlType:
    """The one type both sides of a comparison are brought to."""
    if {a.name, b.name} == {"inet", "cidr"}:
        return T.INET  # cidr casts to inet implicitly
    if {a.name, b.name} == {"macaddr", "macaddr8"}:  # each casts to the other implicitly
        raise AmbiguousOperator(f"operator is not unique: {a} {op} {b}",
                                hint="Could not choose a best candidate operator. You might need to add "
                                     "explicit type casts.")
    if {a.name, b.name} == {"bit", "varbit"}:
        return T.VARBIT  # bit and bit varying compare alike
    if a.name in _OID_ALIASES and b.name in _OID_ALIASES and a.name != b.name:
        return T.OID  # reg* types cast to oid implicitly (t.oid = to_regtype('x'))
    if a.name in NUMERIC_RANK and b.name in NUMERIC_RANK:
        if a.name == b.name:
            return a.base
        hit = _NUMERIC_PAIRS.get((id(a), id(b)))  # resolved once per pair of type objects
        if hit is not None and hit[0] is a and hit[1] is b:
            return hit[2]
        out = common_type([a, b])
        if len(_NUMERIC_PAIRS) >= 4096:
            _NUMERIC_PAIRS.clear()
        _NUMERIC_PAIRS[(id(a), id(b))] = (a, b, out)
        return out
    if a.is_string_family and b.is_string_family:
        if a.name == b.name and a.name in ("bpchar", "citext"):
            return a.base
        return T.TEXT
    if a.is_rowtype and b.is_rowtype and a != b and pa.types.is_struct(a.arrow_type) \
            and pa.types.is_struct(b.arrow_type):
        return _record_comparison_type(a, b)
    if a.is_rowtype and b.is_rowtype and (a == T.RECORD or b == T.RECORD):  # a NULL::record operand
        return b if a == T.RECORD else a
    if a.element is not None and b.element is not None:
        try:
            return T.array_of(comparison_type(a.element, b.element, op))
        except HeliosError:
            raise no_operator(op, a, b) from None
    if a.name == b.name:
        if a.name == "json":
            raise no_operator(op, a, b)
        return a.base
    if a.category == "D" and b.category == "D":
        try:
            return common_type([a, b])
        except DatatypeMismatch:
            raise no_operator(op, a, b) from None
    raise no_operator(op, a, b)


def _record_comparison_type(a: T.SqlType, b: T.SqlType) -> T.SqlType:
    """Two different row types compare field by field when their fields have the same types
    (PostgreSQL's record_eq/record_cmp): an anonymous record of those fields."""
    if len(a.fields) != len(b.fields):
        raise DatatypeMismatch("cannot compare record types with different numbers of columns")
    for i, (x, y) in enumerate(zip(a.fields, b.fields, strict=True)):
        if T.catalog_oid(x) != T.catalog_oid(y) and not (x.name == "unknown" or y.name == "unknown"):
            raise DatatypeMismatch(f"cannot compare dissimilar column types {x.sql_name()} and {y.sql_name()} "
                                   f"at record column {i + 1}")
    return T.record_of(list(a.fields))


def binary_op(op: str, l: Vec, r: Vec) -> Vec:
    """l op r with PostgreSQL semantics. ``op`` is the operator's spelling ('+', '=', '||',
    'like', 'not ilike', '~*', 'similar to', 'is distinct from', 'and', '->>', '@>', ...)."""
    op = op.lower().strip()
    if op in ("@?", "@@") and "jsonb" in (l.type.name, r.type.name):
        return call_function("jsonb_path_exists_opr" if op == "@?" else "jsonb_path_match_opr", [l, r])
    if op in extension_operators.OPERATORS:
        plugin_op = extension_operators.find(op, l.type, r.type)
        if plugin_op is not None:
            return extension_operators.apply(plugin_op, [l, r])
    if geometric.handles_binary(op, l, r):
        return geometric.binary(op, l, r)
    if network_ops.handles_binary(op, l, r):
        return network_ops.binary(op, l, r)
    if bitstring_ops.handles_binary(op, l, r):
        return bitstring_ops.binary(op, l, r)
    if macaddr_ops.handles_binary(op, l, r):
        return macaddr_ops.binary(op, l, r)
    if op in ("and", "or"):
        from helios_core.sql.functions.compare import logical

        return logical(op, _as_bool(l, op), _as_bool(r, op))
    if op in ("is distinct from", "is not distinct from"):
        from helios_core.sql.functions.compare import distinct_from

        if l.type.name == "unknown" and r.type.name == "unknown":
            l, r = cast(l, T.TEXT), cast(r, T.TEXT)
        l, r = _resolve_unknown(l, r)
        t = comparison_type(l.type, r.type, "=")
        return distinct_from(_to(l, t), _to(r, t), t, negate=op.startswith("is not"))
    if op in COMPARISONS:
        return compare(op, l, r)
    if op in SET_OPERATORS and any(v.type.is_range or v.type.is_multirange for v in (l, r)):
        return range_operator(op, l, r)
    if op in ARITHMETIC:
        return arithmetic(op, l, r)
    if op == "||":
        return concat_op(l, r)
    if op in ("like", "not like", "ilike", "not ilike", "~~", "!~~", "~~*", "!~~*", "~", "~*", "!~", "!~*",
              "similar to", "not similar to"):
        return pattern_op(op, l, r)
    if op in ("->", "->>", "#>", "#>>", "?", "?|", "?&", "#-"):
        from helios_core.sql.functions.jsonb import json_operator

        return json_operator(op, l, r)
    if op in ("@>", "<@", "&&", "-|-", "<<", ">>", "&<", "&>") and any(
            v.type.is_range or v.type.is_multirange for v in (l, r)):
        return range_operator(op, l, r)
    if op in ("@>", "<@", "&&"):
        if "json" in (l.type.name, r.type.name) or "jsonb" in (l.type.name, r.type.name):
            from helios_core.sql.functions.jsonb import json_operator

            return json_operator(op, l, r)
        from helios_core.sql.functions.arrays import array_operator

        return array_operator(op, l, r)
    if op in ("&", "|", "#", "<<", ">>"):
        return bitwise(op, l, r)
    raise no_operator(op, l.type, r.type)


_SETTINGS_FREE_TO_NUMERIC = ("int2", "int4", "int8", "numeric")


def _to(v: Vec, t: T.SqlType) -> Vec:
    if v.type == t or (v.type.name == t.name and t.typmod == -1 and v.type.element is None):
        return v
    if v.scalar and t.name == "numeric" and t.element is None and v.type.name in _SETTINGS_FREE_TO_NUMERIC:
        return converted_constant(v.array, ("to", t), lambda: cast(v, t, context="implicit"))  # once per constant
    return cast(v, t, context="implicit")


def _as_bool(v: Vec, op: str) -> Vec:
    if v.type.name == "bool":
        return v
    if v.type.name == "unknown":
        return cast(v, T.BOOL)
    raise DatatypeMismatch(f"argument of {op.upper()} must be type boolean, not type {v.type}")


def compare(op: str, l: Vec, r: Vec) -> Vec:
    from helios_core.sql.functions.compare import compare_same

    if l.type.name == "unknown" and r.type.name == "unknown":
        l, r = cast(l, T.TEXT), cast(r, T.TEXT)
    l, r = _resolve_unknown(l, r)
    t = comparison_type(l.type, r.type, op)
    return compare_same(op, _to(l, t), _to(r, t), t)


def arithmetic(op: str, l: Vec, r: Vec) -> Vec:
    from helios_core.sql.functions.arith import numeric_arith
    from helios_core.sql.functions.datetime_ops import datetime_arith

    lu, ru = l.type.name == "unknown", r.type.name == "unknown"
    if lu and ru:
        raise AmbiguousOperator(f"operator is not unique: unknown {op} unknown",
                                hint="Could not choose a best candidate operator. You might need to add "
                                     "explicit type casts.")
    # an unknown next to a date/time value is an interval (or a number for date +/- n)
    if ru and l.type.name in ("timestamp", "timestamptz", "time") and op in ("+", "-"):
        r = cast(r, T.INTERVAL)
        ru = False
    if ru and l.type.name == "date" and op == "-":
        raise AmbiguousOperator("operator is not unique: date - unknown")
    if lu and r.type.name in ("timestamp", "timestamptz") and op == "+":
        l = cast(l, T.INTERVAL)
        lu = False
    if ru and l.type.name == "interval" and op in ("*", "/"):
        r = cast(r, T.FLOAT8)
    if lu and r.type.name == "interval" and op == "*":
        l = cast(l, T.FLOAT8)
    if ru and l.type.name == "jsonb" and op == "-":
        r = cast(r, T.TEXT)
    l, r = _resolve_unknown(l, r)
    a, b = l.type.name, r.type.name
    if "money" in (a, b):
        res = money.arithmetic(op, l, r)
        if res is None:
            raise no_operator(op, l.type, r.type)
        return res
    if a in NUMERIC_RANK and b in NUMERIC_RANK and a != "oid" and b != "oid":
        return numeric_arith(op, l, r)
    if a == "jsonb" and op == "-":
        from helios_core.sql.functions.jsonb import json_operator

        return json_operator(op, l, r)
    res = datetime_arith(op, l, r)
    if res is not None:
        return res
    raise no_operator(op, l.type, r.type)


def concat_op(l: Vec, r: Vec) -> Vec:
    """||: text concatenation (any non-array operand is cast to text), array and jsonb concat."""
    a, b = l.type, r.type
    if a.element is not None or b.element is not None:
        from helios_core.sql.functions.arrays import array_concat_op

        return array_concat_op(l, r)
    if a.name == "jsonb" and b.name in ("jsonb", "unknown"):
        from helios_core.sql.functions.jsonb import jsonb_concat

        return jsonb_concat(l, cast(r, T.JSONB))
    if a.name == "unknown" and b.name == "jsonb":
        from helios_core.sql.functions.jsonb import jsonb_concat

        return jsonb_concat(cast(l, T.JSONB), r)
    if a.name == "bytea" and b.name in ("bytea", "unknown") or a.name == "unknown" and b.name == "bytea":
        (x, y), scalar = align([cast(l, T.BYTEA), cast(r, T.BYTEA)])
        out = pc.binary_join_element_wise(x, y, pa.scalar(b"", pa.binary()), null_handling="emit_null")
        if isinstance(out, pa.Scalar):
            out = pa.array([out.as_py()], pa.binary())
        return Vec(out, T.BYTEA, scalar)
    if not (a.is_string_family or b.is_string_family):
        raise no_operator("||", a, b)
    lt = cast(l, T.TEXT)
    rt = cast(r, T.TEXT)
    (x, y), scalar = align([lt, rt])
    out = pc.binary_join_element_wise(x, y, "", null_handling="emit_null")
    if isinstance(out, pa.Scalar):
        out = pa.array([out.as_py()], pa.string())
    return Vec(out, T.TEXT, scalar)


_PATTERN_KIND = {"like": ("like", False), "~~": ("like", False), "not like": ("like", True),
                 "!~~": ("like", True), "ilike": ("ilike", False), "~~*": ("ilike", False),
                 "not ilike": ("ilike", True), "!~~*": ("ilike", True), "~": ("regex", False),
                 "!~": ("regex", True), "~*": ("iregex", False), "!~*": ("iregex", True),
                 "similar to": ("similar", False), "not similar to": ("similar", True)}


def pattern_op(op: str, l: Vec, r: Vec, escape: str | None = "\\") -> Vec:
    from helios_core.sql.functions.patterns import match

    kind, negate = _PATTERN_KIND[op]
    for v in (l, r):
        if not v.type.is_string_family:
            raise no_operator(op.upper() if op[0].isalpha() else op, l.type, r.type)
    if l.type.name == "citext":  # citext's LIKE and regular-expression operators ignore case
        kind = {"like": "ilike", "regex": "iregex"}.get(kind, kind)
    return match(kind, l, r, negate=negate, escape=escape)


def bitwise(op: str, l: Vec, r: Vec) -> Vec:
    l, r = _resolve_unknown(l, r)
    if l.type.name not in _INTS or r.type.name not in _INTS:
        raise no_operator(op, l.type, r.type)
    if op in ("<<", ">>"):
        t = l.type
        (x, y), scalar = align([l, cast(r, T.INT4)])
        f = pc.shift_left if op == "<<" else pc.shift_right
        out = f(x, y.cast(t.arrow_type))
    else:
        t = common_type([l.type, r.type])
        (x, y), scalar = align([_to(l, t), _to(r, t)])
        f = {"&": pc.bit_wise_and, "|": pc.bit_wise_or, "#": pc.bit_wise_xor}[op]
        out = f(x, y)
    if isinstance(out, pa.Scalar):
        out = pa.array([out.as_py()], t.arrow_type)
    return Vec(out, t, scalar)


def unary_op(op: str, v: Vec) -> Vec:
    """Prefix and postfix operators: '-', '+', 'not', '~', '@', '|/', '||/', 'is null',
    'is not null', 'is true', 'is not true', 'is false', 'is not false', 'is unknown',
    'is not unknown'."""
    op = op.lower().strip()
    if op in extension_operators.OPERATORS:
        plugin_op = extension_operators.find(op, None, v.type)
        if plugin_op is not None:
            return extension_operators.apply(plugin_op, [v])
    if geometric.handles_prefix(op, v):
        return geometric.prefix(op, v)
    if network_ops.handles_prefix(op, v):
        return network_ops.prefix(op, v)
    if bitstring_ops.handles_prefix(op, v):
        return bitstring_ops.prefix(op, v)
    if macaddr_ops.handles_prefix(op, v):
        return macaddr_ops.prefix(op, v)
    if op in ("is null", "is not null") or (op in ("is unknown", "is not unknown") and v.type.name == "bool"):
        out = pc.is_null(v.array) if "not" not in op else pc.is_valid(v.array)
        return Vec(out, T.BOOL, v.scalar)
    if op.startswith("is "):
        b = _as_bool(v, op)
        truth = {"is true": (True, False), "is not true": (True, True), "is false": (False, False),
                 "is not false": (False, True), "is unknown": (None, False), "is not unknown": (None, True)}
        want, neg = truth[op]
        if want is None:
            out = pc.is_null(b.array)
        else:
            out = pc.fill_null(pc.equal(b.array, want), False)
        if neg:
            out = pc.invert(out)
        return Vec(out, T.BOOL, v.scalar)
    if op == "not":
        b = _as_bool(v, "NOT")
        return Vec(pc.invert(b.array), T.BOOL, v.scalar)
    if v.type.name == "unknown" and op in ("-", "+", "@"):
        v = cast(v, T.FLOAT8)
    if op == "+":
        if v.type.name in NUMERIC_RANK or v.type.name == "interval":
            return v
        raise no_operator("+", None, v.type)
    if op == "-":
        if v.type.name in _INTS:
            try:
                return Vec(pc.negate_checked(v.array), v.type.base, v.scalar)
            except pa.ArrowInvalid:
                from helios_core.errors import NumericValueOutOfRange

                raise NumericValueOutOfRange(f"{ {'int2': 'smallint', 'int4': 'integer', 'int8': 'bigint'}[v.type.name]}"
                                             " out of range") from None
        if v.type.name == "money":  # PostgreSQL has no prefix minus for money
            raise no_operator(op, None, v.type)
        if v.type.name == "numeric" and isinstance(v.array.type, pa.ExtensionType):  # wide numeric
            return NW.negate_vec(v)
        if v.type.name == "numeric" and pa.types.is_struct(v.array.type):  # NaN / Infinity
            from helios_core.sql.functions import numeric_special as NS

            return Vec(NS.negate(v.array), T.NUMERIC, v.scalar)
        if v.type.name in ("float4", "float8", "numeric"):
            return Vec(pc.negate(v.array), v.type.base if v.type.name != "numeric" else T.NUMERIC, v.scalar)
        if v.type.name == "interval":
            from helios_core.sql.functions.datetime_ops import interval_negate

            return Vec(interval_negate(v.array), T.INTERVAL, v.scalar)
        raise no_operator("-", None, v.type)
    if op == "~":
        if v.type.name in _INTS:
            return Vec(pc.bit_wise_not(v.array), v.type, v.scalar)
        raise no_operator("~", None, v.type)
    if op == "@":
        from helios_core.sql.functions.registry import call_function

        return call_function("abs", [v])
    if op == "|/":
        from helios_core.sql.functions.registry import call_function

        return call_function("sqrt", [v])
    if op == "||/":
        from helios_core.sql.functions.registry import call_function

        return call_function("cbrt", [v])
    raise no_operator(op, None, v.type)
