"""SQL types as PostgreSQL clients see them: OID, typmod and size, from a neutral type name.

The session API describes a column by its SQL type's name (``"integer"``, ``"numeric(15,2)"``,
``"character varying(10)"``, ``"timestamp(3) with time zone"``, ``"text[]"``); RowDescription,
ParameterDescription and the binary codecs need PostgreSQL's pg_type OID, the typmod
(numeric ``((p << 16) | s) + 4``, varchar/char ``n + 4``, time precision ``p``) and typlen.
A type PostgreSQL does not know (a plugin's) travels as text.

    describe("numeric(15,2)")   # PgType(oid=1700, typmod=983046, size=-1, name='numeric')
    oid_of_name("integer[]")    # 1007
"""

from __future__ import annotations

import functools
import re

import attrs

from helios_core import types as sql_types

__all__ = ["PgType", "describe", "name_of_oid", "oid_of", "oid_of_name"]


@attrs.frozen
class PgType:
    oid: int
    typmod: int = -1
    size: int = -1  # typlen: -1 variable, -2 C string
    name: str = "text"  # pg_type.typname


# SQL spelling (and PostgreSQL's typname) -> (typname, oid, typlen)
_BASE: dict[str, tuple[str, int, int]] = {}
for _names, _typname, _oid, _len in (
    (("boolean", "bool"), "bool", 16, 1),
    (("bytea",), "bytea", 17, -1),
    (('"char"', "char"), "char", 18, 1),
    (("name",), "name", 19, 64),
    (("bigint", "int8"), "int8", 20, 8),
    (("smallint", "int2"), "int2", 21, 2),
    (("int2vector",), "int2vector", 22, -1),
    (("integer", "int4", "int"), "int4", 23, 4),
    (("regproc",), "regproc", 24, 4),
    (("text",), "text", 25, -1),
    (("oid",), "oid", 26, 4),
    (("oidvector",), "oidvector", 30, -1),
    (("json",), "json", 114, -1),
    (("real", "float4"), "float4", 700, 4),
    (("double precision", "float8"), "float8", 701, 8),
    (("unknown",), "text", 25, -1),  # an untyped literal's column is reported as text
    (("character", "bpchar"), "bpchar", 1042, -1),
    (("character varying", "varchar"), "varchar", 1043, -1),
    (("date",), "date", 1082, 4),
    (("time without time zone", "time"), "time", 1083, 8),
    (("timestamp without time zone", "timestamp"), "timestamp", 1114, 8),
    (("timestamp with time zone", "timestamptz"), "timestamptz", 1184, 8),
    (("interval",), "interval", 1186, 16),
    (("time with time zone", "timetz"), "timetz", 1266, 12),
    (("numeric", "decimal"), "numeric", 1700, -1),
    (("regclass",), "regclass", 2205, 4),
    (("regtype",), "regtype", 2206, 4),
    (("regprocedure",), "regprocedure", 2202, 4),
    (("regoper",), "regoper", 2203, 4),
    (("regoperator",), "regoperator", 2204, 4),
    (("regnamespace",), "regnamespace", 4089, 4),
    (("regrole",), "regrole", 4096, 4),
    (("regcollation",), "regcollation", 4191, 4),
    (("record",), "record", 2249, -1),
    (("void",), "void", 2278, -1),
    (("uuid",), "uuid", 2950, 16),
    (("jsonb",), "jsonb", 3802, -1),
    (("money",), "money", 790, 8),
    (("tid",), "tid", 27, 6),
    (("refcursor",), "refcursor", 1790, -1),
    (("jsonpath",), "jsonpath", 4072, -1),
    (("inet",), "inet", 869, -1),
    (("cidr",), "cidr", 650, -1),
    (("macaddr",), "macaddr", 829, 6),
    (("macaddr8",), "macaddr8", 774, 8),
    (("bit",), "bit", 1560, -1),
    (("bit varying", "varbit"), "varbit", 1562, -1),
    (("point",), "point", 600, 16),
    (("lseg",), "lseg", 601, 32),
    (("path",), "path", 602, -1),
    (("box",), "box", 603, 32),
    (("polygon",), "polygon", 604, -1),
    (("line",), "line", 628, 24),
    (("circle",), "circle", 718, 24),
    (("int4range",), "int4range", 3904, -1),
    (("numrange",), "numrange", 3906, -1),
    (("tsrange",), "tsrange", 3908, -1),
    (("tstzrange",), "tstzrange", 3910, -1),
    (("daterange",), "daterange", 3912, -1),
    (("int8range",), "int8range", 3926, -1),
    (("int4multirange",), "int4multirange", 4451, -1),
    (("nummultirange",), "nummultirange", 4532, -1),
    (("tsmultirange",), "tsmultirange", 4533, -1),
    (("tstzmultirange",), "tstzmultirange", 4534, -1),
    (("datemultirange",), "datemultirange", 4535, -1),
    (("int8multirange",), "int8multirange", 4536, -1),
    (("tsvector",), "tsvector", 3614, -1),  # the search plugin's types (binary: tsearch_codec)
    (("tsquery",), "tsquery", 3615, -1),
):
    for _n in _names:
        _BASE[_n] = (_typname, _oid, _len)

# element typname -> array type OID (pg_type.typarray)
_ARRAY_OID = {"bool": 1000, "bytea": 1001, "char": 1002, "name": 1003, "int2": 1005, "int4": 1007,
              "regproc": 1008, "text": 1009, "bpchar": 1014, "varchar": 1015, "int8": 1016,
              "float4": 1021, "float8": 1022, "oid": 1028, "timestamp": 1115, "date": 1182, "time": 1183,
              "timestamptz": 1185, "interval": 1187, "numeric": 1231, "timetz": 1270, "uuid": 2951,
              "json": 199, "jsonb": 3807, "regclass": 2210, "regtype": 2211, "record": 2287,
              "regprocedure": 2207, "regoper": 2208, "regoperator": 2209, "regnamespace": 4090, "regrole": 4097,
              "regcollation": 4192,
              "money": 791, "tid": 1010, "refcursor": 2201, "jsonpath": 4073, "inet": 1041, "cidr": 651, "macaddr": 1040, "macaddr8": 775,
              "bit": 1561, "varbit": 1563, "point": 1017, "lseg": 1018, "path": 1019, "box": 1020,
              "polygon": 1027, "line": 629, "circle": 719, "int4range": 3905, "numrange": 3907, "tsrange": 3909, "tstzrange": 3911, "daterange": 3913,
              "int8range": 3927, "int4multirange": 6150, "nummultirange": 6151, "tsmultirange": 6152,
              "tstzmultirange": 6153, "datemultirange": 6155, "int8multirange": 6157}

_BY_OID = {oid: typname for typname, oid, _ in _BASE.values()}
_BY_OID.update({oid: "_" + el for el, oid in _ARRAY_OID.items()})

_MODS = re.compile(r"^(?P<head>[a-z\" ]+?)\s*\((?P<a>\d+)(?:\s*,\s*(?P<b>-?\d+))?\)\s*(?P<tail>[a-z ]*)$")
TEXT = PgType(oid=25, name="text")


def describe(type_name: str) -> PgType:
    """OID, typmod and size of a SQL type name (text for a type PostgreSQL does not have).

    A type made with CREATE TYPE (an enum) has the OID the session's catalog gives it."""
    described = _describe_builtin(type_name)
    if described.name in ("text", "_text") and type_name.removesuffix("[]") not in ("text", "unknown"):
        oid = sql_types.user_type_oid(type_name)
        if oid is not None:
            return PgType(oid=oid, name=type_name)
    return described


@functools.lru_cache(maxsize=4096)
def _describe_builtin(type_name: str) -> PgType:
    name = " ".join(type_name.strip().lower().split())
    if name.endswith("[]"):
        element = _describe_builtin(name[:-2])
        oid = _ARRAY_OID.get(element.name)
        if oid is None:
            return TEXT
        return PgType(oid=oid, typmod=element.typmod, size=-1, name="_" + element.name)
    base = _BASE.get(name)
    if base is not None:
        return PgType(oid=base[1], size=base[2], name=base[0])
    m = _MODS.match(name)
    if m is None:
        return TEXT
    head = " ".join((m["head"].strip() + " " + m["tail"].strip()).split())
    base = _BASE.get(head)
    if base is None:
        return TEXT
    typname, oid, size = base
    a = int(m["a"])
    if typname == "numeric":
        typmod = ((a << 16) | (int(m["b"] or 0) & 0x7FF)) + 4  # the scale as 11 bits (negative ones too)
    elif typname in ("varchar", "bpchar"):
        typmod = a + 4
    elif typname == "interval":
        typmod = (0x7FFF << 16) | a  # INTERVAL_FULL_RANGE and the precision
    elif typname in ("time", "timetz", "timestamp", "timestamptz", "bit", "varbit"):
        typmod = a
    else:
        typmod = -1
    return PgType(oid=oid, typmod=typmod, size=size, name=typname)


def oid_of_name(type_name: str) -> int:
    return describe(type_name).oid


def oid_of(column: object) -> int:
    """The OID of a session ResultColumn (anything with ``type_name``)."""
    return describe(getattr(column, "type_name", "text") or "text").oid


_PLUGIN_TYPES = {3614: "tsvector", 3615: "tsquery"}  # PostgreSQL's OIDs of types a plugin provides


def plugin_type_names(oids: list[int]) -> list[str | None]:
    """For each parameter OID, the type's name when a plugin provides that PostgreSQL type."""
    return [_PLUGIN_TYPES.get(oid) for oid in oids]


def name_of_oid(oid: int) -> str | None:
    """PostgreSQL's typname of an OID we know ("int4", "_text"), for a client's parameter types."""
    return _BY_OID.get(oid)
