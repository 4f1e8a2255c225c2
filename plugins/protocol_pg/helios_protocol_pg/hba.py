"""Which authentication method a connection gets: ``[auth] require_tls`` and ``[[auth.rules]]``.

The rules are our pg_hba.conf: read in order, the first rule whose connection type, user,
database and client address match decides the method; no matching rule, a ``reject`` rule,
or a plain-TCP login under ``require_tls`` ends the login with PostgreSQL's 28000 message
(which names the host, user, database and whether TLS was in use).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from helios_core.errors import HeliosError


class HbaRefused(HeliosError):
    sqlstate = "28000"
    severity = "FATAL"


def _encryption(tls: bool) -> str:
    return "SSL encryption" if tls else "no encryption"


def _where(host: str, user: str, database: str, tls: bool) -> str:
    return f'host "{host}", user "{user}", database "{database}", {_encryption(tls)}'


def _address_matches(rule_address: str, host: str) -> bool:
    if rule_address == "all":
        return True
    if not host or host.startswith("/"):
        return False  # Unix sockets are not "host" connections
    try:
        addr = ipaddress.ip_address(host.split("%")[0])
        net = ipaddress.ip_network(rule_address, strict=False)
    except ValueError:
        return False
    if addr.version != net.version:
        mapped = getattr(addr, "ipv4_mapped", None)
        return mapped is not None and mapped in net
    return addr in net


def _names_match(names: list[str], value: str) -> bool:
    return "all" in names or value in names


def rule_method(rules: list[Any], *, user: str, database: str, host: str, tls: bool) -> str | None:
    """The method of the first matching rule, or None when no rule matches."""
    for rule in rules:
        if rule.type == "hostssl" and not tls or rule.type == "hostnossl" and tls:
            continue
        if not _names_match(rule.names("user"), user) or not _names_match(rule.names("database"), database):
            continue
        if not _address_matches(rule.address, host):
            continue
        return str(rule.method)
    return None


def choose_method(policy: Any, *, user: str, database: str, host: str, tls: bool) -> str:
    """The method for this login, or HbaRefused (28000) as PostgreSQL words it."""
    if policy.require_tls and not tls:
        raise HbaRefused(f"no pg_hba.conf entry for {_where(host, user, database, tls)}",
                         hint="This server requires TLS ([auth] require_tls = true): connect with sslmode=require.")
    if not policy.rules:
        return str(policy.method)
    method = rule_method(policy.rules, user=user, database=database, host=host, tls=tls)
    if method is None:
        raise HbaRefused(f"no pg_hba.conf entry for {_where(host, user, database, tls)}",
                         hint="No [[auth.rules]] entry matches this connection.")
    if method == "reject":
        raise HbaRefused(f"pg_hba.conf rejects connection for {_where(host, user, database, tls)}")
    return method
