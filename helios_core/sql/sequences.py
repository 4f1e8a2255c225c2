"""Sequences: CREATE/ALTER/DROP SEQUENCE, nextval/currval/setval/lastval, SERIAL and IDENTITY.

As in PostgreSQL, sequences are not transactional: a value handed out is never handed
out again, even when the transaction that took it rolls back. The definition is catalog
data of the branch (kind ``"sequence"``, key ``"schema.name"``, changed with DDL, so it
is transactional and branch-local); the counter lives in the engine (per database,
branch and sequence) and is persisted ahead, in blocks of ``_PERSIST_AHEAD`` values, in
catalog kind ``"sequence_state"`` by a short autonomous transaction. After a crash the
sequence continues past the persisted block, skipping at most that many values (PostgreSQL
does the same with its 32-value WAL log-ahead).
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import attrs

from helios_core.errors import HeliosError, UndefinedTable
from helios_core.sql import object_privileges as P
from helios_core.sql.temp_tables import map_schema

_PERSIST_AHEAD = 32
_LIMITS = {"smallint": (-32768, 32767), "integer": (-2147483648, 2147483647),
           "bigint": (-9223372036854775808, 9223372036854775807)}


class ObjectNotInPrerequisiteState(HeliosError):
    sqlstate = "55000"


class SequenceGeneratorLimitExceeded(HeliosError):
    sqlstate = "2200H"


@attrs.define
class _State:
    seq_id: str
    last_value: int
    is_called: bool
    persisted: int  # values up to here (in the direction of increment) may have been handed out


def make_definition(
    schema: str,
    name: str,
    *,
    data_type: str = "bigint",
    start: int | None = None,
    increment: int = 1,
    minvalue: int | None = None,
    maxvalue: int | None = None,
    cycle: bool = False,
    cache: int = 1,
    owned_by: str | None = None,
) -> dict:
    """A sequence's catalog record with PostgreSQL's defaults and checks."""
    if increment == 0:
        raise HeliosError("INCREMENT must not be zero", sqlstate="22023")
    lo, hi = _LIMITS.get(data_type, _LIMITS["bigint"])
    if minvalue is None:
        minvalue = 1 if increment > 0 else lo
    if maxvalue is None:
        maxvalue = hi if increment > 0 else -1
    if start is None:
        start = minvalue if increment > 0 else maxvalue
    if minvalue >= maxvalue:
        raise HeliosError(f"MINVALUE ({minvalue}) must be less than MAXVALUE ({maxvalue})", sqlstate="22023")
    if not minvalue <= start <= maxvalue:
        raise HeliosError(f"START value ({start}) cannot be {'less' if start < minvalue else 'greater'} than "
                          f"{'MINVALUE' if start < minvalue else 'MAXVALUE'} "
                          f"({minvalue if start < minvalue else maxvalue})", sqlstate="22023")
    return {"schema": schema, "name": name, "data_type": data_type, "start": start, "increment": increment,
            "minvalue": minvalue, "maxvalue": maxvalue, "cycle": cycle, "cache": cache,
            "owned_by": owned_by, "seq_id": uuid.uuid4().hex}


def redefined(d: dict, **changes: Any) -> dict:
    """A sequence's record with some options changed (ALTER SEQUENCE, identity columns): PostgreSQL's
    checks again, the same identity (seq_id, so its position stays), owner and grants."""
    base = {k: d[k] for k in ("data_type", "start", "increment", "minvalue", "maxvalue", "cycle", "cache",
                              "owned_by")}
    base.update(changes)
    new = make_definition(d["schema"], d["name"], **base)
    new["seq_id"] = d["seq_id"]
    new.update({k: d[k] for k in ("owner", "acl") if k in d})
    return new


def definition_from_options(schema: str, name: str, props: Any, data_type: Any = None,
                            base: dict | None = None) -> dict:
    """Build a definition from sqlglot's SequenceProperties (CREATE or ALTER SEQUENCE)."""
    kw: dict[str, Any] = {}
    if base:
        kw = {k: base[k] for k in ("data_type", "start", "increment", "minvalue", "maxvalue", "cycle", "cache",
                                   "owned_by")}
    if data_type is not None:
        kw["data_type"] = _type_name(data_type)
    if props is not None:
        for key in ("increment", "minvalue", "maxvalue", "start", "cache"):
            v = props.args.get(key)
            if v is not None and v.sql().upper() == "NO" and key in ("minvalue", "maxvalue"):
                kw[key] = None  # sqlglot reads "NO MINVALUE NO MAXVALUE" as MINVALUE = NO: the default
            elif v is not None:
                kw[key] = _int_of(v)
        owned = props.args.get("owned")
        if owned is not None:
            kw["owned_by"] = owned.sql(dialect="postgres")
        for opt in props.args.get("options") or []:
            text = str(opt.this).upper() if hasattr(opt, "this") else str(opt).upper()
            if text == "CYCLE":
                kw["cycle"] = True
            elif text == "NO CYCLE":
                kw["cycle"] = False
            elif text == "NO MINVALUE":
                kw["minvalue"] = None
            elif text == "NO MAXVALUE":
                kw["maxvalue"] = None
    return make_definition(schema, name, **kw)


def _int_of(node: Any) -> int:
    from sqlglot import exp

    if isinstance(node, exp.Neg):
        return -_int_of(node.this)
    if isinstance(node, exp.Literal):
        return int(node.this)
    return int(node.sql())


def _type_name(dt: Any) -> str:
    text = dt.sql(dialect="postgres").lower() if hasattr(dt, "sql") else str(dt).lower()
    if text in ("smallint", "int2"):
        return "smallint"
    if text in ("int", "integer", "int4"):
        return "integer"
    return "bigint"


# ------------------------------------------------------------------ name resolution
def resolve(session: Any, name: str, txn: Any = None) -> tuple[str, dict]:
    """'s' or 'schema.s' (as nextval's text/regclass argument) -> (key, definition); 42P01 if none."""
    txn = txn or session.tx.current()
    text = name.strip()
    parts = _name_parts(text)
    schemas = [map_schema(session, parts[0])] if len(parts) == 2 else session.search_path()
    seq = parts[-1]
    for schema in schemas:
        key = f"{schema}.{seq}"
        d = txn.catalog_get("sequence", key)
        if d is not None:
            return key, d
    raise UndefinedTable(f'relation "{text}" does not exist')


def _name_parts(text: str) -> list[str]:
    """The parts of a possibly qualified name: quoted ones kept as written (dots and "" inside them
    included), the others folded to lower case, as PostgreSQL reads regclass text."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    i = 0
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == '"' and text[i + 1:i + 2] == '"':
                current.append('"')
                i += 1
            elif ch == '"':
                quoted = False
            else:
                current.append(ch)
        elif ch == '"':
            quoted = True
        elif ch == ".":
            parts.append("".join(current))
            current = []
        else:
            current.append(ch.lower())
        i += 1
    parts.append("".join(current))
    return parts


def relation(schema: str, name: str, key: str, d: dict) -> Any:
    """``SELECT last_value, log_cnt, is_called FROM seq``: a sequence read as a one-row relation
    (pg_dump reads its state this way), without taking a value."""
    import pyarrow as pa

    from helios_core.sql import types
    from helios_core.sql.virtual_tables import VirtualTable

    def produce(session: Any) -> pa.Table:
        st = _load(session, key, d)
        return pa.table({"last_value": pa.array([st.last_value], pa.int64()), "log_cnt": pa.array([0], pa.int64()),
                         "is_called": pa.array([st.is_called], pa.bool_())})

    columns = [("last_value", types.INT8), ("log_cnt", types.INT8), ("is_called", types.BOOL)]
    return VirtualTable(schema=schema, name=name, columns=columns, produce=produce)


def reported_last_value(session: Any, key: str, d: dict) -> int | None:
    """pg_sequences.last_value: the last value handed out, NULL before the first nextval or
    without USAGE or SELECT on the sequence (as PostgreSQL reports it)."""
    ref = P.ObjectRef("sequence", d["name"], d["schema"])
    if not any(P.has_privilege(session, ref, letter) for letter in "Ur"):
        return None
    with session.engine.lock:
        st = _load(session, key, d)
        return st.last_value if st.is_called else None


def _cache_key(session: Any, key: str) -> tuple[str, str, str]:
    return (session.database, session.branch, key)


def _load(session: Any, key: str, d: dict) -> _State:
    engine = session.engine
    ck = _cache_key(session, key)
    st = engine.sequence_cache.get(ck)
    if st is not None and st.seq_id == d["seq_id"]:
        return st
    txn = engine.store.begin(session.database, session.branch)
    try:
        rec = txn.catalog_get("sequence_state", key)
    finally:
        txn.rollback()
    if rec is not None and rec.get("seq_id") == d["seq_id"]:
        st = _State(d["seq_id"], rec["persisted"], True, rec["persisted"])
        if rec.get("exact"):
            st = _State(d["seq_id"], rec["last_value"], rec["is_called"], rec["persisted"])
    else:
        st = _State(d["seq_id"], d["start"], False, d["start"] - d["increment"])
    engine.sequence_cache[ck] = st
    return st


def _persist(session: Any, key: str, st: _State, *, exact: bool = False) -> None:
    engine = session.engine
    txn = engine.store.begin(session.database, session.branch)
    try:
        txn.catalog_put("sequence_state", key, {"seq_id": st.seq_id, "persisted": st.persisted,
                                                "last_value": st.last_value, "is_called": st.is_called,
                                                "exact": exact})
        txn.commit()
    except BaseException:
        txn.rollback()
        raise


# the sequence advances of a statement that may be handed back and run again (see retry_log)
_RETRY_LOG: ContextVar[list | None] = ContextVar("helios_sequence_retry_log", default=None)


@contextmanager
def retry_log(session: Any) -> Iterator[list]:
    """Record the sequence values a statement takes while it is tried under a time budget; when
    it is handed back to run again elsewhere, ``give_back`` returns them, so that a retry the
    client never sees does not leave a gap (the first SERIAL id of a session being 2)."""
    log: list = []
    token = _RETRY_LOG.set(log)
    try:
        yield log
    finally:
        _RETRY_LOG.reset(token)


def give_back(session: Any, log: list) -> None:
    """Undo the advances in ``log``, newest first, where no other session has taken a value since."""
    with session.engine.lock:
        for st, before, after, key, currval_before, last_before in reversed(log):
            if (st.last_value, st.is_called) != after:
                continue  # another session went on from there: the values stay used
            st.last_value, st.is_called = before
            if currval_before is None:
                session.currvals.pop(key, None)
            else:
                session.currvals[key] = currval_before
            session.last_sequence = last_before
    log.clear()


def nextvals(session: Any, name: str, n: int, *, check_privilege: bool = True) -> list[int]:
    """n successive values of the sequence (one lock, one persist at most)."""
    key, d = resolve(session, name)
    if check_privilege:
        _check(session, d, "UW")
    inc, lo, hi = d["increment"], d["minvalue"], d["maxvalue"]
    out: list[int] = []
    log = _RETRY_LOG.get()
    with session.engine.lock:
        st = _load(session, key, d)
        v = st.last_value
        called = st.is_called
        if log is not None:
            log.append((st, (v, called), None, key, session.currvals.get(key), session.last_sequence))
        for _ in range(n):
            if called:
                v += inc
            called = True
            if v > hi or v < lo:
                if not d["cycle"]:
                    bound = "maximum" if v > hi else "minimum"
                    st.last_value, st.is_called = (out[-1], True) if out else (st.last_value, st.is_called)
                    raise SequenceGeneratorLimitExceeded(
                        f'nextval: reached {bound} value of sequence "{d["name"]}" ({hi if v > hi else lo})')
                v = lo if inc > 0 else hi
            out.append(v)
        st.last_value, st.is_called = v, True
        if log is not None:
            log[-1] = (*log[-1][:2], (v, True), *log[-1][3:])
        beyond = v > st.persisted if inc > 0 else v < st.persisted
        if beyond:
            st.persisted = v + inc * _PERSIST_AHEAD
            _persist(session, key, st)
    session.currvals[key] = out[-1]
    session.last_sequence = key
    return out


def nextval(session: Any, name: str) -> int:
    return nextvals(session, name, 1)[0]


def _check(session: Any, d: dict, any_of: str) -> None:
    """nextval needs USAGE or UPDATE, currval USAGE or SELECT, setval UPDATE (42501 otherwise)."""
    ref = P.ObjectRef("sequence", d["name"], d["schema"])
    if not any(P.has_privilege(session, ref, letter) for letter in any_of):
        raise P.denied(ref)


def currval(session: Any, name: str) -> int:
    key, d = resolve(session, name)
    _check(session, d, "Ur")
    if key not in session.currvals:
        raise ObjectNotInPrerequisiteState(f'currval of sequence "{d["name"]}" is not yet defined in this session')
    return session.currvals[key]


def lastval(session: Any) -> int:
    if session.last_sequence is None or session.last_sequence not in session.currvals:
        raise ObjectNotInPrerequisiteState("lastval is not yet defined in this session")
    return session.currvals[session.last_sequence]


def setval(session: Any, name: str, value: int, is_called: bool = True) -> int:
    key, d = resolve(session, name)
    _check(session, d, "w")
    if not d["minvalue"] <= value <= d["maxvalue"]:
        raise HeliosError(f'setval: value {value} is out of bounds for sequence "{d["name"]}" '
                          f'({d["minvalue"]}..{d["maxvalue"]})', sqlstate="22003")
    with session.engine.lock:
        st = _load(session, key, d)
        st.last_value, st.is_called = value, is_called
        st.persisted = value
        _persist(session, key, st, exact=True)
    if is_called:
        session.currvals[key] = value
        session.last_sequence = key
    return value


def restart(session: Any, key: str, d: dict, value: int | None = None) -> None:
    """ALTER SEQUENCE ... RESTART [WITH n]."""
    with session.engine.lock:
        st = _load(session, key, d)
        st.last_value = d["start"] if value is None else value
        st.is_called = False
        st.persisted = st.last_value - d["increment"]
        _persist(session, key, st, exact=True)


def forget(session: Any, key: str) -> None:
    with session.engine.lock:
        session.engine.sequence_cache.pop(_cache_key(session, key), None)


def persist_all(engine: Any) -> None:
    """At checkpoint/close: write each cached sequence's exact position, so a clean restart skips nothing."""
    with engine.lock:
        items = list(engine.sequence_cache.items())
        for (db, branch, key), st in items:
            try:
                if engine.store.get_branch(db, branch) is None:
                    continue
                txn = engine.store.begin(db, branch)
            except Exception:  # noqa: BLE001, S112 - database or branch dropped meanwhile
                continue
            try:
                d = txn.catalog_get("sequence", key)
                if d is None or d.get("seq_id") != st.seq_id:
                    txn.rollback()
                    continue
                txn.catalog_put("sequence_state", key, {"seq_id": st.seq_id, "persisted": st.persisted,
                                                        "last_value": st.last_value, "is_called": st.is_called,
                                                        "exact": True})
                txn.commit()
            except Exception:  # noqa: BLE001 - best effort: the persisted-ahead block stays valid
                txn.rollback()


# ------------------------------------------------------------------------------------ SQL functions
def _active_session() -> Any:
    from helios_core.sql.catalog_views.functions import ACTIVE_SESSION

    s = ACTIVE_SESSION.get()
    if s is None:
        raise HeliosError("sequence functions need a session", sqlstate="55000")
    return s


def _seq_name(v: Any) -> str:
    return str(v)


def _nextval(args: list) -> Any:
    import pyarrow as pa

    s = _active_session()
    names = args[0].to_pylist()
    out: list[int] = []
    for name, run in itertools.groupby(names):  # a run of one sequence: one lock, one persist
        out.extend(nextvals(s, _seq_name(name), len(list(run))))
    return pa.array(out, pa.int64())


def _currval(args: list) -> Any:
    import pyarrow as pa

    s = _active_session()
    return pa.array([currval(s, _seq_name(n)) for n in args[0].to_pylist()], pa.int64())


def _setval(args: list) -> Any:
    import pyarrow as pa

    s = _active_session()
    cols = [a.to_pylist() for a in args]
    out = []
    for i in range(len(cols[0])):
        called = bool(cols[2][i]) if len(cols) > 2 else True
        out.append(setval(s, _seq_name(cols[0][i]), int(cols[1][i]), called))
    return pa.array(out, pa.int64())


def _lastval(args: list) -> Any:
    import pyarrow as pa

    s = _active_session()
    n = len(args[0]) if args else 1
    return pa.array([lastval(s)] * n, pa.int64())


def _set_config(args: list) -> Any:
    import pyarrow as pa

    s = _active_session()
    cols = [a.to_pylist() for a in args]
    out = [s.set_config(cols[0][i], cols[1][i], bool(cols[2][i])) for i in range(len(cols[0]))]
    return pa.array(out, pa.string())


def register_sql_functions() -> None:
    """nextval/currval/setval/lastval/set_config: functions that act on the calling session."""
    from helios_core.hookspecs import SqlFunction
    from helios_core.sql import functions as F

    for fn in (
        SqlFunction(name="nextval", impl=_nextval, return_type="bigint", arg_types=["text"]),
        SqlFunction(name="currval", impl=_currval, return_type="bigint", arg_types=["text"]),
        SqlFunction(name="setval", impl=_setval, return_type="bigint", arg_types=None),
        SqlFunction(name="lastval", impl=_lastval, return_type="bigint", arg_types=[]),
        SqlFunction(name="set_config", impl=_set_config, return_type="text",
                    arg_types=["text", "text", "boolean"], strict=False),
    ):
        F.register_function(fn)
