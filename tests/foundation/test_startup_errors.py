"""Start-up mistakes an operator makes in the first hour: each one line on stderr, exit status 2.

A non-loopback listener without [auth] is refused before any socket is bound; a data_dir
that is a file, read-only, full or under a parent that cannot be created is named; a
first-party plugin that is missing says how to get it (they are not on PyPI) and one that
is installed but switched off with HELIOS_DISABLE_PLUGINS says so; a data_dir set with no
persistent storage tier to keep it is refused rather than served from memory.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from helios_core import config as config_module
from helios_core.config import ConfigError, build_config
from helios_core.plugin_hints import FIRST_PARTY_PLUGINS
from helios_core.testing import ServerStartError, launch, toml_dumps

REPO = Path(__file__).resolve().parents[2]


def _serve(run_helios, tmp_path: Path, config: dict, env: dict[str, str] | None = None):
    path = tmp_path / "helios.toml"
    path.write_text(toml_dumps(config))
    full_env = {**os.environ, **(env or {})}
    return run_helios("serve", "--config", str(path), cwd=tmp_path, env=full_env)


def _one_line(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    return proc.stderr.splitlines()[-1]


# -- listening beyond loopback -------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10"])
def test_non_loopback_host_without_auth_is_refused_before_binding(host, tmp_path, run_helios):
    with socket.socket() as probe:  # a port we know was free: it must still be bindable after
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = {"data_dir": str(tmp_path / "data"), "protocols": {"postgres": {"host": host, "port": port}}}
    proc = _serve(run_helios, tmp_path, config)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr  # refused while reading the config: nothing was logged, nothing bound
    assert lines[0].startswith(
        f"helios: config error in {tmp_path / 'helios.toml'}: protocols.postgres.host: "
    )
    assert f"{host!r} listens beyond loopback but no [auth] section" in lines[0]
    assert "[auth.users]" in lines[0]
    assert not (tmp_path / "data").exists()
    with socket.socket() as again:
        again.bind(("127.0.0.1", port))


def test_non_loopback_host_with_auth_users_starts(helios_server):
    server = helios_server(
        {"protocols": {"postgres": {"host": "0.0.0.0"}}, "auth": {"users": {"helios": "s3cret"}}},
        only=["postgres"],
    )
    port = server.port("postgres")
    dsn = f"host=127.0.0.1 port={port} user=helios password=s3cret dbname=helios"
    with psycopg.connect(dsn) as conn:
        assert conn.execute("select 1").fetchone() == (1,)


def test_localhost_without_auth_is_accepted():
    config = build_config({"protocols": {"postgres": {"host": "localhost"}}}, _servers())
    assert config.protocols["postgres"].host == "localhost"


# -- data_dir ------------------------------------------------------------------------------


def _start_error(helios_server, data_dir: Path) -> str:
    with pytest.raises(ServerStartError) as info:
        helios_server({"data_dir": str(data_dir)}, only=["postgres"], data_dir=str(data_dir))
    assert info.value.returncode == 2, info.value.output
    assert "Traceback" not in info.value.output
    assert "listening protocol=" not in info.value.output  # found before any port was bound
    return info.value.output.splitlines()[-1]


def test_data_dir_that_is_a_file(helios_server, tmp_path):
    target = tmp_path / "not-a-dir"
    target.write_text("x")
    assert _start_error(helios_server, target) == f"helios: data_dir: {target} exists and is not a directory"


def test_data_dir_under_a_file(helios_server, tmp_path):
    parent = tmp_path / "plain-file"
    parent.write_text("x")
    line = _start_error(helios_server, parent / "data")
    assert line == f"helios: data_dir: cannot use {parent / 'data'}: Not a directory"


def test_data_dir_whose_parent_cannot_be_created(helios_server):
    line = _start_error(helios_server, Path("/proc/helios-no-such-dir/data"))
    assert line.startswith("helios: data_dir: cannot use /proc/helios-no-such-dir/data")
    assert "No such file or directory" in line


@contextlib.contextmanager
def _tmpfs(where: Path, options: str) -> Iterator[Path]:
    where.mkdir()
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], check=False, capture_output=True
    )
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.decode().strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@contextlib.contextmanager
def _unwritable_dir(tmp_path: Path) -> Iterator[Path]:
    """A directory this process cannot write: mode 0555, or (as root, who ignores modes) a read-only mount."""
    if os.geteuid() != 0:
        target = tmp_path / "readonly"
        target.mkdir()
        target.chmod(0o555)
        try:
            yield target
        finally:
            target.chmod(0o755)
    else:
        with _tmpfs(tmp_path / "readonly", "ro,size=64k") as target:
            yield target


def test_unwritable_data_dir(helios_server, tmp_path):
    with _unwritable_dir(tmp_path) as target:
        line = _start_error(helios_server, target)
    assert line.startswith(f"helios: data_dir: {target} ")
    assert "is not writable" in line


def test_data_dir_to_create_inside_an_unwritable_dir(helios_server, tmp_path):
    with _unwritable_dir(tmp_path) as parent:
        line = _start_error(helios_server, parent / "data")
    assert line.startswith(f"helios: data_dir: {parent / 'data'} is not writable: ")


def test_data_dir_on_a_full_disk(helios_server, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("filling a private tmpfs needs root")
    with _tmpfs(tmp_path / "full", "size=16k") as disk:
        fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
        with contextlib.suppress(OSError):
            while True:
                os.write(fd, b"\0" * 4096)
        os.close(fd)
        line = _start_error(helios_server, disk / "data")
    assert line.startswith(f"helios: data_dir: {disk / 'data'}")
    assert "No space left on device" in line


# -- plugins that are missing or switched off ----------------------------------------------


def _servers() -> dict:
    from helios_core.plugins import make_plugin_manager, protocol_servers

    return {s.name: s for s in protocol_servers(make_plugin_manager())}


def test_first_party_plugin_table_matches_this_repository():
    for plugin in FIRST_PARTY_PLUGINS.values():
        folder = REPO / "plugins" / plugin.directory
        assert (folder / "pyproject.toml").exists() == plugin.in_this_release, plugin
        if plugin.in_this_release:
            assert f'name = "{plugin.package}"' in (folder / "pyproject.toml").read_text()


def test_missing_postgres_plugin_says_how_to_install_it_from_a_checkout():
    servers = {name: s for name, s in _servers().items() if name != "postgres"}  # as without the plugin
    with pytest.raises(ConfigError) as info:
        build_config({"protocols": {"postgres": {}}}, servers)
    assert str(info.value) == (
        "protocols.postgres: plugin not installed; install helios-protocol-pg from a HeliosDB checkout: "
        "pip install ./plugins/protocol_pg"
    )


def test_search_section_without_the_plugin_says_how_to_install_it(monkeypatch):
    installed = config_module._package_installed
    monkeypatch.setattr(config_module, "_package_installed", lambda p: p != "helios-search" and installed(p))
    with pytest.raises(ConfigError) as info:
        build_config({"search": {}}, _servers())
    assert info.value.path == "search"
    assert info.value.message == (
        "plugin not installed; install helios-search from a HeliosDB checkout: pip install ./plugins/search"
    )


def test_disabled_postgres_plugin_is_reported_as_disabled(tmp_path, run_helios):
    proc = _serve(
        run_helios,
        tmp_path,
        {"protocols": {"postgres": {"port": 0}}},
        env={"HELIOS_DISABLE_PLUGINS": "protocol_pg"},
    )
    line = _one_line(proc)
    assert line.endswith(
        "protocols.postgres: plugin helios-protocol-pg is installed but disabled by HELIOS_DISABLE_PLUGINS "
        "(protocol_pg); remove protocol_pg from HELIOS_DISABLE_PLUGINS to use it"
    )


def test_disabled_storage_tier_is_reported_as_disabled(tmp_path, run_helios):
    proc = _serve(
        run_helios, tmp_path, {"storage": {"tier": "nvme"}}, env={"HELIOS_DISABLE_PLUGINS": "storage_nvme"}
    )
    line = _one_line(proc)
    assert "storage.tier: no installed storage tier 'nvme'" in line
    assert "helios-storage-nvme is installed but disabled by HELIOS_DISABLE_PLUGINS (storage_nvme)" in line


NO_NVME = {"HELIOS_DISABLE_PLUGINS": "storage_nvme"}  # as an install without plugins/storage_nvme


@pytest.mark.parametrize("where", ["config", "option"])
def test_data_dir_without_a_persistent_tier_is_refused(tmp_path, run_helios, where):
    """An operator who sets data_dir expects the data kept there: with no persistent tier to keep
    it, the server refuses to start (the data would be in memory and gone at exit)."""
    data_dir = tmp_path / "data"
    if where == "config":
        proc = _serve(run_helios, tmp_path, {"data_dir": str(data_dir), "protocols": {"postgres": {"port": 0}}},
                      env=NO_NVME)
    else:
        (tmp_path / "helios.toml").write_text(toml_dumps({"protocols": {"postgres": {"port": 0}}}))
        proc = run_helios("serve", "--config", str(tmp_path / "helios.toml"), "--data-dir", str(data_dir),
                          cwd=tmp_path, env={**os.environ, **NO_NVME})
    line = _one_line(proc)
    assert f"data_dir {str(data_dir)!r} is set, but no persistent storage tier is installed" in line
    assert "helios-storage-nvme is installed but disabled by HELIOS_DISABLE_PLUGINS (storage_nvme)" in line
    assert 'set [storage] tier = "memory"' in line
    assert "listening" not in proc.stderr  # refused before any port was bound


@pytest.mark.parametrize("config", [{"data_dir": "given", "storage": {"tier": "memory"}}, None],
                         ids=["memory-on-purpose", "embedded-defaults"])
def test_memory_on_purpose_or_by_default_still_starts(tmp_path, config):
    """``[storage] tier = "memory"`` asks for memory; with no config at all (embedded defaults)
    the server starts in memory with a warning, as before."""
    argv = ["serve"]
    if config is not None:
        config = {**config, "data_dir": str(tmp_path / "data"), "protocols": {"postgres": {"port": 0}}}
        (tmp_path / "helios.toml").write_text(toml_dumps(config))
        argv += ["--config", str(tmp_path / "helios.toml")]
    server = launch(argv, cwd=tmp_path, env=NO_NVME)
    try:
        assert "no persistent storage tier" in server.output() and "data is kept in memory" in server.output()
    finally:
        assert server.stop() == 0


def test_unknown_protocol_section_names_what_is_served(tmp_path, run_helios):
    proc = _serve(run_helios, tmp_path, {"protocols": {"nosuch": {}}})
    line = _one_line(proc)
    assert "protocols.nosuch: no installed plugin provides protocol 'nosuch' (protocols served: " in line
    assert "postgres" in line


def test_timeseries_tiers_name_the_kernel_tier_they_need():
    with pytest.raises(ConfigError) as info:
        build_config({"timeseries": {"tiers": {"cold": {"duration": "90d", "storage": "s3"}}}}, _servers())
    assert str(info.value) == (
        "timeseries.tiers.cold.storage: 's3' is not the backend of the cold tier "
        "(storage.tiering.cold_storage_backend = None)"
    )


def test_misspelt_protocol_gets_a_suggestion():
    with pytest.raises(ConfigError) as info:
        build_config({"protocols": {"mongo": {}}}, _servers())
    assert "protocols.mongo: no installed plugin provides protocol 'mongo' (did you mean 'mongodb'?)" in str(
        info.value
    )
