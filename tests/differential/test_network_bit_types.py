"""inet, cidr, macaddr, macaddr8, bit and bit varying compared with a live PostgreSQL 15 on
generated values: every operator and function over them between every pair of rows, the casts,
ordering, and input in its spellings and errors."""

from __future__ import annotations

import ipaddress
import random

import pytest

_rng = random.Random(2026)


def _v4() -> str:
    bits = _rng.choice([8, 16, 24, 25, 30, 32])
    return f"{ipaddress.IPv4Address(_rng.getrandbits(32))}/{bits}"


def _v6() -> str:
    bits = _rng.choice([16, 64, 113, 128])
    addr = _rng.getrandbits(128) if _rng.random() < 0.6 else (0xFFFF << 32) | _rng.getrandbits(32)
    return f"{ipaddress.IPv6Address(addr)}/{bits}"


INETS = ["192.168.1.226/24", "192.168.1.0/25", "10.1.2.3", "10.0.0.0/8", "::1", "::ffff:1.2.3.4/120",
         "10:23::f1/64", "0.0.0.0/0", "255.255.255.255"] + [_v4() for _ in range(5)] + [_v6() for _ in range(4)]
CIDRS = ["192.168.1", "10", "10.1.2", "128", "224", "10:23::8000/113", "::/0"] + [
    str(ipaddress.ip_interface(v).network) for v in INETS[9:]]
MACS = ["08:00:2b:01:02:03", "08-00-2b-01-02-04", "0800.2b01.0203", "ff:ff:ff:ff:ff:ff", "00:00:00:00:00:00"] + [
    ":".join(f"{_rng.getrandbits(8):02x}" for _ in range(6)) for _ in range(3)]
MAC8S = ["08:00:2b:01:02:03", "08:00:2b:01:02:03:04:05", "0800.2b01.0203.0405"] + [
    ":".join(f"{_rng.getrandbits(8):02x}" for _ in range(8)) for _ in range(3)]
BITS = ["0101", "1111", "0000", "1000"] + ["".join(_rng.choice("01") for _ in range(4)) for _ in range(3)]
VARBITS = ["", "0", "1", "0101", "10110", "x1F", "00000000000001"] + [
    "".join(_rng.choice("01") for _ in range(_rng.randint(1, 12))) for _ in range(3)]


def _table(name: str, typ: str, values: list[str]) -> list[str]:
    return [f"CREATE TABLE {name} (id int, v {typ})",
            f"INSERT INTO {name} VALUES " + ", ".join(f"({i}, '{v}')" for i, v in enumerate(values))]


SETUP = (_table("d_inet", "inet", INETS) + _table("d_cidr", "cidr", CIDRS) + _table("d_mac", "macaddr", MACS)
         + _table("d_mac8", "macaddr8", MAC8S) + _table("d_bit", "bit(4)", BITS)
         + _table("d_varbit", "bit varying(16)", VARBITS))
CLEANUP = [f"DROP TABLE {t}" for t in ("d_inet", "d_cidr", "d_mac", "d_mac8", "d_bit", "d_varbit")]


def _pairs(left: str, right: str, expr: str) -> str:
    return f"SELECT a.id, b.id, {expr} FROM {left} a, {right} b ORDER BY 1, 2"


NETWORK = [_pairs(lt, rt, f"a.v {op} b.v") for lt in ("d_inet", "d_cidr") for rt in ("d_inet", "d_cidr")
           for op in ("<", "<=", "=", "<>", ">=", ">", "<<", "<<=", ">>", ">>=", "&&")] + [
    _pairs("d_inet", "d_inet", f"{f}(a.v, b.v)") for f in ("inet_same_family", "network_cmp")] + [
    _pairs("d_inet", "d_inet", "CASE WHEN inet_same_family(a.v, b.v) THEN inet_merge(a.v, b.v) END"),
    _pairs("d_inet", "d_cidr", "CASE WHEN family(a.v) = family(b.v) THEN a.v & b.v END"),
    _pairs("d_inet", "d_cidr", "CASE WHEN family(a.v) = family(b.v) THEN a.v | b.v END"),
    _pairs("d_inet", "d_inet", "CASE WHEN family(a.v) = 4 AND family(b.v) = 4 THEN a.v - b.v END"),
] + [
    f"SELECT id, {f}(v) FROM {t} ORDER BY 1" for t in ("d_inet", "d_cidr")
    for f in ("host", "text", "abbrev", "masklen", "family", "network", "netmask", "hostmask", "broadcast")
] + [
    f"SELECT id, {e} FROM {t} ORDER BY 1" for t in ("d_inet", "d_cidr")
    for e in ("~v", "v::text", "set_masklen(v, 16)", "set_masklen(v, -1)", "v::cidr", "v::inet",
              "CASE WHEN family(v) = 4 THEN v + 300 END", "CASE WHEN family(v) = 6 THEN v - 70000 END")
] + [
    "SELECT v FROM d_inet ORDER BY v", "SELECT v FROM d_cidr ORDER BY v DESC", "SELECT max(v), min(v) FROM d_inet",
    "SELECT v, count(*) FROM d_cidr GROUP BY v ORDER BY v",
]
MAC = [_pairs(t, t, f"a.v {op} b.v") for t in ("d_mac", "d_mac8")
       for op in ("<", "<=", "=", "<>", ">=", ">", "&", "|")] + [
    f"SELECT id, {e} FROM {t} ORDER BY 1" for t in ("d_mac", "d_mac8")
    for e in ("~v", "trunc(v)", "v::text", "v::macaddr8")] + [
    "SELECT id, macaddr8_set7bit(v) FROM d_mac8 ORDER BY 1", "SELECT v FROM d_mac ORDER BY v",
    "SELECT id, v::macaddr FROM d_mac8 WHERE v::text LIKE '__:__:__:ff:fe%' ORDER BY 1",
    _pairs("d_mac", "d_mac8", "a.v = b.v"),
]
BIT = [_pairs(lt, rt, f"a.v {op} b.v") for lt in ("d_bit", "d_varbit") for rt in ("d_bit", "d_varbit")
       for op in ("<", "<=", "=", "<>", ">=", ">", "||")] + [
    _pairs("d_bit", "d_bit", f"a.v {op} b.v") for op in ("&", "|", "#")] + [
    _pairs(t, t, "position(b.v in a.v)") for t in ("d_bit", "d_varbit")] + [
    f"SELECT id, {e} FROM {t} ORDER BY 1" for t in ("d_bit", "d_varbit")
    for e in ("~v", "v << 1", "v >> 3", "v << -2", "length(v)", "octet_length(v)", "bit_count(v)",
              "substring(v from 2 for 3)", "substring(v from 0)", "overlay(v placing B'11' from 2)",
              "v::bit(6)", "v::varbit(3)", "v::text", "CASE WHEN length(v) > 1 THEN get_bit(v, 1) END",
              "CASE WHEN length(v) > 0 THEN set_bit(v, 0, 1) END")] + [
    "SELECT id, v::int4, v::int8 FROM d_bit ORDER BY 1", "SELECT v FROM d_varbit ORDER BY v",
    "SELECT id, id::bit(5), (-id)::bit(40), id::int8::bit(3) FROM d_bit ORDER BY 1",
]
INPUTS = [f"SELECT '{s}'::{t}" for t, values in {
    "inet": ["10", "10.1/16", "1.2.3.256", "1.2.3.4/33", "::1/129", " 1.2.3.4", "010.001.000.001", "1.2.3.4/",
             "fe80::1%eth0", "1::2::3", "::ffff:0.0.0.0", "::0.0.1.0"],
    "cidr": ["10.1.2.3/8", "1.2.3.4/32", "192.168/16", "240", "224.1", "::/1", "8000::/1", "ffff::/8"],
    "macaddr": ["08:00:2b:01:02:03:04", "0800:2b01:0203", "08:00:2b:01:02:0g", "8:0:2b:1:2:3", "08002b01020"],
    "macaddr8": ["08:00:2b:01:02", "08002b:0102030405", "08:00:2b:01:02:03:04:05:", "08-00:2b-01-02-03"],
    "bit(3)": ["101", "10", "1012", "x5", "b101"], "varbit(3)": ["1010", "xF", "X0"],
}.items() for s in values]
OTHERS = [
    "SELECT DISTINCT v FROM d_cidr ORDER BY v", "SELECT count(DISTINCT v) FROM d_mac",
    "SELECT a.id, b.id FROM d_inet a JOIN d_cidr b ON a.v = b.v ORDER BY 1, 2",
    "SELECT id FROM d_inet WHERE v IN ('10.1.2.3', '::1', '1.1.1.1') ORDER BY 1",
    "SELECT id FROM d_inet WHERE v << ANY (SELECT v FROM d_cidr) ORDER BY 1",
    "SELECT array_agg(v ORDER BY v) FROM d_cidr", "SELECT array_agg(v ORDER BY id) FROM d_varbit",
    "SELECT ARRAY['1.2.3.4'::inet, '::1'], ARRAY[B'1', B'01'], ARRAY['08:00:2b:01:02:03'::macaddr]",
    "SELECT '{1.2.3.4,10/8}'::cidr[], '{101,1}'::varbit[], '{08:00:2b:01:02:03}'::macaddr[]",
    "SELECT row_number() OVER (ORDER BY v), v FROM d_inet ORDER BY 1",
    "SELECT v, rank() OVER (ORDER BY v) FROM d_varbit ORDER BY 2, 1",
    "SELECT pg_typeof(v)::text, pg_typeof(~v)::text, pg_typeof(v || v)::text FROM d_bit LIMIT 1",
    "SELECT pg_typeof(v & v)::text, pg_typeof(v << 1)::text, pg_typeof(substring(v from 1))::text FROM d_varbit LIMIT 1",
    "SELECT pg_typeof(network(v))::text, pg_typeof(v + 1)::text, pg_typeof(v - v)::text FROM d_inet WHERE id = 0",
    "SELECT '1.2.3.4'::inet + 1 > '1.2.3.4', B'1' || '0101'", "SELECT format('%s|%s', '10/8'::cidr, B'01')",
    "SELECT 'x' || '1.2.3.4'::inet, 'x' || B'01', 'x' || '08:00:2b:01:02:03'::macaddr",
    "SELECT to_json('1.2.3.4/24'::inet), to_jsonb(B'101'), row_to_json(row('08:00:2b:01:02:03'::macaddr))",
]
STATEMENTS = NETWORK + MAC + BIT + INPUTS + OTHERS


@pytest.mark.parametrize("sql", STATEMENTS)
def test_network_and_bit_types_agree(systems, sql):
    pg, hx = systems
    p, h = pg.run(sql), hx.run(sql)
    want = ("error", p.sqlstate) if p.sqlstate else ("ok", list(p.oids), p.rows)
    got = ("error", h.sqlstate) if h.sqlstate else ("ok", list(h.oids), h.rows)
    assert got == want, (sql, p, h)
