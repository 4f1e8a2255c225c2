"""A real ``helios serve``: the example third-party plugin, ports, signals, metrics, restarts."""

from __future__ import annotations

import signal
import socket
import urllib.request

import anyio
import pytest

from helios_core.kernel import StartupError, bind_listener
from helios_core.plugins import get_plugin_manager, protocol_servers, storage_tier_factories
from helios_core.testing import ServerStartError, launch


def _has_persistent_tier() -> bool:
    return "nvme" in storage_tier_factories(get_plugin_manager())


def test_example_plugin_function_through_line_protocol(helios_server, line_client):
    server = helios_server(only=["line"])
    client = line_client(server.port("line"))
    assert client.query("select example_reverse('helios')") == ([["soileh"]], "OK SELECT 1")
    assert client.query("select example_reverse(NULL)") == ([["\\N"]], "OK SELECT 1")
    rows, status = client.query("select no_such_function(1)")
    assert rows == [] and status.startswith("ERROR 42883 ")
    # the connection survives an error and keeps its session
    assert client.query("create table t (id int, name text)") == ([], "OK CREATE TABLE")
    assert client.query("insert into t values (1, 'ab'), (2, 'cd')") == ([], "OK INSERT 2")
    rows, status = client.query("select id, example_reverse(name) from t order by id")
    assert (rows, status) == ([["1", "ba"], ["2", "dc"]], "OK SELECT 2")


def test_plugin_config_section_reaches_the_protocol(helios_server, line_client):
    server = helios_server({"protocols": {"line": {"null_text": "NULL"}}}, only=["line"])
    client = line_client(server.port("line"))
    assert client.query("select example_reverse(NULL)") == ([["NULL"]], "OK SELECT 1")


def test_two_connections_have_their_own_sessions(helios_server, line_client):
    server = helios_server(only=["line"])
    a, b = line_client(server.port("line")), line_client(server.port("line"))
    assert a.query("begin")[1] == "OK BEGIN"
    assert a.query("create table only_a (x int)")[1] == "OK CREATE TABLE"
    _rows, status = b.query("select * from only_a")
    assert status.startswith("ERROR 42P01 ")  # a's transaction is not committed
    assert a.query("commit")[1] == "OK COMMIT"
    assert b.query("select count(*) from only_a") == ([["0"]], "OK SELECT 1")


def test_port_in_use_is_one_clear_error(helios_server):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ServerStartError) as info:
            helios_server({"protocols": {"line": {"port": port}}}, only=["line"])
    assert info.value.returncode == 2
    last = info.value.output.splitlines()[-1]
    assert last == f"helios: protocols.line.port: port {port} on 127.0.0.1 is already in use"
    assert "Traceback" not in info.value.output


def test_standard_port_in_use_falls_back_to_the_next_free_one():
    async def main() -> tuple[int, int]:
        first = await bind_listener("127.0.0.1", 0, 0, "protocols.x")
        taken = first.listeners[0].extra(anyio.abc.SocketAttribute.local_port)
        second = await bind_listener("127.0.0.1", None, taken, "protocols.x")
        got = second.listeners[0].extra(anyio.abc.SocketAttribute.local_port)
        with pytest.raises(
            StartupError, match=f"protocols.x.port: port {taken} on 127.0.0.1 is already in use"
        ):
            await bind_listener("127.0.0.1", taken, taken, "protocols.x")
        await first.aclose()
        await second.aclose()
        return taken, got

    taken, got = anyio.run(main)
    assert taken < got < taken + 100


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_with_idle_connection_exits_0_before_the_grace_period(helios_server, line_client, sig):
    # A 10-minute grace period: if an idle connection held shutdown, stop() would time out and kill.
    server = helios_server({"shutdown_grace_period": "10m"}, only=["line"])
    client = line_client(server.port("line"))
    assert client.query("select 1") == ([["1"]], "OK SELECT 1")
    assert server.stop(sig, timeout=60) == 0
    output = server.output()
    assert f"received {signal.Signals(sig).name}: shutting down" in output
    assert "engine checkpointed and closed" in output
    assert "shutdown complete exit_status=0" in output
    assert client.file.readline() == b""  # the idle connection was closed


def test_sigterm_lets_the_running_statement_finish(helios_server, line_client):
    server = helios_server({"shutdown_grace_period": "2m"}, only=["line"])
    client = line_client(server.port("line"))
    client.send("select example_sleep(3)")
    server.wait_for_log("executing select example_sleep(3)")
    server.process.send_signal(signal.SIGTERM)
    server.wait_for_log("stopped accepting protocol=line open_connections=1")
    with pytest.raises(ConnectionRefusedError):  # no new clients while the last statement runs
        socket.create_connection(("127.0.0.1", server.port("line")), timeout=5).close()
    # the statement completes and its answer reaches the client despite the shutdown
    assert client.read_reply() == ([["3.0"]], "OK SELECT 1")
    assert server.wait(timeout=60) == 0  # exits on its own once the connection is done
    assert "grace period over" not in server.output()


def test_every_log_line_has_timestamp_and_level(helios_server):
    server = helios_server(only=["line"])
    server.stop()
    lines = server.output().splitlines()
    assert lines
    for line in lines:
        ts, level, _ = line.split(" ", 2)
        assert ts.endswith("Z") and "T" in ts, line
        assert level in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}, line


def test_metrics_endpoint(helios_server, line_client):
    server = helios_server({"metrics": {"enabled": True, "port": 0}}, only=["line"])
    client = line_client(server.port("line"))
    client.query("select 1")
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port('metrics')}/metrics", timeout=30) as resp:
        body = resp.read().decode()
    assert 'helios_build_info{version="' in body
    assert 'helios_connections{protocol="line"} 1.0' in body
    assert "helios_sessions 1.0" in body


def test_embedded_defaults_without_config(tmp_path):
    """No config file: every installed protocol on 127.0.0.1, standard port or the next free one."""
    server = launch(["serve"], cwd=tmp_path)
    try:
        expected = {}
        for p in protocol_servers(get_plugin_manager()):
            expected[p.name] = p.default_port
            for key, port in p.extra_ports.items():  # further ports of a protocol (ClickHouse's HTTP)
                expected[f"{p.name}_{key.removesuffix('_port')}"] = port
        assert set(server.ports) == set(expected)
        assert server.host == "127.0.0.1"
        for name, port in server.ports.items():
            assert expected[name] <= port < expected[name] + 100
        if _has_persistent_tier():
            assert (tmp_path / "helios-data").is_dir()
    finally:
        assert server.stop() == 0


@pytest.mark.skipif(not _has_persistent_tier(), reason="needs the nvme storage tier (plugins/storage_nvme)")
def test_data_survives_a_graceful_restart(helios_server, line_client, tmp_path):
    data_dir = tmp_path / "data"
    first = helios_server(only=["line"], data_dir=data_dir)
    client = line_client(first.port("line"))
    assert client.query("create table kept (id int primary key, v text)")[1] == "OK CREATE TABLE"
    assert client.query("insert into kept values (1, 'one'), (2, 'two')")[1] == "OK INSERT 2"
    client.close()
    assert first.stop() == 0
    second = helios_server(only=["line"], data_dir=data_dir)
    client = line_client(second.port("line"))
    assert client.query("select id, v from kept order by id") == ([["1", "one"], ["2", "two"]], "OK SELECT 2")


@pytest.mark.skipif(not _has_persistent_tier(), reason="needs the nvme storage tier (plugins/storage_nvme)")
def test_second_server_on_the_same_data_dir_is_refused(helios_server, tmp_path):
    data_dir = tmp_path / "data"
    helios_server(only=["line"], data_dir=data_dir)
    with pytest.raises(ServerStartError) as info:
        helios_server(only=["line"], data_dir=data_dir)
    assert info.value.returncode == 2
    assert (
        info.value.output.splitlines()[-1]
        == f"helios: data_dir: {data_dir} is in use by another helios server"
    )


def test_lifecycle_hooks_and_background_jobs(helios_server):
    server = helios_server({"protocols": {"line": {"heartbeat_seconds": "50ms"}}}, only=["line"])
    server.wait_for_log("example heartbeat n=3")  # the job runs again and again
    assert server.stop() == 0
    lines = server.output().splitlines()

    def first(text: str) -> int:
        return next(i for i, line in enumerate(lines) if text in line)

    assert first("engine open") < first("example startup") < first("helios ready")
    assert first("received SIGTERM") < first("example shutdown") < first("engine checkpointed and closed")


def test_statement_outliving_the_grace_period_is_cut_off(helios_server, line_client):
    server = helios_server({"shutdown_grace_period": "200ms"}, only=["line"])
    client = line_client(server.port("line"))
    client.send("select example_sleep(6)")
    server.wait_for_log("executing select example_sleep(6)")
    server.process.send_signal(signal.SIGTERM)
    server.wait_for_log("grace period over: cancelling 1 sessions")
    # a Python function cannot be interrupted: the kernel waits for it, then closes the connection
    assert client.file.readline() == b""  # no answer: the connection was closed
    assert server.wait(timeout=60) == 0
    assert "shutdown complete exit_status=0" in server.output()


@pytest.mark.skipif(not _has_persistent_tier(), reason="needs the nvme storage tier (plugins/storage_nvme)")
def test_data_dir_option_overrides_the_config(helios_server, tmp_path):
    other = tmp_path / "elsewhere"
    server = helios_server(only=["line"], args=["--data-dir", str(other)])
    assert f"engine open data_dir={other} tier=nvme" in server.output()
    assert other.is_dir()
