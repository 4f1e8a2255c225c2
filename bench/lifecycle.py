"""Stop every server the bench started, whatever happens: normal exit, exception, signal.

Servers register a stop callable here; `stop_all` runs them once, newest first. It is
wired to atexit and to SIGINT/SIGTERM/SIGHUP so an interrupted run leaves no cluster
or `helios serve` process behind.
"""

from __future__ import annotations

import atexit
import signal
import sys
from collections.abc import Callable

_stoppers: list[tuple[str, Callable[[], None]]] = []
_installed = False


def on_exit(name: str, stop: Callable[[], None]) -> None:
    """Remember `stop` (idempotent) to be called at the end of the run."""
    _install()
    _stoppers.append((name, stop))


def stop_all() -> None:
    while _stoppers:
        name, stop = _stoppers.pop()
        try:
            stop()
        except Exception as exc:  # keep stopping the others
            sys.stderr.write(f"bench: stopping {name} failed: {exc}\n")


def _on_signal(signum: int, _frame: object) -> None:
    sys.stderr.write(f"\nbench: signal {signal.Signals(signum).name}, stopping servers\n")
    stop_all()
    raise SystemExit(128 + signum)


def _install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    atexit.register(stop_all)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
