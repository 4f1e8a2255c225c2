"""pg_stat_statements' text of a statement (helios_core.statement_text.normalize): constants as
``$n``, a minus sign folded into the constant where it is a sign and kept where it subtracts
(PostgreSQL 15's pg_stat_statements shows pgbench's ``abalance + -4711`` as ``abalance + $1``)."""

from __future__ import annotations

import pytest

from helios_core import statement_text


@pytest.mark.parametrize(("sql", "want"), [
    ("UPDATE pgbench_accounts SET abalance = abalance + -4711 WHERE aid = 7;",
     "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2"),
    ("UPDATE pgbench_accounts SET abalance = abalance + 4711 WHERE aid = 7",
     "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2"),
    ("SELECT a - 5, a-5, 3 - 2, (-1), f(-2, - 3), x[-1] FROM t",
     "SELECT a - $1, a-$2, $3 - $4, ($5), f($6, $7), x[$8] FROM t"),
    ("SELECT -1.5e3 WHERE x = -2 AND y BETWEEN -3 AND -4 OR z IN (-5)",
     "SELECT $1 WHERE x = $2 AND y BETWEEN $3 AND $4 OR z IN ($5)"),
    ("SELECT t1.c - 1, \"q\" - 2, 'a' - 3, $1 - 4, c) - 5 FROM t1",
     "SELECT t1.c - $2, \"q\" - $3, $4 - $5, $1 - $6, c) - $7 FROM t1"),
    ("SELECT 1 -- minus -5 in a comment\n, -2", "SELECT $1 -- minus -5 in a comment\n, $2"),
    ("SELECT x FROM t LIMIT -1 OFFSET 2", "SELECT x FROM t LIMIT $1 OFFSET $2"),
])
def test_normalized_text(sql: str, want: str) -> None:
    assert statement_text.normalize(sql) == want
