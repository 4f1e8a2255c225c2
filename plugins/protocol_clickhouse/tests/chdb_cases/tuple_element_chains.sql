SELECT [((1, materialize('2')), [(3, [4])])] AS thing, thing[1], thing[1].1, thing[1].2, thing[1].1.1, thing[1].1.2, (thing[1].2)[1], (thing[1].2)[1].1, (thing[1].2)[1].2, ((thing[1].2)[1].2)[1];
SELECT ((1, 2), 3) AS x, x.1.2, x.2, 1.5, x.1;
SELECT (((1, 2), 3), 4) AS y, y.1.1.2, tupleElement(tupleElement(y, 1), 2);
