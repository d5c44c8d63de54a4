"""Who is asking: the principal behind an API token or a dashboard session cookie.

COLLECTOR_API_TOKEN is the superuser; any other token is looked up by its digest. Nothing
here logs a token, and a wrong one costs a primary-key lookup (tokens are 128 random bits:
guessing needs no rate limit).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from aiohttp import web

from collector.access.rights import Principal, Role, site_refusal
from collector.access.sessions import COOKIE, Session, find_session
from collector.access.throttle import LoginThrottle
from collector.access.users import token_principal
from collector.appkeys import CLOCK, POOL, SETTINGS, SITES
from collector.tracking.params import token_valid

SUPERUSER = Principal(name="superuser", superuser=True)
MAX_TOKEN = 256  # longer is no token of ours: refused without a lookup


@dataclass
class LoginState:
    """What the app keeps for logins: the failure throttle, and the slots for hashing."""

    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    hashing: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(2))


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer …` header, or None."""
    scheme, _, token = (header or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


async def token_caller(app: web.Application, token: str | None) -> Principal | None:
    """The principal holding `token`, or None (no token, or not one we know)."""
    if not token or len(token) > MAX_TOKEN:
        return None
    if token_valid(token, app[SETTINGS].api_token):
        return SUPERUSER
    async with app[POOL].acquire() as conn:
        return await token_principal(conn, token)


async def session_of(request: web.Request) -> Session | None:
    """The live dashboard session of the request's cookie, or None."""
    cookie = request.cookies.get(COOKIE)
    if not cookie or len(cookie) > MAX_TOKEN:
        return None
    app = request.app
    async with app[POOL].acquire() as conn:
        return await find_session(conn, cookie, app[CLOCK](), app[SETTINGS].api_token)


def _error(status: int, reason: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(
        {"error": reason}, status=status, headers={"Cache-Control": "no-store", **(headers or {})}
    )


async def api_caller(request: web.Request) -> Principal | web.Response:
    """The principal of a JSON API request's bearer token, or the answer to give: 404 while
    the API is switched off (no COLLECTOR_API_TOKEN), 401 for a missing or unknown token."""
    if request.app[SETTINGS].api_token is None:
        return _error(404, "reports API disabled: COLLECTOR_API_TOKEN is not set")
    principal = await token_caller(request.app, bearer_token(request.headers.get("Authorization")))
    if principal is None:
        return _error(
            401, "missing or wrong bearer token", {"WWW-Authenticate": 'Bearer realm="collector"'}
        )
    return principal


async def api_site_caller(
    request: web.Request, site_id: int, needed: Role = Role.VIEW
) -> Principal | web.Response:
    """`api_caller`, and the right to act on `site_id` with `needed`: the check every
    site-scoped JSON route makes (reports, live, share links; goals and dimensions too)."""
    principal = await api_caller(request)
    if isinstance(principal, web.Response):
        return principal
    refused = site_refusal(principal, site_id, request.app[SITES].get(site_id) is not None, needed)
    if refused is not None:
        return _error(refused.status, refused.reason)
    return principal
