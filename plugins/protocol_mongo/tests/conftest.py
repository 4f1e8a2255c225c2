"""Fixtures for the MongoDB protocol tests: one real ``helios serve`` shared by all of them.

The server runs the mongodb and postgres protocols side by side, so a test can write with
pymongo and read with psycopg (collections are SQL tables).
"""

from __future__ import annotations

from collections.abc import Iterator

import pymongo
import pytest

from helios_core.testing import HeliosServer, start_server


@pytest.fixture(scope="session")
def mongo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeliosServer]:
    server = start_server(tmp_path_factory.mktemp("mongo-server"),
                          {"protocols": {"mongodb": {"ttl_monitor_interval": "1s"}}}, only=["mongodb", "postgres"])
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mongo_uri(mongo_server: HeliosServer) -> str:
    return f"mongodb://127.0.0.1:{mongo_server.port('mongodb')}/"


@pytest.fixture(scope="session")
def client(mongo_uri: str) -> Iterator[pymongo.MongoClient]:
    with pymongo.MongoClient(mongo_uri, serverSelectionTimeoutMS=10_000) as c:
        yield c


@pytest.fixture
def coll(client: pymongo.MongoClient, request: pytest.FixtureRequest) -> pymongo.collection.Collection:
    """A fresh, empty collection named after the test."""
    collection = client.testdb[request.node.name[:60].replace("[", "_").replace("]", "_")]
    collection.drop()
    return collection
