"""The dashboard in headless Chromium with long values: readable at a phone's, a laptop's and a
large screen's width (no card clips its table, every number whole and inside its card),
accessible (axe-core finds nothing; Tab reaches every control in order, with a visible
focus), and loading nothing from anywhere else. Screenshots land in test-artifacts/."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from collector.access import shares
from collector.appkeys import SITES
from collector.goals import GoalSpec, add_goal
from tests.browser import axe_violations, check_tab_order, tab_order
from tests.reports.conftest import CHROME_ANDROID, FIREFOX_LINUX, SAFARI_IPAD, Browser
from tests.support import CHROME_UA, Running, running_app, settings_for, write_geoip

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WIDTHS = (390, 1280, 1920)
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs the Debian chromium package"),
]

LONG_PAGE = (
    "/buergerservice/formulare-und-antraege/antrag-auf-erteilung-einer-sondernutzungserlaubnis"
    "-fuer-den-oeffentlichen-verkehrsraum-waehrend-der-weihnachtsmarktsaison"
)
LONG_TITLE = (
    "Antrag auf Erteilung einer Sondernutzungserlaubnis für den öffentlichen Verkehrsraum "
    "während der Weihnachtsmarktsaison, Bürgerservice der Stadt Musterstadt"
)
LONG_REFERRER = (
    "https://www.regionalzeitung-fuer-den-landkreis-musterstadt-und-umgebung.example/lokales/"
)
LONG_GOAL = "Sondernutzungserlaubnis erfolgreich online beantragt und bestätigt"


@dataclass
class Long:
    server: Running
    first: date
    last: date

    @property
    def url(self) -> str:
        site = self.server.site_id
        return f"{self.server.base}/dashboard?site={site}&from={self.first}&to={self.last}"


async def seed_long_values(server: Running, day: date) -> None:
    """A dozen visits whose every value is as long as a city's pages make them, and numbers
    in the millions where a visitor can send them (revenue)."""
    async with server.pool.acquire() as conn:
        goal = await add_goal(
            conn, server.site_id, GoalSpec(LONG_GOAL, "url", "contains", "/danke")
        )
    await server.app[SITES].load()
    site = f"https://{server.domain}"
    agents = [FIREFOX_LINUX, CHROME_ANDROID, SAFARI_IPAD, CHROME_UA]
    for n in range(12):
        at = datetime.combine(day, time(8 + n % 10, n), UTC)
        visitor = Browser(server, agents[n % 4])
        landing = LONG_PAGE + (
            "?mtm_campaign=Weihnachtsmarkt-Sondernutzung-Informationskampagne-2026"
            "&mtm_source=newsletter-der-wirtschaftsfoerderung&mtm_medium=e-mail-verteiler"
            if n % 3 == 0
            else ""
        )
        extra = {"urlref": LONG_REFERRER + f"artikel-{n}"} if n % 3 == 1 else {}
        await visitor.hit(
            at, landing, action_name=LONG_TITLE, lang="de-AT", res="2560x1440", **extra
        )
        await visitor.hit(
            at + timedelta(seconds=40),
            "/",
            search="sondernutzungserlaubnis weihnachtsmarkt glühweinstand antragsformular",
            search_count=3,
        )
        await visitor.hit(
            at + timedelta(seconds=50),
            "/",
            e_c="Formularassistent Sondernutzung",
            e_a="Schritt abgeschlossen: Angaben zum Standort",
            e_n="Glühweinstand auf dem Marktplatz vor dem historischen Rathaus",
            e_v="12345.5",
        )
        await visitor.hit(
            at + timedelta(seconds=60),
            LONG_PAGE,
            download=f"{site}/dateien/antraege/sondernutzung/merkblatt-weihnachtsmarkt-2026.pdf",
        )
        await visitor.hit(
            at + timedelta(seconds=70),
            LONG_PAGE,
            link="https://www.landesverwaltungsamt-beispielland.example/verkehrsrecht/hinweise",
        )
        await visitor.hit(at + timedelta(seconds=80), "/danke", idgoal=goal, revenue=1234567.89)
        items = (
            '[["SONDERNUTZUNG-WEIHNACHTSMARKT-2026-GLUEHWEIN", '
            '"Gebühr Sondernutzungserlaubnis Glühweinstand (Weihnachtsmarkt, 4 Wochen)", '
            '"Gebühren und Abgaben / Sondernutzungen", 987654.32, 1]]'
        )
        await visitor.hit(
            at + timedelta(seconds=90),
            "/danke",
            idgoal=0,
            ec_id=f"SN-2026-{n:04d}",
            revenue=987654.32,
            ec_items=items,
        )
    server.clock.now = datetime.combine(day, time(23), UTC)  # after every hit: all rolled up
    await server.roll_up()
    await seed_long_usage(server, datetime.combine(day, time(10), UTC))


async def seed_long_usage(server: Running, ts: datetime) -> None:
    """The web server's log of the same day, with paths and referrers as long (the Web
    server tab's cards)."""
    from tests.usage.test_reports import row, store

    site, old = server.site_id, LONG_PAGE.replace("buergerservice", "alt")
    rows = [
        row(site, ts, LONG_PAGE, 200, 123_456_789, referrer=LONG_REFERRER + "artikel-1"),
        row(site, ts, old, 404, 100, referrer=LONG_REFERRER + "artikel-2"),
        row(site, ts, "/", 200, 10, browser="Googlebot-Image-Verification", os=None, bot=True),
        row(site, ts, "/api/antraege/sondernutzung/entwurf", 500, 10, ip_prefix="203.0.0.0"),
    ]
    async with server.pool.acquire() as conn:
        await store(conn, rows * 3)


@pytest.fixture(scope="module")
async def long(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Long]:
    geoip = write_geoip(
        tmp_path_factory.mktemp("geoip") / "long.mmdb",
        {"127.0.0.0/16": {"country": {"iso_code": "GB"}}},
    )
    async with running_app(settings_for(database_url, geoip_db=geoip)) as server:
        server.domain = f"long-{secrets.token_hex(4)}.example"
        server.site_id = await server.add_site("Stadtverwaltung Musterstadt", server.domain)
        day = datetime.now(UTC).date() - timedelta(days=2)
        await seed_long_values(server, day)
        server.clock.now = datetime.combine(day + timedelta(days=2), time(12), UTC)
        yield Long(server, day, day + timedelta(days=1))


@pytest.fixture(scope="module")
async def chromium() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    from tests.browser import CHROMIUM_ARGS

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def logged_in(chromium: Any, long: Long, width: int) -> Any:
    context = await chromium.new_context(
        user_agent=CHROME_UA, viewport={"width": width, "height": 900}
    )
    page = await context.new_page()
    await page.goto(f"{long.server.base}/dashboard")
    await page.fill("input[name=password]", "test-token")
    await page.click("button[type=submit]")
    await page.wait_for_selector("ul.numbers")
    return page


# Per card: whether anything sticks out of it or is scrolled, and per number (and header)
# cell: whether it is cut (scrollWidth over clientWidth) or outside its card.
_MEASURE = """() => {
    const out = [];
    for (const card of document.querySelectorAll("section[data-report]")) {
        const name = card.dataset.report, box = card.getBoundingClientRect();
        if (card.scrollWidth > card.clientWidth) out.push(name + ": card scrolls");
        for (const s of card.querySelectorAll(".scroll"))
            if (s.scrollWidth > s.clientWidth) out.push(name + ": table wider than card");
        for (const c of card.querySelectorAll("td.num, th")) {
            const r = c.getBoundingClientRect();
            if (c.scrollWidth > c.clientWidth + 1) out.push(name + ": cut " + c.textContent);
            if (r.left < box.left - 0.5 || r.right > box.right + 0.5)
                out.push(name + ": outside " + c.textContent);
        }
        for (const c of card.querySelectorAll("td.text"))
            if (c.scrollWidth > c.clientWidth && !c.title)
                out.push(name + ": cut without a title " + c.textContent);
    }
    const doc = document.documentElement;
    if (doc.scrollWidth > doc.clientWidth) out.push("the page scrolls sideways");
    return out;
}"""


@pytest.mark.parametrize("width", WIDTHS)
async def test_no_card_clips_its_table_and_every_number_stays_whole(
    long: Long, chromium: Any, width: int
) -> None:
    page = await logged_in(chromium, long, width)
    origins: set[str] = set()
    page.on("request", lambda r: origins.add(urlsplit(r.url).netloc))
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await page.goto(long.url)
    cards = await page.eval_on_selector_all(
        "section[data-report]", "s => s.map(e => e.dataset.report)"
    )
    for card in ("goals", "ecommerce", "products", "countries", "campaigns", "events"):
        assert card in cards
    assert "United Kingdom" in await page.inner_text("section[data-report=countries]") or (
        "Britain" in await page.inner_text("section[data-report=countries]")
    )
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"dashboard-long-{width}.png"), full_page=True)
    problems = await page.evaluate(_MEASURE)
    assert problems == [], "\n".join(problems)
    await page.goto(long.url + "&view=usage")  # the web server's tab
    assert "/alt/formulare" in await page.inner_text("section[data-report=usage-not-found]")
    await page.screenshot(path=str(ARTIFACTS / f"dashboard-long-usage-{width}.png"), full_page=True)
    problems = await page.evaluate(_MEASURE)
    assert problems == [], "web server tab:\n" + "\n".join(problems)
    await page.goto(long.url)
    # a cut text keeps its whole value in its title
    title = await page.get_attribute("section[data-report=pages] td.text", "title")
    assert title == LONG_PAGE
    assert "14,814,814.68" in await page.inner_text("section[data-report=goals]")
    assert origins == {urlsplit(long.server.base).netloc} and errors == []
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"dashboard-long-{width}.png"), full_page=True)
    await page.context.close()


async def test_axe_finds_nothing_on_the_dashboard_and_its_login_page(
    long: Long, chromium: Any
) -> None:
    context = await chromium.new_context(
        user_agent=CHROME_UA, viewport={"width": 1280, "height": 900}
    )
    page = await context.new_page()
    await page.goto(f"{long.server.base}/dashboard")
    assert await axe_violations(page) == [], "login page"
    await page.fill("input[name=password]", "wrong")
    await page.click("button[type=submit]")
    assert await axe_violations(page) == [], "login page with its error"
    await page.fill("input[name=password]", "test-token")
    await page.click("button[type=submit]")
    for view in ("", "&view=usage"):
        await page.goto(long.url + view)
        assert await axe_violations(page) == [], f"dashboard {view}"
    await page.goto(long.url.replace(f"from={long.first}", f"from={long.last}"))  # one day
    assert await axe_violations(page) == [], "dashboard of one day"
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.goto(long.url)
    assert await axe_violations(page) == [], "dashboard on a phone"
    async with long.server.pool.acquire() as conn:
        _, token = await shares.add_share(conn, long.server.site_id, ("summary", "goals"))
    await page.goto(f"{long.server.base}{shares.share_path(token)}")
    assert await axe_violations(page) == [], "a share link's page"
    await context.close()


async def test_tab_reaches_every_control_of_the_dashboard_in_order_with_visible_focus(
    long: Long, chromium: Any
) -> None:
    page = await logged_in(chromium, long, 1280)
    await page.goto(long.url)
    count, stops = await tab_order(page)
    check_tab_order(count, stops)
    tags = {s["tag"] for s in stops}
    assert {"a", "select", "input", "button"} <= tags
    await page.context.close()
