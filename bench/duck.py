"""DuckDB in-process: the analytical reference, loaded from Arrow (its fastest path).

The database is a file in a temp dir (so bytes on disk can be compared); the kernel
benchmarks use a separate in-memory connection, like the embedded HeliosDB engine.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import statistics
import tempfile
import threading
import time

import attrs
import duckdb
import pyarrow as pa

from bench import lifecycle
from bench.kernel_data import COLUMNS, SCAN_SQL, kernel_batches, lookup_keys
from bench.pgwire import create_table_sql


@attrs.define
class DuckSystem:
    root: pathlib.Path
    con: duckdb.DuckDBPyConnection
    mem: duckdb.DuckDBPyConnection | None = None
    kernel_rows: int = 0
    kernel_table: str | None = None
    kernel_source: pa.Table | None = None

    @classmethod
    def start(cls) -> DuckSystem:
        root = pathlib.Path(tempfile.mkdtemp(prefix="helios-bench-duckdb-"))
        system = cls(root=root, con=duckdb.connect(str(root / "bench.duckdb")))
        lifecycle.on_exit("duckdb", system.stop)
        return system

    @property
    def path(self) -> pathlib.Path:
        return self.root / "bench.duckdb"

    def stop(self) -> None:
        for con in (self.con, self.mem):
            if con is not None:
                try:
                    con.close()
                except Exception:
                    pass
        shutil.rmtree(self.root, ignore_errors=True)

    def version(self) -> str:
        return f"DuckDB {duckdb.__version__}"

    def execute(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()

    def load(self, name: str, table: pa.Table, target: str | None = None) -> float:
        """CREATE TABLE with the TPC-H types, then INSERT ... SELECT from the Arrow table."""
        target = target or name
        self.con.execute(create_table_sql(name, target))
        started = time.perf_counter()
        self.con.register("arrow_source", table)
        try:
            self.con.execute(f"INSERT INTO {target} SELECT * FROM arrow_source")
        finally:
            self.con.unregister("arrow_source")
        return time.perf_counter() - started

    def timed(self, sql: str, timeout: float) -> tuple[float, list[tuple]]:
        timer = threading.Timer(timeout, self.con.interrupt)
        timer.start()
        try:
            started = time.perf_counter()
            rows = self.con.execute(sql).fetchall()
            return time.perf_counter() - started, rows
        finally:
            timer.cancel()

    def bytes_on_disk(self) -> int:
        self.con.execute("CHECKPOINT")
        wal = pathlib.Path(str(self.path) + ".wal")
        return os.path.getsize(self.path) + (os.path.getsize(wal) if wal.exists() else 0)

    # -- in-process kernel benchmarks (in-memory database, as the embedded engine)
    def kernel_open(self, rows: int) -> None:
        self.mem = duckdb.connect()
        self.kernel_rows = rows

    def kernel_bulk_insert(self, run: int) -> float:
        assert self.mem is not None
        if self.kernel_source is None:
            self.kernel_source = pa.Table.from_batches(kernel_batches(self.kernel_rows))
        source = self.kernel_source
        if self.kernel_table:
            self.mem.execute(f"DROP TABLE {self.kernel_table}")
        name = f"k{run}"
        cols = ", ".join(f"{c} {t}" + (" PRIMARY KEY" if c == "id" else "") for c, t in COLUMNS)
        self.mem.execute(f"CREATE TABLE {name} ({cols})")
        started = time.perf_counter()
        self.mem.register("kernel_source", source)
        self.mem.execute(f"INSERT INTO {name} SELECT * FROM kernel_source")
        seconds = time.perf_counter() - started
        self.mem.unregister("kernel_source")
        self.kernel_table = name
        return seconds

    def kernel_point_read(self, count: int) -> float:
        assert self.mem is not None
        sql = f"SELECT * FROM {self.kernel_table} WHERE id = $1"
        times = []
        for key in lookup_keys(self.kernel_rows, count):
            started = time.perf_counter_ns()
            rows = self.mem.execute(sql, [key]).fetchall()
            times.append(time.perf_counter_ns() - started)
            if len(rows) != 1:
                raise RuntimeError(f"lookup of id {key} returned {len(rows)} rows")
        return statistics.median(times) / 1000.0

    def kernel_scan_agg(self) -> dict:
        assert self.mem is not None
        started = time.perf_counter()
        rows = self.mem.execute(SCAN_SQL.format(table=self.kernel_table)).fetchall()
        return {"seconds": time.perf_counter() - started, "rows": [list(r) for r in rows]}
