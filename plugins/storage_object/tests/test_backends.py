"""Round trips through every object backend against a real server of its API."""

from __future__ import annotations

import pytest
from helios_storage_object.backends import open_backend

from helios_core.config import ConfigError
from helios_core.plugins import get_plugin_manager, storage_tier_factories

GCS_GAP = (
    "gcp-storage-emulator answers obstore's GCS (XML API) requests without ETag and Last-Modified "
    "headers and has no XML list, HEAD or DELETE"
)
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
    assert object_backend.requests["get_range"] == 2


@pytest.mark.parametrize("backend_section", ["s3", "azure"], indirect=True)
def test_prefixes_keep_backends_apart(backend_section, tmp_path):
    kind, section = backend_section
    one = open_backend(kind, section, timeout=5.0)
    other = open_backend(kind, {**section, "prefix": section["prefix"] + "-other"}, timeout=5.0)
    one.put("x", b"1")
    assert other.list() == []
    assert one.list() == ["x"]


def test_s3_credentials_from_the_environment(moto_server, monkeypatch):
    section = {k: v for k, v in moto_server.section("env-creds").items() if "key" not in k}
    for name, value in moto_server.env().items():
        monkeypatch.setenv(name, value)
    backend = open_backend("s3", section, timeout=5.0)
    backend.put("k", b"v")
    assert backend.get("k") == b"v"


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
