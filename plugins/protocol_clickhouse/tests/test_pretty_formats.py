"""Pretty, PrettyCompact, PrettySpace and Vertical rendered from Arrow batches, without a server:
the expected texts are ClickHouse's for the same columns (no colours; no row numbers unless a test
asks for ClickHouse's default)."""

from __future__ import annotations

import pyarrow as pa
from helios_protocol_clickhouse import formats
from helios_protocol_clickhouse.results import ChColumn, ChResult


def _result(**columns: tuple[str, list]) -> ChResult:
    batch = pa.RecordBatch.from_pydict({name: values for name, (_, values) in columns.items()})
    return ChResult(kind="SELECT", columns=[ChColumn(name, t) for name, (t, _) in columns.items()], batches=[batch])


def _render(name: str, result: ChResult, **settings: str) -> str:
    return formats.render(name, result, {"output_format_pretty_row_numbers": "0", **settings})[0].decode()


def test_compact_aligns_numbers_right_and_text_left() -> None:
    result = _result(x=("UInt32", [1000000]), y=("String", ["abcdef"]), f=("Float64", [-1.5]))
    assert _render("PrettyCompact", result) == (
        "┌───────x─┬─y──────┬────f─┐\n"
        "│ 1000000 │ abcdef │ -1.5 │\n"
        "└─────────┴────────┴──────┘\n")


def test_pretty_draws_rules_between_rows_and_a_totals_table() -> None:
    result = _result(k=("UInt8", [0, 1]), c=("UInt64", [3, 2]))
    result.totals = pa.RecordBatch.from_pydict({"k": [0], "c": [5]})
    assert _render("Pretty", result) == (
        "┏━━━┳━━━┓\n┃ k ┃ c ┃\n┡━━━╇━━━┩\n│ 0 │ 3 │\n├───┼───┤\n│ 1 │ 2 │\n└───┴───┘\n"
        "\nTotals:\n┏━━━┳━━━┓\n┃ k ┃ c ┃\n┡━━━╇━━━┩\n│ 0 │ 5 │\n└───┴───┘\n")


def test_space_null_and_line_breaks() -> None:
    result = _result(x=("String", ["a\nb"]), y=("String", ["ab\ncd\ne"]))
    assert _render("PrettySpace", result) == " x   y \n\n a↴  ab↴\n↳b  ↳cd↴\n    ↳e  \n"
    nulls = _result(n=("Nullable(UInt8)", [None]))
    assert _render("PrettyCompactMonoBlock", nulls) == "┌────n─┐\n│ ᴺᵁᴸᴸ │\n└──────┘\n"  # a number type: right


def test_row_numbers_when_asked() -> None:
    result = _result(number=("UInt64", [0, 1]))
    assert _render("PrettyCompact", result, output_format_pretty_row_numbers="1") == (
        "   ┌─number─┐\n1. │      0 │\n2. │      1 │\n   └────────┘\n")


def test_row_numbers_by_default_and_on_across_blocks() -> None:
    result = _result(number=("UInt64", [0, 1]))
    assert formats.render("PrettyCompact", result, {})[0].decode() == (
        "   ┌─number─┐\n1. │      0 │\n2. │      1 │\n   └────────┘\n")
    result.block_starts = [0, 1]  # two blocks: the second numbers its row 2
    assert formats.render("PrettySpace", result, {})[0].decode() == (
        "    number\n\n1.       0 \n    number\n\n2.       1 \n")


def test_tabs_advance_to_multiples_of_eight_from_the_margin() -> None:
    # ClickHouse counts from the row number's width plus 2, then each cell and its separator
    result = _result(y=("UInt8", [1]), x=("String", ["a\tb"]))
    assert _render("PrettyCompact", result, output_format_pretty_row_numbers="1") == (
        "   ┌─y─┬─x────────┐\n1. │ 1 │ a\tb     │\n   └───┴──────────┘\n")
    assert _render("PrettyCompact", _result(x=("String", ["a\tb"]))) == "┌─x────┐\n│ a\tb │\n└──────┘\n"


def test_vertical_pads_names_and_titles_totals() -> None:
    result = _result(k=("UInt8", [0, 1]), count=("UInt64", [3, 2]))
    result.totals = pa.RecordBatch.from_pydict({"k": [0], "count": [5]})
    assert _render("Vertical", result) == (
        "Row 1:\n──────\nk:     0\ncount: 3\n\nRow 2:\n──────\nk:     1\ncount: 2\n"
        "\n\nTotals:\n───────\nk:     0\ncount: 5\n")


def test_empty_result_and_null_format_print_nothing() -> None:
    assert _render("PrettyCompact", _result(x=("UInt8", []))) == ""
    assert _render("Null", _result(x=("UInt8", [1]))) == ""
