"""WAL archiving and point-in-time recovery from moto_server (S3): recovery time, archive lag,
compression ratio.

    python -m bench.wal_archive                      # TPC-H-shaped scale 1 + 10 min of pgbench TPC-B
    python -m bench.wal_archive --scale 0.1 --pgbench-seconds 60

What it does: starts moto_server and ``helios serve`` archiving to it; loads the TPC-H-shaped
tables (COPY) and pgbench's tables (``pgbench -i``); takes a backup (``helios backup create``);
runs pgbench TPC-B at ``--clients`` while sampling ``heliosdb.wal_archive_status`` every second;
waits until the archive has everything, SIGKILLs the server; then times ``helios restore
--to-latest`` into an empty directory (downloading the backup, the WAL, replaying it) and reports
the archived bytes against the WAL bytes written, lag maxima, restore seconds and replayed MB/s.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import signal
import subprocess
import tempfile
import time
import urllib.request

import psycopg
from helios_core.testing import helios_command, start_server
from helios_storage_object.backends import open_backend
from helios_storage_object.testing import MotoS3

from bench import datagen, pgwire

PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"


def run(cmd: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    out = subprocess.run(cmd, check=False, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed ({out.returncode}): {out.stderr[-2000:]}")
    return out


def load_tpch(conn: psycopg.Connection, scale: float) -> int:
    rows = 0
    for name, table in datagen.load_tables(scale).items():
        conn.execute(pgwire.create_table_sql(name))
        with conn.cursor() as cur, cur.copy(f"COPY {name} FROM STDIN") as copy:
            for chunk in pgwire.copy_text_chunks(table):
                copy.write(chunk)
        rows += table.num_rows
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="TPC-H-shaped scale (default 1)")
    ap.add_argument("--pgbench-scale", type=int, default=1)
    ap.add_argument("--pgbench-seconds", type=int, default=600)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--archive-timeout", default="5s")
    args = ap.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="helios-bench-archive-"))
    with MotoS3(str(work / "moto")) as moto:
        archiving = {"enabled": True, "primary_backend": "s3", "archive_timeout": args.archive_timeout}
        config = {"metrics": {"enabled": True, "port": 0},
                  "storage": {"wal_archiving": archiving, "s3": moto.section("bench")}}
        server = start_server(work / "server", config, only=["postgres"], timeout=120)
        try:
            port = server.port("postgres")
            dsn = server.pg_dsn()
            started = time.perf_counter()
            with psycopg.connect(dsn, autocommit=True) as conn:
                tpch_rows = load_tpch(conn, args.scale)
            load_s = time.perf_counter() - started
            pg_env = {"PGHOST": "127.0.0.1", "PGPORT": str(port), "PGUSER": "helios", "PGDATABASE": "helios"}
            run([PGBENCH, "-i", "-s", str(args.pgbench_scale), "-q"], pg_env)
            backup = run([*helios_command(), "backup", "create", "--config", str(server.config_path), "--quiet"])
            lag_b = lag_s = 0.0
            proc = subprocess.Popen([PGBENCH, "-c", str(args.clients), "-j", "2", "-T", str(args.pgbench_seconds),
                                     "-n"], env={**os.environ, **pg_env}, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
            with psycopg.connect(dsn, autocommit=True) as conn:
                while proc.poll() is None:
                    for _b, lb, ls in conn.execute("select backend, lag_bytes, lag_seconds "
                                                   "from heliosdb.wal_archive_status"):
                        lag_b, lag_s = max(lag_b, lb), max(lag_s, ls)
                    time.sleep(1.0)
                out = proc.stdout.read() if proc.stdout else ""
                tps = re.search(r"tps = ([\d.]+)", out)
                deadline = time.monotonic() + 120
                while True:
                    (pending,) = conn.execute("select max(lag_bytes) from heliosdb.wal_archive_status").fetchone()
                    if pending == 0 or time.monotonic() > deadline:
                        break
                    time.sleep(0.2)
            scrape = urllib.request.urlopen(f"http://127.0.0.1:{server.port('metrics')}/metrics", timeout=10).read()
            counters = {m[2]: float(m[3]) for m in re.finditer(
                rb'(helios_wal_archive_(wal|shipped)_bytes_total)\{backend="s3"\} ([0-9.e+]+)', scrape)}
        finally:
            server.stop(signal.SIGKILL)  # the crash the restore recovers from; also on a failure
        s3 = open_backend("s3", moto.section("bench"))
        wal_keys = s3.list("wal/")
        target = work / "restored"
        started = time.perf_counter()
        res = run([*helios_command(), "restore", "--config", str(server.config_path), "--to-latest",
                   "--data-dir", str(target), "--quiet"])
        restore_s = time.perf_counter() - started
        wal_written, wal_shipped = counters.get(b"wal", 0.0), counters.get(b"shipped", 0.0)
        metrics = {
            "tpch_scale": args.scale, "tpch_rows": tpch_rows, "load_seconds": round(load_s, 1),
            "pgbench_seconds": args.pgbench_seconds, "clients": args.clients,
            "tps": float(tps.group(1)) if tps else None,
            "backup": backup.stdout.strip(),
            "wal_files_archived": len(wal_keys), "wal_mb_written": round(wal_written / 1e6, 2),
            "wal_mb_archived": round(wal_shipped / 1e6, 2),
            "compression_ratio": round(wal_written / wal_shipped, 2) if wal_shipped else None,
            "max_lag_bytes": int(lag_b), "max_lag_seconds": round(lag_s, 2),
            "restore_seconds": round(restore_s, 1), "restore_output": res.stdout.strip(),
            "replayed_wal_mb_per_s": round(wal_written / 1e6 / restore_s, 2),
        }
    print(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main()
