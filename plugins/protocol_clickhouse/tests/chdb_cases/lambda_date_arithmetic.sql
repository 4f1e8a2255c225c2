SELECT arrayMap(x -> toDateTime('2015-01-01 00:00:00', 'UTC') + x, range(3));
SELECT arrayMap(x -> toDate('2015-01-01') + x, range(4));
SELECT arrayMap(x -> toDate('2015-01-10') - x, [1, 2]);
SELECT number, arrayMap(x -> toDateTime('2015-01-01 00:00:00', 'UTC') + x, range(number % 3)) FROM numbers(4);
