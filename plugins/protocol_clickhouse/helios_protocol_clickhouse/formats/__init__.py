"""ClickHouse's input and output formats, by name.

``render(name, result, settings)`` -> (body bytes, Content-Type) for a query result;
``parse(name, payload, columns)`` -> a pyarrow Table for INSERT data. Names are
ClickHouse's, case-sensitive as ClickHouse has them (``TSV`` is ``TabSeparated``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from helios_protocol_clickhouse.errors import ClickHouseError
from helios_protocol_clickhouse.formats import binary, jsonfmt, native_format, pretty, rowbinary, text, xmlfmt

ALIASES = {
    "TSV": "TabSeparated", "TSVWithNames": "TabSeparatedWithNames",
    "TSVWithNamesAndTypes": "TabSeparatedWithNamesAndTypes", "TSVRaw": "TabSeparatedRaw",
    "RawBLOB": "RawBLOB", "Raw": "TabSeparatedRaw", "TSVRawWithNames": "TabSeparatedRawWithNames",
    "RawWithNames": "TabSeparatedRawWithNames", "TSVRawWithNamesAndTypes": "TabSeparatedRawWithNamesAndTypes",
    "RawWithNamesAndTypes": "TabSeparatedRawWithNamesAndTypes",
}


def canonical(name: str) -> str:
    return ALIASES.get(name, name)


WRITERS: dict[str, Callable[..., tuple[bytes, str]]] = {**text.WRITERS, **jsonfmt.WRITERS, **binary.WRITERS,
                                                     **native_format.WRITERS, **rowbinary.WRITERS,
                                                     **pretty.WRITERS, **xmlfmt.WRITERS}
READERS: dict[str, Callable[..., Any]] = {**text.READERS, **jsonfmt.READERS, **binary.READERS,
                                            **native_format.READERS}


def render(name: str, result: Any, settings: dict[str, str]) -> tuple[bytes, str]:
    """A result in the format ``name``; 73 UNKNOWN_FORMAT when there is no such output format."""
    writer = WRITERS.get(canonical(name))
    if writer is None:
        raise ClickHouseError(73, f"Unknown format {name}")
    return writer(result, settings)


def parse(name: str, payload: bytes, columns: list[tuple[str, str]], settings: dict[str, str]) -> Any:
    """INSERT data in format ``name`` for ``columns`` ((name, ClickHouse type) pairs) -> pyarrow Table."""
    reader = READERS.get(canonical(name))
    if reader is None:
        raise ClickHouseError(73, f"Unknown input format {name}")
    return reader(payload, columns, settings)
