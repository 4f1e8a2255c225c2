"""Statements by kind: what ClickHouse does for each, on top of the kernel.

Queries (SELECT, UNION) are translated and run, with ClickHouse's FORMAT and SETTINGS
clauses taken off first and WITH TOTALS computed as a second aggregate over all rows.
SET changes the session's ClickHouse settings; USE its database. SHOW TABLES/DATABASES,
DESCRIBE, EXISTS read the system tables. ALTER TABLE ... DELETE/UPDATE (mutations) are a
DELETE/UPDATE. INSERT ... FORMAT decodes its data with ``formats`` and loads it through
the session's COPY path.
"""

from __future__ import annotations

import datetime
import decimal
import re
import uuid
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import sqlglot
from sqlglot import exp

from helios_core.types import parse_text
from helios_protocol_clickhouse import (
    alter_columns,
    column_kinds,
    column_types,
    expression_defaults,
    formats,
    join_engine,
    limits,
    materialized_views,
    merge_engines,
    part_order,
)
from helios_protocol_clickhouse.catalog import schema_of
from helios_protocol_clickhouse.dialect import HeliosClickHouse
from helios_protocol_clickhouse.errors import ClickHouseError
from helios_protocol_clickhouse.formats.literals import parse_array_text
from helios_protocol_clickhouse.names import (
    annotate_sources,
    column_name,
    common_type,
    hint_type,
    int_parts,
    source_column_names,
    union_parts,
    union_types,
)
from helios_protocol_clickhouse.results import ChColumn, ChResult
from helios_protocol_clickhouse.rewrites import nested
from helios_protocol_clickhouse.rewrites.clauses import has_grouping_sets
from helios_protocol_clickhouse.rewrites.ddl import NOT_NULL_LATER, enum_default, enum_label
from helios_protocol_clickhouse.rewrites.sources import reads_unbounded_numbers
from helios_protocol_clickhouse.settings_catalog import settings_of
from helios_protocol_clickhouse.source_totals import EPOCH, carries_totals, totals_row, type_default
from helios_protocol_clickhouse.types import ChType, canonical_type, clickhouse_type, parse_type

if TYPE_CHECKING:
    from helios_protocol_clickhouse.execute import ClickHouseSession


# -- queries ------------------------------------------------------------------------------


def run_tree(ch: ClickHouseSession, tree: exp.Expression) -> list[ChResult]:
    if isinstance(tree, exp.Set):
        changed = settings_of(list(tree.expressions))
        limits.check(changed)
        ch.settings.update(changed)
        return [ChResult(kind="SET")]
    if isinstance(tree, exp.Use):
        ch.use(tree.this.name)
        return [ChResult(kind="USE")]
    if isinstance(tree, exp.Query):
        return [_query(ch, tree)]
    if isinstance(tree, exp.Describe):
        return [describe(ch, tree.this)]
    if isinstance(tree, exp.Command):
        raise ClickHouseError(48, f"{tree.this} {str(tree.expression or '')[:60]} is not supported".strip())
    if materialized_views.is_materialized(tree):
        created = materialized_views.create(ch, tree, lambda table: _create_table(ch, table),
                                            lambda select: _probe_types(ch, select))
        return [created or ChResult(kind="CREATE")]
    if isinstance(tree, exp.Create) and str(tree.args.get("kind") or "").upper() == "TABLE":
        typed = _typed_create_as(ch, tree)
        if typed is not None:
            created = _create_table(ch, typed)
            run_tree(ch, exp.Insert(this=tree.this.copy(), expression=tree.expression.copy()))
            return [created]
        return [_create_table(ch, tree)]
    if isinstance(tree, exp.Drop) and str(tree.args.get("kind") or "").upper() == "TABLE":
        return [_drop_table(ch, tree)]
    if isinstance(tree, exp.Alter) and str(tree.args.get("kind") or "").upper() == "TABLE" and \
            any(isinstance(a, exp.ColumnDef) for a in tree.args.get("actions") or []):
        return [_add_columns(ch, tree)]
    if isinstance(tree, exp.Insert):
        nested.insert_columns(tree)
        column_kinds.positional_insert(ch, tree)  # a table's MATERIALIZED/ALIAS columns take no positional value
        literal = _literal_rows(tree, lambda value: _constant_value(ch, value))
        if literal is not None:
            table, columns, rows = literal
            return [insert_rows(ch, table, columns, rows)]
        rows = join_engine.as_rows(ch, tree)
        if rows is not None:  # into an ANY Join table: a block of rows, their keys sifted
            return [_insert_block(ch, tree, rows)]
        part_order.sort_insert_select(ch, tree)
        result = materialized_views.staged_insert(ch, tree) or ch.execute_tree(tree)
        result.written_rows = result.row_count
        return [result]
    return [ch.execute_tree(tree)]


def _declared_columns(create: exp.Create) -> list[tuple[str, str, bool]]:
    """(name, ClickHouse type, whether it names a DEFAULT) of the columns a CREATE TABLE
    declares, types in ClickHouse's spelling."""
    schema = create.this
    if not isinstance(schema, exp.Schema):
        return []
    out = []
    for column in schema.expressions:
        kind = column.args.get("kind") if isinstance(column, exp.ColumnDef) else None
        if kind is not None:
            explicit = any(isinstance(c.kind, exp.DefaultColumnConstraint) for c in column.args.get("constraints") or [])
            out.append((column.name, str(canonical_type(parse_type(kind.sql(dialect="clickhouse")))), explicit))
    return out


def _table_target(ch: ClickHouseSession, tree: exp.Expression) -> tuple[str, str] | None:
    target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    tables = tree.args.get("tables") or []
    if target is None and len(tables) == 1:  # DROP TABLE t
        target = tables[0]
    if not isinstance(target, exp.Table):
        return None
    return ch.schema_of_table(target.db or None, target.name), target.name


def _in_transaction(ch: ClickHouseSession, statements: list[str]) -> Any:
    """Run ``statements`` as one transaction (a table and its declared types appear together)."""
    ch.ensure_database()
    ch.apply_limits(ch.settings)
    session = ch.session
    session.execute("BEGIN")
    try:
        results = [session.execute(sql)[-1] for sql in statements]
        session.execute("COMMIT")
    except BaseException:
        if session.transaction_state != "idle":
            session.execute("ROLLBACK")
        raise
    return results[0]


def _probe_types(ch: ClickHouseSession, select: exp.Query) -> list[tuple[str, str]]:
    """(name, ClickHouse type) of the columns of a query, run over no rows."""
    probe = exp.select("*").from_(exp.Subquery(this=select, alias=exp.TableAlias(
        this=exp.to_identifier("_probe")))).limit(0)
    return [(c.name, c.type) for c in _query(ch, probe).columns]


def _typed_create_as(ch: ClickHouseSession, tree: exp.Create) -> exp.Create | None:
    """CREATE TABLE t ENGINE = ... AS SELECT: the table declared with the SELECT's ClickHouse types
    (``number`` gives UInt64, not Nullable(Int64)), its rows inserted after; None when a type is
    not known or is one a table cannot have."""
    select = tree.expression
    if not isinstance(tree.this, exp.Table) or not isinstance(select, exp.Query):
        return None
    probe = exp.select("*").from_(exp.Subquery(this=select.copy(), alias=exp.TableAlias(
        this=exp.to_identifier("_probe")))).limit(0)
    columns = _query(ch, probe).columns
    if not columns or any(c.type.startswith(("Tuple", "Map", "Nothing")) or "Nothing" in c.type for c in columns):
        return None
    listed = ", ".join(f"`{c.name.replace('`', '``')}` {c.type}" for c in columns)
    try:
        schema = sqlglot.parse_one(f"CREATE TABLE _t ({listed}) ENGINE = Memory", dialect=HeliosClickHouse).this
    except sqlglot.errors.ParseError:
        return None
    typed = tree.copy()
    typed.set("this", exp.Schema(this=tree.this.copy(), expressions=schema.expressions))
    typed.set("expression", None)
    return typed


def _create_table(ch: ClickHouseSession, tree: exp.Create) -> ChResult:
    """CREATE TABLE: the table in its nearest SQL types and the ClickHouse types it declares."""
    if isinstance(tree.this, exp.Schema):  # a Nested column: its arrays (rewrites.nested)
        tree.this.set("expressions", nested.expand_columns(tree.this.expressions))
    hidden = column_kinds.prepare(tree.this.expressions, lambda probe: _query(ch, probe).columns[0].type,
                                  HeliosClickHouse) if isinstance(tree.this, exp.Schema) else {}
    declared = _declared_columns(tree)
    target = _table_target(ch, tree)
    temporary = any(isinstance(p, exp.TemporaryProperty) for p in
                    (tree.args.get("properties").expressions if tree.args.get("properties") else []))
    defaults = expression_defaults.expression_defaults(tree.this.expressions if isinstance(tree.this, exp.Schema)
                                                       else [])
    comments = column_comments(*target, tree.this.expressions) if target is not None and \
        isinstance(tree.this, exp.Schema) else []
    engine = merge_engines.engine_of(tree, declared, ch.settings)
    join_engine.check_create(tree, [name for name, _, _ in declared])
    if engine is not None and engine.merging and defaults:
        raise ClickHouseError(48, f"A DEFAULT that uses other columns is not supported in a {engine.name} table")
    sql = ch.translate(tree)
    if target is None or not declared or temporary:
        if defaults:
            raise ClickHouseError(48, "A DEFAULT that uses other columns is supported in tables of a database "
                                      "only (not in temporary tables)")
        result = ch.execute_sql(sql)
        if temporary and target is not None:
            ch.temporary_tables.add(target[1])
        return result
    # the DEFAULTs' triggers made before anything is created: one that cannot be made leaves no table
    triggers = expression_defaults.trigger_statements(ch, *target, defaults) if defaults else []
    recorded = merge_engines.declare_statements(*target, engine) if engine is not None else []
    result = _in_transaction(ch, [sql, *column_types.declare_statements(*target, declared), *comments, *triggers,
                                  *column_kinds.record_statements(*target, hidden), *recorded])
    return ChResult(kind=result.kind)


def column_comments(schema: str, table: str, columns: list[exp.Expression]) -> list[str]:
    """COMMENT ON COLUMN for each column declared with ``COMMENT 'text'`` (system.columns.comment)."""
    out = []
    for column in columns:
        for constraint in column.args.get("constraints") or [] if isinstance(column, exp.ColumnDef) else []:
            if isinstance(constraint.kind, exp.CommentColumnConstraint):
                text = constraint.kind.this.name if isinstance(constraint.kind.this, exp.Literal) else \
                    constraint.kind.this.sql()
                quoted = text.replace("'", "''")
                out.append(f'COMMENT ON COLUMN "{schema}"."{table}"."{column.name}" IS \'{quoted}\'')
    return out


def _add_columns(ch: ClickHouseSession, tree: exp.Alter) -> ChResult:
    """ALTER TABLE ... ADD COLUMN: the columns in their nearest SQL types (zero defaults, NOT NULL
    unless Nullable) and their declared ClickHouse types, in one transaction. The kernel's tables
    keep their columns in the order they were added: a column put ``FIRST`` or ``AFTER`` one that
    is not the last is added at the end there, and the table's ClickHouse order recorded
    (``column_kinds``: what ``SELECT *``, a positional INSERT and DESCRIBE follow)."""
    target = _table_target(ch, tree)
    tree.set("actions", nested.expand_columns(tree.args.get("actions") or []))
    current = [c.name for c in (ch.table_columns(*target) or [])] if target is not None else []
    order = column_kinds.ordered_columns(ch, *target) if target is not None else []
    placed = False  # a column goes elsewhere than at the end: the table's order is recorded
    declared = []
    for action in tree.args.get("actions") or []:
        if not isinstance(action, exp.ColumnDef):
            continue
        position = action.args.get("position")
        where = len(order)
        if position is not None:
            after = position.this.name if position.this is not None else None
            if str(position.args.get("position") or "").upper() == "FIRST":
                where = 0
            elif after in order:
                where = order.index(after) + 1
            else:
                raise ClickHouseError(16, f"Wrong column name. Cannot find column {after} to insert after")
        placed = placed or where != len(order)
        order.insert(where, action.name)
        current.append(action.name)
        kind = action.args.get("kind")
        if kind is not None:
            explicit = any(isinstance(c.kind, exp.DefaultColumnConstraint) for c in action.args.get("constraints") or [])
            declared.append((action.name, str(canonical_type(parse_type(kind.sql(dialect="clickhouse")))), explicit))
    actions = [a for a in tree.args.get("actions") or [] if isinstance(a, exp.ColumnDef)]
    for name, sibling, type_name in _nested_added_later(actions, current[:len(current) - len(actions)]):
        # a Nested structure's array added later: as long as its siblings, of the element's default, for
        # the rows already there and the rows that come without it, as ClickHouse reads them
        action = next(a for a in actions if a.name == name)
        expression = sqlglot.parse_one(f"arrayResize(CAST([] AS {type_name}), length(`{sibling}`))",
                                       read=HeliosClickHouse)
        action.append("constraints", exp.ColumnConstraint(kind=exp.DefaultColumnConstraint(this=expression)))
    defaults = expression_defaults.expression_defaults(actions)
    not_null = set()
    for _, name, _, type_name in defaults:
        defaults_first = next(a for a in actions if a.name == name)
        defaults_first.meta[NOT_NULL_LATER] = True  # filled below, then NOT NULL
        if not parse_type(type_name).nullable:
            not_null.add(name)
    comments = column_comments(*target, actions) if target is not None else []
    sql = ch.translate(tree)
    if target is None or not declared:
        return ch.execute_sql(sql)
    fill = []
    if defaults:  # the rows already there get the DEFAULT computed from their values
        offset = len(current) - len(actions)
        defaults = [(offset + position, name, expression, type_name)
                    for position, name, expression, type_name in defaults]
        schema, table = target
        relation = f'"{schema}"."{table}"'
        for _, name, expression, type_name in defaults:
            value = expression_defaults.kernel_expression(ch, schema, table, expression, type_name, None)
            fill.append(f'UPDATE {relation} SET "{name}" = {value}')
            if name in not_null:
                fill.append(f'ALTER TABLE {relation} ALTER COLUMN "{name}" SET NOT NULL')
    triggers = expression_defaults.trigger_statements(ch, *target, defaults) if defaults else []
    ordering = column_kinds.order_statements(*target, order) if placed else []
    result = _in_transaction(ch, [sql, *column_types.add_statements(*target, declared), *comments, *fill,
                                  *triggers, *ordering])  # one transaction: a DEFAULT that cannot run adds no column
    return ChResult(kind=result.kind)


def _nested_added_later(actions: list[exp.ColumnDef], existing: list[str]) -> list[tuple[str, str, str]]:
    """(name, a sibling's name, type) of each array column ADD COLUMN gives a Nested structure the table
    has (``n.x`` beside ``n.y``) with no DEFAULT."""
    out = []
    for action in actions:
        prefix, dot, _ = action.name.rpartition(".")
        kind = action.args.get("kind")
        sibling = next((c for c in existing if c.startswith(prefix + ".")), None) if dot else None
        has_default = any(isinstance(c.kind, exp.DefaultColumnConstraint | exp.ComputedColumnConstraint)
                          for c in action.args.get("constraints") or [])
        if sibling is None or kind is None or has_default:
            continue
        type_name = kind.sql(dialect="clickhouse")
        if type_name.startswith("Array("):
            out.append((action.name, sibling, type_name))
    return out


def _drop_table(ch: ClickHouseSession, tree: exp.Drop) -> ChResult:
    """DROP TABLE: the table and its declared types."""
    target = _table_target(ch, tree)
    if target is not None:
        kind = _relation_kind(ch, *target)
        if kind in ("v", "m"):  # ClickHouse's DROP TABLE drops views too
            tree.set("kind", "VIEW" if kind == "v" else "MATERIALIZED VIEW")
            if materialized_views.recorded(ch.session):  # a materialized view TO a table: its record and types
                result = _in_transaction(ch, [ch.translate(tree), materialized_views.forget_statement(*target),
                                              column_types.forget_statement(*target)])
                return ChResult(kind=result.kind)
            return ch.execute_sql(ch.translate(tree))
    tree.set("cascade", True)  # ClickHouse drops a table that views read (they fail when next read)
    sql = ch.translate(tree)
    if target is not None and target[0] == "pg_temp":
        result = ch.execute_sql(sql)
        ch.temporary_tables.discard(target[1])
        return result
    if target is None or not column_types.declarations_exist(ch.session):
        return ch.execute_sql(sql)
    functions = expression_defaults.drop_statements(ch.session, *target)  # its DEFAULTs' trigger functions
    engines = [merge_engines.forget_statement(*target)] if merge_engines.recorded(ch.session) else []
    kinds = [column_kinds.forget_statement(*target)] if column_kinds.exists(ch.session) else []
    views = [materialized_views.forget_statement(*target)] if materialized_views.recorded(ch.session) else []
    result = _in_transaction(ch, [sql, column_types.forget_statement(*target), *functions, *engines, *kinds, *views])
    return ChResult(kind=result.kind)


def _relation_kind(ch: ClickHouseSession, schema: str, name: str) -> str | None:
    rows = ch.session.execute(
        "SELECT c.relkind FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON c.relnamespace = n.oid "
        f"WHERE n.nspname = '{schema.replace(chr(39), chr(39) * 2)}' AND c.relname = "
        f"'{name.replace(chr(39), chr(39) * 2)}'")[-1].rows()
    return rows[0][0] if rows else None


def _query(ch: ClickHouseSession, tree: exp.Query) -> ChResult:
    """A query, with its own SETTINGS in force while it runs."""
    column_kinds.expand_stars(ch, tree)  # * leaves out MATERIALIZED and ALIAS columns
    tree = nested.rewrite(tree, ch.rewrite_context())  # n.x of a Nested column: the column `n.x` from here on
    query_settings = settings_of(list(tree.args.get("settings") or []))
    session_settings = ch.settings
    ch.settings = {**session_settings, **query_settings}
    try:
        limits.check(ch.settings)
        admitted = _check_read_and_groups(ch, tree) if limits.any_set(ch.settings) else None
        result = _run_query(ch, tree, admitted)
        if result.columns is not None and isinstance(result.batches, list):
            if isinstance(tree, exp.Select) and tree.args.get("order"):
                limits.check_sorted(ch.settings, result.rows or 0)
            limits.check_result(ch.settings, result.rows or 0)
        return result
    finally:
        ch.settings = session_settings


def _check_read_and_groups(ch: ClickHouseSession, tree: exp.Query) -> exp.Expression | None:
    """max_rows_to_read over the tables the query reads; max_rows_to_group_by of its GROUP BY:
    with group_by_overflow_mode = 'any' past the limit, the condition on the keys it admits."""

    def table_of(t: exp.Table) -> tuple[str, str] | None:
        if not isinstance(t.this, exp.Identifier) or (t.db or "").lower() == "system":
            return None
        database, name = (t.db, t.name) if t.db else (ch.database, t.name)
        return (database, name) if ch.table_columns(schema_of(database), name) is not None else None

    def count_rows(t: exp.Table) -> int:
        database, name = table_of(t)  # type: ignore[misc]
        return _count(ch, exp.select("count()").from_(exp.table_(name, db=database, quoted=True)))

    limits.check_tables_read(ch.settings, tree, count_rows, lambda t: table_of(t) is not None)
    if isinstance(tree, exp.Select) and tree.args.get("group"):
        def groups() -> tuple[int, int]:
            grouped = tree.copy()
            for key in ("having", "order", "limit", "offset", "settings", "format", "totals"):
                grouped.set(key, None)
            source = grouped.copy()
            for key in ("group", "where", "prewhere", "distinct"):
                source.set(key, None)
            source.set("expressions", [exp.Literal.number(1)])
            return (_count(ch, exp.select("count()").from_(grouped.subquery("_groups"))),
                    _count(ch, exp.select("count()").from_(source.subquery("_rows"))))

        try:
            limits.check_groups(ch.settings, groups)
        except ClickHouseError as refused:
            if refused.code != limits.NOT_IMPLEMENTED or limits.mode(ch.settings, "group_by_overflow_mode") != "any":
                raise
            admitted = _keys_admitted(ch, tree)
            if admitted is None:
                raise
            return admitted
    return None


def _keys_admitted(ch: ClickHouseSession, select: exp.Select) -> exp.Expression | None:
    """group_by_overflow_mode = 'any': ClickHouse adds no key once a block (``max_block_size`` rows
    of the source) has taken the groups past max_rows_to_group_by; the keys admitted are those of
    the source's rows up to the end of that block: ``(keys) IN (the keys of those rows)``. None
    when the source is not one table or subquery (joins, ARRAY JOIN)."""
    source = select.args.get("from_")
    if source is None or select.args.get("joins") or not isinstance(source.this, exp.Table | exp.Subquery):
        return None
    limit, blocks = int(ch.settings.get("max_rows_to_group_by") or 0), limits.block_size(ch.settings)
    alias = source.this.alias_or_name or "_source"

    def first_rows(n: int) -> exp.Select:
        grouped = select.copy()
        for clause in ("having", "order", "limit", "offset", "settings", "format"):
            grouped.set(clause, None)
        if grouped.args.get("group") is not None:
            grouped.args["group"].set("totals", None)
        head = exp.select("*").from_(source.this.copy()).limit(n)
        grouped.set("from_", exp.From(this=exp.Subquery(this=head, alias=exp.TableAlias(
            this=exp.to_identifier(alias)))))
        return grouped

    n = blocks
    while _count(ch, exp.select("count()").from_(first_rows(n).subquery("_groups"))) <= limit:
        n += blocks
    aliases = {a.alias: a.this for e in select.expressions for a in e.find_all(exp.Alias)}  # ignore(rand() AS k)
    keys = [aliases.get(k.name, k) if isinstance(k, exp.Column) and not k.table else k
            for k in select.args["group"].expressions]
    if any(isinstance(f, exp.Rand) or isinstance(f, exp.Anonymous) and str(f.this).lower() in _VOLATILE
           for k in keys for f in k.walk()):
        # keys that differ on each reading cannot be admitted by a second reading: the groups are
        # those of the rows read up to that block (a later row's new random key is never one of them)
        head = exp.select("*").from_(source.this.copy()).limit(n)
        select.set("from_", exp.From(this=exp.Subquery(this=head, alias=exp.TableAlias(
            this=exp.to_identifier(alias)))))
        return exp.true()
    names = [f"_admitted_key{i}" for i in range(len(keys))]
    grouped = first_rows(n)
    grouped.set("expressions", [*grouped.expressions, *(exp.alias_(k.copy(), name, quoted=True)
                                                        for k, name in zip(keys, names, strict=True))])
    kept = exp.select(*(exp.column(name, quoted=True) for name in names)).from_(
        exp.Subquery(this=grouped, alias=exp.TableAlias(this=exp.to_identifier("_admitted"))))
    left = keys[0].copy() if len(keys) == 1 else exp.Tuple(expressions=[k.copy() for k in keys])
    return exp.In(this=left, query=exp.Subquery(this=kept))


_VOLATILE = {"rand", "rand32", "rand64", "randconstant", "generateuuidv4", "now", "now64", "rownumberinblock",
             "rownumberinallblocks", "blocknumber", "randuniform", "randnormal"}


def _count(ch: ClickHouseSession, query: exp.Select) -> int:
    result = ch.execute_tree(query)
    values = result.batches[0].column(0).to_pylist() if result.batches else [0]
    return int(values[0] or 0)


def _run_query(ch: ClickHouseSession, tree: exp.Query, admitted: exp.Expression | None = None) -> ChResult:
    parts = _blocks_of_union(ch, tree)
    if parts is not None:
        return _union_blocks(ch, tree, parts)
    carried = tree.copy() if carries_totals(tree) else None
    fmt = tree.args.get("format")
    tree.set("format", None)
    query_settings = settings_of(list(tree.args.get("settings") or []))
    tree.set("settings", None)
    first = tree
    while isinstance(first, exp.SetOperation):
        first = first.this
    names: list[str] = []
    hints: list[str | None] = []
    if isinstance(first, exp.Select):
        star = annotate_sources(first, ch.table_columns, ch.database)
        names = _right_side_names(first, [column_name(e) for e in first.expressions], ch)
        hints = [hint_type(e, first) for e in first.expressions]
        _settle_type_names(first)
        _empty_aggregate_defaults(first)
        _typed_rewrites(first)
        _enum_numbers(first)
        if any(isinstance(e, exp.Star) or isinstance(e, exp.Column) and isinstance(e.this, exp.Star)
               for e in first.expressions):
            names, hints = [], star or []
        else:  # ClickHouse's names on the kernel's columns
            first.set("expressions", [e if isinstance(e, exp.Alias) else exp.alias_(e, n, quoted=True)
                                      for e, n in zip(first.expressions, names, strict=True)])
        parts = union_parts(tree) if isinstance(tree, exp.Union) else None
        if parts is not None and hints:  # the parts' common types
            for part in parts[1:]:
                annotate_sources(part, ch.table_columns, ch.database)
            others = union_types(parts[1:])
            hints = [union_types_of(h, o) for h, o in zip(hints, others, strict=True)]
    for hint in hints:  # states are kept as text of our own: ClickHouse's bytes of them are not made
        if hint and hint.startswith("AggregateFunction("):
            raise ClickHouseError(48, f"Reading a value of type {hint} (the binary serialization of an aggregate "
                                      "function state) is not supported: finalize it with finalizeAggregation or "
                                      "an -Merge aggregate")
    outer_join = any(str(j.args.get("side") or "").upper() in ("LEFT", "RIGHT", "FULL")
                     for j in tree.find_all(exp.Join)) or has_grouping_sets(tree)
    totals_mode = {**ch.settings, **query_settings}.get("totals_mode", "after_having_exclusive")
    totals_tree = _totals_query(tree, totals_mode) if isinstance(tree, exp.Select) else None
    if admitted is not None and isinstance(tree, exp.Select):
        # groups of the keys max_rows_to_group_by admitted ('any'); the rows of the others are in the
        # totals unless totals_mode is after_having_exclusive
        having = tree.args.get("having")
        tree.set("having", exp.Having(this=exp.and_(having.this, admitted.copy()) if having else admitted.copy()))
        if totals_tree is not None and totals_mode.strip("'") == "after_having_exclusive":
            totals_tree.where(admitted.copy(), copy=False)
    limited = _rows_before_limit_query(tree)
    fill_join_defaults = outer_join and {**ch.settings, **query_settings}.get("join_use_nulls", "0") not in ("1", "true")
    # a streamed result's batches can be read once, by the protocol: whatever below reads
    # result.batches or result.rows (join defaults, totals, JSON's counts, extremes) needs it whole
    stream = ch.stream_results and not limits.needs_whole_result(ch.settings) and not fill_join_defaults and totals_tree is None and carried is None and \
        not (fmt is not None and fmt.name.startswith("JSON")) and \
        {**ch.settings, **query_settings}.get("extremes", "0") not in ("1", "true")
    json_format = fmt is not None and fmt.name.startswith("JSON")
    extremes = {**ch.settings, **query_settings}.get("extremes", "0") in ("1", "true")
    # a translation may be kept (query_cache) when running it again is all the answer takes
    plain = not (fill_join_defaults or extremes or totals_tree is not None or carried is not None or
                 admitted is not None or query_settings or limited is not None and json_format)
    result = ch.execute_tree(tree, format=fmt.name if fmt is not None else None, types=hints, stream=stream,
                             remember=ch.take_recording() if plain else None)
    result.settings = query_settings
    if fill_join_defaults:
        _fill_join_defaults(result, hints)
    if extremes and isinstance(result.batches, list) and result.rows:  # a streamed result: its reader's job
        result.extremes = _extremes(result)
    if totals_tree is not None:
        totals = ch.execute_tree(totals_tree)
        result.totals = _fill_defaults(totals, result)
    elif carried is not None and result.columns is not None:
        row = totals_row(carried, lambda q: _query(ch, q))
        result.totals = _as_result_row(row, result) if row is not None else None
    if limited is not None and fmt is not None and fmt.name.startswith("JSON") and reads_unbounded_numbers(limited):
        # counting an endless system.numbers never ends: what the LIMIT served is the "at least"
        # (ClickHouse's own count for an unfiltered read, which stops at the LIMIT as well)
        result.rows_before_limit = _offset_of(tree) + (result.rows or 0)
    elif limited is not None and fmt is not None and fmt.name.startswith("JSON"):
        counted = ch.execute_tree(limited)
        rows = counted.batches[0].column(0).to_pylist() if counted.batches else [0]
        result.rows_before_limit = int(rows[0] or 0)
    elif fmt is not None and fmt.name.startswith("JSON") and totals_tree is not None:
        result.rows_before_limit = None
    return result


def _right_side_names(select: exp.Select, names: list[str], ch: ClickHouseSession) -> list[str]:
    """A joined side's column whose name the left side also has is called ``alias.name``
    (``js2.b``), as ClickHouse names it; other qualified columns keep their bare name."""
    source = select.args.get("from_")
    joins = [j for j in select.args.get("joins") or [] if str(j.args.get("kind") or "").upper() != "ARRAY"]
    if source is None or not joins:
        return names
    left = set(source_column_names(source.this, ch.table_columns, ch.database) or [])
    sides = {j.this.alias_or_name for j in joins if j.this.alias_or_name}
    out = []
    for item, name in zip(select.expressions, names, strict=True):
        if isinstance(item, exp.Column) and item.table in sides and item.name in left:
            name = f"{item.table}.{item.name}"
        out.append(name)
    return out


def union_types_of(first: str | None, others: str | None) -> str | None:
    """The common type of the first part's column and the other parts' (None: unknown)."""
    if first is None or others is None:
        return None
    common = common_type([first, others])
    if common is None and all(k == "String" or k.startswith("FixedString(") for k in (first, others)):
        return "String"
    return common


def _as_result_row(row: pa.RecordBatch, result: ChResult) -> pa.RecordBatch | None:
    """A totals row in the result's column names and (where they convert) Arrow types."""
    if row.num_columns != len(result.columns or []):
        return None
    arrays = []
    for i, array in enumerate(row.columns):
        target = result.batches[0].column(i).type if result.batches else array.type
        try:
            arrays.append(array.cast(target) if array.type != target else array)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            arrays.append(array)
    return pa.RecordBatch.from_arrays(arrays, names=[c.name for c in result.columns or []])


def _blocks_of_union(ch: ClickHouseSession, tree: exp.Query) -> list[exp.Query] | None:
    """The SELECTs of a UNION ALL whose parts a Pretty format shows as tables of their own
    (``output_format_pretty_squash_consecutive_ms = 0``, formerly ``output_format_pretty_squash_ms``:
    ClickHouse does not glue the parts' blocks)."""
    fmt = tree.args.get("format")
    if not isinstance(tree, exp.Union) or tree.args.get("distinct") or fmt is None or \
            not fmt.name.startswith("Pretty") or "MonoBlock" in fmt.name:
        return None
    settings = {**ch.settings, **settings_of(list(tree.args.get("settings") or []))}
    if "0" not in (settings.get("output_format_pretty_squash_consecutive_ms"),
                   settings.get("output_format_pretty_squash_ms")):
        return None
    parts: list[exp.Query] = []
    node: exp.Expression = tree
    while isinstance(node, exp.Union) and not node.args.get("distinct") and \
            not any(node.args.get(k) for k in ("order", "limit", "offset")):
        parts.insert(0, node.expression)
        node = node.this
    return [node, *parts] if isinstance(node, exp.Select) and all(isinstance(p, exp.Select) for p in parts) else None


def _union_blocks(ch: ClickHouseSession, tree: exp.Query, parts: list[exp.Query]) -> ChResult:
    """Each part of the UNION ALL run on its own; the answer keeps where each part's rows begin."""
    combined: ChResult | None = None
    for part in parts:
        part = part.copy()
        part.set("format", tree.args["format"].copy())
        if tree.args.get("settings"):
            part.set("settings", [s.copy() for s in tree.args["settings"]])
        result = _query(ch, part)
        if combined is None:
            combined = result
            combined.block_starts = [0]
            continue
        combined.block_starts.append(combined.rows)
        combined.batches.extend(b.rename_columns([c.name for c in combined.columns or []]) for b in result.batches)
    assert combined is not None
    return combined


def _fill_join_defaults(result: ChResult, declared: list[str | None]) -> None:
    """Outer joins fill missing rows with the columns' default values (join_use_nulls = 0); a
    Nullable column's default is NULL, an Enum's its label of the least number."""
    if result.columns is None:
        return
    filled = []
    for batch in result.batches:
        arrays = []
        for i, array in enumerate(batch.columns):
            type_name = declared[i] if i < len(declared) else None
            if type_name and type_name.startswith("Nullable("):
                arrays.append(array)
                continue
            enum = parse_type(type_name).inner if type_name and type_name.startswith("Enum") else None
            default = enum_default(enum) if enum is not None and enum.args else _default_for_arrow(array.type)
            arrays.append(array.fill_null(default) if array.null_count and default is not None else array)
        filled.append(pa.RecordBatch.from_arrays(arrays, names=batch.schema.names))
    result.batches = filled
    for i, col in enumerate(result.columns):
        if col.type.startswith("Nullable(") and not any(b.column(i).null_count for b in filled) and \
                not (i < len(declared) and (declared[i] or "").startswith("Nullable(")):
            col.type = col.type[len("Nullable("):-1]


def _default_for_arrow(t: pa.DataType) -> Any:
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        return 0
    if pa.types.is_decimal(t):  # a UInt64 (numeric(20,0)) or a Decimal
        return decimal.Decimal(0)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return ""
    if pa.types.is_boolean(t):
        return False
    if pa.types.is_date(t):
        return EPOCH.date()
    if pa.types.is_timestamp(t):
        return EPOCH
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return []
    return None


def _extremes(result: ChResult) -> pa.RecordBatch:
    """The ``extremes = 1`` rows: every column's minimum and maximum over the result."""
    table = pa.Table.from_batches(result.batches)
    arrays = []
    for column in table.columns:
        values = [v for v in column.to_pylist() if v is not None]
        try:  # tuples (records) in order of their elements, as ClickHouse compares them
            low, high = (min(values, key=_order_key), max(values, key=_order_key)) if values else (None, None)
        except TypeError:  # values that do not order: ClickHouse shows the first
            low = high = values[0]
        arrays.append(pa.array([low, high], column.type))
    return pa.RecordBatch.from_arrays(arrays, names=table.column_names)


def _order_key(value: Any) -> Any:
    """A value as Python orders it: a record (a dict of its fields) as the tuple of its elements."""
    if isinstance(value, dict):
        return tuple(_order_key(v) for v in value.values())
    if isinstance(value, list):
        return [_order_key(v) for v in value]
    return value


def _settle_type_names(select: exp.Select) -> None:
    """toTypeName(x) where the query settles x's type (``number`` of numbers() is UInt64)."""
    for node in list(select.find_all(exp.Anonymous, exp.Typeof)):
        name = str(node.this).lower() if isinstance(node, exp.Anonymous) else "totypename"
        args = node.expressions if isinstance(node, exp.Anonymous) else [node.this]
        if name == "totypename" and len(args) == 1:
            hint = hint_type(args[0], select)
            if hint and isinstance(args[0], exp.Literal | exp.Null):
                node.replace(exp.Literal.string(hint))
            elif hint:  # the argument stays: an aggregate keeps the query aggregating, arrayJoin its rows
                node.replace(exp.Anonymous(this="ch_type_hint", expressions=[exp.Literal.string(hint), args[0]]))


def _typed_rewrites(select: exp.Select) -> None:
    """Rules that need the types of the select's columns: length of a FixedString(N) is N;
    DateTime +/- a number counts seconds."""
    for node in list(select.find_all(exp.Anonymous)):  # assumeNotNull(NULL): the type's default
        if str(node.this).lower() == "assumenotnull" and len(node.expressions) == 1:
            hint = hint_type(node.expressions[0], select) or ""
            inner = hint[len("Nullable("):-1] if hint.startswith("Nullable(") else ""
            default = "0" if int_parts(inner) is not None else _DEFAULT_LITERALS.get(inner)
            if default is not None:
                node.replace(exp.Coalesce(this=node.expressions[0].copy(), expressions=[sqlglot.parse_one(default)]))
    for node in list(select.find_all(exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE)):
        # a FixedString compares as its text without the zero padding (a String beside it is padded
        # to the same width in ClickHouse: the same answer), stored or made by toFixedString alike
        for side in ("this", "expression"):
            operand = node.args.get(side)
            if operand is not None and (hint_type(operand, select) or "").startswith("FixedString("):
                node.set(side, exp.Anonymous(this="toString", expressions=[operand.copy()]))
    for node in list(select.find_all(exp.Length, exp.Add, exp.Sub)):
        if isinstance(node, exp.Length):
            hint = hint_type(node.this, select) or ""
            if hint.startswith("FixedString("):
                node.replace(exp.Literal.number(hint[len("FixedString("):-1]))
            continue
        left, right = hint_type(node.this, select), hint_type(node.expression, select)
        if isinstance(node, exp.Sub) and left == right == "DateTime":  # the seconds between
            node.replace(exp.Cast(this=exp.Anonymous(this="date_part", expressions=[
                exp.Literal.string("epoch"), exp.Sub(this=node.this.copy(), expression=node.expression.copy())]),
                to=exp.DataType.build("bigint")))
            continue
        if left == "DateTime" and int_parts(right) is not None or \
                isinstance(node, exp.Add) and right == "DateTime" and int_parts(left) is not None:
            number, moment = (node.expression, node.this) if left == "DateTime" else (node.this, node.expression)
            seconds = exp.Mul(this=exp.Paren(this=number.copy()),
                              expression=exp.Cast(this=exp.Literal.string("1 second"),
                                                  to=exp.DataType.build("interval")))
            node.replace(type(node)(this=moment.copy(), expression=seconds))


_DEFAULT_LITERALS = {"String": "''", "Float32": "0", "Float64": "0"}


def _empty_aggregate_defaults(select: exp.Select) -> None:
    """min/max/any over no rows (an aggregate without GROUP BY): the type's default, not NULL,
    when the argument cannot be NULL (ClickHouse's rule for non-Nullable arguments); avg and
    avgIf of no rows are nan (0/0), in groups too."""
    for node in list(select.find_all(exp.Avg, exp.Anonymous, exp.AnonymousAggFunc)):
        if node.find_ancestor(exp.Select) is not select or isinstance(node.parent, exp.Coalesce):
            continue
        generic = isinstance(node, exp.Anonymous | exp.AnonymousAggFunc)
        if generic and (str(node.this).lower() != "avgif" or not node.expressions):
            continue
        arg = node.expressions[0] if generic else node.this
        hint = hint_type(arg, select) or ""
        if int_parts(hint) is not None or hint in ("Float32", "Float64"):
            node.replace(exp.Coalesce(this=node.copy(), expressions=[exp.column("nan")]))
    if select.args.get("group") is not None:
        return
    for node in list(select.find_all(exp.Min, exp.Max, exp.AnyValue, exp.Anonymous)):
        if node.find_ancestor(exp.Select) is not select:
            continue
        if isinstance(node, exp.Anonymous):
            if str(node.this).lower() not in ("any", "anylast", "argmin", "argmax") or not node.expressions:
                continue
            arg = node.expressions[0]
        elif isinstance(node, exp.Min | exp.Max) and node.expressions:
            continue  # min(a, b) of ClickHouse is least(): not an aggregate
        else:
            arg = node.this
        hint = hint_type(arg, select)
        default = "0" if int_parts(hint) is not None else _DEFAULT_LITERALS.get(hint or "")
        if default is None or isinstance(node.parent, exp.Coalesce):
            continue
        wrapped = exp.Coalesce(this=node.copy(), expressions=[sqlglot.parse_one(default)])
        node.replace(wrapped)


def _enum_number(column: exp.Column, enum: ChType) -> exp.Expression:
    """The number behind an Enum column's label (``CASE e WHEN 'a' THEN 1 ... END``)."""
    case = exp.Case(this=column.copy())
    for arg in enum.args:
        label, _, number = str(arg).rpartition("=")
        case = case.when(exp.Literal.string(_enum_text(label.strip())), exp.Literal.number(int(number)))
    return case


def _enum_text(quoted: str) -> str:
    return enum_label(quoted)


def _enum_numbers(select: exp.Select) -> None:
    """An Enum column (stored as its labels) sorts by its numbers, and to*Int*() gives them."""
    def enum_of(node: exp.Expression) -> ChType | None:
        if isinstance(node, exp.Cast | exp.CastToStrType):
            hint = hint_type(node, select)
            inner = parse_type(hint).inner if hint and hint.startswith("Enum") else None
            return inner if inner is not None and inner.args else None
        if not isinstance(node, exp.Column) or isinstance(node.this, exp.Literal):
            return None
        hint = hint_type(node, select)
        inner = parse_type(hint).inner if hint and "Enum" in hint else None
        return inner if inner is not None and inner.name in ("Enum8", "Enum16") and inner.args else None

    order = select.args.get("order")
    if order is not None and not select.args.get("distinct"):  # an empty array sorts before every
        # other (the kernel puts it last)
        keys = []
        for ordered in order.expressions:
            if (hint_type(ordered.this, select) or "").startswith("Array("):
                keys.append(exp.Ordered(this=exp.NEQ(this=exp.Length(this=ordered.this.copy()),
                                                     expression=exp.Literal.number(0)), desc=ordered.args.get("desc")))
            keys.append(ordered)
        order.set("expressions", keys)
    order = select.args.get("order") if not select.args.get("distinct") else None
    for ordered in order.expressions if order is not None else []:
        enum = enum_of(ordered.this)
        if enum is not None:
            ordered.set("this", _enum_number(ordered.this, enum))
    for call in list(select.find_all(exp.Anonymous)):
        name = str(call.this).lower()
        if name.startswith(("toint", "touint", "tofloat")) and len(call.expressions) == 1:
            enum = enum_of(call.expressions[0])
            if enum is not None:
                call.set("expressions", [_enum_number(call.expressions[0], enum)])
    for cast in list(select.find_all(exp.Cast, exp.CastToStrType)):  # CAST(e AS Int8): the number
        target = cast.args.get("to")
        target_name = target.this if isinstance(target, exp.Literal) else \
            target.sql(dialect="clickhouse") if isinstance(target, exp.DataType) else ""
        if re.match(r"(U?Int\d+|Float\d+|Decimal)", target_name or "") and (enum := enum_of(cast.this)) is not None:
            cast.set("this", _enum_number(cast.this, enum))


def _totals_query(select: exp.Select, mode: str = "after_having_exclusive") -> exp.Select | None:
    """The query of the totals row: every group's rows, or with HAVING only those of the groups it
    keeps (``totals_mode``: ``before_having`` totals them all)."""
    group = select.args.get("group")
    if group is None or not group.args.get("totals"):
        return None
    group.set("totals", None)
    if not group.expressions and not group.args.get("rollup") and not group.args.get("cube"):
        select.set("group", None)  # WITH TOTALS alone: the whole input is the one group
    totals = select.copy()
    totals.set("group", None)
    totals.set("having", None)
    if select.args.get("having") is not None and group.expressions and mode.strip("'") != "before_having":
        totals.where(_groups_kept_by_having(select), copy=False)
    totals.set("order", None)
    totals.set("limit", None)
    totals.set("offset", None)
    items = []
    for n, item in enumerate(totals.expressions):
        inner = item.this if isinstance(item, exp.Alias) else item
        if not _is_aggregate(inner):  # a key: its default value in the totals row (filled in later);
            # any() keeps an arrayJoin in it multiplying the rows the aggregates see; a constant stays
            keep = exp.Anonymous(this="any", expressions=[inner.copy()]) if inner.find(exp.Explode) else \
                inner.copy() if not inner.find(exp.Column) else exp.Null()
            constant = not isinstance(keep, exp.Null) and not inner.find(exp.Explode)
            kind = "_totals_value" if constant else "_totals_key"
            items.append(exp.alias_(keep, f"{kind}{n}", quoted=True))
        else:
            items.append(exp.alias_(inner.copy(), f"_totals{n}", quoted=True))
    totals.set("expressions", items)
    return totals


def _groups_kept_by_having(select: exp.Select) -> exp.Expression:
    """The rows of the groups HAVING keeps (ClickHouse's totals_mode after_having_exclusive):
    ``(keys) IN (SELECT keys FROM <the grouped query>)``."""
    aliases = {e.alias: e.this for e in select.expressions if isinstance(e, exp.Alias)}
    keys = [aliases.get(k.name, k) if isinstance(k, exp.Column) and not k.table else k
            for k in select.args["group"].expressions]
    grouped = select.copy()
    for clause in ("order", "limit", "offset"):
        grouped.set(clause, None)
    names = [f"_having_key{i}" for i in range(len(keys))]
    grouped.set("expressions", [*grouped.expressions, *(exp.alias_(k.copy(), n, quoted=True)
                                                         for k, n in zip(keys, names, strict=True))])
    kept = exp.select(*(exp.column(n, quoted=True) for n in names)).from_(
        exp.Subquery(this=grouped, alias=exp.TableAlias(this=exp.to_identifier("_having"))))
    left = keys[0].copy() if len(keys) == 1 else exp.Tuple(expressions=[k.copy() for k in keys])
    return exp.In(this=left, query=exp.Subquery(this=kept))


_AGGREGATES = (exp.AggFunc,)
_AGG_NAMES = {"count", "sum", "avg", "min", "max", "any", "anylast", "uniq", "uniqexact", "grouparray",
              "groupuniqarray", "quantile", "quantiles", "median", "argmin", "argmax", "topk", "sumif", "countif",
              "avgif", "minif", "maxif", "sumarray", "stddevpop", "stddevsamp", "varpop", "varsamp", "quantiletiming",
              "quantilestiming", "quantiletimingweighted", "quantilestimingweighted", "mediantiming",
              "mediantimingweighted"}


def _is_aggregate(node: exp.Expression) -> bool:
    for sub in node.walk():
        if isinstance(sub, _AGGREGATES):
            return True
        if isinstance(sub, exp.Anonymous) and str(sub.this).lower() in _AGG_NAMES:
            return True
    return False


def _rows_before_limit_query(tree: exp.Query) -> exp.Expression | None:
    """``SELECT count(*)`` of the rows a LIMIT saw (the outermost LIMIT, else one in a FROM subquery)."""
    if not isinstance(tree, exp.Select):
        return None
    if tree.args.get("limit") is not None:
        inner = tree.copy()
        inner.set("limit", None)
        inner.set("offset", None)
        inner.set("order", None)
        g = inner.args.get("group")
        if g is not None:
            g.set("totals", None)
        return exp.select(exp.Count(this=exp.Star())).from_(exp.Subquery(
            this=inner, alias=exp.TableAlias(this=exp.to_identifier("_limited"))))
    source = tree.args.get("from_")
    if source is not None and isinstance(source.this, exp.Subquery) and \
            isinstance(source.this.this, exp.Select) and source.this.this.args.get("limit") is not None:
        counted = exp.select(exp.Count(this=exp.Star())).from_(exp.Subquery(
            this=source.this.this.copy(), alias=exp.TableAlias(this=exp.to_identifier("_limited"))))
        where = tree.args.get("where")
        if where is not None and not any(isinstance(n, exp.Column) and not isinstance(n.this, exp.Star)
                                         for n in where.this.walk()):
            # a condition on no column is decided before any row is read: when false, the
            # LIMIT below sees no rows (ClickHouse reports 0)
            counted.set("where", where.copy())
        return counted
    return None


def _offset_of(tree: exp.Expression) -> int:
    offset = tree.args.get("offset")
    value = offset.expression if isinstance(offset, exp.Offset) else None
    return int(value.this) if isinstance(value, exp.Literal) and value.is_int else 0


def _fill_defaults(totals: ChResult, result: ChResult) -> pa.RecordBatch | None:
    """The totals row with the grouping keys' default values (0, '', ...), as ClickHouse shows them."""
    if not totals.batches or result.columns is None:
        return None
    batch = totals.batches[0].slice(0, 1)
    arrays = []
    for i, col in enumerate(result.columns):
        value = batch.column(i)
        is_key = totals.columns is not None and totals.columns[i].name.startswith("_totals_key")
        if is_key or value.null_count == len(value):
            target = result.batches[0].column(i).type if result.batches else None
            default = type_default(col.type)
            if default is None:
                arrays.append(pa.nulls(1, target or value.type))
            elif target is None or pa.types.is_null(target):
                arrays.append(pa.array([default]))
            else:
                arrays.append(pa.array([default], target))
        else:
            arrays.append(value)
    return pa.RecordBatch.from_arrays(arrays, names=[c.name for c in result.columns])


# -- statements sqlglot does not parse as ClickHouse runs them ------------------------------

_SHOW_TABLES = re.compile(r"^SHOW\s+(?:FULL\s+)?TABLES(?:\s+(?:FROM|IN)\s+(?P<db>[\w`\"]+))?"
                          r"(?:\s+(?P<not>NOT\s+)?(?P<op>I?LIKE)\s+(?P<pattern>'(?:[^'\\]|\\.)*'))?\s*"
                          r"(?:FORMAT\s+(?P<fmt>\w+))?$", re.IGNORECASE | re.DOTALL)
_SHOW_DATABASES = re.compile(r"^SHOW\s+DATABASES(?:\s+(?P<not>NOT\s+)?(?P<op>I?LIKE)\s+"
                             r"(?P<pattern>'(?:[^'\\]|\\.)*'))?\s*(?:FORMAT\s+(?P<fmt>\w+))?$",
                             re.IGNORECASE | re.DOTALL)
_EXISTS = re.compile(r"^EXISTS\s+(?:(?:TEMPORARY\s+)?TABLE\s+|DATABASE\s+|VIEW\s+|DICTIONARY\s+)?"
                     r"(?P<name>[\w`\".]+)\s*(?:FORMAT\s+(?P<fmt>\w+))?$", re.IGNORECASE)
_DESCRIBE = re.compile(r"^(?:DESCRIBE|DESC)\s+(?:TABLE\s+)?(?P<name>[\w`\".]+)\s*(?:FORMAT\s+(?P<fmt>\w+))?$",
                       re.IGNORECASE)
_ALTER_MUTATION = re.compile(r"^ALTER\s+TABLE\s+(?P<table>[\w`\".]+)\s+(?:ON\s+CLUSTER\s+\S+\s+)?"
                             r"(?P<kind>UPDATE|DELETE)\s+(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_RENAME = re.compile(r"^RENAME\s+TABLE\s+(?P<pairs>.+)$", re.IGNORECASE | re.DOTALL)
_LEADING_COMMENTS = re.compile(r"^(?:\s*(?:--[^\n]*(?:\n|$)|/\*.*?\*/))*\s*", re.DOTALL)
_SHOW_CREATE = re.compile(r"^SHOW\s+CREATE\s+(?:TEMPORARY\s+)?(?P<kind>TABLE\s+|VIEW\s+|DICTIONARY\s+)?(?P<name>[\w`\".]+)"
                          r"\s*(?:FORMAT\s+(?P<fmt>\w+))?$", re.IGNORECASE)
_CHECK_TABLE = re.compile(r"^CHECK\s+TABLE\s+(?P<name>[\w`\".]+)(?P<part>\s+(?:PARTITION|PART)\b.*?)?"
                          r"(?:\s+FORMAT\s+(?P<fmt>\w+))?(?:\s+SETTINGS\s+(?P<settings>.+))?$",
                          re.IGNORECASE | re.DOTALL)
_RENAME_PAIR = re.compile(r"^\s*(?P<old>[\w`\".]+)\s+TO\s+(?P<new>[\w`\".]+)\s*$", re.IGNORECASE)
_OPTIMIZE = re.compile(r"^OPTIMIZE\s+TABLE\s+[\w`\".]+", re.IGNORECASE)
_DETACH = re.compile(r"^(?P<verb>DETACH|ATTACH)\s+TABLE\s+(?P<if_exists>IF\s+(?:NOT\s+)?EXISTS\s+)?(?P<name>[\w`\".]+)"
                     r"(?:\s+PERMANENTLY)?(?:\s+SYNC)?\s*$", re.IGNORECASE)


def try_special(ch: ClickHouseSession, sql: str) -> list[ChResult] | None:
    """Statements handled before sqlglot parses (None: not one of those)."""
    sql = _LEADING_COMMENTS.sub("", sql)
    m = _SHOW_TABLES.match(sql)
    if m:
        db = _unquote(m.group("db")) if m.group("db") else ch.database
        where = f"database = '{_escape(db)}'"
        if m.group("pattern"):
            where += f" AND name {'NOT ' if m.group('not') else ''}{m.group('op')} {m.group('pattern')}"
        return [_with_format(ch.run_query(f"SELECT name FROM system.tables WHERE {where} ORDER BY name"),
                             m.group("fmt"))]
    m = _SHOW_DATABASES.match(sql)
    if m:
        where = ""
        if m.group("pattern"):
            where = f" WHERE name {'NOT ' if m.group('not') else ''}{m.group('op')} {m.group('pattern')}"
        return [_with_format(ch.run_query(f"SELECT name FROM system.databases{where} ORDER BY name"),
                             m.group("fmt"))]
    m = _EXISTS.match(sql)
    if m:
        db, table = _split_name(m.group("name"), ch.database)
        result = ch.run_query(f"SELECT count() AS result FROM system.tables WHERE database = '{_escape(db)}' "
                              f"AND name = '{_escape(table)}'")
        result.columns = [ChColumn(name="result", type="UInt8")]
        return [_with_format(result, m.group("fmt"))]
    m = _DESCRIBE.match(sql)
    if m:
        return [_with_format(describe(ch, m.group("name")), m.group("fmt"))]
    m = _SHOW_CREATE.match(sql)
    if m:
        return [_with_format(show_create(ch, m.group("name"), (m.group("kind") or "TABLE").strip().upper()),
                             m.group("fmt"))]
    m = _CHECK_TABLE.match(sql)
    if m:
        return [_with_format(check_table(ch, m.group("name"), m.group("part"), m.group("settings")), m.group("fmt"))]
    m = _ALTER_MUTATION.match(sql)
    if m:
        table = m.group("table")
        if m.group("kind").upper() == "DELETE":
            text = f"DELETE FROM {table} {m.group('rest')}"
        else:
            rest = m.group("rest")
            text = f"UPDATE {table} SET {rest}"
        try:
            tree = sqlglot.parse_one(text, read=ch.dialect)
        except sqlglot.errors.ParseError as exc:
            raise ClickHouseError(62, f"Syntax error: {str(exc).splitlines()[0]}") from None
        ch.execute_tree(tree)
        return [ChResult(kind="ALTER")]
    altered = alter_columns.try_alter_columns(ch, sql, _in_transaction)
    if altered is not None:
        return altered
    m = _RENAME.match(sql)
    if m:
        return [_rename_tables(ch, m.group("pairs"))]
    if merge_engines.optimize(ch, sql, _split_name):  # a merging table's rows merged now
        return [ChResult(kind="OPTIMIZE")]
    m = _DETACH.match(sql)
    if m:
        return [_detach(ch, m.group("name"), m.group("verb").upper() == "ATTACH", bool(m.group("if_exists")))]
    if _OPTIMIZE.match(sql):  # merges parts: nothing a query could see changes
        return [ChResult(kind="OPTIMIZE")]
    return None


def _detach(ch: ClickHouseSession, name: str, attach: bool, if_exists: bool) -> ChResult:
    """DETACH TABLE t: the table out of sight (queries of it fail with 60) until ATTACH TABLE t brings
    it back with its rows: it is parked in the plugin's own schema under a name that says where it
    came from, its declared types and column kinds moving with it, in one transaction."""
    db, table = _split_name(name, ch.database)
    schema = schema_of(db)
    parked = f"detached:{schema}:{table}"
    (from_schema, from_name), (to_schema, to_name) = ((column_types.SCHEMA, parked), (schema, table)) if attach \
        else ((schema, table), (column_types.SCHEMA, parked))
    verb = "ATTACH" if attach else "DETACH"
    if attach and _relation_kind(ch, schema, table) is not None:
        if if_exists:  # ATTACH TABLE IF NOT EXISTS
            return ChResult(kind=verb)
        raise ClickHouseError(57, f"Table {db}.{table} already exists")
    if _relation_kind(ch, from_schema, from_name) is None:
        if if_exists:
            return ChResult(kind=verb)
        raise ClickHouseError(60, f"Table {db}.{table} {'is not detached' if attach else 'does not exist'}")
    statements = [f'CREATE SCHEMA IF NOT EXISTS "{column_types.SCHEMA}"',
                  f'ALTER TABLE "{from_schema}"."{from_name}" RENAME TO "{to_name}"',
                  f'ALTER TABLE "{from_schema}"."{to_name}" SET SCHEMA "{to_schema}"']
    if column_types.declarations_exist(ch.session):
        statements.append(column_types.rename_statement(from_schema, from_name, to_schema, to_name))
    if column_kinds.exists(ch.session):
        statements.append(column_kinds.rename_statement(from_schema, from_name, to_schema, to_name))
    _in_transaction(ch, statements)
    return ChResult(kind=verb)


def _rename_tables(ch: ClickHouseSession, pairs: str) -> ChResult:
    """RENAME TABLE a TO b[, c TO d]: each an ALTER ... RENAME TO, its declared types following it,
    all in one transaction (a table moves to another database too, renamed on the way)."""
    statements = []
    for pair in pairs.split(","):
        m = _RENAME_PAIR.match(pair)
        if m is None:
            raise ClickHouseError(62, f"Syntax error: RENAME TABLE {pairs.strip()}")
        (old_db, old), (new_db, new) = _split_name(m.group("old"), ch.database), _split_name(m.group("new"), ch.database)
        old_schema, new_schema = schema_of(old_db), schema_of(new_db)
        if _relation_kind(ch, old_schema, old) is None:
            raise ClickHouseError(60, f"Table {old_db}.{old} does not exist")
        relation = f'"{old_schema}"."{old}"'
        if new_schema != old_schema:
            statements.append(f'ALTER TABLE {relation} SET SCHEMA "{new_schema}"')
            relation = f'"{new_schema}"."{old}"'
        if new != old:
            statements.append(f'ALTER TABLE {relation} RENAME TO "{new}"')
        if column_types.declarations_exist(ch.session):
            statements.append(column_types.rename_statement(old_schema, old, new_schema, new))
        if merge_engines.recorded(ch.session):
            statements.append(merge_engines.rename_statement(old_schema, old, new_schema, new))
        if column_kinds.exists(ch.session):
            statements.append(column_kinds.rename_statement(old_schema, old, new_schema, new))
        if materialized_views.recorded(ch.session):  # a view, or a view's source or target, renamed
            statements.extend(materialized_views.rename_statements(old_schema, old, new_schema, new))
    if statements:
        _in_transaction(ch, statements)
    return ChResult(kind="RENAME")


def _with_format(result: ChResult, fmt: str | None) -> ChResult:
    if fmt:
        result.format = fmt
    return result


def _unquote(name: str) -> str:
    return name[1:-1] if name[:1] in ("`", '"') and name[-1:] == name[:1] else name


def _split_name(name: str, database: str) -> tuple[str, str]:
    parts = [_unquote(p) for p in name.split(".")]
    return (parts[0], parts[1]) if len(parts) == 2 else (database, parts[-1])


def _escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("'", "\\'")


def describe(ch: ClickHouseSession, target: Any) -> ChResult:
    """DESCRIBE TABLE: name, type, default_type, default_expression, comment, codec_expression, ttl_expression."""
    if isinstance(target, exp.Table):
        db, table = (target.db or ch.database), target.name
    else:
        db, table = _split_name(str(target), ch.database)
    exists = ch.run_query(f"SELECT count() FROM system.tables WHERE database = '{_escape(db)}' "
                          f"AND name = '{_escape(table)}'")
    if not exists.batches or not exists.batches[0].column(0)[0].as_py():
        raise ClickHouseError(60, f"Table {db}.{table} does not exist")
    result = ch.run_query(
        "SELECT name, type, default_kind AS default_type, default_expression, comment, "
        "'' AS codec_expression, '' AS ttl_expression FROM system.columns "
        f"WHERE database = '{_escape(db)}' AND table = '{_escape(table)}' ORDER BY position")
    result.columns = [ChColumn(name=c.name, type="String") for c in result.columns or []]
    return _described_kinds(ch, result, schema_of(db), table)


def _described_kinds(ch: ClickHouseSession, result: ChResult, schema: str, table: str) -> ChResult:
    """DESCRIBE's rows in the table's ClickHouse order, MATERIALIZED/ALIAS columns and the DEFAULTs
    the kernel does not keep said as declared (``column_kinds``)."""
    kinds = column_kinds.described_defaults(ch.session, schema, table)
    order = column_kinds.ordered_columns(ch, schema, table)
    if not result.batches or not kinds and order == [c.name for c in ch.table_columns(schema, table) or []]:
        return result
    table_rows = pa.Table.from_batches(result.batches).to_pylist()
    for row in table_rows:
        if row["name"] in kinds:
            row["default_type"], row["default_expression"] = kinds[row["name"]]
    table_rows.sort(key=lambda r: order.index(r["name"]) if r["name"] in order else len(order))
    result.batches = [pa.RecordBatch.from_pylist(table_rows, schema=result.batches[0].schema)]
    return result


def _relation_engine(ch: ClickHouseSession, db: str, table: str) -> str:
    result = ch.run_query(f"SELECT engine FROM system.tables WHERE database = '{_escape(db)}' "
                          f"AND name = '{_escape(table)}'")
    rows = [v for b in result.batches for v in b.column(0).to_pylist()]
    if not rows:
        raise ClickHouseError(60, f"Table {db}.{table} does not exist")
    return rows[0]


def show_create(ch: ClickHouseSession, name: str, kind: str) -> ChResult:
    """SHOW CREATE TABLE: a CREATE TABLE statement that makes the table as it is here: its columns with
    their ClickHouse types and constant DEFAULTs; ``ORDER BY tuple()``, as rows are kept in no key's
    order here. A view's or dictionary's statement is refused (48): the kernel keeps a view's query in
    its own SQL, not in ClickHouse's."""
    db, table = _split_name(name, ch.database)
    engine = _relation_engine(ch, db, table)
    if kind != "TABLE" or engine == "View":
        raise ClickHouseError(48, f"SHOW CREATE of the view {db}.{table} is not supported: its query is kept "
                                  "in the kernel's SQL only")
    columns = describe(ch, exp.Table(this=exp.to_identifier(table), db=exp.to_identifier(db)))
    lines = []
    for batch in columns.batches:
        for row in batch.to_pylist():
            line = f"    `{row['name'].replace('`', '``')}` {row['type']}"
            if row["default_type"]:
                line += f" {row['default_type']} {row['default_expression']}"
            lines.append(line)
    text = f"CREATE TABLE {db}.{table}\n(\n" + ",\n".join(lines) + f"\n)\nENGINE = {engine}"
    declared = merge_engines.table_engine(ch.session, schema_of(db), table)
    if declared is not None:  # as its CREATE TABLE declared it
        text = text[:text.rindex("ENGINE = ")] + declared.show_create()
    elif engine.endswith("MergeTree"):
        text += "\nORDER BY tuple()"
    result = ch.run_query(f"SELECT '{_escape(text)}' AS statement")
    result.columns = [ChColumn(name="statement", type="String")]
    return result


def check_table(ch: ClickHouseSession, name: str, part: str | None, settings: str | None) -> ChResult:
    """CHECK TABLE: every row of the table read back (its segments opened and decoded); 1 when that
    succeeds, the read's error otherwise. ``check_query_single_value_result = 0`` gives the one row
    of the table as a whole (there are no parts to list). PARTITION/PART are refused (48)."""
    db, table = _split_name(name, ch.database)
    _relation_engine(ch, db, table)
    if part:
        raise ClickHouseError(48, "CHECK TABLE of a PARTITION or PART is not supported: a table has no parts here")
    own = settings_of(list(sqlglot.parse_one(f"SET {settings}", read=HeliosClickHouse).expressions)) \
        if settings else {}
    single = {**ch.settings, **own}.get("check_query_single_value_result", "1") not in ("0", "false")
    ch.run_query(f"SELECT count() FROM `{db}`.`{table}` WHERE NOT ignore(*)")
    if single:
        result = ch.run_query("SELECT 1 AS result")
        result.columns = [ChColumn(name="result", type="UInt8")]
        return result
    result = ch.run_query("SELECT 'all' AS part_path, 1 AS is_passed, '' AS message")
    result.columns = [ChColumn(name="part_path", type="String"), ChColumn(name="is_passed", type="UInt8"),
                      ChColumn(name="message", type="String")]
    return result


# -- INSERT ... FORMAT --------------------------------------------------------------------


class _NotLiteral(Exception):
    pass


def _python_literal(node: exp.Expression) -> Any:
    if isinstance(node, exp.Literal):
        if node.is_string:
            return node.this
        text = node.this
        try:
            return int(text, 0)
        except ValueError:
            return float(text)
    if isinstance(node, exp.Neg):
        return -_python_literal(node.this)
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Array):
        return [_python_literal(e) for e in node.expressions]
    if isinstance(node, exp.Tuple):
        return tuple(_python_literal(e) for e in node.expressions)
    if isinstance(node, exp.Paren):
        return _python_literal(node.this)
    raise _NotLiteral


def _unwrap(value: exp.Expression) -> exp.Expression:
    """sqlglot reads each value of a ClickHouse VALUES row as a one-element tuple."""
    return value.expressions[0] if isinstance(value, exp.Tuple) and len(value.expressions) == 1 else value


_EVALUATED_VALUES = 1000  # VALUES with more expressions than this go to the kernel as they are


def _constant_value(ch: ClickHouseSession, value: exp.Expression) -> Any:
    """A VALUES expression (``1 + 1``, ``toDate('2016-01-01') + 1``, ``[[0, 1], [2]][1]``) evaluated
    as ClickHouse evaluates them (input_format_values_interpret_expressions): a constant SELECT."""
    result = _query(ch, exp.select(value.copy()))
    batches = result.batches if isinstance(result.batches, list) else list(result.batches)
    rows = [v for b in batches for v in b.column(0).to_pylist()]
    if len(rows) != 1:
        raise _NotLiteral
    out = rows[0]
    return str(out) if isinstance(out, uuid.UUID) else out


def _literal_rows(tree: exp.Insert, evaluate: Any = None) -> tuple[str, str | None, list[list[Any]]] | None:
    """(table, column list, rows) of an INSERT ... VALUES of literals (and, with ``evaluate``, of
    constant expressions, each evaluated on its own), else None."""
    values = tree.expression
    if not isinstance(values, exp.Values):
        return None
    target = tree.this
    columns = None
    if isinstance(target, exp.Schema):
        columns = ", ".join(c.name for c in target.expressions)
        target = target.this
    if not isinstance(target, exp.Table):
        return None
    table = f"{target.db}.{target.name}" if target.db else target.name
    budget = [_EVALUATED_VALUES]

    def value_of(v: exp.Expression) -> Any:
        try:
            return _python_literal(v)
        except _NotLiteral:
            if evaluate is None or v.find(exp.Column, exp.Select) is not None or budget[0] <= 0:
                raise
            budget[0] -= 1
            return evaluate(v)

    try:
        rows = [[value_of(_unwrap(v)) for v in row.expressions] for row in values.expressions]
    except _NotLiteral:
        return None
    return table, columns, rows


def _not_null_columns(ch: ClickHouseSession, table: str) -> set[str]:
    """Columns that are not Nullable: NULL sent for them becomes the default (input_format_null_as_default)."""
    db, name = _split_name(table, ch.database)
    result = ch.run_query(f"SELECT name FROM system.columns WHERE database = '{_escape(db)}' "
                          f"AND table = '{_escape(name)}' AND type NOT LIKE 'Nullable(%'")
    return {v for b in result.batches for v in b.column(0).to_pylist()}


def _nulls_as_default(ch: ClickHouseSession, table: str, copy: Any, batch: pa.RecordBatch) -> pa.RecordBatch:
    if ch.settings.get("input_format_null_as_default", "1") not in ("1", "true"):
        return batch
    if not any(c.null_count for c in batch.columns):
        return batch
    not_null = _not_null_columns(ch, table)
    arrays = []
    for field, array in zip(batch.schema, batch.columns, strict=True):
        default = _default_for_arrow(array.type) if field.name in not_null and array.null_count else None
        if default is None and field.name in not_null and array.null_count:
            if pa.types.is_list(array.type):
                array = pa.array([[] if v is None else v for v in array.to_pylist()], array.type)
            elif pa.types.is_date(array.type) or pa.types.is_timestamp(array.type):
                array = array.fill_null(pa.scalar(0, pa.int64()).cast(array.type) if pa.types.is_timestamp(
                    array.type) else pa.scalar(0, pa.int32()).cast(array.type))
        elif default is not None:
            array = array.fill_null(default)
        arrays.append(array)
    return pa.RecordBatch.from_arrays(arrays, schema=batch.schema)


def _copy_target(ch: ClickHouseSession, table: str, columns: str | None) -> tuple[Any, list[str]]:
    """The CopySpec of the INSERT's table and columns, and statements to run once the rows are in
    (a table with DEFAULTs over other columns is loaded through a stage: ``expression_defaults``)."""
    parts = [_unquote(p) for p in table.split(".")]
    name = parts[-1]
    schema = ch.schema_of_table(parts[0] if len(parts) == 2 else None, name)
    target = f'"{name}"' if schema == "pg_temp" else f'"{schema}"."{name}"'  # the search path finds it first
    cols = [_unquote(c.strip()) for c in columns.split(",")] if columns and columns.strip() else None
    col_list = f" ({', '.join(chr(34) + c + chr(34) for c in cols)})" if cols else ""
    ch.ensure_database()
    statement, after = f"COPY {target}{col_list} FROM STDIN", []
    if expression_defaults.has_expression_defaults(ch.session, schema, name):
        statement, after = expression_defaults.staged_copy(ch.session, schema, name, cols)
    staged = materialized_views.staged_copy(ch, schema, name, cols)
    if staged is not None:  # a merging engine's table (the block merged before it is written), views fed
        statement, after = staged
    copy = ch.session.execute(statement)[-1].copy
    if copy is None:
        raise ClickHouseError(48, f"INSERT into {table} is not supported")
    return copy, after


def _enum_labels_for_numbers(ch: ClickHouseSession, table: str, columns: str | None,
                             rows: list[list[Any]]) -> None:
    """A number given for an Enum column is its label's number (ClickHouse reads 1 as the label of 1)."""
    if not any(isinstance(v, int) and not isinstance(v, bool) for row in rows for v in row):
        return
    db, name = _split_name(table, ch.database)
    declared = ch.table_columns(schema_of(db), name) or []
    names = [_unquote(c.strip()) for c in columns.split(",")] if columns and columns.strip() else \
        [c.name for c in declared]
    types = {c.name: c.type for c in declared}
    for i, column in enumerate(names):
        ch_type = parse_type(types[column]).inner if "Enum" in (types.get(column) or "") else None
        if ch_type is None or ch_type.name not in ("Enum8", "Enum16"):
            continue
        labels = {}
        for arg in ch_type.args:
            label, _, number = str(arg).rpartition("=")
            labels[int(number)] = _enum_text(label.strip())
        for row in rows:
            if i < len(row) and isinstance(row[i], int) and not isinstance(row[i], bool):
                if row[i] not in labels:
                    raise ClickHouseError(691, f"Unexpected value {row[i]} in enum")
                row[i] = labels[row[i]]


def insert_rows(ch: ClickHouseSession, table: str, columns: str | None, rows: list[list[Any]]) -> ChResult:
    """INSERT ... VALUES of literals, loaded through the session's COPY (typed by the table)."""
    _enum_labels_for_numbers(ch, table, columns, rows)
    copy, after = _copy_target(ch, table, columns)
    return _load(ch, copy, _in_key_order(ch, table, _nulls_as_default(ch, table, copy, _to_batch(rows, copy))),
                 after)


def insert_formatted(ch: ClickHouseSession, table: str, columns: str | None, fmt: str,
                     payload: bytes) -> ChResult:
    """Load ``payload`` (rows in format ``fmt``) into ``table`` through the session's COPY."""
    copy, after = _copy_target(ch, table, columns)
    ch_columns = [(c.name, _ch(c.type_name)) for c in copy.column_types]
    decoded = formats.parse(fmt, payload, ch_columns, ch.settings)
    return _load(ch, copy, _in_key_order(ch, table, _nulls_as_default(ch, table, copy, _to_batch(decoded, copy))),
                 after)


def _insert_block(ch: ClickHouseSession, tree: exp.Insert, rows: pa.Table) -> ChResult:
    """INSERT ... SELECT whose rows were computed first: loaded as a block of rows is."""
    target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    table = f"`{target.db}`.`{target.name}`" if target.db else f"`{target.name}`"
    columns = ", ".join(f"`{e.name}`" for e in tree.this.expressions) if isinstance(tree.this, exp.Schema) else None
    copy, after = _copy_target(ch, table, columns)
    batch = _in_key_order(ch, table, _nulls_as_default(ch, table, copy, _to_batch(rows, copy)))
    return _load(ch, copy, batch, after)


def _in_key_order(ch: ClickHouseSession, table: str, batch: pa.RecordBatch) -> pa.RecordBatch:
    """An INSERT's rows sorted by a MergeTree table's key, as its part holds them (``part_order``)."""
    parts = [_unquote(p) for p in table.split(".")]
    schema = ch.schema_of_table(parts[0] if len(parts) == 2 else None, parts[-1])
    return join_engine.first_rows_only(ch, schema, parts[-1], part_order.sort_batch(ch, schema, parts[-1], batch))


def _load(ch: ClickHouseSession, copy: Any, batch: pa.RecordBatch, after: list[str]) -> ChResult:
    result = ch.session.copy_in(copy, iter([batch]) if batch.num_rows else iter(()))
    for sql in after:
        ch.session.execute(sql)
    rows = batch.num_rows if result.row_count is None else result.row_count
    return ChResult(kind="INSERT", row_count=rows, written_rows=rows)


def _ch(sql_type: str) -> str:
    return clickhouse_type(sql_type)


def _to_batch(decoded: Any, copy: Any) -> pa.RecordBatch:
    schema = copy.arrow_schema
    if isinstance(decoded, pa.Table):
        if decoded.num_columns != len(schema):
            raise ClickHouseError(10, f"{decoded.num_columns} columns in the data, {len(schema)} in the INSERT")
        arrays = [_coerce(decoded.column(i).combine_chunks(), schema.field(i).type, copy.column_types[i].type_name)
                  for i in range(len(schema))]
        return pa.RecordBatch.from_arrays(arrays, schema=schema)
    rows = decoded
    for n, row in enumerate(rows, 1):
        if len(row) != len(schema):
            raise ClickHouseError(117, f"Row {n} has {len(row)} values, the table has {len(schema)} columns")
    arrays = []
    for i, field in enumerate(schema):
        values = [row[i] for row in rows]
        arrays.append(_column(values, field.type, copy.column_types[i].type_name))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _column(values: list[Any], arrow: pa.DataType, sql_type: str) -> pa.Array:
    if all(v is None or isinstance(v, str) for v in values) and not (
            sql_type.endswith("[]") and any(isinstance(v, list) for v in values)):
        if sql_type.endswith("[]"):
            return pa.array([None if v is None else parse_array_text(v) for v in values], arrow)
        if sql_type == "boolean":
            values = [None if v is None else {"true": "t", "false": "f", "1": "t", "0": "f"}.get(v.lower(), v)
                      for v in values]
        if sql_type.startswith("timestamp"):  # DateTime text of digits only: a Unix time, as ClickHouse reads it
            values = [_unix_time_text(v) if v is not None and v.isdigit() else v for v in values]
        if sql_type.startswith(("timestamp", "date")):  # the zero date is the least one, 1970-01-01
            values = [zero_date(v) for v in values]
        return parse_text(pa.array(values, pa.string()), sql_type, arrow=arrow)
    try:
        return pa.array(values, arrow)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        if pa.types.is_list(arrow) and sql_type.endswith("[]"):  # [1, 2] into Array(String): each element converted
            # the kernel's date[] is any number of dimensions: an element that is an array keeps it
            element_sql = sql_type if pa.types.is_list(arrow.value_type) else sql_type[:-2]
            flat = _column([x for v in values if v is not None for x in v], arrow.value_type, element_sql)
            elements = iter(flat.to_pylist())
            return pa.array([None if v is None else [next(elements) for _ in v] for v in values], arrow)
        strings = pa.array([None if v is None else str(v) for v in values], pa.string())
        return parse_text(strings, sql_type, arrow=arrow)


def zero_date(text: str | None) -> str | None:
    """``0000-00-00`` (and ``0000-00-00 00:00:00``): ClickHouse reads it as the least Date/DateTime."""
    return "1970-01-01" + text[10:] if text is not None and text.startswith("0000-00-00") else text


def _unix_time_text(digits: str) -> str:
    return (EPOCH + datetime.timedelta(seconds=int(digits))).strftime("%Y-%m-%d %H:%M:%S")


def _coerce(array: pa.Array, arrow: pa.DataType, sql_type: str) -> pa.Array:
    if array.type == arrow:
        return array
    try:
        return array.cast(arrow)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return _column(array.to_pylist(), arrow, sql_type)
