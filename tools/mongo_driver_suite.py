"""Run pymongo's own test files against a MongoDB-protocol server and count the outcome per file.

pymongo's source distribution ships its test suite (``test/``), written against a real mongod.
Running the files of issue 15 (test_collection, test_cursor, test_database, test_session,
test_transactions) unchanged against ``helios serve`` tells how far applications that lean on
the driver's less common paths get. The suite reads the server's address from ``DB_IP`` and
``DB_PORT``; it needs pytest-asyncio beside pytest (its pytest configuration names it).

Usage::

    pip download --no-binary :all: --no-deps pymongo==$(python -c "import pymongo; print(pymongo.__version__)")
    tar xzf pymongo-*.tar.gz
    python tools/mongo_driver_suite.py pymongo-4.20.1 --port 27017 [--files test_collection ...]

Prints passed/failed/skipped per file and the most common first lines of failures. With
``--out`` it also writes every test's outcome as JSON. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

FILES = ["test_collection", "test_cursor", "test_database", "test_session", "test_transactions"]


def read_junit(path: Path) -> dict[str, tuple[str, str]]:
    """test id -> (outcome, first line of the failure or skip reason)."""
    outcomes: dict[str, tuple[str, str]] = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        test_id = f"{case.get('classname')}::{case.get('name')}"
        outcome, why = "passed", ""
        for child in case:
            if child.tag in ("failure", "error"):
                outcome, why = "failed", (child.get("message") or child.text or "").strip()
            elif child.tag == "skipped":
                outcome, why = "skipped", (child.get("message") or "").strip()
        outcomes[test_id] = (outcome, why.splitlines()[0][:200] if why else "")
    return outcomes


def run_file(checkout: Path, name: str, host: str, port: int, python: str, timeout: int) -> dict[str, tuple]:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "junit.xml"
        env = {**os.environ, "DB_IP": host, "DB_PORT": str(port)}
        # the suite's own addopts write a report of their own and select markers: replaced here
        command = [python, "-m", "pytest", f"test/{name}.py", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                   f"--junitxml={report}", f"--timeout={timeout}"]
        subprocess.run(command, cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        return read_junit(report) if report.exists() else {}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path, help="unpacked pymongo source distribution (with test/)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=27017)
    parser.add_argument("--python", default=sys.executable, help="interpreter with pymongo, pytest, "
                                                                  "pytest-asyncio and pytest-timeout")
    parser.add_argument("--timeout", type=int, default=60, help="per-test timeout in seconds")
    parser.add_argument("--files", nargs="*", default=FILES)
    parser.add_argument("--top", type=int, default=15, help="how many failure causes to list per file")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    everything: dict[str, dict[str, tuple]] = {}
    print(f"{'file':<22}{'passed':>8}{'failed':>8}{'skipped':>9}")
    for name in args.files:
        outcomes = run_file(args.checkout, name, args.host, args.port, args.python, args.timeout)
        everything[name] = outcomes
        counts = collections.Counter(outcome for outcome, _ in outcomes.values())
        print(f"{name:<22}{counts['passed']:>8}{counts['failed']:>8}{counts['skipped']:>9}", flush=True)
    for name, outcomes in everything.items():
        causes = collections.Counter(why for outcome, why in outcomes.values() if outcome == "failed")
        if causes:
            print(f"\n{name}: failure causes")
            for why, n in causes.most_common(args.top):
                print(f"  {n:4d}  {why}")
    if args.out:
        args.out.write_text(json.dumps({k: {t: list(v) for t, v in o.items()} for k, o in everything.items()},
                                       indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
