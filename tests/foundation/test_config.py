"""Configuration: TOML -> validated config; every error is one line naming the key path, exit 2."""

from __future__ import annotations

import pytest

import helios_core.config as config_module
from helios_core.config import (
    ConfigError,
    build_config,
    example_config,
    load_config,
    parse_duration,
)
from helios_core.plugin_hints import FIRST_PARTY_PLUGINS, FirstPartyPlugin, missing_plugin_hint
from helios_core.plugins import get_plugin_manager, protocol_servers


@pytest.fixture(scope="module")
def servers():
    return {s.name: s for s in protocol_servers(get_plugin_manager())}


def test_embedded_defaults(servers):
    config = load_config(None, servers)
    assert config.data_dir == "./helios-data"
    assert config.source is None
    assert config.shutdown_grace_period == 10.0
    assert config.storage.retention_seconds == 7 * 86400
    assert set(config.protocols) == set(servers)
    for proto in config.protocols.values():
        assert proto.enabled and proto.host == "127.0.0.1" and proto.port is None
    assert config.protocols["line"].options.null_text == "\\N"


def test_full_config_is_read(tmp_path, servers):
    path = tmp_path / "helios.toml"
    path.write_text(
        """
data_dir = "/srv/helios"
shutdown_grace_period = "1m30s"

[protocols.line]
port = 7000
max_connections = 7
null_text = "NULL"

[storage]
retention = "30d"
compression = "lz4"

[logging]
level = "debug"

[metrics]
enabled = true
port = 9999

[branching]
max_branches = 12
branch_isolation = "shared"

[auth]
method = "scram-sha-256"
[auth.users]
alice = "secret"
"""
    )
    config = load_config(path, servers)
    assert config.data_dir == "/srv/helios"
    assert config.shutdown_grace_period == 90.0
    line = config.protocols["line"]
    assert (line.port, line.max_connections, line.options.null_text) == (7000, 7, "NULL")
    assert config.storage.retention_seconds == 30 * 86400
    assert config.storage.compression == "lz4"
    assert config.logging.level == "debug"
    assert (config.metrics.enabled, config.metrics.port) == (True, 9999)
    assert (config.branching.max_branches, config.branching.branch_isolation) == (12, "shared")
    assert config.auth.users == {"alice": "secret"}
    assert config.auth.method == "scram-sha-256"
    assert config.source == str(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", 30.0),
        ("500ms", 0.5),
        ("15m", 900.0),
        ("1h30m", 5400.0),
        ("7d", 604800.0),
        ("2w", 1209600.0),
        ("12", 12.0),
        (3, 3.0),
    ],
)
def test_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "7 parsecs", "d7", "-3s", "1x"])
def test_bad_durations(text):
    with pytest.raises(ValueError):
        parse_duration(text)


BAD_CONFIGS = [
    ({"bogus": 1}, "bogus", "unknown key"),
    ({"storage": {"compresion": "zstd"}}, "storage.compresion", "did you mean 'compression'"),
    ({"data_dir": 3}, "data_dir", "expected a string, got integer 3"),
    ({"data_dir": ""}, "data_dir", "must not be empty"),
    ({"metrics": {"port": "abc"}}, "metrics.port", "expected an integer"),
    ({"metrics": {"port": 70000}}, "metrics.port", "between 0 and 65535"),
    ({"metrics": {"enabled": "yes"}}, "metrics.enabled", "expected a boolean"),
    ({"protocols": {"line": {"port": -1}}}, "protocols.line.port", "between 0 and 65535"),
    (
        {"protocols": {"line": {"max_connections": -5}}},
        "protocols.line.max_connections",
        "must be between 1 and 1000000, got -5",
    ),
    (
        {"protocols": {"line": {"max_connections": 1.5}}},
        "protocols.line.max_connections",
        "expected an integer",
    ),
    ({"protocols": {"line": {"null_text": 5}}}, "protocols.line.null_text", "expected a string"),
    ({"protocols": {"line": {"colour": "red"}}}, "protocols.line.colour", "unknown key"),
    ({"protocols": {"line": "on"}}, "protocols.line", "expected a table"),
    ({"protocols": {"telnet": {}}}, "protocols.telnet", "no installed plugin provides protocol 'telnet'"),
    ({"storage": {"retention": "7 parsecs"}}, "storage.retention", "expected a duration"),
    ({"storage": {"compression": "brotli"}}, "storage.compression", "must be one of"),
    ({"storage": {"tier": "tape"}}, "storage.tier", "no installed storage tier 'tape'"),
    ({"logging": {"level": "loud"}}, "logging.level", "must be one of"),
    ({"branching": {"max_branches": 0}}, "branching.max_branches", "must be between 1 and"),
    ({"branching": {"branch_isolation": "loose"}}, "branching.branch_isolation", "must be one of"),
    ({"auth": {"users": {"alice": 1}}}, "auth.users.alice", "expected a string"),
    ({"auth": {"users": "alice"}}, "auth.users", "expected a table"),
    ({"shutdown_grace_period": True}, "shutdown_grace_period", "expected a duration"),
    # the example plugin's own cross-section rule (ProtocolServer.check_config)
    (
        {"protocols": {"line": {"host": "0.0.0.0"}}},
        "protocols.line.host",
        "beyond loopback but [auth] has no users",
    ),
    (
        {"protocols": {"line": {"port": 7000}}, "metrics": {"enabled": True, "port": 7000}},
        "metrics.port",
        "already used by protocols.line.port",
    ),
]


@pytest.mark.parametrize(("raw", "path", "message"), BAD_CONFIGS, ids=[c[1] for c in BAD_CONFIGS])
def test_bad_values_name_the_key_path(raw, path, message, servers):
    with pytest.raises(ConfigError) as info:
        build_config(raw, servers, tiers={"memory"})
    assert info.value.path == path
    assert message in str(info.value)
    assert "\n" not in str(info.value)


MISSING_PLUGINS = [
    # released plugins: the hint says how to install them from a checkout
    ({"protocols": {"mongodb": {"port": 27017}}}, "protocols.mongodb", "pip install ./plugins/protocol_mongo"),
    ({"protocols": {"clickhouse": {}}}, "protocols.clickhouse", "pip install ./plugins/protocol_clickhouse"),
    ({"storage": {"tiers": {"cold": {"bucket": "b"}}}}, "storage.tiers", "pip install ./plugins/storage_object"),
    (
        {"storage": {"wal_archiving": {"enabled": True}}},
        "storage.wal_archiving",
        "pip install ./plugins/storage_object",
    ),
    ({"storage": {"azure": {"account": "a", "container": "c"}}}, "storage.azure", "pip install ./plugins/storage_object"),
    ({"search": {"analyzer": "english"}}, "search", "pip install ./plugins/search"),
]


@pytest.mark.parametrize(("raw", "path", "package"), MISSING_PLUGINS, ids=[c[1] for c in MISSING_PLUGINS])
def test_section_of_missing_plugin_names_the_package(raw, path, package, servers, monkeypatch):
    # the protocol's server left out: the config is read as where that plugin is not installed
    loaded = {name: server for name, server in servers.items() if f"protocols.{name}" != path}
    installed = config_module._package_installed
    monkeypatch.setattr(config_module, "_package_installed", lambda p: p not in ("helios-storage-object", "helios-search") and installed(p))
    with pytest.raises(ConfigError) as info:
        build_config(raw, loaded)
    assert info.value.path == path
    assert package in str(info.value)


def test_a_switched_off_section_of_a_missing_protocol_plugin_is_accepted(servers):
    loaded = {name: server for name, server in servers.items() if name != "mongodb"}
    config = build_config({"protocols": {"mongodb": {"enabled": False, "port": 27017}}}, loaded)
    assert "mongodb" not in config.protocols
    with pytest.raises(ConfigError) as info:  # switched on, it still says what to install
        build_config({"protocols": {"mongodb": {"enabled": True}}}, loaded)
    assert "pip install ./plugins/protocol_mongo" in str(info.value)


def test_plugin_cross_section_rule_passes_when_satisfied(servers):
    config = build_config(
        {"protocols": {"line": {"host": "0.0.0.0"}}, "auth": {"users": {"a": "b"}}}, servers
    )
    assert config.protocols["line"].host == "0.0.0.0"
    # a disabled protocol's rules do not apply
    build_config({"protocols": {"line": {"host": "0.0.0.0", "enabled": False}}}, servers)


def test_invalid_toml_is_one_error(tmp_path, servers):
    path = tmp_path / "helios.toml"
    path.write_text("[storage\nretention = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path, servers)


def test_example_config_is_valid(servers):
    text = example_config(servers)
    config = build_config(__import__("tomllib").loads(text), servers)
    assert set(config.protocols) == set(servers)


# -- through the real command: exit status 2 and exactly one line on stderr ----------------


CLI_CASES = [
    ("bogus = 1\n", "bogus: unknown key"),
    ("[protocols.line]\nport = 99999\n", "protocols.line.port: must be between 0 and 65535, got 99999"),
    (
        "[protocols.line]\nmax_connections = -1\n",
        "protocols.line.max_connections: must be between 1 and 1000000, got -1",
    ),
    ('[protocols.line]\nport = "five"\n', "protocols.line.port: expected an integer"),
    ('[storage]\nretention = "forever"\n', "storage.retention: expected a duration"),
    ("[search]\nbogus = 1\n", "search.bogus: unknown key"),
    ("[search]\nmax_result_window = \"many\"\n", "search.max_result_window: expected int"),
    ("[storage\n", "not valid TOML"),
    ('[protocols.line]\nhost = "0.0.0.0"\n', "protocols.line.host: '0.0.0.0' is beyond loopback"),
]


@pytest.mark.parametrize(("toml", "expected"), CLI_CASES, ids=[c[1].split(":")[0] for c in CLI_CASES])
def test_bad_config_is_one_error_naming_the_key(toml, expected, tmp_path, servers):
    path = tmp_path / "helios.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as info:
        load_config(path, servers)
    assert expected in str(info.value)
    assert "\n" not in str(info.value)


# the command itself for a few of them (each run starts a process): the same error, one line, exit 2
CLI_RUNS = [CLI_CASES[0], CLI_CASES[1], CLI_CASES[5], CLI_CASES[7]]


@pytest.mark.parametrize(("toml", "expected"), CLI_RUNS, ids=[c[1].split(":")[0] for c in CLI_RUNS])
def test_serve_with_bad_config_exits_2_with_one_line(toml, expected, tmp_path, run_helios):
    config = tmp_path / "helios.toml"
    config.write_text(toml)
    proc = run_helios("serve", "--config", str(config), cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"helios: config error in {config}: ")
    assert expected in lines[0]
    assert proc.stdout == ""
    assert not (tmp_path / "helios-data").exists()


def test_planned_plugin_hint_says_it_is_not_released(monkeypatch):
    # every first-party plugin of the design is released now; the hint for one that is not stays
    planned = FirstPartyPlugin("helios-tape", "tape", False, "tape archiving")
    monkeypatch.setitem(FIRST_PARTY_PLUGINS, planned.package, planned)
    assert missing_plugin_hint("helios-tape") == (
        "plugin not installed; helios-tape (tape archiving) is not part of this HeliosDB release yet, "
        "so this section cannot be used"
    )


def test_serve_missing_config_file(tmp_path, run_helios):
    proc = run_helios("serve", "--config", str(tmp_path / "nope.toml"), cwd=tmp_path)
    assert proc.returncode == 2
    assert len(proc.stderr.splitlines()) == 1
    assert "config file not found" in proc.stderr


# -- object-store sections (helios-storage-object) ------------------------------------------

SEED_STORAGE_TOML = """
[storage]
compression = "zstd"
tier_hot_size = "500GB"
tier_warm_backend = "s3"
cache_size = "2GB"
object_timeout = "30s"

[storage.tiering]
inactive_threshold = "90d"
cold_storage_backend = "s3"

[storage.s3]
region = "us-east-1"
bucket = "helios-archive"

[storage.gcs]
project = "helios-dr"
bucket = "helios-backup"

[storage.azure]
account = "devstoreaccount1"
container = "helios"
endpoint = "http://127.0.0.1:10000/devstoreaccount1"
"""


def test_seed_storage_sections_load_as_written(servers):
    pytest.importorskip("helios_storage_object", reason="helios-storage-object not installed")
    config = build_config(__import__("tomllib").loads(SEED_STORAGE_TOML), servers)
    storage = config.storage
    assert storage.tier_hot_size == 500 << 30 and storage.cache_size == 2 << 30
    assert storage.tier_warm_backend == "s3" and storage.object_timeout == 30.0
    assert storage.tiering.inactive_threshold == 90 * 86400.0
    assert storage.tiering.cold_storage_backend == "s3"
    assert (storage.s3.bucket, storage.s3.region, storage.s3.prefix) == ("helios-archive", "us-east-1", "")
    assert (storage.gcs.project, storage.gcs.bucket) == ("helios-dr", "helios-backup")
    assert storage.backend_section("azure").endpoint == "http://127.0.0.1:10000/devstoreaccount1"


OBJECT_SECTION_ERRORS = [
    ({"storage": {"tier_hot_size": "lots"}}, "storage.tier_hot_size", 'expected a size such as "500GB"'),
    ({"storage": {"tier_warm_backend": "ftp"}}, "storage.tier_warm_backend", "must be one of 's3', 'gcs'"),
    ({"storage": {"tier_warm_backend": "s3"}}, "storage.tier_warm_backend", "no [storage.s3] section"),
    (
        {"storage": {"tiering": {"cold_storage_backend": "gcs"}}},
        "storage.tiering.cold_storage_backend",
        "no [storage.gcs] section",
    ),
    ({"storage": {"s3": {"region": "eu-west-1"}}}, "storage.s3.bucket", "must not be empty"),
    ({"storage": {"azure": {"account": "a", "containr": "c"}}}, "storage.azure.containr", "did you mean 'container'"),
    ({"storage": {"tiering": {"inactive_threshold": "soon"}}}, "storage.tiering.inactive_threshold", "duration"),
]


@pytest.mark.parametrize(("raw", "path", "message"), OBJECT_SECTION_ERRORS, ids=[c[1] for c in OBJECT_SECTION_ERRORS])
def test_object_sections_errors_name_the_key(raw, path, message, servers):
    pytest.importorskip("helios_storage_object", reason="helios-storage-object not installed")
    with pytest.raises(ConfigError) as info:
        build_config(raw, servers)
    assert info.value.path == path
    assert message in str(info.value)


def test_sizes_parse_with_binary_units():
    assert [config_module.parse_size(v) for v in ("1", "1KB", "64MB", "1.5GB", "2TiB", 10)] == [
        1, 1024, 64 << 20, 3 << 29, 2 << 40, 10
    ]
