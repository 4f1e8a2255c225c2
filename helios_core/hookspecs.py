"""The whole plugin API of HeliosDB on one page.

A plugin is a Python distribution that registers a module under the entry-point
group ``helios`` and implements some of the hooks below with ``@hookimpl``::

    # pyproject.toml
    [project.entry-points.helios]
    my_plugin = "my_plugin"

    # my_plugin.py
    from helios_core.hookspecs import hookimpl, SqlFunction

    @hookimpl
    def helios_sql_functions():
        return [SqlFunction(name="double_it", impl=lambda args: pc.multiply(args[0], 2),
                            return_type="bigint")]

Hooks are grouped by what they extend: protocol servers, storage tiers, WAL
archivers, SQL extensions, configuration, lifecycle, metrics. Every hook returns
plain attrs objects defined in this file, so a plugin needs nothing else from
the core but the session API (``helios_core.session.Session``) that protocol
servers use to run statements.

Set ``HELIOS_TRACE_HOOKS=1`` to log every hook call. ``tests/example_plugin`` is a complete
third-party plugin (a SQL function and a line protocol) built on this page alone.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

if TYPE_CHECKING:  # pragma: no cover
    import anyio.abc
    import pyarrow as pa

    from helios_core.kernel import Kernel

__all__ = [
    "PROJECT",
    "BackgroundJob",
    "CommittedChanges",
    "CommittedTable",
    "IndexChunk",
    "IndexKind",
    "IndexSearch",
    "ProtocolContext",
    "ProtocolServer",
    "SqlAggregate",
    "SqlDataType",
    "SqlDialect",
    "SqlFunction",
    "SqlOperator",
    "SqlProcedure",
    "SqlStatement",
    "SqlTableFunction",
    "StorageTier",
    "StorageTierFactory",
    "TableParameters",
    "VirtualTable",
    "WalArchiver",
    "WalArchiverFactory",
    "hookimpl",
    "hookspec",
]


PROJECT = "helios"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# ---------------------------------------------------------------------------
# Protocol servers
# ---------------------------------------------------------------------------


@attrs.define(kw_only=True)
class ProtocolContext:
    """What a protocol server gets when it starts.

    ``listener`` is already bound by the kernel (so a port in use is reported
    uniformly); ``await listener.serve(handler)`` runs ``handler(stream)`` per
    connection, stops accepting once ``stopping`` is set and returns when the open
    connections have finished. ``config`` is the plugin's ``[protocols.<name>]``
    section as an instance of its ``config_class`` (the common keys are passed to it
    too when it declares them), or the common settings when it has none;
    ``settings`` always holds the common keys (``enabled``, ``host``, ``port``,
    ``max_connections``). ``kernel.open_session(user, database, options)`` is the
    only way into the engine (blocking: call it from a worker thread);
    ``kernel.config`` is the whole validated configuration (e.g. ``.auth.users``).
    ``stopping`` (an anyio.Event) is set when a graceful shutdown begins: finish
    the running statement, then close the connection (idle ones right away); the
    kernel cancels what is left after the grace period. ``max_connections`` is the
    plugin's to enforce, with its protocol's own error (``listener.active_connections``
    counts the open ones when the plugin serves through ``listener.serve``).
    ``extra_listeners`` holds the listeners of the server's ``extra_ports``, by config key
    (e.g. ``{"http_port": <listener>}``), bound and stopped like ``listener``.
    """

    kernel: Kernel
    config: Any
    listener: anyio.abc.Listener
    stopping: Any  # anyio.Event
    log: Any  # logging.Logger
    settings: Any = None  # helios_core.config.ProtocolSettings
    extra_listeners: dict[str, Any] = attrs.Factory(dict)


@attrs.define(kw_only=True)
class ProtocolServer:
    """A wire protocol: its config section name, default port and serve loop.

    ``serve(ctx)`` runs until cancelled; the kernel cancels it after the grace
    period of a shutdown. ``config_class`` is an attrs class for the section's
    protocol-specific keys; the common keys (enabled, host, port,
    max_connections) are always accepted. ``check_config(section, config)``
    (optional) runs at start-up for an enabled protocol with its section (as
    ``ProtocolContext.config``) and the whole configuration, for rules that span
    sections; a ``ValueError`` it raises ends start-up with exit status 2 and its
    message (start it with the key path, e.g. "protocols.postgres.host: ...").
    ``extra_ports`` names further ports the protocol listens on, as config keys of its
    ``config_class`` with their standard ports (``{"http_port": 8123}``): the kernel binds
    each on the section's host like ``port`` (unset: the standard port or the next free
    one; 0: any free port), logs it as protocol ``<name>_http`` and hands it over in
    ``ProtocolContext.extra_listeners``.
    """

    name: str
    default_port: int
    serve: Callable[[ProtocolContext], Awaitable[None]]
    config_class: type | None = None
    package: str = ""
    check_config: Callable[[Any, Any], None] | None = None
    extra_ports: dict[str, int] = attrs.Factory(dict)


@hookspec
def helios_protocol_servers() -> Sequence[ProtocolServer]:
    """Wire protocols this plugin serves.

    Example::

        @hookimpl
        def helios_protocol_servers():
            return [ProtocolServer(name="echo", default_port=7777, serve=serve_echo)]
    """


# ---------------------------------------------------------------------------
# Storage tiers
# ---------------------------------------------------------------------------


class StorageTier:
    """Where immutable segment files live. Names are relative paths ("db/branch/t/000123.arrow").

    Segments never change after ``put``; tiering is moving a name from one tier
    to another. ``open`` returns a pyarrow Buffer (memory-mapped where the tier
    is local) so the kernel reads Arrow IPC zero-copy.
    """

    name: str = "tier"

    def put(self, name: str, data: bytes | pa.Buffer) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def open(self, name: str) -> pa.Buffer:  # pragma: no cover - interface
        raise NotImplementedError

    def list(self, prefix: str = "") -> Iterable[str]:  # pragma: no cover - interface
        raise NotImplementedError

    def delete(self, name: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def size(self, name: str) -> int:  # pragma: no cover - interface
        raise NotImplementedError

    def read_range(self, name: str, start: int, end: int) -> bytes:
        """Bytes ``[start, end)`` of a segment. Remote tiers override it with a ranged request, so a
        scan of a segment that is not local fetches its footer and the columns it needs, not all."""
        return bytes(memoryview(self.open(name))[start:end])


@attrs.define(kw_only=True)
class StorageTierFactory:
    """A named kind of tier; ``create(data_dir, config)`` builds one."""

    name: str
    create: Callable[[str, Any], StorageTier]
    config_class: type | None = None
    package: str = ""


@hookspec
def helios_storage_tiers() -> Sequence[StorageTierFactory]:
    """Storage tiers this plugin provides.

    Example::

        @hookimpl
        def helios_storage_tiers():
            return [StorageTierFactory(name="nvme", create=lambda data_dir, cfg: DiskTier(data_dir))]
    """


# ---------------------------------------------------------------------------
# WAL archivers
# ---------------------------------------------------------------------------


class WalArchiver:
    """An object store that keeps the archive: closed WAL files, backups and their segments.

    The kernel names the objects (``wal/00000001/00000042.wal``, ``segments/<sha256>``,
    ``backups/<id>/backup.json``), compresses and checksums them itself; an archiver only
    stores bytes under names. Objects are immutable: the kernel never writes a name twice
    with different contents. ``fetch`` of a missing name raises ``FileNotFoundError``; any
    other failure (network, credentials) raises ``OSError`` and the kernel retries.
    """

    name: str = "archive"

    def archive(self, name: str, data: bytes) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def fetch(self, name: str) -> bytes:  # pragma: no cover - interface
        raise NotImplementedError

    def list(self, prefix: str = "") -> Iterable[str]:  # pragma: no cover - interface
        raise NotImplementedError

    def delete(self, name: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


@attrs.define(kw_only=True)
class WalArchiverFactory:
    """A named archive backend; ``create(data_dir, config)`` builds one from the whole server
    configuration (``config.storage`` holds its ``[storage.<name>]`` section)."""

    name: str
    create: Callable[[str, Any], WalArchiver]
    config_class: type | None = None
    package: str = ""


@hookspec
def helios_wal_archivers() -> Sequence[WalArchiverFactory]:
    """Archive backends this plugin provides, by the names ``[storage.wal_archiving]`` uses for
    ``primary_backend`` and ``secondary_backend`` (s3, gcs, azure, local). The kernel ships
    every closed WAL file to each configured backend, and ``helios backup`` / ``helios restore``
    read and write backups through them.

    Example::

        @hookimpl
        def helios_wal_archivers():
            return [WalArchiverFactory(name="local", create=lambda data_dir, cfg: DirArchiver("/backups"))]
    """


# ---------------------------------------------------------------------------
# SQL extensions
# ---------------------------------------------------------------------------


@attrs.define(kw_only=True)
class SqlFunction:
    """A scalar SQL function implemented over Arrow arrays.

    ``impl(args)`` receives one ``pyarrow.Array`` per argument (all the same
    length; constants are broadcast) and returns an Array of that length.
    ``return_type`` is a SQL type name ("bigint", "text", "double precision"...), or for a
    function whose result type follows its arguments' a callable from their SQL type names
    to it (``lambda types: types[0].removesuffix("[]")`` for an array's element).
    ``arg_types`` (optional) are SQL type names the arguments are cast to first.
    ``volatile``: the function has side effects or answers differently per call, so it runs
    when the statement runs, never once at plan time (PostgreSQL's VOLATILE).
    ``with_session``: ``impl(args, session)`` also gets the calling statement's session, on
    which it may run statements (``execute``, ``prepare``/``execute_prepared``): they belong to
    the calling statement and its transaction (no commit of their own; an error fails the
    caller), as a PL/pgSQL function's do. Such a function is volatile.
    ``scalar_constants``: a constant argument (a literal, a parameter) arrives as a one-element
    array instead of being repeated on every row, beside the full-length arrays of the others
    (when every argument is constant, all are one element long, as always); for a function
    that uses one value for all rows, such as a bucket width, it saves building and reading an
    array as long as the input. A strict function is not called when a constant is NULL.
    """

    name: str
    impl: Callable[..., pa.Array]
    return_type: str | Callable[[list[str]], str]
    arg_types: Sequence[str] | None = None
    strict: bool = True  # NULL in, NULL out without calling impl
    volatile: bool = False
    with_session: bool = False
    scalar_constants: bool = False


@hookspec
def helios_sql_functions() -> Sequence[SqlFunction]:
    """Scalar SQL functions this plugin adds.

    Example::

        @hookimpl
        def helios_sql_functions():
            return [SqlFunction(name="add_one", impl=lambda a: pc.add(a[0], 1), return_type="bigint")]
    """


@attrs.define(kw_only=True)
class SqlAggregate:
    """An aggregate SQL function: ``name(arg, ...)`` reduces each group's rows to one value.

    ``impl(groups, args, ngroups)`` receives ``groups``, a numpy int64 array giving each input
    row's group number (0 .. ngroups-1), and one ``pyarrow.Array`` per argument for those
    rows (constants are broadcast; NULL inputs are kept, the aggregate decides what they
    mean); it returns an Array of ``ngroups`` values, NULL for a group it has no answer for.
    ``return_type`` is a SQL type name, or a callable from the arguments' SQL type names to it.
    """

    name: str
    impl: Callable[[Any, list[pa.Array], int], pa.Array]
    return_type: str | Callable[[list[str]], str]


@hookspec
def helios_sql_aggregates() -> Sequence[SqlAggregate]:
    """Aggregate SQL functions this plugin adds (usable with GROUP BY, FILTER, OVER ...).

    Example::

        def count_odd(groups, args, ngroups):
            odd = pc.fill_null(pc.equal(pc.bit_wise_and(args[0], 1), 1), False).to_numpy(zero_copy_only=False)
            return pa.array(np.bincount(groups[odd], minlength=ngroups))

        @hookimpl
        def helios_sql_aggregates():
            return [SqlAggregate(name="count_odd", impl=count_odd, return_type="bigint")]
    """


@attrs.define(kw_only=True)
class SqlProcedure:
    """A procedure run by ``CALL schema.name(arg, ...)``.

    ``run(session, args)`` receives the session and the argument values as Python values
    (evaluated as a SELECT list would, so ``NULL``, casts and expressions work) and returns
    nothing or a notice text. Raise ``HeliosError`` with a SQLSTATE to refuse.
    """

    schema: str
    name: str
    run: Callable[[Any, list[Any]], str | None]


@hookspec
def helios_sql_procedures() -> Sequence[SqlProcedure]:
    """Procedures this plugin adds.

    Example::

        @hookimpl
        def helios_sql_procedures():
            return [SqlProcedure(schema="myplugin", name="reset", run=lambda session, args: None)]
    """


@attrs.define(kw_only=True)
class SqlStatement:
    """A statement of a plugin's own, recognised by the words it starts with.

    ``first_words`` are upper-case words (``("CREATE", "TIMESERIES")``); a statement whose
    leading words are these (or, with ``word`` set instead, any statement with that unquoted
    word in it, such as a function that changes a whole query) is given, whole, to
    ``parse(text)``, which returns a dict of
    JSON-like values (raise ``HeliosError`` 42601 for bad syntax). ``run(session, args)``
    runs it inside the session's transaction and returns a ``helios_core.session.Result``.
    ``ddl`` says it changes the catalog (cached plans are made again afterwards).
    """

    name: str
    first_words: tuple[str, ...] = ()
    word: str = ""
    parse: Callable[[str], dict[str, Any]]
    run: Callable[[Any, dict[str, Any]], Any]
    ddl: bool = True


@hookspec
def helios_sql_statements() -> Sequence[SqlStatement]:
    """Statements this plugin adds.

    Example::

        @hookimpl
        def helios_sql_statements():
            return [SqlStatement(name="ping", first_words=("PING",), parse=lambda text: {},
                                 run=lambda session, args: Result(command_tag="PING"), ddl=False)]
    """


@attrs.define(kw_only=True)
class TableParameters:
    """Storage parameters of ``ALTER TABLE name SET (key = value, ...)`` / ``RESET (key)``.

    ``names`` are the parameter names it owns; ``apply(session, table, values)`` receives the
    table's definition (``.schema``, ``.name``, ``.options``) and {name: value text, or None
    for RESET} for the names of one statement, checks them (raise ``HeliosError`` 22023 for
    a value or a table it does not take) and stores them. Names nobody owns are refused as
    PostgreSQL refuses them.
    """

    names: Sequence[str]
    apply: Callable[[Any, Any, dict[str, str | None]], None]


@hookspec
def helios_table_parameters() -> Sequence[TableParameters]:
    """Table parameters this plugin owns.

    Example::

        @hookimpl
        def helios_table_parameters():
            return [TableParameters(names=["ttl"], apply=set_ttl)]
    """


@attrs.define(kw_only=True)
class IndexChunk:
    """One immutable chunk of a table's row versions, as one snapshot sees it.

    ``chunk_id`` never names other data: a chunk's rows never change, so what a plugin derives
    from them (an inverted index) stays valid as long as the chunk is listed. ``visible`` is a
    numpy bool array over the chunk's rows (None: every row is visible to the snapshot).
    ``read()`` returns the index's key values of every row of the chunk, one column per key
    (``k0``, ``k1``, ... in key order) plus ``_rowid``; ``rowids()`` only the rowids (numpy int64).
    """

    chunk_id: int
    num_rows: int
    visible: Any
    read: Callable[[], pa.RecordBatch]
    rowids: Callable[[], Any]


class ChunkCache:
    """What an index kind derives from immutable chunks (an inverted list per chunk), kept for the
    ``capacity`` chunks used last: ``get(key, build)`` returns the structure cached under ``key``
    (a chunk never changes, so a key naming its ``chunk_id`` and the index definition stays
    valid), else ``build()``'s, cached. Safe to share between sessions' threads."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, build: Callable[[], Any]) -> Any:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        built = build()  # outside the lock: a build may take long, two threads may build the same
        with self._lock:
            self._items[key] = built
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return built


@attrs.define(kw_only=True)
class IndexSearch:
    """A query's condition ``key operator value`` that an index of a plugin answers.

    ``index`` is the catalog record of the index (``name``, ``keys``, ``options``: its
    ``WITH (...)`` values as text); ``key`` the position of the key the condition names;
    ``value`` the constant operand as a Python value. ``scope`` identifies the snapshot's
    branch and table (``(database, branch id, table data id, index name, index definition)``):
    what a plugin may cache its derived structure under. ``chunks()`` lists the chunks of that
    branch (inherited ones included) with their visibility to the statement's snapshot.
    ``limit``, when set, says the query keeps only the ``limit`` rows of highest score
    (``ORDER BY heliosdb.score(...) DESC LIMIT n`` with nothing else filtering): a ranking kind
    may return just those, plus any that tie with the last.
    """

    index: dict[str, Any]
    key: int
    operator: str
    value: Any
    scope: tuple
    chunks: Callable[[], Iterable[IndexChunk]]
    limit: int | None = None


@attrs.define(kw_only=True)
class IndexKind:
    """An index access method: ``CREATE INDEX ... USING name (key, ...) [WITH (option = value, ...)]``.

    ``key_types`` are the SQL type names a key (a column or an expression) may have; another
    type is PostgreSQL's 42704 "data type ... has no default operator class for access
    method". The index is recorded in the catalog like a btree one (pg_indexes,
    pg_get_indexdef, DROP INDEX). An access method no plugin provides stays an error (0A000
    for PostgreSQL's gin, gist, spgist, brin; 42704 for any other name).

    ``options`` are the ``WITH (...)`` names it takes (others are 22023, as PostgreSQL's
    "unrecognized parameter"); ``check(index, key_types)`` (optional) validates a new index's
    record (keys, options) and raises ``HeliosError`` to refuse it.

    ``search(IndexSearch)`` (optional) finds rows for the WHERE conditions ``key symbol
    constant`` that ``operators`` lists (symbol -> the key types it answers for): the planner then reads only the rows it
    returns, a ``pyarrow.Table`` with ``_rowid`` (int64) and, when the kind ranks, ``score``
    (float64, what ``heliosdb.score(key column)`` returns). With ``exact`` the rows are exactly
    those of the snapshot that satisfy the condition; without it they are candidates the
    condition is evaluated on again (as PostgreSQL's lossy GIN rechecks), unless the returned
    table's schema metadata says ``exact: 1`` for that search.
    """

    name: str
    key_types: Sequence[str]
    multicolumn: bool = True
    options: Sequence[str] = ()
    check: Callable[[dict[str, Any], list[str]], None] | None = None
    operators: dict[str, Sequence[str]] = attrs.Factory(dict)
    search: Callable[[IndexSearch], pa.Table] | None = None
    exact: bool = False


@hookspec
def helios_index_kinds() -> Sequence[IndexKind]:
    """Index access methods this plugin provides.

    Example::

        @hookimpl
        def helios_index_kinds():
            return [IndexKind(name="gin", key_types=["tsvector", "jsonb"])]
    """


@attrs.define(kw_only=True)
class SqlOperator:
    """An operator over a plugin's types: ``left symbol right``, or prefix ``symbol right``.

    ``left`` and ``right`` are SQL type names (``left=None`` for a prefix operator); an
    untyped literal operand takes the declared type (``tsv @@ 'cat & dog'`` reads the literal
    as a tsquery). ``impl(args)`` gets one ``pyarrow.Array`` per operand (same length, NULL
    rows already removed: operators are strict) and returns an Array of ``return_type``.
    The symbols the kernel parses are those of PostgreSQL (``@@``, ``@@@``, ``&&``, ``||``,
    ``<->``, ``!!``, ``@>``, ``<@``...); a plugin operator is tried before the built-in
    ones and only for exactly its operand types.
    """

    symbol: str
    left: str | None
    right: str
    impl: Callable[[list[pa.Array]], pa.Array]
    return_type: str


@hookspec
def helios_sql_operators() -> Sequence[SqlOperator]:
    """SQL operators this plugin adds over its types.

    Example::

        @hookimpl
        def helios_sql_operators():
            return [SqlOperator(symbol="@@", left="tsvector", right="tsquery",
                                impl=lambda a: pa.array(map(matches, a[0], a[1])), return_type="boolean")]
    """


@attrs.define(kw_only=True)
class SqlDataType:
    """A SQL type a plugin adds: its values are stored as ``arrow_type``.

    ``parse(strings)`` turns a string array into values (input syntax: literals, casts from
    text, COPY); raise ``HeliosError(..., sqlstate="22P02")`` for bad input. ``format(values)``
    turns values into their text form (output); by default the values cast to string. The
    type is usable in CREATE TABLE, casts (``'x'::name``) and as text on every protocol
    (a PostgreSQL client sees it as ``text``).
    """

    name: str
    arrow_type: Any
    parse: Callable[[pa.Array], pa.Array]
    format: Callable[[pa.Array], pa.Array] | None = None


@hookspec
def helios_sql_types() -> Sequence[SqlDataType]:
    """SQL types this plugin adds.

    Example::

        @hookimpl
        def helios_sql_types():
            return [SqlDataType(name="rgb", arrow_type=pa.string(), parse=parse_rgb)]
    """


@attrs.define(kw_only=True)
class VirtualTable:
    """A relation computed when a query reads it (a catalog view, a plugin's status table).

    ``columns`` are (name, SQL type name) pairs; ``produce(session)`` returns a
    ``pyarrow.Table`` with those columns (missing ones read as NULL). It is found after the
    real tables of ``schema`` (and by its bare name when ``schema`` is on the search_path).
    """

    schema: str
    name: str
    columns: Sequence[tuple[str, str]]
    produce: Callable[[Any], pa.Table]


@hookspec
def helios_virtual_tables() -> Sequence[VirtualTable]:
    """Virtual tables this plugin adds.

    Example::

        @hookimpl
        def helios_virtual_tables():
            return [VirtualTable(schema="myplugin", name="status", columns=[("up", "boolean")],
                                 produce=lambda session: pa.table({"up": [True]}))]
    """


@attrs.define(kw_only=True)
class SqlTableFunction:
    """A function a query reads rows from: ``SELECT * FROM schema.name(args)``.

    ``params`` name the arguments, given by position or as ``name => value``; each must be a
    constant (its value decides the columns, which a prepared statement knows in advance).
    ``bind(args)`` receives them as {param: Python value} (arguments not given are absent)
    and returns the output columns, (name, SQL type name) pairs, and ``produce(session) ->
    pyarrow.Table``, called each time the query runs (columns matched by position when the
    counts agree, else by name; missing ones read as NULL). Raise ``HeliosError`` with a
    SQLSTATE for arguments it refuses.
    """

    schema: str
    name: str
    params: Sequence[str]
    bind: Callable[[dict[str, Any]], tuple[Sequence[tuple[str, str]], Callable[[Any], pa.Table]]]


@hookspec
def helios_table_functions() -> Sequence[SqlTableFunction]:
    """Table functions this plugin adds (heliosdb.branch_diff and cross_branch_query are built in).

    Example::

        def bind(args):
            n = int(args.get("n", 3))
            return [("i", "integer")], lambda session: pa.table({"i": list(range(n))})

        @hookimpl
        def helios_table_functions():
            return [SqlTableFunction(schema="myplugin", name="count_to", params=["n"], bind=bind)]
    """


@attrs.define(kw_only=True)
class SqlDialect:
    """A SQL front end: text in another dialect run by the same kernel.

    ``sqlglot_dialect`` (a ``sqlglot.Dialect`` subclass or a registered dialect name) parses
    the text. ``functions`` maps the dialect's function names onto the shared function
    library's (PostgreSQL) names, so one implementation serves every dialect that spells it
    differently: ``{"strlen": "length"}``. ``statements`` maps the dialect's own statement
    classes (sqlglot expressions its parser builds) to a rewrite into a tree the kernel runs.
    Sessions pick the dialect per call: ``session.execute(sql, dialect="tiny")``.
    """

    name: str
    sqlglot_dialect: Any
    functions: dict[str, str] = attrs.Factory(dict)
    statements: dict[type, Callable[[Any], Any]] = attrs.Factory(dict)


@hookspec
def helios_sql_dialects() -> Sequence[SqlDialect]:
    """SQL dialects this plugin adds (``postgres`` is built in).

    Example::

        class Tiny(sqlglot.dialects.Postgres):
            pass

        @hookimpl
        def helios_sql_dialects():
            return [SqlDialect(name="tiny", sqlglot_dialect=Tiny, functions={"strlen": "length"})]
    """


@hookspec(firstresult=True)
def helios_run_statement(session: Any, statement: str, run: Callable[[], Any]) -> Any:
    """Runs one statement of a session (whichever protocol or dialect it came through).

    Implement it as a wrapper to act around every statement (tenant limits, metrics,
    tracing, auditing): the kernel's own implementation calls ``run()`` and returns the
    ``helios_core.session.Result``; a wrapper may refuse the statement by raising a
    ``HeliosError`` (the client gets its SQLSTATE). A streamed result's rows are produced after
    the wrapper returned. With no wrapper installed the kernel skips the hook call entirely.

    Example::

        @hookimpl(wrapper=True)
        def helios_run_statement(session, statement, run):
            started = time.perf_counter()
            try:
                return (yield)
            finally:
                STATEMENT_SECONDS.observe(time.perf_counter() - started)
    """


# ---------------------------------------------------------------------------
# Committed changes (change feeds)
# ---------------------------------------------------------------------------


@attrs.define(kw_only=True)
class CommittedTable:
    """The rows one commit changed in one table.

    ``before()`` gives the row versions the commit ended (updated or deleted rows as they
    were), ``after()`` the versions it made that are live after it (inserted rows and the
    new versions of updated ones): each a ``pyarrow.Table`` with the table's columns (by
    name, as the definition the transaction wrote with) and ``_rowid``, the row's identity
    across versions, so a row in both is an update. Both are read on demand (not at
    commit) and may be called from any thread; rows of an inherited (parent branch)
    version deleted on a branch are not in ``before()``. The catalog's own changes come
    as table ``pg_internal.catalog`` (columns ``kind``, ``key``, ``value``: a table is kind
    ``table``, key ``schema.name``). ``rows`` bounds the number of versions of both from above
    (what reading them costs, and about what keeping the record keeps alive). ``table_id`` is
    the table's identity, kept by renames (the catalog's ``table_id``).
    """

    schema: str
    name: str
    before: Callable[[], pa.Table]
    after: Callable[[], pa.Table]
    rows: int = 0
    table_id: int = 0


@attrs.define(kw_only=True)
class CommittedChanges:
    """One committed transaction's row changes: database, branch, commit timestamp (µs), tables."""

    database: str
    branch: str
    commit_ts: int
    tables: list[CommittedTable]


@hookspec
def helios_commit_observers(kernel: Kernel) -> Sequence[Callable[[CommittedChanges], None]]:
    """Functions told of every commit that wrote rows, once it is durable and visible.

    Each is called with a ``CommittedChanges`` in commit order (strictly increasing
    ``commit_ts``), from the committing thread while the store's commit lock is held: keep
    it short (queue the record; call ``before()``/``after()`` later, elsewhere) and never
    start a transaction in it. An aborted transaction is never reported; a commit that wrote
    nothing is not either. Exceptions are logged and ignored (the commit stands). Commits
    replayed from the WAL at start-up are not reported. With no observer the commit path
    pays nothing. Used by change streams (helios-protocol-mongo).

    Example::

        @hookimpl
        def helios_commit_observers(kernel):
            return [lambda changes: FEED.append(changes)]
    """


# ---------------------------------------------------------------------------
# Lifecycle, background jobs, metrics
# ---------------------------------------------------------------------------


@attrs.define(kw_only=True)
class BackgroundJob:
    """A periodic job the kernel runs in its task group every ``interval`` seconds."""

    name: str
    interval: float
    run: Callable[[Kernel], Awaitable[None] | None]


@hookspec
def helios_startup(kernel: Kernel) -> None:
    """Called once the engine is open, before protocol servers accept connections.

    Example::

        @hookimpl
        def helios_startup(kernel):
            session = kernel.open_session()
            session.execute("create table if not exists audit (at timestamptz, what text)")
            session.close()
    """


@hookspec
def helios_shutdown(kernel: Kernel) -> None:
    """Called after protocol servers stopped, before the engine is flushed and closed.

    Example::

        @hookimpl
        def helios_shutdown(kernel):
            my_uploader.flush()
    """


@hookspec
def helios_background_jobs(kernel: Kernel) -> Sequence[BackgroundJob]:
    """Periodic jobs (flush, compaction, tiering, archiving...).

    ``run(kernel)`` may be a coroutine function (runs on the event loop) or a plain
    function (runs in a worker thread, so it may block). A failing run is logged and
    the job runs again at its next interval. Jobs are cancelled at shutdown once the
    protocol servers have stopped.

    Example::

        @hookimpl
        def helios_background_jobs(kernel):
            return [BackgroundJob(name="checkpoint", interval=60.0, run=lambda k: k.engine.checkpoint())]
    """


@hookspec
def helios_register_metrics(registry: Any) -> None:
    """Register prometheus_client collectors on the kernel's CollectorRegistry.

    They are served at ``GET /metrics`` when ``[metrics] enabled = true``.

    Example::

        @hookimpl
        def helios_register_metrics(registry):
            global QUERIES
            QUERIES = prometheus_client.Counter("myproto_queries", "Queries served", registry=registry)
    """
