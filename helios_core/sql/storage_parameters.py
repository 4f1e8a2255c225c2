"""``CREATE TABLE ... WITH (name = value, ...)``: PostgreSQL's storage parameters.

They tune PostgreSQL's heap pages and its vacuum (fill factor, autovacuum thresholds,
TOAST); HeliosDB's segments and compaction have no such knobs, and no query answer
depends on them, so a valid one is accepted as PostgreSQL accepts it and kept where
PostgreSQL shows it (pg_class.reloptions, which pg_dump reads back into ``WITH (...)``). A name PostgreSQL
does not know is refused as it refuses it (22023 ``unrecognized parameter``) rather than
accepted and ignored.
"""

from __future__ import annotations

from sqlglot import exp

from helios_core import plugin_extensions
from helios_core.errors import HeliosError

_HEAP = {
    "fillfactor", "toast_tuple_target", "parallel_workers", "autovacuum_enabled", "vacuum_index_cleanup",
    "vacuum_truncate", "user_catalog_table", "log_autovacuum_min_duration",
    "autovacuum_vacuum_threshold", "autovacuum_vacuum_scale_factor", "autovacuum_vacuum_insert_threshold",
    "autovacuum_vacuum_insert_scale_factor", "autovacuum_analyze_threshold", "autovacuum_analyze_scale_factor",
    "autovacuum_vacuum_cost_delay", "autovacuum_vacuum_cost_limit", "autovacuum_freeze_min_age",
    "autovacuum_freeze_max_age", "autovacuum_freeze_table_age", "autovacuum_multixact_freeze_min_age",
    "autovacuum_multixact_freeze_max_age", "autovacuum_multixact_freeze_table_age",
}
# the toast. namespace takes the vacuum settings of the table's TOAST relation
_TOAST = {n for n in _HEAP if n.startswith(("autovacuum_", "vacuum_", "log_autovacuum"))}


def check_table_parameters(properties: exp.Properties | None) -> None:
    """Refuse a ``WITH (...)`` parameter PostgreSQL would not accept on a table."""
    for p in properties.expressions if properties is not None else []:
        if type(p) is not exp.Property:  # TEMPORARY, PARTITION BY ...: other clauses
            continue
        name = _name(p.this)
        namespace, _, bare = name.rpartition(".")
        known = _HEAP if not namespace else _TOAST if namespace == "toast" else set()
        if name == "oids":  # gone since PostgreSQL 12: only "false" (WITHOUT OIDS) is still taken
            if _is_false(p.args.get("value")):
                continue
            raise HeliosError("tables declared WITH OIDS are not supported", sqlstate="0A000")
        if namespace and namespace != "toast":
            raise HeliosError(f'unrecognized parameter namespace "{namespace}"', sqlstate="22023")
        if bare not in known:
            raise HeliosError(f'unrecognized parameter "{bare}"', sqlstate="22023")


TIERS = ("hot", "warm", "cold")


def tier_value(value: str | None) -> str:
    """The tier a ``tier = '...'`` option names (22023 for anything else)."""
    if value is None or value.lower() not in TIERS:
        raise HeliosError(f'invalid value for parameter "tier": "{value}"', sqlstate="22023",
                          hint="one of 'hot', 'warm', 'cold'")
    return value.lower()


def set_table_parameters(session: object, tdef: object, values: dict[str, str | None]) -> None:
    """``ALTER TABLE t SET (name = value, ...)``: a plugin's parameters (``helios_table_parameters``)
    go to the plugin that owns them; PostgreSQL's heap parameters are accepted as CREATE TABLE
    accepts them; any other name is 22023 as in PostgreSQL."""
    owned: dict[int, tuple[object, dict[str, str | None]]] = {}
    for name, value in values.items():
        owner = plugin_extensions.parameter_owner(name)
        if owner is not None:
            owned.setdefault(id(owner), (owner, {}))[1][name] = value
        elif name not in _HEAP:
            raise HeliosError(f'unrecognized parameter "{name}"', sqlstate="22023")
    for owner, mine in owned.values():
        owner.apply(session, tdef, mine)  # type: ignore[attr-defined]


def check_tablespace(properties: exp.Properties | None) -> None:
    """``TABLESPACE name``: HeliosDB has only the default tablespace (its tiers are chosen with
    ``tier``), so pg_default is where the table goes anyway and any other name does not exist."""
    for p in properties.expressions if properties is not None else []:
        if isinstance(p, exp.TableSpaceProperty):
            name = p.this.name
            if name == "pg_global":
                raise HeliosError("only shared relations can be placed in pg_global tablespace", sqlstate="22023")
            if name != "pg_default":
                raise HeliosError(f'tablespace "{name}" does not exist', sqlstate="42704")


def table_reloptions(properties: exp.Properties | None) -> list[str]:
    """``name=value`` of the table's own heap parameters in CREATE TABLE's ``WITH (...)``, as
    pg_class.reloptions lists them (``toast.`` ones belong to the TOAST table HeliosDB has not)."""
    out = []
    for p in properties.expressions if properties is not None else []:
        if type(p) is exp.Property and _name(p.this) in _HEAP:
            out.append(f"{_name(p.this)}={_value_text(p.args.get('value'))}")
    return out


def merged_reloptions(current: list[str], values: dict[str, str | None]) -> list[str]:
    """reloptions after ``ALTER TABLE ... SET (name = value, ...)`` of heap parameters (a parameter set
    again moves to the end, as PostgreSQL rewrites the list)."""
    mine = {name: f"{name}={'true' if value is None else value}" for name, value in values.items() if name in _HEAP}
    return [o for o in current if o.split("=", 1)[0] not in mine] + list(mine.values())


def reset_table_parameters(session: object, tdef: object, names: list[str]) -> list[str]:
    """``ALTER TABLE t RESET (name, ...)``: the reloptions left (a name nothing set is no error, as in
    PostgreSQL); a plugin's parameters are set back with SET, not RESET (0A000)."""
    owned = [n for n in names if plugin_extensions.parameter_owner(n) is not None]
    if owned:
        raise HeliosError(f'RESET of parameter "{owned[0]}" is not supported', sqlstate="0A000",
                          hint="Set it with ALTER TABLE ... SET (...).")
    return [o for o in (tdef.options.get("reloptions") or []) if o.split("=", 1)[0] not in names]  # type: ignore[attr-defined]


def value_text(value: exp.Expression | None) -> str:
    """A parameter's value as pg_class.reloptions writes it (true/false for booleans)."""
    return _value_text(value)


def _value_text(value: exp.Expression | None) -> str:
    if value is None:
        return "true"
    if isinstance(value, exp.Boolean):
        return "true" if value.this else "false"
    return value.name


def _is_false(value: exp.Expression | None) -> bool:
    if isinstance(value, exp.Boolean):
        return not value.this
    return value is not None and value.name.lower() in {"false", "off", "no", "0"}


def _name(node: exp.Expression) -> str:
    if isinstance(node, exp.Dot):
        return f"{_name(node.this)}.{_name(node.expression)}"
    return node.name.lower()
