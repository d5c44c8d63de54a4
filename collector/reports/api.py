"""`GET /api/reports/{name}`: a report as JSON, for the holder of `COLLECTOR_API_TOKEN`.

Checks in this order, so that an anonymous caller learns nothing but "no": the API is
switched on (a token is configured; otherwise 404, as if the route did not exist), the
bearer token matches (constant time; 401), the report exists (404), the parameters are
valid (400), the site exists (404). Nothing from the request reaches SQL but typed
parameters; the report name only selects a file from the folder listing.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from collector.appkeys import CLOCK, POOL, SETTINGS, SITES
from collector.reports.period import ReportQuery, parse_report_query
from collector.reports.runner import report_names, run_report
from collector.tracking.params import token_valid

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
        query = parse_report_query(request.query, app[CLOCK]().date(), app[SETTINGS].retention_days)
    except ValueError as exc:
        return error(400, str(exc))
    if app[SITES].get(query.site_id) is None:
        return error(404, "unknown site")
    return query


async def fetch_report(app: web.Application, name: str, query: ReportQuery) -> list[dict[str, Any]]:
    async with app[POOL].acquire() as conn:
        return await run_report(conn, name, query.site_id, query.first, query.last, query.limit)


async def report(request: web.Request) -> web.Response:
    if (refused := check_token(request)) is not None:
        return refused
    name = request.match_info["name"]
    if name not in report_names():
        return error(404, "unknown report; GET /api/reports lists them")
    query = report_query(request)
    if isinstance(query, web.Response):
        return query
    rows = await fetch_report(request.app, name, query)
    body = {
        "report": name,
        "site": query.site_id,
        "from": query.first.isoformat(),
        "to": query.last.isoformat(),
        "rows": rows,
    }
    return web.Response(body=orjson.dumps(body), content_type="application/json", headers=NO_STORE)


async def report_list(request: web.Request) -> web.Response:
    if (refused := check_token(request)) is not None:
        return refused
    body = orjson.dumps({"reports": report_names()})
    return web.Response(body=body, content_type="application/json", headers=NO_STORE)
