"""The geometric types compared with a live PostgreSQL 15 on generated values: every operator of
pg_operator and every function over the seven types, the casts, input in its many spellings and
its errors, printed at the default extra_float_digits (the shortest exact digits, so results
must agree to the last bit) and at -3 as the regression suite prints them."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path

import pytest

from helios_core.sql.geometric.conversions import CASTS
from helios_core.sql.geometric.functions import SIGNATURES
from helios_core.sql.geometric.operators import BINARY, PREFIX

_spec = importlib.util.spec_from_file_location("helios_difftest", Path(__file__).with_name("test_differential.py"))
_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_mod)
describe = _mod.describe

_rng = random.Random(1415)


def _num() -> str:
    r = _rng.random()
    if r < 0.5:
        return str(_rng.randint(-9, 9))
    if r < 0.9:
        return f"{_rng.uniform(-50, 50):.{_rng.randint(1, 4)}f}"
    return _rng.choice(["0.5", "-0.25", "1e-7", "3"])


def _pt() -> str:
    return f"({_num()},{_num()})"


def _pts(n: int) -> str:
    return ",".join(_pt() for _ in range(n))


GENERATORS = {
    "point": lambda: _pt(),
    "lseg": lambda: f"[{_pts(2)}]",
    "line": lambda: f"[{_pts(2)}]",
    "box": lambda: _pts(2),
    "path": lambda: f"[{_pts(_rng.randint(1, 4))}]" if _rng.random() < 0.5 else f"({_pts(_rng.randint(2, 5))})",
    "polygon": lambda: f"({_pts(_rng.randint(3, 5))})",
    "circle": lambda: f"<{_pt()},{abs(float(_num())) or 1}>",
}
# shapes that meet, touch and hold each other, beside the random ones
FIXED = {
    "point": ["(0,0)", "(1,1)", "(2,0)", "(0.0000001,0)"],
    "lseg": ["[(0,0),(2,2)]", "[(0,2),(2,0)]", "[(1,1),(3,3)]", "[(0,0),(0,5)]"],
    "line": ["{1,-1,0}", "{0,-1,1}", "{-1,0,2}", "[(0,0),(1,2)]"],
    "box": ["(2,2),(0,0)", "(3,3),(1,1)", "(1,1),(1,1)", "(10,1),(5,0)"],
    "path": ["[(0,0),(2,2)]", "((0,0),(2,0),(2,2),(0,2))", "[(1,1),(5,5),(9,1)]", "((1,1))"],
    "polygon": ["((0,0),(4,0),(4,4),(0,4))", "((1,1),(2,1),(2,2))", "((3,3),(6,3),(6,6))", "((0,0),(1,1),(2,0))"],
    "circle": ["<(0,0),2>", "<(1,1),1>", "<(5,5),1>", "<(0,0),0.5>"],
}
ROWS = 7

SETUP = []
for _t, _gen in GENERATORS.items():
    _vals = FIXED[_t] + [_gen() for _ in range(ROWS - len(FIXED[_t]))]
    SETUP.append(f"CREATE TABLE g_{_t} (id int, v {_t})")
    SETUP.append(f"INSERT INTO g_{_t} VALUES " + ", ".join(f"({i}, '{v}')" for i, v in enumerate(_vals)))
CLEANUP = [f"DROP TABLE g_{t}" for t in GENERATORS]

OPERATORS = [f"SELECT a.id, b.id, a.v {op} b.v FROM g_{lt} a, g_{rt} b ORDER BY 1, 2"
             for (op, lt, rt) in BINARY]
PREFIXES = [f"SELECT id, {op} v FROM g_{t} ORDER BY 1" for (op, t) in PREFIX]
FUNCTIONS = sorted({
    f"SELECT a.id, {name}(a.v) FROM g_{args[0]} a ORDER BY 1" if len(args) == 1 else
    f"SELECT a.id, b.id, {name}(a.v, b.v) FROM g_{args[0]} a, g_{args[1]} b ORDER BY 1, 2"
    for name, sigs in SIGNATURES.items() for args, _, _ in sigs
    if all(a in GENERATORS for a in args) and not name.startswith(("dist_", "close_", "on_", "inter_"))
})
CASTS_SQL = [f"SELECT id, v::{dst} FROM g_{src} ORDER BY 1" for (src, dst) in CASTS]
OTHERS = [
    "SELECT point(1, 2), circle(point '(1,2)', 3), polygon(4, circle '<(1,1),2>'), box(point '(1,2)', point '(0,5)')",
    "SELECT id, v[0], v[1] FROM g_point ORDER BY 1",
    "SELECT id, v[0], v[1] FROM g_box ORDER BY 1",
    "SELECT id, v[1][0] FROM g_lseg ORDER BY 1",
    "SELECT v FROM g_point ORDER BY v",
    "SELECT DISTINCT v FROM g_box",
    "SELECT v, count(*) FROM g_circle GROUP BY v",
    "SELECT count(*) FROM g_path a JOIN g_path b ON a.v = b.v",
    "SELECT v FROM g_point UNION SELECT v FROM g_point",
    "SELECT v FROM g_box INTERSECT SELECT v FROM g_box",
    "SELECT count(*) FROM (SELECT v FROM g_circle UNION ALL SELECT v FROM g_circle) u",
    "SELECT count(DISTINCT v) FROM g_lseg",
    "SELECT min(v) FROM g_box",
    "SELECT 'x' || point '(1,2)', format('%s', box '(1,1),(0,0)'), jsonb_build_object('p', point '(1,2)')",
    "SELECT - point '(1,2)'",
    "SELECT count(*) OVER (PARTITION BY v) FROM g_point",
    "SELECT row_number() OVER (ORDER BY v) FROM g_box",
    "SELECT DISTINCT ON (v) id FROM g_circle",
    "SELECT id, row_number() OVER (ORDER BY v <-> point '(0,0)', id) FROM g_point ORDER BY 1",
    "SELECT id FROM g_box WHERE v IN ('(4,1),(0,0)', '(1,4),(0,0)') ORDER BY 1",
    "SELECT id FROM g_box WHERE v IN (SELECT box '(2,2),(0,0)') ORDER BY 1",
    "SELECT id FROM g_circle c WHERE EXISTS (SELECT 1 FROM g_circle d WHERE d.v = c.v AND d.id <> c.id) ORDER BY 1",
    "SELECT id FROM g_point WHERE v IN (SELECT point '(1,1)')",
    "SELECT point '(1,2)' IS DISTINCT FROM point '(1,2)'",
    "SELECT max(v) FROM g_circle",
    "SELECT point '(1,2)' = point '(1,2)'",
    "SELECT lseg '[(1,2),(3,4)]' # point '(1,1)'",
    "SELECT '(1,2)'::point <-> '(3,4)'",
    "SELECT polygon(1, circle '<(0,0),1>')",
    "SELECT polygon(circle '<(0,0),0>')",
    "SELECT path '[(1,2),(3,4)]'::polygon",
    "SELECT point '(1,1)' / point '(0,0)'",
    "SELECT point '(1e300,1e300)' * point '(1e300,1e300)'",
    "SELECT point '(1e-300,1e-300)' * point '(1e-300,1e-300)'",
    "SELECT pg_typeof(point '(1,2)'), pg_typeof(box '(1,2,3,4)'), pg_typeof(circle '<(1,2),3>')",
    "SELECT ARRAY[point '(1,2)', point '(3,4)'], ARRAY[box '(1,2,3,4)']",
    "SELECT '{(1,2),(3,4);(0,0),(1,1)}'::box[], '{\"(1,2)\",(3,4)}'::point[]",
    "SELECT point '(0,0)' <-> point '(3,4)' * point '(2,0)', point '(1,1)' + point '(1,1)' <-> point '(0,0)'",
    "SELECT s.id, s.v <-> point '(1,1)' > 2, ?| s.v, (# p.v) + 1 FROM g_lseg s, g_path p WHERE s.id = p.id ORDER BY 1",
    "SELECT s.v FROM g_lseg s WHERE ?- s.v OR s.v ?# lseg '[(0,0),(9,9)]' ORDER BY s.id",
]
INPUTS = [
    ("point", s) for s in ["(1,2)", " ( 1 , 2 ) ", "1,2", "(1e3,-2.5E-1)", "(NaN,Infinity)", "(-inf,1)", "(1,2",
                           "1,2)", "(1 2)", "(1,2) x", "", "(1,1e400)", "(1,1e-400)", "(.5,5.)", "(0x10,1)"]
] + [
    ("lseg", s) for s in ["[(1,2),(3,4)]", "(1,2),(3,4)", "((1,2),(3,4))", "1,2,3,4", "[1,2,3,4]", "[(1,2),(3,4)",
                          "(1,2,3,4)", "[(1,2),(3,4),(5,6)]"]
] + [
    ("box", s) for s in ["(1,2),(3,4)", "((1,2),(3,4))", "1,2,3,4", "(1,2,3,4)", "[(1,2),(3,4)]", "(3,4),(1,2)",
                         "(1,2)"]
] + [
    ("line", s) for s in ["{1,2,3}", " { 1 , 2 , 3 } ", "{0,0,1}", "{1,2}", "[(1,2),(3,4)]", "(1,2),(3,4)",
                          "[(1,2),(1,2)]", "{1,2,3} x", "{0.0000001,0,1}"]
] + [
    ("path", s) for s in ["[(1,2),(3,4)]", "((1,2),(3,4))", "(1,2),(3,4)", "1,2,3,4", "(1,2,3,4)", "[1,2,3,4]",
                          "((1,2))", "[(1,2)]", "[]", "()", "[(1,2),(3,4)", "((1,2),(3,4)]", "(1,2),(3,4)]"]
] + [
    ("polygon", s) for s in ["((1,2),(3,4),(5,6))", "(1,2),(3,4)", "1,2,3,4", "(1,2,3,4)", "((1,2))", "[(1,2),(3,4)]",
                             "(1,2,3)", "0.0", "((1,2),(3,4)"]
] + [
    ("circle", s) for s in ["<(1,2),3>", "((1,2),3)", "(1,2),3", "1,2,3", " < ( 1 , 2 ) , 3 > ", "<(1,2),-3>",
                            "<(1,2),3", "((1,2),3>", "<(1,2),3)", "<(1,2)>", "(1,2,3)"]
]
INPUT_SQL = [f"SELECT '{s}'::{t}" for t, s in INPUTS]
STATEMENTS = OPERATORS + PREFIXES + FUNCTIONS + CASTS_SQL + OTHERS + INPUT_SQL


def _agree(systems, sql: str) -> None:
    pg, hx = systems
    p, h = pg.run(sql), hx.run(sql)
    want = ("error", p.sqlstate) if p.sqlstate else ("ok", list(p.oids), p.rows)
    got = ("error", h.sqlstate) if h.sqlstate else ("ok", list(h.oids), h.rows)
    assert got == want, describe(0, sql, p, h)


@pytest.mark.parametrize("sql", STATEMENTS)
def test_geometric_agrees(systems, sql):
    _agree(systems, sql)


@pytest.mark.parametrize("sql", OPERATORS[::4] + FUNCTIONS[::3] + CASTS_SQL)
def test_geometric_agrees_rounded(systems, sql):
    pg, hx = systems
    for system in (pg, hx):
        system.run("SET extra_float_digits = -3")
    try:
        _agree(systems, sql)
    finally:
        for system in (pg, hx):
            system.run("RESET extra_float_digits")
