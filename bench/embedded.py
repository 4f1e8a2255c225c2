"""HeliosDB in-process (no server), run in a child process driven over a JSON pipe.

Issue 3's kernel benchmarks (helios_core.storage: bulk insert of Arrow batches, primary
key point reads, filtered scan + aggregate, branch creation) and issue 4's SQL queries
(helios_core.connect(): the embedded engine) run inside the child, timed there, so the
pipe adds nothing to the numbers. The child is a separate process so that a crash, a
hang or a runaway memory use of a work-in-progress engine costs only its own results:
the parent enforces a deadline per call and kills the child when it is overrun.

Parent side: `EmbeddedHelios.start()` then `.call(op, timeout, **args)`.
Child side: `python -m bench.embedded` reads one JSON request per line.
"""

from __future__ import annotations

import json
import os
import selectors
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import attrs

from bench import lifecycle


class EmbeddedError(RuntimeError):
    """An operation failed inside the child (message is the child's exception)."""


@attrs.define
class EmbeddedHelios:
    """Parent-side handle of the child process."""

    process: subprocess.Popen | None = None
    log_path: str = ""
    dead: str | None = None

    @classmethod
    def start(cls) -> EmbeddedHelios:
        fd, log_path = tempfile.mkstemp(prefix="helios-bench-embedded-", suffix=".log")
        proc = subprocess.Popen([sys.executable, "-m", "bench.embedded"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=fd, text=True,
                                cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        os.close(fd)
        handle = cls(process=proc, log_path=log_path)
        lifecycle.on_exit("embedded helios", handle.stop)
        return handle

    def call(self, op: str, timeout: float, **args: Any) -> Any:
        if self.dead:
            raise EmbeddedError(f"embedded engine unavailable: {self.dead}")
        assert self.process is not None and self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps({"op": op, **args}) + "\n")
        self.process.stdin.flush()
        with selectors.DefaultSelector() as sel:
            sel.register(self.process.stdout, selectors.EVENT_READ)
            if not sel.select(timeout):
                self.dead = f"{op} took longer than {timeout:.0f}s; child killed"
                self.stop()
                raise TimeoutError(self.dead)
        line = self.process.stdout.readline()
        if not line:
            self.dead = f"child exited (code {self.process.wait()}): {self._log_tail()}"
            raise EmbeddedError(self.dead)
        reply = json.loads(line)
        if "error" in reply:
            raise EmbeddedError(reply["error"])
        return reply["value"]

    def _log_tail(self) -> str:
        try:
            with open(self.log_path) as f:
                lines = [x.strip() for x in f.read().splitlines() if x.strip()]
            return " | ".join(lines[-2:])[-300:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.log_path and os.path.exists(self.log_path):
            os.unlink(self.log_path)


# ---------------------------------------------------------------- child side


def _json_value(value: Any) -> Any:
    from bench.answers import normalize_value

    return normalize_value(value)


@attrs.define
class Child:
    """State of the child: an embedded SQL session and/or a bare storage Store."""

    session: Any = None
    store: Any = None
    kernel_rows: int = 0
    kernel_source: list = attrs.Factory(list)
    kernel_tables: list[str] = attrs.Factory(list)
    branches: int = 0

    # -- SQL (helios_core.connect)
    def sql_open(self) -> None:
        import helios_core

        self.session = helios_core.connect()

    def _sql(self, sql: str) -> list[tuple]:
        result = None
        for result in self.session.execute(sql):
            pass
        return result.rows() if result is not None and result.columns is not None else []

    def sql_load(self, scale: float) -> float:
        import pyarrow as pa

        from bench.datagen import load_tables
        from bench.pgwire import create_table_sql

        tables = load_tables(scale)
        started = time.perf_counter()
        for name, table in tables.items():
            self._sql(create_table_sql(name))
            result = next(iter(self.session.execute(f"COPY {name} FROM STDIN")))
            if result.copy is None:
                raise RuntimeError(f"COPY {name} FROM STDIN returned no CopySpec")
            schema = result.copy.arrow_schema
            batches = table.to_batches(max_chunksize=100_000)
            if schema is not None:
                batches = [pa.RecordBatch.from_arrays([b.column(i).cast(f.type) for i, f in enumerate(schema)],
                                                      schema=schema) for b in batches]
            self.session.copy_in(result.copy, batches)
        return time.perf_counter() - started

    def sql_close(self) -> None:
        """Let the embedded engine and its data go before the kernel benchmarks."""
        import gc

        session, self.session = self.session, None
        if session is not None:
            session.close()
        gc.collect()

    def sql_query(self, sql: str) -> dict:
        started = time.perf_counter()
        rows = self._sql(sql)
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "rows": [[_json_value(v) for v in row] for row in rows]}

    # -- storage kernel (helios_core.storage)
    def kernel_open(self, rows: int) -> None:
        from helios_core.storage import Store

        self.store = Store.open(None)
        self.store.create_database("bench")
        self.kernel_rows = rows

    def kernel_bulk_insert(self, run: int) -> float:
        from helios_core.storage import ColumnDef

        from bench.kernel_data import kernel_batches

        if not self.kernel_source:
            self.kernel_source = kernel_batches(self.kernel_rows)
        batches = self.kernel_source
        columns = [ColumnDef(f.name, f.type, nullable=f.name != "id") for f in batches[0].schema]
        if self.kernel_tables:  # a fresh in-memory store per run keeps memory flat
            self.kernel_close()
            self.kernel_open(self.kernel_rows)
        name = f"k{run}"
        txn = self.store.begin("bench")
        txn.create_table("public", name, columns, primary_key=["id"])
        txn.commit()
        started = time.perf_counter()
        txn = self.store.begin("bench")
        for batch in batches:
            txn.insert("public", name, batch)
        txn.commit()
        seconds = time.perf_counter() - started
        self.kernel_tables.append(name)
        return seconds

    def kernel_point_read(self, count: int) -> float:
        from bench.kernel_data import lookup_keys

        name = self.kernel_tables[-1]
        txn = self.store.begin("bench", read_only=True)
        times = []
        for key in lookup_keys(self.kernel_rows, count):
            started = time.perf_counter_ns()
            batch = txn.lookup("public", name, (key,))
            times.append(time.perf_counter_ns() - started)
            if batch.num_rows != 1:
                raise RuntimeError(f"lookup of id {key} returned {batch.num_rows} rows")
        txn.rollback()
        return statistics.median(times) / 1000.0

    def kernel_scan_agg(self) -> dict:
        import pyarrow.compute as pc

        from bench.kernel_data import SCAN_FILTER_LIMIT

        name = self.kernel_tables[-1]
        txn = self.store.begin("bench", read_only=True)
        started = time.perf_counter()
        total, count = 0.0, 0
        for batch in txn.scan("public", name, columns=["a", "d"], filter=pc.field("a") < SCAN_FILTER_LIMIT):
            total += pc.sum(batch.column(1)).as_py() or 0.0
            count += batch.num_rows
        seconds = time.perf_counter() - started
        txn.rollback()
        return {"seconds": seconds, "rows": [[total, count]]}

    def peak_rss_mb(self) -> float:
        """Peak resident memory of this child so far (Linux reports ru_maxrss in KB)."""
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def kernel_close(self) -> None:
        store, self.store, self.kernel_tables = self.store, None, []
        if store is not None:
            store.close()
        import gc

        gc.collect()

    def kernel_branch(self) -> float:
        self.branches += 1
        started = time.perf_counter()
        self.store.create_branch("bench", f"b{self.branches}", parent="main")
        return time.perf_counter() - started


def child_main() -> None:
    """Serve requests from the parent: one JSON object per line in, one per line out."""
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # stray prints must not corrupt replies
    sys.stdout = sys.stderr
    child = Child()
    for line in sys.stdin:
        request = json.loads(line)
        op = request.pop("op")
        try:
            value = getattr(child, op)(**request)
            reply = {"value": value}
        except Exception as exc:
            import traceback

            traceback.print_exc()
            reply = {"error": f"{type(exc).__name__}: {exc}"[:400]}
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    child_main()
