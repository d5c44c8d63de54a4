"""The scheduler: its jobs are registered, run on start, and keep partitions ahead."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from collector.appkeys import SCHEDULER
from collector.retention.scheduler import JOBS
from collector.storage.partitions import existing_partitions
from tests.retention.backdated import app_at, visit
from tests.retention.test_purge import at, reports
from tests.support import settings_for


async def test_jobs_are_registered_daily_at_the_retention_time(database_url: str) -> None:
    settings = settings_for(database_url, retention_time="03:45")
    async with app_at(settings, at(date(2022, 1, 20))) as running:
        scheduler = running.app[SCHEDULER]
        assert sorted(scheduler.job_names()) == sorted(job.name for job in JOBS)
        assert [j.name for j in JOBS] == ["partitions", "hits", "aggregates", "receipts"]
        for job in JOBS:
            next_run = scheduler.next_run(job.name)
            assert next_run is not None and next_run > datetime.now(UTC)
            assert (next_run.astimezone(UTC).hour, next_run.minute) == (3, 45)


async def test_the_purge_runs_on_start(database_url: str) -> None:
    x = date(2022, 2, 20)
    d = x - timedelta(days=6)
    async with app_at(settings_for(database_url), at(x)) as first:
        await visit(first, at(d, 9), "/", "/a")
        await first.flush()
        before = await reports(first, d, d)
        site = (first.site_id, first.domain)
    # A collector started 10 days later: its start-up run rolls up and drops the old day.
    async with app_at(settings_for(database_url), at(x + timedelta(days=10)), site) as later:
        assert later.app[SCHEDULER].runs("hits") >= 1
        async with later.pool.acquire() as conn:
            assert d not in await existing_partitions(conn)
            rolled = await conn.fetchval(
                "SELECT visits FROM agg_site_days WHERE site_id = $1 AND day = $2", site[0], d
            )
        assert rolled == 1
        assert (await reports(later, d, d))["summary"] == before["summary"]


async def test_partitions_exist_ahead_so_a_hit_just_after_midnight_lands(database_url: str) -> None:
    x = date(2022, 3, 20)
    async with app_at(settings_for(database_url), at(x, 10)) as running:
        later = x + timedelta(days=6)  # beyond what start-up created
        running.clock.now = at(later, 23, 59)
        scheduler = running.app[SCHEDULER]
        done = scheduler.runs("partitions")
        scheduler.run_soon("partitions")
        await scheduler.wait_for("partitions", done + 1)
        async with running.pool.acquire() as conn:
            days = await existing_partitions(conn)
        tomorrow = later + timedelta(days=1)
        assert {later, tomorrow, tomorrow + timedelta(days=1)} <= set(days)

        running.clock.now = at(tomorrow, 0, 0) + timedelta(seconds=5)
        status, _, _ = await running.get(
            "/matomo.php", running.hit_params(), {"collector_consent": "1"}
        )
        assert status == 200
        await running.flush()
        rows = await running.rows("SELECT ts FROM hits WHERE site_id = $1", running.site_id)
        assert [r["ts"] for r in rows] == [running.clock.now]
