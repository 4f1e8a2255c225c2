"""Table inheritance (``CREATE TABLE c (...) INHERITS (p)``) as PostgreSQL does it.

A child keeps its parents in its options (``inherits``: ``schema.name`` in declaration order)
and each parent its children (``inheritors``). Unlike a partitioned table a parent holds rows
of its own, and a child may add columns of its own after the inherited ones.

- Columns: a child starts with its parents' columns (the same name in two parents merges
  into one column, NOTICE "merging multiple inherited definitions"; a different type is
  42804), then its own (a name already inherited merges too, NOTICE "merging column ...
  with inherited definition"). NOT NULL, defaults and CHECK constraints are inherited.
  ``inherit_count`` counts, per column, the parents it comes from; ``local_columns`` names
  the columns the child declared itself (PostgreSQL's attinhcount and attislocal).
- Reads: a parent reads as the Append of itself and every table below it (each scanned by
  the parent's column names, so a child's own columns are not seen); ``ONLY`` reads the
  table alone.
- UPDATE, DELETE and TRUNCATE on a parent reach every table below it unless ``ONLY``;
  INSERT and COPY write the named table alone, as in PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from helios_core.errors import FeatureNotSupported, HeliosError, UndefinedTable
from helios_core.logical import nodes as L
from helios_core.session import Result
from helios_core.sql import constraints, foreign_tables, object_privileges, partitions
from helios_core.sql.planner import system_columns
from helios_core.sql.row_security import policies as rls_policies
from helios_core.sql.triggers import firing
from helios_core.storage import ColumnDef


class DatatypeMismatch(HeliosError):
    sqlstate = "42804"


class InvalidTableDefinition(HeliosError):
    sqlstate = "42P16"


class WrongObjectType(HeliosError):
    sqlstate = "42809"


def _key(t: Any) -> str:
    return f"{t.schema}.{t.name}"


def _get(txn: Any, key: str) -> Any:
    schema, _, name = key.partition(".")
    return txn.get_table(schema, name)


def parents(txn: Any, t: Any) -> list[Any]:
    """The tables ``t`` inherits from, in declaration order."""
    keys = (t.options or {}).get("inherits") or [] if t is not None else []
    return [p for p in (_get(txn, k) for k in keys) if p is not None]


def children(txn: Any, t: Any) -> list[Any]:
    """The tables that inherit from ``t`` directly, oldest first."""
    keys = (t.options or {}).get("inheritors") or [] if t is not None else []
    return [c for c in (_get(txn, k) for k in keys) if c is not None]


def has_children(t: Any) -> bool:
    return bool(t is not None and (t.options or {}).get("inheritors"))


def descendants(txn: Any, t: Any) -> list[Any]:
    """Every table below ``t``, breadth first (PostgreSQL's find_all_inheritors order), each once."""
    out: list[Any] = []
    seen = {_key(t)}
    level = [t]
    while level:
        nxt = []
        for p in level:
            for c in children(txn, p):
                if _key(c) not in seen:
                    seen.add(_key(c))
                    out.append(c)
                    nxt.append(c)
        level = nxt
    return out


def tree(txn: Any, t: Any) -> list[Any]:
    """``t`` and every table below it."""
    return [t, *descendants(txn, t)] if has_children(t) else [t]


def link(txn: Any, parent: Any, child: Any) -> None:
    have = list(parent.options.get("inheritors") or [])
    if _key(child) not in have:
        txn.alter_table(parent.schema, parent.name, options={"inheritors": [*have, _key(child)]})
    ups = list(child.options.get("inherits") or [])
    if _key(parent) not in ups:
        txn.alter_table(child.schema, child.name, options={"inherits": [*ups, _key(parent)]})


def unlink(txn: Any, parent: Any, child: Any) -> None:
    have = [k for k in parent.options.get("inheritors") or [] if k != _key(child)]
    txn.alter_table(parent.schema, parent.name, options={"inheritors": have or None})
    ups = [k for k in child.options.get("inherits") or [] if k != _key(parent)]
    txn.alter_table(child.schema, child.name, options={"inherits": ups or None})


def _type_name(c: Any) -> str:
    return (c.metadata or {}).get("sql_type") or str(c.type)


_GENERATED = "generated"  # the column metadata key of a generation expression (sql/generated_columns.py)


def _default(c: Any) -> str | None:
    """A column's default, spacing aside (now()::date + 1 and now() :: date  +  1 are one default)."""
    d = (c.metadata or {}).get("default")
    return "".join(d.split()) if d is not None else None


def _generation_text(g: Any) -> str:
    text = g.get("expr", "") if isinstance(g, dict) else str(g)
    return "".join(str(text).lower().split())


def _plain_type(c: Any) -> str:
    """The column's type without its typmod's absence mattering (varchar vs varchar(n) differ, as in PostgreSQL)."""
    return _type_name(c).lower()


# ------------------------------------------------------------------ CREATE TABLE ... INHERITS
def resolve_parents(txn: Any, names: list[tuple[str, str]], *, temporary: bool = False) -> list[Any]:
    """The parent tables INHERITS names: 42P01 for a missing one, 42P07 named twice, 42809 partitioned
    or (for a permanent child) temporary."""
    out = []
    for schema, name in names:
        t = txn.get_table(schema, name)
        if t is None:
            raise UndefinedTable(f'relation "{name}" does not exist')
        if schema.startswith("pg_temp") and not temporary:
            raise WrongObjectType(f'cannot inherit from temporary relation "{name}"')
        if (t.options or {}).get("partition_by"):
            raise WrongObjectType(f'cannot inherit from partitioned table "{name}"')
        if (t.options or {}).get("partition_of"):
            raise WrongObjectType(f'cannot inherit from partition "{name}"')
        if any(_key(p) == _key(t) for p in out):
            raise HeliosError(f'relation "{name}" would be inherited from more than once', sqlstate="42P07")
        out.append(t)
    return out


def merge_columns(parent_tables: list[Any], local: list[Any], notices: list[str]) -> tuple[
        list[Any], dict[str, int], list[str], list[dict]]:
    """(columns, inherit_count, local_columns, inherited checks) of a new child table; its NOTICEs go to
    ``notices`` (PostgreSQL sends them before an error the merge then raises)."""
    cols: list[Any] = []
    counts: dict[str, int] = {}
    conflicts: set[str] = set()  # merged columns whose parents' defaults differ
    by_name: dict[str, int] = {}
    for p in parent_tables:
        for c in p.columns:
            md = {k: v for k, v in (c.metadata or {}).items() if k != "sequence"}
            if c.name in by_name:
                notices.append(f'merging multiple inherited definitions of column "{c.name}"')
                have = cols[by_name[c.name]]
                if _plain_type(have) != _plain_type(c):
                    raise DatatypeMismatch(f'inherited column "{c.name}" has a type conflict',
                                           detail=f"{_type_name(have)} versus {_type_name(c)}")
                if _default(have) != _default(c):
                    conflicts.add(c.name)
                if (_GENERATED in (have.metadata or {})) != (_GENERATED in (c.metadata or {})):
                    raise HeliosError(f'inherited column "{c.name}" has a generation conflict', sqlstate="42804")
                cols[by_name[c.name]] = ColumnDef(have.name, have.type, have.nullable and c.nullable,
                                                  have.metadata or md)
                counts[c.name] += 1
                continue
            by_name[c.name] = len(cols)
            cols.append(ColumnDef(c.name, c.type, c.nullable, md))
            counts[c.name] = 1
    own: list[str] = []
    for c in local:
        own.append(c.name)
        if "default" in (c.metadata or {}):
            conflicts.discard(c.name)  # the child's own default settles it
        if c.name in by_name:
            notices.append(f'merging column "{c.name}" with inherited definition')
            have = cols[by_name[c.name]]
            if _plain_type(have) != _plain_type(c):
                raise DatatypeMismatch(f'column "{c.name}" has a type conflict',
                                       detail=f"{_type_name(have)} versus {_type_name(c)}")
            md = dict(have.metadata or {})
            mine = c.metadata or {}
            if _GENERATED in md:  # the parent's generation expression is inherited as it is
                if _GENERATED in mine:
                    raise HeliosError(f'child column "{c.name}" specifies generation expression', sqlstate="42611",
                                      hint="Omit the generation expression in the definition of the child table "
                                           "column to inherit the generation expression from the parent table.")
                if "identity" in mine:
                    raise HeliosError(f'column "{c.name}" inherits from generated column but specifies identity',
                                      sqlstate="42611")
                if "default" in mine:
                    raise HeliosError(f'column "{c.name}" inherits from generated column but specifies default',
                                      sqlstate="42611")
            elif _GENERATED in mine:  # a plain parent column may be generated in the child
                md[_GENERATED] = mine[_GENERATED]
                md.pop("default", None)
            if "default" in mine:
                md["default"] = mine["default"]
            cols[by_name[c.name]] = ColumnDef(have.name, have.type, have.nullable and c.nullable, md)
            continue
        by_name[c.name] = len(cols)
        cols.append(c)
    if conflicts:
        raise HeliosError(f'column "{min(conflicts)}" inherits conflicting default values', sqlstate="42611",
                          hint="To resolve the conflict, specify a default explicitly.")
    checks: list[dict] = []
    for p in parent_tables:
        for ck in p.options.get("checks") or []:
            if ck.get("no_inherit"):
                continue
            if any(k["name"] == ck["name"] for k in checks):
                continue
            checks.append({k: v for k, v in ck.items() if k != "local"})
    return cols, counts, own, checks


def merge_checks(table: str, inherited: list[dict], local: list[dict]) -> list[str]:
    """A local CHECK named as an inherited one: the same condition merges (NOTICE), a NO INHERIT one
    conflicts (42P17), another condition is a duplicate name (42710)."""
    notices = []
    mine = {k["name"]: k for k in local}
    for ck in inherited:
        own = mine.get(ck["name"])
        if own is None:
            continue
        if own.get("no_inherit"):
            raise HeliosError(f'constraint "{ck["name"]}" conflicts with inherited constraint on relation "{table}"',
                              sqlstate="42P17")
        if _normal(own["expr"]) != _normal(ck["expr"]):
            raise HeliosError(f'check constraint "{ck["name"]}" for relation "{table}" already exists',
                              sqlstate="42710")
        notices.append(f'merging constraint "{ck["name"]}" with inherited definition')
    return notices


def _normal(expr: str) -> str:
    return " ".join(expr.lower().replace("(", " ").replace(")", " ").split())


def notice(text: str) -> HeliosError:
    """A NOTICE to send ahead of the statement's result (or error)."""
    n = HeliosError(text, sqlstate="00000")
    n.severity = "NOTICE"
    return n


def cascade_notice(dropped: list[Any]) -> list[Any]:
    """PostgreSQL's NOTICE for the tables a DROP ... CASCADE took along: one line, or a count and the list."""
    lines = [f"drop cascades to {foreign_tables.label(d)} {d.name}" for d in dropped]
    if len(lines) <= 1:
        return lines
    notice = HeliosError(f"drop cascades to {len(lines)} other objects", sqlstate="00000", detail="\n".join(lines))
    notice.severity = "NOTICE"
    return [notice]


def add_checks_below(session: Any, txn: Any, tdef: Any, added: list[dict]) -> list[str]:
    """CHECK constraints just added to ``tdef`` reach every table below it under the same name (a child's
    own constraint of that name merges); each child's rows must pass them."""
    notices: list[str] = []
    for child in descendants(txn, tdef):
        have = {k["name"]: k for k in child.options.get("checks") or []}
        for k in added:
            if k["name"] in have:
                notices += merge_checks(child.name, [k], [have[k["name"]]])
        fresh = [{n: v for n, v in k.items() if n != "local"} for k in added if k["name"] not in have]
        if fresh:
            child = txn.alter_table(child.schema, child.name,
                                    options={"checks": list(child.options.get("checks") or []) + fresh})
            constraints.validate_table(session, txn, child)
    return notices


# ------------------------------------------------------------------ reads
def plan_scan(builder: Any, node: exp.Table, src: Any, qual: str) -> Any:
    """The parent as the Append of its own scan and the scans of every table below it."""
    txn = builder.ctx.txn
    if node.args.get("version") is not None:
        raise FeatureNotSupported("time travel over a table with inheritance children is not supported")
    needed, fields, with_rowid, want_oid = partitions.scan_fields(builder, src, qual)
    scans = []
    for t in tree(txn, src.table):
        leaves = [t]
        if (t.options or {}).get("partition_by"):
            leaves = partitions.leaves(txn, t)
        for leaf in leaves:
            foreign_tables.check_scan(txn, leaf)  # 55000: a foreign child has no handler to read it with
            op = L.Scan(list(fields), leaf.schema, leaf.name, [n for n, _ in needed], with_rowid=with_rowid,
                        alias=qual, as_of=None, primary_key=list(leaf.primary_key))
            if want_oid:
                op = system_columns.with_tableoid(op, qual, system_columns.table_oid(leaf, leaf.schema, leaf.name))
            scans.append(op)
    if len(scans) == 1:
        return scans[0]
    return L.SetOperation(list(scans[0].fields), "union", True, scans)


# ------------------------------------------------------------------ UPDATE / DELETE through the parent
def each_table(session: Any, ast: exp.Expression, parent: Any, run: Any) -> Result:
    """Run an UPDATE/DELETE on the parent alone and then on each table below it, as the parent."""
    txn = session.tx.current()
    table = ast.this
    alias = table.args.get("alias")
    qual = alias.this.name if alias is not None else parent.name
    kind = "UPDATE" if isinstance(ast, exp.Update) else "DELETE"
    total = 0
    results = []
    for t in tree(txn, parent):
        one = ast.copy()
        one.set("this", exp.Table(this=exp.to_identifier(t.name, quoted=True),
                                  db=exp.to_identifier(t.schema, quoted=True),
                                  alias=exp.TableAlias(this=exp.to_identifier(qual, quoted=True)), only=True))
        if t is parent:
            r = run(session, one)
        else:  # privileges and policies are the named table's, as PostgreSQL checks them
            with rls_policies.through_parent(t, parent), object_privileges.dml_target(t.schema, t.name), \
                    firing.without_statement_triggers(t):
                r = run(session, one)
        total += int(r.command_tag.split()[-1])
        results.append(r)
    batches = [b for r in results for b in (r.batches or [])]
    columns = next((r.columns for r in results if r.columns), None)
    return Result(command_tag=f"{kind} {total}", columns=columns, batches=batches)


# ------------------------------------------------------------------ ALTER TABLE ... [NO] INHERIT
def alter_inherit(txn: Any, child: Any, schema: str, name: str, *, add: bool) -> None:
    """ALTER TABLE child INHERIT parent | NO INHERIT parent."""
    parent = txn.get_table(schema, name)
    if parent is None:
        raise UndefinedTable(f'relation "{name}" does not exist')
    if not add:
        if _key(parent) not in (child.options.get("inherits") or []):
            raise UndefinedTable(f'relation "{parent.name}" is not a parent of relation "{child.name}"')
        counts = dict(child.options.get("inherit_count") or {})
        local = set(child.options.get("local_columns") or [])
        for c in parent.columns:
            if c.name in counts:
                counts[c.name] -= 1
                if counts[c.name] <= 0:
                    del counts[c.name]
                    local.add(c.name)
        # the constraints it inherited stay, as its own once no parent holds them (PostgreSQL's conislocal)
        txn.alter_table(child.schema, child.name, options={
            "inherit_count": counts, "local_columns": [c.name for c in child.columns if c.name in local]})
        unlink(txn, parent, txn.get_table(child.schema, child.name))
        return
    if (parent.options or {}).get("partition_by") or (child.options or {}).get("partition_by"):
        raise WrongObjectType("cannot change inheritance of partitioned table")
    if (child.options or {}).get("partition_of"):
        raise WrongObjectType("cannot change inheritance of a partition")
    if _key(parent) == _key(child) or any(_key(d) == _key(parent) for d in descendants(txn, child)):
        raise HeliosError("circular inheritance not allowed", sqlstate="42P07",
                          detail=f'"{child.name}" is already a child of "{parent.name}".')
    if _key(parent) in (child.options.get("inherits") or []):
        raise HeliosError(f'relation "{parent.name}" would be inherited from more than once', sqlstate="42P07")
    counts = dict(child.options.get("inherit_count") or {})
    for c in parent.columns:
        mine = child.column(c.name)
        if mine is None:
            raise HeliosError(f'child table is missing column "{c.name}"', sqlstate="42804")
        if _plain_type(mine) != _plain_type(c):
            raise DatatypeMismatch(f'child table "{child.name}" has different type for column "{c.name}"')
        if not c.nullable and mine.nullable:
            raise HeliosError(f'column "{c.name}" in child table must be marked NOT NULL', sqlstate="42804")
        parent_gen = (c.metadata or {}).get(_GENERATED)
        if parent_gen is not None:
            child_gen = (mine.metadata or {}).get(_GENERATED)
            if child_gen is None:
                raise DatatypeMismatch(f'column "{c.name}" in child table must be a generated column')
            if _generation_text(child_gen) != _generation_text(parent_gen):
                raise DatatypeMismatch(f'column "{c.name}" in child table has a conflicting generation expression')
        counts[c.name] = counts.get(c.name, 0) + 1
    mine_checks = {k["name"]: k for k in child.options.get("checks") or []}
    for ck in parent.options.get("checks") or []:
        if ck.get("no_inherit"):
            continue
        if ck["name"] not in mine_checks:
            raise HeliosError(f'child table is missing constraint "{ck["name"]}"', sqlstate="42804")
    txn.alter_table(child.schema, child.name, options={"inherit_count": counts})
    link(txn, parent, txn.get_table(child.schema, child.name))
