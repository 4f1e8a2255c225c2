"""WITH RECURSIVE ... SEARCH and CYCLE clauses, rewritten into columns of the recursive query.

PostgreSQL's rewriter turns the clauses into ordinary SQL (rewriteSearchCycle.c), and so does
this module, on the sqlglot tree:

- ``SEARCH DEPTH FIRST BY c SET seq``: seq is ``ARRAY[ROW(c)]`` in the non-recursive term and the
  parent's seq ``|| ARRAY[ROW(c)]`` in the recursive one (ordering by seq is depth-first order);
- ``SEARCH BREADTH FIRST BY c SET seq``: seq is ``ROW(depth, c)``, depth 0 then the parent's + 1;
- ``CYCLE c SET mark [TO v DEFAULT d] USING path``: path collects ``ROW(c)`` of the rows so far;
  mark is v when the new row's ``ROW(c)`` is already in its parent's path, and the recursive term
  does not extend rows whose mark is v, so a cycle ends the recursion.

The recursive term is wrapped in a subquery that also reads the parent's seq/path/mark from its
reference to the CTE; the new columns are appended to the CTE's column list.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import exp

from helios_core.errors import FeatureNotSupported, HeliosError

PREV = "__helios_prev_"


def _col(table: str, name: str) -> exp.Column:
    return exp.Column(this=exp.to_identifier(name, quoted=True), table=exp.to_identifier(table, quoted=True))


def _row(table: str, names: list[str]) -> exp.Expression:
    return exp.Anonymous(this="row", expressions=[_col(table, n) for n in names])


def _names(node: exp.Expression | None) -> list[str]:
    if node is None:
        return []
    if isinstance(node, exp.Tuple):
        return [e.name for e in node.expressions]
    return [node.name]


def _self_reference(rec: exp.Select, name: str) -> str:
    """The alias under which the recursive term reads the CTE itself."""
    own = rec.args.get("with_") or rec.args.get("with")
    hidden = own is not None and name in [c.alias_or_name for c in own.expressions]  # its WITH's x is not x
    for t in [] if hidden else rec.find_all(exp.Table):
        if t.name == name and not t.args.get("db") and t.parent_select is rec:
            return t.alias_or_name
    raise FeatureNotSupported(f'with a SEARCH or CYCLE clause, the recursive reference to WITH query "{name}" '
                              "must be at the top level of its right-hand SELECT")


def _at(clause: exp.Expression) -> int | None:
    """Where PostgreSQL points for an error of a SEARCH/CYCLE clause: its keyword."""
    start = clause.meta.get("keyword_start") if clause.meta else None
    return start + 1 if isinstance(start, int) else None


def _unwrapped(term: exp.Expression) -> exp.Expression:
    while isinstance(term, (exp.Subquery, exp.Paren)) and not term.args.get("alias"):
        term = term.this
    return term


def _expand_stars(rec: exp.Select, name: str, ref: str, cols: list[str]) -> exp.Select:
    """``*`` in the recursive term names the CTE's own columns only (PostgreSQL expands it before it
    adds the SEARCH/CYCLE columns): the self-reference's part of a star is written out."""
    from_ = rec.args.get("from_") or rec.args.get("from")
    joins = rec.args.get("joins") or []
    if from_ is None or any(j.args.get("using") or j.args.get("method") for j in joins):
        return rec
    items = [from_.this] + [j.this for j in joins]
    out: list[exp.Expression] = []
    for e in rec.expressions:
        if isinstance(e, exp.Star):
            for it in items:
                if isinstance(it, exp.Table) and it.name == name and not it.args.get("db"):
                    out += [_col(ref, c) for c in cols]
                else:
                    out.append(exp.Column(this=exp.Star(), table=exp.to_identifier(it.alias_or_name)))
        elif isinstance(e, exp.Column) and isinstance(e.this, exp.Star) and e.table == ref:
            out += [_col(ref, c) for c in cols]
        else:
            out.append(e)
    rec.set("expressions", out)
    return rec


def rewrite(cte: exp.CTE, clauses: list[exp.RecursiveWithSearch], recursive: bool,
            columns: list[str], anchor_names: Callable[[exp.Expression], list[str]]
            ) -> tuple[exp.Expression, list[str]]:
    """The CTE's body and column list with the SEARCH/CYCLE columns built in."""
    name = cte.alias_or_name
    body = cte.this
    if not recursive:
        raise HeliosError("WITH query is not recursive", sqlstate="42601")
    if not isinstance(body, exp.Union) or isinstance(body, (exp.Intersect, exp.Except)):
        raise HeliosError("with a SEARCH or CYCLE clause, the recursive query must be a UNION [ALL] of a "
                          "non-recursive and a recursive term", sqlstate="0A000")
    anchor, rec = body.this, _unwrapped(body.expression)
    if isinstance(_unwrapped(anchor), exp.SetOperation):
        raise HeliosError("with a SEARCH or CYCLE clause, the left side of the UNION must be a SELECT",
                          sqlstate="0A000")
    if not isinstance(rec, exp.Select):
        raise HeliosError("with a SEARCH or CYCLE clause, the right side of the UNION must be a SELECT",
                          sqlstate="0A000")
    cols = list(columns) or anchor_names(anchor)
    for c in clauses:
        what = "cycle" if c.args.get("kind") == "CYCLE" else "search"
        keys = _names(c.this)
        for n in keys:
            if n not in cols:
                raise HeliosError(f'{what} column "{n}" not in WITH query column list', sqlstate="42601",
                                  position=_at(c))
            if keys.count(n) > 1:
                raise HeliosError(f'{what} column "{n}" specified more than once', sqlstate="42701",
                                  position=_at(c))
    search = next((c for c in clauses if c.args.get("kind") in ("DEPTH", "BREADTH")), None)
    cycle = next((c for c in clauses if c.args.get("kind") == "CYCLE"), None)
    if search is not None and cycle is not None:
        seq = search.expression.name
        for n, what in ((cycle.expression.name, "cycle mark"), (cycle.args["using"].name, "cycle path")):
            if seq == n:
                raise HeliosError(f"search sequence column name and {what} column name are the same",
                                  sqlstate="42601", position=_at(search))
    ref = _self_reference(rec, name)
    rec = _expand_stars(rec.copy(), name, ref, cols)
    a_extra: list[exp.Expression] = []
    r_extra: list[exp.Expression] = []
    inner: list[str] = []
    out = list(cols)
    for c in clauses:
        keys = _names(c.this)
        kind = c.args.get("kind")
        if kind in ("DEPTH", "BREADTH"):
            seq = c.expression.name
            if seq in out:
                raise HeliosError(f'search sequence column name "{seq}" already used in WITH query column list',
                                  sqlstate="42601", position=_at(c))
            prev = PREV + seq
            rec.select(exp.alias_(_col(ref, seq), prev, quoted=True), copy=False)
            inner.append(prev)
            if kind == "DEPTH":
                a_extra.append(exp.Array(expressions=[_row("_a", keys)]))
                r_extra.append(exp.DPipe(this=_col("_r", prev), expression=exp.Array(expressions=[_row("_r", keys)])))
            else:
                zero = exp.Cast(this=exp.Literal.number(0), to=exp.DataType.build("bigint"))
                a_extra.append(exp.Anonymous(this="row", expressions=[zero, *(_col("_a", k) for k in keys)]))
                depth = exp.Add(this=exp.Dot(this=exp.Paren(this=_col("_r", prev)), expression=exp.to_identifier("f1")),
                                expression=exp.Literal.number(1))
                r_extra.append(exp.Anonymous(this="row", expressions=[depth, *(_col("_r", k) for k in keys)]))
            out.append(seq)
        else:
            mark, path = c.expression.name, c.args["using"].name
            for n, what in ((mark, "cycle mark"), (path, "cycle path")):
                if n in out:
                    raise HeliosError(f'{what} column name "{n}" already used in WITH query column list',
                                      sqlstate="42601", position=_at(c))
            if mark == path:
                raise HeliosError("cycle mark column name and cycle path column name are the same",
                                  sqlstate="42601", position=_at(c))
            to = c.args.get("to") or exp.true()
            default = c.args.get("default") or exp.false()
            prev = PREV + path
            rec.select(exp.alias_(_col(ref, path), prev, quoted=True), copy=False)
            rec.where(exp.NEQ(this=_col(ref, mark), expression=to.copy()), copy=False)
            inner.append(prev)
            seen = exp.EQ(this=_row("_r", keys), expression=exp.Any(this=exp.Paren(this=_col("_r", prev))))
            a_extra += [default.copy(), exp.Array(expressions=[_row("_a", keys)])]
            r_extra += [exp.Case(ifs=[exp.If(this=seen, true=to.copy())], default=default.copy()),
                        exp.DPipe(this=_col("_r", prev), expression=exp.Array(expressions=[_row("_r", keys)]))]
            out += [mark, path]
    new_anchor = exp.select(*(_col("_a", n) for n in cols), *a_extra).from_(
        exp.Subquery(this=anchor.copy(), alias=exp.TableAlias(this=exp.to_identifier("_a"),
                                                               columns=[exp.to_identifier(n, quoted=True) for n in cols])))
    new_rec = exp.select(*(_col("_r", n) for n in cols), *r_extra).from_(
        exp.Subquery(this=rec, alias=exp.TableAlias(this=exp.to_identifier("_r"),
                                                    columns=[exp.to_identifier(n, quoted=True) for n in cols + inner])))
    return exp.Union(this=new_anchor, expression=new_rec, distinct=body.args.get("distinct")), out
