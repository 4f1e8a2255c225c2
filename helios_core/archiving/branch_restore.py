"""``heliosdb.restore_branch(branch, timestamptz, new_branch)``: one branch as it was at a time.

Creates ``new_branch`` holding ``branch``'s state at the given time and returns its name;
no other branch is touched (a branch is metadata over shared immutable data, so this costs
O(1)). Within the local retention window (``[storage] retention``) the history is still in
the store. Older points would need a per-branch replay of the archive, which is not built:
that is refused with 0A000 naming it, as is a time in the future or before the branch existed.
"""

from __future__ import annotations

import pyarrow as pa

from helios_core.branching import lifecycle
from helios_core.errors import HeliosError
from helios_core.hookspecs import SqlFunction
from helios_core.sql.catalog_views.functions import ACTIVE_SESSION


def _restore(args: list[pa.Array]) -> pa.Array:
    session = ACTIVE_SESSION.get()
    if session is None:
        raise HeliosError("heliosdb.restore_branch needs a session", sqlstate="55000")
    out = []
    ts_values = args[1].cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()).to_pylist()
    for branch, ts, new in zip(args[0].to_pylist(), ts_values, args[2].to_pylist(), strict=True):
        if branch is None or ts is None or new is None:
            raise HeliosError("heliosdb.restore_branch: arguments must not be null", sqlstate="22004")
        store = session.engine.store
        if store.get_branch(session.database, branch) is None:
            raise HeliosError(f'branch "{branch}" does not exist', sqlstate="42704")
        if ts < store.now() - store.retention_us:
            raise HeliosError(
                "restoring a branch to before the local retention window from the WAL archive is not supported",
                sqlstate="0A000",
                hint="Raise [storage] retention, or restore the whole server with helios restore --to-time.")
        lifecycle.create_branch(session, str(new), str(branch), int(ts))
        out.append(str(new))
    return pa.array(out, pa.string())


def restore_branch_function() -> SqlFunction:
    return SqlFunction(name="heliosdb.restore_branch", impl=_restore, return_type="text",
                       arg_types=["text", "timestamp with time zone", "text"], strict=False)
