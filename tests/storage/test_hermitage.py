"""Hermitage anomalies (shared/corpora/hermitage/postgres.md) against the storage API.

Each test replays PostgreSQL's script step by step with one Sess per transaction and
asserts exactly what PostgreSQL shows at READ COMMITTED / REPEATABLE READ.
"""

from __future__ import annotations

import pytest

from helios_core.errors import SerializationFailure
from tests.storage.sqlish import Sess, make_store, value_mod, where_id, where_value

RC = "read committed"
RR = "repeatable read"
BOTH = [RC, RR]


@pytest.fixture
def sessions():
    store = make_store()
    made: list[Sess] = []

    def new(iso: str) -> Sess:
        s = Sess(store, iso)
        made.append(s)
        return s

    yield new
    for s in made:
        s.close()


@pytest.mark.parametrize("iso", BOTH)
def test_g0_write_cycles(sessions, iso):
    t1, t2 = sessions(iso), sessions(iso)
    t1.update(where_id(1), 11)
    fut = t2.submit(t2.update, where_id(1), 12)
    t2.wait_blocked(fut)
    t1.update(where_id(2), 21)
    t1.txn.commit()
    assert t1.select() == {1: 11, 2: 21}
    if iso == RC:
        assert fut.result() == 1
        t2.update(where_id(2), 22)
        t2.txn.commit()
        assert sessions(iso).select() == {1: 12, 2: 22}
    else:
        with pytest.raises(SerializationFailure):
            fut.result()
        t2.txn.rollback()
        assert sessions(iso).select() == {1: 11, 2: 21}


@pytest.mark.parametrize("iso", BOTH)
def test_g1a_aborted_reads(sessions, iso):
    t1, t2 = sessions(iso), sessions(iso)
    t1.update(where_id(1), 101)
    assert t2.select() == {1: 10, 2: 20}
    t1.txn.rollback()
    assert t2.select() == {1: 10, 2: 20}
    t2.txn.commit()


@pytest.mark.parametrize("iso", BOTH)
def test_g1b_intermediate_reads(sessions, iso):
    t1, t2 = sessions(iso), sessions(iso)
    t1.update(where_id(1), 101)
    assert t2.select() == {1: 10, 2: 20}
    t1.update(where_id(1), 11)
    t1.txn.commit()
    # RC sees the final committed value; RR keeps its snapshot
    assert t2.select() == ({1: 11, 2: 20} if iso == RC else {1: 10, 2: 20})
    t2.txn.commit()


@pytest.mark.parametrize("iso", BOTH)
def test_g1c_circular_information_flow(sessions, iso):
    t1, t2 = sessions(iso), sessions(iso)
    t1.update(where_id(1), 11)
    t2.update(where_id(2), 22)
    assert t1.select(where_id(2)) == {2: 20}
    assert t2.select(where_id(1)) == {1: 10}
    t1.txn.commit()
    t2.txn.commit()


@pytest.mark.parametrize("iso", BOTH)
def test_otv_observed_transaction_vanishes(sessions, iso):
    t1, t2, t3 = sessions(iso), sessions(iso), sessions(iso)
    t1.update(where_id(1), 11)
    t1.update(where_id(2), 19)
    fut = t2.submit(t2.update, where_id(1), 12)
    t2.wait_blocked(fut)
    if iso == RR:
        assert t3.select(where_id(1)) == {1: 10}  # RR snapshot taken before T1 commits
    t1.txn.commit()
    if iso == RR:
        with pytest.raises(SerializationFailure):
            fut.result()
        t2.txn.rollback()
        assert t3.select() == {1: 10, 2: 20}
        return
    assert fut.result() == 1
    assert t3.select(where_id(1)) == {1: 11}
    t2.update(where_id(2), 18)
    assert t3.select(where_id(2)) == {2: 19}
    t2.txn.commit()
    assert t3.select(where_id(2)) == {2: 18}
    assert t3.select(where_id(1)) == {1: 12}
    t3.txn.commit()


@pytest.mark.parametrize("iso", BOTH)
def test_pmp_predicate_many_preceders(sessions, iso):
    t1, t2 = sessions(iso), sessions(iso)
    assert t1.select(where_value(30)) == {}
    t2.insert(3, 30)
    t2.txn.commit()
    assert t1.select(value_mod(3)) == ({3: 30} if iso == RC else {})
    t1.txn.commit()


@pytest.mark.parametrize("iso", BOTH)
def test_pmp_write_predicates(sessions, iso):
    t1, t2 = sessions(iso), sessions(iso)
    t1.update(None, lambda v: v.cast("int64").to_numpy() + 10)
    fut = t2.submit(t2.delete, where_value(20))
    t2.wait_blocked(fut)
    t1.txn.commit()
    if iso == RC:
        assert fut.result() == 0  # row 2 became 30: re-check fails, nothing deleted
        assert t2.select(where_value(20)) == {1: 20}
        t2.txn.commit()
    else:
        with pytest.raises(SerializationFailure):
            fut.result()
        t2.txn.rollback()


@pytest.mark.parametrize("iso", BOTH)
def test_p4_lost_update(sessions, iso):
    t1, t2 = sessions(iso), sessions(iso)
    assert t1.select(where_id(1)) == {1: 10}
    assert t2.select(where_id(1)) == {1: 10}
    t1.update(where_id(1), 11)
    fut = t2.submit(t2.update, where_id(1), 11)
    t2.wait_blocked(fut)
    t1.txn.commit()
    if iso == RC:
        assert fut.result() == 1  # T1's update is overwritten: lost update allowed
        t2.txn.commit()
    else:
        with pytest.raises(SerializationFailure):
            fut.result()
        t2.txn.rollback()


@pytest.mark.parametrize("iso", BOTH)
def test_g_single_read_skew(sessions, iso):
    t1, t2 = sessions(iso), sessions(iso)
    assert t1.select(where_id(1)) == {1: 10}
    assert t2.select(where_id(1)) == {1: 10}
    assert t2.select(where_id(2)) == {2: 20}
    t2.update(where_id(1), 12)
    t2.update(where_id(2), 18)
    t2.txn.commit()
    assert t1.select(where_id(2)) == ({2: 18} if iso == RC else {2: 20})
    t1.txn.commit()


def test_g_single_predicate_dependencies_rr(sessions):
    t1, t2 = sessions(RR), sessions(RR)
    assert t1.select(value_mod(5)) == {1: 10, 2: 20}
    t2.update(where_value(10), 12)
    t2.txn.commit()
    assert t1.select(value_mod(3)) == {}
    t1.txn.commit()


def test_g_single_write_predicate_rr(sessions):
    t1, t2 = sessions(RR), sessions(RR)
    assert t1.select(where_id(1)) == {1: 10}
    assert t2.select() == {1: 10, 2: 20}
    t2.update(where_id(1), 12)
    t2.update(where_id(2), 18)
    t2.txn.commit()
    with pytest.raises(SerializationFailure):
        t1.delete(where_value(20))
    t1.txn.rollback()


@pytest.mark.parametrize("iso", BOTH)
def test_g2_item_write_skew(sessions, iso):
    """Allowed by PostgreSQL at RC and RR (only SERIALIZABLE prevents it)."""
    t1, t2 = sessions(iso), sessions(iso)
    assert t1.select(pc_in_ids()) == {1: 10, 2: 20}
    assert t2.select(pc_in_ids()) == {1: 10, 2: 20}
    t1.update(where_id(1), 11)
    t2.update(where_id(2), 21)
    t1.txn.commit()
    t2.txn.commit()
    assert sessions(iso).select() == {1: 11, 2: 21}


@pytest.mark.parametrize("iso", BOTH)
def test_g2_anti_dependency_cycles(sessions, iso):
    t1, t2 = sessions(iso), sessions(iso)
    assert t1.select(value_mod(3)) == {}
    assert t2.select(value_mod(3)) == {}
    t1.insert(3, 30)
    t2.insert(4, 42)
    t1.txn.commit()
    t2.txn.commit()
    assert sessions(iso).select(value_mod(3)) == {3: 30, 4: 42}


def pc_in_ids():
    import pyarrow.compute as pc

    return pc.field("id").isin([1, 2])
