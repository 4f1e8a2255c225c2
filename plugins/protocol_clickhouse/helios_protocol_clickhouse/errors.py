"""ClickHouse exceptions: the code, name and message a ClickHouse client expects.

The kernel's errors carry SQLSTATEs; ``from_error`` gives the nearest ClickHouse code
(42601 -> 62 SYNTAX_ERROR, 42P01 -> 60 UNKNOWN_TABLE, ...). ``ClickHouseError`` is raised
by this plugin where ClickHouse's own code is known. ``http_status`` is the HTTP status
ClickHouse's HTTP interface answers a code with.
"""

from __future__ import annotations

import re

VERSION = "24.8.4.13"  # the ClickHouse release whose behaviour clients should expect

CODES = {
    40: "CHECKSUM_DOESNT_MATCH", 101: "UNKNOWN_PACKET_FROM_CLIENT", 102: "UNEXPECTED_PACKET_FROM_CLIENT",
    171: "BLOCKS_HAVE_DIFFERENT_STRUCTURE", 20: "NUMBER_OF_COLUMNS_DOESNT_MATCH", 125: "INCORRECT_RESULT_OF_SCALAR_SUBQUERY", 271: "CANNOT_DECOMPRESS",
    1: "UNSUPPORTED_METHOD", 6: "CANNOT_PARSE_TEXT", 27: "CANNOT_PARSE_INPUT_ASSERTION_FAILED",
    33: "CANNOT_READ_ALL_DATA", 36: "BAD_ARGUMENTS", 42: "NUMBER_OF_ARGUMENTS_DOESNT_MATCH", 43: "ILLEGAL_TYPE_OF_ARGUMENT", 44: "ILLEGAL_COLUMN", 46: "UNKNOWN_FUNCTION",
    16: "NO_SUCH_COLUMN_IN_TABLE", 47: "UNKNOWN_IDENTIFIER", 48: "NOT_IMPLEMENTED", 49: "LOGICAL_ERROR", 50: "UNKNOWN_TYPE",
    53: "TYPE_MISMATCH", 57: "TABLE_ALREADY_EXISTS", 60: "UNKNOWN_TABLE", 62: "SYNTAX_ERROR",
    69: "ARGUMENT_OUT_OF_BOUND", 70: "CANNOT_CONVERT_TYPE", 73: "UNKNOWN_FORMAT", 81: "UNKNOWN_DATABASE",
    82: "DATABASE_ALREADY_EXISTS", 115: "UNKNOWN_SETTING", 117: "INCORRECT_DATA", 145: "UNKNOWN_OVERFLOW_MODE",
    153: "ILLEGAL_DIVISION", 158: "TOO_MANY_ROWS", 396: "TOO_MANY_ROWS_OR_BYTES",
    159: "TIMEOUT_EXCEEDED", 164: "READONLY", 170: "BAD_GET", 179: "MULTIPLE_EXPRESSIONS_FOR_ALIAS",
    184: "ILLEGAL_AGGREGATION", 202: "TOO_MANY_SIMULTANEOUS_QUERIES", 215: "NOT_AN_AGGREGATE",
    241: "MEMORY_LIMIT_EXCEEDED", 352: "AMBIGUOUS_COLUMN_NAME", 386: "NO_COMMON_TYPE",
    394: "QUERY_WAS_CANCELLED", 395: "FUNCTION_THROW_IF_VALUE_IS_NON_ZERO", 432: "UNKNOWN_CODEC",
    497: "ACCESS_DENIED", 675: "CANNOT_PARSE_IPV4", 516: "AUTHENTICATION_FAILED", 691: "UNKNOWN_ELEMENT_OF_ENUM",
    248: "INVALID_PARTITION_VALUE", 181: "ILLEGAL_FINAL", 344: "SUPPORT_IS_DISABLED", 169: "BAD_TYPE_OF_FIELD",
    8: "THERE_IS_NO_COLUMN",
    1001: "STD_EXCEPTION", 1002: "UNKNOWN_EXCEPTION",
}

_BY_SQLSTATE = {
    "42601": 62, "42P01": 60, "42703": 47, "42883": 46, "42804": 43, "42725": 43, "42846": 70,
    "22P02": 6, "22007": 6, "22008": 6, "22003": 69, "22012": 153, "22023": 36, "42P07": 57,
    "3D000": 81, "42P06": 82, "0A000": 48, "28P01": 516, "28000": 516, "57014": 394, "42704": 50,
    "42501": 497, "53300": 202, "42702": 352, "42803": 215, "42P20": 184, "53200": 241,
    "25006": 164, "42P18": 386, "22004": 43, "23502": 117, "23505": 117, "23514": 117,
    "42712": 179, "P0001": 395, "22001": 131, "21000": 36,
}


class ClickHouseError(Exception):
    """An error with ClickHouse's code; ``message`` is the text after ``DB::Exception:``."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def name(self) -> str:
        return CODES.get(self.code, "UNKNOWN_EXCEPTION")

    def text(self) -> str:
        """ClickHouse's rendering: ``Code: 60. DB::Exception: ... (UNKNOWN_TABLE) (version ...)``."""
        return f"Code: {self.code}. DB::Exception: {self.message}. ({self.name}) (version {VERSION} (official build))"


def from_error(exc: BaseException) -> ClickHouseError:
    """The ClickHouse exception for any error raised while serving a statement."""
    if isinstance(exc, ClickHouseError):
        return exc
    sqlstate = getattr(exc, "sqlstate", None)
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    message = message.rstrip(".")
    if sqlstate is None:
        return ClickHouseError(1001, f"{type(exc).__name__}: {message}")
    code = _BY_SQLSTATE.get(sqlstate)
    if sqlstate == "57014" and "timeout" in message:
        code = 159
    if sqlstate == "42883" and message.startswith("operator does not exist"):
        code = 43  # the operator exists, not for these types
    if sqlstate == "42P01" and message.startswith("missing FROM-clause entry"):
        code = 47
    if sqlstate == "23514" and re.search(r'violates check constraint "[^"]*_enum_labels"', message):
        code = 691  # the labels check of an Enum column (rewrites.ddl names it so)
    if sqlstate == "23514" and re.search(r'violates check constraint "[^"]*_versioned_sign_not_built"', message):
        # merge_engines names it so
        code, message = 48, "A sign other than 1 and -1 in a VersionedCollapsingMergeTree table is not supported"
    if sqlstate == "21000" and message.startswith("more than one row returned by a subquery"):
        code = 125
        message = "Scalar subquery returned more than one row"
    if sqlstate == "21000" and message.startswith("Scalar subquery returned empty result"):
        code = 125
    if sqlstate == "42601" and message.startswith(("subquery has too many columns", "subquery has too few columns")):
        code = 20
    if sqlstate == "22P02" and message.startswith("Invalid IPv4 value"):
        code = 675
    if sqlstate == "22023" and message.startswith(("Unknown element", "Unexpected value")):
        code = 691  # a label or number the Enum does not have
    if code is None:
        code = {"22": 36, "23": 117, "42": 36, "54": 36}.get(sqlstate[:2], 1002)
    return ClickHouseError(code, _clickhouse_wording(code, message))


def _clickhouse_wording(code: int, message: str) -> str:
    """The kernel's message in ClickHouse's words where they differ for the same error."""
    if code == 60 and (m := re.fullmatch(r'relation "(?:(?P<schema>[^"]+)\.)?(?P<name>[^"]+)" does not exist', message)):
        schema = m.group("schema")
        database = "default" if schema in (None, "public") else schema
        return f"Table {database}.{m.group('name')} does not exist"
    if code == 47 and (m := re.fullmatch(r'column "(?:[^"]+\.)?(?P<name>[^"]+)" does not exist', message)):
        return f"Unknown expression identifier `{m.group('name')}`"
    if code == 46 and (m := re.fullmatch(r"function (?P<name>[\w.]+)\(.*\) does not exist", message)):
        return f"Unknown function {m.group('name')}"
    return message


_HTTP_BY_CODE = {
    516: 403, 497: 403, 164: 403, 62: 400, 6: 400, 27: 400, 33: 400, 36: 400, 43: 400, 44: 400, 53: 400,
    69: 400, 70: 400, 73: 400, 115: 400, 117: 400, 153: 400, 179: 400, 184: 400, 215: 400, 352: 400,
    386: 400, 46: 404, 47: 404, 50: 404, 60: 404, 81: 404, 48: 501, 202: 503, 394: 500,
}


def http_status(code: int) -> int:
    """The HTTP status ClickHouse answers an exception code with."""
    return _HTTP_BY_CODE.get(code, 500)
