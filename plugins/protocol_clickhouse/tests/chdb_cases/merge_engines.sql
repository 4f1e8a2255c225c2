-- The MergeTree family's merging engines: an INSERT's block is merged as it is written, FINAL merges
-- at read time, OPTIMIZE merges now. A plain SELECT is compared only after one block or OPTIMIZE FINAL.

-- ReplacingMergeTree: the last row of a key; with a version the highest (the last among equals)
DROP TABLE IF EXISTS me_replace;
CREATE TABLE me_replace (k UInt32, v FixedString(2)) ENGINE = ReplacingMergeTree ORDER BY k;
INSERT INTO me_replace VALUES (2, 'a'), (1, 'b'), (2, 'c'), (1, 'd'), (3, 'e');
SELECT * FROM me_replace;
INSERT INTO me_replace VALUES (2, 'x');
SELECT * FROM me_replace ORDER BY k, v;
SELECT * FROM me_replace FINAL ORDER BY k;
SELECT count() FROM me_replace FINAL;
SELECT k, toTypeName(k), toTypeName(v) FROM me_replace FINAL ORDER BY k FORMAT TSVWithNamesAndTypes;
SELECT * FROM (SELECT * FROM me_replace FINAL) AS m ORDER BY k FORMAT TSVWithNamesAndTypes;
SELECT t.k, t.v FROM me_replace AS t FINAL WHERE t.v != 'e' ORDER BY t.k;
SELECT * FROM me_replace FINAL PREWHERE v = 'c' ORDER BY k;
SELECT * FROM me_replace ORDER BY k SETTINGS final = 1;
SELECT a.k, a.v, b.v FROM me_replace AS a FINAL JOIN me_replace AS b FINAL USING k ORDER BY a.k;
OPTIMIZE TABLE me_replace FINAL;
SELECT * FROM me_replace;

DROP TABLE IF EXISTS me_replace_ver;
CREATE TABLE me_replace_ver (k UInt32, v String, ver UInt8) ENGINE = ReplacingMergeTree(ver) ORDER BY k;
INSERT INTO me_replace_ver VALUES (1, 'a', 3), (1, 'b', 2), (1, 'c', 3), (2, 'x', 1);
SELECT * FROM me_replace_ver;
INSERT INTO me_replace_ver VALUES (1, 'd', 2), (2, 'y', 1), (3, 'z', 0);
SELECT * FROM me_replace_ver FINAL ORDER BY k;
INSERT INTO me_replace_ver SELECT number % 4, toString(number), 5 FROM numbers(10);
SELECT * FROM me_replace_ver FINAL ORDER BY k;
OPTIMIZE TABLE me_replace_ver FINAL;
SELECT * FROM me_replace_ver;

-- is_deleted: FINAL leaves the key out, merges keep the row
DROP TABLE IF EXISTS me_replace_del;
CREATE TABLE me_replace_del (k UInt32, v String, ver UInt8, deleted UInt8) ENGINE = ReplacingMergeTree(ver, deleted) ORDER BY k;
INSERT INTO me_replace_del VALUES (1, 'a', 3, 0), (1, 'b', 4, 1), (2, 'c', 1, 0);
SELECT * FROM me_replace_del;
SELECT * FROM me_replace_del FINAL;
INSERT INTO me_replace_del VALUES (2, 'c', 2, 1), (1, 'e', 5, 0);
SELECT * FROM me_replace_del FINAL ORDER BY k;
OPTIMIZE TABLE me_replace_del FINAL;
SELECT * FROM me_replace_del ORDER BY k;
INSERT INTO me_replace_del VALUES (3, 'f', 1, 2);
SELECT count() FROM me_replace_del;

-- partitions merge apart
DROP TABLE IF EXISTS me_replace_part;
CREATE TABLE me_replace_part (k UInt32, d Date, v String) ENGINE = ReplacingMergeTree PARTITION BY toYYYYMM(d) ORDER BY k;
INSERT INTO me_replace_part VALUES (1, '2020-01-01', 'a'), (1, '2020-02-01', 'b'), (1, '2020-01-05', 'c'), (2, '2020-01-01', 'd');
SELECT * FROM me_replace_part ORDER BY k, d;
INSERT INTO me_replace_part VALUES (1, '2020-02-09', 'e');
SELECT * FROM me_replace_part FINAL ORDER BY k, d;
OPTIMIZE TABLE me_replace_part FINAL;
SELECT * FROM me_replace_part ORDER BY k, d;

-- OPTIMIZE of one partition merges its rows only
DROP TABLE IF EXISTS me_sum_part;
CREATE TABLE me_sum_part (k UInt32, d Date, v UInt32) ENGINE = SummingMergeTree PARTITION BY toYYYYMM(d) ORDER BY k;
INSERT INTO me_sum_part VALUES (1, '2020-01-01', 1);
INSERT INTO me_sum_part VALUES (1, '2020-01-02', 2), (1, '2020-02-01', 5);
INSERT INTO me_sum_part VALUES (1, '2020-02-03', 7);
OPTIMIZE TABLE me_sum_part PARTITION 202001 FINAL;
SELECT * FROM me_sum_part ORDER BY d;
OPTIMIZE TABLE me_sum_part PARTITION tuple();
OPTIMIZE TABLE me_sum_part PARTITION (202002) FINAL;
SELECT * FROM me_sum_part ORDER BY d;
OPTIMIZE TABLE me_replace_part PARTITION 202001;

-- the deprecated syntax: ENGINE = SummingMergeTree(date, primary key, index granularity[, columns to sum])
CREATE TABLE me_old (d Date, k UInt64, v Int8) ENGINE = SummingMergeTree(d, k, 8192);
SET allow_deprecated_syntax_for_merge_tree = 1;
DROP TABLE IF EXISTS me_old;
CREATE TABLE me_old (d Date, a String, x UInt32, y UInt64, z Float64) ENGINE = SummingMergeTree(d, a, 8192, (y, z));
INSERT INTO me_old VALUES ('2000-01-01', 'Hello', 1, 2, 3), ('2000-01-01', 'Hello', 4, 5, 6), ('2000-01-01', 'Goodbye', 1, 2, 3);
SELECT * FROM me_old;
SELECT engine_full, partition_key, sorting_key, primary_key FROM system.tables WHERE database = currentDatabase() AND name = 'me_old';
SHOW CREATE TABLE me_old;
DROP TABLE IF EXISTS me_old_replace;
CREATE TABLE me_old_replace (d Date, k UInt64, v String, ver UInt32) ENGINE = ReplacingMergeTree(d, (k, d), 8192, ver);
INSERT INTO me_old_replace VALUES ('2000-01-01', 1, 'a', 2), ('2000-01-01', 1, 'b', 1), ('2000-01-02', 1, 'c', 0);
SELECT * FROM me_old_replace;
SET allow_deprecated_syntax_for_merge_tree = 0;

-- SummingMergeTree: several columns summed in their own types (UInt8 wraps), others from the first
-- row, a row whose sums are all 0 dropped
DROP TABLE IF EXISTS me_sum;
CREATE TABLE me_sum (k UInt32, a UInt8, b Int64, f Float64, name String, d Date) ENGINE = SummingMergeTree ORDER BY k;
INSERT INTO me_sum VALUES (1, 200, 5, 1.5, 'x', '2020-01-01'), (2, 1, 1, 0, 'y', '2020-01-02'), (1, 100, -5, 2.5, 'z', '2020-02-01'), (3, 0, 0, 0, 'zero', '2020-01-01');
SELECT * FROM me_sum;
INSERT INTO me_sum VALUES (2, 255, -1, 0, 'w', '2021-01-01'), (4, 1, 0, 0, 'q', '2020-01-01'), (1, 1, 1, 0.25, 'y', '2022-01-01');
SELECT * FROM me_sum FINAL ORDER BY k;
SELECT k, sum(a), sum(b) FROM me_sum GROUP BY k ORDER BY k;
OPTIMIZE TABLE me_sum FINAL;
SELECT * FROM me_sum;

DROP TABLE IF EXISTS me_sum_named;
CREATE TABLE me_sum_named (k UInt32, a UInt8, b Int64, c UInt16) ENGINE = SummingMergeTree((b, c)) ORDER BY k;
INSERT INTO me_sum_named VALUES (1, 1, 1, 10), (1, 2, 2, 20), (2, 5, 0, 0), (3, 7, -3, 0);
SELECT * FROM me_sum_named;
INSERT INTO me_sum_named VALUES (3, 8, 3, 0), (1, 9, 0, 65535);
SELECT * FROM me_sum_named FINAL ORDER BY k;
OPTIMIZE TABLE me_sum_named FINAL;
SELECT * FROM me_sum_named;

-- Nullable numbers: NULLs are not summed, a row is dropped when every sum is its default (NULL, 0) (in a FINAL
-- read: every sum it reads);
-- Float32 and Decimal sum in their type, Int8 wraps, Bool sums as a UInt8, other types come from the first row
DROP TABLE IF EXISTS me_sum_types;
CREATE TABLE me_sum_types (k String, a Nullable(UInt32), b Int8, f Float32, d Decimal(10, 2), e Enum8('a' = 1, 'b' = 2), arr Array(UInt8), flag Bool) ENGINE = SummingMergeTree ORDER BY k;
INSERT INTO me_sum_types VALUES ('b', NULL, 100, 0.5, 1.25, 'a', [1], true), ('a', 5, 0, 0, 0, 'b', [], false), ('b', 3, 100, 0.25, 2.5, 'b', [2], false), ('c', NULL, 0, 0, 0, 'a', [3], true), ('d', 0, 0, 0, 0, 'a', [], true), ('B', NULL, 1, 0, 0, 'b', [4], true);
SELECT * FROM me_sum_types;
INSERT INTO me_sum_types VALUES ('a', NULL, 0, 0, 0, 'a', [9], true), ('B', NULL, -1, 0, 0, 'a', [], false);
SELECT k, a, b, f, d, e, arr FROM me_sum_types FINAL ORDER BY k;
SELECT k, b FROM me_sum_types FINAL ORDER BY k;
SELECT k, a FROM me_sum_types FINAL WHERE b = 0 ORDER BY k;
OPTIMIZE TABLE me_sum_types FINAL;
SELECT * FROM me_sum_types;
DROP TABLE me_sum_types;

DROP TABLE IF EXISTS me_sum_expr;
CREATE TABLE me_sum_expr (t DateTime, id UInt32, hits UInt32) ENGINE = SummingMergeTree ORDER BY (toDate(t), id);
INSERT INTO me_sum_expr VALUES ('2020-01-01 10:00:00', 1, 1), ('2020-01-01 11:00:00', 1, 2), ('2020-01-02 00:00:00', 1, 3), ('2020-01-01 12:00:00', 2, 4);
SELECT * FROM me_sum_expr;
SELECT engine_full, sorting_key FROM system.tables WHERE database = currentDatabase() AND name = 'me_sum_expr';

-- CollapsingMergeTree: 1 and -1 rows cancel; FINAL keeps the 1 rows
DROP TABLE IF EXISTS me_collapse;
CREATE TABLE me_collapse (k UInt32, v UInt32, sign Int8) ENGINE = CollapsingMergeTree(sign) ORDER BY k;
INSERT INTO me_collapse VALUES (1, 10, 1), (1, 10, -1), (1, 20, 1), (2, 5, 1), (2, 5, -1), (3, 7, -1), (3, 8, 1), (4, 1, -1), (4, 2, -1), (4, 3, 1), (5, 1, 1), (5, 2, 1), (6, 9, -1);
SELECT * FROM me_collapse;
SELECT * FROM me_collapse FINAL ORDER BY k, v;
INSERT INTO me_collapse VALUES (1, 20, -1), (6, 9, 1), (7, 1, 1);
SELECT * FROM me_collapse FINAL ORDER BY k, v;
SELECT k, sum(v * sign) FROM me_collapse GROUP BY k HAVING sum(sign) > 0 ORDER BY k;
OPTIMIZE TABLE me_collapse FINAL;
SELECT * FROM me_collapse ORDER BY k, v, sign;
INSERT INTO me_collapse VALUES (8, 1, 2);
INSERT INTO me_collapse VALUES (8, 1, 0), (8, 2, 1);
SELECT count() FROM me_collapse;

-- VersionedCollapsingMergeTree: per key and version, a row cancels the standing row before it of the other sign
DROP TABLE IF EXISTS me_versioned;
CREATE TABLE me_versioned (k UInt32, v String, sign Int8, ver UInt32) ENGINE = VersionedCollapsingMergeTree(sign, ver) ORDER BY k;
INSERT INTO me_versioned VALUES (1, 'a', 1, 1), (1, 'b', 1, 1), (1, 'c', -1, 1), (2, 'a', 1, 1), (2, 'b', -1, 1), (2, 'c', 1, 1), (3, 'a', -1, 1), (3, 'b', -1, 1), (3, 'c', 1, 1), (3, 'd', -1, 1), (4, 'a', 1, 2), (4, 'b', 1, 1), (4, 'c', -1, 1), (5, 'x', -1, 3), (6, 'p', 1, 1), (6, 'q', 1, 1), (6, 'r', 1, 1), (6, 's', -1, 1);
SELECT * FROM me_versioned;
SELECT * FROM me_versioned FINAL ORDER BY k, ver, v;
INSERT INTO me_versioned VALUES (5, 'x', 1, 3), (4, 'a', -1, 2), (7, 'n', -1, 1), (6, 't', -1, 1);
SELECT * FROM me_versioned FINAL ORDER BY k, ver, v;
OPTIMIZE TABLE me_versioned FINAL;
SELECT * FROM me_versioned ORDER BY k, ver, v;
SELECT sorting_key, primary_key FROM system.tables WHERE database = currentDatabase() AND name = 'me_versioned';

-- engines as declared
SHOW CREATE TABLE me_versioned;
SHOW CREATE TABLE me_sum_named;
DROP TABLE IF EXISTS me_declared;
CREATE TABLE me_declared (k UInt32, d Date, v String) ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMM(d) PRIMARY KEY k ORDER BY (k, v) SETTINGS index_granularity = 1024;
SELECT engine, engine_full, partition_key, sorting_key, primary_key FROM system.tables WHERE database = currentDatabase() AND name = 'me_declared';
SHOW CREATE TABLE me_declared;
DROP TABLE IF EXISTS me_plain;
CREATE TABLE me_plain (k UInt32, v String) ENGINE = MergeTree ORDER BY k;
DROP TABLE IF EXISTS me_memory;
CREATE TABLE me_memory (k UInt32, v String) ENGINE = Memory;
SELECT name, engine, engine_full FROM system.tables WHERE database = currentDatabase() AND name IN ('me_plain', 'me_memory', 'me_replace') ORDER BY name;
SHOW CREATE TABLE me_plain;
SHOW CREATE TABLE me_memory;

-- OPTIMIZE ... DEDUPLICATE, FINAL and OPTIMIZE of engines that do not merge
INSERT INTO me_plain VALUES (2, 'b'), (1, 'a'), (2, 'b'), (1, 'a'), (1, 'c');
OPTIMIZE TABLE me_plain FINAL DEDUPLICATE;
SELECT * FROM me_plain ORDER BY k, v;
OPTIMIZE TABLE me_plain FINAL DEDUPLICATE BY v;
OPTIMIZE TABLE me_plain FINAL DEDUPLICATE BY k;
SELECT * FROM me_plain ORDER BY k, v;
SELECT * FROM me_plain FINAL;
SELECT * FROM me_memory FINAL;
SELECT * FROM me_memory SETTINGS final = 1;
OPTIMIZE TABLE me_memory FINAL;
OPTIMIZE TABLE me_no_such_table FINAL;

-- what ClickHouse refuses
CREATE TABLE me_bad (k UInt32, v UInt32) ENGINE = CollapsingMergeTree ORDER BY k;
CREATE TABLE me_bad (k UInt32, v UInt32) ENGINE = CollapsingMergeTree(s) ORDER BY k;
CREATE TABLE me_bad (k UInt32, v UInt32, sign UInt8) ENGINE = CollapsingMergeTree(sign) ORDER BY k;
CREATE TABLE me_bad (k UInt32, v String, sign Int8, ver String) ENGINE = VersionedCollapsingMergeTree(sign, ver) ORDER BY k;
CREATE TABLE me_bad (k UInt32, v String, sign Int8, ver UInt8) ENGINE = VersionedCollapsingMergeTree(sign) ORDER BY k;
CREATE TABLE me_bad (k UInt32, v String, ver String) ENGINE = ReplacingMergeTree(ver) ORDER BY k;
CREATE TABLE me_bad (k UInt32, v String, ver UInt8, d Int8) ENGINE = ReplacingMergeTree(ver, d) ORDER BY k;
CREATE TABLE me_bad (k UInt32, v String, ver UInt8, d UInt8) ENGINE = ReplacingMergeTree(ver, d, k) ORDER BY k;
CREATE TABLE me_bad (k UInt32, v String) ENGINE = ReplacingMergeTree(nope) ORDER BY k;
CREATE TABLE me_bad (k UInt32, a UInt8) ENGINE = SummingMergeTree(k) ORDER BY k;
CREATE TABLE me_bad (k UInt32, a UInt8) ENGINE = SummingMergeTree(nope) ORDER BY k;
CREATE TABLE me_bad (k Nullable(UInt32), v String) ENGINE = ReplacingMergeTree ORDER BY k;
EXISTS TABLE me_bad;

DROP TABLE me_replace;
DROP TABLE me_replace_ver;
DROP TABLE me_replace_del;
DROP TABLE me_replace_part;
DROP TABLE me_sum;
DROP TABLE me_sum_named;
DROP TABLE me_sum_expr;
DROP TABLE me_collapse;
DROP TABLE me_versioned;
DROP TABLE me_declared;
DROP TABLE me_plain;
DROP TABLE me_memory;
DROP TABLE me_sum_part;
DROP TABLE me_old;
DROP TABLE me_old_replace;
