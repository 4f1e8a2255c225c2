"""Three-way diff of one table between two branches, vectorized with Arrow joins.

For branches a and b with base point P (helios_core.branching.ancestry)::

    base = table at P (time travel: scan(as_of=P.ts) on P.branch)
    A    = table at a's head,  B = table at b's head
    changes(X) = full outer join of base and X on the key (row positions only, so any
                 column type can ride along) -> added | modified | removed per key
    conflict   = a key changed on both sides to different outcomes; a row both sides
                 modified is merged cell by cell and conflicts only where both changed
                 the same cell differently (both removed, or equal rows, is no conflict)

The key is the primary key; a table without one is keyed by ``_rowid``, which storage
keeps stable for inherited rows across branches (new rows get new ids on each side).
"""

from __future__ import annotations

import collections
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.branching import changes
from helios_core.branching.ancestry import BasePoint
from helios_core.errors import FeatureNotSupported

ADDED, MODIFIED, REMOVED = "added", "modified", "removed"
ROWID = "_rowid"


@attrs.define
class SideChanges:
    """Keys a side changed since the base: positions into base and into the side's table."""

    keys: pa.Table  # key columns
    kind: list[str]
    base_pos: pa.Array  # int64, null for added
    head_pos: pa.Array  # int64, null for removed


@attrs.define
class CellMerge:
    """Keys both sides modified: positions in a's change list, whether a cell clashes, merged rows."""

    ia: np.ndarray
    clash: np.ndarray
    theirs: pa.Table  # a's cells where a changed them (a wins clashes), b's elsewhere
    ours: pa.Table  # the same, but b wins clashes


@attrs.define
class TableDiff:
    schema: str
    name: str
    key_cols: list[str]
    columns: list[str]  # data columns compared (the table's columns, without _rowid)
    base: pa.Table
    a: pa.Table
    b: pa.Table
    a_changes: SideChanges
    b_changes: SideChanges
    conflict_a: np.ndarray  # bool per a-change
    conflict_b: np.ndarray  # bool per b-change
    b_pos_of_a: pa.Array  # per a-change: position of the same key in B (null when B lacks it)
    tdef: Any = None  # the table's definition (a's when a has it; the wider one when a side added columns)
    widen_b: list[Any] = attrs.Factory(list)  # ColumnDefs a added that b lacks (a merge adds them to b)
    fills: dict[str, Any] = attrs.Factory(dict)  # the value pre-existing rows have in those columns
    cell_merge: CellMerge | None = None  # keys both modified (conflicting or not): merged cell by cell

    @property
    def conflicts(self) -> int:
        return int(self.conflict_a.sum())


def read_table(txn: Any, schema: str, name: str, *, as_of: int | None = None, with_rowid: bool = True,
               rowids: Any = None) -> tuple[Any, pa.Table | None]:
    """(TableDef, rows) of a table as ``txn``'s branch sees it (at ``as_of``; only ``rowids`` when
    given); (None, None) if absent."""
    tdef = txn.get_table_as_of(schema, name, as_of) if as_of is not None else txn.get_table(schema, name)
    if tdef is None:
        return None, None
    kw = {} if rowids is None else {"rowids": pa.array(rowids, pa.int64())}
    batches = list(txn.scan(schema, name, as_of=as_of, with_rowid=with_rowid, **kw))
    return tdef, pa.Table.from_batches(batches).combine_chunks()


def key_columns(tdef: Any) -> list[str]:
    return list(tdef.primary_key) if tdef.primary_key else [ROWID]


def _conform(t: pa.Table | None, like: pa.Schema, fills: dict[str, Any] | None = None) -> pa.Table:
    """``t`` with exactly ``like``'s columns (types cast; a missing one holds its ``fills`` value, else
    NULL); empty when t is None."""
    if t is None:
        return like.empty_table()
    cols = []
    for f in like:
        if f.name in t.column_names:
            c = t.column(f.name)
            cols.append(c if c.type == f.type else c.cast(f.type))
        elif fills and fills.get(f.name) is not None:
            cols.append(pa.array([fills[f.name]] * t.num_rows, f.type))
        else:
            cols.append(pa.nulls(t.num_rows, f.type))
    return pa.Table.from_arrays(cols, schema=like)


def infer_fills(wide: pa.Table, base: pa.Table | None, names: list[str]) -> dict[str, Any]:
    """The value ``ALTER TABLE ... ADD COLUMN`` gave rows that existed before it: the most common value
    of each new column among the wide side's rows inherited from the base (None when it has none)."""
    if base is None or not base.num_rows or not wide.num_rows:
        return {n: None for n in names}
    inherited = wide.filter(pc.is_in(wide.column(ROWID), value_set=base.column(ROWID).combine_chunks()))
    out: dict[str, Any] = {}
    for n in names:
        col = inherited.column(n).drop_null() if inherited.num_rows else None
        if col is None or len(col) == 0:
            out[n] = None
            continue
        try:
            modes = pc.mode(col)
            out[n] = modes[0]["mode"].as_py() if len(modes) else None
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid, pa.ArrowTypeError):
            vals = col.to_pylist()
            try:
                out[n] = collections.Counter(vals).most_common(1)[0][0]
            except TypeError:  # unhashable values (lists, dicts): the first one
                out[n] = vals[0]
    return out


def rows_equal(x: pa.Table, y: pa.Table, columns: list[str]) -> np.ndarray:
    """Row-wise equality of two aligned tables over ``columns`` (NULL equals NULL, NaN equals NaN)."""
    n = x.num_rows
    eq = np.ones(n, dtype=bool)
    for c in columns:
        l, r = x.column(c), y.column(c)
        try:
            same = pc.fill_null(pc.equal(l, r), False)
            both_null = pc.and_(pc.is_null(l), pc.is_null(r))
            m = pc.or_(same, both_null)
            if pa.types.is_floating(l.type):
                m = pc.or_(m, pc.fill_null(pc.and_(pc.is_nan(l), pc.is_nan(r)), False))
            eq &= np.asarray(m.to_numpy(zero_copy_only=False), dtype=bool)
        except (pa.ArrowNotImplementedError, pa.ArrowInvalid, TypeError):
            lv, rv = l.to_pylist(), r.to_pylist()
            eq &= np.fromiter((a == b for a, b in zip(lv, rv, strict=True)), dtype=bool, count=n)
    return eq


def _positions(t: pa.Table, keys: list[str], label: str) -> pa.Table:
    cols = {k: t.column(k) for k in keys}
    cols[label] = pa.array(np.arange(t.num_rows, dtype=np.int64))
    return pa.table(cols)


def side_changes(base: pa.Table, head: pa.Table, keys: list[str], columns: list[str]) -> SideChanges:
    """What ``head`` changed relative to ``base``, keyed by ``keys``."""
    j = _positions(base, keys, "_bp").join(_positions(head, keys, "_hp"), keys, join_type="full outer")
    bp, hp = j.column("_bp").combine_chunks(), j.column("_hp").combine_chunks()
    has_b = np.asarray(pc.is_valid(bp).to_numpy(zero_copy_only=False), dtype=bool)
    has_h = np.asarray(pc.is_valid(hp).to_numpy(zero_copy_only=False), dtype=bool)
    both = has_b & has_h
    changed = ~both
    if both.any():
        idx = np.nonzero(both)[0]
        bt = base.take(pc.take(bp, pa.array(idx)))
        ht = head.take(pc.take(hp, pa.array(idx)))
        differs = ~rows_equal(bt, ht, columns)
        changed[idx[differs]] = True
    sel = pa.array(np.nonzero(changed)[0])
    kind = np.where(~has_b, ADDED, np.where(~has_h, REMOVED, MODIFIED))[changed]
    return SideChanges(j.select(keys).take(sel), kind.tolist(), pc.take(bp, sel), pc.take(hp, sel))


def _outcome_rows(ch: SideChanges, head: pa.Table, columns: list[str]) -> tuple[np.ndarray, pa.Table]:
    """(removed?, the row each change leads to: the head row; NULLs for removals), one per change."""
    n = len(ch.kind)
    removed = np.array([k == REMOVED for k in ch.kind], dtype=bool)
    shape = head.select(columns).schema
    if head.num_rows == 0:  # every change is a removal
        return removed, pa.Table.from_arrays([pa.nulls(n, f.type) for f in shape], schema=shape)
    return removed, head.select(columns).take(pc.fill_null(ch.head_pos, 0))


def three_way(schema: str, name: str, tdef: Any, base: pa.Table | None, a: pa.Table | None,
              b: pa.Table | None, fills: dict[str, Any] | None = None) -> TableDiff:
    """The diff of one table; a/b/base are None where the table does not exist. ``tdef`` is the wider
    side's definition; columns only it has read as ``fills`` on the other side and the base."""
    keys = key_columns(tdef)
    like = pa.schema([pa.field(c.name, c.type) for c in tdef.columns] + [pa.field(ROWID, pa.int64())])
    base_t, a_t, b_t = _conform(base, like, fills), _conform(a, like, fills), _conform(b, like, fills)
    columns = [c for c in like.names if c != ROWID]
    ca = side_changes(base_t, a_t, keys, columns)
    cb = side_changes(base_t, b_t, keys, columns)
    # keys both sides changed: join the two change lists
    la = _positions(ca.keys, keys, "_ia")
    lb = _positions(cb.keys, keys, "_ib")
    j = la.join(lb, keys, join_type="inner")
    conflict_a = np.zeros(len(ca.kind), dtype=bool)
    conflict_b = np.zeros(len(cb.kind), dtype=bool)
    cell_merge = None
    if j.num_rows:
        ia = j.column("_ia").to_numpy()
        ib = j.column("_ib").to_numpy()
        rem_a, rows_a = _outcome_rows(ca, a_t, columns)
        rem_b, rows_b = _outcome_rows(cb, b_t, columns)
        ra, rb = rem_a[ia], rem_b[ib]
        data_cols = [c for c in columns if c not in keys] or columns
        same = (ra & rb) | (~ra & ~rb & rows_equal(rows_a.take(pa.array(ia)), rows_b.take(pa.array(ib)),
                                                    data_cols))
        # both modified a row of the base: merge cell by cell, a conflict only where both changed one cell
        kinds_a = np.array(ca.kind, dtype=object)[ia]
        kinds_b = np.array(cb.kind, dtype=object)[ib]
        both_mod = ~same & (kinds_a == MODIFIED) & (kinds_b == MODIFIED)
        if both_mod.any():
            cells = _cell_merge(base_t, a_t, b_t, ca, cb, ia[both_mod], ib[both_mod], data_cols, columns)
            same[np.nonzero(both_mod)[0][~cells.clash]] = True
            cell_merge = cells
        conflict_a[ia[~same]] = True
        conflict_b[ib[~same]] = True
    # where each a-changed key sits in B (for applying a merge)
    bpos = _positions(b_t, keys, "_bpos")
    m = la.join(bpos, keys, join_type="left outer").sort_by("_ia")
    b_pos_of_a = m.column("_bpos").combine_chunks()
    return TableDiff(schema, name, keys, columns, base_t, a_t, b_t, ca, cb, conflict_a, conflict_b, b_pos_of_a,
                     tdef, cell_merge=cell_merge)


def _cell_merge(base_t: pa.Table, a_t: pa.Table, b_t: pa.Table, ca: SideChanges, cb: SideChanges,
                ia: np.ndarray, ib: np.ndarray, data_cols: list[str], columns: list[str]) -> CellMerge:
    """Rows both sides modified: per cell, who changed it; the merged rows under each policy."""
    take = pa.array
    base_r = base_t.take(pc.take(ca.base_pos, take(ia)))
    a_r = a_t.take(pc.take(ca.head_pos, take(ia)))
    b_r = b_t.take(pc.take(cb.head_pos, take(ib)))
    n = len(ia)
    clash = np.zeros(n, dtype=bool)
    theirs, ours = {}, {}
    for c in columns:
        if c not in data_cols:
            theirs[c] = ours[c] = a_r.column(c)
            continue
        a_ch = ~rows_equal(a_r.select([c]), base_r.select([c]), [c])
        b_ch = ~rows_equal(b_r.select([c]), base_r.select([c]), [c])
        clash_c = a_ch & b_ch & ~rows_equal(a_r.select([c]), b_r.select([c]), [c])
        clash |= clash_c
        theirs[c] = pc.if_else(pa.array(a_ch), a_r.column(c), b_r.column(c))
        ours[c] = pc.if_else(pa.array(a_ch & ~clash_c), a_r.column(c), b_r.column(c))
    return CellMerge(ia=ia, clash=clash, theirs=pa.table(theirs), ours=pa.table(ours))


def _side_rows(d: TableDiff, ch: SideChanges, head: pa.Table, branch: str, conflict: np.ndarray) -> pa.Table:
    n = len(ch.kind)
    src_base = np.array([k == REMOVED for k in ch.kind], dtype=bool)
    cols = {}
    for c in d.columns:
        if n == 0:
            cols[c] = head.column(c).slice(0, 0)
            continue
        from_head = head.column(c).take(pc.fill_null(ch.head_pos, 0)) if head.num_rows else pa.nulls(
            n, head.schema.field(c).type)
        from_base = d.base.column(c).take(pc.fill_null(ch.base_pos, 0)) if d.base.num_rows else pa.nulls(
            n, head.schema.field(c).type)
        cols[c] = pc.if_else(pa.array(src_base), from_base, from_head)
    out = {"branch_name": pa.array([branch] * n, pa.string()), "diff_type": pa.array(ch.kind, pa.string()),
           "conflict": pa.array(conflict, pa.bool_())}
    out.update(cols)
    return pa.table(out)


def diff_rows(d: TableDiff, a_name: str, b_name: str) -> pa.Table:
    """branch_diff's result: one row per key a side changed, sorted by key, a's row first."""
    t = pa.concat_tables([_side_rows(d, d.a_changes, d.a, a_name, d.conflict_a),
                          _side_rows(d, d.b_changes, d.b, b_name, d.conflict_b)])
    side = pa.array(np.r_[np.zeros(len(d.a_changes.kind), np.int8), np.ones(len(d.b_changes.kind), np.int8)])
    t = t.append_column("_side", side)
    keys = [k for k in d.key_cols if k in t.column_names]
    order = [(k, "ascending") for k in keys] + [("_side", "ascending")]
    return t.sort_by(order).drop_columns(["_side"])


def table_diff(engine: Any, db: str, a: str, b: str, base: BasePoint, schema: str, name: str,
               b_txn: Any = None) -> TableDiff | None:
    """Read base, a and b of one table and diff them; None when the table exists on neither side."""
    store = engine.store
    ta = store.begin(db, a, read_only=True, isolation="repeatable read")
    tb = b_txn or store.begin(db, b, read_only=True, isolation="repeatable read")
    tbase = store.begin(db, base.branch, read_only=True)
    try:
        da, db_ = ta.get_table(schema, name), tb.get_table(schema, name)
        if da is None and db_ is None:
            return None
        # only rows some layer touched since the base can differ (changes.py); None: read them all
        cand = changes.candidate_rowids(store, db, (a, b), base,
                                        (da, db_, tbase.get_table_as_of(schema, name, base.ts)))
        da, ra = read_table(ta, schema, name, rowids=cand)
        db_, rb = read_table(tb, schema, name, rowids=cand)
        _, rbase = read_table(tbase, schema, name, as_of=base.ts, rowids=cand)
        tdef = da if da is not None else db_
        widen_b: list[Any] = []
        fills: dict[str, Any] = {}
        if da is not None and db_ is not None:
            ca, cb = [(c.name, c.type) for c in da.columns], [(c.name, c.type) for c in db_.columns]
            if ca != cb:
                if ca[: len(cb)] == cb:  # a added columns (ALTER TABLE ... ADD COLUMN): b gets them
                    widen_b = list(da.columns[len(cb):])
                    fills = infer_fills(ra, rbase, [c.name for c in widen_b])
                elif cb[: len(ca)] == ca:  # b added columns: a's rows read them as their fill
                    tdef = db_
                    fills = infer_fills(rb, rbase, [c.name for c in db_.columns[len(ca):]])
                else:
                    raise FeatureNotSupported(
                        f'table "{name}" has different columns on branches "{a}" and "{b}"',
                        hint="Diff and merge follow columns added at the end (ALTER TABLE ... ADD COLUMN); "
                             "align other changes with ALTER TABLE first.")
        d = three_way(schema, name, tdef, rbase, ra, rb, fills)
        d.widen_b = widen_b
        d.fills = fills
        return d
    finally:
        ta.rollback()
        tbase.rollback()
        if b_txn is None:
            tb.rollback()
