-- the Join engine: a table a join reads, ANY keeps a key's first row; totals carried through a join on a table
DROP TABLE IF EXISTS join_any;
CREATE TABLE join_any (s String, x Array(UInt8), k UInt64) ENGINE = Join(ANY, LEFT, k);
INSERT INTO join_any VALUES ('abc', [0], 1), ('def', [1, 2], 2), ('dup', [9], 1);
INSERT INTO join_any (k, s) VALUES (3, 'ghi'), (2, 'again');
INSERT INTO join_any (x, k) SELECT [3, 4, 5], 4 FROM system.numbers LIMIT 3;
SELECT * FROM join_any ORDER BY k;
SHOW CREATE TABLE join_any;
SELECT k, s, x FROM (SELECT number AS k FROM system.numbers LIMIT 6) AS l ANY LEFT JOIN join_any USING k;
SELECT l.k, l.s, join_any.x FROM (SELECT number AS k, 'a' AS s FROM numbers(3) GROUP BY number WITH TOTALS ORDER BY number) AS l ANY LEFT JOIN join_any USING (k);
DROP TABLE join_any;
DROP TABLE IF EXISTS join_all;
CREATE TABLE join_all (k UInt8, v String) ENGINE = Join(ALL, INNER, k);
INSERT INTO join_all VALUES (1, 'a'), (1, 'b'), (2, 'c');
SELECT k, v FROM (SELECT arrayJoin([2, 1, 3]) AS k) AS l ALL INNER JOIN join_all USING k;
DROP TABLE join_all;
CREATE TABLE join_bad (k UInt8) ENGINE = Join(ANY, LEFT, nothing);
