"""Run-time settings of a session (PostgreSQL's GUCs): SET, SHOW, RESET, set_config, current_setting.

Names are case-insensitive and stored lower case; ``SHOW`` labels its column with
PostgreSQL's own spelling ("DateStyle", "TimeZone"). A setting changed inside a
transaction block is undone when the block rolls back; ``SET LOCAL`` lasts until the
block ends, as in PostgreSQL. Names with a dot ("myapp.tenant") are custom settings
that anyone may set; an unknown name without a dot is 42704.
"""

from __future__ import annotations

import re
import zoneinfo
from typing import Any, Self

from helios_core.errors import HeliosError, InvalidParameterValue, UndefinedObject
from helios_core.sql.functions.text_out import zone_name
from helios_core.sql.server_version import PG_VERSION, PG_VERSION_NUM

# name -> (PostgreSQL's display name, default value, short description)
_KNOWN: dict[str, tuple[str, str, str]] = {
    "server_version": ("server_version", PG_VERSION, "Shows the server version."),
    "server_version_num": ("server_version_num", str(PG_VERSION_NUM), "Shows the server version as an integer."),
    "server_encoding": ("server_encoding", "UTF8", "Shows the server (database) character set encoding."),
    "client_encoding": ("client_encoding", "UTF8", "Sets the client's character set encoding."),
    "datestyle": ("DateStyle", "ISO, MDY", "Sets the display format for date and time values."),
    "intervalstyle": ("IntervalStyle", "postgres", "Sets the display format for interval values."),
    "timezone": ("TimeZone", "UTC", "Sets the time zone for displaying and interpreting time stamps."),
    "integer_datetimes": ("integer_datetimes", "on", "Shows whether datetimes are integer based."),
    "standard_conforming_strings": ("standard_conforming_strings", "on",
                                    "Causes '...' strings to treat backslashes literally."),
    "search_path": ("search_path", '"$user", public', "Sets the schema search order for names."),
    "transaction_isolation": ("transaction_isolation", "read committed",
                              "Sets the current transaction's isolation level."),
    "default_transaction_isolation": ("default_transaction_isolation", "read committed",
                                      "Sets the transaction isolation level of each new transaction."),
    "transaction_read_only": ("transaction_read_only", "off", "Sets the current transaction's read-only status."),
    "default_transaction_read_only": ("default_transaction_read_only", "off",
                                      "Sets the default read-only status of new transactions."),
    "transaction_deferrable": ("transaction_deferrable", "off",
                               "Whether to defer a read-only serializable transaction until it can run."),
    "default_transaction_deferrable": ("default_transaction_deferrable", "off",
                                       "Sets the default deferrable status of new transactions."),
    "max_prepared_transactions": ("max_prepared_transactions", "0",
                                  "Sets the maximum number of simultaneously prepared transactions."),
    "statement_timeout": ("statement_timeout", "0", "Sets the maximum allowed duration of any statement."),
    "lock_timeout": ("lock_timeout", "0", "Sets the maximum allowed duration of any wait for a lock."),
    "idle_in_transaction_session_timeout": ("idle_in_transaction_session_timeout", "0",
                                            "Sets the maximum allowed idle time between queries."),
    "application_name": ("application_name", "", "Sets the application name to be reported."),
    "extra_float_digits": ("extra_float_digits", "1", "Sets the number of digits displayed for floats."),
    "bytea_output": ("bytea_output", "hex", "Sets the output format for bytea."),
    "client_min_messages": ("client_min_messages", "notice", "Sets the message levels sent to the client."),
    "is_superuser": ("is_superuser", "on", "Shows whether the current user is a superuser."),
    "session_authorization": ("session_authorization", "helios", "Sets the session user name."),
    "role": ("role", "none", "Sets the current role."),
    "force_parallel_mode": ("force_parallel_mode", "off", "Forces use of parallel query facilities."),
    "max_connections": ("max_connections", "500", "Sets the maximum number of concurrent connections."),
    "max_identifier_length": ("max_identifier_length", "63", "Shows the maximum identifier length."),
    "lc_collate": ("lc_collate", "C", "Shows the collation order locale."),
    "lc_ctype": ("lc_ctype", "C", "Shows the character classification locale."),
    "lc_messages": ("lc_messages", "C", "Sets the language in which messages are displayed."),
    "lc_monetary": ("lc_monetary", "C", "Sets the locale for formatting monetary amounts."),
    "lc_numeric": ("lc_numeric", "C", "Sets the locale for formatting numbers."),
    "lc_time": ("lc_time", "C", "Sets the locale for formatting date and time values."),
    "default_text_search_config": ("default_text_search_config", "pg_catalog.english",
                                   "Sets default text search configuration."),
    "work_mem": ("work_mem", "4MB", "Sets the maximum memory for query workspaces."),
    "maintenance_work_mem": ("maintenance_work_mem", "64MB", "Sets the maximum memory for maintenance."),
    # VACUUM's cost-based pause: HeliosDB's VACUUM does no page I/O to pace, so the value only reads back
    "vacuum_cost_delay": ("vacuum_cost_delay", "0", "Vacuum cost delay in milliseconds."),
    "synchronous_commit": ("synchronous_commit", "on", "Sets the current transaction's synchronization level."),
    "enable_seqscan": ("enable_seqscan", "on", "Enables the planner's use of sequential-scan plans."),
    "enable_indexscan": ("enable_indexscan", "on", "Enables the planner's use of index-scan plans."),
    "enable_bitmapscan": ("enable_bitmapscan", "on", "Enables the planner's use of bitmap-scan plans."),
    "enable_hashjoin": ("enable_hashjoin", "on", "Enables the planner's use of hash join plans."),
    "enable_mergejoin": ("enable_mergejoin", "on", "Enables the planner's use of merge join plans."),
    "enable_nestloop": ("enable_nestloop", "on", "Enables the planner's use of nested-loop join plans."),
    "jit": ("jit", "off", "Allow JIT compilation."),
    "row_security": ("row_security", "on", "Enable row security."),
    "check_function_bodies": ("check_function_bodies", "on", "Check routine bodies during CREATE FUNCTION."),
    "xmloption": ("xmloption", "content", "Sets whether XML data is a document or content fragment."),
    "escape_string_warning": ("escape_string_warning", "on", "Warn about backslash escapes."),
    "geqo": ("geqo", "on", "Enables genetic query optimization."),
    "random_page_cost": ("random_page_cost", "4", "Sets the planner's estimate of a random page fetch."),
    "default_table_access_method": ("default_table_access_method", "heap", "Default table access method."),
    "password_encryption": ("password_encryption", "scram-sha-256", "Chooses the password encryption algorithm."),
    # pg_dump/pg_dumpall scripts set it; HeliosDB has one tablespace, pg_default ('' means it)
    "default_tablespace": ("default_tablespace", "", "Sets the default tablespace to create tables in."),
    # pg_dump sets it off; HeliosDB's scans always start at the beginning, as with off
    "synchronize_seqscans": ("synchronize_seqscans", "on", "Enable synchronized sequential scans."),
    "heliosdb.branch": ("heliosdb.branch", "main", "The branch this session reads and writes."),
    "log_min_duration_statement": ("log_min_duration_statement", "-1",
                                   "Sets the minimum execution time above which all statements will be logged."),
    **{name: (name, default, doc) for name, (default, doc) in {
        # more of PostgreSQL's planner and cost settings: they steer its choice among plans that all give
        # the same answer (HeliosDB's planner makes its own choices); like enable_seqscan above they are
        # kept, shown and reset, and scripts that set them around a query run unchanged
        "enable_hashagg": ("on", "Enables the planner's use of hashed aggregation plans."),
        "enable_sort": ("on", "Enables the planner's use of explicit sort steps."),
        "enable_indexonlyscan": ("on", "Enables the planner's use of index-only-scan plans."),
        "enable_tidscan": ("on", "Enables the planner's use of TID scan plans."),
        "enable_material": ("on", "Enables the planner's use of materialization."),
        "enable_memoize": ("on", "Enables the planner's use of memoization."),
        "enable_incremental_sort": ("on", "Enables the planner's use of incremental sort steps."),
        "enable_gathermerge": ("on", "Enables the planner's use of gather merge plans."),
        "enable_parallel_append": ("on", "Enables the planner's use of parallel append plans."),
        "enable_parallel_hash": ("on", "Enables the planner's use of parallel hash plans."),
        "enable_async_append": ("on", "Enables the planner's use of async append plans."),
        "enable_partition_pruning": ("on", "Enables plan-time and execution-time partition pruning."),
        "enable_partitionwise_join": ("off", "Enables partitionwise join."),
        "enable_partitionwise_aggregate": ("off", "Enables partitionwise aggregation and grouping."),
        "parallel_setup_cost": ("1000", ("Sets the planner's estimate of the cost of starting up worker "
                                        "processes for parallel query.")),
        "parallel_tuple_cost": ("0.1", ("Sets the planner's estimate of the cost of passing each tuple (row) "
                                       "from worker to leader backend.")),
        "max_parallel_workers_per_gather": ("2", ("Sets the maximum number of parallel processes per executor "
                                                 "node.")),
        "max_parallel_maintenance_workers": ("2", ("Sets the maximum number of parallel processes per "
                                                  "maintenance operation.")),
        "min_parallel_table_scan_size": ("8MB", "Sets the minimum amount of table data for a parallel scan."),
        "min_parallel_index_scan_size": ("512kB", "Sets the minimum amount of index data for a parallel scan."),
        "cpu_tuple_cost": ("0.01", "Sets the planner's estimate of the cost of processing each tuple (row)."),
        "cpu_operator_cost": ("0.0025", ("Sets the planner's estimate of the cost of processing each operator "
                                        "or function call.")),
        "cpu_index_tuple_cost": ("0.005", ("Sets the planner's estimate of the cost of processing each index "
                                          "entry during an index scan.")),
        "seq_page_cost": ("1", "Sets the planner's estimate of the cost of a sequentially fetched disk page."),
        "effective_cache_size": ("4GB", ("Sets the planner's assumption about the total size of the data "
                                        "caches.")),
        "jit_above_cost": ("100000", "Perform JIT compilation if query is more expensive."),
        "hash_mem_multiplier": ("2", "Multiple of work_mem to use for hash tables."),
        "from_collapse_limit": ("8", "Sets the FROM-list size beyond which subqueries are not collapsed."),
        "join_collapse_limit": ("8", ("Sets the FROM-list size beyond which JOIN constructs are not "
                                     "flattened.")),
        "default_statistics_target": ("100", "Sets the default statistics target."),
        "constraint_exclusion": ("partition", "Enables the planner to use constraints to optimize queries."),
        "plan_cache_mode": ("auto", "Controls the planner's selection of custom or generic plan."),
    }.items()},
}
# PostgreSQL's "superuser" context: only a superuser may SET them (42501 otherwise)
SUPERUSER_SETTINGS = frozenset({"log_min_duration_statement"})
# read-only: SET is 55P02 in PostgreSQL ("cannot be changed")
_READ_ONLY = {"server_version", "server_version_num", "server_encoding", "integer_datetimes", "lc_collate",
              "lc_ctype", "max_identifier_length", "is_superuser", "max_connections", "max_prepared_transactions"}
_BOOLS = {"standard_conforming_strings", "transaction_read_only", "default_transaction_read_only",
          "transaction_deferrable", "default_transaction_deferrable",
          "enable_seqscan", "enable_indexscan", "enable_bitmapscan", "enable_hashjoin", "enable_mergejoin", "enable_nestloop",
          "jit", "row_security", "check_function_bodies", "escape_string_warning", "geqo",
          "synchronize_seqscans", "enable_hashagg", "enable_sort", "enable_indexonlyscan", "enable_tidscan",
          "enable_material", "enable_memoize", "enable_incremental_sort", "enable_gathermerge",
          "enable_parallel_append", "enable_parallel_hash", "enable_async_append", "enable_partition_pruning",
          "enable_partitionwise_join", "enable_partitionwise_aggregate"}
# numeric planner settings: a number, maybe with a memory unit (PostgreSQL refuses anything else)
_NUMERIC_PLANNER = {"parallel_setup_cost", "parallel_tuple_cost", "max_parallel_workers_per_gather",
                    "max_parallel_maintenance_workers", "min_parallel_table_scan_size", "min_parallel_index_scan_size",
                    "cpu_tuple_cost", "cpu_operator_cost", "cpu_index_tuple_cost", "seq_page_cost",
                    "effective_cache_size", "jit_above_cost", "hash_mem_multiplier", "from_collapse_limit",
                    "join_collapse_limit", "default_statistics_target"}
# enumerated planner settings and the values PostgreSQL takes
_ENUM_PLANNER = {"constraint_exclusion": ("partition", "on", "off"),
                 "plan_cache_mode": ("auto", "force_generic_plan", "force_custom_plan")}
# enumerated settings of value output and the values PostgreSQL takes
_ENUM_OUTPUT = {"intervalstyle": ("postgres", "postgres_verbose", "sql_standard", "iso_8601"),
                "bytea_output": ("escape", "hex")}
_TIME_SETTINGS = {"statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout"}
# real-valued settings in milliseconds and PostgreSQL's range for them
_REAL_MS_SETTINGS = {"vacuum_cost_delay": (0.0, 100.0)}
_ISOLATIONS = {"read uncommitted": "read uncommitted", "read committed": "read committed",
               "repeatable read": "repeatable read", "serializable": "serializable"}


# PostgreSQL's client encodings and the other spellings it accepts for them (compared lower case,
# without '-' and '_', as pg_char_to_encoding does)
_ENCODINGS = ["SQL_ASCII", "UTF8", "EUC_JP", "EUC_CN", "EUC_KR", "EUC_TW", "EUC_JIS_2004", "MULE_INTERNAL",
              *[f"LATIN{i}" for i in range(1, 11)], "WIN866", "WIN874", "KOI8R", "KOI8U",
              *[f"WIN{i}" for i in range(1250, 1259)], "ISO_8859_5", "ISO_8859_6", "ISO_8859_7", "ISO_8859_8",
              "SJIS", "BIG5", "GBK", "UHC", "GB18030", "JOHAB", "SHIFT_JIS_2004"]
_ENCODING_ALIASES = {
    "unicode": "UTF8", "iso88591": "LATIN1", "iso88592": "LATIN2", "iso88593": "LATIN3", "iso88594": "LATIN4",
    "iso88599": "LATIN5", "iso885910": "LATIN6", "iso885913": "LATIN7", "iso885914": "LATIN8",
    "iso885915": "LATIN9", "iso885916": "LATIN10", "iso88595": "ISO_8859_5", "iso88596": "ISO_8859_6",
    "iso88597": "ISO_8859_7", "iso88598": "ISO_8859_8", "alt": "WIN866", "win": "WIN1251", "tcvn": "WIN1258",
    "tcvn5712": "WIN1258", "vscii": "WIN1258", "koi8": "KOI8R", "mskanji": "SJIS", "shiftjis": "SJIS",
    "windows932": "SJIS", "windows936": "GBK", "windows949": "UHC", "windows950": "BIG5", "abc": "WIN1258",
    **{f"windows{i}": f"WIN{i}" for i in (866, 874, *range(1250, 1259))},
}


def encoding_name(value: str) -> str | None:
    """PostgreSQL's canonical name of a client encoding ('latin-9' -> 'LATIN9'), None when unknown."""
    key = re.sub(r"[^a-z0-9]", "", value.strip().lower())
    for name in _ENCODINGS:
        if re.sub(r"[^a-z0-9]", "", name.lower()) == key:
            return name
    return _ENCODING_ALIASES.get(key)


def display_name(name: str) -> str:
    """PostgreSQL's spelling of a setting name (the column label of SHOW)."""
    known = _KNOWN.get(name.lower())
    return known[0] if known else name.lower()


def _bool_text(value: str, name: str) -> str:
    v = value.strip().lower()
    if v in ("on", "true", "yes", "1", "t", "y"):
        return "on"
    if v in ("off", "false", "no", "0", "f", "n"):
        return "off"
    raise InvalidParameterValue(f'parameter "{name}" requires a Boolean value')


_UNITS_MS = {"us": 0.001, "ms": 1, "s": 1000, "min": 60000, "h": 3600000, "d": 86400000}


def parse_duration_ms(value: str, name: str = "statement_timeout") -> int:
    """'30s', '100', '1min' -> milliseconds (a bare number means milliseconds, as in PostgreSQL)."""
    if value in _DURATIONS:  # read before every statement: the few values in use are remembered
        return _DURATIONS[value]
    ms = _parse_duration_ms(value, name)
    if len(_DURATIONS) < 256:
        _DURATIONS[value] = ms
    return ms


_DURATIONS: dict[str, int] = {}


def _parse_duration_ms(value: str, name: str) -> int:
    m = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", value)
    if not m or (m.group(2) and m.group(2).lower() not in _UNITS_MS):
        raise InvalidParameterValue(f'invalid value for parameter "{name}": "{value}"',
                                    hint='Valid units for this parameter are "us", "ms", "s", "min", "h", and "d".')
    ms = float(m.group(1)) * _UNITS_MS[(m.group(2) or "ms").lower()]
    if ms < 0:
        raise InvalidParameterValue(f"{int(ms)} ms is outside the valid range for parameter \"{name}\" "
                                    "(0 .. 2147483647)")
    return int(ms)


def _format_ms(ms: int) -> str:
    if ms == 0:
        return "0"
    for unit, factor in (("d", 86400000), ("h", 3600000), ("min", 60000), ("s", 1000)):
        if ms % factor == 0:
            return f"{ms // factor}{unit}"
    return f"{ms}ms"


def _real_ms_text(value: str, name: str) -> str:
    """A real setting in milliseconds as PostgreSQL shows it: '40' -> '40ms', '0.5' -> '500us'."""
    m = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?|-?\.\d+)\s*([a-zA-Z]*)\s*", value)
    if not m or (m.group(2) and m.group(2).lower() not in _UNITS_MS):
        raise InvalidParameterValue(f'invalid value for parameter "{name}": "{value}"',
                                    hint='Valid units for this parameter are "us", "ms", "s", "min", "h", and "d".')
    ms = float(m.group(1)) * _UNITS_MS[(m.group(2) or "ms").lower()]
    low, high = _REAL_MS_SETTINGS[name]
    if not low <= ms <= high:
        raise InvalidParameterValue(f'{ms:g} ms is outside the valid range for parameter "{name}" '
                                    f"({low:g} .. {high:g})")
    if ms == int(ms):
        return _format_ms(int(ms))
    return f"{round(ms * 1000):d}us"


def normalize(name: str, value: str, current: str | None = None) -> str:
    """Check and canonicalize a value the way PostgreSQL stores it (raises 22023/42704)."""
    if name in _BOOLS:
        return _bool_text(value, name)
    if name in _TIME_SETTINGS:
        return _format_ms(parse_duration_ms(value, name))
    if name in _REAL_MS_SETTINGS:
        return _real_ms_text(value, name)
    if name in _NUMERIC_PLANNER:
        if not re.fullmatch(r"\s*-?\d+(\.\d+)?\s*([kMGT]?B)?\s*", value):
            raise InvalidParameterValue(f'invalid value for parameter "{name}": "{value}"')
        return value.strip()
    if name in _ENUM_PLANNER:
        v = value.strip().lower()
        if v not in _ENUM_PLANNER[name]:
            raise InvalidParameterValue(f'invalid value for parameter "{name}": "{value}"',
                                        hint="Available values: " + ", ".join(_ENUM_PLANNER[name]) + ".")
        return v
    if name in _ENUM_OUTPUT:
        v = value.strip().lower()
        if v not in _ENUM_OUTPUT[name]:
            raise InvalidParameterValue(f'invalid value for parameter "{name}": "{value}"',
                                        hint="Available values: " + ", ".join(_ENUM_OUTPUT[name]) + ".")
        return v
    if name == "log_min_duration_statement":  # -1 turns the slow-statement log off
        return "-1" if value.strip() == "-1" else _format_ms(parse_duration_ms(value, name))
    if name in ("transaction_isolation", "default_transaction_isolation"):
        v = " ".join(value.lower().split())
        if v not in _ISOLATIONS:
            raise InvalidParameterValue(f'invalid value for parameter "{name}": "{value}"')
        return v
    if name == "default_tablespace":
        if value not in ("", "pg_default"):
            raise InvalidParameterValue(
                f'invalid value for parameter "default_tablespace": "{value}"',
                detail=f'Tablespace "{value}" does not exist.',
            )
        return value
    if name == "datestyle":
        parts = [p.strip().upper() for p in value.replace(",", " ").split() if p.strip()]
        cur_style, _, cur_order = (current or "ISO, MDY").partition(", ")
        style, order = cur_style or "ISO", cur_order or "MDY"
        have_order = any(p in ("MDY", "DMY", "YMD", "US", "NONEURO", "NONEUROPEAN", "EURO", "EUROPEAN")
                         for p in parts)
        for p in parts:
            if p in ("ISO", "SQL", "POSTGRES", "GERMAN"):
                style = {"POSTGRES": "Postgres", "GERMAN": "German"}.get(p, p)
            elif p in ("MDY", "DMY", "YMD"):
                order = p
            elif p in ("US", "NONEURO", "NONEUROPEAN"):
                order = "MDY"
            elif p in ("EURO", "EUROPEAN"):
                order = "DMY"
            elif p == "DEFAULT":
                pass
            else:
                raise InvalidParameterValue(f'invalid value for parameter "DateStyle": "{value}"')
        if style == "German" and not have_order:
            order = "DMY"  # as PostgreSQL: German alone implies day-month-year
        return f"{style}, {order}"
    if name == "client_encoding":
        canonical = encoding_name(value)
        if canonical is None:
            raise InvalidParameterValue(f'invalid value for parameter "client_encoding": "{value}"')
        if canonical in ("EUC_TW", "MULE_INTERNAL"):
            raise HeliosError(f"client_encoding {canonical} is not supported: HeliosDB has no conversion "
                              "between it and UTF8", sqlstate="0A000")
        return canonical
    if name == "timezone":
        return _check_timezone(value)
    if name == "extra_float_digits":
        try:
            n = int(value)
        except ValueError:
            raise InvalidParameterValue(f'invalid value for parameter "extra_float_digits": "{value}"') from None
        if not -15 <= n <= 3:
            raise InvalidParameterValue(f"{n} is outside the valid range for parameter \"extra_float_digits\" "
                                        "(-15 .. 3)")
        return str(n)
    return value


def _check_timezone(value: str) -> str:
    v = value.strip()
    if v.upper() in ("UTC", "GMT", "Z", "ZULU"):
        return "UTC" if v.upper() != "GMT" else "GMT"
    if re.fullmatch(r"[+-]?\d+(\.\d+)?", v):  # a plain number is hours EAST, as SET TIME ZONE -8 (ISO)
        secs = round(float(v) * 3600)
        if abs(secs) > 15 * 3600 + 59 * 60:
            raise InvalidParameterValue(f'invalid value for parameter "TimeZone": "{value}"')
        sign, a = ("-" if secs < 0 else "+"), abs(secs)
        hhmm = f"{a // 3600:02d}" + (f":{(a % 3600) // 60:02d}" if a % 3600 else "")
        return f"<{sign}{hhmm}>{'+' if sign == '-' else '-'}{hhmm}"  # PostgreSQL's spelling: '<-08>+08'
    if re.fullmatch(r"(?:<[^<>]*>|[A-Za-z]{3,})?[+-]?\d{1,2}(:\d{2}){0,2}", v):
        return v  # a POSIX offset: '+05', 'UTC+3', '<+03>-03' (read by text_out.session_tz_info)
    try:
        zoneinfo.ZoneInfo(v)
        return v
    except Exception:  # noqa: BLE001 - any failure means the zone name is unknown
        spelled = zone_name(v)  # PostgreSQL takes zone names in any case and shows their own spelling
        if spelled is None:
            raise InvalidParameterValue(f'invalid value for parameter "TimeZone": "{value}"') from None
        return spelled


class _Values(dict):
    """A session's setting values, counting the writes that change one (``Settings.version``), so
    that a protocol re-reads them (ParameterStatus, TimeZone) only after a change. Every way
    code writes them (SET, RESET, a block's end, a routine's SET clause, SET ROLE) is a dict write."""

    changes = 0

    def __setitem__(self, key: str, value: str) -> None:
        if key not in self or dict.__getitem__(self, key) != value:
            self.changes += 1
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: str) -> None:
        self.changes += 1
        dict.__delitem__(self, key)

    def pop(self, key: str, *default: Any) -> Any:
        if key in self:
            self.changes += 1
        return dict.pop(self, key, *default)

    def popitem(self) -> tuple[str, str]:
        self.changes += 1
        return dict.popitem(self)

    def setdefault(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self.changes += 1
        return dict.setdefault(self, key, default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.changes += 1
        dict.update(self, *args, **kwargs)

    def clear(self) -> None:
        self.changes += 1
        dict.clear(self)

    def __ior__(self, other: Any) -> Self:
        self.update(other)
        return self


class Settings:
    """The values of one session, with transaction-scoped undo."""

    def __init__(self, overrides: dict[str, str] | None = None, *, user: str = "helios") -> None:
        self._replaced = -1  # times ``values`` was replaced by another dict (ROLLBACK TO SAVEPOINT)
        self.values = {k: v[1] for k, v in _KNOWN.items()}
        self.values["session_authorization"] = user
        self.session_defaults: dict[str, str] = dict(self.values)
        self._undo: dict[str, str | None] | None = None  # values at block start (for ROLLBACK)
        self._local: dict[str, str | None] = {}  # values before SET LOCAL (restored at block end)
        for k, v in (overrides or {}).items():
            name = k.lower()
            if name in _READ_ONLY:
                continue
            self.values[name] = normalize(name, v)
            self.session_defaults[name] = self.values[name]

    # --------------------------------------------------------------- access
    def get(self, name: str, missing_ok: bool = False) -> str | None:
        value = self.values.get(name)  # names are kept in lower case: most callers ask so
        if value is not None:
            return value
        name = name.lower()
        if name in self.values:
            return self.values[name]
        if missing_ok:
            return None
        raise UndefinedObject(f'unrecognized configuration parameter "{name}"')

    def as_dict(self) -> dict[str, str]:
        return dict(self.values)

    @property
    def values(self) -> dict[str, str]:
        return self._values

    @values.setter
    def values(self, values: dict[str, str]) -> None:
        """Whatever dict is put here, its changes are counted from now on (``version``)."""
        self._values = _Values(values)
        self._replaced += 1

    @property
    def version(self) -> int:
        """Changes whenever a value does (equal versions: equal values)."""
        return self._replaced * (1 << 40) + self._values.changes

    def check_name(self, name: str) -> str:
        name = name.lower()
        if name not in self.values and name not in _KNOWN and "." not in name:
            raise UndefinedObject(f'unrecognized configuration parameter "{name}"')
        return name

    def set(self, name: str, value: str | None, *, local: bool = False, in_block: bool = False) -> str:
        """SET name = value (None = DEFAULT); returns the canonical name."""
        name = self.check_name(name)
        if name in _READ_ONLY:
            raise HeliosError(f'parameter "{name}" cannot be changed', sqlstate="55P02")
        new = self.session_defaults.get(name, "") if value is None else normalize(name, value, self.values.get(name))
        if in_block and self._undo is not None and name not in self._undo:
            self._undo[name] = self.values.get(name)
        if local:
            if in_block and name not in self._local:
                self._local[name] = self.values.get(name)
            if not in_block:
                return name  # SET LOCAL outside a block has no effect (PostgreSQL warns)
        self.values[name] = new
        return name

    def reset(self, name: str, *, in_block: bool = False) -> None:
        if name.lower() == "all":
            for k in list(self.values):
                if k not in _READ_ONLY and k not in ("transaction_isolation", "transaction_read_only", "role",
                                                     "session_authorization"):
                    self.set(k, None, in_block=in_block)
            return
        self.set(name, None, in_block=in_block)

    def show_all(self) -> list[tuple[str, str, str]]:
        out = []
        for name in sorted(self.values):
            known = _KNOWN.get(name)
            out.append((display_name(name), self.values[name], known[2] if known else ""))
        return out

    # --------------------------------------------------------------- transaction scope
    def begin_block(self) -> None:
        self._undo = {}
        self._local = {}

    def end_block(self, committed: bool) -> None:
        """Undo SET LOCAL always, and every SET of the block when it rolled back."""
        if self._undo is None:
            return
        if not committed:
            for k, v in self._undo.items():
                if v is None:
                    self.values.pop(k, None)
                else:
                    self.values[k] = v
        else:
            for k, v in self._local.items():
                if v is None:
                    self.values.pop(k, None)
                else:
                    self.values[k] = v
        self._undo = None
        self._local = {}

    def snapshot(self) -> dict[str, Any]:
        """State to restore on ROLLBACK TO SAVEPOINT."""
        return {"values": dict(self.values), "undo": dict(self._undo or {}), "local": dict(self._local)}

    def restore(self, snap: dict[str, Any]) -> None:
        self.values = snap["values"]
        if self._undo is not None:
            self._undo = dict(snap["undo"])
        self._local = dict(snap["local"])
