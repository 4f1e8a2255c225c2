"""ClickHouse's built-in row sources as relations the kernel has.

    FROM system.numbers      -> FROM (SELECT generate_series(0, 2^63-2)::bigint AS number) AS numbers
    FROM numbers(10)         -> FROM (SELECT generate_series(0, 9)::bigint AS number) AS numbers
    FROM numbers(5, 10)      -> numbers 5..14
    FROM system.one          -> FROM (SELECT 0::smallint AS dummy) AS one
    SELECT dummy             -> SELECT dummy FROM system.one   (a SELECT without FROM reads system.one)
    FROM t FINAL             -> FROM t   (every read sees merged data: FINAL changes nothing)

``generate_series`` streams, so a LIMIT stops an unbounded ``system.numbers``. Under
``max_rows_to_read`` a numbers source gives what ClickHouse's would (see ``limits``): cut
after the block that passes the limit in 'break' mode, refused with 158 when longer in 'throw'
mode. The settings of a subquery's own SETTINGS clause hold inside it.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from helios_protocol_clickhouse import limits
from helios_protocol_clickhouse.errors import ClickHouseError
from helios_protocol_clickhouse.settings_catalog import settings_of

_BIG = 9223372036854775806


def _settings_at(node: exp.Expression, settings: dict[str, str]) -> dict[str, str]:
    """The settings in force at ``node``: the session's, then each enclosing SETTINGS clause."""
    clauses = []
    select = node.find_ancestor(exp.Select)
    while select is not None:
        if select.args.get("settings"):
            clauses.append(settings_of(list(select.args["settings"])))
        select = select.find_ancestor(exp.Select)
    merged = dict(settings)
    for clause in reversed(clauses):
        merged.update(clause)
    return merged


def _literal_int(node: exp.Expression) -> int | None:
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return int(node.this)
        except ValueError:
            return None
    return None


def _capped(start: exp.Expression, rows: exp.Expression | None, alias: str, settings: dict[str, str]
            ) -> exp.Expression:
    """The numbers start, start + 1, ... (``rows`` of them, None: endless) as max_rows_to_read lets
    a source give them."""
    known = _literal_int(rows) if rows is not None else None
    limit, how = limits.read_limit(settings)
    if limit and rows is not None and known is None:
        if how == "throw":
            raise ClickHouseError(limits.NOT_IMPLEMENTED, "max_rows_to_read over numbers() of a computed length "
                                                          "is not supported by this server")
        cut = limits.rows_read_by_source(settings, None)
        count = exp.Anonymous(this="LEAST", expressions=[exp.Paren(this=rows.copy()), exp.Literal.number(cut)])
    else:
        n = limits.rows_read_by_source(settings, known if rows is not None else None)
        count = exp.Literal.number(n) if n is not None else rows
    if count is None:
        return _numbers(start, exp.Literal.number(_BIG), alias)
    stop = exp.Sub(this=exp.Add(this=start.copy(), expression=exp.Paren(this=count)), expression=exp.Literal.number(1))
    return _numbers(start, stop, alias)


def _numbers(start: exp.Expression, stop: exp.Expression, alias: str) -> exp.Expression:
    series = exp.Anonymous(this="generate_series", expressions=[start, stop])
    select = exp.select(exp.alias_(exp.cast(series, "bigint"), "number"))
    return exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(alias)))


def _one(alias: str) -> exp.Expression:
    select = exp.select(exp.alias_(exp.cast(exp.Literal.number(0), "smallint"), "dummy"))
    return exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(alias)))


def _alias_of(table: exp.Table, default: str) -> str:
    alias = table.args.get("alias")
    return alias.name if alias is not None and alias.name else default


def _table_source(node: exp.Expression, settings: dict[str, str]) -> exp.Expression | None:
    """The replacement for a ClickHouse row source, or None when ``node`` is an ordinary table."""
    if isinstance(node, exp.Final):
        return node.this
    if not isinstance(node, exp.Table):
        return None
    fn = node.this
    if isinstance(fn, exp.Anonymous) and str(fn.this).lower() in ("numbers", "numbers_mt"):
        args = list(fn.expressions)
        if len(args) == 1:
            return _capped(exp.Literal.number(0), args[0], _alias_of(node, "numbers"), _settings_at(node, settings))
        if len(args) >= 2:
            return _capped(exp.Paren(this=args[0].copy()), args[1], _alias_of(node, "numbers"),
                           _settings_at(node, settings))
    if isinstance(fn, exp.Identifier) and node.db and node.db.lower() == "system":
        name = fn.name.lower()
        if name in ("numbers", "numbers_mt"):
            return _capped(exp.Literal.number(0), None, _alias_of(node, "numbers"), _settings_at(node, settings))
        if name == "one":
            return _one(_alias_of(node, "one"))
    return None


def _limit_bound(select: exp.Select) -> int | None:
    """Rows a plain ``SELECT ... FROM system.numbers LIMIT n [OFFSET m]`` reads: n + m.

    ClickHouse stops reading its sources once the LIMIT is served, so an expression of the
    select list is never evaluated past it; bounding the series does the same here."""
    if any(select.args.get(k) for k in ("where", "group", "having", "order", "distinct", "qualify")):
        return None
    for join in select.args.get("joins") or []:  # ANY LEFT JOIN gives exactly one row per left row,
        # LEFT ARRAY JOIN at least one: the first n + m numbers give n + m rows or more
        if not (str(join.args.get("kind") or "").upper() in ("ANY", "ARRAY") and
                str(join.args.get("side") or "").upper() == "LEFT"):
            return None
    limit = select.args.get("limit")
    if not isinstance(limit, exp.Limit) or limit.args.get("expressions"):
        return None
    if any(isinstance(n, exp.AggFunc | exp.Window | exp.Explode) for e in select.expressions for n in e.walk()):
        return None
    count = limit.expression
    offset = select.args.get("offset")
    try:
        n = int(count.this) if isinstance(count, exp.Literal) else None
        m = int(offset.expression.this) if offset is not None else 0
    except (ValueError, AttributeError):
        return None
    return None if n is None else n + m


def _plain_projection(query: exp.Expression) -> bool:
    """A SELECT that gives one row per row of its source, in its order, and has no LIMIT of its own."""
    if not isinstance(query, exp.Select) or query.args.get("joins") or query.args.get("from_") is None:
        return False
    if any(query.args.get(k) for k in ("where", "group", "having", "order", "distinct", "qualify", "limit",
                                       "offset")):
        return False
    return not any(isinstance(n, exp.AggFunc | exp.Window | exp.Explode | exp.Subquery)
                   for e in query.expressions for n in e.walk())


def rewrite(tree: exp.Expression, settings: dict[str, Any] | None = None) -> exp.Expression:
    settings = settings or {}
    for select in list(tree.find_all(exp.Select)):
        source = select.args.get("from_")
        table = source.this if source is not None else None
        if isinstance(table, exp.Table) and isinstance(table.this, exp.Identifier) and table.db and \
                table.db.lower() == "system" and table.name.lower() in ("numbers", "numbers_mt"):
            bound = _limit_bound(select)
            if bound is not None:
                source.set("this", _capped(exp.Literal.number(0), exp.Literal.number(max(bound, 0)),
                                           _alias_of(table, "numbers"), _settings_at(table, settings)))
        elif isinstance(table, exp.Subquery) and _plain_projection(table.this):
            # FROM (SELECT number, number / 2 AS n FROM system.numbers) ... LIMIT n: a row of the
            # subquery per row read, so the LIMIT bounds it too (and, through it, the numbers)
            bound = _limit_bound(select)
            if bound is not None:
                table.this.set("limit", exp.Limit(expression=exp.Literal.number(max(bound, 0))))

    def swap(node: exp.Expression) -> exp.Expression:
        replacement = _table_source(node, settings)
        return replacement if replacement is not None else node

    tree = tree.transform(swap)
    for select in list(tree.find_all(exp.Select)):
        if select.args.get("from_") is None and _reads_dummy(select):
            select.set("from_", exp.From(this=_one("one")))
    return tree


def reads_unbounded_numbers(tree: exp.Expression) -> bool:
    """Whether a ClickHouse query reads ``system.numbers`` in a SELECT with no LIMIT: it never ends."""
    for table in tree.find_all(exp.Table):
        if isinstance(table.this, exp.Identifier) and table.db and table.db.lower() == "system" and \
                table.name.lower() in ("numbers", "numbers_mt"):
            owner = table.find_ancestor(exp.Select)
            if owner is None or owner.args.get("limit") is None:
                return True
    return False


def _reads_dummy(select: exp.Select) -> bool:
    for column in select.find_all(exp.Column):
        if column.name.lower() == "dummy" and not column.table and column.parent_select is select:
            return True
    return False
