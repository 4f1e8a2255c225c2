"""A large COPY FROM STDIN against a real ``helios serve``: its rows go to spill files as it runs
(``[storage] spill_after``), so the server's memory stays bounded; a COPY that fails, or a server
killed in the middle of one, leaves nothing of it (PostgreSQL's atomicity of COPY)."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import psycopg
import pytest

from helios_core.testing import start_server

ROWS = 1_500_000
PAD = "p" * 30


def _copy_text(start: int, n: int, bad_at: int | None = None) -> list[bytes]:
    """COPY text in 1 MB pieces; ``bad_at``: that row's id is not an integer."""
    out, lines = [], []
    for i in range(start, start + n):
        lines.append(f"{'oops' if i == bad_at else i}\t{PAD}{i}\n")
        if len(lines) == 25_000:
            out.append("".join(lines).encode())
            lines = []
    if lines:
        out.append("".join(lines).encode())
    return out


def _anon_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("RssAnon:"):
            return int(line.split()[1])
    return 0


def _spill_files(data_dir: Path) -> list[str]:
    d = data_dir / "spill"
    return os.listdir(d) if d.is_dir() else []


def _server(tmp_path: Path, spill_after: str = "4MB"):
    return start_server(tmp_path, {"storage": {"spill_after": spill_after}}, only=["postgres"])


def _copy(dsn: str, pieces: list[bytes]) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn, conn.cursor() as cur, \
            cur.copy("COPY t FROM STDIN") as copy:
        for piece in pieces:
            copy.write(piece)


def _measured_copy(server) -> tuple[int, int]:
    """COPY ROWS rows after a small warm-up COPY; returns the peak growth of the server's RssAnon
    (kB) and the most spill files seen at once."""
    dsn = server.pg_dsn()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id int8, pad text)")
    _copy(dsn, _copy_text(-20_000, 20_000))  # first-use imports and buffers are not the COPY's
    pid = server.process.pid
    base = _anon_kb(pid)
    peak, spilled = base, 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, spilled
        while not done.is_set():
            peak = max(peak, _anon_kb(pid))
            spilled = max(spilled, len(_spill_files(server.data_dir)))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        _copy(dsn, _copy_text(0, ROWS))
    finally:
        done.set()
        sampler.join()
    return peak - base, spilled


@pytest.mark.timeout(600)
def test_large_copy_memory_is_bounded_and_a_failed_copy_leaves_nothing(tmp_path):
    held = _server(tmp_path / "held", "1GB")
    try:
        held_growth, held_files = _measured_copy(held)
    finally:
        held.stop()
    assert held_files == 0 and held_growth > 100 * 1024  # the rows (~70 MB as Arrow) stay until commit
    server = _server(tmp_path / "spilled")
    try:
        growth, spilled = _measured_copy(server)
        assert spilled >= 5  # the rows went out while the COPY ran
        assert growth < 0.6 * held_growth, (growth, held_growth)
        with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
            assert conn.execute("SELECT count(*), sum(id) FROM t").fetchone() == \
                (ROWS + 20_000, ROWS * (ROWS - 1) // 2 - 20_000 * 20_001 // 2)
            # a COPY that fails near its end: nothing of it is visible, its spill files are gone
            with pytest.raises(psycopg.errors.InvalidTextRepresentation):
                _copy(server.pg_dsn(), _copy_text(ROWS, 1_000_000, bad_at=ROWS + 990_000))
            assert conn.execute("SELECT count(*) FROM t").fetchone() == (ROWS + 20_000,)
            assert _spill_files(server.data_dir) == []
            conn.execute("CHECKPOINT")
            assert _spill_files(server.data_dir) == []  # the committed COPY's files too, once in segments
    finally:
        server.stop()


@pytest.mark.timeout(300)
def test_server_killed_during_a_streamed_copy_recovers_to_before_it(tmp_path):
    server = _server(tmp_path)
    data_dir = server.data_dir
    try:
        dsn = server.pg_dsn()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE t (id int8, pad text)")
            conn.execute("INSERT INTO t VALUES (-1, 'before')")

        def copy_forever() -> None:
            try:
                _copy(dsn, _copy_text(0, 3_000_000))
            except psycopg.Error:
                pass  # the server was killed under it

        client = threading.Thread(target=copy_forever)
        client.start()
        deadline = time.monotonic() + 120
        while len(_spill_files(data_dir)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(_spill_files(data_dir)) >= 3
        server.process.send_signal(signal.SIGKILL)
        server.process.wait(30)
        client.join(60)
    finally:
        server.stop()
    server = start_server(tmp_path / "again", {"storage": {"spill_after": "4MB"}}, only=["postgres"],
                          data_dir=data_dir)
    try:
        with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
            assert conn.execute("SELECT count(*), min(id) FROM t").fetchone() == (1, -1)
        assert _spill_files(data_dir) == []
    finally:
        server.stop()
