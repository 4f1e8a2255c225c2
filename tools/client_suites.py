"""Run a PostgreSQL client library's own test suite against a server and summarise the outcome.

The client libraries (psycopg, asyncpg, SQLAlchemy) ship large test suites written against
PostgreSQL. Running them unchanged against ``helios serve`` and comparing with a run against
PostgreSQL 15 tells how far a real application's driver gets with HeliosDB. This script only
drives the suites: the libraries' source checkouts and their test dependencies live outside
this repository, in a virtual environment of their own (``--python``).

Usage::

    python tools/client_suites.py run psycopg /path/to/psycopg-checkout \\
        --dsn "host=127.0.0.1 port=5432 user=helios dbname=helios" \\
        --python /path/to/clients-venv/bin/python --out psycopg-helios.json
    python tools/client_suites.py run asyncpg /path/to/asyncpg-checkout --dsn ... --out ...
    python tools/client_suites.py run sqlalchemy /path/to/sqlalchemy-checkout --dsn ... --out ...
    python tools/client_suites.py compare psycopg-pg15.json psycopg-helios.json

``run`` writes a JSON summary (counts, the command, and every test's outcome and first line
of failure); ``compare`` says how many of the tests that pass in the first summary (the
reference, PostgreSQL 15) also pass in the second, and groups the others by failure message.
Extra pytest arguments go after ``--``.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs


@attrs.frozen
class SuiteRun:
    """How one library's suite is started: working directory, pytest arguments, environment."""

    cwd: Path
    args: list[str]
    env: dict[str, str]
    cleanup: Callable[[], None] = lambda: None
    setup_sql: tuple[str, ...] = ()  # run on the server first (objects the suite expects to exist)


def parse_dsn(dsn: str) -> dict[str, str]:
    """libpq ``key=value`` conninfo to a dict (the suites need host/port/user/dbname apart)."""
    pairs = dict(item.split("=", 1) for item in dsn.split())
    return {"host": pairs.get("host", "127.0.0.1"), "port": pairs.get("port", "5432"),
            "user": pairs.get("user", "postgres"), "dbname": pairs.get("dbname", "postgres"),
            "password": pairs.get("password", "")}


def psycopg_run(checkout: Path, dsn: str, cache: Path) -> SuiteRun:
    """psycopg's conftest takes ``--test-dsn``; the ``slow`` marker holds the timing-bound tests."""
    args = ["tests", "-p", "no:randomly", "-p", "no:asyncio", "-m", "not slow",
            "-o", f"cache_dir={cache}", "--test-dsn", dsn]
    return SuiteRun(cwd=checkout, args=args, env={})


def asyncpg_run(checkout: Path, dsn: str, cache: Path) -> SuiteRun:
    """asyncpg's test base uses an existing server when PGHOST is set.

    The tests are copied out of the checkout so that the installed (compiled) asyncpg is
    imported rather than the checkout's uncompiled sources.
    """
    parts = parse_dsn(dsn)
    scratch = Path(tempfile.mkdtemp(prefix="asyncpg-tests-"))
    shutil.copytree(checkout / "tests", scratch / "tests")
    env = {"PGHOST": parts["host"], "PGPORT": parts["port"], "PGUSER": parts["user"],
           "PGDATABASE": parts["dbname"]}
    if parts["password"]:
        env["PGPASSWORD"] = parts["password"]
    args = ["tests", "-p", "no:randomly", "-p", "no:asyncio", "-o", f"cache_dir={cache}"]
    return SuiteRun(cwd=scratch, args=args, env=env,
                    cleanup=lambda: shutil.rmtree(scratch, ignore_errors=True))


def sqlalchemy_run(checkout: Path, dsn: str, cache: Path) -> SuiteRun:
    """SQLAlchemy's dialect compliance suite, pointed at the server with ``--dburi``."""
    parts = parse_dsn(dsn)
    auth = parts["user"] + (f":{parts['password']}" if parts["password"] else "")
    uri = f"postgresql+psycopg://{auth}@{parts['host']}:{parts['port']}/{parts['dbname']}"
    args = ["test/dialect/test_suite.py", "-p", "no:randomly", "-p", "no:asyncio", "--maxfail=1000000",
            "-o", f"cache_dir={cache}", "--dburi", uri]
    # README.unittests: the PostgreSQL run expects these schemas in the test database
    setup = ("CREATE SCHEMA IF NOT EXISTS test_schema", "CREATE SCHEMA IF NOT EXISTS test_schema_2")
    return SuiteRun(cwd=checkout, args=args, env={}, setup_sql=setup)


SUITES: dict[str, Callable[[Path, str, Path], SuiteRun]] = {
    "psycopg": psycopg_run, "asyncpg": asyncpg_run, "sqlalchemy": sqlalchemy_run,
}


def read_junit(path: Path) -> dict[str, dict[str, str]]:
    """Outcome (passed/failed/error/skipped) and first message line of every test case."""
    outcomes: dict[str, dict[str, str]] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        test_id = f"{case.get('classname')}::{case.get('name')}"
        outcome, message = "passed", ""
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed"}.get(child.tag, child.tag)
                message = (child.get("message") or child.text or "").strip().splitlines()[:1]
                message = message[0][:300] if message else ""
                if child.tag == "skipped" and child.get("type") == "pytest.xfail":
                    outcome = "xfailed"
                break
        # a teardown error is reported as a second entry for a passed test: keep the worse one
        if outcomes.get(test_id, {}).get("outcome") in ("failed", "error"):
            continue
        outcomes[test_id] = {"outcome": outcome, "message": message}
    return outcomes


def run_suite(suite: str, checkout: Path, dsn: str, python: str, timeout: int,
              extra: Sequence[str]) -> dict:
    """Run one suite under pytest with a JUnit report and return the summary."""
    work = Path(tempfile.mkdtemp(prefix=f"{suite}-run-"))
    spec = SUITES[suite](checkout.resolve(), dsn, work / "cache")
    junit = work / "junit.xml"
    if spec.setup_sql:
        import psycopg

        with psycopg.connect(dsn, autocommit=True) as conn:
            for statement in spec.setup_sql:
                conn.execute(statement)
    command = [python, "-m", "pytest", *spec.args, f"--timeout={timeout}", "-q",
               f"--junitxml={junit}", *extra]
    try:
        proc = subprocess.run(command, cwd=spec.cwd, env={**os.environ, **spec.env},
                              capture_output=True, text=True, check=False)
        tests = read_junit(junit) if junit.exists() else {}
    finally:
        spec.cleanup()
        shutil.rmtree(work, ignore_errors=True)
    counts = collections.Counter(t["outcome"] for t in tests.values())
    tail = proc.stdout.strip().splitlines()[-1:] or proc.stderr.strip().splitlines()[-1:]
    return {"suite": suite, "dsn": dsn, "cwd": str(spec.cwd), "env": spec.env,
            "command": command, "exit_status": proc.returncode, "pytest_summary": tail,
            "counts": dict(sorted(counts.items())), "tests": tests}


def failure_cause(message: str) -> str:
    """A failure message with the volatile parts (numbers, quoted names) masked, for grouping."""
    return re.sub(r"\d+", "N", re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", message))[:160]


def compare(reference: dict, target: dict, top: int) -> str:
    """Share of the reference's passing tests that pass in the target, and why the others fail."""
    ref_passed = {t for t, r in reference["tests"].items() if r["outcome"] == "passed"}
    tgt = target["tests"]
    passed = {t for t in ref_passed if tgt.get(t, {}).get("outcome") == "passed"}
    lost = sorted(ref_passed - passed)
    causes = collections.Counter(
        failure_cause(tgt.get(t, {}).get("message", "") or tgt.get(t, {}).get("outcome", "missing"))
        for t in lost)
    files = collections.Counter(t.split("::")[0] for t in lost)
    share = 100.0 * len(passed) / len(ref_passed) if ref_passed else 0.0
    lines = [f"{reference['suite']}: reference {reference['counts']}",
             f"{target['suite']}: target {target['counts']}",
             (f"passing in the reference: {len(ref_passed)}; also passing in the target: "
              f"{len(passed)} ({share:.1f}%)"), "", "failure causes (most first):"]
    lines += [f"  {n:5d}  {cause}" for cause, n in causes.most_common(top)]
    lines += ["", "by module:"] + [f"  {n:5d}  {name}" for name, n in files.most_common(top)]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run a suite and write a JSON summary")
    run.add_argument("suite", choices=sorted(SUITES))
    run.add_argument("checkout", type=Path, help="source checkout of the client library")
    run.add_argument("--dsn", required=True, help="libpq conninfo of the server under test")
    run.add_argument("--python", default=sys.executable,
                     help="interpreter of the venv that has the library and its test deps")
    run.add_argument("--timeout", type=int, default=60, help="per-test timeout in seconds")
    run.add_argument("--out", type=Path, required=True)
    run.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    junit = commands.add_parser("junit", help="summarise an existing JUnit report of a run")
    junit.add_argument("suite", choices=sorted(SUITES))
    junit.add_argument("report", type=Path)
    junit.add_argument("--out", type=Path, required=True)
    cmp = commands.add_parser("compare", help="reference passes that also pass in the target")
    cmp.add_argument("reference", type=Path)
    cmp.add_argument("target", type=Path)
    cmp.add_argument("--top", type=int, default=25)
    args, unknown = parser.parse_known_args(argv)
    if unknown and args.command != "run":
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command == "run":
        extra = [a for a in [*args.pytest_args, *unknown] if a != "--"]  # pytest options after "--"
        summary = run_suite(args.suite, args.checkout, args.dsn, args.python, args.timeout, extra)
        args.out.write_text(json.dumps(summary, indent=1, sort_keys=True))
        print(f"{args.suite}: {summary['counts']} ({' '.join(summary['pytest_summary'])})")
        return 0
    if args.command == "junit":
        tests = read_junit(args.report)
        counts = collections.Counter(t["outcome"] for t in tests.values())
        args.out.write_text(json.dumps({"suite": args.suite, "report": str(args.report),
                                        "counts": dict(sorted(counts.items())), "tests": tests},
                                       indent=1, sort_keys=True))
        print(f"{args.suite}: {dict(sorted(counts.items()))}")
        return 0
    print(compare(json.loads(args.reference.read_text()), json.loads(args.target.read_text()),
                  args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
