"""CPU time of the pieces of a MongoDB point find, in-process: where a find_one by ``_id`` goes.

    python -m bench.mongo_request_costs [--docs N] [--rounds R] [--plugin PACKAGE]

On an engine with a data directory (as ``helios serve`` opens it), a collection of N documents of
1 KB, finds by random ``_id`` shaped as pymongo sends them (``lsid``, ``$clusterTime``, ``$db``).
Each piece runs 300 times a round, the pieces in turn, R rounds; printed: microseconds of thread
CPU per call, min and median of the rounds (the min moves least on a shared machine). The pieces:
the kernel's short point read (``Session.execute_point``), the plugin's read around it
(``CollectionStore.point_read``), the whole command (``CommandRunner.run``), the request's parsing,
the reply's encoding, a command slot. ``--plugin``: import the plugin from another package name (a
copy of an older version renamed, put on ``PYTHONPATH``), to compare two versions in one process.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import random
import shutil
import statistics
import struct
import tempfile
import time
from collections.abc import Callable
from typing import Any

import bson

from bench.mongo_command_cost import _Connection, _document, _Kernel


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=5_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--plugin", default="helios_protocol_mongo")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="helios-bench-mongo-request-")
    try:
        _measure(args, _Kernel(data_dir))
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def _measure(args: argparse.Namespace, kernel: _Kernel) -> None:
    plugin = {name: importlib.import_module(f"{args.plugin}.{name}")
              for name in ("wire", "commands", "config", "server", "bson_json")}
    wire = plugin["wire"]
    server = plugin["server"].MongoServer(kernel, plugin["config"].MongoConfig(), None, logging.getLogger("bench"))
    runner = plugin["commands"].CommandRunner(server, _Connection())
    lsid = {"id": bson.Binary(os.urandom(16), 4)}
    gossip = {"clusterTime": bson.Timestamp(int(time.time()), 1),
              "signature": {"hash": bson.Binary(bytes(20), 0), "keyId": bson.Int64(0)}}

    def request(command: dict[str, Any]) -> tuple[tuple[int, int, int, int], bytes]:
        body = struct.pack("<I", 0) + b"\x00" + bson.encode({**command, "lsid": lsid, "$clusterTime": gossip,
                                                            "$db": "ycsb"})
        return (16 + len(body), 1, 0, wire.OP_MSG), body

    for start in range(0, args.docs, 1000):
        documents = [_document(i) for i in range(start, min(args.docs, start + 1000))]
        runner.run(wire.parse_message(*request({"insert": "usertable", "documents": documents})))
    keys = [f"user{random.randrange(args.docs)}" for _ in range(300)]
    raw = [request({"find": "usertable", "filter": {"_id": k}, "limit": 1, "singleBatch": True}) for k in keys]
    messages = [wire.parse_message(*r) for r in raw]
    reply = runner.run(messages[0])
    store = runner.store()
    store.point_read("ycsb", "usertable", keys[0])
    statement = store._prepared[next(iter(store._point_sql.values()))]
    session = store.session

    def slot(_i: int) -> None:
        with server.command_slots:
            pass

    pieces: dict[str, Callable[[int], Any]] = {
        "kernel point read (Session.execute_point)": lambda i: session.execute_point(statement, ['"' + keys[i] + '"']),
        "plugin's point read (CollectionStore.point_read)": lambda i: store.point_read("ycsb", "usertable", keys[i]),
        "whole command (CommandRunner.run)": lambda i: runner.run(messages[i]),
        "parse the request (wire.parse_message)": lambda i: wire.parse_message(*raw[i]),
        "encode the reply (wire.encode_op_msg)": lambda i: wire.encode_op_msg(2, 1, reply),
        "take and give back a command slot": slot,
    }
    times: dict[str, list[float]] = {name: [] for name in pieces}
    for _ in range(args.rounds):
        for name, piece in pieces.items():
            started = time.thread_time()
            for i in range(300):
                piece(i)
            times[name].append((time.thread_time() - started) / 300 * 1e6)
    print(f"CPU us per call, {args.plugin}, min / median of {args.rounds} rounds of 300:")
    for name, values in times.items():
        print(f"  {name:50s} {min(values):7.1f} / {statistics.median(values):7.1f}")


if __name__ == "__main__":
    main()
