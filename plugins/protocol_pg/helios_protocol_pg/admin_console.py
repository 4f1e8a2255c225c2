"""PgBouncer's admin console on the virtual database ``pgbouncer``: SHOW, PAUSE, RESUME, RELOAD.

Existing PgBouncer monitoring (pgbouncer_exporter, check_pgbouncer, dashboards reading
``SHOW POOLS``/``SHOW STATS``) reads its columns by name, so the commands answer with
PgBouncer's column names and types (text and bigint) over the simple query protocol only,
as PgBouncer does. Superusers and the roles in ``admin_users`` may run every command; roles in
``stats_users`` may run SHOW; anyone else is refused at login. Times are microseconds.
"""

from __future__ import annotations

import datetime as dt
import time
import tomllib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import anyio.abc
import attrs

from helios_core.errors import HeliosError
from helios_protocol_pg import messages as m
from helios_protocol_pg.pooling import Pool

if TYPE_CHECKING:
    from helios_protocol_pg.connection import PgConnection

VERSION = "PgBouncer 1.21.0 (HeliosDB built-in pooler)"
TEXT, BIGINT = "text", "bigint"


@attrs.frozen
class _Column:
    name: str
    type_name: str


async def start(conn: PgConnection) -> None:
    """Finish a login to the admin console (no engine session is opened)."""
    server = conn.server
    if not (conn.superuser or conn.user in server.admin_users or conn.user in server.stats_users):
        raise _fatal("not allowed")
    conn.admin = True
    conn.write(m.AUTH_OK)
    for name, value in (("server_version", "1.21.0/bouncer"), ("client_encoding", "UTF8"),
                        ("server_encoding", "UTF8"), ("DateStyle", "ISO"), ("TimeZone", "UTC"),
                        ("standard_conforming_strings", "on"), ("application_name", "")):
        conn.write(m.parameter_status(name, value))
    conn.write(m.backend_key_data(conn.pid, conn.secret))
    conn.write(m.ready_for_query("I"))
    await conn.flush()


def _fatal(message: str) -> HeliosError:
    err = HeliosError(message, sqlstate="08P01")
    err.severity = "FATAL"
    return err


async def dispatch(conn: PgConnection, kind: bytes, payload: bytes) -> None:
    """One message of an admin console client (Terminate is handled by the connection)."""
    if kind != b"Q":
        raise _fatal(f"unsupported pkt type: {kind[0]}")
    sql = m.parse_query(payload)
    for command in [c.strip() for c in sql.split(";") if c.strip()]:
        await _run(conn, command)
    conn.write(m.ready_for_query("I"))
    await conn.flush()


async def _run(conn: PgConnection, command: str) -> None:
    words = command.split()
    verb = words[0].upper()
    server = conn.server
    admin = conn.superuser or conn.user in server.admin_users
    if verb == "SHOW" and len(words) >= 2:
        what = words[1].upper()
        show = _SHOWS.get(what)
        if show is None:
            raise HeliosError(f"unknown cmd: {command}", sqlstate="08P01")
        columns, rows = show(conn)
        _write_table(conn, columns, rows)
        conn.write(m.command_complete("SHOW"))
        return
    if verb in ("PAUSE", "RESUME", "RELOAD"):
        if not admin:
            raise HeliosError("admin access needed", sqlstate="08P01")
        pooler = server.pooler
        if verb == "PAUSE":
            pooler.pause()
            await pooler.drained()
        elif verb == "RESUME":
            if not pooler.paused:
                raise HeliosError("pooler is not paused/suspended", sqlstate="08P01")
            pooler.resume()
        else:
            _reload(server)
        conn.write(m.command_complete(verb))
        return
    raise HeliosError(f"unknown cmd: {command}", sqlstate="08P01")


def _write_table(conn: PgConnection, columns: Sequence[tuple[str, str]], rows: list[tuple]) -> None:
    conn.write(m.row_description([_Column(name, kind) for name, kind in columns]))
    for row in rows:
        conn.write(m.data_row([None if v is None else str(v).encode() for v in row]))


def _reload(server: Any) -> None:
    """RELOAD: read pool_size, max_client_conn, admin_users and stats_users again from the config file."""
    source = getattr(getattr(server.kernel, "config", None), "source", None)
    if not source:
        return
    with open(source, "rb") as f:
        section = tomllib.load(f).get("protocols", {}).get("postgres", {})
    server.pooler.resize(int(section.get("pool_size", server.pooler.pool_size)),
                         int(section.get("max_client_conn", server.pooler.max_client_conn)))
    server.admin_users = set(section.get("admin_users", server.admin_users))
    server.stats_users = set(section.get("stats_users", server.stats_users))
    server.log.info("postgres: RELOAD pool_size=%d max_client_conn=%d", server.pooler.pool_size,
                    server.pooler.max_client_conn)


# ----------------------------------------------------------------------------- SHOW commands
def _clients(conn: PgConnection) -> list[Any]:
    return [c for c in conn.server.connections.values() if not c.admin]


def _pools(conn: PgConnection) -> tuple[list, list]:
    columns = [("database", TEXT), ("user", TEXT), ("cl_active", BIGINT), ("cl_waiting", BIGINT),
               ("cl_active_cancel_req", BIGINT), ("cl_waiting_cancel_req", BIGINT), ("sv_active", BIGINT),
               ("sv_active_cancel", BIGINT), ("sv_being_canceled", BIGINT), ("sv_idle", BIGINT),
               ("sv_used", BIGINT), ("sv_tested", BIGINT), ("sv_login", BIGINT), ("maxwait", BIGINT),
               ("maxwait_us", BIGINT), ("pool_mode", TEXT)]
    server = conn.server
    clients: dict[tuple[str, str], int] = {}
    for c in _clients(conn):
        key = (c.database, c.user)
        clients[key] = clients.get(key, 0) + 1
    rows = []
    for key, pool in sorted(server.pooler.pools.items()):
        wait = pool.max_wait()
        rows.append((pool.database, pool.user, max(0, clients.get(key, 0) - pool.waiting), pool.waiting, 0, 0,
                     len(pool.active), 0, 0, len(pool.idle), 0, 0, pool.opening, int(wait),
                     int((wait - int(wait)) * 1e6), server.pool_mode))
    return columns, rows


_CLIENT_COLUMNS = [("type", TEXT), ("user", TEXT), ("database", TEXT), ("state", TEXT), ("addr", TEXT),
                   ("port", BIGINT), ("local_addr", TEXT), ("local_port", BIGINT), ("connect_time", TEXT),
                   ("request_time", TEXT), ("wait", BIGINT), ("wait_us", BIGINT), ("close_needed", BIGINT),
                   ("ptr", TEXT), ("link", TEXT), ("remote_pid", BIGINT), ("tls", TEXT),
                   ("application_name", TEXT), ("prepared_statements", BIGINT)]


def _time_text(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _addr(conn: PgConnection) -> tuple[str | None, int | None]:
    try:
        addr = conn.stream.extra(anyio.abc.SocketAttribute.remote_address)
    except Exception:  # noqa: BLE001 - a socket closing right now
        return conn.peer, None
    return (str(addr[0]), int(addr[1])) if isinstance(addr, tuple) else ("unix", None)


def _show_clients(conn: PgConnection) -> tuple[list, list]:
    listener = conn.server.listener
    local = (getattr(listener, "host", None), getattr(listener, "port", None))
    rows = []
    for c in _clients(conn):
        state = "active" if c.session is not None or not c.pooled else "idle"
        host, port = _addr(c)
        engine_pid = getattr(c.session, "pid", None)
        rows.append(("C", c.user, c.database, state, host, port, local[0], local[1], _time_text(c.connected_at),
                     _time_text(c.request_at), 0, 0, 0, f"{id(c):x}", f"{id(c.session):x}" if engine_pid else "",
                     engine_pid or 0, "TLSv1.3" if c.tls else "", c.reported.get("application_name", ""),
                     len([n for n in c.statements if n])))
    return _CLIENT_COLUMNS, rows


def _show_servers(conn: PgConnection) -> tuple[list, list]:
    rows = []
    now = time.time()
    for pool in conn.server.pooler.pools.values():
        linked = {getattr(c.session, "pid", None): c for c in _clients(conn) if c.session is not None}
        for state, sessions in (("active", list(pool.active.values())), ("idle", list(pool.idle))):
            for s in sessions:
                client = linked.get(s.pid)
                rows.append(("S", pool.user, pool.database, state, None, None, None, None,
                             _time_text(pool.opened_at.get(s.pid, now)), _time_text(pool.used_at.get(s.pid, now)),
                             0, 0, 0, f"{id(s):x}", f"{id(client):x}" if client is not None else "", s.pid, "",
                             "", 0))
    return _CLIENT_COLUMNS, rows


def _show_stats(conn: PgConnection) -> tuple[list, list]:
    columns = [("database", TEXT), ("total_xact_count", BIGINT), ("total_query_count", BIGINT),
               ("total_received", BIGINT), ("total_sent", BIGINT), ("total_xact_time", BIGINT),
               ("total_query_time", BIGINT), ("total_wait_time", BIGINT), ("avg_xact_count", BIGINT),
               ("avg_query_count", BIGINT), ("avg_recv", BIGINT), ("avg_sent", BIGINT), ("avg_xact_time", BIGINT),
               ("avg_query_time", BIGINT), ("avg_wait_time", BIGINT)]
    per_db: dict[str, list[int]] = {}
    for pool in conn.server.pooler.pools.values():
        acc = per_db.setdefault(pool.database, [0] * 7)
        for i, v in enumerate((pool.xact_count, pool.query_count, pool.received, pool.sent, pool.xact_us,
                               pool.query_us, pool.wait_us)):
            acc[i] += v
    elapsed = max(1.0, time.time() - conn.server.pooler.started)
    rows = []
    for db, (xacts, queries, recv, sent, xact_us, query_us, wait_us) in sorted(per_db.items()):
        rows.append((db, xacts, queries, recv, sent, xact_us, query_us, wait_us, int(xacts / elapsed),
                     int(queries / elapsed), int(recv / elapsed), int(sent / elapsed),
                     xact_us // xacts if xacts else 0, query_us // queries if queries else 0,
                     wait_us // xacts if xacts else 0))
    return columns, rows


def _show_config(conn: PgConnection) -> tuple[list, list]:
    server = conn.server
    columns = [("key", TEXT), ("value", TEXT), ("default", TEXT), ("changeable", TEXT)]
    rows = [("pool_mode", server.pool_mode, "session", "no"),
            ("default_pool_size", str(server.pooler.pool_size), "20", "yes"),
            ("max_client_conn", str(server.pooler.max_client_conn), "10000", "yes"),
            ("max_db_connections", str(server.max_connections), "0", "no"),
            ("admin_users", ",".join(sorted(server.admin_users)), "", "yes"),
            ("stats_users", ",".join(sorted(server.stats_users)), "", "yes"),
            ("listen_addr", str(getattr(server.listener, "host", "")), "", "no"),
            ("listen_port", str(getattr(server.listener, "port", "")), "6432", "no"),
            ("max_prepared_statements", "unlimited", "200", "no"),
            ("server_reset_query", "", "DISCARD ALL", "no")]
    return columns, rows


def _show_databases(conn: PgConnection) -> tuple[list, list]:
    server = conn.server
    columns = [("name", TEXT), ("host", TEXT), ("port", BIGINT), ("database", TEXT), ("force_user", TEXT),
               ("pool_size", BIGINT), ("min_pool_size", BIGINT), ("reserve_pool", BIGINT), ("pool_mode", TEXT),
               ("max_connections", BIGINT), ("current_connections", BIGINT), ("paused", BIGINT),
               ("disabled", BIGINT)]
    per_db: dict[str, list[Pool]] = {}
    for pool in server.pooler.pools.values():
        per_db.setdefault(pool.database, []).append(pool)
    rows = [(db, None, None, db, None, server.pooler.pool_size, 0, 0, server.pool_mode, 0,
             sum(p.total for p in pools), int(server.pooler.paused), 0) for db, pools in sorted(per_db.items())]
    return columns, rows


def _show_lists(conn: PgConnection) -> tuple[list, list]:
    pools = conn.server.pooler.pools.values()
    clients = _clients(conn)
    items = [("databases", len({p.database for p in pools})), ("users", len({p.user for p in pools})),
             ("pools", len(pools)), ("free_clients", 0), ("used_clients", len(clients)),
             ("login_clients", len(conn.server.logging_in)), ("free_servers", 0),
             ("used_servers", sum(p.total for p in pools))]
    return [("list", TEXT), ("items", BIGINT)], items


def _show_version(conn: PgConnection) -> tuple[list, list]:
    return [("version", TEXT)], [(VERSION,)]


_SHOWS = {"POOLS": _pools, "CLIENTS": _show_clients, "SERVERS": _show_servers, "STATS": _show_stats,
          "CONFIG": _show_config, "DATABASES": _show_databases, "LISTS": _show_lists, "VERSION": _show_version}
