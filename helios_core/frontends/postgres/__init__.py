"""The PostgreSQL front end: SQL text in PostgreSQL's grammar -> statements (sqlglot trees).

``dialect`` parses (our statements included); ``placeholders`` and ``unterminated`` tokenise
``$n`` and find unclosed quotes; ``identifier_case`` folds unquoted names; ``branch_syntax``,
``grant_syntax`` and ``time_travel_targets`` read and check our own and PostgreSQL's clauses.
"""
