"""The grammar of CREATE FUNCTION / PROCEDURE, DROP FUNCTION / PROCEDURE / ROUTINE, CALL and DO.

Parsed over the utility parser's tokens (helios_core.frontends.postgres.dialect's cursor); each returns a
``Utility`` the session runs through ``helios_core.sql.routines.statements``. Options that
would change what a routine does and are not built are refused here (0A000, named).
"""

from __future__ import annotations

from typing import Any

from sqlglot.tokens import TokenType

from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.frontends.postgres import dialect
from helios_core.sql.routines.definition import keeping_unknown_types, resolve_type, type_spelling
from helios_core.sql.user_aggregates import syntax as aggregate_syntax

_MODES = {"IN": "i", "OUT": "o", "INOUT": "b", "VARIADIC": "v"}
_STRINGS = aggregate_syntax.STRINGS


def _span(c: Any, stop_words: set[str], stop_tokens: tuple = (TokenType.COMMA, TokenType.R_PAREN)) -> str:
    """Text from the cursor up to a stop (a word or token at parenthesis depth 0); the cursor moves there."""
    start = c.i
    depth = 0
    while c.cur is not None:
        t = c.cur
        if depth == 0 and (t.token_type in stop_tokens or (
                t.token_type not in _STRINGS and t.token_type != TokenType.IDENTIFIER
                and t.text.upper() in stop_words)):
            break
        depth = aggregate_syntax.depth_step(t, depth)
        if depth < 0:
            break
        c.i += 1
    if c.i == start:
        c.fail()
    return c.text[c.toks[start].start:c.toks[c.i - 1].end + 1]


def _type_name(text: str) -> str:
    """A type as written, checked and spelled as format_type does (%TYPE is PL/pgSQL's only)."""
    return type_spelling(text)


def _parameters(c: Any) -> list[dict]:
    if c.cur is None or c.cur.token_type != TokenType.L_PAREN:
        c.fail()
    c.i += 1
    out: list[dict] = []
    if c.cur is not None and c.cur.token_type == TokenType.R_PAREN:
        c.i += 1
        return out
    while True:
        mode = "i"
        if c.word() in _MODES and c.i + 1 < len(c.toks) and \
                c.toks[c.i + 1].token_type not in (TokenType.COMMA, TokenType.R_PAREN):
            mode = _MODES[c.word()]
            c.i += 1
        name = None
        # "name type" or just "type": a name is followed by something that is not a stop
        nxt = c.toks[c.i + 1] if c.i + 1 < len(c.toks) else None
        if nxt is not None and nxt.token_type not in (TokenType.COMMA, TokenType.R_PAREN, TokenType.L_PAREN,
                                                      TokenType.DOT, TokenType.L_BRACKET, TokenType.EQ) \
                and nxt.text.upper() not in ("DEFAULT", "PRECISION", "VARYING", "WITH", "WITHOUT") \
                and not (c.word() in ("DOUBLE", "CHARACTER", "BIT", "TIMESTAMP", "TIME", "INTERVAL")):
            name = c.name()
            if mode == "i" and c.word() in _MODES and c.i + 1 < len(c.toks) and \
                    c.toks[c.i + 1].token_type not in (TokenType.COMMA, TokenType.R_PAREN):
                mode = _MODES[c.word()]  # "name VARIADIC type": PostgreSQL takes the mode after the name too
                c.i += 1
        type_text = _span(c, {"DEFAULT"}, (TokenType.COMMA, TokenType.R_PAREN, TokenType.EQ))
        default = None
        if c.accept("DEFAULT") or (c.cur is not None and c.cur.token_type == TokenType.EQ and c.accept_token()):
            default = _span(c, set())
        out.append({"name": name, "type": _type_name(type_text), "mode": mode, "default": default})
        if not c.list_goes_on():
            return out


def parse_create(c: Any) -> Any:
    """CREATE [OR REPLACE] FUNCTION|PROCEDURE name (params) [RETURNS ...] options... AS 'body'
    (CREATE AGGREGATE: helios_core.sql.user_aggregates.syntax)."""
    if (c.peek_word(3) if c.peek_word() == "OR" else c.peek_word()) == "AGGREGATE":
        return aggregate_syntax.parse_create(c)
    c.expect("CREATE")
    replace = c.accept("OR", "REPLACE")
    if c.accept("PROCEDURE"):
        kind = "p"
    else:
        c.expect("FUNCTION")
        kind = "f"
    name = c.dotted_name()
    args = _parameters(c)
    record: dict[str, Any] = {"kind": kind, "args": args, "returns": "void", "returns_set": False,
                              "out_columns": [], "volatility": "v", "strict": False, "security_definer": False,
                              "language": None, "body": None}
    if c.accept("RETURNS"):
        if kind == "p":
            c.i -= 1
            c.fail()
        if c.accept("TABLE"):
            cols = _parameters(c)
            record["out_columns"] = [[a["name"], a["type"]] for a in cols]
            record["returns_set"] = True
            record["returns"] = "record"
        else:
            record["returns_set"] = c.accept("SETOF")
            text = _span(c, _OPTION_WORDS, ())
            try:
                record["returns"] = _type_name(text)
            except HeliosError:  # maybe a table's row type: the catalog decides (statements.create)
                record["returns"] = None
                record["returns_relation"] = text.strip()
            else:
                if record["returns_set"] and resolve_type(record["returns"]).is_composite:
                    record["returns"] = None  # SETOF a composite type: rows of its attributes
                    record["returns_relation"] = text.strip()
    _check_parameter_order(args, kind)
    outs = [a for a in args if a["mode"] in ("o", "b")]
    if outs and not record["out_columns"]:
        if kind == "p":  # CALL returns one row of them; the procedure itself returns nothing
            record["out_columns"] = [[a["name"] or f"column{i}", a["type"]] for i, a in enumerate(outs, 1)]
        elif len(outs) == 1 and not record["returns_set"]:
            record["returns"] = outs[0]["type"]
        else:
            record["out_columns"] = [[a["name"] or f"column{i}", a["type"]] for i, a in enumerate(outs, 1)]
            record["returns"] = "record"
    _options(c, record)
    if record["language"] is None and record.get("sql_body"):  # RETURN / BEGIN ATOMIC: SQL's own bodies
        record["language"] = "sql"
    if record["language"] is None:
        raise HeliosError("no language specified", sqlstate="42P13")
    if record.get("sql_body") and record["language"] != "sql":
        raise HeliosError("inline SQL function body only valid for language SQL", sqlstate="42P13")
    if record["body"] is None:
        raise HeliosError("no function body specified", sqlstate="42P13")
    if record["returns"] == "record" and not record["out_columns"]:
        raise FeatureNotSupported("functions returning an anonymous record are not supported")
    return dialect.Utility(kind="create_routine", args={"name": name, "replace": replace, "record": record})


_OPTION_WORDS = {"LANGUAGE", "IMMUTABLE", "STABLE", "VOLATILE", "STRICT", "CALLED", "RETURNS", "SECURITY",
                 "EXTERNAL", "PARALLEL", "COST", "ROWS", "LEAKPROOF", "NOT", "AS", "SET", "WINDOW", "SUPPORT",
                 "TRANSFORM", "RETURN", "BEGIN"}


# the attributes only a function has: on a procedure PostgreSQL refuses them where they are written
_FUNCTION_ONLY = {"IMMUTABLE", "STABLE", "VOLATILE", "STRICT", "RETURNS", "CALLED", "WINDOW", "LEAKPROOF", "NOT",
                  "COST", "ROWS", "SUPPORT", "PARALLEL"}


def _check_parameter_order(args: list[dict], kind: str) -> None:
    """PostgreSQL's 42P13 rules on where VARIADIC and (a procedure's) OUT parameters may stand."""
    for k, a in enumerate(args):
        later = args[k + 1:]
        if a["mode"] == "v" and any(x["mode"] != "o" or kind == "p" for x in later):
            raise HeliosError("VARIADIC parameter must be the last parameter", sqlstate="42P13")
        if kind == "p" and a["mode"] == "o" and any(x.get("default") is not None for x in args[:k]):
            raise HeliosError("procedure OUT parameters cannot appear after one with a default value",
                              sqlstate="42P13")


def _options(c: Any, record: dict) -> None:
    while not c.at_end():
        if record.get("kind") == "p" and c.word() in _FUNCTION_ONLY:
            raise HeliosError("invalid attribute in procedure definition", sqlstate="42P13",
                              position=c.offset + c.cur.start + 1)
        if c.accept("LANGUAGE"):
            if c.accept("SQL SECURITY"):  # the tokenizer reads "sql SECURITY" as one token
                record["language"] = "sql"
                record["security_definer"] = c.accept("DEFINER")
                if not record["security_definer"]:
                    c.expect("INVOKER")
                continue
            lang = c.string() if c.cur is not None and c.cur.token_type in _STRINGS else c.name()
            record["language"] = lang.lower()
        elif c.accept("IMMUTABLE"):
            record["volatility"] = "i"
        elif c.accept("STABLE"):
            record["volatility"] = "s"
        elif c.accept("VOLATILE"):
            record["volatility"] = "v"
        elif c.accept("STRICT") or c.accept("RETURNS", "NULL", "ON", "NULL", "INPUT"):
            record["strict"] = True
        elif c.accept("CALLED", "ON", "NULL", "INPUT"):
            record["strict"] = False
        elif c.accept("EXTERNAL", "SECURITY", "DEFINER") or c.accept("SECURITY", "DEFINER"):
            record["security_definer"] = True
        elif c.accept("EXTERNAL", "SECURITY", "INVOKER") or c.accept("SECURITY", "INVOKER"):
            record["security_definer"] = False
        elif c.accept("PARALLEL"):  # planner hints, kept for pg_proc as PostgreSQL keeps them
            word = c.name().lower()
            if word not in _PARALLEL:
                raise HeliosError('parameter "parallel" must be SAFE, RESTRICTED, or UNSAFE', sqlstate="42601")
            record["parallel"] = _PARALLEL[word]
        elif c.word() in ("COST", "ROWS"):
            what = c.word()
            c.i += 1
            record[what.lower()] = _positive(what, c.value())
        elif c.accept("NOT", "LEAKPROOF"):
            record["leakproof"] = False
        elif c.accept("LEAKPROOF"):
            record["leakproof"] = True
        elif c.accept("AS"):
            if c.cur is None or c.cur.token_type not in _STRINGS:
                c.fail()
            record["body"] = c.string_any()
            if c.cur is not None and c.cur.token_type == TokenType.COMMA:
                raise FeatureNotSupported("routines in object files (AS 'obj_file', 'symbol') are not supported")
        elif c.accept("RETURN"):
            if record.get("body") is not None:
                raise HeliosError("duplicate function body specified", sqlstate="42P13")
            record["body"] = "SELECT " + c.rest_text()
            record["sql_body"] = "return"
            c.i = len(c.toks)
        elif c.accept("BEGIN", "ATOMIC"):
            if record.get("body") is not None:
                raise HeliosError("duplicate function body specified", sqlstate="42P13")
            record["body"] = _atomic_body(c)
            record["sql_body"] = "atomic"
        elif c.word() == "SET":
            record.setdefault("config", []).append(_config_setting(c))
        elif c.word() == "RESET":
            c.i += 1
            record["config_reset"] = "all" if c.accept("ALL") else c.dotted_name().lower()
        elif c.word() in ("WINDOW", "SUPPORT", "TRANSFORM"):
            what = c.word()
            raise FeatureNotSupported(f"{what} in CREATE FUNCTION is not supported")
        else:
            c.fail()


def _atomic_body(c: Any) -> str:
    """The statements of ``BEGIN ATOMIC ... END`` (the cursor just past ATOMIC), ``;``-separated as
    written; CASE ... END inside them is skipped over."""
    depth = 1
    start = c.i
    while not c.at_end():
        word = c.word()
        if word in ("CASE", "BEGIN"):
            depth += 1
        elif word == "END":
            depth -= 1
            if depth == 0:
                end = c.i
                c.i += 1
                if start == end:
                    return ""
                return c.text[c.toks[start].start:c.toks[end - 1].end + 1].strip()
        c.i += 1
    c.fail()
    return ""


def _config_setting(c: Any) -> dict:
    """``SET name {TO | =} value [, ...]`` or ``SET name FROM CURRENT`` of CREATE/ALTER FUNCTION: the
    setting the routine runs with ({"name", "value", "values"}: the SET statement's own parse)."""
    start = c.i
    c.i += 1
    depth_end = c.i
    while depth_end < len(c.toks) and not (c.toks[depth_end].text.upper() in _OPTION_WORDS - {"NOT"}
                                           and c.toks[depth_end - 1].token_type != TokenType.COMMA
                                           and depth_end > start + 2):
        depth_end += 1
    text = c.text[c.toks[start].start:c.toks[depth_end - 1].end + 1]
    c.i = depth_end
    words = [t.text.upper() for t in c.toks[start:depth_end]]
    if words[-2:] == ["FROM", "CURRENT"]:
        from helios_core.sql.catalog_views.functions import ACTIVE_SESSION

        name = c.text[c.toks[start + 1].start:c.toks[depth_end - 3].end + 1].strip().lower()
        session = ACTIVE_SESSION.get()
        value = session.settings_obj.get(name) if session is not None else None
        return {"name": name, "value": value, "values": None}
    parsed = dialect.parse_utility(text)
    if parsed is None or parsed.kind != "set":
        raise FeatureNotSupported(f"{text} in CREATE FUNCTION is not supported")
    return {"name": parsed.args["name"], "value": parsed.args["value"], "values": parsed.args.get("values")}


_PARALLEL = {"safe": "s", "restricted": "r", "unsafe": "u"}
PLANNER_HINTS = ("cost", "rows", "parallel", "leakproof")  # kept in pg_proc; HeliosDB plans without them


def _positive(what: str, value: Any) -> float:
    """COST and ROWS: positive numbers (22023 otherwise, as PostgreSQL)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise HeliosError(f"invalid value for {what}", sqlstate="22023") from None
    if number <= 0:
        raise HeliosError(f"{what} must be positive", sqlstate="22023")
    return number


def parse_alter(c: Any) -> Any:
    """ALTER FUNCTION|PROCEDURE|ROUTINE name [(args)] action: OWNER TO, RENAME TO, SET SCHEMA,
    volatility, strictness, SECURITY DEFINER/INVOKER, SET/RESET of settings and planner hints."""
    c.expect("ALTER")
    what = c.word().lower()
    c.i += 1
    name = c.dotted_name()
    args = None
    if what == "aggregate":
        args = [a["type"] for a in aggregate_syntax.parse_signature(c)[0]]
    elif c.cur is not None and c.cur.token_type == TokenType.L_PAREN:
        args = [a["type"] for a in _parameters(c) if a["mode"] in ("i", "b", "v")]
    changes: dict[str, Any] = {}
    if c.accept("OWNER", "TO"):
        changes["owner"] = c.name()
    elif c.accept("RENAME", "TO"):
        changes["rename"] = c.name()
    elif c.accept("SET", "SCHEMA"):
        changes["schema"] = c.name()
    elif c.word() in ("DEPENDS", "NO") or what == "aggregate":
        raise FeatureNotSupported(f"ALTER {what.upper()} ... {c.word()} is not supported")
    else:
        record: dict[str, Any] = {}
        first = c.offset + c.cur.start + 1 if c.cur is not None else None
        _options(c, record)
        changes = {k: v for k, v in record.items() if k in ("volatility", "strict", *PLANNER_HINTS)}
        if changes:  # a procedure has none of these: refused once the statement finds one (42P13)
            changes["function_only_at"] = first
        changes.update({k: v for k, v in record.items() if k in ("security_definer", "config", "config_reset")})
    c.end()
    return dialect.Utility(kind="alter_routine", args={"what": what, "name": name, "args": args,
                                                      "changes": changes})


def parse_comment(c: Any) -> Any:
    """COMMENT ON AGGREGATE (helios_core.sql.user_aggregates.syntax)."""
    return aggregate_syntax.parse_comment(c)


def parse_drop(c: Any) -> Any:
    """DROP FUNCTION|PROCEDURE|ROUTINE [IF EXISTS] name [(args)] [, ...] [CASCADE | RESTRICT]."""
    if c.peek_word() == "AGGREGATE":
        return aggregate_syntax.parse_drop(c)
    c.expect("DROP")
    what = c.word()
    c.i += 1
    if_exists = c.accept("IF", "EXISTS")
    targets = []
    while True:
        name = c.dotted_name()
        args = None
        if c.cur is not None and c.cur.token_type == TokenType.L_PAREN:
            with keeping_unknown_types():
                args = [a["type"] for a in _parameters(c) if a["mode"] in ("i", "b", "v")]
        targets.append((name, args))
        if c.cur is not None and c.cur.token_type == TokenType.COMMA:
            c.i += 1
            continue
        break
    cascade = c.accept("CASCADE")
    c.accept("RESTRICT")
    c.end()
    return dialect.Utility(kind="drop_routine", args={"what": what.lower(), "targets": targets,
                                                      "if_exists": if_exists, "cascade": cascade})


def parse_call(c: Any) -> Any:
    """CALL name(args): the arguments are kept as text, parsed as a SELECT list when run."""
    c.expect("CALL")
    name_at = c.offset + c.cur.start + 1 if c.cur is not None else None  # errors point at the name
    name = c.dotted_name()
    if c.cur is None or c.cur.token_type != TokenType.L_PAREN:
        c.fail()
    start = c.cur.end + 1
    depth = 0
    while c.cur is not None:
        depth = aggregate_syntax.depth_step(c.cur, depth)
        if depth == 0:
            break
        c.i += 1
    if c.cur is None:
        c.fail()
    args_text = c.text[start:c.cur.start]
    c.i += 1
    c.end()
    return dialect.Utility(kind="call", args={"name": name, "args": args_text, "name_at": name_at})


def parse_do(c: Any) -> Any:
    """DO [LANGUAGE name] code [LANGUAGE name]."""
    c.expect("DO")
    language = "plpgsql"
    if c.accept("LANGUAGE"):
        language = c.name()
    code = c.string_any()
    if c.accept("LANGUAGE"):
        language = c.name()
    c.end()
    return dialect.Utility(kind="do", args={"language": language.lower(), "code": code})
