"""`/dashboard`: one server-rendered page per site and period, behind the API token.

The token is entered once into a login form. The cookie then holds not the token but an
HMAC of a fixed label under it: it proves the token was known, is worthless as an API token
if it leaks, and stops working when the token changes. HttpOnly, SameSite=Strict (no
cross-site request carries it), `Secure` over https, no expiry (browser session), and only
sent to /dashboard. Without a configured token the dashboard does not exist (404).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Sequence
from datetime import date
from typing import Any

from aiohttp import web

from collector.appkeys import CLOCK, REPORT_POOL, SETTINGS, SITES
from collector.body import read_form
from collector.config import Settings
from collector.reports.api import live_counters, site_today
from collector.reports.markup import (
    CONTENT_SECURITY_POLICY,
    DashboardView,
    dashboard_page,
    error_page,
    login_page,
)
from collector.reports.period import local_today, parse_report_query
from collector.reports.runner import run_report
from collector.sites import list_sites
from collector.tracking.params import token_valid

COOKIE = "collector_dashboard"
TABLE_ROWS = 10
# (title, report) in page order: what a Matomo user looks at first comes first.
TABLES: Sequence[tuple[str, str]] = (
    ("Pages", "pages"),
    ("Referrers", "referrers"),
    ("Entry pages", "entry-pages"),
    ("Exit pages", "exit-pages"),
    ("Page titles", "titles"),
    ("Search engines", "search-engines"),
    ("Campaigns", "campaigns"),
    ("Site search", "site-search"),
    ("Browsers", "browsers"),
    ("Operating systems", "os"),
    ("Devices", "devices"),
    ("Countries", "countries"),
    ("Screen sizes", "screen-sizes"),
    ("Languages", "languages"),
    ("Events", "events"),
    ("Downloads", "downloads"),
    ("Outlinks", "outlinks"),
)


def cookie_value(token: str) -> str:
    return hmac.new(token.encode(), b"collector dashboard v1", hashlib.sha256).hexdigest()


def _html(text: str, status: int = 200, **headers: str) -> web.Response:
    return web.Response(
        status=status,
        text=text,
        content_type="text/html",
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            **headers,
        },
    )


def _disabled() -> web.Response:
    return web.Response(status=404, text="dashboard disabled: COLLECTOR_API_TOKEN is not set\n")


def _logged_in(request: web.Request) -> bool:
    token = request.app[SETTINGS].api_token
    assert token is not None
    return token_valid(request.cookies.get(COOKIE), cookie_value(token))


def _over_https(request: web.Request, settings: Settings) -> bool:
    """https here, or at a trusted proxy that says so (as for the session cookie)."""
    if request.secure:
        return True
    peer = request.transport.get_extra_info("peername") if request.transport else None
    try:
        address = ipaddress.ip_address(peer[0]) if isinstance(peer, tuple) else None
    except ValueError:
        address = None
    trusted = address is not None and any(address in n for n in settings.trusted_proxies)
    return trusted and request.headers.get("X-Forwarded-Proto", "").lower() == "https"


def _cookie_header(value: str, secure: bool, clear: bool = False) -> str:
    attrs = f"{COOKIE}={value}; Path=/dashboard; HttpOnly; SameSite=Strict"
    if clear:
        attrs += "; Max-Age=0"
    return attrs + "; Secure" if secure else attrs


async def login(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    if settings.api_token is None:
        return _disabled()
    form = await read_form(request, settings.body_timeout_ms / 1000)
    given = form.get("token")
    if not isinstance(given, str) or not token_valid(given.strip(), settings.api_token):
        return _html(login_page("That is not the API token."), status=401)
    cookie = _cookie_header(cookie_value(settings.api_token), _over_https(request, settings))
    return web.Response(status=303, headers={"Location": "/dashboard", "Set-Cookie": cookie})


async def logout(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    if settings.api_token is None:
        return _disabled()
    cookie = _cookie_header("", _over_https(request, settings), clear=True)
    return web.Response(status=303, headers={"Location": "/dashboard", "Set-Cookie": cookie})


async def dashboard(request: web.Request) -> web.Response:
    app = request.app
    settings = app[SETTINGS]
    if settings.api_token is None:
        return _disabled()
    if not _logged_in(request):
        return _html(login_page())
    async with app[REPORT_POOL].acquire() as conn:
        sites = await list_sites(conn)
    params = dict(request.query)
    if not params.get("site") and sites:
        params["site"] = str(sites[0].site_id)
    try:
        query = parse_report_query(params, site_today(app), settings.retention_days)
    except ValueError as exc:
        return _html(error_page(str(exc)), status=400)
    if query is None:
        return _html(error_page("unknown site"), status=404)
    site = app[SITES].get(query.site_id)
    assert site is not None  # parse_report_query found it
    hourly = query.first == query.last
    today = local_today(app[CLOCK](), site.timezone)
    view = await _gather(app, query.site_id, query.first, query.last, hourly, today)
    view_sites = [(s.site_id, s.name) for s in sites]
    return _html(
        dashboard_page(
            DashboardView(
                sites=view_sites,
                site_id=query.site_id,
                first=query.first,
                last=query.last,
                chart_unit="hour" if hourly else "day",
                timezone=site.timezone,
                **view,
            )
        )
    )


async def _gather(
    app: web.Application, site_id: int, first: date, last: date, hourly: bool, today: date
) -> dict[str, Any]:
    """Every report the page shows, read in one snapshot so that the numbers agree; and, when
    the period holds today, the last 30 minutes from the raw tail."""
    async with (
        app[REPORT_POOL].acquire() as conn,
        conn.transaction(isolation="repeatable_read", readonly=True),
    ):
        [summary] = await run_report(conn, "summary", site_id, first, last)
        series = await run_report(
            conn, "visits-by-hour" if hourly else "visits-over-time", site_id, first, last
        )
        tables = [
            (title, name, await run_report(conn, name, site_id, first, last, TABLE_ROWS))
            for title, name in TABLES
        ]
        live = await live_counters(conn, site_id, app[CLOCK]()) if first <= today <= last else None
    key = "hour" if hourly else "day"
    chart = [(str(row[key]), int(row["visits"])) for row in series]
    return {"summary": summary, "chart": chart, "tables": tables, "live": live}
