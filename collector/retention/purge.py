"""What retention does to each data category, as job functions the scheduler and
`collector purge` share.

Raw hits: each expired day is rolled up into the aggregates and its partition dropped, in
one transaction per day, oldest first. Aggregates: deleted by day once older than their own
retention (if one is set). A day expires once all of it is older than the retention period,
which is also when the endpoint stops accepting back-dated hits for it (`cdt`), so a
dropped day never comes back.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import asyncpg

from collector.config import Settings
from collector.retention.rollup import roll_up_day
from collector.storage.partitions import (
    drop_partition,
    ensure_partitions,
    existing_partitions,
    partition_name,
)

PARTITIONS_AHEAD = 3  # today and two more: a hit just after midnight finds its partition
# Dropping a partition locks all of `hits`; rather than queue behind a long report (and
# make every write queue behind us), give up and let the next run retry.
DROP_LOCK_TIMEOUT = "5s"
# Every table 002_aggregates.sql creates; a test keeps this list complete.
AGGREGATE_TABLES = (
    "agg_site_days",
    "agg_pages",
    "agg_titles",
    "agg_referrers",
    "agg_campaigns",
    "agg_platforms",
    "agg_events",
    "agg_targets",
    "agg_site_search",
)


@dataclass(frozen=True, slots=True)
class Removal:
    """Rows removed (or that would be) from one category, for one day or, if None, in all."""

    day: date | None
    rows: int
    aggregate_rows: int = 0  # rows of aggregates the removed rows were rolled up into


# (connection, settings, now, dry_run) -> what was removed, or None for a job that removes
# nothing (partitions ahead). `now` comes from the caller: the app's clock, or the CLI's.
JobFunction = Callable[
    [asyncpg.Connection, Settings, datetime, bool], Awaitable[list[Removal] | None]
]


def first_kept_day(now: datetime, retention_days: int) -> date:
    """Days before this one are expired: all of each is older than `retention_days`."""
    return (now - timedelta(days=retention_days)).date()


def expired_days(days: list[date], now: datetime, retention_days: int) -> list[date]:
    first_kept = first_kept_day(now, retention_days)
    return sorted(d for d in days if d < first_kept)


@contextlib.asynccontextmanager
async def transaction(conn: asyncpg.Connection, *, dry_run: bool) -> AsyncIterator[None]:
    """A transaction that commits, or rolls back when `dry_run` (to report what would be)."""
    tr = conn.transaction()
    await tr.start()
    try:
        yield
    except BaseException:
        await tr.rollback()
        raise
    if dry_run:
        await tr.rollback()
    else:
        await tr.commit()


async def create_partitions_ahead(
    conn: asyncpg.Connection, settings: Settings, now: datetime, dry_run: bool
) -> None:
    if not dry_run:
        await ensure_partitions(conn, now.date(), PARTITIONS_AHEAD)


async def purge_hits(
    conn: asyncpg.Connection, settings: Settings, now: datetime, dry_run: bool
) -> list[Removal]:
    """Roll up and drop every expired day, oldest first; stop at the first failure."""
    removals = []
    for day in expired_days(await existing_partitions(conn), now, settings.retention_days):
        async with transaction(conn, dry_run=dry_run):
            await conn.execute("SELECT set_config('lock_timeout', $1, true)", DROP_LOCK_TIMEOUT)
            name = partition_name(day)
            if not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", name):
                continue  # dropped since we listed it
            rows = await conn.fetchval(f"SELECT count(*) FROM {name}")
            written = await roll_up_day(conn, day, settings.rollup_min_count)
            if not dry_run:
                await drop_partition(conn, day)
        removals.append(Removal(day, rows, written))
    return removals


async def purge_aggregates(
    conn: asyncpg.Connection, settings: Settings, now: datetime, dry_run: bool
) -> list[Removal]:
    if settings.aggregate_retention_days == 0:
        return []  # kept: the default
    first_kept = first_kept_day(now, settings.aggregate_retention_days)
    per_day: Counter[date] = Counter()
    async with transaction(conn, dry_run=dry_run):
        for table in AGGREGATE_TABLES:
            rows = await conn.fetch(
                f"WITH gone AS (DELETE FROM {table} WHERE day < $1 RETURNING day) "
                "SELECT day, count(*) AS n FROM gone GROUP BY day",
                first_kept,
            )
            per_day.update({r["day"]: r["n"] for r in rows})
    return [Removal(day, n) for day, n in sorted(per_day.items())]


def purge_older_than(
    purge: Callable[[asyncpg.Connection, datetime], Awaitable[int]],
    period: Callable[[Settings], timedelta],
) -> JobFunction:
    """A job from a `purge(conn, before) -> rows` function and its retention setting.

    For categories kept by time rather than by day, e.g. consent receipts:
    `Job("receipts", purge_older_than(purge_receipts, receipt_period), daily)`.
    """

    async def job(
        conn: asyncpg.Connection, settings: Settings, now: datetime, dry_run: bool
    ) -> list[Removal]:
        async with transaction(conn, dry_run=dry_run):
            rows = await purge(conn, now - period(settings))
        return [Removal(None, rows)] if rows else []

    return job
