"""The usage roll-up: rows that arrived since the last run, into the `usage_agg_*` tables
(`sql/usage/rollup/`), and folding a day at expiry (`sql/usage/fold/`).

Simpler than the hits' roll-up (retention/rollup.py): a request is counted on its own, so
a run only adds the new rows' sums, in one transaction with the state it advances; a run
killed half-way leaves the aggregates as they were. Rows are found by `arrival`, up to as
far as every write has committed (sql/retention/arrived_until.sql, shared with hits).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import asyncpg

from collector.retention.horizon import LONGEST_WRITE, raw_gone_before
from collector.storage.sqlfile import bind, step, steps

# Every usage aggregate table (migration 010); a test keeps the list complete.
USAGE_AGGREGATE_TABLES = (
    "usage_agg_hours",
    "usage_agg_status",
    "usage_agg_content",
    "usage_agg_not_found",
    "usage_agg_referrers",
    "usage_agg_agents",
    "usage_agg_prefixes",
)
_BEGINNING = datetime.min.replace(tzinfo=UTC)


async def roll_up_usage(conn: asyncpg.Connection, *, arrived_until: datetime | None = None) -> int:
    """One run; how many rows it added. `arrived_until`: for a test that knows nothing is in
    flight (default: as far as every write has committed)."""
    files = steps("usage/rollup")
    await conn.execute(files[0][1])  # 00_work_tables, once per connection
    async with conn.transaction():
        state = await conn.fetchrow(
            "SELECT arrived_until = '-infinity' AS initial, arrived_until "
            "FROM usage_rollup_state FOR UPDATE"
        )
        arrived_from = _BEGINNING if state["initial"] else state["arrived_until"]
        until = arrived_until or await conn.fetchval(
            *bind(step("retention", "arrived_until"), {"longest": LONGEST_WRITE})
        )
        if until <= arrived_from:
            return 0
        params = {"arrived_from": arrived_from, "arrived_until": until}
        await conn.execute(*bind(files[1][1], params))  # 10_rows
        rows: int = await conn.fetchval("SELECT count(*) FROM u_rows")
        if rows:
            await conn.execute("ANALYZE u_rows")  # temporary tables have no statistics
            for _name, sql in files[2:]:
                await conn.execute(sql)
        await conn.execute("UPDATE usage_rollup_state SET arrived_until = $1", until)
    return rows


async def roll_up_written(conn: asyncpg.Connection) -> int:
    """Roll up once what this connection has written can be taken in: a run reads only up
    to a second before the oldest write still running (arrived_until.sql), so right after an
    import it would leave the last second's rows to the next run. Waits that long (at most
    5 s: a long transaction elsewhere only delays them until the scheduler's next run)."""
    written = await conn.fetchval("SELECT clock_timestamp()")
    sql = bind(step("retention", "arrived_until"), {"longest": LONGEST_WRITE})
    if (until := await conn.fetchval(*sql)) < written:
        await asyncio.sleep(min((written - until).total_seconds(), 5.0))
    return await roll_up_usage(conn)


async def usage_days_due(
    conn: asyncpg.Connection, now: datetime, retention_days: int
) -> list[tuple[int, date]]:
    """(site, day) whose raw usage rows are all gone and which are not folded yet."""
    sql = step("usage", "folds_due")
    rows = await conn.fetch(*bind(sql, {"raw_gone_before": raw_gone_before(now, retention_days)}))
    return [(r["site_id"], r["day"]) for r in rows]


async def fold_usage_day(conn: asyncpg.Connection, site_id: int, day: date, min_count: int) -> int:
    """Fold one site's day: rare values into '(others)', prefixes deleted. Rows moved."""
    params = {"site": site_id, "day": day, "min_count": min_count}
    moved = 0
    async with conn.transaction():
        for _name, sql in steps("usage/fold"):
            moved += await conn.fetchval(*bind(sql, params))
    return moved


async def forget_usage_day(conn: asyncpg.Connection, site_id: int, day: date) -> int:
    """Delete every aggregate row of one site's day (COLLECTOR_USAGE_AGGREGATES=false)."""
    sql = step("usage", "forget_day")
    deleted: int = await conn.fetchval(*bind(sql, {"site": site_id, "day": day}))
    return deleted
