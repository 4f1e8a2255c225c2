"""Branching state belongs to its engine: two engines in one process share nothing."""

from __future__ import annotations

from helios_core.branching import policy
from helios_core.branching.service import BranchService
from helios_core.engine import Engine


def test_each_engine_holds_its_own_branch_service():
    a, b = Engine.open(None), Engine.open(None)
    try:
        assert isinstance(a.branches, BranchService) and a.branches is not b.branches
        policy.configure(a, {"branch_isolation": "shared", "max_branches": 7})
        assert policy.policy(a).isolation == "shared" and policy.policy(a).max_branches == 7
        assert policy.policy(b).isolation == "strict"  # b never configured: the defaults
        sa, sb = a.connect(), b.connect()
        sa.execute("create branch feature from main")
        sa.execute("alter branch feature set max_connections = 1")
        sb.execute("create branch feature from main")  # the same name in the other engine: no limit
        sa.execute("set heliosdb.branch = feature")
        sb.execute("set heliosdb.branch = feature")
        sb2 = b.connect(branch="feature")  # fine: b's feature has no limit
        sb2.close()
        assert ("helios", "feature") in {(k[0][0], k[1]) for k in a.branches.limits}
        assert not any(k[1] == "feature" and v for k, v in b.branches.limits.items())
        q = "select limits, last_used is not null from heliosdb.branches where name = 'feature'"
        assert sa.execute(q)[0].rows() == [("max_connections = 1", True)]
        assert sb.execute(q)[0].rows() == [(None, True)]
        assert a.branches.activity is not b.branches.activity
    finally:
        a.close()
        b.close()
