"""One HTTP request as ClickHouse's HTTP interface answers it (runs in a worker thread).

    GET/POST /?query=SELECT+1            -> "1\\n" (TabSeparated)
    POST / with the query as body        -> the same
    POST /?query=INSERT+INTO+t+FORMAT+CSV with the rows as body
    GET /ping                            -> "Ok.\\n"

URL parameters that are not the interface's own (query, database, user, password,
session_id, default_format, compress, decompress, ...) are settings for the query.
Errors answer a non-200 status with ``Code: N. DB::Exception: ...`` and the
X-ClickHouse-Exception-Code header.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import attrs

from helios_protocol_clickhouse import formats
from helios_protocol_clickhouse.errors import VERSION, ClickHouseError, from_error, http_status
from helios_protocol_clickhouse.execute import ClickHouseSession, split_insert_body
from helios_protocol_clickhouse.http import compression
from helios_protocol_clickhouse.http.sessions import (
    DEFAULT_TIMEOUT,
    MAX_TIMEOUT,
    SessionPool,
    SessionRegistry,
)
from helios_protocol_clickhouse.http.wire import Request
from helios_protocol_clickhouse.login import role_for

INTERFACE_PARAMS = {
    "query", "database", "user", "password", "quota_key", "session_id", "session_timeout", "session_check",
    "default_format", "compress", "decompress", "query_id", "buffer_size", "wait_end_of_query",
    "enable_http_compression", "http_zlib_compression_level", "client_protocol_version", "stacktrace",
    "role", "with_stacktrace", "http_headers_progress_interval_ms", "send_progress_in_http_headers",
    "cancel_http_readonly_queries_on_client_close", "http_native_compression_disable_checksumming_on_decompress",
}


@attrs.define
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@attrs.define
class HttpContext:
    """What every request needs: the kernel, the section's config, named sessions."""

    kernel: Any
    config: Any
    sessions: SessionRegistry
    log: Any
    pool: SessionPool = attrs.Factory(SessionPool)


def _credentials(request: Request) -> tuple[str | None, str | None]:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("basic "):
        try:
            user, _, password = base64.b64decode(auth[6:].strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            raise ClickHouseError(516, "Malformed Basic authorization header") from None
        return user, password
    user = request.headers.get("x-clickhouse-user") or request.param("user")
    password = request.headers.get("x-clickhouse-key") or request.param("password")
    return user, password


def handle(ctx: HttpContext, request: Request) -> Response:
    query_id = request.param("query_id") or request.headers.get("x-clickhouse-query-id") or str(uuid.uuid4())
    base_headers = [("X-ClickHouse-Server-Display-Name", "heliosdb"), ("X-ClickHouse-Query-Id", query_id),
                    ("X-ClickHouse-Timezone", ctx.config.timezone)]
    path = request.path.rstrip("/") or "/"
    if path in ("/ping", "/replicas_status") and request.method in ("GET", "HEAD"):
        return Response(200, [("Content-Type", "text/plain; charset=UTF-8")], b"Ok.\n")
    if path not in ("/", "/query"):
        return _error(ClickHouseError(1, f"There is no handle {request.path}"), base_headers, status=404)
    if request.method not in ("GET", "POST", "HEAD"):
        return _error(ClickHouseError(1, f"HTTP method {request.method} is not supported"), base_headers,
                      status=405)
    started = time.perf_counter()
    try:
        return _run(ctx, request, query_id, base_headers, started)
    except Exception as exc:
        if not isinstance(exc, ClickHouseError) and getattr(exc, "sqlstate", None) is None:
            ctx.log.exception("ClickHouse HTTP request failed")
        return _error(from_error(exc), base_headers)


def _run(ctx: HttpContext, request: Request, query_id: str, headers: list[tuple[str, str]],
         started: float) -> Response:
    body = request.body
    if body and request.headers.get("content-encoding"):
        body = compression.decode(body, request.headers["content-encoding"])
    if body and request.param("decompress") in ("1", "true"):
        body = compression.decompress_blocks(body)
    query = request.param("query")
    data: bytes | None = None
    if query is None:
        if not body:
            if request.method in ("GET", "HEAD"):
                return Response(200, [("Content-Type", "text/plain; charset=UTF-8")], b"Ok.\n")
            raise ClickHouseError(62, "Empty query")
        query, data = split_insert_body(body)
    elif body:
        data = body
    if request.method == "GET" and _writes(query):
        raise ClickHouseError(164, "Cannot execute query in readonly mode: a GET request may only read")
    user, password = _credentials(request)
    role = role_for(ctx.kernel.config, user, password)
    settings = {k: v for k, v in request.params if k not in INTERFACE_PARAMS and not k.startswith("param_")}
    query_params = {k[6:]: v for k, v in request.params if k.startswith("param_")}
    database = request.param("database") or request.headers.get("x-clickhouse-database")
    session_id = request.param("session_id")

    branch = settings.pop("heliosdb_branch", None)  # the branch to work on (else the role's)

    def create() -> ClickHouseSession:
        session = ctx.kernel.open_session(role, "helios", {"heliosdb.branch": branch} if branch else {})
        return ClickHouseSession(session, timezone=ctx.config.timezone)

    named = None
    pool_key = (role, branch or "")
    if session_id:
        timeout = min(float(request.param("session_timeout") or DEFAULT_TIMEOUT), MAX_TIMEOUT)
        named = ctx.sessions.acquire(role, session_id, timeout, request.param("session_check") == "1", create)
        ch = named.ch
    else:
        ch = ctx.pool.acquire(pool_key, create)
    try:
        saved = dict(ch.settings)
        ch.settings.update(settings)
        if database and database != ch.database:
            ch.use(database)  # 81 UNKNOWN_DATABASE when there is no such database
        if not _writes(query) and (request.param("cancel_http_readonly_queries_on_client_close") or
                                   ch.settings.get("cancel_http_readonly_queries_on_client_close", "0")) in ("1", "true"):
            request.client.on_gone(ch.session.cancel)  # a read whose client left stops
        try:
            results = ch.run(query, data, params=query_params)
        finally:
            request.client.on_gone(None)
        result = results[-1]
        effective = {**ch.settings, **result.settings}
        if named is not None and settings:  # URL settings hold for this request; SET ones stay
            changed = {k: v for k, v in ch.settings.items() if saved.get(k) != v and k not in settings}
            ch.settings = {**saved, **changed}
        fmt = result.format or request.param("default_format") or request.headers.get("x-clickhouse-format") \
            or "TabSeparated"
        if result.columns is None:
            payload, content_type = b"", "text/plain; charset=UTF-8"
        else:
            payload, content_type = formats.render(fmt, result, effective)
        out_headers = [*headers, ("Content-Type", content_type)]
        if result.columns is not None:
            out_headers.append(("X-ClickHouse-Format", formats.canonical(fmt)))
        summary = {"read_rows": str(result.row_count), "read_bytes": "0", "written_rows": str(result.written_rows),
                   "written_bytes": "0", "total_rows_to_read": "0", "result_rows": str(result.rows),
                   "result_bytes": str(len(payload)), "elapsed_ns": str(int((time.perf_counter() - started) * 1e9))}
        out_headers.append(("X-ClickHouse-Summary", json.dumps(summary, separators=(",", ":"))))
        if request.param("compress") in ("1", "true"):
            payload = compression.compress_blocks(payload)
        elif payload and (request.param("enable_http_compression") or effective.get("enable_http_compression")) \
                in ("1", "true"):
            encoding = compression.choose_encoding(request.headers.get("accept-encoding", ""))
            if encoding:
                level = int(effective.get("http_zlib_compression_level", "3") or 3)
                payload = compression.encode(payload, encoding, level)
                out_headers.append(("Content-Encoding", encoding))
        if session_id:
            out_headers.append(("X-ClickHouse-Session-Id", session_id))
        return Response(200, out_headers, payload if request.method != "HEAD" else b"")
    finally:
        if named is not None:
            ctx.sessions.release(named)
        else:
            ctx.pool.release(pool_key, ch)


def _writes(query: str) -> bool:
    word = query.lstrip().split(None, 1)[0].upper() if query.strip() else ""
    return word in ("INSERT", "CREATE", "DROP", "ALTER", "TRUNCATE", "RENAME", "OPTIMIZE", "DELETE", "UPDATE",
                    "ATTACH", "DETACH", "GRANT", "REVOKE", "KILL", "SYSTEM")


def _error(err: ClickHouseError, headers: list[tuple[str, str]], status: int | None = None) -> Response:
    out = [*headers, ("Content-Type", "text/plain; charset=UTF-8"), ("X-ClickHouse-Exception-Code", str(err.code))]
    return Response(status or http_status(err.code), out, (err.text() + "\n").encode())


__all__ = ["VERSION", "HttpContext", "Response", "handle"]
