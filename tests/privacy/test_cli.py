"""`collector consent stats` and `collector privacy-notice` as a user runs them."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import orjson
import pytest

from collector.privacy.receipts import Choice, new_receipt, write_receipt
from collector.sites import add_site
from collector.storage.db import migrate
from tests.test_cli import collector


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "COLLECTOR_DATABASE_URL": database_url,
        "COLLECTOR_DATA_DIR": str(tmp_path),
    }


async def _seed(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        await migrate(conn)
        site_id = await add_site(conn, "Stats", ["stats-cli.example"])
        day = datetime(2026, 2, 3, 12, tzinfo=UTC)
        for choice in (Choice.OPT_IN, Choice.OPT_IN, Choice.OPT_OUT):
            await write_receipt(conn, new_receipt(site_id, choice, day, "1"))
        return site_id
    finally:
        await conn.close()


def test_consent_stats_without_a_period_covers_the_30_days_up_to_today_as_documented(
    env: dict[str, str], database_url: str
) -> None:
    site_id = asyncio.run(_seed(database_url))
    rows = orjson.loads(
        collector("consent", "stats", "--site", str(site_id), "--format", "json", env=env)
    )
    today = datetime.now(UTC).date()
    assert [r["day"] for r in rows] == [
        (today - timedelta(days=n)).isoformat() for n in range(29, -1, -1)
    ]
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    assert "the 30 days up to today" in readme


def test_consent_stats_prints_counts_per_day(env: dict[str, str], database_url: str) -> None:
    site_id = asyncio.run(_seed(database_url))
    args = (
        "consent",
        "stats",
        "--site",
        str(site_id),
        "--from",
        "2026-02-03",
        "--to",
        "2026-02-04",
    )
    rows = orjson.loads(collector(*args, "--format", "json", env=env))
    assert rows == [
        {"day": "2026-02-03", "opt_ins": 2, "opt_outs": 1, "opt_in_rate": 0.667},
        {"day": "2026-02-04", "opt_ins": 0, "opt_outs": 0, "opt_in_rate": None},
    ]
    table = collector(*args, env=env).splitlines()
    assert table[0].split() == ["day", "opt_ins", "opt_outs", "opt_in_rate"]
    assert table[2].split() == ["2026-02-03", "2", "1", "0.667"]


def test_privacy_notice_follows_the_environment(env: dict[str, str]) -> None:
    html = collector("privacy-notice", "--lang", "de", "--format", "html", env=env)
    assert "<h2>IP-Adresse</h2>" in html and "7 Tagen" in html
    md = collector("privacy-notice", env={**env, "COLLECTOR_RETENTION_DAYS": "3"})
    assert md.startswith("## Usage data") and "## Website statistics" in md
    assert "after 3 days" in md
