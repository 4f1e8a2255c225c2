SELECT x.1, x.2, tupleElement(x, 2) FROM (SELECT (number, toString(number * 10)) AS x FROM numbers(3));
SELECT argMin(x.2, x.1), argMax(x.2, x.1) FROM (SELECT (number, number * 2) AS x FROM numbers(5));
