"""The session cookie (promise P3): it links one browser session's actions, nothing more.

A random 128-bit id, no Max-Age or Expires (the browser drops it when the session ends),
HttpOnly and SameSite=Lax; `Secure` when served over https. Visits are split from it in SQL
(`sql/migrations`: `visit_hits`), by a gap longer than the session timeout, so several
collector processes need no shared state.
"""

from __future__ import annotations

import secrets

SESSION_COOKIE = "collector_session"


def session_from_cookie(value: str | None) -> str | None:
    """The session id the cookie carries (32 lowercase hex digits, as PostgreSQL's `uuid`
    takes it), or None for a missing or malformed one. Strings, not `uuid.UUID`: building
    one costs a microsecond per hit, and nothing here needs more than the text."""
    if not value or len(value) != 32:
        return None
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        return None
    return raw.hex() if len(raw) == 16 else None  # fromhex skips spaces: 16 bytes or bust


def new_session() -> str:
    return secrets.token_hex(16)


def session_cookie_header(session_id: str, secure: bool) -> str:
    """The Set-Cookie value: a browser-session cookie (no expiry), never readable by scripts."""
    attrs = f"{SESSION_COOKIE}={session_id}; Path=/; HttpOnly; SameSite=Lax"
    return attrs + "; Secure" if secure else attrs
