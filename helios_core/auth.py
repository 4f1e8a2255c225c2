"""Password verifiers and the server side of SCRAM-SHA-256 (RFC 5802 / RFC 7677).

Stored forms are PostgreSQL's, so a role dump reads the same:

* SCRAM: ``SCRAM-SHA-256$<iterations>:<salt b64>$<StoredKey b64>:<ServerKey b64>``
* MD5:   ``md5`` + hex(md5(password + username))
* anything else is taken as a plaintext password (e.g. from ``[auth]`` users in the TOML).

``make_password_verifier`` is what ``CREATE ROLE ... PASSWORD`` stores (SCRAM by
default); ``check_password`` checks a cleartext password against any stored form;
``ScramExchange`` runs the two-round SASL exchange of a connection.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import attrs

__all__ = [
    "SCRAM_ITERATIONS",
    "SCRAM_PREFIX",
    "AuthFailed",
    "ScramExchange",
    "ScramVerifier",
    "check_password",
    "is_md5_verifier",
    "is_scram_verifier",
    "make_md5_verifier",
    "make_password_verifier",
    "make_scram_verifier",
    "md5_challenge_response",
    "parse_scram_verifier",
    "password_expired",
    "scram_keys",
    "scram_verifier",
    "scram_verifier_for",
]


SCRAM_ITERATIONS = 4096
SCRAM_PREFIX = "SCRAM-SHA-256$"


class AuthFailed(Exception):
    """The client's proof or message did not check out (the connection gets 28P01)."""


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def _unb64(s: str) -> bytes:
    try:
        return base64.b64decode(s.encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError) as exc:
        raise AuthFailed("malformed base64 in SCRAM message") from exc


def _hmac(key: bytes, data: bytes, hash_name: str = "sha256") -> bytes:
    return hmac.new(key, data, hash_name).digest()


def scram_keys(password: str, salt: bytes, iterations: int, hash_name: str = "sha256") -> tuple[bytes, bytes]:
    """(StoredKey, ServerKey) for a password; SASLprep is skipped (PG also falls back to raw bytes).
    ``hash_name`` "sha1" gives SCRAM-SHA-1's (RFC 5802), which MongoDB's drivers still offer."""
    salted = hashlib.pbkdf2_hmac(hash_name, password.encode("utf-8"), salt, iterations)
    client_key = _hmac(salted, b"Client Key", hash_name)
    return hashlib.new(hash_name, client_key).digest(), _hmac(salted, b"Server Key", hash_name)


def make_scram_verifier(password: str, *, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    stored, server = scram_keys(password, salt, iterations)
    return f"{SCRAM_PREFIX}{iterations}:{_b64(salt)}${_b64(stored)}:{_b64(server)}"


def scram_verifier(password: str) -> str:
    """The SCRAM-SHA-256 verifier stored for ``CREATE ROLE ... PASSWORD`` (name used by the SQL layer)."""
    return make_scram_verifier(password)


def make_md5_verifier(password: str, user: str) -> str:
    return "md5" + hashlib.md5((password + user).encode("utf-8")).hexdigest()


def make_password_verifier(password: str, user: str, method: str = "scram-sha-256") -> str:
    """What to store for ``CREATE ROLE user PASSWORD 'password'``.

    A value that already looks like a verifier (md5... / SCRAM-SHA-256$...) is kept as is,
    as PostgreSQL does for pre-hashed passwords.
    """
    if is_scram_verifier(password) or is_md5_verifier(password):
        return password
    if method == "md5":
        return make_md5_verifier(password, user)
    return make_scram_verifier(password)


def is_scram_verifier(stored: str) -> bool:
    return stored.startswith(SCRAM_PREFIX) and parse_scram_verifier(stored) is not None


def is_md5_verifier(stored: str) -> bool:
    return len(stored) == 35 and stored.startswith("md5") and all(c in "0123456789abcdef" for c in stored[3:])


@attrs.frozen
class ScramVerifier:
    iterations: int
    salt: bytes
    stored_key: bytes
    server_key: bytes


def parse_scram_verifier(stored: str) -> ScramVerifier | None:
    try:
        head, keys = stored[len(SCRAM_PREFIX):].split("$", 1)
        iters, salt = head.split(":", 1)
        stored_key, server_key = keys.split(":", 1)
        return ScramVerifier(int(iters), _unb64(salt), _unb64(stored_key), _unb64(server_key))
    except (ValueError, AuthFailed):
        return None


def check_password(stored: str, password: str, user: str) -> bool:
    """Check a cleartext password against a stored verifier or plaintext."""
    if is_scram_verifier(stored):
        v = parse_scram_verifier(stored)
        assert v is not None
        stored_key, server_key = scram_keys(password, v.salt, v.iterations)
        return hmac.compare_digest(stored_key, v.stored_key) and hmac.compare_digest(server_key, v.server_key)
    if is_md5_verifier(stored):
        return hmac.compare_digest(stored, make_md5_verifier(password, user))
    return hmac.compare_digest(stored.encode("utf-8"), password.encode("utf-8"))


def md5_challenge_response(stored: str, user: str, salt: bytes) -> str | None:
    """The response a client must send to an md5 challenge, or None when the stored form can't tell."""
    if is_scram_verifier(stored):
        return None
    inner = stored[3:] if is_md5_verifier(stored) else make_md5_verifier(stored, user)[3:]
    return "md5" + hashlib.md5(inner.encode("ascii") + salt).hexdigest()


def scram_verifier_for(stored: str) -> ScramVerifier:
    """A SCRAM verifier for a stored password; plaintext is salted on the fly, md5 cannot be used."""
    if is_scram_verifier(stored):
        v = parse_scram_verifier(stored)
        assert v is not None
        return v
    if is_md5_verifier(stored):
        raise AuthFailed("role has an md5 password; SCRAM authentication is impossible")
    salt = secrets.token_bytes(16)
    stored_key, server_key = scram_keys(stored, salt, SCRAM_ITERATIONS)
    return ScramVerifier(SCRAM_ITERATIONS, salt, stored_key, server_key)


def _attrs_of(message: str) -> list[tuple[str, str]]:
    out = []
    for part in message.split(","):
        if len(part) < 2 or part[1] != "=":
            raise AuthFailed(f"malformed SCRAM attribute: {part!r}")
        out.append((part[0], part[2:]))
    return out


@attrs.define
class ScramExchange:
    """One SCRAM-SHA-256 exchange (server side); ``hash_name`` "sha1" makes it SCRAM-SHA-1.

    ``verifier`` None means "unknown user": the exchange runs on a fake verifier and
    fails at the end, so a client can't probe which roles exist.
    """

    verifier: ScramVerifier | None
    hash_name: str = attrs.field(default="sha256", kw_only=True)
    server_nonce: str = attrs.field(factory=lambda: _b64(secrets.token_bytes(18)))
    _client_first_bare: str = ""
    _server_first: str = ""
    _gs2_header: str = ""
    _nonce: str = ""

    def client_first(self, data: bytes) -> bytes:
        """Take client-first-message, return server-first-message."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise AuthFailed("SCRAM message is not valid UTF-8") from exc
        parts = text.split(",", 2)
        if len(parts) != 3:
            raise AuthFailed("malformed SCRAM client-first-message")
        cb, authzid, bare = parts
        if cb not in ("n", "y"):
            raise AuthFailed("channel binding is not supported by this server")
        if authzid:
            raise AuthFailed("SCRAM authorization identity is not supported")
        self._gs2_header = f"{cb},{authzid},"
        attrs_ = dict(_attrs_of(bare))
        if "m" in attrs_:
            raise AuthFailed("SCRAM extensions are not supported")
        cnonce = attrs_.get("r")
        if not cnonce:
            raise AuthFailed("SCRAM client nonce missing")
        self._client_first_bare = bare
        self._nonce = cnonce + self.server_nonce
        v = self.verifier or ScramVerifier(SCRAM_ITERATIONS, secrets.token_bytes(16), b"", b"")
        self._server_first = f"r={self._nonce},s={_b64(v.salt)},i={v.iterations}"
        return self._server_first.encode("ascii")

    def client_final(self, data: bytes) -> bytes:
        """Take client-final-message, verify the proof, return server-final-message."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise AuthFailed("SCRAM message is not valid UTF-8") from exc
        idx = text.rfind(",p=")
        if idx < 0:
            raise AuthFailed("SCRAM client proof missing")
        without_proof = text[:idx]
        proof = _unb64(text[idx + 3:])
        attrs_ = dict(_attrs_of(without_proof))
        if _unb64(attrs_.get("c", "")) != self._gs2_header.encode("utf-8"):
            raise AuthFailed("SCRAM channel binding does not match")
        if attrs_.get("r") != self._nonce:
            raise AuthFailed("SCRAM nonce does not match")
        if self.verifier is None:
            raise AuthFailed("password authentication failed")
        auth_message = f"{self._client_first_bare},{self._server_first},{without_proof}".encode()
        client_sig = _hmac(self.verifier.stored_key, auth_message, self.hash_name)
        if len(proof) != len(client_sig):
            raise AuthFailed("password authentication failed")
        client_key = bytes(a ^ b for a, b in zip(proof, client_sig, strict=True))
        if not hmac.compare_digest(hashlib.new(self.hash_name, client_key).digest(), self.verifier.stored_key):
            raise AuthFailed("password authentication failed")
        server_sig = _hmac(self.verifier.server_key, auth_message, self.hash_name)
        return f"v={_b64(server_sig)}".encode("ascii")


def password_expired(role: dict) -> bool:
    """A role's VALID UNTIL is past: its password no longer logs in (``valid_until`` is ISO text)."""
    import datetime as dt

    value = role.get("valid_until")
    if not value or value == "infinity":
        return False
    try:
        until = dt.datetime.fromisoformat(value)
    except ValueError:
        return False
    if until.tzinfo is None:
        until = until.replace(tzinfo=dt.UTC)
    return until < dt.datetime.now(dt.UTC)
