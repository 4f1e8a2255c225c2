"""Schema features applications bring from PostgreSQL, statement by statement against PostgreSQL 15.

Each script runs in order on a fresh schema of both systems (psycopg, autocommit); every
statement must end the same way on both: the same command tag and rows, or the same
SQLSTATE and message.
"""

from __future__ import annotations

import psycopg
import pytest

MATVIEWS = [
    "CREATE TABLE src (id int, grp text, amount numeric(10,2))",
    "INSERT INTO src VALUES (1, 'a', 10.25), (2, 'a', 5.5), (3, 'b', 7)",
    "CREATE MATERIALIZED VIEW totals AS SELECT grp, sum(amount) AS total, count(*) AS n FROM src GROUP BY grp",
    "SELECT * FROM totals ORDER BY grp",
    "CREATE MATERIALIZED VIEW IF NOT EXISTS totals AS SELECT 1",
    "CREATE MATERIALIZED VIEW totals AS SELECT 1",
    "CREATE MATERIALIZED VIEW later (g, t) AS SELECT grp, amount FROM src WITH NO DATA",
    "SELECT * FROM later",
    "SELECT relkind, relispopulated FROM pg_class WHERE relname = 'later'",
    "SELECT matviewname, hasindexes, ispopulated FROM pg_matviews WHERE schemaname = current_schema() ORDER BY 1",
    "REFRESH MATERIALIZED VIEW CONCURRENTLY later",
    "REFRESH MATERIALIZED VIEW later",
    "SELECT * FROM later ORDER BY g, t",
    "INSERT INTO src VALUES (4, 'c', 1)",
    "SELECT * FROM totals ORDER BY grp",
    "REFRESH MATERIALIZED VIEW CONCURRENTLY totals",
    "CREATE UNIQUE INDEX totals_grp ON totals (grp)",
    "REFRESH MATERIALIZED VIEW CONCURRENTLY totals",
    "SELECT * FROM totals ORDER BY grp",
    "SELECT hasindexes FROM pg_matviews WHERE matviewname = 'totals'",
    "REFRESH MATERIALIZED VIEW CONCURRENTLY totals WITH NO DATA",
    "REFRESH MATERIALIZED VIEW totals WITH NO DATA",
    "SELECT * FROM totals",
    "REFRESH MATERIALIZED VIEW totals WITH DATA",
    "SELECT count(*) FROM totals",
    "INSERT INTO totals VALUES ('z', 1, 1)",
    "UPDATE totals SET n = 0",
    "DELETE FROM totals",
    "TRUNCATE totals",
    "DROP TABLE totals",
    "DROP VIEW totals",
    "REFRESH MATERIALIZED VIEW src",
    "REFRESH MATERIALIZED VIEW nosuch",
    "CREATE MATERIALIZED VIEW too_many (a, b, c) AS SELECT 1, 2",
    "DROP TABLE src",
    "DROP MATERIALIZED VIEW later",
    "DROP MATERIALIZED VIEW IF EXISTS later",
    "DROP MATERIALIZED VIEW later",
    "DROP TABLE src CASCADE",
    "SELECT count(*) FROM pg_matviews WHERE schemaname = current_schema()",
]

GENERATED = [
    ("CREATE TABLE items (id int PRIMARY KEY, price int, qty int, total int GENERATED ALWAYS AS (price * qty) "
     "STORED, doc jsonb, title text GENERATED ALWAYS AS (doc ->> 'title') STORED, "
     "upper_title text GENERATED ALWAYS AS (upper(doc ->> 'title') || '!') STORED)"),
    "INSERT INTO items (id, price, qty, doc) VALUES (1, 3, 4, '{\"title\": \"pen\"}') RETURNING *",
    "INSERT INTO items VALUES (2, 1, 1, 5)",
    "INSERT INTO items (id, price, qty, total) VALUES (3, 2, 2, DEFAULT) RETURNING total",
    "INSERT INTO items (id, total) VALUES (4, 7)",
    "UPDATE items SET total = 1",
    "UPDATE items SET total = DEFAULT RETURNING id, total",
    "UPDATE items SET qty = 10 WHERE id = 1 RETURNING total, title, upper_title",
    "UPDATE items SET doc = '{\"title\": \"ink\"}' WHERE id = 3 RETURNING title",
    "INSERT INTO items (id, price, qty) VALUES (3, 5, 5) ON CONFLICT (id) DO UPDATE SET price = 9 RETURNING total",
    "INSERT INTO items (id, price, qty) VALUES (3, 5, 5) ON CONFLICT (id) DO UPDATE SET total = 9",
    "SELECT * FROM items ORDER BY id",
    "SELECT attname, attgenerated FROM pg_attribute WHERE attrelid = 'items'::regclass AND attnum > 0 ORDER BY attnum",
    ("SELECT column_name, is_generated, generation_expression IS NOT NULL, column_default "
     "FROM information_schema.columns WHERE table_name = 'items' AND table_schema = current_schema() "
     "ORDER BY ordinal_position"),
    "CREATE UNIQUE INDEX items_title ON items (title)",
    "INSERT INTO items (id, price, qty, doc) VALUES (5, 1, 1, '{\"title\": \"pen\"}')",
    "CREATE TABLE bad1 (a int, b int GENERATED ALWAYS AS (b * 2) STORED)",
    "CREATE TABLE bad2 (a int, b int GENERATED ALWAYS AS (a * 2) STORED DEFAULT 5)",
    "CREATE TABLE bad3 (a int, b float8 GENERATED ALWAYS AS (random()) STORED)",
    "CREATE TABLE bad4 (a int, b int GENERATED ALWAYS AS (a) STORED, c int GENERATED ALWAYS AS (b) STORED)",
    "CREATE TABLE bad5 (a int GENERATED ALWAYS AS (nosuch + 1) STORED)",
    "CREATE TABLE bad6 (a int, b int GENERATED ALWAYS AS ((SELECT 1)) STORED)",
    "CREATE TABLE divs (a int, b int GENERATED ALWAYS AS (a / 0) STORED)",
    "INSERT INTO divs VALUES (1)",
    "ALTER TABLE items DROP COLUMN price",
    "ALTER TABLE items DROP COLUMN price CASCADE",
    "SELECT * FROM items ORDER BY id",
]

NOTIFY = [
    "LISTEN jobs",
    'LISTEN "Mixed Case"',
    "NOTIFY jobs",
    "NOTIFY jobs, 'payload'",
    "SELECT pg_notify('jobs', 'x')",
    "SELECT pg_notify('jobs', NULL)",
    "SELECT pg_notify('', 'x')",
    "SELECT pg_notify(repeat('c', 64), 'x')",
    "SELECT pg_notify('c', repeat('x', 8000))",
    "SELECT pg_notify('c', repeat('x', 7999))",
    "UNLISTEN jobs",
    "UNLISTEN nosuch",
    "UNLISTEN *",
    "NOTIFY jobs, 'a', 'b'",
]

SQL_FUNCTIONS = [
    "CREATE TABLE acct (id int PRIMARY KEY, owner text, balance int)",
    "INSERT INTO acct VALUES (1, 'ann', 10), (2, 'bob', 20), (3, 'ann', 5)",
    ("CREATE FUNCTION add_tax(amount int, rate numeric DEFAULT 0.5) RETURNS numeric LANGUAGE sql IMMUTABLE "
    "AS 'SELECT amount * (1 + rate)'"),
    "SELECT id, add_tax(balance), add_tax(balance, 0.1) FROM acct ORDER BY id",
    ("CREATE FUNCTION total_of(who text) RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT sum(balance) FROM acct "
    "WHERE owner = who $$"),
    "SELECT owner, total_of(owner) FROM acct GROUP BY owner ORDER BY owner",
    ("CREATE FUNCTION richer_than(int) RETURNS SETOF acct LANGUAGE sql AS 'SELECT * FROM acct WHERE balance > $1 "
    "ORDER BY id'"),
    "SELECT * FROM richer_than(6)",
    "SELECT id FROM richer_than(6) AS r WHERE r.owner = 'bob'",
    ("CREATE FUNCTION squares(n int) RETURNS TABLE (i int, sq int) LANGUAGE sql AS $$ SELECT g, g * g FROM "
    "generate_series(1, n) AS g $$"),
    "SELECT * FROM squares(3)",
    "SELECT s.sq FROM squares(4) AS s WHERE s.i > 2",
    "CREATE FUNCTION mul(int, int) RETURNS int LANGUAGE sql RETURN $1 * $2",
    "SELECT mul(6, 7), mul(NULL, 1)",
    "CREATE FUNCTION strict_mul(a int, b int) RETURNS int LANGUAGE sql STRICT AS 'SELECT coalesce(a, 1) * b'",
    "SELECT strict_mul(NULL, 3), strict_mul(2, 3)",
    "CREATE FUNCTION mul(int, int) RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "CREATE OR REPLACE FUNCTION mul(int, int) RETURNS bigint LANGUAGE sql AS 'SELECT 1'",
    "CREATE OR REPLACE FUNCTION mul(int, int) RETURNS int LANGUAGE sql AS 'SELECT $1 + $2'",
    "SELECT mul(6, 7)",
    "CREATE FUNCTION mul(text, text) RETURNS text LANGUAGE sql AS 'SELECT $1 || $2'",
    "SELECT mul('a', 'b'), mul(2, 3)",
    "DROP FUNCTION mul",
    "DROP FUNCTION mul(text, text)",
    "SELECT mul('a', 'b')",
    ("CREATE PROCEDURE deposit(who int, amount int) LANGUAGE sql AS $$ UPDATE acct SET balance = balance + amount "
    "WHERE id = who; INSERT INTO acct VALUES (100 + who, 'log', amount) $$"),
    "CALL deposit(1, 5)",
    "SELECT * FROM acct ORDER BY id",
    "CALL mul(1, 2)",
    "SELECT deposit(1, 5)",
    "CALL nosuch(1)",
    "SELECT nosuch_fn(1)",
    "CREATE FUNCTION bad() RETURNS int LANGUAGE sql AS 'DELETE FROM acct WHERE false'",
    "CREATE FUNCTION bad2() RETURNS int LANGUAGE nosuchlang AS 'x'",
    "DROP PROCEDURE deposit(int, int)",
    "DROP FUNCTION IF EXISTS deposit(int, int)",
    "DROP FUNCTION squares(int)",
    ("SELECT proname, prokind, provolatile, proretset, pronargs, pronargdefaults FROM pg_proc "
    "WHERE pronamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) ORDER BY proname"),
    # planner hints: kept in pg_proc and printed by pg_get_functiondef, with PostgreSQL's checks
    ("CREATE FUNCTION hinted(int) RETURNS SETOF int LANGUAGE sql IMMUTABLE COST 5 ROWS 7 PARALLEL SAFE LEAKPROOF "
     "STRICT AS 'SELECT $1'"),
    "SELECT pg_get_functiondef('hinted'::regproc)",
    "CREATE FUNCTION hinted2(int) RETURNS int LANGUAGE sql PARALLEL RESTRICTED AS 'SELECT $1'",
    "CREATE FUNCTION hinted3(int) RETURNS int LANGUAGE sql ROWS 5 AS 'SELECT $1'",
    "CREATE FUNCTION hinted3(int) RETURNS int LANGUAGE sql COST 0 AS 'SELECT $1'",
    "CREATE FUNCTION hinted3(int) RETURNS int LANGUAGE sql PARALLEL maybe AS 'SELECT $1'",
    "ALTER FUNCTION hinted2(int) COST 42 PARALLEL SAFE",
    "ALTER FUNCTION hinted2(int) ROWS 3",
    "SELECT proname, procost, prorows, proparallel, proleakproof FROM pg_proc WHERE proname LIKE 'hinted%' ORDER BY 1",
    "DROP FUNCTION hinted(int), hinted2(int)",
]

PLPGSQL = [
    "CREATE TABLE items (id int PRIMARY KEY, name text, qty int)",
    "INSERT INTO items VALUES (1, 'pen', 3), (2, 'ink', 0), (3, 'pad', 7)",
    """CREATE FUNCTION fact(n int) RETURNS bigint LANGUAGE plpgsql AS $$
    DECLARE r bigint := 1;
    BEGIN
      FOR i IN 1..n LOOP r := r * i; END LOOP;
      RETURN r;
    END $$""",
    "SELECT fact(5), fact(0), fact(NULL)",
    """CREATE FUNCTION classify(x int) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
    BEGIN
      IF x IS NULL THEN RETURN 'none';
      ELSIF x < 0 THEN RETURN 'neg';
      ELSIF x = 0 THEN RETURN 'zero';
      ELSE RETURN 'pos';
      END IF;
    END $$""",
    "SELECT qty, classify(qty - 1) FROM items ORDER BY id",
    """CREATE FUNCTION stock() RETURNS TABLE (item text, state text) LANGUAGE plpgsql AS $$
    DECLARE r record;
    BEGIN
      FOR r IN SELECT * FROM items ORDER BY id LOOP
        item := r.name;
        state := CASE WHEN r.qty > 0 THEN 'in' ELSE 'out' END;
        RETURN NEXT;
      END LOOP;
      RETURN QUERY SELECT 'total'::text, sum(qty)::text FROM items;
    END $$""",
    "SELECT * FROM stock()",
    """CREATE FUNCTION safe_div(a int, b int) RETURNS int LANGUAGE plpgsql AS $$
    BEGIN
      RETURN a / b;
    EXCEPTION WHEN division_by_zero THEN
      RETURN -1;
    END $$""",
    "SELECT safe_div(7, 2), safe_div(1, 0)",
    """CREATE FUNCTION take(want int, item int) RETURNS int LANGUAGE plpgsql AS $$
    DECLARE have int;
    BEGIN
      SELECT qty INTO STRICT have FROM items WHERE id = item;
      IF have < want THEN
        RAISE EXCEPTION 'only % left of item %', have, item USING ERRCODE = 'check_violation', HINT = 'order less';
      END IF;
      UPDATE items SET qty = qty - want WHERE id = item;
      RETURN have - want;
    END $$""",
    "SELECT take(2, 1)",
    "SELECT take(5, 1)",
    "SELECT take(1, 99)",
    "SELECT * FROM items ORDER BY id",
    """DO $$
    DECLARE n int := 0; total int := 0;
    BEGIN
      WHILE n < 10 LOOP
        n := n + 1;
        CONTINUE WHEN n % 2 = 0;
        EXIT WHEN n > 7;
        total := total + n;
      END LOOP;
      INSERT INTO items VALUES (10, 'sum', total);
    END $$""",
    "SELECT qty FROM items WHERE id = 10",
    """DO $$
    DECLARE v text; c int;
    BEGIN
      EXECUTE 'SELECT name FROM items WHERE id = $1' INTO v USING 3;
      UPDATE items SET name = v || '!' WHERE id = 3;
      GET DIAGNOSTICS c = ROW_COUNT;
      PERFORM 1 FROM items WHERE id = -1;
      IF NOT FOUND AND c = 1 THEN INSERT INTO items VALUES (11, v, c); END IF;
    END $$""",
    "SELECT * FROM items WHERE id IN (3, 11) ORDER BY id",
    "DO $$ BEGIN RAISE division_by_zero; END $$",
    "DO $$ BEGIN RAISE SQLSTATE '22P02' USING MESSAGE = 'custom'; END $$",
    "DO $$ BEGIN RAISE 'plain %', 1; END $$",
    """DO $$ BEGIN
      BEGIN
        INSERT INTO items VALUES (1, 'dup', 0);
      EXCEPTION WHEN unique_violation THEN
        INSERT INTO items VALUES (12, 'caught', 0);
      END;
    END $$""",
    "SELECT id, name FROM items WHERE id IN (1, 12) ORDER BY id",
    "DO $$ BEGIN x := 1; END $$",
    "CREATE PROCEDURE restock(amount int) LANGUAGE plpgsql AS $$ BEGIN UPDATE items SET qty = qty + amount; END $$",
    "CALL restock(100)",
    "SELECT sum(qty) FROM items",
    "DO LANGUAGE sql 'SELECT 1'",
    # array element assignment: x[i] := v grows the array (NULLs between), nested subscripts, typmods
    ("CREATE FUNCTION fill_squares(n int) RETURNS int[] LANGUAGE plpgsql AS $$ DECLARE a int[]; "
     "b int[] := '{1,2}'; m int[][] := '{{1,2},{3,4}}'; BEGIN FOR i IN 1..n LOOP a[i] := i * i; END LOOP; "
     "b[5] := 9; m[2][1] := 30; RETURN a || b || m[2][1]; END $$"),
    "SELECT fill_squares(3), fill_squares(0)",
    ("CREATE FUNCTION elem_typmod(numeric) RETURNS numeric LANGUAGE plpgsql AS $$ DECLARE x numeric(4,2)[1]; "
     "BEGIN x[1] := $1; RETURN x[1]; END $$"),
    "SELECT elem_typmod(1.23456)",
    "SELECT elem_typmod(121.00)",
    "CREATE FUNCTION null_subscript() RETURNS int[] LANGUAGE plpgsql AS $$ DECLARE a int[]; BEGIN a[null] := 1; RETURN a; END $$",
    "SELECT null_subscript()",
]

TRIGGERS = [
    "CREATE TABLE docs (id int PRIMARY KEY, body text, updated_at timestamptz, version int DEFAULT 0)",
    "CREATE TABLE audit (n serial, op text, tbl text, row_id int, data jsonb, old_data jsonb)",
    """CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      NEW.updated_at := '2024-01-01 00:00:00+00';
      NEW.version := coalesce(OLD.version, 0) + 1;
      RETURN NEW;
    END $$""",
    "CREATE TRIGGER docs_touch BEFORE INSERT OR UPDATE ON docs FOR EACH ROW EXECUTE FUNCTION touch()",
    """CREATE FUNCTION log_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        INSERT INTO audit (op, tbl, row_id, old_data) VALUES (TG_OP, TG_TABLE_NAME, OLD.id, to_jsonb(OLD));
        RETURN OLD;
      END IF;
      INSERT INTO audit (op, tbl, row_id, data, old_data)
        VALUES (TG_OP, TG_TABLE_NAME, NEW.id, to_jsonb(NEW), CASE WHEN TG_OP = 'UPDATE' THEN to_jsonb(OLD) END);
      RETURN NEW;
    END $$""",
    "CREATE TRIGGER docs_audit AFTER INSERT OR UPDATE OR DELETE ON docs FOR EACH ROW EXECUTE FUNCTION log_change()",
    "INSERT INTO docs (id, body) VALUES (1, 'a'), (2, 'b')",
    "UPDATE docs SET body = 'a2' WHERE id = 1",
    "DELETE FROM docs WHERE id = 2",
    "SELECT * FROM docs ORDER BY id",
    "SELECT op, tbl, row_id, data, old_data FROM audit ORDER BY n",
    """CREATE FUNCTION skip_b() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.body LIKE 'b%' THEN RETURN NULL; END IF;
      RETURN NEW;
    END $$""",
    "CREATE TRIGGER docs_skip BEFORE INSERT ON docs FOR EACH ROW WHEN (NEW.id > 10) EXECUTE FUNCTION skip_b()",
    "INSERT INTO docs (id, body) VALUES (11, 'bad'), (12, 'good'), (3, 'bee')",
    "SELECT id, body, version FROM docs ORDER BY id",
    "CREATE TRIGGER docs_skip BEFORE INSERT ON docs FOR EACH ROW EXECUTE FUNCTION skip_b()",
    "CREATE TRIGGER bad BEFORE INSERT ON docs FOR EACH ROW EXECUTE FUNCTION nosuch()",
    "CREATE FUNCTION not_trigger() RETURNS int LANGUAGE sql AS 'SELECT 1'",
    "CREATE TRIGGER bad BEFORE INSERT ON docs FOR EACH ROW EXECUTE FUNCTION not_trigger()",
    "CREATE TRIGGER bad BEFORE INSERT ON nosuch FOR EACH ROW EXECUTE FUNCTION touch()",
    "DROP FUNCTION touch()",
    "DROP TRIGGER docs_skip ON docs",
    "DROP TRIGGER docs_skip ON docs",
    "DROP TRIGGER IF EXISTS docs_skip ON docs",
    "DROP TRIGGER docs_touch ON docs",
    "UPDATE docs SET body = body || '!' WHERE id = 1",
    "SELECT id, body, version FROM docs ORDER BY id",
    "SELECT count(*) FROM audit",
    "ALTER TABLE docs DISABLE TRIGGER docs_audit",
    "UPDATE docs SET body = 'quiet' WHERE id = 1",
    "SELECT count(*) FROM audit",
    "SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'docs'::regclass ORDER BY tgname",
    "ALTER TABLE docs ENABLE TRIGGER ALL",
    "ALTER TABLE docs DISABLE TRIGGER nosuch",
    "DELETE FROM docs WHERE id = 1",
    "SELECT count(*) FROM audit",
    "CREATE TABLE fired (seq serial, name text)",
    ("CREATE FUNCTION note_me() RETURNS trigger LANGUAGE plpgsql AS "
     "$$ BEGIN INSERT INTO fired (name) VALUES (tg_name); RETURN new; END $$"),
    "CREATE TABLE ordered (id int)",
    "CREATE TRIGGER zeta BEFORE INSERT ON ordered FOR EACH ROW EXECUTE FUNCTION note_me()",
    "CREATE TRIGGER alpha BEFORE INSERT ON ordered FOR EACH ROW EXECUTE FUNCTION note_me()",
    "CREATE TRIGGER Mid BEFORE INSERT ON ordered FOR EACH ROW EXECUTE FUNCTION note_me()",
    "CREATE TRIGGER \"Upper\" BEFORE INSERT ON ordered FOR EACH ROW EXECUTE FUNCTION note_me()",
    "INSERT INTO ordered VALUES (1)",
    "SELECT name FROM fired ORDER BY seq",
    ("CREATE FUNCTION note_truncate() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
     "INSERT INTO fired (name) VALUES (tg_name || ' ' || tg_when || ' ' || tg_op || ' ' || tg_level || ' ' "
     "|| tg_table_name || ' ' || (SELECT count(*) FROM ordered)); RETURN NULL; END $$"),
    "CREATE TRIGGER tr_before BEFORE TRUNCATE ON ordered EXECUTE FUNCTION note_truncate()",
    "CREATE TRIGGER tr_after AFTER TRUNCATE OR INSERT ON ordered FOR EACH STATEMENT EXECUTE FUNCTION note_truncate()",
    "CREATE TRIGGER tr_row AFTER TRUNCATE ON ordered FOR EACH ROW EXECUTE FUNCTION note_truncate()",
    "SELECT tgname, tgtype FROM pg_trigger WHERE tgname LIKE 'tr_%' ORDER BY 1",
    "TRUNCATE ordered",
    "SELECT name FROM fired WHERE name LIKE 'tr_%' ORDER BY seq",
]

ROW_SECURITY = [
    "GRANT USAGE ON SCHEMA f_rls TO rls_a, rls_b",
    "CREATE TABLE acct (id int PRIMARY KEY, owner name, balance int, closed bool DEFAULT false)",
    "INSERT INTO acct VALUES (1, 'rls_a', 10), (2, 'rls_b', 20), (3, 'rls_a', 30, true)",
    "GRANT ALL ON acct TO rls_a, rls_b",
    "ALTER TABLE acct ENABLE ROW LEVEL SECURITY",
    "SET ROLE rls_a",
    "SELECT * FROM acct",
    "INSERT INTO acct VALUES (4, 'rls_a', 1)",
    "RESET ROLE",
    "CREATE POLICY mine ON acct USING (owner = current_user)",
    "CREATE POLICY mine ON acct USING (true)",
    "CREATE POLICY bad ON acct FOR SELECT WITH CHECK (true)",
    "CREATE POLICY bad ON acct FOR INSERT USING (true)",
    "CREATE POLICY bad ON acct USING (nosuch > 0)",
    "CREATE POLICY bad ON acct TO nosuchrole USING (true)",
    "CREATE POLICY open_only ON acct AS RESTRICTIVE FOR UPDATE USING (NOT closed)",
    "CREATE POLICY bad ON nosuch USING (true)",
    "SELECT policyname, permissive, roles, cmd, qual, with_check FROM pg_policies WHERE tablename = 'acct' ORDER BY 1",
    "SELECT polname, polcmd, polpermissive FROM pg_policy ORDER BY 1",
    "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = 'acct'",
    "SET ROLE rls_a",
    "SELECT id, balance FROM acct ORDER BY id",
    "SELECT count(*) FROM acct WHERE owner = 'rls_b'",
    "UPDATE acct SET balance = balance + 1 RETURNING id, balance",
    "UPDATE acct SET balance = 0 WHERE id = 2",
    "DELETE FROM acct WHERE id = 2",
    "INSERT INTO acct VALUES (5, 'rls_b', 5)",
    "INSERT INTO acct VALUES (5, 'rls_a', 5) RETURNING *",
    "UPDATE acct SET owner = 'rls_b' WHERE id = 1",
    "UPDATE acct SET closed = true WHERE id = 1",
    "INSERT INTO acct VALUES (2, 'rls_a', 0) ON CONFLICT (id) DO UPDATE SET balance = 0",
    "CREATE POLICY mine2 ON acct USING (true)",
    "ALTER TABLE acct DISABLE ROW LEVEL SECURITY",
    "DROP POLICY mine ON acct",
    "SET row_security = off",
    "SELECT * FROM acct",
    "RESET row_security",
    "RESET ROLE",
    "SELECT id, balance FROM acct ORDER BY id",
    "ALTER TABLE acct FORCE ROW LEVEL SECURITY",
    "SELECT id FROM acct ORDER BY id",
    "ALTER TABLE acct NO FORCE ROW LEVEL SECURITY",
    "ALTER POLICY mine ON acct RENAME TO open_only",
    "ALTER POLICY mine ON acct RENAME TO theirs",
    "ALTER POLICY theirs ON acct TO rls_b USING (owner <> current_user)",
    "SET ROLE rls_b",
    "SELECT id FROM acct ORDER BY id",
    "RESET ROLE",
    "SET ROLE rls_a",
    "SELECT id FROM acct ORDER BY id",
    "RESET ROLE",
    "DROP POLICY theirs ON acct",
    "DROP POLICY IF EXISTS theirs ON acct",
    "DROP POLICY theirs ON acct",
    "DROP TABLE acct",
    "SELECT count(*) FROM pg_policies WHERE schemaname = 'f_rls'",
]

EXTENSIONS = [
    "SELECT similarity('word', 'two words')",
    ("SELECT name, default_version FROM pg_available_extensions WHERE name IN ('pg_trgm', 'pgcrypto', 'uuid-ossp') "
    "ORDER BY 1"),
    "CREATE EXTENSION no_such_extension",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\"",
    "CREATE EXTENSION IF NOT EXISTS pgcrypto",
    ("SELECT similarity('word', 'two words'), word_similarity('word', 'two words'), "
    "strict_word_similarity('word', 'two words'), similarity('', 'x'), similarity(NULL, 'x')"),
    "SELECT show_trgm('Hello, World!'), show_trgm('a-b c')",
    "SELECT 'postgres' % 'postgis', 'cat' % 'dog', similarity('Helios DB', 'heliosdb')",
    "CREATE TABLE names (id int, n text)",
    "INSERT INTO names VALUES (1, 'Jonathan'), (2, 'Jonathon'), (3, 'Maria'), (4, 'Mario'), (5, NULL)",
    "SELECT id, similarity(n, 'Jonatan') FROM names ORDER BY 2 DESC NULLS LAST, 1",
    "SELECT id FROM names WHERE n % 'marie' ORDER BY id",
    "SET pg_trgm.similarity_threshold = 0.6",
    "SELECT id FROM names WHERE n % 'marie' ORDER BY id",
    "RESET pg_trgm.similarity_threshold",
    "SELECT word_similarity('Mari', n) FROM names ORDER BY id",
    "SELECT uuid_generate_v3(uuid_ns_dns(), 'example.com'), uuid_generate_v5(uuid_ns_url(), 'https://x.org')",
    "SELECT uuid_nil(), uuid_ns_oid(), uuid_ns_x500()",
    "SELECT length(uuid_generate_v1()::text), length(uuid_generate_v4()::text), length(uuid_generate_v1mc()::text)",
    "SELECT encode(digest('abc', 'sha256'), 'hex'), encode(digest('abc'::bytea, 'md5'), 'hex')",
    "SELECT encode(digest('', 'sha1'), 'hex'), encode(digest('x', 'sha512'), 'hex')",
    "SELECT encode(hmac('data', 'key', 'sha256'), 'hex'), encode(hmac('data'::bytea, 'key'::bytea, 'md5'), 'hex')",
    "SELECT digest('abc', 'sha3')",
    "SELECT crypt('secret', '$1$saltsalt$'), crypt('', '$1$ab$')",
    "SELECT crypt('secret', '$2a$06$abcdefghijklmnopqrstuu')",
    "SELECT crypt('pw', crypt('pw', gen_salt('bf'))) = crypt('pw', gen_salt('bf'))",
    "SELECT length(gen_salt('bf')), length(gen_salt('md5')), gen_salt('bf', 8) LIKE '$2a$08$%'",
    "SELECT gen_salt('nope')",
    "SELECT length(gen_random_bytes(16))",
    "SELECT extname, extversion FROM pg_extension WHERE extname IN ('pg_trgm', 'pgcrypto', 'uuid-ossp') ORDER BY 1",
    "DROP EXTENSION pgcrypto",
    "SELECT digest('abc', 'md5')",
    "DROP EXTENSION pgcrypto",
    "DROP EXTENSION IF EXISTS pgcrypto",
    "DROP EXTENSION pg_trgm",
    "DROP EXTENSION \"uuid-ossp\"",
    "SELECT installed_version FROM pg_available_extensions WHERE name = 'pg_trgm'",
]

# statements once answered with a success tag while doing nothing: now done, or refused as PostgreSQL refuses
MAINTENANCE_AND_DEFERRED = [
    "CREATE TABLE parent (id int PRIMARY KEY)",
    "CREATE TABLE child (id int, pid int REFERENCES parent DEFERRABLE INITIALLY DEFERRED)",
    "CREATE TABLE child2 (id int, pid int CONSTRAINT child2_fk REFERENCES parent DEFERRABLE)",
    ("SELECT conname, condeferrable, condeferred, pg_get_constraintdef(oid) FROM pg_constraint "
     "WHERE conrelid IN ('child'::regclass, 'child2'::regclass) ORDER BY 1"),
    ("SELECT constraint_name, is_deferrable, initially_deferred FROM information_schema.table_constraints "
     "WHERE table_name IN ('child', 'child2') AND constraint_type = 'FOREIGN KEY' ORDER BY 1"),
    "BEGIN", "INSERT INTO child VALUES (1, 5)", "INSERT INTO parent VALUES (5)", "COMMIT",
    "BEGIN", "INSERT INTO child VALUES (2, 6)", "COMMIT",
    "SELECT * FROM child ORDER BY id",
    "INSERT INTO child2 VALUES (1, 7)",
    "BEGIN", "SET CONSTRAINTS ALL DEFERRED", "INSERT INTO child2 VALUES (1, 7)", "SET CONSTRAINTS child2_fk IMMEDIATE",
    "ROLLBACK",
    "BEGIN", "SET CONSTRAINTS child2_fk DEFERRED", "INSERT INTO child2 VALUES (1, 7)", "INSERT INTO parent VALUES (7)",
    "COMMIT",
    "BEGIN", "DELETE FROM parent WHERE id = 5", "COMMIT",
    "BEGIN", "SET CONSTRAINTS ALL IMMEDIATE", "INSERT INTO child VALUES (3, 8)", "ROLLBACK",
    "BEGIN", "SET CONSTRAINTS parent_pkey DEFERRED", "ROLLBACK",
    "BEGIN", "SET CONSTRAINTS nosuch DEFERRED", "ROLLBACK",
    "SET CONSTRAINTS ALL DEFERRED",
    "SELECT * FROM parent ORDER BY id",
    "VACUUM nosuch",
    "VACUUM (nosuch_option) parent",
    "VACUUM parent (id)",
    "VACUUM ANALYZE parent (nope)",
    "BEGIN", "VACUUM parent", "ROLLBACK",
    "SELECT relname, reltuples FROM pg_class WHERE relname IN ('parent', 'child') ORDER BY 1",
    "VACUUM parent",
    "ANALYZE child",
    "SELECT relname, reltuples FROM pg_class WHERE relname IN ('parent', 'child') ORDER BY 1",
    "REINDEX TABLE nosuch",
    "REINDEX INDEX nosuch",
    "REINDEX TABLE parent",
    "REINDEX INDEX parent_pkey",
    "REINDEX SCHEMA nosuch",
    "BEGIN", "REINDEX SCHEMA public", "ROLLBACK",
    "CREATE TABLE tuned (a int) WITH (fillfactor = 70, autovacuum_enabled = false)",
    "ALTER TABLE tuned SET (vacuum_index_cleanup = off)",
    "ALTER TABLE tuned SET (fillfactor = 50)",
    "SELECT reloptions FROM pg_class WHERE relname = 'tuned'",
]

FOREIGN_KEY_MATCH = [
    "CREATE TABLE mf_p (a int, b int, PRIMARY KEY (a, b))",
    "INSERT INTO mf_p VALUES (1, 2)",
    "CREATE TABLE mf_c (x int, y int, CONSTRAINT mfk FOREIGN KEY (x, y) REFERENCES mf_p MATCH FULL ON DELETE SET NULL)",
    "INSERT INTO mf_c VALUES (1, 2), (NULL, NULL)",
    "INSERT INTO mf_c VALUES (1, NULL)",
    "INSERT INTO mf_c VALUES (NULL, 3)",
    "UPDATE mf_c SET y = NULL WHERE x = 1",
    "SELECT pg_get_constraintdef(oid), confmatchtype FROM pg_constraint WHERE conname = 'mfk'",
    "CREATE TABLE mf_s (x int, y int, CONSTRAINT mfs FOREIGN KEY (x, y) REFERENCES mf_p MATCH SIMPLE)",
    "INSERT INTO mf_s VALUES (1, NULL), (NULL, 3)",
    "SELECT pg_get_constraintdef(oid), confmatchtype FROM pg_constraint WHERE conname = 'mfs'",
    "DELETE FROM mf_p",
    "SELECT * FROM mf_c ORDER BY x NULLS LAST",
    "CREATE TABLE mf_t (x int, y int)",
    "INSERT INTO mf_t VALUES (1, NULL)",
    "ALTER TABLE mf_t ADD CONSTRAINT mft FOREIGN KEY (x, y) REFERENCES mf_p MATCH FULL",
    # key types: one btree family, or an implicit cast to the referenced type; else "cannot be implemented"
    "CREATE TABLE fkt_p (ptest1 int PRIMARY KEY, n numeric UNIQUE, t text UNIQUE, d date UNIQUE, v varchar(5) UNIQUE)",
    "CREATE TABLE fkt_c (ftest1 inet REFERENCES fkt_p)",
    "CREATE TABLE fkt_c (ftest1 numeric REFERENCES fkt_p)",
    ("CREATE TABLE fkt_c (ftest1 int8 REFERENCES fkt_p, a int REFERENCES fkt_p(n), b varchar REFERENCES fkt_p(t), "
     "c timestamp REFERENCES fkt_p(d), e text REFERENCES fkt_p(v))"),
    "CREATE TABLE fkt_c2 (a float8 REFERENCES fkt_p(n))",
    "CREATE TABLE fkt_c3 (x int, CONSTRAINT k FOREIGN KEY (x) REFERENCES fkt_p(nosuch))",
    "CREATE TABLE fkt_c3 (x int, CONSTRAINT k FOREIGN KEY (y) REFERENCES fkt_p)",
    "CREATE TABLE fkt_c4 (x text)",
    "ALTER TABLE fkt_c4 ADD FOREIGN KEY (x) REFERENCES fkt_p",
]

DEFERRABLE_UNIQUE = [
    "CREATE TABLE unique_tbl (i int UNIQUE DEFERRABLE, t text)",
    "INSERT INTO unique_tbl VALUES (0, 'one'), (1, 'two'), (2, 'tree'), (3, 'four'), (4, 'five')",
    "UPDATE unique_tbl SET i = i + 1",
    "SELECT * FROM unique_tbl ORDER BY i",
    "INSERT INTO unique_tbl VALUES (1, 'dup')",
    "BEGIN", "SET CONSTRAINTS unique_tbl_i_key DEFERRED", "INSERT INTO unique_tbl VALUES (5, 'one')",
    "UPDATE unique_tbl SET i = 6 WHERE t = 'five'", "COMMIT",
    "SELECT * FROM unique_tbl ORDER BY i",
    "BEGIN", "SET CONSTRAINTS unique_tbl_i_key DEFERRED", "INSERT INTO unique_tbl VALUES (3, 'three')",
    "DELETE FROM unique_tbl WHERE t = 'tree'", "COMMIT",
    "BEGIN", "SET CONSTRAINTS ALL DEFERRED", "INSERT INTO unique_tbl VALUES (4, 'x')", "SET CONSTRAINTS ALL IMMEDIATE",
    "ROLLBACK",
    "INSERT INTO unique_tbl VALUES (9, 'x') ON CONFLICT (i) DO NOTHING",
    "INSERT INTO unique_tbl VALUES (9, 'x') ON CONFLICT ON CONSTRAINT unique_tbl_i_key DO NOTHING",
    "CREATE TABLE ict (key int PRIMARY KEY, fruit text)",
    "INSERT INTO ict VALUES (2, 'Orange') ON CONFLICT (key, key, key) DO UPDATE SET fruit = excluded.fruit",
    "INSERT INTO ict VALUES (2, 'Kiwi') ON CONFLICT (key, key) DO UPDATE SET fruit = excluded.fruit RETURNING *",
    "INSERT INTO ict VALUES (3, 'Lime') ON CONFLICT (key, fruit) DO NOTHING",
    "CREATE TABLE du2 (a int, b int, CONSTRAINT du2_ab UNIQUE (a, b) DEFERRABLE INITIALLY DEFERRED)",
    "BEGIN", "INSERT INTO du2 VALUES (1, 1), (1, 1)", "COMMIT",
    "BEGIN", "INSERT INTO du2 VALUES (1, 1), (1, 1)", "UPDATE du2 SET b = 2 WHERE a = 1 AND b = 1", "COMMIT",
    "BEGIN", "INSERT INTO du2 VALUES (2, 1)", "INSERT INTO du2 VALUES (2, 1)", "DELETE FROM du2 WHERE a = 2",
    "COMMIT",
    "SELECT * FROM du2 ORDER BY a, b",
    ("SELECT conname, condeferrable, condeferred, pg_get_constraintdef(oid) FROM pg_constraint "
     "WHERE conrelid IN ('unique_tbl'::regclass, 'du2'::regclass) ORDER BY 1"),
]

OUTER_JOIN_ROWS = [
    "CREATE TABLE ca (id int)", "CREATE TABLE cb (aid int, v int)",
    "INSERT INTO ca VALUES (1), (2)", "INSERT INTO cb VALUES (1, 10), (1, 11)",
    "SELECT ca.id, count(cb.*), count(cb), count(*) FROM ca LEFT JOIN cb ON cb.aid = ca.id GROUP BY ca.id ORDER BY 1",
    "SELECT row_to_json(cb.*), to_jsonb(cb), cb IS NULL FROM ca LEFT JOIN cb ON cb.aid = ca.id ORDER BY ca.id, cb.v",
    # RETURNING * of UPDATE ... FROM / DELETE ... USING lists the other tables' columns too
    "CREATE TABLE ua (id int, v int)", "CREATE TABLE ub (id int, w text)",
    "INSERT INTO ua VALUES (1, 1), (2, 2)", "INSERT INTO ub VALUES (1, 'x')",
    "UPDATE ua SET v = 10 FROM ub WHERE ub.id = ua.id RETURNING *",
    "UPDATE ua SET v = 11 FROM ub WHERE ub.id = ua.id RETURNING ua.id, ub.w, ub.*, ua.*",
    "UPDATE ua a SET v = v + 1 FROM ub b WHERE b.id = a.id RETURNING b.*, a.*, *",
    "DELETE FROM ua USING ub WHERE ub.id = ua.id RETURNING *",
]

PARTITIONED_UNIQUE_INDEXES = [
    "CREATE TABLE pu (a int, b int, c text) PARTITION BY RANGE (a)",
    "CREATE TABLE pu1 PARTITION OF pu FOR VALUES FROM (0) TO (10)",
    "CREATE TABLE pu2 PARTITION OF pu FOR VALUES FROM (10) TO (20)",
    "INSERT INTO pu VALUES (1, 1, 'x'), (11, 1, 'y')",
    "CREATE UNIQUE INDEX ON pu (b)",
    "CREATE UNIQUE INDEX pu_ab ON pu (a, b)",
    "INSERT INTO pu VALUES (1, 1, 'dup')",
    "INSERT INTO pu VALUES (11, 2, 'ok')",
    "CREATE TABLE pu3 PARTITION OF pu FOR VALUES FROM (20) TO (30)",
    "INSERT INTO pu VALUES (21, 5), (21, 5)",
    "INSERT INTO pu VALUES (21, 5) ON CONFLICT (a, b) DO NOTHING",
    "SELECT * FROM pu ORDER BY a, b",
    # a partition's own column options and constraints
    "CREATE TABLE pe (a int, b char, c int) PARTITION BY LIST (a)",
    ("CREATE TABLE pe_1 PARTITION OF pe (b UNIQUE, c NOT NULL DEFAULT 5, CONSTRAINT ck CHECK (c > 0), "
     "PRIMARY KEY (a, b)) FOR VALUES IN (1, 2)"),
    "INSERT INTO pe (a, b) VALUES (1, 'a')",
    "INSERT INTO pe (a, b) VALUES (2, 'a')",
    "INSERT INTO pe VALUES (1, 'z', -1)",
    "INSERT INTO pe VALUES (1, 'q', NULL)",
    "SELECT * FROM pe ORDER BY a, b",
    "SELECT conname, contype FROM pg_constraint WHERE conrelid = 'pe_1'::regclass ORDER BY 1",
    "CREATE TABLE pe_2 PARTITION OF pe (nosuch UNIQUE) FOR VALUES IN (3)",
]

EXCLUSION_CONSTRAINTS = [
    "DROP EXTENSION IF EXISTS btree_gist",
    "CREATE TABLE rooms (room int, during tsrange, EXCLUDE USING gist (room WITH =, during WITH &&))",
    "CREATE EXTENSION btree_gist",
    "CREATE TABLE rooms (room int, during tsrange, EXCLUDE USING gist (room WITH =, during WITH &&))",
    "INSERT INTO rooms VALUES (1, '[2010-01-01 10:00, 2010-01-01 11:00)'), (2, '[2010-01-01 10:00, 2010-01-01 11:00)')",
    "INSERT INTO rooms VALUES (1, '[2010-01-01 10:30, 2010-01-01 11:30)')",
    "INSERT INTO rooms VALUES (1, '[2010-01-01 11:00, 2010-01-01 12:00)')",
    "INSERT INTO rooms VALUES (3, '[2010-01-01 11:00, 2010-01-01 12:00)'), (3, '[2010-01-01 11:30, 2010-01-01 12:30)')",
    "INSERT INTO rooms VALUES (NULL, '[2010-01-01 11:00, 2010-01-01 12:00)'), (NULL, '[2010-01-01 11:00, 2010-01-01 12:00)')",
    "UPDATE rooms SET during = '[2010-01-01 10:00, 2010-01-01 13:00)' WHERE room = 1 AND lower(during) = '2010-01-01 11:00'",
    "UPDATE rooms SET during = '[2010-01-01 09:00, 2010-01-01 10:30)' WHERE room = 2",
    "SELECT room, during FROM rooms ORDER BY room NULLS LAST, during",
    "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'rooms'::regclass",
    "ALTER TABLE rooms DROP CONSTRAINT rooms_room_during_excl",
    "INSERT INTO rooms VALUES (2, '[2010-01-01 10:00, 2010-01-01 11:00)')",
    "ALTER TABLE rooms ADD CONSTRAINT again EXCLUDE USING gist (room WITH =, during WITH &&)",
    ("CREATE TABLE circles2 (c1 circle, c2 circle, EXCLUDE USING gist (c1 WITH &&, c2 WITH &&) "
     "WHERE (circle_center(c1) <> '(0,0)'))"),
    "INSERT INTO circles2 VALUES ('<(0,0), 5>', '<(0,0), 5>'), ('<(0,0), 5>', '<(0,0), 4>')",
    "INSERT INTO circles2 VALUES ('<(10,10), 10>', '<(0,0), 5>')",
    "INSERT INTO circles2 VALUES ('<(20,20), 10>', '<(0,0), 4>')",
    "INSERT INTO circles2 VALUES ('<(20,20), 10>', '<(10,10), 5>')",
    "INSERT INTO circles2 VALUES ('<(20,20), 10>', '<(0,0), 4>') ON CONFLICT ON CONSTRAINT circles2_c1_c2_excl DO NOTHING",
    ("INSERT INTO circles2 VALUES ('<(20,20), 10>', '<(0,0), 4>') "
     "ON CONFLICT ON CONSTRAINT circles2_c1_c2_excl DO UPDATE SET c2 = EXCLUDED.c2"),
    ("INSERT INTO circles2 VALUES ('<(50,50), 1>', '<(60,60), 1>'), ('<(50,50), 2>', '<(60,60), 2>'), "
     "('<(90,90), 1>', '<(0,0), 1>') ON CONFLICT ON CONSTRAINT circles2_c1_c2_excl DO NOTHING"),
    "SELECT c1, c2 FROM circles2 ORDER BY c1::text, c2::text",
    "CREATE TABLE bt (a int, EXCLUDE USING btree (a WITH =))",
    "INSERT INTO bt VALUES (1), (2)",
    "INSERT INTO bt VALUES (1)",
    "CREATE TABLE bt2 (a int, EXCLUDE USING btree (a WITH <>))",
    "DROP TABLE bt, rooms, circles2",
    "DROP EXTENSION btree_gist",
]

TRIGRAM_INDEXES = [
    "CREATE TABLE words (id int PRIMARY KEY, w text, v varchar(40))",
    ("INSERT INTO words SELECT g, 'Word' || g || CASE WHEN g % 7 = 0 THEN ' Special' ELSE '' END, 'v' || g "
     "FROM generate_series(1, 3000) g"),
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX words_w_trgm ON words USING gin (w gin_trgm_ops)",
    "CREATE INDEX words_v_trgm ON words USING gist (v gist_trgm_ops)",
    "CREATE INDEX words_lower_trgm ON words USING gin (lower(w) gin_trgm_ops)",
    "CREATE INDEX bad ON words USING gin (w gist_trgm_ops)",
    "CREATE INDEX bad ON words USING gin (id gin_trgm_ops)",
    "CREATE INDEX bad ON words USING btree (w gin_trgm_ops)",
    "SELECT count(*) FROM words WHERE w LIKE '%Special%'",
    "SELECT count(*) FROM words WHERE w LIKE '%special%'",
    "SELECT count(*) FROM words WHERE w ILIKE '%SPECIAL%'",
    "SELECT id FROM words WHERE w ILIKE '%ord19_ %' ORDER BY id",
    "SELECT id FROM words WHERE w LIKE 'Word2_' ORDER BY id",
    "SELECT id FROM words WHERE w NOT LIKE '%1%' AND id < 30 ORDER BY id",
    "SELECT count(*) FROM words WHERE v ILIKE 'V29%'",
    "SELECT count(*) FROM words WHERE lower(w) LIKE '%d300%'",
    "SELECT count(*) FROM words WHERE w LIKE '%\\%%'",
    "INSERT INTO words VALUES (5000, 'brand new SPECIAL', 'x')",
    "UPDATE words SET w = 'renamed' WHERE id = 7",
    "SELECT id FROM words WHERE w ILIKE '%new spec%' OR w LIKE 'renamed' ORDER BY id",
    "SELECT count(*) FROM words WHERE w LIKE '%Special%'",
    "DELETE FROM words WHERE id = 5000",
    "SELECT id FROM words WHERE w ILIKE '%new spec%'",
    "SELECT indexdef FROM pg_indexes WHERE tablename = 'words' ORDER BY 1",
    "DROP INDEX words_w_trgm",
    "SELECT count(*) FROM words WHERE w LIKE '%Special%'",
]

CITEXT = [
    "CREATE TABLE before_ext (e citext)",
    "CREATE EXTENSION IF NOT EXISTS citext",
    "CREATE TABLE users (id int PRIMARY KEY, email citext UNIQUE, name text)",
    "INSERT INTO users VALUES (1, 'Alice@Example.com', 'a'), (2, 'bob@example.com', 'b')",
    "INSERT INTO users VALUES (3, 'ALICE@example.COM', 'dup')",
    "SELECT id, email FROM users WHERE email = 'alice@EXAMPLE.com'",
    "SELECT id FROM users WHERE email = 'alice@example.com'::text",
    "SELECT id FROM users WHERE email <> 'BOB@EXAMPLE.COM' ORDER BY id",
    "SELECT id FROM users WHERE email LIKE 'BOB%'",
    "SELECT id FROM users WHERE email ~ '^ALICE'",
    "SELECT id FROM users WHERE email IN ('BOB@example.com', 'nobody')",
    "SELECT email FROM users ORDER BY email DESC",
    "SELECT 'a'::citext < 'B', 'A'::citext = 'a', 'A'::citext >= 'b', 'x'::citext || 'Y'",
    "SELECT pg_typeof('a'::citext), pg_typeof(upper('a'::citext)), pg_typeof('a'::citext || 'b')",
    "SELECT upper(email), length(email), strpos(email, 'EXAMPLE'), replace(email, 'EXAMPLE', 'x') FROM users ORDER BY id",
    "SELECT lower(x), count(*) FROM (VALUES ('a'::citext), ('A'), ('b')) v(x) GROUP BY x ORDER BY 1",
    "SELECT DISTINCT lower(x) FROM (SELECT DISTINCT x FROM (VALUES ('a'::citext), ('A'), ('b')) v(x)) d ORDER BY 1",
    "SELECT count(DISTINCT x), min(x), max(x) FROM (VALUES ('a'::citext), ('A'), ('B'), ('c')) v(x)",
    "SELECT count(*) FROM (SELECT 'x'::citext UNION SELECT 'X'::citext) u",
    "CREATE TABLE tags (name citext PRIMARY KEY)",
    "INSERT INTO tags VALUES ('Postgres')",
    "INSERT INTO tags VALUES ('POSTGRES')",
    "INSERT INTO tags VALUES ('postgres') ON CONFLICT DO NOTHING",
    "CREATE TABLE posts (id int, tag citext REFERENCES tags)",
    "INSERT INTO posts VALUES (1, 'postgres')",
    "INSERT INTO posts VALUES (2, 'mysql')",
    "SELECT p.id, t.name FROM posts p JOIN tags t ON p.tag = t.name",
    "SELECT typname, typcategory FROM pg_type WHERE typname IN ('citext', '_citext') ORDER BY 1",
    "SELECT extname, extversion FROM pg_extension WHERE extname = 'citext'",
    "DROP EXTENSION citext",
    "DROP TABLE posts, tags, users",
    "DROP EXTENSION citext",
    "SELECT 'a'::citext",
]

ROLES = {"rls": ("rls_a", "rls_b")}
SCRIPTS = {"rls": ROW_SECURITY, "extensions": EXTENSIONS, "citext": CITEXT, "trigram_indexes": TRIGRAM_INDEXES, "foreign_key_match": FOREIGN_KEY_MATCH,
           "deferrable_unique": DEFERRABLE_UNIQUE, "exclusion_constraints": EXCLUSION_CONSTRAINTS,
           "partitioned_unique_indexes": PARTITIONED_UNIQUE_INDEXES, "outer_join_rows": OUTER_JOIN_ROWS, "matviews": MATVIEWS, "generated": GENERATED, "notify": NOTIFY, "sql_functions": SQL_FUNCTIONS,
           "plpgsql": PLPGSQL, "triggers": TRIGGERS, "maintenance_and_deferred": MAINTENANCE_AND_DEFERRED}


def _outcome(conn: psycopg.Connection, sql: str) -> tuple:
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            rows = [tuple(str(v) for v in r) for r in cur.fetchall()] if cur.description else []
            return ("ok", cur.statusmessage, rows)
    except psycopg.Error as e:
        return ("error", e.sqlstate, e.diag.message_primary)


@pytest.fixture(scope="module")
def helios_dsn(tmp_path_factory):
    from helios_core.testing import start_server

    server = start_server(tmp_path_factory.mktemp("features"), only=["postgres"])
    try:
        yield server.pg_dsn()
    finally:
        server.stop()


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_script_matches_postgres(name, postgres_dsn, helios_dsn):
    with psycopg.connect(postgres_dsn, autocommit=True) as pg, psycopg.connect(helios_dsn, autocommit=True) as hx:
        for conn in (pg, hx):
            conn.execute(f"DROP SCHEMA IF EXISTS f_{name} CASCADE")
            conn.execute(f"CREATE SCHEMA f_{name}")
            conn.execute(f"SET search_path = f_{name}")
            for role in ROLES.get(name, ()):  # roles are global: left over by an earlier run is fine
                _outcome(conn, f"CREATE ROLE {role}")
        for sql in SCRIPTS[name]:
            assert _outcome(hx, sql) == _outcome(pg, sql), sql
