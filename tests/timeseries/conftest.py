"""Fixtures of the time-series tests: an in-process session, and one real server for them all
(each test uses tables of its own names)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import helios_core
from helios_core.errors import HeliosError


class Sql:
    """A session that answers rows as tuples (in-process, fast)."""

    def __init__(self) -> None:
        self.session = helios_core.connect()

    def __call__(self, sql: str) -> list[tuple]:
        result = self.session.execute(sql)[-1]
        rows: list[tuple] = []
        for batch in result.batches or []:
            cols = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
            rows.extend(zip(*cols, strict=True))
        return rows

    def error(self, sql: str) -> HeliosError:
        with pytest.raises(HeliosError) as info:
            self.session.execute(sql)
        return info.value


@pytest.fixture
def sql() -> Iterator[Any]:
    s = Sql()
    yield s
    s.session.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from helios_core.testing import start_server

    srv = start_server(tmp_path_factory.mktemp("timeseries"), only=["postgres"])
    try:
        yield srv
    finally:
        srv.stop()
