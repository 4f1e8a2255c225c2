"""ClickHouse functions and expressions onto the shared function library.

Each ClickHouse function becomes the PostgreSQL-shaped expression with its meaning, or one
of this plugin's SQL functions (``sql_functions``) where the rules differ::

    count()                 -> count(*)
    a / b                   -> ch_divide(a, b)          (always Float64: 1/0 is inf)
    1.5                     -> CAST(1.5 AS double precision)   (ClickHouse's float literals are Float64)
    countIf(c)              -> count(*) FILTER (WHERE c);  sumIf(x, c) -> sum(x) FILTER (WHERE c)
    uniq(x), uniqExact(x)   -> count(DISTINCT x)
    quantile(p)(x)          -> percentile_cont(p) WITHIN GROUP (ORDER BY x)
    groupArray(x)           -> array_agg(x) FILTER (WHERE x IS NOT NULL)
    arrayMap(x -> f, a)     -> ARRAY(SELECT f FROM unnest(a) WITH ORDINALITY AS _l(x, _n) ORDER BY _n)
    a[i]                    -> ch_array_element(a, i)   (negative from the end, default when out of range)
    if(c, a, b), multiIf    -> CASE
    toStartOfDay(t)         -> date_trunc('day', t)
    today()                 -> the current date in the server's time zone

Functions with no rewrite keep their name and reach the kernel's library as they are.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import sqlglot
from sqlglot import exp

from helios_protocol_clickhouse import array_functions, hashing, sql_functions
from helios_protocol_clickhouse.errors import VERSION, ClickHouseError
from helios_protocol_clickhouse.names import hint_type, int_parts, source_column_names
from helios_protocol_clickhouse.rewrites import lambda_arrays
from helios_protocol_clickhouse.rewrites.context import RewriteContext
from helios_protocol_clickhouse.rewrites.ddl import enum_label
from helios_protocol_clickhouse.types import parse_type, sql_type

Handler = Callable[[list[exp.Expression], RewriteContext], exp.Expression]
_STARTED = time.monotonic()  # the server's start, for uptime(): the plugin loads as it starts


def _fn(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def enum_members(node: exp.Expression) -> tuple[list[str], list[int]] | None:
    """The labels and numbers of the Enum8/16 a CAST goes to, None for a CAST to another type."""
    if isinstance(node, exp.Cast) and isinstance(node.to, exp.DataType) and \
            node.to.this in (exp.DataType.Type.ENUM8, exp.DataType.Type.ENUM16, exp.DataType.Type.ENUM):
        text = node.to.sql(dialect="clickhouse")
    elif isinstance(node, exp.CastToStrType) and isinstance(node.args.get("to"), exp.Literal) and \
            node.args["to"].this.startswith(("Enum8(", "Enum16(")):
        text = node.args["to"].this
    else:
        return None
    inner = parse_type(text).inner
    labels, numbers = [], []
    for n, arg in enumerate(inner.args):
        label, _, number = str(arg).rpartition("=")
        labels.append(enum_label(str(arg)))
        numbers.append(int(number) if label else n + 1)
    return labels, numbers


def _cast(node: exp.Expression, type_name: str) -> exp.Expression:
    return exp.Cast(this=node, to=exp.DataType.build(type_name, dialect="postgres"))


def _lit(value: str) -> exp.Expression:
    return exp.Literal.string(value)


def _pg(sql: str, **values: exp.Expression) -> exp.Expression:
    """A PostgreSQL expression template with ``{name}`` holes filled by trees."""
    tree = sqlglot.parse_one(sql.format(**{k: f"__hole_{k}" for k in values}), read="postgres")

    def fill(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Column) and node.name.startswith("__hole_") and not node.table:
            return values[node.name[len("__hole_"):]].copy()
        return node

    return tree.transform(fill)


def _now(ctx: RewriteContext) -> exp.Expression:
    return _pg(f"CAST(date_trunc('second', now() AT TIME ZONE '{ctx.timezone}') AS timestamp)")


def _today(ctx: RewriteContext) -> exp.Expression:
    return _pg(f"CAST(now() AT TIME ZONE '{ctx.timezone}' AS date)")


_TRUNC_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800}


def _interval_parts(node: exp.Expression) -> tuple[int, str]:
    if isinstance(node, exp.Interval):
        amount = node.this
        unit = node.args.get("unit")
        n = int(amount.this if isinstance(amount, exp.Literal) else amount.name)
        u = (unit.name if unit is not None else "second").lower().rstrip("s")
        return n, u
    raise ClickHouseError(43, "toStartOfInterval needs an INTERVAL as its second argument")


def _start_of_interval(args: list[exp.Expression], ctx: RewriteContext) -> exp.Expression:
    n, unit = _interval_parts(args[1])
    t = _cast(args[0], "timestamp")
    if unit in ("month", "quarter", "year"):
        months = n * {"month": 1, "quarter": 3, "year": 12}[unit]
        return _pg("CAST(make_date(1970, 1, 1) + make_interval(months => CAST(floor(((extract(year FROM {t}) - 1970) "
                   f"* 12 + extract(month FROM {{t}}) - 1) / {months}) * {months} AS integer)) AS date)", t=t)
    seconds = n * _TRUNC_UNITS.get(unit, 1)
    return _pg(f"to_timestamp(floor(extract(epoch FROM {{t}}) / {seconds}) * {seconds}) AT TIME ZONE 'UTC'", t=t)


def _date_diff(unit: str, a: exp.Expression, b: exp.Expression) -> exp.Expression:
    unit = unit.lower().rstrip("s")
    if unit in ("month", "quarter", "year"):
        months = {"month": 1, "quarter": 3, "year": 12}[unit]
        return _pg("CAST(floor(((extract(year FROM {b}) * 12 + extract(month FROM {b})) - (extract(year FROM {a}) "
                   f"* 12 + extract(month FROM {{a}}))) / {months}) AS bigint)", a=_cast(a, "timestamp"),
                   b=_cast(b, "timestamp"))
    seconds = _TRUNC_UNITS.get(unit)
    if seconds is None:
        raise ClickHouseError(36, f"dateDiff: unknown unit {unit!r}")
    trunc = "week" if unit == "week" else unit
    return _pg(f"CAST((extract(epoch FROM date_trunc('{trunc}', {{b}})) - extract(epoch FROM date_trunc('{trunc}', "
               f"{{a}}))) / {seconds} AS bigint)", a=_cast(a, "timestamp"), b=_cast(b, "timestamp"))


def _multi_if(args: list[exp.Expression], ctx: RewriteContext) -> exp.Expression:
    case = exp.Case()
    for i in range(0, len(args) - 1, 2):
        case = case.when(condition(args[i]), args[i + 1])
    return case.else_(args[-1]) if len(args) % 2 else case


def _transform(args: list[exp.Expression], ctx: RewriteContext) -> exp.Expression:
    x, src, dst = args[0], args[1], args[2]
    default = args[3] if len(args) > 3 else x
    if not isinstance(src, exp.Array) or not isinstance(dst, exp.Array):
        raise ClickHouseError(48, "transform() with arrays that are not literals is not supported")
    case = exp.Case(this=x.copy())
    for s, d in zip(src.expressions, dst.expressions, strict=False):
        case = case.when(s.copy(), d.copy())
    return case.else_(default.copy())


def _tuple_element(tuple_: exp.Expression, index: exp.Expression) -> exp.Expression:
    """tupleElement((a, b), 2) -> b for a tuple written out; (t).f2 otherwise."""
    inner = tuple_.this if isinstance(tuple_, exp.Paren) else tuple_
    if isinstance(index, exp.Literal) and not index.is_string:
        i = int(index.this)
        if isinstance(inner, exp.Tuple) and 1 <= i <= len(inner.expressions):
            return inner.expressions[i - 1].copy()
        if isinstance(inner, exp.Anonymous) and inner.this == "ch_array_element" and len(inner.expressions) == 2 and \
                isinstance(inner.expressions[1], exp.Literal) and int(inner.expressions[1].this) >= 1:
            # arr[n].i: the kernel's own subscript keeps the element's record type (its fields f1...)
            position = int(inner.expressions[1].this)
            tuple_ = exp.Bracket(this=exp.Paren(this=inner.expressions[0].copy()),
                                 expressions=[exp.Literal.number(position - 1)])
        return exp.Dot(this=exp.Paren(this=tuple_.copy()), expression=exp.to_identifier(f"f{i}"))
    raise ClickHouseError(43, "tupleElement needs a constant index")


def _conversion(target: str) -> Handler:
    return lambda args, ctx: _fn(target, args[0])


def _filled_when_null(sql_name: str, fill: str) -> Handler:
    """covarSamp/covarPop/corr: SQL's NULL of too few rows is ClickHouse's nan (inf for the *Stable forms)."""
    return lambda args, ctx: exp.Coalesce(this=_fn(sql_name, *(_cast(a, "double precision") for a in args[:2])),
                                          expressions=[_pg(f"'{fill}'::float8")])


def _moments(name: str) -> Handler:
    """varSamp/varPop/stddev*/skew*/kurt*(x) and the *Stable forms: from the count and the sums of
    x's first four powers, nan (inf for *Stable) where ClickHouse's is (no rows; one row for *Samp)."""
    def handler(args: list[exp.Expression], ctx: RewriteContext) -> exp.Expression:
        x = _cast(args[0], "double precision")
        powers = [_fn("sum", x.copy())] + [_fn("sum", _fn("power", x.copy(), exp.Literal.number(k))) for k in (2, 3, 4)]
        return _fn("ch_moment", _lit(name), _fn("count", x.copy()), *powers)
    return handler


def _interval_of(count: exp.Expression, unit: str) -> exp.Expression:
    """toIntervalDay(n), INTERVAL n DAY with n an expression: n times one unit."""
    unit = unit.lower().removesuffix("s")
    if unit == "quarter":
        return _pg("(CAST({n} AS integer) * interval '3 months')", n=count)
    return _pg(f"(CAST({{n}} AS integer) * interval '1 {unit}')", n=count)


def _to_interval(unit: str) -> Handler:
    return lambda args, ctx: _interval_of(args[0], unit)


def _int_div_or_zero(args: list[exp.Expression]) -> exp.Expression:
    """intDivOrZero(a, b): 0 where b is 0, and where the quotient leaves a's signed type (its
    least value over -1, as intDivOrZero(-128, -1) of Int8)."""
    parts = int_parts(hint_type(args[0]))
    if parts is not None and parts[0]:
        least = exp.Literal.number(-(2 ** (parts[1] - 1)))
        return _pg("CASE WHEN {b} = 0 OR {b} = -1 AND {a} = {least} THEN 0 ELSE ch_int_div({a}, {b}) END",
                   a=args[0], b=args[1], least=least)
    return _pg("CASE WHEN {b} = 0 THEN 0 ELSE ch_int_div({a}, {b}) END", a=args[0], b=args[1])


def _position(kind: str) -> Handler:
    """position/positionUTF8/positionCaseInsensitive(UTF8)(h, n[, from]): see ``ch_position``."""
    def handler(args: list[exp.Expression], ctx: RewriteContext) -> exp.Expression:
        start = args[2] if len(args) > 2 else exp.Literal.number(1)
        return _fn("ch_position", args[0], args[1], start, _lit(kind))
    return handler


def _reinterpret(target: str) -> Handler:
    """reinterpretAs<number type>(x): x's bytes read as the type; over unhex(s) the hex digits
    are passed on, as the bytes they spell need not be text."""
    def handler(args: list[exp.Expression], ctx: RewriteContext) -> exp.Expression:
        source, from_hex = args[0], False
        if isinstance(source, exp.Anonymous) and str(source.this) == "ch_unhex":
            source, from_hex = source.expressions[0], True
        signed = target.startswith("Int")
        bits = exp.Literal.number(int("".join(ch for ch in target if ch.isdigit())))
        if target.startswith("Float"):
            return _fn("ch_reinterpret_as_float", source, bits, exp.Boolean(this=from_hex))
        name = "ch_reinterpret_as_uint64" if target == "UInt64" else "ch_reinterpret_as_int"
        return _fn(name, source, bits, exp.Boolean(this=signed), exp.Boolean(this=from_hex))
    return handler


def _truncated_decimal(value: exp.Expression, target: str) -> exp.Expression:
    """A number or text made a Decimal as ClickHouse makes it: the digits past the scale dropped
    (toward zero), not rounded; a float read through its shortest text (1.555 is 1.55 at scale 2)."""
    m = re.fullmatch(r"numeric\((\d+),\s*(\d+)\)", target)
    if m is None:
        return _cast(value, target)
    return _cast(_pg(f"trunc(CAST({{x}} AS numeric), {m.group(2)})", x=value), target)


def _decimal(p: int) -> Handler:
    def handler(args: list[exp.Expression], ctx: RewriteContext) -> exp.Expression:
        scale = args[1].this if len(args) > 1 and isinstance(args[1], exp.Literal) else "0"
        return _truncated_decimal(args[0], f"numeric({p},{scale})")
    return handler


_FILTERED_BY_NULLS = {"anylast", "grouparray", "argmin", "argmax", "sumarray", "groupuniqarray"}


def _if_aggregate(name: str) -> Handler:
    def handler(args: list[exp.Expression], ctx: RewriteContext) -> exp.Expression:
        *values, cond = args
        if name in _FILTERED_BY_NULLS and values:  # its rewrite is no plain aggregate to FILTER: the
            # rows failing the condition become NULLs, which the aggregate skips
            nulled = [exp.Case().when(condition(cond.copy()), v) for v in values]
            return _aggregate(name, nulled, ctx)
        agg = exp.Count(this=exp.Star()) if name == "count" and not values else _aggregate(name, values, ctx)
        filtered = exp.Filter(this=agg, expression=exp.Where(this=condition(cond)))
        return exp.Coalesce(this=filtered, expressions=[exp.Literal.number(0)]) if name == "sum" else filtered
    return handler


def _aggregate(name: str, args: list[exp.Expression], ctx: RewriteContext) -> exp.Expression:
    handler = _HANDLERS.get(name.lower())
    if handler is not None:
        return handler(args, ctx)
    return _fn(name, *args)


def _check_condition(body: exp.Expression, name: str) -> None:
    """A lambda that filters (arrayFilter, arrayCount, arrayExists...) must give a number: a String
    or a Float is ClickHouse's 43."""
    inner = body.this if isinstance(body, exp.Paren) else body
    if isinstance(inner, exp.Literal) and inner.is_string or isinstance(inner, exp.Cast) and \
            isinstance(inner.this, exp.Literal) and inner.to.this in (exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT):
        kind = "String" if isinstance(inner, exp.Literal) else "Float64"
        raise ClickHouseError(43, f"Illegal type {kind} of the lambda's result in {name}: it must be a number "
                                  "(UInt8 or Nullable(UInt8))")


def _lambda_source(fn: exp.Lambda, params: list[str], arrays: list[exp.Expression]) -> exp.Expression:
    """The rows a lambda runs over: the arrays' elements side by side with their position ``_n``.
    An unnest, or, where an array's elements are arrays themselves (which the kernel's unnest
    would flatten), each element picked by its position."""
    alias = exp.TableAlias(this=exp.to_identifier("_l"), columns=[exp.to_identifier(p) for p in params])
    if not fn.meta.get(lambda_arrays.ARRAY_PARAMS):
        return exp.Unnest(expressions=[a.copy() for a in arrays], offset=exp.to_identifier("_n"), alias=alias)
    positions = _pg("generate_series(1, ch_length({a}))", a=arrays[0])
    picked = exp.select(*[exp.alias_(_fn("ch_array_element", a.copy(), exp.column("_n")), p)
                          for p, a in zip(params, arrays, strict=False)], exp.column("_n")).from_(
        exp.Table(this=positions, alias=exp.TableAlias(this=exp.to_identifier("_g"),
                                                       columns=[exp.to_identifier("_n")])))
    return exp.Subquery(this=picked, alias=exp.TableAlias(this=exp.to_identifier("_l")))


def _lambda_array(args: list[exp.Expression], *, filter_: bool) -> exp.Expression:
    fn, arrays = args[0], args[1:]
    if not isinstance(fn, exp.Lambda):
        raise ClickHouseError(43, "the first argument of arrayMap/arrayFilter must be a lambda")
    if filter_:
        _check_condition(fn.this, "arrayFilter")
    params = [p.name for p in fn.expressions]
    body = fn.this.copy()
    unnest = _lambda_source(fn, params, arrays)
    projected = exp.column(params[0]) if filter_ else body
    body = body.transform(lambda n: exp.column(n.name) if isinstance(n, exp.Identifier) and
                          isinstance(n.parent, exp.Expression) and not isinstance(n.parent, exp.Column) and
                          n.name in params and not isinstance(n.parent, exp.TableAlias) else n)
    body = lambda_arrays.typed(body, fn)
    select = exp.select(projected if not filter_ else exp.column(params[0])).from_(unnest)
    if filter_:
        select = select.where(condition(body))
    else:
        select.set("expressions", [body])
    select = select.order_by("_n")
    return exp.Array(expressions=[select])  # ARRAY(SELECT ...)


def _lambda_scalar(args: list[exp.Expression], kind: str) -> exp.Expression:
    """arrayExists/arrayAll/arrayCount/arrayFirst(x -> cond, arr) as a subquery over unnest(arr)."""
    if len(args) == 1:  # arrayCount(arr): the non-zero elements
        args = [sqlglot.parse_one("x -> x != 0", read="clickhouse"), args[0]]
    fn, arrays = args[0], args[1:]
    if not isinstance(fn, exp.Lambda):
        raise ClickHouseError(43, f"the first argument of array{kind.title()} must be a lambda")
    _check_condition(fn.this, f"array{kind.title().replace('_', '')}")
    params = [p.name for p in fn.expressions]
    unnest = _lambda_source(fn, params, arrays)
    cond = condition(lambda_arrays.typed(fn.this.copy(), fn))
    if kind == "exists":
        return exp.Exists(this=exp.select("1").from_(unnest).where(cond))
    if kind == "all":  # a NULL condition is not true: it fails arrayAll as it does in ClickHouse
        passed = exp.Coalesce(this=cond, expressions=[exp.false()])
        return exp.Not(this=exp.Exists(this=exp.select("1").from_(unnest).where(exp.Not(this=exp.Paren(this=passed)))))
    if kind == "count":
        return exp.Subquery(this=exp.select(exp.Count(this=exp.Star())).from_(unnest).where(cond))
    order = "_n DESC" if kind.startswith("last") else "_n"  # arrayLast/arrayLastIndex: from the end
    if kind in ("first_index", "last_index"):
        found = exp.select(exp.column("_n")).from_(unnest).where(cond).order_by(order).limit(1)
        return exp.Coalesce(this=exp.Subquery(this=found), expressions=[exp.Literal.number(0)])
    first = exp.select(exp.column(params[0])).from_(unnest).where(cond).order_by(order).limit(1)
    # no element passes: the element type's default (what arr[0], out of range, gives)
    return exp.Coalesce(this=exp.Subquery(this=first), expressions=[
        _fn("ch_array_element", arrays[0].copy(), exp.Literal.number(0))])


def _inside_array_join(node: exp.Expression) -> bool:
    """An arrayJoin's own argument (its rows are made from the literal elsewhere)."""
    return isinstance(node.parent, exp.Explode) or \
        isinstance(node.parent, exp.Anonymous) and str(node.parent.this).lower() in ("unnest", "arrayjoin")


def _modulo(node: exp.Mod) -> exp.Expression:
    """a % b: integers as PostgreSQL does it (the sign of a); a float on either side as fmod."""
    if any(isinstance(o, exp.Cast) and o.to.this in (exp.DataType.Type.DOUBLE, exp.DataType.Type.FLOAT)
           for o in (node.this, node.expression)):
        return _fn("ch_fmod", node.this, node.expression)
    return node


def _mapped(args: list[exp.Expression]) -> exp.Expression:
    """f(x -> g, arr...) over arrayMap(x -> g, arr...); f(arr) over arr."""
    if isinstance(args[0], exp.Lambda):
        return _lambda_array(args, filter_=False)
    return args[0]


def _sort(descending: bool) -> Handler:
    def handler(args: list[exp.Expression], ctx: RewriteContext) -> exp.Expression:
        flag = exp.Boolean(this=descending)
        if isinstance(args[0], exp.Lambda):  # sorted by the lambda's values; the first array is sorted
            return _fn("ch_array_sort", args[1].copy(), _lambda_array(args, filter_=False), flag)
        return _fn("ch_array_sort", args[0], flag)
    return handler


def _partial_sort(descending: bool) -> Handler:
    """arrayPartialSort([f,] limit, arr...): the first ``limit`` elements in order, the others in an
    order ClickHouse leaves unspecified; all of them sorted is one such order."""
    sort = _sort(descending)

    def handler(args: list[exp.Expression], ctx: RewriteContext) -> exp.Expression:
        if len(args) < 2 + isinstance(args[0], exp.Lambda):
            raise ClickHouseError(42, "arrayPartialSort takes a limit and an array (after a lambda, if any)")
        if isinstance(args[0], exp.Lambda):
            return sort([args[0], *args[2:]], ctx)
        return sort(args[1:], ctx)
    return handler


def _rounding(kind: str) -> Handler:
    def handler(args: list[exp.Expression], ctx: RewriteContext) -> exp.Expression:
        if len(args) == 1 and kind not in ("round", "round_bankers"):
            return _fn(kind, args[0])
        return _fn(f"ch_{kind}", args[0], args[1] if len(args) > 1 else exp.Literal.number(0))
    return handler


def _bit_not(args: list[exp.Expression], ctx: RewriteContext) -> exp.Expression:
    parts = int_parts(hint_type(args[0])) or (True, 64)
    return _fn("ch_bit_not", args[0], exp.Literal.number(parts[1]), exp.Boolean(this=parts[0]))


def _start_of_week(args: list[exp.Expression]) -> exp.Expression:
    """toStartOfWeek(t[, mode]): the Sunday before (mode 0, the default) or the Monday (odd modes)."""
    t = _cast(args[0], "timestamp")
    mode = args[1] if len(args) > 1 else None
    if isinstance(mode, exp.Literal) and not mode.is_string and int(mode.this) % 2 == 1:
        return _pg("CAST(date_trunc('week', {t}) AS date)", t=t)
    return _pg("CAST(date_trunc('week', {t} + interval '1 day') - interval '1 day' AS date)", t=t)


def _count_distinct(args: list[exp.Expression]) -> exp.Expression:
    """uniq(x[, y...]): the distinct values, or distinct combinations of several arguments."""
    if len(args) > 1:
        return exp.Count(this=exp.Distinct(expressions=[exp.Tuple(expressions=args)]))
    return exp.Count(this=exp.Distinct(expressions=args))


def _array_concat(args: list[exp.Expression], ctx: RewriteContext) -> exp.Expression:
    out = args[0]
    for a in args[1:]:
        out = exp.DPipe(this=out, expression=a)
    return out


def _add(unit: str, sign: int = 1) -> Handler:
    def handler(args: list[exp.Expression], ctx: RewriteContext) -> exp.Expression:
        n = args[1] if sign > 0 else exp.Neg(this=exp.Paren(this=args[1]))
        return _fn("ch_add_interval", args[0], n, _lit(unit))
    return handler


_DATE_UNITS = ("second", "minute", "hour", "day", "week", "month", "quarter", "year")


FUNCTIONS: dict[str, Handler] = {
    **{f"add{u.title()}s": _add(u) for u in _DATE_UNITS},
    **{f"subtract{u.title()}s": _add(u, -1) for u in _DATE_UNITS},
    "match": lambda a, c: _fn("ch_match", a[0], a[1]),
    "extract": lambda a, c: _fn("ch_extract", a[0], a[1]),
    "replaceRegexpOne": lambda a, c: _fn("ch_replace_regexp_one", *a),
    "replaceRegexpAll": lambda a, c: _fn("ch_replace_regexp_all", *a),
    "substringUTF8": lambda a, c: _fn("substring", *a),
    "hex": lambda a, c: _fn("ch_hex", a[0]),
    "bin": lambda a, c: _fn("ch_bin", a[0]),
    "unhex": lambda a, c: _fn("ch_unhex", a[0]),
    "alphaTokens": lambda a, c: _fn("ch_alpha_tokens", a[0]),
    "arrayResize": lambda a, c: _fn("ch_array_resize", *a),
    "cbrt": lambda a, c: _fn("ch_cbrt", a[0]),
    "gcd": lambda a, c: _fn("ch_gcd", a[0], a[1]),
    "lcm": lambda a, c: _fn("ch_lcm", a[0], a[1]),
    "intExp2": lambda a, c: _pg("CAST(power(2, {x}) AS bigint)", x=a[0]),
    "intExp10": lambda a, c: _pg("CAST(power(10, {x}) AS bigint)", x=a[0]),
    "toRelativeDayNum": lambda a, c: _pg("(CAST({t} AS date) - DATE '1970-01-01')", t=a[0]),
    "toRelativeMonthNum": lambda a, c: _pg("CAST(extract(year FROM {t}) * 12 + extract(month FROM {t}) AS bigint)",
                                           t=_cast(a[0], "timestamp")),
    "toRelativeYearNum": lambda a, c: _pg("CAST(extract(year FROM {t}) AS bigint)", t=_cast(a[0], "timestamp")),
    "toRelativeHourNum": lambda a, c: _pg("CAST(floor(extract(epoch FROM {t}) / 3600) AS bigint)",
                                          t=_cast(a[0], "timestamp")),
    "toDayOfYear": lambda a, c: _pg("CAST(extract(doy FROM {t}) AS bigint)", t=_cast(a[0], "timestamp")),
    "toISOWeek": lambda a, c: _pg("CAST(extract(week FROM {t}) AS bigint)", t=_cast(a[0], "timestamp")),
    "toISOYear": lambda a, c: _pg("CAST(extract(isoyear FROM {t}) AS bigint)", t=_cast(a[0], "timestamp")),
    "toQuarter": lambda a, c: _pg("CAST(extract(quarter FROM {t}) AS bigint)", t=_cast(a[0], "timestamp")),
    "rowNumberInAllBlocks": lambda a, c: _pg("(row_number() OVER () - 1)"),
    "anyHeavy": lambda a, c: _fn("any_value", a[0]),
    "toStringCutToZero": lambda a, c: _fn("split_part", _fn("ch_to_string", a[0]), _lit("\0"), exp.Literal.number(1)),
    "appendTrailingCharIfAbsent": lambda a, c: _pg("CASE WHEN {s} = '' OR right({s}, 1) = {ch} THEN {s} "
                                                   "ELSE {s} || {ch} END", s=a[0], ch=a[1]),
    "erf": lambda a, c: _fn("ch_math", _lit("erf"), a[0]),
    "erfc": lambda a, c: _fn("ch_math", _lit("erfc"), a[0]),
    "lgamma": lambda a, c: _fn("ch_math", _lit("lgamma"), a[0]),
    "tgamma": lambda a, c: _fn("ch_math", _lit("gamma"), a[0]),
    "arraySort": _sort(False),
    "arrayReverseSort": _sort(True),
    "arrayPartialSort": _partial_sort(False),
    "arrayPartialReverseSort": _partial_sort(True),
    "arraySum": lambda a, c: _fn("ch_array_sum", _mapped(a)),
    "arrayMin": lambda a, c: _fn("ch_array_min", _mapped(a)),
    "arrayMax": lambda a, c: _fn("ch_array_max", _mapped(a)),
    "arrayAvg": lambda a, c: _fn("ch_array_avg", _mapped(a)),
    "arrayProduct": lambda a, c: _fn("ch_array_product", _mapped(a)),
    "arrayCumSum": lambda a, c: _fn("ch_array_cum_sum", _mapped(a)),
    "arrayDistinct": lambda a, c: _fn("ch_array_distinct", a[0]),
    "arraySlice": lambda a, c: _fn("ch_array_slice", *a),
    "arrayConcat": _array_concat,
    "arrayPopBack": lambda a, c: _fn("ch_array_pop_back", a[0]),
    "arrayPopFront": lambda a, c: _fn("ch_array_pop_front", a[0]),
    "arrayReduce": lambda a, c: _fn("ch_array_reduce", a[0], a[1]),
    "hasAny": lambda a, c: _fn("ch_has_any", a[0], a[1]),
    "hasAll": lambda a, c: _fn("ch_has_all", a[0], a[1]),
    "round": _rounding("round"),
    "roundBankers": _rounding("round_bankers"),
    "bitTestAll": lambda a, c: exp.Least(this=_fn("ch_bit_test", a[0], a[1]),
                                         expressions=[_fn("ch_bit_test", a[0].copy(), i) for i in a[2:]]),
    "bitTestAny": lambda a, c: exp.Greatest(this=_fn("ch_bit_test", a[0], a[1]),
                                            expressions=[_fn("ch_bit_test", a[0].copy(), i) for i in a[2:]]),
    "floor": _rounding("floor"),
    "ceil": _rounding("ceil"),
    "ceiling": _rounding("ceil"),
    "trunc": _rounding("trunc"),
    "truncate": _rounding("trunc"),
    "roundToExp2": lambda a, c: _fn("ch_round_to_exp2", a[0]),
    "isFinite": lambda a, c: _fn("ch_is_finite", a[0]),
    "isInfinite": lambda a, c: _pg("({x} = 'Infinity'::float8 OR {x} = '-Infinity'::float8)",
                                   x=_cast(a[0], "double precision")),
    "isNaN": lambda a, c: _pg("({x} = 'NaN'::float8)", x=_cast(a[0], "double precision")),
    "visibleWidth": lambda a, c: _fn("ch_visible_width", a[0]),
    "substring": lambda a, c: _fn("ch_substring", *a),
    "substr": lambda a, c: _fn("ch_substring", *a),
    "mid": lambda a, c: _fn("ch_substring", *a),
    "startsWith": lambda a, c: _pg("(left({s}, length({p})) = {p})", s=a[0], p=a[1]),
    "endsWith": lambda a, c: _pg("(right({s}, length({p})) = {p})", s=a[0], p=a[1]),
    "format": lambda a, c: _fn("ch_format", *a),
    "replaceOne": lambda a, c: _fn("ch_replace_one", *a),
    "bitAnd": lambda a, c: exp.BitwiseAnd(this=a[0], expression=a[1]),
    "bitOr": lambda a, c: exp.BitwiseOr(this=a[0], expression=a[1]),
    "bitXor": lambda a, c: exp.BitwiseXor(this=a[0], expression=a[1]),
    "bitNot": _bit_not,
    "bitShiftLeft": lambda a, c: _fn("ch_bit_shift_left", a[0], a[1]),
    "bitShiftRight": lambda a, c: _fn("ch_bit_shift_right", a[0], a[1]),
    "version": lambda a, c: _lit(VERSION),
    "timezone": lambda a, c: _lit(c.timezone),
    "serverTimezone": lambda a, c: _lit(c.timezone),
    "currentDatabase": lambda a, c: _lit(c.database),
    "database": lambda a, c: _lit(c.database),
    "currentUser": lambda a, c: _fn("current_user"),
    "hostName": lambda a, c: _lit("heliosdb"),
    "uptime": lambda a, c: _fn("ch_touint32", exp.Literal.number(int(time.monotonic() - _STARTED))),
    "now": lambda a, c: _now(c),
    "today": lambda a, c: _today(c),
    "yesterday": lambda a, c: _pg("{t} - 1", t=_today(c)),
    "toDate": lambda a, c: _fn("ch_to_date", a[0]),
    "toDate32": lambda a, c: _fn("ch_to_date", a[0]),
    "toDateTime": lambda a, c: _fn("ch_to_datetime", a[0]),
    "toDateTime64": lambda a, c: _fn("ch_to_datetime", a[0]),
    **{f"toInterval{u.title()}": _to_interval(u) for u in ("second", "minute", "hour", "day", "week", "month", "quarter",
                                                    "year")},
    "toStartOfInterval": _start_of_interval,
    "toStartOfMinute": lambda a, c: _pg("date_trunc('minute', {t})", t=_cast(a[0], "timestamp")),
    "toStartOfFiveMinutes": lambda a, c: _start_of_interval([a[0], sqlglot.parse_one("INTERVAL 5 MINUTE",
                                                                                     read="clickhouse")], c),
    "toStartOfWeek": lambda a, c: _start_of_week(a),
    "toStartOfYear": lambda a, c: _pg("CAST(date_trunc('year', {t}) AS date)", t=_cast(a[0], "timestamp")),
    "toStartOfQuarter": lambda a, c: _pg("CAST(date_trunc('quarter', {t}) AS date)", t=_cast(a[0], "timestamp")),
    "toMonday": lambda a, c: _pg("CAST(date_trunc('week', {t}) AS date)", t=_cast(a[0], "timestamp")),
    "toYYYYMM": lambda a, c: _pg("CAST(extract(year FROM {t}) * 100 + extract(month FROM {t}) AS bigint)",
                                 t=_cast(a[0], "timestamp")),
    "toYYYYMMDD": lambda a, c: _pg("CAST(extract(year FROM {t}) * 10000 + extract(month FROM {t}) * 100 + "
                                   "extract(day FROM {t}) AS bigint)", t=_cast(a[0], "timestamp")),
    "toYear": lambda a, c: _pg("CAST(extract(year FROM {t}) AS bigint)", t=_cast(a[0], "timestamp")),
    "toMonth": lambda a, c: _pg("CAST(extract(month FROM {t}) AS bigint)", t=_cast(a[0], "timestamp")),
    "toDayOfMonth": lambda a, c: _pg("CAST(extract(day FROM {t}) AS bigint)", t=_cast(a[0], "timestamp")),
    "toHour": lambda a, c: _pg("CAST(extract(hour FROM {t}) AS bigint)", t=_cast(a[0], "timestamp")),
    "toMinute": lambda a, c: _pg("CAST(extract(minute FROM {t}) AS bigint)", t=_cast(a[0], "timestamp")),
    "toSecond": lambda a, c: _pg("CAST(floor(extract(second FROM {t})) AS bigint)", t=_cast(a[0], "timestamp")),
    "toUnixTimestamp": lambda a, c: _pg("CAST(extract(epoch FROM {t}) AS bigint)", t=_cast(a[0], "timestamp")),
    "toString": lambda a, c: _fn("ch_to_string", a[0]),
    "tupleElement": lambda a, c: _tuple_element(a[0], a[1]),
    "materialize": lambda a, c: exp.Paren(this=a[0]) if isinstance(a[0], exp.Literal) else a[0],  # no longer
    # a literal as written (an index a[materialize(2)] is not shifted as a literal one is)
    "identity": lambda a, c: a[0],
    "assumeNotNull": lambda a, c: a[0],
    "toNullable": lambda a, c: a[0],
    "ignore": lambda a, c: exp.Literal.number(0),
    "exp2": lambda a, c: _fn("power", exp.Literal.number(2), a[0]),
    "exp10": lambda a, c: _fn("power", exp.Literal.number(10), a[0]),
    "log2": lambda a, c: _fn("ch_log2", a[0]),
    "log1p": lambda a, c: _fn("ch_log1p", a[0]),
    "hypot": lambda a, c: _fn("ch_hypot", a[0], a[1]),
    "greatCircleDistance": lambda a, c: _fn("ch_great_circle_distance", *_exactly(4, "greatCircleDistance", a)),
    "greatCircleAngle": lambda a, c: _fn("ch_great_circle_angle", *_exactly(4, "greatCircleAngle", a)),
    "e": lambda a, c: _fn("exp", exp.Literal.number(1)),
    "arrayExists": lambda a, c: _lambda_scalar(a, "exists"),
    "arrayAll": lambda a, c: _lambda_scalar(a, "all"),
    "arrayCount": lambda a, c: _lambda_scalar(a, "count"),
    "arrayFirst": lambda a, c: _lambda_scalar(a, "first"),
    "arrayFirstIndex": lambda a, c: _lambda_scalar(a, "first_index"),
    "arrayLast": lambda a, c: _lambda_scalar(a, "last"),
    "arrayLastIndex": lambda a, c: _lambda_scalar(a, "last_index"),
    "toFloat64OrZero": lambda a, c: _fn("ch_to_float_or", a[0], exp.Boolean(this=True)),
    "toFloat32OrZero": lambda a, c: _fn("ch_to_float_or", a[0], exp.Boolean(this=True)),
    "toFloat64OrNull": lambda a, c: _fn("ch_to_float_or", a[0], exp.Boolean(this=False)),
    "toFloat32OrNull": lambda a, c: _fn("ch_to_float_or", a[0], exp.Boolean(this=False)),
    "toTypeName": lambda a, c: _lit(hint) if (hint := hint_type(a[0])) else _fn("ch_type_name", a[0]),
    "toFixedString": lambda a, c: _fn("ch_to_fixed_string", a[0], a[1]),
    "toFloat64": lambda a, c: _cast(a[0], "double precision"),
    "toFloat32": lambda a, c: _cast(a[0], "real"),
    "toDecimal32": _decimal(9), "toDecimal64": _decimal(18), "toDecimal128": _decimal(38),
    "toUUID": lambda a, c: _cast(a[0], "uuid"),
    "intDiv": lambda a, c: _fn("ch_int_div", a[0], a[1]),
    "intDivOrZero": lambda a, c: _int_div_or_zero(a),
    "divide": lambda a, c: _fn("ch_divide", a[0], a[1]),
    "plus": lambda a, c: exp.Add(this=a[0], expression=a[1]),
    "minus": lambda a, c: exp.Sub(this=a[0], expression=a[1]),
    "multiply": lambda a, c: exp.Mul(this=a[0], expression=a[1]),
    "modulo": lambda a, c: _modulo(exp.Mod(this=a[0], expression=a[1])),
    "negate": lambda a, c: exp.Neg(this=a[0]),
    "equals": lambda a, c: exp.EQ(this=a[0], expression=a[1]),
    "notEquals": lambda a, c: exp.NEQ(this=a[0], expression=a[1]),
    "less": lambda a, c: exp.LT(this=a[0], expression=a[1]),
    "greater": lambda a, c: exp.GT(this=a[0], expression=a[1]),
    "lessOrEquals": lambda a, c: exp.LTE(this=a[0], expression=a[1]),
    "greaterOrEquals": lambda a, c: exp.GTE(this=a[0], expression=a[1]),
    "multiIf": _multi_if,
    "transform": _transform,
    "isNull": lambda a, c: exp.Is(this=a[0], expression=exp.Null()),
    "isNotNull": lambda a, c: exp.Not(this=exp.Is(this=a[0], expression=exp.Null())),
    "ifNull": lambda a, c: exp.Coalesce(this=a[0], expressions=[a[1]]),
    "empty": lambda a, c: _fn("ch_empty", a[0]),
    "notEmpty": lambda a, c: _fn("ch_not_empty", a[0]),
    "arrayEnumerate": lambda a, c: _fn("ch_array_enumerate", a[0]),
    "arrayEnumerateUniq": lambda a, c: _fn("ch_array_enumerate_uniq", *a),
    "intHash32": lambda a, c: _fn("ch_int_hash32", a[0]),
    "intHash64": lambda a, c: _fn("ch_int_hash64", a[0]),
    "cityHash64": lambda a, c: _fn("ch_city_hash64", _lit(""), *a),  # types unknown: from the values
    "hasColumnInTable": lambda a, c: _has_column_in_table(a, c),
    "throwIf": lambda a, c: _fn("ch_throw_if", condition(a[0]), *a[1:]),
    "arrayUniq": lambda a, c: _fn("ch_array_uniq", *a),
    "emptyArrayToSingle": lambda a, c: _fn("ch_empty_array_to_single", a[0]),
    "arrayWithConstant": lambda a, c: _fn("ch_array_with_constant", a[0], a[1]),
    "arrayEnumerateDense": lambda a, c: _fn("ch_array_enumerate_dense", a[0]),
    "arrayCompact": lambda a, c: _fn("ch_array_compact", a[0]),
    "arrayIntersect": lambda a, c: _fn("ch_array_intersect", *a),
    "sleep": lambda a, c: _pg("CASE WHEN pg_sleep({s}) IS NULL THEN 0 ELSE 0 END", s=a[0]),
    "sleepEachRow": lambda a, c: _pg("CASE WHEN pg_sleep({s}) IS NULL THEN 0 ELSE 0 END", s=a[0]),
    "rand64": lambda a, c: _pg("CAST(floor(random() * 18446744073709551615) AS numeric(20,0))"),
    "rand32": lambda a, c: _pg("CAST(floor(random() * 4294967296) AS bigint)"),
    "arrayDifference": lambda a, c: _fn("ch_array_difference", a[0]),
    "countSubstrings": lambda a, c: _fn("ch_count_substrings", a[0], a[1]),
    "splitByWhitespace": lambda a, c: _fn("ch_split_by_whitespace", a[0]),
    "base64Encode": lambda a, c: _fn("ch_base64_encode", a[0]),
    "base64Decode": lambda a, c: _fn("ch_base64_decode", a[0]),
    "bitCount": lambda a, c: _fn("ch_bit_count", a[0]),
    "bitTest": lambda a, c: _fn("ch_bit_test", a[0], a[1]),
    "concatWithSeparator": lambda a, c: _fn("concat_ws", *a),
    "indexOf": lambda a, c: _fn("ch_index_of", a[0], a[1]),
    "countEqual": lambda a, c: _fn("ch_count_equal", a[0], a[1]),
    "range": lambda a, c: _fn("ch_range", *a),
    "replicate": lambda a, c: _fn("ch_replicate", a[0], a[1]),
    "reinterpretAsString": lambda a, c: _fn("ch_reinterpret_as_string", a[0]),
    "extractURLParameters": lambda a, c: _fn("ch_extract_url_parameters", a[0]),
    "extractURLParameterNames": lambda a, c: _fn("ch_extract_url_parameter_names", a[0]),
    "extractURLParameter": lambda a, c: _fn("ch_extract_url_parameter", a[0], a[1]),
    "cutURLParameter": lambda a, c: _fn("ch_cut_url_parameter", a[0], a[1]),
    "IPv4NumToString": lambda a, c: _fn("ch_ipv4_num_to_string", a[0]),
    "domain": lambda a, c: _fn("ch_domain", a[0]),
    "domainWithoutWWW": lambda a, c: _fn("ch_domain_without_www", a[0]),
    "topLevelDomain": lambda a, c: _fn("ch_top_level_domain", a[0]),
    "firstSignificantSubdomain": lambda a, c: _fn("ch_first_significant_subdomain", a[0]),
    "cutToFirstSignificantSubdomain": lambda a, c: _fn("ch_cut_to_first_significant_subdomain", a[0]),
    "cutToFirstSignificantSubdomainWithWWW": lambda a, c: _fn("ch_cut_to_first_significant_subdomain_with_www",
                                                               a[0]),
    "URLHierarchy": lambda a, c: _fn("ch_url_hierarchy", a[0]),
    "URLPathHierarchy": lambda a, c: _fn("ch_url_path_hierarchy", a[0]),
    "URLHash": lambda a, c: _fn("ch_url_hash", *a[:2]),
    "IPv4NumToStringClassC": lambda a, c: _fn("ch_ipv4_num_to_string_class_c", a[0]),
    "IPv4StringToNum": lambda a, c: _fn("ch_ipv4_string_to_num", a[0]),
    **{f"reinterpretAs{t}": _reinterpret(t) for t in ("UInt8", "UInt16", "UInt32", "UInt64", "Int8", "Int16",
                                                            "Int32", "Int64", "Float32", "Float64")},
    "arrayElement": lambda a, c: _fn("ch_array_element", a[0], a[1]),
    "replaceAll": lambda a, c: _fn("replace", *a),
    "arrayStringConcat": lambda a, c: _fn("array_to_string", a[0], a[1] if len(a) > 1 else _lit("")),
    "lowerUTF8": lambda a, c: _fn("lower", a[0]),
    "positionCaseInsensitive": _position("ci"),
    "positionCaseInsensitiveUTF8": _position("ciutf8"),
    "positionUTF8": _position("utf8"),
    "formatReadableSize": lambda a, c: _fn("ch_format_readable_size", a[0]),
    "FORMAT_BYTES": lambda a, c: _fn("ch_format_readable_size", a[0]),
    "formatReadableDecimalSize": lambda a, c: _fn("ch_format_readable_decimal_size", a[0]),
    "formatReadableQuantity": lambda a, c: _fn("ch_format_readable_quantity", a[0]),
    "reverse": lambda a, c: _fn("ch_reverse", a[0]),
    "reverseUTF8": lambda a, c: _fn("ch_reverse", a[0]),
    "toDayOfWeek": lambda a, c: _cast(_pg("extract(isodow FROM {d})", d=a[0]), "smallint"),
    "arrayPushBack": lambda a, c: _pg("{a} || ARRAY[{x}]", a=a[0], x=a[1]),
    "arrayPushFront": lambda a, c: _pg("ARRAY[{x}] || {a}", a=a[0], x=a[1]),
    "upperUTF8": lambda a, c: _fn("upper", a[0]),
    "lengthUTF8": lambda a, c: _fn("char_length", a[0]),
    "generateUUIDv4": lambda a, c: _fn("gen_random_uuid"),
    "uniq": lambda a, c: _count_distinct(a),
    "countDistinct": lambda a, c: exp.Count(this=exp.Distinct(expressions=a)),
    "uniqHLL12": lambda a, c: exp.Count(this=exp.Distinct(expressions=a)),
    "uniqCombined64": lambda a, c: exp.Count(this=exp.Distinct(expressions=a)),
    "arrayReverse": lambda a, c: _pg("ARRAY(SELECT _v FROM unnest({a}) WITH ORDINALITY AS _r(_v, _n) ORDER BY _n DESC)",
                                     a=a[0]),
    "uniqExact": lambda a, c: _count_distinct(a),
    "uniqCombined": lambda a, c: exp.Count(this=exp.Distinct(expressions=a)),
    "groupArray": lambda a, c: exp.Filter(this=_fn("array_agg", a[0]), expression=exp.Where(
        this=exp.Not(this=exp.Is(this=a[0].copy(), expression=exp.Null())))),
    "groupUniqArray": lambda a, c: exp.Filter(this=_fn("array_agg", exp.Distinct(expressions=[a[0]])),
                                              expression=exp.Where(this=exp.Not(this=exp.Is(
                                                  this=a[0].copy(), expression=exp.Null())))),
    "any": lambda a, c: _fn("any_value", a[0]),
    "anyLast": lambda a, c: _fn("ch_array_last", exp.Filter(this=_fn("array_agg", a[0]), expression=exp.Where(
        this=exp.Not(this=exp.Is(this=a[0].copy(), expression=exp.Null()))))),
    "argMin": lambda a, c: _pg("ch_array_first(array_agg({x} ORDER BY {y}) FILTER (WHERE {y} IS NOT NULL))",
                               x=a[0], y=a[1]),
    "argMax": lambda a, c: _pg("ch_array_first(array_agg({x} ORDER BY {y} DESC) FILTER (WHERE {y} IS NOT NULL))",
                               x=a[0], y=a[1]),
    "median": lambda a, c: _pg("percentile_cont(0.5) WITHIN GROUP (ORDER BY {x})", x=a[0]),
    "medianTiming": lambda a, c: _timing("quantiletiming", [], a),
    "quantileTiming": lambda a, c: _timing("quantiletiming", [], a),  # without a level: the median
    "quantileTimingWeighted": lambda a, c: _timing("quantiletimingweighted", [], a),
    "medianTimingWeighted": lambda a, c: _timing("quantiletimingweighted", [], a),
    "sumArray": lambda a, c: _fn("sum", _fn("ch_array_sum", a[0])),
    # the -Array combinator over the arrays' elements: each row's arrays reduced first, then the rows
    "minArray": lambda a, c: _fn("min", _fn("ch_array_min", a[0])),
    "maxArray": lambda a, c: _fn("max", _fn("ch_array_max", a[0])),
    "countArray": lambda a, c: _fn("coalesce", _fn("sum", _fn("ch_length", a[0])), exp.Literal.number(0)),
    "avgArray": lambda a, c: _fn("ch_divide", _fn("sum", _fn("ch_array_sum", a[0])),
                                 _fn("sum", _fn("ch_length", a[0].copy()))),
    "argMinArray": lambda a, c: _HANDLERS["argmin"]([_fn("ch_array_arg_min", a[0], a[1]),
                                                     _fn("ch_array_min", a[1].copy())], c),
    "argMaxArray": lambda a, c: _HANDLERS["argmax"]([_fn("ch_array_arg_max", a[0], a[1]),
                                                     _fn("ch_array_max", a[1].copy())], c),
    **{name: _moments(name.lower()) for name in ("varSamp", "varPop", "stddevSamp", "stddevPop", "skewSamp",
                                                 "skewPop", "kurtSamp", "kurtPop", "varSampStable", "varPopStable",
                                                 "stddevSampStable", "stddevPopStable")},
    **{f"{name}{stable}": _filled_when_null(sql_name, "Infinity" if stable else "NaN") for name, sql_name in (
        ("covarPop", "covar_pop"), ("covarSamp", "covar_samp"), ("corr", "corr")) for stable in ("", "Stable")},
    "countIf": _if_aggregate("count"),
}
for _name in ("sum", "avg", "min", "max", "uniq", "uniqExact", "any", "anyLast", "groupArray", "argMin", "argMax",
              "sumArray", "groupUniqArray"):
    FUNCTIONS.setdefault(f"{_name}If", _if_aggregate(_name.lower()))
# the handlers by their names in lower case: ClickHouse's names are looked up whatever their case here
_HANDLERS: dict[str, Handler] = {name.lower(): handler for name, handler in FUNCTIONS.items()}

# the weighted quantiles by name (quantiles... as quantile...): the function that computes one level
_WEIGHTED_QUANTILES = {"quantileexactweighted": "ch_quantile_exact_weighted",
                       "quantileinterpolatedweighted": "ch_quantile_interpolated_weighted",
                       "quantileexactweightedinterpolated": "ch_quantile_exact_weighted_interpolated"}
_TIMING = {"quantiletiming", "quantilestiming", "quantiletimingweighted", "quantilestimingweighted"}
# aggregates that take parameters, as ClickHouse spells them: quantile(0.9)(x), topK(5)(x)...
PARAMETERIZED_NAMES = ("groupArray", "groupUniqArray", "quantile", "quantiles", "quantileExact", "quantilesExact",
                       "topK", "quantileTDigest", "quantileExactLow", "quantileExactHigh", "quantileTiming",
                       "quantilesTiming", "quantileTimingWeighted", "quantilesTimingWeighted", "uniqCombined",
                       "uniqCombined64", "uniqUpTo", "quantileExactWeighted", "quantilesExactWeighted",
                       "quantileInterpolatedWeighted", "quantilesInterpolatedWeighted",
                       "quantileExactWeightedInterpolated", "quantilesExactWeightedInterpolated",
                       "quantileDeterministic", "quantilesDeterministic", "groupArraySorted", "sequenceMatch",
                       "sequenceCount", "sequenceMatchEvents")
_PARAMETERIZED = {name.lower() for name in PARAMETERIZED_NAMES}


def _timing(name: str, params: list[exp.Expression], args: list[exp.Expression]) -> exp.Expression:
    """quantileTiming(p)(x), quantilesTiming(p, ...)(x) and their Weighted forms (timing_quantiles)."""
    weights = _pg("array_agg({w})", w=args[1]) if name.endswith("weighted") and len(args) > 1 else \
        _pg("CAST(NULL AS bigint[])")
    values = _pg("array_agg({x})", x=args[0])
    if name.startswith("quantiles"):
        return _fn("ch_quantiles_timing", values, weights, exp.Array(expressions=[p.copy() for p in params]))
    return _fn("ch_quantile_timing", values, weights, params[0] if params else exp.Literal.number("0.5"))


def _parameterized_if(name: str, params: list[exp.Expression], args: list[exp.Expression]) -> exp.Expression:
    """quantileIf(x, cond), quantileExactIf, quantilesIf(p...)(x, cond)...: the aggregate over the rows
    passing the condition (the others made NULL, which it skips); of no rows quantile is nan, as
    ClickHouse's (quantileExact gives its type's default itself)."""
    *values, cond = args
    kept = [exp.Case().when(condition(cond.copy()), v) for v in values]
    out = _parameterized(name, params, kept)
    if name in ("quantile", "quantiletdigest", "median"):
        return exp.Coalesce(this=out, expressions=[_pg("'NaN'::float8")])
    return out


def _parameterized(name: str, params: list[exp.Expression], args: list[exp.Expression]) -> exp.Expression:
    if name.endswith("if") and name[:-2] in _PARAMETERIZED:
        return _parameterized_if(name[:-2], params, args)
    x = args[0]
    if name in _TIMING:
        return _timing(name, params, args)
    if name in ("quantile", "quantiletdigest"):
        level = params[0] if params else exp.Literal.number("0.5")
        return _pg("percentile_cont({p}) WITHIN GROUP (ORDER BY {x})", p=level, x=x)
    if name == "quantiles":
        return exp.Array(expressions=[_pg("percentile_cont({p}) WITHIN GROUP (ORDER BY {x})", p=p, x=x)
                                      for p in params])
    if name in ("quantileexact", "quantileexactlow", "quantileexacthigh"):
        level = params[0] if params else exp.Literal.number("0.5")
        return _pg("ch_quantile_exact(array_agg({x}), {p})", p=level, x=x)
    if name == "quantilesexact":
        return exp.Array(expressions=[_pg("ch_quantile_exact(array_agg({x}), {p})", p=p, x=x) for p in params])
    weighted = _WEIGHTED_QUANTILES.get(name[:8] + name[9:] if name.startswith("quantiles") else name)
    if weighted is not None:  # quantileExactWeighted(p)(x, w) and kin (sql_functions.weighted_quantile)
        if len(args) != 2:
            raise ClickHouseError(42, f"Aggregate function {name} takes two arguments: the value and its weight")
        values, weights = _pg("array_agg({x})", x=x), _pg("array_agg({w})", w=args[1])
        levels = params or [exp.Literal.number("0.5")]
        calls = [_fn(weighted, values.copy(), weights.copy(), p.copy()) for p in levels]
        return exp.Array(expressions=calls) if name.startswith("quantiles") else calls[0]
    if name in ("quantiledeterministic", "quantilesdeterministic"):  # (x, determinator)
        if len(args) != 2:
            raise ClickHouseError(42, f"Aggregate function {name} takes two arguments: the value and a determinator")
        calls = [_fn("ch_quantile_deterministic", _pg("array_agg({x})", x=x), p.copy())
                 for p in params or [exp.Literal.number("0.5")]]
        return exp.Array(expressions=calls) if name.startswith("quantiles") else calls[0]
    if name == "grouparraysorted":  # groupArraySorted(N)(x): the N least values, ascending
        if not params:
            raise ClickHouseError(42, "Aggregate function groupArraySorted needs its size: groupArraySorted(N)(x)")
        return _pg("ch_array_slice(array_agg({x} ORDER BY {x}) FILTER (WHERE {x} IS NOT NULL), 1, {n})",
                   x=x, n=params[0])
    if name == "grouparray" and params:  # groupArray(N)(x): the first N values
        return _fn("ch_array_slice", _HANDLERS["grouparray"]([x], RewriteContext()), exp.Literal.number(1), params[0])
    if name == "groupuniqarray" and params:  # groupUniqArray(N)(x): at most N different values
        return _fn("ch_array_slice", _HANDLERS["groupuniqarray"]([x], RewriteContext()), exp.Literal.number(1),
                   params[0])
    if name in ("uniqcombined", "uniqcombined64"):  # uniqCombined(precision)(x, ...): counted exactly here,
        return _count_distinct(args)  # as ClickHouse's is up to the thousands its precision keeps exact
    if name == "uniqupto":  # uniqUpTo(N)(x, ...): the number of different values when at most N, else N + 1
        limit = exp.Add(this=params[0].copy(), expression=exp.Literal.number(1)) if params else exp.Literal.number(2)
        return exp.Least(this=_count_distinct(args), expressions=[limit])
    if name in ("sequencematch", "sequencecount", "sequencematchevents"):
        return _sequence(name, params, args)
    if name == "topk":
        k = params[0] if params else exp.Literal.number(10)
        return _pg("ch_top_k(array_agg({x}), {k})", k=k, x=x)
    raise ClickHouseError(46, f"Unknown aggregate function {name}")


def _sequence(name: str, params: list[exp.Expression], args: list[exp.Expression]) -> exp.Expression:
    """sequenceMatch/Count/MatchEvents(pattern)(time, c1, ...): the group's times and, per row, a mask of the
    conditions it holds, to sequence_match."""
    if len(params) != 1 or not (isinstance(params[0], exp.Literal) and params[0].is_string):
        raise ClickHouseError(42, f"Aggregate function {name} requires exactly one parameter: a pattern string")
    if len(args) < 3:
        raise ClickHouseError(35, f"Aggregate function {name} requires at least 3 arguments: a time and 2 conditions")
    if len(args) > 33:
        raise ClickHouseError(34, f"Aggregate function {name} takes at most 32 conditions")
    mask = " + ".join(f"CASE WHEN {{c{i}}} THEN {1 << i} ELSE 0 END" for i in range(len(args) - 1))
    masks = _pg(f"array_agg(CAST({mask} AS bigint))", **{f"c{i}": condition(c) for i, c in enumerate(args[1:])})
    times = _pg("array_agg({t})", t=args[0])
    kind = {"sequencematch": "match", "sequencecount": "count"}.get(name, "events")
    function = "ch_sequence_events" if kind == "events" else "ch_sequence"
    return _fn(function, _lit(kind), params[0].copy(), exp.Literal.number(len(args) - 1), times, masks)


def _call(node: exp.Expression) -> tuple[str, list[exp.Expression]] | None:
    """(ClickHouse name lower-cased, arguments) of a call sqlglot kept generic."""
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower(), list(node.expressions)
    if isinstance(node, exp.AnonymousAggFunc | exp.CombinedAggFunc):
        return str(node.this).lower(), list(node.expressions)
    return None


def condition(node: exp.Expression) -> exp.Expression:
    """A ClickHouse condition (any number: non-zero is true) as a boolean expression."""
    if isinstance(node, exp.Literal) and not node.is_string:
        return exp.Boolean(this=float(node.this) != 0)
    if isinstance(node, exp.Paren):
        return exp.Paren(this=condition(node.this))
    if isinstance(node, _BOOLEAN_SHAPED) or isinstance(node, exp.Anonymous) and \
            str(node.this).lower() in _BOOLEAN_FUNCTIONS:
        return node
    return _fn("ch_bool", node)  # a number (or a Bool column): true when not zero


_BOOLEAN_SHAPED = (exp.Predicate, exp.Connector, exp.Not, exp.Boolean, exp.Exists, exp.Null)
# the shared library's boolean functions and ours (ClickHouse's UInt8 conditions)
_BOOLEAN_FUNCTIONS = {"starts_with", "isfinite", "isnan", "isinf"} | {
    f.name for f in (*sql_functions.FUNCTIONS, *array_functions.FUNCTIONS) if f.return_type == "boolean"}


_COMPARISONS = (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)
_ARITHMETIC = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.IntDiv, exp.Mod)
_NUMBER_AGGREGATES = (exp.Min, exp.Max, exp.AnyValue, exp.Sum, exp.Avg)


def _is_condition(node: exp.Expression | None) -> bool:
    """An expression the kernel types boolean (ClickHouse's UInt8 0/1)."""
    while isinstance(node, exp.Paren):
        node = node.this
    if node is None or isinstance(node, exp.Null):
        return False
    return isinstance(node, _BOOLEAN_SHAPED) or isinstance(node, exp.Anonymous) and \
        str(node.this).lower() in _BOOLEAN_FUNCTIONS


_EXACT = "ch_exact_integer"


def _past_bigint(node: exp.Expression) -> bool:
    for literal in node.find_all(exp.Literal, exp.HexString):
        text = literal.this
        try:
            value = int(text, 16) if isinstance(literal, exp.HexString) else \
                int(text, 10 if text.isdigit() else 0) if not literal.is_string else 0
        except ValueError:
            continue
        if value > 9223372036854775807:
            return True
    return False


def _mark_exact_integers(tree: exp.Expression, past_bigint_only: bool = False) -> None:
    """Mark + - * of (U)Int64 type (read before the operands are rewritten): their operands are
    computed as numeric, so a result past bigint's range wraps around 2^64 as ClickHouse's does
    (exact sums and products wrapped at the end equal wrapping at each step; where another
    operation reads one, it is wrapped there). ``past_bigint_only``: only those over a constant
    past bigint's range."""
    for node in tree.find_all(exp.Add, exp.Sub, exp.Mul):
        if past_bigint_only and not _past_bigint(node):
            continue
        parts = int_parts(hint_type(node, node.find_ancestor(exp.Select)))
        if parts is None and past_bigint_only:  # a UInt64 constant with operands of no known type
            parts = (False, 64)
        if parts is not None and parts[1] == 64:
            node.meta[_EXACT] = "signed" if parts[0] else "unsigned"
        elif parts is not None and not past_bigint_only:
            # narrower: ClickHouse's result type is wide enough (UInt32 * UInt32 is a UInt64), the
            # kernel's integer of the operands' width is not: exact, nothing to wrap
            node.meta[_EXACT] = "wide"


def _wrapped_here(node: exp.Expression) -> bool:
    """An exact (U)Int64 + - * whose value something other than another such operation or the
    output reads (``x * y % 131``, ``f(x * y)``): wrapped around 2^64 there, as the output is."""
    parent = node.parent
    while isinstance(parent, exp.Paren):
        parent = parent.parent
    return parent is not None and not parent.meta.get(_EXACT) and not isinstance(parent, exp.Alias | exp.Select)


def _wrap_64(node: exp.Expression, signed: bool) -> exp.Expression:
    if signed:
        return _cast(_pg("mod(mod({x} + 9223372036854775808, 18446744073709551616) + 18446744073709551616, "
                         "18446744073709551616) - 9223372036854775808", x=node), "bigint")
    return _cast(_pg("mod(mod({x}, 18446744073709551616) + 18446744073709551616, 18446744073709551616)", x=node),
                 "numeric(20,0)")


def _conditions_as_numbers(node: exp.Expression) -> None:
    """A condition is a UInt8 0/1 in ClickHouse: compared with or added to a number
    (``isFinite(x) = 1``, ``(a < b) + 1``) or aggregated (``sum(a = b)``, ``min(a < b)``)."""
    if isinstance(node, _COMPARISONS):
        if _is_condition(node.this) != _is_condition(node.expression):
            side = "this" if _is_condition(node.this) else "expression"
            node.set(side, _cast(node.args[side], "int"))
    elif isinstance(node, _ARITHMETIC):
        for side in ("this", "expression"):
            if _is_condition(node.args.get(side)):
                node.set(side, _cast(node.args[side], "int"))
    elif isinstance(node, (*_NUMBER_AGGREGATES, exp.Neg, exp.Abs, exp.Sqrt, exp.Exp, exp.Ln)) and \
            _is_condition(node.this):  # sum(a = b), -(a = b)
        node.set("this", _cast(node.this, "int"))
    elif isinstance(node, exp.Pow):
        for side in ("this", "expression"):
            if _is_condition(node.args.get(side)):
                node.set(side, _cast(node.args[side], "int"))
    elif isinstance(node, exp.Anonymous) and str(node.this).lower() in _NUMERIC_CALLS:  # exp2(a != b)
        node.set("expressions", [_cast(a, "int") if _is_condition(a) else a for a in node.expressions])


# math the kernel has no boolean form of: a condition goes in as the number ClickHouse reads it as
_NUMERIC_CALLS = {"power", "pow", "abs", "exp", "exp2", "exp10", "ln", "sqrt", "sign", "log", "log2", "log10", "cbrt"}


def _tuple_cast(node: exp.Cast, ctx: RewriteContext) -> exp.Expression:
    """CAST((a, b) AS Tuple(T1, T2)): each element cast to its type; a tuple the statement does not
    spell out (a column, a string) is refused, tables having no Tuple columns to cast from."""
    items = _tuple_items(node.this)
    targets = node.to.expressions
    if items is None and targets and _is_text(node.this):  # '(1,\'a\')': the text of a tuple, read
        items = [_fn("ch_tuple_field", node.this.copy(), exp.Literal.number(i), exp.Literal.number(len(targets)))
                 for i in range(1, len(targets) + 1)]
    if items is None or len(items) != len(targets):
        raise ClickHouseError(48, f"CAST to {node.to.sql(dialect='clickhouse')} of anything but a tuple of as "
                                  "many elements is not supported")
    casts = []
    for item, target in zip(items, targets, strict=True):
        kind = target.args.get("kind") if isinstance(target, exp.ColumnDef) else target
        casts.append(_rewrite_node(exp.Cast(this=item, to=kind.copy()), ctx))
    return exp.Tuple(expressions=casts)


def _tuple_items(node: exp.Expression) -> list[exp.Expression] | None:
    if isinstance(node, exp.Tuple):
        return list(node.expressions)
    if isinstance(node, exp.Anonymous) and str(node.this).lower() == "tuple":
        return list(node.expressions)
    return None


def _null_tuple_comparison(node: exp.Expression) -> bool:
    """A comparison of tuples with a NULL element: NULL in ClickHouse, whatever the other elements
    (SQL's row comparison would decide on them)."""
    if not isinstance(node, _COMPARISONS):
        return False
    left, right = _tuple_items(node.this), _tuple_items(node.expression)
    return left is not None and right is not None and any(isinstance(e, exp.Null) for e in left + right)


def _inner_query(select: exp.Select) -> bool:
    """A SELECT whose rows another query reads (a subquery, a CTE, a part of either's UNION)."""
    parent = select.parent
    while isinstance(parent, exp.SetOperation):
        parent = parent.parent
    return isinstance(parent, exp.Subquery | exp.CTE | exp.Array)


def _conditions_as_columns(select: exp.Select) -> None:
    """A condition a subquery outputs is a UInt8 column to the query reading it (``sum(x)`` of
    ``number IN (...) AS x``): SQL's boolean is cast to the integer ClickHouse has."""
    for item in select.expressions:
        if isinstance(item, exp.Alias) and _is_condition(item.this) and not isinstance(item.this, exp.Null):
            item.set("this", _cast(item.this, "int"))


def _in_without_list(node: exp.In) -> None:
    """``x IN y`` without parentheses: a tuple's elements, a table's rows (``x IN t``), else the one value."""
    field = node.args.pop("field")
    while isinstance(field, exp.Paren):
        field = field.this
    items = _tuple_items(field)
    if items is not None:
        node.set("expressions", items)
    elif isinstance(field, exp.Column) and not isinstance(field.this, exp.Star):
        table = exp.Table(this=field.this.copy(), db=exp.to_identifier(field.table) if field.table else None)
        node.set("query", exp.Subquery(this=exp.select("*").from_(table)))
    else:
        node.set("expressions", [field])


def _exactly(count: int, name: str, args: list[exp.Expression]) -> list[exp.Expression]:
    if len(args) != count:
        raise ClickHouseError(42, f"Number of arguments for function {name} doesn't match: passed {len(args)}, "
                                  f"should be {count}")
    return args


def _empty_array(node: exp.Expression) -> bool:
    return isinstance(node, exp.Array) and not node.expressions


def _empty_array_comparisons(tree: exp.Expression) -> None:
    """``[] = arr`` (``!=``): whether arr is empty, whatever arr's element type (``[]`` alone has none)."""
    for node in list(tree.find_all(exp.EQ, exp.NEQ)):
        if _empty_array(node.this) == _empty_array(node.expression):
            continue
        other = node.expression if _empty_array(node.this) else node.this
        node.replace((exp.EQ if isinstance(node, exp.EQ) else exp.NEQ)(
            this=exp.Length(this=other), expression=exp.Literal.number(0)))


def _rewrite_node(node: exp.Expression, ctx: RewriteContext) -> exp.Expression:
    if isinstance(node, exp.In) and node.args.get("field") is not None:
        _in_without_list(node)
    if isinstance(node, exp.Select) and _inner_query(node):
        _conditions_as_columns(node)
    if isinstance(node, exp.Interval) and node.this is not None and not isinstance(node.this, exp.Literal) and \
            node.args.get("unit") is not None:  # INTERVAL number DAY: so many units
        return _interval_of(node.this, node.args["unit"].name)
    if isinstance(node, exp.Corr) and not isinstance(node.parent, exp.Coalesce):  # corr(x, y) of too few rows: nan
        return exp.Coalesce(this=node, expressions=[_pg("'NaN'::float8")])
    if _null_tuple_comparison(node):
        return _cast(exp.Null(), "boolean")
    if isinstance(node, exp.In) and isinstance(node.this, exp.Tuple) and node.expressions and \
            len(node.expressions) == len(node.this.expressions) and \
            not all(isinstance(e, exp.Tuple) and len(e.expressions) == len(node.this.expressions)
                    for e in node.expressions):
        # (a, b) IN (1, 2), (a, t) IN (3, (2, 3)): the right side is no list of pairs but one
        # tuple, as ClickHouse reads it
        node.set("expressions", [exp.Tuple(expressions=list(node.expressions))])
    if isinstance(node, exp.Add | exp.Sub | exp.Mul) and node.meta.get(_EXACT):
        kind = node.meta.pop(_EXACT)
        exact = type(node)(this=_cast(node.this, "numeric"), expression=_cast(node.expression, "numeric"))
        if kind == "wide":
            return exact
        return _wrap_64(exp.Paren(this=exact), kind == "signed") if _wrapped_here(node) else exact
    _conditions_as_numbers(node)
    if isinstance(node, exp.Sum) and not isinstance(node.parent, exp.Coalesce | exp.Filter | exp.Window):
        return exp.Coalesce(this=node, expressions=[exp.Literal.number(0)])  # ClickHouse: the sum of nothing is 0

    if isinstance(node, exp.Count) and node.this is None and not node.expressions:
        return exp.Count(this=exp.Star())
    if isinstance(node, exp.Literal) and not node.is_string and any(ch in node.this for ch in ".eE") and \
            not node.this.lower().startswith("0x"):
        return _cast(node, "double precision")
    if isinstance(node, exp.Column) and not node.table and node.name.lower() in ("inf", "infinity", "nan") and \
            not isinstance(node.parent, exp.Lambda):
        return _cast(_lit("Infinity" if node.name.lower() != "nan" else "NaN"), "double precision")
    if isinstance(node, exp.Column) and isinstance(node.this, exp.Literal) and node.table:  # x.1
        return exp.Dot(this=exp.Paren(this=exp.column(node.table)), expression=exp.to_identifier(f"f{node.this.this}"))
    if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Div | exp.Mod) and \
            isinstance(node.this, exp.Null) and isinstance(node.expression, exp.Null):
        return exp.Null()  # NULL + NULL: NULL (the kernel cannot type an operator over two NULLs)
    if isinstance(node, exp.Div):
        return _fn("ch_divide", node.this, node.expression)
    if isinstance(node, exp.Mod):
        return _modulo(node)
    enum = enum_members(node)
    if enum is not None:  # CAST to an Enum: its labels checked, its numbers made labels
        labels, numbers = enum
        return _fn("ch_to_enum", node.this, exp.Array(expressions=[_lit(x) for x in labels]),
                   exp.Array(expressions=[exp.Literal.number(n) for n in numbers]))
    if isinstance(node, exp.CastToStrType) and isinstance(node.args["to"], exp.Literal) and \
            node.args["to"].this.strip().startswith("Tuple("):  # CAST(x, 'Tuple(...)'): as CAST(x AS Tuple(...))
        return _tuple_cast(exp.Cast(this=node.this, to=exp.DataType.build(node.args["to"].this, dialect="clickhouse")),
                           ctx)
    if isinstance(node, exp.CastToStrType):  # CAST(x, 'Type')
        target = node.args["to"]
        pg_type = sql_type(target.this if isinstance(target, exp.Literal) else target.sql())
        if pg_type.endswith("[]") and _is_text(node.this):
            return _cast(_fn("ch_array_text", node.this), pg_type)
        return _cast(node.this, pg_type)
    if isinstance(node, exp.Cast) and isinstance(node.to, exp.DataType) and node.to.this == exp.DataType.Type.STRUCT:
        return _tuple_cast(node, ctx)
    if isinstance(node, exp.Cast) and isinstance(node.to, exp.DataType) and \
            (parts := int_parts(node.to.sql(dialect="clickhouse"))) is not None:  # truncating, wrapping
        return _fn(f"ch_to{'' if parts[0] else 'u'}int{parts[1]}", node.this)
    if isinstance(node, exp.CastToStrType) and isinstance(node.args["to"], exp.Literal) and \
            (parts := int_parts(node.args["to"].this)) is not None:
        return _fn(f"ch_to{'' if parts[0] else 'u'}int{parts[1]}", node.this)
    if isinstance(node, exp.Cast) and isinstance(node.to, exp.DataType):
        try:
            target = sql_type(node.to.sql(dialect="clickhouse"))
        except Exception:  # noqa: BLE001 - a type only PostgreSQL spells (made by a rewrite): keep it
            return node
        if target.endswith("[]") and _is_text(node.this):  # '[1, 2, 3]' read as ClickHouse writes arrays
            return _cast(_fn("ch_array_text", node.this), target)
        if target.startswith("numeric("):
            return _truncated_decimal(node.this, target)
        return _cast(node.this, target)
    if isinstance(node, exp.Add | exp.Sub) and hint_type(node.this) == "Date" and \
            node.expression.find(exp.Interval) is not None and not isinstance(node.parent, exp.Cast):
        return _cast(node, "date")  # Date +/- INTERVAL stays a Date in ClickHouse (SQL's is a timestamp)
    if isinstance(node, exp.Add | exp.Sub) and hint_type(node.this) == "Date" and \
            (int_parts(hint_type(node.expression, node.find_ancestor(exp.Select))) is not None or
             _lambda_parameter(node.expression)):
        # Date +/- n days, n of any integer type (a UInt64 column is numeric to SQL)
        return type(node)(this=node.this, expression=_cast(node.expression, "integer"))
    if isinstance(node, exp.Add | exp.Sub) and (hint_type(node.this) or "").split("(")[0] == "DateTime" and \
            (int_parts(hint_type(node.expression)) is not None or _lambda_parameter(node.expression)):
        seconds = exp.Mul(this=exp.Paren(this=node.expression), expression=_pg("interval '1 second'"))
        return type(node)(this=node.this, expression=seconds)  # DateTime +/- n: n seconds
    if isinstance(node, exp.Lower | exp.Upper):  # lower/upper change ASCII letters only (lowerUTF8 all)
        return _fn("ch_ascii_lower" if isinstance(node, exp.Lower) else "ch_ascii_upper", node.this)
    if isinstance(node, exp.Ln):  # log(x), ln(x): Float64 with IEEE answers (-inf at 0, nan below)
        return _fn("ch_ln", node.this)
    if isinstance(node, exp.Log) and node.expression is not None and isinstance(node.this, exp.Literal) and \
            node.this.this in ("2", "10"):  # log2(x), log10(x)
        return _fn(f"ch_log{node.this.this}", node.expression)
    if isinstance(node, exp.Explode):
        return _fn("unnest", node.this)
    if isinstance(node, exp.ArrayContains) and isinstance(node.expression, exp.Null):  # has(arr, NULL)
        return exp.GT(this=_fn("ch_count_equal", node.this, node.expression), expression=exp.Literal.number(0))
    if isinstance(node, exp.Xor) and node.expression is not None:  # xor(a, b): UInt8, numbers as conditions
        return exp.Paren(this=exp.NEQ(this=condition(node.this), expression=condition(node.expression)))
    if isinstance(node, exp.BitString):  # 0b101
        return exp.Literal.number(int(node.this, 2))
    if type(node).__name__ == "ArrayCompact":
        return _fn("ch_array_compact", node.this)
    if isinstance(node, exp.Chr):  # char(65, 66): the bytes' characters
        chars = [_fn("chr", e) for e in node.expressions]
        return chars[0] if len(chars) == 1 else _fn("concat", *chars)
    if isinstance(node, exp.CurrentVersion):
        return _lit(VERSION)
    if type(node).__name__ == "Typeof":  # toTypeName
        return _HANDLERS["totypename"]([node.this], ctx)
    if isinstance(node, exp.CurrentDatabase | exp.CurrentSchema):
        return _lit(ctx.database)
    if isinstance(node, exp.If) and isinstance(node.this, exp.Subquery) and \
            isinstance(node.this.this, exp.Select) and not node.this.this.args.get("from_") and \
            len(node.this.this.expressions) == 1 and isinstance(node.this.this.expressions[0], exp.Literal):
        node.set("this", node.this.this.expressions[0].copy())  # (SELECT 0) ? a : b: a constant condition
    if isinstance(node, exp.If) and not isinstance(node.parent, exp.Case) and \
            isinstance(node.this, exp.Literal) and not node.this.is_string:
        # a constant condition picks its branch before anything runs, as ClickHouse's does: the other
        # one is never looked at (it may name a column that does not exist)
        chosen = node.args["true"] if float(node.this.this) != 0 else node.args.get("false")
        return chosen if chosen is not None else exp.Null()
    if isinstance(node, exp.If) and not isinstance(node.parent, exp.Case):
        case = exp.Case().when(condition(node.this), node.args["true"])
        false = node.args.get("false")
        return case.else_(false) if false is not None else case
    if isinstance(node, exp.Where | exp.Having):
        return type(node)(this=condition(node.this))
    if isinstance(node, exp.And | exp.Or):  # ClickHouse's logic takes numbers: non-zero is true
        return type(node)(this=condition(node.this), expression=condition(node.expression))
    if isinstance(node, exp.Case) and node.this is None:
        for when in node.args.get("ifs") or []:
            when.set("this", condition(when.this))
        return node
    if isinstance(node, exp.TimestampTrunc):
        unit = node.args.get("unit")
        unit_name = (unit.name if unit is not None else "day").lower()
        trunc = _pg(f"date_trunc('{unit_name}', {{t}})", t=_cast(node.this, "timestamp"))
        return _cast(trunc, "date") if unit_name in ("month", "year", "quarter", "week") else trunc
    if isinstance(node, exp.DateDiff):
        unit = node.args.get("unit")
        return _date_diff(unit.name if unit is not None else "day", node.expression, node.this)
    if isinstance(node, exp.ArrayReverse):
        return _HANDLERS["arrayreverse"]([node.this], ctx)
    if isinstance(node, exp.TimeToStr):  # formatDateTime(t, fmt)
        return _fn("ch_format_datetime", node.this, node.args["format"])
    if isinstance(node, exp.Array) and not node.expressions and not isinstance(node.parent, exp.Cast):
        # ClickHouse's [] is an Array(Nothing); the kernel's bare ARRAY[] is PostgreSQL's 42P18
        return exp.Cast(this=node.copy(), to=exp.DataType.build("text[]", dialect="postgres"))
    if isinstance(node, exp.Array) and len(node.expressions) > 1 and \
            any(isinstance(e, exp.Array) or isinstance(e, exp.Anonymous) and str(e.this) == "ch_nested_array" or
                isinstance(e, exp.Cast) and isinstance(e.this, exp.Array) for e in node.expressions) and \
            not _inside_array_join(node):
        return _fn("ch_nested_array", *node.expressions)  # ragged allowed: [[1], [2, 3]]
    if isinstance(node, exp.StrPosition):  # position(h, n[, from]): ClickHouse counts bytes
        return _position("bytes")([node.this, node.args["substr"], *([node.args["position"]]
                                                                   if node.args.get("position") else [])], ctx)
    if isinstance(node, exp.Length):
        return _fn("ch_length", node.this)
    if isinstance(node, exp.Split):  # an empty string is one empty piece in ClickHouse
        return _pg("CASE WHEN {s} = '' THEN ARRAY[''] ELSE string_to_array({s}, {sep}) END",
                   s=node.this, sep=node.expression)
    if isinstance(node, exp.Struct):
        return exp.Tuple(expressions=node.expressions) if len(node.expressions) > 1 else \
            _pg("ROW({x})", x=node.expressions[0])
    if isinstance(node, exp.Rand):  # rand([x]): a UInt32, as ClickHouse's (rand() % n is integer arithmetic)
        return _HANDLERS["rand32"]([], ctx)
    typed = _TYPED_CALLS.get(type(node).__name__)
    if typed is not None:  # calls sqlglot parses into its own classes
        args = [node.this] if node.this is not None else list(node.expressions)
        return _HANDLERS[typed]([a.copy() for a in args], ctx)
    if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Literal) and not node.expression.is_string:
        return _tuple_element(node.this, node.expression)
    if isinstance(node, exp.Not) and _is_number(node.this):  # NOT of a number: 1 when it is 0
        return exp.EQ(this=exp.Paren(this=node.this), expression=exp.Literal.number(0))
    if isinstance(node, exp.Not):
        return exp.Not(this=condition(node.this))
    if isinstance(node, exp.Bracket) and len(node.expressions) == 1:
        index = _sql_index(node.expressions[0])
        if isinstance(node.this, exp.Anonymous) and node.this.this == "ch_array_element":
            # a[i][j]: one call down the nested arrays (SQL types an element of a nested array as a scalar)
            return _fn("ch_array_element", *node.this.expressions, index)
        return _fn("ch_array_element", node.this, index)
    if isinstance(node, exp.Transform):  # arrayMap
        return _lambda_array([node.expression, node.this], filter_=False)
    if isinstance(node, exp.ArrayFilter):
        return _lambda_array([node.expression, node.this], filter_=True)
    if isinstance(node, exp.Quantile):
        return _parameterized("quantile", [node.args["quantile"]], [node.this])
    if isinstance(node, exp.ParameterizedAgg):
        return _parameterized(str(node.this).lower(), list(node.expressions), list(node.args.get("params") or []))
    if isinstance(node, exp.ApproxDistinct):  # uniq(x[, y]): sqlglot reads a second argument as an accuracy
        accuracy = node.args.get("accuracy")
        return _count_distinct([node.this, *([accuracy] if accuracy is not None else [])])
    if isinstance(node, exp.AnyValue):
        return _fn("any_value", node.this)
    if isinstance(node, exp.ArgMin | exp.ArgMax):
        return _HANDLERS["argmin" if isinstance(node, exp.ArgMin) else "argmax"]([node.this, node.expression], ctx)
    if isinstance(node, exp.CountIf):
        return exp.Filter(this=exp.Count(this=exp.Star()), expression=exp.Where(this=condition(node.this)))
    if isinstance(node, exp.Lambda) and isinstance(node.parent, exp.Anonymous) and \
            str(node.parent.this).lower() in ("arraymap", "arrayfilter"):
        return node
    call = _call(node)
    if call is not None:
        name, args = call
        if name in ("arraymap", "arrayfilter"):
            return _lambda_array(args, filter_=name == "arrayfilter")
        handler = _HANDLERS.get(name)
        if handler is not None:
            return handler([a.copy() for a in args], ctx)
        if name.endswith("if") and name[:-2] in _PARAMETERIZED and len(args) >= 2:  # quantileExactIf(x, cond)
            return _parameterized_if(name[:-2], [], [a.copy() for a in args])
        if name in ("quantiles", "quantilesexact", "quantilestiming", "quantilestimingweighted"):
            raise ClickHouseError(42, f"Aggregate function {name} needs at least one level: {name}(0.5, ...)(x)")
        if name in _PARAMETERIZED and name not in ("grouparray", "groupuniqarray") and args:
            return _parameterized(name, [], [a.copy() for a in args])  # quantileExact(x): its default level
        conversion = _integer_conversion(name)
        if conversion is not None:
            return _fn(conversion, args[0])
        if name.startswith("emptyarray"):
            return _cast(_lit("{}"), sql_type(name[len("emptyarray"):] or "String") + "[]")
    return node


def _lambda_parameter(node: exp.Expression) -> bool:
    """A lambda's parameter (``x`` in ``x -> d + x``): over the arrays of numbers it is given, a number
    (``toDate(...) + x`` adds days, ``toDateTime(...) + x`` seconds)."""
    if not isinstance(node, exp.Column | exp.Identifier) or isinstance(node, exp.Column) and node.table:
        return False
    lam = node.find_ancestor(exp.Lambda)
    while lam is not None:
        if node.name in [p.name for p in lam.expressions]:
            return True
        lam = lam.find_ancestor(exp.Lambda)
    return False


_TYPED_CALLS = {"Reverse": "reverse", "DayOfWeekIso": "todayofweek", "CityHash64": "cityhash64"}


def _is_number(node: exp.Expression) -> bool:
    """A literal number or an expression ClickHouse types as an integer (not a condition)."""
    inner = node.this if isinstance(node, exp.Paren) else node
    if isinstance(inner, exp.Predicate | exp.Connector | exp.Not | exp.Boolean):
        return False
    hint = hint_type(inner)
    return bool(hint) and hint.startswith(("UInt", "Int")) and not isinstance(inner, exp.Column)


def _is_text(node: exp.Expression) -> bool:
    """A String: a string literal, toString(...), or what the query types String."""
    inner = node.this if isinstance(node, exp.Paren) else node
    if isinstance(inner, exp.Literal):
        return inner.is_string
    if isinstance(inner, exp.Anonymous) and str(inner.this).lower() in ("ch_to_string", "tostring", "ch_tuple_field"):
        return True
    return hint_type(inner) == "String"


def integer_conversion_names() -> list[str]:
    """toInt8 ... toUInt64 and their OrZero/OrNull/OrDefault forms (``_integer_conversion``)."""
    return [f"to{sign}Int{bits}{suffix}" for sign in ("", "U") for bits in (8, 16, 32, 64)
            for suffix in ("", "OrZero", "OrNull", "OrDefault")]


def _integer_conversion(name: str) -> str | None:
    for prefix in ("touint", "toint"):
        if name.startswith(prefix):
            rest = name[len(prefix):]
            bits = "".join(ch for ch in rest if ch.isdigit())
            suffix = rest[len(bits):]
            if bits in ("8", "16", "32", "64") and suffix in ("", "orzero", "ornull", "ordefault"):
                variant = {"orzero": "_or_zero", "ordefault": "_or_zero", "ornull": "_or_null"}.get(suffix, "")
                return f"ch_to{'u' if prefix == 'touint' else ''}int{bits}{variant}"
    return None


def rewrite(tree: exp.Expression, ctx: RewriteContext) -> exp.Expression:
    """Children first, so a handler sees its arguments already rewritten."""
    if ctx.exact_integers:
        _mark_exact_integers(tree)
    else:  # a UInt64 constant past bigint's range makes the arithmetic over it exact (numeric) anyway
        _mark_exact_integers(tree, past_bigint_only=True)
    _stars_in_calls(tree, ctx)
    _typed_hash_calls(tree)
    lambda_arrays.mark(tree)
    _arrays_grouped(tree)
    _empty_array_comparisons(tree)

    def post(node: exp.Expression) -> exp.Expression:
        for key, value in list(node.args.items()):
            if isinstance(value, exp.Expression):
                node.set(key, post(value))
            elif isinstance(value, list):
                node.set(key, [post(v) if isinstance(v, exp.Expression) else v for v in value])
        return _rewrite_node(node, ctx)

    return post(tree)




def _has_column_in_table(args: list[exp.Expression], ctx: RewriteContext) -> exp.Expression:
    """hasColumnInTable([host, ...,] database, table, column): 1 when the table has the column,
    decided when the statement is read (its arguments are constants)."""
    if len(args) < 3 or not all(isinstance(a, exp.Literal) and a.is_string for a in args[-3:]):
        raise ClickHouseError(43, "hasColumnInTable takes constant strings: database, table, column")
    database, table, column = (a.this for a in args[-3:])
    if ctx.table_columns is None:
        raise ClickHouseError(48, "hasColumnInTable is not supported here")
    sources = {"numbers": ["number"], "numbers_mt": ["number"], "one": ["dummy"]}  # made in sources, not system_tables
    names = sources.get(table.lower()) if database.lower() == "system" else None
    if names is None:
        names = source_column_names(exp.Table(this=exp.to_identifier(table), db=exp.to_identifier(database)),
                                    ctx.table_columns, ctx.database)
    if names is None:
        raise ClickHouseError(60, f"Table {database}.{table} does not exist")
    return exp.Literal.number(1 if column in names else 0)


def _arrays_grouped(tree: exp.Expression) -> None:
    """groupArray(arr) of arrays (ragged, empty ones among them) and groupArrayArray(arr): aggregates
    of this plugin's (``aggregates``), the kernel's array_agg making rectangular arrays only."""
    for node in list(tree.find_all(exp.AnonymousAggFunc, exp.Anonymous)):
        name = str(node.this).lower()
        if name == "grouparrayarray" and len(node.expressions) == 1:
            node.set("this", "ch_group_array_array")
        elif name in ("uniqarray", "uniqexactarray") and len(node.expressions) == 1:
            node.set("this", "ch_uniq_array")
        elif name == "grouparray" and len(node.expressions) == 1 and \
                lambda_arrays.depth(node.expressions[0], {}, node.find_ancestor(exp.Select)) > 0:
            node.set("this", "ch_group_array_of_arrays")


def _stars_in_calls(tree: exp.Expression, ctx: RewriteContext) -> None:
    """f(*) over one FROM item (cityHash64(*), concat(*)...): ClickHouse passes every column of it,
    in order; the names are filled in where they are known (a table, a subquery)."""
    for node in list(tree.find_all(exp.Func)):
        if isinstance(node, exp.Count | exp.Star) or not node.find(exp.Star):
            continue
        has_star = any(isinstance(v, exp.Star) or isinstance(v, list) and any(isinstance(x, exp.Star) for x in v)
                       for v in node.args.values())
        select = node.find_ancestor(exp.Select)
        source = select.args.get("from_") if select is not None else None
        if not has_star or source is None or select.args.get("joins") or ctx.table_columns is None:
            continue
        names = source_column_names(source.this, ctx.table_columns, ctx.database)
        if not names:
            continue
        star_arguments(node, names)


def star_arguments(node: exp.Func, names: list[str]) -> None:
    """A call's ``*`` argument replaced by the columns ``names``."""
    columns = [exp.column(exp.to_identifier(n, quoted=True)) for n in names]
    if not columns:
        return
    for key, value in list(node.args.items()):
        if isinstance(value, exp.Star):  # cityHash64(*): its first argument, the others after it
            rest = node.args.get("expressions") or []
            node.set(key, columns[0].copy())
            if key != "expressions" and "expressions" in type(node).arg_types:
                node.set("expressions", [c.copy() for c in columns[1:]] + list(rest))
        elif isinstance(value, list) and any(isinstance(v, exp.Star) for v in value):
            expanded = []
            for v in value:
                expanded.extend(c.copy() for c in columns) if isinstance(v, exp.Star) else expanded.append(v)
            node.set(key, expanded)


def _typed_hash_calls(tree: exp.Expression) -> None:
    """cityHash64(a, b, ...) -> ch_city_hash64('<types of a, b...>', a, b, ...): the hash of a value
    depends on its ClickHouse type (an Int8's width, an Enum's number), read here before the
    arguments are rewritten."""
    for node in list(tree.find_all(exp.Anonymous, exp.CityHash64)):
        if isinstance(node, exp.Anonymous) and str(node.this).lower() != "cityhash64":
            continue
        args = [a for a in (node.args.get("this"), *node.expressions) if isinstance(a, exp.Expression)] \
            if isinstance(node, exp.CityHash64) else list(node.expressions)
        if not args or any(isinstance(a, exp.Star) for a in args):
            continue
        select = node.find_ancestor(exp.Select)
        types = [hint_type(a, select) or "" for a in args]
        node.replace(exp.Anonymous(this="ch_city_hash64", expressions=[
            exp.Literal.string(hashing.TYPES_SEPARATOR.join(types)), *[a.copy() for a in args]]))


def _sql_index(node: exp.Expression) -> exp.Expression:
    """The index as written: sqlglot shifts literal ClickHouse indexes down by one."""
    if isinstance(node, exp.Literal) and not node.is_string:
        return exp.Literal.number(int(node.this) + 1)
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal):
        return exp.Literal.number(-int(node.this.this) + 1)
    return node
