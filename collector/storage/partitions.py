"""Daily partitions of `hits`: named and created here, from code, never from a request."""

from __future__ import annotations

import contextlib
import re
from datetime import date, timedelta

import asyncpg

_NAME = re.compile(r"^hits_p(\d{8})$")


def partition_name(day: date) -> str:
    return f"hits_p{day:%Y%m%d}"


async def ensure_partition(conn: asyncpg.Connection, day: date) -> None:
    """Create the partition for `day` (UTC) unless it exists; safe when racing another process."""
    name = partition_name(day)
    # IF NOT EXISTS is not atomic: another collector may create it between check and create.
    with contextlib.suppress(asyncpg.DuplicateTableError, asyncpg.UniqueViolationError):
        await conn.execute(
            f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF hits "
            f"FOR VALUES FROM ('{day.isoformat()} 00:00+00') "
            f"TO ('{(day + timedelta(days=1)).isoformat()} 00:00+00')"
        )


async def ensure_partitions(conn: asyncpg.Connection, first: date, days: int) -> None:
    for offset in range(days):
        await ensure_partition(conn, first + timedelta(days=offset))


async def existing_partitions(conn: asyncpg.Connection) -> list[date]:
    rows = await conn.fetch(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'hits'::regclass"
    )
    days = []
    for row in rows:
        if m := _NAME.match(row["relname"]):
            days.append(date(int(m[1][:4]), int(m[1][4:6]), int(m[1][6:])))
    return sorted(days)


async def drop_partition(conn: asyncpg.Connection, day: date) -> bool:
    """Drop the partition for `day`; False when there is none (already dropped elsewhere).

    Takes an ACCESS EXCLUSIVE lock on `hits` until the transaction ends: callers keep the
    rest of that transaction short and set a lock_timeout.
    """
    name = partition_name(day)
    exists = await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", name)
    if exists:
        await conn.execute(f"DROP TABLE {name}")
    return bool(exists)
