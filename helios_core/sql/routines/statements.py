"""CREATE [OR REPLACE] FUNCTION / PROCEDURE, DROP FUNCTION / PROCEDURE / ROUTINE, CALL, DO."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
from sqlglot import exp
from sqlglot.tokens import TokenType

from helios_core import plugin_extensions, roles
from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.frontends.postgres import dialect
from helios_core.session import Result, ResultColumn
from helios_core.sql import aggregates, embedded_sql, object_privileges, triggers_catalog, type_privileges
from helios_core.sql import types as T
from helios_core.sql.catalog_views.model import stable_oid
from helios_core.sql.context import table_sql_columns
from helios_core.sql.functions.registry import has_function
from helios_core.sql.grammar_type_names import grammar_type_name
from helios_core.sql.missing_schema import UNDEFINED_SCHEMA, missing_schema
from helios_core.sql.routines import definition, expression_users, invoke, polymorphic, sql_language, syntax
from helios_core.sql.routines.definition import KIND, Routine
from helios_core.sql.user_aggregates import syntax as aggregate_syntax
from helios_core.sql.user_types import split_name

_LANGUAGES = ("sql", "plpgsql")
_NOUN = {"f": "function", "p": "procedure", "a": "function"}


def _plpgsql() -> Any:
    from helios_core import plpgsql  # helios_core.plpgsql runs its SQL through this package

    return plpgsql


def _split(session: Any, txn: Any, dotted: str) -> tuple[str, str]:
    if "." in dotted:
        schema, name = dotted.split(".", 1)
        if schema != "public" and txn.catalog_get("schema", schema) is None:
            raise HeliosError(f'schema "{schema}" does not exist', sqlstate="3F000")
        return schema, name
    return session.current_schema(txn), dotted


def create(session: Any, a: dict) -> Result:
    txn = session.tx.current()
    schema, name = _split(session, txn, a["name"])
    object_privileges.check_create_in_schema(session, schema, txn)  # 42501 without CREATE on the schema
    record = {**a["record"], "schema": schema, "name": name, "owner": session.user}
    if record.get("returns_relation"):
        _returns_table_row(session, txn, record)
    language = record["language"]
    if language not in _LANGUAGES:
        if language in ("c", "internal", "plpython3u", "plperl", "pltcl", "plv8"):
            raise FeatureNotSupported(f'language "{language}" is not supported')
        raise HeliosError(f'language "{language}" does not exist', sqlstate="42704")
    _check_parameters(record["args"])
    _check_planner_hints(session, record)
    routine = Routine(record)
    for declared in [*routine.in_types, routine.return_type]:  # 42501 for a type the creator may not use
        if declared is not None:
            type_privileges.check_usage(session, declared, txn)
    inputs = [a["type"] for a in routine.in_args]
    for result in [record.get("returns") or "void", *(t for _, t in record.get("out_columns") or [])]:
        polymorphic.check_result(result, inputs)
    if record.get("sql_body") == "atomic":  # BEGIN ATOMIC holds queries and DML only, as in PostgreSQL
        for st in dialect.parse(record["body"]):
            if not isinstance(st.ast, (exp.Query, exp.Values, exp.Insert, exp.Update, exp.Delete, exp.Merge)):
                what = st.text.split(None, 2)
                raise FeatureNotSupported(f"{' '.join(what[:2]).upper()} is not yet supported in unquoted SQL "
                                          "function body")
    if language == "sql":
        sql_language.check_body(routine)
    else:
        _plpgsql().check(routine)
    existing = definition.overloads(txn, schema, name)
    same = [r for r in existing if definition.same_arguments(r, record)]
    noun = _NOUN[record["kind"]]
    if same:
        old = same[0]
        if not a["replace"]:
            raise HeliosError(f'{noun} "{name}" already exists with same argument types', sqlstate="42723")
        if old["kind"] != record["kind"]:
            raise HeliosError('cannot change routine kind', sqlstate="42809",
                              detail=f'"{name}" is a {_NOUN[old["kind"]]}.')
        if (old.get("returns"), bool(old.get("returns_set")), old.get("out_columns")) != (
                record["returns"], record["returns_set"], record["out_columns"]):
            raise HeliosError("cannot change return type of existing function", sqlstate="42P13",
                              hint=f"Use DROP FUNCTION {name}(...) first.")
        graph = roles.role_graph(session.engine)
        if not graph.is_superuser(session.user) and not graph.has_privs_of(session.user, old.get("owner", "helios")):
            raise HeliosError(f"must be owner of {noun} {name}", sqlstate="42501")
        _check_replacement(Routine(old), routine)
        record["oid"] = old.get("oid")
        record["owner"] = old.get("owner", record["owner"])
        record["acl"] = old.get("acl")  # CREATE OR REPLACE keeps the grants
        existing = [r for r in existing if r is not old]
    else:  # a new routine: PUBLIC may EXECUTE it unless ALTER DEFAULT PRIVILEGES said otherwise
        record["acl"] = object_privileges.default_privileges_for(
            session, record["owner"], object_privileges.ObjectRef("routine", name, schema), txn)
    record.setdefault("oid", None)
    if record["oid"] is None:
        record["oid"] = stable_oid("function", f"{schema}.{name}({len(existing)},{routine.signature()})")
    txn.catalog_put(KIND, f"{schema}.{name}", {"overloads": [*existing, record]})
    return Result(command_tag=f"CREATE {noun.upper()}")


def _check_replacement(old: Routine, new: Routine) -> None:
    """CREATE OR REPLACE keeps the input parameters' names and defaults (42P13 otherwise)."""
    drop = f"Use DROP FUNCTION {old.name}({','.join(t.sql_name() for t in old.in_types)}) first."
    for was, now in zip(old.in_args, new.in_args, strict=False):
        if was.get("name") and was.get("name") != now.get("name"):
            raise HeliosError(f'cannot change name of input parameter "{was["name"]}"', sqlstate="42P13", hint=drop)
    if sum(a.get("default") is not None for a in new.in_args) < sum(a.get("default") is not None
                                                                    for a in old.in_args):
        raise HeliosError("cannot remove parameter defaults from existing function", sqlstate="42P13", hint=drop)


def _check_parameters(args: list[dict]) -> None:
    """PostgreSQL's checks of a parameter list (42P13): names unique among the inputs and among the
    outputs, defaults only on inputs and on every input after the first that has one."""
    for side in (("i", "b", "v"), ("o", "b")):
        names = [a["name"] for a in args if a["mode"] in side and a.get("name")]
        for n in names:
            if names.count(n) > 1:
                raise HeliosError(f'parameter name "{n}" used more than once', sqlstate="42P13")
    defaulted = False
    for a in args:
        if a.get("default") is not None and a["mode"] == "o":
            raise HeliosError("only input parameters can have default values", sqlstate="42P13")
        if a["mode"] in ("i", "b", "v"):
            if a.get("default") is not None:
                defaulted = True
            elif defaulted:
                raise HeliosError("input parameters after one with a default value must also have defaults",
                                  sqlstate="42P13")


def _returns_table_row(session: Any, txn: Any, record: dict) -> None:
    """RETURNS [SETOF] table_name: rows with the table's columns."""
    from helios_core.sql import ddl  # ddl reaches the planner, which calls routines

    text = record.pop("returns_relation")
    tree = dialect.parse(f"SELECT * FROM {text}")[0].ast.find(exp.Table)
    schema, name = ddl.table_name(session, tree, txn)
    tdef = txn.get_table(schema, name)
    if tdef is None:
        try:  # a composite type (CREATE TYPE ... AS): rows of its attributes
            t = T.type_from_name(text)
        except HeliosError:
            t = None
        if t is None or not t.is_composite:
            raise HeliosError(f'type "{text}" does not exist', sqlstate="42704")
        record["out_columns"] = [[n, f.sql_name()] for n, f in zip(t.field_names, t.fields, strict=True)]
        record["returns"] = f"{t.composite.schema}.{t.composite.name}"
        return
    record["out_columns"] = [[n, t.sql_name()] for n, t in table_sql_columns(tdef)]
    record["returns"] = f"{schema}.{name}"


def _missing_name(txn: Any, dotted: str, arg_types: list[str] | None) -> tuple[str, str] | None:
    """(message, SQLSTATE) when the routine's schema or one of its argument types does not exist."""
    schema = missing_schema(txn, split_name(dotted))
    if schema is not None:
        return f'schema "{schema}" does not exist', UNDEFINED_SCHEMA
    for t in arg_types or ():
        schema = missing_schema(txn, split_name(re.sub(r"(\[\s*\d*\s*\])+$", "", t)))
        if schema is not None:
            return f'schema "{schema}" does not exist', UNDEFINED_SCHEMA
        try:
            definition.resolve_type(t)
        except HeliosError as e:
            if e.sqlstate != "42704":
                raise
            return f'type "{split_name(t)[-1] if split_name(t) else t}" does not exist', "42704"
    return None


def drop(session: Any, a: dict) -> Result:
    txn = session.tx.current()
    what = a["what"]
    notices = []
    for n, (dotted, arg_types) in enumerate(a["targets"]):
        missing = _missing_name(txn, dotted, arg_types)
        if missing is not None:  # PostgreSQL looks up the schema and the argument types first
            if a["if_exists"]:
                notices.append(f"{missing[0]}, skipping")
                continue
            raise HeliosError(missing[0], sqlstate=missing[1])
        name = _split(session, txn, dotted)[1] if "." in dotted else dotted
        candidates = definition.find(session, txn, dotted, None)
        if arg_types is not None:  # by identity, or (a procedure) by its calls' argument list, as PostgreSQL
            wanted = [definition.resolve_type(t).sql_name() for t in arg_types]
            candidates = [r for r in candidates if wanted in ([t.sql_name() for t in r.identity_types],
                                                              [t.sql_name() for t in r.in_types])]
        if what in ("function", "procedure"):  # the other kind is only named when nothing else is (42809 below)
            candidates = [r for r in candidates if r.is_procedure == (what == "procedure")] or candidates
        star = n in a.get("stars", ())
        label = f"{name}({'*' if star else ', '.join(arg_types)})" if arg_types is not None else name
        if not candidates:
            if a["if_exists"]:  # the notice prints the names the grammar made of the types (int: pg_catalog.int4)
                spelled = f"{dotted}({','.join(grammar_type_name(t) for t in arg_types)})" if arg_types is not None \
                    else dotted
                notices.append(f"{what} {spelled} does not exist, skipping")
                continue
            if arg_types is None:
                raise definition.UndefinedFunction(f"could not find a {what} named \"{name}\"")
            raise definition.UndefinedFunction(f"{what} {label} does not exist")
        if len(candidates) > 1:
            raise HeliosError(f'{what} name "{name}" is not unique', sqlstate="42725",
                              hint=None if arg_types is not None else
                              f"Specify the argument list to select the {what} unambiguously.")
        target = candidates[0]
        if what == "aggregate" and target.record["kind"] != "a":
            raise HeliosError(f"function {target.signature()} is not an aggregate", sqlstate="42809")
        if what in ("function", "procedure") and target.record["kind"] == "a":
            raise HeliosError(f'"{dotted}" is an aggregate function', sqlstate="42809",
                              hint="Use DROP AGGREGATE to drop aggregate functions.")
        if what == "function" and target.is_procedure:
            raise HeliosError(f"{target.signature()} is not a function", sqlstate="42809")
        if what == "procedure" and not target.is_procedure:
            raise HeliosError(f"{target.signature()} is not a procedure", sqlstate="42809")
        object_privileges.check_routine_owner(session, target)  # 42501 "must be owner of function f"
        users = triggers_catalog.using_function(txn, target)
        if users and not a["cascade"]:
            raise HeliosError(f"cannot drop function {target.signature()} because other objects depend on it",
                              sqlstate="2BP01", detail=f"trigger {users[0][1]} on table {users[0][0]} depends on "
                                                       f"function {target.signature()}",
                              hint="Use DROP ... CASCADE to drop the dependent objects too.")
        for table, trigger in users:
            triggers_catalog.remove(txn, table, trigger)
        aggregates = _aggregates_using(txn, target)
        if aggregates and not a["cascade"]:
            raise HeliosError(f"cannot drop function {target.signature()} because other objects depend on it",
                              sqlstate="2BP01", detail=f"function {aggregates[0].signature()} depends on function "
                                                       f"{target.signature()}",
                              hint="Use DROP ... CASCADE to drop the dependent objects too.")
        lines = []
        for agg in aggregates:
            lines.append(f"drop cascades to function {agg.signature()}")
            _remove(txn, agg)
        calling = expression_users.users(session, txn, target)
        if calling and not a["cascade"]:
            raise HeliosError(f"cannot drop function {target.signature()} because other objects depend on it",
                              sqlstate="2BP01", detail="\n".join(f"{u.what} depends on function {target.signature()}"
                                                                 for u in calling),
                              hint="Use DROP ... CASCADE to drop the dependent objects too.")
        lines += expression_users.drop(session, txn, calling)
        from helios_core.sql.ddl import cascade_notices

        notices.extend(cascade_notices(lines))
        _remove(txn, target)
    return Result(command_tag=f"DROP {what.upper()}", notices=notices)


def _remove(txn: Any, target: Routine) -> None:
    key = f"{target.schema}.{target.name}"
    rest = [r for r in definition.overloads(txn, target.schema, target.name) if r is not target.record
            and not definition.same_arguments(r, target.record)]
    if rest:
        txn.catalog_put(KIND, key, {"overloads": rest})
    else:
        txn.catalog_delete(KIND, key)


def _follow_support_function(txn: Any, old: str, new: str) -> None:
    """Aggregates name their support functions: a renamed or moved one keeps serving them (PostgreSQL
    refers to it by OID)."""
    for key, value in txn.catalog_list(KIND).items():
        records = []
        changed = False
        for r in value.get("overloads") or []:  # copies: the catalog's records are versioned data
            agg = dict(r.get("aggregate") or {})
            for role in ("sfunc", "finalfunc", "combinefunc"):
                if r["kind"] == "a" and agg.get(role) == old:
                    agg[role] = new
                    changed = True
            records.append({**r, "aggregate": agg} if r["kind"] == "a" else r)
        if changed:
            txn.catalog_put(KIND, key, {"overloads": records})


def _aggregates_using(txn: Any, target: Routine) -> list[Routine]:
    """CREATE AGGREGATEs whose support functions include ``target`` (by its qualified name)."""
    qualified = f"{target.schema}.{target.name}"
    out = []
    for value in txn.catalog_list(KIND).values():
        for r in value.get("overloads") or []:
            agg = r.get("aggregate") or {}
            if r["kind"] == "a" and qualified in (agg.get("sfunc"), agg.get("finalfunc"), agg.get("combinefunc")):
                out.append(Routine(r))
    return out


def _check_planner_hints(session: Any, record: dict) -> None:
    """ROWS only for set-returning functions; LEAKPROOF only from a superuser (PostgreSQL's rules)."""
    if record.get("rows") is not None and not record.get("returns_set"):
        raise HeliosError("ROWS is not applicable when function does not return a set", sqlstate="22023")
    if record.get("leakproof") and not roles.role_graph(session.engine).is_superuser(session.user):
        raise HeliosError("only superuser can define a leakproof function", sqlstate="42501")


def alter(session: Any, a: dict) -> Result:
    """ALTER FUNCTION/PROCEDURE/ROUTINE: owner, name, volatility, strictness."""
    txn = session.tx.current()
    what = a["what"]
    candidates = definition.find(session, txn, a["name"], None)
    if a["args"] is not None:
        wanted = [definition.resolve_type(t).sql_name() for t in a["args"]]
        candidates = [r for r in candidates if wanted in ([t.sql_name() for t in r.identity_types],
                                                          [t.sql_name() for t in r.in_types])]
    if what in ("function", "procedure"):  # of the other kind: 42809 when it is the only one named
        kind_ok = [r for r in candidates if r.is_procedure == (what == "procedure")]
        if not kind_ok and a["args"] is not None and len(candidates) == 1 and candidates[0].record["kind"] != "a":
            raise HeliosError(f"{candidates[0].signature()} is not a {what}", sqlstate="42809")
        candidates = kind_ok if a["args"] is not None or kind_ok else candidates
    name = a["name"].split(".")[-1]
    if not candidates:
        label = f"{name}({', '.join(a['args'])})" if a["args"] is not None else name
        raise definition.UndefinedFunction(f"{what} {label} does not exist")
    if len(candidates) > 1:
        raise HeliosError(f'{what} name "{name}" is not unique', sqlstate="42725",
                          hint=f"Specify the argument list to select the {what} unambiguously.")
    target = candidates[0]
    if what == "aggregate" and target.record["kind"] != "a":
        raise HeliosError(f"function {target.signature()} is not an aggregate", sqlstate="42809")
    if what in ("function", "procedure") and target.record["kind"] == "a":
        raise HeliosError(f'"{a["name"]}" is an aggregate function', sqlstate="42809",
                          hint="Use ALTER AGGREGATE to change aggregate functions.")
    if what in ("function", "procedure") and target.is_procedure != (what == "procedure"):
        raise HeliosError(f"{target.signature()} is not a {what}", sqlstate="42809")
    if target.is_procedure and "function_only_at" in a["changes"]:
        raise HeliosError("invalid attribute in procedure definition", sqlstate="42P13",
                          position=a["changes"]["function_only_at"])
    graph_owner = target.record.get("owner", "helios")
    graph = roles.role_graph(session.engine)
    superuser = graph.is_superuser(session.user)
    if not superuser and not graph.has_privs_of(session.user, graph_owner):
        raise HeliosError(f"must be owner of {_NOUN[target.record['kind']]} {target.name}", sqlstate="42501")
    record = dict(target.record)
    changes = a["changes"]
    if "owner" in changes:
        if graph.get(changes["owner"]) is None:
            raise HeliosError(f'role "{changes["owner"]}" does not exist', sqlstate="42704")
        if not superuser and not graph.is_member_of(session.user, changes["owner"]):
            raise HeliosError(f'must be member of role "{changes["owner"]}"', sqlstate="42501")
        record["owner"] = changes["owner"]
    for key in ("volatility", "strict", "security_definer", *syntax.PLANNER_HINTS):
        if key in changes:
            record[key] = changes[key]
    if "config_reset" in changes:  # RESET name | RESET ALL
        gone = changes["config_reset"]
        record["config"] = [] if gone == "all" else [c for c in record.get("config") or [] if c["name"] != gone]
    for setting in changes.get("config") or []:  # SET name ...: replaces the routine's earlier value
        record["config"] = [c for c in record.get("config") or [] if c["name"] != setting["name"]] + [setting]
    _check_planner_hints(session, {**record, "leakproof": changes.get("leakproof")})
    key = f"{target.schema}.{target.name}"
    rest = [r for r in definition.overloads(txn, target.schema, target.name)
            if not definition.same_arguments(r, target.record)]
    if "rename" in changes or ("schema" in changes and changes["schema"] != target.schema):
        new = changes.get("rename", target.name)
        schema = changes.get("schema", target.schema)
        if schema != target.schema and txn.catalog_get("schema", schema) is None and schema != "public":
            raise HeliosError(f'schema "{schema}" does not exist', sqlstate="3F000")
        others = definition.overloads(txn, schema, new)
        if any(definition.same_arguments(r, record) for r in others):
            raise HeliosError(f'function {new}({", ".join(a["type"] for a in target.in_args)}) already exists in '
                              f'schema "{schema}"', sqlstate="42723")
        record["name"] = new
        record["schema"] = schema
        if rest:
            txn.catalog_put(KIND, key, {"overloads": rest})
        else:
            txn.catalog_delete(KIND, key)
        txn.catalog_put(KIND, f"{schema}.{new}", {"overloads": [*others, record]})
        _follow_support_function(txn, f"{target.schema}.{target.name}", f"{schema}.{new}")
    else:
        txn.catalog_put(KIND, key, {"overloads": [*rest, record]})
    return Result(command_tag=f"ALTER {what.upper()}")


def call(session: Any, a: dict) -> Result:
    """CALL proc(args): the arguments (positional, then ``name => value``) are evaluated as a SELECT
    list, then the procedure runs; one with OUT/INOUT parameters returns them as a row."""
    positional, named = call_arguments(a["args"])
    texts = positional + [t for _, t in named]
    values: list[Any] = []
    types = []
    if texts:
        outcome = embedded_sql.run(session, dialect.parse(f"SELECT {', '.join(texts)}")[0].ast)
        values = list(outcome.rows[0])
        types = [t for _, t in outcome.columns]
    plugin_procedure = plugin_extensions.procedure(a["name"]) if "." in a["name"] else None
    if plugin_procedure is not None:  # helios_sql_procedures
        if named:
            raise FeatureNotSupported(f"named arguments of procedure {a['name']}")
        notice = plugin_procedure.run(session, values)
        return Result(command_tag="CALL", notices=[notice] if notice else [])
    with transaction_control(session):
        routine, row = run_procedure(session, a["name"], values, types, len(positional), [n for n, _ in named],
                                     a.get("name_at"))
    if row is None:
        return Result(command_tag="CALL")
    columns = [_column(n, t) for n, t in routine.out_columns]
    arrays = [pa.array([v], t.arrow_type) for v, (_, t) in zip(row, routine.out_columns, strict=True)]
    batch = pa.record_batch(arrays, names=[n for n, _ in routine.out_columns])
    return Result(kind="CALL", command_tag="CALL", columns=columns, batches=[batch])


def run_procedure(session: Any, name: str, values: list[Any], types: list[Any], n_positional: int,
                  names: list[str], name_at: int | None = None) -> tuple[Routine, tuple | None]:
    """Find and run the procedure a CALL names with its evaluated arguments (the last ``len(names)``
    of them given by name): the procedure and the row of its OUT/INOUT values (None without any)."""
    txn = session.tx.current()
    try:
        routine = _called_procedure(session, txn, name, types, names)
    except HeliosError as e:
        if e.position is None:
            e.position = name_at
        raise
    object_privileges.check_routine_execute(session, routine)  # 42501 without EXECUTE
    values, types = _placed_arguments(session, routine, values, types, n_positional, names)
    values, types = _variadic_packed(routine, values, types)
    values = [invoke.convert_values([v], t, want)[0] for v, t, want in zip(values, types, routine.in_types,
                                                                         strict=False)]
    for extra in routine.in_args[len(values):]:
        outcome = embedded_sql.run(session, dialect.parse(f"SELECT {extra['default']}")[0].ast)
        values.append(invoke.convert_values([outcome.rows[0][0]], outcome.columns[0][1],
                                            definition.resolve_type(extra["type"]))[0])
    rows = invoke.call(session, routine, values)
    if not routine.out_columns:
        return routine, None
    return routine, tuple(rows[0]) if rows else tuple(None for _ in routine.out_columns)


def _column(name: str, t: T.SqlType) -> ResultColumn:
    base = T.without_domain(t)  # a domain is described as its base type, as in PostgreSQL
    return ResultColumn(name=name, type_oid=base.oid, type_name=base.sql_name(), typmod=base.typmod)


def call_columns(session: Any, a: dict) -> list[Any] | None:
    """The row description of a CALL (its procedure's OUT/INOUT parameters), or None when it returns
    no row: what a client's Describe of the statement learns before it runs."""
    positional, named = call_arguments(a["args"])
    if "." in a["name"] and plugin_extensions.procedure(a["name"]) is not None:
        return None
    txn = session.tx.current()
    found = [r for r in definition.find(session, txn, a["name"], None) if r.is_procedure]
    shapes = {tuple((n, t.sql_name()) for n, t in r.out_columns) for r in found
              if r.takes(len(positional) + len(named))}
    if len(shapes) != 1:
        return None
    (shape,) = shapes
    if not shape:
        return None
    out = next(r for r in found if tuple((n, t.sql_name()) for n, t in r.out_columns) == shape)
    return [_column(n, t) for n, t in out.out_columns]


def call_arguments(text: str) -> tuple[list[str], list[tuple[str, str]]]:
    """A CALL's argument texts: the positional ones, then (name, text) of each ``name => value``."""
    positional: list[str] = []
    named: list[tuple[str, str]] = []
    if not text.strip():
        return positional, named
    toks = dialect.tokenize_plain(text)
    start, depth = 0, 0
    pieces = []
    for k, t in enumerate(toks):
        depth = aggregate_syntax.depth_step(t, depth)
        if depth == 0 and t.token_type == TokenType.COMMA:
            pieces.append(toks[start:k])
            start = k + 1
    pieces.append(toks[start:])
    for piece in pieces:
        if not piece:
            raise dialect.syntax_error("syntax error at or near \",\"", None)
        body = text[piece[0].start:piece[-1].end + 1]
        arrow = len(piece) > 2 and text[piece[1].start:piece[2].end + 1] in ("=>",) or (
            len(piece) > 1 and piece[1].text == "=>")
        if arrow:
            name = piece[0].text if piece[0].token_type == TokenType.IDENTIFIER else piece[0].text.lower()
            value_at = 3 if piece[1].text != "=>" else 2
            named.append((name, text[piece[value_at].start:piece[-1].end + 1]))
            continue
        if named:
            raise HeliosError("positional argument cannot follow named argument", sqlstate="42601")
        positional.append(body)
    return positional, named


def _called_procedure(session: Any, txn: Any, name: str, types: list[Any], names: list[str]) -> Routine:
    """The procedure a CALL names (the function of that name: 42809, as PostgreSQL says)."""
    everything = definition.find(session, txn, name, None)
    candidates = [r for r in everything if r.takes(len(types)) and all(
        n in [x.get("name") for x in r.in_args] for n in names)]
    sig = ", ".join(t.sql_name() for t in types)
    if not candidates and "." not in name and (has_function(name) or name in aggregates.DIRECT):
        raise HeliosError(f"{name}({sig}) is not a procedure", sqlstate="42809", hint="To call a function, use SELECT.")
    if not candidates:
        raise definition.UndefinedFunction(f"procedure {name}({sig}) does not exist",
                                           hint="No procedure matches the given name and argument types. You "
                                                "might need to add explicit type casts.")
    procedures = [r for r in candidates if r.is_procedure]
    routine = definition.choose(procedures, types[:len(types) - len(names)]) if procedures else None
    if routine is None and not procedures:
        routine = definition.choose(candidates, types[:len(types) - len(names)])
        shown = routine.signature() if routine is not None else f"{name}({sig})"
        raise HeliosError(f"{shown} is not a procedure", sqlstate="42809", hint="To call a function, use SELECT.")
    if routine is None:
        raise definition.UndefinedFunction(f"procedure {name}({sig}) does not exist",
                                           hint="No procedure matches the given name and argument types. You "
                                                "might need to add explicit type casts.")
    return routine


def _variadic_packed(routine: Routine, values: list[Any], types: list[Any]) -> tuple[list[Any], list[Any]]:
    """A VARIADIC procedure's trailing arguments as the one array its last parameter takes."""
    k = len(routine.in_args) - 1
    if not routine.variadic or len(values) < k + 1 or (len(values) == k + 1 and types[k].is_array):
        return values, types
    want = routine.in_types[-1]
    packed = [invoke.convert_values([v], t, want.element)[0] for v, t in zip(values[k:], types[k:], strict=True)]
    return [*values[:k], packed], [*types[:k], want]


def _placed_arguments(session: Any, routine: Routine, values: list[Any], types: list[Any], n_positional: int,
                      names: list[str]) -> tuple[list[Any], list[Any]]:
    """Values in the procedure's argument order: the named ones where their parameters are, the
    parameters not given taking their defaults (42883 for one with none)."""
    if not names:
        return values, types
    params = routine.in_args
    slots: list[Any] = [None] * len(params)
    given = [False] * len(params)
    for k in range(n_positional):
        slots[k], given[k] = (values[k], types[k]), True
    for k, name in enumerate(names, n_positional):
        at = next(i for i, p in enumerate(params) if p.get("name") == name)
        if given[at]:
            raise HeliosError(f'argument name "{name}" used more than once', sqlstate="42601")
        slots[at], given[at] = (values[k], types[k]), True
    last = max(i for i, g in enumerate(given) if g)
    out_values, out_types = [], []
    for i in range(last + 1):
        if given[i]:
            out_values.append(slots[i][0])
            out_types.append(slots[i][1])
            continue
        default = params[i].get("default")
        if default is None:
            raise definition.UndefinedFunction(f"procedure {routine.name} has no value for argument "
                                               f"{params[i].get('name') or i + 1}")
        outcome = embedded_sql.run(session, dialect.parse(f"SELECT {default}")[0].ast)
        out_values.append(outcome.rows[0][0])
        out_types.append(outcome.columns[0][1])
    return out_values, out_types


def do(session: Any, a: dict) -> Result:
    if a["language"] != "plpgsql":
        if a["language"] == "sql":
            raise FeatureNotSupported('language "sql" does not support inline code execution')
        raise FeatureNotSupported(f'language "{a["language"]}" is not supported')
    with transaction_control(session):
        _plpgsql().run_block(session, a["code"])
    return Result(command_tag="DO")


@contextlib.contextmanager
def transaction_control(session: Any) -> Iterator[None]:
    """While a CALL or DO runs: COMMIT/ROLLBACK inside it are allowed when it is a top-level statement
    outside a transaction block (PostgreSQL's non-atomic context), not when it runs inside a block or
    a function (invoke.call clears the flag for a function's duration)."""
    before = getattr(session, "transaction_control", False)
    session.transaction_control = before or (not session.tx.in_block and getattr(session, "routine_depth", 0) == 0)
    try:
        yield
    finally:
        session.transaction_control = before
