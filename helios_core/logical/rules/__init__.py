"""Rewrite rules over logical plans, one per module, applied in ``RULES`` order.

Each rule is a function ``rule(node) -> node`` called on every node of the plan, inputs
first (so a rule sees its inputs already rewritten); it returns the node unchanged when
it does not apply. Rules keep a node's output columns and their order: the expressions
above were compiled against them. Each module's docstring shows a plan before and after,
and ``tests/logical/fixtures/<rule>.txt`` holds the cases ``tests/logical`` runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from helios_core.logical.rules.flatten_union_all import flatten_union_all
from helios_core.logical.rules.push_filters_into_scans import push_filters_into_scans
from helios_core.logical.rules.simplify_filters import simplify_filters

Rule = Callable[[Any], Any]

RULES: list[Rule] = [simplify_filters, push_filters_into_scans, flatten_union_all]


def optimize(node: Any, rules: list[Rule] | None = None) -> Any:
    """``node`` rewritten by the rules: one walk, inputs first, each rule in turn at each node
    (a rule looks at a node and its inputs only, so one walk does what one per rule would)."""
    return _walk(node, RULES if rules is None else rules, {})


def _walk(node: Any, rules: list[Rule], seen: dict[int, Any]) -> Any:
    """Common tables are rewritten when lowered: they are reached through their scans, and a
    shared body is rewritten once."""
    done = seen.get(id(node))
    if done is not None:
        return done
    if node.children:
        node.children = [_walk(c, rules, seen) for c in node.children]
    out = node
    for rule in rules:
        out = rule(out)
    seen[id(node)] = out
    return out
