"""Hourly partitions (UTC hours) of the raw tables, one data category each: `hits` (tracking)
and `usage_requests` (web-server access logs); and `raw_visits` (a row per visit, by the
hour of its first action), which goes with `hits`. Named and created here, from code, never
from a request. Hours, not days: retention drops raw data to the hour (P4)."""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime, timedelta

import asyncpg

HOUR = timedelta(hours=1)
# The partitioned raw tables. A table name is written into SQL text, so it must be one of
# these, never anything a request or a file can choose.
PARTITIONED = ("hits", "usage_requests", "raw_visits")


def _table(table: str) -> str:
    if table not in PARTITIONED:
        raise ValueError(f"not a partitioned table: {table!r}")
    return table


def hour_of(ts: datetime) -> datetime:
    """The UTC hour `ts` falls in, as an aware datetime."""
    return ts.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def partition_name(hour: datetime, table: str = "hits") -> str:
    return f"{_table(table)}_p{hour_of(hour):%Y%m%d%H}"


async def ensure_partition(conn: asyncpg.Connection, hour: datetime, table: str = "hits") -> None:
    """Create the partition for `hour` unless it exists; safe when racing another process."""
    start = hour_of(hour)
    # IF NOT EXISTS is not atomic: another collector may create it between check and create.
    # In a savepoint, so that losing that race inside the caller's transaction (the roll-up's)
    # does not abort it.
    with contextlib.suppress(asyncpg.DuplicateTableError, asyncpg.UniqueViolationError):
        async with conn.transaction():
            await conn.execute(
                f"CREATE TABLE IF NOT EXISTS {partition_name(start, table)} PARTITION OF {table} "
                f"FOR VALUES FROM ('{start.isoformat()}') TO ('{(start + HOUR).isoformat()}')"
            )


async def ensure_partitions(
    conn: asyncpg.Connection, first: datetime, hours: int, table: str = "hits"
) -> None:
    """The partitions of `hours` hours from the one `first` falls in, those missing only."""
    have = set(await existing_partitions(conn, table))
    start = hour_of(first)
    for offset in range(hours):
        if (hour := start + offset * HOUR) not in have:
            await ensure_partition(conn, hour, table)


async def existing_partitions(conn: asyncpg.Connection, table: str = "hits") -> list[datetime]:
    rows = await conn.fetch(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = to_regclass($1)",
        _table(table),
    )
    name = re.compile(rf"^{table}_p(\d{{10}})$")
    hours = []
    for row in rows:
        if m := name.match(row["relname"]):
            hours.append(datetime.strptime(m[1], "%Y%m%d%H").replace(tzinfo=UTC))
    return sorted(hours)


async def drop_partition(conn: asyncpg.Connection, hour: datetime, table: str = "hits") -> bool:
    """Drop the partition for `hour`; False when there is none (already dropped elsewhere).

    Takes an ACCESS EXCLUSIVE lock on `table` until the transaction ends: callers keep the
    rest of that transaction short and set a lock_timeout.
    """
    name = partition_name(hour, table)
    exists = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", name)
    if exists:
        await conn.execute(f"DROP TABLE {name}")
    return bool(exists)
