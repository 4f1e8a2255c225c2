"""Connection start-up: SSL/GSS negotiation, cancel requests, StartupMessage and authentication.

Authentication policy (issue 5):
* no ``[auth]`` section: a loopback client may connect as any existing role, no password;
* ``[auth]`` present: the role's password (from ``[auth] users`` or ``CREATE ROLE ... PASSWORD``)
  is checked with ``[auth] method``: scram-sha-256 (default), md5, password or trust.
"""

from __future__ import annotations

import ipaddress
import secrets
from typing import Any

import attrs

from helios_core import auth as pwauth
from helios_core.errors import HeliosError
from helios_protocol_pg import messages as m


class AuthError(HeliosError):
    sqlstate = "28P01"
    severity = "FATAL"


@attrs.define(kw_only=True)
class AuthPolicy:
    """What the server needs to authenticate a client."""

    configured: bool  # an [auth] section exists
    method: str = "scram-sha-256"
    users: dict[str, str] = attrs.Factory(dict)  # name -> password or verifier


def auth_policy_from_kernel(kernel: Any) -> AuthPolicy:
    """Read the ``[auth]`` section from the kernel's config (a dict or an attrs object)."""
    cfg = getattr(kernel, "config", None)
    section = None
    if isinstance(cfg, dict):
        section = cfg.get("auth")
    elif cfg is not None:
        section = getattr(cfg, "auth", None)
        if section is None and hasattr(cfg, "raw"):
            raw = cfg.raw
            section = raw.get("auth") if isinstance(raw, dict) else None
    if section is None:
        return AuthPolicy(configured=False)
    get = section.get if isinstance(section, dict) else (lambda k, d=None: getattr(section, k, d))
    users = get("users", None) or {}
    if not isinstance(users, dict):
        users = dict(users)
    method_raw = get("method", None)
    if not users and method_raw is None:
        return AuthPolicy(configured=False)  # an empty [auth] is the same as none
    method = str(method_raw or "scram-sha-256").lower()
    if method not in ("scram-sha-256", "md5", "password", "trust"):
        raise ValueError(f"auth.method: unknown method {method!r} (scram-sha-256, md5, password, trust)")
    return AuthPolicy(configured=True, method=method, users={str(k): str(v) for k, v in users.items()})


def is_loopback(address: Any) -> bool:
    """True for 127.0.0.0/8, ::1 and Unix sockets (address is a str path or empty)."""
    if isinstance(address, tuple):
        address = address[0]
    if not address or (isinstance(address, str) and address.startswith("/")):
        return True
    try:
        return ipaddress.ip_address(str(address).split("%")[0]).is_loopback
    except ValueError:
        return str(address) == "localhost"


def parse_options(value: str) -> dict[str, str]:
    """The startup ``options`` parameter: ``-c name=value`` and ``--name=value`` pairs."""
    out: dict[str, str] = {}
    tokens: list[str] = []
    cur: list[str] = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            cur.append(value[i + 1])
            i += 2
            continue
        if ch.isspace():
            if cur:
                tokens.append("".join(cur))
                cur = []
        else:
            cur.append(ch)
        i += 1
    if cur:
        tokens.append("".join(cur))
    it = iter(tokens)
    for tok in it:
        if tok == "-c":
            tok = next(it, "")
        elif tok.startswith(("-c", "--")):
            tok = tok[2:]
        else:
            continue
        if "=" in tok:
            k, v = tok.split("=", 1)
            out[k.replace("-", "_") if "." not in k else k] = v
    return out


def new_secret() -> int:
    return secrets.randbits(31)


def stored_password(policy: AuthPolicy, role: dict | None, user: str) -> str | None:
    if user in policy.users:
        return policy.users[user]
    if role and role.get("password"):
        return str(role["password"])
    return None


async def authenticate(conn: Any, policy: AuthPolicy, user: str, role: dict | None, loopback: bool) -> None:
    """Run the chosen authentication exchange; raises AuthError on failure."""
    if not policy.configured:
        if not loopback:
            raise AuthError(f'no [auth] configured: connections from non-loopback hosts are refused '
                            f'(user "{user}")', sqlstate="28000")
        if role is None:
            raise AuthError(f'role "{user}" does not exist', sqlstate="28000")
        return
    if role is None and user not in policy.users:
        if policy.method == "scram-sha-256":
            # run a fake exchange so a client can't tell unknown roles from bad passwords
            await _scram(conn, None, user)
        raise AuthError(f'password authentication failed for user "{user}"')
    if policy.method == "trust":
        return
    stored = stored_password(policy, role, user)
    method = policy.method
    if method == "md5" and stored is not None and pwauth.is_scram_verifier(stored):
        method = "scram-sha-256"  # as PostgreSQL does when the stored password is SCRAM
    if method == "scram-sha-256":
        verifier = None
        if stored is not None:
            try:
                verifier = pwauth.scram_verifier_for(stored)
            except pwauth.AuthFailed:
                verifier = None
        await _scram(conn, verifier, user)
        if verifier is None:
            raise AuthError(f'password authentication failed for user "{user}"')
        return
    if method == "md5":
        salt = secrets.token_bytes(4)
        conn.write(m.auth_md5(salt))
        await conn.flush()
        answer = await _password_message(conn)
        expected = pwauth.md5_challenge_response(stored, user, salt) if stored is not None else None
        if expected is None or not secrets.compare_digest(answer.encode("utf-8", "replace"), expected.encode()):
            raise AuthError(f'password authentication failed for user "{user}"')
        return
    conn.write(m.auth_cleartext())
    await conn.flush()
    answer = await _password_message(conn)
    if stored is None or not pwauth.check_password(stored, answer, user):
        raise AuthError(f'password authentication failed for user "{user}"')


async def _password_message(conn: Any) -> str:
    kind, payload = await m.read_message(conn.reader)
    if kind != b"p":
        raise m.ProtocolViolation(f"expected password response, got message type {kind!r}")
    r = m.PayloadReader(payload)
    return r.cstring()


async def _scram(conn: Any, verifier: pwauth.ScramVerifier | None, user: str) -> None:
    conn.write(m.auth_sasl(["SCRAM-SHA-256"]))
    await conn.flush()
    kind, payload = await m.read_message(conn.reader)
    if kind != b"p":
        raise m.ProtocolViolation(f"expected SASL response, got message type {kind!r}")
    r = m.PayloadReader(payload)
    mech = r.cstring()
    if mech != "SCRAM-SHA-256":
        raise AuthError("client selected an invalid SASL authentication mechanism", sqlstate="28000")
    ln = r.int32()
    data = r.raw(ln) if ln >= 0 else b""
    exchange = pwauth.ScramExchange(verifier)
    try:
        server_first = exchange.client_first(data)
    except pwauth.AuthFailed as exc:
        raise AuthError(f"malformed SCRAM message: {exc}", sqlstate="08P01") from exc
    conn.write(m.auth_sasl_continue(server_first))
    await conn.flush()
    kind, payload = await m.read_message(conn.reader)
    if kind != b"p":
        raise m.ProtocolViolation(f"expected SASL response, got message type {kind!r}")
    try:
        server_final = exchange.client_final(payload)
    except pwauth.AuthFailed as exc:
        raise AuthError(f'password authentication failed for user "{user}"') from exc
    conn.write(m.auth_sasl_final(server_final))
