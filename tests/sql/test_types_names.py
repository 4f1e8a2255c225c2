"""SqlType naming, OIDs, typmods and the Arrow mapping (helios_core.sql.types)."""

from __future__ import annotations

import pyarrow as pa
import pytest
from sqlglot import exp

from helios_core.errors import HeliosError
from helios_core.sql import types as T


@pytest.mark.parametrize(("text", "name", "oid", "shown"), [
    ("integer", "int4", 23, "integer"),
    ("int", "int4", 23, "integer"),
    ("bigint", "int8", 20, "bigint"),
    ("smallint", "int2", 21, "smallint"),
    ("double precision", "float8", 701, "double precision"),
    ("real", "float4", 700, "real"),
    ("float(10)", "float4", 700, "real"),
    ("numeric(15,2)", "numeric", 1700, "numeric(15,2)"),
    ("decimal", "numeric", 1700, "numeric"),
    ("varchar(10)", "varchar", 1043, "character varying(10)"),
    ("character varying", "varchar", 1043, "character varying"),
    ("char", "bpchar", 1042, "character(1)"),
    ("char(3)", "bpchar", 1042, "character(3)"),
    ("text", "text", 25, "text"),
    ("bytea", "bytea", 17, "bytea"),
    ("boolean", "bool", 16, "boolean"),
    ("date", "date", 1082, "date"),
    ("time", "time", 1083, "time without time zone"),
    ("timestamp", "timestamp", 1114, "timestamp without time zone"),
    ("timestamptz", "timestamptz", 1184, "timestamp with time zone"),
    ("timestamp(3) with time zone", "timestamptz", 1184, "timestamp(3) with time zone"),
    ("interval", "interval", 1186, "interval"),
    ("uuid", "uuid", 2950, "uuid"),
    ("json", "json", 114, "json"),
    ("jsonb", "jsonb", 3802, "jsonb"),
    ("int[]", "_int4", 1007, "integer[]"),
    ("_text", "_text", 1009, "text[]"),
    ("numeric(10,2)[]", "_numeric", 1231, "numeric(10,2)[]"),
])
def test_type_from_name(text, name, oid, shown):
    t = T.type_from_name(text)
    assert (t.name, t.oid, t.sql_name()) == (name, oid, shown)


def test_typmods_follow_postgres_encoding():
    assert T.type_from_name("numeric(15,2)").typmod == ((15 << 16) | 2) + 4
    assert T.type_from_name("numeric(15,2)").precision_scale == (15, 2)
    assert T.type_from_name("varchar(10)").typmod == 14
    assert T.type_from_name("char(3)").length == 3
    assert T.NUMERIC.typmod == -1


def test_arrow_mapping():
    assert T.INT4.arrow_type == pa.int32()
    assert T.type_from_name("numeric(15,2)").arrow_type == pa.decimal128(15, 2)
    assert T.type_from_name("numeric(50,10)").arrow_type == pa.decimal256(50, 10)
    assert T.TIMESTAMPTZ.arrow_type == pa.timestamp("us", tz="UTC")
    assert T.INTERVAL.arrow_type == pa.month_day_nano_interval()
    assert T.array_of(T.INT8).arrow_type == pa.list_(pa.int64())


def test_unknown_type_name_is_42704():
    with pytest.raises(HeliosError) as e:
        T.type_from_name("nosuchtype")
    assert e.value.sqlstate == "42704"


def test_numeric_precision_limits():
    # PostgreSQL 15 takes scales from -1000 to 1000, past the precision too (numeric(2,5) < 0.001)
    assert T.type_from_name("numeric(2,5)").precision_scale == (2, 5)
    assert T.type_from_name("numeric(3,-6)").precision_scale == (3, -6)
    with pytest.raises(HeliosError) as e:
        T.type_from_name("numeric(2,1001)")
    assert e.value.sqlstate == "22023"


@pytest.mark.parametrize(("sql", "shown"), [
    ("numeric(15,2)", "numeric(15,2)"), ("decimal", "numeric"), ("int[]", "integer[]"),
    ("varchar(10)", "character varying(10)"), ("char(3)", "character(3)"),
    ("timestamptz", "timestamp with time zone"), ("serial", "integer"), ("bigserial", "bigint"),
    ("double precision", "double precision"), ("real", "real"), ("text[][]", "text[]"),
    ("bytea", "bytea"), ("jsonb", "jsonb"), ("oid", "oid"), ("regclass", "regclass"),
])
def test_type_from_sqlglot(sql, shown):
    assert T.type_from_sqlglot(exp.DataType.build(sql, dialect="postgres")).sql_name() == shown


def test_type_by_oid_round_trips():
    for t in (T.BOOL, T.INT2, T.INT4, T.INT8, T.FLOAT4, T.FLOAT8, T.NUMERIC, T.TEXT, T.VARCHAR, T.BPCHAR,
              T.BYTEA, T.DATE, T.TIME, T.TIMESTAMP, T.TIMESTAMPTZ, T.INTERVAL, T.UUID, T.JSON, T.JSONB):
        assert T.type_by_oid(t.oid) == t
        assert T.type_by_oid(T.array_of(t).oid).element == t
    with pytest.raises(HeliosError):
        T.type_by_oid(999999)


def test_sql_type_of_arrow():
    assert T.sql_type_of_arrow(pa.int64()) == T.INT8
    assert T.sql_type_of_arrow(pa.int32()) == T.INT4
    assert T.sql_type_of_arrow(pa.float64()) == T.FLOAT8
    assert T.sql_type_of_arrow(pa.string()) == T.TEXT
    assert T.sql_type_of_arrow(pa.decimal128(10, 2)) == T.NUMERIC
    assert T.sql_type_of_arrow(pa.timestamp("us", tz="UTC")) == T.TIMESTAMPTZ
    assert T.sql_type_of_arrow(pa.list_(pa.int16())) == T.array_of(T.INT2)
    assert T.sql_type_of_arrow(pa.date32()) == T.DATE


def test_categories():
    assert T.INT4.category == "N" and T.TEXT.category == "S" and T.DATE.category == "D"
    assert T.INTERVAL.category == "T" and T.BOOL.category == "B" and T.array_of(T.INT4).category == "A"
