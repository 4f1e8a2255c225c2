"""PL/pgSQL: LANGUAGE plpgsql functions, procedures, DO blocks and trigger functions."""

from __future__ import annotations

from typing import Any

from helios_core.errors import FeatureNotSupported


def check(routine: Any) -> None:
    raise FeatureNotSupported("LANGUAGE plpgsql is not supported yet")


def call(session: Any, routine: Any, values: list[Any], *, trigger: Any = None) -> Any:
    raise FeatureNotSupported("LANGUAGE plpgsql is not supported yet")


def run_block(session: Any, code: str) -> None:
    raise FeatureNotSupported("DO blocks (PL/pgSQL) are not supported yet")
