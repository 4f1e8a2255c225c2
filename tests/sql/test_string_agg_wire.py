"""string_agg's delimiter bound as a parameter by a real client (it was ',' whatever was sent)."""

from __future__ import annotations

import pytest

psycopg = pytest.importorskip("psycopg")


@pytest.mark.parametrize("sep", [",", " | ", None])
def test_string_agg_with_a_bound_delimiter_over_the_wire(pg_server, sep):
    """psycopg binds the delimiter as a parameter ($1): the value sent is the one used."""
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as conn:
        got = conn.execute("SELECT string_agg(x, %s) FROM (VALUES ('a'), ('b')) v(x)", (sep,)).fetchone()[0]
    assert got == "a" + (sep or "") + "b"
