DROP TABLE IF EXISTS big;
CREATE TABLE big (x UInt64) ENGINE = Memory;
INSERT INTO big VALUES (18446744073709551615), (1);
SELECT x, toTypeName(x) FROM big ORDER BY x;
SELECT max(x), min(x) FROM big;
DROP TABLE big;
SELECT arrayJoin([[3, 4, 5], [6, 7], [2], [1, 1]]) AS x ORDER BY x DESC;
SELECT minArray(a), maxArray(a), argMinArray(b, a), argMaxArray(b, a), countArray(a), avgArray(a) FROM (SELECT [3, 1, 2] AS a, ['x', 'y', 'z'] AS b UNION ALL SELECT [5, 0], ['p', 'q']);
