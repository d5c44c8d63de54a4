"""Consent receipts in a real PostgreSQL: purge by age, counts per day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from collector.privacy.receipts import (
    Choice,
    consent_stats,
    new_receipt,
    purge_receipts,
    write_receipt,
)
from tests.support import Running


async def test_purge_removes_receipts_older_than_the_cutoff_only(server: Running) -> None:
    cutoff = datetime(2025, 6, 1, tzinfo=UTC)
    times = [
        cutoff - timedelta(days=400),
        cutoff - timedelta(seconds=1),
        cutoff,
        cutoff + timedelta(days=1),
    ]
    async with server.pool.acquire() as conn:
        for ts in times:
            await write_receipt(conn, new_receipt(server.site_id, Choice.OPT_IN, ts, "1"))
        removed = await purge_receipts(conn, cutoff)
        again = await purge_receipts(conn, cutoff)
        left = await conn.fetch(
            "SELECT ts FROM consent_receipts WHERE site_id = $1 ORDER BY ts", server.site_id
        )
    assert removed >= 2 and again == 0
    assert [r["ts"] for r in left] == times[2:]


async def test_stats_count_opt_ins_and_outs_per_day_with_empty_days(server: Running) -> None:
    day = datetime(2026, 3, 10, 23, 59, tzinfo=UTC)
    choices = [
        (day, Choice.OPT_IN),
        (day, Choice.OPT_IN),
        (day, Choice.OPT_IN),
        (day, Choice.OPT_OUT),
        (day + timedelta(days=2), Choice.OPT_OUT),
    ]
    async with server.pool.acquire() as conn:
        for ts, choice in choices:
            await write_receipt(conn, new_receipt(server.site_id, choice, ts, "1"))
        await write_receipt(conn, new_receipt(0, Choice.OPT_IN, day, "1"))  # another "site"
        rows = await consent_stats(conn, server.site_id, date(2026, 3, 10), date(2026, 3, 12))
    assert rows == [
        {"day": "2026-03-10", "opt_ins": 3, "opt_outs": 1, "opt_in_rate": 0.75},
        {"day": "2026-03-11", "opt_ins": 0, "opt_outs": 0, "opt_in_rate": None},
        {"day": "2026-03-12", "opt_ins": 0, "opt_outs": 1, "opt_in_rate": 0.0},
    ]
