-- arrays read from ClickHouse's text; numbers into an Array(String) column
SELECT CAST('[1, 2, 3]' AS Array(UInt8)), CAST('[]' AS Array(String)), CAST('[\'a\', \'b\\\'c\']' AS Array(String));
SELECT CAST(toString(range(number)) AS Array(UInt64)) FROM numbers(4);
SELECT CAST('[[1, 2], [3, 4]]', 'Array(Array(Int32))');
DROP TABLE IF EXISTS arr_text;
CREATE TABLE arr_text (a Array(String), b Array(String)) ENGINE = Memory;
INSERT INTO arr_text VALUES (['abc', 'def'], [1, 2, 3]), ([], [1, 2]), (['a', 'b'], []), (['x'], ['y']);
SELECT a, b FROM arr_text ARRAY JOIN b;
DROP TABLE arr_text;
-- the Raw forms of TabSeparated
SELECT arrayJoin([1, 2, 3]) AS arr, 'hello' AS s1, 'wo\trld' AS s2 FORMAT Raw;
SELECT 'a\tb' AS `x\ty`, 1 AS n FORMAT TabSeparatedRawWithNames;
SELECT 'a\tb' AS `x\ty`, 1 AS n FORMAT TSVRawWithNamesAndTypes;
SELECT 'a\tb' AS `x\ty`, 1 AS n FORMAT RawWithNames;
-- groupUniqArray(N)(x): at most N different values
SELECT length(groupUniqArray(2)(number % 5)), length(groupUniqArray(number % 5)), length(groupUniqArray(100)(number % 5)) FROM numbers(20);
SELECT k, length(groupUniqArray(2)(d)), arraySort(groupUniqArray(d)) FROM (SELECT number % 2 AS k, toDate('2020-01-01') + number % 3 AS d FROM numbers(10)) GROUP BY k ORDER BY k;
