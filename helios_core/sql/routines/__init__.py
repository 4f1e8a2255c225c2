"""User-defined functions and procedures (CREATE FUNCTION / PROCEDURE, CALL, DO).

- ``definition``: what a routine is and where the catalog keeps it (kind "function").
- ``syntax``: the statements' grammar (CREATE [OR REPLACE] FUNCTION/PROCEDURE, DROP, CALL, DO).
- ``statements``: running those statements.
- ``sql_language``: running a LANGUAGE sql body with its arguments.
- ``invoke``: calling a routine with argument values, whatever its language.
- ``planner_calls``: a call in a query (scalar, inlined when it can be, or a FROM item).

PL/pgSQL bodies are run by ``helios_core.plpgsql``.
"""
