"""The pre-dispatch (tracking/predispatch.py): the same answers as the app, byte for byte but
the Date and a new session's id, and only for the requests it is meant to take."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import replace
from urllib.parse import urlencode

from aiohttp import web

from collector.appkeys import SITES
from collector.tracking import predispatch
from collector.tracking.raw_answer import GIF
from tests.support import CHROME_UA, Running, running_app, settings_for

Exchange = tuple[bytes, bytes]  # (head, body) as sent on the wire


async def exchange(base: str, raw: bytes) -> Exchange:
    """Send `raw` on a new connection; the answer's head and body as bytes."""
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(raw)
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        length = re.search(rb"\r\nContent-Length: (\d+)\r\n", head)
        has_body = length and not raw.startswith(b"HEAD ")
        body = await reader.readexactly(int(length.group(1))) if has_body else b""
        return head, body
    finally:
        writer.close()


def get(target: str, *headers: str, version: str = "1.1") -> bytes:
    lines = [f"GET {target} HTTP/{version}", "Host: 127.0.0.1", f"User-Agent: {CHROME_UA}"]
    return ("\r\n".join([*lines, *headers]) + "\r\n\r\n").encode()


def comparable(head: bytes) -> bytes:
    """The head with what differs between any two answers blanked: Date, a new session id."""
    head = re.sub(rb"\r\nDate: [^\r]+", b"\r\nDate: -", head)
    return re.sub(rb"collector_session=[0-9a-f]{32}", b"collector_session=-", head)


@contextlib.asynccontextmanager
async def both_ways(database_url: str, **overrides: object) -> AsyncIterator[tuple[str, str, str]]:
    """The app with the pre-dispatch and without it, same database; (fast, app, query)."""
    settings = replace(settings_for(database_url), **overrides)  # type: ignore[arg-type]
    async with (
        running_app(settings) as fast,
        running_app(settings, predispatch=False) as slow,
    ):
        site = await fast.add_site("Pre-dispatch", "predispatch.example")
        await slow.app[SITES].load()  # the site was added through the other app
        query = urlencode({"idsite": site, "rec": 1, "url": "https://predispatch.example/a"})
        yield fast.base, slow.base, query


CONSENT = "Cookie: collector_consent=1"
SESSION = "Cookie: collector_consent=1; collector_session=" + "ab" * 16


async def test_pixel_answers_are_the_apps_header_for_header(database_url: str) -> None:
    async with both_ways(database_url) as (fast, slow, query):
        cases = [
            get(f"/matomo.php?{query}", CONSENT),  # new session: Set-Cookie
            get(f"/piwik.php?{query}", SESSION),  # known session: no Set-Cookie
            get(f"/matomo.php?{query}&send_image=0", CONSENT),  # 204
            get(f"/matomo.php?{query}&send_image=0", SESSION),
            get(f"/matomo.php?{query}"),  # no consent: the same GIF, nothing kept
            get(f"/matomo.php?{query}", CONSENT, "Sec-GPC: 1"),
        ]
        for raw in cases:
            fast_head, fast_body = await exchange(fast, raw)
            slow_head, slow_body = await exchange(slow, raw)
            assert comparable(fast_head) == comparable(slow_head), raw
            assert fast_body == slow_body
        head, body = await exchange(fast, cases[0])
        assert head.startswith(b"HTTP/1.1 200 OK\r\n") and body == GIF
        assert b"\r\nSet-Cookie: collector_session=" in head and b"\r\nVary: Origin\r\n" in head


async def test_refusals_are_the_apps_with_vary_origin(database_url: str) -> None:
    async with both_ways(database_url) as (fast, slow, query):
        cases = [
            get(f"/matomo.php?{query}&url=%zz", CONSENT),  # bad percent-encoding
            get("/matomo.php?idsite=abc&rec=1&url=https://x.example/", CONSENT),
            get(f"/matomo.php?{query}&x=" + "a" * 17000, CONSENT),  # 414
        ]
        for raw in cases:
            fast_head, fast_body = await exchange(fast, raw)
            slow_head, slow_body = await exchange(slow, raw)
            assert fast_head.startswith(b"HTTP/1.1 4"), fast_head
            assert comparable(fast_head) == comparable(slow_head)
            assert fast_body == slow_body and fast_body.endswith(b"\n")
            assert b"\r\nVary: Origin\r\n" in fast_head


async def test_queue_full_and_rate_limit_refusals_are_the_apps(database_url: str) -> None:
    # A queue of one that the writer empties only after a minute; a rate with a burst of one:
    # the first hit is taken, the second refused.
    full = {"queue_size": 1, "batch_size": 10, "flush_interval_ms": 60_000}
    limited = {"rate_limit": 0.001, "rate_limit_burst": 1}
    for overrides, status in ((full, b"503"), (limited, b"429")):
        async with both_ways(database_url, **overrides) as (fast, slow, query):
            raw = get(f"/matomo.php?{query}", CONSENT)
            for base in (fast, slow):
                assert (await exchange(base, raw))[0].startswith(b"HTTP/1.1 200 OK")
            fast_head, fast_body = await exchange(fast, raw)
            slow_head, slow_body = await exchange(slow, raw)
            assert fast_head.split(b" ")[1] == status
            assert comparable(fast_head) == comparable(slow_head) and fast_body == slow_body
            assert b"\r\nRetry-After: " in fast_head and b"\r\nVary: Origin\r\n" in fast_head


@contextlib.asynccontextmanager
async def recording(database_url: str) -> AsyncIterator[tuple[Running, list[str], str]]:
    """The pre-dispatch in front of an app whose handler records what reaches it."""
    async with running_app(settings_for(database_url), predispatch=False) as running:
        site = running.site_id = await running.add_site("Recorded", "recorded.example")
        runner = running.runner
        assert runner is not None and runner.server is not None
        app_handler = runner.server.request_handler
        reached: list[str] = []

        async def recorder(request: web.BaseRequest) -> web.StreamResponse:
            reached.append(f"{request.method} {request.path}")
            return await app_handler(request)

        runner.server.request_handler = recorder
        predispatch.install(runner)  # before the first connection: each copies the handler
        query = urlencode({"idsite": site, "rec": 1, "url": "https://recorded.example/"})
        yield running, reached, query


async def test_plain_keep_alive_gets_of_the_tracking_paths_skip_the_app(
    database_url: str,
) -> None:
    async with recording(database_url) as (running, reached, query):
        for path in ("/matomo.php", "/piwik.php"):
            head, _ = await exchange(running.base, get(f"{path}?{query}", CONSENT))
            assert head.startswith(b"HTTP/1.1 200 OK")
        await exchange(running.base, get(f"/matomo.php?{query}&url=%zz", CONSENT))
        assert reached == []
        await running.flush()
        assert len(await running.rows()) == 2


async def test_origin_http10_close_head_expect_and_other_paths_go_to_the_app(
    database_url: str,
) -> None:
    async with recording(database_url) as (running, reached, query):
        target = f"/matomo.php?{query}"
        others = [
            get(target, CONSENT, "Origin: https://recorded.example"),
            get(target, CONSENT, version="1.0"),
            get(target, CONSENT, "Connection: close"),
            get(target, CONSENT, "Expect: 100-continue"),
            get(target, CONSENT, "Content-Length: 2") + b"{}",
            get(target, CONSENT).replace(b"GET ", b"HEAD ", 1),
            get(f"/matomo.php/x?{query}", CONSENT),
            get("/healthz"),
        ]
        for raw in others:
            await exchange(running.base, raw)
        assert len(reached) == len(others)
        origin_head, _ = await exchange(
            running.base, get(target, CONSENT, "Origin: https://recorded.example")
        )
        assert b"\r\nAccess-Control-Allow-Origin: https://recorded.example\r\n" in origin_head


async def test_pipelined_hits_on_one_connection_are_answered_in_order(database_url: str) -> None:
    async with recording(database_url) as (running, reached, query):
        host, port = running.base.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(
            get(f"/matomo.php?{query}", CONSENT)
            + get(f"/matomo.php?{query}&send_image=0", SESSION)
            + get("/healthz")
        )
        await writer.drain()
        data = b""
        while data.count(b"HTTP/1.1 ") < 3 or not data.endswith(b"}"):
            data += await asyncio.wait_for(reader.read(65536), 10)
        writer.close()
        statuses = re.findall(rb"HTTP/1\.1 (\d{3})", data)
        assert statuses == [b"200", b"204", b"200"]
        assert reached == ["GET /healthz"]
