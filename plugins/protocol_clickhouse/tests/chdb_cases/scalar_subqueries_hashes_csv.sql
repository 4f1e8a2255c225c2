-- scalar subqueries of several columns are tuples; no row is NULL (an error for an Array); two rows an error
SELECT ((SELECT 1, 'Hello', [1, 2]).3)[1];
SELECT (SELECT toDate('2015-01-02'), 'Hello') AS x, x, identity((SELECT 1));
SELECT (SELECT 1, 2 WHERE 0);
SELECT (SELECT 1 WHERE 0);
SELECT (SELECT [1] WHERE 0);
SELECT (SELECT number FROM numbers(2));
SELECT (SELECT [number] FROM numbers(1)), (SELECT range(number) FROM numbers(3) ORDER BY number DESC LIMIT 1);
SELECT number FROM numbers(5) WHERE (number, number * 2) = (SELECT 3, 6);
SELECT number IN (SELECT 1, 2) FROM numbers(1);
-- throwIf
SELECT throwIf(number = 3, 'boom') FROM numbers(2);
SELECT throwIf(number = 1) FROM numbers(2);
SELECT (SELECT throwIf(1 + dummy));
-- cityHash64 of numbers (by their type's width), tuples (element by element), arrays, enums, dates
SELECT cityHash64(1), cityHash64(toInt8(-1)), cityHash64(toInt16(-5)), cityHash64(toFloat32(0.5)), cityHash64(toFloat64(1.5));
SELECT cityHash64(1, 2, ''), cityHash64((1, 2), ''), cityHash64(1, (2, '')), cityHash64((materialize(1), 2, materialize('')));
SELECT cityHash64([1, 2]), cityHash64(1, [(1, 'a')]), cityHash64('x', [[1], [2, 3]], ([1], 'a'));
SELECT cityHash64(toDate('2020-01-01')), cityHash64(toDateTime('2020-01-01 00:00:00')), cityHash64(CAST(1 AS Enum8('a' = 1))), cityHash64(toFixedString('ab', 3));
SELECT cityHash64(NULL), cityHash64(toNullable(1)), cityHash64('abc');
SELECT number, cityHash64(number, toString(number), [number]) FROM numbers(3);
SELECT cityHash64(y) FROM (SELECT 1 AS x, CAST(x AS Enum8('Hello' = 0, 'World' = 1)) AS y);
-- arrays of arrays with an empty one
SELECT [[1], []], [[], [2]], [['a'], []], [[], []];
SELECT [[number], []], [[], [number]] FROM numbers(2);
-- CSV: a tuple's elements are fields of their own, in the header too
SELECT 'Hello, "World"' AS x, (456, ['abc', 'def']) AS a, ((1, 2), 3) AS u FORMAT CSVWithNamesAndTypes;
SELECT (1, 'a') AS t FORMAT CSVWithNames;
-- VALUES of arrays of arrays of dates, empty ones among them
DROP TABLE IF EXISTS nested_dates;
CREATE TABLE nested_dates (a Array(UInt64), c Array(Array(Date))) ENGINE = Memory;
INSERT INTO nested_dates (c) VALUES ([	]), ([ [ ] ]), ([[],[]]), ([['2015-01-01', '2015-01-02'], ['2015-01-03']]);
INSERT INTO nested_dates (a) VALUES ([ 5 ,6]), ([   ]);
SELECT a, c FROM nested_dates ORDER BY a, c;
DROP TABLE nested_dates;
-- a LIMIT over a subquery that reads system.numbers row by row bounds it (through an ANY LEFT JOIN too)
SELECT x FROM (SELECT number * 2 AS x FROM system.numbers) LIMIT 3 OFFSET 2;
SELECT * FROM (SELECT number, n, j1, j2 FROM (SELECT number, number / 2 AS n FROM system.numbers) js1 ANY LEFT JOIN (SELECT number / 3 AS n, number AS j1, 'Hello' AS j2 FROM system.numbers LIMIT 10) js2 USING n LIMIT 10) ORDER BY n;
-- CAST of a tuple's text to a Tuple, CAST(x, 'Tuple(...)')
SELECT CAST(toString((number, number * 111)) AS Tuple(UInt64, UInt8)) FROM numbers(4);
SELECT CAST('(1, [2, 3], \'x\')' AS Tuple(UInt8, Array(UInt8), String));
SELECT CAST((1, 'a'), 'Tuple(UInt8, String)');
-- hasColumnInTable, a constant scalar subquery as the condition of ?: (the other branch never read)
SELECT hasColumnInTable('system', 'numbers', 'number'), hasColumnInTable('system', 'one', 'x'), hasColumnInTable('system', 'tables', 'name');
SELECT (SELECT hasColumnInTable('system', 'numbers', 'not_existing')) ? not_existing : 42 AS not_existing FROM system.numbers LIMIT 1 FORMAT TSKV;
DROP TABLE IF EXISTS has_column;
CREATE TABLE has_column (a UInt8) ENGINE = Memory;
SELECT hasColumnInTable(currentDatabase(), 'has_column', 'a'), hasColumnInTable(currentDatabase(), 'has_column', 'b');
DROP TABLE has_column;
