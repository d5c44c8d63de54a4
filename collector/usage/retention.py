"""The `usage` job (retention/scheduler.py's JOBS, every ROLLUP_EVERY): usage data kept
exactly as long as raw hits are, by the same bound (retention/horizon.py) with its own
period, COLLECTOR_USAGE_RETENTION_DAYS.

1. roll up the rows that arrived since the last run (rollup.py);
2. drop each UTC hour of `usage_requests` that is due (`DROP TABLE` of its partition);
3. each site's day whose raw rows are all gone: fold its rare values into '(others)' and
   delete its address prefixes, or, with COLLECTOR_USAGE_AGGREGATES=false, delete all of it;
4. delete import records whose newest line is past retention;
5. with the listener on, create the next hours' partitions ahead.
"""

from __future__ import annotations

import logging
from datetime import datetime

import asyncpg

from collector.config import Settings
from collector.retention.horizon import raw_gone_before
from collector.retention.purge import (
    HOURS_AHEAD,
    Removal,
    drop_expired_hours,
    transaction,
)
from collector.storage.partitions import ensure_partitions
from collector.storage.sqlfile import bind, step
from collector.usage.rollup import (
    fold_usage_day,
    forget_usage_day,
    roll_up_usage,
    usage_days_due,
)
from collector.usage.writer import TABLE

log = logging.getLogger(__name__)


async def expire_usage(
    conn: asyncpg.Connection, settings: Settings, now: datetime, dry_run: bool
) -> list[Removal]:
    days = settings.usage_retention_days
    if not dry_run:
        try:
            await roll_up_usage(conn)
        except (asyncpg.PostgresError, OSError):
            # Retention must not wait for the statistics: log, and drop what is due anyway.
            log.exception("job=usage rollup=failed")
    removals = await drop_expired_hours(
        conn, settings, now, dry_run, table=TABLE, retention_days=days
    )
    for site_id, day in await usage_days_due(conn, now, days):
        async with transaction(conn, dry_run=dry_run):
            if settings.usage_aggregates:
                kind = "folded"
                rows = await fold_usage_day(conn, site_id, day, settings.rollup_min_count)
            else:
                kind = "forgotten"
                rows = await forget_usage_day(conn, site_id, day)
        removals.append(Removal(f"site {site_id} {day.isoformat()}", rows, kind))
    async with transaction(conn, dry_run=dry_run):
        sql = step("usage", "expire_imports")
        records = await conn.fetchval(*bind(sql, {"raw_gone_before": raw_gone_before(now, days)}))
    if records:
        removals.append(Removal("import records", records))
    if not dry_run and settings.usage_log_listen is not None:
        await ensure_partitions(conn, now, HOURS_AHEAD, TABLE)
    return removals
