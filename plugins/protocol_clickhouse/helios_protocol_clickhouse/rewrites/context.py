"""What a rewrite may need to know about the client: time zone, database, settings."""

from __future__ import annotations

import attrs


@attrs.define
class RewriteContext:
    timezone: str = "UTC"
    database: str = "default"
    settings: dict[str, str] = attrs.Factory(dict)
