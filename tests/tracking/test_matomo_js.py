"""Matomo's own JavaScript tracker, pointed at the collector, in a real Chromium.

No npm package ships Matomo's matomo.js/piwik.js (Matomo publishes it only inside its PHP
distribution, and the registries reachable here are PyPI, npm and Debian), so the page below
sends exactly what matomo.js sends, recorded from its public source (js/piwik.js) and the
tracking API documentation, with the same browser APIs:

- GET: a 1x1 `Image` whose src is `<tracker>?<request>` with `send_image=1`;
- POST: `XMLHttpRequest` with `withCredentials = true` and
  `Content-Type: application/x-www-form-urlencoded; charset=UTF-8`, the request as body;
- sendBeacon (the default since Matomo 4): a `Blob` of that same body and type;
- bulk: that XHR with body `{"requests":["?<request>","?<request>"]}`;
- heartbeat: `ping=1`; consent: `rememberConsentGiven` sets `mtm_consent=<ms timestamp>`
  (about 30 years), `forgetConsentGiven` deletes it and sets `mtm_consent_removed`.

Each request carries Matomo's persistent ids (`_id`, `_idts`, `_idvc`, `_viewts`), which the
collector accepts and never stores (P3).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import pytest
from aiohttp import web
from playwright.async_api import BrowserContext, Page

from collector.appkeys import SITES
from collector.goals import GoalSpec, add_goal
from tests.browser import Beacons, WebSite, serve_pages
from tests.support import Running, dump_database

pytestmark = pytest.mark.browser

MATOMO_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Matomo page</title>
<script>
var TRACKER = '{collector}/matomo.php', SITE = '{site}';
var CONTENT_TYPE = 'application/x-www-form-urlencoded; charset=UTF-8';
function request(extra) {{
  // the order and names matomo.js uses in getRequest()
  return extra + '&idsite=' + SITE + '&rec=1&r=' + String(Math.random()).slice(2, 8) +
    '&h=12&m=34&s=56&url=' + encodeURIComponent(location.href) +
    '&urlref=' + encodeURIComponent('https://search.example/?q=x') +
    '&_id=0123456789abcdef&_idn=0&_refts=0&_idts=1732000000&_idvc=3&_viewts=1732000000' +
    '&send_image=0&cookie=1&res=1280x720&pv_id=Ab12Cd' +
    '&uadata=' + encodeURIComponent('{{"fullVersionList":[]}}') +
    '&pf_net=0&pf_srv=3&pf_tfr=1&pf_dm1=20';
}}
function getImage(req, tracker) {{
  return new Promise(function (resolve) {{
    var image = new Image(1, 1);
    image.onload = function () {{ resolve('load'); }};
    image.onerror = function () {{ resolve('error'); }};
    image.src = (tracker || TRACKER) + '?' + req.replace('send_image=0', 'send_image=1');
  }});
}}
function sendXmlHttpRequest(body) {{
  return new Promise(function (resolve) {{
    var xhr = new XMLHttpRequest();
    xhr.open('POST', TRACKER, true);
    xhr.withCredentials = true;
    xhr.onreadystatechange = function () {{
      if (this.readyState === 4) resolve({{status: this.status, body: this.responseText}});
    }};
    xhr.setRequestHeader('Content-Type', CONTENT_TYPE);
    xhr.send(body);
  }});
}}
function sendBeacon(req) {{
  return navigator.sendBeacon(TRACKER, new Blob([req], {{type: CONTENT_TYPE}}));
}}
function sendBulk(requests) {{
  return sendXmlHttpRequest('{{"requests":["?' + requests.join('","?') + '"]}}');
}}
function rememberConsentGiven() {{
  var expires = new Date(Date.now() + 30 * 365 * 24 * 3600 * 1000).toUTCString();
  document.cookie = 'mtm_consent=' + Date.now() + '; expires=' + expires + '; path=/; SameSite=Lax';
}}
function forgetConsentGiven() {{
  document.cookie = 'mtm_consent=; expires=Thu, 01 Jan 1970 00:00:01 GMT; path=/; SameSite=Lax';
  document.cookie = 'mtm_consent_removed=' + Date.now() + '; path=/; SameSite=Lax';
}}
</script></head><body>Matomo page</body></html>
"""

PERSISTENT_ID = "0123456789abcdef"


@pytest.fixture
async def matomo_page(
    server: Running, context: BrowserContext
) -> AsyncIterator[tuple[int, Page, WebSite]]:
    site_id = await server.add_site("Matomo JS site", "127.0.0.1")

    def page(request: web.Request) -> web.Response:
        html = MATOMO_PAGE.format(collector=server.base, site=site_id)
        return web.Response(text=html, content_type="text/html")

    async with serve_pages({"/": page}) as pages:
        tab = await context.new_page()
        await tab.goto(pages.base + "/")
        yield site_id, tab, pages


async def _rows(server: Running, site_id: int) -> list[Any]:
    await server.flush()
    return await server.rows(
        "SELECT action, url, referrer, session_id, pv_id, resolution FROM hits WHERE site_id = $1",
        site_id,
    )


async def _send_every_way(page: Page, beacons: Beacons) -> list[Any]:
    """GET pixel (matomo.php and piwik.php), XHR POST, sendBeacon, bulk, ping; the answers."""
    answers = [
        await page.evaluate("getImage(request('action_name=Get'))"),
        await page.evaluate(
            "getImage(request('action_name=Legacy'), TRACKER.replace('matomo.php', 'piwik.php'))"
        ),
        await page.evaluate("sendXmlHttpRequest(request('action_name=Post'))"),
    ]
    sent = await beacons.after(lambda: page.evaluate("sendBeacon(request('action_name=Beacon'))"))
    answers.append(sent["action_name"])
    answers.append(
        await page.evaluate("sendBulk([request('action_name=Bulk1'), request('e_c=Cat&e_a=Act')])")
    )
    answers.append(await page.evaluate("sendXmlHttpRequest(request('ping=1'))"))
    return answers


async def test_matomo_js_requests_wait_for_its_consent_cookie_and_link_one_session(
    server: Running, matomo_page: tuple[int, Page, WebSite]
) -> None:
    site_id, page, pages = matomo_page
    beacons = Beacons(page, server.base)

    # requireConsent: nothing may be kept before rememberConsentGiven.
    await _send_every_way(page, beacons)
    assert await _rows(server, site_id) == []

    await page.evaluate("rememberConsentGiven()")
    answers = await _send_every_way(page, beacons)
    # The XHR answers are readable cross-origin (CORS with credentials): matomo.js sees
    # success and does not fall back to a second, duplicate GET.
    assert answers[0] == answers[1] == "load"
    assert answers[2] == {"status": 204, "body": ""}
    assert answers[4]["status"] == 200
    assert '"tracked":2' in answers[4]["body"]
    assert answers[5]["status"] == 204

    rows = await _rows(server, site_id)
    assert sorted(r["action"] for r in rows) == sorted(["pageview"] * 5 + ["event", "ping"])
    assert len({r["session_id"] for r in rows}) == 1
    assert all(r["url"] == pages.base + "/" for r in rows)
    assert {r["pv_id"] for r in rows} == {"Ab12Cd"}
    assert PERSISTENT_ID not in await dump_database(server.pool)


async def test_matomo_js_forget_consent_stops_recording(
    server: Running, matomo_page: tuple[int, Page, WebSite]
) -> None:
    site_id, page, _ = matomo_page
    beacons = Beacons(page, server.base)
    await page.evaluate("rememberConsentGiven()")
    assert await page.evaluate("getImage(request('action_name=Before'))") == "load"
    assert len(await _rows(server, site_id)) == 1

    await page.evaluate("forgetConsentGiven()")
    await _send_every_way(page, beacons)
    assert len(await _rows(server, site_id)) == 1


async def test_matomo_js_goals_orders_and_content_arrive_every_way_and_are_no_pageviews(
    server: Running, matomo_page: tuple[int, Page, WebSite]
) -> None:
    site_id, page, _ = matomo_page
    async with server.pool.acquire() as conn:
        goal = await add_goal(conn, site_id, GoalSpec("Signup", "manually", allow_multiple=True))
    await server.app[SITES].load()
    beacons = Beacons(page, server.base)
    await page.evaluate("rememberConsentGiven()")
    items = '[["SKU-1","Book","Books",12.5,2]]'
    # logGoal, logEcommerce (order, then a cart update), content impressions and interaction,
    # as matomo.js builds them, by image, XHR, sendBeacon and bulk
    assert await page.evaluate(f"getImage(request('idgoal={goal}&revenue=10'))") == "load"
    order = f"idgoal=0&ec_id=ORDER-A-2231&revenue=25&ec_st=20&ec_tx=5&ec_items={quote(items)}"
    assert (await page.evaluate(f"sendXmlHttpRequest(request({order!r}))"))["status"] == 204
    cart = f"idgoal=0&revenue=12.5&ec_items={quote(items)}"
    await beacons.after(lambda: page.evaluate(f"sendBeacon(request({cart!r}))"))
    impressions = "[request('c_n=Banner&c_p=a.png&ca=1'), request('c_n=Teaser&c_p=Read&ca=1')]"
    bulk = await page.evaluate(f"sendBulk({impressions})")
    assert '"tracked":2' in bulk["body"]
    interaction = "c_i=click&c_n=Banner&c_p=a.png&c_t=https%3A%2F%2Fx.example%2F&ca=1"
    assert await page.evaluate(f"getImage(request({interaction!r}))") == "load"
    await server.flush()
    rows = await server.rows(
        "SELECT action, revenue, content_name FROM hits WHERE site_id = $1 ORDER BY ts", site_id
    )
    assert sorted(r["action"] for r in rows) == sorted(
        ["goal", "order", "cart_update", "content_impression", "content_impression",
         "content_interaction"]
    )  # fmt: skip
    # The order id is not kept; long enough that no random session token holds it by chance
    # (one held "A-1").
    assert "ORDER-A-2231" not in await dump_database(server.pool)
