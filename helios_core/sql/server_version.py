"""The PostgreSQL release HeliosDB presents itself as: the one whose behaviour it follows.

Clients decide what to send from the server's version (pg_dump refuses a server newer
than itself, drivers pick catalog queries by it), so version(), the server_version and
server_version_num settings, the startup ParameterStatus and pg_settings all come from
here and always agree. The reference is PostgreSQL 15 (the differential tests run 15.18).
"""

from __future__ import annotations

import platform

import helios_core

PG_VERSION = "15.18"
PG_VERSION_NUM = 150018  # major * 10000 + minor, as PostgreSQL 10 and later count


def version_string() -> str:
    """What ``SELECT version()`` returns, in PostgreSQL's shape with HeliosDB named."""
    machine = platform.machine() or "unknown"
    python = platform.python_version()
    return (
        f"PostgreSQL {PG_VERSION} (HeliosDB {helios_core.__version__}) on {machine}-pc-linux-gnu, "
        f"compiled by CPython {python}, 64-bit"
    )
