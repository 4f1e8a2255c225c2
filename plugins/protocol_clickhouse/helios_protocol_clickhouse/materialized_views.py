"""ClickHouse's materialized views: a SELECT run over each block inserted into its source table,
its rows inserted into a target table.

    CREATE MATERIALIZED VIEW mv ENGINE = AggregatingMergeTree ORDER BY k
        AS SELECT k, sumState(v) AS s FROM src GROUP BY k
    -> the table mv (AggregatingMergeTree, columns typed by the SELECT: s AggregateFunction(sum, UInt64)),
       recorded in "_clickhouse".materialized_views as a view of src writing into mv
    CREATE MATERIALIZED VIEW mv TO dst AS SELECT ...
    -> the view mv reading dst (its columns declared as dst's), recorded as a view of src writing into dst

An INSERT into a table with views goes through a temporary table of its shape (as the merging
engines' INSERTs do, ``merge_engines``): its rows are written into the table (merged as a block if its
engine merges), then each view's SELECT runs over them with the source table's name standing for the
block, and its result, matched to the target's columns by name, is written the same way into the
target (merged as a block, feeding the target's own views in turn). Not built: POPULATE (48), a view
whose SELECT reads its source through a subquery or a join's right side, an inner table of its own
(the ENGINE form is the table ``mv`` itself: system.tables shows its engine, not MaterializedView).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import attrs
import sqlglot
from sqlglot import exp

from helios_protocol_clickhouse import column_types, merge_engines
from helios_protocol_clickhouse.catalog import schema_of
from helios_protocol_clickhouse.errors import ClickHouseError
from helios_protocol_clickhouse.names import annotate_sources, column_name, hint_type

_DIALECT = "heliosclickhouse"
TABLE = f'"{column_types.SCHEMA}".materialized_views'
# table_name: the view's name (as the other records of a table are keyed)
_CREATE_TABLE = (f"CREATE TABLE IF NOT EXISTS {TABLE} (schema_name text NOT NULL, table_name text NOT NULL, "
                 "source_schema text NOT NULL, source_table text NOT NULL, target_schema text NOT NULL, "
                 "target_table text NOT NULL, query text NOT NULL, PRIMARY KEY (schema_name, table_name))")
_q = column_types.quoted
_DEPTH = 16  # views feeding views: how deep a chain goes before it is taken for a cycle


@attrs.frozen
class View:
    schema: str
    name: str
    source_schema: str
    source_table: str
    target_schema: str
    target_table: str
    query: str  # the SELECT as ClickHouse SQL


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _bq(name: str) -> str:
    return "`" + name.replace("`", "\\`") + "`"


# -- CREATE ----------------------------------------------------------------------------------------


def is_materialized(tree: exp.Expression) -> bool:
    properties = tree.args.get("properties") if isinstance(tree, exp.Create) else None
    return properties is not None and any(isinstance(p, exp.MaterializedProperty) for p in properties.expressions)


def _source_of(select: exp.Expression) -> exp.Table:
    """The table whose inserts feed the view: the query's first (leftmost) table."""
    query = select
    while isinstance(query, exp.SetOperation):
        query = query.this
    source = query.args.get("from_").this if isinstance(query, exp.Select) and query.args.get("from_") else None
    if not isinstance(source, exp.Table) or not isinstance(source.this, exp.Identifier):
        raise ClickHouseError(48, "A materialized view whose SELECT reads its source table through a subquery or "
                                  "a table function is not supported: read the table in FROM")
    return source


def create(ch: Any, tree: exp.Create, create_table: Callable[[exp.Create], Any],
           run_probe: Callable[[exp.Query], list[tuple[str, str]]]) -> Any:
    """CREATE MATERIALIZED VIEW: the view recorded with its source and target, and the target made
    (ENGINE: the table named as the view, typed by the SELECT) or read (TO: a view of it)."""
    select = tree.expression
    if not isinstance(select, exp.Query):
        raise ClickHouseError(62, "CREATE MATERIALIZED VIEW needs AS SELECT ...")
    view = tree.this
    database = view.db or ch.database
    schema = schema_of(database)
    source = _source_of(select)
    source_schema = schema_of(source.db or ch.database)
    if ch.table_columns(source_schema, source.name) is None:
        raise ClickHouseError(60, f"Table {source.db or ch.database}.{source.name} does not exist")
    properties = [p for p in tree.args["properties"].expressions if not isinstance(p, exp.MaterializedProperty)]
    to = next((p for p in properties if isinstance(p, exp.ToTableProperty)), None)
    if _exists(ch, schema, view.name):
        if tree.args.get("exists"):
            return None
        raise ClickHouseError(57, f"Table {database}.{view.name} already exists")
    query = select.sql(dialect=_DIALECT)
    if to is not None:
        target = to.this
        target_schema = schema_of(target.db or ch.database)
        columns = ch.table_columns(target_schema, target.name)
        if columns is None:
            raise ClickHouseError(60, f"Table {target.db or ch.database}.{target.name} does not exist")
        _record(ch, View(schema, view.name, source_schema, source.name, target_schema, target.name, query))
        listed = ", ".join(_ident(c.name) for c in columns)
        ch.ensure_database()
        for sql in [(f"CREATE VIEW {_ident(schema)}.{_ident(view.name)} AS SELECT {listed} FROM "
                    f"{_ident(target_schema)}.{_ident(target.name)}"),
                    *column_types.declare_statements(schema, view.name, [(c.name, c.type, False) for c in columns])]:
            ch.session.execute(sql)
        return None
    if not any(isinstance(p, exp.EngineProperty) for p in properties):  # default_table_engine, its rows unordered
        properties += [exp.EngineProperty(this=exp.to_identifier("MergeTree")),
                       exp.Order(expressions=[exp.Ordered(this=exp.Anonymous(this="tuple", expressions=[]))])]
    typed = select_types(ch, select.copy(), run_probe)
    listed = ", ".join(f"{_bq(name)} {type_name}" for name, type_name in typed)
    made = sqlglot.parse_one(f"CREATE TABLE _t ({listed}) ENGINE = Memory", read=_DIALECT)
    table = exp.Create(kind="TABLE", this=exp.Schema(this=view.copy(), expressions=made.this.expressions),
                       properties=exp.Properties(expressions=[p.copy() for p in properties]))
    _record(ch, View(schema, view.name, source_schema, source.name, schema, view.name, query))
    try:
        return create_table(table)
    except BaseException:
        ch.session.execute(forget_statement(schema, view.name))
        raise


def select_types(ch: Any, select: exp.Query, run_probe: Callable[[exp.Query], list[tuple[str, str]]]
                 ) -> list[tuple[str, str]]:
    """(name, ClickHouse type) of the columns a view's SELECT gives: the types told by the query
    (an -State's AggregateFunction type), the others those of a run of it over no rows."""
    if isinstance(select, exp.Select) and not any(isinstance(e, exp.Star) for e in select.expressions):
        annotate_sources(select, ch.table_columns, ch.database)
        told = [(column_name(e), hint_type(e, select)) for e in select.expressions]
        for name, type_name in told:
            if type_name is not None and "?" in type_name:
                raise ClickHouseError(48, f"The type of column {name} of the materialized view ({type_name}) is not "
                                          "known here: give the aggregate's arguments a known type (a CAST)")
        if all(t is not None for _, t in told):
            return [(n, t) for n, t in told if t is not None]
        ran = dict(run_probe(select))
        return [(n, t or ran.get(n, "String")) for n, t in told]
    return run_probe(select)


def _exists(ch: Any, schema: str, name: str) -> bool:
    rows = ch.session.execute(
        "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON c.relnamespace = n.oid "
        f"WHERE n.nspname = {_q(schema)} AND c.relname = {_q(name)}")[-1].rows()
    return bool(rows)


def _record(ch: Any, view: View) -> None:
    ch.ensure_database()
    for sql in [f'CREATE SCHEMA IF NOT EXISTS "{column_types.SCHEMA}"', _CREATE_TABLE,
                forget_statement(view.schema, view.name),
                (f"INSERT INTO {TABLE} (schema_name, table_name, source_schema, source_table, target_schema, "
                f"target_table, query) VALUES ({_q(view.schema)}, {_q(view.name)}, {_q(view.source_schema)}, "
                f"{_q(view.source_table)}, {_q(view.target_schema)}, {_q(view.target_table)}, {_q(view.query)})")]:
        ch.session.execute(sql)
    _forget_cache()


def forget_statement(schema: str, name: str) -> str:
    return column_types.forget_rows(TABLE, schema, name)


def rename_statements(schema: str, name: str, new_schema: str, new_name: str) -> list[str]:
    """RENAME TABLE of a view: its record follows it (and its table, when it is its own target). A view's
    source and TO table are bound by name, as ClickHouse binds them: renamed, the source feeds the view no
    more and an INSERT into it is 60 for want of the target."""
    own = (f"target_schema = {_q(new_schema)}, target_table = {_q(new_name)}, "
           f"schema_name = {_q(new_schema)}, table_name = {_q(new_name)}")
    return [(f"UPDATE {TABLE} SET {own} WHERE schema_name = {_q(schema)} AND table_name = {_q(name)} AND "
            f"target_schema = {_q(schema)} AND target_table = {_q(name)}"),
            column_types.rename_rows(TABLE, schema, name, new_schema, new_name)]


# -- lookups ---------------------------------------------------------------------------------------

_cache: dict[tuple, Any] = {}
_lock = threading.Lock()


def _forget_cache() -> None:
    with _lock:
        _cache.clear()


def recorded(session: Any) -> bool:
    """Whether this branch holds the table of recorded materialized views."""
    key = (session.database, session.branch, session.catalog_version, "recorded")
    with _lock:
        if key in _cache:
            return _cache[key]
    rows = session.execute(f"SELECT to_regclass({_q(TABLE)}) IS NOT NULL")[-1].rows()
    found = bool(rows and rows[0][0])
    with _lock:
        _cache[key] = found
    return found


def views_of(session: Any, schema: str, table: str) -> list[View]:
    """The materialized views fed by inserts into ``schema.table``."""
    if not recorded(session):
        return []
    key = (session.database, session.branch, session.catalog_version, "views", schema, table)
    with _lock:
        if key in _cache:
            return _cache[key]
    rows = session.execute(f"SELECT schema_name, table_name, source_schema, source_table, target_schema, target_table, "
                           f"query FROM {TABLE} WHERE source_schema = {_q(schema)} AND source_table = {_q(table)} "
                           "ORDER BY table_name")[-1].rows()
    found = [View(*row) for row in rows]
    with _lock:
        if len(_cache) > 4096:
            _cache.clear()
        _cache[key] = found
    return found


# -- INSERT ----------------------------------------------------------------------------------------


def _write(ch: Any, schema: str, table: str, stage: str, depth: int = 0) -> list[str]:
    """Kernel SQL that writes the rows of the temporary table ``stage`` into ``schema.table`` as one
    block (merged if its engine merges), then feeds the table's views with them."""
    engine = merge_engines.merging_engine(ch, schema, table)
    if engine is not None:
        out = [merge_engines.merge_into(ch, schema, table, engine, stage)]
    elif _discards(ch, schema, table):
        out = []
    else:
        listed = ", ".join(_ident(c.name) for c in ch.table_columns(schema, table) or [])
        out = [f"INSERT INTO {_ident(schema)}.{_ident(table)} ({listed}) SELECT {listed} FROM {_ident(stage)}"]
    for view in views_of(ch.session, schema, table):
        if depth >= _DEPTH:
            raise ClickHouseError(306, f"Materialized views feed each other more than {_DEPTH} deep "
                                       f"(through {view.schema}.{view.name})")
        out += _feed(ch, view, stage, depth + 1)
    return out


def _feed(ch: Any, view: View, stage: str, depth: int) -> list[str]:
    """The view's SELECT over the block in ``stage``, its rows written into the view's target."""
    select = sqlglot.parse_one(view.query, read=_DIALECT)
    source = _source_of(select)
    source.replace(exp.Table(this=exp.to_identifier(stage, quoted=True),
                             alias=exp.TableAlias(this=exp.to_identifier(source.alias_or_name, quoted=True))))
    columns = ch.table_columns(view.target_schema, view.target_table)
    if columns is None:
        raise ClickHouseError(60, f"Table {view.target_schema}.{view.target_table} (the target of materialized view "
                                  f"{view.name}) does not exist")
    wanted = {c.name for c in columns}
    names = [column_name(e) for e in select.expressions] if isinstance(select, exp.Select) else []
    kept = [n for n in names if n in wanted]
    if not kept:
        raise ClickHouseError(16, f"The SELECT of materialized view {view.name} gives no column of its target "
                                  f"{view.target_table}")
    target_stage = merge_engines.new_stage(ch, view.target_schema, view.target_table)
    listed = ", ".join(_bq(n) for n in kept)
    insert = sqlglot.parse_one(f"INSERT INTO {_bq(target_stage)} ({listed}) SELECT {listed} FROM "
                               f"({select.sql(dialect=_DIALECT)}) AS _ch_view_rows", read=_DIALECT)
    return [ch.translate(insert), *_write(ch, view.target_schema, view.target_table, target_stage, depth),
            f"DROP TABLE {_ident(target_stage)}"]


def _discards(ch: Any, schema: str, table: str) -> bool:
    """The Null engine: its INSERTs keep no rows (they feed its views)."""
    engine = merge_engines.table_engine(ch.session, schema, table)
    return engine is not None and engine.name == "Null"


def staged_copy(ch: Any, schema: str, table: str, columns: list[str] | None) -> tuple[str, list[str]] | None:
    """COPY into a table with materialized views, a merging engine or the Null engine (None: none of
    these): the rows go to a temporary table of its shape; the statements to run after write them and
    feed the views."""
    if not views_of(ch.session, schema, table) and not _discards(ch, schema, table):
        return merge_engines.staged_copy(ch, schema, table, columns)
    stage = merge_engines.new_stage(ch, schema, table)
    listed = f" ({', '.join(_ident(c) for c in columns)})" if columns else ""
    return f"COPY {_ident(stage)}{listed} FROM STDIN", [*_write(ch, schema, table, stage), f"DROP TABLE {_ident(stage)}"]


def staged_insert(ch: Any, tree: exp.Insert) -> Any | None:
    """INSERT ... SELECT into a table with materialized views, a merging engine or the Null engine (None:
    none of these)."""
    target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    if not isinstance(target, exp.Table) or not isinstance(target.this, exp.Identifier):
        return None
    schema = schema_of(target.db or ch.database)
    if not views_of(ch.session, schema, target.name) and not _discards(ch, schema, target.name):
        return merge_engines.staged_insert(ch, tree)
    stage = merge_engines.new_stage(ch, schema, target.name)
    table = target.name
    target.replace(exp.Table(this=exp.to_identifier(stage, quoted=True)))
    try:
        result = ch.execute_tree(tree)
        for sql in _write(ch, schema, table, stage):
            ch.session.execute(sql)
    finally:
        ch.session.execute(f"DROP TABLE IF EXISTS {_ident(stage)}")
    return result
