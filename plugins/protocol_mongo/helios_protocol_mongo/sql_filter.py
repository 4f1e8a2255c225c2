"""The part of a MongoDB filter the kernel can narrow rows by, as a SQL condition on the table.

Only conditions whose SQL form keeps every document MongoDB would match are pushed: an
``_id`` equal to a string or ObjectId (a primary-key lookup) and top-level fields equal to
a string or boolean (``doc @> {"f": v}`` or ``doc @> {"f": [v]}``, jsonb containment).
Everything else in the filter, and these conditions again, are decided by ``query``'s
matcher on the rows returned, so a pushed condition may be wider but never narrower.
"""

from __future__ import annotations

from typing import Any

from bson import ObjectId

from helios_protocol_mongo import bson_json, collation


def pushdown(spec: dict[str, Any]) -> tuple[str, list[Any], list[str]]:
    """(where clause or "", parameters, parameter types)."""
    conditions: list[str] = []
    params: list[Any] = []
    strings = not collation.active()  # under a collation "PING" may match "ping": no byte comparison
    for key, value in spec.items():
        if key.startswith("$") or "." in key:
            continue
        if isinstance(value, dict) and list(value) == ["$eq"]:
            value = value["$eq"]
        if key == "_id" and ((type(value) is str and strings) or isinstance(value, ObjectId)):
            params.append(bson_json.dumps(value))
            conditions.append(f"_id = ${len(params)}")
        elif ((type(value) is str and strings) or isinstance(value, bool)) and key != "_id":
            params.append(bson_json.dumps({key: value}))
            params.append(bson_json.dumps({key: [value]}))
            conditions.append(f"(doc @> ${len(params) - 1} or doc @> ${len(params)})")
    return " and ".join(conditions), params, ["jsonb"] * len(params)
