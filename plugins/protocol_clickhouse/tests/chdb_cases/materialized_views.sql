-- Materialized views: each INSERT's block into the source table goes through the view's SELECT into
-- its target (the view's own table, ENGINE = ..., or a table of its own, TO t); states kept by an
-- AggregatingMergeTree and read with -Merge.
DROP TABLE IF EXISTS mv_src;
DROP TABLE IF EXISTS mv_agg;
DROP TABLE IF EXISTS mv_dst;
DROP TABLE IF EXISTS mv_to;
DROP TABLE IF EXISTS mv_plain;
DROP TABLE IF EXISTS mv_none;
DROP TABLE IF EXISTS mv_src_renamed;
DROP TABLE IF EXISTS mv_states_renamed;
DROP TABLE IF EXISTS mv_agg_renamed;
CREATE TABLE mv_src (k UInt32, v UInt64, u String) ENGINE = MergeTree ORDER BY k;
CREATE MATERIALIZED VIEW mv_agg ENGINE = AggregatingMergeTree ORDER BY k
    AS SELECT k, sumState(v) AS s, uniqState(u) AS u, avgState(v) AS a FROM mv_src GROUP BY k;
CREATE TABLE mv_dst (k UInt32, total UInt64, n UInt64) ENGINE = SummingMergeTree ORDER BY k;
CREATE MATERIALIZED VIEW mv_to TO mv_dst AS SELECT k, sum(v) AS total, count() AS n FROM mv_src GROUP BY k;
CREATE MATERIALIZED VIEW mv_plain ENGINE = MergeTree ORDER BY k AS SELECT k, v * 2 AS doubled FROM mv_src WHERE v > 2;
INSERT INTO mv_src VALUES (1, 2, 'a'), (1, 3, 'b'), (2, 5, 'a');
SELECT k, sumMerge(s), uniqMerge(u), avgMerge(a) FROM mv_agg GROUP BY k ORDER BY k;
INSERT INTO mv_src SELECT number % 3, number, toString(number % 2) FROM numbers(10);
SELECT k, sumMerge(s), uniqMerge(u), avgMerge(a) FROM mv_agg GROUP BY k ORDER BY k;
SELECT count() FROM mv_agg;
SELECT k, finalizeAggregation(s), finalizeAggregation(u) FROM mv_agg FINAL ORDER BY k;
OPTIMIZE TABLE mv_agg FINAL;
SELECT count() FROM mv_agg;
SELECT k, finalizeAggregation(s), finalizeAggregation(u), finalizeAggregation(a) FROM mv_agg ORDER BY k;
SELECT * FROM mv_dst FINAL ORDER BY k;
SELECT k, sum(total), sum(n) FROM mv_to GROUP BY k ORDER BY k;
SELECT * FROM mv_plain ORDER BY k, doubled;
DESCRIBE TABLE mv_agg;
DESCRIBE TABLE mv_plain;
INSERT INTO mv_src FORMAT CSV 7,100,x
;
SELECT k, sumMerge(s) FROM mv_agg WHERE k = 7 GROUP BY k;
SELECT * FROM mv_dst FINAL WHERE k = 7;
DROP TABLE mv_to;
INSERT INTO mv_src VALUES (7, 1, 'y');
SELECT * FROM mv_dst FINAL WHERE k = 7;
SELECT k, sumMerge(s) FROM mv_agg WHERE k = 7 GROUP BY k;
CREATE MATERIALIZED VIEW mv_none AS SELECT k, u FROM mv_src;
INSERT INTO mv_src VALUES (8, 1, 'z'), (9, 1, 'w');
SELECT * FROM mv_none ORDER BY k;
CREATE MATERIALIZED VIEW mv_missing TO no_such_table AS SELECT k FROM mv_src;
-- a view TO an AggregatingMergeTree table: states read through the view and the table
DROP TABLE IF EXISTS mv_states;
DROP TABLE IF EXISTS mv_to_states;
CREATE TABLE mv_states (k UInt32, s AggregateFunction(sum, UInt64), m SimpleAggregateFunction(max, UInt64))
ENGINE = AggregatingMergeTree ORDER BY k;
CREATE MATERIALIZED VIEW mv_to_states TO mv_states AS SELECT k, sumState(v) AS s, max(v) AS m FROM mv_src GROUP BY k;
INSERT INTO mv_src VALUES (1, 10, 'a'), (2, 20, 'b'), (1, 30, 'c');
INSERT INTO mv_src VALUES (1, 1, 'a');
SELECT k, sumMerge(s), max(m) FROM mv_to_states GROUP BY k ORDER BY k;
SELECT k, finalizeAggregation(s), m FROM mv_states FINAL ORDER BY k;
-- views are bound to their source and TO table by name: renamed, the source feeds them no more, and a
-- view whose target is gone makes the source's INSERTs fail; a view renamed keeps its table
RENAME TABLE mv_src TO mv_src_renamed;
INSERT INTO mv_src_renamed VALUES (2, 100, 'r');
SELECT k, finalizeAggregation(s), m FROM mv_states FINAL ORDER BY k;
RENAME TABLE mv_src_renamed TO mv_src;
RENAME TABLE mv_agg TO mv_agg_renamed;
RENAME TABLE mv_states TO mv_states_renamed;
INSERT INTO mv_src VALUES (2, 100, 'r');
RENAME TABLE mv_states_renamed TO mv_states;
INSERT INTO mv_src VALUES (2, 1000, 'r');
SELECT k, finalizeAggregation(s), m FROM mv_states FINAL ORDER BY k;
SELECT k, sumMerge(s) FROM mv_agg_renamed GROUP BY k ORDER BY k;
RENAME TABLE mv_agg_renamed TO mv_agg;
DROP TABLE mv_to_states;
DROP TABLE mv_states;
DROP TABLE mv_agg;
DROP TABLE mv_plain;
DROP TABLE mv_none;
DROP TABLE mv_dst;
DROP TABLE mv_src;

-- the Null engine keeps no rows; its INSERTs feed its views
DROP TABLE IF EXISTS mv_null;
DROP TABLE IF EXISTS mv_from_null;
CREATE TABLE mv_null (k UInt32, v UInt64) ENGINE = Null;
CREATE TABLE mv_null_sorted (k UInt32) ENGINE = Null ORDER BY k;
CREATE MATERIALIZED VIEW mv_from_null ENGINE = AggregatingMergeTree ORDER BY k
    AS SELECT k, sumState(v) AS s, countState() AS c FROM mv_null GROUP BY k;
INSERT INTO mv_null VALUES (1, 5), (2, 6), (1, 7);
INSERT INTO mv_null SELECT number % 2, number FROM numbers(6);
SELECT count() FROM mv_null;
SELECT * FROM mv_null;
SELECT k, sumMerge(s), countMerge(c) FROM mv_from_null GROUP BY k ORDER BY k;
SELECT engine, engine_full FROM system.tables WHERE name = 'mv_null';
SHOW CREATE TABLE mv_null;
OPTIMIZE TABLE mv_null;
SELECT * FROM mv_null FINAL;
DROP TABLE mv_from_null;
DROP TABLE mv_null;
