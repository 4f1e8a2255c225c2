"""Constraint enforcement above storage: CHECK, UNIQUE, FOREIGN KEY, NOT NULL overrides.

Storage enforces NOT NULL of the column definitions and the primary key. This module
checks what the catalog options of a table declare (see ddl.py): CHECK expressions
(23514; NULL passes, as in PostgreSQL), UNIQUE constraints and unique indexes (23505;
NULLs never conflict), FOREIGN KEYs from the referencing side (23503) and, on DELETE or
key UPDATE of a referenced row, the referencing side's action (NO ACTION/RESTRICT: 23503;
CASCADE; SET NULL; SET DEFAULT). Checks are vectorized per statement: one scan of the
other table per constraint, not one per row.

Known limit: FOREIGN KEY checks read the snapshot, they do not lock the referenced row
(a concurrent DELETE of the parent can slip through under READ COMMITTED).
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import (
    CheckViolation,
    ForeignKeyViolation,
    HeliosError,
    NotNullViolation,
    UniqueViolation,
)
from helios_core.sql import deferred_constraints, exclusion_constraints, publications
from helios_core.sql import types as T
from helios_core.sql.expr import compile_scalar
from helios_core.sql.extensions import citext


def _fmt(v: Any) -> str:
    if isinstance(v, bool):  # key values in DETAIL lines use the type's text output
        return "t" if v else "f"
    return "NULL" if v is None else str(v)


def failing_row(tdef: Any, batch: pa.RecordBatch, i: int) -> str:
    """PostgreSQL's ``Failing row contains (...).`` detail: row i in each column's text output."""
    from helios_core.sql.dml import column_types
    from helios_core.sql.functions.text_out import to_text

    parts = []
    for j, (_, t) in enumerate(column_types(tdef)[:batch.num_columns]):
        try:
            v = to_text(batch.column(j).slice(i, 1), t)[0].as_py()
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError, ValueError):
            v = batch.column(j)[i].as_py()
        parts.append("null" if v is None else str(v))
    return f"Failing row contains ({', '.join(parts)})."


def _check_not_null(tdef: Any, batch: pa.RecordBatch) -> None:
    """23502 for the first row (and its first column) holding NULL in a NOT NULL column."""
    first: tuple[int, str] | None = None
    for c in tdef.columns:
        if c.nullable or c.name not in batch.schema.names:
            continue
        arr = batch.column(c.name)
        if arr.null_count:
            i = pc.index(arr.is_null(), True).as_py()
            if first is None or i < first[0]:
                first = (i, c.name)
    if first is not None:
        i, name = first
        err = NotNullViolation(f'null value in column "{name}" of relation "{tdef.name}" violates not-null '
                               "constraint", detail=failing_row(tdef, batch, i), schema_name=tdef.schema,
                               table_name=tdef.name, column_name=name)
        err.row_index = i  # type: ignore[attr-defined]  # which new row (COPY's CONTEXT line)
        raise err


def _key_tuples(batch: Any, cols: list[str], table: Any = None) -> list[tuple]:
    """The rows' values in ``cols``; citext columns of ``table`` lower-cased, as their equality
    compares them (so UNIQUE and foreign keys over citext ignore case, as in PostgreSQL)."""
    folded = citext_columns(table, cols)
    arrays = [batch.column(c).to_pylist() if c not in folded else
              [citext.fold_value(v) for v in batch.column(c).to_pylist()] for c in cols]
    return list(zip(*arrays, strict=True)) if arrays else []


def citext_columns(table: Any, cols: list[str]) -> set[str]:
    """Those of ``cols`` that are citext columns of ``table`` (their keys compare lower-cased)."""
    if table is None:
        return set()
    by_name = {c.name: c for c in table.columns}
    return {c for c in cols if c in by_name and citext.column_is_citext(by_name[c])}


def _scan_keys(txn: Any, schema: str, name: str, cols: list[str], exclude_rowids: Any = None,
               probe: list[tuple] | None = None) -> dict[tuple, int]:
    """key tuple -> rowid of the visible rows (NULL-containing keys skipped).

    With a ``probe`` (the keys asked about), only rows whose every column holds one of the probe's
    values in it are read (a superset of the rows holding a probe key, which the tuples then
    pick out), and chunks are read at the positions their sorted copy of the first key column
    finds (storage.secondary_index), as an index scan does: a check costs the keys asked about,
    not the table. Like PostgreSQL's, these reads are not counted as the table's scans."""
    tdef = txn._def(schema, name)
    flt, index = _probe_terms(tdef, cols, probe) if probe is not None else (None, None)
    if flt is False:
        return {}
    out: dict[tuple, int] = {}
    excl = set(exclude_rowids.to_pylist()) if exclude_rowids is not None else set()
    for b in txn.scan_def(tdef, columns=cols, with_rowid=True, filter=flt, index=index):
        if b.num_rows == 0:
            continue
        rid = b.column(b.num_columns - 1).to_pylist()
        for k, r in zip(_key_tuples(b, cols, tdef), rid, strict=True):
            if r in excl or any(v is None for v in k):
                continue
            out[k] = r
    return out


def _probe_terms(tdef: Any, cols: list[str], probe: list[tuple]) -> tuple[Any, Any]:
    """(filter, storage index probe) narrowing a scan to rows that may hold one of ``probe``'s keys:
    ``col IN (values)`` per key column of a plain type (citext columns, which compare folded, and
    values the column's type cannot hold are left to the tuples); False when no key can match
    (each has a NULL). The index probe reads the first key column's sorted copies."""
    keys = [k for k in probe if not any(v is None for v in k)]
    if not keys:
        return False, None
    folded = citext_columns(tdef, cols)
    flt = index = None
    for j, name in enumerate(cols):
        col = tdef.column(name)
        if col is None or name in folded or not _comparable_by_value(col.type):
            continue
        try:
            values = pa.array(list(dict.fromkeys(k[j] for k in keys)), col.type)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, TypeError, ValueError,
                OverflowError):
            continue
        term = pc.field(name).isin(values)
        flt = term if flt is None else flt & term
        if j == 0:
            index = (f"c{col.col_id}", [("in", list(values))])
    return flt, index


def _comparable_by_value(t: pa.DataType) -> bool:
    """Types whose ``is_in`` compares values as key equality does (not nested, not dictionary-coded)."""
    return (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t)
            or pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t)
            or pa.types.is_large_binary(t) or pa.types.is_date(t) or pa.types.is_timestamp(t)
            or pa.types.is_time(t) or pa.types.is_boolean(t))


def _own_writes_seen(check: Any) -> Any:
    """Constraint checks read every row the statement wrote, also while the rest of a statement
    with data-modifying WITH queries reads the tables as they were before it."""
    @functools.wraps(check)
    def run(session: Any, txn: Any, *args: Any, **kwargs: Any) -> Any:
        if not getattr(txn, "hidden_writes", None):
            return check(session, txn, *args, **kwargs)
        with txn.own_writes_seen():
            return check(session, txn, *args, **kwargs)
    return run


# ------------------------------------------------------------------------------------ new rows
@_own_writes_seen
def check_new_rows(session: Any, txn: Any, ctx: Any, tdef: Any, batch: pa.RecordBatch,
                   exclude_rowids: Any = None, changed_cols: set[int] | None = None,
                   settled_fk: str | None = None) -> None:
    """Everything a new row version must satisfy beyond storage's primary key, in PostgreSQL's order:
    NOT NULL, CHECK, UNIQUE, FOREIGN KEY (but ``settled_fk``, which the caller checks itself)."""
    opts = tdef.options or {}
    _check_domains(tdef, batch)
    if batch.num_columns == len(tdef.columns):
        _check_not_null(tdef, batch)
    if opts.get("checks"):
        _check_checks(session, ctx, tdef, batch)
    names = [c.name for c in tdef.columns]
    pk = list(tdef.primary_key or [])
    if pk and citext_columns(tdef, pk) and (changed_cols is None or any(names.index(c) in changed_cols for c in pk)):
        # storage keys the rows by the values as written; citext keys must also differ in more than case
        _check_unique(txn, tdef, batch, {"name": opts.get("pk_name") or f"{tdef.name}_pkey", "columns": pk},
                      exclude_rowids)
    for u in opts.get("unique", []):
        if changed_cols is not None and not any(names.index(c) in changed_cols for c in u["columns"]):
            continue
        if u.get("deferrable") and session is not None and \
                deferred_constraints.is_deferred(session, tdef.schema, u):
            deferred_constraints.defer_unique(session, tdef, u)
            continue
        _check_unique(txn, tdef, batch, u, exclude_rowids)
    for fk in opts.get("foreign_keys", []):
        if fk["name"] == settled_fk or (
                changed_cols is not None and not any(names.index(c) in changed_cols for c in fk["columns"])):
            continue
        _check_fk_child(session, txn, tdef, batch, fk)
    if opts.get(exclusion_constraints.OPTION):
        exclusion_constraints.check_new_rows(ctx, txn, tdef, batch, exclude_rowids)
    if opts.get("expression_unique"):
        from helios_core.sql import index_definitions

        index_definitions.check_new_rows(session, txn, ctx, tdef, batch, exclude_rowids,
                                         None if changed_cols is None else {names[i] for i in changed_cols})
    from helios_core.sql import updatable_views  # it reads failing_row from here

    updatable_views.check_new_rows(session, txn, ctx, tdef, batch)  # WITH CHECK OPTION of a view


def _check_domains(tdef: Any, batch: pa.RecordBatch) -> None:
    """NOT NULL and CHECK of the domains the table's columns are declared with (sql.domains)."""
    for c in tdef.columns:
        key = column_metadata(tdef, c.name).get("domain")
        if key is None or c.name not in batch.schema.names or T.DOMAIN_CHECK is None:
            continue
        t = T.type_from_name(key)
        arr = batch.column(c.name)
        T.DOMAIN_CHECK(t, arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr)


def _check_checks(session: Any, ctx: Any, tdef: Any, batch: pa.RecordBatch, *, existing: bool = False,
                  only: list[dict] | None = None) -> None:
    """The table's CHECK constraints (or ``only`` these) over ``batch``; ``existing`` rows skip those
    added NOT VALID."""
    from helios_core.frontends.postgres.dialect import parse
    from helios_core.sql.dml import _scope
    from helios_core.sql.expr import compile_scalar

    scope = _scope(tdef)
    for ck in tdef.options.get("checks", []) if only is None else only:
        if existing and ck.get("not_valid"):
            continue
        tree = parse(f"select {ck['expr']}")[0].ast.expressions[0]
        c = compile_scalar(tree, scope, ctx)
        v = c.evaluate(batch, ctx)
        arr = v.broadcast(batch.num_rows).array if v.scalar else v.array
        bad = pc.equal(arr, False)
        if pc.any(bad).as_py():
            i = pc.index(bad, True).as_py()
            if ck.get("enum"):
                col = ck["expr"].split('"')[1]
                raise HeliosError(f'invalid input value for enum {ck["enum"]}: "{batch.column(col)[i].as_py()}"',
                                  sqlstate="22P02")
            err = CheckViolation(
                f'new row for relation "{tdef.name}" violates check constraint "{ck["name"]}"',
                detail=failing_row(tdef, batch, i), schema_name=tdef.schema, table_name=tdef.name,
                constraint_name=ck["name"])
            err.row_index = i  # type: ignore[attr-defined]
            raise err


def _check_unique(txn: Any, tdef: Any, batch: pa.RecordBatch, u: dict, exclude_rowids: Any) -> None:
    cols = u["columns"]
    keys = _key_tuples(batch, cols, tdef)
    seen: dict[tuple, int] = {}
    first_clash: tuple[int, tuple] | None = None
    for i, k in enumerate(keys):
        if any(v is None for v in k):
            continue
        if k in seen:
            first_clash = (i, k)
            break
        seen[k] = i
    existing = _scan_keys(txn, tdef.schema, tdef.name, cols, exclude_rowids, list(seen)) if seen else {}
    for k, i in seen.items():  # in row order: the first new row whose key is taken
        if k in existing and (first_clash is None or i < first_clash[0]):
            first_clash = (i, k)
            break
    if first_clash is not None:  # the key as the new row spells it
        _unique_error(tdef, u, _key_tuples(batch.slice(first_clash[0], 1), cols)[0], first_clash[0])


def _unique_error(tdef: Any, u: dict, k: tuple, row_index: int | None = None) -> None:
    err = UniqueViolation(f'duplicate key value violates unique constraint "{u["name"]}"',
                          detail=f"Key ({', '.join(u['columns'])})=({', '.join(_fmt(v) for v in k)}) "
                                 "already exists.", schema_name=tdef.schema, table_name=tdef.name,
                          constraint_name=u["name"])
    err.row_index = row_index  # type: ignore[attr-defined]
    raise err


def _check_fk_child(session: Any, txn: Any, tdef: Any, batch: pa.RecordBatch, fk: dict) -> None:
    all_keys = _key_tuples(batch, fk["columns"], tdef)
    if fk.get("match") == "full" and len(fk["columns"]) > 1:
        for k in all_keys:  # MATCH FULL: all of the key NULL, or none of it
            if any(v is None for v in k) and not all(v is None for v in k):
                raise ForeignKeyViolation(
                    f'insert or update on table "{tdef.name}" violates foreign key constraint "{fk["name"]}"',
                    detail="MATCH FULL does not allow mixing of null and nonnull key values.",
                    schema_name=tdef.schema, table_name=tdef.name, constraint_name=fk["name"])
    keys = {k for k in all_keys if not any(v is None for v in k)}
    if not keys:
        return
    if (fk["ref_schema"], fk["ref_table"]) == (tdef.schema, tdef.name):
        # self-reference: the new rows themselves count as parents
        own = set(_key_tuples(batch, fk["ref_columns"], tdef))
        keys = {k for k in keys if k not in own}
        if not keys:
            return
    if fk.get("deferrable") and session is not None and deferred_constraints.is_deferred(session, tdef.schema, fk):
        deferred_constraints.defer_child_keys(session, tdef, fk, keys)
        return
    parent = txn.get_table(fk["ref_schema"], fk["ref_table"])
    if parent is None:
        raise ForeignKeyViolation(f'referenced table "{fk["ref_table"]}" does not exist')
    present = _parent_keys(txn, parent, fk["ref_columns"], list(keys))
    in_order = [k for k in dict.fromkeys(_key_tuples(batch, fk["columns"], tdef)) if k in keys]
    for k in in_order:  # the first row's missing key, as PostgreSQL reports it
        if _norm(k) not in present:
            raise child_violation(tdef, fk, k)


def child_violation(tdef: Any, fk: dict, k: tuple) -> ForeignKeyViolation:
    """23503 for a child row whose key has no parent."""
    return ForeignKeyViolation(
        f'insert or update on table "{tdef.name}" violates foreign key constraint "{fk["name"]}"',
        detail=f"Key ({', '.join(fk['columns'])})=({', '.join(_fmt(v) for v in k)}) is not present in "
               f'table "{fk["ref_table"]}".', schema_name=tdef.schema, table_name=tdef.name,
        constraint_name=fk["name"])


def parent_violation(parent: Any, child: Any, fk: dict, k: tuple) -> ForeignKeyViolation:
    """23503 for a parent key that went away while child rows still use it."""
    return ForeignKeyViolation(
        f'update or delete on table "{parent.name}" violates foreign key constraint "{fk["name"]}" on table '
        f'"{child.name}"',
        detail=f"Key ({', '.join(fk['ref_columns'])})=({', '.join(_fmt(v) for v in k)}) is still referenced "
               f'from table "{child.name}".', schema_name=child.schema, table_name=child.name,
        constraint_name=fk["name"])


def existing_keys(txn: Any, tdef: Any, cols: list[str], keys: set[tuple]) -> set[tuple]:
    """Those of ``keys`` that visible rows of ``tdef`` hold in ``cols`` now."""
    wanted = {_norm(k): k for k in keys if not any(v is None for v in k)}
    if not wanted:
        return set()
    found = _scan_keys(txn, tdef.schema, tdef.name, cols, None, list(wanted.values()))
    return {wanted[_norm(k)] for k in found if _norm(k) in wanted}


def present_parent_keys(txn: Any, parent: Any, cols: list[str], keys: set[tuple]) -> set[tuple]:
    """The normalized ``keys`` that ``parent`` holds in ``cols``."""
    return _parent_keys(txn, parent, cols, list(keys))


def normalized(k: tuple) -> tuple:
    return _norm(k)


def _norm(k: tuple) -> tuple:
    """Compare keys across integer widths/decimals: normalize numbers."""
    out = []
    for v in k:
        if isinstance(v, bool) or v is None:
            out.append(v)
        elif isinstance(v, (int, float)):
            out.append(float(v) if isinstance(v, float) and not v.is_integer() else int(v))
        elif isinstance(v, Decimal) and v.is_finite() and v == v.to_integral_value():
            out.append(int(v))
        else:
            out.append(v)
    return tuple(out)


def _stored_tables(txn: Any, t: Any) -> list[Any]:
    """The tables that hold ``t``'s rows: itself, or a partitioned table's leaf partitions."""
    opts = t.options or {}
    if not opts.get("partition_by"):
        return [t]
    out: list[Any] = []
    for key in opts.get("partitions") or []:
        schema, _, name = key.partition(".")
        part = txn.get_table(schema, name)
        if part is not None:
            out += _stored_tables(txn, part)
    return out


def _parent_keys(txn: Any, parent: Any, cols: list[str], probe: list[tuple]) -> set[tuple]:
    if (parent.options or {}).get("partition_by"):  # a partitioned table: its partitions hold the keys
        found: set[tuple] = set()
        for part in _stored_tables(txn, parent):
            found |= _parent_keys(txn, part, cols, probe)
        return found
    if list(cols) == list(parent.primary_key) and len(probe) <= 32:
        found = set()
        for k in probe:
            try:
                b = txn.lookup(parent.schema, parent.name, tuple(k), columns=list(cols))
            except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
                b = None
            if b is not None and b.num_rows:
                found.add(_norm(k))
        if len(found) == len(probe):
            return found
    return {_norm(k) for k in _scan_keys(txn, parent.schema, parent.name, cols, None, probe)}


# ------------------------------------------------------------------------------------ updates / deletes
@_own_writes_seen
def check_updated_rows(session: Any, txn: Any, ctx: Any, tdef: Any, old: pa.RecordBatch, new: pa.RecordBatch,
                       rowids: Any, changed_cols: set[int]) -> pa.RecordBatch:
    """Check the new versions of updated rows and act on the foreign keys their key changes reach;
    returns the rows to write (a self-referencing CASCADE/SET NULL/SET DEFAULT that reaches rows of
    the same statement changes them there, as PostgreSQL's action runs after the update)."""
    check_new_rows(session, txn, ctx, tdef, new, exclude_rowids=rowids, changed_cols=changed_cols)
    names = [c.name for c in tdef.columns]
    changed_names = {names[i] for i in changed_cols}
    for child, fk in _referencing(txn, tdef):
        if not changed_names.intersection(fk["ref_columns"]):
            continue
        old_keys = _key_tuples(old, fk["ref_columns"])
        new_keys = _key_tuples(new, fk["ref_columns"])
        action = fk.get("on_update", "no action")
        # in the rows' order, so a violation names the first row's key as PostgreSQL does; NO ACTION
        # (and the actions) leave alone a key another updated row takes over, RESTRICT does not
        gone = list(dict.fromkeys(k for k, n in zip(old_keys, new_keys, strict=True)
                                  if k != n and not any(v is None for v in k)))
        if action.lower() != "restrict":
            kept = {_norm(n) for n in new_keys}
            gone = [k for k in gone if _norm(k) not in kept]
        if gone:
            remap = dict(zip(old_keys, new_keys, strict=True))
            skip = None
            if (child.schema, child.name) == (tdef.schema, tdef.name) and action.lower() in (
                    "cascade", "set null", "set default"):
                new = _act_on_own_rows(session, txn, ctx, tdef, fk, new, gone, action.lower(), remap)
                skip = set(rowids.to_pylist())
            _apply_action(session, txn, ctx, tdef, child, fk, gone, action, "update", remap, skip_rowids=skip)
    return new


def _act_on_own_rows(session: Any, txn: Any, ctx: Any, tdef: Any, fk: dict, new: pa.RecordBatch,
                     gone: list[tuple], action: str, remap: dict) -> pa.RecordBatch:
    """The statement's own rows whose new foreign key still names a key it changed, acted on."""
    cols = fk["columns"]
    gone_keys = {_norm(k) for k in gone}
    keys = _key_tuples(new, cols, tdef)
    hit = [i for i, k in enumerate(keys) if not any(v is None for v in k) and _norm(k) in gone_keys]
    if not hit:
        return new
    names = [c.name for c in tdef.columns]
    arrays = list(new.columns)
    for j, cname in enumerate(cols):
        ci = names.index(cname)
        values = arrays[ci].to_pylist()
        default = constant_default(session, txn, tdef.columns[ci]) if action == "set default" else None
        for i in hit:
            values[i] = remap.get(_find(remap, keys[i]), keys[i])[j] if action == "cascade" else default
        arrays[ci] = pa.array(values, arrays[ci].type)
    return pa.RecordBatch.from_arrays(arrays, schema=new.schema)


@_own_writes_seen
def on_parent_delete(session: Any, txn: Any, ctx: Any, tdef: Any, old: pa.RecordBatch,
                     deleting: Any = None) -> None:
    """Rows of ``tdef`` are being deleted: enforce/act on the foreign keys that reference it.

    ``deleting`` (rowids of ``tdef``) are the rows the same statement deletes: a row that refers
    to another row of its own table does not hold that one back when both go (PostgreSQL checks
    at the end of the statement)."""
    gone = set(deleting.to_pylist()) if deleting is not None else set()
    for child, fk in _referencing(txn, tdef):
        keys = list(dict.fromkeys(k for k in _key_tuples(old, fk["ref_columns"]) if not any(v is None for v in k)))
        if keys:
            same_table = (child.schema, child.name) == (tdef.schema, tdef.name)
            _apply_action(session, txn, ctx, tdef, child, fk, keys, fk.get("on_delete", "no action"), "delete", {},
                          skip_rowids=gone if same_table else None)


def _referencing(txn: Any, tdef: Any) -> list[tuple[Any, dict]]:
    """The foreign keys that reference ``tdef``, or (a partition) the partitioned table above it."""
    out: list[tuple[Any, dict]] = []
    table = tdef
    while table is not None:
        if (table.options or {}).get("referenced_by"):
            from helios_core.sql.ddl import referencing

            out += referencing(txn, table)
        up = (table.options or {}).get("partition_of")
        table = txn.get_table(up["schema"], up["name"]) if up else None
    return out


def _apply_action(session: Any, txn: Any, ctx: Any, parent: Any, child: Any, fk: dict, keys: list[tuple],
                  action: str, op: str, remap: dict, skip_rowids: set | None = None) -> None:
    """``keys``: the parent keys going away, in the order of the parent rows."""
    from helios_core.sql import dml

    if action.lower() == "no action" and fk.get("deferrable") and \
            deferred_constraints.is_deferred(session, child.schema, fk):
        # checked at COMMIT against the data as it stands then (RESTRICT is never deferred); the
        # pending check exists whether or not a row refers to the keys now, as PostgreSQL's event
        deferred_constraints.defer_parent_keys(session, child, fk, set(keys))
        return
    normalized = {_norm(k) for k in keys}
    cols = fk["columns"]
    hits: list[int] = []
    used: set[tuple] = set()
    # the child rows that may hold one of the keys (through the first key column's sorted copies),
    # not the whole child table turned into Python tuples for each parent row deleted
    flt, index = _probe_terms(child, cols, keys)
    if flt is False:
        return
    for b in txn.scan_def(child, columns=cols, with_rowid=True, filter=flt, index=index):
        if b.num_rows == 0:
            continue
        rid = b.column(b.num_columns - 1).to_pylist()
        for k, r in zip(_key_tuples(b, cols), rid, strict=True):
            if _norm(k) in normalized and not (skip_rowids and r in skip_rowids):
                hits.append(r)
                used.add(_norm(k))
    if not hits:
        return
    referenced = [k for k in keys if _norm(k) in used]
    action = action.lower()
    if action in ("no action", "restrict"):
        raise parent_violation(parent, _declaring_table(txn, child, fk), fk, referenced[0])
    rowids = pa.array(hits, pa.int64())
    rows = pa.Table.from_batches(list(txn.scan(child.schema, child.name, rowids=rowids, with_rowid=True)))
    if action == "cascade" and op == "delete":
        old = pa.RecordBatch.from_arrays([rows.column(c.name).combine_chunks() for c in child.columns],
                                         schema=dml._arrow_schema(child))
        child_rowids = pa.array(rows.column("_rowid").to_pylist(), pa.int64())
        on_parent_delete(session, txn, ctx, child, old, child_rowids)
        txn.delete(child.schema, child.name, child_rowids)
        return
    arrays = {c.name: rows.column(c.name).combine_chunks() for c in child.columns}
    n = rows.num_rows
    if action == "cascade":  # on update: follow the new key
        old_keys = list(zip(*[arrays[c].to_pylist() for c in cols], strict=True))
        new_vals = [remap.get(_find(remap, k), k) for k in old_keys]
        for j, c in enumerate(cols):
            arrays[c] = pa.array([v[j] for v in new_vals], arrays[c].type)
    elif action == "set null":
        cols = (op == "delete" and fk.get("on_delete_columns")) or cols  # SET NULL (a, b): those alone
        for c in cols:
            arrays[c] = pa.nulls(n, arrays[c].type)
    elif action == "set default":
        cols = (op == "delete" and fk.get("on_delete_columns")) or cols
        names = [c.name for c in child.columns]
        for c in cols:
            arrays[c] = dml.default_array(session, txn, child, names.index(c), n, ctx)
    else:
        raise HeliosError(f"unsupported foreign key action {action}", sqlstate="0A000")
    new = pa.RecordBatch.from_arrays([arrays[c.name] for c in child.columns], schema=dml._arrow_schema(child))
    if action != "cascade":
        check_new_rows(session, txn, ctx, child, new, exclude_rowids=rowids,
                       changed_cols={[c.name for c in child.columns].index(c) for c in cols},
                       settled_fk=fk["name"] if action == "set default" else None)
    if action == "set default":
        _check_defaults_have_parents(txn, parent, child, fk, new, keys, remap)
    txn.update(child.schema, child.name, pa.array(rows.column("_rowid").to_pylist(), pa.int64()), new)


def _check_defaults_have_parents(txn: Any, parent: Any, child: Any, fk: dict, new: pa.RecordBatch,
                                 removed: set[tuple], remap: dict) -> None:
    """ON ... SET DEFAULT: the default key must have a parent once the statement is done, as
    PostgreSQL checks it after the parent's change: not the key being deleted or updated away
    (23503 on the parent), but a key the same update gives a parent row counts."""
    gone = {_norm(k) for k in removed}
    added = {_norm(v) for v in remap.values() if not any(x is None for x in v)}
    wanted = [k for k in dict.fromkeys(_key_tuples(new, fk["columns"], child)) if not any(v is None for v in k)]
    if not wanted:
        return
    present = _parent_keys(txn, parent, fk["ref_columns"], wanted)
    for k in wanted:
        nk = _norm(k)
        if nk in added:
            continue
        if nk in gone:
            raise parent_violation(parent, child, fk, k)
        if nk not in present:
            raise child_violation(child, fk, k)


def _declaring_table(txn: Any, child: Any, fk: dict) -> Any:
    """The table whose foreign key a partition's clone is: PostgreSQL names it in a parent violation."""
    while (up := (child.options or {}).get("partition_of")) is not None:
        parent = txn.get_table(up["schema"], up["name"])
        if parent is None or not any(f["name"] == fk["name"] for f in parent.options.get("foreign_keys") or []):
            break
        child = parent
    return child


def _find(remap: dict, k: tuple) -> tuple:
    nk = _norm(k)
    for old in remap:
        if _norm(old) == nk:
            return old
    return k


# ------------------------------------------------------------------------------------ DDL helpers
def constant_default(session: Any, txn: Any, col: Any) -> Any:
    """The Python value of a column default for filling existing rows (ALTER TABLE ADD COLUMN)."""
    from helios_core.sql import dml
    from helios_core.storage import TableDef

    tmp = TableDef("pg_temp", "_default", [col], [], {}, 0)
    ctx = session.context(txn)
    arr = dml.default_array(session, txn, tmp, 0, 1, ctx)
    return arr[0].as_py()


def check_no_nulls(session: Any, txn: Any, tdef: Any, cname: str) -> None:
    for b in txn.scan(tdef.schema, tdef.name, columns=[cname]):
        if b.num_rows and b.column(0).null_count:
            raise NotNullViolation(f'column "{cname}" of relation "{tdef.name}" contains null values')


def check_table_unique(txn: Any, tdef: Any, u: dict) -> None:
    """23505 when two visible rows of the table share a key of unique constraint ``u`` (a deferred
    check, run at COMMIT or SET CONSTRAINTS ... IMMEDIATE)."""
    cols = u["columns"]
    seen: set[tuple] = set()
    for b in txn.scan(tdef.schema, tdef.name, columns=cols):
        for k, shown in zip(_key_tuples(b, cols, tdef), _key_tuples(b, cols), strict=True):
            if any(v is None for v in k):
                continue
            if k in seen:
                _unique_error(tdef, u, shown)
            seen.add(k)


def check_existing_unique(session: Any, txn: Any, tdef: Any, cols: list[str], name: str) -> None:
    seen: set[tuple] = set()
    for b in txn.scan(tdef.schema, tdef.name, columns=cols):
        for k in _key_tuples(b, cols, tdef):
            if any(v is None for v in k):
                continue
            if k in seen:
                raise UniqueViolation(f'could not create unique index "{name}"',
                                      detail=f"Key ({', '.join(cols)})=({', '.join(_fmt(v) for v in k)}) is "
                                             "duplicated.", schema_name=tdef.schema, table_name=tdef.name,
                                      constraint_name=name)
            seen.add(k)


def validate_table(session: Any, txn: Any, tdef: Any) -> None:
    """Existing rows against the table's constraints (after ADD CONSTRAINT)."""
    ctx = session.context(txn)
    batches = [b for b in txn.scan(tdef.schema, tdef.name) if b.num_rows]
    if not batches:
        return
    table = pa.Table.from_batches(batches).combine_chunks()
    batch = table.to_batches()[0]
    opts = tdef.options or {}
    if opts.get("checks"):
        try:
            _check_checks(session, ctx, tdef, batch, existing=True)
        except CheckViolation as e:  # existing rows: PostgreSQL names the constraint, not a new row
            raise CheckViolation(f'check constraint "{e.constraint_name}" of relation "{tdef.name}" is violated by '
                                 "some row", schema_name=tdef.schema, table_name=tdef.name,
                                 constraint_name=e.constraint_name) from None
    for u in opts.get("unique", []):
        check_existing_unique(session, txn, tdef, u["columns"], u["name"])
    for fk in opts.get("foreign_keys", []):
        if not fk.get("not_valid"):  # NOT VALID: existing rows wait for VALIDATE CONSTRAINT
            _check_fk_child(None, txn, tdef, batch, fk)  # existing rows: checked now, deferrable or not


def validate_constraint(session: Any, txn: Any, tdef: Any, name: str) -> Any:
    """ALTER TABLE ... VALIDATE CONSTRAINT: a CHECK or FOREIGN KEY constraint added NOT VALID is
    checked against the existing rows (23514 / 23503) and marked valid; a valid one is left alone."""
    opts = dict(tdef.options or {})
    for key in ("checks", "foreign_keys"):
        records = list(opts.get(key) or [])
        for i, rec in enumerate(records):
            if rec["name"] != name:
                continue
            if rec.get("not_valid"):
                valid = {k: v for k, v in rec.items() if k != "not_valid"}
                records[i] = valid
                opts[key] = records
                tdef = txn.alter_table(tdef.schema, tdef.name, options={key: records})
                batches = [b for b in txn.scan(tdef.schema, tdef.name) if b.num_rows]
                if batches:
                    batch = pa.Table.from_batches(batches).combine_chunks().to_batches()[0]
                    if key == "checks":
                        try:
                            _check_checks(session, session.context(txn), tdef, batch, only=[valid])
                        except CheckViolation as e:
                            raise CheckViolation(f'check constraint "{name}" of relation "{tdef.name}" is violated '
                                                 "by some row", schema_name=tdef.schema, table_name=tdef.name,
                                                 constraint_name=name) from e
                    else:
                        _check_fk_child(None, txn, tdef, batch, valid)
            return tdef
    raise HeliosError(f'constraint "{name}" of relation "{tdef.name}" does not exist', sqlstate="42704")



def validate_foreign_keys(txn: Any, tdef: Any, fks: list[dict]) -> None:
    """Existing rows of ``tdef`` against foreign keys it just took (a partition being attached)."""
    batches = [b for b in txn.scan(tdef.schema, tdef.name) if b.num_rows]
    if not batches:
        return
    batch = pa.Table.from_batches(batches).combine_chunks().to_batches()[0]
    for fk in fks:
        _check_fk_child(None, txn, tdef, batch, fk)


def column_metadata(tdef: Any, cname: str) -> dict:
    """A column's SQL metadata, with later ALTER COLUMN SET/DROP DEFAULT applied."""
    over = (tdef.options or {}).get("column_metadata", {})
    if cname in over:
        return over[cname]
    col = tdef.column(cname)
    return dict(col.metadata or {}) if col is not None else {}


def rebuild_table(session: Any, txn: Any, tdef: Any, cols: list[Any], pk: list[str], *,
                  convert: str | None = None, options: dict | None = None, using: Any = None,
                  reshape: Any = None) -> Any:
    """Re-create a table with new column definitions or key and copy its rows (PostgreSQL rewrites too).

    Used where the storage keeps a property fixed at creation: the primary key, NOT NULL, a
    column's type (``convert`` names the column whose values are cast with assignment rules, or
    computed by ``using``, ALTER COLUMN TYPE's USING expression over the old row; ``reshape`` maps
    an old batch to the new columns' arrays, ALTER TYPE's rewrite of stored composite values).
    """
    from helios_core.sql import dml

    batches = [b for b in txn.scan(tdef.schema, tdef.name) if b.num_rows]
    computed = None
    if using is not None:  # evaluated over the old rows before the table changes
        ctx = session.context(txn)
        expr = compile_scalar(using, dml._scope(tdef), ctx)
        computed = []
        for b in batches:
            v = expr.evaluate(b, ctx)
            computed.append(v.broadcast(b.num_rows) if v.scalar else v)
    opts = dict(options if options is not None else tdef.options)
    opts.pop("column_metadata", None)
    opts.pop("__fill__", None)  # every row is written again: the fills of added columns go (their ids are reused)
    txn.drop_table(tdef.schema, tdef.name)
    new = txn.create_table(tdef.schema, tdef.name, cols, primary_key=pk or None, options=opts)
    publications.table_recreated(txn, tdef.table_id, new.table_id)  # it stays in its publications
    if convert is not None:
        from helios_core.sql.context import table_sql_columns
        from helios_core.sql.functions.vec import Vec

        old_types = dict(table_sql_columns(tdef))
        new_types = dict(table_sql_columns(new))
    for k, b in enumerate(batches):
        if reshape is not None:
            b = pa.RecordBatch.from_arrays(reshape(b), schema=dml._arrow_schema(new))
        if convert is not None:
            arrays = []
            for c in cols:
                arr = b.column(c.name)
                if c.name == convert:
                    value = computed[k] if computed is not None else Vec(arr, old_types[c.name])
                    arr = dml.assign(value, new_types[c.name], b.num_rows, c.name)
                arrays.append(arr)
            b = pa.RecordBatch.from_arrays(arrays, schema=dml._arrow_schema(new))
        txn.insert(tdef.schema, tdef.name, b)
    return new


def add_primary_key(session: Any, txn: Any, tdef: Any, pk: list[str], pk_name: str | None) -> Any:
    """ALTER TABLE ADD PRIMARY KEY: rebuild the table with the key (storage keys are fixed at creation)."""
    from helios_core.storage import ColumnDef

    for c in pk:
        if tdef.column(c) is None:
            raise HeliosError(f'column "{c}" of relation "{tdef.name}" does not exist', sqlstate="42703")
    if hasattr(txn, "set_primary_key"):
        return txn.set_primary_key(tdef.schema, tdef.name, pk)
    check_existing_unique(session, txn, tdef, pk, pk_name or f"{tdef.name}_pkey")
    for c in pk:
        check_no_nulls(session, txn, tdef, c)
    cols = [ColumnDef(c.name, c.type, c.nullable and c.name not in pk, column_metadata(tdef, c.name))
            for c in tdef.columns]
    opts = dict(tdef.options)
    opts["pk_name"] = pk_name or f"{tdef.name}_pkey"
    iname = opts["pk_name"]
    opts["indexes"] = list(opts.get("indexes", [])) + [iname]
    new = rebuild_table(session, txn, tdef, cols, pk, options=opts)
    txn.catalog_put("index", f"{tdef.schema}.{iname}", {"schema": tdef.schema, "name": iname, "table": tdef.name,
                                                       "columns": pk, "unique": True, "primary": True,
                                                       "constraint": True})
    return new
