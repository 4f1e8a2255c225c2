"""The server's ``[timeseries]`` section as the statements and jobs of a session see it.

``helios serve`` hands it over at start-up (``helios_startup``); embedded engines use the
defaults of helios_core.config.TimeseriesConfig.
"""

from __future__ import annotations

from typing import Any

from helios_core.config import TimeseriesConfig
from helios_core.errors import FeatureNotSupported

_ATTRIBUTE = "timeseries_config"
_DEFAULTS = TimeseriesConfig()


def configure(engine: Any, config: TimeseriesConfig) -> None:
    setattr(engine, _ATTRIBUTE, config)


def of(engine: Any) -> TimeseriesConfig:
    return getattr(engine, _ATTRIBUTE, None) or _DEFAULTS


def require_enabled(session: Any, what: str) -> TimeseriesConfig:
    config = of(session.engine)
    if not config.enabled:
        raise FeatureNotSupported(f"{what}: time series are switched off on this server ([timeseries] enabled = "
                                  "false)")
    return config
