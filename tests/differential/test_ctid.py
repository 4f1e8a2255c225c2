"""The ``ctid`` system column and the ``tid`` type, in the idioms people type: removing duplicate
rows with ``a.ctid < b.ctid``, deleting or updating one row a subquery found by its ctid, tid
input and output, comparisons and errors. The ctid values themselves are HeliosDB's (row ids
laid out as pages, see helios_core.sql.functions.tid), so the steps compare what the idioms do,
not the addresses. In order, on a live PostgreSQL and on HeliosDB; same rows or SQLSTATE."""

from __future__ import annotations

SETUP = ["CREATE TABLE ct_dup (x int, y text)",
         "INSERT INTO ct_dup VALUES (1, 'a'), (1, 'a'), (2, 'b'), (3, 'c'), (3, 'c'), (3, 'c'), (4, NULL)",
         "CREATE TABLE ct_keyed (id int PRIMARY KEY, v text)",
         "INSERT INTO ct_keyed VALUES (1, 'one'), (2, 'two'), (3, 'three')"]

STEPS = [
    "SELECT count(DISTINCT ctid) = count(*), count(*) FROM ct_dup",
    "SELECT pg_typeof(ctid)::text FROM ct_dup LIMIT 1",
    "DELETE FROM ct_dup a USING ct_dup b WHERE a.ctid < b.ctid AND a.x = b.x AND a.y = b.y",
    "SELECT x, y FROM ct_dup ORDER BY x",
    "DELETE FROM ct_dup WHERE ctid = (SELECT ctid FROM ct_dup WHERE x = 2)",
    "SELECT x FROM ct_dup ORDER BY x",
    "UPDATE ct_keyed SET v = 'uno' WHERE ctid = (SELECT ctid FROM ct_keyed WHERE id = 1)",
    "SELECT id, v FROM ct_keyed ORDER BY id",
    "SELECT count(*) FROM ct_keyed k JOIN ct_keyed j ON k.ctid = j.ctid",
    "SELECT count(*) FROM ct_keyed WHERE ctid IN (SELECT ctid FROM ct_keyed WHERE id > 1)",
    "SELECT (SELECT ctid FROM ct_keyed WHERE id = 3) > (SELECT min(ctid) FROM ct_keyed)",
    "SELECT '(0,1)'::tid, '(  12,  +7)'::tid::text, '(4294967295,65535)'::tid, 'x(1,2)y'::tid",
    "SELECT '( 12 , 7 )'::tid",
    "SELECT '(1,2)'::tid < '(1,3)'::tid, '(1,9)'::tid < '(2,1)'::tid, '(3,3)'::tid = '(3,3)'::tid",
    "SELECT ARRAY['(0,1)'::tid, '(5,2)'::tid]",
    "SELECT 'x'::tid",
    "SELECT '(1)'::tid",
    "SELECT '(4294967296,1)'::tid",
    "CREATE TABLE ct_bad (ctid int)",
    "CREATE TABLE ct_bad (a int, xmin int)",
    "ALTER TABLE ct_keyed ADD COLUMN tableoid int",
    # a target row that the USING/FROM join matches several times is written once
    "CREATE TABLE ct_many (id int, x int)",
    "INSERT INTO ct_many VALUES (1, 3), (2, 3), (3, 3), (4, 5), (5, 5), (6, 7)",
    "DELETE FROM ct_many a USING ct_many b WHERE a.id < b.id AND a.x = b.x",
    "SELECT id, x FROM ct_many ORDER BY id",
    "INSERT INTO ct_many VALUES (10, 3), (11, 5)",
    "UPDATE ct_many a SET x = a.x + 100 FROM ct_many b WHERE a.x = b.x AND a.id <> b.id",
    "SELECT id, x FROM ct_many ORDER BY id",
]

CLEANUP = ["DROP TABLE IF EXISTS ct_dup, ct_keyed, ct_bad, ct_many"]


def test_ctid_idioms_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)
