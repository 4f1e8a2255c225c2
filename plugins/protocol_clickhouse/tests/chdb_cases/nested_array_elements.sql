SELECT [['Hello']][1], materialize([['World']])[1], [['Hello']][materialize(1)], materialize([['World']])[materialize(1)];
SELECT [['Hello']][1] AS x FORMAT TSVWithNamesAndTypes;
SELECT [[['a'], ['b', 'c']], [['d']]];
SELECT ([[['a'], ['b', 'c']], [['d', 'e', 'f'], ['g', 'h']]] AS arr)[number], arr[number][2], arr[number][2][1] FROM numbers(4);
SELECT [[1], [2, 3]][number][1], [[1], [2, 3]][number][-1] FROM numbers(3);
