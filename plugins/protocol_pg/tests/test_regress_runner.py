"""PostgreSQL's own regression scripts through the real psql against a real ``helios serve``.

The share of matching statements is a progress figure (printed, and recorded in
REGRESS_RESULTS.md), not a gate; the test checks that the runner really ran each file
through psql and that well-supported files keep matching most of their statements.
"""

from __future__ import annotations

import shutil

import pytest
from helios_protocol_pg import regress

CORPUS = regress.DEFAULT_CORPUS / regress.REGRESS_SUBDIR

pytestmark = [
    pytest.mark.skipif(shutil.which("psql") is None, reason="needs the psql client (postgresql-client)"),
    pytest.mark.skipif(not (CORPUS / "sql").is_dir(),
                       reason="needs ../shared/corpora/postgres-regress (set HELIOS_REGRESS_CORPUS)"),
]

FILES = ["boolean", "interval", "select_having", "uuid"]


def test_regress_files_through_psql(pg_server) -> None:
    env = regress.psql_env(pg_server.host, pg_server.port("postgres"), "helios", "helios", CORPUS)
    regress.run_psql(regress.setup_script(CORPUS), env, timeout=120)
    scores = [regress.score_file(name, CORPUS, env, timeout=60) for name in FILES]
    print("\n" + regress.markdown(scores))
    for s in scores:
        assert not s.error and s.statements > 10, s
    by_name = {s.name: s for s in scores}
    # figures of 2026-12-02 (statements aligned by the corrected scoring): interval 81%, select_having 87%,
    # uuid 100%, boolean 98%
    assert by_name["interval"].share > 0.8
    assert by_name["select_having"].share > 0.6


def test_psql_gets_pg_regress_settings_and_output_styles(pg_server) -> None:
    """pg_regress runs psql with IntervalStyle postgres_verbose (through PGOPTIONS); interval and
    bytea values sent as text follow the session's IntervalStyle and bytea_output."""
    env = regress.psql_env(pg_server.host, pg_server.port("postgres"), "helios", "helios", CORPUS)
    out = regress.run_psql("SHOW IntervalStyle;\n"
                           "SELECT interval '-1 day 2 hours' AS v;\n"
                           "SET IntervalStyle TO sql_standard;\n"
                           "SELECT interval '1 day 02:03:04' AS v;\n"
                           "SET IntervalStyle TO iso_8601;\n"
                           "SELECT interval '1 year 2 months 3 seconds' AS v;\n"
                           "SET bytea_output TO escape;\n"
                           "SELECT E'\\\\x5c00416b'::bytea AS v;\n", env, timeout=60)
    for want in ("postgres_verbose", "@ 1 day -2 hours ago", "1 2:03:04", "P1Y2MT3S", "\\\\\\000Ak"):
        assert want in out, out
