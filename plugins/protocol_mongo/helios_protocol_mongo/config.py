"""The ``[protocols.mongodb]`` section's protocol-specific keys."""

from __future__ import annotations

import attrs

# maxWireVersion a server of that release announces (drivers gate features on it)
WIRE_VERSIONS = {"6.0": 17, "7.0": 21}


def _check_wire_version(_instance: object, _attribute: object, value: str) -> None:
    if value not in WIRE_VERSIONS:
        raise ValueError(f"wire_version: {value!r} is not one of {sorted(WIRE_VERSIONS)}")


@attrs.define(kw_only=True)
class MongoConfig:
    """Protocol keys of ``[protocols.mongodb]``.

    wire_version: the MongoDB release whose maxWireVersion hello announces ("6.0" or "7.0").
    database: the HeliosDB database that holds MongoDB's databases (one schema each).
    worker_threads: how many commands may run at once in worker threads.
    ttl_monitor_interval: how often documents past a TTL index's expireAfterSeconds are removed
    ("60s", MongoDB's default).
    change_history_commits, change_history_rows: how much the change stream history keeps (the
    newest commits, at most that many and holding at most that many changed row versions; the
    newest commit is always kept): a stream resumes from a point it still holds.
    """

    wire_version: str = attrs.field(default="7.0", converter=str, validator=_check_wire_version)
    database: str = "helios"
    worker_threads: int = attrs.field(default=16, metadata={"min": 1})
    ttl_monitor_interval: float = attrs.field(default=60.0, metadata={"duration": True})
    change_history_commits: int = attrs.field(default=10_000, metadata={"min": 1})
    change_history_rows: int = attrs.field(default=200_000, metadata={"min": 1})
    # common keys repeated so the section validates whether or not the kernel strips them
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = 27017
    max_connections: int = 500

    @property
    def max_wire_version(self) -> int:
        return WIRE_VERSIONS[self.wire_version]
