SELECT uniqUpTo(3)(number % 2) FROM numbers(10);
SELECT uniqUpTo(3)(number % 5) FROM numbers(10);
SELECT uniqUpTo(3)(number, number % 2) FROM numbers(3);
SELECT uniqCombined(12)(number % 7) FROM numbers(100);
SELECT uniqCombined64(number % 3, number % 2) FROM numbers(100);
SELECT k, uniqUpTo(2)(number) FROM (SELECT number, number % 3 AS k FROM numbers(7)) GROUP BY k ORDER BY k;
