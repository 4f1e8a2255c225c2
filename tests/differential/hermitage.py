"""Replay the Hermitage isolation cases (shared/corpora/hermitage/postgres.md) over psycopg.

Each fenced case is a list of steps ``statement; -- T<n>[. note]``; every session is its own
connection (autocommit, so BEGIN is the script's own) driven by its own worker thread, so a
statement that waits for a row lock blocks only its session. A case runs at any isolation
level by rewriting its ``isolation level ...`` clauses. The outcome of a case is, per
statement: its rows (sorted) or command tag, or its error (SQLSTATE, message, detail), and
whether it was still waiting when the next step began. Run as a script it prints the
outcomes of a server as JSON (how ``hermitage_pg15.json`` was made from PostgreSQL 15):

    python -m tests.differential.hermitage "host=... port=... user=postgres dbname=postgres"
"""

from __future__ import annotations

import json
import re
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpora" / "hermitage" / "postgres.md"
LEVELS = ("read committed", "repeatable read", "serializable")
SETUP = ("drop table if exists test",
         "create table test (id int primary key, value int)",
         "insert into test (id, value) values (1, 10), (2, 20)")
BLOCK_WAIT = 0.3  # a statement the script says BLOCKS must still be waiting after this long
STEP_WAIT = 60.0  # any other statement must finish within this (a COMMIT's fdatasync has taken
#                  over 15 s while a whole test run wrote gigabytes to the same disk)


def corpus_path() -> Path:
    for base in (Path(__file__).resolve().parents[2].parent, Path("/work")):
        p = base / "shared" / "corpora" / "hermitage" / "postgres.md"
        if p.exists():
            return p
    return CORPUS


def parse_cases(text: str) -> list[dict[str, Any]]:
    """[{"title": ..., "steps": [(session, [sql, ...], blocks)]}] for every multi-session case."""
    cases = []
    title = ""
    for m in re.finditer(r"((?:[^\n]+\n)*?)\n*```sql\n(.*?)```", text, re.DOTALL):
        lead = [ln for ln in m.group(1).strip().splitlines() if ln.strip() and not set(ln.strip()) <= {"-"}]
        if lead:
            title = lead[-1].strip().rstrip(":")
        steps = []
        for line in m.group(2).splitlines():
            if "--" not in line:
                continue
            sql, note = line.split("--", 1)
            who = re.match(r"\s*(T\d|either)", note, re.IGNORECASE)
            if who is None:
                continue
            sess = who.group(1).upper() if who.group(1)[0] in "tT" else "T1"
            stmts = [s.strip() for s in sql.split(";") if s.strip()]
            steps.append((sess, stmts, "BLOCKS" in note.upper()))
        if steps:
            cases.append({"title": title, "steps": steps})
    return cases


def at_level(stmt: str, level: str) -> str:
    return re.sub(r"isolation level (read committed|repeatable read|serializable)", f"isolation level {level}",
                  stmt, flags=re.IGNORECASE)


def _run_one(conn: Any, sql: str) -> Any:
    import psycopg

    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            if cur.description is not None:
                return sorted(tuple(r) for r in cur.fetchall())
            return cur.statusmessage
    except psycopg.Error as e:
        d = e.diag
        return {"error": d.sqlstate, "message": d.message_primary, "detail": d.message_detail}


class Sessions:
    """One connection and one worker thread per script session, reused from case to case."""

    def __init__(self, dsn: str) -> None:
        import psycopg

        self.dsn = dsn
        self.setup = psycopg.connect(dsn, autocommit=True)
        self.conns: dict[str, Any] = {}
        self.pools: dict[str, ThreadPoolExecutor] = {}

    def get(self, name: str) -> tuple[Any, ThreadPoolExecutor]:
        import psycopg

        if name not in self.conns:
            self.conns[name] = psycopg.connect(self.dsn, autocommit=True)
            self.pools[name] = ThreadPoolExecutor(1)
        return self.conns[name], self.pools[name]

    def reset(self) -> None:
        for c in self.conns.values():
            c.execute("rollback")
        for s in SETUP:
            self.setup.execute(s)

    def close(self) -> None:
        for c in [self.setup, *self.conns.values()]:
            c.close()
        for p in self.pools.values():
            p.shutdown(wait=False, cancel_futures=True)


def run_case(sessions: Sessions, case: dict[str, Any], level: str) -> list[dict[str, Any]]:
    """Outcomes of one case at one level, step by step (on a fresh table)."""
    sessions.reset()
    pending: list[tuple[dict[str, Any], Future]] = []
    out: list[dict[str, Any]] = []
    for sess, stmts, blocks in case["steps"]:
        conn, pool = sessions.get(sess)
        for i, stmt in enumerate(stmts):
            sql = at_level(stmt, level)
            fut = pool.submit(_run_one, conn, sql)
            rec = {"session": sess, "sql": sql}
            out.append(rec)
            pending.append((rec, fut))
            try:
                fut.result(timeout=BLOCK_WAIT if (blocks and i == len(stmts) - 1) else STEP_WAIT)
                rec["waited"] = False
            except FutureTimeout:
                rec["waited"] = True
                break
    for rec, fut in pending:
        rec["result"] = _jsonable(fut.result(timeout=STEP_WAIT))
    return out


def _jsonable(v: Any) -> Any:
    return [list(r) for r in v] if isinstance(v, list) else v


def run_all(dsn: str) -> dict[str, list[dict[str, Any]]]:
    cases = parse_cases(corpus_path().read_text())
    sessions = Sessions(dsn)
    try:
        return {f"{level} | {n:02d} {c['title']}": run_case(sessions, c, level)
                for level in LEVELS for n, c in enumerate(cases)}
    finally:
        sessions.close()


if __name__ == "__main__":  # pragma: no cover - regenerates the expectations from a server
    json.dump(run_all(sys.argv[1]), sys.stdout, indent=1)
    sys.stdout.write("\n")
