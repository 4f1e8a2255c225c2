"""Round trips through every object backend against a real server of its API."""

from __future__ import annotations

import os
import time
import uuid

import pytest
from helios_storage_object.archive import ObjectArchiver
from helios_storage_object.backends import open_backend
from helios_storage_object.testing import GcsEmulator
from helios_storage_object.tier import ObjectTier

from helios_core.config import ConfigError
from helios_core.plugins import get_plugin_manager, storage_tier_factories
from helios_core.storage.tiering import TierSet, TierUnavailable

KINDS = ["s3", "gcs", "azure", "local"]


@pytest.mark.parametrize("backend_section", KINDS, indirect=True)
def test_round_trip(object_backend):
    data = bytes(range(256)) * 40
    object_backend.put("b1/d1/000001.arrow", data)
    object_backend.put("b1/d1/000002.arrow", b"second")
    object_backend.put("b2/d9/000003.arrow", b"other branch")
    assert object_backend.get("b1/d1/000001.arrow") == data
    assert object_backend.get_range("b1/d1/000001.arrow", 1000, 1010) == data[1000:1010]
    assert object_backend.get_ranges("b1/d1/000001.arrow", [(0, 4), (9000, 10240)]) == [data[:4], data[9000:]]
    assert object_backend.size("b1/d1/000001.arrow") == len(data)
    assert object_backend.list("b1/") == ["b1/d1/000001.arrow", "b1/d1/000002.arrow"]
    assert len(object_backend.list()) == 3
    object_backend.delete("b1/d1/000002.arrow")
    object_backend.delete("b1/d1/000002.arrow")  # deleting what is gone is not an error
    assert object_backend.list("b1/") == ["b1/d1/000001.arrow"]
    with pytest.raises(FileNotFoundError):
        object_backend.get("b1/d1/000002.arrow")
    with pytest.raises(FileNotFoundError):
        object_backend.get_range("b1/d1/000002.arrow", 0, 2)
    with pytest.raises(FileNotFoundError):
        object_backend.size("b1/d1/000002.arrow")
    assert object_backend.requests["get_range"] == 3


@pytest.mark.parametrize("backend_section", ["s3", "gcs", "azure"], indirect=True)
def test_prefixes_keep_backends_apart(backend_section, tmp_path):
    kind, section = backend_section
    one = open_backend(kind, section, timeout=5.0)
    other = open_backend(kind, {**section, "prefix": section["prefix"] + "-other"}, timeout=5.0)
    one.put("x", b"1")
    one.put("b10/y", b"2")
    assert other.list() == []
    assert one.list() == ["b10/y", "x"]
    assert one.list("b1") == []  # a prefix is a folder, as obstore lists: b1 does not hold b10/y


def test_s3_credentials_from_the_environment(moto_server, monkeypatch):
    section = {k: v for k, v in moto_server.section("env-creds").items() if "key" not in k}
    for name, value in moto_server.env().items():
        monkeypatch.setenv(name, value)
    backend = open_backend("s3", section, timeout=5.0)
    backend.put("k", b"v")
    assert backend.get("k") == b"v"


def test_gcs_emulator_from_the_environment(gcs_emulator, monkeypatch):
    """STORAGE_EMULATOR_HOST (what Google's SDKs read) stands in for ``endpoint``, host:port or URL."""
    section = {k: v for k, v in gcs_emulator.section("env-host").items() if k != "endpoint"}
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator.endpoint.removeprefix("http://"))
    backend = open_backend("gcs", section, timeout=5.0)
    backend.put("k", b"v")
    assert backend.get("k") == b"v"
    assert backend.url == "gs://helios-test/env-host"


def test_gcs_large_object_takes_a_resumable_upload(gcs_emulator):
    """Past 8 MB the client uploads in a resumable session; the object comes back whole."""
    backend = open_backend("gcs", gcs_emulator.section(f"big-{uuid.uuid4().hex[:8]}"), timeout=20.0)
    data = os.urandom(1 << 16) * 144  # 9 MB
    backend.put("seg.arrow", data)
    assert backend.size("seg.arrow") == len(data)
    assert backend.get_range("seg.arrow", len(data) - 100, len(data)) == data[-100:]
    assert backend.get("seg.arrow") == data


def test_gcs_down_fails_within_the_timeout_and_recovers(tmp_path):
    """A frozen server: each call fails after about ``timeout`` (retries included), not as a missing
    object; a segment read becomes the tiers' 58030 naming tier and object, an archive write the
    archivers' OSError; when the server is back, calls succeed."""
    with GcsEmulator(str(tmp_path / "gcs")) as server:
        backend = open_backend("gcs", server.section("down"), timeout=1.0)
        tiers = TierSet(None, {"warm": ObjectTier(backend, prefix="")}, timeout=1.0)
        archiver = ObjectArchiver(backend)
        backend.put("a", b"12345")
        server.pause()
        try:
            started = time.monotonic()
            with pytest.raises(TierUnavailable) as info:
                tiers.guard("warm", "a", lambda: tiers.read_range("warm", "a", 0, 2))
            assert time.monotonic() - started < 4
            assert info.value.sqlstate == "58030" and "segment 'a' from the warm tier" in info.value.message
            started = time.monotonic()
            with pytest.raises(Exception) as listing:
                backend.list()
            assert not isinstance(listing.value, FileNotFoundError) and time.monotonic() - started < 4
            with pytest.raises(OSError, match="cannot store wal/1"):
                archiver.archive("wal/1", b"frames")
        finally:
            server.resume()
        assert backend.get_range("a", 1, 3) == b"23"
        archiver.archive("wal/1", b"frames")
        assert archiver.fetch("wal/1") == b"frames"


def test_azure_key_from_the_environment(azurite, monkeypatch):
    section = {k: v for k, v in azurite.section("env-creds").items() if k != "account_key"}
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT_KEY", azurite.env()["AZURE_STORAGE_ACCOUNT_KEY"])
    backend = open_backend("azure", section, timeout=5.0)
    backend.put("k", b"v")
    assert backend.get("k") == b"v"


def test_wrong_azure_key_fails_the_check(azurite):
    section = {**azurite.section("bad"), "account_key": "AAAA" + azurite.section()["account_key"][4:]}
    backend = open_backend("azure", section, timeout=2.0)
    with pytest.raises(Exception, match="(?i)auth|403"):
        backend.check()


def test_missing_bucket_fails_the_check(moto_server):
    backend = open_backend("s3", {**moto_server.section(), "bucket": "no-such-bucket"}, timeout=2.0)
    with pytest.raises(Exception, match="(?i)bucket"):
        backend.check()


def test_missing_gcs_bucket_fails_the_check(gcs_emulator):
    backend = open_backend("gcs", {**gcs_emulator.section(), "bucket": "nosuchbucket"}, timeout=2.0)
    with pytest.raises(FileNotFoundError, match="GCS bucket 'nosuchbucket' does not exist"):
        backend.check()


def test_section_tables_are_checked_like_the_config_file():
    with pytest.raises(ConfigError, match=r"storage\.s3\.bucket: must not be empty"):
        open_backend("s3", {"region": "us-east-1"})
    with pytest.raises(ConfigError, match=r"storage\.azure\.acount: unknown key \(did you mean 'account'\?\)"):
        open_backend("azure", {"acount": "a", "container": "c"})


def test_the_plugin_registers_one_tier_per_backend():
    factories = storage_tier_factories(get_plugin_manager())
    assert {"s3", "gcs", "azure", "local"} <= set(factories)
    assert factories["s3"].package == "helios-storage-object"


def test_local_tier_through_the_hook(tmp_path):
    tier = storage_tier_factories(get_plugin_manager())["local"].create(str(tmp_path), {"path": "cold"})
    tier.put("b/000001.arrow", b"segment bytes")
    assert bytes(tier.open("b/000001.arrow")) == b"segment bytes"
    assert tier.size("b/000001.arrow") == 13
    assert list(tier.list("b/")) == ["b/000001.arrow"]
    assert (tmp_path / "cold" / "segments" / "b" / "000001.arrow").read_bytes() == b"segment bytes"
