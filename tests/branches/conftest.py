"""Fixtures for the branch tests: one real ``helios serve`` (postgres protocol only) per module."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from helios_core.testing import HeliosServer, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeliosServer]:
    srv = start_server(tmp_path_factory.mktemp("branches"), {"branching": {"branch_isolation": "strict"}},
                       only=["postgres"])
    try:
        yield srv
    finally:
        srv.stop()


@pytest.fixture
def connect(server: HeliosServer) -> Iterator[Callable[..., psycopg.Connection]]:
    """connect(user="helios", branch=None, database="helios") -> an autocommit psycopg connection."""
    opened: list[psycopg.Connection] = []

    def open_(user: str = "helios", branch: str | None = None, database: str = "helios") -> psycopg.Connection:
        kw: dict[str, Any] = {"autocommit": True}
        if branch is not None:
            kw["options"] = f"-c heliosdb.branch={branch}"
        conn = psycopg.connect(server.pg_dsn(user=user, database=database), **kw)
        opened.append(conn)
        return conn

    yield open_
    for c in opened:
        c.close()



@pytest.fixture
def refused(server: HeliosServer) -> Callable[..., str]:
    """refused(user, branch) -> the SQLSTATE of the server's refusal of that connection (pg8000 shows it;
    psycopg reports start-up failures without one). Fails the test when the connection succeeds."""
    import pg8000.exceptions
    import pg8000.native

    def attempt(user: str, branch: str) -> str:
        try:
            conn = pg8000.native.Connection(user, host=server.host, port=server.port("postgres"),
                                            database="helios",
                                            startup_params={"options": f"-c heliosdb.branch={branch}"})
        except pg8000.exceptions.DatabaseError as e:
            return e.args[0]["C"]
        conn.close()
        pytest.fail(f"{user} could connect to branch {branch}")

    return attempt
