"""Aggregation pipeline stages over a stream of documents.

Each stage is a function from an iterator of documents to an iterator of documents;
``run_pipeline`` chains them. Stages that read other collections ($lookup, $unionWith)
get them through the ``load`` callback, and $out/$merge are left to the ``aggregate``
command, which owns the store. An unknown stage is error 40324.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Callable, Iterator
from typing import Any

from helios_protocol_mongo.bson_order import MISSING, sort_key, values_equal
from helios_protocol_mongo.errors import MongoError, bad_value
from helios_protocol_mongo.expressions import accumulate, evaluate, is_number, truthy
from helios_protocol_mongo.paths import get_path, get_path_array_aware, set_path, unset_path
from helios_protocol_mongo.projection import compile_projection
from helios_protocol_mongo.query import compile_filter

Docs = Iterator[dict[str, Any]]
Loader = Callable[[str], list[dict[str, Any]]]


def _vars(doc: dict[str, Any]) -> dict[str, Any]:
    return {"ROOT": doc, "CURRENT": doc}


def refuse_where(spec: Any) -> None:
    """$where is not allowed in an aggregation's $match (error 2, as mongod)."""
    if isinstance(spec, dict):
        for key, value in spec.items():
            if key == "$where":
                raise MongoError(2, "$where is not allowed inside of a $match aggregation expression")
            if key in ("$and", "$or", "$nor") and isinstance(value, list):
                for part in value:
                    refuse_where(part)


def _match(spec: Any, docs: Docs, load: Loader) -> Docs:
    refuse_where(spec)
    matcher = compile_filter(spec)
    return (d for d in docs if matcher(d))


def _project(spec: Any, docs: Docs, load: Loader) -> Docs:
    if not isinstance(spec, dict) or not spec:
        raise MongoError(51272 if isinstance(spec, dict) else 15969,
                         "$project specification must be an object and have at least one field")
    projector = compile_projection(spec, aggregation=True)
    assert projector is not None
    return (projector(d) for d in docs)


def _add_fields(spec: Any, docs: Docs, load: Loader) -> Docs:
    if not isinstance(spec, dict):
        raise MongoError(40272, "$addFields specification stage must be an object")

    def apply(doc: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(doc)
        for path, expr in spec.items():
            value = evaluate(expr, doc, _vars(doc))
            if value is MISSING:
                unset_path(out, path)
            else:
                set_path(out, path, value)
        return out
    return (apply(d) for d in docs)


def _unset(spec: Any, docs: Docs, load: Loader) -> Docs:
    paths = [spec] if isinstance(spec, str) else spec
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
        raise MongoError(31002, "$unset specification must be a string or an array containing only string values")

    def apply(doc: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(doc)
        for path in paths:
            unset_path(out, path)
        return out
    return (apply(d) for d in docs)


def _group(spec: Any, docs: Docs, load: Loader) -> Docs:
    if not isinstance(spec, dict) or "_id" not in spec:
        raise MongoError(15955, "a group specification must include an _id")
    accumulators = {k: v for k, v in spec.items() if k != "_id"}
    for field, acc in accumulators.items():
        if not isinstance(acc, dict) or len(acc) != 1:
            raise MongoError(40234, f"The field '{field}' must be an accumulator object")
        op = next(iter(acc))
        if op not in ACCUMULATORS:
            raise MongoError(15952, f"unknown group operator '{op}'")
    groups: dict[tuple, tuple[Any, dict[str, list[Any]]]] = {}
    for doc in docs:
        key = evaluate(spec["_id"], doc, _vars(doc))
        key = None if key is MISSING else key
        entry = groups.setdefault(sort_key(key), (key, {f: [] for f in accumulators}))
        for field, acc in accumulators.items():
            op, arg = next(iter(acc.items()))
            entry[1][field].append(1 if op == "$count" else evaluate(arg, doc, _vars(doc)))
    for key, values in groups.values():
        out = {"_id": key}
        for field, acc in accumulators.items():
            out[field] = ACCUMULATORS[next(iter(acc))](values[field])
        yield out


def _first(values: list[Any]) -> Any:
    return None if not values or values[0] is MISSING else values[0]


def _last(values: list[Any]) -> Any:
    return None if not values or values[-1] is MISSING else values[-1]


def _add_to_set(values: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in values:
        if v is not MISSING and not any(values_equal(v, o) for o in out):
            out.append(v)
    return out


def _std_dev(sample: bool) -> Callable[[list[Any]], Any]:
    def fn(values: list[Any]) -> Any:
        numbers = [float(v) for v in values if is_number(v)]
        n = len(numbers) - (1 if sample else 0)
        if n <= 0:
            return None
        mean = sum(numbers) / len(numbers)
        return math.sqrt(sum((x - mean) ** 2 for x in numbers) / n)
    return fn


def _merge_objects(values: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for v in values:
        if isinstance(v, dict):
            out.update(v)
    return out


ACCUMULATORS: dict[str, Callable[[list[Any]], Any]] = {
    "$sum": lambda values: accumulate("$sum", [v for v in values if v is not MISSING]),
    "$avg": lambda values: accumulate("$avg", [v for v in values if v is not MISSING]),
    "$min": lambda values: accumulate("$min", values),
    "$max": lambda values: accumulate("$max", values),
    "$first": _first,
    "$last": _last,
    "$push": lambda values: [v for v in values if v is not MISSING],
    "$addToSet": _add_to_set,
    "$count": lambda values: len(values),
    "$stdDevPop": _std_dev(False),
    "$stdDevSamp": _std_dev(True),
    "$mergeObjects": _merge_objects,
}


def _sort(spec: Any, docs: Docs, load: Loader) -> Docs:
    if not isinstance(spec, dict) or not spec:
        raise MongoError(15973, "the $sort key specification must be an object")
    return iter(_sort_documents(list(docs), spec))


def _sort_documents(docs: list[dict[str, Any]], spec: dict[str, Any]) -> list[dict[str, Any]]:
    for path, direction in reversed(list(spec.items())):
        if direction not in (1, -1):
            raise MongoError(15975, "$sort key ordering must be 1 (for ascending) or -1 (for descending)")
        descending = direction < 0

        def key(doc: dict[str, Any], p: str = path, desc: bool = descending) -> tuple:
            value = get_path_array_aware(doc, p)
            if isinstance(value, list):
                keys = [sort_key(v) for v in value] or [sort_key(None)]
                return max(keys) if desc else min(keys)
            return sort_key(None if value is MISSING else value)
        docs.sort(key=key, reverse=descending)
    return docs


def _positive_int(stage: str, spec: Any, allow_zero: bool) -> int:
    if not is_number(spec) or isinstance(spec, bool) or int(spec) != spec or int(spec) < (0 if allow_zero else 1):
        raise MongoError(15958 if stage == "$limit" else 15956,
                         f"the {stage} must be a {'non-negative' if allow_zero else 'positive'} number")
    return int(spec)


def _limit(spec: Any, docs: Docs, load: Loader) -> Docs:
    return itertools.islice(docs, _positive_int("$limit", spec, False))


def _skip(spec: Any, docs: Docs, load: Loader) -> Docs:
    return itertools.islice(docs, _positive_int("$skip", spec, True), None)


def _unwind(spec: Any, docs: Docs, load: Loader) -> Docs:
    if isinstance(spec, str):
        spec = {"path": spec}
    path = spec.get("path")
    if not isinstance(path, str) or not path.startswith("$"):
        raise MongoError(28818, "path option to $unwind stage should be prefixed with a '$'")
    path = path[1:]
    keep_empty = bool(spec.get("preserveNullAndEmptyArrays"))
    index_field = spec.get("includeArrayIndex")
    for doc in docs:
        value = get_path(doc, path)
        if isinstance(value, list) and value:
            for i, element in enumerate(value):
                out = copy.deepcopy(doc)
                set_path(out, path, element)
                if index_field:
                    set_path(out, index_field, i)
                yield out
        elif isinstance(value, list) or value is None or value is MISSING:
            if keep_empty:
                out = copy.deepcopy(doc)
                if isinstance(value, list):
                    unset_path(out, path)
                if index_field:
                    set_path(out, index_field, None)
                yield out
        else:
            out = copy.deepcopy(doc)
            if index_field:
                set_path(out, index_field, None)
            yield out


def _lookup(spec: Any, docs: Docs, load: Loader) -> Docs:
    foreign = load(spec["from"]) if "from" in spec else []
    target = spec.get("as")
    if not isinstance(target, str):
        raise MongoError(40321, "must specify 'as' field for a $lookup")
    local, remote = spec.get("localField"), spec.get("foreignField")
    pipeline = spec.get("pipeline")
    let = spec.get("let") or {}
    for doc in docs:
        matches = foreign
        if local is not None:
            value = get_path_array_aware(doc, local)
            wanted = value if isinstance(value, list) else [None if value is MISSING else value]
            keys = {sort_key(w) for w in wanted}

            def joined(f: dict[str, Any], keys: set[tuple] = keys) -> bool:
                theirs = get_path_array_aware(f, remote)
                values = theirs if isinstance(theirs, list) else [None if theirs is MISSING else theirs]
                return any(sort_key(v) in keys for v in values)
            matches = [f for f in foreign if joined(f)]
        if pipeline is not None:
            variables = {name: evaluate(expr, doc, _vars(doc)) for name, expr in let.items()}
            matches = list(run_pipeline(iter(copy.deepcopy(matches)), pipeline, load, variables))
        out = copy.deepcopy(doc)
        set_path(out, target, copy.deepcopy(matches))
        yield out


def _facet(spec: Any, docs: Docs, load: Loader) -> Docs:
    materialized = list(docs)
    out = {}
    for name, pipeline in spec.items():
        out[name] = list(run_pipeline(iter(copy.deepcopy(materialized)), pipeline, load))
    yield out


def _count(spec: Any, docs: Docs, load: Loader) -> Docs:
    if not isinstance(spec, str) or not spec or spec.startswith("$") or "." in spec:
        raise MongoError(40156, "the count field must be a non-empty string, not start with '$' nor contain '.'")
    n = sum(1 for _ in docs)
    if n:
        yield {spec: n}


def _bucket(spec: Any, docs: Docs, load: Loader) -> Docs:
    boundaries = spec["boundaries"]
    default = spec.get("default", MISSING)
    output = spec.get("output") or {"count": {"$sum": 1}}
    buckets: dict[int, list[dict[str, Any]]] = {}
    other: list[dict[str, Any]] = []
    for doc in docs:
        value = evaluate(spec["groupBy"], doc, _vars(doc))
        placed = False
        for i in range(len(boundaries) - 1):
            if sort_key(boundaries[i]) <= sort_key(value) < sort_key(boundaries[i + 1]):
                buckets.setdefault(i, []).append(doc)
                placed = True
                break
        if not placed:
            if default is MISSING:
                raise MongoError(40066, "$switch could not find a matching branch for an input, and no default "
                                        "was specified.")
            other.append(doc)
    groups = [(boundaries[i], buckets[i]) for i in sorted(buckets)]
    if other:
        groups.append((default, other))
    for key, members in groups:
        yield next(_group({"_id": {"$literal": key}, **output}, iter(members), load))


def _sort_by_count(spec: Any, docs: Docs, load: Loader) -> Docs:
    grouped = list(_group({"_id": spec, "count": {"$sum": 1}}, docs, load))
    return iter(_sort_documents(grouped, {"count": -1}))


def _replace_root(spec: Any, docs: Docs, load: Loader) -> Docs:
    expr = spec.get("newRoot") if isinstance(spec, dict) and "newRoot" in spec else spec
    for doc in docs:
        value = evaluate(expr, doc, _vars(doc))
        if not isinstance(value, dict):
            raise MongoError(40228, f"'newRoot' expression must evaluate to an object, but resulting value was: "
                                    f"{value!r}")
        yield value


STAGES: dict[str, Callable[[Any, Docs, Loader], Docs]] = {
    "$match": _match,
    "$project": _project,
    "$addFields": _add_fields,
    "$set": _add_fields,
    "$unset": _unset,
    "$group": _group,
    "$sort": _sort,
    "$limit": _limit,
    "$skip": _skip,
    "$unwind": _unwind,
    "$lookup": _lookup,
    "$facet": _facet,
    "$count": _count,
    "$bucket": _bucket,
    "$sortByCount": _sort_by_count,
    "$replaceRoot": _replace_root,
    "$replaceWith": _replace_root,
}


def run_pipeline(docs: Docs, pipeline: list[dict[str, Any]], load: Loader,
                 variables: dict[str, Any] | None = None) -> Docs:
    for stage in pipeline:
        if not isinstance(stage, dict) or len(stage) != 1:
            raise MongoError(40323, "A pipeline stage specification object must contain exactly one field.")
        name, spec = next(iter(stage.items()))
        if name in ("$out", "$merge"):
            raise MongoError(40601, f"{name} can only be the final stage in the pipeline")
        fn = STAGES.get(name)
        if fn is None:
            raise MongoError(40324, f"Unrecognized pipeline stage name: '{name}'")
        if variables and name == "$match":
            docs = _match_with_variables(spec, docs, variables)
        else:
            docs = fn(spec, docs, load)
    return docs


def _match_with_variables(spec: Any, docs: Docs, variables: dict[str, Any]) -> Docs:
    """$lookup's sub-pipeline: ``$expr`` sees the ``let`` variables."""
    for doc in docs:
        scope = {**variables, "ROOT": doc, "CURRENT": doc}
        plain = {k: v for k, v in spec.items() if k != "$expr"}
        if compile_filter(plain)(doc) and ("$expr" not in spec or truthy(evaluate(spec["$expr"], doc, scope))):
            yield doc


def run_update_pipeline(doc: dict[str, Any], pipeline: list[dict[str, Any]]) -> dict[str, Any]:
    """An update given as a pipeline ($set, $unset, $project, $replaceRoot... over the one document)."""
    allowed = {"$addFields", "$set", "$project", "$unset", "$replaceRoot", "$replaceWith"}
    for stage in pipeline:
        if not isinstance(stage, dict) or next(iter(stage), None) not in allowed:
            raise bad_value(f"$out, $lookup and stages other than {sorted(allowed)} are not allowed in an update")
    result = list(run_pipeline(iter([doc]), pipeline, lambda name: []))
    return result[0] if result else {}
