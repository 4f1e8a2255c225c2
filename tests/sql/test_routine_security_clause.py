"""``LANGUAGE sql SECURITY DEFINER|INVOKER`` (the tokenizer reads "sql SECURITY" as one token): both
are read after LANGUAGE sql, not a syntax error; DEFINER is kept (pg_proc.prosecdef)."""

from __future__ import annotations

import helios_core


def test_security_clause_after_language_sql():
    s = helios_core.connect()
    s.execute("create function sd(int) returns int as 'select $1' language sql security definer")
    s.execute("create function si(int) returns int language sql security invoker as 'select $1 + 1'")
    assert s.execute("select sd(1), si(1)")[-1].rows() == [(1, 2)]
    assert s.execute("select proname, prosecdef from pg_proc where proname in ('sd', 'si') order by 1")[-1].rows() \
        == [("sd", True), ("si", False)]
