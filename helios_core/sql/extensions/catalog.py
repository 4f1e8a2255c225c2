"""Which extensions HeliosDB provides, which a database has installed, and CREATE/DROP EXTENSION.

An extension's functions exist for a branch only once CREATE EXTENSION installed it there, as
in PostgreSQL (before it, ``similarity('a', 'b')`` is 42883). A name HeliosDB does not provide
gets PostgreSQL 15's answer for an extension that is not installed on the server (0A000).
"""

from __future__ import annotations

import re
from typing import Any

import attrs

from helios_core.errors import (
    DuplicateObject,
    FeatureNotSupported,
    HeliosError,
    SyntaxError_,
    UndefinedFunction,
    UndefinedObject,
)
from helios_core.session import Result
from helios_core.sql.catalog_views.model import (
    PG_CATALOG_OID,
    _catalog_list,
    namespace_oid,
    role_oid,
    stable_oid,
)
from helios_core.sql.extensions import pg_trgm, pgcrypto, uuid_ossp  # noqa: F401  (their functions register)
from helios_core.sql.extensions.citext import column_is_citext
from helios_core.sql.extensions.hstore import FUNCTIONS as HSTORE_FUNCTIONS
from helios_core.sql.extensions.hstore_type import column_is_hstore


@attrs.frozen
class Extension:
    name: str
    version: str
    comment: str
    functions: tuple[str, ...] = ()
    relocatable: bool = True


PROVIDED = {e.name: e for e in (
    Extension("plpgsql", "1.0", "PL/pgSQL procedural language", relocatable=False),
    Extension("pg_trgm", "1.6", "text similarity measurement and index searching based on trigrams",
              ("similarity", "word_similarity", "strict_word_similarity", "show_trgm", "similarity_dist")),
    Extension("citext", "1.6", "data type for case-insensitive character strings"),
    Extension("hstore", "1.8", "data type for storing sets of (key, value) pairs", HSTORE_FUNCTIONS),
    # its operator classes let EXCLUDE USING gist compare plain scalars with = (sql.exclusion_constraints)
    Extension("btree_gist", "1.7", "support for indexing common datatypes in GiST"),
    Extension("pgcrypto", "1.3", "cryptographic functions",
              ("digest", "hmac", "crypt", "gen_salt", "gen_random_bytes")),
    Extension("uuid-ossp", "1.1", "generate universally unique identifiers (UUIDs)",
              ("uuid_generate_v1", "uuid_generate_v1mc", "uuid_generate_v3", "uuid_generate_v4",
               "uuid_generate_v5", "uuid_nil", "uuid_ns_dns", "uuid_ns_url", "uuid_ns_oid", "uuid_ns_x500")),
)}
_EXTENSION_OF = {f: e.name for e in PROVIDED.values() for f in e.functions}
_BUILT_IN = {"plpgsql"}  # installed in every database, as in PostgreSQL's template1


def installed(txn: Any, name: str) -> dict | None:
    if name in _BUILT_IN:
        return {"name": name, "version": PROVIDED[name].version, "schema": "pg_catalog"}
    try:
        return txn.catalog_get("extension", name)
    except Exception:  # noqa: BLE001 - a catalog without the kind yet
        return None


def all_installed(txn: Any) -> list[dict]:
    recs = [installed(txn, n) for n in sorted(_BUILT_IN)]
    recs += [v for _k, v in sorted(_catalog_list(txn, "extension").items())]
    return [r for r in recs if r is not None]


def check_function(ctx: Any, name: str, arg_types: list[Any]) -> None:
    """42883 for an extension's function while the extension is not installed."""
    ext = _EXTENSION_OF.get(name)
    if ext is None or ctx is None or getattr(ctx, "txn", None) is None or installed(ctx.txn, ext) is not None:
        return
    sig = ", ".join(t.sql_name() for t in arg_types)
    raise UndefinedFunction(f"function {name}({sig}) does not exist",
                            hint="No function matches the given name and argument types. You might need to "
                                 "add explicit type casts.")


def trigram_matching(ctx: Any) -> bool:
    """``text % text`` means a trigram match where pg_trgm is installed."""
    txn = getattr(ctx, "txn", None)
    return txn is not None and installed(txn, "pg_trgm") is not None


def create(session: Any, a: dict) -> Result:
    txn = session.tx.current()
    name = a["name"]
    if installed(txn, name) is not None:
        if a["if"]:
            return Result(command_tag="CREATE EXTENSION", notices=[f'extension "{name}" already exists, skipping'])
        raise DuplicateObject(f'extension "{name}" already exists')
    ext = PROVIDED.get(name)
    if ext is None:
        raise FeatureNotSupported(
            f'extension "{name}" is not available',
            detail=f'Could not open extension control file "/usr/share/postgresql/15/extension/{name}.control": '
                   "No such file or directory.",
            hint="The extension must first be installed on the system where PostgreSQL is running.")
    schema = a.get("schema") or session.current_schema(txn)
    txn.catalog_put("extension", name, {"name": name, "version": ext.version, "schema": schema,
                                        "owner": session.user})
    return Result(command_tag="CREATE EXTENSION")


def drop(session: Any, a: dict) -> Result:
    txn = session.tx.current()
    name = a["name"]
    if name in _BUILT_IN:
        raise HeliosError(f'cannot drop extension {name} because other objects depend on it', sqlstate="2BP01")
    if installed(txn, name) is None:
        if a["if"]:
            return Result(command_tag="DROP EXTENSION", notices=[f'extension "{name}" does not exist, skipping'])
        raise UndefinedObject(f'extension "{name}" does not exist')
    if name == "citext":
        _refuse_while_columns_of_type(txn, a, name, column_is_citext)
    if name == "hstore":
        _refuse_while_columns_of_type(txn, a, name, column_is_hstore)
    txn.catalog_delete("extension", name)
    return Result(command_tag="DROP EXTENSION")


def _refuse_while_columns_of_type(txn: Any, a: dict, name: str, of_type: Any) -> None:
    """2BP01 while a table column is of the extension's type (CASCADE would drop the column)."""
    users = [f"column {c.name} of table {t.name}" for t in txn.list_tables() for c in t.columns if of_type(c)]
    if not users:
        return
    if a.get("cascade"):
        raise FeatureNotSupported(f"DROP EXTENSION {name} ... CASCADE is not supported by HeliosDB: drop or "
                                  f"alter the columns that use type {name} first ({users[0]})")
    raise HeliosError(f"cannot drop extension {name} because other objects depend on it",
                      sqlstate="2BP01", detail="\n".join(f"{u} depends on type {name}" for u in users),
                      hint="Use DROP ... CASCADE to drop the dependent objects too.")


_COMMENT = re.compile(r"""\s*ON\s+EXTENSION\s+("[^"]+"|[\w-]+)\s+IS\s+(NULL|'(?:[^']|'')*')\s*;?\s*$""",
                      re.IGNORECASE | re.DOTALL)


def comment(session: Any, rest: str) -> Result:
    """COMMENT ON EXTENSION name IS '...' | NULL (pg_dump writes one per extension)."""
    m = _COMMENT.match(rest)
    if m is None:
        raise SyntaxError_("syntax error in COMMENT ON EXTENSION")
    name = m.group(1)[1:-1] if m.group(1).startswith('"') else m.group(1).lower()
    txn = session.tx.current()
    if installed(txn, name) is None:
        raise UndefinedObject(f'extension "{name}" does not exist')
    key = f"extension:{name}"
    txn.catalog_comment(key, None if m.group(2).upper() == "NULL" else m.group(2)[1:-1].replace("''", "'"))
    return Result(command_tag="COMMENT")


def description_rows(txn: Any) -> list[tuple]:
    """pg_description rows of the installed extensions: COMMENT ON EXTENSION's text, else the
    extension's own comment (what CREATE EXTENSION sets in PostgreSQL)."""
    rows = []
    for oid, name, *_ in extension_rows(txn):
        own = txn.catalog_get("comment", f"extension:{name}") if txn is not None else None
        text = own["text"] if own is not None else (PROVIDED[name].comment if name in PROVIDED else None)
        if text:
            rows.append((oid, 3079, 0, text))  # classoid: pg_extension
    return rows


def available_rows(txn: Any) -> list[tuple]:
    """pg_available_extensions: name, default_version, installed_version, comment."""
    return [(e.name, e.version, (installed(txn, e.name) or {}).get("version"), e.comment)
            for e in sorted(PROVIDED.values(), key=lambda e: e.name)]


def extension_rows(txn: Any) -> list[tuple]:
    """pg_extension: oid, extname, extowner, extnamespace, extrelocatable, extversion, extconfig, extcondition."""
    out = []
    for rec in all_installed(txn):
        ext = PROVIDED.get(rec["name"])
        schema = rec.get("schema") or "public"
        out.append((13_500 if rec["name"] == "plpgsql" else stable_oid("extension", rec["name"]), rec["name"],
                    role_oid(rec.get("owner") or "helios"),
                    PG_CATALOG_OID if schema == "pg_catalog" else namespace_oid(schema),
                    bool(ext.relocatable) if ext else False, rec.get("version") or "1.0", None, None))
    return out
