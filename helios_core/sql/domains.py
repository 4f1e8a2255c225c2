"""Domains (CREATE/ALTER/DROP DOMAIN): a base type with NOT NULL, CHECK constraints and a default.

A domain is a catalog record of kind "domain" in the "type" namespace (beside enums). Its
SqlType is its base type carrying a ``types.DomainInfo``: values are stored and computed as the
base type (so every operator and function of the base applies, and the wire shows the base
type's OID as PostgreSQL does), while casts to the domain (``x::d``, ``CAST``) and new rows of
tables whose columns are declared with it run the domain's checks: 23502 ``domain d does not
allow null values``, 23514 ``value for domain d violates check constraint "c"``.
Table columns keep the domain's name in their metadata ("domain"), so ALTER DOMAIN's new
constraints apply to them (existing rows are checked first, as PostgreSQL does).
"""

from __future__ import annotations

import re
from typing import Any

import attrs
import pyarrow as pa
import pyarrow.compute as pc

from helios_core.errors import (
    CheckViolation,
    DuplicateObject,
    FeatureNotSupported,
    HeliosError,
    NotNullViolation,
    UndefinedObject,
)
from helios_core.frontends.postgres.dialect import parse
from helios_core.session import Result
from helios_core.sql import composite_types, constraints, ddl, object_privileges, type_privileges, user_types
from helios_core.sql import types as T
from helios_core.sql.catalog_views.functions import ACTIVE_SESSION
from helios_core.sql.catalog_views.model import stable_oid
from helios_core.sql.expr import Scope, compile_scalar
from helios_core.sql.missing_schema import missing_schema
from helios_core.sql.user_types import split_name

_CLAUSE_WORDS = ("DEFAULT", "CONSTRAINT", "NOT", "NULL", "CHECK", "COLLATE")


# ----------------------------------------------------------------------------------- the types

def domain_type(rec: dict) -> T.SqlType:
    """The SqlType of a domain's catalog record: its base type carrying the domain."""
    base = T.type_from_name(rec["base"])
    info = T.DomainInfo(schema=rec["schema"], name=rec["name"], oid=stable_oid("type", f"{rec['schema']}.{rec['name']}"),
                        base=base, not_null=bool(rec.get("not_null")), default=rec.get("default"),
                        checks=tuple((c["name"], c["expr"]) for c in rec.get("checks", [])))
    return attrs.evolve(base, domain=info)


def check_values(t: T.SqlType, arr: pa.Array, shown: str | None = None) -> None:
    """Raise PostgreSQL's error for the first value of ``arr`` the domain of ``t`` refuses
    (a domain over a domain checks both, naming the outer one as PostgreSQL does)."""
    dom = t.domain
    if dom is None:
        return
    shown = shown or dom.name
    if dom.base.domain is not None:
        check_values(dom.base, arr, shown)
    if dom.not_null and arr.null_count:
        raise NotNullViolation(f"domain {shown} does not allow null values")
    for name, expr in dom.checks:
        bad = _failing(dom, expr, arr)
        if bad is not None:
            raise CheckViolation(f'value for domain {shown} violates check constraint "{name}"',
                                 constraint_name=name)


def _failing(dom: T.DomainInfo, expr: str, arr: pa.Array) -> int | None:
    """Index of the first value for which the CHECK expression is false (NULL passes)."""
    session = ACTIVE_SESSION.get()
    if session is None or not len(arr):
        return None
    plain = attrs.evolve(dom.base, domain=None)
    ctx = session.context()
    tree = parse(f"select {expr}")[0].ast.expressions[0]
    scope = Scope.of_table("", [("value", plain)])
    compiled = compile_scalar(tree, scope, ctx)
    batch = pa.RecordBatch.from_arrays([arr.cast(plain.arrow_type) if arr.type != plain.arrow_type else arr],
                                       names=["value"])
    v = compiled.evaluate(batch, ctx)
    out = v.broadcast(batch.num_rows).array if v.scalar else v.array
    bad = pc.equal(out, False)
    if pc.any(bad).as_py():
        return pc.index(bad, True).as_py()
    return None


T.DOMAIN_CHECK = check_values
user_types.DOMAIN_TYPE[:] = [domain_type]


# ---------------------------------------------------------------------------------- statements

def handles(word: str, rest: str) -> bool:
    words = rest.split(None, 2)
    if word == "COMMENT":
        return len(words) > 1 and [w.upper() for w in words[:2]] == ["ON", "DOMAIN"]
    return bool(words) and words[0].upper() == "DOMAIN" and word in ("CREATE", "ALTER", "DROP")


def execute(session: Any, word: str, rest: str) -> Result:
    if word == "COMMENT":
        return _comment(session, rest.split(None, 2)[2])
    body = rest.split(None, 1)[1] if len(rest.split(None, 1)) > 1 else ""
    if word == "CREATE":
        return _create(session, body)
    if word == "DROP":
        return _drop(session, body)
    return _alter(session, body)


_NAME = r'(?:"(?:[^"]|"")*"|[^\s."(]+)(?:\s*\.\s*(?:"(?:[^"]|"")*"|[^\s."(]+))?'


def _split_top(text: str) -> list[str]:
    """Words and parenthesised groups of ``text`` at depth 0 (quotes respected)."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        j = i
        depth = 0
        while j < n and (depth or not text[j].isspace()):
            ch = text[j]
            if ch in "'\"":
                end = text.find(ch, j + 1)
                while end != -1 and end + 1 < n and text[end + 1] == ch:
                    end = text.find(ch, end + 2)
                j = n if end == -1 else end + 1
                continue
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            j += 1
        out.append(text[i:j])
        i = j
    return out


def _resolve(session: Any, txn: Any, spelling: str, missing_ok: bool = False) -> tuple[str, dict] | None:
    parts = split_name(spelling)
    if not parts:
        raise HeliosError(f'syntax error at or near "{spelling}"', sqlstate="42601")
    schemas = [parts[0]] if len(parts) == 2 else session.search_path()
    for schema in schemas:
        rec = txn.catalog_get("type", f"{schema}.{parts[-1]}")
        if rec is not None:
            if rec.get("kind") != "domain":
                raise HeliosError(f'"{parts[-1]}" is not a domain', sqlstate="42809")
            return f"{schema}.{parts[-1]}", rec
    if missing_ok:
        return None
    raise UndefinedObject(f'type "{parts[-1]}" does not exist')


def _create(session: Any, body: str) -> Result:
    m = re.match(rf"\s*({_NAME})\s+(?:AS\s+)?(.*)$", body, re.IGNORECASE | re.DOTALL)
    if m is None:
        raise HeliosError("syntax error in CREATE DOMAIN", sqlstate="42601")
    parts = split_name(m.group(1))
    txn = session.tx.current()
    schema = parts[0] if len(parts) == 2 else session.current_schema(txn)
    name = parts[-1]
    if hasattr(session, "engine"):  # CREATE on the schema (42501), as every CREATE in a schema
        object_privileges.check_create_in_schema(session, schema, txn)
    tokens = _split_top(m.group(2).rstrip().rstrip(";"))
    k = 0
    while k < len(tokens) and tokens[k].upper() not in _CLAUSE_WORDS and not tokens[k].upper().startswith("CHECK("):
        k += 1
    type_text = " ".join(tokens[:k])
    if not type_text:
        raise HeliosError("syntax error in CREATE DOMAIN: no data type", sqlstate="42601")
    base = T.type_from_name(type_text)
    type_privileges.check_usage(session, base)  # 42501: a domain over a type the creator may not use
    rec: dict[str, Any] = {"schema": schema, "name": name, "kind": "domain", "base": _type_spelling(base),
                           "not_null": False, "default": None, "checks": [],
                           "owner": getattr(session, "user", None) or "helios"}
    rest = tokens[k:]
    i = 0
    cname = None
    while i < len(rest):
        w = rest[i].upper()
        if w == "COLLATE":
            i += 2
        elif w == "DEFAULT":
            j = i + 2
            while j < len(rest) and rest[j].upper() not in ("CONSTRAINT", "NOT", "CHECK") and not (
                    rest[j].upper() == "NULL" and j > i + 1):
                j += 1
            rec["default"] = " ".join(rest[i + 1:j])
            i = j
        elif w == "CONSTRAINT":
            cname = _unquote(rest[i + 1])
            i += 2
            continue
        elif w == "NOT" and i + 1 < len(rest) and rest[i + 1].upper() == "NULL":
            rec["not_null"] = True
            i += 2
        elif w == "NULL":
            i += 1
        elif w == "CHECK" or w.startswith("CHECK("):
            expr = rest[i][5:] if w != "CHECK" else rest[i + 1]
            i += 1 if w != "CHECK" else 2
            rec["checks"].append({"name": cname or _check_name(name, rec["checks"]), "expr": _strip_parens(expr)})
        else:
            raise HeliosError(f'syntax error at or near "{rest[i]}"', sqlstate="42601")
        cname = None
    key = f"{schema}.{name}"
    if txn.catalog_get("type", key) is not None or T.type_exists_builtin(name):
        raise DuplicateObject(f'type "{name}" already exists')
    for c in rec["checks"]:
        _validate_expr(c["expr"], base)
    rec["acl"] = type_privileges.default_acl(session, txn, schema, name)
    txn.catalog_put("type", key, rec)
    return Result(command_tag="CREATE DOMAIN")


def _type_spelling(t: T.SqlType) -> str:
    if t.domain is not None:
        return f'"{t.domain.schema}"."{t.domain.name}"'
    return t.sql_name()


def _unquote(s: str) -> str:
    return s[1:-1].replace('""', '"') if s.startswith('"') else s.lower()


def _strip_parens(s: str) -> str:
    s = s.strip()
    return s[1:-1].strip() if s.startswith("(") and s.endswith(")") else s


def _check_name(domain: str, existing: list[dict]) -> str:
    base = f"{domain}_check"
    names = {c["name"] for c in existing}
    if base not in names:
        return base
    n = 1
    while f"{base}{n}" in names:
        n += 1
    return f"{base}{n}"


def _validate_expr(expr: str, base: T.SqlType) -> None:
    """Compile the CHECK expression once over the base type (42703 and friends at CREATE time)."""
    session = ACTIVE_SESSION.get()
    if session is None:
        return
    tree = parse(f"select {expr}")[0].ast.expressions[0]
    compile_scalar(tree, Scope.of_table("", [("value", attrs.evolve(base, domain=None))]), session.context())


def _users(txn: Any, key: str) -> list[tuple[Any, Any]]:
    return [(tb, c) for tb in txn.list_tables() for c in tb.columns
            if constraints.column_metadata(tb, c.name).get("domain") == key]


def _dependent_domains(txn: Any, key: str) -> list[str]:
    schema, name = key.split(".", 1)
    spelled = f'"{schema}"."{name}"'
    return [k for k, rec in txn.catalog_list("type").items()
            if rec.get("kind") == "domain" and rec.get("base", "").startswith(spelled)]


def _dependents(txn: Any, key: str) -> list[tuple[str, Any, Any]]:
    """What depends on domain ``key``, in PostgreSQL's order: each domain over it followed by its own
    dependents, then the columns declared with it. Items: ("type", key, None) or ("column", table, column)."""
    out: list[tuple[str, Any, Any]] = []
    for d in _dependent_domains(txn, key):
        out.append(("type", d, key))
        out.extend(_dependents(txn, d))
    out.extend(("column", tb, c) for tb, c in _users(txn, key))
    schema, name = key.split(".", 1)
    spelled = f'"{schema}"."{name}"'
    out.extend(("type", k, key) for k, rec in sorted(txn.catalog_list("type").items())
               if rec.get("kind") == "range" and rec.get("subtype") == spelled)  # CREATE TYPE ... AS RANGE's
    return out


def _users_deep(txn: Any, key: str) -> list[tuple[Any, Any]]:
    """The columns declared with the domain or with a domain over it."""
    return [(tb, c) for kind, tb, c in _dependents(txn, key) if kind == "column"]


def _describe(item: tuple[str, Any, Any], key_of_column: Any) -> tuple[str, str]:
    """(what, the type it depends on) of a dependent."""
    kind, a, b = item
    if kind == "type":
        return f"type {a.split('.', 1)[1]}", b.split(".", 1)[1]
    return f"column {b.name} of table {a.name}", key_of_column(a, b).split(".", 1)[1]


def _drop(session: Any, body: str) -> Result:
    tokens = _split_top(body.rstrip().rstrip(";"))
    if_exists = len(tokens) >= 2 and tokens[0].upper() == "IF" and tokens[1].upper() == "EXISTS"
    if if_exists:
        tokens = tokens[2:]
    cascade = bool(tokens) and tokens[-1].upper() == "CASCADE"
    if tokens and tokens[-1].upper() in ("CASCADE", "RESTRICT"):
        tokens = tokens[:-1]
    names = [n.strip() for n in " ".join(tokens).split(",") if n.strip()]
    txn = session.tx.current()
    notices: list[Any] = []
    targets = []
    for spelling in names:
        no_schema = missing_schema(txn, split_name(spelling))
        if no_schema is not None:
            if not if_exists:
                raise HeliosError(f'schema "{no_schema}" does not exist', sqlstate="3F000")
            notices.append(f'schema "{no_schema}" does not exist, skipping')
            continue
        found = _resolve(session, txn, spelling, missing_ok=if_exists)
        if found is None:
            notices.append(f'type "{split_name(spelling)[-1]}" does not exist, skipping')
            continue
        targets.append(found)
    dropped = {k for k, _ in targets}
    lines: list[str] = []
    deps: list[tuple[str, Any, Any]] = []
    for key, _rec in targets:
        for item in _dependents(txn, key):
            if item[0] == "type" and item[1] in dropped:
                continue
            deps.append(item)
            what, on = _describe(item, lambda tb, c: constraints.column_metadata(tb, c.name)["domain"])
            lines.append(f"{what} depends on type {on}")
    if deps and not cascade:
        first = targets[0][1]["name"]
        message = f"cannot drop type {first} because other objects depend on it" if len(names) == 1 else \
            "cannot drop desired object(s) because other objects depend on them"
        raise HeliosError(message, sqlstate="2BP01", detail="\n".join(lines),
                          hint="Use DROP ... CASCADE to drop the dependent objects too.")
    cascaded = []
    for item in deps:
        what, _on = _describe(item, lambda tb, c: constraints.column_metadata(tb, c.name)["domain"])
        cascaded.append(f"drop cascades to {what}")
    for kind, a, b in reversed(deps):
        if kind == "column":
            txn.alter_table(a.schema, a.name, drop_column=b.name)
        else:
            _drop_type_record(txn, a)
    for key, _rec in targets:
        txn.catalog_delete("type", key)
    notices.extend(_cascade_notice(cascaded))
    return Result(command_tag="DROP DOMAIN", notices=notices)


def _drop_type_record(txn: Any, key: str) -> None:
    """A dependent type's catalog record; a range type takes its multirange type along, and is
    refused while columns hold its values."""
    rec = txn.catalog_get("type", key) or {}
    if rec.get("kind") == "range":
        if composite_types.dependents(txn, key)[0]:
            raise HeliosError(f"dropping range type {rec['name']} while columns use it is not supported",
                              sqlstate="0A000", hint=f"Drop the columns of type {rec['name']} first.")
        txn.catalog_delete("type", f"{rec['multirange_schema']}.{rec['multirange_name']}")
    txn.catalog_delete("type", key)


def _cascade_notice(lines: list[str]) -> list[Any]:
    """PostgreSQL's NOTICE for what a CASCADE took along: one line, or a count and the list."""
    if len(lines) <= 1:
        return list(lines)
    notice = HeliosError(f"drop cascades to {len(lines)} other objects", sqlstate="00000", detail="\n".join(lines))
    notice.severity = "NOTICE"
    return [notice]


def _alter(session: Any, body: str) -> Result:
    m = re.match(rf"\s*({_NAME})\s+(.*)$", body.rstrip().rstrip(";"), re.IGNORECASE | re.DOTALL)
    if m is None:
        raise HeliosError("syntax error in ALTER DOMAIN", sqlstate="42601")
    txn = session.tx.current()
    key, rec = _resolve(session, txn, m.group(1))  # type: ignore[misc]
    rec = dict(rec)
    tokens = _split_top(m.group(2))
    words = [t.upper() for t in tokens]
    notices: list[str] = []
    if words[:2] == ["SET", "DEFAULT"]:
        rec["default"] = " ".join(tokens[2:])
    elif words[:2] == ["DROP", "DEFAULT"]:
        rec["default"] = None
    elif words[:3] == ["SET", "NOT", "NULL"]:
        for tb, c in _users_deep(txn, key):
            if _has_nulls(txn, tb, c.name):
                raise HeliosError(f'column "{c.name}" of table "{tb.name}" contains null values', sqlstate="23502")
        rec["not_null"] = True
    elif words[:3] == ["DROP", "NOT", "NULL"]:
        rec["not_null"] = False
    elif words[:1] == ["ADD"]:
        i = 1
        cname = None
        if words[i:i + 1] == ["CONSTRAINT"]:
            cname = _unquote(tokens[i + 1])
            i += 2
        not_valid = words[-2:] == ["NOT", "VALID"]
        if words[i:i + 2] == ["NOT", "NULL"]:
            return _alter(session, f"{m.group(1)} SET NOT NULL")
        if not (words[i] == "CHECK" or words[i].startswith("CHECK(")):
            raise FeatureNotSupported(f"ALTER DOMAIN ADD {tokens[i]} is not supported")
        expr = _strip_parens(tokens[i + 1] if words[i] == "CHECK" else tokens[i][5:])
        checks = list(rec.get("checks", []))
        name = cname or _check_name(rec["name"], checks)
        if any(c["name"] == name for c in checks):
            raise DuplicateObject(f'constraint "{name}" for domain "{rec["name"]}" already exists')
        base = T.type_from_name(rec["base"])
        _validate_expr(expr, base)
        if not not_valid:
            _check_existing(txn, key, rec, name, expr)
        checks.append({"name": name, "expr": expr, **({"not_valid": True} if not_valid else {})})
        rec["checks"] = checks
    elif words[:2] == ["DROP", "CONSTRAINT"]:
        rest = tokens[2:]
        if_exists = [w.upper() for w in rest[:2]] == ["IF", "EXISTS"]
        if if_exists:
            rest = rest[2:]
        name = _unquote(rest[0])
        checks = [c for c in rec.get("checks", []) if c["name"] != name]
        if len(checks) == len(rec.get("checks", [])):
            if not if_exists:
                raise UndefinedObject(f'constraint "{name}" of domain "{rec["name"]}" does not exist')
            notices.append(f'constraint "{name}" of domain "{rec["name"]}" does not exist, skipping')
        rec["checks"] = checks
    elif words[:2] == ["VALIDATE", "CONSTRAINT"]:
        name = _unquote(tokens[2])
        found = [c for c in rec.get("checks", []) if c["name"] == name]
        if not found:
            raise UndefinedObject(f'constraint "{name}" of domain "{rec["name"]}" does not exist')
        _check_existing(txn, key, rec, name, found[0]["expr"])
        rec["checks"] = [{k: v for k, v in c.items() if k != "not_valid"} for c in rec["checks"]]
    elif words[:2] == ["RENAME", "TO"]:
        new = _unquote(tokens[2])
        new_key = f"{rec['schema']}.{new}"
        if txn.catalog_get("type", new_key) is not None:
            raise DuplicateObject(f'type "{new}" already exists')
        txn.catalog_delete("type", key)
        rec["name"] = new
        txn.catalog_put("type", new_key, rec)
        for tb, c in _users(txn, key):
            md = dict(constraints.column_metadata(tb, c.name))
            md["domain"] = new_key
            md["sql_type"] = new
            ddl._set_column_metadata(txn, tb, c.name, md)
        return Result(command_tag="ALTER DOMAIN", notices=notices)
    elif words[:2] == ["OWNER", "TO"]:
        rec["owner"] = _unquote(tokens[2])
    elif words[:2] == ["RENAME", "CONSTRAINT"]:
        old, new = _unquote(tokens[2]), _unquote(tokens[4])
        rec["checks"] = [{**c, "name": new} if c["name"] == old else c for c in rec.get("checks", [])]
    else:
        raise FeatureNotSupported(f"ALTER DOMAIN {' '.join(tokens[:2])} is not supported")
    txn.catalog_put("type", key, rec)
    return Result(command_tag="ALTER DOMAIN", notices=notices)


def _comment(session: Any, body: str) -> Result:
    m = re.match(rf"\s*({_NAME})\s+IS\s+(NULL|'(?:[^']|'')*')\s*;?\s*$", body, re.IGNORECASE | re.DOTALL)
    if m is None:
        raise HeliosError("syntax error in COMMENT ON DOMAIN", sqlstate="42601")
    txn = session.tx.current()
    key, rec = _resolve(session, txn, m.group(1))  # type: ignore[misc]
    text = m.group(2)
    rec = dict(rec)
    rec["comment"] = None if text.upper() == "NULL" else text[1:-1].replace("''", "'")
    txn.catalog_put("type", key, rec)
    return Result(command_tag="COMMENT")


def _check_existing(txn: Any, key: str, rec: dict, name: str, expr: str) -> None:
    """A new (or validated) CHECK against the rows of the columns declared with the domain."""
    probe = domain_type({**rec, "checks": [{"name": name, "expr": expr}], "not_null": False})
    probe = attrs.evolve(probe, domain=attrs.evolve(probe.domain, base=T.without_domain(probe.domain.base)))
    for tb, c in _users_deep(txn, key):
        for b in txn.scan(tb.schema, tb.name, columns=[c.name]):
            try:
                check_values(probe, b.column(0))
            except CheckViolation:
                raise CheckViolation(f'column "{c.name}" of table "{tb.name}" contains values that violate the '
                                     "new constraint") from None


def _has_nulls(txn: Any, tb: Any, col: str) -> bool:
    return any(b.column(0).null_count for b in txn.scan(tb.schema, tb.name, columns=[col]))
