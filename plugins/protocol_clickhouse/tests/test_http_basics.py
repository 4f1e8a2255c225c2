"""The HTTP interface with plain urllib: ping, a query, errors with ClickHouse's codes."""

from __future__ import annotations

import pytest

from helios_core.testing import ServerStartError, start_server


def test_ping_answers_ok(http):
    reply = http.request(path="/ping")
    assert (reply.status, reply.body) == (200, b"Ok.\n")


def test_select_one_is_tab_separated(http):
    reply = http.request("SELECT 1")
    assert reply.status == 200
    assert reply.body == b"1\n"
    assert reply.headers["x-clickhouse-format"] == "TabSeparated"
    assert reply.headers["x-clickhouse-query-id"]


def test_query_in_the_body(http):
    reply = http.request(body="SELECT number FROM system.numbers LIMIT 3")
    assert reply.body == b"0\n1\n2\n"


def test_unknown_table_is_code_60(http):
    reply = http.request("SELECT * FROM no_such_table")
    assert reply.status == 404
    assert reply.headers["x-clickhouse-exception-code"] == "60"
    assert reply.text.startswith("Code: 60. DB::Exception: ")
    assert "(UNKNOWN_TABLE)" in reply.text


def test_syntax_error_is_code_62(http):
    reply = http.request("SELECT FROM WHERE (")
    assert reply.status == 400
    assert reply.headers["x-clickhouse-exception-code"] == "62"


def test_http_port_in_use_names_the_key(tmp_path, http):
    with pytest.raises(ServerStartError) as info:
        start_server(tmp_path, {"protocols": {"clickhouse": {"http_port": http.port}}}, only=["clickhouse"],
                     timeout=30)
    assert info.value.returncode == 2
    assert f"protocols.clickhouse.http_port: port {http.port} on 127.0.0.1 is already in use" in info.value.output
