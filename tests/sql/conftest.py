"""Fixtures of the SQL tests."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.storage import narrowed
from tests.sql.pg_answers import SETUP, connect_with


@pytest.fixture(scope="module")
def answers_session():
    """One in-process session per test_query_* module, set up with pg_answers.SETUP."""
    s = connect_with(SETUP)
    yield s
    s.close()


@pytest.fixture
def kept_slices_session():
    """An in-process session that starts and leaves with no kept slices (storage.narrowed:
    narrowed decimals and string codes), so what a test keeps is its own."""
    narrowed.forget()
    s = helios_core.connect()
    yield s
    s.close()
    narrowed.forget()


@pytest.fixture(scope="module")
def pg_server(tmp_path_factory: pytest.TempPathFactory):
    """A real ``helios serve`` (postgres protocol only) shared by the tests of a module."""
    from helios_core.testing import start_server

    server = start_server(tmp_path_factory.mktemp("sql-server"), only=["postgres"])
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch):
    """``answered(owner, name)`` wraps the function ``owner.name`` for the test and returns the
    list it appends to at each call: whether that call returned something (not None)."""
    def watch(owner: object, name: str) -> list[bool]:
        calls: list[bool] = []
        real = getattr(owner, name)

        def spy(*args: object, **kwargs: object) -> object:
            out = real(*args, **kwargs)
            calls.append(out is not None)
            return out

        monkeypatch.setattr(owner, name, spy)
        return calls

    return watch
