"""Authentication hardening, attacked from outside: slow or endless logins, socket floods, oversized
messages before and after login, reserved superuser slots, TLS-only servers, per-user/address rules,
and probing which roles exist. A psycopg client keeps logging in and querying throughout."""

from __future__ import annotations

import asyncio
import base64
import shutil
import statistics
import struct
import subprocess
import time
from pathlib import Path

import asyncpg
import psycopg
import pytest

from helios_core.config import ConfigError, build_config
from helios_core.testing import start_server

USERS = {"helios": "adminpw", "alice": "alicepw"}


@pytest.fixture(scope="module")
def hardened(tmp_path_factory):
    """SCRAM auth, a 1 s authentication_timeout, 6 session slots (2 reserved) and room for 4 more logins."""
    server = start_server(tmp_path_factory.mktemp("auth-hardening"), {
        "auth": {"users": USERS},
        "protocols": {"postgres": {"authentication_timeout": "1s", "max_connections": 6,
                                   "superuser_reserved_connections": 2, "login_margin": 4}},
    }, only=["postgres"])
    try:
        _create_roles(server, "alice")
        yield server
    finally:
        server.stop()


def _create_roles(server, *names: str) -> None:
    with psycopg.connect(server.pg_dsn(password=USERS["helios"]), autocommit=True) as conn:
        for name in names:  # [auth.users] are login roles from the start; others are created here
            if conn.execute("select 1 from pg_roles where rolname = %s", [name]).fetchone() is None:
                conn.execute(f"create role {name} login")


def _dsn(server, user: str = "helios", password: str | None = None) -> str:
    return server.pg_dsn(user=user, password=password or USERS.get(user, "x")) + " connect_timeout=5"


def _login_error(server, user: str, password: str | None = None) -> tuple[str, str]:
    """(SQLSTATE, message) of a refused plain-TCP login, through asyncpg (psycopg drops the SQLSTATE)."""

    async def attempt() -> tuple[str, str]:
        try:
            conn = await asyncpg.connect(host=server.host, port=server.port("postgres"), user=user,
                                         password=password or USERS.get(user, "x"), database="helios", ssl=False)
        except asyncpg.PostgresError as exc:
            return exc.sqlstate, exc.as_dict()["message"]
        await conn.close()
        return "connected", ""

    return asyncio.run(attempt())


def _legit_query(server) -> None:
    with psycopg.connect(_dsn(server)) as conn:
        assert conn.execute("select 41 + 1").fetchone() == (42,)


def test_silent_socket_is_closed_after_authentication_timeout(hardened, raw_client) -> None:
    started = time.monotonic()
    silent = raw_client(hardened)
    stalled = raw_client(hardened)
    stalled.startup("helios")  # then never answers the SASL challenge
    assert stalled.read()[0] == b"R"
    assert silent.closed_by_server(within=4.0)
    assert stalled.closed_by_server(within=1.0)
    assert time.monotonic() - started < 4.0
    _legit_query(hardened)


def test_socket_flood_is_bounded_while_clients_log_in(hardened, raw_client, wire) -> None:
    with psycopg.connect(_dsn(hardened)) as established:
        before = wire.open_fds(hardened)
        flood = [raw_client(hardened) for _ in range(60)]  # each opens a socket and says nothing
        time.sleep(0.3)
        # max_connections (6) + login_margin (4) sockets at most: the rest were closed at once
        assert wire.open_fds(hardened) - before <= 10
        closed = sum(raw.closed_by_server(within=0.05) for raw in flood)
        assert closed >= 60 - 10
        for _ in range(3):  # logins go on: each new socket pushes out the oldest silent one
            _legit_query(hardened)
        assert established.execute("select 'still here'").fetchone() == ("still here",)


def test_oversized_startup_packet_is_refused(hardened, raw_client, wire) -> None:
    raw = raw_client(hardened)
    raw.send(struct.pack("!ii", 10_001, 196608) + b"user\0helios\0\0")
    err = wire.read_error(raw)
    assert err["C"] == "08P01" and "startup packet" in err["M"]
    assert raw.closed_by_server(within=2.0)


def test_oversized_password_message_is_refused_before_reading_it(hardened, raw_client, wire) -> None:
    rss = wire.rss_bytes(hardened)
    raw = raw_client(hardened)
    raw.startup("helios")
    assert raw.read()[0] == b"R"
    raw.send(b"p" + struct.pack("!i", 200_000_000))  # claims 200 MB; the server must not wait for it
    err = wire.read_error(raw)
    assert (err["S"], err["C"], err["M"]) == ("FATAL", "08P01", "invalid message length")
    assert raw.closed_by_server(within=2.0)
    assert wire.rss_bytes(hardened) - rss < 50 * 2**20
    _legit_query(hardened)


def test_message_over_one_gigabyte_after_login_is_08P01(hardened, raw_client, wire) -> None:
    raw = raw_client(hardened)
    _scram_login(raw, "helios", USERS["helios"])
    raw.send(b"Q" + struct.pack("!i", (1 << 30) + 5))
    err = wire.read_error(raw)
    assert (err["C"], err["M"]) == ("08P01", "invalid message length")
    assert raw.closed_by_server(within=2.0)
    # a small non-query message claiming megabytes is refused just the same
    raw = raw_client(hardened)
    _scram_login(raw, "helios", USERS["helios"])
    raw.send(b"S" + struct.pack("!i", 50_000_000))
    assert wire.read_error(raw)["C"] == "08P01"


def test_superuser_reserved_connections(hardened) -> None:
    ordinary = [psycopg.connect(_dsn(hardened, "alice")) for _ in range(4)]  # 6 slots - 2 reserved
    try:
        with pytest.raises(psycopg.OperationalError, match="reserved for non-replication superuser"):
            psycopg.connect(_dsn(hardened, "alice"))
        assert _login_error(hardened, "alice")[0] == "53300"
        supers = [psycopg.connect(_dsn(hardened)) for _ in range(2)]
        with pytest.raises(psycopg.OperationalError, match="too many clients"):
            psycopg.connect(_dsn(hardened))
        for conn in supers:
            conn.close()
    finally:
        for conn in ordinary:
            conn.close()
    time.sleep(0.2)
    _legit_query(hardened)


# --- no user enumeration ---------------------------------------------------------------------------------


def _scram_first(raw, user: str) -> tuple[list[str], dict[str, str]]:
    """Start-up and SCRAM client-first; returns (mechanisms offered, server-first attributes)."""
    raw.startup(user)
    kind, payload = raw.read()
    assert kind == b"R"
    (code,) = struct.unpack("!i", payload[:4])
    assert code == 10, f"expected AuthenticationSASL, got {code}"
    mechanisms = [m.decode() for m in payload[4:].split(b"\0") if m]
    client_first = b"n,,n=,r=clientnonce0123456789"
    raw.message(b"p", b"SCRAM-SHA-256\0" + struct.pack("!i", len(client_first)) + client_first)
    kind, payload = raw.read()
    assert kind == b"R" and struct.unpack("!i", payload[:4])[0] == 11
    attrs = dict(part.split("=", 1) for part in payload[4:].decode().split(","))
    return mechanisms, attrs


def _scram_final_wrong(raw, attrs: dict[str, str]) -> dict[str, str]:
    channel = base64.b64encode(b"n,,").decode()
    proof = base64.b64encode(bytes(32)).decode()
    raw.message(b"p", f"c={channel},r={attrs['r']},p={proof}".encode())
    while True:
        kind, payload = raw.read()
        if kind == b"E":
            return {p[:1].decode(): p[1:].decode() for p in payload.split(b"\0") if p}


def _scram_login(raw, user: str, password: str) -> None:
    import hashlib
    import hmac

    _, attrs = _scram_first(raw, user)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    bare = f"c={base64.b64encode(b'n,,').decode()},r={attrs['r']}"
    server_first = ",".join(f"{k}={v}" for k, v in attrs.items())
    auth_message = f"n=,r=clientnonce0123456789,{server_first},{bare}".encode()
    signature = hmac.new(stored_key, auth_message, hashlib.sha256).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature, strict=True))
    raw.message(b"p", f"{bare},p={base64.b64encode(proof).decode()}".encode())
    kinds = [k for k, _ in raw.read_until(b"Z")]
    assert b"E" not in kinds


def test_unknown_user_gets_the_same_challenge_and_failure_as_a_wrong_password(hardened, raw_client) -> None:
    seen = {}
    for user in ("helios", "mallory", "helios", "mallory"):
        raw = raw_client(hardened)
        mechanisms, attrs = _scram_first(raw, user)
        err = _scram_final_wrong(raw, attrs)
        shape = (mechanisms, sorted(attrs), attrs["i"], len(base64.b64decode(attrs["s"])), err["S"], err["C"],
                 err["M"].replace(user, "USER"))
        seen.setdefault(user, []).append((shape, attrs["s"]))
    assert seen["helios"][0][0] == seen["mallory"][0][0]
    assert seen["mallory"][0][0][-1] == 'password authentication failed for user "USER"'
    # a salt that changed between attempts would tell an invented user from a real one
    assert seen["helios"][0][1] == seen["helios"][1][1]
    assert seen["mallory"][0][1] == seen["mallory"][1][1]


def test_unknown_user_is_not_told_apart_by_timing(hardened, raw_client) -> None:
    def attempt(user: str) -> float:
        raw = raw_client(hardened)
        started = time.perf_counter()
        _, attrs = _scram_first(raw, user)
        _scram_final_wrong(raw, attrs)
        took = time.perf_counter() - started
        raw.close()
        return took

    known, unknown = [], []
    for _ in range(20):
        known.append(attempt("alice"))
        unknown.append(attempt("nobody_here"))
    # the fastest attempts carry the least scheduling noise: equal work shows as equal minimums,
    # where extra work on one side only (a lookup, a key derivation) would stand out
    k, u = min(known), min(unknown)
    assert abs(k - u) < max(0.002, 0.2 * max(k, u)), (k, u, statistics.median(known), statistics.median(unknown))


@pytest.mark.parametrize("method", ["md5", "password"])
def test_other_methods_challenge_unknown_users_alike(tmp_path_factory, raw_client, wire, method) -> None:
    server = start_server(tmp_path_factory.mktemp(f"auth-{method}"), {"auth": {"users": USERS, "method": method}},
                          only=["postgres"])
    try:
        answers = []
        for user in ("alice", "nobody_here"):
            raw = raw_client(server)
            raw.startup(user)
            kind, payload = raw.read()
            code = struct.unpack("!i", payload[:4])[0]
            raw.message(b"p", b"md5" + b"0" * 32 + b"\0" if method == "md5" else b"guess\0")
            err = wire.read_error(raw)
            answers.append((kind, code, err["C"], err["M"].replace(user, "USER")))
        assert answers[0] == answers[1]
        assert answers[0][1] == (5 if method == "md5" else 3)
    finally:
        server.stop()


# --- TLS only and per-user/address rules ------------------------------------------------------------------


@pytest.fixture(scope="module")
def cert(tmp_path_factory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    d = tmp_path_factory.mktemp("cert")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "1", "-subj", "/CN=localhost"], check=True, capture_output=True)
    return cert, key


def test_require_tls_refuses_plain_logins(tmp_path_factory, cert) -> None:
    server = start_server(tmp_path_factory.mktemp("tls-only"), {
        "auth": {"users": USERS, "require_tls": True},
        "protocols": {"postgres": {"tls_cert": str(cert[0]), "tls_key": str(cert[1])}}}, only=["postgres"])
    try:
        with pytest.raises(psycopg.OperationalError, match="no pg_hba.conf entry"):
            psycopg.connect(_dsn(server) + " sslmode=disable")
        assert _login_error(server, "helios") == (
            "28000", 'no pg_hba.conf entry for host "127.0.0.1", user "helios", database "helios", no encryption')
        with psycopg.connect(_dsn(server) + " sslmode=require") as conn:
            assert conn.pgconn.ssl_in_use
            assert conn.execute("select 1").fetchone() == (1,)
    finally:
        server.stop()


def test_rules_choose_method_per_user_database_and_address(tmp_path_factory) -> None:
    rules = [
        {"user": "alice", "database": "helios", "method": "reject"},
        {"user": "helios", "address": "127.0.0.0/8", "method": "trust"},
        {"user": ["alice", "bob"], "address": "10.0.0.0/8", "method": "scram-sha-256"},
        {"type": "hostssl", "user": "all", "method": "scram-sha-256"},
    ]
    server = start_server(tmp_path_factory.mktemp("rules"), {"auth": {"users": {**USERS, "bob": "bobpw"},
                                                                      "rules": rules}}, only=["postgres"])
    try:
        _create_roles(server, "alice", "bob")
        with psycopg.connect(server.pg_dsn(user="helios")) as conn:  # trust from loopback: no password
            assert conn.execute("select current_user").fetchone() == ("helios",)
        with pytest.raises(psycopg.OperationalError, match="pg_hba.conf rejects connection"):
            psycopg.connect(_dsn(server, "alice"))
        assert _login_error(server, "alice") == (
            "28000", ('pg_hba.conf rejects connection for host "127.0.0.1", user "alice", database "helios", '
            "no encryption"))
        state, message = _login_error(server, "bob", "bobpw")  # only from 10/8 or over TLS
        assert state == "28000" and "no pg_hba.conf entry" in message
    finally:
        server.stop()


@pytest.mark.parametrize(("auth", "path"), [
    ({"rules": [{"user": "a", "method": "md6"}]}, "auth.rules[0].method"),
    ({"rules": [{"user": "a", "method": "trust"}, {"address": "10.0.0.300/8", "method": "md5"}]},
     "auth.rules[1].address"),
    ({"rules": [{"user": "a"}]}, "auth.rules[0].method"),
    ({"rules": [{"user": "+admins", "method": "md5"}]}, "auth.rules[0].user"),
    ({"rules": [{"method": "md5", "hosts": "x"}]}, "auth.rules[0].hosts"),
    ({"require_tls": "yes"}, "auth.require_tls"),
])
def test_auth_config_errors_name_the_key(auth, path) -> None:
    with pytest.raises(ConfigError) as e:
        build_config({"auth": auth}, {})
    assert str(e.value).startswith(path + ":"), str(e.value)


def test_server_refuses_to_start_on_a_bad_rule(tmp_path_factory) -> None:
    from helios_core.testing import ServerStartError

    with pytest.raises(ServerStartError) as e:
        start_server(tmp_path_factory.mktemp("bad-rule"), {"auth": {"rules": [{"method": "maybe"}]}},
                     only=["postgres"])
    assert "auth.rules[0].method" in e.value.output
    with pytest.raises(ServerStartError) as e:
        start_server(tmp_path_factory.mktemp("bad-timeout"),
                     {"protocols": {"postgres": {"authentication_timeout": "forever"}}}, only=["postgres"])
    assert "protocols.postgres.authentication_timeout" in e.value.output


def test_require_tls_without_a_certificate_is_a_config_error(tmp_path_factory) -> None:
    from helios_core.testing import ServerStartError

    with pytest.raises(ServerStartError) as e:
        start_server(tmp_path_factory.mktemp("tls-no-cert"), {"auth": {"users": USERS, "require_tls": True}},
                     only=["postgres"])
    assert e.value.returncode == 2
    assert "protocols.postgres.tls_cert" in e.value.output and "require_tls" in e.value.output
