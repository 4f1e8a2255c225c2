"""Point reads of prepared plans (by the primary key, or by a unique index on one column), run
without the operator tree.

A prepared ``SELECT cols FROM t WHERE pk = $1`` plans to a projection of plain columns over a
primary-key lookup. Executing that tree costs several generators, batch constructions and
renames around one ``txn.lookup`` that returns the row; for the OLTP path that is most of
the statement. ``point_read_of`` recognises the shape once per plan; ``PointRead.run`` does
the same work directly: the key evaluated exactly as the scan evaluates it, the lookup in
the statement's transaction (its snapshot: MVCC as the scan sees it), the row's columns
in the projection's order, named as the plan names them. Privileges were checked when the
plan was made, and a plan is re-made whenever they may have changed (the plan generation).
Anything else (a residual filter, time travel, computed output, rowids, stored NaN numerics)
keeps the operator tree.

A lookup by a unique index on one integer or text column (``WHERE email = $1``, the planner's
``scan.index`` with ``scan.index_unique``), when that equality is the scan's whole filter, runs
the same way: one storage read through the index (``txn.scan(index=...)``, the equality pruning
segments as the tree's scan prunes them), the few rows it finds checked against the key, at most
one row in the snapshot (a deferred constraint's duplicates aside), without the operators above.

``execute_point`` goes one step further for the commonest OLTP statement, a point read whose
whole key is one parameter of the key's own type, integer (pgbench -S), text or jsonb (a
document store's key, MongoDB's ``_id``): once the plan ran the ordinary way, later
executions skip the statement machinery around it (the runtime settings and query context,
the executor's generators, the binder) and do only what the statement needs: the plan's
validity checks, the plugins' statement wrappers, the transaction's snapshot, the lookup,
the statistics. Whatever it cannot vouch for (a failed block, an open stream, a branch
quota that would queue it, a parameter that is not a plain integer in range, a text with a NUL,
a jsonb text that does not parse or is long, an index lookup that would first sort a segment's
column: ``Transaction.index_ready``) it leaves to ``execute_prepared`` by returning None, so both
paths answer alike.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from helios_core import statement_stats, time_budget
from helios_core.errors import HeliosError, from_engine_failure
from helios_core.session import Result
from helios_core.sql.functions.text_in import jsonb_text
from helios_core.sql.operators.basic import Project
from helios_core.sql.operators.scan import TableScan, lookup_key

_INT_BOUNDS = {"int2": 1 << 15, "int4": 1 << 31, "int8": 1 << 63}
_PARAM_LABEL = re.compile(r"\$(\d+)$")  # how the planner labels a parameter, bare or cast
_NO_WAIT = 1.0  # seconds: only a quota's queue checks the budget here, and it refuses to wait under any
_TEXT_KEY_TYPES = {"text", "jsonb"}  # key types whose parameter binds to the key without the binder
_INDEX_KEY_TYPES = {"int2", "int4", "int8", "text", "varchar"}  # equal exactly when their stored values are
_CHECKED_IN_PYTHON = 8  # rows: an index read's batch this short is checked value by value
_LONGEST_JSONB_KEY = 1024  # characters: a longer jsonb key text is parsed by the ordinary path


@attrs.define(eq=False)
class PointRead:
    scan: TableScan
    picks: list[int]  # the scan's column index of each result column
    schema: pa.Schema  # the plan's result schema
    key_param: int | None = None  # the one parameter that is the whole key (integer, text or jsonb)
    key_bound: int = 0  # an integer key's type range: -bound <= key < bound
    key_type: str = ""  # the type of a text or jsonb key parameter
    by_index: bool = False  # the key is a unique index's one column (scan.index), not the primary key
    # the storage batch's schema last seen and the names to give it (None: its own are the plan's)
    _renamed: tuple[pa.Schema, list[str] | None] | None = None

    def run(self, ctx: Any) -> list[pa.RecordBatch] | None:
        """The result batches (none or one row); None when the operator tree must run instead."""
        if ctx.as_of is not None:
            return None
        if self.by_index:
            return self._run_by_index(ctx)
        key = lookup_key(self.scan.pk_lookup, ctx)
        if key is None:
            return []
        ctx.check_cancel()
        return self.fetch(ctx.txn, key)

    def _run_by_index(self, ctx: Any) -> list[pa.RecordBatch] | None:
        probe = self.scan._index_probe(ctx)  # the term's value in the column's type, as the tree's scan takes it
        if probe is False:
            return []
        if not probe:
            return None
        ctx.check_cancel()
        return self._through_index(ctx.txn, probe[0][1][0])

    def _through_index(self, txn: Any, value: pa.Scalar) -> list[pa.RecordBatch]:
        """The rows holding ``value`` in the indexed column: storage reads each chunk at the rows
        the index finds (a chunk it reads whole, or a NULL, is filtered here), the equality
        pruning segments by their min/max. Checked in Python when a chunk gives a few rows: one
        Arrow filter of a one-row batch costs more than the read."""
        scan = self.scan
        name, column, _terms = scan.index  # type: ignore[misc]
        at = scan.columns.index(column)
        key = value.as_py()
        out = []
        for b in txn.scan(scan.schema_name, scan.table, columns=scan.columns, prune=pc.field(column) == value,
                          index=(name, column, [("=", [value])])):
            if not b.num_rows:
                continue
            if b.num_rows > _CHECKED_IN_PYTHON or any(v != key for v in b.column(at).to_pylist()):
                b = b.filter(pc.equal(b.column(at), value))
                if not b.num_rows:
                    continue
            out.append(self._as_result(b))
        return out

    def fetch(self, txn: Any, key: tuple) -> list[pa.RecordBatch]:
        """The row of ``key`` in the transaction's snapshot, as the plan's result (none or one batch)."""
        scan = self.scan
        if self.by_index:
            return self._through_index(txn, pa.scalar(key[0], scan.index[2][0].arrow_type))  # type: ignore[index]
        b = txn.lookup(scan.schema_name, scan.table, key, columns=scan.columns)
        if not b.num_rows:
            return []
        return [self._as_result(b)]

    def _as_result(self, b: pa.RecordBatch) -> pa.RecordBatch:
        """A stored batch of the scan's columns as the plan's result: its columns, its names."""
        if self.picks != list(range(b.num_columns)):
            b = b.select(self.picks)
        renamed = self._renamed
        if renamed is None or not b.schema.equals(renamed[0]):  # the storage's types, the plan's names
            names = self.schema.names
            renamed = self._renamed = (b.schema, None if b.schema.names == names else names)
        return b if renamed[1] is None else b.rename_columns(renamed[1])


def point_read_of(plan: Any) -> PointRead | None:
    """The plan as a PointRead when it is one primary-key lookup of plain columns, or one lookup
    through a unique index on one column, else None."""
    if getattr(plan, "subplans", None):
        return None
    root = getattr(plan, "root", None)
    if isinstance(root, Project) and len(root.children) == 1 and isinstance(root.children[0], TableScan):
        scan = root.children[0]
        picks = [e.column for e in root.exprs]
    elif isinstance(root, TableScan):
        scan = root
        picks = list(range(len(scan.columns)))
    else:
        return None
    if type(scan) is not TableScan or scan.as_of is not None or scan.pushed or scan.with_rowid \
            or scan.unconstrained_numeric or len(scan.fields) != len(scan.columns) or scan.index_use is not None:
        return None
    if any(p is None or not 0 <= p < len(scan.columns) for p in picks) or len(picks) != len(plan.columns):
        return None
    if scan.pk_lookup is None:
        return _by_index(scan, picks, plan.schema)
    if scan.residual is not None:
        return None
    key_param, key_bound, key_type = None, 0, ""
    if len(scan.pk_lookup) == 1:
        c = scan.pk_lookup[0][1]
        type_name = getattr(getattr(c, "type", None), "name", "")
        key_bound = _INT_BOUNDS.get(type_name, 0)
        label = _PARAM_LABEL.match(getattr(c, "label", "") or "")
        if key_bound and getattr(c, "param", None) is not None:
            key_param = c.param
        elif key_bound and label is not None:
            # an integer parameter cast to the key's integer type ($1 typed int2 or int4 by the client
            # against a bigint key): the same value once both ranges are respected (execute_point)
            key_param = int(label.group(1)) - 1
        elif type_name in _TEXT_KEY_TYPES and getattr(c, "param", None) is not None:
            # the bare parameter is the key as the binder gives it (jsonb: its canonical text)
            key_param, key_type = c.param, type_name
    return PointRead(scan, picks, plan.schema, key_param, key_bound, key_type)


def _by_index(scan: TableScan, picks: list[int], schema: pa.Schema) -> PointRead | None:
    """A PointRead through the scan's unique one-column index, when its equality with one value
    is the scan's whole filter (the residual, the terms pruning segments) and the column's values
    are equal exactly when their stored values are."""
    if scan.index is None or not scan.index_unique or scan.guard is not None:
        return None
    terms = scan.index[2]
    if len(terms) != 1 or terms[0].op != "=" or len(terms[0].values) != 1:
        return None
    term = terms[0]
    parts = scan.residual_parts or []
    # the residual is that equality alone: its label names the column and the value (a cast the
    # client wrote, ``$1::VARCHAR``, is in the value's type, not in the label)
    if len(scan.prune_terms) != 1 or scan.prune_terms[0] is not term or len(parts) != 1 \
            or parts[0].label not in (f"({term.text})", f"({term.column} = {term.values[0].label})") \
            or term.column not in scan.columns:
        return None
    column_type = scan.fields[scan.columns.index(term.column)].type.name
    if column_type not in _INDEX_KEY_TYPES:
        return None
    c = term.values[0]
    key_param, key_bound, key_type = None, 0, ""
    if getattr(c, "param", None) is not None:
        if column_type in _INT_BOUNDS and c.type.name in _INT_BOUNDS:
            key_param, key_bound = c.param, _INT_BOUNDS[column_type]
        elif column_type in ("text", "varchar") and c.type.name in ("text", "varchar"):
            key_param, key_type = c.param, c.type.name
    return PointRead(scan, picks, schema, key_param, key_bound, key_type, by_index=True)


def _int_key(value: Any, bound: int) -> int | None:
    """The parameter as the key it binds to, when it is a plain integer in range (text from the
    wire: ASCII digits with an optional minus); None for anything the binder must judge."""
    if type(value) is str:
        digits = value[1:] if value[:1] == "-" else value
        if not (0 < len(digits) <= 19 and digits.isascii() and digits.isdigit()):
            return None
        value = int(value)
    elif type(value) is not int:
        return None
    return value if -bound <= value < bound else None


def _text_key(value: Any, type_name: str) -> str | None:
    """A text or jsonb parameter as the key it binds to (jsonb: its canonical text, as stored);
    None for anything the binder must judge (and maybe refuse)."""
    if type(value) is not str or "\x00" in value:
        return None
    if type_name in ("text", "varchar"):
        return value
    if len(value) > _LONGEST_JSONB_KEY:
        return None
    inner = value[1:-1]
    if len(value) > 1 and value[0] == '"' == value[-1] and inner.isprintable() and '"' not in inner \
            and "\\" not in inner:
        return value  # a JSON string with nothing to escape: its own canonical text
    try:
        return jsonb_text(value)
    except (HeliosError, ValueError, TypeError, RecursionError):
        return None


def execute_point(session: Any, stmt: Any, params: Sequence[Any]) -> Result | None:
    """``session.execute_prepared(stmt, params)`` for a planned integer-key point read, or None
    when the statement or the session's state needs the ordinary path (see module docstring)."""
    pp = stmt.plan
    if pp is None or pp.nests_deeply:
        return None
    cache = pp.cache
    point = cache.get("point")
    if point is None or point.key_param is None or cache.get("as_of") is not False \
            or len(params) != 1 or len(pp.param_types) != 1 or point.key_param != 0:
        return None
    param_type = pp.param_types[0].name
    if point.key_type:
        key = _text_key(params[0], param_type) if param_type == point.key_type else None
    else:
        bound = _INT_BOUNDS.get(param_type, 0)
        key = _int_key(params[0], min(bound, point.key_bound)) if bound else None
    tx = session.tx
    if key is None or tx.failed or session.closed or session._in_statement:
        return None
    session.settle_stream()  # as execute_prepared: a finished streamed query is let go first
    if tx.failed or session._open_stream is not None or session._open_statements is not None:
        return None
    engine, settings = session.engine, session.settings_obj
    checked = (settings.version, engine.plan_generation, bool(session.temp_tables))
    last = session.point_checked
    if not last or last[0] is not pp or last[1] != checked:  # what the plan depends on besides the text
        if (pp.generation != engine.plan_generation or pp.branch != session.branch
                or pp.search_path != tuple(session.search_path())
                or pp.value_styles != (settings.get("timezone"), settings.get("datestyle"),
                                       settings.get("intervalstyle"), settings.get("bytea_output"))):
            return None
        session.point_checked = (pp, checked)
    session.last_query = stmt.sql
    session.query_start = time.time()
    started = time.perf_counter()
    counting = engine.statement_stats.enabled
    cpu_started = statement_stats.cpu_sample_start(session._statements_run + 1) if counting else None

    def run() -> Result | None:
        try:
            with time_budget.time_budget(_NO_WAIT):  # a branch's CPU quota would queue it: not here
                session._begin_statement()
        except time_budget.BudgetExceeded:
            session._end_statement()
            return None
        try:
            txn = tx.current()
            tx.statement_start()
            batches = point.fetch(txn, (key,))
            rows = sum(b.num_rows for b in batches)
            return Result(command_tag=f"SELECT {rows}", columns=cache["columns"], batches=batches, kind="SELECT",
                          row_count=rows)
        finally:
            session._end_statement()

    scan = point.scan
    if point.by_index and not tx.current().index_ready(scan.schema_name, scan.table, scan.index[1]):
        return None  # it may sort a segment's column first: not on the caller's event loop
    hook = engine.statement_hook()
    session._in_statement = True
    try:
        result = run() if hook is None else hook(session=session, statement=pp.statement.text, run=run)
    except BaseException as e:
        session._in_statement = False
        tx.on_error()
        err = e if isinstance(e, HeliosError) or not isinstance(e, Exception) else from_engine_failure(e)
        session._statements_run += 1
        pp.executions += 1
        if counting:
            session._count_statement(stmt.sql, "select", started, statement_stats.cpu_since(cpu_started), None,
                                     getattr(err, "sqlstate", None) or "XX000")
        if err is e:
            raise
        raise err from e
    session._in_statement = False
    if result is None:
        return None
    session._statements_run += 1
    pp.executions += 1
    tx.end_implicit()
    if counting:
        session._count_statement(stmt.sql, "select", started, statement_stats.cpu_since(cpu_started),
                                 result.row_count, None)
    return result
