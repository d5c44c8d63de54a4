"""The opt-out page meets WCAG 2.1 AA as public-sector sites must (EN 301 549, BITV 2.0):
axe-core finds nothing in either language, embedded or not, in every state the page has
(off, on with a receipt, off by the browser's privacy signal, just erased), also inside a
site's iframe; Tab reaches every link and button in order, each with a visible focus."""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from tests.browser import axe_violations, check_tab_order, tab_order
from tests.privacy.test_browser import deployment, pytestmark  # noqa: F401 - marks
from tests.support import CHROME_UA, Running, request

STATES = {"de": ("Statistik einschalten", "Statistik ausschalten"),
          "en": ("Turn statistics on", "Turn statistics off")}  # fmt: skip


async def test_axe_finds_nothing_on_the_opt_out_page_in_any_language_state_or_frame(
    server: Running, browser: Any
) -> None:
    async with deployment(server) as deploy:
        found: dict[str, Any] = {}
        errors: list[str] = []
        for lang, (turn_on, turn_off) in STATES.items():
            for embed in ("0", "1"):
                context = await browser.new_context(user_agent=CHROME_UA)
                page = await context.new_page()
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                await page.goto(f"{deploy.collector}/optout?lang={lang}&embed={embed}")
                button = page.get_by_role("button", name=turn_on)
                # the stylesheet applies: its hash in the CSP is right (a blocked one is an error)
                colour = await button.evaluate("b => getComputedStyle(b).backgroundColor")
                assert colour == "rgb(11, 79, 138)"
                found[f"{lang} embed={embed} off"] = await axe_violations(page)
                await page.get_by_role("button", name=turn_on).click()
                await page.get_by_role("button", name=turn_off).wait_for()
                found[f"{lang} embed={embed} on"] = await axe_violations(page)
                await context.close()
        context = await browser.new_context(
            user_agent=CHROME_UA, extra_http_headers={"Sec-GPC": "1"}
        )
        page = await context.new_page()
        await page.goto(f"{deploy.collector}/optout?lang=en")
        assert "privacy signal" in await page.inner_text("main")
        found["en signal"] = await axe_violations(page)
        await context.close()

        context = await browser.new_context(user_agent=CHROME_UA)
        page = await context.new_page()
        await page.goto(f"{deploy.site}/privacy")  # the site's page with the iframe
        frame = page.frame_locator("iframe")
        await frame.get_by_role("button", name="Turn statistics on").click()
        await frame.get_by_text("Statistics are on").wait_for()
        [inner] = [f for f in page.frames if "/optout" in f.url]
        found["en in the site's iframe"] = await axe_violations(inner)
        await context.close()
        assert {k: v for k, v in found.items() if v} == {}
        assert errors == []


async def test_tab_reaches_every_control_of_the_opt_out_page_in_order_with_visible_focus(
    server: Running, browser: Any
) -> None:
    async with deployment(server) as deploy:
        context = await browser.new_context(user_agent=CHROME_UA)
        page = await context.new_page()
        await page.goto(f"{deploy.site}/")
        await page.get_by_role("link", name="Statistics settings").click()
        await page.get_by_role("button", name="Turn statistics on").click()
        await page.get_by_text("Statistics are on").wait_for()
        await page.goto(f"{deploy.site}/news?title=seen")  # a session cookie: an erase button
        await page.go_back()
        await page.reload()
        await page.get_by_role("button", name="Erase what this session links").wait_for()
        count, stops = await tab_order(page)
        check_tab_order(count, stops)
        assert [s["tag"] for s in stops] == ["button", "a", "button", "a"]  # off, JSON, erase, back
        await context.close()


async def test_the_opt_out_page_allows_its_own_stylesheet_by_hash_and_nothing_else(
    server: Running,
) -> None:
    status, headers, body = await request("GET", f"{server.base}/optout?lang=de")
    assert status == 200
    csp = dict(d.strip().split(" ", 1) for d in headers["Content-Security-Policy"].split(";"))
    [style] = re.findall(rb"<style>(.*?)</style>", body, re.S)
    digest = base64.b64encode(hashlib.sha256(style).digest()).decode()
    assert csp["style-src"] == f"'sha256-{digest}'" and csp["default-src"] == "'none'"
    assert "script-src" not in csp and b"<script" not in body and b" style=" not in body
    assert not re.search(rb"(src|href)=\"(https?:)?//", body)  # nothing from another origin
