"""Casts between SQL types with PostgreSQL's rounding, range checks and SQLSTATEs."""

from __future__ import annotations

import pytest

from helios_core.errors import HeliosError
from helios_core.sql import types as T
from helios_core.sql.functions import Vec, binary_op, cast, to_text
from helios_core.sql.functions import number_literal as N
from helios_core.sql.functions import string_literal as L


def shown(v: Vec) -> str | None:
    return to_text(v.array, v.type).to_pylist()[0]


def c(v: Vec, typename: str, context: str = "explicit") -> Vec:
    return cast(v, T.type_from_name(typename), context=context)


def state_of(fn) -> str:
    with pytest.raises(HeliosError) as e:
        fn()
    return e.value.sqlstate


def test_integer_narrowing_checks_range():
    assert shown(c(c(N("2147483647"), "bigint"), "int")) == "2147483647"
    assert state_of(lambda: c(c(N("32768"), "int"), "smallint")) == "22003"
    with pytest.raises(HeliosError) as e:
        c(N("9999999999"), "int")
    assert e.value.message == "integer out of range"


def test_float_to_int_rounds_half_even_numeric_rounds_half_away():
    assert shown(c(c(N("2.5"), "float8"), "int")) == "2"
    assert shown(c(c(N("3.5"), "float4"), "int")) == "4"
    assert shown(c(N("-2.5"), "int")) == "-3"
    assert shown(c(N("2.5"), "int")) == "3"
    assert state_of(lambda: c(c(N("1e10"), "float8"), "int")) == "22003"
    assert state_of(lambda: c(c(L("NaN"), "float8"), "int")) == "22003"


def test_numeric_typmod_rounds_and_overflows():
    assert shown(c(N("1.999"), "numeric(3,2)")) == "2.00"
    assert shown(c(N("1.999"), "numeric(3,1)")) == "2.0"
    assert shown(c(N("-0.005"), "numeric(3,2)")) == "-0.01"
    with pytest.raises(HeliosError) as e:
        c(N("99.995"), "numeric(4,2)")
    assert e.value.sqlstate == "22003"
    assert e.value.message == "numeric field overflow"
    assert e.value.detail == "A field with precision 4, scale 2 must round to an absolute value less than 10^2."


def test_float_numeric_conversions():
    assert shown(c(c(N("0.1"), "float8"), "numeric")) == "0.1"
    assert shown(c(c(N("0.1"), "float4"), "float8")) == "0.10000000149011612"
    assert shown(c(c(N("0.1"), "float8"), "float4")) == "0.1"
    assert shown(c(N("1.25"), "float8")) == "1.25"
    assert state_of(lambda: c(c(N("1e39"), "float8"), "float4")) == "22003"
    assert shown(c(c(L("1e20"), "float8"), "numeric")) == "100000000000000000000"


def test_strings_to_varchar_and_char():
    assert shown(c(L("abcdef"), "varchar(3)")) == "abc"  # explicit cast truncates
    with pytest.raises(HeliosError) as e:
        c(L("abcdef"), "varchar(3)", context="assignment")
    assert e.value.sqlstate == "22001"
    assert e.value.message == "value too long for type character varying(3)"
    assert shown(c(L("abc   "), "varchar(3)", context="assignment")) == "abc"  # only spaces cut
    assert shown(c(L("ab"), "char(4)")) == "ab  "
    assert state_of(lambda: c(L("abcde"), "char(4)", context="assignment")) == "22001"
    assert shown(binary_op("||", c(L("ab"), "char(4)"), L("|"))) == "ab|"


def test_bool_int_and_text():
    assert shown(c(Vec.const(True, T.BOOL), "int")) == "1"
    assert shown(c(N("5"), "bool")) == "t"
    assert shown(c(N("0"), "bool")) == "f"
    assert shown(c(Vec.const(True, T.BOOL), "text")) == "true"
    assert shown(c(Vec.const(False, T.BOOL), "varchar")) == "false"
    assert shown(binary_op("||", L("x"), Vec.const(True, T.BOOL))) == "xtrue"


def test_datetime_conversions():
    assert shown(c(c(L("2024-01-02"), "date"), "timestamp")) == "2024-01-02 00:00:00"
    assert shown(c(c(L("2024-01-02 10:00"), "timestamp"), "date")) == "2024-01-02"
    assert shown(c(c(L("2024-01-02 10:00+00"), "timestamptz"), "time")) == "10:00:00"
    assert shown(c(c(L("10:00"), "time"), "interval")) == "10:00:00"
    assert shown(c(c(L("1969-12-31 23:00"), "timestamp"), "date")) == "1969-12-31"
    assert shown(c(c(L("2024-01-02 10:00:00.123456"), "timestamp"), "timestamp(2)")) == "2024-01-02 10:00:00.12"


def test_to_text_casts():
    assert shown(c(N("123"), "text")) == "123"
    assert shown(c(N("1.50"), "text")) == "1.50"
    assert shown(c(c(L("1 day"), "interval"), "text")) == "1 day"
    assert shown(c(c(L("{1,2}"), "int[]"), "text[]")) == "{1,2}"


def test_impossible_casts_are_42846():
    assert state_of(lambda: c(N("12"), "date")) == "42846"
    assert state_of(lambda: c(c(L("2024-01-01"), "date"), "int")) == "42846"
    assert state_of(lambda: c(Vec.const(True, T.BOOL), "numeric")) == "42846"


def test_bad_text_for_types():
    assert state_of(lambda: c(L("1.5"), "int")) == "22P02"
    assert state_of(lambda: c(L("a"), "uuid")) == "22P02"


def test_json_jsonb_casts():
    j = c(L('{"b": 1, "a": 2}'), "json")
    assert shown(j) == '{"b": 1, "a": 2}'
    assert shown(c(j, "jsonb")) == '{"a": 2, "b": 1}'
    assert shown(c(c(L("12.5"), "jsonb"), "numeric")) == "12.5"
    assert shown(c(c(L("true"), "jsonb"), "bool")) == "t"
    assert state_of(lambda: c(c(L('"x"'), "jsonb"), "int")) == "22023"


def test_null_casts_stay_null():
    for t in ("int", "numeric(5,2)", "text", "date", "interval", "jsonb", "int[]", "bool", "uuid"):
        assert shown(c(Vec.null(T.UNKNOWN), t)) is None


def test_to_storage_gives_the_column_arrow_type():
    from helios_core.sql.functions import binary_op, to_storage

    third = binary_op("/", N("1.0"), N("3"))
    arr = to_storage(third, T.NUMERIC, 2)
    assert arr.type == T.NUMERIC.arrow_type
    assert [str(x) for x in arr.to_pylist()] == ["0.3333333333333333"] * 2
    assert to_storage(N("1.555"), T.type_from_name("numeric(5,2)"), 1).type == T.type_from_name("numeric(5,2)").arrow_type
    assert to_storage(L("2024-01-02"), T.DATE, 3).to_pylist()[2].isoformat() == "2024-01-02"
    with pytest.raises(HeliosError) as e:
        to_storage(L("abcd"), T.type_from_name("varchar(3)"), 1)
    assert e.value.sqlstate == "22001"
    with pytest.raises(HeliosError) as e:
        to_storage(c(L("1" * 70), "numeric"), T.NUMERIC, 1)
    assert e.value.sqlstate == "22003"


def test_boolean_casts_only_with_integer():
    assert state_of(lambda: c(c(N("5"), "bigint"), "bool")) == "42846"
    assert state_of(lambda: c(Vec.const(True, T.BOOL), "bigint")) == "42846"


def test_hex_floats_and_interval_syntax_like_postgres():
    assert shown(c(L("0x10"), "float8")) == "16"
    assert shown(c(L("0x1p3"), "float8")) == "8"
    assert shown(c(L("1-2"), "interval")) == "1 year 2 mons"
    assert shown(c(L("10 1:00"), "interval")) == "10 days 01:00:00"
    for bad in ("1 2", "1e3", "2024-02-29"):
        assert state_of(lambda bad=bad: c(L(bad), "interval")) == "22007"


def test_char_and_varchar_lengths_count_characters_not_bytes():
    """Whole columns (as COPY casts them): lengths judged from byte offsets when no value can be too
    long, by characters otherwise; char(n) padded to n characters, NULLs kept."""
    import pyarrow as pa

    def col(values, typename, context="assignment"):
        return cast(Vec(pa.array(values, pa.string()), T.TEXT), T.type_from_name(typename), context=context).array

    assert col(["ab", None, "abc"], "char(3)").to_pylist() == ["ab ", None, "abc"]
    assert col(["éé", "ééé"], "char(3)").to_pylist() == ["éé ", "ééé"]  # 4 and 6 bytes, 2 and 3 characters
    assert col(["ééé", "日本語"], "varchar(3)").to_pylist() == ["ééé", "日本語"]
    assert col(["abc  ", "ab"], "varchar(3)").to_pylist() == ["abc", "ab"]  # trailing spaces cut on assignment
    assert col(["abc", "abc"], "char(3)").to_pylist() == ["abc", "abc"]
    assert col(["abc", "abcd"], "varchar(3)", "explicit").to_pylist() == ["abc", "abc"]
    with pytest.raises(HeliosError) as e:
        col(["ab", "ééééé"], "varchar(3)")
    assert e.value.sqlstate == "22001"
    sliced = pa.array(["toolong", "ab", "c"], pa.string()).slice(1)
    assert cast(Vec(sliced, T.TEXT), T.type_from_name("char(2)"), context="assignment").array.to_pylist() == \
        ["ab", "c "]
