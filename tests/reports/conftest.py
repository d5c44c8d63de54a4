"""A fixed set of hits with known answers, sent once through the real endpoint.

Five visits over two UTC days (D1, D2), one more on D3, a bot, and an orphan heartbeat. Each
visit is a browser session: the first hit's `collector_session` cookie is sent with the
rest, and the `Clock` places every hit in time. The answers are in `tests/reports/
test_reports.py`; the same server serves the API, CLI and dashboard tests of this package.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from collector.appkeys import SITES
from collector.goals import GoalSpec, add_dimension, add_goal
from tests.support import CONSENT, Running, running_app, settings_for, write_geoip

FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Mobile Safari/537.36"
)
SAFARI_IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)
CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@dataclass
class Seeded:
    server: Running
    d1: date
    d2: date
    d3: date

    @property
    def site(self) -> int:
        return self.server.site_id


class Browser:
    """One browser session: a user agent and the cookies the collector gave it."""

    def __init__(self, server: Running, user_agent: str) -> None:
        self.server = server
        self.user_agent = user_agent
        self.jar = dict(CONSENT)

    async def hit(self, at: datetime, path: str = "/", **params: Any) -> None:
        self.server.clock.now = at
        url = f"https://{self.server.domain}{path}"
        status, headers, _ = await self.server.get(
            "/matomo.php",
            self.server.hit_params(url=url, **params),
            cookies=self.jar,
            headers={"User-Agent": self.user_agent},
        )
        assert status == 200
        if cookie := headers.get("Set-Cookie"):
            self.jar["collector_session"] = cookie.split(";")[0].partition("=")[2]


async def seed(server: Running, d1: date) -> None:
    """The fixed hit set, and the site's goals and custom dimension it converts and sets.
    Times are UTC; `at(day, "HH:MM:SS")`."""
    async with server.pool.acquire() as conn:
        server.goals = [  # type: ignore[attr-defined]
            await add_goal(
                conn, server.site_id, GoalSpec("Contact", "url", "contains", "/contact")
            ),
            await add_goal(conn, server.site_id, GoalSpec("Newsletter", "manually")),
        ]
        server.dimensions = [  # type: ignore[attr-defined]
            await add_dimension(conn, server.site_id, "Member", "visit")
        ]
    await server.app[SITES].load()
    d2, d3 = d1 + timedelta(days=1), d1 + timedelta(days=2)
    site = f"https://{server.domain}"

    def at(day: date, hms: str) -> datetime:
        return datetime.combine(day, time.fromisoformat(hms), UTC)

    # Visit A: from Google; 2 pageviews, a download, then heartbeats to 10:10 (600 s).
    # Its first pageview carries page timings and the visit's custom dimension.
    a = Browser(server, FIREFOX_LINUX)
    await a.hit(
        at(d1, "10:00:00"),
        "/",
        action_name="Home",
        urlref="https://www.google.com/",
        pf_net=20,
        pf_srv=180,
        pf_onl=40,
        **{f"dimension{server.dimensions[0]}": "member"},
        lang="de-AT",
        res="1920x1080",
    )
    await a.hit(at(d1, "10:02:00"), "/about?x=secret#frag", action_name="About", lang="de")
    await a.hit(
        at(d1, "10:03:00"), "/about", download=f"{site}/files/plan.pdf?token=s3cret", lang="de"
    )
    await a.hit(at(d1, "10:04:00"), "/about", ping=1)
    await a.hit(at(d1, "10:10:00"), "/about", ping=1)

    # Visit B: campaign landing; pageview, site search, event, outlink (300 s).
    b = Browser(server, CHROME_ANDROID)
    landing = "/?mtm_campaign=Spring&mtm_source=newsletter&mtm_medium=email"
    await b.hit(at(d1, "12:00:00"), landing, action_name="Home", res="412x915")
    await b.hit(
        at(d1, "12:01:00"), "/search?q=opening+hours", search="Opening Hours", search_count=3
    )
    await b.hit(at(d1, "12:02:00"), "/", e_c="Video", e_a="play", e_n="intro", e_v="1.5")
    # Between its actions (so no count or duration changes): content, a goal, an order.
    banner = {"c_n": "Banner", "c_p": "offer.png", "c_t": "https://partner.example/?id=7"}
    await b.hit(at(d1, "12:03:00"), "/", ca=1, **banner)
    await b.hit(at(d1, "12:03:10"), "/", ca=1, c_i="click", **banner)
    await b.hit(at(d1, "12:03:20"), "/", idgoal=server.goals[1], revenue=5)
    items = '[["SKU-1", "Guide", "Books", 12.5, 2]]'
    await b.hit(at(d1, "12:03:30"), "/", idgoal=0, revenue=25, ec_items=items)
    await b.hit(at(d1, "12:03:40"), "/", idgoal=0, ec_id="A-17", revenue=25, ec_items=items)
    await b.hit(at(d1, "12:05:00"), "/", link="https://partner.example/offer?id=7")

    # Visit C: direct, one pageview: a bounce of 0 s. Its session's ping 40 minutes later
    # starts no visit (Matomo drops such a heartbeat).
    c = Browser(server, SAFARI_IPAD)
    await c.hit(at(d1, "15:00:00"), "/contact", action_name="Contact")
    await c.hit(at(d1, "15:40:00"), "/contact", ping=1)

    # Googlebot: dropped at the door, counted in no report.
    bot = Browser(server, GOOGLEBOT)
    await bot.hit(at(d1, "16:00:00"), "/", action_name="Home")

    # Visit D: the same session as C, next day, from a blog; 3 pageviews and an event (120 s).
    await c.hit(at(d2, "09:00:00"), "/about", action_name="About", urlref="https://blog.example/p")
    await c.hit(at(d2, "09:01:00"), "/", action_name="Home")
    await c.hit(at(d2, "09:01:30"), "/", e_c="Video", e_a="play", e_n="intro", e_v="2.5")
    await c.hit(at(d2, "09:02:00"), "/about", action_name="About")

    # Visit E: from Facebook, one pageview and a heartbeat: still a bounce, but 30 s long.
    e = Browser(server, CHROME_WINDOWS)
    await e.hit(
        at(d2, "11:00:00"),
        "/contact",
        action_name="Contact",
        urlref="https://m.facebook.com/",
        lang="en",
    )
    await e.hit(at(d2, "11:00:30"), "/contact", ping=1)

    # Visit F: on D3, outside the period most tests ask for.
    f = Browser(server, CHROME_WINDOWS)
    await f.hit(at(d3, "08:00:00"), "/later", action_name="Later")
    await server.roll_up()
    await seed_usage(server, at(d1, "10:00:00"))


async def seed_usage(server: Running, ts: datetime) -> None:
    """The web server's own log of the same day (the usage-* reports): a page, a 404 linked
    from a blog, a bot, a server error. Tested in detail in tests/usage/test_reports.py."""
    from tests.usage.test_reports import row, store

    site = server.site_id
    async with server.pool.acquire() as conn:
        await store(
            conn,
            [
                row(site, ts, "/", 200, 1000, referrer="https://blog.example/p"),
                row(site, ts, "/old", 404, 100, referrer="https://blog.example/p"),
                row(site, ts, "/", 200, 10, browser="bingbot", os=None, bot=True),
                row(site, ts, "/api", 500, 10, ip_prefix="203.0.0.0"),
            ],
        )


@pytest.fixture(scope="package")
async def seeded(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Seeded]:
    """The app with the fixed hit set on its own site; the clock left at noon after D3.

    D1 is three days ago (real time), so a retention job working on the real date would
    keep these hits; the answers do not depend on which day it is.
    """
    # Every hit comes from 127.0.0.1, looked up as 127.0.0.0 (mask level 2): in Berlin.
    geoip = write_geoip(
        tmp_path_factory.mktemp("geoip") / "test.mmdb",
        {"127.0.0.0/16": {"country": {"iso_code": "DE"}, "subdivisions": [{"iso_code": "BE"}]}},
    )
    async with running_app(settings_for(database_url, geoip_db=geoip)) as server:
        domain = f"reports-{secrets.token_hex(4)}.example"
        server.site_id = await server.add_site("Reports site", domain)
        server.domain = domain
        d1 = datetime.now(UTC).date() - timedelta(days=3)
        await seed(server, d1)
        d2, d3 = d1 + timedelta(days=1), d1 + timedelta(days=2)
        server.clock.now = datetime.combine(d3 + timedelta(days=1), time(12), UTC)
        yield Seeded(server, d1, d2, d3)
