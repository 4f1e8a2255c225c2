"""One obstore store per object backend, built from its ``[storage.<kind>]`` section.

The object tiers and the WAL archivers share these: a backend is named by its kind
("s3", "gcs", "azure", "local") and configured once. Keys the section leaves out come from
the environment variables the cloud SDKs read (AWS_ACCESS_KEY_ID, GOOGLE_APPLICATION_CREDENTIALS,
STORAGE_EMULATOR_HOST, AZURE_STORAGE_ACCOUNT_KEY, ...), which obstore reads itself.
"""

from __future__ import annotations

import os
import threading
from datetime import timedelta
from typing import Any

import obstore
from obstore.exceptions import NotFoundError
from obstore.store import AzureStore, GCSStore, LocalStore, S3Store

from helios_core import (
    OBJECT_BACKENDS,
    AzureSection,
    GcsSection,
    LocalSection,
    S3Section,
    object_backend_section,
)

__all__ = ["OBJECT_BACKENDS", "ObjectBackend", "ObjectNotFound", "open_backend"]

ObjectNotFound = NotFoundError


def _client_options(endpoint: str | None, timeout: float) -> dict[str, Any]:
    options: dict[str, Any] = {"timeout": timedelta(seconds=timeout), "connect_timeout": timedelta(seconds=min(timeout, 5.0))}
    if endpoint and endpoint.startswith("http://"):
        options["allow_http"] = True
    return options


def _retry(timeout: float) -> dict[str, Any]:
    """Retries with exponential backoff (throttling, 5xx, refused connections), all within ``timeout``."""
    return {
        "max_retries": 10,
        "retry_timeout": timedelta(seconds=timeout),
        "backoff": {"init_backoff": timedelta(milliseconds=50), "max_backoff": timedelta(seconds=2), "base": 2},
    }


def _prefix(prefix: str) -> str | None:
    return prefix.strip("/") or None


def _s3(cfg: S3Section, timeout: float) -> tuple[Any, str]:
    config: dict[str, Any] = {"region": cfg.region}
    if cfg.endpoint:
        config["endpoint"] = cfg.endpoint
    for key in ("access_key_id", "secret_access_key", "session_token"):
        if getattr(cfg, key):
            config[key] = getattr(cfg, key)
    store = S3Store(cfg.bucket, prefix=_prefix(cfg.prefix), config=config,
                    client_options=_client_options(cfg.endpoint, timeout), retry_config=_retry(timeout))
    return store, f"s3://{cfg.bucket}/{cfg.prefix.strip('/')}"


def _gcs(cfg: GcsSection, timeout: float) -> tuple[Any, str]:
    config: dict[str, Any] = {}
    endpoint = cfg.endpoint or os.environ.get("STORAGE_EMULATOR_HOST") or None
    if endpoint:
        if "://" not in endpoint:
            endpoint = f"http://{endpoint}"
        config["base_url"] = endpoint.rstrip("/")
        if not cfg.credentials:
            config["bearer_token"] = "emulator"  # an emulator checks no credentials
    if cfg.credentials:
        config["application_credentials"] = cfg.credentials
    store = GCSStore(cfg.bucket, prefix=_prefix(cfg.prefix), config=config,
                     client_options=_client_options(endpoint, timeout), retry_config=_retry(timeout))
    return store, f"gs://{cfg.bucket}/{cfg.prefix.strip('/')}"


def _azure(cfg: AzureSection, timeout: float) -> tuple[Any, str]:
    config: dict[str, Any] = {"account_name": cfg.account}
    if cfg.endpoint:
        config["endpoint"] = cfg.endpoint.rstrip("/")
    if cfg.account_key:
        config["account_key"] = cfg.account_key
    store = AzureStore(cfg.container, prefix=_prefix(cfg.prefix), config=config,
                       client_options=_client_options(cfg.endpoint, timeout), retry_config=_retry(timeout))
    return store, f"az://{cfg.account}/{cfg.container}/{cfg.prefix.strip('/')}"


def _local(cfg: LocalSection, data_dir: str) -> tuple[Any, str]:
    root = os.path.join(data_dir or ".", cfg.path, cfg.prefix.strip("/"))
    os.makedirs(root, exist_ok=True)
    return LocalStore(os.path.abspath(root), automatic_cleanup=True), f"file://{os.path.abspath(root)}"


class ObjectBackend:
    """Immutable named objects in one bucket/container/directory, with whole and byte-range reads.

    ``requests`` counts the calls made to the store (by kind: put, get, get_range, list,
    head, delete), so callers and tests see what a read really fetched.
    """

    def __init__(self, kind: str, store: Any, url: str, rebuild: Any = None) -> None:
        self.kind = kind
        self.store = store
        self.url = url
        self.requests: dict[str, int] = {}
        self._mu = threading.Lock()
        self._rebuild = rebuild  # timeout -> a backend of the same section

    def with_timeout(self, seconds: float) -> ObjectBackend:
        """The same backend with another request timeout (retries included)."""
        return self._rebuild(seconds) if self._rebuild is not None else self

    def _count(self, op: str) -> None:
        with self._mu:
            self.requests[op] = self.requests.get(op, 0) + 1

    def put(self, name: str, data: Any) -> None:
        """Write ``data`` (bytes or any buffer, e.g. a pyarrow Buffer) as object ``name``, whole or not at all."""
        self._count("put")
        obstore.put(self.store, name, memoryview(data).cast("B"))

    def get(self, name: str) -> bytes:
        self._count("get")
        try:
            return obstore.get(self.store, name).bytes().to_bytes()
        except FileNotFoundError:
            raise FileNotFoundError(f"no object {name!r} in {self.url}") from None

    def get_range(self, name: str, start: int, end: int) -> bytes:
        """Bytes ``[start, end)`` of object ``name``."""
        self._count("get_range")
        return obstore.get_range(self.store, name, start=start, end=end).to_bytes()

    def get_ranges(self, name: str, ranges: list[tuple[int, int]]) -> list[bytes]:
        """Several ``[start, end)`` ranges of one object (adjacent ones coalesced by obstore)."""
        self._count("get_range")
        got = obstore.get_ranges(self.store, name, starts=[r[0] for r in ranges], ends=[r[1] for r in ranges])
        return [b.to_bytes() for b in got]

    def size(self, name: str) -> int:
        self._count("head")
        return int(obstore.head(self.store, name)["size"])

    def list(self, prefix: str = "") -> list[str]:
        self._count("list")
        names = []
        for batch in obstore.list(self.store, prefix or None):
            names.extend(meta["path"] for meta in batch)
        return sorted(names)

    def delete(self, name: str) -> None:
        self._count("delete")
        try:
            obstore.delete(self.store, name)
        except FileNotFoundError:
            pass

    def check(self) -> None:
        """Reach the store once (list at most one object): bad credentials or a missing bucket fail here."""
        self._count("list")
        next(iter(obstore.list(self.store, None, chunk_size=1)), None)

    def __repr__(self) -> str:
        return f"ObjectBackend({self.url})"


def open_backend(kind: str, section: Any, *, data_dir: str = ".", timeout: float = 30.0) -> ObjectBackend:
    """The backend of ``kind`` for ``[storage.<kind>]`` ``section`` (attrs or a TOML table).

    ``timeout`` bounds one request with its retries (``[storage] object_timeout``).
    """
    cfg = object_backend_section(kind, section)
    if kind == "s3":
        store, url = _s3(cfg, timeout)
    elif kind == "gcs":
        store, url = _gcs(cfg, timeout)
    elif kind == "azure":
        store, url = _azure(cfg, timeout)
    else:
        store, url = _local(cfg, data_dir)
    return ObjectBackend(kind, store, url, lambda t: open_backend(kind, cfg, data_dir=data_dir, timeout=t))
