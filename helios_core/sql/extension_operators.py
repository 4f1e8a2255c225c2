"""SQL operators added by plugins (``helios_sql_operators`` hook, ``hookspecs.SqlOperator``).

``binary_op`` and ``unary_op`` ask here first: an operator applies when its operand types are
exactly the declared ones, an untyped literal taking the declared type of its side. Operators
are strict: a NULL operand gives NULL without calling the plugin.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from helios_core.plugins import get_plugin_manager, sql_operators
from helios_core.sql import types as T
from helios_core.sql.functions.cast import cast
from helios_core.sql.functions.vec import Vec, full

OPERATORS: dict[str, list[Any]] = {}  # symbol -> SqlOperator definitions
_loaded = False


def register(definition: Any) -> None:
    OPERATORS.setdefault(definition.symbol, []).append(definition)


def load_installed() -> None:
    """The operators of the installed plugins, registered once per process."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for definition in sql_operators(get_plugin_manager()):
        register(definition)


def _fits(declared: str | None, actual: T.SqlType | None) -> bool:
    if declared is None or actual is None:
        return declared is None and actual is None
    if actual.name == "unknown" or actual.sql_name() == declared or actual.name == declared:
        return True
    # text is also what varchar, char(n) and name operands are taken as (their implicit casts)
    if declared == "text" and actual.element is None:
        return actual.is_string_family and actual.name != "unknown"
    return declared == "text[]" and actual.element is not None and actual.element.is_string_family


def find(symbol: str, left: T.SqlType | None, right: T.SqlType) -> Any | None:
    """The plugin operator for these operand types: an exact match first, then one an untyped
    literal operand can take (only when that choice is unique)."""
    candidates = OPERATORS.get(symbol)
    if not candidates:
        return None
    fitting = [d for d in candidates if _fits(d.left, left) and _fits(d.right, right)]
    exact = [d for d in fitting if (left is None or left.name != "unknown") and right.name != "unknown"]
    if exact:
        return exact[0]
    if left is not None and left.name == "unknown" and right.name == "unknown":
        # two untyped literals take the string category first (PostgreSQL's operator resolution):
        # a plugin's operator over other types never beats the built-in text one ('a' || 'b' is
        # text's concatenation, not hstore's, whether or not another plugin also declares ||)
        strings = [d for d in fitting if d.left == "text" and d.right == "text"]
        return strings[0] if len(strings) == 1 else None
    if len(fitting) > 1:  # PostgreSQL: an untyped literal first takes the other operand's type, then text
        known = right if left is not None and left.name == "unknown" else left
        side = "left" if left is not None and left.name == "unknown" else "right"
        for wanted in ((known.name if known is not None else None), "text"):
            same = [d for d in fitting if getattr(d, side) == wanted]
            if len(same) == 1:
                return same[0]
    return fitting[0] if len(fitting) == 1 else None


def apply(definition: Any, operands: list[Vec]) -> Vec:
    declared = [t for t in (definition.left, definition.right) if t is not None]
    typed = []
    for v, name in zip(operands, declared, strict=True):
        target = T.type_from_name(name)
        typed.append(v if v.type.name == target.name else cast(v, target, context="implicit"))
    ret = T.type_from_name(definition.return_type)
    arrays, scalar_only = full(typed)
    n = len(arrays[0])
    valid = arrays[0].is_valid()
    for a in arrays[1:]:
        valid = pc.and_(valid, a.is_valid())
    if pc.all(valid).as_py():
        return Vec(_as_array(definition.impl(arrays), ret), ret, scalar_only)
    idx = pc.indices_nonzero(valid)
    result = _as_array(definition.impl([pc.take(a, idx) for a in arrays]), ret).to_pylist()
    out: list[Any] = [None] * n
    for i, value in zip(idx.to_pylist(), result, strict=True):
        out[i] = value
    return Vec(pa.array(out, ret.arrow_type), ret, scalar_only)


def _as_array(x: Any, ret: T.SqlType) -> pa.Array:
    if isinstance(x, pa.ChunkedArray):
        return x.combine_chunks()
    if isinstance(x, pa.Array):
        return x
    return pa.array(list(x), ret.arrow_type)
