"""`helios serve` for one bench run: a temp data dir, the postgres protocol on loopback.

Follows the conventions of helios_core.testing (port 0 in the config, the real port read
from the `listening protocol=postgres host=... port=...` log line, readiness from
`helios ready`) without importing it, because that module needs pytest and the bench
must run where pytest is not installed. When the server cannot start, `start` returns a
handle whose `error` says why, so each HeliosDB workload reports "n/a (error: ...)".
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import attrs

from bench import lifecycle
from bench.progress import say

LISTENING_RE = re.compile(r"\blistening protocol=postgres host=(?P<host>\S+) port=(?P<port>\d+)")
READY_TEXT = "helios ready"
LOG_DIR = pathlib.Path(__file__).resolve().parent / ".cache" / "logs"
USER = "helios"
DATABASE = "helios"


def _command() -> list[str]:
    script = pathlib.Path(sys.executable).parent / "helios"
    if script.exists():
        return [str(script)]
    found = shutil.which("helios")
    return [found] if found else [sys.executable, "-m", "helios_core.cli"]


def _other_protocols() -> list[str]:
    """Installed protocols other than postgres, to disable them (best effort)."""
    try:
        from helios_core.plugins import get_plugin_manager, protocol_servers

        return [p.name for p in protocol_servers(get_plugin_manager()) if p.name != "postgres"]
    except Exception:
        return []


def _config_text(data_dir: pathlib.Path) -> str:
    lines = [f"data_dir = {json.dumps(str(data_dir))}", "",
             "[protocols.postgres]", "enabled = true", 'host = "127.0.0.1"', "port = 0", ""]
    for name in _other_protocols():
        lines += [f"[protocols.{name}]", "enabled = false", ""]
    return "\n".join(lines)


def _last_error(lines: list[str]) -> str:
    """The line a reader needs from a failed start: the last ERROR/CRITICAL log message
    (without its one-line traceback), else the end of the last line."""
    for line in reversed(lines):
        if " CRITICAL " in line or " ERROR " in line:
            message = line.split(": ", 1)[-1] if ": " in line else line
            return message.split(" | Traceback", 1)[0].strip()[-300:]
    for line in reversed(lines):
        parts = [p.strip() for p in line.replace("\\n", "\n").splitlines() if p.strip()]
        if parts:
            return parts[-1][-300:]
    return "no output"


@attrs.define
class HeliosServer:
    """A `helios serve` process (or the reason it is not running, in `error`)."""

    root: pathlib.Path
    process: subprocess.Popen | None = None
    host: str = "127.0.0.1"
    port: int = 0
    user: str = USER
    database: str = DATABASE
    error: str | None = None
    ready_seen: bool = False
    kept_log: pathlib.Path | None = None
    lines: list[str] = attrs.Factory(list)

    @property
    def data_dir(self) -> pathlib.Path:
        return self.root / "data"

    @classmethod
    def start(cls, timeout: float = 60.0) -> HeliosServer:
        root = pathlib.Path(tempfile.mkdtemp(prefix="helios-bench-helios-"))
        server = cls(root=root)
        lifecycle.on_exit("helios", server.stop)
        config = root / "helios.toml"
        config.write_text(_config_text(server.data_dir))
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        try:
            server.process = subprocess.Popen(
                [*_command(), "serve", "--config", str(config)], stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, env=env, cwd=root,
                start_new_session=True)
        except OSError as exc:
            server.error = f"cannot run helios serve: {exc}"
            return server
        ready = threading.Event()
        threading.Thread(target=server._pump, args=(ready,), daemon=True).start()
        ready.wait(timeout)
        if server.ready_seen and server.process.poll() is None:
            say(f"helios: helios serve on {server.host}:{server.port} ({server.data_dir})")
            return server
        code = server.process.poll()
        tail = _last_error(server.lines)
        if code is not None:
            server.error = f"helios serve exited with code {code}: {tail}"
        elif not server.port:
            server.error = f"helios serve not listening for postgres after {timeout:.0f}s: {tail}"
        elif ready.is_set():
            server.error = f"helios serve: {tail.removeprefix('server failed: ')}"
        else:
            server.error = f"helios serve not ready after {timeout:.0f}s: {tail}"
        say(f"helios: {server.error}")
        server.stop()
        return server

    def _pump(self, ready: threading.Event) -> None:
        assert self.process is not None and self.process.stdout is not None
        with open(self.root / "server.log", "w") as log:
            for line in self.process.stdout:
                log.write(line)
                log.flush()
                self.lines.append(line.rstrip("\n"))
                del self.lines[:-200]
                match = LISTENING_RE.search(line)
                if match:
                    self.host, self.port = match["host"], int(match["port"])
                if READY_TEXT in line and self.port:
                    self.ready_seen = True
                    ready.set()
                if " CRITICAL " in line:  # failed start: stop waiting
                    ready.set()
        ready.set()  # exited: wake the waiter

    def warnings(self) -> list[str]:
        """WARNING lines of the server log (e.g. no persistent storage tier installed)."""
        return [line.split(": ", 1)[-1][:200] for line in self.lines if " WARNING " in line]

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
            except ProcessLookupError:
                pass
        if self.root.exists():
            self._keep_log()
            shutil.rmtree(self.root, ignore_errors=True)

    def _keep_log(self) -> None:
        """Save the server log under bench/.cache/logs/ (gitignored) for a post-mortem."""
        log = self.root / "server.log"
        if log.exists():
            LOG_DIR.mkdir(parents=True, exist_ok=True)
            self.kept_log = LOG_DIR / f"{time.strftime('%Y%m%d-%H%M%S')}-helios-{self.root.name}.log"
            shutil.copyfile(log, self.kept_log)

    def death(self) -> str | None:
        """Why the server is gone (exit code and last error line), or None while it runs."""
        if self.process is None or self.process.poll() is None:
            return None
        signalled = next((line.split("received ", 1)[1].split(":")[0] for line in self.lines
                          if "received SIG" in line), None)
        if signalled:
            return (f"helios serve exited with code {self.process.returncode} after it received {signalled}"
                    " from a process outside the bench")
        return f"helios serve exited with code {self.process.returncode}: {_last_error(self.lines)}"

    def version(self) -> str:
        try:
            import helios_core

            return f"HeliosDB {helios_core.__version__}"
        except Exception as exc:
            return f"HeliosDB (version unknown: {exc})"
