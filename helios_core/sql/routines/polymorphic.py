"""Polymorphic pseudo-types of routine signatures (anyelement, anyarray, anycompatible, ...).

A routine declared with them is bound to concrete types at each call, by PostgreSQL's rules:

* the *any* family (anyelement, anyarray, anynonarray, anyenum, anyrange, anymultirange) takes
  one element type from every argument of these kinds; all must agree exactly;
* the *anycompatible* family (anycompatible, anycompatiblearray, anycompatiblenonarray,
  anycompatiblerange, anycompatiblemultirange) takes the common type of its arguments (a range
  argument fixes it to the range's subtype);
* untyped literals take the bound type; when a family has nothing but untyped literals the call
  is 42804 (the *anycompatible* family then falls back to text, unless a range is wanted).

``bind`` gives the concrete type of each pseudo-type name, or None when the arguments do not
fit (the caller reports 42883: no function matches). ``check_result`` is CREATE FUNCTION's
42P13 for a polymorphic result no argument can determine.
"""

from __future__ import annotations

import pyarrow as pa

from helios_core.errors import HeliosError
from helios_core.sql import types as T
from helios_core.sql.functions.resolve import common_type, implicitly_castable

ANY_FAMILY = ("anyelement", "anyarray", "anynonarray", "anyenum", "anyrange", "anymultirange")
COMPATIBLE_FAMILY = ("anycompatible", "anycompatiblearray", "anycompatiblenonarray", "anycompatiblerange",
                     "anycompatiblemultirange")
POLYMORPHIC = ANY_FAMILY + COMPATIBLE_FAMILY
_OIDS = {"anyelement": 2283, "anyarray": 2277, "anynonarray": 2776, "anyenum": 3500, "anyrange": 3831,
         "anymultirange": 4537, "anycompatible": 5077, "anycompatiblearray": 5078,
         "anycompatiblenonarray": 5079, "anycompatiblerange": 5080, "anycompatiblemultirange": 4538,
         "any": 2276, "internal": 2281}
PSEUDO = {name: T.SqlType(name=name, oid=oid, arrow_type=pa.null()) for name, oid in _OIDS.items()}
for _pseudo in PSEUDO.values():
    T.register_by_oid(_pseudo)
# "any" is written quoted in signatures; format_type shows it so
_SPELLING = {"any": '"any"'}


def pseudo_type(name: str) -> T.SqlType | None:
    """The pseudo-type called ``name`` ('"any"' or 'any' for "any"), or None."""
    key = name.strip().lower()
    if key.startswith('"') and key.endswith('"'):
        key = key[1:-1]
    return PSEUDO.get(key)


def spelled(name: str) -> str:
    """A pseudo-type's name as format_type writes it."""
    return _SPELLING.get(name, name)


def is_polymorphic(t: T.SqlType | str) -> bool:
    return (t if isinstance(t, str) else t.name) in POLYMORPHIC


def _needs(result: str) -> tuple[str, tuple[str, ...]]:
    """(the wording of PostgreSQL's detail, the argument kinds that determine ``result``)."""
    if result in ("anyrange", "anymultirange"):
        return "anyrange or anymultirange", ("anyrange", "anymultirange")
    if result in ("anycompatiblerange", "anycompatiblemultirange"):
        return "anycompatiblerange or anycompatiblemultirange", ("anycompatiblerange", "anycompatiblemultirange")
    if result in ANY_FAMILY:
        return ("anyelement, anyarray, anynonarray, anyenum, anyrange, or anymultirange", ANY_FAMILY)
    wording = ("anycompatible, anycompatiblearray, anycompatiblenonarray, anycompatiblerange, or "
               "anycompatiblemultirange")
    return wording, COMPATIBLE_FAMILY


def check_result(result: str, inputs: list[str], what: str = "result") -> None:
    """42P13 when a polymorphic ``result`` has no input argument that determines it."""
    if result not in POLYMORPHIC:
        return
    wording, kinds = _needs(result)
    if not any(i in kinds for i in inputs):
        raise HeliosError(f"cannot determine {what} data type", sqlstate="42P13",
                          detail=f"A result of type {result} requires at least one input of type {wording}.")


def bind(declared: list[str], actual: list[T.SqlType]) -> dict[str, T.SqlType] | None:
    """Concrete types of the pseudo-types in ``declared`` for arguments of types ``actual``.

    None when the arguments do not fit; 42804 when only untyped literals decide a family. An
    actual pseudo-type (CREATE AGGREGATE looking up its support functions) fits only the same
    pseudo-type, and then every argument of its family must be one."""
    pairs = [(d, a) for d, a in zip(declared, actual, strict=False) if d in POLYMORPHIC]
    if not pairs:
        return {}
    if any(a.name in POLYMORPHIC for _, a in pairs):
        for fam in (ANY_FAMILY, COMPATIBLE_FAMILY):
            mine = [(d, a) for d, a in pairs if d in fam]
            if any(a.name in POLYMORPHIC for _, a in mine) and not all(d == a.name for d, a in mine):
                return None
        return {d: PSEUDO[d] for d, _ in pairs}
    out: dict[str, T.SqlType] = {}
    any_pairs = [(d, a) for d, a in pairs if d in ANY_FAMILY]
    if any_pairs:
        elem = _bind_any(any_pairs)
        if elem is None:
            return None
        out.update(_family_types(elem, ANY_FAMILY, any_pairs))
    comp_pairs = [(d, a) for d, a in pairs if d in COMPATIBLE_FAMILY]
    if comp_pairs:
        elem = _bind_compatible(comp_pairs)
        if elem is None:
            return None
        out.update(_family_types(elem, COMPATIBLE_FAMILY, comp_pairs))
    return out


def _range_subtype(t: T.SqlType) -> T.SqlType | None:
    if t.is_range:
        return T.RANGE_SUBTYPES[t.name]
    if t.is_multirange:
        return T.RANGE_SUBTYPES[T.MULTIRANGE_OF[t.name]]
    return None


def _bind_any(pairs: list[tuple[str, T.SqlType]]) -> T.SqlType | None:
    elem: T.SqlType | None = None
    rng: T.SqlType | None = None
    for d, a in pairs:
        if a.name == "unknown":
            continue
        if d in ("anyelement", "anynonarray", "anyenum"):
            got = a
        elif d == "anyarray":
            if a.element is None:
                return None
            got = a.element
        else:
            sub = _range_subtype(a)
            if sub is None or (d == "anyrange") != a.is_range:
                return None
            r = T.RANGE_TYPES[a.name] if a.is_range else T.RANGE_TYPES[T.MULTIRANGE_OF[a.name]]
            if rng is not None and rng.name != r.name:
                return None
            rng = r
            got = sub
        if elem is not None and elem.base != got.base:
            return None
        elem = got if elem is None else elem
    if elem is None:
        raise HeliosError("could not determine polymorphic type because input has type unknown", sqlstate="42804")
    for d, _ in pairs:
        if d == "anynonarray" and elem.element is not None:
            return None
        if d == "anyenum" and not elem.is_enum:
            return None
    return elem


def _bind_compatible(pairs: list[tuple[str, T.SqlType]]) -> T.SqlType | None:
    candidates: list[T.SqlType] = []
    rng: T.SqlType | None = None
    for d, a in pairs:
        if a.name == "unknown":
            continue
        if d in ("anycompatible", "anycompatiblenonarray"):
            candidates.append(a)
        elif d == "anycompatiblearray":
            if a.element is None:
                return None
            candidates.append(a.element)
        else:
            sub = _range_subtype(a)
            if sub is None or (d == "anycompatiblerange") != a.is_range:
                return None
            r = T.RANGE_TYPES[a.name] if a.is_range else T.RANGE_TYPES[T.MULTIRANGE_OF[a.name]]
            if rng is not None and rng.name != r.name:
                return None
            rng = r
    if rng is not None:
        sub = T.RANGE_SUBTYPES[rng.name]
        if not all(implicitly_castable(c, sub) for c in candidates):
            return None
        elem = sub
    elif not candidates:
        wanted = next((d for d, _ in pairs if d in ("anycompatiblerange", "anycompatiblemultirange")), None)
        if wanted is not None:
            raise HeliosError(f"could not determine polymorphic type {wanted} because input has type unknown",
                              sqlstate="42804")
        elem = T.TEXT
    else:
        try:
            elem = common_type(candidates, "anycompatible")
        except HeliosError:
            return None
        if not all(implicitly_castable(c, elem) for c in candidates):
            return None
    for d, _ in pairs:
        if d == "anycompatiblenonarray" and elem.element is not None:
            return None
    return elem


def _family_types(elem: T.SqlType, family: tuple[str, ...], pairs: list[tuple[str, T.SqlType]]
                  ) -> dict[str, T.SqlType]:
    elem = elem.base if elem.element is None else elem
    element, array, nonarray, enum_or_none, rng, multi = (family + (None,) * 6)[:6] if family is ANY_FAMILY \
        else (family[0], family[1], family[2], None, family[3], family[4])
    out = {element: elem, array: T.array_of(elem), nonarray: elem}
    if enum_or_none:
        out[enum_or_none] = elem
    range_name = next((a.name if a.is_range else T.MULTIRANGE_OF[a.name] for d, a in pairs
                       if d in (rng, multi) and a.name != "unknown"), None)
    if range_name is None and family is COMPATIBLE_FAMILY:
        range_name = next((r for r, sub in T.RANGE_SUBTYPES.items() if sub.name == elem.name), None) \
            if any(d in (rng, multi) for d, _ in pairs) else None
    if range_name is not None:
        out[rng] = T.RANGE_TYPES[range_name]
        out[multi] = T.MULTIRANGE_TYPES[T.RANGE_MULTIRANGE[range_name]]
    return {k: v for k, v in out.items() if k is not None}


def substitute(name: str, bound: dict[str, T.SqlType]) -> T.SqlType | None:
    """The concrete type of a declared type name under ``bound`` (None: not polymorphic)."""
    if name not in POLYMORPHIC:
        return None
    t = bound.get(name)
    if t is None:
        raise HeliosError(f"could not determine polymorphic type {name}", sqlstate="42804")
    return t
