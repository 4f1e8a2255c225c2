"""pgbench -S through a transaction pooler: HeliosDB's built-in one beside PostgreSQL 15 behind PgBouncer.

    python -m bench.pgbench_pooling --seconds 10 --clients 100,1000 --pool-size 20

Starts a private PostgreSQL 15 cluster, a real PgBouncer in front of it (``pool_mode =
transaction``, ``default_pool_size`` = --pool-size) and ``helios serve`` twice: once with
``pool_mode = "transaction"`` (``pool_size`` = --pool-size) and once in the default session mode
for the direct row. Both systems are initialised with ``pgbench -i -I dtgp`` (no VACUUM), then
each pair of runs goes HeliosDB first, PostgreSQL right after, so a ratio compares neighbours
in time on a shared machine: the direct row (``-c 8``, no pooler) and one row per client count
through the poolers (``-M simple``: PgBouncer 1.18 keeps no prepared statements across
transactions). HeliosDB's server CPU per transaction (``/proc/PID/stat``) is printed beside, as
wall-time rates move with the machine's load. PgBouncer must be installed (Debian's
``pgbouncer``; installed here with apt-get when running as root); without it the run stops and
says so. The open-files limit is raised to its hard limit (1,000 clients are 1,000 sockets at
the client, at the pooler and, for HeliosDB, in the server).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import re
import resource
import shutil
import subprocess
import sys
import tempfile

from helios_core.testing import start_server

from bench import lifecycle
from bench.netports import free_port, wait_for_port
from bench.pg_cluster import PG_BIN, PgCluster
from bench.process_cpu import cpu_seconds
from bench.progress import say

TPS_RE = re.compile(r"tps = ([0-9.]+) \(without initial connection time\)")
DONE_RE = re.compile(r"number of transactions actually processed: (\d+)")
FAILED_RE = re.compile(r"number of failed transactions: (\d+)")
PGBENCH = str(PG_BIN / "pgbench") if (PG_BIN / "pgbench").exists() else (shutil.which("pgbench") or "pgbench")


def pgbouncer_binary() -> str | None:
    """Debian's pgbouncer, installed with apt-get when missing and running as root; None: unavailable."""
    found = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else None)
    if found or os.geteuid() != 0:
        return found
    say("pgbouncer: installing Debian package pgbouncer")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "install", "-y", "pgbouncer"], check=False, env=env, capture_output=True)
    return shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else None)


def start_pgbouncer(binary: str, cluster: PgCluster, pool_size: int, max_clients: int) -> tuple[int, subprocess.Popen]:
    """PgBouncer on a free loopback port in transaction mode, in front of ``cluster`` (trust auth)."""
    root = pathlib.Path(tempfile.mkdtemp(prefix="helios-bench-pgbouncer-"))
    port = free_port()
    (root / "userlist.txt").write_text(f'"{cluster.user}" ""\n')
    (root / "pgbouncer.ini").write_text(
        "[databases]\n"
        f"{cluster.database} = host={cluster.host} port={cluster.port} dbname={cluster.database}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"admin_users = postgres\nauth_type = trust\nauth_file = {root / 'userlist.txt'}\n"
        f"pool_mode = transaction\ndefault_pool_size = {pool_size}\nmax_client_conn = {max_clients}\n"
        f"logfile = {root / 'pgbouncer.log'}\nignore_startup_parameters = extra_float_digits\n"
        "log_connections = 0\nlog_disconnections = 0\n")
    # PgBouncer refuses to run as root; its open-files limit must hold every client socket
    cmd = ["sh", "-c", f'ulimit -n {max_clients + 256} 2>/dev/null; exec "{binary}" "{root / "pgbouncer.ini"}"']
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
        for f in root.iterdir():
            shutil.chown(f, "postgres", "postgres")
        cmd = ["runuser", "-u", "postgres", "--", *cmd]
    # its log goes to the file: a pipe nobody reads would stop it once 64 KB of log lines fill it
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop() -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(root, ignore_errors=True)

    lifecycle.on_exit("pgbouncer", stop)
    if not wait_for_port(port, 20, alive=lambda: proc.poll() is None):
        log = (root / "pgbouncer.log").read_text() if (root / "pgbouncer.log").exists() else ""
        raise RuntimeError(f"pgbouncer did not start: {log[-400:]}")
    return port, proc


def pgbench(port: int, user: str, database: str, args: list[str], timeout: float) -> str:
    env = dict(os.environ, PGCONNECT_TIMEOUT="30")
    out = subprocess.run([PGBENCH, "-h", "127.0.0.1", "-p", str(port), "-U", user, *args, database],
                         capture_output=True, text=True, timeout=timeout, env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"pgbench {' '.join(args)} exited {out.returncode}: {out.stderr.strip()[-300:]}")
    failed = FAILED_RE.search(out.stdout)
    if failed and int(failed.group(1)):
        raise RuntimeError(f"pgbench: {failed.group(1)} failed transactions")
    return out.stdout


def select_only(port: int, user: str, database: str, clients: int, seconds: int, pid: int | None = None,
                ) -> tuple[float, float | None]:
    """pgbench -S for ``seconds``: (tps, server CPU µs per transaction when ``pid`` is given)."""
    jobs = min(clients, 4)
    before = cpu_seconds(pid) if pid else 0.0
    out = pgbench(port, user, database, ["-n", "-S", "-M", "simple", "-c", str(clients), "-j", str(jobs),
                                         "-T", str(seconds)], timeout=seconds + 300)
    cpu = (cpu_seconds(pid) - before) if pid else None
    tps = float(TPS_RE.search(out).group(1))
    done = int(DONE_RE.search(out).group(1))
    return tps, (cpu * 1e6 / done if cpu is not None and done else None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--clients", default="100,1000", help="client counts through the poolers")
    parser.add_argument("--pool-size", type=int, default=20)
    parser.add_argument("--scale", type=int, default=1)
    args = parser.parse_args()
    counts = [int(c) for c in args.clients.split(",")]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    say(f"open files: soft limit {soft} raised to {want} (hard {hard})")
    bouncer = pgbouncer_binary()
    if bouncer is None:
        sys.exit("pgbench_pooling: PgBouncer is not installed (Debian package pgbouncer); nothing measured")
    version = subprocess.run([bouncer, "--version"], capture_output=True, text=True, check=False).stdout
    cluster = PgCluster.start()
    pg_port, _ = start_pgbouncer(bouncer, cluster, args.pool_size, max(counts) + 100)
    pgbench(cluster.port, cluster.user, cluster.database, ["-i", "-I", "dtgp", "-s", str(args.scale), "-q"], 600)
    rows = []
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="helios-bench-pgbench-pool-"))
    direct = start_server(workdir / "direct", only=["postgres"])
    lifecycle.on_exit("helios direct", direct.stop)
    try:
        port = direct.port("postgres")
        pgbench(port, "helios", "helios", ["-i", "-I", "dtgp", "-s", str(args.scale), "-q"], 900)
        h = select_only(port, "helios", "helios", 8, args.seconds, direct.process.pid)
        p = select_only(cluster.port, cluster.user, cluster.database, 8, args.seconds)
        rows.append(("8, direct (no pooler)", h, p))
    finally:
        direct.stop()
    pooled = start_server(workdir / "pooled", {"protocols": {"postgres": {
        "pool_mode": "transaction", "pool_size": args.pool_size, "max_client_conn": max(counts) + 100}}},
        only=["postgres"])
    lifecycle.on_exit("helios pooled", pooled.stop)
    try:
        port = pooled.port("postgres")
        pgbench(port, "helios", "helios", ["-i", "-I", "dtgp", "-s", str(args.scale), "-q"], 900)
        for clients in counts:
            h = select_only(port, "helios", "helios", clients, args.seconds, pooled.process.pid)
            p = select_only(pg_port, cluster.user, cluster.database, clients, args.seconds)
            rows.append((f"{clients}, through the pooler", h, p))
    finally:
        pooled.stop()
        lifecycle.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"pgbench -S -M simple, -T {args.seconds}, scale {args.scale}, pool size {args.pool_size}; "
          f"{cluster.version()}, {version.strip().splitlines()[0] if version else 'pgbouncer'}; "
          f"open files {want}")
    print("| clients | HeliosDB tps | PostgreSQL 15 tps | ratio | HeliosDB server CPU µs/txn |")
    print("|---|---|---|---|---|")
    for label, (htps, hcpu), (ptps, _) in rows:
        print(f"| {label} | {htps:,.0f} | {ptps:,.0f} | {htps / ptps:.3f} | {hcpu:,.0f} |")


if __name__ == "__main__":
    main()
