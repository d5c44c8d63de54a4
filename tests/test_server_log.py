"""Promise P2 for what the HTTP server itself logs: malformed requests from several source
addresses, over real sockets, to the app in this process and to `collector serve`; no line
holds the address, the request line or a query value, and the lines are rate-limited."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from collector.server_log import LINES_PER_INTERVAL, LogBudget, ServerLog
from tests.support import free_port, request, running_app, settings_for

SOURCES = ("127.77.66.55", "127.88.44.33", "127.99.11.22")
PERSONAL = ("alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com")
GARBAGE = (
    b"GET /matomo.php?uid=alice@example.com&x=\xff HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /matomo.php?uid=bob@example.com HTTP/1.1\r\nHost x\r\n\r\n",
    b"POST /matomo.php?uid=carol@example.com HTTP/1.1\r\nHost: x\r\n"
    b"Transfer-Encoding: chunked\r\n\r\nzz-carol@example.com\r\n",
    b"GET /matomo.php?uid=dave@example.com&x=" + b"a" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /matomo.php?uid=alice@example.com HTTP/1.1\r\nHost: x\r\nX-Big: "
    + b"alice@example.com" * 600
    + b"\r\n\r\n",
    b"GET /matomo.php?uid=bob@example.com HTTP/1.1\r\nHost: x\r\nX-A: bob@example.com\x01\r\n\r\n",
    b"G\x01T /matomo.php?uid=carol@example.com HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /matomo.php?uid=dave@example.com HTTP/9.9\r\nHost: x\r\n\r\n",
)


async def send_from(source: str, port: int, data: bytes) -> bytes:
    """Send raw bytes from `source` (any 127/8 address is ours on Linux); the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    try:
        writer.write(data)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 10)
    except ConnectionResetError:
        return b""
    finally:
        writer.close()
        with contextlib.suppress(ConnectionResetError):
            await writer.wait_closed()


async def send_garbage(port: int, rounds: int) -> list[bytes]:
    answers = []
    for _ in range(rounds):
        for source in SOURCES:
            for data in GARBAGE:
                answers.append(await send_from(source, port, data))
    return answers


def leaks(lines: list[str]) -> list[str]:
    """Lines holding a source address, a request line, a query value or a traceback."""
    bad = (*SOURCES, *PERSONAL, "uid=", "HTTP/1.1", "HTTP/9.9", "matomo.php?", "Traceback")
    return [line for line in lines if any(b in line for b in bad)]


async def test_parser_errors_in_process_log_short_lines_without_address_or_request(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running_app(settings_for(database_url)) as srv:
        port = int(srv.base.rsplit(":", 1)[1])
        answers = await send_garbage(port, rounds=2)
        assert (await srv.get("/healthz"))[0] == 200
    assert all(a.startswith(b"HTTP/1.") and b" 400 " in a[:20] for a in answers), answers
    lines = [caplog.text, *(r.getMessage() for r in caplog.records)]
    assert leaks(lines) == []
    server_lines = [r.getMessage() for r in caplog.records if r.name == "aiohttp.server"]
    assert "http=bad_request status=400 reason=bad_url" in server_lines
    assert len(server_lines) == LINES_PER_INTERVAL  # 48 bad requests, 10 lines


def test_parser_errors_of_collector_serve_log_short_lines_on_stderr(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "COLLECTOR_DATABASE_URL": database_url,
        "COLLECTOR_DATA_DIR": str(tmp_path),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "collector", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_healthy(port, proc)
        asyncio.run(send_garbage(port, rounds=2))
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    lines = stderr.splitlines()
    assert leaks(lines) == []
    short = [line for line in lines if "http=bad_request status=400 reason=" in line]
    assert short, stderr
    assert len(short) <= LINES_PER_INTERVAL


def _wait_healthy(port: int, proc: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, "collector serve exited"
        with contextlib.suppress(OSError):
            if asyncio.run(request("GET", f"http://127.0.0.1:{port}/healthz"))[0] == 200:
                return
        time.sleep(0.1)
    raise AssertionError("collector serve did not become healthy")


# -- the pieces, with an injected clock ---------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_budget_holds_lines_back_and_says_how_many_in_the_next_window() -> None:
    clock = _Clock()
    budget = LogBudget(lines=2, interval=60, clock=clock)
    assert [budget.take() for _ in range(5)] == [0, 0, None, None, None]
    clock.now = 60
    assert [budget.take(), budget.take(), budget.take()] == [3, 0, None]


def test_an_unexpected_exception_is_one_line_with_its_type_and_place_but_not_its_text(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = ServerLog(logging.getLogger("aiohttp.server"))
    try:
        int("alice@example.com")
    except ValueError as exc:
        with caplog.at_level(logging.INFO, "aiohttp.server"):
            log.exception("Error handling request from %s", "127.77.66.55", exc_info=exc)
    [record] = caplog.records
    assert record.levelno == logging.ERROR and record.exc_info is None
    message = record.getMessage()
    assert message.startswith("http=error error=ValueError at=test_server_log.py:")
    assert leaks([message, caplog.text]) == []


def test_a_client_that_went_away_is_a_debug_line_not_an_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    log = ServerLog(logging.getLogger("aiohttp.server"))
    with caplog.at_level(logging.DEBUG, "aiohttp.server"):
        log.exception("Error handling request from %s", "127.77.66.55", exc_info=BrokenPipeError())
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.DEBUG, "http=disconnected error=BrokenPipeError")
    ]
