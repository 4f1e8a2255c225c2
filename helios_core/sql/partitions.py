"""Declarative partitioning (RANGE, LIST, HASH) as PostgreSQL does it.

A partitioned table (relkind 'p') holds no rows itself: its options name the strategy and
keys (``partition_by``: columns, or expressions over the row kept as SQL text with their
type) and its partitions (``partitions``); each partition is an ordinary table (or itself
partitioned) whose options name its parent and bound (``partition_of``,
``partition_bound``). Bound values are kept as one-value Arrow IPC streams, so any key
type round-trips (arrays, ranges, enums).

- Writes: rows inserted into the parent go to the partition whose bound accepts them
  (23514 "no partition of relation ... found for row" otherwise); a row written straight
  into a partition must satisfy its bound (23514 "new row ... violates partition
  constraint"); UPDATE and DELETE through the parent run on each partition in turn, and
  an updated row its partition no longer accepts moves to the one that does.
- Reads: the parent reads as the Append of its partitions; partitions whose bound
  cannot match the query block's WHERE terms (``key op constant``) are pruned at plan
  time, so EXPLAIN shows only the partitions read; terms whose values are parameters
  (``key = $1``) prune when the statement runs (``RuntimeGuard``).

Hash partitioning places rows as PostgreSQL does (``functions.pg_hash.row_hashes``: each
non-NULL key column's extended hash with PostgreSQL's partition seed, combined, modulo each
partition's modulus), so a row lands in the partition PostgreSQL puts it in, pruning by
``key = value`` picks that partition and ``satisfies_hash_partition`` agrees. Enum keys are
hashed by their label: deterministic, but not PostgreSQL's placement, which hashes the label's
OID (pg_hash lists the types that match).
"""

from __future__ import annotations

import base64
import contextvars
import functools
import itertools
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlglot
from sqlglot import exp

from helios_core.errors import FeatureNotSupported, HeliosError, UndefinedColumn, UndefinedTable
from helios_core.logical import nodes as L
from helios_core.session import Result
from helios_core.sql import constraints, foreign_tables, object_privileges
from helios_core.sql import types as T
from helios_core.sql.context import table_sql_columns
from helios_core.sql.expr import Field, Scope, compile_scalar
from helios_core.sql.functions import pg_hash
from helios_core.sql.operators.base import batch_of
from helios_core.sql.planner import system_columns
from helios_core.sql.row_security import policies as rls_policies
from helios_core.sql.temp_tables import is_temp_schema
from helios_core.sql.types import INT8, OID

MIN, MAX = "MINVALUE", "MAXVALUE"
_HASH_PRUNE_COMBOS = 256  # IN lists over hash keys prune up to this many value combinations

# rows an UPDATE through a partitioned table moves out of their partition: (root, new rows)
ROW_MOVES: contextvars.ContextVar[list | None] = contextvars.ContextVar("helios_row_moves", default=None)


class CheckViolation(HeliosError):
    sqlstate = "23514"


class InvalidTableDefinition(HeliosError):
    sqlstate = "42P16"


class InvalidObjectDefinition(HeliosError):
    sqlstate = "42P17"


# ------------------------------------------------------------------ catalog accessors
def spec(t: Any) -> dict | None:
    """{"strategy": "range"|"list"|"hash", "columns": [...]} of a partitioned table, else None."""
    return (t.options or {}).get("partition_by") if t is not None else None


def parent_of(t: Any) -> tuple[str, str] | None:
    p = (t.options or {}).get("partition_of") if t is not None else None
    return (p["schema"], p["name"]) if p else None


def bound(t: Any) -> dict | None:
    return (t.options or {}).get("partition_bound") if t is not None else None


def children(txn: Any, t: Any) -> list[Any]:
    """The partitions of ``t`` in PostgreSQL's order: by bound, the default partition last."""
    out = []
    for key in (t.options or {}).get("partitions", []):
        schema, _, name = key.partition(".")
        c = txn.get_table(schema, name)
        if c is not None and bound(c) is not None:
            out.append(c)
    return sorted(out, key=functools.cmp_to_key(lambda a, b: _cmp_partitions(t, a, b)))


def _cmp_partitions(parent: Any, a: Any, b: Any) -> int:
    ba, bb = bound(a), bound(b)
    if (ba["kind"] == "default") != (bb["kind"] == "default"):
        return 1 if ba["kind"] == "default" else -1
    if ba["kind"] == "range" and bb["kind"] == "range":
        return _cmp_bounds(parent, ba["from"], bb["from"])
    if ba["kind"] == "list" and bb["kind"] == "list":
        col = spec(parent)["columns"][0]
        la = sorted(_typed(parent, col, v) for v in ba["values"] if v is not None)
        lb = sorted(_typed(parent, col, v) for v in bb["values"] if v is not None)
        if not la or not lb:
            return (not la) - (not lb)  # a NULL-only partition after the others
        return _cmp_scalar(la[0], lb[0])
    if ba["kind"] == "hash" and bb["kind"] == "hash":
        return _cmp_scalar((ba["modulus"], ba["remainder"]), (bb["modulus"], bb["remainder"]))
    return 0


def leaves(txn: Any, t: Any) -> list[Any]:
    """The tables that hold the rows of ``t``: itself, or its partitions' leaves."""
    if spec(t) is None:
        return [t]
    return [leaf for c in children(txn, t) for leaf in leaves(txn, c)]


def ident(node: Any) -> str:
    """An identifier's name: unquoted names fold to lower case (as CREATE TABLE folds them)."""
    if isinstance(node, exp.Column):
        node = node.this
    if isinstance(node, exp.Identifier):
        return node.this if node.quoted else node.this.lower()
    return str(node.name if hasattr(node, "name") else node).lower()


def _ctypes(t: Any) -> dict[str, Any]:
    return dict(table_sql_columns(t))


def key_sql_type(t: Any, key: str) -> Any:
    """The SQL type of a partition key: its column's, or its expression's."""
    types = spec(t).get("types") or {}
    if key in types:
        return T.type_from_name(types[key])
    return _ctypes(t)[key]


def _key_arrow(t: Any, key: str) -> pa.DataType:
    c = t.column(key)
    return c.type if c is not None else key_sql_type(t, key).arrow_type


def _encode(arr: pa.Array) -> str:
    """A one-value array as text for the catalog (any Arrow type: arrays, ranges, enums too)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, pa.schema([("v", arr.type)])) as w:
        w.write_batch(pa.record_batch([arr], names=["v"]))
    return "arrow:" + base64.b64encode(sink.getvalue().to_pybytes()).decode()


@functools.lru_cache(maxsize=4096)
def _decode(text: str) -> pa.Array:
    return pa.ipc.open_stream(base64.b64decode(text[6:])).read_all().column(0).combine_chunks()


def _typed(t: Any, col: str, text: Any) -> Any:
    """A stored bound value back as a Python value of the key's type."""
    if text is None or text in (MIN, MAX):
        return text
    if isinstance(text, str) and text.startswith("arrow:"):
        return _decode(text)[0].as_py()
    return pa.array([text], pa.string()).cast(_key_arrow(t, col))[0].as_py()


def _scalar(t: Any, col: str, text: Any) -> pa.Scalar:
    if isinstance(text, str) and text.startswith("arrow:"):
        return _decode(text)[0]
    return pa.scalar(_typed(t, col, text), _key_arrow(t, col))


# ------------------------------------------------------------------ CREATE TABLE ... PARTITION BY
def spec_from_property(session: Any, txn: Any, prop: exp.PartitionedByProperty, table: str,
                       columns: list[Any]) -> dict:
    """The stored partitioning of CREATE TABLE's PARTITION BY: plain columns or expressions."""
    column_names = [c.name for c in columns]
    node = prop.this
    if isinstance(node, exp.List):
        strategy, keys = "list", list(node.expressions)
    elif isinstance(node, exp.Anonymous):
        strategy, keys = str(node.this).lower(), list(node.expressions)
    elif isinstance(node, exp.Func):
        strategy, keys = node.sql_name().lower(), list(node.expressions) or [node.this]
    else:
        raise FeatureNotSupported(f"PARTITION BY {node.sql(dialect='postgres')} is not supported")
    if strategy not in ("range", "list", "hash"):
        raise HeliosError(f'unrecognized partitioning strategy "{strategy}"', sqlstate="22023")
    if strategy == "list" and len(keys) > 1:
        raise InvalidObjectDefinition('cannot use "list" partition strategy with more than one column')
    cols: list[str] = []
    exprs: dict[str, str] = {}
    types: dict[str, str] = {}
    for k in keys:
        if isinstance(k, exp.Paren):
            k = k.this
        if isinstance(k, exp.Column) and not k.table:
            name = ident(k.this)
            if name not in column_names:
                raise UndefinedColumn(f'column "{name}" named in partition key does not exist')
            cols.append(name)
            continue
        text = k.sql(dialect="postgres", normalize_functions="lower")
        name = text  # how PostgreSQL shows the key in messages
        fields = [Field(c.name, T.type_from_name(c.metadata["sql_type"]) if (c.metadata or {}).get("sql_type")
                        else T.sql_type_of_arrow(c.type), table) for c in columns]
        compiled = compile_scalar(k.copy(), Scope(fields), session.context(txn))
        cols.append(name)
        exprs[name] = text
        types[name] = compiled.type.sql_name()
    if strategy == "hash":
        by_name = {c.name: c for c in columns}
        for name in cols:
            t = (T.type_from_name(types[name]) if name in types else
                 T.type_from_name(by_name[name].metadata["sql_type"]) if (by_name[name].metadata or {}).get("sql_type")
                 else T.sql_type_of_arrow(by_name[name].type))
            if t.name in pg_hash.NO_HASH:
                raise HeliosError(f'data type {t.base.sql_name()} has no default operator class for access method '
                                  '"hash"', sqlstate="42704",
                                  hint="You must specify a hash operator class or define a default hash operator "
                                       "class for the data type.")
    out: dict[str, Any] = {"strategy": strategy, "columns": cols}
    if exprs:
        out["exprs"] = exprs
        out["types"] = types
    return out


def check_unique_keys(name: str, spec_: dict, primary_key: list[str], uniques: list[dict]) -> None:
    """A unique constraint of a partitioned table must include every partition key column."""
    for kind, cols in [("PRIMARY KEY", primary_key)] * bool(primary_key) + [
            ("UNIQUE", u.get("columns", [])) for u in uniques]:
        for k in spec_["columns"]:
            if k not in cols:
                raise FeatureNotSupported(
                    "unique constraint on partitioned table must include all partitioning columns",
                    detail=f'{kind} constraint on table "{name}" lacks column "{k}" which is part of the '
                           "partition key.")


# ------------------------------------------------------------------ FOR VALUES ...
def bound_from_ast(session: Any, txn: Any, parent: Any, part_name: str, node: Any) -> dict:
    """The stored form of a partition bound, checked against the parent's strategy."""
    sp = spec(parent)
    if isinstance(node, exp.Var) and node.name.upper() == "DEFAULT":
        if sp["strategy"] == "hash":
            raise InvalidTableDefinition("a hash-partitioned table may not have a default partition")
        return {"kind": "default"}
    if not isinstance(node, exp.PartitionBoundSpec):
        raise FeatureNotSupported(f"partition bound {node.sql(dialect='postgres')} is not supported")
    strategy = sp["strategy"]
    keys = sp["columns"]
    if node.args.get("from_expressions") is not None:
        if strategy != "range":
            raise InvalidTableDefinition(f"invalid bound specification for a {strategy} partition")
        lo = _range_values(session, txn, parent, node.args["from_expressions"])
        hi = _range_values(session, txn, parent, node.args["to_expressions"])
        for side in (lo, hi):
            if len(side) != len(keys):
                raise InvalidTableDefinition("FROM must specify exactly one value per partitioning column"
                                             if side is lo else
                                             "TO must specify exactly one value per partitioning column")
        if _cmp_bounds(parent, lo, hi) >= 0:
            raise InvalidObjectDefinition(
                f'empty range bound specified for partition "{part_name}"',
                detail=f"Specified lower bound {render_values(parent, lo)} is greater than or equal to upper "
                       f"bound {render_values(parent, hi)}.")
        return {"kind": "range", "from": lo, "to": hi}
    this = node.this
    if isinstance(this, list):
        if strategy != "list":
            raise InvalidTableDefinition(f"invalid bound specification for a {strategy} partition")
        vals = []
        for v in this:
            val = _value(session, txn, parent, keys[0], v)
            if val not in vals:
                vals.append(val)
        return {"kind": "list", "values": vals}
    if strategy != "hash":
        raise InvalidTableDefinition(f"invalid bound specification for a {strategy} partition")
    modulus = int(this.name) if isinstance(this, exp.Literal) else 0
    remainder = int(node.expression.name) if isinstance(node.expression, exp.Literal) else -1
    check_hash_bound(modulus, remainder, InvalidTableDefinition)
    return {"kind": "hash", "modulus": modulus, "remainder": remainder}


def check_hash_bound(modulus: int, remainder: int, error: type[HeliosError]) -> None:
    """PostgreSQL's checks of a hash partition's (modulus, remainder): 42P16 in FOR VALUES WITH,
    22023 as satisfies_hash_partition's arguments (``error`` says which)."""
    if modulus <= 0:
        raise error("modulus for hash partition must be an integer value greater than zero")
    if remainder < 0:
        raise error("remainder for hash partition must be an integer value greater than or equal to zero")
    if remainder >= modulus:
        raise error("remainder for hash partition must be less than modulus")


def _range_values(session: Any, txn: Any, parent: Any, nodes: list) -> list:
    out = []
    keys = spec(parent)["columns"]
    for i, v in enumerate(nodes):
        word = v.name.upper() if isinstance(v, (exp.Var, exp.Column)) else ""
        if word in (MIN, MAX):
            out.append(word)
        else:
            out.append(_value(session, txn, parent, keys[min(i, len(keys) - 1)], v))
    return out


def _value(session: Any, txn: Any, parent: Any, col: str, node: Any) -> Any:
    """A bound expression evaluated and cast to the key column's type, kept as text."""
    if isinstance(node, exp.Null):
        return None
    ctx = session.context(txn)
    cast = exp.Cast(this=node.copy(), to=exp.DataType.build(key_sql_type(parent, col).stored_name(), dialect="postgres",
                                                            udt=True))
    v = compile_scalar(cast, Scope([]), ctx).evaluate(batch_of([], 1), ctx)
    arr = (v.broadcast(1).array if v.scalar else v.array)
    want = _key_arrow(parent, col)
    if arr.type != want:
        arr = arr.cast(want)
    if not arr[0].is_valid:
        return None
    return _encode(arr)


def _literal_text(t: Any, col: str, text: Any) -> str:
    if text is None:
        return "NULL"
    if text in (MIN, MAX):
        return text
    value = _typed(t, col, text)
    typ = _key_arrow(t, col)
    if pa.types.is_integer(typ) or pa.types.is_floating(typ) or pa.types.is_decimal(typ):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "'" + str(value).replace("'", "''") + "'"


def render_values(t: Any, vals: list) -> str:
    keys = spec(t)["columns"]
    return "(" + ", ".join(_literal_text(t, keys[min(i, len(keys) - 1)], v) for i, v in enumerate(vals)) + ")"


def render_bound(parent: Any, b: dict) -> str:
    """What pg_get_expr(relpartbound, oid) prints."""
    if b["kind"] == "default":
        return "DEFAULT"
    if b["kind"] == "range":
        return f"FOR VALUES FROM {render_values(parent, b['from'])} TO {render_values(parent, b['to'])}"
    if b["kind"] == "list":
        return "FOR VALUES IN " + render_values(parent, b["values"])
    return f"FOR VALUES WITH (modulus {b['modulus']}, remainder {b['remainder']})"


def _cmp_scalar(a: Any, b: Any) -> int:
    if a == b:
        return 0
    if a == MIN or b == MAX:
        return -1
    if a == MAX or b == MIN:
        return 1
    return -1 if a < b else 1


def _cmp_bounds(t: Any, a: list, b: list) -> int:
    keys = spec(t)["columns"]
    for i, (x, y) in enumerate(zip(a, b, strict=True)):
        c = _cmp_scalar(_typed(t, keys[i], x), _typed(t, keys[i], y))
        if c:
            return c
    return 0


def check_new_bound(txn: Any, parent: Any, part_name: str, b: dict) -> None:
    """Overlaps with the parent's other partitions (42P17), hash moduli (42P17)."""
    for other in children(txn, parent):
        ob = bound(other)
        if ob is None:
            continue
        if b["kind"] == "default":
            if ob["kind"] == "default":
                raise InvalidObjectDefinition(
                    f'partition "{part_name}" conflicts with existing default partition "{other.name}"')
            continue
        if ob["kind"] != b["kind"]:
            continue
        if b["kind"] == "range":
            if _cmp_bounds(parent, b["from"], ob["to"]) < 0 and _cmp_bounds(parent, ob["from"], b["to"]) < 0:
                raise InvalidObjectDefinition(f'partition "{part_name}" would overlap partition "{other.name}"')
        elif b["kind"] == "list":
            if any(v in ob["values"] for v in b["values"]):
                raise InvalidObjectDefinition(f'partition "{part_name}" would overlap partition "{other.name}"')
        else:
            m, om = b["modulus"], ob["modulus"]
            big, small = max(m, om), min(m, om)
            if big % small:
                raise InvalidObjectDefinition(
                    "every hash partition modulus must be a factor of the next larger modulus",
                    detail=f"The new modulus {m} is not a factor of {om}, the modulus of existing partition "
                           f'"{other.name}".' if m < om else
                           f'The new modulus {m} is not divisible by {om}, the modulus of existing partition '
                           f'"{other.name}".')
            if b["remainder"] % small == ob["remainder"] % small:
                raise InvalidObjectDefinition(f'partition "{part_name}" would overlap partition "{other.name}"')


# ------------------------------------------------------------------ row placement
def _key_arrays(t_parent: Any, batch: pa.RecordBatch, ctx: Any = None) -> list[pa.Array]:
    sp = spec(t_parent)
    exprs = sp.get("exprs") or {}
    out = []
    for k in sp["columns"]:
        if k not in exprs:
            out.append(batch.column(k))
            continue
        if ctx is None:
            raise FeatureNotSupported("evaluating an expression partition key here is not supported")
        fields = [Field(name, typ, t_parent.name) for name, typ in table_sql_columns(t_parent)]
        compiled = compile_scalar(sqlglot.parse_one(exprs[k], read="postgres"), Scope(fields), ctx)
        v = compiled.evaluate(batch_of([batch.column(f.name) for f in fields], batch.num_rows), ctx)
        arr = v.broadcast(batch.num_rows).array if v.scalar else v.array
        want = _key_arrow(t_parent, k)
        out.append(arr if arr.type == want else arr.cast(want))
    return out


def _ge(parent: Any, keys: list[pa.Array], vals: list, strict: bool) -> pa.Array:
    """Row key >= (or > when strict) a range bound, lexicographically (MINVALUE/MAXVALUE infinite)."""
    n = len(keys[0])
    names = spec(parent)["columns"]
    gt = pa.array([False] * n, pa.bool_())
    eq = pa.array([True] * n, pa.bool_())
    for i, (k, v) in enumerate(zip(keys, vals, strict=True)):
        if v == MIN:
            return pc.or_(gt, eq)
        if v == MAX:
            return gt
        s = _scalar(parent, names[i], v)
        gt = pc.or_(gt, pc.fill_null(pc.and_(eq, pc.greater(k, s)), False))
        eq = pc.fill_null(pc.and_(eq, pc.equal(k, s)), False)
    return gt if strict else pc.or_(gt, eq)


def _hash_remainders(parent: Any, keys: list[pa.Array], modulus: int, hashes: dict | None = None) -> Any:
    """Each row's remainder of PostgreSQL's partition hash (pg_hash.row_hashes) by ``modulus``;
    ``hashes`` keeps the row hashes for the other moduli of the same rows."""
    if hashes is None:
        hashes = {}
    if "rows" not in hashes:
        names = spec(parent)["columns"]
        hashes["rows"] = pg_hash.row_hashes([(hash_type(parent, k), arr)
                                             for k, arr in zip(names, keys, strict=True)])
    return hashes["rows"] % np.uint64(modulus)


def hash_type(parent: Any, key: str) -> Any:
    """The type whose hash function PostgreSQL's default hash opclass uses for this key."""
    return key_sql_type(parent, key)


def accepts(parent: Any, b: dict, batch: pa.RecordBatch, hashes: dict | None = None, ctx: Any = None,
            keys: list[pa.Array] | None = None) -> pa.Array:
    """Which rows of ``batch`` (the parent's columns) a non-default bound accepts."""
    if keys is None:
        keys = _key_arrays(parent, batch, ctx)
    if b["kind"] == "range":
        not_null = pa.array([True] * batch.num_rows, pa.bool_())
        for k in keys:
            not_null = pc.and_(not_null, pc.is_valid(k))
        inside = pc.and_(_ge(parent, keys, b["from"], False), pc.invert(_ge(parent, keys, b["to"], False)))
        return pc.and_(not_null, inside)
    if b["kind"] == "list":
        name = spec(parent)["columns"][0]
        vals = [_typed(parent, name, v) for v in b["values"] if v is not None]
        try:
            hit = pc.fill_null(pc.is_in(keys[0], value_set=pa.array(vals, keys[0].type)), False)
        except pa.ArrowNotImplementedError:  # nested key types (arrays, ranges): compare as Python values
            hit = pa.array([v is not None and v in vals for v in keys[0].to_pylist()], pa.bool_())
        if None in b["values"]:
            hit = pc.or_(hit, pc.is_null(keys[0]))
        return hit
    if hashes is None:
        hashes = {}
    m = b["modulus"]
    if m not in hashes:
        hashes[m] = _hash_remainders(parent, keys, m, hashes)
    return pa.array(hashes[m] == b["remainder"], pa.bool_())


def _subset(batch: pa.RecordBatch, mask: pa.Array) -> pa.RecordBatch:
    return batch.filter(mask)


def route(txn: Any, parent: Any, batch: pa.RecordBatch, ctx: Any = None) -> list[tuple[Any, pa.RecordBatch]]:
    """(leaf table, its rows) for rows of the parent's columns; 23514 when no partition takes one."""
    out: list[tuple[Any, pa.RecordBatch]] = []
    taken = pa.array([False] * batch.num_rows, pa.bool_())
    default = None
    hashes: dict = {}
    keys = _key_arrays(parent, batch, ctx)
    for c in children(txn, parent):
        b = bound(c)
        if b["kind"] == "default":
            default = c
            continue
        m = pc.and_(accepts(parent, b, batch, hashes, keys=keys), pc.invert(taken))
        if pc.any(m).as_py():
            taken = pc.or_(taken, m)
            out.extend(_descend(txn, c, batch.filter(m), ctx))
    rest = pc.invert(taken)
    if pc.any(rest).as_py():
        if default is None:
            first = pc.index(rest, True).as_py()
            names = spec(parent)["columns"]
            shown = ", ".join(_show(k[first].as_py()) for k in keys)
            raise CheckViolation(f'no partition of relation "{parent.name}" found for row',
                                 detail=f"Partition key of the failing row contains ({', '.join(names)}) = ({shown}).",
                                 schema_name=parent.schema, table_name=parent.name)
        out.extend(_descend(txn, default, batch.filter(rest), ctx))
    return out


def _descend(txn: Any, t: Any, rows: pa.RecordBatch, ctx: Any) -> list[tuple[Any, pa.RecordBatch]]:
    if spec(t) is not None:
        return route(txn, t, rows, ctx)
    foreign_tables.check_scan(txn, t)  # 55000: rows routed to a foreign partition need its handler
    return [(t, rows.select([c.name for c in t.columns]))]


def _show(v: Any) -> str:
    return "null" if v is None else str(v)


def violating_rows(txn: Any, t: Any, batch: pa.RecordBatch, ctx: Any = None) -> pa.Array | None:
    """Rows of a partition's new versions that its bound (or an ancestor's) rejects; None if all fit."""
    bad = None
    child = t
    while True:
        pk = parent_of(child)
        if pk is None:
            break
        parent = txn.get_table(*pk)
        if parent is None:
            break
        b = bound(child)
        if b["kind"] == "default":
            ok = pa.array([True] * batch.num_rows, pa.bool_())
            hashes: dict = {}
            keys = _key_arrays(parent, batch, ctx)
            for sib in children(txn, parent):
                sb = bound(sib)
                if sb["kind"] != "default":
                    ok = pc.and_(ok, pc.invert(accepts(parent, sb, batch, hashes, keys=keys)))
        else:
            ok = accepts(parent, b, batch, ctx=ctx)
        miss = pc.invert(ok)
        bad = miss if bad is None else pc.or_(bad, miss)
        child = parent
    if bad is None or not pc.any(bad).as_py():
        return None
    return bad


def check_rows_fit(txn: Any, t: Any, batch: pa.RecordBatch, ctx: Any = None) -> None:
    """A row written straight into a partition must satisfy its partition constraint (23514)."""
    bad = violating_rows(txn, t, batch, ctx)
    if bad is None:
        return
    row = batch.filter(bad).slice(0, 1).to_pylist()[0]
    shown = ", ".join(_show(row[c.name]) for c in t.columns)
    raise CheckViolation(f'new row for relation "{t.name}" violates partition constraint',
                         detail=f"Failing row contains ({shown}).", schema_name=t.schema, table_name=t.name)


def insert_rows(session: Any, txn: Any, ctx: Any, t: Any, batch: pa.RecordBatch) -> None:
    """INSERT/COPY into ``t``: routed when partitioned, checked when a partition."""
    if spec(t) is not None:
        for leaf, rows in route(txn, t, batch, ctx):
            constraints.check_new_rows(session, txn, ctx, leaf, rows)
            txn.insert(leaf.schema, leaf.name, rows)
        return
    if parent_of(t) is not None:
        check_rows_fit(txn, t, batch, ctx)
    constraints.check_new_rows(session, txn, ctx, t, batch)
    txn.insert(t.schema, t.name, batch)


# ------------------------------------------------------------------ reads: plan-time pruning
_OPS = {exp.EQ: "=", exp.LT: "<", exp.LTE: "<=", exp.GT: ">", exp.GTE: ">="}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}


def _key_conjuncts(node: exp.Expression, qual: str) -> list[tuple[str, str, list]]:
    """(column, op, value nodes) of the enclosing query block's WHERE terms ``column op value``."""
    select = node.find_ancestor(exp.Select, exp.Update, exp.Delete)
    where = select.args.get("where") if select is not None else None
    if where is None:
        return []
    out = []
    for conj in where.this.flatten() if isinstance(where.this, exp.And) else [where.this]:
        col, op, vals = None, None, None
        if type(conj) in _OPS:
            left, right = conj.this, conj.expression
            op = _OPS[type(conj)]
            if isinstance(right, exp.Column) and not isinstance(left, exp.Column):
                left, right, op = right, left, _FLIP[op]
            col, vals = left, [right]
        elif isinstance(conj, exp.In) and not conj.args.get("query") and not conj.args.get("not"):
            col, op, vals = conj.this, "in", list(conj.expressions)
        elif isinstance(conj, exp.Is) and isinstance(conj.expression, exp.Null):
            if not conj.args.get("negate") and _outer_joins(select):
                continue  # IS NULL holds for an outer join's NULL-extended rows: not a scan filter
            col, op, vals = conj.this, "notnull" if conj.args.get("negate") else "isnull", []
        if not isinstance(col, exp.Column) or (col.table and col.table != qual):
            continue
        out.append((ident(col.this), op, vals))
    return out


def _outer_joins(select: exp.Expression) -> bool:
    return any(j.args.get("side") for j in select.find_all(exp.Join))


def _is_parameter(v: exp.Expression) -> bool:
    return isinstance(v, (exp.Placeholder, exp.Parameter)) or (
        isinstance(v, exp.Cast) and isinstance(v.this, (exp.Placeholder, exp.Parameter)))


def where_terms(session: Any, txn: Any, parent: Any, node: exp.Expression, qual: str) -> dict[str, list]:
    """key column -> [(op, python value)] from the enclosing query block's constant WHERE terms."""
    keys = spec(parent)["columns"]
    out: dict[str, list] = {}
    for name, op, vals in _key_conjuncts(node, qual):
        if name not in keys or not all(isinstance(v, (exp.Literal, exp.Cast, exp.Neg)) and not _is_parameter(v)
                                       for v in vals):
            continue
        try:
            typed = [_typed(parent, name, _value(session, txn, parent, name, v)) for v in vals]
        except HeliosError:
            continue
        if any(v is None for v in typed):
            out.setdefault(name, []).append(("none", None))
        else:
            out.setdefault(name, []).append((op, typed))
    return out


def _allowed(v: Any, terms: list) -> bool:
    for op, vals in terms:
        if op in ("none", "isnull"):
            return False
        if op == "notnull":
            continue
        if op == "in":
            if v not in vals:
                return False
            continue
        x = vals[0]
        if not {"=": v == x, "<": v < x, "<=": v <= x, ">": v > x, ">=": v >= x}[op]:
            return False
    return True


def _range_may_match(parent: Any, b: dict, terms: dict[str, list]) -> bool:
    keys = spec(parent)["columns"]
    first = keys[0]
    t0 = terms.get(first)
    if not t0:
        return True
    lo, hi = _typed(parent, first, b["from"][0]), _typed(parent, first, b["to"][0])
    hi_inclusive = len(keys) > 1 and b["to"][1] != MIN
    for op, vals in t0:
        if op in ("none", "isnull"):  # a NULL key is only ever in the default partition
            return False
        if op == "notnull":
            continue
        if op in ("=", "in"):
            if not any(_cmp_scalar(lo, v) <= 0 and (_cmp_scalar(v, hi) < 0 or (hi_inclusive and v == hi))
                       for v in vals):
                return False
        elif op in ("<", "<="):
            c = _cmp_scalar(lo, vals[0])
            if c > 0 or (c == 0 and op == "<"):
                return False
        else:
            c = _cmp_scalar(vals[0], hi)
            if c > 0 or (c == 0 and not hi_inclusive) or (c == 0 and op == ">"):
                return False
    return True


def may_match(txn: Any, parent: Any, child: Any, terms: dict[str, list]) -> bool:
    """Can rows of ``child`` satisfy the WHERE terms? (False only when its bound rules it out.)"""
    b = bound(child)
    keys = spec(parent)["columns"]
    if b["kind"] == "range":
        return _range_may_match(parent, b, terms)
    if b["kind"] == "list":
        t0 = terms.get(keys[0])
        if not t0:
            return True
        vals = [_typed(parent, keys[0], v) for v in b["values"]]
        only_null = all(op == "isnull" for op, _ in t0)  # key IS NULL: the partition that takes NULL
        return any(_allowed(v, t0) if v is not None else only_null for v in vals)
    if b["kind"] == "hash":
        # every key bound by =: the partition of the values' hash; a one-column key bound by IN:
        # those of each value (PostgreSQL prunes an IN on one of several key columns no further)
        choices: list[list] = []
        for k in keys:
            if any(op == "isnull" for op, _ in terms.get(k, [])):
                choices.append([None])  # a NULL column is left out of the row's hash
                continue
            ts = [vals for op, vals in terms.get(k, [])
                  if op == "=" or (op == "in" and (len(keys) == 1 or len(vals) == 1))]
            if not ts:
                return True
            choices.append(min(ts, key=len))
        combos = list(itertools.islice(itertools.product(*choices), _HASH_PRUNE_COMBOS + 1))
        if len(combos) > _HASH_PRUNE_COMBOS:
            return True
        arrays = [pa.array([c[i] for c in combos], _key_arrow(parent, k)) for i, k in enumerate(keys)]
        return bool((_hash_remainders(parent, arrays, b["modulus"]) == b["remainder"]).any())
    # default: needed unless equality terms on the (first) key all land in other partitions
    t0 = terms.get(keys[0])
    if not t0 or len(keys) > 1 or spec(parent).get("exprs"):
        return True
    values = None
    for op, vals in t0:
        if op == "none":
            return False
        if op == "isnull":  # NULL keys go to the list partition that takes NULL, else here
            return not any(bound(sib)["kind"] == "list" and None in bound(sib)["values"]
                           for sib in children(txn, parent))
        if op in ("=", "in"):
            values = vals
    if values is None:
        return True
    batch = pa.RecordBatch.from_pydict({keys[0]: pa.array(values, _key_arrow(parent, keys[0]))})
    hashes: dict = {}
    for sib in children(txn, parent):
        sb = bound(sib)
        if sb["kind"] != "default":
            batch = batch.filter(pc.invert(accepts(parent, sb, batch, hashes)))
    return batch.num_rows > 0


def pruned_leaves(session: Any, txn: Any, t: Any, terms_of: Any) -> list[Any]:
    """Leaves of ``t`` that plan-time pruning keeps; ``terms_of(parent)`` gives WHERE terms."""
    if spec(t) is None:
        return [t]
    terms = terms_of(t)
    out = []
    for c in children(txn, t):
        if may_match(txn, t, c, terms):
            out.extend(pruned_leaves(session, txn, c, terms_of))
    return out


class RuntimeGuard:
    """Run-time pruning: before a partition's scan runs, the WHERE terms whose values are
    parameters (``key = $1``) are evaluated, and the scan is skipped when the partition's
    bound (or an ancestor's between it and the queried table) rules them out."""

    def __init__(self, path: list[tuple[Any, Any]], terms: list[tuple[str, str, list]]) -> None:
        self.path = path  # (parent, child) pairs from the queried table down to the leaf
        self.terms = terms  # (column, op, compiled values)

    def __call__(self, ctx: Any) -> bool:
        one = batch_of([], 1)
        values = []
        for name, op, compiled in self.terms:
            vals = [c.evaluate(one, ctx) for c in compiled]
            values.append((name, op, [(v.broadcast(1).array if v.scalar else v.array)[0] for v in vals]))
        for parent, child in self.path:
            keys = spec(parent)["columns"]
            terms: dict[str, list] = {}
            for name, op, scalars in values:
                if name not in keys:
                    continue
                try:
                    typed = [s.cast(_key_arrow(parent, name)).as_py() for s in scalars]
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                    continue
                terms.setdefault(name, []).append(("none", None) if None in typed else (op, typed))
            if terms and not may_match(ctx.txn, parent, child, terms):
                return False
        return True


def _runtime_terms(builder: Any, node: exp.Table, qual: str) -> list[tuple[str, str, list]]:
    out = []
    for name, op, vals in _key_conjuncts(node, qual):
        if vals and all(_is_parameter(v) for v in vals):
            try:
                out.append((name, op, [builder.compile(v.copy(), Scope([])) for v in vals]))
            except HeliosError:
                continue
    return out


def _paths(txn: Any, t: Any, leaf_keys: set) -> dict[tuple[str, str], list[tuple[Any, Any]]]:
    """For each leaf, the (parent, child) pairs from ``t`` down to it."""
    out: dict[tuple[str, str], list] = {}

    def walk(p: Any, trail: list) -> None:
        for c in children(txn, p):
            if spec(c) is None:
                out[(c.schema, c.name)] = [*trail, (p, c)]
            else:
                walk(c, [*trail, (p, c)])

    walk(t, [])
    return out


def scan_fields(builder: Any, src: Any, qual: str) -> tuple[list, list, bool, bool]:
    """What each scan below a parent reads: (needed columns, their fields with a hidden _rowid when
    the statement refers to it, whether it does, whether it refers to tableoid)."""
    all_cols = src.columns
    needed = [(n, t) for n, t in all_cols if builder.needs(qual, n)]
    with_rowid = (qual, "_rowid") in builder.refs or (None, "_rowid") in builder.refs
    if not needed and all_cols and not with_rowid:
        needed = [all_cols[0]]
    fields = [Field(n, t, qual, relation=(src.schema, src.name)) for n, t in needed]  # its row type's
    if with_rowid:
        fields.append(Field("_rowid", INT8, qual, hidden=True))
    want_oid = (qual, "tableoid") in builder.refs or (None, "tableoid") in builder.refs
    return needed, fields, with_rowid, want_oid


def plan_scan(builder: Any, node: exp.Table, src: Any, qual: str) -> Any:
    """The parent as the Append of the scans of the partitions its WHERE cannot rule out."""

    ctx = builder.ctx
    txn = ctx.txn
    session = ctx.session
    if node.args.get("version") is not None:
        raise FeatureNotSupported("time travel over a partitioned table is not supported")
    parent = src.table
    needed, fields, with_rowid, want_oid = scan_fields(builder, src, qual)
    scans = []
    kept = pruned_leaves(session, txn, parent, lambda p: where_terms(session, txn, p, node, qual))
    runtime = _runtime_terms(builder, node, qual) if len(kept) > 1 else []
    paths = _paths(txn, parent, set()) if runtime else {}
    for leaf in kept:
        foreign_tables.check_scan(txn, leaf)  # 55000: a foreign partition has no handler to read it with
        op = L.Scan(list(fields), leaf.schema, leaf.name, [n for n, _ in needed], with_rowid=with_rowid,
                    alias=qual, as_of=None, primary_key=list(leaf.primary_key))
        if runtime:
            op.guard = RuntimeGuard(paths[(leaf.schema, leaf.name)], runtime)
        if want_oid:
            op = system_columns.with_tableoid(op, qual, system_columns.table_oid(leaf, leaf.schema, leaf.name))
        scans.append(op)
    if len(scans) == 1:
        return scans[0]
    return L.SetOperation(list(scans[0].fields) if scans else _with_oid_field(fields, qual, want_oid),
                          "union", True, scans)


def _with_oid_field(fields: list, qual: str, want_oid: bool) -> list:
    return list(fields) + ([Field("tableoid", OID, qual, hidden=True)] if want_oid else [])


# ------------------------------------------------------------------ UPDATE / DELETE through the parent
def _constant_false(node: exp.Expression) -> bool:
    """A WHERE that no row satisfies whatever the data: FALSE or NULL, maybe parenthesized."""
    while isinstance(node, exp.Paren):
        node = node.this
    return isinstance(node, exp.Null) or (isinstance(node, exp.Boolean) and not node.this)


def each_partition(session: Any, ast: exp.Expression, parent: Any, run: Any) -> Any:
    """Run an UPDATE/DELETE on each leaf the WHERE may reach, as the parent (its name or alias)."""
    txn = session.tx.current()
    table = ast.this
    alias = table.args.get("alias")
    qual = ident(alias.this) if alias is not None else parent.name
    moves: list = []
    token = ROW_MOVES.set(moves) if isinstance(ast, exp.Update) else None
    total = 0
    kind = "UPDATE" if isinstance(ast, exp.Update) else "DELETE"
    results = []
    try:
        where = ast.args.get("where")
        never = where is not None and _constant_false(where.this)  # WHERE false: every leaf pruned, as PostgreSQL
        leaves = [] if never else pruned_leaves(session, txn, parent,
                                                lambda p: where_terms(session, txn, p, table, qual))
        for leaf in leaves:
            one = ast.copy()
            one.set("this", exp.Table(this=exp.to_identifier(leaf.name, quoted=True),
                                      db=exp.to_identifier(leaf.schema, quoted=True),
                                      alias=exp.TableAlias(this=exp.to_identifier(qual, quoted=True))))
            # privileges and policies are the named table's, as PostgreSQL checks them
            with rls_policies.through_parent(leaf, parent), object_privileges.dml_target(leaf.schema, leaf.name):
                r = run(session, one)
            total += int(r.command_tag.split()[-1])
            results.append(r)
    finally:
        if token is not None:
            ROW_MOVES.reset(token)
    for _root, rows in moves:
        insert_rows(session, txn, session.context(txn), parent, rows)
    batches = [b for r in results for b in (r.batches or [])]
    columns = next((r.columns for r in results if r.columns), None)
    if columns is None and results and results[0].columns is not None:
        columns = results[0].columns
    return Result(command_tag=f"{kind} {total}", columns=columns, batches=batches)


def split_moves(txn: Any, t: Any, new: pa.RecordBatch, ctx: Any = None) -> pa.Array | None:
    """UPDATE of a partition: rows that leave it. Outside a parent's UPDATE that is 23514."""
    if parent_of(t) is None:
        return None
    bad = violating_rows(txn, t, new, ctx)
    if bad is None:
        return None
    if ROW_MOVES.get() is None:
        check_rows_fit(txn, t, new, ctx)
    return bad


def note_moved(root: Any, rows: pa.RecordBatch) -> None:
    moves = ROW_MOVES.get()
    moves.append((root, rows))


# ------------------------------------------------------------------ ATTACH / DETACH, DROP, catalog
def attach(session: Any, txn: Any, parent: Any, part: Any, bound_node: Any) -> None:
    """ALTER TABLE parent ATTACH PARTITION part FOR VALUES ... (existing rows must fit)."""
    if spec(parent) is None:
        raise InvalidObjectDefinition(f'table "{parent.name}" is not partitioned')
    if parent_of(part) is not None:
        raise InvalidObjectDefinition(f'"{part.name}" is already a partition')
    check_persistence(parent, part.schema, attaching=True)
    if foreign_tables.definition(part) is not None:
        foreign_tables.refuse_foreign_partition(parent, attaching=part.name)
    pcols = {c.name: c.type for c in parent.columns}
    for c in part.columns:
        if c.name not in pcols:
            raise HeliosError(f'table "{part.name}" contains column "{c.name}" not found in parent "{parent.name}"',
                              sqlstate="42804", detail="The new partition may contain only the columns present in "
                                                       "parent.")
        if c.type != pcols[c.name]:
            raise HeliosError(f'child table "{part.name}" has different type for column "{c.name}"',
                              sqlstate="42804")
    for name in pcols:
        if part.column(name) is None:
            raise HeliosError(f'child table is missing column "{name}"', sqlstate="42804")
    _check_inherited_constraints(parent, part)
    b = bound_from_ast(session, txn, parent, part.name, bound_node)
    check_new_bound(txn, parent, part.name, b)
    _link(txn, parent, part, b)
    part = txn.get_table(part.schema, part.name)
    ctx = session.context(txn)
    for leaf in leaves(txn, part):
        for batch in txn.scan(leaf.schema, leaf.name):
            if batch.num_rows and violating_rows(txn, leaf, batch, ctx) is not None:
                raise CheckViolation(f'partition constraint of relation "{leaf.name}" is violated by some row',
                                     schema_name=leaf.schema, table_name=leaf.name)
    check_default_rows(txn, parent, ctx)


def check_persistence(parent: Any, schema: str, *, attaching: bool = False) -> None:
    """A permanent table cannot be a partition of a temporary one (42809 as PostgreSQL)."""
    if is_temp_schema(parent.schema) and not is_temp_schema(schema):
        what = "attach" if attaching else "create"
        raise HeliosError(f'cannot {what} a permanent relation as partition of temporary relation "{parent.name}"',
                          sqlstate="42809")


def _check_inherited_constraints(parent: Any, part: Any) -> None:
    """A table becoming a partition must already have its parent's NOT NULL columns and inheritable
    CHECK constraints (42804 as PostgreSQL: attaching adds none)."""
    for c in parent.columns:
        mine = part.column(c.name)
        if not c.nullable and mine is not None and mine.nullable:
            raise HeliosError(f'column "{c.name}" in child table must be marked NOT NULL', sqlstate="42804")
    mine_checks = {k["name"] for k in part.options.get("checks") or []}
    for ck in parent.options.get("checks") or []:
        if not ck.get("no_inherit") and ck["name"] not in mine_checks:
            raise HeliosError(f'child table is missing constraint "{ck["name"]}"', sqlstate="42804")


def check_default_rows(txn: Any, parent: Any, ctx: Any = None) -> None:
    """After a new partition: the default partition may not hold rows it now claims (23514)."""
    for c in children(txn, parent):
        if bound(c)["kind"] != "default":
            continue
        for leaf in leaves(txn, c):
            for batch in txn.scan(leaf.schema, leaf.name):
                if batch.num_rows and violating_rows(txn, leaf, batch, ctx) is not None:
                    raise CheckViolation(
                        f'updated partition constraint for default partition "{c.name}" would be violated by '
                        "some row", schema_name=c.schema, table_name=c.name)


def _link(txn: Any, parent: Any, part: Any, b: dict) -> None:
    have = list(parent.options.get("partitions", []))
    key = f"{part.schema}.{part.name}"
    if key not in have:
        have.append(key)
    txn.alter_table(parent.schema, parent.name, options={"partitions": have})
    txn.alter_table(part.schema, part.name, options={
        "partition_of": {"schema": parent.schema, "name": parent.name}, "partition_bound": b,
        "partition_bound_text": render_bound(parent, b)})


def detach(txn: Any, parent: Any, part_schema: str, part_name: str) -> None:
    part = txn.get_table(part_schema, part_name)
    if part is None:
        raise UndefinedTable(f'relation "{part_name}" does not exist')
    if parent_of(part) != (parent.schema, parent.name):
        raise UndefinedTable(f'relation "{part_name}" is not a partition of relation "{parent.name}"')
    unlink(txn, parent, part)
    txn.alter_table(part.schema, part.name, options={"partition_of": None, "partition_bound": None,
                                                     "partition_bound_text": None})


def unlink(txn: Any, parent: Any, part: Any) -> None:
    key = f"{part.schema}.{part.name}"
    have = [k for k in parent.options.get("partitions", []) if k != key]
    txn.alter_table(parent.schema, parent.name, options={"partitions": have})
