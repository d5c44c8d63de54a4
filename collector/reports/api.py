"""`GET /api/reports/{name}`: a report as JSON, for `COLLECTOR_API_TOKEN` or a user's token.

Checks in this order, so that an anonymous caller learns nothing but "no": the API is
switched on (a token is configured; otherwise 404, as if the route did not exist), the
bearer token is known (constant time for the superuser's; 401), the report exists (404), the
parameters are valid (400), the site exists and the caller may view it (404 either way:
collector/access/rights.py). Nothing from the request reaches SQL but typed
parameters; the report name only selects a file from the folder listing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import orjson
from aiohttp import web

from collector.access.callers import api_caller
from collector.access.rights import Principal, site_refusal
from collector.appkeys import CLOCK, REPORT_POOL, SETTINGS, SITES
from collector.reports.period import ReportQuery, local_today, parse_report_query, parse_site
from collector.reports.runner import report_names, run_report, takes_subject
from collector.storage.sqlfile import bind, step

LIVE_WINDOW = timedelta(minutes=30)
LIVE_PAGES = 20

NO_STORE = {"Cache-Control": "no-store"}


def error(status: int, reason: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status,
        body=orjson.dumps({"error": reason}),
        content_type="application/json",
        headers={**NO_STORE, **(headers or {})},
    )


def too_slow(app: web.Application) -> web.Response:
    """A report cancelled at COLLECTOR_REPORT_TIMEOUT_MS: the database is busy or the period
    too long; nothing is wrong with the request."""
    ms = app[SETTINGS].report_timeout_ms
    return error(503, f"report took longer than {ms} ms: try again later", {"Retry-After": "5"})


def report_query(request: web.Request, principal: Principal) -> ReportQuery | web.Response:
    """The validated site, period and limit of a request, or the 4xx answer. A site the
    principal may not view is "unknown site", as one that does not exist."""
    app = request.app
    try:
        query = parse_report_query(
            request.query, site_today(app, principal), app[SETTINGS].retention_days
        )
    except ValueError as exc:
        return error(400, str(exc))
    if query is None:
        return error(404, "unknown site")
    return query


def site_today(
    app: web.Application, principal: Principal | None = None
) -> Callable[[int], date | None]:
    """The local date of a site at the app's clock; None for an unknown site, or one the
    principal (when given) may not view."""
    now = app[CLOCK]()

    def today_of(site_id: int) -> date | None:
        site = app[SITES].get(site_id)
        if site is None or (principal is not None and not principal.may(site_id)):
            return None
        return local_today(now, site.timezone)

    return today_of


async def fetch_report(app: web.Application, name: str, query: ReportQuery) -> list[dict[str, Any]]:
    async with app[REPORT_POOL].acquire() as conn:
        return await run_report(
            conn, name, query.site_id, query.first, query.last, query.limit, query.subject
        )


async def report(request: web.Request) -> web.Response:
    principal = await api_caller(request)
    if isinstance(principal, web.Response):
        return principal
    name = request.match_info["name"]
    if name not in report_names():
        return error(404, "unknown report; GET /api/reports lists them")
    query = report_query(request, principal)
    if isinstance(query, web.Response):
        return query
    if query.subject is not None and not takes_subject(name):
        return error(400, "goal, dimension: this report is not one of a goal or dimension")
    try:
        rows = await fetch_report(request.app, name, query)
    except asyncpg.QueryCanceledError:
        return too_slow(request.app)
    body = {
        "report": name,
        "site": query.site_id,
        "from": query.first.isoformat(),
        "to": query.last.isoformat(),
        "rows": rows,
    }
    return web.Response(body=orjson.dumps(body), content_type="application/json", headers=NO_STORE)


async def live_counters(
    conn: asyncpg.Connection, site_id: int, now: datetime, window: timedelta = LIVE_WINDOW
) -> dict[str, Any]:
    """Visitors, pageviews and actions of the last 30 minutes (or `window`), and the pages
    visitors are on."""
    params = {
        "site": site_id,
        "since": now - window,
        "until": now + timedelta(minutes=10),
        "limit": LIVE_PAGES,
    }
    counts = await conn.fetchrow(*bind(step("live", "counters"), params))
    pages = await conn.fetch(*bind(step("live", "pages"), params))
    return {
        "minutes": int(window.total_seconds() // 60),
        **dict(counts),
        "pages": [dict(r) for r in pages],
    }


async def live(request: web.Request) -> web.Response:
    """`GET /api/live?site=ID`: the last 30 minutes, read from the raw tail; no identifiers."""
    principal = await api_caller(request)
    if isinstance(principal, web.Response):
        return principal
    try:
        site_id = parse_site(request.query.get("site"))
    except ValueError as exc:
        return error(400, str(exc))
    app = request.app
    if site_refusal(principal, site_id, app[SITES].get(site_id) is not None) is not None:
        return error(404, "unknown site")
    try:
        async with app[REPORT_POOL].acquire() as conn:
            body = {"site": site_id, **await live_counters(conn, site_id, app[CLOCK]())}
    except asyncpg.QueryCanceledError:
        return too_slow(app)
    return web.Response(body=orjson.dumps(body), content_type="application/json", headers=NO_STORE)


async def report_list(request: web.Request) -> web.Response:
    principal = await api_caller(request)
    if isinstance(principal, web.Response):
        return principal
    body = orjson.dumps({"reports": report_names()})
    return web.Response(body=body, content_type="application/json", headers=NO_STORE)
