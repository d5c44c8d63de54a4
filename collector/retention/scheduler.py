"""Scheduled jobs: ONE table of (name, function, trigger), and the scheduler that runs it.

Each job runs on start and then on its trigger: `hits` (roll-up and raw retention) and
`usage` (the same for web-server usage data) every ROLLUP_EVERY, the others daily at
`COLLECTOR_RETENTION_TIME` (UTC). A job runs only while holding its PostgreSQL advisory
lock, taken with pg_try_advisory_lock: when another collector process (or `collector
purge`) holds it, this run is skipped rather than queued, so jobs never overlap across
processes. Jobs are idempotent: a run that finds nothing expired does nothing, and a run
cut off half-way has committed only whole days.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from collector.config import Settings
from collector.privacy.receipts import purge_receipts
from collector.retention.horizon import ROLLUP_EVERY
from collector.retention.purge import (
    JobFunction,
    Removal,
    purge_aggregates,
    purge_older_than,
    roll_up_and_expire,
)
from collector.retention.rollup import roll_up
from collector.usage.retention import expire_usage
from collector.usage.rollup import roll_up_usage

log = logging.getLogger(__name__)

# First key of every job's advisory lock (the second is from the job's name): "retn".
_LOCK_CLASS = 0x7265746E


def daily(settings: Settings) -> BaseTrigger:
    hour, minute = settings.retention_time.split(":")
    return CronTrigger(hour=int(hour), minute=int(minute), timezone=UTC)


def often(settings: Settings) -> BaseTrigger:
    return IntervalTrigger(seconds=ROLLUP_EVERY.total_seconds(), timezone=UTC)


@dataclass(frozen=True, slots=True)
class Job:
    name: str  # also the data category `collector purge` reports under
    run: JobFunction
    trigger: Callable[[Settings], BaseTrigger]


JOBS: tuple[Job, ...] = (
    Job("hits", roll_up_and_expire, often),
    Job("usage", expire_usage, often),  # web-server usage data (collector/usage/)
    Job("aggregates", purge_aggregates, daily),
    Job(
        "receipts",
        purge_older_than(purge_receipts, lambda s: timedelta(days=s.receipt_retention_days)),
        daily,
    ),
)


@dataclass(frozen=True, slots=True)
class Outcome:
    job: str
    removals: list[Removal] | None  # None: skipped
    skipped: bool = False  # another process held the job's lock


def lock_key(name: str) -> int:
    """The job's second advisory-lock key: a stable signed 32-bit number from its name."""
    return int.from_bytes(zlib.crc32(name.encode()).to_bytes(4, "big"), "big", signed=True)


async def run_job(
    conn: asyncpg.Connection, job: Job, settings: Settings, now: datetime, *, dry_run: bool
) -> Outcome:
    """Run `job` once if no other process is running it; never waits for the lock."""
    key = lock_key(job.name)
    if not await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", _LOCK_CLASS, key):
        log.info("job=%s skipped=locked", job.name)
        return Outcome(job.name, None, skipped=True)
    try:
        removals = await job.run(conn, settings, now, dry_run)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1, $2)", _LOCK_CLASS, key)
    for r in removals:
        log.info("job=%s %s=%r rows=%d dry_run=%s", job.name, r.kind, r.what, r.rows, dry_run)
    return Outcome(job.name, removals)


async def roll_up_now(conn: asyncpg.Connection, settings: Settings, now: datetime) -> bool:
    """Roll up what arrived since the last run, hits and usage rows, unless a collector is
    doing so this moment: for `collector report`, whose numbers should not wait for the next
    scheduled run. False when either was busy elsewhere."""
    done = True
    for name, run in (
        ("hits", lambda: roll_up(conn, now, settings.retention_days)),
        ("usage", lambda: roll_up_usage(conn)),
    ):
        key = lock_key(name)
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", _LOCK_CLASS, key):
            done = False
            continue
        try:
            await run()
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1, $2)", _LOCK_CLASS, key)
    return done


async def hold_job_lock(conn: asyncpg.Connection, name: str) -> None:
    """Wait for job `name`'s lock until the caller's transaction ends: for work that must not
    interleave with a run of it (an erasure with the roll-up)."""
    assert conn.is_in_transaction()
    await conn.execute("SELECT pg_advisory_xact_lock($1, $2)", _LOCK_CLASS, lock_key(name))


def describe(outcomes: list[Outcome], settings: Settings, *, dry_run: bool) -> str:
    """What `collector purge` says: per category, each day removed and how many rows."""
    would = "would be " if dry_run else ""
    lines = []
    for o in outcomes:
        if o.skipped:
            lines.append(f"{o.job}: skipped, another collector process is running it")
        elif o.job == "aggregates" and settings.aggregate_retention_days == 0:
            lines.append("aggregates: kept forever (COLLECTOR_AGGREGATE_RETENTION_DAYS=0)")
        elif o.removals == []:
            lines.append(f"{o.job}: nothing past retention")
        aggregates = "usage aggregates" if o.job == "usage" else "aggregates"
        for r in o.removals or ():
            if r.kind == "dropped":
                lines.append(f"{o.job}: {r.what} {would}dropped: {r.rows} rows")
            elif r.kind == "folded":
                lines.append(f"{aggregates}: {r.what} {would}folded: {r.rows} rows into (others)")
            elif r.kind == "forgotten":
                lines.append(f"{aggregates}: {r.what} {would}deleted: {r.rows} rows (not kept)")
            else:
                lines.append(f"{o.job}: {r.what} {would}deleted: {r.rows} rows")
    return "\n".join(lines)


class Scheduler:
    """apscheduler's AsyncIOScheduler over `JOBS`, owned by the app (one per process)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        settings: Settings,
        clock: Callable[[], datetime],
        jobs: tuple[Job, ...] = JOBS,
    ) -> None:
        self._pool = pool
        self._settings = settings
        self._clock = clock
        self._jobs = {job.name: job for job in jobs}
        self._aps = AsyncIOScheduler(timezone=UTC, event_loop=asyncio.get_running_loop())
        self._running: set[asyncio.Task[None]] = set()
        self._runs: Counter[str] = Counter()
        self._done = asyncio.Condition()

    def start(self) -> None:
        """Register every job; each first runs now (on start), then on its trigger."""
        for job in self._jobs.values():
            self._aps.add_job(
                self._run,
                job.trigger(self._settings),
                args=[job],
                id=job.name,
                name=job.name,
                next_run_time=datetime.now(UTC),
                coalesce=True,  # after a long stop: one run, not one per missed day
                max_instances=1,
                misfire_grace_time=None,
            )
        self._aps.start()

    def job_names(self) -> list[str]:
        return [job.id for job in self._aps.get_jobs()]

    def next_run(self, name: str) -> datetime | None:
        job = self._aps.get_job(name)
        return job.next_run_time if job else None

    def run_soon(self, name: str) -> None:
        """Run `name` now, outside its schedule (then back on it)."""
        self._aps.modify_job(name, next_run_time=datetime.now(UTC))

    def runs(self, name: str) -> int:
        """How many runs of `name` have finished in this process (ran, skipped or failed)."""
        return self._runs[name]

    async def wait_for(self, name: str, runs: int = 1) -> None:
        """Return once `name` has finished `runs` runs in this process."""
        async with self._done:
            await self._done.wait_for(lambda: self._runs[name] >= runs)

    async def stop(self) -> None:
        """Stop triggering; cancel a running job (its open day rolls back, nothing is lost)."""
        self._aps.shutdown(wait=False)
        for task in list(self._running):
            task.cancel()
        if self._running:
            await asyncio.wait(list(self._running))

    async def _run(self, job: Job) -> None:
        # The work runs in a task of our own, so that stop() can cancel it without
        # apscheduler's executor seeing a cancelled job.
        task = asyncio.create_task(self._run_once(job), name=f"job-{job.name}")
        self._running.add(task)
        try:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        finally:
            self._running.discard(task)
            async with self._done:
                self._runs[job.name] += 1
                self._done.notify_all()

    async def _run_once(self, job: Job) -> None:
        try:
            async with self._pool.acquire() as conn:
                await run_job(conn, job, self._settings, self._clock(), dry_run=False)
        except Exception:
            # Logged and retried on the next run; whole days committed so far stay done.
            log.exception("job=%s failed", job.name)
