"""`GET /api/reports/{name}`: a report as JSON, for the holder of `COLLECTOR_API_TOKEN`.

Checks in this order, so that an anonymous caller learns nothing but "no": the API is
switched on (a token is configured; otherwise 404, as if the route did not exist), the
bearer token matches (constant time; 401), the report exists (404), the parameters are
valid (400), the site exists (404). Nothing from the request reaches SQL but typed
parameters; the report name only selects a file from the folder listing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import asyncpg
import orjson
from aiohttp import web

from collector.appkeys import CLOCK, REPORT_POOL, SETTINGS, SITES
from collector.reports.period import ReportQuery, local_today, parse_report_query, parse_site
from collector.reports.runner import report_names, run_report, takes_subject
from collector.storage.sqlfile import bind, step
from collector.tracking.params import token_valid

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


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer …` header, or None."""
    scheme, _, token = (header or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def check_token(request: web.Request) -> web.Response | None:
    """None when the request carries the API token, else the answer to give."""
    token = request.app[SETTINGS].api_token
    if token is None:
        return error(404, "reports API disabled: COLLECTOR_API_TOKEN is not set")
    if not token_valid(bearer_token(request.headers.get("Authorization")), token):
        return error(
            401, "missing or wrong bearer token", {"WWW-Authenticate": 'Bearer realm="collector"'}
        )
    return None


def report_query(request: web.Request) -> ReportQuery | web.Response:
    """The validated site, period and limit of a request, or the 4xx answer."""
    app = request.app
    try:
        query = parse_report_query(request.query, site_today(app), app[SETTINGS].retention_days)
    except ValueError as exc:
        return error(400, str(exc))
    if query is None:
        return error(404, "unknown site")
    return query


def site_today(app: web.Application) -> Callable[[int], date | None]:
    """The local date of a site at the app's clock; None for an unknown site."""
    now = app[CLOCK]()

    def today_of(site_id: int) -> date | None:
        site = app[SITES].get(site_id)
        return local_today(now, site.timezone) if site else None

    return today_of


async def fetch_report(app: web.Application, name: str, query: ReportQuery) -> list[dict[str, Any]]:
    async with app[REPORT_POOL].acquire() as conn:
        return await run_report(
            conn, name, query.site_id, query.first, query.last, query.limit, query.subject
        )


async def report(request: web.Request) -> web.Response:
    if (refused := check_token(request)) is not None:
        return refused
    name = request.match_info["name"]
    if name not in report_names():
        return error(404, "unknown report; GET /api/reports lists them")
    query = report_query(request)
    if isinstance(query, web.Response):
        return query
    if query.subject is not None and not takes_subject(name):
        return error(400, "goal, dimension: this report is not one of a goal or dimension")
    rows = await fetch_report(request.app, name, query)
    body = {
        "report": name,
        "site": query.site_id,
        "from": query.first.isoformat(),
        "to": query.last.isoformat(),
        "rows": rows,
    }
    return web.Response(body=orjson.dumps(body), content_type="application/json", headers=NO_STORE)


async def live_counters(conn: asyncpg.Connection, site_id: int, now: datetime) -> dict[str, Any]:
    """Visitors, pageviews and actions of the last 30 minutes, and the pages visitors are on."""
    params = {
        "site": site_id,
        "since": now - LIVE_WINDOW,
        "until": now + timedelta(minutes=10),
        "limit": LIVE_PAGES,
    }
    counts = await conn.fetchrow(*bind(step("live", "counters"), params))
    pages = await conn.fetch(*bind(step("live", "pages"), params))
    return {
        "minutes": int(LIVE_WINDOW.total_seconds() // 60),
        **dict(counts),
        "pages": [dict(r) for r in pages],
    }


async def live(request: web.Request) -> web.Response:
    """`GET /api/live?site=ID`: the last 30 minutes, read from the raw tail; no identifiers."""
    if (refused := check_token(request)) is not None:
        return refused
    try:
        site_id = parse_site(request.query.get("site"))
    except ValueError as exc:
        return error(400, str(exc))
    app = request.app
    if app[SITES].get(site_id) is None:
        return error(404, "unknown site")
    async with app[REPORT_POOL].acquire() as conn:
        body = {"site": site_id, **await live_counters(conn, site_id, app[CLOCK]())}
    return web.Response(body=orjson.dumps(body), content_type="application/json", headers=NO_STORE)


async def report_list(request: web.Request) -> web.Response:
    if (refused := check_token(request)) is not None:
        return refused
    body = orjson.dumps({"reports": report_names()})
    return web.Response(body=body, content_type="application/json", headers=NO_STORE)
