"""ClickHouse type names ⇄ HeliosDB's SQL types (and so their Arrow storage).

The kernel speaks PostgreSQL's types; ClickHouse clients see ClickHouse's names. Each side
sees its nearest type:

    clickhouse_type("integer")            # "Int32"
    clickhouse_type("numeric(15,2)")      # "Decimal(15, 2)"
    clickhouse_type("text[]")             # "Array(String)"
    sql_type("UInt32")                    # "bigint"   (the narrowest signed type holding it)
    sql_type("Nullable(DateTime('UTC'))") # "timestamp"
    sql_type("Array(LowCardinality(String))")  # "text[]"

Unsigned integers are stored in the next wider signed type, UInt64 in ``numeric(20,0)`` (its
whole range; a table's declared type, ``column_types``, shows it as UInt64); ``FixedString(N)`` is ``text``; ``Enum8``/``Enum16`` are ``text``
(their labels); ``Map`` and ``Tuple`` are ``jsonb`` and ``record``. ``LowCardinality`` is an
encoding, not a type: it is dropped.
"""

from __future__ import annotations

import re

import attrs

from helios_core.errors import HeliosError

# ClickHouse name -> SQL type name of the kernel
_CH_TO_SQL = {
    "bool": "boolean", "boolean": "boolean",
    "int8": "smallint", "int16": "smallint", "int32": "integer", "int64": "bigint",
    "int128": "numeric(39,0)", "int256": "numeric(77,0)",
    "uint8": "smallint", "uint16": "integer", "uint32": "bigint", "uint64": "numeric(20,0)",
    "uint128": "numeric(39,0)", "uint256": "numeric(78,0)",
    "float32": "real", "float64": "double precision",
    "string": "text", "fixedstring": "text", "uuid": "uuid",
    "date": "date", "date32": "date", "datetime": "timestamp", "datetime64": "timestamp",
    "ipv4": "inet", "ipv6": "inet", "json": "jsonb", "object": "jsonb", "map": "jsonb",
    "enum8": "text", "enum16": "text", "nothing": "text",
    "decimal32": "numeric", "decimal64": "numeric", "decimal128": "numeric", "decimal256": "numeric",
}

# the type of integral results past bigint's range (a sum of UInt64 values): not a kernel type
UNSIGNED_BIGINT = "bigint unsigned"

# SQL type name (canonical, without modifiers) -> ClickHouse name
_SQL_TO_CH = {
    UNSIGNED_BIGINT: "UInt64",
    "boolean": "Bool", "smallint": "Int16", "integer": "Int32", "bigint": "Int64",
    "real": "Float32", "double precision": "Float64", "text": "String", "character varying": "String",
    "character": "String", "varchar": "String", "bpchar": "String", "name": "String", "bytea": "String",
    "uuid": "UUID", "date": "Date", "timestamp without time zone": "DateTime", "timestamp": "DateTime",
    "timestamp with time zone": "DateTime", "timestamptz": "DateTime", "json": "String", "jsonb": "String",
    "inet": "String", "cidr": "String", "interval": "IntervalSecond", "time without time zone": "String",
    "time": "String", "oid": "UInt32", "char": "String", "\"char\"": "String", "unknown": "String",
    "void": "Nothing",
}


@attrs.frozen
class ChType:
    """A parsed ClickHouse type: ``name`` with its ``args`` (types or literal strings)."""

    name: str
    args: tuple = ()

    def __str__(self) -> str:
        if not self.args and self.name not in ("Tuple",):
            return self.name
        return f"{self.name}({', '.join(str(a) for a in self.args)})"

    @property
    def inner(self) -> ChType:
        """The type without Nullable/LowCardinality wrappers."""
        t = self
        while t.name in ("Nullable", "LowCardinality") and t.args:
            t = t.args[0]
        return t

    @property
    def nullable(self) -> bool:
        t = self
        while t.name == "LowCardinality" and t.args:
            t = t.args[0]
        return t.name == "Nullable"


_TOKEN = re.compile(r"\s*(?:(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<str>'(?:[^'\\]|\\.)*')|(?P<num>-?\d+(?:\.\d+)?)|(?P<p>[(),=]))")


def parse_type(text: str) -> ChType:
    """``"Nullable(Decimal(9, 2))"`` -> ChType tree; HeliosError 50 UNKNOWN_TYPE-like when malformed."""
    tokens = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise HeliosError(f"cannot parse ClickHouse type {text!r}", sqlstate="42704")
        tokens.append(m.group("name") or m.group("str") or m.group("num") or m.group("p"))
        pos = m.end()
    tokens = [t for t in tokens if t]
    out, i = _parse(tokens, 0, text)
    if i != len(tokens):
        raise HeliosError(f"cannot parse ClickHouse type {text!r}", sqlstate="42704")
    return out


def _parse(tokens: list[str], i: int, text: str) -> tuple[ChType, int]:
    if i >= len(tokens):
        raise HeliosError(f"cannot parse ClickHouse type {text!r}", sqlstate="42704")
    name = tokens[i]
    i += 1
    if i < len(tokens) and tokens[i] == "(":
        args: list = []
        i += 1
        while i < len(tokens) and tokens[i] != ")":
            tok = tokens[i]
            if tok[0] == "'" or tok.lstrip("-").isdigit():  # a literal (enum label, size, tz)
                if i + 1 < len(tokens) and tokens[i + 1] == "=":  # Enum8('a' = 1)
                    args.append(f"{tok} = {tokens[i + 2]}")
                    i += 3
                else:
                    args.append(tok)
                    i += 1
            elif i + 1 < len(tokens) and tokens[i + 1] not in ("(", ",", ")"):  # Tuple(a UInt8)
                sub, i = _parse(tokens, i + 1, text)
                args.append(_Named(tok, sub))
            else:
                sub, i = _parse(tokens, i, text)
                args.append(sub)
            if i < len(tokens) and tokens[i] == ",":
                i += 1
        if i >= len(tokens):
            raise HeliosError(f"cannot parse ClickHouse type {text!r}", sqlstate="42704")
        return ChType(_canonical(name), tuple(args)), i + 1
    return ChType(_canonical(name)), i


@attrs.frozen
class _Named:
    """A named element of a Tuple: ``a UInt8``."""

    name: str
    type: ChType

    def __str__(self) -> str:
        return f"{self.name} {self.type}"


_CANONICAL = {k.lower(): k for k in (
    "Bool", "Int8", "Int16", "Int32", "Int64", "Int128", "Int256", "UInt8", "UInt16", "UInt32", "UInt64",
    "UInt128", "UInt256", "Float32", "Float64", "String", "FixedString", "UUID", "Date", "Date32",
    "DateTime", "DateTime64", "Decimal", "Decimal32", "Decimal64", "Decimal128", "Decimal256", "Nullable",
    "Array", "Tuple", "Map", "LowCardinality", "Enum8", "Enum16", "IPv4", "IPv6", "JSON", "Nothing",
    "Object", "Nested", "Enum", "AggregateFunction", "SimpleAggregateFunction")}
_ALIASES = {"boolean": "Bool", "tinyint": "Int8", "smallint": "Int16", "int": "Int32", "integer": "Int32",
            "bigint": "Int64", "float": "Float32", "real": "Float32", "double": "Float64",
            "text": "String", "varchar": "String", "char": "String", "blob": "String", "bytea": "String",
            "timestamp": "DateTime", "numeric": "Decimal", "dec": "Decimal"}


# families CREATE TABLE refuses as column types (48): not listed in system.data_type_families
REFUSED_FAMILIES = ("Tuple", "Map", "Nested", "JSON", "Object", "Nothing")


def type_families() -> list[tuple[str, int, str]]:
    """(name, case_insensitive, alias_to) of each type name a column may be declared with."""
    rows = [(name, 0, "") for name in sorted(_CANONICAL.values()) if name not in REFUSED_FAMILIES]
    rows += [(alias.upper(), 1, target) for alias, target in sorted(_ALIASES.items())]
    return rows


def _canonical(name: str) -> str:
    low = name.lower()
    return _CANONICAL.get(low) or _ALIASES.get(low) or name


_DECIMAL_PRECISION = {"Decimal32": 9, "Decimal64": 18, "Decimal128": 38, "Decimal256": 76}


def _enum_number(arg: object) -> int:
    try:
        return int(str(arg).rpartition("=")[2])
    except ValueError:
        return 0


def canonical_type(t: ChType) -> ChType:
    """The type as ClickHouse spells it back (DESCRIBE, toTypeName): ``Decimal32(2)`` is
    ``Decimal(9, 2)``, ``Enum8('a', 'b')`` numbers its labels ``'a' = 1, 'b' = 2``."""
    name = t.name
    if name in _DECIMAL_PRECISION:
        return ChType("Decimal", (str(_DECIMAL_PRECISION[name]), str(t.args[0]) if t.args else "0"))
    if name == "Decimal":
        return ChType("Decimal", (str(t.args[0]) if t.args else "10", str(t.args[1]) if len(t.args) > 1 else "0"))
    if name in ("Enum8", "Enum16") and t.args and not any("=" in str(a) for a in t.args):
        return ChType(name, tuple(f"{a} = {i}" for i, a in enumerate(t.args, 1)))
    if name in ("Enum8", "Enum16") and t.args and all("=" in str(a) for a in t.args):
        return ChType(name, tuple(sorted(t.args, key=_enum_number)))  # listed by number, as ClickHouse does
    if name == "DateTime64" and not t.args:
        return ChType(name, ("3",))
    args = tuple(canonical_type(a) if isinstance(a, ChType) else
                 _Named(a.name, canonical_type(a.type)) if isinstance(a, _Named) else a for a in t.args)
    return ChType(name, args)


def sql_type(ch: str | ChType) -> str:
    """The kernel's SQL type for a ClickHouse type (its nearest); 42704 when unknown."""
    t = parse_type(ch) if isinstance(ch, str) else ch
    t = t.inner
    name = t.name
    if name == "AggregateFunction":  # a state, kept as its text (aggregate_states)
        return "text"
    if name == "SimpleAggregateFunction" and t.args:  # the value itself
        return sql_type(t.args[-1])
    if name == "Array":
        return f"{sql_type(t.args[0])}[]"
    if name == "Tuple":
        return "record"
    if name == "Nested":
        return "jsonb"
    if name == "Decimal":
        p = int(t.args[0]) if t.args else 10
        s = int(t.args[1]) if len(t.args) > 1 else 0
        return f"numeric({p},{s})"
    if name in ("Decimal32", "Decimal64", "Decimal128", "Decimal256"):
        p = {"Decimal32": 9, "Decimal64": 18, "Decimal128": 38, "Decimal256": 76}[name]
        return f"numeric({p},{int(t.args[0]) if t.args else 0})"
    if name == "DateTime" and t.args:
        return "timestamp"
    if name == "DateTime64" and t.args:
        precision = min(int(t.args[0]), 6)
        return f"timestamp({precision})"
    mapped = _CH_TO_SQL.get(name.lower())
    if mapped is None:
        raise HeliosError(f"Unknown data type family: {name}", sqlstate="42704")
    return mapped


def clickhouse_type(sql_name: str, nullable: bool = False) -> str:
    """The ClickHouse name clients see for a kernel SQL type (``Nullable(...)`` when asked)."""
    base = _clickhouse_base(sql_name.strip())
    if nullable and not base.startswith(("Array(", "Tuple(", "Map(", "Nullable(")):
        return f"Nullable({base})"
    return base


def _clickhouse_base(name: str) -> str:
    low = name.lower()
    if low.endswith("[]"):
        return f"Array({_clickhouse_base(name[:-2])})"
    m = re.fullmatch(r"(numeric|decimal)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)", low)
    if m:
        return f"Decimal({m.group(2)}, {m.group(3) or 0})"
    if low in ("numeric", "decimal"):
        return "Decimal(38, 10)"
    m = re.fullmatch(r"timestamp\s*\((\d)\)(.*)", low)
    if m:
        return f"DateTime64({m.group(1)})"
    if low.startswith(("character varying", "varchar", "character", "bpchar", "char(")):
        return "String"
    if low.startswith(("record", "row")):
        return "Tuple()"
    return _SQL_TO_CH.get(low, "String")
