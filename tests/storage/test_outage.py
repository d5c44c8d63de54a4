"""Database outages against a PostgreSQL the test stops and restarts itself: every accepted
hit is stored exactly once, via the spill file; beyond both bounds 503; replay survives
interruption without duplicates."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from collector.appkeys import METRICS, WRITER
from collector.storage.spill import SpillFile, encode_record, orphans
from collector.tracking.hit import COLUMNS, Hit
from tests.support import CONSENT, Running, StoppablePostgres, running_app, settings_for


async def _with_site(srv: Running) -> Running:
    srv.domain = f"out-{secrets.token_hex(3)}.example"
    srv.site_id = await srv.add_site("outage", srv.domain)
    return srv


async def _hit(srv: Running, title: str) -> tuple[int, dict[str, str]]:
    status, headers, _ = await srv.get(
        "/matomo.php", srv.hit_params(action_name=title), cookies=CONSENT
    )
    return status, headers


async def _titles(dsn: str, domain: str) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT h.title FROM hits h JOIN sites s USING (site_id) WHERE $1 = ANY(s.domains)",
            domain,
        )
    finally:
        await conn.close()
    return sorted(r["title"] for r in rows)


def _spilled_lines(directory: Path) -> int:
    return sum(p.read_bytes().count(b"\n") for p in orphans(directory))


async def test_hits_accepted_during_an_outage_are_stored_exactly_once_after_restart(
    own_postgres: StoppablePostgres, tmp_path: Path
) -> None:
    settings = settings_for(
        own_postgres.dsn,
        data_dir=tmp_path,
        batch_size=7,
        flush_interval_ms=20,
        spill_interval_ms=20,
    )
    async with running_app(settings) as srv:
        await _with_site(srv)
        before = [await _hit(srv, f"before {i}") for i in range(3)]
        await srv.flush()
        status, _, _ = await srv.get("/readyz")
        assert status == 200

        own_postgres.stop()
        during = [await _hit(srv, f"during {i:02d}") for i in range(30)]
        await srv.app[WRITER].drained()  # all of it moved from memory to the spill file
        assert _spilled_lines(tmp_path / "spill") == 30
        assert (await srv.get("/readyz"))[0] == 503
        assert (await srv.get("/healthz"))[0] == 200  # liveness does not depend on the database
        _, _, metrics = await srv.get("/metrics")
        assert b"collector_spill_bytes 0\n" not in metrics

        own_postgres.start()
        await srv.flush()  # returns once the spilled hits are replayed
        assert (await srv.get("/readyz"))[0] == 200
        assert srv.app[METRICS].value("hits_replayed") == 30
        titles = await _titles(settings.database_url or "", srv.domain)
        assert orphans(tmp_path / "spill") == []
    assert [s for s, _ in before + during] == [200] * 33
    assert titles == sorted(
        [f"before {i}" for i in range(3)] + [f"during {i:02d}" for i in range(30)]
    )


async def test_spill_cap_and_full_queue_answer_503_and_keep_every_accepted_hit(
    own_postgres: StoppablePostgres, tmp_path: Path
) -> None:
    settings = settings_for(
        own_postgres.dsn,
        data_dir=tmp_path,
        queue_size=4,
        batch_size=2,
        flush_interval_ms=20,
        spill_interval_ms=20,
        spill_max_bytes=3000,  # a handful of hits
    )
    async with running_app(settings) as srv:
        await _with_site(srv)
        own_postgres.stop()
        metrics = srv.app[METRICS]
        accepted: list[str] = []
        refused = []
        for i in range(500):  # until the spill file is full and the queue too
            status, headers = await _hit(srv, f"t{i:03d}")
            if status == 200:
                accepted.append(f"t{i:03d}")
            else:
                refused.append((status, headers.get("Retry-After")))
                if metrics.value("spill_full"):
                    break
        assert metrics.value("spill_full") > 0
        assert refused and all(r == (503, "1") for r in refused)
        assert sum(p.stat().st_size for p in orphans(tmp_path / "spill")) <= 3000
        spilled = _spilled_lines(tmp_path / "spill")
        assert 0 < spilled < len(accepted) <= spilled + settings.queue_size
        own_postgres.start()
        await srv.flush()
        titles = await _titles(settings.database_url or "", srv.domain)
    assert titles == accepted


def _records(site_id: int, domain: str, n: int) -> list[tuple[object, ...]]:
    now = datetime.now(UTC)
    return [
        Hit(
            site_id=site_id,
            ts=now,
            session_id=uuid.uuid4().hex,
            new_visit=False,
            action="pageview",
            url=f"https://{domain}/r{i}",
            title=f"r{i:03d}",
            ip_prefix="198.51.0.0",
        ).record()
        for i in range(n)
    ]


async def _orphan(directory: Path, records: list[tuple[object, ...]]) -> str:
    spill = SpillFile.create(directory)
    spill.append(encode_record(r) for r in records)
    spill.close()  # unlocked, as a stopped process leaves it
    return spill.name


async def test_replay_resumes_after_the_last_committed_batch(
    database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(database_url, data_dir=tmp_path, batch_size=4, flush_interval_ms=20)
    async with running_app(settings) as srv:
        await _with_site(srv)
    records = _records(srv.site_id, srv.domain, 25)
    name = await _orphan(tmp_path / "spill", records)
    # as if an earlier process had committed the first 10 (hits and offset together)
    ten = len(b"".join(encode_record(r) for r in records[:10]))
    conn = await asyncpg.connect(database_url)
    try:
        async with conn.transaction():
            await conn.copy_records_to_table("hits", records=records[:10], columns=COLUMNS)
            await conn.execute("INSERT INTO spill_replay VALUES ($1, $2)", name, ten)
        async with running_app(settings) as srv2:
            await _wait_for_no_orphans(tmp_path / "spill")
            assert srv2.app[METRICS].value("hits_replayed") == 15
        assert await conn.fetchval("SELECT count(*) FROM spill_replay") == 0
    finally:
        await conn.close()
    assert await _titles(database_url, srv.domain) == [f"r{i:03d}" for i in range(25)]


async def test_replay_interrupted_mid_transaction_writes_no_duplicates(
    database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(database_url, data_dir=tmp_path, batch_size=5, flush_interval_ms=20)
    async with running_app(settings) as srv:
        await _with_site(srv)
    name = await _orphan(tmp_path / "spill", _records(srv.site_id, srv.domain, 23))
    blocker = await asyncpg.connect(database_url)
    admin = await asyncpg.connect(database_url)
    try:
        # An uncommitted row for the file: the replay's COPY goes through, then its offset
        # update waits on this row, inside the replay's transaction.
        tx = blocker.transaction()
        await tx.start()
        await blocker.execute("INSERT INTO spill_replay VALUES ($1, 0)", name)
        async with running_app(settings) as srv2:
            pid = await _backend_waiting_on_a_lock(admin, blocker)
            # kill the replaying connection mid-transaction (a crash, a network cut)
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
            await tx.rollback()
            await _wait_for_no_orphans(tmp_path / "spill")
            assert srv2.app[METRICS].value("write_retries") >= 1
    finally:
        await blocker.close()
        await admin.close()
    assert await _titles(database_url, srv.domain) == [f"r{i:03d}" for i in range(23)]


async def _backend_waiting_on_a_lock(admin: asyncpg.Connection, holder: asyncpg.Connection) -> int:
    deadline = time.monotonic() + 30
    holder_pid = holder.get_server_pid()
    while time.monotonic() < deadline:
        pid = await admin.fetchval(
            "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND $1 = ANY(pg_blocking_pids(pid))",
            holder_pid,
        )
        if pid:
            return int(pid)
        await asyncio.sleep(0.02)  # polling another process's state: no event to await
    raise AssertionError("the replay never reached its offset update")


async def _wait_for_no_orphans(directory: Path) -> None:
    deadline = time.monotonic() + 30
    while orphans(directory):
        assert time.monotonic() < deadline, "spill file not replayed"
        await asyncio.sleep(0.02)  # the writer task removes the file when done
