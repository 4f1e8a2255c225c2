"""time_bucket agrees with PostgreSQL 15's date_bin where the two coincide: with an origin, and
without one (TimescaleDB's default origin is Monday 2000-01-03)."""

from __future__ import annotations

import itertools

import psycopg

import helios_core

WIDTHS = ["1 second", "15 seconds", "5 minutes", "1 hour", "90 minutes", "1 day", "7 days", "10 days"]
TIMES = ["2024-01-01 00:00:00+00", "2024-02-29 13:37:42.123456+00", "1999-12-31 23:59:59.999999+00",
         "1970-01-01 00:00:00+00", "1901-06-15 07:07:07+00", "2100-03-01 11:11:11+00"]
ORIGINS = ["2000-01-03 00:00:00+00", "2001-02-03 04:05:06+00", "2050-01-01 00:00:00+00"]


def _rows(query_of, run):
    out = []
    for w, t, o in itertools.product(WIDTHS, TIMES, ORIGINS):
        out.append(run(query_of(w, t, o)))
    return out


def test_time_bucket_is_date_bin(postgres_dsn):
    session = helios_core.connect()

    def helios(sql):
        r = session.execute(sql)[-1]
        return next(tuple(b.column(i)[0].as_py() for i in range(b.num_columns)) for b in r.batches)

    with psycopg.connect(postgres_dsn, autocommit=True) as pg:
        def postgres(sql):
            return pg.execute(sql).fetchone()

        ref = _rows(lambda w, t, o: f"SELECT date_bin('{w}', timestamptz '{t}', timestamptz '{o}'), "
                                    f"date_bin('{w}', timestamp '{t[:-3]}', timestamp '2000-01-03')", postgres)
    got = _rows(lambda w, t, o: f"SELECT time_bucket('{w}', timestamptz '{t}', timestamptz '{o}'), "
                                f"time_bucket('{w}', timestamp '{t[:-3]}')", helios)
    assert got == ref
    session.close()
