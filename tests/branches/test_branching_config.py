"""``[branching]`` of helios.toml reaches the engine of a real server (helios_core.branching.plugin)."""

from __future__ import annotations

import psycopg
import pytest

from helios_core import plugins

REGISTERED = any(name == "helios_core.branching.plugin" for name, _ in plugins.DEFAULT_PLUGINS)


@pytest.mark.skipif(not REGISTERED, reason="helios_core.branching.plugin is not in helios_core.plugins."
                                           "DEFAULT_PLUGINS yet (helper A's file): the server cannot hand "
                                           "[branching] to the engine")
def test_shared_isolation_from_config(helios_server):
    srv = helios_server({"storage": {"tier": "memory"}, "branching": {"branch_isolation": "shared",
                                                                      "max_branches": 3}}, only=["postgres"])
    with psycopg.connect(srv.pg_dsn(), autocommit=True) as admin:
        admin.execute("create role visitor login")
        admin.execute("create branch open_branch")
        with psycopg.connect(srv.pg_dsn(user="visitor"), autocommit=True,
                             options="-c heliosdb.branch=open_branch") as v:
            assert v.execute("show heliosdb.branch").fetchall() == [("open_branch",)]
        admin.execute("create branch second")
        with pytest.raises(psycopg.Error) as ei:
            admin.execute("create branch third")
        assert ei.value.sqlstate == "54000"
