"""CPU cost of pgbench's statements on the embedded engine, statement by statement.

    python -m bench.oltp_cpu [--accounts N] [--txns N] [--data-dir DIR]
    valgrind --tool=callgrind --instr-atstart=no python -m bench.oltp_cpu --txns 200 --callgrind

Creates pgbench's four tables (one branch, 10 tellers, ``--accounts`` accounts) on
``helios_core.connect()`` and runs pgbench's TPC-B transaction (BEGIN; UPDATE accounts;
SELECT abalance; UPDATE tellers; UPDATE branches; INSERT INTO history; END) as prepared
statements, the way ``pgbench -M prepared`` sends them, with a data directory (the commit
writes and syncs the WAL) unless ``--in-memory``. Prints each statement's thread CPU time per
execution after 200 warm-up transactions. The server adds the protocol to these figures; what
is measured here is the engine's share.

With ``--callgrind`` only the measured loop is instrumented and its counts are dumped as
``tpcb`` (``totals:`` instructions in the dump file): counts that the machine's load does not
change, for comparing two builds (divide by ``--txns``). Not part of the test suite.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import tempfile
import time
from collections import Counter

import helios_core

STATEMENTS = {
    "BEGIN": "BEGIN",
    "UPDATE accounts": "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2",
    "SELECT abalance": "SELECT abalance FROM pgbench_accounts WHERE aid = $1",
    "UPDATE tellers": "UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2",
    "UPDATE branches": "UPDATE pgbench_branches SET bbalance = bbalance + $1 WHERE bid = $2",
    "INSERT history": "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) "
                      "VALUES ($1, $2, $3, $4, CURRENT_TIMESTAMP)",
    "END": "END",
}

TABLES = (
    "CREATE TABLE pgbench_branches (bid int primary key, bbalance int, filler char(88))",
    "CREATE TABLE pgbench_tellers (tid int primary key, bid int, tbalance int, filler char(84))",
    "CREATE TABLE pgbench_accounts (aid int primary key, bid int, abalance int, filler char(84))",
    "CREATE TABLE pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22))",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--txns", type=int, default=2000)
    parser.add_argument("--data-dir", help="default: a fresh temporary directory")
    parser.add_argument("--in-memory", action="store_true", help="no data directory (no WAL, no fsync)")
    parser.add_argument("--callgrind", action="store_true", help="switch callgrind's instrumentation on around the loop")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="helios-oltp-") as tmp:
        path = None if args.in_memory else (args.data_dir or os.path.join(tmp, "data"))
        session = helios_core.connect(path) if path else helios_core.connect()
        for sql in TABLES:
            session.execute(sql)
        session.execute("INSERT INTO pgbench_branches VALUES (1, 0, '')")
        session.execute("INSERT INTO pgbench_tellers SELECT g, 1, 0, '' FROM generate_series(1, 10) g")
        session.execute(f"INSERT INTO pgbench_accounts SELECT g, 1, 0, '' FROM generate_series(1, {args.accounts}) g")
        prepared = {name: session.prepare(sql, [23] * sql.count("$")) for name, sql in STATEMENTS.items()}
        rng = random.Random(1)
        spent: Counter[str] = Counter()
        for i in range(200 + args.txns):
            if i == 200 and args.callgrind:
                _callgrind("-z")
                _callgrind("-i", "on")
            aid, tid, delta = rng.randint(1, args.accounts), rng.randint(1, 10), rng.randint(-5000, 5000)
            params = ([], [delta, aid], [aid], [delta, tid], [delta, 1], [tid, 1, aid, delta], [])
            for (name, statement), values in zip(prepared.items(), params, strict=True):
                started = time.thread_time()
                session.execute_prepared(statement, values).rows()
                if i >= 200:
                    spent[name] += time.thread_time() - started
        if args.callgrind:
            _callgrind("-i", "off")
            _callgrind("-d", "tpcb")
        session.close()
    for name in STATEMENTS:
        print(f"{name:<16} {spent[name] / args.txns * 1e6:8.1f} µs CPU")
    print(f"{'transaction':<16} {sum(spent.values()) / args.txns * 1e6:8.1f} µs CPU ({args.txns} transactions)")


def _callgrind(*args: str) -> None:
    subprocess.run(["callgrind_control", *args, str(os.getpid())], check=True, capture_output=True)


if __name__ == "__main__":
    main()
