"""A routine as the catalog keeps it: catalog kind "function", key "schema.name", value
``{"overloads": [record, ...]}`` (PostgreSQL allows one name with different argument types).

A record is a plain dict (it is versioned catalog data of the branch)::

    {"schema", "name", "kind": "f" | "p", "language": "sql" | "plpgsql", "body": text,
     "args": [{"name", "type", "mode": "i" | "o" | "b" | "v", "default"}],
     "returns": type name ("void" for none), "returns_set": bool,
     "out_columns": [[name, type], ...]  (RETURNS TABLE or OUT parameters),
     "volatility": "v" | "s" | "i", "strict": bool, "security_definer": bool, "owner": role}
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import Any

import attrs

from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.sql import types as T
from helios_core.sql.routines import polymorphic

KIND = "function"


class UndefinedFunction(HeliosError):
    sqlstate = "42883"


@attrs.define
class Routine:
    """A routine record with its types resolved."""

    record: dict
    # concrete types of the signature's polymorphic pseudo-types for one call (polymorphic.bind)
    bound: dict = attrs.field(factory=dict, eq=False)

    def type_of(self, name: str) -> T.SqlType:
        """A declared type name as this call sees it (a pseudo-type replaced by its binding)."""
        if self.bound and name in self.bound:
            return self.bound[name]
        return resolve_type(name)

    @property
    def schema(self) -> str:
        return self.record["schema"]

    @property
    def name(self) -> str:
        return self.record["name"]

    @property
    def is_procedure(self) -> bool:
        return self.record["kind"] == "p"

    @property
    def language(self) -> str:
        return self.record["language"]

    @property
    def body(self) -> str:
        return self.record["body"]

    @property
    def strict(self) -> bool:
        return bool(self.record.get("strict"))

    @property
    def volatility(self) -> str:
        return self.record.get("volatility", "v")

    @property
    def returns_set(self) -> bool:
        return bool(self.record.get("returns_set"))

    @property
    def in_args(self) -> list[dict]:
        """Arguments a call passes (IN, INOUT, VARIADIC; and OUT for a procedure, whose CALL names a
        place for each output, as in PostgreSQL 14 and later)."""
        return [a for a in self.record["args"] if a["mode"] in call_modes(self.record)]

    @property
    def identity_types(self) -> list[T.SqlType]:
        """The types that tell overloads apart: IN, INOUT and VARIADIC (a procedure's OUT ones too are
        in its calls, not in its identity)."""
        return [self.type_of(a["type"]) for a in self.record["args"] if a["mode"] in ("i", "b", "v")]

    @property
    def in_types(self) -> list[T.SqlType]:
        return [self.type_of(a["type"]) for a in self.in_args]

    @property
    def return_type(self) -> T.SqlType | None:
        """The scalar result type; None for a procedure or a routine returning rows of columns."""
        if self.out_columns:
            return None
        name = self.record.get("returns") or "void"
        return self.type_of(name)

    @property
    def out_columns(self) -> list[tuple[str, T.SqlType]]:
        """Columns of the result rows (RETURNS TABLE, or OUT/INOUT parameters), [] otherwise."""
        return [(n, self.type_of(t)) for n, t in self.record.get("out_columns") or []]

    @property
    def variadic(self) -> bool:
        """The last argument is VARIADIC: the call's trailing arguments make up its array."""
        args = self.in_args
        return bool(args) and args[-1]["mode"] == "v"

    def takes(self, arg_count: int) -> bool:
        return self.min_args <= arg_count and (arg_count <= len(self.in_args) or self.variadic)

    @property
    def min_args(self) -> int:
        return sum(1 for a in self.in_args if a.get("default") is None)

    def signature(self) -> str:
        """name(type, ...) as PostgreSQL's messages name a routine."""
        return f"{self.name}({', '.join(a['type'] for a in self.in_args)})"


def call_modes(record: dict) -> tuple[str, ...]:
    """The argument modes of a call's argument list (a routine's identity is its IN, INOUT and
    VARIADIC types alone, as PostgreSQL's proargtypes)."""
    return ("i", "b", "v", "o") if record.get("kind") == "p" else ("i", "b", "v")


def resolve_type(name: str) -> T.SqlType:
    pseudo = polymorphic.pseudo_type(name)
    if pseudo is not None:
        return pseudo
    if name in ("void", "trigger", "event_trigger"):
        return T.type_from_name("void") if name == "void" else T.TEXT
    return T.type_from_name(name)


# DROP FUNCTION/AGGREGATE name(types): a type that does not exist is kept as written, for the
# statement to answer as PostgreSQL does when it runs ('type "x" does not exist[, skipping]')
_KEEP_UNKNOWN_TYPES: contextvars.ContextVar[bool] = contextvars.ContextVar("keep_unknown_types", default=False)


@contextlib.contextmanager
def keeping_unknown_types() -> Iterator[None]:
    token = _KEEP_UNKNOWN_TYPES.set(True)
    try:
        yield
    finally:
        _KEEP_UNKNOWN_TYPES.reset(token)


def type_spelling(text: str) -> str:
    """A signature's type as written, checked and spelled as format_type does (%TYPE is PL/pgSQL's only)."""
    if "%" in text:
        raise FeatureNotSupported(f"type reference {text} is not supported in a routine signature")
    written = text.strip()
    if written.lower() in ("void", "trigger", "event_trigger"):
        return written.lower()
    try:
        t = resolve_type(written)
    except HeliosError as e:
        if e.sqlstate != "42704" or not _KEEP_UNKNOWN_TYPES.get():
            raise
        return written
    name = t.name if t.name in polymorphic.PSEUDO else t.sql_name()
    # format_type's spelling where it reads back as the same type ("character" would be char(1))
    return name if resolve_type(name) == t else written.lower()


def overloads(txn: Any, schema: str, name: str) -> list[dict]:
    value = txn.catalog_get(KIND, f"{schema}.{name}") if txn is not None else None
    return list((value or {}).get("overloads") or [])


def same_arguments(a: dict, b: dict) -> bool:
    """Two records have the same identity (PostgreSQL's: the IN argument types)."""
    def key(r: dict) -> list[str]:
        return [resolve_type(x["type"]).sql_name() for x in r["args"] if x["mode"] in ("i", "b", "v")]

    return key(a) == key(b)


def find(session: Any, txn: Any, dotted: str, arg_count: int | None = None, *,
         procedure: bool | None = None) -> list[Routine]:
    """Routines of that name (searched along search_path unless qualified) taking ``arg_count`` arguments."""
    if "." in dotted:
        schema, name = dotted.split(".", 1)
        schemas = [schema]
    else:
        name = dotted
        schemas = [s for s in session.search_path() if not s.startswith("pg_temp")]
    for schema in schemas:
        found = [Routine(r) for r in overloads(txn, schema, name)]
        if procedure is not None:
            found = [r for r in found if r.is_procedure == procedure]
        if arg_count is not None:
            found = [r for r in found if r.takes(arg_count)]
        if found:
            return found
    return []


def choose(candidates: list[Routine], arg_types: list[T.SqlType]) -> Routine | None:
    """The overload that fits the argument types best: exact type names first, then the first
    whose parameters the arguments can be cast to (untyped literals fit anything). A polymorphic
    one comes back bound to the call's types (polymorphic.bind), or does not fit."""
    fitting = []
    for r in candidates:
        declared = [a["type"] for a in r.in_args]
        if any(polymorphic.is_polymorphic(d) for d in declared):
            bound = polymorphic.bind(declared, arg_types)
            if bound is None:
                continue
            r = Routine(r.record, bound)
        fitting.append(r)
    if len(fitting) <= 1:
        return fitting[0] if fitting else None

    def score(r: Routine) -> int:
        out = 0
        for have, want in zip(arg_types, r.in_types, strict=False):
            if have.name == want.name or (have.name == "unknown" and want.name == "text"):
                out += 2  # an untyped literal prefers text, PostgreSQL's preferred string type
            elif have.name == "unknown" or (_numeric(have) and _numeric(want)):
                out += 1
            else:
                return -1
        return out

    ranked = sorted(fitting, key=score, reverse=True)
    best = score(ranked[0])
    if best < 0:
        return None
    tied = [r for r in ranked if score(r) == best]
    n = len(arg_types)
    if len(tied) > 1 and all(r.in_types[:n] == tied[0].in_types[:n] for r in tied):
        # the same parameters for the arguments given, the rest defaults: PostgreSQL cannot choose either
        raise HeliosError(f"function {tied[0].name}({', '.join(t.sql_name() for t in arg_types)}) is not unique",
                          sqlstate="42725", hint="Could not choose a best candidate function. You might need to "
                                                 "add explicit type casts.")
    return ranked[0]


def _numeric(t: T.SqlType) -> bool:
    return t.name in ("int2", "int4", "int8", "numeric", "float4", "float8")
