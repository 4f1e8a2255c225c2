"""CREATE [OR REPLACE] AGGREGATE: checked as PostgreSQL's DefineAggregate/AggregateCreate check
it, then kept as a routine record of kind "a" (see the package docstring)::

    {..., "kind": "a", "language": "internal", "args": [...], "returns": result type,
     "aggregate": {"sfunc", "stype", "finalfunc", "finalfunc_extra", "initcond", "combinefunc",
                   "msfunc", "minvfunc", "mstype", "minitcond", "mfinalfunc", "sortop",
                   "finalfunc_modify", "parallel", "aggkind": "n" | "o" | "h", "direct_args": n}}

DROP AGGREGATE and ALTER AGGREGATE go through the routines' statements (what = "aggregate").
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from helios_core.errors import FeatureNotSupported, HeliosError
from helios_core.session import Result
from helios_core.sql import object_privileges, type_privileges
from helios_core.sql import types as T
from helios_core.sql.catalog_views.model import stable_oid
from helios_core.sql.functions.cast import cast
from helios_core.sql.functions.vec import Vec
from helios_core.sql.routines import definition, polymorphic
from helios_core.sql.routines import notices as routine_notices
from helios_core.sql.routines.definition import KIND, Routine
from helios_core.sql.routines.definition import type_spelling as _type_name
from helios_core.sql.routines.statements import _split
from helios_core.sql.transactions import warning
from helios_core.sql.user_aggregates import support


def _error(message: str, sqlstate: str = "42P13", **kw: Any) -> HeliosError:
    return HeliosError(message, sqlstate=sqlstate, **kw)


def _type(text: str) -> str:
    return _type_name(text)


def create(session: Any, a: dict) -> Result:
    txn = session.tx.current()
    schema, name = _split(session, txn, a["name"])
    object_privileges.check_create_in_schema(session, schema, txn)  # 42501 without CREATE on the schema
    for w in a["warnings"]:  # sent before the statement's error too
        routine_notices.emit(session, warning(w, "01000"))
    opts = dict(a["options"])
    args = a["args"]
    if "stype" not in opts:
        raise _error("aggregate stype must be specified")
    if "sfunc" not in opts:
        raise _error("aggregate sfunc must be specified")
    if args is None:  # CREATE AGGREGATE name (BASETYPE = ..., ...)
        base = opts.pop("basetype", None)
        if base is None:
            raise _error("aggregate input type must be specified")
        args = [] if base.strip().strip('"').lower() == "any" else [
            {"name": None, "type": _type(base), "mode": "i", "default": None}]
    elif "basetype" in opts:
        raise _error("basetype is redundant with aggregate input type specification")
    if ("serialfunc" in opts) != ("deserialfunc" in opts):
        raise _error("must specify both or neither of serialization and deserialization functions")
    if "msfunc" in opts or "minvfunc" in opts or "mstype" in opts:
        if "mstype" not in opts:
            raise _error("aggregate mstype must be specified when amsfunc is specified")
        if "msfunc" not in opts or "minvfunc" not in opts:
            raise _error("aggregate msfunc and minvfunc must be specified together" if "msfunc" not in opts
                         else "aggregate minvfunc must be specified when amsfunc is specified")
    parallel = opts.get("parallel", "unsafe").strip().strip("'").lower()
    if parallel not in ("safe", "restricted", "unsafe"):
        raise HeliosError('parameter "parallel" must be SAFE, RESTRICTED, or UNSAFE', sqlstate="42601")
    modify = {}
    for key in ("finalfunc_modify", "mfinalfunc_modify"):
        if key in opts:
            v = opts[key].strip().lower()
            if v not in ("read_only", "shareable", "read_write"):
                raise _error(f'parameter "{key}" must be READ_ONLY, SHAREABLE, or READ_WRITE', "22023")
            modify[key] = v
    direct = a.get("direct")
    aggkind = "n" if direct is None else ("h" if _flag(opts.get("hypothetical", "false")) else "o")
    stype_name = _type(opts["stype"])
    stype = definition.resolve_type(stype_name)
    if stype.name in polymorphic.PSEUDO and stype.name not in polymorphic.POLYMORPHIC and stype.name != "internal":
        raise _error(f"aggregate transition data type cannot be {polymorphic.spelled(stype.name)}", "42P13")
    if "serialfunc" in opts and stype.name != "internal":
        raise _error("serialization functions may be specified only when the aggregate transition data type "
                     "is internal")
    inputs = [x["type"] for x in args]
    input_types = [definition.resolve_type(t) for t in inputs]
    for declared in input_types:  # 42501 for an argument type the creator may not use
        type_privileges.check_usage(session, declared)
    polymorphic.check_result(stype_name, inputs, what="transition")
    if stype.name == "internal":
        support.refuse_internal(stype)
    # an ordered-set aggregate's state function takes the aggregated (ORDER BY) arguments; its final
    # function the direct ones (PostgreSQL's split)
    direct_types = input_types[:direct or 0]
    aggregated = input_types[direct or 0:]
    if aggkind == "h":
        raise FeatureNotSupported("hypothetical-set aggregates (HYPOTHETICAL) are not supported")
    sfunc = support.find(session, txn, _fname(opts["sfunc"]), [stype, *aggregated])
    if sfunc.returns != stype and sfunc.returns.base != stype.base:
        raise HeliosError(f"return type of transition function {_fname(opts['sfunc'])} is not "
                          f"{_shown(stype)}", sqlstate="42804")
    initcond = opts.get("initcond")
    if sfunc.strict and initcond is None and (not aggregated or aggregated[0].base != stype.base):
        raise _error("must not omit initial value when transition function is strict and transition type is "
                     "not compatible with input type")
    result = stype
    extra = _flag(opts.get("finalfunc_extra", "false"))
    if "finalfunc" in opts:
        final = support.find(session, txn, _fname(opts["finalfunc"]),
                             [stype, *direct_types, *(aggregated if extra else [])])
        result = final.returns
    polymorphic.check_result(result.name, inputs)
    if "combinefunc" in opts:
        combine = support.find(session, txn, _fname(opts["combinefunc"]), [stype, stype])
        if combine.returns.base != stype.base:
            raise HeliosError(f"return type of combine function {_fname(opts['combinefunc'])} is not "
                              f"{_shown(stype)}", sqlstate="42804")
    if "mstype" in opts:
        mstype = definition.resolve_type(_type(opts["mstype"]))
        support.refuse_internal(mstype)
        if aggkind != "n":
            raise _error("ordered-set aggregates cannot have a moving-aggregate implementation", "42P13")
        msfunc = support.find(session, txn, _fname(opts["msfunc"]), [mstype, *input_types])
        if msfunc.returns.base != mstype.base:
            raise HeliosError(f"return type of transition function {_fname(opts['msfunc'])} is not "
                              f"{_shown(mstype)}", sqlstate="42804")
        minv = support.find(session, txn, _fname(opts["minvfunc"]), [mstype, *input_types])
        if minv.returns.base != mstype.base:
            raise HeliosError(f"return type of inverse transition function {_fname(opts['minvfunc'])} is not "
                              f"{_shown(mstype)}", sqlstate="42804")
        if minv.strict != msfunc.strict:
            raise _error("strictness of aggregate's forward and inverse transition functions must match")
    if initcond is not None and stype.name not in polymorphic.PSEUDO:
        _check_initcond(initcond, stype)
    record = {"kind": "a", "language": "internal", "body": "", "args": args, "returns": _stored(result),
              "returns_set": False, "out_columns": [], "volatility": "i", "strict": False,
              "security_definer": False, "schema": schema, "name": name, "owner": session.user,
              "aggregate": {"sfunc": sfunc.name, "stype": stype_name, "initcond": initcond,
                            "finalfunc": _support_name(session, txn, opts, "finalfunc"),
                            "finalfunc_extra": extra, "combinefunc": _support_name(session, txn, opts, "combinefunc"),
                            "msfunc": opts.get("msfunc"), "minvfunc": opts.get("minvfunc"),
                            "mstype": opts.get("mstype"), "minitcond": opts.get("minitcond"),
                            "sortop": opts.get("sortop"), "parallel": parallel[0],
                            "finalfunc_modify": modify.get("finalfunc_modify", "read_only")[0],
                            "aggkind": aggkind, "direct_args": direct or 0}}
    _store(session, txn, record, a["replace"])
    return Result(command_tag="CREATE AGGREGATE")


def _flag(text: str) -> bool:
    return text.strip().strip("'").lower() in ("true", "on", "1", "yes")


def _fname(text: str) -> str:
    return ".".join(p.strip().strip('"') if p.strip().startswith('"') else p.strip().lower()
                    for p in text.split("."))


def _shown(t: Any) -> str:
    return polymorphic.spelled(t.name) if t.name in polymorphic.PSEUDO else t.sql_name()


def _stored(t: Any) -> str:
    return t.name if t.name in polymorphic.PSEUDO else t.sql_name()


def _support_name(session: Any, txn: Any, opts: dict, key: str) -> str | None:
    if key not in opts:
        return None
    name = _fname(opts[key])
    found = definition.find(session, txn, name)
    return f"{found[0].schema}.{found[0].name}" if found and "." not in name else name


def _check_initcond(text: str, stype: Any) -> None:
    """The initial condition is a value of the state type (22P02 & co. as its input function gives)."""
    cast(Vec(pa.array([text], pa.string()), T.UNKNOWN, True), stype, context="explicit")


def _check_kind(old: dict, record: dict) -> None:
    """OR REPLACE cannot turn a function into an aggregate, nor one kind of aggregate into another."""
    if old["kind"] != "a" or old["aggregate"].get("aggkind", "n") != record["aggregate"]["aggkind"]:
        kind = {"f": "a function", "p": "a procedure"}.get(old["kind"]) or {
            "n": "an ordinary aggregate function", "o": "an ordered-set aggregate",
            "h": "a hypothetical-set aggregate"}[old["aggregate"].get("aggkind", "n")]
        raise HeliosError("cannot change routine kind", sqlstate="42809", detail=f'"{record["name"]}" is {kind}.')


def _store(session: Any, txn: Any, record: dict, replace: bool) -> None:
    schema, name = record["schema"], record["name"]
    existing = definition.overloads(txn, schema, name)
    same = [r for r in existing if definition.same_arguments(r, record)]
    signature = Routine(record).signature()
    if same:
        old = same[0]
        if not replace:
            raise HeliosError(f'function "{name}" already exists with same argument types', sqlstate="42723")
        _check_kind(old, record)
        if old.get("returns") != record["returns"]:
            raise HeliosError("cannot change return type of existing function", sqlstate="42P13",
                              hint=f"Use DROP AGGREGATE {signature} first.")
        record["oid"] = old.get("oid")
        record["owner"] = old.get("owner", record["owner"])
        record["acl"] = old.get("acl")
        existing = [r for r in existing if r is not old]
    else:  # a new aggregate: PUBLIC may EXECUTE it unless ALTER DEFAULT PRIVILEGES said otherwise
        record["acl"] = object_privileges.default_privileges_for(
            session, record["owner"], object_privileges.ObjectRef("routine", name, schema), txn)
    if record.get("oid") is None:
        record["oid"] = stable_oid("function", f"{schema}.{name}({len(existing)},{signature})")
    txn.catalog_put(KIND, f"{schema}.{name}", {"overloads": [*existing, record]})


def comment(session: Any, a: dict) -> Result:
    """COMMENT ON AGGREGATE: kept in catalog kind "comment" under "aggregate:schema.name(types)"."""
    txn = session.tx.current()
    wanted = [definition.resolve_type(t).sql_name() for t in a["args"]]
    found = [r for r in definition.find(session, txn, a["name"], len(wanted)) if r.record["kind"] == "a"
             and [t.sql_name() for t in r.in_types] == wanted]
    if not found:
        label = ", ".join(a["args"]) if a["args"] else "*"
        raise HeliosError(f"aggregate {a['name']}({label}) does not exist", sqlstate="42883")
    key = f"aggregate:{found[0].schema}.{found[0].signature()}"
    txn.catalog_comment(key, a["text"])
    return Result(command_tag="COMMENT")
