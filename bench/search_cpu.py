"""CPU per query of bench.search's GIN + ts_rank and BM25 top-10 queries in-process (no server, no
wire): the same corpus and 40-term rotation, run as prepared statements (as psycopg's parameters
make them over the wire), timed with the process's CPU clock. On a shared machine, two runs
started together (say, two checkouts) see the same load, which wall-clock runs apart do not.

    python -m bench.search_cpu [--docs N] [--rounds R]
    valgrind --tool=callgrind --instr-atstart=no python -m bench.search_cpu --rounds 1 --callgrind

With ``--callgrind`` (under valgrind's callgrind, started with instrumentation off) each query
kind's loop is the only code instrumented (after a warm-up over every term), and its counts are
dumped under the kind's name (``desc: Trigger: dump gin`` / ``bm25``, ``totals:`` instructions):
counts that the machine's load does not change, for comparing two builds.

Loads with INSERT statements of 2,000 rows and one UPDATE ... SET tsv = to_tsvector(...), in
memory. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import time

import helios_core

from bench.search import BM25_QUERY, GIN_QUERY, _documents

BATCH = 2000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--callgrind", action="store_true", help="switch callgrind's instrumentation on around each loop")
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
        for term in ("zzzz", *(terms if args.callgrind else terms[:3])):  # builds the index structures, warms the caches
            session.execute_prepared(statement, [term]).rows()
        if args.callgrind:
            _callgrind("-z")
            _callgrind("-i", "on")
        cpu, wall = time.process_time(), time.perf_counter()
        for _ in range(args.rounds):
            for term in terms:
                session.execute_prepared(statement, [term]).rows()
        if args.callgrind:
            _callgrind("-i", "off")
            _callgrind("-d", "gin" if name.startswith("GIN") else "bm25")
        n = args.rounds * len(terms)
        print(f"{name:<14} {(time.process_time() - cpu) / n * 1000:.2f} ms CPU/query, "
              f"{(time.perf_counter() - wall) / n * 1000:.2f} ms wall ({args.docs:,} documents, {n} queries)")


def _callgrind(*args: str) -> None:
    subprocess.run(["callgrind_control", *args, str(os.getpid())], check=True, capture_output=True)


if __name__ == "__main__":
    main()
