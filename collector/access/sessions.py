"""Server-side dashboard sessions: the cookie holds a random id, the database its digest.

A session ends at logout (its row is deleted), when its user's password changes or the user
is deleted, after `LIFETIME`, and, for the superuser, when COLLECTOR_API_TOKEN changes (the
row holds an HMAC of the token it was opened with). Each session has its own CSRF value,
which every form that changes something sends back.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from collector.access.credentials import digest, new_link_token
from collector.access.rights import Principal
from collector.access.users import user_principal
from collector.storage.sqlfile import bind, step

COOKIE = "collector_dashboard"
LIFETIME = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class Session:
    principal: Principal
    csrf: str


def token_mark(api_token: str) -> bytes:
    return hmac.new(api_token.encode(), b"collector superuser session v1", hashlib.sha256).digest()


async def open_session(
    conn: asyncpg.Connection, now: datetime, *, user_id: int | None, api_token: str | None
) -> str:
    """A new session for a user (or, with user_id None, the superuser); returns the cookie
    value. Expired sessions of anybody are removed on the way."""
    session_id = new_link_token()
    await conn.execute(*bind(step("access", "sessions_expired"), {"now": now}))
    params = {
        "digest": digest(session_id),
        "user_id": user_id,
        "token_mark": token_mark(api_token) if user_id is None and api_token else None,
        "csrf": secrets.token_urlsafe(24),
        "expires_at": now + LIFETIME,
    }
    await conn.execute(*bind(step("access", "session_add"), params))
    return session_id


async def find_session(
    conn: asyncpg.Connection, cookie: str | None, now: datetime, api_token: str | None
) -> Session | None:
    if not cookie:
        return None
    row = await conn.fetchrow(
        *bind(step("access", "session_get"), {"digest": digest(cookie), "now": now})
    )
    if row is None:
        return None
    if row["user_id"] is None:
        mark = row["token_mark"]
        if not api_token or not hmac.compare_digest(bytes(mark), token_mark(api_token)):
            return None
        return Session(Principal(name="superuser", superuser=True), row["csrf"])
    principal = await user_principal(conn, row["user_id"], row["name"])
    return Session(principal, row["csrf"])


async def end_session(conn: asyncpg.Connection, cookie: str) -> None:
    await conn.execute(*bind(step("access", "session_end"), {"digest": digest(cookie)}))
