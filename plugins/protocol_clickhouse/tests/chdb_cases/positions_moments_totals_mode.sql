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
