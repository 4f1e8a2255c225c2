"""pytest plugin: start a real ``helios serve`` in a subprocess for end-to-end tests.

Loaded by the repository's root ``conftest.py`` (``pytest_plugins = ["helios_core.testing"]``),
so every test under ``tests/`` and ``plugins/*/tests`` can use the ``helios_server`` fixture.
Tests talk to the server over real sockets with real client libraries; nothing is mocked.

Usage::

    def test_select_one(helios_server):
        server = helios_server()                    # every installed protocol, free ports
        port = server.port("postgres")              # the port the server actually bound
        with psycopg.connect(server.pg_dsn()) as conn:
            assert conn.execute("select 1").fetchone() == (1,)

    def test_with_config(helios_server):
        server = helios_server(
            {"protocols": {"postgres": {"max_connections": 5}},
             "auth": {"users": {"alice": "secret"}}},
            only=["postgres"],                      # disable the other protocols
        )
        rc = server.stop(signal.SIGTERM)            # graceful; returns the exit status
        assert rc == 0

``helios_server`` is a factory: ``start(config=None, **kw) -> HeliosServer``.

``config`` is a dict in the shape of ``helios.toml`` (nested dicts are tables); it is
written to a temporary TOML file and passed with ``--config``. Unless the config says
otherwise, ``data_dir`` is a fresh temporary directory and every installed protocol
listens on 127.0.0.1 port 0 (a free port chosen by the OS, race-free); the handle
learns the real ports from the server's ``listening`` log lines.

Keyword arguments of ``start``:
    only:     protocol names to enable; the other installed protocols are disabled.
    data_dir: reuse a data directory (e.g. to restart a server on the same data).
    env:      extra environment variables for the server process.
    args:     extra command-line arguments after ``helios serve``.
    timeout:  seconds to wait for the server to be ready (default 60).

The handle (``HeliosServer``) offers ``.host``, ``.port(name)``, ``.ports``,
``.data_dir``, ``.config_path``, ``.process`` (a ``subprocess.Popen``),
``.output()`` (the log so far), ``.wait_for_log(text)``, ``.pg_dsn(...)``,
``.wait(timeout)`` (exit on its own) and ``.stop(sig=SIGTERM, timeout=30) -> exit status``.
Every server started by the fixture is stopped at teardown even when the test fails
(SIGTERM, then SIGKILL).
If the server exits before it is ready, ``start`` raises ``ServerStartError``
carrying ``.returncode`` and ``.output``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Self

import attrs
import pytest

__all__ = [
    "LISTENING_RE",
    "READY_TEXT",
    "HeliosServer",
    "ServerStartError",
    "helios_command",
    "helios_server",
    "installed_protocols",
    "launch",
    "start_server",
    "toml_dumps",
]


LISTENING_RE = re.compile(r"\blistening protocol=(?P<name>\S+) host=(?P<host>\S+) port=(?P<port>\d+)")
READY_TEXT = "helios ready"


class ServerStartError(RuntimeError):
    """The server exited (or never became ready) during start-up."""

    def __init__(self, message: str, *, returncode: int | None, output: str) -> None:
        super().__init__(f"{message}\n--- server output ---\n{output}")
        self.returncode = returncode
        self.output = output


def helios_command() -> list[str]:
    """The command that runs the installed ``helios`` console script of this interpreter."""
    script = Path(sys.executable).parent / ("helios.exe" if os.name == "nt" else "helios")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "helios_core.cli"]


def installed_protocols() -> list[str]:
    """Names of the protocol servers installed in this environment (through the plugin manager)."""
    from helios_core.plugins import get_plugin_manager, protocol_servers

    return [p.name for p in protocol_servers(get_plugin_manager())]


@attrs.define(eq=False)
class HeliosServer:
    """A running ``helios serve`` process started by the ``helios_server`` fixture."""

    process: subprocess.Popen
    config_path: Path | None
    data_dir: Path
    host: str = "127.0.0.1"
    ports: dict[str, int] = attrs.Factory(dict)
    _lines: list[str] = attrs.Factory(list)
    _cond: threading.Condition = attrs.Factory(threading.Condition)
    _reader: threading.Thread | None = None
    _eof: bool = False

    def _start_reader(self) -> None:
        def pump() -> None:
            assert self.process.stdout is not None
            for line in self.process.stdout:
                with self._cond:
                    self._lines.append(line.rstrip("\n"))
                    m = LISTENING_RE.search(line)
                    if m:
                        self.ports[m["name"]] = int(m["port"])
                        self.host = m["host"]
                    self._cond.notify_all()
            with self._cond:
                self._eof = True
                self._cond.notify_all()

        self._reader = threading.Thread(target=pump, name="helios-server-log", daemon=True)
        self._reader.start()

    def output(self) -> str:
        """Everything the server logged so far (stdout and stderr interleaved)."""
        with self._cond:
            return "\n".join(self._lines)

    def wait_for_log(self, text: str, timeout: float = 30.0) -> str:
        """Wait until a log line contains ``text``; returns that line."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cond:
            while True:
                for line in self._lines[seen:]:
                    if text in line:
                        return line
                seen = len(self._lines)
                if self._eof:
                    raise ServerStartError(
                        f"server exited before logging {text!r}",
                        returncode=self.process.poll(),
                        output="\n".join(self._lines),
                    )
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no log line containing {text!r} after {timeout}s")
                self._cond.wait(remaining)

    def port(self, protocol: str) -> int:
        """The port the server bound for ``protocol`` (e.g. "postgres")."""
        try:
            return self.ports[protocol]
        except KeyError:
            raise KeyError(
                f"protocol {protocol!r} is not listening; listening: {sorted(self.ports)}"
            ) from None

    def pg_dsn(self, user: str = "helios", database: str = "helios", password: str | None = None) -> str:
        """A libpq connection string for the postgres protocol of this server."""
        dsn = f"host={self.host} port={self.port('postgres')} user={user} dbname={database}"
        if password is not None:
            dsn += f" password={password}"
        return dsn

    @property
    def running(self) -> bool:
        return self.process.poll() is None

    def wait(self, timeout: float = 30.0) -> int:
        """Wait for the process to exit on its own (e.g. after a signal sent earlier); its exit status."""
        self.process.wait(timeout)
        if self._reader is not None:
            self._reader.join(5)
        return self.process.returncode

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send ``sig``, wait for exit (SIGKILL after ``timeout``) and return the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._reader is not None:
            self._reader.join(5)
        return self.process.returncode

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def toml_dumps(data: Mapping[str, Any]) -> str:
    """Serialize a dict of scalars, lists and nested dicts (tables) as TOML text."""
    out: list[str] = []

    def table(path: list[str], body: Mapping[str, Any]) -> None:
        scalars = [(k, v) for k, v in body.items() if not isinstance(v, Mapping)]
        tables = [(k, v) for k, v in body.items() if isinstance(v, Mapping)]
        if path and (scalars or not tables):
            out.append("[" + ".".join(_toml_key(p) for p in path) + "]")
        for k, v in scalars:
            out.append(f"{_toml_key(k)} = {_toml_value(v)}")
        if scalars:
            out.append("")
        for k, v in tables:
            table([*path, k], v)

    table([], data)
    return "\n".join(out) + "\n"


def _merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = dict(value) if isinstance(value, Mapping) else value
    return base


def start_server(
    workdir: Path,
    config: Mapping[str, Any] | None = None,
    *,
    only: Sequence[str] | None = None,
    data_dir: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    args: Sequence[str] = (),
    timeout: float = 60.0,
) -> HeliosServer:
    """Write a config into ``workdir`` and start ``helios serve`` on it; wait until ready."""
    workdir.mkdir(parents=True, exist_ok=True)
    cfg: dict[str, Any] = {}
    _merge(cfg, config or {})
    if data_dir is not None:
        cfg["data_dir"] = str(data_dir)
    cfg.setdefault("data_dir", str(workdir / "data"))
    protocols = cfg.setdefault("protocols", {})
    for name in installed_protocols():
        section = protocols.setdefault(name, {})
        section.setdefault("host", "127.0.0.1")
        section.setdefault("port", 0)
        if only is not None:
            section["enabled"] = name in only
    if not protocols:
        del cfg["protocols"]
    config_path = workdir / "helios.toml"
    config_path.write_text(toml_dumps(cfg))
    server = launch(["serve", "--config", str(config_path), *args], cwd=workdir, env=env, timeout=timeout)
    server.config_path = config_path
    server.data_dir = Path(cfg["data_dir"])
    return server


def launch(
    argv: Sequence[str],
    *,
    cwd: str | Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> HeliosServer:
    """Run ``helios <argv>`` (e.g. ``["serve"]`` for embedded defaults) and wait for ``helios ready``."""
    proc_env = dict(os.environ)
    proc_env["PYTHONUNBUFFERED"] = "1"
    proc_env.update(env or {})
    process = subprocess.Popen(
        [*helios_command(), *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        env=proc_env,
        cwd=cwd,
    )
    server = HeliosServer(process=process, config_path=None, data_dir=Path(cwd) / "helios-data")
    server._start_reader()
    try:
        server.wait_for_log(READY_TEXT, timeout=timeout)
    except ServerStartError:
        process.wait(10)
        server._reader.join(5)  # type: ignore[union-attr]
        raise ServerStartError(
            f"helios serve exited during start-up with status {process.returncode}",
            returncode=process.returncode,
            output=server.output(),
        ) from None
    except TimeoutError:
        server.stop(signal.SIGKILL)
        raise ServerStartError(
            f"helios serve not ready after {timeout}s", returncode=process.returncode, output=server.output()
        ) from None
    return server


@pytest.fixture
def helios_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Factory fixture: ``helios_server(config=None, **kw)`` starts a real server (see module doc)."""
    started: list[HeliosServer] = []

    def start(config: Mapping[str, Any] | None = None, **kw: Any) -> HeliosServer:
        server = start_server(tmp_path_factory.mktemp("helios-server"), config, **kw)
        started.append(server)
        return server

    yield start
    for server in started:
        status = server.stop()
        # pytest shows this only for failing tests ("Captured stdout teardown")
        print(f"--- helios serve (pid {server.process.pid}, exit status {status}) ---\n{server.output()}")
