"""The scheduler: its jobs are registered, run on start, and keep partitions ahead."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from apscheduler.triggers.interval import IntervalTrigger

from collector.appkeys import SCHEDULER
from collector.retention.horizon import ROLLUP_EVERY
from collector.retention.scheduler import JOBS
from collector.storage.partitions import existing_partitions
from tests.retention.backdated import app_at, visit
from tests.retention.test_purge import at, reports
from tests.support import settings_for


async def test_the_roll_up_runs_every_15_seconds_and_the_rest_daily_at_the_retention_time(
    own_url: str,
) -> None:
    settings = settings_for(own_url, retention_time="03:45")
    async with app_at(settings, at(date(2022, 1, 20))) as running:
        scheduler = running.app[SCHEDULER]
        assert sorted(scheduler.job_names()) == sorted(job.name for job in JOBS)
        assert [j.name for j in JOBS] == ["hits", "usage", "aggregates", "receipts"]
        for job in JOBS[:2]:  # raw hits and raw usage rows: every 15 seconds
            trigger = job.trigger(settings)
            assert isinstance(trigger, IntervalTrigger)
            assert trigger.interval == ROLLUP_EVERY == timedelta(seconds=15)
        for job in JOBS[2:]:
            next_run = scheduler.next_run(job.name)
            assert next_run is not None and next_run > datetime.now(UTC)
            assert (next_run.astimezone(UTC).hour, next_run.minute) == (3, 45)


async def test_retention_runs_on_start(own_url: str) -> None:
    x = date(2022, 2, 20)
    d = x - timedelta(days=6)
    async with app_at(settings_for(own_url), at(x)) as first:
        await visit(first, at(d, 9), "/", "/a")
        await first.roll_up()
        before = await reports(first, d, d)
        site = (first.site_id, first.domain)
    # A collector started 10 days later: its start-up run drops the old hours and folds the day.
    async with app_at(settings_for(own_url), at(x + timedelta(days=10)), site) as later:
        assert later.app[SCHEDULER].runs("hits") >= 1
        async with later.pool.acquire() as conn:
            hours = await existing_partitions(conn)
            folded = await conn.fetchval(
                "SELECT count(*) FROM folded_days WHERE site_id = $1 AND day = $2", site[0], d
            )
        assert min(hours) >= at(x + timedelta(days=3))
        assert folded == 1
        assert (await reports(later, d, d))["summary"] == before["summary"]


async def test_partitions_exist_ahead_so_a_hit_just_after_midnight_lands(own_url: str) -> None:
    x = date(2022, 3, 20)
    async with app_at(settings_for(own_url), at(x, 10)) as running:
        later = x + timedelta(days=6)  # beyond what start-up created
        running.clock.now = at(later, 23, 59)
        scheduler = running.app[SCHEDULER]
        done = scheduler.runs("hits")
        scheduler.run_soon("hits")
        await scheduler.wait_for("hits", done + 1)
        async with running.pool.acquire() as conn:
            hours = set(await existing_partitions(conn))
        first_hour = at(later, 23)
        assert {first_hour + timedelta(hours=h) for h in range(48)} <= hours

        running.clock.now = at(later + timedelta(days=1), 0, 0) + timedelta(seconds=5)
        status, _, _ = await running.get(
            "/matomo.php", running.hit_params(), {"collector_consent": "1"}
        )
        assert status == 200
        await running.flush()
        rows = await running.rows("SELECT ts FROM hits WHERE site_id = $1", running.site_id)
        assert [r["ts"] for r in rows] == [running.clock.now]
