"""WITH RECURSIVE: rows handed on as the recursive term makes them, WITH queries inside the
recursive term re-read on every step.

Expected answers were recorded from PostgreSQL 15 running the same statements."""
from __future__ import annotations

from tests.sql.pg_answers import make_test

CASES = [
    # the inner recursion never ends: only a consumer that stops pulling (LIMIT) ends the query
    ('with recursive q as (select a from u union all (with recursive x as (select a from u union all (select * from q union all select * from x)) select * from x)) select * from q limit 8',
     ['a'],
     [(1,), (2,), (5,), (1,), (2,), (5,), (1,), (2,)],
     None),
    ('with recursive n(i) as (select 1 union all select i + 1 from n) select * from n limit 5',
     ['i'],
     [(1,), (2,), (3,), (4,), (5,)],
     None),
    # a WITH inside the recursive term reads the worktable: computed again at every step
    ('with recursive n(i) as (select 1 union all (with w as (select i from n) select i + 1 from w where i < 4)) select * from n',
     ['i'],
     [(1,), (2,), (3,), (4,)],
     None),
    ("with recursive x(s) as ((values ('a'), ('b')) union all (with z as not materialized (select * from x) select z.s || z1.s from z cross join z as z1 where length(z.s || z1.s) < 3)) select * from x order by s",
     ['s'],
     [('a',), ('aa',), ('ab',), ('b',), ('ba',), ('bb',)],
     None),
]

test_matches_postgresql = make_test(CASES)
