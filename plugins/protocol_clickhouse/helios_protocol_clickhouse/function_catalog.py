"""``system.functions``: the functions a ClickHouse statement can call here, as ClickHouse lists them.

Built once from what the dialect really routes, never from a list of names typed apart from it:

- the dialect's own handlers (``rewrites.functions.FUNCTIONS``, the parameterized aggregates
  and the integer conversions), spelled as ClickHouse spells them;
- the calls sqlglot's ClickHouse dialect reads into expressions of its own that the rewrites
  carry on (``has``, ``arrayMap``, ``splitByChar``...), spelled as that dialect writes them back;
- the shared library's functions (the kernel's and every plugin's) that ClickHouse's dialect
  knows by the same name (``abs``, ``concat``, ``sum``...), which reach the kernel unchanged.

Every name is looked up whatever its case here, so ``case_insensitive`` is 1 throughout;
``is_aggregate`` is read off the rewrite (an aggregate call in what the handler makes).
``tests/test_bi_catalogs.py`` calls each listed name and checks that none is unknown (46).
"""

from __future__ import annotations

import functools

import sqlglot
from sqlglot import exp

from helios_core.session import sql_function_names
from helios_protocol_clickhouse.rewrites import functions as ch_functions
from helios_protocol_clickhouse.rewrites.context import RewriteContext

_KERNEL_AGGREGATE_CALLS = {"array_agg", "percentile_cont", "percentile_disc", "any_value", "count", "sum", "min",
                           "max", "avg"}


def _makes_aggregate(tree: exp.Expression) -> bool:
    for node in tree.walk():
        if isinstance(node, exp.AggFunc | exp.WithinGroup):
            return True
        if isinstance(node, exp.Anonymous) and str(node.this).lower() in _KERNEL_AGGREGATE_CALLS:
            return True
    return False


def _handler_is_aggregate(handler: ch_functions.Handler) -> bool:
    """Whether a handler's rewrite holds an aggregate call (tried with one to three columns)."""
    for n in (1, 2, 3):
        args = [exp.column(f"a{i}") for i in range(n)]
        try:
            return _makes_aggregate(handler(args, RewriteContext()))
        except Exception:  # noqa: BLE001, S112 - a handler wanting other arguments: try more
            continue
    return False


def _sqlglot_spellings() -> dict[str, tuple[str, bool]]:
    """Calls sqlglot's ClickHouse dialect reads into its own expressions: lower name -> (name as
    the dialect writes it, aggregate?), for those written back in ClickHouse's mixed case."""
    from helios_protocol_clickhouse.dialect import HeliosClickHouse  # the dialect imports the rewrites

    out: dict[str, tuple[str, bool]] = {}
    for key in HeliosClickHouse.Parser.FUNCTIONS:
        try:
            node = sqlglot.parse_one(f"SELECT {key}(a, b)", read=HeliosClickHouse).expressions[0]
            written = node.sql(dialect=HeliosClickHouse).split("(")[0]
        except Exception:  # noqa: BLE001, S112 - a call that needs other arguments
            continue
        if written.lower() == key.lower() and written != written.upper() and isinstance(node, exp.Func) \
                and not isinstance(node, exp.Anonymous):
            out[written.lower()] = (written, isinstance(node, exp.AggFunc))
    return out


# ClickHouse's names (as its system.functions spells them) that this dialect answers through sqlglot's
# own expressions or rewrites outside the handler table, so neither source above finds them; each is
# kept only while it reaches the kernel (``_reaches_kernel``), and the catalog test calls every row
_DIALECT_FORMS = ("age", "arrayJoin", "dateDiff", "ilike", "like", "notLike", "toStartOfDay", "toStartOfHour",
                  "toStartOfMonth", "toStartOfSecond", "toStartOfMillisecond", "toStartOfMicrosecond", "trimBoth",
                  "trimLeft", "trimRight", "tuple", "emptyArrayString", "emptyArrayInt32", "emptyArrayInt64",
                  "emptyArrayUInt32", "emptyArrayUInt64", "emptyArrayFloat64", "emptyArrayDate",
                  "emptyArrayDateTime")

# SQL's own forms sqlglot writes as calls, which no registry lists
_SQL_FORMS = {"cast", "try_cast", "extract", "array", "row", "exists", "case", "if", "struct", "explode", "unnest",
              "coalesce", "nullif", "greatest", "least", "concat", "array_contains", "split", "substring",
              "lower", "upper", "length", "current_date", "current_timestamp", "filter", "within_group",
              "timestamp_trunc", "date_trunc"}


def _reaches_kernel(name: str, kernel: set[str]) -> bool:
    """Whether ``name(...)`` turns, through the dialect's rewrites, into calls the kernel has for
    some number of arguments (sqlglot reads some ClickHouse names into forms the kernel lacks:
    md5 as md5_digest)."""
    from helios_protocol_clickhouse.dialect import HeliosClickHouse
    from helios_protocol_clickhouse.rewrites import apply_all

    for args in ("a0", "a0, a1", "a0, a1, a2", "x -> x, a0"):
        try:
            tree = apply_all(sqlglot.parse_one(f"SELECT {name}({args})", read=HeliosClickHouse))
        except Exception:  # noqa: BLE001, S112 - another number of arguments, or not a call here
            continue
        calls = {str(node.this).lower() if isinstance(node, exp.Anonymous) else node.sql_name().lower()
                 for node in tree.find_all(exp.Func)}
        if calls <= kernel | _SQL_FORMS:
            return True
    return False


@functools.cache
def function_rows() -> list[tuple[str, int, int, str]]:
    """(name, is_aggregate, case_insensitive, alias_to) of every function, sorted by name."""
    rows: dict[str, tuple[str, bool]] = {}

    def add(name: str, aggregate: bool) -> None:
        rows.setdefault(name.lower(), (name, aggregate))

    for name, handler in ch_functions.FUNCTIONS.items():
        if _combined(name):
            continue  # sumIf, minArray: an aggregate with a combinator, which ClickHouse does not list
        add(name, _handler_is_aggregate(handler))
    for name in ch_functions.PARAMETERIZED_NAMES:
        add(name, True)
    for name in ch_functions.integer_conversion_names():
        add(name, False)
    kernel = set(sql_function_names())
    for name, aggregate in _sqlglot_spellings().values():
        if name.lower() not in rows and not _combined(name) and _reaches_kernel(name, kernel):
            add(name, aggregate)
    for name in _DIALECT_FORMS:
        if name.lower() not in rows and _reaches_kernel(name, kernel):
            add(name, False)
    from helios_protocol_clickhouse.dialect import HeliosClickHouse

    known = {key.lower() for key in HeliosClickHouse.Parser.FUNCTIONS}
    for name, aggregate in sql_function_names().items():
        if name in known and "_" not in name and name not in rows and _reaches_kernel(name, kernel):
            add(name, aggregate)
    return [(name, int(aggregate), 1, "") for name, aggregate in sorted(rows.values())]


def _combined(name: str) -> bool:
    """An aggregate's name with the -If or -Array combinator (``sumArrayIf`` too)."""
    for suffix in ("If", "Array"):
        if name.endswith(suffix) and len(name) > len(suffix):
            base = name[:-len(suffix)]
            if base.lower() in _all_aggregate_names() or _combined(base):
                return True
    return False


@functools.cache
def _all_aggregate_names() -> set[str]:
    names = {name.lower() for name in ch_functions.PARAMETERIZED_NAMES}
    names |= {name for name, aggregate in sql_function_names().items() if aggregate}
    for name, handler in ch_functions.FUNCTIONS.items():
        if not name.endswith(("If", "Array")) and _handler_is_aggregate(handler):
            names.add(name.lower())
    return names
