"""createUser, updateUser, dropUser, usersInfo: MongoDB users are HeliosDB roles (SQL's CREATE ROLE).

A user created here logs in with the same password over PostgreSQL. MongoDB's built-in
role ``root`` (or ``userAdminAnyDatabase``/``dbOwner`` on admin) becomes SUPERUSER; a user
with no roles is a plain LOGIN role whose access is what SQL GRANTs give it. Other MongoDB
roles (read, readWrite, ...) are refused with error 2 rather than ignored: grant the SQL
privileges they stand for instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from helios_protocol_mongo.authentication import MECHANISMS, mechanisms_for
from helios_protocol_mongo.errors import MongoError
from helios_protocol_mongo.store import quote_ident

if TYPE_CHECKING:
    from helios_protocol_mongo.commands import CommandContext

SUPERUSER_ROLES = {"root", "userAdminAnyDatabase", "dbOwner", "__system"}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _superuser(roles: Any) -> bool:
    names = set()
    for role in roles or []:
        names.add(role if isinstance(role, str) else role.get("role"))
    unsupported = names - SUPERUSER_ROLES
    if unsupported:
        raise MongoError(2, f"MongoDB role {min(unsupported)!r} is not mapped onto HeliosDB privileges; create "
                            "the user without roles and GRANT the SQL privileges it needs")
    return bool(names)


def _mechanisms(command: dict[str, Any]) -> list[str]:
    """createUser/updateUser's ``mechanisms`` (default both); the role always has SCRAM-SHA-256."""
    if command.get("digestPassword") is False:
        raise MongoError(2, "digestPassword: false is not supported: HeliosDB needs the password itself")
    mechanisms = command.get("mechanisms", MECHANISMS)
    if not isinstance(mechanisms, list) or not mechanisms or any(m not in MECHANISMS for m in mechanisms):
        raise MongoError(2, f"mechanisms must be a non-empty list of {MECHANISMS}, not {mechanisms!r}")
    return mechanisms


def _keep_sha1(ctx: CommandContext, name: str, password: str, mechanisms: list[str]) -> None:
    ctx.server.keep_scram_sha1_credentials(name, password if "SCRAM-SHA-1" in mechanisms else None)


def create_user(ctx: CommandContext) -> dict[str, Any]:
    name, password = ctx.command.get("createUser"), ctx.command.get("pwd")
    if not isinstance(name, str) or not name:
        raise MongoError(2, "createUser needs a user name")
    if not isinstance(password, str) or not password:
        raise MongoError(2, "createUser needs a password (pwd); HeliosDB has no external authentication")
    mechanisms = _mechanisms(ctx.command)
    if ctx.store.rows("select 1 from pg_roles where rolname = $1", [name], ["text"]):
        raise MongoError(51003, f"User \"{name}@{ctx.db}\" already exists")
    superuser = " superuser" if _superuser(ctx.command.get("roles")) else ""
    ctx.store.execute(f"create role {quote_ident(name)} login password {_literal(password)}{superuser}")
    _keep_sha1(ctx, name, password, mechanisms)
    return {"ok": 1.0}


def update_user(ctx: CommandContext) -> dict[str, Any]:
    name = ctx.command.get("updateUser")
    if not ctx.store.rows("select 1 from pg_roles where rolname = $1", [name], ["text"]):
        raise MongoError(11, f"Could not find user \"{name}\" for db \"{ctx.db}\"")
    if "pwd" in ctx.command:
        mechanisms = _mechanisms(ctx.command)
        ctx.store.execute(f"alter role {quote_ident(name)} password {_literal(str(ctx.command['pwd']))}")
        _keep_sha1(ctx, name, str(ctx.command["pwd"]), mechanisms)
    if "roles" in ctx.command:
        attribute = "superuser" if _superuser(ctx.command["roles"]) else "nosuperuser"
        ctx.store.execute(f"alter role {quote_ident(name)} {attribute}")
    return {"ok": 1.0}


def drop_user(ctx: CommandContext) -> dict[str, Any]:
    name = ctx.command.get("dropUser")
    if not ctx.store.rows("select 1 from pg_roles where rolname = $1", [name], ["text"]):
        raise MongoError(11, f"User \"{name}@{ctx.db}\" not found")
    ctx.store.execute(f"drop role {quote_ident(name)}")
    ctx.server.keep_scram_sha1_credentials(name, None)
    return {"ok": 1.0}


def users_info(ctx: CommandContext) -> dict[str, Any]:
    wanted = ctx.command.get("usersInfo")
    rows = ctx.store.rows("select rolname, rolsuper from pg_roles where rolcanlogin")
    names: set[str] | None = None
    if isinstance(wanted, str):
        names = {wanted}
    elif isinstance(wanted, dict):
        names = {wanted.get("user")}
    elif isinstance(wanted, list):
        names = {w if isinstance(w, str) else w.get("user") for w in wanted}
    users = [{"_id": f"{ctx.db}.{name}", "user": name, "db": ctx.db,
              "roles": [{"role": "root", "db": "admin"}] if superuser else [],
              "mechanisms": mechanisms_for(ctx.server.kernel, ctx.server.auth, name, ctx.server.scram_sha1_credentials)}
             for name, superuser in rows if names is None or name in names]
    return {"users": users, "ok": 1.0}
