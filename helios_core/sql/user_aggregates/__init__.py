"""User-defined aggregates (CREATE / DROP / ALTER AGGREGATE) and their use in queries.

- ``syntax``: the statements' grammar (new-style ``name (args) (options)`` and old-style
  ``name (BASETYPE = ..., options)``).
- ``support``: finding the state, final and other support functions an aggregate names
  (user functions, or the built-in ones PostgreSQL's catalog offers under their pg_proc names).
- ``statements``: running the statements; an aggregate is a routine record of kind "a" in the
  catalog's "function" entries, so overloads, pg_proc and ALTER reach it like any routine.
- ``calls``: an aggregate call compiled for one query, folding its groups' rows through the
  state function (all groups together, one row of each per step) and the final function.
"""
