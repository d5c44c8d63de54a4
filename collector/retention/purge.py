"""What retention does to each data category, as job functions the scheduler and
`collector purge` share.

Raw hits (`roll_up_and_expire`, every ROLLUP_EVERY): new hits are rolled up into the
aggregates, then each UTC hour whose raw data is due is dropped (`DROP TABLE` of its
partition, never `DELETE`; the raw visits' partition of the hour in the same transaction),
and each site's day whose raw data is all gone is folded; the next hours' partitions are
created ahead. Aggregates: deleted by day once older than their own retention (if one is
set). The bounds are in `horizon.py`.
"""

from __future__ import annotations

import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import asyncpg

from collector.config import Settings
from collector.retention.fold import days_to_fold, fold_day
from collector.retention.horizon import drop_due
from collector.retention.rollup import roll_up
from collector.storage.partitions import (
    drop_partition,
    ensure_partitions,
    existing_partitions,
    partition_name,
)
from collector.usage.rollup import USAGE_AGGREGATE_TABLES

log = logging.getLogger(__name__)

HOURS_AHEAD = 48  # a hit just after midnight, or a day of outage later, finds its partition
# Dropping a partition locks all of `hits`; rather than queue behind a long query (and make
# every write queue behind us), give up and let the next run (seconds later) retry.
DROP_LOCK_TIMEOUT = "3s"
# Every aggregate table (migrations 002, 007, 008); a test keeps this list complete.
AGGREGATE_TABLES = (
    "agg_site_hours",
    "agg_pages",
    "agg_titles",
    "agg_referrers",
    "agg_campaigns",
    "agg_platforms",
    "agg_events",
    "agg_targets",
    "agg_site_search",
    "agg_goals",
    "agg_ecommerce",
    "agg_products",
    "agg_contents",
    "agg_page_timings",
    "agg_dimensions",
    "agg_countries",  # 008
    "agg_screens",
    "agg_languages",
    "agg_visit_facets",  # 013
    "agg_visit_actions",
)


@dataclass(frozen=True, slots=True)
class Removal:
    """What went (or would) from one category: `what` is an hour, a day, or "all"."""

    what: str
    rows: int
    kind: str = "deleted"  # "dropped" (a raw hour), "folded" (a day), "deleted"


# (connection, settings, now, dry_run) -> what was removed. `now` comes from the caller: the
# app's clock, or the CLI's.
JobFunction = Callable[[asyncpg.Connection, Settings, datetime, bool], Awaitable[list[Removal]]]


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


async def drop_expired_hours(
    conn: asyncpg.Connection,
    settings: Settings,
    now: datetime,
    dry_run: bool,
    *,
    table: str = "hits",
    retention_days: int | None = None,
) -> list[Removal]:
    """Drop every raw hour of `table` that is due, oldest first; stop at the first that
    cannot be. The bound is the same for each data category, with its own retention."""
    days = settings.retention_days if retention_days is None else retention_days
    removals = []
    for hour in await existing_partitions(conn, table):
        if not drop_due(hour, now, days):
            break  # sorted: the rest are younger
        async with transaction(conn, dry_run=dry_run):
            await conn.execute("SELECT set_config('lock_timeout', $1, true)", DROP_LOCK_TIMEOUT)
            rows = await conn.fetchval(f"SELECT count(*) FROM {partition_name(hour, table)}")
            if not dry_run:
                await drop_partition(conn, hour, table)
                if table == "hits":  # the visits that started in it go with it
                    await drop_partition(conn, hour, "raw_visits")
        removals.append(Removal(f"{hour:%Y-%m-%d %H}:00 UTC", rows, "dropped"))
    if table == "hits" and not dry_run:
        # Hours of raw visits with no hits hour to go with (an old schema's hits partitions
        # are days): the same bound, dropped on their own; the hits' removals say enough.
        await drop_expired_hours(
            conn, settings, now, dry_run, table="raw_visits", retention_days=days
        )
    return removals


async def fold_expired_days(
    conn: asyncpg.Connection, settings: Settings, now: datetime, dry_run: bool
) -> list[Removal]:
    removals = []
    for site_id, day in await days_to_fold(conn, now, settings.retention_days):
        async with transaction(conn, dry_run=dry_run):
            rows = await fold_day(
                conn, site_id, day, settings.rollup_min_count, settings.rollup_max_rows
            )
        removals.append(Removal(f"site {site_id} {day.isoformat()}", rows, "folded"))
    return removals


async def roll_up_and_expire(
    conn: asyncpg.Connection, settings: Settings, now: datetime, dry_run: bool
) -> list[Removal]:
    """The `hits` job: roll up, then drop and fold what is due, then partitions ahead.
    Rolling up first means an hour is dropped only after its hits were counted."""
    if not dry_run:
        try:
            result = await roll_up(conn, now, settings.retention_days)
        except (asyncpg.PostgresError, OSError):
            # Retention must not wait for the statistics: log, and drop what is due anyway.
            log.exception("job=hits rollup=failed")
        else:
            if not result.idle:
                log.debug("rollup sessions=%d hits=%d", result.sessions, result.hits)
    removals = await drop_expired_hours(conn, settings, now, dry_run)
    removals += await fold_expired_days(conn, settings, now, dry_run)
    if not dry_run:
        await ensure_partitions(conn, now, HOURS_AHEAD)
        await ensure_partitions(conn, now, HOURS_AHEAD, "raw_visits")
    return removals


async def purge_aggregates(
    conn: asyncpg.Connection, settings: Settings, now: datetime, dry_run: bool
) -> list[Removal]:
    if settings.aggregate_retention_days == 0:
        return []  # kept: the default
    first_kept = (now - timedelta(days=settings.aggregate_retention_days)).date()
    per_day: Counter[date] = Counter()
    async with transaction(conn, dry_run=dry_run):
        # Usage aggregates too (migration 010): the same anonymous daily statistics.
        usage = (*USAGE_AGGREGATE_TABLES, "usage_folded_days")
        for table in (*AGGREGATE_TABLES, "folded_days", *usage):
            rows = await conn.fetch(
                f"WITH gone AS (DELETE FROM {table} WHERE day < $1 RETURNING day) "
                "SELECT day, count(*) AS n FROM gone GROUP BY day",
                first_kept,
            )
            if not table.endswith("folded_days"):
                per_day.update({r["day"]: r["n"] for r in rows})
    return [Removal(day.isoformat(), n) for day, n in sorted(per_day.items())]


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
        return [Removal("all", rows)] if rows else []

    return job
