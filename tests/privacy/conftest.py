"""Helpers for the privacy tests: requests that keep every Set-Cookie, and a browser-like jar."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDictProxy
from yarl import URL

from tests.support import CHROME_UA, Running, running_app, settings_for


@dataclass
class Answer:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    @property
    def set_cookies(self) -> list[str]:
        return list(self.headers.getall("Set-Cookie", []))

    def cookie(self, name: str) -> SimpleCookie:
        """The last Set-Cookie for `name` that sets it (or expires it), parsed."""
        for raw in reversed(self.set_cookies):
            if raw.startswith(name + "="):
                jar: SimpleCookie = SimpleCookie()
                jar.load(raw)
                return jar
        raise AssertionError(f"no Set-Cookie for {name}: {self.set_cookies}")


async def send(
    method: str,
    url: str,
    *,
    cookies: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    data: Any = None,
) -> Answer:
    """One request over a real socket, keeping every Set-Cookie header; no cookie jar."""
    hdrs = {"User-Agent": CHROME_UA, **(headers or {})}
    if cookies:
        hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http,
        http.request(
            method, URL(url, encoded=True), headers=hdrs, data=data, allow_redirects=False
        ) as resp,
    ):
        return Answer(resp.status, resp.headers, await resp.read())


@dataclass
class Jar:
    """What a browser would hold after the answers it got (host-only, Path=/ cookies)."""

    values: dict[str, str] = field(default_factory=dict)

    def take(self, answer: Answer) -> None:
        for raw in answer.set_cookies:
            name, _, rest = raw.partition("=")
            value = rest.split(";", 1)[0]
            if "Max-Age=0" in raw:
                self.values.pop(name, None)
            else:
                self.values[name] = value


def site_origin(server: Running) -> str:
    return f"https://www.{server.domain}"


@pytest.fixture
async def slow_writer_server(database_url: str) -> AsyncIterator[Running]:
    """Hits stay in the writer's queue until flushed (the timer would take a minute)."""
    import secrets

    async with running_app(settings_for(database_url, flush_interval_ms=60_000)) as running:
        running.domain = f"site-{secrets.token_hex(4)}.example"
        running.site_id = await running.add_site("Slow writer", running.domain)
        yield running


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    """Debian's chromium, with every *.example and *.test host name at 127.0.0.1."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--host-resolver-rules=MAP *.example 127.0.0.1, MAP *.test 127.0.0.1",
            ],
        )
        yield chromium
        await chromium.close()
