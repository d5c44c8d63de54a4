"""The dashboard's filters: `?browser=Firefox&country=DE…`, validated, and the numbers they give.

Which source serves a filter (docs/aggregates.md, "Filters"), for any period unless said:

- By a visit's own values (channel, source, campaign, browser, OS, device, country, entry
  page), any combination: the visit facets (`agg_visit_facets`, migration 013), which hold
  them all at once per local hour.
- By one thing visits did (viewed a page, sent an event of a category, converted a goal),
  with any of the above: `agg_visit_actions` (migration 013), the same values per visit and
  thing done.
- By two things visits did (a page and an event): only a row per visit can tell which
  visits did both, and that is raw data (`raw_visits`, migration 014, read by
  `sql/filters/done-all.sql`), kept only as long as raw hits; for older days the page says
  that the filter cannot be applied there.

Either way a filter narrows the headline numbers, the chart and the cards of a visit's own
values (referrers, search engines, campaigns, browsers, OS, devices, countries, entry
pages). The cards of what visits did (pages, titles, events, downloads, …) are not kept per
visit and value, so under a filter they say so instead of showing unfiltered numbers.

Values travel as SQL parameters ($4…$14), never as SQL text; "(none)" stands for the empty
key ('': unknown browser, no campaign, direct's source).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import asyncpg

from collector.storage.db import sql_dir

NONE = "(none)"  # a filter value for the empty key
MAX_VALUE = 300
CHANNELS = ("direct", "search", "social", "website", "campaign")


@dataclass(frozen=True, slots=True)
class Dimension:
    key: str  # the URL parameter
    label: str  # the chip's name
    card: str  # the report whose rows link to it; a share link must show that card
    did: bool = False  # what a visit did, not a value of the visit


# In SQL parameter order: $4 … $14 (facets.sql; done-all.sql takes the last three as one).
DIMENSIONS: tuple[Dimension, ...] = (
    Dimension("channel", "Channel", "referrers"),
    Dimension("source", "Source", "referrers"),
    Dimension("campaign", "Campaign", "campaigns"),
    Dimension("browser", "Browser", "browsers"),
    Dimension("os", "Operating system", "os"),
    Dimension("device", "Device", "devices"),
    Dimension("country", "Country", "countries"),
    Dimension("entry", "Entry page", "entry-pages"),
    Dimension("page", "Page", "pages", did=True),
    Dimension("event", "Event category", "events", did=True),
    Dimension("goal", "Goal", "goals", did=True),
)
BY_KEY = {d.key: d for d in DIMENSIONS}

# The cards a filtered page can still show, from the facets' groupings.
SERVED = (
    "referrers",
    "search-engines",
    "campaigns",
    "browsers",
    "os",
    "devices",
    "countries",
    "entry-pages",
)


@dataclass(frozen=True, slots=True)
class Filters:
    values: tuple[tuple[str, str], ...] = ()  # (key, value) in DIMENSIONS order

    def __bool__(self) -> bool:
        return bool(self.values)

    @property
    def raw_only(self) -> bool:
        """Visits that did two things (a page and an event): only raw visits can tell."""
        return len(self.done()) > 1

    def done(self) -> list[tuple[str, str]]:
        """The filters by what visits did, as agg_visit_actions' (kind, value)."""
        kinds = {"page": "page", "event": "event", "goal": "goal"}
        return [(kinds[k], "" if v == NONE else v) for k, v in self.values if BY_KEY[k].did]

    def params(self) -> list[Any]:
        """$4 … $14: each dimension's value, '' for "(none)", None when not filtered."""
        given = dict(self.values)
        out: list[Any] = []
        for d in DIMENSIONS:
            value = given.get(d.key)
            if d.key == "goal":
                out.append(None if value is None else int(value))
            else:
                out.append(None if value is None else "" if value == NONE else value)
        return out

    def without(self, key: str) -> Filters:
        return Filters(tuple((k, v) for k, v in self.values if k != key))

    def with_(self, **more: str) -> Filters:
        given = dict(self.values) | more
        return Filters(tuple((d.key, given[d.key]) for d in DIMENSIONS if d.key in given))

    def query(self) -> list[tuple[str, str]]:
        return list(self.values)


def parse_filters(query: Mapping[str, str], getall: Any = None) -> Filters:
    """The filters of a request's query; ValueError names a bad one. `getall(key)` (a
    MultiDict's) lets a repeated parameter be refused rather than one of them silently win."""
    values = []
    for d in DIMENSIONS:
        value = query.get(d.key)
        if value is None or value == "":
            continue
        if getall is not None and len(getall(d.key)) > 1:
            raise ValueError(f"{d.key}: give it once")
        if len(value) > MAX_VALUE:
            raise ValueError(f"{d.key}: at most {MAX_VALUE} characters")
        if not value.isprintable():
            raise ValueError(f"{d.key}: control characters")
        if d.key == "goal" and (not value.isascii() or not value.isdigit() or len(value) > 9):
            raise ValueError("goal: must be a positive integer")
        if d.key == "channel" and value not in CHANNELS:
            raise ValueError(f"channel: one of {', '.join(CHANNELS)}")
        if d.key in ("page", "entry") and value != NONE and not value.startswith("/"):
            raise ValueError(f"{d.key}: a URL path, starting with /")
        values.append((d.key, value))
    return Filters(tuple(values))


def filter_href(base: str, state: Sequence[tuple[str, str]], filters: Filters) -> str:
    """The page at `base` with the period state and these filters."""
    return f"{base}?{urlencode([*state, *filters.query()])}"


def _sql(*names: str) -> str:
    return "\n".join((sql_dir() / "filters" / f"{n}.sql").read_text() for n in names)


@dataclass(frozen=True, slots=True)
class Facets:
    """The filtered numbers of one period: what the cards need."""

    first: date | None  # the days they cover (raw-only filters: the raw part), None: none
    last: date | None
    rows: Sequence[Mapping[str, Any]]


async def fetch_facets(
    conn: asyncpg.Connection,
    site_id: int,
    first: date,
    last: date,
    filters: Filters,
    raw_first: date,
) -> Facets:
    """The groupings of group.sql over the period: from the visit facets, from what visits
    did (one filter by a page, event or goal), or from raw visits (two of those: only the
    days from `raw_first` on, the first day raw hits still cover whole)."""
    done = filters.done()
    visit_values = filters.params()[:8]
    if len(done) > 1:  # visits that did two things: only raw visits tell
        first = max(first, raw_first)
        if first > last:
            return Facets(None, None, [])
        things = [f"{kind}:{value}" for kind, value in done]
        rows = await conn.fetch(
            _sql("done-all", "group"), site_id, first, last, *visit_values, things
        )
    elif done:
        [(kind, value)] = done
        rows = await conn.fetch(
            _sql("actions", "group"), site_id, first, last, *visit_values, kind, value
        )
    else:
        rows = await conn.fetch(_sql("facets", "group"), site_id, first, last, *visit_values)
    return Facets(first, last, [dict(r) for r in rows])


def _rate(bounces: int, visits: int) -> float | None:
    return round(100.0 * bounces / visits, 1) if visits else None


def summary_of(facets: Facets) -> dict[str, Any]:
    [t] = [r for r in facets.rows if r["card"] == "total"] or [
        {"visits": 0, "actions": 0, "pageviews": 0, "bounces": 0, "seconds": 0}
    ]
    visits = int(t["visits"])
    return {
        "visits": visits,
        "pageviews": int(t["pageviews"]),
        "unique_pageviews": None,  # per page and visit: not in the facets
        "actions": int(t["actions"]),
        "bounce_rate": _rate(int(t["bounces"]), visits),
        "avg_visit_duration": round(t["seconds"] / visits) if visits else None,
        "actions_per_visit": round(t["actions"] / visits, 1) if visits else None,
    }


def series_of(
    facets: Facets, first: date, last: date, hourly: bool, timezone: str
) -> list[tuple[str, int]]:
    """Visits per day (or local hour, ISO with offset as visits-by-hour gives it), every
    day or hour of the period, zero where nothing happened."""
    import zoneinfo

    if hourly:
        zone = zoneinfo.ZoneInfo(timezone)
        counts_h = {r["hour"]: int(r["visits"]) for r in facets.rows if r["card"] == "hour"}
        start = datetime.combine(first, datetime.min.time(), zone)
        end = datetime.combine(last + timedelta(days=1), datetime.min.time(), zone)
        out, at = [], start.astimezone(zoneinfo.ZoneInfo("UTC"))
        while at < end:
            local = at.astimezone(zone)
            out.append((local.isoformat(timespec="minutes"), counts_h.get(at, 0)))
            at += timedelta(hours=1)
        return out
    counts = {r["day"]: int(r["visits"]) for r in facets.rows if r["card"] == "day"}
    days = (last - first).days + 1
    return [((d := first + timedelta(days=i)).isoformat(), counts.get(d, 0)) for i in range(days)]


def _visit_row(r: Mapping[str, Any]) -> dict[str, Any]:
    v = int(r["visits"])
    return {"visits": v, "actions": int(r["actions"]), "bounce_rate": _rate(int(r["bounces"]), v)}


def tables_of(facets: Facets, limit: int) -> dict[str, list[dict[str, Any]]]:
    """The cards the facets serve, in the columns of their unfiltered reports where the
    facets hold them, most visits first."""

    def rows(card: str) -> list[Mapping[str, Any]]:
        found = [r for r in facets.rows if r["card"] == card]
        return sorted(found, key=lambda r: (-int(r["visits"]), str(r[_KEY.get(card, card)])))

    unknown = lambda v: v or "(unknown)"  # noqa: E731
    out: dict[str, list[dict[str, Any]]] = {
        "referrers": [
            {"type": r["ref_type"], "name": r["ref_name"] or None, **_visit_row(r)}
            for r in rows("referrer")
        ][:limit],
        "search-engines": [
            {"search_engine": r["ref_name"], **_visit_row(r)}
            for r in rows("referrer")
            if r["ref_type"] == "search"
        ][:limit],
        "campaigns": [
            {"campaign": r["campaign"], **_visit_row(r)} for r in rows("campaign") if r["campaign"]
        ][:limit],
        "entry-pages": [
            {
                "page": r["entry_page"],
                "entrances": int(r["visits"]),
                "bounces": int(r["bounces"]),
                "bounce_rate": _rate(int(r["bounces"]), int(r["visits"])),
            }
            for r in rows("entry_page")
            if r["entry_page"]
        ][:limit],
    }
    for card, column in (
        ("browsers", "browser"),
        ("os", "os"),
        ("devices", "device"),
        ("countries", "country"),
    ):
        out[card] = [{column: unknown(r[column]), **_visit_row(r)} for r in rows(column)][:limit]
    return out


_KEY = {"referrer": "ref_name", "entry_page": "entry_page"}


def _value(v: Any) -> str:
    """A row's shown value as a filter value: unknown or none is "(none)"."""
    return NONE if v in (None, "", "(unknown)") else str(v)


def row_filter(report: str, row: Mapping[str, Any]) -> dict[str, str] | None:
    """The filter a row of `report` links to; None: its rows are not filters."""
    if report == "pages":
        return {"page": _value(row.get("page"))}
    if report == "entry-pages":
        return {"entry": _value(row.get("page"))}
    if report == "referrers":
        out = {"channel": str(row.get("type"))}
        return out | ({"source": _value(row["name"])} if row.get("name") else {})
    if report == "search-engines":
        return {"channel": "search", "source": _value(row.get("search_engine"))}
    if report == "campaigns":
        return {"campaign": _value(row.get("campaign"))}
    for report_name, key in (
        ("browsers", "browser"),
        ("os", "os"),
        ("devices", "device"),
        ("countries", "country"),
    ):
        if report == report_name:
            return {key: _value(row.get(key))}
    if report == "events" and row.get("category"):
        return {"event": str(row["category"])}
    if report == "goals" and row.get("goal_id") is not None:
        return {"goal": str(row["goal_id"])}
    return None
