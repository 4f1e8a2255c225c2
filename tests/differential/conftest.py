"""Fixtures for differential tests: a real PostgreSQL 15 started for the session, and HeliosDB.

The PostgreSQL cluster is created with initdb in a temporary directory (locale C.UTF-8: text
sorts by code point like HeliosDB and upper()/lower() know Unicode; TimeZone UTC), listens on a
free loopback port, and is stopped and removed when the session ends. Running as root, the
cluster runs as the 'postgres' system user (initdb refuses root).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("HELIOS_PG_BIN", "/usr/lib/postgresql/15/bin"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_pg_user() -> list[str]:
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser") is None:
        pytest.skip("running as root needs runuser to start PostgreSQL as the postgres user")
    try:
        import pwd

        pwd.getpwnam("postgres")
    except KeyError:
        pytest.skip("running as root needs a 'postgres' system user to run PostgreSQL")
    return ["runuser", "-u", "postgres", "--"]


@pytest.fixture(scope="session")
def postgres_dsn() -> Iterator[str]:
    """conninfo of a throwaway PostgreSQL 15 cluster on 127.0.0.1 (skipped when not installed)."""
    if not (PG_BIN / "initdb").exists() or not (PG_BIN / "pg_ctl").exists():
        pytest.skip(f"PostgreSQL 15 binaries not found in {PG_BIN} (Debian package postgresql-15)")
    pytest.importorskip("psycopg", reason="psycopg is needed to talk to the reference PostgreSQL")
    prefix = _as_pg_user()
    tmp = Path(tempfile.mkdtemp(prefix="helios-diffpg-"))
    if prefix:
        shutil.chown(tmp, "postgres")
    data = tmp / "data"
    port = _free_port()
    subprocess.run([*prefix, str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                    "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], check=True, capture_output=True)
    opts = (f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c timezone=UTC -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=20")
    subprocess.run([*prefix, str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(tmp / "log"),
                    "-w", "-t", "60", "start"], check=True, capture_output=True)
    try:
        yield f"host=127.0.0.1 port={port} user=postgres dbname=postgres"
    finally:
        subprocess.run([*prefix, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                       check=False, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def helios_wire_dsn(tmp_path_factory) -> Iterator[str]:
    """A real ``helios serve`` (PostgreSQL protocol only) for one test module's psycopg script
    (wire_script.assert_script_agrees)."""
    from helios_core.testing import start_server

    server = start_server(tmp_path_factory.mktemp("wire-script"), only=["postgres"])
    try:
        yield server.pg_dsn()
    finally:
        server.stop()


def _load_differential_module():
    """test_differential.py as a module (the folder is not a package): its Postgres and Helios runners."""
    spec = importlib.util.spec_from_file_location("helios_difftest", Path(__file__).with_name("test_differential.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def assert_steps_agree():
    """test_differential.py's ``assert_steps_agree(pg, hx, steps)``: each statement in order on both
    systems, the same rows (and column types) or the same SQLSTATE at every step."""
    return _load_differential_module().assert_steps_agree


@pytest.fixture(scope="module")
def systems(request, postgres_dsn):
    """(PostgreSQL, HeliosDB) runners with the test module's SETUP statements run on both (each must
    succeed) and its CLEANUP statements run on PostgreSQL at the end (HeliosDB's server is throwaway).
    A module that needs another setup defines its own ``systems``."""
    difftest = _load_differential_module()
    pg = difftest.Postgres(postgres_dsn)
    hx = difftest.Helios()
    for sql in getattr(request.module, "SETUP", []):
        for system in (pg, hx):
            out = system.run(sql)
            assert out.sqlstate is None, (sql, out.detail)
    yield pg, hx
    for sql in getattr(request.module, "CLEANUP", []):
        pg.run(sql)
    pg.close()
