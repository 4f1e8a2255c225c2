"""Run ClickHouse's stateless SQL tests (``.sql`` + ``.reference``) against a server's HTTP interface.

As ClickHouse's test runner does: the statements of each ``.sql`` run one after another in
one session (TabSeparated unless a FORMAT says otherwise); the outputs, concatenated, must
equal the ``.reference`` byte for byte. A statement followed by ``-- { serverError N }``
must fail with code N (its output is nothing). The settings the references were made
with are sent with every statement (``output_format_json_quote_64bit_integers=1``,
``output_format_decimal_trailing_zeros=1``).

    python -m helios_protocol_clickhouse.stateless --port 8123 ../shared/corpora/clickhouse-stateless
"""

from __future__ import annotations

import argparse
import http.client
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import attrs

from helios_protocol_clickhouse.execute import split_statements

REFERENCE_SETTINGS = {"output_format_json_quote_64bit_integers": "1", "output_format_decimal_trailing_zeros": "1",
                      "max_execution_time": "60"}
_EXPECTED_ERROR = re.compile(r"^\s*--\s*\{\s*(?:serverError|clientError)\s+(?P<codes>[\w|\s]+?)\s*\}", re.IGNORECASE)
_OWN_HINT = re.compile(r"--\s*\{\s*(?:serverError|clientError)\s+(?P<codes>[\w|\s]+?)\s*\}")
_CODE = re.compile(r"Code: (\d+)")


@attrs.define
class Outcome:
    name: str
    passed: bool
    detail: str = ""


def statements_of(script: str) -> list[tuple[str, str | None]]:
    """(statement, expected error codes or None) in order."""
    out: list[tuple[str, str | None]] = []
    for piece in split_statements(script):
        m = _EXPECTED_ERROR.match(piece)
        while m:
            if out:
                out[-1] = (out[-1][0], m.group("codes"))
            piece = piece[m.end():].lstrip("\n")
            m = _EXPECTED_ERROR.match(piece)
        if _is_only_comments(piece):
            continue
        own = _OWN_HINT.search(piece)  # SELECT ... -- { serverError N } with no ';' after it
        out.append((piece, own.group("codes") if own else None))
    return out


def _is_only_comments(text: str) -> bool:
    return all(not line.strip() or line.strip().startswith("--") for line in text.splitlines())


def expected_error_matches(message: str, expected: str) -> bool:
    """Whether an error message (``Code: N. ...``) is one that ``-- { serverError a|b }`` allows: its
    code is listed, or a code is named (``UNKNOWN_TABLE``: names are not mapped to numbers here)."""
    m = _CODE.search(message)
    codes = {c.strip() for c in expected.split("|")}
    return m is not None and (m.group(1) in codes or bool(codes - {c for c in codes if c.isdigit()}))


def run_statement(base_url: str, sql: str, session_id: str, timeout: float) -> tuple[int, bytes]:
    params = {"session_id": session_id, **REFERENCE_SETTINGS}
    url = f"{base_url}/?{urllib.parse.urlencode(params)}"
    request = urllib.request.Request(url, data=sql.encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()
    except (TimeoutError, OSError, http.client.HTTPException) as err:
        return 0, f"no answer: {err!r}".encode()


def run_file(base_url: str, sql_path: Path, timeout: float = 90.0) -> Outcome:
    reference = sql_path.with_suffix(".reference").read_bytes()
    session_id = f"stateless-{uuid.uuid4().hex}"
    output = bytearray()
    for statement, expected_error in statements_of(sql_path.read_text()):
        status, body = run_statement(base_url, statement, session_id, timeout)
        if expected_error is not None:
            if status == 200 or not expected_error_matches(body.decode("utf-8", "replace"), expected_error):
                return Outcome(sql_path.stem, False, f"expected error {expected_error}: {statement[:80]!r}")
            continue
        if status != 200:
            return Outcome(sql_path.stem, False, f"{body.decode('utf-8', 'replace').strip()[:300]}\n  in: "
                                                 f"{statement[:200]!r}")
        output += body
    if bytes(output) == reference:
        return Outcome(sql_path.stem, True)
    return Outcome(sql_path.stem, False, f"output differs:\n--- got\n{bytes(output)[:600].decode('utf-8', 'replace')}"
                                         f"\n--- expected\n{reference[:600].decode('utf-8', 'replace')}")


def sql_files(corpus: Path) -> list[Path]:
    return sorted(corpus.rglob("*.sql"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    base_url = f"http://{args.host}:{args.port}"
    outcomes = []
    for path in sql_files(args.corpus):  # each file's outcome as it comes (a long run can be followed)
        outcome = run_file(base_url, path)
        outcomes.append(outcome)
        print(f"{'PASS' if outcome.passed else 'FAIL'} {outcome.name}", flush=True)
        if args.verbose and not outcome.passed:
            print("  " + outcome.detail.replace("\n", "\n  "), flush=True)
    passed = sum(o.passed for o in outcomes)
    print(f"{passed} of {len(outcomes)} passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
