"""`GET /dashboard/export/{card}.csv` (and a share link's `/share/{token}/export/{card}.csv`):
one card of the dashboard as CSV, and the site's open data.

A card's CSV is its report over the page's own query (site, period or preset, filters),
up to 1000 rows where the card shows ten; the dashboard puts the link on every card. Under
filters a file is what the filtered card shows, and a card the filters cannot narrow (pages,
say) is 400 rather than a file of unfiltered rows. Who may download what is the page's
rule: the sites the session's principal may see, and for a share link only the cards it
shows, never the web server's log.

`opendata` and `opendata-pages` are what a public body publishes of its statistics: the
site's anonymous totals per local day (`daily-totals`: visits, pageviews, actions, bounces,
visit seconds; sums only, so that anyone can add days up) and its ten most viewed pages of
each day (`daily-pages`). They read aggregates only, like every report: no row of a visit,
a hit or a visitor is ever in them. CSV cells that a spreadsheet would run as a formula are
prefixed with `'` (collector/matomo/render.py, shared with the Matomo API's CSV).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import asyncpg
from aiohttp import web

from collector.access.login import html
from collector.access.rights import Principal
from collector.appkeys import CLOCK, REPORT_POOL, SETTINGS, SITES
from collector.matomo.render import render
from collector.reports.dashboard import (
    TABLES,
    USAGE_TABLES,
    parse_page,
    refused_filters,
    session_sites,
)
from collector.reports.filters import (
    SERVED,
    Filters,
    fetch_facets,
    series_of,
    summary_of,
    tables_of,
)
from collector.reports.markup import error_page
from collector.reports.period import MAX_LIMIT, ReportQuery, local_today, parse_limit
from collector.reports.runner import run_report
from collector.tracking.params import Site

OPEN_DATA_PAGES = 10  # pages per day in opendata-pages
# card in the URL -> (report, the share-link card that grants it); None: never for a link.
CARDS: dict[str, tuple[str, str | None]] = {
    "summary": ("summary", "summary"),
    "visits-over-time": ("visits-over-time", "chart"),
    "visits-by-hour": ("visits-by-hour", "chart"),
    "opendata": ("daily-totals", "opendata"),
    "opendata-pages": ("daily-pages", "opendata"),
    **{name: (name, name) for _, name in TABLES},
    "usage-summary": ("usage-summary", None),
    "usage-over-time": ("usage-over-time", None),
    "usage-by-hour": ("usage-by-hour", None),
    **{name: (name, None) for _, name in USAGE_TABLES},
}


def _csv(body: bytes, filename: str) -> web.Response:
    return web.Response(
        body=body,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


async def card_csv(
    request: web.Request, principal: Principal, sites: Sequence[Site], *, shared: bool = False
) -> web.Response:
    """The CSV of card `{card}` for a principal who may see `sites`; the answers of a bad
    request are the dashboard's (400, 403, 404), as HTML, since a browser follows the link."""
    app = request.app
    card = request.match_info["card"]
    if card not in CARDS:
        return html(error_page("unknown card"), status=404)
    report, grant = CARDS[card]
    if principal.cards is not None and (grant is None or grant not in principal.cards):
        return html(error_page("this link does not show that card"), status=403)
    params = dict(request.query)
    if shared or not params.get("site"):
        params["site"] = str(sites[0].site_id)
    try:
        limit = parse_limit(params.pop("limit", None) or str(MAX_LIMIT))
        if card == "opendata-pages":
            limit = min(limit, OPEN_DATA_PAGES)
        _, query, _, _, filters = parse_page(request, params, principal)
    except ValueError as exc:
        return html(error_page(str(exc)), status=400)
    if query is None or query.site_id not in {s.site_id for s in sites}:
        return html(error_page("unknown site"), status=404)
    if filters:  # the page's filters apply to its CSVs too, or the file would not be the card
        if (refusal := refused_filters(filters, principal.cards)) is not None:
            return html(error_page(refusal), status=403)
        if report not in FILTERED:
            return html(error_page("this card is not available with a filter"), status=400)
    try:
        async with app[REPORT_POOL].acquire() as conn:
            if filters:
                rows = await _filtered(app, conn, report, query, filters, limit)
            else:
                rows = await run_report(conn, report, query.site_id, query.first, query.last, limit)
    except asyncpg.QueryCanceledError:
        ms = app[SETTINGS].report_timeout_ms
        page = error_page(f"The report took longer than {ms} ms. Try again in a moment.")
        return html(page, status=503, headers={"Retry-After": "5"})
    body, _ = render(rows, "csv", unicode=False) if rows else (b"", "")
    name = f"site{query.site_id}-{card}-{query.first}-{query.last}.csv"
    return _csv(body, name)


FILTERED = {*SERVED, "summary", "visits-over-time", "visits-by-hour"}


async def _filtered(
    app: web.Application,
    conn: asyncpg.Connection,
    report: str,
    query: ReportQuery,
    filters: Filters,
    limit: int,
) -> list[dict[str, Any]]:
    """A card's rows under the page's filters, from the same facets the page reads."""
    site = app[SITES].get(query.site_id)
    assert site is not None  # the query found it
    today = local_today(app[CLOCK](), site.timezone)
    raw_first = today - timedelta(days=app[SETTINGS].retention_days - 1)
    facets = await fetch_facets(conn, query.site_id, query.first, query.last, filters, raw_first)
    if report == "summary":
        return [summary_of(facets)]
    if report in ("visits-over-time", "visits-by-hour"):
        hourly = report == "visits-by-hour"
        key = "hour" if hourly else "day"
        series = series_of(facets, query.first, query.last, hourly, site.timezone)
        return [{key: at, "visits": visits} for at, visits in series]
    return tables_of(facets, limit).get(report, [])


async def dashboard_export(request: web.Request) -> web.Response:
    """`/dashboard/export/{card}.csv` for a logged-in user: their sites only."""
    found = await session_sites(request)
    if isinstance(found, web.Response):
        return found
    session, sites = found
    return await card_csv(request, session.principal, sites)
