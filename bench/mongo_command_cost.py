"""CPU time of MongoDB commands in-process: find_one and update_one by ``_id``, insert_many.

    python -m bench.mongo_command_cost [--docs N] [--rounds R] [--disk]

The plugin's command runner over an in-memory engine (``--disk``: one with a data directory, its
WAL and the installed plugins, as ``helios serve`` opens it), without sockets or an event loop: each
command is a whole OP_MSG (parsed, run, its reply encoded) and is timed by the thread's CPU
time, which a machine shared with other work disturbs much less than wall time or a server's
process CPU. Every document is updated for the first time in the update rounds (as in YCSB's
random keys over many documents). Prints microseconds per command, the median of the rounds.
Not part of the test suite.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import statistics
import struct
import tempfile
import time
from typing import Any

import bson
from helios_core.engine import Engine
from helios_core.plugins import get_plugin_manager
from helios_protocol_mongo import wire
from helios_protocol_mongo.commands import CommandRunner
from helios_protocol_mongo.config import MongoConfig
from helios_protocol_mongo.server import MongoServer


class _Kernel:
    """What the protocol server asks of a kernel: sessions on one engine (in memory, or in ``data_dir``)."""

    def __init__(self, data_dir: str | None = None) -> None:
        if data_dir is None:
            self.engine = Engine.open(None)
        else:
            self.engine = Engine.open(data_dir, plugin_manager=get_plugin_manager())

    def open_session(self, user: str, database: str, options: dict[str, str]) -> Any:
        return self.engine.connect(user=user, database=database)


class _Connection:
    address = "127.0.0.1:27017"
    peer = "127.0.0.1:1"
    connection_id = 1


def _document(i: int) -> dict[str, Any]:
    return {"_id": f"user{i}", **{f"field{f}": f"v{i}-{f}-" + "x" * 80 for f in range(10)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--disk", action="store_true", help="an engine with a data directory (WAL, fsync)")
    args = parser.parse_args()
    data_dir = tempfile.mkdtemp(prefix="helios-bench-mongo-cost-") if args.disk else None
    try:
        _measure(args, _Kernel(data_dir))
    finally:
        if data_dir is not None:
            shutil.rmtree(data_dir, ignore_errors=True)


def _measure(args: argparse.Namespace, kernel: _Kernel) -> None:
    runner = CommandRunner(MongoServer(kernel, MongoConfig(), None, logging.getLogger("bench")), _Connection())
    lsid = {"id": bson.Binary(bytes(16), 4)}

    def run(command: dict[str, Any]) -> bytes:
        body = struct.pack("<I", 0) + b"\x00" + bson.encode({**command, "$db": "ycsb", "lsid": lsid})
        message = wire.parse_message((16 + len(body), 1, 0, wire.OP_MSG), body)
        return wire.encode_op_msg(2, 1, runner.run(message))

    per_round = args.docs // args.rounds
    inserts, finds, updates = [], [], []
    txn = 0
    for r in range(args.rounds):
        docs = [_document(i) for i in range(r * per_round, (r + 1) * per_round)]
        started = time.thread_time()
        for start in range(0, len(docs), 1000):
            run({"insert": "usertable", "documents": docs[start:start + 1000], "ordered": False})
        inserts.append((time.thread_time() - started) / len(docs) * 1e6)
        keys = [d["_id"] for d in docs[:1000]]
        started = time.thread_time()
        for key in keys:
            run({"find": "usertable", "filter": {"_id": key}, "limit": 1, "singleBatch": True})
        finds.append((time.thread_time() - started) / len(keys) * 1e6)
        started = time.thread_time()
        for key in keys:
            txn += 1
            run({"update": "usertable", "updates": [{"q": {"_id": key}, "u": {"$set": {"field0": f"u{txn}"}}}],
                 "ordered": True, "txnNumber": txn})
        updates.append((time.thread_time() - started) / len(keys) * 1e6)
    print(f"CPU us per command (median of {args.rounds} rounds): insert_many {statistics.median(inserts):.1f} per "
          f"document, find_one by _id {statistics.median(finds):.0f}, update_one by _id {statistics.median(updates):.0f}")


if __name__ == "__main__":
    main()
