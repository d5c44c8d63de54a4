"""The live intake on real sockets: util-linux `logger` sends syslog over UDP and TCP, in
RFC 3164 and 5424, octet-counted or not; lines are stored with the address truncated."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from collector.usage.request import MAX_LINE
from tests.support import Running, running_app, settings_for
from tests.usage.conftest import access_line, listener, stored, usage_rows

LOGGER = shutil.which("logger")
needs_logger = pytest.mark.skipif(LOGGER is None, reason="util-linux logger is not installed")


def logger(port: int, tag: str, *options: str, lines: list[str]) -> None:
    """Send `lines` with util-linux logger, one message each."""
    assert LOGGER is not None
    subprocess.run(
        [LOGGER, "-n", "127.0.0.1", "-P", str(port), "-t", tag, "--size", "8192", *options],
        input="\n".join(lines) + "\n",
        text=True,
        check=True,
        timeout=30,
    )


@needs_logger
async def test_logger_over_udp_and_tcp_in_both_formats_is_stored_truncated(
    usage_server: Running,
) -> None:
    srv, port = usage_server, listener(usage_server).port
    tag = f"site{srv.site_id}"
    variants = {
        "/udp-3164": ("-d", "--rfc3164"),
        "/udp-5424": ("-d", "--rfc5424"),
        "/tcp-3164": ("-T", "--rfc3164"),
        "/tcp-5424-counted": ("-T", "--rfc5424", "--octet-count"),
    }
    for n, (path, options) in enumerate(variants.items()):
        logger(port, tag, *options, lines=[access_line(f"198.51.100.{n + 10}", path)])
    await listener(srv).wait_received(len(variants))
    await stored(srv, len(variants))
    rows = await usage_rows(srv)
    assert sorted(r["path"] for r in rows) == sorted(variants)
    assert {r["ip_prefix"] for r in rows} == {"198.51.0.0"}
    assert {(r["status"], r["bytes"], r["browser"], r["os"], r["bot"]) for r in rows} == {
        (200, 512, "Firefox", "Linux", False)
    }


async def test_a_site_is_found_by_the_host_of_a_vhost_line_without_a_tag(
    usage_server: Running,
) -> None:
    srv = usage_server
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        line = access_line(path="/by-host", host=f"www.{srv.domain}")
        udp.sendto(
            f"<190>Nov 28 12:00:00 nginx: {line}".encode(), ("127.0.0.1", listener(srv).port)
        )
    await listener(srv).wait_received(1)
    await stored(srv, 1)
    assert [r["path"] for r in await usage_rows(srv)] == ["/by-host"]


async def test_unusable_lines_are_counted_by_reason_and_the_next_ones_still_stored(
    usage_server: Running,
) -> None:
    srv = usage_server
    tag = f"site{srv.site_id}"
    old = datetime.now(UTC) - timedelta(days=8)
    _, writer = await asyncio.open_connection("127.0.0.1", listener(srv).port)
    for message in (
        "no log line at all",
        f"<13>Nov 28 12:00:00 h nobody: {access_line(path='/unknown-site')}",
        f"<13>Nov 28 12:00:00 h {tag}: {access_line(path='/old', when=old)}",
        f"<13>Nov 28 12:00:00 h {tag}: " + access_line(path="/" + "x" * MAX_LINE),
        f"<13>Nov 28 12:00:00 h {tag}: {access_line(path='/kept')}",
    ):
        writer.write(message.encode() + b"\n")
    await writer.drain()
    writer.close()
    await writer.wait_closed()
    await listener(srv).wait_received(4)  # the over-long one is counted, not received
    await stored(srv, 1)
    metrics = listener(srv).metrics
    assert [r["path"] for r in await usage_rows(srv)] == ["/kept"]
    for reason in ("unparsable", "unknown_site", "expired", "too_long"):
        assert metrics.value("usage_lines_refused", reason) == 1, reason


async def _locked(srv: Running) -> asyncpg.Connection:
    """A connection holding usage_requests locked: the writer's COPYs wait."""
    conn = await asyncpg.connect(srv.settings.database_url)
    await conn.execute("BEGIN; LOCK TABLE usage_requests IN ACCESS EXCLUSIVE MODE")
    return conn


async def test_tcp_loses_nothing_when_the_queue_is_full_the_sender_waits(
    database_url: str,
) -> None:
    settings = settings_for(
        database_url, usage_log_listen=("127.0.0.1", 0), queue_size=8, batch_size=4
    )
    async with running_app(settings) as srv:
        srv.site_id = await srv.add_site("Full", "full-tcp.example")
        lock = await _locked(srv)
        _, writer = await asyncio.open_connection("127.0.0.1", listener(srv).port)
        lines = [access_line(path=f"/p{i}", host="full-tcp.example") for i in range(500)]
        writer.write("".join(f"{line}\n" for line in lines).encode())
        await writer.drain()
        await listener(srv).wait_received(500)
        # The queue is full; the rest waits in the connection (one read at most), which is
        # not read from until there is room.
        [stream] = listener(srv).streams
        assert (listener(srv).writer.depth, stream.pending) == (8, 492)
        await lock.execute("ROLLBACK")
        await lock.close()
        await stored(srv, 500)
        writer.close()
        metrics = listener(srv).metrics
        assert len(await usage_rows(srv)) == 500
        assert metrics.value("usage_lines_dropped", "queue_full") == 0


async def test_udp_drops_what_does_not_fit_the_queue_and_counts_it(database_url: str) -> None:
    settings = settings_for(
        database_url, usage_log_listen=("127.0.0.1", 0), queue_size=8, batch_size=4
    )
    async with running_app(settings) as srv:
        srv.site_id = await srv.add_site("Full", "full-udp.example")
        lock = await _locked(srv)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            for i in range(50):
                line = access_line(path=f"/p{i}", host="full-udp.example")
                udp.sendto(line.encode(), ("127.0.0.1", listener(srv).port))
        await listener(srv).wait_received(50)
        await lock.execute("ROLLBACK")
        await lock.close()
        await stored(srv, 8)
        metrics = listener(srv).metrics
        dropped = metrics.value("usage_lines_dropped", "queue_full")
        assert (len(await usage_rows(srv)), dropped) == (8, 42)
        assert listener(srv).kernel_drops() == 0


async def test_what_is_queued_at_shutdown_is_written(database_url: str) -> None:
    settings = settings_for(
        database_url, usage_log_listen=("127.0.0.1", 0), flush_interval_ms=60_000
    )
    async with running_app(settings) as srv:
        srv.site_id = await srv.add_site("Stop", "stop-usage.example")
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            for i in range(3):
                line = access_line(path=f"/s{i}", host="stop-usage.example")
                udp.sendto(line.encode(), ("127.0.0.1", listener(srv).port))
        await listener(srv).wait_received(3)
        assert listener(srv).writer.depth == 3  # not yet written: the interval is a minute
        pool_url = srv.settings.database_url
        site_id = srv.site_id
    conn = await asyncpg.connect(pool_url)
    try:
        n = await conn.fetchval("SELECT count(*) FROM usage_requests WHERE site_id = $1", site_id)
    finally:
        await conn.close()
    assert n == 3
