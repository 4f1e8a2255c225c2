"""Filter simplification: terms that are true whatever the row are dropped.

Constants were folded when the terms were compiled (``1 = 1``, ``'a' < 'b'``, a
parameter-free function of literals), so a term whose value is the constant TRUE filters
nothing; a filter left with no terms is no filter at all.

Before::

    Filter 1 = 1 AND a > 5
      Scan t [a]

After::

    Filter a > 5
      Scan t [a]

and ``WHERE true`` leaves the bare scan. Terms that fold to FALSE or NULL are kept: the
binder already reduces such a WHERE to that one term, never evaluating the others
(PostgreSQL's one-time filter), and a filter that keeps no row must still type its input.
"""

from __future__ import annotations

from typing import Any

from helios_core.logical import nodes as L


def simplify_filters(node: Any) -> Any:
    if not isinstance(node, L.Filter):
        return node
    parts = node.bound_parts  # a part not compiled yet is a key equality, never constant
    keep = [i for i, p in enumerate(parts) if p is None or not _always_true(p)]
    if not keep:
        return node.child
    if len(keep) == len(parts) or node.scan_terms is None:
        return node  # without the terms' texts the filter keeps its own text, so all of it
    return L.Filter(node.child, [parts[i] for i in keep], scan_terms=[node.scan_terms[i] for i in keep],
                    deferred=lambda j: node.part(keep[j]))


def _always_true(part: Any) -> bool:
    return part.const is not None and part.type.name == "bool" and part.const.value() is True
