"""The dashboard's periods, comparison, filters and live line, on the fixed hit set.

The hit set (tests/reports/conftest.py), D1 and D2: A Firefox from Google, entry /, views /
and /about, 3 actions, 600 s; B Chrome Mobile from the Spring campaign, entry /, 4 actions
(pageview, search, event Video, outlink), converts goal 2; C Mobile Safari (tablet), direct,
/contact only (a bounce); D the same session on D2 from blog.example, entry /about, views
/about, /, /about and an event Video, 4 actions, 120 s; E Chrome (Windows) from Facebook,
/contact only (a bounce, 30 s).
"""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import orjson
import pytest

from collector.access.sessions import COOKIE
from collector.reports.period import comparison_period, local_today, preset_period
from tests.reports.conftest import Seeded
from tests.support import dashboard_cookie, request


@pytest.fixture
async def session(seeded: Seeded) -> dict[str, str]:
    return {COOKIE: await dashboard_cookie(seeded.server.base)}


async def page(seeded: Seeded, session: dict[str, str], **params: Any) -> tuple[int, str]:
    query = urlencode({"site": seeded.site, "from": seeded.d1, "to": seeded.d2, **params})
    status, _, body = await request(
        "GET", f"{seeded.server.base}/dashboard?{query}", cookies=session
    )
    return status, body.decode()


def metric(body: str, name: str) -> str:
    found = re.search(rf'data-metric="{name}" data-value="([^"]*)"', body)
    assert found, name
    return found.group(1)


def card(body: str, report: str) -> str:
    found = re.search(rf'<section data-report="{re.escape(report)}">(.*?)</section>', body, re.S)
    assert found, report
    return found.group(1)


def column(body: str, report: str, *names: str) -> list[int]:
    """The numbers of a card's column, found by its header (the first of `names` it has)."""
    inner = card(body, report)
    heads = [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<th[^>]*>(.*?)</th>", inner)]
    if not heads:  # "Nothing in this period."
        return []
    at = next(heads.index(n) for n in names if n in heads)
    rows = re.findall(r"<tr>(<td.*?)</tr>", inner, re.S)
    return [int(re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)[at]) for r in rows]


def first_cells(body: str, report: str) -> list[str]:
    """The first cell of each row of a card, as text."""
    rows = re.findall(r"<tr><td[^>]*>(.*?)</td>", card(body, report), re.S)
    return [unescape(re.sub(r"<[^>]+>", "", r)) for r in rows]


# Periods -----------------------------------------------------------------------------------


def test_presets_are_local_days_of_the_sites_zone_across_a_clock_change() -> None:
    # 23:30 UTC on 28 March 2026 is already 29 March in Berlin, the night clocks go forward
    now = datetime(2026, 3, 28, 23, 30, tzinfo=UTC)
    berlin = local_today(now, "Europe/Berlin")
    assert berlin == date(2026, 3, 29) and local_today(now, "UTC") == date(2026, 3, 28)
    assert preset_period("today", berlin) == (date(2026, 3, 29), date(2026, 3, 29))
    assert preset_period("yesterday", berlin) == (date(2026, 3, 28), date(2026, 3, 28))
    assert preset_period("last7", berlin) == (date(2026, 3, 23), date(2026, 3, 29))
    assert preset_period("last30", berlin) == (date(2026, 2, 28), date(2026, 3, 29))
    assert preset_period("month", berlin) == (date(2026, 3, 1), date(2026, 3, 29))
    assert preset_period("lastmonth", berlin) == (date(2026, 2, 1), date(2026, 2, 28))
    assert preset_period("year", berlin) == (date(2026, 1, 1), date(2026, 3, 29))
    # 05:00 UTC on 1 March is still February in Los Angeles: this month is February
    la = local_today(datetime(2026, 3, 1, 5, tzinfo=UTC), "America/Los_Angeles")
    assert preset_period("month", la) == (date(2026, 2, 1), date(2026, 2, 28))
    assert preset_period("lastmonth", la) == (date(2026, 1, 1), date(2026, 1, 31))
    assert preset_period("lastmonth", date(2026, 1, 15)) == (date(2025, 12, 1), date(2025, 12, 31))
    with pytest.raises(ValueError, match="period: one of"):
        preset_period("fortnight", berlin)


def test_comparison_periods_are_the_days_before_or_a_year_before() -> None:
    assert comparison_period(date(2026, 3, 1), date(2026, 3, 7), "previous") == (
        date(2026, 2, 22),
        date(2026, 2, 28),
    )
    assert comparison_period(date(2028, 2, 29), date(2028, 2, 29), "year") == (
        date(2027, 2, 28),
        date(2027, 2, 28),
    )
    with pytest.raises(ValueError, match="compare: one of"):
        comparison_period(date(2026, 3, 1), date(2026, 3, 1), "week")


async def test_a_preset_in_the_url_is_that_period_and_stays_in_every_link(
    seeded: Seeded, session: dict[str, str]
) -> None:
    query = urlencode({"site": seeded.site, "period": "yesterday"})
    status, _, raw = await request(
        "GET", f"{seeded.server.base}/dashboard?{query}", cookies=session
    )
    body = raw.decode()
    assert status == 200
    yesterday = seeded.d3  # the clock is at noon the day after D3
    assert f"<h1>Reports site · {yesterday.isoformat()}</h1>" in body
    assert metric(body, "visits") == "1"  # visit F
    assert 'aria-current="page">Yesterday</a>' in body
    links = [unescape(h) for h in re.findall(r'<td[^>]*><a href="([^"]+)"', body)]
    assert links and all("period=yesterday" in h for h in links)


async def test_a_preset_and_from_to_together_or_an_unknown_one_are_400(
    seeded: Seeded, session: dict[str, str]
) -> None:
    status, body = await page(seeded, session, period="last7")
    assert status == 400 and "period: give it or from/to" in body
    query = urlencode({"site": seeded.site, "period": "someday"})
    status, _, raw = await request(
        "GET", f"{seeded.server.base}/dashboard?{query}", cookies=session
    )
    assert status == 400 and b"period: one of" in raw
    status, body = await page(seeded, session, compare="week")
    assert status == 400 and "compare: one of" in body


async def test_a_one_day_chart_in_a_zone_with_a_clock_change_has_23_local_hours(
    seeded: Seeded, session: dict[str, str]
) -> None:
    site = await seeded.server.add_site("Berlin", "berlin-dst.example", timezone="Europe/Berlin")
    before = seeded.server.clock.now
    seeded.server.clock.now = datetime(2026, 3, 29, 10, tzinfo=UTC)  # 12:00 in Berlin
    try:
        query = urlencode({"site": site, "period": "today"})
        status, _, raw = await request(
            "GET", f"{seeded.server.base}/dashboard?{query}", cookies=session
        )
    finally:
        seeded.server.clock.now = before
    body = raw.decode()
    assert status == 200 and "Berlin · 2026-03-29" in body
    assert len(re.findall(r'<rect class="bar" ', body)) == 23  # 02:00 never happened
    ticks = re.findall(r'<text class="label tick"[^>]*>([^<]+)</text>', body)
    assert ticks == ["00:00", "04:00", "08:00", "12:00", "16:00", "20:00"]
    assert "T00:00" not in body.split("<svg", 1)[1].split("</svg>")[0].replace("title", "")


# Comparison --------------------------------------------------------------------------------


async def test_comparison_with_the_previous_period_gives_deltas_by_hand(
    seeded: Seeded, session: dict[str, str]
) -> None:
    status, body = await page(
        seeded, session, **{"from": seeded.d2, "to": seeded.d2}, compare="previous"
    )
    assert status == 200
    # D2: visits D and E; D1 before it: A, B, C. Pageviews 4 (D: 3, E: 1) against 4 (A 2, B 1, C 1).
    assert re.search(r'data-metric="visits"[^>]*>.*?data-delta="-1"', body)
    li = re.search(r'<li data-metric="visits".*?</li>', body).group(0)  # type: ignore[union-attr]
    assert "\u22121 (\u221233 %)" in unescape(li)
    li = re.search(r'<li data-metric="pageviews".*?</li>', body).group(0)  # type: ignore[union-attr]
    assert "\u00b10" in unescape(li)
    # bounce rate: 50.0 % (E of D, E) against 33.3 % (C of A, B, C): +16.7 percentage points
    li = re.search(r'<li data-metric="bounce_rate".*?</li>', body).group(0)  # type: ignore[union-attr]
    assert "+16.7 pp" in unescape(li)
    # per row: /about viewed 2 times on D2 (D), once on D1 (A): +1 (+100 %)
    pages = card(body, "pages")
    row = re.search(r"<tr><td[^>]*><a[^>]*>/about</a>.*?</tr>", pages, re.S).group(0)  # type: ignore[union-attr]
    assert "+1 (+100 %)" in unescape(row)
    assert f"Compared with {seeded.d1.isoformat()}" in body
    # one day: by the hour; the earlier day drawn faintly behind, hour by hour
    earlier = [
        int(v) for v in re.findall(r'<rect class="bar earlier"[^>]*data-value="(\d+)"', body)
    ]
    assert len(earlier) == 24 and sum(earlier) == 3 and earlier[10] == 1  # A at 10:00 UTC


async def test_comparison_with_a_year_before_and_nothing_then(
    seeded: Seeded, session: dict[str, str]
) -> None:
    status, body = await page(seeded, session, compare="year")
    assert status == 200
    li = re.search(r'<li data-metric="visits".*?</li>', body).group(0)  # type: ignore[union-attr]
    assert "+5" in unescape(li) and "%" not in unescape(li).split("+5", 1)[1][:4]
    assert 'class="num">new</td>' in body


# Filters -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "visits", "pageviews"),
    [
        ({"browser": "Firefox"}, 1, 2),
        ({"device": "tablet"}, 2, 4),
        ({"device": "tablet", "channel": "direct"}, 1, 1),
        ({"channel": "social", "source": "Facebook"}, 1, 1),
        ({"campaign": "spring"}, 1, 1),
        ({"country": "DE"}, 5, 8),
        ({"entry": "/contact"}, 2, 2),
        ({"browser": "Firefox", "device": "tablet"}, 0, 0),
        ({"page": "/about"}, 2, 5),  # A and D viewed /about
        ({"page": "/about", "channel": "website"}, 1, 3),
        ({"event": "Video"}, 2, 4),
        ({"event": "Video", "page": "/about"}, 1, 3),  # two things done: raw hits
        ({"event": "Video", "page": "/about", "device": "tablet"}, 1, 3),
        ({"event": "Video", "page": "/contact"}, 0, 0),
    ],
)
async def test_filters_narrow_the_numbers_and_every_card_and_combine(
    seeded: Seeded, session: dict[str, str], filters: dict[str, str], visits: int, pageviews: int
) -> None:
    status, body = await page(seeded, session, **filters)
    assert status == 200, body
    assert metric(body, "visits") == str(visits)
    assert metric(body, "pageviews") == str(pageviews)
    bars = [int(v) for v in re.findall(r'<rect class="bar" [^>]*data-value="(\d+)"', body)]
    assert sum(bars) == visits and len(bars) == 2
    for report in ("referrers", "browsers", "os", "devices", "countries", "entry-pages"):
        assert sum(column(body, report, "visits", "entrances")) == visits, report
    for report in ("pages", "events", "downloads", "titles"):
        assert "Not available with a filter" in card(body, report)
    chips = re.findall(r'<li data-filter="([a-z]+)">', body)
    assert sorted(chips) == sorted(filters)


async def test_goal_filter_reads_the_visits_that_converted(
    seeded: Seeded, session: dict[str, str]
) -> None:
    status, body = await page(seeded, session, goal=seeded.server.goals[1])
    assert status == 200 and metric(body, "visits") == "1"  # B
    assert first_cells(body, "browsers") == ["Chrome Mobile"]


async def test_every_row_links_to_its_filter_and_a_chip_removes_only_its_own(
    seeded: Seeded, session: dict[str, str]
) -> None:
    status, body = await page(seeded, session)
    assert status == 200
    links = {
        unescape(text): dict(parse_qsl(urlsplit(unescape(href)).query))
        for href, text in re.findall(
            r'<td[^>]*><a href="([^"]+)"[^>]*>([^<]+)</a>', card(body, "browsers")
        )
    }
    assert set(links) == {"Mobile Safari", "Chrome", "Chrome Mobile", "Firefox"}
    assert links["Firefox"]["browser"] == "Firefox"
    for section in (
        "pages",
        "entry-pages",
        "referrers",
        "campaigns",
        "os",
        "devices",
        "countries",
        "events",
    ):
        assert re.search(r"<td[^>]*><a href=", card(body, section)), section

    status, body = await page(seeded, session, browser="Mobile Safari", device="tablet")
    assert status == 200 and metric(body, "visits") == "2"
    removes = {
        key: dict(parse_qsl(urlsplit(unescape(href)).query))
        for key, href in re.findall(
            r'<li data-filter="([a-z]+)">.*?<a href="([^"]+)"[^>]*data-remove', body
        )
    }
    assert removes["browser"].get("device") == "tablet" and "browser" not in removes["browser"]
    assert removes["device"].get("browser") == "Mobile Safari"
    assert removes["browser"]["from"] == seeded.d1.isoformat()
    # a row link under a filter keeps it and adds its own
    link = re.search(r'<td[^>]*><a href="([^"]+)"[^>]*>/about</a>', card(body, "entry-pages"))
    assert link
    added = dict(parse_qsl(urlsplit(unescape(link.group(1))).query))
    assert added["entry"] == "/about" and added["device"] == "tablet"


async def test_two_filters_by_what_visits_did_say_where_raw_hits_end(
    seeded: Seeded, session: dict[str, str]
) -> None:
    today = seeded.d3 + timedelta(days=1)
    raw_first = today - timedelta(days=6)
    old = {"from": seeded.d1 - timedelta(days=40), "to": seeded.d1 - timedelta(days=30)}
    both = {"page": "/about", "event": "Video"}  # D only: A viewed /about, B sent the event
    status, body = await page(seeded, session, **both, **old)
    assert status == 200
    assert "can only be applied to the last 7 days" in body
    assert "nothing in this period can be" in body and metric(body, "visits") == "0"
    status, body = await page(seeded, session, **both, **{"from": seeded.d1 - timedelta(days=20)})
    assert status == 200 and metric(body, "visits") == "1"
    assert f"the numbers are for {raw_first.isoformat()}" in unescape(body)
    # one such filter (agg_visit_actions), or visit values (the facets): any period, no note
    for one in ({"page": "/about"}, {"browser": "Firefox"}, {"goal": "2", "device": "smartphone"}):
        status, body = await page(seeded, session, **one, **old)
        assert status == 200 and "data-coverage" not in body


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"channel": "newsletter"}, "channel: one of"),
        ({"page": "about"}, "page: a URL path"),
        ({"goal": "1 OR 1=1"}, "goal: must be a positive integer"),
        ({"browser": "x" * 301}, "browser: at most 300"),
        ({"browser": "Fire\x00fox"}, "browser: control characters"),
        ({"country": "DE\nX"}, "country: control characters"),
    ],
)
async def test_a_bad_filter_is_400_with_its_reason(
    seeded: Seeded, session: dict[str, str], params: dict[str, str], reason: str
) -> None:
    status, body = await page(seeded, session, **params)
    assert status == 400 and reason in unescape(body)


async def test_a_repeated_filter_is_400(seeded: Seeded, session: dict[str, str]) -> None:
    query = f"site={seeded.site}&browser=Firefox&browser=Chrome"
    status, _, body = await request(
        "GET", f"{seeded.server.base}/dashboard?{query}", cookies=session
    )
    assert status == 400 and b"browser: give it once" in body


async def test_injection_in_filters_is_a_value_that_matches_nothing_and_harms_nothing(
    seeded: Seeded, session: dict[str, str]
) -> None:
    from tests.reports.test_api import INJECTIONS

    before = await stored(seeded.server.pool)
    for attack in INJECTIONS:
        for key in ("browser", "source", "campaign", "country", "event"):
            status, body = await page(seeded, session, **{key: attack})
            assert status in (200, 400) and "<script" not in body
            if status == 200:
                assert metric(body, "visits") == "0"
        status, body = await page(seeded, session, page="/" + attack)
        assert status == 200 and metric(body, "visits") == "0"
    assert await stored(seeded.server.pool) == before


async def stored(pool: Any) -> list[str]:
    """Every row of every table but the roll-ups' own state, which the scheduler advances
    every 15 seconds whatever a request does."""
    async with pool.acquire() as conn:
        tables = await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' "
            "AND table_type = 'BASE TABLE' AND table_name NOT LIKE '%rollup_state' "
            "ORDER BY table_name"
        )
        return [
            f"{t['table_name']} {r['row']}"
            for t in tables
            for r in await conn.fetch(f'SELECT t::text AS row FROM "{t["table_name"]}" t')
        ]


async def test_a_share_link_filters_only_by_the_cards_it_shows(seeded: Seeded) -> None:
    status, _, body = await request(
        "POST",
        f"{seeded.server.base}/api/sites/{seeded.site}/shares",
        headers={"Authorization": "Bearer test-token", "Content-Type": "application/json"},
        data=orjson.dumps({"cards": ["summary", "chart", "browsers", "search-engines"]}),
    )
    assert status == 201, body
    path = orjson.loads(body)["path"]
    period = {"from": seeded.d1, "to": seeded.d2}
    status, _, raw = await request(
        "GET", f"{seeded.server.base}{path}?{urlencode({**period, 'browser': 'Firefox'})}"
    )
    text = raw.decode()
    assert status == 200 and metric(text, "visits") == "1"
    links = re.findall(r'<td[^>]*><a href="([^"]+)"', text)
    assert links and all(unescape(h).startswith(f"{path}?") for h in links)
    assert "site=" not in unescape(links[0])
    # the search engines card: its own rows' filters (channel search and a source), no other
    status, _, raw = await request(
        "GET",
        f"{seeded.server.base}{path}?"
        + urlencode({**period, "channel": "search", "source": "Google"}),
    )
    assert status == 200 and metric(raw.decode(), "visits") == "1"
    refusals = ({"country": "DE"}, {"page": "/about"}, {"channel": "direct"}, {"source": "x"})
    for refused in refusals:
        status, _, raw = await request(
            "GET", f"{seeded.server.base}{path}?{urlencode({**period, **refused})}"
        )
        assert status == 403 and b"this link does not show" in raw


# Live --------------------------------------------------------------------------------------


async def test_live_json_carries_counts_and_pages_and_no_identifiers(
    seeded: Seeded, session: dict[str, str]
) -> None:
    from tests.reports.conftest import FIREFOX_LINUX, Browser

    site = await seeded.server.add_site("Live", "live-now.example")
    before = seeded.server.clock.now
    server = seeded.server
    saved = (server.site_id, server.domain)
    server.site_id, server.domain = site, "live-now.example"
    try:
        visitor = Browser(server, FIREFOX_LINUX)
        await visitor.hit(before - timedelta(minutes=5), "/now", action_name="Now")
        await visitor.hit(before - timedelta(minutes=4), "/later", action_name="Later")
        await server.flush()
    finally:
        server.site_id, server.domain = saved
        server.clock.now = before
    query = urlencode({"site": site, "period": "today"})
    status, _, raw = await request("GET", f"{server.base}/dashboard?{query}", cookies=session)
    body = raw.decode()
    assert status == 200 and 'data-live="1"' in body
    src = unescape(re.search(r'data-live-src="([^"]+)"', body).group(1))  # type: ignore[union-attr]
    script = re.search(r'<script src="(/dashboard/live\.[0-9a-f]+\.js)" defer>', body)
    assert script and "<script>" not in body  # nothing inline
    status, headers, raw = await request("GET", f"{server.base}{src}", cookies=session)
    assert status == 200 and headers["Cache-Control"] == "no-store"
    doc = orjson.loads(raw)
    assert doc == {
        "minutes": 30,
        "visitors": 1,
        "pageviews": 2,
        "pages": [{"page": "/later", "visitors": 1}],
    }
    session_cookie = visitor.jar.get("collector_session", "")
    assert session_cookie and session_cookie not in raw.decode()
    status, headers, js = await request("GET", f"{server.base}{script.group(1)}")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert b"textContent" in js and b"innerHTML" not in js
    status, _, _ = await request("GET", f"{server.base}/dashboard/live.0000000000000000.js")
    assert status == 404


# In Chromium --------------------------------------------------------------------------------


async def _logged_in_page(browser: Any, base: str, **options: Any) -> Any:
    from tests.support import CHROME_UA

    context = await browser.new_context(user_agent=CHROME_UA, **options)
    page = await context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    await page.goto(f"{base}/dashboard")
    await page.fill("input[name=password]", "test-token")
    await page.click("button[type=submit]")
    await page.wait_for_selector("ul.numbers")
    return context, page, problems


@pytest.mark.browser
async def test_presets_filters_chips_and_comparison_work_with_javascript_off(
    seeded: Seeded,
) -> None:
    from tests.browser import launch_chromium

    base = seeded.server.base
    async with launch_chromium() as browser:
        context, tab, problems = await _logged_in_page(
            browser, base, java_script_enabled=False, viewport={"width": 390, "height": 844}
        )
        await tab.goto(f"{base}/dashboard?site={seeded.site}&from={seeded.d1}&to={seeded.d2}")
        await tab.click("nav.presets >> text=Yesterday")
        assert "period=yesterday" in tab.url
        assert await tab.get_attribute("[data-metric=visits]", "data-value") == "1"
        await tab.click("nav.presets >> text=Last 7 days")
        await tab.click("section[data-report=browsers] >> text=Firefox")
        assert await tab.inner_text(".chips [data-filter=browser]") == "Browser: Firefox\u00d7"
        assert await tab.get_attribute("[data-metric=visits]", "data-value") == "1"
        await tab.click("section[data-report=devices] td a")  # and Firefox's one device
        assert len(await tab.query_selector_all(".chips [data-filter]")) == 2
        await tab.click(".chips [data-filter=browser] [data-remove]")
        assert [
            await c.get_attribute("data-filter")
            for c in await tab.query_selector_all(".chips [data-filter]")
        ] == ["device"]
        await tab.click(".chips [data-clear]")
        assert await tab.query_selector(".chips") is None
        await tab.select_option("select[name=compare]", "previous")
        await tab.click("form.period button[type=submit]")
        assert "compare=previous" in tab.url
        assert await tab.query_selector("[data-metric=visits] .delta") is not None
        assert await tab.query_selector("svg.chart rect.earlier") is not None
        assert problems == []
        await context.close()


@pytest.mark.browser
async def test_live_line_refreshes_and_chart_text_stays_legible_on_a_phone(
    seeded: Seeded,
) -> None:
    from tests.browser import launch_chromium

    base = seeded.server.base
    async with launch_chromium() as browser:
        context, tab, problems = await _logged_in_page(
            browser, base, viewport={"width": 390, "height": 844}
        )
        await tab.goto(f"{base}/dashboard?site={seeded.site}&period=last30")
        await tab.wait_for_selector("p.live[data-refreshed]", timeout=10_000)
        sizes = await tab.eval_on_selector_all(
            "svg.chart text", "els => els.map(e => getComputedStyle(e).fontSize)"
        )
        assert sizes and set(sizes) == {"12px"}  # CSS pixels, not scaled by a viewBox
        boxes = await tab.eval_on_selector_all(
            "svg.chart text.tick",
            "els => els.map(e => { const r = e.getBoundingClientRect(); "
            "return [r.left, r.right]; })",
        )
        assert len(boxes) >= 4
        for (_, right), (left, _) in itertools.pairwise(boxes):
            assert right <= left, "x labels overlap"
        chart = await tab.eval_on_selector("svg.chart", "e => e.getBoundingClientRect().right")
        assert chart <= 390
        labels = await tab.eval_on_selector_all(
            "svg.chart text.tick", "els => els.map(e => e.textContent)"
        )
        assert all(re.fullmatch(r"\d{1,2} [A-Z][a-z]{2}", t) for t in labels), labels
        assert problems == []
        await context.close()
