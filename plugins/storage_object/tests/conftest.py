"""Fixtures: one object-store server per kind for the whole test session (moto, gcp-storage-emulator,
Azurite), skipped with what to install where the program is missing. ``object_backend`` gives a
fresh prefix of one backend per test, parametrized over all four kinds."""

from __future__ import annotations

import uuid

import pytest
from helios_storage_object.backends import open_backend
from helios_storage_object.testing import SERVERS, EmulatorMissing


def _server(kind: str, tmp_path_factory):
    try:
        server = SERVERS[kind](str(tmp_path_factory.mktemp(kind)))
        server.start()
    except EmulatorMissing as exc:
        pytest.skip(str(exc))
    return server


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory):
    server = _server("s3", tmp_path_factory)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def gcs_emulator(tmp_path_factory):
    server = _server("gcs", tmp_path_factory)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def azurite(tmp_path_factory):
    server = _server("azure", tmp_path_factory)
    yield server
    server.stop()


@pytest.fixture
def backend_section(request, tmp_path):
    """``(kind, [storage.<kind>] table)`` for a fresh prefix; ``request.param`` is the kind."""
    kind = request.param
    prefix = f"t-{uuid.uuid4().hex[:8]}"
    if kind == "local":
        return kind, {"path": str(tmp_path / "objects"), "prefix": prefix}
    fixture = {"s3": "moto_server", "gcs": "gcs_emulator", "azure": "azurite"}[kind]
    return kind, request.getfixturevalue(fixture).section(prefix)


@pytest.fixture
def object_backend(backend_section, tmp_path):
    kind, section = backend_section
    return open_backend(kind, section, data_dir=str(tmp_path), timeout=5.0)
