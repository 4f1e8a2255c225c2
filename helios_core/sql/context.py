"""QueryContext: everything the planner and executor need from a session.

The SQL statement layer (helios_core.sql.session_impl, C2) builds one QueryContext
per statement execution and hands it to the query layer (C1)::

    from helios_core.sql.context import QueryContext
    from helios_core.sql.planner import plan_query
    from helios_core.sql.expr import Scope, compile_scalar

    ctx = QueryContext(txn=txn, session=session, search_path=["public"],
                       params=[42], param_types=[types.INT4],
                       settings=session.settings, cancel_event=session_cancel_event)
    plan = plan_query(select_ast, ctx)      # sqlglot exp.Query (Select/Union/...); binds names
    plan.columns                            # list[(name, SqlType)]
    plan.param_types                        # list[SqlType]: $n types, inferred where ctx gave None
    for batch in plan.execute(ctx):         # Iterator[pa.RecordBatch], columns in plan order
        ...

A Plan holds no transaction: it may be executed many times (prepared statements) with a
fresh context each time (new txn, new params). Re-plan after DDL changes the tables it reads.

Contract for the things the planner reads through this context:

- Tables: ``txn.get_table(schema, name)`` (storage TableDef).  The SQL type of a column is
  ``ColumnDef.metadata["sql_type"]`` (a name accepted by ``types.type_from_name``, e.g.
  ``"numeric(15,2)"``, ``"integer[]"``); without it the type is derived from the Arrow type.
  The hidden column ``_rowid`` (int64, storage row id) can be selected explicitly
  (``select t._rowid, ... from t``): DML uses it to find the rows to update/delete.
- Views: catalog kind ``"view"``, key ``"<schema>.<name>"``, value
  ``{"sql": "<select text>", "columns": [optional output names]}``.  The planner parses the
  text with the "helios" dialect and expands it inline.
- Virtual tables: ``helios_core.sql.virtual_tables`` (C2): looked up after real tables and
  views; an entry has ``columns: list[(name, SqlType)]`` and ``produce(session) -> pa.Table``.
- Name resolution: CTEs first, then for a qualified name its schema; for an unqualified
  name ``pg_catalog`` and then each schema of ``search_path``.
- Params: ``params[i]`` is the value of ``$(i+1)``: a Python value already of
  ``param_types[i]`` (C2 converts wire text with the types module), or a ``pa.Scalar``.
- ``as_of``: a commit timestamp every scan reads at (time travel); None = the snapshot.
- Cancellation: operators call ``ctx.check_cancel()`` between batches; it raises
  QueryCanceled (57014) once ``cancel_event`` is set or ``deadline`` (time.monotonic()) passed.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

import attrs
import pyarrow as pa

from helios_core import statement_gate, time_budget
from helios_core.errors import HeliosError, QueryCanceled
from helios_core.sql import numeric_display

if TYPE_CHECKING:  # pragma: no cover
    from helios_core.sql.types import SqlType


@attrs.define(kw_only=True)
class RelationSource:
    """What a table name resolved to: a stored table, a view, or a virtual table."""

    kind: str  # "table" | "view" | "virtual"
    schema: str
    name: str
    columns: list[tuple[str, SqlType]]
    table: Any = None  # storage TableDef for kind "table"
    view_sql: str | None = None  # for kind "view"
    view_columns: list[str] = attrs.Factory(list)  # CREATE VIEW v (a, b) AS ...: output names
    view_options: dict = attrs.Factory(dict)  # check_option, security_barrier, security_invoker
    virtual: Any = None  # virtual table entry for kind "virtual"


@attrs.define(kw_only=True)
class QueryContext:
    """Per-execution state shared by planner and operators (see module docstring)."""

    txn: Any
    session: Any = None
    search_path: list[str] = attrs.Factory(lambda: ["public"])
    params: list[Any] = attrs.Factory(list)
    param_types: list[Any] = attrs.Factory(list)
    settings: dict[str, str] = attrs.Factory(dict)
    as_of: int | None = None
    cancel_event: threading.Event | None = None
    deadline: float | None = None
    functions: Any = None  # module/object with the helios_core.sql.functions API; None = that module
    # what-if planning (heliosdb.index_advice): (schema, table) -> [(index name, column)] planned as if they existed
    hypothetical_indexes: dict[tuple[str, str], list[tuple[str, str]]] | None = None
    # executor-private state of one execution (callers leave these alone):
    outer_rows: list[Any] = attrs.Factory(list)  # correlated subqueries: stack of outer rows
    subquery_cache: dict[int, Any] = attrs.Factory(dict)  # uncorrelated subquery results, CTEs
    op_stats: dict[int, list] | None = None  # EXPLAIN ANALYZE: id(operator) -> [rows, seconds, loops]
    # id(scan) -> a hash join's filter of that scan's rows by its other side's keys (operators.join_key_filter)
    runtime_filters: dict[int, Any] = attrs.Factory(dict)
    # bytes this execution holds in materialized tables (operators' ``collect``), when a limit
    # applies: an object with add(n), release(n) and release_with(obj, n) (helios_core.branching.limits)
    memory: Any = None

    # ----------------------------------------------------------------- cancellation
    def check_cancel(self) -> None:
        """Raise QueryCanceled (57014) when the statement was cancelled or timed out."""
        time_budget.check()  # a protocol trying the statement inline (helios_core.time_budget)
        statement_gate.take_turn()
        if self.cancel_event is not None and self.cancel_event.is_set():
            raise QueryCanceled("canceling statement due to user request")
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise QueryCanceled("canceling statement due to statement timeout")

    # ----------------------------------------------------------------- functions
    @property
    def fn(self) -> Any:
        """The scalar function/operator/cast registry (D's helios_core.sql.functions API)."""
        if self.functions is not None:
            return self.functions
        from helios_core.sql import functions

        return functions

    # ----------------------------------------------------------------- catalog
    def schemas_for(self, schema: str | None) -> list[str]:
        """Schemas to search for a (possibly unqualified) relation name, in order."""
        if schema:
            from helios_core.sql.temp_tables import map_schema

            return [map_schema(self.session, schema)]
        out = ["pg_catalog"]
        for s in self.search_path:
            s = s.strip().strip('"')
            if s == "$user":
                continue
            if s not in out:
                out.append(s)
        return out

    def resolve_relation(self, schema: str | None, name: str) -> RelationSource | None:
        """Find a table, view or virtual table; None when it does not exist."""
        for sch in self.schemas_for(schema):
            table = self.txn.get_table(sch, name) if self.txn is not None else None
            if table is not None:
                if not table.options.get("matview", {"populated": True}).get("populated"):
                    raise HeliosError(f'materialized view "{name}" has not been populated', sqlstate="55000",
                                      hint="Use the REFRESH MATERIALIZED VIEW command.")  # helios_core.sql.matviews
                return RelationSource(
                    kind="table", schema=sch, name=name, columns=table_sql_columns(table), table=table
                )
            view = self.txn.catalog_get("view", f"{sch}.{name}") if self.txn is not None else None
            if view is not None:
                return RelationSource(
                    kind="view", schema=sch, name=name, columns=[], view_sql=view["sql"],
                    view_columns=list(view.get("columns") or []), view_options=dict(view.get("options") or {}),
                )
            seq = self.txn.catalog_get("sequence", f"{sch}.{name}") if self.txn is not None else None
            if seq is not None:  # SELECT last_value, is_called FROM a_sequence
                from helios_core.sql.sequences import relation

                virt = relation(sch, name, f"{sch}.{name}", seq)
                return RelationSource(kind="virtual", schema=sch, name=name, columns=list(virt.columns), virtual=virt)
            virt = lookup_virtual_table(sch, name)
            if virt is not None:
                return RelationSource(
                    kind="virtual", schema=sch, name=name, columns=list(virt.columns), virtual=virt
                )
        return None


def table_sql_columns(table: Any) -> list[tuple[str, SqlType]]:
    """(name, SqlType) of a storage TableDef's columns, from metadata["sql_type"]."""
    from helios_core.sql import types

    out = []
    for col in table.columns:
        sql_name = (col.metadata or {}).get("sql_type")
        enum = (col.metadata or {}).get("enum")
        if enum:  # an enum column holds its labels as text; typed as the enum when it still exists
            try:
                t = types.type_from_name(enum)
            except HeliosError:
                t = types.TEXT
        elif sql_name:
            md = col.metadata or {}
            t = _user_or_builtin_type(types, md.get("domain") or md.get("user_type"), sql_name,
                                      getattr(table, "schema", None) or "public")
            if t.element is not None and col.type != t.arrow_type and pa.types.is_list(col.type) and \
                    pa.types.is_list(col.type.value_type):
                t = attrs.evolve(t, arrow_type=col.type)  # an N-dimensional array column (integer[][])
        else:
            t = types.sql_type_of_arrow(col.type)
        if (col.metadata or {}).get(numeric_display.KEY) is not None and t.name == "numeric" and t.typmod == -1:
            t = attrs.evolve(t, display_scale=int(col.metadata[numeric_display.KEY]))
        out.append((col.name, t))
    return out


def _user_or_builtin_type(types: Any, domain: str | None, sql_name: str, schema: str) -> SqlType:
    """A column's type whatever the search_path: a domain by its qualified name; a name that the
    search_path does not reach (an array of a user type) in the table's schema, then public."""
    if domain:
        try:
            return types.type_from_name(domain)
        except HeliosError:
            pass
    try:
        return types.type_from_name(sql_name)
    except HeliosError as e:
        if e.sqlstate != "42704":
            raise
        for where in (schema, "public"):
            try:
                return types.type_from_name(f"{where}.{sql_name}")
            except HeliosError:
                continue
        raise


def lookup_virtual_table(schema: str, name: str) -> Any:
    """C2's virtual table registry entry for schema.name, or None (tolerates its absence)."""
    try:
        from helios_core.sql import virtual_tables
    except ImportError:
        return None
    for getter in ("lookup_virtual_table", "get_virtual_table", "lookup"):
        fn = getattr(virtual_tables, getter, None)
        if fn is not None:
            return fn(schema, name)
    registry = getattr(virtual_tables, "REGISTRY", None) or getattr(virtual_tables, "_REGISTRY", None)
    if isinstance(registry, dict):
        return registry.get((schema, name))
    return None
