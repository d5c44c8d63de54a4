"""Folding a day at expiry (`sql/fold/*.sql`): once a day's raw data is gone, values seen in
fewer than `COLLECTOR_ROLLUP_MIN_COUNT` visits that day become '(others)' (P9), and so do all
but the `COLLECTOR_ROLLUP_MAX_ROWS` most visited of each report (a year reads a bounded
number of rows a day, as Matomo's archives are truncated).

Until then a day's aggregates are exact (they are what raw hits say, and the roll-up may
still subtract an erased visit from them); after, nothing adds to them or subtracts from
them again. One transaction per site and day, in order; a run stopped half-way has folded
whole days only, and folding a day twice changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime

import asyncpg

from collector.retention.horizon import raw_gone_before
from collector.storage.sqlfile import bind, step, steps


async def days_to_fold(
    conn: asyncpg.Connection, now: datetime, retention_days: int
) -> list[tuple[int, date]]:
    sql = step("retention", "folds_due")
    rows = await conn.fetch(*bind(sql, {"raw_gone_before": raw_gone_before(now, retention_days)}))
    return [(r["site_id"], r["day"]) for r in rows]


async def fold_day(
    conn: asyncpg.Connection, site_id: int, day: date, min_count: int, max_rows: int
) -> int:
    """Fold one site's day; how many aggregate rows went into '(others)'."""
    params = {"site": site_id, "day": day, "min_count": min_count, "max_rows": max_rows}
    folded = 0
    async with conn.transaction():
        for _name, sql in steps("fold"):
            folded += await conn.fetchval(*bind(sql, params))
    return folded
