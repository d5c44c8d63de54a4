"""The aggregates give every report the same rows as the reference derivation from raw hits
(tests/reference/), for random traffic rolled up in random arrival orders.

Traffic: sessions on several sites in several zones, starting near the instants that cut
things (hour boundaries, local midnights, the nights clocks change), with gaps around the
30-minute rule, heartbeats, new_visit=1, hits of one instant (a bulk request's), and hits that
arrive late (back-dated, or replayed after an outage) so that the roll-up must subtract what
it added for a visit and add it again. Hits also convert goals (once per visit, or every
time), carry orders (some repeated, as a reloaded thank-you page sends them) and cart updates,
content impressions and interactions, page timings and custom dimensions of both scopes.
After every run no aggregate may be negative; after the last, every report over random
periods equals the reference.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

import asyncpg
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.goals import GoalSpec, add_dimension, add_goal
from collector.reports.runner import report_names, run_report
from collector.retention import rollup
from collector.retention.purge import AGGREGATE_TABLES
from collector.retention.rollup import roll_up
from collector.sites import add_site
from collector.storage.db import migrate
from collector.storage.partitions import ensure_partitions
from collector.tracking.hit import COLUMNS, Hit
from tests.reference import install, reference_report
from tests.support import database_beside

EXAMPLES = int(os.environ.get("COLLECTOR_PROPERTY_EXAMPLES", "20"))
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata")
# Nights the clocks change, and the days around them: one window per example (retention is
# 7 days, and the roll-up's guard sits just after it).
WINDOWS = (
    datetime(2026, 3, 29, 1, tzinfo=UTC),  # Europe/Berlin: 02:00 -> 03:00
    datetime(2026, 10, 25, 1, tzinfo=UTC),  # Europe/Berlin: 03:00 -> 02:00
    datetime(2026, 11, 1, 6, tzinfo=UTC),  # America/New_York: 02:00 -> 01:00
)
PAGES = ("/", "/a", "/b", "/news/1")
TITLES = ("Home", "A", None, "Long title")
ACTIONS = (
    "pageview",
    "pageview",
    "pageview",
    "ping",
    "event",
    "download",
    "outlink",
    "search",
    "goal",
    "order",
    "cart_update",
    "content_impression",
    "content_interaction",
)
# Goals 0 (once per visit) and 1 (every time) of each site, dimensions 0 (visit) and 1 (action):
# hits name them by index, replaced by the real ids once the site has them (_check).
ORDERS = (
    (25.5, '[["SKU1", "Book", "Books", 12.75, 2]]'),
    (25.5, '[["SKU1", "Book", "Books", 12.75, 2]]'),  # a repeat, as often as a new one
    (9.99, '[["SKU2", "Pen", "", 3.33, 3], ["SKU1", "Book", "Books", 0, 1]]'),
    (0.1, None),
)
TIMINGS = (None, 0, 9, 10, 24, 130, 999, 4000, 61000)
REFERRERS = (
    ("direct", None),
    ("search", "Google"),
    ("website", "blog.example"),
    ("campaign", "spring"),
)
AGENTS = (("Firefox", "Ubuntu", "desktop"), ("Chrome", "Android", "mobile"), (None, None, "tablet"))
PLACES = ((None, None), ("DE", None), ("DE", "DE-BY"), ("DE", "DE-BE"), ("FR", "FR-IDF"))
SCREENS = (None, "1920x1080", "390x844", "1440x900", "800x1280")
LANGUAGES = (None, "de", "de-de", "de-at", "en-us", "zh-hant-tw", "es-419")


@dataclass(frozen=True, repr=False)
class Traffic:
    window: datetime
    hits: list[tuple[int, Hit]]  # (arrival batch, hit); the site index is hit.site_id
    periods: list[tuple[int, int]]  # day offsets from the window's day, inclusive

    def __repr__(self) -> str:
        # Short: hypothesis computes it for every example, and warns (an error here) past 30 kB.
        fields = ("site_id", "session_id", "ts", "action", "new_visit", "goals", "revenue")
        hits = [
            (batch, *(str(getattr(h, f))[:40] for f in fields if getattr(h, f) is not None))
            for batch, h in self.hits
        ]
        return f"Traffic({self.window.isoformat()}, {self.periods}, {hits})"


def _goals(draw: st.DrawFn, action: str) -> str | None:
    """Goal conversions by index: a pageview may convert goal 0 (once per visit), a goal
    request goal 1 (every time), with or without revenue."""
    if action == "goal":
        return orjson.dumps([[1, draw(st.sampled_from([None, 2.5, 10])), False]]).decode()
    if action == "pageview" and draw(st.booleans()):
        return orjson.dumps([[0, draw(st.sampled_from([None, 5.0])), True]]).decode()
    return None


def _dimensions(draw: st.DrawFn, action: str) -> str | None:
    found = {}
    if draw(st.booleans()):
        found["v0"] = draw(st.sampled_from(["member", "guest"]))
    if action != "ping" and draw(st.booleans()):
        found["a1"] = draw(st.sampled_from(["blue", "red"]))
    return orjson.dumps(found).decode() if found else None


def _hit(draw: st.DrawFn, site: int, session: str, ts: datetime, new_visit: bool) -> Hit:
    action = draw(st.sampled_from(ACTIONS))
    ref_type, ref_name = draw(st.sampled_from(REFERRERS))
    browser, os_name, device = draw(st.sampled_from(AGENTS))
    page = draw(st.sampled_from(PAGES))
    revenue, items = (
        draw(st.sampled_from(ORDERS)) if action in ("order", "cart_update") else (None, None)
    )
    content = action.startswith("content_")
    timing = action == "pageview" and draw(st.booleans())
    country, region = draw(st.sampled_from(PLACES))
    return Hit(
        site_id=site,
        ts=ts,
        session_id=session,
        new_visit=new_visit,
        action=action,
        url=f"https://site.example{page}?q=1",
        title=draw(st.sampled_from(TITLES)) if action == "pageview" else None,
        target_url=f"https://files.example/{page.strip('/') or 'x'}.pdf"
        if action in ("download", "outlink")
        else None,
        ref_type=ref_type,
        ref_name=ref_name,
        campaign_name="spring" if ref_type == "campaign" else None,
        campaign_source=draw(st.sampled_from([None, "news"])) if ref_type == "campaign" else None,
        search_keyword=draw(st.sampled_from(["Parking", "parking ", "kita"]))
        if action == "search"
        else None,
        search_count=draw(st.sampled_from([None, 0, 3])) if action == "search" else None,
        event_category="Video" if action == "event" else None,
        event_action=draw(st.sampled_from(["play", "stop"])) if action == "event" else None,
        event_name=draw(st.sampled_from([None, "intro"])) if action == "event" else None,
        event_value=draw(st.sampled_from([None, 1.5, 0.1, 2.0])) if action == "event" else None,
        browser=browser,
        os=os_name,
        device=device,
        goals=_goals(draw, action),
        revenue=revenue,
        ec_tax=1.5 if revenue == 25.5 else None,
        ec_items=items,
        content_name=draw(st.sampled_from(["Banner", "Teaser"])) if content else None,
        content_piece=draw(st.sampled_from([None, "img.png"])) if content else None,
        content_target=draw(st.sampled_from([None, "https://x.example/a?b=1"]))
        if content
        else None,
        content_interaction="click" if action == "content_interaction" else None,
        pf_net=draw(st.sampled_from(TIMINGS)) if timing else None,
        pf_srv=draw(st.sampled_from(TIMINGS)) if timing else None,
        pf_onl=draw(st.sampled_from(TIMINGS)) if timing else None,
        dimensions=_dimensions(draw, action),
        lang=draw(st.sampled_from(LANGUAGES)),
        resolution=draw(st.sampled_from(SCREENS)),
        country=country,
        region=region,
    )


def _with_ids(hit: Hit, site_id: int, goals: list[int], dimensions: list[int]) -> Hit:
    """The hit on its real site, naming its site's real goal and dimension ids."""
    converted = None
    if hit.goals:
        converted = orjson.dumps(
            [[goals[i], revenue, once] for i, revenue, once in orjson.loads(hit.goals)]
        ).decode()
    named = None
    if hit.dimensions:
        named = orjson.dumps(
            {k[0] + str(dimensions[int(k[1:])]): v for k, v in orjson.loads(hit.dimensions).items()}
        ).decode()
    return replace(hit, site_id=site_id, goals=converted, dimensions=named)


gap = st.one_of(
    st.integers(0, 600),  # 0: a bulk request's hits share one instant
    st.integers(1790, 1810),  # around the 30-minute rule
    st.integers(1800, 14_400),
)


@st.composite
def traffic(draw: st.DrawFn, sites: int) -> Traffic:
    window = draw(st.sampled_from(WINDOWS))
    hits: list[tuple[int, Hit]] = []
    for _ in range(draw(st.integers(1, 12))):
        site = draw(st.integers(0, sites - 1))
        session = uuid.UUID(int=draw(st.integers(1, 2**64))).hex
        # near an hour boundary, a local midnight or the change itself, within two days
        ts = window + timedelta(
            hours=draw(st.integers(-40, 40)), seconds=draw(st.sampled_from([-90, -5, 0, 30, 1700]))
        )
        for _ in range(draw(st.integers(1, 9))):
            ts += timedelta(seconds=draw(gap))
            hit = _hit(draw, site, session, ts, draw(st.booleans()) and draw(st.booleans()))
            late = draw(st.integers(0, 9)) == 0  # arrives after hits that are newer
            hits.append((draw(st.integers(0, 6)) if late else 0, hit))
    periods = []
    for _ in range(2):
        a, b = sorted((draw(st.integers(-3, 3)), draw(st.integers(-3, 3))))
        periods.append((a, b))
    return Traffic(window, hits, periods)


@pytest.fixture(scope="module")
async def own_database(database_url: str) -> AsyncIterator[str]:
    """A database of this module's own: its roll-up state and partitions are nobody else's."""
    async with database_beside(database_url) as url:
        yield url


async def _negative(conn: asyncpg.Connection, table: str, site_ids: list[int]) -> int:
    """Rows of `table` with a negative count (sums of e_v may be negative, counts not)."""
    counts = await conn.fetch(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = $1 AND data_type = 'bigint'",
        table,
    )
    least = ", ".join(r["column_name"] for r in counts)
    n: int = await conn.fetchval(
        f"SELECT count(*) FROM {table} WHERE site_id = ANY($1) AND least({least}) < 0",
        site_ids,
    )
    return n


async def _check(dsn: str, data: Traffic) -> None:
    conn = await asyncpg.connect(dsn, server_settings={"timezone": "UTC"})
    try:
        await migrate(conn)
        await install(conn)
        site_ids = [
            await add_site(conn, f"p{i}", [f"p{i}.example"], zone) for i, zone in enumerate(ZONES)
        ]
        goals, dimensions = {}, {}
        for site in site_ids:
            goals[site] = [
                await add_goal(conn, site, GoalSpec("Visit A", "url", "contains", "/a")),
                await add_goal(conn, site, GoalSpec("Signup", "manually", allow_multiple=True)),
            ]
            dimensions[site] = [
                await add_dimension(conn, site, "Member", "visit"),
                await add_dimension(conn, site, "Colour", "action"),
            ]
        hits = []
        for batch, h in data.hits:
            site = site_ids[h.site_id]
            hits.append((batch, _with_ids(h, site, goals[site], dimensions[site])))
        first = min(h.ts for _, h in hits)
        last = max(h.ts for _, h in hits)
        await ensure_partitions(conn, first, int((last - first).total_seconds() // 3600) + 2)
        base = await conn.fetchval("SELECT now()")
        step = timedelta(microseconds=10)
        # Each batch arrives at its own instant, and the roll-up runs after each.
        records = [(*h.record(), base + batch * step) for batch, h in hits]
        await conn.copy_records_to_table("hits", records=records, columns=(*COLUMNS, "arrival"))
        now = last + timedelta(hours=1)
        for batch in sorted({b for b, _ in hits}):
            await roll_up(conn, now, 7, arrived_until=base + (batch + 1) * step)
            for table in AGGREGATE_TABLES:
                negative = await _negative(conn, table, site_ids)
                assert negative == 0, f"negative counts in {table} after batch {batch}"
        day0 = data.window.date()
        periods = [(day0 + timedelta(days=a), day0 + timedelta(days=b)) for a, b in data.periods]
        for site in site_ids:
            for first_day, last_day in periods:
                await _same(conn, site, first_day, last_day)
    finally:
        await conn.close()


async def _same(conn: asyncpg.Connection, site: int, first: date, last: date) -> None:
    for name in report_names():
        got = await run_report(conn, name, site, first, last, 1000)
        want = await reference_report(conn, name, site, first, last, 1000)
        assert got == want, f"{name} of site {site} over {first}..{last}"
    await _facets_agree(conn, site, first, last)


# The visit facets (migration 013), summed over all but one dimension, are that dimension's
# own aggregate: the dashboard's filters read the facets, its unfiltered cards the others.
FACET_CHECKS = (
    ("browser", "agg_platforms", "value", "attribute = 'browser'"),
    ("os", "agg_platforms", "value", "attribute = 'os'"),
    ("device", "agg_platforms", "value", "attribute = 'device'"),
    ("country", "agg_countries", "country", "true"),
    ("ref_type || '/' || ref_name", "agg_referrers", "ref_type || '/' || ref_name", "true"),
)


async def _facets_agree(conn: asyncpg.Connection, site: int, first: date, last: date) -> None:
    measures = "sum(visits), sum(actions), sum(pageviews), sum(bounces), sum(visit_seconds)"
    for facet, table, key, where in FACET_CHECKS:
        got = await conn.fetch(
            f"SELECT {facet} AS k, {measures} FROM agg_visit_facets "
            "WHERE site_id = $1 AND day BETWEEN $2 AND $3 GROUP BY 1 HAVING sum(visits) <> 0 "
            "ORDER BY 1",
            site,
            first,
            last,
        )
        want = await conn.fetch(
            f"SELECT {key} AS k, {measures} FROM {table} "
            f"WHERE site_id = $1 AND day BETWEEN $2 AND $3 AND {where} GROUP BY 1 "
            "HAVING sum(visits) <> 0 ORDER BY 1",
            site,
            first,
            last,
        )
        assert [tuple(r) for r in got] == [tuple(r) for r in want], f"facets by {facet}"
    got_entries = await conn.fetch(
        "SELECT entry_page, sum(visits), sum(bounces) FROM agg_visit_facets "
        "WHERE site_id = $1 AND day BETWEEN $2 AND $3 AND entry_page <> '' GROUP BY 1 "
        "HAVING sum(visits) <> 0 ORDER BY 1",
        site,
        first,
        last,
    )
    want_entries = await conn.fetch(
        "SELECT page, sum(entries), sum(bounces) FROM agg_pages "
        "WHERE site_id = $1 AND day BETWEEN $2 AND $3 GROUP BY 1 HAVING sum(entries) <> 0 "
        "ORDER BY 1",
        site,
        first,
        last,
    )
    assert [tuple(r) for r in got_entries] == [tuple(r) for r in want_entries], "entry pages"
    await _raw_visits_agree(conn, site, first, last)


_VISIT_KEYS = "day, hour, ref_type, ref_name, campaign, browser, os, device, country, entry_page"


async def _raw_visits_agree(conn: asyncpg.Connection, site: int, first: date, last: date) -> None:
    """The raw visits (one row per visit, kept by the roll-up's delete and insert) add up to
    the visit facets, and what they did to agg_visit_actions (kept by the MERGEs' sums)."""
    raw = "count(*), sum(actions), sum(pageviews), sum((actions <= 1)::int), sum(seconds)"
    summed = "sum(visits), sum(actions), sum(pageviews), sum(bounces), sum(visit_seconds)"
    period = "site_id = $1 AND day BETWEEN $2 AND $3"
    for keys, got_sql, want_sql in (
        (
            _VISIT_KEYS,
            f"SELECT {_VISIT_KEYS}, {raw} FROM raw_visits WHERE {period}",
            f"SELECT {_VISIT_KEYS}, {summed} FROM agg_visit_facets WHERE {period}",
        ),
        (
            "day, hour, kind, value",
            "SELECT day, hour, split_part(t, ':', 1) AS kind, substr(t, strpos(t, ':') + 1) "
            f"AS value, {raw} FROM raw_visits CROSS JOIN unnest(did) AS t WHERE {period}",
            f"SELECT day, hour, kind, value, {summed} FROM agg_visit_actions WHERE {period}",
        ),
    ):
        n = len(keys.split(","))
        group = ", ".join(str(i) for i in range(1, n + 1))
        got = await conn.fetch(f"{got_sql} GROUP BY {group} ORDER BY {group}", site, first, last)
        want = await conn.fetch(
            f"{want_sql} GROUP BY {group} HAVING sum(visits) <> 0 ORDER BY {group}",
            site,
            first,
            last,
        )
        assert [tuple(r) for r in got] == [tuple(r) for r in want], f"raw visits by {keys}"


@pytest.mark.timeout(600)  # 27 reports and their references, for every example
# A failing example's traffic prints as 60 kB or more; Hypothesis warns about that, and the
# suite's warnings-as-errors would hide the example behind the warning.
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning")
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(traffic(len(ZONES)))
def test_every_report_from_the_aggregates_equals_the_reference_from_raw_hits(
    own_database: str, data: Traffic
) -> None:
    asyncio.run(_check(own_database, data))


@pytest.mark.timeout(300)
@settings(
    max_examples=max(1, EXAMPLES // 4),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=traffic(len(ZONES)))
def test_a_catch_up_planned_as_a_large_one_gives_the_same_reports(
    own_database: str, data: Traffic, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run of many hits ANALYZEs its work tables and applies without nested loops
    (rollup.py); the same traffic through that path, every run taken as large."""
    monkeypatch.setattr(rollup, "_ANALYZE_FROM_HITS", 0)
    monkeypatch.setattr(rollup, "_NO_NESTED_LOOPS_FROM_HITS", 0)
    asyncio.run(_check(own_database, data))


async def test_two_orders_of_a_visit_in_two_hours_count_as_two_orders_of_their_product(
    own_url: str,
) -> None:
    """A failing example the property test found: one visit on the night clocks change, an
    order of SKU1 and a later, different order with SKU1 too, each the first row of its hourly
    partition of hits. Matomo counts the distinct orders with the product (two)."""
    window = WINDOWS[0]
    session = uuid.UUID(int=7).hex
    first, later = window + timedelta(hours=8, minutes=7), window + timedelta(hours=12, minutes=36)

    def hit(ts: datetime, action: str, order: tuple[float, str] | None = None) -> Hit:
        revenue, items = order or (None, None)
        return Hit(
            site_id=1,
            ts=ts,
            session_id=session,
            new_visit=False,
            action=action,
            url="https://site.example/a",
            revenue=revenue,
            ec_items=items,
        )

    keep_alive = [hit(first + timedelta(minutes=20 * n), "pageview") for n in range(1, 14)]
    # the two orders first: each is the first row of its hour's partition
    hits = [hit(first, "order", ORDERS[0]), hit(later, "order", ORDERS[2]), *keep_alive]
    await _check(own_url, Traffic(window, [(0, h) for h in hits], [(0, 0), (-1, 3)]))
    conn = await asyncpg.connect(own_url)
    try:
        # what once hid the second order: both rows at one position, in two partitions
        assert (
            await conn.fetchval("SELECT count(DISTINCT ctid) FROM hits WHERE action = 'order'") == 1
        )
        site = await conn.fetchval("SELECT site_id FROM sites WHERE name = 'p1'")
        day = window.date()
        products = await run_report(conn, "products", site, day, day, 1000)
    finally:
        await conn.close()
    book = next(p for p in products if p["sku"] == "SKU1")
    assert (book["quantity"], book["revenue"], book["orders"], book["visits"]) == (3, 25.5, 2, 1)
