"""The usage reports: known answers over a fixed set of rows, the same rows as the reference
derivation from raw rows (tests/reference/usage-*.sql) for random rows in random arrival
orders, and the CLI and JSON API serving them."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collector.reports.runner import report_names, run_report
from collector.sites import add_site
from collector.storage.codecs import register
from collector.storage.db import migrate
from collector.storage.partitions import ensure_partition, hour_of
from collector.usage.request import COLUMNS
from collector.usage.rollup import USAGE_AGGREGATE_TABLES, roll_up_usage
from tests.reference import reference_report
from tests.support import Running, database_beside, request

EXAMPLES = int(os.environ.get("COLLECTOR_PROPERTY_EXAMPLES", "20"))
USAGE = [n for n in report_names() if n.startswith("usage-")]
DAY = date(2026, 11, 2)


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 2, hour, minute, tzinfo=UTC)


def row(site: int, ts: datetime, path: str, status: int = 200, size: int = 100, **kw: Any) -> tuple:
    values = {"ip_prefix": "198.51.0.0", "referrer": None, "browser": "Firefox", "os": "Linux",
              "bot": False, **kw}  # fmt: skip
    return (site, ts, values["ip_prefix"], path, status, size, values["referrer"],
            values["browser"], values["os"], values["bot"])  # fmt: skip


async def store(conn: asyncpg.Connection, rows: Sequence[tuple]) -> None:
    for hour in {hour_of(r[1]) for r in rows}:
        await ensure_partition(conn, hour, "usage_requests")
    await conn.copy_records_to_table("usage_requests", records=list(rows), columns=COLUMNS)
    await roll_up_usage(conn, arrived_until=await conn.fetchval("SELECT clock_timestamp()"))


@pytest.fixture(scope="module")
async def seeded(database_url: str) -> AsyncIterator[tuple[asyncpg.Connection, int]]:
    async with database_beside(database_url) as url:
        conn = await asyncpg.connect(url, server_settings={"timezone": "UTC"})
        await migrate(conn)
        await register(conn)
        site = await add_site(conn, "City", ["city.example"])
        chrome = {"browser": "Chrome", "os": "Android"}
        google = {"browser": "Googlebot", "os": None, "bot": True}
        await store(
            conn,
            [
                row(site, at(9), "/", 200, 1000, referrer="https://search.example/"),
                row(
                    site, at(9, 5), "/", 200, 1000, referrer="https://www.city.example/x", **chrome
                ),
                row(site, at(9, 6), "/", 304, 0, **chrome),
                row(site, at(10), "/report.pdf", 200, 5_000_000, referrer="https://news.example/a"),
                row(site, at(10), "/old", 404, 150, referrer="https://news.example/a"),
                row(site, at(10, 1), "/old", 404, 150, referrer="https://news.example/a"),
                row(site, at(10, 2), "/old", 404, 150, referrer="https://sub.city.example/"),
                row(site, at(11), "/gone", 404, 150, ip_prefix="203.0.0.0", **google),
                row(site, at(11), "/wp-login.php", 404, 150, ip_prefix="203.0.0.0"),
                row(site, at(11), "/api", 500, 10, ip_prefix="2001:db8::"),
            ],
        )
        yield conn, site
        await conn.close()


async def report(seeded: tuple[asyncpg.Connection, int], name: str) -> list[dict[str, Any]]:
    conn, site = seeded
    return await run_report(conn, name, site, DAY, DAY)


async def test_summary_counts_requests_bytes_bots_and_status_classes(seeded: Any) -> None:
    assert await report(seeded, "usage-summary") == [
        {
            "requests": 10,
            "bytes": 5_002_760,
            "bot_requests": 1,
            "bot_share": 10.0,
            "status_1xx": 0,
            "status_2xx": 3,
            "status_3xx": 1,
            "status_4xx": 5,
            "status_5xx": 1,
        }
    ]


async def test_status_gives_each_code_with_its_class_and_share(seeded: Any) -> None:
    assert [(r["class"], r["status"], r["requests"], r["share"]) for r in
            await report(seeded, "usage-status")] == [
        ("2xx", 200, 3, 30.0), ("3xx", 304, 1, 10.0), ("4xx", 404, 5, 50.0), ("5xx", 500, 1, 10.0)
    ]  # fmt: skip


async def test_content_is_what_was_delivered_by_requests_and_by_bytes(seeded: Any) -> None:
    assert await report(seeded, "usage-content") == [
        {"path": "/", "requests": 3, "bytes": 2000},
        {"path": "/report.pdf", "requests": 1, "bytes": 5_000_000},
    ]
    assert [r["path"] for r in await report(seeded, "usage-content-bytes")] == ["/report.pdf", "/"]


async def test_not_found_paths_come_with_the_pages_that_link_to_them(seeded: Any) -> None:
    assert [tuple(r.values()) for r in await report(seeded, "usage-not-found")] == [
        ("/old", "https://news.example/a", 2, 3),
        ("/old", "https://sub.city.example/", 1, 3),
        ("/gone", None, 1, 1),
        ("/wp-login.php", None, 1, 1),
    ]


async def test_referrers_leave_out_the_sites_own_pages(seeded: Any) -> None:
    assert await report(seeded, "usage-referrers") == [
        {"referrer": "https://news.example/a", "requests": 3},
        {"referrer": "https://search.example/", "requests": 1},
    ]


async def test_browsers_and_os_count_people_and_bots_are_named_apart(seeded: Any) -> None:
    assert await report(seeded, "usage-browsers") == [
        {"browser": "Firefox", "requests": 7},
        {"browser": "Chrome", "requests": 2},
    ]
    assert [r["os"] for r in await report(seeded, "usage-os")] == ["Linux", "Android"]
    assert await report(seeded, "usage-bots") == [
        {"bot": "Googlebot", "requests": 1, "share": 10.0}
    ]


async def test_prefixes_with_most_errors_come_first_as_prefixes_only(seeded: Any) -> None:
    assert await report(seeded, "usage-prefixes") == [
        {"prefix": "198.51.0.0", "requests": 7, "client_errors": 3, "server_errors": 0},
        {"prefix": "203.0.0.0", "requests": 2, "client_errors": 2, "server_errors": 0},
        {"prefix": "2001:db8::", "requests": 1, "client_errors": 0, "server_errors": 1},
    ]


async def test_over_time_has_every_day_and_by_hour_every_hour(seeded: Any) -> None:
    conn, site = seeded
    days = await run_report(conn, "usage-over-time", site, DAY - timedelta(days=1), DAY)
    assert [(r["day"], r["requests"]) for r in days] == [("2026-11-01", 0), ("2026-11-02", 10)]
    hours = await report(seeded, "usage-by-hour")
    assert len(hours) == 24 and hours[10]["hour"] == "2026-11-02T10:00Z"
    assert [h["requests"] for h in hours[9:12]] == [3, 4, 3] and hours[11]["client_errors"] == 2


async def test_every_usage_report_equals_its_reference_over_the_fixed_rows(seeded: Any) -> None:
    conn, site = seeded
    for name in USAGE:
        want = await reference_report(conn, name, site, DAY, DAY, 100)
        assert await run_report(conn, name, site, DAY, DAY) == want, name


# -- random rows, random arrival orders ------------------------------------------------------

ZONES = ("UTC", "Europe/Berlin", "America/New_York")
WINDOW = datetime(2026, 10, 25, 1, tzinfo=UTC)  # Europe/Berlin's clocks go back
PATHS = ("/", "/a", "/b?x=1", "/c")
REFERRERS = (None, "https://p0.example/x", "https://www.p1.example/", "https://other.example/")
AGENTS = (("Firefox", "Linux", False), ("Chrome", None, False), ("Googlebot", None, True),
          (None, None, True))  # fmt: skip
PREFIXES = (None, "198.51.0.0", "203.0.0.0", "2001:db8::")
STATUSES = (200, 200, 206, 301, 304, 404, 404, 410, 500, 503, 101)


@dataclass(frozen=True)
class Rows:
    rows: list[tuple[int, tuple]]  # (arrival batch, row with a site index)
    periods: list[tuple[int, int]]


@st.composite
def random_rows(draw: st.DrawFn) -> Rows:
    rows = []
    for _ in range(draw(st.integers(1, 40))):
        ts = WINDOW + timedelta(
            hours=draw(st.integers(-30, 30)), seconds=draw(st.sampled_from([-1, 0, 1, 1799]))
        )
        browser, os_name, bot = draw(st.sampled_from(AGENTS))
        values = (
            draw(st.integers(0, len(ZONES) - 1)),
            ts,
            draw(st.sampled_from(PREFIXES)),
            draw(st.sampled_from(PATHS)),
            draw(st.sampled_from(STATUSES)),
            draw(st.integers(0, 10**9)),
            draw(st.sampled_from(REFERRERS)),
            browser,
            os_name,
            bot,
        )
        rows.append((draw(st.integers(0, 4)), values))
    periods = [tuple(sorted((draw(st.integers(-2, 2)), draw(st.integers(-2, 2))))) for _ in "ab"]
    return Rows(rows, periods)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
async def own_database(database_url: str) -> AsyncIterator[str]:
    async with database_beside(database_url) as url:
        yield url


async def _check(dsn: str, data: Rows) -> None:
    conn = await asyncpg.connect(dsn, server_settings={"timezone": "UTC"})
    try:
        await migrate(conn)
        await register(conn)
        sites = [await add_site(conn, f"p{i}", [f"p{i}.example"], z) for i, z in enumerate(ZONES)]
        for batch in sorted({b for b, _ in data.rows}):
            rows = [(sites[r[0]], *r[1:]) for b, r in data.rows if b == batch]
            await store(conn, rows)
        for table in USAGE_AGGREGATE_TABLES:
            assert (
                await conn.fetchval(
                    f"SELECT count(*) FROM {table} WHERE site_id = ANY($1) AND requests <= 0", sites
                )
                == 0
            ), table
        day0 = WINDOW.date()
        for site in sites:
            for a, b in data.periods:
                first, last = day0 + timedelta(days=a), day0 + timedelta(days=b)
                for name in USAGE:
                    got = await run_report(conn, name, site, first, last, 1000)
                    want = await reference_report(conn, name, site, first, last, 1000)
                    assert got == want, f"{name} of site {site} over {first}..{last}"
    finally:
        await conn.close()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(random_rows())
def test_every_usage_report_from_the_aggregates_equals_the_reference_from_raw_rows(
    own_database: str, data: Rows
) -> None:
    asyncio.run(_check(own_database, data))


# -- CLI and API ------------------------------------------------------------------------------


async def test_the_api_serves_usage_reports_as_json(server: Running) -> None:
    now = datetime.now(UTC)
    async with server.pool.acquire() as conn:
        await store(conn, [row(server.site_id, now, "/api-test", 404, ip_prefix="203.0.0.0")])
    for name in ("usage-summary", "usage-prefixes"):
        status, _, body = await request(
            "GET",
            f"{server.base}/api/reports/{name}?site={server.site_id}",
            headers={"Authorization": "Bearer test-token"},
        )
        assert status == 200
        rows = orjson.loads(body)["rows"]
        assert rows and all(not isinstance(v, bool) for r in rows for v in r.values())
    assert rows == [{"prefix": "203.0.0.0", "requests": 1, "client_errors": 1, "server_errors": 0}]


def test_collector_report_rolls_up_usage_first(database_url: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "COLLECTOR_DATABASE_URL": database_url,
        "COLLECTOR_DATA_DIR": str(tmp_path),
    }

    def cli(*args: str, stdin: str | None = None) -> str:
        done = subprocess.run([sys.executable, "-m", "collector", *args], env=env, input=stdin,
                              capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    site = cli("site", "add", "--name", "Report", "--domain", "report-usage.example").strip()
    stamp = datetime.now(UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
    line = f'198.51.100.7 - - [{stamp}] "GET /cli HTTP/1.1" 200 42 "-" "curl/8"\n'
    cli("usage", "import", "-", "--site", site, stdin=line * 3)
    out = orjson.loads(cli("report", "usage-content", "--site", site, "--format", "json"))
    assert out == [{"path": "/cli", "requests": 3, "bytes": 126}]
