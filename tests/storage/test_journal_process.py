"""COLLECTOR_DURABILITY=fsync against kill -9 of `collector serve` as a real process: every
hit answered 200 is in the database after a restart, exactly once, both the ones whose COPY
had committed (the journal not yet removed) and the ones only in the journal."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from pathlib import Path

import orjson

from collector.storage.spill import JOURNAL_SUFFIX
from collector.tracking.hit import COLUMNS
from tests.storage.test_outage import _titles
from tests.support import CONSENT, free_port, request
from tests.test_cli import _count, _hit, _start, _stop, _wait_healthy, collector


def _env(dsn: str, data_dir: Path, flush_interval_ms: int) -> dict[str, str]:
    return {
        **os.environ,
        "COLLECTOR_DATABASE_URL": dsn,
        "COLLECTOR_DATA_DIR": str(data_dir),
        "COLLECTOR_DURABILITY": "fsync",
        "COLLECTOR_FLUSH_INTERVAL_MS": str(flush_interval_ms),
        "COLLECTOR_TRUSTED_PROXIES": "127.0.0.1/32",
    }


def _kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def _bulk(port: int, site_id: int, domain: str, titles: list[str]) -> int:
    body = orjson.dumps(
        {
            "requests": [
                f"?idsite={site_id}&rec=1&url=https://{domain}/&action_name={t}" for t in titles
            ]
        }
    )
    status, _, _ = asyncio.run(
        request("POST", f"http://127.0.0.1:{port}/matomo.php", data=body, cookies=CONSENT)
    )
    return status


def _journals(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"*{JOURNAL_SUFFIX}"))


def test_kill_9_after_the_answers_loses_no_acknowledged_hit_and_stores_none_twice(
    database_url: str, tmp_path: Path
) -> None:
    domain = f"journal-{os.getpid()}.example"
    env = _env(database_url, tmp_path, flush_interval_ms=20)
    site_id = int(collector("site", "add", "--name", "J", "--domain", domain, env=env))
    port = free_port()

    # 1. Every hit COPYed and committed, then kill -9: the journal still holds them all.
    proc = _start(env, port)
    try:
        _wait_healthy(port, proc)
        assert [_hit(port, site_id, domain, i) for i in range(20)] == [200] * 20
        deadline = time.monotonic() + 30
        while _count(database_url, site_id) < 20:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        _kill(proc)
    assert _journals(tmp_path / "spill")  # left behind, its hits in the database

    # 2. The next process replays it (nothing left to write) and takes new hits, which wait
    # for a COPY a minute away: kill -9 right after their answers.
    proc = _start(_env(database_url, tmp_path, flush_interval_ms=60_000), port)
    try:
        _wait_healthy(port, proc)
        statuses = [_hit(port, site_id, domain, i) for i in range(20, 37)]
        statuses.append(_bulk(port, site_id, domain, [f"t{i}" for i in range(37, 42)]))
    finally:
        _kill(proc)
    assert statuses == [200] * 18
    assert _count(database_url, site_id) == 20  # the 22 new ones are only in the journal
    journal = b"".join(p.read_bytes() for p in _journals(tmp_path / "spill"))
    title = COLUMNS.index("title")
    journaled = {orjson.loads(line)[title] for line in journal.splitlines()}
    assert journaled >= {f"t{i}" for i in range(20, 42)}
    assert b"198.51.100.200" not in journal and b'"198.51.0.0"' in journal  # P2

    # 3. A third start replays what the second one journaled.
    proc = _start(env, port)
    try:
        _wait_healthy(port, proc)
        deadline = time.monotonic() + 30
        while _count(database_url, site_id) < 42:
            assert time.monotonic() < deadline, "journal not replayed"
            time.sleep(0.05)
    finally:
        out = _stop(proc)
    assert "spill=replayed" in out
    assert _journals(tmp_path / "spill") == []
    titles = asyncio.run(_titles(database_url, domain))
    assert titles == sorted(f"t{i}" for i in range(42))  # each once
