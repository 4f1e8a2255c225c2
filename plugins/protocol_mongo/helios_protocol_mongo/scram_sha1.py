"""SCRAM-SHA-1 credentials, which a role's SCRAM-SHA-256 verifier cannot give.

MongoDB's SCRAM-SHA-1 runs SCRAM over ``hex(md5("user:mongo:password"))``, so the server needs
keys derived from the password itself, while a role keeps only its SCRAM-SHA-256 verifier
(``CREATE ROLE ... PASSWORD``). createUser and updateUser see the password: they also keep
SCRAM-SHA-1 keys in ``heliosdb_mongo.scram_sha1_credentials`` (written by the bootstrap
superuser, so other roles cannot read it), beside the role's verifier of that moment. Once the
password changes another way (``ALTER ROLE ... PASSWORD`` over SQL, the role dropped and made
again), the keys no longer count. Users of ``[auth.users]`` have their password in the
configuration: their keys are derived when they log in.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any

from helios_core import auth as pwauth
from helios_core.errors import HeliosError
from helios_protocol_mongo.store import CollectionStore

MECHANISM = "SCRAM-SHA-1"
ITERATIONS = 10_000  # mongod's default scramIterationCount
TABLE = "heliosdb_mongo.scram_sha1_credentials"
_SECRET = secrets.token_bytes(32)
# user -> (SCRAM-SHA-1 verifier text, the role's password verifier it was made beside), or None
Lookup = Callable[[str], "tuple[str, str] | None"]


def mongo_password(user: str, password: str) -> str:
    """What a MongoDB driver feeds SCRAM-SHA-1 as the password."""
    return hashlib.md5(f"{user}:mongo:{password}".encode()).hexdigest()  # MongoDB's definition


def make_verifier(user: str, password: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    stored, server = pwauth.scram_keys(mongo_password(user, password), salt, ITERATIONS, "sha1")
    return ":".join([str(ITERATIONS)] + [base64.b64encode(b).decode() for b in (salt, stored, server)])


def parse_verifier(text: str) -> pwauth.ScramVerifier:
    iterations, salt, stored, server = text.split(":")
    return pwauth.ScramVerifier(int(iterations), *(base64.b64decode(p) for p in (salt, stored, server)))


@functools.lru_cache(maxsize=1024)
def plaintext_verifier(user: str, password: str) -> pwauth.ScramVerifier:
    """For a user of [auth.users]: the same salt for the same user while the server runs."""
    salt = hmac.new(_SECRET, b"sha1-salt:" + user.encode(), hashlib.sha256).digest()[:16]
    return parse_verifier(make_verifier(user, password, salt))


def verifier(lookup: Lookup, user: str, role_password: str) -> pwauth.ScramVerifier | None:
    """The role's SCRAM-SHA-1 keys if they were made with its present password."""
    found = lookup(user)
    if found is None or not hmac.compare_digest(found[1], role_password):
        return None
    return parse_verifier(found[0])


def save(session: Any, user: str, password: str, role_password: str) -> None:
    store = CollectionStore(session)
    store.execute(f"create schema if not exists heliosdb_mongo; create table if not exists {TABLE} "
                  "(role text primary key, verifier text not null, role_password text not null)")
    store.run(f"insert into {TABLE} values ($1, $2, $3) on conflict (role) do update set verifier = excluded.verifier, "
              "role_password = excluded.role_password", [user, make_verifier(user, password), role_password],
              ["text", "text", "text"])


def forget(session: Any, user: str) -> None:
    try:
        CollectionStore(session).run(f"delete from {TABLE} where role = $1", [user], ["text"])
    except HeliosError as exc:
        if exc.sqlstate not in ("42P01", "3F000"):
            raise


def load(session: Any, user: str) -> tuple[str, str] | None:
    try:
        rows = CollectionStore(session).rows(f"select verifier, role_password from {TABLE} where role = $1",
                                             [user], ["text"])
    except HeliosError as exc:
        if exc.sqlstate in ("42P01", "3F000"):
            return None
        raise
    return (rows[0][0], rows[0][1]) if rows else None
