SELECT 'Hello, "World"' AS x, 123 AS y, [1, 2, 3] AS z, (456, ['abc', 'def']) AS a, 'Newline\nhere' AS b FORMAT CSV;
SELECT number, (number, toString(number)) AS t FROM numbers(3) FORMAT CSV;
SELECT toInt64(0) AS i0, [toInt64(0)] AS arr, (toUInt64(0), toUInt64(0)) AS tuple, (1, 'a') AS t2, [(1, 2)] AS at FORMAT JSONEachRow;
SELECT toUInt64(18446744073709551615) AS up, [toUInt64(1)] AS ua, (toInt64(-1), 'x') AS t FORMAT JSONEachRow;
SELECT (1, 2) AS t, [(toUInt64(3), [toInt64(4)])] AS nested FORMAT JSONEachRow SETTINGS output_format_json_quote_64bit_integers = 0;
