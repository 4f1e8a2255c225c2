-- Aggregate function states: -State, -Merge, -MergeState (with -If), finalizeAggregation,
-- initializeAggregation, runningAccumulate; AggregateFunction and SimpleAggregateFunction columns;
-- AggregatingMergeTree merging states of rows with the same sorting key.

-- states through subqueries
SELECT sumMerge(s), avgMerge(a), countMerge(c), minMerge(mi), maxMerge(ma), uniqMerge(u), uniqExactMerge(ue)
FROM (SELECT number % 3 AS k, sumState(number) AS s, avgState(number) AS a, countState() AS c, minState(number) AS mi,
             maxState(number) AS ma, uniqState(number % 4) AS u, uniqExactState(toString(number % 5)) AS ue
      FROM numbers(20) GROUP BY k);
SELECT k % 2 AS k2, sumMerge(s), groupArrayMerge(g), anyMerge(a), anyLastMerge(l), argMinMerge(am), argMaxMerge(aM)
FROM (SELECT number % 4 AS k, sumState(toInt32(number) - 5) AS s, groupArrayState(toString(number)) AS g,
             anyState(number) AS a, anyLastState(number) AS l, argMinState(toString(number), number % 3) AS am,
             argMaxState(number * 10, number % 5) AS aM
      FROM (SELECT number FROM numbers(12) ORDER BY number) GROUP BY k ORDER BY k)
GROUP BY k2 ORDER BY k2;
SELECT k, finalizeAggregation(s), finalizeAggregation(q), finalizeAggregation(m), toTypeName(s), toTypeName(q)
FROM (SELECT number % 3 AS k, sumState(number) AS s, quantilesState(0.5, 0.9)(number) AS q, medianState(number) AS m
      FROM numbers(30) GROUP BY k) ORDER BY k;
SELECT k % 2 AS k2, finalizeAggregation(uniqMergeState(state)), uniqMerge(state)
FROM (SELECT number % 5 AS k, uniqState(intDiv(number, 3)) AS state FROM numbers(60) GROUP BY k) GROUP BY k2 ORDER BY k2;
SELECT sumIfMerge(s), countIfMerge(c), avgIfMerge(a), uniqIfMerge(u)
FROM (SELECT sumIfState(number, number % 2 = 0) AS s, countIfState(number > 5) AS c, avgIfState(number, number < 4) AS a,
             uniqIfState(number % 3, number > 2) AS u FROM numbers(10));
SELECT groupUniqArrayMerge(g), quantileExactMerge(q), quantilesExactMerge(0.25, 0.75)(qs)
FROM (SELECT groupUniqArrayState(number % 4) AS g, quantileExactState(number) AS q,
             quantilesExactState(0.25, 0.75)(number) AS qs FROM numbers(9));
SELECT toTypeName(sumState(number)), toTypeName(avgState(toInt8(number))), toTypeName(anyIfState(toString(number), number > 1)),
       toTypeName(quantilesState(0.5, 0.9)(number)), toTypeName(uniqState(number)) FROM numbers(3);
SELECT toTypeName(sumMerge(s)), toTypeName(sumMerge(f)), toTypeName(groupArrayMerge(g)), toTypeName(minMerge(d))
FROM (SELECT sumState(toInt16(number)) AS s, sumState(toFloat32(number)) AS f, groupArrayState(toString(number)) AS g,
             minState(toDate('2020-01-01') + number) AS d FROM numbers(3));
SELECT minMerge(d), maxMerge(d), groupArrayMerge(ds)
FROM (SELECT minState(toDate('2020-01-01') + number) AS d, groupArrayState(toDate('2020-01-01') + number) AS ds FROM numbers(3));
SELECT finalizeAggregation(s) FROM (SELECT sumState(number) AS s FROM numbers(0));
SELECT sumMerge(s), avgMerge(a), maxMerge(m), uniqMerge(u) FROM (SELECT sumState(number) AS s, avgState(number) AS a,
       maxState(number) AS m, uniqState(number) AS u FROM numbers(10) WHERE number > 100);
SELECT number, initializeAggregation('sum', number), finalizeAggregation(initializeAggregation('uniqState', number))
FROM numbers(3);
SELECT k, finalizeAggregation(s), runningAccumulate(s)
FROM (SELECT intDiv(number, 5) AS k, sumState(number) AS s FROM numbers(20) GROUP BY k ORDER BY k)
SETTINGS allow_deprecated_error_prone_window_functions = 1;
SELECT sumMerge(u) FROM (SELECT uniqState(number) AS u FROM numbers(3));
SELECT uniqMerge(u), uniqExactMerge(e) FROM (SELECT uniqState(number % 3, number % 2) AS u,
       uniqExactState(number % 4, toString(number % 2)) AS e FROM numbers(20));
SELECT groupArrayMerge(2)(g) FROM (SELECT groupArrayState(2)(number) AS g FROM numbers(5));
SELECT maxMerge(m), minMerge(n) FROM (SELECT maxState(toString(number)) AS m, minState(toFloat64(number) / 3) AS n
       FROM numbers(12));
SELECT medianMerge(m), quantileMerge(0.25)(q), quantileTimingMerge(t) FROM (SELECT medianState(number) AS m,
       quantileState(0.25)(number) AS q, quantileTimingState(number) AS t FROM numbers(100));
SELECT sumMerge(s), avgMerge(a), countMerge(c), sumMerge(n) FROM (SELECT sumState(toFloat64(number) * 1.5) AS s,
       avgState(toInt32(number) - 10) AS a, countState(nullIf(number, 2)) AS c, sumState(nullIf(number, 2)) AS n
       FROM numbers(5));
SELECT argMaxMerge(a), argMinMerge(b) FROM (SELECT argMaxState(toString(number), number % 4) AS a,
       argMinState(toString(number), number % 4) AS b FROM numbers(10));
SELECT toTypeName(sumState(number)), ignore(countState()) FROM numbers(3);

-- AggregateFunction columns in a MergeTree: states written with INSERT ... SELECT, read with -Merge
DROP TABLE IF EXISTS st_plain;
CREATE TABLE st_plain (d Date, s AggregateFunction(sum, UInt64), u AggregateFunction(uniq, UInt64),
                       q AggregateFunction(quantiles(0.5, 0.9), UInt64), a AggregateFunction(anyIf, String, UInt8))
ENGINE = MergeTree ORDER BY d;
INSERT INTO st_plain SELECT toDate('2020-01-01') + number % 3 AS d, sumState(number), uniqState(toUInt64(number % 7)),
    quantilesState(0.5, 0.9)(number), anyIfState(toString(number), number % 7 = 0) FROM numbers(100) GROUP BY d;
INSERT INTO st_plain SELECT toDate('2020-01-01') + number % 2 AS d, sumState(number), uniqState(toUInt64(number % 11)),
    quantilesState(0.5, 0.9)(number), anyIfState(toString(number), number = 0) FROM numbers(200, 50) GROUP BY d;
SELECT d, sumMerge(s), uniqMerge(u), quantilesMerge(0.5, 0.9)(q), anyIfMerge(a) FROM st_plain GROUP BY d ORDER BY d;
SELECT sumMerge(s), uniqMerge(u) FROM st_plain;
SELECT count() FROM st_plain;
SELECT d, toTypeName(s), toTypeName(q), toTypeName(a) FROM st_plain ORDER BY d LIMIT 1;
SELECT d, finalizeAggregation(s) FROM st_plain ORDER BY d, finalizeAggregation(s);
DESCRIBE TABLE st_plain;
SHOW CREATE TABLE st_plain;

-- AggregatingMergeTree: one row per key once merged (a block as it is written, FINAL, OPTIMIZE)
DROP TABLE IF EXISTS st_agg;
CREATE TABLE st_agg (k UInt32, name String, s AggregateFunction(sum, UInt64), c AggregateFunction(count),
                     g AggregateFunction(groupArray, UInt64), m SimpleAggregateFunction(max, UInt64),
                     t SimpleAggregateFunction(sum, UInt64))
ENGINE = AggregatingMergeTree ORDER BY k;
CREATE TABLE st_agg (k UInt32, name String, s AggregateFunction(sum, UInt64), c AggregateFunction(count),
                     g AggregateFunction(groupArray, UInt64), m SimpleAggregateFunction(max, UInt64),
                     t SimpleAggregateFunction(sum, UInt64))
ENGINE = AggregatingMergeTree ORDER BY k SETTINGS allow_dimensions_outside_sorting_key = 1;
INSERT INTO st_agg SELECT number % 3, toString(number), sumState(number), countState(), groupArrayState(number),
    max(number), sum(number) FROM numbers(9) GROUP BY number ORDER BY number;
SELECT k, name, finalizeAggregation(s), finalizeAggregation(c), arraySort(finalizeAggregation(g)), m, t FROM st_agg ORDER BY k;
INSERT INTO st_agg SELECT number % 4, 'x', sumState(number), countState(), groupArrayState(number), max(number),
    sum(number) FROM numbers(10, 8) GROUP BY number % 4;
SELECT count() FROM st_agg;
SELECT k, sumMerge(s), countMerge(c), max(m), sum(t) FROM st_agg GROUP BY k ORDER BY k;
SELECT k, name, finalizeAggregation(s), finalizeAggregation(c), m, t FROM st_agg FINAL ORDER BY k;
SELECT count() FROM st_agg FINAL;
OPTIMIZE TABLE st_agg FINAL;
SELECT k, name, finalizeAggregation(s), finalizeAggregation(c), arraySort(finalizeAggregation(g)), m, t FROM st_agg ORDER BY k;
SELECT engine, sorting_key FROM system.tables WHERE name = 'st_agg';

-- the deprecated syntax, and a key of two columns
DROP TABLE IF EXISTS st_agg_old;
SET allow_deprecated_syntax_for_merge_tree = 1;
CREATE TABLE st_agg_old (d Date DEFAULT '2000-01-01', k UInt64, u AggregateFunction(uniq, UInt64))
ENGINE = AggregatingMergeTree(d, (d, k), 8192);
INSERT INTO st_agg_old (k, u) SELECT intDiv(number, 10) AS k, uniqState(toUInt64(number % 7)) AS u FROM numbers(50) GROUP BY k;
INSERT INTO st_agg_old (k, u) SELECT intDiv(number, 10) AS k, uniqState(toUInt64(number % 5 + 100)) AS u FROM numbers(30) GROUP BY k;
SELECT d, k, finalizeAggregation(u) FROM st_agg_old FINAL ORDER BY k;
OPTIMIZE TABLE st_agg_old FINAL;
SELECT d, k, finalizeAggregation(u) FROM st_agg_old ORDER BY k;

-- what is refused
INSERT INTO st_plain (d, u) SELECT today(), uniqState(number % 7) FROM numbers(5);
CREATE TABLE st_bad (k UInt8, s AggregateFunction(sum, UInt64)) ENGINE = AggregatingMergeTree(k) ORDER BY k;
SELECT sumMerge(number) FROM numbers(3);
SELECT uniqMerge(s) FROM st_plain;

DROP TABLE st_plain;
DROP TABLE st_agg;
DROP TABLE st_agg_old;
