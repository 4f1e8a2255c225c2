"""Deterministic TPC-H-shaped data: customer, orders and lineitem, vectorized with numpy.

The value distributions follow the TPC-H specification closely enough for the standard
queries to select realistic fractions (keys, dates, flags, prices, discounts), but the
text columns come from a small seeded pool rather than the dbgen grammar. At scale 1 the
tables have 150,000 customers, 1,500,000 orders and about 6,000,000 lineitems.

Tables are cached as Parquet under bench/.cache/ keyed by scale and generator version,
so every system in a run, and every later run, loads byte-identical data.
"""

from __future__ import annotations

import pathlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bench.progress import Progress, say

GENERATOR_VERSION = 1
SEED = 20240601
CACHE_ROOT = pathlib.Path(__file__).resolve().parent / ".cache"
TABLES = ("customer", "orders", "lineitem")

_EPOCH_DAY_1992 = int(np.datetime64("1992-01-01", "D").astype(np.int64))
_CURRENT_DAY = int(np.datetime64("1995-06-17", "D").astype(np.int64))  # TPC-H CURRENTDATE
_LAST_ORDER_DAY = int(np.datetime64("1998-08-02", "D").astype(np.int64))

_WORDS = ["furiously", "special", "requests", "deposits", "carefully", "packages", "accounts", "ironic", "final", "pending", "regular", "bold", "express", "slyly", "quickly", "blithely", "even", "unusual", "silent", "fluffily", "instructions", "theodolites", "foxes", "pinto", "beans", "dependencies", "platelets", "asymptotes", "courts", "dolphins", "sheaves", "somas", "warthogs", "ideas", "excuses", "frets", "waters", "sauternes", "braids", "hockey", "players", "across", "above", "along", "among", "after"]
SEGMENTS = ("AUTOMOBILE", "BUILDING", "FURNITURE", "HOUSEHOLD", "MACHINERY")
PRIORITIES = ("1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED", "5-LOW")
INSTRUCTIONS = ("DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN")
SHIPMODES = ("REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB")

MONEY = pa.decimal128(15, 2)

# SQL column types, as in TPC-H (numeric(15,2), char(n), varchar(n), date).
SQL_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "customer": [
        ("c_custkey", "bigint"), ("c_name", "varchar(25)"), ("c_address", "varchar(40)"),
        ("c_nationkey", "integer"), ("c_phone", "char(15)"), ("c_acctbal", "numeric(15,2)"),
        ("c_mktsegment", "char(10)"), ("c_comment", "varchar(117)"),
    ],
    "orders": [
        ("o_orderkey", "bigint"), ("o_custkey", "bigint"), ("o_orderstatus", "char(1)"),
        ("o_totalprice", "numeric(15,2)"), ("o_orderdate", "date"), ("o_orderpriority", "char(15)"),
        ("o_clerk", "char(15)"), ("o_shippriority", "integer"), ("o_comment", "varchar(79)"),
    ],
    "lineitem": [
        ("l_orderkey", "bigint"), ("l_partkey", "bigint"), ("l_suppkey", "bigint"),
        ("l_linenumber", "integer"), ("l_quantity", "numeric(15,2)"),
        ("l_extendedprice", "numeric(15,2)"), ("l_discount", "numeric(15,2)"),
        ("l_tax", "numeric(15,2)"), ("l_returnflag", "char(1)"), ("l_linestatus", "char(1)"),
        ("l_shipdate", "date"), ("l_commitdate", "date"), ("l_receiptdate", "date"),
        ("l_shipinstruct", "char(25)"), ("l_shipmode", "char(10)"), ("l_comment", "varchar(44)"),
    ],
}


def money_from_cents(cents: np.ndarray) -> pa.Array:
    """int64 cents -> decimal128(15,2) without float rounding (builds the 128-bit words)."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63  # sign extension into the high word
    return pa.Array.from_buffers(MONEY, len(cents), [None, pa.py_buffer(words.tobytes())])


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype(np.int32), pa.date32())


def _pick(pool: list[str] | tuple[str, ...], idx: np.ndarray) -> pa.Array:
    return pa.array(pool, pa.string()).take(pa.array(idx))


def _text_pool(rng: np.random.Generator, size: int, min_len: int, max_len: int) -> list[str]:
    """Pseudo-sentences from the word list, trimmed to [min_len, max_len] characters."""
    words = np.array(_WORDS)
    pool = []
    for _ in range(size):
        target = int(rng.integers(min_len, max_len + 1))
        text = " ".join(words[rng.integers(0, len(words), 12)])
        pool.append(text[:target].rstrip() or "x")
    return pool


def _counts(scale: float) -> tuple[int, int]:
    return max(1, round(150_000 * scale)), max(1, round(1_500_000 * scale))


def generate_customer(scale: float) -> pa.Table:
    rng = np.random.default_rng([SEED, 1])
    n, _ = _counts(scale)
    keys = np.arange(1, n + 1, dtype=np.int64)
    nation = rng.integers(0, 25, n)
    key_text = pa.array(keys).cast(pa.string())
    name = pc.binary_join_element_wise("Customer#", pc.utf8_lpad(key_text, 9, "0"), "")
    parts = [pa.array(nation + 10).cast(pa.string())]
    for low, high in ((100, 1000), (100, 1000), (1000, 10000)):  # 3, 3 and 4 digits
        parts.append(pa.array(rng.integers(low, high, n)).cast(pa.string()))
    phone = pc.binary_join_element_wise(*parts, "-")
    return pa.table({
        "c_custkey": pa.array(keys),
        "c_name": name,
        "c_address": _pick(_text_pool(rng, 2048, 10, 40), rng.integers(0, 2048, n)),
        "c_nationkey": pa.array(nation.astype(np.int32)),
        "c_phone": phone,
        "c_acctbal": money_from_cents(rng.integers(-99_999, 1_000_000, n)),
        "c_mktsegment": _pick(SEGMENTS, rng.integers(0, len(SEGMENTS), n)),
        "c_comment": _pick(_text_pool(rng, 4096, 29, 116), rng.integers(0, 4096, n)),
    })


def generate_orders_and_lineitem(scale: float) -> tuple[pa.Table, pa.Table]:
    rng = np.random.default_rng([SEED, 2])
    n_cust, n_orders = _counts(scale)
    # Sparse order keys as in dbgen: 8 used out of every 32.
    idx = np.arange(n_orders, dtype=np.int64)
    orderkey = (idx // 8) * 32 + (idx % 8) + 1
    # Every third customer places no orders.
    custkey = rng.integers(1, max(2, n_cust + 1), n_orders)
    custkey = np.where((custkey % 3 == 0) & (n_cust > 2), np.maximum(custkey - 1, 1), custkey)
    orderdate = rng.integers(_EPOCH_DAY_1992, _LAST_ORDER_DAY + 1, n_orders)

    lines = rng.integers(1, 8, n_orders)
    n_lines = int(lines.sum())
    order_of_line = np.repeat(idx, lines)
    starts = np.concatenate(([0], np.cumsum(lines)[:-1]))
    linenumber = (np.arange(n_lines) - np.repeat(starts, lines) + 1).astype(np.int32)

    n_parts = max(1, round(200_000 * scale))
    n_supp = max(1, round(10_000 * scale))
    partkey = rng.integers(1, n_parts + 1, n_lines)
    suppkey = (partkey + rng.integers(0, 4, n_lines) * (n_supp // 4 + (partkey - 1) // n_supp)) % n_supp + 1
    quantity = rng.integers(1, 51, n_lines)
    retail_cents = 90_000 + ((partkey // 10) % 20_001) + 100 * (partkey % 1000)
    extended_cents = quantity * retail_cents
    discount = rng.integers(0, 11, n_lines)  # percent
    tax = rng.integers(0, 9, n_lines)  # percent
    l_orderdate = orderdate[order_of_line]
    shipdate = l_orderdate + rng.integers(1, 122, n_lines)
    commitdate = l_orderdate + rng.integers(30, 91, n_lines)
    receiptdate = shipdate + rng.integers(1, 31, n_lines)
    returned = receiptdate <= _CURRENT_DAY
    returnflag = np.where(returned, rng.integers(0, 2, n_lines), 2)  # 0 R, 1 A, 2 N
    open_line = shipdate > _CURRENT_DAY  # linestatus O, else F

    line_total = extended_cents * (100 + tax) * (100 - discount) // 10_000
    totalprice = np.add.reduceat(line_total, starts)
    open_count = np.add.reduceat(open_line.astype(np.int64), starts)
    status = np.where(open_count == lines, 1, np.where(open_count == 0, 0, 2))  # F, O, P

    orders = pa.table({
        "o_orderkey": pa.array(orderkey),
        "o_custkey": pa.array(custkey.astype(np.int64)),
        "o_orderstatus": _pick(("F", "O", "P"), status),
        "o_totalprice": money_from_cents(totalprice),
        "o_orderdate": _dates(orderdate),
        "o_orderpriority": _pick(PRIORITIES, rng.integers(0, len(PRIORITIES), n_orders)),
        "o_clerk": _pick([f"Clerk#{i:09d}" for i in range(1, max(2, round(1000 * scale)) + 1)],
                         rng.integers(0, max(1, round(1000 * scale)), n_orders)),
        "o_shippriority": pa.array(np.zeros(n_orders, dtype=np.int32)),
        "o_comment": _pick(_text_pool(rng, 4096, 19, 78), rng.integers(0, 4096, n_orders)),
    })
    lineitem = pa.table({
        "l_orderkey": pa.array(orderkey[order_of_line]),
        "l_partkey": pa.array(partkey.astype(np.int64)),
        "l_suppkey": pa.array(suppkey.astype(np.int64)),
        "l_linenumber": pa.array(linenumber),
        "l_quantity": money_from_cents(quantity * 100),
        "l_extendedprice": money_from_cents(extended_cents),
        "l_discount": money_from_cents(discount),
        "l_tax": money_from_cents(tax),
        "l_returnflag": _pick(("R", "A", "N"), returnflag),
        "l_linestatus": _pick(("F", "O"), open_line.astype(np.int64)),
        "l_shipdate": _dates(shipdate),
        "l_commitdate": _dates(commitdate),
        "l_receiptdate": _dates(receiptdate),
        "l_shipinstruct": _pick(INSTRUCTIONS, rng.integers(0, len(INSTRUCTIONS), n_lines)),
        "l_shipmode": _pick(SHIPMODES, rng.integers(0, len(SHIPMODES), n_lines)),
        "l_comment": _pick(_text_pool(rng, 8192, 10, 43), rng.integers(0, 8192, n_lines)),
    })
    return orders, lineitem


def cache_dir(scale: float) -> pathlib.Path:
    return CACHE_ROOT / f"tpch-v{GENERATOR_VERSION}-sf{scale:g}"


def load_tables(scale: float) -> dict[str, pa.Table]:
    """The three tables at `scale`, from the Parquet cache or freshly generated into it."""
    directory = cache_dir(scale)
    paths = {name: directory / f"{name}.parquet" for name in TABLES}
    if all(p.exists() for p in paths.values()):
        say(f"data: TPC-H-shaped scale {scale:g} from cache {directory}")
        return {name: pq.read_table(p) for name, p in paths.items()}
    _, n_orders = _counts(scale)
    progress = Progress(f"generating TPC-H-shaped data, scale {scale:g}", 3, unit="tables")
    tables = {"customer": generate_customer(scale)}
    progress.advance(1)
    tables["orders"], tables["lineitem"] = generate_orders_and_lineitem(scale)
    progress.advance(2)
    progress.finish()
    directory.mkdir(parents=True, exist_ok=True)
    writer = Progress("writing Parquet cache", sum(t.num_rows for t in tables.values()))
    for name, table in tables.items():
        tmp = paths[name].with_suffix(".tmp")
        pq.write_table(table, tmp, compression="zstd", row_group_size=1_000_000)
        tmp.rename(paths[name])
        writer.advance(table.num_rows)
    writer.finish()
    say(f"data: lineitem {tables['lineitem'].num_rows:,} rows, orders {n_orders:,}, "
        f"customer {tables['customer'].num_rows:,}")
    return tables
