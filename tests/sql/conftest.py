"""Fixtures of the SQL tests."""

from __future__ import annotations

import pytest

from tests.sql.pg_answers import SETUP, connect_with


@pytest.fixture(scope="module")
def answers_session():
    """One in-process session per test_query_* module, set up with pg_answers.SETUP."""
    s = connect_with(SETUP)
    yield s
    s.close()


@pytest.fixture(scope="module")
def pg_server(tmp_path_factory: pytest.TempPathFactory):
    """A real ``helios serve`` (postgres protocol only) shared by the tests of a module."""
    from helios_core.testing import start_server

    server = start_server(tmp_path_factory.mktemp("sql-server"), only=["postgres"])
    try:
        yield server
    finally:
        server.stop()
