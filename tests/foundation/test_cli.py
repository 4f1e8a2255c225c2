"""The ``helios`` command: version, init, plugins, hook tracing; and the plugin manager itself."""

from __future__ import annotations

import os
import tomllib

import helios_core
from helios_core.config import build_config
from helios_core.plugins import (
    get_plugin_manager,
    make_plugin_manager,
    plugin_infos,
    protocol_servers,
    sql_functions,
)


def test_version(tmp_path, run_helios):
    proc = run_helios("version", cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"helios {helios_core.__version__}"


def test_init_writes_a_valid_commented_config(tmp_path, run_helios):
    proc = run_helios("init", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "helios.toml").read_text()
    assert text.count("\n# ") > 10  # commented
    servers = {s.name: s for s in protocol_servers(get_plugin_manager())}
    config = build_config(tomllib.loads(text), servers)
    assert config.data_dir == "./helios-data"
    assert "[protocols.line]" in text
    # a second init does not overwrite
    again = run_helios("init", cwd=tmp_path)
    assert again.returncode == 2
    assert "already exists" in again.stderr


def test_plugins_lists_plugins_versions_and_hooks(tmp_path, run_helios):
    proc = run_helios("plugins", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[0]: line for line in proc.stdout.splitlines() if line.strip()}
    example = rows["example"]
    assert "helios-example-plugin" in example
    assert "0.1.0" in example
    assert "helios_protocol_servers" in example and "helios_sql_functions" in example
    builtin = rows["helios_core.metrics"]
    assert "(built-in)" in builtin and "helios_register_metrics" in builtin
    assert "line (port 7878)" in proc.stdout
    assert "example_reverse" in proc.stdout


def test_trace_hooks_logs_each_call(tmp_path, run_helios):
    env = dict(os.environ, HELIOS_TRACE_HOOKS="1")
    proc = run_helios("plugins", cwd=tmp_path, env=env)
    assert proc.returncode == 0
    assert "hook call helios_protocol_servers implementations=" in proc.stderr
    assert "hook result helios_protocol_servers results=" in proc.stderr


def test_disabled_plugin_is_not_loaded(tmp_path, run_helios):
    env = dict(os.environ, HELIOS_DISABLE_PLUGINS="example")
    proc = run_helios("plugins", cwd=tmp_path, env=env)
    assert proc.returncode == 0
    assert "helios-example-plugin" not in proc.stdout


def test_plugin_manager_registers_builtins_and_entry_points():
    pm = make_plugin_manager()
    infos = {info.name: info for info in plugin_infos(pm)}
    assert infos["helios_core.memory_tier"].builtin
    assert infos["example"].distribution == "helios-example-plugin"
    assert not infos["example"].builtin
    names = {f.name for f in sql_functions(pm)}
    assert {"example_reverse", "example_sleep"} <= names
    line = next(p for p in protocol_servers(pm) if p.name == "line")
    assert line.default_port == 7878


def test_plugin_manager_without_entry_points_has_only_builtins():
    pm = make_plugin_manager(load_entry_points=False)
    assert {info.name for info in plugin_infos(pm)} == {
        "helios_core.memory_tier", "helios_core.statement_runner", "helios_core.metrics",
        "helios_core.branching.plugin", "helios_core.timeseries.plugin", "helios_core.archiving.plugin",
        "helios_core.advisor.plugin",
    }
    assert protocol_servers(pm) == []
