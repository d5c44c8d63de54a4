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
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from playwright.async_api import Browser, BrowserContext, Page, Request, async_playwright

from tests.support import CHROME_UA, free_port

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
