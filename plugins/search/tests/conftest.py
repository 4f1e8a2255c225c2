"""One real ``helios serve`` with the search plugin for the SQL tests, reached with psycopg."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from helios_core.testing import HeliosServer, start_server


@pytest.fixture(scope="session")
def search_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeliosServer]:
    server = start_server(tmp_path_factory.mktemp("search-server"),
                          {"search": {"default_text_search_config": "english"}}, only=["postgres"])
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def conn(search_server: HeliosServer) -> Iterator[psycopg.Connection]:
    with psycopg.connect(search_server.pg_dsn(), autocommit=True) as c:
        yield c
