"""ctid on branches: the rows a branch inherits and the rows it writes itself come from different
row-id ranges whose low bits can coincide; every row of the table must still have its own ctid,
and a ctid found on one branch addresses that row there only. CLUSTER's refusals."""

from __future__ import annotations

import helios_core
from helios_core.errors import HeliosError


def _rows(s, sql):
    return s.execute(sql)[-1].rows()


def test_ctids_stay_distinct_across_inherited_and_own_rows():
    s = helios_core.connect()
    s.execute("create table items (n int, label text)")
    s.execute("insert into items select g, 'main' from generate_series(1, 600) g")
    s.execute("create branch dev from main")
    s.execute("set heliosdb.branch = dev")
    s.execute("insert into items select g, 'dev' from generate_series(601, 1200) g")
    assert _rows(s, "select count(distinct ctid), count(*) from items") == [(1200, 1200)]
    assert _rows(s, "select count(*) from items where ctid = (select ctid from items where n = 1)") == [(1,)]
    # the idiom: delete the one row a subquery found, on this branch only
    s.execute("delete from items where ctid = (select ctid from items where n = 5)")
    s.execute("delete from items where ctid = (select ctid from items where n = 700)")
    assert _rows(s, "select count(*) from items") == [(1198,)]
    assert _rows(s, "select count(*) from items where n in (5, 700)") == [(0,)]
    s.execute("set heliosdb.branch = main")
    assert _rows(s, "select count(*), count(distinct ctid) from items") == [(600, 600)]
    assert _rows(s, "select count(*) from items where n = 5") == [(1,)]
    s.close()


def test_ctid_is_a_tid_ordered_like_postgres():
    s = helios_core.connect()
    s.execute("create table t (n int)")
    s.execute("insert into t select g from generate_series(1, 700) g")
    # rows written one after another get increasing addresses: (block, offset), 256 to a block here
    texts = [r[0] for r in _rows(s, "select ctid::text as c from t order by ctid")]
    pairs = [tuple(int(x) for x in t.strip("()").split(",")) for t in texts]
    assert pairs == sorted(pairs) and len(set(pairs)) == 700
    assert all(1 <= off <= 256 for _, off in pairs)
    assert _rows(s, "select n from t order by ctid limit 3") == [(1,), (2,), (3,)]
    s.close()


def test_cluster_refuses_what_it_does_not_build():
    """CLUSTER on an index whose keys include an expression is refused (0A000, naming it), not
    done in some other order."""
    s = helios_core.connect()
    s.execute("create table ce (n int)")
    s.execute("insert into ce values (3), (1), (2)")
    s.execute("create index ce_expr on ce ((n * -1))")
    try:
        s.execute("cluster ce using ce_expr")
    except HeliosError as e:
        assert e.sqlstate == "0A000" and "ce_expr" in str(e)
    else:
        raise AssertionError("CLUSTER on an expression index was accepted")
    assert _rows(s, "select n from ce") == [(3,), (1,), (2,)]
    s.close()
