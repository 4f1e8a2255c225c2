"""The ClickHouse settings this server knows: what ``system.settings`` lists.

Each has its default, its type and a description. A client may set any of them (URL
parameter, SET, a query's SETTINGS clause); the ones that change an answer here are the
output-format settings (``output_format_*``), ``extremes``, ``enable_http_compression``,
``http_zlib_compression_level`` and ``session_timezone``; the query limits and their overflow
modes are enforced or refused (``limits``); the rest are accepted because they tune how
ClickHouse would execute, which the kernel decides for itself.
"""

from __future__ import annotations

from sqlglot import exp

from helios_protocol_clickhouse.errors import ClickHouseError

SETTINGS: dict[str, tuple[str, str, str]] = {
    # name: (default, type, description)
    "readonly": ("0", "UInt64", "0 allows every query, 1 and 2 only reads"),
    "max_threads": ("0", "MaxThreads", "threads a query may use (the kernel decides)"),
    "max_block_size": ("65409", "UInt64", "rows per block"),
    "max_execution_time": ("0", "Seconds", "time limit of a query"),
    "max_result_rows": ("0", "UInt64", "result row limit"),
    "max_memory_usage": ("0", "UInt64", "memory limit of a query"),
    "extremes": ("0", "Bool", "also return the minimum and maximum of each column"),
    "enable_http_compression": ("0", "Bool", "compress HTTP responses as Accept-Encoding asks"),
    "http_zlib_compression_level": ("3", "Int64", "level of gzip/deflate/zstd response compression"),
    "send_progress_in_http_headers": ("0", "Bool", "X-ClickHouse-Progress headers"),
    "http_headers_progress_interval_ms": ("100", "UInt64", "interval of progress headers"),
    "cancel_http_readonly_queries_on_client_close": ("0", "Bool", "cancel a read when its client leaves"),
    "date_time_input_format": ("basic", "DateTimeInputFormat", "how DateTime text is parsed"),
    "date_time_output_format": ("simple", "DateTimeOutputFormat", "how DateTime text is written"),
    "output_format_json_quote_64bit_integers": ("0", "Bool", "quote 64-bit integers in JSON formats"),
    "output_format_json_quote_denormals": ("0", "Bool", "write nan and inf in JSON formats"),
    "output_format_decimal_trailing_zeros": ("0", "Bool", "write Decimal values with trailing zeros"),
    "output_format_write_statistics": ("1", "Bool", "statistics in JSON formats"),
    "output_format_tsv_crlf_end_of_line": ("0", "Bool", "CRLF line ends in TSV"),
    "format_csv_delimiter": (",", "Char", "the CSV field delimiter"),
    "input_format_null_as_default": ("1", "Bool", "NULL in input becomes the column default"),
    "join_use_nulls": ("0", "Bool", "outer joins fill with NULL instead of defaults"),
    "any_join_distinct_right_table_keys": ("0", "Bool", "old ANY JOIN behaviour"),
    "session_timezone": ("", "Timezone", "time zone of the session"),
    "log_queries": ("1", "Bool", "log queries"),
    "insert_quorum": ("0", "UInt64Auto", "replicas that must confirm an insert"),
    "async_insert": ("0", "Bool", "buffer inserts"),
    "wait_for_async_insert": ("1", "Bool", "wait for buffered inserts"),
    "mutations_sync": ("0", "UInt64", "wait for mutations"),
    "allow_experimental_object_type": ("0", "Bool", "experimental JSON type"),
    "insert_deduplicate": ("1", "Bool", "deduplicate inserted blocks"),
    "use_query_cache": ("0", "Bool", "cache query results"),
    "final": ("0", "Bool", "FINAL on every table"),
    "allow_suspicious_low_cardinality_types": ("0", "Bool", "LowCardinality of small types"),
}


def _setting_value(node: exp.Expression) -> str:
    if isinstance(node, exp.Literal):
        return node.this
    if isinstance(node, exp.Boolean):
        return "1" if node.this else "0"
    if isinstance(node, exp.Column | exp.Identifier):
        return node.name
    return node.sql(dialect="clickhouse").strip("'")


def settings_of(items: list[exp.Expression]) -> dict[str, str]:
    """``SETTINGS a = 1, b = 'x'`` / ``SET a = 1`` items -> {"a": "1", "b": "x"}."""
    out = {}
    for item in items:
        if isinstance(item, exp.SetItem):
            item = item.this
        if isinstance(item, exp.EQ):
            out[item.this.name] = _setting_value(item.expression)
        else:
            raise ClickHouseError(62, f"Syntax error: cannot read setting {item.sql(dialect='clickhouse')}")
    return out
