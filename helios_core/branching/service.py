"""The branch service: the one owner of the branching state an engine keeps in memory.

The engine holds one (``engine.branches``); everything the branching package remembers
between statements lives here, so two engines in one process (tests, embedded use) never
share or collide, and an engine that is closed takes its state with it:

* ``policy``       the ``[branching]`` section (isolation mode, max_branches; branching.policy);
* ``records``      the cache of branch records read from main's catalog, by database
                   incarnation and kind, invalidated by a generation counter per database;
* ``limits``       per-branch limits (ALTER BRANCH ... SET), read once and kept until changed;
* ``activity``     per-branch use counters (statements, queueing, memory cancels, CPU bucket).

The branch checks themselves (privileges, limits, AS OF) are functions of the branching
package that read and update this state.
"""

from __future__ import annotations

import threading
from typing import Any

import attrs


@attrs.define(eq=False)
class BranchService:
    """In-memory branching state of one engine (see the module docstring)."""

    policy: Any = None  # branching.policy.BranchingPolicy; None: the defaults
    lock: threading.Lock = attrs.Factory(threading.Lock)
    generations: dict[tuple, int] = attrs.Factory(dict)  # database key -> records generation
    record_cache: dict[tuple, tuple[int, dict[str, dict]]] = attrs.Factory(dict)  # (db key, kind) ->
    limits: dict[tuple, dict] = attrs.Factory(dict)  # (db key, branch) -> limits
    activity: dict[tuple, Any] = attrs.Factory(dict)  # (db key, branch) -> limits.BranchActivity
