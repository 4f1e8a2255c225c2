"""MERGE BRANCH against a model: random changes on two branches, merged by each policy, must give what
applying the source's changes to the target gives (rows both sides modified: cell by cell), and
report exactly the keys both sides changed differently."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from helios_core.engine import Engine
from helios_core.errors import HeliosError

KEYS = range(6)
COLS = ("v", "w")
ops = st.lists(st.tuples(st.sampled_from(["put", "del"]), st.sampled_from(KEYS), st.sampled_from(COLS),
                         st.integers(0, 2)), max_size=6)
_n = itertools.count()


@pytest.fixture(scope="module")
def engine():
    e = Engine.open(None)
    yield e
    e.close()


def _apply_model(state: dict, changes: list) -> dict:
    state = dict(state)
    for op, k, col, val in changes:
        if op == "put":
            row = dict(state.get(k, {"v": 0, "w": 0}))
            row[col] = val
            state[k] = row
        else:
            state.pop(k, None)
    return {k: (r["v"], r["w"]) if isinstance(r, dict) else r for k, r in state.items()}


def _apply_sql(session, table: str, changes: list) -> None:
    for op, k, col, val in changes:
        if op == "put":
            session.execute(f"insert into {table} values ({k}, 0, 0) on conflict (k) do nothing")
            session.execute(f"update {table} set {col} = {val} where k = {k}")
        else:
            session.execute(f"delete from {table} where k = {k}")


def _rows(session, table: str) -> dict:
    out = {}
    for b in session.execute(f"select k, v, w from {table}")[0].batches:
        for r in b.to_pylist():
            out[r["k"]] = (r["v"], r["w"])
    return out


def _expected(base: dict, a: dict, b: dict, policy: str | None) -> tuple[set, set, set, dict]:
    changed_a = {k for k in KEYS if a.get(k) != base.get(k)}
    changed_b = {k for k in KEYS if b.get(k) != base.get(k)}
    conflicts = set()
    merged = dict(b)
    for k in changed_a:
        if k not in changed_b or a.get(k) == b.get(k):
            if k in a:
                merged[k] = a[k]
            else:
                merged.pop(k, None)
            continue
        if k in base and k in a and k in b:  # both modified: cell by cell
            cells = []
            clash_any = False
            for i in range(len(COLS)):
                a_ch, b_ch = a[k][i] != base[k][i], b[k][i] != base[k][i]
                clash = a_ch and b_ch and a[k][i] != b[k][i]
                clash_any |= clash
                cells.append(a[k][i] if a_ch and not (clash and policy == "ours") else b[k][i])
            if clash_any:
                conflicts.add(k)
            merged[k] = tuple(cells)
            continue
        conflicts.add(k)  # added/removed against anything different: the whole row
        if policy == "theirs":
            if k in a:
                merged[k] = a[k]
            else:
                merged.pop(k, None)
    return changed_a, changed_b, conflicts, merged


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(base=st.dictionaries(st.sampled_from(KEYS), st.tuples(st.integers(0, 2), st.integers(0, 2))), a_ops=ops,
       b_ops=ops, policy=st.sampled_from([None, "ours", "theirs"]))
# both sides changed v, only a changed w: under 'ours' b keeps its v and still takes a's w
@example(base={0: (0, 0), 3: (0, 1)}, a_ops=[("put", 3, "v", 1), ("put", 3, "w", 0)], b_ops=[("put", 3, "v", 2)],
         policy="ours")
def test_merge_matches_the_model(engine, base, a_ops, b_ops, policy):
    i = next(_n)
    table, src = f"m{i}", f"src{i}"
    main = engine.connect()
    main.execute(f"create table {table} (k int primary key, v int, w int)")
    for k, (v, w) in base.items():
        main.execute(f"insert into {table} values ({k}, {v}, {w})")
    main.execute(f"create branch {src} from main")
    a = engine.connect(branch=src)
    _apply_sql(a, table, a_ops)
    _apply_sql(main, table, b_ops)
    base_rows = {k: tuple(r) for k, r in base.items()}
    a_final = _apply_model({k: {"v": v, "w": w} for k, (v, w) in base.items()}, a_ops)
    b_final = _apply_model({k: {"v": v, "w": w} for k, (v, w) in base.items()}, b_ops)
    assert _rows(a, table) == a_final and _rows(main, table) == b_final
    changed_a, changed_b, conflicts, expected = _expected(base_rows, a_final, b_final, policy)
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
