"""Who may use which branch: GRANT/REVOKE ... ON BRANCH and the checks of every read path.

Privileges on a branch:

* ``usage``              switch to it (``SET heliosdb.branch``, ``-c heliosdb.branch=``), read and
                         write it there, read it through branch_diff, fork from it, merge into it.
                         SQL spellings: USAGE, CONNECT.
* ``cross_branch_read``  read it from another branch: ``heliosdb.cross_branch_query`` and
                         ``heliosdb.branch_diff``. Spellings: CROSS_BRANCH_READ, CROSS BRANCH READ, READ.
* ``ALL [PRIVILEGES]``   both.

Superusers and the branch's owner (its creator) hold every privilege. ``main`` grants
``usage`` to PUBLIC until someone revokes it. With ``[branching] branch_isolation =
"shared"`` usage is not checked (every role may switch anywhere); cross-branch reading
still needs its grant, since it is a deliberate reach into other tenants' data.
"""

from __future__ import annotations

from typing import Any

from helios_core.branching import records
from helios_core.branching.policy import is_strict
from helios_core.errors import HeliosError, InsufficientPrivilege, UndefinedObject

USAGE = "usage"
CROSS_READ = "cross_branch_read"
PUBLIC = "public"
_DEFAULT_MAIN_ACL = {"grants": {PUBLIC: [USAGE]}}


def parse_privileges(words: list[str]) -> set[str]:
    """The privilege words of a GRANT (tokens as the dialect split them) -> privilege names."""
    w = [x.upper() for x in words]
    out: set[str] = set()
    i = 0
    while i < len(w):
        x = w[i]
        if x == "ALL":
            out |= {USAGE, CROSS_READ}
            if i + 1 < len(w) and w[i + 1] == "PRIVILEGES":
                i += 1
        elif x in ("USAGE", "CONNECT"):
            out.add(USAGE)
        elif x in ("CROSS_BRANCH_READ", "READ"):
            out.add(CROSS_READ)
        elif x == "CROSS" and w[i + 1: i + 3] == ["BRANCH", "READ"]:
            out.add(CROSS_READ)
            i += 2
        else:
            raise HeliosError(f"invalid privilege type {x} for branch", sqlstate="0LP01",
                              hint="Branch privileges are USAGE, CROSS_BRANCH_READ and ALL.")
        i += 1
    return out


def effective_roles(engine: Any, user: str) -> tuple[set[str], bool]:
    """(the user, the roles it is a member of (transitively), PUBLIC; is any of them a superuser)."""
    seen: set[str] = set()
    todo = [user]
    superuser = False
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        role = engine.get_role(name)
        if role is None:
            continue
        superuser = superuser or bool(role.get("superuser"))
        todo.extend(role.get("member_of") or [])
    seen.add(PUBLIC)
    return seen, superuser


def _acl(txn: Any, branch: str) -> dict:
    acl = txn.catalog_get(records.ACL, branch)
    if acl is None and branch == "main":
        return _DEFAULT_MAIN_ACL
    return acl or {}


def holds(engine: Any, db: str, user: str, branch: str, privilege: str) -> bool:
    """Does ``user`` hold ``privilege`` on ``branch`` (superuser, owner, or a grant to one of its roles)?"""
    roles, superuser = effective_roles(engine, user)
    if superuser:
        return True
    with records.reading(engine, db) as txn:
        meta = txn.catalog_get(records.META, branch) or {}
        if meta.get("owner") in roles:
            return True
        grants = _acl(txn, branch).get("grants", {})
    return any(privilege in grants.get(r, ()) for r in roles)


def may_use(engine: Any, db: str, user: str, branch: str) -> bool:
    if not is_strict(engine):
        return True
    return holds(engine, db, user, branch, USAGE)


def may_read(engine: Any, db: str, user: str, branch: str) -> bool:
    """Read a branch other than the session's own (diff, catalog views)."""
    return may_use(engine, db, user, branch) or holds(engine, db, user, branch, CROSS_READ)


def check_use(session: Any, branch: str) -> None:
    """42501 unless the session's user may switch to ``branch``."""
    if not may_use(session.engine, session.database, session.user, branch):
        raise InsufficientPrivilege(f'permission denied for branch "{branch}"',
                                    hint=f'A superuser or the branch owner can GRANT USAGE ON BRANCH {branch} '
                                         f'TO {session.user}.')


def check_read(session: Any, branch: str) -> None:
    if not may_read(session.engine, session.database, session.user, branch):
        raise InsufficientPrivilege(f'permission denied for branch "{branch}"')


def check_cross_read(session: Any, branch: str) -> None:
    """cross_branch_query needs the explicit grant (or superuser/owner) in every isolation mode."""
    if not holds(session.engine, session.database, session.user, branch, CROSS_READ):
        raise InsufficientPrivilege(f'permission denied for cross-branch read of branch "{branch}"',
                                    hint=f"GRANT CROSS_BRANCH_READ ON BRANCH {branch} TO {session.user}")


def check_owner(session: Any, branch: str, action: str) -> None:
    """Dropping, renaming, altering a branch and granting on it: its owner or a superuser."""
    roles, superuser = effective_roles(session.engine, session.user)
    if superuser:
        return
    meta = records.get(session.engine, session.database, records.META, branch)
    if meta.get("owner") not in roles:
        raise InsufficientPrivilege(f'must be owner of branch "{branch}" to {action} it')


def check_superuser(session: Any, action: str) -> None:
    if not effective_roles(session.engine, session.user)[1]:
        raise InsufficientPrivilege(f"must be superuser to {action}")


def grant_statement(session: Any, kind: str, args: dict) -> Any:
    """GRANT/REVOKE privileges ON BRANCH b [, ...] TO/FROM role [, ...]."""
    from helios_core.session import Result

    engine, db = session.engine, session.database
    privs = parse_privileges(args["privileges"])
    roles = [r.lower() if r.lower() == PUBLIC else r for r in args["roles"]]
    for r in roles:
        if r != PUBLIC and engine.get_role(r) is None:
            raise UndefinedObject(f'role "{r}" does not exist')
    for b in args["objects"]:
        if engine.store.get_branch(db, b) is None:
            raise UndefinedObject(f'branch "{b}" does not exist')
        check_owner(session, b, "grant on")
    ts = engine.store.now()
    with records.writing(engine, db) as txn:
        for b in args["objects"]:
            acl = dict(_acl(txn, b))
            grants = {k: set(v) for k, v in acl.get("grants", {}).items()}
            for r in roles:
                have = grants.setdefault(r, set())
                if kind == "grant":
                    have |= privs
                else:
                    have -= privs
                    if not have:
                        del grants[r]
            txn.catalog_put(records.ACL, b, {"grants": {k: sorted(v) for k, v in grants.items()}})
            records.log_event(txn, ts, kind, b, session.user,
                              f"{', '.join(sorted(privs))} {'to' if kind == 'grant' else 'from'} {', '.join(roles)}")
    return Result(command_tag=kind.upper())
