"""Foundation tests: fixtures; the example third-party plugin must be installed in this environment.

The nox ``tests`` session installs it; for a direct ``pytest`` run it is pip-installed here
(once, from tests/example_plugin) when missing.
"""

from __future__ import annotations

import importlib.metadata
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from helios_core.testing import helios_command

EXAMPLE_PLUGIN = Path(__file__).resolve().parents[1] / "example_plugin"


def _installed() -> bool:
    try:
        importlib.metadata.distribution("helios-example-plugin")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


@pytest.fixture(scope="session", autouse=True)
def example_plugin() -> None:
    """Make sure helios-example-plugin is installed (its entry points are what the server loads)."""
    if not _installed():
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", str(EXAMPLE_PLUGIN)],
            check=True,
        )
        importlib.invalidate_caches()
    assert _installed()


def _run_helios(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess:
    """Run ``helios <args>`` to completion, capturing stdout and stderr."""
    return subprocess.run(
        [*helios_command(), *args],
        check=False,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class LineClient:
    """A client of the example plugin's ``line`` protocol: one SQL line in, TSV rows + OK/ERROR out."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.sock = socket.create_connection((host, port), timeout=60)
        self.file = self.sock.makefile("rwb")

    def send(self, sql: str) -> None:
        self.file.write(sql.encode() + b"\n")
        self.file.flush()

    def read_reply(self) -> tuple[list[list[str]], str]:
        """Rows (as lists of cells) up to and including the final status line of one request."""
        rows: list[list[str]] = []
        while True:
            line = self.file.readline().decode()
            if not line:
                raise ConnectionError(f"server closed the connection; rows so far: {rows}")
            line = line.rstrip("\n")
            if line.startswith("ERROR "):
                return rows, line
            if line.startswith("OK "):
                return rows, line
            rows.append(line.split("\t"))

    def query(self, sql: str) -> tuple[list[list[str]], str]:
        self.send(sql)
        return self.read_reply()

    def close(self) -> None:
        self.file.close()
        self.sock.close()


@pytest.fixture
def run_helios() -> Callable[..., subprocess.CompletedProcess]:
    """``run_helios(*args, cwd=..., env=None)``: run the ``helios`` command to completion."""
    return _run_helios


@pytest.fixture
def line_client() -> Iterator[Callable[[int], LineClient]]:
    """Factory of LineClient connections, closed at teardown."""
    clients: list[LineClient] = []

    def connect(port: int) -> LineClient:
        client = LineClient(port)
        clients.append(client)
        return client

    yield connect
    for client in clients:
        client.close()
