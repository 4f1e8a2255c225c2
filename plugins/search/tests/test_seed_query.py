"""The WorkflowHub query: documents written with pymongo, searched and ranked with SQL full-text
search over generated columns and joined with a PostgreSQL table, in one statement.

The expected ranks are PostgreSQL 15's ts_rank of the same texts (0.5559057 and 0.09524299).
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from helios_core.testing import HeliosServer, installed_protocols, start_server

pymongo = pytest.importorskip("pymongo", reason="pymongo is needed to write the documents")
if "mongodb" not in installed_protocols():
    pytest.skip("the MongoDB protocol plugin (plugins/protocol_mongo) is not installed", allow_module_level=True)

SEED_QUERY = """
SELECT d.id, d.title, u.name AS author_name, ts_rank(d.content_tsv, to_tsquery('project & launch')) AS relevance
FROM app.documents d JOIN app.users u ON d.author_id = u.id
WHERE d.content_tsv @@ to_tsquery('project & launch') AND d.workspace_id = %s
ORDER BY relevance DESC LIMIT 20
"""

DOCUMENTS = [
    {"id": 1, "title": "Launch plan", "author_id": 1, "workspace_id": 7,
     "content": "The project launch is planned: launching the project next week, project launch party."},
    {"id": 2, "title": "Notes", "author_id": 2, "workspace_id": 7, "content": "Project notes without the other word."},
    {"id": 3, "title": "Elsewhere", "author_id": 1, "workspace_id": 8, "content": "project launch in another workspace"},
    {"id": 4, "title": "Brief", "author_id": 2, "workspace_id": 7, "content": "A launch of the new project."},
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeliosServer]:
    srv = start_server(tmp_path_factory.mktemp("seed"), {"search": {"default_text_search_config": "english"}},
                       only=["postgres", "mongodb"])
    try:
        yield srv
    finally:
        srv.stop()


def test_documents_from_mongodb_are_searched_ranked_and_joined(server):
    with psycopg.connect(server.pg_dsn(), autocommit=True) as pg:
        pg.execute("create schema app")
        pg.execute("create table app.users (id int primary key, name text)")
        pg.execute("insert into app.users values (1, 'Ada'), (2, 'Grace')")
        pg.execute("""create table app.documents (_id jsonb primary key, doc jsonb not null,
            id int generated always as ((doc->>'id')::int) stored,
            title text generated always as (doc->>'title') stored,
            author_id int generated always as ((doc->>'author_id')::int) stored,
            workspace_id int generated always as ((doc->>'workspace_id')::int) stored,
            content_tsv tsvector generated always as (to_tsvector('english', doc->>'content')) stored)""")
        pg.execute("create index documents_fts on app.documents using gin (content_tsv)")
        with pymongo.MongoClient(f"mongodb://127.0.0.1:{server.port('mongodb')}/") as mongo:
            mongo.app.documents.insert_many([dict(d) for d in DOCUMENTS])
            rows = pg.execute(SEED_QUERY, (7,)).fetchall()
            assert [(r[0], r[1], r[2]) for r in rows] == [(1, "Launch plan", "Ada"), (4, "Brief", "Grace")]
            assert [r[3] for r in rows] == [pytest.approx(0.5559057, rel=1e-6), pytest.approx(0.09524299, rel=1e-6)]
            plan = "\n".join(r[0] for r in pg.execute("explain " + SEED_QUERY, (7,)))
            assert "Bitmap Index Scan on documents_fts" in plan  # the GIN index finds the documents
            # a concurrent, uncommitted insert is not seen; once committed it is
            with psycopg.connect(server.pg_dsn()) as writer:
                late = '{"id": 5, "title": "Late", "author_id": 1, "workspace_id": 7, "content": "project launch"}'
                writer.execute("insert into app.documents (_id, doc) values ('5', %s)", (late,))
                assert [r[0] for r in pg.execute(SEED_QUERY, (7,)).fetchall()] == [1, 4]
                writer.commit()
            assert [r[0] for r in pg.execute(SEED_QUERY, (7,)).fetchall()] == [1, 5, 4]
            mongo.app.documents.delete_one({"id": 1})
            assert [r[0] for r in pg.execute(SEED_QUERY, (7,)).fetchall()] == [5, 4]


def test_generated_columns_added_to_a_collection_mongodb_created(server):
    """The other order: the collection exists first (pymongo made it), the generated columns and the
    index are added with ALTER TABLE, then the same query finds and ranks the documents; later
    inserts over MongoDB get their generated values too."""
    with pymongo.MongoClient(f"mongodb://127.0.0.1:{server.port('mongodb')}/") as mongo, \
            psycopg.connect(server.pg_dsn(), autocommit=True) as pg:
        mongo.app2.documents.insert_many([dict(d) for d in DOCUMENTS[:3]])
        pg.execute("create table app2.users (id int primary key, name text)")
        pg.execute("insert into app2.users values (1, 'Ada'), (2, 'Grace')")
        for column, expression in (("id", "(doc->>'id')::int"), ("title", "doc->>'title'"),
                                   ("author_id", "(doc->>'author_id')::int"),
                                   ("workspace_id", "(doc->>'workspace_id')::int"),
                                   ("content_tsv", "to_tsvector('english', doc->>'content')")):
            kind = "tsvector" if column == "content_tsv" else "text" if column == "title" else "int"
            pg.execute(f"alter table app2.documents add column {column} {kind} "
                       f"generated always as ({expression}) stored")
        pg.execute("create index documents2_fts on app2.documents using gin (content_tsv)")
        mongo.app2.documents.insert_one(dict(DOCUMENTS[3]))
        rows = pg.execute(SEED_QUERY.replace("app.", "app2."), (7,)).fetchall()
        assert [(r[0], r[1], r[2]) for r in rows] == [(1, "Launch plan", "Ada"), (4, "Brief", "Grace")]
        assert [r[3] for r in rows] == [pytest.approx(0.5559057, rel=1e-6), pytest.approx(0.09524299, rel=1e-6)]
        # the documents still read back whole over MongoDB
        assert mongo.app2.documents.find_one({"id": 2}, {"_id": 0}) == DOCUMENTS[1]
