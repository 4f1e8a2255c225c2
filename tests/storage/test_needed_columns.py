"""Which physical columns a filtered scan reads (storage.reads._needed_columns): the asked ones and
those the filter names; all of them when the filter names the row ids, which the table's
definition does not; a column named only inside a literal is merely read too."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

import helios_core
from helios_core.storage.reads import _needed_columns


def test_the_filters_columns_are_read_with_the_asked_ones():
    s = helios_core.connect()
    try:
        s.execute("create table nc (id int primary key, email text, label text, qty int)")
        store = s.engine.store
        txn = store.begin(s.database)
        t = txn.get_table("public", "nc")
        txn.rollback()
        full = store._full_schema(t)
        phys = {c.name: f"c{c.col_id}" for c in t.columns}
        assert _needed_columns(t, ["id"], None, full) == [phys["id"]]
        flt = pc.field("email").isin(pa.array(["a@x"]))
        assert _needed_columns(t, ["id"], flt, full) == [phys["id"], phys["email"]]
        both = flt & (pc.field("qty") > 3)
        assert _needed_columns(t, ["id"], both, full) == [phys["id"], phys["email"], phys["qty"]]
        literal = pc.field("email") == "label"  # 'label' appears only as a value: read too, harmless
        assert _needed_columns(t, ["id"], literal, full) == [phys["id"], phys["email"], phys["label"]]
        assert _needed_columns(t, ["id"], pc.field("_rowid") > 3, full) is None
        assert _needed_columns(t, None, flt, full) is None
    finally:
        s.engine.close()
