"""A seeded generator of SQL for differential testing against PostgreSQL.

It builds typed random expressions (int, bigint, numeric, float, text, bool, date) over the
columns of two small tables full of edge values (NULLs, zero, extremes, empty strings), and
wraps them in query shapes: projections, filters, aggregates with GROUP BY, joins, and
constant SELECTs. Everything is driven by one ``random.Random(seed)`` so a failing query is
reproduced from its seed alone.
"""

from __future__ import annotations

import random

SCHEMA = [
    "CREATE TABLE t1 (id int, a int, b bigint, c numeric(10,2), d float8, e text, f bool, g date)",
    "CREATE TABLE t2 (id int, a int, b bigint, c numeric(12,4), d float8, e varchar(20), f bool, g date)",
]

_T1_ROWS = [
    (1, 0, 0, "0.00", "0", "''", "true", "'2024-01-01'"),
    (2, 1, 1, "1.50", "0.1", "'a'", "false", "'2024-02-29'"),
    (3, -1, -1, "-0.01", "-2.5", "'A'", "true", "'1999-12-31'"),
    (4, 2147483647, 9223372036854775807, "99999999.99", "'1e300'", "'abc'", "false", "'2000-01-01'"),
    (5, -2147483648, -9223372036854775808, "-99999999.99", "'-1e-300'", "' x '", "true", "'1970-01-01'"),
    (6, "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL"),
    (7, 42, 4200000000, "12.34", "3.14159", "'hello world'", "true", "'2024-12-25'"),
    (8, 7, -7, "7.00", "'NaN'", "'é'", "NULL", "'2023-06-15'"),
    (9, 100, 100, "0.05", "'Infinity'", "'a%b'", "false", "NULL"),
    (10, 3, 3, "3.33", "-0.0", "'Zebra'", "true", "'2024-03-10'"),
    (11, 7, 7, "-7.50", "7.5", "'abc'", "false", "'2024-01-01'"),
    (12, "NULL", 5, "5.55", "5.5", "'5'", "true", "'2010-10-10'"),
]

_T2_ROWS = [
    (1, 1, 10, "0.1234", "1.0", "'a'", "true", "'2024-01-01'"),
    (2, 2, 20, "-1.0000", "2.0", "'b'", "false", "'2024-02-29'"),
    (3, 7, 7, "7.0000", "0.5", "'abc'", "true", "'2023-06-15'"),
    (4, "NULL", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL"),
    (5, 42, -42, "1234.5678", "-3.25", "'hello'", "false", "'1970-01-01'"),
    (6, 0, 0, "0.0000", "0", "''", "true", "'2000-01-01'"),
    (7, 7, 70, "0.0001", "1e-5", "'ABC'", "NULL", "'2024-12-25'"),
    (8, -1, 1, "99.9900", "1e15", "'x'", "false", "'1999-12-31'"),
]


def setup_statements() -> list[str]:
    out = list(SCHEMA)
    out.append("INSERT INTO t1 VALUES " + ", ".join("(" + ", ".join(map(str, r)) + ")" for r in _T1_ROWS))
    out.append("INSERT INTO t2 VALUES " + ", ".join("(" + ", ".join(map(str, r)) + ")" for r in _T2_ROWS))
    return out


COLUMNS = {"int": ["a", "id"], "bigint": ["b"], "numeric": ["c"], "float": ["d"], "text": ["e"], "bool": ["f"],
           "date": ["g"]}

_INT_LITS = ["0", "1", "-1", "2", "7", "100", "2147483647", "(-2147483648)", "NULL::int"]
_BIGINT_LITS = ["0::bigint", "9223372036854775807", "(-9223372036854775807)::bigint", "3000000000", "NULL::bigint"]
_NUM_LITS = ["0.5", "1.50", "-2.25", "0.001", "100.00", "12345678901234567890.5", "NULL::numeric", "3::numeric"]
_FLOAT_LITS = ["0.1::float8", "1.5::float8", "(-2.0)::float8", "'1e308'::float8", "'NaN'::float8", "0::float8",
               "'1e-308'::float8", "'-Infinity'::float8"]
_TEXT_LITS = ["''", "'a'", "'abc'", "'Hello World'", "'%'", "'x_y'", "' pad '", "NULL::text", "'ünï'"]
_PADS = ["'*'", "'ab'"]
_SEPS = ["' '", "'b'"]
_LIKES = ["'a%'", "'%b%'", "'_'", "'A%'", "'%'"]
_REGEXES = ["'^a'", "'b$'", "'[0-9]'", "'^$'"]
_RX_PATTERNS = ["'[aeiou]'", "'l+'", "'^.'", "'(.)(.)'"]
_RX_REPLS = ["'X'", "''", "'[\\1]'"]
_RX_FLAGS = ["", ", 'g'"]
_JSON_A7 = "'{\"a\": 7}'"
_TS_FORMATS = ["YYYY-MM-DD HH24:MI:SS", "DD Mon YYYY HH12:MI AM", "FMMonth FMDD, YYYY", "YYYY-Q-WW-DDD",
               "HH24:MI:SS.MS", "Dy, DD Mon YYYY"]
_TIME_LITS = ["time '10:30'", "time '23:59:59.5'", "time '00:00'"]
_INTERVAL_LITS = ["interval '1 day'", "interval '2 hours 30 minutes'", "interval '1 mon 2 days'", "interval '-3 days'",
                  "interval '1 year'", "interval '36 hours'", "interval '0'", "NULL::interval"]
_TS_LITS = ["timestamp '2024-01-31 10:00'", "timestamp '2000-02-29 23:59:59.123456'", "timestamp '1970-01-01'",
            "NULL::timestamp"]
_TEXTNUM_LITS = ["'12'", "' 42 '", "'1.50'", "'-0.5'", "'abc'", "'1e3'", "'2147483648'", "'99999'", "'yes'",
                 "'2024-02-30'", "'2024-02-29'", "'1 day 2 hours'", "''", "'0x10'", "'t'", "'123.456'"]
_DATE_LITS = ["date '2024-01-31'", "date '2000-02-29'", "date '1970-01-01'", "NULL::date"]


class Gen:
    """Random typed SQL expressions. ``tables`` is the list of aliases in scope."""

    def __init__(self, rng: random.Random, tables: list[str]) -> None:
        self.r = rng
        self.tables = tables

    def col(self, typ: str) -> str:
        t = self.r.choice(self.tables)
        return f"{t}.{self.r.choice(COLUMNS[typ])}" if t else self.r.choice(COLUMNS[typ])

    def lit(self, typ: str) -> str:
        return self.r.choice({"int": _INT_LITS, "bigint": _BIGINT_LITS, "numeric": _NUM_LITS, "float": _FLOAT_LITS,
                              "text": _TEXT_LITS, "date": _DATE_LITS, "bool": ["true", "false", "NULL::bool"],
                              "time": _TIME_LITS, "interval": _INTERVAL_LITS, "timestamp": _TS_LITS,
                              "textnum": _TEXTNUM_LITS}[typ])

    def leaf_of(self, typ: str) -> str:
        if typ == "timestamp" and self.tables and self.r.random() < 0.5:
            return f"({self.col('date')})::timestamp"
        if typ in ("timestamp", "interval"):
            return self.lit(typ)
        return self.leaf(typ)

    def leaf(self, typ: str) -> str:
        if self.tables and self.r.random() < 0.65:
            return self.col(typ)
        return self.lit(typ)

    def expr(self, typ: str, depth: int = 0) -> str:
        if depth >= 3 or self.r.random() < 0.3:
            return self.leaf_of(typ)
        d = depth + 1
        r = self.r
        e = self.expr
        if typ in ("int", "bigint"):
            choices = [
                lambda: f"({e(typ, d)} {r.choice(['+', '-', '*'])} {e(typ, d)})",
                lambda: f"({e(typ, d)} {r.choice(['/', '%'])} {e(typ, d)})",
                lambda: f"abs({e(typ, d)})",
                lambda: f"(- {e(typ, d)})",
                lambda: f"length({e('text', d)})" if typ == "int" else f"({e('int', d)}::bigint)",
                lambda: f"CASE WHEN {e('bool', d)} THEN {e(typ, d)} ELSE {e(typ, d)} END",
                lambda: f"coalesce({e(typ, d)}, {e(typ, d)})",
                lambda: f"{r.choice(['greatest', 'least'])}({e(typ, d)}, {e(typ, d)})",
                lambda: f"({e('numeric', d)})::{'int' if typ == 'int' else 'bigint'}",
                lambda: f"nullif({e(typ, d)}, {e(typ, d)})",
                lambda: f"({e('date', d)} - {e('date', d)})" if typ == "int" else f"({e('int', d)} * {e('bigint', d)})",
                lambda: f"strpos({e('text', d)}, {e('text', d)})" if typ == "int" else f"sign({e('bigint', d)})::bigint",
                # multi-dimensional arrays: subscripts, slices' sizes, dimensions
                lambda: f"(ARRAY[[{e('int', d)}, {self.lit('int')}], [{e('int', d)}, {e('int', d)}]])"
                        f"[{r.choice(['1', '2', '3'])}][{r.choice(['0', '1', '2'])}]" if typ == "int"
                        else f"cardinality(ARRAY[[{e('bigint', d)}], [{e('bigint', d)}]])::bigint",
                lambda: f"array_length(ARRAY[[{e(typ, d)}, {e(typ, d)}, NULL]], {r.choice(['1', '2', '3'])})"
                        if typ == "int" else "array_upper('{{1,2,3},{4,5,6}}'::bigint[], 2)::bigint",
            ]
        elif typ == "numeric":
            if r.random() < 0.25:
                return r.choice(self._numeric_zoo(d))()
            choices = [
                lambda: f"({e('numeric', d)} {r.choice(['+', '-', '*'])} {e(r.choice(['numeric', 'int']), d)})",
                lambda: f"({e('numeric', d)} / {e(r.choice(['numeric', 'int']), d)})",
                lambda: f"({e('numeric', d)} % {e('numeric', d)})",
                lambda: f"round({e('numeric', d)}, {r.choice(['0', '1', '2', '-1'])})",
                lambda: f"trunc({e('numeric', d)})",
                lambda: f"abs({e('numeric', d)})",
                lambda: f"{r.choice(['ceil', 'floor'])}({e('numeric', d)})",
                lambda: f"({e('int', d)})::numeric",
                lambda: f"({e('numeric', d)})::numeric(12,3)",
                lambda: f"coalesce({e('numeric', d)}, {e('numeric', d)})",
                lambda: f"extract({r.choice(['year', 'month', 'day', 'dow', 'doy', 'quarter'])} from {e('date', d)})",
            ]
        elif typ == "float":
            if r.random() < 0.3:
                return r.choice(self._float_zoo(d))()
            choices = [
                lambda: f"({e('float', d)} {r.choice(['+', '-', '*'])} {e(r.choice(['float', 'int']), d)})",
                lambda: f"({e('float', d)} / {e('float', d)})",
                lambda: f"abs({e('float', d)})",
                lambda: f"sqrt(abs({e('float', d)}))",
                lambda: f"({e(r.choice(['int', 'numeric']), d)})::float8",
                lambda: f"round({e('float', d)})",
                lambda: f"{r.choice(['ceil', 'floor', 'trunc'])}({e('float', d)})",
                lambda: f"power({e('float', d)}, 2)",
            ]
        elif typ == "text":
            if r.random() < 0.25:
                return r.choice(self._text_zoo(d))()
            choices = [
                lambda: f"({e('text', d)} || {e(r.choice(['text', 'int', 'numeric']), d)})",
                lambda: f"{r.choice(['upper', 'lower', 'reverse', 'initcap', 'btrim', 'ltrim', 'rtrim'])}({e('text', d)})",
                lambda: f"substring({e('text', d)}, {r.choice(['0', '1', '2', '-1', '3'])}, {r.choice(['0', '1', '2', '5'])})",
                lambda: f"substr({e('text', d)}, {r.choice(['1', '2', '4'])})",
                lambda: f"replace({e('text', d)}, {self.lit('text')}, {self.lit('text')})",
                lambda: f"{r.choice(['lpad', 'rpad'])}({e('text', d)}, {r.choice(['0', '3', '6'])}, {r.choice(_PADS)})",
                lambda: f"{r.choice(['left', 'right'])}({e('text', d)}, {r.choice(['-2', '0', '2', '9'])})",
                lambda: f"concat({e('text', d)}, {e(r.choice(['int', 'bool', 'numeric', 'date']), d)})",
                lambda: f"concat_ws('-', {e('text', d)}, {e('text', d)})",
                lambda: f"split_part({e('text', d)}, {r.choice(_SEPS)}, {r.choice(['1', '2'])})",
                lambda: f"({e(r.choice(['int', 'bigint', 'numeric', 'float', 'bool', 'date']), d)})::text",
                lambda: f"repeat({e('text', d)}, {r.choice(['0', '2'])})",
                lambda: f"CASE WHEN {e('bool', d)} THEN {e('text', d)} ELSE {self.lit('text')} END",
                lambda: f"md5({e('text', d)})",
                lambda: f"to_char({e('date', d)}, 'YYYY-MM-DD Dy')",
                lambda: f"to_char({e('timestamp', d)}, '{r.choice(_TS_FORMATS)}')",
                lambda: f"({e(r.choice(['timestamp', 'interval']), d)})::text",
                lambda: f"regexp_replace({e('text', d)}, {r.choice(_RX_PATTERNS)}, {r.choice(_RX_REPLS)}{r.choice(_RX_FLAGS)})",
                lambda: f"translate({e('text', d)}, 'abc', 'xy')",
                lambda: f"format('%s|%s|%L', {e('text', d)}, {e(r.choice(['int', 'numeric', 'date']), d)}, {e('text', d)})",
                lambda: f"(jsonb_build_object('k', {e(r.choice(['int', 'text', 'numeric', 'bool', 'float']), d)}, 'n', {e('text', d)}))::text",
                lambda: f"(jsonb_build_object('k', {e(r.choice(['int', 'text', 'numeric']), d)}) ->> 'k')",
                lambda: f"to_jsonb({e(r.choice(['text', 'int', 'numeric', 'date', 'bool']), d)})::text",
                lambda: f"(ARRAY[{e('int', d)}, {e('int', d)}, NULL])::text",
                lambda: f"array_to_string(ARRAY[{e('text', d)}, {e('text', d)}], ',', '*')",
                lambda: f"(ARRAY[[{e('int', d)}, {e('int', d)}], [{self.lit('int')}, NULL]])::text",
                lambda: f"(ARRAY[ARRAY[{e('text', d)}], ARRAY[{e('text', d)}]] || ARRAY[[{self.lit('text')}]])::text",
                lambda: f"array_dims((ARRAY[[{e('int', d)}, {e('int', d)}]]){r.choice(['', '[1:1][2:2]', '[:1]'])})",
                lambda: f"(ARRAY[[{e('text', d)}, 'x'], ['y', {e('text', d)}]])[{r.choice(['1:2', '2:2', ':1'])}]"
                        f"[{r.choice(['1', '2:', '1:1'])}]::text",
                lambda: f"(ROW({e('int', d)}, {e('text', d)}))::text",
                lambda: f"(CASE WHEN {e('bool', d)} THEN ROW({e('int', d)}, {e('text', d)}) "
                        f"ELSE ROW({self.lit('int')}, {self.lit('text')}) END)::text",
                lambda: f"({self.lit('textnum')})::{r.choice(['int', 'numeric', 'float8', 'bool', 'date', 'interval', 'numeric(5,2)', 'varchar(2)', 'char(3)', 'bigint', 'smallint'])}::text",
                lambda: f"initcap({e('text', d)})",
                lambda: f"quote_literal({e('text', d)})",
            ]
        elif typ == "bool":
            cmp_t = r.choice(["int", "bigint", "numeric", "float", "text", "date", "int"])
            choices = [
                lambda: f"({e(cmp_t, d)} {r.choice(['=', '<>', '<', '<=', '>', '>='])} {e(cmp_t, d)})",
                lambda: f"({e('bool', d)} {r.choice(['AND', 'OR'])} {e('bool', d)})",
                lambda: f"(NOT {e('bool', d)})",
                lambda: f"({e(cmp_t, d)} IS {r.choice(['', 'NOT '])}NULL)",
                lambda: f"({e('text', d)} {r.choice(['LIKE', 'ILIKE', 'NOT LIKE'])} {r.choice(_LIKES)})",
                lambda: f"({e(cmp_t, d)} BETWEEN {e(cmp_t, d)} AND {e(cmp_t, d)})",
                lambda: f"({e('int', d)} IN ({self.lit('int')}, {self.lit('int')}, {self.lit('int')}))",
                lambda: f"({e(cmp_t, d)} IS DISTINCT FROM {e(cmp_t, d)})",
                lambda: f"({e('bool', d)} IS {r.choice(['TRUE', 'FALSE', 'NOT TRUE', 'UNKNOWN'])})",
                lambda: f"({e('text', d)} ~ {r.choice(_REGEXES)})",
                lambda: f"({e('int', d)} = ANY(ARRAY[{self.lit('int')}, {self.lit('int')}, {e('int', d)}]))",
                lambda: f"({e('int', d)} > ALL(ARRAY[{self.lit('int')}, {e('int', d)}]))",
                lambda: f"({e('text', d)} SIMILAR TO '{r.choice(['(a|b)%', '%b%', '_+', 'a%'])}')",
                lambda: f"({e('interval', d)} {r.choice(['<', '=', '>'])} {e('interval', d)})",
                lambda: f"({e('timestamp', d)} {r.choice(['<', '=', '>='])} {e(r.choice(['timestamp', 'date']), d)})",
                lambda: f"(jsonb_build_object('a', {e('int', d)}) @> {_JSON_A7})",
                lambda: f"starts_with({e('text', d)}, 'a')",
                # row values, compared field by field with SQL's NULL rules
                lambda: f"(({e(cmp_t, d)}, {e('int', d)}) {r.choice(['=', '<>', '<', '<=', '>', '>='])} "
                        f"({e(cmp_t, d)}, {e('int', d)}))",
                lambda: f"(ROW({e('int', d)}, {e('text', d)}, {e('int', d)}) "
                        f"{r.choice(['<', '>=', 'IS DISTINCT FROM', 'IS NOT DISTINCT FROM'])} "
                        f"ROW({self.lit('int')}, {self.lit('text')}, {e('int', d)}))",
                lambda: f"({e('int', d)} = ANY('{{{{1,2}},{{7,NULL}}}}'::int[]))",
                lambda: f"(ARRAY[[{e('int', d)}]] {r.choice(['=', '<', '@>', '<@'])} ARRAY[[({e('int', d)})::int]])",
            ]
        elif typ == "timestamp":
            choices = [
                lambda: f"({e('date', d)})::timestamp",
                lambda: f"({e('timestamp', d)} + {e('interval', d)})",
                lambda: f"({e('timestamp', d)} - {e('interval', d)})",
                lambda: f"date_trunc('{r.choice(['hour', 'day', 'month', 'quarter', 'year', 'week'])}', {e('timestamp', d)})",
                lambda: f"make_timestamp({r.choice(['2024', '1999'])}, {r.choice(['1', '2', '12'])}, {r.choice(['1', '28', '29'])}, 13, 45, 30.5)",
                lambda: f"({e('date', d)} + {self.lit('time')})",
                lambda: f"to_timestamp('{r.choice(['2024-03-01 10:20', '1999-12-31 23:59'])}', 'YYYY-MM-DD HH24:MI')::timestamp",
            ]
        elif typ == "interval":
            choices = [
                lambda: f"({e('timestamp', d)} - {e('timestamp', d)})",
                lambda: f"({e('interval', d)} + {e('interval', d)})",
                lambda: f"({e('interval', d)} * {r.choice(['2', '0.5', '-1', '1.5'])})",
                lambda: f"({e('interval', d)} / {r.choice(['2', '3', '0.5'])})",
                lambda: f"{r.choice(['justify_hours', 'justify_days', 'justify_interval'])}({e('interval', d)})",
                lambda: f"age({e('timestamp', d)}, {e('timestamp', d)})",
                lambda: f"(- {e('interval', d)})",
                lambda: f"make_interval(0, {r.choice(['0', '1', '14'])}, 0, {r.choice(['0', '3', '40'])}, {r.choice(['0', '25'])})",
            ]
        elif typ == "date":
            choices = [
                lambda: f"({e('date', d)} + {r.choice(['1', '30', '-365', '0'])})",
                lambda: f"({e('date', d)} - {r.choice(['1', '31'])})",
                lambda: f"(({e('date', d)} + interval '{r.choice(['1 month', '1 year', '2 days', '-1 month'])}')::date)",
                lambda: f"date_trunc('{r.choice(['month', 'year', 'week'])}', {e('date', d)})::date",
                lambda: f"make_date({r.choice(['2024', '1999'])}, {r.choice(['1', '2', '12'])}, {r.choice(['1', '28', '29'])})",
            ]
        else:  # pragma: no cover
            raise ValueError(typ)
        return r.choice(choices)()


def _zoo_methods():
    """Extra function coverage, mixed into Gen (kept apart to keep expr() readable)."""

    def _float_zoo(self, d):
        e, r = self.expr, self.r
        return [
            lambda: f"{r.choice(['ln', 'log', 'exp', 'sqrt', 'cbrt'])}(abs({e('float', d)}) + 1)",
            lambda: f"{r.choice(['sin', 'cos', 'atan', 'degrees', 'radians'])}({e('float', d)})",
            lambda: f"power({e('float', d)}, {r.choice(['0.5', '3', '-1', '0'])})",
            lambda: f"atan2({e('float', d)}, {e('float', d)})",
            lambda: f"({e('text', d)} || '')::float8" if r.random() < 0.1 else f"({self.lit('textnum')})::float8",
            lambda: f"date_part('{r.choice(['year', 'epoch', 'dow', 'week', 'day'])}', {e('timestamp', d)})",
            lambda: f"({e('numeric', d)})::float4::float8",
            lambda: "pi()",
        ]

    def _numeric_zoo(self, d):
        e, r = self.expr, self.r
        return [
            lambda: f"{r.choice(['ln', 'exp', 'sqrt'])}(abs({e('numeric', d)}) + 1)",
            lambda: f"log(10, abs({e('numeric', d)}) + 1)",
            lambda: f"mod({e('numeric', d)}, {r.choice(['3', '0.7', '-2'])})",
            lambda: f"div({e('numeric', d)}, {r.choice(['3', '0.7', '-2'])})",
            lambda: f"power({e('numeric', d)}, {r.choice(['2', '0', '3'])})",
            lambda: f"sign({e('numeric', d)})",
            lambda: f"width_bucket({e('numeric', d)}, 0, 100, 5)::numeric",
            lambda: f"extract({r.choice(['epoch', 'second', 'minute', 'isodow', 'week', 'julian', 'century'])} from {e('timestamp', d)})",
            lambda: f"extract({r.choice(['epoch', 'hour', 'day', 'month', 'year'])} from {e('interval', d)})",
            lambda: f"greatest({e('numeric', d)}, {e('int', d)}, {self.lit('numeric')})",
            lambda: f"({e('float', d)})::numeric",
            lambda: f"round({e('numeric', d)}, {r.choice(['3', '5'])})",
        ]

    def _text_zoo(self, d):
        e, r = self.expr, self.r
        return [
            lambda: f"overlay({e('text', d)} placing 'XY' from {r.choice(['1', '2', '5'])} for {r.choice(['0', '1', '3'])})",
            lambda: f"position({self.lit('text')} in {e('text', d)})::text",
            lambda: f"lpad({e('text', d)}, {r.choice(['2', '7'])}, 'xyz')",
            lambda: f"to_char({e(r.choice(['numeric', 'int']), d)}, '{r.choice(_NUM_FORMATS)}')",
            lambda: f"to_char({e('interval', d)}, 'HH24:MI:SS')",
            lambda: f"({e('float', d)})::text",
            lambda: f"({e(r.choice(['int', 'bigint']), d)})::bool::text",
            lambda: f"to_hex({e(r.choice(['int', 'bigint']), d)})",
            lambda: f"chr(65 + abs({e('int', d)} % 26))",
            lambda: f"ascii({e('text', d)})::text",
            lambda: f"split_part({e('text', d)}, ' ', -1)",
            lambda: f"regexp_match({e('text', d)}, '(l+)(o)')::text",
            lambda: f"encode(convert_to({e('text', d)}, 'UTF8'), '{r.choice(['hex', 'base64', 'escape'])}')",
            lambda: f"length({e('text', d)}::bytea)::text",
            lambda: f"({e('text', d)} || ' ')::char(4)::text",
            lambda: f"string_to_array({e('text', d)}, ' ')::text",
            lambda: f"upper(left({e('text', d)}, 1)) || substr({e('text', d)}, 2)",
            lambda: f"pg_typeof({e(r.choice(['int', 'numeric', 'text', 'float', 'interval']), d)})::text",
            lambda: f"(to_jsonb({e(r.choice(['int', 'text', 'numeric', 'bool']), d)}) || jsonb_build_array({e('int', d)}))::text",
            lambda: f"jsonb_set(jsonb_build_object('a', {e('int', d)}, 'b', {e('text', d)}), '{{a}}', to_jsonb({e('text', d)}))::text",
            lambda: f"(jsonb_build_object('x', jsonb_build_array({e('int', d)}, {e('text', d)})) #>> '{{x,1}}')",
            lambda: f"jsonb_typeof(to_jsonb({e(r.choice(['int', 'text', 'numeric', 'bool', 'date']), d)}))",
            lambda: f"(jsonb_build_object('a', {e('int', d)}) - 'a')::text",
            lambda: f"jsonb_pretty(jsonb_build_object('k', {e('text', d)}))",
            lambda: f"array_to_string(array_append(ARRAY[{e('int', d)}], {e('int', d)}), '-')",
            lambda: f"array_position(ARRAY[{self.lit('text')}, {e('text', d)}], {e('text', d)})::text",
            lambda: f"cardinality(ARRAY[{e('numeric', d)}, {e('numeric', d)}])::text",
            lambda: f"(ARRAY[{e('int', d)}, 2] || ARRAY[{e('int', d)}])::text",
            lambda: f"array_remove(ARRAY[{e('int', d)}, 1, {e('int', d)}], 1)::text",
            lambda: f"concat_ws(',', VARIADIC ARRAY[{e('text', d)}, {e('text', d)}])" if False else
                    f"quote_nullable({e(r.choice(['text', 'int', 'date']), d)})",
            lambda: f"({e('timestamp', d)})::date::text",
            lambda: f"to_char({e('timestamp', d)} + {e('interval', d)}, 'YYYY-MM-DD HH24:MI:SS.US')",
            lambda: f"({e('interval', d)})::text || '|' || justify_interval({e('interval', d)})::text",
            lambda: f"substring({e('text', d)} from '{r.choice(['[a-z]+', 'l(.)', '^.'])}')",
            lambda: f"reverse(lower({e('text', d)})) || length({e('text', d)})",
            lambda: f"md5({e(r.choice(['text', 'int']), d)}::text)",
            lambda: f"trim(both 'x' from {e('text', d)})",
        ]

    return _float_zoo, _numeric_zoo, _text_zoo


Gen._float_zoo, Gen._numeric_zoo, Gen._text_zoo = _zoo_methods()

_NUM_FORMATS = ["9999.99", "FM9999.00", "999,999", "S999", "0000", "FM999.999", "99.9"]

_TYPES = ["int", "bigint", "numeric", "float", "text", "bool", "date", "timestamp", "interval", "text"]


def generate(seed: int) -> str:
    """One SELECT statement, fully determined by seed."""
    r = random.Random(seed)
    shape = r.choices(["const", "project", "filter", "aggregate", "join", "order"], [2, 3, 3, 2, 2, 1])[0]
    if shape == "const":
        g = Gen(r, [])
        items = [g.expr(r.choice(_TYPES)) for _ in range(r.randint(1, 3))]
        return "SELECT " + ", ".join(items)
    if shape in ("project", "filter", "order"):
        g = Gen(r, ["t1"])
        items = [g.expr(r.choice(_TYPES)) for _ in range(r.randint(1, 3))]
        sql = "SELECT t1.id, " + ", ".join(items) + " FROM t1"
        if shape != "project":
            sql += f" WHERE {g.expr('bool')}"
        if shape == "order":
            sql += " ORDER BY " + ", ".join(str(i + 1) for i in range(len(items) + 1))
        return sql
    if shape == "aggregate":
        g = Gen(r, ["t1"])
        key_t = r.choice(["int", "text", "bool", "date"])
        key = g.expr(key_t, 2)
        val_t = r.choice(["int", "bigint", "numeric", "float"])
        val = g.expr(val_t, 1)
        agg = r.choice(["count(*)", f"count({val})", f"sum({val})", f"min({val})", f"max({val})", f"avg({val})"])
        if r.random() < 0.15:  # no GROUP BY: one group, with or without HAVING
            sql = f"SELECT {agg} FROM t1"
            if r.random() < 0.6:
                sql += f" HAVING {r.choice(['count(*) > 0', 'count(*) > 100', 'true', 'false'])}"
            return sql
        sql = f"SELECT {key}, {agg} FROM t1 GROUP BY 1"
        if r.random() < 0.3:
            sql += f" HAVING count(*) > {r.choice(['0', '1'])}"
        return sql
    g = Gen(r, ["t1", "t2"])
    kind = r.choice(["JOIN", "LEFT JOIN", "RIGHT JOIN", "FULL JOIN"])
    on_col = r.choice(["a", "id", "e", "g"])
    items = [g.expr(r.choice(_TYPES), 1) for _ in range(r.randint(1, 2))]
    sql = f"SELECT t1.id, t2.id, {', '.join(items)} FROM t1 {kind} t2 ON t1.{on_col} = t2.{on_col}"
    if r.random() < 0.5:
        sql += f" WHERE {g.expr('bool', 1)}"
    return sql
