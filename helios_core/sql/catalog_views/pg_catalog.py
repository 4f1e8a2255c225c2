"""pg_catalog tables as clients read them: psql's \\d family, drivers' type lookups, ORM reflection.

Column lists follow PostgreSQL 15/16 (names and types), so client queries written for
PostgreSQL bind unchanged; columns for features HeliosDB lacks hold PostgreSQL's
"nothing here" values (false, 0, NULL). Tables for absent features are empty.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import sqlglot
import sqlglot.errors
from sqlglot import exp

from helios_core import roles
from helios_core.errors import HeliosError
from helios_core.sql import acl as A
from helios_core.sql import enum_labels, foreign_data, object_privileges, publications, sequences, user_types
from helios_core.sql import types as T
from helios_core.sql.catalog_views import builtin_routines
from helios_core.sql.catalog_views.model import (
    BOOTSTRAP_SUPERUSER_OID,
    BTREE_AM_OID,
    DEFAULT_COLLATION_OID,
    HEAP_AM_OID,
    PG_CATALOG_OID,
    CatalogModel,
    _catalog_list,
    domain_constraints,
    namespace_oid,
    role_oid,
    stable_oid,
)
from helios_core.sql.catalog_views.registry import (
    _to_table,
    catalog_table,
    parse_columns,
    shared_model,
    static_table,
)
from helios_core.sql.extensions import catalog as extensions_catalog
from helios_core.sql.functions.proc_oids import builtin_proc_oid
from helios_core.sql.routines.definition import KIND, Routine, resolve_type
from helios_core.sql.routines.signature_text import config_entries
from helios_core.sql.row_security import catalog_rows as rls_catalog
from helios_core.sql.triggers import catalog_rows
from helios_core.sql.user_aggregates import catalog_rows as aggregate_catalog
from helios_core.sql.virtual_tables import register_virtual_table

PG = "pg_catalog"

# ---------------------------------------------------------------------------
# types
# ---------------------------------------------------------------------------

_LEN = {"bool": 1, "char": 1, "int2": 2, "int4": 4, "int8": 8, "float4": 4, "float8": 8, "date": 4, "time": 8,
        "timestamp": 8, "timestamptz": 8, "interval": 16, "uuid": 16, "oid": 4, "name": 64, "regproc": 4,
        "regclass": 4, "regtype": 4, "timetz": 12, "void": 4, "unknown": -2,
        "point": 16, "lseg": 32, "box": 32, "line": 24, "circle": 24, "macaddr": 6, "macaddr8": 8}
_ALIGN = {"bool": "c", "char": "c", "name": "c", "uuid": "c", "int2": "s", "int8": "d", "float8": "d",
          "timestamp": "d", "timestamptz": "d", "time": "d", "timetz": "d", "interval": "d", "record": "d",
          **{t.name: "d" for t in T.GEOMETRIC_TYPES}}
# the geometric types' I/O functions are named point_in, poly_out... and point, lseg and box
# subscript like fixed-length arrays of their element (float8, point)
_GEOMETRIC_IO = {"point": "point", "lseg": "lseg", "path": "path", "box": "box", "polygon": "poly", "line": "line",
                 "circle": "circle"}
_GEOMETRIC_ELEMENT = {"point": 701, "lseg": 600, "box": 600}
# types whose I/O functions are named inet_in, macaddr_out, varbit_recv ... (others: int4in)
_UNDERSCORED_IO = frozenset({"inet", "cidr", "macaddr", "macaddr8", "bit", "varbit", "range", "multirange", "record"})
_STORAGE = {"inet": "m", "cidr": "m", "numeric": "m"}  # kept inline (main), not moved out of line
_IO = {"int2vector": "int2vector", "oidvector": "oidvector", "bpchar": "bpchar", "varchar": "varchar", "regproc": "regproc", "void": "void", "record": "record"}


def all_types() -> list[Any]:
    """Every type HeliosDB knows: base types and their arrays (no duplicates by OID)."""
    seen: dict[int, Any] = {}
    for t in T.ALL_BASE_TYPES:
        if t.oid not in seen:
            seen[t.oid] = t
    for t in list(seen.values()):
        if t.name in ("unknown", "void"):
            continue
        a = T.array_of(t)
        if a.oid and a.oid not in seen:
            seen[a.oid] = a
    return sorted(seen.values(), key=lambda t: t.oid)


def type_storage(t: Any) -> str:
    """pg_type.typstorage of a type: p (plain) for fixed-length types, m (main) for numeric and the
    network types, x (extended) for the other variable-length ones and arrays."""
    if t.element is not None:
        return "x"
    return _STORAGE.get(t.name, "x" if _LEN.get(t.name, -1) == -1 else "p")


# In a column's metadata: what ALTER COLUMN SET STORAGE / COMPRESSION / STATISTICS / (options) set
# (helios_core.sql.column_attributes): {"storage", "compression", "stattarget", "options"}
COLUMN_ATTRIBUTES = "attributes"


def column_attribute_values(md: dict | None, t: Any) -> tuple[int, str, str, list[str] | None]:
    """(attstattarget, attstorage, attcompression, attoptions) of a column for pg_attribute."""
    a = (md or {}).get(COLUMN_ATTRIBUTES) or {}
    options = a.get("options") or {}
    return (int(a.get("stattarget", -1)), a.get("storage") or type_storage(t), a.get("compression", ""),
            [f"{k}={v}" for k, v in options.items()] or None)


def type_row(t: Any) -> tuple:
    is_array = t.element is not None
    el = t.element
    name = t.name
    length = -1 if is_array else _LEN.get(name, -1)
    byval = (not is_array) and length in (1, 2, 4, 8) and name not in ("name", "macaddr8")  # macaddr8 is 8 bytes by reference
    typtype = "p" if name in ("record", "void", "unknown") and name != "unknown" else \
        "r" if t.is_range else "m" if t.is_multirange else "b"
    category = t.category
    align = ("d" if _ALIGN.get(el.name) == "d" else "i") if is_array else _ALIGN.get(name, "i")
    io = _IO[name] if name in T.VECTOR_TYPE_NAMES else "array" if is_array else \
        "range" if t.is_range else "multirange" if t.is_multirange else _IO.get(name, name)
    collation = DEFAULT_COLLATION_OID if (el or t).name in ("text", "varchar", "bpchar") else (
        950 if (el or t).name == "name" else 0)
    array_oid = 0 if is_array else (T.array_of(t).oid if name not in ("unknown", "void") else 0)
    preferred = name in ("text", "float8", "bool", "timestamptz", "interval", "oid")
    if name in _GEOMETRIC_IO:
        io_name = _GEOMETRIC_IO[name]
        return (
            t.oid, name, PG_CATALOG_OID, BOOTSTRAP_SUPERUSER_OID, length, False, "b", category, False,
            True, ";" if name == "box" else ",", 0,
            "raw_array_subscript_handler" if name in _GEOMETRIC_ELEMENT else "-", _GEOMETRIC_ELEMENT.get(name, 0),
            array_oid, f"{io_name}_in", f"{io_name}_out", f"{io_name}_recv", f"{io_name}_send",
            "-", "-", "-", "d", "p" if length != -1 else "x", False, 0, -1, 0, 0, None, None, None,
        )
    sep = "_" if io == "array" or io in _UNDERSCORED_IO else ""
    return (
        t.oid, name, PG_CATALOG_OID, BOOTSTRAP_SUPERUSER_OID, length, byval, typtype, category, preferred,
        True, ",", 0, "array_subscript_handler" if is_array else "-", el.oid if el is not None else 0, array_oid,
        f"{io}{sep}in", f"{io}{sep}out", f"{io}{sep}recv", f"{io}{sep}send",
        "-", "-", "-", align, _STORAGE.get(name, "x" if length == -1 else "p"), False, 0, -1, 0, collation,
        None, None, None,
    )


@catalog_table(PG, "pg_type", """oid oid, typname name, typnamespace oid, typowner oid, typlen int2,
    typbyval bool, typtype "char", typcategory "char", typispreferred bool, typisdefined bool, typdelim "char",
    typrelid oid, typsubscript regproc, typelem oid, typarray oid, typinput regproc, typoutput regproc,
    typreceive regproc, typsend regproc, typmodin regproc, typmodout regproc, typanalyze regproc, typalign "char",
    typstorage "char",
    typnotnull bool, typbasetype oid, typtypmod int4, typndims int4, typcollation oid, typdefaultbin text,
    typdefault text, typacl text[]""", catalog_only=True)
def pg_type(model: CatalogModel) -> list[tuple]:
    rows = [type_row(t) for t in all_types()] + enum_type_rows(model) + domain_type_rows(model) + \
        composite_type_rows(model) + shell_type_rows(model) + extension_type_rows(model) + range_type_rows(model)
    return [_with_proc_oids(r) for r in rows]


def io_function_names() -> set[str]:
    """The input/output/receive/send functions pg_type names for the built-in types (array_in,
    int4recv, ...): regproc input knows them though they are not SQL-callable here."""
    if not _IO_NAMES:
        for t in all_types():
            row = type_row(t)
            _IO_NAMES.update(v for v in (row[12], *row[15:22]) if isinstance(v, str) and v != "-")
    return _IO_NAMES


_IO_NAMES: set[str] = set()


def _with_proc_oids(row: tuple) -> tuple:
    """typsubscript and typinput..typanalyze are regprocs: the rows name the functions, the column
    holds their OIDs (so `typinput = 'array_in'::regproc` holds for arrays, as JDBC asks)."""
    procs = [builtin_proc_oid(v) if isinstance(v, str) else v for v in row[15:22]]
    sub = builtin_proc_oid(row[12]) if isinstance(row[12], str) else row[12]
    return (*row[:12], sub, *row[13:15], *procs, *row[22:])


ROW_TYPE_RELKINDS = ("r", "p", "v", "m", "c", "f")


def composite_type_rows(model: CatalogModel) -> list[tuple]:
    """pg_type rows (typtype 'c', typrelid its pg_class row) of the composite types and of every
    table's and view's row type, and of their array types."""
    rows = []
    for rel in model.relations:
        if rel.kind not in ROW_TYPE_RELKINDS:
            continue
        oid, array_oid = user_types.type_oids(rel.schema, rel.name)
        nsp, owner = rel.namespace_oid, role_oid(rel.owner)
        row = (oid, rel.name, nsp, owner, -1, False, "c", "C", False, True, ",", rel.oid, "-", 0, array_oid,
               "record_in", "record_out", "record_recv", "record_send", "-", "-", "-", "d", "x", False, 0, -1, 0,
               0, None, None, None)
        rows.append(row)
        arr = list(type_row(T.array_of(T.RECORD)))
        arr[0:4] = [array_oid, "_" + rel.name, nsp, owner]
        arr[13], arr[22] = oid, "d"
        rows.append(tuple(arr))
    return rows


def shell_type_rows(model: CatalogModel) -> list[tuple]:
    """pg_type rows of shell types (CREATE TYPE name): pseudo-types not yet defined."""
    rows = []
    for _key, rec in sorted(_catalog_list(model.txn, "type").items()):
        if rec.get("kind") != "shell":
            continue
        oid = user_types.type_oids(rec["schema"], rec["name"])[0]
        rows.append((oid, rec["name"], namespace_oid(rec["schema"]), role_oid(rec.get("owner") or "helios"), 4, True,
                     "p", "P", False, False, ",", 0, "-", 0, 0, "shell_in", "shell_out", "-", "-", "-", "-", "-",
                     "i", "p", False, 0, -1, 0, 0, None, None, None))
    return rows


def domain_type_rows(model: CatalogModel) -> list[tuple]:
    """pg_type rows of the domains (typtype 'd', typbasetype, typnotnull, typdefault) and their arrays."""
    rows = []
    domains = sorted((k, v) for k, v in _catalog_list(model.txn, "type").items() if v.get("kind") == "domain")
    for _key, rec in domains:
        try:
            t = T.type_from_name('"{}"."{}"'.format(rec["schema"], rec["name"]))
        except HeliosError:
            continue
        dom = t.domain
        oid, array_oid = user_types.type_oids(rec["schema"], rec["name"])
        plain = T.without_domain(t)
        base_oid = dom.base.domain.oid if dom.base.domain is not None else plain.oid
        row = list(type_row(plain))
        row[0:4] = [oid, rec["name"], namespace_oid(rec["schema"]), role_oid(rec.get("owner") or "helios")]
        row[6] = "d"
        row[13], row[14] = 0, array_oid
        row[15], row[17] = "domain_in", "domain_recv"
        row[24], row[25], row[26] = bool(rec.get("not_null")), base_oid, dom.base.typmod
        row[27] = 1 if plain.element is not None else 0
        row[30] = rec.get("default")
        rows.append(tuple(row))
        arr = list(type_row(T.array_of(plain)))
        arr[0:4] = [array_oid, "_" + rec["name"], namespace_oid(rec["schema"]), row[3]]
        arr[13] = oid
        rows.append(tuple(arr))
    return rows


def _enums(model: CatalogModel) -> list[tuple[str, dict]]:
    return sorted((k, v) for k, v in _catalog_list(model.txn, "type").items() if v.get("kind") == "enum")


def enum_type_rows(model: CatalogModel) -> list[tuple]:
    """pg_type rows of the enums made with CREATE TYPE ... AS ENUM, and of their array types."""
    rows = []
    for _key, rec in _enums(model):
        t = user_types.enum_type(rec)
        nsp = namespace_oid(rec["schema"])
        owner = role_oid(rec.get("owner") or "helios")
        base = type_row(t)
        rows.append((t.oid, t.name, nsp, owner, 4, True, "e", "E", False, *base[9:12], "-", 0, t.array_oid,
                     "enum_in", "enum_out", "enum_recv", "enum_send", *base[19:]))
        arr = type_row(T.array_of(t))
        rows.append((t.array_oid, "_" + t.name, nsp, owner, *arr[4:]))
    return rows


def _user_ranges(model: CatalogModel) -> list[tuple[T.SqlType, T.SqlType, dict]]:
    """(range type, multirange type, catalog record) of each CREATE TYPE ... AS RANGE."""
    return [(*user_types.range_types(rec), rec) for _k, rec in sorted(_catalog_list(model.txn, "type").items())
            if rec.get("kind") == "range"]


def range_type_rows(model: CatalogModel) -> list[tuple]:
    """pg_type rows of the range types made with CREATE TYPE ... AS RANGE, their multirange
    types and the arrays of both (typtype 'r' and 'm', range_in / multirange_in I/O)."""
    rows = []
    for rng, multi, rec in _user_ranges(model):
        owner = role_oid(rec.get("owner") or "helios")
        for t, schema, io in ((rng, rec["range_schema"], "range"), (multi, rec["multirange_schema"], "multirange")):
            nsp = namespace_oid(schema)
            base = type_row(t)
            rows.append((t.oid, t.name, nsp, owner, *base[4:15], f"{io}_in", f"{io}_out", f"{io}_recv",
                         f"{io}_send", *base[19:]))
            arr = type_row(T.array_of(t))
            rows.append((t.array_oid, "_" + t.name, nsp, owner, *arr[4:]))
    return rows


def extension_type_rows(model: CatalogModel) -> list[tuple]:
    """pg_type rows of the extensions' types and their arrays, where the extension is installed
    (in the extension's schema, owned by its owner; citext collatable like text, hstore with its
    own I/O functions, of category U)."""
    rows = []
    for t, collation in ((T.CITEXT, DEFAULT_COLLATION_OID), (T.HSTORE, 0)):
        ext = extensions_catalog.installed(model.txn, t.name) if model.txn is not None else None
        if ext is None:
            continue
        nsp = namespace_oid(ext.get("schema") or "public")
        owner = role_oid(ext.get("owner") or "helios")
        base, arr = type_row(t), type_row(T.array_of(t))
        if t is T.HSTORE:
            base = (*base[:7], "U", *base[8:15], f"{t.name}_in", f"{t.name}_out", f"{t.name}_recv",
                    f"{t.name}_send", *base[19:])
        rows += [(*base[:2], nsp, owner, *base[4:28], collation, *base[29:]),
                 (*arr[:2], nsp, owner, *arr[4:28], collation, *arr[29:])]
    return rows


@catalog_table(PG, "pg_enum", "oid oid, enumtypid oid, enumsortorder float4, enumlabel name", catalog_only=True)
def pg_enum(model: CatalogModel) -> list[tuple]:
    rows = []
    for key, rec in _enums(model):
        oid = user_types.type_oids(rec["schema"], rec["name"])[0]
        for label, order in zip(rec["labels"], enum_labels.sort_orders(rec), strict=True):
            rows.append((stable_oid("enum", f"{key}.{label}"), oid, order, label))
    return rows


@catalog_table(PG, "pg_range", """rngtypid oid, rngsubtype oid, rngmultitypid oid, rngcollation oid,
    rngsubopc oid, rngcanonical text, rngsubdiff text""", catalog_only=True)
def pg_range(model: CatalogModel) -> list[tuple]:
    rows = []
    for name, rt in T.RANGE_TYPES.items():
        sub = T.RANGE_SUBTYPES[name]
        multi = T.MULTIRANGE_TYPES[T.RANGE_MULTIRANGE[name]]
        canonical = f"{name}_canonical" if sub.name in ("int4", "int8", "date") else "-"
        rows.append((rt.oid, sub.oid, multi.oid, 0, 0, canonical, f"{name}_subdiff"))
    for rng, multi, rec in _user_ranges(model):
        sub = T.range_subtype(rng)
        collation = 950 if sub.name in ("text", "varchar", "bpchar", "name") else 0  # "C"
        rows.append((rng.oid, sub.oid, multi.oid, collation, 0, "-", rec.get("subtype_diff") or "-"))
    return rows


# ---------------------------------------------------------------------------
# namespaces, classes, attributes
# ---------------------------------------------------------------------------


@catalog_table(PG, "pg_namespace", "oid oid, nspname name, nspowner oid, nspacl text[]", catalog_only=True)
def pg_namespace(model: CatalogModel) -> list[tuple]:
    rows = []
    for name, info in sorted(model.schemas.items()):
        owner, acl = object_privileges.schema_owner_and_acl(name, info)
        rows.append((namespace_oid(name), name, role_oid(owner), A.items_text(acl)))
    return rows


@catalog_table(PG, "pg_init_privs", "objoid oid, classoid oid, objsubid int4, privtype \"char\", initprivs text[]")
def pg_init_privs(model: CatalogModel) -> list[tuple]:
    """What the schemas created with the database started with (public, pg_catalog,
    information_schema), so pg_dump dumps only what changed since (GRANT/REVOKE on them)."""
    rows = []
    for name in ("public", *sorted(object_privileges.SYSTEM_SCHEMAS)):
        if name in model.schemas:
            _, initial = object_privileges.schema_owner_and_acl(name, {"name": name})
            rows.append((namespace_oid(name), 2615, 0, "i", A.items_text(initial)))
    return rows


_AM_OIDS = {"btree": BTREE_AM_OID, "hash": 405}


def _relam(kind: str, method: str | None = None) -> int:
    return HEAP_AM_OID if kind in ("r", "m") else (_AM_OIDS.get(method or "btree", 0) if kind == "i" else 0)


@catalog_table(PG, "pg_class", """oid oid, relname name, relnamespace oid, reltype oid, reloftype oid,
    relowner oid, relam oid, relfilenode oid, reltablespace oid, relpages int4, reltuples float4,
    relallvisible int4, reltoastrelid oid, relhasindex bool, relisshared bool, relpersistence "char",
    relkind "char", relnatts int2, relchecks int2, relhasrules bool, relhastriggers bool, relhassubclass bool,
    relrowsecurity bool, relforcerowsecurity bool, relispopulated bool, relreplident "char", relispartition bool,
    relrewrite oid, relfrozenxid int8, relminmxid int8, relacl text[], reloptions text[], relpartbound text""")
def pg_class(model: CatalogModel) -> list[tuple]:
    indexed = {i.table.oid for i in model.indexes}
    checks: dict[int, int] = {}
    with_fk: set[int] = set()  # PostgreSQL implements foreign keys with triggers on both tables
    for c in model.constraints:
        if c.kind == "c":
            checks[c.table.oid] = checks.get(c.table.oid, 0) + 1
        if c.kind == "f":
            with_fk.add(c.table.oid)
            if c.ref_table is not None:
                with_fk.add(c.ref_table.oid)
    with_fk.update(r.oid for r in model.relations if r.options.get("triggers"))  # relhastriggers
    methods = {i.relation.oid: i.method for i in model.indexes}
    store = getattr(getattr(model.session, "engine", None), "store", None)
    analyzed = getattr(store, "maintenance_stats", None) or {}  # VACUUM / ANALYZE set reltuples
    rows = []
    for r in model.relations:
        reltuples = (analyzed.get(r.table_id) or {}).get("reltuples")
        relpages = (analyzed.get(r.table_id) or {}).get("relpages") or 0  # set by UPDATE pg_class only
        reltype = user_types.type_oids(r.schema, r.name)[0] if r.kind in ROW_TYPE_RELKINDS else 0
        rows.append((
            r.oid, r.name, r.namespace_oid, reltype, 0, role_oid(r.owner), _relam(r.kind, methods.get(r.oid)),
            r.oid if r.kind != "c" else 0, 0,
            relpages,
            -1.0 if reltuples is None else reltuples, 0, 0,
            r.oid in indexed, False, "t" if r.schema.startswith("pg_temp_") else r.options.get("persistence", "p"), r.kind, len(r.columns), checks.get(r.oid, 0), r.kind == "v", r.oid in with_fk,
            bool(r.options.get("inheritors") or r.options.get("partitions")),
            bool((r.options.get("row_security") or {}).get("enabled")),
            bool((r.options.get("row_security") or {}).get("forced")), _populated(r),
            str(r.options.get("replica_identity") or "d") if r.kind in ("r", "m", "p") else "n",
            bool(r.options.get("partition_of")), 0, 0, 0,
            A.items_text(r.options.get("acl")), r.options.get("reloptions") or None,
            r.options.get("partition_bound_text") if r.options.get(
                "partition_of") else None,
        ))
    return rows


@catalog_table(PG, "pg_attribute", """attrelid oid, attname name, atttypid oid, attstattarget int4, attlen int2,
    attnum int2, attndims int4, attcacheoff int4, atttypmod int4, attbyval bool, attalign "char",
    attstorage "char", attcompression "char", attnotnull bool, atthasdef bool, atthasmissing bool,
    attidentity "char", attgenerated "char", attisdropped bool, attislocal bool, attinhcount int4,
    attcollation oid, attacl text[], attoptions text[], attfdwoptions text[], attmissingval text""", catalog_only=True)
def pg_attribute(model: CatalogModel) -> list[tuple]:
    rows = []
    for r in model.relations:
        column_acl = r.options.get("column_acl") or {}
        inh = r.options.get("inherit_count")  # table inheritance: attinhcount / attislocal
        local = set(r.options.get("local_columns") or [])
        fdw_options = (r.options.get(foreign_data.TABLE_OPTION) or {}).get("column_options") or {}
        for c in r.columns:
            t = c.type
            base = t.element or t
            collation = DEFAULT_COLLATION_OID if base.name in ("text", "varchar", "bpchar") else 0
            length = -1 if t.element is not None else _LEN.get(t.name, -1)
            stattarget, storage, compression, options = column_attribute_values(c.metadata, t)
            rows.append((
                r.oid, c.name, T.catalog_oid(t), stattarget, length, c.number, 1 if t.element is not None else 0, -1,
                t.typmod, length in (1, 2, 4, 8) and t.element is None, _ALIGN.get(t.name, "i"),
                storage, compression, c.not_null, _has_default(c), False, c.identity,
                c.generated, False, c.name in local if inh is not None else True,
                (inh or {}).get(c.name, 0), collation, A.items_text(column_acl.get(c.name)), options,
                foreign_data.options_text(fdw_options.get(c.name)), None,
            ))
    return rows


@catalog_table(PG, "pg_attrdef", "oid oid, adrelid oid, adnum int2, adbin text", catalog_only=True)
def pg_attrdef(model: CatalogModel) -> list[tuple]:
    return [(stable_oid("attrdef", f"{r.oid}.{c.number}"), r.oid, c.number, c.default)
            for r in model.relations for c in r.columns if _has_default(c)]


def _has_default(c: Any) -> bool:
    """An identity column has no default in PostgreSQL's catalogs (its sequence is internal to it)."""
    return c.default is not None and not c.identity


@catalog_table(PG, "pg_index", """indexrelid oid, indrelid oid, indnatts int2, indnkeyatts int2,
    indisunique bool, indnullsnotdistinct bool, indisprimary bool, indisexclusion bool, indimmediate bool,
    indisclustered bool, indisvalid bool, indcheckxmin bool, indisready bool, indislive bool,
    indisreplident bool, indkey int2vector, indcollation oidvector, indclass oidvector, indoption int2vector,
    indexprs text,
    indpred text""")
def pg_index(model: CatalogModel) -> list[tuple]:
    from helios_core.sql.index_definitions import key_option

    rows = []
    for i in model.indexes:
        nums = {c.name: c.number for c in i.table.columns}
        keys = i.key_list()
        attnums = [nums.get(k["column"], 0) if "column" in k else 0 for k in keys]
        attnums += [nums.get(c, 0) for c in i.include]
        exprs = [k["expr"] for k in keys if "expr" in k]
        rows.append((
            i.relation.oid, i.table.oid, len(attnums), len(keys), i.unique, False, i.primary, False, True,
            (i.table.options or {}).get("clustered_index") == i.relation.name,
            True, False, True, True, _replica_identity_index(i), attnums, [0] * len(attnums), [0] * len(attnums),
            [key_option(k) for k in keys], ", ".join(exprs) if exprs else None,
            f"({i.where})" if i.where else None,  # what pg_get_expr(indpred, indrelid) prints
        ))
    return rows


def _replica_identity_index(i: Any) -> bool:
    opts = i.table.options or {}
    return opts.get("replica_identity") == "i" and opts.get("replica_identity_index") == i.relation.name


@catalog_table(PG, "pg_constraint", """oid oid, conname name, connamespace oid, contype "char",
    condeferrable bool, condeferred bool, convalidated bool, conrelid oid, contypid oid, conindid oid,
    conparentid oid, confrelid oid, confupdtype "char", confdeltype "char", confmatchtype "char",
    conislocal bool, coninhcount int4, connoinherit bool, conkey int2[], confkey int2[], conpfeqop oid[],
    conppeqop oid[], conffeqop oid[], confdelsetcols int2[], conexclop oid[], conbin text""")
def pg_constraint(model: CatalogModel) -> list[tuple]:
    rows = []
    by_name = _parents(model)
    for c in model.constraints:
        nums = {col.name: col.number for col in c.table.columns}
        inhcount, islocal = _check_inheritance(by_name, c) if c.kind == "c" else (0, True)
        ref_nums = {col.name: col.number for col in c.ref_table.columns} if c.ref_table else {}
        conindid = c.index.relation.oid if c.index is not None else 0
        if c.kind == "f" and c.ref_table is not None:
            for i in model.indexes:
                if i.table is c.ref_table and i.columns == c.ref_columns:
                    conindid = i.relation.oid
        parent_con = _cloned_from(model, c)  # a partition's copy of its parent's foreign key
        if parent_con:
            islocal, inhcount = False, 1
        rows.append((
            c.oid, c.name, c.table.namespace_oid, c.kind, c.deferrable, c.deferred, c.validated, c.table.oid, 0,
            conindid,
            parent_con,
            c.ref_table.oid if c.ref_table else 0, c.on_update if c.kind == "f" else " ",
            c.on_delete if c.kind == "f" else " ", c.match if c.kind == "f" else " ", islocal, inhcount, c.no_inherit,
            [nums.get(n, 0) for n in c.columns] or None,
            [ref_nums.get(n, 0) for n in c.ref_columns] if c.kind == "f" else None,
            None, None, None, None, None, _stored_form(c.check) if c.kind == "c" else None,
        ))
    for oid, name, nsp, typoid, definition, validated in domain_constraints(model.txn):
        rows.append((oid, name, nsp, "c", False, False, validated, 0, typoid, 0, 0, 0, " ", " ", " ", True, 0,
                     False, None, None, None, None, None, None, None, definition))
    return rows


_OPERATOR_NODES = (exp.Binary, exp.Not, exp.Is, exp.In, exp.Between, exp.Like, exp.ILike)


def _stored_form(check: str | None) -> str | None:
    """conbin as pg_get_expr shows it: an operator expression in parentheses ("(a <> 0)"), a column or a
    function call as it is. (PostgreSQL also parenthesizes each operand of AND/OR: not done here.)"""
    if not check:
        return check
    try:
        tree = sqlglot.parse_one(check, read="postgres")
    except sqlglot.errors.ParseError:
        return check
    return f"({check})" if isinstance(tree, _OPERATOR_NODES) else check


def _check_inheritance(by_name: dict, c: Any) -> tuple[int, bool]:
    """(coninhcount, conislocal) of a CHECK constraint: the parents holding one of its name."""
    ups = c.table.options.get("inherits") or []
    if not ups:
        return 0, True
    count = 0
    for key in ups:
        schema, _, name = key.partition(".")
        parent = by_name.get((schema, name))
        if parent is not None and any(k["name"] == c.name for k in parent.options.get("checks") or []):
            count += 1
    mine = next((k for k in c.table.options.get("checks") or [] if k["name"] == c.name), {})
    return count, bool(mine.get("local")) or count == 0


@catalog_table(PG, "pg_description", "objoid oid, classoid oid, objsubid int4, description text")
def pg_description(model: CatalogModel) -> list[tuple]:
    rows = model.descriptions()
    if model.txn is not None:
        rows += extensions_catalog.description_rows(model.txn)
        rows += publications.description_rows(model.txn)
        rows += foreign_data.description_rows(model.txn)
    public = namespace_oid("public")
    if "public" in model.schemas and not any(r[0] == public and r[1] == 2615 for r in rows):
        rows.append((public, 2615, 0, "standard public schema"))  # PostgreSQL's comment of a new database
    return rows


# ---------------------------------------------------------------------------
# databases, roles, settings, activity
# ---------------------------------------------------------------------------


def _engine(model: CatalogModel) -> Any:
    return getattr(model.session, "engine", None)


def _databases(model: CatalogModel) -> list[str]:
    eng = _engine(model)
    try:
        return list(eng.list_databases()) if eng is not None else [model.database]
    except Exception:  # noqa: BLE001 - a catalog view must not break a query
        return [model.database]


def database_oid(name: str) -> int:
    return {"template1": 1, "template0": 4, "postgres": 5}.get(name) or stable_oid("database", name) % 60_000 + 5


@catalog_table(PG, "pg_database", """oid oid, datname name, datdba oid, encoding int4, datlocprovider "char",
    datistemplate bool, datallowconn bool, datconnlimit int4, datfrozenxid int8, datminmxid int8,
    dattablespace oid, datcollate text, datctype text, daticulocale text, datcollversion text, datacl text[]""")
def pg_database(model: CatalogModel) -> list[tuple]:
    """The databases, and template0/template1 as PostgreSQL lists them (templates, not connectable here)."""
    from helios_core.engine import TEMPLATE_DATABASES
    eng = _engine(model)
    rows = []
    for d in sorted(set(_databases(model)) | set(TEMPLATE_DATABASES)):
        if d in TEMPLATE_DATABASES:
            rows.append((database_oid(d), d, BOOTSTRAP_SUPERUSER_OID, 6, "c", True, False, -1, 0, 1, 1663, "C", "C",
                         None, None, None))  # the default privileges, as has_database_privilege answers
            continue
        rec = object_privileges.database_record(eng, d) if eng is not None else {}
        rows.append((database_oid(d), d, role_oid(rec.get("owner") or "helios"), 6, "c", False, True, -1, 0, 1,
                     1663, "C", "C", None, None, A.items_text(rec.get("acl"))))
    return rows


def _roles(model: CatalogModel) -> list[dict]:
    eng = _engine(model)
    try:
        roles = eng.list_roles() if eng is not None else {}
    except Exception:  # noqa: BLE001 - a catalog view must not break a query
        roles = {}
    if not roles:
        roles = {"helios": {"name": "helios", "superuser": True, "login": True}}
    return [dict(v, name=v.get("name", k)) for k, v in sorted(roles.items())]


_ROLE_COLS = """rolname name, rolsuper bool, rolinherit bool, rolcreaterole bool, rolcreatedb bool,
    rolcanlogin bool, rolreplication bool, rolconnlimit int4, rolpassword text, rolvaliduntil timestamptz,
    rolbypassrls bool, rolconfig text[], oid oid"""


def _role_row(r: dict, show_password: bool) -> tuple:
    sup = bool(r.get("superuser"))
    until = r.get("valid_until")
    return (r["name"], sup, bool(r.get("inherit", True)), bool(r.get("createrole", sup)),
            bool(r.get("createdb", sup)), bool(r.get("login", True)), bool(r.get("replication", False)),
            int(r.get("connection_limit", -1) or -1),
            (r.get("password") if show_password else ("********" if r.get("password") else None)),
            _timestamp(until), bool(r.get("bypassrls", sup)), None, role_oid(r["name"]))


def _timestamp(value: Any) -> Any:
    """A stored VALID UNTIL (ISO text or 'infinity') as the timestamptz column holds it."""
    import datetime as dt

    if not value:
        return None
    if value == "infinity":
        return dt.datetime.max.replace(tzinfo=dt.UTC)
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


@catalog_table(PG, "pg_roles", _ROLE_COLS)
def pg_roles(model: CatalogModel) -> list[tuple]:
    return [_role_row(r, False) for r in _roles(model)]


@catalog_table(PG, "pg_authid", _ROLE_COLS)
def pg_authid(model: CatalogModel) -> list[tuple]:
    return [_role_row(r, True) for r in _roles(model)]


@catalog_table(PG, "pg_shadow", """usename name, usesysid oid, usecreatedb bool, usesuper bool, userepl bool,
    usebypassrls bool, passwd text, valuntil timestamptz, useconfig text[]""")
def pg_shadow(model: CatalogModel) -> list[tuple]:
    return [(r["name"], role_oid(r["name"]), bool(r.get("createdb")), bool(r.get("superuser")),
             bool(r.get("replication")), bool(r.get("bypassrls")), r.get("password"), _timestamp(r.get("valid_until")),
             None) for r in _roles(model) if r.get("login", True)]


@catalog_table(PG, "pg_user", """usename name, usesysid oid, usecreatedb bool, usesuper bool, userepl bool,
    usebypassrls bool, passwd text, valuntil timestamptz, useconfig text[]""")
def pg_user(model: CatalogModel) -> list[tuple]:
    return [(r["name"], role_oid(r["name"]), bool(r.get("superuser")), bool(r.get("superuser")), False,
             bool(r.get("superuser")), "********", None, None) for r in _roles(model) if r.get("login", True)]


@catalog_table(PG, "pg_auth_members", "oid oid, roleid oid, member oid, grantor oid, admin_option bool")
def pg_auth_members(model: CatalogModel) -> list[tuple]:
    rows = []
    for r in _roles(model):
        for parent in r.get("member_of") or []:
            rows.append((stable_oid("member", f"{parent}.{r['name']}"), role_oid(parent), role_oid(r["name"]),
                         BOOTSTRAP_SUPERUSER_OID, parent in (r.get("admin_of") or [])))
    return rows


@catalog_table(PG, "pg_settings", """name text, setting text, unit text, category text, short_desc text,
    extra_desc text, context text, vartype text, source text, min_val text, max_val text, enumvals text[],
    boot_val text, reset_val text, sourcefile text, sourceline int4, pending_restart bool""")
def pg_settings(model: CatalogModel) -> list[tuple]:
    try:
        settings = dict(model.session.settings)
    except Exception:  # noqa: BLE001 - a catalog view must not break a query
        settings = {}
    rows = []
    for name, value in sorted(settings.items()):
        vartype = "bool" if str(value) in ("on", "off") else ("integer" if str(value).lstrip("-").isdigit()
                                                              else "string")
        rows.append((name, str(value), None, "Ungrouped", "", None, "user", vartype, "default", None, None,
                     None, str(value), str(value), None, None, False))
    return rows


@catalog_table(PG, "pg_stat_activity", """datid oid, datname name, pid int4, leader_pid int4, usesysid oid,
    usename name, application_name text, client_addr inet, client_hostname text, client_port int4,
    backend_start timestamptz, xact_start timestamptz, query_start timestamptz, state_change timestamptz,
    wait_event_type text, wait_event text, state text, backend_xid int8, backend_xmin int8, query_id int8,
    query text, backend_type text, protocol text, branch text""")
def pg_stat_activity(model: CatalogModel) -> list[tuple]:
    """Every session of every protocol, with HeliosDB's two extra columns: protocol and branch."""
    eng = _engine(model)
    sessions = dict(getattr(eng, "sessions", {}) or {}) if eng is not None else {}
    graph = roles.role_graph(eng) if eng is not None else None
    me = getattr(model.session, "user", "helios")
    rows = []
    for pid, s in sorted(sessions.items()):
        user = getattr(s, "authenticated_user", None) or s.user
        protocol = getattr(s, "protocol", "embedded")
        # as PostgreSQL: another role's session shows its details only to superusers, members of
        # pg_read_all_stats (pg_monitor) and roles with that role's privileges
        if graph is not None and not (graph.has_privs_of(me, user) or graph.has_privs_of(me, "pg_read_all_stats")):
            rows.append((database_oid(s.database), s.database, pid, None, role_oid(user), user, None, None,
                         None, None, None, None, None, None, None, None, None, None, None, None,
                         "<insufficient privilege>", "client backend", protocol, None))
            continue
        try:
            app = dict(s.settings).get("application_name", "")
            branch = s.branch
        except Exception:  # noqa: BLE001 - a session closing right now
            app, branch = "", None
        in_txn = getattr(s, "transaction_status", "I") != "I"
        running = s is model.session or getattr(s, "_in_statement", False)
        state = "active" if running else ("idle in transaction" if in_txn else "idle")
        addr = getattr(s, "client_addr", None)
        host, port = (addr[0], addr[1]) if isinstance(addr, tuple) and len(addr) >= 2 else (None, None)
        if isinstance(addr, str):  # a Unix socket path: PostgreSQL shows NULL address, port -1
            host, port = None, -1
        tx_started = getattr(getattr(s, "tx", None), "started_at", None)
        query_start = _timestamp(getattr(s, "query_start", None))
        rows.append((database_oid(s.database), s.database, pid, None, role_oid(user), user, app, host,
                     None, port, _timestamp(getattr(s, "backend_start", None)), tx_started if in_txn else None,
                     query_start, query_start, None, None, state, None, None, None,
                     getattr(s, "last_query", ""), "client backend", protocol, branch))
    return rows


def _timestamp(seconds: float | None) -> Any:
    return None if seconds is None else dt.datetime.fromtimestamp(seconds, dt.UTC)


# ---------------------------------------------------------------------------
# views over the model (pg_tables, pg_views, pg_indexes, pg_sequences)
# ---------------------------------------------------------------------------


@catalog_table(PG, "pg_tables", """schemaname name, tablename name, tableowner name, tablespace name,
    hasindexes bool, hasrules bool, hastriggers bool, rowsecurity bool""")
def pg_tables(model: CatalogModel) -> list[tuple]:
    indexed = {i.table.oid for i in model.indexes}
    return [(r.schema, r.name, r.owner, None, r.oid in indexed, False, False, False)
            for r in model.relations if r.kind == "r"]


@catalog_table(PG, "pg_views", "schemaname name, viewname name, viewowner name, definition text")
def pg_views(model: CatalogModel) -> list[tuple]:
    return [(r.schema, r.name, r.owner, r.view_sql) for r in model.relations if r.kind == "v"]


@catalog_table(PG, "pg_matviews", """schemaname name, matviewname name, matviewowner name, tablespace name,
    hasindexes bool, ispopulated bool, definition text""")
def pg_matviews(model: CatalogModel) -> list[tuple]:
    indexed = {i.table.oid for i in model.indexes}
    return [(r.schema, r.name, r.owner, None, r.oid in indexed, _populated(r), r.view_sql)
            for r in model.relations if r.kind == "m"]


def _populated(r: Any) -> bool:
    """relispopulated: false only for a materialized view created or refreshed WITH NO DATA."""
    mv = r.options.get("matview")
    return not isinstance(mv, dict) or bool(mv.get("populated"))


@catalog_table(PG, "pg_indexes", "schemaname name, tablename name, indexname name, tablespace name, indexdef text")
def pg_indexes(model: CatalogModel) -> list[tuple]:
    return [(i.table.schema, i.table.name, i.relation.name, None, model.index_def(i)) for i in model.indexes]


_SEQ_KEYS = {"min": ("min", "minvalue", "min_value"), "max": ("max", "maxvalue", "max_value")}


def _seq_value(r: Any, key: str, default: Any) -> Any:
    for k in _SEQ_KEYS.get(key, (key,)):
        v = r.options.get(k)
        if v is not None:
            return v
    return default


def _sequence_last_value(model: CatalogModel, r: Any) -> int | None:
    if "seq_id" not in r.options or getattr(model.session, "engine", None) is None:
        return None
    return sequences.reported_last_value(model.session, f"{r.schema}.{r.name}", r.options)


@catalog_table(PG, "pg_sequences", """schemaname name, sequencename name, sequenceowner name, data_type text,
    start_value int8, min_value int8, max_value int8, increment_by int8, cycle bool, cache_size int8,
    last_value int8""")
def pg_sequences(model: CatalogModel) -> list[tuple]:
    rows = []
    for r in model.relations:
        if r.kind != "S":
            continue
        rows.append((r.schema, r.name, r.owner, str(_seq_value(r, "data_type", "bigint")),
                     int(_seq_value(r, "start", 1)), int(_seq_value(r, "min", 1)),
                     int(_seq_value(r, "max", 9223372036854775807)), int(_seq_value(r, "increment", 1)),
                     bool(_seq_value(r, "cycle", False)), int(_seq_value(r, "cache", 1)),
                     _sequence_last_value(model, r)))
    return rows


@catalog_table(PG, "pg_sequence", """seqrelid oid, seqtypid oid, seqstart int8, seqincrement int8, seqmax int8,
    seqmin int8, seqcache int8, seqcycle bool""")
def pg_sequence(model: CatalogModel) -> list[tuple]:
    rows = []
    for r in model.relations:
        if r.kind != "S":
            continue
        try:
            typ = T.type_from_name(str(_seq_value(r, "data_type", "bigint"))).oid
        except Exception:  # noqa: BLE001 - unknown names fall back to bigint
            typ = 20
        rows.append((r.oid, typ, int(_seq_value(r, "start", 1)), int(_seq_value(r, "increment", 1)),
                     int(_seq_value(r, "max", 9223372036854775807)), int(_seq_value(r, "min", 1)),
                     int(_seq_value(r, "cache", 1)), bool(_seq_value(r, "cycle", False))))
    return rows


# ---------------------------------------------------------------------------
# functions, access methods, collations, and the tables of features we lack
# ---------------------------------------------------------------------------


_PG_PROC_COLUMNS = parse_columns("""oid oid, proname name, pronamespace oid, proowner oid, prolang oid,
    procost float4, prorows float4, provariadic oid, prosupport text, prokind "char", prosecdef bool,
    proleakproof bool, proisstrict bool, proretset bool, provolatile "char", proparallel "char", pronargs int2,
    pronargdefaults int2, prorettype oid, proargtypes oidvector, proallargtypes oid[], proargmodes "char"[],
    proargnames text[], proargdefaults text, protrftypes oid[], prosrc text, probin text, prosqlbody text,
    proconfig text[], proacl text[]""")
_BUILTIN_PROCS: dict[int, pa.Table] = {}  # the built-in routines' rows, by the listing they come from


def pg_proc(model: CatalogModel) -> list[tuple]:
    """pg_proc's rows: the built-in routines (builtin_routines) and the session's own."""
    return builtin_routines.pg_proc_rows() + _user_routines(model)


def _pg_proc_table(session: Any) -> pa.Table:
    key = id(builtin_routines.routines())
    builtin = _BUILTIN_PROCS.get(key)
    if builtin is None:
        builtin = _BUILTIN_PROCS[key] = _to_table(_PG_PROC_COLUMNS, builtin_routines.pg_proc_rows())
    user = _user_routines(shared_model(session))
    if not user:
        return builtin
    return pa.concat_tables([builtin, _to_table(_PG_PROC_COLUMNS, user)])


register_virtual_table(PG, "pg_proc", _PG_PROC_COLUMNS, _pg_proc_table)


_LANGUAGE_OIDS = {"sql": 14, "plpgsql": 13_600}


def _user_routines(model: CatalogModel) -> list[tuple]:
    """CREATE FUNCTION / PROCEDURE's routines (helios_core.sql.routines.definition)."""
    rows = []
    for value in _catalog_list(model.txn, KIND).values() if model.txn is not None else ():
        for record in value.get("overloads") or []:
            r = Routine(record)
            try:
                in_oids = [t.oid for t in r.in_types]
                all_args = record["args"]
                ret = r.return_type
                outs = r.out_columns
                # one OUT column (RETURNS TABLE of one) is its type, several a record
                ret_oid = ret.oid if ret is not None else outs[0][1].oid if len(outs) == 1 else 2249
                if r.is_procedure:
                    ret_oid = 2278  # void
                all_oids = [_routine_type_oid(a["type"]) for a in all_args]
            except Exception:  # noqa: BLE001 - a routine over a type that is gone shows text
                in_oids, all_oids, ret_oid = [], [], 25
            pseudo = T.PSEUDO_TYPE_OIDS.get(str(record.get("returns") or "").lower())
            if pseudo is not None and not r.is_procedure:  # RETURNS trigger / event_trigger / ...
                ret_oid = pseudo
            modes = [a["mode"] for a in record["args"]]
            names = [a.get("name") or "" for a in record["args"]]
            if record.get("out_columns") and not any(m in ("o", "b") for m in modes):  # RETURNS TABLE
                modes += ["t"] * len(record["out_columns"])
                names += [n for n, _ in record["out_columns"]]
                all_oids += [_routine_type_oid(t) for _, t in record["out_columns"]]
            has_out = any(m != "i" for m in modes)
            defaults = [a["default"] for a in r.in_args if a.get("default") is not None]
            rows.append((
                int(record.get("oid") or stable_oid("function", f"{r.schema}.{r.signature()}")), r.name,
                namespace_oid(r.schema), role_oid(record.get("owner", "helios")),
                _LANGUAGE_OIDS.get(r.language, 14), float(record.get("cost") or 100.0),
                float(record.get("rows") or (1000.0 if r.returns_set else 0.0)), 0, "-", record["kind"],
                bool(record.get("security_definer")), bool(record.get("leakproof")), r.strict, r.returns_set, r.volatility,
                record.get("parallel") or "u", len(in_oids), len(defaults), ret_oid,
                in_oids, all_oids if has_out else None, modes if has_out else None,
                names if any(names) else None, ", ".join(defaults) if defaults else None, None, r.body, None,
                None, config_entries(record), A.items_text(record.get("acl"))))
    return rows


def _routine_type_oid(name: str) -> int:
    try:
        return resolve_type(name).oid
    except Exception:  # noqa: BLE001 - a type that is gone
        return 25


# amhandler is a regproc: the handler function's OID (PostgreSQL's own), as pg_dump casts it
static_table(PG, "pg_am", "oid oid, amname name, amhandler regproc, amtype \"char\"", [
    (HEAP_AM_OID, "heap", 3, "t"), (BTREE_AM_OID, "btree", 330, "i"),
    (405, "hash", 331, "i"), (783, "gist", 332, "i"), (2742, "gin", 333, "i"),
    (3580, "brin", 335, "i"),
])
_COLLATIONS = [
    (DEFAULT_COLLATION_OID, "default", PG_CATALOG_OID, 10, "d", True, -1, None, None, None, None),
    (950, "C", PG_CATALOG_OID, 10, "c", True, -1, "C", "C", None, None),
    (951, "POSIX", PG_CATALOG_OID, 10, "c", True, -1, "POSIX", "POSIX", None, None),
    (12340, "ucs_basic", PG_CATALOG_OID, 10, "c", True, 6, "C", "C", None, None),
    (12341, "C.utf8", PG_CATALOG_OID, 10, "c", True, 6, "C.utf8", "C.utf8", None, None),
]
COLLATION_OIDS = {row[1]: row[0] for row in _COLLATIONS}  # regcollation's names (all in pg_catalog)
static_table(PG, "pg_collation", """oid oid, collname name, collnamespace oid, collowner oid,
    collprovider "char", collisdeterministic bool, collencoding int4, collcollate text, collctype text,
    colliculocale text, collversion text""", _COLLATIONS)
static_table(PG, "pg_tablespace", "oid oid, spcname name, spcowner oid, spcacl text[], spcoptions text[]",
             [(1663, "pg_default", 10, None, None), (1664, "pg_global", 10, None, None)])
static_table(PG, "pg_language", """oid oid, lanname name, lanowner oid, lanispl bool, lanpltrusted bool,
    lanplcallfoid oid, laninline oid, lanvalidator oid, lanacl text[]""", [
    (12, "internal", 10, False, False, 0, 0, 0, None), (13, "c", 10, False, False, 0, 0, 0, None),
    (14, "sql", 10, False, True, 0, 0, 0, None), (13_600, "plpgsql", 10, True, True, 0, 0, 0, None),
])
@catalog_table(PG, "pg_extension", """oid oid, extname name, extowner oid, extnamespace oid,
    extrelocatable bool, extversion text, extconfig oid[], extcondition text[]""")
def pg_extension(model: CatalogModel) -> list[tuple]:
    return extensions_catalog.extension_rows(model.txn) if model.txn is not None else []


@catalog_table(PG, "pg_available_extensions", "name name, default_version text, installed_version text, comment text")
def pg_available_extensions(model: CatalogModel) -> list[tuple]:
    return extensions_catalog.available_rows(model.txn) if model.txn is not None else []



def _cloned_from(model: Any, c: Any) -> int:
    """conparentid: the OID of the parent's foreign key a partition's one was cloned from, else 0."""
    up = (c.table.options or {}).get("partition_of") if c.kind == "f" else None
    if not up:
        return 0
    parent = model.by_name.get((up["schema"], up["name"]))
    if parent is None or not any(f.get("name") == c.name for f in (parent.options or {}).get("foreign_keys") or []):
        return 0
    return stable_oid("constraint", f"{parent.schema}.{parent.name}.{c.name}")


@catalog_table(PG, "pg_trigger", """oid oid, tgrelid oid, tgparentid oid, tgname name, tgfoid oid, tgtype int2,
    tgenabled "char", tgisinternal bool, tgconstrrelid oid, tgconstrindid oid, tgconstraint oid,
    tgdeferrable bool, tginitdeferred bool, tgnargs int2, tgattr int2vector, tgargs bytea, tgqual text,
    tgoldtable name, tgnewtable name""")
def pg_trigger(model: CatalogModel) -> list[tuple]:
    return catalog_rows.rows(model)
static_table(PG, "pg_rules", "schemaname name, tablename name, rulename name, definition text")
@catalog_table(PG, "pg_policy", """oid oid, polname name, polrelid oid, polcmd "char", polpermissive bool,
    polroles oid[], polqual text, polwithcheck text""")
def pg_policy(model: CatalogModel) -> list[tuple]:
    return rls_catalog.pg_policy_rows(model)


@catalog_table(PG, "pg_policies", """schemaname name, tablename name, policyname name, permissive text,
    roles name[], cmd text, qual text, with_check text""")
def pg_policies(model: CatalogModel) -> list[tuple]:
    return rls_catalog.pg_policies_rows(model)


static_table(PG, "pg_statistic_ext", """oid oid, stxrelid oid, stxname name, stxnamespace oid, stxowner oid,
    stxstattarget int4, stxkeys int2[], stxkind "char"[], stxexprs text""")


def _parents(model: CatalogModel) -> dict[tuple[str, str], Any]:
    return {(r.schema, r.name): r for r in model.relations if r.kind in ("r", "p", "f")}


@catalog_table(PG, "pg_inherits", "inhrelid oid, inhparent oid, inhseqno int4, inhdetachpending bool")
def pg_inherits(model: CatalogModel) -> list[tuple]:
    """Declarative partitions and their parents, inheritance children and theirs (inhseqno: 1, 2, ...)."""
    by_name = _parents(model)
    rows = []
    for r in model.relations:
        of = r.options.get("partition_of")
        parent = by_name.get((of["schema"], of["name"])) if of else None
        if parent is not None:
            rows.append((r.oid, parent.oid, 1, False))
        for seq, key in enumerate(r.options.get("inherits") or [], start=1):
            schema, _, name = key.partition(".")
            parent = by_name.get((schema, name))
            if parent is not None:
                rows.append((r.oid, parent.oid, seq, False))
    return rows


@catalog_table(PG, "pg_partitioned_table", """partrelid oid, partstrat "char", partnatts int2, partdefid oid,
    partattrs int2vector, partclass oidvector, partcollation oidvector, partexprs text""")
def pg_partitioned_table(model: CatalogModel) -> list[tuple]:
    by_name = _parents(model)
    rows = []
    for r in model.relations:
        sp = r.options.get("partition_by")
        if r.kind != "p" or not sp:
            continue
        nums = {c.name: c.number for c in r.columns}
        default = 0
        for key in r.options.get("partitions", []):
            schema, _, name = key.partition(".")
            part = by_name.get((schema, name))
            if part is not None and (part.options.get("partition_bound") or {}).get("kind") == "default":
                default = part.oid
        n = len(sp["columns"])
        rows.append((r.oid, sp["strategy"][0], n, default, [nums.get(c, 0) for c in sp["columns"]], [0] * n,
                     [0] * n, None))
    return rows
@catalog_table(PG, "pg_publication", """oid oid, pubname name, pubowner oid, puballtables bool, pubinsert bool,
    pubupdate bool, pubdelete bool, pubtruncate bool, pubviaroot bool""")
def pg_publication(model: CatalogModel) -> list[tuple]:
    return [(publications.publication_oid(p["name"]), p["name"], role_oid(p["owner"]), bool(p.get("all_tables")),
             *(bool(p["publish"].get(a)) for a in publications.ACTIONS), bool(p.get("via_root")))
            for p in _publications(model)]


def _publications(model: CatalogModel) -> list[dict]:
    return publications.all_publications(model.txn) if model.txn is not None else []


def _published_members(model: CatalogModel) -> list[tuple[dict, Any, dict]]:
    """(publication, relation, member) of each table listed by a FOR TABLE clause that still exists."""
    by_id = {r.table_id: r for r in model.relations if r.table_id is not None and r.kind in "rp"}
    return [(p, by_id[t["table_id"]], t) for p in _publications(model) for t in p.get("tables", [])
            if t["table_id"] in by_id]


@catalog_table(PG, "pg_publication_rel", "oid oid, prpubid oid, prrelid oid, prqual text, prattrs int2vector")
def pg_publication_rel(model: CatalogModel) -> list[tuple]:
    rows = []
    for p, rel, t in _published_members(model):
        numbers = {c.name: c.number for c in rel.columns}
        attrs = sorted(numbers[c] for c in t["columns"] if c in numbers) if t.get("columns") is not None else None
        rows.append((stable_oid("publication_rel", f"{p['name']}.{rel.oid}"), publications.publication_oid(p["name"]),
                     rel.oid, t.get("where"), attrs))
    return rows


@catalog_table(PG, "pg_publication_namespace", "oid oid, pnpubid oid, pnnspid oid")
def pg_publication_namespace(model: CatalogModel) -> list[tuple]:
    return [(stable_oid("publication_namespace", f"{p['name']}.{s}"), publications.publication_oid(p["name"]),
             namespace_oid(s)) for p in _publications(model) for s in p.get("schemas", []) if s in model.schemas]


@catalog_table(PG, "pg_publication_tables", """pubname name, schemaname name, tablename name, attnames name[],
    rowfilter text""")
def pg_publication_tables(model: CatalogModel) -> list[tuple]:
    """Each published table once per publication, as pg_get_publication_tables: without
    publish_via_partition_root a partitioned table stands for its leaf partitions; with it, a
    partition whose ancestor is published is left out. Column list (else all columns), row filter."""
    tables = [r for r in model.relations if r.kind in "rp" and r.table_id is not None
              and publications.publishable(r.schema, r.options)]
    by_name = {(r.schema, r.name): r for r in tables}

    def parent(r: Any) -> Any:
        up = r.options.get("partition_of")
        return by_name.get((up["schema"], up["name"])) if up else None

    def leaves(r: Any) -> list[Any]:
        if r.kind == "r":
            return [r]
        return [leaf for c in tables if parent(c) is r for leaf in leaves(c)]

    rows = []
    for p in _publications(model):
        listed = {t["table_id"]: t for t in p.get("tables", [])}
        chosen = [r for r in tables if p.get("all_tables") or r.table_id in listed or r.schema in p.get("schemas", [])]
        if p.get("via_root"):
            ids = {r.oid for r in chosen}
            out = []
            for r in chosen:
                up = parent(r)
                while up is not None and up.oid not in ids:
                    up = parent(up)
                if up is None:
                    out.append(r)
        else:
            out = list({leaf.oid: leaf for r in chosen for leaf in leaves(r)}.values())
        for rel in out:
            member = listed.get(rel.table_id)
            cols = [c.name for c in rel.columns if c.number > 0]
            if member is not None and member.get("columns") is not None:
                cols = [c for c in cols if c in member["columns"]]
            rows.append((p["name"], rel.schema, rel.name, cols, member.get("where") if member is not None else None))
    return sorted(rows, key=lambda r: (r[0], r[1], r[2]))


static_table(PG, "pg_subscription", """oid oid, subdbid oid, subskiplsn text, subname name, subowner oid,
    subenabled bool, subbinary bool, substream bool, subtwophasestate "char", subdisableonerr bool,
    subconninfo text, subslotname name, subsynccommit text, subpublications text[]""")
static_table(PG, "pg_event_trigger", """oid oid, evtname name, evtevent name, evtowner oid, evtfoid oid,
    evtenabled "char", evttags text[]""")
static_table(PG, "pg_shdescription", "objoid oid, classoid oid, description text")
static_table(PG, "pg_cast", """oid oid, castsource oid, casttarget oid, castfunc oid, castcontext "char",
    castmethod "char\"""")
static_table(PG, "pg_transform", "oid oid, trftype oid, trflang oid, trffromsql oid, trftosql oid")
static_table(PG, "pg_conversion", """oid oid, conname name, connamespace oid, conowner oid, conforencoding int4,
    contoencoding int4, conproc text, condefault bool""")
static_table(PG, "pg_opclass", """oid oid, opcmethod oid, opcname name, opcnamespace oid, opcowner oid,
    opcfamily oid, opcintype oid, opcdefault bool, opckeytype oid""")
static_table(PG, "pg_operator", """oid oid, oprname name, oprnamespace oid, oprowner oid, oprkind "char",
    oprcanmerge bool, oprcanhash bool, oprleft oid, oprright oid, oprresult oid, oprcom oid, oprnegate oid,
    oprcode regproc, oprrest regproc, oprjoin regproc""", builtin_routines.pg_operator_rows())
_DEFACL_TYPES = {"table": "r", "sequence": "S", "function": "f", "type": "T", "schema": "n"}


@catalog_table(PG, "pg_default_acl", """oid oid, defaclrole oid, defaclnamespace oid, defaclobjtype "char",
    defaclacl text[]""")
def pg_default_acl(model: CatalogModel) -> list[tuple]:
    """ALTER DEFAULT PRIVILEGES entries (namespace 0: for every schema)."""
    if model.txn is None:
        return []
    rows = []
    for rec in object_privileges.default_privilege_rows(model.txn):
        key = f"{rec['role']}:{rec.get('schema') or ''}:{rec['kind']}"
        rows.append((stable_oid("default_acl", key), role_oid(rec["role"]),
                     namespace_oid(rec["schema"]) if rec.get("schema") else 0,
                     _DEFACL_TYPES.get(rec["kind"], "r"), A.items_text(rec.get("acl"))))
    return rows
static_table(PG, "pg_seclabel", "objoid oid, classoid oid, objsubid int4, provider text, label text")
static_table(PG, "pg_parameter_acl", "oid oid, parname text, paracl text[]")
static_table(PG, "pg_shseclabel", "objoid oid, classoid oid, provider text, label text")
static_table(PG, "pg_seclabels", """objoid oid, classoid oid, objsubid int4, objtype text, objnamespace oid,
    objname text, provider text, label text""")
static_table(PG, "pg_ts_config", "oid oid, cfgname name, cfgnamespace oid, cfgowner oid, cfgparser oid")
static_table(PG, "pg_largeobject_metadata", "oid oid, lomowner oid, lomacl text[]")
static_table(PG, "pg_db_role_setting", "setdatabase oid, setrole oid, setconfig text[]")
static_table(PG, "pg_ts_parser", """oid oid, prsname name, prsnamespace oid, prsstart regproc, prstoken regproc,
    prsend regproc, prsheadline regproc, prslextype regproc""")
static_table(PG, "pg_ts_dict", """oid oid, dictname name, dictnamespace oid, dictowner oid, dicttemplate oid,
    dictinitoption text""")
static_table(PG, "pg_ts_template", "oid oid, tmplname name, tmplnamespace oid, tmplinit regproc, tmpllexize regproc")
static_table(PG, "pg_amop", """oid oid, amopfamily oid, amoplefttype oid, amoprighttype oid, amopstrategy int2,
    amoppurpose "char", amopopr oid, amopmethod oid, amopsortfamily oid""")
static_table(PG, "pg_amproc", """oid oid, amprocfamily oid, amproclefttype oid, amprocrighttype oid,
    amprocnum int2, amproc regproc""")
static_table(PG, "pg_opfamily", "oid oid, opfmethod oid, opfname name, opfnamespace oid, opfowner oid")


@catalog_table(PG, "pg_aggregate", aggregate_catalog.COLUMNS)
def pg_aggregate(model: CatalogModel) -> list[tuple]:
    return builtin_routines.pg_aggregate_rows() + aggregate_catalog.rows(model.txn)


static_table(PG, "pg_statistic_ext_data", "stxoid oid, stxdinherit bool")
static_table(PG, "pg_prepared_xacts", """transaction int8, gid text, prepared timestamptz, owner name,
    database name""")
static_table(PG, "pg_replication_slots", """slot_name name, plugin name, slot_type text, datoid oid,
    database name, temporary bool, active bool""")
