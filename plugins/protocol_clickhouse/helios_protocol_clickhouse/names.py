"""Result column names and types as ClickHouse gives them to unaliased expressions.

ClickHouse names a column after the expression's text in its function form:
``count()``, ``plus(number, 1)``, ``'Hello, world'``, ``[1, 2]``, ``arrayJoin([1, 2])``;
a column reference keeps its name. ``hint_type`` is the ClickHouse type an expression
certainly has (``count()`` is UInt64, ``1`` is UInt8, ``toString(x)`` is String), or None
when only the kernel's result type can tell.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlglot import exp

from helios_protocol_clickhouse.formats.values import quote_string
from helios_protocol_clickhouse.state_types import Combinator, StateType, aggregate_of, read_state_type
from helios_protocol_clickhouse.types import canonical_type, parse_type

_BINARY = {
    exp.Add: "plus", exp.Sub: "minus", exp.Mul: "multiply", exp.Div: "divide", exp.Mod: "modulo",
    exp.EQ: "equals", exp.NEQ: "notEquals", exp.LT: "less", exp.LTE: "lessOrEquals", exp.GT: "greater",
    exp.GTE: "greaterOrEquals", exp.And: "and", exp.Or: "or", exp.Like: "like", exp.ILike: "ilike",
    exp.DPipe: "concat", exp.IntDiv: "intDiv",
}


def column_name(node: exp.Expression) -> str:
    """ClickHouse's name for an unaliased select item."""
    if isinstance(node, exp.Alias):
        return node.alias
    if isinstance(node, exp.Column):
        if isinstance(node.this, exp.Literal):  # x.1: a tuple element
            return f"tupleElement({node.table}, {node.this.this})"
        return node.name
    if isinstance(node, exp.Literal):  # a string as ClickHouse quotes it (escapes of control characters too)
        return quote_string(node.this) if node.is_string else node.this
    if isinstance(node, exp.Null):
        return "NULL"
    if isinstance(node, exp.Boolean):
        return "true" if node.this else "false"
    if isinstance(node, exp.Neg):
        inner = node.this
        if isinstance(inner, exp.Literal) and not inner.is_string:
            return "-" + inner.this
        return f"negate({column_name(inner)})"
    if isinstance(node, exp.Not):
        inner = node.this
        if isinstance(inner, exp.Is) and isinstance(inner.expression, exp.Null):
            return _call("isNotNull", inner.this)
        negated = {exp.Like: "notLike", exp.ILike: "notILike", exp.In: "notIn"}.get(type(inner))
        if negated is not None and inner.args.get("expression") is not None:
            return _call(negated, inner.this, inner.expression)
        if isinstance(inner, exp.In):
            return "notIn" + (_functional_name(inner) or "")[len("in"):]
        return f"not({column_name(node.this)})"
    if isinstance(node, exp.Paren):
        return column_name(node.this)
    if isinstance(node, exp.Array):
        return "[" + ", ".join(column_name(e) for e in node.expressions) + "]"
    if isinstance(node, exp.Tuple):
        return "(" + ", ".join(column_name(e) for e in node.expressions) + ")"
    for kind, name in _BINARY.items():
        if type(node) is kind:
            if node.args.get("negate"):  # NOT LIKE, NOT ILIKE
                name = {"like": "notLike", "ilike": "notILike"}.get(name, name)
            return f"{name}({column_name(node.this)}, {column_name(node.expression)})"
    if isinstance(node, exp.Bracket):  # sqlglot keeps the index made 0-based: ClickHouse's is as written
        return f"arrayElement({column_name(node.this)}, {', '.join(_written_index(e) for e in node.expressions)})"
    if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Literal):
        return _call("tupleElement", node.this, node.expression)
    if isinstance(node, exp.TimestampTrunc | exp.DateTrunc) and isinstance(node.args.get("unit"), exp.Var):
        unit = node.args["unit"].name.upper()
        name = "toMonday" if unit == "WEEK" else f"toStartOf{unit.capitalize()}"
        return _call(name, node.this)
    if isinstance(node, exp.Count) and node.this is None:
        return "count()"
    if isinstance(node, exp.CurrentDatabase | exp.CurrentSchema):
        return "currentDatabase()"
    if isinstance(node, exp.Anonymous):
        return f"{node.this}({', '.join(column_name(e) for e in node.expressions)})"
    named = _functional_name(node)
    if named is not None:
        return named
    text = node.sql(dialect="clickhouse")
    # sqlglot spells the functions it knows in capitals (LENGTH(x)); ClickHouse keeps them as written
    return _SHOUTED_CALL.sub(lambda m: m.group(1).lower() + "(", text)


def _written_index(index: exp.Expression) -> str:
    if isinstance(index, exp.Literal) and not index.is_string and str(index.this).lstrip("-").isdigit():
        return str(int(index.this) + 1)
    if isinstance(index, exp.Neg) and isinstance(index.this, exp.Literal) and str(index.this.this).isdigit():
        return f"-{int(index.this.this) - 1}"
    return column_name(index)


def _call(name: str, *args: exp.Expression | str) -> str:
    return f"{name}({', '.join(a if isinstance(a, str) else column_name(a) for a in args)})"


def _functional_name(node: exp.Expression) -> str | None:
    """ClickHouse names operators and special forms as the functions they are:
    ``in(x, (1, 2))``, ``CAST(x, 'T')``, ``if(c, a, b)``, ``multiIf(...)``, ``lambda(tuple(x), body)``."""
    if isinstance(node, exp.In) and node.expressions:
        values = node.expressions
        listed = column_name(values[0]) if len(values) == 1 else "(" + ", ".join(column_name(v) for v in values) + ")"
        return _call("in", node.this, listed)
    if isinstance(node, exp.Between):
        return _call("and", _call("greaterOrEquals", node.this, node.args["low"]),
                     _call("lessOrEquals", node.this, node.args["high"]))
    if isinstance(node, exp.Cast | exp.CastToStrType) and not isinstance(node, exp.TryCast):
        to = node.args.get("to")
        target = to.this if isinstance(to, exp.Literal) else to.sql(dialect="clickhouse") if to is not None else ""
        return _call("CAST", node.this, column_name(exp.Literal.string(target)))
    if isinstance(node, exp.If):
        false = node.args.get("false")
        return _call("if", node.this, node.args["true"], *([false] if false is not None else []))
    if isinstance(node, exp.Case):
        parts: list[exp.Expression] = []
        for when in node.args.get("ifs") or []:
            parts += [when.this, when.args["true"]]
        default = node.args.get("default")
        parts.append(default if default is not None else exp.Null())
        return _call("caseWithExpression", node.this, *parts) if node.this is not None else _call("multiIf", *parts)
    if isinstance(node, exp.Lambda):
        names = ", ".join(column_name(e) for e in node.expressions)
        return _call("lambda", f"tuple({names})", node.this)
    if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
        return _call("isNull", node.this)
    if isinstance(node, exp.Not) and isinstance(node.this, exp.Is) and isinstance(node.this.expression, exp.Null):
        return _call("isNotNull", node.this.this)
    if isinstance(node, exp.Count) and isinstance(node.this, exp.Distinct):
        return _call("countDistinct", *node.this.expressions)
    if isinstance(node, exp.Func):
        return _named_arguments(node)
    return None


def _named_arguments(node: exp.Func) -> str | None:
    """A function sqlglot knows: its text as the dialect writes it (arguments where it puts them),
    each argument named by ClickHouse's rules."""
    copy = node.copy()
    named: dict[str, str] = {}
    for key, value in list(copy.args.items()):
        items = value if isinstance(value, list) else [value]
        replaced = []
        for item in items:
            if isinstance(item, exp.Expression) and not isinstance(item, exp.Literal | exp.DataType | exp.Var):
                placeholder = f"__arg{len(named)}"
                named[placeholder] = column_name(_original(node, key, item, items, value))
                replaced.append(exp.column(placeholder))
            else:
                replaced.append(item)
        copy.set(key, replaced if isinstance(value, list) else replaced[0])
    text = _SHOUTED_CALL.sub(lambda m: m.group(1).lower() + "(", copy.sql(dialect="clickhouse"))
    if not named:
        return None
    return re.sub(r"__arg\d+", lambda m: named[m.group(0)], text)


def _original(node: exp.Func, key: str, item: exp.Expression, items: list, value: object) -> exp.Expression:
    """The argument of ``node`` a copied item stands for (copies keep the order of their originals)."""
    original = node.args[key]
    return original[items.index(item)] if isinstance(value, list) else original


_SHOUTED_CALL = re.compile(r"\b([A-Z][A-Z_0-9]*[A-Z0-9])\(")


_INT_TYPES = [("UInt8", 0, 255), ("UInt16", 0, 65535), ("UInt32", 0, 4294967295),
              ("UInt64", 0, 18446744073709551615)]
_SIGNED = [("Int8", -128, 127), ("Int16", -32768, 32767), ("Int32", -2147483648, 2147483647),
           ("Int64", -9223372036854775808, 9223372036854775807)]
_CONVERSIONS = {
    "isnull": "UInt8", "isnotnull": "UInt8", "match": "UInt8", "startswith": "UInt8", "endswith": "UInt8",
    "tostring": "String", "ch_to_datetime": "DateTime", "ch_to_date": "Date", "arrayexists": "UInt8", "arrayall": "UInt8", "arraycount": "UInt32",
    "touint8": "UInt8", "touint16": "UInt16", "touint32": "UInt32", "touint64": "UInt64",
    # the same conversions once rewritten (a handler reads its arguments' types after their rewrite)
    "ch_touint8": "UInt8", "ch_touint16": "UInt16", "ch_touint32": "UInt32", "ch_touint64": "UInt64",
    "ch_toint8": "Int8", "ch_toint16": "Int16", "ch_toint32": "Int32", "ch_toint64": "Int64",
    "toint8": "Int8", "toint16": "Int16", "toint32": "Int32", "toint64": "Int64", "tofloat32": "Float32",
    "tofloat64": "Float64", "todate": "Date", "todate32": "Date32", "todatetime": "DateTime",
    "touint8orzero": "UInt8", "toint32orzero": "Int32", "toint64orzero": "Int64", "tofloat64orzero": "Float64",
    **{f"reinterpretas{t.lower()}": t for t in ("UInt8", "UInt16", "UInt32", "UInt64", "Int8", "Int16", "Int32",
                                                 "Int64", "Float32", "Float64")},
    "formatreadablesize": "String", "format_bytes": "String", "formatreadabledecimalsize": "String",
    "formatreadablequantity": "String", "positionutf8": "UInt64", "positioncaseinsensitive": "UInt64",
    "positioncaseinsensitiveutf8": "UInt64",
    "extracturlparameters": "Array(String)", "extracturlparameternames": "Array(String)",
    "extracturlparameter": "String", "cuturlparameter": "String", "ipv4numtostring": "String",
    "ipv4numtostringclassc": "String", "ipv4stringtonum": "UInt32",
    "domain": "String", "domainwithoutwww": "String", "topleveldomain": "String",
    "firstsignificantsubdomain": "String", "cuttofirstsignificantsubdomain": "String",
    "cuttofirstsignificantsubdomainwithwww": "String", "urlhierarchy": "Array(String)",
    "urlpathhierarchy": "Array(String)", "urlhash": "UInt64", "sequencematch": "UInt8", "sequencecount": "UInt64",
    "intdiv": None, "length": "UInt64", "empty": "UInt8", "notempty": "UInt8", "has": "UInt8",
    "today": "Date", "yesterday": "Date", "now": "DateTime", "version": "String", "timezone": "String",
    "totypename": "String", "currentdatabase": "String", "uniqexact": "UInt64", "uniq": "UInt64",
    "toyyyymm": "UInt32", "toyear": "UInt16", "tomonth": "UInt8", "todayofmonth": "UInt8", "tohour": "UInt8",
    "tominute": "UInt8", "tosecond": "UInt8", "tounixtimestamp": "UInt32", "countif": "UInt64",
    "lower": "String", "upper": "String", "concat": "String", "substring": "String", "formatdatetime": "String",
    "tostartofday": "DateTime", "tostartofhour": "DateTime", "tostartofmonth": "Date", "median": "Float64",
    "quantile": "Float64", "quantiletiming": "Float32", "quantiletimingweighted": "Float32",
    "mediantiming": "Float32", "mediantimingweighted": "Float32", "quantilestiming": "Array(Float32)",
    "quantilestimingweighted": "Array(Float32)", "avg": "Float64", "avgif": "Float64", "ignore": "UInt8",
    "inthash64": "UInt64", "inthash32": "UInt32",
}


def literal_type(value: int) -> str:
    for name, lo, hi in (_INT_TYPES if value >= 0 else _SIGNED):
        if lo <= value <= hi:
            return name
    return "Float64"


_SOURCE_TYPES = "clickhouse_source_types"


def annotate_sources(select: exp.Select, table_columns: Callable[[str, str], list[Any] | None],
                     database: str) -> list[str | None] | None:
    """Record on ``select`` the ClickHouse types of the columns its FROM and JOINs give (tables'
    declared or nearest types, a subquery's typed outputs), for ``hint_type``; returns the
    types of ``SELECT *`` when that is what the select list is (None otherwise)."""
    known: dict[str, str] = {}
    star: list[str | None] | None = None
    sources = []
    if select.args.get("from_") is not None:
        sources.append(select.args["from_"].this)
    array_joins = [j for j in select.args.get("joins") or [] if str(j.args.get("kind") or "").upper() == "ARRAY"]
    sources.extend(j.this for j in select.args.get("joins") or [] if j not in array_joins)
    for n, source in enumerate(sources):
        source = source.this if isinstance(source, exp.Final) else source  # t FINAL: t's columns, merged
        outputs = _source_outputs(source, table_columns, database)
        if outputs is None:
            if n == 0:
                star = None
            continue
        alias = source.alias_or_name
        for name, type_name in outputs:
            if type_name is None:
                continue
            known.setdefault(name, type_name)
            if alias:
                known.setdefault(f"{alias}.{name}", type_name)
        if n == 0:
            star = [t for _, t in outputs]
    for join in array_joins:  # ARRAY JOIN arr [AS a]: the name stands for an element from here on
        for item in [join.this, *join.expressions]:
            inner = item.this if isinstance(item, exp.Alias) else item
            name = item.alias if isinstance(item, exp.Alias) else inner.name if isinstance(inner, exp.Column) else None
            array_type = known.get(inner.name) if isinstance(inner, exp.Column) else None
            if name:
                known.pop(name, None)
                if array_type and array_type.startswith("Array("):
                    known[name] = array_type[len("Array("):-1]
    select.meta[_SOURCE_TYPES] = known
    items = select.expressions
    only_star = len(items) == 1 and (isinstance(items[0], exp.Star) or
                                     isinstance(items[0], exp.Column) and isinstance(items[0].this, exp.Star))
    return star if only_star and len(sources) == 1 else None


def source_column_names(source: exp.Expression, table_columns: Callable[[str, str], list[Any] | None],
                        database: str) -> list[str] | None:
    """The names of the columns a FROM item gives, None when not known."""
    outputs = _source_outputs(source, table_columns, database)
    return None if outputs is None else [name for name, _ in outputs]


def _source_outputs(source: exp.Expression, table_columns: Callable[[str, str], list[Any] | None],
                    database: str) -> list[tuple[str, str | None]] | None:
    """(name, ClickHouse type or None) of the columns a FROM item gives, None when not known."""
    if isinstance(source, exp.Final):  # t FINAL: t's columns
        source = source.this
    if isinstance(source, exp.Table) and isinstance(source.this, exp.Identifier):
        db = source.db or database
        if db.lower() == "system":
            from helios_protocol_clickhouse.rewrites.system_tables import output_columns  # it reads names

            return output_columns(source.name)
        columns = table_columns("public" if db == "default" else db, source.name)
        return None if columns is None else [(c.name, c.type) for c in columns]
    if isinstance(source, exp.Subquery) and isinstance(source.this, exp.Select):
        inner = source.this
        star = annotate_sources(inner, table_columns, database)
        if star is not None:
            outputs = _source_outputs(_first_source(inner), table_columns, database)
            return outputs
        return [(column_name(e), hint_type(e, inner)) for e in inner.expressions]
    if isinstance(source, exp.Subquery) and isinstance(source.this, exp.Union):
        parts = union_parts(source.this)
        if parts is None:
            return None
        for part in parts:
            annotate_sources(part, table_columns, database)
        names = [column_name(e) for e in parts[0].expressions]
        return list(zip(names, union_types(parts), strict=True))
    return None


def union_parts(union: exp.Expression) -> list[exp.Select] | None:
    """The SELECTs of a UNION (ALL) in order, None when a part is something else or the parts
    differ in width."""
    if isinstance(union, exp.Select):
        return [union]
    if not isinstance(union, exp.Union):
        return None
    left, right = union_parts(union.this), union_parts(union.expression)
    if left is None or right is None or len(left[0].expressions) != len(right[0].expressions):
        return None
    return left + right


def union_types(parts: list[exp.Select]) -> list[str | None]:
    """Each column's type over the parts of a UNION: ClickHouse's common type of the parts'
    (``UInt8`` and ``Int8``: ``Int16``; integers and floats: ``Float64``; String and FixedString: String)."""
    out = []
    for position in range(len(parts[0].expressions)):
        kinds = [hint_type(p.expressions[position], p) for p in parts]
        common = common_type(kinds)
        if common is None and kinds and all(k is not None and (k == "String" or k.startswith("FixedString("))
                                            for k in kinds):
            common = "String"
        out.append(common)
    return out


def _first_source(select: exp.Select) -> exp.Expression:
    return select.args["from_"].this


def _source_columns(select: exp.Select | None) -> dict[str, str]:
    """Columns of the sources in FROM: ``number`` of numbers() is UInt64, ``dummy`` of
    system.one UInt8, a table's columns their ClickHouse types (``annotate_sources``)."""
    if select is None:
        return {}
    known = select.meta.get(_SOURCE_TYPES) if select.meta else None
    if known:
        return {**known, **_builtin_columns(select)}
    return _builtin_columns(select)


def _builtin_columns(select: exp.Select) -> dict[str, str]:
    source = select.args.get("from_")
    table = source.this if source is not None else None
    if not isinstance(table, exp.Table):
        return {}
    name = table.this.this if isinstance(table.this, exp.Anonymous) else table.name
    db = (table.db or "").lower()
    if str(name).lower() in ("numbers", "numbers_mt") and (db == "system" or isinstance(table.this, exp.Anonymous)):
        return {"number": "UInt64"}
    if str(name).lower() == "one" and db == "system":
        return {"dummy": "UInt8"}
    return {}


def hint_type(node: exp.Expression, select: exp.Select | None = None) -> str | None:
    """The ClickHouse type ``node`` certainly has, or None."""
    if isinstance(node, exp.Alias):
        return hint_type(node.this, select)
    if isinstance(node, exp.CombinedAggFunc | exp.CombinedParameterizedAgg) and Combinator.of(str(node.this)) or \
            isinstance(node, exp.Anonymous) and str(node.this).lower() in STATE_FUNCTIONS:
        return state_call_type(node, select)
    if isinstance(node, exp.Column) and not isinstance(node.this, exp.Literal):
        columns = _source_columns(select)
        found = columns.get(f"{node.table}.{node.name}") if node.table else columns.get(node.name)
        if found is None and not node.table and select is not None:  # an alias of the select list
            for item in select.expressions:
                if isinstance(item, exp.Alias) and item.alias == node.name and not item.this.find(exp.Column):
                    return hint_type(item.this, select)
                if isinstance(item, exp.Alias) and item.alias == node.name and not any(
                        c.name == node.name and not c.table for c in item.this.find_all(exp.Column)):
                    return hint_type(item.this, select)
        return found
    if isinstance(node, exp.Paren):
        return hint_type(node.this, select)
    arithmetic = _arithmetic_type(node, select)
    if arithmetic is not None:
        return arithmetic
    if isinstance(node, exp.Literal):
        if node.is_string:
            return "String"
        text = node.this
        try:
            return literal_type(int(text, 10 if text.isdigit() else 0))  # 0377 is decimal in ClickHouse
        except ValueError:
            return "Float64"
    if isinstance(node, exp.HexString) and node.args.get("is_integer"):
        return literal_type(int(node.this, 16))
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.HexString) and node.this.args.get("is_integer"):
        return literal_type(-int(node.this.this, 16))
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        text = node.this.this
        try:
            return literal_type(-int(text, 10 if text.isdigit() else 0))
        except ValueError:
            return "Float64"
    if isinstance(node, exp.Predicate | exp.Connector | exp.Not | exp.ArrayContains):
        return "UInt8"  # comparisons and logic give UInt8 in ClickHouse (a Bool column stays Bool)
    if isinstance(node, exp.Null):
        return "Nullable(Nothing)"
    if isinstance(node, exp.Array) and not node.expressions and isinstance(node.parent, exp.Anonymous | exp.Typeof):
        return "Array(Nothing)"  # [] as a function's argument (toTypeName([]))
    if isinstance(node, exp.Array) and node.expressions:
        kinds = [hint_type(e, select) for e in node.expressions if not isinstance(e, exp.Null)]
        element = common_type(kinds) if kinds else "Nothing"
        if element and len(kinds) < len(node.expressions):
            element = f"Nullable({element})"
        return f"Array({element})" if element else None
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "emptyarraytosingle" and node.expressions:
        return hint_type(node.expressions[0], select)
    if isinstance(node, exp.Anonymous) and str(node.this).lower().startswith("emptyarray") and \
            len(str(node.this)) > len("emptyarray"):
        return f"Array({str(node.this)[len('emptyArray'):]})"
    if isinstance(node, exp.Nullif):
        inner = hint_type(node.this, select)
        return inner if inner is None or inner.startswith("Nullable(") else f"Nullable({inner})"
    if isinstance(node, exp.Cast) and isinstance(node.to, exp.DataType) and "nullable" in node.to.args:
        target = node.to.sql(dialect="clickhouse")  # a type written in ClickHouse's terms (not by a rewrite)
        if target.startswith(_CAST_TYPES):
            return _enum_listed(target)
    if isinstance(node, exp.CastToStrType) and isinstance(node.args.get("to"), exp.Literal) and \
            node.args["to"].this.startswith(_CAST_TYPES):
        return _enum_listed(node.args["to"].this)
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "tonullable" and node.expressions:
        inner = hint_type(node.expressions[0], select)
        return inner if inner is None or inner.startswith("Nullable(") else f"Nullable({inner})"
    if isinstance(node, exp.Greatest | exp.Least):
        return common_type([hint_type(e, select) for e in [node.this, *node.expressions]])
    if isinstance(node, exp.Tuple) and node.expressions:
        fields = [hint_type(e, select) for e in node.expressions]
        return f"Tuple({', '.join(fields)})" if None not in fields else None
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "tofixedstring" and len(node.expressions) == 2 \
            and isinstance(node.expressions[1], exp.Literal):
        return f"FixedString({node.expressions[1].this})"
    if isinstance(node, exp.If):
        return _branches_type([node.args.get("true"), node.args.get("false")], select)
    if isinstance(node, exp.Case):
        return _branches_type([*(w.args["true"] for w in node.args.get("ifs") or []), node.args.get("default")], select)
    if isinstance(node, exp.Sum) or isinstance(node, exp.Anonymous) and str(node.this).lower() in ("sum", "sumif") \
            and node.expressions:
        inner = hint_type(node.this if isinstance(node, exp.Sum) else node.expressions[0], select)
        parts = int_parts(inner)
        if parts is not None:
            return "Int64" if parts[0] else "UInt64"
        return "Float64" if inner in _FLOATS else None
    if isinstance(node, exp.Max | exp.Min | exp.AnyValue) and not isinstance(node.this, exp.Column):
        inner = hint_type(node.this, select)
        return inner if int_parts(inner) is not None or inner in _FLOATS or inner == "String" else None
    if isinstance(node, exp.Explode) and isinstance(node.this, exp.Array):
        kinds = {hint_type(e) for e in node.this.expressions}
        return _common_int(kinds)
    if isinstance(node, exp.Explode) and isinstance(node.this, exp.Column):
        array_type = hint_type(node.this, select)
        return array_type[len("Array("):-1] if array_type and array_type.startswith("Array(") else None
    if isinstance(node, exp.Max | exp.Min | exp.AnyValue) and isinstance(node.this, exp.Column):
        return hint_type(node.this, select)  # the column's own type, Nullable or not
    if isinstance(node, exp.AnonymousAggFunc | exp.ParameterizedAgg) and \
            str(node.this).lower() in ("grouparray", "grouparraysorted", "groupuniqarray"):
        values = node.args.get("params") if isinstance(node, exp.ParameterizedAgg) else node.expressions
        inner = hint_type(values[0], select) if values and len(values) == 1 else None
        return f"Array({inner})" if inner and not inner.startswith("Nullable(") else None  # NULLs are left out
    if isinstance(node, exp.Count | exp.ApproxDistinct | exp.CountIf):
        return "UInt64"
    if isinstance(node, exp.Div):
        return "Float64"
    if isinstance(node, exp.Cast) and node.to.this in (exp.DataType.Type.TIMESTAMP, exp.DataType.Type.DATETIME):
        return "DateTime"
    if isinstance(node, exp.Quantile | exp.Avg):
        return "Float64"
    if isinstance(node, exp.Length):
        return "UInt64"
    if isinstance(node, exp.Anonymous) and str(node.this).lower() in ("materialize", "identity") and node.expressions:
        return hint_type(node.expressions[0], select)
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "range" and node.expressions:
        bounds = common_type([hint_type(e, select) for e in node.expressions])  # range(UInt8) is Array(UInt8)
        return f"Array({bounds})" if int_parts(bounds) is not None else None
    if isinstance(node, exp.Anonymous):
        return _CONVERSIONS.get(str(node.this).lower())
    if isinstance(node, exp.CurrentVersion | exp.CurrentDatabase):
        return "String"
    return None


_WIDER = {8: 16, 16: 32, 32: 64, 64: 64}


def int_parts(type_name: str | None) -> tuple[bool, int] | None:
    """(signed, bits) of a ClickHouse integer type name, None for anything else."""
    if not type_name:
        return None
    for prefix, signed in (("UInt", False), ("Int", True)):
        rest = type_name[len(prefix):]
        if type_name.startswith(prefix) and rest in ("8", "16", "32", "64"):
            return signed, int(rest)
    return None


def _int_name(signed: bool, bits: int) -> str:
    return f"{'Int' if signed else 'UInt'}{bits}"


def _integer_result(kind: str, a: tuple[bool, int], b: tuple[bool, int]) -> str:
    """ClickHouse's result type of an integer operation on (signed, bits) operands."""
    (sa, ba), (sb, bb) = a, b
    if kind in ("plus", "multiply"):
        return _int_name(sa or sb, _WIDER[max(ba, bb)])
    if kind == "minus":
        return _int_name(True, _WIDER[max(ba, bb)])
    if kind == "intdiv":  # the dividend's width, signed when either is
        return _int_name(sa or sb, ba)
    if kind == "modulo":  # the divisor's width; a signed dividend over an unsigned divisor widens
        return _int_name(sa, _WIDER[bb] if sa and not sb else bb)
    if kind == "bit":
        return _int_name(sa or sb, max(ba, bb))
    return _int_name(sa or sb, max(ba, bb))  # the common type of both (if, least, greatest, arrays)


_ARITHMETIC = {exp.Add: "plus", exp.Sub: "minus", exp.Mul: "multiply", exp.Mod: "modulo", exp.IntDiv: "intdiv",
               exp.BitwiseAnd: "bit", exp.BitwiseOr: "bit", exp.BitwiseXor: "bit"}
_ARITHMETIC_CALLS = {"plus": "plus", "minus": "minus", "multiply": "multiply", "modulo": "modulo",
                     "intdiv": "intdiv", "intdivorzero": "intdiv", "bitand": "bit", "bitor": "bit", "bitxor": "bit"}
_FLOATS = ("Float32", "Float64")
def _branches_type(branches: list[exp.Expression | None], select: exp.Select | None) -> str | None:
    """The common type of if/CASE branches; a NULL branch (or a CASE without ELSE) makes it Nullable."""
    nullable = any(b is None or isinstance(b, exp.Null) for b in branches)
    kinds = [hint_type(b, select) for b in branches if b is not None and not isinstance(b, exp.Null)]
    if nullable:
        kinds = [k[len("Nullable("):-1] if k and k.startswith("Nullable(") else k for k in kinds]
    common = common_type(kinds)
    if common is None or not nullable or common.startswith(("Nullable(", "Array(", "Tuple(")):
        return common
    return f"Nullable({common})"


def _enum_listed(type_name: str) -> str:
    """An Enum8/16 type as ClickHouse names it: its labels listed by number."""
    if not type_name.startswith(("Enum8(", "Enum16(")):
        return type_name
    try:
        return str(canonical_type(parse_type(type_name)))
    except Exception:  # noqa: BLE001 - a type this reader cannot parse: as written
        return type_name


_CAST_TYPES = ("UInt", "Int", "Float", "String", "Nullable(", "Array(", "FixedString(", "Date", "Enum8(", "Enum16(")


def _arithmetic_type(node: exp.Expression, select: exp.Select | None) -> str | None:
    """The type of +, -, *, %, intDiv, bit operations and negation over operands of known type."""
    kind = _ARITHMETIC.get(type(node))
    if kind is not None:
        operands = [node.this, node.expression]
    elif isinstance(node, exp.Anonymous) and str(node.this).lower() in _ARITHMETIC_CALLS and \
            len(node.expressions) == 2:
        kind, operands = _ARITHMETIC_CALLS[str(node.this).lower()], list(node.expressions)
    elif isinstance(node, exp.Neg) and not (isinstance(node.this, exp.Literal) and not node.this.is_string) and \
            not isinstance(node.this, exp.HexString):
        inner = hint_type(node.this, select)
        parts = int_parts(inner)
        if parts is not None:
            signed, bits = parts
            return _int_name(True, bits if signed else _WIDER[bits])
        return inner if inner in _FLOATS else None
    else:
        return None
    types = [hint_type(o, select) for o in operands]
    if any(t and t.startswith("Nullable(") for t in types):  # NULL in, NULL out: the same type, Nullable
        inner = _arithmetic_of(kind, [t[len("Nullable("):-1] if t and t.startswith("Nullable(") else t
                                      for t in types])
        return f"Nullable({inner})" if inner else None
    return _arithmetic_of(kind, types)


def _arithmetic_of(kind: str, types: list[str | None]) -> str | None:
    parts = [int_parts(t) for t in types]
    moments = [t if t in ("Date", "DateTime") else None for t in types]
    if kind == "minus" and moments[0] and moments[0] == moments[1]:
        return "Int32"  # DateTime - DateTime: seconds; Date - Date: days
    if kind in ("plus", "minus") and moments[0] and parts[1] is not None or \
            kind == "plus" and moments[1] and parts[0] is not None:
        return moments[0] or moments[1]  # a Date or DateTime moved by a number of days or seconds
    if parts[0] is not None and parts[1] is not None:
        return _integer_result(kind, parts[0], parts[1])
    if kind in ("plus", "minus", "multiply", "modulo") and all(p is not None or t in _FLOATS
                                                               for p, t in zip(parts, types, strict=True)):
        return "Float64"
    if kind == "intdiv" and all(p is not None or t in _FLOATS for p, t in zip(parts, types, strict=True)):
        return "Int64" if parts[0] is None else types[0]
    return None


def common_type(kinds: list[str | None]) -> str | None:
    """The common type of values of these types (if's branches, an array's elements), None when unknown."""
    if not kinds or None in kinds:
        return None
    if len(set(kinds)) == 1:
        return kinds[0]
    if all(k.startswith("Array(") for k in kinds):  # arrays: of their elements' common type
        element = common_type([k[len("Array("):-1] for k in kinds])
        return f"Array({element})" if element else None
    parts = [int_parts(k) for k in kinds]
    if all(p is not None for p in parts):
        signed = any(p[0] for p in parts)
        bits = max(p[1] if p[0] or not signed else _WIDER[p[1]] for p in parts)
        if signed and any(not p[0] and p[1] == 64 for p in parts):
            return None  # UInt64 with a signed type: no common integer type
        return _int_name(signed, bits)
    if all(p is not None or k in _FLOATS for p, k in zip(parts, kinds, strict=True)):
        return "Float64"
    return None


def _common_int(kinds: set[str | None]) -> str | None:
    """The widest of literal integer types (UInt8 and UInt16 -> UInt16), None when mixed."""
    if not kinds or None in kinds:
        return None
    if kinds <= {name for name, _, _ in _INT_TYPES}:
        return max(kinds, key=lambda k: [n for n, _, _ in _INT_TYPES].index(k))
    if len(kinds) == 1:
        return next(iter(kinds))
    return None


# the functions over aggregate states that are no aggregates themselves
STATE_FUNCTIONS = ("finalizeaggregation", "runningaccumulate", "initializeaggregation")


def state_call_arguments(node: exp.Expression) -> tuple[list[exp.Expression], list[exp.Expression]]:
    """(parameters, arguments) of an aggregate call: ``quantilesState(0.5, 0.9)(x)`` -> ([0.5, 0.9], [x])."""
    if isinstance(node, exp.CombinedParameterizedAgg | exp.ParameterizedAgg):
        return list(node.expressions), list(node.args.get("params") or [])
    return [], list(node.expressions)


def state_of_call(name: str, params: list[exp.Expression], args: list[exp.Expression],
                  select: exp.Select | None) -> StateType | None:
    """The state an aggregate call ``name(params)(args)`` makes as its -State (``name`` without the
    -State), None for an aggregate whose states are not built."""
    found = aggregate_of(name)
    if found is None:
        return None
    written = tuple(p.sql(dialect="clickhouse") for p in params)
    return StateType(found[0], written, found[1], tuple(hint_type(a, select) for a in args))


def state_call_type(node: exp.Expression, select: exp.Select | None) -> str | None:
    """The type of a call that makes or reads aggregate states (-State, -Merge, -MergeState,
    finalizeAggregation, runningAccumulate, initializeAggregation), None when not known."""
    name = str(node.this)
    params, args = state_call_arguments(node)
    if name.lower() in ("finalizeaggregation", "runningaccumulate"):
        state = read_state_type(hint_type(args[0], select)) if args else None
        return state.result_type() if state is not None else None
    if name.lower() == "initializeaggregation":
        if not args or not isinstance(args[0], exp.Literal) or not args[0].is_string:
            return None
        function = args[0].this
        combinator = Combinator.of(function)
        made = state_of_call(combinator.function if combinator else function, [], args[1:], select)
        if made is None or not made.known:
            return None
        return str(made) if combinator is not None and combinator.kind == "state" else made.result_type()
    combinator = Combinator.of(name)
    if combinator is None:
        return None
    if combinator.kind == "state":
        made = state_of_call(combinator.function, params, args, select)
        return str(made) if made is not None else None  # ``?`` for an argument type not known
    state = read_state_type(hint_type(args[0], select)) if args else None
    if state is None:
        return None
    return str(state) if combinator.kind == "merge_state" else state.result_type()
