"""A one-line progress display for the long steps (data generation, loads).

On a terminal the line is redrawn in place; otherwise (nox, CI logs) a line is printed
at most every few seconds so logs stay short but show that work is moving.
"""

from __future__ import annotations

import sys
import time

import attrs


@attrs.define
class Progress:
    """Counts units of work towards a known total and shows rate and elapsed time."""

    label: str
    total: int
    unit: str = "rows"
    done: int = 0
    started: float = attrs.field(factory=time.perf_counter)
    _last_draw: float = 0.0
    _drawn_done: int = -1
    _tty: bool = attrs.field(factory=lambda: sys.stderr.isatty())

    def advance(self, n: int) -> None:
        self.done += n
        now = time.perf_counter()
        interval = 0.2 if self._tty else 5.0
        if now - self._last_draw >= interval:
            self._last_draw = now
            self._draw(final=False)

    def finish(self) -> float:
        """Print the final line (unless just printed) and return the elapsed seconds."""
        if self._drawn_done != self.done or self._tty:
            self._draw(final=True)
        return time.perf_counter() - self.started

    def _draw(self, *, final: bool) -> None:
        self._drawn_done = self.done
        elapsed = time.perf_counter() - self.started
        pct = 100.0 * self.done / self.total if self.total else 100.0
        rate = self.done / elapsed if elapsed > 0 else 0.0
        text = (f"  {self.label}: {self.done:,}/{self.total:,} {self.unit} ({pct:5.1f}%)"
                f" {rate:,.0f} {self.unit}/s [{elapsed:6.1f}s]")
        if self._tty:
            sys.stderr.write("\r" + text + ("\n" if final else ""))
        else:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()


def say(message: str) -> None:
    """A status line on stderr (stdout is kept for the result table)."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()
