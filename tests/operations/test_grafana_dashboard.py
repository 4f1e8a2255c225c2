"""The Grafana dashboard in docs/grafana: every panel's PromQL names metrics a live /metrics serves."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from helios_core.testing import HeliosServer
from tests.operations.conftest import scrape

DASHBOARD = Path(__file__).resolve().parents[2] / "docs" / "grafana" / "heliosdb.json"
METRIC = re.compile(r"\b((?:helios|process|python)_[a-z0-9_]+)\b")


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, PromQL) of every panel target."""
    dashboard = json.loads(DASHBOARD.read_text())
    out = []
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            out.append((panel["title"], target["expr"]))
    return out


def served_names(body: str) -> set[str]:
    """Every sample name /metrics can serve: counters as x_total, histograms as x_bucket/_sum/_count."""
    names: set[str] = set()
    for line in body.splitlines():
        if line.startswith("# TYPE"):
            _, _, name, kind = line.split()
            names.add(name)
            if kind == "histogram":
                names.update({f"{name}_bucket", f"{name}_sum", f"{name}_count"})
    return names


def concrete(expr: str) -> str:
    """The query Grafana would send, its variables filled in."""
    return (expr.replace("$__rate_interval", "1m").replace('=~"$job"', '=~".*"')
            .replace('=~"$instance"', '=~".*"'))


def test_dashboard_shape() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    rows = [p["title"] for p in dashboard["panels"] if p["type"] == "row"]
    assert rows == ["Overview", "Protocols", "Per branch", "Storage"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    assert len(dashboard_queries()) >= 25


def test_every_panel_names_served_metrics(server: HeliosServer) -> None:
    names = served_names(scrape(server))
    missing: list[tuple[str, Any]] = []
    for title, expr in dashboard_queries():
        used = METRIC.findall(expr)
        assert used, (title, expr)
        missing.extend((title, name) for name in used if name not in names)
    assert not missing, missing
