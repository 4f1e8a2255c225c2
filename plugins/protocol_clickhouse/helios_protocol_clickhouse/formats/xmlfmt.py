"""XML, as ClickHouse writes it: the columns' names and types under ``meta``, a ``row`` per row
with an element per column (named as the column when the name is a valid XML name, else
``field``), ``totals`` and ``extremes`` when there are, ``rows``,
``rows_before_limit_at_least`` (with a LIMIT) and ``statistics`` (unless
``output_format_write_statistics = 0``). ``&`` and ``<`` are escaped; arrays and tuples are
``<array>``/``<tuple>`` of ``<elem>``s; NULL is ``\\N``.
"""

from __future__ import annotations

import re
import time
from typing import Any

from helios_protocol_clickhouse.formats.text import rows_of
from helios_protocol_clickhouse.formats.values import TextRenderer

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


def _value(r: TextRenderer, v: Any) -> str:
    if v is None:
        return "\\N"
    if r.kind == "Array" and r.element is not None and isinstance(v, list | tuple):
        return "<array>" + "".join(f"<elem>{_value(r.element, x)}</elem>" for x in v) + "</array>"
    if r.kind == "Tuple" and r.fields:
        items = list(v.values()) if isinstance(v, dict) else list(v)
        return "<tuple>" + "".join(f"<elem>{_value(f, x)}</elem>" for f, x in zip(r.fields, items, strict=False)) + \
            "</tuple>"
    text = r.text(v)
    return "\\N" if text is None else _escape(text)


def _on(settings: dict[str, str], key: str, default: str) -> bool:
    return str(settings.get(key, default)).lower() in ("1", "true")


def _xml(result: Any, settings: dict[str, str]) -> tuple[bytes, str]:
    start = getattr(result, "started", None) or time.perf_counter()
    cols = result.columns or []
    renderers = [TextRenderer(c.type, settings) for c in cols]
    tags = [c.name if _NAME.fullmatch(c.name) else "field" for c in cols]
    out = ["<?xml version='1.0' encoding='UTF-8' ?>\n<result>\n\t<meta>\n\t\t<columns>\n"]
    for c in cols:
        out.append(f"\t\t\t<column>\n\t\t\t\t<name>{_escape(c.name)}</name>\n\t\t\t\t<type>{_escape(c.type)}</type>"
                   "\n\t\t\t</column>\n")
    out.append("\t\t</columns>\n\t</meta>\n\t<data>\n")

    def fields(row: tuple, indent: str) -> str:
        return "".join(f"{indent}<{t}>{_value(r, v)}</{t}>\n" for t, r, v in zip(tags, renderers, row, strict=True))

    for row in rows_of(result.batches):
        out.append("\t\t<row>\n" + fields(row, "\t\t\t") + "\t\t</row>\n")
    out.append("\t</data>\n")
    if result.totals is not None:
        totals = next(iter(rows_of([result.totals])))
        out.append("\t<totals>\n" + fields(totals, "\t\t") + "\t</totals>\n")
    extremes = getattr(result, "extremes", None)
    if extremes is not None:
        low, high = list(rows_of([extremes]))
        out.append("\t<extremes>\n\t\t<min>\n" + fields(low, "\t\t\t") + "\t\t</min>\n\t\t<max>\n" +
                   fields(high, "\t\t\t") + "\t\t</max>\n\t</extremes>\n")
    out.append(f"\t<rows>{result.rows}</rows>\n")
    if result.rows_before_limit is not None:
        out.append(f"\t<rows_before_limit_at_least>{result.rows_before_limit}</rows_before_limit_at_least>\n")
    if _on(settings, "output_format_write_statistics", "1"):
        elapsed = max(time.perf_counter() - start, 0.000001)
        out.append(f"\t<statistics>\n\t\t<elapsed>{elapsed:.6f}</elapsed>\n\t\t<rows_read>{result.rows}</rows_read>\n"
                   "\t\t<bytes_read>0</bytes_read>\n\t</statistics>\n")
    out.append("</result>\n")
    return "".join(out).encode(), "application/xml; charset=UTF-8"


WRITERS = {"XML": _xml}
