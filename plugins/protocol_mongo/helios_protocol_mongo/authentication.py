"""SCRAM-SHA-256 and SCRAM-SHA-1 logins (saslStart/saslContinue) against HeliosDB roles and ``[auth.users]``.

A MongoDB user is a HeliosDB role: the password a role was given with ``CREATE ROLE ...
PASSWORD`` (stored as a SCRAM-SHA-256 verifier, which MongoDB's SCRAM-SHA-256 uses as is)
or in ``[auth.users]`` logs in through both protocols. With an ``[auth]`` section, commands
other than the handshake and the login are refused (13 Unauthorized) until a login
succeeded; without one, as mongod without ``--auth``, clients may skip the login, but the
credentials a client does send are checked (a wrong password is 18). SCRAM-SHA-1 needs keys
made from the password itself (``scram_sha1``): users of ``[auth.users]`` and users whose
password createUser/updateUser set have them; a role whose password was set over SQL does
not (error 334, as mongod answers for a user without SCRAM-SHA-1 credentials).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from typing import Any

import attrs
from bson import Binary

from helios_core import auth as pwauth
from helios_protocol_mongo import scram_sha1
from helios_protocol_mongo.errors import MongoError

MECHANISMS = ["SCRAM-SHA-256", scram_sha1.MECHANISM]
# what an unauthenticated client may run when [auth] is configured (MongoDB's own list, roughly)
OPEN_COMMANDS = {"hello", "ismaster", "ping", "buildinfo", "saslstart", "saslcontinue", "endsessions",
                 "getnonce", "logout", "connectionstatus", "whatsmyuri", "getlog"}
_SECRET = secrets.token_bytes(32)


@attrs.define(kw_only=True)
class AuthSettings:
    configured: bool = False
    users: dict[str, str] = attrs.Factory(dict)


def settings_from_kernel(kernel: Any) -> AuthSettings:
    """The [auth] section as the PostgreSQL protocol reads it: configured when it names users or rules."""
    section = getattr(getattr(kernel, "config", None), "auth", None)
    if section is None:
        return AuthSettings()
    users = {str(k): str(v) for k, v in (getattr(section, "users", None) or {}).items()}
    configured = bool(users or getattr(section, "method", None) or getattr(section, "rules", None)
                      or getattr(section, "require_tls", False))
    if getattr(section, "method", None) == "trust" and not users:
        configured = False
    return AuthSettings(configured=configured, users=users)


def role_of(kernel: Any, name: str) -> dict | None:
    for target in (kernel, getattr(kernel, "engine", None)):
        lookup = getattr(target, "get_role", None)
        if lookup is not None:
            return lookup(name)
    return None


@functools.lru_cache(maxsize=1024)
def _plaintext_verifier(user: str, password: str) -> pwauth.ScramVerifier:
    salt = hmac.new(_SECRET, b"salt:" + user.encode(), hashlib.sha256).digest()[:16]
    stored_key, server_key = pwauth.scram_keys(password, salt, pwauth.SCRAM_ITERATIONS)
    return pwauth.ScramVerifier(pwauth.SCRAM_ITERATIONS, salt, stored_key, server_key)


def verifier_for(kernel: Any, settings: AuthSettings, user: str) -> pwauth.ScramVerifier | None:
    """The user's SCRAM-SHA-256 verifier, or None (unknown user, no password, expired, md5)."""
    stored = settings.users.get(user)
    if stored is None:
        role = role_of(kernel, user)
        if not role or not role.get("password") or pwauth.password_expired(role) or role.get("login") is False:
            return None
        stored = str(role["password"])
    if pwauth.is_scram_verifier(stored):
        return pwauth.parse_scram_verifier(stored)
    if pwauth.is_md5_verifier(stored):
        return None
    return _plaintext_verifier(user, stored)


def user_known(kernel: Any, settings: AuthSettings, user: str) -> bool:
    return user in settings.users or role_of(kernel, user) is not None


def _sha1_verifier(kernel: Any, settings: AuthSettings, user: str,
                   lookup: scram_sha1.Lookup) -> pwauth.ScramVerifier | None:
    """The user's SCRAM-SHA-1 keys; None for an unknown user; 334 for a user without them."""
    stored = settings.users.get(user)
    if stored is not None:
        if pwauth.is_scram_verifier(stored) or pwauth.is_md5_verifier(stored):
            raise _no_sha1()
        return scram_sha1.plaintext_verifier(user, stored)
    role = role_of(kernel, user)
    if not role or not role.get("password") or pwauth.password_expired(role) or role.get("login") is False:
        return None
    found = scram_sha1.verifier(lookup, user, str(role["password"]))
    if found is None:
        raise _no_sha1()
    return found


def _no_sha1() -> MongoError:
    return MongoError(334, "Unable to use SCRAM-SHA-1 based authentication for user without any SCRAM-SHA-1 "
                           "credentials registered (its password was not set through createUser or updateUser)")


def mechanisms_for(kernel: Any, settings: AuthSettings, user: str, lookup: scram_sha1.Lookup) -> list[str]:
    """hello's saslSupportedMechs for a user: SCRAM-SHA-1 only when it has keys for it."""
    try:
        has_sha1 = _sha1_verifier(kernel, settings, user, lookup) is not None
    except MongoError:
        has_sha1 = False
    return [scram_sha1.MECHANISM, "SCRAM-SHA-256"] if has_sha1 else ["SCRAM-SHA-256"]


@attrs.define
class Conversation:
    user: str
    exchange: pwauth.ScramExchange
    known: bool
    skip_empty_exchange: bool = False
    finished: bool = False


def _failed() -> MongoError:
    return MongoError(18, "Authentication failed.")


def _payload(command: dict[str, Any]) -> bytes:
    payload = command.get("payload", b"")
    if isinstance(payload, str):
        return payload.encode()
    return bytes(payload)


def sasl_start(kernel: Any, settings: AuthSettings, command: dict[str, Any],
               sha1_lookup: scram_sha1.Lookup) -> tuple[Conversation, dict[str, Any]]:
    mechanism = command.get("mechanism")
    if mechanism not in MECHANISMS:
        raise MongoError(2, f"Received authentication for mechanism {mechanism} which is not enabled; HeliosDB "
                            "offers SCRAM-SHA-256 and SCRAM-SHA-1")
    data = _payload(command)
    bare = data.decode("utf-8", "replace").split(",", 2)[-1]
    user = next((p[2:] for p in bare.split(",") if p.startswith("n=")), "")
    user = user.replace("=2C", ",").replace("=3D", "=")
    if mechanism == scram_sha1.MECHANISM:
        verifier = _sha1_verifier(kernel, settings, user, sha1_lookup)
        exchange = pwauth.ScramExchange(verifier, hash_name="sha1")
    else:
        verifier = verifier_for(kernel, settings, user)
        exchange = pwauth.ScramExchange(verifier)
    try:
        server_first = exchange.client_first(data)
    except pwauth.AuthFailed:
        raise _failed() from None
    skip = bool((command.get("options") or {}).get("skipEmptyExchange"))
    conversation = Conversation(user, exchange, verifier is not None, skip_empty_exchange=skip)
    return conversation, {"conversationId": 1, "done": False, "payload": Binary(server_first), "ok": 1.0}


def sasl_continue(conversation: Conversation, command: dict[str, Any]) -> tuple[bool, dict[str, Any]]:
    """(logged in, reply): the proof checked out; done once the client needs no further round."""
    if conversation.finished:  # the empty last round of a client that did not ask to skip it
        return True, {"conversationId": 1, "done": True, "payload": Binary(b""), "ok": 1.0}
    try:
        server_final = conversation.exchange.client_final(_payload(command))
    except pwauth.AuthFailed:
        raise _failed() from None
    conversation.finished = True
    return conversation.skip_empty_exchange, {"conversationId": 1, "done": conversation.skip_empty_exchange,
                                              "payload": Binary(server_final), "ok": 1.0}
