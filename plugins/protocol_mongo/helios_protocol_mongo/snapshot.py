"""Snapshot reads outside transactions: ``readConcern: {level: "snapshot", atClusterTime}``.

The cluster time is the kernel's commit clock: Timestamp(seconds, microsecond within the
second + 1) names the commit timestamp (µs) it was issued at. A find, aggregate or distinct
with the snapshot level reads its collections ``AS OF`` that timestamp: the one the client
gave as ``atClusterTime``, else the current one, which the reply returns as ``atClusterTime``
(in the cursor, or at the top for distinct) so a snapshot session's later reads see the same
data. A time past the retention window is error 239 (SnapshotTooOld), one ahead of the
cluster's is 72; other commands refuse the snapshot level outside a transaction (72).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from bson import Timestamp

from helios_protocol_mongo.errors import MongoError

if TYPE_CHECKING:
    from helios_protocol_mongo.commands import CommandContext

SNAPSHOT_COMMANDS = {"find", "aggregate", "distinct"}
CONTINUING = {"getMore"}  # a snapshot cursor's next batches (its documents were read at its time)
MICROS = 1_000_000


def to_cluster_time(micros: int) -> Timestamp:
    return Timestamp(micros // MICROS, micros % MICROS + 1)


def to_micros(ts: Timestamp) -> int:
    return ts.time * MICROS + min(max(ts.inc, 1), MICROS) - 1


def now_micros() -> int:
    return time.time_ns() // 1000


def check(name: str, command: dict[str, Any], in_transaction: bool) -> None:
    """Refuse what mongod refuses: atClusterTime without the snapshot level, the snapshot level on a
    command that cannot read at one outside a transaction."""
    concern = command.get("readConcern")
    if not isinstance(concern, dict):
        return
    if "atClusterTime" in concern and concern.get("level") != "snapshot":
        raise MongoError(72, "readConcern.atClusterTime can only be used with readConcern level snapshot")
    if concern.get("level") == "snapshot" and not in_transaction and name not in SNAPSHOT_COMMANDS | CONTINUING:
        raise MongoError(72, f"Command {name} does not support {{ readConcern: {{ level: \"snapshot\" }} }} "
                             "outside a multi-document transaction")
    if "atClusterTime" in concern and not isinstance(concern["atClusterTime"], Timestamp):
        raise MongoError(14, "BSON field 'readConcern.atClusterTime' is the wrong type, expected type 'timestamp'")


def read_time(ctx: CommandContext) -> int | None:
    """The commit timestamp a snapshot read of this command reads at (chosen once per command), or None."""
    if ctx.read_at is not None or ctx.in_transaction:
        return ctx.read_at
    concern = ctx.command.get("readConcern")
    if not isinstance(concern, dict) or concern.get("level") != "snapshot":
        return None
    given = concern.get("atClusterTime")
    if given is None:
        ctx.read_at = now_micros()
        return ctx.read_at
    wanted = to_micros(given)
    ahead = wanted - now_micros()
    if ahead > MICROS:  # further than the clock's own drift: a time this cluster has not reached
        raise MongoError(72, f"readConcern.atClusterTime {given} is greater than the current cluster time")
    if ahead > 0:
        time.sleep(ahead / MICROS)  # issued a few microseconds ahead of the wall clock: wait until it is reached
    ctx.read_at = wanted
    return wanted


def annotate(ctx: CommandContext, reply: dict[str, Any]) -> None:
    """A snapshot read tells the client the time it read at (the one to give its later reads)."""
    if ctx.read_at is None or reply.get("ok") != 1.0:
        return
    cursor = reply.get("cursor")
    if isinstance(cursor, dict):
        cursor["atClusterTime"] = to_cluster_time(ctx.read_at)
    else:
        reply["atClusterTime"] = to_cluster_time(ctx.read_at)
