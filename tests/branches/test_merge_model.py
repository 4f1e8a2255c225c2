"""MERGE BRANCH against a model: random changes on two branches, merged by each policy, must give what
applying the source's changes (key by key) to the target gives, and report exactly the keys both
sides changed differently."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helios_core.engine import Engine
from helios_core.errors import HeliosError

KEYS = range(6)
ops = st.lists(st.tuples(st.sampled_from(["put", "del"]), st.sampled_from(KEYS), st.integers(0, 3)), max_size=6)
_n = itertools.count()


@pytest.fixture(scope="module")
def engine():
    e = Engine.open(None)
    yield e
    e.close()


def _apply_model(state: dict, changes: list) -> dict:
    state = dict(state)
    for op, k, v in changes:
        if op == "put":
            state[k] = v
        else:
            state.pop(k, None)
    return state


def _apply_sql(session, table: str, changes: list) -> None:
    for op, k, v in changes:
        if op == "put":
            session.execute(f"insert into {table} values ({k}, {v}) on conflict (k) do update set v = {v}")
        else:
            session.execute(f"delete from {table} where k = {k}")


def _rows(session, table: str) -> dict:
    out = {}
    for b in session.execute(f"select k, v from {table}")[0].batches:
        for r in b.to_pylist():
            out[r["k"]] = r["v"]
    return out


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(base=st.dictionaries(st.sampled_from(KEYS), st.integers(0, 3)), a_ops=ops, b_ops=ops,
       policy=st.sampled_from([None, "ours", "theirs"]))
def test_merge_matches_the_model(engine, base, a_ops, b_ops, policy):
    i = next(_n)
    table, src = f"m{i}", f"src{i}"
    main = engine.connect()
    main.execute(f"create table {table} (k int primary key, v int)")
    for k, v in base.items():
        main.execute(f"insert into {table} values ({k}, {v})")
    main.execute(f"create branch {src} from main")
    a = engine.connect(branch=src)
    _apply_sql(a, table, a_ops)
    _apply_sql(main, table, b_ops)
    a_final, b_final = _apply_model(base, a_ops), _apply_model(base, b_ops)
    missing = object()
    changed_a = {k for k in KEYS if a_final.get(k, missing) != base.get(k, missing)}
    changed_b = {k for k in KEYS if b_final.get(k, missing) != base.get(k, missing)}
    conflicts = {k for k in changed_a & changed_b if a_final.get(k, missing) != b_final.get(k, missing)}
    expected = dict(b_final)
    for k in changed_a:
        if k in conflicts and policy != "theirs":
            continue
        if k in a_final:
            expected[k] = a_final[k]
        else:
            expected.pop(k, None)
    diff = main.execute(f"select branch_name, k, conflict from heliosdb.branch_diff('{src}', 'main', '{table}')")
    seen = [r for b in diff[0].batches for r in b.to_pylist()]
    assert {r["k"] for r in seen if r["branch_name"] == src} == changed_a
    assert {r["k"] for r in seen if r["branch_name"] == "main"} == changed_b
    assert {r["k"] for r in seen if r["conflict"]} == conflicts
    sql = f"merge branch {src} into main" + (f" with (on_conflict = '{policy}')" if policy else "")
    if conflicts and policy is None:
        with pytest.raises(HeliosError) as ei:
            main.execute(sql)
        assert ei.value.sqlstate == "40001"
        assert _rows(main, table) == b_final
    else:
        main.execute(sql)
        assert _rows(main, table) == expected
    main.close()
    a.close()
