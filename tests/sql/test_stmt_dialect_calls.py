"""Calls that sqlglot would normalise away from PostgreSQL's meaning (answers from PostgreSQL 15)."""

import helios_core


def one(sql):
    res = helios_core.connect().execute(sql)[-1]
    return res.rows(), [(c.name, c.type_name) for c in res.columns]


def test_date_part_is_double_precision_and_labelled_date_part():
    rows, cols = one("select date_part('dow', timestamp '2024-01-01')")
    assert rows == [(1.0,)]
    assert cols == [("date_part", "double precision")]


def test_extract_stays_numeric():
    rows, cols = one("select extract(epoch from timestamp '2024-01-01')")
    assert str(rows[0][0]) == "1704067200.000000"
    assert cols == [("extract", "numeric")]


def test_upper_of_to_hex_is_not_folded_away():
    rows, _ = one("select upper(to_hex(255)), lower(to_hex(255)), to_hex(255)")
    assert rows == [("FF", "ff", "ff")]


def test_gen_random_uuid_is_a_fresh_uuid_per_row():
    rows, _cols = one("select count(distinct g), pg_typeof(min(g::text)::uuid)::text "
                     "from (select gen_random_uuid() g from generate_series(1, 5)) x")
    assert rows == [(5, "uuid")]


def test_random_is_drawn_per_row():
    rows, _ = one("select count(distinct r), min(r) >= 0, max(r) < 1 "
                  "from (select random() r from generate_series(1, 50)) x")
    assert rows == [(50, True, True)]


def test_typed_literal_is_cast_before_a_trailing_cast():
    s = helios_core.connect()
    s.execute("set timezone = 'Asia/Kolkata'")
    res = s.execute("select timestamptz '2024-06-01 23:30:00+00'::date, timestamp '2024-01-01 10:00'::date")[0]
    assert [str(v) for v in res.rows()[0]] == ["2024-06-02", "2024-01-01"]
    assert [c.name for c in res.columns] == ["date", "date"]


def test_json_typed_literal():
    rows, cols = one("""select json '{"a":1}', json '[1]'::jsonb""")
    assert rows == [('{"a":1}', "[1]")]
    assert cols == [("json", "json"), ("jsonb", "jsonb")]


def test_var_samp_and_stddev_samp_keep_their_names():
    rows, cols = one("select var_samp(a), stddev_samp(a), variance(a) from (values (1), (2), (4)) v(a)")
    assert [c[0] for c in cols] == ["var_samp", "stddev_samp", "variance"]
    assert str(rows[0][0]) == "2.3333333333333333"


def test_variance_as_a_window_aggregate():
    rows, cols = one("select a, var_samp(a) over () from (values (1), (2), (4)) v(a) order by a")
    assert [str(r[1]) for r in rows] == ["2.3333333333333333"] * 3
    assert cols[1][0] == "var_samp"


def test_distinct_float_aggregates_over_nulls_are_null():
    rows, _ = one("select min(distinct -cast(null as real)), avg(distinct cast(null as real))")
    assert rows == [(None, None)]
