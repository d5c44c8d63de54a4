"""`GET|POST /index.php?module=API&method=…`: Matomo's Reporting API, the subset in
`methods.METHODS` and a few more (`API.getMatomoVersion`, `API.getBulkRequest`,
`SitesManager.getSitesWithAtLeastViewAccess`, `Live.getCounters`).

Parameters come from the query string and, for POST, the form body (the body wins, as PHP's
$_REQUEST order has it for Matomo's clients). `token_auth` (or `Authorization: Bearer`) is
COLLECTOR_API_TOKEN (the superuser) or a user's token; a site the caller may not view gets
Matomo's "requires 'view' access" error whether or not it exists, so nothing leaks. Errors
are answered as Matomo does: HTTP 200 and `{"result":"error","message":…}`. Every period's
numbers are read in one read-only snapshot on the report pool (statement timeout).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl

import asyncpg
from aiohttp import web

from collector.access.callers import bearer_token, token_caller
from collector.access.rights import Principal
from collector.appkeys import CLOCK, REPORT_POOL, SETTINGS, SITES
from collector.body import read_form
from collector.matomo.methods import METHODS, Call, PluginMissing
from collector.matomo.periods import PeriodError, parse_periods
from collector.matomo.render import FORMATS, Multi, Result, Value, json_shape, render, render_error
from collector.reports.api import live_counters
from collector.reports.period import DEFAULT_LIMIT, MAX_LIMIT, local_today
from collector.sites import list_sites
from collector.tracking.params import Site

# The Matomo release whose Reporting API this subset follows (clients may check it).
MATOMO_VERSION = "5.0.0"
BULK_MAX = 50
MAX_LIVE_MINUTES = 24 * 60
_MAX_SITE = 999_999_999


class ApiError(Exception):
    """Answered as Matomo's error: HTTP 200, {"result": "error", "message": …}."""


def _no_access(site_id: int | None = None) -> ApiError:
    if site_id is None:
        return ApiError(
            "You can't access this resource as it requires 'view' access for at least one website."
        )
    return ApiError(
        f"You can't access this resource as it requires 'view' access for the website id = "
        f"{site_id}."
    )


def _site(app: web.Application, principal: Principal | None, params: Mapping[str, str]) -> Site:
    raw = params.get("idSite") or params.get("idsite")
    if not raw:
        raise ApiError("Please specify a value for 'idSite'.")
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= _MAX_SITE):
        raise ApiError(
            f"The parameter 'idSite' must be one site id, such as 1 (not {raw[:32]!r}): "
            "several sites or 'all' are not supported here."
        )
    site_id = int(raw)
    site = app[SITES].get(site_id)
    if (
        principal is None
        or not principal.may(site_id)
        or (site is None and not principal.superuser)
    ):
        raise _no_access(site_id)
    if site is None:
        raise ApiError(
            f"An unexpected website was found in the request: website id was set to '{site_id}' ."
        )
    return site


def _int(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    sign = -1 if raw.startswith("-") else 1
    digits = raw[1:] if sign < 0 else raw
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 9:
        raise ApiError(f"The parameter '{name}' must be an integer.")
    return sign * int(digits)


def _rows_wanted(params: Mapping[str, str]) -> tuple[int, int]:
    """(filter_offset, filter_limit); -1 is "all", which here is at most MAX_LIMIT rows."""
    limit = _int(params, "filter_limit", DEFAULT_LIMIT)
    offset = _int(params, "filter_offset", 0)
    if limit < -1 or offset < 0:
        raise ApiError("filter_limit: a positive integer or -1; filter_offset: 0 or more.")
    limit = MAX_LIMIT if limit in (-1, 0) else min(limit, MAX_LIMIT)
    return min(offset, MAX_LIMIT), limit


async def _sites_with_view_access(app: web.Application, principal: Principal | None) -> Result:
    if principal is None:
        return []
    async with app[REPORT_POOL].acquire() as conn:
        sites = [s for s in await list_sites(conn) if principal.may(s.site_id)]
        created = dict(await conn.fetch("SELECT site_id, created_at FROM sites"))
    return [
        {
            "idsite": s.site_id,
            "name": s.name,
            "main_url": f"https://{s.domains[0]}",
            "ts_created": f"{created[s.site_id]:%Y-%m-%d %H:%M:%S}",
            "timezone": s.timezone,
            "type": "website",
            "ecommerce": 0,
            "sitesearch": 1,
        }
        for s in sites
    ]


async def _live_counters(
    app: web.Application, principal: Principal | None, params: Mapping[str, str]
) -> Result:
    site = _site(app, principal, params)
    minutes = _int(params, "lastMinutes", 30)
    if not 1 <= minutes <= MAX_LIVE_MINUTES:
        raise ApiError(f"The parameter 'lastMinutes' must be from 1 to {MAX_LIVE_MINUTES}.")
    async with app[REPORT_POOL].acquire() as conn:
        live = await live_counters(conn, site.site_id, app[CLOCK](), timedelta(minutes=minutes))
    # visits: browser sessions seen in the window (a session is one visit here, within the
    # half hour that splits visits); there are no visitors across sessions.
    return [{"visits": int(live["visitors"]), "actions": int(live["actions"])}]


async def _report_method(
    app: web.Application, principal: Principal | None, method: str, params: Mapping[str, str]
) -> Result:
    spec = METHODS[method]
    site = _site(app, principal, params)
    if params.get("segment"):
        # Unsegmented numbers under a segment's name would mislead: refuse instead.
        raise ApiError(
            "The parameter 'segment' is not supported here: reports are read from daily "
            "aggregates, which cannot be segmented."
        )
    today = local_today(app[CLOCK](), site.timezone)
    try:
        periods = parse_periods(params.get("period"), params.get("date"), today)
    except PeriodError as exc:
        raise ApiError(str(exc)) from None
    offset, limit = _rows_wanted(params)
    results: dict[str, Any] = {}
    async with (
        app[REPORT_POOL].acquire() as conn,
        conn.transaction(isolation="repeatable_read", readonly=True),
    ):
        call = Call(conn, site, min(offset + limit, MAX_LIMIT), dict(params))
        for period in periods.periods:
            try:
                answer = await spec.fetch(call, period)
            except ValueError as exc:  # run_report's own checks of the period
                raise ApiError(str(exc)) from None
            if isinstance(answer, list):
                answer = answer[offset : offset + limit]
            results[period.label] = answer
    if periods.multiple:
        return Multi(results)
    [only] = results.values()
    return only


async def answer(
    app: web.Application, principal: Principal | None, params: Mapping[str, str]
) -> Result:
    """The result of one API call (not a bulk one); ApiError for a Matomo error."""
    method = params.get("method")
    if not method:
        raise ApiError("Please specify a value for 'method'.")
    if method == "API.getMatomoVersion":
        if principal is None:
            raise _no_access()
        return Value(MATOMO_VERSION)
    if method == "SitesManager.getSitesWithAtLeastViewAccess":
        return await _sites_with_view_access(app, principal)
    if method == "Live.getCounters":
        return await _live_counters(app, principal, params)
    if method in METHODS:
        try:
            return await _report_method(app, principal, method, params)
        except PluginMissing as exc:
            raise ApiError(str(exc)) from None
        except asyncpg.QueryCanceledError:
            raise ApiError("The report took too long; ask for a shorter period.") from None
    module, _, action = method.partition(".")
    raise ApiError(
        f"The method '{action[:64]}' does not exist or is not available in the module "
        f"'{module[:64]}'."
    )


async def _bulk(
    app: web.Application, principal: Principal | None, params: Mapping[str, str]
) -> list[Any]:
    urls = [params[f"urls[{i}]"] for i in range(BULK_MAX + 1) if f"urls[{i}]" in params]
    if not urls:
        raise ApiError("Please specify a value for 'urls'.")
    if len(urls) > BULK_MAX:
        raise ApiError(f"API.getBulkRequest: at most {BULK_MAX} requests at once.")
    out: list[Any] = []
    for url in urls:
        try:
            inner = dict(parse_qsl(url.lstrip("?"), keep_blank_values=True, max_num_fields=100))
        except ValueError:
            out.append({"result": "error", "message": "A request in urls is not a query string."})
            continue
        if inner.get("method") == "API.getBulkRequest":
            out.append({"result": "error", "message": "API.getBulkRequest cannot be nested."})
            continue
        try:
            out.append(json_shape(await answer(app, principal, inner)))
        except ApiError as exc:
            out.append({"result": "error", "message": str(exc)})
    return out


def _respond(body: bytes, content_type: str, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        body=body,
        headers={
            "Content-Type": f"{content_type}; charset=utf-8"
            if not content_type.startswith("application/vnd")
            else content_type,
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


async def reporting_api(request: web.Request) -> web.Response:
    app = request.app
    params: dict[str, str] = dict(request.query)
    if request.method == "POST":
        params.update(await read_form(request, app[SETTINGS].body_timeout_ms / 1000))
    fmt = (params.get("format") or "xml").lower()
    unicode = params.get("convertToUnicode", "1") != "0"
    if app[SETTINGS].api_token is None:
        body, ctype = render_error(
            "the Reporting API is disabled: COLLECTOR_API_TOKEN is not set", fmt
        )
        return _respond(body, ctype, 404)
    if params.get("module") != "API":
        body, ctype = render_error("Only module=API is served here (the Reporting API).", fmt)
        return _respond(body, ctype, 400)
    if fmt not in FORMATS:
        message = (
            f"Renderer format '{fmt[:32]}' not valid. Try any of the following instead: "
            + ", ".join(FORMATS)
        )
        return _respond(*render_error(message, "json"))
    token = params.get("token_auth") or bearer_token(request.headers.get("Authorization"))
    principal = await token_caller(app, token)
    try:
        if params.get("method") == "API.getBulkRequest":
            if fmt != "json":
                raise ApiError("API.getBulkRequest is answered in format=json only here.")
            results = await _bulk(app, principal, params)
            return _respond(*render(results, "json"))
        return _respond(*render(await answer(app, principal, params), fmt, unicode))
    except ApiError as exc:
        return _respond(*render_error(str(exc), fmt, unicode))
