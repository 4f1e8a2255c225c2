"""5,000 branches in one database, through the PostgreSQL protocol.

The server keeps its data in memory (``[storage] tier = "memory"``): creating a branch is
O(1) metadata either way, and this test is about the branch machinery at that scale, not
about the disk's fsync latency (which bounds creation on a persistent server: one WAL fsync
for the branch and one for its records).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest

from helios_core.testing import HeliosServer, start_server


@pytest.fixture(scope="module")
def mem_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeliosServer]:
    srv = start_server(tmp_path_factory.mktemp("many-branches"),
                       {"storage": {"tier": "memory"}, "branching": {"max_branches": 5000}}, only=["postgres"])
    try:
        yield srv
    finally:
        srv.stop()


def test_five_thousand_branches(mem_server):
    c = psycopg.connect(mem_server.pg_dsn(), autocommit=True)
    c.execute("create table fleet (id int primary key, v int)")
    c.execute("insert into fleet select g, g from generate_series(1, 1000) g")
    t0 = time.perf_counter()
    with c.cursor() as cur:
        for i in range(4999):
            cur.execute(f"create branch fleet_{i} from main")
    created = time.perf_counter() - t0
    t0 = time.perf_counter()
    assert c.execute("select count(*) from heliosdb.branches").fetchall() == [(5000,)]
    listed = time.perf_counter() - t0
    print(f"\n4999 CREATE BRANCH over the wire: {created:.1f} s ({created / 4999 * 1000:.2f} ms each); "
          f"listing 5000 branches: {listed * 1000:.1f} ms")
    names = c.execute("select name, parent, rows from heliosdb.branches where name like 'fleet_%' "
                      "order by name limit 2").fetchall()
    assert names == [("fleet_0", "main", 0), ("fleet_1", "main", 0)]
    with psycopg.connect(mem_server.pg_dsn(), autocommit=True, options="-c heliosdb.branch=fleet_4998") as last:
        assert last.execute("select count(*), sum(v) from fleet").fetchall() == [(1000, 500500)]
        last.execute("update fleet set v = 0 where id = 1")
        assert last.execute("select rows from heliosdb.branches where name = 'fleet_4998'").fetchall() == [(1,)]
    assert c.execute("select v from fleet where id = 1").fetchall() == [(1,)]
    # the configured cap holds
    with pytest.raises(psycopg.Error) as ei:
        c.execute("create branch one_too_many from main")
    assert ei.value.sqlstate == "54000"
    c.close()
