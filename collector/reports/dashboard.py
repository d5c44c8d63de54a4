"""`/dashboard`: one server-rendered page per site and period, behind a login.

Logging in and out, sessions and CSRF are collector/access/login.py's; this page shows only
the sites the session's principal may see (collector/access/rights.py), and the same page
serves a share link's read-only view (collector/access/share_view.py). Without a configured
COLLECTOR_API_TOKEN the dashboard does not exist (404).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import asyncpg
from aiohttp import web

from collector.access.login import dashboard_session, html
from collector.access.rights import Principal, visible
from collector.access.sessions import Session
from collector.appkeys import CLOCK, REPORT_POOL, SETTINGS, SITES
from collector.reports.api import live_counters, site_today
from collector.reports.filters import (
    BY_KEY,
    SERVED,
    Filters,
    fetch_facets,
    parse_filters,
    series_of,
    summary_of,
    tables_of,
)
from collector.reports.live_script import live_script_path
from collector.reports.markup import DASH, DashboardView, dashboard_page, error_page
from collector.reports.period import (
    ReportQuery,
    comparison_period,
    local_today,
    parse_report_query,
    parse_site,
    preset_period,
)
from collector.reports.runner import PAGE_CARD_NAMES, run_page_cards, run_report
from collector.reports.snapshot import Job, run_all, snapshot_lanes
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


async def session_sites(request: web.Request) -> tuple[Session, list[Site]] | web.Response:
    """The logged-in session and the sites its principal may see; else the answer instead
    (the login form, 404 while switched off, 403 with no site granted)."""
    session = await dashboard_session(request)
    if isinstance(session, web.Response):
        return session
    async with request.app[REPORT_POOL].acquire() as conn:
        sites = visible(session.principal, await list_sites(conn))
    if not sites:
        return html(error_page("No site has been granted to you yet."), status=403)
    return session, sites


async def dashboard(request: web.Request) -> web.Response:
    """The logged-in view: the sites the session's principal may see, one at a time."""
    found = await session_sites(request)
    if isinstance(found, web.Response):
        return found
    session, sites = found
    return await site_page(request, session.principal, sites, csrf=session.csrf)


def _period(params: dict[str, str], today: date) -> tuple[str | None, dict[str, str]]:
    """A preset (`period=last7`) as the from/to it stands for, in the site's local days."""
    name = params.get("period") or None
    if name is None:
        return None, params
    if params.get("from") or params.get("to"):
        raise ValueError("period: give it or from/to, not both")
    first, last = preset_period(name, today)
    return name, {**params, "from": first.isoformat(), "to": last.isoformat()}


def refused_filters(filters: Filters, cards: frozenset[str] | None) -> str | None:
    """A share link filters only by what it shows: a filter by a card it hides would tell
    that card's numbers (how many visits came from a country, say)."""
    if cards is None:
        return None
    search_only = dict(filters.values).get("channel") == "search" and "search-engines" in cards
    for key, _ in filters.values:
        card = BY_KEY[key].card
        if card not in cards and not (card == "referrers" and search_only):
            return f"{key}: this link does not show the card it filters by ({card})"
    return None


def parse_page(
    request: web.Request, params: dict[str, str], principal: Principal
) -> tuple[str | None, ReportQuery | None, str | None, tuple[date, date], Filters]:
    """Preset or from/to, comparison and filters; ValueError names a bad one."""
    app = request.app
    today_of = site_today(app, principal)
    site_day = today_of(parse_site(params.get("site")))
    preset, params = _period(params, site_day) if site_day else (None, params)
    query = parse_report_query(params, today_of, app[SETTINGS].retention_days)
    compare = params.get("compare") or None
    filters = parse_filters(request.query, request.query.getall)
    earlier = (date.min, date.min)  # no comparison: never read
    if query is not None and compare is not None:
        earlier = comparison_period(query.first, query.last, compare)
    return preset, query, compare, earlier, filters


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
        preset, query, compare, earlier, filters = parse_page(request, params, principal)
    except ValueError as exc:
        return html(error_page(str(exc)), status=400)
    if query is None or query.site_id not in {s.site_id for s in sites}:
        return html(error_page("unknown site"), status=404)
    site = app[SITES].get(query.site_id)
    assert site is not None  # parse_report_query found it
    hourly = query.first == query.last
    today = local_today(app[CLOCK](), site.timezone)
    cards = principal.cards
    if params.get("live") == "1":
        return await _live_json(app, query.site_id, cards)
    if view == "usage" and cards is not None:
        # a share link shows the analytics cards it names; the web server's log is not one
        return html(error_page("this link does not show the web server's log"), status=403)
    if view == "usage" and filters:
        return html(error_page("filters apply to the visits view only"), status=400)
    if (refusal := refused_filters(filters, cards)) is not None:
        return html(error_page(refusal), status=403)
    raw_first = today - timedelta(days=settings.retention_days - 1)
    try:
        if view == "usage":
            shown = await _gather_usage(app, query.site_id, query.first, query.last, hourly)
        else:
            shown = await _gather(
                app,
                query.site_id,
                query.first,
                query.last,
                hourly,
                today,
                cards,
                filters,
                raw_first,
                site.timezone,
            )
        if compare is not None and view == "visits":
            before = await _gather(
                app,
                query.site_id,
                *earlier,
                hourly,
                today,
                cards,
                filters,
                raw_first,
                site.timezone,
                earlier=True,
            )
            shown |= {
                "earlier_first": earlier[0],
                "earlier_last": earlier[1],
                "earlier_summary": before["summary"],
                "earlier_chart": before["chart"],
                "earlier_tables": {name: rows for _, name, rows in before["tables"]},
            }
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
                cards=cards,
                view=view,
                export_query=export_query(request, query.site_id, share_path is not None),
                period=preset,
                compare=compare if view == "visits" else None,
                filters=filters,
                live_script=live_script_path(),
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


async def _live_json(
    app: web.Application, site_id: int, cards: frozenset[str] | None
) -> web.Response:
    """`?live=1`: the live line's numbers for the refresher script: counts and pages only."""
    if cards is not None and "live" not in cards:
        return web.json_response({"error": "this link does not show live"}, status=403)
    async with app[REPORT_POOL].acquire() as conn:
        live = await live_counters(conn, site_id, app[CLOCK]())
    body = {
        "minutes": live["minutes"],
        "visitors": int(live["visitors"]),
        "pageviews": int(live["pageviews"]),
        "pages": [{"page": p["page"], "visitors": int(p["visitors"])} for p in live["pages"]],
    }
    return web.json_response(body, headers={"Cache-Control": "no-store"})


def _coverage(filters: Filters, first: date, last: date, raw_first: date, days: int) -> str | None:
    """What the page says when filters by two things visits did reach before raw hits."""
    if not filters.raw_only or first >= raw_first:
        return None
    names = " and ".join(BY_KEY[k].label for k, _ in filters.values if BY_KEY[k].did)
    said = f"These filters together ({names}) can only be applied to the last {days} days"
    if last < raw_first:
        return f"{said} (from {raw_first.isoformat()}): nothing in this period can be."
    return (
        f"{said}: the numbers are for {raw_first.isoformat()} {DASH} {last.isoformat()}, "
        f"not for {first.isoformat()} {DASH} {(raw_first - timedelta(days=1)).isoformat()}."
    )


async def _gather(
    app: web.Application,
    site_id: int,
    first: date,
    last: date,
    hourly: bool,
    today: date,
    cards: frozenset[str] | None = None,
    filters: Filters | None = None,
    raw_first: date | None = None,
    timezone: str = "UTC",
    *,
    earlier: bool = False,
) -> dict[str, Any]:
    """Every report the page shows (a share link's cards only), read in one snapshot so that
    the numbers agree; and, when the period holds today, the last 30 minutes from the raw
    tail. With filters: the visit facets, what visits did or the raw visits
    (collector/reports/filters.py). An earlier period (`earlier`) reads more rows, to match
    the current rows to."""
    shows = (lambda name: True) if cards is None else cards.__contains__
    limit = TABLE_ROWS * 10 if earlier else TABLE_ROWS
    if filters:
        async with (
            app[REPORT_POOL].acquire() as conn,
            conn.transaction(isolation="repeatable_read", readonly=True),
        ):
            assert raw_first is not None
            facets = await fetch_facets(conn, site_id, first, last, filters, raw_first)
            served = tables_of(facets, limit)
            summary = summary_of(facets)
            chart = series_of(facets, first, last, hourly, timezone)
            tables = [
                (title, name, served.get(name, []))
                for title, name in TABLES
                if shows(name) and (name not in OPTIONAL or name in served)
            ]
            notes = {
                name: (
                    "Not available with a filter: this card's numbers are not kept per "
                    "visit (docs/aggregates.md, \u201cFilters\u201d)."
                )
                for _, name in TABLES
                if name not in SERVED
            }
            return {
                "summary": summary,
                "chart": chart,
                "tables": tables,
                "live": None,
                "notes": notes,
                "coverage": None
                if earlier
                else _coverage(filters, first, last, raw_first, (today - raw_first).days + 1),
            }

    jobs: dict[str, Job] = {}
    if any(shows(name) for name in PAGE_CARD_NAMES):  # the heaviest first: lanes stay even
        jobs["pages*"] = lambda c: run_page_cards(c, site_id, first, last, limit)
    jobs["summary"] = lambda c: run_report(c, "summary", site_id, first, last)
    series = "visits-by-hour" if hourly else "visits-over-time"
    jobs["series"] = lambda c: run_report(c, series, site_id, first, last)
    for _, name in TABLES:
        if shows(name) and name not in PAGE_CARD_NAMES:
            jobs[name] = functools.partial(_report, name, site_id, first, last, limit)
    if not earlier and first <= today <= last and shows("live"):
        now = app[CLOCK]()
        jobs["live"] = lambda c: live_counters(c, site_id, now)
    async with snapshot_lanes(app[REPORT_POOL]) as conns:
        got = await run_all(conns, jobs)
    pages = got.get("pages*", {})
    tables = []
    for title, name in TABLES:
        if shows(name):
            rows = pages[name] if name in pages else got[name]
            if has_data(name, rows):
                tables.append((title, name, rows))
    key = "hour" if hourly else "day"
    chart = [(str(row[key]), int(row["visits"])) for row in got["series"]]
    return {"summary": got["summary"][0], "chart": chart, "tables": tables, "live": got.get("live")}


async def _report(
    name: str, site_id: int, first: date, last: date, limit: int, conn: asyncpg.Connection
) -> list[dict[str, Any]]:
    return await run_report(conn, name, site_id, first, last, limit)


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
