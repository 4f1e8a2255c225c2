"""MongoDB's error codes and names, and the mapping of the kernel's SQLSTATEs onto them."""

from __future__ import annotations

import re
from typing import Any

from helios_core.errors import HeliosError

CODE_NAMES = {
    2: "BadValue", 9: "FailedToParse", 11: "UserNotFound", 13: "Unauthorized", 14: "TypeMismatch",
    18: "AuthenticationFailed", 20: "IllegalOperation", 26: "NamespaceNotFound", 27: "IndexNotFound",
    40: "ConflictingUpdateOperators", 43: "CursorNotFound", 48: "NamespaceExists", 50: "MaxTimeMSExpired",
    51: "DollarPrefixedFieldName", 52: "DollarPrefixedFieldName", 59: "CommandNotFound",
    66: "ImmutableField", 67: "CannotCreateIndex", 72: "InvalidOptions", 73: "InvalidNamespace",
    85: "IndexOptionsConflict", 86: "IndexKeySpecsConflict", 112: "WriteConflict",
    115: "CommandNotSupported", 121: "DocumentValidationFailure", 125: "CommandFailed",
    251: "NoSuchTransaction", 256: "TransactionCommitted", 263: "OperationNotSupportedInTransaction",
    322: "APIVersionError", 323: "APIStrictError", 334: "MechanismUnavailable",
    10334: "BSONObjectTooLarge", 11000: "DuplicateKey", 11600: "InterruptedAtShutdown",
    17124: "Location17124", 28667: "Location28667", 40324: "Location40324", 40352: "Location40352",
    15998: "Location15998", 16410: "Location16410", 31249: "Location31249", 40353: "Location40353",
    136: "CappedPositionLost", 139: "JSInterpreterFailure", 237: "CursorKilled", 239: "SnapshotTooOld",
    10003: "CannotGrowDocumentInCappedNamespace", 16766: "Location16766", 16764: "Location16764",
    31303: "Location31303", 4822819: "Location4822819", 5107201: "Location5107201",
    5: "GraphContainsCycle", 47: "NoMatchingDocument", 165: "ViewDepthLimitExceeded",
    166: "CommandNotSupportedOnView", 167: "OptionNotSupportedOnView", 260: "InvalidResumeToken",
    280: "ChangeStreamFatalError", 286: "ChangeStreamHistoryLost", 40602: "Location40602",
}


class MongoError(Exception):
    """An error a MongoDB client sees: ``{ok: 0, errmsg, code, codeName}`` (and labels)."""

    def __init__(self, code: int, message: str, *, labels: tuple[str, ...] = (),
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.labels = labels
        self.extra = extra or {}

    @property
    def code_name(self) -> str:
        return CODE_NAMES.get(self.code, f"Location{self.code}")

    def reply(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"ok": 0.0, "errmsg": self.message, "code": self.code, "codeName": self.code_name}
        if self.labels:
            doc["errorLabels"] = list(self.labels)
        doc.update(self.extra)
        return doc


def bad_value(message: str) -> MongoError:
    return MongoError(2, message)


# SQLSTATE -> (code, labels) for errors the kernel raises under a MongoDB command
_SQLSTATE_CODES = {
    "40001": (112, ("TransientTransactionError",)),  # serialization failure: first committer won
    "40P01": (112, ("TransientTransactionError",)),
    "55P03": (112, ("TransientTransactionError",)),  # a row lock held by another transaction
    "25P02": (251, ("TransientTransactionError",)),  # the transaction already failed
    "57014": (11601, ()),  # query canceled -> Interrupted
    "57P01": (11600, ()),
    "57P03": (11600, ()),
    "42501": (13, ()),
}


_NOT_NULL_COLUMN = re.compile(r'null value in column "([^"]+)"')


def from_helios_error(exc: HeliosError) -> MongoError:
    code, labels = _SQLSTATE_CODES.get(getattr(exc, "sqlstate", ""), (125, ()))
    message = str(exc)
    if getattr(exc, "sqlstate", "") == "22023" and "retention window" in message:  # a snapshot read's time
        code = 239
    constraint = getattr(exc, "constraint_name", None) or ""
    if getattr(exc, "sqlstate", "") == "23514" and constraint.endswith("$hashed"):  # hashed_indexes' CHECK
        code, message = 16766, f"hashed indexes do not currently support array values ({constraint[:-7]})"
    missing = _NOT_NULL_COLUMN.match(message) if getattr(exc, "sqlstate", "") == "23502" else None
    if missing is not None and missing.group(1) not in ("_id", "doc"):  # a time-series collection's time field
        code, message = 2, f"'{missing.group(1)}' must be present and contain a valid BSON UTC datetime value"
    if code == 112:
        message = f"Write conflict during plan execution and yielding is disabled. :: {message}"
    return MongoError(code, message, labels=labels)


def refuse_oplog(db: str, collection: str) -> None:
    """This server keeps no replication oplog: reading local.oplog.rs is refused, not answered empty
    (a tool that tails it would wait forever)."""
    if db == "local" and collection == "oplog.rs":
        raise MongoError(115, "local.oplog.rs: HeliosDB keeps no replication oplog (tailing it is not supported; "
                              "use a change stream: watch())")
