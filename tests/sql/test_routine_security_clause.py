"""``LANGUAGE sql SECURITY DEFINER|INVOKER`` (the tokenizer reads "sql SECURITY" as one token): DEFINER
is refused as not built (0A000), INVOKER is the default it names, not a syntax error."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError


def test_security_clause_after_language_sql():
    s = helios_core.connect()
    with pytest.raises(HeliosError) as e:
        s.execute("create function sd(int) returns int as 'select $1' language sql security definer")
    assert (e.value.sqlstate, str(e.value)) == ("0A000", "SECURITY DEFINER routines are not supported")
    s.execute("create function si(int) returns int language sql security invoker as 'select $1 + 1'")
    assert s.execute("select si(1)")[-1].rows() == [(2,)]
