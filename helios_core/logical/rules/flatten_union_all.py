"""UNION ALL chains become one n-ary union: one append over all the inputs.

Before::

    Union all
      Union all
        Scan a [x]
        Scan b [x]
      Scan c [x]

After::

    Union all
      Scan a [x]
      Scan b [x]
      Scan c [x]

Rows come out in the same order (each input's rows in turn). An input that is a UNION
ALL of other types (a cast projection stands between) is left as it is.
"""

from __future__ import annotations

from typing import Any

from helios_core.logical import nodes as L


def flatten_union_all(node: Any) -> Any:
    if not _union_all(node):
        return node
    kids: list[Any] = []
    for c in node.children:
        kids.extend(c.children if _union_all(c) else [c])
    node.children = kids
    return node


def _union_all(node: Any) -> bool:
    return isinstance(node, L.SetOperation) and node.kind == "union" and node.all
