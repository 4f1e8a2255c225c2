"""LISTEN / NOTIFY / UNLISTEN and pg_notify(): messages between sessions of one database.

As in PostgreSQL, nothing happens before commit: NOTIFY and pg_notify() queue the message on
the session's transaction (a message sent twice in one transaction goes once), LISTEN and
UNLISTEN queue the change of subscription; at commit the subscriptions change first, then
each message goes to every session of the same database that listens on its channel (the
sender too). A rollback drops both. Each session keeps what it received in an inbox the
protocol empties when the client is not inside a transaction block (the PostgreSQL protocol
sends NotificationResponse then).

Known difference: ROLLBACK TO SAVEPOINT keeps the messages queued after the savepoint.
"""

from __future__ import annotations

import collections
import threading
from typing import Any

import attrs
import pyarrow as pa

from helios_core.errors import HeliosError
from helios_core.hookspecs import SqlFunction
from helios_core.session import Notification, Result
from helios_core.sql import functions as F
from helios_core.sql.catalog_views.functions import ACTIVE_SESSION

MAX_PAYLOAD = 8000  # bytes, PostgreSQL's NOTIFY_PAYLOAD_MAX_LENGTH - 1
MAX_CHANNEL = 63  # bytes: a channel is a name (NAMEDATALEN - 1)


class InvalidParameterValue(HeliosError):
    sqlstate = "22023"


@attrs.define
class SessionChannels:
    """One session's subscriptions, what its open transaction will send, and what it received."""

    listening: set[str] = attrs.Factory(set)
    pending_subscriptions: list[tuple[str, str | None]] = attrs.Factory(list)  # ("listen"|"unlisten", channel)
    outgoing: dict[tuple[str, str], None] = attrs.Factory(dict)  # ordered, deduplicated (channel, payload)
    inbox: collections.deque = attrs.Factory(collections.deque)
    lock: threading.Lock = attrs.Factory(threading.Lock)


def channels_of(session: Any) -> SessionChannels:
    state = getattr(session, "notify_channels", None)
    if state is None:
        state = session.notify_channels = SessionChannels()
    return state


def _check_channel(channel: str | None) -> str:
    if not channel:
        raise InvalidParameterValue("channel name cannot be empty")
    if len(channel.encode()) > MAX_CHANNEL:
        raise InvalidParameterValue("channel name too long")
    return channel


# ----------------------------------------------------------------------------------- statements
def notify(session: Any, channel: str | None, payload: str | None) -> None:
    """Queue a message for commit (NOTIFY, pg_notify)."""
    channel = _check_channel(channel)
    payload = payload or ""
    if len(payload.encode()) >= MAX_PAYLOAD:
        raise InvalidParameterValue("payload string too long")
    channels_of(session).outgoing[(channel, payload)] = None


def run(session: Any, kind: str, args: dict) -> Result:
    """LISTEN / UNLISTEN / NOTIFY as statements."""
    if kind == "notify":
        notify(session, args["channel"], args.get("payload"))
        return Result(command_tag="NOTIFY")
    state = channels_of(session)
    channel = args.get("channel")
    if kind == "listen":
        state.pending_subscriptions.append(("listen", _check_channel(channel)))
        return Result(command_tag="LISTEN")
    state.pending_subscriptions.append(("unlisten", channel))  # None: UNLISTEN *
    return Result(command_tag="UNLISTEN")


# ----------------------------------------------------------------------------------- transaction end
def at_transaction_end(session: Any, committed: bool) -> None:
    """Apply (commit) or drop (rollback) what the transaction queued."""
    state = getattr(session, "notify_channels", None)
    if state is None or not (state.pending_subscriptions or state.outgoing):
        return
    subscriptions, state.pending_subscriptions = state.pending_subscriptions, []
    outgoing, state.outgoing = list(state.outgoing), {}
    if not committed:
        return
    with state.lock:
        for op, channel in subscriptions:
            if op == "listen":
                state.listening.add(channel)
            elif channel is None:
                state.listening.clear()
            else:
                state.listening.discard(channel)
    if outgoing:
        _deliver(session, outgoing)


def _deliver(sender: Any, messages: list[tuple[str, str]]) -> None:
    for other in list(getattr(sender.engine, "sessions", {}).values()):
        state = getattr(other, "notify_channels", None)
        if state is None or not state.listening or getattr(other, "database", None) != sender.database:
            continue
        with state.lock:
            for channel, payload in messages:
                if channel in state.listening:
                    state.inbox.append(Notification(sender_pid=sender.pid, channel=channel, payload=payload))


def take(session: Any) -> list[Notification]:
    """Everything the session received so far, oldest first."""
    state = getattr(session, "notify_channels", None)
    if state is None or not state.inbox:
        return []
    with state.lock:
        out = list(state.inbox)
        state.inbox.clear()
    return out


def listening(session: Any) -> list[str]:
    state = getattr(session, "notify_channels", None)
    return sorted(state.listening) if state is not None else []


# ----------------------------------------------------------------------------------- SQL functions
def _active_session() -> Any:
    session = ACTIVE_SESSION.get()
    if session is None:
        raise HeliosError("pg_notify needs a session", sqlstate="55000")
    return session


def _pg_notify(args: list[pa.Array]) -> pa.Array:
    session = _active_session()
    channels, payloads = args[0].to_pylist(), args[1].to_pylist()
    for channel, payload in zip(channels, payloads, strict=True):
        notify(session, channel, payload)
    return pa.array([""] * len(channels), pa.string())  # void prints as an empty string, not NULL


def register_sql_functions() -> None:
    """pg_notify(channel, payload): NOTIFY with computed arguments."""
    F.register_function(SqlFunction(name="pg_notify", impl=_pg_notify, return_type="void",
                                    arg_types=["text", "text"], strict=False))
