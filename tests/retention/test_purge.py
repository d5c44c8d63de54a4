"""Raw hits: expired days are rolled up and dropped; reports read the same before and after."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from collector.reports.runner import report_names, run_report
from collector.retention.purge import AGGREGATE_TABLES
from collector.retention.scheduler import JOBS, lock_key, run_job
from collector.storage.partitions import existing_partitions, partition_name
from tests.reports.conftest import CHROME_ANDROID, FIREFOX_LINUX, SAFARI_IPAD
from tests.retention.backdated import app_at, run, visit
from tests.support import Running, settings_for

# Each test has its own month, so days of one test are never another's.
# Every report but these reads the daily aggregates for rolled-up days (which have no hours).
RAW_ONLY = ("visits-by-hour",)
REPORTS = tuple(n for n in report_names() if n not in RAW_ONLY)


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


async def reports(running: Running, first: date, last: date) -> dict[str, Any]:
    async with running.pool.acquire() as conn:
        return {n: await run_report(conn, n, running.site_id, first, last) for n in REPORTS}


async def per_day(running: Running, days: list[date]) -> dict[date, dict[str, Any]]:
    return {d: await reports(running, d, d) for d in days}


def headline(report: dict[str, Any]) -> tuple[int, int]:
    """(visits, pageviews) of a `reports` answer's summary."""
    [row] = report["summary"]
    return row["visits"], row["pageviews"]


def browsing(user_agent: str, *hits: str | dict[str, Any]) -> list[dict[str, Any]]:
    """`hits` for `visit`, each sent with `user_agent` (Matomo's `ua`)."""
    return [
        {"path": h, "ua": user_agent} if isinstance(h, str) else h | {"ua": user_agent}
        for h in hits
    ]


async def seed_three_days(running: Running, d: date) -> list[date]:
    """Visits on d, d+1, d+2 that give every report rows on d: entries, exits, bounces,
    titles, referrers, a campaign, browsers, events with and without name and value,
    a download, an outlink, a site search, heartbeats, and a visit over midnight whose
    hits after it are pageviews, an event and a download of the next day."""
    days = [d, d + timedelta(days=1), d + timedelta(days=2)]
    google = "https://www.google.com/"
    await visit(running, at(days[0], 9), {"path": "/", "action_name": "Home"}, "/a?x=1", "/b#top")
    await visit(  # from a search engine: a bounce of 60 s
        running,
        at(days[0], 10),
        *browsing(
            FIREFOX_LINUX,
            {"path": "/", "action_name": "Home", "urlref": google},
            {"path": "/", "ping": "1"},
        ),
    )
    await visit(
        running,
        at(days[0], 11),
        *browsing(
            SAFARI_IPAD,
            {"path": "/a", "action_name": "A", "urlref": "https://news.example/x"},
            {"path": "/a", "download": "https://files.example/doc.pdf?k=1"},
            {"path": "/a", "link": "https://out.example/x?y=2"},
            {"path": "/a", "search": " Opening Hours", "search_count": "0"},
            {"path": "/a", "e_c": "Video", "e_a": "play", "e_n": "intro", "e_v": "1.5"},
        ),
    )
    await visit(
        running,
        at(days[0], 12),
        *browsing(
            CHROME_ANDROID,
            "/?mtm_campaign=Spring&mtm_source=news&mtm_medium=email",
            {"path": "/b", "e_c": "Video", "e_a": "stop"},
            {"path": "/b", "search": "opening hours", "search_count": "3"},
        ),
    )
    await visit(  # runs past midnight: 23:57, 23:58, 23:59, then 00:00 ... 00:03
        running,
        at(days[0], 23, 57),
        "/",
        "/a",
        {"path": "/b", "action_name": "B"},
        "/c",
        {"path": "/c", "e_c": "Video", "e_a": "play", "e_n": "intro", "e_v": "2"},
        {"path": "/c", "download": "https://files.example/doc.pdf"},
        {"path": "/c", "ping": "1"},
    )
    await visit(running, at(days[1], 8), "/b", {"path": "/b", "e_c": "Video", "e_a": "play"})
    await visit(running, at(days[2], 8), "/", "/c")
    await running.flush()
    return days


async def test_purge_drops_exactly_the_days_past_retention_and_keeps_the_rest(
    database_url: str,
) -> None:
    x = date(2021, 1, 20)
    async with app_at(settings_for(database_url, rollup_min_count=1), at(x)) as running:
        days = await seed_three_days(running, x - timedelta(days=6))
        now = at(x + timedelta(days=2))  # first kept day: x-5; x-6 has expired, x-5 not
        outcome = await run(running, "hits", now)
        assert outcome.removals is not None and not outcome.skipped
        assert days[0] in {r.day for r in outcome.removals}
        assert all(r.day is not None and r.day < days[1] for r in outcome.removals)
        async with running.pool.acquire() as conn:
            partitions = await existing_partitions(conn)
        assert days[0] not in partitions
        assert days[1] in partitions and days[2] in partitions
        left = await running.rows(
            "SELECT min(ts) AS first FROM hits WHERE site_id = $1", running.site_id
        )
        assert left[0]["first"] >= at(days[1], 0)


async def test_reports_give_the_same_numbers_for_a_day_before_and_after_its_roll_up(
    database_url: str,
) -> None:
    x = date(2021, 2, 20)
    async with app_at(settings_for(database_url, rollup_min_count=1), at(x)) as running:
        days = await seed_three_days(running, x - timedelta(days=6))
        before_days = await per_day(running, days)
        before_period = await reports(running, days[0], days[2])
        assert headline(before_days[days[0]]) == (5, 9)
        # the visit running past midnight is counted once, on the day it started
        assert headline(before_days[days[1]]) == (1, 2)
        empty = [n for n in REPORTS if not before_days[days[0]][n]]
        assert empty == []  # every report has something to compare on the rolled-up day

        await run(running, "hits", at(x + timedelta(days=2)))  # rolls up days[0]
        assert await per_day(running, days) == before_days
        assert await reports(running, days[0], days[2]) == before_period

        await run(running, "hits", at(x + timedelta(days=3)))  # and days[1]
        assert await per_day(running, days) == before_days
        assert await reports(running, days[0], days[2]) == before_period


async def test_visits_by_hour_reads_raw_hits_only_and_rolled_up_hours_are_zero(
    database_url: str,
) -> None:
    x = date(2022, 4, 20)
    async with app_at(settings_for(database_url, rollup_min_count=1), at(x)) as running:
        days = await seed_three_days(running, x - timedelta(days=6))

        async def visits_by_hour() -> int:
            async with running.pool.acquire() as conn:
                rows = await run_report(conn, "visits-by-hour", running.site_id, days[0], days[0])
            return sum(r["visits"] for r in rows)

        assert await visits_by_hour() == 5
        await run(running, "hits", at(x + timedelta(days=2)))
        assert await visits_by_hour() == 0
        assert headline(await reports(running, days[0], days[0])) == (5, 9)


async def test_a_second_purge_is_a_no_op(database_url: str) -> None:
    x = date(2021, 3, 20)
    async with app_at(settings_for(database_url), at(x)) as running:
        days = await seed_three_days(running, x - timedelta(days=6))
        now = at(x + timedelta(days=4))
        first = await run(running, "hits", now)
        assert first.removals and days[0] in {r.day for r in first.removals}
        aggregates = await _aggregates(running)
        assert aggregates  # something was rolled up
        second = await run(running, "hits", now)
        assert second.removals == []
        assert await _aggregates(running) == aggregates


async def test_two_concurrent_purges_do_not_double_count(database_url: str) -> None:
    x = date(2021, 4, 20)
    async with app_at(settings_for(database_url, rollup_min_count=1), at(x)) as running:
        days = await seed_three_days(running, x - timedelta(days=6))
        before = await reports(running, days[0], days[2])
        now = at(x + timedelta(days=5))
        one, two = await asyncio.gather(run(running, "hits", now), run(running, "hits", now))
        # one of them did the work; the other was skipped or found nothing left
        done = [o for o in (one, two) if o.removals]
        assert len(done) == 1
        assert {days[0], days[1], days[2]} <= {r.day for r in done[0].removals or ()}
        assert await reports(running, days[0], days[2]) == before


async def test_a_purge_is_skipped_while_another_process_holds_its_lock(database_url: str) -> None:
    x = date(2021, 5, 20)
    async with app_at(settings_for(database_url), at(x)) as running:
        days = await seed_three_days(running, x - timedelta(days=6))
        other = await asyncpg.connect(database_url)
        try:
            assert await other.fetchval(
                "SELECT pg_try_advisory_lock($1, $2)", 0x7265746E, lock_key("hits")
            )
            outcome = await run(running, "hits", at(x + timedelta(days=5)))
        finally:
            await other.close()
        assert outcome.skipped
        async with running.pool.acquire() as conn:
            assert days[0] in await existing_partitions(conn)


async def test_a_crash_half_way_leaves_the_day_whole_and_a_rerun_counts_it_once(
    database_url: str,
) -> None:
    x = date(2021, 6, 20)
    async with app_at(settings_for(database_url, rollup_min_count=1), at(x)) as running:
        days = await seed_three_days(running, x - timedelta(days=6))
        before = await reports(running, days[0], days[0])
        # A report holds the day's partition: the purge rolls the day up, then waits to drop
        # it. The purge's backend is killed there, as a crashed process would be.
        reader = await asyncpg.connect(database_url)
        purger = await asyncpg.connect(database_url, server_settings={"timezone": "UTC"})
        try:
            tr = reader.transaction()
            await tr.start()
            await reader.execute(f"LOCK TABLE {partition_name(days[0])} IN ACCESS SHARE MODE")
            job = next(j for j in JOBS if j.name == "hits")
            pid = purger.get_server_pid()
            task = asyncio.create_task(
                run_job(purger, job, running.settings, at(x + timedelta(days=2)), dry_run=False)
            )
            while not await reader.fetchval(  # noqa: ASYNC110 (a lock wait in another backend)
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted)", pid
            ):
                await asyncio.sleep(0.01)
            await reader.execute("SELECT pg_terminate_backend($1)", pid)
            with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, OSError)):
                await task
            await tr.rollback()
        finally:
            await reader.close()
            purger.terminate()
        async with running.pool.acquire() as conn:
            assert days[0] in await existing_partitions(conn)
            rolled = await conn.fetchval(
                "SELECT count(*) FROM agg_site_days WHERE site_id = $1", running.site_id
            )
        assert rolled == 0
        assert await reports(running, days[0], days[0]) == before

        outcome = await run(running, "hits", at(x + timedelta(days=2)))
        assert outcome.removals and days[0] in {r.day for r in outcome.removals}
        assert await reports(running, days[0], days[0]) == before


async def test_dry_run_says_what_would_go_and_changes_nothing(database_url: str) -> None:
    x = date(2021, 7, 20)
    async with app_at(settings_for(database_url), at(x)) as running:
        days = await seed_three_days(running, x - timedelta(days=6))
        aggregates = await _aggregates(running)
        outcome = await run(running, "hits", at(x + timedelta(days=2)), dry_run=True)
        gone = {r.day: r for r in outcome.removals or ()}
        assert gone[days[0]].rows == 16 and gone[days[0]].aggregate_rows > 0
        async with running.pool.acquire() as conn:
            assert days[0] in await existing_partitions(conn)
        assert await _aggregates(running) == aggregates


async def _aggregates(running: Running) -> dict[str, list[Any]]:
    async with running.pool.acquire() as conn:
        return {
            t: sorted(
                map(
                    tuple,
                    await conn.fetch(f"SELECT * FROM {t} WHERE site_id = $1", running.site_id),
                ),
                key=repr,
            )
            for t in AGGREGATE_TABLES
        }
