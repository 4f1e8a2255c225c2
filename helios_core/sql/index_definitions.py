"""What an index is built on, as PostgreSQL describes it: key columns or expressions, order
options, INCLUDE columns and a partial-index predicate.

``CREATE [UNIQUE] INDEX`` becomes a catalog record (kind "index") holding ``keys`` (each
``{"column": name}`` or ``{"expr": sql}``, with ``desc``/``nulls_first``/``opclass``),
``method``, ``include``, ``where`` (and ``options``, a plugin access method's ``WITH (...)``).
A btree or hash index on a plain leading column without a predicate finds rows for scans
(sql/planner/index_paths.py, storage/secondary_index.py), a plugin's through sql/index_search.py;
what PostgreSQL shows of them is (pg_index.indkey with 0 for an expression, indexprs, indpred,
indoption, pg_get_indexdef, pg_indexes), and a unique index is enforced:

- on plain columns without a predicate, through the table's ``unique`` option list that
  constraints.py checks for every constraint (ON CONFLICT can name it);
- on expressions or with a WHERE predicate, through the table's ``expression_unique``
  list checked here: the key is computed for the new rows and for the visible rows of
  the table (one scan per statement), rows outside the predicate and keys with a NULL
  never conflict, and the error names the key as PostgreSQL does
  (``Key (lower(sku))=(abc) already exists.``).

Access methods: btree, and hash (one column, not unique, no ASC/DESC: PostgreSQL's own
limits); others come from plugins (``helios_index_kinds``: gin and gist over tsvector from
the search plugin), which name the key types they take; gin, gist, spgist and brin are
refused with 0A000 while no plugin provides them, any other name is 42704.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from helios_core.errors import FeatureNotSupported, HeliosError, UndefinedColumn, UniqueViolation
from helios_core.frontends.postgres.dialect import expression_text, parse
from helios_core.plugins import get_plugin_manager, index_kinds
from helios_core.sql import types as T
from helios_core.sql.collations import check_collation
from helios_core.sql.expr import compile_scalar
from helios_core.sql.extensions import catalog as extensions_catalog
from helios_core.sql.extensions import trigram_index

SUPPORTED_METHODS = ("btree", "hash")
KNOWN_METHODS = ("btree", "hash", "gist", "gin", "spgist", "brin")
PATTERN_OPCLASSES = ("text_pattern_ops", "varchar_pattern_ops", "bpchar_pattern_ops")
INDEX_COLLATIONS = ("C", "POSIX", "default", "C.utf8", "ucs_basic")  # all order text by code point
# functions whose result can change for the same arguments: PostgreSQL wants IMMUTABLE ones
_NOT_IMMUTABLE = {"now", "random", "clock_timestamp", "statement_timestamp", "transaction_timestamp",
                  "timeofday", "nextval", "currval", "lastval", "setval", "gen_random_uuid", "current_setting",
                  "txid_current", "pg_backend_pid", "to_char", "age", "current_timestamp", "current_date",
                  "current_time", "localtime", "localtimestamp", "currenttimestamp", "currentdate",
                  "currenttime"}


def parse_index(session: Any, tdef: Any, params: Any, unique: bool) -> dict[str, Any]:
    """The catalog description of CREATE INDEX's key list, method, INCLUDE and WHERE (validated)."""
    method = str(params.args.get("using").name if params.args.get("using") is not None else "btree").lower()
    plugin_kind = _trigram_kind(method, params) or index_kinds(get_plugin_manager()).get(method)
    if method not in KNOWN_METHODS and plugin_kind is None:
        raise HeliosError(f'access method "{method}" does not exist', sqlstate="42704")
    if method not in SUPPORTED_METHODS and plugin_kind is None:
        raise FeatureNotSupported(f'index access method "{method}" is not supported',
                                  hint="HeliosDB builds btree and hash indexes.")
    options = _storage_options(params.args.get("with_storage") or [], plugin_kind, method)
    if params.args.get("tablespace") is not None:
        raise FeatureNotSupported("tablespaces are not supported")
    keys = [_parse_key(session, tdef, k, method) for k in params.args.get("columns") or []]
    if plugin_kind is not None:
        key_types = _check_plugin_keys(plugin_kind, tdef, keys, unique)
        if plugin_kind.check is not None:
            plugin_kind.check({"keys": keys, "options": options, "method": method}, key_types)
    if method in ("btree", "hash"):
        _refuse_unordered_keys(tdef, keys, method)
    if method == "hash":
        if unique:
            raise FeatureNotSupported('access method "hash" does not support unique indexes')
        if len(keys) > 1:
            raise FeatureNotSupported('access method "hash" does not support multicolumn indexes')
    include = []
    for node in params.args.get("include") or []:
        name = node.name
        if tdef.column(name) is None:
            raise UndefinedColumn(f'column "{name}" does not exist')
        include.append(name)
    where = params.args.get("where")
    predicate = None
    if where is not None:
        predicate, _ = _check_expression(session, tdef, where.this, "index predicate", boolean=True)
    spec = {"keys": keys, "method": method, "include": include, "where": predicate}
    if unique and (tdef.options or {}).get("partition_by") and needs_expression_unique(spec):
        raise FeatureNotSupported("unique indexes over expressions or with WHERE on partitioned tables are not "
                                  "supported", hint="Each partition can have its own.")
    if options:
        spec["options"] = options
    return spec


def _trigram_kind(method: str, params: Any) -> Any:
    """pg_trgm's access method when a key names its operator class for ``method`` (gin_trgm_ops)."""
    named = [{"opclass": node.expression.name.lower()} for item in params.args.get("columns") or []
             for node in [item.this if isinstance(item, exp.Ordered) else item] if isinstance(node, exp.Opclass)]
    return trigram_index.kind_for(method, named)


# the storage parameters PostgreSQL's own btree and hash take (page layout: kept for the catalog and
# pg_dump; HeliosDB's indexes have no pages to fill)
_BUILTIN_OPTIONS = {"btree": ("fillfactor", "deduplicate_items"), "hash": ("fillfactor",)}


def _storage_options(props: list[Any], kind: Any, method: str = "btree") -> dict[str, str]:
    """``WITH (name = value, ...)``: only the names the access method takes (22023 else,
    PostgreSQL's "unrecognized parameter"), values kept as text; fillfactor 10-100 as PostgreSQL's."""
    out: dict[str, str] = {}
    known = kind.options if kind is not None else _BUILTIN_OPTIONS.get(method, ())
    for prop in props:
        name = prop.name.lower() if isinstance(prop, exp.Property) else str(prop).lower()
        if name not in known:
            raise HeliosError(f'unrecognized parameter "{name}"', sqlstate="22023")
        value = prop.args.get("value")
        text = value.name if isinstance(value, (exp.Literal, exp.Identifier, exp.Column, exp.Var)) else \
            value.sql(dialect="postgres")
        if kind is None and name == "fillfactor":
            if not text.lstrip("-").isdigit():
                raise HeliosError(f'invalid value for integer option "fillfactor": {text}', sqlstate="22023")
            if not 10 <= int(text) <= 100:
                raise HeliosError(f'value {text} out of bounds for option "fillfactor"', sqlstate="22023",
                                  detail="Valid values are between \"10\" and \"100\".")
        out[name] = text
    return out


# the geometric types PostgreSQL indexes with these access methods (HeliosDB does not)
_GEOMETRIC_INDEXABLE = {"gist": ("point", "box", "polygon", "circle"), "spgist": ("point", "box", "polygon")}


def _refuse_unordered_keys(tdef: Any, keys: list[dict[str, Any]], method: str) -> None:
    """The geometric types have no btree or hash operator class in PostgreSQL: 42704 as there."""
    for key in keys:
        type_name = key.get("type") or T.type_from_name(tdef.column(key["column"]).metadata["sql_type"]).name
        if T.type_from_name(type_name).category == "G":
            raise HeliosError(f'data type {type_name} has no default operator class for access method "{method}"',
                              sqlstate="42704", hint="You must specify an operator class for the index or define "
                                                     "a default operator class for the data type.")


_HSTORE_OPCLASSES = ("gist_hstore_ops", "gin_hstore_ops")


def _hstore_index_refused(method: str) -> FeatureNotSupported:
    return FeatureNotSupported(f'access method "{method}" over type hstore is not supported by HeliosDB',
                               hint="The hstore extension's gist_hstore_ops and gin_hstore_ops operator classes "
                                    "are not built; a btree or hash index over hstore is.")


def _check_plugin_keys(kind: Any, tdef: Any, keys: list[dict[str, Any]], unique: bool) -> list[str]:
    """A plugin's access method takes only the key types it names, as PostgreSQL's operator classes;
    the keys' SQL type names."""
    if unique:
        raise FeatureNotSupported(f'access method "{kind.name}" does not support unique indexes')
    if len(keys) > 1 and not kind.multicolumn:
        raise FeatureNotSupported(f'access method "{kind.name}" does not support multicolumn indexes')
    out = []
    for key in keys:
        type_name = key.get("type") or T.type_from_name(tdef.column(key["column"]).metadata["sql_type"]).sql_name()
        if type_name not in kind.key_types and type_name in _GEOMETRIC_INDEXABLE.get(kind.name, ()):
            raise FeatureNotSupported(f'access method "{kind.name}" over type {type_name} is not supported by '
                                      'HeliosDB', hint="PostgreSQL's geometric operator classes are not built.")
        if type_name not in kind.key_types and T.type_from_name(type_name).name == "hstore":
            raise _hstore_index_refused(kind.name)
        if type_name not in kind.key_types and T.type_from_name(type_name).name not in kind.key_types:
            if key.get("opclass"):
                raise HeliosError(f'operator class "{key["opclass"]}" does not accept data type {type_name}',
                                  sqlstate="42804")
            raise HeliosError(f'data type {type_name} has no default operator class for access method '
                              f'"{kind.name}"', sqlstate="42704",
                              hint="You must specify an operator class for the index or define a default "
                                   "operator class for the data type.")
        out.append(type_name)
    return out


# PostgreSQL's operator classes that HeliosDB does not build (refused as such, not as unknown)
_UNBUILT_OPCLASSES = frozenset({("gist", "inet_ops"), ("spgist", "inet_ops")})


def _parse_key(session: Any, tdef: Any, item: Any, method: str) -> dict[str, Any]:
    node = item.this if isinstance(item, exp.Ordered) else item
    desc = bool(isinstance(item, exp.Ordered) and item.args.get("desc"))
    nulls_first = bool(isinstance(item, exp.Ordered) and item.args.get("nulls_first"))
    explicit_order = isinstance(item, exp.Ordered) and (desc or _explicit_nulls(item))
    if method == "hash" and explicit_order:
        raise FeatureNotSupported('access method "hash" does not support ASC/DESC options')
    key: dict[str, Any] = {"desc": desc, "nulls_first": nulls_first}
    if isinstance(node, exp.Opclass):
        opclass = node.expression.name.lower()
        trigram = trigram_index.OPCLASSES.get(opclass) == method and \
            extensions_catalog.installed(session.tx.current(), "pg_trgm") is not None
        if (method, opclass) in _UNBUILT_OPCLASSES:
            raise FeatureNotSupported(f'operator class "{opclass}" of access method "{method}" is not supported '
                                      'by HeliosDB', hint="Use a btree index (it answers =, <, <=, >, >=).")
        if opclass in _HSTORE_OPCLASSES and extensions_catalog.installed(session.tx.current(), "hstore"):
            raise _hstore_index_refused(method)
        if not trigram and (opclass not in PATTERN_OPCLASSES or method != "btree"):
            raise HeliosError(f'operator class "{opclass}" does not exist for access method "{method}"',
                              sqlstate="42704")
        key["opclass"] = opclass
        node = node.this
    if isinstance(node, exp.Collate):
        coll = check_collation(node.expression)  # unknown names: PostgreSQL's 42704
        if coll not in INDEX_COLLATIONS:
            raise FeatureNotSupported(f'collation "{coll}" in an index key is not supported')
        key["collation"] = coll
        node = node.this
    while isinstance(node, exp.Paren) and isinstance(node.this, exp.Column):
        node = node.this
    if isinstance(node, exp.Column) and not node.table:
        name = node.name
        if tdef.column(name) is None:
            raise UndefinedColumn(f'column "{name}" does not exist')
        key["column"] = name
    else:
        key["expr"], key["type"] = _check_expression(session, tdef, node.this if isinstance(node, exp.Paren)
                                                     else node, "index expression")
    return key


def _explicit_nulls(item: exp.Ordered) -> bool:
    # sqlglot marks nulls_first on DESC by default (PostgreSQL's default too): only NULLS FIRST on ASC
    # and NULLS LAST on DESC are not the defaults
    return bool(item.args.get("nulls_first")) != bool(item.args.get("desc"))


def _check_expression(session: Any, tdef: Any, node: exp.Expression, what: str,
                      boolean: bool = False) -> tuple[str, str]:
    """Compile an index expression against the table (names and types checked); its SQL text and type."""
    from helios_core.sql.dml import _scope

    if any(isinstance(n, (exp.Subquery, exp.Select)) for n in node.walk()):
        raise FeatureNotSupported(f"cannot use subquery in {what}")
    for call in node.find_all(exp.Func):
        name = (call.name if isinstance(call, exp.Anonymous) else call.key).lower()
        if name in _NOT_IMMUTABLE or isinstance(call, (exp.CurrentTimestamp, exp.CurrentDate, exp.CurrentTime,
                                                        exp.Rand)):
            raise HeliosError(f"functions in {what} must be marked IMMUTABLE", sqlstate="42P17")
    if any(isinstance(n, exp.AggFunc) for n in node.walk()):
        raise HeliosError(f"aggregate functions are not allowed in {what}s", sqlstate="42803")
    compiled = compile_scalar(node.copy(), _scope(tdef), session.context())
    if boolean and compiled.type.name not in ("bool", "unknown"):
        raise HeliosError(f"argument of WHERE must be type boolean, not type {compiled.type.sql_name()}",
                          sqlstate="42804")
    return expression_sql(node), compiled.type.sql_name()


def expression_sql(node: exp.Expression) -> str:
    """PostgreSQL's spelling of an expression, near enough: lower-case function names."""
    return expression_text(node)


# ------------------------------------------------------------------------------------ display
def key_sql(key: dict[str, Any], *, in_definition: bool) -> str:
    """One key as pg_get_indexdef shows it: ``name``, ``lower(sku)``, ``(a + b)``; with its options
    (opclass, DESC, NULLS) in a definition."""
    if "column" in key:
        text = _ident(key["column"])
    else:
        text = key["expr"] if _is_call(key["expr"]) else f"({key['expr']})"
    if not in_definition:
        return text
    if key.get("collation"):
        text += f' COLLATE "{key["collation"]}"'
    if key.get("opclass"):
        text += f" {key['opclass']}"
    if key.get("desc"):
        text += " DESC" if key.get("nulls_first") else " DESC NULLS LAST"
    elif key.get("nulls_first"):
        text += " NULLS FIRST"
    return text


def key_option(key: dict[str, Any]) -> int:
    """pg_index.indoption of a key: 1 = DESC, 2 = NULLS FIRST."""
    return (1 if key.get("desc") else 0) | (2 if key.get("nulls_first") else 0)


def _is_call(text: str) -> bool:
    """A bare function call (``lower(sku)``) is shown without the extra parentheses."""
    head, paren, _ = text.partition("(")
    return bool(paren) and text.endswith(")") and head.replace("_", "").replace(".", "").isalnum() and \
        _balanced_to_end(text, len(head))


def _balanced_to_end(text: str, start: int) -> bool:
    depth = 0
    quoted = False
    for i in range(start, len(text)):
        ch = text[i]
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
            if depth == 0:
                return i == len(text) - 1
    return False


def _ident(name: str) -> str:
    plain = name and (name[0].isalpha() or name[0] == "_") and all(c.isalnum() or c == "_" for c in name)
    return name if plain and name == name.lower() else '"' + name.replace('"', '""') + '"'


def column_names(keys: list[dict[str, Any]], include: list[str]) -> list[str]:
    """The index's own column names (pg_attribute): the table column, else the function's name or
    ``expr``, made unique with a number as PostgreSQL does (``lower``, ``lower1``)."""
    out: list[str] = []
    for k in keys:
        if "column" in k:
            name = k["column"]
        else:
            head = k["expr"].split("(", 1)[0]
            name = head if _is_call(k["expr"]) and head.isidentifier() else "expr"
            base, n = name, 0
            while name in out:
                n += 1
                name = f"{base}{n}"
        out.append(name)
    return out + list(include)


def needs_expression_unique(spec: dict[str, Any]) -> bool:
    """Whether a unique index must be checked here (expression keys or a predicate)."""
    return bool(spec.get("where")) or any("expr" in k for k in spec["keys"])


def referenced_columns(spec: dict[str, Any]) -> set[str]:
    """Table columns an index reads (keys, expressions, INCLUDE, predicate)."""
    cols = {k["column"] for k in spec.get("keys", []) if "column" in k} | set(spec.get("include") or [])
    texts = [k["expr"] for k in spec.get("keys", []) if "expr" in k] + ([spec["where"]] if spec.get("where") else [])
    for text in texts:
        cols |= {c.name for c in _expression(text).find_all(exp.Column)}
    return cols


@functools.lru_cache(maxsize=256)
def _parsed(text: str) -> exp.Expression:
    return parse(f"select {text}")[0].ast.expressions[0]


def _expression(text: str) -> exp.Expression:
    """An index expression's tree, parsed once per text (a parse cost more than a one-row
    INSERT's uniqueness check); a copy, as compiling may change it."""
    return _parsed(text).copy()


def rename_column(spec: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """The same index description after ALTER TABLE ... RENAME COLUMN old TO new."""
    def rewrite(text: str) -> str:
        tree = _expression(text)
        for col in tree.find_all(exp.Column):
            if col.name == old:
                col.set("this", exp.to_identifier(new))
        return expression_sql(tree)

    keys = []
    for k in spec.get("keys", []):
        if k.get("column") == old:
            k = {**k, "column": new}
        elif "expr" in k:
            k = {**k, "expr": rewrite(k["expr"])}
        keys.append(k)
    out = {**spec, "keys": keys, "include": [new if c == old else c for c in spec.get("include") or []]}
    if spec.get("where"):
        out["where"] = rewrite(spec["where"])
    if "columns" in spec:
        out["columns"] = [key_sql(k, in_definition=False) for k in keys]
    return out


# ------------------------------------------------------------------------------------ enforcement
def _keys_of(session: Any, ctx: Any, tdef: Any, spec: dict[str, Any], batch: pa.RecordBatch) -> list[tuple]:
    """The key of each row of a full-width batch, None for rows outside the predicate or with a NULL."""
    from helios_core.sql.dml import _scope

    scope = _scope(tdef)
    n = batch.num_rows
    arrays = []
    for k in spec["keys"]:
        if "column" in k:
            arrays.append(batch.column(k["column"]))
            continue
        v = compile_scalar(_expression(k["expr"]), scope, ctx).evaluate(batch, ctx)
        arrays.append(v.broadcast(n).array if v.scalar else v.array)
    keep = None
    if spec.get("where"):
        v = compile_scalar(_expression(spec["where"]), scope, ctx).evaluate(batch, ctx)
        keep = pc.fill_null(v.broadcast(n).array if v.scalar else v.array, False).to_pylist()
    values = [a.to_pylist() for a in arrays]
    out: list[tuple | None] = []
    for i in range(n):
        key = tuple(col[i] for col in values)
        out.append(None if (keep is not None and not keep[i]) or any(v is None for v in key) else key)
    return out


def row_keys(session: Any, ctx: Any, tdef: Any, spec: dict[str, Any], batch: pa.RecordBatch) -> list[tuple | None]:
    """Each row's key on an expression/partial unique index (None: the row cannot conflict)."""
    return _keys_of(session, ctx, tdef, spec, batch)


def stored_rows_by_key(session: Any, ctx: Any, txn: Any, tdef: Any, spec: dict[str, Any],
                       wanted: set[tuple]) -> dict[tuple, dict]:
    """key -> visible row (``_rowid`` and columns) for the wanted keys (ON CONFLICT's arbiter lookup)."""
    out: dict[tuple, dict] = {}
    if not wanted:
        return out
    for by_key, mask, read, _rowids in _stored_keys(session, ctx, txn, tdef, spec):
        hits = {k: pos for k in wanted for pos in _visible_positions(by_key.get(k), mask)}
        if hits:
            found = read().take(pa.array(list(hits.values()), pa.int64())).to_pylist()
            out.update(zip(hits, found, strict=True))
    return out


def _stored_keys(session: Any, ctx: Any, txn: Any, tdef: Any, spec: dict[str, Any]
                 ) -> Iterator[tuple[dict, Any, Any, Any]]:
    """Each chunk the statement's snapshot walks as ``(key -> its row positions, visible mask or None,
    read, rowids)``. A chunk's keys are worked out once and kept with the chunk (it never changes;
    index expressions are immutable): the uniqueness check of one new row evaluated the index's
    expressions over every row of the table, 74 ms at 100,000 rows. The map is kept per index
    definition, the referenced columns' physical ids and types, and the settings an expression may
    read (time zone, search_path)."""
    columns = [c.name for c in tdef.columns]
    used = referenced_columns(spec)
    signature = ("unique keys", json.dumps(spec, sort_keys=True, default=str),
                 tuple((c.col_id, str(c.type)) for c in tdef.columns if c.name in used),
                 str(session.settings_obj.get("timezone")) if session is not None else "",
                 tuple(session.search_path()) if session is not None else ())
    for cache, mask, read, rowids in txn.chunk_caches_def(tdef, columns):
        by_key = cache.get(signature)
        if by_key is None:
            b = read()
            rows = pa.RecordBatch.from_arrays(b.columns[:-1], names=b.schema.names[:-1])
            by_key = {}
            for i, k in enumerate(_keys_of(session, ctx, tdef, spec, rows)):
                if k is not None:
                    by_key.setdefault(k, []).append(i)
            cache[signature] = by_key
        yield by_key, mask, read, rowids


def _visible_positions(positions: list[int] | None, mask: Any) -> list[int]:
    if not positions:
        return []
    return positions if mask is None else [p for p in positions if mask[p]]


def matching_spec(tdef: Any, key_nodes: list[exp.Expression]) -> dict[str, Any] | None:
    """The expression unique index an ON CONFLICT (expr, ...) target names (keys in any order)."""
    wanted = sorted(expression_sql(n) if not isinstance(n, exp.Column) else _ident(n.name) for n in key_nodes)
    for spec in (tdef.options or {}).get("expression_unique") or []:
        if spec.get("where"):
            continue  # a partial index needs the target's own WHERE, which is not taken here
        have = sorted(k["expr"] if "expr" in k else _ident(k["column"]) for k in spec["keys"])
        if have == wanted:
            return spec
    return None


def _key_text(spec: dict[str, Any]) -> str:
    return ", ".join(key_sql(k, in_definition=False) for k in spec["keys"])


def _value_text(key: tuple) -> str:
    return ", ".join(_text_of(v) for v in key)


def _text_of(v: Any) -> str:
    if isinstance(v, bool):
        return "t" if v else "f"
    return str(v)


def check_new_rows(session: Any, txn: Any, ctx: Any, tdef: Any, batch: pa.RecordBatch,
                   exclude_rowids: Any = None, changed_cols: set[str] | None = None) -> None:
    """23505 when new rows clash with each other or with visible rows on an expression/partial unique index."""
    specs = (tdef.options or {}).get("expression_unique") or []
    if not specs or batch.num_rows == 0:
        return
    for spec in specs:
        if changed_cols is not None and not (referenced_columns(spec) & changed_cols):
            continue
        new_keys = _keys_of(session, ctx, tdef, spec, batch)
        seen: set[tuple] = set()
        for k in new_keys:
            if k is None:
                continue
            if k in seen:
                _raise_duplicate(session, tdef, spec, k)
            seen.add(k)
        if not seen:
            continue
        excluded = set(exclude_rowids.to_pylist()) if exclude_rowids is not None else set()
        for by_key, mask, _read, rowids in _stored_keys(session, ctx, txn, tdef, spec):
            for k in seen:
                for pos in _visible_positions(by_key.get(k), mask):
                    if not excluded or int(rowids()[pos]) not in excluded:
                        _raise_duplicate(session, tdef, spec, k)


def _raise_duplicate(session: Any, tdef: Any, spec: dict[str, Any], key: tuple) -> None:
    raise UniqueViolation(f'duplicate key value violates unique constraint "{spec["name"]}"',
                          detail=f"Key ({_key_text(spec)})=({_value_text(key)}) already exists.",
                          schema_name=tdef.schema, table_name=tdef.name, constraint_name=spec["name"])


def check_existing(session: Any, txn: Any, tdef: Any, spec: dict[str, Any]) -> None:
    """CREATE UNIQUE INDEX on rows already there: 23505 ``could not create unique index``."""
    ctx = session.context(txn)
    seen: set[tuple] = set()
    for b in txn.scan(tdef.schema, tdef.name):
        if b.num_rows == 0:
            continue
        for k in _keys_of(session, ctx, tdef, spec, b):
            if k is None:
                continue
            if k in seen:
                raise UniqueViolation(f'could not create unique index "{spec["name"]}"',
                                      detail=f"Key ({_key_text(spec)})=({_value_text(k)}) "
                                             "is duplicated.", schema_name=tdef.schema, table_name=tdef.name,
                                      constraint_name=spec["name"])
            seen.add(k)
