"""A one-line progress bar on stderr for backup, verify and restore (only on a terminal)."""

from __future__ import annotations

import sys
import time
from typing import Any


class ProgressBar:
    """``update(what, done, total)`` redraws ``what [#####.....] done/total`` at most 10 times a second."""

    WIDTH = 30

    def __init__(self, enabled: bool = True, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled and self.stream.isatty()
        self._last = 0.0
        self._drawn = False

    def __enter__(self) -> ProgressBar:  # noqa: PYI034 - a plain class, never subclassed
        return self

    def __exit__(self, *exc: object) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()

    def update(self, what: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        filled = self.WIDTH * done // max(total, 1)
        self.stream.write(f"\r{what} [{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total}")
        self.stream.flush()
        self._drawn = True
