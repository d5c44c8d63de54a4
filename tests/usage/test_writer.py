"""The usage writer against a real PostgreSQL: batches, a row the database refuses found by
halving and stored cleaned (or dropped and counted), rows past retention not written."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from collector.metrics import Metrics
from collector.sites import add_site
from collector.storage.db import create_pool, migrate
from collector.usage.writer import UsageWriter


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    created = await create_pool(database_url)
    async with created.acquire() as conn:
        await migrate(conn)
    yield created
    await created.close()


def row(site: int, path: str, size: int = 1, ts: datetime | None = None) -> tuple:
    return (site, ts or datetime.now(UTC), "198.51.0.0", path, 200, size, None, None, None, False)


async def test_a_refused_row_is_found_cleaned_or_dropped_and_the_rest_stored(
    pool: asyncpg.Pool,
) -> None:
    async with pool.acquire() as conn:
        site = await add_site(conn, "Writer", ["usage-writer.example"])
    metrics = Metrics()
    now = datetime.now(UTC)
    writer = UsageWriter(
        pool,
        metrics,
        capacity=100,
        batch_size=8,
        flush_interval=0.01,
        storable_from=lambda: now - timedelta(days=1),
    )
    writer.start()
    rows = [row(site, f"/ok{i}") for i in range(14)]
    rows[3] = row(site, "/nul\0byte")  # PostgreSQL refuses NUL in text: cleaned
    rows[9] = row(site, "/huge", size=1 << 70)  # no bigint holds it: dropped
    rows.append(row(site, "/old", ts=now - timedelta(days=2)))  # past retention: not written
    for r in rows:
        assert writer.offer(r)
    await writer.flush()
    await writer.close()
    async with pool.acquire() as conn:
        paths = {
            r["path"]
            for r in await conn.fetch("SELECT path FROM usage_requests WHERE site_id = $1", site)
        }
    assert paths == {f"/ok{i}" for i in range(14) if i not in (3, 9)} | {"/nulbyte"}
    assert metrics.value("usage_lines_unstorable") == 1
    assert metrics.value("usage_lines_refused", "expired") == 1
    assert metrics.value("usage_requests_stored") == 13
