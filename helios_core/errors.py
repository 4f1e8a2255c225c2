"""Errors a client can see. Every error raised to a session carries a SQLSTATE.

Protocol plugins translate these into their own wire errors (PG ErrorResponse,
Mongo error code, ClickHouse exception); the kernel speaks SQLSTATE because it
is the most detailed taxonomy of the three.
"""

from __future__ import annotations

import os
import sys

__all__ = [
    "CheckViolation",
    "DatatypeMismatch",
    "DeadlockDetected",
    "DiskFull",
    "DivisionByZero",
    "DuplicateObject",
    "DuplicateTable",
    "FeatureNotSupported",
    "ForeignKeyViolation",
    "HeliosError",
    "InFailedTransaction",
    "InsufficientPrivilege",
    "InvalidCatalogName",
    "InvalidParameterValue",
    "InvalidTextRepresentation",
    "LockNotAvailable",
    "NotNullViolation",
    "NumericValueOutOfRange",
    "OutOfMemory",
    "QueryCanceled",
    "SerializationFailure",
    "SyntaxError_",
    "TooManyConnections",
    "UndefinedColumn",
    "UndefinedFunction",
    "UndefinedObject",
    "UndefinedTable",
    "UniqueViolation",
    "from_engine_failure",
]


class HeliosError(Exception):
    """Base class: an error reported to one client; the server goes on."""

    sqlstate = "XX000"
    severity = "ERROR"

    def __init__(
        self,
        message: str,
        *,
        sqlstate: str | None = None,
        detail: str | None = None,
        hint: str | None = None,
        position: int | None = None,
        context: str | None = None,
        schema_name: str | None = None,
        table_name: str | None = None,
        column_name: str | None = None,
        constraint_name: str | None = None,
        routine: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if sqlstate is not None:
            self.sqlstate = sqlstate
        self.detail = detail
        self.hint = hint
        self.position = position  # 1-based character offset into the statement text
        self.context = context  # where it happened, e.g. "COPY t, line 3, column a: \"x\""
        # the object an integrity error is about (PostgreSQL's schema/table/column/constraint fields)
        self.schema_name = schema_name
        self.table_name = table_name
        self.column_name = column_name
        self.constraint_name = constraint_name
        # PostgreSQL's source routine (the 'R' field) where clients key on it: asyncpg re-prepares
        # its cached statements on a 0A000 from RevalidateCachedQuery
        self.routine = routine
        self.source_file, self.source_line, self.source_function = _reporting_site()


def _reporting_site() -> tuple[str, int, str]:
    """Where the server reported an error: PostgreSQL's file, line and routine fields (F, L, R).

    PostgreSQL names its C source; ours is the Python module, line and function that made the
    error (the first frame outside the exception classes' constructors). Clients show these
    and some read them (asyncpg's log messages expose every field)."""
    frame = sys._getframe(2)
    while frame.f_back is not None and frame.f_code.co_name == "__init__":
        frame = frame.f_back
    return os.path.basename(frame.f_code.co_filename), frame.f_lineno, frame.f_code.co_name


class SyntaxError_(HeliosError):
    sqlstate = "42601"


class UndefinedTable(HeliosError):
    sqlstate = "42P01"


class UndefinedColumn(HeliosError):
    sqlstate = "42703"


class UndefinedFunction(HeliosError):
    sqlstate = "42883"


class DuplicateObject(HeliosError):
    sqlstate = "42710"


class DuplicateTable(HeliosError):
    sqlstate = "42P07"


class UniqueViolation(HeliosError):
    sqlstate = "23505"


class NotNullViolation(HeliosError):
    sqlstate = "23502"


class ForeignKeyViolation(HeliosError):
    sqlstate = "23503"


class CheckViolation(HeliosError):
    sqlstate = "23514"


class NumericValueOutOfRange(HeliosError):
    sqlstate = "22003"


class DivisionByZero(HeliosError):
    sqlstate = "22012"


class InvalidTextRepresentation(HeliosError):
    sqlstate = "22P02"


class DatatypeMismatch(HeliosError):
    sqlstate = "42804"


class SerializationFailure(HeliosError):
    sqlstate = "40001"


class DeadlockDetected(HeliosError):
    sqlstate = "40P01"


class LockNotAvailable(HeliosError):
    sqlstate = "55P03"


class QueryCanceled(HeliosError):
    sqlstate = "57014"


class InFailedTransaction(HeliosError):
    sqlstate = "25P02"


class InsufficientPrivilege(HeliosError):
    sqlstate = "42501"


class TooManyConnections(HeliosError):
    sqlstate = "53300"


class OutOfMemory(HeliosError):
    sqlstate = "53200"


class DiskFull(HeliosError):
    sqlstate = "53100"


class FeatureNotSupported(HeliosError):
    sqlstate = "0A000"


class InvalidParameterValue(HeliosError):
    sqlstate = "22023"


class UndefinedObject(HeliosError):
    sqlstate = "42704"


class InvalidCatalogName(HeliosError):
    """Unknown database."""

    sqlstate = "3D000"


def from_engine_failure(exc: BaseException) -> HeliosError:
    """The error a client sees for an exception that escaped the engine.

    Running out of Python stack (a deeply nested expression or a recursion at run time) is
    PostgreSQL's 54001 and running out of memory its 53200; anything else is an engine bug (XX000).
    """
    if isinstance(exc, RecursionError):
        return HeliosError("stack depth limit exceeded", sqlstate="54001",
                           hint="The statement nests expressions or calls too deeply; simplify it.")
    if isinstance(exc, MemoryError):
        return HeliosError("out of memory", sqlstate="53200",
                           detail="The server could not allocate the memory the statement needs.")
    return HeliosError(f"internal error: {type(exc).__name__}: {exc}", sqlstate="XX000")
