SELECT uniq(number, number % 3, number % 2), uniq((number % 3, number % 2)), uniqExact(number % 2, number % 3) FROM numbers(10);
SELECT arrayUniq([1, 1, 2], [1, 2, 2]), arrayUniq([1, 1, 2]), arrayUniq(['a', 'b', 'a'], [1, 1, 1]);
SELECT emptyArrayToSingle(emptyArrayString()), emptyArrayToSingle([1, 2]), emptyArrayToSingle(arrayFilter(x -> 0, [toDate('2015-01-01')]));
SELECT emptyArrayToSingle(range(number % 3)), emptyArrayToSingle(arrayMap(x -> toString(x), range(number % 2))) FROM numbers(4);
SELECT minIf(arr, notEmpty(arr)), max(arr), min(arr) FROM (SELECT range(number % 3) AS arr FROM numbers(5));
SELECT number % 2 AS k, max([number, 1]), min([number % 3, number]) FROM numbers(6) GROUP BY k ORDER BY k;
