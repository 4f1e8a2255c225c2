"""Server logs: one line per event, ``<ISO-8601 UTC timestamp> <LEVEL> <logger>: <message>``.

Operators grep and ship these lines, so an event never spans lines: newlines in
messages are escaped and a traceback is folded into the same line.
"""

from __future__ import annotations

import logging
import sys
import traceback
from datetime import UTC, datetime

LEVELS = ("debug", "info", "warning", "error", "critical")
# one event stays readable and cheap to ship: a huge statement or a deep traceback is cut in the middle
MAX_MESSAGE_CHARS = 4096
MAX_TRACEBACK_CHARS = 8192


def bounded(text: str, limit: int) -> str:
    """``text`` cut to about ``limit`` characters, keeping its start and end."""
    if len(text) <= limit:
        return text
    keep = limit // 2
    return f"{text[:keep]} ...[{len(text) - 2 * keep} characters omitted]... {text[-keep:]}"


class OneLineFormatter(logging.Formatter):
    """Formats a record as one line with an ISO timestamp (UTC, milliseconds) and the level."""

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        ts = ts.replace("+00:00", "Z")
        message = bounded(record.getMessage(), MAX_MESSAGE_CHARS)
        if record.exc_info and record.exc_info[0] is not None:
            tb = "".join(traceback.format_exception(*record.exc_info)).rstrip()
            message = f"{message} | {bounded(tb, MAX_TRACEBACK_CHARS)}"
        message = message.replace("\r", "\\r").replace("\n", "\\n")
        return f"{ts} {record.levelname} {record.name}: {message}"


def configure_logging(level: str = "info", stream=None) -> None:
    """Send every ``helios.*`` logger (and plugins' loggers under it) to stderr, one line each."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(OneLineFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)  # third-party libraries: warnings and errors only
    logging.getLogger("helios").setLevel(level.upper())
