"""The errors of path evaluation that ``silent => true`` suppresses (PostgreSQL's RETURN_ERROR
class: structural errors, non-numeric operands, bad subscripts, datetime parsing)."""

from __future__ import annotations

from helios_core.errors import HeliosError


class PathError(HeliosError):
    """An error of path evaluation that ``silent => true`` suppresses."""
