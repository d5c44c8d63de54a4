"""`collector purge [--dry-run]` as a user runs it, against the real clock."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from collector.storage.partitions import existing_partitions
from tests.retention.backdated import app_at, visit
from tests.support import settings_for
from tests.test_cli import collector


async def test_purge_says_per_category_what_would_go_then_removes_it(
    database_url: str, tmp_path: Path
) -> None:
    day = (datetime.now(UTC) - timedelta(days=9)).date()
    start = datetime(day.year, day.month, day.day, 1, tzinfo=UTC)
    async with app_at(settings_for(database_url), start + timedelta(hours=1)) as running:
        await visit(running, start, "/", "/a")
        await visit(running, start + timedelta(minutes=30), "/")
        await running.flush()
    env = {
        **os.environ,
        "COLLECTOR_DATABASE_URL": database_url,
        "COLLECTOR_DATA_DIR": str(tmp_path),
    }

    dry = collector("purge", "--dry-run", env=env).splitlines()
    assert any(
        line.startswith(f"hits: {day} would be rolled up and dropped: 3 rows -> ") for line in dry
    ), dry
    assert "aggregates: kept forever (COLLECTOR_AGGREGATE_RETENTION_DAYS=0)" in dry
    assert day in await _partitions(database_url)

    done = collector("purge", env=env).splitlines()
    assert any(line.startswith(f"hits: {day} rolled up and dropped: 3 rows -> ") for line in done)
    assert day not in await _partitions(database_url)
    assert collector("purge", env=env).splitlines()[0] == "hits: nothing past retention"


async def _partitions(dsn: str) -> list:
    conn = await asyncpg.connect(dsn)
    try:
        return await existing_partitions(conn)
    finally:
        await conn.close()
