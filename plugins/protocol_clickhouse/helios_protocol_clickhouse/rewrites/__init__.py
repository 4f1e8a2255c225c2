"""Rewrites of ClickHouse statement trees into trees the kernel runs, one concern per module.

``apply_all`` runs them in order; each is a function ``(Expression, RewriteContext) -> Expression``.
"""

from __future__ import annotations

from sqlglot import exp

from helios_protocol_clickhouse import merge_engines
from helios_protocol_clickhouse.rewrites import (
    aliases,
    array_join,
    clauses,
    ddl,
    duplicate_outputs,
    functions,
    hoisted_aggregates,
    joins,
    limit_by,
    nested,
    sample,
    scalar_subqueries,
    sources,
    states,
    system_tables,
    tuple_access,
    with_aliases,
)
from helios_protocol_clickhouse.rewrites.context import RewriteContext


def apply_all(tree: exp.Expression, ctx: RewriteContext | None = None) -> exp.Expression:
    ctx = ctx or RewriteContext()
    tree = tuple_access.rewrite(tree)
    tree = scalar_subqueries.rewrite(tree)
    tree = ddl.rewrite(tree, ctx)
    tree = states.rewrite(tree, ctx)  # aggregate function states, typed on the statement as written
    tree = merge_engines.read_final(tree, ctx)  # FROM t FINAL of a merging engine's table: its merge
    tree = system_tables.rewrite(tree, ctx)
    tree = nested.rewrite(tree, ctx)
    tree = sample.rewrite(tree, ctx)  # SAMPLE k [OFFSET m]: a range of the table's sampling key
    tree = clauses.rewrite(tree, ctx.settings)
    tree = with_aliases.rewrite(tree)
    tree = duplicate_outputs.rewrite(tree)
    tree = sources.rewrite(tree, ctx.settings)
    tree = array_join.rewrite(tree)
    tree = aliases.rewrite(tree)
    tree = hoisted_aggregates.rewrite(tree)
    tree = joins.rewrite(tree, ctx)
    tree = limit_by.rewrite(tree)
    tree = functions.rewrite(tree, ctx)
    return tree


__all__ = ["RewriteContext", "apply_all"]
