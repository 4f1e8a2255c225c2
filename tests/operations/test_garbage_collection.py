"""The served process's garbage collector (helios_core.garbage_collection), seen through /metrics."""

from __future__ import annotations

import gc
import re

import psycopg

from helios_core import garbage_collection
from helios_core.testing import HeliosServer
from tests.operations.conftest import scrape


def _gc_series(server: HeliosServer) -> dict[str, float]:
    text = scrape(server)
    return {name: float(value) for name, value in re.findall(
        r'^(helios_gc_frozen_objects|python_gc_collections_total\{generation="\d"\}) (\S+)$', text, re.MULTILINE)}


def test_startup_objects_are_frozen_and_young_collections_are_rare(server: HeliosServer) -> None:
    before = _gc_series(server)
    assert before["helios_gc_frozen_objects"] > 50_000  # modules, catalog, plugins: about 130,000
    with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
        conn.execute("CREATE TABLE gc_load (a int PRIMARY KEY, b text)")
        for i in range(600):
            conn.execute("INSERT INTO gc_load VALUES " + ",".join(f"({i * 100 + j}, 'x{j}')" for j in range(100)))
            conn.execute("SELECT count(*), max(b) FROM gc_load WHERE a > %s", (i,)).fetchall()
        conn.execute("DROP TABLE gc_load")
    after = _gc_series(server)
    young = after['python_gc_collections_total{generation="0"}'] - before['python_gc_collections_total{generation="0"}']
    # CPython's threshold of 700 allocations collects about 50 times over this load; 20,000: a few
    assert young <= 10, young


def test_the_embedded_engine_leaves_the_host_collector_alone(tmp_path) -> None:
    import helios_core

    thresholds, frozen = gc.get_threshold(), gc.get_freeze_count()
    db = helios_core.connect(str(tmp_path / "data"))
    try:
        db.execute("CREATE TABLE t (a int)")
    finally:
        db.close()
    assert gc.get_threshold() == thresholds and gc.get_freeze_count() == frozen


def test_serving_thresholds_and_freeze() -> None:
    thresholds = gc.get_threshold()
    try:
        garbage_collection.configure_for_serving()
        assert gc.get_threshold() == garbage_collection.THRESHOLDS
        kept = [object() for _ in range(10)], {"a": [1]}  # noqa: F841 - alive across the freeze
        garbage_collection.freeze_startup_objects()
        assert gc.get_freeze_count() > 0 and gc.get_count()[0] < 100
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
