"""CREATE TYPE name AS RANGE (SUBTYPE = t [, COLLATION = c] [, SUBTYPE_DIFF = f]
[, MULTIRANGE_TYPE_NAME = m]): a range type over a subtype and the multirange type that comes
with it, kept as two catalog records that ``user_types`` turns into SqlTypes (see
``types.RangeInfo``). Their values, operators and functions are the built-in ranges' own.

Bounds order as Python orders the subtype's values, so subtypes are those whose values order
so (numbers, money, text in the C collation, dates and times, and domains over them); other
subtypes, collations and canonical functions are refused, naming what is missing.
"""

from __future__ import annotations

from typing import Any

from helios_core.errors import DuplicateObject, FeatureNotSupported, HeliosError, SyntaxError_
from helios_core.session import Result
from helios_core.sql import composite_types, object_privileges
from helios_core.sql import types as T
from helios_core.sql.routines import definition
from helios_core.sql.user_types import split_name, type_text

# subtypes whose Python values order as PostgreSQL's btree orders them
_ORDERED_SUBTYPES = {"int2", "int4", "int8", "float4", "float8", "numeric", "text", "varchar", "bpchar", "name",
                     "date", "time", "timestamp", "timestamptz", "oid", "money"}
_COLLATABLE = {"text", "varchar", "bpchar", "name"}
_BYTE_ORDER_COLLATIONS = {"c", "posix", "default", "ucs_basic"}
_OPTIONS = {"subtype", "collation", "subtype_diff", "multirange_type_name", "canonical", "subtype_opclass"}


def default_multirange_name(name: str) -> str:
    """PostgreSQL's name for a range type's multirange: its first "range" becomes "multirange",
    or "_multirange" is appended."""
    at = name.find("range")
    return name[:at] + "multirange" + name[at + 5:] if at >= 0 else name + "_multirange"


def create(session: Any, parts: list[str], options: list[tuple[str, str]]) -> Result:
    txn = session.tx.current()
    schema, name = _creation_name(session, txn, parts)
    given: dict[str, str] = {}
    for key, value in options:
        if key not in _OPTIONS:
            raise SyntaxError_(f'type attribute "{key}" not recognized')
        if key in given:
            raise SyntaxError_("conflicting or redundant options")
        given[key] = value.strip()
    if "subtype" not in given:
        raise HeliosError('type attribute "subtype" is required', sqlstate="42P17")
    subtype = T.type_from_name(given["subtype"])
    base = T.without_domain(subtype) if subtype.domain is not None else subtype
    element = base.element
    if (base.name if element is None else element.name) not in _ORDERED_SUBTYPES:
        raise FeatureNotSupported(f"range types over {subtype.sql_name()} are not supported",
                                  hint="HeliosDB builds range types over numbers, text (C collation), "
                                       "dates and times.")
    if "collation" in given:
        if base.name not in _COLLATABLE:
            raise HeliosError("range collation specified but subtype does not support collation",
                              sqlstate="42809")
        collation = split_name(given["collation"])
        if not collation or collation[-1].lower() not in _BYTE_ORDER_COLLATIONS:
            raise FeatureNotSupported(f'range types in collation "{given["collation"].strip(chr(34))}" are not '
                                      'supported', hint='Ranges over text compare in the "C" collation.')
    if "canonical" in given:
        raise FeatureNotSupported("canonical functions of range types are not supported")
    if "subtype_opclass" in given:
        raise FeatureNotSupported("subtype operator classes of range types are not supported")
    if "subtype_diff" in given:
        _check_subtype_diff(session, txn, given["subtype_diff"], subtype)
    composite_types._check_free_name(txn, schema, name)
    if "multirange_type_name" in given:
        mparts = split_name(given["multirange_type_name"])
        mschema, mname = _creation_name(session, txn, mparts) if len(mparts) == 2 else (schema, mparts[0])
        builtin = _builtin_type(mname) if len(mparts) == 1 else None
        if builtin is not None:
            raise DuplicateObject(f'type "{builtin.name}" already exists')
        composite_types._check_free_name(txn, mschema, mname)
    else:
        mschema, mname = schema, default_multirange_name(name)
        try:
            composite_types._check_free_name(txn, mschema, mname)
        except DuplicateObject as e:
            raise DuplicateObject(str(e), detail=f'Failed while creating a multirange type for type "{name}".',
                                  hint='You can manually specify a multirange type name using the '
                                       '"multirange_type_name" attribute.') from None
    for where in dict.fromkeys((schema, mschema)):
        object_privileges.check_create_in_schema(session, where, txn)
    fields = {"range_schema": schema, "range_name": name, "multirange_schema": mschema, "multirange_name": mname,
              "subtype": type_text(subtype, txn),  # schema-qualified: DROP DOMAIN finds it
              "subtype_diff": given.get("subtype_diff"), "owner": session.user}
    txn.catalog_put("type", f"{schema}.{name}", {"schema": schema, "name": name, "kind": "range", **fields})
    txn.catalog_put("type", f"{mschema}.{mname}", {"schema": mschema, "name": mname, "kind": "multirange",
                                                     **fields})
    return Result(command_tag="CREATE TYPE")


def _creation_name(session: Any, txn: Any, parts: list[str]) -> tuple[str, str]:
    """(schema, name) a new type goes to: its own schema, else the current schema."""
    if len(parts) > 2:
        raise SyntaxError_(f"improper qualified name (too many dotted names): {'.'.join(parts)}")
    return (parts[0], parts[1]) if len(parts) == 2 else (session.current_schema(txn), parts[0])


def _builtin_type(name: str) -> T.SqlType | None:
    """The built-in type a name spells (int: int4), or None."""
    try:
        t = T.type_from_name(name)
    except HeliosError:
        return None
    return t if t.name in T.BUILTIN_TYPE_NAMES else None


def _check_subtype_diff(session: Any, txn: Any, spelled: str, subtype: T.SqlType) -> None:
    """The subtype difference function must exist for two subtype arguments: PostgreSQL's own
    (float8mi, int4range_subdiff, ...) for the subtype, or a CREATE FUNCTION's of that name."""
    parts = split_name(spelled)
    fname = parts[-1] if parts else spelled
    builtin = {f"{subtype.name}mi", f"{subtype.name}_mi", *(f"{r}_subdiff" for r, s in T.RANGE_SUBTYPES.items()
                                                             if s.name == subtype.name)}
    if fname in builtin or definition.find(session, txn, fname, 2):
        return
    arg = subtype.sql_name()
    raise HeliosError(f"function {fname}({arg}, {arg}) does not exist", sqlstate="42883")
