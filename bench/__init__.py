"""HeliosDB benchmarks, run side by side with PostgreSQL 15 and DuckDB in one run.

Entry point: ``python -m bench`` (see bench/README.md). Never imported by the test suite.
"""
