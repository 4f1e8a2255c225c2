"""ClickHouse's URL functions: the parameters (extractURLParameter(s), extractURLParameterNames,
cutURLParameter), the host and its parts (domain, domainWithoutWWW, topLevelDomain,
firstSignificantSubdomain, cutToFirstSignificantSubdomain[WithWWW]), the hierarchy
(URLHierarchy, URLPathHierarchy, URLHash); and the IPv4 address texts of numbers (IPv4NumToString, IPv4NumToStringClassC,
whose last part is ``xxx``, IPv4StringToNum: a text that is no address is an error).

The parameters are read as ClickHouse reads them: from after the URL's first ``?`` or ``#``,
parted by ``&`` and ``#``; a ``?`` inside restarts the reading after it (``#test?e=f`` holds
``e=f``), and a last piece without ``=`` is no parameter (``?a=b&c`` holds only ``a=b``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
from clickhouse_cityhash.cityhash import CityHash64

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


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_HOST_END = ":/?#"
_NOT_IN_HOST = set(" \t\r\n<>%{}|\\^~[];=&\"'`")
# public suffixes of two labels and more decide which label of a host is its first significant one
# (``co.jp``: ``yahoo`` in www.yahoo.co.jp); read from the system's Public Suffix List when it has one
_SUFFIX_LISTS = (Path("/usr/share/publicsuffix/public_suffix_list.dat"),)
_FALLBACK_SUFFIXES = frozenset(f"{second}.{tld}" for second in ("com", "net", "org", "gov", "edu", "ac", "co")
                               for tld in ("uk", "jp", "ua", "au", "nz", "za", "br", "tr", "cn", "in", "il", "kr"))


@functools.cache
def _public_suffixes() -> frozenset[str]:
    for path in _SUFFIX_LISTS:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        return frozenset(line.strip() for line in lines
                         if line.strip() and not line.startswith(("//", "*", "!")) and "." in line)
    return _FALLBACK_SUFFIXES


def _domain(url: str) -> str:
    """The URL's host as ClickHouse's domain() reads it: after ``scheme://`` or ``//`` (or from the start
    when there is neither), to the first ``:``, ``/``, ``?`` or ``#`` (user info before ``@`` left out);
    empty when it holds no dot, ends with one or holds a character no host has."""
    if url.startswith("//"):
        start = 2
    else:
        m = _SCHEME.match(url)
        start = m.end() if m else 0
    end = start
    while end < len(url) and url[end] not in _HOST_END:
        if url[end] == "@":
            start = end + 1
        elif url[end] in _NOT_IN_HOST:
            return ""
        end += 1
    host = url[start:end]
    if "." not in host or host.endswith("."):
        return ""
    return host


def _without_www(host: str) -> str:
    return host.removeprefix("www.")


def _top_level_domain(url: str) -> str:
    tld = _domain(url).rpartition(".")[2]
    return "" if tld.isdigit() else tld


def _significant_span(host: str) -> tuple[int, int]:
    """(start, end) in ``host`` of its first significant subdomain: the label before the public suffix
    of its last two labels, else the label before its last."""
    dots = [i for i, ch in enumerate(host) if ch == "."]
    if not dots:
        return 0, len(host)
    if len(dots) == 1:
        return 0, dots[0]
    last, second = dots[-1], dots[-2]
    if host[second + 1:] in _public_suffixes():
        third = dots[-3] if len(dots) > 2 else -1
        return third + 1, second
    return second + 1, last


def _first_significant_subdomain(url: str) -> str:
    host = _without_www(_domain(url))
    a, b = _significant_span(host)
    return host[a:b]


def _cut_to_first_significant_subdomain(url: str, keep_www: bool) -> str:
    """The host from its first significant subdomain on; with ``keep_www`` a leading ``www.`` counts as a
    label like any other (``www.ck`` stays whole)."""
    host = _domain(url) if keep_www else _without_www(_domain(url))
    a, b = _significant_span(host)
    return host[a:] if a < b else ""


def url_hierarchy(url: str) -> list[str]:
    """URLHierarchy: the URL cut after its host and after each ``/`` of its path (the rest of a run of
    them goes with the next level), then after its ``?`` and its ``#``; a URL without ``scheme://`` is its own only level."""
    m = _SCHEME.match(url)
    if m is None:
        return [url] if url else []
    out, pos, separators = [], m.end(), "/?#"
    while pos < len(url):
        end = pos
        while end < len(url) and url[end] not in separators:
            end += 1
        if end < len(url):
            if url[end] == "?":
                separators = "#"
            elif url[end] == "#":
                separators = ""
            end += 1
        out.append(url[:end])
        pos = end
        while pos < len(url) and url[pos] == "/" and separators == "/?#":
            pos += 1  # a run of slashes belongs to the next level, and is none of its own
    return out


def _url_path_hierarchy(url: str) -> list[str]:
    levels = url_hierarchy(url)
    if _SCHEME.match(url) is None or len(levels) < 2:
        return []
    host_end = len(levels[0]) - 1
    return [level[host_end:] for level in levels[1:]]


def _url_hash(url: str, level: int | None = None) -> int:
    """URLHash: CityHash64 of the URL, or of its level ``level`` (0 its host; past its last: empty),
    less one trailing ``/``, ``?`` or ``#``."""
    if level is not None:
        levels = url_hierarchy(url)
        url = levels[level] if 0 <= level < len(levels) else ""
    if url and url[-1] in "/?#":
        url = url[:-1]
    return CityHash64(url.encode("utf-8"))


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
    SqlFunction(name="ch_domain", impl=_row_wise(_domain, pa.string()), return_type="text"),
    SqlFunction(name="ch_domain_without_www", impl=_row_wise(lambda u: _without_www(_domain(u)), pa.string()),
                return_type="text"),
    SqlFunction(name="ch_top_level_domain", impl=_row_wise(_top_level_domain, pa.string()), return_type="text"),
    SqlFunction(name="ch_first_significant_subdomain", impl=_row_wise(_first_significant_subdomain, pa.string()),
                return_type="text"),
    SqlFunction(name="ch_cut_to_first_significant_subdomain",
                impl=_row_wise(lambda u: _cut_to_first_significant_subdomain(u, False), pa.string()),
                return_type="text"),
    SqlFunction(name="ch_cut_to_first_significant_subdomain_with_www",
                impl=_row_wise(lambda u: _cut_to_first_significant_subdomain(u, True), pa.string()),
                return_type="text"),
    SqlFunction(name="ch_url_hierarchy", impl=_row_wise(url_hierarchy, pa.list_(pa.string())), return_type="text[]"),
    SqlFunction(name="ch_url_path_hierarchy", impl=_row_wise(_url_path_hierarchy, pa.list_(pa.string())),
                return_type="text[]"),
    SqlFunction(name="ch_url_hash", impl=_row_wise(_url_hash, pa.uint64()), return_type="numeric(20,0)"),
]
