"""The stateless runner reads a statement's expected error where ClickHouse's client does: in a
comment after its ``;`` or, for the last statement of a file, after the statement itself."""

from __future__ import annotations

from helios_protocol_clickhouse.stateless import statements_of


def test_error_hints_after_the_semicolon_and_inside_the_last_statement() -> None:
    script = "SELECT 1;\nSELECT x; -- { serverError 47 }\nSELECT ceil(1, -54212) --{serverError ARGUMENT_OUT_OF_BOUND}\n"
    assert statements_of(script) == [("SELECT 1", None), ("SELECT x", "47"),
                                     ("SELECT ceil(1, -54212) --{serverError ARGUMENT_OUT_OF_BOUND}",
                                      "ARGUMENT_OUT_OF_BOUND")]


def _wider_set_tool():
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parents[3] / "tools" / "clickhouse_wider_set.py"
    spec = importlib.util.spec_from_file_location("clickhouse_wider_set", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def test_wider_set_selection_and_references(tmp_path) -> None:
    """tools/clickhouse_wider_set.py keeps the numbered files a lone server can run, and makes each
    one's reference through chdb as the runner sends the statements; a file chdb fails is dropped."""
    import pytest

    pytest.importorskip("chdb.session", reason="chdb (ClickHouse's engine in-process) is not installed")
    tool = _wider_set_tool()
    source, out = tmp_path / "src", tmp_path / "out"
    source.mkdir()
    files = {
        "00001_select_1.sql": "SELECT 1;\nSELECT x; -- { serverError UNKNOWN_IDENTIFIER }\nSELECT 'a' || 'b'\n",
        "00002_count_hits.sql": "SELECT count() FROM test.hits;\n",
        "00003_shard_remote.sql": "SELECT 1;\n",
        "00004_tables.sql": "SELECT count() > 0 FROM system.tables;\n",
        "00005_numbers.sql": "SELECT number FROM system.numbers LIMIT 2;\n",
        "00006_fails_in_chdb.sql": "SELECT no_such_column;\n",
        "00400_past_the_range.sql": "SELECT 1;\n",
        "00005_numbers.sql.expected.formatted.sql": "SELECT 1;\n",
    }
    for name, text in files.items():
        (source / name).write_text(text)
    assert tool.main([str(source), str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["00001_select_1.reference", "00001_select_1.sql",
                                                     "00005_numbers.reference", "00005_numbers.sql"]
    assert (out / "00001_select_1.reference").read_bytes() == b"1\nab\n"
    assert (out / "00005_numbers.reference").read_bytes() == b"0\n1\n"
