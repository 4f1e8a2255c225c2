"""PL/pgSQL cursors as PostgreSQL 15 runs them: bound cursors with and without parameters, OPEN
FOR query / FOR EXECUTE ... USING, FETCH and MOVE directions (NEXT, PRIOR, ABSOLUTE with a
variable, RELATIVE) into records and scalars, FOUND, FOR r IN cursor(args) LOOP, CLOSE, a function
returning a refcursor that the caller FETCHes from by name, and the errors (a cursor opened
twice, a NULL cursor variable, wrong argument counts). In order, on a live PostgreSQL and on
HeliosDB; the same rows or the same SQLSTATE."""

from __future__ import annotations

SETUP = [
    "CREATE TABLE pcur (id int, v text)",
    "INSERT INTO pcur VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd')",
    """CREATE FUNCTION pcur_sum() RETURNS int LANGUAGE plpgsql AS $$
    DECLARE c CURSOR FOR SELECT id, v FROM pcur ORDER BY id; r record; n int := 0;
    BEGIN
      OPEN c;
      LOOP
        FETCH c INTO r;
        EXIT WHEN NOT FOUND;
        n := n * 10 + r.id;
      END LOOP;
      CLOSE c;
      RETURN n;
    END $$""",
    """CREATE FUNCTION pcur_upto(lim int) RETURNS text LANGUAGE plpgsql AS $$
    DECLARE c CURSOR (top int) FOR SELECT v FROM pcur WHERE id <= top ORDER BY id; s text := '';
    BEGIN
      FOR r IN c(lim) LOOP s := s || r.v; END LOOP;
      FOR r IN c(lim - 1) LOOP s := s || upper(r.v); END LOOP;
      RETURN s;
    END $$""",
    """CREATE FUNCTION pcur_moves(k int) RETURNS text LANGUAGE plpgsql AS $$
    DECLARE rc refcursor; x int; out text := '';
    BEGIN
      OPEN rc FOR EXECUTE 'SELECT id FROM pcur WHERE id > $1 ORDER BY id' USING 0;
      FETCH rc INTO x; out := out || x;
      MOVE NEXT FROM rc; FETCH rc INTO x; out := out || ',' || x;
      FETCH ABSOLUTE k FROM rc INTO x; out := out || ',' || x;
      FETCH PRIOR FROM rc INTO x; out := out || ',' || x;
      FETCH RELATIVE 2 FROM rc INTO x; out := out || ',' || x;
      FETCH NEXT FROM rc INTO x; out := out || ',' || coalesce(x::text, 'null') || ',' || FOUND;
      MOVE FIRST FROM rc; out := out || ',' || FOUND;
      CLOSE rc;
      RETURN out;
    END $$""",
    """CREATE FUNCTION pcur_open(name refcursor) RETURNS refcursor LANGUAGE plpgsql AS $$
    BEGIN OPEN name FOR SELECT id, v FROM pcur WHERE id % 2 = 0 ORDER BY id; RETURN name; END $$""",
]

STEPS = [
    "SELECT pcur_sum()",
    "SELECT pcur_upto(3)",
    "SELECT pcur_moves(3)",
    "BEGIN",
    "SELECT pcur_open('evens')",
    "FETCH ALL FROM evens",
    "CLOSE evens",
    "COMMIT",
    "DO $$ DECLARE c CURSOR FOR SELECT 1; BEGIN OPEN c; OPEN c; END $$",
    "DO $$ DECLARE c refcursor; x int; BEGIN FETCH c INTO x; END $$",
    "DO $$ DECLARE c CURSOR (a int) FOR SELECT a; BEGIN OPEN c; END $$",
    "DO $$ DECLARE c CURSOR (a int) FOR SELECT a; BEGIN OPEN c(1, 2); END $$",
    "DO $$ DECLARE c CURSOR FOR SELECT 1; BEGIN OPEN c FOR SELECT 2; END $$",
    "DO $$ DECLARE c refcursor := 'zz'; x int; BEGIN FETCH c INTO x; END $$",
]

CLEANUP = ["DROP FUNCTION IF EXISTS pcur_sum(), pcur_upto(int), pcur_moves(int), pcur_open(refcursor)",
           "DROP TABLE IF EXISTS pcur"]


def test_plpgsql_cursors_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
