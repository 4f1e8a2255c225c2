"""Materialized views: a stored table that holds the rows of a query as of its last refresh.

A materialized view is a storage table (so indexes, scans and privileges work as on any
table) whose options carry ``matview``: ``{"sql": <query text>, "populated": bool}``.
The planner refuses to read one that is not populated (55000, as PostgreSQL; see
helios_core.sql.context); DML on it
is refused (42809); ``REFRESH MATERIALIZED VIEW`` replaces its rows in the refreshing
transaction, so other snapshots keep seeing the old rows until it commits (which is what
PostgreSQL's CONCURRENTLY promises; the plain form keeps that too, and takes the table's
exclusive lock as PostgreSQL's does).

Statements (parsed here, run from the session's utility dispatch):

    CREATE MATERIALIZED VIEW [IF NOT EXISTS] name [(col, ...)] [USING heap] [WITH (...)]
        [TABLESPACE pg_default] AS query [WITH [NO] DATA]
    REFRESH MATERIALIZED VIEW [CONCURRENTLY] name [WITH [NO] DATA]
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from sqlglot import exp
from sqlglot.tokens import TokenType

from helios_core.errors import DuplicateTable, FeatureNotSupported, HeliosError, UndefinedTable
from helios_core.frontends.postgres import dialect
from helios_core.session import Result
from helios_core.sql import ddl, ddl_privileges, numeric_display, object_privileges, types
from helios_core.sql.temp_tables import is_temp_schema
from helios_core.storage import ColumnDef

OPTION = "matview"


class ObjectNotInPrerequisiteState(HeliosError):
    sqlstate = "55000"


class WrongObjectType(HeliosError):
    sqlstate = "42809"


def definition(tdef: Any) -> dict | None:
    """The matview record of a storage table, or None for an ordinary table."""
    if tdef is None:
        return None
    value = (getattr(tdef, "options", None) or {}).get(OPTION)
    return value if isinstance(value, dict) else None


def check_writable(tdef: Any) -> None:
    """INSERT/UPDATE/DELETE/MERGE/COPY FROM into a materialized view: 42809 as PostgreSQL."""
    if definition(tdef) is not None:
        raise WrongObjectType(f'cannot change materialized view "{tdef.name}"')


# ----------------------------------------------------------------------------------- syntax
def parse_create(c: Any) -> Any:
    """CREATE MATERIALIZED VIEW ... (``c`` is the utility parser's cursor at CREATE)."""
    c.expect("CREATE", "MATERIALIZED", "VIEW")
    if_not_exists = c.accept("IF", "NOT", "EXISTS")
    name = c.dotted_name()
    columns: list[str] = []
    if c.cur is not None and c.cur.token_type == TokenType.L_PAREN:
        c.i += 1
        columns.append(c.name())
        while c.cur is not None and c.cur.token_type == TokenType.COMMA:
            c.i += 1
            columns.append(c.name())
        if c.cur is None or c.cur.token_type != TokenType.R_PAREN:
            c.fail()
        c.i += 1
    if c.accept("USING"):
        method = c.name()
        if method != "heap":
            raise FeatureNotSupported(f'access method "{method}" is not supported for materialized views')
    if c.word() == "WITH" and c.peek_word() != "DATA" and c.peek_word() != "NO":
        raise FeatureNotSupported("storage parameters (WITH (...)) on a materialized view are not supported")
    if c.accept("TABLESPACE"):
        space = c.name()
        if space != "pg_default":
            raise HeliosError(f'tablespace "{space}" does not exist', sqlstate="42704")
    c.expect("AS")
    with_data = True
    toks = c.toks
    end = len(toks)
    words = [t.text.upper() if t.token_type not in (TokenType.STRING, TokenType.IDENTIFIER) else ""
             for t in toks]
    if end - c.i > 3 and words[end - 3:] == ["WITH", "NO", "DATA"]:
        with_data, end = False, end - 3
    elif end - c.i > 2 and words[end - 2:] == ["WITH", "DATA"]:
        end -= 2
    if end <= c.i:
        c.fail()
    body_start = toks[c.i].start
    body = c.text[body_start:toks[end - 1].end + 1]
    return dialect.Utility(kind="create_matview", args={
        "name": name, "columns": columns, "if_not_exists": if_not_exists, "with_data": with_data,
        "body": body, "body_offset": c.offset + body_start})


def parse_refresh(c: Any) -> Any:
    """REFRESH MATERIALIZED VIEW [CONCURRENTLY] name [WITH [NO] DATA]."""
    c.expect("REFRESH", "MATERIALIZED", "VIEW")
    concurrently = c.accept("CONCURRENTLY")
    name = c.dotted_name()
    with_data = True
    if c.accept("WITH", "NO", "DATA"):
        with_data = False
    else:
        c.accept("WITH", "DATA")
    c.end()
    if concurrently and not with_data:
        raise HeliosError("CONCURRENTLY and WITH NO DATA options cannot be used together", sqlstate="42601")
    return dialect.Utility(kind="refresh_matview", args={"name": name, "concurrently": concurrently,
                                                 "with_data": with_data})


# ----------------------------------------------------------------------------------- running
def _table_node(dotted: str) -> exp.Table:
    parts = dotted.split(".")
    ident = [exp.to_identifier(p, quoted=True) for p in parts]
    if len(ident) == 1:
        return exp.Table(this=ident[0])
    return exp.Table(this=ident[-1], db=ident[-2])


def _parse_body(body: str) -> Any:
    stmts = dialect.parse(body)
    if len(stmts) != 1 or not isinstance(stmts[0].ast, (exp.Query, exp.Values)):
        raise HeliosError("syntax error: a materialized view needs a SELECT, TABLE or VALUES query",
                          sqlstate="42601")
    return stmts[0].ast


def _reads_temporary(session: Any, query: Any) -> bool:
    txn = session.tx.current()
    for t in query.find_all(exp.Table):
        name = t.name
        schemas = [t.text("db")] if t.text("db") else session.search_path()
        for s in schemas:
            if txn.get_table(s, name) is not None:
                if is_temp_schema(s) or s == "pg_temp":
                    return True
                break
    return False


def create(session: Any, a: dict) -> Result:
    """CREATE MATERIALIZED VIEW: a table with the query's columns, filled unless WITH NO DATA."""
    txn = session.tx.current()
    target = _table_node(a["name"])
    schema, name = ddl.table_name(session, target, txn, for_create=True)
    ddl._check_schema(txn, schema)
    if ddl.relation_kind(txn, schema, name) is not None:
        if a["if_not_exists"]:
            return Result(command_tag="CREATE MATERIALIZED VIEW",
                          notices=[f'relation "{name}" already exists, skipping'])
        raise DuplicateTable(f'relation "{name}" already exists')
    create_node = exp.Create(this=target, kind="TABLE")
    state = ddl_privileges.before(session, create_node)
    query = _parse_body(a["body"])
    if _reads_temporary(session, query):
        raise FeatureNotSupported("materialized views must not use temporary tables or views")
    ctx = session.context(txn)
    plan = session.plan_query(query, ctx)
    if len(a["columns"]) > len(plan.columns):
        raise HeliosError("too many column names were specified", sqlstate="42601")
    names = list(a["columns"]) + [n for n, _ in plan.columns][len(a["columns"]):]
    seen: set[str] = set()
    cols = []
    for n, (_, t) in zip(names, plan.columns, strict=True):
        if n in seen:
            raise HeliosError(f'column "{n}" specified more than once', sqlstate="42701")
        seen.add(n)
        if t.name == "unknown":
            t = types.TEXT
        cols.append(ColumnDef(n, t.arrow_type, True, {"sql_type": t.stored_name()}))
    record = {"sql": dialect.to_sql(query), "populated": bool(a["with_data"])}
    txn.create_table(schema, name, cols, options={OPTION: record, "pk_name": f"{name}_pkey"})
    ddl_privileges.after(session, create_node, state)
    _record_sources(session, txn, query, f"{schema}.{name}")
    if not a["with_data"]:
        return Result(command_tag="CREATE MATERIALIZED VIEW")
    count = _fill(session, txn, schema, name, plan, ctx)
    return Result(command_tag=f"SELECT {count}")


def _record_sources(session: Any, txn: Any, query: Any, key: str) -> None:
    """DROP of a table the view reads needs CASCADE (ddl's "depend" records, as for views)."""
    for src in ddl._view_sources(session, txn, query):
        dep = txn.catalog_get("depend", src) or {"views": []}
        if key not in dep.get("matviews", []):
            dep.setdefault("matviews", []).append(key)
            txn.catalog_put("depend", src, dep)


def _fill(session: Any, txn: Any, schema: str, name: str, plan: Any, ctx: Any) -> int:
    tdef = txn.get_table(schema, name)
    count = 0
    scales = numeric_display.ScaleWatch(tdef.columns)
    for batch in plan.execute(ctx):
        session.check_cancel()
        arrays = [batch.column(i) for i in range(len(tdef.columns))]
        scales.see(arrays)
        rb = pa.RecordBatch.from_arrays(
            [arr.cast(c.type) if arr.type != c.type else arr for arr, c in zip(arrays, tdef.columns, strict=True)],
            names=[c.name for c in tdef.columns])
        txn.insert(schema, name, rb)
        count += rb.num_rows
    scales.record(txn, schema, name)
    return count


def refresh(session: Any, a: dict) -> Result:
    """REFRESH MATERIALIZED VIEW: run the stored query again and replace the rows."""
    txn = session.tx.current()
    schema, name = ddl.table_name(session, _table_node(a["name"]), txn)
    tdef = txn.get_table(schema, name)
    if tdef is None:
        kind = ddl.relation_kind(txn, schema, name)
        if kind in ("view", "sequence", "index"):
            raise WrongObjectType(f'"{name}" is not a table or materialized view')
        raise UndefinedTable(f'relation "{name}" does not exist')
    mv = definition(tdef)
    if mv is None:
        raise FeatureNotSupported(f'"{name}" is not a materialized view')
    if not object_privileges.is_owner(session, object_privileges.ObjectRef("table", name, schema)):
        raise HeliosError(f"must be owner of materialized view {name}", sqlstate="42501")
    if a["concurrently"]:
        if not mv.get("populated"):
            raise FeatureNotSupported("CONCURRENTLY cannot be used when the materialized view is not populated")
        if not _has_plain_unique_index(txn, schema, tdef):
            raise ObjectNotInPrerequisiteState(
                f'cannot refresh materialized view "{schema}.{name}" concurrently',
                hint="Create a unique index with no WHERE clause on one or more columns of the materialized view.")
    txn.truncate(schema, name)
    txn.alter_table(schema, name, options={OPTION: {**mv, "populated": bool(a["with_data"])}})
    if a["with_data"]:
        query = _parse_body(mv["sql"])
        ctx = session.context(txn)
        plan = session.plan_query(query, ctx)
        _fill(session, txn, schema, name, plan, ctx)
    return Result(command_tag="REFRESH MATERIALIZED VIEW")


def _has_plain_unique_index(txn: Any, schema: str, tdef: Any) -> bool:
    for iname in tdef.options.get("indexes", []):
        idx = txn.catalog_get("index", f"{schema}.{iname}")
        if idx and idx.get("unique") and not idx.get("where") and all(
                "column" in k for k in (idx.get("keys") or [{"column": c} for c in idx.get("columns", [])])):
            return True
    return False
