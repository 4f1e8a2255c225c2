"""inet/cidr input, functions and operators, with PostgreSQL 15's answers (taken from 15.x)."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.fixture(scope="module")
def s():
    sess = helios_core.connect()
    sess.execute("create table nets (c cidr, i inet)")
    sess.execute("insert into nets values ('192.168.1', '192.168.1.226/24'), ('10', '9.1.2.3/8'), "
                 "('10:23::8000/113', '10:23::ffff'), ('::ffff:1.2.3.4', '::4.3.2.1/24')")
    yield sess
    sess.close()


def one(s, sql):
    return s.execute(sql)[-1].rows()[0]


def sqlstate(s, sql):
    with pytest.raises(HeliosError) as ei:
        s.execute(sql)
    return ei.value.sqlstate, ei.value.message


def test_abbreviated_and_classful_input(s):
    assert one(s, "select '10.1'::cidr, '128'::cidr, '224'::cidr, '240'::cidr, '10.1/16'::inet, "
                  "'255.255.000.000/0'::inet") == (
        "10.1.0.0/16", "128.0.0.0/16", "224.0.0.0/4", "240.0.0.0/32", "10.1.0.0/16", "255.255.0.0/0")


def test_ipv6_keeps_dotted_tail_as_postgres_prints_it(s):
    assert one(s, "select '::1.2.3.4'::inet, '::ffff:1.2.3.4'::inet, '::0.0.1.0'::inet, '::ffff:0:0'::inet") == (
        "::1.2.3.4", "::ffff:1.2.3.4", "::100", "::ffff:0.0.0.0")


@pytest.mark.parametrize("sql", ["select '10'::inet", "select '1.2.3.4/33'::inet", "select ' 1.2.3.4'::inet",
                                 "select 'fe80::1%eth0'::inet", "select '1234::1234::1234'::cidr"])
def test_bad_input(s, sql):
    assert sqlstate(s, sql)[0] == "22P02"


def test_cidr_function_is_a_cast_with_host_bits_checked(s):
    assert sqlstate(s, "select cidr('192.168.1.2/30')") == ("22P02", 'invalid cidr value: "192.168.1.2/30"')
    assert one(s, "select cidr('10.1.2.3/16'::inet), inet('10.1.0.0/16'::text)") == ("10.1.0.0/16", "10.1.0.0/16")


def test_functions(s):
    assert one(s, "select abbrev('10.1.0.0/16'::cidr), abbrev('10.1.2.3/32'::inet), abbrev('192.168.1.0/26'::cidr),"
                  " text('1.2.3.4'::inet), hostmask('10.1.2.3/16'::inet), netmask('::1/16'::inet),"
                  " set_masklen('10.0.0.0/8'::cidr, 16), set_masklen('10.1.2.3'::inet, -1),"
                  " inet_merge('192.168.1.5/24'::inet, '192.168.2.5/24'::inet),"
                  " inet_same_family('1.2.3.4'::inet, '::1'::inet)") == (
        "10.1/16", "10.1.2.3", "192.168.1.0/26", "1.2.3.4/32", "0.0.255.255", "ffff::",
        "10.0.0.0/16", "10.1.2.3", "192.168.0.0/22", False)
    assert sqlstate(s, "select set_masklen('1.2.3.4'::inet, 33)") == ("22023", "invalid mask length: 33")
    assert sqlstate(s, "select inet_merge('1.2.3.4'::inet, '::1'::inet)")[1] == "cannot merge addresses from different families"


def test_containment(s):
    assert one(s, "select '192.168.1.5'::inet << '192.168.1.0/24'::cidr, '192.168.1.0/24'::inet << "
                  "'192.168.1.0/24'::cidr, '192.168.1.0/24'::inet <<= '192.168.1.0/24'::cidr, "
                  "'10.0.0.0/8'::cidr >> '10.1.0.0/16'::inet, '10.0.0.0/8'::cidr >>= '10.0.0.0/8'::inet, "
                  "'10.1.0.0/16'::inet && '10.0.0.0/8'::cidr, '::1'::inet && '0.0.0.0/0'::cidr") == (
        True, False, True, True, True, True, False)
    assert [r[0] for r in s.execute("select i from nets where i << '192.168.0.0/16'::cidr")[-1].rows()] == [
        "192.168.1.226/24"]


def test_bitwise_and_arithmetic(s):
    assert one(s, "select ~'192.168.1.226/24'::inet, '192.168.1.226/24'::inet & '0.0.255.255'::inet, "
                  "'10.0.0.1'::inet | '0.0.1.0/16'::inet, '127.0.0.1'::inet + 257, 500 + '127::1'::inet, "
                  "'127.0.0.2'::inet - 500, '127.0.0.2'::inet - '127.0.0.1'::inet") == (
        "63.87.254.29/24", "0.0.1.226", "10.0.1.1", "127.0.1.2", "127::1f5", "126.255.254.14", 1)
    assert sqlstate(s, "select '127.0.0.1'::inet + 10000000000") == ("22003", "result is out of range")
    assert sqlstate(s, "select '126::1'::inet - '127::2'::inet") == ("22003", "result is out of range")
    assert sqlstate(s, "select '1.2.3.4'::inet & '::1'::inet")[1] == "cannot AND inet values of different sizes"


def test_min_max_order_by_family_then_network(s):
    assert one(s, "select max(i), min(i), max(c), min(c) from nets") == (
        "10:23::ffff", "9.1.2.3/8", "10:23::8000/113", "10.0.0.0/8")


def test_typed_literals_and_comparison_functions(s):
    assert one(s, "select cidr '10.0/16', network_cmp('1.2.3.4'::inet, '1.2.3.5'::inet), "
                  "network_larger('1.2.3.4'::inet, '::1'::inet), network_smaller('1.2.3.4'::inet, '::1'::inet)") == (
        "10.0.0.0/16", -1, "::1", "1.2.3.4")


def test_gist_operator_class_is_refused_as_not_built(s):
    assert sqlstate(s, "create index on nets using gist (i inet_ops)")[0] == "0A000"


def test_connection_addresses_are_null_without_a_connection(s):
    assert one(s, "select inet_client_addr(), inet_client_port(), inet_server_addr(), inet_server_port()") == (
        None, None, None, None)
