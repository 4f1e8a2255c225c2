"""One store per object backend, built from its ``[storage.<kind>]`` section.

The object tiers and the WAL archivers share these: a backend is named by its kind
("s3", "gcs", "azure", "local") and configured once. Keys the section leaves out come from
the environment variables the cloud SDKs read (AWS_ACCESS_KEY_ID, GOOGLE_APPLICATION_CREDENTIALS,
STORAGE_EMULATOR_HOST, AZURE_STORAGE_ACCOUNT_KEY, ...).

S3, Azure and local directories go through obstore. GCS goes through google-cloud-storage on
the JSON API instead (gcs.py says why): obstore's GCS client speaks the XML API, which
gcp-storage-emulator does not serve. Both sit behind the same ObjectBackend.
"""

from __future__ import annotations

import os
import threading
from datetime import timedelta
from typing import Any

import obstore
from obstore.exceptions import NotFoundError
from obstore.store import AzureStore, LocalStore, S3Store

from helios_core import (
    OBJECT_BACKENDS,
    AzureSection,
    GcsSection,
    LocalSection,
    S3Section,
    object_backend_section,
)
from helios_storage_object.gcs import GcsJsonStore

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


def _s3(cfg: S3Section, timeout: float) -> tuple[ObstoreStore, str]:
    config: dict[str, Any] = {"region": cfg.region}
    if cfg.endpoint:
        config["endpoint"] = cfg.endpoint
    for key in ("access_key_id", "secret_access_key", "session_token"):
        if getattr(cfg, key):
            config[key] = getattr(cfg, key)
    store = S3Store(cfg.bucket, prefix=_prefix(cfg.prefix), config=config,
                    client_options=_client_options(cfg.endpoint, timeout), retry_config=_retry(timeout))
    return ObstoreStore(store), f"s3://{cfg.bucket}/{cfg.prefix.strip('/')}"


def _gcs(cfg: GcsSection, timeout: float) -> tuple[GcsJsonStore, str]:
    return GcsJsonStore(cfg, timeout), f"gs://{cfg.bucket}/{cfg.prefix.strip('/')}"


def _azure(cfg: AzureSection, timeout: float) -> tuple[ObstoreStore, str]:
    config: dict[str, Any] = {"account_name": cfg.account}
    if cfg.endpoint:
        config["endpoint"] = cfg.endpoint.rstrip("/")
    if cfg.account_key:
        config["account_key"] = cfg.account_key
    store = AzureStore(cfg.container, prefix=_prefix(cfg.prefix), config=config,
                       client_options=_client_options(cfg.endpoint, timeout), retry_config=_retry(timeout))
    return ObstoreStore(store), f"az://{cfg.account}/{cfg.container}/{cfg.prefix.strip('/')}"


def _local(cfg: LocalSection, data_dir: str) -> tuple[ObstoreStore, str]:
    root = os.path.join(data_dir or ".", cfg.path, cfg.prefix.strip("/"))
    os.makedirs(root, exist_ok=True)
    return ObstoreStore(LocalStore(os.path.abspath(root), automatic_cleanup=True)), f"file://{os.path.abspath(root)}"


class ObstoreStore:
    """An obstore store (S3, Azure, local) with the operations ObjectBackend needs."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def put(self, name: str, data: memoryview) -> None:
        obstore.put(self.store, name, data)

    def get(self, name: str) -> bytes:
        return obstore.get(self.store, name).bytes().to_bytes()

    def get_range(self, name: str, start: int, end: int) -> bytes:
        return obstore.get_range(self.store, name, start=start, end=end).to_bytes()

    def get_ranges(self, name: str, ranges: list[tuple[int, int]]) -> list[bytes]:
        """Adjacent ranges are coalesced by obstore."""
        got = obstore.get_ranges(self.store, name, starts=[r[0] for r in ranges], ends=[r[1] for r in ranges])
        return [b.to_bytes() for b in got]

    def size(self, name: str) -> int:
        return int(obstore.head(self.store, name)["size"])

    def list(self, prefix: str = "") -> list[str]:
        names = []
        for batch in obstore.list(self.store, prefix or None):
            names.extend(meta["path"] for meta in batch)
        return names

    def delete(self, name: str) -> None:
        try:
            obstore.delete(self.store, name)
        except FileNotFoundError:
            pass

    def check(self) -> None:
        next(iter(obstore.list(self.store, None, chunk_size=1)), None)


class ObjectBackend:
    """Immutable named objects in one bucket/container/directory, with whole and byte-range reads.

    ``store`` is an ObstoreStore or a GcsJsonStore. ``requests`` counts the calls made to it (by
    kind: put, get, get_range, list, head, delete), so callers and tests see what a read really
    fetched. A missing object is FileNotFoundError whichever the store.
    """

    def __init__(self, kind: str, store: ObstoreStore | GcsJsonStore, url: str, rebuild: Any = None) -> None:
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
        self.store.put(name, memoryview(data).cast("B"))

    def get(self, name: str) -> bytes:
        self._count("get")
        try:
            return self.store.get(name)
        except FileNotFoundError:
            raise FileNotFoundError(f"no object {name!r} in {self.url}") from None

    def get_range(self, name: str, start: int, end: int) -> bytes:
        """Bytes ``[start, end)`` of object ``name``."""
        self._count("get_range")
        return self.store.get_range(name, start, end)

    def get_ranges(self, name: str, ranges: list[tuple[int, int]]) -> list[bytes]:
        """Several ``[start, end)`` ranges of one object, near ones fetched together."""
        self._count("get_range")
        return self.store.get_ranges(name, ranges)

    def size(self, name: str) -> int:
        self._count("head")
        return self.store.size(name)

    def list(self, prefix: str = "") -> list[str]:
        self._count("list")
        return sorted(self.store.list(prefix))

    def delete(self, name: str) -> None:
        """Delete object ``name``; one already gone is not an error."""
        self._count("delete")
        self.store.delete(name)

    def check(self) -> None:
        """Reach the store once (list at most one object): bad credentials or a missing bucket fail here."""
        self._count("list")
        self.store.check()

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
