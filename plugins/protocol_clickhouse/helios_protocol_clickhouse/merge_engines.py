"""The MergeTree family's merging engines over the kernel's ordinary tables.

    CREATE TABLE r (k UInt32, v String, ver UInt8) ENGINE = ReplacingMergeTree(ver) ORDER BY k
    -> the table r (what PostgreSQL clients read too) and, in the same transaction, its engine
       recorded in "_clickhouse".table_engines

ClickHouse merges a table's parts at times of its own choosing; each merge applies the engine's
rule to the rows that share a sorting key (within a partition; a FINAL read merges across
partitions, as ClickHouse's does by default):

- ReplacingMergeTree([ver [, is_deleted]]): the row of the highest ``ver`` (the last inserted
  among equals, or the last inserted without ``ver``); with ``is_deleted`` a FINAL read leaves the
  key out when that row has ``is_deleted = 1`` (merges keep it).
- SummingMergeTree([columns]): one row whose columns to sum (the numeric columns outside the
  sorting and partition keys, or those named) hold the sums, wrapped around in their type; the
  other columns take the first row's values; a row whose sums are all 0 is dropped.
- CollapsingMergeTree(sign): rows of ``sign = 1`` and ``-1`` cancel in pairs; what is left is the
  first ``-1`` row and/or the last ``1`` row as ClickHouse's algorithm keeps them (a FINAL read
  keeps the ``1`` rows only).
- VersionedCollapsingMergeTree(sign, version): per key and version, each row cancels the row
  before it of the other sign that is still standing.
- AggregatingMergeTree: see the end of this text.

Here the rows are where ClickHouse's would be after the same merges: an INSERT's block is merged
before it is written (ClickHouse's part writer merges a block for these engines), through a
temporary table of the table's shape (``staged_copy``, ``staged_insert``); ``FROM t FINAL`` (and
the ``final`` setting) reads the merge of all the table's rows (``read_final``), ordered by their
insertion (``ctid``); ``OPTIMIZE TABLE t [FINAL] [DEDUPLICATE [BY ...]]`` rewrites the table's rows
merged, in one kernel transaction (``optimize``). A sign or is_deleted value ClickHouse's merge
would refuse is refused when inserted (a CHECK constraint: 117 INCORRECT_DATA; the merge lets such
a row through to it). VersionedCollapsingMergeTree's merge takes signs other than 1 and -1 in a way
not built here: they are refused with 48.

Every CREATE TABLE over ClickHouse records its engine as declared (``Memory``, ``MergeTree ...``),
which system.tables (engine, engine_full, partition/sorting/primary key) and SHOW CREATE TABLE
show.

- AggregatingMergeTree: one row per key, its AggregateFunction columns' states merged
  (``aggregate_states``), its SimpleAggregateFunction(f, T) columns combined by f, its other columns
  the first row's; a column outside the keys that is neither is refused (36) unless
  ``allow_dimensions_outside_sorting_key = 1``, as ClickHouse does.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Callable
from typing import Any

import attrs
import sqlglot
from sqlglot import exp

from helios_protocol_clickhouse import column_types
from helios_protocol_clickhouse.catalog import schema_of
from helios_protocol_clickhouse.errors import ClickHouseError
from helios_protocol_clickhouse.state_types import read_simple_type, read_state_type

# the name sqlglot registers ``dialect.HeliosClickHouse`` under (this module cannot import the
# dialect: the dialect imports the rewrites, which read FINAL through this module)
_DIALECT = "heliosclickhouse"

REPLACING, SUMMING, COLLAPSING, VERSIONED = ("ReplacingMergeTree", "SummingMergeTree", "CollapsingMergeTree",
                                             "VersionedCollapsingMergeTree")
AGGREGATING = "AggregatingMergeTree"
MERGING_ENGINES = (REPLACING, SUMMING, COLLAPSING, VERSIONED, AGGREGATING)
_ARGUMENTS = {REPLACING: (0, 2, "[is_deleted column],\n[version]"), SUMMING: (0, 1, "[columns to sum]"),
              COLLAPSING: (1, 1, "sign column"), VERSIONED: (2, 2, "sign column,\nversion"), AGGREGATING: (0, 0, "")}

TABLE = f'"{column_types.SCHEMA}".table_engines'
_CREATE_TABLE = (f"CREATE TABLE IF NOT EXISTS {TABLE} (schema_name text NOT NULL, table_name text NOT NULL, "
                 "engine text NOT NULL, engine_full text NOT NULL, partition_key text NOT NULL, "
                 "sorting_key text NOT NULL, primary_key text NOT NULL, definition text NOT NULL, "
                 "PRIMARY KEY (schema_name, table_name))")

# the name of the CHECK of a VersionedCollapsingMergeTree's sign ends so: its violation is 48 (errors)
VERSIONED_SIGN_CHECK = "_versioned_sign_not_built"

_POS, _RANK = "_ch_merge_pos", "_ch_merge_rank"
_INTEGER = re.compile(r"^U?Int(8|16|32|64|128|256)$")
_NUMBER = re.compile(r"^(U?Int(8|16|32|64|128|256)|Float(32|64)|Decimal(32|64|128|256)?\(.*\)|Bool)$")


@attrs.frozen
class TableEngine:
    """A table's engine as its CREATE TABLE declared it (ClickHouse SQL text of each part)."""

    name: str
    arguments: tuple[str, ...] = ()
    partition_by: str = ""
    primary_key: str = ""
    order_by: str = ""
    settings: str = ""
    # the deprecated syntax ENGINE = SummingMergeTree(d, k, 8192[, ...]): its leading arguments (date
    # column, [sampling,] primary key, index granularity) say what the clauses say in the other
    leading: int = 0
    sample_by: str = ""  # SAMPLE BY (the deprecated syntax's sampling argument): what SAMPLE reads

    @property
    def sampling_key(self) -> str:
        """The expression SAMPLE reads ('' : the table has none)."""
        return self.sample_by or (self.arguments[1] if self.leading == 4 else "")

    @property
    def parameters(self) -> tuple[str, ...]:
        """The engine's own arguments (version, sign, columns to sum...)."""
        return self.arguments[self.leading:]

    @property
    def merging(self) -> bool:
        return self.name in MERGING_ENGINES

    @property
    def merge_tree(self) -> bool:
        return self.name.endswith("MergeTree")

    def clause(self) -> str:
        if self.name == "Null":  # a keyword: ClickHouse quotes it
            return "`Null`"
        return self.name + (f"({', '.join(self.arguments)})" if self.arguments else "")

    def key_expressions(self) -> list[exp.Expression]:
        """The sorting key's expressions (``ORDER BY (a, f(b))``: a and f(b); ``tuple()``: none)."""
        return _elements(self.order_by)

    def sorting_key(self) -> str:
        keys = [k.sql(dialect=_DIALECT) for k in self.key_expressions()]
        if self.name == VERSIONED and keys:
            keys.append(self.parameters[1])
        return ", ".join(keys)

    def primary_key_text(self) -> str:
        if self.primary_key:
            return ", ".join(k.sql(dialect=_DIALECT) for k in _elements(self.primary_key))
        return ", ".join(k.sql(dialect=_DIALECT) for k in self.key_expressions())

    def _settings(self) -> str:
        if "index_granularity" in {s.split("=")[0].strip() for s in self.settings.split(",")}:
            return self.settings
        return "index_granularity = 8192" + (f", {self.settings}" if self.settings else "")

    def _clauses(self) -> list[str]:
        if not self.merge_tree or self.leading:
            return []
        out = [f"PARTITION BY {self.partition_by}"] if self.partition_by else []
        if self.primary_key:
            out.append(f"PRIMARY KEY {self.primary_key}")
        out.append(f"ORDER BY {self.order_by or 'tuple()'}")
        out.append(f"SETTINGS {self._settings()}")
        return out

    def engine_full(self) -> str:
        """system.tables.engine_full: ``ReplacingMergeTree(ver) ORDER BY k SETTINGS index_granularity = 8192``."""
        return " ".join([self.clause(), *self._clauses()])

    def show_create(self) -> str:
        """The lines of SHOW CREATE TABLE after the columns."""
        return "\n".join([f"ENGINE = {self.clause()}", *self._clauses()])


def _elements(text: str) -> list[exp.Expression]:
    if not text:
        return []
    tree = sqlglot.parse_one(text, read=_DIALECT)
    if isinstance(tree, exp.Paren):
        tree = tree.this
    if isinstance(tree, exp.Tuple):
        return list(tree.expressions)
    if isinstance(tree, exp.Struct) and not tree.expressions or \
            isinstance(tree, exp.Anonymous) and str(tree.this).lower() == "tuple" and not tree.expressions:
        return []
    if isinstance(tree, exp.Struct | exp.Anonymous) and str(getattr(tree, "this", "") or "").lower() in ("", "tuple"):
        return list(tree.expressions)
    return [tree]


# -- CREATE TABLE ----------------------------------------------------------------------------------


def _sql(node: exp.Expression) -> str:
    return node.sql(dialect=_DIALECT)


# a Join engine's strictness and kind, quoted to be parsed (join_engine.quoted_arguments): shown bare
_JOIN_WORDS = {"ANY", "ALL", "SEMI", "ANTI", "ASOF", "LEFT", "INNER", "RIGHT", "FULL"}


def _argument(node: exp.Expression) -> str:
    if isinstance(node, exp.Column) and not node.table and node.name.upper() in _JOIN_WORDS:
        return node.name
    return _sql(node)


def engine_of(create: exp.Create, columns: list[tuple[str, str, bool]], settings: dict[str, str]) -> TableEngine | None:
    """The engine a CREATE TABLE declares (None: it names none), checked against its columns
    ((name, ClickHouse type, ...)) as ClickHouse checks a merging engine's arguments."""
    properties = create.args.get("properties")
    parts: dict[str, Any] = {}
    for prop in properties.expressions if properties is not None else []:
        if isinstance(prop, exp.EngineProperty):
            engine = prop.this
            if isinstance(engine, exp.Anonymous):
                parts["name"] = str(engine.this)
                parts["arguments"] = tuple(_argument(a) for a in engine.expressions)
                parts["nodes"] = list(engine.expressions)
            else:
                parts["name"] = engine.name if isinstance(engine, exp.Identifier) else \
                    "Null" if isinstance(engine, exp.Null) else _sql(engine)
        elif isinstance(prop, exp.PartitionedByProperty):
            parts["partition_by"] = _sql(prop.this)
        elif isinstance(prop, exp.PrimaryKey):
            keys = [_sql(e) for e in prop.expressions]
            parts["primary_key"] = keys[0] if len(keys) == 1 else f"({', '.join(keys)})"
        elif isinstance(prop, exp.Order):
            keys = [_sql(o.this) for o in prop.expressions]
            parts["order_by"] = keys[0] if len(keys) == 1 else f"({', '.join(keys)})"
        elif isinstance(prop, exp.SampleProperty):
            parts["sample_by"] = _sql(prop.this)
        elif isinstance(prop, exp.SettingsProperty):
            parts["settings"] = ", ".join(_sql(s) for s in prop.expressions)
    if "name" not in parts:
        return None
    nodes = parts.pop("nodes", [])
    engine = TableEngine(**parts)
    leading = _deprecated_leading(engine, nodes)
    if leading:
        if str(settings.get("allow_deprecated_syntax_for_merge_tree", "0")).strip("'").lower() not in ("1", "true"):
            raise ClickHouseError(36, "This syntax for *MergeTree engine is deprecated. Use extended storage "
                                      "definition syntax with ORDER BY/PRIMARY KEY clause. See also "
                                      "`allow_deprecated_syntax_for_merge_tree` setting")
        engine = attrs.evolve(engine, leading=leading, partition_by=f"toYYYYMM({_sql(nodes[0])})",
                              order_by=_sql(nodes[leading - 2]))
    if engine.name == "Null" and (engine.order_by or engine.partition_by or engine.primary_key):
        raise ClickHouseError(36, "Engine Null doesn't support PARTITION_BY, PRIMARY_KEY, ORDER_BY or SAMPLE_BY clauses")
    if engine.merging:
        _check(engine, nodes[leading:], {name: type_name for name, type_name, _ in columns})
    if engine.name == AGGREGATING:
        _check_dimensions(engine, columns, settings)
    return engine


def _check_dimensions(engine: TableEngine, columns: list[tuple[str, str, bool]], settings: dict[str, str]) -> None:
    """AggregatingMergeTree: a column outside the keys that is no aggregate measure is refused (36), as
    ClickHouse refuses it unless ``allow_dimensions_outside_sorting_key = 1``."""
    allowed = {s.split("=")[0].strip(): s.partition("=")[2].strip() for s in engine.settings.split(",") if "=" in s}
    value = allowed.get("allow_dimensions_outside_sorting_key", settings.get("allow_dimensions_outside_sorting_key", "0"))
    if str(value).strip("'").lower() in ("1", "true"):
        return
    keys = {c.name for k in [*engine.key_expressions(), *_elements(engine.partition_by), *_elements(engine.primary_key)]
            for c in k.find_all(exp.Column)}
    outside = [name for name, type_name, _ in columns if name not in keys and
               not type_name.startswith(("AggregateFunction(", "SimpleAggregateFunction("))]
    if outside:
        raise ClickHouseError(36, f"Column(s) {', '.join(outside)} of the AggregatingMergeTree table are neither part "
                                  "of the sorting key nor aggregate measures (AggregateFunction or "
                                  "SimpleAggregateFunction). Add them to the sorting key (ORDER BY), or set "
                                  "'allow_dimensions_outside_sorting_key = 1' if this is intentional")


def _deprecated_leading(engine: TableEngine, nodes: list[exp.Expression]) -> int:
    """How many leading arguments of the deprecated syntax there are (0: the extended syntax)."""
    if not engine.merge_tree or engine.order_by or engine.primary_key or engine.partition_by:
        return 0
    for granularity in (2, 3):
        if len(nodes) > granularity and isinstance(nodes[granularity], exp.Literal) and \
                not nodes[granularity].is_string:
            return granularity + 1
    return 0


def _check(engine: TableEngine, nodes: list[exp.Expression], types: dict[str, str]) -> None:
    low, high, names = _ARGUMENTS[engine.name]
    if engine.leading:  # the deprecated syntax: no is_deleted
        high = min(high, 1) if engine.name == REPLACING else high
    if not low <= len(nodes) <= high:
        wanted = f"{low} to {high}" if low != high else str(low)
        if engine.name == AGGREGATING:
            raise ClickHouseError(42, f"With extended storage definition syntax storage {engine.name} requires "
                                      "no parameters")
        raise ClickHouseError(42, f"With extended storage definition syntax storage {engine.name} requires "
                                  f"{wanted} parameters: \n{names}")
    key_columns = {c.name for k in engine.key_expressions() for c in k.find_all(exp.Column)}
    for column in key_columns:
        if (types.get(column) or "").startswith("Nullable("):
            raise ClickHouseError(44, "Sorting key contains nullable columns, but merge tree setting "
                                      "`allow_nullable_key` is disabled")
    if engine.name == AGGREGATING:
        return
    if engine.name == SUMMING:
        listed = nodes[0].expressions if nodes and isinstance(nodes[0], exp.Tuple) else nodes
        for node in listed:
            name = _column_name(node, "columns to sum")
            if name not in types:
                raise ClickHouseError(16, f"Column {name} listed in columns to sum does not exist in table "
                                          "declaration")
            if name in key_columns:
                raise ClickHouseError(36, f"Columns: {name} listed both in columns to sum and in sorting key. "
                                          "That is not allowed")
        return
    what = {REPLACING: ("Version", "is_deleted"), COLLAPSING: ("Sign",), VERSIONED: ("Sign", "Version")}[engine.name]
    for node, role in zip(nodes, what, strict=False):
        name = _column_name(node, role)
        if name not in types:
            raise ClickHouseError(16, f"{role} column {name} does not exist in table declaration")
        type_name = types[name]
        if role == "Sign" and type_name != "Int8":
            raise ClickHouseError(169, f"Sign column ({name}) for storage {engine.name} must have type Int8. "
                                       f"Provided column of type {type_name}")
        if role == "is_deleted" and type_name != "UInt8":
            raise ClickHouseError(169, f"is_deleted column ({name}) for storage {engine.name} must have type "
                                       f"UInt8. Provided column of type {type_name}")
        if role == "Version" and not re.match(r"^(U?Int\d+|Float\d+|Date|Date32|DateTime(64)?(\(.*\))?)$",
                                               type_name):
            raise ClickHouseError(169, f"The column {name} cannot be used as a version column for storage "
                                       f"{engine.name} because it is of type {type_name} (must be of an integer "
                                       "type or of type Date/DateTime/DateTime64)")


def _column_name(node: exp.Expression, role: str) -> str:
    if isinstance(node, exp.Column) and not node.table:
        return node.name
    raise ClickHouseError(36, f"{role} must be a column name, not {_sql(node)}")


_q = column_types.quoted


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def declare_statements(schema: str, table: str, engine: TableEngine) -> list[str]:
    """SQL that records ``engine`` as the engine of ``schema.table`` (run in the CREATE TABLE's
    transaction), with the CHECKs of its sign / is_deleted column."""
    definition = json.dumps(attrs.asdict(engine))
    out = [f'CREATE SCHEMA IF NOT EXISTS "{column_types.SCHEMA}"', _CREATE_TABLE, forget_statement(schema, table),
           (f"INSERT INTO {TABLE} (schema_name, table_name, engine, engine_full, partition_key, sorting_key, "
            f"primary_key, definition) VALUES ({_q(schema)}, {_q(table)}, {_q(engine.name)}, "
            f"{_q(engine.engine_full())}, {_q(engine.partition_by)}, "
            f"{_q(engine.sorting_key() if engine.merge_tree else '')}, "
            f"{_q(engine.primary_key_text() if engine.merge_tree else '')}, {_q(definition)})")]
    relation = f"{_ident(schema)}.{_ident(table)}"
    checks = []
    if engine.name == COLLAPSING:  # ClickHouse's merge refuses any other sign (117)
        checks.append((f"{table}_collapsing_sign", f"{_ident(engine.parameters[0])} IN (1, -1)"))
    if engine.name == VERSIONED:  # ClickHouse's merge takes other signs: not built here (48)
        checks.append((f"{table}{VERSIONED_SIGN_CHECK}", f"{_ident(engine.parameters[0])} IN (1, -1)"))
    if engine.name == REPLACING and len(engine.parameters) == 2:
        checks.append((f"{table}_is_deleted", f"{_ident(engine.parameters[1])} IN (0, 1)"))
    out += [f"ALTER TABLE {relation} ADD CONSTRAINT {_ident(name)} CHECK ({condition})" for name, condition in checks]
    return out


def forget_statement(schema: str, table: str) -> str:
    return column_types.forget_rows(TABLE, schema, table)


def rename_statement(schema: str, table: str, new_schema: str, new_table: str) -> str:
    return column_types.rename_rows(TABLE, schema, table, new_schema, new_table)


# -- lookups ---------------------------------------------------------------------------------------

_cache: dict[tuple, Any] = {}
_lock = threading.Lock()


def _cached(session: Any, key: tuple, compute: Callable[[], Any]) -> Any:
    full = (session.database, session.branch, session.catalog_version, *key)
    with _lock:
        if full in _cache:
            return _cache[full]
    value = compute()
    with _lock:
        if len(_cache) > 4096:
            _cache.clear()
        _cache[full] = value
    return value


def recorded(session: Any) -> bool:
    """Whether this branch holds the table of recorded engines."""
    def compute() -> bool:
        rows = session.execute(f"SELECT to_regclass({_q(TABLE)}) IS NOT NULL")[-1].rows()
        return bool(rows and rows[0][0])
    return _cached(session, ("engines",), compute)


def table_engine(session: Any, schema: str, table: str) -> TableEngine | None:
    """The engine ``schema.table`` was created with over ClickHouse (None: none recorded)."""
    def compute() -> TableEngine | None:
        if not recorded(session):
            return None
        rows = session.execute(f"SELECT definition FROM {TABLE} WHERE schema_name = {_q(schema)} "
                               f"AND table_name = {_q(table)}")[-1].rows()
        if not rows:
            return None
        fields = json.loads(rows[0][0])
        fields["arguments"] = tuple(fields.get("arguments") or ())
        return TableEngine(**fields)
    return _cached(session, ("engine", schema, table), compute)


def tables_query(tables: str) -> str:
    """system.tables with the recorded engines (``tables``: the query of the kernel's tables)."""
    names = ("database", "name", "uuid", "engine", "is_temporary", "total_rows", "total_bytes", "data_paths",
             "metadata_path", "create_table_query", "engine_full", "partition_key", "sorting_key", "primary_key",
             "sampling_key", "comment", "has_own_data")
    recorded_names = {"engine", "engine_full", "partition_key", "sorting_key", "primary_key"}
    items = ", ".join(f"COALESCE(e.{n}, t.{n}) AS {n}" if n in recorded_names else f"t.{n}" for n in names)
    return (f"SELECT {items} FROM ({tables}) AS t LEFT JOIN {TABLE} AS e ON e.table_name = t.name AND "
            "CASE WHEN e.schema_name = 'public' THEN 'default' ELSE e.schema_name END = t.database")


# -- the merge -------------------------------------------------------------------------------------


def _bq(name: str) -> str:
    return "`" + name.replace("`", "\\`") + "`"


def _summed(engine: TableEngine, columns: list[Any]) -> list[Any]:
    """The columns SummingMergeTree sums: those named, or every number outside the keys."""
    if engine.parameters:
        named = _elements(engine.parameters[0])
        listed = {c.name for c in named}
        return [c for c in columns if c.name in listed and _NUMBER.match(_not_null(c.type))]
    keys = {c.name for k in [*engine.key_expressions(), *_elements(engine.partition_by)] for c in k.find_all(exp.Column)}
    return [c for c in columns if c.name not in keys and _NUMBER.match(_not_null(c.type))]


def _not_null(type_name: str) -> str:
    return type_name[len("Nullable("):-1] if type_name.startswith("Nullable(") else type_name


def _summand(column: Any) -> str:
    return f"toUInt8({_bq(column.name)})" if _not_null(column.type) == "Bool" else _bq(column.name)


def _default_test(expression: str, type_name: str) -> str:
    """Whether a sum is its column's default: 0, or NULL in a Nullable column (NULLs are not summed)."""
    if type_name.startswith("Nullable("):
        return f"{expression} IS NULL"
    return f"NOT {expression}" if type_name == "Bool" else f"{expression} = 0"


def _wrapped(expression: str, type_name: str) -> str:
    """A sum in the column's own type (integers wrap around as ClickHouse's do)."""
    if type_name.startswith("Nullable("):
        inner = _not_null(type_name)
        return f"if({expression} IS NULL, NULL, {_wrapped(expression, inner)})"
    if type_name == "Bool":  # summed as a UInt8
        return f"(toUInt8({expression}) != 0)"
    if _INTEGER.match(type_name) or type_name in ("Float32", "Float64"):
        return f"to{type_name}({expression})"
    return f"CAST({expression} AS {type_name})"


def merged_select(engine: TableEngine, columns: list[Any], source: str, *, final: bool,
                  where: str | None = None, deduplicate: list[str] | None = None,
                  read: set[str] | None = None) -> exp.Select:
    """The rows of ``source`` (ClickHouse SQL of a table) after the engine's merge of them all, in
    the order of the keys (``final``: as a FINAL read shows them). ``where`` filters the rows
    before they merge (PREWHERE of a FINAL read); ``deduplicate``: the columns by which
    OPTIMIZE ... DEDUPLICATE keeps the first of equal rows; ``read``: the columns a FINAL read reads
    (ClickHouse's FINAL merges those only: SummingMergeTree drops a row when the sums it reads are 0)."""
    names = [c.name for c in columns]
    listed = ", ".join(_bq(n) for n in names)
    # merges keep to a partition; a FINAL read merges across them (do_not_merge_across_partitions_select_final = 0)
    partition = [] if final else _elements(engine.partition_by)
    groups = [_sql(e) for e in [*partition, *engine.key_expressions()]]
    if engine.name == VERSIONED:
        groups.append(_bq(engine.parameters[1]))
    over = f"PARTITION BY {', '.join(groups)} " if groups else ""
    order = ", ".join([*groups, _POS])
    rows = (f"(SELECT {listed}, row_number() OVER (ORDER BY ctid) AS {_POS} FROM {source}"
            f"{f' WHERE {where}' if where else ''}) AS _ch_merge_rows")
    if engine.name == REPLACING:
        version = f"{_bq(engine.parameters[0])} DESC, " if engine.parameters else ""
        deleted = f" AND {_bq(engine.parameters[1])} = 0" if final and len(engine.parameters) == 2 else ""
        text = (f"SELECT {listed}, {_POS} FROM (SELECT {listed}, {_POS}, row_number() OVER ({over}ORDER BY "
                f"{version}{_POS} DESC) AS {_RANK} FROM {rows}) AS _ch_merge_ranked WHERE {_RANK} = 1{deleted}")
    elif engine.name == SUMMING:
        summed = _summed(engine, columns)
        sums = "".join(f", sum({_summand(c)}) OVER ({over.strip()}) AS _ch_merge_sum{i}" for i, c in enumerate(summed))
        index = {c.name: i for i, c in enumerate(summed)}
        out = ", ".join(f"{_wrapped(f'_ch_merge_sum{index[n]}', c.type)} AS {_bq(n)}" if n in index else _bq(n)
                        for n, c in zip(names, columns, strict=True))
        tested = [(i, c) for i, c in enumerate(summed) if read is None or c.name in read]
        zero = f" AND NOT ({' AND '.join(_default_test(_wrapped(f'_ch_merge_sum{i}', c.type), c.type) for i, c in tested)})" \
            if tested else ""
        text = (f"SELECT {out}, {_POS} FROM (SELECT {listed}, {_POS}, row_number() OVER ({over}ORDER BY {_POS}) "
                f"AS {_RANK}{sums} FROM {rows}) AS _ch_merge_ranked WHERE {_RANK} = 1{zero}")
    elif engine.name == COLLAPSING:
        sign = _bq(engine.parameters[0])
        by_sign = f"PARTITION BY {', '.join([*groups, sign])} "
        negative = "0" if final else f"{sign} = -1 AND _ch_first = 1 AND _ch_up <= _ch_down"
        text = (f"SELECT {listed}, {_POS} FROM (SELECT {listed}, {_POS}, "
                f"sum(if({sign} = 1, 1, 0)) OVER ({over.strip()}) AS _ch_up, "
                f"sum(if({sign} = -1, 1, 0)) OVER ({over.strip()}) AS _ch_down, "
                f"first_value({sign}) OVER ({over}ORDER BY {_POS} DESC) AS _ch_last_sign, "
                f"row_number() OVER ({by_sign}ORDER BY {_POS}) AS _ch_first, "
                f"row_number() OVER ({by_sign}ORDER BY {_POS} DESC) AS _ch_last FROM {rows}) AS _ch_merge_ranked "
                f"WHERE (_ch_last_sign = 1 OR _ch_up != _ch_down) AND (({negative}) OR "
                f"({sign} = 1 AND _ch_last = 1 AND _ch_up >= _ch_down)) OR {sign} NOT IN (1, -1)")
    elif engine.name == VERSIONED:
        sign = _bq(engine.parameters[0])
        # each row cancels the standing row before it of the other sign: what stands at the end is,
        # for each level 1..|sum| the running sum reached, the last row that took it there
        running = (f"(SELECT {listed}, {_POS}, sum({sign}) OVER ({over}ORDER BY {_POS} ROWS BETWEEN UNBOUNDED "
                   f"PRECEDING AND CURRENT ROW) AS _ch_run, sum({sign}) OVER ({over.strip()}) AS _ch_total "
                   f"FROM {rows}) AS _ch_merge_running")
        text = (f"SELECT {listed}, {_POS} FROM (SELECT {listed}, {_POS}, row_number() OVER (PARTITION BY "
                f"{', '.join([*groups, '_ch_run'])} ORDER BY {_POS} DESC) AS {_RANK} FROM {running} "
                f"WHERE {sign} * _ch_total > 0 AND _ch_run * {sign} BETWEEN 1 AND abs(_ch_total) OR {sign} NOT IN "
                f"(1, -1)) AS _ch_merge_ranked WHERE {_RANK} = 1 OR {sign} NOT IN (1, -1)")
    elif engine.name == AGGREGATING:
        text = _aggregating(columns, rows, groups)
    else:  # MergeTree: its merges keep every row
        text = f"SELECT {listed}, {_POS} FROM {rows}"
    if deduplicate is not None:
        by = ", ".join(_bq(n) for n in deduplicate)
        text = (f"SELECT {listed}, {_POS} FROM (SELECT {listed}, {_POS}, row_number() OVER (PARTITION BY {by} "
                f"ORDER BY {_POS}) AS _ch_dedup_rank FROM ({text}) AS _ch_merged) AS _ch_dedup "
                "WHERE _ch_dedup_rank = 1")
    select = sqlglot.parse_one(f"SELECT {listed} FROM ({text}) AS _ch_merged ORDER BY {order}", read=_DIALECT)
    assert isinstance(select, exp.Select)
    return select


def _aggregating(columns: list[Any], rows: str, groups: list[str]) -> str:
    """AggregatingMergeTree: a key's rows become one, its AggregateFunction columns' states merged,
    its SimpleAggregateFunction columns combined by their function, the others the first row's."""
    items = []
    for i, column in enumerate(columns):
        name = _bq(column.name)
        state = read_state_type(column.type)
        simple = read_simple_type(column.type)
        if state is not None:  # the kernel's -MergeState (aggregate_states): the stage's columns have no declared types
            call = f"ch_state_merge({_q(state.descriptor())}, {name})"
        elif simple is not None:
            call = f"{simple[0]}({name})"
        else:
            call = f"argMin({name}, {_POS})"
        items.append(f"{call} AS _ch_agg_{i}")
    renamed = ", ".join(f"_ch_agg_{i} AS {_bq(c.name)}" for i, c in enumerate(columns))
    group_by = f" GROUP BY {', '.join(groups)}" if groups else ""
    return (f"SELECT {renamed}, _ch_agg_pos AS {_POS} FROM (SELECT {', '.join(items)}, min({_POS}) AS _ch_agg_pos "
            f"FROM (SELECT * FROM {rows} ORDER BY {_POS}) AS _ch_merge_ordered{group_by} HAVING count() > 0) "
            "AS _ch_merge_grouped")


# -- FINAL -----------------------------------------------------------------------------------------


def read_final(tree: exp.Expression, ctx: Any) -> exp.Expression:
    """``FROM t FINAL`` (every merging table with ``final = 1``) -> FROM (the merge of t's rows) AS t.
    FINAL on a table of an engine that does not merge is refused (181) as ClickHouse refuses it; a
    PREWHERE over one FINAL table filters its rows before they merge, as in ClickHouse."""
    lookup = getattr(ctx, "table_engine", None)
    if lookup is None or not isinstance(tree, exp.Query | exp.Insert | exp.Create):
        return tree
    every = str(ctx.settings.get("final", "0")).strip("'").lower() in ("1", "true")
    read = _read(tree)
    sources = [t for t in tree.find_all(exp.Table) if isinstance(t.parent, exp.From | exp.Join)] if every else []
    for final in list(tree.find_all(exp.Final)):
        table = final.this
        if not isinstance(table, exp.Table) or not isinstance(table.this, exp.Identifier) or \
                (table.db or "").lower() == "system":
            continue
        engine, columns = _engine_of(table, ctx, lookup)
        if columns is None:
            continue
        if engine is None or not engine.merging:
            raise ClickHouseError(181, f"Storage {engine.name if engine else 'MergeTree'} doesn't support FINAL")
        final.replace(_final_source(table, engine, columns, _prewhere_of(final, table), read))
    for table in sources:  # final = 1: the tables read, not those of the merges just put in
        if not isinstance(table.this, exp.Identifier) or (table.db or "").lower() == "system":
            continue
        engine, columns = _engine_of(table, ctx, lookup)
        if engine is not None and engine.merging and columns is not None:
            table.replace(_final_source(table, engine, columns, None, read))
    return tree


def _engine_of(table: exp.Table, ctx: Any, lookup: Callable) -> tuple[TableEngine | None, list[Any] | None]:
    schema = schema_of(table.db or ctx.database)
    columns = ctx.table_columns(schema, table.name) if ctx.table_columns is not None else None
    return (lookup(schema, table.name) if columns is not None else None), columns


def _prewhere_of(final: exp.Final, table: exp.Table) -> str | None:
    """The PREWHERE of the SELECT that reads ``table`` FINAL alone, taken off that SELECT."""
    select = final.parent.parent if isinstance(final.parent, exp.From) else None
    if not isinstance(select, exp.Select) or select.args.get("joins") or select.args.get("prewhere") is None:
        return None
    condition = select.args["prewhere"].this.copy()
    select.set("prewhere", None)
    own = {table.alias_or_name, table.name}
    for column in condition.find_all(exp.Column):
        if column.table in own:
            column.set("table", None)
    return _sql(condition)


def _read(tree: exp.Expression) -> set[str] | None:
    """The column names a query reads (None: every column, ``*``)."""
    if any(isinstance(n, exp.Star) for n in tree.find_all(exp.Star)):
        return None
    return {c.name for c in tree.find_all(exp.Column)}


def _final_source(table: exp.Table, engine: TableEngine, columns: list[Any], where: str | None,
                  read: set[str] | None) -> exp.Expression:
    source = f"{_bq(table.db)}.{_bq(table.name)}" if table.db else _bq(table.name)
    merged = merged_select(engine, columns, source, final=True, where=where, read=read)
    return exp.Subquery(this=merged, alias=exp.TableAlias(this=exp.to_identifier(table.alias_or_name, quoted=True)))


# -- INSERT ----------------------------------------------------------------------------------------


def merge_into(ch: Any, schema: str, table: str, engine: TableEngine, stage: str) -> str:
    """Kernel SQL: INSERT INTO the table the merge of the stage's rows (a block, as ClickHouse's part
    writer merges it)."""
    columns = ch.table_columns(schema, table) or []
    merged = merged_select(engine, columns, _bq(stage), final=False)
    listed = ", ".join(_ident(c.name) for c in columns)
    return f"INSERT INTO {_ident(schema)}.{_ident(table)} ({listed}) {ch.translate(merged)}"


def merging_engine(ch: Any, schema: str, table: str) -> TableEngine | None:
    engine = table_engine(ch.session, schema, table)
    return engine if engine is not None and engine.merging else None


def staged_copy(ch: Any, schema: str, table: str, columns: list[str] | None) -> tuple[str, list[str]] | None:
    """COPY into a merging table (None: the table's engine does not merge): the rows go to a
    temporary table of the table's shape; the statements to run after insert their merge."""
    engine = merging_engine(ch, schema, table)
    if engine is None:
        return None
    stage = new_stage(ch, schema, table)
    listed = f" ({', '.join(_ident(c) for c in columns)})" if columns else ""
    return f"COPY {_ident(stage)}{listed} FROM STDIN", [merge_into(ch, schema, table, engine, stage),
                                                       f"DROP TABLE {_ident(stage)}"]


def new_stage(ch: Any, schema: str, table: str) -> str:
    """A temporary table of the table's columns and DEFAULTs (the rows an INSERT leaves out take them)."""
    stage = _ident(f"_ch_merge_stage_{uuid.uuid4().hex}")
    ch.session.execute(f"CREATE TEMPORARY TABLE {stage} (LIKE {_ident(schema)}.{_ident(table)})")
    for column, default in _defaults(ch.session, schema, table):
        ch.session.execute(f"ALTER TABLE {stage} ALTER COLUMN {_ident(column)} SET DEFAULT {default}")
    return stage[1:-1].replace('""', '"')


def _defaults(session: Any, schema: str, table: str) -> list[tuple[str, str]]:
    def compute() -> list[tuple[str, str]]:
        return [tuple(row) for row in session.execute(
            "SELECT a.attname, pg_get_expr(d.adbin, d.adrelid) FROM pg_catalog.pg_attrdef d "
            "JOIN pg_catalog.pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
            "JOIN pg_catalog.pg_class c ON c.oid = d.adrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            f"WHERE n.nspname = {_q(schema)} AND c.relname = {_q(table)} ORDER BY a.attnum")[-1].rows()]
    return _cached(session, ("defaults", schema, table), compute)


def staged_insert(ch: Any, tree: exp.Insert) -> Any | None:
    """INSERT ... SELECT (or VALUES the kernel computes) into a merging table: the statement's rows
    go to a temporary table of the table's shape, then their merge into the table. None: the
    target's engine does not merge."""
    target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    if not isinstance(target, exp.Table) or not isinstance(target.this, exp.Identifier):
        return None
    schema = schema_of(target.db or ch.database)
    engine = merging_engine(ch, schema, target.name)
    if engine is None:
        return None
    stage = new_stage(ch, schema, target.name)
    target.replace(exp.Table(this=exp.to_identifier(stage, quoted=True)))
    try:
        result = ch.execute_tree(tree)
        ch.session.execute(merge_into(ch, schema, target.name, engine, stage))
    finally:
        ch.session.execute(f"DROP TABLE IF EXISTS {_ident(stage)}")
    return result


# -- OPTIMIZE --------------------------------------------------------------------------------------

_OPTIMIZE = re.compile(r"^OPTIMIZE\s+TABLE\s+(?P<name>(?:`[^`]+`|\"[^\"]+\"|[\w.])+)"
                       r"(?:\s+ON\s+CLUSTER\s+\S+)?(?:\s+PARTITION\s+(?P<partition>.+?))?"
                       r"(?P<final>\s+FINAL)?(?P<dedup>\s+DEDUPLICATE(?:\s+BY\s+(?P<by>.+?))?)?"
                       r"(?P<cleanup>\s+CLEANUP)?\s*$", re.IGNORECASE | re.DOTALL)


def optimize(ch: Any, sql: str, split_name: Callable[[str, str], tuple[str, str]]) -> bool:
    """OPTIMIZE TABLE t [FINAL] [DEDUPLICATE [BY columns]]: a merging table's rows rewritten merged
    (and deduplicated), in one transaction; a MergeTree's deduplicated. False: not such a statement."""
    m = _OPTIMIZE.match(sql)
    if m is None:
        return False
    database, name = split_name(m.group("name"), ch.database)
    schema = schema_of(database)
    columns = ch.table_columns(schema, name)
    if columns is None:
        raise ClickHouseError(60, f"Table {database}.{name} does not exist")
    engine = table_engine(ch.session, schema, name)
    if engine is None:  # created over PostgreSQL: a MergeTree here, whose merges change nothing
        engine = TableEngine(name="MergeTree")
    if not engine.merge_tree:
        raise ClickHouseError(48, f"Method optimize is not supported by storage {engine.name}")
    where = _partition_condition(engine, m.group("partition")) if m.group("partition") else None
    if m.group("cleanup"):
        raise ClickHouseError(344, "Experimental merges with CLEANUP are not allowed")
    deduplicate = _deduplicate_by(engine, columns, m.group("by")) if m.group("dedup") else None
    if not engine.merging and deduplicate is None:
        return True
    relation = f"{_ident(schema)}.{_ident(name)}"
    source = f"{_bq(database)}.{_bq(name)}"
    merged = merged_select(engine, columns, source, final=False, where=where, deduplicate=deduplicate)
    stage = _ident(f"_ch_merge_stage_{uuid.uuid4().hex}")
    listed = ", ".join(_ident(c.name) for c in columns)
    delete = ch.translate(sqlglot.parse_one(f"DELETE FROM {source} WHERE {where}", read=_DIALECT)) if where else \
        f"DELETE FROM {relation}"
    statements = [f"CREATE TEMPORARY TABLE {stage} AS {ch.translate(merged)}", delete,
                  f"INSERT INTO {relation} ({listed}) SELECT {listed} FROM {stage}", f"DROP TABLE {stage}"]
    ch.ensure_database()
    session = ch.session
    session.execute("BEGIN")
    try:
        for statement in statements:
            session.execute(statement)
        session.execute("COMMIT")
    except BaseException:
        if session.transaction_state != "idle":
            session.execute("ROLLBACK")
        raise
    return True


def _partition_condition(engine: TableEngine, value: str) -> str | None:
    """OPTIMIZE ... PARTITION value: the condition on the rows of that partition (None: all rows)."""
    value = value.strip()
    if value.upper() == "ALL":
        return None
    if value.upper().startswith("ID ") or value.upper().startswith("ID'"):
        raise ClickHouseError(48, "OPTIMIZE ... PARTITION ID is not supported: partitions have no ids here")
    fields = len(_elements(engine.partition_by))
    given = len(_elements(value)) if value.replace(" ", "").startswith(("tuple(", "(")) else 1
    if fields != given:
        raise ClickHouseError(248, f"Wrong number of fields in the partition expression: {given}, must be: {fields}")
    return f"({engine.partition_by}) = ({value})" if fields else None


def _deduplicate_by(engine: TableEngine, columns: list[Any], by: str | None) -> list[str]:
    names = [c.name for c in columns]
    if by is None or by.strip() == "*":
        return names
    listed = [_column_name(e, "DEDUPLICATE BY") for e in _elements(f"({by})")]
    for name in listed:
        if name not in names:
            raise ClickHouseError(47, f"Unknown expression identifier `{name}`")
    needed = [c.name for k in [*engine.key_expressions(), *_elements(engine.primary_key), *_elements(engine.partition_by)]
              for c in k.find_all(exp.Column)]
    for name in needed:
        if name not in listed:
            raise ClickHouseError(8, f"DEDUPLICATE BY expression must include all columns used in table's ORDER BY, "
                                     f"PRIMARY KEY, or PARTITION BY but '{name}' is missing. Expanded DEDUPLICATE BY "
                                     f"columns expression: [{', '.join(repr(n) for n in listed)}]")
    return listed
