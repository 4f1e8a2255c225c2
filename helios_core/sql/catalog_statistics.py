"""UPDATE pg_class SET reltuples / relpages: the size statistics a superuser may overwrite.

PostgreSQL lets a superuser write its catalogs; tests and tuning scripts use it to make the
planner believe a table is bigger or smaller than it is (``update pg_class set reltuples = 1000
where relname = 't'``). HeliosDB keeps those two numbers in the table's maintenance record
(the one VACUUM and ANALYZE fill, see maintenance.py), so such an UPDATE changes what pg_class
shows; other pg_class columns, and other catalogs, are refused with 0A000. The record is not
versioned: a ROLLBACK does not restore the previous numbers (the next VACUUM or ANALYZE does).
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from helios_core import roles
from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.session import Result
from helios_core.sql.catalog_views.model import CatalogModel
from helios_core.sql.ddl import table_name
from helios_core.sql.maintenance import stats_of

WRITABLE = {"reltuples": float, "relpages": int}


def names_pg_class(session: Any, txn: Any, table: exp.Table) -> bool:
    """``table`` is the catalog pg_class (not a user table of that name earlier in the path)."""
    if not isinstance(table, exp.Table) or table.name.lower() != "pg_class":
        return False
    db = table.args.get("db")
    if db is not None:
        return db.name.lower() == "pg_catalog"
    schema, name = table_name(session, table, txn)
    return txn.get_table(schema, name) is None


def update_pg_class(session: Any, ast: exp.Update, params: Any = ()) -> Result:
    if not roles.role_graph(session.engine).is_superuser(session.user):
        raise HeliosError("permission denied for table pg_class", sqlstate="42501")
    if ast.args.get("returning") is not None or ast.args.get("from") is not None or \
            ast.args.get("from_") is not None:
        raise FeatureNotSupported("UPDATE pg_class with FROM or RETURNING is not supported")
    columns, values = [], []
    for item in ast.expressions:
        col = item.this.name.lower() if isinstance(item, exp.EQ) and isinstance(item.this, exp.Column) else ""
        if col not in WRITABLE:
            raise FeatureNotSupported(f'UPDATE of pg_class column "{col or item.sql()}" is not supported; '
                                      "only reltuples and relpages can be set")
        columns.append(col)
        values.append(item.expression.copy())
    alias = ast.this.args.get("alias")
    source = exp.Table(this=exp.to_identifier("pg_class"), db=exp.to_identifier("pg_catalog"))
    if alias is not None:
        source.set("alias", alias.copy())
    query = exp.select(exp.column("oid", table=alias.name if alias else None), *values).from_(source)
    where = ast.args.get("where")
    if where is not None:
        query.set("where", where.copy())
    rows = session.run_query(query, params).rows()
    relations = {r.oid: r for r in CatalogModel(session).relations}
    store = session.engine.store
    for oid, *new in rows:
        rel = relations.get(oid)
        if rel is None or rel.table_id is None:  # an index, view or sequence: numbers we do not keep
            name = rel.name if rel is not None else oid
            raise FeatureNotSupported(f'UPDATE pg_class of "{name}" (not a table) is not supported')
        rec = stats_of(store, rel.table_id)
        for col, value in zip(columns, new, strict=True):
            rec[col] = None if value is None else WRITABLE[col](value)
    return Result(command_tag=f"UPDATE {len(rows)}")
