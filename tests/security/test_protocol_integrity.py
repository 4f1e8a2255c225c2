"""Protocol integrity, attacked byte by byte: NUL inside text, values that try to spill into other
message fields, messages out of place during COPY, garbage binary COPY data, and a shutdown on a
full disk. Every refusal carries PostgreSQL's SQLSTATE (never XX000) and the server goes on."""

from __future__ import annotations

import os
import random
import signal
import struct
import subprocess
import time
from pathlib import Path

import psycopg
import pytest

from helios_core.testing import start_server

SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
HEADER = SIGNATURE + struct.pack("!ii", 0, 0)
KNOWN_ERROR_FIELDS = set("SVCMDHPpqWstcdnFLR")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = start_server(tmp_path_factory.mktemp("integrity"), {}, only=["postgres"])
    try:
        with psycopg.connect(srv.pg_dsn(), autocommit=True) as conn:
            conn.execute("create table target (a int, b text)")
        yield srv
    finally:
        srv.stop()


def _still_serving(server) -> None:
    with psycopg.connect(server.pg_dsn()) as conn:
        assert conn.execute("select count(*) from target").fetchone()[0] >= 0


def _session(raw_client, server):
    raw = raw_client(server)
    raw.login_trust()
    return raw


def _bind_execute(raw, params: list[tuple[int, bytes]], sql: bytes = b"select $1::text") -> list:
    """Parse/Bind/Execute/Sync with (format, bytes) parameters; the messages up to ReadyForQuery."""
    raw.message(b"P", b"\0" + sql + b"\0" + struct.pack("!h", 0))
    formats = b"".join(struct.pack("!h", f) for f, _ in params)
    values = b"".join(struct.pack("!i", len(v)) + v for _, v in params)
    raw.message(b"B", b"\0\0" + struct.pack("!h", len(params)) + formats + struct.pack("!h", len(params))
                + values + struct.pack("!h", 0))
    raw.message(b"E", b"\0" + struct.pack("!i", 0))
    raw.message(b"S")
    return raw.read_until(b"Z")


# --- NUL in text ------------------------------------------------------------------------------------------


def test_nul_in_a_text_parameter_is_22021_in_text_and_binary_format(server, raw_client, wire) -> None:
    raw = _session(raw_client, server)
    for fmt in (0, 1):
        err = wire.first_error(_bind_execute(raw, [(fmt, b"a\0b")]))
        assert (err["S"], err["C"], err["M"]) == ("ERROR", "22021", 'invalid byte sequence for encoding "UTF8": 0x00')
    ok = _bind_execute(raw, [(0, b"fine")])
    assert [k for k, _ in ok][-3:] == [b"D", b"C", b"Z"]


def test_nul_inside_a_query_message_is_08P01_and_the_session_goes_on(server, raw_client, wire) -> None:
    raw = _session(raw_client, server)
    raw.message(b"Q", b"select 'a\0' || 'b'\0")  # the string ends at the NUL: the rest is not a query
    msgs = raw.read_until(b"Z")
    assert wire.first_error(msgs)["C"] == "08P01"
    raw.query("select 'after'")
    assert [k for k, _ in raw.read_until(b"Z")] == [b"T", b"D", b"C", b"Z"]


@pytest.mark.parametrize(("sql", "sqlstate"), [
    (r"select E'a\000b'", "22021"),
    (r"select E'\x00'", "22021"),
    ("select convert_from('\\x610062'::bytea, 'UTF8')", "22021"),
    (r"""select '["a\u0000b"]'::jsonb""", "22P05"),
    (r"""select '["a\u0000b"]'::json ->> 0""", "22P05"),
    ("select chr(0)", "54000"),
])
def test_sql_cannot_make_text_with_nul(server, sql, sqlstate) -> None:
    with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as e:
            conn.execute(sql)
        assert e.value.sqlstate == sqlstate
        # escapes that are not NUL keep working, resolved once (E'\\n' is a backslash and an n)
        assert conn.execute(r"select E'a\\nb', E'\x41\101\u0041', length(E'\\\\')").fetchone() == (
            "a\\nb", "AAA", 2)


@pytest.mark.parametrize("fmt", ["text", "csv"])
def test_nul_in_copy_text_data_is_22021(server, fmt) -> None:
    with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
        with pytest.raises(psycopg.Error) as e, conn.cursor().copy(f"copy target from stdin (format {fmt})") as cp:
            cp.write("1\ta\0b\n" if fmt == "text" else "1,a\0b\n")
        assert e.value.sqlstate == "22021"
    _still_serving(server)


def test_no_value_reaches_another_messages_fields(server, raw_client, wire) -> None:
    """Fuzz values made of field codes, terminators and control bytes through error messages, settings
    and column names: every ErrorResponse still parses into known fields with the expected SQLSTATE."""
    rng = random.Random(20261202)
    alphabet = [b"C", b"M", b"S", b"E", b"Z", b"\x01", b"\n", b"\xff", b"'", b'"', b"\\", b"x", b"\xc3\xa9", b"\0"]
    raw = _session(raw_client, server)
    for _ in range(60):
        value = b"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        for fmt in (0, 1):
            msgs = _bind_execute(raw, [(fmt, value)], sql=b"select $1::text::int")
            assert msgs[-1][0] == b"Z" and len(msgs[-1][1]) == 1
            errors = [wire.error_fields(p) for k, p in msgs if k == b"E"]
            assert len(errors) == 1
            fields = errors[0]
            assert set(fields) <= KNOWN_ERROR_FIELDS
            assert fields["S"] == "ERROR" and fields["C"] in ("22021", "22P02", "22P03", "08P01"), fields
    # a column alias and a setting made of the same characters come back whole, in their own message
    raw.query("select 1 as \"C1\x01M\"; set application_name = 'SFATAL\x01C08P01'")
    msgs = raw.read_until(b"Z")
    desc = next(p for k, p in msgs if k == b"T")
    assert desc[2:].split(b"\0")[0] == b"C1\x01M"
    status = [p for k, p in msgs if k == b"S" and p.startswith(b"application_name\0")]
    assert status == [b"application_name\0SFATAL\x01C08P01\0"]


# --- COPY -------------------------------------------------------------------------------------------------


def test_query_message_during_copy_in_is_08P01_then_the_connection_ends(server, raw_client, wire) -> None:
    raw = _session(raw_client, server)
    raw.query("copy target from stdin")
    assert raw.read()[0] == b"G"
    raw.message(b"d", b"1\tx\n")
    raw.query("select 1")
    err = wire.read_error(raw)
    assert (err["S"], err["C"], err["M"]) == ("ERROR", "08P01", "unexpected message type 0x51 during COPY from stdin")
    err = wire.read_error(raw)
    assert (err["S"], err["C"]) == ("FATAL", "08P01")
    assert raw.closed_by_server(within=2.0)
    with psycopg.connect(server.pg_dsn()) as conn:  # nothing of the aborted COPY was kept
        assert conn.execute("select count(*) from target where b = 'x'").fetchone() == (0,)


GARBAGE = {
    "signature": (b"NOTPGCOPY" * 3, "22P04"),
    "negative extension length": (SIGNATURE + struct.pack("!ii", 0, -5) + b"\0\0", "22P04"),
    "critical flags": (SIGNATURE + struct.pack("!ii", 1 << 17, 0) + struct.pack("!h", -1), "22P04"),
    "field count": (HEADER + struct.pack("!h", 5), "22P04"),
    "short int": (HEADER + struct.pack("!hi", 2, 3) + b"abc", "08P01"),
    "long int": (HEADER + struct.pack("!hi", 2, 5) + b"abcde", "22P03"),
    "negative field size": (HEADER + struct.pack("!hi", 2, -7), "22P04"),
    "field over 1 GB": (HEADER + struct.pack("!hi", 2, 4) + b"\0\0\0\1" + struct.pack("!i", 1 << 30) + b"x",
                        "54000"),
    "bad utf-8": (HEADER + struct.pack("!hi", 2, 4) + b"\0\0\0\1" + struct.pack("!i", 2) + b"\xff\xfe", "22021"),
    "nul in text": (HEADER + struct.pack("!hi", 2, 4) + b"\0\0\0\1" + struct.pack("!i", 3) + b"a\0b", "22021"),
    "truncated": (HEADER + struct.pack("!hi", 2, 4) + b"\0\0", "22P04"),
    "data after trailer": (HEADER + struct.pack("!h", -1) + b"junk", "22P04"),
}


def _copy_binary(raw, data: bytes) -> list:
    raw.query("copy target from stdin (format binary)")
    assert raw.read()[0] == b"G"
    raw.message(b"d", data)
    raw.message(b"c")
    return raw.read_until(b"Z")


@pytest.mark.parametrize("case", sorted(GARBAGE))
def test_garbage_binary_copy_gets_postgres_sqlstate(server, raw_client, wire, case) -> None:
    data, sqlstate = GARBAGE[case]
    raw = _session(raw_client, server)
    assert wire.first_error(_copy_binary(raw, data))["C"] == sqlstate
    raw.query("select 1")  # the session is intact
    assert [k for k, _ in raw.read_until(b"Z")] == [b"T", b"D", b"C", b"Z"]


def test_fuzzed_binary_copy_is_never_an_internal_error(server, raw_client, wire) -> None:
    rng = random.Random(7)
    raw = _session(raw_client, server)
    seen = set()
    for _ in range(80):
        body = bytearray(HEADER + struct.pack("!hi", 2, 4) + b"\0\0\0\1" + struct.pack("!i", 3) + b"abc"
                         + struct.pack("!h", -1))
        for _ in range(rng.randint(1, 4)):
            body[rng.randrange(11, len(body))] = rng.randrange(256)
        msgs = _copy_binary(raw, bytes(body))
        errors = [wire.error_fields(p) for k, p in msgs if k == b"E"]
        if errors:
            assert errors[0]["C"] != "XX000", errors[0]
            seen.add(errors[0]["C"])
    assert seen  # the mutations did hit errors
    _still_serving(server)


# --- shutdown on a full disk ------------------------------------------------------------------------------


def _tiny_filesystem(path: Path, size_mb: int) -> bool:
    if os.geteuid() != 0:
        return False
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(path)],
                          check=False, capture_output=True)
    return done.returncode == 0


def test_sigterm_with_a_full_disk_exits_cleanly_and_loses_nothing(tmp_path) -> None:
    disk = tmp_path / "disk"
    if not _tiny_filesystem(disk, 6):
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        # uncompressed segments: repeated text would shrink enough under zstd for the checkpoint to fit
        srv = start_server(tmp_path / "srv", {"data_dir": str(disk / "data"), "shutdown_grace_period": "5s",
                                              "storage": {"compression": "none"}}, only=["postgres"])
        committed = 0
        with psycopg.connect(srv.pg_dsn(), autocommit=True) as conn:
            conn.execute("create table fill (a text)")
            with pytest.raises(psycopg.Error) as e:
                for _ in range(100):
                    conn.execute("insert into fill select repeat('x', 1000) || g from generate_series(1, 2000) g")
                    committed += 2000
            assert e.value.sqlstate == "53100"  # disk_full, as PostgreSQL
        started = time.monotonic()
        status = srv.stop(signal.SIGTERM, timeout=30)
        assert time.monotonic() - started < 10
        assert status == 1  # the final checkpoint could not be written: said, not hidden
        log = srv.output()
        assert "Traceback" not in log
        assert "checkpoint at shutdown failed" in log and "No space left on device" in log
        subprocess.run(["mount", "-o", "remount,size=64m", str(disk)], check=True)
        again = start_server(tmp_path / "srv2", {"data_dir": str(disk / "data")}, only=["postgres"])
        try:
            with psycopg.connect(again.pg_dsn(), autocommit=True) as conn:
                assert conn.execute("select count(*) from fill").fetchone() == (committed,)
        finally:
            assert again.stop() == 0
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False, capture_output=True)
