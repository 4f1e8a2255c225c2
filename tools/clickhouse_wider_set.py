"""Build the "wider set" of ClickHouse stateless tests that plugins/protocol_clickhouse/README.md measures.

Source: a folder of ClickHouse's tests/queries/0_stateless ``.sql`` files, as the public
repository ClickHouse/clickhouse-node-parser keeps them in ``tests/clickhouse-reference`` (copies
without their ``.reference`` files; they drop repeated identical statements). Kept: the files
numbered 00001-00399 that need no more than one server without datasets, that is less those that

* read the stateful datasets (``test.hits``, ``test.visits``, the ``stateful`` tag);
* reach other servers: ``remote()``/``cluster()``, ``_shard_`` in the name, Distributed tables,
  GLOBAL IN/JOIN over shards, Replicated engines, ZooKeeper, parallel replicas;
* use dictionaries, engines over other storage or other tables (File, URL, S3, MySQL, Kafka,
  Merge, Buffer...) and table functions of them, or system tables other than ``system.one``,
  ``system.numbers`` and ``system.numbers_mt`` (``system.number``, which a test expects to be
  unknown, counts as none).

Each kept file gets a ``.reference`` made by ClickHouse's own engine (chdb): the statements go
one by one, split as the runner (``python -m helios_protocol_clickhouse.stateless``) splits them,
in one chdb session with the runner's settings, TabSeparated unless a FORMAT says otherwise; a
statement marked ``-- { serverError N }`` must fail there as the runner would accept (its output
is nothing). A file that fails in chdb itself (an unexpected error, an expected error that does
not come) is dropped.

    python tools/clickhouse_wider_set.py SOURCE_DIR OUT_DIR
    python -m helios_protocol_clickhouse.stateless --port <http port> OUT_DIR

OUT_DIR gets ``NAME.sql`` (unchanged) and ``NAME.reference`` for each file kept; the names left out
are printed with the reason, and the counts last.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

from helios_protocol_clickhouse.stateless import REFERENCE_SETTINGS, expected_error_matches, statements_of

FIRST, LAST = 1, 399

# (reason, pattern over the file's text, case-insensitive)
_LEFT_OUT = [
    ("stateful datasets", r"\btest\.(hits|visits)\b|--\s*Tags:.*\bstateful\b"),
    ("other servers", (r"\bremote(Secure)?\s*\(|\bcluster\s*\(|\bclusterAllReplicas\s*\(|\bDistributed\s*\(|"
                      r"\bGLOBAL\s+(IN|NOT\s+IN|JOIN|ANY|ALL|LEFT|INNER)\b|--\s*Tags:.*\b(shard|distributed)\b")),
    ("replication", r"\bReplicated\w*\s*\(|zookeeper|\benable_parallel_replicas\b"),
    ("dictionaries", r"\bdictGet\w*\s*\(|\bdictHas\s*\(|\bDICTIONARY\b|\bdictionary\s*\("),
    ("external engines and table functions",
     (r"\b(FROM|JOIN|FUNCTION)\s+(file|url|s3|s3Cluster|hdfs|mysql|postgresql|odbc|jdbc|mongodb|redis|input|"
     r"executable|azureBlobStorage|generateRandom|merge)\s*\(|ENGINE\s*=\s*(File|URL|S3|HDFS|MySQL|PostgreSQL|ODBC|JDBC|MongoDB|Kafka|"
     r"RabbitMQ|Executable|Merge|Buffer|Dictionary)\b")),
]
_SYSTEM_TABLE = re.compile(r"\bsystem\s*\.\s*(\w+)", re.IGNORECASE)
_SYSTEM_KEPT = {"one", "numbers", "numbers_mt", "number"}  # system.number: 00002 expects it to be unknown
_NUMBER = re.compile(r"^(\d{5})_")


def left_out(name: str, text: str) -> str | None:
    """Why a file is not in the set, or None when it is."""
    if "_shard_" in name:
        return "other servers"
    for reason, pattern in _LEFT_OUT:
        if re.search(pattern, text, re.IGNORECASE):
            return reason
    others = {t.lower() for t in _SYSTEM_TABLE.findall(text)} - _SYSTEM_KEPT
    if others:
        return f"system tables ({', '.join(sorted(others))})"
    return None


def selected(source: Path) -> list[tuple[Path, str | None]]:
    """The numbered ``.sql`` files of the range, each with the reason it is left out (None: kept)."""
    out = []
    for path in sorted(source.glob("*.sql")):
        m = _NUMBER.match(path.name)
        if not m or path.name.count(".") > 1 or not FIRST <= int(m.group(1)) <= LAST:
            continue
        out.append((path, left_out(path.stem, path.read_text(errors="replace"))))
    return out


def reference_of(sql_path: Path) -> bytes | str:
    """The file's expected output made by chdb, or why chdb itself fails it."""
    from chdb import session as chdb_session  # ClickHouse's engine in-process (PyPI: chdb)

    session = chdb_session.Session()
    try:
        for name, value in REFERENCE_SETTINGS.items():
            session.query(f"SET {name} = {value}")
        output = bytearray()
        for statement, expected_error in statements_of(sql_path.read_text()):
            try:
                result = session.query(statement, "TabSeparated").bytes()
            except Exception as exc:  # noqa: BLE001 - chdb raises its own error type for a failed query
                if expected_error is None:
                    return f"fails in chdb: {str(exc).strip()[:200]} in {statement[:100]!r}"
                if not expected_error_matches(str(exc), expected_error):
                    return f"another error in chdb than {expected_error}: {str(exc).strip()[:200]}"
                continue
            if expected_error is not None:
                return f"no error {expected_error} in chdb: {statement[:100]!r}"
            output += result
        return bytes(output)
    finally:
        session.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="folder of the .sql copies of 0_stateless")
    parser.add_argument("out", type=Path, help="folder to write NAME.sql and NAME.reference into")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    files = selected(args.source)
    kept = [p for p, why in files if why is None]
    for path, why in files:
        if why is not None:
            print(f"LEFT OUT {path.stem}: {why}")
    written = 0
    for path in kept:
        reference = reference_of(path)
        if isinstance(reference, str):
            print(f"DROPPED {path.stem}: {reference}", flush=True)
            continue
        shutil.copyfile(path, args.out / path.name)
        (args.out / f"{path.stem}.reference").write_bytes(reference)
        written += 1
    print(f"{len(files)} files in {FIRST:05d}-{LAST:05d}, {len(kept)} kept, {written} with a reference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
