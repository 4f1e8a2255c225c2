"""HeliosDB full-text search: PostgreSQL's tsvector/tsquery, configurations and ranking."""
