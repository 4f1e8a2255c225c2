"""Batch-load INSERT shapes prepared once for the whole server, not once per session.

A loader sends ``INSERT INTO t VALUES (...), (...) ...`` of 1,000 rows from many
connections, each a new session. The statement cache (helios_core.sql.statement_cache)
lifts the values out, so every batch has one text, but its entries belong to one session:
each new connection parsed its first 1,000-row statement twice (run, then prepare), about
half a second of CPU, all of it under the GIL, before its batches ran prepared. Here the
first session to see a shape claims it; sessions that see it meanwhile wait for it (at most
``WAIT_SECONDS``, and only outside a transaction block, so they hold no lock the claimer
could need); once the claimer's statement ran the ordinary way and prepared well, every
session with the same stamp takes a copy of it.

Only bulk INSERTs are shared (at least ``statement_cache.BULK_VALUES`` lifted values, no
query plan inside): an INSERT's prepared form is its parsed tree (read, never changed, by
executions) and its parameter types, nothing that runs. The key is the lifted text and the
stamp the session's own cache uses (plan generation, branch, search_path, current role,
TimeZone, DateStyle) plus the database, and sessions with temporary tables keep to their
own cache (their pg_temp schema is theirs). Privileges, constraints, triggers and row
security are checked when each execution runs, for the session that runs it.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import attrs

from helios_core import statement_gate

if TYPE_CHECKING:
    from helios_core.session import PreparedStatement
    from helios_core.sql.constant_lifting import Lifted

CAPACITY = 64  # shapes: a loader has a few (a full batch and the last, shorter one per table)
WAIT_SECONDS = 5.0


def _wait_ready(shape: _Shape) -> bool:
    """Wait (at most WAIT_SECONDS) for the session preparing ``shape``; the others run meanwhile."""
    with statement_gate.waiting():
        return shape.ready.wait(WAIT_SECONDS)


@attrs.define
class _Shape:
    ready: threading.Event = attrs.Factory(threading.Event)
    statement: PreparedStatement | None = None
    refused: bool = False  # its claimer could not prepare it: everyone runs it the ordinary way
    claimer: int = 0  # the session that is preparing it


def shareable(session: Any, lifted: Lifted, bulk_values: int) -> bool:
    """A bulk INSERT of a session without temporary tables."""
    return (len(lifted.values) >= bulk_values and not session.temp_tables
            and lifted.text.lstrip()[:6].lower() == "insert")


def of_engine(engine: Any) -> SharedStatements:
    """The engine's shared shapes (made on first use; they go with the engine)."""
    with _ENGINES_LOCK:
        shared = _ENGINES.get(engine)
        if shared is None:
            shared = _ENGINES[engine] = SharedStatements()
        return shared


class SharedStatements:
    """(lifted text, stamp, database) -> the prepared statement of a bulk INSERT."""

    def __init__(self) -> None:
        self._shapes: OrderedDict[tuple, _Shape] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, session: Any, key: tuple) -> PreparedStatement | None:
        """The shape's statement for ``session`` (a copy), after waiting for its claimer if need be;
        None when nobody has prepared it: then ``session`` claims it unless someone else did."""
        with self._lock:
            shape = self._shapes.get(key)
            if shape is None:
                self._shapes[key] = _Shape(claimer=session.pid)
                if len(self._shapes) > CAPACITY:
                    self._shapes.popitem(last=False)
                return None
            self._shapes.move_to_end(key)
        if shape.statement is None and not shape.refused and shape.claimer != session.pid \
                and not session.tx.in_block and not _wait_ready(shape):
            with self._lock:  # its claimer is stuck or gone: this session prepares it instead
                if self._shapes.get(key) is shape and shape.statement is None and not shape.refused:
                    shape.claimer = session.pid
                    return None
        statement = shape.statement
        return None if statement is None else _copy(statement)

    def prepared(self, key: tuple) -> PreparedStatement | None:
        """The shape's statement (a copy) if someone has prepared it; never waits nor claims."""
        with self._lock:
            shape = self._shapes.get(key)
            statement = shape.statement if shape is not None else None
        return None if statement is None else _copy(statement)

    def publish(self, session: Any, key: tuple, statement: PreparedStatement | None) -> None:
        """``session`` prepared the shape (None: it cannot be prepared)."""
        with self._lock:
            shape = self._shapes.get(key)
            if shape is None:
                shape = self._shapes[key] = _Shape(claimer=session.pid)
            if statement is None:
                shape.refused = True
            elif shape.statement is None:
                shape.statement = _copy(statement)
            shape.ready.set()

    def release(self, session: Any, key: tuple) -> None:
        """``session`` claimed the shape but its statement failed: the next session to see it claims it."""
        with self._lock:
            shape = self._shapes.get(key)
            if shape is not None and shape.statement is None and not shape.refused and shape.claimer == session.pid:
                del self._shapes[key]
                shape.ready.set()

    def clear(self) -> None:
        with self._lock:
            self._shapes.clear()


_ENGINES: weakref.WeakKeyDictionary[Any, SharedStatements] = weakref.WeakKeyDictionary()
_ENGINES_LOCK = threading.Lock()


def _copy(statement: PreparedStatement) -> PreparedStatement:
    """A session's own copy: the tree and types are shared, the execution counters and caches are not
    (the parameter layout of the VALUES rows and their columns' types are the same for everyone
    and are kept)."""
    pp = statement.plan
    kept = {k: v for k, v in pp.cache.items() if k in ("values_parameters", "values_targets")}
    return attrs.evolve(statement, plan=attrs.evolve(pp, cache=kept, executions=0),
                        param_type_oids=list(statement.param_type_oids), param_types=list(statement.param_types))
