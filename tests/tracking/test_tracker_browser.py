"""Our snippet in a real headless Chromium, on a page served from another port.

The page (127.0.0.1:B) loads tracker.js from the collector (127.0.0.1:A): cross-origin, but
the same site for cookies (cookies ignore ports), as www.example.org and stats.example.org
are. Its banner sets and clears the consent cookie as a real consent banner would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import BrowserContext, Page

from collector.appkeys import SITES
from collector.goals import GoalSpec, add_goal
from tests.browser import Beacons, WebSite, serve_pages
from tests.support import Running

pytestmark = pytest.mark.browser

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>{title}</title>
<script defer src="{collector}/tracker.js" data-site="{site}" data-heartbeat="15"
        data-require-consent="{check}"></script>
</head><body>
<div id="banner">
  <button id="accept" onclick="document.cookie='collector_consent=1; path=/; SameSite=Lax';
                               collector.pageview()">Accept statistics</button>
  <button id="optout" onclick="document.cookie='collector_consent=; path=/; Max-Age=0'">
    Withdraw</button>
</div>
<button id="spa" onclick="document.title='Second'; history.pushState({{}}, '', '/app/second')">
  Next view</button>
<button id="event" onclick="collector.event('Video', 'play', 'Intro', 3)">Play</button>
<a id="download" href="/files/report.pdf" download>Report</a>
<a id="out" href="https://elsewhere.example/landing">Elsewhere</a>
</body></html>
"""


def _page(collector: Running, site_id: int) -> Callable[[web.Request], web.Response]:
    def handler(request: web.Request) -> web.Response:
        html = PAGE.format(
            title="Home",
            collector=collector.base,
            site=site_id,
            check=request.query.get("check", "true"),
        )
        return web.Response(text=html, content_type="text/html")

    return handler


def _pdf(request: web.Request) -> web.Response:
    return web.Response(
        body=b"%PDF-1.4\n%%EOF\n",
        content_type="application/pdf",
        headers={"Content-Disposition": "attachment; filename=report.pdf"},
    )


@pytest.fixture
async def local_site(server: Running) -> AsyncIterator[tuple[int, WebSite]]:
    """A site owning host 127.0.0.1, and pages for it on another port."""
    site_id = await server.add_site("Browser site", "127.0.0.1")
    async with serve_pages(
        {
            "/": _page(server, site_id),
            "/app/{view}": _page(server, site_id),
            "/files/report.pdf": _pdf,
        }
    ) as pages:
        yield site_id, pages


async def _until_stored(server: Running, site_id: int, count: int, seconds: float = 15) -> None:
    """Poll (no event exists for a beacon the browser let go of) until `count` rows are in."""
    deadline = asyncio.get_running_loop().time() + seconds
    while len(await _rows(server, site_id)) < count:
        assert asyncio.get_running_loop().time() < deadline, "beacon never stored"
        await asyncio.sleep(0.05)


async def _rows(server: Running, site_id: int) -> list[Any]:
    await server.flush()
    return await server.rows(
        "SELECT action, url, title, referrer, target_url, event_category, event_action,"
        " event_name, event_value, session_id, pv_id, resolution FROM hits WHERE site_id = $1",
        site_id,
    )


async def _set_visibility(page: Page, state: str) -> None:
    await page.evaluate(
        """state => {
            Object.defineProperty(
                document, 'visibilityState', {configurable: true, get: () => state});
            document.dispatchEvent(new Event('visibilitychange'));
        }""",
        state,
    )


async def test_snippet_records_every_action_in_one_session_only_after_consent(
    server: Running, local_site: tuple[int, WebSite], context: BrowserContext
) -> None:
    site_id, pages = local_site
    await context.route(
        "https://elsewhere.example/**",
        lambda route: route.fulfill(body="<p>elsewhere</p>", content_type="text/html"),
    )
    page = await context.new_page()
    await page.clock.install()
    beacons = Beacons(page, server.base)
    await page.goto(pages.base + "/")
    await page.wait_for_function("window.collector !== undefined")

    # Before the banner's opt-in: the script sends nothing, the collector keeps nothing.
    await page.click("#event")
    await page.clock.run_for(60_000)
    assert beacons.sent == []
    assert await _rows(server, site_id) == []

    first = await beacons.after(lambda: page.click("#accept"))
    assert first["action_name"] == "Home" and first["url"] == pages.base + "/"
    await beacons.after(lambda: page.click("#spa"))
    await beacons.after(lambda: page.click("#event"))
    await beacons.after(lambda: page.click("#download"))
    ping = await beacons.after(lambda: page.clock.run_for(15_000))
    assert ping["ping"] == "1"

    # Hidden tab: the heartbeat stops (no ping before the next event), and resumes when visible.
    await _set_visibility(page, "hidden")
    await page.clock.run_for(120_000)
    await beacons.after(lambda: page.evaluate("collector.event('Tab', 'hidden')"))
    assert [p.get("ping") for p in beacons.params()].count("1") == 1
    await _set_visibility(page, "visible")
    await beacons.after(lambda: page.clock.run_for(15_000))
    # The outlink leaves the page: Chromium may report the beacon as aborted (the page is
    # gone) while its keepalive request is still delivered. The stored row is the proof.
    await beacons.after(lambda: page.click("#out"), leaving=True)
    await _until_stored(server, site_id, 8)

    rows = await _rows(server, site_id)
    second_url = pages.base + "/app/second"
    got = sorted(
        (r["action"], r["url"], r["title"], r["referrer"], r["target_url"], r["event_category"])
        for r in rows
    )
    assert got == sorted(
        [
            ("pageview", pages.base + "/", "Home", None, None, None),
            ("pageview", second_url, "Second", pages.base + "/", None, None),
            ("event", second_url, None, None, None, "Video"),
            ("download", second_url, None, None, pages.base + "/files/report.pdf", None),
            ("ping", second_url, None, None, None, None),
            ("event", second_url, None, None, None, "Tab"),
            ("ping", second_url, None, None, None, None),
            ("outlink", second_url, None, None, "https://elsewhere.example/landing", None),
        ]
    )
    assert len({r["session_id"] for r in rows}) == 1
    video = next(r for r in rows if r["event_category"] == "Video")
    assert (video["event_action"], video["event_name"], video["event_value"]) == (
        "play",
        "Intro",
        3,
    )
    assert all(r["resolution"] for r in rows if r["action"] == "pageview")
    # Events belong to the page view they happened on.
    pv_second = next(
        r["pv_id"] for r in rows if r["url"] == second_url and r["action"] == "pageview"
    )
    assert video["pv_id"] == pv_second


async def test_nothing_is_recorded_after_opt_out(
    server: Running, local_site: tuple[int, WebSite], context: BrowserContext
) -> None:
    site_id, pages = local_site
    page = await context.new_page()
    beacons = Beacons(page, server.base)
    await page.goto(pages.base + "/")
    await page.wait_for_function("window.collector !== undefined")
    await beacons.after(lambda: page.click("#accept"))
    assert len(await _rows(server, site_id)) == 1

    await page.click("#optout")
    await page.click("#event")
    await page.click("#spa")
    await page.click("#download")
    assert len(beacons.sent) == 1
    assert len(await _rows(server, site_id)) == 1


async def test_collector_keeps_nothing_without_consent_even_when_the_script_sends(
    server: Running, local_site: tuple[int, WebSite], context: BrowserContext
) -> None:
    """data-require-consent="false" (for HttpOnly or other-host consent cookies): the script
    sends, and the collector's own gate still decides, before opt-in and after opt-out."""
    site_id, pages = local_site
    page = await context.new_page()
    beacons = Beacons(page, server.base)
    await beacons.after(lambda: page.goto(pages.base + "/?check=false"))
    await beacons.after(lambda: page.click("#event"))
    assert await _rows(server, site_id) == []

    await beacons.after(lambda: page.click("#accept"))
    assert len(await _rows(server, site_id)) == 1

    await page.click("#optout")
    await beacons.after(lambda: page.click("#event"))
    await beacons.after(lambda: page.click("#spa"))
    assert len(await _rows(server, site_id)) == 1
    cookies = {c["name"] for c in await context.cookies()}
    assert "collector_session" in cookies and "collector_consent" not in cookies


async def test_collector_goal_converts_a_goal_by_hand_with_or_without_revenue(
    server: Running, local_site: tuple[int, WebSite], context: BrowserContext
) -> None:
    site_id, pages = local_site
    async with server.pool.acquire() as conn:
        goal = await add_goal(conn, site_id, GoalSpec("Signup", "manually", allow_multiple=True))
    await server.app[SITES].load()
    page = await context.new_page()
    beacons = Beacons(page, server.base)
    await page.goto(pages.base + "/")
    await page.wait_for_function("window.collector !== undefined")
    await beacons.after(lambda: page.click("#accept"))
    await beacons.after(lambda: page.evaluate(f"collector.goal({goal}, 12.5)"))
    await beacons.after(lambda: page.evaluate(f"collector.goal({goal})"))
    await server.flush()
    rows = await server.rows(
        "SELECT action, goals::text AS goals FROM hits WHERE site_id = $1 AND action = 'goal'",
        site_id,
    )
    assert sorted(r["goals"] for r in rows) == sorted(
        [f"[[{goal}, 12.5, false]]", f"[[{goal}, null, false]]"]
    )
