"""The state shared by the workloads of one run: settings, the systems, the data.

Systems are started once and reused by every workload. A system that could not start
is kept as an error string, so its cells read "n/a (error: ...)". The TPC-H data is
generated (or read from cache) and loaded into each system only when a workload
needs it, and the load itself is measured.
"""

from __future__ import annotations

import pathlib

import attrs
import pyarrow as pa

from bench import datagen
from bench.duck import DuckSystem
from bench.embedded import EmbeddedHelios
from bench.helios_server import HeliosServer
from bench.measure import Row, describe_error
from bench.pg_cluster import PgCluster
from bench.pgwire import PgWireSystem, copy_text_chunks, create_table_sql
from bench.progress import Progress, say

MAX_RESTARTS = 3


@attrs.define
class Settings:
    scale: float
    runs: int
    quick: bool
    pgbench_scale: int
    pgbench_seconds: int
    pgbench_warmup_seconds: int
    pgbench_init_timeout: float
    pgbench_runs: int
    query_timeout: float
    load_timeout: float
    kernel_rows: int
    point_reads: int
    branch_sizes: list[int]
    many_branches: int
    slow_seconds: float
    helios_at: str | None = None  # "host:port[:user[:database]]" of a server already running

    @classmethod
    def make(cls, *, quick: bool, scale: float | None, runs: int | None) -> Settings:
        if quick:
            return cls(scale=scale or 0.01, runs=runs or 3, quick=True, pgbench_scale=1, pgbench_seconds=2,
                       pgbench_runs=runs or 1,
                       pgbench_warmup_seconds=1, pgbench_init_timeout=30, query_timeout=10, load_timeout=40, kernel_rows=200_000,
                       point_reads=2_000, branch_sizes=[1_000, 10_000], many_branches=200, slow_seconds=5)
        scale = scale or 1.0
        return cls(scale=scale, runs=runs or 3, quick=False, pgbench_scale=10, pgbench_seconds=10,
                   pgbench_runs=runs or 3,
                   pgbench_warmup_seconds=3, pgbench_init_timeout=300, query_timeout=120, load_timeout=1200,
                   kernel_rows=max(100_000, int(10_000_000 * min(scale, 1.0))), point_reads=10_000,
                   branch_sizes=[n for n in (10_000, 100_000, 1_000_000, 10_000_000) if n <= 10_000_000 * scale]
                   or [10_000], many_branches=5_000, slow_seconds=60)


@attrs.define
class BenchContext:
    settings: Settings
    helios_server: HeliosServer | None = None
    pg_cluster: PgCluster | None = None
    helios: PgWireSystem | None = None
    postgres: PgWireSystem | None = None
    duck: DuckSystem | None = None
    errors: dict[str, str] = attrs.Factory(dict)  # system -> why it is unavailable
    load_errors: dict[str, str] = attrs.Factory(dict)  # system -> why TPC-H data is not there
    baseline_bytes: dict[str, int] = attrs.Factory(dict)
    rows: list[Row] = attrs.Factory(list)
    _tables: dict[str, pa.Table] | None = None
    _chunks: dict[str, list[bytes]] | None = None
    _loaded: set[str] = attrs.Factory(set)
    _load_row: Row | None = None
    restarts: list[str] = attrs.Factory(list)  # why helios serve had to be restarted
    _embedded: EmbeddedHelios | None = None

    # ---- systems
    def start_systems(self) -> None:
        try:
            self.pg_cluster = PgCluster.start()
            c = self.pg_cluster
            self.postgres = PgWireSystem("postgres", c.host, c.port, c.user, c.database)
        except Exception as exc:
            self.errors["postgres"] = describe_error(exc)
            say(f"postgres: unavailable: {self.errors['postgres']}")
        if self.settings.helios_at:
            host, port, user, database = (self.settings.helios_at.split(":") + ["helios", "helios"])[:4]
            self.helios = PgWireSystem("helios", host, int(port), user, database)
            say(f"helios: using the server already running at {host}:{port} (--helios-at)")
            try:
                self.helios.run("SELECT 1", timeout=30)
            except Exception as exc:
                self.errors["helios"] = f"SELECT 1 failed: {describe_error(exc)}"
        else:
            self._start_helios()
        try:
            self.duck = DuckSystem.start()
            self.duck.execute("CHECKPOINT")
            self.baseline_bytes["duckdb"] = self.duck.bytes_on_disk()
        except Exception as exc:
            self.errors["duckdb"] = describe_error(exc)

    def _start_helios(self) -> None:
        self.helios_server = HeliosServer.start(timeout=60)
        if self.helios_server.error:
            self.errors["helios"] = self.helios_server.error
        else:
            s = self.helios_server
            self.helios = PgWireSystem("helios", s.host, s.port, s.user, s.database)
            try:
                self.helios.run("SELECT 1", timeout=30)
            except Exception as exc:
                self.errors["helios"] = f"SELECT 1 failed: {describe_error(exc)}"
                say(f"helios: {self.errors['helios']}")
            self.baseline_bytes["helios"] = dir_bytes(s.data_dir)

    def wire_systems(self) -> dict[str, PgWireSystem | None]:
        return {"helios": self.helios, "postgres": self.postgres}

    def embedded(self, *, fresh: bool = False) -> EmbeddedHelios:
        """The child process running HeliosDB in-process; `fresh` replaces it with a new one
        (so one workload's memory does not weigh on the next)."""
        if fresh and self._embedded is not None:
            self._embedded.stop()
            self._embedded = None
        if self._embedded is None:
            self._embedded = EmbeddedHelios.start()
        return self._embedded

    def stop(self) -> None:
        for system in (self.helios, self.postgres):
            if system is not None:
                system.close()
        if self._embedded is not None:
            self._embedded.stop()
        if self.helios_server is not None:
            self.helios_server.stop()
        if self.pg_cluster is not None:
            self.pg_cluster.stop()
        if self.duck is not None:
            self.duck.stop()

    def versions(self) -> dict[str, str]:
        out = {}
        if self.pg_cluster is not None:
            out["postgres"] = self.pg_cluster.version()
        if self.duck is not None:
            out["duckdb"] = self.duck.version()
        out["helios"] = HeliosServer.version(self.helios_server) if self.helios_server else "?"
        return out

    # ---- data
    def tables(self) -> dict[str, pa.Table]:
        if self._tables is None:
            self._tables = datagen.load_tables(self.settings.scale)
        return self._tables

    def copy_chunks(self) -> dict[str, list[bytes]]:
        """Each table pre-encoded as COPY text, so encoding is not timed as ingest."""
        if self._chunks is None:
            tables = self.tables()
            progress = Progress("encoding COPY text", sum(t.num_rows for t in tables.values()))
            self._chunks = {}
            for name, table in tables.items():
                self._chunks[name] = copy_text_chunks(table)
                progress.advance(table.num_rows)
            progress.finish()
        return self._chunks

    def ensure_loaded(self) -> None:
        """Load the TPC-H tables into every available system once; fills the `load` row."""
        if self._load_row is None:
            self._load_row = Row("load", "TPC-H tables (COPY; DuckDB: Arrow)", "rows/s", True)
            self.rows.append(self._load_row)
        row = self._load_row
        for name, system in self.wire_systems().items():
            if name in self._loaded:
                continue
            self._loaded.add(name)
            if system is None or name in self.errors:
                row.cell(name).error = self.errors.get(name, "not started")
                self.load_errors[name] = row.cell(name).error
                continue
            self._load_wire(name, system, row)
        if "duckdb" not in self._loaded:
            self._loaded.add("duckdb")
            if self.duck is None:
                row.cell("duckdb").error = self.errors.get("duckdb", "not started")
                self.load_errors["duckdb"] = row.cell("duckdb").error
            else:
                tables = self.tables()
                progress = Progress("loading duckdb from Arrow", sum(t.num_rows for t in tables.values()))
                seconds = 0.0
                for table_name, table in tables.items():
                    seconds += self.duck.load(table_name, table)
                    progress.advance(table.num_rows)
                progress.finish()
                row.cell("duckdb").samples.append(progress.total / seconds)

    def _load_wire(self, name: str, system: PgWireSystem, row: Row) -> None:
        tables = self.tables()
        chunks = self.copy_chunks()
        total = sum(t.num_rows for t in tables.values())
        progress = Progress(f"loading {name} via COPY", total)
        cell = row.cell(name)
        try:
            seconds = 0.0
            for table in tables:
                system.run(f"DROP TABLE IF EXISTS {table}", timeout=60)
                system.run(create_table_sql(table), timeout=60)
                seconds += system.copy_in(table, chunks[table], self.settings.load_timeout, progress)
            progress.finish()
            cell.samples.append(total / seconds)
            cell.error = None
            self.load_errors.pop(name, None)
            try:
                system.run("ANALYZE", timeout=self.settings.load_timeout)
            except Exception as exc:
                cell.note = f"ANALYZE failed: {describe_error(exc)[:80]}"
        except Exception as exc:
            progress.finish()
            if not cell.samples:
                cell.error = describe_error(exc)
            self.load_errors[name] = f"load failed: {describe_error(exc)}"
            say(f"{name}: load failed: {describe_error(exc)}")

    def unavailable(self, system: str, *, needs_data: bool = False) -> str | None:
        """Why `system` cannot run a workload (None when it can).

        A `helios serve` found dead is restarted (at most MAX_RESTARTS times, each noted
        in the results) and, when the workload needs the TPC-H data, reloaded.
        """
        if system == "helios":
            self._revive_helios()
            if needs_data and "helios" not in self.errors:
                self.ensure_loaded()
        if system in self.errors:
            return self.errors[system]
        if needs_data and system in self.load_errors:
            return self.load_errors[system]
        return None

    def _revive_helios(self) -> None:
        server = self.helios_server
        if server is None or not server.ready_seen:  # never started: its error stands
            return
        death = server.death()
        if not death:
            return
        server.stop()  # keeps its log
        if server.kept_log is not None:
            death += f" (log: {server.kept_log})"
        if len(self.restarts) >= MAX_RESTARTS:
            self.errors["helios"] = death
            return
        self.restarts.append(death)
        say(f"helios: {death}; restarting it (restart {len(self.restarts)} of at most {MAX_RESTARTS})")
        if self.helios is not None:
            self.helios.close()
        self.helios = None
        self.errors.pop("helios", None)
        self._loaded.discard("helios")
        self.load_errors.pop("helios", None)
        self._start_helios()


def dir_bytes(path: pathlib.Path) -> int:
    """Bytes of all regular files under `path` (what `du -sb` counts for files)."""
    if not path.exists():
        return 0
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
