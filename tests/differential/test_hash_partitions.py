"""HASH partitioning places each row where PostgreSQL 15 places it, and PostgreSQL's hash support
functions (hashint4, hashtextextended, hash_numeric, uuid_hash, satisfies_hash_partition ...)
print the same numbers: each non-NULL key column's extended hash with the partition seed, folded
with hash_combine64, modulo each partition's modulus. In order, on a live PostgreSQL and on
HeliosDB; the same rows (``tableoid::regclass`` names the partition) or the same SQLSTATE."""

from __future__ import annotations

import re

_UUIDS = ["a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "00000000-0000-0000-0000-000000000000",
          "ffffffff-ffff-ffff-ffff-ffffffffffff", "123e4567-e89b-12d3-a456-426614174000"]


def _hash_table(name: str, columns: str, key: str, bounds: list[tuple[int, int]]) -> list[str]:
    out = [f"CREATE TABLE {name} ({columns}) PARTITION BY HASH ({key})"]
    out += [f"CREATE TABLE {name}_{m}_{r} PARTITION OF {name} FOR VALUES WITH (modulus {m}, remainder {r})"
            for m, r in bounds]
    return out


SETUP = [
    *_hash_table("hh_int", "id int, note text", "id", [(3, 0), (3, 1), (3, 2)]),
    *_hash_table("hh_big", "id bigint, note text", "id", [(4, 0), (4, 1), (4, 2), (4, 3)]),
    *_hash_table("hh_txt", "k text, note text", "k", [(2, 0), (2, 1)]),
    *_hash_table("hh_two", "a int, b text, note text", "a, b", [(4, 0), (4, 1), (4, 2), (4, 3)]),
    # mixed moduli: 4 for remainders 0 and 1, 8 for what is left
    *_hash_table("hh_mix", "id int, note text", "id", [(4, 0), (4, 1), (8, 2), (8, 6), (8, 3), (8, 7)]),
    *_hash_table("hh_num", "n numeric, note text", "n", [(3, 0), (3, 1), (3, 2)]),
    *_hash_table("hh_misc", "u uuid, d date, ts timestamp, f float8, c char(4)", "u, d, ts, f, c",
                 [(2, 0), (2, 1)]),
    "CREATE TABLE hh_list (id int) PARTITION BY LIST (id)",
    "CREATE TYPE hh_pair AS (x int, y text)",
    # list partitions with and without one for NULL, for IS NULL pruning
    "CREATE TABLE hh_lst (k text) PARTITION BY LIST (k)",
    "CREATE TABLE hh_lst_ab PARTITION OF hh_lst FOR VALUES IN ('a', 'b')",
    "CREATE TABLE hh_lst_null PARTITION OF hh_lst FOR VALUES IN (NULL)",
    "CREATE TABLE hh_lst_def PARTITION OF hh_lst DEFAULT",
    "CREATE TABLE hh_lst2 (k text) PARTITION BY LIST (k)",
    "CREATE TABLE hh_lst2_ab PARTITION OF hh_lst2 FOR VALUES IN ('a', 'b')",
    "CREATE TABLE hh_lst2_def PARTITION OF hh_lst2 DEFAULT",
    *_hash_table("hh_arr", "a int[], r int4range, note text", "a, r", [(3, 0), (3, 1), (3, 2)]),
    *_hash_table("hh_points", "p point[]", "p", [(1, 0)]),
    *_hash_table("hh_json", "j jsonb, note text", "j", [(4, 0), (4, 1), (4, 2), (4, 3)]),
    *_hash_table("hh_types", "s smallint, r real, b bool, vc varchar(10), tz timestamptz, tt timetz, iv interval,"
                 " by bytea, ip inet, ma macaddr, t time, o oid, ch \"char\", nm name, note text",
                 "s, r, b, vc, tz, tt, iv, by, ip, ma, t, o, ch, nm", [(5, 0), (5, 1), (5, 2), (5, 3), (5, 4)]),
    *_hash_table("hh_expr", "k text, note text", "lower(k)", [(3, 0), (3, 1), (3, 2)]),
    # hash partitions under a range partition
    "CREATE TABLE hh_sub (d int, id bigint, note text) PARTITION BY RANGE (d)",
    "CREATE TABLE hh_sub_lo PARTITION OF hh_sub FOR VALUES FROM (MINVALUE) TO (10) PARTITION BY HASH (id)",
    "CREATE TABLE hh_sub_lo_0 PARTITION OF hh_sub_lo FOR VALUES WITH (modulus 2, remainder 0)",
    "CREATE TABLE hh_sub_lo_1 PARTITION OF hh_sub_lo FOR VALUES WITH (modulus 2, remainder 1)",
    "CREATE TABLE hh_sub_hi PARTITION OF hh_sub FOR VALUES FROM (10) TO (MAXVALUE)",
]

_INSERTS = [
    "INSERT INTO hh_int SELECT g, 'r' || g FROM generate_series(-20, 20) g",
    ("INSERT INTO hh_big VALUES (0, 'zero'), (-1, 'minus one'), (2147483648, 'past int4'), (5000000000, 'five g'),"
    " (-5000000000, 'minus five g'), (9223372036854775807, 'max'), (-9223372036854775808, 'min'), (42, 'answer')"),
    ("INSERT INTO hh_txt VALUES ('', 'empty'), ('a', 'a'), ('héllo wörld ✓', 'unicode'), ('日本語テキスト', 'cjk'),"
    " ('exactly12byt', 'twelve'), ('a somewhat longer key of more than twenty four bytes', 'long'), ('b', 'b'),"
    " ('trailing  ', 'blanks')"),
    ("INSERT INTO hh_two VALUES (1, 'x', 'both'), (1, NULL, 'b null'), (NULL, 'x', 'a null'), (NULL, NULL, 'all null'),"
    " (2, 'y', 'two'), (-3, '', 'empty b'), (1000, 'zzz', 'big'), (7, 'seven', 'seven')"),
    "INSERT INTO hh_mix SELECT g, 'm' || g FROM generate_series(0, 30) g",
    ("INSERT INTO hh_num VALUES (0, 'zero'), (1.50, 'one and a half'), (-1e20, 'minus big'), (123.456000, 'scaled'),"
    " (0.0001, 'small'), ('NaN', 'nan'), ('Infinity', 'inf'), (NULL, 'null'), (10000, 'ten thousand'),"
    " (-0.5, 'minus half')"),
    "INSERT INTO hh_misc VALUES"
    + ", ".join(f"('{u}', date '2024-02-29' + {i}, timestamp '2000-01-01 12:34:56.5' + interval '{i} days', {f}, '{c}')"
                for i, (u, f, c) in enumerate(zip(_UUIDS, ["-0", "'NaN'", "'Infinity'", "1.5"],
                                                  ["ab", "abcd", "", "x y"], strict=True)))
    + ", (NULL, NULL, NULL, NULL, NULL)",
]

STEPS = [
    # ---- the hash functions
    ("SELECT hashint2(-7::int2), hashint2(0::int2), hashint4(0), hashint4(-1), hashint4(2147483647),"
    " hashint4((-2147483648)::int4), hashint8(5000000000), hashint8(-5000000000), hashint8(9223372036854775807),"
    " hashint8(42)"),
    ("SELECT hashint2extended(-7::int2, 0), hashint4extended(-5, 0), hashint4extended(-5, 1),"
    " hashint4extended(123456, -1), hashint8extended(3000000000, -1), hashint8extended(-1, 8816678312871386365)"),
    ("SELECT hashtext(''), hashtext('a'), hashtext('héllo wörld ✓'), hashtext('exactly12byt'),"
    " hashtext('a somewhat longer key of more than twenty four bytes'), hashtextextended('', 0),"
    " hashtextextended('', 1), hashtextextended('日本語テキスト', 42), hashtextextended('abc'::varchar, 7)"),
    ("SELECT hashbpchar('ab   '::bpchar), hashbpchar('ab'::char(5)), hashbpchar(''::bpchar),"
    " hashbpcharextended('ab  '::char(4), 3), hashchar('a'::\"char\"), hashcharextended('z'::\"char\", 7),"
    " hashname('pg_class'::name), hashnameextended('pg_class'::name, 9)"),
    "SELECT hashint4(NULL), hashtext(NULL), hashtextextended('x', NULL), hash_numeric(NULL), uuid_hash(NULL)",
    ("SELECT hash_numeric(0), hash_numeric(0.000), hash_numeric(1.50), hash_numeric(1.5), hash_numeric(-1e20),"
    " hash_numeric(123.456000), hash_numeric(0.0001), hash_numeric(-0.5), hash_numeric(10000),"
    " hash_numeric(1234567890123456789012345.678), hash_numeric('NaN'), hash_numeric('Infinity'),"
    " hash_numeric('-Infinity')"),
    ("SELECT hash_numeric_extended(0, 0), hash_numeric_extended(0, 5), hash_numeric_extended(1.50, 0),"
    " hash_numeric_extended(-1e20, 99), hash_numeric_extended(123.456000, -3), hash_numeric_extended(-0.5, 1),"
    " hash_numeric_extended('NaN', 11)"),
    ("SELECT hashfloat8('-0'), hashfloat8('0'), hashfloat8('NaN'), hashfloat8('Infinity'), hashfloat8('-Infinity'),"
    " hashfloat8(1.5), hashfloat4(1.5), hashfloat4('-Infinity'), hashfloat4('NaN'), hashfloat8(3.14159),"
    " hashfloat4(3.14159)"),
    ("SELECT hashfloat8extended('NaN', 3), hashfloat8extended('-0', 3), hashfloat4extended(0, 77),"
    " hashfloat4extended(2.5, 77), hashfloat8extended(-1e300, 0)"),
    "SELECT " + ", ".join(f"uuid_hash('{u}'), uuid_hash_extended('{u}', {i})" for i, u in enumerate(_UUIDS)),
    ("SELECT hashoid(12345), hashoidextended(4000000000, 1), timestamp_hash('2024-02-29 12:34:56.789'),"
    " timestamp_hash_extended('1960-01-01 00:00:00', 5), time_hash('23:59:59.5'), time_hash_extended('00:00:01', 2),"
    " interval_hash('1 mon 2 days 3 sec'), interval_hash_extended('-5 days', 8), timetz_hash('10:00:00+02'),"
    " timetz_hash_extended('23:15:00-05:30', 4)"),
    ("SELECT hash_array(ARRAY[1, 2, 3]), hash_array_extended(ARRAY[1, 2, 3], 5), hash_array('{{1,2},{3,4}}'::int[]),"
     " hash_array(ARRAY[1, NULL, 3]), hash_array_extended(ARRAY['a', 'bc'], 0), hash_array('{}'::int[]),"
     " hash_array_extended(ARRAY[1.5, 2.25]::numeric[], 3), hash_array(ARRAY['2020-01-01'::date])"),
    ("SELECT hash_range('[1,5)'::int4range), hash_range_extended('(,5)'::int4range, 3), hash_range('empty'::int4range),"
     " hash_range_extended('[1.5,2.50]'::numrange, 7), hash_range('[2020-01-01,)'::daterange),"
     " hash_range_extended('(,)'::int8range, 1), hash_multirange('{[1,3), [5,7)}'::int4multirange),"
     " hash_multirange_extended('{[1,3), [5,7)}'::int4multirange, 9), hash_multirange('{}'::int4multirange)"),
    ("SELECT hash_record(ROW(1, 'a')::hh_pair), hash_record_extended(ROW(1, 'a')::hh_pair, 4),"
     " hash_record(ROW(NULL, 'a')::hh_pair), hashmacaddr8('08:00:2b:01:02:03:04:05'),"
     " hashmacaddr8extended('08:00:2b:01:02:03:04:05', 2)"),
    ("SELECT v, hashtext(v), hashtextextended(v, 3) FROM (VALUES ('x'), ('yy'), ('zzz'), (NULL), ('')) t(v)"
    " ORDER BY v NULLS FIRST"),
    ("SELECT g, hashint4(g), hashint8(g::int8 * 1000000007), hashint4extended(g, g) FROM generate_series(-3, 3) g"
    " ORDER BY g"),
    # pg_proc lists them under PostgreSQL's OIDs
    ("SELECT oid::int, proname, pronargs, prorettype::int, provariadic::int FROM pg_proc WHERE proname IN"
     " ('hashint4', 'hashint8extended', 'hashtextextended', 'hash_numeric', 'uuid_hash', 'satisfies_hash_partition')"
     " ORDER BY oid"),
    "SELECT 'hashtext(text)'::regprocedure::oid, 'hash_numeric_extended(numeric, bigint)'::regprocedure::oid",
    ("SELECT d, jsonb_hash(d::jsonb), jsonb_hash_extended(d::jsonb, 0), jsonb_hash_extended(d::jsonb, 77) FROM"
     " (VALUES ('{}'), ('[]'), ('1'), ('\"abc\"'), ('null'), ('true'), ('1.50'), ('{\"b\": [1, 2, {\"c\": null}],"
     " \"aa\": true, \"a\": \"x\"}'), ('[1, [2, [3]], {\"k\": false}]'), ('{\"a\": 1, \"a\": 2}')) t(d) ORDER BY d"),
    ("SELECT hashoidvector('1 2 3'::oidvector), hashoidvectorextended('1 2 4000000000'::oidvector, 5),"
     " hashoidvector(''::oidvector)"),
    ("SELECT sum(hashint4extended(g, g)), sum(hash_numeric_extended(g / 7.0, g)), sum(hashtextextended(g::text,"
     " g % 3)), sum(hash_array_extended(ARRAY[g], g)) FROM generate_series(1, 2000) g"),
    "SELECT hash_array(ARRAY[1::money])",
    "SELECT hash_array_extended(ARRAY['(1,2)'::point], 0)",
    "CREATE TABLE hh_money (m money) PARTITION BY HASH (m)",
    "CREATE TABLE hh_bits (b bit(3)) PARTITION BY HASH (b)",
    "SELECT hashint2(5)",
    "SELECT hashtext(1)",
    # ---- rows land in PostgreSQL's partitions
    *_INSERTS,
    "SELECT tableoid::regclass::text, * FROM hh_int ORDER BY id",
    "SELECT tableoid::regclass::text, * FROM hh_big ORDER BY id",
    "SELECT tableoid::regclass::text, * FROM hh_txt ORDER BY k",
    "INSERT INTO hh_txt SELECT repeat('aé', g), 'rep ' || g FROM generate_series(1, 150, 7) g",
    "SELECT tableoid::regclass::text, length(k), note FROM hh_txt WHERE note LIKE 'rep %' ORDER BY note",
    "DELETE FROM hh_txt WHERE note LIKE 'rep %'",
    "SELECT tableoid::regclass::text, * FROM hh_two ORDER BY note",
    "SELECT tableoid::regclass::text, * FROM hh_mix ORDER BY id",
    "SELECT tableoid::regclass::text, note FROM hh_num ORDER BY note",
    "SELECT tableoid::regclass::text, u, d, ts FROM hh_misc ORDER BY u NULLS FIRST",
    ("INSERT INTO hh_arr VALUES (ARRAY[1, 2], '[1,5)', 'a'), ('{}', 'empty', 'b'), (ARRAY[NULL, 7], '(,3]', 'c'),"
     " (ARRAY[3, 4], '[2,)', 'd'), (NULL, '[0,10)', 'e'), (ARRAY[5], NULL, 'f'), (ARRAY[-1, -2, -3], '(,)', 'g')"),
    "SELECT tableoid::regclass::text, note FROM hh_arr ORDER BY note",
    "INSERT INTO hh_points VALUES (ARRAY['(1,2)'::point])",
    ("INSERT INTO hh_json VALUES ('{}', 'a'), ('[]', 'b'), ('1', 'c'), ('\"x\"', 'd'), ('{\"k\": [1, {\"n\": null}]}', 'e'),"
     " ('[true, false, 2.5]', 'f'), ('null', 'g'), (NULL, 'h')"),
    "SELECT tableoid::regclass::text, note FROM hh_json ORDER BY note",
    ("INSERT INTO hh_types VALUES (-5, 1.5, true, 'abc', '2024-01-01 10:00+02', '10:00+02', '1 year 2 mons',"
     " '\\x00', '10.1.2.3/8', '08:00:2b:01:02:03', '00:00', 0, 'a', 'pg_class', 'one'),"
     " (0, '-0', false, 'abc  ', 'infinity', '00:00:00-11', '-3 days 4 hours', '\\xdeadbeef', '::ffff:1.2.3.4',"
     " 'ff:ff:ff:ff:ff:ff', '12:00:00.000001', 4294967295, 'Z', '', 'two'),"
     " (32767, 'NaN', NULL, '', '1970-01-01 00:00+00', '23:59:59.99+14', '0.5 sec', '', '192.168.0.1',"
     " '00:00:00:00:00:00', '24:00', 12345, 'x', 'Ünï', 'three'),"
     " (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'nulls'),"
     " (1, 2, true, 'x', '2000-01-01', '00:00+00', '1 day', '\\x01', '::1', '01:02:03:04:05:06', '01:02', 7, 'q',"
     " 'n', 'five')"),
    "SELECT tableoid::regclass::text, note FROM hh_types ORDER BY note",
    # ---- a partition's own rows, pruning by the key, the constraint function
    "SELECT id FROM hh_int_3_1 ORDER BY id",
    "SELECT tableoid::regclass::text, * FROM hh_int WHERE id = 7",
    "SELECT tableoid::regclass::text, * FROM hh_int WHERE id = -13",
    "SELECT tableoid::regclass::text, * FROM hh_big WHERE id = 5000000000",
    "SELECT tableoid::regclass::text, * FROM hh_txt WHERE k = 'héllo wörld ✓'",
    "SELECT tableoid::regclass::text, * FROM hh_two WHERE a = 1 AND b = 'x'",
    "SELECT tableoid::regclass::text, * FROM hh_mix WHERE id = 14",
    "SELECT tableoid::regclass::text, note FROM hh_num WHERE n = 1.5",
    "SELECT tableoid::regclass::text, note FROM hh_num WHERE n IS NULL",
    "SELECT tableoid::regclass::text, * FROM hh_two WHERE a IS NULL ORDER BY note",
    "SELECT tableoid::regclass::text, * FROM hh_two WHERE b IS NULL AND a = 1",
    "SELECT tableoid::regclass::text, * FROM hh_two WHERE a IS NULL AND b IS NULL",
    "SELECT tableoid::regclass::text, * FROM hh_two WHERE a IS NOT NULL AND b IS NOT NULL ORDER BY note",
    "SELECT tableoid::regclass::text, * FROM hh_two WHERE NOT a IS NULL ORDER BY note",
    "SELECT count(*) FROM hh_int WHERE id IS NOT NULL",
    # IS NULL on an outer join's nullable side keeps every partition (NULL-extended rows pass it)
    "INSERT INTO hh_lst VALUES ('a'), (NULL), ('z')",
    "SELECT v.x, l.k FROM (VALUES ('a'), ('q')) v(x) LEFT JOIN hh_lst l ON l.k = v.x WHERE l.k IS NULL ORDER BY 1",
    "SELECT v.x, l.k FROM hh_lst l RIGHT JOIN (VALUES ('a'), ('q')) v(x) ON l.k = v.x WHERE l.k IS NULL ORDER BY 1",
    "SELECT tableoid::regclass::text, k FROM hh_lst WHERE k IS NULL",
    ("SELECT n.note, t.note FROM hh_num n LEFT JOIN hh_two t ON t.a = 1 AND n.note = 'zero' WHERE t.a IS NULL"
     " ORDER BY 1, 2"),
    ("SELECT n.note, t.note FROM hh_two t RIGHT JOIN hh_num n ON t.a = 1 AND n.note = 'zero' WHERE t.a IS NULL"
     " ORDER BY 1, 2"),
    ("SELECT n.note, t.note FROM hh_num n LEFT JOIN hh_two t ON t.b = n.note WHERE t.a IS NOT NULL"
     " ORDER BY 1, 2"),
    "SELECT count(*) FROM hh_sub WHERE d IS NOT NULL",
    ("SELECT tableoid::regclass::text, * FROM hh_int WHERE id IN (1, 2, NULL) OR id = ANY(ARRAY[3, 4])"
     " ORDER BY id"),
    "SELECT * FROM hh_int WHERE id = 3000000000",
    "SELECT * FROM hh_int WHERE id = 5.5",
    "SELECT tableoid::regclass::text, * FROM hh_int WHERE id = 5.0",
    ("SELECT id, satisfies_hash_partition('hh_int'::regclass, 3, 0, id), satisfies_hash_partition('hh_int'::regclass,"
    " 3, 1, id), satisfies_hash_partition('hh_int'::regclass, 3, 2, id) FROM hh_int ORDER BY id"),
    "SELECT note, satisfies_hash_partition('hh_two'::regclass, 4, 2, a, b) FROM hh_two ORDER BY note",
    ("SELECT satisfies_hash_partition('hh_txt'::regclass, 2, 1, 'a'::text), satisfies_hash_partition(NULL, 2, 1, 1),"
    " satisfies_hash_partition('hh_int'::regclass, NULL, 0, 1)"),
    "SELECT satisfies_hash_partition('hh_int'::regclass, 0, 0, 1)",
    "SELECT satisfies_hash_partition('hh_int'::regclass, 3, 3, 1)",
    "SELECT satisfies_hash_partition('hh_int'::regclass, 3, 0, 1::bigint)",
    "SELECT satisfies_hash_partition('hh_int'::regclass, 3, 0, 1, 2)",
    "SELECT satisfies_hash_partition('hh_list'::regclass, 3, 0, 1)",
    # ---- writes: a row a partition does not take, UPDATE moving rows between partitions
    "INSERT INTO hh_int_3_0 VALUES (1, 'wrong partition')",
    "UPDATE hh_int SET id = id + 100 WHERE id BETWEEN -3 AND 3",
    "SELECT tableoid::regclass::text, * FROM hh_int WHERE id > 90 OR id BETWEEN -3 AND 3 ORDER BY id",
    "UPDATE hh_txt SET k = k || '!' WHERE note IN ('a', 'b', 'empty')",
    "SELECT tableoid::regclass::text, * FROM hh_txt ORDER BY k",
    "UPDATE hh_two SET a = 5 WHERE a IS NULL",
    "SELECT tableoid::regclass::text, * FROM hh_two ORDER BY note",
    "DELETE FROM hh_mix WHERE id = 14",
    "SELECT tableoid::regclass::text, count(*) FROM hh_mix GROUP BY 1 ORDER BY 1",
    # parameters prune when the statement runs
    "PREPARE hh_q(int) AS SELECT tableoid::regclass::text, * FROM hh_int WHERE id = $1",
    "EXECUTE hh_q(7)",
    "EXECUTE hh_q(-13)",
    "DEALLOCATE hh_q",
    # expression keys, hash under range, ATTACH checking the rows against the remainder
    "INSERT INTO hh_expr VALUES ('ABC', 'upper'), ('abc', 'lower'), ('Straße', 'sharp s'), ('', 'empty')",
    "SELECT tableoid::regclass::text, * FROM hh_expr ORDER BY note",
    "INSERT INTO hh_sub SELECT g % 20, g * 3000000000, 'n' || g FROM generate_series(1, 30) g",
    "SELECT tableoid::regclass::text, * FROM hh_sub ORDER BY id",
    "ALTER TABLE hh_mix DETACH PARTITION hh_mix_8_3",
    "ALTER TABLE hh_mix DETACH PARTITION hh_mix_8_7",
    "ALTER TABLE hh_mix ATTACH PARTITION hh_mix_8_7 FOR VALUES WITH (modulus 8, remainder 3)",
    "ALTER TABLE hh_mix ATTACH PARTITION hh_mix_8_7 FOR VALUES WITH (modulus 8, remainder 7)",
    "ALTER TABLE hh_mix ATTACH PARTITION hh_mix_8_3 FOR VALUES WITH (modulus 8, remainder 3)",
    "SELECT tableoid::regclass::text, count(*) FROM hh_mix GROUP BY 1 ORDER BY 1",
]

CLEANUP = ["DROP TABLE IF EXISTS hh_int, hh_big, hh_txt, hh_two, hh_mix, hh_num, hh_misc, hh_list, hh_expr, hh_sub, hh_arr, hh_points, hh_json, hh_types, hh_lst, hh_lst2",
           "DROP TYPE IF EXISTS hh_pair"]


def test_hash_functions_and_partitions_as_postgres(systems, assert_steps_agree):
    assert_steps_agree(*systems, STEPS)


def test_copy_into_a_hash_parent_as_postgres(postgres_dsn, helios_wire_dsn):
    """COPY FROM STDIN into the parent routes each row to PostgreSQL's partition (through a real
    ``helios serve`` and psycopg on both sides)."""
    import psycopg

    rows = [(i, f"key {i}" if i % 5 else None, i * 1000003 - 7) for i in range(-15, 25)]
    seen = []
    for dsn in (postgres_dsn, helios_wire_dsn):
        with psycopg.connect(dsn, autocommit=True) as c:
            c.execute("DROP TABLE IF EXISTS hh_copy")
            for sql in _hash_table("hh_copy", "id int, k text, big bigint", "k, big", [(4, 0), (4, 2), (8, 1), (8, 5),
                                                                                        (8, 3), (8, 7)]):
                c.execute(sql)
            with c.cursor().copy("COPY hh_copy (id, k, big) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            seen.append(c.execute("SELECT tableoid::regclass::text, id FROM hh_copy ORDER BY id").fetchall())
            c.execute("DROP TABLE hh_copy")
    assert seen[0] == seen[1]
    assert len({p for p, _ in seen[0]}) == 6


_PRUNED = ["SELECT * FROM hh_int WHERE id = 3", "SELECT * FROM hh_int WHERE id IN (1, 2)",
           "SELECT * FROM hh_int WHERE id IN (4, 5, 6, 7)", "SELECT * FROM hh_big WHERE id = 5000000000",
           "SELECT * FROM hh_txt WHERE k = 'héllo wörld ✓'", "SELECT * FROM hh_two WHERE a = 1 AND b IN ('x', 'y')",
           "SELECT * FROM hh_two WHERE a = 1", "SELECT * FROM hh_mix WHERE id IN (2, 3)",
           "SELECT * FROM hh_num WHERE n = 123.456", "SELECT * FROM hh_int WHERE id IS NULL",
           "SELECT * FROM hh_two WHERE a IS NULL AND b = 'x'", "SELECT * FROM hh_two WHERE a IS NULL AND b IS NULL",
           "SELECT * FROM hh_two WHERE a IS NULL", "SELECT * FROM hh_sub WHERE d IS NULL",
           "SELECT * FROM hh_sub WHERE d = 3 AND id IS NULL", "SELECT * FROM hh_lst WHERE k IS NULL",
           "SELECT * FROM hh_lst WHERE k = 'a'", "SELECT * FROM hh_lst2 WHERE k IS NULL",
           "SELECT * FROM hh_int WHERE id IS NOT NULL", "SELECT * FROM hh_lst WHERE k IS NOT NULL",
           "SELECT * FROM hh_sub WHERE d IS NOT NULL"]


def _scanned(outcome) -> set[str]:
    return {m.group(1) for row in outcome.rows for m in re.finditer(r"Scan on (\w+)", row[0])}


def test_equality_on_the_key_reads_postgres_partitions(systems):
    """WHERE key = value (or IN) prunes to the partitions PostgreSQL's EXPLAIN keeps."""
    pg, hx = systems
    for sql in _PRUNED:
        want, got = _scanned(pg.run("EXPLAIN (COSTS OFF) " + sql)), _scanned(hx.run("EXPLAIN (COSTS OFF) " + sql))
        assert got == want, (sql, want, got)


CITEXT_STEPS = [
    "CREATE EXTENSION IF NOT EXISTS citext",
    *_hash_table("hh_ci", "e citext, note text", "e", [(3, 0), (3, 1), (3, 2)]),
    ("INSERT INTO hh_ci VALUES ('Alice@Example.com', 'a'), ('BOB@example.com', 'b'), ('carol', 'c'), ('DAVE', 'd'),"
     " ('', 'e'), (NULL, 'f')"),
    "SELECT tableoid::regclass::text, note FROM hh_ci ORDER BY note",
    "SELECT tableoid::regclass::text, note FROM hh_ci WHERE e = 'ALICE@example.COM'",
    "DROP TABLE hh_ci",
    "DROP EXTENSION citext",
]


def test_citext_keys_hash_their_lower_case(systems, assert_steps_agree):
    """A citext key hashes as the citext extension's hash: its lower-cased text."""
    assert_steps_agree(*systems, CITEXT_STEPS)
