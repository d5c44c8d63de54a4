"""CSV exports: every card of the dashboard as CSV over the page's own query, the open-data
files of daily totals, and a share link's exports limited to the cards it shows."""

from __future__ import annotations

import csv
import io
import re
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from collector.access import shares
from collector.access.sessions import COOKIE
from collector.reports.export import CARDS
from collector.reports.runner import report_names, run_report
from tests.reports.conftest import Seeded
from tests.support import dashboard_cookie, request


def rows_of(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode())))


def plain(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Report rows as CSV reads them back: every value a string, None empty."""
    return [{k: "" if v is None else str(v) for k, v in r.items()} for r in rows]


@pytest.fixture
async def session(seeded: Seeded) -> dict[str, str]:
    return {COOKIE: await dashboard_cookie(seeded.server.base)}


async def get(seeded: Seeded, path: str, **kwargs: Any) -> tuple[int, dict[str, str], bytes]:
    return await request("GET", seeded.server.base + path, **kwargs)


def test_every_card_name_is_a_report_and_opendata_is_no_report_name() -> None:
    names = set(report_names())
    assert {report for report, _ in CARDS.values()} <= names
    assert "opendata" not in names and "opendata-pages" not in names


async def test_a_card_csv_has_every_row_of_its_report_over_the_period(
    seeded: Seeded, session: dict[str, str]
) -> None:
    query = f"site={seeded.site}&from={seeded.d1}&to={seeded.d2}"
    status, headers, body = await get(
        seeded, f"/dashboard/export/pages.csv?{query}", cookies=session
    )
    assert status == 200
    assert headers["Content-Type"] == "text/csv; charset=utf-8"
    assert headers["Content-Disposition"] == (
        f'attachment; filename="site{seeded.site}-pages-{seeded.d1}-{seeded.d2}.csv"'
    )
    assert headers["Cache-Control"] == "no-store"
    async with seeded.server.pool.acquire() as conn:
        want = await run_report(conn, "pages", seeded.site, seeded.d1, seeded.d2, 1000)
    assert rows_of(body) == plain(want) and len(want) == 3
    assert body.startswith(b"page,pageviews,unique_pageviews\n")


async def test_each_card_of_the_page_links_to_its_csv_with_the_pages_query(
    seeded: Seeded, session: dict[str, str]
) -> None:
    page_query = f"site={seeded.site}&from={seeded.d1}&to={seeded.d2}"
    _, _, html = await get(seeded, f"/dashboard?{page_query}", cookies=session)
    sections = re.findall(rb'<section data-report="([^"]+)">(.*?)</section>', html)
    assert len(sections) > 15
    for report, inner in sections:
        [href] = re.findall(rb'href="([^"]+\.csv[^"]*)"', inner)
        url = urlsplit(unescape(href.decode()))
        assert url.path == f"/dashboard/export/{report.decode()}.csv"
        assert parse_qs(url.query) == parse_qs(page_query)
        status, headers, body = await get(seeded, f"{url.path}?{url.query}", cookies=session)
        assert status == 200 and headers["Content-Type"].startswith("text/csv"), report
        assert body.count(b"\n") >= 1, report  # a header line and rows: each card has some
    footer = re.search(rb"<footer>.*</footer>", html)
    assert footer is not None
    for card in (b"summary", b"opendata", b"opendata-pages"):
        assert b"/dashboard/export/" + card + b".csv?" in footer.group()


async def test_the_link_of_a_page_without_site_names_the_site_it_shows(
    seeded: Seeded, session: dict[str, str]
) -> None:
    _, _, html = await get(seeded, "/dashboard", cookies=session)
    [href] = re.findall(rb'href="(/dashboard/export/pages.csv[^"]*)"', html)
    assert parse_qs(urlsplit(unescape(href.decode())).query)["site"]


async def test_open_data_is_the_sums_of_each_day_and_the_top_pages_of_each_day(
    seeded: Seeded, session: dict[str, str]
) -> None:
    query = f"site={seeded.site}&from={seeded.d1}&to={seeded.d3}"
    status, _, body = await get(seeded, f"/dashboard/export/opendata.csv?{query}", cookies=session)
    assert status == 200
    assert body.splitlines()[0] == b"day,visits,pageviews,actions,bounces,visit_seconds"
    days = rows_of(body)
    assert [d["day"] for d in days] == [str(seeded.d1), str(seeded.d2), str(seeded.d3)]
    assert (days[0]["visits"], days[0]["bounces"], days[0]["visit_seconds"]) == ("3", "1", "900")
    status, _, body = await get(
        seeded, f"/dashboard/export/opendata-pages.csv?{query}&limit=1000", cookies=session
    )
    pages = rows_of(body)
    assert status == 200 and list(pages[0]) == ["day", "page", "pageviews", "unique_pageviews"]
    assert pages[0] == {
        "day": str(seeded.d1),
        "page": "/",
        "pageviews": "2",
        "unique_pageviews": "2",
    }
    assert max(sum(p["day"] == d["day"] for p in pages) for d in days) <= 10  # ten per day
    # aggregates only: no session, visit or address column, and no query string of a page
    for text in (b"session", b"127.0", b"secret", b"?"):
        assert text not in body


async def test_bad_requests_for_a_csv_are_answered_as_the_page_would(
    seeded: Seeded, session: dict[str, str]
) -> None:
    site = seeded.site
    cases = {
        f"/dashboard/export/nothing.csv?site={site}": (404, b"unknown card"),
        f"/dashboard/export/pages.csv?site={site}&from=someday": (400, b"from: not a date"),
        f"/dashboard/export/pages.csv?site={site}&limit=0": (400, b"limit:"),
        "/dashboard/export/pages.csv?site=987654321": (404, b"unknown site"),
    }
    for path, (want, reason) in cases.items():
        status, _, body = await get(seeded, path, cookies=session)
        assert (status, reason in body) == (want, True), path
    status, headers, body = await get(seeded, f"/dashboard/export/pages.csv?site={site}")
    assert status == 200 and b'name="password"' in body  # no session: the login form
    assert headers["Content-Type"].startswith("text/html") and b"/about" not in body


async def test_a_share_link_exports_only_the_cards_it_shows(seeded: Seeded) -> None:
    async with seeded.server.pool.acquire() as conn:
        _, limited = await shares.add_share(conn, seeded.site, ("summary", "pages"))
        _, everything = await shares.add_share(conn, seeded.site, None)
    period = f"from={seeded.d1}&to={seeded.d2}"
    limited_path = shares.share_path(limited)
    _, _, html = await get(seeded, f"{limited_path}?{period}")
    links = set(re.findall(rb'href="([^"]+\.csv)', html))
    assert links == {
        f"{limited_path}/export/pages.csv".encode(),
        f"{limited_path}/export/summary.csv".encode(),
    }
    answers = {}
    for card in ("pages", "summary", "referrers", "visits-over-time", "opendata", "usage-status"):
        status, _, body = await get(seeded, f"{limited_path}/export/{card}.csv?{period}")
        answers[card] = status
    assert answers == {
        "pages": 200,
        "summary": 200,
        "referrers": 403,
        "visits-over-time": 403,
        "opendata": 403,
        "usage-status": 403,
    }
    everything_path = shares.share_path(everything)
    status, headers, body = await get(seeded, f"{everything_path}/export/opendata.csv?{period}")
    assert status == 200 and headers["X-Robots-Tag"] == "noindex" and len(rows_of(body)) == 2
    # as its page, a link of every card shows the web server's tab too; a limited one never
    status, _, _ = await get(seeded, f"{everything_path}/export/usage-status.csv?{period}")
    assert status == 200
    revoked = f"/share/{'x' * 32}/export/pages.csv"
    assert (await get(seeded, revoked))[0] == 404


async def test_the_tabs_of_a_share_link_stay_on_the_link(seeded: Seeded) -> None:
    async with seeded.server.pool.acquire() as conn:
        _, token = await shares.add_share(conn, seeded.site, None)
    path = shares.share_path(token)
    _, _, html = await get(seeded, f"{path}?from={seeded.d1}&to={seeded.d2}")
    tabs = re.findall(rb'<nav class="tabs">.*?</nav>', html)[0]
    hrefs = [unescape(h.decode()) for h in re.findall(rb'href="([^"]+)"', tabs)]
    assert hrefs == [
        f"{path}?from={seeded.d1}&to={seeded.d2}",
        f"{path}?from={seeded.d1}&to={seeded.d2}&view=usage",
    ]
    status, _, body = await get(seeded, hrefs[1])
    assert status == 200 and b'data-report="usage-status"' in body  # not the login form


async def test_a_filtered_pages_csv_holds_the_filtered_cards_rows_or_says_it_cannot(
    seeded: Seeded, session: dict[str, str]
) -> None:
    query = f"site={seeded.site}&from={seeded.d1}&to={seeded.d2}"
    _, _, whole = await get(seeded, f"/dashboard/export/browsers.csv?{query}", cookies=session)
    browsers = {r["browser"]: r for r in rows_of(whole)}
    assert "Firefox" in browsers and len(browsers) > 1  # the seed has several
    status, _, body = await get(
        seeded, f"/dashboard/export/browsers.csv?{query}&browser=Firefox", cookies=session
    )
    assert status == 200
    assert [r["browser"] for r in rows_of(body)] == ["Firefox"]
    assert rows_of(body)[0]["visits"] == browsers["Firefox"]["visits"]
    status, _, summary = await get(
        seeded, f"/dashboard/export/summary.csv?{query}&browser=Firefox", cookies=session
    )
    assert status == 200 and rows_of(summary)[0]["visits"] == browsers["Firefox"]["visits"]
    # pages are not kept per visit: a filtered file of them would be the unfiltered card
    status, _, body = await get(
        seeded, f"/dashboard/export/pages.csv?{query}&browser=Firefox", cookies=session
    )
    assert status == 400 and b"not available with a filter" in body
    status, _, body = await get(
        seeded, f"/dashboard/export/browsers.csv?{query}&browser=%00", cookies=session
    )
    assert status == 400


async def test_a_preset_period_exports_the_days_it_stands_for(
    seeded: Seeded, session: dict[str, str]
) -> None:
    status, headers, _ = await get(
        seeded, f"/dashboard/export/pages.csv?site={seeded.site}&period=yesterday", cookies=session
    )
    assert status == 200
    day = re.search(
        r"pages-(\d{4}-\d\d-\d\d)-(\d{4}-\d\d-\d\d)\.csv", headers["Content-Disposition"]
    )
    assert day is not None and day.group(1) == day.group(2)  # one local day, not the default
    status, _, _ = await get(
        seeded,
        f"/dashboard/export/pages.csv?site={seeded.site}&period=yesterday&from={seeded.d1}",
        cookies=session,
    )
    assert status == 400
