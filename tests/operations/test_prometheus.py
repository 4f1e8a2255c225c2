"""A real Prometheus scrapes a running server; PromQL over what it stored returns the expected series.

Needs Debian's ``prometheus`` package (``.ci/run`` installs it); skipped where it is not installed.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from typing import Any

import psycopg
import pytest

from helios_core.testing import HeliosServer
from tests.operations.conftest import scrape
from tests.operations.test_grafana_dashboard import concrete, dashboard_queries

PROMETHEUS = shutil.which("prometheus")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


@pytest.fixture(scope="module")
def prometheus(server: HeliosServer, tmp_path_factory: pytest.TempPathFactory) -> Any:
    if PROMETHEUS is None:
        pytest.skip("prometheus not installed (Debian package 'prometheus')")
    tmp_path = tmp_path_factory.mktemp("prometheus")
    port = _free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        "scrape_configs:\n  - job_name: heliosdb\n    static_configs:\n"
        f"      - targets: ['127.0.0.1:{server.port('metrics')}']\n")
    log = (tmp_path / "prometheus.log").open("w")
    proc = subprocess.Popen([PROMETHEUS, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                             f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/-/ready", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"prometheus did not start: {(tmp_path / 'prometheus.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _query(base: str, promql: str) -> list[dict[str, Any]]:
    answer = _get(f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": promql}))
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


def _until(base: str, promql: str, ok: Any, timeout: float = 20.0) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        result = _query(base, promql)
        if ok(result) or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def test_prometheus_scrapes_statement_series(server: HeliosServer, prometheus: str) -> None:
    with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
        conn.execute("create table prom_t (id int primary key, v text)")
        for i in range(7):
            conn.execute("insert into prom_t values (%s, %s)", (i, f"v{i}"))
        for i in range(5):
            conn.execute("select v from prom_t where id = %s", (i,)).fetchall()
        with pytest.raises(psycopg.errors.UndefinedTable):
            conn.execute("select * from prom_missing")

    def inserts_seen(result: list[dict[str, Any]]) -> bool:
        return any(float(r["value"][1]) >= 7 for r in result)

    result = _until(prometheus, 'helios_statements_total{protocol="postgres",kind="insert",outcome="ok"}',
                    inserts_seen)
    assert inserts_seen(result), result
    assert result[0]["metric"]["job"] == "heliosdb"

    errors = _until(prometheus, 'helios_errors_total{protocol="postgres",sqlstate_class="42"}',
                    lambda r: bool(r))
    assert errors and float(errors[0]["value"][1]) >= 1, errors

    rows = _query(prometheus, 'helios_rows_written_total{protocol="postgres",kind="insert"}')
    assert rows and float(rows[0]["value"][1]) >= 7, rows

    # the histogram is a real one: a quantile over its buckets is a number of seconds
    quantile = _query(prometheus, 'histogram_quantile(0.5, sum by (le) '
                                  '(helios_statement_duration_seconds_bucket{protocol="postgres",kind="select"}))')
    assert quantile and 0 < float(quantile[0]["value"][1]) < 30, quantile

    commits = _query(prometheus, 'helios_transactions_total{outcome="commit"}')
    assert commits and float(commits[0]["value"][1]) >= 7, commits
    up = _query(prometheus, 'up{job="heliosdb"}')
    assert up and up[0]["value"][1] == "1", up


def test_dashboard_queries_run_in_prometheus(server: HeliosServer, prometheus: str) -> None:
    """Every panel's PromQL parses and runs in a real Prometheus over the scraped series."""
    empty = []
    with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
        conn.execute("select 1").fetchall()
        _until(prometheus, 'helios_protocol_sessions{protocol="postgres"}', bool)
        time.sleep(2.5)  # a second scrape, so rate() has two points
        for title, expr in dashboard_queries():
            if not _query(prometheus, concrete(expr)):
                empty.append(title)
    # series that only exist once something happened (refusals, limits, errors) may be empty
    assert set(empty) <= {"Refused connections", "Limit rejections", "Errors by SQLSTATE class",
                          "Checkpoints and compactions", "Chunks skipped by statistics"}, empty


def test_metric_names_follow_prometheus_conventions(server: HeliosServer) -> None:
    body = scrape(server)
    families = {line.split()[2]: line.split()[3] for line in body.splitlines() if line.startswith("# TYPE")}
    ours = {name: kind for name, kind in families.items() if name.startswith("helios_")}
    for name, kind in ours.items():
        assert name == name.lower(), name
        assert name.endswith("_total") == (kind == "counter"), (name, kind)  # counters, and only they
        if name.endswith(("_seconds", "_seconds_total")):
            assert "_ms" not in name  # base units: seconds and bytes
    for expected in ("helios_statements_total", "helios_statement_duration_seconds", "helios_errors_total",
                     "helios_connections", "helios_connections_max", "helios_connections_refused_total",
                     "helios_rows_read_total", "helios_rows_written_total", "helios_transactions_total",
                     "helios_wal_written_bytes_total", "helios_wal_fsyncs_total", "helios_wal_synced_records_total",
                     "helios_checkpoints_total", "helios_compactions_total", "helios_memtable_bytes",
                     "helios_segment_bytes", "helios_branch_cpu_seconds_total", "helios_limit_rejections_total",
                     "helios_branch_memory_bytes"):
        assert expected in ours, (expected, sorted(ours))
    assert ours["helios_statement_duration_seconds"] == "histogram"
