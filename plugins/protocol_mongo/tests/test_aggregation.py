"""Aggregation pipelines through pymongo."""

from __future__ import annotations

import datetime

import pytest
from pymongo.errors import OperationFailure


@pytest.fixture
def orders(coll):
    coll.insert_many([
        {"_id": 1, "cust": "ann", "items": [{"sku": "pen", "qty": 2, "price": 1.5}, {"sku": "ink", "qty": 1, "price": 8}],
         "at": datetime.datetime(2024, 1, 5, tzinfo=datetime.UTC), "status": "paid"},
        {"_id": 2, "cust": "bob", "items": [{"sku": "pen", "qty": 10, "price": 1.5}],
         "at": datetime.datetime(2024, 2, 7, tzinfo=datetime.UTC), "status": "paid"},
        {"_id": 3, "cust": "ann", "items": [], "at": datetime.datetime(2024, 2, 9, tzinfo=datetime.UTC),
         "status": "open"},
    ])
    return coll


def test_group_unwind_sort_project(orders):
    result = list(orders.aggregate([
        {"$match": {"status": "paid"}},
        {"$unwind": "$items"},
        {"$group": {"_id": "$items.sku", "qty": {"$sum": "$items.qty"},
                    "revenue": {"$sum": {"$multiply": ["$items.qty", "$items.price"]}},
                    "buyers": {"$addToSet": "$cust"}, "orders": {"$count": {}}}},
        {"$sort": {"revenue": -1}},
        {"$project": {"_id": 0, "sku": "$_id", "qty": 1, "revenue": 1, "nbuyers": {"$size": "$buyers"},
                      "orders": 1}},
    ]))
    assert result == [{"qty": 12, "revenue": 18.0, "orders": 2, "sku": "pen", "nbuyers": 2},
                      {"qty": 1, "revenue": 8.0, "orders": 1, "sku": "ink", "nbuyers": 1}]


def test_expressions_facet_bucket_and_counts(orders):
    [facets] = orders.aggregate([
        {"$addFields": {"month": {"$month": "$at"}, "n": {"$size": "$items"},
                        "label": {"$concat": [{"$toUpper": "$cust"}, "-", {"$toString": "$_id"}]},
                        "big": {"$cond": [{"$gt": [{"$size": "$items"}, 1]}, "yes", "no"]}}},
        {"$facet": {
            "byMonth": [{"$sortByCount": "$month"}],
            "buckets": [{"$bucket": {"groupBy": "$n", "boundaries": [0, 1, 5], "default": "other"}}],
            "labels": [{"$sort": {"_id": 1}}, {"$project": {"_id": 0, "label": 1, "big": 1}}],
            "total": [{"$count": "orders"}],
        }},
    ])
    assert facets["byMonth"] == [{"_id": 2, "count": 2}, {"_id": 1, "count": 1}]
    assert facets["buckets"] == [{"_id": 0, "count": 1}, {"_id": 1, "count": 2}]
    assert facets["labels"][0] == {"label": "ANN-1", "big": "yes"}
    assert facets["total"] == [{"orders": 3}]


def test_lookup_replace_root_out_and_merge(orders, client):
    customers = orders.database["customers_for_lookup"]
    customers.drop()
    customers.insert_many([{"_id": "ann", "city": "Oslo"}, {"_id": "bob", "city": "Rome"}])
    joined = list(orders.aggregate([
        {"$lookup": {"from": "customers_for_lookup", "localField": "cust", "foreignField": "_id", "as": "c"}},
        {"$replaceRoot": {"newRoot": {"$mergeObjects": [{"order": "$_id"}, {"$first": "$c"}]}}},
        {"$sort": {"order": 1}},
    ]))
    assert [(d["order"], d["city"]) for d in joined] == [(1, "Oslo"), (2, "Rome"), (3, "Oslo")]
    piped = list(customers.aggregate([
        {"$lookup": {"from": orders.name, "let": {"who": "$_id"},
                     "pipeline": [{"$match": {"$expr": {"$eq": ["$cust", "$$who"]}}}, {"$count": "n"}],
                     "as": "stats"}},
        {"$sort": {"_id": 1}},
    ]))
    assert [d["stats"] for d in piped] == [[{"n": 2}], [{"n": 1}]]
    orders.aggregate([{"$group": {"_id": "$cust", "n": {"$sum": 1}}}, {"$out": "order_counts"}])
    assert sorted((d["_id"], d["n"]) for d in orders.database.order_counts.find()) == [("ann", 2), ("bob", 1)]
    orders.aggregate([{"$match": {"_id": 3}}, {"$project": {"n": {"$literal": 99}}},
                      {"$merge": {"into": "order_counts"}}])
    assert orders.database.order_counts.count_documents({}) == 3


def test_pipeline_errors(orders):
    with pytest.raises(OperationFailure) as info:
        list(orders.aggregate([{"$nope": {}}]))
    assert info.value.code == 40324
    with pytest.raises(OperationFailure) as info:
        list(orders.aggregate([{"$project": {"x": {"$bogusOp": 1}}}]))
    assert info.value.code == 168
