"""The OID alias types' names: regclass, regtype, regproc, regprocedure, regoper, regoperator,
regnamespace, regrole and regcollation read a catalog object's name and store its OID.

Their text input and output need the running session's catalog, which the type I/O modules below
cannot see, so this module installs the lookups into ``text_in.OID_ALIAS_INPUT`` and
``text_out.OID_ALIAS_OUTPUT``. Input raises PostgreSQL's error for a name that names nothing (42P01,
42883, 42704, 3F000 for a qualifier that is no schema, 42602 for a malformed name); the
``to_reg*`` functions are the same lookups that answer NULL instead (the malformed-name error stays).

Built-in functions and operators are not catalog rows here: a function signature exists when the
function registry accepts arguments of those types, an operator when the expression layer does,
and both get deterministic OIDs (``proc_oids``) that are remembered for the way back.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from helios_core.errors import HeliosError
from helios_core.hookspecs import SqlFunction
from helios_core.sql import functions as F
from helios_core.sql import types as T
from helios_core.sql.catalog_views import builtin_routines
from helios_core.sql.catalog_views import functions as cv
from helios_core.sql.catalog_views.model import namespace_oid, role_oid
from helios_core.sql.catalog_views.pg_catalog import COLLATION_OIDS
from helios_core.sql.functions import operators, proc_oids, text_in, text_out
from helios_core.sql.functions.vec import Vec
from helios_core.sql.routines import definition
from helios_core.sql.routines import regproc as routine_names

# ------------------------------------------------------------------------------------------- names


def _invalid_name() -> HeliosError:
    return HeliosError("invalid name syntax", sqlstate="42602")


def split_name(text: str) -> list[str]:
    """A possibly qualified, possibly quoted name as its parts (unquoted parts folded to lower case)."""
    parts: list[str] = []
    i, s = 0, text.strip()
    while True:
        if i < len(s) and s[i] == '"':
            j, cur = i + 1, ""
            while True:
                k = s.find('"', j)
                if k < 0:
                    raise HeliosError("invalid name syntax", sqlstate="42602")
                cur += s[j:k]
                if k + 1 < len(s) and s[k + 1] == '"':
                    cur += '"'
                    j = k + 2
                    continue
                i = k + 1
                break
            if not cur:
                raise HeliosError("invalid name syntax", sqlstate="42602")
        else:
            j = i
            while j < len(s) and s[j] not in '."':
                j += 1
            cur = s[i:j].strip().lower()
            if not cur:
                raise HeliosError("invalid name syntax", sqlstate="42602")
            i = j
        parts.append(cur)
        while i < len(s) and s[i] == " ":
            i += 1
        if i >= len(s):
            return parts
        if s[i] != ".":
            raise HeliosError("invalid name syntax", sqlstate="42602")
        i += 1


def _quote(name: str) -> str:
    plain = name and (name[0].isalpha() or name[0] == "_") and all(
        c.isalnum() or c in "_$" for c in name) and name == name.lower()
    return name if plain else '"' + name.replace('"', '""') + '"'


def _schemas() -> set[str]:
    model = cv._model()
    return set(model.schemas) if model is not None else {"pg_catalog", "public"}


def _check_schema(schema: str) -> None:
    if schema != "pg_catalog" and schema not in _schemas():
        raise HeliosError(f'schema "{schema}" does not exist', sqlstate="3F000")


def _split_qualified(text: str, max_parts: int = 2) -> tuple[str | None, str]:
    parts = split_name(text)
    if len(parts) > max_parts:
        raise HeliosError(f"improper qualified name (too many dotted names): {text.strip()}", sqlstate="42601")
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


# ---------------------------------------------------------------------------- schemas, roles, collations

def namespace_in(text: str) -> int:
    parts = split_name(text)
    if len(parts) != 1:
        raise _invalid_name()
    if parts[0] not in _schemas():
        raise HeliosError(f'schema "{parts[0]}" does not exist', sqlstate="3F000")
    return namespace_oid(parts[0])


def namespace_out(oid: int) -> str | None:
    return next((_quote(n) for n in sorted(_schemas()) if namespace_oid(n) == oid), None)


def _engine() -> Any:
    return getattr(cv._session(), "engine", None)


def role_in(text: str) -> int:
    parts = split_name(text)
    if len(parts) != 1:
        raise _invalid_name()
    engine = _engine()
    if engine is not None and engine.get_role(parts[0]) is None:
        raise HeliosError(f'role "{parts[0]}" does not exist', sqlstate="42704")
    return role_oid(parts[0])


def role_out(oid: int) -> str | None:
    engine = _engine()
    names = list(engine.list_roles()) if engine is not None else []
    return next((_quote(n) for n in names if role_oid(n) == oid), None)


def _collation_oids() -> dict[str, int]:
    return COLLATION_OIDS


def collation_in(text: str) -> int:
    schema, name = _split_qualified(text, 3)
    if schema is not None:
        _check_schema(schema)
    oid = _collation_oids().get(name) if schema in (None, "pg_catalog") else None
    if oid is None:
        raise HeliosError(f'collation "{text.strip()}" for encoding "UTF8" does not exist', sqlstate="42704")
    return oid


def collation_out(oid: int) -> str | None:
    return next((_quote(n) for n, o in _collation_oids().items() if o == oid), None)


# --------------------------------------------------------------------------------- relations, types

def class_in(text: str) -> int:
    schema, _name = _split_qualified(text, 3)
    if schema is not None:
        _check_schema(schema)
    oid = cv.regclass_oid(text)
    if oid is None:
        raise HeliosError(f'relation "{text.strip()}" does not exist', sqlstate="42P01")
    return oid


def type_in(text: str) -> int:
    head = text.strip().split("(")[0].split("[")[0]
    if "." in head and not head.startswith('"'):
        schema = head.split(".")[0].strip().lower()
        _check_schema(schema)
        if schema == "pg_catalog":
            text = text.strip()[len(head.split(".")[0]) + 1:]
    pseudo = T.PSEUDO_TYPE_OIDS.get(text.strip().lower())
    if pseudo is not None:  # psql's \df filters on 'pg_catalog.trigger'::pg_catalog.regtype
        return pseudo
    try:
        return T.catalog_oid(T.type_from_name(text))
    except HeliosError:
        raise HeliosError(f'type "{text.strip()}" does not exist', sqlstate="42704") from None


# -------------------------------------------------------------------------------------- functions

_SIGNATURES: dict[int, str] = {}  # OID -> "name(argtypes)" of the signatures met


def proc_in(text: str) -> int:
    schema, _name = _split_qualified(text, 3)
    if schema is not None:
        _check_schema(schema)
    return routine_names.oid_of(text)


def _arg_types(text: str) -> tuple[str, list[T.SqlType]]:
    """'abs(numeric)' -> ('abs', [numeric]): the name part and the argument types."""
    open_at = text.find("(")
    if open_at < 0 or not text.rstrip().endswith(")"):
        raise HeliosError("expected a left parenthesis", sqlstate="22P02")
    inner = text[open_at + 1:text.rstrip().rindex(")")].strip()
    words = [w.strip() for w in _split_args(inner)] if inner else []
    types = []
    for w in words:
        try:
            types.append(T.type_from_name(w))
        except HeliosError:
            raise HeliosError(f'type "{w}" does not exist', sqlstate="42704") from None
    return text[:open_at].strip(), types


def _split_args(inner: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            out.append(cur)
            cur = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        cur += ch
    return [*out, cur]


def _empty(t: T.SqlType) -> Vec:
    return Vec(pa.array([], type=t.arrow_type), t, False)


def _accepts(call: Callable[[], Any]) -> bool:
    """Whether a function or operator takes these argument types: calling it on no rows fails
    with "does not exist" (or a type mismatch) only when it does not."""
    try:
        call()
    except HeliosError as e:
        return e.sqlstate not in ("42883", "42804", "42725")
    except Exception:  # noqa: BLE001 - any other failure on no rows: it took the types
        return True
    return True


def _builtin_signature(text: str) -> int | None:
    """The OID of the built-in pg_proc lists for 'name(type, ...)', pseudo-types ("any",
    anyelement, ...) included; None when it lists none."""
    open_at = text.find("(")
    schema, name = _split_qualified(text[:open_at], 3)
    if schema not in (None, "pg_catalog"):
        return None
    inner = text[open_at + 1:text.rstrip().rindex(")")].strip()
    oids = []
    for word in (w.strip() for w in _split_args(inner)) if inner else ():
        pseudo = builtin_routines.pseudo_type_oid(word)
        if pseudo is not None:
            oids.append(pseudo)
            continue
        try:
            oids.append(T.catalog_oid(T.type_from_name(word)))
        except HeliosError:
            return None
    listed = builtin_routines.find(name, tuple(oids))
    return listed.oid if listed is not None else None


def procedure_in(text: str) -> int:
    if "(" in text and text.rstrip().endswith(")"):
        found = _builtin_signature(text)
        if found is not None:
            return found
    name_text, types = _arg_types(text)
    schema, name = _split_qualified(name_text, 3)
    if schema is not None:
        _check_schema(schema)
    missing = HeliosError(f'function "{text.strip()}" does not exist', sqlstate="42883")
    session = cv._session()
    txn = getattr(getattr(session, "tx", None), "txn", None) if session is not None else None
    dotted = f"{schema}.{name}" if schema is not None else name
    if txn is not None:
        for r in definition.find(session, txn, dotted):
            if [p.name for p in r.in_types] == [t.name for t in types]:
                return int(r.record.get("oid") or 0)
    if schema not in (None, "pg_catalog"):
        raise missing
    if not F.has_function(name):
        raise missing
    if not _accepts(lambda: F.call_function(name, [_empty(t) for t in types])):
        raise missing
    oid = proc_oids.builtin_proc_oid(name)
    _SIGNATURES[oid] = f"{name}({','.join(t.sql_name() for t in types)})"
    return oid


def procedure_out(oid: int) -> str | None:
    listed = builtin_routines.by_oid().get(oid)
    if listed is not None:
        return builtin_routines.regprocedure_text(listed)
    if oid in _SIGNATURES:
        return _SIGNATURES[oid]
    session = cv._session()
    txn = getattr(getattr(session, "tx", None), "txn", None) if session is not None else None
    for value in (txn.catalog_list(definition.KIND).values() if txn is not None else ()):
        for record in value.get("overloads") or []:
            if int(record.get("oid") or 0) == oid:
                r = definition.Routine(record)
                return f"{r.name}({','.join(t.sql_name() for t in r.in_types)})"
    return None


# -------------------------------------------------------------------------------------- operators

# the prefix operators (PostgreSQL 15 has no postfix ones): symbol -> operand types
PREFIX_OPERATORS = {"||/": ("float8",), "|/": ("float8",), "@": ("int2", "int4", "int8", "float4", "float8", "numeric"),
                    "-": ("int2", "int4", "int8", "float4", "float8", "numeric", "interval"),
                    "+": ("int2", "int4", "int8", "float4", "float8", "numeric"), "~": ("int2", "int4", "int8")}
_PROBE_TYPES = ("int4", "int8", "numeric", "float8", "text", "bool", "date", "timestamp", "interval", "jsonb")
_OPERATORS: dict[int, tuple[str, str | None, str]] = {}  # OID -> (symbol, left type or None, right type)


def operator_oid(symbol: str, left: str | None, right: str) -> int:
    """A built-in operator's OID: PostgreSQL's for one pg_operator lists, else a deterministic one
    (remembered for output)."""
    try:
        listed = builtin_routines.find_operator(symbol, T.type_from_name(left).oid if left else 0,
                                                T.type_from_name(right).oid)
    except HeliosError:
        listed = None
    if listed is not None:
        return listed.oid
    oid = zlib.crc32(f"oper:{symbol}({left},{right})".encode()) % 16_000 + 1
    _OPERATORS.setdefault(oid, (symbol, left, right))
    return oid


def _binary_exists(symbol: str, left: T.SqlType, right: T.SqlType) -> bool:
    return _accepts(lambda: operators.binary_op(symbol, _empty(left), _empty(right)))


def _operator_name(text: str) -> tuple[str | None, str]:
    s = text.strip()
    head, dot, rest = s.partition(".")
    if dot and rest and (head.startswith('"') or head.replace("_", "a").isalnum()):
        return split_name(head)[0], rest.strip()
    return None, s


def oper_in(text: str) -> int:
    schema, symbol = _operator_name(text)
    if schema is not None:
        _check_schema(schema)
    missing = HeliosError(f"operator does not exist: {text.strip()}", sqlstate="42883")
    if schema not in (None, "pg_catalog"):
        raise missing
    prefix = PREFIX_OPERATORS.get(symbol, ())
    binary = any(_binary_exists(symbol, T.type_from_name(n), T.type_from_name(n)) for n in _PROBE_TYPES)
    if len(prefix) == 1 and not binary:
        return operator_oid(symbol, None, prefix[0])
    if prefix or binary:
        raise HeliosError(f"more than one operator named {text.strip()}", sqlstate="42725")
    raise missing


def oper_out(oid: int) -> str | None:
    listed = builtin_routines.operator_by_oid().get(oid)
    if listed is not None:
        return listed.name
    found = _OPERATORS.get(oid)
    return found[0] if found else None


def operator_in(text: str) -> int:
    name_text, types = _arg_types(text)
    missing = HeliosError(f"operator does not exist: {text.strip()}", sqlstate="42883")
    schema, symbol = _operator_name(name_text)
    if schema not in (None, "pg_catalog") or len(types) != 2:
        if len(types) != 2:
            raise HeliosError("expected two type names", sqlstate="22P02", hint="Use NONE to denote the missing "
                              "argument of a unary operator.")
        raise missing
    words = _split_args(text[text.find("(") + 1:text.rindex(")")])
    left_none = words[0].strip().lower() == "none"
    if left_none:
        if types[1].name not in PREFIX_OPERATORS.get(symbol, ()):
            raise missing
        return operator_oid(symbol, None, types[1].name)
    if not _binary_exists(symbol, types[0], types[1]):
        raise missing
    return operator_oid(symbol, types[0].name, types[1].name)


def operator_out(oid: int) -> str | None:
    listed = builtin_routines.operator_by_oid().get(oid)
    if listed is not None:
        left = "NONE" if listed.kind == "l" else builtin_routines.type_name(listed.left)
        return f"{listed.name}({left},{builtin_routines.type_name(listed.right)})"
    found = _OPERATORS.get(oid)
    if found is None:
        return None
    symbol, left, right = found
    left_text = "NONE" if left is None else T.type_from_name(left).sql_name()
    return f"{symbol}({left_text},{T.type_from_name(right).sql_name()})"


# ------------------------------------------------------------------------------------ installing

INPUTS: dict[str, Callable[[str], int]] = {
    "regclass": class_in, "regtype": type_in, "regproc": proc_in, "regprocedure": procedure_in,
    "regoper": oper_in, "regoperator": operator_in, "regnamespace": namespace_in, "regrole": role_in,
    "regcollation": collation_in,
}
OUTPUTS: dict[str, Callable[[int], str | None]] = {
    "regprocedure": procedure_out, "regoper": oper_out, "regoperator": operator_out,
    "regnamespace": namespace_out, "regrole": role_out, "regcollation": collation_out,
}
# the errors that make to_reg* answer NULL (a malformed name is still an error, as in PostgreSQL)
_NOT_FOUND = ("42P01", "42883", "42704", "3F000", "42725")


def _to_reg(type_name: str) -> Callable[[list[pa.Array]], pa.Array]:
    lookup = INPUTS[type_name]

    def one(text: str | None) -> int | None:
        if text is None:
            return None
        try:
            return lookup(text)
        except HeliosError as e:
            if e.sqlstate in _NOT_FOUND or (e.sqlstate == "22P02" and type_name in ("regoperator", "regprocedure")
                                            and "does not exist" in str(e)):
                return None
            raise

    def impl(args: list[pa.Array]) -> pa.Array:
        return pa.array([one(v) for v in args[0].cast(pa.string()).to_pylist()], pa.int64())

    return impl


def register() -> None:
    """Install the lookups into the type I/O and define to_regclass ... to_regcollation."""
    text_in.OID_ALIAS_INPUT.update(INPUTS)
    text_out.OID_ALIAS_OUTPUT.update(OUTPUTS)
    for type_name in INPUTS:
        F.register_function(SqlFunction(name=f"to_{type_name}", impl=_to_reg(type_name), return_type=type_name))


register()
