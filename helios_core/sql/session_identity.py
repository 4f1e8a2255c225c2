"""Who a session is: session_user, current_user, SET ROLE and SET SESSION AUTHORIZATION.

As in PostgreSQL a session has three names: the role it authenticated as (fixed for its
life), the session user (``session_authorization``; only an authenticated superuser may
change it) and the current user (``role``, ``none`` meaning the session user), which is
what every privilege check asks about. Both are ordinary settings, so SET LOCAL, RESET
and a rolled-back transaction undo them as PostgreSQL does; this module is the check
that stands in front of every way of setting them (SET, set_config, startup options).
"""

from __future__ import annotations

from typing import Any

from helios_core import roles
from helios_core.errors import HeliosError, InsufficientPrivilege

IDENTITY_SETTINGS = ("role", "session_authorization")


def resolve_role_name(session: Any, name: str) -> str:
    """CURRENT_USER / CURRENT_ROLE / SESSION_USER as the names they stand for (GRANT, OWNER TO ...)."""
    if name in ("current_user", "current_role"):
        return session.user
    if name == "session_user":
        return session.session_user
    return name


def current_user(session: Any) -> str:
    values = session.settings_obj.values
    role = values.get("role", "none")
    return values["session_authorization"] if role in (None, "", "none") else role


def check_set(session: Any, name: str, value: str | None) -> str | None:
    """The value to store for SET ``name`` (role | session_authorization); raises 42501/22023."""
    graph = roles.role_graph(session.engine)
    values = session.settings_obj.values
    if name == "session_authorization":
        target = session.authenticated_user if value is None or value.lower() == "default" else value
        if target != session.authenticated_user and not graph.is_superuser(session.authenticated_user):
            raise InsufficientPrivilege("permission denied to set session authorization")
        if graph.get(target) is None:
            raise HeliosError(f'role "{target}" does not exist', sqlstate="22023")
        values["role"] = "none"  # a new session user starts with no SET ROLE in force
        return target
    if value is None or value.lower() == "none":
        return None if value is None else "none"
    if graph.get(value) is None:
        raise HeliosError(f'role "{value}" does not exist', sqlstate="22023")
    session_user = values["session_authorization"]
    if not graph.is_member_of(session_user, value):
        raise InsufficientPrivilege(f'permission denied to set role "{value}"')
    return value


def refresh(session: Any) -> None:
    """Keep the read-only ``is_superuser`` setting in step with the current user."""
    values = session.settings_obj.values
    values["is_superuser"] = "on" if roles.is_superuser(session.engine, current_user(session)) else "off"


def apply_startup(session: Any, user: str, options: dict[str, str]) -> None:
    """Start-up options may name a role (``-c role=x``) but never another session user."""
    values = session.settings_obj.values
    values["session_authorization"] = user
    session.settings_obj.session_defaults["session_authorization"] = user
    values["role"] = "none"
    session.settings_obj.session_defaults["role"] = "none"
    wanted = {k.lower(): v for k, v in options.items()}
    if "session_authorization" in wanted and wanted["session_authorization"] != user:
        values["session_authorization"] = check_set(session, "session_authorization",
                                                    wanted["session_authorization"]) or user
        session.settings_obj.session_defaults["session_authorization"] = values["session_authorization"]
    if wanted.get("role") not in (None, "", "none"):
        values["role"] = check_set(session, "role", wanted["role"]) or "none"
        session.settings_obj.session_defaults["role"] = values["role"]
    refresh(session)
