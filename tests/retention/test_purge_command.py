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
    own_url: str, tmp_path: Path
) -> None:
    # Two hours of hits, one whose raw data expired a while ago, one that is still kept.
    now = datetime.now(UTC)
    old = (now - timedelta(days=7, hours=2)).replace(minute=5, second=0, microsecond=0)
    async with app_at(settings_for(own_url), old + timedelta(minutes=30)) as running:
        await visit(running, old, "/", "/a")
        await running.roll_up()
        running.clock.now = now
        await visit(running, now - timedelta(hours=1), "/")
        await running.roll_up()
    env = {**os.environ, "COLLECTOR_DATABASE_URL": own_url, "COLLECTOR_DATA_DIR": str(tmp_path)}
    hour = old.replace(minute=0).strftime("%Y-%m-%d %H:00 UTC")

    dry = collector("purge", "--dry-run", env=env).splitlines()
    assert f"hits: {hour} would be dropped: 2 rows" in dry, dry
    assert "aggregates: kept forever (COLLECTOR_AGGREGATE_RETENTION_DAYS=0)" in dry
    assert old.replace(minute=0) in await _partitions(own_url)

    done = collector("purge", env=env).splitlines()
    assert f"hits: {hour} dropped: 2 rows" in done, done
    assert old.replace(minute=0) not in await _partitions(own_url)
    assert collector("purge", env=env).splitlines()[0] == "hits: nothing past retention"


async def _partitions(dsn: str) -> list:
    conn = await asyncpg.connect(dsn)
    try:
        return await existing_partitions(conn)
    finally:
        await conn.close()
