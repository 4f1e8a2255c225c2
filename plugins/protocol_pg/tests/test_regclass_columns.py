"""A select item cast to regclass is a regclass column on the wire, as in PostgreSQL: RowDescription
says OID 2205 and the text is the relation's name (schema-qualified off the search_path), and the
binary form is the relation's OID (it was a text column, OID 25, so clients that read regclass
columns by type saw text)."""

from __future__ import annotations

import struct

import psycopg


def test_regclass_columns_have_their_type(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("create schema if not exists rcs")
        conn.execute("create table rc_t (a int)")
        conn.execute("create table rcs.rc_u (b int)")
        conn.execute("insert into rc_t values (1)")
        cur = conn.execute("select tableoid::regclass, 'rcs.rc_u'::regclass, 'rc_t'::regclass::text from rc_t")
        assert [d.type_code for d in cur.description] == [2205, 2205, 25]
        assert cur.fetchall() == [("rc_t", "rcs.rc_u", "rc_t")]
        oid = conn.execute("select oid::int from pg_class where relname = 'rc_t'").fetchone()[0]
        raw = conn.cursor(binary=True).execute("select 'rc_t'::regclass").fetchone()[0]
        assert struct.unpack("!I", bytes(raw))[0] == oid
