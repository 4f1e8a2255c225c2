"""COPY FROM STDIN / TO STDOUT through the session API, and server-side files."""

from __future__ import annotations

import attrs
import pyarrow as pa
import pytest

import helios_core
from helios_core.errors import HeliosError


@pytest.fixture
def s():
    session = helios_core.connect()
    session.execute("create table t (id serial primary key, a int not null, b text, c int check (c > 0))")
    yield session
    session.close()


def test_copy_from_stdin_spec_and_load(s):
    (r,) = s.execute("copy t (a, b) from stdin with (format csv, header true, delimiter ';', null 'NA')")
    spec = r.copy
    assert r.command_tag == "COPY" and r.columns is None
    assert (spec.direction, spec.format, spec.delimiter, spec.null, spec.header) == ("in", "csv", ";", "NA", True)
    assert spec.columns == ["a", "b"] and spec.arrow_schema.names == ["a", "b"]
    assert [c.type_oid for c in spec.column_types] == [23, 25]
    batches = [pa.record_batch([pa.array([1, 2], pa.int32()), pa.array(["x", None])], schema=spec.arrow_schema),
               pa.record_batch([pa.array([3], pa.int32()), pa.array(["z"])], schema=spec.arrow_schema)]
    assert s.copy_in(spec, iter(batches)).command_tag == "COPY 3"
    assert s.execute("select id, a, b from t order by id")[0].rows() == [(1, 1, "x"), (2, 2, None), (3, 3, "z")]


def test_copy_in_checks_constraints_and_rolls_back(s):
    spec = s.execute("copy t (a, c) from stdin")[0].copy
    assert (spec.format, spec.delimiter, spec.null) == ("text", "\t", "\\N")
    bad = pa.record_batch([pa.array([1, 2], pa.int32()), pa.array([5, -1], pa.int32())], schema=spec.arrow_schema)
    with pytest.raises(HeliosError) as ei:
        s.copy_in(spec, iter([bad]))
    assert ei.value.sqlstate == "23514"
    assert s.execute("select count(*) from t")[0].rows() == [(0,)]
    nulls = pa.record_batch([pa.array([None], pa.int32()), pa.array([1], pa.int32())], schema=spec.arrow_schema)
    with pytest.raises(HeliosError) as ei:
        s.copy_in(spec, iter([nulls]))
    assert ei.value.sqlstate == "23502"


def test_copy_in_accepts_text_columns(s):
    spec = s.execute("copy t (a, b) from stdin")[0].copy
    batch = pa.record_batch([pa.array(["7", "8"]), pa.array(["p", "q"])], names=["a", "b"])
    assert s.copy_in(spec, iter([batch])).command_tag == "COPY 2"
    assert s.execute("select sum(a) from t")[0].rows() == [(15,)]


def test_copy_in_canonical_text_skips_the_input_function():
    """A caller that names a column in ``canonical_text`` hands its type's own text (the MongoDB
    plugin's documents): it is stored as given; without it jsonb's input parses and normalises it."""
    session = helios_core.connect()
    session.execute("create table docs (k jsonb primary key, d jsonb not null)")
    spec = session.execute("copy docs (k, d) from stdin")[0].copy
    assert spec.canonical_text == frozenset()
    batch = pa.record_batch([pa.array(['"a"']), pa.array(['{"bb":1,  "a": 2}'])], schema=spec.arrow_schema)
    assert session.copy_in(spec, iter([batch])).command_tag == "COPY 1"
    trusted = attrs.evolve(spec, canonical_text=frozenset({"k", "d"}))
    batch = pa.record_batch([pa.array(['"b"']), pa.array(['{"a": 2, "bb": 1}'])], schema=spec.arrow_schema)
    assert session.copy_in(trusted, iter([batch])).command_tag == "COPY 1"
    assert session.execute("select k::text, d::text from docs order by k")[0].rows() == [
        ('"a"', '{"a": 2, "bb": 1}'), ('"b"', '{"a": 2, "bb": 1}')]
    assert session.execute("select d->>'bb' from docs where k = '\"b\"'")[0].rows() == [("1",)]
    bad = pa.record_batch([pa.array(['"c"']), pa.array(["{oops"])], schema=spec.arrow_schema)
    with pytest.raises(HeliosError) as ei:
        session.copy_in(spec, iter([bad]))
    assert ei.value.sqlstate == "22P02"
    session.close()


def test_copy_to_stdout(s):
    s.execute("insert into t (a, b) values (1, 'x'), (2, 'y')")
    (r,) = s.execute("copy t (a, b) to stdout with csv header")
    assert r.command_tag == "COPY 2"
    assert (r.copy.direction, r.copy.format, r.copy.header) == ("out", "csv", True)
    assert sorted(r.rows()) == [(1, "x"), (2, "y")]
    (r,) = s.execute("copy (select a * 10 as ten from t order by a) to stdout")
    assert r.command_tag == "COPY 2" and r.rows() == [(10,), (20,)] and r.copy.columns == ["ten"]


def test_copy_errors(s):
    with pytest.raises(HeliosError) as ei:
        s.execute("copy nope from stdin")
    assert ei.value.sqlstate == "42P01"
    with pytest.raises(HeliosError) as ei:
        s.execute("copy t (nope) from stdin")
    assert ei.value.sqlstate == "42703"
    with pytest.raises(HeliosError) as ei:
        s.execute("copy t from stdin with (format xml)")
    assert ei.value.sqlstate == "22023"


def test_copy_server_file_roundtrip(s, tmp_path):
    s.execute("insert into t (a, b) values (1, 'tab\there'), (2, null)")
    path = tmp_path / "t.data"
    assert s.execute(f"copy t (a, b) to '{path}'")[0].command_tag == "COPY 2"
    assert path.read_text() == "1\ttab\\there\n2\t\\N\n"
    s.execute("create table t2 (a int, b text)")
    assert s.execute(f"copy t2 from '{path}'")[0].command_tag == "COPY 2"
    assert s.execute("select a, b from t2 order by a")[0].rows() == [(1, "tab\there"), (2, None)]
    csv = tmp_path / "t.csv"
    csv.write_text('a,b\n3,"x,y"\n4,\n')
    assert s.execute(f"copy t2 from '{csv}' with (format csv, header)")[0].command_tag == "COPY 2"
    assert s.execute("select b from t2 where a >= 3 order by a")[0].rows() == [("x,y",), (None,)]


def test_copy_server_file_csv_quotes_as_postgresql(s, tmp_path):
    s.execute("""insert into t (a, b) values (1, 'x'), (2, 'q"r,'), (3, ''), (4, null)""")
    path = tmp_path / "t.csv"
    s.execute(f"copy t (a, b) to '{path}' with (format csv, header, force_quote (a))")
    assert path.read_text() == 'a,b\n"1",x\n"2","q""r,"\n"3",""\n"4",\n'  # PostgreSQL 15's bytes
    s.execute("create table t3 (a int, b text)")
    s.execute(f"copy t3 from '{path}' with (format csv, header, force_null (b))")
    assert s.execute("select a, b from t3 order by a")[0].rows() == [(1, "x"), (2, 'q"r,'), (3, None), (4, None)]


def test_copy_in_applies_character_lengths(s):
    s.execute("create table ch (a char(5), b varchar(3))")
    spec = s.execute("copy ch from stdin")[0].copy
    ok = pa.record_batch([pa.array(["x"]), pa.array(["ab"])], schema=spec.arrow_schema)
    assert s.copy_in(spec, iter([ok])).command_tag == "COPY 1"
    assert s.execute("select octet_length(a) from ch")[0].rows() == [(5,)]  # char(n) is blank-padded
    long = pa.record_batch([pa.array(["x"]), pa.array(["abcd"])], schema=spec.arrow_schema)
    with pytest.raises(HeliosError) as ei:
        s.copy_in(spec, iter([long]))
    assert ei.value.sqlstate == "22001"


def test_copy_names_a_table_whose_quoted_name_holds_a_dot(s):
    s.execute('create schema app')
    s.execute('create table app."fs.files" (n int, label text)')
    (r,) = s.execute('copy app."fs.files" (n, label) from stdin')
    batch = pa.record_batch([pa.array([1, 2], pa.int32()), pa.array(["a", "b"])], schema=r.copy.arrow_schema)
    assert s.copy_in(r.copy, iter([batch])).command_tag == "COPY 2"
    (out,) = s.execute('copy app."fs.files" to stdout')
    assert sorted(out.rows()) == [(1, "a"), (2, "b")]
    s.execute('create table "x.y" (n int)')
    s.execute('insert into "x.y" values (5)')
    assert s.execute('copy "x.y" to stdout')[0].rows() == [(5,)]


def test_canonical_text_parameter_is_stored_as_given():
    """A jsonb parameter passed as CanonicalText (an in-process caller's own canonical text) binds
    without jsonb's input function and reads back the same as the parsed one."""
    from helios_core.session import CanonicalText

    s = helios_core.connect()
    s.execute("create table ct (id int primary key, doc jsonb)")
    s.execute("""insert into ct values (1, '{"a": 1}')""")
    stmt = s.prepare("update ct set doc = $2 where id = $1", [23, 3802])
    s.execute_prepared(stmt, [1, CanonicalText('{"b": [1, 2], "c": {"d": null}}')])
    assert s.execute("select doc->'b'->>1, doc::text from ct")[-1].rows() == [("2", '{"b": [1, 2], "c": {"d": null}}')]
    assert s.execute("""select count(*) from ct where doc @> '{"c": {"d": null}}'""")[-1].rows() == [(1,)]
    s.close()
