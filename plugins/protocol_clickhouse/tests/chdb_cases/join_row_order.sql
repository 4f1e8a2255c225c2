-- a join without ORDER BY: the left rows in their order, each one's matches in the order of the right rows
SELECT k, s FROM (SELECT number AS k FROM system.numbers LIMIT 10) AS l ANY LEFT JOIN (SELECT number * 2 AS k, toString(number) AS s FROM system.numbers LIMIT 4) AS r USING k;
SELECT k, s FROM (SELECT 10 - number AS k FROM system.numbers LIMIT 10) AS l ALL LEFT JOIN (SELECT number % 3 AS k, toString(number) AS s FROM system.numbers LIMIT 9) AS r USING k;
SELECT k, s FROM (SELECT number % 4 AS k FROM system.numbers LIMIT 8) AS l ALL INNER JOIN (SELECT 3 - number AS k, toString(number) AS s FROM system.numbers LIMIT 4) AS r USING k;
SELECT l.a, r.b FROM (SELECT arrayJoin([5, 1, 3, 1]) AS a) AS l LEFT JOIN (SELECT arrayJoin([1, 3, 1]) AS b) AS r ON l.a = r.b;
