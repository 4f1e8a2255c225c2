"""Sessions with different settings share the server's worker threads for large results and
rollups (helios_core.parallel): run at once from four clients, each gets exactly the text and
the aggregates it gets alone."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import psycopg

_ZONES = ["Asia/Kolkata", "America/St_Johns", "UTC", "Australia/Adelaide"]
_SELECT = ("SELECT g, timestamptz '2024-03-30 12:00+00' + g * interval '7 minutes' AS t, (g / 7.0)::float8 AS f "
           "FROM generate_series(1, 66000) AS x(g)")
_ROLLUP = ("SELECT k, count(*), percentile_cont(0.9) WITHIN GROUP (ORDER BY v), avg(v) FROM pm GROUP BY k "
           "ORDER BY k")


def _text_rows(conn: psycopg.Connection, sql: str) -> list[tuple]:
    with conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def _session(dsn: str, zone: str, style: str) -> psycopg.Connection:
    conn = psycopg.connect(dsn, autocommit=True)
    conn.adapters.register_loader("timestamptz", psycopg.types.string.TextLoader)
    conn.adapters.register_loader("float8", psycopg.types.string.TextLoader)
    conn.execute(f"SET TimeZone = '{zone}'")
    conn.execute(f"SET DateStyle = '{style}'")
    return conn


def test_sessions_with_their_own_settings_at_once_get_what_they_get_alone(dsn):
    with psycopg.connect(dsn, autocommit=True) as setup:
        setup.execute("CREATE TABLE pm (k int, v float8)")
        setup.execute("INSERT INTO pm SELECT g % 50, (g * 37 % 1000) / 10.0 FROM generate_series(1, 120000) g")
    styles = ["SQL, DMY", "ISO, MDY", "German", "Postgres, DMY"]
    conns = [_session(dsn, zone, style) for zone, style in zip(_ZONES, styles, strict=True)]
    try:
        alone = [(_text_rows(c, _SELECT), _text_rows(c, _ROLLUP)) for c in conns]
        assert len({rows[0][1] for rows, _ in alone}) == 4  # four zones/styles, four texts of the same instant
        def run(i: int) -> list:
            return [(_text_rows(conns[i], _SELECT), _text_rows(conns[i], _ROLLUP)) for _ in range(2)]

        with ThreadPoolExecutor(len(conns)) as pool:  # result() raises a client's error here
            together = [f.result(timeout=120) for f in [pool.submit(run, i) for i in range(len(conns))]]
        for i, runs in enumerate(together):
            assert all(r == alone[i] for r in runs)
    finally:
        for c in conns:
            c.close()
