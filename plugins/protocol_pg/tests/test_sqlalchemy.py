"""SQLAlchemy 2 Core and ORM through the PostgreSQL protocol: create_all, unit of work, reflection."""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship


def _url(pg_server, driver: str) -> str:
    return f"postgresql+{driver}://helios@{pg_server.host}:{pg_server.port('postgres')}/helios"


def _missing(dsn: str, probe: str) -> str | None:
    """The server's error message when ``probe`` fails (a feature the SQL layer lacks), else None."""
    with psycopg.connect(dsn) as conn:
        try:
            conn.execute(probe)
        except psycopg.Error as exc:
            return f"{exc.sqlstate}: {exc.diag.message_primary}"
    return None


def _models(suffix: str) -> tuple[type, type, type]:
    class Base(DeclarativeBase):
        pass

    class Author(Base):
        __tablename__ = f"sa_author_{suffix}"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)
        books: Mapped[list[Book]] = relationship(back_populates="author", cascade="all, delete-orphan")

    class Book(Base):
        __tablename__ = f"sa_book_{suffix}"
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str]
        pages: Mapped[int | None]
        author_id: Mapped[int] = mapped_column(ForeignKey(f"sa_author_{suffix}.id"))
        author: Mapped[Author] = relationship(back_populates="books")

    return Base, Author, Book


def _unit_of_work(engine: sa.Engine, suffix: str) -> None:
    Base, Author, Book = _models(suffix)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    assert sa.inspect(engine).has_table(f"sa_book_{suffix}")
    with Session(engine) as s:
        ann = Author(name="ann", books=[Book(title="one", pages=10), Book(title="two")])
        s.add_all([ann, Author(name="bob")])
        s.commit()
        ann_id = ann.id
    with Session(engine) as s:
        ann = s.get(Author, ann_id)
        assert sorted(b.title for b in ann.books) == ["one", "two"]
        ann.books[0].pages = 11
        ann.name = "anne"
        s.delete(s.scalars(sa.select(Author).where(Author.name == "bob")).one())
        s.commit()
    with Session(engine) as s:
        rows = s.execute(sa.select(Author.name, sa.func.count(Book.id)).join(Book).group_by(Author.name)).all()
        assert rows == [("anne", 2)]
        assert s.scalar(sa.select(sa.func.sum(Book.pages))) == 11
    with engine.connect() as conn:  # Core
        book = Base.metadata.tables[f"sa_book_{suffix}"]
        conn.execute(sa.update(book).where(book.c.title == "two").values(pages=5))
        conn.commit()
        assert conn.execute(sa.select(book.c.pages).where(book.c.title == "two")).scalar_one() == 5
    Base.metadata.drop_all(engine)
    assert not sa.inspect(engine).has_table(f"sa_book_{suffix}")


def test_orm_unit_of_work_pg8000(pg_server) -> None:
    _unit_of_work(sa.create_engine(_url(pg_server, "pg8000")), "p8")


def test_orm_unit_of_work_psycopg(pg_server, dsn) -> None:
    # psycopg's type lookup at connect time runs inside a savepoint
    missing = _missing(dsn, "begin; savepoint s; release savepoint s; commit")
    if missing:
        pytest.skip(f"SQL layer lacks SAVEPOINT ({missing})")
    _unit_of_work(sa.create_engine(_url(pg_server, "psycopg")), "pg")


def test_reflection_of_tables_columns_and_foreign_keys(pg_server, dsn) -> None:
    engine = sa.create_engine(_url(pg_server, "pg8000"))
    with engine.begin() as conn:
        conn.exec_driver_sql("drop table if exists rf_child")
        conn.exec_driver_sql("drop table if exists rf_parent")
        conn.exec_driver_sql("create table rf_parent (id int primary key, name varchar(20) not null, "
                             "price numeric(10,2) default 0)")
        conn.exec_driver_sql("create table rf_child (id int primary key, parent_id int references rf_parent(id) "
                             "on delete cascade, note text)")
    insp = sa.inspect(engine)
    assert {"rf_parent", "rf_child"} <= set(insp.get_table_names())
    cols = {c["name"]: c for c in insp.get_columns("rf_parent")}
    assert list(cols) == ["id", "name", "price"]
    assert isinstance(cols["id"]["type"], sa.INTEGER) and not cols["id"]["nullable"]
    assert isinstance(cols["name"]["type"], sa.VARCHAR) and cols["name"]["type"].length == 20
    assert isinstance(cols["price"]["type"], sa.NUMERIC) and (cols["price"]["type"].precision,
                                                              cols["price"]["type"].scale) == (10, 2)
    assert cols["price"]["default"] == "0" and cols["price"]["nullable"]
    fks = insp.get_foreign_keys("rf_child")
    assert [(f["constrained_columns"], f["referred_table"], f["referred_columns"]) for f in fks] == [
        (["parent_id"], "rf_parent", ["id"])]
    assert fks[0]["options"].get("ondelete", "").upper() == "CASCADE"


def test_reflection_of_keys_and_indexes(pg_server, dsn) -> None:
    engine = sa.create_engine(_url(pg_server, "pg8000"))
    with engine.begin() as conn:
        conn.exec_driver_sql("drop table if exists rk_t")
        conn.exec_driver_sql("create table rk_t (id int primary key, code text unique, v int)")
        conn.exec_driver_sql("create index rk_t_v on rk_t (v)")
    insp = sa.inspect(engine)
    assert insp.get_pk_constraint("rk_t")["constrained_columns"] == ["id"]
    assert [u["column_names"] for u in insp.get_unique_constraints("rk_t")] == [["code"]]
    # PostgreSQL lists the unique constraint's index too, marked as duplicating the constraint
    assert [(i["name"], i["column_names"], i.get("duplicates_constraint")) for i in insp.get_indexes("rk_t")] == [
        ("rk_t_code_key", ["code"], "rk_t_code_key"), ("rk_t_v", ["v"], None)]
    table = sa.Table("rk_t", sa.MetaData(), autoload_with=engine)
    assert [c.name for c in table.columns] == ["id", "code", "v"] and table.c.id.primary_key
