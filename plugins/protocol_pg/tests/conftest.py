"""Fixtures for the PostgreSQL protocol tests: one real ``helios serve`` per test module.

Starting a server costs about a second, so tests that can share one do (``pg_server``);
tests that need their own configuration use the ``helios_server`` factory directly.
"""

from __future__ import annotations

import resource
from collections.abc import Iterator

import pytest

from helios_core.testing import HeliosServer, start_server


def raise_fd_limit(wanted: int = 8192) -> None:
    """1,000 client sockets need more than the usual 1,024 descriptors (the server inherits it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


@pytest.fixture(scope="module")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeliosServer]:
    """A real ``helios serve`` with only the postgres protocol, shared by the tests of a module."""
    raise_fd_limit()
    server = start_server(tmp_path_factory.mktemp("pg-server"),
                          {"protocols": {"postgres": {"max_connections": 1200}}}, only=["postgres"])
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def dsn(pg_server: HeliosServer) -> str:
    return pg_server.pg_dsn()
