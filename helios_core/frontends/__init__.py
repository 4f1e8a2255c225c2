"""Front ends: what a client sends becomes the kernel's one intermediate form, sqlglot trees.

``registry`` finds a dialect by name (``postgres`` is built in; plugins add theirs through the
``helios_sql_dialects`` hook); ``postgres/`` is the PostgreSQL front end: its grammar with our
own statements (branches, time travel, grants), placeholders, identifier case folding.
Front ends parse; they bind nothing: names and types are the planner's (``helios_core.sql``).
"""
