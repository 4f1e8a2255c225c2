"""Commit timestamps: int64 microseconds, strictly increasing, close to wall-clock time."""

from __future__ import annotations

import threading
import time


class Clock:
    """Hands out strictly increasing microsecond timestamps (never repeats, never goes back)."""

    def __init__(self, last: int = 0) -> None:
        self.last = last
        self._mu = threading.Lock()

    def tick(self) -> int:
        with self._mu:
            t = time.time_ns() // 1000
            if t <= self.last:
                t = self.last + 1
            self.last = t
            return t

    def advance_to(self, ts: int) -> None:
        """After recovery: never hand out a timestamp at or below one already used."""
        with self._mu:
            self.last = max(self.last, ts)
