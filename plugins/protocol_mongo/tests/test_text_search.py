"""Text indexes, $text and textScore with pymongo, answered by the search plugin's GIN index."""

from __future__ import annotations

import psycopg
import pymongo
import pytest

pytest.importorskip("helios_search", reason="text search needs the search plugin (plugins/search)")

DOCS = [
    {"_id": 1, "content": "Coffee shop on the corner", "title": "Morning"},
    {"_id": 2, "content": "A tea house", "title": "Coffee and tea"},
    {"_id": 3, "content": "The shop sells shoes", "title": "Shopping"},
    {"_id": 4, "content": "Coffee, coffee and more coffee shops", "title": "Obsession"},
    {"_id": 5, "content": "Nothing relevant", "title": "Other"},
]


@pytest.fixture
def texts(coll: pymongo.collection.Collection) -> pymongo.collection.Collection:
    coll.insert_many([dict(d) for d in DOCS])
    coll.create_index([("content", "text"), ("title", "text")])
    return coll


def _ids(cursor) -> list:
    return sorted(d["_id"] for d in cursor)


def test_text_search_matches_as_mongodb(texts: pymongo.collection.Collection) -> None:
    assert _ids(texts.find({"$text": {"$search": "coffee"}})) == [1, 2, 4]
    assert _ids(texts.find({"$text": {"$search": "shops"}})) == [1, 3, 4]  # stemmed: shop, shops
    assert _ids(texts.find({"$text": {"$search": "tea shoes"}})) == [2, 3]  # any word
    assert _ids(texts.find({"$text": {"$search": "coffee -tea"}})) == [1, 4]  # excluded word
    assert _ids(texts.find({"$text": {"$search": '"shop on the corner" tea'}})) == [1]  # the phrase must be there
    assert _ids(texts.find({"$text": {"$search": "the"}})) == []  # a stop word only
    assert _ids(texts.find({"$text": {"$search": "coffee"}, "title": "Obsession"})) == [4]
    assert texts.count_documents({"$text": {"$search": "coffee"}}) == 3


def test_text_score_projection_and_sort(texts: pymongo.collection.Collection) -> None:
    found = list(texts.find({"$text": {"$search": "coffee"}}, {"score": {"$meta": "textScore"}})
                 .sort([("score", {"$meta": "textScore"})]))
    assert found[0]["_id"] == 4  # three times coffee ranks first
    assert all(isinstance(d["score"], float) and d["score"] > 0 for d in found)
    assert [d["score"] for d in found] == sorted((d["score"] for d in found), reverse=True)
    assert found[0]["content"].startswith("Coffee")  # $meta alone keeps the other fields


def test_text_index_listing_and_errors(texts: pymongo.collection.Collection, mongo_server) -> None:
    index = next(i for i in texts.list_indexes() if i["name"] == "content_text_title_text")
    assert index["key"] == {"_fts": "text", "_ftsx": 1} and index["weights"] == {"content": 1, "title": 1}
    with pytest.raises(pymongo.errors.OperationFailure) as err:
        texts.database["no_text_index"].insert_one({"a": "b"})
        list(texts.database["no_text_index"].find({"$text": {"$search": "b"}}))
    assert err.value.code == 27
    with pytest.raises(pymongo.errors.OperationFailure):
        list(texts.find({"$or": [{"$text": {"$search": "b"}}, {"a": 1}]}))
    texts.database.drop_collection("no_text_index")
    with psycopg.connect(mongo_server.pg_dsn(), autocommit=True) as pg:  # the planner uses the GIN index
        table = f'"{texts.database.name}"."{texts.name}"'
        plan = "\n".join(r[0] for r in pg.execute(
            f"explain select _id from {table} where to_tsvector('english', coalesce(doc #>> '{{\"content\"}}', '')"
            f" || ' ' || coalesce(doc #>> '{{\"title\"}}', '')) @@ websearch_to_tsquery('english', 'coffee')"))
    assert "Bitmap Index Scan on" in plan
