"""A read of the session's catalog shaped the way pg_catalog describes it.

Every pg_catalog / information_schema table is computed from one ``CatalogModel``:
schemas, relations (tables, views, sequences, indexes) with stable OIDs, their
columns, and constraints. OIDs must agree between tables within a query (psql joins
pg_class to pg_attribute by oid), so they are pure functions of the object:
tables use their storage table id, everything else a hash of its kind and name.
"""

from __future__ import annotations

import re
import zlib
from typing import Any

import attrs
import sqlglot
from sqlglot import exp

from helios_core.roles import PREDEFINED_ROLES
from helios_core.sql import types as T
from helios_core.sql.catalog_views.expression_text import catalog_text
from helios_core.sql.temp_tables import hidden_from, is_temp_schema

FIRST_USER_OID = 16384
BOOTSTRAP_SUPERUSER_OID = 10
PG_CATALOG_OID = 11
PUBLIC_OID = 2200
INFORMATION_SCHEMA_OID = 13_000
HELIOSDB_SCHEMA_OID = 13_100
PG_CLASS_OID = 1259
PG_CONSTRAINT_OID = 2606
PG_TYPE_OID = 1247
PG_CONSTRAINT_OID = 2606
PG_NAMESPACE_OID = 2615
PG_PROC_OID = 1255
HEAP_AM_OID = 2
BTREE_AM_OID = 403
DEFAULT_COLLATION_OID = 100

_FIXED_SCHEMAS = {"pg_catalog": PG_CATALOG_OID, "public": PUBLIC_OID,
                  "information_schema": INFORMATION_SCHEMA_OID, "heliosdb": HELIOSDB_SCHEMA_OID}


def stable_oid(kind: str, key: str) -> int:
    """An OID for a catalog object without a storage id: deterministic, above the user range."""
    return 100_000 + zlib.crc32(f"{kind}:{key}".encode()) % 2_000_000_000


def role_oid(name: str) -> int:
    if name in PREDEFINED_ROLES:
        return PREDEFINED_ROLES[name][0]
    return BOOTSTRAP_SUPERUSER_OID if name == "helios" else stable_oid("role", name)


def namespace_oid(name: str) -> int:
    return _FIXED_SCHEMAS.get(name) or stable_oid("schema", name)


def domain_constraints(txn: Any) -> list[tuple[int, str, int, int, str, bool]]:
    """(oid, name, namespace oid, domain type oid, CHECK definition, validated) of every domain CHECK."""
    out = []
    for key, rec in sorted(_catalog_list(txn, "type").items()) if txn is not None else ():
        if rec.get("kind") != "domain":
            continue
        typoid = stable_oid("type", key)
        for c in rec.get("checks", []):
            text = re.sub(r"(?<![\w\"])value(?![\w\"])", "VALUE", c["expr"], flags=re.IGNORECASE)
            out.append((stable_oid("constraint", f"{key}.{c['name']}"), c["name"], namespace_oid(rec["schema"]),
                        typoid, f"CHECK ({text})", not c.get("not_valid")))
    return out


@attrs.define
class Column:
    name: str
    type: Any  # SqlType
    number: int
    not_null: bool = False
    default: str | None = None
    identity: str = ""  # "" | "a" (always) | "d" (by default)
    generated: str = ""
    metadata: dict[str, Any] | None = None  # the column's stored metadata (column_attributes reads it)


@attrs.define
class Relation:
    oid: int
    schema: str
    name: str
    kind: str  # r table, v view, S sequence, i index
    owner: str = "helios"
    columns: list[Column] = attrs.Factory(list)
    view_sql: str | None = None
    table_id: int | None = None
    options: dict[str, Any] = attrs.Factory(dict)

    @property
    def namespace_oid(self) -> int:
        return namespace_oid(self.schema)


@attrs.define
class Index:
    relation: Relation  # the index's own pg_class row (kind "i")
    table: Relation
    columns: list[str]
    unique: bool
    primary: bool
    method: str = "btree"
    # CREATE INDEX's description (helios_core.sql.index_definitions): keys with their options,
    # INCLUDE columns, partial-index predicate; constraint indexes have plain ascending keys
    keys: list[dict] = attrs.Factory(list)
    include: list[str] = attrs.Factory(list)
    where: str | None = None
    options: dict[str, str] = attrs.Factory(dict)  # WITH (...) of a plugin's access method

    def key_list(self) -> list[dict]:
        return self.keys or [{"column": c} for c in self.columns]


@attrs.define
class Constraint:
    oid: int
    name: str
    kind: str  # p primary key, u unique, f foreign key, c check
    table: Relation
    columns: list[str]
    ref_table: Relation | None = None
    ref_columns: list[str] = attrs.Factory(list)
    check: str | None = None
    on_update: str = "a"  # PG confupdtype: a no action, r restrict, c cascade, n set null, d set default
    on_delete: str = "a"
    on_delete_columns: list[str] = attrs.Factory(list)  # ON DELETE SET NULL/DEFAULT (cols): confdelsetcols
    match: str = "s"  # PG confmatchtype: s simple, f full
    index: Index | None = None
    deferrable: bool = False
    deferred: bool = False  # INITIALLY DEFERRED
    no_inherit: bool = False  # CHECK ... NO INHERIT (table inheritance)
    exclusion: dict | None = None  # an EXCLUDE constraint's record (helios_core.sql.exclusion_constraints)
    validated: bool = True  # False for a CHECK or FOREIGN KEY added NOT VALID until VALIDATE CONSTRAINT

    def definition(self) -> str:
        cols = ", ".join(_ident(c) for c in self.columns)
        if self.kind == "p":
            return f"PRIMARY KEY ({cols})"
        if self.kind == "u":
            return f"UNIQUE ({cols})" + (" DEFERRABLE" if self.deferrable else "") + (
                " INITIALLY DEFERRED" if self.deferred else "")
        if self.kind == "c":
            return f"CHECK ({catalog_text(self.check)})" + (" NO INHERIT" if self.no_inherit else "") + (
                "" if self.validated else " NOT VALID")
        if self.kind == "x" and self.exclusion is not None:
            parts = ", ".join(f"{e['expr']} WITH {e['op']}" for e in self.exclusion["elements"])
            where = f" WHERE (({self.exclusion['where']}))" if self.exclusion.get("where") else ""
            return f"EXCLUDE USING {self.exclusion['method']} ({parts}){where}"
        assert self.ref_table is not None
        ref = _qualified(self.ref_table)
        out = f"FOREIGN KEY ({cols}) REFERENCES {ref}({', '.join(_ident(c) for c in self.ref_columns)})"
        if self.match == "f":
            out += " MATCH FULL"
        actions = {"r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}
        if self.on_update in actions:
            out += f" ON UPDATE {actions[self.on_update]}"
        if self.on_delete in actions:
            out += f" ON DELETE {actions[self.on_delete]}"
            if self.on_delete_columns:
                out += f" ({', '.join(_ident(c) for c in self.on_delete_columns)})"
        if self.deferrable:
            out += " DEFERRABLE"
        if self.deferred:
            out += " INITIALLY DEFERRED"
        return out + ("" if self.validated else " NOT VALID")


def _option_value(value: str) -> str:
    return value if _ident(value) == value and not value[:1].isdigit() else "'" + value.replace("'", "''") + "'"


def _ident(name: str) -> str:
    if name and (name[0].isalpha() or name[0] == "_") and all(c.isalnum() or c == "_" for c in name) \
            and name == name.lower():
        return name
    return '"' + name.replace('"', '""') + '"'


def _qualified(rel: Relation) -> str:
    """The relation's name, schema-qualified when its schema is not on the session's search_path
    (pg_dump empties it, and its output must restore anywhere)."""
    from helios_core.sql.catalog_views.functions import _search_path_schemas

    visible = rel.schema in _search_path_schemas()
    return _ident(rel.name) if visible else f"{_ident(rel.schema)}.{_ident(rel.name)}"


_ACTION = {"no action": "a", "restrict": "r", "cascade": "c", "set null": "n", "set default": "d"}


def _action(value: Any) -> str:
    if not value:
        return "a"
    v = str(value).lower().replace("_", " ")
    return _ACTION.get(v, v[:1] if v[:1] in "arcnd" else "a")


def _column_type(md: dict, sql_name: str | None, arrow_type: Any, schema: str) -> Any:
    """A column's SQL type from its metadata, whatever the search_path (pg_dump reads the catalogs
    with an empty one): enums and domains by their qualified names, a user type's array in the
    table's schema or public; text when nothing resolves."""
    names = [md["enum"]] if md.get("enum") else [md["domain"]] if md.get("domain") else \
        [md["user_type"]] if md.get("user_type") else []
    if sql_name:
        names += [sql_name, f"{schema}.{sql_name}", f"public.{sql_name}"]
    for name in names:
        try:
            return T.type_from_name(name)
        except Exception:  # noqa: BLE001, S112 - an unknown spelling: try the next one
            continue
    return T.sql_type_of_arrow(arrow_type) if not sql_name else T.TEXT


def _view_reloptions(options: dict | None) -> list[str]:
    """A view's WITH options as pg_class.reloptions spells them (``security_barrier=true``);
    check_option comes last, as PostgreSQL appends it to the listed ones."""
    out = []
    for name, value in sorted((options or {}).items(), key=lambda kv: kv[0] == "check_option"):
        if value is None:
            continue
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        out.append(f"{name}={text}")
    return out


class CatalogModel:
    """What pg_catalog needs, read once from a session's current transaction."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.database = getattr(session, "database", "helios")
        self.user = getattr(session, "user", "helios")
        txn = txn_of(session)
        self.txn = txn
        self.schemas: dict[str, dict] = {"pg_catalog": {}, "public": {}, "information_schema": {}}
        self.relations: list[Relation] = []
        self.by_name: dict[tuple[str, str], Relation] = {}
        self.indexes: list[Index] = []
        self.constraints: list[Constraint] = []
        self.comments: dict[str, str] = {}  # COMMENT ON: "<kind>:<schema.object[.column]>" -> text
        self.produced: dict[str, Any] = {}  # catalog_only tables built from this model (registry)
        if txn is None:
            return
        self.comments = {k: str(v["text"]) for k, v in _catalog_list(txn, "comment").items() if "text" in v}
        for name, value in _catalog_list(txn, "schema").items():
            self.schemas[str(value.get("name", name)) if isinstance(value, dict) else name] = \
                value if isinstance(value, dict) else {}
        self._read_tables(txn)
        self._read_views(txn)
        self._read_sequences(txn)
        self._read_composite_types(txn)
        self._read_constraints()
        self._read_indexes(txn)

    # -- reading -------------------------------------------------------------------

    def _add(self, rel: Relation) -> Relation:
        self.relations.append(rel)
        self.by_name[(rel.schema, rel.name)] = rel
        return rel

    def _read_tables(self, txn: Any) -> None:
        try:
            tables = txn.list_tables()
        except Exception:  # noqa: BLE001 - a catalog view must not break a query
            tables = []
        for t in tables:
            if hidden_from(self.session, t.schema):
                continue  # another session's temporary table
            if is_temp_schema(t.schema):
                self.schemas.setdefault(t.schema, {})
            table_id = getattr(t, "table_id", None)
            oid = FIRST_USER_OID + int(table_id) if isinstance(table_id, int) else stable_oid("table",
                                                                                               f"{t.schema}.{t.name}")
            opts = dict(getattr(t, "options", None) or {})
            matview = opts.get("matview") if isinstance(opts.get("matview"), dict) else None
            rel = Relation(oid=oid, schema=t.schema, name=t.name, kind="m" if matview else "p" if opts.get(
                               "partition_by") else "f" if isinstance(opts.get("foreign"), dict) else "r",
                           table_id=table_id,
                           options=opts, owner=str(opts.get("owner", "helios")),
                           view_sql=matview.get("sql") if matview else None)
            pk = set(getattr(t, "primary_key", None) or [])
            for i, c in enumerate(t.columns, 1):
                md = dict(getattr(c, "metadata", None) or {})
                sql_name = md.get("sql_type")
                st = _column_type(md, sql_name, c.type, t.schema)
                identity = str(md.get("identity", "") or "").lower()
                rel.columns.append(Column(
                    name=c.name, type=st, number=i,
                    not_null=(not getattr(c, "nullable", True)) or c.name in pk,
                    # a generation expression lives in pg_attrdef like a default (attgenerated tells them apart)
                    default=catalog_text(md.get("generated"))
                    or catalog_text(md.get("default") or md.get("default_sql"), st) or None,
                    identity="a" if identity.startswith("a") else ("d" if identity.startswith(("d", "b")) else ""),
                    generated="s" if md.get("generated") else "",
                    metadata=md,
                ))
            self._add(rel)

    def _read_views(self, txn: Any) -> None:
        for key, v in _catalog_list(txn, "view").items():
            schema, name = _split_key(key, v)
            if hidden_from(self.session, schema):
                continue  # another session's temporary view
            if is_temp_schema(schema):
                self.schemas.setdefault(schema, {})
            rel = Relation(oid=int(v.get("oid") or stable_oid("view", f"{schema}.{name}")), schema=schema,
                           name=name, kind="m" if v.get("materialized") else "v", view_sql=v.get("sql"),
                           owner=str(v.get("owner", "helios")),
                           options={"acl": v.get("acl"), "reloptions": _view_reloptions(v.get("options"))})
            cols = self._view_columns(v) if v.get("column_types") else self._planned_view_columns(v)
            rel.columns = [Column(name=n, type=t, number=i) for i, (n, t) in enumerate(cols, 1)]
            self._add(rel)

    def _read_composite_types(self, txn: Any) -> None:
        """The pg_class rows (relkind 'c') of CREATE TYPE ... AS (...), whose pg_attribute rows
        are the attributes."""
        for key, rec in sorted(_catalog_list(txn, "type").items()):
            if rec.get("kind") != "composite" or hidden_from(self.session, rec["schema"]):
                continue
            rel = Relation(oid=stable_oid("composite", key), schema=rec["schema"], name=rec["name"], kind="c",
                           owner=str(rec.get("owner") or "helios"))
            for i, a in enumerate(rec["attributes"], 1):
                try:
                    t = T.type_from_name(a["type"])
                except Exception:  # noqa: BLE001 - a dropped type: shown as text, never breaks a query
                    t = T.TEXT
                rel.columns.append(Column(name=a["name"], type=t, number=i))
            self._add(rel)

    def _view_columns(self, v: dict) -> list[tuple[str, Any]]:
        out = []
        types_ = v.get("column_types") or []
        for i, n in enumerate(v.get("columns") or []):
            t = T.TEXT
            if i < len(types_) and types_[i]:
                try:
                    t = T.type_from_name(str(types_[i]))
                except Exception:  # noqa: BLE001 - unknown type names show as text
                    t = T.TEXT
            out.append((str(n), t))
        return out

    def _planned_view_columns(self, v: dict) -> list[tuple[str, Any]]:
        """Column names and types of a view by planning its query (text when that fails)."""
        names = [str(n) for n in v.get("columns") or []]
        try:
            from helios_core.frontends.postgres import dialect
            from helios_core.sql.planner import plan_query

            stmts = dialect.parse(str(v.get("sql") or ""))
            plan = plan_query(stmts[0].ast, self.session.context(self.txn))
            # a column of unknown type ('foo' AS u) is text in a view, as PostgreSQL stores it
            planned = [(n, T.TEXT if t.name == "unknown" else t) for n, t in plan.columns]
        except Exception:  # noqa: BLE001 - a view the planner can't take shows text columns
            return [(n, T.TEXT) for n in names]
        if names and len(names) == len(planned):
            return [(n, t) for n, (_, t) in zip(names, planned, strict=True)]
        return [(str(n), t) for n, t in planned]

    def _read_sequences(self, txn: Any) -> None:
        for key, v in _catalog_list(txn, "sequence").items():
            schema, name = _split_key(key, v)
            if hidden_from(self.session, schema):
                continue
            if is_temp_schema(schema):  # the session's own pg_temp_N: a namespace while it holds objects
                self.schemas.setdefault(schema, {})
            rel = Relation(oid=int(v.get("oid") or stable_oid("sequence", f"{schema}.{name}")), schema=schema,
                           name=name, kind="S", options=dict(v), owner=str(v.get("owner", "helios")))
            rel.columns = [Column("last_value", T.INT8, 1, True), Column("log_cnt", T.INT8, 2, True),
                           Column("is_called", T.BOOL, 3, True)]
            self._add(rel)

    def _read_constraints(self) -> None:
        """Constraints from the table options the SQL layer keeps (see helios_core.sql.ddl).

        ``pk_name``; ``unique``: [{name, columns}]; ``checks``: [{name, expr}];
        ``foreign_keys``: [{name, columns, ref_schema, ref_table, ref_columns, on_update, on_delete}].
        A generic ``constraints`` list ({type: p/u/f/c, ...}) is read too.
        """
        for rel in [r for r in self.relations if r.kind in ("r", "p", "f")]:
            table = self._table_def(rel)
            pk = list(getattr(table, "primary_key", None) or []) if table is not None else []
            o = rel.options
            if pk:
                name = str(o.get("pk_name") or o.get("primary_key_name") or f"{rel.name}_pkey")
                self.constraints.append(Constraint(oid=stable_oid("constraint", f"{rel.schema}.{name}"),
                                                   name=name, kind="p", table=rel, columns=pk))
            specs: list[tuple[str, dict]] = []
            # a unique index (CREATE UNIQUE INDEX) is enforced like a constraint but is none
            specs += [("u", c) for c in o.get("unique") or [] if isinstance(c, dict) and not c.get("index_only")]
            # an enum column's label check is how the engine keeps the type's values: no constraint
            # PostgreSQL would list (pg_dump would carry it to PostgreSQL)
            specs += [("c", c) for c in o.get("checks") or [] if isinstance(c, dict) and not c.get("enum")]
            specs += [("f", c) for c in o.get("foreign_keys") or [] if isinstance(c, dict)]
            specs += [("x", c) for c in o.get("exclusions") or [] if isinstance(c, dict)]
            for c in o.get("constraints") or []:
                if isinstance(c, dict):
                    kind = str(c.get("type") or c.get("kind") or "").lower()
                    kind = {"primary key": "p", "unique": "u", "foreign key": "f", "check": "c"}.get(kind, kind[:1])
                    if kind in ("u", "f", "c"):
                        specs.append((kind, c))
            for kind, c in specs:
                cols = [str(x) for x in c.get("columns") or []]
                if kind == "c" and not cols:  # conkey of a CHECK: the columns its expression reads
                    cols = _columns_read(c.get("expr") or c.get("check") or c.get("expression"),
                                         {col.name for col in rel.columns})
                suffix = {"u": "key", "f": "fkey", "c": "check", "x": "excl"}[kind]
                name = str(c.get("name") or f"{rel.name}_{'_'.join(cols)}_{suffix}")
                con = Constraint(oid=stable_oid("constraint", f"{rel.schema}.{rel.name}.{name}"), name=name,
                                 kind=kind, table=rel, columns=cols,
                                 check=c.get("expr") or c.get("check") or c.get("expression"),
                                 no_inherit=bool(c.get("no_inherit")), deferrable=bool(c.get("deferrable")),
                                 deferred=bool(c.get("initially_deferred")),
                                 exclusion=c if kind == "x" else None, validated=not c.get("not_valid"))
                if kind == "f":
                    ref_schema = str(c.get("ref_schema") or rel.schema)
                    ref_name = c.get("ref_table") or c.get("references")
                    if isinstance(ref_name, str) and "." in ref_name and (ref_schema, ref_name) not in self.by_name:
                        ref_schema, ref_name = ref_name.split(".", 1)
                    con.ref_table = self.by_name.get((ref_schema, str(ref_name)))
                    if con.ref_table is None:
                        continue
                    con.ref_columns = [str(x) for x in c.get("ref_columns") or []] or [
                        k.name for k in con.ref_table.columns if k.not_null][:len(cols)]
                    con.on_update = _action(c.get("on_update"))
                    con.on_delete = _action(c.get("on_delete"))
                    con.on_delete_columns = list(c.get("on_delete_columns") or [])
                    con.match = "f" if c.get("match") == "full" else "s"
                    con.deferrable = bool(c.get("deferrable"))
                    con.deferred = bool(c.get("initially_deferred"))
                self.constraints.append(con)

    def _read_indexes(self, txn: Any) -> None:
        by_cols: dict[tuple[int, tuple[str, ...]], Index] = {}
        for con in self.constraints:
            if con.kind in "pu":
                idx_rel = self._add(Relation(oid=stable_oid("index", f"{con.table.schema}.{con.name}"),
                                             schema=con.table.schema, name=con.name, kind="i",
                                             owner=con.table.owner))
                idx_rel.columns = [Column(n, self._col_type(con.table, n), i)
                                   for i, n in enumerate(con.columns, 1)]
                idx = Index(relation=idx_rel, table=con.table, columns=list(con.columns), unique=True,
                            primary=con.kind == "p")
                con.index = idx
                self.indexes.append(idx)
                by_cols[(con.table.oid, tuple(con.columns))] = idx
        for key, v in _catalog_list(txn, "index").items():
            schema, name = _split_key(key, v)
            if (schema, name) in self.by_name or v.get("constraint"):
                continue  # constraint indexes come from their constraint above
            tname = v.get("table")
            tschema = v.get("table_schema") or schema
            if isinstance(tname, str) and "." in tname and (tschema, tname) not in self.by_name:
                tschema, tname = tname.split(".", 1)
            table = self.by_name.get((tschema, tname))
            if table is None:
                continue
            cols = [str(c) for c in (v.get("columns") or [])]
            idx_rel = self._add(Relation(oid=int(v.get("oid") or stable_oid("index", f"{schema}.{name}")),
                                         schema=schema, name=name, kind="i", owner=table.owner))
            keys = list(v.get("keys") or [])
            if keys:  # CREATE INDEX's description (helios_core.sql.index_definitions)
                from helios_core.sql.index_definitions import column_names

                kinds = [(k.get("column"), k.get("type")) for k in keys] + [(c, None) for c in v.get("include") or []]
                idx_rel.columns = [
                    Column(n, self._col_type(table, col) if col else _type_named(typ), i)
                    for i, (n, (col, typ)) in enumerate(zip(column_names(keys, v.get("include") or []), kinds,
                                                            strict=True), 1)]
            else:
                idx_rel.columns = [Column(n, self._col_type(table, n), i) for i, n in enumerate(cols, 1)]
            self.indexes.append(Index(relation=idx_rel, table=table, columns=cols, unique=bool(v.get("unique")),
                                      primary=False, method=str(v.get("method") or v.get("using") or "btree"),
                                      keys=list(v.get("keys") or []), include=list(v.get("include") or []),
                                      where=v.get("where"), options=dict(v.get("options") or {})))

    def _table_def(self, rel: Relation) -> Any:
        try:
            return self.txn.get_table(rel.schema, rel.name)
        except Exception:  # noqa: BLE001 - a catalog view must not break a query
            return None

    @staticmethod
    def _col_type(rel: Relation, name: str) -> Any:
        for c in rel.columns:
            if c.name == name:
                return c.type
        return T.TEXT

    # -- lookups used by functions ----------------------------------------------------------

    def relation_by_oid(self, oid: int) -> Relation | None:
        for r in self.relations:
            if r.oid == oid:
                return r
        return None

    def descriptions(self) -> list[tuple[int, int, int, str]]:
        """pg_description rows (objoid, classoid, objsubid, text) of the relations' COMMENT ONs."""
        kinds = {"r": "table", "p": "table", "f": "table", "v": "view", "m": "view", "S": "sequence", "i": "index"}
        rows = []
        for r in self.relations:
            text = self.comments.get(f"{kinds.get(r.kind, 'table')}:{r.schema}.{r.name}") or (
                r.options.get("comment") if r.kind in ("r", "p", "f") else None)
            if text:
                rows.append((r.oid, PG_CLASS_OID, 0, str(text)))
            for c in r.columns if r.kind in "rvmpf" else ():
                text = self.comments.get(f"column:{r.schema}.{r.name}.{c.name}")
                if text:
                    rows.append((r.oid, PG_CLASS_OID, c.number, text))
        for con in self.constraints:
            text = self.comments.get(f"constraint:{con.table.schema}.{con.table.name}.{con.name}")
            if text:
                rows.append((con.oid, PG_CONSTRAINT_OID, 0, text))
        return rows

    def schema_oids(self) -> dict[str, int]:
        return {name: namespace_oid(name) for name in self.schemas}

    def index_def(self, idx: Index, pretty: bool = False) -> str:
        """pg_get_indexdef / pg_indexes.indexdef: CREATE [UNIQUE] INDEX ... USING m (keys) [INCLUDE] [WHERE]
        (pretty: the predicate without its outer parentheses, as psql's \\d shows it)."""
        from helios_core.sql.index_definitions import key_sql

        unique = "UNIQUE " if idx.unique else ""
        cols = ", ".join(key_sql(k, in_definition=True) for k in idx.key_list())
        table = f"{idx.table.schema}.{_ident(idx.table.name)}"
        if pretty and idx.table.schema in self._visible_schemas():  # pretty names visible tables bare
            table = _ident(idx.table.name)
        out = f"CREATE {unique}INDEX {_ident(idx.relation.name)} ON {table} USING {idx.method} ({cols})"
        if idx.include:
            out += f" INCLUDE ({', '.join(_ident(c) for c in idx.include)})"
        if idx.options:  # PostgreSQL's spelling of reloptions: WITH (name=value, ...), values quoted
            # unless they read as plain identifiers (fillfactor='80', deduplicate_items=off, key_field=id)
            out += f" WITH ({', '.join(f'{k}={_option_value(str(v))}' for k, v in idx.options.items())})"
        if idx.where:
            out += f" WHERE {idx.where}" if pretty else f" WHERE ({idx.where})"
        return out

    def _visible_schemas(self) -> list[str]:
        try:
            return list(self.session.search_path())
        except Exception:  # noqa: BLE001 - no session: only the default schema is visible
            return ["public"]

    def index_column_def(self, idx: Index, number: int, pretty: bool = False) -> str:
        """pg_get_indexdef(index, n, pretty): the n-th column of the index (keys, then INCLUDE)."""
        from helios_core.sql.index_definitions import key_sql

        keys = idx.key_list()
        if 0 < number <= len(keys):
            text = key_sql(keys[number - 1], in_definition=False)
            return text if pretty or "column" in keys[number - 1] or not text.startswith("(") else f"({text})"
        if len(keys) < number <= len(keys) + len(idx.include):
            return _ident(idx.include[number - len(keys) - 1])
        return ""


def _type_named(name: str | None) -> Any:
    try:
        return T.type_from_name(name) if name else T.TEXT
    except Exception:  # noqa: BLE001 - an index column of an unknown type shows as text
        return T.TEXT


def txn_of(session: Any) -> Any:
    tx = getattr(session, "tx", None)
    if tx is not None and hasattr(tx, "current"):
        try:
            return tx.current()
        except Exception:  # noqa: BLE001 - e.g. an aborted transaction: show no objects
            return None
    return getattr(session, "txn", None)


def _catalog_list(txn: Any, kind: str) -> dict[str, Any]:
    """The catalog entries of one kind, as the catalog views read them (never changed by them):
    kept per branch and catalog version while no transaction's own DDL or older snapshot differs."""
    store = getattr(txn, "store", None)
    key = None
    if store is not None and not getattr(txn, "ddl", True):
        try:
            version = store.catalog_version  # read before catalog_ts, as get_table does
            if txn.snapshot_ts >= store.catalog_ts:
                key = (txn.branch_id, kind)
                lists = store.derived_caches.setdefault("catalog_view_lists", {})  # -> (catalog version, entries)
                hit = lists.get(key)
                if hit is not None and hit[0] == version:
                    return dict(hit[1])
        except Exception:  # noqa: BLE001 - an aborted transaction: read (and fail) as before
            key = None
    try:
        out = txn.catalog_list(kind) or {}
    except Exception:  # noqa: BLE001 - a kind nobody wrote yet
        return {}
    entries = {k: v for k, v in out.items() if isinstance(v, dict)}
    if key is not None:
        lists = store.derived_caches.setdefault("catalog_view_lists", {})
        if len(lists) > 1000:
            lists.clear()
        lists[key] = (version, entries)
        return dict(entries)
    return entries


def _split_key(key: str, value: dict) -> tuple[str, str]:
    schema = value.get("schema")
    name = value.get("name")
    if schema and name:
        return str(schema), str(name)
    if "." in key:
        s, n = key.split(".", 1)
        return s, n
    return "public", key


def _columns_read(check: Any, names: set[str]) -> list[str]:
    """The table's columns a CHECK expression reads, in the order they first appear (what
    PostgreSQL records as the constraint's conkey, which ORMs read to tie checks to columns)."""
    if not isinstance(check, str) or not check:
        return []
    try:
        tree = sqlglot.parse_one(check, read="postgres")
    except sqlglot.errors.ParseError:
        return []
    out: list[str] = []
    for column in tree.find_all(exp.Column):
        if column.name in names and column.name not in out:
            out.append(column.name)
    return out
