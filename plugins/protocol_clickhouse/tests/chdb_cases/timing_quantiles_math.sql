-- quantileTiming and its family: exact up to 5672 values, a histogram (bins of 16 past 1024) beyond
SELECT quantileTiming(0.5)(number), toTypeName(quantileTiming(0.5)(number)) FROM numbers(100);
SELECT quantilesTiming(0.1, 0.5, 0.9, 0.99)(number) FROM numbers(100);
SELECT quantilesTiming(0.9, 0.1)(number * 3) FROM numbers(5672);
SELECT quantilesTiming(0.1, 0.5, 0.9, 0.97)(number * 2) FROM numbers(10000);
SELECT quantileTiming(0.9)(number * 7) FROM numbers(10000);
SELECT quantileTiming(number) FROM numbers(10000);
SELECT medianTiming(x) FROM (SELECT 40000 AS x UNION ALL SELECT 35000);
SELECT medianTiming(x) FROM (SELECT -5 AS x UNION ALL SELECT -3);
SELECT quantileTiming(0.5)(x) FROM (SELECT 1.7 AS x);
SELECT medianTiming(number) FROM numbers(0);
SELECT number % 3 AS k, quantileTiming(0.75)(number) FROM numbers(30000) GROUP BY k ORDER BY k;
SELECT quantileTimingWeighted(0.5)(t, w), medianTimingWeighted(t, w) FROM (SELECT number AS t, number = 77 ? 10 : 1 AS w FROM numbers(100));
SELECT quantilesTimingWeighted(0.5, 0.9)(t, w) FROM (SELECT number AS t, number % 2 AS w FROM numbers(40));
SELECT medianTimingWeighted(t, w) FROM (SELECT number AS t, 0 AS w FROM numbers(100));
-- logarithms as Float64 with IEEE answers, log1p, hypot, the poles of gamma
SELECT log2(8), log2(1 + 536870911), log10(1000), log(10), toTypeName(log2(8)), toTypeName(log10(2));
SELECT log2(0), log10(0), log(0), ln(0), log2(-1), log(-1);
SELECT log1p(-1), log1p(0), log1p(-2), hypot(3, 4), hypot(-1, 1) = sqrt(2), toTypeName(hypot(1, 1));
SELECT lgamma(-2), lgamma(0), tgamma(0), tgamma(-1);
SELECT floor(log2(1 + number) / log2(1.5)) AS k, count() FROM numbers(100000) GROUP BY k ORDER BY k;
