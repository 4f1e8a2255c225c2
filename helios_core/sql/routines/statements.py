"""CREATE [OR REPLACE] FUNCTION / PROCEDURE, DROP FUNCTION / PROCEDURE / ROUTINE, CALL, DO."""

from __future__ import annotations

from typing import Any

from sqlglot import exp

from helios_core import plugin_extensions, roles
from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.frontends.postgres import dialect
from helios_core.session import Result
from helios_core.sql import embedded_sql, object_privileges, triggers_catalog, type_privileges
from helios_core.sql import types as T
from helios_core.sql.catalog_views.model import stable_oid
from helios_core.sql.context import table_sql_columns
from helios_core.sql.routines import definition, invoke, polymorphic, sql_language, syntax
from helios_core.sql.routines.definition import KIND, Routine

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


def drop(session: Any, a: dict) -> Result:
    txn = session.tx.current()
    what = a["what"]
    notices = []
    for dotted, arg_types in a["targets"]:
        name = _split(session, txn, dotted)[1] if "." in dotted else dotted
        candidates = definition.find(session, txn, dotted, None if arg_types is None else len(arg_types),
                                     procedure={"function": False, "procedure": True}.get(what))
        if arg_types is not None:
            wanted = [definition.resolve_type(t).sql_name() for t in arg_types]
            candidates = [r for r in candidates if [t.sql_name() for t in r.in_types] == wanted]
        label = f"{name}({', '.join(arg_types)})" if arg_types is not None else name
        if not candidates:
            if a["if_exists"]:
                notices.append(f"{what} {label} does not exist, skipping")
                continue
            if arg_types is None:
                raise definition.UndefinedFunction(f"could not find a {what} named \"{name}\"")
            raise definition.UndefinedFunction(f"{what} {label} does not exist")
        if len(candidates) > 1:
            raise HeliosError(f'{what} name "{name}" is not unique', sqlstate="42725",
                              hint="Specify the argument list to select the function unambiguously.")
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
        for agg in aggregates:
            notices.append(f"drop cascades to function {agg.signature()}")
            _remove(txn, agg)
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
    candidates = definition.find(session, txn, a["name"], None if a["args"] is None else len(a["args"]),
                                 procedure={"function": False, "procedure": True}.get(what))
    if a["args"] is not None:
        wanted = [definition.resolve_type(t).sql_name() for t in a["args"]]
        candidates = [r for r in candidates if [t.sql_name() for t in r.in_types] == wanted]
    name = a["name"].split(".")[-1]
    if not candidates:
        label = f"{name}({', '.join(a['args'])})" if a["args"] is not None else name
        raise definition.UndefinedFunction(f"{what} {label} does not exist")
    if len(candidates) > 1:
        raise HeliosError(f'{what} name "{name}" is not unique', sqlstate="42725",
                          hint="Specify the argument list to select the function unambiguously.")
    target = candidates[0]
    if what == "aggregate" and target.record["kind"] != "a":
        raise HeliosError(f"function {target.signature()} is not an aggregate", sqlstate="42809")
    if what in ("function", "procedure") and target.record["kind"] == "a":
        raise HeliosError(f'"{a["name"]}" is an aggregate function', sqlstate="42809",
                          hint="Use ALTER AGGREGATE to change aggregate functions.")
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
    for key in ("volatility", "strict", *syntax.PLANNER_HINTS):
        if key in changes:
            record[key] = changes[key]
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
    """CALL proc(args): the arguments are evaluated as a SELECT list, then the procedure runs."""
    txn = session.tx.current()
    text = a["args"].strip()
    args_ast = dialect.parse(f"SELECT {text}")[0].ast.expressions if text else []
    values: list[Any] = []
    types = []
    if args_ast:
        outcome = embedded_sql.run(session, dialect.parse(f"SELECT {text}")[0].ast)
        values = list(outcome.rows[0])
        types = [t for _, t in outcome.columns]
    plugin_procedure = plugin_extensions.procedure(a["name"]) if "." in a["name"] else None
    if plugin_procedure is not None:  # helios_sql_procedures
        notice = plugin_procedure.run(session, values)
        return Result(command_tag="CALL", notices=[notice] if notice else [])
    candidates = definition.find(session, txn, a["name"], len(args_ast))
    if not candidates:
        sig = ", ".join(t.sql_name() for t in types)
        raise definition.UndefinedFunction(f"procedure {a['name']}({sig}) does not exist",
                                           hint="No procedure matches the given name and argument types. You "
                                                "might need to add explicit type casts.")
    routine = definition.choose(candidates, types)
    if routine is None:
        raise definition.UndefinedFunction(f"procedure {a['name']} does not exist")
    if not routine.is_procedure:
        raise HeliosError(f"{routine.signature()} is not a procedure", sqlstate="42809",
                          hint="To call a function, use SELECT.")
    object_privileges.check_routine_execute(session, routine)
    values = [invoke.convert_values([v], t, want)[0] for v, t, want in zip(values, types, routine.in_types,
                                                                         strict=False)]
    for extra in routine.in_args[len(values):]:
        outcome = embedded_sql.run(session, dialect.parse(f"SELECT {extra['default']}")[0].ast)
        values.append(invoke.convert_values([outcome.rows[0][0]], outcome.columns[0][1],
                                            definition.resolve_type(extra["type"]))[0])
    invoke.call(session, routine, values)
    return Result(command_tag="CALL")


def do(session: Any, a: dict) -> Result:
    if a["language"] != "plpgsql":
        if a["language"] == "sql":
            raise FeatureNotSupported('language "sql" does not support inline code execution')
        raise FeatureNotSupported(f'language "{a["language"]}" is not supported')
    _plpgsql().run_block(session, a["code"])
    return Result(command_tag="DO")
