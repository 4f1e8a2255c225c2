"""Each rewrite rule of the logical plan against its fixture file of cases.

``fixtures/<rule>.txt`` holds a setup script and cases; a case is a query, the logical plan
as bound (``-- before``) and the plan after that one rule (``-- after``). Each case also
runs the query twice, with all the rules and with all but this one: the answers must be
the same rows (a rule changes how, never what).
"""

from __future__ import annotations

import doctest
from collections import Counter
from pathlib import Path

import attrs
import pytest

import helios_core
from helios_core.frontends.postgres.dialect import parse
from helios_core.logical import RULES, display, optimize
from helios_core.sql.planner import Plan, decorrelate, join_order
from helios_core.sql.planner.builder import Builder
from helios_core.sql.planner.lowering import lower

FIXTURES = Path(__file__).parent / "fixtures"


@attrs.define
class Case:
    name: str
    sql: str
    before: list[str]
    after: list[str]


def read_fixture(path: Path) -> tuple[str, list[Case]]:
    """``# setup`` lines up to the first ``== name``; then per case the query, ``-- before``
    and ``-- after`` blocks (plan lines, indentation kept)."""
    setup: list[str] = []
    cases: list[Case] = []
    section = "setup"
    for line in path.read_text().splitlines():
        if line.startswith("== "):
            cases.append(Case(line[3:].strip(), "", [], []))
            section = "sql"
        elif line.strip() in ("-- before", "-- after"):
            section = line.strip()[3:]
        elif not line.strip() or line.startswith("#"):
            continue
        elif section == "setup":
            setup.append(line)
        elif section == "sql":
            cases[-1].sql += (" " if cases[-1].sql else "") + line.strip()
        else:
            getattr(cases[-1], section).append(line.rstrip())
    return "\n".join(setup), cases


def all_cases() -> list:
    out = []
    for rule in RULES:
        path = FIXTURES / f"{rule.__name__}.txt"
        setup, cases = read_fixture(path)
        out.extend(pytest.param(rule, setup, case, id=f"{rule.__name__}:{case.name}") for case in cases)
    return out


@pytest.fixture(scope="module")
def sessions():
    opened: dict[str, object] = {}
    yield opened
    for s in opened.values():
        s.engine.close()


def session_for(sessions: dict, setup: str):
    if setup not in sessions:
        s = helios_core.connect()
        for stmt in setup.split(";"):
            if stmt.strip():
                s.execute(stmt)
        sessions[setup] = s
    return sessions[setup]


def bound(session, sql: str, decorrelation: bool = True):
    builder = Builder(session.context())
    builder.decorrelation = decorrelation
    return builder.bind_top(parse(sql)[0].ast)


def rows(session, logical) -> Counter:
    op = lower(logical)
    plan = Plan(root=op, columns=[(f.name, f.type) for f in op.fields])
    return Counter(tuple(r.values()) for r in plan.to_table(session.context()).to_pylist())


def test_every_rule_has_a_fixture_with_cases():
    for rule in RULES:
        _, cases = read_fixture(FIXTURES / f"{rule.__name__}.txt")
        assert cases, rule.__name__
        module_doc = __import__(rule.__module__, fromlist=["x"]).__doc__
        assert "Before::" in module_doc and "After::" in module_doc, rule.__module__


@pytest.mark.parametrize(("rule", "setup", "case"), all_cases())
def test_rule(sessions, rule, setup, case):
    session = session_for(sessions, setup)
    plan = bound(session, case.sql)
    assert display(plan) == case.before
    assert display(optimize(plan, [rule])) == case.after
    with_all = rows(session, optimize(bound(session, case.sql)))
    without = rows(session, optimize(bound(session, case.sql), [r for r in RULES if r is not rule]))
    assert with_all == without


def decorrelation_cases() -> list:
    setup, cases = read_fixture(FIXTURES / "decorrelate_subqueries.txt")
    return [pytest.param(setup, case, id=case.name) for case in cases]


@pytest.mark.parametrize(("setup", "case"), decorrelation_cases())
def test_decorrelation(sessions, setup, case):
    """Decorrelation rewrites the query tree before binding: before = bound without it."""
    session = session_for(sessions, setup)
    assert display(bound(session, case.sql, decorrelation=False)) == case.before
    assert display(bound(session, case.sql)) == case.after
    assert rows(session, optimize(bound(session, case.sql))) == rows(
        session, optimize(bound(session, case.sql, decorrelation=False)))


def test_decorrelation_docstring_example():
    assert doctest.testmod(decorrelate).failed == 0


def join_order_cases() -> list:
    setup, cases = read_fixture(FIXTURES / "order_joins.txt")
    return [pytest.param(setup, case, id=case.name) for case in cases]


def bound_ordered(session, sql: str, ordering: bool):
    builder = Builder(session.context())
    builder.join_ordering = ordering
    return builder.bind_top(parse(sql)[0].ast)


@pytest.mark.parametrize(("setup", "case"), join_order_cases())
def test_join_order(sessions, setup, case):
    """Join ordering chooses the order while binding: before = bound in FROM order."""
    session = session_for(sessions, setup)
    assert display(bound_ordered(session, case.sql, False)) == case.before
    assert display(bound_ordered(session, case.sql, True)) == case.after
    assert rows(session, optimize(bound_ordered(session, case.sql, True))) == rows(
        session, optimize(bound_ordered(session, case.sql, False)))


def test_join_order_docstring_example():
    assert doctest.testmod(join_order).failed == 0


def test_select_star_keeps_from_order_when_joins_are_reordered():
    s = helios_core.connect()
    try:
        for stmt in ("create table a (x int, ay int)", "create table b (y int, bz int)",
                     "create table c (x int, y int)", "insert into a values (1, 10)",
                     "insert into b values (2, 20)", "insert into c values (1, 2)"):
            s.execute(stmt)
        r = s.execute("select * from a, b, c where a.x = c.x and c.y = b.y")[0]
        assert [c.name for c in r.columns] == ["x", "ay", "y", "bz", "x", "y"]
        assert [r.batches[0].column(i)[0].as_py() for i in range(6)] == [1, 10, 2, 20, 1, 2]
    finally:
        s.engine.close()
