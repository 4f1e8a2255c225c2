"""How long memory that Arrow freed stays with the process before it goes back to the system.

pyarrow's default allocator (mimalloc) hands freed pages back to the operating system 10 ms
after they are freed, so an analytic query that starts more than that after the previous one
faults its whole working memory in again, page by page: at TPC-H scale 1 with 0.7 s between
queries, Q1 took 306 ms against 205 ms with the pages kept for five seconds, and Q3 124 against
99 (bench/README.md, "Freed memory kept for five seconds"). Five seconds covers queries that
follow one another; an idle server still gives the memory back.

mimalloc reads its options when its library loads, so this module runs before anything imports
pyarrow (it is the first import of ``helios_core``). A value set in the environment wins, so an
operator can choose another delay (``MIMALLOC_PURGE_DELAY=10`` is mimalloc's own default). With
another allocator (``ARROW_DEFAULT_MEMORY_POOL=jemalloc`` or ``system``) the variable does nothing.
"""

from __future__ import annotations

import os

PURGE_DELAY_VARIABLE = "MIMALLOC_PURGE_DELAY"
PURGE_DELAY_MS = 5000


def keep_freed_memory() -> None:
    """Ask mimalloc to keep freed pages for PURGE_DELAY_MS unless the environment says otherwise."""
    os.environ.setdefault(PURGE_DELAY_VARIABLE, str(PURGE_DELAY_MS))


keep_freed_memory()
