"""The example plugin's SQL dialect (``tiny``) and SQL type (``rgb``) through a real server."""

from __future__ import annotations

import psycopg
import pytest


@pytest.fixture
def server(helios_server):
    return helios_server({"protocols": {"line": {"dialect": "tiny"}, "postgres": {}}}, only=["line", "postgres"])


def test_tiny_dialect_and_rgb_type(server, line_client):
    tiny = line_client(server.port("line"))
    assert tiny.query("create table paint (id int, name text, colour rgb)") == ([], "OK CREATE TABLE")
    assert tiny.query("insert into paint values (1, 'fire', '#F00'), (2, 'sea', 'blue')") == ([], "OK INSERT 2")
    # renamed functions map onto the shared library (strlen = length, shout = upper, mirror = the
    # plugin's own example_reverse) and keep the names written
    rows, status = tiny.query("select id, strlen(name), shout(name), mirror(name), colour from paint order by id")
    assert (rows, status) == ([["1", "4", "FIRE", "erif", "#ff0000"], ["2", "3", "SEA", "aes", "#0000ff"]],
                              "OK SELECT 2")
    # the dialect's own statement
    assert tiny.query("list tables") == ([["paint"]], "OK SELECT 1")
    assert tiny.query("list tables like 'x%'") == ([], "OK SELECT 0")
    rows, status = tiny.query("select 'mauve'::rgb")
    assert rows == [] and status.startswith("ERROR 22P02 ") and "rgb" in status
    # the same data through PostgreSQL's protocol: the built-in dialect, the type as text
    with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
        cur = conn.execute("select colour, colour::text = '#ff0000' from paint order by id")
        assert cur.fetchall() == [("#ff0000", True), ("#0000ff", False)]
        assert cur.description[0].type_code == 25  # a type PostgreSQL does not have travels as text
        conn.execute("insert into paint values (3, 'snow', 'WHITE')")
        with pytest.raises(psycopg.errors.UndefinedFunction):
            conn.execute("select strlen(name) from paint")  # tiny's names are not PostgreSQL's
        with pytest.raises((psycopg.errors.SyntaxError, psycopg.errors.FeatureNotSupported)):
            conn.execute("list tables")
    assert tiny.query("select colour from paint where id = 3") == ([["#ffffff"]], "OK SELECT 1")
    # the plugin's virtual table, its rgb column printed by the type's output
    assert tiny.query("select name, colour from example.colours where name < 'c' order by name") == (
        [["black", "#000000"], ["blue", "#0000ff"]], "OK SELECT 2")


def test_statement_wrapper_acts_on_every_protocol(server, line_client):
    tiny = line_client(server.port("line"))
    rows, status = tiny.query("select 'example_denied'")
    assert rows == [] and status == "ERROR 42501 statement denied by helios_example_plugin"
    assert tiny.query("select 2") == ([["2"]], "OK SELECT 1")
    with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("select 'example_denied'")
        assert conn.execute("select 4").fetchone() == (4,)


def test_plugin_table_function(server, line_client):
    """example.shades (the helios_table_functions hook): arguments by position or name, its
    columns typed as declared (the plugin's rgb among them), usable like any FROM item."""
    with psycopg.connect(server.pg_dsn(), autocommit=True) as conn:
        cur = conn.execute("select step, colour from example.shades('#f80', 4) order by step desc")
        assert cur.fetchall() == [(3, "#3f2200"), (2, "#7f4400"), (1, "#bf6600"), (0, "#ff8800")]
        assert [d.type_code for d in cur.description] == [23, 25]  # integer, rgb as text
        cur = conn.execute("select s.colour, c.name from example.shades(steps => 2, colour => 'white') s "
                           "join example.colours c on c.colour = s.colour")
        assert cur.fetchall() == [("#ffffff", "white")]
        with pytest.raises(psycopg.errors.InvalidParameterValue):
            conn.execute("select * from example.shades('#f80', 0)")
        with pytest.raises(psycopg.errors.InvalidTextRepresentation):
            conn.execute("select * from example.shades('mauve', 2)")
    tiny = line_client(server.port("line"))
    assert tiny.query("select count(*) from example.shades('red', 5)") == ([["5"]], "OK SELECT 1")
