"""A page's reports read at once on two connections that share one snapshot.

A page's numbers must agree, so they are read in one REPEATABLE READ snapshot; its cards
are independent queries, and one connection runs them one after another on one core.
PostgreSQL lets a second transaction adopt the first one's snapshot (`pg_export_snapshot`,
`SET TRANSACTION SNAPSHOT`): two backends then read the very same data side by side. The
second connection is taken only when the pool has one to spare, so that pages under load
read on one connection each, as before, and never wait for a second one (two pages each
holding one and waiting for another would otherwise stall until the statement timeout).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

import asyncpg

Job = Callable[[asyncpg.Connection], Awaitable[Any]]
_SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+(?:-[0-9]+)?")  # what pg_export_snapshot gives


def _spare(pool: asyncpg.Pool) -> bool:
    return pool.get_idle_size() > 0 or pool.get_size() < pool.get_max_size()


@asynccontextmanager
async def snapshot_lanes(
    pool: asyncpg.Pool, *, lanes: int = 2
) -> AsyncIterator[list[asyncpg.Connection]]:
    """Connections in read-only transactions that all see one snapshot: the first always,
    up to `lanes` when the pool has them to spare."""
    async with (
        pool.acquire() as first,
        first.transaction(isolation="repeatable_read", readonly=True),
    ):
        if lanes < 2 or not _spare(pool):
            yield [first]
            return
        snapshot = await first.fetchval("SELECT pg_export_snapshot()")
        assert _SNAPSHOT_ID.fullmatch(snapshot), snapshot  # SET takes no parameters
        async with (
            pool.acquire() as second,
            second.transaction(isolation="repeatable_read", readonly=True),
        ):
            await second.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            yield [first, second]


async def run_all(conns: list[asyncpg.Connection], jobs: Mapping[str, Job]) -> dict[str, Any]:
    """Each job's result by its name. Every connection takes the next job when it is free,
    in the order given (the heaviest first keeps the lanes even). The first error is raised
    as itself, the other lanes cancelled."""
    results: dict[str, Any] = {}
    todo = iter(jobs.items())

    async def lane(conn: asyncpg.Connection) -> None:
        for name, job in todo:  # one iterator for all lanes: no job runs twice
            results[name] = await job(conn)

    if len(conns) == 1:
        await lane(conns[0])
        return results
    try:
        async with asyncio.TaskGroup() as group:
            for conn in conns:
                group.create_task(lane(conn))
    except ExceptionGroup as failed:  # callers catch what a query raises (a timeout: 503)
        raise failed.exceptions[0] from None
    return results
