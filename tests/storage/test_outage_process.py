"""Outages and crashes of `collector serve` as a real process: SIGTERM during an outage keeps
the spill file for the next start; kill -9 in the middle of a replay writes no duplicates."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import asyncpg

from collector.storage.spill import orphans
from tests.storage.test_outage import _backend_waiting_on_a_lock, _orphan, _records, _titles
from tests.support import StoppablePostgres, free_port
from tests.test_cli import _hit, _start, _stop, _wait_healthy, collector


def _env(dsn: str, data_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "COLLECTOR_DATABASE_URL": dsn,
        "COLLECTOR_DATA_DIR": str(data_dir),
        "COLLECTOR_FLUSH_INTERVAL_MS": "50",
        "COLLECTOR_TRUSTED_PROXIES": "127.0.0.1/32",
    }


def _wait_replayed(directory: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while orphans(directory):
        assert time.monotonic() < deadline, "spill file not replayed"
        time.sleep(0.05)  # another process's progress: nothing to await


def test_sigterm_during_an_outage_keeps_the_spill_for_the_next_start(
    own_postgres: StoppablePostgres, tmp_path: Path
) -> None:
    env = _env(own_postgres.dsn, tmp_path)
    domain = f"sigterm-{os.getpid()}.example"
    site_id = int(collector("site", "add", "--name", "S", "--domain", domain, env=env))
    port = free_port()
    proc = _start(env, port)
    try:
        _wait_healthy(port, proc)
        own_postgres.stop()
        statuses = [_hit(port, site_id, domain, i) for i in range(40)]
    finally:
        out = _stop(proc)  # exits 0 although the database is away
    assert statuses == [200] * 40
    assert "hits_lost" not in out
    spilled = b"".join(p.read_bytes() for p in orphans(tmp_path / "spill"))
    assert spilled.count(b"\n") == 40
    assert b"198.51.100.200" not in spilled  # the client's full address, sent via the proxy

    own_postgres.start()
    proc = _start(env, port)
    try:
        _wait_healthy(port, proc)
        _wait_replayed(tmp_path / "spill")
    finally:
        _stop(proc)
    titles = asyncio.run(_titles(own_postgres.dsn, domain))
    assert titles == sorted(f"t{i}" for i in range(40))


def test_kill_9_in_the_middle_of_a_replay_then_restart_stores_each_hit_once(
    database_url: str, tmp_path: Path
) -> None:
    env = _env(database_url, tmp_path)
    domain = f"kill-{os.getpid()}.example"
    site_id = int(collector("site", "add", "--name", "K", "--domain", domain, env=env))
    name = asyncio.run(_orphan(tmp_path / "spill", _records(site_id, domain, 23)))

    async def kill_while_the_replay_waits() -> None:
        blocker = await asyncpg.connect(database_url)
        admin = await asyncpg.connect(database_url)
        try:
            tx = blocker.transaction()
            await tx.start()
            await blocker.execute("INSERT INTO spill_replay VALUES ($1, 0)", name)
            await _backend_waiting_on_a_lock(admin, blocker)  # its COPY is done, uncommitted
            proc.send_signal(signal.SIGKILL)
            await asyncio.to_thread(proc.wait, 30)
            await tx.rollback()
        finally:
            await blocker.close()
            await admin.close()

    port = free_port()
    proc = _start(env, port)
    try:
        asyncio.run(kill_while_the_replay_waits())
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    assert len(orphans(tmp_path / "spill")) == 1  # the dead process's lock is gone, not the file

    proc = _start(env, port)
    try:
        _wait_healthy(port, proc)
        _wait_replayed(tmp_path / "spill")
    finally:
        _stop(proc)
    titles = asyncio.run(_titles(database_url, domain))
    assert titles == [f"r{i:03d}" for i in range(23)]
