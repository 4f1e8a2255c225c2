-- an Enum column given numbers in VALUES; CAST of an Enum to a number; IN over an Enum
DROP TABLE IF EXISTS enum_values;
CREATE TABLE enum_values (k UInt32, e Enum8('a' = 1, 'b' = 2), n Nullable(Int32)) ENGINE = Memory;
INSERT INTO enum_values VALUES (1, 'a', NULL), (2, 2, 5), (3, 1, -1);
INSERT INTO enum_values (k, e) VALUES (9, 2);
INSERT INTO enum_values (k, e) VALUES (10, 7);
SELECT k, e, toTypeName(e), n FROM enum_values ORDER BY k;
SELECT e, CAST(e AS Int8), CAST(e, 'UInt16'), e IN ('a'), toInt8(e) FROM enum_values ORDER BY k;
SELECT e, count() FROM enum_values GROUP BY e ORDER BY e;
DROP TABLE enum_values;
-- groupArray of arrays (ragged, empty ones too) and groupArrayArray
SELECT groupArray(arr), groupArrayArray(arr) FROM (SELECT range(number) AS arr FROM numbers(3));
SELECT number % 2 AS k, groupArray(range(number)), groupArrayArray([number, 1]) FROM numbers(5) GROUP BY k ORDER BY k;
SELECT groupArray([toString(number)]) FROM numbers(2);
SELECT groupArrayArray([1, 2]) FROM numbers(2);
SELECT groupArray(x) FROM (SELECT number AS x FROM numbers(3));
-- an aggregate inside the array a lambda runs over
SELECT arrayMap(x -> length(x), groupArray(range(number))) FROM numbers(4);
SELECT number % 3 AS k, arrayMap(x -> x * 2, groupArray(number)) AS a, count() AS c FROM numbers(7) GROUP BY k ORDER BY k;
SELECT arrayFilter(x -> x > 2, groupArray(number)) FROM numbers(5);
SELECT arr, count() AS c FROM (SELECT arrayMap(x -> x % 2, arraySort(groupArray(number))) AS arr FROM numbers(1000) GROUP BY number % 7) GROUP BY arr ORDER BY c DESC, arr ASC;
SELECT arrayMap(x -> length(x), a) FROM (SELECT [[1], [2, 3]] AS a);
-- uniqArray; LIMIT BY without ORDER BY (the first rows as read), with OFFSET
SELECT uniqArray([1, 2, 2]), sumArray([1, 2]), maxArray([1, 5]);
SELECT number % 2 AS k, uniqArray([number, 1]), uniqExactArray(range(number)) FROM numbers(5) GROUP BY k ORDER BY k;
SELECT number FROM numbers(10) LIMIT 3 BY number % 2 LIMIT 4;
SELECT number % 3 AS k, number FROM numbers(10) LIMIT 1 BY k;
SELECT number % 3 AS k, number FROM numbers(10) LIMIT 1 OFFSET 1 BY k;
SELECT number % 3 AS k, number FROM numbers(10) ORDER BY number DESC LIMIT 1, 1 BY k;
SELECT number % 3 AS k, number FROM numbers(10) LIMIT 2 BY k LIMIT 3 OFFSET 1;
SELECT x FROM (SELECT arrayJoin([5, 3, 9, 1, 5, 5, 3]) AS x) LIMIT 2 BY x;
-- Decimals: digits past the scale dropped, toString without trailing zeros
SELECT toString(toDecimal32(1.5, 2)), CAST(1.555 AS Decimal(9, 2)), toDecimal32(-1.555, 2), CAST('1.555' AS Decimal(9, 2)), toDecimal64(3.14159, 3);
SELECT toDecimal64('123.456', 1), CAST(10 AS Decimal(5, 2)), toString(toDecimal128(0.1, 5)), toDecimal32(number, 2) FROM numbers(2);
-- arrayPartialSort: the first elements in order
SELECT materialize([9,4,8,10,5,2,3,7,1,6]) AS arr, 4 AS lim, arrayResize(arrayPartialReverseSort(lim, arr), lim), arrayResize(arrayPartialSort(x -> -x, lim, arr), lim);
SELECT arrayMap(x -> toString(x), [9,4,8,10,5,2,3,7,1,6]) AS arr, 4 AS lim, arrayResize(arrayPartialReverseSort(lim, arr), lim), arrayResize(arrayPartialSort(x -> reverse(x), lim, arr), lim);
SELECT arrayResize(arrayPartialSort((x, y) -> y, 3, ['directly','ignore','wrongly','relocate','upright'], [4,2,1,3,5]), 3);
SELECT arrayPartialSort([1, 2, 3]);
-- NULL for a column that is not Nullable in VALUES: its default (a UInt64 too); rows with no comma between them
DROP TABLE IF EXISTS null_default;
CREATE TABLE null_default (col1 UInt64, col2 Nullable(UInt64), s String) ENGINE = Memory;
INSERT INTO null_default (col1, col2) VALUES (2,7)(NULL,6)(9,NULL)(NULL,NULL);
SELECT col1, col2, s FROM null_default ORDER BY col1, col2;
DROP TABLE null_default;
-- XML; the name of a string literal with its control characters escaped
SELECT number, toString(number) AS s, [number, 1] AS a, (1, 'x') AS t, 'a<b>&"\'' AS e, NULL AS n, 1.5 AS f FROM numbers(2) SETTINGS output_format_write_statistics = 0 FORMAT XML;
SELECT number % 2 AS k, count() FROM numbers(3) GROUP BY k WITH TOTALS ORDER BY k SETTINGS extremes = 1, output_format_write_statistics = 0 FORMAT XML;
SELECT 1 AS `a b`, 2 AS `1x`, 3 AS `x.y`, 4 AS `a-b`, [[1], [2]] AS nested SETTINGS output_format_write_statistics = 0 FORMAT XML;
SELECT 1 WHERE 0 SETTINGS output_format_write_statistics = 0 FORMAT XML;
SELECT 'a\nb', 'c\td', 'e\\f' FORMAT TSVWithNames;
-- integer arithmetic past the operands' width: ClickHouse's wider result type
SELECT 100000000 * 100000000, 9223372036854775807 + 1;
SELECT toUInt16(65535) * toUInt16(65535) AS x, toTypeName(x);
SELECT 2000000000 + 2000000000 AS x, toTypeName(x);
SELECT toInt32(-2000000000) - 2000000000 AS x, toTypeName(x);
SELECT number * 3000000000 FROM numbers(3);
SELECT toUInt8(200) + toUInt8(100) AS x, toTypeName(x);
