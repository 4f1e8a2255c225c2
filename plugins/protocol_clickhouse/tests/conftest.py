"""One real ``helios serve`` per test module, with the ClickHouse and PostgreSQL protocols."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import attrs
import psycopg
import pytest

from helios_core.testing import HeliosServer, start_server


@attrs.define
class HttpReply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()


@attrs.define
class ClickHouseHttp:
    """A plain urllib client of the server's ClickHouse HTTP interface."""

    server: HeliosServer

    @property
    def port(self) -> int:
        return self.server.port("clickhouse_http")

    def request(self, query: str | None = None, *, body: bytes | str | None = None, path: str = "/",
                headers: dict[str, str] | None = None, method: str | None = None, **params: str) -> HttpReply:
        if query is not None:
            params["query"] = query
        url = f"http://127.0.0.1:{self.port}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = body.encode() if isinstance(body, str) else body
        req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return HttpReply(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
        except urllib.error.HTTPError as err:
            return HttpReply(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeliosServer]:
    s = start_server(tmp_path_factory.mktemp("clickhouse"),
                     {"protocols": {"clickhouse": {"http_port": 0}}}, only=["clickhouse", "postgres"])
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture(scope="module")
def pg(server: HeliosServer) -> Iterator[psycopg.Connection]:
    """A PostgreSQL-protocol connection to the module's server (tables made with exact SQL types)."""
    with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="module")
def http(server: HeliosServer) -> ClickHouseHttp:
    return ClickHouseHttp(server)
