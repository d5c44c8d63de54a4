"""The dashboard: login cookie, page headers, the SVG chart, and the page in headless Chromium."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from ipaddress import ip_network
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import orjson
import pytest

from collector.access.sessions import COOKIE
from collector.reports.markup import format_duration
from collector.reports.svg import bar_chart
from tests.reports.conftest import Seeded
from tests.support import (
    CHROME_UA,
    dashboard_cookie,
    dashboard_login,
    request,
    running_app,
    settings_for,
)

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def test_chart_has_one_bar_per_point_scaled_to_the_largest() -> None:
    svg = bar_chart([("2026-12-01", 2), ("2026-12-02", 0), ("2026-12-03", 4)])
    heights = [float(h) for h in re.findall(r'<rect class="bar"[^>]* height="([\d.]+)"', svg)]
    assert len(heights) == 3
    assert heights[0] == pytest.approx(heights[2] / 2) and heights[1] == 0
    assert "1 Dec 2026: 2 visits" in svg and ">5</text>" in svg  # the top grid line: round


def test_chart_escapes_labels_and_survives_no_data() -> None:
    assert "<script" not in bar_chart([("<script>", 1)])
    assert "<rect" not in bar_chart([])
    assert 'height="0.0"' in bar_chart([("d", 0)])


def test_durations_read_like_a_clock() -> None:
    assert [format_duration(s) for s in (0, 42, 210, 3725)] == ["0s", "42s", "3m 30s", "1h 02m"]


async def test_login_sets_an_httponly_strict_session_cookie_that_is_not_the_token(
    seeded: Seeded,
) -> None:
    status, headers, cookies = await dashboard_login(seeded.server.base)
    assert (status, headers["Location"]) == (303, "/dashboard")
    [cookie] = [c for c in cookies if c.startswith(f"{COOKIE}=")]
    assert "test-token" not in cookie
    for attribute in ("HttpOnly", "SameSite=Strict", "Path=/dashboard"):
        assert attribute in cookie
    assert "Secure" not in cookie and "Expires" not in cookie and "Max-Age" not in cookie


async def test_login_cookie_is_secure_behind_a_trusted_https_proxy(database_url: str) -> None:
    settings = settings_for(database_url, trusted_proxies=(ip_network("127.0.0.1/32"),))
    async with running_app(settings) as server:
        _, _, cookies = await dashboard_login(server.base, **{"X-Forwarded-Proto": "https"})
    [cookie] = [c for c in cookies if c.startswith(f"{COOKIE}=")]
    assert "; Secure" in cookie


async def test_wrong_token_gets_the_form_again_and_no_session(seeded: Seeded) -> None:
    status, _, cookies = await dashboard_login(seeded.server.base, password="guess")
    assert status == 401 and not any(c.startswith(f"{COOKIE}=") for c in cookies)


async def test_without_a_live_session_the_dashboard_is_the_login_form(seeded: Seeded) -> None:
    for cookies in (None, {COOKIE: "test-token"}, {COOKIE: "x" * 32}):
        status, _, body = await request(
            "GET", f"{seeded.server.base}/dashboard?site={seeded.site}", cookies=cookies
        )
        assert status == 200
        assert b'name="password"' in body and b"data-metric" not in body


@pytest.fixture
async def session(seeded: Seeded) -> dict[str, str]:
    return {COOKIE: await dashboard_cookie(seeded.server.base)}


async def test_dashboard_headers_forbid_every_outside_resource(
    seeded: Seeded, session: dict[str, str]
) -> None:
    status, headers, body = await request(
        "GET", f"{seeded.server.base}/dashboard?site={seeded.site}", cookies=session
    )
    assert status == 200 and b"data-metric" in body
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self';" in csp  # no inline script
    assert "unsafe" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["Cache-Control"] == "no-store"
    assert not re.search(rb"(src|href)=\"(https?:)?//", body)  # nothing from another origin


async def test_bad_period_on_the_dashboard_is_400(seeded: Seeded, session: dict[str, str]) -> None:
    status, _, body = await request(
        "GET", f"{seeded.server.base}/dashboard?site={seeded.site}&from=someday", cookies=session
    )
    assert status == 400 and b"from: not a date" in body


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    if not CHROMIUM.exists():  # noqa: ASYNC240 - once, before anything runs
        pytest.skip("needs the Debian chromium package at /usr/bin/chromium")
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def api_summary(seeded: Seeded) -> dict[str, Any]:
    params = urlencode({"site": seeded.site, "from": seeded.d1, "to": seeded.d2})
    _, _, body = await request(
        "GET",
        f"{seeded.server.base}/api/reports/summary?{params}",
        headers={"Authorization": "Bearer test-token"},
    )
    row: dict[str, Any] = orjson.loads(body)["rows"][0]
    return row


@pytest.mark.browser
@pytest.mark.parametrize(("device", "viewport"), [("phone", (390, 844)), ("desktop", (1280, 900))])
async def test_dashboard_renders_in_chromium_with_the_numbers_of_the_api(
    seeded: Seeded, browser: Any, device: str, viewport: tuple[int, int]
) -> None:
    base = seeded.server.base
    context = await browser.new_context(
        user_agent=CHROME_UA, viewport={"width": viewport[0], "height": viewport[1]}
    )
    page = await context.new_page()
    origins: set[str] = set()
    page.on("request", lambda r: origins.add(urlsplit(r.url).netloc))
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

    await page.goto(f"{base}/dashboard")
    await page.fill("input[name=password]", "test-token")
    await page.click("button[type=submit]")
    await page.wait_for_selector("ul.numbers")
    await page.goto(f"{base}/dashboard?site={seeded.site}&from={seeded.d1}&to={seeded.d2}")

    shown = {
        await li.get_attribute("data-metric"): await li.get_attribute("data-value")
        for li in await page.query_selector_all("ul.numbers li")
    }
    expected = await api_summary(seeded)
    for metric, value in shown.items():
        assert value == str(expected[metric]), metric
    assert shown["visits"] == "5"
    assert await page.inner_text("[data-metric=bounce_rate] .value") == "40.0 %"
    assert await page.inner_text("[data-metric=avg_visit_duration] .value") == "3m 30s"

    assert len(await page.query_selector_all("svg.chart rect.bar")) == 2  # two days
    pages_table = await page.inner_text("section[data-report=pages] table")
    assert "/about" in pages_table and "secret" not in pages_table
    assert "spring" in await page.inner_text("section[data-report=campaigns]")

    overflow = await page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, "the page scrolls sideways"
    assert origins == {urlsplit(base).netloc}
    assert problems == []  # a CSP violation (e.g. a blocked style) is logged as an error

    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"dashboard-{device}.png"), full_page=True)
    await context.close()


async def test_sql_injection_in_dashboard_parameters_is_refused_and_harmless(
    seeded: Seeded, session: dict[str, str]
) -> None:
    from tests.reports.test_api import INJECTIONS
    from tests.support import dump_database

    before = await dump_database(seeded.server.pool)
    statuses = set()
    for attack in INJECTIONS:
        for key in ("site", "from", "to"):
            query = urlencode({"site": seeded.site, key: attack})
            status, _, body = await request(
                "GET",
                f"{seeded.server.base}/dashboard?{query}",
                cookies=session,
            )
            statuses.add(status)
            assert b"<script" not in body
    assert statuses <= {400, 404}
    assert await dump_database(seeded.server.pool) == before
