"""Differential test: generated queries run on PostgreSQL 15 and on HeliosDB must agree.

Each query is generated from a seed (tests/differential/querygen.py). Both systems load the
same tables; for each query we compare the column type OIDs and the rows in PostgreSQL's text
format (as multisets unless the query orders every column), or the SQLSTATE when it fails.
Numeric values are compared by value (HeliosDB keeps one display scale per column where
PostgreSQL keeps one per value); floats to 12 significant digits when aggregated.

Time-bounded: HELIOS_DIFF_SECONDS (default 40). Replay one query:
    HELIOS_DIFF_SEED=<seed> pytest tests/differential -k replay
A disagreement prints its seed, SQL and both answers (HELIOS_DIFF_SHOW=n prints n of them).
The test fails below HELIOS_DIFF_MIN_AGREEMENT percent (default 95), or on any disagreement
with HELIOS_DIFF_STRICT=1.

Known remaining gap classes (2026-11-25, 98.5-98.6% agreement over 10-15k queries), by cause:
- date_part() typed numeric: sqlglot parses date_part(...) as exp.Extract, so the planner calls
  extract (numeric); date_part itself returns double precision (needs the dialect to mark it).
- float variance over huge values: PostgreSQL's float8_accum raises 22003 when the running
  sums overflow (sum/avg do that here too since 20:45).
- numerics beyond 76 digits ('1e308'::float8::numeric); numeric NaN/Infinity are supported
  since 2026-12-02 except in power() and in numeric(p,s) columns (0A000 here).
- per-value numeric display scale (one scale per array here): ln/log/sqrt results of mixed
  magnitude, division, CASE/COALESCE/GREATEST mixing scales print extra trailing zeros.
- evaluation order: PostgreSQL orders WHERE terms by cost; here AND/OR/BETWEEN/CASE/COALESCE
  and WHERE terms are lazy (a failing term is put off until other terms settled the rows), so a
  few queries still fail on one side only.
"""

from __future__ import annotations

import decimal
import importlib.util
import math
import os
import time
from pathlib import Path

import attrs
import pytest

_spec = importlib.util.spec_from_file_location("helios_querygen", Path(__file__).with_name("querygen.py"))
querygen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(querygen)

BASE_SEED = int(os.environ.get("HELIOS_DIFF_BASE_SEED", "1000"))
SECONDS = float(os.environ.get("HELIOS_DIFF_SECONDS", "40"))
MAX_QUERIES = int(os.environ.get("HELIOS_DIFF_MAX_QUERIES", "100000"))
# Every disagreement is printed with its seed. The suite gate is an agreement floor (the known
# remaining gaps are listed in the module docstring); HELIOS_DIFF_STRICT=1 demands 100%.
STRICT = os.environ.get("HELIOS_DIFF_STRICT") == "1"
MIN_AGREEMENT = float(os.environ.get("HELIOS_DIFF_MIN_AGREEMENT", "95"))


@attrs.frozen
class Outcome:
    sqlstate: str | None = None
    oids: tuple[int, ...] = ()
    rows: tuple[tuple[str | None, ...], ...] = ()
    detail: str = ""


class Postgres:
    def __init__(self, dsn: str) -> None:
        import psycopg

        self.conn = psycopg.connect(dsn, autocommit=True)

    def run(self, sql: str) -> Outcome:
        from psycopg import pq

        res = self.conn.pgconn.exec_(sql.encode())
        if res.status == pq.ExecStatus.FATAL_ERROR:
            state = res.error_field(pq.DiagnosticField.SQLSTATE)
            msg = res.error_field(pq.DiagnosticField.MESSAGE_PRIMARY)
            return Outcome(sqlstate=state.decode(), detail=msg.decode() if msg else "")
        if res.status != pq.ExecStatus.TUPLES_OK:
            return Outcome()
        oids = tuple(res.ftype(i) for i in range(res.nfields))
        rows = []
        for r in range(res.ntuples):
            row = []
            for c in range(res.nfields):
                v = res.get_value(r, c)
                row.append(None if v is None else v.decode())
            rows.append(tuple(row))
        return Outcome(oids=oids, rows=tuple(rows))

    def close(self) -> None:
        self.conn.close()


class Helios:
    def __init__(self) -> None:
        import helios_core

        self.session = helios_core.connect()

    def run(self, sql: str) -> Outcome:
        from helios_core.errors import HeliosError
        from helios_core.sql.functions import runtime

        try:
            results = self.session.execute(sql)
        except HeliosError as e:
            return Outcome(sqlstate=e.sqlstate, detail=e.message)
        except Exception as e:  # noqa: BLE001 - a crash is a disagreement, shown with its type
            return Outcome(sqlstate="CRASH", detail=f"{type(e).__name__}: {e}")
        r = results[-1]
        if not r.columns:
            return Outcome()
        settings = self.session.settings
        zone = settings.get("timezone") or settings.get("TimeZone") or "UTC"
        try:
            # text output in the session's TimeZone and extra_float_digits, like the PG wire
            with runtime.use(timezone=zone, extra_float_digits=settings.get("extra_float_digits")):
                return self._render(r)
        except HeliosError as e:
            return Outcome(sqlstate=e.sqlstate, detail=e.message)
        except Exception as e:  # noqa: BLE001
            return Outcome(sqlstate="CRASH", detail=f"{type(e).__name__}: {e}")

    def _render(self, r) -> Outcome:
        import pyarrow as pa

        from helios_core.errors import HeliosError
        from helios_core.sql import types as T
        from helios_core.sql.functions import to_text

        try:
            batches = list(r.batches)
            oids = tuple(c.type_oid for c in r.columns)
            cols: list[list] = [[] for _ in r.columns]
            for b in batches:
                for i, c in enumerate(r.columns):
                    try:
                        t = T.type_by_oid(c.type_oid)
                    except HeliosError:
                        t = T.TEXT
                    arr = b.column(i)
                    if isinstance(arr, pa.ChunkedArray):
                        arr = arr.combine_chunks()
                    cols[i].extend(to_text(arr, t).to_pylist())
        except HeliosError as e:
            return Outcome(sqlstate=e.sqlstate, detail=e.message)
        except Exception as e:  # noqa: BLE001
            return Outcome(sqlstate="CRASH", detail=f"{type(e).__name__}: {e}")
        rows = tuple(zip(*cols, strict=True)) if cols else ()
        return Outcome(oids=oids, rows=rows)


def _norm_value(v: str | None, oid: int, loose_float: bool) -> object:
    if v is None:
        return None
    if oid == 1700:
        try:
            d = decimal.Decimal(v)
            if not d.is_finite():
                return ("n", v)  # NaN/Infinity compare by their text (Decimal NaN != NaN)
            return ("n", d.normalize() if d != 0 else decimal.Decimal(0))
        except decimal.InvalidOperation:
            return v
    if oid in (700, 701) and loose_float:
        try:
            f = float(v)
        except ValueError:
            return v
        return ("f", v if math.isnan(f) else float(f"{f:.12g}"))  # NaN compares by its text
    return v


def _normalize(o: Outcome, ordered: bool, loose_float: bool) -> object:
    if o.sqlstate is not None:
        return ("error", o.sqlstate)
    rows = [tuple(_norm_value(v, oid, loose_float) for v, oid in zip(row, o.oids, strict=True)) for row in o.rows]
    if not ordered:
        rows = sorted(rows, key=repr)
    return ("ok", o.oids, rows)


def both_data_errors(pg: Outcome, hx: Outcome) -> bool:
    """Both failed with a data exception (class 22) but maybe a different one.

    With several bad rows, which error is raised first depends on evaluation order:
    PostgreSQL goes row by row, HeliosDB column by column (e.g. 22012 on row 1 in one column
    vs 22003 on row 4 in another). Counted as agreement, and reported separately.
    """
    return bool(pg.sqlstate and hx.sqlstate and pg.sqlstate != hx.sqlstate
                and pg.sqlstate.startswith("22") and hx.sqlstate.startswith("22"))


def agree(sql: str, pg: Outcome, hx: Outcome) -> bool:
    if both_data_errors(pg, hx):
        return True
    ordered = " ORDER BY " in sql
    loose = any(f in sql for f in ("sum(", "avg("))
    return _normalize(pg, ordered, loose) == _normalize(hx, ordered, loose)


def assert_steps_agree(pg: Postgres, hx: Helios, steps: list[str]) -> None:
    """Run each statement in order on both systems: the same rows (and column types) or the same
    SQLSTATE at every step (for statements whose effects the later ones read)."""
    for n, sql in enumerate(steps):
        p, h = pg.run(sql), hx.run(sql)
        want = ("error", p.sqlstate) if p.sqlstate else ("ok", list(p.oids), p.rows)
        got = ("error", h.sqlstate) if h.sqlstate else ("ok", list(h.oids), h.rows)
        assert got == want, describe(n, sql, p, h)


def describe(seed: int, sql: str, pg: Outcome, hx: Outcome) -> str:
    def show(o: Outcome) -> str:
        if o.sqlstate:
            return f"ERROR {o.sqlstate} {o.detail}"
        return f"oids={list(o.oids)} rows={sorted(o.rows, key=repr)[:6]}{' ...' if len(o.rows) > 6 else ''}"

    out = f"seed={seed}\n  sql: {sql}\n  postgres: {show(pg)}\n  heliosdb: {show(hx)}"
    if pg.sqlstate is None and hx.sqlstate is None:
        if pg.oids != hx.oids:
            out += f"\n  column types differ: postgres {list(pg.oids)} heliosdb {list(hx.oids)}"
        only_pg = sorted(set(pg.rows) - set(hx.rows), key=repr)[:3]
        only_hx = sorted(set(hx.rows) - set(pg.rows), key=repr)[:3]
        if only_pg or only_hx:
            out += f"\n  only in postgres: {only_pg}\n  only in heliosdb: {only_hx}"
        elif len(pg.rows) != len(hx.rows):
            out += f"\n  row counts differ: postgres {len(pg.rows)} heliosdb {len(hx.rows)}"
    return out


@pytest.fixture(scope="module")
def systems(postgres_dsn):
    pg = Postgres(postgres_dsn)
    hx = Helios()
    for stmt in ["DROP TABLE IF EXISTS t1", "DROP TABLE IF EXISTS t2", *querygen.setup_statements()]:
        p = pg.run(stmt)
        assert p.sqlstate is None, f"PostgreSQL rejected setup {stmt!r}: {p.detail}"
        h = hx.run(stmt)
        if h.sqlstate is not None and not stmt.startswith("DROP"):
            pytest.fail(f"HeliosDB rejected setup {stmt!r}: {h.sqlstate} {h.detail}")
    yield pg, hx
    pg.close()


def test_setup_tables_agree(systems):
    pg, hx = systems
    for sql in ("SELECT * FROM t1 ORDER BY id", "SELECT * FROM t2 ORDER BY id"):
        p, h = pg.run(sql), hx.run(sql)
        assert agree(sql, p, h), describe(-1, sql, p, h)


def test_generated_queries_agree(systems):
    """Seeded random queries for up to HELIOS_DIFF_SECONDS; every disagreement is reported."""
    pg, hx = systems
    deadline = time.monotonic() + SECONDS
    ran = 0
    failures: list[str] = []
    order_dependent = 0
    seed = BASE_SEED
    while time.monotonic() < deadline and ran < MAX_QUERIES:
        sql = querygen.generate(seed)
        p, h = pg.run(sql), hx.run(sql)
        ran += 1
        if not agree(sql, p, h):
            failures.append(describe(seed, sql, p, h))
        elif both_data_errors(p, h):
            order_dependent += 1
        seed += 1
    rate = 100.0 * (ran - len(failures)) / max(ran, 1)
    print(f"\ndifferential: {ran} queries (seeds {BASE_SEED}..{seed - 1}), {ran - len(failures)} agree "
          f"({rate:.1f}%; {order_dependent} of them both raised a different 22xxx error), "
          f"{len(failures)} disagree")
    for f in failures[: int(os.environ.get("HELIOS_DIFF_SHOW", "40"))]:
        print(f)
    assert ran > 0
    if STRICT:
        assert not failures, (f"{len(failures)} of {ran} generated queries disagree with PostgreSQL "
                              f"(agreement {rate:.1f}%); first:\n" + "\n".join(failures[:10]))
    assert rate >= MIN_AGREEMENT, (f"agreement with PostgreSQL fell to {rate:.1f}% (< {MIN_AGREEMENT}%); "
                                   f"first disagreements:\n" + "\n".join(failures[:10]))


@pytest.mark.skipif("HELIOS_DIFF_SEED" not in os.environ, reason="set HELIOS_DIFF_SEED=<seed> to replay one query")
def test_replay(systems):
    pg, hx = systems
    seed = int(os.environ["HELIOS_DIFF_SEED"])
    sql = querygen.generate(seed)
    p, h = pg.run(sql), hx.run(sql)
    assert agree(sql, p, h), describe(seed, sql, p, h)
