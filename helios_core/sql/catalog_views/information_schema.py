"""information_schema (SQL standard views) over the same catalog model as pg_catalog."""

from __future__ import annotations

from typing import Any

from helios_core import roles
from helios_core.errors import HeliosError
from helios_core.sql import acl as A
from helios_core.sql import triggers_catalog, types
from helios_core.sql.catalog_views.model import CatalogModel, Column, _catalog_list
from helios_core.sql.catalog_views.registry import catalog_table, static_table

IS = "information_schema"

_DATA_TYPE = {"int2": "smallint", "int4": "integer", "int8": "bigint", "float4": "real",
              "float8": "double precision", "bool": "boolean", "varchar": "character varying",
              "bpchar": "character", "timestamp": "timestamp without time zone",
              "timestamptz": "timestamp with time zone", "time": "time without time zone",
              "timetz": "time with time zone", "char": '"char"'}
_SYSTEM_SCHEMAS = ("pg_catalog", "information_schema")


def data_type(t: Any) -> str:
    if t.element is not None:
        return "ARRAY"
    return _DATA_TYPE.get(t.name, t.name)


def _user_relations(model: CatalogModel, kinds: str) -> list[Any]:
    return [r for r in model.relations if r.kind in kinds and r.schema not in _SYSTEM_SCHEMAS]


@catalog_table(IS, "schemata", """catalog_name name, schema_name name, schema_owner name,
    default_character_set_catalog name, default_character_set_schema name, default_character_set_name name,
    sql_path text""")
def schemata(model: CatalogModel) -> list[tuple]:
    return [(model.database, s, str(info.get("owner") or "helios"), None, None, None, None)
            for s, info in sorted(model.schemas.items())]


@catalog_table(IS, "tables", """table_catalog name, table_schema name, table_name name, table_type text,
    self_referencing_column_name name, reference_generation text, user_defined_type_catalog name,
    user_defined_type_schema name, user_defined_type_name name, is_insertable_into text, is_typed text,
    commit_action text""")
def tables(model: CatalogModel) -> list[tuple]:
    out = []
    for r in model.relations:
        if r.kind not in "rvpf":
            continue
        kind = {"r": "BASE TABLE", "p": "BASE TABLE", "f": "FOREIGN"}.get(r.kind, "VIEW")
        insertable = r.kind in ("r", "p", "f") or _view_updatability(model, r)[0]
        out.append((model.database, r.schema, r.name, kind, None, None, None, None, None,
                    "YES" if insertable else "NO", "NO", None))
    return out


def _char_len(t: Any) -> int | None:
    return t.length if hasattr(t, "length") else None


def _numeric_info(t: Any) -> tuple[int | None, int | None, int | None]:
    name = t.name
    if name == "int2":
        return 16, 2, 0
    if name == "int4":
        return 32, 2, 0
    if name == "int8":
        return 64, 2, 0
    if name == "float4":
        return 24, 2, None
    if name == "float8":
        return 53, 2, None
    if name == "numeric":
        ps = t.precision_scale
        return (ps[0], 10, ps[1]) if ps else (None, 10, None)
    return None, None, None


def _column_row(model: CatalogModel, r: Any, c: Column) -> tuple:
    t = c.type
    prec, radix, scale = _numeric_info(t)
    n = _char_len(t)
    dt_prec = None
    if t.name in ("date",):
        dt_prec = 0
    elif t.name in ("time", "timetz", "timestamp", "timestamptz", "interval"):
        dt_prec = t.typmod if t.typmod >= 0 else 6
    udt = t.name
    identity = c.identity != ""
    seq = _identity_sequence(model, c) if identity else {}
    return (
        model.database, r.schema, r.name, c.name, c.number, None if c.generated or identity else c.default,
        "NO" if c.not_null else "YES",
        data_type(t), n, (n * 4 if n is not None else (1073741824 if t.name in ("text", "varchar", "bpchar")
                                                        else None)),
        prec, radix, scale, dt_prec, None, None, None, None, None, None, None, None, None, None, None,
        model.database, "pg_catalog", udt, None, None, None, None, str(c.number), "NO",
        "YES" if identity else "NO", ("ALWAYS" if c.identity == "a" else "BY DEFAULT") if identity else None,
        *(None if seq.get(k) is None else str(seq[k]) for k in ("start", "increment", "maxvalue", "minvalue")),
        ("YES" if seq.get("cycle") else "NO") if identity else "NO", "ALWAYS" if c.generated else "NEVER",
        c.default if c.generated else None,
        "YES" if r.kind in ("r", "p") or (r.kind == "v" and _view_updatability(model, r)[2].get(c.name)) else "NO",
    )


def _identity_sequence(model: CatalogModel, c: Column) -> dict:
    """The sequence record behind an identity column (its start, increment, bounds, cycle)."""
    key = (c.metadata or {}).get("sequence")
    if not key or model.txn is None:
        return {}
    return model.txn.catalog_get("sequence", key) or {}


@catalog_table(IS, "columns", """table_catalog name, table_schema name, table_name name, column_name name,
    ordinal_position int4, column_default text, is_nullable text, data_type text,
    character_maximum_length int4, character_octet_length int4, numeric_precision int4,
    numeric_precision_radix int4, numeric_scale int4, datetime_precision int4, interval_type text,
    interval_precision int4, character_set_catalog name, character_set_schema name, character_set_name name,
    collation_catalog name, collation_schema name, collation_name name, domain_catalog name,
    domain_schema name, domain_name name, udt_catalog name, udt_schema name, udt_name name,
    scope_catalog name, scope_schema name, scope_name name, maximum_cardinality int4, dtd_identifier name,
    is_self_referencing text, is_identity text, identity_generation text, identity_start text,
    identity_increment text, identity_maximum text, identity_minimum text, identity_cycle text,
    is_generated text, generation_expression text, is_updatable text""")
def columns(model: CatalogModel) -> list[tuple]:
    out = []
    for r in model.relations:
        if r.kind not in "rvf":
            continue
        for c in r.columns:
            row = list(_column_row(model, r, c))
            # dtd_identifier, is_self_referencing come after maximum_cardinality
            out.append(tuple(row))
    return out


@catalog_table(IS, "views", """table_catalog name, table_schema name, table_name name, view_definition text,
    check_option text, is_updatable text, is_insertable_into text, is_trigger_updatable text,
    is_trigger_deletable text, is_trigger_insertable_into text""")
def views(model: CatalogModel) -> list[tuple]:
    out = []
    for r in model.relations:
        if r.kind != "v":
            continue
        insertable, updatable, _cols, _deletable = _view_updatability(model, r)
        rec = model.txn.catalog_get("view", f"{r.schema}.{r.name}") if model.txn is not None else None
        check = str(((rec or {}).get("options") or {}).get("check_option") or "none").upper()
        triggered = {e for t in (rec or {}).get("triggers") or [] if t.get("timing") == triggers_catalog.INSTEAD_OF
                     for e in t["events"]}  # the view's INSTEAD OF ROW triggers, by event
        out.append((model.database, r.schema, r.name, r.view_sql, check, "YES" if updatable else "NO",
                    "YES" if insertable else "NO", *("YES" if e in triggered else "NO"
                                                      for e in ("UPDATE", "DELETE", "INSERT"))))
    return out


def update_events(model: CatalogModel, r: Any, include_triggers: bool) -> int:
    """pg_relation_is_updatable: the bits 1 << (CMD_UPDATE 2, CMD_INSERT 3, CMD_DELETE 4) of what
    can be done to the relation (a view's INSTEAD OF triggers count when ``include_triggers``)."""
    if r.kind in ("r", "p"):
        return 28
    if r.kind != "v":
        return 0
    _ins, _both, cols, deletable = _view_updatability(model, r)
    events = (12 if any(cols.values()) else 0) | (16 if deletable else 0)
    if include_triggers:
        rec = model.txn.catalog_get("view", f"{r.schema}.{r.name}") if model.txn is not None else None
        bits = {"UPDATE": 4, "INSERT": 8, "DELETE": 16}
        for t in (rec or {}).get("triggers") or []:
            if t.get("timing") == triggers_catalog.INSTEAD_OF:
                events |= sum(bits[e] for e in t["events"] if e in bits)
    return events


def column_updatable(model: CatalogModel, r: Any, attnum: int, include_triggers: bool) -> bool:
    """pg_column_is_updatable: UPDATE can set this column and DELETE can reach the relation (both
    are required, as PostgreSQL's function does)."""
    if attnum <= 0 or attnum > len(r.columns):
        return False
    if r.kind in ("r", "p"):
        return True
    if r.kind != "v":
        return False
    events = update_events(model, r, include_triggers)
    triggers = update_events(model, r, True) & ~update_events(model, r, False) if include_triggers else 0
    column = bool(_view_updatability(model, r)[2].get(r.columns[attnum - 1].name)) or bool(triggers & 4)
    return column and bool(events & 16)


def _view_updatability(model: CatalogModel, r: Any) -> tuple[bool, bool, dict[str, bool], bool]:
    """A view's (insertable, updatable, per-column) through updatable_views, once per model."""
    cache = model.__dict__.setdefault("_view_updatability", {})
    key = (r.schema, r.name)
    if key not in cache:
        from helios_core.sql import updatable_views  # it reads the catalog this package builds

        cache[key] = updatable_views.updatability(model.session, model.txn, r.schema, r.name) \
            if r.kind == "v" and model.txn is not None else (False, False, {}, False)
    return cache[key]


_CON_TYPE = {"p": "PRIMARY KEY", "u": "UNIQUE", "f": "FOREIGN KEY", "c": "CHECK"}


@catalog_table(IS, "table_constraints", """constraint_catalog name, constraint_schema name,
    constraint_name name, table_catalog name, table_schema name, table_name name, constraint_type text,
    is_deferrable text, initially_deferred text, enforced text, nulls_distinct text""")
def table_constraints(model: CatalogModel) -> list[tuple]:
    out = []
    for c in model.constraints:
        out.append((model.database, c.table.schema, c.name, model.database, c.table.schema, c.table.name,
                    _CON_TYPE[c.kind], "YES" if c.deferrable else "NO", "YES" if c.deferred else "NO", "YES",
                    "YES" if c.kind in "pu" else None))
    for r in model.relations:
        if r.kind not in ("r", "p", "f"):
            continue
        for col in r.columns:
            if col.not_null:
                name = f"{r.oid}_{col.number}_not_null"
                out.append((model.database, r.schema, name, model.database, r.schema, r.name, "CHECK", "NO",
                            "NO", "YES", None))
    return out


@catalog_table(IS, "key_column_usage", """constraint_catalog name, constraint_schema name, constraint_name name,
    table_catalog name, table_schema name, table_name name, column_name name, ordinal_position int4,
    position_in_unique_constraint int4""")
def key_column_usage(model: CatalogModel) -> list[tuple]:
    out = []
    for c in model.constraints:
        if c.kind not in "puf":
            continue
        for i, col in enumerate(c.columns, 1):
            pos = i if c.kind == "f" else None
            out.append((model.database, c.table.schema, c.name, model.database, c.table.schema, c.table.name, col,
                        i, pos))
    return out


@catalog_table(IS, "constraint_column_usage", """table_catalog name, table_schema name, table_name name,
    column_name name, constraint_catalog name, constraint_schema name, constraint_name name""")
def constraint_column_usage(model: CatalogModel) -> list[tuple]:
    out = []
    for c in model.constraints:
        target, cols = (c.ref_table, c.ref_columns) if c.kind == "f" and c.ref_table else (c.table, c.columns)
        for col in cols:
            out.append((model.database, target.schema, target.name, col, model.database, c.table.schema, c.name))
    return out


_RULE = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


@catalog_table(IS, "referential_constraints", """constraint_catalog name, constraint_schema name,
    constraint_name name, unique_constraint_catalog name, unique_constraint_schema name,
    unique_constraint_name name, match_option text, update_rule text, delete_rule text""")
def referential_constraints(model: CatalogModel) -> list[tuple]:
    out = []
    for c in model.constraints:
        if c.kind != "f" or c.ref_table is None:
            continue
        uname = None
        for other in model.constraints:
            if other.table is c.ref_table and other.kind in "pu" and other.columns == c.ref_columns:
                uname = other.name
        out.append((model.database, c.table.schema, c.name, model.database, c.ref_table.schema, uname, "NONE",
                    _RULE[c.on_update], _RULE[c.on_delete]))
    return out


@catalog_table(IS, "check_constraints", """constraint_catalog name, constraint_schema name,
    constraint_name name, check_clause text""")
def check_constraints(model: CatalogModel) -> list[tuple]:
    return [(model.database, c.table.schema, c.name, c.check) for c in model.constraints if c.kind == "c"]


@catalog_table(IS, "sequences", """sequence_catalog name, sequence_schema name, sequence_name name,
    data_type text, numeric_precision int4, numeric_precision_radix int4, numeric_scale int4,
    start_value text, minimum_value text, maximum_value text, increment text, cycle_option text""")
def sequences(model: CatalogModel) -> list[tuple]:
    out = []
    identity = {(c.metadata or {}).get("sequence") for r in model.relations if r.kind in ("r", "p")
                for c in r.columns if c.identity}
    for r in model.relations:
        if r.kind != "S" or f"{r.schema}.{r.name}" in identity:  # an identity column's sequence is internal
            continue
        o = r.options
        data_type = str(o.get("data_type") or "bigint")
        out.append((model.database, r.schema, r.name, data_type,
                    {"smallint": 16, "integer": 32}.get(data_type, 64), 2, 0,
                    str(o.get("start", 1)), str(o.get("minvalue", o.get("min", 1))),
                    str(o.get("maxvalue", o.get("max", 9223372036854775807))),
                    str(o.get("increment", 1)), "YES" if o.get("cycle") else "NO"))
    return out


@catalog_table(IS, "enabled_roles", "role_name name")
def enabled_roles(model: CatalogModel) -> list[tuple]:
    engine = getattr(model.session, "engine", None)
    if engine is None:
        return [(model.user,)]
    return [(r,) for r in sorted(roles.role_graph(engine).memberships(model.user, inheriting=True))]


@catalog_table(IS, "table_privileges", """grantor name, grantee name, table_catalog name, table_schema name,
    table_name name, privilege_type text, is_grantable text, with_hierarchy text""")
def table_privileges(model: CatalogModel) -> list[tuple]:
    """One row per privilege in each table's or view's ACL that the current user granted or holds."""
    engine = getattr(model.session, "engine", None)
    graph = roles.role_graph(engine) if engine is not None else None

    def visible(grantor: str, grantee: str) -> bool:
        return graph is None or grantee == A.PUBLIC or graph.has_privs_of(model.user, grantee) or \
            graph.has_privs_of(model.user, grantor)

    out = []
    for r in _user_relations(model, "rv"):
        for item in A.effective(r.options.get("acl"), "table", r.owner):
            grantee = "PUBLIC" if item["grantee"] == A.PUBLIC else item["grantee"]
            if not visible(item["grantor"], item["grantee"]):
                continue
            for letter in A.ordered(item["privs"]):
                owner_grant = item["grantee"] == r.owner
                out.append((item["grantor"], grantee, model.database, r.schema, r.name, A.LETTER_TO_WORD[letter],
                            "YES" if owner_grant or letter in item.get("options", "") else "NO",
                            "YES" if letter == "r" else "NO"))
    return out


static_table(IS, "routines", """specific_catalog name, specific_schema name, specific_name name,
    routine_catalog name, routine_schema name, routine_name name, routine_type text, data_type text,
    routine_body text, routine_definition text, external_language text""")
static_table(IS, "parameters", """specific_catalog name, specific_schema name, specific_name name,
    ordinal_position int4, parameter_mode text, parameter_name name, data_type text""")
static_table(IS, "triggers", """trigger_catalog name, trigger_schema name, trigger_name name,
    event_manipulation text, event_object_catalog name, event_object_schema name, event_object_table name,
    action_order int4, action_condition text, action_statement text, action_orientation text,
    action_timing text""")


@catalog_table(IS, "domains", """domain_catalog name, domain_schema name, domain_name name,
    character_set_catalog name, character_set_schema name, character_set_name name, collation_catalog name,
    collation_schema name, collation_name name, data_type text, character_maximum_length int4,
    character_octet_length int4, numeric_precision int4, numeric_precision_radix int4, numeric_scale int4,
    datetime_precision int4, interval_type text, interval_precision int4, domain_default text,
    udt_catalog name, udt_schema name, udt_name name, scope_catalog name, scope_schema name, scope_name name,
    maximum_cardinality int4, dtd_identifier name""")
def domains(model: CatalogModel) -> list[tuple]:
    out = []
    records = _catalog_list(model.txn, "type") if model.txn is not None else {}
    for _key, rec in sorted(records.items()):
        if rec.get("kind") != "domain":
            continue
        try:
            base = types.type_from_name(rec["base"])
        except HeliosError:
            continue
        prec, radix, scale = _numeric_info(base)
        n = _char_len(base)
        kind = "USER-DEFINED" if base.domain is not None else data_type(base)
        if kind == "ARRAY":
            kind = f"{base.element.sql_name()}[]" if base.element is not None else kind
        udt = base.domain.name if base.domain is not None else base.name
        out.append((model.database, rec["schema"], rec["name"], None, None, None, None, None, None, kind, n,
                    n * 4 if n is not None else (1073741824 if base.name in ("text", "varchar", "bpchar") else None),
                    prec, radix, scale, None, None, None, rec.get("default"), model.database,
                    base.domain.schema if base.domain is not None else "pg_catalog", udt, None, None, None, None,
                    "1"))
    return out


static_table(IS, "character_sets", """character_set_catalog name, character_set_schema name,
    character_set_name name, character_repertoire name, form_of_use name, default_collate_catalog name,
    default_collate_schema name, default_collate_name name""",
             [(None, None, "UTF8", "UCS", "UTF8", None, None, "C")])
