"""Run ClickHouse statements through a HeliosDB session; results as Arrow + ClickHouse types.

This is the one place both ClickHouse protocols (HTTP and native) run statements::

    ch = ClickHouseSession(session, timezone="UTC")       # session: kernel.open_session(...)
    for result in ch.run("SELECT number FROM numbers(3) FORMAT JSON"):
        result.columns      # [ChColumn(name="number", type="UInt64")]
        result.batches      # list[pyarrow.RecordBatch], columns in order
        result.format       # "JSON" (the FORMAT clause) or None
        result.totals       # a one-row RecordBatch for WITH TOTALS, else None

``run`` takes one statement (ClickHouse's HTTP interface refuses several in one request);
``split_statements`` cuts a script into statements for callers that take scripts.
Settings (``SET x = 1``, a query's ``SETTINGS`` clause, URL parameters) live in
``ch.settings``; ``ch.database`` is the current ClickHouse database (``default`` is the
HeliosDB schema ``public``). Errors are ``ClickHouseError``s with ClickHouse's codes.

INSERT data in a format (``INSERT INTO t FORMAT CSV`` followed by the rows, in the query
text or passed as ``data``) is decoded with ``helios_protocol_clickhouse.formats``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import attrs
import pyarrow as pa
import sqlglot
from sqlglot import exp, tokens
from sqlglot.errors import ParseError, TokenError

from helios_core.errors import HeliosError
from helios_core.types import python_values
from helios_protocol_clickhouse import (
    catalog,
    column_types,
    join_engine,
    merge_engines,
    names,
    query_cache,
    statements,
)
from helios_protocol_clickhouse.catalog import schema_of
from helios_protocol_clickhouse.dialect import HeliosClickHouse
from helios_protocol_clickhouse.errors import ClickHouseError, from_error
from helios_protocol_clickhouse.memory_guard import Footprint, MemoryGuard, forget_frames
from helios_protocol_clickhouse.results import ChColumn, ChResult
from helios_protocol_clickhouse.rewrites import RewriteContext, apply_all
from helios_protocol_clickhouse.types import UNSIGNED_BIGINT, clickhouse_type

DEFAULT_DATABASE = "default"


_INSERT_FORMAT = re.compile(
    r"^\s*INSERT\s+INTO\s+(?:TABLE\s+)?(?P<table>(?:`[^`]+`|\"[^\"]+\"|[\w.]+))\s*"
    r"(?:\((?P<cols>[^)]*)\)\s*)?(?:SETTINGS\s+(?P<settings>.*?)\s+)?FORMAT\s+(?P<fmt>\w+)[ \t]*\r?\n?",
    re.IGNORECASE | re.DOTALL,
)
_INSERT_VALUES = re.compile(r"^\s*INSERT\s+INTO\s+.*?\bVALUES\b", re.IGNORECASE | re.DOTALL)


def split_insert_body(body: bytes) -> tuple[str, bytes | None]:
    """A request body that is ``INSERT ... FORMAT x`` followed by binary rows -> (query, rows).

    Other bodies are the query text alone (rows None)."""
    m = _INSERT_FORMAT.match(body[:65536].decode("latin-1"))
    if m is None:
        return body.decode("utf-8", "replace"), None
    return body[:m.end()].decode("utf-8", "replace"), body[m.end():]


def split_statements(script: str) -> list[str]:
    """The statements of a script, cut at top-level semicolons (strings and comments respected)."""
    try:
        toks = HeliosClickHouse().tokenize(script)
    except TokenError:
        return [script.strip()] if script.strip() else []
    out: list[str] = []
    start = 0
    for tok in toks:
        if tok.token_type == tokens.TokenType.SEMICOLON:
            piece = script[start:tok.start].strip()
            if piece:
                out.append(piece)
            start = tok.end + 1
    rest = script[start:].strip()
    if rest:
        out.append(rest)
    return out


def _bytes_setting(value: str) -> int:
    try:
        return max(int(str(value).strip("'")), 0)
    except ValueError:
        raise ClickHouseError(27, f"Cannot parse max_memory_usage value {value!r}") from None


@attrs.define
class ClickHouseSession:
    """A ClickHouse client's state over one HeliosDB session: settings and current database."""

    session: Any
    timezone: str = "UTC"
    database: str = DEFAULT_DATABASE
    settings: dict[str, str] = attrs.Factory(dict)
    dialect: Any = HeliosClickHouse
    # plain queries hand their batches over as the kernel produces them (the native protocol sends
    # each as a block); their types are not Nullable then: the blocks that hold NULLs say so
    stream_results: bool = False
    # the session's temporary tables (CREATE TEMPORARY TABLE): an unqualified name means one of
    # them before a table of the current database, as in ClickHouse
    temporary_tables: set[str] = attrs.Factory(set)
    _search_path: str | None = None
    _stable_ties: bool = False
    _timeout_ms: int = 0
    _recording: tuple | None = None  # the query_cache key of the plain query being translated

    def run(self, sql: str, data: bytes | None = None, params: dict[str, str] | None = None) -> list[ChResult]:
        """Run one ClickHouse statement; ``data`` is the INSERT's payload when it is sent apart."""
        guard = MemoryGuard(self.session, _bytes_setting(self.settings.get("max_memory_usage", "0")))
        failure: ClickHouseError | None = None
        try:
            with guard:
                return self._run(sql, data, params or {})
        except Exception as exc:  # noqa: BLE001 - every failure is answered as a ClickHouse error
            failure = ClickHouseError(241, guard.exceeded) if guard.exceeded is not None else from_error(exc)
            if failure is not exc:
                failure.__cause__ = exc
            forget_frames(failure)
        finally:
            guard.give_back(failed=failure is not None)  # a failure's frames are gone by now
        raise failure

    def run_statement(self, sql: str) -> list[ChResult]:
        """One more statement run inside the one being run (an ALTER's actions, each in turn), by the
        path of the statements sqlglot parses."""
        return self._run(sql, None, {}, specials=False)

    def _run(self, sql: str, data: bytes | None, params: dict[str, str], specials: bool = True) -> list[ChResult]:
        if params:
            sql = substitute_parameters(sql, params)
        m = _INSERT_FORMAT.match(sql)
        if m:
            payload = sql[m.end():].encode()
            if data:
                payload = payload + data if payload.strip() else data
            return [statements.insert_formatted(self, m.group("table"), m.group("cols"), m.group("fmt"), payload)]
        if data and _INSERT_VALUES.match(sql):
            sql = sql + " " + data.decode()
            data = None
        sql = sql.strip().rstrip(";").strip()
        if not sql:
            raise ClickHouseError(62, "Empty query")
        sql = hex_float_literals(sql)
        sql = dotted_column_names(sql)
        sql = join_engine.quoted_arguments(sql)
        if _INSERT_VALUES.match(sql):
            sql = comma_separated_rows(sql)
        special = statements.try_special(self, sql) if specials else None
        if special is not None:
            return special
        key = query_cache.key_of(self, sql) if specials and not data else None
        if key is not None:
            kept = query_cache.SHARED.get(key)
            if kept is not None:
                result = self._run_translation(kept)
                if result is not None:
                    return [result]
        try:
            trees = [t for t in sqlglot.parse(sql, read=self.dialect) if t is not None]
        except (ParseError, TokenError) as exc:
            raise ClickHouseError(62, f"Syntax error: {_parse_message(exc)}") from None
        if len(trees) != 1:
            raise ClickHouseError(62, "Syntax error (Multi-statements are not allowed)")
        tree = trees[0]
        if data and isinstance(tree, exp.Insert):
            raise ClickHouseError(62, "Syntax error: INSERT data sent with a query that has no FORMAT")
        if key is None or not query_cache.is_plain(tree):
            return statements.run_tree(self, tree)
        self._recording = key
        try:
            return statements.run_tree(self, tree)
        finally:
            self._recording = None

    def take_recording(self) -> tuple | None:
        """The cache key of the plain query being run (once: the statement that runs it records it)."""
        key, self._recording = self._recording, None
        return key

    def _run_translation(self, kept: query_cache.Translation) -> ChResult | None:
        """Run a kept translation; None when it needs the full path (its 64-bit arithmetic left
        range: ``execute_tree`` runs it again exact, which only the tree can do)."""
        try:
            return self.execute_sql(kept.sql, format=kept.format, types=list(kept.types), stream=kept.stream)
        except HeliosError as exc:
            if exc.sqlstate == "22003" and any(f"{kind} out of range" in str(exc)
                                               for kind in ("bigint", "integer", "smallint")):
                return None
            raise

    def schema_of_table(self, database: str | None, name: str) -> str:
        """The schema a table name is looked up in: the session's temporary tables (``pg_temp``)
        for an unqualified name of one, else the schema of the (current) database."""
        if database is None and name in self.temporary_tables:
            return "pg_temp"
        return schema_of(database or self.database)

    def use(self, database: str) -> None:
        """USE db: unqualified names resolve in ``db`` (a schema) from now on."""
        exists = self.run_query(f"SELECT count() FROM system.databases WHERE name = '{database}'")
        if not exists.batches or not exists.batches[0].column(0)[0].as_py():
            raise ClickHouseError(81, f"Database {database} does not exist")
        self.database = database

    def apply_limits(self, settings: dict[str, str]) -> None:
        """``max_execution_time`` (seconds) bounds each statement, as the kernel's statement_timeout."""
        seconds = settings.get("max_execution_time", "0") or "0"
        try:
            ms = int(float(seconds) * 1000)
        except ValueError:
            raise ClickHouseError(36, f"Cannot parse max_execution_time value {seconds!r}") from None
        if ms != self._timeout_ms:
            self.session.execute(f"SET statement_timeout = {max(ms, 0)}")
            self._timeout_ms = ms

    def ensure_database(self) -> None:
        """Point the session's search_path at the current ClickHouse database (and, once, keep rows
        that tie on every ORDER BY key in their input order, as ClickHouse's sort leaves them)."""
        if not self._stable_ties:
            self.session.execute("SET heliosdb.tie_order = 'stable'")
            self._stable_ties = True
        schema = schema_of(self.database)
        if self._search_path != schema:
            self.session.execute(f'SET search_path TO "{schema}"')
            self._search_path = schema

    def run_query(self, sql: str) -> ChResult:
        """A ClickHouse-dialect query of this plugin's own (system tables...), run and described."""
        return self.execute_tree(sqlglot.parse_one(sql, read=self.dialect))

    # -- running translated trees --------------------------------------------------------

    def rewrite_context(self) -> RewriteContext:
        self.ensure_database()
        return RewriteContext(timezone=self.settings.get("session_timezone") or self.timezone,
                              database=self.database, settings=dict(self.settings),
                              declared_types=column_types.declarations_exist(self.session),
                              table_columns=self.table_columns,
                              table_engine=lambda schema, table: merge_engines.table_engine(self.session, schema, table),
                              engines_recorded=merge_engines.recorded(self.session))

    def table_columns(self, schema: str, table: str) -> list[column_types.TableColumn] | None:
        """A table's columns with their ClickHouse types (None: no such table)."""
        return column_types.table_columns(self.session, schema, table)

    def execute_tree(self, tree: exp.Expression, *, format: str | None = None,
                     types: list[str | None] | None = None, stream: bool = False,
                     remember: tuple | None = None) -> ChResult:
        """Translate a ClickHouse tree, run it, and describe the result in ClickHouse's terms.

        ``types`` give ClickHouse types where the ClickHouse expression settles them
        (``count()`` is UInt64 where the kernel says bigint). A statement whose 64-bit integer
        arithmetic left bigint's range (or whose narrower arithmetic left the kernel's integer of its
        operands' width, where ClickHouse's result type is wider) runs again with that arithmetic exact, then wrapped around
        2^64 as ClickHouse's is (the common case pays nothing for it). A streamed result is run
        again only when the error comes before its first block (nothing has been sent yet).
        ``remember``: the query_cache key its translation is kept under once it has run."""
        second = tree.copy() if tree.find(exp.Add, exp.Sub, exp.Mul) else None
        try:
            sql = self.translate(tree)
            result = self.execute_sql(sql, format=format, types=types, stream=stream)
            if remember is not None:
                query_cache.SHARED.put(remember, query_cache.Translation(
                    sql=sql, format=format, types=tuple(types or ()), stream=stream))
            return result
        except HeliosError as exc:
            if second is None or exc.sqlstate != "22003" or \
                    not any(f"{kind} out of range" in str(exc) for kind in ("bigint", "integer", "smallint")):
                raise
        return self.execute_sql(self.translate(second, exact_integers=True), format=format, types=types,
                                stream=stream)

    def translate(self, tree: exp.Expression, *, exact_integers: bool = False) -> str:
        """The kernel's SQL for a ClickHouse tree."""
        ctx = self.rewrite_context()
        ctx.exact_integers = exact_integers
        return catalog.to_postgres(apply_all(tree, ctx))

    def execute_sql(self, sql: str, *, format: str | None = None,
                    types: list[str | None] | None = None, stream: bool = False) -> ChResult:
        """Run the kernel's SQL and describe its result in ClickHouse's terms (``stream``: the
        batches are an iterator, produced as they are read)."""
        self.ensure_database()
        self.apply_limits(self.settings)
        if stream:
            return self._stream_sql(sql, format=format, types=types)
        results = self.session.execute(sql)
        result = results[-1]
        if result.columns is None:
            count = result.row_count or 0
            return ChResult(kind=result.kind, row_count=count, written_rows=count if result.kind == "INSERT" else 0)
        return _whole(result, list(result.batches), types, format)

    def _stream_sql(self, sql: str, *, format: str | None, types: list[str | None] | None) -> ChResult:
        results = self.session.stream(sql)
        result = next(results)
        if result.columns is None:
            for _ in results:
                pass
            count = result.row_count or 0
            return ChResult(kind=result.kind, row_count=count, written_rows=count if result.kind == "INSERT" else 0)

        if any(col.type_name == "numeric" for col in result.columns):  # its type depends on every value
            rows = list(result.batches)
            for _ in results:
                pass
            return _whole(result, rows, types, format)

        footprint = Footprint()

        def batches() -> Iterator[pa.RecordBatch]:
            try:
                yield from result.batches
                for _ in results:  # the implicit transaction of the statement ends after its last result
                    pass
            except Exception as exc:
                # here, in the thread that read the last batches: Arrow's pool keeps what a thread
                # freed for that thread, so only this thread can hand it back
                forget_frames(exc)
                footprint.give_back(failed=True)
                raise
            finally:  # closed early: the statement stops producing
                close = getattr(results, "close", None)
                if close is not None:
                    close()

        return ChResult(kind=result.kind, columns=_describe(result, types, [False] * len(result.columns)),
                        batches=batches(), format=format)


def _whole(result: Any, batches: list[pa.RecordBatch], types: list[str | None] | None,
           format: str | None) -> ChResult:
    """A result whose batches are all at hand, described in ClickHouse's terms."""
    for i, col in enumerate(result.columns):  # sum(int), avg(): integral values Int64, others Float64
        if col.type_name == "numeric":
            hint = types[i] if types and i < len(types) else None
            batches, col.type_name = _numeric_as_number(batches, i, hint)
    columns = _describe(result, types, [_has_nulls(batches, i) for i in range(len(result.columns))])
    for i, column in enumerate(columns):  # an element of a nested array: SQL's type says text, the values are arrays
        if batches and _shape(column.type) == "scalar" and pa.types.is_list(batches[0].schema.field(i).type):
            arrow_type = _arrow_clickhouse_type(batches[0].schema.field(i).type)
            if arrow_type is not None:
                column.type = arrow_type
    return ChResult(kind=result.kind, columns=columns, batches=batches, row_count=sum(b.num_rows for b in batches),
                    format=format)


_ARROW_SCALARS = {pa.string(): "String", pa.large_string(): "String", pa.int64(): "Int64", pa.int32(): "Int32",
                  pa.int16(): "Int16", pa.int8(): "Int8", pa.uint64(): "UInt64", pa.uint8(): "UInt8",
                  pa.float64(): "Float64", pa.float32(): "Float32", pa.bool_(): "UInt8", pa.date32(): "Date"}


def _arrow_clickhouse_type(t: pa.DataType) -> str | None:
    """The ClickHouse type of values of an Arrow type (arrays of the scalars above), None otherwise."""
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        inner = _arrow_clickhouse_type(t.value_type)
        return f"Array({inner})" if inner else None
    if pa.types.is_timestamp(t):
        return "DateTime"
    return _ARROW_SCALARS.get(t)


def _describe(result: Any, types: list[str | None] | None, has_nulls: list[bool]) -> list[ChColumn]:
    """The result's columns with ClickHouse names and types (``types`` where the query settled them)."""
    columns = []
    for i, col in enumerate(result.columns):
        nullable = has_nulls[i]
        ch_type = types[i] if types and i < len(types) and types[i] else None
        if ch_type is not None and _shape(ch_type) != _shape(clickhouse_type(col.type_name)):
            ch_type = None  # a hint that does not fit the values (an array for scalars): the values decide
        if ch_type is None and col.type_name == "boolean":
            ch_type = "Nullable(UInt8)" if nullable else "UInt8"  # ClickHouse's functions answer 0/1 as UInt8
        if ch_type is None and col.type_name == "boolean[]":
            ch_type = "Array(UInt8)"  # arrayMap(x -> x > 1, ...): conditions are UInt8 in arrays too
        if ch_type is None:
            ch_type = clickhouse_type(col.type_name, nullable=nullable)
        elif nullable and not ch_type.startswith(("Nullable", "Array", "Tuple", "Map")):
            ch_type = f"Nullable({ch_type})"
        columns.append(ChColumn(name=col.name, type=ch_type))
    return columns


def _shape(ch_type: str) -> str:
    """Array, Tuple, Map or a scalar: what a column's values must be for a type to encode them."""
    while ch_type.startswith(("Nullable(", "LowCardinality(")):
        ch_type = ch_type[ch_type.index("(") + 1:-1]
    for shape in ("Array(", "Tuple(", "Map("):
        if ch_type.startswith(shape):
            return shape
    return "scalar"


def comma_separated_rows(sql: str) -> str:
    """``INSERT ... VALUES (1, 2)(3, 4)``: ClickHouse reads rows with nothing between them; here
    they are given the commas the SQL grammar wants."""
    if ")(" not in sql.replace(" ", "").replace("\n", ""):
        return sql
    try:
        toks = HeliosClickHouse().tokenize(sql)
    except TokenError:
        return sql
    depth, cuts, in_values = 0, [], False
    for tok, following in itertools.pairwise(toks):
        if tok.token_type == tokens.TokenType.VALUES and depth == 0:
            in_values = True
        elif tok.token_type in (tokens.TokenType.L_PAREN, tokens.TokenType.L_BRACKET):
            depth += 1
        elif tok.token_type in (tokens.TokenType.R_PAREN, tokens.TokenType.R_BRACKET):
            depth -= 1
            if in_values and depth == 0 and following.token_type == tokens.TokenType.L_PAREN:
                cuts.append(tok.end + 1)
    for cut in reversed(cuts):
        sql = sql[:cut] + "," + sql[cut:]
    return sql


_HEX_FLOAT = re.compile(r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|`[^`]*`|--[^\n]*"""
                        r"|(?P<hex>(?<![\w.])0[xX](?:[0-9a-fA-F]+(?:\.[0-9a-fA-F]*)?|\.[0-9a-fA-F]+)[pP][+-]?\d+(?![\w.]))")


def hex_float_literals(sql: str) -> str:
    """``0x1p4`` (C's hexadecimal floats, which ClickHouse reads) as the decimal literal of the same Float64."""
    if "p" not in sql and "P" not in sql:
        return sql
    return _HEX_FLOAT.sub(lambda m: repr(float.fromhex(m.group("hex"))) if m.group("hex") else m.group(0), sql)


_PARAM = re.compile(r"\{(?P<name>\w+)\s*:\s*(?P<type>[^}]+)\}")


_ALTER_TABLE = re.compile(r"^\s*ALTER\s+TABLE\b", re.IGNORECASE)
_DOTTED_COLUMN = re.compile(r"\b((?:(?:ADD|DROP|MODIFY|CLEAR|COMMENT|RENAME)\s+COLUMN|AFTER)\s+"
                            r"(?:IF\s+(?:NOT\s+)?EXISTS\s+)?)([A-Za-z_]\w*\.[A-Za-z_]\w*)\b", re.IGNORECASE)


def dotted_column_names(sql: str) -> str:
    """ALTER TABLE t ADD COLUMN n.x Array(T) [AFTER n.y], DROP COLUMN n.x...: a Nested structure's
    column named unquoted, read as the one name it is (`n.x`), not as a table's column."""
    if not _ALTER_TABLE.match(sql):
        return sql
    return _DOTTED_COLUMN.sub(lambda m: f"{m.group(1)}`{m.group(2)}`", sql)


def substitute_parameters(sql: str, params: dict[str, str]) -> str:
    """``{name:Type}`` placeholders filled from ``param_name`` values, as typed literals."""

    def one(m: re.Match) -> str:
        name, type_name = m.group("name"), m.group("type").strip()
        if name not in params:
            raise ClickHouseError(456, f"Substitution `{name}` is not set")
        value = params[name]
        if type_name == "Identifier":
            return "`" + value.replace("`", "\\`") + "`"
        literal = "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return f"CAST({literal}, '{type_name}')"

    return _PARAM.sub(one, sql)


def _wrapped_64(batches: list[pa.RecordBatch], i: int, signed: bool) -> tuple[list[pa.RecordBatch], str]:
    """Integral values of a (U)Int64 operation, wrapped around 2^64 as ClickHouse's integer arithmetic
    does (toUInt64(1) - toUInt64(2) is -1 as Int64, UInt64's maximum + 1 is 0)."""
    def wrap(v: Any) -> int | None:
        if v is None:
            return None
        w = int(v) % 2**64
        return w - 2**64 if signed and w >= 2**63 else w

    out = []
    for b in batches:
        arrays = list(b.columns)
        arrays[i] = pa.array([wrap(v) for v in python_values(b.column(i))], pa.int64() if signed else pa.uint64())
        out.append(pa.RecordBatch.from_arrays(arrays, names=b.schema.names))
    return out, "bigint" if signed else UNSIGNED_BIGINT


def _numeric_as_number(batches: list[pa.RecordBatch], i: int, hint: str | None = None
                       ) -> tuple[list[pa.RecordBatch], str]:
    """An unconstrained numeric column (PostgreSQL's sum of integers, avg...) as ClickHouse types
    such results: bigint when every value is integral, double precision otherwise; a column the query
    typed (U)Int64 (integer arithmetic) wraps around as ClickHouse's does."""
    values = [v if isinstance(v, Decimal) else Decimal(v) for b in batches for v in python_values(b.column(i))
              if v is not None]  # a UNION's parts may give ints beside numerics
    integral = all(v.is_finite() and v == v.to_integral_value() for v in values)
    inner = hint[len("Nullable("):-1] if hint and hint.startswith("Nullable(") else hint
    parts = names.int_parts(inner)
    if integral and parts is not None and parts[1] == 64:
        return _wrapped_64(batches, i, parts[0])
    signed = integral and all(abs(v) < 2**63 for v in values)
    unsigned = integral and not signed and all(0 <= v < 2**64 for v in values)  # UInt64's upper half
    arrow = pa.int64() if signed else pa.uint64() if unsigned else pa.float64()
    out = []
    for b in batches:
        column = python_values(b.column(i))
        converted = pa.array([None if v is None else int(v) if signed or unsigned else float(v) for v in column],
                             arrow)
        arrays = list(b.columns)
        arrays[i] = converted
        out.append(pa.RecordBatch.from_arrays(arrays, names=b.schema.names))
    return out, "bigint" if signed else UNSIGNED_BIGINT if unsigned else "double precision"


def _has_nulls(batches: list[pa.RecordBatch], i: int) -> bool:
    return any(b.column(i).null_count for b in batches)


def _parse_message(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if errors:
        first = errors[0]
        return f"{first.get('description', 'invalid syntax')} (line {first.get('line')}, col {first.get('col')})"
    return str(exc).splitlines()[0] if str(exc) else "invalid syntax"
