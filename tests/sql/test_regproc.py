"""regproc: a function's name in, its OID held, its name out, as PostgreSQL (pgJDBC's type cache asks
`typinput = 'pg_catalog.array_in'::regproc` to tell array types apart)."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.fixture
def s():
    return helios_core.connect()


def rows(s, sql: str) -> list[tuple]:
    return [tuple(r.values()) for b in s.execute(sql)[-1].batches for r in b.to_pylist()]


def test_pg_type_io_functions_are_regprocs(s):
    got = rows(s, "select typname, typinput::text, typinput = 'pg_catalog.array_in'::regproc, typoutput::text, "
                  "typsubscript::text, pg_typeof(typreceive)::text from pg_type where typname in ('_text', 'int4') "
                  "order by typname")
    assert got == [("_text", "array_in", True, "array_out", "array_subscript_handler", "regproc"),
                   ("int4", "int4in", False, "int4out", "-", "regproc")]


def test_regproc_input_and_output(s):
    assert rows(s, "select 'now'::regproc::text a, 'pg_catalog.now'::regproc::text b, '-'::regproc::oid c, "
                   "'array_in'::regproc::oid = (select typinput::oid from pg_type where typname = '_int4')") == \
        [("now", "now", 0, True)]
    with pytest.raises(HeliosError) as e:  # upper(text), upper(anyrange), upper(anymultirange), as PostgreSQL
        s.execute("select 'pg_catalog.upper'::regproc")
    assert (e.value.sqlstate, e.value.message) == ("42725", 'more than one function named "pg_catalog.upper"')
    s.execute("create function twice(x int) returns int language sql as 'select x * 2'")
    assert rows(s, "select 'twice'::regproc::text, 'public.twice'::regproc::oid = "
                   "(select oid from pg_proc where proname = 'twice')") == [("twice", True)]
    s.execute("create function twice(x text) returns text language sql as 'select x || x'")
    with pytest.raises(HeliosError) as e:
        s.execute("select 'twice'::regproc")
    assert e.value.sqlstate == "42725"
    with pytest.raises(HeliosError) as e:
        s.execute("select 'no_such_function'::regproc")
    assert e.value.sqlstate == "42883"
