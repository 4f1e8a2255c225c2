"""bit(n) and bit varying(n): input, length rules, operators, functions and integer casts,
with PostgreSQL 15's answers (taken from 15.x)."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.fixture(scope="module")
def s():
    sess = helios_core.connect()
    sess.execute("create table bits (b bit(4), v bit varying(6))")
    yield sess
    sess.close()


def one(s, sql):
    return s.execute(sql)[-1].rows()[0]


def sqlstate(s, sql):
    with pytest.raises(HeliosError) as ei:
        s.execute(sql)
    return ei.value.sqlstate, ei.value.message


def test_literals_and_input(s):
    assert one(s, "select B'0101', X'1F', 'x1F'::bit(8), 'b101'::varbit, pg_typeof(B'1')::text, pg_typeof(X'1')::text") == (
        "0101", "00011111", "00011111", "101", "bit", "bit")
    assert sqlstate(s, "select '102'::varbit") == ("22P02", '"2" is not a valid binary digit')
    assert sqlstate(s, "select 'xG'::varbit") == ("22P02", '"G" is not a valid hexadecimal digit')


def test_explicit_casts_pad_or_truncate_assignments_refuse(s):
    assert one(s, "select '10'::bit(4), B'10101'::bit(4), B'101'::varbit(2), B'101'::bit") == (
        "1000", "1010", "10", "1")
    assert sqlstate(s, "insert into bits (b) values (B'10')") == (
        "22026", "bit string length 2 does not match type bit(4)")
    assert sqlstate(s, "insert into bits (v) values (B'1010101')") == (
        "22026", "bit string too long for type bit varying(6)")
    s.execute("insert into bits values (B'1010', B'01')")
    assert s.execute("select b, v from bits")[-1].rows() == [("1010", "01")]


def test_type_names(s):
    assert one(s, "select format_type(atttypid, atttypmod) from pg_attribute "
                  "where attrelid = 'bits'::regclass and attname = 'v'") == ("bit varying(6)",)


def test_operators(s):
    assert one(s, "select B'1100' & B'1010', B'1100' | B'1010', B'1100' # B'1010', ~B'1100', B'1100' << 1, "
                  "B'1100' >> 3, B'10' || B'1', B'101' < B'11', B'1' = B'01', B'10' = B'10'::varbit") == (
        "1000", "1110", "0110", "0011", "1000", "0001", "101", True, False, True)
    assert sqlstate(s, "select B'001' & B'10'") == ("22026", "cannot AND bit strings of different sizes")


def test_functions(s):
    assert one(s, "select length(B'101'), bit_length(B'101'), octet_length(B'101010101'), "
                  "substring(B'01010101' from 2 for 3), substring(B'01010101' from -10 for 13), "
                  "position(B'1010' in B'00001010'), position(B'' in B''), get_bit(B'0101', 1), "
                  "set_bit(B'0000', 3, 1), overlay(B'0101011100' placing B'001' from 2 for 3), "
                  "bit_count(B'0101011100')") == (
        3, 3, 2, "101", "01", 5, 0, 1, "0001", "0001011100", 5)
    assert sqlstate(s, "select substring(B'0101' from 1 for -1)")[0] == "22011"
    assert sqlstate(s, "select set_bit(B'0101', 4, 1)") == ("2202E", "bit index 4 out of valid range (0..3)")
    assert sqlstate(s, "select set_bit(B'0101', 1, 2)") == ("22023", "new bit must be 0 or 1")


def test_integer_casts(s):
    assert one(s, "select B'1010'::int4, 5::bit(4), (-1)::bit(3), 5::int8::bit(40), "
                  "B'11111111111111111111111111111111'::int4") == (10, "0101", "111", "0" * 37 + "101", -1)
    assert sqlstate(s, "select (B'1' || 33::bit(33))::bit(34)::int4") == ("22003", "integer out of range")
    assert sqlstate(s, "select (B'1' || B'0')::int4")[0] == "42846"


def test_default_prints_as_postgres(s):
    s.execute("create table bit_defaults (b1 bit(4) default '1001', b2 bit(4) default B'0101')")
    got = s.execute("select pg_get_expr(adbin, adrelid) from pg_attrdef "
                    "where adrelid = 'bit_defaults'::regclass order by adnum")[-1].rows()
    assert got == [("'1001'::\"bit\"",), ("'0101'::\"bit\"",)]


def test_typed_literals_and_no_min_max(s):
    assert one(s, "select varbit '1011', bit '1', bit varying '11'") == ("1011", "1", "11")
    assert sqlstate(s, "select max(b) from bits")[0] == "42883"
