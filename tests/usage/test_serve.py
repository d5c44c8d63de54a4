"""`collector serve` with COLLECTOR_USAGE_LOG_LISTEN, as a process (uvloop, SIGTERM): the
banner says where logs go, a line sent over TCP is stored, a taken port is one clear line."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import asyncpg

from collector.sites import add_site
from collector.storage.db import migrate
from tests.support import free_port, request
from tests.test_cli import _start, _stop, _wait_healthy
from tests.usage.conftest import access_line


def test_a_taken_usage_port_stops_serve_with_one_line_naming_the_variable(
    database_url: str, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "COLLECTOR_DATABASE_URL": database_url,
               "COLLECTOR_DATA_DIR": str(tmp_path),
               "COLLECTOR_USAGE_LOG_LISTEN": f"127.0.0.1:{port}"}  # fmt: skip
        done = subprocess.run(
            [sys.executable, "-m", "collector", "serve", "--port", str(free_port())],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"error: COLLECTOR_USAGE_LOG_LISTEN: port {port} on 127.0.0.1 cannot be used "
        "(Address already in use)"
    )
    assert done.stdout == ""  # nothing started, nothing printed


def _wait_received(port: int, n: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        _, _, body = asyncio.run(request("GET", f"http://127.0.0.1:{port}/metrics"))
        if f"collector_usage_lines_received {n}\n".encode() in body:
            return
        time.sleep(0.05)
    raise AssertionError(f"the collector did not receive {n} lines")


async def _site(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
        return await add_site(conn, "Serve usage", ["serve-usage.example"])
    finally:
        await conn.close()


async def _stored(dsn: str, site_id: int) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT path FROM usage_requests WHERE site_id = $1", site_id)
    finally:
        await conn.close()
    return [r["path"] for r in rows]


def test_serve_takes_syslog_over_tcp_and_writes_it_before_it_exits(
    database_url: str, tmp_path: Path
) -> None:
    site_id = asyncio.run(_site(database_url))
    usage = free_port()
    env = {**os.environ, "COLLECTOR_DATABASE_URL": database_url,
           "COLLECTOR_DATA_DIR": str(tmp_path),
           "COLLECTOR_USAGE_LOG_LISTEN": f"127.0.0.1:{usage}"}  # fmt: skip
    port = free_port()
    proc = _start(env, port)
    try:
        _wait_healthy(port, proc)
        with socket.create_connection(("127.0.0.1", usage)) as tcp:
            line = access_line(path="/from-serve", host="serve-usage.example")
            tcp.sendall(f"<190>Nov 28 12:00:00 nginx: {line}\n".encode())
        _wait_received(port, 1)  # read by the process (the kernel's buffer is not enough)
    finally:
        out = _stop(proc)  # SIGTERM: the listener stops, the writer writes what it holds
    assert f"Web-server access logs: syslog on 127.0.0.1:{usage} (UDP and TCP)" in out
    assert proc.returncode == 0
    assert asyncio.run(_stored(database_url, site_id)) == ["/from-serve"]
