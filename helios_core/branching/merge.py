"""MERGE BRANCH a INTO b [WITH (on_conflict = 'ours' | 'theirs')]: a's changes since the common point.

One REPEATABLE READ transaction on b reads b's rows, applies every non-conflicting change
a made since the base (diff.py) and commits once: the merge is atomic, and a concurrent
writer on b makes it fail with 40001 rather than lose an update.

Conflicts (a key both sides changed to different outcomes; a row both modified is merged
cell by cell and conflicts only where both changed the same cell differently) abort the
merge with SQLSTATE 40001 and a detail listing them, unless a policy says who wins: ``ours``
keeps b's cells/rows (b is the branch merged into, as in ``git merge``), ``theirs`` takes a's.

Schema: a table a created since the base is created on b (with its SERIAL sequences); a
table a dropped is dropped on b when b did not change it; columns a added at the end
(ALTER TABLE ... ADD COLUMN) are added on b, its old rows getting the value a's old rows got.
After the commit, b's sequences move past the ids merged in. Known limits: other column
changes (drop, rename, retype) must be aligned by hand first; SQL-level constraints other
than the primary key and NOT NULL (CHECK, FOREIGN KEY, UNIQUE) are not re-checked on b.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.branching import ancestry, changes, diff, privileges, records
from helios_core.errors import HeliosError, SerializationFailure
from helios_core.sql import object_privileges

POLICIES = ("ours", "theirs")
MAX_REPORTED = 50


def _key_text(d: diff.TableDiff, i: int) -> str:
    keys = d.a_changes.keys
    cols = ", ".join(d.key_cols)
    vals = ", ".join(str(keys.column(k)[i].as_py()) for k in d.key_cols)
    return f"({cols})=({vals})"


def _user_tables(txn: Any) -> set[tuple[str, str]]:
    return {(t.schema, t.name) for t in txn.list_tables() if t.schema not in ("pg_internal", "pg_catalog")}


def merge_branch(session: Any, source: str, target: str, options: dict[str, Any]) -> Any:
    from helios_core.session import Result
    engine, db = session.engine, session.database
    store = engine.store
    policy = None
    for k, v in options.items():
        if k.lower() != "on_conflict":
            raise HeliosError(f'unrecognized MERGE BRANCH option "{k}"', sqlstate="22023")
        policy = str(v).lower()
        if policy not in POLICIES:
            raise HeliosError(f'invalid value for on_conflict: "{v}"', sqlstate="22023",
                              hint="on_conflict is 'ours' (keep the target's rows) or 'theirs' (take the source's).")
    for name in (source, target):
        if store.get_branch(db, name) is None:
            raise HeliosError(f'branch "{name}" does not exist', sqlstate="42704")
    privileges.check_read(session, source)
    privileges.check_use(session, target)
    base = ancestry.common_point(engine, db, source, target)
    src_txn = store.begin(db, source, read_only=True, isolation="repeatable read")
    txn = store.begin(db, target, isolation="repeatable read")
    base_txn = store.begin(db, base.branch, read_only=True)
    try:
        names = _user_tables(src_txn) | _user_tables(txn)
        names |= {(t.schema, t.name) for t in _tables_at(base_txn, base.ts)}
        source_ts = src_txn.snapshot_ts
        plans = []
        conflicts: list[str] = []
        for schema, name in sorted(names):
            src_def = src_txn.get_table(schema, name)
            defs = (src_def, src_def, base_txn.get_table_as_of(schema, name, base.ts))
            if not changes.may_differ(store, db, (source,), base, defs):
                continue  # the source did not touch it since the base: nothing to apply, nothing to clash
            d = diff.table_diff(engine, db, source, target, base, schema, name, b_txn=txn)
            if d is None:
                continue
            in_a = src_txn.get_table(schema, name) is not None
            in_b = txn.get_table(schema, name) is not None
            object_privileges.check_branch_table_read(session, src_txn, schema, name)  # each branch's
            object_privileges.check_merge_into(session, txn, schema, name, in_source=in_a, in_target=in_b)
            plans.append((d, in_a, in_b))
            for i in np.nonzero(d.conflict_a)[0][:MAX_REPORTED]:
                bi = _b_kind(d, i)
                conflicts.append(f"{schema}.{name} {_key_text(d, int(i))}: {d.a_changes.kind[i]} on {source}, "
                                 f"{bi} on {target}")
        total_conflicts = sum(d.conflicts for d, _, _ in plans)
        if total_conflicts and policy is None:
            shown = "\n".join(conflicts[:MAX_REPORTED])
            more = total_conflicts - min(len(conflicts), MAX_REPORTED)
            raise SerializationFailure(
                f'MERGE BRANCH {source} INTO {target}: {total_conflicts} conflicting change'
                f'{"s" if total_conflicts != 1 else ""}; nothing was merged',
                detail=shown + (f"\n... and {more} more" if more > 0 else ""),
                hint="Resolve the rows by hand, or merge WITH (on_conflict = 'ours') to keep the target's rows "
                     "or 'theirs' to take the source's.")
        counts = {"inserted": 0, "updated": 0, "deleted": 0, "tables_created": 0, "tables_dropped": 0}
        for d, in_a, in_b in plans:
            _apply(txn, d, in_a, in_b, policy, counts, src_txn)
        commit_ts = txn.commit()
    except BaseException:
        txn.rollback()
        raise
    finally:
        src_txn.rollback()
        base_txn.rollback()
    with records.writing(engine, db) as rtxn:
        ancestry.record_merge(rtxn, source, target, source_ts, commit_ts)
        detail = (f"from {source}: {counts['inserted']} inserted, {counts['updated']} updated, "
                  f"{counts['deleted']} deleted; {total_conflicts} conflicts"
                  + (f" resolved by {policy}" if total_conflicts else ""))
        records.log_event(rtxn, commit_ts, "merge", target, session.user, detail)
    engine.bump_plan_generation()
    if counts["inserted"] or counts["updated"]:
        _advance_sequences(session, target, [d for d, in_a, _ in plans if in_a])
    # PostgreSQL's MERGE tag: the rows inserted, updated or deleted on the target. libpq reads a
    # count after "MERGE ", so the statement's name may not follow it (psql would complain).
    changed = counts["inserted"] + counts["updated"] + counts["deleted"]
    return Result(command_tag=f"MERGE {changed}", notices=[f"merged {source} into {target}: {detail}"])


def _tables_at(txn: Any, ts: int) -> list[Any]:
    out = []
    for t in txn.list_tables():
        if t.schema not in ("pg_internal", "pg_catalog") and txn.get_table_as_of(t.schema, t.name, ts) is not None:
            out.append(t)
    return out


def _b_kind(d: diff.TableDiff, i: int) -> str:
    """The kind of b's change to the key of a-change ``i``."""
    key = {k: d.a_changes.keys.column(k)[i] for k in d.key_cols}
    mask = None
    for k, v in key.items():
        m = pc.equal(d.b_changes.keys.column(k), v)
        mask = m if mask is None else pc.and_(mask, m)
    hits = np.nonzero(np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False)))[0]
    return d.b_changes.kind[int(hits[0])] if len(hits) else "changed"


def _sequence_columns(d: diff.TableDiff) -> list[tuple[str, str]]:
    """(sequence key, column) of the table's SERIAL/IDENTITY columns (ColumnDef.metadata["sequence"])."""
    if d.tdef is None:
        return []
    return [(c.metadata["sequence"], c.name) for c in d.tdef.columns if (c.metadata or {}).get("sequence")]


def _advance_sequences(session: Any, target: str, diffs: list[diff.TableDiff]) -> None:
    """Rows merged in carry ids the target's sequences never handed out: move each sequence past the
    column's maximum so the target's next nextval() does not collide (sequences are not transactional,
    so this follows the commit)."""
    import pyarrow.compute as pc

    from helios_core.sql import sequences
    from helios_core.sql.session_impl import SqlSession

    work = [(d, key, col) for d in diffs for key, col in _sequence_columns(d)]
    if not work:
        return
    tmp = SqlSession(session.engine, user=session.user, database=session.database, branch=target,
                     options={}, pid=0)
    try:
        for d, key, col in work:
            txn = tmp.tx.current()
            if txn.get_table(d.schema, d.name) is None or txn.catalog_get("sequence", key) is None:
                continue
            top = None
            for b in txn.scan(d.schema, d.name, columns=[col]):
                m = pc.max(b.column(0)).as_py()
                top = m if top is None or (m is not None and m > top) else top
            defn = txn.catalog_get("sequence", key)
            if top is None or defn.get("increment", 1) < 0:
                continue
            if sequences.nextval(tmp, key) <= top:
                sequences.setval(tmp, key, int(top))
    finally:
        tmp.close()


def _apply(txn: Any, d: diff.TableDiff, in_a: bool, in_b: bool, policy: str | None, counts: dict,
           src_txn: Any) -> None:
    ch = d.a_changes
    n = len(ch.kind)
    take = ~d.conflict_a if policy != "theirs" else np.ones(n, dtype=bool)
    if policy == "ours" and d.cell_merge is not None:
        # a row both sides modified with clashing cells still takes a's other cells (b's clashing ones stay)
        take[d.cell_merge.ia] = True
    if not in_a and in_b:
        # a dropped the table: drop it on b unless b changed rows (then b's rows are a conflict: keep them)
        if len(d.b_changes.kind) == 0 or policy == "theirs":
            txn.drop_table(d.schema, d.name)
            counts["tables_dropped"] += 1
        return
    if in_a and not in_b:
        if d.b.num_rows or len(d.b_changes.kind):
            return  # b dropped a table a changed: keep b's decision (a conflict resolved as ours)
        tdef = d.tdef
        for key, _ in _sequence_columns(d):  # the SERIAL columns' sequences come along
            if txn.catalog_get("sequence", key) is None and src_txn.catalog_get("sequence", key) is not None:
                txn.catalog_put("sequence", key, src_txn.catalog_get("sequence", key))
        txn.create_table(d.schema, d.name, tdef.columns, primary_key=tdef.primary_key or None,
                         options=tdef.options)
        counts["tables_created"] += 1
    for col in d.widen_b:  # a added columns since the base: b gets them, pre-existing rows the same value
        txn.alter_table(d.schema, d.name, add_column=col, fill_value=d.fills.get(col.name))
        counts["columns_added"] = counts.get("columns_added", 0) + 1
    if n == 0 or not take.any():
        return
    sel = np.nonzero(take)[0]
    kinds = np.array(ch.kind, dtype=object)[sel]
    bpos = pc.take(d.b_pos_of_a, pa.array(sel))
    has_b = np.asarray(pc.is_valid(bpos).to_numpy(zero_copy_only=False), dtype=bool)
    removed = kinds == diff.REMOVED
    src = d.a
    head_pos = pc.take(ch.head_pos, pa.array(sel))
    b_rowids = d.b.column(diff.ROWID)
    # deletions of rows b still has
    dele = np.nonzero(removed & has_b)[0]
    if len(dele):
        rid = b_rowids.take(pc.take(bpos, pa.array(dele)))
        _checked(txn.delete(d.schema, d.name, rid.combine_chunks() if hasattr(rid, "combine_chunks") else rid))
        counts["deleted"] += len(dele)
    upd = np.nonzero(~removed & has_b)[0]
    if len(upd):
        rid = b_rowids.take(pc.take(bpos, pa.array(upd)))
        rows = _update_rows(d, src, sel[upd], pc.take(head_pos, pa.array(upd)), policy)
        _checked(txn.update(d.schema, d.name, rid.combine_chunks() if hasattr(rid, "combine_chunks") else rid,
                            rows.combine_chunks().to_batches()[0] if rows.num_rows else rows))
        counts["updated"] += len(upd)
    ins = np.nonzero(~removed & ~has_b)[0]
    if len(ins):
        rows = src.select(d.columns).take(pc.take(head_pos, pa.array(ins)))
        txn.insert(d.schema, d.name, rows)
        counts["inserted"] += len(ins)


def _update_rows(d: diff.TableDiff, src: pa.Table, change_idx: np.ndarray, head_pos: Any,
                 policy: str | None) -> pa.Table:
    """The new rows for a-changes ``change_idx``: a's row, or the cell-by-cell merge where b modified the
    same row too (b's clashing cells kept under 'ours')."""
    rows = src.select(d.columns)
    cm = d.cell_merge
    if cm is None:
        return rows.take(head_pos)
    merged = cm.ours if policy == "ours" else cm.theirs
    where = {int(i): j for j, i in enumerate(cm.ia)}
    idx = np.asarray(head_pos.to_numpy(zero_copy_only=False), dtype=np.int64).copy()
    for k, ci in enumerate(change_idx):
        j = where.get(int(ci))
        if j is not None:
            idx[k] = rows.num_rows + j
    both = pa.concat_tables([rows, merged.select(d.columns).cast(rows.schema)])
    return both.take(pa.array(idx))


def _checked(outcome: Any) -> None:
    if len(getattr(outcome, "changed", ())) or len(getattr(outcome, "gone", ())):
        raise SerializationFailure("could not serialize access due to concurrent update of the target branch")

