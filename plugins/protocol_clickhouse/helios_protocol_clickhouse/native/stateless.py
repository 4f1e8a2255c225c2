"""Run ClickHouse's stateless SQL tests over the native protocol, as clickhouse-client would.

Like ``helios_protocol_clickhouse.stateless`` (the HTTP runner), each ``.sql`` runs statement by
statement in one session and the concatenated output must equal its ``.reference`` byte for byte;
here the statements travel over the native port and the result comes back as blocks, which the
client renders in the statement's FORMAT (TabSeparated by default), as clickhouse-client renders
what it receives.

    python -m helios_protocol_clickhouse.native.stateless --port 9000 ../shared/corpora/clickhouse-stateless
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from helios_protocol_clickhouse import formats
from helios_protocol_clickhouse.dialect import HeliosClickHouse
from helios_protocol_clickhouse.native.client import NativeClient, Reply, ServerError
from helios_protocol_clickhouse.results import ChColumn, ChResult
from helios_protocol_clickhouse.stateless import REFERENCE_SETTINGS, Outcome, sql_files, statements_of
from helios_protocol_clickhouse.statements import settings_of


def _tree(statement: str) -> exp.Expression | None:
    try:
        return sqlglot.parse_one(statement, read=HeliosClickHouse)
    except (ParseError, TokenError, ValueError):
        return None


def output_format(tree: exp.Expression | None) -> str:
    """The statement's FORMAT clause, or TabSeparated (what clickhouse-client prints by default)."""
    fmt = tree.args.get("format") if tree is not None else None
    return fmt.name if fmt is not None else "TabSeparated"


def render(reply: Reply, tree: exp.Expression | None, settings: dict[str, str]) -> bytes:
    """The reply as the client prints it, in the statement's format and with its SETTINGS too."""
    if not reply.has_columns:
        return b""
    if tree is not None and tree.args.get("settings"):
        settings = {**settings, **settings_of(list(tree.args["settings"]))}
    result = ChResult(kind="SELECT", columns=[ChColumn(n, t) for n, t in zip(reply.names, reply.types, strict=True)],
                      batches=reply.batches, row_count=sum(b.num_rows for b in reply.batches),
                      totals=reply.totals, rows_before_limit=reply.rows_before_limit)
    body, _ = formats.render(output_format(tree), result, settings)
    return body


def run_file(host: str, port: int, sql_path: Path) -> Outcome:
    reference = sql_path.with_suffix(".reference").read_bytes()
    output = bytearray()
    settings = dict(REFERENCE_SETTINGS)  # what the client formats with: the reference's, then SETs
    try:
        client = NativeClient(host, port)
    except (OSError, ServerError) as e:
        return Outcome(sql_path.stem, False, f"cannot connect: {e}")
    try:
        for statement, expected_error in statements_of(sql_path.read_text()):
            try:
                reply = client.query(statement, REFERENCE_SETTINGS)
            except ServerError as e:
                codes = {c.strip() for c in (expected_error or "").split("|") if c.strip()}
                if expected_error is not None and (str(e.code) in codes or not all(c.isdigit() for c in codes)):
                    continue
                return Outcome(sql_path.stem, False, f"{e}\n  in: {statement[:200]!r}")
            except (OSError, ConnectionError) as e:
                return Outcome(sql_path.stem, False, f"connection lost: {e}\n  in: {statement[:200]!r}")
            if expected_error is not None:
                return Outcome(sql_path.stem, False, f"expected error {expected_error}: {statement[:80]!r}")
            tree = _tree(statement)
            if isinstance(tree, exp.Set):
                settings.update(settings_of(list(tree.expressions)))
            output += render(reply, tree, settings)
    finally:
        client.close()
    if bytes(output) == reference:
        return Outcome(sql_path.stem, True)
    return Outcome(sql_path.stem, False, f"output differs:\n--- got\n{bytes(output)[:600].decode('utf-8', 'replace')}"
                                         f"\n--- expected\n{reference[:600].decode('utf-8', 'replace')}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    outcomes = [run_file(args.host, args.port, path) for path in sql_files(args.corpus)]
    for outcome in outcomes:
        print(f"{'PASS' if outcome.passed else 'FAIL'} {outcome.name}")
        if args.verbose and not outcome.passed:
            print("  " + outcome.detail.replace("\n", "\n  "))
    print(f"{sum(o.passed for o in outcomes)} of {len(outcomes)} passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
