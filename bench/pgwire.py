"""A system reached over the PostgreSQL wire protocol (PostgreSQL itself, HeliosDB),
driven with psycopg 3: DDL, COPY FROM STDIN loads, timed queries.

Every call that waits on the server runs with a deadline: a query that overruns is
cancelled, and a server that ignores the cancel is abandoned (the connection is
dropped and a new one opened for the next call), so one stuck system cannot stall the
whole run.
"""

from __future__ import annotations

import io
import threading
import time
from typing import Any

import attrs
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv

from bench.datagen import SQL_COLUMNS

COPY_CHUNK_ROWS = 50_000


def copy_text_chunks(table: pa.Table) -> list[bytes]:
    """The table as PostgreSQL COPY text format (tab separated), in ~50k-row chunks.

    The generated data has no tabs, backslashes, newlines or NULLs, so pyarrow's
    unquoted tab-separated output is exactly the text format.
    """
    options = pacsv.WriteOptions(include_header=False, delimiter="\t", quoting_style="none")
    chunks = []
    for offset in range(0, table.num_rows, COPY_CHUNK_ROWS):
        sink = io.BytesIO()
        pacsv.write_csv(table.slice(offset, COPY_CHUNK_ROWS), sink, options)
        chunks.append(sink.getvalue())
    return chunks


def create_table_sql(name: str, table_name: str | None = None) -> str:
    cols = ", ".join(f"{col} {sql_type} NOT NULL" for col, sql_type in SQL_COLUMNS[name])
    return f"CREATE TABLE {table_name or name} ({cols})"


@attrs.define
class PgWireSystem:
    """Connection details of a running PG-wire server plus a reusable connection."""

    name: str
    host: str
    port: int
    user: str
    database: str
    _conn: psycopg.Connection | None = None

    def dsn(self, **options: str) -> str:
        dsn = f"host={self.host} port={self.port} user={self.user} dbname={self.database} connect_timeout=10"
        if options:
            opts = " ".join(f"-c {k}={v}" for k, v in options.items())
            dsn += f" options='{opts}'"
        return dsn

    def connect(self, **options: str) -> psycopg.Connection:
        return psycopg.connect(self.dsn(**options), autocommit=True)

    def conn(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            self._conn = self.connect()
        return self._conn

    def abandon(self) -> None:
        """Forget the current connection (after a timeout); the next call opens a new one."""
        old, self._conn = self._conn, None
        if old is not None:
            threading.Thread(target=_close_quietly, args=(old,), daemon=True).start()

    def run(self, sql: str, timeout: float, params: Any = None) -> list[tuple]:
        """Execute one statement and fetch all rows, within `timeout` seconds."""
        return self._with_deadline(lambda conn: _execute(conn, sql, params), timeout)

    def timed(self, sql: str, timeout: float) -> tuple[float, list[tuple]]:
        """Seconds to execute `sql` and fetch every row, and the rows."""
        def work(conn: psycopg.Connection) -> tuple[float, list[tuple]]:
            started = time.perf_counter()
            rows = _execute(conn, sql, None)
            return time.perf_counter() - started, rows

        return self._with_deadline(work, timeout)

    def copy_in(self, table: str, chunks: list[bytes], timeout: float, progress=None) -> float:
        """COPY table FROM STDIN with pre-encoded text chunks; returns the seconds it took."""
        def work(conn: psycopg.Connection) -> float:
            started = time.perf_counter()
            with conn.cursor() as cur, cur.copy(f"COPY {table} FROM STDIN") as copy:
                for chunk in chunks:
                    copy.write(chunk)
                    if progress is not None:
                        progress.advance(chunk.count(b"\n"))
            return time.perf_counter() - started

        return self._with_deadline(work, timeout)

    def _with_deadline(self, work, timeout: float):
        conn = self.conn()
        outcome: dict[str, Any] = {}

        def target() -> None:
            try:
                outcome["value"] = work(conn)
            except BaseException as exc:
                outcome["error"] = exc

        thread = threading.Thread(target=target, daemon=True)
        thread.start()
        thread.join(timeout)
        if thread.is_alive():
            try:
                conn.cancel_safe(timeout=5)
            except Exception:
                pass
            thread.join(10)
            if thread.is_alive():
                self.abandon()
            raise TimeoutError(f"no answer within {timeout:.0f}s (cancelled)")
        if "error" in outcome:
            if conn.broken or conn.closed:
                self.abandon()
            elif conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
                try:
                    conn.rollback()
                except Exception:
                    self.abandon()
            raise outcome["error"]
        return outcome["value"]

    def close(self) -> None:
        if self._conn is not None:
            _close_quietly(self._conn)
            self._conn = None


def _execute(conn: psycopg.Connection, sql: str, params: Any) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchall() if cur.description is not None else []


def _close_quietly(conn: psycopg.Connection) -> None:
    try:
        conn.close()
    except Exception:
        pass
