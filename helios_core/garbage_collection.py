"""The server's cyclic garbage collector: start-up objects frozen, young collections rarer.

CPython's collector looks at the young generation every 700 new container objects and, now
and then, at every object alive. A server keeps a few hundred thousand objects that are
never garbage (modules, the catalog, cached plans), and a full collection walks them all
while holding the interpreter: 90-300 ms pauses under 8 clients' batch inserts, felt by
every session at once. ``helios serve`` raises the thresholds and, once start-up is done,
moves what it made into the permanent generation (``gc.freeze``), which no collection walks.
Reference counting still frees at once whatever is not in a cycle. The embedded engine
(``helios_core.connect``) leaves its host process's collector as it is.
"""

from __future__ import annotations

import gc

# young collections every 20,000 container allocations (CPython: 700); a middle one every 20
# young ones and a full one every 20 middle ones (at most; CPython also waits for the long-lived
# objects to grow by a quarter)
THRESHOLDS = (20_000, 20, 20)


def configure_for_serving() -> None:
    """Thresholds for a long-running server, set before start-up builds its objects."""
    gc.set_threshold(*THRESHOLDS)


def freeze_startup_objects() -> None:
    """Collect what start-up left over, then keep everything alive out of future collections."""
    gc.collect()
    gc.freeze()
