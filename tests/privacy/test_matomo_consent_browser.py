"""Matomo's consent modes in a real Chromium, against a collector on `stats.<domain>` with
COLLECTOR_COOKIE_DOMAIN=<domain> and a site's pages on `www.<domain>` (same-site).

The page replicates what matomo.js does with its consent cookies (js/piwik.js: getCookie,
requireConsent / hasRememberedConsent, refreshConsentStatus, requireCookieConsent,
rememberCookieConsentGiven, setConsentGiven): under requireConsent it sends nothing while
`mtm_consent` is missing or `mtm_consent_removed` is set; under requireCookieConsent it sends
anyway. Opting in and out happens on the collector's own opt-out page, by clicking.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp import web

from tests.support import CHROME_UA, Running, free_port, running_app, settings_for

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs the Debian chromium package"),
]

PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Matomo page</title><script>
var TRACKER = '{collector}/matomo.php', SITE = '{site}', DOMAIN = '{domain}';
function getCookie(name) {{  // matomo.js getCookie
  var match = new RegExp('(^|;)[ ]*' + name + '=([^;]*)').exec(document.cookie);
  return match ? decodeURIComponent(match[2]) : 0;
}}
function setCookie(name, value) {{  // with setCookieDomain('*.' + DOMAIN)
  var expires = new Date(Date.now() + 30 * 365 * 24 * 3600 * 1000).toUTCString();
  document.cookie = name + '=' + value + ';expires=' + expires + ';path=/;domain=.' + DOMAIN +
    ';SameSite=Lax';
}}
var mode = new URLSearchParams(location.search).get('mode');
var consentGivenThisPage = false;
function hasConsent() {{
  if (mode !== 'requireConsent') return true;  // requireCookieConsent, CMS: always send
  if (getCookie('mtm_consent_removed')) return false;  // refreshConsentStatus
  return consentGivenThisPage || !!getCookie('mtm_consent');  // hasRememberedConsent
}}
function setConsentGiven() {{ consentGivenThisPage = true; }}  // no cookie: this page only
function rememberCookieConsentGiven() {{ setCookie('mtm_cookie_consent', Date.now()); }}
function trackPageView(title) {{
  if (!hasConsent()) return Promise.resolve('queued');
  return new Promise(function (resolve) {{
    var image = new Image(1, 1);
    image.onload = function () {{ resolve('sent'); }};
    image.onerror = function () {{ resolve('failed'); }};
    image.src = TRACKER + '?action_name=' + encodeURIComponent(title) + '&idsite=' + SITE +
      '&rec=1&r=123456&url=' + encodeURIComponent(location.href) + '&send_image=1';
  }});
}}
</script></head><body>Matomo page</body></html>"""


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--host-resolver-rules=MAP *.example 127.0.0.1",
            ],
        )
        yield chromium
        await chromium.close()


class Site:
    """The collector as stats.<domain>, the Matomo page as www.<domain>."""

    def __init__(self, server: Running, port: int) -> None:
        self.server = server
        self.collector = f"http://stats.{server.domain}:{urlsplit(server.base).port}"
        self.page = f"http://www.{server.domain}:{port}/matomo"

    async def titles(self) -> list[str]:
        await self.server.flush()
        return [r["title"] for r in await self.server.rows()]

    async def switch(self, context: Any, button: str, state: str) -> None:
        """Click the opt-out page's switch, as a visitor does."""
        tab = await context.new_page()
        await tab.goto(f"{self.collector}/optout?lang=en&idsite={self.server.site_id}")
        await tab.get_by_role("button", name=button).click()
        await tab.get_by_text(state).wait_for()
        await tab.close()

    async def track(self, context: Any, mode: str, title: str, *calls: str) -> str:
        tab = await context.new_page()
        await tab.goto(f"{self.page}?mode={mode}")
        for call in calls:
            await tab.evaluate(call)
        answer: str = await tab.evaluate(f"trackPageView({title!r})")
        await tab.close()
        return answer


async def _site(server: Running) -> AsyncIterator[Site]:
    port = free_port()
    site = Site(server, port)

    async def page(request: web.Request) -> web.Response:
        html = PAGE.format(collector=site.collector, site=server.site_id, domain=server.domain)
        return web.Response(text=html, content_type="text/html")

    app = web.Application()
    app.router.add_get("/matomo", page)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield site
    finally:
        await runner.cleanup()


@pytest.fixture(params=[(), ("ikiss-tracking-on",)], ids=["default", "cms-cookie"])
async def site(database_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Site]:
    domain = f"mtm-{secrets.token_hex(4)}.example"
    extra = {"consent_cookies": request.param} if request.param else {}
    settings = settings_for(database_url, cookie_domain=domain, **extra)
    async with running_app(settings) as server:
        server.domain = domain
        server.site_id = await server.add_site("Matomo consent", domain)
        async for deployed in _site(server):
            yield deployed


async def test_a_require_consent_page_resumes_after_opt_in_and_stops_after_opt_out(
    site: Site, browser: Any
) -> None:
    context = await browser.new_context(user_agent=CHROME_UA)
    assert await site.track(context, "requireConsent", "before") == "queued"
    await site.switch(context, "Turn statistics on", "Statistics are on")
    # /optin wrote mtm_consent for <domain>, as rememberConsentGiven would have
    assert await site.track(context, "requireConsent", "after opt-in") == "sent"
    await site.switch(context, "Turn statistics off", "Statistics are off")
    # /optout expired it and set mtm_consent_removed, as forgetConsentGiven does
    assert await site.track(context, "requireConsent", "after opt-out") == "queued"
    # even a page that still sends (requireCookieConsent) is not kept
    assert await site.track(context, "requireCookieConsent", "still sending") == "sent"
    cookies = {c["name"]: c for c in await context.cookies(site.page)}
    assert cookies["mtm_consent_removed"]["value"].isdigit() and "mtm_consent" not in cookies
    await context.close()
    assert await site.titles() == ["after opt-in"]


async def test_require_cookie_consent_is_kept_once_cookie_consent_is_remembered(
    site: Site, browser: Any
) -> None:
    context = await browser.new_context(user_agent=CHROME_UA)
    assert await site.track(context, "requireCookieConsent", "cookieless") == "sent"
    answer = await site.track(
        context, "requireCookieConsent", "with cookie consent", "rememberCookieConsentGiven()"
    )
    assert answer == "sent"
    await context.close()
    expected = (
        ["with cookie consent"]
        if "mtm_cookie_consent" in site.server.settings.consent_cookies
        else []
    )
    assert await site.titles() == expected


async def test_set_consent_given_without_remember_keeps_nothing(site: Site, browser: Any) -> None:
    # setConsentGiven sets no cookie: the collector sees no consent, and keeps nothing (P1)
    context = await browser.new_context(user_agent=CHROME_UA)
    answer = await site.track(context, "requireConsent", "this page only", "setConsentGiven()")
    assert answer == "sent"
    await context.close()
    assert await site.titles() == []


async def test_a_cms_consent_cookie_counts_when_configured(site: Site, browser: Any) -> None:
    context = await browser.new_context(user_agent=CHROME_UA)
    answer = await site.track(context, "cms", "cms consent", "setCookie('ikiss-tracking-on', 1)")
    assert answer == "sent"
    await context.close()
    configured = "ikiss-tracking-on" in site.server.settings.consent_cookies
    assert await site.titles() == (["cms consent"] if configured else [])
