"""How PostgreSQL prints a routine's signature: pg_get_function_arguments,
pg_get_function_identity_arguments and pg_get_function_result (psql's \\df, pg_dump)."""

from __future__ import annotations

from typing import Any

from helios_core.frontends.postgres import dialect
from helios_core.sql.functions.strings import quote_ident
from helios_core.sql.routines.definition import KIND, Routine

_MODE_WORD = {"i": "", "o": "OUT ", "b": "INOUT ", "v": "VARIADIC "}


def routine_by_oid(txn: Any, oid: int) -> Routine | None:
    if txn is None:
        return None
    for value in (txn.catalog_list(KIND) or {}).values():
        for record in (value or {}).get("overloads") or []:
            if int(record.get("oid") or 0) == int(oid):
                return Routine(record)
    return None


def _arg(a: dict, with_default: bool, procedure: bool) -> str:
    name = f'{a["name"]} ' if a.get("name") else ""
    mode = "IN " if procedure and a["mode"] == "i" else _MODE_WORD[a["mode"]]  # procedures say IN
    text = f'{mode}{name}{a["type"]}'
    if with_default and a.get("default") is not None:
        text += f' DEFAULT {a["default"]}'
    return text


def arguments(routine: Routine) -> str:
    return ", ".join(_arg(a, True, routine.is_procedure) for a in routine.record["args"])


def identity_arguments(routine: Routine) -> str:
    return ", ".join(_arg(a, False, routine.is_procedure) for a in routine.record["args"])


def result(routine: Routine) -> str | None:
    if routine.is_procedure:
        return None
    record = routine.record
    outs = [a for a in record["args"] if a["mode"] in ("o", "b")]
    if record.get("out_columns") and not outs and record.get("returns") == "record":
        cols = ", ".join(f"{n} {t}" for n, t in record["out_columns"])
        return f"TABLE({cols})"
    returns = record.get("returns") or "void"
    if record.get("returns_set"):
        return f"SETOF {returns}"
    return returns


def _quoted(name: str) -> str:
    plain = name.isidentifier() and name == name.lower()
    return name if plain else '"' + name.replace('"', '""') + '"'


def definition(routine: Routine) -> str:
    """pg_get_functiondef: the CREATE OR REPLACE statement PostgreSQL prints for the routine
    (qualified name, RETURNS, LANGUAGE, the options that differ from the defaults, a dollar-quoted
    body whose tag does not occur in it)."""
    noun = "PROCEDURE" if routine.is_procedure else "FUNCTION"
    out = [f"CREATE OR REPLACE {noun} {_quoted(routine.schema)}.{_quoted(routine.name)}({arguments(routine)})\n"]
    if not routine.is_procedure:
        out.append(f" RETURNS {result(routine)}\n")
    out.append(f" LANGUAGE {routine.language}\n")
    record = routine.record
    options = {"i": " IMMUTABLE", "s": " STABLE"}.get(routine.volatility, "")
    options += {"s": " PARALLEL SAFE", "r": " PARALLEL RESTRICTED"}.get(record.get("parallel") or "u", "")
    options += " STRICT" if routine.strict else ""
    options += " SECURITY DEFINER" if record.get("security_definer") else ""
    options += " LEAKPROOF" if record.get("leakproof") else ""
    if record.get("cost") is not None and float(record["cost"]) != 100.0:
        options += f" COST {float(record['cost']):g}"
    if record.get("rows") is not None and float(record["rows"]) != 1000.0:
        options += f" ROWS {float(record['rows']):g}"
    if options:
        out.append(options + "\n")
    for c in record.get("config") or []:
        values = _config_values(c)
        out.append(f" SET {c['name']} TO {', '.join(_literal(v) for v in values)}\n")
    if record.get("sql_body") == "return":  # SQL-standard bodies print as written, not dollar-quoted
        out.append(f"RETURN {routine.body.removeprefix('SELECT ').strip()}\n")
        return "".join(out)
    if record.get("sql_body") == "atomic":
        statements = [st.text.strip() for st in dialect.parse(routine.body)] if routine.body else []
        out.append("BEGIN ATOMIC\n" + "".join(f" {st};\n" for st in statements) + "END\n")
        return "".join(out)
    tag = "$" + noun.lower()
    while tag + "$" in routine.body:
        tag += "x"
    out.append(f"AS {tag}${routine.body}{tag}$\n")
    return "".join(out)


# settings whose value is a list of names (PostgreSQL's GUC_LIST_QUOTE ones)
_LIST_SETTINGS = ("search_path", "temp_tablespaces", "session_preload_libraries", "local_preload_libraries")


def _config_values(c: dict) -> list[str]:
    if c["name"] in _LIST_SETTINGS and c.get("values") is not None:
        return list(c["values"])
    return [c["value"] if c["value"] is not None else "DEFAULT"]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def config_entries(record: dict) -> list[str] | None:
    """pg_proc.proconfig: ``name=value`` per SET clause of the routine (list settings' names quoted
    where a name needs it, as PostgreSQL flattens them)."""
    entries = []
    for c in record.get("config") or []:
        if c["name"] in _LIST_SETTINGS and c.get("values") is not None:
            entries.append(f"{c['name']}={', '.join(quote_ident(v) for v in c['values'])}")
        else:
            entries.append(f"{c['name']}={c['value']}")
    return entries or None
