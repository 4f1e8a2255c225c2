"""ClickHouse SQL over HTTP, compared statement by statement with ClickHouse's own engine (chdb).

Each file under ``chdb_cases/`` is a script in the style of ClickHouse's stateless tests
(integer literal types and arithmetic, conditions on numbers, array functions with lambdas,
ragged arrays, rounding, dates, formats, Memory tables, joins with USING, UNION ALL, WITH
TOTALS). Its statements run in one HTTP session against HeliosDB and in one chdb session;
the answers (TabSeparated unless a FORMAT says otherwise) must be the same bytes, and a
statement that fails must fail on both with the same error code.
"""

from __future__ import annotations

import pathlib
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from helios_protocol_clickhouse.execute import split_statements
from helios_protocol_clickhouse.stateless import REFERENCE_SETTINGS

from helios_core.testing import HeliosServer

chdb_session = pytest.importorskip("chdb.session", reason="chdb (ClickHouse's engine in-process, from PyPI) "
                                                          "is not installed: nothing to compare with")

CASES = sorted((pathlib.Path(__file__).parent / "chdb_cases").glob("*.sql"))
_CODE = re.compile(r"Code: (\d+)")


def _ours(port: int, sql: str, session_id: str) -> bytes:
    params = {"session_id": session_id, **REFERENCE_SETTINGS}
    request = urllib.request.Request(f"http://127.0.0.1:{port}/?{urllib.parse.urlencode(params)}",
                                     data=sql.encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.read()
    except urllib.error.HTTPError as err:
        m = _CODE.search(err.read().decode("utf-8", "replace"))
        return f"error {m.group(1) if m else '?'}".encode()


def _reference(session: object, sql: str) -> bytes:
    try:
        return session.query(sql, "TabSeparated").bytes()  # type: ignore[attr-defined]
    except Exception as exc:  # noqa: BLE001 - chdb raises its own error type for a failed query
        m = _CODE.search(str(exc))
        return f"error {m.group(1) if m else '?'}".encode()


@pytest.fixture
def reference() -> object:
    """A fresh chdb session per script: what one script SETs does not reach the next."""
    session = chdb_session.Session()
    for name, value in REFERENCE_SETTINGS.items():
        if name != "max_execution_time":
            session.query(f"SET {name} = {value}")
    yield session
    session.close()


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_same_answers_as_clickhouse(server: HeliosServer, reference: object, case: pathlib.Path) -> None:
    port = server.port("clickhouse_http")
    session_id = f"chdb-{uuid.uuid4().hex}"
    differences = []
    for statement in split_statements(case.read_text()):
        expected = _reference(reference, statement)
        got = _ours(port, statement, session_id)
        if got != expected:
            differences.append(f"{statement}\n  ClickHouse: {expected[:300]!r}\n  HeliosDB:   {got[:300]!r}")
    assert not differences, f"{len(differences)} statements differ:\n" + "\n".join(differences)
