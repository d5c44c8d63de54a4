"""The Reporting API methods we answer, each from one of our reports, per period.

A method is "table" (rows: a list; Matomo's DataTable) or "row" (one set of numbers; Matomo's
simple DataTable, answered `[]` when the period had no visits). Each reads the report that
answers it (sql/reports/ through `run_report`, with local days), or, where no report has
Matomo's grouping, a small query in sql/matomo/. Field names are Matomo's; fields Matomo has
that the aggregates cannot give are left out, never made up (README, "Matomo Reporting
API"): there is no `nb_uniq_visitors` or `nb_users` anywhere, because nothing links visits
across browser sessions here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from collector.matomo.periods import Period
from collector.reports.runner import report_names, run_report
from collector.storage.sqlfile import bind, step
from collector.tracking.params import Site

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Call:
    conn: asyncpg.Connection
    site: Site
    limit: int  # rows to read (filter_offset + filter_limit, at most MAX_LIMIT)
    params: dict[str, str]


class PluginMissing(Exception):
    """The report behind a method does not exist on this collector (yet)."""

    def __init__(self, plugin: str) -> None:
        super().__init__(
            f"The plugin {plugin} is not enabled. You can activate the plugin on Settings > "
            "Plugins page in Matomo."
        )


@dataclass(frozen=True, slots=True)
class Method:
    kind: str  # "table" or "row"
    fetch: Callable[[Call, Period], Awaitable[list[Row] | Row | None]]


def percent(value: float | None) -> str:
    """Matomo's rates: "40%", rounded to whole percents (Piwik::getPercentageSafe)."""
    return f"{round(value or 0)}%"


def _rate(part: int, whole: int) -> str:
    return percent(100.0 * part / whole if whole else 0)


async def _report(call: Call, name: str, period: Period, limit: int | None = None) -> list[Row]:
    return await run_report(
        call.conn, name, call.site.site_id, period.first, period.last, limit or call.limit
    )


async def _query(call: Call, name: str, period: Period) -> list[Row]:
    params = {
        "site": call.site.site_id,
        "first": period.first,
        "last": period.last,
        "limit": call.limit,
    }
    return [dict(r) for r in await call.conn.fetch(*bind(step("matomo", name), params))]


# --- VisitsSummary, VisitTime -------------------------------------------------------------


async def visits_summary(call: Call, period: Period) -> Row | None:
    [s] = await _report(call, "summary", period)
    if not s["visits"]:
        return None  # Matomo: an empty table for a period without visits
    [sums] = await _query(call, "visit_sums", period)
    visits = int(s["visits"])
    return {
        "nb_visits": visits,
        "nb_actions": int(s["actions"]),
        "bounce_count": int(sums["bounces"]),
        "sum_visit_length": int(sums["visit_seconds"]),
        "bounce_rate": percent(s["bounce_rate"]),
        "nb_actions_per_visit": round(int(s["actions"]) / visits, 1),
        "avg_time_on_site": round(int(sums["visit_seconds"]) / visits),
    }


async def visits_per_local_time(call: Call, period: Period) -> list[Row]:
    """By hour of the day in the site's zone (the visitor's own clock is not collected)."""
    visits = [0] * 24
    actions = [0] * 24
    for row in await _report(call, "visits-by-hour", period):
        hour = int(str(row["hour"])[11:13])
        visits[hour] += int(row["visits"])
        actions[hour] += int(row["actions"])
    return [
        {
            "label": str(h),
            "nb_visits": visits[h],
            "nb_actions": actions[h],
            "segment": f"visitLocalHour=={h}",
        }
        for h in range(24)
    ]


# --- Actions ------------------------------------------------------------------------------


async def page_urls(call: Call, period: Period) -> list[Row]:
    return [
        {"label": r["page"], "nb_visits": r["unique_pageviews"], "nb_hits": r["pageviews"]}
        for r in await _report(call, "pages", period)
    ]


async def page_titles(call: Call, period: Period) -> list[Row]:
    return [
        {"label": r["title"], "nb_visits": r["unique_pageviews"], "nb_hits": r["pageviews"]}
        for r in await _report(call, "titles", period)
    ]


async def entry_pages(call: Call, period: Period) -> list[Row]:
    return [
        {
            "label": r["page"],
            "entry_nb_visits": r["entrances"],
            "entry_bounce_count": r["bounces"],
            "nb_hits": r["pageviews"],
            "bounce_rate": percent(r["bounce_rate"]),
        }
        for r in await _report(call, "entry-pages", period)
    ]


async def exit_pages(call: Call, period: Period) -> list[Row]:
    return [
        {
            "label": r["page"],
            "exit_nb_visits": r["exits"],
            "nb_hits": r["pageviews"],
            "exit_rate": percent(r["exit_rate"]),
        }
        for r in await _report(call, "exit-pages", period)
    ]


def _targets(report: str, hits: str) -> Callable[[Call, Period], Awaitable[list[Row]]]:
    async def fetch(call: Call, period: Period) -> list[Row]:
        return [
            {"label": r["url"], "nb_visits": r["visits"], "nb_hits": r[hits], "url": r["url"]}
            for r in await _report(call, report, period)
        ]

    return fetch


async def site_search_keywords(call: Call, period: Period) -> list[Row]:
    return [
        {"label": r["keyword"], "nb_visits": r["visits"], "nb_hits": r["searches"]}
        for r in await _report(call, "site-search", period)
    ]


# --- Referrers ----------------------------------------------------------------------------

# Matomo's channel labels and codes (Common::REFERRER_TYPE_*), and its segment values.
REFERRER_TYPES = {
    "direct": ("Direct Entry", 1),
    "search": ("Search Engines", 2),
    "website": ("Websites", 3),
    "campaign": ("Campaigns", 6),
    "social": ("Social Networks", 7),
}


def _visit_measures(r: Row) -> Row:
    return {
        "nb_visits": r["visits"],
        "nb_actions": r["actions"],
        "bounce_count": r["bounces"],
        "sum_visit_length": r["visit_seconds"],
        "bounce_rate": _rate(int(r["bounces"]), int(r["visits"])),
    }


async def referrer_types(call: Call, period: Period) -> list[Row]:
    rows = []
    for r in (await _query(call, "referrer_types", period))[: call.limit]:
        label, code = REFERRER_TYPES.get(r["type"], (r["type"], 0))
        rows.append(
            {
                "label": label,
                **_visit_measures(r),
                "segment": f"referrerType=={r['type']}",
                "referrer_type": code,
            }
        )
    return rows


async def websites(call: Call, period: Period) -> list[Row]:
    return [
        {"label": r["website"], **_visit_measures(r)}
        for r in await _query(call, "websites", period)
    ]


async def campaigns(call: Call, period: Period) -> list[Row]:
    return [
        {"label": r["campaign"], **_visit_measures(r)}
        for r in await _query(call, "campaign_names", period)
    ]


async def search_engines(call: Call, period: Period) -> list[Row]:
    return [
        {
            "label": r["search_engine"],
            "nb_visits": r["visits"],
            "nb_actions": r["actions"],
            "bounce_rate": percent(r["bounce_rate"]),
        }
        for r in await _report(call, "search-engines", period)
    ]


# --- DevicesDetection ---------------------------------------------------------------------

# Our device classes, as Matomo's DeviceDetector labels them.
DEVICE_TYPES = {"desktop": "Desktop", "mobile": "Smartphone", "tablet": "Tablet"}


def _platform(report: str, key: str) -> Callable[[Call, Period], Awaitable[list[Row]]]:
    async def fetch(call: Call, period: Period) -> list[Row]:
        rows = []
        for r in await _report(call, report, period):
            value = str(r[key])
            if report == "devices":
                value = DEVICE_TYPES.get(value, "Unknown")
            elif value == "(unknown)":
                value = "Unknown"
            rows.append(
                {
                    "label": value,
                    "nb_visits": r["visits"],
                    "nb_actions": r["actions"],
                    "bounce_rate": percent(r["bounce_rate"]),
                }
            )
        return rows

    return fetch


# --- Events -------------------------------------------------------------------------------


def _events(query: str) -> Callable[[Call, Period], Awaitable[list[Row]]]:
    async def fetch(call: Call, period: Period) -> list[Row]:
        rows = []
        for r in await _query(call, query, period):
            row: Row = {
                "label": r["label"],
                "nb_visits": r["visits"],
                "nb_events": r["events"],
                "nb_events_with_value": r["value_count"],
                "sum_event_value": round(float(r["value_sum"]), 2),
            }
            if r["value_count"]:
                row["avg_event_value"] = round(float(r["value_sum"]) / r["value_count"], 2)
            rows.append(row)
        return rows

    return fetch


# --- Goals and countries: reports other issues add ---------------------------------------


def _first(row: Row, *names: str) -> Any:
    return next((row[n] for n in names if n in row and row[n] is not None), None)


async def goals(call: Call, period: Period) -> Row | None:
    """Goals.get from the `goals` report: conversions summed over goals (or `idGoal`'s)."""
    if "goals" not in report_names():
        raise PluginMissing("Goals")
    wanted = call.params.get("idGoal")
    rows = await _report(call, "goals", period, limit=1000)
    if wanted:
        rows = [r for r in rows if str(_first(r, "goal_id", "idgoal", "goal")) == wanted]
    conversions = sum(int(_first(r, "conversions", "nb_conversions") or 0) for r in rows)
    converted = sum(
        int(_first(r, "visits_converted", "converted_visits", "visits") or 0) for r in rows
    )
    revenue = sum(float(_first(r, "revenue") or 0) for r in rows)
    if not rows:
        return None
    [summary] = await _report(call, "summary", period)
    return {
        "nb_conversions": conversions,
        "nb_visits_converted": converted,
        "revenue": round(revenue, 2),
        "conversion_rate": _rate(converted, int(summary["visits"] or 0)),
    }


async def countries(call: Call, period: Period) -> list[Row]:
    """UserCountry.getCountry from the `countries` report; `code` lower case as Matomo's."""
    if "countries" not in report_names():
        raise PluginMissing("UserCountry")
    rows = []
    for r in await _report(call, "countries", period):
        value = str(_first(r, "country_code", "code", "country") or "")
        # Matomo: "xx" / "Unknown" for no country; a folded row is its "Others"
        code = "xx" if value in ("", "(unknown)") else value.lower()
        label = {"xx": "Unknown", "(others)": "Others"}.get(code, code.upper())
        row: Row = {"label": label, "code": code}
        row["nb_visits"] = _first(r, "visits", "nb_visits") or 0
        if (actions := _first(r, "actions", "nb_actions")) is not None:
            row["nb_actions"] = actions
        row["segment"] = f"countryCode=={code}"
        rows.append(row)
    return rows


METHODS: dict[str, Method] = {
    "VisitsSummary.get": Method("row", visits_summary),
    "VisitTime.getVisitInformationPerLocalTime": Method("table", visits_per_local_time),
    "Actions.getPageUrls": Method("table", page_urls),
    "Actions.getPageTitles": Method("table", page_titles),
    "Actions.getEntryPageUrls": Method("table", entry_pages),
    "Actions.getExitPageUrls": Method("table", exit_pages),
    "Actions.getDownloads": Method("table", _targets("downloads", "downloads")),
    "Actions.getOutlinks": Method("table", _targets("outlinks", "clicks")),
    "Actions.getSiteSearchKeywords": Method("table", site_search_keywords),
    "Referrers.getReferrerType": Method("table", referrer_types),
    "Referrers.getWebsites": Method("table", websites),
    "Referrers.getSearchEngines": Method("table", search_engines),
    "Referrers.getCampaigns": Method("table", campaigns),
    "DevicesDetection.getType": Method("table", _platform("devices", "device")),
    "DevicesDetection.getBrowsers": Method("table", _platform("browsers", "browser")),
    "DevicesDetection.getOsFamilies": Method("table", _platform("os", "os")),
    "Events.getCategory": Method("table", _events("event_categories")),
    "Events.getAction": Method("table", _events("event_actions")),
    "Goals.get": Method("row", goals),
    "UserCountry.getCountry": Method("table", countries),
}
