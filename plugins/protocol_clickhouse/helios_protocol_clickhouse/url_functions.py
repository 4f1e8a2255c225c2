"""ClickHouse's URL parameter functions: extractURLParameter(s), extractURLParameterNames,
cutURLParameter; and the IPv4 address texts of numbers (IPv4NumToString, IPv4NumToStringClassC,
whose last part is ``xxx``, IPv4StringToNum: a text that is no address is an error).

The parameters are read as ClickHouse reads them: from after the URL's first ``?`` or ``#``,
parted by ``&`` and ``#``; a ``?`` inside restarts the reading after it (``#test?e=f`` holds
``e=f``), and a last piece without ``=`` is no parameter (``?a=b&c`` holds only ``a=b``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from helios_core.errors import HeliosError
from helios_core.hookspecs import SqlFunction

_START = re.compile(r"[?#]")
_STOP = re.compile(r"[=&#?]")
_VALUE_END = re.compile(r"[&#]")


def parameter_spans(url: str) -> list[tuple[int, int]]:
    """(start, end) of each parameter's text in ``url``."""
    m = _START.search(url)
    if m is None:
        return []
    pos, spans = m.end(), []
    while pos <= len(url):
        begin = pos
        stop = _STOP.search(url, pos)
        if stop is None:
            break
        if stop.group() == "?":
            pos = stop.end()
            continue
        if stop.group() == "=":
            end_m = _VALUE_END.search(url, stop.end())
            end = end_m.start() if end_m else len(url)
        else:
            end = stop.start()
        spans.append((begin, end))
        pos = end + 1
        if end == len(url):
            break
    return spans


def _parameters(url: str) -> list[str]:
    return [url[a:b] for a, b in parameter_spans(url)]


def _names(url: str) -> list[str]:
    return [p.split("=", 1)[0] for p in _parameters(url)]


def _value(url: str, name: str) -> str:
    for p in _parameters(url):
        key, eq, value = p.partition("=")
        if key == name:
            return value if eq else ""
    return ""


def _cut(url: str, name: str) -> str:
    """The URL without its ``name=...`` parameters, each with the ``&`` after it (or, last, before it)."""
    out = url
    for a, b in reversed(parameter_spans(url)):
        if not url[a:b].startswith(name + "="):
            continue
        if b < len(out) and out[b] == "&":
            out = out[:a] + out[b + 1:]
        elif a > 0 and out[a - 1] == "&":
            out = out[:a - 1] + out[b:]
        else:
            out = out[:a] + out[b:]
    return out


def _row_wise(fn: Callable[..., Any], out_type: pa.DataType) -> Callable[[list[pa.Array]], pa.Array]:
    """``fn`` of one row's values (NULL in any: NULL out) over whole columns."""
    def impl(args: list[pa.Array]) -> pa.Array:
        columns = [a.to_pylist() for a in args]
        return pa.array([None if any(v is None for v in row) else fn(*row) for row in zip(*columns, strict=True)],
                        out_type)
    return impl


def _ipv4_text(n: int, class_c: bool) -> str:
    parts = [str((int(n) >> shift) & 0xFF) for shift in (24, 16, 8, 0)]
    return ".".join(parts[:3] + ["xxx"]) if class_c else ".".join(parts)


def _ipv4_number(text: str) -> int:
    parts = text.split(".")
    if len(parts) != 4 or not all(p.isdigit() and int(p) < 256 for p in parts):
        raise HeliosError(f"Invalid IPv4 value: {text!r}", sqlstate="22P02")
    return sum(int(p) << shift for p, shift in zip(parts, (24, 16, 8, 0), strict=True))


FUNCTIONS = [
    SqlFunction(name="ch_ipv4_num_to_string", impl=_row_wise(lambda n: _ipv4_text(n, False), pa.string()),
                return_type="text"),
    SqlFunction(name="ch_ipv4_num_to_string_class_c", impl=_row_wise(lambda n: _ipv4_text(n, True), pa.string()),
                return_type="text"),
    SqlFunction(name="ch_ipv4_string_to_num", impl=_row_wise(_ipv4_number, pa.int64()), return_type="bigint"),
    SqlFunction(name="ch_extract_url_parameters", impl=_row_wise(_parameters, pa.list_(pa.string())),
                return_type="text[]"),
    SqlFunction(name="ch_extract_url_parameter_names", impl=_row_wise(_names, pa.list_(pa.string())),
                return_type="text[]"),
    SqlFunction(name="ch_extract_url_parameter", impl=_row_wise(_value, pa.string()), return_type="text"),
    SqlFunction(name="ch_cut_url_parameter", impl=_row_wise(_cut, pa.string()), return_type="text"),
]
