"""The write path: bounded queue, batched COPY, 503 when full, nothing accepted lost."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import orjson

from collector.metrics import Metrics
from collector.storage.db import create_pool, migrate
from collector.storage.spill import SpillFile, encode_record, orphans
from collector.storage.writer import HitWriter
from collector.tracking.hit import Hit
from tests.support import (
    CONSENT,
    Running,
    StoppablePostgres,
    request,
    running_app,
    settings_for,
)


@contextlib.asynccontextmanager
async def _queue_of_three(database_url: str) -> AsyncIterator[Running]:
    """An app whose queue takes 3 hits and whose writer waits a minute, so the queue fills."""
    settings = settings_for(database_url, queue_size=3, batch_size=1000, flush_interval_ms=60_000)
    async with running_app(settings) as srv:
        srv.domain = f"q-{secrets.token_hex(3)}.example"
        srv.site_id = await srv.add_site("q", srv.domain)
        yield srv


async def test_full_queue_answers_503_with_retry_after_and_keeps_what_it_accepted(
    database_url: str,
) -> None:
    async with _queue_of_three(database_url) as srv:
        statuses = []
        for i in range(5):
            status, headers, _ = await srv.get(
                "/matomo.php", srv.hit_params(action_name=f"hit {i}"), cookies=CONSENT
            )
            statuses.append(status)
        assert statuses == [200, 200, 200, 503, 503]
        assert headers["Retry-After"]
        await srv.flush()
        titles = sorted(r["title"] for r in await srv.rows())
    assert titles == ["hit 0", "hit 1", "hit 2"]


async def test_a_bulk_the_queue_cannot_take_whole_is_refused_before_any_hit_is_parsed(
    database_url: str,
) -> None:
    async with _queue_of_three(database_url) as srv:
        for i in range(2):
            await srv.get("/matomo.php", srv.hit_params(action_name=f"hit {i}"), cookies=CONSENT)
        one = f"?idsite={srv.site_id}&rec=1&url=https://{srv.domain}/&action_name=bulk"
        bad = "?rec=1&url=%zz"  # a 400 from parsing, were it parsed
        bulk = orjson.dumps({"requests": [one, bad]})
        status, headers, _ = await request(
            "POST", srv.base + "/matomo.php", cookies=CONSENT, data=bulk
        )
        assert (status, headers["Retry-After"]) == (503, "1")  # not the 400 `bad` would get
        status, _, _ = await srv.get(
            "/matomo.php", srv.hit_params(action_name="hit 2"), cookies=CONSENT
        )
        assert status == 200  # room for one was left
        await srv.flush()
        titles = sorted(r["title"] for r in await srv.rows())
        _, _, metrics = await srv.get("/metrics")
    assert titles == ["hit 0", "hit 1", "hit 2"]
    assert b"collector_hits_refused_full 2\n" in metrics


async def test_shutdown_writes_everything_queued(database_url: str) -> None:
    settings = settings_for(database_url, flush_interval_ms=60_000, batch_size=10_000)
    async with running_app(settings) as srv:
        srv.domain = f"q-{secrets.token_hex(3)}.example"
        srv.site_id = await srv.add_site("q", srv.domain)
        for i in range(20):
            await srv.get("/matomo.php", srv.hit_params(action_name=str(i)), cookies=CONSENT)
        pool_dsn = settings.database_url
        site_id = srv.site_id
    # the app is shut down: its writer must have written all 20 on the way out
    import asyncpg

    conn = await asyncpg.connect(pool_dsn)
    try:
        count = await conn.fetchval("SELECT count(*) FROM hits WHERE site_id = $1", site_id)
    finally:
        await conn.close()
    assert count == 20


async def test_hits_of_several_days_land_in_their_hourly_partitions(server) -> None:
    from datetime import timedelta

    for days_ago in (0, 1, 2):
        ts = int((server.clock.now - timedelta(days=days_ago)).timestamp())
        status, _, _ = await server.get(
            "/matomo.php", server.hit_params(cdt=ts, token_auth="test-token"), cookies=CONSENT
        )
        assert status == 200
    await server.flush()
    rows = await server.rows("SELECT tableoid::regclass::text AS part FROM hits WHERE site_id = $1")
    expected = {f"hits_p{(server.clock.now - timedelta(days=d)):%Y%m%d%H}" for d in (0, 1, 2)}
    assert {r["part"] for r in rows} == expected


async def test_a_writer_behind_takes_larger_batches_and_catches_up(database_url: str) -> None:
    pool = await create_pool(database_url)
    metrics = Metrics()
    site_id = 900_000 + secrets.randbelow(90_000)
    now = datetime.now(UTC)
    hits = [
        Hit(site_id, now, uuid.uuid4().hex, False, "pageview", f"https://x.example/{i}")
        for i in range(215)
    ]
    writer = HitWriter(pool, metrics, capacity=1000, batch_size=10, flush_interval=60)
    try:
        assert writer.offer(hits)  # queued before the writer runs: it starts 21 batches behind
        writer.start()
        await writer.flush()
        await writer.close()
        stored = await pool.fetchval("SELECT count(*) FROM hits WHERE site_id = $1", site_id)
    finally:
        await pool.close()
    assert stored == 215
    # 215 queued -> 200 (20 batches at once), 15 -> 10, 5 -> 5: three COPYs, not 22
    assert metrics.value("batches_written") == 3


class _CountingWriter(HitWriter):
    """The real writer, counting its COPY statements."""

    copies = 0

    async def _copy(self, batch: list, queued: int = 0) -> int:
        self.copies += 1
        return await super()._copy(batch, queued)


async def test_rows_postgresql_refuses_cost_a_few_copies_and_are_stored_cleaned(
    database_url: str,
) -> None:
    pool = await create_pool(database_url)
    async with pool.acquire() as conn:
        await migrate(conn)  # when this test runs first or alone
    metrics = Metrics()
    site_id = 900_000 + secrets.randbelow(90_000)
    now = datetime.now(UTC)
    titles = [f"t{i}" for i in range(1000)]
    titles[500] = "nul \0 in text"  # refused by PostgreSQL
    titles[700] = "lone \udcff surrogate"  # refused by asyncpg's encoder, before sending
    hits = [
        Hit(site_id, now, uuid.uuid4().hex, False, "pageview", "https://x.example/", title=t)
        for t in titles
    ]
    writer = _CountingWriter(pool, metrics, capacity=1000, batch_size=1000, flush_interval=60)
    try:
        assert writer.offer(hits)
        writer.start()
        await asyncio.wait_for(writer.flush(), 30)  # a crashed writer never flushes
        await writer.close()
        stored = await pool.fetch("SELECT title FROM hits WHERE site_id = $1", site_id)
    finally:
        await pool.close()
    expected = {*titles[:500], "nul  in text", *titles[501:700], "lone ? surrogate", *titles[701:]}
    assert {r["title"] for r in stored} == expected and len(stored) == 1000
    assert metrics.value("hits_stored") == 1000 and metrics.value("hits_unstorable") == 0
    # halving around each bad row: about 2 x 2 x log2(1000) COPYs, where one per row was 1000
    assert writer.copies <= 45


async def test_a_refused_row_in_a_spill_file_is_replayed_cleaned_with_the_rest(
    database_url: str, tmp_path: Path
) -> None:
    pool = await create_pool(database_url)
    async with pool.acquire() as conn:
        await migrate(conn)
    metrics = Metrics()
    site_id = 900_000 + secrets.randbelow(90_000)
    now = datetime.now(UTC)
    titles = [f"t{i}" for i in range(100)]
    titles[40] = "nul \0 in text"
    records = [
        Hit(site_id, now, uuid.uuid4().hex, False, "pageview", "https://x.example/", title=t)
        for t in titles
    ]
    spill = SpillFile.create(tmp_path)  # left by a process that went away in an outage
    spill.append([encode_record(r.record()) for r in records])
    spill.close()
    writer = _CountingWriter(
        pool, metrics, capacity=10, batch_size=100, flush_interval=60, spill_dir=tmp_path,
        spill_max_bytes=1 << 20,
    )  # fmt: skip
    late = Hit(site_id, now, uuid.uuid4().hex, False, "pageview", "https://x.example/", "late")
    try:
        writer.start()  # claims the file
        assert writer.offer([late])
        await asyncio.wait_for(writer.flush(), 30)  # the spill file is replayed first
        await writer.close()
        stored = await pool.fetch("SELECT title FROM hits WHERE site_id = $1", site_id)
    finally:
        await pool.close()
    expected = {*titles[:40], "nul  in text", *titles[41:], "late"}
    assert {r["title"] for r in stored} == expected and len(stored) == 101
    assert metrics.value("hits_unstorable") == 0 and orphans(tmp_path) == []
    assert writer.copies == 1  # the queue's one COPY; replay halves inside its transactions


async def test_a_row_json_cannot_hold_is_spilled_cleaned_in_an_outage(
    own_postgres: StoppablePostgres, tmp_path: Path
) -> None:
    pool = await create_pool(own_postgres.dsn)
    async with pool.acquire() as conn:
        await migrate(conn)
    own_postgres.stop()
    metrics = Metrics()
    now = datetime.now(UTC)
    hit = Hit(1, now, uuid.uuid4().hex, False, "pageview", "https://x.example/", title="\udcff")
    writer = HitWriter(
        pool, metrics, capacity=10, batch_size=1, flush_interval=0.01, spill_dir=tmp_path,
        spill_max_bytes=1 << 20, spill_interval=0.01,
    )  # fmt: skip
    try:
        writer.start()
        assert writer.offer([hit])
        await asyncio.wait_for(writer.drained(), 30)  # in the spill file, not lost
        await writer.close()
    finally:
        own_postgres.start()
        await pool.close()
    [path] = orphans(tmp_path)
    assert b'"?"' in path.read_bytes() and metrics.value("hits_spilled") == 1
