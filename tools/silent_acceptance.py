"""Find statements HeliosDB answers with a success tag while doing nothing PostgreSQL would do.

Every statement of the postgres-regress corpus runs, in order, against HeliosDB and against a
PostgreSQL 15 server side by side. Around each DDL or maintenance statement (CREATE, ALTER, DROP,
COMMENT, GRANT, VACUUM, ANALYZE, ...) both servers' catalogs are fingerprinted (pg_class with
reltuples and reloptions, pg_attribute, pg_constraint, indexes, functions, triggers, policies,
roles, comments, types, extensions, views, sequences, ...). A statement is reported when both
servers answered it with success, PostgreSQL's catalog changed and HeliosDB's did not: the
statement was accepted and silently ignored. Statements HeliosDB accepts where PostgreSQL
refuses them are listed too.

    python tools/silent_acceptance.py \\
        --helios "host=127.0.0.1 port=5433 user=helios dbname=helios" \\
        --postgres "host=127.0.0.1 port=5432 user=postgres dbname=regression" [files ...] [--json out.json]

Both databases should start empty; ``test_setup.sql`` is loaded into each first. psql
meta-commands and statements that use psql variables are skipped. Parsing and running the whole
corpus takes many minutes; the default test suite covers a curated list of such statements
(tests/sql/test_no_silent_acceptance.py).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import psycopg
from helios_protocol_pg.regress import DEFAULT_CORPUS, REGRESS_SUBDIR, statements_of

# first words after which the catalogs are compared (statements that exist to change them)
CHANGING_WORDS = {"CREATE", "ALTER", "DROP", "COMMENT", "GRANT", "REVOKE", "VACUUM", "ANALYZE", "ANALYSE",
                  "REINDEX", "CLUSTER", "SECURITY", "REFRESH", "TRUNCATE", "REASSIGN", "IMPORT", "SELECT INTO"}

# one query per catalog; a query that fails on either server at the start is left out of both fingerprints
FINGERPRINTS = {
    "pg_class": "select c.relname, n.nspname, c.relkind, c.relnatts, c.relchecks, c.relhastriggers, "
                "c.relrowsecurity, c.relforcerowsecurity, c.relispopulated, c.reloptions::text, c.relacl::text, "
                "c.relpersistence, c.relreplident, c.reltuples from pg_class c join pg_namespace n "
                "on n.oid = c.relnamespace where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')",
    "pg_attribute": "select c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.atthasdef, "
                    "a.attidentity, a.attgenerated, a.attisdropped, a.attstattarget, a.attacl::text, "
                    "a.attoptions::text from pg_attribute a join pg_class c on c.oid = a.attrelid "
                    "join pg_namespace n on n.oid = c.relnamespace where a.attnum > 0 "
                    "and n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')",
    "pg_constraint": "select conname, contype, condeferrable, condeferred, convalidated, "
                     "pg_get_constraintdef(oid) from pg_constraint",
    "pg_indexes": "select schemaname, tablename, indexname, indexdef from pg_indexes "
                  "where schemaname not in ('pg_catalog', 'information_schema')",
    "pg_proc": "select p.proname, p.prosrc, p.provolatile, p.prosecdef, p.proacl::text, p.proconfig::text "
               "from pg_proc p join pg_namespace n on n.oid = p.pronamespace "
               "where n.nspname not in ('pg_catalog', 'information_schema')",
    "pg_trigger": "select tgname, tgenabled from pg_trigger where not tgisinternal",
    "pg_policy": "select polname, polcmd, polpermissive from pg_policy",
    "pg_namespace": "select nspname, nspacl::text from pg_namespace",
    "pg_roles": "select rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, "
                "rolconnlimit, rolvaliduntil, rolbypassrls, rolconfig::text from pg_roles",
    "pg_auth_members": "select roleid, member, admin_option from pg_auth_members",
    "pg_description": "select objoid, objsubid, description from pg_description",
    "pg_type": "select t.typname, t.typtype from pg_type t join pg_namespace n on n.oid = t.typnamespace "
               "where n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast')",
    "pg_extension": "select extname, extversion from pg_extension",
    "pg_views": "select schemaname, viewname, definition from pg_views "
                "where schemaname not in ('pg_catalog', 'information_schema')",
    "pg_sequence": "select seqstart, seqincrement, seqmax, seqmin, seqcache, seqcycle from pg_sequence",
    "pg_attrdef": "select adrelid, adnum, pg_get_expr(adbin, adrelid) from pg_attrdef",
    "pg_inherits": "select inhrelid, inhparent from pg_inherits",
    "pg_rewrite": "select rulename, ev_enabled from pg_rewrite",
    "pg_database": "select datname, datacl::text, datconnlimit from pg_database",
}


def first_words(text: str) -> str:
    code = " ".join(line for line in text.splitlines() if not line.strip().startswith("--"))
    return " ".join(re.findall(r"[A-Za-z_]+", code)[:3]).upper()


def runnable(stmt: list[str]) -> str | None:
    """The statement's SQL, or None for psql meta-commands and statements using psql variables."""
    text = "\n".join(stmt).strip()
    code = [x for x in stmt if x.strip() and not x.strip().startswith("--")]
    if not code or code[0].strip().startswith("\\") or re.search(r"(?<!:):['\"]?[A-Za-z_]", text) \
            or re.search(r"\\g|\\gset|\\gexec|\\crosstab", text):
        return None
    return text


class Server:
    """One connection (autocommit: the corpus's own BEGIN/COMMIT drive transactions)."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.conn = psycopg.connect(dsn, autocommit=True)
        self.queries = dict(FINGERPRINTS)

    def run(self, sql: str) -> tuple[bool, str]:
        try:
            cur = self.conn.execute(sql.encode(), prepare=False)
            return True, cur.statusmessage or ""
        except psycopg.Error as e:
            return False, f"{getattr(e, 'sqlstate', '')} {str(e).splitlines()[0] if str(e) else ''}"

    def usable(self, names: list[str]) -> list[str]:
        """The catalogs whose query this server answers."""
        return [n for n in names if self.run(FINGERPRINTS[n])[0]]

    def fingerprint(self, names: list[str]) -> dict[str, str] | None:
        """A hash per catalog, read in one statement; None when the session's transaction is aborted
        or the read fails."""
        if self.conn.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
            return None
        in_block = self.conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        hashes = []
        try:
            if in_block:
                self.conn.execute("savepoint helios_fingerprint")
            cur = self.conn.cursor()
            cur.execute(";".join(FINGERPRINTS[n] for n in names).encode(), prepare=False)  # one round trip
            while True:
                rows = sorted(repr(r) for r in cur.fetchall())
                hashes.append(hashlib.sha1("\n".join(rows).encode()).hexdigest())
                if not cur.nextset():
                    break
            if in_block:
                self.conn.execute("release savepoint helios_fingerprint")
        except psycopg.Error:
            if in_block:
                self.conn.execute("rollback to savepoint helios_fingerprint")
            return None
        return dict(zip(names, hashes, strict=True))


def walk(helios: Server, postgres: Server, name: str, srcdir: Path, report: dict, catalogs: list[str]) -> None:
    stmts = statements_of((srcdir / "sql" / f"{name}.sql").read_text().splitlines())
    stale = True
    before_h = before_p = None
    for stmt in stmts:
        sql = runnable(stmt)
        if sql is None:
            continue
        words = first_words(sql)
        changing = words.split(" ")[0] in CHANGING_WORDS
        if changing and stale:
            before_h, before_p = helios.fingerprint(catalogs), postgres.fingerprint(catalogs)
        ok_h, tag_h = helios.run(sql)
        ok_p, tag_p = postgres.run(sql)
        report["statements"] += 1
        if ok_h and not ok_p:
            report["accepted_refused_by_pg"].append({"file": name, "sql": sql[-300:], "helios": tag_h,
                                                     "postgres": tag_p})
        if not changing:
            stale = True
            continue
        after_h, after_p = helios.fingerprint(catalogs), postgres.fingerprint(catalogs)
        stale = False
        if not (ok_h and ok_p) or None in (before_h, before_p, after_h, after_p):
            before_h, before_p = after_h, after_p
            continue
        pg_changed = [k for k in catalogs if before_p[k] != after_p[k]]
        ours_changed = [k for k in catalogs if before_h[k] != after_h[k]]
        if pg_changed and not ours_changed:
            report["silent"].append({"file": name, "sql": sql[-300:], "tag": tag_h, "postgres_changed": pg_changed})
        before_h, before_p = after_h, after_p


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", help="corpus test names (default: every file)")
    ap.add_argument("--helios", required=True, help="libpq DSN of a HeliosDB server")
    ap.add_argument("--postgres", required=True, help="libpq DSN of a PostgreSQL 15 server")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--json", type=Path, help="write the full report here")
    args = ap.parse_args(argv)
    srcdir = args.corpus / REGRESS_SUBDIR
    names = args.files or sorted(p.stem for p in (srcdir / "sql").glob("*.sql") if p.stem != "test_setup")
    report: dict = {"statements": 0, "silent": [], "accepted_refused_by_pg": []}
    helios, postgres = Server(args.helios), Server(args.postgres)
    catalogs = postgres.usable(helios.usable(list(FINGERPRINTS)))
    print("catalogs compared:", ", ".join(catalogs), flush=True)
    for name in ["test_setup", *names]:
        helios, postgres = Server(args.helios), Server(args.postgres)
        for s in (helios, postgres):
            s.run("set statement_timeout = '20s'")
        walk(helios, postgres, name, srcdir, report, catalogs)
        helios.conn.close()
        postgres.conn.close()
        print(f"{name:28s} silent so far: {len(report['silent'])}", flush=True)
    kinds = Counter(first_words(x["sql"]) for x in report["silent"])
    print(f"\n{report['statements']} statements; {len(report['silent'])} accepted while doing nothing "
          f"PostgreSQL does; {len(report['accepted_refused_by_pg'])} accepted where PostgreSQL refuses")
    for kind, n in kinds.most_common(40):
        print(f"{n:6d}  {kind}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 1 if report["silent"] else 0


if __name__ == "__main__":
    sys.exit(main())
