"""Full-text search, ParadeDB's method at a reduced scale: a 40-term query rotation over generated
documents, one client, queries/s and p50/p99 latency for

- HeliosDB GIN + ts_rank: ``WHERE tsv @@ to_tsquery('english', term) ORDER BY ts_rank(...) DESC LIMIT 10``
- HeliosDB BM25 top-10:   ``WHERE body @@@ term ORDER BY heliosdb.score(id) DESC LIMIT 10``
- PostgreSQL 15 GIN + ts_rank, the same SQL as HeliosDB's GIN query,

and index build: PostgreSQL's ``CREATE INDEX ... USING gin``; HeliosDB builds its structures
from the table's chunks on the first query after CREATE INDEX, so its build is that first
query's time. Server CPU per query (/proc: HeliosDB's server process, PostgreSQL's backend of
the connection) is printed beside wall time: the machine may be shared.

    python -m bench.search [--docs N] [--rounds R] [--helios-port P] [--pg-port P]

One ``helios serve`` (postgres protocol; the test suite's example plugin switched off) and a private
PostgreSQL 15 cluster (bench.pg_cluster).
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import random
import statistics
import tempfile
import time

import psycopg
from helios_core.testing import start_server

from bench.pg_cluster import PgCluster

SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "po", "si", "de", "ga", "fu", "be", "zo", "xi", "wa", "ye"]


def _vocabulary(size: int, rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def _documents(n: int, seed: int = 7) -> tuple[list[tuple[int, str]], list[str]]:
    """Zipf-like word frequencies; the 40 query terms are drawn from the middle of the ranking."""
    rng = random.Random(seed)
    vocab = _vocabulary(5000, rng)
    weights = [1 / (rank + 1) for rank in range(len(vocab))]
    docs = [(i, " ".join(rng.choices(vocab, weights, k=rng.randint(20, 80)))) for i in range(1, n + 1)]
    terms = vocab[20:4000:100][:40]
    return docs, terms


def _cpu_seconds(pid: int) -> float:
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


UPDATE_ROWS = 100_000  # documents per UPDATE statement (both systems alike), which bounds a statement's memory


def _load(conn: psycopg.Connection, docs: list[tuple[int, str]]) -> float:
    conn.execute("drop table if exists docs")
    conn.execute("create table docs (id int primary key, body text, tsv tsvector)")
    started = time.perf_counter()
    with conn.cursor().copy("copy docs (id, body) from stdin") as cp:
        for row in docs:
            cp.write_row(row)
    for first in range(1, len(docs) + 1, UPDATE_ROWS):
        conn.execute("update docs set tsv = to_tsvector('english', body) where id >= %s and id < %s",
                     (first, first + UPDATE_ROWS))
    elapsed = time.perf_counter() - started
    # the load's rows written out before anything is timed: HeliosDB merges and compresses its
    # segments at checkpoints (in the background otherwise, during the first rotations)
    conn.execute("checkpoint")
    return elapsed


def _rotation(conn: psycopg.Connection, sql: str, terms: list[str], rounds: int) -> list[float]:
    latencies = []
    for _ in range(rounds):
        for term in terms:
            started = time.perf_counter()
            conn.execute(sql, (term,)).fetchall()
            latencies.append(time.perf_counter() - started)
    return latencies


def _peak_rss_mb(pid: int) -> float:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _backend_pid(conn: psycopg.Connection) -> int:
    """The PostgreSQL server process serving ``conn`` (its CPU time is read from /proc)."""
    return conn.execute("select pg_backend_pid()").fetchone()[0]


def _summary(name: str, latencies: list[float], cpu: float | None = None) -> str:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    line = (f"{name:<34} {len(latencies) / sum(latencies):>8.1f} q/s  p50 {statistics.median(ordered) * 1000:>8.2f} ms"
            f"  p99 {p99 * 1000:>8.2f} ms")
    if cpu is not None:
        line += f"  server CPU {cpu / len(latencies) * 1000:.2f} ms/query"
    return line


GIN_QUERY = ("select id, ts_rank(tsv, to_tsquery('english', %s)) as r from docs "
             "where tsv @@ to_tsquery('english', %s) order by r desc limit 10")
BM25_QUERY = "select id, heliosdb.score(id) from docs where body @@@ %s order by heliosdb.score(id) desc limit 10"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--helios-port", type=int, default=0, help="HeliosDB's PostgreSQL port (default: a free one)")
    parser.add_argument("--pg-port", type=int, default=0, help="PostgreSQL's port (default: a free one)")
    args = parser.parse_args()
    docs, terms = _documents(args.docs)
    helios = start_server(pathlib.Path(tempfile.mkdtemp(prefix="helios-bench-search-")),
                          {"protocols": {"postgres": {"port": args.helios_port}}}, only=["postgres"])
    cluster = PgCluster.start(args.pg_port or None)
    out = [(f"{args.docs:,} documents of 20-80 words (5,000-word Zipf vocabulary), 40-term rotation x "
            f"{args.rounds}, one client")]
    try:
        pg_dsn = f"host={cluster.host} port={cluster.port} user={cluster.user} dbname={cluster.database}"
        pid = helios.process.pid
        with psycopg.connect(helios.pg_dsn(), autocommit=True) as hc, \
                psycopg.connect(pg_dsn, autocommit=True) as pc:
            h_load, p_load = _load(hc, docs), _load(pc, docs)
            out.append(f"load (COPY + to_tsvector): HeliosDB {args.docs / h_load:,.0f} docs/s, "
                       f"PostgreSQL {args.docs / p_load:,.0f} docs/s")
            started = time.perf_counter()
            pc.execute("create index docs_tsv on docs using gin (tsv)")
            pc.execute("analyze docs")
            p_build = time.perf_counter() - started
            hc.execute("create index docs_tsv on docs using gin (tsv)")
            started = time.perf_counter()
            hc.execute(GIN_QUERY.replace("%s", "'zzzz'")).fetchall()  # builds the per-chunk lexeme lists
            h_gin_build = time.perf_counter() - started
            hc.execute("create index docs_bm25 on docs using bm25 (id, body) with (key_field = 'id')")
            started = time.perf_counter()
            hc.execute(BM25_QUERY.replace("%s", "'zzzz'")).fetchall()  # builds the tantivy index
            h_bm25_build = time.perf_counter() - started
            out.append(f"index build: PostgreSQL GIN {args.docs / p_build:,.0f} docs/s; HeliosDB GIN "
                       f"{args.docs / h_gin_build:,.0f} docs/s, BM25 {args.docs / h_bm25_build:,.0f} docs/s "
                       "(first query after CREATE INDEX)")
            gin_sql = GIN_QUERY.replace("%s", "%(t)s")
            plan = "\n".join(r[0] for r in hc.execute("explain " + gin_sql, {"t": terms[0]}))
            assert "Bitmap Index Scan on docs_tsv" in plan, plan
            for conn in (hc, pc):  # warm-up, and the same answers
                conn.execute(gin_sql, {"t": terms[0]}).fetchall()
            for term in terms[:5]:
                got = [r[0] for r in hc.execute(gin_sql, {"t": term})]
                want = [r[0] for r in pc.execute(gin_sql, {"t": term})]
                assert len(got) == len(want), (term, got, want)

            def run(conn: psycopg.Connection, sql: str) -> tuple[list[float], float]:
                cpu = _cpu_seconds(pid)
                lat = _rotation(conn, sql, terms, args.rounds)
                return lat, _cpu_seconds(pid) - cpu

            h_gin = _rotation_two(hc, terms, args.rounds, pid)
            out.append(_summary("HeliosDB GIN + ts_rank", *h_gin))
            h_bm25 = run(hc, BM25_QUERY)
            out.append(_summary("HeliosDB BM25 top-10", *h_bm25))
            p_gin = _rotation_two(pc, terms, args.rounds, _backend_pid(pc))
            out.append(_summary("PostgreSQL 15 GIN + ts_rank", *p_gin))
            out.append(f"HeliosDB server peak memory (VmHWM): {_peak_rss_mb(pid):,.0f} MB")
    finally:
        cluster.stop()
        helios.stop()
    print("\n".join(out))


def _rotation_two(conn: psycopg.Connection, terms: list[str], rounds: int, pid: int | None
                  ) -> tuple[list[float], float | None]:
    """The GIN query, whose term is used twice (match and rank)."""
    cpu = _cpu_seconds(pid) if pid else 0.0
    latencies = []
    for _ in range(rounds):
        for term in terms:
            started = time.perf_counter()
            conn.execute(GIN_QUERY, (term, term)).fetchall()
            latencies.append(time.perf_counter() - started)
    return latencies, (_cpu_seconds(pid) - cpu) if pid else None


if __name__ == "__main__":
    main()
