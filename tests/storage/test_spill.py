"""The spill file on its own: records round-trip, a torn or damaged line is never replayed as
a hit, a failed append leaves no half line, a file held by a live process is not claimed; and
with no writable spill directory during an outage, hits stay in memory until 503."""

from __future__ import annotations

import asyncio
import contextlib
import resource
import secrets
import signal
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from collector.appkeys import METRICS
from collector.storage.spill import SpillFile, decode_record, encode_record, orphans
from collector.tracking.hit import COLUMNS, Hit
from tests.support import CONSENT, StoppablePostgres, running_app, settings_for


def _record(i: int) -> tuple[object, ...]:
    return Hit(
        site_id=1,
        ts=datetime(2026, 11, 20, 12, 0, i, 123456, tzinfo=UTC),
        session_id=uuid.uuid4().hex,
        new_visit=i % 2 == 0,
        action="event",
        url=f"https://example.org/ü/{i}",
        title='\u2603 "quoted" \n newline',
        event_value=1.5,
        search_count=3,
        ip_prefix="2001:db8::",
    ).record()


def test_records_round_trip_through_a_line() -> None:
    record = _record(1)
    line = encode_record(record)
    assert line.count(b"\n") == 1 and line.endswith(b"\n")
    assert decode_record(line[:-1]) == record


def test_a_line_spilled_before_an_upgrade_appended_fields_reads_with_them_empty() -> None:
    record = _record(2)
    old = orjson.dumps(
        record[: COLUMNS.index("ip_prefix") + 1]
    )  # a Hit before issue #16 appended fields
    assert decode_record(old) == record[: COLUMNS.index("ip_prefix") + 1] + (None,) * (
        len(COLUMNS) - COLUMNS.index("ip_prefix") - 1
    )
    with pytest.raises(ValueError, match="not a hit record"):
        decode_record(orjson.dumps(record[:10]))


def test_a_torn_last_line_is_not_read_and_a_damaged_one_is_skipped(tmp_path: Path) -> None:
    records = [_record(i) for i in range(4)]
    spill = SpillFile.create(tmp_path)
    spill.append([encode_record(records[0]), b"{garbage}\n", encode_record(records[2])])
    with spill.path.open("ab") as f:  # a write cut short by kill -9
        f.write(encode_record(records[3])[:40])
    spill.close()
    again = SpillFile.claim(spill.path)
    assert again is not None
    lines = again.read(0, 100)
    assert [r for r, _ in lines] == [records[0], None, records[2]]
    assert again.read(lines[-1][1], 100) == []  # only the torn tail is left
    assert again.read(0, 2) == lines[:2]  # and reading stops at the limit
    again.close()


def test_a_file_held_by_a_live_writer_is_not_claimed(tmp_path: Path) -> None:
    spill = SpillFile.create(tmp_path)
    assert SpillFile.claim(spill.path) is None
    spill.close()
    claimed = SpillFile.claim(spill.path)
    assert claimed is not None
    claimed.remove()
    assert orphans(tmp_path) == []


@contextlib.contextmanager
def file_size_limit(size: int) -> Iterator[None]:
    """Writes past `size` bytes fail with EFBIG, as a full disk fails them with ENOSPC."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def test_a_failed_append_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    spill = SpillFile.create(tmp_path)
    first = encode_record(_record(0))
    spill.append([first])
    with file_size_limit(len(first) + 100), pytest.raises(OSError):
        spill.append([encode_record(_record(i)) for i in range(1, 20)])
    assert spill.size == len(first)
    assert spill.path.read_bytes() == first
    spill.close()


async def test_unwritable_spill_keeps_hits_in_memory_then_503_and_stores_them_later(
    own_postgres: StoppablePostgres, tmp_path: Path
) -> None:
    (tmp_path / "spill").write_text("a file where the spill directory should be")
    settings = settings_for(
        own_postgres.dsn,
        data_dir=tmp_path,
        queue_size=5,
        batch_size=2,
        flush_interval_ms=20,
        spill_interval_ms=20,
    )
    async with running_app(settings) as srv:
        srv.domain = f"disk-{secrets.token_hex(3)}.example"
        srv.site_id = await srv.add_site("disk", srv.domain)
        own_postgres.stop()
        statuses = []
        for i in range(8):
            status, _, _ = await srv.get(
                "/matomo.php", srv.hit_params(action_name=f"d{i}"), cookies=CONSENT
            )
            statuses.append(status)
        deadline = asyncio.get_running_loop().time() + 30
        while not srv.app[METRICS].value("spill_errors"):  # the writer's next tick
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.01)
        assert orphans(tmp_path / "spill") == []
        own_postgres.start()
        await srv.flush()
        titles = sorted(r["title"] for r in await srv.rows())
    assert statuses == [200] * 5 + [503] * 3
    assert titles == [f"d{i}" for i in range(5)]
