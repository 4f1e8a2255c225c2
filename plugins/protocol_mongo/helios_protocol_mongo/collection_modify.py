"""``collMod``: change a collection's options after ``create``.

Built: ``validator`` (``{}`` removes it), ``validationLevel`` and ``validationAction`` (kept with
the other options as the table's COMMENT, read by every later write), a capped collection's
``cappedSize`` and ``cappedMax`` (the next insert removes what the new caps leave out, as
mongod), and an index's ``expireAfterSeconds`` and ``hidden`` (kept in the index's definition;
the reply says the old and new values, as mongod's). Views, time series, change stream images
and turning an index unique are refused with error 72 naming the option; a field mongod does
not know is error 40415.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from helios_protocol_mongo import change_streams, indexes, views
from helios_protocol_mongo.errors import MongoError
from helios_protocol_mongo.expressions import is_number
from helios_protocol_mongo.validation import check_settings, compile_validator

if TYPE_CHECKING:
    from helios_protocol_mongo.commands import CommandContext

NOT_BUILT = ("expireAfterSeconds", "timeseries",
             "clusteredIndex", "dryRun")
GENERIC = {"collMod", "$db", "lsid", "txnNumber", "$clusterTime", "$readPreference", "writeConcern", "comment",
           "apiVersion", "apiStrict", "apiDeprecationErrors", "maxTimeMS", "autocommit", "startTransaction"}
KNOWN = {"viewOn", "pipeline", "changeStreamPreAndPostImages", "validator", "validationLevel", "validationAction", "cappedSize", "cappedMax", "index", *NOT_BUILT,
         "recordPreImages", "collation"}


def coll_mod(ctx: CommandContext) -> dict[str, Any]:
    collection = ctx.collection_name()
    command = ctx.command
    view = views.lookup(ctx, ctx.db, collection)
    if view is not None:
        return views.modify(ctx, collection, view)
    for option in ("viewOn", "pipeline"):
        if option in command:
            raise MongoError(72, f"collMod option {option!r} applies to views only; {ctx.db}.{collection} is a "
                                 "collection")
    for field in command:
        if field not in GENERIC and field not in KNOWN:
            raise MongoError(40415, f"BSON field 'collMod.{field}' is an unknown field.")
    for option in NOT_BUILT:
        if option in command:
            raise MongoError(72, f"collMod option {option!r} is not supported by HeliosDB")
    if "collation" in command:
        raise MongoError(72, "collMod cannot change a collection's collation")
    if not ctx.store.collection_exists(ctx.db, collection):
        raise MongoError(26, f"ns does not exist: {ctx.db}.{collection}")
    options = dict(ctx.store.collection_options(ctx.db, collection))
    reply: dict[str, Any] = {}
    _validation(command, options)
    _caps(command, options)
    if "changeStreamPreAndPostImages" in command:
        setting = change_streams.images_setting(command["changeStreamPreAndPostImages"], "collMod")
        if setting["enabled"]:
            options["changeStreamPreAndPostImages"] = setting
        else:
            options.pop("changeStreamPreAndPostImages", None)
    if "index" in command:
        reply.update(_index(ctx, collection, command["index"]))
    ctx.store.set_collection_options(ctx.db, collection, options)
    ctx.server.collection_options.pop((ctx.db, collection), None)
    return {**reply, "ok": 1.0}


def _validation(command: dict[str, Any], options: dict[str, Any]) -> None:
    check_settings(command.get("validationLevel"), command.get("validationAction"), "collMod")
    if "validator" in command:
        validator = command["validator"]
        if not isinstance(validator, dict):
            raise MongoError(14, "BSON field 'collMod.validator' is the wrong type, expected type 'object'")
        if validator:
            compile_validator(validator)  # a bad validator is refused before anything changes
            options["validator"] = validator
        else:
            options.pop("validator", None)
    for field, default in (("validationLevel", "strict"), ("validationAction", "error")):
        if field in command:
            options[field] = command[field]
        elif "validator" in options:
            options.setdefault(field, default)


def _caps(command: dict[str, Any], options: dict[str, Any]) -> None:
    for field, option in (("cappedSize", "size"), ("cappedMax", "max")):
        if field not in command:
            continue
        value = command[field]
        if not options.get("capped"):
            raise MongoError(72, f"collMod: {field} can only be set on a capped collection")
        if not is_number(value) or isinstance(value, bool):
            raise MongoError(14, f"BSON field 'collMod.{field}' is the wrong type, expected a number")
        if field == "cappedSize" and not 0 < value <= 2**50:
            raise MongoError(2, f"Capped collection size must be between 1 and 2^50 bytes, not {value}")
        if field == "cappedMax" and value >= 2**31:
            raise MongoError(2, f"Capped collection max must be less than 2^31, not {value}")
        options[option] = value


def _index(ctx: CommandContext, collection: str, spec: Any) -> dict[str, Any]:
    """Change one index's expireAfterSeconds or hidden; the reply names the old and new values."""
    if not isinstance(spec, dict) or ("keyPattern" in spec) == ("name" in spec):
        raise MongoError(2, "collMod index must name the index by exactly one of keyPattern and name")
    for option in ("unique", "prepareUnique", "forceNonUnique"):
        if option in spec:
            raise MongoError(72, f"collMod index option {option!r} is not supported by HeliosDB")
    changes = {k: v for k, v in spec.items() if k in ("expireAfterSeconds", "hidden")}
    unknown = set(spec) - {"keyPattern", "name", "expireAfterSeconds", "hidden"}
    if unknown:
        raise MongoError(40415, f"BSON field 'collMod.index.{min(unknown)}' is an unknown field.")
    if not changes:
        raise MongoError(2, "no expireAfterSeconds or hidden field to change the index with")
    specs = indexes.list_index_specs(ctx.store, ctx.db, collection)
    found = [s for s in specs if (s["name"] == spec["name"] if "name" in spec else s["key"] == spec["keyPattern"])]
    if not found:
        raise MongoError(27, f"cannot find index {spec.get('name') or spec.get('keyPattern')} for ns "
                             f"{ctx.db}.{collection}")
    definition = dict(found[0])
    reply: dict[str, Any] = {}
    if "expireAfterSeconds" in changes:
        seconds = changes["expireAfterSeconds"]
        if "expireAfterSeconds" not in definition:
            raise MongoError(72, "no expireAfterSeconds field to update")
        if not is_number(seconds) or isinstance(seconds, bool) or seconds < 0:
            raise MongoError(2, "expireAfterSeconds must be a number >= 0")
        reply["expireAfterSeconds_old"] = definition["expireAfterSeconds"]
        reply["expireAfterSeconds_new"] = seconds
        definition["expireAfterSeconds"] = seconds
    if "hidden" in changes:
        hidden = bool(changes["hidden"])
        reply["hidden_old"] = bool(definition.get("hidden", False))
        reply["hidden_new"] = hidden
        if hidden:
            definition["hidden"] = True
        else:
            definition.pop("hidden", None)
    indexes.keep_definition(ctx.store, ctx.db, collection, definition)
    return reply
