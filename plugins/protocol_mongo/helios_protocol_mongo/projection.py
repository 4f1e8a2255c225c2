"""find's projection: inclusion or exclusion of dotted paths, $slice, $elemMatch, ``a.$`` and expressions."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from helios_protocol_mongo.bson_order import MISSING
from helios_protocol_mongo.errors import MongoError
from helios_protocol_mongo.expressions import evaluate, is_number, truthy
from helios_protocol_mongo.query import compile_filter

Projector = Callable[[dict[str, Any]], dict[str, Any]]


def compile_projection(spec: dict[str, Any] | None, query: dict[str, Any] | None = None, *,
                       aggregation: bool = False) -> Projector | None:
    """``aggregation``: $project's rules ($slice and $elemMatch are expressions, ``a.$`` is refused)."""
    if not spec:
        return None
    include_id = True
    only_id = False  # {_id: 1} alone is an inclusion of _id only
    inclusions: dict[str, Any] = {}
    exclusions: list[str] = []
    specials: dict[str, Callable[[Any, dict[str, Any]], Any]] = {}
    for path, value in spec.items():
        if path == "_id" and not isinstance(value, dict) and not (isinstance(value, str) and value.startswith("$")):
            include_id = truthy(value)
            only_id = include_id and len(spec) == 1
            continue
        if value == {"$meta": "textScore"}:  # the score $text gave the document
            specials[path] = lambda _current, doc: getattr(doc, "text_score", MISSING)
            continue
        if path.endswith(".$") and not aggregation:
            base = path[:-2]
            specials[base] = _positional(base, query or {})
            continue
        if not aggregation and isinstance(value, dict) and len(value) == 1 and \
                next(iter(value)) in ("$slice", "$elemMatch"):
            op, arg = next(iter(value.items()))
            specials[path] = _slice(arg) if op == "$slice" else _elem_match(arg)
            continue
        if isinstance(value, dict) and value and not next(iter(value)).startswith("$"):
            nested = {f"{path}.{k}": v for k, v in value.items()}
            for sub_path, sub_value in nested.items():
                if isinstance(sub_value, bool) or is_number(sub_value):
                    (inclusions.__setitem__(sub_path, True) if truthy(sub_value) else exclusions.append(sub_path))
                else:
                    inclusions[sub_path] = sub_value
            continue
        if isinstance(value, bool) or is_number(value):
            if truthy(value):
                inclusions[path] = True
            else:
                exclusions.append(path)
        else:
            inclusions[path] = value  # an expression (or a literal) computed into the field
    if inclusions and exclusions:
        raise MongoError(31254 if exclusions else 31253,
                         f"Cannot do exclusion on field {exclusions[0]} in inclusion projection")
    if not inclusions and not exclusions and specials and all(
            isinstance(v, dict) for v in spec.values() if v is not None):
        inclusion_mode = False
    else:
        inclusion_mode = bool(inclusions) or only_id or (not exclusions and bool(specials) and any(
            p.endswith(".$") for p in spec))

    def project(doc: dict[str, Any]) -> dict[str, Any]:
        if inclusion_mode:
            out: dict[str, Any] = {}
            if include_id and "_id" in doc:
                out["_id"] = doc["_id"]
            for path, value in inclusions.items():
                if value is True:
                    _copy_path(doc, out, path.split("."))
                else:
                    got = evaluate(value, doc, {"ROOT": doc, "CURRENT": doc})
                    if got is not MISSING:
                        _set(out, path, got)
        else:
            out = copy.deepcopy(doc)
            if not include_id:
                out.pop("_id", None)
            for path in exclusions:
                _remove_path(out, path.split("."))
        for path, fn in specials.items():
            got = fn(_get(doc, path), doc)
            if got is not MISSING:
                _set(out, path, got)
        return out
    return project


def _get(doc: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(doc, dict) or part not in doc:
            return MISSING
        doc = doc[part]
    return doc


def _set(doc: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    for part in parts[:-1]:
        child = doc.get(part)
        if not isinstance(child, dict):
            child = {}
            doc[part] = child
        doc = child
    doc[parts[-1]] = value


def _copy_path(source: Any, target: dict[str, Any], parts: list[str]) -> None:
    head = parts[0]
    if not isinstance(source, dict) or head not in source:
        return
    value = source[head]
    if len(parts) == 1:
        target[head] = copy.deepcopy(value)
        return
    if isinstance(value, dict):
        child = target.setdefault(head, {})
        _copy_path(value, child, parts[1:])
    elif isinstance(value, list):
        items = target.get(head) if isinstance(target.get(head), list) else None
        out = []
        for i, element in enumerate(value):
            if isinstance(element, dict | list):
                existing = items[i] if items is not None and i < len(items) else {}
                wrapper = {"x": element}
                holder: dict[str, Any] = {"x": existing}
                _copy_path(wrapper, holder, ["x", *parts[1:]])
                out.append(holder["x"])
        target[head] = out


def _remove_path(doc: Any, parts: list[str]) -> None:
    if isinstance(doc, list):
        for element in doc:
            _remove_path(element, parts)
        return
    if not isinstance(doc, dict) or parts[0] not in doc:
        return
    if len(parts) == 1:
        del doc[parts[0]]
    else:
        _remove_path(doc[parts[0]], parts[1:])


def _slice(arg: Any) -> Callable[[Any, dict[str, Any]], Any]:
    def fn(value: Any, _doc: dict[str, Any]) -> Any:
        if not isinstance(value, list):
            return value
        if isinstance(arg, list):
            skip, limit = int(arg[0]), int(arg[1])
            if skip < 0:
                skip = max(0, len(value) + skip)
            return value[skip:skip + limit]
        n = int(arg)
        return value[:n] if n >= 0 else value[n:]
    return fn


def _elem_match(arg: dict[str, Any]) -> Callable[[Any, dict[str, Any]], Any]:
    matcher = compile_filter(arg)

    def fn(value: Any, _doc: dict[str, Any]) -> Any:
        if not isinstance(value, list):
            return MISSING
        for element in value:
            if isinstance(element, dict) and matcher(element):
                return [element]
        return MISSING
    return fn


def _positional(base: str, query: dict[str, Any]) -> Callable[[Any, dict[str, Any]], Any]:
    """``a.$``: the first element of ``a`` that satisfies the query's condition on ``a``."""
    conditions = {k: v for k, v in query.items() if k == base or k.startswith(base + ".")}

    def fn(value: Any, _doc: dict[str, Any]) -> Any:
        if not isinstance(value, list):
            return MISSING
        for element in value:
            probe = {}
            _set(probe, base, [element])
            if all(compile_filter({k: v})(probe) for k, v in conditions.items()):
                return [element]
        return MISSING
    return fn
