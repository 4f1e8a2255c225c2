"""Bytes on disk for the same TPC-H data, right after loading it.

PostgreSQL: pg_total_relation_size of the three tables (heap, TOAST, free-space and
visibility maps; no indexes are created). DuckDB: growth of its database file after a
CHECKPOINT. HeliosDB: growth of its data directory after CHECKPOINT, which includes
its WAL and catalog (so it is an upper bound for the table data).
"""

from __future__ import annotations

from bench.context import BenchContext, dir_bytes
from bench.datagen import TABLES
from bench.measure import Row, describe_error


def run(ctx: BenchContext) -> None:
    ctx.ensure_loaded()
    row = Row("storage", "bytes on disk, TPC-H tables", "MB", False)
    ctx.rows.append(row)
    mb = 1024 * 1024
    for name in ("helios", "postgres", "duckdb"):
        why = ctx.unavailable(name, needs_data=True)
        if why:
            row.cell(name).error = why
            continue
        try:
            if name == "postgres":
                names = ", ".join(f"'{t}'" for t in TABLES)
                sql = f"SELECT sum(pg_total_relation_size(oid))::bigint FROM pg_class WHERE relname IN ({names})"
                row.cell(name).samples.append(ctx.postgres.run(sql, timeout=60)[0][0] / mb)
            elif name == "duckdb":
                row.cell(name).samples.append((ctx.duck.bytes_on_disk() - ctx.baseline_bytes["duckdb"]) / mb)
            elif ctx.helios_server is None:
                row.cell(name).error = "data dir unknown: server not started by the bench (--helios-at)"
            else:
                try:
                    ctx.helios.run("CHECKPOINT", timeout=ctx.settings.load_timeout)
                    note = "data dir growth after CHECKPOINT (incl. WAL)"
                except Exception as exc:
                    note = f"data dir growth incl. WAL; CHECKPOINT failed: {describe_error(exc)[:80]}"
                if any("no persistent storage tier" in w for w in ctx.helios_server.warnings()):
                    raise RuntimeError("no persistent storage tier installed: the server keeps data in memory")
                grown = dir_bytes(ctx.helios_server.data_dir) - ctx.baseline_bytes.get("helios", 0)
                row.cell(name).samples.append(grown / mb)
                row.cell(name).note = note
        except Exception as exc:
            row.cell(name).error = describe_error(exc)
