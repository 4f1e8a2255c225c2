"""Google Cloud Storage through its JSON API, with google-cloud-storage (not obstore).

obstore's GCS client speaks the XML API. gcp-storage-emulator, the GCS server the tests start,
implements the JSON API and not the XML one (no ETag/Last-Modified headers, no XML list, HEAD
or DELETE), so the GCS backend uses Google's own client on the JSON API, which real GCS and the
emulator both serve. It reads the same credentials: GOOGLE_APPLICATION_CREDENTIALS (or the
section's ``credentials`` file) and STORAGE_EMULATOR_HOST. S3, Azure and local stay on obstore.

Every call is bounded like obstore's: retries with exponential backoff on throttling, 5xx and
connection errors, each attempt given only the time left of ``timeout``.

google-cloud-storage is imported when the first GCS backend opens, not with the plugin: its
import costs about 0.4 s of CPU, which every server start (GCS configured or not) would pay.
"""

from __future__ import annotations

import functools
import io
import os
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, TypeVar

from helios_core import GcsSection

T = TypeVar("T")

# ranges at most this far apart are fetched by one request (obstore coalesces the same way)
COALESCE_GAP = 1 << 20
CONNECT_TIMEOUT = 5.0


@functools.cache
def google_api() -> SimpleNamespace:
    """The parts of google-cloud-storage used here, imported once."""
    from google.api_core.exceptions import NotFound
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage
    from google.cloud.storage.retry import DEFAULT_RETRY

    return SimpleNamespace(NotFound=NotFound, AnonymousCredentials=AnonymousCredentials,
                           Client=storage.Client, DEFAULT_RETRY=DEFAULT_RETRY)


def emulator_endpoint(cfg: GcsSection) -> str | None:
    """``endpoint`` of the section, else STORAGE_EMULATOR_HOST, as a URL (``host:port`` gets http://)."""
    endpoint = cfg.endpoint or os.environ.get("STORAGE_EMULATOR_HOST") or None
    if endpoint and "://" not in endpoint:
        endpoint = f"http://{endpoint}"
    return endpoint.rstrip("/") if endpoint else None


def make_client(cfg: GcsSection) -> Any:
    """A client on the section's credentials file, else the environment's (application default
    credentials); an emulator endpoint without a credentials file is reached anonymously."""
    api = google_api()
    endpoint = emulator_endpoint(cfg)
    options = {"api_endpoint": endpoint} if endpoint else None
    if cfg.credentials:
        return api.Client.from_service_account_json(cfg.credentials, project=cfg.project, client_options=options)
    if endpoint:
        return api.Client(project=cfg.project or "<none>", credentials=api.AnonymousCredentials(),
                          client_options=options)
    return api.Client(project=cfg.project)


class GcsJsonStore:
    """The objects under ``prefix`` of one bucket, the operations ObjectBackend needs."""

    def __init__(self, cfg: GcsSection, timeout: float, client: Any = None) -> None:
        api = google_api()
        self.not_found = api.NotFound
        self.client = client or make_client(cfg)
        self.bucket = self.client.bucket(cfg.bucket)
        self.root = f"{cfg.prefix.strip('/')}/" if cfg.prefix.strip("/") else ""
        self.timeout = timeout
        self._retry = api.DEFAULT_RETRY.with_delay(initial=0.05, maximum=2.0, multiplier=2.0).with_timeout(timeout)

    def _bounded(self, fn: Callable[[tuple[float, float]], T]) -> T:
        """``fn(timeout)`` retried within ``self.timeout``; each attempt gets only what is left."""
        deadline = time.monotonic() + self.timeout

        def attempt() -> T:
            left = max(deadline - time.monotonic(), 0.05)
            return fn((min(left, CONNECT_TIMEOUT), left))

        return self._retry(attempt)()

    def _key(self, name: str) -> str:
        return self.root + name

    def _missing(self, name: str) -> FileNotFoundError:
        return FileNotFoundError(f"object {self._key(name)} not found in gs://{self.bucket.name}")

    def put(self, name: str, data: memoryview) -> None:
        blob = self.bucket.blob(self._key(name))

        def upload(timeout: tuple[float, float]) -> None:
            blob.upload_from_file(io.BytesIO(data), size=len(data), content_type="application/octet-stream",
                                  timeout=timeout, retry=None)

        self._bounded(upload)

    def _download(self, name: str, start: int | None = None, end: int | None = None) -> bytes:
        """The object, or bytes ``[start, end)`` of it; a missing object is FileNotFoundError."""
        blob = self.bucket.blob(self._key(name))
        last = None if end is None else end - 1  # the client's end is inclusive
        try:
            return self._bounded(lambda t: blob.download_as_bytes(start=start, end=last, timeout=t, retry=None))
        except self.not_found:
            raise self._missing(name) from None

    def get(self, name: str) -> bytes:
        return self._download(name)

    def get_range(self, name: str, start: int, end: int) -> bytes:
        if end <= start:
            return b""
        return self._download(name, start, end)

    def get_ranges(self, name: str, ranges: list[tuple[int, int]]) -> list[bytes]:
        """One request per run of ranges less than COALESCE_GAP apart, sliced back into the ranges."""
        wanted = sorted((s, e) for s, e in ranges if e > s)
        spans: list[list[int]] = []
        for s, e in wanted:
            if spans and s - spans[-1][1] <= COALESCE_GAP:
                spans[-1][1] = max(spans[-1][1], e)
            else:
                spans.append([s, e])
        fetched = [(s, self._download(name, s, e)) for s, e in spans]
        out = []
        for s, e in ranges:
            if e <= s:
                out.append(b"")
                continue
            base, data = next((b, d) for b, d in fetched if b <= s and e <= b + len(d))
            out.append(data[s - base:e - base])
        return out

    def size(self, name: str) -> int:
        blob = self._bounded(lambda t: self.bucket.get_blob(self._key(name), timeout=t, retry=None))
        if blob is None:
            raise self._missing(name)
        return int(blob.size)

    def list(self, prefix: str = "") -> list[str]:
        """Names under ``prefix`` taken as a folder (``"b1"`` holds ``b1/x``, not ``b10/x``), as obstore lists."""
        wanted = prefix.strip("/")
        full = self.root + (wanted + "/" if wanted else "")

        def listing(timeout: tuple[float, float]) -> list[str]:
            blobs = self.client.list_blobs(self.bucket, prefix=full or None, timeout=timeout, retry=None)
            return [b.name[len(self.root):] for b in blobs]

        return self._bounded(listing)

    def delete(self, name: str) -> None:
        try:
            self._bounded(lambda t: self.bucket.delete_blob(self._key(name), timeout=t, retry=None))
        except self.not_found:
            pass  # already gone

    def check(self) -> None:
        """List at most one object: a missing bucket or refused credentials fail here, in one line."""
        def probe(timeout: tuple[float, float]) -> Any:
            return next(iter(self.client.list_blobs(self.bucket, max_results=1, timeout=timeout, retry=None)), None)

        try:
            self._bounded(probe)
        except self.not_found:
            raise FileNotFoundError(f"GCS bucket {self.bucket.name!r} does not exist") from None
