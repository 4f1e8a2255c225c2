"""``[storage.wal_archiving]`` as the design's helios.toml writes it, and its errors by key path."""

from __future__ import annotations

import tomllib

import pytest

from helios_core.config import ConfigError, build_config

SEED = """
[storage]
compression = "zstd"
tier_hot_size = "500GB"
tier_warm_backend = "s3"

[storage.tiering]
inactive_threshold = "90d"
cold_storage_backend = "s3"

[storage.wal_archiving]
enabled = true
primary_backend = "s3"
secondary_backend = "gcs"
retention_days = 90
compression = "zstd"

[storage.s3]
region = "us-east-1"
bucket = "helios-archive"

[storage.gcs]
project = "helios-dr"
bucket = "helios-backup"
"""


def test_the_seed_storage_sections_load_as_written():
    config = build_config(tomllib.loads(SEED), {})
    wal = config.storage.wal_archiving
    assert (wal.enabled, wal.primary_backend, wal.secondary_backend, wal.retention_days, wal.compression) == (
        True, "s3", "gcs", 90, "zstd")
    assert wal.archive_timeout == 60.0 and wal.backends == ["s3", "gcs"]


@pytest.mark.parametrize(("section", "path", "needle"), [
    ({"enabled": True, "primary_backend": "s3", "secondary_backend": "s3"}, "storage.wal_archiving.secondary_backend",
     "must differ"),
    ({"primary_backend": "ftp"}, "storage.wal_archiving.primary_backend", "must be one of"),
    ({"archive_timeout": "soon"}, "storage.wal_archiving.archive_timeout", "duration"),
    ({"enabled": True, "primary_backend": "azure"}, "storage.wal_archiving.primary_backend", "[storage.azure]"),
    ({"retention": 3}, "storage.wal_archiving.retention", "unknown key"),
])
def test_errors_name_the_key(section, path, needle):
    raw = tomllib.loads(SEED)
    raw["storage"]["wal_archiving"] = section
    with pytest.raises(ConfigError) as info:
        build_config(raw, {})
    assert info.value.path == path and needle in info.value.message
