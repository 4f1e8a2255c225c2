"""A table rebuilt by ALTER COLUMN TYPE keeps no fill values of columns added before: a column
added after the rebuild gets a column id one of those had, and must not read that column's fill."""

from __future__ import annotations

import helios_core


def test_column_added_after_a_type_change_reads_no_stale_fill():
    s = helios_core.connect()
    try:
        s.execute("create table rebuilt (a integer, b integer)")
        s.execute("insert into rebuilt values (1, 2)")
        s.execute("alter table rebuilt add column s text default '0'")  # existing rows: a fill value
        s.execute("alter table rebuilt drop column b")
        s.execute("alter table rebuilt alter column s type bigint using s::bigint")  # rewritten
        s.execute("alter table rebuilt add column x integer[]")
        assert s.execute("select a, s, x from rebuilt")[-1].rows() == [(1, 0, None)]
    finally:
        s.close()
