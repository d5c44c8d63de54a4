"""docs/dashboard.png: the dashboard over a week of seeded demo traffic, in headless Chromium.

    .venv/bin/python scripts/dashboard_screenshot.py [OUTPUT] [WIDTH]

Starts a fresh database (embedded, or a new one on COLLECTOR_DATABASE_URL's server) and the
app, sends a week of made-up visits through the real tracking endpoint (deterministic: a
seeded random generator, and the app's clock moved hit by hit), logs in, and saves the whole
page at 1280 px wide (or WIDTH). Visitors come from a small GeoIP database the script writes
(all in Germany, as a city's mostly are) and book appointments, a goal of the site.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collector.appkeys import SITES
from collector.goals import GoalSpec, add_goal
from tests.reports.conftest import (
    CHROME_ANDROID,
    CHROME_WINDOWS,
    FIREFOX_LINUX,
    SAFARI_IPAD,
    Browser,
)
from tests.reports.test_dashboard import CHROMIUM, CHROMIUM_ARGS
from tests.support import (
    CHROME_UA,
    Running,
    fresh_database,
    running_app,
    settings_for,
    write_geoip,
)

PAGES = [
    ("/", "Home"),
    ("/rathaus/oeffnungszeiten", "Opening hours"),
    ("/buergerservice/termine", "Appointments"),
    ("/veranstaltungen", "Events"),
    ("/stellenangebote", "Jobs"),
    ("/kontakt", "Contact"),
]
REFERRERS = [
    None,
    None,
    "https://www.google.de/",
    "https://duckduckgo.com/",
    "https://www.ecosia.org/",
    "https://m.facebook.com/",
    "https://news.example/",
]
AGENTS = [CHROME_WINDOWS, CHROME_ANDROID, SAFARI_IPAD, FIREFOX_LINUX, CHROME_UA]
SCREENS = {CHROME_WINDOWS: "1920x1080", CHROME_ANDROID: "412x915", SAFARI_IPAD: "820x1180",
           FIREFOX_LINUX: "2560x1440", CHROME_UA: "1366x768"}  # fmt: skip
LANGUAGES = ["de-DE", "de-DE", "de-DE", "de", "en-GB", "tr", "uk"]


async def seed_week(server: Running, rng: random.Random, last_day: datetime) -> None:
    async with server.pool.acquire() as conn:
        await add_goal(
            conn,
            server.site_id,
            GoalSpec("Appointment booked", "url", "contains", "/termine/danke"),
        )
    await server.app[SITES].load()
    for day in range(7):
        start = last_day - timedelta(days=6 - day)
        for _ in range(rng.randint(14, 30) + 4 * (day % 3)):
            at = start + timedelta(minutes=rng.randint(7 * 60, 21 * 60))
            agent = rng.choice(AGENTS)
            visitor = Browser(server, agent)
            path, title = rng.choices(PAGES, weights=[6, 4, 3, 2, 1, 1])[0]
            params = {"action_name": title, "res": SCREENS[agent], "lang": rng.choice(LANGUAGES)}
            if rng.random() < 0.1:
                path += "?mtm_campaign=Stadtfest&mtm_source=newsletter"
            elif ref := rng.choice(REFERRERS):
                params["urlref"] = ref
            await visitor.hit(at, path, **params)
            for _ in range(rng.choice([0, 0, 1, 2, 3])):
                at += timedelta(seconds=rng.randint(20, 240))
                path, title = rng.choice(PAGES)
                await visitor.hit(at, path, action_name=title)
            if path == "/buergerservice/termine" and rng.random() < 0.5:
                at += timedelta(seconds=rng.randint(60, 300))
                await visitor.hit(at, "/buergerservice/termine/danke", action_name="Booked")
            if rng.random() < 0.15:
                await visitor.hit(at, "/", search=rng.choice(["parken", "sperrmüll", "kita"]))
            if rng.random() < 0.1:
                url = f"https://{server.domain}/files/haushalt-2026.pdf"
                await visitor.hit(at, "/rathaus/oeffnungszeiten", download=url)
    server.clock.now = last_day + timedelta(days=1)  # after every hit: all of them rolled up
    await server.roll_up()


async def main(url: str, output: Path, width: int) -> None:
    from playwright.async_api import async_playwright

    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    last_day = today - timedelta(days=1)
    with tempfile.TemporaryDirectory() as folder:
        geoip = write_geoip(
            Path(folder) / "demo.mmdb",
            {"127.0.0.0/16": {"country": {"iso_code": "DE"}, "subdivisions": [{"iso_code": "NW"}]}},
        )
        async with running_app(settings_for(url, geoip_db=geoip)) as server:
            server.domain = "www.musterstadt.example"
            server.site_id = await server.add_site("Musterstadt", server.domain)
            await seed_week(server, random.Random(5), last_day)  # noqa: S311 - demo data
            server.clock.now = today + timedelta(hours=9)
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
                page = await browser.new_page(viewport={"width": width, "height": 900})
                await page.goto(f"{server.base}/dashboard")
                await page.fill("input[name=password]", "test-token")
                await page.click("button[type=submit]")
                first = (last_day - timedelta(days=6)).date()
                await page.goto(
                    f"{server.base}/dashboard?site={server.site_id}"
                    f"&from={first}&to={last_day.date()}"
                )
                await page.screenshot(path=str(output), full_page=True)
                await browser.close()
    print(output)


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/dashboard.png")
    with fresh_database() as url:  # synchronous: it runs its own event loop
        asyncio.run(main(url, out, int(sys.argv[2]) if len(sys.argv) > 2 else 1280))
