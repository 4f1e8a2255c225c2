"""A session's cache of simple-query statements, planned once with their numbers as parameters.

A simple query is parsed and planned from its text each time it arrives; an OLTP client
that sends ``SELECT ... WHERE aid = 4711`` thousands of times a second with a different
number each time spends nearly all its time there. With the numbers lifted out
(helios_core.sql.constant_lifting) those statements share one text; the second time a
text is seen, it is prepared (as a protocol-level prepared statement would be) and from
then on runs as a prepared execution with the numbers bound as parameters.

Safety: a text is cached only after its statement ran successfully the ordinary way and
its prepared form describes the same result columns (names and types); a text the
prepared path cannot take stays uncached. An entry is used only under the conditions it
was planned under: the engine's plan generation (bumped by every DDL, GRANT/REVOKE,
branch merge), the session's branch, search_path, current role and the settings that
shape folded constants. On any change the entry is dropped, and the statement runs the
ordinary way again (so its errors keep their positions in the text the client sent). The
cache belongs to one session: plans never cross roles or branches, and cross sessions only
for bulk INSERTs, whose prepared form the server shares among sessions of the same stamp
(helios_core.sql.shared_statements).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import attrs
import pyarrow as pa

from helios_core import time_budget
from helios_core import types as sql_types
from helios_core.errors import HeliosError
from helios_core.session import PreparedStatement, Result
from helios_core.sql import prepared
from helios_core.sql.constant_lifting import Lifted, lift_constants
from helios_core.sql.shared_statements import of_engine, shareable

CAPACITY = 256  # texts per session
BULK_VALUES = 100  # a statement with this many lifted values is prepared the first time it ran well


@attrs.define
class Entry:
    seen: int = 0
    statement: PreparedStatement | None = None
    stamp: tuple = ()
    refused: bool = False  # the prepared path cannot take it: run the ordinary way


def stamp_of(session: Any) -> tuple:
    """What a cached plan depends on besides the text (made again only when a setting, the plan
    generation or the session's having temp tables changed)."""
    settings = session.settings_obj
    key = (settings.version, session.engine.plan_generation, bool(session.temp_tables))
    memo = session.stamp_memo
    if memo and memo[0] == key:
        return memo[1]
    values = settings.values
    stamp = (key[1], values.get("heliosdb.branch"), values.get("search_path"), session.user, key[2],
             values.get("timezone"), values.get("datestyle"))
    session.stamp_memo = (key, stamp)
    return stamp


class StatementCache:
    """Lifted text -> prepared statement, least recently used first out."""

    def __init__(self) -> None:
        self.entries: OrderedDict[tuple, Entry] = OrderedDict()
        self.hits = 0
        self.claim: tuple | None = None  # the shared bulk INSERT shape this session is preparing

    def lookup(self, session: Any, sql: str) -> tuple[Lifted | None, PreparedStatement | None]:
        """The lifted form of ``sql`` and, when it is cached and still valid, its prepared statement."""
        lifted = lift_constants(sql)
        if lifted is None:
            return None, None
        inline_write = time_budget.prepared_only()  # a protocol tries it on its event loop (time_budget)
        if inline_write and (not lifted.plain_rows or len(lifted.values) > prepared.INLINE_VALUES):
            time_budget.inline()
        entry = self.entries.get(lifted.key)
        if (entry is None or entry.statement is None and not entry.refused) and shareable(session, lifted, BULK_VALUES):
            stamp = stamp_of(session)
            key = _shared_key(session, lifted, stamp)
            if inline_write:  # a shape another session prepared; taking one may wait, preparing is long
                statement = of_engine(session.engine).prepared(key)
                if statement is None:
                    time_budget.inline()
            else:
                statement = of_engine(session.engine).take(session, key)
                self.claim = key if statement is None else None
            if statement is None and lifted.plain_rows:
                statement = self._prepare_plain_rows(session, lifted, stamp)
            if statement is not None and stamp_of(session) == stamp:
                self.entries[lifted.key] = Entry(seen=1, statement=statement, stamp=stamp)
                if len(self.entries) > CAPACITY:
                    self.entries.popitem(last=False)
                self.hits += 1
                return lifted, statement
        if entry is None or entry.statement is None:
            return lifted, None
        if entry.stamp != stamp_of(session):
            del self.entries[lifted.key]
            return lifted, None
        self.entries.move_to_end(lifted.key)
        self.hits += 1
        return lifted, entry.statement

    def peek(self, session: Any, sql: str) -> PreparedStatement | None:
        """``lookup``'s prepared statement when this session already holds a valid one, with no
        side effect (nothing shared or claimed, the order and the hit count unchanged)."""
        lifted = lift_constants(sql)
        entry = self.entries.get(lifted.key) if lifted is not None else None
        if entry is None or entry.statement is None or entry.stamp != stamp_of(session):
            return None
        return entry.statement

    def _prepare_plain_rows(self, session: Any, lifted: Lifted, stamp: tuple) -> PreparedStatement | None:
        """A bulk INSERT of plain literal rows this session claimed, prepared before its first run:
        its rows have only quoted strings and numbers, which the prepared path takes as the ordinary
        one does (tests/sql/test_bulk_insert_paths.py), so the shape is parsed once, not twice.
        None when it does not prepare: then it runs the ordinary way and is learned as any other."""
        try:
            stmt = prepared.prepare(session, lifted.text, param_types=list(lifted.types))
        except Exception:  # noqa: BLE001 - the ordinary run reports what is wrong with it
            return None
        if stamp_of(session) != stamp or stmt.columns is not None or stmt.plan.plan is not None:
            return None
        of_engine(session.engine).publish(session, self.claim, stmt)
        self.claim = None
        return stmt

    def learn(self, session: Any, lifted: Lifted, results: list[Result]) -> None:
        """After ``lifted``'s statement ran the ordinary way: cache it the second time it is seen."""
        entry = self.entries.get(lifted.key)
        stamp = stamp_of(session)
        if entry is None or entry.stamp != stamp:
            entry = self.entries[lifted.key] = Entry(stamp=stamp)
            if len(self.entries) > CAPACITY:
                self.entries.popitem(last=False)
        entry.seen += 1
        wanted = 1 if len(lifted.values) >= BULK_VALUES else 2  # a batch load repeats its shape: prepare at once
        if entry.refused or entry.seen < wanted or len(results) != 1 or results[0].copy is not None:
            return
        try:
            stmt = prepared.prepare(session, lifted.text, param_types=list(lifted.types))
        except Exception:  # noqa: BLE001 - not preparable in this form: keep running it the ordinary way
            stmt = None
        if stmt is not None and stamp_of(session) == stamp and _same_columns(stmt.columns, results[0].columns):
            entry.statement = stmt
        else:
            entry.refused = True
        if shareable(session, lifted, BULK_VALUES):
            shared = stmt if entry.statement is not None and stmt.plan.plan is None else None
            of_engine(session.engine).publish(session, _shared_key(session, lifted, stamp), shared)

    def settle(self, session: Any) -> None:
        """After a statement ran the ordinary way (well or not): a bulk INSERT this session
        claimed and did not prepare goes back to whoever sees it next."""
        if self.claim is not None:
            of_engine(session.engine).release(session, self.claim)
            self.claim = None

    def clear(self) -> None:
        self.entries.clear()


def prepare_shared(session: Any, sql: str, oids: Sequence[int], param_types: Sequence[str | None],
                   make: Callable[[], PreparedStatement], *, short: bool = False) -> PreparedStatement:
    """A protocol-level prepare (Parse) of a bulk INSERT with ``$n`` placeholders: made once for every
    session of the same stamp, as the lifted texts are (a driver that binds a batch's values sends
    the same 4,000-placeholder text on each of its connections); anything else is made here.
    ``short``: share it however few its placeholders (the runs of pipelined executions, whose
    short forms every new connection would otherwise parse and plan again)."""
    if (sql.count("$") < BULK_VALUES and not short) or session.temp_tables or sql.lstrip()[:6].lower() != "insert":
        return make()
    shared = of_engine(session.engine)
    key = (("parse", sql, tuple(oids), tuple(param_types)), stamp_of(session), session.database)
    statement = shared.take(session, key)
    if statement is not None:
        return statement
    try:
        statement = make()
    except BaseException:
        shared.release(session, key)
        raise
    shared.publish(session, key, statement if statement.plan.plan is None and stamp_of(session) == key[1] else None)
    return statement


def bad_string_position(sql: str, statement: PreparedStatement, values: Sequence[str]) -> int | None:
    """Where the quoted literal that a cached statement's input error is about stands in ``sql``
    (1-based), so the error points at it as it does when the statement runs the ordinary way:
    the first string value its parameter's type does not read."""
    for text, type_name in zip(values, statement.param_types, strict=False):
        quoted = "'" + text.replace("'", "''") + "'"
        at = sql.find(quoted)
        if at < 0 or not type_name:
            continue
        try:
            sql_types.parse_text(pa.array([text], pa.string()), type_name)
        except HeliosError:
            return at + 1
    return None


def _shared_key(session: Any, lifted: Lifted, stamp: tuple) -> tuple:
    return lifted.key, stamp, session.database


def _same_columns(a: list[Any] | None, b: list[Any] | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return [(c.name, c.type_name, c.typmod) for c in a] == [(c.name, c.type_name, c.typmod) for c in b]
