"""Per-statement runtime settings that scalar functions read: TimeZone and the statement clock.

The session (C2) sets them around each statement with ``use(...)``; functions read them with
``timezone()`` / ``transaction_now()``. Context variables keep concurrent sessions (threads,
anyio tasks) apart.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
from collections.abc import Iterator

_TZ: contextvars.ContextVar[str] = contextvars.ContextVar("helios_timezone", default="UTC")
_DATESTYLE: contextvars.ContextVar[str] = contextvars.ContextVar("helios_datestyle", default="ISO, MDY")
_INTERVALSTYLE: contextvars.ContextVar[str] = contextvars.ContextVar("helios_intervalstyle", default="postgres")
_BYTEA_OUTPUT: contextvars.ContextVar[str] = contextvars.ContextVar("helios_bytea_output", default="hex")
_EXTRA_FLOAT_DIGITS: contextvars.ContextVar[int] = contextvars.ContextVar("helios_extra_float_digits", default=1)
_NOW: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar("helios_txn_now", default=None)
_STMT_NOW: contextvars.ContextVar[dt.datetime | None] = contextvars.ContextVar("helios_stmt_now", default=None)


def timezone() -> str:
    """The session TimeZone ('UTC' unless the session set another)."""
    return _TZ.get()


def datestyle() -> str:
    """The session DateStyle ('ISO, MDY' unless the session set another): date/time output."""
    return _DATESTYLE.get()


def intervalstyle() -> str:
    """The session IntervalStyle ('postgres' unless set): interval output."""
    return _INTERVALSTYLE.get()


def bytea_output() -> str:
    """The session bytea_output ('hex' unless set to 'escape'): bytea output."""
    return _BYTEA_OUTPUT.get()


def extra_float_digits() -> int:
    """The session's extra_float_digits (1 unless set): 0 or less asks for rounded float output."""
    return _EXTRA_FLOAT_DIGITS.get()


def transaction_now() -> dt.datetime:
    """now()/current_timestamp: the start of the current transaction (aware, UTC)."""
    v = _NOW.get()
    return v if v is not None else dt.datetime.now(dt.UTC)


def statement_now() -> dt.datetime:
    """statement_timestamp(); falls back to the transaction time."""
    v = _STMT_NOW.get()
    return v if v is not None else transaction_now()


@contextlib.contextmanager
def use(*, timezone: str | None = None, now: dt.datetime | None = None,
        statement_now: dt.datetime | None = None, datestyle: str | None = None,
        extra_float_digits: str | int | None = None, intervalstyle: str | None = None,
        bytea_output: str | None = None) -> Iterator[None]:
    """Run a block with these settings (None leaves a setting as it is)."""
    tokens = []
    if intervalstyle is not None:
        tokens.append((_INTERVALSTYLE, _INTERVALSTYLE.set(intervalstyle)))
    if bytea_output is not None:
        tokens.append((_BYTEA_OUTPUT, _BYTEA_OUTPUT.set(bytea_output)))
    if extra_float_digits is not None:
        tokens.append((_EXTRA_FLOAT_DIGITS, _EXTRA_FLOAT_DIGITS.set(int(extra_float_digits))))
    if timezone is not None:
        tokens.append((_TZ, _TZ.set(timezone)))
    if datestyle is not None:
        tokens.append((_DATESTYLE, _DATESTYLE.set(datestyle)))
    if now is not None:
        tokens.append((_NOW, _NOW.set(now if now.tzinfo else now.replace(tzinfo=dt.UTC))))
    if statement_now is not None:
        tokens.append((_STMT_NOW, _STMT_NOW.set(statement_now)))
    try:
        yield
    finally:
        for var, tok in reversed(tokens):
            var.reset(tok)


def set_timezone(name: str) -> None:
    """Set TimeZone for the current context (the session calls this on SET TIME ZONE)."""
    _TZ.set(name)
