"""What SQLAlchemy's dialect compliance suite showed missing, checked through SQLAlchemy 2 against a
real server (see CLIENT_SUITES.md)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from helios_core.testing import start_server


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    srv = start_server(tmp_path_factory.mktemp("sqlalchemy-compat"), only=["postgres"])
    eng = sa.create_engine(f"postgresql+psycopg://helios@127.0.0.1:{srv.port('postgres')}/helios")
    try:
        yield eng
    finally:
        eng.dispose()
        srv.stop()


def test_constraint_comments_are_created_and_reflected(engine: sa.Engine) -> None:
    meta = sa.MetaData()
    sa.Table("accounts", meta,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("balance", sa.Integer),
             sa.CheckConstraint("balance >= 0", name="no_overdraft", comment="never below zero"),
             sa.UniqueConstraint("balance", name="one_balance_each", comment="odd but allowed"))
    meta.create_all(engine)  # emits COMMENT ON CONSTRAINT ... ON accounts IS '...'
    insp = sa.inspect(engine)
    checks = {c["name"]: c.get("comment") for c in insp.get_check_constraints("accounts")}
    assert checks == {"no_overdraft": "never below zero"}
    uniques = {c["name"]: c.get("comment") for c in insp.get_unique_constraints("accounts")}
    assert uniques == {"one_balance_each": "odd but allowed"}
    with engine.begin() as conn:
        conn.execute(sa.text("comment on constraint no_overdraft on accounts is null"))
    missing = 'constraint "nope" for table "accounts" does not exist'
    with pytest.raises(sa.exc.ProgrammingError, match=missing), engine.begin() as conn:
        conn.execute(sa.text("comment on constraint nope on accounts is 'x'"))
    assert sa.inspect(engine).get_check_constraints("accounts")[0].get("comment") is None


def test_sequence_with_no_minvalue_no_maxvalue(engine: sa.Engine) -> None:
    meta = sa.MetaData()
    sa.Sequence("ticket_numbers", minvalue=None, nominvalue=True, nomaxvalue=True, metadata=meta)
    sa.Sequence("countdown", increment=-1, nominvalue=True, nomaxvalue=True, metadata=meta)
    meta.create_all(engine)  # CREATE SEQUENCE ... NO MINVALUE NO MAXVALUE
    assert sa.inspect(engine).has_sequence("ticket_numbers")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("select sequencename, min_value, max_value, start_value from pg_sequences "
                                    "where sequencename in ('ticket_numbers', 'countdown') order by 1")).all()
        assert [tuple(r) for r in rows] == [("countdown", -(2**63), -1, -1), ("ticket_numbers", 1, 2**63 - 1, 1)]
        assert conn.execute(sa.text("select nextval('countdown'), nextval('countdown')")).one() == (-1, -2)
