"""Dashboard users: names, Argon2id passwords, per-site roles and one API token each.

The commands (`collector user …`) call these; so does the login. A password change ends
every session of the user in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from collector.access.credentials import digest, new_api_token
from collector.access.passwords import hash_password
from collector.access.rights import Principal, Role, parse_role
from collector.storage.sqlfile import bind, step

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


@dataclass(frozen=True, slots=True)
class UserRow:
    name: str
    sites: str  # "1:admin,3:view"
    has_token: bool
    created_at: datetime


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(
            "user name: 1 to 64 letters, digits or . _ @ - (starting with a letter or digit)"
        )
    return name


def _sql(name: str) -> str:
    return step("access", name)


async def add_user(conn: asyncpg.Connection, name: str, password: str) -> int:
    check_name(name)
    hashed = hash_password(password)
    try:
        user_id: int = await conn.fetchval(
            *bind(_sql("user_add"), {"name": name, "password_hash": hashed})
        )
    except asyncpg.UniqueViolationError:
        raise ValueError(f"user {name!r} exists; to change the password: user password") from None
    return user_id


async def _user_id(conn: asyncpg.Connection, name: str) -> int:
    row = await conn.fetchrow(*bind(_sql("user_by_name"), {"name": name}))
    if row is None:
        raise ValueError(f"unknown user {name!r}; see: collector user list")
    user_id: int = row["user_id"]
    return user_id


async def set_password(conn: asyncpg.Connection, name: str, password: str) -> None:
    hashed = hash_password(password)
    async with conn.transaction():
        user_id = await conn.fetchval(
            *bind(_sql("user_password"), {"name": name, "password_hash": hashed})
        )
        if user_id is None:
            raise ValueError(f"unknown user {name!r}; see: collector user list")
        await conn.execute(*bind(_sql("sessions_end_user"), {"user_id": user_id}))


async def delete_user(conn: asyncpg.Connection, name: str) -> None:
    if await conn.fetchval(*bind(_sql("user_delete"), {"name": name})) is None:
        raise ValueError(f"unknown user {name!r}; see: collector user list")


async def grant(conn: asyncpg.Connection, name: str, site_id: int, role: str) -> None:
    user_id = await _user_id(conn, name)
    params = {"user_id": user_id, "site_id": site_id, "role": str(parse_role(role))}
    try:
        await conn.execute(*bind(_sql("grant"), params))
    except asyncpg.ForeignKeyViolationError:
        raise ValueError(f"unknown site {site_id}; see: collector site list") from None


async def revoke(conn: asyncpg.Connection, name: str, site_id: int) -> None:
    user_id = await _user_id(conn, name)
    params = {"user_id": user_id, "site_id": site_id}
    if await conn.fetchval(*bind(_sql("revoke"), params)) is None:
        raise ValueError(f"user {name!r} has no role on site {site_id}")


async def new_token(conn: asyncpg.Connection, name: str) -> str:
    """A new API token for the user (the previous one stops working); only its digest is kept."""
    user_id = await _user_id(conn, name)
    token = new_api_token()
    await conn.execute(*bind(_sql("token_set"), {"digest": digest(token), "user_id": user_id}))
    return token


async def list_users(conn: asyncpg.Connection) -> list[UserRow]:
    rows = await conn.fetch(_sql("user_list"))
    return [UserRow(r["name"], r["sites"], r["has_token"], r["created_at"]) for r in rows]


async def password_hash_of(conn: asyncpg.Connection, name: str) -> tuple[int, str] | None:
    row = await conn.fetchrow(*bind(_sql("user_by_name"), {"name": name}))
    return None if row is None else (row["user_id"], row["password_hash"])


async def user_principal(conn: asyncpg.Connection, user_id: int, name: str) -> Principal:
    rows = await conn.fetch(*bind(_sql("roles"), {"user_id": user_id}))
    roles = {r["site_id"]: Role(r["role"]) for r in rows}
    return Principal(name=name, user_id=user_id, roles=roles)


async def token_principal(conn: asyncpg.Connection, token: str) -> Principal | None:
    """The user holding this API token, with their roles; None for no such token."""
    row = await conn.fetchrow(*bind(_sql("token_user"), {"digest": digest(token)}))
    if row is None:
        return None
    return await user_principal(conn, row["user_id"], row["name"])
