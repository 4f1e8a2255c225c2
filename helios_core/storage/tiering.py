"""The set of tiers segments live on, and reads of segments that are not local.

Every segment is recorded (in the manifest) on exactly one tier: "hot" (the local tier new
segments are written to), "warm" or "cold" (tiers a plugin provides, e.g. an object store).
A remote segment is read through byte ranges: the Arrow IPC footer first, then only the
buffers of the columns a scan needs, and the result is kept in a size-limited LRU cache.
"""

from __future__ import annotations

import io
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pyarrow as pa

from helios_core.errors import HeliosError
from helios_core.hookspecs import StorageTier
from helios_core.storage.segments import plain_batch
from helios_core.storage.versions import ROWID

HOT, WARM, COLD = "hot", "warm", "cold"
TIER_NAMES = (HOT, WARM, COLD)
CREATED = "_created"
FOOTER_GUESS = 64 << 10  # the tail read first: footer and schema of most segments fit
READ_AHEAD = 2  # remote segments a scan keeps in flight beyond the one it is reading
READ_AHEAD_THREADS = 4


class TierUnavailable(HeliosError):
    """A segment could not be read from (or written to) its tier: names the tier and the object."""

    sqlstate = "58030"  # io_error


class SegmentCache:
    """Decoded column sets of remote segments, least recently used dropped past ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._mu = threading.Lock()

    def peek(self, key: Any) -> bool:
        """Whether ``key`` is cached (not counted as a hit or a miss)."""
        with self._mu:
            return key in self._items

    def get(self, key: Any, counted: bool = True) -> Any:
        """The cached value (moved to the recent end), or None. ``counted``: in the hit ratio
        (a segment's columns; not a view kept beside them, Store._presented_segment)."""
        with self._mu:
            item = self._items.get(key)
            if item is None:
                if counted:
                    self.misses += 1
                return None
            self._items.move_to_end(key)
            if counted:
                self.hits += 1
            return item[0]

    def put(self, key: Any, value: Any, nbytes: int) -> None:
        with self._mu:
            old = self._items.pop(key, None)
            if old is not None:
                self.used -= old[1]
            if nbytes > self.limit:
                return
            self._items[key] = (value, nbytes)
            self.used += nbytes
            while self.used > self.limit and self._items:
                _, (_, n) = self._items.popitem(last=False)
                self.used -= n

    def forget(self, match: Any) -> None:
        """Drop every entry whose key ``match(key)`` accepts (a segment that moved or was deleted)."""
        with self._mu:
            for key in [k for k in self._items if match(k)]:
                self.used -= self._items.pop(key)[1]

    def hit_ratio(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0


class _RangeFile(io.RawIOBase):
    """A read-only file over ``tier.read_range``, for pyarrow's IPC reader (it asks only for what it needs).

    The tail (footer) is read once with a generous first request and served from memory.
    """

    def __init__(self, tiers: TierSet, tier: str, name: str, size: int) -> None:
        self.tiers, self.tier, self.name, self.size = tiers, tier, name, size
        self.pos = 0
        self.tail_start = max(0, size - FOOTER_GUESS)
        self.tail = tiers.footer(tier, name, self.tail_start, size)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = offset if whence == 0 else (self.pos + offset if whence == 1 else self.size + offset)
        return self.pos

    def read(self, n: int = -1) -> bytes:
        end = self.size if n is None or n < 0 else min(self.size, self.pos + n)
        start = self.pos
        if start >= end:
            return b""
        if start >= self.tail_start:
            out = self.tail[start - self.tail_start:end - self.tail_start]
        else:
            out = self.tiers.read_range(self.tier, self.name, start, end)
        self.pos = start + len(out)
        return out

    def readinto(self, buf: Any) -> int:
        data = self.read(len(buf))
        buf[:len(data)] = data
        return len(data)


class CachedColumnReads:
    """Column subsets of one segment through the tiers' cache: ``read`` answers from the cache, from a
    read-ahead already under way, or ``load``s them; a subclass gives ``key`` and ``fetch``."""

    __slots__ = ()
    tiers: Any

    def key(self, columns: list[str] | None) -> tuple[str, str, tuple[str, ...] | None]:  # pragma: no cover
        raise NotImplementedError

    def fetch(self, columns: list[str] | None) -> pa.RecordBatch:  # pragma: no cover
        raise NotImplementedError

    def read(self, columns: list[str] | None) -> pa.RecordBatch:
        """Physical columns (all when None) plus ``_rowid``, without the ``_created`` stamps."""
        key = self.key(columns)
        hit = self.tiers.cache.get(key)
        if hit is not None:
            return hit
        pending = self.tiers.pending(key)
        if pending is not None:  # read ahead already asked for it
            return pending.result()
        return self.load(key)

    def load(self, key: tuple[str, str, tuple[str, ...] | None]) -> pa.RecordBatch:
        want = key[2]
        batch = self.fetch(None if want is None else list(want))
        idx = batch.schema.get_field_index(CREATED)
        if idx >= 0:
            batch = batch.remove_column(idx)
        batch = batch.replace_schema_metadata(None)
        self.tiers.cache.put(key, batch, batch.nbytes)
        return batch


class RemoteSegment(CachedColumnReads):
    """A segment recorded on a non-hot tier; ``read(columns)`` fetches (and caches) column subsets."""

    __slots__ = ("name", "size", "tier", "tiers")

    def __init__(self, tiers: TierSet, tier: str, name: str, size: int) -> None:
        self.tiers, self.tier, self.name, self.size = tiers, tier, name, size

    def key(self, columns: list[str] | None) -> tuple[str, str, tuple[str, ...] | None]:
        return self.tier, self.name, None if columns is None else tuple(sorted({*columns, ROWID}))

    def fetch(self, columns: list[str] | None) -> pa.RecordBatch:
        """The segment's batch with only ``columns`` (all when None), read by byte ranges; schema metadata kept."""
        return self.tiers.guard(self.tier, self.name, lambda: self._fetch(columns))

    def _fetch(self, columns: list[str] | None) -> pa.RecordBatch:
        f = pa.PythonFile(_RangeFile(self.tiers, self.tier, self.name, self.size), mode="r")
        schema = pa.ipc.open_file(f).schema
        options = None
        if columns is not None:
            options = pa.ipc.IpcReadOptions(included_fields=[i for i, n in enumerate(schema.names) if n in columns])
        reader = pa.ipc.open_file(f, options=options)
        if reader.num_record_batches == 1:
            batch = reader.get_batch(0)
        else:
            batch = reader.read_all().combine_chunks().to_batches()[0]
        return plain_batch(batch).replace_schema_metadata(reader.schema.metadata)


class TierSet:
    """The tiers of one store by role ("hot" required; "warm" and "cold" optional) and their read cache.

    ``timeout``: an object read (retries included) that takes longer fails with TierUnavailable.
    """

    def __init__(self, hot: StorageTier | None, others: dict[str, StorageTier] | None = None, *,
                 cache_size: int = 1 << 30, timeout: float = 30.0) -> None:
        self.tiers: dict[str, StorageTier] = {}
        if hot is not None:
            self.tiers[HOT] = hot
        for name, tier in (others or {}).items():
            if name not in (WARM, COLD):
                raise ValueError(f"tier role must be 'warm' or 'cold', got {name!r}")
            self.tiers[name] = tier
        self.cache = SegmentCache(cache_size)
        self.timeout = timeout
        self.requests = 0  # byte-range requests made to non-hot tiers
        self.read_aheads = 0  # segment reads started ahead of a scan
        self.bytes_fetched = 0
        self._footers: OrderedDict[tuple[str, str], tuple[int, bytes]] = OrderedDict()
        self._mu = threading.Lock()
        self._ahead: dict[Any, Future] = {}  # reads started ahead of the scan that will want them
        self._pool: ThreadPoolExecutor | None = None

    @property
    def hot(self) -> StorageTier | None:
        return self.tiers.get(HOT)

    def has(self, name: str) -> bool:
        return name in self.tiers

    def get(self, name: str) -> StorageTier:
        tier = self.tiers.get(name)
        if tier is None:
            configured = ", ".join(self.tiers) or "none"
            raise HeliosError(f"no {name} tier is configured (tiers: {configured})", sqlstate="55000",
                              hint="[storage] tier_warm_backend / [storage.tiering] cold_storage_backend")
        return tier

    def describe(self, name: str) -> str:
        tier = self.tiers.get(name)
        return f"{name} tier ({tier!r})" if tier is not None else f"{name} tier"

    def guard(self, tier: str, name: str, fn: Any) -> Any:
        """Run a tier operation; failures become one error naming the tier and the object."""
        started = time.monotonic()
        try:
            return fn()
        except HeliosError:
            raise
        except Exception as exc:  # noqa: BLE001 - any client library error: reported with its cause
            took = time.monotonic() - started
            cause = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise TierUnavailable(
                f"could not read segment {name!r} from the {self.describe(tier)} after {took:.1f}s: {cause}",
                hint="queries on data of the hot tier are not affected; retry when the object store is back",
            ) from None

    def read_range(self, tier: str, name: str, start: int, end: int) -> bytes:
        with self._mu:
            self.requests += 1
            self.bytes_fetched += end - start
        t = self.get(tier)
        reader = getattr(t, "read_range", None)
        if reader is None:
            return bytes(memoryview(t.open(name))[start:end])
        return bytes(reader(name, start, end))

    def footer(self, tier: str, name: str, start: int, end: int) -> bytes:
        """The tail of a segment, kept for the next reads of it (footers are small and read every time)."""
        key = (tier, name)
        with self._mu:
            hit = self._footers.get(key)
            if hit is not None and hit[0] == start:
                self._footers.move_to_end(key)
                return hit[1]
        data = self.read_range(tier, name, start, end)
        with self._mu:
            self._footers[key] = (start, data)
            while len(self._footers) > 4096:
                self._footers.popitem(last=False)
        return data

    def pending(self, key: Any) -> Future | None:
        with self._mu:
            return self._ahead.get(key)

    def read_ahead(self, source: RemoteSegment, columns: list[str] | None) -> None:
        """Start fetching what a scan will read next, so its requests overlap the work on this one."""
        key = source.key(columns)
        with self._mu:
            if key in self._ahead or self.cache.peek(key):
                return
            if self._pool is None:
                self._pool = ThreadPoolExecutor(READ_AHEAD_THREADS, thread_name_prefix="helios-read-ahead")
            future = self._pool.submit(source.load, key)
            self._ahead[key] = future
            self.read_aheads += 1

        def done(_f: Future) -> None:
            with self._mu:
                self._ahead.pop(key, None)

        future.add_done_callback(done)

    def forget(self, tier: str, name: str) -> None:
        with self._mu:
            self._footers.pop((tier, name), None)
        self.cache.forget(lambda k: k[0] == tier and k[1] == name)

    def source(self, tier: str, name: str, size: int) -> RemoteSegment:
        return RemoteSegment(self, tier, name, size)
