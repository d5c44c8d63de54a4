"""Real things for browser tests: Debian's chromium driven by Playwright, and a web page.

Playwright never downloads a browser here: it launches /usr/bin/chromium (scripts/test-deps
installs it). Headless Chromium says "HeadlessChrome", which the bot filter drops, so
contexts get a normal desktop Chrome user agent.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from playwright.async_api import Browser, BrowserContext, Frame, Page, Request, async_playwright

from tests.support import CHROME_UA, free_port

# axe-core (npm, pinned in tests/clients/package.json; scripts/test-deps installs it).
AXE = Path(__file__).resolve().parents[1] / ".cache/test-deps/node_modules/axe-core/axe.min.js"

CHROMIUM = os.environ.get("COLLECTOR_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextlib.asynccontextmanager
async def launch_chromium() -> AsyncIterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        raise RuntimeError(f"{CHROMIUM} is missing: run scripts/test-deps")
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


@contextlib.asynccontextmanager
async def browser_context(browser: Browser) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(user_agent=CHROME_UA)
    try:
        yield context
    finally:
        await context.close()


@dataclass
class WebSite:
    """A site on its own port, same host as the collector: cross-origin but same-site."""

    base: str


@contextlib.asynccontextmanager
async def serve_pages(
    routes: dict[str, Callable[[web.Request], web.Response]],
) -> AsyncIterator[WebSite]:
    """A tiny aiohttp app on another port of 127.0.0.1 serving `routes` (path -> handler)."""

    app = web.Application()
    for path, handler in routes.items():

        async def handle(
            request: web.Request, handler: Callable[..., web.Response] = handler
        ) -> web.Response:
            return handler(request)

        app.router.add_get(path, handle)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield WebSite(base=f"http://127.0.0.1:{port}")
    finally:
        await runner.cleanup()


class Beacons:
    """Tracking requests the page sent, in order, as Playwright reports them."""

    def __init__(self, page: Page, collector: str) -> None:
        self.page = page
        self.endpoint = collector + "/matomo.php"
        self.sent: list[Request] = []
        page.context.on("request", self._seen)

    def _seen(self, request: Request) -> None:
        if request.url.startswith(self.endpoint):
            self.sent.append(request)

    def params(self) -> list[dict[str, str]]:
        return [dict(parse_qsl(r.post_data or r.url.partition("?")[2])) for r in self.sent]

    async def after(
        self, action: Callable[[], Awaitable[Any]], *, leaving: bool = False
    ) -> dict[str, str]:
        """Run `action`, wait until the beacon it sends has been answered; its parameters.

        Listens on the context, not the page: a beacon sent while leaving a page outlives it.
        A failed beacon (say, blocked by CORS) fails at once instead of timing out.
        """
        context = self.page.context
        done: asyncio.Future[Request] = asyncio.get_running_loop().create_future()

        def finished(request: Request) -> None:
            if request.url.startswith(self.endpoint) and not done.done():
                done.set_result(request)

        def failed(request: Request) -> None:
            if not request.url.startswith(self.endpoint) or done.done():
                return
            if leaving and request.failure == "net::ERR_ABORTED":
                done.set_result(request)  # the page went away; the caller checks delivery
            else:
                done.set_exception(AssertionError(f"beacon failed: {request.failure}"))

        context.on("requestfinished", finished)
        context.on("requestfailed", failed)
        try:
            await action()
            request = await asyncio.wait_for(done, 30)
        finally:
            context.remove_listener("requestfinished", finished)
            context.remove_listener("requestfailed", failed)
        response = await request.response()
        if not (leaving and request.failure):
            assert response is not None and response.status in (200, 204), response
        return self.params()[self.sent.index(request)]


async def axe_violations(page: Page | Frame) -> list[dict[str, Any]]:
    """What axe-core finds on the page as it stands, with every rule axe runs by default
    (WCAG 2.0, 2.1 and 2.2 A and AA, and its best practices): [{id, impact, help, nodes}].

    The page's Content-Security-Policy forbids every script; Playwright's evaluate runs
    outside it (DevTools), so the page is checked with its real policy in force."""
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: run scripts/test-deps")
    await page.evaluate(AXE.read_text())
    result = await page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ["violations"]});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => n.target.join(" ") + ": " + n.failureSummary)}));
        }"""
    )
    return list(result)


# Every element Tab may stop at, in document order, marked with its place (data-tab).
_FOCUSABLE = """() => {
    const all = [...document.querySelectorAll(
        'a[href], button, input:not([type=hidden]), select, textarea, [tabindex]')]
        .filter(e => !e.disabled && e.tabIndex >= 0 && e.getClientRects().length);
    all.forEach((e, i) => e.dataset.tab = String(i));
    return all.length;
}"""
_FOCUSED = """() => {
    const e = document.activeElement, s = getComputedStyle(e);
    return {tab: e.dataset.tab ?? null, outline: s.outlineStyle,
            width: parseFloat(s.outlineWidth), tag: e.tagName.toLowerCase()};
}"""


async def tab_order(page: Page) -> tuple[int, list[dict[str, Any]]]:
    """Press Tab from the top of the page through every focusable element: (how many there
    are, what each press focused: its place in document order and its outline)."""
    count = await page.evaluate(_FOCUSABLE)
    await page.evaluate("() => document.activeElement && document.activeElement.blur()")
    stops: list[dict[str, Any]] = []
    last = str(count - 1)
    for _ in range(count * 4):  # a date field takes several presses
        await page.keyboard.press("Tab")
        stop = await page.evaluate(_FOCUSED)
        if stops and stops[-1]["tab"] == last and stop["tab"] != last:
            break  # past the last element: to the browser's own controls, or round again
        stops.append(stop)
    return count, stops


def check_tab_order(count: int, stops: list[dict[str, Any]]) -> None:
    """Tab reached every element, in document order, each with a visible outline. A date
    field takes a Tab per part (day, month, year, its picker) and stays the active element:
    one element, with an outline at least while one of its parts has the focus."""
    assert count > 0
    elements: list[dict[str, Any]] = []
    for stop in stops:
        if elements and elements[-1]["tab"] == stop["tab"]:
            elements[-1]["visible"] |= _visible(stop)
        else:
            elements.append({**stop, "visible": _visible(stop)})
    assert [e["tab"] for e in elements] == [str(i) for i in range(count)], stops
    faint = [e for e in elements if not e["visible"]]
    assert not faint, f"focus not visible on {faint}"


def _visible(stop: dict[str, Any]) -> bool:
    return stop["outline"] != "none" and stop["width"] >= 2
