"""CPU per query of bench.search's GIN + ts_rank and BM25 top-10 queries in-process (no server, no
wire): the same corpus and 40-term rotation, run as prepared statements (as psycopg's parameters
make them over the wire), timed with the process's CPU clock. On a shared machine, two runs
started together (say, two checkouts) see the same load, which wall-clock runs apart do not.

    python -m bench.search_cpu [--docs N] [--rounds R]

Loads with INSERT statements of 2,000 rows and one UPDATE ... SET tsv = to_tsvector(...), in
memory. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import time

import helios_core

from bench.search import BM25_QUERY, GIN_QUERY, _documents

BATCH = 2000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    docs, terms = _documents(args.docs)
    session = helios_core.connect()
    session.execute("create table docs (id int primary key, body text, tsv tsvector)")
    for first in range(0, len(docs), BATCH):
        values = ",".join(f"({i}, '{body}')" for i, body in docs[first:first + BATCH])
        session.execute(f"insert into docs (id, body) values {values}")
    session.execute("update docs set tsv = to_tsvector('english', body)")
    session.execute("create index docs_tsv on docs using gin (tsv)")
    session.execute("create index docs_bm25 on docs using bm25 (id, body) with (key_field = 'id')")
    queries = {"GIN + ts_rank": GIN_QUERY.replace("%s", "$1"), "BM25 top-10": BM25_QUERY.replace("%s", "$1")}
    for name, sql in queries.items():
        statement = session.prepare(sql)
        for term in ("zzzz", *terms[:3]):  # builds the index structures, warms the caches
            session.execute_prepared(statement, [term]).rows()
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(args.rounds):
            for term in terms:
                session.execute_prepared(statement, [term]).rows()
        n = args.rounds * len(terms)
        print(f"{name:<14} {(time.process_time() - cpu) / n * 1000:.2f} ms CPU/query, "
              f"{(time.perf_counter() - wall) / n * 1000:.2f} ms wall ({args.docs:,} documents, {n} queries)")


if __name__ == "__main__":
    main()
