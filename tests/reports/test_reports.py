"""Every report over the fixed hit set (tests/reports/conftest.py), against known answers."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from collector.reports.period import MAX_DAYS
from collector.reports.runner import PAGE_CARD_NAMES, report_names, run_page_cards, run_report
from tests.reports.conftest import Seeded

REPORTS = [
    "browsers",
    "campaigns",
    "contents",
    "countries",  # issue #17
    "daily-pages",  # issue #18: the open-data export
    "daily-totals",  # issue #18: the open-data export
    "devices",
    "dimensions",
    "downloads",
    "ecommerce",
    "entry-pages",
    "events",
    "exit-pages",
    "goal-campaigns",
    "goal-channels",
    "goal-entry-pages",
    "goals",
    "goals-over-time",
    "languages",  # issue #17
    "os",
    "outlinks",
    "page-performance",
    "pages",
    "products",
    "referrers",
    "regions",  # issue #17
    "screen-sizes",  # issue #17
    "search-engines",
    "site-search",
    "summary",
    "titles",
    "usage-bots",
    "usage-browsers",
    "usage-by-hour",
    "usage-content",
    "usage-content-bytes",
    "usage-not-found",
    "usage-os",
    "usage-over-time",
    "usage-prefixes",
    "usage-referrers",
    "usage-status",
    "usage-summary",
    "visits-by-hour",
    "visits-over-time",
]


async def report(
    seeded: Seeded, name: str, first: date | None = None, last: date | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    async with seeded.server.pool.acquire() as conn:
        return await run_report(
            conn, name, seeded.site, first or seeded.d1, last or seeded.d2, limit
        )


def test_every_report_the_issue_names_exists() -> None:
    assert report_names() == REPORTS


async def test_summary_counts_visits_actions_bounces_and_heartbeat_time(seeded: Seeded) -> None:
    # Visits A..E; pageviews 2+1+1+3+1; D views /about twice: 7 unique; actions 3+4+1+4+1;
    # bounces C and E; durations 600+300+0+120+30 = 1050 s over 5 visits.
    assert await report(seeded, "summary") == [
        {
            "visits": 5,
            "pageviews": 8,
            "unique_pageviews": 7,
            "actions": 13,
            "bounce_rate": 40.0,
            "avg_visit_duration": 210,
            "actions_per_visit": 2.6,
        }
    ]


async def test_summary_of_one_day_counts_only_visits_that_start_on_it(seeded: Seeded) -> None:
    [d1] = await report(seeded, "summary", seeded.d1, seeded.d1)
    assert (d1["visits"], d1["pageviews"], d1["avg_visit_duration"]) == (3, 4, 300)
    [d3] = await report(seeded, "summary", seeded.d3, seeded.d3)
    assert (d3["visits"], d3["pageviews"], d3["bounce_rate"]) == (1, 1, 100.0)


async def test_summary_of_an_empty_period_is_zero_not_an_error(seeded: Seeded) -> None:
    [row] = await report(seeded, "summary", date(2001, 1, 1), date(2001, 1, 31))
    assert (row["visits"], row["pageviews"], row["bounce_rate"]) == (0, 0, None)


async def test_pages_group_by_path_without_query_or_fragment(seeded: Seeded) -> None:
    assert await report(seeded, "pages") == [
        {"page": "/", "pageviews": 3, "unique_pageviews": 3},
        {"page": "/about", "pageviews": 3, "unique_pageviews": 2},
        {"page": "/contact", "pageviews": 2, "unique_pageviews": 2},
    ]


async def test_limit_cuts_the_rows_after_ordering(seeded: Seeded) -> None:
    assert [r["page"] for r in await report(seeded, "pages", limit=1)] == ["/"]


async def test_entry_pages_are_the_first_pageview_of_each_visit(seeded: Seeded) -> None:
    assert await report(seeded, "entry-pages") == [
        {"page": "/", "entrances": 2, "bounces": 0, "bounce_rate": 0.0, "pageviews": 3},
        {"page": "/contact", "entrances": 2, "bounces": 2, "bounce_rate": 100.0, "pageviews": 2},
        {"page": "/about", "entrances": 1, "bounces": 0, "bounce_rate": 0.0, "pageviews": 3},
    ]


async def test_exit_pages_are_the_last_pageview_of_each_visit(seeded: Seeded) -> None:
    assert await report(seeded, "exit-pages") == [
        {"page": "/about", "exits": 2, "pageviews": 3, "exit_rate": 100.0},
        {"page": "/contact", "exits": 2, "pageviews": 2, "exit_rate": 100.0},
        {"page": "/", "exits": 1, "pageviews": 3, "exit_rate": 33.3},
    ]


@pytest.mark.parametrize("limit", [1, 2, 100])
async def test_the_dashboards_one_pass_over_pages_gives_each_page_reports_rows(
    seeded: Seeded, limit: int
) -> None:
    periods = [(seeded.d1, seeded.d2), (seeded.d2, seeded.d3), (seeded.d3, seeded.d3)]
    periods.append((seeded.d3 + timedelta(days=1), seeded.d3 + timedelta(days=2)))  # none
    for first, last in periods:
        async with seeded.server.pool.acquire() as conn:
            together = await run_page_cards(conn, seeded.site, first, last, limit)
        alone = {name: await report(seeded, name, first, last, limit) for name in PAGE_CARD_NAMES}
        assert together == alone, (first, last)
        if first == seeded.d1:  # the seeded pages: every card has rows, ties at limit 1
            assert all(len(rows) == min(limit, 3) for rows in together.values())


async def test_titles(seeded: Seeded) -> None:
    assert await report(seeded, "titles") == [
        {"title": "About", "pageviews": 3, "unique_pageviews": 2},
        {"title": "Home", "pageviews": 3, "unique_pageviews": 3},
        {"title": "Contact", "pageviews": 2, "unique_pageviews": 2},
    ]


async def test_referrers_by_channel_and_source(seeded: Seeded) -> None:
    assert await report(seeded, "referrers") == [
        {"type": "campaign", "name": "spring", "visits": 1, "actions": 4, "bounce_rate": 0.0},
        {"type": "direct", "name": None, "visits": 1, "actions": 1, "bounce_rate": 100.0},
        {"type": "search", "name": "Google", "visits": 1, "actions": 3, "bounce_rate": 0.0},
        {"type": "social", "name": "Facebook", "visits": 1, "actions": 1, "bounce_rate": 100.0},
        {"type": "website", "name": "blog.example", "visits": 1, "actions": 4, "bounce_rate": 0.0},
    ]


async def test_campaigns(seeded: Seeded) -> None:
    assert await report(seeded, "campaigns") == [
        {
            "campaign": "spring",
            "source": "newsletter",
            "medium": "email",
            "visits": 1,
            "actions": 4,
            "bounce_rate": 0.0,
        }
    ]


async def test_search_engines(seeded: Seeded) -> None:
    assert await report(seeded, "search-engines") == [
        {"search_engine": "Google", "visits": 1, "actions": 3, "bounce_rate": 0.0}
    ]


async def test_browsers_os_and_devices_count_visits_and_never_the_bot(seeded: Seeded) -> None:
    browsers = [(r["browser"], r["visits"]) for r in await report(seeded, "browsers")]
    assert browsers == [("Mobile Safari", 2), ("Chrome", 1), ("Chrome Mobile", 1), ("Firefox", 1)]
    systems = {r["os"]: r["visits"] for r in await report(seeded, "os")}
    assert systems == {"iOS": 2, "Android": 1, "Linux": 1, "Windows": 1}
    assert await report(seeded, "devices") == [
        {"device": "desktop", "visits": 2, "actions": 4, "bounce_rate": 50.0},
        {"device": "tablet", "visits": 2, "actions": 5, "bounce_rate": 50.0},
        {"device": "mobile", "visits": 1, "actions": 4, "bounce_rate": 0.0},
    ]


async def test_screen_sizes_by_width_class_and_resolution_of_the_visits_first_hit(
    seeded: Seeded,
) -> None:
    assert await report(seeded, "screen-sizes") == [
        {"width": "(unknown)", "resolution": None, "visits": 3, "actions": 6, "bounce_rate": 66.7},
        {"width": "< 576", "resolution": "412x915", "visits": 1, "actions": 4, "bounce_rate": 0.0},
        {
            "width": "≥ 1920",
            "resolution": "1920x1080",
            "visits": 1,
            "actions": 3,
            "bounce_rate": 0.0,
        },
    ]


async def test_languages_by_primary_language_counting_those_with_a_region(seeded: Seeded) -> None:
    assert await report(seeded, "languages") == [
        {"language": "(unknown)", "visits": 3, "with_region": 0, "actions": 9, "bounce_rate": 33.3},
        {"language": "de", "visits": 1, "with_region": 1, "actions": 3, "bounce_rate": 0.0},
        {"language": "en", "visits": 1, "with_region": 0, "actions": 1, "bounce_rate": 100.0},
    ]


async def test_countries_and_regions_from_the_geoip_database(seeded: Seeded) -> None:
    assert await report(seeded, "countries") == [
        {"country": "DE", "visits": 5, "actions": 13, "bounce_rate": 40.0}
    ]
    assert await report(seeded, "regions") == [
        {"country": "DE", "region": "DE-BE", "visits": 5, "actions": 13, "bounce_rate": 40.0}
    ]


async def test_events_sum_counts_and_values(seeded: Seeded) -> None:
    assert await report(seeded, "events") == [
        {
            "category": "Video",
            "action": "play",
            "name": "intro",
            "events": 2,
            "visits": 2,
            "value": 4.0,
        }
    ]


async def test_downloads_and_outlinks_show_targets_without_query(seeded: Seeded) -> None:
    assert await report(seeded, "downloads") == [
        {
            "url": f"https://{seeded.server.domain}/files/plan.pdf",
            "downloads": 1,
            "visits": 1,
        }
    ]
    assert await report(seeded, "outlinks") == [
        {"url": "https://partner.example/offer", "clicks": 1, "visits": 1}
    ]


async def test_site_search_keywords_are_lowercased(seeded: Seeded) -> None:
    assert await report(seeded, "site-search") == [
        {"keyword": "opening hours", "searches": 1, "visits": 1, "no_results": 0}
    ]


async def test_visits_over_time_has_every_day_of_the_period(seeded: Seeded) -> None:
    rows = await report(seeded, "visits-over-time", seeded.d1, seeded.d3)
    assert rows == [
        {"day": seeded.d1.isoformat(), "visits": 3, "pageviews": 4, "actions": 8},
        {"day": seeded.d2.isoformat(), "visits": 2, "pageviews": 4, "actions": 5},
        {"day": seeded.d3.isoformat(), "visits": 1, "pageviews": 1, "actions": 1},
    ]


async def test_daily_totals_are_sums_only_for_every_day(seeded: Seeded) -> None:
    # D1: A (3 actions, 600 s), B (4, 300 s), C (a bounce, 0 s); D2: D (4, 120 s), E (30 s).
    rows = await report(seeded, "daily-totals", seeded.d1, seeded.d2)
    assert rows == [
        {"day": seeded.d1.isoformat(), "visits": 3, "pageviews": 4, "actions": 8,
         "bounces": 1, "visit_seconds": 900},
        {"day": seeded.d2.isoformat(), "visits": 2, "pageviews": 4, "actions": 5,
         "bounces": 1, "visit_seconds": 150},
    ]  # fmt: skip


async def test_daily_pages_lists_the_top_pages_of_each_day_up_to_the_limit(
    seeded: Seeded,
) -> None:
    rows = await report(seeded, "daily-pages", seeded.d1, seeded.d2, limit=2)
    assert [(r["day"], r["page"], r["pageviews"], r["unique_pageviews"]) for r in rows] == [
        (seeded.d1.isoformat(), "/", 2, 2),
        (seeded.d1.isoformat(), "/about", 1, 1),
        (seeded.d2.isoformat(), "/about", 2, 1),
        (seeded.d2.isoformat(), "/", 1, 1),
    ]


async def test_visits_by_hour_has_every_hour_and_counts_a_visit_where_it_starts(
    seeded: Seeded,
) -> None:
    rows = await report(seeded, "visits-by-hour", seeded.d1, seeded.d1)
    assert len(rows) == 24
    busy = {r["hour"][11:13]: (r["visits"], r["pageviews"]) for r in rows if r["actions"]}
    assert busy == {"10": (1, 2), "12": (1, 1), "15": (1, 1)}
    assert rows[0]["hour"] == f"{seeded.d1.isoformat()}T00:00Z"


async def test_no_report_shows_a_query_string_or_the_bot(seeded: Seeded) -> None:
    for name in REPORTS:
        text = repr(await report(seeded, name, seeded.d1, seeded.d3))
        for secret in ("secret", "s3cret", "id=7", "mtm_", "frag", "Googlebot"):
            assert secret not in text, (name, secret)


async def test_a_report_of_another_site_sees_none_of_these_hits(seeded: Seeded) -> None:
    other = await seeded.server.add_site("Other", "other-reports.example")
    async with seeded.server.pool.acquire() as conn:
        [row] = await run_report(conn, "summary", other, seeded.d1, seeded.d3)
    assert row["visits"] == 0


@pytest.mark.parametrize("name", REPORTS)
async def test_every_report_runs_on_the_longest_period_allowed(seeded: Seeded, name: str) -> None:
    first = seeded.d3 - timedelta(days=MAX_DAYS - 1)
    assert await report(seeded, name, first, seeded.d3) != []


async def test_goal_ecommerce_content_timing_and_dimension_reports_have_the_known_numbers(
    seeded: Seeded,
) -> None:
    contact, newsletter = seeded.server.goals
    goals = {r["goal_id"]: r for r in await report(seeded, "goals")}
    # Contact: visits C and E viewed /contact; Newsletter: idgoal in visit B, revenue sent.
    assert (goals[contact]["conversions"], goals[contact]["conversion_rate"]) == (2, 40.0)
    assert (goals[newsletter]["conversions"], goals[newsletter]["revenue"]) == (1, 5.0)
    channels = {
        (r["goal"], r["channel"], r["source"]) for r in await report(seeded, "goal-channels")
    }
    assert channels == {
        ("Contact", "direct", None),
        ("Contact", "social", "Facebook"),
        ("Newsletter", "campaign", "spring"),
    }
    [shop] = await report(seeded, "ecommerce")
    assert (shop["orders"], shop["revenue"], shop["items"], shop["cart_updates"]) == (1, 25.0, 2, 1)
    assert shop["abandoned_carts"] == 0  # the cart was ordered
    [product] = await report(seeded, "products")
    assert (product["sku"], product["quantity"], product["revenue"]) == ("SKU-1", 2, 25.0)
    [banner] = await report(seeded, "contents")
    assert (banner["target"], banner["impressions"], banner["interactions"]) == (
        "https://partner.example/",
        1,
        1,
    )
    [home] = await report(seeded, "page-performance")
    # one timing per phase: the 75th percentile is read 3/4 into its bucket ([10, 25), [150, 200))
    assert (home["page"], home["avg_network"], home["p75_network"]) == ("/", 20, 21)
    assert (home["avg_server"], home["p75_server"], home["avg_transfer"]) == (180, 188, None)
    [member] = await report(seeded, "dimensions")
    assert (member["dimension"], member["value"], member["visits"], member["actions"]) == (
        "Member",
        "member",
        1,
        3,
    )
