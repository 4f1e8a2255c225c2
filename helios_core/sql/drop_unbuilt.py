"""DROP of object kinds HeliosDB does not build: collations, conversions, text search objects,
operators, operator classes and families, languages, casts, rules, access methods, transforms,
event triggers, statistics objects (foreign-data wrappers, servers and foreign tables are built:
helios_core.sql.foreign_data answers their DROPs).

Nobody can make one (their CREATE is refused with 0A000), so a DROP finds only what is built in:
PostgreSQL's own objects that the catalogs list (the C collation, the sql language, the btree
access method, the simple dictionary...) cannot be dropped (2BP01, PostgreSQL's words); where the
built-in set is not listed here (built-in operators, casts between built-in types, built-in
operator classes and conversions) the DROP is refused with 0A000; anything else does not exist,
which is PostgreSQL's 42704 (or 42P01/3F000) or, with IF EXISTS, its "does not exist, skipping"
notice. Names are checked the way PostgreSQL checks them: a schema that does not exist, a type
that does not exist, an access method or a table that does not exist come first.
"""

from __future__ import annotations

import re
from typing import Any

from sqlglot.tokens import TokenType

from helios_core.errors import FeatureNotSupported, HeliosError, UndefinedObject, UndefinedTable
from helios_core.frontends.postgres.dialect import statement_cursor
from helios_core.session import Result
from helios_core.sql import types as T
from helios_core.sql.ddl import relation_kind
from helios_core.sql.grammar_type_names import grammar_type_name
from helios_core.sql.missing_schema import UNDEFINED_SCHEMA, missing_schema
from helios_core.sql.user_types import split_name
from helios_core.sql.virtual_tables import lookup_virtual_table

REQUIRED = "2BP01"

# the kinds, by the words after DROP: (message noun, built-in names that cannot be dropped)
_TEXT_SEARCH_LANGUAGES = (
    "arabic", "armenian", "basque", "catalan", "danish", "dutch", "english", "finnish", "french", "german",
    "greek", "hindi", "hungarian", "indonesian", "irish", "italian", "lithuanian", "nepali", "norwegian",
    "portuguese", "romanian", "russian", "serbian", "spanish", "swedish", "tamil", "turkish", "yiddish")
_NAMED_KINDS: dict[tuple[str, ...], tuple[str, frozenset[str]]] = {
    ("COLLATION",): ("collation", frozenset({"default", "C", "POSIX", "ucs_basic", "C.utf8"})),
    ("CONVERSION",): ("conversion", frozenset()),
    ("TEXT", "SEARCH", "PARSER"): ("text search parser", frozenset({"default"})),
    ("TEXT", "SEARCH", "DICTIONARY"): ("text search dictionary", frozenset(
        {"simple", *(f"{lang}_stem" for lang in _TEXT_SEARCH_LANGUAGES)})),
    ("TEXT", "SEARCH", "TEMPLATE"): ("text search template", frozenset(
        {"simple", "synonym", "thesaurus", "ispell", "snowball"})),
    ("TEXT", "SEARCH", "CONFIGURATION"): ("text search configuration", frozenset()),
    ("LANGUAGE",): ("language", frozenset({"internal", "c", "sql"})),
    ("PROCEDURAL", "LANGUAGE"): ("language", frozenset({"internal", "c", "sql"})),
    ("ACCESS", "METHOD"): ("access method", frozenset({"heap", "btree", "hash", "gist", "gin", "spgist", "brin"})),
    ("EVENT", "TRIGGER"): ("event trigger", frozenset()),
    ("STATISTICS",): ("statistics object", frozenset()),
}
_SCHEMA_KINDS = {"collation", "conversion", "text search parser", "text search dictionary",
                 "text search template", "text search configuration", "statistics object"}
_ACCESS_METHODS = _NAMED_KINDS[("ACCESS", "METHOD")][1]
_OTHER_KINDS = (("OPERATOR", "CLASS"), ("OPERATOR", "FAMILY"), ("OPERATOR",), ("CAST",), ("RULE",),
                ("TRANSFORM",))
# names that are PostgreSQL's built-in conversions (utf8_to_iso_8859_1, ...) or text search
# configurations (the search plugin may serve them): not listed in the catalogs, so refused
_BUILTIN_CONVERSION = re.compile(r"[a-z0-9_]+_to_[a-z0-9_]+")
_BUILTIN_CONFIGURATIONS = frozenset({"simple", *_TEXT_SEARCH_LANGUAGES})


def handles(word: str, rest: str) -> bool:
    """Is ``word rest`` a DROP of one of the kinds this module answers?"""
    if word != "DROP":
        return False
    words = [w.upper() for w in rest.split(None, 3)]
    return any(tuple(words[:len(k)]) == k for k in (*_NAMED_KINDS, *_OTHER_KINDS))


def execute(session: Any, text: str, offset: int) -> Result:
    c = statement_cursor(text, offset, 0)
    c.expect("DROP")
    txn = session.tx.current()
    for kind in _OTHER_KINDS:
        if c.accept(*kind):
            tag = "DROP " + " ".join(kind)
            return Result(command_tag=tag, notices=_OTHER_DROPS[kind](session, txn, c))
    for words, (noun, builtin) in _NAMED_KINDS.items():
        if c.accept(*words):
            tag = "DROP " + " ".join(w for w in words if w != "PROCEDURAL")
            return Result(command_tag=tag, notices=_drop_named(txn, c, noun, builtin))
    c.fail()
    raise AssertionError("unreachable")


def _if_exists(c: Any) -> bool:
    return c.accept("IF", "EXISTS")


def _behaviour(c: Any) -> None:
    """CASCADE | RESTRICT, then the end of the statement."""
    c.accept("CASCADE") or c.accept("RESTRICT")
    c.end()


def _missing(message: str, if_exists: bool, notices: list[str], sqlstate: str = "42704") -> None:
    """The object is not there: a notice with IF EXISTS, else the error."""
    if if_exists:
        notices.append(f"{message}, skipping")
        return
    raise HeliosError(message, sqlstate=sqlstate)


def _schema_missing(txn: Any, parts: list[str]) -> str | None:
    return missing_schema(txn, parts)


_RESERVED = frozenset({"default", "user", "all", "table", "order", "group", "check", "column", "select", "where"})


def _quoted(name: str) -> str:
    """An identifier as PostgreSQL's quote_identifier writes it into a message."""
    if re.fullmatch(r"[a-z_][a-z0-9_$]*", name) and name not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def _required(noun: str, name: str) -> HeliosError:
    return HeliosError(f"cannot drop {noun} {_quoted(name)} because it is required by the database system",
                       sqlstate=REQUIRED)


def _name_list(c: Any) -> list[list[str]]:
    """``name [, name ...]`` of a DROP: each name's qualified parts."""
    names = [c.name_parts()]
    while c.cur is not None and c.cur.token_type == TokenType.COMMA:
        c.accept_token()
        names.append(c.name_parts())
    return names


def _drop_named(txn: Any, c: Any, noun: str, builtin: frozenset[str]) -> list[str]:
    if_exists = _if_exists(c)
    names = _name_list(c)
    _behaviour(c)
    notices: list[str] = []
    for parts in names:
        schema = _schema_missing(txn, parts) if noun in _SCHEMA_KINDS else None
        if schema is not None:
            _missing(f'schema "{schema}" does not exist', if_exists, notices, UNDEFINED_SCHEMA)
            continue
        name = parts[-1]
        in_catalog = noun not in _SCHEMA_KINDS or len(parts) == 1 or parts[-2] == "pg_catalog"
        if in_catalog and name in builtin:
            if noun == "language" and name == "plpgsql":
                raise HeliosError("cannot drop language plpgsql because extension plpgsql requires it",
                                  sqlstate=REQUIRED, hint="You can drop extension plpgsql instead.")
            raise _required(noun, name)
        if noun == "language" and name == "plpgsql":
            raise HeliosError("cannot drop language plpgsql because extension plpgsql requires it",
                              sqlstate=REQUIRED, hint="You can drop extension plpgsql instead.")
        if in_catalog and ((noun == "conversion" and _BUILTIN_CONVERSION.fullmatch(name)) or (
                noun == "text search configuration" and name in _BUILTIN_CONFIGURATIONS)):
            raise FeatureNotSupported(f"DROP {noun.upper()} {name}: the built-in {noun}s cannot be dropped "
                                      "in HeliosDB")
        spelled = ".".join(parts)
        if noun == "collation" and not if_exists:
            _missing(f'collation "{spelled}" for encoding "UTF8" does not exist', False, notices)
        _missing(f'{noun} "{spelled}" does not exist', if_exists, notices)
    return notices


# ------------------------------------------------------------------------------ types in signatures

def _type_words(c: Any) -> str:
    """The source text of a type name, up to a ',' or ')' (or AS / LANGUAGE) at its level."""
    start = c.cur.start if c.cur is not None else None
    depth = 0
    end = None
    while c.cur is not None:
        t = c.cur
        if depth == 0 and (t.token_type in (TokenType.COMMA, TokenType.R_PAREN) or c.word() in ("AS", "LANGUAGE")):
            break
        depth += t.token_type == TokenType.L_PAREN
        depth -= t.token_type == TokenType.R_PAREN
        end = t.end
        c.accept_token()
    if start is None or end is None:
        c.fail()
    return c.text[start:end + 1]


class _Skip(Exception):
    """A name in the statement does not exist and IF EXISTS says to skip (the notice is given)."""


def _resolve_type(txn: Any, spelled: str, if_exists: bool, notices: list[str]) -> T.SqlType:
    """The type a signature names; its missing schema or missing type first (errors or skips)."""
    parts = split_name(re.sub(r"(\[\s*\d*\s*\])+$|\(.*\)$", "", spelled.strip()))
    schema = _schema_missing(txn, parts)
    if schema is not None:
        _missing(f'schema "{schema}" does not exist', if_exists, notices, UNDEFINED_SCHEMA)
        raise _Skip
    try:
        return T.type_from_name(spelled)
    except HeliosError as e:
        if e.sqlstate != "42704":
            raise
        _missing(f'type "{parts[-1] if parts else spelled}" does not exist', if_exists, notices)
        raise _Skip from None


# --------------------------------------------------------------------------------------- the others

# PostgreSQL's built-in operator names: a DROP of one of them over built-in types is refused
_BUILTIN_OPERATORS = frozenset(["+", "-", "*", "/", "%", "^", "=", "<>", "!=", "<", ">", "<=", ">=", "||", "!", "!!", "@", "#", "&", "|", "~", "<<", ">>", "<<=", ">>=", "~~", "!~~", "~~*", "!~~*", "~*", "!~", "~=", "@>", "<@", "&&", "->", "->>", "#>", "#>>", "?", "?|", "?&", "@?", "@@", "@@@", "<->", "|/", "||/", "<^", ">^", "?#", "?-", "?-|", "?||", "@-@", "&<", "&>", "<<|", "|>>", "&<|", "|&>", "##", "-|-", "*=", "*<>", "*<", "*>", "*<=", "*>=", "#-", "#=", "|&|"])


def _drop_operators(session: Any, txn: Any, c: Any) -> list[str]:
    """DROP OPERATOR [IF EXISTS] name (left | NONE, right) [, ...]."""
    if_exists = _if_exists(c)
    signatures = []
    while True:
        parts = _operator_name(c)
        c.accept_token()  # (
        args = [None if c.accept("NONE") else _type_words(c)]
        if c.cur is None or c.cur.token_type != TokenType.COMMA:
            raise HeliosError("missing argument", sqlstate="42601", position=c.offset + (
                c.cur.start if c.cur is not None else len(c.text)) + 1,
                hint="Use NONE to denote the missing argument of a unary operator.")
        c.accept_token()
        args.append(None if c.accept("NONE") else _type_words(c))
        if c.list_goes_on():
            c.fail()
        signatures.append((parts, args))
        if c.cur is None or c.cur.token_type != TokenType.COMMA:
            break
        c.accept_token()
    _behaviour(c)
    notices: list[str] = []
    for parts, args in signatures:
        spelled = ".".join(parts)
        schema = _schema_missing(txn, parts)
        if schema is not None:
            _missing(f'schema "{schema}" does not exist', if_exists, notices, UNDEFINED_SCHEMA)
            continue
        try:
            types = [None if a is None else _resolve_type(txn, a, if_exists, notices) for a in args]
        except _Skip:
            continue
        if parts[-1] in _BUILTIN_OPERATORS and (len(parts) == 1 or parts[0] == "pg_catalog") and \
                any(t is not None and t.oid < 16384 for t in types):
            raise FeatureNotSupported(f"DROP OPERATOR {spelled}: the built-in operators cannot be dropped in HeliosDB")
        if if_exists:
            notices.append(f"operator {spelled} does not exist, skipping")
            continue
        shown = " ".join(x for x in (types[0].sql_name() if types[0] else None, spelled,
                                     types[1].sql_name() if types[1] else None) if x)
        raise UndefinedFunctionOperator(f"operator does not exist: {shown}")
    return notices


class UndefinedFunctionOperator(HeliosError):
    sqlstate = "42883"


_OPERATOR_NAME = re.compile(r'(?:("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)\s*\.\s*)?(\S+)')


def _operator_name(c: Any) -> list[str]:
    """``[schema.]symbol`` up to the ( of the argument types, as its parts."""
    if c.cur is None:
        c.fail()
    start = c.cur.start
    while c.cur is not None and c.cur.token_type != TokenType.L_PAREN:
        c.accept_token()
    if c.cur is None:
        c.fail()
    m = _OPERATOR_NAME.fullmatch(c.text[start:c.cur.start].strip())
    if m is None:
        c.fail()
    schema = m.group(1)
    if schema is None:
        return [m.group(2)]
    return [schema[1:-1].replace('""', '"') if schema.startswith('"') else schema.lower(), m.group(2)]


def _drop_cast(session: Any, txn: Any, c: Any) -> list[str]:
    """DROP CAST [IF EXISTS] (source AS target)."""
    if_exists = _if_exists(c)
    if c.cur is None or c.cur.token_type != TokenType.L_PAREN:
        c.fail()
    c.accept_token()
    source = _type_words(c)
    c.expect("AS")
    target = _type_words(c)
    if c.list_goes_on():
        c.fail()
    _behaviour(c)
    notices: list[str] = []
    try:
        s = _resolve_type(txn, source, if_exists, notices)
        t = _resolve_type(txn, target, if_exists, notices)
    except _Skip:
        return notices
    if s != t and s.oid < 16384 and t.oid < 16384:
        raise FeatureNotSupported(f"DROP CAST ({s.sql_name()} AS {t.sql_name()}): the casts between built-in "
                                  "types cannot be dropped in HeliosDB")
    _missing(f"cast from type {s.sql_name()} to type {t.sql_name()} does not exist", if_exists, notices)
    return notices


def _access_method(c: Any) -> str:
    c.expect("USING")
    am = c.name()
    _behaviour(c)
    if am not in _ACCESS_METHODS or am == "heap":
        raise UndefinedObject(f'access method "{am}" does not exist')
    return am


def _drop_opclass(noun: str) -> Any:
    def drop(session: Any, txn: Any, c: Any) -> list[str]:
        """DROP OPERATOR CLASS | FAMILY [IF EXISTS] name USING method."""
        if_exists = _if_exists(c)
        parts = c.name_parts()
        am = _access_method(c)
        notices: list[str] = []
        schema = _schema_missing(txn, parts)
        if schema is not None:
            _missing(f'schema "{schema}" does not exist', if_exists, notices, UNDEFINED_SCHEMA)
            return notices
        if parts[-1].endswith("_ops") and (len(parts) == 1 or parts[0] == "pg_catalog"):
            raise FeatureNotSupported(f"DROP {noun.upper()} {parts[-1]}: the built-in {noun}es cannot be dropped "
                                      "in HeliosDB".replace("familyes", "families"))
        _missing(f'{noun} "{".".join(parts)}" does not exist for access method "{am}"', if_exists, notices)
        return notices
    return drop


def _relation(session: Any, txn: Any, parts: list[str], if_exists: bool, notices: list[str]) -> Any:
    """(schema, name, kind) of a relation a statement names, or raise / skip when it is missing."""
    schema = _schema_missing(txn, parts)
    if schema is not None:
        _missing(f'schema "{schema}" does not exist', if_exists, notices, UNDEFINED_SCHEMA)
        raise _Skip
    schemas = [parts[-2]] if len(parts) > 1 else [*session.search_path(), "pg_catalog"]
    for s in schemas:
        kind = relation_kind(txn, s, parts[-1])
        if kind is not None:
            return s, parts[-1], kind
    if schemas[-1] == "pg_catalog" and _is_catalog_table(parts[-1]):
        return "pg_catalog", parts[-1], "table"
    _missing(f'relation "{".".join(parts)}" does not exist', if_exists, notices, UndefinedTable.sqlstate)
    raise _Skip


def _is_catalog_table(name: str) -> bool:
    return lookup_virtual_table("pg_catalog", name) is not None


def _drop_rule(session: Any, txn: Any, c: Any) -> list[str]:
    """DROP RULE [IF EXISTS] name ON table."""
    if_exists = _if_exists(c)
    name = c.name()
    c.expect("ON")
    parts = c.name_parts()
    _behaviour(c)
    notices: list[str] = []
    try:
        _schema, table, _kind = _relation(session, txn, parts, if_exists, notices)
    except _Skip:
        return notices
    _missing(f'rule "{name}" for relation "{table}" does not exist', if_exists, notices)
    return notices


def _drop_transform(session: Any, txn: Any, c: Any) -> list[str]:
    """DROP TRANSFORM [IF EXISTS] FOR type LANGUAGE lang."""
    if_exists = _if_exists(c)
    c.expect("FOR")
    spelled = _type_words(c)
    c.expect("LANGUAGE")
    lang = c.name()
    _behaviour(c)
    notices: list[str] = []
    try:
        t = _resolve_type(txn, spelled, if_exists, notices)
    except _Skip:
        return notices
    shown = grammar_type_name(spelled) if if_exists else t.sql_name()
    _missing(f'transform for type {shown} language "{lang}" does not exist', if_exists, notices)
    return notices



_OTHER_DROPS = {
    ("OPERATOR", "CLASS"): _drop_opclass("operator class"),
    ("OPERATOR", "FAMILY"): _drop_opclass("operator family"),
    ("OPERATOR",): _drop_operators,
    ("CAST",): _drop_cast,
    ("RULE",): _drop_rule,
    ("TRANSFORM",): _drop_transform,
}
