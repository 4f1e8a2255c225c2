"""Expression, partial and hash indexes through psycopg against a real server, with the values
PostgreSQL 15 gives for the same statements; and SQLAlchemy 2's PostgreSQL reflection of them."""

from __future__ import annotations

import psycopg
import pytest

from helios_core.plugins import get_plugin_manager, index_kinds


@pytest.fixture(scope="module")
def conn(pg_server):
    with psycopg.connect(pg_server.pg_dsn(), autocommit=True) as c:
        c.execute("CREATE TABLE products (id int PRIMARY KEY, sku text, name text, a int, b int)")
        yield c


@pytest.fixture
def fresh(conn):
    """An empty products table with no secondary index."""
    conn.execute("DELETE FROM products")
    for (name,) in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'products' "
                                "AND indexname <> 'products_pkey'").fetchall():
        conn.execute(f'DROP INDEX "{name}"')
    return conn


def test_unique_expression_index_is_enforced(fresh):
    fresh.execute("CREATE UNIQUE INDEX ON products (lower(sku))")
    fresh.execute("INSERT INTO products VALUES (1, 'ABC', 'x', 1, 2)")
    with pytest.raises(psycopg.errors.UniqueViolation) as ei:
        fresh.execute("INSERT INTO products VALUES (2, 'abc', 'x', 1, 2)")
    d = ei.value.diag
    assert d.message_primary == 'duplicate key value violates unique constraint "products_lower_idx"'
    assert d.message_detail == "Key (lower(sku))=(abc) already exists."
    assert (d.schema_name, d.table_name, d.constraint_name) == ("public", "products", "products_lower_idx")
    # two new rows clashing with each other
    with pytest.raises(psycopg.errors.UniqueViolation, match="products_lower_idx") as ei:
        fresh.execute("INSERT INTO products VALUES (2, 'abd', 'x', 1, 2), (3, 'Abd', 'y', 1, 2)")
    assert ei.value.diag.message_detail == "Key (lower(sku))=(abd) already exists."
    # an UPDATE into a clash, and one that keeps its own key
    fresh.execute("INSERT INTO products VALUES (2, 'other', 'x', 1, 2)")
    with pytest.raises(psycopg.errors.UniqueViolation):
        fresh.execute("UPDATE products SET sku = 'aBc' WHERE id = 2")
    fresh.execute("UPDATE products SET sku = 'Abc' WHERE id = 1")
    # COPY goes through the same check
    with pytest.raises(psycopg.errors.UniqueViolation), fresh.cursor().copy("COPY products FROM STDIN") as cp:
        cp.write("9\tOTHER\tz\t1\t1\n")
    # NULL keys never conflict
    fresh.execute("INSERT INTO products VALUES (10, NULL, 'x', 1, 2), (11, NULL, 'x', 1, 2)")
    assert fresh.execute("SELECT count(*) FROM products").fetchone() == (4,)


def test_creating_a_unique_index_over_duplicates_fails(fresh):
    fresh.execute("INSERT INTO products VALUES (8, 'dup', 'x', 1, 2), (9, 'DUP', 'x', 1, 2)")
    with pytest.raises(psycopg.errors.UniqueViolation) as ei:
        fresh.execute("CREATE UNIQUE INDEX lsku ON products (lower(sku))")
    assert ei.value.diag.message_primary == 'could not create unique index "lsku"'
    assert ei.value.diag.message_detail == "Key (lower(sku))=(dup) is duplicated."
    with pytest.raises(psycopg.errors.UniqueViolation) as ei:
        fresh.execute("CREATE UNIQUE INDEX ON products ((a + b))")
    assert ei.value.diag.message_detail == "Key ((a + b))=(3) is duplicated."
    assert fresh.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'products'").fetchone() == (1,)


def test_partial_unique_index_only_covers_its_rows(fresh):
    fresh.execute("CREATE UNIQUE INDEX pu ON products (sku) WHERE a > 5")
    fresh.execute("INSERT INTO products VALUES (1, 'q', 'x', 6, 2), (2, 'q', 'x', 1, 2), (3, 'q', 'x', NULL, 2)")
    with pytest.raises(psycopg.errors.UniqueViolation) as ei:
        fresh.execute("INSERT INTO products VALUES (4, 'q', 'x', 7, 2)")
    assert ei.value.diag.message_detail == "Key (sku)=(q) already exists."
    fresh.execute("UPDATE products SET a = 0 WHERE id = 1")
    fresh.execute("INSERT INTO products VALUES (4, 'q', 'x', 7, 2)")
    assert fresh.execute("SELECT pg_get_expr(indpred, indrelid) FROM pg_index "
                         "WHERE indexrelid = 'pu'::regclass").fetchone() == ("(a > 5)",)


def test_catalog_shows_expressions_options_and_predicates(fresh):
    fresh.execute("CREATE UNIQUE INDEX ON products (lower(sku))")
    fresh.execute("CREATE INDEX ON products (name DESC, (a + b)) INCLUDE (id) WHERE a > 0")
    fresh.execute("CREATE INDEX ON products (a NULLS FIRST, b DESC NULLS LAST)")
    fresh.execute("CREATE INDEX ON products (lower(sku), upper(name))")
    fresh.execute("CREATE INDEX ON products (name text_pattern_ops)")
    rows = fresh.execute("SELECT c.relname, i.indkey, i.indoption, i.indexprs IS NOT NULL, i.indnatts, i.indnkeyatts "
                         "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                         "WHERE i.indrelid = 'products'::regclass ORDER BY 1").fetchall()
    # the values PostgreSQL 15 gives; int2vector arrives as text ("3 0 1"), as psycopg sees it there
    assert rows == [
        ("products_a_b_idx", "4 5", "2 1", False, 2, 2),
        ("products_lower_idx", "0", "0", True, 1, 1),
        ("products_lower_upper_idx", "0 0", "0 0", True, 2, 2),
        ("products_name_expr_id_idx", "3 0 1", "3 0", True, 3, 2),
        ("products_name_idx", "3", "0", False, 1, 1),
        ("products_pkey", "1", "0", False, 1, 1),
    ]
    defs = dict(fresh.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'products'").fetchall())
    assert defs["products_lower_idx"] == "CREATE UNIQUE INDEX products_lower_idx ON public.products USING btree " \
                                         "(lower(sku))"
    assert defs["products_name_expr_id_idx"] == "CREATE INDEX products_name_expr_id_idx ON public.products USING " \
                                                "btree (name DESC, (a + b)) INCLUDE (id) WHERE (a > 0)"
    assert defs["products_a_b_idx"] == "CREATE INDEX products_a_b_idx ON public.products USING btree " \
                                       "(a NULLS FIRST, b DESC NULLS LAST)"
    assert defs["products_name_idx"] == "CREATE INDEX products_name_idx ON public.products USING btree " \
                                        "(name text_pattern_ops)"
    assert fresh.execute("SELECT pg_get_indexdef('products_name_expr_id_idx'::regclass, 2, true), "
                         "pg_get_indexdef('products_name_expr_id_idx'::regclass, 2, false), "
                         "pg_get_indexdef('products_name_expr_id_idx'::regclass, 3, true)").fetchone() == (
        "(a + b)", "((a + b))", "id")
    # indkey is a zero-based int2vector
    assert fresh.execute("SELECT indkey[0], indkey[1], array_length(indkey::int2[], 1) FROM pg_index "
                         "WHERE indexrelid = 'products_a_b_idx'::regclass").fetchone() == (4, 5, 2)
    assert fresh.execute("SELECT '1 2'::int2vector::text, ('3 4'::int2vector)[0]").fetchone() == ("1 2", 3)


def test_access_methods(fresh):
    fresh.execute("CREATE INDEX h ON products USING hash (name)")
    assert fresh.execute("SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam "
                         "WHERE c.relname = 'h'").fetchone() == ("hash",)
    assert fresh.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'h'").fetchone() == (
        "CREATE INDEX h ON public.products USING hash (name)",)
    provided = index_kinds(get_plugin_manager())  # gin and gist come with the search plugin
    for method in ("gin", "gist", "spgist", "brin"):
        if method in provided:  # PostgreSQL: text has no gin/gist operator class of its own
            with pytest.raises(psycopg.errors.UndefinedObject,
                               match=f'data type text has no default operator class for access method "{method}"'):
                fresh.execute(f"CREATE INDEX ON products USING {method} (name)")
            continue
        with pytest.raises(psycopg.errors.FeatureNotSupported, match=f'"{method}"'):
            fresh.execute(f"CREATE INDEX ON products USING {method} (name)")
    refusals = {  # PostgreSQL 15's own limits of hash indexes
        "CREATE UNIQUE INDEX ON products USING hash (name)": 'access method "hash" does not support unique indexes',
        "CREATE INDEX ON products USING hash (name, sku)":
            'access method "hash" does not support multicolumn indexes',
        "CREATE INDEX ON products USING hash (name DESC)": 'access method "hash" does not support ASC/DESC options',
    }
    for sql, message in refusals.items():
        with pytest.raises(psycopg.errors.FeatureNotSupported) as ei:
            fresh.execute(sql)
        assert ei.value.diag.message_primary == message
    with pytest.raises(psycopg.errors.UndefinedObject, match='access method "foo" does not exist'):
        fresh.execute("CREATE INDEX ON products USING foo (name)")


@pytest.mark.parametrize(("sql", "error", "message"), [
    ("CREATE INDEX ON products (now())", psycopg.errors.InvalidObjectDefinition,
     "functions in index expression must be marked IMMUTABLE"),
    ("CREATE INDEX ON products (random())", psycopg.errors.InvalidObjectDefinition,
     "functions in index expression must be marked IMMUTABLE"),
    ("CREATE INDEX ON products (lower(nosuch))", psycopg.errors.UndefinedColumn, 'column "nosuch" does not exist'),
    ("CREATE INDEX ON products (sum(a))", psycopg.errors.GroupingError,
     "aggregate functions are not allowed in index expressions"),
    ("CREATE INDEX ON products ((a > 0)) WHERE a", psycopg.errors.DatatypeMismatch,
     "argument of WHERE must be type boolean, not type integer"),
])
def test_bad_index_expressions_are_refused(fresh, sql, error, message):
    with pytest.raises(error) as ei:
        fresh.execute(sql)
    assert ei.value.diag.message_primary == message


def test_column_changes_follow_into_expression_indexes(fresh):
    fresh.execute("ALTER TABLE products ADD COLUMN code text")
    fresh.execute("CREATE UNIQUE INDEX code_u ON products (upper(code))")
    fresh.execute("ALTER TABLE products RENAME COLUMN code TO ref")
    assert fresh.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'code_u'").fetchone() == (
        "CREATE UNIQUE INDEX code_u ON public.products USING btree (upper(ref))",)
    fresh.execute("INSERT INTO products (id, ref) VALUES (1, 'k')")
    with pytest.raises(psycopg.errors.UniqueViolation, match="code_u"):
        fresh.execute("INSERT INTO products (id, ref) VALUES (2, 'K')")
    fresh.execute("ALTER TABLE products DROP COLUMN ref")  # PostgreSQL drops the index with the column
    assert fresh.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'code_u'").fetchone() == (0,)


def test_sqlalchemy_reflection(pg_server):
    sa = pytest.importorskip("sqlalchemy")
    url = f"postgresql+psycopg://helios@{pg_server.host}:{pg_server.port('postgres')}/helios"
    engine = sa.create_engine(url)
    with engine.begin() as c:
        for sql in [
            "CREATE TABLE r_parent (id int PRIMARY KEY, code text UNIQUE, a int, b int, CONSTRAINT ab_uq UNIQUE (a, b))",
            "COMMENT ON TABLE r_parent IS 'the parent'",
            ("CREATE TABLE r_products (id int PRIMARY KEY, sku text, name text, price int CHECK (price > 0), "
             "parent_id int REFERENCES r_parent(id) ON DELETE CASCADE)"),
            "CREATE INDEX r_products_name_idx ON r_products (name)",
            "CREATE INDEX r_products_multi_idx ON r_products (name DESC, sku)",
            "CREATE UNIQUE INDEX r_products_lower_sku ON r_products (lower(sku))",
            "CREATE INDEX r_products_partial ON r_products (price) WHERE price > 10",
            "CREATE TABLE r_child (pid int, pa int, pb int, FOREIGN KEY (pa, pb) REFERENCES r_parent (a, b))",
        ]:
            c.execute(sa.text(sql))
    insp = sa.inspect(engine)
    # expected values: what SQLAlchemy 2.1 returns against PostgreSQL 15 for the same tables
    assert insp.get_indexes("r_products") == [
        {"name": "r_products_lower_sku", "unique": True, "column_names": [None], "expressions": ["lower(sku)"],
         "dialect_options": {"postgresql_include": []}},
        {"name": "r_products_multi_idx", "unique": False, "column_names": ["name", "sku"],
         "column_sorting": {"name": ("desc",)}, "dialect_options": {"postgresql_include": []}},
        {"name": "r_products_name_idx", "unique": False, "column_names": ["name"],
         "dialect_options": {"postgresql_include": []}},
        {"name": "r_products_partial", "unique": False, "column_names": ["price"],
         "dialect_options": {"postgresql_include": [], "postgresql_where": "(price > 10)"}},
    ]
    assert insp.get_indexes("r_parent") == [
        {"name": "ab_uq", "unique": True, "column_names": ["a", "b"], "duplicates_constraint": "ab_uq",
         "dialect_options": {"postgresql_include": []}},
        {"name": "r_parent_code_key", "unique": True, "column_names": ["code"],
         "duplicates_constraint": "r_parent_code_key", "dialect_options": {"postgresql_include": []}},
    ]
    assert [u["name"] for u in insp.get_unique_constraints("r_parent")] == ["ab_uq", "r_parent_code_key"]
    assert insp.get_unique_constraints("r_products") == []  # a unique index is not a constraint
    assert insp.get_pk_constraint("r_products")["constrained_columns"] == ["id"]
    assert [(f["constrained_columns"], f["referred_table"], f["referred_columns"], f["options"])
            for f in insp.get_foreign_keys("r_child")] == [(["pa", "pb"], "r_parent", ["a", "b"], {})]
    assert [(f["name"], f["options"]) for f in insp.get_foreign_keys("r_products")] == [
        ("r_products_parent_id_fkey", {"ondelete": "CASCADE"})]
    assert insp.get_check_constraints("r_products") == [
        {"name": "r_products_price_check", "sqltext": "price > 0", "comment": None}]
    assert insp.get_table_comment("r_parent") == {"text": "the parent"}
    multi = insp.get_multi_indexes()
    assert multi[(None, "r_products")] == insp.get_indexes("r_products")
    assert insp.get_multi_table_comment()[(None, "r_parent")] == {"text": "the parent"}
    assert insp.get_multi_pk_constraint()[(None, "r_child")] == {"name": None, "constrained_columns": []}
    assert set(insp.get_multi_foreign_keys()) >= {(None, "r_child"), (None, "r_products")}
    assert insp.get_multi_check_constraints()[(None, "r_products")] == insp.get_check_constraints("r_products")
    assert insp.get_multi_unique_constraints()[(None, "r_parent")] == insp.get_unique_constraints("r_parent")
    engine.dispose()


def test_on_conflict_with_expression_unique_index(fresh):
    fresh.execute("CREATE UNIQUE INDEX ON products (lower(sku))")
    fresh.execute("INSERT INTO products VALUES (1, 'ABC', 'x', 0, 0)")
    # the same statements and outcomes as PostgreSQL 15
    assert fresh.execute("INSERT INTO products VALUES (2, 'abc') ON CONFLICT DO NOTHING").rowcount == 0
    assert fresh.execute("INSERT INTO products VALUES (3, 'abc') ON CONFLICT (lower(sku)) DO NOTHING").rowcount == 0
    assert fresh.execute("INSERT INTO products VALUES (4, 'abc', 'y', 5) ON CONFLICT (lower(sku)) "
                         "DO UPDATE SET a = products.a + excluded.a").rowcount == 1
    assert fresh.execute("INSERT INTO products VALUES (5, 'q'), (6, 'Q') ON CONFLICT DO NOTHING").rowcount == 1
    with pytest.raises(psycopg.errors.InvalidColumnReference):
        fresh.execute("INSERT INTO products VALUES (7, 'zz') ON CONFLICT (upper(sku)) DO NOTHING")
    assert fresh.execute("SELECT id, sku, a FROM products ORDER BY id").fetchall() == [(1, "ABC", 5), (5, "q", None)]


def test_index_columns_as_psql_describes_them(fresh):
    fresh.execute("CREATE INDEX px_e ON products ((a + 1), lower(sku), upper(sku), lower(sku || 'x'))")
    fresh.execute("CREATE INDEX px_p ON products (a DESC) WHERE a > 0")
    # PostgreSQL 15: expression columns are named after their function (or "expr"), numbered when repeated
    assert fresh.execute("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
                         "WHERE attrelid = 'px_e'::regclass ORDER BY attnum").fetchall() == [
        ("expr", "integer"), ("lower", "text"), ("upper", "text"), ("lower1", "text")]
    # psql's \d reads the pretty form: the predicate without its outer parentheses
    assert fresh.execute("SELECT pg_get_indexdef('px_p'::regclass, 0, true), "
                         "pg_get_indexdef('px_p'::regclass)").fetchone() == (
        "CREATE INDEX px_p ON products USING btree (a DESC) WHERE a > 0",
        "CREATE INDEX px_p ON public.products USING btree (a DESC) WHERE (a > 0)")
