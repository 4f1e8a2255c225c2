"""to_tsquery and its kin keep their output for texts seen lately (sql_functions._query_builder):
the kept output must follow the default configuration and never hide an error."""

from __future__ import annotations

import pyarrow as pa
import pytest
from helios_search import configurations as C
from helios_search import sql_functions

from helios_core.errors import HeliosError


def _to_tsquery(*columns: list) -> list:
    impl = next(f.impl for f in sql_functions.FUNCTIONS if f.name == "to_tsquery")
    return impl([pa.array(c) for c in columns]).to_pylist()


def test_the_default_configuration_is_read_at_each_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(C, "DEFAULT_CONFIG", ["english"])
    assert _to_tsquery(["running & cats"]) == ["'run' & 'cat'"]
    monkeypatch.setattr(C, "DEFAULT_CONFIG", ["simple"])
    assert _to_tsquery(["running & cats"]) == ["'running' & 'cats'"]
    assert _to_tsquery(["english", "simple"], ["running", "running"]) == ["'run'", "'running'"]


def test_errors_are_raised_every_time() -> None:
    for _ in range(2):
        with pytest.raises(HeliosError):
            _to_tsquery(["no_such_configuration"], ["cats"])
        with pytest.raises(HeliosError):
            _to_tsquery(["english"], ["cats &"])
