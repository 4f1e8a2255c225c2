"""One real ``helios serve`` for these tests (started once: each start costs seconds) with the Prometheus endpoint on, every installed protocol on."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest

from helios_core.testing import HeliosServer, start_server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HeliosServer]:
    srv = start_server(tmp_path_factory.mktemp("operations"),
                       {"metrics": {"enabled": True, "port": 0, "max_branch_labels": 3}})
    try:
        yield srv
    finally:
        srv.stop()


def scrape(server: HeliosServer) -> str:
    """The text a Prometheus scrape of ``/metrics`` gets."""
    url = f"http://127.0.0.1:{server.port('metrics')}/metrics"
    with urllib.request.urlopen(url, timeout=30) as resp:
        return resp.read().decode()
