"""PostgreSQL's type resolution: common types (UNION/CASE/COALESCE) and numeric promotion."""

from __future__ import annotations

from collections.abc import Iterable

from helios_core.errors import DatatypeMismatch
from helios_core.sql import types as T

NUMERIC_RANK = {"int2": 0, "int4": 1, "int8": 2, "oid": 2, "numeric": 3, "float4": 4, "float8": 5}
_RANKED = {0: T.INT2, 1: T.INT4, 2: T.INT8, 3: T.NUMERIC, 4: T.FLOAT4, 5: T.FLOAT8}
_DT_RANK = {"date": 0, "timestamp": 1, "timestamptz": 2}


def arithmetic_type(a: T.SqlType, b: T.SqlType) -> T.SqlType:
    """Result type of + - * / on two numeric-family types (float4 with anything else -> float8)."""
    ra, rb = NUMERIC_RANK[a.name], NUMERIC_RANK[b.name]
    if ra >= 4 or rb >= 4:
        return T.FLOAT4 if ra == rb == 4 else T.FLOAT8
    return _RANKED[max(ra, rb)]


def _common_record(records: list[T.SqlType], context: str) -> T.SqlType:
    """Anonymous records unify field by field (Arrow holds one struct type per column)."""
    width = {len(t.fields) for t in records if t.fields}
    if len(width) != 1:
        from helios_core.errors import FeatureNotSupported

        raise FeatureNotSupported(f"{context}: records with different numbers of fields in one result column "
                                  "are not supported")
    n = width.pop()
    return T.record_of([common_type([t.fields[i] for t in records if t.fields], context) for i in range(n)])


def common_type(types: Iterable[T.SqlType], context: str = "UNION") -> T.SqlType:
    """The type PostgreSQL picks for UNION/CASE/COALESCE/VALUES/ARRAY[] over these types.

    Unknowns (untyped literals, NULL) take the others' type without its typmod; all unknown gives text.
    Mixed categories are 42804 "<context> types X and Y cannot be matched".
    """
    types = list(types)
    known = [t for t in types if t.name != "unknown"]
    if not known:
        return T.TEXT
    first = known[0]
    if first.name == "record" and all(t.name == "record" for t in known) and any(t.fields for t in known):
        return _common_record(known, context)
    if all(t == first for t in known):
        # PostgreSQL keeps the typmod only when every input has it: an untyped literal beside
        # '...'::varchar(3) makes the result varchar, so VALUES ('abc'::varchar(3)), ('abcdef') keeps both
        return first if len(known) == len(types) else first.base
    if all(t.name == first.name for t in known):
        if first.element is not None:
            return T.array_of(common_type([t.element for t in known], context))
        return first.base
    cat = first.category
    for t in known[1:]:
        if t.category != cat or (cat == "U" and t.name != first.name):
            raise DatatypeMismatch(f"{context} types {first} and {t} cannot be matched")
    if cat == "N":
        best = known[0]
        for t in known[1:]:
            if NUMERIC_RANK.get(t.name, 0) > NUMERIC_RANK.get(best.name, 0):
                best = t
        if best.name in ("float4",) and any(t.name == "float8" for t in known):
            return T.FLOAT8
        return best.base
    if cat == "S":
        return T.TEXT
    if cat == "D":
        if any(t.name in ("time", "timetz") for t in known):
            a = next(t for t in known if t.name in ("time", "timetz"))
            b = next((t for t in known if t.name not in ("time", "timetz")), None)
            if b is not None:
                raise DatatypeMismatch(f"{context} types {a} and {b} cannot be matched")
            return T.TIME
        best = max(known, key=lambda t: _DT_RANK.get(t.name, 0))
        return best.base
    if cat == "A":
        return T.array_of(common_type([t.element for t in known], context))
    return first.base


def implicitly_castable(src: T.SqlType, dst: T.SqlType) -> bool:
    """Whether PostgreSQL would insert this cast silently when resolving a call or operator."""
    if src == dst or src.name == dst.name or src.name == "unknown":
        return True
    s, d = src.name, dst.name
    if s in NUMERIC_RANK and d in NUMERIC_RANK:
        rs, rd = NUMERIC_RANK[s], NUMERIC_RANK[d]
        return rd > rs or (rs == 4 and rd == 5)
    if s in ("varchar", "bpchar", "name", "char") and d in ("text", "varchar", "bpchar"):
        return True
    if s == "text" and d in ("varchar", "bpchar", "name"):
        return True
    if s == "citext" and d in ("text", "varchar", "bpchar"):  # the citext extension's casts
        return True
    if s in _DT_RANK and d in _DT_RANK:
        return _DT_RANK[d] > _DT_RANK[s]
    if s == "time" and d == "interval":
        return True
    if src.element is not None and dst.element is not None:
        return implicitly_castable(src.element, dst.element)
    return False
