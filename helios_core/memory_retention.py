"""How long memory that a query freed stays with the process before it goes back to the system.

Both allocators an analytic query uses hand large freed blocks straight back to the operating
system: pyarrow's (mimalloc) 10 ms after they are freed, and the C library's (glibc malloc,
which numpy's arrays come from) at once for a block it mapped on its own (from 128 KB up, the
threshold rising with use) or a worker thread's emptied heap. A query that starts after that
faults its working memory in again, page by page: TPC-H Q1 at scale 1 over the wire, 2 s after
the previous one, made 60-90 thousand minor page faults and took 260-450 ms against 200-230 ms
with the memory kept (bench/README.md, "Freed memory kept").

So, before anything imports pyarrow (this is the first import of ``helios_core``):
- mimalloc keeps freed pages for PURGE_DELAY_MS (it reads ``MIMALLOC_PURGE_DELAY`` when its
  library loads);
- glibc serves blocks up to MMAP_THRESHOLD_BYTES (its largest) from its heap instead of separate
  mappings, from one heap for every thread, and keeps up to TRIM_THRESHOLD_BYTES free at the
  heap's top (``mallopt``). Larger blocks keep their own mappings: kept too, the memory of a
  result a stalled client holds up stayed with the process after it (tests/security).
(The ClickHouse plugin's memory guard gives both allocators' free memory back when memory is short.)

An operator's own settings win: nothing is changed for mimalloc when ``MIMALLOC_PURGE_DELAY``
is set, nor for glibc when ``GLIBC_TUNABLES`` or any ``MALLOC_*`` variable is.
"""

from __future__ import annotations

import ctypes
import os

PURGE_DELAY_VARIABLE = "MIMALLOC_PURGE_DELAY"
PURGE_DELAY_MS = 5000
MMAP_THRESHOLD_BYTES = 32 << 20
TRIM_THRESHOLD_BYTES = 512 << 20
# mallopt's parameter numbers (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8


def _libc() -> ctypes.CDLL | None:
    """glibc, when this process runs on it (``mallopt`` is glibc's): the symbols the process has
    loaded (no library search, which would start a subprocess at import)."""
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") else None


def _operator_tuned_glibc() -> bool:
    return "GLIBC_TUNABLES" in os.environ or any(k.startswith("MALLOC_") for k in os.environ)


def keep_freed_memory() -> bool:
    """Apply the settings above; True when glibc's were applied (False: not glibc, or the
    operator set their own)."""
    os.environ.setdefault(PURGE_DELAY_VARIABLE, str(PURGE_DELAY_MS))
    libc = _libc()
    if libc is None or _operator_tuned_glibc():
        return False
    return all(libc.mallopt(param, value) == 1 for param, value in (
        (_M_ARENA_MAX, 1), (_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES), (_M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)))


GLIBC_KEEPS = keep_freed_memory()
