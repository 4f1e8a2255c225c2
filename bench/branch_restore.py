"""heliosdb.restore_branch from the WAL archive on moto_server (S3): one tenant of many, past local
retention, against a whole-server ``helios restore`` to the same time.

    python -m bench.branch_restore                      # 100 tenant branches, 20,000 shared rows
    python -m bench.branch_restore --tenants 20 --rows 2000

What it does: starts moto_server and ``helios serve`` (``[storage] retention`` 2 s) archiving to it;
loads a table on main, forks ``--tenants`` branches and writes ``--tenant-rows`` rows on each;
CHECKPOINT and ``helios backup create``; changes every tenant again, notes T, changes them after T;
waits until the archive has everything and T is past retention; then times ``SELECT
heliosdb.restore_branch('tenant_1', T, ...)`` (wall and the server's CPU seconds from
/proc/PID/stat) and ``helios restore --to-time T`` of the whole server, checks the restored
branch's rows, and reports the backup's segment bytes the branch restore needed against all of them.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import pathlib
import subprocess
import tempfile
import time

import psycopg
from helios_core import cli
from helios_core.archiving.objects import unseal
from helios_core.testing import helios_command, start_server
from helios_storage_object.backends import open_backend
from helios_storage_object.testing import MotoS3

RETENTION = 2.0


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def on(conn: psycopg.Connection, branch: str, sql: str, params: tuple = ()) -> None:
    conn.execute(f"set heliosdb.branch = '{branch}'")
    conn.execute(sql, params)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tenants", type=int, default=100)
    ap.add_argument("--rows", type=int, default=20_000, help="rows of the shared table on main")
    ap.add_argument("--tenant-rows", type=int, default=2_000, help="rows each tenant writes itself")
    args = ap.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="helios-bench-branch-restore-"))
    tenants = [f"tenant_{i}" for i in range(args.tenants)]
    with MotoS3(str(work / "moto")) as moto:
        config = {"storage": {"retention": f"{RETENTION}s", "s3": moto.section("bench"),
                              "wal_archiving": {"enabled": True, "primary_backend": "s3", "archive_timeout": "1s"}}}
        server = start_server(work / "server", config, only=["postgres"], timeout=120)
        try:
            with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
                conn.execute("create table acct (id bigint primary key, balance bigint, note text)")
                conn.execute("insert into acct select g, g, 'shared ' || g from generate_series(1, %s) g",
                             (args.rows,))
                load = time.perf_counter()
                for i, t in enumerate(tenants):
                    conn.execute(f"create branch {t} from main")
                    base = args.rows + 1 + i * args.tenant_rows
                    on(conn, t, "insert into acct select g, g, 'own' from generate_series(%s, %s) g",
                       (base, base + args.tenant_rows - 1))
                load_s = time.perf_counter() - load
                conn.execute("set heliosdb.branch = 'main'")
                conn.execute("checkpoint")
                subprocess.run([*helios_command(), "backup", "create", "--config", str(server.config_path),
                                "--quiet"], check=True, capture_output=True)
                for t in tenants:
                    on(conn, t, "update acct set balance = balance + 1 where id %% 10 = 0")
                (at,) = conn.execute("select now()").fetchone()
                time.sleep(0.05)
                conn.execute("set heliosdb.branch = 'tenant_1'")
                expected = conn.execute("select count(*), sum(balance) from acct").fetchone()
                for t in tenants:
                    on(conn, t, "delete from acct where id %% 3 = 0")
                deadline = time.monotonic() + 300
                while conn.execute("select max(lag_bytes) from heliosdb.wal_archive_status").fetchone()[0] and \
                        time.monotonic() < deadline:
                    time.sleep(0.2)
                time.sleep(RETENTION + 0.5)
                conn.execute("set heliosdb.branch = 'main'")
                pid = server.process.pid
                cpu0, wall0 = cpu_seconds(pid), time.perf_counter()
                conn.execute("select heliosdb.restore_branch('tenant_1', %s, 'tenant_1_back')", (at,))
                branch_wall, branch_cpu = time.perf_counter() - wall0, cpu_seconds(pid) - cpu0
                conn.execute("set heliosdb.branch = 'tenant_1_back'")
                got = conn.execute("select count(*), sum(balance) from acct").fetchone()
        finally:
            server.stop()
        s3 = open_backend("s3", moto.section("bench"))
        backups = [json.loads(unseal(k, s3.get(k))) for k in s3.list("backups/") if k.endswith("backup.json")]
        newest = max(backups, key=lambda b: b["start_ts"])
        sizes = {}
        for layer in newest["manifest"]["layers"] if newest["manifest"] else []:
            for entry in layer["segments"]:
                sizes[entry[1]] = (layer["b"], s3.size(newest["segments"][entry[1]]))
        branch_ids = {b["name"]: b["id"] for bs in newest["manifest"]["dbs"].values() for b in bs}
        needed = {branch_ids["main"], branch_ids["tenant_1"]}
        target = work / "restored"
        wall0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):  # in this process: no interpreter start in the figure
            status = cli.main(["restore", "--config", str(server.config_path), "--to-time", str(at),
                               "--data-dir", str(target), "--quiet"])
        whole_wall = time.perf_counter() - wall0
        assert status == 0, status
    print(json.dumps({
        "tenants": args.tenants, "rows": args.rows, "tenant_rows": args.tenant_rows, "load_seconds": round(load_s, 1),
        "rows_match": got == expected, "branch_restore_seconds": round(branch_wall, 2),
        "branch_restore_server_cpu_seconds": round(branch_cpu, 2), "whole_restore_seconds": round(whole_wall, 2),
        "backup_segment_mb": round(sum(s for _b, s in sizes.values()) / 1e6, 3),
        "branch_segment_mb": round(sum(s for b, s in sizes.values() if b in needed) / 1e6, 3),
    }, indent=2))


if __name__ == "__main__":
    main()
