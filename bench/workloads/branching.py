"""Branch creation time at growing data sizes, through SQL on `helios serve` (HeliosDB only).

A table grows by COPY to each size; at each size, each run times `CREATE BRANCH`, then
`CREATE BRANCH` plus the first query on the new branch (SET heliosdb.branch, a primary
key read), and drops the branch. The design promises O(1) creation, flat in data size.
Then many empty branches are created (5,000; 200 quick) to measure the disk and server
memory (RSS) each one costs and how long listing them through heliosdb.branches takes.
PostgreSQL and DuckDB have no branches; Neon-style comparisons are not made here.
"""

from __future__ import annotations

import io
import time

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from bench.context import BenchContext, dir_bytes
from bench.helios_server import HeliosServer
from bench.measure import Plan, Row, alternate, describe_error
from bench.pgwire import PgWireSystem

TABLE = "branch_grow"


def _chunk(start: int, stop: int) -> bytes:
    ids = np.arange(start, stop, dtype=np.int64)
    table = pa.table({"id": ids, "v": ids * 7, "pad": pa.array(["payload-" + "x" * 40] * len(ids))})
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none"))
    return sink.getvalue()


def run(ctx: BenchContext) -> None:
    run_sizes(ctx)
    run_many(ctx)


def run_sizes(ctx: BenchContext) -> None:
    sizes = ctx.settings.branch_sizes
    rows = {size: (Row("branch", f"CREATE BRANCH at {size:,} rows", "ms", False),
                   Row("branch", f"CREATE BRANCH + first query at {size:,} rows", "ms", False)) for size in sizes}
    for pair in rows.values():
        ctx.rows.extend(pair)
    why = ctx.unavailable("helios")
    system = ctx.helios
    if why or system is None:
        for pair in rows.values():
            for row in pair:
                row.cell("helios").error = why or "not started"
        return
    try:
        system.run(f"DROP TABLE IF EXISTS {TABLE}", timeout=60)
        system.run(f"CREATE TABLE {TABLE} (id bigint PRIMARY KEY, v bigint, pad text)", timeout=60)
    except Exception as exc:
        for pair in rows.values():
            for row in pair:
                row.cell("helios").error = f"setup failed: {describe_error(exc)}"
        return
    have = 0
    counter = iter(range(1_000_000))
    plan = Plan(runs=ctx.settings.runs, slow_seconds=ctx.settings.slow_seconds)
    for size in sizes:
        create_row, query_row = rows[size]
        try:
            chunks = [_chunk(s, min(s + 100_000, size)) for s in range(have, size, 100_000)]
            system.copy_in(TABLE, chunks, ctx.settings.load_timeout)
            have = size
        except Exception as exc:
            create_row.cell("helios").error = query_row.cell("helios").error = f"growing to {size:,}: " + \
                describe_error(exc)
            break

        def create(with_query: bool) -> float:
            name = f"bench_b{next(counter)}"
            started = time.perf_counter()
            system.run(f"CREATE BRANCH {name} FROM main", timeout=60)
            if with_query:
                system.run(f"SET heliosdb.branch = '{name}'", timeout=60)
                got = system.run(f"SELECT v FROM {TABLE} WHERE id = 1", timeout=60)
                if got != [(7,)]:
                    raise RuntimeError(f"first query on the branch returned {got!r}, expected [(7,)]")
            seconds = time.perf_counter() - started
            if with_query:
                system.run("SET heliosdb.branch = 'main'", timeout=60)
            system.run(f"DROP BRANCH {name}", timeout=60)
            return seconds * 1000.0

        alternate(create_row, {"helios": lambda: create(False)}, plan)
        alternate(query_row, {"helios": lambda: create(True)}, plan)


def _rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def run_many(ctx: BenchContext) -> None:
    """Disk and memory per empty branch, and listing time, with many branches.

    Measured on a second, empty `helios serve` of its own, so the memory and files of the
    other workloads (and their freeing) do not blur a cost of a few KB per branch.
    """
    total = ctx.settings.many_branches
    count = total - 1  # `main` is one of them
    disk = Row("branch", f"disk per empty branch ({total:,} branches incl. main)", "KB", False)
    memory = Row("branch", f"server RSS per empty branch ({total:,} branches incl. main)", "KB", False)
    listing = Row("branch", f"SELECT from heliosdb.branches with {total:,} branches", "ms", False)
    ctx.rows.extend([disk, memory, listing])
    rows = (disk, memory, listing)
    why = ctx.unavailable("helios")
    if why or ctx.helios is None:
        for row in rows:
            row.cell("helios").error = why or "not started"
        return
    if ctx.helios_server is None:  # --helios-at: no pid or data dir of ours; list on that server
        for row in (disk, memory):
            row.cell("helios").error = "data dir and pid unknown: server not started by the bench (--helios-at)"
        _many(ctx, ctx.helios, None, count, total, rows)
        return
    server = HeliosServer.start(timeout=60)
    try:
        if server.error:
            for row in rows:
                row.cell("helios").error = f"second server for this test: {server.error}"
            return
        system = PgWireSystem("helios", server.host, server.port, server.user, server.database)
        try:
            _many(ctx, system, server, count, total, rows)
        finally:
            system.close()
    finally:
        server.stop()


def _many(ctx: BenchContext, system: PgWireSystem, server: HeliosServer | None, count: int, total: int,
          rows: tuple[Row, Row, Row]) -> None:
    disk, memory, listing = rows
    try:
        system.run("CHECKPOINT", timeout=120)
    except Exception:
        pass
    disk_before = dir_bytes(server.data_dir) if server else 0
    rss_before = _rss_bytes(server.process.pid) if server else 0
    i = 0
    try:
        for i in range(count):
            system.run(f"CREATE BRANCH bench_many_{i} FROM main", timeout=60)
        try:
            system.run("CHECKPOINT", timeout=120)
        except Exception:
            pass
        if server is not None:
            grown = (_rss_bytes(server.process.pid) - rss_before) / count / 1024
            memory.cell("helios").samples.append(grown)
            if grown < 0:
                memory.cell("helios").note = "RSS fell meanwhile: allocator/GC noise exceeds the branches' cost"
            if any("no persistent storage tier" in w for w in server.warnings()):
                disk.cell("helios").error = "no persistent storage tier installed: the server keeps data in memory"
            else:
                disk.cell("helios").samples.append((dir_bytes(server.data_dir) - disk_before) / count / 1024)
    except Exception as exc:
        for row in rows:
            row.cell("helios").error = f"creating branch {i}: {describe_error(exc)}"
        return

    def list_all() -> float:
        started = time.perf_counter()
        got = system.run("SELECT count(*) FROM heliosdb.branches", timeout=120)
        seconds = time.perf_counter() - started
        if not got or got[0][0] < total:
            raise RuntimeError(f"heliosdb.branches counted {got!r}, expected at least {total}")
        return seconds * 1000.0

    alternate(listing, {"helios": list_all}, Plan(runs=ctx.settings.runs, slow_seconds=ctx.settings.slow_seconds))
    if server is None:  # someone else's server: leave it as we found it
        for i in range(count):
            try:
                system.run(f"DROP BRANCH bench_many_{i}", timeout=60)
            except Exception:
                break
