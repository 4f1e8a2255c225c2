"""Roles as PostgreSQL has them: attributes, membership, inheritance and the predefined roles.

Role records live in the hidden ``_system`` database (see helios_core.engine); this module
answers the questions every privilege check asks, from one cached ``RoleGraph`` that the
engine rebuilds whenever a role record changes::

    graph = role_graph(engine)
    graph.is_superuser("alice")                      # the role's own attribute
    graph.has_privs_of("alice", "pg_read_all_data")  # membership through INHERIT roles (or superuser)
    graph.is_member_of("alice", "admins")            # membership whatever INHERIT says (SET ROLE)

A record: ``{"name", "superuser", "login", "password", "createdb", "createrole",
"inherit", "replication", "bypassrls", "connection_limit", "valid_until",
"member_of": [role, ...], "admin_of": [role, ...]}``; ``admin_of`` lists the roles of
``member_of`` granted WITH ADMIN OPTION.
"""

from __future__ import annotations

from typing import Any

import attrs

PUBLIC = "public"

# name -> (PostgreSQL's OID, roles it is a member of)
PREDEFINED_ROLES: dict[str, tuple[int, tuple[str, ...]]] = {
    "pg_database_owner": (6171, ()),
    "pg_read_all_data": (6181, ()),
    "pg_write_all_data": (6182, ()),
    "pg_monitor": (3373, ("pg_read_all_settings", "pg_read_all_stats", "pg_stat_scan_tables")),
    "pg_read_all_settings": (3374, ()),
    "pg_read_all_stats": (3375, ()),
    "pg_stat_scan_tables": (3377, ()),
    "pg_read_server_files": (4569, ()),
    "pg_write_server_files": (4570, ()),
    "pg_execute_server_program": (4571, ()),
    "pg_signal_backend": (4200, ()),
    "pg_checkpoint": (4544, ()),
}


def new_role(name: str, **attributes: Any) -> dict:
    """A role record with PostgreSQL's defaults (NOSUPERUSER NOLOGIN INHERIT ...)."""
    role = {"name": name, "superuser": False, "login": False, "password": None, "createdb": False,
            "createrole": False, "inherit": True, "replication": False, "bypassrls": False,
            "connection_limit": -1, "valid_until": None, "member_of": [], "admin_of": []}
    role.update(attributes)
    return role


def predefined_role_records() -> list[dict]:
    """The predefined roles (NOLOGIN), as bootstrap writes them when absent."""
    out = []
    for name, (_oid, parents) in PREDEFINED_ROLES.items():
        out.append(new_role(name, member_of=list(parents)))
    return out


def is_reserved_name(name: str) -> bool:
    return name.startswith("pg_")


@attrs.define
class RoleGraph:
    """A snapshot of every role record, with the membership questions answered from it."""

    roles: dict[str, dict]

    def get(self, name: str) -> dict | None:
        return self.roles.get(name)

    def is_superuser(self, name: str) -> bool:
        role = self.roles.get(name)
        return bool(role and role.get("superuser"))

    def _parents(self, name: str) -> list[str]:
        role = self.roles.get(name)
        return list(role.get("member_of") or []) if role else []

    def memberships(self, name: str, *, inheriting: bool) -> set[str]:
        """Roles ``name`` belongs to, itself included; with ``inheriting`` only through INHERIT roles."""
        seen = {name}
        todo = [name]
        while todo:
            cur = todo.pop()
            role = self.roles.get(cur)
            if role is None or (inheriting and not role.get("inherit", True)):
                continue
            for parent in role.get("member_of") or []:
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen

    def has_privs_of(self, member: str, role: str) -> bool:
        """PostgreSQL's has_privs_of_role: superusers hold every role's privileges."""
        if member == role or role == PUBLIC or self.is_superuser(member):
            return True
        return role in self.memberships(member, inheriting=True)

    def is_member_of(self, member: str, role: str) -> bool:
        """PostgreSQL's is_member_of_role (what SET ROLE needs): INHERIT does not matter."""
        if member == role or self.is_superuser(member):
            return True
        return role in self.memberships(member, inheriting=False)

    def privilege_holders(self, name: str) -> set[str]:
        """Every role whose privileges ``name`` uses (itself, its inherited roles, PUBLIC)."""
        return self.memberships(name, inheriting=True) | {PUBLIC}

    def has_admin_of(self, member: str, role: str) -> bool:
        """WITH ADMIN OPTION on ``role`` held directly or through roles ``member`` inherits."""
        for r in self.memberships(member, inheriting=True):
            rec = self.roles.get(r)
            if rec is not None and role in (rec.get("admin_of") or []):
                return True
        return False


def role_graph(engine: Any) -> RoleGraph:
    """The engine's cached RoleGraph (rebuilt when engine.roles_version moves)."""
    version = getattr(engine, "roles_version", 0)
    cached = getattr(engine, "_role_graph_cache", None)
    if cached is not None and cached[0] == version:
        return cached[1]
    graph = RoleGraph(dict(engine.list_roles()))
    engine._role_graph_cache = (version, graph)
    return graph


def is_superuser(engine: Any, name: str) -> bool:
    return role_graph(engine).is_superuser(name)


def has_privs_of(engine: Any, member: str, role: str) -> bool:
    return role_graph(engine).has_privs_of(member, role)
