"""The pixel protocol (tracking/pixel_protocol.py): plain pixel GETs answered as they arrive,
in order with everything else on the connection, and everything it must not take left to the
connection's task (the pre-dispatch and the app). The answers themselves are compared with
the app's, header for header, in test_predispatch.py (both_ways runs this protocol)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

import pytest
from aiohttp import web

from collector.app import create_app
from collector.tracking import pixel_protocol, predispatch
from collector.tracking.raw_answer import GIF
from tests.support import CHROME_UA, Running, free_port, running_app, settings_for
from tests.tracking.test_predispatch import CONSENT, SESSION, exchange, get


@contextlib.asynccontextmanager
async def task_recording(
    database_url: str, **overrides: object
) -> AsyncIterator[tuple[Running, list[str], str]]:
    """The app as served (pre-dispatch, then the pixel protocol) with a recorder of every
    request that reaches the connection's task, i.e. that the protocol did not answer."""
    settings = replace(settings_for(database_url), **overrides)  # type: ignore[arg-type]
    async with running_app(settings, predispatch=False) as running:
        running.site_id = await running.add_site("Pixel protocol", "pixel.example")
        runner = running.runner
        assert runner is not None and runner.server is not None
        predispatch.install(runner)
        handler = runner.server.request_handler
        reached: list[str] = []

        async def recorder(request: web.BaseRequest) -> web.StreamResponse:
            reached.append(f"{request.method} {request.path}")
            return await handler(request)

        runner.server.request_handler = recorder
        assert pixel_protocol.install(runner)  # before the first connection
        query = urlencode({"idsite": running.site_id, "rec": 1, "url": "https://pixel.example/"})
        yield running, reached, query


async def read_answers(reader: asyncio.StreamReader, count: int) -> list[tuple[bytes, bytes]]:
    """`count` answers (head, body) off one connection, in the order they came."""
    answers = []
    for _ in range(count):
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        length = re.search(rb"\r\nContent-Length: (\d+)\r\n", head)
        body = await reader.readexactly(int(length.group(1))) if length else b""
        answers.append((head, body))
    return answers


async def test_plain_pixel_gets_never_reach_the_task_and_are_stored(database_url: str) -> None:
    async with task_recording(database_url) as (running, reached, query):
        host, port = running.base.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        for raw in (
            get(f"/matomo.php?{query}", CONSENT),  # new session: Set-Cookie
            get(f"/piwik.php?{query}&send_image=0", SESSION),
            get(f"/matomo.php?{query}"),  # no consent: answered, nothing kept
            get(f"/matomo.php?{query}&url=%zz", CONSENT),  # refused: 400
        ):
            writer.write(raw)
            await writer.drain()
        answers = await read_answers(reader, 4)
        writer.close()
        statuses = [head.split(b" ")[1] for head, _ in answers]
        assert statuses == [b"200", b"204", b"200", b"400"]
        assert b"\r\nSet-Cookie: collector_session=" in answers[0][0] and answers[0][1] == GIF
        assert answers[3][1].endswith(b"\n") and b"\r\nVary: Origin\r\n" in answers[3][0]
        assert reached == []
        await running.flush()
        assert len(await running.rows()) == 2


async def test_what_the_protocol_does_not_take_reaches_the_task_in_order(
    database_url: str,
) -> None:
    async with task_recording(database_url) as (running, reached, query):
        host, port = running.base.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        body = urlencode({"idsite": running.site_id, "rec": 1, "url": "https://pixel.example/p"})
        post = (
            f"POST /matomo.php HTTP/1.1\r\nHost: x\r\nUser-Agent: {CHROME_UA}\r\n{SESSION}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n{body}"
        ).encode()
        # One write: a pixel the protocol answers, then a POST and /healthz for the task, and
        # two pixels behind them, which must wait for the task's answers to keep the order.
        writer.write(
            get(f"/matomo.php?{query}", SESSION)
            + post
            + get("/healthz")
            + get(f"/matomo.php?{query}&send_image=0", SESSION)
            + get(f"/matomo.php?{query}", SESSION)
        )
        await writer.drain()
        answers = await read_answers(reader, 5)
        statuses = [head.split(b" ")[1] for head, _ in answers]
        assert statuses == [b"200", b"200", b"200", b"204", b"200"]
        assert answers[2][0].find(b"application/json") > 0  # /healthz's answer, third
        assert reached == ["POST /matomo.php", "GET /healthz", "GET /matomo.php", "GET /matomo.php"]
        # Once the task has answered all, the next plain pixel is the protocol's again.
        writer.write(get(f"/matomo.php?{query}", SESSION))
        await writer.drain()
        ((head, _),) = await read_answers(reader, 1)
        writer.close()
        assert head.startswith(b"HTTP/1.1 200 OK") and len(reached) == 4
        await running.flush()
        assert len(await running.rows()) == 5


async def test_a_client_that_does_not_read_gets_its_answers_through_the_task(
    database_url: str,
) -> None:
    # Pixels sent one by one while the client reads nothing: once the connection's write
    # buffer is full (writes paused) the protocol stops and the task answers, waiting for the
    # client to read; nothing piles up, and every hit is answered once it does. Small socket
    # buffers on both sides and a client stream that reads 2 KiB, so that a few hundred
    # answers fill them.
    count = 600
    async with task_recording(database_url) as (running, reached, query):
        host, port = running.base.removeprefix("http://").split(":")
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect((host, int(port)))
        sock.setblocking(False)
        reader, writer = await asyncio.open_connection(sock=sock, limit=1024)  # reads 2 KiB
        assert running.runner is not None and running.runner.server is not None
        for _ in range(100):
            if running.runner.server.connections:
                break
            await asyncio.sleep(0.01)
        (handler,) = running.runner.server.connections
        assert handler.transport is not None
        handler.transport.get_extra_info("socket").setsockopt(
            socket.SOL_SOCKET, socket.SO_SNDBUF, 4096
        )
        handler.transport.set_write_buffer_limits(high=4096)  # type: ignore[attr-defined]
        raw = get(f"/matomo.php?{query}", SESSION)
        sending = asyncio.create_task(_send(writer, raw, count))
        most = 0  # the most the server's write buffer held while the client read nothing
        for _ in range(250):
            most = max(most, handler.transport.get_write_buffer_size())
            if sending.done():
                break
            await asyncio.sleep(0.02)
        answers = await read_answers(reader, count)
        await sending
        writer.close()
        assert most < 64 * 1024, "the protocol went on writing to a client that reads nothing"
        assert all(head.startswith(b"HTTP/1.1 200 OK") for head, _ in answers)
        assert 0 < len(reached) < count
        await running.flush()
        assert len(await running.rows()) == count


async def _send(writer: asyncio.StreamWriter, raw: bytes, count: int) -> None:
    # One at a time, 2 ms apart: each read holds one request, so that it is the full write
    # buffer, not a paused parser (32 queued), that hands the rest to the task.
    for _ in range(count):
        writer.write(raw)
        await writer.drain()
        await asyncio.sleep(0.002)


async def test_the_keep_alive_timeout_counts_from_the_last_answer(database_url: str) -> None:
    # Hits every 0.2 s for 1.5 s keep a connection with a 0.5 s timeout open, as the task's
    # answers do; once they stop, the server closes it.
    app = create_app(settings_for(database_url, header_timeout_ms=500))  # the keep-alive too
    runner = await predispatch.ready_runner(app)
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(8):
            writer.write(get("/matomo.php?idsite=1&rec=1&url=https://x.example/"))  # no consent
            await writer.drain()
            ((head, _),) = await read_answers(reader, 1)
            assert head.startswith(b"HTTP/1.1 200 OK")
            await asyncio.sleep(0.2)
        assert await asyncio.wait_for(reader.read(), 5) == b""  # closed by the server
        writer.close()
    finally:
        await runner.cleanup()


async def test_not_installed_with_fsync_durability_nor_answering_with_the_access_log(
    database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(database_url, durability="fsync", data_dir=tmp_path)
    app = create_app(settings)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        assert pixel_protocol.install(runner) is False  # each answer awaits the journal
    finally:
        await runner.cleanup()
    # With the access log on, every request is the task's, so each one is logged.
    logging.getLogger("aiohttp.access").setLevel(logging.INFO)
    try:
        async with task_recording(database_url) as (running, reached, query):
            await exchange(running.base, get(f"/matomo.php?{query}", CONSENT))
            assert reached == ["GET /matomo.php"]
    finally:
        logging.getLogger("aiohttp.access").setLevel(logging.NOTSET)


async def test_a_bug_in_the_hit_path_is_a_500_and_one_short_log_line(
    database_url: str, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As aiohttp answers a handler's exception: 500, the connection closed, and the line the
    # server log (server_log.py) makes of it, without the exception's text (P2).
    def broken(*_args: object) -> None:
        raise ValueError("from 127.77.66.55 for alice@example.com")

    monkeypatch.setattr(pixel_protocol, "track_pixel_now", broken)
    caplog.set_level(logging.DEBUG, logger="aiohttp.server")  # not the access log: it is off
    async with task_recording(database_url) as (running, reached, query):
        host, port = running.base.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(get(f"/matomo.php?{query}", CONSENT))
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)  # read to the end: it is closed
        writer.close()
        assert reached == []
    assert answer.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert b"\r\nConnection: close\r\n" in answer
    assert answer.endswith(b"\r\n\r\n500 Internal Server Error\n\nServer got itself in trouble")
    messages = [r.getMessage() for r in caplog.records if r.name == "aiohttp.server"]
    assert [m.split(" at=")[0] for m in messages] == ["http=error error=ValueError"]
    assert "127.77.66.55" not in caplog.text and "alice" not in caplog.text


async def test_a_deep_pipeline_in_one_write_is_answered_whole(database_url: str) -> None:
    # More requests in one write than aiohttp's parser queues (32): it stops reading until the
    # queue drains, which its task then resumes; all of them are answered, in order.
    count = 100
    async with task_recording(database_url) as (running, reached, query):
        host, port = running.base.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(b"".join(get(f"/matomo.php?{query}&n={i}", SESSION) for i in range(count)))
        await writer.drain()
        answers = await read_answers(reader, count)
        writer.close()
        assert all(head.startswith(b"HTTP/1.1 200 OK") for head, _ in answers)
        assert reached == ["GET /matomo.php"] * count  # all the task's, which resumes reading
        await running.flush()
        assert len(await running.rows()) == count
