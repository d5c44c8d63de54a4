"""Server-side Matomo clients against the collector: npm `matomo-tracker`, Python `matomopy`.

Both are real packages (installed by scripts/test-deps and the test extras, not vendored).
A server sending hits for its visitors has no cookie jar of its own: it forwards the
visitor's Cookie header (consent is always the visitor's, P1) and User-Agent, and passes the
collector's Set-Cookie (`collector_session`) back to the visitor, or each hit is a new visit.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests
from aiohttp import web
from matomopy import MatomoTracker
from yarl import URL

from tests.support import CHROME_UA, Running, free_port

ROOT = Path(__file__).parent.parent.parent
NODE_MODULES = ROOT / ".cache" / "test-deps" / "node_modules"
DRIVER = Path(__file__).parent / "send_with_matomo_tracker.js"
VISITOR_SESSION = "0123456789abcdef0123456789abcdef"


async def run_matomo_tracker(job: dict[str, Any]) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None or not (NODE_MODULES / "matomo-tracker").is_dir():
        pytest.fail("node or matomo-tracker missing: run scripts/test-deps")
    proc = await asyncio.create_subprocess_exec(
        node,
        str(DRIVER),
        json.dumps(job),
        env={"NODE_PATH": str(NODE_MODULES), "PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    lines = out.decode().splitlines()
    return json.loads(lines[-1]) if lines else {}


def _page(server: Running, path: str) -> str:
    return f"https://{server.domain}{path}"


async def _stored(server: Running) -> list[Any]:
    await server.flush()
    return await server.rows(
        "SELECT action, url, title, event_category, session_id FROM hits WHERE site_id = $1"
        " ORDER BY url, action",
        server.site_id,
    )


async def test_node_matomo_tracker_single_and_bulk_requests_are_stored(server: Running) -> None:
    answer = await run_matomo_tracker(
        {
            "tracker": server.base + "/matomo.php",
            "site": server.site_id,
            "cookie": f"collector_consent=1; collector_session={VISITOR_SESSION}",
            "userAgent": CHROME_UA,
            "single": [{"url": _page(server, "/one"), "action_name": "One"}],
            "bulk": [
                {"url": _page(server, "/two"), "action_name": "Two", "_id": "AA814767"},
                {"url": _page(server, "/two"), "e_c": "Buy", "e_a": "rightButton", "e_v": "2"},
            ],
        }
    )
    assert json.loads(answer["bulk"])["tracked"] == 2
    rows = await _stored(server)
    assert [(r["action"], r["url"], r["title"], r["event_category"]) for r in rows] == [
        ("pageview", _page(server, "/one"), "One", None),
        ("event", _page(server, "/two"), None, "Buy"),
        ("pageview", _page(server, "/two"), "Two", None),
    ]
    assert {r["session_id"].hex for r in rows} == {VISITOR_SESSION}


async def test_node_matomo_tracker_without_the_visitors_consent_cookie_stores_nothing(
    server: Running,
) -> None:
    answer = await run_matomo_tracker(
        {
            "tracker": server.base + "/piwik.php",
            "site": server.site_id,
            "cookie": "",
            "userAgent": CHROME_UA,
            "single": [{"url": _page(server, "/one")}],
            "bulk": [{"url": _page(server, "/two")}],
        }
    )
    assert json.loads(answer["bulk"])["status"] == "success"  # looks the same (P1)
    assert await _stored(server) == []


def _python_client(server: Running, cookies: dict[str, str]) -> MatomoTracker:
    session = requests.Session()
    session.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return MatomoTracker(server.base, server.site_id, user_agent=CHROME_UA, session=session)


async def test_python_matomopy_single_and_bulk_requests_are_stored(server: Running) -> None:
    def send() -> Any:
        with _python_client(
            server, {"collector_consent": "1", "collector_session": VISITOR_SESSION}
        ) as tracker:
            tracker.set_url(_page(server, "/one"))
            tracker.set_visitor_id("0123456789abcdef")  # accepted, never stored (P3)
            tracker.track_page_view("One")
            tracker.enable_bulk_tracking()
            tracker.set_url(_page(server, "/two"))
            tracker.track_page_view("Two")
            tracker.track_event("Buy", "rightButton", value=2)
            tracker.track_ping()
            return tracker.flush()

    answer = await asyncio.to_thread(send)
    assert answer["tracked"] == 3
    rows = await _stored(server)
    assert [(r["action"], r["url"], r["title"], r["event_category"]) for r in rows] == [
        ("pageview", _page(server, "/one"), "One", None),
        ("event", _page(server, "/two"), None, "Buy"),
        ("pageview", _page(server, "/two"), "Two", None),
        ("ping", _page(server, "/two"), None, None),
    ]
    assert {r["session_id"].hex for r in rows} == {VISITOR_SESSION}


async def test_python_matomopy_without_the_visitors_consent_cookie_stores_nothing(
    server: Running,
) -> None:
    def send() -> None:
        with _python_client(server, {}) as tracker:
            tracker.set_url(_page(server, "/one"))
            tracker.track_page_view("One")

    await asyncio.to_thread(send)
    assert await _stored(server) == []


def _backend(server: Running, *, pass_set_cookie_back: bool) -> web.Application:
    """A site's server that reports each page it serves with matomopy, forwarding the
    visitor's Cookie and User-Agent; and, when told, the collector's Set-Cookie back."""

    async def page(request: web.Request) -> web.Response:
        def track() -> requests.Response:
            session = requests.Session()
            session.headers["Cookie"] = request.headers.get("Cookie", "")
            agent = request.headers["User-Agent"]
            with MatomoTracker(server.base, server.site_id, user_agent=agent, session=session) as t:
                t.set_url(_page(server, request.path))
                response: requests.Response = t.track_page_view("Page")
                return response

        answer = await asyncio.to_thread(track)
        response = web.Response(text="a page\n")
        if pass_set_cookie_back and "Set-Cookie" in answer.headers:
            response.headers["Set-Cookie"] = answer.headers["Set-Cookie"]  # collector_session
        return response

    app = web.Application()
    app.router.add_get("/{name}", page)
    return app


async def _browse_three_pages(server: Running, backend: web.Application) -> set[str]:
    """A visitor (a real cookie jar, opted in) opens three pages; the sessions stored."""
    runner = web.AppRunner(backend)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        jar = aiohttp.CookieJar(unsafe=True)  # unsafe: keeps cookies of an IP host
        jar.update_cookies({"collector_consent": "1"}, URL(f"http://127.0.0.1:{port}/"))
        async with aiohttp.ClientSession(cookie_jar=jar, headers={"User-Agent": CHROME_UA}) as v:
            for name in ("one", "two", "three"):
                async with v.get(f"http://127.0.0.1:{port}/{name}") as answer:
                    assert answer.status == 200
    finally:
        await runner.cleanup()
    rows = await _stored(server)
    assert len(rows) == 3
    return {r["session_id"].hex for r in rows}


async def test_a_server_side_client_passing_set_cookie_back_keeps_one_visit(
    server: Running,
) -> None:
    # Visits are split from collector_session: one session id, one visit.
    sessions = await _browse_three_pages(server, _backend(server, pass_set_cookie_back=True))
    assert len(sessions) == 1


async def test_a_server_side_client_dropping_set_cookie_makes_each_hit_a_new_visit(
    server: Running,
) -> None:
    sessions = await _browse_three_pages(server, _backend(server, pass_set_cookie_back=False))
    assert len(sessions) == 3
