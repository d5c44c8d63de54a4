"""COLLECTOR_DURABILITY=fsync in the running app: a hit is in the journal before its answer;
a journal left behind is replayed exactly once from its committed offset, damaged lines and a
torn tail skipped with a log line; an outage hands the journal to replay; a disk that refuses
the journal is a 503; and the default mode writes no journal at all."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

import asyncpg
import orjson
import pytest

from collector.appkeys import METRICS, WRITER
from collector.storage.spill import (
    JOURNAL_SUFFIX,
    SpillFile,
    decode_record,
    encode_record,
    orphans,
)
from collector.tracking.hit import COLUMNS
from tests.storage.test_outage import _hit, _records, _titles, _with_site
from tests.support import CONSENT, StoppablePostgres, request, running_app, settings_for


def _journals(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"*{JOURNAL_SUFFIX}")) if directory.is_dir() else []


def _orphan_journal(directory: Path, data: bytes) -> SpillFile:
    journal = SpillFile.create(directory, JOURNAL_SUFFIX)
    journal.append([data])
    journal.close()  # unlocked, as a process killed with -9 leaves it
    return journal


def _files(directory: Path, pattern: str = "*") -> list[Path]:
    return sorted(directory.rglob(pattern))


async def _gone(path: Path) -> None:
    deadline = time.monotonic() + 30
    while path in _files(path.parent):
        assert time.monotonic() < deadline, f"{path.name} not replayed"
        await asyncio.sleep(0.02)  # the writer task removes the file when done


async def test_a_hit_is_in_the_journal_on_disk_before_it_is_answered(
    database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(
        database_url, data_dir=tmp_path, durability="fsync", flush_interval_ms=60_000
    )
    async with running_app(settings) as srv:
        await _with_site(srv)
        assert [(await _hit(srv, f"j{i}"))[0] for i in range(3)] == [200] * 3
        # no COPY yet (the flush interval is a minute): the answers came from the journal
        assert await _titles(database_url, srv.domain) == []
        journal = b"".join(p.read_bytes() for p in _journals(tmp_path / "spill"))
        assert [orjson.loads(line)[COLUMNS.index("title")] for line in journal.splitlines()] == [
            "j0",
            "j1",
            "j2",
        ]
        bulk = orjson.dumps(
            {
                "requests": [
                    f"?idsite={srv.site_id}&rec=1&url=https://{srv.domain}/&action_name=b{i}"
                    for i in range(4)
                ]
            }
        )
        status, _, body = await request(
            "POST", srv.base + "/matomo.php", data=bulk, cookies=CONSENT
        )
        assert status == 200 and orjson.loads(body)["tracked"] == 4
        journal = b"".join(p.read_bytes() for p in _journals(tmp_path / "spill"))
        assert journal.count(b"\n") == 7
        await srv.flush()
    assert len(await _titles(database_url, srv.domain)) == 7
    assert _journals(tmp_path / "spill") == []  # all stored: removed at shutdown


async def test_a_journal_left_by_a_crash_is_replayed_from_its_committed_offset_once(
    database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(database_url, data_dir=tmp_path, durability="fsync", batch_size=4)
    async with running_app(settings) as srv:
        await _with_site(srv)
    records = _records(srv.site_id, srv.domain, 25)
    lines = [encode_record(r) for r in records]
    journal = _orphan_journal(tmp_path / "spill", b"".join(lines))
    # As the killed process left it: its first 10 hits COPYed with their offset, in one
    # transaction; the journal not yet removed.
    conn = await asyncpg.connect(database_url)
    try:
        async with conn.transaction():
            await conn.copy_records_to_table("hits", records=records[:10], columns=COLUMNS)
            await conn.execute(
                "INSERT INTO spill_replay VALUES ($1, $2)", journal.name, len(b"".join(lines[:10]))
            )
        async with running_app(settings) as srv2:
            await _gone(journal.path)
            assert srv2.app[METRICS].value("hits_replayed") == 15
        assert not await conn.fetchval(
            "SELECT count(*) FROM spill_replay WHERE spill_name = $1", journal.name
        )
    finally:
        await conn.close()
    assert await _titles(database_url, srv.domain) == [f"r{i:03d}" for i in range(25)]


async def test_damaged_lines_and_a_torn_tail_are_skipped_with_a_log_line(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(database_url, data_dir=tmp_path, durability="fsync")
    async with running_app(settings) as srv:
        await _with_site(srv)
    records = _records(srv.site_id, srv.domain, 6)
    damaged = list(records[2])
    damaged[COLUMNS.index("session_id")] = 5  # valid JSON, not a hit: must not stop replay
    torn = encode_record(records[5])[:40]  # kill -9 in the middle of the write
    journal = _orphan_journal(
        tmp_path / "spill",
        b"".join(encode_record(r) for r in records[:2])
        + orjson.dumps(damaged)
        + b"\n\x00\xff not json\n"
        + b"".join(encode_record(r) for r in records[3:5])
        + torn,
    )
    caplog.set_level(logging.INFO)
    async with running_app(settings) as srv2:
        await _gone(journal.path)
        assert (await srv2.get("/healthz"))[0] == 200
    assert await _titles(database_url, srv.domain) == ["r000", "r001", "r003", "r004"]
    assert caplog.text.count("spill=corrupt_line") == 2
    assert f"spill=torn_tail file={journal.name} bytes={len(torn)}" in caplog.text


async def test_in_an_outage_the_journal_goes_to_replay_and_every_hit_is_stored_once(
    own_postgres: StoppablePostgres, tmp_path: Path
) -> None:
    settings = settings_for(
        own_postgres.dsn,
        data_dir=tmp_path,
        durability="fsync",
        queue_size=8,
        batch_size=2,
        flush_interval_ms=20,
        spill_interval_ms=20,
    )
    async with running_app(settings) as srv:
        await _with_site(srv)
        before = [await _hit(srv, f"before {i}") for i in range(3)]
        await srv.flush()
        own_postgres.stop()
        during = [await _hit(srv, f"during {i:02d}") for i in range(30)]
        metrics = srv.app[METRICS]
        # the queue (8) could not have held them: the journal's segments were handed to replay
        assert metrics.value("hits_spilled") >= 30 - 8
        assert srv.app[WRITER].depth < 8
        own_postgres.start()
        await srv.flush()
        assert metrics.value("hits_replayed") == metrics.value("hits_spilled")
    assert [s for s, _ in before + during] == [200] * 33
    assert await _titles(own_postgres.dsn, srv.domain) == sorted(
        [f"before {i}" for i in range(3)] + [f"during {i:02d}" for i in range(30)]
    )
    assert orphans(tmp_path / "spill") == []


async def test_a_journal_the_disk_refuses_is_a_503_and_nothing_is_kept(
    database_url: str, tmp_path: Path
) -> None:
    (tmp_path / "spill").write_text("a file where the journal's directory should be")
    settings = settings_for(database_url, data_dir=tmp_path, durability="fsync")
    async with running_app(settings) as srv:
        await _with_site(srv)
        status, headers = await _hit(srv, "refused")
        assert (status, headers.get("Retry-After")) == (503, "1")
        assert srv.app[METRICS].value("hits_refused_disk") == 1
        await srv.flush()
    assert await _titles(database_url, srv.domain) == []


async def test_the_default_batch_mode_writes_no_journal(database_url: str, tmp_path: Path) -> None:
    settings = settings_for(database_url, data_dir=tmp_path)
    assert settings.durability == "batch"
    async with running_app(settings) as srv:
        await _with_site(srv)
        assert srv.app[WRITER].journal is None
        assert [(await _hit(srv, f"b{i}"))[0] for i in range(5)] == [200] * 5
        assert _files(tmp_path, f"*{JOURNAL_SUFFIX}") == []
        await srv.flush()
    assert len(await _titles(database_url, srv.domain)) == 5
    assert _files(tmp_path) == []  # not even the directory


async def test_a_commit_whose_answer_was_lost_is_not_written_again(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = settings_for(
        database_url, data_dir=tmp_path, durability="fsync", flush_interval_ms=60_000
    )
    async with running_app(settings) as srv:
        await _with_site(srv)
        assert [(await _hit(srv, f"l{i}"))[0] for i in range(5)] == [200] * 5
        (path,) = _journals(tmp_path / "spill")
        data = path.read_bytes()
        # What the writer's COPY of the 5 would have committed, had its answer been lost on
        # the way back: the hits and the journal's offset past them.
        records = [decode_record(line) for line in data.splitlines()]
        conn = await asyncpg.connect(database_url)
        try:
            async with conn.transaction():
                await conn.copy_records_to_table("hits", records=records, columns=COLUMNS)
                await conn.execute("INSERT INTO spill_replay VALUES ($1, $2)", path.name, len(data))
        finally:
            await conn.close()
        await srv.flush()  # its retry finds the offset ahead and takes them off the queue
        assert srv.app[WRITER].depth == 0
        assert "journal=resynced hits=5" in caplog.text
        assert [(await _hit(srv, f"l{i}"))[0] for i in range(5, 7)] == [200] * 2
        await srv.flush()
    assert await _titles(database_url, srv.domain) == [f"l{i}" for i in range(7)]
