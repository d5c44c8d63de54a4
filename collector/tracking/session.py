"""The session cookie (promise P3): it links one browser session's actions, nothing more.

A random 128-bit id, no Max-Age or Expires (the browser drops it when the session ends),
HttpOnly and SameSite=Lax; `Secure` when served over https. Visits are split from it in SQL
(`sql/migrations`: `visit_hits`), by a gap longer than the session timeout, so several
collector processes need no shared state.
"""

from __future__ import annotations

import secrets
import uuid

SESSION_COOKIE = "collector_session"


def session_from_cookie(value: str | None) -> uuid.UUID | None:
    """The session id the cookie carries, or None for a missing or malformed one."""
    if not value or len(value) != 32:
        return None
    try:
        return uuid.UUID(hex=value)
    except ValueError:
        return None


def new_session() -> uuid.UUID:
    return uuid.UUID(bytes=secrets.token_bytes(16))


def session_cookie_header(session_id: uuid.UUID, secure: bool) -> str:
    """The Set-Cookie value: a browser-session cookie (no expiry), never readable by scripts."""
    attrs = f"{SESSION_COOKIE}={session_id.hex}; Path=/; HttpOnly; SameSite=Lax"
    return attrs + "; Secure" if secure else attrs
