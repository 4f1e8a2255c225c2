-- position counts bytes (positionUTF8 characters)
SELECT position('абв', 'бв'), position('абв', 'x'), position('hello', 'l'), positionCaseInsensitive('aBc', 'C'), positionUTF8('абв', 'в');
SELECT 3 = position('бв' IN 'абв'), 5 = position('в' IN 'абв');
-- types of date and time arithmetic
SELECT toTypeName(now() - now()), toTypeName(today() - today()), toTypeName(today() + 1), toTypeName(now() - 5);
SELECT greatest(toDateTime('2020-01-01 00:00:00'), toDateTime('2020-01-01 00:00:00') + 10) - toDateTime('2020-01-01 00:00:00');
SELECT least(toDate('2020-01-05'), toDate('2020-01-01') + 2), toTypeName(least(toDate('2020-01-05'), toDate('2020-01-01') + 2));
SELECT toTypeName(ignore(1)), ignore(number) FROM numbers(2);
-- totals_mode before_having totals every group, HAVING or not
SET totals_mode = 'before_having';
SELECT number % 5 AS k, count() FROM numbers(100) GROUP BY k WITH TOTALS HAVING k % 3 = 0 ORDER BY k;
SET totals_mode = 'after_having_exclusive';
SELECT number % 5 AS k, count() FROM numbers(100) GROUP BY k WITH TOTALS HAVING k % 3 = 0 ORDER BY k;
-- a tuple IN a list of as many scalars: the list is one tuple
SELECT (1, '') IN (-1, ''), (1, 2) IN (1, 2), (1, 2) IN ((1, 2), (3, 4)), (1, 2) IN (1, 3);
SELECT (number, 'a') IN (2, 'a') FROM numbers(3);
-- intHash64 (and intHash32) with their types
SELECT intHash64(0), intHash64(1), intHash64(12345678901), intHash64(toInt64(-1)), toTypeName(intHash64(1)), toTypeName(intHash32(1));
SELECT number, intHash64(number) % 7, intHash32(number) FROM numbers(4);
-- keywords as table names
DROP TABLE IF EXISTS prewhere;
CREATE TABLE prewhere (x UInt8, y String) ENGINE = Memory;
INSERT INTO prewhere VALUES (1, 'a'), (2, 'b');
SELECT y FROM prewhere WHERE x = 2;
DROP TABLE prewhere;
DROP TABLE IF EXISTS insert;
CREATE TABLE insert (i UInt64) ENGINE = Memory;
INSERT INTO insert VALUES (3), (4);
SELECT sum(i) FROM insert;
DROP TABLE insert;
