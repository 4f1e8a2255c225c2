"""Text input and output of every type: PostgreSQL's exact spelling (what psql shows)."""

from __future__ import annotations

import datetime as dt
import decimal

import pyarrow as pa
import pytest

from helios_core.errors import HeliosError
from helios_core.sql import types as T
from helios_core.sql.functions import Vec, cast, runtime, to_text
from helios_core.sql.functions import string_literal as L


def text_of(v: Vec) -> list:
    """What a client sees: the type's output function (char(n) keeps its padding)."""
    return to_text(v.array, v.type).to_pylist()


def round_trip(text: str, typename: str) -> str:
    return text_of(cast(L(text), T.type_from_name(typename), context="explicit"))[0]


def state_of(fn) -> str:
    with pytest.raises(HeliosError) as e:
        fn()
    return e.value.sqlstate


@pytest.mark.parametrize(("text", "typ", "shown"), [
    ("  42 ", "integer", "42"), ("+7", "int", "7"), ("-0005", "smallint", "-5"),
    ("9223372036854775807", "bigint", "9223372036854775807"),
    ("t", "bool", "t"), ("yes", "bool", "t"), ("off", "bool", "f"), (" FALSE ", "bool", "f"), ("1", "bool", "t"),
    ("0.1", "float8", "0.1"), ("1e20", "float8", "1e+20"), ("1e15", "float8", "1e+15"),
    ("123456789012345", "float8", "123456789012345"), ("0.0001", "float8", "0.0001"),
    ("0.00001", "float8", "1e-05"), ("NaN", "float8", "NaN"), ("-Infinity", "float8", "-Infinity"),
    ("inf", "float8", "Infinity"), ("-0", "float8", "-0"), ("0.333333333333333314829616256247", "float8",
                                                               "0.3333333333333333"),
    ("1000000", "real", "1e+06"), ("123456", "real", "123456"), ("0.1", "real", "0.1"),
    ("1.50", "numeric", "1.50"), ("-0.001", "numeric", "-0.001"), ("1e3", "numeric", "1000"),
    ("1.5e-3", "numeric", "0.0015"), (".5", "numeric", "0.5"),
    ("1.555", "numeric(10,2)", "1.56"), ("-1.555", "numeric(10,2)", "-1.56"), ("2", "numeric(5,2)", "2.00"),
    ("abc", "text", "abc"), ("abc", "char(5)", "abc  "), ("abc  ", "varchar(3)", "abc"),
    ("\\x48656c6c6f", "bytea", "\\x48656c6c6f"), ("Hello", "bytea", "\\x48656c6c6f"),
    ("2024-01-02", "date", "2024-01-02"), ("Jan 2 2024", "date", "2024-01-02"),
    ("20240102", "date", "2024-01-02"), ("1/2/2024", "date", "2024-01-02"),
    ("2024-01-02 03:04:05", "timestamp", "2024-01-02 03:04:05"),
    ("2024-01-02T03:04:05.120", "timestamp", "2024-01-02 03:04:05.12"),
    ("2024-01-02 03:04:05+02", "timestamptz", "2024-01-02 01:04:05+00"),
    ("2024-01-02 03:04:05 UTC", "timestamptz", "2024-01-02 03:04:05+00"),
    ("epoch", "timestamp", "1970-01-01 00:00:00"),
    ("03:04:05.5", "time", "03:04:05.5"), ("3:04 pm", "time", "15:04:00"),
    ("1 day 2 hours", "interval", "1 day 02:00:00"), ("14 months", "interval", "1 year 2 mons"),
    ("-1 day", "interval", "-1 days"), ("1 day -01:00:00", "interval", "1 day -01:00:00"),
    ("1.5 days", "interval", "1 day 12:00:00"), ("2 weeks", "interval", "14 days"),
    ("01:02:03.25", "interval", "01:02:03.25"), ("1 year 2 months ago", "interval", "-1 years -2 mons"),
    ("P1Y2M3DT4H5M6S", "interval", "1 year 2 mons 3 days 04:05:06"), ("0", "interval", "00:00:00"),
    ("-1 days +02:00:00", "interval", "-1 days +02:00:00"), ("90 minutes", "interval", "01:30:00"),
    ("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11", "uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    ("{a0eebc999c0b4ef8bb6d6bb9bd380a11}", "uuid", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
    ('{"b":1,  "a":[1,2.50,null], "b": 2}', "jsonb", '{"a": [1, 2.50, null], "b": 2}'),
    ('{"b":1,  "a":2}', "json", '{"b":1,  "a":2}'),
    ('{"aa": 1, "b": 2}', "jsonb", '{"b": 2, "aa": 1}'),
    ("{1,2,3}", "int[]", "{1,2,3}"), ("{ 1 , NULL }", "int[]", "{1,NULL}"), ("{}", "text[]", "{}"),
    ('{"a b","",NULL,"x\\"y",plain}', "text[]", '{"a b","",NULL,"x\\"y",plain}'),
    ('{"NULL"}', "text[]", '{"NULL"}'), ("{1.5,2}", "numeric[]", "{1.5,2.0}"),
])
def test_input_then_output(text, typ, shown):
    assert round_trip(text, typ) == shown


@pytest.mark.parametrize(("text", "typ", "state"), [
    ("abc", "integer", "22P02"), ("1.5", "integer", "22P02"), ("", "integer", "22P02"),
    ("99999999999", "integer", "22003"), ("40000", "smallint", "22003"),
    ("99999999999999999999", "bigint", "22003"), ("maybe", "bool", "22P02"), ("1e400", "float8", "22003"),
    ("x1", "float8", "22P02"), ("1.2.3", "numeric", "22P02"), ("123.45", "numeric(4,2)", "22003"),
    ("2024-13-01", "date", "22008"), ("not a date", "date", "22007"), ("2024-02-30", "date", "22008"),
    ("garbage", "timestamp", "22007"), ("1 fortnight", "interval", "22007"), ("xyz", "uuid", "22P02"),
    ("{bad json", "jsonb", "22P02"), ("{1,2", "int[]", "22P02"), ("{1,x}", "int[]", "22P02"),
    ("\\xzz", "bytea", "22023"),  # PostgreSQL 15: invalid hexadecimal digit: "z"
])
def test_input_errors(text, typ, state):
    assert state_of(lambda: cast(L(text), T.type_from_name(typ))) == state


def test_error_message_names_the_value():
    with pytest.raises(HeliosError) as e:
        cast(L("abc"), T.INT4)
    assert e.value.message == 'invalid input syntax for type integer: "abc"'
    with pytest.raises(HeliosError) as e:
        cast(L("99999999999"), T.INT4)
    assert e.value.message == 'value "99999999999" is out of range for type integer'


def test_output_of_columns_with_nulls():
    v = Vec.of(pa.array([True, None, False]), T.BOOL)
    assert text_of(v) == ["t", None, "f"]
    v = Vec.of(pa.array([b"\x00\xff", None]), T.BYTEA)
    assert text_of(v) == ["\\x00ff", None]
    v = Vec.of(pa.array([[1, None], None, []], pa.list_(pa.int32())), T.array_of(T.INT4))
    assert text_of(v) == ["{1,NULL}", None, "{}"]


def test_numeric_keeps_scale_and_storage_column_is_normalized():
    v = Vec.of(pa.array([decimal.Decimal("1.50"), decimal.Decimal("-2.00")], pa.decimal128(5, 2)),
               T.type_from_name("numeric(5,2)"))
    assert text_of(v) == ["1.50", "-2.00"]
    stored = Vec.of(pa.array([decimal.Decimal("1.5"), decimal.Decimal(100)], T.NUMERIC.arrow_type), T.NUMERIC)
    assert text_of(stored) == ["1.5", "100.0"]  # one scale per batch: the smallest exact one


def test_timestamptz_output_follows_session_timezone():
    v = cast(L("2024-01-02 03:04:05+00"), T.TIMESTAMPTZ)
    assert text_of(v) == ["2024-01-02 03:04:05+00"]
    with runtime.use(timezone="America/New_York"):
        assert text_of(v) == ["2024-01-01 22:04:05-05"]
        # input without an offset is read in the session zone
        assert text_of(cast(L("2024-07-01 12:00"), T.TIMESTAMPTZ)) == ["2024-07-01 12:00:00-04"]
    with runtime.use(timezone="Asia/Kolkata"):
        assert text_of(v) == ["2024-01-02 08:34:05+05:30"]
    assert text_of(cast(L("2024-07-01 12:00"), T.TIMESTAMPTZ)) == ["2024-07-01 12:00:00+00"]


def test_date_far_range_output():
    v = Vec.of(pa.array([dt.date(1, 1, 1)], pa.date32()), T.DATE)
    assert text_of(v) == ["0001-01-01"]
    bc = Vec.of(pa.array([-719529 - 365 * 43 - 10], pa.int32()).cast(pa.date32()), T.DATE)
    assert text_of(bc)[0].endswith(" BC")


def test_now_and_today_use_the_transaction_clock():
    fixed = dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.UTC)
    with runtime.use(now=fixed):
        assert round_trip("now", "timestamptz") == "2024-05-06 07:08:09+00"
        assert round_trip("today", "date") == "2024-05-06"
        assert round_trip("tomorrow", "timestamp") == "2024-05-07 00:00:00"


def test_char_padding_is_dropped_by_a_cast_to_text_but_shown_on_output():
    v = cast(L("ab"), T.type_from_name("char(4)"))
    assert text_of(v) == ["ab  "]
    assert cast(v, T.TEXT).to_pylist() == ["ab"]
