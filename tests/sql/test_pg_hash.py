"""PostgreSQL's hash functions as pg_hash computes them: known answers of PostgreSQL 15 (x86-64),
and the vectorized column paths equal to the one-value functions."""

from __future__ import annotations

import random

import pyarrow as pa

from helios_core.sql.functions import pg_hash as H


def test_known_answers_of_postgresql():
    assert H.as_int4(H.hash_value("int4", 1)) == -1905060026  # hashint4(1)
    assert H.as_int8(H.hash_value("int4", 1, 0)) == -3670598878359251130  # hashint4extended(1, 0)
    assert H.as_int8(H.hash_value("int8", 5000000000, 8816678312871386365)) == -2799505259769899283
    assert H.as_int4(H.hash_value("text", "")) == -1477818771  # hashtext('')
    assert H.as_int8(H.hash_value("text", "abc", 0)) == -6747756470228489321
    assert H.hash_value("numeric", __import__("decimal").Decimal("1.50")) == 692967894
    assert H.as_int4(H.hash_value("float8", float("nan"))) == -1275764840
    assert H.hash_value("float4", -0.0) == 0
    assert H.hash_value("uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11") == 1154666245


def test_vectorized_columns_equal_one_value_hashes():
    rnd = random.Random(7)
    values = [None if i % 31 == 0 else "".join(rnd.choice("aé日\\x00z ") for _ in range(rnd.choice(
        [0, 1, 4, 11, 12, 13, 24, 25, 100, 256, 257, 600]))) for i in range(600)]
    arr = pa.array(values, pa.string())
    for seed in (0, 1, H.HASH_PARTITION_SEED):
        got = [int(h) for h in H.column_hashes("text", arr, seed)]
        assert got == [0 if v is None else H.hash_value("text", v, seed) for v in values]
        got = [int(h) for h in H.column_hashes("bpchar", arr.slice(5, 200), seed)]
        assert got == [0 if v is None else H.hash_value("bpchar", v, seed) for v in values[5:205]]
    ints = pa.array([None if i % 13 == 0 else rnd.randint(-2**63, 2**63 - 1) for i in range(500)], pa.int64())
    got = [int(h) for h in H.column_hashes("int8", ints, H.HASH_PARTITION_SEED)]
    assert got == [0 if v is None else H.hash_value("int8", v, H.HASH_PARTITION_SEED) for v in ints.to_pylist()]
