"""The opt-out page and switches in a real headless Chromium (Debian's, never downloaded).

Host names are mapped to 127.0.0.1 inside the browser, so the collector answers as
`stats.<site domain>` and the site's own pages come from `www.<site domain>` on another port:
same-site, as a real deployment with a collector on a subdomain.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest
from aiohttp import web

from tests.support import CHROME_UA, Running, free_port

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs the Debian chromium package"),
]


class Deployment:
    """The collector as `stats.<domain>`, a site's pages as `www.<domain>` on another port."""

    def __init__(self, server: Running, site_port: int) -> None:
        self.server = server
        self.collector = f"http://stats.{server.domain}:{urlsplit(server.base).port}"
        self.site = f"http://www.{server.domain}:{site_port}"
        self.hosts: list[str] = []

    def watch(self, page: Any) -> None:
        page.on("request", lambda r: self.hosts.append(urlsplit(r.url).hostname or ""))

    def hit_url(self, title: str) -> str:
        params = {
            "idsite": self.server.site_id,
            "rec": 1,
            "url": f"{self.site}/news",
            "action_name": title,
            "send_image": 1,
        }
        return f"{self.collector}/matomo.php?{urlencode(params)}"

    async def titles(self) -> list[str]:
        await self.server.flush()
        return [r["title"] for r in await self.server.rows()]

    async def screenshot(self, page: Any, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / f"privacy-{name}.png"), full_page=True)


def site_app(deploy: Deployment) -> web.Application:
    """A tiny site: a privacy page embedding the opt-out iframe, a page with a tracking pixel."""

    def html(body: str) -> web.Response:
        return web.Response(
            text=f'<!doctype html><html lang="en"><title>Site</title><body>{body}</body></html>',
            content_type="text/html",
        )

    async def privacy(request: web.Request) -> web.Response:
        src = f"{deploy.collector}/optout?embed=1&lang=en&idsite={deploy.server.site_id}"
        frame = f'<iframe title="Statistics" src="{src}" style="border:0;width:40rem;height:8rem">'
        return html(f"<h1>Privacy</h1>{frame}</iframe>")

    async def news(request: web.Request) -> web.Response:
        title = request.query.get("title", "News")
        return html(f'<h1>News</h1><img alt="" src="{deploy.hit_url(title)}">')

    async def banner(request: web.Request) -> web.Response:
        return html(
            "<script>async function agree() {"
            f"  const r = await fetch('{deploy.collector}/optin', {{method: 'POST',"
            "    credentials: 'include', headers: {Accept: 'application/json'}});"
            "  document.body.dataset.answer = JSON.stringify(await r.json());"
            "}</script><button onclick='agree()'>Agree</button>"
        )

    async def home(request: web.Request) -> web.Response:
        return html(f'<a href="{deploy.collector}/optout?lang=en">Statistics settings</a>')

    app = web.Application()
    app.router.add_get("/", home)
    app.router.add_get("/privacy", privacy)
    app.router.add_get("/news", news)
    app.router.add_get("/banner", banner)
    return app


@contextlib.asynccontextmanager
async def deployment(server: Running) -> AsyncIterator[Deployment]:
    port = free_port()
    deploy = Deployment(server, port)
    runner = web.AppRunner(site_app(deploy))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield deploy
    finally:
        await runner.cleanup()


async def visit_news(deploy: Deployment, context: Any, title: str) -> None:
    page = await context.new_page()
    deploy.watch(page)
    await page.goto(f"{deploy.site}/news?title={quote(title)}", wait_until="load")
    await page.close()


async def test_page_works_without_javascript_in_both_languages(
    server: Running, browser: Any
) -> None:
    async with deployment(server) as deploy:
        context = await browser.new_context(java_script_enabled=False, user_agent=CHROME_UA)
        page = await context.new_page()
        deploy.watch(page)
        return_to = quote(f"{deploy.site}/privacy", safe="")
        await page.goto(f"{deploy.collector}/optout?lang=de&return_to={return_to}")
        assert await page.get_attribute("html", "lang") == "de"
        assert "ausgeschaltet" in await page.inner_text("main")
        await deploy.screenshot(page, "de-off")
        await page.get_by_role("button", name="Statistik einschalten").click()
        await page.wait_for_url(f"{deploy.site}/privacy")  # back to the site, by plain form post

        await page.goto(f"{deploy.collector}/optout?lang=en")
        assert "Statistics are on" in await page.inner_text("main")
        await deploy.screenshot(page, "en-on")
        await visit_news(deploy, context, "while on")
        await page.get_by_role("button", name="Turn statistics off").click()
        await page.wait_for_url(f"{deploy.collector}/optout?lang=en")
        assert "Statistics are off" in await page.inner_text("main")
        await visit_news(deploy, context, "after opt-out")
        await context.close()
        assert await deploy.titles() == ["while on"]
        assert set(deploy.hosts) == {f"stats.{server.domain}", f"www.{server.domain}"}


async def test_erase_button_erases_the_session_without_javascript_and_links_back(
    server: Running, browser: Any
) -> None:
    async with deployment(server) as deploy:
        context = await browser.new_context(java_script_enabled=False, user_agent=CHROME_UA)
        page = await context.new_page()
        deploy.watch(page)
        await page.goto(f"{deploy.site}/")
        await page.get_by_role("link", name="Statistics settings").click()  # no return_to
        back = page.get_by_role("link", name="Back to the website")
        assert await back.get_attribute("href") == f"{deploy.site}/"  # from the Referer
        assert await page.get_by_role("button", name="Erase what this session links").count() == 0
        await page.get_by_role("button", name="Turn statistics on").click()
        await page.get_by_text("Statistics are on").wait_for()
        assert await back.get_attribute("href") == f"{deploy.site}/"  # kept through the switch
        await visit_news(deploy, context, "to be erased")
        assert await deploy.titles() == ["to be erased"]

        await page.reload()
        await page.get_by_role("button", name="Erase what this session links").click()
        await page.get_by_text("Erased: 1 record linked to this browser session").wait_for()
        await deploy.screenshot(page, "erased")
        assert "Statistics are on" in await page.inner_text("main")  # consent is not the data
        assert await back.get_attribute("href") == f"{deploy.site}/"
        await back.click()
        await page.wait_for_url(f"{deploy.site}/")
        await context.close()
        assert await deploy.titles() == []
        assert set(deploy.hosts) == {f"stats.{server.domain}", f"www.{server.domain}"}


async def test_iframe_on_a_site_page_switches_and_an_opt_out_stops_tracking(
    server: Running, browser: Any
) -> None:
    async with deployment(server) as deploy:
        context = await browser.new_context(user_agent=CHROME_UA)
        page = await context.new_page()
        deploy.watch(page)
        await page.goto(f"{deploy.site}/privacy")
        frame = page.frame_locator("iframe")
        await frame.get_by_role("button", name="Turn statistics on").click()
        await frame.get_by_text("Statistics are on").wait_for()
        await deploy.screenshot(page, "iframe-on")
        await visit_news(deploy, context, "consented")
        await frame.get_by_role("button", name="Turn statistics off").click()
        await frame.get_by_text("Statistics are off").wait_for()
        await deploy.screenshot(page, "iframe-off")
        await visit_news(deploy, context, "withdrawn")
        await context.close()
        assert await deploy.titles() == ["consented"]
        assert set(deploy.hosts) == {f"stats.{server.domain}", f"www.{server.domain}"}


async def test_a_page_on_another_host_cannot_frame_the_opt_out_page(
    server: Running, browser: Any
) -> None:
    async with deployment(server) as deploy:
        context = await browser.new_context(user_agent=CHROME_UA)
        page = await context.new_page()
        blocked: list[str] = []
        page.on("console", lambda m: blocked.append(m.text))
        port = urlsplit(deploy.site).port
        # "load" waits for the iframe too, blocked or not
        await page.goto(f"http://www.elsewhere.test:{port}/privacy", wait_until="load")
        frame = page.frames[1]
        assert "Turn statistics on" not in await frame.content()
        assert any("frame-ancestors" in m for m in blocked)
        await context.close()


async def test_a_banner_on_the_site_opts_in_with_fetch(server: Running, browser: Any) -> None:
    async with deployment(server) as deploy:
        context = await browser.new_context(user_agent=CHROME_UA)
        page = await context.new_page()
        await page.goto(f"{deploy.site}/banner")
        await page.get_by_role("button", name="Agree").click()
        await page.wait_for_function("() => document.body.dataset.answer")
        answer = await page.evaluate("() => JSON.parse(document.body.dataset.answer)")
        assert answer["consent"] is True and answer["site_id"] == server.site_id
        await visit_news(deploy, context, "after banner")
        await context.close()
        assert await deploy.titles() == ["after banner"]


async def test_global_privacy_control_turns_statistics_off_in_the_browser(
    server: Running, browser: Any
) -> None:
    async with deployment(server) as deploy:
        context = await browser.new_context(
            user_agent=CHROME_UA, extra_http_headers={"Sec-GPC": "1"}
        )
        page = await context.new_page()
        await page.goto(f"{deploy.collector}/optout?lang=en")
        assert "privacy signal" in await page.inner_text("main")
        await deploy.screenshot(page, "gpc")
        await context.add_cookies(
            [{"name": "collector_consent", "value": "yes", "url": deploy.collector}]
        )
        await visit_news(deploy, context, "with gpc")
        await context.close()
        assert await deploy.titles() == []
