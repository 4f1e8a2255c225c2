"""The SQL surface of full-text search: types, functions and operators, over Arrow arrays.

tsvector and tsquery values travel as their text output (Arrow strings); each function
parses its arguments (cached), computes in Python and formats the result. Functions that
PostgreSQL overloads on the argument count (to_tsvector(text) and (regconfig, text),
ts_rank with or without weights) take their arguments by position.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from helios_core.errors import HeliosError
from helios_core.hookspecs import SqlDataType, SqlFunction, SqlOperator
from helios_search import configurations as C
from helios_search import headline, matching, ranking, vector_columns
from helios_search import query_builders as B
from helios_search import tsquery as Q
from helios_search import tsvector as V


def _vec(text: str) -> V.TsVector:
    return V.parse(text)


def _query(text: str) -> Q.Node | None:
    return Q.parse_cached(text)


def _rows(arrays: list[pa.Array]) -> zip:
    return zip(*(a.to_pylist() for a in arrays), strict=True)


_TEXT = pa.string()


def _map(fn: Callable[..., Any], arrow_type: pa.DataType = _TEXT) -> Callable[[list[pa.Array]], pa.Array]:
    def impl(arrays: list[pa.Array]) -> pa.Array:
        return pa.array([fn(*row) for row in _rows(arrays)], arrow_type)

    return impl


def _config_and_text(args: tuple) -> tuple[str | None, Any]:
    return (None, args[0]) if len(args) == 1 else (args[0], args[1])


# ---------------------------------------------------------------------------- types


def _parse_type(canonical: Callable[[str], str]) -> Callable[[pa.Array], pa.Array]:
    def parse(strings: pa.Array) -> pa.Array:
        return pa.array([None if s is None else canonical(s) for s in strings.to_pylist()], pa.string())

    return parse


def _regconfig(name: str) -> str:
    return C.configuration(name).name


def _regdictionary(name: str) -> str:
    return C.dictionary(name).name


TYPES = [
    SqlDataType(name="tsvector", arrow_type=pa.string(), parse=_parse_type(V.canonical)),
    SqlDataType(name="tsquery", arrow_type=pa.string(), parse=_parse_type(Q.canonical)),
    SqlDataType(name="regconfig", arrow_type=pa.string(), parse=_parse_type(_regconfig)),
    SqlDataType(name="regdictionary", arrow_type=pa.string(), parse=_parse_type(_regdictionary)),
]


# ---------------------------------------------------------------------------- functions


def _to_tsvector_batch(arrays: list[pa.Array]) -> pa.Array:
    """to_tsvector over a column: the rows of each configuration together (query_builders.to_tsvector_texts)."""
    if len(arrays) == 1:
        return pa.array(B.to_tsvector_texts(None, arrays[0].to_pylist()), _TEXT)
    configs, texts = arrays[0].to_pylist(), arrays[1].to_pylist()
    out: list[str | None] = [None] * len(texts)
    for config in set(configs):
        rows = [i for i, c in enumerate(configs) if c == config]
        if config is None:
            continue
        for i, vector in zip(rows, B.to_tsvector_texts(config, [texts[i] for i in rows]), strict=True):
            out[i] = vector
    return pa.array(out, _TEXT)


def _query_builder(build: Callable[[str | None, str], Q.Node | None]) -> Callable[..., str]:
    """to_tsquery and its kin: the output depends only on the configuration (a fixed set, the
    default one read at each call) and the text, so it is kept for texts seen lately (a query's
    constant is built again at every execution of its statement otherwise)."""
    @functools.lru_cache(maxsize=4096)
    def built(config: str | None, default: str, text: str) -> str:
        return Q.format(build(config, text))

    def fn(*args: Any) -> str:
        config, text = _config_and_text(args)
        return built(config, C.DEFAULT_CONFIG[0], text)

    return fn


def text_array(value: Any) -> list[str | None]:
    """A text[] argument given as an array or as an untyped '{a,b}' literal."""
    if not isinstance(value, str):
        return list(value)
    body = value.strip()
    if not (body.startswith("{") and body.endswith("}")):
        raise HeliosError(f'malformed array literal: "{value}"', sqlstate="22P02")
    out: list[str | None] = []
    for item in filter(None, (x.strip() for x in body[1:-1].split(","))):
        if item.upper() == "NULL":
            out.append(None)
        else:
            out.append(item[1:-1] if len(item) > 1 and item[0] == item[-1] == '"' else item)
    return out


def _setweight(vector: str, weight: str, only: Any = None) -> str:
    number = V.setweight_number(weight, only is not None)
    chosen = None if only is None else {x for x in text_array(only) if x is not None}
    return V.format(V.setweight(_vec(vector), number, chosen))


def _length(vector: str) -> int:
    return len(_vec(vector))


def _rank(rank: Callable) -> Callable[..., float]:
    def fn(*args: Any) -> float:
        weights = None
        if isinstance(args[0], list) or (isinstance(args[0], str) and args[0].lstrip().startswith("{")):
            weights, args = _float_array(args[0]), args[1:]
        method = int(args[2]) if len(args) > 2 else 0
        return rank(_vec(args[0]), _query(args[1]), ranking.weights_from(weights), method)

    return fn


def _rank_column(rank: Callable) -> Callable[[list[pa.Array]], pa.Array]:
    """ts_rank / ts_rank_cd over a column: with one query, weights and normalization for all rows
    (the usual ORDER BY ts_rank(tsv, query)), each row's evidence is read from the column
    (vector_columns) rather than by parsing every vector; otherwise row by row."""
    by_row = _map(_rank(rank), pa.float32())

    def impl(arrays: list[pa.Array]) -> pa.Array:
        first = arrays[0].type
        has_weights = pa.types.is_list(first) or pa.types.is_large_list(first) or (
            len(arrays[0]) > 0 and isinstance(arrays[0][0].as_py(), str) and arrays[0][0].as_py().lstrip().startswith("{"))
        weights: Any = None
        rest = arrays
        if has_weights:
            same, weights = _constant_value(arrays[0])
            if not same:
                return by_row(arrays)
            rest = arrays[1:]
        same_query, query_text = vector_columns.constant(rest[1])
        same_method, method = vector_columns.constant(rest[2]) if len(rest) > 2 else (True, 0)
        if not (same_query and same_method):
            return by_row(arrays)
        method = int(method)
        if method & ranking.NORM_OF_WHOLE_VECTOR:
            return by_row(arrays)
        query = _query(query_text)
        chosen = ranking.weights_from(None if weights is None else _float_array(weights))
        ranks = vector_columns.per_row(rest[0], query,
                                       lambda small, nonempty: rank(small, query, chosen, method, nonempty),
                                       pa.float32(), ranking.positions_matter(rank, query))
        return by_row(arrays) if ranks is None else ranks

    return impl


def _constant_value(array: pa.Array) -> tuple[bool, Any]:
    """vector_columns.constant for any type (arrays of weights compare as Python lists)."""
    values = array.to_pylist()
    if not values or any(v is None for v in values) or any(v != values[0] for v in values):
        return False, None
    return True, values[0]


def _float_array(value: Any) -> list[float | None]:
    """A float4[] argument given as an array or as an untyped '{0.1, 0.2}' literal."""
    if not isinstance(value, str):
        return list(value)
    try:
        return [None if x is None else float(x) for x in text_array(value)]  # text_array reads NULL
    except ValueError:
        raise HeliosError(f'invalid input syntax for type real: "{value}"', sqlstate="22P02") from None


def _to_array(vector: str) -> list[str]:
    return [lex for lex, _ in _vec(vector)]


def _from_array(lexemes: list) -> str:
    if any(x is None for x in lexemes):
        raise HeliosError("lexeme array may not contain nulls", sqlstate="22004")
    if any(x == "" for x in lexemes):
        raise HeliosError("lexeme array may not contain empty strings", sqlstate="2200F")
    return V.format(V.normalize([(x, ()) for x in lexemes]))


def _ts_lexize(dictionary: str, token: str) -> list[str]:
    return C.dictionary(dictionary).lexize(token)


def _ts_delete(vector: str, lexemes: Any) -> str:
    if isinstance(lexemes, str):  # ts_delete(tsvector, text): an unknown literal is text, '{a,b}' too
        drop = {lexemes}
    else:
        drop = {x for x in text_array(lexemes) if x is not None}
    return V.format(tuple(e for e in _vec(vector) if e[0] not in drop))


def _ts_filter(vector: str, weights: Any) -> str:
    weights = text_array(weights)
    if any(w is None for w in weights):
        raise HeliosError("weight array may not contain nulls", sqlstate="22004")
    keep = {V.weight_number(w) for w in weights}
    out = []
    for lexeme, positions in _vec(vector):
        kept = tuple((p, w) for p, w in positions if w in keep)
        if kept:
            out.append((lexeme, kept))
    return V.format(tuple(out))


def _tsquery_phrase(left: str, right: str, distance: int = 1) -> str:
    if distance < 0 or distance > Q.MAX_DISTANCE:
        raise HeliosError(f"distance in phrase operator must be an integer value between zero and "
                          f"{Q.MAX_DISTANCE} inclusive", sqlstate="22023")
    return Q.format(Q.combine("phrase", _query(left), _query(right), distance))


def _ts_rewrite(query: str, target: str, substitute: str) -> str:
    return Q.format(rewrite(_query(query), _query(target), _query(substitute)))


def _current_ts_config_of(arrays: list[pa.Array]) -> pa.Array:
    if arrays:  # it takes no argument: get_current_ts_config(x) does not exist (42883)
        raise TypeError("get_current_ts_config() takes no arguments")
    return pa.array([_get_current_ts_config()])


def _get_current_ts_config() -> str:
    return C.configuration(None).name


FUNCTIONS = [
    SqlFunction(name="to_tsvector", impl=_to_tsvector_batch, return_type="tsvector"),
    SqlFunction(name="to_tsquery", impl=_map(_query_builder(B.to_tsquery)), return_type="tsquery"),
    SqlFunction(name="plainto_tsquery", impl=_map(_query_builder(B.plainto_tsquery)), return_type="tsquery"),
    SqlFunction(name="phraseto_tsquery", impl=_map(_query_builder(B.phraseto_tsquery)), return_type="tsquery"),
    SqlFunction(name="websearch_to_tsquery", impl=_map(_query_builder(B.websearch_to_tsquery)),
                return_type="tsquery"),
    SqlFunction(name="setweight", impl=_map(_setweight), return_type="tsvector"),
    SqlFunction(name="strip", impl=_map(lambda v: V.format(V.strip(_vec(v)))), return_type="tsvector"),
    SqlFunction(name="length", impl=_map(_length, pa.int32()), return_type="integer", arg_types=["tsvector"]),
    SqlFunction(name="ts_rank", impl=_rank_column(ranking.ts_rank), return_type="real"),
    SqlFunction(name="ts_rank_cd", impl=_rank_column(ranking.ts_rank_cd), return_type="real"),
    SqlFunction(name="ts_headline", impl=_map(headline.ts_headline), return_type="text"),
    SqlFunction(name="tsvector_to_array", impl=_map(_to_array, pa.list_(pa.string())), return_type="text[]"),
    SqlFunction(name="array_to_tsvector", impl=_map(_from_array), return_type="tsvector", arg_types=["text[]"]),
    SqlFunction(name="numnode", impl=_map(lambda q: Q.numnode(_query(q)), pa.int32()), return_type="integer"),
    SqlFunction(name="querytree", impl=_map(lambda q: Q.querytree(_query(q))), return_type="text"),
    SqlFunction(name="ts_lexize", impl=_map(_ts_lexize, pa.list_(pa.string())), return_type="text[]"),
    SqlFunction(name="ts_rewrite", impl=_map(_ts_rewrite), return_type="tsquery"),
    SqlFunction(name="ts_delete", impl=_map(_ts_delete), return_type="tsvector"),
    SqlFunction(name="ts_filter", impl=_map(_ts_filter), return_type="tsvector"),
    SqlFunction(name="tsquery_phrase", impl=_map(_tsquery_phrase), return_type="tsquery"),
    SqlFunction(name="tsvectorin", impl=_map(V.canonical), return_type="tsvector"),
    SqlFunction(name="tsvectorout", impl=_map(lambda v: v), return_type="text"),
    SqlFunction(name="tsqueryin", impl=_map(Q.canonical), return_type="tsquery"),
    SqlFunction(name="tsqueryout", impl=_map(lambda q: q), return_type="text"),
    SqlFunction(name="get_current_ts_config", impl=_current_ts_config_of,
                return_type="regconfig", strict=False),
]


# ---------------------------------------------------------------------------- operators


def _match(vector: str, query: str) -> bool:
    return matching.matches(_vec(vector), _query(query))


def _match_column(vector_at: int) -> Callable[[list[pa.Array]], pa.Array]:
    """``tsvector @@ tsquery`` (either order) over a column: with one query for all rows, each
    row's evidence is read from the column (vector_columns); otherwise row by row."""
    if vector_at == 0:
        by_row = _map(_match, pa.bool_())
    else:
        by_row = _map(lambda q, v: _match(v, q), pa.bool_())

    def impl(arrays: list[pa.Array]) -> pa.Array:
        same, query_text = vector_columns.constant(arrays[1 - vector_at])
        if not same:
            return by_row(arrays)
        query = _query(query_text)
        found = vector_columns.per_row(arrays[vector_at], query, lambda small, _: matching.matches(small, query),
                                       pa.bool_())
        return by_row(arrays) if found is None else found

    return impl


def _match_text_column(arrays: list[pa.Array]) -> pa.Array:
    """``text @@ tsquery`` over a column: the texts' vectors built together (to_tsvector of the
    default configuration over the column), then matched as ``tsvector @@ tsquery``."""
    texts = arrays[0].to_pylist()
    vectors = pa.array(B.to_tsvector_texts(None, texts), _TEXT)
    return _MATCH_VECTOR([vectors, arrays[1]])


def _match_text(text: str, query: str) -> bool:
    return matching.matches(B.to_tsvector(None, text), _query(query))


_MATCH_VECTOR = _match_column(0)


def _match_text_text(text: str, query: str) -> bool:
    return matching.matches(B.to_tsvector(None, text), B.plainto_tsquery(None, query))


def _query_op(kind: str) -> Callable[..., str]:
    def fn(left: str, right: str) -> str:
        return Q.format(Q.combine(kind, _query(left), _query(right)))

    return fn


def _contains(left: str, right: str) -> bool:
    """tsquery @> tsquery: every lexeme of the right query is in the left one."""
    have = {n[1] for n in Q.operands(_query(left))}
    return {n[1] for n in Q.operands(_query(right))} <= have


OPERATORS = [
    SqlOperator(symbol="@@", left="tsvector", right="tsquery", impl=_match_column(0), return_type="boolean"),
    SqlOperator(symbol="@@", left="tsquery", right="tsvector", impl=_match_column(1), return_type="boolean"),
    SqlOperator(symbol="@@", left="text", right="tsquery", impl=_match_text_column, return_type="boolean"),
    SqlOperator(symbol="@@", left="text", right="text", impl=_map(_match_text_text, pa.bool_()),
                return_type="boolean"),
    SqlOperator(symbol="||", left="tsvector", right="tsvector",
                impl=_map(lambda a, b: V.format(V.concat(_vec(a), _vec(b)))), return_type="tsvector"),
    SqlOperator(symbol="&&", left="tsquery", right="tsquery", impl=_map(_query_op("and")), return_type="tsquery"),
    SqlOperator(symbol="||", left="tsquery", right="tsquery", impl=_map(_query_op("or")), return_type="tsquery"),
    SqlOperator(symbol="<->", left="tsquery", right="tsquery", impl=_map(_query_op("phrase")), return_type="tsquery"),
    SqlOperator(symbol="!!", left=None, right="tsquery", impl=_map(lambda q: Q.format(Q.negate(_query(q)))),
                return_type="tsquery"),
    SqlOperator(symbol="@>", left="tsquery", right="tsquery", impl=_map(_contains, pa.bool_()), return_type="boolean"),
    SqlOperator(symbol="<@", left="tsquery", right="tsquery", impl=_map(lambda a, b: _contains(b, a), pa.bool_()),
                return_type="boolean"),
]


# ---------------------------------------------------------------------------- ts_rewrite
#
# ts_rewrite works as PostgreSQL's does, on its n-ary form of a query: each operator's operands
# in stored order (right before left), nested '&' in '&' and '|' in '|' flattened, the operands
# of '&' and '|' sorted (operators before lexemes; lexemes by a CRC of their text, the larger
# first); a match is replaced in place, or, for a subset of an '&'/'|' node's operands, the
# rest keep their place and the substitute joins them (the node sorted again); the result is
# made binary again as PostgreSQL does (which decides how it prints).

_OPERATOR_ORDER = {"not": 1, "and": 2, "or": 3, "phrase": 4}


@functools.cache
def _crc_table() -> tuple[int, ...]:
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        table.append(c)
    return tuple(table)


@functools.lru_cache(maxsize=65536)
def _lexeme_crc(lexeme: str) -> int:
    """PostgreSQL's tsquery operand CRC (its legacy CRC-32 over the UTF-8 bytes), as a signed int32."""
    table = _crc_table()
    crc = 0xFFFFFFFF
    for byte in lexeme.encode():
        crc = table[((crc >> 24) ^ byte) & 0xFF] ^ ((crc << 8) & 0xFFFFFFFF)
    crc ^= 0xFFFFFFFF
    return crc - (1 << 32) if crc & 0x80000000 else crc


def _to_nary(node: Q.Node) -> Any:
    """("val", ...) as it is; an operator as [kind, children, distance], children in stored order."""
    kind = node[0]
    if kind == "val":
        return node
    if kind == "not":
        return ["not", [_to_nary(node[1])], 0]
    children = [_to_nary(node[2]), _to_nary(node[1])]
    if kind in ("and", "or"):
        flat = []
        for child in children:
            flat.extend(child[1] if child[0] == kind else [child])
        children = flat
    return [kind, children, node[3] if kind == "phrase" else 0]


def _compare(a: Any, b: Any) -> int:
    a, b = _unwrap(a), _unwrap(b)
    if (a[0] == "val") != (b[0] == "val"):
        return 1 if a[0] == "val" else -1  # operators first
    if a[0] == "val":
        ca, cb = _lexeme_crc(a[1]), _lexeme_crc(b[1])
        if ca != cb:
            return -1 if ca > cb else 1
        ka, kb = a[1].encode(), b[1].encode()
        return (ka > kb) - (ka < kb)
    if a[0] != b[0]:
        return -1 if _OPERATOR_ORDER[a[0]] > _OPERATOR_ORDER[b[0]] else 1
    if len(a[1]) != len(b[1]):
        return -1 if len(a[1]) > len(b[1]) else 1
    for x, y in zip(a[1], b[1], strict=True):
        c = _compare(x, y)
        if c:
            return c
    if a[0] == "phrase" and a[2] != b[2]:
        return -1 if a[2] > b[2] else 1
    return 0


def _sort(node: Any) -> Any:
    if node[0] != "val":
        for child in node[1]:
            _sort(child)
        if len(node[1]) > 1 and node[0] != "phrase":
            node[1].sort(key=functools.cmp_to_key(_compare))
    return node


_NEW = "new"  # a substitute put in: not searched again


def _replace(node: Any, target: Any, substitute: Any) -> Any:
    """PostgreSQL's findeq: the node itself replaced, or a subset of its operands."""
    if (node[0] == "val") != (target[0] == "val") or (node[0] != "val" and node[0] != target[0]):
        return node
    if node[0] == "val" or len(node[1]) == len(target[1]):
        if _compare(node, target) == 0:
            return None if substitute is None else [_NEW, _copy(substitute)]
        return node
    if len(node[1]) > len(target[1]) and target[1]:
        matched = [False] * len(node[1])
        i = j = found = 0
        while i < len(node[1]) and j < len(target[1]):
            c = _compare(node[1][i], target[1][j])
            if c == 0:
                matched[i] = True
                found += 1
                i += 1
                j += 1
            elif c < 0:
                i += 1
            else:
                break
        if found == len(target[1]):
            rest = [child for child, m in zip(node[1], matched, strict=True) if not m]
            if substitute is not None:
                rest.append([_NEW, _copy(substitute)])
            node[1] = rest
            node[1].sort(key=functools.cmp_to_key(_compare))
    return node


def _copy(node: Any) -> Any:
    return node if node[0] == "val" else [node[0], [_copy(c) for c in node[1]], node[2]]


def _unwrap(node: Any) -> Any:
    return node[1] if node[0] == _NEW else node


def _find(node: Any, target: Any, substitute: Any) -> Any:
    node = _replace(node, target, substitute)
    if node is None or node[0] in ("val", _NEW):
        return node
    kept = [c for c in (_find(child, target, substitute) for child in node[1]) if c is not None]
    node[1] = kept
    if not kept:
        return None
    if len(kept) == 1 and node[0] != "not":
        return kept[0]
    return node


def _to_binary(node: Any) -> Q.Node:
    node = _unwrap(node)
    if node[0] == "val":
        return node
    children = [_unwrap(c) for c in node[1]]
    if node[0] == "not":
        return ("not", _to_binary(children[0]))
    while len(children) > 2:
        children[0] = [node[0], [children[0], children[1]], node[2]]
        children[1] = children[-1]
        children.pop()
    left, right = _to_binary(children[1]), _to_binary(children[0])
    return ("phrase", left, right, node[2]) if node[0] == "phrase" else (node[0], left, right)


def rewrite(query: Q.Node | None, target: Q.Node | None, substitute: Q.Node | None) -> Q.Node | None:
    """ts_rewrite: every occurrence of ``target`` in ``query`` (a subset of an ``&``/``|`` node's
    operands too) replaced by ``substitute`` (removed when it is empty), in PostgreSQL's form."""
    if query is None or target is None:
        return query
    tree = _sort(_to_nary(query))
    want = _sort(_to_nary(target))
    sub = None if substitute is None else _to_nary_unflattened(substitute)
    found = _find(tree, want, sub)
    return None if found is None else _to_binary(found)


def _to_nary_unflattened(node: Q.Node) -> Any:
    """A substitute as PostgreSQL reads it: operands in stored order, neither flattened nor sorted."""
    kind = node[0]
    if kind == "val":
        return node
    if kind == "not":
        return ["not", [_to_nary_unflattened(node[1])], 0]
    return [kind, [_to_nary_unflattened(node[2]), _to_nary_unflattened(node[1])],
            node[3] if kind == "phrase" else 0]
