"""Reading sqlglot query trees the way the planner needs, whatever sqlglot version spells them."""

from __future__ import annotations

from typing import Any

from sqlglot import exp


def arg(node: exp.Expression, name: str) -> Any:
    """node.args[name], tolerating sqlglot's trailing-underscore spellings (from_, with_)."""
    v = node.args.get(name)
    if v is None:
        v = node.args.get(name + "_")
    return v


def split_and(e: exp.Expression) -> list[exp.Expression]:
    """The terms of a conjunction, parentheses around nested ANDs looked through."""
    while isinstance(e, exp.Paren) and isinstance(e.this, exp.And):
        e = e.this
    if isinstance(e, exp.And):
        return split_and(e.this) + split_and(e.expression)
    return [e]
