"""Logical plan nodes: the relational algebra a bound query block becomes.

Every node has ``fields`` (its output columns as SQL sees them, ``expr.Field``) and
``children`` (its inputs, in order), the same shape as a physical operator, so the rules
and the lowering walk both alike. Expressions are already bound and compiled
(``expr.Compiled``): column ``i`` of an expression is column ``i`` of the node's input, so
a rule that moves an expression keeps the column layout it was compiled against.

``describe()`` is the one-line text of a node in ``display`` (rule docstrings and fixtures).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlglot import exp

if TYPE_CHECKING:  # pragma: no cover - the logical layer does not depend on the SQL package
    from helios_core.sql.expr import Compiled, Field


class LogicalNode:
    """Base class: ``fields`` out, ``children`` in."""

    fields: list[Field]
    children: list[Any]

    def __init__(self, fields: list[Field], children: list[Any] | None = None) -> None:
        self.fields = fields
        self.children = children or []

    @property
    def child(self) -> Any:
        return self.children[0]

    def describe(self) -> str:  # pragma: no cover - every node overrides it
        return type(self).__name__


def _names(fields: list[Field]) -> str:
    return ", ".join(f.name for f in fields if not f.hidden)


class ScanTerm:
    """One WHERE term bound over a scan: its expression and, when it is ``column op constant``
    in a type storage can compare, the pushed form(s) of it (``operators.scan.PushedTerm``;
    BETWEEN gives two)."""

    __slots__ = ("ast", "pushable")

    def __init__(self, ast: exp.Expression, pushable: list[Any] | None) -> None:
        self.ast = ast
        self.pushable = pushable

    @property
    def text(self) -> str:
        return self.ast.sql(dialect="postgres")  # printed only when shown: sqlglot's printer is slow


class Scan(LogicalNode):
    """Rows of a stored table (as of a timestamp when ``as_of`` is set).

    ``columns`` are the stored columns read (projection pushdown: only those the statement
    names). The pushdown rule fills ``prune_terms`` (segments whose min/max or bloom filter
    exclude them are never read), ``pk_lookup`` (a pinned primary key: a point read),
    ``index`` (a secondary index on a column the terms compare: (name, column, terms)) and
    ``residual`` (the terms the scan evaluates on the rows it reads). ``indexes`` lists the
    table's usable secondary indexes, (name, leading column, method, hypothetical), and
    ``unique_indexes`` the names of those that are unique on one plain column.
    """

    def __init__(self, fields: list[Field], schema: str, table: str, columns: list[str], *, with_rowid: bool,
                 alias: str, as_of: Compiled | None, primary_key: list[str]) -> None:
        super().__init__(fields)
        self.schema = schema
        self.table = table
        self.columns = columns
        self.with_rowid = with_rowid
        self.alias = alias
        self.as_of = as_of
        self.primary_key = primary_key
        self.key_name = f"{table}_pkey"  # the primary key's index, as EXPLAIN names it
        self.prune_terms: list[Any] = []
        self.pushed: list[Any] = []
        self.pk_lookup: list[tuple[str, Compiled]] | None = None
        self.indexes: list[tuple[str, str, str, bool]] = []
        self.unique_indexes: frozenset[str] = frozenset()
        self.index: tuple[str, str, list[Any]] | None = None
        self.residual: list[Compiled] = []
        self.residual_simple: list[int] = []  # residual[i] is ``column op constant`` (2: over strings): no side effects
        self.residual_pure = False  # every residual term is pure (logical/pure_terms.py)
        self.residual_text = ""
        self.guard: Any = None  # run-time partition pruning: callable(ctx) -> False skips the scan
        self.index_use: Any = None  # a condition a plugin index answers (sql/index_search.IndexUse)
        self.score = False  # the last field is the hidden score of that index's search

    def describe(self) -> str:
        name = self.table if self.alias == self.table else f"{self.table} {self.alias}"
        out = f"Scan {name} [{', '.join(self.columns)}]"
        if self.index_use is not None:
            out += f" index {self.index_use.index['name']}: {self.index_use.text}"
        if self.pk_lookup:
            out += " key: " + ", ".join(k for k, _ in self.pk_lookup)
        if self.index:
            out += f" index: {self.index[0]}"
        if self.prune_terms:
            out += " prune: " + ", ".join(t.text for t in self.prune_terms)
        if self.residual_text:
            out += " filter: " + self.residual_text
        return out


class Filter(LogicalNode):
    """Rows of the input where every term is true. ``scan_terms`` is set when the input is a
    scan and the terms were bound for pushdown (see rules.push_filters_into_scans); then
    ``parts[i]`` is the compiled ``scan_terms[i]``, and the text is theirs, printed on demand.

    A part may be compiled on first use (``deferred(i)``): a key equality that a point read
    answers is never evaluated as a predicate, so it is not compiled unless it has to be.
    """

    def __init__(self, child: Any, parts: list[Compiled | None], text: str = "",
                 scan_terms: list[ScanTerm] | None = None,
                 deferred: Callable[[int], Compiled] | None = None) -> None:
        super().__init__(child.fields, [child])
        self.bound_parts = parts  # None: not compiled yet
        self.deferred = deferred
        self._text = text or (None if scan_terms is not None else parts[0].label)  # type: ignore[union-attr]
        self.scan_terms = scan_terms

    def part(self, i: int) -> Compiled:
        p = self.bound_parts[i]
        if p is None:
            p = self.bound_parts[i] = self.deferred(i)  # type: ignore[misc]
        return p

    @property
    def parts(self) -> list[Compiled]:
        return [self.part(i) for i in range(len(self.bound_parts))]

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = " AND ".join(t.text for t in self.scan_terms or [])
        return self._text

    def describe(self) -> str:
        return f"Filter {self.text}"


class Project(LogicalNode):
    """One output column per compiled expression."""

    def __init__(self, child: Any, exprs: list[Compiled], fields: list[Field]) -> None:
        super().__init__(fields, [child])
        self.exprs = exprs

    def describe(self) -> str:
        return "Project " + ", ".join(e.label or f.name for e, f in zip(self.exprs, self.fields, strict=False)
                                      if not f.hidden)


class Join(LogicalNode):
    """``kind`` is inner, left, right, full, semi or anti. ``lkeys``/``rkeys`` are equality keys
    (each side compiled against its own input); ``residual`` is compiled against both inputs'
    fields side by side. ``lateral`` holds the left columns a LATERAL right side reads."""

    def __init__(self, fields: list[Field], left: Any, right: Any, kind: str, lkeys: list[Compiled],
                 rkeys: list[Compiled], residual: Compiled | None, key_text: str = "",
                 lateral: set | None = None) -> None:
        super().__init__(fields, [left, right])
        self.kind = kind
        self.lkeys = lkeys
        self.rkeys = rkeys
        self.residual = residual
        self.key_text = key_text
        self.lateral = lateral

    def describe(self) -> str:
        out = f"Join {self.kind}"
        if self.lateral is not None:
            out += " lateral"
        if self.key_text:
            out += f" on {self.key_text}"
        if self.residual is not None:
            out += f" filter {self.residual.label}"
        return out


class Aggregate(LogicalNode):
    """GROUP BY ``keys`` (grouping ``sets`` when given) computing ``aggs`` (aggregates.AggSpec)."""

    def __init__(self, fields: list[Field], child: Any, keys: list[Compiled], aggs: list[Any],
                 sets: list[list[int]] | None, grouping_calls: list[list[int]]) -> None:
        super().__init__(fields, [child])
        self.keys = keys
        self.aggs = aggs
        self.sets = sets
        self.grouping_calls = grouping_calls

    def describe(self) -> str:
        keys = ", ".join(k.label for k in self.keys)
        return f"Aggregate [{keys}] " + ", ".join(a.label or a.name for a in self.aggs)


class Window(LogicalNode):
    """The input's columns plus one column per window function (windows.WindowSpec)."""

    def __init__(self, fields: list[Field], child: Any, specs: list[Any]) -> None:
        super().__init__(fields, [child])
        self.specs = specs

    def describe(self) -> str:
        return "Window " + ", ".join(s.name for s in self.specs)


class Sort(LogicalNode):
    """Rows in the order of ``keys`` (operators.sort.SortKey: column index, direction, nulls)."""

    def __init__(self, child: Any, keys: list[Any]) -> None:
        super().__init__(child.fields, [child])
        self.keys = keys

    def describe(self) -> str:
        return "Sort " + ", ".join((k.text or f"#{k.index}") + (" DESC" if k.descending else "") for k in self.keys)


class Distinct(LogicalNode):
    """Duplicates removed: on the first ``visible`` columns, or on ``on`` (DISTINCT ON, keeping
    the first row of each group in input order)."""

    def __init__(self, child: Any, on: list[int] | None = None, visible: int | None = None) -> None:
        super().__init__(child.fields, [child])
        self.on = on
        self.visible = visible

    def describe(self) -> str:
        return "Distinct" if self.on is None else "Distinct on " + ", ".join(f"#{i}" for i in self.on)


class Limit(LogicalNode):
    """OFFSET then LIMIT (each compiled, evaluated once per execution); ``ties`` are the sort
    key columns of FETCH ... WITH TIES."""

    def __init__(self, child: Any, limit: Compiled | None, offset: Compiled | None,
                 ties: list[int] | None = None) -> None:
        super().__init__(child.fields, [child])
        self.limit = limit
        self.offset = offset
        self.ties = ties

    def describe(self) -> str:
        parts = []
        if self.limit is not None:
            parts.append(f"limit {self.limit.label or '?'}")
        if self.offset is not None:
            parts.append(f"offset {self.offset.label or '?'}")
        return "Limit " + " ".join(parts)


class SetOperation(LogicalNode):
    """UNION, INTERSECT or EXCEPT of inputs with one column layout; UNION ALL may have many."""

    def __init__(self, fields: list[Field], kind: str, all_: bool, children: list[Any]) -> None:
        super().__init__(fields, children)
        self.kind = kind
        self.all = all_

    def describe(self) -> str:
        return f"{self.kind.capitalize()}{' all' if self.all else ''}"


class Values(LogicalNode):
    """Literal rows (VALUES lists): one compiled expression per cell."""

    def __init__(self, fields: list[Field], rows: list[list[Compiled]]) -> None:
        super().__init__(fields)
        self.rows = rows

    def describe(self) -> str:
        return f"Values {len(self.rows)} rows [{_names(self.fields)}]"


class CommonTable(LogicalNode):
    """A WITH query's body, computed at most once per execution whatever reads it (again per
    outer row when it reads an outer query's columns). Reached through its ``CteScan``s only."""

    def __init__(self, child: Any, name: str, per_outer_row: bool) -> None:
        super().__init__(child.fields, [child])
        self.name = name
        self.per_outer_row = per_outer_row

    def describe(self) -> str:
        return f"CommonTable {self.name}"


class CteScan(LogicalNode):
    """A reference to a common table; the body is planned once, not once per reference."""

    def __init__(self, table: CommonTable, fields: list[Field]) -> None:
        super().__init__(fields)
        self.table = table

    def describe(self) -> str:
        return f"CteScan {self.table.name}"
