-- names given inside expressions (function arguments, conditions) hold in the whole query level
SELECT toString(number % 256 AS n), n FROM numbers(3) FORMAT TSVWithNames;
SELECT abs(number - 10 AS x), x FROM numbers(2);
SELECT sum(abs(number - 10 AS x) = (x < 0 ? -x : x)) / count() FROM system.one ARRAY JOIN range(100) AS number;
SELECT concat(toString(number % 5 AS m), '') AS s, m FROM numbers(7) ORDER BY s, m;
SELECT number FROM numbers(10) WHERE (number * 2 AS d) > 10 AND d < 16;
SELECT lower('ABC' AS s), upper(s), length(s);
SELECT round(number / 3 AS q, 2), q FROM numbers(3) FORMAT TSVWithNames;
-- a condition is a UInt8 0/1 beside numbers
SELECT isFinite(0) = 1, isNaN(0) = 0, isInfinite(1 / 0) = 1;
SELECT (1 < 2) = 1, 1 = (2 > 1), (number > 3) + 0 = 1 FROM numbers(5);
SELECT min(number > 3), max(number > 3), any(number > 1) FROM numbers(5);
SELECT min(number % 2 = 0), toTypeName(max(number > 3)) FROM numbers(5);
SELECT count() FROM numbers(20) WHERE (number > 5) = 1;
-- JSON's rows_before_limit_at_least over an endless system.numbers ends
SELECT number FROM system.numbers LIMIT 2 FORMAT JSONCompact SETTINGS output_format_write_statistics = 0;
SELECT number FROM system.numbers LIMIT 3 OFFSET 2 FORMAT JSON SETTINGS output_format_write_statistics = 0;
SELECT number FROM (SELECT number FROM system.numbers LIMIT 4) FORMAT JSONCompact SETTINGS output_format_write_statistics = 0;
-- a name listed again, names that use names, a GROUP BY of a name given inside an expression
SELECT identity(1 AS a) AS b, a, b;
SELECT 'a}a' AS x, x LIKE (x AS pat), materialize(x) LIKE pat;
SELECT 1 AS a, a + 1 AS b, b + 1 AS c, c;
SELECT ignore(number % 3 AS k), count() FROM numbers(10) GROUP BY k ORDER BY k;
SELECT number * 2 AS number, number FROM numbers(3);
-- position's arguments may be named; a lambda's body may use the ternary operator
SELECT position('abc' AS h, 'c' AS n) = positionCaseInsensitive(h, n), position('b' IN 'abc');
SELECT arrayMap(x -> number != 1 ? x : 0, arr) FROM (SELECT number, range(number) AS arr FROM numbers(4)) WHERE arrayExists(x -> number != 1 ? 1 : 0, arr);
