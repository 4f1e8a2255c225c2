"""pg_catalog and information_schema as virtual tables over the session's catalog.

Importing this package registers every table with ``helios_core.sql.virtual_tables``
(the planner resolves unqualified names in pg_catalog first, as PostgreSQL does) and
the catalog functions clients call (format_type, pg_table_is_visible, ...).
See ``model.py`` for how OIDs are assigned.
"""

from helios_core.sql.catalog_views import (  # noqa: F401
    activity_views,
    dependencies,
    foreign_data_catalog,
    information_schema,
    pg_catalog,
    session_objects,
)

try:
    from helios_core.sql.catalog_views import functions, oid_aliases, statement_statistics  # noqa: F401
except ImportError:  # the scalar function registry (helios_core.sql.functions) is not there yet
    functions = None  # type: ignore[assignment]
    statement_statistics = None  # type: ignore[assignment]
