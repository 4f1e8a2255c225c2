"""Catalog and session functions that PostgreSQL clients call (format_type, pg_table_is_visible, ...).

They are registered with the scalar function registry (helios_core.sql.functions) unless a
built-in of that name exists already. Functions that need the calling session
(pg_backend_pid, pg_table_is_visible, pg_get_userbyid...) read it from ``ACTIVE_SESSION``,
a context variable the caller of ``Session`` methods sets with ``using_session`` (the
PostgreSQL protocol does this around every statement it runs).

``BACKEND_SIGNALLERS`` lets a protocol plugin offer pg_cancel_backend/pg_terminate_backend
for its connections without the core importing the plugin.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pyarrow as pa

from helios_core import statement_gate
from helios_core.errors import HeliosError
from helios_core.hookspecs import SqlFunction
from helios_core.sql import foreign_data, privilege_functions, publications
from helios_core.sql import functions as F
from helios_core.sql import types as T
from helios_core.sql.catalog_views import builtin_routines, information_schema, partition_info, relation_sizes
from helios_core.sql.catalog_views.model import (
    CatalogModel,
    domain_constraints,
    namespace_oid,
    role_oid,
    stable_oid,
)
from helios_core.sql.functions import network, text_out
from helios_core.sql.functions.strings import quote_ident
from helios_core.sql.routines import signature_text
from helios_core.sql.server_version import version_string
from helios_core.sql.triggers import catalog_rows

ACTIVE_SESSION: contextvars.ContextVar[Any] = contextvars.ContextVar("helios_active_session", default=None)
_STARTED = time.time()

# callables (pid, terminate: bool) -> bool: True when the pid was theirs and got signalled
BACKEND_SIGNALLERS: list[Callable[[int, bool], bool]] = []


@contextlib.contextmanager
def using_session(session: Any) -> Iterator[None]:
    token = ACTIVE_SESSION.set(session)
    try:
        yield
    finally:
        ACTIVE_SESSION.reset(token)


def _session() -> Any:
    return ACTIVE_SESSION.get()


def _model() -> CatalogModel | None:
    s = _session()
    return CatalogModel(s) if s is not None else None


def _const(n: int, value: Any, arrow_type: pa.DataType) -> pa.Array:
    return pa.array([value] * n, type=arrow_type)


def _len(args: list[pa.Array]) -> int:
    return len(args[0]) if args else 1


def _map(args: list[pa.Array], fn: Callable[..., Any], arrow_type: pa.DataType) -> pa.Array:
    cols = [a.to_pylist() for a in args]
    return pa.array([fn(*row) for row in zip(*cols, strict=True)], type=arrow_type)


# ---------------------------------------------------------------------------
# implementations
# ---------------------------------------------------------------------------


def _format_type(args: list[pa.Array]) -> pa.Array:
    def one(oid: Any, typmod: Any = None) -> str | None:
        if oid is None:
            return None
        try:
            t = T.type_by_oid(int(oid))
        except Exception:  # noqa: BLE001 - PostgreSQL prints ??? for unknown OIDs
            return "???"
        if typmod is not None and int(typmod) >= 0 and t.element is None:
            t = attrs.evolve(t, typmod=int(typmod))
        elif typmod is not None and int(typmod) >= 0 and t.element is not None:
            t = T.array_of(attrs.evolve(t.element, typmod=int(typmod)))
        if typmod is not None and int(typmod) < 0 and "bpchar" in (t.name, t.element.name if t.element else None):
            return t.stored_name()  # format_type(1042, -1) is 'bpchar' (unbounded); without a typmod, 'character'
        schema = _type_schema(t)
        if schema is not None and schema not in _search_path_schemas():
            return f"{_quoted_ident(schema)}.{t.sql_name()}"  # as format_type names a type not visible
        return t.sql_name()

    return _map(args, one, pa.string())


def _type_schema(t: T.SqlType) -> str | None:
    """The schema of a user-defined type (a domain, an enum, or an array of one), else None."""
    base = t.element if t.element is not None else t
    if base.domain is not None:
        return base.domain.schema
    s = _session()
    txn = getattr(getattr(s, "tx", None), "txn", None) if base.labels is not None else None
    for rec in (txn.catalog_list("type").values() if txn is not None else ()):
        if rec.get("kind") == "enum" and stable_oid("type", f"{rec['schema']}.{rec['name']}") == base.oid:
            return rec["schema"]
    return None


def _quoted_ident(name: str) -> str:
    return name if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) else '"' + name.replace('"', '""') + '"'


def _search_path_schemas() -> list[str]:
    s = _session()
    try:
        return list(s.search_path()) if s is not None else ["public"]
    except Exception:  # noqa: BLE001 - a session without search_path
        return ["public"]


def _table_is_visible(args: list[pa.Array]) -> pa.Array:
    model = _model()
    if model is None:
        return _const(_len(args), True, pa.bool_())
    path = ["pg_catalog", *_search_path_schemas()]
    first: dict[str, str] = {}
    for r in model.relations:
        if r.schema in path:
            cur = first.get(r.name)
            if cur is None or path.index(r.schema) < path.index(cur):
                first[r.name] = r.schema
    by_oid = {r.oid: r for r in model.relations}

    def one(oid: Any) -> bool | None:
        if oid is None:
            return None
        r = by_oid.get(int(oid))
        if r is None:
            return True  # pg_catalog's own relations are always visible
        return first.get(r.name) == r.schema

    return _map(args, one, pa.bool_())


def _relation_is_publishable(args: list[pa.Array]) -> pa.Array:
    """pg_relation_is_publishable(oid): an ordinary or partitioned table a publication may include."""
    model = _model()
    by_oid = {r.oid: r for r in model.relations} if model is not None else {}

    def one(oid: Any) -> bool | None:
        r = by_oid.get(int(oid)) if oid is not None else None
        return None if oid is None else (r is not None and r.kind in "rp" and
                                         publications.publishable(r.schema, r.options))

    return _map(args, one, pa.bool_())


def _userbyid(args: list[pa.Array]) -> pa.Array:
    names: dict[int, str] = {}
    s = _session()
    engine = getattr(s, "engine", None)
    try:
        for name in (engine.list_roles() if engine is not None else {}):
            names[role_oid(name)] = name
    except Exception:  # noqa: BLE001 - show unknown ids like PostgreSQL does
        names = {}
    names.setdefault(10, "helios")
    return _map(args, lambda oid: None if oid is None else names.get(int(oid), f"unknown (OID={oid})"), pa.string())


def _get_expr(args: list[pa.Array]) -> pa.Array:
    """pg_get_expr(expr, relation): the expression, with nextval's sequence qualified when not visible."""
    from helios_core.sql.catalog_views.dependencies import qualified_nextval

    model = _model()
    if model is None or len(args) < 2:
        return _map(args[:1], lambda e: e, pa.string())
    schemas = {r.oid: r.schema for r in model.relations}
    visible = ["pg_catalog", *_search_path_schemas()]

    def one(e: str | None, rel: int | None) -> str | None:
        home = schemas.get(int(rel)) if rel is not None else None
        return e if e is None or home is None or "nextval" not in e else qualified_nextval(e, home, visible)

    if len(args) > 2:  # pretty: no parentheses around the whole expression (psql's \d asks so)
        return _map(args[:3], lambda e, rel, pretty: _without_outer_parens(one(e, rel)) if pretty and e else
                    one(e, rel), pa.string())
    return _map(args[:2], one, pa.string())


def _without_outer_parens(text: str) -> str:
    """``(a * 3)`` -> ``a * 3`` when the first parenthesis closes at the end (quotes skipped)."""
    if not (text.startswith("(") and text.endswith(")")):
        return text
    depth, quote = 0, None
    for i, ch in enumerate(text):
        if quote is not None:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0 and i != len(text) - 1:
                return text
    return text[1:-1]


# acldefault(kind, owner): the privileges an object has before any GRANT (PostgreSQL's table):
# PUBLIC's part (empty: none) and the owner's.
_DEFAULT_ACL = {"c": ("", "arwdDxt"), "r": ("", "arwdDxt"), "s": ("", "rwU"), "d": ("Tc", "CTc"),
                "f": ("X", "X"), "l": ("U", "U"), "L": ("", "rw"), "n": ("", "UC"), "N": ("", "UC"),
                "t": ("", "C"), "F": ("", "U"), "S": ("", "U"), "T": ("U", "U"), "p": ("", "sA")}


def _acldefault(args: list[pa.Array]) -> pa.Array:
    owners = _userbyid(args[1:2]).to_pylist()

    def one(kind: str | None, owner: str | None) -> list[str] | None:
        if kind is None or owner is None or kind not in _DEFAULT_ACL:
            return None
        public, own = _DEFAULT_ACL[kind]
        return ([f"={public}/{owner}"] if public else []) + [f"{owner}={own}/{owner}"]

    return pa.array([one(k, o) for k, o in zip(args[0].to_pylist(), owners, strict=True)], pa.list_(pa.string()))


def _constraintdef(args: list[pa.Array]) -> pa.Array:
    model = _model()
    defs = {c.oid: c.definition() for c in model.constraints} if model else {}
    if model is not None:
        defs.update({oid: definition for oid, _n, _s, _t, definition, _v in domain_constraints(model.txn)})
    return _map(args[:1], lambda oid: None if oid is None else defs.get(int(oid)), pa.string())


def _indexdef(args: list[pa.Array]) -> pa.Array:
    model = _model()
    idx = {i.relation.oid: i for i in model.indexes} if model else {}

    def one(oid: Any, col: Any = 0, _pretty: Any = None) -> str | None:
        i = idx.get(int(oid)) if oid is not None else None
        if i is None or model is None:
            return None
        if col:
            return model.index_column_def(i, int(col), bool(_pretty))
        return model.index_def(i, bool(_pretty))

    return _map(args, one, pa.string())


def _obj_description(args: list[pa.Array]) -> pa.Array:
    """obj_description(oid [, catalog]): the COMMENT ON text of a relation."""
    model = _model()
    rows = (model.descriptions() + publications.description_rows(model.txn)
            + foreign_data.description_rows(model.txn)) if model else []
    texts = {oid: text for oid, _, sub, text in rows if sub == 0}
    return _map(args[:1], lambda oid: None if oid is None else texts.get(int(oid)), pa.string())


def _col_description(args: list[pa.Array]) -> pa.Array:
    """col_description(table oid, attnum): the COMMENT ON COLUMN text."""
    model = _model()
    texts = {(oid, sub): text for oid, _, sub, text in model.descriptions() if sub} if model else {}
    return _map(args[:2], lambda oid, num: None if oid is None or num is None else texts.get((int(oid), int(num))),
                pa.string())


def _viewdef(args: list[pa.Array]) -> pa.Array:
    from helios_core.sql.catalog_views.dependencies import qualified_view_sql

    model = _model()
    views = {r.oid: r for r in model.relations if r.kind in "vm"} if model else {}
    visible = ["pg_catalog", *_search_path_schemas()]

    def by_name(name: str) -> Any:  # pg_get_viewdef(text): the view's name, on the search_path
        parts = name.split(".")
        schemas = parts[:-1] or visible
        return next((r for s in schemas for r in views.values() if r.schema == s and r.name == parts[-1]), None)

    def one(oid: Any) -> str | None:  # PostgreSQL's text ends with ';' (pg_dump strips it)
        if isinstance(oid, str) and not oid.strip().isdigit():
            view = by_name(oid.strip())
            if view is None:
                raise HeliosError(f'relation "{oid.strip()}" does not exist', sqlstate="42P01")
        else:
            view = None if oid is None else views.get(int(oid))
        text = None if view is None or model is None else qualified_view_sql(model, view, visible)
        return text if text is None or text.rstrip().endswith(";") else text.rstrip() + ";"

    return _map(args[:1], one, pa.string())


def _relation_is_updatable(args: list[pa.Array]) -> pa.Array:
    """pg_relation_is_updatable(regclass, include_triggers): which of UPDATE/INSERT/DELETE can reach it."""
    model = _model()
    rels = {r.oid: r for r in model.relations} if model else {}

    def one(oid: Any, include_triggers: Any) -> int | None:
        r = rels.get(int(oid)) if oid is not None else None
        return 0 if r is None or model is None else information_schema.update_events(model, r, bool(include_triggers))

    return _map(args[:2], one, pa.int32())


def _column_is_updatable(args: list[pa.Array]) -> pa.Array:
    """pg_column_is_updatable(regclass, attnum, include_triggers)."""
    model = _model()
    rels = {r.oid: r for r in model.relations} if model else {}

    def one(oid: Any, attnum: Any, include_triggers: Any) -> bool | None:
        r = rels.get(int(oid)) if oid is not None else None
        if r is None or model is None or attnum is None:
            return False
        return information_schema.column_updatable(model, r, int(attnum), bool(include_triggers))

    return _map(args[:3], one, pa.bool_())


def _to_regclass(args: list[pa.Array]) -> pa.Array:
    model = _model()
    path = _search_path_schemas()

    def one(name: Any) -> int | None:
        if name is None or model is None:
            return None
        text = str(name).strip()
        if text.isdigit():  # regclass input also takes a numeric OID (the casts routed here need it)
            return int(text)
        parts = [p.strip('"') if p.startswith('"') else p.lower() for p in text.split(".", 1)]
        schemas = [parts[0]] if len(parts) == 2 else ["pg_catalog", *path]
        rel_name = parts[-1]
        for sch in schemas:
            r = model.by_name.get((sch, rel_name))
            if r is not None:
                return r.oid
            if sch == "pg_catalog" and rel_name in SYSTEM_RELATION_OIDS:
                return SYSTEM_RELATION_OIDS[rel_name]
        return None

    return _map(args, one, pa.int64())


SYSTEM_RELATION_OIDS = {"pg_type": 1247, "pg_attribute": 1249, "pg_proc": 1255, "pg_class": 1259,
                        "pg_database": 1262, "pg_am": 2601, "pg_constraint": 2606, "pg_description": 2609,
                        "pg_index": 2610, "pg_namespace": 2615, "pg_attrdef": 2604, "pg_roles": 1260,
                        "pg_extension": 3079, "pg_language": 2612, "pg_operator": 2617, "pg_collation": 3456,
                        "pg_trigger": 2620, "pg_rewrite": 2618, "pg_inherits": 2611, "pg_policy": 3256,
                        "pg_authid": 1260, "pg_auth_members": 1261, "pg_tablespace": 1213, "pg_aggregate": 2600,
                        "pg_amop": 2602, "pg_amproc": 2603, "pg_cast": 2605, "pg_conversion": 2607,
                        "pg_depend": 2608, "pg_opclass": 2616, "pg_opfamily": 2753, "pg_sequence": 2224,
                        "pg_enum": 3501, "pg_range": 3541, "pg_event_trigger": 3466, "pg_default_acl": 826,
                        "pg_init_privs": 3394, "pg_seclabel": 3596, "pg_shseclabel": 3592, "pg_transform": 3576,
                        "pg_statistic_ext": 3381, "pg_largeobject_metadata": 2995, "pg_shdescription": 2396,
                        "pg_ts_config": 3602, "pg_ts_dict": 3600, "pg_ts_parser": 3601, "pg_ts_template": 3764,
                        "pg_foreign_data_wrapper": 2328, "pg_foreign_server": 1417, "pg_user_mapping": 1418,
                        "pg_foreign_table": 3118, "pg_partitioned_table": 3350, "pg_publication": 6104,
                        "pg_publication_rel": 6106, "pg_publication_namespace": 6237, "pg_subscription": 6100}


def regclass_name(oid: int) -> str | None:
    """regclass text output for the SQL layer: the relation's name (schema-qualified when not visible)."""
    model = _model()
    if model is None:
        return None
    rel = model.relation_by_oid(int(oid))
    if rel is None:
        names = {v: k for k, v in SYSTEM_RELATION_OIDS.items()}
        return names.get(int(oid))
    return rel.name if rel.schema in _search_path_schemas() else f"{rel.schema}.{rel.name}"


text_out.RELATION_NAMES[:] = [regclass_name]


def regclass_oid(name: str) -> int | None:
    """regclass text input for the SQL layer: a relation name (or numeric OID) -> OID, None if unknown."""
    return _to_regclass([pa.array([name], pa.string())]).to_pylist()[0]


def _serial_sequence(args: list[pa.Array]) -> pa.Array:
    """pg_get_serial_sequence(table, column): the table name is read as SQL reads one (quotes,
    case folding, search_path: regclass input), the column name literally; an unknown table is
    42P01 and an unknown column 42703, as in PostgreSQL."""
    model = _model()

    def one(table: Any, column: Any) -> str | None:
        if table is None or column is None or model is None:
            return None
        oid = regclass_oid(str(table))
        r = model.relation_by_oid(oid) if oid is not None else None
        if r is None:
            raise HeliosError(f'relation "{table}" does not exist', sqlstate="42P01")
        col = next((c for c in r.columns if c.name == column), None)
        if col is None:
            raise HeliosError(f'column "{column}" of relation "{r.name}" does not exist', sqlstate="42703")
        m = re.search(r"nextval\('((?:[^']|'')+)'", col.default or "")
        if m is None:
            return None
        parts = [p.strip('"') if p.startswith('"') else p for p in m.group(1).replace("''", "'").split(".", 1)]
        schema, name = (parts[0], parts[1]) if len(parts) == 2 else (r.schema, parts[0])
        return f"{quote_ident(schema)}.{quote_ident(name)}"

    return _map(args, one, pa.string())


def _true(args: list[pa.Array]) -> pa.Array:
    return _const(_len(args), True, pa.bool_())


def _size_pretty(args: list[pa.Array]) -> pa.Array:
    def one(n: Any) -> str | None:
        if n is None:
            return None
        n = int(n)
        for unit in ("bytes", "kB", "MB", "GB", "TB"):
            if abs(n) < 10 * 1024 or unit == "TB":
                return f"{n} {unit}"
            n = (n + 512) // 1024 if n >= 0 else -((-n + 512) // 1024)
        return f"{n} PB"

    return _map(args, one, pa.string())


def _encoding_to_char(args: list[pa.Array]) -> pa.Array:
    return _map(args, lambda e: None if e is None else ("UTF8" if int(e) == 6 else "SQL_ASCII" if int(e) == 0
                                                        else ""), pa.string())


def _backend_pid(args: list[pa.Array]) -> pa.Array:
    s = _session()
    return _const(_len(args), int(getattr(s, "pid", 0) or os.getpid()), pa.int32())


def _connection_address(side: str, part: int) -> Callable[[list[pa.Array]], pa.Array]:
    """inet_client_addr/port, inet_server_addr/port: the TCP connection's ends, NULL for a Unix
    socket or a session that came in through no connection (as PostgreSQL's)."""
    def impl(args: list[pa.Array]) -> pa.Array:
        s = _session()
        addr = getattr(s, side, None) if s is not None else None
        value = None
        if isinstance(addr, tuple) and len(addr) >= 2:
            value = str(addr[0]).split("%", 1)[0] if part == 0 else int(addr[1])
            if part == 0:
                value = network.inet_text(network.parse_one(value, "inet"))
        return _const(_len(args), value, pa.string() if part == 0 else pa.int32())

    return impl


def _current_txn() -> Any:
    s = _session()
    if s is None:
        raise HeliosError("txid_current() needs a session", sqlstate="55000")
    return s.tx.current()


def _txid_current(args: list[pa.Array]) -> pa.Array:
    """The kernel's id of the running transaction: the same for every statement of a transaction
    block, larger for each later transaction. Asking for it counts as assigning it (as in PostgreSQL)."""
    txn = _current_txn()
    _ASSIGNED.add(txn)
    return _const(_len(args), txn.txid, pa.int64())


def _txid_current_if_assigned(args: list[pa.Array]) -> pa.Array:
    """The transaction's id once it has written or been asked for its id, else NULL."""
    txn = _current_txn()
    assigned = bool(txn.writes) or txn in _ASSIGNED
    return _const(_len(args), txn.txid if assigned else None, pa.int64())


# transactions whose id txid_current() handed out (they leave the set when they are dropped)
_ASSIGNED: weakref.WeakSet[Any] = weakref.WeakSet()


def _version(args: list[pa.Array]) -> pa.Array:
    return _const(_len(args), version_string(), pa.string())


def _signal(terminate: bool) -> Callable[[list[pa.Array]], pa.Array]:
    def impl(args: list[pa.Array]) -> pa.Array:
        def one(pid: Any) -> bool | None:
            if pid is None:
                return None
            pid = int(pid)
            s = _session()
            engine = getattr(s, "engine", None)
            if engine is not None:
                from helios_core.sql.privilege_functions import check_signal

                check_signal(s, (getattr(engine, "sessions", {}) or {}).get(pid), terminate)  # 42501
            for signaller in BACKEND_SIGNALLERS:
                if signaller(pid, terminate):
                    return True
            s = _session()
            engine = getattr(s, "engine", None)
            target = (getattr(engine, "sessions", {}) or {}).get(pid) if engine is not None else None
            if target is not None and not terminate:
                target.cancel()
                return True
            return False

        return _map(args, one, pa.bool_())

    return impl


def _current_schemas(args: list[pa.Array]) -> pa.Array:
    """current_schemas(implicit): the search_path's schemas that exist (a missing one, or "$user"
    without a schema of that name, is left out, as in PostgreSQL)."""
    s = _session()
    txn = s.tx.current() if s is not None and hasattr(s, "tx") else None

    def exists(name: str) -> bool:
        return txn is None or name in ("public", "pg_catalog", "information_schema") or \
            name.startswith("pg_temp") or txn.catalog_get("schema", name) is not None

    def one(implicit: Any) -> list[str]:
        path = [name for name in _search_path_schemas() if exists(name)]
        return (["pg_catalog", *path] if implicit else path)

    return _map(args, one, pa.list_(pa.string()))


def _pg_sleep(args: list[pa.Array]) -> pa.Array:
    seconds = args[0].to_pylist()[0] if args and len(args[0]) else 0
    deadline = time.monotonic() + float(seconds or 0)
    s = _session()
    check = getattr(s, "check_cancel", None)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        with statement_gate.waiting():
            time.sleep(min(0.02, left))
            if check is not None:
                check()
    return pa.nulls(_len(args), pa.null())


def _array_to_string(args: list[pa.Array]) -> pa.Array:
    """Fallback for psql's \\d and \\l when the function library has no array_to_string."""

    def one(arr: Any, sep: Any, null_as: Any = None) -> str | None:
        if arr is None or sep is None:
            return None
        items = [str(x) if x is not None else null_as for x in arr]
        return str(sep).join(x for x in items if x is not None)

    return _map(args, one, pa.string())


def _namespace_oid_of(args: list[pa.Array]) -> pa.Array:
    return _map(args, lambda n: None if n is None else namespace_oid(str(n)), pa.int64())


def _start_time(args: list[pa.Array]) -> pa.Array:
    return _const(_len(args), int(_STARTED * 1_000_000), pa.timestamp("us", tz="UTC"))


def _empty_text(args: list[pa.Array]) -> pa.Array:
    return _const(_len(args), "", pa.string())


def _partkeydef(args: list[pa.Array]) -> pa.Array:
    return _map(args[:1], lambda oid: partition_info.partkeydef(_session(), oid), pa.string())


def _log_backend_memory_contexts(args: list[pa.Array]) -> pa.Array:
    """PostgreSQL's memory contexts do not exist here: refused (EXECUTE is the superuser's by
    default, object_privileges.SUPERUSER_ONLY_FUNCTIONS, so others get 42501 first)."""
    if len(args) != 1:
        raise HeliosError(f"function pg_log_backend_memory_contexts({', '.join(['integer'] * len(args))}) "
                          "does not exist", sqlstate="42883")
    raise HeliosError("pg_log_backend_memory_contexts is not supported: HeliosDB has no memory contexts to log",
                      sqlstate="0A000")


def _partition_root(args: list[pa.Array]) -> pa.Array:
    return _map(args[:1], lambda oid: partition_info.partition_root(_session(), oid), pa.int64())


def _signature(render: Callable[[Any], str | None],
               builtin: Callable[[builtin_routines.BuiltinRoutine], str | None]) -> Callable[[list[pa.Array]], pa.Array]:
    """A pg_get_function_* of CREATE FUNCTION's routines and of the built-ins pg_proc lists
    (NULL for an OID that is no routine, as PostgreSQL)."""
    def impl(args: list[pa.Array]) -> pa.Array:
        session = _session()
        txn = session.tx.current() if session is not None and hasattr(session, "tx") else None

        def one(oid: Any) -> str | None:
            if oid is None:
                return None
            routine = signature_text.routine_by_oid(txn, oid)
            if routine is not None:
                return render(routine)
            found = builtin_routines.by_oid().get(int(oid))
            return builtin(found) if found is not None else None

        return _map(args[:1], one, pa.string())

    return impl


def _triggerdef(args: list[pa.Array]) -> pa.Array:
    model = _model()
    return _map(args[:1], lambda oid: None if oid is None or model is None else catalog_rows.definition(model, int(oid)),
                pa.string())


def _null_text(args: list[pa.Array]) -> pa.Array:
    return pa.nulls(_len(args), pa.string())


def _false(args: list[pa.Array]) -> pa.Array:
    return _const(_len(args), False, pa.bool_())


_FUNCTIONS: list[SqlFunction] = [
    SqlFunction(name="format_type", impl=_format_type, return_type="text", strict=False),
    SqlFunction(name="pg_table_is_visible", impl=_table_is_visible, return_type="boolean"),
    SqlFunction(name="pg_type_is_visible", impl=_true, return_type="boolean"),
    SqlFunction(name="pg_function_is_visible", impl=_true, return_type="boolean"),
    SqlFunction(name="pg_collation_is_visible", impl=_true, return_type="boolean"),
    SqlFunction(name="pg_opclass_is_visible", impl=_true, return_type="boolean"),
    SqlFunction(name="pg_opfamily_is_visible", impl=_true, return_type="boolean"),
    SqlFunction(name="pg_operator_is_visible", impl=_true, return_type="boolean"),
    SqlFunction(name="pg_conversion_is_visible", impl=_true, return_type="boolean"),
    SqlFunction(name="pg_statistics_obj_is_visible", impl=_true, return_type="boolean"),
    SqlFunction(name="pg_ts_config_is_visible", impl=_true, return_type="boolean"),
    SqlFunction(name="pg_ts_dict_is_visible", impl=_true, return_type="boolean"),
    SqlFunction(name="pg_ts_parser_is_visible", impl=_true, return_type="boolean"),
    SqlFunction(name="pg_ts_template_is_visible", impl=_true, return_type="boolean"),
    SqlFunction(name="pg_get_userbyid", impl=_userbyid, return_type="name"),
    SqlFunction(name="acldefault", impl=_acldefault, return_type="text[]", arg_types=["char", "oid"]),
    SqlFunction(name="pg_get_expr", impl=_get_expr, return_type="text"),
    SqlFunction(name="pg_relation_is_publishable", impl=_relation_is_publishable, return_type="boolean"),
    SqlFunction(name="pg_get_constraintdef", impl=_constraintdef, return_type="text"),
    SqlFunction(name="pg_get_indexdef", impl=_indexdef, return_type="text"),
    SqlFunction(name="pg_get_viewdef", impl=_viewdef, return_type="text"),
    SqlFunction(name="pg_relation_is_updatable", impl=_relation_is_updatable, return_type="integer",
                arg_types=["regclass", "boolean"]),
    SqlFunction(name="pg_column_is_updatable", impl=_column_is_updatable, return_type="boolean",
                arg_types=["regclass", "smallint", "boolean"]),
    SqlFunction(name="pg_get_serial_sequence", impl=_serial_sequence, return_type="text"),
    SqlFunction(name="pg_get_function_identity_arguments", impl=_signature(signature_text.identity_arguments,
                                                                             lambda r: r.identity_arguments),
                return_type="text"),
    SqlFunction(name="pg_get_function_arguments", impl=_signature(signature_text.arguments, lambda r: r.arguments), return_type="text"),
    SqlFunction(name="pg_get_function_result", impl=_signature(signature_text.result, lambda r: r.result), return_type="text"),
    SqlFunction(name="pg_get_functiondef", impl=_signature(signature_text.definition, builtin_routines.definition), return_type="text"),
    # bodies are kept as text (prosrc), never as a parsed BEGIN ATOMIC body
    SqlFunction(name="pg_get_function_sqlbody", impl=_null_text, return_type="text", strict=False),
    SqlFunction(name="pg_get_statisticsobjdef_columns", impl=_null_text, return_type="text"),
    SqlFunction(name="obj_description", impl=_obj_description, return_type="text", strict=False),
    SqlFunction(name="col_description", impl=_col_description, return_type="text", strict=False),
    SqlFunction(name="shobj_description", impl=_null_text, return_type="text", strict=False),
    SqlFunction(name="pg_encoding_to_char", impl=_encoding_to_char, return_type="name"),
    SqlFunction(name="getdatabaseencoding", impl=lambda a: _const(_len(a), "UTF8", pa.string()), return_type="name"),
    SqlFunction(name="pg_char_to_encoding", return_type="integer", impl=lambda a: _map(
        a, lambda e: None if e is None else {"UTF8": 6, "SQL_ASCII": 0}.get(str(e).upper(), -1), pa.int32())),
    SqlFunction(name="has_table_privilege", impl=privilege_functions.FUNCTIONS["has_table_privilege"],
                return_type="boolean"),
    SqlFunction(name="has_schema_privilege", impl=privilege_functions.FUNCTIONS["has_schema_privilege"],
                return_type="boolean"),
    SqlFunction(name="has_database_privilege", impl=privilege_functions.FUNCTIONS["has_database_privilege"],
                return_type="boolean"),
    SqlFunction(name="has_column_privilege", impl=privilege_functions.FUNCTIONS["has_column_privilege"],
                return_type="boolean"),
    SqlFunction(name="has_sequence_privilege", impl=privilege_functions.FUNCTIONS["has_sequence_privilege"],
                return_type="boolean"),
    SqlFunction(name="has_function_privilege", impl=privilege_functions.FUNCTIONS["has_function_privilege"],
                return_type="boolean"),
    SqlFunction(name="has_any_column_privilege", impl=privilege_functions.FUNCTIONS["has_any_column_privilege"],
                return_type="boolean"),
    SqlFunction(name="has_type_privilege", impl=privilege_functions.FUNCTIONS["has_type_privilege"],
                return_type="boolean"),
    SqlFunction(name="pg_has_role", impl=privilege_functions.FUNCTIONS["pg_has_role"],
                return_type="boolean"),
    *(SqlFunction(name=name, impl=privilege_functions.FUNCTIONS[name], return_type="boolean")
      for name in ("has_foreign_data_wrapper_privilege", "has_server_privilege")),
    *relation_sizes.FUNCTIONS,  # pg_relation_size, pg_total_relation_size, ..., pg_database_size
    SqlFunction(name="pg_size_pretty", impl=_size_pretty, return_type="text"),
    SqlFunction(name="pg_backend_pid", impl=_backend_pid, return_type="integer"),
    SqlFunction(name="inet_client_addr", impl=_connection_address("client_addr", 0), return_type="inet"),
    SqlFunction(name="inet_client_port", impl=_connection_address("client_addr", 1), return_type="integer"),
    SqlFunction(name="inet_server_addr", impl=_connection_address("server_addr", 0), return_type="inet"),
    SqlFunction(name="inet_server_port", impl=_connection_address("server_addr", 1), return_type="integer"),
    SqlFunction(name="version", impl=_version, return_type="text"),
    SqlFunction(name="txid_current", impl=_txid_current, return_type="bigint"),
    SqlFunction(name="txid_current_if_assigned", impl=_txid_current_if_assigned, return_type="bigint"),
    SqlFunction(name="current_version", impl=_version, return_type="text"),  # sqlglot's name for version()
    SqlFunction(name="pg_is_in_recovery", impl=_false, return_type="boolean"),
    SqlFunction(name="pg_postmaster_start_time", impl=_start_time, return_type="timestamptz"),
    SqlFunction(name="pg_cancel_backend", impl=_signal(False), return_type="boolean", arg_types=["integer"]),
    SqlFunction(name="pg_terminate_backend", impl=_signal(True), return_type="boolean", arg_types=["integer"]),
    SqlFunction(name="current_schemas", impl=_current_schemas, return_type="name[]"),
    SqlFunction(name="pg_sleep", impl=_pg_sleep, return_type="void"),
    SqlFunction(name="pg_my_temp_schema", impl=lambda a: _const(_len(a), 0, pa.int64()), return_type="oid"),
    SqlFunction(name="pg_is_other_temp_schema", impl=_false, return_type="boolean"),
    SqlFunction(name="pg_get_partkeydef", impl=_partkeydef, return_type="text"),
    SqlFunction(name="pg_partition_root", impl=_partition_root, return_type="regclass"),
    SqlFunction(name="pg_log_backend_memory_contexts", impl=_log_backend_memory_contexts, return_type="boolean"),
    SqlFunction(name="pg_get_triggerdef", impl=_triggerdef, return_type="text", strict=False),
    SqlFunction(name="pg_get_ruledef", impl=_null_text, return_type="text", strict=False),
    SqlFunction(name="pg_get_statisticsobjdef", impl=_null_text, return_type="text"),
    SqlFunction(name="pg_tablespace_location", impl=_empty_text, return_type="text"),
    SqlFunction(name="array_to_string", impl=_array_to_string, return_type="text"),
    SqlFunction(name="helios_namespace_oid", impl=_namespace_oid_of, return_type="oid"),
]


def register_all() -> list[str]:
    """Register every function above that the registry doesn't have yet; returns their names."""
    added = []
    for fn in _FUNCTIONS:
        if F.has_function(fn.name):
            continue
        F.register_function(fn)
        added.append(fn.name)
    return added


REGISTERED = register_all()
