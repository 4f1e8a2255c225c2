"""The stateless runner reads a statement's expected error where ClickHouse's client does: in a
comment after its ``;`` or, for the last statement of a file, after the statement itself."""

from __future__ import annotations

from helios_protocol_clickhouse.stateless import statements_of


def test_error_hints_after_the_semicolon_and_inside_the_last_statement() -> None:
    script = "SELECT 1;\nSELECT x; -- { serverError 47 }\nSELECT ceil(1, -54212) --{serverError ARGUMENT_OUT_OF_BOUND}\n"
    assert statements_of(script) == [("SELECT 1", None), ("SELECT x", "47"),
                                     ("SELECT ceil(1, -54212) --{serverError ARGUMENT_OUT_OF_BOUND}",
                                      "ARGUMENT_OUT_OF_BOUND")]
