"""Storage errors with SQLSTATEs that helios_core.errors does not define (yet)."""

from __future__ import annotations

from helios_core.errors import HeliosError


class ReadOnlyTransaction(HeliosError):
    sqlstate = "25006"


class DependentObjectsStillExist(HeliosError):
    sqlstate = "2BP01"


class InvalidTransactionState(HeliosError):
    sqlstate = "25000"


class InvalidBranch(HeliosError):
    """Unknown branch, or a branch name already taken."""

    sqlstate = "42704"
