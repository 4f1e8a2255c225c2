"""Fixtures of the SQL front-door tests: one real ``helios serve`` per module, and the reference
PostgreSQL 15 of the differential tests (skipped where its binaries are not installed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from helios_core.testing import HeliosServer, start_server
from tests.differential.conftest import postgres_dsn  # noqa: F401  (the session's reference PostgreSQL)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeliosServer]:
    srv = start_server(tmp_path_factory.mktemp("frontdoor"), only=["postgres"])
    try:
        yield srv
    finally:
        srv.stop()
