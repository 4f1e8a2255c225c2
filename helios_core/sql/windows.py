"""Window functions: planned here, computed by operators.window.WindowOp (see there)."""

from __future__ import annotations

from typing import Any

from helios_core.errors import FeatureNotSupported


def plan_window_operator(builder: Any, op: Any, scope: Any, windows: list, sel: Any) -> tuple[Any, Any]:
    raise FeatureNotSupported("window functions are not supported yet")
