"""Time-series collections (``create`` with ``timeseries``) are time-series tables: the
documents' time field is the table's time column, chunked by the granularity's bucket span, so
SQL's time_bucket, chunks and continuous aggregates work on what pymongo writes."""

from __future__ import annotations

import datetime as dt

import psycopg
import pymongo
import pytest


def test_a_timeseries_collection_is_a_timeseries_table(client, mongo_server):
    db = client.tsdb
    db.drop_collection("weather")
    db.create_collection("weather", timeseries={"timeField": "ts", "metaField": "sensor", "granularity": "hours"})
    db.weather.insert_many([{"ts": dt.datetime(2024, 1, 1 + h // 24, h % 24), "sensor": {"id": h % 2}, "temp": 20 + h}
                            for h in range(48)])
    assert db.weather.count_documents({"ts": {"$gte": dt.datetime(2024, 1, 2)}}) == 24
    assert db.weather.find_one({"temp": 21}, {"_id": 0}) == {"ts": dt.datetime(2024, 1, 1, 1), "sensor": {"id": 1},
                                                            "temp": 21}
    info = db.list_collections(filter={"name": "weather"}).next()
    assert info["type"] == "timeseries" and "idIndex" not in info
    assert info["options"]["timeseries"] == {"timeField": "ts", "metaField": "sensor", "granularity": "hours",
                                             "bucketMaxSpanSeconds": 2_592_000}
    with psycopg.connect(mongo_server.pg_dsn(), autocommit=True) as conn:
        assert conn.execute("SELECT time_column, chunk_interval FROM heliosdb.timeseries_tables "
                            "WHERE table_name = 'tsdb.weather'").fetchall() == [("ts", "30 days")]
        days = conn.execute("SELECT time_bucket('1 day', ts), count(*), max((doc->>'temp')::int) "
                            "FROM tsdb.weather GROUP BY 1 ORDER BY 1").fetchall()
        assert [(d.date(), n, top) for d, n, top in days] == [(dt.date(2024, 1, 1), 24, 43),
                                                              (dt.date(2024, 1, 2), 24, 67)]
        assert conn.execute("SELECT count(*) FROM heliosdb.chunks WHERE table_name = 'tsdb.weather'").fetchone()[0] >= 1
    for bad in ({"temp": 5}, {"ts": "2024-01-01", "temp": 5}):  # no date in the time field: refused, nothing stored
        with pytest.raises(pymongo.errors.OperationFailure) as info:
            db.weather.insert_one(bad)
        assert info.value.code == 2 and "'ts' must be present and contain a valid BSON UTC datetime value" in str(
            info.value)
    assert db.weather.count_documents({}) == 48


@pytest.mark.parametrize("spec, code", [
    ({"metaField": "m"}, 40414),  # timeField is required
    ({"timeField": "t", "bucketSpan": 1}, 40415),  # an unknown field
    ({"timeField": "t", "granularity": "days"}, 2),
    ({"timeField": "t", "metaField": "t"}, 2),
    ({"timeField": "doc"}, 2),  # a column of the collection's table
])
def test_bad_timeseries_options_are_refused(client, spec, code):
    with pytest.raises(pymongo.errors.OperationFailure) as info:
        client.tsdb.create_collection("bad_ts", timeseries=spec)
    assert info.value.code == code
    assert "bad_ts" not in client.tsdb.list_collection_names()
