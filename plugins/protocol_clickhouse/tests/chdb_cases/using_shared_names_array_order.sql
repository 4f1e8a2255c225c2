-- a name both sides of a USING join give (not a key) is the left side's column
SELECT a, b, c, d FROM (SELECT 1 AS a, 2 AS b, 3 AS c UNION ALL SELECT 2, 3, 4) js1 ANY INNER JOIN (SELECT 1 AS a, 20 AS b, 4 AS d UNION ALL SELECT 2, 30, 5) js2 USING (a) ORDER BY a, b, c, d;
SELECT a, b, c, d FROM (SELECT 1 AS a, 2 AS b, 3 AS c UNION ALL SELECT 2, 3, 4) js1 ALL LEFT JOIN (SELECT 1 AS a, 20 AS b, 4 AS d UNION ALL SELECT 2, 30, 5) js2 USING (a) ORDER BY a, b, c, d;
SELECT key1, key2, t FROM (SELECT arrayJoin([1, 2, 3]) AS key1, 0 AS key2, 999 AS t) js1 ALL INNER JOIN (SELECT arrayJoin([1, 3, 2]) AS key1, 0 AS key2, 111 AS t) js2 USING key2, key1 ORDER BY key1;
SELECT b + 1, js2.b FROM (SELECT 1 AS k, 5 AS b) js1 ALL LEFT JOIN (SELECT 1 AS k, 7 AS b) js2 USING k;
SELECT k, b FROM (SELECT 1 AS k, 5 AS b) js1 ALL INNER JOIN (SELECT 1 AS k, 7 AS b) js2 USING k WHERE b = 5;
DROP TABLE IF EXISTS shared_l;
DROP TABLE IF EXISTS shared_r;
CREATE TABLE shared_l (k UInt8, v String) ENGINE = Memory;
CREATE TABLE shared_r (k UInt8, v String, w UInt8) ENGINE = Memory;
INSERT INTO shared_l VALUES (1, 'left1'), (2, 'left2');
INSERT INTO shared_r VALUES (1, 'right1', 10), (3, 'right3', 30);
SELECT k, v, w FROM shared_l ALL LEFT JOIN shared_r USING k ORDER BY k;
SELECT k, v, w FROM shared_l ALL INNER JOIN shared_r USING k ORDER BY v;
DROP TABLE shared_l;
DROP TABLE shared_r;
-- arrays sort element by element, a prefix first
SELECT range(number) AS a FROM numbers(4) ORDER BY a;
SELECT range(number) AS a FROM numbers(4) ORDER BY a DESC;
SELECT arr1, arr2, count() AS c FROM (SELECT range(number) AS arr1, range(toUInt64(10 - number)) AS arr2 FROM system.numbers LIMIT 11) GROUP BY arr1, arr2 ORDER BY c DESC, arr1, arr2;
SELECT x FROM (SELECT arrayJoin([[10], [9], [9, 1], [1], [1, 2, 3]]) AS x) ORDER BY x;
SELECT x FROM (SELECT arrayJoin([['b'], ['a', 'z'], ['a']]) AS x) ORDER BY x;
-- a joined side's column the left side also has is named alias.name
SELECT b + 1, js2.b FROM (SELECT 1 AS k, 5 AS b) js1 ALL LEFT JOIN (SELECT 1 AS k, 7 AS b) js2 USING k FORMAT TSVWithNames;
SELECT js1.b, js2.k, js2.c FROM (SELECT 1 AS k, 5 AS b) js1 ALL LEFT JOIN (SELECT 1 AS k, 7 AS c) js2 USING k FORMAT TSVWithNames;
-- ORDER BY ALL over SELECT * of joined subqueries and tables
SELECT * FROM (SELECT number AS k FROM system.numbers LIMIT 10) js1 ALL LEFT JOIN (SELECT intDiv(number, 2) AS k, number AS joined FROM system.numbers LIMIT 10) js2 USING k ORDER BY ALL;
DROP TABLE IF EXISTS order_all;
CREATE TABLE order_all (a UInt8, b String) ENGINE = Memory;
INSERT INTO order_all VALUES (2, 'x'), (1, 'z'), (1, 'y');
SELECT * FROM order_all ORDER BY ALL;
SELECT * FROM order_all ORDER BY ALL DESC;
DROP TABLE order_all;
