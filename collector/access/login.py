"""Dashboard login and logout: name and password (or, for the superuser, an empty name and
COLLECTOR_API_TOKEN), a server-side session, CSRF protection, a limit on failed logins.

Login CSRF: the login form carries a random value that is also in a `SameSite=Strict`,
HttpOnly cookie set with the form; a POST whose field and cookie differ is refused, and so
is one whose `Origin` is another origin or whose browser says `Sec-Fetch-Site: cross-site`.
So no other site can log a browser in (or out: logout needs the session's own CSRF value).
Failed logins are limited per truncated IP prefix (`throttle`); the password is not even
checked while the prefix is over the limit.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
import time
from urllib.parse import urlsplit

from aiohttp import web

from collector.access.callers import session_of
from collector.access.passwords import verify_password_async
from collector.access.sessions import COOKIE, Session, end_session, open_session
from collector.access.users import password_hash_of
from collector.appkeys import CLOCK, LOGIN, POOL, SETTINGS
from collector.body import read_form
from collector.config import Settings
from collector.reports.markup import CONTENT_SECURITY_POLICY, login_page
from collector.tracking.anonymise import anonymise_ip, client_address
from collector.tracking.params import token_valid

log = logging.getLogger(__name__)
CSRF_COOKIE = "collector_login"
MAX_FIELD = 1024


def html(text: str, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status,
        text=text,
        content_type="text/html",
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            **(headers or {}),
        },
    )


def disabled() -> web.Response:
    return web.Response(status=404, text="dashboard disabled: COLLECTOR_API_TOKEN is not set\n")


def over_https(request: web.Request, settings: Settings) -> bool:
    """https here, or at a trusted proxy that says so (as for the session cookie)."""
    if request.secure:
        return True
    peer = _peer(request)
    try:
        address = ipaddress.ip_address(peer) if peer else None
    except ValueError:
        address = None
    trusted = address is not None and any(address in n for n in settings.trusted_proxies)
    return trusted and request.headers.get("X-Forwarded-Proto", "").lower() == "https"


def _peer(request: web.Request) -> str | None:
    peer = request.transport.get_extra_info("peername") if request.transport else None
    return str(peer[0]) if isinstance(peer, tuple) else None


def cookie_header(name: str, value: str, secure: bool, clear: bool = False) -> str:
    attrs = f"{name}={value}; Path=/dashboard; HttpOnly; SameSite=Strict"
    if clear:
        attrs += "; Max-Age=0"
    return attrs + "; Secure" if secure else attrs


def login_form(request: web.Request, error: str | None = None, status: int = 200) -> web.Response:
    """The login form, with the CSRF value of the browser's login cookie (a new one if it
    has none)."""
    csrf = request.cookies.get(CSRF_COOKIE) or ""
    headers = {}
    if not (16 <= len(csrf) <= 64 and csrf.isascii()):
        csrf = secrets.token_urlsafe(24)
        secure = over_https(request, request.app[SETTINGS])
        headers["Set-Cookie"] = cookie_header(CSRF_COOKIE, csrf, secure)
    return html(login_page(error, csrf), status=status, headers=headers)


def _same_origin(request: web.Request) -> bool:
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":  # our pages send no Referer, so forms say "null"
        return True
    return urlsplit(origin).netloc.lower() == request.host.lower()


def prefix_of(request: web.Request) -> str:
    """The truncated address the throttle counts by (never the full one: P2)."""
    settings = request.app[SETTINGS]
    full = client_address(_peer(request), request.headers, settings.trusted_proxies)
    return anonymise_ip(full, settings.ip_mask_level) or "unknown"


async def login(request: web.Request) -> web.Response:
    app = request.app
    settings = app[SETTINGS]
    if settings.api_token is None:
        return disabled()
    form = await read_form(request, settings.body_timeout_ms / 1000)
    csrf = request.cookies.get(CSRF_COOKIE) or ""
    if not _same_origin(request) or not token_valid(form.get("csrf"), csrf):
        return login_form(request, "The form was out of date or sent from elsewhere.", 403)
    state = app[LOGIN]
    prefix = prefix_of(request)
    if (wait := state.throttle.wait(prefix, time.monotonic())) > 0:
        log.warning("login=throttled")
        retry = {"Retry-After": str(int(wait) + 1)}
        return html(login_page("Too many failed logins; try again later.", csrf), 429, retry)
    name = form.get("name", "").strip()
    password = form.get("password", "")
    ok, user_id = await _check(request, name, password) if len(name) <= MAX_FIELD else (False, None)
    if not ok:
        state.throttle.failed(prefix, time.monotonic())
        log.info("login=failed")
        return html(login_page("Wrong name or password.", csrf), status=401)
    async with app[POOL].acquire() as conn:
        session_id = await open_session(
            conn, app[CLOCK](), user_id=user_id, api_token=settings.api_token
        )
    secure = over_https(request, settings)
    response = web.Response(status=303, headers={"Location": "/dashboard"})
    response.headers.add("Set-Cookie", cookie_header(COOKIE, session_id, secure))
    response.headers.add("Set-Cookie", cookie_header(CSRF_COOKIE, "", secure, clear=True))
    return response


async def _check(request: web.Request, name: str, password: str) -> tuple[bool, int | None]:
    """(True, user id) for a right name and password, (True, None) for the superuser (an
    empty name and COLLECTOR_API_TOKEN), (False, None) for anything else. An unknown name
    costs one hash as a wrong password does (verify_password's dummy hash)."""
    app = request.app
    if not name:
        return token_valid(password.strip(), app[SETTINGS].api_token), None
    async with app[POOL].acquire() as conn:
        found = await password_hash_of(conn, name)
    stored = found[1] if found else None
    right = await verify_password_async(stored, password, app[LOGIN].hashing)
    return (True, found[0]) if right and found is not None else (False, None)


async def logout(request: web.Request) -> web.Response:
    app = request.app
    settings = app[SETTINGS]
    if settings.api_token is None:
        return disabled()
    form = await read_form(request, settings.body_timeout_ms / 1000)
    session = await session_of(request)
    if session is not None:
        if not token_valid(form.get("csrf"), session.csrf):
            return html(login_page("The form was out of date or sent from elsewhere."), 403)
        async with app[POOL].acquire() as conn:
            await end_session(conn, request.cookies[COOKIE])
    cookie = cookie_header(COOKIE, "", over_https(request, settings), clear=True)
    return web.Response(status=303, headers={"Location": "/dashboard", "Set-Cookie": cookie})


async def dashboard_session(request: web.Request) -> Session | web.Response:
    """The request's session, or the answer instead: 404 while switched off, else the form."""
    if request.app[SETTINGS].api_token is None:
        return disabled()
    session = await session_of(request)
    return session if session is not None else login_form(request)
