"""Raw retention: hours of raw hits go as they pass the bound, at any moment of the day; a
day is folded when its raw data is gone; reports give the same numbers before and after."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from collector.reports.runner import report_names, run_report
from collector.retention.horizon import DROP_LEAD
from collector.retention.purge import AGGREGATE_TABLES
from collector.retention.scheduler import lock_key
from collector.storage.partitions import ensure_partition, existing_partitions
from tests.reference import install, reference_report
from tests.retention.backdated import app_at, run, visit
from tests.support import Running, settings_for

SEVEN_DAYS = timedelta(days=7)


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


async def reports(running: Running, first: date, last: date) -> dict[str, Any]:
    async with running.pool.acquire() as conn:
        return {n: await run_report(conn, n, running.site_id, first, last) for n in report_names()}


async def reference(running: Running, first: date, last: date) -> dict[str, Any]:
    async with running.pool.acquire() as conn:
        await install(conn)
        return {
            n: await reference_report(conn, n, running.site_id, first, last, 100)
            for n in report_names()
        }


def headline(report: dict[str, Any]) -> tuple[int, int]:
    """(visits, pageviews) of a `reports` answer's summary."""
    [row] = report["summary"]
    return row["visits"], row["pageviews"]


async def seed_every_20_minutes(running: Running, first: datetime, last: datetime) -> list:
    """A one-page visit every 20 minutes from `first` to `last` (the app's clock at `last`)."""
    running.clock.now = last
    ts = first
    while ts <= last:
        await visit(running, ts, "/")
        ts += timedelta(minutes=20)
    await running.roll_up()
    return [r["ts"] for r in await running.rows("SELECT ts FROM hits WHERE site_id = $1")]


async def test_no_raw_hit_outlives_retention_by_an_hour_at_any_moment_of_the_day(
    own_url: str,
) -> None:
    t0 = datetime(2022, 1, 10, 12, tzinfo=UTC)
    async with app_at(settings_for(own_url), t0) as running:
        seeded = await seed_every_20_minutes(running, t0 - timedelta(days=6, hours=12), t0)
        assert len(seeded) > 400
        visits_sql = "SELECT started_at FROM raw_visits WHERE site_id = $1"
        assert sorted(r["started_at"] for r in await running.rows(visits_sql)) == sorted(seeded)
        moments = [
            at(date(2022, 1, 11), 0, 0),
            at(date(2022, 1, 11), 0, 1),
            at(date(2022, 1, 11), 5, 59),
            at(date(2022, 1, 11), 12, 30),
            at(date(2022, 1, 11), 23, 59),
            at(date(2022, 1, 13), 7, 17),
        ]
        for now in moments:
            await run(running, "hits", now)
            left = [r["ts"] for r in await running.rows("SELECT ts FROM hits WHERE site_id = $1")]
            # nothing older than retention plus an hour ...
            assert min(left) >= now - SEVEN_DAYS - timedelta(hours=1), now
            # ... and nothing younger than retention (less the lead of a drop) is gone
            assert {ts for ts in seeded if ts > now - SEVEN_DAYS + DROP_LEAD} <= set(left), now
            # a raw visit goes with the hit it started with (one hit per visit here)
            started = {r["started_at"] for r in await running.rows(visits_sql)}
            assert started == set(left), now
            async with running.pool.acquire() as conn:
                hours = await existing_partitions(conn)
            assert hours[0] + timedelta(hours=1) > now - SEVEN_DAYS + DROP_LEAD, now
            async with running.pool.acquire() as conn:  # dropped, never deleted (P4)
                visit_hours = await existing_partitions(conn, "raw_visits")
            assert visit_hours[0] >= hours[0], now


async def test_an_hour_of_raw_visits_without_its_hits_hour_goes_at_the_same_bound(
    own_url: str,
) -> None:
    t0 = datetime(2022, 3, 10, 12, tzinfo=UTC)
    hour = t0 - SEVEN_DAYS - timedelta(hours=3)  # due: its hits' hour is long gone
    async with app_at(settings_for(own_url), t0) as running:
        async with running.pool.acquire() as conn:
            await ensure_partition(conn, hour, "raw_visits")
            await ensure_partition(conn, t0 - timedelta(hours=1), "raw_visits")
        await run(running, "hits", t0)
        async with running.pool.acquire() as conn:
            left = await existing_partitions(conn, "raw_visits")
        assert hour not in left and t0 - timedelta(hours=1) in left


async def test_a_day_is_folded_when_its_last_raw_hour_goes_and_reads_the_same(
    own_url: str,
) -> None:
    # A Berlin day: 2022-02-03 local is 2022-02-02 23:00 to 2022-02-03 23:00 UTC.
    d = date(2022, 2, 3)
    day_end = datetime(2022, 2, 3, 23, tzinfo=UTC)
    settings = settings_for(own_url, rollup_min_count=2)
    async with app_at(settings, day_end, timezone="Europe/Berlin") as running:
        await visit(running, datetime(2022, 2, 2, 23, 30, tzinfo=UTC), "/", "/rare")  # 00:30
        await visit(running, datetime(2022, 2, 3, 10, tzinfo=UTC), "/", "/popular")
        await visit(running, datetime(2022, 2, 3, 22, 50, tzinfo=UTC), "/popular")  # 23:50
        await running.roll_up()
        before = await reports(running, d, d)
        assert before == await reference(running, d, d)
        assert {r["page"] for r in before["pages"]} == {"/", "/rare", "/popular"}

        last_drop = day_end + SEVEN_DAYS - DROP_LEAD
        await run(running, "hits", last_drop - timedelta(minutes=1))
        async with running.pool.acquire() as conn:
            assert not await conn.fetchval("SELECT count(*) FROM folded_days")
        assert await reports(running, d, d) == before  # its first hours are gone, not its counts

        outcome = await run(running, "hits", last_drop)
        assert outcome.removals and any(r.kind == "folded" for r in outcome.removals)
        after = await reports(running, d, d)
        assert after["summary"] == before["summary"]
        assert {r["page"]: r["pageviews"] for r in after["pages"]} == {
            "/": 2,
            "/popular": 2,
            "(others)": 1,
        }
        assert await running.rows("SELECT ts FROM hits WHERE site_id = $1") == []
        # the filters' tables fold as the pages they name: /rare went to (others) there too
        viewed = await running.rows(
            "SELECT value, sum(visits)::int AS visits FROM agg_visit_actions "
            "WHERE site_id = $1 AND kind = 'page' GROUP BY value"
        )
        assert {r["value"]: r["visits"] for r in viewed} == {"/": 2, "/popular": 2, "(others)": 1}
        [facets] = await running.rows(
            "SELECT sum(visits)::int AS visits FROM agg_visit_facets WHERE site_id = $1"
        )
        assert facets["visits"] == 3


async def test_dry_run_says_what_would_go_and_changes_nothing(own_url: str) -> None:
    t0 = datetime(2021, 7, 20, 12, tzinfo=UTC)
    async with app_at(settings_for(own_url), t0) as running:
        await visit(running, t0 - timedelta(days=6, hours=23), "/", "/a")
        await running.roll_up()
        later = t0 + timedelta(days=1)
        outcome = await run(running, "hits", later, dry_run=True)
        dropped = [r for r in outcome.removals or () if r.kind == "dropped"]
        assert [(r.what, r.rows) for r in dropped] == [("2021-07-13 13:00 UTC", 2)]
        async with running.pool.acquire() as conn:
            assert len(await running.rows("SELECT ts FROM hits WHERE site_id = $1")) == 2
            assert await conn.fetchval("SELECT count(*) FROM folded_days") == 0


async def test_the_job_is_skipped_while_another_process_holds_its_lock(own_url: str) -> None:
    t0 = datetime(2021, 5, 20, 12, tzinfo=UTC)
    async with app_at(settings_for(own_url), t0) as running:
        await visit(running, t0 - timedelta(days=6, hours=23), "/")
        await running.flush()
        other = await asyncpg.connect(own_url)
        try:
            assert await other.fetchval(
                "SELECT pg_try_advisory_lock($1, $2)", 0x7265746E, lock_key("hits")
            )
            outcome = await run(running, "hits", t0 + timedelta(days=2))
        finally:
            await other.close()
        assert outcome.skipped
        assert len(await running.rows("SELECT ts FROM hits WHERE site_id = $1")) == 1


async def test_two_jobs_at_once_do_one_run_between_them(own_url: str) -> None:
    t0 = datetime(2021, 4, 20, 12, tzinfo=UTC)
    async with app_at(settings_for(own_url), t0) as running:
        await visit(running, t0 - timedelta(days=6, hours=23), "/", "/a")
        await running.flush()
        now = t0 + timedelta(days=2)
        one, two = await asyncio.gather(run(running, "hits", now), run(running, "hits", now))
        dropped = [r for o in (one, two) for r in o.removals or () if r.kind == "dropped"]
        assert len(dropped) == 1


async def test_aggregates_are_deleted_after_their_own_retention_and_kept_by_default(
    own_url: str,
) -> None:
    x = date(2021, 12, 20)
    d = x - timedelta(days=6)
    settings = settings_for(own_url, aggregate_retention_days=30)
    async with app_at(settings, at(x)) as running:
        await visit(running, at(d, 9), "/")
        await visit(running, at(d + timedelta(days=1), 9), "/")
        await running.roll_up()
        await run(running, "hits", at(x + timedelta(days=10)))  # both days folded
        summary = await reports(running, d, d + timedelta(days=1))
        assert headline(summary) == (2, 2)

        kept = await run(running, "aggregates", at(d + timedelta(days=30)))
        assert d.isoformat() not in {r.what for r in kept.removals or ()}
        assert await reports(running, d, d + timedelta(days=1)) == summary

        gone = await run(running, "aggregates", at(d + timedelta(days=31)))
        assert d.isoformat() in {r.what for r in gone.removals or ()}
        assert (d + timedelta(days=1)).isoformat() not in {r.what for r in gone.removals or ()}
        after = await reports(running, d, d + timedelta(days=1))
        assert headline(after) == (1, 1)

    async with app_at(settings_for(own_url), at(x), (running.site_id, running.domain)) as again:
        forever = await run(again, "aggregates", at(x + timedelta(days=3650)))
        assert forever.removals == []
        assert (await reports(again, d, d + timedelta(days=1)))["summary"] == after["summary"]


async def test_every_aggregate_table_is_in_the_list_retention_purges(own_url: str) -> None:
    async with app_at(settings_for(own_url), at(date(2021, 11, 20))) as running:
        async with running.pool.acquire() as conn:
            tables = await conn.fetch(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_name LIKE 'agg\\_%'"
            )
        assert sorted(AGGREGATE_TABLES) == sorted(t["table_name"] for t in tables)
