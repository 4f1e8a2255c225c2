"""pg_catalog's and information_schema's views of SQL/MED objects (helios_core.sql.foreign_data):
wrappers, servers, user mappings, with the visibility rules PostgreSQL gives user mapping options."""

from __future__ import annotations

from typing import Any

from helios_core import roles
from helios_core.sql import acl as A
from helios_core.sql import foreign_data as F
from helios_core.sql.catalog_views.model import CatalogModel, role_oid
from helios_core.sql.catalog_views.registry import catalog_table
from helios_core.sql.functions.proc_oids import builtin_proc_oid

PG = "pg_catalog"
IS = "information_schema"


def _validator_oid(rec: dict) -> int:
    return builtin_proc_oid(rec["validator"]) if rec.get("validator") else 0


def _server_oids(model: CatalogModel) -> dict[str, int]:
    return {s["name"]: s["oid"] for s in F.servers(model.txn)}


@catalog_table(PG, "pg_foreign_data_wrapper", """oid oid, fdwname name, fdwowner oid, fdwhandler oid,
    fdwvalidator oid, fdwacl text[], fdwoptions text[]""")
def pg_foreign_data_wrapper(model: CatalogModel) -> list[tuple]:
    return [(w["oid"], w["name"], role_oid(w["owner"]), 0, _validator_oid(w), A.items_text(w.get("acl")),
             F.options_text(w.get("options"))) for w in F.wrappers(model.txn)]


@catalog_table(PG, "pg_foreign_server", """oid oid, srvname name, srvowner oid, srvfdw oid, srvtype text,
    srvversion text, srvacl text[], srvoptions text[]""")
def pg_foreign_server(model: CatalogModel) -> list[tuple]:
    fdws = {w["name"]: w["oid"] for w in F.wrappers(model.txn)}
    return [(s["oid"], s["name"], role_oid(s["owner"]), fdws.get(s["fdw"], 0), s.get("type"), s.get("version"),
             A.items_text(s.get("acl")), F.options_text(s.get("options"))) for s in F.servers(model.txn)]


def _user_oid(user: str) -> int:
    return 0 if user == A.PUBLIC else role_oid(user)


@catalog_table(PG, "pg_user_mapping", "oid oid, umuser oid, umserver oid, umoptions text[]")
def pg_user_mapping(model: CatalogModel) -> list[tuple]:
    servers = _server_oids(model)
    return [(m["oid"], _user_oid(m["user"]), servers.get(m["server"], 0), F.options_text(m.get("options")))
            for m in F.mappings(model.txn)]


def _options_visible(model: CatalogModel, mapping: dict, server: dict) -> bool:
    """PostgreSQL's pg_user_mappings rule: the mapped user with USAGE on the server (or its
    owner's privileges), the server owner for PUBLIC's mapping, or a superuser."""
    session = model.session
    graph = roles.role_graph(session.engine)
    user = session.user
    owns = graph.has_privs_of(user, server["owner"])
    if mapping["user"] != A.PUBLIC and mapping["user"] == user and (owns or F.has_usage(session, F.SERVER, server)):
        return True
    return (mapping["user"] == A.PUBLIC and owns) or graph.is_superuser(user)


def _visible_mappings(model: CatalogModel) -> list[tuple[dict, dict, list | None]]:
    """(mapping, its server, its options or None where the current user may not see them)."""
    servers = {s["name"]: s for s in F.servers(model.txn)}
    out = []
    for m in F.mappings(model.txn):
        srv = servers.get(m["server"])
        if srv is not None:
            out.append((m, srv, m.get("options") if _options_visible(model, m, srv) else None))
    return out


@catalog_table(PG, "pg_user_mappings", """umid oid, srvid oid, srvname name, umuser oid, usename name,
    umoptions text[]""")
def pg_user_mappings(model: CatalogModel) -> list[tuple]:
    return [(m["oid"], srv["oid"], srv["name"], _user_oid(m["user"]), m["user"], F.options_text(opts))
            for m, srv, opts in _visible_mappings(model)]


# ------------------------------------------------------------------------------------ information_schema
def _usable(model: CatalogModel, kind: str, rec: dict) -> bool:
    """information_schema shows wrappers and servers the current user owns or may use."""
    session = model.session
    return roles.role_graph(session.engine).has_privs_of(session.user, rec["owner"]) or F.has_usage(
        session, kind, rec)


def _options(rec: dict | None) -> list[Any]:
    return list((rec or {}).get("options") or [])


@catalog_table(IS, "foreign_data_wrappers", """foreign_data_wrapper_catalog name,
    foreign_data_wrapper_name name, authorization_identifier name, library_name text,
    foreign_data_wrapper_language text""")
def foreign_data_wrappers(model: CatalogModel) -> list[tuple]:
    return [(model.database, w["name"], w["owner"], None, "c") for w in F.wrappers(model.txn)
            if _usable(model, F.WRAPPER, w)]


@catalog_table(IS, "foreign_data_wrapper_options", """foreign_data_wrapper_catalog name,
    foreign_data_wrapper_name name, option_name name, option_value text""")
def foreign_data_wrapper_options(model: CatalogModel) -> list[tuple]:
    return [(model.database, w["name"], k, v) for w in F.wrappers(model.txn) if _usable(model, F.WRAPPER, w)
            for k, v in _options(w)]


@catalog_table(IS, "foreign_servers", """foreign_server_catalog name, foreign_server_name name,
    foreign_data_wrapper_catalog name, foreign_data_wrapper_name name, foreign_server_type text,
    foreign_server_version text, authorization_identifier name""")
def foreign_servers(model: CatalogModel) -> list[tuple]:
    return [(model.database, s["name"], model.database, s["fdw"], s.get("type"), s.get("version"), s["owner"])
            for s in F.servers(model.txn) if _usable(model, F.SERVER, s)]


@catalog_table(IS, "foreign_server_options", """foreign_server_catalog name, foreign_server_name name,
    option_name name, option_value text""")
def foreign_server_options(model: CatalogModel) -> list[tuple]:
    return [(model.database, s["name"], k, v) for s in F.servers(model.txn) if _usable(model, F.SERVER, s)
            for k, v in _options(s)]


def _usable_mappings(model: CatalogModel) -> list[tuple[dict, dict]]:
    """information_schema's _pg_user_mappings: every mapping of a server the user may see."""
    servers = {s["name"]: s for s in F.servers(model.txn)}
    return [(m, servers[m["server"]]) for m in F.mappings(model.txn)
            if m["server"] in servers and _usable(model, F.SERVER, servers[m["server"]])]


def _who(mapping: dict) -> str:
    return mapping["user"] if mapping["user"] != A.PUBLIC else "PUBLIC"


@catalog_table(IS, "user_mappings", """authorization_identifier name, foreign_server_catalog name,
    foreign_server_name name""")
def user_mappings(model: CatalogModel) -> list[tuple]:
    return [(_who(m), model.database, srv["name"]) for m, srv in _usable_mappings(model)]


@catalog_table(IS, "user_mapping_options", """authorization_identifier name, foreign_server_catalog name,
    foreign_server_name name, option_name name, option_value text""")
def user_mapping_options(model: CatalogModel) -> list[tuple]:
    """Every option's name; its value only to the mapped user, to the server's owner for PUBLIC's
    mapping, or to a superuser (PostgreSQL's rule)."""
    session = model.session
    graph = roles.role_graph(session.engine)
    user = session.user
    rows = []
    for m, srv in _usable_mappings(model):
        shown = (m["user"] == user if m["user"] != A.PUBLIC else graph.has_privs_of(user, srv["owner"])) or (
            graph.is_superuser(user))
        rows += [(_who(m), model.database, srv["name"], k, v if shown else None) for k, v in _options(m)]
    return rows


def _usage_grants(model: CatalogModel, *, enabled_only: bool) -> list[tuple]:
    """USAGE items of wrapper and server ACLs (the default ACL where none was granted), as
    information_schema.usage_privileges (``enabled_only``: role_usage_grants) shows them."""
    session = model.session
    graph = roles.role_graph(session.engine)
    user = session.user
    rows = []
    for kind, label, recs in ((F.WRAPPER, "FOREIGN DATA WRAPPER", F.wrappers(model.txn)),
                              (F.SERVER, "FOREIGN SERVER", F.servers(model.txn))):
        for rec in recs:
            for item in A.effective(rec.get("acl"), F.ref(kind, rec["name"]).acl_kind, rec["owner"]):
                if "U" not in item["privs"]:
                    continue
                grantee, grantor = item["grantee"], item["grantor"]
                if not (graph.has_privs_of(user, grantor) or grantee == A.PUBLIC or graph.has_privs_of(user, grantee)):
                    continue
                if enabled_only and not (graph.has_privs_of(user, grantor) or (
                        grantee != A.PUBLIC and graph.has_privs_of(user, grantee))):
                    continue  # enabled_roles: the roles whose privileges the user has
                grantable = "U" in item.get("options", "") or (
                    grantee != A.PUBLIC and graph.has_privs_of(grantee, rec["owner"]))
                rows.append((grantor, "PUBLIC" if grantee == A.PUBLIC else grantee, model.database, "", rec["name"],
                             label, "USAGE", "YES" if grantable else "NO"))
    return rows


_USAGE_COLUMNS = """grantor name, grantee name, object_catalog name, object_schema name, object_name name,
    object_type text, privilege_type text, is_grantable text"""


@catalog_table(IS, "usage_privileges", _USAGE_COLUMNS)
def usage_privileges(model: CatalogModel) -> list[tuple]:
    """USAGE on foreign-data wrappers and servers (PostgreSQL also lists collations, domains,
    sequences and types here; those rows are not built)."""
    return _usage_grants(model, enabled_only=False)


@catalog_table(IS, "role_usage_grants", _USAGE_COLUMNS)
def role_usage_grants(model: CatalogModel) -> list[tuple]:
    return _usage_grants(model, enabled_only=True)


# ------------------------------------------------------------------------------------ foreign tables
def _foreign_relations(model: CatalogModel) -> list[tuple[Any, dict]]:
    return [(r, r.options[F.TABLE_OPTION]) for r in model.relations if r.kind == "f"]


@catalog_table(PG, "pg_foreign_table", "ftrelid oid, ftserver oid, ftoptions text[]")
def pg_foreign_table(model: CatalogModel) -> list[tuple]:
    servers = _server_oids(model)
    return [(r.oid, servers.get(spec["server"], 0), F.options_text(spec.get("options")))
            for r, spec in _foreign_relations(model)]


def _visible_tables(model: CatalogModel) -> list[tuple[Any, dict]]:
    """information_schema's foreign tables: those the user owns or holds a privilege on."""
    session = model.session
    graph = roles.role_graph(session.engine)
    holders = graph.privilege_holders(session.user)
    return [(r, spec) for r, spec in _foreign_relations(model)
            if graph.has_privs_of(session.user, r.owner) or any(
                i["grantee"] in holders for i in r.options.get("acl") or [])]


@catalog_table(IS, "foreign_tables", """foreign_table_catalog name, foreign_table_schema name,
    foreign_table_name name, foreign_server_catalog name, foreign_server_name name""")
def foreign_tables(model: CatalogModel) -> list[tuple]:
    return [(model.database, r.schema, r.name, model.database, spec["server"]) for r, spec in _visible_tables(model)]


@catalog_table(IS, "foreign_table_options", """foreign_table_catalog name, foreign_table_schema name,
    foreign_table_name name, option_name name, option_value text""")
def foreign_table_options(model: CatalogModel) -> list[tuple]:
    return [(model.database, r.schema, r.name, k, v) for r, spec in _visible_tables(model)
            for k, v in spec.get("options") or []]
