"""The PostgreSQL extensions HeliosDB provides (catalog: which exist, CREATE/DROP EXTENSION) and
their functions (pg_trgm, pgcrypto, uuid_ossp), callable once the extension is installed."""
