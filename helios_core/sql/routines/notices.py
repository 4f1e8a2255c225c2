"""RAISE NOTICE / INFO / WARNING ... of PL/pgSQL routines: messages the session passes to its client with the
statement's result (helios_core.session.Result.notices holds them as HeliosErrors with a
``severity``)."""

from __future__ import annotations

from typing import Any

from helios_core.errors import HeliosError


def emit(session: Any, notice: HeliosError) -> None:
    pending = getattr(session, "routine_notices", None)
    if pending is None:
        pending = session.routine_notices = []
    pending.append(notice)


def take(session: Any) -> list[HeliosError]:
    pending = getattr(session, "routine_notices", None)
    if not pending:
        return []
    session.routine_notices = []
    return pending
