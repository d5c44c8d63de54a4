"""Usage data kept exactly as long as raw hits (the same bound, its own period): hours
dropped as they pass it, a day folded (or forgotten) once its raw rows are gone, address
prefixes never kept past it, import records with them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from collector.config import Settings
from collector.reports.runner import run_report
from collector.retention.horizon import DROP_LEAD
from collector.retention.scheduler import JOBS, describe, run_job
from collector.sites import add_site
from collector.storage.codecs import register
from collector.storage.db import migrate
from collector.storage.partitions import ensure_partition, existing_partitions, hour_of
from collector.usage.request import COLUMNS
from collector.usage.retention import expire_usage
from collector.usage.rollup import USAGE_AGGREGATE_TABLES, roll_up_usage

SEVEN_DAYS = timedelta(days=7)
USAGE_REPORTS = (
    "usage-summary", "usage-over-time", "usage-status", "usage-content", "usage-not-found",
    "usage-referrers", "usage-browsers", "usage-os", "usage-bots", "usage-prefixes",
)  # fmt: skip


@pytest.fixture
async def conn(own_url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(own_url, server_settings={"timezone": "UTC"})
    await migrate(connection)
    await register(connection)
    yield connection
    await connection.close()


def row(site: int, ts: datetime, path: str = "/", status: int = 200, **kw: Any) -> tuple:
    values = {"ip_prefix": "198.51.0.0", "bytes": 100, "referrer": None, "browser": "Firefox",
              "os": "Linux", "bot": False, **kw}  # fmt: skip
    return (site, ts, values["ip_prefix"], path, status, values["bytes"], values["referrer"],
            values["browser"], values["os"], values["bot"])  # fmt: skip


async def store(conn: asyncpg.Connection, rows: Sequence[tuple]) -> None:
    """Write rows as the writer does, and roll them up (nothing else writes here)."""
    for hour in {hour_of(r[1]) for r in rows}:
        await ensure_partition(conn, hour, "usage_requests")
    await conn.copy_records_to_table("usage_requests", records=list(rows), columns=COLUMNS)
    await roll_up_usage(conn, arrived_until=await conn.fetchval("SELECT clock_timestamp()"))


async def reports(conn: asyncpg.Connection, site: int, day: date) -> dict[str, Any]:
    return {n: await run_report(conn, n, site, day, day) for n in USAGE_REPORTS}


async def test_usage_aggregate_tables_lists_every_usage_aggregate(conn: asyncpg.Connection) -> None:
    tables = await conn.fetch(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'public' AND table_name LIKE 'usage\\_agg\\_%'"
    )
    assert sorted(USAGE_AGGREGATE_TABLES) == sorted(t["table_name"] for t in tables)


async def test_no_raw_usage_row_outlives_retention_by_an_hour_at_any_moment(
    conn: asyncpg.Connection,
) -> None:
    site = await add_site(conn, "Usage", ["u.example"])
    t0 = datetime(2022, 1, 10, 12, tzinfo=UTC)
    seeded = [t0 - timedelta(days=6, hours=12) + i * timedelta(minutes=20) for i in range(470)]
    await store(conn, [row(site, ts) for ts in seeded])
    settings = Settings()
    for now in (
        datetime(2022, 1, 11, 0, 0, tzinfo=UTC),
        datetime(2022, 1, 11, 0, 1, tzinfo=UTC),
        datetime(2022, 1, 11, 5, 59, tzinfo=UTC),
        datetime(2022, 1, 11, 23, 59, tzinfo=UTC),
        datetime(2022, 1, 13, 7, 17, tzinfo=UTC),
    ):
        await expire_usage(conn, settings, now, False)
        left = [r["ts"] for r in await conn.fetch("SELECT ts FROM usage_requests")]
        assert min(left) >= now - SEVEN_DAYS - timedelta(hours=1), now
        assert {ts for ts in seeded if ts > now - SEVEN_DAYS + DROP_LEAD} <= set(left), now


async def test_usage_has_its_own_retention_period(conn: asyncpg.Connection) -> None:
    site = await add_site(conn, "Usage", ["u.example"])
    now = datetime(2022, 3, 10, 12, tzinfo=UTC)
    await store(conn, [row(site, now - timedelta(days=3)), row(site, now - timedelta(hours=1))])
    await expire_usage(conn, replace(Settings(), usage_retention_days=2), now, False)
    assert [r["ts"] for r in await conn.fetch("SELECT ts FROM usage_requests")] == [
        now - timedelta(hours=1)
    ]


async def _seed_day(conn: asyncpg.Connection) -> tuple[int, date, datetime]:
    """A Berlin site's day with popular and rare paths, a 404 and two prefixes."""
    site = await add_site(conn, "Usage", ["u.example"], "Europe/Berlin")
    day = date(2022, 2, 3)  # local: 2022-02-02 23:00 to 2022-02-03 23:00 UTC
    ts = datetime(2022, 2, 3, 10, tzinfo=UTC)
    await store(
        conn,
        [
            row(site, datetime(2022, 2, 2, 23, 30, tzinfo=UTC), "/popular"),
            row(site, ts, "/popular", referrer="https://a.example/"),
            row(site, ts, "/rare", referrer="https://rare.example/"),
            row(site, ts, "/gone", 404, referrer="https://a.example/", ip_prefix="203.0.0.0"),
            row(site, ts, "/gone", 404, referrer="https://a.example/", ip_prefix="203.0.0.0"),
            row(site, datetime(2022, 2, 3, 22, 50, tzinfo=UTC), "/", bot=True, browser="Googlebot"),
        ],
    )
    return site, day, datetime(2022, 2, 3, 23, tzinfo=UTC)


async def test_a_day_is_folded_when_its_last_raw_hour_goes_and_its_totals_stay(
    conn: asyncpg.Connection,
) -> None:
    site, day, day_end = await _seed_day(conn)
    before = await reports(conn, site, day)
    assert [r["prefix"] for r in before["usage-prefixes"]] == ["203.0.0.0"]
    last_drop = day_end + SEVEN_DAYS - DROP_LEAD
    await expire_usage(conn, Settings(), last_drop - timedelta(minutes=1), False)
    assert await conn.fetchval("SELECT count(*) FROM usage_folded_days") == 0
    assert await reports(conn, site, day) == before  # its first hours are gone, not its counts

    removals = await expire_usage(conn, Settings(), last_drop, False)
    assert [r.what for r in removals if r.kind == "folded"] == [f"site {site} 2022-02-03"]
    after = await reports(conn, site, day)
    for same in ("usage-summary", "usage-over-time", "usage-status"):
        assert after[same] == before[same], same
    assert [(r["bot"], r["requests"]) for r in after["usage-bots"]] == [("(others)", 1)]
    assert {r["path"]: r["requests"] for r in after["usage-content"]} == {
        "/popular": 2,
        "(others)": 2,  # "/rare" and "/" were requested once each
    }
    assert [(r["path"], r["referrer"]) for r in after["usage-not-found"]] == [
        ("/gone", "https://a.example/")
    ]
    assert after["usage-prefixes"] == []  # prefixes never outlive the raw rows
    assert await conn.fetchval("SELECT count(*) FROM usage_agg_prefixes") == 0
    assert await conn.fetchval("SELECT count(*) FROM usage_requests") == 0


async def test_without_usage_aggregates_nothing_of_an_expired_day_is_kept(
    conn: asyncpg.Connection,
) -> None:
    site, day, day_end = await _seed_day(conn)
    settings = replace(Settings(), usage_aggregates=False)
    removals = await expire_usage(conn, settings, day_end + SEVEN_DAYS, False)
    assert any(r.kind == "forgotten" and r.rows > 0 for r in removals)
    for table in USAGE_AGGREGATE_TABLES:
        assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 0, table
    [summary] = (await reports(conn, site, day))["usage-summary"]
    assert summary["requests"] == 0


async def test_import_records_go_once_their_newest_line_is_past_retention(
    conn: asyncpg.Connection,
) -> None:
    site = await add_site(conn, "Usage", ["u.example"])
    newest = datetime(2022, 4, 1, 12, tzinfo=UTC)
    await conn.execute(
        "INSERT INTO usage_imports (site_id, fingerprint, fingerprint_lines, lines, newest) "
        "VALUES ($1, 'x', 1, 1, $2)",
        site,
        newest,
    )
    await expire_usage(conn, Settings(), newest + SEVEN_DAYS - timedelta(minutes=5), False)
    assert await conn.fetchval("SELECT count(*) FROM usage_imports") == 1
    removals = await expire_usage(conn, Settings(), newest + SEVEN_DAYS, False)
    assert await conn.fetchval("SELECT count(*) FROM usage_imports") == 0
    assert [(r.what, r.rows) for r in removals] == [("import records", 1)]


async def test_purge_says_what_would_go_and_changes_nothing_on_a_dry_run(
    conn: asyncpg.Connection,
) -> None:
    site = await add_site(conn, "Usage", ["u.example"])
    t0 = datetime(2021, 7, 20, 12, tzinfo=UTC)
    await store(conn, [row(site, t0 - timedelta(days=6, hours=23)) for _ in range(3)])
    job = next(j for j in JOBS if j.name == "usage")
    outcome = await run_job(conn, job, Settings(), t0 + timedelta(days=1), dry_run=True)
    text = describe([outcome], Settings(), dry_run=True)
    assert "usage: 2021-07-13 13:00 UTC would be dropped: 3 rows" in text
    assert "usage aggregates: site" in text and "would be folded" in text
    assert await conn.fetchval("SELECT count(*) FROM usage_requests") == 3
    assert len(await existing_partitions(conn, "usage_requests")) == 1


async def test_the_aggregate_retention_deletes_old_usage_aggregates_too(
    conn: asyncpg.Connection,
) -> None:
    site = await add_site(conn, "Usage", ["u.example"])
    old = datetime(2022, 5, 1, 12, tzinfo=UTC)
    await store(conn, [row(site, old)])
    job = next(j for j in JOBS if j.name == "aggregates")
    settings = replace(Settings(), aggregate_retention_days=30)
    await run_job(conn, job, settings, old + timedelta(days=31), dry_run=False)
    for table in USAGE_AGGREGATE_TABLES:
        assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 0, table
