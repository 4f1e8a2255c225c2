"""Connection start-up: SSL/GSS negotiation, cancel requests, StartupMessage and authentication.

Authentication policy (issue 5):
* no ``[auth]`` section: a loopback client may connect as any existing role, no password;
* ``[auth]`` present: the role's password (from ``[auth] users`` or ``CREATE ROLE ... PASSWORD``)
  is checked with ``[auth] method``: scram-sha-256 (default), md5, password or trust;
  ``require_tls`` and ``[[auth.rules]]`` (our pg_hba.conf, see hba.py) may refuse the login
  or choose another method per user, database and client address.

No user enumeration: a role that does not exist gets the same challenge as one that does
(SCRAM: a salt derived from a per-process secret and the user name, the real iteration
count; md5: a random salt; password: the cleartext request), then the same 28P01 message.
Plaintext passwords from ``[auth.users]`` are turned into SCRAM verifiers once, with a
salt derived the same way, so no login pays PBKDF2 and the salt a client sees never
tells known from unknown users.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import secrets
from typing import Any

import attrs

from helios_core import auth as pwauth
from helios_core.errors import HeliosError
from helios_protocol_pg import messages as m
from helios_protocol_pg.hba import choose_method

MAX_AUTH_MESSAGE = 8192  # a password or SASL message before login: far more than any real one needs
_MOCK_SECRET = secrets.token_bytes(32)  # per process: mock SCRAM salts and derived salts


class AuthError(HeliosError):
    sqlstate = "28P01"
    severity = "FATAL"


@attrs.define(kw_only=True)
class AuthPolicy:
    """What the server needs to authenticate a client."""

    configured: bool  # an [auth] section exists
    method: str = "scram-sha-256"
    users: dict[str, str] = attrs.Factory(dict)  # name -> password or verifier
    require_tls: bool = False
    rules: list[Any] = attrs.Factory(list)  # helios_core.config.AuthRule


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
    require_tls = bool(get("require_tls", False))
    rules = list(get("rules", None) or ())
    if not users and method_raw is None and not require_tls and not rules:
        return AuthPolicy(configured=False)  # an empty [auth] is the same as none
    method = str(method_raw or "scram-sha-256").lower()
    if method not in ("scram-sha-256", "md5", "password", "trust"):
        raise ValueError(f"auth.method: unknown method {method!r} (scram-sha-256, md5, password, trust)")
    return AuthPolicy(configured=True, method=method, users={str(k): str(v) for k, v in users.items()},
                      require_tls=require_tls, rules=rules)


BOOTSTRAP_ROLE = "helios"  # the superuser every new HeliosDB server has


def unknown_role(user: str) -> AuthError:
    """PostgreSQL's 28000 for a role that does not exist, with a hint for psql's default user.

    psql and libpq log in as the operating-system user (``root``, ``postgres``...) when no
    ``-U`` is given; HeliosDB's one role on a fresh install is ``helios``.
    """
    quoted = user.replace('"', '""')
    return AuthError(
        f'role "{user}" does not exist',
        sqlstate="28000",
        hint=f'The role created with a new HeliosDB server is "{BOOTSTRAP_ROLE}": connect with -U {BOOTSTRAP_ROLE} '
        f'(psql -h 127.0.0.1 -U {BOOTSTRAP_ROLE} helios), or, connected as {BOOTSTRAP_ROLE}, create this role: '
        f'CREATE ROLE "{quoted}" LOGIN;',
    )


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
    if role and pwauth.password_expired(role):
        return None  # VALID UNTIL is over: the password no longer logs in (28P01, as PostgreSQL)
    if user in policy.users:
        return policy.users[user]
    if role and role.get("password"):
        return str(role["password"])
    return None


def _derived_salt(user: str) -> bytes:
    """A salt that is the same for every login of ``user`` in this process and unknown outside it."""
    return hmac.new(_MOCK_SECRET, b"salt:" + user.encode("utf-8", "replace"), hashlib.sha256).digest()[:16]


@functools.lru_cache(maxsize=1024)
def _plaintext_verifier(user: str, password: str) -> pwauth.ScramVerifier:
    stored_key, server_key = pwauth.scram_keys(password, _derived_salt(user), pwauth.SCRAM_ITERATIONS)
    return pwauth.ScramVerifier(pwauth.SCRAM_ITERATIONS, _derived_salt(user), stored_key, server_key)


def _mock_verifier(user: str) -> pwauth.ScramVerifier:
    """What an unknown user's SCRAM exchange runs on: the shape of a real one, matching nothing."""
    return pwauth.ScramVerifier(pwauth.SCRAM_ITERATIONS, _derived_salt(user), secrets.token_bytes(32),
                                secrets.token_bytes(32))


def _scram_verifier(stored: str | None, user: str) -> pwauth.ScramVerifier | None:
    if stored is None:
        return None
    if pwauth.is_scram_verifier(stored):
        return pwauth.parse_scram_verifier(stored)
    if pwauth.is_md5_verifier(stored):
        return None  # an md5 hash cannot answer SCRAM: the login fails as a wrong password does
    return _plaintext_verifier(user, stored)


def _failed(user: str) -> AuthError:
    return AuthError(f'password authentication failed for user "{user}"')


async def authenticate(conn: Any, policy: AuthPolicy, user: str, role: dict | None, loopback: bool,
                       *, database: str = "", host: str = "", tls: bool = False) -> None:
    """Run the chosen authentication exchange; raises AuthError (or 28000 HbaRefused) on failure."""
    if not policy.configured:
        if not loopback:
            raise AuthError(f'no [auth] configured: connections from non-loopback hosts are refused '
                            f'(user "{user}")', sqlstate="28000")
        if role is None:
            raise unknown_role(user)
        return
    method = choose_method(policy, user=user, database=database, host=host, tls=tls)
    known = role is not None or user in policy.users
    if method == "trust":
        if not known:
            raise AuthError(f'role "{user}" does not exist', sqlstate="28000")
        return
    stored = stored_password(policy, role, user) if known else None
    if method == "md5" and stored is not None and pwauth.is_scram_verifier(stored):
        method = "scram-sha-256"  # as PostgreSQL does when the stored password is SCRAM
    if method == "scram-sha-256":
        verifier = _scram_verifier(stored, user)
        await _scram(conn, verifier if verifier is not None else _mock_verifier(user), user)
        if verifier is None:
            raise _failed(user)
        return
    if method == "md5":
        salt = secrets.token_bytes(4)
        conn.write(m.auth_md5(salt))
        await conn.flush()
        answer = await _password_message(conn)
        expected = pwauth.md5_challenge_response(stored, user, salt) if stored is not None else None
        if expected is None:
            expected = "md5" + secrets.token_hex(16)  # compared all the same: no shortcut for unknown users
            secrets.compare_digest(answer.encode("utf-8", "replace"), expected.encode())
            raise _failed(user)
        if not secrets.compare_digest(answer.encode("utf-8", "replace"), expected.encode()):
            raise _failed(user)
        return
    conn.write(m.auth_cleartext())
    await conn.flush()
    answer = await _password_message(conn)
    if stored is not None and pwauth.is_md5_verifier(stored):
        if not pwauth.check_password(stored, answer, user):
            raise _failed(user)
        return
    # one PBKDF2 whatever the role: known (SCRAM or plaintext stored) and unknown users cost the same
    verifier = _scram_verifier(stored, user) or _mock_verifier(user)
    stored_key, _ = pwauth.scram_keys(answer, verifier.salt, verifier.iterations)
    if not hmac.compare_digest(stored_key, verifier.stored_key) or stored is None:
        raise _failed(user)


async def _auth_message(conn: Any) -> tuple[bytes, bytes]:
    """A message of the login exchange, at most MAX_AUTH_MESSAGE bytes (08P01 beyond)."""
    return await m.read_message(conn.reader, max_length=MAX_AUTH_MESSAGE)


async def _password_message(conn: Any) -> str:
    kind, payload = await _auth_message(conn)
    if kind != b"p":
        raise m.ProtocolViolation(f"expected password response, got message type {kind!r}")
    r = m.PayloadReader(payload)
    return r.cstring()


async def _scram(conn: Any, verifier: pwauth.ScramVerifier, user: str) -> None:
    conn.write(m.auth_sasl(["SCRAM-SHA-256"]))
    await conn.flush()
    kind, payload = await _auth_message(conn)
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
    kind, payload = await _auth_message(conn)
    if kind != b"p":
        raise m.ProtocolViolation(f"expected SASL response, got message type {kind!r}")
    try:
        server_final = exchange.client_final(payload)
    except pwauth.AuthFailed as exc:
        raise AuthError(f'password authentication failed for user "{user}"') from exc
    conn.write(m.auth_sasl_final(server_final))
