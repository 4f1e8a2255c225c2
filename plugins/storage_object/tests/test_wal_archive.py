"""WAL archiving from a real ``helios serve`` to S3 (moto_server) as primary and GCS
(gcp-storage-emulator) as secondary, as the seed configures it: a workload with archiving on,
SIGKILL, then ``helios restore`` to a time (every commit acknowledged before it, none after), from
the secondary once the primary's bucket is gone, ``helios backup verify`` finding a flipped byte, a
corrupt WAL object named by the restore, a non-empty target refused, and
``heliosdb.restore_branch`` leaving the other branches alone.

The server runs on the seed's storage sections as its helios.toml writes them (buckets included),
plus only what reaches the test servers: endpoints, S3 test keys, a prefix and a short
archive_timeout."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import pathlib
import re
import signal
import subprocess
import time
import tomllib
import urllib.request
import uuid

import psycopg
import pytest
from helios_storage_nvme.tier import DiskTier
from helios_storage_object.archive import ObjectArchiver
from helios_storage_object.backends import open_backend

from helios_core import cli
from helios_core.archiving.repository import Repository
from helios_core.config import build_config
from helios_core.storage import Store
from helios_core.testing import start_server


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def helios(*argv: str, cwd) -> subprocess.CompletedProcess:
    """Run a ``helios`` command in this process (its argument parsing, output and exit status as
    the console script has them, without paying an interpreter start per call)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = cli.main(list(argv))
        except SystemExit as exc:  # argparse errors
            status = exc.code
    return subprocess.CompletedProcess(argv, status, out.getvalue(), err.getvalue())


def archive_status(conn) -> dict[str, tuple]:
    rows = conn.execute("select backend, last_segment, lag_bytes, lag_seconds, failures "
                        "from heliosdb.wal_archive_status").fetchall()
    return {r[0]: r[1:] for r in rows}


def wait_archived(conn, timeout: float = 20.0) -> dict[str, tuple]:
    deadline = time.monotonic() + timeout
    while True:
        status = archive_status(conn)
        if status and all(v[0] is not None and v[1] == 0 for v in status.values()):
            return status
        assert time.monotonic() < deadline, f"archive not caught up: {status}"
        time.sleep(0.1)


def served_ids(data_dir, workdir) -> list[int]:
    """The ids of table t as a server started on the restored directory answers them."""
    server = start_server(workdir, {"data_dir": str(data_dir)}, only=["postgres"])
    try:
        with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
            return [r[0] for r in conn.execute("select id from t order by id")]
    finally:
        server.stop()


def table_ids(data_dir, _workdir=None) -> list[int]:
    """The ids of table t in a restored directory, read through the storage kernel directly."""
    store = Store.open(str(data_dir), tier=DiskTier(str(data_dir), None))
    try:
        with store.begin("helios", read_only=True) as txn:
            return sorted(v for b in txn.scan("public", "t", columns=["id"]) for v in b.column("id").to_pylist())
    finally:
        store.close(checkpoint=False)


SEED = """
[storage]
compression = "zstd"
tier_hot_size = "500GB"
tier_warm_backend = "s3"

[storage.tiering]
inactive_threshold = "90d"
cold_storage_backend = "s3"

[storage.wal_archiving]
enabled = true
primary_backend = "s3"
secondary_backend = "gcs"
retention_days = 90
compression = "zstd"

[storage.s3]
region = "us-east-1"
bucket = "helios-archive"

[storage.gcs]
project = "helios-dr"
bucket = "helios-backup"
"""


def seed_config(moto, gcs, prefix: str) -> dict:
    """The seed's sections, reaching the test servers."""
    raw = tomllib.loads(SEED)
    storage = raw["storage"]
    storage["wal_archiving"]["archive_timeout"] = "200ms"
    keys = {k: v for k, v in moto.section().items() if k in ("access_key_id", "secret_access_key")}
    storage["s3"].update(endpoint=moto.endpoint, prefix=prefix, **keys)
    storage["gcs"].update(endpoint=gcs.endpoint, prefix=prefix)
    moto.make_bucket(storage["s3"]["bucket"])
    gcs.make_bucket(storage["gcs"]["bucket"])
    return raw


@pytest.fixture(scope="module")
def archived_run(moto_server, gcs_emulator, tmp_path_factory):
    """A server archiving to s3 + gcs ran a workload and was SIGKILLed; T splits its commits."""
    work = tmp_path_factory.mktemp("walarchive")
    prefix = f"a-{uuid.uuid4().hex[:8]}"
    config = seed_config(moto_server, gcs_emulator, prefix)
    server = start_server(work / "server", config, only=["postgres"])
    before, after = [], []
    try:
        with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
            conn.execute("create table t (id int primary key, note text)")
            backup = helios("backup", "create", "--config", str(server.config_path), "--quiet", cwd=work)
            assert backup.returncode == 0, backup.stderr
            backup_id = re.match(r"backup (\S+):", backup.stdout).group(1)
            for i in range(40):
                conn.execute("insert into t values (%s, 'x')", (i,))
                before.append(i)
            time.sleep(0.3)
            cut = utc_now()
            time.sleep(0.3)
            for i in range(40, 80):
                conn.execute("insert into t values (%s, 'y')", (i,))
                after.append(i)
            status = wait_archived(conn)
    finally:
        server.stop(signal.SIGKILL)  # a crash, as the scenario wants (and no server left behind on a failure)
    return {"work": work, "config": str(server.config_path), "cut": cut, "before": before, "after": after,
            "status": status, "prefix": prefix, "moto": moto_server, "sections": config["storage"],
            "backup_id": backup_id}


def backend(run, kind: str, prefix: str | None = None):
    """The run's [storage.<kind>] backend, under another prefix when given."""
    section = run["sections"][kind]
    return open_backend(kind, section if prefix is None else {**section, "prefix": prefix}, timeout=10.0)


def test_the_seed_sections_load_as_written_and_reach_both_buckets(archived_run):
    storage = build_config(tomllib.loads(SEED), {}).storage
    wal = storage.wal_archiving
    assert (wal.enabled, wal.backends, wal.retention_days, wal.compression) == (True, ["s3", "gcs"], 90, "zstd")
    assert (storage.gcs.project, storage.gcs.bucket, storage.s3.bucket) == ("helios-dr", "helios-backup",
                                                                           "helios-archive")
    assert (storage.tier_warm_backend, storage.tiering.cold_storage_backend) == ("s3", "s3")
    prefix = archived_run["prefix"]
    for kind in ("s3", "gcs"):  # each bucket, seen from its root, holds the WAL under the section's prefix
        names = backend(archived_run, kind, prefix="").list(prefix)
        assert any(n.startswith(f"{prefix}/wal/00000001/") for n in names), (kind, names[:5])


def test_status_rows_per_backend(archived_run):
    status = archived_run["status"]
    assert set(status) == {"s3", "gcs"}
    for last_segment, lag_bytes, _lag_s, _failures in status.values():
        assert last_segment.startswith("wal/00000001/") and lag_bytes == 0


def test_restore_to_time_after_sigkill_holds_exactly_the_commits_before(archived_run):
    run = archived_run
    target = run["work"] / "to-time"
    cut = run["cut"].strftime("%Y-%m-%d %H:%M:%S.%f+00")
    res = helios("restore", "--config", run["config"], "--from", "s3", "--to-time", cut,
                 "--data-dir", str(target), "--quiet", cwd=run["work"])
    assert res.returncode == 0, res.stderr
    assert served_ids(target, run["work"] / "check1") == run["before"]
    latest = run["work"] / "latest"
    res = helios("restore", "--config", run["config"], "--to-latest", "--data-dir", str(latest), "--quiet",
                 cwd=run["work"])
    assert res.returncode == 0, res.stderr
    assert table_ids(latest, run["work"] / "check2") == run["before"] + run["after"]


def test_restore_into_non_empty_directory_refuses(archived_run):
    target = archived_run["work"] / "busy"
    target.mkdir()
    (target / "precious").write_text("keep")
    res = helios("restore", "--config", archived_run["config"], "--to-latest", "--data-dir", str(target),
                 cwd=archived_run["work"])
    assert res.returncode == 2 and "not empty" in res.stderr
    assert os.listdir(target) == ["precious"]


def test_backup_list_shows_the_backup(archived_run):
    res = helios("backup", "list", "--config", archived_run["config"], cwd=archived_run["work"])
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert lines[0].split() == ["ID", "START", "END", "BYTES", "TIMELINE"]
    # on timeline 1: the one the server took at start (no backup of its timeline yet), and ours
    on_first = [line.split()[0] for line in lines[1:] if line.split()[-1] == "1"]
    assert archived_run["backup_id"] in on_first and len(on_first) == 2, res.stdout


def test_verify_finds_a_flipped_byte_and_restore_names_a_corrupt_wal_object(archived_run):
    run = archived_run
    gcs = backend(run, "gcs")
    ok = helios("backup", "verify", "--config", run["config"], "--from", "gcs", "--trial-restore",
                cwd=run["work"])
    assert ok.returncode == 0, ok.stderr
    wal = [k for k in gcs.list("wal/00000001/") if k.endswith(".wal")]
    victim = wal[len(wal) // 2]
    good = gcs.get(victim)
    data = bytearray(good)
    data[len(data) // 2] ^= 0x10
    gcs.put(victim, bytes(data))
    try:
        bad = helios("backup", "verify", "--config", run["config"], "--from", "gcs", cwd=run["work"])
        assert bad.returncode == 1 and victim in bad.stderr
        target = run["work"] / "from-corrupt"
        res = helios("restore", "--config", run["config"], "--from", "gcs", "--to-latest", "--data-dir",
                     str(target), "--quiet", cwd=run["work"])
        assert res.returncode == 1 and victim in res.stderr
        ids = table_ids(target, run["work"] / "check3")
        assert ids == sorted(ids) and ids == list(range(len(ids))) and len(ids) < 80  # a consistent prefix
    finally:
        gcs.put(victim, good)  # the secondary is whole again for the restore from it below


def test_a_restored_server_archives_on_a_new_timeline(archived_run):
    run = archived_run
    s3 = backend(run, "s3")
    old = {k: s3.get(k) for k in s3.list("wal/00000001/")}
    restored = run["work"] / "timeline2"
    res = helios("restore", "--config", run["config"], "--to-latest", "--data-dir", str(restored), "--quiet",
                 cwd=run["work"])
    assert res.returncode == 0, res.stderr
    timeline = int(re.search(r"new timeline (\d+)", res.stdout).group(1))  # earlier restores took some
    assert timeline >= 2
    config = tomllib.loads(pathlib.Path(run["config"]).read_text())
    config["data_dir"] = str(restored)
    server = start_server(run["work"] / "server2", config, only=["postgres"])
    try:
        with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
            conn.execute("insert into t values (1000, 'after the restore')")
            wait_archived(conn)
        deadline = time.monotonic() + 20
        while not any(line.split()[-1] == str(timeline) for line in helios(
                "backup", "list", "--config", run["config"], cwd=run["work"]).stdout.splitlines()[1:]):
            assert time.monotonic() < deadline, f"no backup of timeline {timeline}"
            time.sleep(0.2)
    finally:
        server.stop()
    assert {k: s3.get(k) for k in s3.list("wal/00000001/")} == old  # the old history is untouched
    assert s3.list(f"wal/{timeline:08d}/")
    again = run["work"] / "timeline2-restored"
    res = helios("restore", "--config", run["config"], "--to-latest", "--data-dir", str(again), "--quiet",
                 cwd=run["work"])
    assert res.returncode == 0, res.stderr
    assert table_ids(again) == run["before"] + run["after"] + [1000]


def test_restore_from_secondary_after_primary_bucket_deleted(archived_run):
    run = archived_run
    # the whole bucket goes: every object first (an S3 bucket must be empty to go), then the bucket
    s3 = backend(run, "s3", prefix="")
    for key in s3.list(""):
        s3.delete(key)
    bucket = run["sections"]["s3"]["bucket"]
    urllib.request.urlopen(urllib.request.Request(f"{run['moto'].endpoint}/{bucket}", method="DELETE"),
                           timeout=10).read()
    try:
        lost = helios("restore", "--config", run["config"], "--to-latest", "--data-dir",
                      str(run["work"] / "from-lost"), "--quiet", cwd=run["work"])
        assert lost.returncode != 0
        target = run["work"] / "from-secondary"
        cut = run["cut"].strftime("%Y-%m-%d %H:%M:%S.%f+00")
        res = helios("restore", "--config", run["config"], "--from", "gcs", "--to-time", cut,
                     "--data-dir", str(target), "--quiet", cwd=run["work"])
        assert res.returncode == 0, res.stderr
        assert table_ids(target, run["work"] / "check4") == run["before"]
    finally:
        run["moto"].make_bucket(bucket)


def test_restore_branch_leaves_other_branches_untouched(moto_server, tmp_path):
    prefix = f"b-{uuid.uuid4().hex[:8]}"
    config = {"storage": {"wal_archiving": {"enabled": True, "primary_backend": "s3", "archive_timeout": "1s"},
                          "s3": moto_server.section(prefix)}}
    server = start_server(tmp_path / "server", config, only=["postgres"])
    try:
        with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
            conn.execute("create table acct (id int primary key, balance int)")
            conn.execute("insert into acct values (1, 100), (2, 200)")
            conn.execute("create branch tenant_a from main")
            conn.execute("create branch tenant_b from main")
            conn.execute("set heliosdb.branch = 'tenant_a'")
            conn.execute("update acct set balance = 150 where id = 1")
            time.sleep(0.05)
            (at,) = conn.execute("select now()").fetchone()
            time.sleep(0.05)
            conn.execute("delete from acct where id = 2")
            conn.execute("set heliosdb.branch = 'tenant_b'")
            conn.execute("update acct set balance = 999 where id = 2")
            conn.execute("set heliosdb.branch = 'main'")
            (name,) = conn.execute("select heliosdb.restore_branch('tenant_a', %s, 'tenant_a_restored')",
                                   (at,)).fetchone()
            assert name == "tenant_a_restored"

            def rows(branch):
                conn.execute(f"set heliosdb.branch = '{branch}'")
                return conn.execute("select id, balance from acct order by id").fetchall()

            assert rows("tenant_a_restored") == [(1, 150), (2, 200)]
            assert rows("tenant_a") == [(1, 150)]
            assert rows("tenant_b") == [(1, 100), (2, 999)]
            assert rows("main") == [(1, 100), (2, 200)]
            # past local retention the archive answers (test_branch_restore_archive.py): the branch was not there
            with pytest.raises(psycopg.errors.InvalidParameterValue, match="did not exist at that timestamp"):
                conn.execute("select heliosdb.restore_branch('tenant_a', now() - interval '30 days', 'old')")
    finally:
        server.stop()


def test_archive_to_gcs_emulator(gcs_emulator, tmp_path):
    repo = Repository("gcs", ObjectArchiver(open_backend("gcs", gcs_emulator.section("x"), timeout=3.0)))
    repo.put("wal/00000001/00000001.wal", b"frames")
    assert repo.get("wal/00000001/00000001.wal") == b"frames"
    assert repo.wal_seqs(1) == [1]
