"""CREATE DATABASE with PostgreSQL's options, as createdb and pg_dumpall write them.

A new database is always empty and UTF8 with the "C" collation: ``TEMPLATE template0``
or ``template1`` (both empty here) and the options that say what it is anyway are accepted;
an option asking for something else is refused with 0A000 naming it, never ignored::

    CREATE DATABASE shop WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = libc LOCALE = 'C'
"""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from helios_core import roles
from helios_core.engine import TEMPLATE_DATABASES
from helios_core.errors import FeatureNotSupported, HeliosError, InsufficientPrivilege, UndefinedObject
from helios_core.sql import ddl
from helios_core.sql import object_privileges as P

_UTF8 = {"utf8", "utf-8", "unicode"}
_C_LOCALES = {"c", "posix", "c.utf-8", "c.utf8"}
# option -> the values that describe what HeliosDB creates anyway
_ACCEPTED: dict[str, set[str]] = {
    "encoding": _UTF8 | {"6"},
    "locale": _C_LOCALES,
    "lc_collate": _C_LOCALES,
    "lc_ctype": _C_LOCALES,
    "locale_provider": {"libc"},
    "tablespace": {"pg_default"},
    "allow_connections": {"true", "on", "1", "yes"},
    "is_template": {"false", "off", "0", "no"},
    "connection_limit": {"-1"},
    "strategy": {"wal_log", "file_copy"},  # how a template is copied: an empty one either way
}
_WHY = {
    "tablespace": "HeliosDB has no tablespaces",
    "allow_connections": "every HeliosDB database accepts connections",
    "is_template": "HeliosDB databases are never templates",
    "connection_limit": "per-database connection limits are not implemented",
}


def create_database(session: Any, name: str, options: dict[str, str]) -> Any:
    """Check the options, create the database (privileges as for any CREATE), then apply OWNER."""
    owner = None
    for key, raw in options.items():
        value = str(raw).lower()
        if key == "owner":
            owner = raw if raw.upper() != "DEFAULT" else None
        elif key == "template":
            if value != "default" and raw not in TEMPLATE_DATABASES:
                if raw in session.engine.list_databases():
                    raise FeatureNotSupported(
                        f'CREATE DATABASE with TEMPLATE "{raw}" is not supported: new databases are empty',
                        hint="Use template0 or template1, or CREATE BRANCH to copy data within a database.",
                    )
                raise HeliosError(f'template database "{raw}" does not exist', sqlstate="3D000")
        elif key in _ACCEPTED:
            if value != "default" and value not in _ACCEPTED[key]:
                why = _WHY.get(key, "HeliosDB databases are UTF8 with the C collation")
                raise FeatureNotSupported(
                    f"CREATE DATABASE with {key.upper()} {raw} is not supported ({why})"
                )
        else:
            raise HeliosError(f'option "{key}" not recognized', sqlstate="42601")
    if owner is not None and session.engine.get_role(owner) is None:
        raise UndefinedObject(f'role "{owner}" does not exist')
    create = exp.Create(this=exp.Table(this=exp.to_identifier(name, quoted=True)), kind="DATABASE")
    result = ddl.execute(session, create, f"CREATE DATABASE {name}")
    if owner is not None:
        _set_owner(session, name, owner)
    return result


def _set_owner(session: Any, name: str, owner: str) -> None:
    """OWNER: a role the creator may act as (PostgreSQL's rule), recorded like ALTER DATABASE ... OWNER TO."""
    graph = roles.role_graph(session.engine)
    if not graph.is_superuser(session.user) and not graph.is_member_of(session.user, owner):
        raise InsufficientPrivilege(f'must be able to SET ROLE "{owner}"')
    P.put_database_record(session.engine, name, {**P.database_record(session.engine, name), "owner": owner})
