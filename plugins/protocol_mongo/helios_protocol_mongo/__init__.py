"""MongoDB wire protocol for HeliosDB: each collection is a SQL table ``db.coll (_id jsonb, doc jsonb)``."""
