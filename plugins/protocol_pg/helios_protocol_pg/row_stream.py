"""A result's DataRow messages, handed to the socket in runs of rows.

Rows are encoded a batch at a time into one buffer (``formats.data_row_block``); a run of
rows is one slice of that buffer. Handing out a large result row by row (one bytes object
per row, joined again per hop) cost as much as encoding it: about a fifth of a second for
432,000 rows of six columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from helios_protocol_pg.formats import data_row_block


class EncodedRows:
    """The rows of ``result`` still to send. ``then`` runs once, when a read finds the rows
    exhausted (a streamed query's end: its implicit transaction commits there)."""

    def __init__(self, result: Any, columns: Sequence, formats: Sequence[int],
                 then: Callable[[], None] | None = None) -> None:
        self._batches: Iterator[Any] = iter(result.batches)
        self._columns, self._formats = columns, formats
        self._then = then
        self._buf = b""
        self._starts: list[int] = []
        self._next = 0  # the next row of the current block to hand out
        self._ended = False

    def _load(self) -> bool:
        """Make the current block have a row left; False once every batch is out."""
        while self._next >= len(self._starts):
            if self._ended:
                return False
            batch = next(self._batches, None)
            if batch is None:
                self._ended = True
                self._buf, self._starts, self._next = b"", [], 0
                then, self._then = self._then, None
                if then is not None:
                    then()
                return False
            if batch.num_rows:
                self._buf, self._starts = data_row_block(batch, self._columns, self._formats)
                self._next = 0
        return True

    def take(self, want: int) -> tuple[bytes, int]:
        """Up to ``want`` rows, as their messages' bytes and their count."""
        parts = []
        n = 0
        while n < want and self._load():
            first = self._next
            last = min(len(self._starts), first + (want - n))
            start = self._starts[first]
            end = self._starts[last] if last < len(self._starts) else len(self._buf)
            parts.append(self._buf if start == 0 and end == len(self._buf) else self._buf[start:end])
            n += last - first
            self._next = last
        return (parts[0] if len(parts) == 1 else b"".join(parts)), n

    def has_more(self) -> bool:
        """Whether a row is left (reading past the last one runs ``then``)."""
        return self._load()
