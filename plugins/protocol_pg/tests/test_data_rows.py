"""Text-format DataRow messages built column-wise (joined by Arrow row by row) carry exactly the bytes the
per-value encoder writes, for every common type, NULLs, empty strings and non-ASCII text."""

from __future__ import annotations

import pyarrow as pa
import pytest
from helios_protocol_pg.formats import column_data_rows, data_rows, data_rows_per_value, text_data_rows

from helios_core.engine import Engine

_SELECT = """
select i::int2 as a, (i * 100000)::int4 as b, (i * 10000000000)::int8 as c,
       (i / 3.0)::float4 as d, (i / 7.0)::float8 as e, (i / 7.0)::numeric(12, 4) as f,
       case when i % 4 = 0 then null when i % 4 = 1 then '' else 'héllo wörld ' || i end as g,
       (i % 2 = 0) as h, date '2024-02-28' + i as j,
       timestamp '2024-02-28 23:59:59.5' + i * interval '1 hour 7 second 123 microseconds' as k,
       timestamptz '1999-12-31 23:00:00+00' + i * interval '37 minutes' as l,
       i * interval '1 day 3 hours' as m,
       'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1' || (i % 10) as n,
       ('{"k": ' || i || ', "s": "ü"}')::jsonb as o,
       array[i, null, i + 1] as p, array['x y', null, 'é'] as q,
       case when i % 3 = 0 then null else i end as r,
       'x'::varchar(3) as s, ('\\x' || to_hex(i + 100))::bytea as t
from generate_series(-5, 40) as g(i)
"""


@pytest.fixture(scope="module")
def session():
    return Engine.open(None).connect()


@pytest.mark.parametrize("timezone", ["UTC", "Asia/Kolkata", "America/St_Johns"])
def test_column_wise_rows_match_per_value_rows(session, timezone):
    session.execute(f"set timezone = '{timezone}'")
    result = session.execute(_SELECT)[-1]
    cols = result.columns
    batches = [b for b in result.batches if b.num_rows]
    assert sum(b.num_rows for b in batches) == 46
    with session.rendering():
        for batch in batches:
            old = data_rows_per_value(batch, cols, [0] * len(cols))
            assert data_rows(batch, cols, [0] * len(cols)) == old
            buf, starts = text_data_rows(batch, cols)
            assert buf == b"".join(old)
            assert starts.tolist() == [sum(len(r) for r in old[:k]) for k in range(len(old))]
            for k in (1, len(old) // 2):  # a slice of the batch (Arrow offsets not at zero)
                part = batch.slice(k, 5)
                assert text_data_rows(part, cols)[0] == b"".join(data_rows_per_value(part, cols, [0] * len(cols)))


_NULLABLE = """
select case when i % 5 = 0 then null else i end::int2 as a, case when i % 5 = 1 then null else i * 100000 end::int4 as b,
       case when i % 5 = 2 then null else i * 10000000000 end::int8 as c,
       case when i % 7 = 0 then null when i % 7 = 1 then 'NaN' when i % 7 = 2 then '-0'
            when i % 7 = 3 then '-infinity' else i / 7.0 end::float8 as d,
       case when i % 6 = 0 then null else i / 3.0 end::float4 as e,
       case when i % 3 = 0 then null else i % 2 = 0 end as f,
       case when i % 9 = 0 then null when i % 9 = 1 then 'infinity' when i % 9 = 2 then '-infinity'
            else date '1999-12-31' + i * 400 end::date as g,
       case when i % 8 = 0 then null when i % 8 = 1 then 'infinity' when i % 8 = 2 then '-infinity'
            else timestamp '1950-01-01 00:00:00.25' + i * interval '97 days 1 second' end::timestamp as h,
       case when i % 4 = 0 then null else timestamptz '2000-01-01 00:00:00+00' - i * interval '5 hours' end as j,
       case when i % 4 = 1 then null else (i / 7.0)::numeric(12, 4) end as k,
       case when i % 4 = 2 then null else 'tëxt ' || i end as l, array[i, null] as m,
       case when i % 4 = 3 then null else ('{"k": ' || i || '}')::jsonb end as n
from generate_series(-150, 150) as g(i)
"""


@pytest.mark.parametrize("query", [_SELECT, _NULLABLE], ids=["types", "nulls"])
@pytest.mark.parametrize("which", ["all", "mixed"])
def test_binary_columns_built_column_wise_match_per_value_rows(session, query, which):
    """Binary-format columns (asyncpg asks for every column in binary) take the column-wise path:
    the bytes of the per-value encoders, NULLs, NaN, -0, ±infinity and slices included."""
    session.execute("set timezone = 'Asia/Kolkata'")
    result = session.execute(query)[-1]
    cols = result.columns
    formats = [1] * len(cols) if which == "all" else [k % 2 for k in range(len(cols))]
    batches = [b for b in result.batches if b.num_rows]
    with session.rendering():
        for batch in batches:
            old = data_rows_per_value(batch, cols, formats)
            buf, starts = column_data_rows(batch, cols, formats)
            assert buf == b"".join(old)
            assert starts.tolist() == [sum(len(r) for r in old[:k]) for k in range(len(old))]
            part = batch.slice(3, 17)
            assert column_data_rows(part, cols, formats)[0] == b"".join(data_rows_per_value(part, cols, formats))
            if batch.num_rows >= 256:
                assert data_rows(batch, cols, formats) == old


@pytest.mark.parametrize("query", [_SELECT, _NULLABLE], ids=["types", "nulls"])
@pytest.mark.parametrize("timezone", ["UTC", "America/St_Johns"])
def test_a_few_rows_print_as_the_same_rows_of_a_long_batch(session, query, timezone):
    """Up to SMALL_ROWS rows are printed value by value in Python (integers, booleans, dates,
    timestamps, numerics: formats.text_array, text_out.FEW_VALUES); a long batch by Arrow's
    kernels: the same bytes for every row, NULLs, infinities and far dates included."""
    from helios_protocol_pg import formats

    session.execute(f"set timezone = '{timezone}'")
    result = session.execute(query)[-1]
    cols, fmts = result.columns, [0] * len(result.columns)
    batch = next(b for b in result.batches if b.num_rows > formats.SMALL_ROWS)
    with session.rendering():
        whole = data_rows_per_value(batch, cols, fmts)
        for size in (1, 3, formats.SMALL_ROWS):
            for start in range(0, batch.num_rows - size, size):
                assert data_rows_per_value(batch.slice(start, size), cols, fmts) == whole[start:start + size]


def test_binary_columns_keep_the_per_value_path(session):
    result = session.execute("select 1::int4 as a, 'x' as b")[-1]
    batch = next(b for b in result.batches if b.num_rows)
    rows = data_rows(batch, result.columns, [1, 0])
    assert rows == [b"D\x00\x00\x00\x13\x00\x02\x00\x00\x00\x04\x00\x00\x00\x01\x00\x00\x00\x01x"]


def test_a_short_batch_takes_the_per_value_path(session, monkeypatch):
    """A few rows (a top-10 answer) are cheaper value by value than by the column-wise scatter,
    whose fixed cost is some twenty numpy and Arrow calls; a long batch is scattered."""
    from helios_protocol_pg import formats

    scattered = []
    real = formats.text_data_rows
    monkeypatch.setattr(formats, "text_data_rows", lambda b, c: scattered.append(b.num_rows) or real(b, c))
    result = session.execute(_SELECT)[-1]
    batch = next(b for b in result.batches if b.num_rows)
    cols = result.columns
    with session.rendering():
        short = batch.slice(0, 10)
        assert formats.data_rows(short, cols, [0] * len(cols)) == data_rows_per_value(short, cols, [0] * len(cols))
        assert scattered == []
        long = session.execute("select i, 'x' || i as s from generate_series(1, 1000) as g(i)")[-1]
        rows = [r for b in long.batches if b.num_rows for r in formats.data_rows(b, long.columns, [0, 0])]
        assert len(rows) == 1000 and scattered and rows[0] == b"D\x00\x00\x00\x11\x00\x02\x00\x00\x00\x011\x00\x00\x00\x02x1"


def test_a_few_rows_of_plain_types_are_encoded_from_python_values(session, monkeypatch):
    """Up to SMALL_ROWS rows whose columns are all integers, strings or booleans (a point read)
    skip the Arrow cast kernels and give the per-value path's bytes: NULLs, empty and non-ASCII
    strings, negative and 64-bit integers, jsonb kept as stored text; any other column (float,
    date, array) or a binary format sends the batch down the per-value path."""
    from helios_protocol_pg import formats

    casts = []
    real_cast = formats.pc.cast
    monkeypatch.setattr(formats.pc, "cast", lambda *a, **k: casts.append(a) or real_cast(*a, **k))
    result = session.execute(
        "select i::int2 as a, (i * 10000000000)::int8 as b, case when i = 0 then null else 'é' || i end as c, "
        "(i % 2 = 0) as d, case when i = 1 then null else i end as e, '' as f, ('{\"k\": ' || i || '}')::jsonb as g, "
        "'x'::char(3) as h from generate_series(-1, 2) as g(i)")[-1]
    batch = next(b for b in result.batches if b.num_rows)
    cols, fmts = result.columns, [0] * len(result.columns)
    casts.clear()  # the query's own casts
    fast = formats.small_text_rows(batch, cols, fmts)
    assert fast is not None and casts == []
    assert fast == data_rows_per_value(batch, cols, fmts) == formats.data_rows(batch, cols, fmts)
    assert fast[1] == b"D" + (len(fast[1]) - 1).to_bytes(4, "big") + b"\x00\x08" + b"".join(
        len(v).to_bytes(4, "big") + v if v is not None else b"\xff\xff\xff\xff"
        for v in (b"0", b"0", None, b"t", b"0", b"", b'{"k": 0}', b"x  "))
    other = session.execute("select 1 as a, 2.5::float8 as b")[-1]
    ob = next(b for b in other.batches if b.num_rows)
    assert formats.small_text_rows(ob, other.columns, [0, 0]) is None
    assert formats.small_text_rows(batch, cols, [1] + fmts[1:]) is None


def test_a_large_batch_is_encoded_in_parts_on_worker_threads(session, monkeypatch):
    """A batch of more than two parts' rows is encoded by parts on the worker threads
    (formats._text_data_rows_in_parts) with the session's settings, which live in context
    variables a pool thread does not have of its own: the bytes and row offsets are those of
    one pass on the session's thread, under a zone with a half-hour offset, SQL DateStyle and
    rounded floats."""
    from helios_protocol_pg import formats

    from helios_core import parallel

    monkeypatch.setattr(formats, "PARALLEL_PART_ROWS", 1000)
    monkeypatch.setattr(formats, "WORKERS", 3)
    threads = set()
    real = formats.text_data_rows

    def spy(batch, columns):
        import threading
        threads.add(threading.current_thread().name)
        return real(batch, columns)

    monkeypatch.setattr(formats, "text_data_rows", spy)
    session.execute("set timezone = 'Asia/Kolkata'; set datestyle = 'SQL, DMY'; set extra_float_digits = 0")
    try:
        result = session.execute(
            "select timestamptz '2024-01-01 00:00+00' + i * interval '61 minutes' as t, (i / 7.0)::float8 as f, "
            "case when i % 5 = 0 then null else 'é' || i end as s from generate_series(1, 3500) as g(i)")[-1]
        batch = pa.Table.from_batches([b for b in result.batches if b.num_rows]).combine_chunks().to_batches()[0]
        with session.rendering():
            whole, starts = real(batch, result.columns)
            buf, offsets = formats.data_row_block(batch, result.columns, [0, 0, 0])
            first_row = data_rows_per_value(batch.slice(0, 1), result.columns, [0, 0, 0])[0]
    finally:
        session.execute("reset timezone; reset datestyle; reset extra_float_digits")
    assert batch.num_rows == 3500
    assert buf == whole and offsets == starts.tolist()
    assert first_row == buf[:offsets[1]] and b"01/01/2024 06:31:00 IST" in first_row and b"0.142857142857143" in first_row
    assert any(name.startswith("helios-parallel") for name in threads) and len(threads) >= 2
    assert parallel.WORKERS >= 1


def test_binary_dates_and_timestamps_near_the_epoch_and_at_infinity(session):
    """Binary dates and timestamps of a few rows (struct, one value at a time) and of many (numpy)
    give the same bytes, and only a type's own extremes are ±infinity: 2**31 - 1 microseconds after
    1970 is a timestamp like any other (it went out unshifted, thirty years later)."""
    import struct

    from helios_protocol_pg import formats

    shift_us = 10957 * 86_400_000_000
    micros = [0, 2**31 - 1, -(2**31), 2**63 - 1, -(2**63), None, 1_700_000_000_123_456]
    days = [0, 2**31 - 1, -(2**31), None, 19000, -719162, 10957]
    ts = pa.array(micros, pa.int64()).cast(pa.timestamp("us"))
    dates = pa.array(days, pa.int32()).cast(pa.date32())
    for oid, arr, pack, inf in ((1114, ts, "!q", {2**63 - 1, -(2**63)}), (1184, ts.cast(pa.timestamp("us", "UTC")), "!q",
                                 {2**63 - 1, -(2**63)}), (1082, dates, "!i", {2**31 - 1, -(2**31)})):
        shift = shift_us if pack == "!q" else 10957
        want = [None if v is None else struct.pack(pack, v if v in inf else v - shift) for v in arr.cast(
            pa.int64() if pack == "!q" else pa.int32()).to_pylist()]
        assert formats.encode_column(arr, oid, "", True) == want  # a few values
        long = pa.concat_arrays([arr] * 3)
        assert formats.encode_column(long, oid, "", True) == want * 3  # the numpy path
