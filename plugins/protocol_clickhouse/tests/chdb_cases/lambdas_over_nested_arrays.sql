-- lambdas whose elements are arrays themselves: nested lambdas, has/length/arraySum/x[1] of the element
SELECT arrayMap(x -> arrayMap(y -> toString(y), x), [[1, 2], [3]]);
SELECT arrayMap(x -> arrayMap(y -> y + 1, x), [[1, 2], [3]]);
SELECT arrayMap(x -> arrayMap(y -> [y], x), [[1, 2], [3]]);
SELECT arrayFilter(x -> has(x, 1), [[1, 2], [3]]);
SELECT arrayMap(x -> length(arrayFilter(y -> y > 1, x)), [[1, 2], [3]]);
SELECT arrayMap(x -> length(x), [[1, 2], [3]]), arrayExists(x -> has(x, 3), [[1, 2], [3]]), arrayCount(x -> length(x) > 1, [[1, 2], [3]]), arrayAll(x -> length(x) > 0, [[1, 2], [3]]);
SELECT arrayFirst(x -> length(x) > 1, [[1], [2, 3]]), arrayFirstIndex(x -> length(x) > 1, [[1], [2, 3]]);
SELECT arrayMap(x -> x[1], [[1, 2], [3]]), arrayMap(x -> arraySum(x), [[1, 2], [3]]);
SELECT arrayMap((x, y) -> length(x) + y, [[1, 2], [3]], [10, 20]);
SELECT arrayMap(x -> arrayMap(y -> x + y, [1, 2]), [10, 20]);
SELECT arrayMap(x -> arrayMap(y -> toString(y), x), arrayMap(x -> range(x), range(number))) FROM numbers(4);
SELECT number, range(number) AS arr, arrayMap(x -> toString(x), arr) AS arr_s, arrayMap(x -> range(x), arr) AS arr_arr, arrayMap(x -> arrayMap(y -> toString(y), x), arr_arr) AS arr_arr_s, arrayMap(x -> toFixedString(x, 3), arr_s) AS arr_fs FROM system.numbers LIMIT 2, 3;
SELECT arrayMap(x -> arrayStringConcat(x, '-'), [['a', 'b'], ['c']]);
