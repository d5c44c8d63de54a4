"""The dashboard's "Web server" tab: the usage reports of a site and period, server-rendered
like the rest (no scripts, nothing from another origin), and in headless Chromium."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from collector.reports.dashboard import USAGE_TABLES
from tests.reports.test_dashboard import CHROMIUM, CHROMIUM_ARGS
from tests.support import Running, dashboard_cookie, request
from tests.usage.test_reports import row, store


async def logged_in(server: Running) -> dict[str, str]:
    """The superuser's session cookie, as the login form hands it to a browser."""
    return {"collector_dashboard": await dashboard_cookie(server.base)}


async def seed(server: Running) -> str:
    now = datetime.now(UTC)
    async with server.pool.acquire() as conn:
        await store(
            conn,
            [
                row(server.site_id, now, "/", 200, 2_500_000),
                row(server.site_id, now, "/", 200, 2_500_000, referrer="https://news.example/"),
                row(server.site_id, now, "/missing", 404, 100, referrer="https://news.example/"),
                row(server.site_id, now, "/api", 503, 10, ip_prefix="203.0.0.0"),
                row(server.site_id, now, "/", 200, 0, browser="Googlebot", os=None, bot=True),
            ],
        )
    day = now.date().isoformat()
    return f"{server.base}/dashboard?site={server.site_id}&from={day}&to={day}"


async def test_the_web_server_tab_shows_the_usage_reports_of_the_period(server: Running) -> None:
    url = await seed(server)
    status, headers, body = await request(
        "GET", url + "&view=usage", cookies=await logged_in(server)
    )
    assert status == 200
    page = body.decode()
    metrics = dict(re.findall(r'data-metric="(\w+)" data-value="([^"]*)"', page))
    assert metrics == {
        "requests": "5",
        "bytes": "5000110",
        "bot_share": "20.0",
        "status_4xx": "1",
        "status_5xx": "1",
    }
    assert ">5.0 MB<" in page and ">20.0 %<" in page
    for _, report in USAGE_TABLES:
        assert f'data-report="{report}"' in page, report
    assert 'aria-current="page">Web server<' in page and 'name="view" value="usage"' in page
    assert "/missing" in page and "https://news.example/" in page and "203.0.0.0" in page
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "<script" not in page and not re.search(r"(src|href)=\"(https?:)?//", page)


async def test_the_visits_tab_links_to_the_web_server_tab_for_the_same_period(
    server: Running,
) -> None:
    url = await seed(server)
    _, _, body = await request("GET", url, cookies=await logged_in(server))
    page = body.decode()
    assert 'aria-current="page">Visits<' in page
    link = re.search(r'<a href="([^"]+)">Web server</a>', page)
    assert (
        link is not None
        and link[1].replace("&amp;", "&") == url.removeprefix(server.base) + "&view=usage"
    )


async def test_an_unknown_view_is_400(server: Running) -> None:
    status, _, body = await request(
        "GET", f"{server.base}/dashboard?view=logs", cookies=await logged_in(server)
    )
    assert status == 400 and b"view: must be visits or usage" in body


@pytest.mark.browser
async def test_the_web_server_tab_renders_in_chromium_without_errors(
    server: Running, tmp_path: Path
) -> None:
    if not CHROMIUM.exists():
        pytest.skip("needs the Debian chromium package at /usr/bin/chromium")
    from playwright.async_api import async_playwright

    url = await seed(server)
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = await chromium.new_context(viewport={"width": 390, "height": 844})
            page: Any = await context.new_page()
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            await page.goto(f"{server.base}/dashboard")
            await page.fill("input[name=password]", "test-token")
            await page.click("button[type=submit]")
            await page.goto(url)
            await page.click("nav.tabs >> text=Web server")
            await page.wait_for_selector("section[data-report=usage-status]")
            assert await page.inner_text("[data-metric=requests] .value") == "5"
            bars = await page.query_selector_all("svg.chart rect.bar")  # a day: its hours
            values = [int(await bar.get_attribute("data-value")) for bar in bars]
            assert len(values) == 24 and sum(values) == 5
            overflow = await page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, "the page scrolls sideways"
            assert problems == []
        finally:
            await chromium.close()
