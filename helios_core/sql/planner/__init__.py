"""Query planner: sqlglot query trees -> trees of physical operators over Arrow batches.

Entry point (used by the statement layer, C2)::

    plan = plan_query(ast, ctx)      # ast: exp.Select | exp.Union | exp.Intersect | exp.Except
                                     #      | exp.Values | exp.Subquery (a query expression)
    plan.columns                     # list[(name, SqlType)] of the result, in order
    plan.param_types                 # list[SqlType | None] for $1..$n (inferred when ctx had None)
    plan.execute(ctx)                # Iterator[pa.RecordBatch]; columns named as plan.columns
    plan.explain(ctx=None, analyze=False) -> list[str]   # EXPLAIN text lines

Planning binds names against the catalog seen through ``ctx`` (see helios_core.sql.context)
and raises HeliosError with PostgreSQL SQLSTATEs (42P01 unknown table, 42703 unknown column,
42702 ambiguous column, 42803 grouping error, 42883 unknown function ...).  A Plan keeps no
transaction, so it can be executed again with a new context (prepared statements).

The planner binds in ``builder.py`` (names, types, one pass over the tree into logical nodes;
``scalar.py`` compiles expressions), rewrites the logical plan with the rules of
``helios_core.logical.rules`` and lowers it to the operators of ``helios_core.sql.operators``
(``helios_core.sql.planner.lowering``).

What the planner does beyond the literal tree:

- scans read only the columns the statement mentions; WHERE terms on one table are applied by
  its scan, one term after another (cheap column terms first, subqueries last); a WHERE that
  pins a whole primary key becomes ``txn.lookup`` (shown as "Index Scan using <table>_pkey");
- comma/INNER joins form a join graph: equalities between two sides become hash joins (the
  hash table is built on the smaller side), other terms filter the matching pairs;
- correlated ``[NOT] EXISTS`` / ``IN`` become hash semi/anti joins; a correlated scalar
  subquery with an aggregate becomes one GROUP BY per execution plus a hash lookup; other
  correlated subqueries run once per distinct combination of the outer values they use;
- identical pure subexpressions are evaluated once per batch; constants are folded at plan
  time (never-taken CASE/COALESCE branches are typed but not evaluated, as PostgreSQL does);
- GROUP BY a table's primary key admits its other columns (functional dependency);
- set-returning functions in the select list are planned as LATERAL FROM items.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import attrs
import pyarrow as pa

from helios_core.sql.context import QueryContext


@attrs.define
class Plan:
    """A planned query: a root operator plus the result column names and types."""

    root: Any  # operators.base.Operator
    columns: list[tuple[str, Any]]
    param_types: list[Any] = attrs.Factory(list)
    subplans: list[Any] = attrs.Factory(list)  # operators of expression subqueries (EXPLAIN shows them)
    logical: Any = None  # the logical plan after the rules (helios_core.logical), ``root`` lowered from it
    any_params: list[int] = attrs.Factory(list)  # parameters passed untyped to an argument declared "any"

    @property
    def schema(self) -> pa.Schema:
        """Arrow schema of the result batches (column names are the SQL names)."""
        return pa.schema([pa.field(n, t.arrow_type) for n, t in self.columns])

    def execute(self, ctx: QueryContext) -> Iterator[pa.RecordBatch]:
        """Run the plan; yields batches whose columns are named like ``columns``."""
        names = [n for n, _ in self.columns]
        schema = self.schema
        for batch in self.root.execute(ctx):
            ctx.check_cancel()
            if batch.num_rows == 0:
                continue
            if not names:  # SELECT with no columns: rows of nothing (from_arrays would lose the count)
                yield batch.select([])
                continue
            yield pa.RecordBatch.from_arrays(list(batch.columns), schema=_with_names(batch, names, schema))

    def to_table(self, ctx: QueryContext) -> pa.Table:
        """All result rows as one table (convenience for tests and small results)."""
        from helios_core.sql.operators.base import unify_batches

        batches = list(self.execute(ctx))
        if not batches:
            return self.schema.empty_table()
        batches = unify_batches(batches, [])
        return pa.Table.from_batches(batches)

    def explain(self, ctx: QueryContext | None = None, analyze: bool = False,
                options: dict[str, Any] | None = None) -> list[str]:
        """EXPLAIN [ANALYZE] text; with analyze the plan is run (rows and time per operator)."""
        from helios_core.sql.explain import explain_lines

        return explain_lines(self, ctx, analyze=analyze, options=options)


def _with_names(batch: pa.RecordBatch, names: list[str], schema: pa.Schema) -> pa.Schema:
    if batch.schema.equals(schema):
        return schema
    return pa.schema([pa.field(n, c.type) for n, c in zip(names, batch.columns, strict=True)])


def plan_query(ast: Any, ctx: QueryContext) -> Plan:
    """Bind and plan a query expression (see module docstring)."""
    from helios_core.sql.planner.builder import Builder

    return Builder(ctx).plan_top(ast)
