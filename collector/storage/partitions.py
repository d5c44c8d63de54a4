"""Hourly partitions of `hits` (UTC hours): named and created here, from code, never from a
request. Hours, not days: retention drops raw data to the hour (P4)."""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime, timedelta

import asyncpg

HOUR = timedelta(hours=1)
_NAME = re.compile(r"^hits_p(\d{10})$")


def hour_of(ts: datetime) -> datetime:
    """The UTC hour `ts` falls in, as an aware datetime."""
    return ts.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def partition_name(hour: datetime) -> str:
    return f"hits_p{hour_of(hour):%Y%m%d%H}"


async def ensure_partition(conn: asyncpg.Connection, hour: datetime) -> None:
    """Create the partition for `hour` unless it exists; safe when racing another process."""
    start = hour_of(hour)
    # IF NOT EXISTS is not atomic: another collector may create it between check and create.
    with contextlib.suppress(asyncpg.DuplicateTableError, asyncpg.UniqueViolationError):
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {partition_name(start)} PARTITION OF hits "
            f"FOR VALUES FROM ('{start.isoformat()}') TO ('{(start + HOUR).isoformat()}')"
        )


async def ensure_partitions(conn: asyncpg.Connection, first: datetime, hours: int) -> None:
    """The partitions of `hours` hours from the one `first` falls in, those missing only."""
    have = set(await existing_partitions(conn))
    start = hour_of(first)
    for offset in range(hours):
        if (hour := start + offset * HOUR) not in have:
            await ensure_partition(conn, hour)


async def existing_partitions(conn: asyncpg.Connection) -> list[datetime]:
    rows = await conn.fetch(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'hits'::regclass"
    )
    hours = []
    for row in rows:
        if m := _NAME.match(row["relname"]):
            hours.append(datetime.strptime(m[1], "%Y%m%d%H").replace(tzinfo=UTC))
    return sorted(hours)


async def drop_partition(conn: asyncpg.Connection, hour: datetime) -> bool:
    """Drop the partition for `hour`; False when there is none (already dropped elsewhere).

    Takes an ACCESS EXCLUSIVE lock on `hits` until the transaction ends: callers keep the
    rest of that transaction short and set a lock_timeout.
    """
    name = partition_name(hour)
    exists = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", name)
    if exists:
        await conn.execute(f"DROP TABLE {name}")
    return bool(exists)
