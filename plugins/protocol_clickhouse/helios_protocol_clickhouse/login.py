"""Who a ClickHouse client is: its user name and password checked, its HeliosDB role.

With users in ``[auth.users]`` a client must give one of them and its password. Without an
``[auth]`` section the user ``default`` gets in with an empty password, as on a fresh
ClickHouse; other names must then be roles of the database. ClickHouse's ``default`` user
is HeliosDB's bootstrap role ``helios``.
"""

from __future__ import annotations

from typing import Any

from helios_core.auth import check_password
from helios_protocol_clickhouse.errors import ClickHouseError

DEFAULT_USER = "default"
BOOTSTRAP_ROLE = "helios"


def role_for(config: Any, user: str | None, password: str | None) -> str:
    """The HeliosDB role a ClickHouse login maps to; 516 AUTHENTICATION_FAILED when refused."""
    user = user or DEFAULT_USER
    password = password or ""
    users = dict(getattr(getattr(config, "auth", None), "users", None) or {})
    if users:
        stored = users.get(user)
        if stored is None or not check_password(stored, password, user):
            raise ClickHouseError(516, f"{user}: Authentication failed: password is incorrect, "
                                       "or there is no user with such name")
        return user
    if user == DEFAULT_USER:
        if password:
            raise ClickHouseError(516, f"{user}: Authentication failed: password is incorrect, "
                                       "or there is no user with such name")
        return BOOTSTRAP_ROLE
    return user
