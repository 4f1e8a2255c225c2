"""Rewrites of ClickHouse statement trees into trees the kernel runs, one concern per module.

``apply_all`` runs them in order; each is a function ``Expression -> Expression``.
"""

from __future__ import annotations

from sqlglot import exp

from helios_protocol_clickhouse.rewrites import functions, sources


def apply_all(tree: exp.Expression) -> exp.Expression:
    tree = sources.rewrite(tree)
    tree = functions.rewrite(tree)
    return tree
