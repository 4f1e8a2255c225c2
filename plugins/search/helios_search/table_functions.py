"""ts_debug, ts_parse and ts_token_type: the parser and dictionaries shown as rows."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from helios_core.errors import UndefinedObject
from helios_core.hookspecs import SqlTableFunction
from helios_search import configurations as C
from helios_search import text_parser


def _check_parser(name: Any) -> None:
    if str(name).lower().removeprefix("pg_catalog.") not in ("default", "3722"):
        raise UndefinedObject(f'text search parser "{name}" does not exist')


def _ts_debug(args: dict[str, Any]):
    if "document" not in args:
        config, document = None, args.get("config")
    else:
        config, document = args.get("config"), args["document"]
    configuration = C.configuration(config)
    columns = [("alias", "text"), ("description", "text"), ("token", "text"),
               ("dictionaries", "text[]"), ("dictionary", "text"), ("lexemes", "text[]")]

    def produce(session: Any) -> pa.Table:
        rows: dict[str, list] = {name: [] for name, _ in columns}
        for type_id, token in text_parser.tokenize(document or ""):
            dicts = configuration.dictionaries(type_id)
            rows["alias"].append(text_parser.ALIAS[type_id])
            rows["description"].append(text_parser.DESCRIPTION[type_id])
            rows["token"].append(token)
            rows["dictionaries"].append([d.name for d in dicts])
            rows["dictionary"].append(dicts[0].name if dicts else None)
            rows["lexemes"].append(dicts[0].lexize(token) if dicts else None)
        return pa.table({k: pa.array(v, pa.list_(pa.string()) if k in ("dictionaries", "lexemes") else pa.string())
                         for k, v in rows.items()})

    return columns, produce


def _ts_parse(args: dict[str, Any]):
    _check_parser(args.get("parser_name"))
    text = args.get("txt") or ""

    def produce(session: Any) -> pa.Table:
        tokens = text_parser.tokenize(text)
        return pa.table({"tokid": pa.array([t for t, _ in tokens], pa.int32()),
                         "token": pa.array([s for _, s in tokens], pa.string())})

    return [("tokid", "integer"), ("token", "text")], produce


def _ts_token_type(args: dict[str, Any]):
    _check_parser(args.get("parser_name"))

    def produce(session: Any) -> pa.Table:
        types = text_parser.TOKEN_TYPES
        return pa.table({"tokid": pa.array([t for t, _, _ in types], pa.int32()),
                         "alias": [a for _, a, _ in types], "description": [d for _, _, d in types]})

    return [("tokid", "integer"), ("alias", "text"), ("description", "text")], produce


TABLE_FUNCTIONS = [
    SqlTableFunction(schema="pg_catalog", name="ts_debug", params=["config", "document"], bind=_ts_debug),
    SqlTableFunction(schema="pg_catalog", name="ts_parse", params=["parser_name", "txt"], bind=_ts_parse),
    SqlTableFunction(schema="pg_catalog", name="ts_token_type", params=["parser_name"], bind=_ts_token_type),
]
