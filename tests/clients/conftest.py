"""One real ``helios serve`` per test module of this folder, and a psycopg connection to it.

A module that needs objects before its tests run lists them in ``SETUP_SQL``; a module
that needs its connections set up differently (binary cursors, a time zone) defines its
own ``conn`` over the shared ``server``.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from helios_core.testing import HeliosServer, start_server


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeliosServer]:
    name = request.module.__name__.rpartition(".")[2].removeprefix("test_")
    srv = start_server(tmp_path_factory.mktemp(name), only=["postgres"])
    try:
        setup = getattr(request.module, "SETUP_SQL", ())
        if setup:
            with psycopg.connect(srv.pg_dsn(), autocommit=True) as c:
                for sql in setup:
                    c.execute(sql)
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def conn(server: HeliosServer) -> Iterator[psycopg.Connection]:
    with psycopg.connect(server.pg_dsn(), autocommit=True) as c:
        yield c
