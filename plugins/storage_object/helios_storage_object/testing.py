"""Object-store servers for tests: moto (S3), gcp-storage-emulator (GCS) and Azurite (Azure).

Each starts on a free loopback port, waits until it answers, makes a bucket/container and
gives the ``[storage.<kind>]`` table that reaches it. ``stop()`` ends exactly the process it
started; ``pause()``/``resume()`` freeze it (requests then time out) to test faults.
Not found: ``EmulatorMissing`` names what to install, for a skip that says so.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from email.utils import formatdate
from typing import Any, Self

# Azurite's documented development account and key (public, the same in every install).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
# moto accepts any key pair; these are what its documentation uses.
MOTO_KEY_ID, MOTO_SECRET = "testing", "testing"


class EmulatorMissing(RuntimeError):
    """The server program is not installed; the message says how to install it."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_program(name: str, install_hint: str) -> str:
    """``name`` on PATH or next to this Python (a venv's bin), else EmulatorMissing."""
    here = os.path.join(os.path.dirname(sys.executable), name)
    found = shutil.which(name) or (here if os.access(here, os.X_OK) else None)
    if not found:
        raise EmulatorMissing(f"{name} not installed ({install_hint})")
    return found


class EmulatorServer:
    """One server process on 127.0.0.1:port; subclasses say how to start it and make a bucket."""

    kind = ""
    bucket = "helios-test"

    def __init__(self, workdir: str | None = None) -> None:
        self.port = free_port()
        self.workdir = workdir or tempfile.mkdtemp(prefix=f"helios-{self.kind}-")
        os.makedirs(self.workdir, exist_ok=True)
        self.proc: subprocess.Popen | None = None
        self.log_path = os.path.join(self.workdir, f"{self.kind}.log")

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:  # pragma: no cover - interface
        raise NotImplementedError

    def section(self, prefix: str = "") -> dict[str, Any]:  # pragma: no cover - interface
        """The ``[storage.<kind>]`` table that reaches this server."""
        raise NotImplementedError

    def env(self) -> dict[str, str]:
        """Environment variables a server process of HeliosDB needs to reach it (credentials)."""
        return {}

    def make_bucket(self, name: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def start(self, timeout: float = 30.0) -> Self:
        cmd = self.command()
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir,
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{cmd[0]} exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{cmd[0]} did not listen on {self.port} in {timeout}s: {self.log_tail()}")
                time.sleep(0.1)
        self.make_bucket(self.bucket)
        return self

    def log_tail(self) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-2000:].decode(errors="replace")
        except OSError:
            return ""

    def pause(self) -> None:
        """Freeze the server: connections are accepted but never answered. Returns once the kernel
        shows the process stopped (a signal takes effect asynchronously; on a loaded machine a
        request sent at once could still be answered)."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                with open(f"/proc/{self.proc.pid}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] in ("T", "t"):
                        return
            except OSError:  # no /proc (not Linux): the signal is all there is
                return
            time.sleep(0.01)

    def resume(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGCONT)

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.kill(proc.pid, signal.SIGCONT)
            proc.terminate()
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class MotoS3(EmulatorServer):
    """moto's stand-alone server (PyPI ``moto[server]``): the S3 REST API in memory."""

    kind = "s3"

    def command(self) -> list[str]:
        program = find_program("moto_server", "pip install 'moto[server]'")
        return [program, "-H", "127.0.0.1", "-p", str(self.port)]

    def section(self, prefix: str = "") -> dict[str, Any]:
        return {"bucket": self.bucket, "region": "us-east-1", "endpoint": self.endpoint, "prefix": prefix,
                "access_key_id": MOTO_KEY_ID, "secret_access_key": MOTO_SECRET}

    def env(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": MOTO_KEY_ID, "AWS_SECRET_ACCESS_KEY": MOTO_SECRET}

    def make_bucket(self, name: str) -> None:
        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint}/{name}", method="PUT"), timeout=10).read()


class GcsEmulator(EmulatorServer):
    """gcp-storage-emulator (PyPI): the GCS JSON API (what the gcs backend speaks), in memory."""

    kind = "gcs"
    bucket = "helios-test"

    def command(self) -> list[str]:
        program = find_program("gcp-storage-emulator", "pip install gcp-storage-emulator")
        return [program, "start", "--host", "127.0.0.1", "--port", str(self.port), "--in-memory"]

    def section(self, prefix: str = "") -> dict[str, Any]:
        return {"bucket": self.bucket, "project": "helios-test", "endpoint": self.endpoint, "prefix": prefix}

    def env(self) -> dict[str, str]:
        return {"STORAGE_EMULATOR_HOST": self.endpoint}

    def make_bucket(self, name: str) -> None:
        body = f'{{"name": "{name}"}}'.encode()
        req = urllib.request.Request(f"{self.endpoint}/storage/v1/b?project=helios-test", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            urllib.request.urlopen(req, timeout=10).read()
        except urllib.error.HTTPError as exc:
            if exc.code != 409:  # already there
                raise


class Azurite(EmulatorServer):
    """Azurite's blob service (npm ``azurite``), data kept under its work directory."""

    kind = "azure"

    def command(self) -> list[str]:
        program = find_program("azurite-blob", "npm install -g azurite")
        return [program, "--blobHost", "127.0.0.1", "--blobPort", str(self.port), "--location", self.workdir,
                "--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry"]

    @property
    def account_url(self) -> str:
        return f"{self.endpoint}/{AZURITE_ACCOUNT}"

    def section(self, prefix: str = "") -> dict[str, Any]:
        return {"account": AZURITE_ACCOUNT, "container": self.bucket, "endpoint": self.account_url,
                "prefix": prefix, "account_key": AZURITE_KEY}

    def env(self) -> dict[str, str]:
        return {"AZURE_STORAGE_ACCOUNT_KEY": AZURITE_KEY}

    def make_bucket(self, name: str) -> None:
        """Create Container, signed with the account key (Shared Key authorization)."""
        date, version = formatdate(usegmt=True), "2021-08-06"
        to_sign = "\n".join([
            "PUT", "", "", "", "", "", "", "", "", "", "", "",
            f"x-ms-date:{date}", f"x-ms-version:{version}",
            f"/{AZURITE_ACCOUNT}/{AZURITE_ACCOUNT}/{name}\nrestype:container",
        ])
        mac = hmac.new(base64.b64decode(AZURITE_KEY), to_sign.encode(), hashlib.sha256).digest()
        req = urllib.request.Request(
            f"{self.account_url}/{name}?restype=container", method="PUT",
            headers={"x-ms-date": date, "x-ms-version": version,
                     "Authorization": f"SharedKey {AZURITE_ACCOUNT}:{base64.b64encode(mac).decode()}"},
        )
        try:
            urllib.request.urlopen(req, timeout=10).read()
        except urllib.error.HTTPError as exc:
            if exc.code != 409:  # already there
                raise


SERVERS: dict[str, type[EmulatorServer]] = {"s3": MotoS3, "gcs": GcsEmulator, "azure": Azurite}
