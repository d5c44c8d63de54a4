"""`/dashboard`: one server-rendered page per site and period, behind a login.

Logging in and out, sessions and CSRF are collector/access/login.py's; this page shows only
the sites the session's principal may see (collector/access/rights.py), and the same page
serves a share link's read-only view (collector/access/share_view.py). Without a configured
COLLECTOR_API_TOKEN the dashboard does not exist (404).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import asyncpg
from aiohttp import web

from collector.access.login import dashboard_session, html
from collector.access.rights import Principal, visible
from collector.appkeys import CLOCK, REPORT_POOL, SETTINGS, SITES
from collector.reports.api import live_counters, site_today
from collector.reports.markup import DashboardView, dashboard_page, error_page
from collector.reports.period import local_today, parse_report_query
from collector.reports.runner import run_report
from collector.sites import list_sites
from collector.tracking.params import Site

TABLE_ROWS = 10
VIEWS = ("visits", "usage")  # the tabs: opt-in analytics, and the web server's own log
# (title, report) in page order: what a Matomo user looks at first comes first.
TABLES: Sequence[tuple[str, str]] = (
    ("Pages", "pages"),
    ("Referrers", "referrers"),
    ("Goals", "goals"),
    ("Entry pages", "entry-pages"),
    ("Exit pages", "exit-pages"),
    ("Page titles", "titles"),
    ("Search engines", "search-engines"),
    ("Campaigns", "campaigns"),
    ("Ecommerce", "ecommerce"),
    ("Products", "products"),
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
# Cards of what not every site tracks: shown only when the site has any (a goal defined, an
# order or cart sent), not as "nothing in this period" on every other site's page.
OPTIONAL = frozenset({"goals", "ecommerce", "products"})
# The "Web server" tab: the usage data of the web server's access log (collector/usage/).
USAGE_TABLES: Sequence[tuple[str, str]] = (
    ("Status", "usage-status"),
    ("Content by requests", "usage-content"),
    ("Content by bytes", "usage-content-bytes"),
    ("Not found (404), with referring pages", "usage-not-found"),
    ("Referrers", "usage-referrers"),
    ("Browsers", "usage-browsers"),
    ("Operating systems", "usage-os"),
    ("Bots", "usage-bots"),
    ("Address prefixes with most errors (security)", "usage-prefixes"),
)


async def dashboard(request: web.Request) -> web.Response:
    """The logged-in view: the sites the session's principal may see, one at a time."""
    session = await dashboard_session(request)
    if isinstance(session, web.Response):
        return session
    async with request.app[REPORT_POOL].acquire() as conn:
        sites = visible(session.principal, await list_sites(conn))
    if not sites:
        return html(error_page("No site has been granted to you yet."), status=403)
    return await site_page(request, session.principal, sites, csrf=session.csrf)


async def site_page(
    request: web.Request,
    principal: Principal,
    sites: Sequence[Site],
    *,
    csrf: str = "",
    share_path: str | None = None,
) -> web.Response:
    """One site's page, for a principal who may see `sites` (a share link: its one site). A
    site outside them is "unknown site", as one that does not exist."""
    app = request.app
    settings = app[SETTINGS]
    params = dict(request.query)
    if share_path is not None or (not params.get("site") and sites):
        params["site"] = str(sites[0].site_id)
    view = params.get("view") or "visits"
    if view not in VIEWS:
        return html(error_page("view: must be visits or usage"), status=400)
    try:
        query = parse_report_query(params, site_today(app, principal), settings.retention_days)
    except ValueError as exc:
        return html(error_page(str(exc)), status=400)
    if query is None or query.site_id not in {s.site_id for s in sites}:
        return html(error_page("unknown site"), status=404)
    site = app[SITES].get(query.site_id)
    assert site is not None  # parse_report_query found it
    hourly = query.first == query.last
    today = local_today(app[CLOCK](), site.timezone)
    if view == "usage" and principal.cards is not None:
        # a share link shows the analytics cards it names; the web server's log is not one
        return html(error_page("this link does not show the web server's log"), status=403)
    try:
        if view == "usage":
            shown = await _gather_usage(app, query.site_id, query.first, query.last, hourly)
        else:
            shown = await _gather(
                app, query.site_id, query.first, query.last, hourly, today, principal.cards
            )
    except asyncpg.QueryCanceledError:
        ms = settings.report_timeout_ms
        page = error_page(f"The reports took longer than {ms} ms. Try again in a moment.")
        return html(page, status=503, headers={"Retry-After": "5"})
    return html(
        dashboard_page(
            DashboardView(
                sites=[(s.site_id, s.name) for s in sites],
                site_id=query.site_id,
                first=query.first,
                last=query.last,
                chart_unit="hour" if hourly else "day",
                timezone=site.timezone,
                csrf=csrf,
                share_path=share_path,
                cards=principal.cards,
                view=view,
                export_query=export_query(request, query.site_id, share_path is not None),
                **shown,
            )
        )
    )


def export_query(request: web.Request, site_id: int, shared: bool) -> str:
    """The page's query string for its CSV links: the same period, filters and view, with
    the site made explicit (a share link never takes one)."""
    query = request.query_string
    if shared or "site" in request.query:
        return query
    return f"site={site_id}" + (f"&{query}" if query else "")


async def _gather(
    app: web.Application,
    site_id: int,
    first: date,
    last: date,
    hourly: bool,
    today: date,
    cards: frozenset[str] | None = None,
) -> dict[str, Any]:
    """Every report the page shows (a share link's cards only), read in one snapshot so that
    the numbers agree; and, when the period holds today, the last 30 minutes from the raw
    tail."""
    async with (
        app[REPORT_POOL].acquire() as conn,
        conn.transaction(isolation="repeatable_read", readonly=True),
    ):
        [summary] = await run_report(conn, "summary", site_id, first, last)
        series = await run_report(
            conn, "visits-by-hour" if hourly else "visits-over-time", site_id, first, last
        )
        tables = []
        for title, name in TABLES:
            if cards is None or name in cards:
                rows = await run_report(conn, name, site_id, first, last, TABLE_ROWS)
                if has_data(name, rows):
                    tables.append((title, name, rows))
        live = None
        if first <= today <= last and (cards is None or "live" in cards):
            live = await live_counters(conn, site_id, app[CLOCK]())
    key = "hour" if hourly else "day"
    chart = [(str(row[key]), int(row["visits"])) for row in series]
    return {"summary": summary, "chart": chart, "tables": tables, "live": live}


def has_data(report: str, rows: list[dict[str, Any]]) -> bool:
    """Whether the card of `report` belongs on the page: always, but for OPTIONAL ones."""
    if report not in OPTIONAL:
        return True
    if report == "ecommerce":  # one row, zeros when the site sends no ecommerce at all
        return any(rows[0][k] for k in ("orders", "cart_updates", "abandoned_carts"))
    return bool(rows)


async def _gather_usage(
    app: web.Application, site_id: int, first: date, last: date, hourly: bool
) -> dict[str, Any]:
    """The web server tab: its summary, requests per day (or hour), its tables."""
    async with (
        app[REPORT_POOL].acquire() as conn,
        conn.transaction(isolation="repeatable_read", readonly=True),
    ):
        [summary] = await run_report(conn, "usage-summary", site_id, first, last)
        series = await run_report(
            conn, "usage-by-hour" if hourly else "usage-over-time", site_id, first, last
        )
        tables = [
            (title, name, await run_report(conn, name, site_id, first, last, TABLE_ROWS))
            for title, name in USAGE_TABLES
        ]
    key = "hour" if hourly else "day"
    chart = [(str(row[key]), int(row["requests"])) for row in series]
    return {"summary": summary, "chart": chart, "tables": tables, "live": None}
