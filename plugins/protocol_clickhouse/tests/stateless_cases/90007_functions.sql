SELECT NOT NOT 1, NOT 0, NOT (1 = 1);
SELECT ('a', 'b').2, tupleElement((1, 2), 1);
SELECT reverse('abc'), reverse([1, 2, 3]);
SELECT toUInt32OrZero('x'), toUInt32OrZero('12'), toUInt8OrNull('y');
SELECT toDayOfWeek(toDate('2020-05-06')), positionCaseInsensitive('ABC', 'b');
SELECT arrayPushBack([1], 2), arrayPushFront([1], 2);
SELECT toUInt8(-1), toUInt64(-1), toTypeName(toUInt64(1));
