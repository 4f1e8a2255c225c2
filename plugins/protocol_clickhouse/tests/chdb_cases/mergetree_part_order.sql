-- a MergeTree table read without ORDER BY: one INSERT's rows in the order of the sorting key
DROP TABLE IF EXISTS part_order_neg;
SET allow_deprecated_syntax_for_merge_tree = 1;
CREATE TABLE part_order_neg (d Date DEFAULT '2020-01-01', x Int8) ENGINE = MergeTree(d, -x, 1);
INSERT INTO part_order_neg (x) VALUES (1), (3), (2);
SELECT x FROM part_order_neg;
SELECT 'c', -x FROM part_order_neg WHERE -x < -1;
DROP TABLE part_order_neg;
DROP TABLE IF EXISTS part_order_two;
CREATE TABLE part_order_two (a UInt8, b String, c Float64) ENGINE = MergeTree ORDER BY (a, b);
INSERT INTO part_order_two VALUES (2, 'b', 1.5), (1, 'z', 2.5), (2, 'a', 3.5), (1, 'a', 4.5), (0, 'q', 5.5);
SELECT * FROM part_order_two;
DROP TABLE part_order_two;
DROP TABLE IF EXISTS part_order_select;
CREATE TABLE part_order_select (k UInt32, v UInt64) ENGINE = MergeTree ORDER BY k;
INSERT INTO part_order_select SELECT toUInt32(number * 7 % 10), number FROM system.numbers LIMIT 10;
SELECT k, v FROM part_order_select;
DROP TABLE part_order_select;
DROP TABLE IF EXISTS part_order_tsv;
CREATE TABLE part_order_tsv (s String, n Int32) ENGINE = MergeTree ORDER BY s;
INSERT INTO part_order_tsv FORMAT TabSeparated
pear	1
apple	2
fig	3
;
SELECT * FROM part_order_tsv;
DROP TABLE part_order_tsv;
