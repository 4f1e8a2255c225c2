"""The jsonb text the plugin writes for a batch insert is the text jsonb's own input makes of it."""

from __future__ import annotations

import datetime

import pytest
from bson import Code, Decimal128, Int64, ObjectId, Regex
from helios_protocol_mongo import bson_json

import helios_core

DOCUMENTS = [
    {"_id": ObjectId("65a1b2c3d4e5f60718293a4b"), "name": "Ada", "tags": ["x,\n y", "", "\u2028\x7f\x01\x1f\"\\/é😀"],
     "nested": {"zz": [1, {"b": [], "a": {}}], "a": None}, "flags": [True, False], "n": -2147483648},
    {"_id": 7, "f": 1.5, "g": 100.0, "h": -0.0, "big": 2**40, "long": Int64(3), "tiny": 1e-05, "huge": 1e300,
     "dec": Decimal128("1.10"), "when": datetime.datetime(2026, 1, 2, 3, 4, 5, 6000)},
    {"_id": "code", "js": Code("x = 1"), "re": Regex("a.b", "i"), "empty": {}, "lists": [[], [[]], [{}]],
     "keys of some length": {"bb": 1, "a": 2, "ccc": {"dd": 3, "e": 4}}},
    # flat documents take the shortcut (bson_json._flat_row): written order and jsonb's order
    {"_id": "user1", "field0": "v1-0-xx", "field1": "a\nb\u2028\"q\"\\", "field2": ""},
    {"_id": 'a"b\\é\x01', "zz": 1.5, "a": -0.0, "bb": 2147483647, "c": None, "d": False, "f": 100.0, "g": 0.1,
     "h": -2147483648, "i": 123456.789},
]


@pytest.mark.parametrize("doc", DOCUMENTS, ids=["strings", "numbers", "extended", "flat", "flat-reordered"])
def test_encoded_row_is_jsonbs_own_text(doc):
    id_text, doc_text, order = bson_json.encode_row(doc)
    session = helios_core.connect()
    normal = session.execute(f"select '{doc_text.replace(chr(39), chr(39) * 2)}'::jsonb::text")[0].rows()[0][0]
    assert doc_text == normal
    # both texts go into the table unparsed (COPY's canonical_text): each must be jsonb's own
    normal_id = session.execute(f"select '{id_text.replace(chr(39), chr(39) * 2)}'::jsonb::text")[0].rows()[0][0]
    assert id_text == normal_id
    assert bson_json.load_document(doc_text, id_text, order) == doc


def test_reading_what_only_sql_writes():
    """jsonb written through SQL may hold integers beyond 64 bits and lone surrogates (orjson refuses both)."""
    assert bson_json.loads('[123456789012345678901234567890, 3000000000, 7, "\\ud800", 1.5]') == [
        123456789012345678901234567890, Int64(3000000000), 7, "\ud800", 1.5]
    assert type(bson_json.loads("3000000000")) is Int64
    doc = bson_json.load_document('{"a": 1, "b": [{"$numberLong": "7"}], "_id": {"$oid": "65a1b2c3d4e5f60718293a4b"}}',
                                  None, '["_id", "b", "a"]')
    assert doc == {"_id": ObjectId("65a1b2c3d4e5f60718293a4b"), "b": [Int64(7)], "a": 1}
    assert list(doc) == ["_id", "b", "a"] and type(doc["b"][0]) is Int64
