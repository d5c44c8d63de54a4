"""Visit splitting with heartbeats (sql/migrations/004_reports.sql), and the SQL URL helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from collector.reports.runner import run_report
from collector.tracking.enrich import strip_url, url_path
from tests.reports.conftest import Browser
from tests.support import CHROME_UA, Running


async def _summary(server: Running, start: datetime) -> dict[str, object]:
    async with server.pool.acquire() as conn:
        [row] = await run_report(conn, "summary", server.site_id, start.date(), start.date())
    return row


def _start() -> datetime:
    return datetime.combine(
        datetime.now(UTC).date() - timedelta(days=1), datetime.min.time(), UTC
    ) + timedelta(hours=8)


async def test_heartbeats_keep_a_visit_alive_past_30_minutes(server: Running) -> None:
    start, browser = _start(), Browser(server, CHROME_UA)
    await browser.hit(start, "/a")
    for minutes in (20, 40, 60):  # a long read: no action, but the page pings
        await browser.hit(start + timedelta(minutes=minutes), "/a", ping=1)
    await browser.hit(start + timedelta(minutes=75), "/b")
    await server.roll_up()
    row = await _summary(server, start)
    assert (row["visits"], row["actions"], row["avg_visit_duration"]) == (1, 2, 75 * 60)


async def test_a_late_heartbeat_starts_no_visit_and_the_next_action_does(server: Running) -> None:
    start, browser = _start(), Browser(server, CHROME_UA)
    await browser.hit(start, "/a")
    await browser.hit(start + timedelta(minutes=40), "/a", ping=1)  # orphan: dropped
    await browser.hit(start + timedelta(minutes=50), "/a", ping=1)  # still orphan
    await browser.hit(start + timedelta(minutes=55), "/b")  # new visit, as in Matomo
    await server.roll_up()
    row = await _summary(server, start)
    assert (row["visits"], row["bounce_rate"], row["avg_visit_duration"]) == (2, 100.0, 0)


async def test_a_visit_running_over_midnight_counts_once_on_its_first_day(server: Running) -> None:
    midnight = datetime.combine(
        datetime.now(UTC).date() - timedelta(days=1), datetime.min.time(), UTC
    )
    browser = Browser(server, CHROME_UA)
    await browser.hit(midnight - timedelta(minutes=50), "/a")
    await browser.hit(midnight - timedelta(minutes=25), "/a", ping=1)
    await browser.hit(midnight - timedelta(minutes=5), "/a", ping=1)
    await browser.hit(midnight + timedelta(minutes=10), "/b")
    await server.roll_up()
    before = await _summary(server, midnight - timedelta(days=1))
    after = await _summary(server, midnight)
    assert (before["visits"], after["visits"]) == (1, 0)
    assert (before["pageviews"], after["pageviews"]) == (1, 1)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org",
        "https://example.org/",
        "https://user:pw@example.org/a/b.pdf?token=1#x",
        "https://example.org/a?b=c@d",
        "http://example.org/path;param?q#f",
        "https://example.org?x=1",
        "https://example.org#/route?mtm_campaign=x",
        "https://example.org/%C3%A4?",
    ],
)
async def test_sql_url_helpers_agree_with_python(server: Running, url: str) -> None:
    async with server.pool.acquire() as conn:
        path, stripped = await conn.fetchrow("SELECT url_path($1), strip_url($1)", url)
    assert (path, stripped) == (url_path(url), strip_url(url))
