"""Scalar expression compiler: sqlglot expression -> Compiled, evaluated on a RecordBatch.

Used by the planner for every expression and by the statement layer (C2) for WHERE / SET /
RETURNING / DEFAULT / CHECK::

    from helios_core.sql.expr import Scope, compile_scalar
    scope = Scope.of_table("t", [("id", types.INT4), ("v", types.TEXT)])   # alias="x" optional
    pred = compile_scalar(where_ast, scope, ctx)   # binds names now (42703/42702 ...)
    pred.type                                      # SqlType
    vec = pred.evaluate(batch, ctx)                # functions.Vec (may be scalar=True: a constant)
    mask = pred.array(batch, ctx)                  # full-length pa.Array

Column i of the scope is column i of the batch (extra trailing batch columns, e.g. a _rowid
appended by a scan, are ignored).  Subqueries inside the expression are planned against
the catalog seen through ``ctx`` and run at evaluation time.

Evaluation is vectorized: each node computes a whole Arrow array through
helios_core.sql.functions (D: operators, functions, casts with PostgreSQL semantics); only
correlated subqueries loop, once per distinct combination of the outer values they use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from helios_core.errors import HeliosError, UndefinedColumn
from helios_core.sql import types as T
from helios_core.sql.functions import numeric_wide as NW
from helios_core.sql.functions.vec import Vec

if TYPE_CHECKING:  # pragma: no cover
    from helios_core.sql.context import QueryContext


class AmbiguousColumn(HeliosError):
    sqlstate = "42702"


class GroupingError(HeliosError):
    sqlstate = "42803"


class CardinalityViolation(HeliosError):
    sqlstate = "21000"


# ------------------------------------------------------------------------------------ scopes
@attrs.define
class Field:
    """One column of an operator's output as SQL sees it."""

    name: str
    type: T.SqlType
    qualifier: str | None = None  # table alias that qualifies it (t.col)
    hidden: bool = False  # not expanded by * (e.g. _rowid, sort keys)
    # (schema, table) of a base table's column: a whole-row reference to its alias has the
    # table's row type
    relation: tuple[str, str] | None = None
    # (schema, table, column) a result column reads unchanged: RowDescription's table OID and
    # column number (pgJDBC's ResultSetMetaData, psycopg's ftable)
    origin: tuple[str, str, str] | None = None


@attrs.define(eq=False)
class Scope:
    """The names visible to an expression: the input columns plus enclosing queries' scopes."""

    fields: list[Field]
    outer: Scope | None = None
    # canonical expression key -> field index: group keys and aggregates after GROUP BY,
    # window results, so compiled expressions reuse already computed columns
    substitutions: dict[str, int] = attrs.Factory(dict)
    # the scope substitution keys are computed against (the pre-aggregation / pre-window scope)
    key_scope: Scope | None = None
    # after GROUP BY: a column of key_scope that is not grouped is an error (42803)
    strict_grouping: bool = False
    # correlated-subquery bookkeeping: indexes of this scope referenced from inner queries
    # (None = an inner query refers to a scope further out, so evaluate per row anyway)
    captured: set = attrs.Factory(set)
    # names of lateral/using-merged columns: name -> index preferred for unqualified lookups
    merged: dict[str, int] = attrs.Factory(dict)

    @classmethod
    def of_table(cls, name: str, columns: list[tuple[str, T.SqlType]], alias: str | None = None) -> Scope:
        q = alias or name
        return cls([Field(n, t, q) for n, t in columns])

    def find_local(self, name: str, qualifier: str | None) -> int | None:
        """Index of the column in this scope only; 42702 when ambiguous."""
        if qualifier is None and name in self.merged:
            return self.merged[name]
        hits = [
            i
            for i, f in enumerate(self.fields)
            if f.name == name and (qualifier is None or f.qualifier == qualifier)
        ]
        if not hits:
            return None
        if len(hits) > 1:
            raise AmbiguousColumn(f'column reference "{name}" is ambiguous')
        return hits[0]

    def has_qualifier(self, qualifier: str) -> bool:
        return any(f.qualifier == qualifier for f in self.fields)


@attrs.define(eq=False)
class Compiled:
    """A bound, typed expression; ``fn(batch, ctx) -> Vec``."""

    type: T.SqlType
    fn: Callable[[pa.RecordBatch, Any], Vec]
    const: Vec | None = None  # value when it depends on no row and nothing per execution
    column: int | None = None  # input column index when the expression is a bare column ref
    param: int | None = None  # $n index (0-based) when the expression is a bare parameter
    label: str = ""
    # (op, left, right) when this is exact + - * of numeric/integer operands: lets an aggregate
    # compute it in unscaled int64 (planner/decimal_fast.py) without building decimals
    arith: tuple | None = None
    # 1-based position of an untyped literal in the statement: its input errors point there
    position: int | None = None

    def evaluate(self, batch: pa.RecordBatch, ctx: Any) -> Vec:
        return self.fn(batch, ctx)

    def array(self, batch: pa.RecordBatch, ctx: Any) -> pa.Array:
        """Full-length result array for the batch."""
        v = self.fn(batch, ctx)
        if v.scalar:
            v = v.broadcast(batch.num_rows)
        return v.array


def compile_scalar(ast: exp.Expression, scope: Scope, ctx: QueryContext) -> Compiled:
    """Bind and compile one scalar expression against ``scope`` (see module docstring)."""
    from helios_core.sql.planner.builder import Builder

    return Builder(ctx).compile(ast, scope)


# ------------------------------------------------------------------------------------ helpers
def const_vec(value: Any, t: T.SqlType) -> Vec:
    """A scalar Vec from a Python value in ``t``'s Arrow representation."""
    if value is None:
        return Vec(pa.nulls(1, type=t.arrow_type), t, True)
    return Vec(pa.array([value], type=t.arrow_type), t, True)


def make_const(v: Vec, label: str = "") -> Compiled:
    return Compiled(v.type, lambda b, c, _v=v: _v, const=v, label=label)


def bool_mask(v: Vec, n: int) -> pa.Array:
    """A full-length boolean array (NULL kept) from a boolean Vec."""
    if v.scalar:
        v = v.broadcast(n)
    return v.array


def column_ref(idx: int, f: Field) -> Compiled:
    t = f.type

    def fn(b: pa.RecordBatch, c: Any, _i: int = idx, _t: T.SqlType = t) -> Vec:
        return Vec(b.column(_i), _t, False)

    return Compiled(t, fn, column=idx, label=f.name)


def outer_ref(depth: int, idx: int, f: Field) -> Compiled:
    t = f.type

    def fn(b: pa.RecordBatch, c: Any, _d: int = depth, _i: int = idx, _t: T.SqlType = t) -> Vec:
        row = c.outer_rows[-_d]
        return Vec(row[_i], _t, True)

    return Compiled(t, fn, label=f.name)


def canonical_key(node: exp.Expression, scope: Scope, memo: dict | None = None) -> str | None:
    """A string identifying an expression up to how its columns are spelled (t.a vs a).

    ``memo`` (id(node), id(scope)) -> key lets a caller that asks for every node of a tree
    (the compiler) pay once per node instead of once per node and ancestor.
    """
    try:
        return _key(node, scope, memo)
    except HeliosError:
        return None


def _key(n: Any, scope: Scope, memo: dict | None = None) -> str:
    if memo is not None and isinstance(n, exp.Expression):
        mk = (id(n), id(scope))
        hit = memo.get(mk)
        if hit is None:
            hit = memo[mk] = _key_of(n, scope, memo)
        return hit
    return _key_of(n, scope, memo)


def _key_of(n: Any, scope: Scope, memo: dict | None) -> str:
    if isinstance(n, exp.Column):
        if isinstance(n.this, exp.Star):
            if n.table and any(f.qualifier == n.table and not f.hidden for f in scope.fields):
                return f"#row.{n.table}"  # t.* as a value is t's whole row, as t alone
            raise HeliosError("star")
        try:
            depth, idx = resolve_position(scope, n)
        except HeliosError:
            if not n.table and any(f.qualifier == n.name and not f.hidden for f in scope.fields):
                return f"#row.{n.name}"  # a whole-row reference (json_agg(t))
            raise
        return f"#{depth}.{idx}"
    if isinstance(n, exp.Paren):
        return _key(n.this, scope, memo)
    if isinstance(n, exp.Expression):
        parts = [type(n).__name__]
        for k, v in n.args.items():
            if v is None or v is False or k == "_type":
                continue
            if isinstance(v, list):
                parts.append(k + "[" + ",".join(_key(x, scope, memo) for x in v) + "]")
            elif isinstance(v, exp.Expression):
                parts.append(k + "=" + _key(v, scope, memo))
            else:
                parts.append(f"{k}={v!r}")
        return "(" + " ".join(parts) + ")"
    return repr(n)


def resolve_position(scope: Scope, col: exp.Column) -> tuple[int, int]:
    name = col.name
    qual = col.table or None
    s: Scope | None = scope
    depth = 0
    while s is not None:
        idx = s.find_local(name, qual)
        if idx is not None:
            return depth, idx
        s = s.outer
        depth += 1
    raise UndefinedColumn(f'column "{qual + "." if qual else ""}{name}" does not exist')


def literal_type_and_value(node: exp.Literal) -> tuple[T.SqlType, Any]:
    text = node.this
    if node.is_string:
        return T.UNKNOWN, text
    s = str(text)
    try:
        iv = int(s)
    except ValueError:
        iv = None
    if iv is not None:
        if -(2**31) <= iv < 2**31:
            return T.INT4, iv
        if -(2**63) <= iv < 2**63:
            return T.INT8, iv
    import decimal

    d = decimal.Decimal(s)
    exp_ = d.as_tuple().exponent
    scale = max(0, -exp_) if isinstance(exp_, int) else 0
    if "e" in s.lower():
        d = d.normalize() if scale == 0 else d
        scale = max(0, -d.as_tuple().exponent)
        with decimal.localcontext() as dc:
            dc.prec = max(dc.prec, 2 * abs(d.adjusted()) + scale + 2)
            d = d.quantize(decimal.Decimal(1).scaleb(-scale))
    digits = len(d.as_tuple().digits)
    prec = max(digits, scale, 1)
    if prec > 76:  # beyond Arrow's decimals: a wide numeric (one text per value)
        return attrs.evolve(T.NUMERIC, arrow_type=NW.WIDE), NW.check_range(d)
    at = pa.decimal128(prec, scale) if prec <= 38 else pa.decimal256(prec, scale)
    return attrs.evolve(T.NUMERIC, arrow_type=at), d


def numeric_literal_vec(node: exp.Literal) -> Vec:
    t, v = literal_type_and_value(node)
    if t.name == "numeric":
        arr = pa.array([v], type=t.arrow_type) if pa.types.is_decimal(t.arrow_type) else \
            pa.ExtensionArray.from_storage(t.arrow_type, pa.array([NW.text_of(v)], pa.string()))
        return Vec(arr, T.NUMERIC, True)
    return const_vec(v, t)


def pc_filter_mask(mask: pa.Array) -> pa.Array:
    """NULL -> false, for filtering."""
    if mask.null_count:
        return pc.fill_null(mask, False)
    return mask


__all__ = [
    "AmbiguousColumn",
    "CardinalityViolation",
    "Compiled",
    "Field",
    "GroupingError",
    "Scope",
    "canonical_key",
    "compile_scalar",
    "const_vec",
]
