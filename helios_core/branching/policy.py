"""The server-wide branching policy: ``[branching]`` of helios.toml, attached to the engine.

The engine does not read configuration itself, so the kernel hands the section over at
start-up (``configure(engine, config.branching)``, done by the ``helios_startup`` hook of
``helios_core.branching.plugin``). An engine that was never configured (embedded use,
in-process tests) runs with the defaults below, which are the config defaults too:
isolation ``strict`` and at most 5,000 branches per database.
"""

from __future__ import annotations

from typing import Any

import attrs

ISOLATION_MODES = ("strict", "shared")


@attrs.define(frozen=True)
class BranchingPolicy:
    """``strict``: a role sees only branches it was granted; ``shared``: every branch is open."""

    isolation: str = "strict"
    max_branches: int = 5000
    max_branches_per_role: int | None = None  # branches one non-superuser role may own


DEFAULT_POLICY = BranchingPolicy()


def policy(engine: Any) -> BranchingPolicy:
    return engine.branches.policy or DEFAULT_POLICY


def configure(engine: Any, section: Any) -> BranchingPolicy:
    """Give ``engine``'s branch service a ``[branching]`` section (attrs object or dict)."""
    get = section.get if isinstance(section, dict) else lambda k, d: getattr(section, k, d)
    isolation = str(get("branch_isolation", DEFAULT_POLICY.isolation)).lower()
    if isolation not in ISOLATION_MODES:
        raise ValueError(f"branching.branch_isolation must be one of {ISOLATION_MODES}, not {isolation!r}")
    per_role = get("max_branches_per_role", None)
    p = BranchingPolicy(isolation=isolation, max_branches=int(get("max_branches", DEFAULT_POLICY.max_branches)),
                        max_branches_per_role=int(per_role) if per_role is not None else None)
    engine.branches.policy = p
    return p


def is_strict(engine: Any) -> bool:
    return policy(engine).isolation == "strict"
