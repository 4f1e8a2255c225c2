"""PostgreSQL's identifier case rule, applied once to every parsed statement.

An unquoted identifier folds to lower case (``Customers``, ``CUSTOMERS`` and ``customers``
name the same table); a double-quoted one keeps its case exactly (``"Customers"`` is another
name). Folding the tree right after parsing means every later step (name resolution, DDL,
output column labels, stored view text) compares names as they are, with no statement kind
left to fold on its own. Function names fold too: ``COUNT(*)`` is labelled ``count``.
"""

from __future__ import annotations

from sqlglot import exp


def fold_identifiers(tree: exp.Expression) -> exp.Expression:
    """Lower-case every unquoted identifier of ``tree`` in place; returns the root."""
    for node in tree.walk():
        if isinstance(node, exp.Identifier):
            if not node.quoted:
                name = node.this
                if isinstance(name, str) and not name.islower():
                    node.set("this", name.lower())
        elif isinstance(node, exp.Anonymous):
            name = node.this
            if isinstance(name, str) and not name.islower():
                node.set("this", name.lower())
    return tree
