"""SQL types of HeliosDB: PostgreSQL's type system mapped onto Arrow.

Every value the executor handles is an Arrow array tagged with a ``SqlType`` (see
``helios_core.sql.functions.Vec``). The SqlType carries what PostgreSQL clients see
(name, OID, typmod) and the Arrow type the values are stored in.

Arrow mapping (PostgreSQL type -> Arrow type):

==================  ==========================================================
boolean             bool
smallint/int/bigint int16 / int32 / int64
real / double       float32 / float64
numeric(p,s)        decimal128(p, s); decimal256(p, s) when p > 38
numeric (no typmod) storage: decimal256(76, 16) (values rounded to 16
                    fractional digits on the way in, at most 59 integer digits:
                    see functions.to_storage).  Computed values carry the
                    PostgreSQL *display scale* in the Arrow type instead: an
                    unconstrained NUMERIC Vec may hold any decimal128/256(p, s)
                    and prints with that scale ('1.50' * 2 -> '3.00').  One
                    array has one scale where PostgreSQL keeps one per value:
                    after a division (rounded per row at PostgreSQL's scale) or
                    a mixed-scale COALESCE/CASE, values are equal but may print
                    with extra trailing zeros.  Values read from an
                    unconstrained column print at, and arithmetic on them
                    starts from, the smallest scale that shows every value of
                    the batch exactly (9.99 * 2 is 19.98); a column that one query
                    filled with values of one scale (CREATE TABLE AS, a
                    materialized view) records it (sql.numeric_display).  An array holding NaN or
                    ±Infinity is a struct {v: decimal, k: int8} instead (see
                    functions.numeric_special; stored as reserved 60-digit values).
numeric past 76     WideNumericType: an Arrow extension type over utf8 holding
digits              PostgreSQL's text of each value, so each keeps its own scale
                    (numeric(p, s) with p > 76 and s > 16, literals and results
                    that do not fit decimal256, VALUES rows of mixed scales; see
                    functions.numeric_wide)
money               int64 cents (functions.money)
point, lseg, line,  string: the canonical output text, coordinates in float8's
box, path, polygon, shortest exact digits (see sql.geometric)
circle
text/varchar/char   string (char(n) values are stored blank-padded to n)
bytea               binary
date                date32
time                time64[us]
timestamp           timestamp[us]
timestamptz         timestamp[us, tz=UTC] (UTC instants; shown in session TimeZone)
interval            month_day_nano_interval
uuid                string, canonical lower-case 36-char form (sorts like bytes)
json / jsonb        string (jsonb: normalized text, keys sorted like PostgreSQL)
record              struct<f1, f2, ...> (anonymous ROW(...) values; field types in SqlType.fields)
T[]                 list<T's arrow type>
unknown             string (an untyped quoted literal, resolved from context)
oid, reg*           int64
"char", name        string
==================  ==========================================================

``typmod`` is PostgreSQL's: -1 when absent, numeric ``((p << 16) | s) + 4``,
varchar/char ``n + 4``, time/timestamp precision ``p``.
"""

from __future__ import annotations

import decimal
import re
from typing import Any

import attrs
import pyarrow as pa

from helios_core import hstore_text
from helios_core.errors import HeliosError, SyntaxError_, UndefinedObject

NUMERIC_STORAGE_ARROW = pa.decimal256(76, 16)


class _WideNumericScalar(pa.ExtensionScalar):
    def as_py(self, *args: Any, **kwargs: Any) -> decimal.Decimal | None:
        v = self.value
        return None if v is None else decimal.Decimal(v.as_py())


class WideNumericType(pa.ExtensionType):
    """numeric values past Arrow's decimals: PostgreSQL's text of each value over utf8, so each
    keeps its own scale (computed on by functions.numeric_wide)."""

    def __init__(self) -> None:
        super().__init__(pa.string(), "helios.numeric")

    def __arrow_ext_serialize__(self) -> bytes:
        return b""

    @classmethod
    def __arrow_ext_deserialize__(cls, storage_type: pa.DataType, serialized: bytes) -> WideNumericType:
        return cls()

    def __arrow_ext_scalar_class__(self) -> type:
        return _WideNumericScalar

    def __hash__(self) -> int:
        return hash(self.extension_name)


WIDE_NUMERIC_ARROW = WideNumericType()
try:
    pa.register_extension_type(WIDE_NUMERIC_ARROW)
except pa.ArrowKeyError:  # registered already (the module was reloaded)
    pass


@attrs.frozen
class DomainInfo:
    """What makes a type a domain (CREATE DOMAIN): its name and constraints over ``base``
    (``helios_core.sql.domains`` builds and checks them)."""

    schema: str
    name: str
    oid: int
    base: SqlType
    not_null: bool = False
    default: str | None = None
    checks: tuple[tuple[str, str], ...] = ()


@attrs.frozen
class CompositeInfo:
    """What makes a type composite (CREATE TYPE name AS (...), or the row type of a table or
    view): its attributes' names in order (their types are the SqlType's ``fields``) and the
    pg_class row that lists them (``relid``; relkind 'c' for a standalone type)."""

    schema: str
    name: str
    relid: int
    names: tuple[str, ...]
    relkind: str = "c"  # "c" a standalone composite type, "r"/"v"/... a relation's row type


@attrs.frozen
class RangeInfo:
    """What makes a type a user-defined range type (CREATE TYPE name AS RANGE) or the multirange
    type made with it: the range's and the multirange's names and OIDs, the subtype, and which
    of the two this type is. Values are held as the built-in ranges' (see ``range_arrow``)."""

    schema: str
    name: str
    oid: int
    array_oid: int
    subtype: SqlType
    multirange_schema: str
    multirange_name: str
    multirange_oid: int
    multirange_array_oid: int
    is_multirange: bool = False


@attrs.frozen
class SqlType:
    """One SQL type as PostgreSQL names it, with its Arrow representation."""

    name: str  # PostgreSQL's canonical typname: "int4", "numeric", "varchar", "_int4" for arrays
    oid: int
    arrow_type: Any = attrs.field(eq=False, repr=False)
    typmod: int = -1
    element: SqlType | None = None  # element type of an array type
    # field types of an anonymous record (ROW(...)); records are all one type "record" to
    # PostgreSQL, so the fields do not take part in type equality
    fields: tuple[SqlType, ...] = attrs.field(default=(), eq=False, repr=False)
    # a user-defined enum type (CREATE TYPE ... AS ENUM): its labels in declaration order, and
    # the OID of its array type; values are the label strings
    labels: tuple[str, ...] | None = attrs.field(default=None, eq=False, repr=False)
    array_oid: int = attrs.field(default=0, eq=False, repr=False)
    # an enum's labels the running transaction added and may not use yet (55P04)
    unsafe_labels: tuple[str, ...] = attrs.field(default=(), eq=False, repr=False)
    # a domain over this type (the rest of the fields are the base type's): casts to it check
    # the domain's constraints; not part of equality, so operators see the base type
    domain: DomainInfo | None = attrs.field(default=None, eq=False, repr=False)
    # a composite type (values are Arrow structs whose fields carry the attribute names)
    composite: CompositeInfo | None = attrs.field(default=None, eq=False, repr=False)
    # a user-defined range type or its multirange type (CREATE TYPE ... AS RANGE)
    range_info: RangeInfo | None = attrs.field(default=None, eq=False, repr=False)
    # an unconstrained numeric column filled by one query whose values all had this display scale
    # (CREATE TABLE AS, materialized views: see sql.numeric_display); not part of the type
    display_scale: int | None = attrs.field(default=None, eq=False, repr=False)

    # -- classification -------------------------------------------------------------------------
    @property
    def category(self) -> str:
        """PostgreSQL's typcategory letter (B, N, S, D, T, U, A, X, ...)."""
        if self.element is not None:
            return "A"
        if self.labels is not None:
            return "E"
        if self.composite is not None:
            return "C"
        if self.range_info is not None:
            return "R"
        return _CATEGORY.get(self.name, "U")

    @property
    def is_array(self) -> bool:
        return self.element is not None

    @property
    def is_numeric_family(self) -> bool:
        return self.name in ("int2", "int4", "int8", "float4", "float8", "numeric", "oid")

    @property
    def is_enum(self) -> bool:
        return self.labels is not None

    @property
    def is_composite(self) -> bool:
        """A named composite type (CREATE TYPE ... AS (...), a table's row type)."""
        return self.composite is not None

    @property
    def is_rowtype(self) -> bool:
        """A row value: an anonymous record (ROW(...)) or a composite type; both are structs."""
        return self.name == "record" or self.composite is not None

    @property
    def field_names(self) -> tuple[str, ...]:
        """The names of a row value's fields: the attributes of a composite type, f1, f2, ... of
        an anonymous record."""
        if self.composite is not None:
            return self.composite.names
        if pa.types.is_struct(self.arrow_type):
            return tuple(f.name for f in self.arrow_type)
        return tuple(f"f{i + 1}" for i in range(len(self.fields)))

    @property
    def is_range(self) -> bool:
        if self.range_info is not None:
            return not self.range_info.is_multirange
        return self.name in RANGE_SUBTYPES and self.element is None

    @property
    def is_multirange(self) -> bool:
        if self.range_info is not None:
            return self.range_info.is_multirange
        return self.name in MULTIRANGE_OF and self.element is None

    @property
    def is_string_family(self) -> bool:
        return self.name in ("text", "varchar", "bpchar", "name", "char", "unknown", "citext")

    @property
    def base(self) -> SqlType:
        """The same type without its typmod (numeric(15,2) -> numeric), built once per type object
        (``attrs.evolve`` costs 3 µs, and every comparison of a numeric(p, s) column asks)."""
        if self.typmod == -1:
            return self
        hit = _BASES.get(id(self))
        if hit is not None and hit[0] is self:
            return hit[1]
        out = attrs.evolve(self, typmod=-1, arrow_type=_BASE_BY_NAME[self.name].arrow_type)
        if len(_BASES) >= 4096:
            _BASES.clear()
        _BASES[id(self)] = (self, out)
        return out

    # -- typmod helpers -----------------------------------------------------------------------------
    @property
    def precision_scale(self) -> tuple[int, int] | None:
        """(precision, scale) of a constrained numeric, else None."""
        if self.name != "numeric" or self.typmod < 4:
            return None
        t = self.typmod - 4
        return (t >> 16) & 0xFFFF, ((t & 0x7FF) ^ 1024) - 1024  # the scale: 11 bits with a sign, as PostgreSQL

    @property
    def stores_numeric_specials(self) -> bool:
        """Whether a column of this type keeps NaN/Infinity as reserved stored values (see
        functions.numeric_special): unconstrained numeric, and numeric(p, s) wider than Arrow's 76
        digits with s <= 16 (its values then keep at most 59 integer digits, like unconstrained)."""
        if self.name != "numeric" or self.element is not None:
            return False
        ps = self.precision_scale
        return ps is None or (ps[0] > 76 and 0 <= ps[1] <= 16)

    @property
    def length(self) -> int | None:
        """n of varchar(n)/char(n), else None."""
        if self.name in ("varchar", "bpchar") and self.typmod >= 4:
            return self.typmod - 4
        return None

    def sql_name(self) -> str:
        """PostgreSQL's format_type() spelling: 'numeric(15,2)', 'character varying(10)', 'integer[]'."""
        if self.name in VECTOR_TYPE_NAMES:
            return self.name
        if self.domain is not None:
            name = self.domain.name
            return name if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) else '"' + name.replace('"', '""') + '"'
        if self.element is not None:
            return self.element.sql_name() + "[]"
        if self.composite is not None:  # qualified where the search_path does not reach it, as format_type
            name = _quoted(self.name)
            schema = self.composite.schema
            visible = USER_TYPES.schema_visible(schema) if USER_TYPES.schema_visible else schema == "public"
            return name if visible else f"{_quoted(schema)}.{name}"
        if self.range_info is not None:  # qualified where the search_path does not reach it
            info = self.range_info
            schema = info.multirange_schema if info.is_multirange else info.schema
            name = _quoted(self.name)
            visible = USER_TYPES.schema_visible(schema) if USER_TYPES.schema_visible else schema == "public"
            return name if visible else f"{_quoted(schema)}.{name}"
        if self.labels is not None and not re.fullmatch(r"[a-z_][a-z0-9_$]*", self.name):
            return '"' + self.name.replace('"', '""') + '"'  # a user-defined name that needs quotes
        display = _DISPLAY_NAME.get(self.name, self.name)
        ps = self.precision_scale
        if ps is not None:
            return f"numeric({ps[0]},{ps[1]})"
        n = self.length
        if n is not None:
            return f"{display}({n})"
        if self.name in BIT_TYPE_NAMES and self.typmod >= 0:
            return f"{display}({self.typmod})"
        if self.name == "interval" and self.typmod >= 0 and (self.typmod & 0xFFFF) != 0xFFFF:
            return f"interval({self.typmod & 0xFFFF})"
        if self.name in ("timestamp", "timestamptz", "time", "timetz") and self.typmod >= 0:
            kind, rest = display.split(" ", 1) if " " in display else (display, "")
            return f"{kind}({self.typmod}) {rest}".strip()
        return display

    def stored_name(self) -> str:
        """The spelling a catalog keeps, read back by ``type_from_name`` as this same type:
        ``sql_name`` except for unbounded bpchar, which format_type spells 'character' (that
        text would read back as character(1))."""
        if self.name == "bpchar" and self.typmod < 0 and self.domain is None:
            return "bpchar"
        if self.element is not None and self.element.name == "bpchar" and self.element.typmod < 0 \
                and self.domain is None:
            return "bpchar[]"
        return self.sql_name()

    def __str__(self) -> str:
        return self.sql_name()


def quote_name(name: str) -> str:
    """A name as a double-quoted identifier (for looking up a name already folded)."""
    return '"' + name.replace('"', '""') + '"'


def _quoted(name: str) -> str:
    """An identifier as SQL spells it: quoted unless a plain lower-case name (nor a keyword)."""
    if USER_TYPES.quote_ident is not None:
        return USER_TYPES.quote_ident(name)
    return name if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) else '"' + name.replace('"', '""') + '"'


def _t(name: str, oid: int, arrow: Any) -> SqlType:
    return SqlType(name=name, oid=oid, arrow_type=arrow)


BOOL = _t("bool", 16, pa.bool_())
BYTEA = _t("bytea", 17, pa.binary())
CHAR = _t("char", 18, pa.string())  # PostgreSQL's internal one-byte "char"
NAME = _t("name", 19, pa.string())
INT8 = _t("int8", 20, pa.int64())
INT2 = _t("int2", 21, pa.int16())
INT4 = _t("int4", 23, pa.int32())
REGPROC = _t("regproc", 24, pa.int64())
TEXT = _t("text", 25, pa.string())
OID = _t("oid", 26, pa.int64())
JSON = _t("json", 114, pa.string())
FLOAT4 = _t("float4", 700, pa.float32())
FLOAT8 = _t("float8", 701, pa.float64())
UNKNOWN = _t("unknown", 705, pa.string())
BPCHAR = _t("bpchar", 1042, pa.string())
VARCHAR = _t("varchar", 1043, pa.string())
DATE = _t("date", 1082, pa.date32())
TIME = _t("time", 1083, pa.time64("us"))
TIMESTAMP = _t("timestamp", 1114, pa.timestamp("us"))
TIMESTAMPTZ = _t("timestamptz", 1184, pa.timestamp("us", tz="UTC"))
INTERVAL = _t("interval", 1186, pa.month_day_nano_interval())
# the time of day and the UTC offset it was written with (seconds east), see functions.timetz
TIMETZ = _t("timetz", 1266, pa.struct([pa.field("time", pa.time64("us")), pa.field("offset", pa.int32())]))
NUMERIC = _t("numeric", 1700, NUMERIC_STORAGE_ARROW)
REGCLASS = _t("regclass", 2205, pa.int64())
REGTYPE = _t("regtype", 2206, pa.int64())
REGPROCEDURE = _t("regprocedure", 2202, pa.int64())
REGOPER = _t("regoper", 2203, pa.int64())
REGOPERATOR = _t("regoperator", 2204, pa.int64())
REGNAMESPACE = _t("regnamespace", 4089, pa.int64())
REGROLE = _t("regrole", 4096, pa.int64())
REGCOLLATION = _t("regcollation", 4191, pa.int64())
# the OID alias types: an OID read and written as the name of a catalog object
# (helios_core.sql.catalog_views.oid_aliases installs their name lookups into text_in/text_out)
# pseudo-types that are no SqlType here (no value has them) but are names of pg_type rows
PSEUDO_TYPE_OIDS = {"trigger": 2279, "event_trigger": 3838, "language_handler": 2280, "fdw_handler": 3115,
                     "index_am_handler": 325, "tsm_handler": 3310, "table_am_handler": 269, "internal": 2281}

OID_ALIAS_TYPES = (REGPROC, REGCLASS, REGTYPE, REGPROCEDURE, REGOPER, REGOPERATOR, REGNAMESPACE, REGROLE,
                   REGCOLLATION)
OID_ALIAS_NAMES = frozenset(t.name for t in OID_ALIAS_TYPES)
RECORD = _t("record", 2249, pa.string())
VOID = _t("void", 2278, pa.null())
UUID = _t("uuid", 2950, pa.string())
INET = _t("inet", 869, pa.string())  # stored as their output text (see functions.network)
CIDR = _t("cidr", 650, pa.string())
# MAC addresses: stored as their output text (lower-case hex, colons), whose string order is
# PostgreSQL's byte order (see functions.macaddr)
MACADDR = _t("macaddr", 829, pa.string())
MACADDR8 = _t("macaddr8", 774, pa.string())
# bit strings: stored as text of '0'/'1', whose string order is PostgreSQL's bit_cmp; the
# typmod is the length n of bit(n)/bit varying(n) (see functions.bitstring). A B'...' literal
# is bit without a length.
BIT = _t("bit", 1560, pa.string())
VARBIT = _t("varbit", 1562, pa.string())
BIT_TYPE_NAMES = ("bit", "varbit")
JSONB = _t("jsonb", 3802, pa.string())
MONEY = _t("money", 790, pa.int64())  # cents (see functions.money)
TID = _t("tid", 27, pa.int64())  # block << 16 | offset: what ctid holds (see functions.tid)
REFCURSOR = _t("refcursor", 1790, pa.string())  # a cursor's (portal's) name
JSONPATH = _t("jsonpath", 4072, pa.string())  # stored as its normalised text (see sql.jsonpath)
# the geometric types: stored as their canonical output text (see sql.geometric)
POINT = _t("point", 600, pa.string())
LSEG = _t("lseg", 601, pa.string())
PATH = _t("path", 602, pa.string())
BOX = _t("box", 603, pa.string())
POLYGON = _t("polygon", 604, pa.string())
LINE = _t("line", 628, pa.string())
CIRCLE = _t("circle", 718, pa.string())
GEOMETRIC_TYPES = (POINT, LSEG, PATH, BOX, POLYGON, LINE, CIRCLE)
# the citext extension's type (helios_core.sql.extensions.citext): text that compares without
# regard to case; named only where CREATE EXTENSION citext installed it, so not among the base
# types; its OIDs are fixed numbers in the range user-defined objects take
CITEXT = SqlType(name="citext", oid=1_790_064, arrow_type=pa.string(), array_oid=1_108_083)
# the hstore extension's type (helios_core.sql.extensions.hstore): string pairs stored as their
# canonical text; named, like citext, only where CREATE EXTENSION hstore installed it
HSTORE = SqlType(name="hstore", oid=hstore_text.OID, arrow_type=pa.string(), array_oid=hstore_text.ARRAY_OID)
# the catalogs' one-dimensional, zero-based vectors (pg_index.indkey, indclass): arrays whose
# text form is the elements separated by spaces ("1 2") and whose first subscript is 0
INT2VECTOR = SqlType(name="int2vector", oid=22, arrow_type=pa.list_(pa.int16()), element=INT2)
OIDVECTOR = SqlType(name="oidvector", oid=30, arrow_type=pa.list_(pa.int64()), element=OID)
VECTOR_TYPE_NAMES = frozenset({"int2vector", "oidvector"})
# range types: a struct of the two bounds (NULL when infinite or empty) and PostgreSQL's flag
# byte (RANGE_EMPTY 0x01, LB_INC 0x02, UB_INC 0x04, LB_INF 0x08, UB_INF 0x10), kept canonical
# (discrete ranges as [a,b), empty ranges with NULL bounds) so that equal ranges are equal structs;
# multiranges: a list of such structs, sorted and merged (see functions.ranges)
RANGE_SUBTYPES = {"int4range": INT4, "int8range": INT8, "numrange": NUMERIC, "daterange": DATE,
                  "tsrange": TIMESTAMP, "tstzrange": TIMESTAMPTZ}
_RANGE_OIDS = {"int4range": (3904, 3905), "numrange": (3906, 3907), "tsrange": (3908, 3909),
               "tstzrange": (3910, 3911), "daterange": (3912, 3913), "int8range": (3926, 3927)}
_MULTIRANGE_OIDS = {"int4multirange": (4451, 6150, "int4range"), "nummultirange": (4532, 6151, "numrange"),
                    "tsmultirange": (4533, 6152, "tsrange"), "tstzmultirange": (4534, 6153, "tstzrange"),
                    "datemultirange": (4535, 6155, "daterange"), "int8multirange": (4536, 6157, "int8range")}


def range_arrow(subtype: SqlType) -> pa.DataType:
    """The Arrow struct that holds values of the range type over ``subtype``."""
    return pa.struct([pa.field("lower", subtype.arrow_type), pa.field("upper", subtype.arrow_type),
                      pa.field("flags", pa.int8())])


RANGE_TYPES = {name: _t(name, oid, range_arrow(sub)) for name, sub in RANGE_SUBTYPES.items()
               for oid in (_RANGE_OIDS[name][0],)}
# the list's field is named "ranges": that tells a multirange from an array of ranges by Arrow type
MULTIRANGE_TYPES = {name: _t(name, oid, pa.list_(pa.field("ranges", RANGE_TYPES[rng].arrow_type)))
                    for name, (oid, _arr, rng) in _MULTIRANGE_OIDS.items()}
MULTIRANGE_OF = {name: rng for name, (_oid, _arr, rng) in _MULTIRANGE_OIDS.items()}
RANGE_MULTIRANGE = {rng: name for name, rng in MULTIRANGE_OF.items()}


def user_range_types(info: RangeInfo) -> tuple[SqlType, SqlType]:
    """The range type and the multirange type that CREATE TYPE ... AS RANGE made."""
    arrow = range_arrow(info.subtype)
    rng = SqlType(name=info.name, oid=info.oid, arrow_type=arrow, array_oid=info.array_oid, range_info=info)
    multi = SqlType(name=info.multirange_name, oid=info.multirange_oid,
                    arrow_type=pa.list_(pa.field("ranges", arrow)), array_oid=info.multirange_array_oid,
                    range_info=attrs.evolve(info, is_multirange=True))
    return rng, multi


def range_subtype(t: SqlType) -> SqlType:
    """The element type of a range or multirange type."""
    if t.range_info is not None:
        return t.range_info.subtype
    return RANGE_SUBTYPES[MULTIRANGE_OF.get(t.name, t.name)]


def range_of_multirange(t: SqlType) -> SqlType:
    """A multirange type's range type (a range type: itself)."""
    if not t.is_multirange:
        return t
    if t.range_info is not None:
        return user_range_types(t.range_info)[0]
    return RANGE_TYPES[MULTIRANGE_OF[t.name]]


def multirange_of_range(t: SqlType) -> SqlType:
    """A range type's multirange type (a multirange type: itself)."""
    if t.is_multirange:
        return t
    if t.range_info is not None:
        return user_range_types(t.range_info)[1]
    return MULTIRANGE_TYPES[RANGE_MULTIRANGE[t.name]]


NULLTYPE = UNKNOWN  # the type of a bare NULL literal is unknown, as in PostgreSQL

_BASE_TYPES = [BOOL, BYTEA, CHAR, NAME, INT8, INT2, INT4, REGPROC, TEXT, OID, JSON, FLOAT4, FLOAT8, UNKNOWN,
               BPCHAR, VARCHAR, DATE, TIME, TIMESTAMP, TIMESTAMPTZ, INTERVAL, TIMETZ, NUMERIC, REGCLASS,
               REGTYPE, REGPROCEDURE, REGOPER, REGOPERATOR, REGNAMESPACE, REGROLE, REGCOLLATION, RECORD, VOID, UUID, JSONB,
               JSONPATH, MONEY, TID, REFCURSOR, INT2VECTOR, OIDVECTOR, INET, CIDR, MACADDR, MACADDR8, BIT, VARBIT, *RANGE_TYPES.values(),
               *GEOMETRIC_TYPES,
               *MULTIRANGE_TYPES.values()]
_BASE_BY_NAME = {t.name: t for t in _BASE_TYPES}
_BASES: dict[int, tuple[SqlType, SqlType]] = {}  # SqlType.base by type object (kept with it: its id stays its own)
BUILTIN_TYPE_NAMES = frozenset(_BASE_BY_NAME)

_ARRAY_OIDS = {"bool": 1000, "bytea": 1001, "char": 1002, "name": 1003, "int2": 1005, "int4": 1007,
               "regproc": 1008, "text": 1009, "bpchar": 1014, "varchar": 1015, "int8": 1016,
               "float4": 1021, "float8": 1022, "oid": 1028, "timestamp": 1115, "date": 1182, "time": 1183,
               "timestamptz": 1185, "interval": 1187, "numeric": 1231, "timetz": 1270, "uuid": 2951,
               "json": 199, "jsonb": 3807, "jsonpath": 4073, "regclass": 2210, "regtype": 2211, "record": 2287,
               "regprocedure": 2207, "regoper": 2208, "regoperator": 2209, "regnamespace": 4090, "regrole": 4097,
               "regcollation": 4192,
               "unknown": 1009, "money": 791, "tid": 1010, "refcursor": 2201, "inet": 1041, "cidr": 651,
               "macaddr": 1040, "macaddr8": 775, "bit": 1561, "varbit": 1563,
               "point": 1017, "lseg": 1018, "path": 1019, "box": 1020, "polygon": 1027, "line": 629, "circle": 719,
               **{n: oids[1] for n, oids in _RANGE_OIDS.items()},
               **{n: oids[1] for n, oids in _MULTIRANGE_OIDS.items()}}

_CATEGORY = {"bool": "B", "int2": "N", "int4": "N", "int8": "N", "float4": "N", "float8": "N",
             "numeric": "N", "money": "N", "oid": "N", **dict.fromkeys(OID_ALIAS_NAMES, "N"),
             "text": "S", "varchar": "S", "bpchar": "S", "name": "S", "char": "Z", "citext": "S",
             "date": "D", "time": "D", "timestamp": "D", "timestamptz": "D", "timetz": "D",
             "interval": "T", "bytea": "U", "uuid": "U", "json": "U", "jsonb": "U", "jsonpath": "U", "unknown": "X",
             "record": "P", "void": "P", "inet": "I", "cidr": "I", "macaddr": "U", "macaddr8": "U",
             "bit": "V", "varbit": "V",
             **{t.name: "G" for t in GEOMETRIC_TYPES}, **dict.fromkeys(RANGE_SUBTYPES, "R"),
             **dict.fromkeys(_MULTIRANGE_OIDS, "R")}

_DISPLAY_NAME = {"any": '"any"', "bool": "boolean", "int2": "smallint", "int4": "integer", "int8": "bigint",
                 "float4": "real", "float8": "double precision", "varchar": "character varying",
                 "bpchar": "character", "timestamp": "timestamp without time zone",
                 "timestamptz": "timestamp with time zone", "time": "time without time zone",
                 "timetz": "time with time zone", "char": '"char"', "varbit": "bit varying"}


def array_of(element: SqlType) -> SqlType:
    """The array type whose elements are ``element`` (typmod kept on the element)."""
    if element.element is not None:  # PostgreSQL arrays of arrays are the same type
        return element
    oid = element.array_oid or _ARRAY_OIDS.get(element.name, 0)
    el = TEXT if element.name == "unknown" else element
    return SqlType(name="_" + el.name, oid=oid, arrow_type=pa.list_(el.arrow_type), element=el)


def array_with_dims(element: SqlType, ndims: int) -> SqlType:
    """element[] stored as ``ndims`` nested Arrow lists (a column declared integer[][]: 2).

    PostgreSQL has one array type whatever the dimensions; only the Arrow layout differs
    (see functions.array_dims), so the result equals array_of(element)."""
    base = array_of(element)
    if ndims <= 1:
        return base
    arrow = base.arrow_type
    for _ in range(ndims - 1):
        arrow = pa.list_(arrow)
    return attrs.evolve(base, arrow_type=arrow)


def record_of(fields: list[SqlType], names: list[str] | None = None) -> SqlType:
    """The record type of ROW(...) with these field types (an Arrow struct f1, f2, ...), or of a
    whole-row reference (``t`` of ``FROM ... t``: the struct's fields named as t's columns)."""
    fields = [TEXT if f.name == "unknown" else f for f in fields]
    names = names or [f"f{i + 1}" for i in range(len(fields))]
    arrow = pa.struct([pa.field(n, f.arrow_type) for n, f in zip(names, fields, strict=True)])
    return SqlType(name="record", oid=2249, arrow_type=arrow, fields=tuple(fields))


def composite_of(info: CompositeInfo, fields: list[SqlType], oid: int, array_oid: int) -> SqlType:
    """The SqlType of a composite type: a struct whose fields carry the attribute names."""
    arrow = pa.struct([pa.field(n, f.arrow_type) for n, f in zip(info.names, fields, strict=True)])
    return SqlType(name=info.name, oid=oid, arrow_type=arrow, fields=tuple(fields), array_oid=array_oid,
                   composite=info)


def numeric(precision: int | None = None, scale: int = 0) -> SqlType:
    """numeric(p, s) (or unconstrained numeric when precision is None); checks PG's limits."""
    if precision is None:
        return NUMERIC
    if not 1 <= precision <= 1000:
        raise HeliosError(f"NUMERIC precision {precision} must be between 1 and 1000", sqlstate="22023")
    if not -1000 <= scale <= 1000:
        raise HeliosError(f"NUMERIC scale {scale} must be between -1000 and 1000", sqlstate="22023")
    # past Arrow's decimals (76 digits in all, a scale of at most 76): text per value (functions.numeric_wide)
    # (numeric(p > 76, s <= 16) stays a decimal256(76, s) under the declared bound, as unconstrained
    # numeric: numeric_special stores its NaN there)
    if (precision > 76 and scale > 16) or scale > 76 or (scale < 0 and precision - scale > 76):
        arrow: pa.DataType = WIDE_NUMERIC_ARROW
    else:
        # a scale past the precision (numeric(3,6): below 0.001) or below zero (numeric(3,-6): millions)
        # is stored with the digits it can hold: fraction digits max(s, 0), integer digits max(p - s, 0)
        stored_scale = max(scale, 0)
        digits = max(precision - scale, 0) + stored_scale
        arrow = pa.decimal128(digits, stored_scale) if digits <= 38 else pa.decimal256(min(digits, 76), stored_scale)
    return SqlType(name="numeric", oid=1700, arrow_type=arrow, typmod=((precision << 16) | (scale & 0x7FF)) + 4)


def varchar(n: int | None = None) -> SqlType:
    return VARCHAR if n is None else attrs.evolve(VARCHAR, typmod=n + 4)


def bpchar(n: int | None = 1) -> SqlType:
    """char(n); PostgreSQL's bare ``char`` means char(1)."""
    return BPCHAR if n is None else attrs.evolve(BPCHAR, typmod=n + 4)


def bit_string(t: SqlType, n: int | None) -> SqlType:
    """bit(n) / bit varying(n): the typmod is the length (22023 for a length below 1)."""
    if n is None:
        return t
    if n < 1:
        raise HeliosError(f"length for type {_DISPLAY_NAME.get(t.name, t.name)} must be at least 1", sqlstate="22023")
    if n > 83886080:
        raise HeliosError(f"length for type {_DISPLAY_NAME.get(t.name, t.name)} cannot exceed 83886080",
                          sqlstate="22023")
    return attrs.evolve(t, typmod=n)


def with_precision(t: SqlType, p: int | None) -> SqlType:
    """time(p)/timestamp(p)/interval(p) typmod (storage stays microseconds). An interval's typmod
    also holds its fields (PostgreSQL's INTERVAL_FULL_RANGE here) in the high 16 bits."""
    if p is None:
        return t
    if t.name == "interval":
        if not 0 <= p <= 6:
            raise HeliosError(f"INTERVAL({p}) precision must be between 0 and 6", sqlstate="22023")
        return attrs.evolve(t, typmod=(0x7FFF << 16) | p)
    return attrs.evolve(t, typmod=p)


# ------------------------------------------------------------------------------------------------
# lookup by name / OID / sqlglot / arrow
# ------------------------------------------------------------------------------------------------

_ALIASES = {
    "boolean": "bool", "bool": "bool",
    "smallint": "int2", "int2": "int2", "smallserial": "int2", "serial2": "int2",
    "integer": "int4", "int": "int4", "int4": "int4", "serial": "int4", "serial4": "int4",
    "bigint": "int8", "int8": "int8", "bigserial": "int8", "serial8": "int8",
    "real": "float4", "float4": "float4",
    "double precision": "float8", "float8": "float8", "float": "float8", "double": "float8",
    "numeric": "numeric", "decimal": "numeric",
    "text": "text", "varchar": "varchar", "character varying": "varchar", "char varying": "varchar",
    "character": "bpchar", "char": "bpchar", "bpchar": "bpchar", "nchar": "bpchar",
    "name": "name", '"char"': "char",
    "bytea": "bytea",
    "date": "date",
    "time": "time", "time without time zone": "time",
    "timetz": "timetz", "time with time zone": "timetz",
    "timestamp": "timestamp", "timestamp without time zone": "timestamp", "datetime": "timestamp",
    "timestamptz": "timestamptz", "timestamp with time zone": "timestamptz",
    "interval": "interval", "uuid": "uuid", "json": "json", "jsonb": "jsonb", "jsonpath": "jsonpath", "money": "money", "tid": "tid", "refcursor": "refcursor", "inet": "inet", "cidr": "cidr",
    "macaddr": "macaddr", "macaddr8": "macaddr8", "bit": "bit", "varbit": "varbit", "bit varying": "varbit",
    **{t.name: t.name for t in GEOMETRIC_TYPES},
    "oid": "oid", **{n: n for n in OID_ALIAS_NAMES},
    "unknown": "unknown", "record": "record", "void": "void",
    "int2vector": "int2vector", "oidvector": "oidvector",
    **{n: n for n in RANGE_SUBTYPES}, **{n: n for n in _MULTIRANGE_OIDS},
}

_NAME_RE = re.compile(r"^\s*(.*?)\s*(?:\(\s*([0-9]+)\s*(?:,\s*(-?[0-9]+)\s*)?\))?\s*((?:\[\s*[0-9]*\s*\])*)\s*$",
                      re.DOTALL)


# SQL types added by plugins (helios_core.sql.extension_types fills it): name -> (SqlType, definition)
EXTENSION_TYPES: dict[str, tuple[SqlType, Any]] = {}


class _UserTypes:
    """Where user-defined types (CREATE TYPE) are looked up: the catalog of the session running
    the statement. ``helios_core.sql.user_types`` installs the lookup; without it there are none."""

    lookup: Any = None  # (name or OID) -> SqlType | None
    schema_visible: Any = None  # schema -> bool: is it on the search_path of the running statement
    quote_ident: Any = None  # name -> its spelling in SQL (quote_ident's rules, keywords quoted)

    def find(self, key: str | int) -> SqlType | None:
        return self.lookup(key) if self.lookup is not None else None


USER_TYPES = _UserTypes()
# (domain type, values) -> None, raising the domain's error for a value it refuses; installed by
# helios_core.sql.domains
DOMAIN_CHECK: Any = None


def catalog_oid(t: SqlType) -> int:
    """The type's pg_type OID (a domain's own, where ``oid`` is its base type's)."""
    return t.domain.oid if t.domain is not None else t.oid


def without_domain(t: SqlType) -> SqlType:
    """The base type of a domain (and of an array of a domain's elements); others unchanged."""
    if t.domain is not None:
        return without_domain(t.domain.base)
    if t.element is not None and t.element.domain is not None:
        return array_of(without_domain(t.element))
    return t


def type_exists_builtin(name: str) -> bool:
    """Whether a built-in type has this name (CREATE DOMAIN/TYPE cannot take it)."""
    return name.lower() in _ALIASES


def type_from_name(text: str) -> SqlType:
    """Parse a type name as PostgreSQL spells it: 'numeric(15,2)', 'varchar(10)', 'int[]', '_int4'.

    Built-in types are remembered by their text (every statement on a table reads its columns'
    type names); user and extension types are looked up each time, since they come and go."""
    hit = _BUILTIN_BY_TEXT.get(text)
    if hit is not None:
        return hit
    t = _type_from_name(text)
    base = t.element if t.element is not None else t
    if base.name in _BASE_BY_NAME and base.domain is None and len(_BUILTIN_BY_TEXT) < 4096:
        _BUILTIN_BY_TEXT[text] = t
    return t


_BUILTIN_BY_TEXT: dict[str, SqlType] = {}


def _type_from_name(text: str) -> SqlType:
    s = text.strip()
    # a schema-qualified built-in, quoted or not: "pg_catalog"."int4" (as asyncpg writes casts)
    qualified = re.match(r'^(?:pg_catalog|"pg_catalog")\s*\.\s*("[^"]+"|\w+)(.*)$', s, re.IGNORECASE)
    if qualified:
        name, rest = qualified.groups()
        s = (name[1:-1] if name.startswith('"') and name[1:-1] != "char" else name) + rest
    low = s.lower()
    if low.endswith(" array"):
        return array_of(type_from_name(s[: -len(" array")]))
    # "timestamp(3) with time zone" -> move the precision behind the words
    m_ts = re.match(r"^(timestamp|time)\s*\(\s*(\d+)\s*\)\s*(with(?:out)? time zone)?\s*((?:\[\s*\d*\s*\])*)$", low)
    if m_ts:
        base = type_from_name(f"{m_ts.group(1)} {m_ts.group(3) or ''}".strip())
        t = with_precision(base, int(m_ts.group(2)))
        return array_with_dims(t, m_ts.group(4).count("[")) if m_ts.group(4) else t
    m = _NAME_RE.match(s)
    if not m:
        raise UndefinedObject(f'type "{text}" does not exist')
    word, a, b, arr = m.group(1), m.group(2), m.group(3), m.group(4)
    key = " ".join(word.split()).lower() if not word.startswith('"') else word
    if key.startswith('"') and key.endswith('"') and key != '"char"':
        key = key[1:-1]
    key = key.removeprefix("pg_catalog.")
    if key.startswith("_") and key[1:] in _ALIASES and not arr:
        return array_of(type_from_name(key[1:]))
    canon = _ALIASES.get(key)
    if canon is None:
        ext = EXTENSION_TYPES.get(key)
        if ext is not None:
            return array_with_dims(ext[0], arr.count("[")) if arr else ext[0]
        user = USER_TYPES.find(word)
        if user is not None:
            return array_with_dims(user, arr.count("[")) if arr else user
        raise UndefinedObject(f'type "{text.strip()}" does not exist')
    if canon == "numeric":
        t = numeric(int(a), int(b or 0)) if a is not None else NUMERIC
    elif canon == "varchar":
        t = varchar(int(a) if a is not None else None)
    elif canon == "bpchar":
        t = bpchar(int(a) if a is not None else (None if key == "bpchar" else 1))
    elif canon in ("time", "timestamp", "timestamptz", "timetz", "interval"):
        t = with_precision(_BASE_BY_NAME[canon], int(a) if a is not None else None)
    elif canon == "bit":  # bare bit is bit(1), as in PostgreSQL
        t = bit_string(BIT, int(a) if a is not None else 1)
    elif canon == "varbit":
        t = bit_string(VARBIT, int(a) if a is not None else None)
    elif canon == "float8" and key == "float" and a is not None:
        t = FLOAT4 if int(a) <= 24 else FLOAT8
    else:
        t = _BASE_BY_NAME[canon]
    if arr:
        t = array_with_dims(t, arr.count("["))
    return t


_BY_OID: dict[int, SqlType] = {t.oid: t for t in _BASE_TYPES if t is not NULLTYPE}
_BY_OID[705] = UNKNOWN
_BY_OID[CITEXT.oid] = CITEXT
_BY_OID[CITEXT.array_oid] = array_of(CITEXT)
_BY_OID[HSTORE.oid] = HSTORE
_BY_OID[HSTORE.array_oid] = array_of(HSTORE)
for _name, _oid in _ARRAY_OIDS.items():
    if _name != "unknown":
        _BY_OID[_oid] = array_of(_BASE_BY_NAME[_name])


def register_by_oid(t: SqlType) -> None:
    """A type that is only ever named by its OID (the pseudo-types of routine signatures: pg_proc's
    prorettype/proargtypes print through format_type and regtype)."""
    _BY_OID.setdefault(t.oid, t)


def type_by_oid(oid: int) -> SqlType:
    """The SqlType of a PostgreSQL type OID (42704 when we do not know it)."""
    t = _BY_OID.get(oid)
    if t is None:
        t = USER_TYPES.find(oid)
    if t is None:  # a plugin's type (helios_sql_types)
        t = next((e[0] for e in EXTENSION_TYPES.values() if e[0].oid == oid), None)
    if t is None:
        raise UndefinedObject(f"type with OID {oid} does not exist")
    return t


def type_from_sqlglot(dt: Any) -> SqlType:
    """The SqlType of a sqlglot ``exp.DataType`` (as parsed with the postgres dialect)."""
    from sqlglot import exp

    if isinstance(dt, str):
        return type_from_name(dt)
    T = exp.DataType.Type
    kind = dt.this
    if kind == T.ARRAY or (dt.args.get("nested") and dt.expressions and isinstance(dt.expressions[0],
                                                                                      exp.DataType)):
        inner = dt.expressions[0] if dt.expressions else None
        if inner is None:
            raise SyntaxError_("array type without element type")
        el = type_from_sqlglot(inner)
        if el.element is not None:  # int[][]: one array type, stored two lists deep
            depth = 1
            arrow = el.arrow_type
            while pa.types.is_list(arrow):
                depth += 1
                arrow = arrow.value_type
            return array_with_dims(el.element, depth)
        return array_of(el)
    params = []
    for e in dt.expressions:
        v = e.this if isinstance(e, exp.DataTypeParam) else e
        if isinstance(v, exp.Literal):
            params.append(int(v.this))
        elif isinstance(v, exp.Neg) and isinstance(v.this, exp.Literal):  # numeric(3, -6)
            params.append(-int(v.this.this))
        elif isinstance(v, exp.Expression) and v.name.lstrip("-").isdigit():
            params.append(int(v.name))
    simple = {
        T.BOOLEAN: BOOL, T.SMALLINT: INT2, T.INT: INT4, T.BIGINT: INT8, T.SERIAL: INT4,
        T.SMALLSERIAL: INT2, T.BIGSERIAL: INT8, T.FLOAT: FLOAT4, T.TEXT: TEXT,
        T.VARBINARY: BYTEA, T.BINARY: BYTEA, T.DATE: DATE, T.INTERVAL: INTERVAL, T.UUID: UUID,
        T.JSON: JSON, T.JSONB: JSONB, T.NAME: NAME, T.TINYINT: INT2, T.UTINYINT: INT2,
        T.USMALLINT: INT4, T.UINT: INT8, T.MEDIUMINT: INT4, T.BLOB: BYTEA, T.NCHAR: BPCHAR,
        T.NVARCHAR: VARCHAR, T.UNKNOWN: UNKNOWN, T.NULL: UNKNOWN, T.DATETIME: TIMESTAMP,
    }
    if kind == T.INTERVAL and params:
        return with_precision(INTERVAL, params[0])
    if kind in simple:
        t = simple[kind]
        if t is BPCHAR:
            return bpchar(params[0] if params else 1)
        if t is VARCHAR:
            return varchar(params[0] if params else None)
        return t
    if kind == T.DOUBLE:
        if params and params[0] <= 24:
            return FLOAT4
        return FLOAT8
    if kind in (T.DECIMAL, T.BIGDECIMAL) or str(kind).upper().endswith("NUMERIC"):
        if not params:
            return NUMERIC
        return numeric(params[0], params[1] if len(params) > 1 else 0)
    if kind == T.VARCHAR:
        return varchar(params[0] if params else None)
    if kind == T.CHAR:
        return bpchar(params[0] if params else 1)
    if kind == T.BPCHAR:
        return bpchar(params[0] if params else None)
    if kind in (T.TIMESTAMP, T.TIMESTAMP_S, T.TIMESTAMP_MS, T.TIMESTAMP_NS, T.TIMESTAMPNTZ):
        return with_precision(TIMESTAMP, params[0] if params else None)
    if kind in (T.TIMESTAMPTZ, T.TIMESTAMPLTZ):
        return with_precision(TIMESTAMPTZ, params[0] if params else None)
    if kind == T.TIME:
        return with_precision(TIME, params[0] if params else None)
    if kind == T.TIMETZ:
        return with_precision(TIMETZ, params[0] if params else None)
    if kind == T.HSTORE:  # sqlglot knows the extension's type name; it resolves where installed
        return type_from_name("hstore")
    # user-defined / unrecognised: fall back to its spelling ("oid", "regclass", ...)
    spelled = kind if isinstance(kind, str) else dt.sql(dialect="postgres")
    return type_from_name(str(spelled))


def sql_type_of_arrow(t: pa.DataType) -> SqlType:
    """The SqlType that naturally holds an Arrow type (for Arrow data with no SQL schema)."""
    if pa.types.is_boolean(t):
        return BOOL
    if pa.types.is_int8(t) or pa.types.is_int16(t) or pa.types.is_uint8(t):
        return INT2
    if pa.types.is_int32(t) or pa.types.is_uint16(t):
        return INT4
    if pa.types.is_integer(t):
        return INT8
    if pa.types.is_float16(t) or pa.types.is_float32(t):
        return FLOAT4
    if pa.types.is_float64(t):
        return FLOAT8
    if pa.types.is_decimal(t):
        return NUMERIC
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return TEXT
    if pa.types.is_binary(t) or pa.types.is_large_binary(t) or pa.types.is_fixed_size_binary(t):
        return BYTEA
    if pa.types.is_date(t):
        return DATE
    if pa.types.is_time(t):
        return TIME
    if pa.types.is_timestamp(t):
        return TIMESTAMPTZ if t.tz is not None else TIMESTAMP
    if pa.types.is_interval(t) or pa.types.is_duration(t):
        return INTERVAL
    if _is_range_struct(t):
        return _range_of_arrow(t)
    if t == TIMETZ.arrow_type:
        return TIMETZ
    if pa.types.is_list(t) and t.value_field.name == "ranges" and _is_range_struct(t.value_type):
        return MULTIRANGE_TYPES[RANGE_MULTIRANGE[_range_of_arrow(t.value_type).name]]
    if pa.types.is_list(t) or pa.types.is_large_list(t) or pa.types.is_fixed_size_list(t):
        inner = sql_type_of_arrow(t.value_type)
        if inner.element is not None:  # list<list<...>>: an N-dimensional array
            return attrs.evolve(inner, arrow_type=pa.list_(inner.arrow_type))
        return array_of(inner)
    if pa.types.is_null(t):
        return UNKNOWN
    if pa.types.is_struct(t):
        return record_of([sql_type_of_arrow(f.type) for f in t])
    if pa.types.is_dictionary(t):
        return sql_type_of_arrow(t.value_type)
    return TEXT


def _is_range_struct(t: pa.DataType) -> bool:
    return pa.types.is_struct(t) and [f.name for f in t] == ["lower", "upper", "flags"]


def _range_of_arrow(t: pa.DataType) -> SqlType:
    """The range type whose values this struct holds: its bound type tells (see range_arrow)."""
    sub = sql_type_of_arrow(t.field("lower").type)
    for name, subtype in RANGE_SUBTYPES.items():
        if subtype.name == sub.name:
            return RANGE_TYPES[name]
    return record_of([sub, sub, INT2])


ALL_BASE_TYPES: tuple[SqlType, ...] = tuple(_BASE_TYPES)
