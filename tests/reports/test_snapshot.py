"""A page's reports on two connections that share one snapshot (collector/reports/snapshot.py)."""

from __future__ import annotations

import asyncio
import secrets

import asyncpg
import pytest

from collector.reports.snapshot import run_all, snapshot_lanes
from collector.storage.db import create_pool


@pytest.fixture
async def table(database_url: str):
    name = f"snap_{secrets.token_hex(4)}"
    pool = await create_pool(database_url, max_size=3)
    async with pool.acquire() as conn:
        await conn.execute(f"CREATE TABLE {name} (n int)")
        await conn.execute(f"INSERT INTO {name} VALUES (1)")
    yield pool, name
    async with pool.acquire() as conn:
        await conn.execute(f"DROP TABLE {name}")
    await pool.close()


async def test_two_lanes_read_one_snapshot_side_by_side(table) -> None:
    pool, name = table
    async with snapshot_lanes(pool) as conns:
        assert len(conns) == 2
        async with pool.acquire() as writer:  # a commit after the lanes began ...
            await writer.execute(f"INSERT INTO {name} VALUES (2)")
        # ... is seen by neither, also by the second, whose first query comes after it
        counts = [await c.fetchval(f"SELECT count(*) FROM {name}") for c in reversed(conns)]
        assert counts == [1, 1]
        pids = {await c.fetchval("SELECT pg_backend_pid()") for c in conns}
        assert len(pids) == 2  # two backends: two cores
    async with pool.acquire() as conn:
        assert await conn.fetchval(f"SELECT count(*) FROM {name}") == 2


async def test_jobs_are_shared_out_run_once_and_found_by_name(table) -> None:
    pool, _ = table
    ran: list[tuple[str, int]] = []

    def job(label: str, seconds: float):
        async def run(conn: asyncpg.Connection) -> str:
            pid = await conn.fetchval("SELECT pg_backend_pid() FROM pg_sleep($1)", seconds)
            ran.append((label, pid))
            return label

        return run

    jobs = {"slow": job("slow", 0.3), **{f"q{i}": job(f"q{i}", 0.01) for i in range(5)}}
    async with snapshot_lanes(pool) as conns:
        got = await run_all(conns, jobs)
    assert got == {name: name for name in jobs}
    assert sorted(label for label, _ in ran) == sorted(jobs)  # each once
    slow_pid = next(pid for label, pid in ran if label == "slow")
    # while the slow one ran, the other lane took every short one
    assert all(pid != slow_pid for label, pid in ran if label != "slow")


async def test_one_lane_when_the_pool_has_none_to_spare(table) -> None:
    pool, _ = table
    held = [await pool.acquire() for _ in range(2)]  # 2 of 3: one left for the page
    try:
        async with snapshot_lanes(pool) as conns:
            assert len(conns) == 1
            got = await run_all(conns, {"a": lambda c: c.fetchval("SELECT 1")})
        assert got == {"a": 1}
    finally:
        for conn in held:
            await pool.release(conn)


async def test_a_failing_job_raises_its_own_error_and_stops_the_other_lane(table) -> None:
    pool, _ = table
    async with pool.acquire() as conn:
        await conn.execute("SET statement_timeout = 0")
    started = asyncio.get_running_loop().time()

    async def cancelled(conn: asyncpg.Connection) -> None:
        await conn.execute("SET LOCAL statement_timeout = '50ms'")
        await conn.execute("SELECT pg_sleep(5)")

    async def long(conn: asyncpg.Connection) -> None:
        await conn.execute("SELECT pg_sleep(5)")

    with pytest.raises(asyncpg.QueryCanceledError):
        async with snapshot_lanes(pool) as conns:
            await run_all(conns, {"long": long, "cancelled": cancelled})
    assert asyncio.get_running_loop().time() - started < 4  # the long one did not run on
