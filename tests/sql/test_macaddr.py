"""macaddr and macaddr8: the spellings PostgreSQL reads, its output, operators, trunc,
macaddr8_set7bit and the casts between them (answers of PostgreSQL 15.x)."""

from __future__ import annotations

import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.fixture(scope="module")
def s():
    sess = helios_core.connect()
    yield sess
    sess.close()


def one(s, sql):
    return s.execute(sql)[-1].rows()[0]


def sqlstate(s, sql):
    with pytest.raises(HeliosError) as ei:
        s.execute(sql)
    return ei.value.sqlstate, ei.value.message


@pytest.mark.parametrize("text", ["08:00:2b:01:02:03", "08-00-2b-01-02-03", "08002b:010203", "08002b-010203",
                                  "0800.2b01.0203", "0800-2b01-0203", "08002B010203", " 8:0:2b:1:2:3 ",
                                  "08: 00:2b:01:02:03"])
def test_macaddr_spellings(s, text):
    assert one(s, f"select '{text}'::macaddr") == ("08:00:2b:01:02:03",)


@pytest.mark.parametrize(("text", "shown"), [
    ("08:00:2b:01:02:03", "08:00:2b:ff:fe:01:02:03"), ("0800:2b01:0203", "08:00:2b:ff:fe:01:02:03"),
    ("  08:00:2b:01:02:03:04:05  ", "08:00:2b:01:02:03:04:05"), ("08002b01:02030405", "08:00:2b:01:02:03:04:05"),
    ("0800.2b01.0203.0405", "08:00:2b:01:02:03:04:05")])
def test_macaddr8_spellings(s, text, shown):
    assert one(s, f"select '{text}'::macaddr8") == (shown,)


@pytest.mark.parametrize(("sql", "kind"), [
    ("select '0800:2b01:0203'::macaddr", "macaddr"), ("select 'not even close'::macaddr", "macaddr"),
    ("select '08:00:2b:01:02:03  123'::macaddr8", "macaddr8"), ("select '08:00-2b:01:02:03:04:05'::macaddr8", "macaddr8"),
    ("select '08002b01020304050607'::macaddr8", "macaddr8")])
def test_bad_input(s, sql, kind):
    state, message = sqlstate(s, sql)
    assert state == "22P02" and message.startswith(f"invalid input syntax for type {kind}")


def test_operators_and_functions(s):
    assert one(s, "select ~'08:00:2b:01:02:03'::macaddr, '08:00:2b:01:02:03'::macaddr & '00:00:00:ff:ff:ff', "
                  "'08:00:2b:01:02:03'::macaddr | '01:02:03:04:05:06', trunc('08:00:2b:01:02:03'::macaddr), "
                  "trunc('08:00:2b:01:02:03:04:05'::macaddr8), macaddr8_set7bit('00:08:2b:01:02:03'::macaddr8), "
                  "'08:00:2b:01:02:03'::macaddr < '08:00:2b:01:02:04'") == (
        "f7:ff:d4:fe:fd:fc", "00:00:00:01:02:03", "09:02:2b:05:07:07", "08:00:2b:00:00:00",
        "08:00:2b:00:00:00:00:00", "02:08:2b:ff:fe:01:02:03", True)
    # each type casts to the other implicitly, so PostgreSQL finds two = operators
    assert sqlstate(s, "select '08:00:2b:ff:fe:01:02:03'::macaddr8 = '08:00:2b:01:02:03'::macaddr")[0] == "42725"


def test_casts_between_them(s):
    assert one(s, "select '08:00:2b:01:02:03'::macaddr::macaddr8, '08:00:2b:ff:fe:01:02:03'::macaddr8::macaddr, "
                  "macaddr8('08:00:2b:01:02:03'::macaddr)") == (
        "08:00:2b:ff:fe:01:02:03", "08:00:2b:01:02:03", "08:00:2b:ff:fe:01:02:03")
    assert sqlstate(s, "select '08:00:2b:01:02:03:04:05'::macaddr8::macaddr") == (
        "22003", "macaddr8 data out of range to convert to macaddr")


def test_order_and_index(s):
    s.execute("create table macs (m macaddr)")
    s.execute("create index on macs (m)")
    s.execute("insert into macs values ('08:00:2b:01:02:04'), ('08:00:2A:01:02:03'), ('08:00:2b:01:02:03')")
    assert [r[0] for r in s.execute("select m from macs order by m")[-1].rows()] == [
        "08:00:2a:01:02:03", "08:00:2b:01:02:03", "08:00:2b:01:02:04"]
    assert s.execute("select count(*) from macs where m = '08:00:2b:01:02:03'")[-1].rows() == [(1,)]


def test_short_groups_read_as_sscanf_reads_them(s):
    """mac.c reads with sscanf: %2x takes one digit when the next is not hex, and never gives one back."""
    assert one(s, "select '8002b:010203'::macaddr, '08002b01020'::macaddr") == ("80:02:0b:01:02:03", "08:00:2b:01:02:00")
    assert sqlstate(s, "select '08002b0102'::macaddr")[0] == "22P02"
