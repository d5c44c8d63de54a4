"""The README's first screen as a new user follows it, in real Chromium (Debian's).

`collector serve` on the embedded database, started as a process; what it prints is all the
test knows: the snippet goes into a page served where the banner says, the browser opts in at
the link the banner gives, and then a page view must be kept.
"""

from __future__ import annotations

import re
import signal
import subprocess
import tempfile
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest
from aiohttp import web

from tests.browser import CHROMIUM, Beacons, browser_context, launch_chromium, serve_pages
from tests.support import free_port
from tests.test_cli import _embedded_env, _start, _wait_healthy

LOG_LINE = re.compile(r"\d{4}-\d\d-\d\d \d")  # serve's log lines share the pipe
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs the Debian chromium package"),
]


@dataclass
class Banner:
    lines: list[str]
    port: int

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def snippet(self) -> str:
        [tag] = [line.strip() for line in self.lines if line.strip().startswith("<script")]
        return tag

    def opt_in_link(self) -> str:
        [line] = [line for line in self.lines if line.startswith("Nothing is kept")]
        [link] = re.findall(r"http://\S+/optout", line)
        return link

    def page_host(self) -> str:
        """Where the banner says the page must be served from."""
        [host] = re.findall(r"Paste into a page served from http://([\w.]+)", self.text)
        return host


class Output:
    """Everything the process prints, read as it comes (the pipe never fills up)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.banner_done = threading.Event()
        self._reader = threading.Thread(target=self._read, args=(proc,), daemon=True)
        self._reader.start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith("Dashboard"):  # the banner's last line
                self.banner_done.set()
        self.banner_done.set()  # ended: whatever it printed is all there is

    def banner(self) -> list[str]:
        assert self.banner_done.wait(60), "\n".join(self.lines)
        return [line for line in self.lines if not LOG_LINE.match(line)]

    def join(self, proc: subprocess.Popen[str]) -> None:
        self._reader.join(60)
        assert proc.stdout is not None
        proc.stdout.close()


@pytest.fixture(scope="module")
def banner() -> Iterator[Banner]:
    with tempfile.TemporaryDirectory(prefix="collector-first-run-") as tmp:
        port = free_port()
        proc = _start(_embedded_env(Path(tmp) / "data"), port)
        output = Output(proc)
        try:
            lines = output.banner()
            _wait_healthy(port, proc)
            yield Banner(lines, port)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(60)
            output.join(proc)
        assert proc.returncode == 0, "\n".join(output.lines)


@pytest.fixture(scope="module")
async def chromium() -> AsyncIterator[Any]:
    async with launch_chromium() as browser:
        yield browser


def _html(body: str) -> web.Response:
    return web.Response(
        text=f'<!doctype html><html lang="en"><title>My page</title><body>{body}</body></html>',
        content_type="text/html",
    )


async def test_the_printed_snippet_on_the_named_page_keeps_a_page_view_after_opt_in(
    banner: Banner, chromium: Any
) -> None:
    snippet = banner.snippet()
    async with (
        serve_pages({"/": lambda _: _html("<h1>Hello</h1>" + snippet)}) as site,
        browser_context(chromium) as context,
    ):
        page_url = f"http://{banner.page_host()}:{urlsplit(site.base).port}/"
        page = await context.new_page()
        await page.goto(banner.opt_in_link())
        await page.get_by_role("button", name="Turn statistics on").click()
        await page.get_by_text("Statistics are on").wait_for()

        collector = urlsplit(re.findall(r'src="([^"]+)"', snippet)[0])
        beacons = Beacons(page, f"{collector.scheme}://{collector.netloc}")
        await beacons.after(lambda: page.goto(page_url))  # the page view, answered
        [hit] = beacons.sent
        assert "collector_consent=" in (await hit.all_headers()).get("cookie", "")

        await page.goto(f"{collector.scheme}://{collector.netloc}/privacy/me")
        mine = orjson.loads(await page.inner_text("body"))
    assert [(h["url"], h["title"]) for h in mine["hits"]] == [(page_url, "My page")]


def test_the_banner_says_nothing_is_kept_before_opt_in_and_where_the_dashboard_is(
    banner: Banner,
) -> None:
    assert banner.lines[0].startswith(f"collector listening on http://127.0.0.1:{banner.port}")
    assert banner.opt_in_link() == f"http://localhost:{banner.port}/optout"
    assert f"http://localhost:{banner.port}/dashboard" in banner.lines[-1]
    assert "COLLECTOR_API_TOKEN" in banner.lines[-1]  # not set here: the dashboard is off


async def test_a_collector_named_127_0_0_1_gets_no_consent_cookie_from_a_localhost_page(
    banner: Banner, chromium: Any
) -> None:
    # Why the banner names localhost: the same server as 127.0.0.1 is another site for a page
    # on localhost, and the browser sends it no SameSite=Lax cookie, opted in or not.
    other = f"http://127.0.0.1:{banner.port}"
    tag = f'<script defer src="{other}/tracker.js" data-site="1" data-require-consent="false">'
    async with (
        serve_pages({"/": lambda _: _html(tag + "</script>")}) as site,
        browser_context(chromium) as context,
    ):
        page = await context.new_page()
        await page.goto(f"{other}/optout")
        await page.get_by_role("button", name="Turn statistics on").click()
        await page.get_by_text("Statistics are on").wait_for()
        beacons = Beacons(page, other)
        await beacons.after(lambda: page.goto(f"http://localhost:{urlsplit(site.base).port}/"))
        [hit] = beacons.sent
        assert "cookie" not in await hit.all_headers()
        assert any(c["name"] == "collector_consent" for c in await context.cookies(other))


async def test_opting_in_from_a_localhost_page_at_127_0_0_1_says_it_cannot_work(
    banner: Banner, chromium: Any
) -> None:
    # The same trap through a banner's fetch: no "consent: true" and no receipt for a cookie
    # the browser drops; the answer says why.
    agree = (
        "<script>async function agree() {"
        f"  const r = await fetch('http://127.0.0.1:{banner.port}/optin', {{method: 'POST',"
        "    credentials: 'include', headers: {Accept: 'application/json'}});"
        "  document.body.dataset.answer = JSON.stringify([r.status, await r.json()]);"
        "}</script><button onclick='agree()'>Agree</button>"
    )
    async with (
        serve_pages({"/": lambda _: _html(agree)}) as site,
        browser_context(chromium) as context,
    ):
        page = await context.new_page()
        await page.goto(f"http://localhost:{urlsplit(site.base).port}/")
        await page.get_by_role("button", name="Agree").click()
        await page.wait_for_function("() => document.body.dataset.answer")
        status, answer = await page.evaluate("() => JSON.parse(document.body.dataset.answer)")
        cookies = await context.cookies()
    assert status == 403 and "cross-site" in answer["error"]
    assert cookies == []
