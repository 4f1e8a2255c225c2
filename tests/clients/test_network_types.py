"""inet and cidr through psycopg (text and binary), as PostgreSQL 15 has them.

psycopg loads inet into ipaddress interfaces/addresses and cidr into networks by type OID,
and dumps them back with those OIDs; the expected values are PostgreSQL 15's.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

import psycopg
import pytest

from helios_core.testing import HeliosServer


@pytest.fixture(params=[False, True], ids=["text", "binary"])
def cur(server: HeliosServer, request: pytest.FixtureRequest) -> Iterator[psycopg.Cursor]:
    with psycopg.connect(server.pg_dsn(), autocommit=True) as c:
        yield c.cursor(binary=request.param)


def test_values_load_by_type(cur: psycopg.Cursor) -> None:
    row = cur.execute("select '192.168.0.1'::inet, '127.0.0.1/24'::inet, '10.1.0.0/16'::cidr, "
                      "'2001:db8::/32'::cidr, array[null, '::1'::inet]").fetchone()
    assert row == (ipaddress.ip_address("192.168.0.1"), ipaddress.ip_interface("127.0.0.1/24"),
                   ipaddress.ip_network("10.1.0.0/16"), ipaddress.ip_network("2001:db8::/32"),
                   [None, ipaddress.ip_address("::1")])


def test_parameters_and_equality(cur: psycopg.Cursor) -> None:
    assert cur.execute("select %s = '192.168.0.1'::inet, %s = '10.0.0.0/8'::cidr",
                       [ipaddress.ip_address("192.168.0.1"), ipaddress.ip_network("10.0.0.0/8")]).fetchone() == (
        True, True)
    assert cur.execute("select %s", [[ipaddress.ip_network("192.168.0.1/32"), ipaddress.ip_network("::1/128")]]
                       ).fetchone() == ([ipaddress.ip_network("192.168.0.1/32"), ipaddress.ip_network("::1/128")],)


def test_text_casts_and_functions(cur: psycopg.Cursor) -> None:
    row = cur.execute("select '192.168.0.1'::inet::text, '10.1.2.3/16'::inet::cidr::text, host('10.1.2.3/16'::inet), "
                      "masklen('10.1.2.3/16'::inet), family('::1'::inet), broadcast('10.1.2.3/16'::inet)::text"
                      ).fetchone()
    assert row == ("192.168.0.1/32", "10.1.0.0/16", "10.1.2.3", 16, 6, "10.1.255.255/16")


def test_order_is_by_address_not_text(cur: psycopg.Cursor) -> None:
    cur.execute("drop table if exists hosts")
    cur.execute("create table hosts (a inet)")
    cur.execute("insert into hosts values ('10.0.0.2'), ('9.0.0.1'), ('::1'), ('10.0.0.2/8')")
    got = [r[0] for r in cur.execute("select a::text as t from hosts order by a").fetchall()]
    assert got == ["9.0.0.1/32", "10.0.0.2/8", "10.0.0.2/32", "::1/128"]
    assert cur.execute("select '10.0.0.2'::inet < '9.0.0.1'::inet").fetchone() == (False,)


@pytest.mark.parametrize("sql", ["select 'x'::inet", "select '10.1.2.3/16'::cidr"])
def test_bad_input_is_22p02(cur: psycopg.Cursor, sql: str) -> None:
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        cur.execute(sql)
