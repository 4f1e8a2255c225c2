"""Triggers: CREATE/DROP TRIGGER (``syntax``, ``statements``) and running them around the rows a
statement writes (``firing``). They are kept with their table (helios_core.sql.triggers_catalog).

Built: BEFORE/AFTER, FOR EACH ROW/STATEMENT, INSERT/UPDATE [OF columns]/DELETE/TRUNCATE, WHEN, PL/pgSQL
trigger functions with NEW, OLD, TG_OP, TG_WHEN, TG_LEVEL, TG_NAME, TG_TABLE_NAME,
TG_TABLE_SCHEMA, TG_ARGV, TG_NARGS. Refused (0A000, named): INSTEAD OF, TRUNCATE FOR EACH ROW,
transition tables (REFERENCING), constraint triggers, and statements that would run around
triggers without firing them (MERGE, COPY FROM, INSERT ... ON CONFLICT on a table with triggers).
"""
