"""A private PostgreSQL 15 cluster for one bench run: initdb in a temp dir, loopback only.

Settings that differ from initdb's defaults: shared_buffers=1GB (as the issue asks),
max_wal_size=4GB (so bulk loads are not dominated by forced checkpoints; a routine
production setting), fsync and synchronous_commit left on. The cluster is stopped and
its directory removed at the end of the run (see bench.lifecycle).
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import tempfile

import attrs

from bench import lifecycle
from bench.netports import free_port
from bench.progress import say

PG_BIN = pathlib.Path("/usr/lib/postgresql/15/bin")
SUPERUSER = "postgres"
DATABASE = "bench"


def ensure_installed() -> None:
    """Install Debian's postgresql-15 when its binaries are missing (needs root)."""
    if (PG_BIN / "initdb").exists():
        return
    if os.geteuid() != 0:
        raise RuntimeError(f"{PG_BIN}/initdb missing; install Debian's postgresql-15 package")
    say("postgres: installing Debian package postgresql-15")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["apt-get", "install", "-y", "postgresql-15", "postgresql-client-15"], check=True,
                   env=env, stdout=subprocess.DEVNULL)


def _as_postgres(cmd: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres OS user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@attrs.define
class PgCluster:
    """A running cluster: connect with host=127.0.0.1 port=`port` user=postgres dbname=bench."""

    root: pathlib.Path
    port: int
    user: str = SUPERUSER
    database: str = DATABASE
    host: str = "127.0.0.1"
    running: bool = False

    @property
    def data_dir(self) -> pathlib.Path:
        return self.root / "data"

    @classmethod
    def start(cls, port: int | None = None) -> PgCluster:
        """``port``: the one to listen on (default: a free one)."""
        ensure_installed()
        root = pathlib.Path(tempfile.mkdtemp(prefix="helios-bench-pg-"))
        cluster = cls(root=root, port=port or free_port())
        lifecycle.on_exit("postgres", cluster.stop)
        if os.geteuid() == 0:
            shutil.chown(root, "postgres", "postgres")
        subprocess.run(_as_postgres([str(PG_BIN / "initdb"), "-D", str(cluster.data_dir), "-U", SUPERUSER,
                                     "--auth=trust", "-E", "UTF8", "--no-locale"]),
                       check=True, capture_output=True, text=True)
        with open(cluster.data_dir / "postgresql.conf", "a") as conf:
            conf.write(
                f"\n# helios bench\nport = {cluster.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{root}'\nshared_buffers = '1GB'\nfsync = on\n"
                "synchronous_commit = on\nmax_wal_size = '4GB'\nmax_connections = 100\n"
            )
        result = subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(cluster.data_dir), "-l", str(root / "log"),
                          "-w", "-t", "60", "start"]), check=False, capture_output=True, text=True)
        if result.returncode != 0:
            log = (root / "log").read_text() if (root / "log").exists() else ""
            raise RuntimeError(f"postgres did not start: {result.stderr.strip()} {log[-500:]}")
        cluster.running = True
        subprocess.run([str(PG_BIN / "createdb"), "-h", cluster.host, "-p", str(cluster.port),
                        "-U", SUPERUSER, DATABASE], check=True, capture_output=True, text=True)
        say(f"postgres: private cluster on 127.0.0.1:{cluster.port} ({cluster.data_dir})")
        return cluster

    def stop(self) -> None:
        if self.running:
            self.running = False
            subprocess.run(_as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast",
                                         "-w", "-t", "60", "stop"]), check=False, capture_output=True)
            pid_file = self.data_dir / "postmaster.pid"
            if pid_file.exists():  # pg_ctl failed: stop the postmaster we started ourselves
                pid = int(pid_file.read_text().split()[0])
                try:
                    os.kill(pid, 9)
                except ProcessLookupError:
                    pass
        shutil.rmtree(self.root, ignore_errors=True)

    def version(self) -> str:
        out = subprocess.run([str(PG_BIN / "postgres"), "--version"], check=False, capture_output=True, text=True)
        return out.stdout.strip()
