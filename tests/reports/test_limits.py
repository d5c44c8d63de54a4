"""Reports cannot be turned against the collector: sane dates only, a statement timeout, a
query cancelled when its client goes away, and a pool of their own (issue #14, item 3)."""

from __future__ import annotations

import asyncio
import secrets
import socket
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import asyncpg
import orjson
import pytest

from collector.appkeys import REPORT_POOL
from tests.support import (
    CONSENT,
    Running,
    dashboard_cookie,
    request,
    running_app,
    settings_for,
)

AUTH = {"Authorization": "Bearer test-token"}
TABLE = "agg_site_hours"  # what summary, visits-over-time and visits-by-hour read


@pytest.fixture
async def slow(database_url: str) -> AsyncIterator[Running]:
    settings = settings_for(database_url, report_timeout_ms=400)
    async with running_app(settings) as running:
        running.domain = f"limits-{secrets.token_hex(4)}.example"
        running.site_id = await running.add_site("Limits", running.domain)
        yield running


@pytest.mark.parametrize(
    "query",
    [
        "from=9999-12-31&to=9999-12-31",
        "from=0001-01-01&to=0001-01-01",
        "to=0001-01-01",
        "from=1999-12-31&to=2000-01-02",
        "to=2200-01-01",
    ],
)
@pytest.mark.parametrize("report", ["visits-over-time", "visits-by-hour", "summary"])
async def test_a_period_outside_sane_dates_is_a_400_that_names_the_parameter(
    slow: Running, report: str, query: str
) -> None:
    url = f"{slow.base}/api/reports/{report}?site={slow.site_id}&{query}"
    status, _, body = await request("GET", url, headers=AUTH)
    assert status == 400
    assert orjson.loads(body)["error"].startswith(("from:", "to:"))


async def test_the_dashboard_refuses_those_dates_too(slow: Running) -> None:
    cookie = await dashboard_cookie(slow.base)
    for query in ("from=9999-12-31&to=9999-12-31", "to=0001-01-01"):
        status, _, body = await request(
            "GET",
            f"{slow.base}/dashboard?site={slow.site_id}&{query}",
            headers={"Cookie": f"collector_dashboard={cookie}"},
        )
        assert status == 400 and b"must be from 2000-01-01" in body


@pytest.fixture
async def locked(slow: Running) -> AsyncIterator[asyncpg.Connection]:
    """A transaction holding the reports' table: every report query waits behind it."""
    conn = await asyncpg.connect(slow.settings.database_url)
    tr = conn.transaction()
    await tr.start()
    await conn.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
    try:
        yield conn
    finally:
        await tr.rollback()
        await conn.close()


async def _waiting(conn: asyncpg.Connection) -> int:
    """Report queries of the app waiting for the lock."""
    await conn.execute("SELECT pg_stat_clear_snapshot()")  # kept per transaction otherwise
    n: int = await conn.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        "AND application_name = 'collector-reports'"
    )
    return n


async def test_a_report_slower_than_the_timeout_is_cancelled_and_answered_503(
    slow: Running, locked: asyncpg.Connection
) -> None:
    url = f"{slow.base}/api/reports/summary?site={slow.site_id}"
    status, headers, body = await request("GET", url, headers=AUTH)
    assert status == 503 and headers["Retry-After"]
    assert "took longer than 400 ms" in orjson.loads(body)["error"]
    assert await _waiting(locked) == 0


async def test_a_client_that_goes_away_cancels_its_report_query(
    database_url: str,
) -> None:
    async with running_app(settings_for(database_url)) as running:  # 10 s timeout
        site_id = await running.add_site("Gone", f"gone-{secrets.token_hex(4)}.example")
        conn = await asyncpg.connect(database_url)
        tr = conn.transaction()
        await tr.start()
        await conn.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
        try:
            netloc = urlsplit(running.base).netloc
            host, port = netloc.split(":")
            client = socket.create_connection((host, int(port)))
            client.sendall(
                f"GET /api/reports/summary?site={site_id} HTTP/1.1\r\nHost: {netloc}\r\n"
                "Authorization: Bearer test-token\r\n\r\n".encode()
            )
            while not await _waiting(conn):  # noqa: ASYNC110 - a state in the database
                await asyncio.sleep(0.02)
            client.close()  # the visitor closes the tab
            for _ in range(250):
                if not await _waiting(conn):
                    break
                await asyncio.sleep(0.02)
            assert await _waiting(conn) == 0  # cancelled well before its 10 s timeout
        finally:
            await tr.rollback()
            await conn.close()


async def test_reports_stuck_on_every_connection_leave_the_writer_its_own(
    server: Running,
) -> None:
    conn = await asyncpg.connect(server.settings.database_url)
    tr = conn.transaction()
    await tr.start()
    await conn.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
    url = f"{server.base}/api/reports/summary?site={server.site_id}"
    stuck = [asyncio.create_task(request("GET", url, headers=AUTH)) for _ in range(8)]
    try:  # more stuck reports than the report pool has connections
        while await _waiting(conn) < 4:  # noqa: ASYNC110 - a state in the database
            await asyncio.sleep(0.02)
        for _ in range(20):
            status, _, _ = await server.get("/matomo.php", server.hit_params(), CONSENT)
            assert status == 200
        await asyncio.wait_for(server.flush(), 5)  # written while every report waits
        assert len(await server.rows()) == 20
    finally:
        await tr.rollback()
        await conn.close()
    assert {status for status, _, _ in await asyncio.gather(*stuck)} == {200}


async def test_report_statements_are_planned_for_their_values_every_time(slow: Running) -> None:
    # asyncpg prepares each statement; after five runs PostgreSQL would keep a generic plan,
    # blind to which `$n IS NULL OR …` filters are off (the filtered dashboard's facets).
    async with slow.app[REPORT_POOL].acquire() as conn:
        for browser in ["Firefox", None] * 5:
            await conn.fetch(
                "SELECT count(*) FROM agg_visit_facets WHERE site_id = $1 "
                "AND ($2::text IS NULL OR browser = $2)",
                slow.site_id,
                browser,
            )
        plans = await conn.fetchrow(
            "SELECT sum(custom_plans) AS custom "
            "FROM pg_prepared_statements WHERE statement LIKE '%agg_visit_facets%'"
        )
    assert plans["custom"] == 10  # without the setting: 5, then a generic plan
