"""DROP DATABASE's option list, ``(FORCE)`` or ``WITH (FORCE)``: the other sessions connected to
the database are ended first (as pg_terminate_backend would end them), then the drop goes on; a
session that does not end within a few seconds keeps the database, as in PostgreSQL (55006)."""

from __future__ import annotations

import time
from typing import Any

from sqlglot import exp

from helios_core import statement_gate
from helios_core.errors import HeliosError
from helios_core.sql.catalog_views.functions import BACKEND_SIGNALLERS
from helios_core.sql.privilege_functions import check_signal

WAIT_SECONDS = 5.0


def drop_options(options: list[Any]) -> bool:
    """True when the options say FORCE; any other option is PostgreSQL's syntax error."""
    force = False
    for o in options:
        word = o.args.get("kind") if isinstance(o, exp.DataType) else o
        name = (word.name if isinstance(word, exp.Expression) else str(word)).lower()
        if name != "force":
            raise HeliosError(f'unrecognized DROP DATABASE option "{name}"', sqlstate="42601")
        force = True
    return force


def end_other_sessions(session: Any, database: str) -> None:
    """Terminate every other session connected to ``database`` and wait (a while) for them to go."""
    engine = session.engine
    others = [s for s in list(engine.sessions.values()) if s.database == database and s is not session]
    for other in others:
        check_signal(session, other, True)  # 42501 unless allowed to end them
    for pid, other in list(engine.sessions.items()):
        if other in others:
            for signaller in BACKEND_SIGNALLERS:
                if signaller(pid, True):
                    break
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline and any(s.database == database for s in list(engine.sessions.values())):
        with statement_gate.waiting():
            time.sleep(0.05)
