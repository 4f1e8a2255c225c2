"""The ``[protocols.clickhouse]`` section: one section for both of ClickHouse's ports.

``port`` is the native TCP protocol (standard 9000), ``http_port`` the HTTP interface
(standard 8123). Unset, each takes its standard port or the next free one; 0 asks the OS
for any free port. ``timezone`` is the server time zone ClickHouse clients see: what
``timezone()`` returns, what the native Hello announces and the zone ``today()``,
``toStartOfDay`` and DateTime text use.
"""

from __future__ import annotations

import zoneinfo

import attrs

NATIVE_PORT = 9000
HTTP_PORT = 8123


def _check_timezone(instance: object, attribute: attrs.Attribute, value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (examples: 'UTC', 'Europe/Berlin')") from None


@attrs.define(kw_only=True)
class ClickHouseConfig:
    """Keys of ``[protocols.clickhouse]``."""

    http_port: int | None = attrs.field(default=None, metadata={"min": 0, "max": 65535})
    timezone: str = attrs.field(default="UTC", validator=_check_timezone)
    # common keys repeated so the section validates whether or not the kernel strips them
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int | None = NATIVE_PORT
    max_connections: int = 100
