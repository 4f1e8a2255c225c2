"""HeliosDB's SQL engine: PostgreSQL's dialect parsed with sqlglot, executed over Arrow.

Statements and sessions (dialect, session_impl, ddl, dml, copy, transactions, settings,
sequences, constraints, prepared, virtual_tables) sit on top of the query layer (context,
planner, expr, operators) and the types/functions layer (types, functions).
"""
