"""One writer at a time per document for updates outside transactions: no lost update.

An update reads its document, applies the operators in Python and writes the whole document
back, in two statements. Two clients updating one document at once could both read the old
version, and the second write would undo the first ($inc by 4 clients 50 times each ended at
74, not 200). MongoDB makes each single-document update atomic; here every update of one
``_id`` outside a transaction holds that document's lock from its read to its write (a fixed
set of striped locks: one statement holds one at a time, so they cannot deadlock). Inside a
transaction the kernel's write conflicts decide (error 112), and a lock held there could wait
on a row lock of a statement that waits for it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from helios_protocol_mongo import bson_json

_LOCKS = [threading.Lock() for _ in range(256)]


@contextlib.contextmanager
def holding(ctx: Any, collection: str, doc_id: Any) -> Iterator[None]:
    """The lock of document ``doc_id`` of ``collection`` (none inside a transaction)."""
    if ctx.in_transaction:
        yield
        return
    lock = _LOCKS[hash((ctx.db, collection, bson_json.key_text(doc_id))) % len(_LOCKS)]
    with lock:
        yield
