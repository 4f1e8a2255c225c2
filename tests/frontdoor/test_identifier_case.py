"""Identifier case: unquoted names fold to lower case everywhere, quoted names keep their case.

The same statements run in-process, through psycopg against a real server, and side by side
with PostgreSQL 15 (column labels and rows must agree).
"""

from __future__ import annotations

import io

import psycopg
import pytest

import helios_core
from helios_core.errors import HeliosError
from helios_core.testing import HeliosServer

# A schema written in mixed case, then used in every other spelling.
SETUP = [
    "CREATE TABLE Customers (ID int PRIMARY KEY, Name text, Region text)",
    "CREATE TABLE MixedCase (Id int, Val text)",
    'CREATE TABLE "Quoted" ("Id" int, "Val" text, val text)',
    "CREATE SCHEMA Sales",
    "CREATE TABLE Sales.Orders (Order_ID int PRIMARY KEY, Customer_Id int, Amount numeric(10,2))",
    "CREATE SEQUENCE Order_Seq START 100",
    "CREATE INDEX Idx_Customers_Name ON CUSTOMERS (NAME)",
    "CREATE VIEW Big_Orders AS SELECT Order_ID AS OrderNo, AMOUNT FROM SALES.ORDERS WHERE Amount > 10",
    "INSERT INTO CUSTOMERS (Id, NAME, region) VALUES (1, 'ann', 'north'), (2, 'bob', 'south')",
    "INSERT INTO customers VALUES (3, 'cy', 'north')",
    "INSERT INTO mixedcase VALUES (1, 'x'), (2, 'y')",
    """INSERT INTO "Quoted" VALUES (1, 'upper', 'lower')""",
    ("INSERT INTO Sales.ORDERS (ORDER_ID, customer_id, amount) VALUES (NEXTVAL('order_seq'), 1, 5), "
    "(nextval('ORDER_SEQ'), 2, 50), (NextVal('Order_Seq'), 1, 20)"),
]

# (statement, expected column labels, expected rows in order)
QUERIES = [
    ("SELECT count(*) FROM Customers", ["count"], [(3,)]),
    ("select ID from customers order by Id", ["id"], [(1,), (2,), (3,)]),
    ("SELECT * FROM MIXEDCASE ORDER BY ID", ["id", "val"], [(1, "x"), (2, "y")]),
    ("SELECT C.Id AS MyId, c.NAME FROM Public.CUSTOMERS C WHERE C.REGION = 'north' ORDER BY 1",
     ["myid", "name"], [(1, "ann"), (3, "cy")]),
    ("SELECT Public.Customers.Name FROM PUBLIC.customers WHERE ID = 2", ["name"], [("bob",)]),
    ('SELECT "Id", "Val", VAL FROM "Quoted"', ["Id", "Val", "val"], [(1, "upper", "lower")]),
    (("WITH Totals AS (SELECT Customer_Id AS Cust, SUM(Amount) AS Total FROM sales.orders GROUP BY 1) "
     "SELECT CUST, TOTAL FROM TOTALS ORDER BY cust"), ["cust", "total"], [(1, 25), (2, 50)]),
    ("SELECT ORDERNO, Amount FROM BIG_ORDERS ORDER BY OrderNo", ["orderno", "amount"], [(101, 50), (102, 20)]),
    ("SELECT UPPER(Name) AS Shout, LENGTH(name), COUNT(*) OVER () FROM Customers WHERE Id = 1",
     ["shout", "length", "count"], [("ANN", 3, 1)]),
    ("SELECT T.A, t.b FROM (VALUES (1, 2)) AS T(A, B)", ["a", "b"], [(1, 2)]),
    ("SELECT Currval('ORDER_SEQ')", ["currval"], [(102,)]),
]


def _setup(run) -> None:
    for stmt in SETUP:
        run(stmt)


# ------------------------------------------------------------------------- in-process


@pytest.fixture(scope="module")
def session():
    s = helios_core.connect()
    _setup(s.execute)
    yield s
    s.close()


@pytest.mark.parametrize(("sql", "columns", "rows"), QUERIES, ids=[q[0][:50] for q in QUERIES])
def test_unquoted_names_fold_in_process(session, sql, columns, rows) -> None:
    result = session.execute(sql)[-1]
    assert [c.name for c in result.columns] == columns
    assert result.rows() == rows  # Decimal('25.00') == 25


@pytest.mark.parametrize("sql", [
    'SELECT * FROM "Customers"',  # the table was created unquoted: its name is customers
    'SELECT "ID" FROM customers',
    'SELECT "id" FROM "Quoted"',  # "Quoted" has "Id" and val, no id
    "SELECT * FROM quoted",
])
def test_quoted_names_keep_their_case(session, sql) -> None:
    with pytest.raises(HeliosError) as err:
        session.execute(sql)
    assert err.value.sqlstate in ("42P01", "42703")


def test_writes_and_ddl_fold(session) -> None:
    session.execute("CREATE TABLE Upserts (Id int PRIMARY KEY, Name text, Hits int DEFAULT 0)")
    session.execute("INSERT INTO UPSERTS (ID, NAME) VALUES (1, 'a')")
    session.execute("INSERT INTO upserts (id, name) VALUES (1, 'b') "
                    "ON CONFLICT (Id) DO UPDATE SET name = EXCLUDED.Name, HITS = Upserts.Hits + 1")
    session.execute("UPDATE Upserts SET NAME = upper(Name) WHERE ID = 1")
    session.execute("ALTER TABLE UPSERTS ADD COLUMN Note text")
    session.execute("ALTER TABLE upserts RENAME COLUMN NOTE TO Remark")
    session.execute("UPDATE upserts SET REMARK = 'r'")
    assert session.execute("SELECT id, name, hits, remark FROM upserts")[-1].rows() == [(1, "B", 1, "r")]
    session.execute("DELETE FROM UpSerts WHERE REMARK = 'r'")
    session.execute("DROP TABLE UPSERTS")
    with pytest.raises(HeliosError):
        session.execute("SELECT * FROM upserts")


def test_copy_column_list_folds(session) -> None:
    session.execute("CREATE TABLE Copied (Id int, Label text)")
    result = session.execute("COPY COPIED (LABEL, ID) TO STDOUT")[-1]
    assert [c.name for c in result.copy.column_types] == ["label", "id"]


# ------------------------------------------------------------------------- psycopg, real server


@pytest.fixture(scope="module")
def conn(server: HeliosServer):
    with psycopg.connect(server.pg_dsn(), autocommit=True) as c:
        _setup(c.execute)
        yield c


@pytest.mark.parametrize(("sql", "columns", "rows"), QUERIES, ids=[q[0][:50] for q in QUERIES])
def test_unquoted_names_fold_through_psycopg(conn, sql, columns, rows) -> None:
    cur = conn.execute(sql)
    assert [d.name for d in cur.description] == columns
    assert cur.fetchall() == rows


def test_issue_statements_through_psycopg(conn) -> None:
    conn.execute("CREATE TABLE Accounts (Id int PRIMARY KEY, Name text)")
    conn.execute("INSERT INTO Accounts (Id, Name) VALUES (%s,%s)", (1, "first"))
    conn.execute("INSERT INTO ACCOUNTS (ID, NAME) VALUES (%s,%s) ON CONFLICT (Id) DO UPDATE SET name = EXCLUDED.Name",
                 (1, "second"))
    assert conn.execute("select NAME from accounts where ID = %s", (1,)).fetchone() == ("second",)
    with conn.cursor() as cur, cur.copy("COPY Accounts (ID, Name) FROM STDIN") as copy:
        copy.write_row((2, "copied"))
    out = io.BytesIO()
    with conn.cursor() as cur, cur.copy("COPY ACCOUNTS (NAME, id) TO STDOUT") as copy:
        for chunk in copy:
            out.write(chunk)
    assert sorted(out.getvalue().decode().splitlines()) == ["copied\t2", "second\t1"]
    with pytest.raises(psycopg.errors.UndefinedTable):
        conn.execute('select * from "Accounts"')


# ------------------------------------------------------------------------- side by side with PostgreSQL


def test_same_labels_and_rows_as_postgresql(server: HeliosServer, postgres_dsn: str) -> None:
    with psycopg.connect(postgres_dsn, autocommit=True) as pg, psycopg.connect(server.pg_dsn(),
                                                                                autocommit=True) as hx:
        pg.execute("DROP SCHEMA IF EXISTS sales CASCADE")
        for name in ("customers", "mixedcase", '"Quoted"'):
            pg.execute(f"DROP TABLE IF EXISTS {name} CASCADE")
        pg.execute("DROP SEQUENCE IF EXISTS order_seq")
        hx.execute("DROP SCHEMA IF EXISTS sales CASCADE")
        for name in ("big_orders",):
            hx.execute(f"DROP VIEW IF EXISTS {name}")
        for name in ("customers", "mixedcase", '"Quoted"'):
            hx.execute(f"DROP TABLE IF EXISTS {name}")
        hx.execute("DROP SEQUENCE IF EXISTS order_seq")
        _setup(pg.execute)
        _setup(hx.execute)
        for sql, _columns, _rows in QUERIES:
            want, got = pg.execute(sql), hx.execute(sql)
            assert [d.name for d in got.description] == [d.name for d in want.description], sql
            assert got.fetchall() == want.fetchall(), sql
