"""pgbench and PgBouncer (the Debian binaries) in front of a real ``helios serve``.

pgbench runs at scale 1 and for a few seconds to keep the suite fast; the issue's
``-i -s 10`` / ``-T 30`` runs are the same commands with bigger numbers (see bench/).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

PGBENCH = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def _pgbench(pg_server, *args: str, port: int | None = None) -> str:
    env = dict(os.environ, PGHOST=pg_server.host, PGPORT=str(port or pg_server.port("postgres")), PGUSER="helios")
    proc = subprocess.run([PGBENCH, *args, "helios"], check=False, capture_output=True, text=True, env=env,
                          timeout=240)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def _failed_and_tps(out: str) -> tuple[int, float]:
    failed = int(re.search(r"number of failed transactions: (\d+)", out).group(1))
    tps = float(re.search(r"tps = ([0-9.]+)", out).group(1))
    return failed, tps


@pytest.mark.skipif(not os.path.exists(PGBENCH), reason="needs pgbench (postgresql-contrib / postgresql-15)")
def test_pgbench_init_tpcb_select_only_and_prepared(pg_server) -> None:
    out = _pgbench(pg_server, "-i", "-s", "1")
    assert "done in" in out
    with psycopg.connect(pg_server.pg_dsn()) as conn:
        assert conn.execute("select count(*) from pgbench_accounts").fetchone() == (100000,)
        assert conn.execute("select count(*) from pgbench_branches").fetchone() == (1,)
    for args in (["-c", "8", "-j", "2", "-T", "2"],
                 ["-S", "-c", "8", "-j", "2", "-T", "2"],
                 ["-S", "-M", "prepared", "-c", "8", "-j", "2", "-T", "2"],
                 ["-M", "prepared", "-c", "4", "-j", "2", "-T", "2"]):
        failed, tps = _failed_and_tps(_pgbench(pg_server, *args))
        assert failed == 0, args
        assert tps > 0, args
    with psycopg.connect(pg_server.pg_dsn()) as conn:
        # every TPC-B transaction moved money between consistent totals
        branches, tellers, accounts = conn.execute(
            "select (select sum(bbalance) from pgbench_branches), (select sum(tbalance) from pgbench_tellers), "
            "(select sum(abalance) from pgbench_accounts)").fetchone()
        assert branches == tellers == accounts


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not os.path.exists(PGBOUNCER), reason="needs pgbouncer (Debian package)")
def test_pgbouncer_transaction_mode_serves_psycopg(pg_server) -> None:
    # PgBouncer refuses to run as root: it drops to "nobody" (-u), which must reach its files
    tmp_path = Path(tempfile.mkdtemp(prefix="helios-pgbouncer-"))
    tmp_path.chmod(0o777)
    try:
        _run_pgbouncer(pg_server, tmp_path)
    finally:
        shutil.rmtree(tmp_path, ignore_errors=True)


def _run_pgbouncer(pg_server, tmp_path: Path) -> None:
    port = _free_port()
    (tmp_path / "users.txt").write_text('"helios" ""\n')
    ini = tmp_path / "pgbouncer.ini"
    ini.write_text(f"""[databases]
helios = host={pg_server.host} port={pg_server.port("postgres")} dbname=helios user=helios

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
auth_type = trust
auth_file = {tmp_path / "users.txt"}
pool_mode = transaction
default_pool_size = 4
max_client_conn = 50
unix_socket_dir =
logfile = {tmp_path / "pgbouncer.log"}
pidfile = {tmp_path / "pgbouncer.pid"}
ignore_startup_parameters = extra_float_digits,options
""")
    for f in (ini, tmp_path / "users.txt"):
        f.chmod(0o644)
    as_user = ["-u", "nobody"] if os.geteuid() == 0 else []
    proc = subprocess.Popen([PGBOUNCER, *as_user, str(ini)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        dsn = f"host=127.0.0.1 port={port} user=helios dbname=helios"
        deadline = time.monotonic() + 15
        while True:
            try:
                probe = psycopg.connect(dsn, connect_timeout=2)
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        probe.close()
        # transaction pooling: no server-side prepared statements across transactions
        conns = [psycopg.connect(dsn, autocommit=True, prepare_threshold=None) for _ in range(10)]
        conns[0].execute("drop table if exists bouncer_t")
        conns[0].execute("create table bouncer_t (id int primary key, who int)")
        for i, c in enumerate(conns):
            c.execute("insert into bouncer_t values (%s, %s)", (i, i))
        with conns[3].transaction():
            conns[3].execute("update bouncer_t set who = 99 where id = 3")
            assert conns[3].execute("select who from bouncer_t where id = 3").fetchone() == (99,)
        assert conns[7].execute("select count(*), sum(who) from bouncer_t").fetchone() == (10, 45 - 3 + 99)
        for c in conns:
            c.close()
        out = _pgbench(pg_server, "-S", "-c", "8", "-j", "2", "-T", "2", port=port) if os.path.exists(PGBENCH) \
            else ""
        if out:
            assert _failed_and_tps(out)[0] == 0
    finally:
        proc.terminate()
        proc.wait(10)
