"""``maxTimeMS``: a command's time limit, checked where its work runs in Python.

The limit starts when the command does; the document loops (each document a filter decides,
each document a multi-document write changes, each $where evaluation) check it and stop the
command with error 50 (MaxTimeMSExpired), as mongod does at its interrupt points. A statement
already running in the kernel finishes first (the check follows it). A getMore's maxTimeMS is
a tailable cursor's wait (tailable.py), not a limit.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator
from typing import Any

from helios_protocol_mongo.errors import MongoError

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("mongo_deadline", default=None)


@contextlib.contextmanager
def limit(command_name: str, max_time_ms: Any) -> Iterator[None]:
    """Run the block under the command's maxTimeMS (0 or absent: no limit)."""
    if max_time_ms is None or command_name == "getMore":
        yield
        return
    if not isinstance(max_time_ms, int | float) or isinstance(max_time_ms, bool):
        raise MongoError(14, f"maxTimeMS must be a number, not {type(max_time_ms).__name__}")
    if max_time_ms < 0 or max_time_ms > 2**31 - 1:
        raise MongoError(2, f"{max_time_ms} value for maxTimeMS is out of range [0, {2**31 - 1}]")
    if max_time_ms == 0:
        yield
        return
    token = _deadline.set(time.monotonic() + max_time_ms / 1000)
    try:
        yield
    finally:
        _deadline.reset(token)


def deadline() -> float | None:
    """When the running command's time is up (monotonic clock), or None."""
    return _deadline.get()


def check() -> None:
    """Error 50 once the running command's maxTimeMS has passed."""
    ends = _deadline.get()
    if ends is not None and time.monotonic() >= ends:
        raise MongoError(50, "operation exceeded time limit")
